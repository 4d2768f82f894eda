//! The incident this tool exists for, end to end and offline.
//!
//! A small service depends on `certlib`, a certificate library served from
//! a local directory registry (the `cargo vendor` layout) made by this test.
//! In certlib 1.5.0 the ACME constructor stops spawning the driver that
//! issues certificates: everything compiles, the API only grew, and the
//! service's TLS listener would get no certificate. A rule marks certlib's
//! `tls::acme` module critical; the service binds a contract test that asks
//! the resolver for a certificate.
//!
//! Needs: cargo and git2 only; no network (`BUMPGUARD_OFFLINE=1`, and cargo
//! runs `--offline` against the directory registry).

mod support;

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use support::Repo;

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// certlib's `tls::acme` module in each version.
fn acme_source(version: &str) -> String {
    let common = r#"use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// What to request certificates for.
pub struct Opts {
    pub domains: Vec<String>,
}

/// Hands certificate chains to the TLS stack.
pub struct Resolver {
    certs: Mutex<Vec<(String, String)>>,
    ready: Condvar,
}

impl Resolver {
    /// The chain for `domain`, waiting up to two seconds for issuance.
    pub fn certificate(&self, domain: &str) -> Option<String> {
        let guard = self.certs.lock().ok()?;
        let (guard, _) = self
            .ready
            .wait_timeout_while(guard, Duration::from_secs(2), |c| {
                !c.iter().any(|(d, _)| d == domain)
            })
            .ok()?;
        guard.iter().find(|(d, _)| d == domain).map(|(_, c)| c.clone())
    }
}

/// Talks to the ACME server and installs the issued chains.
pub struct Driver {
    resolver: Arc<Resolver>,
    domains: Vec<String>,
}

impl Driver {
    pub fn run(self) {
        for d in self.domains {
            let chain = format!("-----BEGIN CERTIFICATE-----\n{d}\n-----END CERTIFICATE-----");
            if let Ok(mut certs) = self.resolver.certs.lock() {
                certs.push((d, chain));
            }
            self.resolver.ready.notify_all();
        }
    }
}

fn resolver() -> Arc<Resolver> {
    Arc::new(Resolver { certs: Mutex::new(Vec::new()), ready: Condvar::new() })
}
"#;
    let client = match version {
        "1.4.0" => {
            r#"
/// The ACME TLS-ALPN-01 client; certificates are issued in the background.
pub struct AcmeAlpn {
    resolver: Arc<Resolver>,
}

impl AcmeAlpn {
    pub fn new(opts: Opts) -> Self {
        let resolver = resolver();
        let driver = Driver { resolver: resolver.clone(), domains: opts.domains };
        std::thread::spawn(move || driver.run());
        AcmeAlpn { resolver }
    }

    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver.clone()
    }
}
"#
        }
        // The driver is handed to the caller instead of being started.
        "1.5.0" | "1.5.2" => {
            r#"
/// The ACME TLS-ALPN-01 client. Run the driver from `take_driver()` on the
/// runtime of your choice.
pub struct AcmeAlpn {
    resolver: Arc<Resolver>,
    driver: Option<Driver>,
}

impl AcmeAlpn {
    pub fn new(opts: Opts) -> Self {
        let resolver = resolver();
        let driver = Driver { resolver: resolver.clone(), domains: opts.domains };
        AcmeAlpn { resolver, driver: Some(driver) }
    }

    pub fn take_driver(&mut self) -> Option<Driver> {
        self.driver.take()
    }

    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver.clone()
    }
}
"#
        }
        // Fixed: started again unless the caller takes the driver first.
        "1.5.1" => {
            r#"
/// The ACME TLS-ALPN-01 client; certificates are issued in the background.
pub struct AcmeAlpn {
    resolver: Arc<Resolver>,
    driver: Option<Driver>,
}

impl AcmeAlpn {
    pub fn new(opts: Opts) -> Self {
        let resolver = resolver();
        let driver = Driver { resolver: resolver.clone(), domains: opts.domains };
        std::thread::spawn(move || driver.run());
        AcmeAlpn { resolver, driver: None }
    }

    pub fn take_driver(&mut self) -> Option<Driver> {
        self.driver.take()
    }

    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver.clone()
    }
}
"#
        }
        other => panic!("no certlib {other}"),
    };
    let mut text = format!("{common}{client}");
    if version == "1.5.2" {
        // A further change of the same module: renewal margin moved.
        text.push_str(
            "\n/// Days before expiry when renewal starts.\npub const RENEW_DAYS: u32 = 20;\n",
        );
    }
    text
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes certlib `version` into the directory registry, with the
/// `.cargo-checksum.json` cargo (and bumpguard) verify; returns the
/// package checksum that Cargo.lock records.
fn publish(registry: &Path, version: &str) -> String {
    publish_source(registry, version, &acme_source(version), "")
}

