//! `--format markdown` on fixture crate pairs: snapshots of whole reports
//! (so a change in wording or layout is reviewed), and the size budget:
//! whatever the limit, the output fits, stays well-formed (balanced code
//! fences and `<details>`), keeps the title, verdict and summary table, and
//! says what it left out.

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::fixture;

const MARKER: &str = "<!-- bumpguard-report -->";
const TABLE_HEAD: &str = "| Verdict | Crate | Version | Bump | Dependency | API changes | Behaviour changes | Manifest changes | Critical rules | Contracts | Analysis |";

fn bumpguard() -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.env("BUMPGUARD_OFFLINE", "1")
        .env_remove("GITHUB_ACTIONS")
        .arg("--color=never");
    c
}

/// Exit code, stdout and stderr of `diff --old OLD --new NEW --format markdown [extra]`.
fn markdown_dirs(old: &Path, new: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = bumpguard()
        .args(["diff", "--format", "markdown", "--old"])
        .arg(old)
        .arg("--new")
        .arg(new)
        .args(extra)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Exit code, stdout and stderr of `diff --old OLD --new NEW [extra]` (any format).
fn diff_dirs(old: &Path, new: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = bumpguard()
        .args(["diff", "--old"])
        .arg(old)
        .arg("--new")
        .arg(new)
        .args(extra)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The Markdown report of a fixture pair, without machine-specific paths.
fn markdown(pair: &str, extra: &[&str]) -> (i32, String) {
    let (code, out, err) = markdown_dirs(&fixture(pair, "old"), &fixture(pair, "new"), extra);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let root = fixture(pair, "");
    let md = out
        .replace(&root.display().to_string(), "<pair>/")
        .replace(env!("CARGO_PKG_VERSION"), "<version>");
    (code, md)
}

/// Panics unless every code fence is closed by a fence of the same length,
/// `<details>`/`<summary>` open and close in order outside code, and the
/// report starts with the marker.
fn assert_well_formed(md: &str) {
    assert!(md.starts_with(MARKER), "no marker:\n{md}");
    let mut fence: Option<String> = None;
    let mut details = 0i32;
    let mut summaries = 0i32;
    for (n, line) in md.lines().enumerate() {
        let t = line.trim_start();
        let ticks: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) => {
                if ticks.len() >= f.len() && t[ticks.len()..].trim().is_empty() {
                    fence = None;
                }
                continue;
            }
            None if ticks.len() >= 3 => {
                fence = Some(ticks);
                continue;
            }
            None => {}
        }
        details +=
            (t.matches("<details").count() as i32) - (t.matches("</details>").count() as i32);
        summaries +=
            (t.matches("<summary>").count() as i32) - (t.matches("</summary>").count() as i32);
        assert!(details >= 0, "line {n}: </details> without <details>\n{md}");
        assert!(
            summaries == 0,
            "line {n}: <summary> not closed on its line\n{md}"
        );
    }
    assert!(fence.is_none(), "unclosed code fence:\n{md}");
    assert_eq!(details, 0, "unbalanced <details>:\n{md}");
}

#[test]
fn a_clean_bump() {
    let (code, md) = markdown("formatting-only", &[]);
    assert_eq!(code, 0);
    assert_well_formed(&md);
    assert!(md.contains("## ✅ bumpguard: pass"), "{md}");
    assert!(!md.contains("Shortened"), "{md}");
    insta::assert_snapshot!("markdown_formatting_only", md);
}

#[test]
fn a_blocked_bump() {
    let (code, md) = markdown("breaking-in-minor", &[]);
    assert_eq!(code, 1);
    assert_well_formed(&md);
    assert!(md.contains("## ❌ bumpguard: blocked"), "{md}");
    assert!(md.contains("**Blocked because:**"), "{md}");
    // The blocking crate's section is open.
    assert!(md.contains("<details open>"), "{md}");
    insta::assert_snapshot!("markdown_breaking_in_minor", md);
}

#[test]
fn a_behaviour_change_with_its_function_diff() {
    let (code, md) = markdown("incident-spawn-removed", &[]);
    assert_eq!(code, 0);
    assert_well_formed(&md);
    assert!(md.contains("```diff"), "{md}");
    assert!(md.contains("-    tokio::spawn(driver.run());"), "{md}");
    insta::assert_snapshot!("markdown_incident_spawn_removed", md);
}

