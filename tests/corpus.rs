//! The API fixture corpus (`tests/fixtures/api/`): one small crate pair per
//! change kind, each with an `expect.toml` that states the codes and the
//! bump it requires. See `docs/api-fixtures.md`.
//!
//! For every pair the expectation is checked first, for all pairs, and only
//! then the full JSON report is compared with its snapshot: a snapshot that
//! disagrees with the written expectation cannot be accepted on its own.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api")
}

/// What a pair must produce, from its `expect.toml`.
#[derive(Debug, PartialEq)]
struct Expect {
    shows: String,
    /// `major`, `minor`, `patch`, or `none` (no API change at all).
    required: String,
    /// Codes of the expected findings, sorted, one per finding.
    codes: Vec<String>,
    /// Texts that must appear in the crate's notes.
    notes: Vec<String>,
}

fn read_expect(pair: &Path) -> Result<Expect, String> {
    let path = pair.join("expect.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let t: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let strings = |key: &str| -> Vec<String> {
        t.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let word = |key: &str| t.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let e = Expect {
        shows: word("shows").ok_or(format!("{}: no `shows`", path.display()))?,
        required: word("required").ok_or(format!("{}: no `required`", path.display()))?,
        codes: strings("codes"),
        notes: strings("notes"),
    };
    if !["major", "minor", "patch", "none"].contains(&e.required.as_str()) {
        return Err(format!("{}: bad required {:?}", path.display(), e.required));
    }
    if (e.required == "none") != e.codes.is_empty() {
        return Err(format!(
            "{}: `none` goes with an empty code list and only with it",
            path.display()
        ));
    }
    let mut sorted = e.codes.clone();
    sorted.sort();
    if sorted != e.codes {
        return Err(format!("{}: codes must be sorted", path.display()));
    }
    Ok(e)
}

fn pairs() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(corpus_dir())
        .expect("tests/fixtures/api")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().to_string(), e.path()))
        .collect();
    out.sort();
    out
}

/// `bumpguard diff --old A --new B --format json`, with the pair's directory
/// replaced by `<pair>` so that the report does not depend on the checkout.
fn diff(pair: &Path, old: &str, new: &str) -> Result<Value, String> {
    diff_with(pair, old, new, &[])
}

