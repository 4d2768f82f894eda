//! `bumpguard rules check` and `rules list`: rule files are read with every
//! problem reported at once, with file and line; the built-in pack is valid.

use assert_cmd::Command;

fn bumpguard() -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env_remove("GITHUB_ACTIONS").arg("--color=never");
    c
}

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn every_problem_in_every_rule_file_is_reported_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    std::fs::create_dir(repo.join(".git")).ok();
    write(
        repo,
        ".bumpguard/rules/unknown-key.toml",
        "crate = \"a\"\npaths = [\"**\"]\nreason = \"r\"\nseverty = \"critical\"\n",
    );
    write(
        repo,
        ".bumpguard/rules/bad-pattern.toml",
        "crate = \"a\"\nreason = \"r\"\npaths = [\n  \"tls::acme\",\n  \"tls/acme\",\n]\n",
    );
    write(
        repo,
        ".bumpguard/rules/dup.toml",
        "crate = \"a\"\npaths = [\"x::**\"]\nreason = \"r\"\n",
    );
    write(
        repo,
        "bumpguard.toml",
        "[rule.dup]\ncrate = \"b\"\npaths = [\"**\"]\nreason = \"twice\"\n",
    );
    let out = bumpguard()
        .args(["rules", "check", "--repo"])
        .arg(repo)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("unknown-key.toml:4: unknown key `severty`"),
        "{err}"
    );
    assert!(
        err.contains("bad-pattern.toml:5: bad pattern `tls/acme`"),
        "{err}"
    );
    assert!(err.contains("duplicate rule id `dup`"), "{err}");
    assert!(err.contains("3 problems found"), "{err}");

    // Given as paths, the files are checked the same way.
    let out = bumpguard()
        .args(["rules", "check"])
        .arg(repo.join(".bumpguard/rules/unknown-key.toml"))
        .arg(repo.join(".bumpguard/rules/dup.toml"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("1 problem found"), "{err}");
}

#[test]
fn the_built_in_pack_is_valid_and_listed_with_its_origin() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let out = bumpguard()
        .args(["rules", "check"])
        .arg(&dir)
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let n: usize = said
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(n >= 20, "at least 20 built-in rules: {said}");

    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bumpguard.toml",
        "[rules]\ndisable = [\"url-parsing\"]\n\n[rule.our-tls]\ncrate = \"rustls\"\npaths = [\"server::**\"]\nreason = \"our listeners\"\n",
    );
    let out = bumpguard()
        .args(["rules", "list", "--format", "json", "--repo"])
        .arg(tmp.path())
        .assert()
        .code(0);
    let rules: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert!(ids.contains(&"ic-bn-lib-acme"), "{ids:?}");
    assert!(ids.contains(&"our-tls"), "{ids:?}");
    assert!(!ids.contains(&"url-parsing"), "disabled: {ids:?}");
    assert_eq!(ids.len(), n, "34 built-in - 1 disabled + 1 own");
    let own = rules.iter().find(|r| r["id"] == "our-tls").unwrap();
    assert_eq!(own["origin"]["kind"], "config");
}

#[test]
fn contracts_rules_and_policy_are_validated_together() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    write(
        repo,
        ".bumpguard/rules/empty.toml",
        "crate = \"url\"\npaths = []\nreason = \"never triggers\"\n",
    );
    write(
        repo,
        ".bumpguard/rules/lone.toml",
        "crate = \"url\"\npaths = \"Url::parse\"\nreason = \"r\"\n",
    );
    write(
        repo,
        "bumpguard.toml",
        "[policy]\ncontract-timeout = 0\n\n[[contract]]\nrule = \"serde-json-serialisation\"\npackage = \"svc\"\n\n[rule.x]\ncrate = \"a\"\npaths = [\"**\"]\nreason = \"r\"\n\n[rule.empty]\ncrate = \"b\"\npaths = [\"**\"]\nreason = \"twice\"\n",
    );
    let out = bumpguard()
        .args(["rules", "check", "--repo"])
        .arg(repo)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    // The configuration's own problem does not hide the rule files'.
    assert!(
        err.contains("bumpguard.toml:2: `contract-timeout` must be a whole number of 1 or more"),
        "{err}"
    );
    assert!(
        err.contains("empty.toml:1: rule `empty` lists no pattern"),
        "{err}"
    );
    assert!(
        err.contains("lone.toml:2: `paths` must be an array of strings"),
        "{err}"
    );

    // ... nor its other problems: the contract's unknown rule and the
    // duplicate id, at their own lines.
    assert!(
        err.contains("bumpguard.toml:4: [[contract]] is bound to rule `serde-json-serialisation`, which is not a rule in force"),
        "{err}"
    );
    assert!(
        err.contains("bumpguard.toml:13: duplicate rule id `empty`"),
        "{err}"
    );
}