/// [`publish`] with the given `tls::acme` source; `edition` tells two
/// publications of one version apart in the package checksum.
fn publish_source(registry: &Path, version: &str, acme: &str, edition: &str) -> String {
    let dir = registry.join(format!("certlib-{version}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let files: Vec<(&str, String)> = vec![
        (
            "Cargo.toml",
            format!("[package]\nname = \"certlib\"\nversion = \"{version}\"\nedition = \"2021\"\n"),
        ),
        ("src/lib.rs", "pub mod tls;\n".to_string()),
        ("src/tls/mod.rs", "pub mod acme;\n".to_string()),
        ("src/tls/acme.rs", acme.to_string()),
    ];
    let mut sums = serde_json::Map::new();
    for (rel, text) in &files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        sums.insert(rel.to_string(), sha256_hex(text.as_bytes()).into());
    }
    // A registry's package checksum is the .crate's sha256; this registry
    // has no .crate, so any stable digest of the version does.
    let package = sha256_hex(format!("certlib-{version}{edition}").as_bytes());
    let json = serde_json::json!({ "files": sums, "package": package });
    std::fs::write(dir.join(".cargo-checksum.json"), json.to_string()).unwrap();
    package
}

struct Incident {
    _tmp: tempfile::TempDir,
    repo: Repo,
    registry: PathBuf,
    checksums: std::collections::BTreeMap<String, String>,
    cargo_home: PathBuf,
    cache: PathBuf,
    target: PathBuf,
}

const RULE: &str = r#"crate = "certlib"
paths = ["tls::acme::**"]
reason = "every listener's certificate chain comes from certlib's ACME client"
reference = "https://example.com/certlib/acme"
"#;

const BINDING: &str = r#"[[contract]]
rule = "certlib-acme"
package = "service"
test = "contracts"
filter = "acme"
"#;

