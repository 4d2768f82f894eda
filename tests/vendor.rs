//! Crates from cargo directory sources (the `cargo vendor` layout), on real
//! temporary git repositories, offline: `.cargo/config.toml` replaces
//! crates-io with a vendor folder, whose packages carry a
//! `.cargo-checksum.json` the tests write themselves. Nothing is downloaded
//! and CARGO_HOME is empty, so every tree must come from a vendor folder
//! (in the working tree, in git history, or outside the repository).

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use bumpguard::source::{FetchError, Fetcher, RegistryCrate, Replacements, SourceSettings};
use support::{CRATES_IO, FakeCargoHome, Pkg, Repo, crate_archive, lockfile, sha256_hex};

/// The package checksums Cargo.lock names; any hex will do, as long as the
/// vendored `.cargo-checksum.json` says the same.
fn old_sum() -> String {
    "a1".repeat(32)
}
fn new_sum() -> String {
    "b2".repeat(32)
}

const CONFIG: &str = "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n";

/// The files of `lib` at a version: 1.1.0 drops `goodbye`, which a minor
/// bump does not allow.
fn lib_files(version: &str) -> Vec<(&'static str, String)> {
    let manifest =
        format!("[package]\nname = \"lib\"\nversion = \"{version}\"\nedition = \"2021\"\n");
    let lib = if version == "1.0.0" {
        "/// Says hello.\npub fn hello() -> u32 {\n    1\n}\n\n/// Says goodbye.\npub fn goodbye() -> u32 {\n    2\n}\n"
    } else {
        "/// Says hello.\npub fn hello() -> u32 {\n    1\n}\n\n/// New in 1.1.\npub fn welcome() -> u32 {\n    3\n}\n"
    };
    vec![("Cargo.toml", manifest), ("src/lib.rs", lib.to_string())]
}

/// Writes a vendored package folder: its files, and a `.cargo-checksum.json`
/// listing each file's sha256 and `package` as the package checksum.
fn vendor_package(folder: &Path, files: &[(&str, String)], package: &str) {
    let mut listed = serde_json::Map::new();
    for (rel, content) in files {
        let path = folder.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, content).expect("write");
        listed.insert(
            rel.to_string(),
            serde_json::Value::String(sha256_hex(content.as_bytes())),
        );
    }
    let json = serde_json::json!({ "files": listed, "package": package });
    fs::write(folder.join(".cargo-checksum.json"), json.to_string()).expect("write");
}

fn vendor_lib(folder: &Path, version: &str, package: &str) {
    vendor_package(folder, &lib_files(version), package);
}

fn app_lock(version: &str, sum: &str) -> String {
    lockfile(&[
        Pkg {
            name: "app",
            version: "0.1.0",
            source: None,
            checksum: None,
            deps: &["lib"],
        },
        Pkg {
            name: "lib",
            version,
            source: Some(CRATES_IO),
            checksum: Some(sum),
            deps: &[],
        },
    ])
}

/// An app depending on `lib` 1.0.0, vendored in `vendor/lib-1.0.0`, committed.
fn vendored_app() -> Repo {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlib = \"1\"\n",
    );
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write(".cargo/config.toml", CONFIG);
    repo.write("Cargo.lock", &app_lock("1.0.0", &old_sum()));
    vendor_lib(&repo.path().join("vendor/lib-1.0.0"), "1.0.0", &old_sum());
    repo.commit("vendor lib 1.0.0");
    repo
}

/// The bump as `cargo update -p lib && cargo vendor` leaves it in the
/// working tree: the old folder gone, the new one there.
fn bump_in_working_tree(repo: &Repo) {
    fs::remove_dir_all(repo.path().join("vendor/lib-1.0.0")).expect("rm old folder");
    vendor_lib(&repo.path().join("vendor/lib-1.1.0"), "1.1.0", &new_sum());
    repo.write("Cargo.lock", &app_lock("1.1.0", &new_sum()));
}

/// Stages everything, deletions included (`git add -A`).
fn stage_all_with_deletions(repo: &Repo) {
    repo.stage_all();
    let mut index = repo.git.index().expect("index");
    index.update_all(["*"].iter(), None).expect("git add -u");
    index.write().expect("write index");
}

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tmp.path().join("cargo-home")).expect("mkdir");
        Env { tmp }
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache/bumpguard")
    }

    /// `bumpguard check --offline` with an empty CARGO_HOME and a fresh cache.
    fn cmd(&self, repo: &Path) -> Command {
        let mut c = Command::cargo_bin("bumpguard").expect("binary");
        c.env("CARGO_HOME", self.tmp.path().join("cargo-home"))
            .env("XDG_CACHE_HOME", self.tmp.path().join("cache"))
            .env_remove("BUMPGUARD_OFFLINE")
            .env_remove("NO_COLOR")
            .args(["--color=never", "--offline", "check", "--repo"])
            .arg(repo);
        c
    }

    fn json(&self, repo: &Path, args: &[&str], code: i32) -> serde_json::Value {
        let out = self
            .cmd(repo)
            .args(args)
            .arg("--format=json")
            .assert()
            .code(code);
        serde_json::from_slice(&out.get_output().stdout).expect("json report")
    }

    /// stderr of a run expected to fail with exit 2.
    fn error(&self, repo: &Path, args: &[&str]) -> String {
        let out = self.cmd(repo).args(args).assert().code(2);
        String::from_utf8_lossy(&out.get_output().stderr).to_string()
    }
}

