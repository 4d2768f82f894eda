//! The GitHub Action's shell steps (action/run.sh) run in a simulated
//! Actions environment: an event payload whose pull request title, body and
//! branch carry shell metacharacters, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT
//! files, the built bumpguard on PATH instead of `cargo install`, a fake
//! `gh` that answers the comments API (filtering with the real jq) and
//! records what was posted, against real temporary git repositories with a
//! lockfile bump.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::bump::{Bumped, bumped, bumped_dirs};
use support::tools::{assert_valid_sarif, available};

const MARKER: &str = "<!-- bumpguard-report -->";

/// Everything the runner would provide, in a temporary directory.
struct Runner {
    dir: tempfile::TempDir,
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: BTreeMap<String, String>,
}

/// A fake `gh`: logs each call's arguments as a line of `gh.log`.
/// `api user` prints the login in `gh-user`, or fails as the GITHUB_TOKEN
/// does (it may not read /user). With `--input FILE` it stores FILE as
/// `gh-body.json`, or fails with a 422 when `gh-fails-METHOD` exists (as
/// for a body GitHub refuses); other calls print `comments.json` (the API's
/// answer; with `--jq`, filtered with the real jq as gh would). `gh-fails`
/// makes every call fail with a 403.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
dir=$(dirname "$0")
printf '%s\n' "$*" >>"$dir/gh.log"
printf '%s\n' "${GH_TOKEN:-no token}" >>"$dir/gh-token.log"
if [[ -e $dir/gh-fails ]]; then
  echo 'gh: Resource not accessible by integration (HTTP 403)' >&2
  exit 1
fi
if [[ $1 == api && $2 == user ]]; then
  if [[ -e $dir/gh-user ]]; then cat "$dir/gh-user"; exit 0; fi
  echo 'gh: Resource not accessible by integration (HTTP 403)' >&2
  exit 1
fi
filter="" input="" method="" prev=""
for a in "$@"; do
  [[ $prev == --jq ]] && filter=$a
  [[ $prev == --input ]] && input=$a
  [[ $prev == --method ]] && method=$a
  prev=$a
done
if [[ -n $input ]]; then
  if [[ -e $dir/gh-fails-$method ]]; then
    echo '{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long"}]}'
    echo 'gh: Validation Failed (HTTP 422)' >&2
    exit 1
  fi
  cp "$input" "$dir/gh-body-$method.json"
  cp "$input" "$dir/gh-body.json"
  echo '{}'
  exit 0
fi
if [[ -n $filter ]]; then jq -r "$filter" "$dir/comments.json"; else cat "$dir/comments.json"; fi
"#;

