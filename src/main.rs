//! The `bumpguard` command: parses arguments, runs the library, maps the
//! outcome to an exit code (0 pass, 1 blocked, 2 could not do its job).

use anyhow::{Context, Result, bail};
use bumpguard::api::ApiSurface;
use bumpguard::check::{self, ApiTarget, CheckOptions, ContractsMode};
use bumpguard::gate;
use bumpguard::hook;
use bumpguard::progress::{Progress, Terminal};
use bumpguard::report::{self, Report};
use bumpguard::report_annotations;
use bumpguard::report_markdown;
use bumpguard::report_sarif;
use bumpguard::revision::{LockfileText, Repo, Rev};
use bumpguard::source::SourceSettings;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Guards dependency upgrades: shows what a change to Cargo.lock does to every
/// bumped crate: how its public API changed and whether the new version number
/// is honest under Rust's SemVer rules, what changed inside its code (bodies,
/// effects, values) and in its manifest.
#[derive(Parser, Debug)]
#[command(name = "bumpguard", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 nothing blocks, 1 the change is blocked (the report says why), \
2 bumpguard could not do its job.\n\nEnvironment: BUMPGUARD_OFFLINE=1 never uses the network; \
XDG_CACHE_HOME moves the cache (default ~/.cache/bumpguard); CARGO_HOME is searched for crate archives first; \
check reads vendored crates where .cargo/config.toml (or CARGO_HOME/config.toml) replaces crates-io with a directory; \
GITHUB_ACTIONS=true (set by GitHub) adds workflow annotations to check and diff."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Never use the network: only vendored directories, cargo's cache and bumpguard's cache (same as BUMPGUARD_OFFLINE=1).
    #[arg(long, global = true)]
    offline: bool,
    /// Where bumpguard keeps downloaded and extracted crates.
    #[arg(long, value_name = "DIR", global = true)]
    cache_dir: Option<PathBuf>,
    /// Print only the verdict line and errors (report files are still written).
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print each stage and each crate with timings on stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Which engine reads public APIs (diff, check, audit, accept, api):
    /// `syn` parses the source and never runs the dependency's code;
    /// `rustdoc` asks the compiler (rustdoc JSON of the installed toolchain)
    /// and so sees auto traits, derives and macro output, but compiles the
    /// dependency, running its build script and proc macros; `both` merges
    /// the two and lists where they disagree. Default: syn, or `[engine]
    /// default` of bumpguard.toml (check, audit, accept); crates named in
    /// `[engine.crates]` keep their own engine.
    #[arg(long, value_enum, global = true)]
    engine: Option<EngineArg>,
    /// Build rustdoc JSON with this rustup toolchain (`nightly-2026-05-01`,
    /// `1.95.0`) instead of the one on the PATH; wins over `[engine]
    /// toolchain`.
    #[arg(long, value_name = "TOOLCHAIN", global = true)]
    rustdoc_toolchain: Option<String>,
    /// Stop a rustdoc build that takes longer than this many seconds
    /// (default 600, or `[engine] timeout`).
    #[arg(long, value_name = "SECONDS", global = true, value_parser = clap::value_parser!(u64).range(1..))]
    rustdoc_timeout: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum EngineArg {
    Syn,
    Rustdoc,
    Both,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the dependency changes between two revisions of a git repository.
    ///
    /// Without options: the merge-base of HEAD with the default branch
    /// (origin's HEAD, else main, else master) against the working tree.
    /// Every Cargo.lock in the repository is compared.
    Check(CheckArgs),
    /// Compare two versions of one crate: two published versions, or two local directories.
    ///
    /// Examples: `bumpguard diff ic-bn-lib 0.1.4 0.1.10`,
    /// `bumpguard diff --old ./v1 --new ./v2`.
    Diff(DiffArgs),
    /// Review dependency changes in full, without gating: every API change,
    /// every behaviour finding with its function diff. Never blocks (exit 0
    /// unless bumpguard could not do its job). Human report on the terminal;
    /// with --output, a full Markdown report in that file.
    Audit(AuditArgs),
    /// Install a git pre-commit hook that runs `bumpguard check --staged`
    /// when a commit changes a Cargo.lock (and does nothing otherwise).
    Hook(HookArgs),
    /// Write starter files: a commented bumpguard.toml, the GitHub workflow
    /// (.github/workflows/bumpguard.yml) and a contract-test skeleton
    /// (tests/bumpguard_contracts.rs). Writes the missing ones; an existing
    /// file is kept unless --force.
    Init(InitArgs),
    /// Accept one finding of the change (a triggered rule or a semver
    /// violation): writes an [[accept]] entry to bumpguard.toml bound to
    /// that exact change (crate, versions, code and a digest of the
    /// evidence). A later, different change is not covered.
    ///
    /// The finding ids are in the report (`[bg-...]`). Takes the same
    /// revision options as `check`.
    Accept(AcceptArgs),
    /// Validate rule files, or list the rules in force.
    Rules(RulesArgs),
    /// Print the public API of a crate, one item a line.
    ///
    /// Examples: `bumpguard api serde@1.0.200`, `bumpguard api --path .`.
    Api(ApiArgs),
}

