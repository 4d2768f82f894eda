//! Contract tests: runs one contract (a selection of the workspace's cargo
//! tests, or a command) and says whether it passed.
//!
//! A cargo-test contract passes only when at least one test ran and none
//! failed: a filter that selects nothing is [`ContractStatus::NoTestsRan`],
//! never a pass, and a build failure is [`ContractStatus::Failed`] with the
//! compiler's error in [`ContractRun::output_tail`]. A command contract
//! passes when it exits 0.
//!
//! The child runs in a process group of its own, with stdin closed and its
//! stdout and stderr captured in one pipe, in the order they were written
//! (read in a thread, so the pipe cannot fill up and block it; nothing
//! reaches bumpguard's own stdout). When the
//! timeout expires the whole process tree is killed (cargo, rustc, the test
//! binaries, nextest's per-test process groups and anything they started),
//! and whatever the contract left behind in its group when it ended is
//! killed too.
//!
//! [`run`] never panics and never returns an error: a contract that cannot
//! be started (program not found, no such directory, cargo-nextest missing,
//! unknown package or test target) is [`ContractStatus::Error`].

use serde::Serialize;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// What a contract runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractSpec {
    /// `cargo test [-p PACKAGE] [--test TEST] -- [FILTER]` (or the same
    /// selection with cargo-nextest).
    CargoTest {
        package: Option<String>,
        test: Option<String>,
        filter: Option<String>,
        /// The filter is a whole test name (`--exact`), not a part of one.
        exact: bool,
    },
    /// A program and its arguments, run without a shell; passes on exit 0.
    Command(Vec<String>),
}

/// Which test runner a cargo-test contract uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runner {
    /// cargo-nextest when `cargo nextest --version` succeeds, else cargo.
    #[default]
    Auto,
    Cargo,
    Nextest,
}

/// How and where a contract runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The workspace root the contract runs in.
    pub dir: PathBuf,
    /// Wall-clock limit for the whole contract, build included.
    pub timeout: Duration,
    pub runner: Runner,
    /// `--offline` for cargo; `CARGO_NET_OFFLINE=true` for commands too.
    pub offline: bool,
    /// `CARGO_TARGET_DIR` for the child when set (else the child inherits
    /// bumpguard's environment).
    pub target_dir: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults of `bumpguard.toml`: 600 s, runner `auto`, online, the
    /// inherited target directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            dir: dir.into(),
            timeout: Duration::from_secs(600),
            runner: Runner::Auto,
            offline: false,
            target_dir: None,
        }
    }
}

/// The outcome of one contract.
#[derive(Debug, Clone, Serialize)]
pub struct ContractRun {
    pub status: ContractStatus,
    /// The command as a user would type it (shell-quoted).
    pub command: String,
    /// Tests that passed (a command contract: 1 when it exited 0).
    pub passed: u32,
    /// Tests that failed (a command contract: 1 when it exited non-zero).
    pub failed: u32,
    /// Tests ignored (libtest) or skipped (nextest).
    pub ignored: u32,
    /// Names of the failed tests, in the order they were reported.
    pub failed_tests: Vec<String>,
    pub duration_ms: u64,
    /// The last lines of the combined stdout and stderr, for the report.
    pub output_tail: String,
    /// The child's exit code; `None` when it was killed by a signal, timed
    /// out or never started.
    pub exit_code: Option<i32>,
    /// Tests that matched the selection but are `#[ignore]`d (a run with
    /// no test run and these is "matched only ignored tests").
    pub ignored_tests: Vec<String>,
    /// With [`ContractStatus::TimedOut`]: what was still running when it
    /// was stopped, when the output says (`test acme::renews`, the build).
    pub still_running: Option<String>,
    /// Tests that reported a result, as the runner names them.
    #[serde(skip)]
    pub finished: Vec<String>,
}

/// Whether the contract passed.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum ContractStatus {
    Passed,
    Failed,
    /// The selection matched no test (or every matching test is ignored).
    NoTestsRan,
    TimedOut,
    /// The contract could not be run; the text says why.
    Error(String),
}

impl ContractStatus {
    pub fn is_pass(&self) -> bool {
        matches!(self, ContractStatus::Passed)
    }
}

/// Lines of output kept in [`ContractRun::output_tail`].
pub const TAIL_LINES: usize = 40;
/// Output kept for parsing; past this only lines the parsers read are kept.
const MAX_KEPT_BYTES: usize = 32 << 20;
/// A longer line (no newline in sight) is cut into pieces of this size.
const MAX_LINE_BYTES: usize = 64 << 10;
/// How long the output pipes may stay open after the child is gone.
const READER_GRACE: Duration = Duration::from_secs(3);
/// Limit for `cargo nextest --version`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);
/// nextest's exit code when no test matched (`NO_TESTS_RUN`).
const NEXTEST_NO_TESTS_RUN: i32 = 4;

/// Runs one contract in `opts.dir` and says whether it passed.
pub fn run(spec: &ContractSpec, opts: &RunOptions) -> ContractRun {
    let start = Instant::now();
    let mut result = run_inner(spec, opts, start);
    result.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    result
}

fn run_inner(spec: &ContractSpec, opts: &RunOptions, start: Instant) -> ContractRun {
    match spec {
        ContractSpec::Command(argv) => {
            let command = shell_words(argv);
            if argv.is_empty() || argv[0].is_empty() {
                return error_run(command, "the contract's command is empty".to_string());
            }
            if let Err(message) = check_dir(opts) {
                return error_run(command, message);
            }
            match execute(argv, opts, opts.timeout) {
                Err(message) => error_run(command, message),
                Ok(out) => judge_command(command, out),
            }
        }
        ContractSpec::CargoTest {
            package,
            test,
            filter,
            exact,
        } => {
            let draft = cargo_test_args(
                Runner::Cargo,
                package.as_deref(),
                test.as_deref(),
                filter.as_deref(),
                *exact,
                opts.offline,
                false,
            );
            if let Err(message) = check_dir(opts) {
                return error_run(shell_words(&draft), message);
            }
            // libtest reads a leading `-` as an option: `--exact` as a
            // filter would run every test.
            if let Some(word) = [package, test, filter]
                .into_iter()
                .flatten()
                .find(|w| w.starts_with('-'))
            {
                return error_run(
                    shell_words(&draft),
                    format!(
                        "`{word}` starts with `-`: cargo or the test harness would read it as an option"
                    ),
                );
            }
            let (runner, no_tests_flag) = resolve_runner(opts);
            let argv = cargo_test_args(
                runner,
                package.as_deref(),
                test.as_deref(),
                filter.as_deref(),
                *exact,
                opts.offline,
                no_tests_flag,
            );
            let command = shell_words(&argv);
            // The probe's time counts against the contract's limit.
            let timeout = opts.timeout.saturating_sub(start.elapsed());
            let mut run = match execute(&argv, opts, timeout) {
                Err(message) => error_run(command, message),
                Ok(out) if runner == Runner::Nextest => {
                    judge_nextest(command, out, test.as_deref())
                }
                Ok(out) => judge_libtest(command, out, test.as_deref()),
            };
            let selection = Selection {
                runner,
                package: package.as_deref(),
                test: test.as_deref(),
                filter: filter.as_deref(),
                exact: *exact,
            };
            // nextest counts an ignored test as skipped, like one the
            // filter left out: its list says which it was.
            if runner == Runner::Nextest
                && run.status == ContractStatus::NoTestsRan
                && run.ignored > 0
            {
                let left = opts.timeout.saturating_sub(start.elapsed());
                run.ignored_tests = selection
                    .list(opts, left)
                    .into_iter()
                    .filter(|(_, ignored)| *ignored)
                    .map(|(name, _)| name)
                    .collect();
            }
            // Stopped with no test named as running: the tests it selects
            // that never reported a result are the ones that were.
            let vague = run
                .still_running
                .as_deref()
                .is_none_or(|r| r.starts_with("the tests of "));
            if run.status == ContractStatus::TimedOut && vague {
                let pending: Vec<String> = selection
                    .list(opts, LIST_AFTER_TIMEOUT)
                    .into_iter()
                    .filter(|(name, ignored)| !ignored && !run.finished.contains(name))
                    .map(|(name, _)| name)
                    .collect();
                if let Some(what) = unfinished_tests(&pending) {
                    run.still_running = Some(what);
                }
            }
            run
        }
    }
}

