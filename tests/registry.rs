//! `bumpguard diff` and `bumpguard api` against a local registry: a tiny HTTP
//! server on 127.0.0.1 serving a sparse index and archives of the fixture
//! pairs. Covers the download path, "not published" and "network down"
//! without touching crates.io.

mod support;

use assert_cmd::Command;
use support::registry::{Server, closed_port, index_line};
use support::{crate_archive, fixture, sha256_hex};

fn registry() -> Server {
    let old = crate_archive(
        &fixture("field-added-constructible", "old"),
        "acme-opts",
        "0.1.4",
    );
    let new = crate_archive(
        &fixture("field-added-constructible", "new"),
        "acme-opts",
        "0.1.10",
    );
    let index = format!(
        "{}\n{}\n",
        index_line("acme-opts", "0.1.4", &sha256_hex(&old), false),
        index_line("acme-opts", "0.1.10", &sha256_hex(&new), false)
    );
    Server::start(
        vec![
            ("/ac/me/acme-opts".to_string(), 200, index.into_bytes()),
            ("/dl/acme-opts/acme-opts-0.1.4.crate".to_string(), 200, old),
            ("/dl/acme-opts/acme-opts-0.1.10.crate".to_string(), 200, new),
        ],
        64,
    )
}

fn bumpguard(base: &str, cache: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("BUMPGUARD_CRATES_IO_INDEX", base)
        .env("BUMPGUARD_CRATES_IO_DL", format!("{base}/dl"))
        .env("XDG_CACHE_HOME", cache)
        .env("CARGO_HOME", cache.join("no-cargo-home"))
        .env_remove("BUMPGUARD_OFFLINE")
        .arg("--color=never");
    c
}

#[test]
fn diff_downloads_verifies_and_caches() {
    let server = registry();
    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(&server.base, cache.path())
        .args(["diff", "acme-opts", "0.1.4", "0.1.10", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["crates"][0]["changes"][0]["code"],
        "struct-pub-field-added-constructible"
    );
    let downloads = |s: &Server| {
        s.requests()
            .iter()
            .filter(|p| p.ends_with(".crate"))
            .count()
    };
    assert_eq!(downloads(&server), 2);

    // Second run: archives, trees and checksums come from the cache; only the
    // index may be asked again (whether a version is yanked can change).
    // Offline, it works without any request.
    bumpguard(&server.base, cache.path())
        .args(["diff", "acme-opts", "0.1.4", "0.1.10"])
        .assert()
        .code(1);
    assert_eq!(downloads(&server), 2, "{:?}", server.requests());
    let asked = server.requests().len();
    bumpguard(&server.base, cache.path())
        .args(["--offline", "diff", "acme-opts", "0.1.4", "0.1.10"])
        .assert()
        .code(1);
    assert_eq!(server.requests().len(), asked, "{:?}", server.requests());

    // The same trees list the API.
    let out = bumpguard(&server.base, cache.path())
        .args(["api", "acme-opts@0.1.10"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(
        "field acme_opts::tls::acme::alpn::Opts.tls_config: pub tls_config: Option<String>"
    ));
}

#[test]
fn unknown_crates_and_versions_are_named() {
    let server = registry();
    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(&server.base, cache.path())
        .args(["diff", "acme-opts", "0.1.4", "0.1.99"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("acme-opts 0.1.99 is not published"), "{err}");
    assert!(
        err.contains("0.1.10"),
        "the message lists the published versions: {err}"
    );

    let out = bumpguard(&server.base, cache.path())
        .args(["diff", "no-such-crate", "1.0.0", "1.0.1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-crate"));
}

#[test]
fn network_down_is_a_clear_error() {
    let base = format!("http://127.0.0.1:{}", closed_port());
    let cache = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(&base, cache.path())
        .args(["diff", "acme-opts", "0.1.4", "0.1.10"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(err.contains("network"), "{err}");
    assert!(err.contains("acme-opts"), "{err}");
}
