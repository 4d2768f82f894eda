//! Reports: one data model ([`Report`]) rendered as human text or JSON here,
//! as Markdown in [`crate::report_markdown`] and as GitHub workflow
//! annotations in [`crate::report_annotations`].
//!
//! The JSON form is the model serialized as is; its shape is versioned by
//! [`SCHEMA_VERSION`] and documented in `docs/report-schema.md`. Anything
//! that changes a field's meaning or removes one bumps the version.

use crate::behavior::BehaviorChange;
use crate::config::{Gate, Policy};
use crate::gate::{RuleHit, StaleAcceptance};
use crate::lockdiff::{Bump, ChangeKind, LockedPackage, Source};
use crate::manifest_diff::{ManifestChange, Severity};
use crate::semver_check::ApiChange;
use crate::versions::{BumpKind, Level};
use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;
use std::io::{self, Write};

/// Version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The parts of `[policy]` that decide how findings are shown.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PolicySummary {
    pub semver_violations: Gate,
    pub unanalysed: Gate,
}

impl Default for PolicySummary {
    fn default() -> Self {
        PolicySummary {
            semver_violations: Gate::Block,
            unanalysed: Gate::Block,
        }
    }
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// `bumpguard 0.1.0`.
    pub tool: String,
    /// `check`, `audit` or `diff`.
    pub command: String,
    /// What was compared: `abc1234 (main)`, `working tree`, a crate version or a directory.
    pub base: String,
    pub head: String,
    /// One entry per changed package, in lockfile order (by name).
    pub crates: Vec<CrateReport>,
    /// Run-wide remarks: degraded modes, limits of the engine.
    pub notes: Vec<String>,
    /// Acceptances in the configuration that matched nothing in this run.
    pub stale_acceptances: Vec<StaleAcceptance>,
    /// Whether semver violations and crates not analysed block (`block`)
    /// or are only reported (`warn`), as `[policy]` said.
    pub policy: PolicySummary,
    pub verdict: Verdict,
    /// The revision options of the run as `bumpguard accept` takes them
    /// (` --base abc --head def`; empty for the defaults), so that the
    /// accept commands the report suggests accept this very change.
    #[serde(skip)]
    pub accept_args: String,
}

/// The `bumpguard accept` command for one finding of `report`'s change.
pub fn accept_command(report_args: &str, finding: &str) -> String {
    format!("bumpguard accept {finding}{report_args} --reason \"...\"")
}

/// What happened to one package and what bumpguard made of it.
#[derive(Debug, Clone, Serialize)]
pub struct CrateReport {
    pub name: String,
    pub change: ChangeKind,
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub old_source: Option<String>,
    pub new_source: Option<String>,
    /// Which number moved (for updates).
    pub bump: Option<BumpKind>,
    /// The largest API change this bump allows under Cargo's SemVer rules.
    pub allows: Option<Level>,
    /// The largest level the API changes require.
    pub required: Option<Level>,
    /// `None` when not known (the `diff` command has no consumer).
    pub direct: Option<bool>,
    /// Workspace member first, this crate last.
    pub chain: Vec<String>,
    /// Features the workspace members enable in their manifests (`default`
    /// included when default features are on); empty when not a direct
    /// dependency or when the manifests could not be read.
    pub features: Vec<String>,
    /// Versions of this pair that crates.io marks as yanked (when known).
    pub yanked: Vec<String>,
    pub lockfile: Option<String>,
    pub analysis: Analysis,
    pub changes: Vec<ApiChange>,
    /// What changed inside the code, most important first.
    pub behavior: Vec<BehaviorChange>,
    /// What changed in `Cargo.toml` and in the files the package ships.
    pub manifest: Vec<ManifestChange>,
    pub violations: usize,
    /// Source files that could not be read or parsed (`file:line: message`).
    pub problems: Vec<String>,
    /// What the engine could not see in this crate.
    pub notes: Vec<String>,
    /// Critical-module rules this bump triggered, with their contracts.
    pub rules: Vec<RuleHit>,
}

/// Whether the crate's API was compared, and if not, why.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub status: AnalysisStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With status `failed`: what failed. Absent otherwise (and read as
    /// `fetch` when absent with `failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_in: Option<FailedIn>,
}

/// What stopped the analysis of a crate that could not be analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailedIn {
    /// Getting the crate: a download, the network, a vendored version that
    /// is not there. bumpguard could not do its job: exit 2, unless
    /// `[policy] unanalysed = "warn"`.
    Fetch,
    /// The crate itself: it was there, but its analysis failed (rustdoc
    /// could not build it). Not analysed: it blocks (exit 1) or, by
    /// policy, warns.
    Crate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnalysisStatus {
    /// Both versions were read completely and compared.
    Analysed,
    /// Compared, but some source files could not be read: the result may be incomplete.
    Partial,
    /// Not compared because bumpguard does not handle this kind of change yet (counts against the verdict).
    Unsupported,
    /// Not compared because something failed: getting the crate (network,
    /// missing crate; the run could not do its job) or analysing it (see
    /// [`Analysis::failed_in`]).
    Failed,
    /// Nothing to compare: a package added or removed, or a workspace member's own version.
    NotApplicable,
}

