//! Revisions against real (temporary) git repositories built with git2, so
//! the tests depend on neither a `git` binary nor the user's git config.

use bumpguard::revision::{LockfileText, Repo, Rev};
use git2::{IndexAddOption, Oid, Repository, RepositoryInitOptions, Signature};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

fn init(initial_branch: &str) -> (TempDir, Repository) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head(initial_branch);
    let repo = Repository::init_opts(dir.path(), &opts).expect("git init");
    (dir, repo)
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Stages everything git does not ignore and commits it on HEAD.
fn commit_all(repo: &Repository, message: &str) -> Oid {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("update");
    index.write().expect("write index");
    commit_index(repo, message)
}

fn commit_index(repo: &Repository, message: &str) -> Oid {
    let mut index = repo.index().expect("index");
    let tree = repo
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let sig = Signature::now("Bumpguard Test", "test@example.com").expect("signature");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}

fn stage(repo: &Repository, rel: &str) {
    let mut index = repo.index().expect("index");
    index.add_path(Path::new(rel)).expect("add path");
    index.write().expect("write index");
}

fn listing(files: &[LockfileText]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect()
}

/// Two commits, a staged change, an unstaged change, an untracked lockfile,
/// ignored ones, a tracked-but-ignored one, and a deleted one.
struct Fixture {
    dir: TempDir,
    repo: Repository,
    first: Oid,
    second: Oid,
}

fn fixture() -> Fixture {
    let (dir, repo) = init("main");
    let root = dir.path();
    write(root, ".gitignore", "/target\nvendor/\n");
    write(root, "Cargo.toml", "[workspace]\n");
    write(root, "Cargo.lock", "A1");
    write(root, "sub/Cargo.lock", "B1");
    write(root, "sub/not-a-lockfile.lock", "x");
    let first = commit_all(&repo, "first");

    write(root, "Cargo.lock", "A2");
    // Tracked although ignored: git keeps tracking it, so do we.
    write(root, "vendor/Cargo.lock", "V");
    stage(&repo, "vendor/Cargo.lock");
    let second = commit_all(&repo, "second");

    write(root, "Cargo.lock", "A3");
    stage(&repo, "Cargo.lock");
    write(root, "Cargo.lock", "A4"); // not staged
    fs::remove_file(root.join("sub/Cargo.lock")).expect("rm"); // deleted, not staged
    write(root, "tools/Cargo.lock", "T"); // untracked, not ignored
    write(root, "target/Cargo.lock", "ignored");
    write(root, "target/package/x-1.0.0/Cargo.lock", "ignored");
    write(root, "crates/x/target/Cargo.lock", "build output");
    write(root, "vendor/other/Cargo.lock", "ignored, untracked");
    Fixture {
        dir,
        repo,
        first,
        second,
    }
}

#[test]
fn lockfiles_at_commits_index_and_working_tree() {
    let f = fixture();
    let repo = Repo::open(f.dir.path()).expect("open");

    let at_first = repo
        .lockfiles(&Rev::Commit(f.first.to_string()))
        .expect("first");
    assert_eq!(
        listing(&at_first),
        [("Cargo.lock", "A1"), ("sub/Cargo.lock", "B1")]
    );

    let at_head = repo.lockfiles(&Rev::Commit("HEAD".into())).expect("HEAD");
    assert_eq!(
        listing(&at_head),
        [
            ("Cargo.lock", "A2"),
            ("sub/Cargo.lock", "B1"),
            ("vendor/Cargo.lock", "V")
        ]
    );
    assert_eq!(
        repo.lockfiles(&Rev::Commit("HEAD~1".into()))
            .expect("HEAD~1"),
        at_first
    );
    assert_eq!(
        repo.lockfiles(&Rev::Commit("main".into())).expect("main"),
        at_head
    );

    let index = repo.lockfiles(&Rev::Index).expect("index");
    assert_eq!(
        listing(&index),
        [
            ("Cargo.lock", "A3"),
            ("sub/Cargo.lock", "B1"),
            ("vendor/Cargo.lock", "V")
        ]
    );

    let work = repo.lockfiles(&Rev::WorkTree).expect("work tree");
    assert_eq!(
        listing(&work),
        [
            ("Cargo.lock", "A4"),
            ("tools/Cargo.lock", "T"),
            ("vendor/Cargo.lock", "V")
        ]
    );
}

#[test]
fn opens_from_a_subdirectory() {
    let f = fixture();
    let repo = Repo::open(&f.dir.path().join("tools")).expect("open from subdir");
    let workdir = repo.workdir().expect("workdir");
    assert_eq!(
        workdir.canonicalize().expect("canon"),
        f.dir.path().canonicalize().expect("canon")
    );
}