#[test]
fn a_report_cut_to_fit_keeps_the_summary() {
    let (full_code, full) = markdown("new-code-effects", &[]);
    assert!(full.len() > 1500, "the fixture no longer needs cutting");
    let (code, md) = markdown("new-code-effects", &["--markdown-limit", "1500"]);
    assert_eq!(code, full_code, "cutting never changes the verdict");
    assert!(md.len() <= 1500, "{} bytes:\n{md}", md.len());
    assert_well_formed(&md);
    assert!(md.contains("## ❌ bumpguard: blocked"), "{md}");
    assert!(
        md.contains("telemetry 1.2.0 -> 1.2.1: 1 semver violation"),
        "{md}"
    );
    assert!(md.contains(TABLE_HEAD), "{md}");
    // A labelled verdict; `diff` has no consumer: no dependency kind.
    assert!(
        md.contains("| ❌ blocks | telemetry | 1.2.0 → 1.2.1 | patch, allows patch | – |"),
        "{md}"
    );
    assert!(md.contains("**Shortened to fit 1500 bytes.**"), "{md}");
    assert!(md.contains("`--format json`"), "{md}");
    insta::assert_snapshot!("markdown_cut_to_1500", md);
}

#[test]
fn private_diffs_go_first() {
    let (_, full) = markdown("new-code-effects", &[]);
    // Just under the full size: one private diff is enough to leave out.
    let limit = (full.len() - 100).to_string();
    let (_, md) = markdown("new-code-effects", &["--markdown-limit", &limit]);
    assert_well_formed(&md);
    assert!(md.contains("of private code"), "{md}");
    assert!(!md.contains("of public items"), "{md}");
    // The public function's diff is still there.
    assert!(md.contains("+fn drop(&mut self) {"), "{md}");
}

/// A generated pair with many changes of every kind: 30 public functions
/// and 30 private helpers whose bodies change, 30 functions added, 12 removed.
fn big_pair(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let write = |side: &str, version: &str, body: String| {
        let dir = root.join(side);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"big\"\nversion = \"{version}\"\nedition = \"2021\"\n"),
        )
        .expect("write manifest");
        std::fs::write(dir.join("src/lib.rs"), body).expect("write lib");
        dir
    };
    let mut old = String::new();
    let mut new = String::new();
    for i in 0..30 {
        old.push_str(&format!(
            "pub fn public_{i}(x: u32) -> u32 {{\n    helper_{i}(x) + {i}\n}}\n\nfn helper_{i}(x: u32) -> u32 {{\n    x * {i}\n}}\n\n"
        ));
        new.push_str(&format!(
            "pub fn public_{i}(x: u32) -> u32 {{\n    helper_{i}(x) + {}\n}}\n\nfn helper_{i}(x: u32) -> u32 {{\n    x * {} | 1\n}}\n\npub fn added_{i}() {{}}\n\n",
            i + 1,
            i + 2
        ));
    }
    for i in 0..12 {
        old.push_str(&format!("pub fn removed_{i}() {{}}\n"));
    }
    (write("old", "1.0.0", old), write("new", "1.1.0", new))
}