impl Runner {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["home", "runner-temp", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let gh = dir.path().join("bin/gh");
        std::fs::write(&gh, FAKE_GH).expect("fake gh");
        make_executable(&gh);
        // cargo, as bumpguard's children see the environment: every variable
        // that could carry a token is logged, then the real cargo runs.
        let cargo = dir.path().join("bin/cargo");
        let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        std::fs::write(
            &cargo,
            format!(
                "#!/usr/bin/env bash\nprintf 'ran %s\\n' \"$1\" >>\"$(dirname \"$0\")/cargo-env.log\"\nenv | grep -E 'TOKEN' >>\"$(dirname \"$0\")/cargo-env.log\"\nexec '{real}' \"$@\"\n"
            ),
        )
        .expect("cargo wrapper");
        make_executable(&cargo);
        Runner { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A pull_request event from `base` to `head`, with hostile text in every free-form field.
    fn event(&self, base: &str, head: &str) -> PathBuf {
        let event = json!({
            "action": "synchronize",
            "number": 42,
            "pull_request": {
                "number": 42,
                "title": "Bump acme-opts $(touch pwned-title) `touch pwned-tick`; touch pwned-semi",
                "body": "\"; touch pwned-body; echo \"$(touch pwned-body2)",
                "head": { "sha": head, "ref": "feature/$(touch pwned-branch)" },
                "base": { "sha": base, "ref": "main" },
            },
            "repository": { "full_name": "octo/app" },
        });
        let path = self.path("event.json");
        std::fs::write(&path, event.to_string()).expect("event");
        path
    }

    /// Runs `action/run.sh check` in `b`'s repository with `inputs`, for
    /// the pull request from `b`'s base commit to its head commit.
    fn check(&self, b: &Bumped, inputs: &[(&str, &str)]) -> Outcome {
        self.check_pr(b, &b.base, &b.head, inputs)
    }

    /// Runs `action/run.sh check` for a pull request whose event names
    /// `base` and `head`.
    fn check_pr(&self, b: &Bumped, base: &str, head: &str, inputs: &[(&str, &str)]) -> Outcome {
        let summary = self.path("summary.md");
        let output = self.path("output.txt");
        let _ = std::fs::remove_file(&summary);
        let _ = std::fs::remove_file(&output);
        let bumpguard_dir = Path::new(env!("CARGO_BIN_EXE_bumpguard"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = format!(
            "{}:{}:{}",
            self.path("bin").display(),
            bumpguard_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/run.sh"))
            .arg("check")
            .current_dir(b.repo.path())
            .env("PATH", path)
            .env("CARGO", self.path("bin/cargo"))
            .env("HOME", self.path("home"))
            .env("CARGO_HOME", &b.cargo_home.root)
            .env("BUMPGUARD_OFFLINE", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", b.repo.path())
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", self.event(base, head))
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_REPOSITORY", "octo/app")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
            .env("RUNNER_TEMP", self.path("runner-temp"))
            .env("INPUT_GITHUB_TOKEN", "not-a-real-token")
            // What a runner may also have in the environment.
            .env("GITHUB_TOKEN", "another-token")
            .env("ACTIONS_RUNTIME_TOKEN", "a-runtime-token")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("NO_COLOR");
        for name in [
            "INPUT_BASE",
            "INPUT_HEAD",
            "INPUT_CONFIG",
            "INPUT_COMMENT",
            "INPUT_SARIF",
            "INPUT_ARGS",
            "INPUT_ARTIFACT",
        ] {
            cmd.env_remove(name);
        }
        for (k, v) in inputs {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run action/run.sh");
        let outputs = std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
            outputs,
        }
    }

    fn gh_log(&self) -> String {
        std::fs::read_to_string(self.path("bin/gh.log")).unwrap_or_default()
    }

    fn set_comments(&self, comments: Value) {
        std::fs::write(self.path("bin/comments.json"), comments.to_string()).expect("comments");
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut p = std::fs::metadata(path).expect("stat").permissions();
    p.set_mode(0o755);
    std::fs::set_permissions(path, p).expect("chmod");
}

/// Files under `root` whose name starts with `pwned`.
fn pwned(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("pwned") {
                found.push(e.path());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
    found
}

fn tools_present(test: &str) -> bool {
    available("jq", test, "apt-get install jq; GitHub's runners have it")
}

fn assert_nothing_ran(r: &Runner, b: &Bumped) {
    let mut found = pwned(r.dir.path());
    found.extend(pwned(b.repo.path()));
    found.extend(pwned(b.tmp.path()));
    assert!(
        found.is_empty(),
        "text from the event was run as shell code: {found:?}"
    );
}

#[test]
fn a_blocked_bump_fails_the_step_with_the_report_in_the_summary() {
    if !tools_present("a_blocked_bump_fails_the_step_with_the_report_in_the_summary") {
        return;
    }
    let b = bumped("field-added-constructible");
    // A configuration outside the default place, given as the `config` input.
    b.repo.write(
        "ci/bumpguard.toml",
        "[rule.acme-opts-alpn]\ncrate = \"acme-opts\"\npaths = [\"tls::acme::**\"]\nreason = \"certificates come from here\"\n",
    );
    let r = Runner::new();
    let o = r.check(
        &b,
        &[
            ("INPUT_SARIF", "reports/bumpguard.sarif"),
            ("INPUT_CONFIG", "ci/bumpguard.toml"),
        ],
    );
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert_nothing_ran(&r, &b);
    assert!(
        o.summary.contains("acme-opts-alpn"),
        "the config input was not used: {}",
        o.summary
    );

    // The job summary is the Markdown report.
    assert!(o.summary.starts_with(MARKER), "{}", o.summary);
    assert!(
        o.summary.contains("## ❌ bumpguard: blocked"),
        "{}",
        o.summary
    );
    assert!(o.summary.contains("acme-opts"), "{}", o.summary);
    assert!(
        o.summary.contains("struct-pub-field-added-constructible"),
        "{}",
        o.summary
    );
    // Base and head came from the event payload.
    assert!(o.summary.contains(&b.base[..7]), "{}", o.summary);
    assert!(o.summary.contains(&b.head[..7]), "{}", o.summary);

    // Outputs: the verdict, and a report file holding what the summary got.
    assert_eq!(
        o.outputs.get("verdict").map(String::as_str),
        Some("blocked")
    );
    assert_eq!(o.outputs.get("exit-code").map(String::as_str), Some("1"));
    let report = PathBuf::from(o.outputs.get("report").expect("report output"));
    assert!(
        report.starts_with(r.path("runner-temp")),
        "{}",
        report.display()
    );
    assert_eq!(std::fs::read_to_string(&report).expect("report"), o.summary);

    // Annotations for the run's page, pointing at the bumped lockfile line.
    assert!(
        o.stdout.contains(&format!(
            "::error file=Cargo.lock,line={},title=acme-opts 0.1.4 -> 0.1.10%3A 1 semver violation::",
            b.version_line()
        )),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("bumpguard: verdict blocked (exit code 1)"),
        "{}",
        o.stdout
    );

    // The SARIF file, relative to the workspace.
    let sarif = b.repo.path().join("reports/bumpguard.sarif");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif file")).expect("json");
    assert_eq!(log["runs"][0]["properties"]["verdict"], "blocked");
    if available(
        "check-jsonschema",
        "the action's SARIF schema check",
        "pip install check-jsonschema",
    ) {
        assert_valid_sarif(&sarif);
    }
    // No comment unless asked.
    assert_eq!(r.gh_log(), "");
}

#[test]
fn a_clean_bump_passes_and_extra_arguments_reach_bumpguard() {
    if !tools_present("a_clean_bump_passes_and_extra_arguments_reach_bumpguard") {
        return;
    }
    let b = bumped("comments-only");
    let r = Runner::new();
    // The arguments start on the second line (a YAML block scalar).
    let o = r.check(&b, &[("INPUT_ARGS", "\n  --verbose  \n")]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert_nothing_ran(&r, &b);
    assert!(o.summary.starts_with(MARKER));
    assert!(o.summary.contains("## ✅ bumpguard: pass"), "{}", o.summary);
    assert!(o.summary.contains("quiet"), "{}", o.summary);
    assert!(
        o.stderr.contains("bumpguard: ["),
        "--verbose was not passed: {}",
        o.stderr
    );
    assert_eq!(o.outputs.get("verdict").map(String::as_str), Some("pass"));
    assert_eq!(o.outputs.get("exit-code").map(String::as_str), Some("0"));
    assert!(Path::new(o.outputs.get("report").expect("report")).exists());
}

/// `args` written as a YAML block: every line counts, each split on white
/// space (tabs too), never expanded.
#[test]
fn every_line_of_args_reaches_bumpguard() {
    if !tools_present("every_line_of_args_reaches_bumpguard") {
        return;
    }
    let b = bumped("field-added-constructible");
    b.repo.write(
        "ci/bumpguard.toml",
        "[rule.acme-opts-alpn]\ncrate = \"acme-opts\"\npaths = [\"tls::acme::**\"]\nreason = \"certificates come from here\"\n",
    );
    let r = Runner::new();
    let o = r.check(
        &b,
        &[(
            "INPUT_ARGS",
            "--verbose\n\t--config   ci/bumpguard.toml\n\n--no-run-contracts",
        )],
    );
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("bumpguard: ["), "{}", o.stderr);
    assert!(
        o.summary.contains("acme-opts-alpn"),
        "the second line was not passed: {}",
        o.summary
    );
}

#[test]
fn an_error_fails_the_step_and_still_writes_a_summary() {
    if !tools_present("an_error_fails_the_step_and_still_writes_a_summary") {
        return;
    }
    let b = bumped("comments-only");
    let r = Runner::new();
    // An unknown base commit: bumpguard cannot do its job.
    let o = r.check(&b, &[("INPUT_BASE", &"0".repeat(40))]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.outputs.get("verdict").map(String::as_str), Some("error"));
    assert!(o.summary.starts_with(MARKER), "{}", o.summary);
    assert!(o.summary.contains("bumpguard: error"), "{}", o.summary);

    // Arguments bumpguard refuses, made of shell syntax: refused, never run.
    let o = r.check(
        &b,
        &[(
            "INPUT_ARGS",
            "--markdown-limit=$(touch${IFS}pwned-args) `touch pwned-args2`",
        )],
    );
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert_nothing_ran(&r, &b);
    assert_eq!(o.outputs.get("verdict").map(String::as_str), Some("error"));
    assert!(
        o.summary.contains("bumpguard could not run (exit code 2)"),
        "{}",
        o.summary
    );

    // The comment and the summary have budgets of their own: a limit in
    // `args` (the advice of earlier versions) is refused, not applied to both.
    let o = r.check(&b, &[("INPUT_ARGS", "--markdown-limit 1000000")]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("--markdown-limit applies to no report here"),
        "{}",
        o.stderr
    );
    assert!(o.summary.contains("could not run"), "{}", o.summary);
}

const BOT: &str = "github-actions[bot]";

fn comment(id: u64, login: &str, body: &str) -> Value {
    json!({ "id": id, "user": { "login": login }, "body": body })
}

#[test]
fn the_comment_is_created_once_then_updated_in_place() {
    if !tools_present("the_comment_is_created_once_then_updated_in_place") {
        return;
    }
    let b = bumped("field-added-constructible");
    let r = Runner::new();
    // No bumpguard comment yet: one mentions the marker, but not first;
    // one starts with it but someone else wrote it.
    r.set_comments(json!([
        comment(11, "octocat", "LGTM"),
        comment(12, BOT, &format!("quoting {MARKER} here")),
        comment(
            13,
            "mallory",
            &format!("{MARKER}\n## ✅ bumpguard: pass (not really)")
        ),
    ]));
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    // Only gh gets the token; bumpguard and what it runs (cargo here, a
    // contract or a build script elsewhere) see none.
    let tokens = std::fs::read_to_string(r.path("bin/gh-token.log")).expect("gh ran");
    assert!(tokens.lines().all(|l| l == "not-a-real-token"), "{tokens}");
    let cargo_env = std::fs::read_to_string(r.path("bin/cargo-env.log")).expect("cargo ran");
    assert!(cargo_env.starts_with("ran "), "{cargo_env}");
    assert!(!cargo_env.contains("TOKEN"), "{cargo_env}");
    let log = r.gh_log();
    let calls: Vec<&str> = log.lines().collect();
    assert_eq!(
        calls,
        [
            "api --paginate repos/octo/app/issues/42/comments",
            "api user --jq .login",
            calls.get(2).copied().unwrap_or_default(),
        ],
        "{log}"
    );
    assert!(
        calls[2].starts_with("api --method POST repos/octo/app/issues/42/comments --input "),
        "{log}"
    );
    let body: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path("bin/gh-body.json")).expect("posted body"),
    )
    .expect("json body");
    let posted = body["body"].as_str().expect("body");
    assert!(posted.starts_with(MARKER), "{posted}");
    assert!(posted.contains("## ❌ bumpguard: blocked"), "{posted}");
    let comment_file = o
        .outputs
        .get("comment-report")
        .expect("comment-report output");
    assert_eq!(
        std::fs::read_to_string(comment_file).expect("comment report"),
        posted
    );
    assert!(
        o.stdout
            .contains("posted the report as a comment on pull request #42")
    );

    // Next push: the earlier comment of the Actions bot is found by its
    // marker and edited; mallory's is left alone.
    std::fs::remove_file(r.path("bin/gh.log")).expect("reset log");
    r.set_comments(json!([
        comment(13, "mallory", &format!("{MARKER}\n## forged")),
        comment(11, "octocat", "LGTM"),
        comment(77, BOT, &format!("{MARKER}\n## old report")),
    ]));
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 1);
    let log = r.gh_log();
    let calls: Vec<&str> = log.lines().collect();
    assert_eq!(calls.len(), 3, "{log}");
    assert!(
        calls[2].starts_with("api --method PATCH repos/octo/app/issues/comments/77 --input "),
        "{log}"
    );
    assert!(
        o.stdout
            .contains("updated the report comment on pull request #42")
    );
    assert_nothing_ran(&r, &b);

    // A token that can read /user (a personal token): its user's comment.
    std::fs::remove_file(r.path("bin/gh.log")).expect("reset log");
    std::fs::write(r.path("bin/gh-user"), "octocat\n").expect("user");
    r.set_comments(json!([
        comment(77, BOT, &format!("{MARKER}\n## old report")),
        comment(88, "octocat", &format!("{MARKER}\n## octocat's report")),
    ]));
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 1);
    assert!(
        r.gh_log()
            .contains("api --method PATCH repos/octo/app/issues/comments/88 --input "),
        "{}",
        r.gh_log()
    );
    std::fs::remove_file(r.path("bin/gh-user")).expect("user");

    // A token that may not comment (a fork's): a warning with GitHub's
    // answer, and the verdict still decides.
    std::fs::write(r.path("bin/gh-fails"), "").expect("fail switch");
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains(
            "::warning title=bumpguard::could not list the pull request's comments (gh: Resource not accessible by integration (HTTP 403)): no comment posted"
        ),
        "{}",
        o.stdout
    );
    assert_eq!(
        o.outputs.get("verdict").map(String::as_str),
        Some("blocked")
    );
}

/// When GitHub refuses the comment, the log says what it answered. An
/// earlier comment that cannot be replaced would go on showing an old
/// verdict: that fails the step, even when the check passes.
#[test]
fn a_comment_that_cannot_be_updated_fails_loudly() {
    if !tools_present("a_comment_that_cannot_be_updated_fails_loudly") {
        return;
    }
    let b = bumped("comments-only");
    let r = Runner::new();
    r.set_comments(json!([comment(
        77,
        BOT,
        &format!("{MARKER}\n## ❌ bumpguard: blocked")
    )]));
    std::fs::write(r.path("bin/gh-fails-PATCH"), "").expect("fail switch");
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(o.outputs.get("verdict").map(String::as_str), Some("pass"));
    assert_eq!(o.outputs.get("exit-code").map(String::as_str), Some("2"));
    assert!(
        o.stdout.contains(
            "::error title=bumpguard::could not update the report comment on pull request #42 ("
        ),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("Validation Failed (HTTP 422)"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("body is too long"), "{}", o.stdout);
    assert!(
        o.stdout.contains("it still shows an earlier report"),
        "{}",
        o.stdout
    );
    assert!(
        o.summary
            .contains("The pull-request comment could not be updated"),
        "{}",
        o.summary
    );

    // No earlier comment and the first cannot be posted: a warning only.
    r.set_comments(json!([]));
    std::fs::write(r.path("bin/gh-fails-POST"), "").expect("fail switch");
    let o = r.check(&b, &[("INPUT_COMMENT", "true")]);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("::warning title=bumpguard::could not post the report comment ("),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("HTTP 422"), "{}", o.stdout);
}

/// Public functions whose bodies all change: a Markdown report far larger
/// than a comment holds.
fn large_pair(root: &Path) -> (PathBuf, PathBuf) {
    let write = |side: &str, version: &str, body: String| {
        let dir = root.join(side);
        std::fs::create_dir_all(dir.join("src")).expect("mkdir");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"sprawl\"\nversion = \"{version}\"\nedition = \"2021\"\n"),
        )
        .expect("manifest");
        std::fs::write(dir.join("src/lib.rs"), body).expect("lib");
        dir
    };
    let (mut old, mut new) = (String::new(), String::new());
    for i in 0..400 {
        old.push_str(&format!(
            "pub fn step_{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({i});\n    y ^ 0x5555\n}}\n\n"
        ));
        new.push_str(&format!(
            "pub fn step_{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({});\n    y ^ 0xaaaa\n}}\n\n",
            i + 7
        ));
    }
    (write("old", "2.0.0", old), write("new", "2.0.1", new))
}

#[test]
fn the_comment_and_the_summary_have_budgets_of_their_own() {
    if !tools_present("the_comment_and_the_summary_have_budgets_of_their_own") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let b = bumped_dirs(&[large_pair(tmp.path())]);
    let r = Runner::new();
    r.set_comments(json!([]));
    let o = r.check(
        &b,
        &[
            ("INPUT_COMMENT", "true"),
            ("INPUT_ARTIFACT", "bumpguard-report"),
        ],
    );
    assert!(o.code == 0 || o.code == 1, "{}\n{}", o.stdout, o.stderr);
    let posted: Value = serde_json::from_str(
        &std::fs::read_to_string(r.path("bin/gh-body.json")).expect("posted body"),
    )
    .expect("json");
    let comment = posted["body"].as_str().expect("body");
    assert!(
        comment.chars().count() <= 65_536,
        "{} characters",
        comment.chars().count()
    );
    assert!(comment.len() <= 65_000, "{} bytes", comment.len());
    assert!(
        comment.contains("**Shortened to fit 65000 bytes.**"),
        "{comment}"
    );
    // The cut comment says where everything is: this run's artifact.
    assert!(
        comment.contains(
            "The full report: in the artifact bumpguard-report of the workflow run <https://github.com/octo/app/actions/runs/4242> (JSON and Markdown, nothing left out)."
        ),
        "{}",
        &comment[comment.len().saturating_sub(800)..]
    );
    // The summary has room for what the comment had to leave out.
    assert!(o.summary.len() > 65_536, "{} bytes", o.summary.len());
    assert!(o.summary.len() <= 1_000_000);
    assert!(!o.summary.contains("Shortened"), "the summary was cut");
    assert!(
        o.summary.contains("step_399"),
        "the summary misses a function"
    );
    // The artifact's files: everything, as JSON and Markdown.
    let full = PathBuf::from(o.outputs.get("full").expect("full output"));
    let json_path = PathBuf::from(o.outputs.get("json").expect("json output"));
    assert!(json_path.starts_with(&full));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json")).expect("json");
    assert_eq!(
        report["crates"][0]["behavior"].as_array().map(Vec::len),
        Some(400)
    );
    let full_md = std::fs::read_to_string(full.join("report.md")).expect("full markdown");
    assert!(!full_md.contains("Shortened"));
    assert!(full_md.len() >= o.summary.len());
}

/// `run.sh key` for the action's source at `root`, with `env` (runner variables).
fn cache_key(root: &Path, env: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    let output = tmp.path().join("output.txt");
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/run.sh"))
        .arg("key")
        .env("GITHUB_ACTION_PATH", root)
        .env("GITHUB_OUTPUT", &output)
        .env_remove("RUNNER_OS")
        .env_remove("RUNNER_ARCH")
        .env_remove("ImageOS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run.sh key");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("output");
    let hash = text
        .trim()
        .strip_prefix("hash=")
        .expect("hash=")
        .to_string();
    assert_eq!(hash.len(), 20);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    hash
}

#[test]
fn the_cache_key_follows_what_the_build_reads_and_the_machine() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("action");
    for (file, text) in [
        ("Cargo.toml", "[package]\nname = \"x\"\n"),
        ("Cargo.lock", "version = 4\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("rules/acme.toml", "crate = \"acme\"\n"),
        ("templates/bumpguard.toml", "[policy]\n"),
        ("examples/bumpguard.yml", "name: bumpguard\n"),
        ("README.md", "docs\n"),
        ("tests/it.rs", "\n"),
    ] {
        let p = root.join(file);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let key = || cache_key(&root, &[]);
    let first = key();
    assert_eq!(key(), first, "the key is stable");
    std::fs::write(root.join("README.md"), "other docs\n").expect("write");
    std::fs::write(root.join("tests/it.rs"), "// more\n").expect("write");
    assert_eq!(
        key(),
        first,
        "documentation and tests do not invalidate the binary"
    );
    let mut last = first;
    for (file, text) in [
        ("src/main.rs", "fn main() { }\n"),
        ("rules/acme.toml", "crate = \"acme\"\npaths = [\"**\"]\n"),
        ("rules/new.toml", "crate = \"new\"\n"),
        ("templates/bumpguard.toml", "[policy]\nrunner = \"cargo\"\n"),
        ("examples/bumpguard.yml", "name: bumpguard 2\n"),
        ("build.rs", "fn main() {}\n"),
    ] {
        std::fs::write(root.join(file), text).expect("write");
        let now = key();
        assert_ne!(
            now, last,
            "{file} is built into the binary: a change must rebuild it"
        );
        last = now;
    }
    // Another runner image, OS or architecture: another binary.
    let base = [
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("ImageOS", "ubuntu24"),
    ];
    let on_ubuntu24 = cache_key(&root, &base);
    assert_ne!(on_ubuntu24, last);
    for (name, other) in [
        ("RUNNER_OS", "macOS"),
        ("RUNNER_ARCH", "ARM64"),
        ("ImageOS", "ubuntu22"),
    ] {
        let env: Vec<(&str, &str)> = base
            .iter()
            .map(|(k, v)| (*k, if *k == name { other } else { *v }))
            .collect();
        assert_ne!(cache_key(&root, &env), on_ubuntu24, "{name}={other}");
    }
}

/// Every file the source includes at build time (`include_str!`,
/// `include_bytes!` outside test modules) lies under what `run.sh key`
/// hashes, so no change to it can reuse a stale cached binary.
#[test]
fn the_cache_key_covers_every_included_file() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(manifest.join("action/run.sh")).expect("run.sh");
    let list = script
        .lines()
        .find_map(|l| l.strip_prefix("readonly BUILD_INPUTS=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("BUILD_INPUTS in run.sh");
    let inputs: Vec<PathBuf> = list
        .split_whitespace()
        .map(|p| manifest.join(p))
        .map(|p| p.canonicalize().unwrap_or(p))
        .collect();
    let mut stack = vec![manifest.join("src")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            for macro_name in ["include_str!(\"", "include_bytes!(\""] {
                for (at, _) in text.match_indices(macro_name) {
                    let rest = &text[at + macro_name.len()..];
                    let rel = &rest[..rest.find('"').expect("closing quote")];
                    let included = dir.join(rel);
                    let included = included.canonicalize().unwrap_or(included);
                    assert!(
                        inputs.iter().any(|i| included.starts_with(i)),
                        "{} includes {rel}, which run.sh key does not hash",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 3, "found only {checked} included files");
}

/// `git` in `dir` with a fixed identity.
fn git(dir: &Path, args: &[&str]) -> String {
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
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_branch_behind_its_base_is_compared_from_where_it_left_it() {
    if !tools_present("a_branch_behind_its_base_is_compared_from_where_it_left_it") {
        return;
    }
    // root ── bump acme-opts (the pull request's head)
    //    └─── add lateral 1.0.0 (the base branch, merged after the PR branched)
    let b = bumped("field-added-constructible");
    let repo = b.repo.path();
    git(repo, &["checkout", "-q", "-b", "trunk", &b.base]);
    let base_lock = std::fs::read_to_string(repo.join("Cargo.lock")).expect("lockfile");
    b.repo.write(
        "Cargo.lock",
        &format!(
            "{base_lock}\n[[package]]\nname = \"lateral\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            "ab".repeat(32)
        ),
    );
    git(repo, &["commit", "-q", "-am", "trunk: add lateral"]);
    let trunk = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["checkout", "-q", &b.head]);

    let r = Runner::new();
    let o = r.check_pr(&b, &trunk, &b.head, &[]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    // Only the pull request's own change: nothing about `lateral`.
    assert!(o.summary.contains("acme-opts"), "{}", o.summary);
    assert!(!o.summary.contains("lateral"), "{}", o.summary);
    assert!(o.summary.contains(&b.base[..7]), "{}", o.summary);
    assert!(
        o.stdout.contains(&format!(
            "comparing from {}, where the pull request left its base branch (the base branch is now at {trunk})",
            b.base
        )),
        "{}",
        o.stdout
    );

    // Given explicitly, a base is used as it is: `lateral` shows as removed.
    let o = r.check_pr(&b, &trunk, &b.head, &[("INPUT_BASE", &trunk)]);
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    assert!(o.summary.contains("lateral"), "{}", o.summary);

    // A base commit the checkout lacks (a shallow clone): a clear error.
    let o = r.check_pr(&b, &"1".repeat(40), &b.head, &[]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "the base commit {} is not in the checkout: check out the full history (actions/checkout with fetch-depth: 0)",
            "1".repeat(40)
        )),
        "{}",
        o.stderr
    );
    assert_eq!(o.outputs.get("verdict").map(String::as_str), Some("error"));
    assert!(o.summary.starts_with(MARKER), "{}", o.summary);
    assert!(o.summary.contains("fetch-depth: 0"), "{}", o.summary);
    // Whatever the event holds is never a revision expression.
    let o = r.check_pr(&b, "main~1", &b.head, &[]);
    assert_eq!(o.code, 2, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("is not a commit id"), "{}", o.stderr);
}
