//! `manifest_diff::diff` on the crate pairs in `tests/fixtures/manifest/`,
//! hermetic; plus one test on two real serde_derive releases from crates.io,
//! which skips (saying so) with BUMPGUARD_OFFLINE=1.

mod support;

use bumpguard::manifest_diff::{self, ManifestChange, Severity};
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(pair: &str, side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/manifest")
        .join(pair)
        .join(side)
}

fn diff_pair(pair: &str) -> Vec<ManifestChange> {
    manifest_diff::diff(&fixture(pair, "old"), &fixture(pair, "new"))
        .unwrap_or_else(|e| panic!("{pair}: {e:#}"))
}

/// (code, severity, subject), sorted, for exact comparison.
fn summary(changes: &[ManifestChange]) -> Vec<(&'static str, Severity, String)> {
    let mut s: Vec<_> = changes
        .iter()
        .map(|c| (c.code, c.severity, c.subject.clone()))
        .collect();
    s.sort();
    s
}

fn expect(changes: &[ManifestChange], mut want: Vec<(&'static str, Severity, &str)>) {
    want.sort();
    let want: Vec<_> = want
        .into_iter()
        .map(|(c, s, subj)| (c, s, subj.to_string()))
        .collect();
    assert_eq!(summary(changes), want, "{changes:#?}");
}

fn find<'a>(changes: &'a [ManifestChange], code: &str, subject: &str) -> &'a ManifestChange {
    changes
        .iter()
        .find(|c| c.code == code && c.subject == subject)
        .unwrap_or_else(|| panic!("no {code} for {subject} in {changes:#?}"))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

/// The header of a 64-bit little-endian x86-64 ELF executable, padded.
fn elf_executable(len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len.max(64)];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // 64-bit
    b[5] = 1; // little-endian
    b[6] = 1; // version
    b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b[18..20].copy_from_slice(&0x3eu16.to_le_bytes()); // x86-64
    b
}

#[test]
fn no_change_between_old_and_new_cargo_normalizations() {
    // Old-Cargo vs new-Cargo manifest spellings, a reformatted and
    // re-commented build script, a code-only change and an added PNG.
    let changes = diff_pair("no-change");
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn every_tree_against_itself_reports_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifest");
    let mut seen = 0;
    for pair in fs::read_dir(&root).expect("fixtures") {
        let pair = pair.expect("entry").path();
        for side in ["old", "new"] {
            let dir = pair.join(side);
            let changes = manifest_diff::diff(&dir, &dir).expect("diff");
            assert!(changes.is_empty(), "{}: {changes:#?}", dir.display());
            seen += 1;
        }
    }
    assert!(seen >= 16, "only {seen} trees under {}", root.display());
}

#[test]
fn new_build_script() {
    let changes = diff_pair("new-build-script");
    expect(
        &changes,
        vec![("build-script-added", Severity::High, "build.rs")],
    );
    let c = &changes[0];
    assert_eq!(c.new.as_deref(), Some("build.rs"));
    assert!(
        c.message.contains("runs on your machine at build time"),
        "{c:?}"
    );
}

#[test]
fn build_script_module_changed() {
    let changes = diff_pair("build-script-changed");
    expect(
        &changes,
        vec![("build-script-changed", Severity::High, "build/main.rs")],
    );
    assert!(changes[0].message.contains("`tables.rs`"), "{changes:?}");
}

#[test]
fn default_feature_dropped() {
    let changes = diff_pair("default-feature-dropped");
    expect(
        &changes,
        vec![("default-feature-removed", Severity::High, "derive")],
    );
    let c = &changes[0];
    assert_eq!(c.old.as_deref(), Some("[std, derive]"));
    assert_eq!(c.new.as_deref(), Some("[std]"));
}

#[test]
fn dependency_added() {
    let changes = diff_pair("dependency-added");
    expect(
        &changes,
        vec![
            ("dependency-added", Severity::High, "telemetry-client"),
            (
                "dependency-added",
                Severity::High,
                "windows-sys (cfg(windows))",
            ),
            ("build-dependency-added", Severity::High, "cc"),
            ("optional-dependency-added", Severity::Medium, "tokio"),
            ("dev-dependency-added", Severity::Low, "insta"),
            ("feature-added", Severity::Low, "rt"),
        ],
    );
    let tokio = find(&changes, "optional-dependency-added", "tokio");
    assert!(tokio.message.contains("`rt`"), "{tokio:?}");
    assert_eq!(tokio.new.as_deref(), Some("1, optional"));
    let win = find(&changes, "dependency-added", "windows-sys (cfg(windows))");
    assert_eq!(
        win.new.as_deref(),
        Some("0.59, features [Win32_Foundation]")
    );
    // Most severe first.
    assert!(changes.windows(2).all(|w| w[0].severity >= w[1].severity));
}

