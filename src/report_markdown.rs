//! The report as GitHub-flavoured Markdown, for a pull-request comment or a
//! job summary (`--format markdown`).
//!
//! Same model as the other formats ([`Report`]); only the rendering differs.
//! GitHub refuses a comment over 65,536 characters and a job summary over
//! 1 MiB, so [`write_markdown`] takes a byte budget. When the whole report
//! does not fit, it leaves out the least important details first (the order
//! of `Cut`), keeps the title, the verdict, its reasons and the summary
//! table, and says at the end what it left out. What it leaves out is always
//! a whole piece (an item, a code block, a `<details>` section), so the output
//! stays well-formed: fences and HTML tags are balanced.
//!
//! Every text that comes from a crate (paths, signatures, messages, diffs)
//! goes through an escaping function: [`escape_text`] for prose and table
//! cells, [`code_span`] for inline code, `fenced` for blocks and
//! [`escape_html`] inside `<summary>`.

use crate::behavior::BehaviorChange;
use crate::lockdiff::ChangeKind;
use crate::manifest_diff::Severity;
use crate::report::{AnalysisStatus, CrateReport, Report, VerdictStatus, plural};
use crate::semver_check::ApiChange;
use crate::versions::{BumpKind, Level};
use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// First line of every Markdown report, invisible once rendered: a bot
/// finds its earlier comment by it and edits that instead of adding one.
pub const MARKER: &str = "<!-- bumpguard-report -->";

/// Default budget in bytes: under GitHub's 65,536-character limit for a
/// comment (a byte count is never smaller than the character count).
pub const DEFAULT_LIMIT: usize = 65_000;

/// Smallest budget honoured. Below it even the title, the verdict and the
/// notice of what was left out might not fit; smaller limits are raised.
pub const MIN_LIMIT: usize = 1_024;

/// Non-violating API changes kept per crate before any are left out.
const KEEP_API: usize = 10;
/// Behaviour findings kept per crate before any are left out.
const KEEP_BEHAVIOR: usize = 10;
/// Problems and notes kept per crate (and run-wide notes) before any are left out.
const KEEP_LINES: usize = 5;
/// One signature is shortened to this many characters (the JSON report keeps it whole).
const SIGNATURE_MAX: usize = 1_000;
/// One message, summary, reason or note is shortened to this many characters.
const TEXT_MAX: usize = 1_000;
/// The base and head labels in the title are shortened to this many characters.
const LABEL_MAX: usize = 120;

/// Writes `report` as Markdown of at most `limit` bytes (raised to
/// [`MIN_LIMIT`]; `usize::MAX` for no limit), cutting details when it would
/// not fit.
pub fn write_markdown(report: &Report, out: &mut dyn Write, limit: usize) -> io::Result<()> {
    write_markdown_with(
        report,
        out,
        &MarkdownOptions {
            limit,
            full_report: None,
        },
    )
}

/// How [`write_markdown_with`] renders.
#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// Budget in bytes (raised to [`MIN_LIMIT`]; `usize::MAX` for none).
    /// Bytes, because a byte count is never below GitHub's character count.
    pub limit: usize,
    /// Where the full report is, for the notice of a cut report (plain
    /// text; `https://` addresses in it become links). `None`: the command
    /// that writes it.
    pub full_report: Option<String>,
}

/// Writes `report` as Markdown within `opts.limit`, cutting details when
/// it would not fit and then saying where the full report is.
pub fn write_markdown_with(
    report: &Report,
    out: &mut dyn Write,
    opts: &MarkdownOptions,
) -> io::Result<()> {
    let place = match &opts.full_report {
        Some(hint) => hint_text(hint),
        None => full_report_command(report),
    };
    let text = render_within(report, opts.limit.max(MIN_LIMIT), &place)
        .map_err(|_| io::Error::other("cannot format the Markdown report"))?;
    out.write_all(text.as_bytes())
}

/// Where the whole report comes from when nobody said (Markdown).
fn full_report_command(report: &Report) -> String {
    match report.command.as_str() {
        "diff" => "the same command with `--format json`, or with `--markdown-limit 0` for all of it in Markdown".to_string(),
        _ => "`bumpguard check --format json --output FILE`, or `bumpguard audit --output FILE` for all of it in Markdown".to_string(),
    }
}

/// A `--full-report-hint` as Markdown: escaped text, its `https://`
/// addresses as autolinks (an address holds no space, `<`, `>` or quote,
/// so the link cannot end early or open markup).
fn hint_text(hint: &str) -> String {
    let hint = shorten(hint, TEXT_MAX);
    let mut out = String::new();
    for (i, word) in hint.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (core, tail) = match word.strip_suffix([')', '.', ',', ';']) {
            Some(rest) => (rest, &word[rest.len()..]),
            None => (word, ""),
        };
        let (lead, core) = match core.strip_prefix('(') {
            Some(rest) => ("(", rest),
            None => ("", core),
        };
        let is_url = core.starts_with("https://")
            && core.len() > "https://".len()
            && !core.contains(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '`')
            });
        if is_url {
            out.push_str(lead);
            out.push('<');
            out.push_str(core);
            out.push('>');
            out.push_str(&escape_text(tail));
        } else {
            out.push_str(&if i == 0 {
                escape_text(word)
            } else {
                // Mid-text, a `-` or `+` does not start a list.
                escape_text(&format!("x{word}"))[1..].to_string()
            });
        }
    }
    out
}

/// What may be left out, by kind. The order of cutting is [`units`]'s:
/// crates that matter less first, and what makes a crate block last of all.
/// This order is the notice's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// The unified diff of a function that is not public.
    PrivateDiff,
    /// The unified diff of a public function or value.
    PublicDiff,
    /// Non-violating API changes beyond the first [`KEEP_API`] of a crate.
    ApiChange,
    /// Behaviour findings beyond the first [`KEEP_BEHAVIOR`] of a crate.
    Behavior,
    /// Problems and notes beyond the first [`KEEP_LINES`].
    Line,
    /// The end of the output of a contract that did not pass (the failing
    /// assertion, a command's stderr), [`OUTPUT_LINES`] lines at most.
    ContractOutput,
    /// Violating API changes beyond the first [`KEEP_API`] of a crate: the
    /// first ones and the count in the table say enough to block.
    Violation,
    /// A crate's whole `<details>` section.
    Details,
    /// The diff of a function whose change triggered a rule that blocks.
    TriggerDiff,
    /// Changes that triggered a rule, beyond the first [`KEEP_API`] of the rule.
    Evidence,
    /// Places in the repository's code reaching a rule's items, beyond the
    /// first [`KEEP_API`].
    CallSite,
    /// Last resort, when the summary alone is too big: rows of the table.
    Row,
    /// Last resort: verdict reasons.
    Reason,
}

const CUTS: [Cut; 13] = [
    Cut::PrivateDiff,
    Cut::PublicDiff,
    Cut::ApiChange,
    Cut::Behavior,
    Cut::Line,
    Cut::ContractOutput,
    Cut::Violation,
    Cut::Details,
    Cut::TriggerDiff,
    Cut::Evidence,
    Cut::CallSite,
    Cut::Row,
    Cut::Reason,
];

