//! `bumpguard check` on real temporary git repositories, hermetic: crates come
//! from a fake CARGO_HOME filled with archives of the fixture pairs, and the
//! network is off (BUMPGUARD_OFFLINE=1).

mod support;

use assert_cmd::Command;
use support::{CRATES_IO, FakeCargoHome, Pkg, Repo, crate_archive, fixture, lockfile};

struct Env {
    _tmp: tempfile::TempDir,
    cargo_home: FakeCargoHome,
    cache: std::path::PathBuf,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cargo_home = FakeCargoHome::new(&tmp.path().join("cargo-home"));
        let cache = tmp.path().join("cache");
        Env {
            _tmp: tmp,
            cargo_home,
            cache,
        }
    }

    fn cmd(&self, repo: &std::path::Path) -> Command {
        let mut c = Command::cargo_bin("bumpguard").expect("binary");
        c.env("CARGO_HOME", &self.cargo_home.root)
            .env("XDG_CACHE_HOME", &self.cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .env_remove("NO_COLOR")
            .arg("--color=never")
            .arg("check")
            .arg("--repo")
            .arg(repo);
        c
    }
}

impl Env {
    /// Runs `bumpguard check --format json` with `args`, expects exit `code`
    /// and returns the report.
    fn json(&self, repo: &std::path::Path, args: &[&str], code: i32) -> serde_json::Value {
        let out = self
            .cmd(repo)
            .args(args)
            .arg("--format=json")
            .assert()
            .code(code);
        serde_json::from_slice(&out.get_output().stdout).expect("json report")
    }
}

/// The acme-opts fixture pair as crates.io would serve it.
fn acme_archives(env: &Env) -> (String, String) {
    let old = env.cargo_home.add(
        "acme-opts",
        "0.1.4",
        &crate_archive(
            &fixture("field-added-constructible", "old"),
            "acme-opts",
            "0.1.4",
        ),
    );
    let new = env.cargo_home.add(
        "acme-opts",
        "0.1.10",
        &crate_archive(
            &fixture("field-added-constructible", "new"),
            "acme-opts",
            "0.1.10",
        ),
    );
    (old, new)
}

/// An app depending on `acme-opts` directly and on `helper`, which pulls in `leaf`.
fn app_lock(acme_version: &str, acme_sum: &str) -> String {
    lockfile(&[
        Pkg {
            name: "acme-opts",
            version: acme_version,
            source: Some(CRATES_IO),
            checksum: Some(acme_sum),
            deps: &[],
        },
        Pkg {
            name: "app",
            version: "0.1.0",
            source: None,
            checksum: None,
            deps: &["acme-opts", "helper"],
        },
        Pkg {
            name: "helper",
            version: "1.0.0",
            source: None,
            checksum: None,
            deps: &[],
        },
    ])
}

fn app_repo(old_lock: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nacme-opts = { version = \"0.1\", features = [\"acme-alpn\"] }\n",
    );
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", old_lock);
    repo.commit("initial");
    repo
}

#[test]
fn a_patch_bump_that_breaks_struct_literals_is_blocked() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    let base = repo
        .git
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id()
        .to_string();
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    let head = repo.commit("bump acme-opts");

    let out = env
        .cmd(repo.path())
        .args(["--base", &base, "--head", &head])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("acme-opts 0.1.4 -> 0.1.10"), "{text}");
    assert!(text.contains("patch bump, allows minor changes"), "{text}");
    assert!(
        text.contains(
            "struct-pub-field-added-constructible acme_opts::tls::acme::alpn::Opts.tls_config"
        ),
        "{text}"
    );
    assert!(text.contains("1 SEMVER VIOLATION"), "{text}");
    assert!(text.contains("Verdict: BLOCKED"), "{text}");
    // The verdict says what unblocks it, in the terminal and in Markdown.
    let unblock = "To unblock: if the changes are intended, accept each: `bumpguard accept bg-";
    assert!(text.contains(unblock), "{text}");
    assert!(
        text.contains("or stay on 0.1.4: `cargo update -p acme-opts@0.1.10 --precise 0.1.4`"),
        "{text}"
    );
    let md = env
        .cmd(repo.path())
        .args(["--base", &base, "--head", &head, "--format=markdown"])
        .assert()
        .code(1);
    let md = String::from_utf8_lossy(&md.get_output().stdout).to_string();
    assert!(md.contains("**Blocked because:**"), "{md}");
    assert!(
        md.contains("To unblock: if the changes are intended"),
        "{md}"
    );
    assert!(
        md.contains("`[policy] semver-violations = \"warn\"`"),
        "{md}"
    );

    // The same run as JSON: labelled with the bump, its source and direct use.
    let json = env.json(repo.path(), &["--base", &base, "--head", &head], 1);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["verdict"]["status"], "blocked");
    let krate = &json["crates"][0];
    assert_eq!(krate["name"], "acme-opts");
    assert_eq!(krate["bump"], "patch");
    assert_eq!(krate["allows"], "minor");
    assert_eq!(krate["required"], "major");
    assert_eq!(krate["new_source"], "crates.io");
    assert_eq!(krate["direct"], true);
    assert_eq!(
        krate["features"],
        serde_json::json!(["acme-alpn", "default"])
    );
    assert_eq!(krate["analysis"]["status"], "analysed");
    let change = krate["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["violation"] == true)
        .expect("a violation");
    assert_eq!(change["code"], "struct-pub-field-added-constructible");
    assert_eq!(
        change["path"],
        "acme_opts::tls::acme::alpn::Opts.tls_config"
    );
    assert_eq!(change["cfg"], "feature = \"acme-alpn\"");
    assert_eq!(change["new"], "pub tls_config: Option<String>");
}