#[derive(Args, Debug)]
struct AuditArgs {
    /// A directory inside the git repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// Base revision. Default: merge-base of HEAD and the default branch.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Head revision. Default: the working tree.
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Write the full report to FILE (nothing cut), as Markdown unless
    /// --format says otherwise; the human report still goes to the terminal.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Format of the report: in FILE with --output (default markdown),
    /// else on standard output (default human).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Configuration file. Default: bumpguard.toml at the repository root, when present.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// Where to write. Default: the root of the git repository around the
    /// current directory, else the current directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct AcceptArgs {
    /// The finding's id, as the report shows it (bg-...).
    finding: String,
    /// Why this change is fine (stored with the acceptance).
    #[arg(long)]
    reason: String,
    /// Who accepts. Default: git's user.name and user.email.
    #[arg(long)]
    by: Option<String>,
    #[command(flatten)]
    revs: RevisionArgs,
}

/// Which change of which repository: shared by `check` and `accept`.
#[derive(Args, Debug)]
struct RevisionArgs {
    /// A directory inside the git repository to check.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// Base revision (sha, branch, tag, HEAD~1...). Default: merge-base of HEAD and the default branch.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Head revision. Default: the working tree.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    head: Option<String>,
    /// Compare HEAD with the index (what `git commit` would record); for pre-commit hooks.
    #[arg(long)]
    staged: bool,
    /// Configuration file (acceptances are written there too). Default: bumpguard.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl RevisionArgs {
    fn options(&self, contracts: ContractsMode) -> CheckOptions {
        CheckOptions {
            repo: self.repo.clone(),
            base: self.base.clone(),
            head: self.head.clone(),
            staged: self.staged,
            config: self.config.clone(),
            contracts,
        }
    }
}

#[derive(Args, Debug)]
struct RulesArgs {
    #[command(subcommand)]
    action: RulesAction,
}

#[derive(Subcommand, Debug)]
enum RulesAction {
    /// Validate rule files, rule folders or a bumpguard.toml (every problem,
    /// with file and line; exit 1 when there are any). Without PATHS: the
    /// repository's configuration and every rule in force.
    Check {
        paths: Vec<PathBuf>,
        /// A directory inside the repository (without PATHS).
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        /// Configuration file (without PATHS).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// List the rules in force and where each comes from.
    List {
        /// A directory inside the repository.
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        /// Configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ApiFormat::Human)]
        format: ApiFormat,
    },
}

#[derive(Args, Debug)]
struct HookArgs {
    #[command(subcommand)]
    action: HookAction,
}

#[derive(Subcommand, Debug)]
enum HookAction {
    /// Write .git/hooks/pre-commit (refuses to replace a hook bumpguard did
    /// not write without --force; its own hook is kept, or updated to run
    /// this binary).
    Install {
        /// A directory inside the git repository.
        #[arg(long, value_name = "DIR", default_value = ".")]
        repo: PathBuf,
        /// Replace an existing pre-commit hook.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    revs: RevisionArgs,
    /// Do not run contract tests; report what would run (triggered critical
    /// rules then stay blocking).
    #[arg(long)]
    no_run_contracts: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// Crate name on crates.io.
    #[arg(requires_all = ["old_version", "new_version"], conflicts_with_all = ["old", "new"])]
    krate: Option<String>,
    /// The earlier version.
    old_version: Option<String>,
    /// The later version.
    new_version: Option<String>,
    /// Directory of the old crate (with its Cargo.toml).
    #[arg(long, value_name = "DIR", requires = "new")]
    old: Option<PathBuf>,
    /// Directory of the new crate (with its Cargo.toml).
    #[arg(long, value_name = "DIR", requires = "old")]
    new: Option<PathBuf>,
    /// Look at the API with these features (comma or space separated), as
    /// cargo's --features. Changes that exist only under other features are
    /// listed with the features they need and are not violations.
    #[arg(long, value_name = "FEATURES", conflicts_with = "all_features")]
    features: Vec<String>,
    /// Look at the API with every feature on.
    #[arg(long)]
    all_features: bool,
    /// Leave the crate's default features off.
    #[arg(long, conflicts_with = "all_features")]
    no_default_features: bool,
    #[command(flatten)]
    output: OutputArgs,
}

impl DiffArgs {
    /// The feature set the flags ask for (no flags: the crate's defaults).
    fn view(&self) -> bumpguard::api::features::FeatureView {
        use bumpguard::api::features::FeatureView;
        let features: Vec<String> = self
            .features
            .iter()
            .flat_map(|f| f.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        if self.all_features {
            FeatureView::All
        } else if features.is_empty() && !self.no_default_features {
            FeatureView::Default
        } else {
            FeatureView::Selected {
                features,
                default: !self.no_default_features,
            }
        }
    }
}

#[derive(Args, Debug)]
struct ApiArgs {
    /// CRATE@VERSION from crates.io, e.g. serde@1.0.200.
    #[arg(conflicts_with = "path", required_unless_present = "path")]
    spec: Option<String>,
    /// A local crate directory (with its Cargo.toml).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ApiFormat::Human)]
    format: ApiFormat,
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// Output format. `markdown` is for a pull-request comment or a job
    /// summary, `sarif` (SARIF 2.1.0) for GitHub code scanning and other
    /// dashboards; under GitHub Actions (GITHUB_ACTIONS=true) workflow
    /// annotations are printed too, whatever the format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report in another format to a file, from the same
    /// analysis: FORMAT=FILE, e.g. `--also sarif=bumpguard.sarif`. A
    /// Markdown file may have its own limit in bytes: `markdown:1000000=summary.md`
    /// (a job summary) next to `--format markdown` for a comment. Repeatable.
    #[arg(long, value_name = "FORMAT[:LIMIT]=FILE", value_parser = parse_also)]
    also: Vec<Also>,
    /// Largest Markdown report in bytes, for `--format markdown` and each
    /// `--also markdown=FILE` without a limit of its own; details are cut to
    /// fit (default 65000, under a pull-request comment's 65,536
    /// characters; a job summary holds 1 MiB; 0: no limit).
    #[arg(long, value_name = "BYTES", value_parser = parse_markdown_limit)]
    markdown_limit: Option<usize>,
    /// Where the full report can be found, named in the notice of a
    /// Markdown report that had to be cut (the GitHub Action names its
    /// workflow run and artifact). Plain text; an `https://` address in it
    /// becomes a link.
    #[arg(long, value_name = "TEXT")]
    full_report_hint: Option<String>,
    /// Most workflow annotations of each level (error, warning) under
    /// GitHub Actions, at most 10 (GitHub shows 10 of each per step; a
    /// script that prints its own annotations in the same step passes less).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    annotation_limit: Option<u8>,
}

/// Report formats of `check` and `diff`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Markdown,
    Sarif,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
        }
    }
}