fn diff_with(pair: &Path, old: &str, new: &str, flags: &[&str]) -> Result<Value, String> {
    let out = Command::cargo_bin("bumpguard")
        .expect("binary")
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["--color=never", "diff", "--format", "json", "--old"])
        .arg(pair.join(old))
        .arg("--new")
        .arg(pair.join(new))
        .args(flags)
        .output()
        .map_err(|e| e.to_string())?;
    let code = out.status.code().unwrap_or(-1);
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&format!("{}/", pair.display()), "<pair>/");
    if code != 0 && code != 1 {
        return Err(format!(
            "exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("bad json ({e}): {stdout}"))
}

fn krate(v: &Value) -> &Value {
    &v["crates"][0]
}

fn codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = krate(v)["changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["code"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default();
    c.sort();
    c
}

fn check_pair(name: &str, dir: &Path) -> Result<Value, String> {
    let e = read_expect(dir)?;
    let v = diff(dir, "old", "new")?;
    let got = codes(&v);
    if got != e.codes {
        return Err(format!("{name}: codes {got:?}, expected {:?}", e.codes));
    }
    let required = krate(&v)["required"].as_str().unwrap_or("?").to_string();
    let want = if e.required == "none" {
        "patch"
    } else {
        e.required.as_str()
    };
    if required != want {
        return Err(format!("{name}: required {required}, expected {want}"));
    }
    let notes: Vec<&str> = krate(&v)["notes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for n in &e.notes {
        if !notes.iter().any(|x| x.contains(n.as_str())) {
            return Err(format!("{name}: no note mentions {n:?}: {notes:?}"));
        }
    }
    if krate(&v)["analysis"]["status"] != "analysed" {
        return Err(format!("{name}: analysis {}", krate(&v)["analysis"]));
    }
    // A version compared with itself: nothing at all.
    for side in ["old", "new"] {
        let same = diff(dir, side, side)?;
        let c = krate(&same);
        for field in ["changes", "behavior", "manifest"] {
            if c[field].as_array().is_none_or(|a| !a.is_empty()) {
                return Err(format!(
                    "{name}: {side} -> {side} reports {field}: {}",
                    c[field]
                ));
            }
        }
    }
    Ok(v)
}

#[test]
fn every_pair_reports_what_its_expectation_says_and_matches_its_snapshot() {
    let pairs = pairs();
    assert!(pairs.len() >= 80, "only {} pairs", pairs.len());
    let mut failures = Vec::new();
    let mut reports = Vec::new();
    for (name, dir) in &pairs {
        match check_pair(name, dir) {
            Ok(v) => reports.push((name.clone(), v)),
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs fail their expect.toml:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
    for (name, v) in reports {
        let text = serde_json::to_string_pretty(&v).expect("json");
        insta::assert_snapshot!(format!("api_{name}"), text);
    }
}

/// One row of the table in `docs/api-fixtures.md`.
fn doc_rows() -> BTreeMap<String, (String, Vec<String>, String)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api-fixtures.md"))
            .expect("docs/api-fixtures.md");
    let mut rows = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        if cells.len() != 4 || !cells[1].starts_with('`') {
            continue;
        }
        let kind = cells[0].trim_start_matches("| ").replace("\\|", "|");
        let name = cells[1].trim_matches('`').to_string();
        let codes: Vec<String> = if cells[2] == "(none)" {
            Vec::new()
        } else {
            cells[2]
                .split(", ")
                .map(|c| c.trim_matches('`').to_string())
                .collect()
        };
        let level = cells[3].trim_end_matches(" |").to_string();
        assert!(
            rows.insert(name.clone(), (kind, codes, level)).is_none(),
            "{name} has two rows"
        );
    }
    rows
}

#[test]
fn the_docs_table_lists_every_pair_with_its_expectation() {
    let rows = doc_rows();
    let mut on_disk = BTreeSet::new();
    for (name, dir) in pairs() {
        let e = read_expect(&dir).unwrap_or_else(|e| panic!("{e}"));
        let row = rows
            .get(&name)
            .unwrap_or_else(|| panic!("docs/api-fixtures.md has no row for {name}"));
        assert_eq!(
            row,
            &(e.shows.clone(), e.codes.clone(), e.required.clone()),
            "{name}: docs row differs from expect.toml"
        );
        on_disk.insert(name);
    }
    let documented: BTreeSet<String> = rows.keys().cloned().collect();
    assert_eq!(
        documented, on_disk,
        "docs/api-fixtures.md lists pairs that do not exist"
    );
}

#[test]
fn every_api_change_code_has_a_fixture() {
    let mut used = BTreeSet::new();
    for (_, dir) in pairs() {
        used.extend(read_expect(&dir).unwrap_or_else(|e| panic!("{e}")).codes);
    }
    // Codes only the compiler can decide have their pairs with the rustdoc
    // engine's tests (the syn engine, which this corpus runs, never emits them).
    const COMPILER_ONLY: &[(&str, &str)] = &[("auto-trait-lost", "rustdoc-auto-trait")];
    let rustdoc_tests = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rustdoc_engine.rs"),
    )
    .expect("tests/rustdoc_engine.rs");
    for (code, pair) in COMPILER_ONLY {
        assert!(
            rustdoc_tests.contains(code) && rustdoc_tests.contains(pair),
            "{code} must be tested on the {pair} pair in tests/rustdoc_engine.rs"
        );
        used.insert(code.to_string());
    }
    let missing: Vec<&str> = bumpguard::semver_check::RULES
        .iter()
        .map(|r| r.code)
        .filter(|c| !used.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    let unknown: Vec<&String> = used
        .iter()
        .filter(|c| !bumpguard::semver_check::RULES.iter().any(|r| r.code == *c))
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures expect unknown codes: {unknown:?}"
    );
}

/// (code, violation, outside_features) of each change under `flags`.
fn seen_with(pair: &str, flags: &[&str]) -> Vec<(String, bool, Option<String>)> {
    let v = diff_with(&corpus_dir().join(pair), "old", "new", flags)
        .unwrap_or_else(|e| panic!("{pair} {flags:?}: {e}"));
    krate(&v)["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap_or("?").to_string(),
                c["violation"].as_bool().unwrap_or(false),
                c["outside_features"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn the_feature_flags_choose_the_view() {
    let field = "non-default-feature-item-field-added";
    let major = "struct-pub-field-added-constructible".to_string();
    let extra = Some("feature extra".to_string());
    // Default view: named with its feature, and still a violation (the
    // crate's promise covers every feature).
    assert_eq!(
        seen_with(field, &[]),
        vec![(major.clone(), true, extra.clone())]
    );
    // A feature set without it: listed, not a violation.
    assert_eq!(
        seen_with(field, &["--no-default-features"]),
        vec![(major.clone(), false, extra.clone())]
    );
    assert_eq!(
        seen_with(field, &["--features", "std"]),
        vec![(major.clone(), false, extra)]
    );
    // With it: an ordinary violation.
    assert_eq!(
        seen_with(field, &["--features", "extra"]),
        vec![(major.clone(), true, None)]
    );
    assert_eq!(
        seen_with(field, &["--all-features"]),
        vec![(major, true, None)]
    );

    // Moved behind `extra`: gated by default, a mere cfg change when the
    // view has `extra`.
    let gated = "item-moved-behind-non-default-feature";
    assert_eq!(seen_with(gated, &[])[0].0, "item-feature-gated");
    assert_eq!(seen_with(gated, &["--all-features"])[0].0, "cfg-changed");
    assert_eq!(seen_with(gated, &["--features=extra"])[0].0, "cfg-changed");
    // Moved behind the default `std`: gated only without default features.
    let std = "item-moved-behind-default-feature";
    assert_eq!(seen_with(std, &[])[0].0, "cfg-changed");
    assert_eq!(
        seen_with(std, &["--no-default-features"])[0].0,
        "item-feature-gated"
    );
}

/// `bumpguard api --path` lists a variant re-exported with a glob by its
/// own path (`fx::Red`), as users name it.
#[test]
fn the_api_listing_names_reexported_variants() {
    let dir = corpus_dir()
        .join("variant-glob-reexport-removed")
        .join("old");
    let out = Command::cargo_bin("bumpguard")
        .expect("binary")
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["--color=never", "api", "--path"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for path in ["fx::Red", "fx::Blue", "fx::Color::Red"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("variant {path}: "))),
            "{path} not listed:\n{text}"
        );
    }
}
