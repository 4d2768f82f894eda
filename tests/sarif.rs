//! `--format sarif`: the output is valid SARIF 2.1.0 (checked with the real
//! `check-jsonschema` against the official schema, vendored in
//! tests/fixtures), every result names a rule of the driver, levels follow
//! the verdict, and `check` results point at the bumped line of Cargo.lock.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use support::bump::bumped;
use support::tools::{assert_valid_sarif, available, check_jsonschema, sarif_schema};
use support::{Pkg, Repo, fixture, lockfile};

const INSTALL: &str = "python3 -m pip install check-jsonschema; .ci/run installs it";

fn bumpguard() -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("BUMPGUARD_OFFLINE", "1")
        .env_remove("GITHUB_ACTIONS")
        .arg("--color=never");
    c
}

/// Writes `text` to a file in `dir` and validates it, when the validator is installed.
fn validate(text: &str, dir: &Path, test: &str) {
    let file = dir.join("report.sarif");
    std::fs::write(&file, text).expect("write sarif");
    if available("check-jsonschema", test, INSTALL) {
        assert_valid_sarif(&file);
    }
}

/// Rule ids are unique and every result's `ruleIndex` names the rule of its `ruleId`.
fn assert_rules_consistent(log: &Value) -> Vec<String> {
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<String> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate rules: {ids:?}");
    for r in run["results"].as_array().expect("results") {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "{r}");
    }
    // Every rule is used by a result (one rule per code used).
    for id in &ids {
        assert!(
            run["results"]
                .as_array()
                .expect("results")
                .iter()
                .any(|r| r["ruleId"] == id.as_str()),
            "rule {id} is not used"
        );
    }
    ids
}

