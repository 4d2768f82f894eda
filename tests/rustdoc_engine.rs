//! The rustdoc engine (`--engine rustdoc|both`): what only the compiler can
//! see, format versions, build failures, and memchr 2.5.0 -> 2.6.0 on
//! crates.io. These build rustdoc JSON with the installed toolchain.

mod support;

use assert_cmd::Command;
use bumpguard::api::rustdoc_engine::{self, RustdocError};
use std::path::Path;
use std::time::Instant;
use support::{fixture, offline};

fn bumpguard(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("XDG_CACHE_HOME", cache).arg("--color=never");
    c
}

/// `bumpguard diff --old --new` of a fixture pair with `engine`, as JSON.
fn diff_pair(pair: &str, engine: &str, cache: &Path) -> serde_json::Value {
    let out = bumpguard(cache)
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["diff", "--format", "json", "--engine", engine, "--old"])
        .arg(fixture(pair, "old"))
        .arg("--new")
        .arg(fixture(pair, "new"))
        .output()
        .expect("run bumpguard");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{pair} --engine {engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn changes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["crates"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap_or_default().to_string(),
                c["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn notes(report: &serde_json::Value) -> String {
    report["crates"][0]["notes"].to_string()
}

fn change<'a>(report: &'a serde_json::Value, code: &str, path: &str) -> &'a serde_json::Value {
    report["crates"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["code"] == code && c["path"] == path)
        .unwrap_or_else(|| panic!("no {code} {path} in {}", report["crates"][0]["changes"]))
}

/// A fixture pair, what the rustdoc engine must report (code, path), and the
/// note that says the syn engine did not check it.
type OnlyRustdoc = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const ONLY_RUSTDOC: &[OnlyRustdoc] = &[
    (
        "rustdoc-auto-trait",
        &[
            ("auto-trait-lost", "autotrait::Handle impl Send"),
            ("auto-trait-lost", "autotrait::Handle impl Sync"),
        ],
        "auto traits (Send, Sync, Unpin, UnwindSafe) of 1 public type(s) (`Handle`) are not checked",
    ),
    (
        "rustdoc-derive-via-macro",
        &[("trait-impl-removed", "derivemacro::UserId impl Copy")],
        "item-level macro invocation(s) were not expanded",
    ),
    (
        "rustdoc-macro-fn",
        &[("fn-signature-changed", "macrofn::max_depth")],
        "item-level macro invocation(s) were not expanded",
    ),
];

#[test]
fn only_the_compiler_sees_these_breaks() {
    let cache = tempfile::tempdir().expect("tempdir");
    for (pair, expected, syn_note) in ONLY_RUSTDOC {
        let syn = diff_pair(pair, "syn", cache.path());
        assert_eq!(syn["crates"][0]["violations"], 0, "{pair}: {syn}");
        for (code, path) in *expected {
            assert!(
                !changes(&syn).contains(&(code.to_string(), path.to_string())),
                "{pair}: the syn engine was not expected to see {code} {path}"
            );
        }
        assert!(notes(&syn).contains(syn_note), "{pair}: {}", notes(&syn));

        let rd = diff_pair(pair, "rustdoc", cache.path());
        for (code, path) in *expected {
            let c = change(&rd, code, path);
            assert_eq!(c["required"], "major", "{pair}: {c}");
            assert_eq!(c["violation"], true, "1.0.0 -> 1.1.0 allows minor: {c}");
        }
        assert_eq!(rd["verdict"]["status"], "blocked", "{pair}");
        assert!(
            notes(&rd).contains("its build script and proc macros ran"),
            "{pair}: the report must say the dependency was compiled: {}",
            notes(&rd)
        );
        assert!(
            !notes(&rd).contains("not checked by the syn engine"),
            "{pair}: rustdoc-only runs do not carry the syn engine's notes"
        );
    }
}

#[test]
fn both_engines_merge_and_mark_who_saw_what() {
    let cache = tempfile::tempdir().expect("tempdir");
    let v = diff_pair("breaking-in-minor", "both", cache.path());
    let all = v["crates"][0]["changes"].as_array().expect("changes");
    assert!(!all.is_empty());
    for c in all {
        assert!(
            c["engines"].as_array().is_some_and(|e| !e.is_empty()),
            "every change says who saw it under --engine both: {c}"
        );
    }
    // The struct-literal break is visible to both.
    assert!(
        all.iter().any(
            |c| c["engines"] == serde_json::json!(["syn", "rustdoc"]) && c["violation"] == true
        ),
        "{all:#?}"
    );

    let v = diff_pair("rustdoc-auto-trait", "both", cache.path());
    let c = change(&v, "auto-trait-lost", "autotrait::Handle impl Send");
    assert_eq!(c["engines"], serde_json::json!(["rustdoc"]));
    assert!(
        notes(&v).contains("only the rustdoc engine found: ")
            && notes(&v).contains("auto-trait-lost autotrait::Handle impl Send;"),
        "{}",
        notes(&v)
    );

    // One engine: no `engines` field at all.
    let v = diff_pair("rustdoc-auto-trait", "rustdoc", cache.path());
    assert!(v["crates"][0]["changes"][0].get("engines").is_none());
}