/// One `--also FORMAT[:LIMIT]=FILE`.
#[derive(Clone, Debug)]
struct Also {
    format: Format,
    /// A Markdown file's own budget (`usize::MAX`: none).
    limit: Option<usize>,
    path: PathBuf,
}

fn parse_also(arg: &str) -> Result<Also, String> {
    let Some((spec, path)) = arg.split_once('=') else {
        return Err(format!(
            "'{arg}' is not FORMAT=FILE (for example sarif=bumpguard.sarif)"
        ));
    };
    let (name, limit) = match spec.split_once(':') {
        Some((name, limit)) => (name, Some(limit)),
        None => (spec, None),
    };
    let format = Format::from_str(name.trim(), true)
        .map_err(|_| format!("unknown format '{name}' (human, json, markdown or sarif)"))?;
    let limit = match limit {
        None => None,
        Some(_) if format != Format::Markdown => {
            return Err(format!(
                "'{spec}': only a Markdown report has a size limit (markdown:BYTES=FILE)"
            ));
        }
        Some(n) => Some(parse_markdown_limit(n).map_err(|e| format!("'{spec}': {e}"))?),
    };
    if path.is_empty() {
        return Err(format!("no file after '{spec}='"));
    }
    Ok(Also {
        format,
        limit,
        path: PathBuf::from(path),
    })
}

/// Formats of `api`, which lists items rather than a report.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ApiFormat {
    Human,
    Json,
}

/// `0` means no limit; otherwise at least [`report_markdown::MIN_LIMIT`],
/// the room the title, verdict and notice of what was cut need.
fn parse_markdown_limit(arg: &str) -> Result<usize, String> {
    let n: usize = arg
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{arg}' is not a number of bytes"))?;
    match n {
        0 => Ok(usize::MAX),
        n if n < report_markdown::MIN_LIMIT => Err(format!(
            "at least {} bytes (or 0 for no limit)",
            report_markdown::MIN_LIMIT
        )),
        n => Ok(n),
    }
}

impl OutputArgs {
    /// The Markdown budget of reports without one of their own; refuses
    /// `--markdown-limit` when no report would use it, where it would
    /// silently do nothing.
    fn limit(&self) -> Result<usize> {
        let used = self.format == Format::Markdown
            || self
                .also
                .iter()
                .any(|a| a.format == Format::Markdown && a.limit.is_none());
        match self.markdown_limit {
            Some(_) if !self.wants(Format::Markdown) => {
                bail!(
                    "--markdown-limit only applies to --format markdown (or --also markdown=FILE)"
                )
            }
            Some(_) if !used => bail!(
                "--markdown-limit applies to no report here: each --also markdown:LIMIT=FILE has its own limit"
            ),
            Some(n) => Ok(n),
            None => Ok(report_markdown::DEFAULT_LIMIT),
        }
    }

    /// How a Markdown report is rendered: within `limit`, naming where the
    /// full report is when it has to be cut.
    fn markdown(&self, limit: usize) -> report_markdown::MarkdownOptions {
        report_markdown::MarkdownOptions {
            limit,
            full_report: self.full_report_hint.clone(),
        }
    }

    /// Whether a report in `format` is written, on stdout or to a file.
    fn wants(&self, format: Format) -> bool {
        self.format == format || self.also.iter().any(|a| a.format == format)
    }

