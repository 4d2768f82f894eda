//! Behavioural diff on fixture crate pairs: what changed inside the code when
//! the API did not, and silence when only comments, layout or tests changed.

mod support;

use assert_cmd::Command;
use support::fixture;

fn report(pair: &str, old: &str, new: &str) -> serde_json::Value {
    let out = Command::cargo_bin("bumpguard")
        .expect("binary")
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["diff", "--format", "json", "--old"])
        .arg(fixture(pair, old))
        .arg("--new")
        .arg(fixture(pair, new))
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{pair}: bad json ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn behavior(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["crates"][0]["behavior"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_incident_constructor_no_longer_spawns_its_driver() {
    let v = report("incident-spawn-removed", "old", "new");
    assert_eq!(
        v["crates"][0]["changes"],
        serde_json::json!([]),
        "the API did not change"
    );
    let b = behavior(&v);
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(b[0]["code"], "constructor-changed");
    assert_eq!(b[0]["item"], "tls_certs::acme::AcmeAlpn::new");
    assert_eq!(b[0]["public"], true);
    assert_eq!(
        strings(&b[0]["effects_removed"]),
        vec!["task spawn (tokio::spawn)"]
    );
    assert!(
        b[0]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("task spawn (tokio::spawn) removed")
    );
    assert!(strings(&b[0]["calls_removed"]).contains(&"tokio::spawn".to_string()));
    let diff = b[0]["diff"].as_str().expect("a diff of the function");
    assert!(diff.contains("-    tokio::spawn(driver.run());"), "{diff}");
    assert!(
        !diff.contains("fn resolver"),
        "the diff covers this function only: {diff}"
    );
}

#[test]
fn a_field_value_rewritten_before_use_shows_the_new_literal() {
    let v = report("field-value-rewritten", "old", "new");
    assert_eq!(v["crates"][0]["changes"], serde_json::json!([]));
    let b = behavior(&v);
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(b[0]["code"], "fn-body-changed");
    assert_eq!(b[0]["item"], "acme_account::contacts");
    assert_eq!(strings(&b[0]["literals_added"]), vec!["\"mailto:{}\""]);
    assert!(strings(&b[0]["calls_added"]).contains(&"format!".to_string()));
}

#[test]
fn comments_layout_order_and_tests_are_never_behaviour() {
    for pair in [
        "comments-only",
        "rustfmt-settings",
        "reordered-items",
        "cfg-test-only",
        "formatting-only",
    ] {
        let v = report(pair, "old", "new");
        assert_eq!(behavior(&v), Vec::<serde_json::Value>::new(), "{pair}");
        assert_eq!(v["crates"][0]["changes"], serde_json::json!([]), "{pair}");
    }
}

#[test]
fn every_pair_against_itself_is_silent() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairs");
    let mut pairs: Vec<String> = std::fs::read_dir(root)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    pairs.sort();
    assert!(pairs.len() >= 10);
    for pair in &pairs {
        for side in ["old", "new"] {
            let v = report(pair, side, side);
            assert_eq!(
                behavior(&v),
                Vec::<serde_json::Value>::new(),
                "{pair} {side}"
            );
            assert_eq!(
                v["crates"][0]["changes"],
                serde_json::json!([]),
                "{pair} {side}"
            );
        }
    }
}

#[test]
fn private_changes_reach_public_entry_points() {
    let v = report("reexports", "old", "new");
    // Nothing inside changed in that pair; the reach test uses the ic-bn-lib
    // shape in a pair of its own.
    assert_eq!(behavior(&v), Vec::<serde_json::Value>::new());
    let v = report("private-helper-changed", "old", "new");
    let b = behavior(&v);
    let via = b
        .iter()
        .find(|c| c["code"] == "changed-via-callee")
        .unwrap_or_else(|| panic!("no reach finding in {b:#?}"));
    assert_eq!(via["item"], "helpers::Client::send");
    assert_eq!(strings(&via["via"]), vec!["helpers::Client::encode"]);
    let private = b
        .iter()
        .find(|c| c["item"] == "helpers::Client::encode (private)")
        .expect("the helper itself");
    assert_eq!(private["code"], "fn-body-changed");
    assert_eq!(
        strings(&private["effects_added"]),
        vec!["environment variable access (env::var)"]
    );
    // Public entry points come first.
    assert_eq!(b[0]["public"], true);
}

#[test]
fn new_code_is_checked_for_effects() {
    let v = report("new-code-effects", "old", "new");
    let b = behavior(&v);
    let new_fn = b
        .iter()
        .find(|c| c["item"] == "telemetry::report_usage (private)")
        .unwrap_or_else(|| panic!("new private function not reported: {b:#?}"));
    assert_eq!(new_fn["code"], "new-code-effects");
    let effects = strings(&new_fn["effects_added"]).join("; ");
    for e in [
        "network access",
        "task spawn",
        "environment variable access",
    ] {
        assert!(effects.contains(e), "{effects}");
    }
    let drop = b
        .iter()
        .find(|c| c["item"] == "telemetry::Client::drop (impl Drop)")
        .expect("new Drop impl");
    assert!(
        strings(&drop["effects_added"])
            .join(" ")
            .contains("process control")
    );
    let greet = b
        .iter()
        .find(|c| c["code"] == "changed-via-callee")
        .expect("reach");
    assert_eq!(greet["item"], "telemetry::Client::greet");
    assert!(
        greet["summary"]
            .as_str()
            .unwrap_or("")
            .contains("which gained"),
        "{greet}"
    );
    // The new trait impl is an API change that a patch release may not carry.
    assert_eq!(v["crates"][0]["violations"], 1);
}