#[test]
fn a_semver_violation_is_an_error_result_of_valid_sarif() {
    let out = bumpguard()
        .args(["diff", "--format", "sarif", "--old"])
        .arg(fixture("breaking-in-minor", "old"))
        .arg("--new")
        .arg(fixture("breaking-in-minor", "new"))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let tmp = tempfile::tempdir().expect("tempdir");
    validate(
        &text,
        tmp.path(),
        "a_semver_violation_is_an_error_result_of_valid_sarif",
    );

    let log: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "bumpguard");
    assert_eq!(run["properties"]["verdict"], "blocked");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let ids = assert_rules_consistent(&log);
    assert!(ids.contains(&"fn-signature-changed".to_string()), "{ids:?}");

    // The same run as JSON: one error result per violation, nothing else an error.
    let json = bumpguard()
        .args(["diff", "--format", "json", "--old"])
        .arg(fixture("breaking-in-minor", "old"))
        .arg("--new")
        .arg(fixture("breaking-in-minor", "new"))
        .assert()
        .code(1);
    let json: Value = serde_json::from_slice(&json.get_output().stdout).expect("json");
    let violations = json["crates"][0]["violations"]
        .as_u64()
        .expect("violations");
    assert_eq!(violations, 6);
    let results = run["results"].as_array().expect("results");
    let errors: Vec<&Value> = results.iter().filter(|r| r["level"] == "error").collect();
    assert_eq!(errors.len() as u64, violations, "{results:#?}");
    assert!(errors.iter().all(|r| r["properties"]["violation"] == true));
    // Every API change, behaviour finding and manifest finding is a result.
    let total = ["changes", "behavior", "manifest"]
        .iter()
        .map(|k| json["crates"][0][k].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert_eq!(results.len(), total);

    let open = results
        .iter()
        .find(|r| r["ruleId"] == "fn-signature-changed")
        .expect("fn-signature-changed result");
    let message = open["message"]["text"].as_str().expect("text");
    assert!(message.starts_with("brk 1.2.0 -> 1.3.0: "), "{message}");
    assert!(
        message.contains("new: pub fn open(path: &str, create: bool) -> u64"),
        "{message}"
    );
    // `diff` has no lockfile: the item's path is the only location.
    assert!(open["locations"][0].get("physicalLocation").is_none());
    assert_eq!(
        open["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "brk::open"
    );

    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule = rules
        .iter()
        .find(|r| r["id"] == "fn-signature-changed")
        .expect("rule");
    assert_eq!(
        rule["helpUri"],
        "https://doc.rust-lang.org/cargo/reference/semver.html#fn-change-arity"
    );
    assert_eq!(rule["name"], "FnSignatureChanged");
    assert!(
        rule["help"]["text"]
            .as_str()
            .expect("help")
            .contains("major")
    );
}

#[test]
fn check_results_point_at_the_bumped_line_of_the_head_lockfile() {
    let b = bumped("field-added-constructible");
    let out = b
        .bumpguard()
        .args([
            "check", "--format", "sarif", "--base", &b.base, "--head", &b.head, "--repo",
        ])
        .arg(b.repo.path())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    validate(
        &text,
        b.tmp.path(),
        "check_results_point_at_the_bumped_line_of_the_head_lockfile",
    );
    let log: Value = serde_json::from_str(&text).expect("json");
    assert_rules_consistent(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    let line = b.version_line();
    assert_eq!(
        b.head_lock.lines().nth(line - 1),
        Some("version = \"0.1.10\"")
    );
    for r in results {
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "Cargo.lock", "{r}");
        assert_eq!(physical["region"]["startLine"], line, "{r}");
        assert_eq!(r["properties"]["crate"], "acme-opts");
        assert_eq!(
            r["partialFingerprints"]["bumpguardFinding/v1"]
                .as_str()
                .map(str::len),
            Some(32)
        );
    }
    let violation = results
        .iter()
        .find(|r| r["ruleId"] == "struct-pub-field-added-constructible")
        .expect("the violation");
    assert_eq!(violation["level"], "error");
}

#[test]
fn a_crate_not_analysed_is_an_error_result() {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    repo.write("src/main.rs", "fn main() {}\n");
    let git_lock = |version: &str, commit: char| {
        let source = format!(
            "git+https://github.com/example/dep?branch=main#{}",
            commit.to_string().repeat(40)
        );
        lockfile(&[
            Pkg {
                name: "app",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["dep"],
            },
            Pkg {
                name: "dep",
                version,
                source: Some(&source),
                checksum: None,
                deps: &[],
            },
        ])
    };
    repo.write("Cargo.lock", &git_lock("0.5.0", '1'));
    repo.commit("initial");
    let head_lock = git_lock("0.6.0", '2');
    repo.write("Cargo.lock", &head_lock);
    let entry = head_lock
        .find("name = \"dep\"\nversion = \"0.6.0\"")
        .expect("entry");
    let version_line = head_lock[..entry].lines().count() + 2;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = bumpguard()
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env("CARGO_HOME", tmp.path().join("cargo-home"))
        .args(["check", "--base", "HEAD", "--format", "sarif", "--repo"])
        .arg(repo.path())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    validate(&text, tmp.path(), "a_crate_not_analysed_is_an_error_result");
    let log: Value = serde_json::from_str(&text).expect("json");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "not-analysed");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        version_line
    );
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
}

#[test]
fn a_run_that_cannot_start_writes_sarif_that_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let not_a_repo = tmp.path().join("plain");
    std::fs::create_dir_all(&not_a_repo).expect("mkdir");
    let file = tmp.path().join("out.sarif");
    bumpguard()
        .args(["check", "--format", "sarif", "--output"])
        .arg(&file)
        .arg("--repo")
        .arg(&not_a_repo)
        .assert()
        .code(2);
    let text = std::fs::read_to_string(&file).expect("a report file was written");
    validate(
        &text,
        tmp.path(),
        "a_run_that_cannot_start_writes_sarif_that_says_so",
    );
    let log: Value = serde_json::from_str(&text).expect("json");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["level"],
        "error"
    );
    assert_eq!(log["runs"][0]["properties"]["verdict"], "error");
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn audit_writes_sarif_and_never_blocks() {
    let b = bumped("field-added-constructible");
    let file = b.tmp.path().join("audit.sarif");
    b.bumpguard()
        .args([
            "audit", "--format", "sarif", "--base", &b.base, "--head", &b.head, "--output",
        ])
        .arg(&file)
        .arg("--repo")
        .arg(b.repo.path())
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&file).expect("audit report");
    validate(&text, b.tmp.path(), "audit_writes_sarif_and_never_blocks");
    let log: Value = serde_json::from_str(&text).expect("json");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["level"] == "error"));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        b.version_line()
    );
}