    /// Every report file asked for, with its Markdown budget: `--output` in
    /// `--format`, then each `--also`.
    fn files(&self) -> Result<Vec<(Format, usize, &Path)>> {
        let limit = self.limit()?;
        let main = self.output.as_deref().map(|p| (self.format, limit, p));
        let files: Vec<(Format, usize, &Path)> = main
            .into_iter()
            .chain(
                self.also
                    .iter()
                    .map(|a| (a.format, a.limit.unwrap_or(limit), a.path.as_path())),
            )
            .collect();
        // Two reports in one file: the last one written would silently win.
        let mut seen = std::collections::HashSet::new();
        for (_, _, path) in &files {
            if !seen.insert(same_file_key(path)) {
                bail!(
                    "{} is named by two reports: give each report a file of its own",
                    path.display()
                );
            }
        }
        Ok(files)
    }
}

/// What tells two report paths apart: the file itself when it exists
/// (links resolved), else the absolute path with `.` and `..` folded.
fn same_file_key(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let abs = std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut err = anstream::stderr();
            let red = anstyle::AnsiColor::Red
                .on_default()
                .effects(anstyle::Effects::BOLD);
            let _ = writeln!(err, "{red}error{red:#}: {e}");
            for cause in e.chain().skip(1) {
                // A cause of several lines (every problem of a file) stays
                // under its `caused by:`.
                let text = cause.to_string();
                let mut lines = text.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(err, "  caused by: {first}");
                }
                for line in lines {
                    let _ = writeln!(err, "             {line}");
                }
            }
            // Under GitHub Actions the failure also shows on the run's page.
            if report_annotations::enabled() {
                let a = report_annotations::Annotation {
                    level: report_annotations::AnnotationLevel::Error,
                    file: None,
                    line: None,
                    title: "bumpguard could not do its job".to_string(),
                    message: e
                        .chain()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join("\ncaused by: "),
                };
                let _ = writeln!(io::stderr(), "{a}");
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn settings(cli: &Cli) -> SourceSettings {
    let mut s = SourceSettings::from_env();
    if cli.offline {
        s.offline = true;
    }
    if let Some(d) = &cli.cache_dir {
        s.cache_dir = d.clone();
    }
    use bumpguard::api::engines::Engine;
    s.engines.cli = cli.engine.map(|e| match e {
        EngineArg::Syn => Engine::Syn,
        EngineArg::Rustdoc => Engine::Rustdoc,
        EngineArg::Both => Engine::Both,
    });
    s.engines.toolchain = cli
        .rustdoc_toolchain
        .as_ref()
        .map(|t| t.trim_start_matches('+').to_string());
    s.engines.timeout = cli.rustdoc_timeout.map(std::time::Duration::from_secs);
    s
}

fn run(cli: Cli) -> Result<u8> {
    let sources = settings(&cli);
    let term = Terminal::new(cli.verbose, cli.quiet);
    let quiet = cli.quiet;
    match &cli.command {
        Command::Audit(a) => {
            let opts = CheckOptions {
                repo: a.repo.clone(),
                base: a.base.clone(),
                head: a.head.clone(),
                staged: false,
                config: a.config.clone(),
                contracts: ContractsMode::Skip(
                    "an audit never runs contracts; `bumpguard check` does".to_string(),
                ),
            };
            let write_output = |report: &Report, lockfiles: &[LockfileText]| -> Result<()> {
                let Some(path) = &a.output else {
                    return Ok(());
                };
                let mut buf = Vec::new();
                let format = a.format.unwrap_or(Format::Markdown);
                write_audit(
                    report,
                    format,
                    lockfiles,
                    &mut anstream::StripStream::new(&mut buf),
                )?;
                std::fs::write(path, buf)
                    .with_context(|| format!("cannot write the report to {}", path.display()))
            };
            let mut report = check::run_check_with(&opts, &sources, &term).inspect_err(|e| {
                // As with check: the file says the audit failed, rather
                // than being missing or last run's.
                let _ = write_output(&Report::failed("audit", e), &[]);
            })?;
            report.command = "audit".to_string();
            let lockfiles = if a.format == Some(Format::Sarif) {
                head_lockfiles(&a.repo, a.head.as_ref(), false)
            } else {
                Vec::new()
            };
            write_output(&report, &lockfiles)?;
            let mut stdout = anstream::stdout().lock();
            let on_terminal = match &a.output {
                Some(_) => Format::Human,
                None => a.format.unwrap_or(Format::Human),
            };
            let written = if quiet && on_terminal == Format::Human {
                report::write_verdict_line(&report, &mut stdout).map_err(Into::into)
            } else {
                write_audit(&report, on_terminal, &lockfiles, &mut stdout)
            };
            if let Err(e) = written.and_then(|()| Ok(stdout.flush()?))
                && !is_broken_pipe(&e)
            {
                return Err(e);
            }
            if let Some(path) = &a.output
                && !quiet
            {
                writeln!(
                    anstream::stderr(),
                    "bumpguard: full report written to {}",
                    path.display()
                )?;
            }
            // An audit informs; it does not gate. Only "could not do its job" fails.
            Ok(if report.verdict.status == report::VerdictStatus::Error {
                2
            } else {
                0
            })
        }
        Command::Hook(HookArgs {
            action: HookAction::Install { repo, force },
        }) => {
            let (path, outcome) = hook::install(repo, *force)?;
            if !quiet {
                let what = match outcome {
                    hook::Outcome::Installed => "installed at",
                    hook::Outcome::AlreadyInstalled => "already installed at",
                    hook::Outcome::Updated => "updated (it now runs this bumpguard) at",
                    hook::Outcome::Replaced => "installed, replacing the hook that was, at",
                };
                println!("bumpguard: pre-commit hook {what} {}", path.display());
            }
            Ok(0)
        }
        Command::Init(a) => {
            let dir = match &a.dir {
                Some(d) => d.clone(),
                None => bumpguard::init::default_dir(Path::new(".")),
            };
            use bumpguard::init::Action;
            for w in bumpguard::init::init(&dir, a.force)? {
                if quiet {
                    continue;
                }
                match w.action {
                    Action::Wrote => {
                        println!("bumpguard: wrote {} ({})", w.path.display(), w.what)
                    }
                    Action::Replaced => {
                        println!("bumpguard: replaced {} ({})", w.path.display(), w.what)
                    }
                    Action::Kept => println!(
                        "bumpguard: kept existing {} (use --force to replace)",
                        w.path.display()
                    ),
                }
            }
            if !quiet && let Some(note) = bumpguard::init::virtual_workspace_note(&dir) {
                println!("bumpguard: note: {note}");
            }
            Ok(0)
        }
        Command::Check(a) => {
            a.output.files()?;
            let opts = a.revs.options(if a.no_run_contracts {
                ContractsMode::Skip("--no-run-contracts".to_string())
            } else {
                ContractsMode::Run
            });
            let report = check::run_check_with(&opts, &sources, &term)
                .inspect_err(|e| failure_report("check", e, &a.output))?;
            // Annotations and SARIF results point at lines of the head lockfiles.
            let lockfiles = if report_annotations::enabled() || a.output.wants(Format::Sarif) {
                head_lockfiles(&a.revs.repo, a.revs.head.as_ref(), a.revs.staged)
            } else {
                Vec::new()
            };
            emit(&report, &a.output, &lockfiles, &term, quiet)
        }
        Command::Diff(a) => {
            a.output.files()?;
            let report = match (&a.krate, &a.old_version, &a.new_version, &a.old, &a.new) {
                (Some(k), Some(o), Some(n), None, None) => {
                    check::run_diff_published_in(k, o, n, &sources, &a.view())
                }
                (None, None, None, Some(o), Some(n)) => {
                    check::run_diff_dirs_with(o, n, &a.view(), &sources)
                }
                _ => bail!(
                    "give either CRATE OLD_VERSION NEW_VERSION or --old DIR --new DIR (see bumpguard diff --help)"
                ),
            }
            .inspect_err(|e| failure_report("diff", e, &a.output))?;
            term.stage("both versions fetched and compared");
            emit(&report, &a.output, &[], &term, quiet)
        }
        Command::Accept(a) => accept(a, &sources),
        Command::Rules(RulesArgs { action }) => rules_command(action),
        Command::Api(a) => {
            let target = match (&a.spec, &a.path) {
                (_, Some(p)) => ApiTarget::Dir(p.clone()),
                (Some(spec), None) => {
                    let Some((name, version)) = spec
                        .split_once('@')
                        .filter(|(n, v)| !n.trim().is_empty() && !v.trim().is_empty())
                    else {
                        bail!("'{spec}' is not CRATE@VERSION (for example serde@1.0.200)");
                    };
                    ApiTarget::Published {
                        name: name.to_string(),
                        version: version.to_string(),
                    }
                }
                (None, None) => bail!("give CRATE@VERSION or --path DIR"),
            };
            let surface = check::run_api(&target, &sources)?;
            print_api(&surface, a.format, quiet)?;
            Ok(0)
        }
    }
}

/// Every package name in the working tree's lockfiles, when the directory
/// is in a git repository with at least one `Cargo.lock` that parses.
fn locked_names(dir: &Path) -> Option<std::collections::BTreeSet<String>> {
    let files = Repo::open(dir).ok()?.lockfiles(&Rev::WorkTree).ok()?;
    let names: std::collections::BTreeSet<String> = files
        .iter()
        .filter_map(|f| bumpguard::lockdiff::parse_lockfile(&f.text, &f.path).ok())
        .flat_map(|l| l.packages.into_iter().map(|p| p.name))
        .collect();
    (!names.is_empty()).then_some(names)
}

/// The repository root for configuration: the work tree of the repository
/// containing `dir`, or `dir` itself outside a repository.
fn config_root(dir: &std::path::Path) -> PathBuf {
    Repo::open(dir)
        .ok()
        .and_then(|r| r.workdir().map(|w| w.to_path_buf()))
        .unwrap_or_else(|| dir.to_path_buf())
}

fn accept(a: &AcceptArgs, sources: &SourceSettings) -> Result<u8> {
    // Said before the (long) analysis, not after it.
    if a.reason.trim().is_empty() {
        bail!("an acceptance needs a reason (--reason \"why this change is fine\")");
    }
    if a.by.as_deref().is_some_and(|b| b.trim().is_empty()) {
        bail!(
            "--by is empty: an acceptance says who accepted (\"Name <email>\"); leave --by out to use git's user.name and user.email"
        );
    }
    let opts = a.revs.options(ContractsMode::Skip(
        "accept does not run contracts".to_string(),
    ));
    let report = check::run_check(&opts, sources)?;
    let found = gate::acceptables(&report);
    let Some(f) = found.iter().find(|f| f.finding == a.finding.trim()) else {
        // Say which change was looked at: the id may be from another one.
        let compared = format!("compared {} with {}", report.base, report.head);
        if found.is_empty() {
            let what = match report.crates.len() {
                0 => "no dependency changes".to_string(),
                n => format!(
                    "{n} package change{}, none with a triggered rule or a semver violation to accept",
                    if n == 1 { "" } else { "s" }
                ),
            };
            bail!(
                "no finding {} in this change ({compared}: {what}); give the --base/--head of the check that reported it",
                a.finding
            );
        }
        let list: Vec<String> = found
            .iter()
            .map(|f| format!("  {}  {}", f.finding, f.summary))
            .collect();
        bail!(
            "no finding {} in this change ({compared}; a different change has a different id); findings here:\n{}",
            a.finding,
            list.join("\n")
        );
    };
    let root = config_root(&a.revs.repo);
    let path = bumpguard::accept::config_path(&root, a.revs.config.as_deref());
    let already = report.crates.iter().any(|c| {
        c.rules
            .iter()
            .any(|h| h.finding == f.finding && h.accepted.is_some())
            || c.changes
                .iter()
                .any(|x| x.finding.as_deref() == Some(&f.finding) && x.accepted.is_some())
    });
    let effect = bumpguard::accept::takes_effect(
        a.revs.head.as_deref(),
        a.revs.staged,
        a.revs.config.is_some(),
    );
    if already {
        println!(
            "bumpguard: {} is already accepted in {}",
            f.finding,
            path.display()
        );
        return Ok(0);
    }
    // Written before but not in the head's configuration: not again.
    if let Some(at) = bumpguard::accept::already_in(&path, f) {
        let pending = effect.map(|e| format!("; {e}")).unwrap_or_default();
        println!(
            "bumpguard: {} is already accepted at {at}{pending}",
            f.finding
        );
        return Ok(0);
    }
    let by = match &a.by {
        Some(b) => b.clone(),
        None => Repo::open(&a.revs.repo)
            .ok()
            .and_then(|r| r.user())
            .context(
                "who accepts? git has no user.name/user.email here; pass --by \"Name <email>\"",
            )?,
    };
    let date = bumpguard::accept::today();
    bumpguard::accept::append(
        &path,
        &bumpguard::accept::Entry {
            finding: f,
            reason: &a.reason,
            by: &by,
            date: &date,
        },
    )?;
    println!(
        "bumpguard: accepted {} ({}) in {}",
        f.finding,
        f.summary,
        path.display()
    );
    if let Some(e) = effect {
        println!("note: {e}");
    }
    Ok(0)
}

fn rules_command(action: &RulesAction) -> Result<u8> {
    use bumpguard::config::{self, Config};
    use bumpguard::toml_read::Diags;
    match action {
        RulesAction::Check {
            paths,
            repo,
            config: cfg_path,
        } => {
            let mut diags = Vec::new();
            let mut count = 0;
            if paths.is_empty() {
                let root = config_root(repo);
                // A broken configuration must not hide the rule files'
                // problems, nor its own other problems.
                let (cfg, problems) = Config::find_all(&root, cfg_path.as_deref());
                let cfg_ok = problems.is_empty();
                diags.extend(problems);
                match config::rules_in_force(&cfg, &root) {
                    Ok(mut r) => {
                        if cfg_ok {
                            count = r.len();
                        }
                        // A crate no lockfile has: a typo, most likely.
                        r.extend(config::implicit_rules(&cfg));
                        let locked = locked_names(repo);
                        for w in config::crates_not_locked(&r, locked.as_ref()) {
                            writeln!(anstream::stderr(), "warning: {w}")?;
                        }
                    }
                    Err(Diags(d)) => diags.extend(d),
                }
            }
            // Every rule read from PATHS, for duplicate ids across them.
            let mut seen: Vec<bumpguard::rules::Rule> = Vec::new();
            for p in paths {
                if p.is_dir() {
                    let (rules, problems) = bumpguard::rules::read_dir(p);
                    seen.extend(rules);
                    diags.extend(problems);
                    continue;
                }
                let by_name = p.file_name().is_some_and(|n| n == config::FILE_NAME);
                let text = std::fs::read_to_string(p).unwrap_or_default();
                if by_name || config::looks_like_config(&text) {
                    if !by_name {
                        eprintln!(
                            "note: {} reads as a bumpguard configuration (it has [policy], [rules], [rule.*], [[contract]] or [[accept]]), so it is checked as one; `bumpguard check --config {}` uses it",
                            p.display(),
                            p.display()
                        );
                    }
                    // The whole configuration: its own keys, then the
                    // rules it puts in force (folders, disabled built-ins,
                    // contracts bound to rules), as `check` reads them.
                    let root = config_root(p.parent().unwrap_or(Path::new(".")));
                    let (c, problems) = Config::load_all(p);
                    diags.extend(problems);
                    match config::rules_in_force(&c, &root) {
                        // Its own rules (tables and folders), not the built-ins.
                        Ok(rules) => seen.extend(
                            rules
                                .into_iter()
                                .filter(|r| r.origin != bumpguard::rules::Origin::Builtin),
                        ),
                        Err(Diags(d)) => diags.extend(d),
                    }
                } else {
                    match bumpguard::rules::read_rule_path(p) {
                        Ok(r) => seen.push(r),
                        Err(d) => diags.extend(d),
                    }
                }
            }
            let mut first: std::collections::BTreeMap<String, String> = Default::default();
            for r in &seen {
                match first.get(&r.id) {
                    // The same file reached twice (a folder and its file).
                    Some(at) if *at == r.origin.to_string() => {}
                    Some(at) => diags.push(bumpguard::toml_read::Diag {
                        file: r.origin.to_string(),
                        line: r.line,
                        message: format!("duplicate rule id `{}`: already defined in {at}", r.id),
                    }),
                    None => {
                        first.insert(r.id.clone(), r.origin.to_string());
                        count += 1;
                    }
                }
            }
            let Diags(diags) = config::sorted(diags);
            if diags.is_empty() {
                println!(
                    "bumpguard: {count} rule{} valid",
                    if count == 1 { "" } else { "s" }
                );
                Ok(0)
            } else {
                let mut err = anstream::stderr();
                for d in &diags {
                    writeln!(err, "error: {d}")?;
                }
                writeln!(
                    err,
                    "bumpguard: {} problem{} found",
                    diags.len(),
                    if diags.len() == 1 { "" } else { "s" }
                )?;
                Ok(1)
            }
        }
        RulesAction::List {
            repo,
            config: cfg_path,
            format,
        } => {
            let root = config_root(repo);
            let cfg = Config::find(&root, cfg_path.as_deref()).map_err(|d| {
                anyhow::Error::new(d).context("the bumpguard configuration has problems")
            })?;
            let mut rules = config::rules_in_force(&cfg, &root)
                .map_err(|d| anyhow::Error::new(d).context("the rules in force have problems"))?;
            // Contracts bound by crate are rules too (`contract:<crate>...`).
            rules.extend(config::implicit_rules(&cfg));
            let builtin: Vec<String> = bumpguard::rules::builtin()
                .map(|b| b.into_iter().map(|r| r.id).collect())
                .unwrap_or_default();
            let mut out = io::stdout().lock();
            match format {
                ApiFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &rules).map_err(io::Error::from)?;
                    writeln!(out)?;
                }
                ApiFormat::Human => {
                    for r in &rules {
                        let version = r
                            .version
                            .as_ref()
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default();
                        let what: Vec<String> = r
                            .paths
                            .iter()
                            .map(|p| p.to_string())
                            .chain(r.files.iter().map(|f| format!("file {f}")))
                            .collect();
                        let replaces = if r.origin != bumpguard::rules::Origin::Builtin
                            && builtin.contains(&r.id)
                        {
                            ", replaces built-in"
                        } else {
                            ""
                        };
                        writeln!(
                            out,
                            "{:<32} {:<8} {}{version}: {} {}  ({}{replaces})\n{:<32} {}",
                            r.id,
                            format!("{:?}", r.severity).to_lowercase(),
                            r.krate,
                            what.join(", "),
                            r.triggers(),
                            r.origin.at(r.line),
                            "",
                            r.reason
                        )?;
                    }
                    for (id, _) in &cfg.disable {
                        writeln!(
                            out,
                            "{id:<32} disabled in {}",
                            cfg.path
                                .as_ref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default()
                        )?;
                    }
                    writeln!(out, "{} rules in force", rules.len())?;
                }
            }
            Ok(0)
        }
    }
}

