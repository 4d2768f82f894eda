//! The `source` stage: cache lookup order, checksum verification, safe
//! unpacking and downloads, all hermetic (a fake CARGO_HOME and an HTTP server
//! on 127.0.0.1) except `real_crates_io_itoa`, which BUMPGUARD_OFFLINE=1 skips.

mod support;

use support::registry as fixtures;

use std::fs;
use std::path::{Path, PathBuf};

use bumpguard::source::{ExtractLimits, FetchError, Fetcher, RegistryCrate, SourceSettings};
use fixtures::{Kind, Server, crate_archive, raw_archive, sha256};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

/// A scratch area: `cache/` for bumpguard, `cargo/` as CARGO_HOME.
struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            root: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }
    fn cargo_home(&self) -> PathBuf {
        self.root.path().join("cargo")
    }
    /// Puts `bytes` in the fake Cargo cache folder `folder` as `file`.
    fn put_in_cargo_cache(&self, folder: &str, file: &str, bytes: &[u8]) -> PathBuf {
        let dir = self.cargo_home().join("registry/cache").join(folder);
        fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join(file);
        fs::write(&path, bytes).expect("write");
        path
    }
    /// Offline settings that could not reach any server anyway.
    fn offline(&self) -> SourceSettings {
        let mut s = SourceSettings::new(self.cache());
        s.cargo_home = Some(self.cargo_home());
        s.offline = true;
        s.crates_io_dl = "http://127.0.0.1:9/nowhere".into();
        s.crates_io_index = "http://127.0.0.1:9/nowhere".into();
        s
    }
    /// Online settings pointing crates.io at `server`.
    fn online(&self, server: &Server) -> SourceSettings {
        let mut s = SourceSettings::new(self.cache());
        s.cargo_home = Some(self.cargo_home());
        s.crates_io_dl = format!("{}/dl", server.base);
        s.crates_io_index = format!("{}/index", server.base);
        s
    }
}

fn krate(name: &str, version: &str, registry: &str, checksum: Option<&str>) -> RegistryCrate {
    RegistryCrate {
        name: name.into(),
        version: version.parse().expect("version"),
        registry: registry.into(),
        checksum: checksum.map(str::to_string),
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn cargo_cache_then_own_cache() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.2.3", &[("README.md", b"hello")]);
    let sum = sha256(&archive);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.2.3.crate",
        &archive,
    );

    let want = krate("demo", "1.2.3", CRATES_IO_SPARSE, Some(&sum));
    let tree = Fetcher::new(s.offline())
        .crate_tree(&want)
        .expect("from cargo's cache");
    assert_eq!(tree, s.cache().join("src").join(&sum));
    assert!(read(&tree.join("Cargo.toml")).contains("name = \"demo\""));
    assert_eq!(read(&tree.join("README.md")), "hello");
    assert!(read(&tree.join("src/lib.rs")).contains("demo 1.2.3"));
    assert!(s.cache().join("src").join(format!("{sum}.ok")).is_file());
    assert!(
        !tree.join(".ok").exists(),
        "the marker is not inside the tree"
    );

    // Without Cargo's copy, bumpguard's own cache answers.
    fs::remove_dir_all(s.cargo_home()).expect("rm cargo home");
    let again = Fetcher::new(s.offline())
        .crate_tree(&want)
        .expect("from bumpguard's cache");
    assert_eq!(again, tree);

    // The checksum is case-insensitive.
    let upper = krate("demo", "1.2.3", CRATES_IO, Some(&sum.to_uppercase()));
    assert_eq!(
        Fetcher::new(s.offline()).crate_tree(&upper).expect("upper"),
        tree
    );
}

#[test]
fn old_git_index_folder_is_searched() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "0.1.0", &[]);
    let sum = sha256(&archive);
    // A different archive under the same name in an unrelated registry's
    // folder is skipped quietly.
    s.put_in_cargo_cache("aaa.example-0000000000000000", "demo-0.1.0.crate", b"other");
    s.put_in_cargo_cache("github.com-1ecc6299db9ec823", "demo-0.1.0.crate", &archive);
    let fetcher = Fetcher::new(s.offline());
    let tree = fetcher
        .crate_tree(&krate("demo", "0.1.0", CRATES_IO, Some(&sum)))
        .expect("from the git-index folder");
    assert!(tree.join("Cargo.toml").is_file());
    assert!(fetcher.take_notes().is_empty());
}

