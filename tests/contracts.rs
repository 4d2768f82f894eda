//! The contract runner against real processes: a small cargo project (no
//! dependencies, offline) whose tests are picked by filter, a project that
//! does not compile, and plain commands. One project and one target
//! directory are shared by every test, built once.

use bumpguard::contracts::{ContractRun, ContractSpec, ContractStatus, RunOptions, Runner, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

const PROBE_TESTS: &str = r#"
#[test]
fn passing_one() {
    assert_eq!(contract_probe::answer(), 42);
}

#[test]
fn passing_two() {}

#[test]
#[ignore]
fn passing_ignored() {}

#[test]
fn failing_one() {
    assert_eq!(contract_probe::answer(), 41, "deliberate failure");
}

#[test]
#[ignore]
fn only_ignored_probe() {}

/// Prints what libtest prints, then fails: only libtest's own lines count.
#[test]
fn spoofing_summary() {
    println!("running 9 tests");
    println!("test spoofed_one ... ok");
    println!("test result: ok. 9 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s");
    panic!("deliberate failure after a fake summary");
}

fn sleep_long(runner: &str) {
    let pid_file = format!("{PID_DIR}/sleeper-{runner}.pid");
    std::fs::write(pid_file, std::process::id().to_string()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(600));
}

#[test]
fn sleeper_cargo() {
    sleep_long("cargo");
}

#[test]
fn sleeper_nextest() {
    sleep_long("nextest");
}
"#;

struct Fixture {
    /// Holds `probe/`, `broken/`, `stale/`, `target/` and the pid files.
    root: PathBuf,
    probe: PathBuf,
    broken: PathBuf,
    stale: PathBuf,
}

impl Fixture {
    fn target(&self) -> PathBuf {
        self.root.join("target")
    }

    /// Written by the `sleeper_RUNNER` test once it runs.
    fn sleeper_pid_file(&self, runner: &str) -> PathBuf {
        self.root.join(format!("sleeper-{runner}.pid"))
    }
}

fn manifest(name: &str) -> String {
    // `[workspace]`: the project is its own workspace wherever it lies.
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [lib]\ndoctest = false\n\n[workspace]\n"
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write fixture file");
}

/// Created once per test binary under cargo's scratch directory for
/// integration tests (removed by `cargo clean`); leftovers of earlier runs
/// older than an hour are removed first.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale(scratch);
        let root = tempfile::Builder::new()
            .prefix("contracts-")
            .tempdir_in(scratch)
            .expect("fixture dir")
            .keep();
        let fixture = Fixture {
            probe: root.join("probe"),
            broken: root.join("broken"),
            stale: root.join("stale"),
            root,
        };

        write(
            &fixture.probe.join("Cargo.toml"),
            &format!(
                "{}\n[[test]]\nname = \"custom\"\nharness = false\n",
                manifest("contract_probe")
            ),
        );
        write(
            &fixture.probe.join("tests/custom.rs"),
            "fn main() {\n    println!(\"a harness of its own\");\n}\n",
        );
        // Its manifest asks for a package its lockfile does not have.
        write(
            &fixture.stale.join("Cargo.toml"),
            &format!(
                "{}\n[dependencies]\ncontract_probe = {{ path = \"../probe\" }}\n",
                manifest("contract_stale")
            ),
        );
        write(
            &fixture.stale.join("Cargo.lock"),
            "version = 4\n\n[[package]]\nname = \"contract_stale\"\nversion = \"0.1.0\"\n",
        );
        write(&fixture.stale.join("src/lib.rs"), "\n");
        write(
            &fixture.probe.join("src/lib.rs"),
            "pub fn answer() -> u32 {\n    42\n}\n",
        );
        let pid_dir = fixture.root.to_str().expect("utf-8 temp path");
        write(
            &fixture.probe.join("tests/contract.rs"),
            &format!("const PID_DIR: &str = {pid_dir:?};\n{PROBE_TESTS}"),
        );

        write(
            &fixture.broken.join("Cargo.toml"),
            &manifest("contract_broken"),
        );
        // Contracts run with --locked: a project without dependencies still
        // needs its lockfile.
        write(
            &fixture.broken.join("Cargo.lock"),
            "version = 4\n\n[[package]]\nname = \"contract_broken\"\nversion = \"0.1.0\"\n",
        );
        write(
            &fixture.broken.join("src/lib.rs"),
            "pub fn answer() -> u32 {\n    \"forty-two\"\n}\n",
        );

        // Build the probe's tests once, so that timeouts below measure test
        // time, not build time.
        let build = Command::new("cargo")
            .args(["test", "--offline", "--test", "contract", "--no-run"])
            .current_dir(&fixture.probe)
            .env("CARGO_TARGET_DIR", fixture.target())
            .output()
            .expect("run cargo");
        assert!(
            build.status.success(),
            "probe build failed:\n{}",
            String::from_utf8_lossy(&build.stderr)
        );
        fixture
    })
}