impl Cut {
    fn index(self) -> usize {
        CUTS.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// How the notice at the end names `n` left-out pieces of this kind.
    fn describe(self, n: usize) -> String {
        let s = plural(n);
        match self {
            Cut::PrivateDiff => format!("{n} function diff{s} of private code"),
            Cut::PublicDiff => format!("{n} function diff{s} of public items"),
            Cut::ApiChange => format!(
                "{n} API change{s} without a violation (beyond the first {KEEP_API} of a crate)"
            ),
            Cut::Behavior => {
                format!("{n} behaviour finding{s} (beyond the first {KEEP_BEHAVIOR} of a crate)")
            }
            Cut::Line => format!("{n} problem or note line{s} (beyond the first {KEEP_LINES})"),
            Cut::ContractOutput => format!("the output of {n} contract{s} that did not pass"),
            Cut::Violation => format!(
                "{n} API change{s} with a violation (beyond the first {KEEP_API} of a crate)"
            ),
            Cut::Details => format!("the details of {n} crate{s}"),
            Cut::TriggerDiff => {
                format!("{n} function diff{s} of changes that triggered a blocking rule")
            }
            Cut::Evidence => format!(
                "{n} change{s} that triggered a rule (beyond the first {KEEP_API} of a rule)"
            ),
            Cut::CallSite => format!(
                "{n} place{s} in your code reaching a rule's items (beyond the first {KEEP_API} of a rule)"
            ),
            Cut::Row => format!("{n} row{s} of the summary table"),
            Cut::Reason => format!("{n} verdict reason{s}"),
        }
    }
}

/// One piece that can be left out.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Diff {
        krate: usize,
        item: usize,
    },
    Api {
        krate: usize,
        item: usize,
    },
    Behavior {
        krate: usize,
        item: usize,
    },
    Problem {
        krate: usize,
        item: usize,
    },
    Note {
        krate: usize,
        item: usize,
    },
    /// The output of the `item`-th contract outcome of the crate's hits.
    Output {
        krate: usize,
        item: usize,
    },
    RunNote(usize),
    Details(usize),
    Evidence {
        krate: usize,
        hit: usize,
        item: usize,
    },
    CallSite {
        krate: usize,
        hit: usize,
        item: usize,
    },
    Row(usize),
    Reason(usize),
}

/// What to show of one crate.
#[derive(Debug, Clone)]
struct CratePlan {
    diff: Vec<bool>,
    api: Vec<bool>,
    behavior: Vec<bool>,
    problems: Vec<bool>,
    notes: Vec<bool>,
    /// Per contract outcome of the crate's hits, in order: show its output.
    outputs: Vec<bool>,
    /// Per rule hit: its evidence lines, its call sites.
    evidence: Vec<Vec<bool>>,
    call_sites: Vec<Vec<bool>>,
    details: bool,
    row: bool,
}

/// What to show of the report.
#[derive(Debug, Clone)]
struct Plan {
    crates: Vec<CratePlan>,
    run_notes: Vec<bool>,
    reasons: Vec<bool>,
    limit: usize,
    /// Where the full report is (Markdown), for the notice.
    place: String,
}

impl Plan {
    fn full(report: &Report, limit: usize, place: &str) -> Plan {
        Plan {
            crates: report
                .crates
                .iter()
                .map(|c| CratePlan {
                    diff: c.behavior.iter().map(|b| b.diff.is_some()).collect(),
                    api: vec![true; c.changes.len()],
                    behavior: vec![true; c.behavior.len()],
                    problems: vec![true; c.problems.len()],
                    notes: vec![true; c.notes.len()],
                    outputs: outcomes(c).map(shows_output).collect(),
                    evidence: c
                        .rules
                        .iter()
                        .map(|h| vec![true; h.evidence.len()])
                        .collect(),
                    call_sites: c
                        .rules
                        .iter()
                        .map(|h| vec![true; h.call_sites.len()])
                        .collect(),
                    details: has_details(c),
                    row: true,
                })
                .collect(),
            run_notes: vec![true; report.notes.len()],
            reasons: vec![true; report.verdict.reasons.len()],
            limit,
            place: place.to_string(),
        }
    }

    fn without(&self, units: &[Unit]) -> Plan {
        let mut p = self.clone();
        for u in units {
            match *u {
                Unit::Diff { krate, item } => p.crates[krate].diff[item] = false,
                Unit::Api { krate, item } => p.crates[krate].api[item] = false,
                Unit::Behavior { krate, item } => p.crates[krate].behavior[item] = false,
                Unit::Problem { krate, item } => p.crates[krate].problems[item] = false,
                Unit::Note { krate, item } => p.crates[krate].notes[item] = false,
                Unit::Output { krate, item } => p.crates[krate].outputs[item] = false,
                Unit::RunNote(i) => p.run_notes[i] = false,
                Unit::Details(krate) => p.crates[krate].details = false,
                Unit::Evidence { krate, hit, item } => p.crates[krate].evidence[hit][item] = false,
                Unit::CallSite { krate, hit, item } => {
                    p.crates[krate].call_sites[hit][item] = false
                }
                Unit::Row(krate) => p.crates[krate].row = false,
                Unit::Reason(i) => p.reasons[i] = false,
            }
        }
        p
    }

    /// How many pieces of each kind are left out, as the reader sees it:
    /// a crate whose whole section is cut counts once, as a section.
    fn cut_counts(&self, report: &Report) -> [usize; CUTS.len()] {
        let mut n = [0; CUTS.len()];
        let mut add = |kind: Cut, count: usize| n[kind.index()] += count;
        let gone = |keep: &[bool]| keep.iter().filter(|k| !**k).count();
        for (c, p) in report.crates.iter().zip(&self.crates) {
            add(Cut::Row, usize::from(!p.row));
            if !p.details {
                add(Cut::Details, usize::from(has_details(c)));
                continue;
            }
            let triggers = Triggers::of(c);
            for (i, b) in c.behavior.iter().enumerate() {
                if !p.behavior[i] {
                    add(Cut::Behavior, 1);
                } else if b.diff.is_some() && !p.diff[i] {
                    let kind = if triggers.behavior[i] {
                        Cut::TriggerDiff
                    } else if b.public {
                        Cut::PublicDiff
                    } else {
                        Cut::PrivateDiff
                    };
                    add(kind, 1);
                }
            }
            for keep in &p.evidence {
                add(Cut::Evidence, gone(keep));
            }
            for keep in &p.call_sites {
                add(Cut::CallSite, gone(keep));
            }
            for (ch, keep) in c.changes.iter().zip(&p.api) {
                if !keep {
                    add(
                        if ch.violation {
                            Cut::Violation
                        } else {
                            Cut::ApiChange
                        },
                        1,
                    );
                }
            }
            add(Cut::Line, gone(&p.problems) + gone(&p.notes));
            let shown: Vec<bool> = outcomes(c).map(shows_output).collect();
            add(
                Cut::ContractOutput,
                shown
                    .iter()
                    .zip(&p.outputs)
                    .filter(|(had, keep)| **had && !**keep)
                    .count(),
            );
        }
        add(Cut::Line, gone(&self.run_notes));
        add(Cut::Reason, gone(&self.reasons));
        n
    }
}