/// The validation above is real: the same schema refuses a log with a
/// level SARIF does not define and one without its version.
#[test]
fn the_schema_check_refuses_invalid_sarif() {
    if !available(
        "check-jsonschema",
        "the_schema_check_refuses_invalid_sarif",
        INSTALL,
    ) {
        return;
    }
    let out = bumpguard()
        .args(["diff", "--format", "sarif", "--old"])
        .arg(fixture("breaking-in-minor", "old"))
        .arg("--new")
        .arg(fixture("breaking-in-minor", "new"))
        .assert()
        .code(1);
    let log: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let tmp = tempfile::tempdir().expect("tempdir");
    let schema = sarif_schema();
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    let mut no_version = log.clone();
    no_version
        .as_object_mut()
        .expect("object")
        .remove("version");
    for (name, bad) in [("level", bad_level), ("version", no_version)] {
        let file = tmp.path().join(format!("{name}.sarif"));
        std::fs::write(&file, bad.to_string()).expect("write");
        let (ok, said) = check_jsonschema(&[
            "--schemafile".as_ref(),
            schema.as_os_str(),
            file.as_os_str(),
        ]);
        assert!(!ok, "an invalid log ({name}) was accepted: {said}");
    }
}

/// The vendored schema is the official file, unmodified (tests/fixtures/README.md).
#[test]
fn the_vendored_schema_is_the_official_one() {
    let bytes = std::fs::read(sarif_schema()).expect("schema");
    assert_eq!(
        support::sha256_hex(&bytes),
        "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
    );
    let schema: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
}

/// A critical-module rule the bump triggers is an error result of its own
/// rule (`rule:<id>`, described from the rule file); once a person accepts
/// the rule hit and the violation, both results carry an `accepted`
/// suppression and are no longer errors.
#[test]
fn rule_hits_are_results_and_acceptances_are_suppressions() {
    let b = bumped("field-added-constructible");
    // The configuration is read at the head revision: commit it.
    b.repo.write(
        "bumpguard.toml",
        "[rule.acme-opts-alpn]\ncrate = \"acme-opts\"\npaths = [\"tls::acme::**\"]\nreason = \"certificates for every listener come from here\"\nreference = \"https://docs.rs/acme-opts\"\n",
    );
    let head = b.repo.commit("a rule for acme-opts");
    let sarif = |b: &support::bump::Bumped, head: &str, code: i32| -> Value {
        let out = b
            .bumpguard()
            .args(["check", "--format", "sarif", "--no-run-contracts"])
            .args(["--base", &b.base, "--head", head, "--repo"])
            .arg(b.repo.path())
            .assert()
            .code(code);
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        validate(
            &text,
            b.tmp.path(),
            "rule_hits_are_results_and_acceptances_are_suppressions",
        );
        serde_json::from_str(&text).expect("json")
    };
    let log = sarif(&b, &head, 1);
    assert_rules_consistent(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let hit = results
        .iter()
        .find(|r| r["ruleId"] == "rule:acme-opts-alpn")
        .expect("a result for the rule hit");
    assert_eq!(hit["level"], "error");
    assert_eq!(hit["properties"]["blocks"], true);
    assert!(hit.get("suppressions").is_none());
    let text = hit["message"]["text"].as_str().expect("text");
    assert!(
        text.contains("critical rule `acme-opts-alpn` triggered"),
        "{text}"
    );
    assert_eq!(
        hit["locations"][0]["physicalLocation"]["region"]["startLine"],
        b.version_line()
    );
    let rule = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "rule:acme-opts-alpn")
        .expect("descriptor");
    assert_eq!(rule["helpUri"], "https://docs.rs/acme-opts");
    assert_eq!(
        rule["shortDescription"]["text"],
        "Certificates for every listener come from here"
    );

    // Accept the rule hit and the semver violation by their finding ids.
    let violation = results
        .iter()
        .find(|r| r["properties"]["violation"] == true)
        .expect("violation");
    for finding in [
        &hit["properties"]["finding"],
        &violation["properties"]["finding"],
    ] {
        let id = finding.as_str().expect("finding id");
        b.bumpguard()
            .args([
                "accept",
                id,
                "--reason",
                "reviewed",
                "--by",
                "Ada <ada@example.com>",
            ])
            .args(["--base", &b.base, "--head", &head, "--repo"])
            .arg(b.repo.path())
            .assert()
            .code(0);
    }
    let accepted = b.repo.commit("accept the rule hit and the violation");
    let log = sarif(&b, &accepted, 0);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(
        results.iter().all(|r| r["level"] != "error"),
        "{results:#?}"
    );
    for id in [
        "rule:acme-opts-alpn",
        "struct-pub-field-added-constructible",
    ] {
        let r = results.iter().find(|r| r["ruleId"] == id).expect(id);
        assert_eq!(r["suppressions"][0]["kind"], "external", "{r}");
        assert_eq!(r["suppressions"][0]["status"], "accepted", "{r}");
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .is_some_and(|j| j.starts_with("accepted in ") && j.contains("bumpguard.toml:")),
            "{r}"
        );
    }
}