/// When the run failed and a report file was asked for, writes one that
/// says so (verdict `error`), so that CI reading the file never finds
/// nothing, or last run's file. Best effort: the error itself is printed anyway.
fn failure_report(command: &str, e: &anyhow::Error, out: &OutputArgs) {
    let report = Report::failed(command, e);
    for (format, limit, path) in out.files().unwrap_or_default() {
        let _ = write_file(&report, format, &out.markdown(limit), &[], path);
    }
}

/// Writes the report in `format` to the file at `path`, without colour codes.
fn write_file(
    report: &Report,
    format: Format,
    markdown: &report_markdown::MarkdownOptions,
    lockfiles: &[LockfileText],
    path: &Path,
) -> Result<()> {
    let mut buf = Vec::new();
    write_report(
        report,
        format,
        markdown,
        lockfiles,
        &mut anstream::StripStream::new(&mut buf),
    )?;
    std::fs::write(path, buf)
        .with_context(|| format!("cannot write the report to {}", path.display()))
}

/// The lockfiles at the head revision `check` compared, for the lines of
/// the annotations. Best effort: without them annotations have no line.
fn head_lockfiles(repo: &Path, head: Option<&String>, staged: bool) -> Vec<LockfileText> {
    let head = match (head, staged) {
        (Some(h), _) => Rev::Commit(h.clone()),
        (None, true) => Rev::Index,
        (None, false) => Rev::WorkTree,
    };
    Repo::open(repo)
        .and_then(|r| r.lockfiles(&head))
        .unwrap_or_default()
}