/// Renders the whole report if it fits, else the least cut version that
/// does. The size only shrinks as pieces are cut (the notice grows by a few
/// digits at most), so a binary search over how many pieces to cut finds it
/// in a few renders; the answer is checked, never assumed.
fn render_within(report: &Report, limit: usize, place: &str) -> Result<String, fmt::Error> {
    let full = Plan::full(report, limit, place);
    let text = render(report, &full)?;
    if text.len() <= limit {
        return Ok(text);
    }
    let units = units(report);
    let (mut lo, mut hi) = (1, units.len());
    let mut best = None;
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let text = render(report, &full.without(&units[..mid]))?;
        if text.len() <= limit {
            best = Some(text);
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    match best {
        Some(text) => Ok(text),
        None => minimal(report, limit, place),
    }
}

/// The title and a notice, for when not even the summary fits (only with a
/// budget near [`MIN_LIMIT`] and a very long title or hundreds of crates).
fn minimal(report: &Report, limit: usize, place: &str) -> Result<String, fmt::Error> {
    let mut s = String::new();
    writeln!(s, "{MARKER}")?;
    title(report, &mut s)?;
    writeln!(
        s,
        "The report does not fit in {limit} bytes. The full report: {place}."
    )?;
    Ok(s)
}

/// Every contract outcome of a crate's rule hits, in report order.
fn outcomes(c: &CrateReport) -> impl Iterator<Item = &crate::gate::ContractOutcome> {
    c.rules.iter().flat_map(|h| &h.contracts)
}

/// Whether a contract's output goes in the report: it did not pass and
/// left some (a passing contract's output is not kept).
fn shows_output(o: &crate::gate::ContractOutcome) -> bool {
    use crate::gate::ContractState;
    !matches!(o.status, ContractState::Passed | ContractState::NotRun)
        && !o.output_tail.trim().is_empty()
}

/// Lines of a contract's output shown, from its end.
const OUTPUT_LINES: usize = 30;

/// How much a crate matters to a reviewer; the least important are cut first.
fn importance(c: &CrateReport) -> u8 {
    if c.blocks() {
        3
    } else if needs_attention(c) {
        2
    } else if !c.changes.is_empty() || !c.behavior.is_empty() || !c.manifest.is_empty() {
        1
    } else {
        0
    }
}

/// Not blocking, but worth a look: a major-level API change, an effect
/// (spawn, I/O, process, environment) added or removed, a high-severity
/// manifest finding.
fn needs_attention(c: &CrateReport) -> bool {
    c.changes.iter().any(|ch| ch.required == Level::Major)
        || !c.rules.is_empty()
        || c.behavior.iter().any(has_effects)
        || c.manifest.iter().any(|m| m.severity == Severity::High)
}

fn has_effects(b: &BehaviorChange) -> bool {
    !b.effects_added.is_empty() || !b.effects_removed.is_empty()
}

/// Whether a crate has anything to say beyond its table row.
fn has_details(c: &CrateReport) -> bool {
    !(c.changes.is_empty()
        && c.rules.is_empty()
        && c.behavior.is_empty()
        && c.manifest.is_empty()
        && c.problems.is_empty()
        && c.notes.is_empty()
        && c.yanked.is_empty()
        && c.analysis.reason.is_none()
        && c.analysis.status == AnalysisStatus::NotApplicable)
}

/// Which findings of a crate that blocks triggered one of its blocking
/// rules: they are what a reviewer must see, so they are kept longest.
/// All `false` for a crate that does not block.
struct Triggers {
    api: Vec<bool>,
    behavior: Vec<bool>,
}

impl Triggers {
    fn of(c: &CrateReport) -> Triggers {
        let blocking: Vec<&crate::rules::Evidence> = if c.blocks() {
            c.rules
                .iter()
                .filter(|h| h.blocks)
                .flat_map(|h| &h.evidence)
                .collect()
        } else {
            Vec::new()
        };
        let hit = |kind: &str, code: &str, subject: &str| {
            blocking
                .iter()
                .any(|e| e.kind == kind && e.code == code && e.subject == subject)
        };
        Triggers {
            api: c
                .changes
                .iter()
                .map(|ch| hit("api", ch.code, &ch.path))
                .collect(),
            behavior: c
                .behavior
                .iter()
                .map(|b| hit("behavior", b.code, &b.item))
                .collect(),
        }
    }
}

/// Every piece that may be cut, in the order to cut them. Importance comes
/// first: crates are taken in groups of equal [`importance`], least
/// important first, and within a group kind by kind (see [`Cut`]), so a
/// crate that only needs a look loses its extras before a crate that
/// blocks loses any. Then whole sections of crates that do not block. What
/// makes a crate block goes last: the diffs and findings that triggered its
/// rules, its violations, its rules' evidence and call sites beyond the
/// first ten, then its section. Each list is cut from its end (lists are
/// sorted most important first).
fn units(report: &Report) -> Vec<Unit> {
    let mut order: Vec<usize> = (0..report.crates.len()).collect();
    order.sort_by_key(|&i| (importance(&report.crates[i]), std::cmp::Reverse(i)));
    let triggers: Vec<Triggers> = report.crates.iter().map(Triggers::of).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in &order {
        match groups.last_mut() {
            Some(g) if importance(&report.crates[g[0]]) == importance(&report.crates[i]) => {
                g.push(i)
            }
            _ => groups.push(vec![i]),
        }
    }
    let blocks = |k: usize| report.crates[k].blocks();
    let mut units = Vec::new();
    // The output of contracts that did not pass.
    let outputs = |k: usize, units: &mut Vec<Unit>| {
        let shown: Vec<bool> = outcomes(&report.crates[k]).map(shows_output).collect();
        for i in (0..shown.len()).rev().filter(|&i| shown[i]) {
            units.push(Unit::Output { krate: k, item: i });
        }
    };

    // The extras, group by group.
    for group in &groups {
        for public in [false, true] {
            for &k in group {
                let c = &report.crates[k];
                for (i, b) in c.behavior.iter().enumerate().rev() {
                    if b.diff.is_some() && b.public == public && !triggers[k].behavior[i] {
                        units.push(Unit::Diff { krate: k, item: i });
                    }
                }
            }
        }
        for &k in group {
            let c = &report.crates[k];
            let plain: Vec<usize> = (0..c.changes.len())
                .filter(|&i| !c.changes[i].violation)
                .collect();
            for &i in plain.iter().skip(KEEP_API).rev() {
                if !triggers[k].api[i] {
                    units.push(Unit::Api { krate: k, item: i });
                }
            }
        }
        for &k in group {
            let c = &report.crates[k];
            for i in (KEEP_BEHAVIOR..c.behavior.len()).rev() {
                if !triggers[k].behavior[i] {
                    units.push(Unit::Behavior { krate: k, item: i });
                }
            }
        }
        for &k in group {
            let c = &report.crates[k];
            for i in (KEEP_LINES..c.notes.len()).rev() {
                units.push(Unit::Note { krate: k, item: i });
            }
            for i in (KEEP_LINES..c.problems.len()).rev() {
                units.push(Unit::Problem { krate: k, item: i });
            }
        }
    }
    for i in (KEEP_LINES..report.notes.len()).rev() {
        units.push(Unit::RunNote(i));
    }
    for &k in order.iter().filter(|&&k| !blocks(k)) {
        outputs(k, &mut units);
    }
    let violations = |k: usize, units: &mut Vec<Unit>| {
        let c = &report.crates[k];
        let violating: Vec<usize> = (0..c.changes.len())
            .filter(|&i| c.changes[i].violation)
            .collect();
        for &i in violating.iter().skip(KEEP_API).rev() {
            units.push(Unit::Api { krate: k, item: i });
        }
    };
    // Crates that do not block: violations a policy only warns about, then
    // whole sections.
    for &k in order.iter().filter(|&&k| !blocks(k)) {
        violations(k, &mut units);
    }
    for &k in order.iter().filter(|&&k| !blocks(k)) {
        if has_details(&report.crates[k]) {
            units.push(Unit::Details(k));
        }
    }
    // What blocks.
    let blocking: Vec<usize> = order.iter().copied().filter(|&k| blocks(k)).collect();
    for &k in &blocking {
        let c = &report.crates[k];
        for (i, b) in c.behavior.iter().enumerate().rev() {
            if b.diff.is_some() && triggers[k].behavior[i] {
                units.push(Unit::Diff { krate: k, item: i });
            }
        }
    }
    for &k in &blocking {
        let c = &report.crates[k];
        for i in (KEEP_BEHAVIOR..c.behavior.len()).rev() {
            if triggers[k].behavior[i] {
                units.push(Unit::Behavior { krate: k, item: i });
            }
        }
        let plain: Vec<usize> = (0..c.changes.len())
            .filter(|&i| !c.changes[i].violation)
            .collect();
        for &i in plain.iter().skip(KEEP_API).rev() {
            if triggers[k].api[i] {
                units.push(Unit::Api { krate: k, item: i });
            }
        }
    }
    for &k in &blocking {
        violations(k, &mut units);
    }
    for &k in &blocking {
        outputs(k, &mut units);
    }
    for &k in &order {
        for (h, hit) in report.crates[k].rules.iter().enumerate() {
            for i in (KEEP_API..hit.evidence.len()).rev() {
                units.push(Unit::Evidence {
                    krate: k,
                    hit: h,
                    item: i,
                });
            }
            for i in (KEEP_API..hit.call_sites.len()).rev() {
                units.push(Unit::CallSite {
                    krate: k,
                    hit: h,
                    item: i,
                });
            }
        }
    }
    for &k in &blocking {
        if has_details(&report.crates[k]) {
            units.push(Unit::Details(k));
        }
    }
    for &k in &order {
        units.push(Unit::Row(k));
    }
    for i in (0..report.verdict.reasons.len()).rev() {
        units.push(Unit::Reason(i));
    }
    units
}

fn verdict_icon(status: VerdictStatus) -> &'static str {
    match status {
        VerdictStatus::Pass => "✅",
        VerdictStatus::Blocked => "❌",
        VerdictStatus::Error => "⚠️",
    }
}