/// The repository's code that reaches a triggered rule's items: related
/// locations with ids, linked from the result's message as `[text](id)`
/// (GitHub shows related locations only when the message links them).
#[test]
fn call_sites_are_related_locations_linked_from_the_message() {
    let b = bumped("incident-spawn-removed");
    b.repo.write(
        "bumpguard.toml",
        "[rule.tls-certs-acme]\ncrate = \"tls-certs\"\npaths = [\"acme::**\"]\nreason = \"certificates [all of them] come from here\"\n",
    );
    b.repo.write(
        "src/main.rs",
        "fn main() {\n    let _a = tls_certs::acme::AcmeAlpn::new(todo!());\n}\n\nfn again() {\n    let _b = tls_certs::acme::AcmeAlpn::new(todo!());\n}\n",
    );
    let head = b.repo.commit("use tls-certs; bind a rule");
    let out = b
        .bumpguard()
        .args(["check", "--format", "sarif", "--no-run-contracts"])
        .args(["--base", &b.base, "--head", &head, "--repo"])
        .arg(b.repo.path())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    validate(
        &text,
        b.tmp.path(),
        "call_sites_are_related_locations_linked_from_the_message",
    );
    let log: Value = serde_json::from_str(&text).expect("json");
    let hit = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "rule:tls-certs-acme")
        .expect("a result for the rule hit")
        .clone();
    let related = hit["relatedLocations"].as_array().expect("related");
    assert_eq!(related.len(), 2, "{hit}");
    for (i, (loc, line)) in related.iter().zip([2, 6]).enumerate() {
        assert_eq!(loc["id"], i + 1, "{loc}");
        let physical = &loc["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "src/main.rs");
        assert_eq!(physical["region"]["startLine"], line);
        assert!(
            loc["message"]["text"]
                .as_str()
                .is_some_and(|t| t.ends_with("AcmeAlpn::new is named here")),
            "{loc}"
        );
    }
    let message = hit["message"]["text"].as_str().expect("text");
    assert!(
        message.ends_with("\nYour code reaching it: [src/main.rs:2](1), [src/main.rs:6](2)."),
        "{message}"
    );
    // Brackets that are not links are escaped, as SARIF asks.
    assert!(
        message.contains("certificates \\[all of them\\] come"),
        "{message}"
    );
}