fn remove_stale(scratch: &Path) {
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with("contracts-")
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn options(dir: &Path, runner: Runner, timeout: Duration) -> RunOptions {
    RunOptions {
        dir: dir.to_path_buf(),
        timeout,
        runner,
        offline: true,
        target_dir: Some(fixture().target()),
    }
}

fn probe_tests(filter: &str) -> ContractSpec {
    ContractSpec::CargoTest {
        package: Some("contract_probe".into()),
        test: Some("contract".into()),
        filter: Some(filter.into()),
        exact: false,
    }
}

fn run_probe(runner: Runner, filter: &str) -> ContractRun {
    let f = fixture();
    run(
        &probe_tests(filter),
        &options(&f.probe, runner, Duration::from_secs(120)),
    )
}

fn command(words: &[&str]) -> ContractSpec {
    ContractSpec::Command(words.iter().map(|w| w.to_string()).collect())
}

fn run_command(words: &[&str], timeout: Duration) -> ContractRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RunOptions {
        dir: dir.path().to_path_buf(),
        timeout,
        runner: Runner::Cargo,
        offline: false,
        target_dir: None,
    };
    run(&command(words), &opts)
}

fn nextest_installed() -> bool {
    let installed = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("cargo-nextest is not installed: skipping");
    }
    installed
}

/// Whether the process is gone (a zombie nobody reaps counts as gone).
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

fn wait_until_gone(pid: u32) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if process_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    text.trim().parse().expect("a pid")
}

#[test]
fn cargo_passing_tests_pass() {
    let run = run_probe(Runner::Cargo, "passing");
    assert_eq!(run.status, ContractStatus::Passed, "{}", run.output_tail);
    assert_eq!((run.passed, run.failed, run.ignored), (2, 0, 1));
    assert!(run.failed_tests.is_empty());
    assert_eq!(
        run.command,
        "cargo test -p contract_probe --test contract --locked --offline --no-fail-fast -- passing"
    );
    assert_eq!(run.exit_code, Some(0));
    assert!(run.output_tail.contains("test passing_one ... ok"));
}

#[test]
fn cargo_failing_test_fails_and_is_named() {
    let run = run_probe(Runner::Cargo, "failing");
    assert_eq!(run.status, ContractStatus::Failed, "{}", run.output_tail);
    assert_eq!((run.passed, run.failed), (0, 1));
    assert_eq!(run.failed_tests, ["failing_one"]);
    assert!(run.output_tail.contains("deliberate failure"));
}

#[test]
fn cargo_filter_matching_nothing_is_not_a_pass() {
    let run = run_probe(Runner::Cargo, "matches_no_test");
    assert_eq!(
        run.status,
        ContractStatus::NoTestsRan,
        "{}",
        run.output_tail
    );
    assert_eq!((run.passed, run.failed), (0, 0));
    assert_eq!(run.exit_code, Some(0), "cargo itself was content");
}