/// The report says `lib` 1.0.0 -> 1.1.0 lost `lib::goodbye`: a violation.
fn assert_goodbye_removed(json: &serde_json::Value) {
    assert_eq!(json["verdict"]["status"], "blocked", "{json}");
    let lib = &json["crates"][0];
    assert_eq!(lib["name"], "lib", "{json}");
    assert_eq!(lib["old_version"], "1.0.0");
    assert_eq!(lib["new_version"], "1.1.0");
    assert_eq!(lib["analysis"]["status"], "analysed", "{json}");
    let removed = lib["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["code"] == "item-removed")
        .unwrap_or_else(|| panic!("no item-removed in {json}"));
    assert_eq!(removed["path"], "lib::goodbye");
    assert_eq!(removed["violation"], true);
}

fn names_in(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_vendored_bump_is_read_from_the_vendor_folders_of_both_revisions() {
    let env = Env::new();
    let repo = vendored_app();
    bump_in_working_tree(&repo);

    // Working tree against HEAD: the new version is on disk, the old one
    // only in HEAD's tree.
    let json = env.json(repo.path(), &[], 1);
    assert_eq!(json["head"], "working tree");
    assert_goodbye_removed(&json);
    // Only the old folder was exported, into `vendored/`; nothing was
    // unpacked from an archive.
    let exported = names_in(&env.cache().join("vendored"));
    assert_eq!(exported.len(), 2, "one folder and its marker: {exported:?}");
    assert!(!env.cache().join("src").exists());

    // Staged (pre-commit): HEAD against the index.
    stage_all_with_deletions(&repo);
    assert_goodbye_removed(&env.json(repo.path(), &["--staged"], 1));

    // Two commits; then the working tree loses its vendor folder entirely,
    // so both versions must come from history.
    repo.commit("bump lib to 1.1.0");
    fs::remove_dir_all(repo.path().join("vendor")).expect("rm vendor");
    let json = env.json(repo.path(), &["--base", "HEAD~1", "--head", "HEAD"], 1);
    assert_goodbye_removed(&json);

    // The human report says the same.
    let out = env
        .cmd(repo.path())
        .args(["--base", "HEAD~1", "--head", "HEAD"])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("lib 1.0.0 -> 1.1.0"), "{text}");
    assert!(text.contains("item-removed lib::goodbye"), "{text}");
}

#[test]
fn a_tampered_vendored_file_stops_the_run_naming_the_file() {
    let env = Env::new();
    let repo = vendored_app();
    bump_in_working_tree(&repo);
    // Edited after `cargo vendor` wrote the checksums.
    let lib_rs = repo.path().join("vendor/lib-1.1.0/src/lib.rs");
    let mut text = fs::read_to_string(&lib_rs).expect("read");
    text.push_str("pub fn goodbye() -> u32 { std::process::abort() }\n");
    fs::write(&lib_rs, text).expect("write");

    let err = env.error(repo.path(), &[]);
    assert!(err.contains("lib 1.1.0"), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&lib_rs.display().to_string()), "{err}");
    assert!(err.contains("the vendored file was changed"), "{err}");

    // A file in the base revision's folder is checked the same way.
    let repo = Repo::new();
    repo.write(".cargo/config.toml", CONFIG);
    repo.write("Cargo.lock", &app_lock("1.0.0", &old_sum()));
    let folder = repo.path().join("vendor/lib-1.0.0");
    vendor_lib(&folder, "1.0.0", &old_sum());
    fs::write(folder.join("src/lib.rs"), "pub fn hello() {}\n").expect("tamper");
    repo.commit("vendor a tampered lib 1.0.0");
    bump_in_working_tree(&repo);
    let err = env.error(repo.path(), &[]);
    assert!(err.contains("lib 1.0.0"), "{err}");
    assert!(err.contains("vendor/lib-1.0.0/src/lib.rs at "), "{err}");
}