#[test]
fn dependency_changed() {
    let changes = diff_pair("dependency-changed");
    expect(
        &changes,
        vec![
            (
                "dependency-requirement-changed",
                Severity::Medium,
                "serde_json",
            ),
            (
                "dependency-default-features-changed",
                Severity::Medium,
                "regex",
            ),
            ("dependency-features-changed", Severity::Medium, "regex"),
            ("dependency-no-longer-optional", Severity::High, "rand"),
            ("feature-changed", Severity::Medium, "random"),
            ("dependency-source-changed", Severity::High, "url"),
            (
                "build-dependency-source-changed",
                Severity::High,
                "pkg-config",
            ),
            (
                "build-dependency-requirement-changed",
                Severity::Medium,
                "pkg-config",
            ),
            // Moved under a target, not added: nothing new enters the build.
            (
                "dependency-target-narrowed",
                Severity::Low,
                "memchr (cfg(not(windows)))",
            ),
            // `1.0` -> `1` is a respelling, not a change: nothing for once_cell.
        ],
    );
    // The renamed dependency is named by its package; the rename alone is no change.
    let sj = find(&changes, "dependency-requirement-changed", "serde_json");
    assert_eq!(
        (sj.old.as_deref(), sj.new.as_deref()),
        (Some("1.0.100"), Some("1.0.120"))
    );
    let url = find(&changes, "dependency-source-changed", "url");
    assert_eq!(url.old.as_deref(), Some("default registry"));
    assert_eq!(
        url.new.as_deref(),
        Some("registry https://registry.example.com/index")
    );
    let pc = find(&changes, "build-dependency-source-changed", "pkg-config");
    assert_eq!(
        pc.new.as_deref(),
        Some("git https://github.com/example/pkg-config-rs rev 0123abc")
    );
    let f = find(&changes, "dependency-features-changed", "regex");
    assert_eq!(
        (f.old.as_deref(), f.new.as_deref()),
        (Some("[std]"), Some("[std, unicode]"))
    );
}

#[test]
fn package_metadata() {
    let changes = diff_pair("package-metadata");
    expect(
        &changes,
        vec![
            ("proc-macro-enabled", Severity::High, "lib.proc-macro"),
            ("links-added", Severity::High, "package.links"),
            (
                "rust-version-raised",
                Severity::Medium,
                "package.rust-version",
            ),
            ("edition-changed", Severity::Medium, "package.edition"),
            ("bin-target-added", Severity::Low, "meta-helper"),
        ],
    );
    let rv = find(&changes, "rust-version-raised", "package.rust-version");
    assert_eq!(
        (rv.old.as_deref(), rv.new.as_deref()),
        (Some("1.56"), Some("1.74"))
    );

    // And back again.
    let back = manifest_diff::diff(
        &fixture("package-metadata", "new"),
        &fixture("package-metadata", "old"),
    )
    .expect("diff");
    expect(
        &back,
        vec![
            ("proc-macro-disabled", Severity::Medium, "lib.proc-macro"),
            ("links-removed", Severity::Low, "package.links"),
            (
                "rust-version-lowered",
                Severity::Low,
                "package.rust-version",
            ),
            ("edition-changed", Severity::Medium, "package.edition"),
            ("bin-target-removed", Severity::Medium, "meta-helper"),
        ],
    );
}

