//! What a person sees on the terminal: `--quiet` (the verdict line and
//! errors only, report files still written), `--verbose` (stages and a line
//! per crate with timings, on stderr), the progress bar (only when stderr is
//! a terminal), and `--also` (several report files from one analysis).

mod support;

use serde_json::Value;
use std::process::Command;
use support::bump::{bumped, bumped_all};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn quiet_prints_only_the_verdict_line() {
    let b = bumped("field-added-constructible");
    let out = b
        .bumpguard()
        .args([
            "-q", "check", "--base", &b.base, "--head", &b.head, "--repo",
        ])
        .arg(b.repo.path())
        .assert()
        .code(1);
    let (stdout, stderr) = (
        text(&out.get_output().stdout),
        text(&out.get_output().stderr),
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("Verdict: BLOCKED: acme-opts 0.1.4 -> 0.1.10: 1 semver violation"),
        "{stdout}"
    );
    assert_eq!(stderr, "");

    let b = bumped("comments-only");
    let out = b
        .bumpguard()
        .args([
            "check", "--quiet", "--base", &b.base, "--head", &b.head, "--repo",
        ])
        .arg(b.repo.path())
        .assert()
        .code(0);
    assert_eq!(
        text(&out.get_output().stdout),
        "Verdict: pass (nothing blocks)\n"
    );
}

#[test]
fn quiet_still_writes_every_report_file() {
    let b = bumped("field-added-constructible");
    let dir = b.tmp.path();
    let (md, json, sarif) = (dir.join("r.md"), dir.join("r.json"), dir.join("r.sarif"));
    let out = b
        .bumpguard()
        .args(["check", "-q", "--base", &b.base, "--head", &b.head])
        .args(["--format", "markdown", "--output"])
        .arg(&md)
        .arg(format!("--also=json={}", json.display()))
        .arg("--also")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--repo")
        .arg(b.repo.path())
        .assert()
        .code(1);
    assert_eq!(text(&out.get_output().stdout), "");
    let stderr = text(&out.get_output().stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("Verdict: BLOCKED: "), "{stderr}");
    let md = std::fs::read_to_string(&md).expect("markdown");
    assert!(md.starts_with("<!-- bumpguard-report -->"), "{md}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("json");
    assert_eq!(json["verdict"]["status"], "blocked");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        b.version_line()
    );
}

#[test]
fn verbose_shows_stages_and_each_crate_on_stderr_only() {
    let b = bumped_all(&[
        "field-added-constructible",
        "comments-only",
        "incident-spawn-removed",
    ]);
    let out = b
        .bumpguard()
        .args([
            "check",
            "--verbose",
            "--format",
            "json",
            "--base",
            &b.base,
            "--head",
            &b.head,
        ])
        .arg("--also")
        .arg(format!("sarif={}", b.tmp.path().join("r.sarif").display()))
        .arg("--repo")
        .arg(b.repo.path())
        .assert()
        .code(1);
    // The report on stdout is untouched.
    let json: Value = serde_json::from_slice(&out.get_output().stdout).expect("clean JSON");
    assert_eq!(json["crates"].as_array().map(Vec::len), Some(3));
    let stderr = text(&out.get_output().stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    // Not a terminal: no bar, so no carriage returns or escape sequences.
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    let timed: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("bumpguard: ["))
        .collect();
    let find = |what: &str| {
        timed
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no line with {what:?} in:\n{stderr}"))
    };
    let read = find("lockfiles read: 1 at ");
    let compared = find("lockfiles compared: 3 package changes");
    let done = find("analysis done: 3 package changes in ");
    let written = find("report written; verdict blocked");
    assert!(
        read < compared && compared < done && done < written,
        "{stderr}"
    );
    // One line per crate, numbered, with what it found; each crate's
    // fetch is timed; the analysis ran once for both reports.
    for (name, versions) in [
        ("acme-opts", "0.1.4 -> 0.1.10"),
        ("quiet", "1.0.0 -> 1.0.1"),
        ("tls-certs", "1.4.0 -> 1.5.0"),
    ] {
        let label = format!("{name} {versions}");
        let done: Vec<&&str> = timed
            .iter()
            .filter(|l| l.contains(&format!(") {label}: done in ")))
            .collect();
        assert_eq!(done.len(), 1, "{label}:\n{stderr}");
        assert!(
            timed
                .iter()
                .any(|l| l.contains(&format!("{label}: both versions fetched in "))),
            "{stderr}"
        );
    }
    assert!(stderr.contains("(3/3) "), "{stderr}");
    assert!(
        stderr.contains("acme-opts 0.1.4 -> 0.1.10: done in ")
            && stderr.contains("API change")
            && stderr.contains("(1 violation)"),
        "{stderr}"
    );
    // The other stderr lines are the usual ones (the --also file).
    for l in lines.iter().filter(|l| !l.starts_with("bumpguard: [")) {
        assert!(l.starts_with("bumpguard: sarif report written to "), "{l}");
    }
}