fn crate_icon(c: &CrateReport) -> &'static str {
    if c.blocks() {
        "❌"
    } else if needs_attention(c) {
        "⚠️"
    } else {
        "✅"
    }
}

/// An audit says what `check` would decide; it decides nothing itself.
fn is_audit(report: &Report) -> bool {
    report.command == "audit"
}

fn title(report: &Report, s: &mut String) -> fmt::Result {
    let status = report.verdict.status;
    if is_audit(report) {
        let outlook = crate::report::check_outlook(report);
        let (icon, verdict) = match outlook {
            // No contract ran: a change blocked only by them is open.
            crate::report::CheckOutlook::DependsOnContracts { .. } => ("⚠️", outlook.word()),
            _ => (
                verdict_icon(status),
                match status {
                    VerdictStatus::Pass => "would pass",
                    VerdictStatus::Blocked => "would block",
                    VerdictStatus::Error => "error",
                },
            ),
        };
        write!(s, "## {icon} bumpguard audit: {verdict}")?;
    } else {
        write!(s, "## {} bumpguard: {status}", verdict_icon(status))?;
    }
    if !report.base.is_empty() || !report.head.is_empty() {
        write!(
            s,
            " · {} → {}",
            code_span(&shorten(&report.base, LABEL_MAX)),
            code_span(&shorten(&report.head, LABEL_MAX))
        )?;
    }
    writeln!(s)?;
    writeln!(s)
}

fn render(report: &Report, plan: &Plan) -> Result<String, fmt::Error> {
    let mut s = String::new();
    writeln!(s, "{MARKER}")?;
    title(report, &mut s)?;
    counts(report, &mut s)?;
    reasons(report, plan, &mut s)?;
    table(report, plan, &mut s)?;
    for (c, p) in report.crates.iter().zip(&plan.crates) {
        if p.details {
            details(c, p, &mut s)?;
        }
    }
    stale_acceptances(report, &mut s)?;
    let notes: Vec<&String> = report
        .notes
        .iter()
        .zip(&plan.run_notes)
        .filter(|(_, keep)| **keep)
        .map(|(n, _)| n)
        .collect();
    if !notes.is_empty() {
        writeln!(s, "### Notes")?;
        writeln!(s)?;
        for n in &notes {
            writeln!(s, "- {}", inline(n))?;
        }
        more_line(&mut s, report.notes.len() - notes.len(), "note")?;
        writeln!(s)?;
    }
    let cut = plan.cut_counts(report);
    if cut.iter().any(|n| *n > 0) {
        notice(plan.limit, &plan.place, &cut, &mut s)?;
    }
    writeln!(
        s,
        "<sub>{} {}</sub>",
        escape_html(&report.tool),
        escape_html(&report.command)
    )?;
    Ok(s)
}

/// Acceptances in the configuration that matched nothing: where each is
/// written and why it is stale. Never cut (there are few, and each needs a
/// person).
fn stale_acceptances(report: &Report, s: &mut String) -> fmt::Result {
    if report.stale_acceptances.is_empty() {
        return Ok(());
    }
    writeln!(s, "### Stale acceptances")?;
    writeln!(s)?;
    for a in &report.stale_acceptances {
        writeln!(
            s,
            "- {} ({}, {} {} → {}, {}): {}",
            code_span(&a.finding),
            code_span(&a.at),
            escape_text(&a.krate),
            escape_text(&a.old),
            escape_text(&a.new),
            code_span(&a.code),
            inline(&a.why)
        )?;
    }
    writeln!(s)
}

