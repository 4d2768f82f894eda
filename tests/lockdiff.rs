//! Lockfile parsing (every format cargo has written) and pairing of old and
//! new packages into bumps.

use bumpguard::lockdiff::{
    Bump, ChangeKind, LockedPackage, Lockfile, LockfileError, Source, diff, diff_files,
    parse_lockfile,
};
use bumpguard::versions::{BumpKind, Level};
use bumpguard::workspace::WorkspaceInfo;
use semver::Version;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lockfiles")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str) -> Lockfile {
    parse_lockfile(&fixture(name), name).unwrap_or_else(|e| panic!("{e:#}"))
}

fn v(s: &str) -> Version {
    Version::parse(s).expect("test version")
}

fn pkg<'a>(lock: &'a Lockfile, name: &str, version: &str) -> (usize, &'a LockedPackage) {
    let i = lock
        .find(name, &v(version))
        .unwrap_or_else(|| panic!("{name} {version} not in {}", lock.path));
    (i, &lock.packages[i])
}

fn dep_names(lock: &Lockfile, name: &str, version: &str) -> Vec<String> {
    let (i, _) = pkg(lock, name, version);
    let mut names: Vec<String> = lock
        .dependencies_of(i)
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    names.sort();
    names
}

fn parse_err(text: &str) -> String {
    let err = parse_lockfile(text, "dir/Cargo.lock").expect_err("must fail");
    assert!(
        err.downcast_ref::<LockfileError>().is_some(),
        "typed error expected: {err:#}"
    );
    err.to_string()
}

const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";
const GIT_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

// ---------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------

#[test]
fn v1_full_references_and_metadata_checksums() {
    let lock = parse("v1.lock");
    assert_eq!(lock.version, 1);
    assert_eq!(lock.packages.len(), 4);
    let (_, serde) = pkg(&lock, "serde", "1.0.100");
    assert_eq!(
        serde.source,
        Source::Registry {
            url: CRATES_IO.into(),
            sparse: false
        }
    );
    assert!(serde.source.is_crates_io());
    assert_eq!(
        serde.checksum.as_deref(),
        Some("f4473e8506b213730ff2061073b48fa51dcc66349219e2e7c5608f0296a1d95a")
    );
    let (_, git) = pkg(&lock, "gitdep", "0.1.0");
    assert_eq!(
        git.source,
        Source::Git {
            url: "https://github.com/example/gitdep".into(),
            reference: Some("branch=feature/x".into()),
            commit: GIT_COMMIT.into()
        }
    );
    assert_eq!(git.checksum, None);
    // `"inner 0.2.0"` (path, no source) and the git entry written without its `#commit`.
    assert_eq!(
        dep_names(&lock, "app", "0.1.0"),
        ["gitdep 0.1.0", "inner 0.2.0", "serde 1.0.100"]
    );
    assert_eq!(dep_names(&lock, "inner", "0.2.0"), ["serde 1.0.100"]);
}

#[test]
fn v2_abbreviated_references_and_inline_checksums() {
    let lock = parse("v2.lock");
    assert_eq!(lock.version, 2, "no marker, but inline checksums mean v2");
    assert_eq!(
        dep_names(&lock, "app", "0.1.0"),
        ["gitdep 0.1.0", "inner 0.2.0", "rand 0.7.3", "rand 0.8.5"]
    );
    assert_eq!(dep_names(&lock, "inner", "0.2.0"), ["rand 0.8.5"]);
    let (_, rand) = pkg(&lock, "rand", "0.7.3");
    assert_eq!(
        rand.checksum.as_deref(),
        Some("6a6b1679d49b24bbfe0c803429aa1874472f50d9b363131f0e89fc356b544d03")
    );
}

