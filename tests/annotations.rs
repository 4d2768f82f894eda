//! GitHub workflow annotations (`GITHUB_ACTIONS=true`): their format, where
//! they are printed (never mixed into a report on stdout), the lockfile line
//! they point at, and the cap of 10 per level.

mod support;

use assert_cmd::Command;
use support::{Pkg, Repo, fixture, lockfile};

fn bumpguard(github: bool) -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("BUMPGUARD_OFFLINE", "1").arg("--color=never");
    if github {
        c.env("GITHUB_ACTIONS", "true");
    } else {
        c.env_remove("GITHUB_ACTIONS");
    }
    c
}

/// Exit code, stdout, stderr of `diff` on a fixture pair.
fn diff(pair: &str, github: bool, extra: &[&str]) -> (i32, String, String) {
    let out = bumpguard(github)
        .args(["diff", "--old"])
        .arg(fixture(pair, "old"))
        .arg("--new")
        .arg(fixture(pair, "new"))
        .args(extra)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn commands(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("::")).collect()
}

#[test]
fn a_semver_violation_is_an_error_annotation() {
    let (code, out, err) = diff("breaking-in-minor", true, &["--format", "json"]);
    assert_eq!(code, 1);
    // The report on stdout stays clean JSON; the annotations go to stderr.
    serde_json::from_str::<serde_json::Value>(&out).expect("stdout is only the JSON report");
    let errors = commands(&err);
    assert_eq!(errors.len(), 1, "{err}");
    // `diff` has no lockfile: no file or line. `:` in the title is escaped,
    // the list of violations is one line with %0A.
    assert!(
        errors[0].starts_with(
            "::error title=brk 1.2.0 -> 1.3.0%3A 6 semver violations::the changes need a major bump; this minor bump allows minor changes%0A- "
        ),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("%0A- and 1 more"), "{}", errors[0]);
    assert!(!errors[0].contains('\n'));
}

#[test]
fn nothing_outside_github_actions() {
    let (_, out, err) = diff("breaking-in-minor", false, &[]);
    assert!(commands(&out).is_empty() && commands(&err).is_empty());
}

#[test]
fn effects_are_warnings_and_go_to_stdout_when_the_report_is_a_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("report.md");
    let file_arg = file.display().to_string();
    let (code, out, _) = diff(
        "incident-spawn-removed",
        true,
        &["--format", "markdown", "--output", &file_arg],
    );
    assert_eq!(code, 0);
    assert_eq!(
        commands(&out),
        vec![
            "::warning title=tls-certs 1.4.0 -> 1.5.0%3A behaviour of tls_certs%3A%3Aacme%3A%3AAcmeAlpn%3A%3Anew changed::task spawn (tokio::spawn) removed from this function; calls removed: .run(), tokio::spawn (in src/acme.rs of tls-certs)"
        ]
    );
    let md = std::fs::read_to_string(&file).expect("report");
    assert!(
        !md.contains("::warning"),
        "the report file holds no commands"
    );
}

/// A lockfile where `app` depends on twelve git crates `dep00`..`dep11` at `version`.
fn git_lock(version: &str, commit: char) -> String {
    let names: Vec<String> = (0..12).map(|i| format!("dep{i:02}")).collect();
    let deps: Vec<&str> = names.iter().map(String::as_str).collect();
    let sources: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                "git+https://github.com/example/{n}?branch=main#{}",
                commit.to_string().repeat(40)
            )
        })
        .collect();
    let mut pkgs = vec![Pkg {
        name: "app",
        version: "0.1.0",
        source: None,
        checksum: None,
        deps: &deps,
    }];
    for (n, s) in names.iter().zip(&sources) {
        pkgs.push(Pkg {
            name: n,
            version,
            source: Some(s),
            checksum: None,
            deps: &[],
        });
    }
    lockfile(&pkgs)
}

#[test]
fn at_most_ten_errors_pointing_at_the_lockfile_lines() {
    let repo = Repo::new();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", &git_lock("0.5.0", '1'));
    repo.commit("initial");
    let head_lock = git_lock("0.6.0", '2');
    repo.write("Cargo.lock", &head_lock);

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = bumpguard(true)
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env("CARGO_HOME", tmp.path().join("cargo-home"))
        .args(["check", "--base", "HEAD", "--repo"])
        .arg(repo.path())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "git sources are not analysed: blocked"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = commands(&stderr);
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 10, "{stderr}");
    // Same kind and all direct: lockfile order decides.
    let version_line = |name: &str| {
        let entry = head_lock
            .find(&format!("name = \"{name}\"\nversion = \"0.6.0\""))
            .expect("entry");
        head_lock[..entry].lines().count() + 2
    };
    assert!(
        errors[0].starts_with(&format!(
            "::error file=Cargo.lock,line={},title=dep00 0.5.0 -> 0.6.0%3A not analysed::",
            version_line("dep00")
        )),
        "{}",
        errors[0]
    );
    assert_eq!(
        head_lock.lines().nth(version_line("dep00") - 1),
        Some("version = \"0.6.0\"")
    );
    assert!(errors[9].contains(&format!("line={},", version_line("dep09"))));
    let notices: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("::notice "))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(
        notices[0].ends_with("::not annotated: 2 errors (at most 10 of each level here; GitHub shows 10 per step); the report lists them all"),
        "{}",
        notices[0]
    );

    // A script with annotations of its own in the same step leaves itself room.
    let out = bumpguard(true)
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env("CARGO_HOME", tmp.path().join("cargo-home"))
        .args([
            "check",
            "--base",
            "HEAD",
            "--annotation-limit",
            "8",
            "--repo",
        ])
        .arg(repo.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = commands(&stderr);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        8,
        "{stderr}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(
            "::not annotated: 4 errors (at most 8 of each level here; GitHub shows 10 per step); the report lists them all"
        )),
        "{stderr}"
    );
    for bad in ["0", "11"] {
        let out = bumpguard(true)
            .args(["check", "--annotation-limit", bad, "--repo"])
            .arg(repo.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "--annotation-limit {bad}");
    }
}