#[test]
fn resolve_labels_and_unknown_revisions() {
    let f = fixture();
    let repo = Repo::open(f.dir.path()).expect("open");
    let sha = f.second.to_string();

    let label = repo.resolve(&Rev::Commit("main".into())).expect("main");
    let short = label
        .strip_suffix(" (main)")
        .unwrap_or_else(|| panic!("label {label}"));
    assert!(short.len() >= 7 && sha.starts_with(short), "{label}");
    assert_eq!(repo.resolve(&Rev::Commit(sha.clone())).expect("sha"), short);
    assert_eq!(
        repo.resolve(&Rev::Commit("HEAD~1".into()))
            .expect("HEAD~1")
            .split(' ')
            .nth(1),
        Some("(HEAD~1)")
    );
    assert_eq!(repo.resolve(&Rev::Index).expect("index"), "index");
    assert_eq!(repo.resolve(&Rev::WorkTree).expect("work"), "working tree");
    assert_eq!(repo.commit_id("HEAD~1").expect("id"), f.first.to_string());

    for rev in ["no-such-branch", "HEAD~9", "deadbeef"] {
        let err = repo
            .resolve(&Rev::Commit(rev.into()))
            .expect_err("unknown")
            .to_string();
        assert!(
            err.starts_with(&format!("unknown revision '{rev}' in ")),
            "{err}"
        );
        assert!(!err.ends_with('/'), "{err}");
        let err = repo
            .lockfiles(&Rev::Commit(rev.into()))
            .expect_err("unknown")
            .to_string();
        assert!(
            err.starts_with(&format!("unknown revision '{rev}' in ")),
            "{err}"
        );
    }
}

#[test]
fn not_a_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Repo::open(dir.path())
        .expect_err("no repository")
        .to_string();
    assert_eq!(
        err,
        format!("not a git repository: {}", dir.path().display())
    );
}

#[test]
fn default_base_on_the_default_branch_is_head() {
    let f = fixture();
    let repo = Repo::open(f.dir.path()).expect("open");
    let (desc, sha) = repo.default_base().expect("base");
    assert_eq!(sha, f.second.to_string());
    assert!(desc.contains("main"), "{desc}");
}

#[test]
fn default_base_on_a_feature_branch_is_the_merge_base() {
    let (dir, repo) = init("main");
    write(dir.path(), "Cargo.lock", "1");
    let base = commit_all(&repo, "base");
    write(dir.path(), "Cargo.lock", "2");
    commit_all(&repo, "main moves on");

    let base_commit = repo.find_commit(base).expect("commit");
    repo.branch("feature", &base_commit, false).expect("branch");
    repo.set_head("refs/heads/feature").expect("checkout");
    write(dir.path(), "Cargo.lock", "3");
    commit_all(&repo, "feature work");

    let r = Repo::open(dir.path()).expect("open");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(
        (desc.as_str(), sha),
        ("merge-base of HEAD and main", base.to_string())
    );

    // Detached HEAD behaves like a feature branch.
    let head = repo
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id();
    repo.set_head_detached(head).expect("detach");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(
        (desc.as_str(), sha),
        ("merge-base of HEAD and main", base.to_string())
    );
}

#[test]
fn default_base_follows_origin_head() {
    let (dir, repo) = init("main");
    write(dir.path(), "Cargo.lock", "1");
    let first = commit_all(&repo, "first");
    write(dir.path(), "Cargo.lock", "2");
    let second = commit_all(&repo, "second");
    repo.reference("refs/remotes/origin/develop", first, false, "test")
        .expect("remote branch");
    repo.reference_symbolic(
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/develop",
        false,
        "test",
    )
    .expect("origin/HEAD");

    let r = Repo::open(dir.path()).expect("open");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(
        (desc.as_str(), sha),
        ("merge-base of HEAD and origin/develop", first.to_string())
    );

    // On the local branch of the same name, the base is HEAD itself.
    repo.branch("develop", &repo.find_commit(second).expect("commit"), false)
        .expect("branch");
    repo.set_head("refs/heads/develop").expect("checkout");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(sha, second.to_string());
    assert!(desc.contains("develop"), "{desc}");
}

#[test]
fn default_base_falls_back_to_master_then_fails() {
    let (dir, repo) = init("master");
    write(dir.path(), "Cargo.lock", "1");
    let only = commit_all(&repo, "only");
    let r = Repo::open(dir.path()).expect("open");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(sha, only.to_string());
    assert!(desc.contains("master"), "{desc}");

    let (dir, repo) = init("trunk");
    write(dir.path(), "Cargo.lock", "1");
    commit_all(&repo, "only");
    let r = Repo::open(dir.path()).expect("open");
    let err = r.default_base().expect_err("no default branch").to_string();
    assert!(err.contains("cannot tell the default branch"), "{err}");

    // origin/main counts when there is no local main.
    let head = repo
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id();
    repo.reference("refs/remotes/origin/main", head, false, "test")
        .expect("origin/main");
    let (desc, sha) = r.default_base().expect("base");
    assert_eq!(
        (desc.as_str(), sha),
        ("merge-base of HEAD and origin/main", head.to_string())
    );
}