#[test]
fn v3_and_v4_read_the_same_git_reference() {
    let v3 = parse("v3.lock");
    let v4 = parse("v4.lock");
    assert_eq!(v3.version, 3);
    assert_eq!(v4.version, 4);
    let want = Source::Git {
        url: "https://github.com/example/gitdep".into(),
        reference: Some("branch=feature/x".into()),
        commit: GIT_COMMIT.into(),
    };
    assert_eq!(pkg(&v3, "gitdep", "0.1.0").1.source, want);
    assert_eq!(
        pkg(&v4, "gitdep", "0.1.0").1.source,
        want,
        "v4 percent-encoding is decoded"
    );
    assert_eq!(
        want.lock_string().as_deref(),
        Some(
            "git+https://github.com/example/gitdep?branch=feature/x#0123456789abcdef0123456789abcdef01234567"
        )
    );
    assert_eq!(
        dep_names(&v3, "app", "0.1.0"),
        [
            "anyhow 1.0.105",
            "gitdep 0.1.0",
            "inner 0.2.0",
            "semver 1.0.28"
        ]
    );
    assert_eq!(dep_names(&v3, "inner", "0.2.0"), ["hex 0.4.3"]);

    let (_, private) = pkg(&v4, "private", "2.0.0-rc.1");
    assert_eq!(
        private.source,
        Source::Registry {
            url: "https://registry.example.com/index/".into(),
            sparse: true
        }
    );
    assert!(!private.source.is_crates_io());

    // A format upgrade alone is not a dependency change.
    let bumps = diff(&v3, &v4, None);
    assert_eq!(bumps.len(), 1, "{bumps:#?}");
    assert_eq!(
        (bumps[0].name.as_str(), bumps[0].change),
        ("private", ChangeKind::Added)
    );
    assert!(bumps[0].chain.is_empty(), "nothing depends on it");
}

#[test]
fn v1_and_v3_of_the_same_resolution_diff_empty() {
    let v1 = parse_lockfile(
        "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\"]\n\n\
         [[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
         [metadata]\n\"checksum b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"<none>\"\n",
        "Cargo.lock",
    )
    .expect("v1");
    assert_eq!(v1.version, 1);
    assert_eq!(v1.packages[1].checksum, None, "`<none>` is no checksum");
    let v3 = parse_lockfile(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b\"]\n\n\
         [[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        "Cargo.lock",
    )
    .expect("v3");
    assert!(diff(&v1, &v3, None).is_empty());
}

#[test]
fn pre_2017_root_table() {
    let lock = parse_lockfile(
        "[root]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\"]\n\n\
         [[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        "old/Cargo.lock",
    )
    .expect("root table");
    assert_eq!(lock.version, 1);
    assert_eq!(dep_names(&lock, "app", "0.1.0"), ["b 2.0.0"]);
}