fn counts(report: &Report, s: &mut String) -> fmt::Result {
    if report.crates.is_empty() {
        if report.verdict.status != VerdictStatus::Error {
            writeln!(
                s,
                "No dependency changes: Cargo.lock is the same at both revisions."
            )?;
            writeln!(s)?;
        }
        return Ok(());
    }
    let n = report.crates.len();
    let count = |k: ChangeKind| report.crates.iter().filter(|c| c.change == k).count();
    let parts: Vec<String> = [
        (ChangeKind::Updated, "updated"),
        (ChangeKind::SourceChanged, "source changed"),
        (ChangeKind::Added, "added"),
        (ChangeKind::Removed, "removed"),
    ]
    .into_iter()
    .filter_map(|(k, word)| match count(k) {
        0 => None,
        m => Some(format!("{m} {word}")),
    })
    .collect();
    writeln!(s, "{n} package change{}: {}.", plural(n), parts.join(", "))?;
    writeln!(s)
}

fn reasons(report: &Report, plan: &Plan, s: &mut String) -> fmt::Result {
    let lead = match report.verdict.status {
        VerdictStatus::Pass => {
            let text = if is_audit(report) {
                "Nothing would block `bumpguard check`."
            } else {
                "Nothing blocks."
            };
            writeln!(s, "{text}")?;
            writeln!(s)?;
            return Ok(());
        }
        VerdictStatus::Blocked if is_audit(report) => "**`bumpguard check` would block because:**",
        VerdictStatus::Blocked => "**Blocked because:**",
        VerdictStatus::Error => "**bumpguard could not do its whole job:**",
    };
    let outlook = crate::report::check_outlook(report);
    match outlook {
        crate::report::CheckOutlook::DependsOnContracts { .. } if is_audit(report) => writeln!(
            s,
            "**Verdict of `bumpguard check`:** {}",
            inline(&outlook.summary())
        )?,
        _ => writeln!(s, "{lead}")?,
    }
    writeln!(s)?;
    let mut hidden = 0;
    for (r, keep) in report.verdict.reasons.iter().zip(&plan.reasons) {
        if *keep {
            writeln!(s, "- {}", inline(r))?;
        } else {
            hidden += 1;
        }
    }
    more_line(s, hidden, "reason")?;
    writeln!(s)
}

/// `- … and N more <what>s (left out to fit)`, when N > 0.
fn more_line(s: &mut String, hidden: usize, what: &str) -> fmt::Result {
    if hidden > 0 {
        writeln!(
            s,
            "- … and {hidden} more {what}{} (left out to fit; see the note at the end)",
            plural(hidden)
        )?;
    }
    Ok(())
}

const TABLE_HEAD: &str = "| Verdict | Crate | Version | Bump | Dependency | API changes | Behaviour changes | Manifest changes | Critical rules | Contracts | Analysis |\n|---|---|---|---|---|---|---|---|---|---|---|\n";

fn table(report: &Report, plan: &Plan, s: &mut String) -> fmt::Result {
    if report.crates.is_empty() {
        return Ok(());
    }
    s.push_str(TABLE_HEAD);
    let mut hidden = 0;
    for (c, p) in report.crates.iter().zip(&plan.crates) {
        if !p.row {
            hidden += 1;
            continue;
        }
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            verdict_cell(c),
            escape_text(&c.name),
            escape_text(&versions(c)),
            escape_text(&bump_cell(c)),
            reach_cell(report, c),
            api_cell(c),
            behavior_cell(c),
            manifest_cell(c),
            rules_cell(c),
            contracts_cell(c),
            analysis_cell(c),
        )?;
    }
    if hidden > 0 {
        writeln!(
            s,
            "| | … and {hidden} more crate{} (left out to fit) | | | | | | | | | |",
            plural(hidden)
        )?;
    }
    writeln!(s)
}

/// An empty table cell: nothing to say, or not known.
const EMPTY: &str = "–";