#[test]
fn quiet_and_verbose_together_are_refused() {
    let b = bumped("comments-only");
    let out = b
        .bumpguard()
        .args(["-q", "-v", "check", "--repo"])
        .arg(b.repo.path())
        .assert()
        .code(2);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn also_needs_a_known_format_and_a_file() {
    let b = bumped("comments-only");
    for (arg, says) in [
        ("pdf=x.pdf", "unknown format 'pdf'"),
        ("sarif", "is not FORMAT=FILE"),
        ("json=", "no file after 'json='"),
    ] {
        let out = b
            .bumpguard()
            .args(["check", "--also", arg, "--repo"])
            .arg(b.repo.path())
            .assert()
            .code(2);
        let stderr = text(&out.get_output().stderr);
        assert!(stderr.contains(says), "{arg}: {stderr}");
    }
}

/// Under a pseudo-terminal (util-linux `script`), stderr is a terminal and
/// the bar is drawn while the crates are analysed, then cleared; the
/// report on stdout (a file here) is unaffected.
#[test]
fn a_progress_bar_is_drawn_only_on_a_terminal() {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipping a_progress_bar_is_drawn_only_on_a_terminal: `script` (util-linux) is not installed"
        );
        return;
    }
    let b = bumped_all(&[
        "field-added-constructible",
        "comments-only",
        "incident-spawn-removed",
    ]);
    let report = b.tmp.path().join("report.txt");
    let typescript = b.tmp.path().join("typescript");
    let command = format!(
        "'{}' --color=never check --base {} --head {} --repo '{}' > '{}'",
        env!("CARGO_BIN_EXE_bumpguard"),
        b.base,
        b.head,
        b.repo.path().display(),
        report.display()
    );
    let status = Command::new("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .env("CARGO_HOME", &b.cargo_home.root)
        .env("XDG_CACHE_HOME", &b.cache)
        .env("BUMPGUARD_OFFLINE", "1")
        .env("TERM", "xterm")
        .env_remove("GITHUB_ACTIONS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script");
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stderr));
    let tty = std::fs::read_to_string(&typescript).expect("typescript");
    assert!(tty.contains("bumpguard: analysing"), "{tty:?}");
    assert!(tty.contains("/3"), "{tty:?}");
    let report = std::fs::read_to_string(&report).expect("report");
    assert!(report.contains("Verdict: BLOCKED"), "{report}");
    assert!(!report.contains("bumpguard: analysing"));
}

#[test]
fn two_reports_in_one_file_are_refused_before_the_analysis() {
    let b = bumped("comments-only");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.json");
    let out = b
        .bumpguard()
        .args(["check", "--format", "json", "--output"])
        .arg(&file)
        .arg("--also")
        .arg(format!("sarif={}/./report.json", dir.path().display()))
        .arg("--repo")
        .arg(b.repo.path())
        .assert()
        .code(2);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("is named by two reports"), "{stderr}");
    assert!(!file.exists(), "nothing is written");
}