#[test]
fn unused_patches_and_unknown_tables_are_ignored() {
    let lock = parse_lockfile(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n\
         [[patch.unused]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"git+https://x/b#123\"\n",
        "Cargo.lock",
    )
    .expect("patch.unused");
    assert_eq!(lock.packages.len(), 1);
}

#[test]
fn empty_lockfile_parses() {
    let lock = parse_lockfile("# nothing\nversion = 4\n", "Cargo.lock").expect("empty");
    assert!(lock.packages.is_empty());
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn malformed_toml_names_file_and_line() {
    let err = parse_lockfile(&fixture("malformed.lock"), "sub/Cargo.lock")
        .expect_err("conflict markers are not TOML");
    let msg = err.to_string();
    assert!(msg.starts_with("sub/Cargo.lock:6:"), "{msg}");
    let typed = err.downcast_ref::<LockfileError>().expect("typed");
    assert_eq!(
        typed.position.map(|p| p.0),
        Some(6),
        "the conflict marker line"
    );
}

#[test]
fn semantic_errors_name_file_and_line() {
    let e = parse_err("version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.x\"\n");
    assert!(
        e.starts_with("dir/Cargo.lock:5:") && e.contains("invalid version `1.x`"),
        "{e}"
    );

    let e = parse_err(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"ghost\",\n]\n",
    );
    assert!(
        e.starts_with("dir/Cargo.lock:6:") && e.contains("`ghost` names no package"),
        "{e}"
    );

    let e = parse_err("# header\nversion = 7\n");
    assert!(
        e.starts_with("dir/Cargo.lock:2:") && e.contains("version = 7"),
        "{e}"
    );

    let e = parse_err("version = 3\n[[package]]\nnam = \"a\"\nversion = \"1.0.0\"\n");
    assert!(
        e.starts_with("dir/Cargo.lock:2:") && e.contains("name"),
        "{e}"
    );

    let e = parse_err("version = 3\n[[package]]\nname = \"a\"\nversion = 1\n");
    assert!(e.starts_with("dir/Cargo.lock:4:"), "{e}");

    let e = parse_err("version = \"4\"\n");
    assert!(e.starts_with("dir/Cargo.lock:1:"), "{e}");

    let e = parse_err(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"directory+/x\"\n",
    );
    assert!(
        e.starts_with("dir/Cargo.lock:5:") && e.contains("unknown source kind"),
        "{e}"
    );

    let e = parse_err(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"git+https://x/y\"\n",
    );
    assert!(
        e.starts_with("dir/Cargo.lock:5:") && e.contains("#commit"),
        "{e}"
    );

    let two_b = "[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://a\"\n\n\
                 [[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://a\"\n";
    let e = parse_err(&format!(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b\"]\n{two_b}"
    ));
    assert!(
        e.starts_with("dir/Cargo.lock:5:") && e.contains("ambiguous"),
        "{e}"
    );

    let e = parse_err(&format!("version = 3\n{two_b}\n{two_b}"));
    assert!(
        e.starts_with("dir/Cargo.lock:12:") && e.contains("listed twice (first at line 2)"),
        "{e}"
    );

    let e = parse_err(
        "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b 1.0.0 (x) y\"]\n",
    );
    assert!(
        e.starts_with("dir/Cargo.lock:5:") && e.contains("malformed dependency"),
        "{e}"
    );
}

/// Truncated and corrupted lockfiles must produce errors, never panics.
#[test]
fn never_panics_on_mangled_input() {
    let text = format!("{}\n{}", fixture("v4.lock"), fixture("v1.lock"));
    let mut boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    boundaries.push(text.len());
    for &end in &boundaries {
        let _ = parse_lockfile(&text[..end], "t");
    }
    // Deterministic byte substitutions with characters that matter to TOML and to our parser.
    let specials = [
        '"', '[', ']', '#', '(', ')', ' ', '\n', '%', '=', '+', '?', 'é', '0',
    ];
    let mut state: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..3000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = boundaries[(state >> 33) as usize % boundaries.len()];
        let ch = specials[(state >> 17) as usize % specials.len()];
        let mut mangled = text.clone();
        if at < mangled.len() {
            let next = mangled[at..].chars().next().map_or(0, char::len_utf8);
            mangled.replace_range(at..at + next, &ch.to_string());
        } else {
            mangled.push(ch);
        }
        let _ = parse_lockfile(&mangled, "t");
    }
}

// ---------------------------------------------------------------------------
// Pairing
// ---------------------------------------------------------------------------

fn summary(b: &Bump) -> String {
    let ver = |p: &Option<LockedPackage>| {
        p.as_ref()
            .map_or("-".to_string(), |p| p.version.to_string())
    };
    format!(
        "{} {:?} {} -> {}",
        b.name,
        b.change,
        ver(&b.old),
        ver(&b.new)
    )
}

fn find<'a>(bumps: &'a [Bump], name: &str, change: ChangeKind) -> &'a Bump {
    bumps
        .iter()
        .find(|b| b.name == name && b.change == change)
        .unwrap_or_else(|| {
            panic!(
                "no {change:?} bump of {name} in {:#?}",
                bumps.iter().map(summary).collect::<Vec<_>>()
            )
        })
}