/// The outcome of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub status: VerdictStatus,
    /// Why, one line each (empty when passing).
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictStatus {
    /// Nothing blocks: exit code 0.
    Pass,
    /// A semver violation or an incomplete analysis blocks the change: exit code 1.
    Blocked,
    /// A needed crate could not be analysed at all: exit code 2.
    Error,
}

impl std::fmt::Display for VerdictStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerdictStatus::Pass => "pass",
            VerdictStatus::Blocked => "blocked",
            VerdictStatus::Error => "error",
        })
    }
}

impl VerdictStatus {
    pub fn exit_code(self) -> i32 {
        match self {
            VerdictStatus::Pass => 0,
            VerdictStatus::Blocked => 1,
            VerdictStatus::Error => 2,
        }
    }
}

fn source_text(p: &LockedPackage) -> Option<String> {
    match &p.source {
        Source::Path => Some("path".to_string()),
        s if s.is_crates_io() => Some("crates.io".to_string()),
        s => s.lock_string(),
    }
}

impl CrateReport {
    /// An entry with nothing known yet but the name and what happened.
    pub fn blank(name: &str, change: ChangeKind) -> Self {
        CrateReport {
            name: name.to_string(),
            change,
            old_version: None,
            new_version: None,
            old_source: None,
            new_source: None,
            bump: None,
            allows: None,
            required: None,
            direct: None,
            chain: Vec::new(),
            features: Vec::new(),
            yanked: Vec::new(),
            lockfile: None,
            analysis: Analysis {
                status: AnalysisStatus::NotApplicable,
                reason: None,
                failed_in: None,
            },
            changes: Vec::new(),
            behavior: Vec::new(),
            manifest: Vec::new(),
            violations: 0,
            problems: Vec::new(),
            notes: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// This entry decides against the change: a semver violation, or an
    /// analysis that is incomplete, unsupported or failed (the same rule as
    /// [`Report::decide`]; every format marks these crates alike).
    pub fn blocks(&self) -> bool {
        self.violations > 0
            || self.rules.iter().any(|h| h.blocks)
            || matches!(
                self.analysis.status,
                AnalysisStatus::Failed | AnalysisStatus::Unsupported | AnalysisStatus::Partial
            )
    }

    /// A report entry for a lockfile bump, before any analysis.
    pub fn from_bump(b: &Bump) -> Self {
        CrateReport {
            old_version: b.old.as_ref().map(|p| p.version.to_string()),
            new_version: b.new.as_ref().map(|p| p.version.to_string()),
            old_source: b.old.as_ref().and_then(source_text),
            new_source: b.new.as_ref().and_then(source_text),
            bump: b.kind,
            allows: b.allows,
            direct: Some(b.direct),
            chain: b.chain.clone(),
            lockfile: Some(b.lockfile.clone()),
            ..CrateReport::blank(&b.name, b.change)
        }
    }
}

impl Report {
    /// The report of a run that could not do its job: no crates, verdict
    /// `error`, the error and its causes as reasons.
    pub fn failed(command: &str, error: &anyhow::Error) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: format!("bumpguard {}", env!("CARGO_PKG_VERSION")),
            command: command.to_string(),
            base: String::new(),
            head: String::new(),
            crates: Vec::new(),
            notes: Vec::new(),
            stale_acceptances: Vec::new(),
            policy: PolicySummary::default(),
            verdict: Verdict {
                status: VerdictStatus::Error,
                reasons: error.chain().map(|c| c.to_string()).collect(),
            },
            accept_args: String::new(),
        }
    }

    /// Derives the verdict from the crates under the default policy (call
    /// after filling them).
    pub fn decide(&mut self) {
        self.decide_with(&Policy::default());
    }