#[test]
fn staged_and_working_tree_changes_are_seen() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));

    // Working tree against the default base (HEAD of main here).
    let json = env.json(repo.path(), &[], 1);
    assert_eq!(json["head"], "working tree");
    assert_eq!(json["crates"][0]["violations"], 1);

    // Nothing staged yet: HEAD vs index has no change.
    env.cmd(repo.path()).arg("--staged").assert().code(0);
    repo.stage_all();
    let json = env.json(repo.path(), &["--staged"], 1);
    assert_eq!(json["head"], "index");
    assert_eq!(json["crates"][0]["name"], "acme-opts");
}

#[test]
fn nothing_changed_says_so_and_passes() {
    let env = Env::new();
    let repo = app_repo(&app_lock("0.1.4", "00"));
    repo.write("README.md", "docs only\n");
    repo.commit("docs");
    let out = env
        .cmd(repo.path())
        .args(["--base", "HEAD~1", "--head", "HEAD"])
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("No dependency changes"), "{text}");
    assert!(text.contains("Verdict: pass"), "{text}");
}

#[test]
fn transitive_bumps_show_the_chain_and_new_crates_are_listed() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let lock = |v: &str, sum: &str, extra: bool| {
        let mut pkgs = vec![
            Pkg {
                name: "acme-opts",
                version: v,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
            Pkg {
                name: "app",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["middle"],
            },
            Pkg {
                name: "middle",
                version: "2.0.0",
                source: Some(CRATES_IO),
                checksum: Some("11"),
                deps: &["acme-opts"],
            },
        ];
        if extra {
            pkgs.push(Pkg {
                name: "newdep",
                version: "1.0.0",
                source: Some(CRATES_IO),
                checksum: Some("22"),
                deps: &[],
            });
        }
        lockfile(&pkgs)
    };
    let repo = app_repo(&lock("0.1.4", &old_sum, false));
    repo.write("Cargo.lock", &lock("0.1.10", &new_sum, true));
    let json = env.json(repo.path(), &[], 1);
    let crates = json["crates"].as_array().expect("crates");
    let acme = crates
        .iter()
        .find(|c| c["name"] == "acme-opts")
        .expect("acme-opts");
    assert_eq!(acme["direct"], false);
    assert_eq!(
        acme["chain"],
        serde_json::json!(["app", "middle", "acme-opts"])
    );
    let newdep = crates
        .iter()
        .find(|c| c["name"] == "newdep")
        .expect("newdep listed");
    assert_eq!(newdep["change"], "added");
    assert_eq!(newdep["analysis"]["status"], "not-applicable");
}

#[test]
fn git_sources_are_listed_as_not_analysed_and_block() {
    let env = Env::new();
    let git_lock = |commit: &str| {
        lockfile(&[
            Pkg {
                name: "app",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["gitdep"],
            },
            Pkg {
                name: "gitdep",
                version: "0.5.0",
                source: Some(&format!(
                    "git+https://github.com/example/gitdep?branch=main#{commit}"
                )),
                checksum: None,
                deps: &[],
            },
        ])
    };
    let repo = app_repo(&git_lock("1111111111111111111111111111111111111111"));
    repo.write(
        "Cargo.lock",
        &git_lock("2222222222222222222222222222222222222222"),
    );
    let json = env.json(repo.path(), &[], 1);
    let c = &json["crates"][0];
    assert_eq!(c["name"], "gitdep");
    assert_eq!(c["change"], "source-changed");
    assert_eq!(c["analysis"]["status"], "unsupported");
    assert!(
        c["analysis"]["reason"]
            .as_str()
            .expect("reason")
            .contains("not analysed yet")
    );
}

#[test]
fn a_tampered_archive_stops_the_run_naming_the_crate() {
    let env = Env::new();
    let (old_sum, _) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    // The lockfile claims a checksum that the cached archive does not have.
    let wrong = "ab".repeat(32);
    repo.write("Cargo.lock", &app_lock("0.1.10", &wrong));
    let out = env.cmd(repo.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("acme-opts"), "{err}");
    assert!(err.contains("0.1.10"), "{err}");
    assert!(err.to_lowercase().contains("checksum"), "{err}");
}

#[test]
fn a_crate_that_cannot_be_fetched_is_reported_and_exits_2() {
    let env = Env::new();
    let lock = |v: &str| app_lock(v, &"cd".repeat(32));
    let repo = app_repo(&lock("0.1.4"));
    repo.write("Cargo.lock", &lock("0.1.10"));
    let json = env.json(repo.path(), &[], 2);
    assert_eq!(json["verdict"]["status"], "error");
    assert_eq!(json["crates"][0]["analysis"]["status"], "failed");
    assert_eq!(json["crates"][0]["analysis"]["failed_in"], "fetch");
    let reason = json["verdict"]["reasons"][0].as_str().unwrap();
    assert!(reason.contains("To unblock:"), "{reason}");
    assert!(reason.contains("vendor the crate"), "{reason}");

    // `[policy] unanalysed = "warn"` covers it too: a warning, exit 0.
    repo.write("bumpguard.toml", "[policy]\nunanalysed = \"warn\"\n");
    let json = env.json(repo.path(), &[], 0);
    assert_eq!(json["verdict"]["status"], "pass");
    let reason = json["verdict"]["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("warning (policy: warn): acme-opts"),
        "{reason}"
    );
}