fn rules_cell(c: &CrateReport) -> String {
    if c.rules.is_empty() {
        return EMPTY.to_string();
    }
    c.rules
        .iter()
        .map(|h| {
            let mark = if h.blocks { "⛔ " } else { "" };
            format!("{mark}{}", code_span(&h.rule))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn contracts_cell(c: &CrateReport) -> String {
    use crate::gate::{ContractState, HitStatus};
    if c.rules.is_empty() {
        return EMPTY.to_string();
    }
    let mut parts = Vec::new();
    for h in &c.rules {
        let text = match h.status {
            HitStatus::Accepted => "accepted".to_string(),
            HitStatus::NoContract => "**missing**".to_string(),
            HitStatus::Reported if h.contracts.is_empty() => "not required".to_string(),
            _ => {
                let passed = h
                    .contracts
                    .iter()
                    .filter(|o| o.status == ContractState::Passed)
                    .count();
                let not_run = h
                    .contracts
                    .iter()
                    .filter(|o| o.status == ContractState::NotRun)
                    .count();
                let failing = h.contracts.len() - passed - not_run;
                let mut t = Vec::new();
                if passed > 0 {
                    t.push(format!("{passed} passed"));
                }
                if failing > 0 {
                    t.push(format!("**{failing} failing**"));
                }
                if not_run > 0 {
                    t.push(format!("{not_run} not run"));
                }
                t.join(", ")
            }
        };
        parts.push(text);
    }
    parts.join("; ")
}

fn versions(c: &CrateReport) -> String {
    match (&c.old_version, &c.new_version) {
        (Some(o), Some(n)) if o == n => o.clone(),
        (Some(o), Some(n)) => format!("{o} → {n}"),
        (Some(o), None) => o.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

fn bump_cell(c: &CrateReport) -> String {
    match c.change {
        ChangeKind::Updated => match (c.bump, c.allows) {
            (Some(BumpKind::Downgrade), _) => "downgrade".to_string(),
            (Some(k), Some(a)) => format!("{k}, allows {a}"),
            (Some(k), None) => k.to_string(),
            (None, _) => "updated".to_string(),
        },
        ChangeKind::SourceChanged => "source changed".to_string(),
        ChangeKind::Added => "added".to_string(),
        ChangeKind::Removed => "removed".to_string(),
    }
}

/// `path` packages are the workspace's own code, not a dependency.
fn own_code(c: &CrateReport) -> bool {
    c.old_source.as_deref() == Some("path") || c.new_source.as_deref() == Some("path")
}

/// Direct or transitive; `own code` for the workspace's path packages in
/// `check`. `diff` has no consumer, so nothing to say there.
fn reach_cell(report: &Report, c: &CrateReport) -> &'static str {
    match c.direct {
        _ if report.command == "diff" => EMPTY,
        _ if own_code(c) => "own code",
        Some(true) => "direct",
        Some(false) => "transitive",
        None => EMPTY,
    }
}

/// The crate's verdict, labelled: what blocks, what only warns, what is fine.
fn verdict_cell(c: &CrateReport) -> &'static str {
    if c.blocks() {
        "❌ blocks"
    } else if needs_attention(c) {
        "⚠️ warns"
    } else {
        "✅ ok"
    }
}

fn analysed(c: &CrateReport) -> bool {
    matches!(
        c.analysis.status,
        AnalysisStatus::Analysed | AnalysisStatus::Partial
    )
}

fn api_cell(c: &CrateReport) -> String {
    match (analysed(c), c.changes.len(), c.violations) {
        (false, 0, _) => EMPTY.to_string(),
        (_, 0, _) => "none".to_string(),
        (_, n, 0) => n.to_string(),
        (_, n, v) => format!("{n}, **{v} violation{}**", plural(v)),
    }
}

fn behavior_cell(c: &CrateReport) -> String {
    let public = c.behavior.iter().filter(|b| b.public).count();
    match (analysed(c), c.behavior.len()) {
        (false, 0) => EMPTY.to_string(),
        (_, 0) => "none".to_string(),
        (_, n) => format!("{n} ({public} public)"),
    }
}

fn manifest_cell(c: &CrateReport) -> String {
    let high = c
        .manifest
        .iter()
        .filter(|m| m.severity == Severity::High)
        .count();
    match (analysed(c), c.manifest.len(), high) {
        (false, 0, _) => EMPTY.to_string(),
        (_, 0, _) => "none".to_string(),
        (_, n, 0) => n.to_string(),
        (_, n, h) => format!("{n}, **{h} high**"),
    }
}

fn analysis_cell(c: &CrateReport) -> &'static str {
    match c.analysis.status {
        AnalysisStatus::Analysed => "analysed",
        AnalysisStatus::Partial => "**partial**",
        AnalysisStatus::Unsupported => "**unsupported**",
        AnalysisStatus::Failed => "**failed**",
        AnalysisStatus::NotApplicable => "n/a",
    }
}

/// One crate's collapsible section; open when the crate blocks, so the
/// reason is in sight without a click.
fn details(c: &CrateReport, p: &CratePlan, s: &mut String) -> fmt::Result {
    let open = if c.blocks() { " open" } else { "" };
    writeln!(s, "<details{open}>")?;
    writeln!(
        s,
        "<summary>{} <b>{}</b> {} · {}</summary>",
        crate_icon(c),
        escape_html(&c.name),
        escape_html(&versions(c)),
        escape_html(&headline(c))
    )?;
    writeln!(s)?;
    facts(c, s)?;
    rules_section(c, p, s)?;
    api_section(c, p, s)?;
    behavior_section(c, p, s)?;
    manifest_section(c, s)?;
    lines_section(s, "Problems", &c.problems, &p.problems)?;
    lines_section(s, "Notes", &c.notes, &p.notes)?;
    writeln!(s, "</details>")?;
    writeln!(s)
}

/// The crate's state in a few words, for the `<summary>` line.
fn headline(c: &CrateReport) -> String {
    match c.analysis.status {
        AnalysisStatus::Failed => return "could not be analysed".to_string(),
        AnalysisStatus::Unsupported => return "not analysed".to_string(),
        _ => {}
    }
    let mut parts = Vec::new();
    if c.violations > 0 {
        parts.push(format!(
            "{} semver violation{}",
            c.violations,
            plural(c.violations)
        ));
    } else if !c.changes.is_empty() {
        parts.push(format!(
            "{} API change{}",
            c.changes.len(),
            plural(c.changes.len())
        ));
    }
    if !c.behavior.is_empty() {
        parts.push(format!(
            "{} behaviour change{}",
            c.behavior.len(),
            plural(c.behavior.len())
        ));
    }
    if !c.manifest.is_empty() {
        parts.push(format!(
            "{} manifest change{}",
            c.manifest.len(),
            plural(c.manifest.len())
        ));
    }
    if c.analysis.status == AnalysisStatus::Partial {
        parts.push("analysis incomplete".to_string());
    }
    if parts.is_empty() {
        match c.change {
            ChangeKind::Added => "added".to_string(),
            ChangeKind::Removed => "removed".to_string(),
            _ => "no changes found".to_string(),
        }
    } else {
        parts.join(", ")
    }
}

/// Where the crate sits: lockfile, dependency chain, source, features, yanked, why not analysed.
fn facts(c: &CrateReport, s: &mut String) -> fmt::Result {
    let mut facts = Vec::new();
    if let Some(l) = &c.lockfile {
        facts.push(format!("in {}", code_span(l)));
    }
    if !own_code(c) && c.direct == Some(false) && c.chain.len() > 1 {
        let chain: Vec<String> = c.chain.iter().map(|x| code_span(x)).collect();
        facts.push(format!("transitive via {}", chain.join(" › ")));
    }
    match (&c.old_source, &c.new_source) {
        (Some(o), Some(n)) if o != n => {
            facts.push(format!("source: {} → {}", code_span(o), code_span(n)))
        }
        (_, Some(x)) | (Some(x), None) => facts.push(format!("source: {}", code_span(x))),
        (None, None) => {}
    }
    if !c.features.is_empty() {
        let f: Vec<String> = c.features.iter().map(|x| code_span(x)).collect();
        facts.push(format!("features you enable: {}", f.join(", ")));
    }
    if !facts.is_empty() {
        writeln!(s, "{}", facts.join(" · "))?;
        writeln!(s)?;
    }
    for v in &c.yanked {
        writeln!(
            s,
            "⚠️ {} {} is yanked on crates.io (analysed all the same).",
            escape_text(&c.name),
            escape_text(v)
        )?;
        writeln!(s)?;
    }
    if let Some(r) = &c.analysis.reason {
        let lead = match c.analysis.status {
            AnalysisStatus::Failed => "Could not be analysed",
            AnalysisStatus::Unsupported => "Not analysed",
            _ => "Analysis",
        };
        writeln!(s, "**{lead}:** {}", inline(r))?;
        writeln!(s)?;
    }
    Ok(())
}

fn api_section(c: &CrateReport, p: &CratePlan, s: &mut String) -> fmt::Result {
    if !analysed(c) && c.changes.is_empty() {
        return Ok(());
    }
    if c.changes.is_empty() {
        writeln!(s, "**Public API:** no changes.")?;
        writeln!(s)?;
        return Ok(());
    }
    let n = c.changes.len();
    let required = c.required.map(|l| l.to_string()).unwrap_or_default();
    if c.violations > 0 {
        let allowed = match (c.bump, c.allows) {
            (Some(b), Some(a)) => format!(" (this {b} bump allows {a} changes)"),
            _ => String::new(),
        };
        writeln!(
            s,
            "**Public API:** {n} change{}, **{} semver violation{}**: needs a {required} bump{allowed}.",
            plural(n),
            c.violations,
            plural(c.violations),
        )?;
    } else {
        writeln!(
            s,
            "**Public API:** {n} change{}; the largest needs a {required} bump.",
            plural(n)
        )?;
    }
    writeln!(s)?;
    let mut hidden = 0;
    for (ch, keep) in c.changes.iter().zip(&p.api) {
        if *keep {
            api_change(ch, s)?;
        } else {
            hidden += 1;
        }
    }
    more_line(s, hidden, "API change")?;
    blank_line(s);
    Ok(())
}

fn api_change(ch: &ApiChange, s: &mut String) -> fmt::Result {
    let mark = if ch.violation { "❌ " } else { "" };
    let level = if ch.possibly_breaking {
        format!("{}?", ch.required)
    } else {
        ch.required.to_string()
    };
    write!(
        s,
        "- {mark}**{level}** {} {}",
        code_span(ch.code),
        code_span(&ch.path)
    )?;
    if let Some(cfg) = &ch.cfg
        && ch.code != "cfg-changed"
    {
        write!(s, " (when {})", code_span(&shorten(cfg, SIGNATURE_MAX)))?;
    }
    // A backslash at the end of a line is a hard line break.
    writeln!(s, "\\")?;
    writeln!(s, "  {}", inline(&ch.message))?;
    if ch.old.is_some() || ch.new.is_some() {
        let mut body = String::new();
        for (sign, sig) in [("-", &ch.old), ("+", &ch.new)] {
            if let Some(sig) = sig {
                for line in shorten(sig, SIGNATURE_MAX).lines() {
                    body.push_str(sign);
                    body.push(' ');
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
        writeln!(s)?;
        fenced(s, "diff", &body, "  ")?;
    }
    Ok(())
}

fn behavior_section(c: &CrateReport, p: &CratePlan, s: &mut String) -> fmt::Result {
    if c.behavior.is_empty() {
        if c.analysis.status == AnalysisStatus::Analysed {
            writeln!(
                s,
                "**Behaviour:** no function bodies, constants or defaults changed."
            )?;
            writeln!(s)?;
        }
        return Ok(());
    }
    let n = c.behavior.len();
    let public = c.behavior.iter().filter(|b| b.public).count();
    writeln!(
        s,
        "**Behaviour:** {n} change{} ({public} on public items).",
        plural(n)
    )?;
    writeln!(s)?;
    let mut hidden = 0;
    for ((b, keep), diff) in c.behavior.iter().zip(&p.behavior).zip(&p.diff) {
        if *keep {
            behavior_finding(b, *diff, s)?;
        } else {
            hidden += 1;
        }
    }
    more_line(s, hidden, "behaviour finding")?;
    blank_line(s);
    Ok(())
}

fn behavior_finding(b: &BehaviorChange, with_diff: bool, s: &mut String) -> fmt::Result {
    let mark = if has_effects(b) { "⚠️ " } else { "" };
    let visibility = if b.public { "public" } else { "private" };
    // The behaviour diff marks private items in their name; said once here.
    let item = b.item.strip_suffix(" (private)").unwrap_or(&b.item);
    write!(
        s,
        "- {mark}{} {} ({visibility}",
        code_span(b.code),
        code_span(item)
    )?;
    if let Some(f) = &b.file {
        write!(s, ", in {}", code_span(f))?;
    }
    writeln!(s, ")\\")?;
    writeln!(s, "  {}", inline(&b.summary))?;
    if with_diff && let Some(d) = &b.diff {
        writeln!(s)?;
        fenced(s, "diff", d, "  ")?;
    }
    Ok(())
}

/// Triggered rules, their evidence, contracts (with the output of those
/// that did not pass), call sites and what to do. Evidence lines and call
/// sites beyond the first ten are the last things cut, and only when the
/// budget asks.
fn rules_section(c: &CrateReport, p: &CratePlan, s: &mut String) -> fmt::Result {
    let mut outcome = 0;
    use crate::gate::ContractState;
    for (k, h) in c.rules.iter().enumerate() {
        let lead = match (h.blocks, h.severity) {
            (true, _) => "⛔ Critical rule",
            (false, crate::rules::RuleSeverity::Critical) => "Critical rule",
            (false, crate::rules::RuleSeverity::Warning) => "Rule (warning)",
        };
        writeln!(
            s,
            "**{lead} {}** ({}) · finding {}: {}",
            code_span(&h.rule),
            escape_text(&h.origin),
            code_span(&h.finding),
            inline(&h.reason)
        )?;
        writeln!(s)?;
        if let Some(r) = &h.reference {
            writeln!(s, "Reference: {}", link(r))?;
            writeln!(s)?;
        }
        let mut hidden = 0;
        for (e, keep) in h.evidence.iter().zip(&p.evidence[k]) {
            if *keep {
                // The summary of an API change ends with its code, already shown.
                let summary = e
                    .summary
                    .strip_suffix(&format!(" ({})", e.code))
                    .unwrap_or(&e.summary);
                writeln!(s, "- {} {}", code_span(&e.code), inline(summary))?;
            } else {
                hidden += 1;
            }
        }
        more_line(s, hidden, "change")?;
        for o in &h.contracts {
            let state = match o.status {
                ContractState::Passed => "✅ passed".to_string(),
                ContractState::NotRun => "not run".to_string(),
                _ => format!("❌ {}", o.label()),
            };
            let dir = if o.dir.is_empty() {
                String::new()
            } else {
                format!(" in {}", code_span(&o.dir))
            };
            writeln!(
                s,
                "- contract {}{dir} ({}): {state}",
                code_span(&o.command),
                escape_text(&o.at)
            )?;
            if !o.failed_tests.is_empty() {
                writeln!(s, "  - failed: {}", inline(&o.failed_tests.join(", ")))?;
            }
            if let Some(d) = &o.detail {
                writeln!(s, "  - {}", inline(d))?;
            }
            if p.outputs.get(outcome).copied().unwrap_or(false) {
                let lines: Vec<&str> = o.output_tail.trim_matches('\n').lines().collect();
                let from = lines.len().saturating_sub(OUTPUT_LINES);
                let cut = if from > 0 {
                    format!(", its last {OUTPUT_LINES} lines")
                } else {
                    String::new()
                };
                writeln!(s, "  - output{cut}:")?;
                blank_line(s);
                fenced(s, "text", &lines[from..].join("\n"), "    ")?;
            }
            outcome += 1;
        }
        if !h.call_sites.is_empty() {
            let sites: Vec<String> = h
                .call_sites
                .iter()
                .zip(&p.call_sites[k])
                .filter(|(_, keep)| **keep)
                .map(|(c, _)| code_span(&format!("{}:{}", c.file, c.line)))
                .collect();
            let hidden = h.call_sites.len() - sites.len();
            let more = if hidden > 0 {
                format!(" and {hidden} more (left out to fit; see the note at the end)")
            } else {
                String::new()
            };
            writeln!(s, "- your code reaching it: {}{more}", sites.join(", "))?;
        }
        writeln!(s)?;
        writeln!(s, "Next: {}", inline(&h.next))?;
        writeln!(s)?;
        if let Some(sug) = &h.suggestion {
            fenced(s, "toml", &sug.binding, "")?;
            fenced(s, "rust", &sug.test, "")?;
        }
    }
    Ok(())
}

fn manifest_section(c: &CrateReport, s: &mut String) -> fmt::Result {
    if c.manifest.is_empty() {
        return Ok(());
    }
    let n = c.manifest.len();
    writeln!(s, "**Manifest and package:** {n} change{}.", plural(n))?;
    writeln!(s)?;
    for m in &c.manifest {
        let severity = match m.severity {
            Severity::High => "**high**".to_string(),
            other => other.to_string(),
        };
        writeln!(
            s,
            "- {severity} {} {}: {}",
            code_span(m.code),
            code_span(&m.subject),
            inline(&m.message)
        )?;
    }
    writeln!(s)
}

fn lines_section(s: &mut String, lead: &str, lines: &[String], keep: &[bool]) -> fmt::Result {
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(s, "**{lead}:**")?;
    writeln!(s)?;
    let mut hidden = 0;
    for (l, k) in lines.iter().zip(keep) {
        if *k {
            writeln!(s, "- {}", inline(l))?;
        } else {
            hidden += 1;
        }
    }
    more_line(s, hidden, "line")?;
    writeln!(s)
}

fn notice(limit: usize, place: &str, cut: &[usize; CUTS.len()], s: &mut String) -> fmt::Result {
    let parts: Vec<String> = CUTS
        .iter()
        .zip(cut.iter().copied())
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| c.describe(n))
        .collect();
    writeln!(s, "---")?;
    writeln!(s)?;
    writeln!(
        s,
        "**Shortened to fit {} bytes.** Left out: {}. The full report: {place}.",
        limit,
        parts.join("; ")
    )?;
    writeln!(s)
}

/// `text` cut to `max` characters, marked with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max).collect();
    cut.push('…');
    cut
}

/// Escapes text for a Markdown paragraph, list item or table cell: what
/// would start markup (emphasis, links, code, HTML, headings, lists) is
/// backslash-escaped or written as an entity, `|` so it cannot end a table
/// cell, and line breaks become spaces so a cell or list item stays one line.
/// A URL as an autolink (`<https://...>`), which needs no escaping; any
/// other text as escaped text.
fn link(text: &str) -> String {
    let url = text.trim();
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>');
    if plain {
        format!("<{url}>")
    } else {
        inline(text)
    }
}

pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push(' ');
                }
            }
            '\n' => out.push(' '),
            // A list marker, a quote or a setext underline only counts at the start.
            '-' | '+' | '=' | '>' if at_start => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
        at_start = false;
    }
    // `1. text` and `1) text` would start an ordered list (`1.2.0` would not).
    let digits = out.chars().take_while(|c| c.is_ascii_digit()).count();
    let mut rest = out[digits..].chars();
    if digits > 0
        && matches!(rest.next(), Some('.' | ')'))
        && matches!(rest.next(), None | Some(' ' | '\t'))
    {
        out.insert(digits, '\\');
    }
    out
}