#[test]
fn interrupted_unpack_is_not_used() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[]);
    let sum = sha256(&archive);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.0.0.crate",
        &archive,
    );
    // A tree without its marker: what a killed run leaves behind.
    let partial = s.cache().join("src").join(&sum);
    fs::create_dir_all(&partial).expect("mkdir");
    fs::write(partial.join("half-written"), b"x").expect("write");

    let tree = Fetcher::new(s.offline())
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect("re-unpacked");
    assert_eq!(tree, partial);
    assert!(tree.join("Cargo.toml").is_file());
    assert!(!tree.join("half-written").exists());
}

#[test]
fn threads_share_one_fetcher() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[("big.rs", &[b'x'; 200_000])]);
    let sum = sha256(&archive);
    let server = Server::start(vec![("/dl/demo/demo-1.0.0.crate".into(), 200, archive)], 10);
    let fetcher = Fetcher::new(s.online(&server));
    let want = krate("demo", "1.0.0", CRATES_IO, Some(&sum));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let tree = fetcher.crate_tree(&want).expect("tree");
                    assert_eq!(
                        fs::read(tree.join("big.rs")).expect("big.rs").len(),
                        200_000
                    );
                    tree
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(
                handle.join().expect("thread"),
                s.cache().join("src").join(&sum)
            );
        }
    });
    assert_eq!(server.requests().len(), 1, "downloaded once");
}

#[test]
fn another_crates_checksum_does_not_return_its_tree() {
    let s = Scratch::new();
    let archive = crate_archive("good", "1.0.0", &[]);
    let sum = sha256(&archive);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "good-1.0.0.crate",
        &archive,
    );
    let fetcher = Fetcher::new(s.offline());
    fetcher
        .crate_tree(&krate("good", "1.0.0", CRATES_IO, Some(&sum)))
        .expect("good");
    // A lockfile claiming `evil 1.0.0` has good's checksum.
    let err = fetcher
        .crate_tree(&krate("evil", "1.0.0", CRATES_IO, Some(&sum)))
        .expect_err("must not reuse good's tree");
    assert!(err.to_string().contains("evil 1.0.0"), "{err}");
}

#[test]
fn corrupt_cargo_cache_offline_is_a_mismatch() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[]);
    let sum = sha256(&archive);
    let path = s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.0.0.crate",
        &crate_archive("demo", "1.0.0", &[("tampered.rs", b"x")]),
    );
    let err = Fetcher::new(s.offline())
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect_err("tampered");
    match &err {
        FetchError::ChecksumMismatch {
            name,
            expected,
            actual,
            origin,
            ..
        } => {
            assert_eq!(name, "demo");
            assert_eq!(expected, &sum);
            assert_ne!(actual, &sum);
            assert_eq!(origin, &path.display().to_string());
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("demo 1.0.0"));
}

#[test]
fn corrupt_cargo_cache_online_falls_through_to_download() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[]);
    let sum = sha256(&archive);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.0.0.crate",
        b"garbage",
    );
    let server = Server::start(vec![("/dl/demo/demo-1.0.0.crate".into(), 200, archive)], 4);
    let fetcher = Fetcher::new(s.online(&server));
    let tree = fetcher
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect("downloaded");
    assert!(tree.join("Cargo.toml").is_file());
    assert_eq!(server.requests(), vec!["/dl/demo/demo-1.0.0.crate"]);
    let notes = fetcher.take_notes();
    assert!(notes.iter().any(|n| n.contains("ignoring it")), "{notes:?}");
}