#[test]
fn a_fake_summary_in_a_tests_output_is_not_counted() {
    let run = run_probe(Runner::Cargo, "spoofing");
    assert_eq!(run.status, ContractStatus::Failed, "{}", run.output_tail);
    assert_eq!((run.passed, run.failed), (0, 1), "{}", run.output_tail);
    assert_eq!(run.failed_tests, ["spoofing_summary"]);
}

#[test]
fn an_exact_filter_selects_one_whole_name() {
    let f = fixture();
    let exact = |filter: &str, runner| {
        let spec = ContractSpec::CargoTest {
            package: Some("contract_probe".into()),
            test: Some("contract".into()),
            filter: Some(filter.into()),
            exact: true,
        };
        run(&spec, &options(&f.probe, runner, Duration::from_secs(120)))
    };
    let mut runners = vec![Runner::Cargo];
    if nextest_installed() {
        runners.push(Runner::Nextest);
    }
    for runner in runners {
        let one = exact("passing_one", runner);
        assert_eq!(one.status, ContractStatus::Passed, "{}", one.output_tail);
        assert_eq!(one.passed, 1, "{runner:?}: {}", one.output_tail);
        assert!(
            one.command.ends_with(" -- --exact passing_one"),
            "{}",
            one.command
        );
        // A part of a name is not a whole one.
        let part = exact("passing", runner);
        assert_eq!(
            part.status,
            ContractStatus::NoTestsRan,
            "{}",
            part.output_tail
        );
    }
    // A filter that reads as an option is refused, not run.
    let spec = ContractSpec::CargoTest {
        package: None,
        test: None,
        filter: Some("--exact".into()),
        exact: false,
    };
    let refused = run(
        &spec,
        &options(&f.probe, Runner::Cargo, Duration::from_secs(120)),
    );
    assert!(
        matches!(&refused.status, ContractStatus::Error(m) if m.contains("starts with `-`")),
        "{:?}",
        refused.status
    );
}

#[test]
fn a_selection_of_ignored_tests_says_so() {
    let mut runners = vec![(Runner::Cargo, "only_ignored_probe")];
    if nextest_installed() {
        runners.push((
            Runner::Nextest,
            "contract_probe::contract only_ignored_probe",
        ));
    }
    for (runner, name) in runners {
        let run = run_probe(runner, "only_ignored");
        assert_eq!(
            run.status,
            ContractStatus::NoTestsRan,
            "{}",
            run.output_tail
        );
        assert_eq!(run.ignored_tests, [name], "{runner:?}");
    }
}

#[test]
fn a_target_without_the_libtest_harness_is_an_error_that_says_so() {
    let f = fixture();
    let spec = ContractSpec::CargoTest {
        package: None,
        test: Some("custom".into()),
        filter: None,
        exact: false,
    };
    let mut runners = vec![Runner::Cargo];
    if nextest_installed() {
        runners.push(Runner::Nextest);
    }
    for runner in runners {
        let run = run(&spec, &options(&f.probe, runner, Duration::from_secs(120)));
        match &run.status {
            ContractStatus::Error(why) => {
                assert!(
                    why.contains("does not use the libtest harness (`harness = false`)"),
                    "{why}"
                );
                assert!(why.contains("\"--test\", \"custom\""), "{why}");
            }
            other => panic!("{runner:?}: {other:?}\n{}", run.output_tail),
        }
    }
}

#[test]
fn a_lockfile_that_needs_updating_is_not_a_failing_test() {
    let f = fixture();
    let spec = ContractSpec::CargoTest {
        package: None,
        test: None,
        filter: None,
        exact: false,
    };
    let run = run(
        &spec,
        &options(&f.stale, Runner::Cargo, Duration::from_secs(120)),
    );
    match &run.status {
        ContractStatus::Error(why) => {
            assert!(why.starts_with("Cargo.lock needs updating"), "{why}")
        }
        other => panic!("{other:?}\n{}", run.output_tail),
    }
}

