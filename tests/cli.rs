//! The command line on fixture crate pairs: exit codes, what the reports say,
//! and snapshots of the human report (so a change in wording is reviewed).

mod support;

use assert_cmd::Command;
use support::fixture;

fn bumpguard() -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("BUMPGUARD_OFFLINE", "1").arg("--color=never");
    c
}

fn diff_pair(pair: &str, format: &str) -> (i32, String, String) {
    let out = bumpguard()
        .args(["diff", "--format", format, "--old"])
        .arg(fixture(pair, "old"))
        .arg("--new")
        .arg(fixture(pair, "new"))
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The human report without the machine-specific directory names.
fn human(pair: &str) -> (i32, String) {
    let (code, out, _) = diff_pair(pair, "human");
    let root = fixture(pair, "");
    let text = out.replace(&root.display().to_string(), "<pair>/");
    (code, text)
}

fn json(pair: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = diff_pair(pair, "json");
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad json ({e}): {out}\n{err}"));
    (code, v)
}

fn codes(v: &serde_json::Value) -> Vec<(String, String)> {
    v["crates"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap_or("").to_string(),
                c["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn field_added_to_constructible_struct_in_a_patch_bump_is_a_violation() {
    let (code, v) = json("field-added-constructible");
    assert_eq!(code, 1);
    assert_eq!(
        codes(&v),
        vec![(
            "struct-pub-field-added-constructible".to_string(),
            "acme_opts::tls::acme::alpn::Opts.tls_config".to_string()
        )]
    );
    assert_eq!(v["crates"][0]["violations"], 1);
    let (_, text) = human("field-added-constructible");
    insta::assert_snapshot!("field_added_constructible_human", text);
}

#[test]
fn formatting_comments_and_parameter_names_are_not_changes() {
    let (code, v) = json("formatting-only");
    assert_eq!(code, 0, "{v}");
    assert_eq!(codes(&v), Vec::<(String, String)>::new());
    assert_eq!(v["verdict"]["status"], "pass");
}

#[test]
fn reexported_moves_are_not_changes_but_a_removed_path_is() {
    let (code, v) = json("reexports");
    let got = codes(&v);
    // Client moved into a private module, still public as client::Client,
    // prelude::Client and the root glob: no change. prelude::HttpClient went.
    assert!(
        got.contains(&(
            "item-removed".to_string(),
            "reexp::prelude::HttpClient".to_string()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("item-added".to_string(), "reexp::ClientBuilder".to_string())),
        "{got:?}"
    );
    assert!(
        !got.iter()
            .any(|(_, p)| p == "reexp::client::Client" || p == "reexp::Client"),
        "{got:?}"
    );
    assert!(!got.iter().any(|(_, p)| p.contains("connect")), "{got:?}");
    // 2.3.0 -> 2.4.0 allows minor changes; a removal is major.
    assert_eq!(code, 1);
}

#[test]
fn breaking_changes_in_a_minor_bump() {
    let (code, v) = json("breaking-in-minor");
    assert_eq!(code, 1);
    let got = codes(&v);
    let expect = [
        ("enum-variant-added", "brk::Mode::Paranoid"),
        ("fn-signature-changed", "brk::open"),
        ("item-removed", "brk::legacy"),
        ("item-removed", "brk::store_key!"),
        ("item-signature-changed", "brk::LIMIT"),
        ("trait-item-added-required", "brk::Store::put"),
    ];
    for (c, p) in expect {
        assert!(
            got.contains(&(c.to_string(), p.to_string())),
            "missing {c} {p} in {got:?}"
        );
    }
    assert_eq!(got.len(), expect.len(), "{got:?}");
    assert!(!got.iter().any(|(_, p)| p.contains("only_in_tests")));
    let (_, text) = human("breaking-in-minor");
    insta::assert_snapshot!("breaking_in_minor_human", text);
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_the_rest_analysed() {
    let (code, v) = json("parse-error");
    assert_eq!(code, 1, "an incomplete analysis blocks");
    let c = &v["crates"][0];
    assert_eq!(c["analysis"]["status"], "partial");
    let problems = c["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap_or("").contains("src/bad.rs:1")),
        "{problems:?}"
    );
    // The good file was still analysed.
    assert!(codes(&v).contains(&("item-added".to_string(), "perr::good::more".to_string())));
}

#[test]
fn a_module_that_includes_itself_is_a_problem_not_a_crash() {
    // `#[path = "lib.rs"] pub mod again;` in src/a.rs: the crate root again.
    let (code, v) = json("module-cycle");
    assert_eq!(code, 1, "an incomplete analysis blocks");
    let c = &v["crates"][0];
    assert_eq!(c["analysis"]["status"], "partial");
    let problems = c["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| {
            let p = p.as_str().unwrap_or("");
            p.contains("src/a.rs:4") && p.contains("cycle")
        }),
        "{problems:?}"
    );
    // What was read before the cycle is still compared.
    assert!(codes(&v).contains(&("item-added".to_string(), "mcycle::a::again".to_string())));

    let out = bumpguard()
        .args(["api", "--path"])
        .arg(fixture("module-cycle", "new"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "listed with a warning");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("src/a.rs:4") && err.contains("cycle"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("mcycle::a::inner"));
}

#[test]
fn api_lists_items_one_a_line() {
    let out = bumpguard()
        .args(["api", "--path"])
        .arg(fixture("breaking-in-minor", "old"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!("api_breaking_in_minor_old", text);
}

#[test]
fn usage_errors_exit_2() {
    bumpguard().args(["diff", "only-a-name"]).assert().code(2);
    bumpguard().args(["api", "no-at-sign"]).assert().code(2);
    let out = bumpguard()
        .args(["diff", "--old", "/nonexistent/a", "--new", "/nonexistent/b"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/a"));
}

#[test]
fn an_unknown_feature_is_refused_not_ignored() {
    let out = bumpguard()
        .args(["diff", "--features", "acme-alpm", "--old"])
        .arg(fixture("field-added-constructible", "old"))
        .arg("--new")
        .arg(fixture("field-added-constructible", "new"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("has no feature `acme-alpm` in either version (features: acme-alpn, default)"),
        "{err}"
    );
    // The right name is accepted, and the change under it is in view.
    let out = bumpguard()
        .args([
            "diff",
            "--features",
            "acme-alpn",
            "--format",
            "json",
            "--old",
        ])
        .arg(fixture("field-added-constructible", "old"))
        .arg("--new")
        .arg(fixture("field-added-constructible", "new"))
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["crates"][0]["violations"], 1);
}

#[test]
fn an_optional_dependency_named_with_dep_is_no_feature() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for side in ["old", "new"] {
        let dir = tmp.path().join(side);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"fx\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nflate2 = { version = \"1\", optional = true }\nhex = { version = \"0.4\", optional = true }\n\n[features]\ngz = [\"dep:flate2\"]\n",
        )
        .expect("manifest");
        std::fs::write(dir.join("src/lib.rs"), "pub fn f() {}\n").expect("lib");
    }
    let run = |feature: &str| {
        bumpguard()
            .args(["diff", "--features", feature, "--old"])
            .arg(tmp.path().join("old"))
            .arg("--new")
            .arg(tmp.path().join("new"))
            .output()
            .expect("run")
    };
    let out = run("flate2");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has no feature `flate2` in either version (features: gz, hex)"),
        "{err}"
    );
    // An optional dependency no feature names with `dep:` is a feature.
    assert_eq!(run("hex").status.code(), Some(0));
}