#[test]
fn downloaded_archive_with_wrong_checksum_is_fatal() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[]);
    let wrong = "0".repeat(64);
    let server = Server::start(
        vec![("/dl/demo/demo-1.0.0.crate".into(), 200, archive.clone())],
        4,
    );
    let err = Fetcher::new(s.online(&server))
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&wrong)))
        .expect_err("mismatch");
    let FetchError::ChecksumMismatch {
        name,
        expected,
        actual,
        origin,
        ..
    } = &err
    else {
        panic!("expected a mismatch, got {err:?}");
    };
    assert_eq!(name, "demo");
    assert_eq!(expected, &wrong);
    assert_eq!(actual, &sha256(&archive));
    assert_eq!(origin, &format!("{}/dl/demo/demo-1.0.0.crate", server.base));
    // Nothing was kept.
    assert!(!s.cache().join("src").join(&wrong).exists());
    assert!(
        fixtures::all_names(&s.cache())
            .iter()
            .all(|n| !n.ends_with(".crate"))
    );
}

#[test]
fn download_via_index_then_nothing_more() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.2.3", &[]);
    let sum = sha256(&archive);
    let index = [
        fixtures::index_line("demo", "1.2.2", &"1".repeat(64), false),
        fixtures::index_line("demo", "1.2.3", &sum, true),
    ]
    .join("\n");
    let server = Server::start(
        vec![
            ("/index/de/mo/demo".into(), 200, index.into_bytes()),
            ("/dl/demo/demo-1.2.3.crate".into(), 200, archive),
        ],
        10,
    );
    let no_sum = krate("demo", "1.2.3", CRATES_IO, None);
    let fetcher = Fetcher::new(s.online(&server));
    let tree = fetcher.crate_tree(&no_sum).expect("via index");
    assert_eq!(tree, s.cache().join("src").join(&sum));
    // Index answers are remembered for the Fetcher's lifetime.
    assert_eq!(
        fetcher
            .registry_checksum("demo", &"1.2.3".parse().expect("v"))
            .expect("cksum"),
        sum
    );
    assert_eq!(
        fetcher.registry_versions("demo").expect("versions"),
        vec!["1.2.2".parse().expect("v"), "1.2.3".parse().expect("v")]
    );
    assert_eq!(
        server.requests(),
        vec!["/index/de/mo/demo", "/dl/demo/demo-1.2.3.crate"]
    );

    // A second run with the tree gone uses the kept archive, no download.
    fs::remove_dir_all(s.cache().join("src")).expect("rm src");
    let with_sum = krate("demo", "1.2.3", CRATES_IO, Some(&sum));
    let again = Fetcher::new(s.online(&server))
        .crate_tree(&with_sum)
        .expect("again");
    assert_eq!(again, tree);
    assert_eq!(server.requests().len(), 2);

    // A tampered kept archive is deleted and downloaded once more.
    let kept: Vec<PathBuf> = fs::read_dir(s.cache().join("archives"))
        .expect("archives")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1);
    fs::write(&kept[0], b"tampered").expect("tamper");
    fs::remove_dir_all(s.cache().join("src")).expect("rm src");
    let fetcher = Fetcher::new(s.online(&server));
    fetcher.crate_tree(&with_sum).expect("re-downloaded");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        fs::read(&kept[0]).expect("kept"),
        fs::read(&kept[0]).expect("kept")
    );
    assert_eq!(sha256(&fs::read(&kept[0]).expect("kept")), sum);
    assert!(fetcher.take_notes().iter().any(|n| n.contains("deleted")));
}

#[test]
fn not_found_cases() {
    let s = Scratch::new();
    let index = fixtures::index_line("demo", "1.0.0", &"2".repeat(64), false);
    let server = Server::start(
        vec![("/index/de/mo/demo".into(), 200, index.into_bytes())],
        10,
    );
    let fetcher = Fetcher::new(s.online(&server));

    // Archive missing (HTTP 404).
    let err = fetcher
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&"2".repeat(64))))
        .expect_err("404");
    assert!(
        matches!(&err, FetchError::NotFound { name, version, registry }
            if name == "demo" && version == "1.0.0" && registry == "crates.io"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "demo 1.0.0 was not found in the registry crates.io"
    );

    // Unknown version, unknown crate.
    let v9: semver::Version = "9.0.0".parse().expect("v");
    assert!(matches!(
        fetcher.registry_checksum("demo", &v9),
        Err(FetchError::NotFound { .. })
    ));
    assert!(matches!(
        fetcher.registry_checksum("nope", &v9),
        Err(FetchError::NotFound { .. })
    ));
    assert!(matches!(
        fetcher.registry_versions("nope"),
        Err(FetchError::NotFound { .. })
    ));
}