/// A crate that does not compile: rustdoc alone fails that crate with the
/// reason; `both` falls back to the syn engine with a note.
#[test]
fn a_crate_that_does_not_build_is_not_analysed_by_rustdoc() {
    let work = tempfile::tempdir().expect("tempdir");
    for (side, body) in [
        ("old", "pub fn f() -> u32 { 1 }\n"),
        // rustdoc does not type-check bodies; an unknown type in a
        // signature stops it.
        (
            "new",
            "pub fn f() -> u32 { 1 }\npub fn g() -> Missing { todo!() }\n",
        ),
    ] {
        let dir = work.path().join(side);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"broken\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
        )
        .expect("manifest");
        std::fs::write(dir.join("src/lib.rs"), body).expect("lib.rs");
    }
    let run = |engine: &str| {
        let out = bumpguard(&work.path().join("cache"))
            .env("BUMPGUARD_OFFLINE", "1")
            .args(["diff", "--format", "json", "--engine", engine, "--old"])
            .arg(work.path().join("old"))
            .arg("--new")
            .arg(work.path().join("new"))
            .output()
            .expect("run");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        (out.status.code(), v)
    };
    let (code, v) = run("rustdoc");
    // The crate was there; it failed to build: not analysed, which blocks
    // (exit 1, or a warning under `[policy] unanalysed = "warn"`), not a
    // failure of bumpguard itself (exit 2).
    assert_eq!(code, Some(1), "the crate could not be analysed: {v}");
    assert_eq!(v["crates"][0]["analysis"]["status"], "failed");
    assert_eq!(v["crates"][0]["analysis"]["failed_in"], "crate");
    let reason = v["crates"][0]["analysis"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.starts_with("new version: not analysed by rustdoc: `cargo rustdoc` failed: error[")
            && reason.contains("cannot find type `Missing`"),
        "{reason}"
    );

    let (code, v) = run("both");
    assert_eq!(
        code,
        Some(1),
        "syn's result stands (g added in a same-version pair): {v}"
    );
    assert_eq!(v["crates"][0]["analysis"]["status"], "analysed");
    let c = change(&v, "item-added", "broken::g");
    assert_eq!(c["engines"], serde_json::json!(["syn"]));
    assert!(
        notes(&v).contains("not analysed by rustdoc")
            && notes(&v).contains("the changes listed are the syn engine's alone"),
        "{}",
        notes(&v)
    );
}

