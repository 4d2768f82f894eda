//! End-to-end on real crates from crates.io. These need the network (the
//! crates.io index and static.crates.io); with BUMPGUARD_OFFLINE=1 they print
//! a skip line and pass.

mod support;

use assert_cmd::Command;
use support::{CRATES_IO, Pkg, Repo, lockfile, offline};

/// Checksums of the two ic-bn-lib versions, as published in the crates.io index.
const IC_BN_LIB_0_1_4: &str = "66746cb6f1df32057e5e1ff1bb37c211c9291c3726366f2db5ded805ac273b19";
const IC_BN_LIB_0_1_10: &str = "cc9d513ab3aba96c7e3e3c3e1d9818a80700eee302f3c1f19d791f0a94fc88a4";

fn bumpguard(cache: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("XDG_CACHE_HOME", cache)
        .env_remove("BUMPGUARD_OFFLINE")
        .arg("--color=never");
    c
}

fn alpn_violation(json: &serde_json::Value) -> serde_json::Value {
    let krate = json["crates"]
        .as_array()
        .expect("crates")
        .iter()
        .find(|c| c["name"] == "ic-bn-lib")
        .expect("ic-bn-lib in the report")
        .clone();
    krate["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["path"] == "ic_bn_lib::tls::acme::alpn::Opts.tls_config")
        .cloned()
        .unwrap_or_else(|| panic!("no change for Opts.tls_config in {krate}"))
}

#[test]
fn diff_ic_bn_lib_finds_the_acme_alpn_struct_literal_break() {
    if offline("diff_ic_bn_lib_finds_the_acme_alpn_struct_literal_break") {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(cache.path())
        .args(["diff", "ic-bn-lib", "0.1.4", "0.1.10", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let krate = &json["crates"][0];
    assert_eq!(krate["bump"], "patch");
    assert_eq!(krate["allows"], "minor");
    let change = alpn_violation(&json);
    assert_eq!(change["code"], "struct-pub-field-added-constructible");
    assert_eq!(change["required"], "major");
    assert_eq!(change["violation"], true);
    assert!(
        change["cfg"]
            .as_str()
            .expect("cfg")
            .contains("feature = \"acme-alpn\""),
        "{change}"
    );
    assert_eq!(change["new"], "pub tls_config: Option<ClientConfig>");
    // Reported under the features that gate it: outside the default view,
    // and still a violation there (the promise covers every feature).
    assert_eq!(
        change["outside_features"], "feature acme, acme-alpn",
        "{change}"
    );

    // With those features on, the same field is an ordinary violation.
    let out = bumpguard(cache.path())
        .args(["diff", "ic-bn-lib", "0.1.4", "0.1.10", "--format", "json"])
        .args(["--features", "acme,acme-alpn"])
        .output()
        .expect("run");
    let with: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let change = alpn_violation(&with);
    assert_eq!(change["violation"], true, "{change}");
    assert!(change.get("outside_features").is_none(), "{change}");

    // The built-in pack marks the tls::acme findings critical (diff has no
    // repository to run contracts in, so the hit is reported, not run).
    let hit = krate["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|h| h["rule"] == "ic-bn-lib-acme")
        .unwrap_or_else(|| panic!("ic-bn-lib-acme not triggered: {}", krate["rules"]));
    assert_eq!(hit["severity"], "critical");
    assert_eq!(hit["origin"], "built-in");
    let subjects: Vec<&str> = hit["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["subject"].as_str())
        .collect();
    assert!(
        subjects.contains(&"ic_bn_lib::tls::acme::alpn::Opts.tls_config"),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .all(|s| s.starts_with("ic_bn_lib::tls::acme")),
        "only tls::acme findings: {subjects:?}"
    );

    // The human report says the same.
    let out = bumpguard(cache.path())
        .args(["diff", "ic-bn-lib", "0.1.4", "0.1.10"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "struct-pub-field-added-constructible ic_bn_lib::tls::acme::alpn::Opts.tls_config"
        ),
        "{text}"
    );
    assert!(text.contains("Verdict: BLOCKED"), "{text}");
}

#[test]
fn check_a_repository_that_bumps_ic_bn_lib() {
    if offline("check_a_repository_that_bumps_ic_bn_lib") {
        return;
    }
    let lock = |v: &str, sum: &str| {
        lockfile(&[
            Pkg {
                name: "ic-bn-lib",
                version: v,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
            Pkg {
                name: "service",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["ic-bn-lib"],
            },
        ])
    };
    let repo = Repo::new();
    repo.write("Cargo.toml", "[package]\nname = \"service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nic-bn-lib = { version = \"0.1\", features = [\"acme-alpn\"] }\n");
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", &lock("0.1.4", IC_BN_LIB_0_1_4));
    let base = repo.commit("service on ic-bn-lib 0.1.4");
    repo.write("Cargo.lock", &lock("0.1.10", IC_BN_LIB_0_1_10));
    let head = repo.commit("bump ic-bn-lib to 0.1.10");

    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(cache.path())
        .args([
            "check", "--base", &base, "--head", &head, "--format", "json", "--repo",
        ])
        .arg(repo.path())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let krate = &json["crates"][0];
    assert_eq!(krate["name"], "ic-bn-lib");
    assert_eq!(krate["change"], "updated");
    assert_eq!(krate["bump"], "patch");
    assert_eq!(krate["new_source"], "crates.io");
    assert_eq!(krate["direct"], true);
    assert_eq!(alpn_violation(&json)["violation"], true);
    // In a repository the built-in ACME rule needs a contract: none is bound.
    let hit = &krate["rules"][0];
    assert_eq!(hit["rule"], "ic-bn-lib-acme");
    assert_eq!(hit["status"], "no-contract");
    assert_eq!(hit["blocks"], true);
    assert!(
        hit["suggestion"]["binding"]
            .as_str()
            .unwrap()
            .contains("rule = \"ic-bn-lib-acme\""),
        "{hit}"
    );
}

fn diff_json(cache: &std::path::Path, krate: &str, old: &str, new: &str) -> serde_json::Value {
    let out = bumpguard(cache)
        .args(["diff", krate, old, new, "--format", "json"])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{krate}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn behaviour_of_real_bumps() {
    if offline("behaviour_of_real_bumps") {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");

    // ic-bn-lib: the ACME-ALPN constructor now builds its config differently.
    let v = diff_json(cache.path(), "ic-bn-lib", "0.1.4", "0.1.10");
    let b = v["crates"][0]["behavior"]
        .as_array()
        .expect("behavior")
        .clone();
    let new = b
        .iter()
        .find(|c| c["item"] == "ic_bn_lib::tls::acme::alpn::AcmeAlpn::new")
        .unwrap_or_else(|| panic!("AcmeAlpn::new not reported: {b:#?}"));
    assert_eq!(new["code"], "constructor-changed");
    let added: Vec<&str> = new["calls_added"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        added.contains(&"AcmeConfig::new_with_client_config"),
        "{added:?}"
    );

    // url 2.5.3 is yanked: still analysed, and said so.
    let v = diff_json(cache.path(), "url", "2.5.2", "2.5.3");
    let c = &v["crates"][0];
    assert_eq!(c["yanked"], serde_json::json!(["2.5.3"]));
    assert!(
        c["behavior"]
            .as_array()
            .expect("behavior")
            .iter()
            .any(|b| b["item"] == "url::Url::set_path"),
        "{c}"
    );
    assert_eq!(
        c["violations"], 0,
        "no false signature changes: {}",
        c["changes"]
    );

    // serde_derive 1.0.172 shipped a precompiled binary.
    let v = diff_json(cache.path(), "serde_derive", "1.0.171", "1.0.172");
    let m = v["crates"][0]["manifest"]
        .as_array()
        .expect("manifest")
        .clone();
    assert!(
        m.iter().any(|c| c["code"] == "precompiled-binary-added"
            && c["subject"] == "serde_derive-x86_64-unknown-linux-gnu"),
        "{m:#?}"
    );
}

/// http 1.2.0 -> 1.3.0 changed `HeaderMap::try_reserve`, declared in
/// `http::header::map` and shown at its root re-export `http::HeaderMap`.
/// A rule on `header::**` and a contract bound to that pattern (no rule)
/// both see it by its declaration path.
#[test]
fn patterns_see_a_real_re_exported_item_by_its_module() {
    if offline("patterns_see_a_real_re_exported_item_by_its_module") {
        return;
    }
    let lock = |v: &str, sum: &str| {
        lockfile(&[
            Pkg {
                name: "http",
                version: v,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
            Pkg {
                name: "service",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["http"],
            },
        ])
    };
    let repo = Repo::new();
    repo.write("Cargo.toml", "[package]\nname = \"service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nhttp = \"1\"\n");
    repo.write("src/main.rs", "fn main() {}\n");
    // Built-in http rules off: only the repository's own rule and binding.
    repo.write(
        "bumpguard.toml",
        "[rules]\ndisable = [\"http-header-parsing\", \"http-request-line-parsing\"]\n\n[rule.headers]\ncrate = \"http\"\npaths = [\"header::**\"]\non = [\"behavior\"]\nseverity = \"warning\"\nreason = \"header handling\"\n\n[[contract]]\ncrate = \"http\"\npaths = [\"header::**\"]\ncommand = [\"false\"]\n",
    );
    repo.write(
        "Cargo.lock",
        &lock(
            "1.2.0",
            "f16ca2af56261c99fba8bac40a10251ce8188205a4c448fbb745a2e4daa76fea",
        ),
    );
    let base = repo.commit("service on http 1.2.0");
    repo.write(
        "Cargo.lock",
        &lock(
            "1.3.0",
            "0a761d192fbf18bdef69f5ceedd0d1333afcbda0ee23840373b8317570d23c65",
        ),
    );
    let head = repo.commit("bump http to 1.3.0");
    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(cache.path())
        .args([
            "check", "--base", &base, "--head", &head, "--format", "json", "--repo",
        ])
        .arg(repo.path())
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "{json}");
    let hits = json["crates"][0]["rules"].as_array().expect("rules");
    let subjects = |id: &str| -> Vec<String> {
        hits.iter()
            .find(|h| h["rule"] == id)
            .unwrap_or_else(|| panic!("no hit {id}: {json}"))["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        subjects("headers").contains(&"http::HeaderMap::try_reserve".to_string()),
        "{json}"
    );
    // The warning rule runs the binding (it attaches by the item's module)
    // without blocking; the binding's own rule is what blocks.
    let own = hits
        .iter()
        .find(|h| h["rule"] == "contract:http:header::**")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(own["status"], "contract-failed", "{own}");
    assert!(
        subjects("contract:http:header::**").contains(&"http::HeaderMap::try_reserve".to_string()),
        "{own}"
    );
}