#[test]
fn offline_and_not_cached() {
    let s = Scratch::new();
    let err = Fetcher::new(s.offline())
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&"3".repeat(64))))
        .expect_err("offline");
    assert!(matches!(err, FetchError::Other { .. }), "{err:?}");
    assert!(err.to_string().contains("offline"), "{err}");
    let err = Fetcher::new(s.offline())
        .registry_checksum("demo", &"1.0.0".parse().expect("v"))
        .expect_err("offline");
    assert!(err.to_string().contains("offline"), "{err}");
}

#[test]
fn connection_refused_is_a_network_error() {
    let s = Scratch::new();
    let mut settings = SourceSettings::new(s.cache());
    settings.crates_io_dl = format!("http://127.0.0.1:{}/dl", fixtures::closed_port());
    let err = Fetcher::new(settings)
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&"3".repeat(64))))
        .expect_err("refused");
    assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
}

#[test]
fn other_sparse_registry_uses_its_dl_template() {
    let s = Scratch::new();
    let archive = crate_archive("Demo_X", "0.3.0", &[]);
    let sum = sha256(&archive);
    // Archives are served by one server and the registries' config.json by
    // another, because a template must hold the archive server's address,
    // which is only known once it runs. One template uses every marker, the
    // other none (Cargo then appends `/{crate}/{version}/download`).
    let files = Server::start(
        vec![
            (
                format!("/files/De/mo/Demo_X-0.3.0.crate?h={sum}"),
                200,
                archive.clone(),
            ),
            ("/plain/Demo_X/0.3.0/download".into(), 200, archive.clone()),
        ],
        10,
    );
    let marked = format!(
        r#"{{"dl":"{}/files/{{prefix}}/{{crate}}-{{version}}.crate?h={{sha256-checksum}}","api":null}}"#,
        files.base
    );
    let plain = format!(r#"{{"dl":"{}/plain"}}"#, files.base);
    let configs = Server::start(
        vec![
            ("/marked/config.json".into(), 200, marked.into_bytes()),
            ("/plain/config.json".into(), 200, plain.into_bytes()),
            (
                "/locked/config.json".into(),
                200,
                br#"{"dl":"x","auth-required":true}"#.to_vec(),
            ),
        ],
        10,
    );

    let fetcher = Fetcher::new(s.online(&configs));
    let reg = format!("sparse+{}/marked/", configs.base);
    let tree = fetcher
        .crate_tree(&krate("Demo_X", "0.3.0", &reg, Some(&sum)))
        .expect("marked template");
    assert!(tree.join("Cargo.toml").is_file());

    fs::remove_dir_all(s.cache()).expect("rm cache");
    let reg = format!("sparse+{}/plain", configs.base);
    fetcher
        .crate_tree(&krate("Demo_X", "0.3.0", &reg, Some(&sum)))
        .expect("plain template");
    assert_eq!(
        files.requests(),
        vec![
            format!("/files/De/mo/Demo_X-0.3.0.crate?h={sum}"),
            "/plain/Demo_X/0.3.0/download".to_string()
        ]
    );

    fs::remove_dir_all(s.cache()).expect("rm cache");
    let reg = format!("sparse+{}/locked", configs.base);
    let err = fetcher
        .crate_tree(&krate("Demo_X", "0.3.0", &reg, Some(&sum)))
        .expect_err("auth");
    assert!(err.to_string().contains("authentication"), "{err}");
}

#[test]
fn git_index_registries_are_cache_only() {
    let s = Scratch::new();
    let archive = crate_archive("demo", "1.0.0", &[]);
    let sum = sha256(&archive);
    let reg = "registry+https://git.example.com/index";
    let err = Fetcher::new(s.online(&Server::start(Vec::new(), 0)))
        .crate_tree(&krate("demo", "1.0.0", reg, Some(&sum)))
        .expect_err("unsupported");
    assert!(matches!(err, FetchError::Other { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not supported for download"),
        "{err}"
    );

    s.put_in_cargo_cache(
        "git.example.com-0123456789abcdef",
        "demo-1.0.0.crate",
        &archive,
    );
    let tree = Fetcher::new(s.offline())
        .crate_tree(&krate("demo", "1.0.0", reg, Some(&sum)))
        .expect("from cargo's cache");
    assert!(tree.join("Cargo.toml").is_file());
}

#[test]
fn non_registry_sources_and_bad_input_are_refused() {
    let s = Scratch::new();
    let f = Fetcher::new(s.offline());
    let sum = "4".repeat(64);
    let err = f
        .crate_tree(&krate(
            "demo",
            "1.0.0",
            "git+https://github.com/a/b#0123",
            Some(&sum),
        ))
        .expect_err("git source");
    assert!(err.to_string().contains("not a registry source"), "{err}");
    let err = f
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some("../../etc")))
        .expect_err("bad checksum");
    assert!(err.to_string().contains("not a sha256"), "{err}");
    let err = f
        .crate_tree(&krate("../demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect_err("bad name");
    assert!(err.to_string().contains("not a valid crate name"), "{err}");
}

/// Puts a malicious archive (with the right checksum) in Cargo's cache and
/// returns the error, after checking nothing named `evil` was written
/// anywhere and no tree or staging folder was left.
fn refused(entries: Vec<(String, Kind)>, limits: Option<ExtractLimits>) -> String {
    let s = Scratch::new();
    let archive = raw_archive(&entries);
    let sum = sha256(&archive);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.0.0.crate",
        &archive,
    );
    let mut fetcher = Fetcher::new(s.offline());
    if let Some(limits) = limits {
        fetcher = fetcher.with_limits(limits);
    }
    let err = fetcher
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect_err("must be refused");
    assert!(matches!(err, FetchError::Other { .. }), "{err:?}");
    let names = fixtures::all_names(s.root.path());
    assert!(!names.iter().any(|n| n.contains("evil")), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with(".extract-")),
        "{names:?}"
    );
    assert!(!s.cache().join("src").join(&sum).exists());
    let message = err.to_string();
    assert!(message.starts_with("demo 1.0.0: "), "{message}");
    message
}

fn with_manifest(evil: (String, Kind)) -> Vec<(String, Kind)> {
    vec![
        (
            "demo-1.0.0/Cargo.toml".into(),
            Kind::File(b"[package]\nname = \"demo\"\n".to_vec()),
        ),
        evil,
    ]
}

#[test]
fn path_traversal_is_refused() {
    let m = refused(
        with_manifest(("../evil".into(), Kind::File(b"x".to_vec()))),
        None,
    );
    assert!(m.contains("`../evil`"), "{m}");
    let m = refused(
        with_manifest(("demo-1.0.0/../../evil".into(), Kind::File(b"x".to_vec()))),
        None,
    );
    assert!(
        m.contains("`demo-1.0.0/../../evil`") && m.contains(".."),
        "{m}"
    );
    let m = refused(
        with_manifest(("other-1.0.0/evil".into(), Kind::File(b"x".to_vec()))),
        None,
    );
    assert!(m.contains("outside"), "{m}");
}

#[test]
fn absolute_paths_are_refused() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let target = scratch.path().join("evil-abs");
    let m = refused(
        with_manifest((target.display().to_string(), Kind::File(b"x".to_vec()))),
        None,
    );
    assert!(m.contains("absolute"), "{m}");
    assert!(!target.exists());
}