#[test]
fn pairs_versions_sources_additions_and_removals() {
    let old = parse("pairing-old.lock");
    let new = parse("pairing-new.lock");
    let bumps = diff(&old, &new, None);
    let got: Vec<String> = bumps.iter().map(summary).collect();
    assert_eq!(
        got,
        [
            "app Updated 0.1.0 -> 0.2.0",
            "bar Updated 1.2.0 -> 1.3.0",
            "bar Added - -> 2.0.0",
            "baz Removed 0.1.0 -> -",
            "baz Updated 0.2.0 -> 0.3.0",
            "down Updated 2.1.0 -> 2.0.0",
            "foo Updated 1.2.0 -> 1.3.0",
            "fresh Added - -> 0.1.0",
            "gitdep SourceChanged 0.1.0 -> 0.1.0",
            "gone Removed 1.0.0 -> -",
            "gonedep Removed 0.5.0 -> -",
        ]
    );

    // Same series pairs first: 1.2 -> 1.3, and 2.0 is new (not 1.2 -> 2.0).
    let bar = find(&bumps, "bar", ChangeKind::Updated);
    assert_eq!(
        (bar.kind, bar.allows),
        (Some(BumpKind::Minor), Some(Level::Minor))
    );
    // Different 0.x series: greatest old with greatest new; 0.x minor allows a major change.
    let baz = find(&bumps, "baz", ChangeKind::Updated);
    assert_eq!(
        (baz.kind, baz.allows),
        (Some(BumpKind::Minor), Some(Level::Major))
    );
    let down = find(&bumps, "down", ChangeKind::Updated);
    assert_eq!((down.kind, down.allows), (Some(BumpKind::Downgrade), None));

    let git = find(&bumps, "gitdep", ChangeKind::SourceChanged);
    assert_eq!((git.kind, git.allows), (Some(BumpKind::Unchanged), None));
    let commit = |p: &Option<LockedPackage>| match p.as_ref().map(|p| &p.source) {
        Some(Source::Git { commit, .. }) => commit.chars().next(),
        other => panic!("not git: {other:?}"),
    };
    assert_eq!((commit(&git.old), commit(&git.new)), (Some('a'), Some('b')));

    let app = find(&bumps, "app", ChangeKind::Updated);
    assert_eq!(app.new.as_ref().map(|p| &p.source), Some(&Source::Path));
    assert_eq!(app.chain, ["app"]);
    assert!(!app.direct);

    for b in &bumps {
        assert_eq!(
            b.lockfile,
            if b.change == ChangeKind::Removed {
                "pairing-old.lock"
            } else {
                "pairing-new.lock"
            }
        );
        if matches!(b.change, ChangeKind::Added | ChangeKind::Removed) {
            assert_eq!((b.kind, b.allows), (None, None));
        }
    }
}

#[test]
fn direct_transitive_and_chains() {
    let old = parse("pairing-old.lock");
    let new = parse("pairing-new.lock");
    let bumps = diff(&old, &new, None);

    let foo = find(&bumps, "foo", ChangeKind::Updated);
    assert!(foo.direct);
    assert_eq!(foo.chain, ["app", "foo"]);

    // Added transitively: placed with the new graph.
    let fresh = find(&bumps, "fresh", ChangeKind::Added);
    assert!(!fresh.direct);
    assert_eq!(fresh.chain, ["app", "foo", "fresh"]);

    // Removed: only the old graph knows where it was.
    let gone = find(&bumps, "gone", ChangeKind::Removed);
    assert!(gone.direct);
    let gonedep = find(&bumps, "gonedep", ChangeKind::Removed);
    assert!(!gonedep.direct);
    assert_eq!(gonedep.chain, ["app", "gone", "gonedep"]);

    // Without workspace information every path package counts as a member,
    // so `inner`'s dependency looks direct.
    let baz = find(&bumps, "baz", ChangeKind::Updated);
    assert!(baz.direct);
    assert_eq!(baz.chain, ["inner", "baz"]);

    // With it, `inner` is a path dependency of the member `app`.
    let ws = WorkspaceInfo {
        members: vec!["app".into()],
        ..Default::default()
    };
    let bumps = diff(&old, &new, Some(&ws));
    let baz = find(&bumps, "baz", ChangeKind::Updated);
    assert!(!baz.direct);
    assert_eq!(baz.chain, ["app", "inner", "baz"]);
    let removed_baz = find(&bumps, "baz", ChangeKind::Removed);
    assert_eq!(removed_baz.chain, ["app", "inner", "baz"]);

    // Workspace information about other members falls back to path packages.
    let stale = WorkspaceInfo {
        members: vec!["renamed-app".into()],
        ..Default::default()
    };
    let bumps = diff(&old, &new, Some(&stale));
    assert_eq!(
        find(&bumps, "baz", ChangeKind::Updated).chain,
        ["inner", "baz"]
    );
}