#[test]
fn a_package_checksum_other_than_cargo_locks_is_refused() {
    let env = Env::new();
    let repo = vendored_app();
    bump_in_working_tree(&repo);
    // Cargo.lock pins another package than the one vendored.
    let pinned = "c3".repeat(32);
    repo.write("Cargo.lock", &app_lock("1.1.0", &pinned));

    let err = env.error(repo.path(), &[]);
    assert!(err.contains("lib 1.1.0"), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&format!("Cargo.lock says {pinned}")), "{err}");
    assert!(
        err.contains(
            &repo
                .path()
                .join("vendor/lib-1.1.0/.cargo-checksum.json")
                .display()
                .to_string()
        ),
        "{err}"
    );
}

#[test]
fn a_vendor_directory_outside_the_repository_holds_both_versions() {
    let env = Env::new();
    let outside = tempfile::tempdir().expect("tempdir");
    let vendor = outside.path().join("shared-vendor");
    // `cargo vendor` names the latest version `lib` and older ones
    // `lib-<version>`; a folder's name is only a hint, its Cargo.toml decides.
    vendor_lib(&vendor.join("lib"), "1.1.0", &new_sum());
    vendor_lib(&vendor.join("lib-1.0.0"), "1.0.0", &old_sum());
    vendor_package(
        &vendor.join("lib-1.1.0"),
        &[(
            "Cargo.toml",
            "[package]\nname = \"lib\"\nversion = \"0.9.0\"\n".to_string(),
        )],
        &"d4".repeat(32),
    );
    let before: Vec<(String, Vec<u8>)> = ["lib/src/lib.rs", "lib-1.0.0/src/lib.rs"]
        .iter()
        .map(|rel| (rel.to_string(), fs::read(vendor.join(rel)).expect("read")))
        .collect();

    let repo = Repo::new();
    repo.write(
        ".cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"{}\"\n",
            vendor.display()
        ),
    );
    repo.write("Cargo.lock", &app_lock("1.0.0", &old_sum()));
    repo.commit("use the shared vendor directory");
    repo.write("Cargo.lock", &app_lock("1.1.0", &new_sum()));

    assert_goodbye_removed(&env.json(repo.path(), &[], 1));
    // Read in place: nothing exported, nothing changed.
    assert!(!env.cache().join("vendored").exists());
    for (rel, bytes) in before {
        assert_eq!(fs::read(vendor.join(&rel)).expect("read"), bytes, "{rel}");
    }
}

#[test]
fn malformed_cargo_config_names_the_file_and_line() {
    let env = Env::new();
    let repo = vendored_app();
    bump_in_working_tree(&repo);

    repo.write(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n[source.vendored-sources\ndirectory = \"vendor\"\n",
    );
    let err = env.error(repo.path(), &[]);
    assert!(err.contains(".cargo/config.toml:3:"), "{err}");
    assert!(err.contains("source replacement"), "{err}");

    // Valid TOML that Cargo would refuse: the line of the bad value.
    repo.write(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"vendored\"\n",
    );
    let err = env.error(repo.path(), &[]);
    assert!(err.contains(".cargo/config.toml:2:"), "{err}");
    assert!(err.contains("no `[source.vendored]` is defined"), "{err}");
}

#[test]
fn a_version_missing_from_the_vendor_directory_is_an_error_offline() {
    let env = Env::new();
    // Vendoring starts with the bump: the base revision has no vendor folder.
    let repo = Repo::new();
    repo.write("Cargo.lock", &app_lock("1.0.0", &old_sum()));
    repo.commit("not vendored yet");
    repo.write(".cargo/config.toml", CONFIG);
    vendor_lib(&repo.path().join("vendor/lib-1.1.0"), "1.1.0", &new_sum());
    repo.write("Cargo.lock", &app_lock("1.1.0", &new_sum()));

    let json = env.json(repo.path(), &[], 2);
    assert_eq!(json["verdict"]["status"], "error");
    let lib = &json["crates"][0];
    assert_eq!(lib["analysis"]["status"], "failed");
    let reason = lib["analysis"]["reason"].as_str().expect("reason");
    assert!(reason.contains("lib 1.0.0"), "{reason}");
    assert!(
        reason.contains(&format!(
            "not in the vendored directory {} (versions there: 1.1.0)",
            repo.path().join("vendor").display()
        )),
        "{reason}"
    );
    assert!(
        reason.contains("vendor/lib-1.0.0 or vendor/lib"),
        "{reason}"
    );
    assert!(reason.contains("offline"), "{reason}");

    // A missing old version does not hide a tampered new one.
    let lib_rs = repo.path().join("vendor/lib-1.1.0/src/lib.rs");
    fs::write(&lib_rs, "pub fn hello() -> u32 { 0 }\n").expect("tamper");
    let err = env.error(repo.path(), &[]);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&lib_rs.display().to_string()), "{err}");
}