#[test]
fn links_and_special_files_are_refused() {
    let m = refused(
        with_manifest(("demo-1.0.0/evil-link".into(), Kind::Symlink("/etc/passwd"))),
        None,
    );
    assert!(
        m.contains("`demo-1.0.0/evil-link`") && m.contains("symbolic link"),
        "{m}"
    );
    let m = refused(
        with_manifest((
            "demo-1.0.0/evil-hard".into(),
            Kind::HardLink("demo-1.0.0/Cargo.toml"),
        )),
        None,
    );
    assert!(m.contains("hard link"), "{m}");
    let m = refused(
        with_manifest(("demo-1.0.0/evil-fifo".into(), Kind::Fifo)),
        None,
    );
    assert!(m.contains("only regular files and directories"), "{m}");
}

#[test]
fn size_caps_are_enforced() {
    let small = |f: &dyn Fn(&mut ExtractLimits)| {
        let mut limits = ExtractLimits::default();
        f(&mut limits);
        Some(limits)
    };
    // One file too large.
    let m = refused(
        with_manifest(("demo-1.0.0/evil-big".into(), Kind::File(vec![0; 5000]))),
        small(&|l| l.max_file_bytes = 4096),
    );
    assert!(m.contains("evil-big") && m.contains("4096"), "{m}");

    // Each file small, all together too much (counted on decompressed bytes).
    let mut entries = with_manifest(("demo-1.0.0/evil-0".into(), Kind::File(vec![0; 3000])));
    for i in 1..10 {
        entries.push((format!("demo-1.0.0/evil-{i}"), Kind::File(vec![0; 3000])));
    }
    let m = refused(entries, small(&|l| l.max_total_bytes = 20_000));
    assert!(m.contains("more than 20000 bytes"), "{m}");

    // Too many entries.
    let mut entries = with_manifest(("demo-1.0.0/evil-0".into(), Kind::File(Vec::new())));
    for i in 1..10 {
        entries.push((format!("demo-1.0.0/evil-{i}"), Kind::File(Vec::new())));
    }
    let m = refused(entries, small(&|l| l.max_entries = 5));
    assert!(m.contains("more than 5 entries"), "{m}");

    // The compressed archive itself too large.
    let m = refused(
        with_manifest(("demo-1.0.0/evil-z".into(), Kind::File(vec![7; 100]))),
        small(&|l| l.max_archive_bytes = 10),
    );
    assert!(m.contains("not in any cache"), "{m}");
}

