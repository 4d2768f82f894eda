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
    let opts = rustdoc_engine::BuildOptions {
        cache_dir: cache.path().to_path_buf(),
        offline: true,
        features: rustdoc_engine::Features::Default,
    };
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

/// Pairs where the engines are known to disagree, and why.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "field-added-constructible",
        "the new field is behind a feature that is off by default: syn lists every feature's items, rustdoc builds one configuration",
    ),
    (
        "rustdoc-auto-trait",
        "auto traits: only the compiler sees them",
    ),
    (
        "rustdoc-derive-via-macro",
        "a derive inside a macro: syn does not expand macros",
    ),
    (
        "rustdoc-macro-fn",
        "a fn generated by a macro: syn does not expand macros",
    ),
];

/// On the whole fixture corpus, both engines report the same changes
/// wherever both could read the pair; the exceptions are listed above.
/// Pairs with dependencies cannot be built offline unless cargo's cache has
/// them: they fall back to syn and are counted, not compared.
#[test]
fn engines_agree_on_the_fixture_corpus() {
    let cache = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairs");
    let mut pairs: Vec<String> = std::fs::read_dir(root)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    pairs.sort();
    let mut compared = Vec::new();
    let mut not_built = Vec::new();
    for pair in &pairs {
        let v = diff_pair(pair, "both", cache.path());
        let n = notes(&v);
        if n.contains("not analysed by rustdoc") {
            not_built.push(pair.clone());
            continue;
        }
        compared.push(pair.clone());
        let disagrees = n.contains("engines disagree");
        let known = KNOWN_DISAGREEMENTS.iter().any(|(p, _)| p == pair);
        assert_eq!(disagrees, known, "{pair}: {n}");
    }
    std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "engines compared on {} pairs; not built by rustdoc here (dependencies not in cargo's cache offline, or not valid Rust): {}\n",
            compared.len(),
            not_built.join(", ")
        )
        .as_bytes(),
    )
    .ok();
    for must in [
        "breaking-in-minor",
        "field-added-constructible",
        "formatting-only",
        "new-code-effects",
        "private-helper-changed",
        "reexports",
        "rustdoc-auto-trait",
        "rustdoc-derive-via-macro",
        "rustdoc-macro-fn",
    ] {
        assert!(
            compared.iter().any(|p| p == must),
            "{must} has no dependencies: it must be compared"
        );
    }
}