impl Incident {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let registry = tmp.path().join("registry");
        let mut checksums = std::collections::BTreeMap::new();
        for v in ["1.4.0", "1.5.0", "1.5.1", "1.5.2"] {
            checksums.insert(v.to_string(), publish(&registry, v));
        }
        let cargo_home = tmp.path().join("cargo-home");
        std::fs::create_dir_all(&cargo_home).unwrap();
        let repo = Repo::new();
        repo.write(
            ".cargo/config.toml",
            &format!(
                "[source.crates-io]\nreplace-with = \"fixture-registry\"\n\n[source.fixture-registry]\ndirectory = \"{}\"\n",
                registry.display()
            ),
        );
        repo.write(".gitignore", "/target\n");
        repo.write(
            "src/lib.rs",
            "//! The service: serves TLS with certificates from certlib's ACME client.\n\
             use certlib::tls::acme::{AcmeAlpn, Opts};\n\n\
             pub fn start(domains: Vec<String>) -> AcmeAlpn {\n    AcmeAlpn::new(Opts { domains })\n}\n",
        );
        repo.write(
            "tests/contracts.rs",
            "#[test]\n\
             fn acme_certificate_is_issued() {\n    \
                 let acme = service::start(vec![\"example.com\".to_string()]);\n    \
                 let chain = acme.resolver().certificate(\"example.com\");\n    \
                 assert!(chain.is_some(), \"no certificate for example.com: the ACME driver never ran\");\n\
             }\n",
        );
        repo.write(".bumpguard/rules/certlib-acme.toml", RULE);
        repo.write("bumpguard.toml", BINDING);
        let inc = Incident {
            repo,
            registry,
            checksums,
            cargo_home,
            cache: tmp.path().join("cache"),
            target: tmp.path().join("target"),
            _tmp: tmp,
        };
        inc.use_certlib("1.4.0");
        inc
    }

    /// certlib 1.5.0 published again with a different constructor body
    /// (it checks the domains first), as a registry tree replaced in place:
    /// a new package checksum, which Cargo.lock then records.
    fn republish_1_5_0(&mut self) {
        let source = acme_source("1.5.0").replace(
            "        let resolver = resolver();\n        let driver = Driver { resolver: resolver.clone(), domains: opts.domains };\n        AcmeAlpn { resolver, driver: Some(driver) }",
            "        assert!(!opts.domains.is_empty(), \"no domain to request a certificate for\");\n        let resolver = resolver();\n        let driver = Driver { resolver: resolver.clone(), domains: opts.domains };\n        AcmeAlpn { resolver, driver: Some(driver) }",
        );
        assert_ne!(source, acme_source("1.5.0"), "the body must change");
        let sum = publish_source(&self.registry, "1.5.0", &source, " republished");
        assert_ne!(sum, self.checksums["1.5.0"]);
        self.checksums.insert("1.5.0".to_string(), sum);
    }

    /// Points the service at certlib `version` (manifest and lockfile).
    fn use_certlib(&self, version: &str) {
        self.repo.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncertlib = \"={version}\"\n"
            ),
        );
        self.repo.write(
            "Cargo.lock",
            &format!(
                "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n\
                 [[package]]\nname = \"certlib\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{}\"\n\n\
                 [[package]]\nname = \"service\"\nversion = \"0.1.0\"\ndependencies = [\n \"certlib\",\n]\n",
                self.checksums[version]
            ),
        );
    }

    fn bumpguard(&self) -> Command {
        let mut c = Command::cargo_bin("bumpguard").unwrap();
        c.env("CARGO_HOME", &self.cargo_home)
            .env("XDG_CACHE_HOME", &self.cache)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("BUMPGUARD_OFFLINE", "1")
            .env_remove("GITHUB_ACTIONS")
            .current_dir(self.repo.path())
            .arg("--color=never");
        c
    }

    /// `bumpguard check --base BASE --head HEAD --no-run-contracts` in
    /// `format`, under GitHub Actions when `github`: (stdout, stderr).
    fn report(&self, base: &str, head: &str, format: &str, github: bool) -> (String, String) {
        let mut c = self.bumpguard();
        if github {
            c.env("GITHUB_ACTIONS", "true");
        }
        let out = c
            .args([
                "check",
                "--base",
                base,
                "--head",
                head,
                "--no-run-contracts",
            ])
            .arg(format!("--format={format}"))
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `bumpguard check --base BASE --head HEAD`: exit code, stdout, and the JSON report.
    fn check(&self, base: &str, head: &str, code: i32) -> (String, serde_json::Value) {
        let human = self
            .bumpguard()
            .args(["check", "--base", base, "--head", head])
            .assert()
            .code(code);
        let human = String::from_utf8_lossy(&human.get_output().stdout).into_owned();
        let json = self
            .bumpguard()
            .args([
                "check",
                "--base",
                base,
                "--head",
                head,
                "--format=json",
                "--no-run-contracts",
            ])
            .output()
            .unwrap();
        let report = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| {
            panic!(
                "json report: {e}\n{}",
                String::from_utf8_lossy(&json.stderr)
            )
        });
        (human, report)
    }
}