#[test]
fn a_gzip_bomb_stops_at_the_cap() {
    // 64 MiB of zeros compresses to ~64 KiB; with a 1 MiB cap it must stop
    // early (the test would take far longer if it unpacked everything).
    let entries = with_manifest(("demo-1.0.0/evil-bomb".into(), Kind::File(vec![0; 64 << 20])));
    let limits = ExtractLimits {
        max_total_bytes: 1 << 20,
        ..ExtractLimits::default()
    };
    let m = refused(entries, Some(limits));
    assert!(m.contains("more than 1048576 bytes"), "{m}");
}

#[test]
fn garbage_is_not_an_archive() {
    let s = Scratch::new();
    let junk = b"this is not gzip".to_vec();
    let sum = sha256(&junk);
    s.put_in_cargo_cache(
        "index.crates.io-1949cf8c6b5b557f",
        "demo-1.0.0.crate",
        &junk,
    );
    let err = Fetcher::new(s.offline())
        .crate_tree(&krate("demo", "1.0.0", CRATES_IO, Some(&sum)))
        .expect_err("junk");
    assert!(err.to_string().contains("not a valid gzip"), "{err}");
}

/// Writes straight to the process's stderr: unlike `eprintln!`, this is not
/// swallowed by the test harness's output capture, so a skip is never silent.
fn visible(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\n{message}");
}

/// The only test that needs the network: the real crates.io index and
/// archive host.
#[test]
fn real_crates_io_itoa() {
    if std::env::var("BUMPGUARD_OFFLINE").is_ok_and(|v| v == "1") {
        visible("skipping: real_crates_io_itoa needs crates.io; BUMPGUARD_OFFLINE=1 is set");
        return;
    }
    let s = Scratch::new();
    let mut settings = SourceSettings::new(s.cache());
    settings.cargo_home = None; // force a real download
    let fetcher = Fetcher::new(settings);
    let version: semver::Version = "1.0.11".parse().expect("v");
    let started = std::time::Instant::now();
    let sum = fetcher.registry_checksum("itoa", &version).expect("index");
    let tree = fetcher
        .crate_tree(&krate("itoa", "1.0.11", CRATES_IO, Some(&sum)))
        .expect("download");
    visible(&format!(
        "real crates.io fetch of itoa 1.0.11 (index + archive + unpack) took {:?}",
        started.elapsed()
    ));
    assert_eq!(
        sum,
        "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
    );
    assert!(read(&tree.join("Cargo.toml")).contains("name = \"itoa\""));
    assert!(tree.join("src/lib.rs").is_file());
    assert!(
        fetcher
            .registry_versions("itoa")
            .expect("versions")
            .contains(&version)
    );
}