#[test]
fn default_base_without_commits_is_an_error() {
    let (dir, _repo) = init("main");
    let r = Repo::open(dir.path()).expect("open");
    let err = r.default_base().expect_err("unborn HEAD").to_string();
    assert!(err.contains("HEAD does not name a commit"), "{err}");
}

#[test]
fn export_writes_a_subtree_at_a_commit_or_the_index() {
    let f = fixture();
    let root = f.dir.path();
    write(root, "sub/src/lib.rs", "pub fn x() {}\n");
    write(root, "sub/Cargo.toml", "[package]\nname = \"sub\"\n");
    write(root, "sub/Cargo.lock", "B2");
    stage(&f.repo, "sub/src/lib.rs");
    stage(&f.repo, "sub/Cargo.toml");
    stage(&f.repo, "sub/Cargo.lock");
    let repo = Repo::open(root).expect("open");

    let out = tempfile::tempdir().expect("tempdir");
    let dest = out.path().join("at-first");
    repo.export(&Rev::Commit(f.first.to_string()), "sub", &dest)
        .expect("export commit");
    assert_eq!(
        fs::read_to_string(dest.join("Cargo.lock")).expect("lock"),
        "B1"
    );
    assert!(dest.join("not-a-lockfile.lock").is_file());
    assert!(!dest.join("src").exists(), "not in that commit");

    let dest = out.path().join("index");
    repo.export(&Rev::Index, "./sub/", &dest)
        .expect("export index");
    assert_eq!(
        fs::read_to_string(dest.join("Cargo.lock")).expect("lock"),
        "B2"
    );
    assert_eq!(
        fs::read_to_string(dest.join("src/lib.rs")).expect("lib"),
        "pub fn x() {}\n"
    );

    let dest = out.path().join("root");
    repo.export(&Rev::Commit("HEAD".into()), "", &dest)
        .expect("export root");
    assert_eq!(
        fs::read_to_string(dest.join("Cargo.lock")).expect("lock"),
        "A2"
    );
    assert_eq!(
        fs::read_to_string(dest.join("sub/Cargo.lock")).expect("lock"),
        "B1"
    );
    assert!(!dest.join(".git").exists());

    let err = repo
        .export(&Rev::Commit("HEAD".into()), "nope", &out.path().join("x"))
        .expect_err("missing dir")
        .to_string();
    assert!(err.contains("no directory 'nope'"), "{err}");
    let err = repo
        .export(&Rev::Index, "nope", &out.path().join("y"))
        .expect_err("missing dir")
        .to_string();
    assert!(err.contains("no directory 'nope'"), "{err}");
    let err = repo
        .export(
            &Rev::Commit("HEAD".into()),
            "Cargo.lock",
            &out.path().join("z"),
        )
        .expect_err("a file")
        .to_string();
    assert!(err.contains("not a directory"), "{err}");
    assert!(
        repo.export(&Rev::Commit("HEAD".into()), "../x", &out.path().join("w"))
            .is_err()
    );
    assert!(
        repo.export(&Rev::WorkTree, "", &out.path().join("v"))
            .is_err()
    );
}

#[test]
fn export_skips_large_blobs_and_symlinks() {
    let (dir, repo) = init("main");
    write(dir.path(), "Cargo.toml", "[package]\n");
    write(dir.path(), "big.bin", &"x".repeat(8 * 1024 * 1024 + 1));
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).expect("symlink");
    commit_all(&repo, "with big file and symlink");
    let r = Repo::open(dir.path()).expect("open");
    let out = tempfile::tempdir().expect("tempdir");
    for (rev, name) in [
        (Rev::Commit("HEAD".into()), "commit"),
        (Rev::Index, "index"),
    ] {
        let dest = out.path().join(name);
        r.export(&rev, "", &dest).expect("export");
        assert!(dest.join("Cargo.toml").is_file());
        assert!(
            !dest.join("big.bin").exists(),
            "{name}: blobs over 8 MiB are skipped"
        );
        assert!(
            fs::symlink_metadata(dest.join("link")).is_err(),
            "{name}: symlinks are skipped"
        );
    }
}

#[test]
fn symlinked_lockfiles_are_not_read() {
    let (dir, repo) = init("main");
    write(dir.path(), "real/Cargo.lock", "R");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("real/Cargo.lock", dir.path().join("Cargo.lock"))
            .expect("symlink");
        std::os::unix::fs::symlink("real", dir.path().join("loop")).expect("dir symlink");
    }
    commit_all(&repo, "symlinks");
    let r = Repo::open(dir.path()).expect("open");
    for rev in [Rev::Commit("HEAD".into()), Rev::Index, Rev::WorkTree] {
        let files = r.lockfiles(&rev).expect("lockfiles");
        assert_eq!(listing(&files), [("real/Cargo.lock", "R")], "{rev}");
    }
}