/// The runner a cargo-test contract uses under `opts` (`auto` probes
/// `cargo nextest --version`), and whether it takes `--no-tests=warn`.
pub fn resolve_runner(opts: &RunOptions) -> (Runner, bool) {
    match opts.runner {
        Runner::Cargo => (Runner::Cargo, false),
        Runner::Nextest => (Runner::Nextest, nextest_supports_no_tests(opts)),
        Runner::Auto => match nextest_version(opts) {
            Some(version) => (Runner::Nextest, supports_no_tests(&version)),
            None => (Runner::Cargo, false),
        },
    }
}

/// The command [`run`] runs for `spec` under `opts`, shell-quoted: the
/// same runner choice and arguments (for reports that say what would run).
pub fn command_line(spec: &ContractSpec, opts: &RunOptions) -> String {
    match spec {
        ContractSpec::Command(argv) => shell_words(argv),
        ContractSpec::CargoTest {
            package,
            test,
            filter,
            exact,
        } => {
            let (runner, no_tests_flag) = resolve_runner(opts);
            shell_words(&cargo_test_args(
                runner,
                package.as_deref(),
                test.as_deref(),
                filter.as_deref(),
                *exact,
                opts.offline,
                no_tests_flag,
            ))
        }
    }
}

fn check_dir(opts: &RunOptions) -> Result<(), String> {
    if opts.dir.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "the contract's directory {} does not exist",
            opts.dir.display()
        ))
    }
}

fn error_run(command: String, message: String) -> ContractRun {
    ContractRun {
        status: ContractStatus::Error(message),
        command,
        passed: 0,
        failed: 0,
        ignored: 0,
        failed_tests: Vec::new(),
        duration_ms: 0,
        output_tail: String::new(),
        exit_code: None,
        ignored_tests: Vec::new(),
        still_running: None,
        finished: Vec::new(),
    }
}

/// The argument vector of a cargo-test contract for `runner` (Cargo or
/// Nextest). Public so that reports show what would run exactly. `exact`:
/// the filter is a whole test name (`-- --exact FILTER`, which libtest
/// and nextest both take).
pub fn cargo_test_args(
    runner: Runner,
    package: Option<&str>,
    test: Option<&str>,
    filter: Option<&str>,
    exact: bool,
    offline: bool,
    no_tests_warn: bool,
) -> Vec<String> {
    let mut argv: Vec<String> = match runner {
        Runner::Nextest => vec!["cargo".into(), "nextest".into(), "run".into()],
        Runner::Cargo | Runner::Auto => vec!["cargo".into(), "test".into()],
    };
    if let Some(package) = package {
        argv.extend(["-p".into(), package.into()]);
    }
    if let Some(test) = test {
        argv.extend(["--test".into(), test.into()]);
    }
    // The lockfile under review is what the tests must run on: never let
    // cargo re-resolve (and rewrite the user's Cargo.lock).
    argv.push("--locked".into());
    if offline {
        argv.push("--offline".into());
    }
    argv.push("--no-fail-fast".into());
    if no_tests_warn {
        argv.push("--no-tests=warn".into());
    }
    if let Some(filter) = filter {
        argv.push("--".into());
        if exact {
            argv.push("--exact".into());
        }
        argv.push(filter.into());
    }
    argv
}

/// A cargo-test contract's selection, for listing its tests.
struct Selection<'a> {
    runner: Runner,
    package: Option<&'a str>,
    test: Option<&'a str>,
    filter: Option<&'a str>,
    exact: bool,
}

impl Selection<'_> {
    /// The tests the selection matches, each with whether it is
    /// `#[ignore]`d, named as the runner names them in a run (libtest:
    /// `name`; nextest: `binary name`). Empty when they cannot be listed.
    fn list(&self, opts: &RunOptions, timeout: Duration) -> Vec<(String, bool)> {
        let nextest = self.runner == Runner::Nextest;
        let mut argv: Vec<String> = if nextest {
            ["cargo", "nextest", "list"].map(String::from).to_vec()
        } else {
            ["cargo", "test"].map(String::from).to_vec()
        };
        if let Some(p) = self.package {
            argv.extend(["-p".into(), p.into()]);
        }
        if let Some(t) = self.test {
            argv.extend(["--test".into(), t.into()]);
        }
        argv.push("--locked".into());
        if opts.offline {
            argv.push("--offline".into());
        }
        if nextest {
            argv.extend(["--message-format".into(), "json".into()]);
        }
        argv.push("--".into());
        if let Some(f) = self.filter {
            if self.exact {
                argv.push("--exact".into());
            }
            argv.push(f.into());
        }
        if !nextest {
            argv.push("--list".into());
        }
        let Ok(out) = execute(&argv, opts, timeout.min(PROBE_TIMEOUT)) else {
            return Vec::new();
        };
        if !out.success() {
            return Vec::new();
        }
        if nextest {
            // nextest marks every ignored test as such before it looks at
            // the filter; libtest's filter is a substring of the name.
            let selected = |suite_and_name: &str| {
                let name = suite_and_name
                    .split_once(' ')
                    .map_or(suite_and_name, |(_, n)| n);
                self.filter.is_none_or(|f| {
                    if self.exact {
                        name == f
                    } else {
                        name.contains(f)
                    }
                })
            };
            return out
                .lines
                .iter()
                .filter(|l| l.trim_start().starts_with('{'))
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .flat_map(|list| tests_in_list(&list))
                .filter(|(name, _)| selected(name))
                .collect();
        }
        // `name: test` lines; `--list` marks no ignored test, and a test
        // that printed a result is left out by the caller anyway.
        out.lines
            .iter()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.strip_suffix(": test"))
            .map(|name| (name.to_string(), false))
            .collect()
    }
}

/// How long listing the tests may take once a contract timed out.
const LIST_AFTER_TIMEOUT: Duration = Duration::from_secs(30);