#[test]
fn shortest_chain_wins() {
    // app -> a -> b -> target and app -> c -> target: the chain goes through c.
    let text = "version = 4\n\
        [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://r\"\ndependencies = [\"b\"]\n\
        [[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"a\", \"c\"]\n\
        [[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://r\"\ndependencies = [\"target\"]\n\
        [[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"registry+https://r\"\ndependencies = [\"target\"]\n\
        [[package]]\nname = \"target\"\nversion = \"1.0.0\"\nsource = \"registry+https://r\"\n";
    let old = parse_lockfile(text, "Cargo.lock").expect("old");
    let new = parse_lockfile(
        &text.replace(
            "\"target\"\nversion = \"1.0.0\"",
            "\"target\"\nversion = \"1.0.1\"",
        ),
        "Cargo.lock",
    )
    .expect("new");
    let bumps = diff(&old, &new, None);
    assert_eq!(bumps.len(), 1);
    assert_eq!(bumps[0].chain, ["app", "c", "target"]);
    assert_eq!(
        (bumps[0].kind, bumps[0].allows),
        (Some(BumpKind::Patch), Some(Level::Patch))
    );
}

#[test]
fn closest_version_in_series_pairs_first() {
    let lock = |versions: &[&str]| {
        let mut t = String::from("version = 4\n");
        for ver in versions {
            t.push_str(&format!(
                "[[package]]\nname = \"x\"\nversion = \"{ver}\"\nsource = \"registry+https://r\"\n"
            ));
        }
        parse_lockfile(&t, "Cargo.lock").expect("lock")
    };
    // 1.0.0 and 1.5.0 -> 1.5.1 and 1.9.0: 1.5.0 -> 1.5.1 (closest), then 1.0.0 -> 1.9.0.
    let bumps = diff(&lock(&["1.0.0", "1.5.0"]), &lock(&["1.5.1", "1.9.0"]), None);
    let got: Vec<String> = bumps.iter().map(summary).collect();
    assert_eq!(
        got,
        ["x Updated 1.5.0 -> 1.5.1", "x Updated 1.0.0 -> 1.9.0"]
    );

    // 0.0.x versions are each their own series: greatest with greatest.
    let bumps = diff(&lock(&["0.0.1", "0.0.2"]), &lock(&["0.0.3"]), None);
    let got: Vec<String> = bumps.iter().map(summary).collect();
    assert_eq!(got, ["x Removed 0.0.1 -> -", "x Updated 0.0.2 -> 0.0.3"]);
}

#[test]
fn source_change_prefers_same_location() {
    let lock = |sources: &[&str]| {
        let mut t = String::from("version = 4\n");
        for s in sources {
            t.push_str(&format!(
                "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"{s}\"\n"
            ));
        }
        parse_lockfile(&t, "Cargo.lock").expect("lock")
    };
    let old = lock(&["git+https://g/x#aaa", "registry+https://r1"]);
    let new = lock(&["registry+https://r2", "git+https://g/x#bbb"]);
    let bumps = diff(&old, &new, None);
    assert_eq!(bumps.len(), 2);
    for b in &bumps {
        assert_eq!(b.change, ChangeKind::SourceChanged);
        let kind = |p: &Option<LockedPackage>| {
            matches!(p.as_ref().map(|p| &p.source), Some(Source::Git { .. }))
        };
        assert_eq!(kind(&b.old), kind(&b.new), "git pairs with git: {b:#?}");
    }
}

#[test]
fn path_to_registry_is_a_source_change() {
    let old = parse_lockfile(
        "version = 4\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n",
        "Cargo.lock",
    )
    .expect("old");
    let new = parse_lockfile(
        "version = 4\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        "Cargo.lock",
    )
    .expect("new");
    let bumps = diff(&old, &new, None);
    assert_eq!(bumps.len(), 1);
    assert_eq!(bumps[0].change, ChangeKind::SourceChanged);
}

#[test]
fn added_and_deleted_lockfiles() {
    let lock = parse("v3.lock");
    let added = diff_files(None, Some(&lock), None);
    assert_eq!((added.old_version, added.new_version), (None, Some(3)));
    assert_eq!(added.path, "v3.lock");
    assert_eq!(added.bumps.len(), lock.packages.len());
    assert!(added.bumps.iter().all(|b| b.change == ChangeKind::Added));
    let semver = added
        .bumps
        .iter()
        .find(|b| b.name == "semver")
        .expect("semver");
    assert!(semver.direct);

    let deleted = diff_files(Some(&lock), None, None);
    assert!(
        deleted
            .bumps
            .iter()
            .all(|b| b.change == ChangeKind::Removed)
    );
    let hex = deleted.bumps.iter().find(|b| b.name == "hex").expect("hex");
    assert_eq!(hex.chain, ["inner", "hex"]);
}