#[test]
fn key_problems_do_not_hide_what_the_configuration_means() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    // The trial's file: a disabled rule that is not built in, a contract
    // bound to no rule in force, and a typo in the same contract.
    write(
        repo,
        "bumpguard.toml",
        "[rules]\ndisable = [\"no-such-rule\"]\n\n[[contract]]\nrule = \"no-such-rule-either\"\ntset = \"contracts\"\npackage = \"svc\"\n\n[rule.broken]\ncrate = \"a\"\nreason = \"r\"\n\n[[contract]]\nrule = \"broken\"\ncommand = [\"true\"]\n",
    );
    let out = bumpguard()
        .args(["rules", "check", "--repo"])
        .arg(repo)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "error: bumpguard.toml:2: `disable` names `no-such-rule`, which is not a built-in rule (see `bumpguard rules list`)",
            "error: bumpguard.toml:4: [[contract]] is bound to rule `no-such-rule-either`, which is not a rule in force (see `bumpguard rules list`)",
            "error: bumpguard.toml:6: unknown key `tset` in [[contract]] (known keys: rule, crate, paths, package, test, filter, command, timeout, workspace, exact)",
            // The broken rule's own problem, not also "not a rule in force".
            "error: bumpguard.toml:9: rule `broken` needs `paths` or `files` (use paths = [\"**\"] for the whole crate)",
            "bumpguard: 4 problems found",
        ],
        "{err}"
    );
    // `check` says all of it at once too.
    git2::Repository::init(repo).unwrap();
    write(repo, "Cargo.lock", "version = 3\n");
    let out = bumpguard()
        .args(["check", "--repo"])
        .arg(repo)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for line in &lines[..4] {
        let problem = line.trim_start_matches("error: ");
        assert!(err.contains(problem), "{problem}\n{err}");
    }
    // Every line of the cause is indented under `caused by:`.
    let cause: Vec<&str> = err.lines().skip(1).collect();
    assert!(
        cause[0].starts_with("  caused by: bumpguard.toml:2: "),
        "{err}"
    );
    assert!(
        cause[1..]
            .iter()
            .all(|l| l.starts_with("             bumpguard.toml:")),
        "{err}"
    );
}