/// "test `x`" for one unfinished test, a short list for a few; `None`
/// when there are none or too many to say which was running.
fn unfinished_tests(pending: &[String]) -> Option<String> {
    match pending {
        [] => None,
        [one] => Some(format!("test `{one}`")),
        few if few.len() <= 5 => Some(format!(
            "one of the tests that never finished: {}",
            few.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// The test cases a `cargo nextest list` JSON document says the
/// selection matches (`suite name`), each with whether only `#[ignore]`
/// kept it out.
fn tests_in_list(list: &serde_json::Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let Some(suites) = list.get("rust-suites").and_then(|s| s.as_object()) else {
        return out;
    };
    for (suite, body) in suites {
        let Some(cases) = body.get("testcases").and_then(|c| c.as_object()) else {
            continue;
        };
        for (name, case) in cases {
            let matched = case.get("filter-match");
            let status = matched
                .and_then(|m| m.get("status"))
                .and_then(|r| r.as_str());
            let reason = matched
                .and_then(|m| m.get("reason"))
                .and_then(|r| r.as_str());
            match (status, reason) {
                (Some("matches"), _) => out.push((format!("{suite} {name}"), false)),
                (_, Some("ignored")) => out.push((format!("{suite} {name}"), true)),
                _ => {}
            }
        }
    }
    out
}

/// The version cargo-nextest reports, when `cargo nextest --version` works
/// in the contract's directory.
fn nextest_version(opts: &RunOptions) -> Option<String> {
    let argv = ["cargo", "nextest", "--version"].map(String::from);
    let out = execute(&argv, opts, opts.timeout.min(PROBE_TIMEOUT)).ok()?;
    if out.timed_out || !out.status.is_some_and(|s| s.success()) {
        return None;
    }
    let version = out
        .lines
        .iter()
        .find_map(|line| line.trim().strip_prefix("cargo-nextest "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("");
    Some(version.to_string())
}

fn nextest_supports_no_tests(opts: &RunOptions) -> bool {
    nextest_version(opts).is_some_and(|v| supports_no_tests(&v))
}

/// `--no-tests` exists since cargo-nextest 0.9.85 (where "no tests" became
/// an error by default).
fn supports_no_tests(version: &str) -> bool {
    semver::Version::parse(version).is_ok_and(|v| v >= semver::Version::new(0, 9, 85))
}

/// What a finished child left.
struct Execution {
    /// `None` when it could not be waited for.
    status: Option<ExitStatus>,
    timed_out: bool,
    /// The combined output, line by line in arrival order (see
    /// [`MAX_KEPT_BYTES`]).
    lines: Vec<String>,
    tail: String,
}

impl Execution {
    fn exit_code(&self) -> Option<i32> {
        if self.timed_out {
            None
        } else {
            self.status.and_then(|s| s.code())
        }
    }

    fn success(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success())
    }
}

/// Runs `argv` in `opts.dir` in a new process group, capturing its output,
/// killing the group after `timeout`. `Err` when it cannot be started.
fn execute(argv: &[String], opts: &RunOptions, timeout: Duration) -> Result<Execution, String> {
    let program = &argv[0];
    // One pipe for both streams, as a terminal shows them: cargo's lines
    // (stderr) and the tests' (stdout) arrive in the order they were
    // written, which the parsers rely on (which binary a summary is of).
    let (reader, writer) = std::io::pipe()
        .map_err(|e| format!("cannot create a pipe for the output of `{program}`: {e}"))?;
    let writer_too = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe for the output of `{program}`: {e}"))?;
    let mut command = Command::new(program);
    command
        .args(&argv[1..])
        .current_dir(&opts.dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_too)
        .env("CARGO_TERM_COLOR", "never")
        // A failing test's message, not a backtrace, belongs in the report's excerpt.
        .env("RUST_BACKTRACE", "0")
        .process_group(0);
    if let Some(target_dir) = &opts.target_dir {
        command.env("CARGO_TARGET_DIR", target_dir);
    }
    if opts.offline {
        command.env("CARGO_NET_OFFLINE", "true");
    }
    let spawned = command.spawn();
    // The child has its copies of the pipe's write end; ours must go, or
    // the reader never sees the end of the output.
    drop(command);
    let mut child = spawned.map_err(|e| spawn_error(program, &e))?;
    let pgid = child.id();

    let capture = Arc::new(Mutex::new(Capture::default()));
    let (done_tx, done_rx) = mpsc::channel();
    let mut readers = 0;
    let mut reader_failed = None;
    let pipes: [Box<dyn Read + Send>; 1] = [Box::new(reader)];
    for pipe in pipes {
        let sink = Arc::clone(&capture);
        let done = done_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("contract-output".into())
            .spawn(move || {
                pump(pipe, &sink);
                let _ = done.send(());
            });
        match spawned {
            Ok(_) => readers += 1,
            Err(e) => reader_failed = Some(e),
        }
    }
    drop(done_tx);
    if let Some(e) = reader_failed {
        kill_tree(pgid);
        let _ = child.wait();
        return Err(format!("could not read the output of `{program}`: {e}"));
    }

    let deadline = Instant::now().checked_add(timeout);
    let mut poll = Duration::from_millis(5);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => {
                kill_tree(pgid);
                break child.wait().ok();
            }
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            timed_out = true;
            kill_tree(pgid);
            break child.wait().ok();
        }
        let left = deadline.map_or(poll, |d| d - now);
        std::thread::sleep(poll.min(left));
        poll = (poll * 2).min(Duration::from_millis(100));
    };
    // Whatever the contract left running in its group goes too; it would
    // otherwise keep the pipes open (and outlive bumpguard).
    kill_group(pgid);

    let grace_end = Instant::now() + READER_GRACE;
    for _ in 0..readers {
        let left = grace_end.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            // Someone outside the group holds a pipe open: stop waiting and
            // report what arrived (the reader thread ends with the pipe).
            break;
        }
    }
    let capture = match capture.lock() {
        Ok(mut c) => std::mem::take(&mut *c),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    Ok(Execution {
        status,
        timed_out,
        tail: capture.tail.into_iter().collect::<Vec<_>>().join("\n"),
        lines: capture.lines,
    })
}

fn spawn_error(program: &str, e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => {
            if program.contains('/') {
                format!(
                    "program `{program}` not found (relative paths start at the contract's directory)"
                )
            } else {
                format!("program `{program}` not found: is it installed and on PATH?")
            }
        }
        ErrorKind::PermissionDenied => {
            format!("program `{program}` could not be run: permission denied")
        }
        _ => format!("program `{program}` could not be started: {e}"),
    }
}

/// Sends SIGKILL to every process of the group.
fn kill_group(pgid: u32) {
    signal_group(pgid, libc::SIGKILL);
}

/// Kills the contract's whole process tree (on timeout). Killing its group
/// is not enough: cargo-nextest runs every test in a process group of its
/// own. So the group is stopped first (nothing in it can start more
/// processes), then every descendant and its group is killed, then the
/// group. Without `/proc` only the group is killed.
pub(crate) fn kill_tree(pgid: u32) {
    signal_group(pgid, libc::SIGSTOP);
    // SAFETY: getpgrp(2) cannot fail and touches no memory of ours.
    let own_group = unsafe { libc::getpgrp() };
    for (pid, group) in descendants(pgid) {
        if i32::try_from(group).is_ok_and(|g| g != own_group) && group != pgid {
            signal_group(group, libc::SIGKILL);
        }
        if let Ok(pid) = i32::try_from(pid) {
            // SAFETY: kill(2) has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
    signal_group(pgid, libc::SIGKILL);
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    if let Ok(pgid) = i32::try_from(pgid)
        && pgid > 1
    {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid
        // names a process group.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// Every descendant of `root` as (pid, process group), read from `/proc`.
fn descendants(root: u32) -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let processes: Vec<(u32, u32, u32)> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (ppid, group) = parse_proc_stat(&stat)?;
            Some((pid, ppid, group))
        })
        .collect();
    let mut found: Vec<(u32, u32)> = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for &(pid, ppid, group) in &processes {
            if ppid == parent && pid != root && !found.iter().any(|&(p, _)| p == pid) {
                found.push((pid, group));
                parents.push(pid);
            }
        }
    }
    found
}

/// `/proc/PID/stat` ("pid (comm) state ppid pgrp ...") -> (ppid, pgrp). The
/// command name may hold spaces and parentheses: fields follow the last ')'.
fn parse_proc_stat(stat: &str) -> Option<(u32, u32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(1);
    let ppid = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some((ppid, group))
}

#[derive(Default)]
struct Capture {
    lines: Vec<String>,
    kept_bytes: usize,
    tail: VecDeque<String>,
}

impl Capture {
    fn push(&mut self, line: String) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.clone());
        if self.kept_bytes < MAX_KEPT_BYTES || parsers_read(&line) {
            self.kept_bytes += line.len();
            self.lines.push(line);
        }
    }
}