/// Writes the report where asked and returns the exit code of its verdict.
///
/// Under GitHub Actions the annotations go to stdout when the report goes to
/// a file, and to stderr when the report itself is on stdout, so that
/// `--format json > report.json` or `--format markdown >> $GITHUB_STEP_SUMMARY`
/// stays a clean report. The runner reads workflow commands from both
/// streams of a `run:` step.
///
/// With `quiet` the terminal gets the verdict line only: instead of the
/// human report on stdout, or on stderr when the report goes elsewhere.
fn emit(
    report: &Report,
    out: &OutputArgs,
    lockfiles: &[LockfileText],
    term: &Terminal,
    quiet: bool,
) -> Result<u8> {
    let annotate = report_annotations::enabled();
    let limit = out.limit()?;
    let annotation_limit = out
        .annotation_limit
        .map_or(report_annotations::MAX_PER_LEVEL, usize::from);
    for a in &out.also {
        let markdown = out.markdown(a.limit.unwrap_or(limit));
        write_file(report, a.format, &markdown, lockfiles, &a.path)?;
        if !quiet {
            writeln!(
                anstream::stderr(),
                "bumpguard: {} report written to {}",
                a.format.name(),
                a.path.display()
            )?;
        }
    }
    let verdict_on_stdout = quiet && out.output.is_none() && out.format == Format::Human;
    if quiet && !verdict_on_stdout {
        report::write_verdict_line(report, &mut anstream::stderr())?;
    }
    match &out.output {
        Some(path) => {
            write_file(report, out.format, &out.markdown(limit), lockfiles, path)?;
            // Still tell the person at the terminal what happened.
            if !quiet {
                writeln!(
                    anstream::stderr(),
                    "bumpguard: report written to {} (verdict: {})",
                    path.display(),
                    report.verdict.status
                )?;
            }
            if annotate {
                let mut stdout = io::stdout().lock();
                report_annotations::write_annotations_within(
                    report,
                    lockfiles,
                    annotation_limit,
                    &mut stdout,
                )?;
                stdout.flush()?;
            }
        }
        None => {
            if annotate {
                report_annotations::write_annotations_within(
                    report,
                    lockfiles,
                    annotation_limit,
                    &mut io::stderr(),
                )?;
            }
            let mut stdout = anstream::stdout().lock();
            let written = if verdict_on_stdout {
                report::write_verdict_line(report, &mut stdout).map_err(Into::into)
            } else {
                write_report(
                    report,
                    out.format,
                    &out.markdown(limit),
                    lockfiles,
                    &mut stdout,
                )
            }
            .and_then(|()| Ok(stdout.flush()?));
            // `bumpguard check | head` closes the pipe early: the verdict
            // still decides the exit code, so a blocked change never passes.
            if let Err(e) = written
                && !is_broken_pipe(&e)
            {
                return Err(e);
            }
        }
    }
    term.stage(&format!(
        "report written; verdict {}",
        report.verdict.status
    ));
    Ok(report.verdict.status.exit_code() as u8)
}