#[test]
fn small_things_rules_check_and_list_get_right() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git2::Repository::init(repo).unwrap();
    write(
        repo,
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"url\"\nversion = \"2.5.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    write(
        repo,
        "bumpguard.toml",
        "[rule.url-parsing]\ncrate = \"url\"\npaths = [\"**\"]\nreason = \"ours\"\non = [\"effects\"]\neffects = [\"network\"]\n\n[rule.typo]\ncrate = \"urll\"\npaths = [\"**\"]\nreason = \"r\"\n",
    );
    // A crate no lockfile has is a warning, not an error.
    let out = bumpguard()
        .args(["rules", "check", "--repo"])
        .arg(repo)
        .assert()
        .code(0);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        err.trim(),
        "warning: bumpguard.toml:8: rule `typo` is for crate `urll`, which no Cargo.lock of the repository has (a typo, or a crate this repository does not use?)"
    );
    // `rules list`: what triggers each rule, the table's line, and that it
    // replaces the built-in of that id.
    let out = bumpguard()
        .args(["rules", "list", "--repo"])
        .arg(repo)
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let line = said
        .lines()
        .find(|l| l.starts_with("url-parsing "))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        line.ends_with(
            "url: ** on effects (effects: network)  (bumpguard.toml:1, replaces built-in)"
        ),
        "{line}"
    );
    assert!(
        said.lines()
            .any(|l| l.starts_with("http-request-line-parsing ")
                && l.contains(" on api, behavior  (built-in)")),
        "{said}"
    );

    // An upper-case crate name is an error; a file given twice (by itself
    // and through its folder) is reported once.
    write(
        repo,
        "more/up.toml",
        "crate = \"HTTP\"\npaths = [\"**\"]\nreason = \"r\"\n",
    );
    let out = bumpguard()
        .current_dir(repo)
        .args(["rules", "check", "more/up.toml", "more/"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "error: more/up.toml:1: `crate = \"HTTP\"` has upper-case letters: it is matched exactly as Cargo.lock writes it, and crate names are lower case (write \"http\")",
            "bumpguard: 1 problem found",
        ],
        "{err}"
    );
    // A configuration that is not there: no such file, no line.
    let out = bumpguard()
        .args(["rules", "check", "--config", "/nonexistent/bumpguard.toml"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.starts_with(
            "error: /nonexistent/bumpguard.toml: cannot read the configuration: no such file\n"
        ),
        "{err}"
    );
}

#[test]
fn rule_files_given_as_paths_are_checked_for_duplicate_ids_across_them() {
    let tmp = tempfile::tempdir().unwrap();
    let rule = "crate = \"url\"\npaths = [\"**\"]\nreason = \"r\"\n";
    write(tmp.path(), "dup.toml", rule);
    write(tmp.path(), "sub/dup.toml", rule);
    write(tmp.path(), "sub/other.toml", rule);
    let out = bumpguard()
        .current_dir(tmp.path())
        .args(["rules", "check", "dup.toml", "sub/dup.toml"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("sub/dup.toml:1: duplicate rule id `dup`: already defined in dup.toml"),
        "{err}"
    );
    // A folder and a file in it are the same rule, not a duplicate.
    let out = bumpguard()
        .current_dir(tmp.path())
        .args(["rules", "check", "sub", "sub/dup.toml"])
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(said.contains("2 rules valid"), "{said}");
}

#[test]
fn a_configuration_given_as_a_path_gets_the_whole_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = "[rules]\ndisable = [\"no-such-rule\"]\ndirs = [\"does/not/exist\"]\n\n[[contract]]\nrule = \"nope\"\ncommand = [\"true\"]\n";
    write(tmp.path(), "bumpguard.toml", cfg);
    write(tmp.path(), "ci.toml", cfg);
    for name in ["bumpguard.toml", "ci.toml"] {
        let out = bumpguard()
            .current_dir(tmp.path())
            .args(["rules", "check", name])
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            err.contains(&format!("{name}:2: `disable` names `no-such-rule`")),
            "{err}"
        );
        assert!(
            err.contains(&format!("{name}:3: rule folder")) && err.contains("does not exist"),
            "{err}"
        );
        assert!(
            err.contains(&format!("{name}:5: [[contract]] is bound to rule `nope`")),
            "{err}"
        );
        assert!(err.contains("3 problems found"), "{err}");
        // Never read as a rule file.
        assert!(!err.contains("unknown key"), "{err}");
        if name == "ci.toml" {
            assert!(
                err.contains("`bumpguard check --config ci.toml` uses it"),
                "{err}"
            );
        }
    }
}

#[test]
fn contracts_bound_by_crate_are_listed_as_rules() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bumpguard.toml",
        "[[contract]]\ncrate = \"http\"\npaths = [\"header::**\"]\ncommand = [\"true\"]\n",
    );
    let out = bumpguard()
        .args(["rules", "list", "--repo"])
        .arg(tmp.path())
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let line = said
        .lines()
        .find(|l| l.starts_with("contract:http:header::**"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(line.contains("critical"), "{line}");
    assert!(line.contains("http: header::**"), "{line}");
    assert!(line.contains("[[contract]] at "), "{line}");
}