#[test]
fn any_limit_is_honoured_and_cuts_in_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (old, new) = big_pair(tmp.path());
    let (code, full, err) = markdown_dirs(&old, &new, &["--markdown-limit", "0"]);
    assert_eq!(code, 1, "{err}");
    assert_well_formed(&full);
    assert!(!full.contains("Shortened"), "0 means no limit");
    let (_, default, _) = markdown_dirs(&old, &new, &[]);
    assert!(default.len() <= 65_000);
    assert!(
        full.len() > 20_000,
        "{} bytes: the pair no longer needs cutting",
        full.len()
    );
    let mut last_len = usize::MAX;
    let n = full.len();
    for limit in [n - 1, n * 3 / 4, n / 2, n / 4, n / 8, 4_000, 2_000, 1_024] {
        let (c, md, _) = markdown_dirs(&old, &new, &["--markdown-limit", &limit.to_string()]);
        assert_eq!(c, code, "limit {limit}: same verdict");
        assert!(md.len() <= limit, "limit {limit}: {} bytes", md.len());
        assert!(md.len() <= last_len, "a smaller limit never gives more");
        last_len = md.len();
        assert_well_formed(&md);
        assert!(md.contains("## ❌ bumpguard: blocked"), "limit {limit}");
        assert!(md.contains(TABLE_HEAD), "limit {limit}:\n{md}");
        assert!(
            md.contains("| ❌ blocks | big | 1.0.0 → 1.1.0 |"),
            "limit {limit}:\n{md}"
        );
        assert!(md.contains("**Shortened to fit"), "limit {limit}");
        // Public diffs are cut only once every private one is.
        if md.contains("of public items") {
            assert!(!md.contains("--- helper_"), "limit {limit}:\n{md}");
        }
        // The 12 violations (removed functions) outlive the other API changes.
        if md.contains("without a violation (beyond")
            && !md.contains("with a violation (beyond")
            && !md.contains("the details of")
        {
            assert_eq!(
                md.matches("- ❌ **major**").count(),
                12,
                "limit {limit}:\n{md}"
            );
        }
    }
}

#[test]
fn the_limit_is_checked() {
    let old = fixture("formatting-only", "old");
    let new = fixture("formatting-only", "new");
    let (code, _, err) = markdown_dirs(&old, &new, &["--markdown-limit", "100"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at least 1024"), "{err}");
    let out = bumpguard()
        .args([
            "diff",
            "--format",
            "json",
            "--markdown-limit",
            "5000",
            "--old",
        ])
        .arg(&old)
        .arg("--new")
        .arg(&new)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only applies to --format markdown"));
}

#[test]
fn the_report_can_go_to_a_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("report.md");
    let file_arg = file.display().to_string();
    let (code, out, err) = markdown_dirs(
        &fixture("breaking-in-minor", "old"),
        &fixture("breaking-in-minor", "new"),
        &["--output", &file_arg],
    );
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("verdict: blocked"), "{err}");
    let md = std::fs::read_to_string(&file).expect("report file");
    assert_well_formed(&md);
}

#[test]
fn a_run_that_fails_still_leaves_a_markdown_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("report.md");
    let out = bumpguard()
        .args([
            "diff",
            "--format",
            "markdown",
            "--old",
            "/nonexistent/a",
            "--new",
        ])
        .arg("/nonexistent/b")
        .arg("--output")
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let md = std::fs::read_to_string(&file).expect("report file");
    assert_well_formed(&md);
    assert!(md.contains("## ⚠️ bumpguard: error"), "{md}");
    assert!(md.contains("/nonexistent/a"), "{md}");
    assert!(!md.contains("| Crate |"), "{md}");
}

/// One analysis, several Markdown files with budgets of their own (a
/// comment and a job summary), and a notice naming where the full report is.
#[test]
fn each_markdown_file_can_have_its_own_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (old, new) = big_pair(tmp.path());
    let small = tmp.path().join("comment.md");
    let large = tmp.path().join("summary.md");
    let (code, json, err) = diff_dirs(
        &old,
        &new,
        &[
            "--format=json",
            &format!("--also=markdown:2000={}", small.display()),
            &format!("--also=markdown:0={}", large.display()),
            "--full-report-hint=the artifact report of run https://example.com/o/r/runs/7.",
        ],
    );
    assert_eq!(code, 1, "{err}");
    serde_json::from_str::<serde_json::Value>(&json).expect("stdout is the JSON report");
    let small = std::fs::read_to_string(&small).expect("comment");
    let large = std::fs::read_to_string(&large).expect("summary");
    assert_well_formed(&small);
    assert_well_formed(&large);
    assert!(small.len() <= 2000, "{} bytes", small.len());
    assert!(!large.contains("Shortened"), "0 means no limit");
    assert!(large.len() > 20_000);
    assert!(
        small.contains(
            "The full report: the artifact report of run <https://example.com/o/r/runs/7>."
        ),
        "{small}"
    );

    // Without a hint, the notice names the command that writes it all.
    let (_, md, _) = markdown_dirs(&old, &new, &["--markdown-limit", "2000"]);
    assert!(
        md.contains("The full report: the same command with `--format json`, or with `--markdown-limit 0` for all of it in Markdown."),
        "{md}"
    );
}