#[test]
fn bad_input_gets_clear_errors() {
    let env = Env::new();
    // Not a git repository.
    let plain = tempfile::tempdir().expect("tempdir");
    let out = env.cmd(plain.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("not a git repository"), "{err}");
    // A folder that does not exist is said to be missing.
    let out = env.cmd(&plain.path().join("nope")).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("no such directory"), "{err}");

    // Unknown revision.
    let repo = app_repo(&app_lock("0.1.4", "00"));
    let out = env
        .cmd(repo.path())
        .args(["--base", "no-such-branch"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("no-such-branch"), "{err}");

    // A malformed lockfile names the file and the line.
    repo.write(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"x\"\nversion = \n",
    );
    let out = env.cmd(repo.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("Cargo.lock:5"), "{err}");

    // No Cargo.lock at the base revision: every package counts as added.
    let bare = Repo::new();
    bare.write("README.md", "x\n");
    bare.commit("no lockfile");
    bare.write("Cargo.lock", &app_lock("0.1.4", "00"));
    let out = env.cmd(bare.path()).arg("--format=json").assert().code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert!(json["notes"].to_string().contains("is new at"), "{json}");
    assert!(
        json["crates"]
            .as_array()
            .expect("crates")
            .iter()
            .all(|c| c["change"] == "added")
    );

    // A failed run still leaves a report file saying so.
    let report = plain.path().join("report.json");
    env.cmd(repo.path())
        .args(["--base", "no-such-branch", "--format", "json", "--output"])
        .arg(&report)
        .assert()
        .code(2);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report file"))
            .expect("json");
    assert_eq!(json["verdict"]["status"], "error");
    assert!(
        json["verdict"]["reasons"]
            .to_string()
            .contains("no-such-branch")
    );
}

#[test]
fn the_first_commit_of_a_repository_can_be_checked_staged() {
    let env = Env::new();
    let (old_sum, _) = acme_archives(&env);
    let repo = Repo::new();
    repo.write("Cargo.lock", &app_lock("0.1.4", &old_sum));
    repo.stage_all();
    let json = env.json(repo.path(), &["--staged"], 0);
    assert_eq!(json["base"], "no commits yet");
    assert_eq!(json["crates"][0]["change"], "added");
}

#[test]
fn a_closed_pipe_does_not_turn_blocked_into_pass() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    // Like `bumpguard check | head -1`: the reader goes away at once.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bumpguard"))
        .env("CARGO_HOME", &env.cargo_home.root)
        .env("XDG_CACHE_HOME", &env.cache)
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["check", "--repo"])
        .arg(repo.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
}

fn git(repo: &std::path::Path, env: &Env, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .current_dir(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@bumpguard.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@bumpguard.invalid")
        .env("CARGO_HOME", &env.cargo_home.root)
        .env("XDG_CACHE_HOME", &env.cache)
        .env("BUMPGUARD_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("git")
}

#[test]
fn the_installed_hook_blocks_a_bad_lockfile_commit_and_ignores_others() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    let mut install = Command::cargo_bin("bumpguard").expect("binary");
    install
        .args(["hook", "install", "--repo"])
        .arg(repo.path())
        .assert()
        .success();
    // A second install finds its own hook: nothing to do, not an error.
    let mut again = Command::cargo_bin("bumpguard").expect("binary");
    let out = again
        .args(["hook", "install", "--repo"])
        .arg(repo.path())
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("pre-commit hook already installed at"),
        "{stdout}"
    );

    // No Cargo.lock in the commit: the hook lets it through.
    repo.write("README.md", "docs\n");
    git(repo.path(), &env, &["add", "README.md"]);
    let out = git(repo.path(), &env, &["commit", "-q", "-m", "docs"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let refused = |out: std::process::Output, how: &str| {
        assert!(!out.status.success(), "{how}: the commit went through");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Verdict: BLOCKED"), "{how}: {text}");
        assert!(text.contains("acme-opts 0.1.4 -> 0.1.10"), "{how}: {text}");
        assert!(text.contains("-> index"), "{how}: {text}");
    };
    // The bump is in the working tree only. `git commit -a` and `git commit
    // <path>` stage it into a temporary index that only GIT_INDEX_FILE names:
    // the hook must read that one, not .git/index (which has no bump).
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    refused(
        git(repo.path(), &env, &["commit", "-q", "-a", "-m", "bump"]),
        "git commit -a",
    );
    refused(
        git(
            repo.path(),
            &env,
            &["commit", "-q", "-m", "bump", "Cargo.lock"],
        ),
        "git commit Cargo.lock",
    );
    // From a subdirectory, with a relative path (git runs hooks at the top).
    repo.write("src/notes.txt", "x\n");
    refused(
        git(
            &repo.path().join("src"),
            &env,
            &["commit", "-q", "-m", "bump", "../Cargo.lock"],
        ),
        "git commit ../Cargo.lock in src/",
    );
    // None of these left the bump staged in the real index.
    let staged = git(repo.path(), &env, &["diff", "--cached", "--name-only"]);
    assert_eq!(String::from_utf8_lossy(&staged.stdout), "");

    // A staged lockfile bump with a semver violation: the commit is refused.
    git(repo.path(), &env, &["add", "Cargo.lock"]);
    refused(
        git(repo.path(), &env, &["commit", "-q", "-m", "bump"]),
        "git add; git commit",
    );

    // A hook bumpguard did not write is not replaced without --force.
    std::fs::write(
        repo.path().join(".git/hooks/pre-commit"),
        "#!/bin/sh\nexit 0\n",
    )
    .expect("own hook");
    let mut other = Command::cargo_bin("bumpguard").expect("binary");
    let out = other
        .args(["hook", "install", "--repo"])
        .arg(repo.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("already exists and bumpguard did not write it"),
        "{stderr}"
    );
    // bumpguard's hook naming another binary (an older install) is updated.
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        bumpguard::hook::script(std::path::Path::new("/old/bumpguard")),
    )
    .expect("old hook");
    let mut update = Command::cargo_bin("bumpguard").expect("binary");
    let out = update
        .args(["hook", "install", "--repo"])
        .arg(repo.path())
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("pre-commit hook updated"), "{stdout}");
    assert!(
        !std::fs::read_to_string(&hook)
            .expect("hook")
            .contains("/old/bumpguard")
    );
}