#[test]
fn cargo_build_failure_is_failed_with_the_compiler_error() {
    let f = fixture();
    let spec = ContractSpec::CargoTest {
        package: None,
        test: None,
        filter: None,
        exact: false,
    };
    let run = run(
        &spec,
        &options(&f.broken, Runner::Cargo, Duration::from_secs(120)),
    );
    assert_eq!(run.status, ContractStatus::Failed, "{}", run.output_tail);
    assert_eq!((run.passed, run.failed), (0, 0));
    assert!(
        run.output_tail.contains("error[E0308]"),
        "{}",
        run.output_tail
    );
    assert!(
        run.output_tail
            .contains("could not compile `contract_broken`")
    );
}

#[test]
fn cargo_unknown_test_target_is_an_error() {
    let f = fixture();
    let spec = ContractSpec::CargoTest {
        package: None,
        test: Some("no_such_target".into()),
        filter: None,
        exact: false,
    };
    let run = run(
        &spec,
        &options(&f.probe, Runner::Cargo, Duration::from_secs(120)),
    );
    match &run.status {
        ContractStatus::Error(message) => {
            assert!(message.contains("no test target named"), "{message}")
        }
        other => panic!("expected an error, got {other:?}\n{}", run.output_tail),
    }
}

/// The sleeper is a test binary started by cargo: killing cargo alone would
/// leave it running for ten minutes.
#[test]
fn cargo_timeout_kills_the_test_binary() {
    let f = fixture();
    let timeout = Duration::from_secs(20);
    let run = run(
        &probe_tests("sleeper_cargo"),
        &options(&f.probe, Runner::Cargo, timeout),
    );
    assert_eq!(run.status, ContractStatus::TimedOut, "{}", run.output_tail);
    assert_eq!(run.exit_code, None);
    assert!(
        (20_000..30_000).contains(&run.duration_ms),
        "took {} ms",
        run.duration_ms
    );
    let pid = read_pid(&f.sleeper_pid_file("cargo"));
    assert!(wait_until_gone(pid), "sleeper {pid} still running");
    // The test that never finished is named.
    assert_eq!(run.still_running.as_deref(), Some("test `sleeper_cargo`"));
}

/// nextest runs each test in a process group of its own: killing the
/// contract's group alone would leave the sleeper behind.
#[test]
fn nextest_timeout_kills_tests_in_their_own_groups() {
    if !nextest_installed() {
        return;
    }
    let f = fixture();
    let timeout = Duration::from_secs(15);
    let run = run(
        &probe_tests("sleeper_nextest"),
        &options(&f.probe, Runner::Nextest, timeout),
    );
    assert_eq!(run.status, ContractStatus::TimedOut, "{}", run.output_tail);
    assert!(run.duration_ms < 25_000, "took {} ms", run.duration_ms);
    let pid = read_pid(&f.sleeper_pid_file("nextest"));
    assert!(wait_until_gone(pid), "sleeper {pid} still running");
    assert_eq!(
        run.still_running.as_deref(),
        Some("test `contract_probe::contract sleeper_nextest`")
    );
}

#[test]
fn nextest_passing_failing_and_empty_selections() {
    if !nextest_installed() {
        return;
    }
    let passing = run_probe(Runner::Nextest, "passing");
    assert_eq!(
        passing.status,
        ContractStatus::Passed,
        "{}",
        passing.output_tail
    );
    assert_eq!((passing.passed, passing.failed), (2, 0));
    assert_eq!(
        passing.command,
        "cargo nextest run -p contract_probe --test contract --locked --offline --no-fail-fast \
         --no-tests=warn -- passing"
    );

    let failing = run_probe(Runner::Nextest, "failing");
    assert_eq!(
        failing.status,
        ContractStatus::Failed,
        "{}",
        failing.output_tail
    );
    assert_eq!((failing.passed, failing.failed), (0, 1));
    assert_eq!(
        failing.failed_tests,
        ["contract_probe::contract failing_one"]
    );

    let empty = run_probe(Runner::Nextest, "matches_no_test");
    assert_eq!(
        empty.status,
        ContractStatus::NoTestsRan,
        "{}",
        empty.output_tail
    );
    assert_eq!((empty.passed, empty.failed), (0, 0));
}