    /// Derives the verdict from the crates: semver violations and crates
    /// that could not be analysed block unless the policy says `warn`
    /// (then they are listed as warnings in the reasons); a triggered
    /// critical rule that is not proven blocks; a crate that could not be
    /// fetched is an error (exit 2) unless the policy says `unanalysed =
    /// "warn"`. In `check` (and `audit`) each blocking reason says what
    /// unblocks it.
    pub fn decide_with(&mut self, policy: &Policy) {
        self.policy = PolicySummary {
            semver_violations: policy.semver_violations,
            unanalysed: policy.unanalysed,
        };
        // `diff` compares two versions outside any repository: there is
        // nothing to accept, no policy and no lockfile to change.
        let hints = self.command != "diff";
        let mut reasons = Vec::new();
        let mut status = VerdictStatus::Pass;
        let gate = |g: Gate,
                    level: VerdictStatus,
                    status: &mut VerdictStatus,
                    reasons: &mut Vec<String>,
                    text: String,
                    unblock: String| match g {
            Gate::Block => {
                *status = status.max_with(level);
                reasons.push(if hints {
                    format!("{text}. {unblock}")
                } else {
                    text
                });
            }
            Gate::Warn => reasons.push(format!("warning (policy: warn): {text}")),
        };
        let unanalysed_warn =
            "or set `[policy] unanalysed = \"warn\"` to let it through as a warning";
        for c in &self.crates {
            let label = format!("{} {}", c.name, version_pair(c));
            if c.violations > 0 {
                gate(
                    policy.semver_violations,
                    VerdictStatus::Blocked,
                    &mut status,
                    &mut reasons,
                    format!(
                        "{label}: {} semver violation{} (the changes need a {} bump; this {} allows {})",
                        c.violations,
                        plural(c.violations),
                        c.required.map(|l| l.to_string()).unwrap_or_default(),
                        c.bump
                            .map(|b| format!("{b} bump"))
                            .unwrap_or_else(|| "bump".into()),
                        c.allows.map(|l| format!("{l} changes")).unwrap_or_default(),
                    ),
                    violations_unblock(c, &self.accept_args),
                );
            }
            let warned = c.changes.iter().filter(|a| a.warning).count();
            if warned > 0 {
                reasons.push(format!(
                    "warning (policy: warn): {label}: {warned} API change{} the Cargo book leaves to judgement (possibly breaking, or newly #[doc(hidden)])",
                    plural(warned)
                ));
            }
            match c.analysis.status {
                AnalysisStatus::Partial => gate(
                    policy.unanalysed,
                    VerdictStatus::Blocked,
                    &mut status,
                    &mut reasons,
                    format!(
                        "{label}: analysis incomplete ({} source problem{})",
                        c.problems.len(),
                        plural(c.problems.len())
                    ),
                    format!(
                        "To unblock: the problems are listed with the crate; `--engine rustdoc` reads the API with the compiler instead (it builds the crate), {unanalysed_warn}"
                    ),
                ),
                AnalysisStatus::Unsupported => gate(
                    policy.unanalysed,
                    VerdictStatus::Blocked,
                    &mut status,
                    &mut reasons,
                    format!(
                        "{label}: not analysed ({})",
                        c.analysis.reason.as_deref().unwrap_or("unsupported")
                    ),
                    format!(
                        "To unblock: review this change yourself, then {}",
                        unanalysed_warn.trim_start_matches("or ")
                    ),
                ),
                AnalysisStatus::Failed => {
                    let reason = c.analysis.reason.as_deref().unwrap_or("error");
                    match c.analysis.failed_in {
                        Some(FailedIn::Crate) => gate(
                            policy.unanalysed,
                            VerdictStatus::Blocked,
                            &mut status,
                            &mut reasons,
                            format!("{label}: not analysed ({reason})"),
                            format!(
                                "To unblock: the analysis failed inside the crate; `--engine syn` (the default) reads its source without building it, {unanalysed_warn}"
                            ),
                        ),
                        Some(FailedIn::Fetch) | None => gate(
                            policy.unanalysed,
                            VerdictStatus::Error,
                            &mut status,
                            &mut reasons,
                            format!("{label}: could not be analysed ({reason})"),
                            format!(
                                "To unblock: check the network and the registry and run again, or vendor the crate (`cargo vendor`, read offline), {unanalysed_warn}"
                            ),
                        ),
                    }
                }
                AnalysisStatus::Analysed | AnalysisStatus::NotApplicable => {}
            }
            for h in c.rules.iter().filter(|h| h.blocks) {
                status = status.max_with(VerdictStatus::Blocked);
                reasons.push(format!(
                    "{label}: critical rule `{}` triggered ({}): {}",
                    h.rule, h.finding, h.next
                ));
            }
        }
        self.verdict = Verdict { status, reasons };
    }
}

/// What `bumpguard check` would decide on a report made without running
/// contracts (`audit`, `--no-run-contracts`): their outcome is unknown, so
/// a change blocked only by them is neither blocked nor passing yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutlook {
    Pass,
    /// Blocked whatever the contracts say; `contracts_not_run` bound
    /// contracts were not run.
    Blocked {
        contracts_not_run: usize,
    },
    /// Blocked only by triggered rules whose bound contracts were not run:
    /// it passes if those `contracts` pass.
    DependsOnContracts {
        contracts: usize,
    },
    Error,
}

impl CheckOutlook {
    /// A word or two for titles: `pass`, `blocked`, `depends on contracts`, `error`.
    pub fn word(self) -> &'static str {
        match self {
            CheckOutlook::Pass => "pass",
            CheckOutlook::Blocked { .. } => "blocked",
            CheckOutlook::DependsOnContracts { .. } => "depends on contracts",
            CheckOutlook::Error => "error",
        }
    }

    /// One sentence on the verdict `bumpguard check` would give.
    pub fn summary(self) -> String {
        let contracts = |n: usize| {
            if n == 1 {
                "the 1 bound contract passes".to_string()
            } else {
                format!("the {n} bound contracts pass")
            }
        };
        match self {
            CheckOutlook::Pass => "nothing blocks".to_string(),
            CheckOutlook::Blocked {
                contracts_not_run: 0,
            } => "BLOCKED".to_string(),
            CheckOutlook::Blocked { contracts_not_run } => format!(
                "BLOCKED, whatever the contracts say ({contracts_not_run} bound contract{} not run)",
                plural(contracts_not_run)
            ),
            CheckOutlook::DependsOnContracts { contracts: n } => format!(
                "would block unless {}; nothing else blocks (contracts were not run here; `bumpguard check` runs them)",
                contracts(n)
            ),
            CheckOutlook::Error => "ERROR (bumpguard could not do its whole job)".to_string(),
        }
    }
}