/// Inline code: a fence one backtick longer than any run inside, padded
/// when the content starts or ends with a backtick or a space (CommonMark
/// strips one space on each side), `|` escaped because GitHub splits table
/// cells on it even inside code, line breaks as spaces.
pub fn code_span(text: &str) -> String {
    let text = text.replace("\r\n", " ").replace(['\n', '\r'], " ");
    if text.is_empty() {
        return "(empty)".to_string();
    }
    let ticks = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('|', "\\|"))
}

/// Text that may hold `code spans` of its own (messages name items in
/// backticks): the spans are kept as code, the rest escaped. With an odd
/// number of backticks, all of it is escaped.
fn inline(text: &str) -> String {
    let text = shorten(text, TEXT_MAX);
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escape_text(&text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| match (i % 2, part.is_empty()) {
            (0, _) => escape_text(part),
            (_, true) => String::new(),
            _ => code_span(part),
        })
        .collect()
}

/// Escapes text for HTML (inside `<summary>`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// A fenced code block, each line prefixed with `indent` (to sit inside a
/// list item). The fence is longer than any backtick run in the body, so no
/// line of a diff can close it early.
fn fenced(s: &mut String, lang: &str, body: &str, indent: &str) -> fmt::Result {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    writeln!(s, "{indent}{fence}{lang}")?;
    for line in body.lines() {
        if line.is_empty() {
            writeln!(s)?;
        } else {
            writeln!(s, "{indent}{line}")?;
        }
    }
    writeln!(s, "{indent}{fence}")?;
    blank_line(s);
    Ok(())
}