/// `check --staged` reads the index GIT_INDEX_FILE names (relative to the
/// top of the working tree, as git reads it), and says so plainly when
/// that file is missing instead of reporting every lockfile removed.
#[test]
fn staged_reads_the_index_git_index_file_names() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    // A second index holding the bump; .git/index does not.
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    let out = std::process::Command::new("git")
        .current_dir(repo.path())
        .args(["add", "Cargo.lock"])
        .env("GIT_INDEX_FILE", ".git/other-index")
        .output()
        .expect("git add");
    assert!(out.status.success());
    assert!(repo.path().join(".git/other-index").is_file());
    let staged = |index: Option<&str>, dir: &std::path::Path| {
        let mut c = Command::cargo_bin("bumpguard").expect("binary");
        c.current_dir(dir)
            .env("CARGO_HOME", &env.cargo_home.root)
            .env("XDG_CACHE_HOME", &env.cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .env_remove("GITHUB_ACTIONS")
            .args(["--color=never", "check", "--staged"]);
        match index {
            Some(i) => c.env("GIT_INDEX_FILE", i),
            None => c.env_remove("GIT_INDEX_FILE"),
        };
        let out = c.output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, text) = staged(None, repo.path());
    assert_eq!(code, Some(0), "the real index has no bump: {text}");
    let (code, text) = staged(Some(".git/other-index"), &repo.path().join("src"));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("acme-opts 0.1.4 -> 0.1.10"), "{text}");
    let absolute = repo.path().join(".git/other-index");
    let (code, text) = staged(Some(&absolute.display().to_string()), repo.path());
    assert_eq!(code, Some(1), "{text}");
    let (code, text) = staged(Some(".git/no-such-index"), repo.path());
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("GIT_INDEX_FILE names"), "{text}");
    assert!(
        text.contains("no-such-index, which is not a file"),
        "{text}"
    );
}

#[test]
fn audit_shows_everything_and_never_blocks() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    let report = repo.path().join("audit.md");
    let mut audit = Command::cargo_bin("bumpguard").expect("binary");
    let out = audit
        .env("CARGO_HOME", &env.cargo_home.root)
        .env("XDG_CACHE_HOME", &env.cache)
        .env("BUMPGUARD_OFFLINE", "1")
        .args(["--color=never", "audit", "--repo"])
        .arg(repo.path())
        .arg("--output")
        .arg(&report)
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("struct-pub-field-added-constructible"),
        "{text}"
    );
    assert!(
        text.contains("Verdict of `bumpguard check`: BLOCKED")
            && text.contains("an audit itself never blocks"),
        "the verdict is shown, it just does not gate: {text}"
    );
    let md = std::fs::read_to_string(&report).expect("markdown report");
    assert!(md.starts_with("<!-- bumpguard-report -->"));
    assert!(
        md.contains("acme_opts::tls::acme::alpn::Opts.tls_config"),
        "{md}"
    );
}

/// A repository whose head commit bumps acme-opts and binds a contract
/// that fails when `tests/untracked.rs` exists; (env, repo, base, head).
fn bound_repo() -> (Env, Repo, String, String) {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    let base = repo.commit("nothing new");
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    repo.write(
        "bumpguard.toml",
        "[policy]\nsemver-violations = \"warn\"\n\n[rule.acme]\ncrate = \"acme-opts\"\npaths = [\"tls::**\"]\nreason = \"certificates\"\n\n[[contract]]\nrule = \"acme\"\ncommand = [\"sh\", \"-c\", \"test ! -e tests/untracked.rs\"]\n",
    );
    let head = repo.commit("bump acme-opts, bind a contract");
    (env, repo, base, head)
}