#[test]
fn auto_runner_uses_nextest_when_installed() {
    let run = run_probe(Runner::Auto, "passing");
    assert_eq!(run.status, ContractStatus::Passed, "{}", run.output_tail);
    let expected = if nextest_installed() {
        "cargo nextest run "
    } else {
        "cargo test "
    };
    assert!(run.command.starts_with(expected), "{}", run.command);
}

#[test]
fn command_exit_codes_decide() {
    let ok = run_command(&["sh", "-c", "echo fine"], Duration::from_secs(30));
    assert_eq!(ok.status, ContractStatus::Passed);
    assert_eq!((ok.passed, ok.failed, ok.exit_code), (1, 0, Some(0)));
    assert_eq!(ok.output_tail, "fine");

    let bad = run_command(
        &["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 1"],
        Duration::from_secs(30),
    );
    assert_eq!(bad.status, ContractStatus::Failed);
    assert_eq!((bad.passed, bad.failed, bad.exit_code), (0, 1, Some(1)));
    assert!(bad.output_tail.contains("to-stdout") && bad.output_tail.contains("to-stderr"));
    assert_eq!(
        bad.command,
        "sh -c 'echo to-stdout; echo to-stderr >&2; exit 1'"
    );
}

#[test]
fn missing_program_empty_command_and_missing_dir_are_errors() {
    let missing = run_command(&["bumpguard-no-such-program"], Duration::from_secs(30));
    match &missing.status {
        ContractStatus::Error(message) => assert!(
            message.contains("`bumpguard-no-such-program` not found"),
            "{message}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }

    let empty = run_command(&[], Duration::from_secs(30));
    assert!(matches!(empty.status, ContractStatus::Error(_)));

    let gone = RunOptions::new("/nonexistent/bumpguard/contract-dir");
    let run = run(&command(&["true"]), &gone);
    assert!(
        matches!(&run.status, ContractStatus::Error(m) if m.contains("does not exist")),
        "{:?}",
        run.status
    );
}

/// A background child in the group holds the output pipes open: the timeout
/// must still end the run on time, and take the child with it.
#[test]
fn command_timeout_kills_background_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("bg.pid");
    let script = format!("sleep 600 & echo $! > '{}'; wait", pid_file.display());
    let started = Instant::now();
    let run = run_command(&["sh", "-c", &script], Duration::from_secs(2));
    assert_eq!(run.status, ContractStatus::TimedOut);
    assert_eq!((run.passed, run.failed), (0, 0));
    assert!(started.elapsed() < Duration::from_secs(10));
    let pid = read_pid(&pid_file);
    assert!(wait_until_gone(pid), "background sleep {pid} still running");
}

/// A contract that exits but leaves a child behind (holding the pipes) is
/// judged at once, and the leftover is killed.
#[test]
fn command_leftovers_are_killed_when_it_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("bg.pid");
    let script = format!("sleep 600 & echo $! > '{}'; exit 0", pid_file.display());
    let started = Instant::now();
    let run = run_command(&["sh", "-c", &script], Duration::from_secs(60));
    assert_eq!(run.status, ContractStatus::Passed);
    assert!(started.elapsed() < Duration::from_secs(10));
    let pid = read_pid(&pid_file);
    assert!(wait_until_gone(pid), "leftover sleep {pid} still running");
}

/// Far more output on both pipes than a pipe buffer holds: no deadlock, and
/// the tail is the end of it.
#[test]
fn large_output_on_both_pipes_does_not_block() {
    let run = run_command(
        &[
            "sh",
            "-c",
            "yes out | head -n 200000; yes err | head -n 200000 >&2; echo last >&2",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.status, ContractStatus::Passed);
    let lines: Vec<&str> = run.output_tail.lines().collect();
    assert_eq!(lines.len(), bumpguard::contracts::TAIL_LINES);
    assert_eq!(lines.last(), Some(&"last"));
}
