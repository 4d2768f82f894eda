//! The real pre-commit framework runs this repository's hook
//! (`.pre-commit-hooks.yaml`) on a temporary repository: through
//! `pre-commit try-repo`, and through `pre-commit install` and real `git
//! commit` runs (`git commit -a` stages into a temporary index).
//!
//! Needs the `pre-commit` command (from PyPI; `.ci/run` installs it) and
//! crates.io (pre-commit builds the hook with `cargo install`). Skips with a
//! visible line when either is missing or BUMPGUARD_OFFLINE=1 is set.
//!
//! pre-commit keeps one build per (repository, revision). So that every
//! run here shares one build, and a second `cargo test` reuses it, the hook
//! repository is a snapshot of this checkout (uncommitted changes
//! included) committed with fixed dates: the same files give the same
//! commit, at the same path.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::{CRATES_IO, Pkg, crate_archive, fixture, lockfile, sha256_hex};

fn skip(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "skipping pre-commit framework test: {why}"
    );
}

fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@bumpguard.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@bumpguard.invalid")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_DIR");
    c
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, args).output().expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository holding this checkout's files as they are now (tracked
/// and untracked-but-not-ignored), in one commit with fixed dates; returns
/// its path and commit id.
fn hook_repository() -> (PathBuf, String) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-hook-repo");
    if dest.exists() {
        std::fs::remove_dir_all(&dest).expect("clear the hook repository");
    }
    std::fs::create_dir_all(&dest).expect("mkdir");
    let listing = Command::new("git")
        .current_dir(src)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("git ls-files");
    assert!(
        listing.status.success(),
        "this checkout is not a git work tree"
    );
    for rel in listing.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rel = String::from_utf8_lossy(rel).to_string();
        let from = src.join(&rel);
        // Deleted but not yet committed: not part of the snapshot.
        if !from.is_file() {
            continue;
        }
        let to = dest.join(&rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {rel}: {e}"));
    }
    git(&dest, &["init", "-q", "-b", "main"]);
    git(&dest, &["add", "-A"]);
    git(
        &dest,
        &["commit", "-q", "-m", "snapshot for the pre-commit test"],
    );
    let rev = git(&dest, &["rev-parse", "HEAD"]);
    (dest, rev)
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
    let (hook_repo, rev) = hook_repository();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("Cargo.lock"), lock("0.1.4", &sums[0])).expect("lockfile");
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: bumpguard\n",
            hook_repo.display()
        ),
    )
    .expect("config");
    git(&repo, &["add", "Cargo.lock", ".pre-commit-config.yaml"]);
    git(&repo, &["commit", "-q", "-m", "initial"]);

    // pre-commit builds the hook once and keeps it; reuse it between runs.
    let pre_commit_home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home");
    let env = |c: &mut Command| {
        c.env("PRE_COMMIT_HOME", &pre_commit_home)
            // pre-commit builds the hook with `cargo install` (release);
            // unoptimised, that build takes a third of the time, and what
            // is tested here is the hook's wiring, not its speed.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("XDG_CACHE_HOME", &cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS");
    };
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };

    // `pre-commit try-repo` on this checkout (it always builds the hook
    // afresh, in a store of its own): a staged bump with a semver
    // violation fails with the report.
    std::fs::write(repo.join("Cargo.lock"), lock("0.1.10", &sums[1])).expect("lockfile");
    git(&repo, &["add", "Cargo.lock"]);
    let mut try_repo = Command::new("pre-commit");
    try_repo
        .current_dir(&repo)
        .args(["try-repo", env!("CARGO_MANIFEST_DIR"), "bumpguard"]);
    env(&mut try_repo);
    let out = try_repo.output().expect("pre-commit try-repo");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Verdict: BLOCKED"), "{}", text(&out));
    assert!(
        text(&out).contains("struct-pub-field-added-constructible"),
        "{}",
        text(&out)
    );
    git(&repo, &["reset", "-q", "--", "Cargo.lock"]);

    // The framework as the repository's git hook, with real commits; the
    // hook's build is kept in PRE_COMMIT_HOME between runs of this test.
    let started = Instant::now();
    let mut install = Command::new("pre-commit");
    install
        .current_dir(&repo)
        .args(["install", "--install-hooks"]);
    env(&mut install);
    let out = install.output().expect("pre-commit install");
    assert!(out.status.success(), "{}", text(&out));
    let built = started.elapsed();
    let commit = |args: &[&str]| {
        let mut c = git_command(&repo, args);
        env(&mut c);
        c.output().expect("git commit")
    };
    // A commit without the lockfile (its bump stays unstaged) goes
    // through, the hook skipped.
    std::fs::write(repo.join("README.md"), "docs\n").expect("readme");
    git(&repo, &["add", "README.md"]);
    let started = Instant::now();
    let out = commit(&["commit", "-m", "docs"]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Skipped"), "{}", text(&out));
    let _ = writeln!(
        std::io::stderr(),
        "git commit through the pre-commit framework without a lockfile change: {:.2} s (pre-commit install --install-hooks: {:.1} s)",
        elapsed.as_secs_f64(),
        built.as_secs_f64()
    );

    // The bump is still only in the working tree: `git commit -a` stages
    // it into a temporary index (GIT_INDEX_FILE), which the hook must read.
    let out = commit(&["commit", "-q", "-a", "-m", "bump"]);
    assert!(
        !out.status.success(),
        "git commit -a went through: {}",
        text(&out)
    );
    assert!(text(&out).contains("Verdict: BLOCKED"), "{}", text(&out));
    assert!(
        text(&out).contains("acme-opts 0.1.4 -> 0.1.10"),
        "{}",
        text(&out)
    );
    let out = commit(&["commit", "-q", "-m", "bump", "Cargo.lock"]);
    assert!(
        !out.status.success(),
        "git commit Cargo.lock went through: {}",
        text(&out)
    );
    assert!(text(&out).contains("Verdict: BLOCKED"), "{}", text(&out));
}