/// [`CheckOutlook`] of a report: the verdict again with every hit that
/// blocks only because its contracts were not run counted as passing.
pub fn check_outlook(report: &Report) -> CheckOutlook {
    use crate::gate::{ContractState, HitStatus};
    let mut not_run: Vec<(&str, &str)> = report
        .crates
        .iter()
        .flat_map(|c| &c.rules)
        .filter(|h| h.blocks && h.status == HitStatus::NotRun)
        .flat_map(|h| &h.contracts)
        .filter(|o| o.status == ContractState::NotRun)
        .map(|o| (o.at.as_str(), o.command.as_str()))
        .collect();
    not_run.sort();
    not_run.dedup();
    match report.verdict.status {
        VerdictStatus::Pass => return CheckOutlook::Pass,
        VerdictStatus::Error => return CheckOutlook::Error,
        VerdictStatus::Blocked => {}
    }
    let mut proven = report.clone();
    for h in proven.crates.iter_mut().flat_map(|c| &mut c.rules) {
        if h.status == HitStatus::NotRun {
            h.blocks = false;
        }
    }
    proven.decide_with(&Policy {
        semver_violations: report.policy.semver_violations,
        unanalysed: report.policy.unanalysed,
        ..Policy::default()
    });
    match proven.verdict.status {
        VerdictStatus::Pass if !not_run.is_empty() => CheckOutlook::DependsOnContracts {
            contracts: not_run.len(),
        },
        _ => CheckOutlook::Blocked {
            contracts_not_run: not_run.len(),
        },
    }
}

/// What unblocks a crate's semver violations: accepting each (by id),
/// the policy, or staying on the old version.
fn violations_unblock(c: &CrateReport, args: &str) -> String {
    const SHOWN: usize = 3;
    let ids: Vec<&str> = c
        .changes
        .iter()
        .filter(|a| a.violation)
        .filter_map(|a| a.finding.as_deref())
        .collect();
    let accept = match ids.split_first() {
        None => String::new(),
        Some((first, rest)) => {
            let mut more: Vec<&str> = rest.iter().take(SHOWN - 1).copied().collect();
            if rest.len() > SHOWN - 1 {
                more.push("...");
            }
            let others = if more.is_empty() {
                String::new()
            } else {
                format!(", then the same for {}", more.join(", "))
            };
            format!(
                "if the changes are intended, accept each: `{}`{others} (every id is in the report); ",
                accept_command(args, first)
            )
        }
    };
    let pin = match (&c.old_version, &c.new_version) {
        (Some(old), Some(new)) if old != new => format!(
            "; or stay on {old}: `cargo update -p {}@{new} --precise {old}`",
            c.name
        ),
        _ => String::new(),
    };
    format!("To unblock: {accept}or set `[policy] semver-violations = \"warn\"`{pin}")
}