/// `lockfiles` (the head revision's) give SARIF results their lines.
fn write_report(
    report: &Report,
    format: Format,
    markdown: &report_markdown::MarkdownOptions,
    lockfiles: &[LockfileText],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Human => report::write_human(report, out)?,
        Format::Json => report::write_json(report, out)?,
        Format::Markdown => report_markdown::write_markdown_with(report, out, markdown)?,
        Format::Sarif => report_sarif::write_sarif(report, lockfiles, out)?,
    }
    Ok(())
}

/// The audit's report in `format`, with nothing left out.
fn write_audit(
    report: &Report,
    format: Format,
    lockfiles: &[LockfileText],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Human => report::write_human_full(report, out)?,
        Format::Json => report::write_json(report, out)?,
        Format::Markdown => report_markdown::write_markdown(report, out, usize::MAX)?,
        Format::Sarif => report_sarif::write_sarif(report, lockfiles, out)?,
    }
    Ok(())
}

/// `quiet` leaves out the warnings and notes on stderr.
fn print_api(surface: &ApiSurface, format: ApiFormat, quiet: bool) -> Result<()> {
    let mut out = anstream::stdout().lock();
    match format {
        ApiFormat::Json => {
            serde_json::to_writer_pretty(&mut out, surface).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        ApiFormat::Human => {
            for item in surface.items.values() {
                match &item.cfg {
                    Some(cfg) => writeln!(
                        out,
                        "{} {}: {}  [cfg: {cfg}]",
                        item.kind, item.path, item.signature
                    )?,
                    None => writeln!(out, "{} {}: {}", item.kind, item.path, item.signature)?,
                }
            }
            let mut err = anstream::stderr();
            if quiet {
                return Ok(out.flush()?);
            }
            for p in &surface.problems {
                writeln!(err, "warning: {p}")?;
            }
            for n in &surface.notes {
                writeln!(err, "note: {n}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