/// Lines the parsers need, kept even when the output is huge.
fn parsers_read(line: &str) -> bool {
    let t = line.trim_start();
    [
        "test ",
        "running ",
        "Running ",
        "Doc-tests ",
        "failures:",
        "error",
        "Summary [",
        "for `",
        "Compiling ",
        "Finished ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
        || nextest_status(t).is_some()
}

/// Reads a pipe to its end, line by line, into `sink`.
fn pump(mut source: impl Read, sink: &Mutex<Capture>) {
    let mut buf = [0u8; 8192];
    let mut pending: Vec<u8> = Vec::new();
    let emit = |pending: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(pending);
        let line = strip_ansi(text.trim_end_matches(['\n', '\r']));
        pending.clear();
        match sink.lock() {
            Ok(mut c) => c.push(line),
            Err(poisoned) => poisoned.into_inner().push(line),
        }
    };
    loop {
        match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                for piece in buf[..n].split_inclusive(|b| *b == b'\n') {
                    pending.extend_from_slice(piece);
                    if piece.ends_with(b"\n") || pending.len() >= MAX_LINE_BYTES {
                        emit(&mut pending);
                    }
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if !pending.is_empty() {
        emit(&mut pending);
    }
}

/// Removes terminal escape sequences (colours, OSC titles and links).
fn strip_ansi(text: &str) -> String {
    if !text.contains('\u{1b}') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                // Ends with BEL or ESC \.
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

/// Test counts read off a runner's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestCounts {
    pub passed: u32,
    pub failed: u32,
    pub ignored: u32,
    pub failed_tests: Vec<String>,
    /// Tests the runner reported as ignored (by name, where it names them).
    pub ignored_tests: Vec<String>,
    /// At least one summary line was found.
    pub summary_seen: bool,
    /// Test binaries that printed nothing libtest prints (no `running N
    /// tests`): targets with `harness = false`, whose tests cannot be
    /// counted. By cargo's name for them (`tests/custom.rs`).
    pub custom_harness: Vec<String>,
    /// Test binaries that started their tests but ended without their own
    /// summary (killed, crashed, timed out).
    pub unfinished: Vec<String>,
    /// Tests reported as running long (libtest's "has been running for
    /// over 60 seconds", nextest's `SLOW`) and not finished.
    pub running: Vec<String>,
    /// Every test reported with a result (passed, failed, ignored), as the
    /// runner names it (libtest: `name`; nextest: `binary name`).
    pub finished: Vec<String>,
}

impl TestCounts {
    fn note_failed(&mut self, name: &str) {
        let name = name.trim();
        if !name.is_empty() && !self.failed_tests.iter().any(|n| n == name) {
            self.failed_tests.push(name.to_string());
        }
    }

    fn note_finished(&mut self, name: &str) {
        let name = name.trim();
        self.running.retain(|n| n != name);
        if !self.finished.iter().any(|n| n == name) {
            self.finished.push(name.to_string());
        }
    }
}

/// libtest's output of one test binary, as far as it was read.
#[derive(Default)]
struct LibtestBinary {
    /// cargo's name for it: `tests/contracts.rs`, `unittests src/lib.rs`,
    /// `doctests proj`; empty when no cargo line announced it.
    name: String,
    /// `running N tests`: how many tests it runs.
    expected: Option<u32>,
    /// Past the first `failures:` line: what follows is the failed tests'
    /// captured output (anything at all) and their list.
    in_failures: bool,
    /// `test result:` lines seen: passed, failed, ignored, measured.
    summaries: Vec<[u32; 4]>,
    passed: u32,
    failed: Vec<String>,
    ignored: Vec<String>,
}

/// cargo's line announcing a test binary: `     Running tests/x.rs
/// (target/debug/deps/x-1a2b)` or `   Doc-tests proj` (right-aligned
/// status, so indented), as the binary's name.
fn cargo_binary_line(line: &str) -> Option<String> {
    if !line.starts_with(' ') {
        return None;
    }
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("Running ") {
        let (name, binary) = rest.rsplit_once(" (")?;
        binary.ends_with(')').then(|| name.trim().to_string())
    } else {
        t.strip_prefix("Doc-tests ")
            .filter(|crate_name| !crate_name.trim().is_empty() && !crate_name.contains(' '))
            .map(|crate_name| format!("doctests {}", crate_name.trim()))
    }
}

/// libtest's `running 3 tests` (`running 1 test`), unindented.
fn libtest_running(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("running ")?;
    let (n, word) = rest.split_once(' ')?;
    matches!(word, "test" | "tests")
        .then(|| n.parse().ok())
        .flatten()
}

/// `ok. 2 passed; 1 failed; 0 ignored; 0 measured; 2 filtered out; ...`
/// -> [passed, failed, ignored, measured].
fn libtest_summary(rest: &str) -> Option<[u32; 4]> {
    let (verdict, numbers) = rest.split_once(". ")?;
    if !matches!(verdict, "ok" | "FAILED") {
        return None;
    }
    let mut out = [None; 4];
    for part in numbers.split(';') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        let slot = match what {
            "passed" => 0,
            "failed" => 1,
            "ignored" => 2,
            "measured" => 3,
            _ => continue,
        };
        out[slot] = Some(n);
    }
    // Older libtests print no `measured`.
    Some([out[0]?, out[1]?, out[2]?, out[3].unwrap_or(0)])
}

/// `test NAME ... RESULT` -> (NAME, RESULT), `- should panic` left out.
fn libtest_result(line: &str) -> Option<(&str, &str)> {
    let (name, result) = line.strip_prefix("test ")?.rsplit_once(" ... ")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    Some((name, result.trim()))
}

/// Reads libtest's output (`cargo test`), one test binary at a time, in
/// order: cargo names each binary (`Running ..`, `Doc-tests ..`), libtest
/// says how many tests it runs (`running N tests`) and ends with its
/// summary (`test result: ..`). Only a summary whose counts add up to that
/// number is the binary's own: a test may print anything, `test result:`
/// lines included, and libtest shows a failed test's output before the
/// summary. `test NAME ... FAILED` lines before that output name the
/// failures. A binary that prints no `running` line does not use libtest
/// (`harness = false`); one that ends without its summary is unfinished,
/// and what it reported per test counts.
pub fn parse_libtest<S: AsRef<str>>(lines: &[S]) -> TestCounts {
    let mut binaries: Vec<LibtestBinary> = Vec::new();
    let mut counts = TestCounts::default();
    for line in lines {
        let line = line.as_ref().trim_end();
        if let Some(name) = cargo_binary_line(line) {
            binaries.push(LibtestBinary {
                name,
                ..LibtestBinary::default()
            });
            continue;
        }
        if let Some(n) = libtest_running(line) {
            match binaries.last_mut() {
                Some(b) if b.expected.is_none() => b.expected = Some(n),
                // A second `running` line in one binary: a test printed it.
                Some(_) => {}
                // No cargo line: a test binary's output alone.
                None => binaries.push(LibtestBinary {
                    expected: Some(n),
                    ..LibtestBinary::default()
                }),
            }
            continue;
        }
        let Some(b) = binaries.last_mut() else {
            continue;
        };
        if b.expected.is_none() {
            // Output of a binary that is not libtest's.
            continue;
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            b.summaries.extend(libtest_summary(rest));
            continue;
        }
        if line == "failures:" {
            b.in_failures = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ")
            && let Some(name) = rest.strip_suffix(" has been running for over 60 seconds")
        {
            if !b.in_failures && !counts.running.iter().any(|n| n == name) {
                counts.running.push(name.to_string());
            }
            continue;
        }
        if b.in_failures {
            continue;
        }
        // One test at a time, libtest names a test as it starts.
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ..."))
        {
            if !counts.running.iter().any(|n| n == name) {
                counts.running.push(name.to_string());
            }
            continue;
        }
        let Some((name, result)) = libtest_result(line) else {
            continue;
        };
        counts.note_finished(name);
        match result {
            "ok" => b.passed += 1,
            "FAILED" => b.failed.push(name.to_string()),
            r if r == "ignored" || r.starts_with("ignored, ") => b.ignored.push(name.to_string()),
            r if r.starts_with("bench:") => b.passed += 1,
            _ => {}
        }
    }
    for b in binaries {
        let Some(expected) = b.expected else {
            counts.custom_harness.push(b.name);
            continue;
        };
        let own = b.summaries.iter().rev().find(|[p, f, i, m]| {
            p.saturating_add(*f).saturating_add(*i).saturating_add(*m) == expected
        });
        let [passed, failed, ignored] = match own {
            Some([p, f, i, _]) => {
                counts.summary_seen = true;
                [*p, *f, *i]
            }
            None => {
                counts.unfinished.push(b.name.clone());
                let n = |v: &Vec<String>| u32::try_from(v.len()).unwrap_or(u32::MAX);
                [b.passed, n(&b.failed), n(&b.ignored)]
            }
        };
        counts.passed = counts.passed.saturating_add(passed);
        counts.failed = counts.failed.saturating_add(failed);
        counts.ignored = counts.ignored.saturating_add(ignored);
        for name in &b.failed {
            counts.note_failed(name);
        }
        counts.ignored_tests.extend(b.ignored);
    }
    counts
}

/// Reads cargo-nextest's output: the `Summary [..] N tests run: X passed,
/// Y failed, Z skipped` line gives the counts (every kind of result other
/// than passed and skipped counts as failed: `timed out`, `exec failed`);
/// status lines (`FAIL [ 0.1s] (1/3) crate::bin test_name`, `TIMEOUT`,
/// `SIGSEGV`, ...) name the failures. Test output that nextest prints
/// (indented libtest lines included) is not read.
pub fn parse_nextest<S: AsRef<str>>(lines: &[S]) -> TestCounts {
    let mut counts = TestCounts::default();
    for line in lines {
        let line = line.as_ref().trim();
        if let Some(rest) = line.strip_prefix("Summary [") {
            let Some((_, rest)) = rest.split_once(']') else {
                continue;
            };
            let Some((_, results)) = rest.split_once(" run: ") else {
                continue;
            };
            counts.summary_seen = true;
            counts.passed = 0;
            counts.failed = 0;
            counts.ignored = 0;
            for part in without_parentheses(results).split(',') {
                let part = part.trim();
                let Some((n, what)) = part.split_once(' ') else {
                    continue;
                };
                let Ok(n) = n.parse::<u32>() else { continue };
                match what.trim() {
                    "passed" => counts.passed = counts.passed.saturating_add(n),
                    "skipped" => counts.ignored = counts.ignored.saturating_add(n),
                    _ => counts.failed = counts.failed.saturating_add(n),
                }
            }
        } else if let Some((status, name)) = nextest_status(line) {
            if status == "SLOW" {
                if !counts.running.iter().any(|n| n == name) {
                    counts.running.push(name.to_string());
                }
                continue;
            }
            counts.note_finished(name);
            if is_nextest_failure_status(status) {
                counts.note_failed(name);
            }
        } else if let Some(rest) = line.strip_prefix("for `")
            && let Some((binary, _)) = rest.split_once("`, line ")
            && line.contains("did not end with the string \": test\"")
        {
            // `cargo nextest` could not list a binary's tests: not libtest.
            counts.custom_harness.push(binary.to_string());
        }
    }
    counts
}

/// `FAIL [   0.102s] (1/1) proj::contract failing_one` -> (status, the
/// test's name), for the status words nextest prints for a test (`PASS`,
/// `SLOW`, `FLAKY`, `SKIP`, the failures). A retry's attempt (`TRY 1
/// FAIL`) is not a result: the final status line is.
fn nextest_status(line: &str) -> Option<(&str, &str)> {
    let (status, rest) = line.split_once(' ')?;
    let known = matches!(status, "PASS" | "SLOW" | "FLAKY" | "SKIP" | "LEAK")
        || is_nextest_failure_status(status);
    if !known {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('[')?;
    let (time, rest) = rest.split_once(']')?;
    if !time.trim().ends_with('s') {
        return None;
    }
    let rest = rest.trim_start();
    // Newer versions print a "(3/10)" counter before the name.
    let rest = match rest.strip_prefix('(').and_then(|r| r.split_once(") ")) {
        Some((counter, name)) if counter.contains('/') => name,
        _ => rest,
    };
    Some((status, rest.trim()))
}

fn is_nextest_failure_status(word: &str) -> bool {
    matches!(
        word,
        "FAIL" | "TIMEOUT" | "ABORT" | "LEAK-FAIL" | "EXECFAIL" | "EXEC-FAIL"
    ) || (word.len() > 3
        && word.starts_with("SIG")
        && word[3..].chars().all(|c| c.is_ascii_uppercase()))
}

fn without_parentheses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A cargo error that means the contract could not be run at all (unknown
/// package or test target, no manifest, nextest missing, offline without the
/// sources), as opposed to a build that failed.
fn cargo_setup_error<S: AsRef<str>>(lines: &[S]) -> Option<String> {
    let built = lines.iter().any(|l| {
        let l = l.as_ref();
        l.contains("could not compile") || l.contains("failed to run custom build command")
    });
    if built {
        return None;
    }
    lines.iter().find_map(|line| {
        let message = line.as_ref().trim().strip_prefix("error: ")?;
        if message.starts_with("no such command: `nextest`") {
            return Some(
                "cargo-nextest is not installed (`cargo nextest` is not a cargo command here); \
                 install it or use runner = \"cargo\""
                    .to_string(),
            );
        }
        if message.contains("--locked was passed") {
            return Some(
                "Cargo.lock needs updating: the manifests at this revision ask for other packages than it locks, and contracts run with `--locked` so that they test the lockfile under review; update it (`cargo update --workspace`, or any cargo build) and commit it"
                    .to_string(),
            );
        }
        let setup = [
            "no test target named",
            "did not match any packages",
            "not found in workspace",
            "could not find `Cargo.toml`",
            "no such command",
            "offline",
        ];
        setup
            .iter()
            .any(|s| message.contains(s))
            .then(|| format!("cargo: {message}"))
    })
}

/// Why a target that does not use libtest (`harness = false`) cannot be
/// a cargo-test contract, and what to bind instead.
fn custom_harness_error(binaries: &[String], test: Option<&str>) -> String {
    let names: Vec<String> = binaries
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| format!("`{b}`"))
        .collect();
    let which = if names.is_empty() {
        "a test target".to_string()
    } else {
        names.join(", ")
    };
    let target = test.map_or_else(String::new, |t| format!(", \"--test\", \"{t}\""));
    format!(
        "{which} does not use the libtest harness (`harness = false`), so its tests cannot be selected or counted; bind it as a command contract instead, which passes when it exits 0: command = [\"cargo\", \"test\"{target}, \"--locked\"]"
    )
}

/// What was still running when a contract was stopped, as far as the
/// output says: tests reported as running long, the test binary that had
/// not finished, or the build.
fn still_running<S: AsRef<str>>(counts: &TestCounts, lines: &[S]) -> Option<String> {
    if !counts.running.is_empty() {
        let names: Vec<String> = counts.running.iter().map(|n| format!("`{n}`")).collect();
        return Some(format!(
            "test{} {}",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    if let Some(binary) = counts.unfinished.iter().rev().find(|b| !b.is_empty()) {
        return Some(format!("the tests of `{binary}`"));
    }
    // The build, when cargo was compiling and never finished.
    let mut compiling = None;
    for line in lines {
        let t = line.as_ref().trim();
        if let Some(what) = t.strip_prefix("Compiling ") {
            compiling = Some(what.to_string());
        } else if t.starts_with("Finished ") || t.starts_with("Running ") {
            compiling = None;
        }
    }
    compiling.map(|c| format!("the build (compiling {c})"))
}

fn judge_libtest(command: String, out: Execution, test: Option<&str>) -> ContractRun {
    let counts = parse_libtest(&out.lines);
    let status = if out.timed_out {
        ContractStatus::TimedOut
    } else if out.success() && counts.failed == 0 {
        if counts.passed > 0 {
            ContractStatus::Passed
        } else if !counts.custom_harness.is_empty() {
            ContractStatus::Error(custom_harness_error(&counts.custom_harness, test))
        } else {
            ContractStatus::NoTestsRan
        }
    } else if let Some(message) = (!counts.summary_seen)
        .then(|| cargo_setup_error(&out.lines))
        .flatten()
    {
        ContractStatus::Error(message)
    } else if counts.passed == 0 && counts.failed == 0 && !counts.custom_harness.is_empty() {
        ContractStatus::Error(custom_harness_error(&counts.custom_harness, test))
    } else {
        ContractStatus::Failed
    };
    test_run(command, status, counts, out)
}

fn judge_nextest(command: String, out: Execution, test: Option<&str>) -> ContractRun {
    let counts = parse_nextest(&out.lines);
    let status = if out.timed_out {
        ContractStatus::TimedOut
    } else if !counts.custom_harness.is_empty() && !counts.summary_seen {
        ContractStatus::Error(custom_harness_error(&counts.custom_harness, test))
    } else if out.success() && counts.failed == 0 {
        if counts.passed > 0 {
            ContractStatus::Passed
        } else {
            ContractStatus::NoTestsRan
        }
    } else if out.exit_code() == Some(NEXTEST_NO_TESTS_RUN) && counts.failed == 0 {
        ContractStatus::NoTestsRan
    } else if let Some(message) = (!counts.summary_seen)
        .then(|| cargo_setup_error(&out.lines))
        .flatten()
    {
        ContractStatus::Error(message)
    } else {
        ContractStatus::Failed
    };
    test_run(command, status, counts, out)
}

fn test_run(
    command: String,
    status: ContractStatus,
    counts: TestCounts,
    out: Execution,
) -> ContractRun {
    let still_running = (status == ContractStatus::TimedOut)
        .then(|| still_running(&counts, &out.lines))
        .flatten();
    ContractRun {
        status,
        command,
        passed: counts.passed,
        failed: counts.failed,
        ignored: counts.ignored,
        failed_tests: counts.failed_tests,
        duration_ms: 0,
        exit_code: out.exit_code(),
        output_tail: out.tail,
        ignored_tests: counts.ignored_tests,
        still_running,
        finished: counts.finished,
    }
}

fn judge_command(command: String, out: Execution) -> ContractRun {
    let (status, passed, failed) = if out.timed_out {
        (ContractStatus::TimedOut, 0, 0)
    } else if out.success() {
        (ContractStatus::Passed, 1, 0)
    } else {
        (ContractStatus::Failed, 0, 1)
    };
    ContractRun {
        status,
        command,
        passed,
        failed,
        ignored: 0,
        failed_tests: Vec::new(),
        duration_ms: 0,
        exit_code: out.exit_code(),
        output_tail: out.tail,
        ignored_tests: Vec::new(),
        still_running: None,
        finished: Vec::new(),
    }
}

/// The words as a POSIX shell user would type them.
pub fn shell_words<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    /// `cargo test --no-fail-fast -- failing` on a crate with unit tests, an
    /// integration test file and doctests (cargo 1.95).
    const LIBTEST_MIXED: &str = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.01s
     Running unittests src/lib.rs (target/debug/deps/proj-2f5cb745fb5fedf3)

running 3 tests
test tests::unit_ignored ... ignored
test tests::unit_ok ... ok
test tests::unit_panics - should panic ... FAILED

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `--lib`
     Running tests/contract.rs (target/debug/deps/contract-314c199b12a06536)

running 3 tests
test passing_one ... ok
test failing_one ... FAILED
test passing_two ... ok

failures:

---- failing_one stdout ----

thread 'failing_one' (1263) panicked at tests/contract.rs:3:28:
assertion `left == right` failed: deliberate
  left: 1
 right: 2

failures:
    failing_one

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.10s

error: test failed, to rerun pass `--test contract`
   Doc-tests proj

running 1 test
test src/lib.rs - add (line 3) ... FAILED

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: 3 targets failed:
    `--lib`
    `--test contract`
    `--doc`
";

    #[test]
    fn libtest_results_of_every_binary_are_added_up() {
        let counts = parse_libtest(&lines(LIBTEST_MIXED));
        assert!(counts.summary_seen);
        assert_eq!((counts.passed, counts.failed, counts.ignored), (3, 3, 1));
        assert_eq!(
            counts.failed_tests,
            [
                "tests::unit_panics",
                "failing_one",
                "src/lib.rs - add (line 3)"
            ]
        );
    }

    /// `cargo test --no-fail-fast` (cargo 1.95, both streams in one pipe):
    /// a failing test prints libtest-like lines of its own, a target has
    /// `harness = false`, and an ignored test matches.
    const LIBTEST_SPOOFED: &str = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.39s
     Running unittests src/lib.rs (target/debug/deps/probe-9949de8168e972d0)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/contracts.rs (target/debug/deps/contracts-a30abe357d94f1b3)

running 3 tests
test ign_one ... ignored
test ok_one ... ok
test prints_summary ... FAILED

failures:

---- prints_summary stdout ----
running 9 tests
test fake ... ok
test fake_failure ... FAILED
test result: ok. 9 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

thread 'prints_summary' (31090) panicked at tests/contracts.rs:11:5:
boom
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    prints_summary

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `--test contracts`
     Running tests/custom.rs (target/debug/deps/custom-6107b7a7434bcc34)
custom harness ran
test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
   Doc-tests probe

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: 1 target failed:
    `--test contracts`
";

    #[test]
    fn only_libtests_own_summary_lines_count() {
        let counts = parse_libtest(&lines(LIBTEST_SPOOFED));
        assert!(counts.summary_seen);
        assert_eq!((counts.passed, counts.failed, counts.ignored), (1, 1, 1));
        assert_eq!(counts.failed_tests, ["prints_summary"]);
        assert_eq!(counts.ignored_tests, ["ign_one"]);
        assert_eq!(counts.custom_harness, ["tests/custom.rs"]);
        assert!(counts.unfinished.is_empty(), "{counts:?}");
        // The same lines in another test's output, when the real summary
        // also reads "9 passed": the last one whose counts add up to the
        // binary's `running` line is its own.
        let text = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.01s
     Running tests/a.rs (target/debug/deps/a-1)

running 2 tests
test one ... ok
test two ... FAILED

failures:

---- two stdout ----
test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

failures:
    two

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        let counts = parse_libtest(&lines(text));
        assert_eq!((counts.passed, counts.failed), (1, 1));
    }

    #[test]
    fn a_binary_without_its_summary_counts_what_it_reported() {
        // Killed at the time limit: one test passed, one never finished.
        let text = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.01s
     Running tests/contracts.rs (target/debug/deps/contracts-1)

running 2 tests
test quick ... ok
";
        let counts = parse_libtest(&lines(text));
        assert!(!counts.summary_seen);
        assert_eq!(counts.passed, 1);
        assert_eq!(counts.unfinished, ["tests/contracts.rs"]);
        assert_eq!(counts.finished, ["quick"]);
        assert_eq!(
            still_running(&counts, &lines(text)).as_deref(),
            Some("the tests of `tests/contracts.rs`")
        );
        // Long runners are named; one thread at a time names the test as it starts.
        let text = "\
running 3 tests
test slow_one has been running for over 60 seconds
test done ... ok
test one_at_a_time ...";
        let counts = parse_libtest(&lines(text));
        assert_eq!(counts.running, ["slow_one", "one_at_a_time"]);
        assert_eq!(
            still_running(&counts, &lines(text)).as_deref(),
            Some("tests `slow_one`, `one_at_a_time`")
        );
        // Stopped while building.
        let text = "   Compiling certlib v1.5.0\n   Compiling service v0.1.0 (/w)\n";
        let counts = parse_libtest(&lines(text));
        assert_eq!(
            still_running(&counts, &lines(text)).as_deref(),
            Some("the build (compiling service v0.1.0 (/w))")
        );
        assert_eq!(unfinished_tests(&["a".into()]).as_deref(), Some("test `a`"));
        assert_eq!(unfinished_tests(&[]), None);
    }

    fn execution(text: &str, code: i32) -> Execution {
        use std::os::unix::process::ExitStatusExt;
        Execution {
            status: Some(ExitStatus::from_raw(code << 8)),
            timed_out: false,
            lines: text.lines().map(str::to_string).collect(),
            tail: String::new(),
        }
    }

    #[test]
    fn a_target_without_libtest_cannot_be_a_test_contract() {
        let text =
            "     Running tests/custom.rs (target/debug/deps/custom-1)\ncustom harness ran\n";
        let run = judge_libtest("c".into(), execution(text, 0), Some("custom"));
        let ContractStatus::Error(why) = &run.status else {
            panic!("{run:?}");
        };
        assert!(
            why.starts_with(
                "`tests/custom.rs` does not use the libtest harness (`harness = false`)"
            ),
            "{why}"
        );
        assert!(
            why.contains("command = [\"cargo\", \"test\", \"--test\", \"custom\", \"--locked\"]"),
            "{why}"
        );
        // nextest cannot list it.
        let text = "error: creating test list failed\n\nCaused by:\n  for `probe::custom`, line \"custom harness ran\" did not end with the string \": test\" or \": benchmark\"\n";
        let run = judge_nextest("c".into(), execution(text, 101), Some("custom"));
        assert!(
            matches!(&run.status, ContractStatus::Error(why) if why.starts_with("`probe::custom` does not use the libtest harness")),
            "{run:?}"
        );
        // Ignored matches are named.
        let text = "     Running tests/c.rs (target/debug/deps/c-1)\n\nrunning 1 test\ntest ign_one ... ignored, needs a network\n\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 2 filtered out; finished in 0.00s\n";
        let run = judge_libtest("c".into(), execution(text, 0), None);
        assert_eq!(run.status, ContractStatus::NoTestsRan);
        assert_eq!(run.ignored_tests, ["ign_one"]);
    }

    #[test]
    fn nextest_slow_tests_and_lists() {
        let text = "\
    Starting 2 tests across 1 binary
        SLOW [> 60.000s] (1/2) svc::contracts hangs
        SLOW [> 60.000s] (1/2) svc::contracts slow_but_done
        PASS [  61.000s] (1/2) svc::contracts slow_but_done
";
        let counts = parse_nextest(&lines(text));
        assert_eq!(counts.running, ["svc::contracts hangs"]);
        assert_eq!(counts.finished, ["svc::contracts slow_but_done"]);
        let list: serde_json::Value = serde_json::from_str(r#"{"rust-suites": {"svc::contracts": {"testcases": {
            "ign_one": {"ignored": true, "filter-match": {"status": "mismatch", "reason": "ignored"}},
            "ok_one": {"ignored": false, "filter-match": {"status": "matches"}},
            "other": {"ignored": false, "filter-match": {"status": "mismatch", "reason": "string"}}}}}}"#).unwrap();
        assert_eq!(
            tests_in_list(&list),
            [
                ("svc::contracts ign_one".to_string(), true),
                ("svc::contracts ok_one".to_string(), false)
            ]
        );
    }

    #[test]
    fn libtest_filter_matching_nothing_counts_zero() {
        let text = "\
     Running unittests src/lib.rs (target/debug/deps/proj-2f5cb745fb5fedf3)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s

     Running tests/contract.rs (target/debug/deps/contract-314c199b12a06536)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s
";
        let counts = parse_libtest(&lines(text));
        assert!(counts.summary_seen);
        assert_eq!((counts.passed, counts.failed, counts.ignored), (0, 0, 0));
        assert!(counts.failed_tests.is_empty());
    }

    #[test]
    fn libtest_build_failure_has_no_results() {
        let text = "\
   Compiling broken v0.1.0 (/tmp/broken)
error[E0308]: mismatched types
 --> src/lib.rs:1:21
error: could not compile `broken` (lib) due to 1 previous error
";
        let counts = parse_libtest(&lines(text));
        assert_eq!(counts, TestCounts::default());
        assert_eq!(cargo_setup_error(&lines(text)), None, "a build failure");
    }

    /// `cargo nextest run --no-fail-fast -- failing` (nextest 0.9.143): the
    /// failing test's libtest output is echoed, indented; it must not count.
    const NEXTEST_FAILING: &str = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.01s
────────────
 Nextest run ID 3129df96-68a1-407e-9c33-efc468e211b2 with nextest profile: default
    Starting 2 tests across 2 binaries (5 tests skipped)
        PASS [   0.005s] (1/2) proj::contract failing_not
        FAIL [   0.102s] (2/2) proj::contract failing_one
  stdout ───

    running 1 test
    test failing_one ... FAILED

    failures:
        failing_one

    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.09s

  stderr ───

    thread 'failing_one' (1418) panicked at tests/contract.rs:3:28:
    assertion `left == right` failed: deliberate

────────────
     Summary [   0.103s] 2 tests run: 1 passed, 1 failed, 5 skipped
        FAIL [   0.102s] (2/2) proj::contract failing_one
error: test run failed
";

    #[test]
    fn nextest_summary_and_fail_lines() {
        let counts = parse_nextest(&lines(NEXTEST_FAILING));
        assert!(counts.summary_seen);
        assert_eq!((counts.passed, counts.failed, counts.ignored), (1, 1, 5));
        assert_eq!(counts.failed_tests, ["proj::contract failing_one"]);
    }

    #[test]
    fn nextest_passing_and_empty_runs() {
        let passing = "\
    Starting 2 tests across 2 binaries (4 tests skipped)
        PASS [   0.005s] (1/2) proj::contract passing_two
        PASS [   0.006s] (2/2) proj::contract passing_one
────────────
     Summary [   0.007s] 2 tests run: 2 passed, 4 skipped
";
        let counts = parse_nextest(&lines(passing));
        assert_eq!((counts.passed, counts.failed, counts.ignored), (2, 0, 4));
        assert!(counts.failed_tests.is_empty());

        let empty = "\
    Starting 0 tests across 2 binaries (6 tests skipped)
────────────
     Summary [   0.000s] 0 tests run: 0 passed, 6 skipped
error: no tests to run
(hint: use `--no-tests` to customize)
";
        let counts = parse_nextest(&lines(empty));
        assert!(counts.summary_seen);
        assert_eq!((counts.passed, counts.failed, counts.ignored), (0, 0, 6));
    }

    #[test]
    fn nextest_other_failure_kinds_count_as_failed() {
        // Older status lines have no counter; timed out, exec failed and
        // crashes are failures; slow and flaky tests (in parentheses) passed.
        let text = "\
     TIMEOUT [  60.001s] svc::contracts acme::renews
     SIGSEGV [   0.020s] svc::contracts tls::handshake
    TRY 1 FAIL [   0.010s] svc::contracts flaky_one
   LEAK-FAIL [   0.030s] svc svc_unit
     Summary [  60.100s] 3/9 tests run: 4 passed (1 slow, 1 flaky), 1 failed (1 due to being leaky), 1 exec failed, 1 timed out, 2 skipped
";
        let counts = parse_nextest(&lines(text));
        assert_eq!((counts.passed, counts.failed, counts.ignored), (4, 3, 2));
        assert_eq!(
            counts.failed_tests,
            [
                "svc::contracts acme::renews",
                "svc::contracts tls::handshake",
                "svc svc_unit"
            ]
        );
    }

    #[test]
    fn setup_errors_are_told_apart_from_build_failures() {
        let no_target = "\
error: no test target named `nope` in default-run packages
help: available test targets:
    contract
";
        assert_eq!(
            cargo_setup_error(&lines(no_target)).as_deref(),
            Some("cargo: no test target named `nope` in default-run packages")
        );
        let no_package = "error: package ID specification `nope` did not match any packages\n";
        assert!(
            cargo_setup_error(&lines(no_package))
                .is_some_and(|m| m.contains("did not match any packages"))
        );
        let no_nextest = "error: no such command: `nextest`\n\n\thelp: view all installed commands with `cargo --list`\n";
        assert!(
            cargo_setup_error(&lines(no_nextest))
                .is_some_and(|m| m.starts_with("cargo-nextest is not installed"))
        );
        let locked = "error: cannot update the lock file /w/Cargo.lock because --locked was passed to prevent this\nhelp: to generate the lock file without accessing the network, remove the --locked flag and use --offline instead.\n";
        assert!(
            cargo_setup_error(&lines(locked))
                .is_some_and(|m| m.starts_with("Cargo.lock needs updating")),
            "{:?}",
            cargo_setup_error(&lines(locked))
        );
        // A denied lint reads like a setup error, but the build ran.
        let lint = "\
error: unused variable: `offline`
error: could not compile `svc` (lib test) due to 1 previous error
";
        assert_eq!(cargo_setup_error(&lines(lint)), None);
    }

    #[test]
    fn command_lines_are_quoted_like_a_shell_user_would() {
        assert_eq!(
            shell_words(&cargo_test_args(
                Runner::Cargo,
                Some("svc"),
                Some("contracts"),
                Some("acme renew"),
                false,
                true,
                false
            )),
            "cargo test -p svc --test contracts --locked --offline --no-fail-fast -- 'acme renew'"
        );
        assert_eq!(
            shell_words(&cargo_test_args(
                Runner::Nextest,
                None,
                None,
                None,
                false,
                false,
                true
            )),
            "cargo nextest run --locked --no-fail-fast --no-tests=warn"
        );
        assert_eq!(
            shell_words(&["sh", "-c", "echo 'hi'; exit 1", ""]),
            r"sh -c 'echo '\''hi'\''; exit 1' ''"
        );
    }

    #[test]
    fn no_tests_flag_only_for_versions_that_have_it() {
        assert!(supports_no_tests("0.9.143"));
        assert!(supports_no_tests("0.9.85"));
        assert!(!supports_no_tests("0.9.70"));
        assert!(!supports_no_tests("garbage"));
    }

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(
            strip_ansi("\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m [ 0.1s] x"),
            "FAIL [ 0.1s] x"
        );
        assert_eq!(
            strip_ansi("\u{1b}]8;;https://x\u{7}link\u{1b}]8;;\u{1b}\\ end"),
            "link end"
        );
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn tail_keeps_the_last_lines_and_parsed_lines_survive_the_cap() {
        let mut capture = Capture::default();
        for i in 0..100 {
            capture.push(format!("line {i}"));
        }
        assert_eq!(capture.tail.len(), TAIL_LINES);
        assert_eq!(capture.tail.front().map(String::as_str), Some("line 60"));

        capture.kept_bytes = MAX_KEPT_BYTES;
        capture.push("noise".into());
        capture.push("     Running tests/contract.rs (target/debug/deps/contract-1)".into());
        capture.push("running 1 test".into());
        capture.push("test result: ok. 1 passed; 0 failed; 0 ignored".into());
        assert_eq!(capture.lines.len(), 103);
        assert_eq!(parse_libtest(&capture.lines).passed, 1);
    }

    #[test]
    fn proc_stat_fields_follow_the_last_parenthesis() {
        let stat = "14984 (contract-ea9 (x) y) S 14956 14984 14956 0 -1 4194560 3118";
        assert_eq!(parse_proc_stat(stat), Some((14956, 14984)));
        assert_eq!(parse_proc_stat("garbage"), None);
    }

    #[test]
    fn status_serializes_with_kind_and_detail() {
        let json = serde_json::to_string(&ContractStatus::NoTestsRan).unwrap();
        assert_eq!(json, r#"{"kind":"no-tests-ran"}"#);
        let json = serde_json::to_string(&ContractStatus::Error("x".into())).unwrap();
        assert_eq!(json, r#"{"kind":"error","detail":"x"}"#);
    }
}