impl VerdictStatus {
    fn rank(self) -> u8 {
        match self {
            VerdictStatus::Pass => 0,
            VerdictStatus::Blocked => 1,
            VerdictStatus::Error => 2,
        }
    }
    fn max_with(self, other: VerdictStatus) -> VerdictStatus {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// `text` cut to about `max` characters (the JSON report keeps it whole).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}... (see --format json)")
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(crate) fn version_pair(c: &CrateReport) -> String {
    match (&c.old_version, &c.new_version) {
        (Some(o), Some(n)) if o == n => o.clone(),
        (Some(o), Some(n)) => format!("{o} -> {n}"),
        (Some(o), None) => o.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // `io::Error::from` keeps the kind (a closed pipe stays BrokenPipe).
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    writeln!(out)
}

/// How many non-violating changes the human report shows per crate.
const HUMAN_CHANGE_LIMIT: usize = 25;

struct Styles {
    bold: Style,
    red: Style,
    yellow: Style,
    green: Style,
    dim: Style,
}

impl Styles {
    fn new() -> Self {
        Styles {
            bold: Style::new().effects(Effects::BOLD),
            red: AnsiColor::Red.on_default().effects(Effects::BOLD),
            yellow: AnsiColor::Yellow.on_default(),
            green: AnsiColor::Green.on_default().effects(Effects::BOLD),
            dim: Style::new().effects(Effects::DIMMED),
        }
    }
}

/// Writes the report for a person. `out` decides about colour (an
/// `anstream` stream strips the styles when it is not a terminal).
pub fn write_human(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_human_detail(report, out, false)
}

/// Like [`write_human`], with nothing left out: every API change, every
/// behaviour finding with its function diff (for `bumpguard audit`).
pub fn write_human_full(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_human_detail(report, out, true)
}

fn write_human_detail(report: &Report, out: &mut dyn Write, full: bool) -> io::Result<()> {
    let s = Styles::new();
    let b = s.bold;
    writeln!(
        out,
        "{b}bumpguard {}{b:#}: {} -> {}",
        report.command, report.base, report.head
    )?;
    if report.crates.is_empty() {
        writeln!(
            out,
            "No dependency changes: Cargo.lock is the same at both revisions."
        )?;
    } else {
        let count = |k: ChangeKind| report.crates.iter().filter(|c| c.change == k).count();
        writeln!(
            out,
            "{} package change{}: {} updated, {} source changed, {} added, {} removed",
            report.crates.len(),
            plural(report.crates.len()),
            count(ChangeKind::Updated),
            count(ChangeKind::SourceChanged),
            count(ChangeKind::Added),
            count(ChangeKind::Removed),
        )?;
    }
    for c in &report.crates {
        writeln!(out)?;
        write_crate(c, &s, out, full)?;
    }
    if !report.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Notes{b:#}")?;
        for n in &report.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    if !report.stale_acceptances.is_empty() {
        writeln!(out)?;
        writeln!(out, "{b}Stale acceptances{b:#}")?;
        for a in &report.stale_acceptances {
            writeln!(
                out,
                "  - {} ({}, {} {} -> {}): {}",
                a.finding, a.at, a.krate, a.old, a.new, a.why
            )?;
        }
    }
    writeln!(out)?;
    match report.verdict.status {
        VerdictStatus::Pass => writeln!(
            out,
            "{}Verdict: pass{:#} (nothing blocks)",
            s.green, s.green
        )?,
        VerdictStatus::Blocked if report.command == "audit" => {
            let outlook = check_outlook(report);
            let style = match outlook {
                CheckOutlook::DependsOnContracts { .. } => s.yellow,
                _ => s.red,
            };
            writeln!(
                out,
                "{style}Verdict of `bumpguard check`: {}{style:#} (an audit itself never blocks)",
                outlook.summary()
            )?
        }
        VerdictStatus::Blocked => writeln!(out, "{}Verdict: BLOCKED{:#}", s.red, s.red)?,
        VerdictStatus::Error => writeln!(
            out,
            "{}Verdict: ERROR{:#} (bumpguard could not do its whole job)",
            s.red, s.red
        )?,
    }
    for r in &report.verdict.reasons {
        writeln!(out, "  - {r}")?;
    }
    Ok(())
}

/// The verdict in one line, with its first reason (what `--quiet` prints).
pub fn write_verdict_line(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = Styles::new();
    let reasons = &report.verdict.reasons;
    let first = match reasons.first() {
        Some(r) if reasons.len() > 1 => format!(
            ": {r} (and {} more reason{})",
            reasons.len() - 1,
            plural(reasons.len() - 1)
        ),
        Some(r) => format!(": {r}"),
        None => String::new(),
    };
    match report.verdict.status {
        // An audit never blocks: it says what `check` would decide.
        VerdictStatus::Pass if report.command == "audit" => writeln!(
            out,
            "{}audit: would pass{:#} (nothing would block)",
            s.green, s.green
        ),
        VerdictStatus::Blocked if report.command == "audit" => match check_outlook(report) {
            outlook @ CheckOutlook::DependsOnContracts { .. } => writeln!(
                out,
                "{}audit: {}{:#}{first}",
                s.yellow,
                outlook.summary(),
                s.yellow
            ),
            _ => writeln!(out, "{}audit: would be BLOCKED{:#}{first}", s.red, s.red),
        },
        VerdictStatus::Error if report.command == "audit" => {
            writeln!(out, "{}audit: ERROR{:#}{first}", s.red, s.red)
        }
        VerdictStatus::Pass => writeln!(
            out,
            "{}Verdict: pass{:#} (nothing blocks)",
            s.green, s.green
        ),
        VerdictStatus::Blocked => writeln!(out, "{}Verdict: BLOCKED{:#}{first}", s.red, s.red),
        VerdictStatus::Error => writeln!(out, "{}Verdict: ERROR{:#}{first}", s.red, s.red),
    }
}

fn write_crate(c: &CrateReport, s: &Styles, out: &mut dyn Write, full: bool) -> io::Result<()> {
    let (mark, style) = if c.blocks() {
        ("x", s.red)
    } else if c.changes.iter().any(|ch| ch.required == Level::Major) {
        ("!", s.yellow)
    } else {
        ("=", s.dim)
    };
    let what = match c.change {
        ChangeKind::Updated => match (c.bump, c.allows) {
            (Some(BumpKind::Downgrade), _) => "downgrade".to_string(),
            (Some(BumpKind::Unchanged), _) => "same version".to_string(),
            (Some(k), Some(a)) => format!("{k} bump, allows {a} changes"),
            (Some(k), None) => format!("{k} bump"),
            _ => "updated".to_string(),
        },
        ChangeKind::SourceChanged => "source changed".to_string(),
        ChangeKind::Added => "added".to_string(),
        ChangeKind::Removed => "removed".to_string(),
    };
    let source = match (&c.old_source, &c.new_source) {
        (Some(o), Some(n)) if o != n => format!("{o} -> {n}"),
        (_, Some(n)) => n.clone(),
        (Some(o), None) => o.clone(),
        _ => String::new(),
    };
    let own_code =
        c.old_source.as_deref() == Some("path") || c.new_source.as_deref() == Some("path");
    let reach = match c.direct {
        _ if own_code => String::new(),
        Some(true) => "direct".to_string(),
        Some(false) if c.chain.len() > 1 => format!("transitive via {}", c.chain.join(" > ")),
        Some(false) => "transitive".to_string(),
        None => String::new(),
    };
    let extra: Vec<&str> = [what.as_str(), reach.as_str(), source.as_str()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect();
    writeln!(
        out,
        "{style}{mark}{style:#} {}{} {}{:#}  {}",
        s.bold,
        c.name,
        version_pair(c),
        s.bold,
        extra.join(", ")
    )?;
    if let Some(l) = &c.lockfile
        && l != "Cargo.lock"
    {
        writeln!(out, "  {}in {l}{:#}", s.dim, s.dim)?;
    }
    for v in &c.yanked {
        writeln!(
            out,
            "  {}{} {v} is yanked on crates.io{:#} (analysed all the same)",
            s.yellow, c.name, s.yellow
        )?;
    }
    if !c.features.is_empty() {
        writeln!(
            out,
            "  {}features you enable: {}{:#}",
            s.dim,
            c.features.join(", "),
            s.dim
        )?;
    }
    write_rules(c, s, out, full)?;
    match c.analysis.status {
        AnalysisStatus::Analysed | AnalysisStatus::Partial => {
            if c.changes.is_empty() {
                writeln!(out, "  public API: no changes")?;
            } else {
                let summary = if c.violations > 0 {
                    format!(
                        "{}{} SEMVER VIOLATION{}{:#}: needs a {} bump",
                        s.red,
                        c.violations,
                        if c.violations == 1 { "" } else { "S" },
                        s.red,
                        c.required.map(|l| l.to_string()).unwrap_or_default()
                    )
                } else {
                    format!(
                        "largest change is {}",
                        c.required.map(|l| l.to_string()).unwrap_or_default()
                    )
                };
                writeln!(
                    out,
                    "  public API: {} change{}; {summary}",
                    c.changes.len(),
                    plural(c.changes.len())
                )?;
                let mut shown = 0;
                let mut hidden = 0;
                for ch in &c.changes {
                    if !full && !ch.violation && shown >= HUMAN_CHANGE_LIMIT {
                        hidden += 1;
                        continue;
                    }
                    shown += 1;
                    write_change(ch, s, out, full)?;
                }
                if hidden > 0 {
                    writeln!(out, "    ... and {hidden} more (see --format json)")?;
                }
            }
        }
        _ => {
            if let Some(r) = &c.analysis.reason {
                writeln!(out, "  {r}")?;
            }
        }
    }
    write_behavior(c, s, out, full)?;
    write_manifest(c, s, out)?;
    for p in &c.problems {
        writeln!(out, "  {}problem:{:#} {p}", s.yellow, s.yellow)?;
    }
    for n in &c.notes {
        writeln!(out, "  {}note: {n}{:#}", s.dim, s.dim)?;
    }
    Ok(())
}

fn write_change(ch: &ApiChange, s: &Styles, out: &mut dyn Write, full: bool) -> io::Result<()> {
    // The full report (`audit`) never shortens; the terminal's does.
    let shorten = |text: &str, max: usize| {
        if full {
            text.to_string()
        } else {
            shorten(text, max)
        }
    };
    let style = if ch.violation {
        s.red
    } else if ch.required == Level::Major {
        s.yellow
    } else {
        s.dim
    };
    let level = if ch.possibly_breaking || ch.uncertain {
        format!("{}?", ch.required)
    } else {
        ch.required.to_string()
    };
    // `--engine both`: which engine(s) found it.
    let engines = if ch.engines.is_empty() {
        String::new()
    } else {
        format!(" {}[{}]{:#}", s.dim, ch.engines.join("+"), s.dim)
    };
    writeln!(
        out,
        "    {style}{level:<6}{style:#} {} {}{engines}",
        ch.code, ch.path
    )?;
    if let Some(cfg) = &ch.cfg
        && ch.code != "cfg-changed"
    {
        writeln!(
            out,
            "           {}when {}{:#}",
            s.dim,
            shorten(cfg, 160),
            s.dim
        )?;
    }
    if let Some(o) = &ch.old {
        writeln!(out, "           - {}", shorten(o, 300))?;
    }
    if let Some(n) = &ch.new {
        writeln!(out, "           + {}", shorten(n, 300))?;
    }
    if ch.violation || ch.required == Level::Major {
        writeln!(out, "           {}{}{:#}", s.dim, ch.message, s.dim)?;
    }
    if let Some(at) = &ch.accepted {
        writeln!(
            out,
            "           {}violation accepted in {at}{:#}",
            s.green, s.green
        )?;
    } else if let Some(id) = &ch.finding {
        writeln!(out, "           {}finding {id}{:#}", s.dim, s.dim)?;
    }
    Ok(())
}

/// Triggered rules, first in a crate's entry: they are what blocks.
fn write_rules(c: &CrateReport, s: &Styles, out: &mut dyn Write, full: bool) -> io::Result<()> {
    for h in &c.rules {
        let (style, label) = match (h.severity, h.blocks) {
            (_, true) => (s.red, "CRITICAL RULE"),
            (crate::rules::RuleSeverity::Critical, false) => (s.yellow, "critical rule"),
            (crate::rules::RuleSeverity::Warning, false) => (s.yellow, "rule (warning)"),
        };
        writeln!(
            out,
            "  {style}{label}{style:#} {}{}{:#} ({}): {}  {}[{}]{:#}",
            s.bold, h.rule, s.bold, h.origin, h.reason, s.dim, h.finding, s.dim
        )?;
        if let Some(r) = &h.reference {
            writeln!(out, "    {}{r}{:#}", s.dim, s.dim)?;
        }
        let limit = if full { usize::MAX } else { 5 };
        writeln!(out, "    triggered by:")?;
        for e in h.evidence.iter().take(limit) {
            if full {
                writeln!(out, "      - {}", e.summary)?;
            } else {
                writeln!(out, "      - {}", shorten(&e.summary, 200))?;
            }
        }
        if h.evidence.len() > limit {
            writeln!(out, "      ... and {} more", h.evidence.len() - limit)?;
        }
        for o in &h.contracts {
            let st = match o.status {
                crate::gate::ContractState::Passed => s.green,
                crate::gate::ContractState::NotRun => s.dim,
                _ => s.red,
            };
            let counts = if o.passed + o.failed > 0 {
                format!(", {} passed, {} failed", o.passed, o.failed)
            } else {
                String::new()
            };
            writeln!(
                out,
                "    contract {} ({}): {st}{}{st:#}{counts}",
                o.shown_command(),
                o.at,
                o.label()
            )?;
            if !o.failed_tests.is_empty() {
                writeln!(out, "      failed: {}", o.failed_tests.join(", "))?;
            }
            if let Some(d) = &o.detail {
                writeln!(out, "      {d}")?;
            }
            if !o.output_tail.is_empty() {
                let lines: Vec<&str> = o.output_tail.lines().collect();
                let from = lines.len().saturating_sub(if full { 40 } else { 12 });
                for l in &lines[from..] {
                    writeln!(out, "      {}| {l}{:#}", s.dim, s.dim)?;
                }
            }
        }
        if !h.call_sites.is_empty() {
            let sites: Vec<String> = h
                .call_sites
                .iter()
                .take(if full { usize::MAX } else { 5 })
                .map(|c| format!("{}:{}", c.file, c.line))
                .collect();
            let more = h.call_sites.len().saturating_sub(sites.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            writeln!(out, "    your code reaching it: {}{more}", sites.join(", "))?;
        }
        writeln!(out, "    {}next:{:#} {}", s.bold, s.bold, h.next)?;
        if let Some(sug) = &h.suggestion {
            writeln!(out, "    bind a contract in bumpguard.toml:")?;
            for l in sug.binding.lines() {
                writeln!(out, "      {l}")?;
            }
            writeln!(out, "    and write the test ({}):", sug.test_file)?;
            for l in sug.test.lines() {
                writeln!(out, "      {l}")?;
            }
        }
    }
    Ok(())
}

/// How many behaviour findings the human report shows per crate.
const HUMAN_BEHAVIOR_LIMIT: usize = 15;

fn write_behavior(c: &CrateReport, s: &Styles, out: &mut dyn Write, full: bool) -> io::Result<()> {
    let limit = if full {
        usize::MAX
    } else {
        HUMAN_BEHAVIOR_LIMIT
    };
    if c.behavior.is_empty() {
        if c.analysis.status == AnalysisStatus::Analysed {
            writeln!(
                out,
                "  behaviour: no function bodies, constants or defaults changed"
            )?;
        }
        return Ok(());
    }
    let public = c.behavior.iter().filter(|b| b.public).count();
    writeln!(
        out,
        "  behaviour: {} change{} ({} on public items)",
        c.behavior.len(),
        plural(c.behavior.len()),
        public
    )?;
    for b in c.behavior.iter().take(limit) {
        let style = if !b.effects_added.is_empty() || !b.effects_removed.is_empty() {
            s.yellow
        } else {
            s.dim
        };
        writeln!(out, "    {style}{}{style:#} {}", b.code, b.item)?;
        if let Some(f) = &b.file {
            writeln!(out, "           {}in {f}{:#}", s.dim, s.dim)?;
        }
        writeln!(out, "           {}", b.summary)?;
        if full && let Some(diff) = &b.diff {
            for line in diff.lines() {
                writeln!(out, "             {line}")?;
            }
        }
    }
    if c.behavior.len() > limit {
        writeln!(
            out,
            "    ... and {} more (see --format json, which also has each function's diff)",
            c.behavior.len() - limit
        )?;
    }
    Ok(())
}

fn write_manifest(c: &CrateReport, s: &Styles, out: &mut dyn Write) -> io::Result<()> {
    if c.manifest.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  manifest and package: {} change{}",
        c.manifest.len(),
        plural(c.manifest.len())
    )?;
    for m in &c.manifest {
        let style = match m.severity {
            Severity::High => s.yellow,
            _ => s.dim,
        };
        writeln!(
            out,
            "    {style}{}{style:#} {}: {}",
            m.code, m.subject, m.message
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(command: &str, c: CrateReport) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: String::new(),
            command: command.into(),
            base: String::new(),
            head: String::new(),
            crates: vec![c],
            notes: Vec::new(),
            stale_acceptances: Vec::new(),
            policy: PolicySummary::default(),
            verdict: Verdict {
                status: VerdictStatus::Pass,
                reasons: Vec::new(),
            },
            accept_args: String::new(),
        }
    }

    fn failed(failed_in: Option<FailedIn>) -> CrateReport {
        let mut c = CrateReport::blank("certlib", ChangeKind::Updated);
        c.old_version = Some("1.4.0".into());
        c.new_version = Some("1.5.0".into());
        c.analysis = Analysis {
            status: AnalysisStatus::Failed,
            reason: Some("rustdoc could not build it".into()),
            failed_in,
        };
        c
    }

    fn decide(c: CrateReport, unanalysed: Gate) -> Verdict {
        let mut r = report("check", c);
        r.decide_with(&Policy {
            unanalysed,
            ..Policy::default()
        });
        r.verdict
    }

    #[test]
    fn a_crate_that_could_not_be_fetched_is_an_error_unless_the_policy_warns() {
        for failed_in in [Some(FailedIn::Fetch), None] {
            let v = decide(failed(failed_in), Gate::Block);
            assert_eq!(v.status, VerdictStatus::Error);
            assert_eq!(v.status.exit_code(), 2);
            assert!(v.reasons[0].contains("could not be analysed"), "{v:?}");
            assert!(v.reasons[0].contains("vendor the crate"), "{v:?}");
            assert!(
                v.reasons[0].contains("`[policy] unanalysed = \"warn\"`"),
                "{v:?}"
            );
            let v = decide(failed(failed_in), Gate::Warn);
            assert_eq!(v.status, VerdictStatus::Pass);
            assert!(v.reasons[0].starts_with("warning (policy: warn)"), "{v:?}");
        }
    }

    #[test]
    fn a_crate_whose_analysis_failed_inside_it_blocks_or_warns() {
        let v = decide(failed(Some(FailedIn::Crate)), Gate::Block);
        assert_eq!(v.status, VerdictStatus::Blocked);
        assert_eq!(v.status.exit_code(), 1);
        assert!(
            v.reasons[0].contains("not analysed (rustdoc could not build it)"),
            "{v:?}"
        );
        assert!(v.reasons[0].contains("`--engine syn`"), "{v:?}");
        let v = decide(failed(Some(FailedIn::Crate)), Gate::Warn);
        assert_eq!(v.status, VerdictStatus::Pass);
    }

    fn violating() -> CrateReport {
        let mut c = CrateReport::blank("certlib", ChangeKind::Updated);
        c.old_version = Some("1.4.0".into());
        c.new_version = Some("1.4.1".into());
        c.bump = Some(BumpKind::Patch);
        c.allows = Some(Level::Patch);
        c.required = Some(Level::Major);
        c.analysis.status = AnalysisStatus::Analysed;
        for (i, path) in ["a", "b", "c", "d"].iter().enumerate() {
            c.changes.push(crate::semver_check::ApiChange {
                code: "item-removed",
                key: path.to_string(),
                required: Level::Major,
                possibly_breaking: false,
                kind: crate::api::ItemKind::Function,
                path: format!("certlib::{path}"),
                old: Some(format!("pub fn {path}()")),
                new: None,
                cfg: None,
                message: String::new(),
                reference: "",
                violation: true,
                warning: false,
                uncertain: false,
                outside_features: None,
                not_in_view: false,
                finding: Some(format!("bg-000000000{i}")),
                accepted: None,
                engines: Vec::new(),
                file: None,
                paths: Vec::new(),
            });
        }
        c.violations = 4;
        c
    }

    #[test]
    fn blocking_violations_say_what_unblocks_them() {
        let mut r = report("check", violating());
        r.decide();
        let reason = &r.verdict.reasons[0];
        assert!(
            reason.contains("`bumpguard accept bg-0000000000 --reason \"...\"`"),
            "{reason}"
        );
        assert!(
            reason.contains("then the same for bg-0000000001, bg-0000000002, ..."),
            "{reason}"
        );
        assert!(
            reason.contains("`[policy] semver-violations = \"warn\"`"),
            "{reason}"
        );
        assert!(
            reason.contains("stay on 1.4.0: `cargo update -p certlib@1.4.1 --precise 1.4.0`"),
            "{reason}"
        );
        // `diff` has nothing to accept and no policy: the fact alone.
        let mut r = report("diff", violating());
        r.decide();
        assert!(!r.verdict.reasons[0].contains("unblock"), "{r:?}");
    }

    #[test]
    fn partial_and_unsupported_analyses_say_what_unblocks_them() {
        let mut c = violating();
        c.changes.clear();
        c.violations = 0;
        c.analysis.status = AnalysisStatus::Partial;
        c.problems = vec!["new version: src/lib.rs:3: expected `;`".into()];
        let mut r = report("check", c.clone());
        r.decide();
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
        assert!(r.verdict.reasons[0].contains("`--engine rustdoc`"), "{r:?}");
        assert!(
            r.verdict.reasons[0].contains("unanalysed = \"warn\""),
            "{r:?}"
        );
        c.analysis = Analysis {
            status: AnalysisStatus::Unsupported,
            reason: Some("git sources are not supported".into()),
            failed_in: None,
        };
        let mut r = report("check", c);
        r.decide();
        assert!(
            r.verdict.reasons[0]
                .contains("review this change yourself, then set `[policy] unanalysed = \"warn\"`"),
            "{r:?}"
        );
    }
}