#[test]
fn limits_of_also_files_are_checked() {
    let old = fixture("formatting-only", "old");
    let new = fixture("formatting-only", "new");
    for (args, said) in [
        (
            vec!["--also", "sarif:5000=x.sarif"],
            "only a Markdown report has a size limit",
        ),
        (vec!["--also", "markdown:10=x.md"], "at least 1024"),
        (
            vec!["--also", "markdown:lots=x.md"],
            "is not a number of bytes",
        ),
        (
            vec![
                "--format",
                "json",
                "--markdown-limit",
                "5000",
                "--also",
                "markdown:2000=x.md",
            ],
            "--markdown-limit applies to no report here",
        ),
    ] {
        let (code, _, err) = diff_dirs(&old, &new, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
    }
}

/// `check` on a repository where four dependencies are bumped in one
/// commit and a rule of the repository makes one of them block: the table
/// shows what only `check` knows (direct or transitive, critical rules,
/// contracts), and when the report must be cut, the other crates lose
/// their details before the blocking crate loses the diff that triggered
/// its rule.
#[test]
fn a_multi_crate_check_cut_keeps_what_blocks_longest() {
    let b = support::bump::bumped_all(&[
        "incident-spawn-removed",
        "private-helper-changed",
        "field-value-rewritten",
        "formatting-only",
    ]);
    b.repo.write(
        "bumpguard.toml",
        "[rule.tls-certs-acme]\ncrate = \"tls-certs\"\npaths = [\"acme::**\"]\nreason = \"every listener's certificate comes from here\"\n",
    );
    b.repo.commit("bind the rule");
    let run = |limit: &str| {
        let out = b
            .bumpguard()
            .args([
                "check",
                "--no-run-contracts",
                "--format",
                "markdown",
                "--base",
            ])
            .arg(&b.base)
            .args(["--head", "HEAD", "--markdown-limit", limit])
            // Relative paths: the report's size must not depend on where
            // the temporary repository is.
            .args(["--repo", ".", "--config", "bumpguard.toml"])
            .current_dir(b.repo.path())
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let head = b
            .repo
            .git
            .head()
            .expect("head")
            .peel_to_commit()
            .expect("commit")
            .id()
            .to_string();
        String::from_utf8_lossy(&out.stdout)
            .replace(&b.repo.path().display().to_string(), "<repo>")
            // Whole in the accept commands, abbreviated in the title.
            .replace(&b.base, "<base>")
            .replace(&b.base[..7], "<base>")
            .replace(&head[..7], "<head>")
            .replace(env!("CARGO_PKG_VERSION"), "<version>")
    };
    let full = run("0");
    assert_well_formed(&full);
    assert!(!full.contains("Shortened"), "{full}");
    // Every crate's diffs are there without a limit.
    for diff in [
        "-    tokio::spawn(driver.run());",
        "--- Client::encode (old)",
        "--- contacts (old)",
    ] {
        assert!(full.contains(diff), "{diff}:\n{full}");
    }
    let row = "| ❌ blocks | tls-certs | 1.4.0 → 1.5.0 | minor, allows minor | direct |";
    assert!(full.contains(row), "{full}");
    assert!(
        full.contains("| ⛔ `tls-certs-acme` | **missing** |"),
        "{full}"
    );

    // Too small for everything: the blocking crate keeps its triggering diff.
    assert!(!full.contains("<repo>"), "{full}");
    let md = run("4700");
    assert_well_formed(&md);
    assert!(md.len() < full.len());
    assert!(md.contains("**Shortened to fit"), "{md}");
    assert!(md.contains("-    tokio::spawn(driver.run());"), "{md}");
    assert!(!md.contains("--- Client::encode (old)"), "{md}");
    assert!(!md.contains("--- contacts (old)"), "{md}");
    assert!(
        !md.contains("of changes that triggered a blocking rule"),
        "{md}"
    );
    assert!(md.contains(row), "{md}");
    insta::assert_snapshot!("markdown_check_multi_crate_cut", md);
}

/// `audit` is the full review: a rule's every triggering change and every
/// call site, nothing cut, no "see the note" without a note, and it reads
/// as an audit (what `check` would decide). `check`'s Markdown, when it
/// must cut them, says so at the end.
#[test]
fn the_audit_leaves_nothing_out_and_reads_as_an_audit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let b = support::bump::bumped_dirs(&[big_pair(tmp.path())]);
    b.repo.write(
        "bumpguard.toml",
        "[rule.big-all]\ncrate = \"big\"\npaths = [\"**\"]\nreason = \"we use all of it\"\n",
    );
    let calls: String = (0..14)
        .map(|i| format!("    big::public_{i}(1);\n"))
        .collect();
    b.repo
        .write("src/main.rs", &format!("fn main() {{\n{calls}}}\n"));
    b.repo.commit("use big; bind a rule");
    let audit = |extra: &[&str]| {
        let base = format!("--base={}", b.base);
        let base = if extra.contains(&"--base") { "" } else { &base };
        let out = b
            .bumpguard()
            .current_dir(b.repo.path())
            .args(["audit", "--head", "HEAD"])
            .args(Some(base).filter(|a| !a.is_empty()))
            .args(extra)
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, human, err) = audit(&["--output", "audit.md"]);
    assert_eq!(code, Some(0), "an audit never blocks: {err}");
    let md = std::fs::read_to_string(b.repo.path().join("audit.md")).expect("audit.md");
    assert_well_formed(&md);
    assert!(md.contains("## ❌ bumpguard audit: would block"), "{md}");
    assert!(
        md.contains("**`bumpguard check` would block because:**"),
        "{md}"
    );
    assert!(!md.contains("bumpguard: blocked") && !md.contains("**Blocked because:**"));
    for cut in ["left out to fit", "Shortened", "see the note"] {
        assert!(!md.contains(cut), "{cut}:\n{md}");
    }
    // Every change that triggered the rule, and every call site.
    let rule = &md[md.find("**⛔ Critical rule `big-all`**").expect("rule")..];
    let rule = &rule[..rule.find("Next:").expect("next")];
    let evidence = rule.lines().filter(|l| l.starts_with("- `")).count();
    assert!(evidence > 20, "{evidence} evidence lines:\n{rule}");
    for i in 0..14 {
        assert!(
            rule.contains(&format!("`src/main.rs:{}`", i + 2)),
            "call {i}:\n{rule}"
        );
    }
    // The code is not repeated at the end of an evidence line.
    assert!(!rule.contains("(fn-removed)"), "{rule}");
    // The human report shortens nothing either.
    assert!(!human.contains("see --format json"), "{human}");
    assert!(human.contains("src/main.rs:15"), "{human}");

    // --quiet: the audit's verdict, not check's.
    let (code, out, _) = audit(&["-q"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("audit: would be BLOCKED: "), "{out}");

    // A failed audit still writes its file, saying so.
    let (code, _, err) = audit(&["--output", "failed.md", "--base", "no-such-rev"]);
    assert_eq!(code, Some(2), "{err}");
    let failed = std::fs::read_to_string(b.repo.path().join("failed.md")).expect("failed.md");
    assert!(failed.starts_with(MARKER), "{failed}");
    assert!(failed.contains("no-such-rev"), "{failed}");

    // `check` under a budget cuts evidence and call sites last, and says so.
    let out = b
        .bumpguard()
        .current_dir(b.repo.path())
        .args([
            "check",
            "--no-run-contracts",
            "--format",
            "markdown",
            "--base",
            &b.base,
        ])
        .args(["--head", "HEAD", "--markdown-limit", "10000"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(md.len() <= 10000, "{} bytes", md.len());
    assert_well_formed(&md);
    assert!(md.contains("## ❌ bumpguard: blocked"), "{md}");
    assert!(
        md.contains("more changes (left out to fit; see the note at the end)"),
        "{md}"
    );
    assert!(
        md.contains("changes that triggered a rule (beyond the first 10 of a rule)"),
        "the note: {md}"
    );
}