#[test]
fn precompiled_binary() {
    // The binary is written here rather than committed.
    let tmp = tempfile::tempdir().expect("tempdir");
    let new = tmp.path().join("new");
    copy_dir(&fixture("precompiled-binary", "new"), &new);
    let bin = "fastderive-x86_64-unknown-linux-gnu";
    fs::write(new.join(bin), elf_executable(3 * 1024)).expect("write binary");
    fs::create_dir_all(new.join("data")).expect("mkdir");
    fs::write(new.join("data/model.bin"), b"weights\0\x01\x02").expect("write blob");

    let old = fixture("precompiled-binary", "old");
    let changes = manifest_diff::diff(&old, &new).expect("diff");
    expect(
        &changes,
        vec![
            ("precompiled-binary-added", Severity::High, bin),
            ("binary-file-added", Severity::Medium, "data/model.bin"),
        ],
    );
    let c = find(&changes, "precompiled-binary-added", bin);
    assert_eq!(c.old, None);
    assert_eq!(
        c.new.as_deref(),
        Some("64-bit ELF executable (x86-64), 3.0 KiB (3072 bytes)")
    );
    assert!(c.message.contains("supply-chain"), "{c:?}");

    // The same binary in both releases is not news.
    let old_copy = tmp.path().join("old");
    copy_dir(&new, &old_copy);
    assert!(
        manifest_diff::diff(&old_copy, &new)
            .expect("diff")
            .is_empty()
    );
    // Without the binary the pair is clean.
    let clean = manifest_diff::diff(&old, &fixture("precompiled-binary", "new")).expect("diff");
    assert!(clean.is_empty(), "{clean:#?}");
}

#[test]
fn changes_serialize_with_stable_codes_and_lowercase_severity() {
    let changes = diff_pair("default-feature-dropped");
    let json = serde_json::to_value(&changes).expect("json");
    assert_eq!(
        json,
        serde_json::json!([{
            "code": "default-feature-removed",
            "severity": "high",
            "subject": "derive",
            "old": "[std, derive]",
            "new": "[std]",
            "message": changes[0].message,
        }])
    );
    assert!(
        changes[0]
            .message
            .starts_with("`derive` is no longer enabled by default: "),
        "{}",
        changes[0].message
    );
}

#[test]
fn malformed_manifest_is_an_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let new = tmp.path().join("new");
    copy_dir(&fixture("default-feature-dropped", "new"), &new);
    fs::write(
        new.join("Cargo.toml"),
        "[package]\nname = \"toolkit\"\nversion = \"1.8.1\"\n\n[features]\ndefault = [\"std\"\n",
    )
    .expect("write");
    let err = manifest_diff::diff(&fixture("default-feature-dropped", "old"), &new)
        .expect_err("must not parse");
    let msg = format!("{err:#}");
    let file = new.join("Cargo.toml");
    assert!(msg.starts_with(&format!("{}:6:", file.display())), "{msg}");
}

/// serde_derive 1.0.172 shipped a precompiled x86_64 Linux binary of the
/// macro (reverted in 1.0.184): the case this check exists for.
#[test]
fn serde_derive_1_0_172_ships_a_precompiled_binary() {
    if support::offline("serde_derive_1_0_172_ships_a_precompiled_binary") {
        return;
    }
    use bumpguard::source::{Fetcher, RegistryCrate, SourceSettings};
    let cache = tempfile::tempdir().expect("tempdir");
    let mut settings = SourceSettings::from_env();
    settings.cache_dir = cache.path().to_path_buf();
    let fetcher = Fetcher::new(settings);
    let tree = |version: &str| {
        fetcher
            .crate_tree(&RegistryCrate {
                name: "serde_derive".to_string(),
                version: version.parse().expect("version"),
                registry: support::CRATES_IO.to_string(),
                checksum: None,
            })
            .unwrap_or_else(|e| panic!("serde_derive {version}: {e}"))
    };
    let (old, new) = (tree("1.0.171"), tree("1.0.172"));
    let changes = manifest_diff::diff(&old, &new).expect("diff");
    let bin = changes
        .iter()
        .find(|c| c.code == "precompiled-binary-added")
        .unwrap_or_else(|| panic!("no precompiled-binary-added in {changes:#?}"));
    assert_eq!(bin.severity, Severity::High);
    assert!(bin.subject.contains("x86_64-unknown-linux-gnu"), "{bin:?}");
    assert!(
        bin.new
            .as_deref()
            .is_some_and(|n| n.contains("ELF") && n.contains("x86-64")),
        "{bin:?}"
    );
    // The reverse direction removes it: nothing new is shipped.
    let back = manifest_diff::diff(&new, &old).expect("diff");
    assert!(
        back.iter().all(|c| c.code != "precompiled-binary-added"),
        "{back:#?}"
    );
}