fn certlib(report: &serde_json::Value) -> &serde_json::Value {
    report["crates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "certlib")
        .expect("certlib in the report")
}

#[test]
fn the_acme_incident_is_caught_and_only_a_proof_or_an_acceptance_lets_it_through() {
    let mut inc = Incident::new();
    let base = inc.repo.commit("service on certlib 1.4.0");

    // 1. The bump that broke production: the contract runs and fails.
    inc.use_certlib("1.5.0");
    let broken = inc.repo.commit("bump certlib to 1.5.0");
    let (out, report) = inc.check(&base, &broken, 1);
    assert!(out.contains("CRITICAL RULE certlib-acme"), "{out}");
    assert!(out.contains("certlib::tls::acme::AcmeAlpn::new"), "{out}");
    assert!(out.contains("task spawn"), "{out}");
    // cargo test or cargo-nextest (when installed) runs the contract.
    let failed_line = out
        .lines()
        .find(|l| l.trim_start().starts_with("failed: "))
        .unwrap_or_else(|| panic!("no failed tests named:\n{out}"));
    assert!(failed_line.contains("acme_certificate_is_issued"), "{out}");
    assert!(out.contains("-p service --test contracts"), "{out}");
    assert!(out.contains("Verdict: BLOCKED"), "{out}");
    assert!(out.contains("your code reaching it: src/lib.rs:5"), "{out}");
    let hit = &certlib(&report)["rules"][0];
    assert_eq!(hit["rule"], "certlib-acme");
    assert_eq!(hit["call_sites"][0]["file"], "src/lib.rs");
    assert_eq!(
        hit["call_sites"][0]["item"],
        "certlib::tls::acme::AcmeAlpn::new"
    );
    assert_eq!(
        certlib(&report)["violations"],
        0,
        "the API only grew: no semver violation"
    );
    let finding = hit["finding"].as_str().unwrap().to_string();
    // The rule's reason and reference are in the pull-request comment.
    let (md, _) = inc.report(&base, &broken, "markdown", false);
    assert!(md.contains("**⛔ Critical rule `certlib-acme`**"), "{md}");
    assert!(
        md.contains("Reference: <https://example.com/certlib/acme>"),
        "{md}"
    );
    // `--no-run-contracts` (the JSON run) names the command exactly as the
    // run above ran it: the same runner, the same flags.
    let would_run = hit["contracts"][0]["command"].as_str().unwrap();
    assert_eq!(hit["contracts"][0]["status"], "not-run");
    assert!(
        out.contains(&format!("contract `{would_run}` (")),
        "{would_run}\n{out}"
    );
    // Under GitHub Actions the blocking rule is an error annotation.
    let gha = inc
        .bumpguard()
        .env("GITHUB_ACTIONS", "true")
        .args([
            "check",
            "--base",
            &base,
            "--head",
            &broken,
            "--no-run-contracts",
        ])
        .output()
        .unwrap();
    let annotations = String::from_utf8_lossy(&gha.stderr);
    assert!(
        annotations
            .lines()
            .any(|l| l.starts_with("::error") && l.contains("critical rule certlib-acme triggered")),
        "{annotations}"
    );
    // Its message reads as sentences: the rule's reason, then what to do.
    assert!(
        annotations.contains(
            "::Every listener's certificate chain comes from certlib's ACME client. Contracts not run (--no-run-contracts); `bumpguard check` runs `cargo "
        ),
        "{annotations}"
    );
    // SARIF: the rule hit points at the service's call site too.
    let sarif = inc
        .bumpguard()
        .args([
            "check",
            "--base",
            &base,
            "--head",
            &broken,
            "--format=sarif",
            "--no-run-contracts",
        ])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "rule:certlib-acme")
        .expect("a result for the rule");
    let related = &result["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "src/lib.rs", "{result}");
    assert_eq!(related["region"]["startLine"], 5, "{result}");

    // 2. The fixed release: the same contract passes, nothing blocks
    //    (with plain cargo test as the runner this time).
    inc.repo.write(
        "bumpguard.toml",
        &format!("[policy]\nrunner = \"cargo\"\n\n{BINDING}"),
    );
    inc.use_certlib("1.5.1");
    let fixed = inc.repo.commit("bump certlib to 1.5.1");
    let (out, report) = inc.check(&base, &fixed, 0);
    assert!(out.contains("-p service --test contracts"), "{out}");
    assert!(
        out.contains("contract `cargo test -p service --test contracts --locked --offline"),
        "{out}"
    );
    assert!(out.contains("): passed, 1 passed, 0 failed"), "{out}");
    assert!(out.contains("Verdict: pass"), "{out}");
    assert_eq!(certlib(&report)["rules"][0]["rule"], "certlib-acme");
    assert_eq!(
        certlib(&report)["rules"][0]["contracts"][0]["command"],
        "cargo test -p service --test contracts --locked --offline --no-fail-fast -- acme"
    );

    // 3. No contract bound: blocked, with a binding and a test to start from.
    //    The configuration is the head commit's, like the lockfile.
    inc.use_certlib("1.5.0");
    inc.repo.write("bumpguard.toml", "# contracts go here\n");
    let unbound = inc
        .repo
        .commit("bump certlib to 1.5.0, no contract binding");
    let (out, report) = inc.check(&base, &unbound, 1);
    assert!(
        out.contains("no contract test is bound to rule `certlib-acme`"),
        "{out}"
    );
    assert!(out.contains("rule = \"certlib-acme\""), "{out}");
    assert!(out.contains("fn certlib_acme_contract()"), "{out}");
    assert_eq!(certlib(&report)["rules"][0]["status"], "no-contract");
    // `broken` still carries its binding: its own configuration is read,
    // not the working tree's.
    let (out, _) = inc.check(&base, &broken, 1);
    assert!(out.contains("failed: "), "{out}");
    assert!(
        out.contains("configuration and rule folders read at"),
        "{out}"
    );

    // 4. A person accepts that exact change: it passes.
    inc.repo.write("bumpguard.toml", BINDING);
    let out = inc
        .bumpguard()
        .args(["accept", &finding, "--base", &base, "--head", &broken])
        .args([
            "--reason",
            "we start the driver ourselves now",
            "--by",
            "Ada <ada@example.com>",
        ])
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(said.contains(&format!("accepted {finding}")), "{said}");
    let cfg = std::fs::read_to_string(inc.repo.path().join("bumpguard.toml")).unwrap();
    assert!(
        cfg.starts_with(BINDING),
        "the file's own text is kept:\n{cfg}"
    );
    assert!(
        cfg.contains("code = \"rule:certlib-acme\"") && cfg.contains("old = \"1.4.0\""),
        "{cfg}"
    );
    let accepted = inc.repo.commit("accept the certlib 1.5.0 ACME change");
    let (out, report) = inc.check(&base, &accepted, 0);
    assert!(out.contains("accepted in"), "{out}");
    assert_eq!(certlib(&report)["rules"][0]["status"], "accepted");

    // 5. A further change to the same module is not covered.
    inc.use_certlib("1.5.2");
    let later = inc.repo.commit("bump certlib to 1.5.2");
    let (out, report) = inc.check(&base, &later, 1);
    assert!(out.contains("CRITICAL RULE certlib-acme"), "{out}");
    assert!(out.contains("Stale acceptances"), "{out}");
    assert_eq!(report["stale_acceptances"][0]["finding"], finding.as_str());
    assert_ne!(certlib(&report)["rules"][0]["finding"], finding.as_str());
    // The Markdown report and the annotations list it too, the annotation
    // at the entry's line (the binding's 5 lines, a blank, then [[accept]]).
    let (md, annotations) = inc.report(&base, &later, "markdown", true);
    assert!(md.contains("### Stale acceptances"), "{md}");
    assert!(
        md.contains(&format!(
            "- `{finding}` (`bumpguard.toml:7`, certlib 1.4.0 → 1.5.0"
        )),
        "{md}"
    );
    assert!(
        annotations.lines().any(|l| l.starts_with(&format!(
            "::warning file=bumpguard.toml,line=7,title=stale acceptance {finding} (certlib)::"
        ))),
        "{annotations}"
    );

    // 6. The same version pair with other code: certlib 1.5.0 republished
    //    with another constructor body (and so another package checksum in
    //    Cargo.lock). Same crate, versions and rule: the evidence differs,
    //    so the acceptance does not cover it and is listed as stale.
    inc.republish_1_5_0();
    inc.use_certlib("1.5.0");
    let republished = inc.repo.commit("certlib 1.5.0 as republished");
    let (out, report) = inc.check(&base, &republished, 1);
    assert!(out.contains("CRITICAL RULE certlib-acme"), "{out}");
    assert!(out.contains("Stale acceptances"), "{out}");
    let hit = &certlib(&report)["rules"][0];
    assert_ne!(hit["finding"], finding.as_str());
    assert_ne!(hit["status"], "accepted");
    assert_eq!(certlib(&report)["old_version"], "1.4.0");
    assert_eq!(certlib(&report)["new_version"], "1.5.0");
    let stale = &report["stale_acceptances"][0];
    assert_eq!(stale["finding"], finding.as_str());
    assert!(
        stale["why"]
            .as_str()
            .unwrap()
            .contains("not the one that was accepted"),
        "{stale}"
    );
}

#[test]
fn the_acceptance_id_of_an_unknown_finding_is_refused() {
    let inc = Incident::new();
    let base = inc.repo.commit("service on certlib 1.4.0");
    inc.use_certlib("1.5.0");
    let head = inc.repo.commit("bump certlib to 1.5.0");
    let before = std::fs::read_to_string(inc.repo.path().join("bumpguard.toml")).unwrap();
    let out = inc
        .bumpguard()
        .args([
            "accept",
            "bg-0000000000",
            "--base",
            &base,
            "--head",
            &head,
            "--reason",
            "x",
            "--by",
            "me",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("no finding bg-0000000000"), "{err}");
    assert!(
        err.contains("rule certlib-acme triggered"),
        "lists what can be accepted: {err}"
    );
    let after = std::fs::read_to_string(inc.repo.path().join("bumpguard.toml")).unwrap();
    assert_eq!(before, after, "nothing written");
    // Without the revisions of the check: it says what it compared.
    let out = inc
        .bumpguard()
        .args(["accept", "bg-0000000000", "--reason", "x", "--by", "me"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("with working tree: no dependency changes)")
            && err.contains("give the --base/--head of the check that reported it"),
        "{err}"
    );
}

#[test]
fn an_acceptance_of_a_commit_applies_once_committed_and_is_never_written_twice() {
    let inc = Incident::new();
    let base = inc.repo.commit("service on certlib 1.4.0");
    inc.use_certlib("1.5.0");
    let head = inc.repo.commit("bump certlib to 1.5.0");
    let (out, report) = inc.check(&base, &head, 1);
    let finding = certlib(&report)["rules"][0]["finding"]
        .as_str()
        .unwrap()
        .to_string();
    // The accept command check suggests is for this very change.
    assert!(
        out.contains(&format!(
            "`bumpguard accept {finding} --base {base} --head {head} --reason \"...\"`"
        )),
        "{out}"
    );
    let accept = || {
        let out = inc
            .bumpguard()
            .args(["accept", &finding, "--base", &base, "--head", &head])
            .args(["--reason", "fine", "--by", "Ada <ada@example.com>"])
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let file = inc.repo.path().join("bumpguard.toml");
    let said = accept();
    assert!(said.contains(&format!("accepted {finding}")), "{said}");
    assert!(
        said.contains(&format!(
            "note: it applies to `bumpguard check --head {head}` once bumpguard.toml is committed"
        )),
        "{said}"
    );
    let written = std::fs::read_to_string(&file).unwrap();
    // The head commit does not have it yet: check still blocks ...
    inc.check(&base, &head, 1);
    // ... and accepting again does not write a second entry.
    let said = accept();
    assert!(
        said.contains(&format!("{finding} is already accepted at "))
            && said.contains("bumpguard.toml:7; it applies")
            && said.contains("once bumpguard.toml is committed"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    assert_eq!(written.matches("[[accept]]").count(), 1, "{written}");
    // Committed (on top of the bump): the entry counts, and is not written again.
    let accepted = inc.repo.commit("accept certlib 1.5.0");
    let (_, report) = inc.check(&base, &accepted, 0);
    assert_eq!(certlib(&report)["rules"][0]["status"], "accepted");
    let out = inc
        .bumpguard()
        .args(["accept", &finding, "--base", &base])
        .args(["--reason", "fine", "--by", "Ada <ada@example.com>"])
        .assert()
        .code(0);
    let said = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(said.contains("is already accepted in"), "{said}");
    assert!(
        !said.contains("note:"),
        "the working tree is the head: {said}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}