/// The library API: a workspace whose vendor folder lacks a version.
fn fetcher_setup() -> (tempfile::TempDir, Replacements, FakeCargoHome) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ws = tmp.path().join("ws");
    fs::create_dir_all(ws.join(".cargo")).expect("mkdir");
    fs::write(ws.join(".cargo/config.toml"), CONFIG).expect("write");
    vendor_lib(&ws.join("vendor/lib"), "1.1.0", &new_sum());
    let home = FakeCargoHome::new(&tmp.path().join("cargo-home"));
    let replacements = Replacements::load(&ws, Some(&home.root)).expect("config");
    (tmp, replacements, home)
}

fn lib(version: &str, sum: &str) -> RegistryCrate {
    RegistryCrate {
        name: "lib".into(),
        version: version.parse().expect("version"),
        registry: CRATES_IO.into(),
        checksum: Some(sum.into()),
    }
}

#[test]
fn online_a_version_the_directory_lacks_comes_from_the_usual_places() {
    let (tmp, replacements, home) = fetcher_setup();
    let old_dir = tmp.path().join("lib-1.0.0-src");
    for (rel, content) in lib_files("1.0.0") {
        let p = old_dir.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, content).expect("write");
    }
    let sum = home.add("lib", "1.0.0", &crate_archive(&old_dir, "lib", "1.0.0"));

    let mut settings = SourceSettings::new(tmp.path().join("cache"));
    settings.cargo_home = Some(home.root.clone());
    // Online, but nothing is downloaded: Cargo's cache has the archive.
    settings.crates_io_dl = "http://127.0.0.1:9/nowhere".into();
    settings.crates_io_index = "http://127.0.0.1:9/nowhere".into();
    let fetcher = Fetcher::new(settings.clone());
    let new = fetcher
        .crate_tree_at(&lib("1.1.0", &new_sum()), replacements.at(None))
        .expect("vendored");
    assert_eq!(new, tmp.path().join("ws/vendor/lib"));
    let old = fetcher
        .crate_tree_at(&lib("1.0.0", &sum), replacements.at(None))
        .expect("from Cargo's cache");
    assert!(old.starts_with(tmp.path().join("cache/src")));
    let notes = fetcher.take_notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("not in the vendored directory") && n.contains("instead")),
        "{notes:?}"
    );

    // Offline, the same lookup is refused rather than served from a cache.
    settings.offline = true;
    let err = Fetcher::new(settings)
        .crate_tree_at(&lib("1.0.0", &sum), replacements.at(None))
        .expect_err("offline");
    assert!(matches!(err, FetchError::Other { .. }), "{err:?}");
    assert!(err.to_string().contains("versions there: 1.1.0"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_package_folder_is_refused() {
    let (tmp, replacements, _home) = fetcher_setup();
    let secret = tmp.path().join("secret.txt");
    fs::write(&secret, "not part of the crate").expect("write");
    let folder = tmp.path().join("ws/vendor/lib");
    std::os::unix::fs::symlink(&secret, folder.join("src/data.txt")).expect("symlink");
    let fetcher = Fetcher::new(SourceSettings::new(tmp.path().join("cache")));
    let err = fetcher
        .crate_tree_at(&lib("1.1.0", &new_sum()), replacements.at(None))
        .expect_err("link refused");
    let text = err.to_string();
    assert!(text.contains("src/data.txt"), "{text}");
    assert!(text.contains("outside the package folder"), "{text}");

    // A link that stays inside is fine.
    fs::remove_file(folder.join("src/data.txt")).expect("rm");
    std::os::unix::fs::symlink("lib.rs", folder.join("src/alias.rs")).expect("symlink");
    let tree = fetcher
        .crate_tree_at(&lib("1.1.0", &new_sum()), replacements.at(None))
        .expect("inside link allowed");
    assert_eq!(tree, folder);
    assert!(
        fetcher
            .take_notes()
            .iter()
            .any(|n| n.contains("src/alias.rs") && n.contains("not listed")),
        "an unlisted file is noted"
    );
}

#[test]
fn an_edited_copy_in_the_cache_is_exported_again() {
    let env = Env::new();
    let repo = vendored_app();
    bump_in_working_tree(&repo);
    assert_goodbye_removed(&env.json(repo.path(), &[], 1));

    let vendored = env.cache().join("vendored");
    let copy = names_in(&vendored)
        .into_iter()
        .find(|n| !n.ends_with(".ok"))
        .expect("exported folder");
    fs::write(
        vendored.join(&copy).join("src/lib.rs"),
        "pub fn hello() {}\n",
    )
    .expect("edit");

    let json = env.json(repo.path(), &[], 1);
    assert_goodbye_removed(&json);
    assert!(
        json["notes"].to_string().contains("exported it again"),
        "{json}"
    );
}