/// Ends the current block with one blank line, not two.
fn blank_line(s: &mut String) {
    if !s.ends_with("\n\n") {
        s.push('\n');
    }
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_cannot_break_the_row() {
        assert_eq!(escape_text("a|b"), "a\\|b");
        assert_eq!(escape_text("one\ntwo\r\nthree"), "one two three");
        assert_eq!(escape_text("Vec<u8> & co"), "Vec&lt;u8> &amp; co");
        assert_eq!(escape_text("> quote"), "\\> quote");
        assert_eq!(escape_text("`x`"), "\\`x\\`");
        assert_eq!(
            escape_text("*a* _b_ [c](d) ~e~"),
            "\\*a\\* \\_b\\_ \\[c\\](d) \\~e\\~"
        );
        assert_eq!(escape_text("back\\slash"), "back\\\\slash");
    }

    #[test]
    fn text_cannot_start_a_block() {
        assert_eq!(escape_text("# title"), "\\# title");
        assert_eq!(escape_text("- item"), "\\- item");
        assert_eq!(escape_text("1. item"), "1\\. item");
        assert_eq!(escape_text("12) item"), "12\\) item");
        assert_eq!(escape_text("1.2.0 → 1.3.0"), "1.2.0 → 1.3.0");
        assert_eq!(escape_text("1."), "1\\.");
        assert_eq!(escape_text("tls-certs 1.4.0"), "tls-certs 1.4.0");
    }

    #[test]
    fn code_spans_hold_backticks_pipes_and_newlines() {
        assert_eq!(code_span("a::b"), "`a::b`");
        assert_eq!(code_span("fn f() -> u8 | x"), "`fn f() -> u8 \\| x`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a"), "`` `a ``");
        assert_eq!(code_span("a\nb"), "`a b`");
        assert_eq!(code_span(""), "(empty)");
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(
            inline("`a::B` removed: <T> gone"),
            "`a::B` removed: &lt;T> gone"
        );
        // An unpaired backtick: everything is escaped.
        assert_eq!(inline("odd ` tick"), "odd \\` tick");
    }

    #[test]
    fn html_is_escaped_in_summaries() {
        assert_eq!(
            escape_html("<details> \"x\" & y"),
            "&lt;details&gt; &quot;x&quot; &amp; y"
        );
    }

    #[test]
    fn fences_are_longer_than_any_backtick_run_inside() {
        let mut s = String::new();
        fenced(&mut s, "diff", "+ let s = \"```\";\n", "  ").unwrap_or(());
        assert_eq!(s, "  ````diff\n  + let s = \"```\";\n  ````\n\n");
    }

    #[test]
    fn hints_are_escaped_text_with_their_addresses_as_links() {
        assert_eq!(
            hint_text("the artifact *x* of https://github.com/o/r_s/actions/runs/1."),
            "the artifact \\*x\\* of <https://github.com/o/r_s/actions/runs/1>."
        );
        assert_eq!(
            hint_text("(https://a.example/b) - [c]"),
            "(<https://a.example/b>) - \\[c\\]"
        );
        // Not an address: quotes or markup inside stay text.
        assert_eq!(
            hint_text("https://a.example/<b>"),
            "https://a.example/&lt;b>"
        );
        assert_eq!(hint_text("- first"), "\\- first");
    }

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
