//! The real pre-commit framework runs this repository's hook
//! (`.pre-commit-hooks.yaml`) on a temporary repository.
//!
//! Needs the `pre-commit` command (from PyPI; `.ci/run` installs it) and
//! crates.io (pre-commit builds the hook with `cargo install`). Skips with a
//! visible line when either is missing or BUMPGUARD_OFFLINE=1 is set.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use support::{CRATES_IO, Pkg, crate_archive, fixture, lockfile, sha256_hex};

fn skip(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "skipping pre-commit framework test: {why}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@bumpguard.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@bumpguard.invalid")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn lock(version: &str, sum: &str) -> String {
    lockfile(&[
        Pkg {
            name: "acme-opts",
            version,
            source: Some(CRATES_IO),
            checksum: Some(sum),
            deps: &[],
        },
        Pkg {
            name: "app",
            version: "0.1.0",
            source: None,
            checksum: None,
            deps: &["acme-opts"],
        },
    ])
}

#[test]
fn the_pre_commit_hook_blocks_a_bad_bump_and_skips_other_commits() {
    if std::env::var("BUMPGUARD_OFFLINE")
        .is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
    {
        return skip("it needs crates.io to build the hook and BUMPGUARD_OFFLINE=1 is set");
    }
    if Command::new("pre-commit")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        return skip(
            "the `pre-commit` command is not installed (python3 -m pip install pre-commit)",
        );
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    // bumpguard's cache already holds both archives: the hook needs no network.
    let cache = tmp.path().join("cache");
    let archives = cache.join("bumpguard/archives");
    std::fs::create_dir_all(&archives).expect("mkdir");
    let mut sums = Vec::new();
    for (side, version) in [("old", "0.1.4"), ("new", "0.1.10")] {
        let bytes = crate_archive(
            &fixture("field-added-constructible", side),
            "acme-opts",
            version,
        );
        let sum = sha256_hex(&bytes);
        std::fs::write(
            archives.join(format!("acme-opts-{version}-{sum}.crate")),
            &bytes,
        )
        .expect("archive");
        sums.push(sum);
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("Cargo.lock"), lock("0.1.4", &sums[0])).expect("lockfile");
    git(&repo, &["add", "Cargo.lock"]);
    git(&repo, &["commit", "-q", "-m", "initial"]);

    // pre-commit builds the hook once and keeps it; reuse it between runs.
    let pre_commit_home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home");
    let run = |what: &str| {
        Command::new("pre-commit")
            .current_dir(&repo)
            .args(["try-repo", env!("CARGO_MANIFEST_DIR"), "bumpguard"])
            .env("PRE_COMMIT_HOME", &pre_commit_home)
            // pre-commit builds the hook with `cargo install` (release);
            // unoptimised, that build takes a third of the time, and what
            // is tested here is the hook's wiring, not its speed.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("XDG_CACHE_HOME", &cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("pre-commit ({what}): {e}"))
    };

    // Nothing about dependencies staged: the hook is skipped.
    std::fs::write(repo.join("README.md"), "docs\n").expect("readme");
    git(&repo, &["add", "README.md"]);
    let out = run("no lockfile change");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Skipped"), "{text}");

    // A staged bump with a semver violation: the hook fails with the report.
    std::fs::write(repo.join("Cargo.lock"), lock("0.1.10", &sums[1])).expect("lockfile");
    git(&repo, &["add", "Cargo.lock"]);
    let out = run("bad bump");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("Verdict: BLOCKED"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("struct-pub-field-added-constructible"),
        "{text}"
    );
}