#[test]
fn an_unsupported_format_version_is_a_clear_error() {
    // Only the version is read first: the rest need not even be rustdoc JSON.
    let fake = br#"{"root": 0, "index": "not what format 57 has", "format_version": 99}"#;
    let err = rustdoc_engine::surface_from_json(fake).expect_err("format 99 is not read");
    assert!(
        matches!(
            err,
            RustdocError::UnsupportedFormat {
                found: 99,
                supported: 57,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    for part in [
        "format version 99 is not supported",
        "reads format version 57",
        "stable Rust 1.95",
        "--engine syn",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    assert_eq!(rustdoc_engine::SUPPORTED_FORMAT_VERSION, 57);

    let err = rustdoc_engine::surface_from_json(b"{\"root\": 0}").expect_err("no version");
    assert!(
        err.to_string().starts_with(
            "not analysed by rustdoc: the rustdoc output is not JSON with a format_version"
        ),
        "{err}"
    );
}

/// The installed toolchain writes the supported format: if this fails, the
/// toolchain moved on and `rustdoc-types` must follow.
#[test]
fn the_installed_toolchain_writes_the_supported_format() {
    let cache = tempfile::tempdir().expect("tempdir");
    let mut opts = rustdoc_engine::BuildOptions::new(cache.path().to_path_buf());
    opts.offline = true;
    let s = rustdoc_engine::surface_from_dir(&fixture("rustdoc-auto-trait", "old"), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.items.contains_key("Handle impl Send"),
        "{:?}",
        s.items.keys()
    );
    assert_eq!(
        s.items["Handle::count"].signature,
        "pub fn count(&self) -> u32"
    );
    // The second read comes from the cache.
    let again = rustdoc_engine::surface_from_dir(&fixture("rustdoc-auto-trait", "old"), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        again
            .notes
            .iter()
            .any(|n| n.contains("rustdoc JSON from the cache")),
        "{:?}",
        again.notes
    );
    let cached: Vec<_> = std::fs::read_dir(cache.path().join("rustdoc"))
        .expect("cache dir")
        .collect();
    assert_eq!(cached.len(), 1);
}

#[test]
fn memchr_iterators_lose_send_and_sync_in_2_6_0() {
    if offline("memchr_iterators_lose_send_and_sync_in_2_6_0") {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |engine: &str| {
        let started = Instant::now();
        let out = bumpguard(cache.path())
            .env_remove("BUMPGUARD_OFFLINE")
            .args([
                "diff", "memchr", "2.5.0", "2.6.0", "--format", "json", "--engine", engine,
            ])
            .output()
            .expect("run");
        let took = started.elapsed();
        // The syn engine finds nothing that blocks; rustdoc finds the breaks.
        assert_eq!(
            out.status.code(),
            Some(if engine == "syn" { 0 } else { 1 }),
            "{engine}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        (v, took)
    };
    // syn first: it also downloads both versions, so the rustdoc runs
    // below measure the engine alone.
    let (syn, syn_cold) = run("syn");
    let (_, syn_warm) = run("syn");
    let (rd, rd_cold) = run("rustdoc");
    let (rd_again, rd_warm) = run("rustdoc");
    std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "memchr 2.5.0 -> 2.6.0: syn {:.2}s (first run: fetches both versions) / {:.2}s; rustdoc {:.2}s (builds JSON) / {:.2}s (cached JSON)\n",
            syn_cold.as_secs_f64(),
            syn_warm.as_secs_f64(),
            rd_cold.as_secs_f64(),
            rd_warm.as_secs_f64()
        )
        .as_bytes(),
    )
    .ok();
    for ty in ["Memchr", "Memchr2", "Memchr3"] {
        for auto in ["Send", "Sync"] {
            let path = format!("memchr::{ty} impl {auto}");
            for v in [&rd, &rd_again] {
                let c = change(v, "auto-trait-lost", &path);
                assert_eq!(c["required"], "major", "{c}");
                assert_eq!(c["violation"], true, "2.5.0 -> 2.6.0 allows minor: {c}");
            }
            assert!(
                !changes(&syn).iter().any(|(_, p)| *p == path),
                "the syn engine does not see auto traits"
            );
        }
    }
}

/// Pairs where the engines are known to disagree, and why. Each must still
/// disagree (a pair that now agrees is taken off the list).
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[
    // Same change, same level; the rustdoc engine keys the impl by std's
    // definition path of HashMap (`std::collections::hash::map::HashMap`),
    // the syn engine by the path written (`std::collections::HashMap`).
    (
        "api/trait-impl-narrowed-std-default-param",
        "impl keys name HashMap by its definition path under rustdoc (std::collections::hash::map::HashMap), by the path written under syn: same change and level",
    ),
    (
        "api/trait-impl-widened-std-default-param",
        "impl keys name HashMap by its definition path under rustdoc (std::collections::hash::map::HashMap), by the path written under syn: same change and level",
    ),
    // By design: rustdoc documents one configuration (the features asked
    // for, this machine's target) and does not see `#[cfg]` conditions.
    (
        "api/cfg-unknown-predicate-added",
        "a #[cfg] condition changed: rustdoc builds one configuration and does not compare conditions",
    ),
    (
        "api/item-moved-behind-default-feature",
        "a #[cfg] condition changed: rustdoc builds one configuration and does not compare conditions",
    ),
    (
        "api/item-moved-behind-non-default-feature",
        "the item is behind a feature that is off by default: for rustdoc it is gone (item-removed), syn sees it gated (item-feature-gated); both major",
    ),
    (
        "api/item-moved-into-wrapper-macro",
        "the crate's wrapper macro puts the item behind a feature that is off by default: for rustdoc it is gone (item-removed), syn sees it gated (item-feature-gated); both major",
    ),
    (
        "api/non-default-feature-item-field-added",
        "the changed item exists only under a non-default feature: rustdoc builds the default features",
    ),
    (
        "pairs/field-added-constructible",
        "the new field is behind a feature that is off by default: rustdoc builds the default features",
    ),
    // What only the compiler knows.
    (
        "api/auto-trait-impl-removed-uncertain",
        "without its `unsafe impl Send` the type is not Send (its field `Box<dyn Any>` is not): the compiler knows it (auto-trait-lost, major); syn cannot tell whether a trait object field is Send (auto-trait-impl-removed, possibly breaking, minor)",
    ),
    (
        "api/trait-supertrait-added",
        "the new supertrait Clone requires Sized, so the trait is no longer dyn compatible: the compiler knows it, syn sees only a written `Sized`",
    ),
    (
        "pairs/rustdoc-auto-trait",
        "auto traits: only the compiler sees them",
    ),
    (
        "pairs/rustdoc-derive-via-macro",
        "a derive inside a macro: syn does not expand macros",
    ),
    (
        "pairs/rustdoc-macro-fn",
        "a fn generated by a macro: syn does not expand macros",
    ),
    (
        "api/note-macro-type-in-signature",
        "the parameter's type is written `t!()`, whose expansion changed from u8 to u16: rustdoc sees the expanded types (fn-signature-changed, major), syn does not expand macros and only notes the macro type",
    ),
];

/// Pairs rustdoc cannot build, on purpose: they show what the syn engine
/// says about code it cannot read, and are not valid Rust on their own.
const NOT_BUILDABLE: &[(&str, &str)] = &[
    (
        "api/note-attribute-macro-on-public-item",
        "uses an attribute macro that exists nowhere",
    ),
    (
        "api/note-unread-macro",
        "invokes a macro that exists nowhere",
    ),
    ("pairs/parse-error", "a source file that does not parse"),
    (
        "pairs/module-cycle",
        "a module file that includes itself through #[path]: rustc refuses circular modules",
    ),
];

/// `(code, path, required level)` of every change, and whether the crate was
/// analysed; `uncertain` changes apart (the engine could not decide them).
type Seen = (
    std::collections::BTreeSet<(String, String, String)>,
    std::collections::BTreeSet<(String, String, String)>,
    serde_json::Value,
);

fn seen(report: &serde_json::Value) -> Seen {
    let mut sure = std::collections::BTreeSet::new();
    let mut unsure = std::collections::BTreeSet::new();
    for c in report["crates"][0]["changes"].as_array().expect("changes") {
        let t = (
            c["code"].as_str().unwrap_or_default().to_string(),
            c["path"].as_str().unwrap_or_default().to_string(),
            c["required"].as_str().unwrap_or_default().to_string(),
        );
        if c["uncertain"] == true {
            unsure.insert(t);
        } else {
            sure.insert(t);
        }
    }
    (sure, unsure, report["crates"][0]["analysis"].clone())
}

/// Every pair of the API-fidelity corpus (`tests/fixtures/api`) and of the
/// end-to-end pairs (`tests/fixtures/pairs`): both engines must report the
/// same changes (code, path, level) wherever syn can decide (changes syn
/// marks uncertain may differ), except the pairs listed above.
///
/// Pairs with dependencies (end-to-end pairs that use tokio) are left out:
/// building tokio for each of them would cost minutes, and whether it can
/// be built offline depends on cargo's cache on the machine.
///
/// Cost: two builds of rustdoc JSON per pair (160 pairs), on two threads.
/// The JSON cache lives in cargo's test scratch folder (`target/tmp`),
/// keyed by content, so a second run builds only what changed: 2 to 2.5 min
/// the first time on two busy cores, about 15 s after.
#[test]
fn engines_agree_on_the_fixture_corpus() {
    let started = Instant::now();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rustdoc-agreement-cache");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut pairs: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut with_deps = Vec::new();
    for corpus in ["api", "pairs"] {
        for e in std::fs::read_dir(root.join(corpus)).expect("fixtures") {
            let e = e.expect("fixture entry");
            let name = format!("{corpus}/{}", e.file_name().to_string_lossy());
            let Ok(manifest) = std::fs::read_to_string(e.path().join("old/Cargo.toml")) else {
                continue;
            };
            let deps = toml::from_str::<toml::Table>(&manifest)
                .ok()
                .and_then(|t| {
                    t.get("dependencies")
                        .and_then(|d| d.as_table())
                        .map(|d| !d.is_empty())
                })
                .unwrap_or(false);
            if deps {
                with_deps.push(name);
            } else {
                pairs.push((name, e.path()));
            }
        }
    }
    pairs.sort();
    with_deps.sort();
    let run = |dir: &Path, engine: &str| -> serde_json::Value {
        let out = bumpguard(&cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .args(["diff", "--format", "json", "--engine", engine, "--old"])
            .arg(dir.join("old"))
            .arg("--new")
            .arg(dir.join("new"))
            .output()
            .expect("run bumpguard");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{} --engine {engine}: no JSON report ({e}): {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((name, dir)) = pairs.get(i) else {
                        break;
                    };
                    let syn = seen(&run(dir, "syn"));
                    let rd = seen(&run(dir, "rustdoc"));
                    results
                        .lock()
                        .expect("results")
                        .push((name.clone(), syn, rd));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut problems = Vec::new();
    let mut agreed = 0;
    for (name, (syn, syn_unsure, syn_analysis), (rd, rd_unsure, rd_analysis)) in &results {
        // Parse errors and the like: syn's verdict on the pair is its own.
        if syn_analysis["status"] != "analysed" && syn_analysis["status"] != "partial" {
            problems.push(format!("{name}: syn did not analyse it: {syn_analysis}"));
            continue;
        }
        let unbuildable = NOT_BUILDABLE.iter().any(|(p, _)| p == name);
        if rd_analysis["status"] != "analysed" {
            let reason = rd_analysis["reason"].as_str().unwrap_or_default();
            if !unbuildable {
                problems.push(format!("{name}: rustdoc did not analyse it: {reason}"));
            }
            continue;
        }
        if unbuildable {
            problems.push(format!("{name} builds now: take it off NOT_BUILDABLE"));
        }
        let only_syn: Vec<_> = syn
            .difference(rd)
            .filter(|c| !rd_unsure.contains(*c))
            .collect();
        let only_rd: Vec<_> = rd
            .difference(syn)
            .filter(|c| !syn_unsure.contains(*c))
            .collect();
        let disagree = !only_syn.is_empty() || !only_rd.is_empty();
        let known = KNOWN_DISAGREEMENTS.iter().find(|(p, _)| p == name);
        match (disagree, known) {
            (false, None) => agreed += 1,
            (true, Some(_)) => {}
            (true, None) => problems.push(format!(
                "{name}: only syn: {only_syn:?}; only rustdoc: {only_rd:?}"
            )),
            (false, Some((_, why))) => problems.push(format!(
                "{name} agrees now: take it off KNOWN_DISAGREEMENTS ({why})"
            )),
        }
    }
    for (p, _) in KNOWN_DISAGREEMENTS {
        if !results.iter().any(|(n, ..)| n == p) {
            problems.push(format!(
                "{p} is listed as a known disagreement but is no fixture"
            ));
        }
    }
    std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "engines compared on {} pairs in {:.0} s: {agreed} agree, {} known disagreements, {} not valid Rust on purpose; left out (dependencies): {}\n",
            results.len(),
            started.elapsed().as_secs_f64(),
            KNOWN_DISAGREEMENTS.len(),
            NOT_BUILDABLE.len(),
            with_deps.join(", ")
        )
        .as_bytes(),
    )
    .ok();
    assert!(
        results.len() >= 155,
        "the corpus has {} pairs without dependencies",
        results.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Writes a crate into `dir`: `manifest_tail` goes after `[package]`,
/// `files` are (relative path, contents), `src/lib.rs` among them.
fn write_crate(dir: &Path, name: &str, version: &str, manifest_tail: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{manifest_tail}"
        ),
    )
    .expect("manifest");
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("file");
    }
}

/// `bumpguard diff --old <work>/old --new <work>/new --format json` offline
/// with `args`; the exit code and the report.
fn diff_dirs(work: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = bumpguard(&work.join("cache"))
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["diff", "--format", "json", "--old"])
        .arg(work.join("old"))
        .arg("--new")
        .arg(work.join("new"))
        .args(args)
        .output()
        .expect("run bumpguard");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

fn reason(v: &serde_json::Value) -> String {
    v["crates"][0]["analysis"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_build_uses_the_asked_features_each_version_the_ones_it_declares() {
    let work = tempfile::tempdir().expect("tempdir");
    write_crate(
        &work.path().join("old"),
        "feat",
        "1.0.0",
        "[features]\nextra = []\n",
        &[(
            "src/lib.rs",
            "pub fn base() {}\n#[cfg(feature = \"extra\")]\npub fn extra_fn() {}\n",
        )],
    );
    write_crate(
        &work.path().join("new"),
        "feat",
        "1.0.1",
        "[features]\nextra = []\nalloc = []\n",
        &[(
            "src/lib.rs",
            "pub fn base() {}\n#[cfg(feature = \"alloc\")]\npub fn alloc_fn() {}\n",
        )],
    );
    // Default features: neither gated fn is built.
    let (_, v) = diff_dirs(work.path(), &["--engine", "rustdoc"]);
    assert!(changes(&v).is_empty(), "{}", v["crates"][0]["changes"]);
    for flags in [&["--features", "extra,alloc"][..], &["--all-features"][..]] {
        let mut args = vec!["--engine", "rustdoc"];
        args.extend_from_slice(flags);
        let (_, v) = diff_dirs(work.path(), &args);
        let c = change(&v, "item-removed", "feat::extra_fn");
        assert_eq!(c["required"], "major", "{flags:?}: {c}");
        change(&v, "item-added", "feat::alloc_fn");
        if flags[0] == "--features" {
            assert!(
                notes(&v).contains(
                    "old version: rustdoc engine: feature `alloc` not declared by this version (1.0.0), so it was built without it"
                ),
                "{}",
                notes(&v)
            );
            assert!(
                notes(&v).contains("compiled with features alloc, default, extra"),
                "{}",
                notes(&v)
            );
        } else {
            assert!(
                notes(&v).contains("compiled with all features"),
                "{}",
                notes(&v)
            );
        }
    }
}

/// Features that name a dev-dependency (syn's `test = ["syn-test-suite/all-features"]`):
/// the copy without dev-dependencies still builds, with every feature too. A
/// manifest error cargo finds in the copy says the copy's lines are not the crate's.
#[test]
fn features_naming_a_dev_dependency_do_not_stop_the_build() {
    let work = tempfile::tempdir().expect("tempdir");
    for (side, v, lib) in [
        ("old", "1.0.0", "pub fn f() {}\n"),
        (
            "new",
            "1.0.1",
            "pub fn f() {}\n#[cfg(feature = \"test\")]\npub fn g() {}\n",
        ),
    ] {
        write_crate(
            &work.path().join(side),
            "devfeat",
            v,
            "[dev-dependencies]\nsuite = \"1\"\n\n[target.'cfg(unix)'.dev-dependencies]\nnix = \"0.1\"\n\n[features]\ntest = [\"suite/all-features\", \"nix?/fs\"]\n",
            &[("src/lib.rs", lib)],
        );
    }
    for args in [
        &["--engine", "rustdoc"][..],
        &["--engine", "rustdoc", "--all-features"][..],
    ] {
        let (_, v) = diff_dirs(work.path(), args);
        assert_eq!(
            v["crates"][0]["analysis"]["status"],
            "analysed",
            "{args:?}: {}",
            reason(&v)
        );
        if args.len() == 3 {
            change(&v, "item-added", "devfeat::g");
        } else {
            assert!(changes(&v).is_empty(), "{}", v["crates"][0]["changes"]);
        }
    }

    // A feature naming no dependency at all is the crate's own error.
    write_crate(
        &work.path().join("new"),
        "devfeat",
        "1.0.1",
        "[features]\nbroken = [\"nodep/x\"]\n",
        &[("src/lib.rs", "pub fn f() {}\n")],
    );
    let (_, v) = diff_dirs(work.path(), &["--engine", "rustdoc"]);
    assert!(
        reason(&v).contains("`nodep` is not a dependency --> Cargo.toml:")
            && reason(&v).contains(
                "of bumpguard's rewritten copy of the manifest (dev-dependencies and test, bench and example targets left out; its lines are not the crate's), which reads `broken = [\"nodep/x\"]`"
            ),
        "{}",
        reason(&v)
    );
}

/// A build script that never ends: the build is stopped at the limit, its
/// processes are gone, the temporary copy too, and the report says code ran.
#[test]
fn a_build_that_hangs_is_stopped_at_the_time_limit() {
    let work = tempfile::tempdir().expect("tempdir");
    let probe = work.path().join("build-script.pid");
    let build_rs = "fn main() {\n    if let Some(p) = std::env::var_os(\"BG_PROBE\") {\n        std::fs::write(p, std::process::id().to_string()).unwrap();\n    }\n    std::thread::sleep(std::time::Duration::from_secs(300));\n}\n";
    for (side, v) in [("old", "1.0.0"), ("new", "1.0.1")] {
        write_crate(
            &work.path().join(side),
            "hang",
            v,
            "",
            &[("src/lib.rs", "pub fn f() {}\n"), ("build.rs", build_rs)],
        );
    }
    let tmp = work.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let started = Instant::now();
    let out = bumpguard(&work.path().join("cache"))
        .env("BUMPGUARD_OFFLINE", "1")
        .env("BG_PROBE", &probe)
        .env("TMPDIR", &tmp)
        .args([
            "diff",
            "--format",
            "json",
            "--engine",
            "rustdoc",
            "--rustdoc-timeout",
            "3",
            "--old",
        ])
        .arg(work.path().join("old"))
        .arg("--new")
        .arg(work.path().join("new"))
        .output()
        .expect("run bumpguard");
    let took = started.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Not analysed (inside the crate): blocks, bumpguard itself did its job.
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert!(took.as_secs() < 60, "stopped after {took:?}");
    assert!(
        reason(&v).starts_with("old version: not analysed by rustdoc: timed out after 3 s"),
        "{}",
        reason(&v)
    );
    assert!(
        notes(&v).contains(
            "build scripts and proc macros of the crate and its dependencies may have run"
        ),
        "{}",
        notes(&v)
    );
    // The build script had started, and is gone now.
    let pid = std::fs::read_to_string(&probe).expect("the build script ran");
    let gone = (0..40).any(|_| {
        let alive = Path::new("/proc").join(pid.trim()).join("stat");
        let running = std::fs::read_to_string(alive).is_ok_and(|s| {
            !s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        });
        if running {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        !running
    });
    assert!(gone, "the build script {pid} still runs");
    let left: Vec<_> = std::fs::read_dir(&tmp).expect("tmp").collect();
    assert!(left.is_empty(), "temporary build folders left: {left:?}");
}

#[test]
fn a_failing_build_script_is_named_with_its_message() {
    let work = tempfile::tempdir().expect("tempdir");
    write_crate(
        &work.path().join("old"),
        "bsfail",
        "1.0.0",
        "",
        &[("src/lib.rs", "pub fn f() {}\n")],
    );
    write_crate(
        &work.path().join("new"),
        "bsfail",
        "1.0.1",
        "",
        &[
            ("src/lib.rs", "pub fn f() {}\n"),
            (
                "build.rs",
                "fn main() { panic!(\"native lib foo not found\"); }\n",
            ),
        ],
    );
    let (code, v) = diff_dirs(work.path(), &["--engine", "rustdoc"]);
    assert_eq!(code, Some(1));
    let r = reason(&v);
    assert!(
        r.starts_with("new version: not analysed by rustdoc: `cargo rustdoc` failed: error: failed to run custom build command for `bsfail v1.0.1`")
            && r.contains("native lib foo not found"),
        "{r}"
    );
    assert!(
        !r.contains("bumpguard-rustdoc-") && !r.contains("stack backtrace"),
        "{r}"
    );
    assert!(
        notes(&v).contains("may have run before it stopped"),
        "{}",
        notes(&v)
    );

    // Under `both`, syn's result stands and the same is said.
    let (code, v) = diff_dirs(work.path(), &["--engine", "both"]);
    assert_eq!(code, Some(0), "{v}");
    assert!(
        notes(&v).contains("native lib foo not found"),
        "{}",
        notes(&v)
    );
    assert!(
        notes(&v).contains("may have run before it stopped"),
        "{}",
        notes(&v)
    );
}

/// The copy has only what a library build needs: not the crate's
/// `.cargo/config.toml`, not its dev-dependencies (which an empty cargo
/// home cannot resolve offline), not bench targets whose files are not
/// shipped; CARGO_BUILD_TARGET from the environment does not move the
/// output. A real dependency offline is told apart.
#[test]
fn the_build_is_isolated_from_what_a_library_does_not_need() {
    let work = tempfile::tempdir().expect("tempdir");
    let empty_home = work.path().join("cargo-home");
    std::fs::create_dir_all(&empty_home).expect("cargo home");
    for (side, v, lib) in [
        ("old", "1.0.0", "pub fn f() {}\n"),
        ("new", "1.0.1", "pub fn f() {}\npub fn g() {}\n"),
    ] {
        write_crate(
            &work.path().join(side),
            "iso",
            v,
            "[dev-dependencies]\nsmallvec = \"=1.6.1\"\n\n[[bench]]\nname = \"speed\"\nharness = false\n",
            &[
                ("src/lib.rs", lib),
                (
                    ".cargo/config.toml",
                    "[build]\ntarget = \"no-such-target-triple\"\n",
                ),
            ],
        );
    }
    let run = |dir: &Path| {
        let out = bumpguard(&dir.join("cache"))
            .env("BUMPGUARD_OFFLINE", "1")
            .env("CARGO_HOME", &empty_home)
            .env("CARGO_BUILD_TARGET", "another-missing-triple")
            .args(["diff", "--format", "json", "--engine", "rustdoc", "--old"])
            .arg(dir.join("old"))
            .arg("--new")
            .arg(dir.join("new"))
            .output()
            .expect("run bumpguard");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let v = run(work.path());
    assert_eq!(
        v["crates"][0]["analysis"]["status"],
        "analysed",
        "{}",
        reason(&v)
    );
    change(&v, "item-added", "iso::g");

    let deps = work.path().join("deps");
    for (side, v) in [("old", "1.0.0"), ("new", "1.0.1")] {
        write_crate(
            &deps.join(side),
            "dep",
            v,
            "[dependencies]\nsmallvec = \"=1.6.1\"\n",
            &[("src/lib.rs", "pub use smallvec::SmallVec;\n")],
        );
    }
    let v = run(&deps);
    assert!(
        reason(&v).contains("(offline: the crate's dependencies must already be in cargo's cache)"),
        "{}",
        reason(&v)
    );
    // Nothing was compiled: no note says code ran.
    assert!(!notes(&v).contains("may have run"), "{}", notes(&v));
}

#[test]
fn a_corrupt_cached_json_is_built_again() {
    let cache = tempfile::tempdir().expect("tempdir");
    let mut opts = rustdoc_engine::BuildOptions::new(cache.path().to_path_buf());
    opts.offline = true;
    let dir = fixture("rustdoc-auto-trait", "old");
    rustdoc_engine::surface_from_dir(&dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::read_dir(cache.path().join("rustdoc"))
        .expect("cache dir")
        .flatten()
        .next()
        .expect("a cached JSON")
        .path();
    let text = std::fs::read(&file).expect("cached");
    std::fs::write(&file, &text[..text.len() / 2]).expect("truncate");
    let s = rustdoc_engine::surface_from_dir(&dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.items.contains_key("Handle impl Send"));
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("did not read and was built again")),
        "{:?}",
        s.notes
    );
    assert_eq!(std::fs::read(&file).expect("rebuilt").len(), text.len());
}

/// A configured toolchain builds the JSON (through rustup), without the
/// bootstrap switch when it is a nightly; the note names it. Skipped, with
/// a message, where no nightly toolchain is installed.
#[test]
fn a_configured_toolchain_builds_the_json() {
    let installed = std::process::Command::new("rustup")
        .args(["run", "nightly", "rustdoc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    let work = tempfile::tempdir().expect("tempdir");
    let probe = work.path().join("env.txt");
    let build_rs = "fn main() {\n    let p = std::env::var_os(\"BG_PROBE\").unwrap();\n    let line = format!(\"{:?} {:?}\\n\", std::env::var(\"RUSTC_BOOTSTRAP\").ok(), std::env::var(\"RUSTUP_TOOLCHAIN\").ok());\n    let mut old = std::fs::read_to_string(&p).unwrap_or_default();\n    old.push_str(&line);\n    std::fs::write(p, old).unwrap();\n}\n";
    for (side, v) in [("old", "1.0.0"), ("new", "1.0.1")] {
        write_crate(
            &work.path().join(side),
            "tc",
            v,
            "",
            &[("src/lib.rs", "pub fn f() {}\n"), ("build.rs", build_rs)],
        );
    }
    let run = |extra: &[&str]| {
        let out = bumpguard(&work.path().join("cache"))
            .env("BUMPGUARD_OFFLINE", "1")
            .env("BG_PROBE", &probe)
            .args(["diff", "--format", "json", "--engine", "rustdoc", "--old"])
            .arg(work.path().join("old"))
            .arg("--new")
            .arg(work.path().join("new"))
            .args(extra)
            .output()
            .expect("run bumpguard");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let v = run(&["--rustdoc-toolchain", "no-such-toolchain-bg"]);
    assert!(
        reason(&v).contains("no-such-toolchain-bg"),
        "{}",
        reason(&v)
    );

    let v = run(&[]);
    assert_eq!(
        v["crates"][0]["analysis"]["status"],
        "analysed",
        "{}",
        reason(&v)
    );
    let seen = std::fs::read_to_string(&probe).expect("build script ran");
    assert!(seen.lines().all(|l| l.starts_with("Some(\"1\")")), "{seen}");
    if !installed {
        std::io::Write::write_all(
            &mut std::io::stderr(),
            b"a_configured_toolchain_builds_the_json: no nightly toolchain installed (`rustup run nightly rustdoc --version` failed): the nightly part is skipped\n",
        )
        .ok();
        return;
    }
    std::fs::remove_file(&probe).expect("reset probe");
    let v = run(&["--rustdoc-toolchain", "nightly"]);
    assert_eq!(
        v["crates"][0]["analysis"]["status"],
        "analysed",
        "{}",
        reason(&v)
    );
    let seen = std::fs::read_to_string(&probe).expect("build script ran");
    assert_eq!(seen.lines().count(), 2, "{seen}");
    assert!(
        seen.lines().all(|l| l.starts_with("None Some(\"nightly")),
        "built by nightly without RUSTC_BOOTSTRAP: {seen}"
    );
    assert!(
        notes(&v).contains("by toolchain nightly (rustdoc "),
        "{}",
        notes(&v)
    );
    // The cache key is the toolchain's: both builds are kept.
    let cached = std::fs::read_dir(work.path().join("cache/bumpguard/rustdoc"))
        .expect("cache")
        .count();
    assert_eq!(cached, 4);
}

/// `[engine]` in bumpguard.toml: a crate named in `[engine.crates]` keeps
/// its engine whatever `--engine` says; other crates get `--engine`, else
/// `[engine] default`.
#[test]
fn check_reads_the_engine_of_each_crate_from_the_configuration() {
    let b = support::bump::bumped_all(&["rustdoc-auto-trait", "breaking-in-minor"]);
    let run = |config: &str, args: &[&str]| -> serde_json::Value {
        b.repo.write("bumpguard.toml", config);
        let out = b
            .bumpguard()
            .args(["check", "--no-run-contracts", "--format", "json", "--repo"])
            .arg(b.repo.path())
            .args(["--base", &b.base, "--head", &b.head])
            // Not committed, so named: check reads the head commit's otherwise.
            .arg("--config")
            .arg(b.repo.path().join("bumpguard.toml"))
            .args(args)
            .output()
            .expect("run bumpguard");
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
    };
    let krate = |v: &serde_json::Value, name: &str| -> serde_json::Value {
        v["crates"]
            .as_array()
            .expect("crates")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {v}"))
    };
    let by_rustdoc = |c: &serde_json::Value| {
        c["notes"]
            .to_string()
            .contains("rustdoc engine: the crate was compiled")
    };
    let lost_send = |c: &serde_json::Value| {
        c["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|x| x["code"] == "auto-trait-lost")
    };

    let v = run("[engine.crates]\nautotrait = \"rustdoc\"\n", &[]);
    let (auto, brk) = (krate(&v, "autotrait"), krate(&v, "brk"));
    assert!(by_rustdoc(&auto) && lost_send(&auto), "{auto}");
    assert!(
        auto["notes"]
            .to_string()
            .contains("API read by the rustdoc engine, as bumpguard.toml:2 asks for this crate"),
        "{}",
        auto["notes"]
    );
    assert!(!by_rustdoc(&brk), "{brk}");

    // `--engine` decides for the others, not for a crate named in the file.
    let v = run(
        "[engine]\ndefault = \"syn\"\n\n[engine.crates]\nautotrait = \"syn\"\n",
        &["--engine", "rustdoc"],
    );
    let (auto, brk) = (krate(&v, "autotrait"), krate(&v, "brk"));
    assert!(!by_rustdoc(&auto) && !lost_send(&auto), "{auto}");
    assert!(by_rustdoc(&brk), "{brk}");

    // `[engine] default` without `--engine`.
    let v = run("[engine]\ndefault = \"rustdoc\"\n", &[]);
    assert!(by_rustdoc(&krate(&v, "brk")));
    assert!(lost_send(&krate(&v, "autotrait")));

    // A bad value is an error at its line.
    b.repo
        .write("bumpguard.toml", "[engine]\ndefault = \"fast\"\n");
    let out = b
        .bumpguard()
        .args(["check", "--no-run-contracts", "--repo"])
        .arg(b.repo.path())
        .args(["--base", &b.base, "--head", &b.head])
        .arg("--config")
        .arg(b.repo.path().join("bumpguard.toml"))
        .output()
        .expect("run bumpguard");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "bumpguard.toml:2: `default` is \"syn\", \"rustdoc\" or \"both\", not \"fast\""
        ),
        "{err}"
    );
}

/// `W<T>(Box<T>)` -> `W<T>(Arc<T>)`: `W<T>` is Send only when `T` is Send
/// *and* Sync now. The auto-trait impls' conditions are compared: tightened
/// is major, loosened (the way back) minor. Impls for two instances of a
/// generic type stay two items.
#[test]
fn auto_trait_conditions_are_compared() {
    let work = tempfile::tempdir().expect("tempdir");
    let boxed = "pub struct W<T>(Box<T>);\npub struct X<T>(T);\npub trait Tr {}\nimpl Tr for X<u8> {}\nimpl Tr for X<u16> {}\n";
    let shared = "pub struct W<T>(std::sync::Arc<T>);\npub struct X<T>(T);\npub trait Tr {}\nimpl Tr for X<u8> {}\n";
    for (side, v, lib) in [("old", "1.0.0", boxed), ("new", "1.0.1", shared)] {
        write_crate(
            &work.path().join(side),
            "gen",
            v,
            "",
            &[("src/lib.rs", lib)],
        );
    }
    let (_, v) = diff_dirs(work.path(), &["--engine", "rustdoc"]);
    let c = change(&v, "generic-bounds-tightened", "gen::W impl Send");
    assert_eq!(c["required"], "major", "{c}");
    assert!(
        c["new"]
            .as_str()
            .unwrap_or_default()
            .contains("where T: Sync + Send"),
        "{c}"
    );
    change(&v, "generic-bounds-tightened", "gen::W impl Sync");
    // `impl Tr for X<u16>` went; `impl Tr for X<u8>` stays.
    change(&v, "trait-impl-removed", "gen::X impl Tr for X<u16>");
    assert!(
        !changes(&v)
            .iter()
            .any(|(_, p)| p == "gen::X impl Tr for X<u8>"),
        "{:?}",
        changes(&v)
    );

    // The way back loosens the conditions.
    let back = tempfile::tempdir().expect("tempdir");
    for (side, v, lib) in [("old", "1.0.0", shared), ("new", "1.0.1", boxed)] {
        write_crate(
            &back.path().join(side),
            "gen",
            v,
            "",
            &[("src/lib.rs", lib)],
        );
    }
    let (_, v) = diff_dirs(back.path(), &["--engine", "rustdoc"]);
    assert_eq!(
        change(&v, "generic-bounds-loosened", "gen::W impl Send")["required"],
        "minor"
    );
}

/// Under `both`, when rustdoc read both versions, the syn engine's notes
/// about what it cannot see (auto traits, unexpanded macros) are not shown:
/// the compiler saw them.
#[test]
fn both_drops_syn_notes_that_rustdoc_made_untrue() {
    let cache = tempfile::tempdir().expect("tempdir");
    for pair in ["rustdoc-auto-trait", "rustdoc-derive-via-macro"] {
        let syn = diff_pair(pair, "syn", cache.path());
        let both = diff_pair(pair, "both", cache.path());
        let untrue = [
            "auto traits (Send, Sync",
            "macro invocation(s) were not expanded",
        ];
        assert!(
            untrue.iter().any(|n| notes(&syn).contains(n)),
            "{pair}: {}",
            notes(&syn)
        );
        for gone in untrue {
            assert!(!notes(&both).contains(gone), "{pair}: {}", notes(&both));
        }
        assert!(notes(&both).contains("its build script and proc macros ran"));
    }
}

/// Both engines give one crate's functions, methods, trait methods and
/// type headers the same canonical parts (`FnShape`, `GenericsShape`) and
/// comparison forms, and name its types by the same public paths: rustdoc's
/// resolved types go through the syn engine's canonicalization.
#[test]
fn both_engines_fill_the_same_canonical_signatures() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("gen");
    write_crate(
        &dir,
        "gen",
        "1.0.0",
        "",
        &[(
            "src/lib.rs",
            "mod a { pub struct Foo; }\n\
             pub use a::Foo as Bar;\n\
             pub struct TimeDelta(pub u64);\n\
             pub type Duration = TimeDelta;\n\
             pub struct S<'a, T: Clone = u8, const N: usize = 4>(pub &'a [T; N]) where T: Send;\n\
             pub enum E<T> { A(T), B { x: Vec<T> } }\n\
             pub trait Tr<A>: Send + Clone { fn put(&self, a: A) -> Option<A>; fn get<'x>(&'x self, k: &str) -> &'x A; }\n\
             pub async fn f(x: &Bar, d: Duration) -> Vec<u8> { let _ = (x, d); Vec::new() }\n\
             pub fn g<T: Tr<u8> + ?Sized>(t: &T, it: impl Iterator<Item = u8> + Send) -> impl std::future::Future<Output = ()> { let _ = (t, it); async {} }\n\
             pub fn h<'a, 'b>(x: &'a str, _y: &'b str) -> &'a str { x }\n\
             pub struct W<T>(T);\n\
             impl<U: Clone> W<U> { pub fn new(t: U) -> Self { W(t) } pub fn get(&mut self) -> &U { &self.0 } }\n\
             pub fn p1(f: for<'a> fn(&'a str) -> &'a str, g: &dyn Fn(&str) -> &str) -> Box<dyn Fn(u8) -> u8 + Send + 'static> { let _ = (f, g); Box::new(|x| x) }\n\
             pub fn p2<I: Iterator>(i: I) -> Option<<I as Iterator>::Item> where I::Item: Clone { let mut i = i; i.next() }\n\
             pub unsafe extern \"C\" fn p3(p: *const u8, q: *mut [u16; 3]) -> (u8, ()) { let _ = (p, q); (0, ()) }\n\
             pub fn p4<const K: usize>(a: [u8; K], b: &'static str) -> impl Fn(&str) -> String + use<K> { let _ = (a, b); |s: &str| s.to_string() }\n\
             pub fn p5<'a, T: 'a + ?Sized>(x: &'a T, y: &mut &'a T) -> &'a T where T: std::fmt::Debug { let _ = y; x }\n\
             pub fn p6(x: impl for<'a> Fn(&'a u8) -> &'a u8, y: std::collections::HashMap<String, Vec<u8>>) { let _ = (x, y); }\n\
             pub trait It { type Item; fn next(&mut self) -> Option<Self::Item>; fn by_ref(&mut self) -> &mut Self where Self: Sized { self } }\n",
        )],
    );
    let syn = bumpguard::api::syn_engine::surface_from_dir(&dir).expect("syn");
    let mut opts = rustdoc_engine::BuildOptions::new(work.path().join("cache"));
    opts.offline = true;
    let rd = rustdoc_engine::surface_from_dir(&dir, &opts).expect("rustdoc");
    for key in [
        "f",
        "g",
        "h",
        "W::new",
        "W::get",
        "Tr::put",
        "Tr::get",
        "p1",
        "p2",
        "p3",
        "p4",
        "p5",
        "p6",
        "It::next",
        "It::by_ref",
    ] {
        let (s, r) = (&syn.items[key], &rd.items[key]);
        assert!(s.facts.fn_sig.is_some(), "{key}: syn has no FnShape");
        assert_eq!(s.facts.fn_sig, r.facts.fn_sig, "{key}");
        assert_eq!(s.shape, r.shape, "{key}");
    }
    for key in ["S", "E", "Tr", "Duration", "TimeDelta"] {
        let (s, r) = (&syn.items[key], &rd.items[key]);
        assert!(
            s.facts.generics.is_some(),
            "{key}: syn has no GenericsShape"
        );
        assert_eq!(s.facts.generics, r.facts.generics, "{key}");
        assert_eq!(s.shape, r.shape, "{key}");
    }
    for key in ["S.0", "E::A", "E::B"] {
        assert_eq!(syn.items[key].shape, rd.items[key].shape, "{key}");
    }
    // Types, which signatures name (syn lists the paths of functions too).
    let sorted = |s: &bumpguard::api::ApiSurface| -> Vec<(String, Vec<String>)> {
        s.local_paths
            .iter()
            .filter(|(k, _)| {
                s.items.get(*k).is_some_and(|i| {
                    use bumpguard::api::ItemKind as K;
                    matches!(
                        i.kind,
                        K::Struct | K::Enum | K::Union | K::Trait | K::TypeAlias
                    )
                })
            })
            .map(|(k, v)| {
                let mut v = v.clone();
                v.sort();
                (k.clone(), v)
            })
            .collect()
    };
    assert_eq!(sorted(&syn), sorted(&rd));
}