#[test]
fn an_audit_says_the_verdict_depends_on_the_contracts_it_did_not_run() {
    let (env, repo, base, head) = bound_repo();
    let audit = |args: &[&str]| {
        let out = Command::cargo_bin("bumpguard")
            .expect("binary")
            .env("CARGO_HOME", &env.cargo_home.root)
            .env("XDG_CACHE_HOME", &env.cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .args(["--color=never", "audit", "--repo"])
            .arg(repo.path())
            .args(["--base", &base, "--head", &head])
            .args(args)
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let text = audit(&[]);
    assert!(
        text.contains("Verdict of `bumpguard check`: would block unless the 1 bound contract passes; nothing else blocks (contracts were not run here"),
        "{text}"
    );
    assert!(!text.contains("BLOCKED"), "{text}");
    let md = audit(&["--format=markdown"]);
    assert!(
        md.contains("## ⚠️ bumpguard audit: depends on contracts"),
        "{md}"
    );
    assert!(
        !md.contains("**`bumpguard check` would block because:**"),
        "{md}"
    );
    assert!(!md.contains("**Blocked because:**"), "{md}");
    let quiet = audit(&["-q"]);
    assert!(
        quiet.starts_with("audit: would block unless the 1 bound contract passes; "),
        "{quiet}"
    );
    // check runs it, and it passes.
    let report = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
    assert_eq!(report["verdict"]["status"], "pass");
}

#[test]
fn contracts_on_the_head_commit_never_see_untracked_files() {
    let (env, repo, base, head) = bound_repo();
    let report = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
    assert_eq!(
        report["crates"][0]["rules"][0]["contracts"][0]["status"],
        "passed"
    );
    assert!(!report["notes"].to_string().contains("export"), "{report}");

    // A file the commit does not have: the contract runs on an export.
    repo.write("tests/untracked.rs", "#[test]\nfn not_committed() {}\n");
    let report = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
    let hit = &report["crates"][0]["rules"][0];
    assert_eq!(hit["rule"], "acme", "{report}");
    assert_eq!(hit["contracts"][0]["status"], "passed", "{report}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("contracts ran on an export of"), "{notes}");
}

#[test]
fn the_configuration_is_the_head_commits() {
    let (env, repo, base, head) = bound_repo();
    // An uncommitted edit of the configuration is not the head's.
    repo.write(
        "bumpguard.toml",
        "[policy]\nsemver-violations = \"block\"\n",
    );
    let report = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
    assert_eq!(report["crates"][0]["rules"][0]["rule"], "acme", "{report}");
    assert_eq!(report["policy"]["semver_violations"], "warn", "{report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("configuration and rule folders read at"),
        "{notes}"
    );
    // The working tree as head: its own configuration.
    let report = env.json(repo.path(), &["--base", &base], 1);
    assert_eq!(report["policy"]["semver_violations"], "block", "{report}");
    assert!(report["crates"][0]["rules"].as_array().unwrap().is_empty());
}

/// A consumer of `fx` (the `non-default-feature-item-field-added` pair: a
/// field added under the non-default feature `extra`), vendored so that
/// cargo can resolve the dependency graph offline.
mod consumer_features {
    use super::*;
    use std::path::Path;

    const CONFIG: &str = "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n";

    fn api_fixture(side: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/non-default-feature-item-field-added")
            .join(side)
    }

    /// Copies a fixture side into `folder` with a `.cargo-checksum.json`
    /// whose package checksum is `sum` (what Cargo.lock says).
    fn vendor(folder: &Path, side: &str, sum: &str) {
        let mut files = serde_json::Map::new();
        for rel in ["Cargo.toml", "src/lib.rs"] {
            let text = std::fs::read(api_fixture(side).join(rel)).expect("fixture");
            let to = folder.join(rel);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::write(&to, &text).expect("write");
            files.insert(rel.into(), support::sha256_hex(&text).into());
        }
        let json = serde_json::json!({ "files": files, "package": sum });
        std::fs::write(folder.join(".cargo-checksum.json"), json.to_string()).expect("write");
    }

    fn lock(version: &str, sum: &str) -> String {
        lockfile(&[
            Pkg {
                name: "app",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["fx"],
            },
            Pkg {
                name: "fx",
                version,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
        ])
    }

    /// An app whose manifest is `manifest`, bumping fx 1.0.0 -> 1.0.1 in its
    /// vendor folder; returns the repository and (base, head).
    fn bumped(manifest: &str) -> (Repo, String, String) {
        let (old_sum, new_sum) = ("a1".repeat(32), "b2".repeat(32));
        let repo = Repo::new();
        repo.write("Cargo.toml", manifest);
        repo.write("src/main.rs", "fn main() {}\n");
        repo.write(".cargo/config.toml", CONFIG);
        repo.write("Cargo.lock", &lock("1.0.0", &old_sum));
        vendor(&repo.path().join("vendor/fx-1.0.0"), "old", &old_sum);
        let base = repo.commit("fx 1.0.0");
        std::fs::remove_dir_all(repo.path().join("vendor/fx-1.0.0")).expect("rm");
        vendor(&repo.path().join("vendor/fx-1.0.1"), "new", &new_sum);
        repo.write("Cargo.lock", &lock("1.0.1", &new_sum));
        repo.stage_all();
        let mut index = repo.git.index().expect("index");
        index.update_all(["*"].iter(), None).expect("git add -u");
        index.write().expect("write index");
        let head = repo.commit("fx 1.0.1");
        (repo, base, head)
    }

    fn field_change(json: &serde_json::Value) -> serde_json::Value {
        json["crates"][0]["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["path"] == "fx::Opts.b")
            .cloned()
            .unwrap_or_else(|| panic!("no change for fx::Opts.b: {json}"))
    }

    #[test]
    fn a_break_under_a_feature_the_consumer_does_not_get_is_not_a_violation() {
        let env = Env::new();
        let (repo, base, head) = bumped(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfx = \"1\"\n",
        );
        let json = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
        let krate = &json["crates"][0];
        assert_eq!(krate["features"], serde_json::json!(["default", "std"]));
        let change = field_change(&json);
        assert_eq!(change["code"], "struct-pub-field-added-constructible");
        assert_eq!(change["violation"], false, "{change}");
        assert_eq!(change["outside_features"], "feature extra");
        let notes = json["notes"].to_string();
        assert!(
            notes.contains("with the features cargo resolves"),
            "{notes}"
        );
        assert_eq!(json["verdict"]["status"], "pass");
    }

    #[test]
    fn a_feature_enabled_through_a_feature_list_is_seen() {
        let env = Env::new();
        // `fx/extra` comes from the app's own default feature, which the
        // manifest's dependency table does not say.
        let (repo, base, head) = bumped(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfx = \"1\"\n\n[features]\ndefault = [\"big\"]\nbig = [\"fx/extra\"]\n",
        );
        let json = env.json(repo.path(), &["--base", &base, "--head", &head], 1);
        assert_eq!(
            json["crates"][0]["features"],
            serde_json::json!(["default", "extra", "std"])
        );
        let change = field_change(&json);
        assert_eq!(change["violation"], true, "{change}");
        assert!(change.get("outside_features").is_none(), "{change}");
        assert_eq!(json["verdict"]["status"], "blocked");
    }

    #[test]
    fn without_the_graph_the_declared_features_are_used_and_said() {
        // Archives in cargo's cache but no registry index: bumpguard can read
        // both versions, cargo cannot resolve the graph offline.
        let env = Env::new();
        let old_sum = env.cargo_home.add(
            "fx",
            "1.0.0",
            &crate_archive(&api_fixture("old"), "fx", "1.0.0"),
        );
        let new_sum = env.cargo_home.add(
            "fx",
            "1.0.1",
            &crate_archive(&api_fixture("new"), "fx", "1.0.1"),
        );
        let repo = Repo::new();
        repo.write(
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfx = \"1\"\n\n[features]\ndefault = [\"big\"]\nbig = [\"fx/extra\"]\n",
        );
        repo.write("src/main.rs", "fn main() {}\n");
        repo.write("Cargo.lock", &lock("1.0.0", &old_sum));
        let base = repo.commit("fx 1.0.0");
        repo.write("Cargo.lock", &lock("1.0.1", &new_sum));
        let json = env.json(repo.path(), &["--base", &base], 0);
        let notes = json["notes"].to_string();
        assert!(
            notes.contains("cargo could not resolve the dependency graph offline"),
            "{notes}"
        );
        // What members declare: default features only, so `extra` (enabled
        // through the app's feature list) is not seen.
        assert_eq!(
            json["crates"][0]["features"],
            serde_json::json!(["default"])
        );
        assert_eq!(field_change(&json)["violation"], false);
    }
}

/// `[policy] hidden` and `possibly-breaking` decide in `check`.
#[test]
fn policy_decides_hidden_and_possibly_breaking_changes() {
    let env = Env::new();
    let pair = |side: &str| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/api/item-hidden")
            .join(side)
    };
    let old_sum = env
        .cargo_home
        .add("fx", "1.0.0", &crate_archive(&pair("old"), "fx", "1.0.0"));
    let new_sum = env
        .cargo_home
        .add("fx", "1.1.0", &crate_archive(&pair("new"), "fx", "1.1.0"));
    let lock = |v: &str, sum: &str| {
        lockfile(&[
            Pkg {
                name: "app",
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["fx"],
            },
            Pkg {
                name: "fx",
                version: v,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
        ])
    };
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nfx = \"1\"\n",
    );
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", &lock("1.0.0", &old_sum));
    let base = repo.commit("fx 1.0.0");
    repo.write("Cargo.lock", &lock("1.1.0", &new_sum));
    let head = repo.commit("fx 1.1.0");
    let revs = ["--base", base.as_str(), "--head", head.as_str()];

    // Default: an item becoming hidden is a warning in the verdict.
    let json = env.json(repo.path(), &revs, 0);
    let reasons = json["verdict"]["reasons"].to_string();
    assert!(reasons.contains("warning (policy: warn)"), "{reasons}");
    assert_eq!(json["crates"][0]["changes"][0]["code"], "item-hidden");
    assert_eq!(json["crates"][0]["changes"][0]["warning"], true);

    // `hidden = "block"`: a violation unless the bump is major.
    repo.write("bumpguard.toml", "[policy]\nhidden = \"block\"\n");
    repo.commit("policy");
    let json = env.json(repo.path(), &["--base", &base], 1);
    assert_eq!(json["crates"][0]["violations"], 1);
    assert_eq!(json["verdict"]["status"], "blocked");

    // `possibly-breaking = "block"` does not touch a hidden item; `warn`
    // lists it.
    repo.write(
        "bumpguard.toml",
        "[policy]\npossibly-breaking = \"block\"\nhidden = \"warn\"\n",
    );
    repo.commit("policy 2");
    let json = env.json(repo.path(), &["--base", &base], 0);
    assert_eq!(json["crates"][0]["violations"], 0);
}

/// Two workspaces (`services/a svc` with member `app`, `services/b` with
/// `billing`), each bumping acme-opts in its own Cargo.lock, under a rule
/// on acme-opts and the contracts in `bindings`; (env, repo, base commit).
fn two_workspaces(bindings: &str) -> (Env, Repo, String) {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let lock = |member: &'static str, version: &str, sum: &str| {
        lockfile(&[
            Pkg {
                name: "acme-opts",
                version,
                source: Some(CRATES_IO),
                checksum: Some(sum),
                deps: &[],
            },
            Pkg {
                name: member,
                version: "0.1.0",
                source: None,
                checksum: None,
                deps: &["acme-opts"],
            },
        ])
    };
    let repo = Repo::new();
    for (dir, member) in [("services/a svc", "app"), ("services/b", "billing")] {
        repo.write(
            &format!("{dir}/Cargo.toml"),
            &format!("[package]\nname = \"{member}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nacme-opts = \"0.1\"\n"),
        );
        repo.write(&format!("{dir}/src/lib.rs"), "\n");
        repo.write(
            &format!("{dir}/Cargo.lock"),
            &lock(member, "0.1.4", &old_sum),
        );
    }
    repo.write(
        "bumpguard.toml",
        &format!("[policy]\nsemver-violations = \"warn\"\n\n[rule.acme]\ncrate = \"acme-opts\"\npaths = [\"tls::**\"]\nreason = \"certificates\"\n\n{bindings}"),
    );
    let base = repo.commit("two services on acme-opts 0.1.4");
    for (dir, member) in [("services/a svc", "app"), ("services/b", "billing")] {
        repo.write(
            &format!("{dir}/Cargo.lock"),
            &lock(member, "0.1.10", &new_sum),
        );
    }
    (env, repo, base)
}

/// The commands of the contracts of the acme hit in each lockfile.
fn commands_by_lockfile(report: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    report["crates"]
        .as_array()
        .expect("crates")
        .iter()
        .map(|c| {
            let hit = &c["rules"][0];
            assert_eq!(hit["rule"], "acme", "{c}");
            let commands = hit["contracts"]
                .as_array()
                .expect("contracts")
                .iter()
                .map(|o| {
                    format!(
                        "{}: {}",
                        o["status"].as_str().unwrap_or("?"),
                        o["command"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            (c["lockfile"].as_str().unwrap_or("?").to_string(), commands)
        })
        .collect()
}

#[test]
fn each_workspace_runs_only_the_contracts_of_its_own_packages() {
    let bindings = "[[contract]]\nrule = \"acme\"\npackage = \"app\"\ntest = \"contracts\"\n\n[[contract]]\nrule = \"acme\"\npackage = \"billing\"\n\n[[contract]]\nrule = \"acme\"\ncommand = [\"sh\", \"b.sh\"]\nworkspace = \"services/b\"\n";
    let (env, repo, base) = two_workspaces(bindings);
    let report = env.json(repo.path(), &["--base", &base, "--no-run-contracts"], 1);
    let by_lock = commands_by_lockfile(&report);
    assert_eq!(by_lock.len(), 2, "{report}");
    let (a, b) = (&by_lock[0], &by_lock[1]);
    assert_eq!(a.0, "services/a svc/Cargo.lock");
    assert_eq!(a.1.len(), 1, "{a:?}");
    assert!(
        a.1[0].starts_with("not-run: cargo ") && a.1[0].contains(" -p app --test contracts "),
        "{a:?}"
    );
    assert_eq!(b.0, "services/b/Cargo.lock");
    assert_eq!(b.1.len(), 2, "{b:?}");
    assert!(b.1[0].contains(" -p billing "), "{b:?}");
    assert_eq!(b.1[1], "not-run: sh b.sh", "{b:?}");

    // A package no workspace has: one clear error, not cargo's failure in
    // every workspace.
    let (env, repo, base) = two_workspaces("[[contract]]\nrule = \"acme\"\npackage = \"ghost\"\n");
    let report = env.json(repo.path(), &["--base", &base, "--no-run-contracts"], 1);
    for c in report["crates"].as_array().expect("crates") {
        let o = &c["rules"][0]["contracts"][0];
        assert_eq!(o["status"], "error", "{o}");
        let detail = o["detail"].as_str().expect("detail");
        assert!(
            detail.starts_with("package `ghost` is in no workspace of the repository")
                && detail.contains("services/a svc (app); services/b (billing)"),
            "{detail}"
        );
    }
    // A `workspace` that holds no Cargo.lock says so.
    let (env, repo, base) = two_workspaces(
        "[[contract]]\nrule = \"acme\"\ncommand = [\"true\"]\nworkspace = \"services/c\"\n",
    );
    let report = env.json(repo.path(), &["--base", &base, "--no-run-contracts"], 1);
    let detail = report["crates"][0]["rules"][0]["contracts"][0]["detail"].to_string();
    assert!(
        detail.contains("`workspace = \\\"services/c\\\"` names a folder with no Cargo.lock"),
        "{detail}"
    );
}

#[test]
fn a_command_contract_runs_once_in_each_workspace_it_belongs_to() {
    let marks = tempfile::NamedTempFile::new().expect("marks");
    let record = "command = [\"sh\", \"-c\", \"echo \\\"$0 $(basename \\\"$PWD\\\")\\\" >> \\\"$BUMPGUARD_TEST_MARKS\\\"\", \"%s\"]";
    let bindings = format!(
        "[[contract]]\nrule = \"acme\"\n{}\n\n[[contract]]\nrule = \"acme\"\n{}\nworkspace = \"services/b\"\n",
        record.replace("%s", "anywhere"),
        record.replace("%s", "only-b")
    );
    let (env, repo, base) = two_workspaces(&bindings);
    let out = env
        .cmd(repo.path())
        .env("BUMPGUARD_TEST_MARKS", marks.path())
        .args(["--base", &base, "--format=json"])
        .assert()
        .code(0);
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let mut ran: Vec<String> = std::fs::read_to_string(marks.path())
        .expect("marks")
        .lines()
        .map(str::to_string)
        .collect();
    ran.sort();
    assert_eq!(
        ran,
        ["anywhere a svc", "anywhere b", "only-b b"],
        "{report}"
    );
}

#[test]
fn staged_checks_run_contracts_and_read_the_configuration_from_what_is_staged() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    repo.commit("nothing new");
    // Staged: the bump, and a contract that passes only where Cargo.lock is
    // the bumped one.
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    repo.write(
        "bumpguard.toml",
        "[policy]\nsemver-violations = \"warn\"\n\n[rule.acme]\ncrate = \"acme-opts\"\npaths = [\"tls::**\"]\nreason = \"certificates\"\n\n[[contract]]\nrule = \"acme\"\ncommand = [\"sh\", \"-c\", \"grep -q 0.1.10 Cargo.lock\"]\n",
    );
    repo.stage_all();
    // The working tree holds what is staged: the contract runs in place.
    let report = env.json(repo.path(), &["--staged"], 0);
    let hit = &report["crates"][0]["rules"][0];
    assert_eq!(hit["contracts"][0]["status"], "passed", "{report}");
    assert!(!report["notes"].to_string().contains("export"), "{report}");

    // Unstaged edits: the lockfile back at the old version and the
    // configuration without its contract. The commit would still hold the
    // bump and the contract, so that is what is checked.
    repo.write("Cargo.lock", &app_lock("0.1.4", &old_sum));
    repo.write("bumpguard.toml", "[policy]\nsemver-violations = \"warn\"\n");
    let report = env.json(repo.path(), &["--staged"], 0);
    let hit = &report["crates"][0]["rules"][0];
    assert_eq!(hit["rule"], "acme", "{report}");
    assert_eq!(hit["contracts"][0]["status"], "passed", "{report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("contracts ran on an export of the staged files"),
        "{notes}"
    );
    assert!(
        notes.contains("configuration and rule folders read from the index"),
        "{notes}"
    );

    // A contract that fails on what is staged blocks, whatever the working
    // tree holds.
    repo.write(
        "bumpguard.toml",
        "[policy]\nsemver-violations = \"warn\"\n\n[rule.acme]\ncrate = \"acme-opts\"\npaths = [\"tls::**\"]\nreason = \"certificates\"\n\n[[contract]]\nrule = \"acme\"\ncommand = [\"sh\", \"-c\", \"grep -q 0.1.4 Cargo.lock\"]\n",
    );
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    repo.stage_all();
    repo.write("Cargo.lock", &app_lock("0.1.4", &old_sum));
    let report = env.json(repo.path(), &["--staged"], 1);
    let hit = &report["crates"][0]["rules"][0];
    assert_eq!(hit["contracts"][0]["status"], "failed", "{report}");
}

#[test]
fn a_change_that_relaxes_the_gate_for_itself_is_named() {
    let env = Env::new();
    let (old_sum, new_sum) = acme_archives(&env);
    let repo = app_repo(&app_lock("0.1.4", &old_sum));
    repo.write(
        "bumpguard.toml",
        "[rule.acme]\ncrate = \"acme-opts\"\npaths = [\"tls::**\"]\nreason = \"certificates\"\n\n[[contract]]\nrule = \"acme\"\ncommand = [\"false\"]\n",
    );
    let base = repo.commit("a rule and its contract");
    // The bump, with the gate relaxed in the same commit.
    repo.write("Cargo.lock", &app_lock("0.1.10", &new_sum));
    repo.write(
        "bumpguard.toml",
        "[policy]\nsemver-violations = \"warn\"\n\n[rules]\ndisable = [\"url-parsing\"]\n",
    );
    let head = repo.commit("bump acme-opts");
    let report = env.json(repo.path(), &["--base", &base, "--head", &head], 0);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("this change also changes the gate (bumpguard.toml)"),
        "{notes}"
    );
    for says in [
        "semver violations no longer block",
        "built-in rules switched off: url-parsing",
        "rules removed: acme",
        "1 contract binding removed or changed",
    ] {
        assert!(notes.contains(says), "{says}: {notes}");
    }

    // A rule file added in the rule folder is a change of the gate too; an
    // unchanged configuration says nothing.
    repo.write(
        ".bumpguard/rules/mine.toml",
        "crate = \"acme-opts\"\npaths = [\"nothing::**\"]\nreason = \"mine\"\n",
    );
    let later = repo.commit("a rule of our own");
    let report = env.json(repo.path(), &["--base", &head, "--head", &later], 0);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("this change also changes the gate (.bumpguard/rules/)"),
        "{notes}"
    );
    assert!(!notes.contains("no longer block"), "{notes}");
    let report = env.json(repo.path(), &["--base", &later, "--head", &later], 0);
    assert!(
        !report["notes"].to_string().contains("changes the gate"),
        "{report}"
    );
}
