//! The report as SARIF 2.1.0 (`--format sarif`), the format GitHub code
//! scanning and other static-analysis dashboards read.
//!
//! Another view of the one [`Report`]: every finding becomes a SARIF
//! `result`, every finding code used becomes one `reportingDescriptor` (a
//! "rule") of the tool's driver, with its help text and, where the Cargo book
//! has a section for it, a `helpUri` there. Codes come from four tables:
//! API changes ([`semver_check::RULES`]), behaviour findings
//! ([`behavior::CODES`]), manifest findings ([`manifest_diff::RULES`]),
//! defined here, the analysis outcomes that block on their own (a crate not
//! analysed, analysed incompletely, or that could not be fetched), and the
//! critical-module rules a bump triggered (`rule:<id>`, described from the
//! rule itself).
//!
//! Levels: `error` for semver violations and for what blocks (analyses
//! that are incomplete, unsupported or failed, triggered rules that are
//! neither proven by their contracts nor accepted), `warning` for what
//! deserves a reviewer's look (major-level API changes that do not violate,
//! behaviour findings that add or remove an effect, high-severity manifest
//! findings, warning rules), `note` for the rest. A violation or a rule hit
//! accepted in `bumpguard.toml` carries an `external` suppression with
//! status `accepted`, which code scanning shows as dismissed.
//!
//! Results are located where the pull request changed something: the
//! `version` line of the crate's entry in the head `Cargo.lock`, found by
//! [`report_annotations::location`] (the annotations point at the same line).
//! API and behaviour findings also carry the item's path as a logical
//! location. The structs below are the subset of the SARIF object model
//! bumpguard fills, named and shaped as the schema names them; a test
//! validates the output against the official schema.

use crate::behavior::{self, BehaviorChange};
use crate::config::Gate;
use crate::gate::{HitStatus, RuleHit};
use crate::manifest_diff::{self, ManifestChange, Severity};
use crate::report::PolicySummary;
use crate::report::{AnalysisStatus, CrateReport, Report, VerdictStatus, plural, version_pair};
use crate::report_annotations;
use crate::revision::LockfileText;
use crate::rules::RuleSeverity;
use crate::semver_check::{self, ApiChange};
use crate::versions::Level;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The official schema's URI (OASIS SARIF 2.1.0, errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Name of the partial fingerprint that identifies a finding across runs.
const FINGERPRINT: &str = "bumpguardFinding/v1";

const CARGO_BOOK: &str = "https://doc.rust-lang.org/cargo/reference/";

/// `sarifLog`: the whole file.
#[derive(Debug, Clone, Serialize)]
pub struct SarifLog {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

/// `run`: one invocation of bumpguard and what it found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub invocations: Vec<Invocation>,
    pub results: Vec<SarifResult>,
    /// `command`, `base`, `head`, `verdict`, `reasons`.
    pub properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub driver: ToolComponent,
}

/// `toolComponent`: bumpguard itself, with the rules its results refer to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<ReportingDescriptor>,
}

/// `reportingDescriptor`: one finding code.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// The finding code, as in the JSON report (`item-removed`).
    pub id: String,
    /// The code in PascalCase (`ItemRemoved`), as SARIF suggests for names.
    pub name: String,
    pub short_description: Message,
    pub full_description: Message,
    pub help: MultiformatMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleProperties {
    /// What the code is about: `api`, `behavior`, `manifest` or `analysis`,
    /// then `semver` for API codes.
    pub tags: Vec<String>,
}

/// `reportingConfiguration`.
#[derive(Debug, Clone, Serialize)]
pub struct Configuration {
    pub level: SarifLevel,
}

/// `message` with plain text only.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub text: String,
}

/// `multiformatMessageString`: plain text and Markdown.
#[derive(Debug, Clone, Serialize)]
pub struct MultiformatMessage {
    pub text: String,
    pub markdown: String,
}

/// `result.level` and `reportingConfiguration.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SarifLevel {
    Note,
    Warning,
    Error,
}

/// `invocation`: whether bumpguard could do its job, and run-wide remarks.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
}

/// `notification`: a run-wide note, or why the run failed.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub level: SarifLevel,
    pub message: Message,
}

/// `result`: one finding.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    /// Index of the rule in `tool.driver.rules`.
    pub rule_index: usize,
    pub level: SarifLevel,
    pub message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Set when a person accepted this finding in `bumpguard.toml`.
    /// For a triggered rule: the repository's code that reaches it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    pub partial_fingerprints: BTreeMap<String, String>,
    pub properties: BTreeMap<String, serde_json::Value>,
}

/// `suppression`: an acceptance recorded outside the analysed code.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    /// Always `external`: acceptances live in `bumpguard.toml`.
    pub kind: &'static str,
    /// Always `accepted`.
    pub status: &'static str,
    pub justification: String,
}

/// `location`: the lockfile line, and the item's path when there is one.
/// A related location (a call site) has an `id`, which the result's
/// message links to as `[text](id)` (GitHub shows related locations only
/// when the message links them), and a message of its own.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// `artifactLocation`: a path relative to the repository root.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    pub uri_base_id: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based.
    pub start_line: usize,
}

/// `logicalLocation`: an item of the dependency, by its Rust path.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    pub fully_qualified_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Which table a finding code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Analysis,
    Api,
    Behavior,
    Manifest,
    Rule,
}

impl Category {
    fn tag(self) -> &'static str {
        match self {
            Category::Analysis => "analysis",
            Category::Api => "api",
            Category::Behavior => "behavior",
            Category::Manifest => "manifest",
            Category::Rule => "rule",
        }
    }
}

/// Codes for analysis outcomes that decide the verdict by themselves; they
/// have no row in the other tables.
pub const ANALYSIS_CODES: &[(&str, &str)] = &[
    (
        "analysis-failed",
        "the crate could not be analysed at all (a download failed, a version is missing): bumpguard could not do its job",
    ),
    (
        "analysis-incomplete",
        "some source files of the crate could not be read or parsed, so its API may have changed in ways bumpguard did not see",
    ),
    (
        "not-analysed",
        "bumpguard does not analyse this kind of change yet (a git or path source): it blocks so that nothing passes unseen",
    ),
];

/// Where the repository's documentation lives (for codes the Cargo book does not cover).
fn repo_doc(page: &str) -> String {
    format!("{}/blob/main/docs/{page}", env!("CARGO_PKG_REPOSITORY"))
}

/// The Cargo book section about a manifest finding code, when there is one.
fn manifest_reference(code: &str) -> Option<String> {
    let page = match code {
        "default-feature-removed" | "default-feature-added" => "features.html#the-default-feature",
        "feature-removed" | "feature-added" | "feature-changed" => "features.html",
        "optional-dependency-added"
        | "dependency-no-longer-optional"
        | "dependency-now-optional"
        | "build-dependency-no-longer-optional"
        | "build-dependency-now-optional" => "features.html#optional-dependencies",
        c if c.ends_with("default-features-changed") || c.ends_with("-features-changed") => {
            "features.html#dependency-features"
        }
        c if c.ends_with("target-narrowed") || c.ends_with("target-changed") => {
            "specifying-dependencies.html#platform-specific-dependencies"
        }
        c if c.starts_with("build-dependency-") => {
            "specifying-dependencies.html#build-dependencies"
        }
        c if c.starts_with("dev-dependency-") => {
            "specifying-dependencies.html#development-dependencies"
        }
        c if c.starts_with("dependency-") => "specifying-dependencies.html",
        c if c.starts_with("build-script-") => "build-scripts.html",
        c if c.starts_with("proc-macro-") => "cargo-targets.html#the-proc-macro-field",
        c if c.starts_with("rust-version-") => "rust-version.html",
        "edition-changed" => "manifest.html#the-edition-field",
        c if c.starts_with("links-") => "build-scripts.html#the-links-manifest-key",
        c if c.starts_with("bin-target-") => "cargo-targets.html#binaries",
        _ => return None,
    };
    Some(format!("{CARGO_BOOK}{page}"))
}

/// `item-removed` -> `ItemRemoved`.
fn pascal_case(code: &str) -> String {
    code.split('-').map(capitalized).collect()
}

/// The descriptor of a finding code, from whichever table defines it;
/// `None` for a code no table knows.
pub fn descriptor(code: &str) -> Option<ReportingDescriptor> {
    let (category, summary, help_uri, level, extra) = if let Some(r) =
        semver_check::RULES.iter().find(|r| r.code == code)
    {
        let extra = format!(
            "The change needs a {} version bump under Cargo's SemVer rules{}; a result is an error when the actual bump is smaller (a semver violation).",
            r.level,
            if r.possibly_breaking {
                " (the Cargo book calls it possibly breaking: never a violation on its own)"
            } else {
                ""
            }
        );
        let level = if r.level == Level::Major && !r.possibly_breaking {
            SarifLevel::Warning
        } else {
            SarifLevel::Note
        };
        (
            Category::Api,
            r.summary,
            Some(r.reference.to_string()),
            level,
            extra,
        )
    } else if let Some((_, summary)) = behavior::CODES.iter().find(|(c, _)| *c == code) {
        (
            Category::Behavior,
            *summary,
            Some(repo_doc("behavior-changes.md")),
            SarifLevel::Note,
            "Function bodies are compared on tokens, so formatting and comments never count. A result is a warning when the change adds or removes an effect (spawned tasks, file, network, process or environment access, ...).".to_string(),
        )
    } else if let Some(r) = manifest_diff::RULES.iter().find(|r| r.code == code) {
        (
            Category::Manifest,
            r.summary,
            manifest_reference(code).or_else(|| Some(repo_doc("manifest-changes.md"))),
            if r.severity == Severity::High {
                SarifLevel::Warning
            } else {
                SarifLevel::Note
            },
            format!(
                "A change to the crate's Cargo.toml or to the files it ships, of {} severity.",
                r.severity
            ),
        )
    } else if let Some((_, summary)) = ANALYSIS_CODES.iter().find(|(c, _)| *c == code) {
        (
            Category::Analysis,
            *summary,
            Some(format!("{}#what-is-analysed-today", env!("CARGO_PKG_REPOSITORY"))),
            SarifLevel::Error,
            "It decides the verdict: the change is blocked (or, when a crate could not be fetched, bumpguard exits with code 2).".to_string(),
        )
    } else {
        return None;
    };
    let short = capitalized(summary.split(';').next().unwrap_or(summary).trim());
    let full = format!("{}.", capitalized(summary));
    let mut text = format!("{}: {summary}. {extra}", code);
    let mut markdown = format!("**`{code}`**: {summary}.\n\n{extra}");
    if let Some(uri) = &help_uri {
        text.push_str(&format!(" See {uri}"));
        markdown.push_str(&format!("\n\nSee [{}]({uri}).", reference_title(uri)));
    }
    let mut tags = vec![category.tag().to_string()];
    if category == Category::Api {
        tags.push("semver".to_string());
    }
    Some(ReportingDescriptor {
        id: code.to_string(),
        name: pascal_case(code),
        short_description: Message { text: short },
        full_description: Message {
            text: format!("{full} {extra}"),
        },
        help: MultiformatMessage { text, markdown },
        help_uri,
        default_configuration: Configuration { level },
        properties: RuleProperties { tags },
    })
}

/// `text` with its first letter upper case.
fn capitalized(text: &str) -> String {
    let mut cs = text.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().collect::<String>() + cs.as_str(),
        None => String::new(),
    }
}

fn reference_title(uri: &str) -> &'static str {
    if uri.starts_with(CARGO_BOOK) {
        "the Cargo book"
    } else {
        "bumpguard's documentation"
    }
}

/// Every code any table defines, in table order (analysis, API, behaviour,
/// manifest); [`descriptor`] knows each of them.
pub fn all_codes() -> Vec<&'static str> {
    ANALYSIS_CODES
        .iter()
        .map(|(c, _)| *c)
        .chain(semver_check::RULES.iter().map(|r| r.code))
        .chain(behavior::CODES.iter().map(|(c, _)| *c))
        .chain(manifest_diff::RULES.iter().map(|r| r.code))
        .collect()
}

/// A finding before its rule index is known.
struct Finding {
    code: String,
    level: SarifLevel,
    message: String,
    /// The item's path for a logical location, with its kind.
    item: Option<(String, Option<String>)>,
    /// What identifies the finding across runs, besides the crate.
    subject: String,
    /// Where its acceptance is written, when a person accepted it.
    accepted: Option<String>,
    properties: BTreeMap<String, serde_json::Value>,
    /// Places in the repository's code it concerns (rule hits).
    related: Vec<crate::callsites::CallSite>,
}

fn props<const N: usize>(
    entries: [(&str, serde_json::Value); N],
) -> BTreeMap<String, serde_json::Value> {
    entries
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn api_finding(c: &CrateReport, ch: &ApiChange) -> Finding {
    let level = if ch.violation {
        SarifLevel::Error
    } else if ch.required == Level::Major && !ch.possibly_breaking && !ch.uncertain {
        SarifLevel::Warning
    } else {
        SarifLevel::Note
    };
    // The message names the item already (`fn `a::b` removed: ...`).
    let mut message = ch.message.clone();
    if ch.violation {
        message.push_str(&format!(
            ". Semver violation: the change needs a {} bump; this {} allows {} changes",
            ch.required,
            c.bump
                .map(|b| format!("{b} bump"))
                .unwrap_or_else(|| "bump".to_string()),
            c.allows
                .map(|l| l.to_string())
                .unwrap_or_else(|| "no API".to_string()),
        ));
    }
    if let Some(o) = &ch.old {
        message.push_str(&format!("\nold: {o}"));
    }
    if let Some(n) = &ch.new {
        message.push_str(&format!("\nnew: {n}"));
    }
    if let Some(cfg) = &ch.cfg {
        message.push_str(&format!("\nwhen: {cfg}"));
    }
    if let Some(at) = &ch.accepted {
        message.push_str(&format!("\nviolation accepted in {at}"));
    }
    let opt = |s: &Option<String>| s.clone().map_or(serde_json::Value::Null, Into::into);
    Finding {
        related: Vec::new(),
        code: ch.code.to_string(),
        level,
        message,
        item: Some((ch.path.clone(), Some(ch.kind.word().to_string()))),
        subject: ch.path.clone(),
        accepted: ch.accepted.clone(),
        properties: props([
            ("finding", opt(&ch.finding)),
            ("required", ch.required.to_string().into()),
            ("violation", ch.violation.into()),
            ("possiblyBreaking", ch.possibly_breaking.into()),
            ("uncertain", ch.uncertain.into()),
            ("old", opt(&ch.old)),
            ("new", opt(&ch.new)),
            ("cfg", opt(&ch.cfg)),
        ]),
    }
}

fn behavior_finding(b: &BehaviorChange) -> Finding {
    let effects = !b.effects_added.is_empty() || !b.effects_removed.is_empty();
    let mut message = format!(
        "{}{}: {}",
        b.item,
        if b.public { "" } else { " (private)" },
        b.summary
    );
    if let Some(f) = &b.file {
        message.push_str(&format!(" (in {f})"));
    }
    let list = |v: &Vec<String>| serde_json::Value::from(v.clone());
    Finding {
        related: Vec::new(),
        code: b.code.to_string(),
        level: if effects {
            SarifLevel::Warning
        } else {
            SarifLevel::Note
        },
        message,
        item: Some((b.item.clone(), None)),
        subject: b.item.clone(),
        accepted: None,
        properties: props([
            ("public", b.public.into()),
            (
                "file",
                b.file.clone().map_or(serde_json::Value::Null, Into::into),
            ),
            ("effectsAdded", list(&b.effects_added)),
            ("effectsRemoved", list(&b.effects_removed)),
        ]),
    }
}

fn manifest_finding(m: &ManifestChange) -> Finding {
    let opt = |s: &Option<String>| s.clone().map_or(serde_json::Value::Null, Into::into);
    Finding {
        related: Vec::new(),
        code: m.code.to_string(),
        level: if m.severity == Severity::High {
            SarifLevel::Warning
        } else {
            SarifLevel::Note
        },
        message: format!("{}: {}", m.subject, m.message),
        item: None,
        subject: m.subject.clone(),
        accepted: None,
        properties: props([
            ("severity", m.severity.to_string().into()),
            ("old", opt(&m.old)),
            ("new", opt(&m.new)),
        ]),
    }
}

/// The analysis outcome of a crate as a finding, when it blocks by itself.
fn analysis_finding(c: &CrateReport) -> Option<Finding> {
    let reason = c.analysis.reason.clone().unwrap_or_default();
    let (code, message) = match c.analysis.status {
        AnalysisStatus::Failed => (
            "analysis-failed",
            format!("could not be analysed: {reason}"),
        ),
        AnalysisStatus::Unsupported => ("not-analysed", format!("not analysed: {reason}")),
        AnalysisStatus::Partial => {
            let mut m = format!(
                "analysis incomplete: {} source problem{}",
                c.problems.len(),
                plural(c.problems.len())
            );
            for p in &c.problems {
                m.push_str(&format!("\n- {p}"));
            }
            ("analysis-incomplete", m)
        }
        AnalysisStatus::Analysed | AnalysisStatus::NotApplicable => return None,
    };
    Some(Finding {
        related: Vec::new(),
        code: code.to_string(),
        level: SarifLevel::Error,
        message,
        item: None,
        subject: String::new(),
        accepted: None,
        properties: BTreeMap::new(),
    })
}

/// The SARIF rule id of a critical-module rule: the code its acceptances use.
fn hit_code(h: &RuleHit) -> String {
    format!("rule:{}", h.rule)
}

fn hit_status_words(s: HitStatus) -> &'static str {
    match s {
        HitStatus::Proven => "proven by its contracts",
        HitStatus::Accepted => "accepted",
        HitStatus::NoContract => "no contract is bound to it",
        HitStatus::ContractFailed => "a contract did not pass",
        HitStatus::NotRun => "its contracts were not run",
        HitStatus::Reported => "reported",
    }
}

/// A triggered rule: an error while it blocks, a warning for a warning
/// rule, a note once proven or accepted.
fn rule_finding(h: &RuleHit) -> Finding {
    let level = if h.blocks {
        SarifLevel::Error
    } else if h.severity == RuleSeverity::Warning {
        SarifLevel::Warning
    } else {
        SarifLevel::Note
    };
    let kind = match h.severity {
        RuleSeverity::Critical => "critical rule",
        RuleSeverity::Warning => "warning rule",
    };
    let mut message = format!(
        "{kind} `{}` triggered ({}): {}. {}",
        h.rule,
        hit_status_words(h.status),
        h.reason,
        h.next
    );
    const EVIDENCE_MAX: usize = 5;
    for e in h.evidence.iter().take(EVIDENCE_MAX) {
        message.push_str(&format!("\n- {}", e.summary));
    }
    if h.evidence.len() > EVIDENCE_MAX {
        message.push_str(&format!("\n- and {} more", h.evidence.len() - EVIDENCE_MAX));
    }
    for o in &h.contracts {
        message.push_str(&format!(
            "\ncontract `{}` ({}): {}",
            o.command,
            o.at,
            o.status.words()
        ));
    }
    let contracts: Vec<serde_json::Value> = h
        .contracts
        .iter()
        .map(|o| serde_json::json!({"command": o.command, "at": o.at, "status": o.status.words()}))
        .collect();
    Finding {
        code: hit_code(h),
        level,
        message,
        item: None,
        subject: h.digest.clone(),
        accepted: h.accepted.clone(),
        related: h.call_sites.clone(),
        properties: props([
            ("finding", h.finding.clone().into()),
            ("digest", h.digest.clone().into()),
            ("origin", h.origin.clone().into()),
            ("blocks", h.blocks.into()),
            (
                "status",
                serde_json::to_value(h.status).unwrap_or(serde_json::Value::Null),
            ),
            ("contracts", contracts.into()),
        ]),
    }
}

/// The descriptor of a triggered rule, from the rule itself.
fn hit_descriptor(h: &RuleHit) -> ReportingDescriptor {
    let (kind, level) = match h.severity {
        RuleSeverity::Critical => ("critical", SarifLevel::Error),
        RuleSeverity::Warning => ("warning", SarifLevel::Warning),
    };
    let what = format!(
        "A {kind} rule ({}) naming a part of a dependency your service relies on. When a bump touches it, the contracts bound to it in bumpguard.toml must pass on the new version, or a person must accept that exact change (bumpguard accept).",
        h.origin
    );
    let help_uri = h
        .reference
        .clone()
        .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
        .unwrap_or_else(|| repo_doc("rules.md"));
    let reason = capitalized(&h.reason);
    let code = hit_code(h);
    ReportingDescriptor {
        name: format!("Rule{}", pascal_case(&h.rule)),
        short_description: Message {
            text: reason.clone(),
        },
        full_description: Message {
            text: format!("{reason}. {what}"),
        },
        help: MultiformatMessage {
            text: format!("{code}: {reason}. {what} See {help_uri}"),
            markdown: format!("**`{code}`**: {reason}.\n\n{what}\n\nSee <{help_uri}>."),
        },
        help_uri: Some(help_uri),
        id: code,
        default_configuration: Configuration { level },
        properties: RuleProperties {
            tags: vec![Category::Rule.tag().to_string(), kind.to_string()],
        },
    }
}

/// Every finding of a crate: its analysis outcome first, then triggered
/// rules, then API, behaviour and manifest findings in the report's order.
/// What `[policy]` turned into warnings is a warning here too.
fn findings(c: &CrateReport, policy: PolicySummary) -> Vec<Finding> {
    let warn = |mut f: Finding, gate: Gate| {
        if gate == Gate::Warn && f.level == SarifLevel::Error {
            f.level = SarifLevel::Warning;
        }
        f
    };
    // `[policy] unanalysed` covers crates that could not be analysed too.
    let analysis_gate = policy.unanalysed;
    analysis_finding(c)
        .map(|f| warn(f, analysis_gate))
        .into_iter()
        .chain(c.rules.iter().map(rule_finding))
        .chain(
            c.changes
                .iter()
                .map(|ch| warn(api_finding(c, ch), policy.semver_violations)),
        )
        .chain(c.behavior.iter().map(behavior_finding))
        .chain(c.manifest.iter().map(manifest_finding))
        .collect()
}

fn fingerprint(c: &CrateReport, f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [
        c.lockfile.as_deref().unwrap_or(""),
        c.name.as_str(),
        c.old_version.as_deref().unwrap_or(""),
        c.new_version.as_deref().unwrap_or(""),
        f.code.as_str(),
        f.subject.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

/// A result's message: crate, versions and the finding's text. With call
/// sites, the text ends by linking each (`[src/lib.rs:5](1)`, the related
/// location's id), and brackets elsewhere in it are escaped, as SARIF asks
/// of text holding embedded links.
fn result_text(c: &CrateReport, f: &Finding) -> String {
    let text = format!("{} {}: {}", c.name, version_pair(c), f.message);
    if f.related.is_empty() {
        return text;
    }
    let escape = |t: &str| t.replace('[', "\\[").replace(']', "\\]");
    let mut text = escape(&text);
    let links: Vec<String> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, site)| {
            format!(
                "[{}]({})",
                escape(&format!("{}:{}", site.file, site.line)),
                i + 1
            )
        })
        .collect();
    text.push_str(&format!("\nYour code reaching it: {}.", links.join(", ")));
    text
}

/// The SARIF log of `report`. `lockfiles` are the head revision's lockfiles
/// (for the line of each result); without them results point at the
/// lockfile without a line, and `diff` reports (no lockfile) carry only
/// logical locations.
pub fn sarif_log(report: &Report, lockfiles: &[LockfileText]) -> SarifLog {
    let mut raw: Vec<(&CrateReport, Finding)> = Vec::new();
    for c in &report.crates {
        raw.extend(findings(c, report.policy).into_iter().map(|f| (c, f)));
    }
    // One rule per code used, in table order so the output is stable.
    let order = all_codes();
    let mut used: Vec<&str> = order
        .iter()
        .copied()
        .filter(|code| raw.iter().any(|(_, f)| f.code == *code))
        .collect();
    // Triggered rules, described from the first hit of each.
    let mut hits: BTreeMap<String, &RuleHit> = BTreeMap::new();
    for c in &report.crates {
        for h in &c.rules {
            hits.entry(hit_code(h)).or_insert(h);
        }
    }
    // A code no table knows is a bug elsewhere; keep its results all the same.
    let mut unknown: Vec<&str> = raw
        .iter()
        .map(|(_, f)| f.code.as_str())
        .filter(|c| !order.contains(c))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    used.extend(unknown);
    let rules: Vec<ReportingDescriptor> = used
        .iter()
        .map(|code| {
            if let Some(h) = hits.get(*code) {
                return hit_descriptor(h);
            }
            descriptor(code).unwrap_or_else(|| ReportingDescriptor {
                id: code.to_string(),
                name: pascal_case(code),
                short_description: Message {
                    text: code.to_string(),
                },
                full_description: Message {
                    text: code.to_string(),
                },
                help: MultiformatMessage {
                    text: code.to_string(),
                    markdown: format!("`{code}`"),
                },
                help_uri: None,
                default_configuration: Configuration {
                    level: SarifLevel::Warning,
                },
                properties: RuleProperties { tags: Vec::new() },
            })
        })
        .collect();
    let index: BTreeMap<&str, usize> = used.iter().enumerate().map(|(i, c)| (*c, i)).collect();

    let results = raw
        .iter()
        .map(|(c, f)| {
            let (file, line) = report_annotations::location(c, lockfiles);
            let physical = file.map(|uri| PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri,
                    uri_base_id: "%SRCROOT%",
                },
                region: line.map(|start_line| Region { start_line }),
            });
            let logical: Vec<LogicalLocation> = f
                .item
                .iter()
                .map(|(path, kind)| LogicalLocation {
                    fully_qualified_name: path.clone(),
                    kind: kind.clone(),
                })
                .collect();
            let locations = if physical.is_none() && logical.is_empty() {
                Vec::new()
            } else {
                vec![Location {
                    id: None,
                    physical_location: physical,
                    logical_locations: logical,
                    message: None,
                }]
            };
            let mut properties = f.properties.clone();
            properties.insert("crate".to_string(), c.name.clone().into());
            for (key, v) in [
                ("oldVersion", &c.old_version),
                ("newVersion", &c.new_version),
            ] {
                if let Some(v) = v {
                    properties.insert(key.to_string(), v.clone().into());
                }
            }
            SarifResult {
                rule_id: f.code.clone(),
                rule_index: index[f.code.as_str()],
                level: f.level,
                message: Message {
                    text: result_text(c, f),
                },
                locations,
                related_locations: f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, site)| Location {
                        id: Some(i + 1),
                        message: Some(Message {
                            text: format!("{} is named here", site.item),
                        }),
                        physical_location: Some(PhysicalLocation {
                            artifact_location: ArtifactLocation {
                                uri: site.file.clone(),
                                uri_base_id: "%SRCROOT%",
                            },
                            region: Some(Region {
                                start_line: site.line,
                            }),
                        }),
                        logical_locations: vec![LogicalLocation {
                            fully_qualified_name: site.item.clone(),
                            kind: None,
                        }],
                    })
                    .collect(),
                suppressions: f
                    .accepted
                    .iter()
                    .map(|at| Suppression {
                        kind: "external",
                        status: "accepted",
                        justification: format!("accepted in {at}"),
                    })
                    .collect(),
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT.to_string(),
                    fingerprint(c, f),
                )]),
                properties,
            }
        })
        .collect();

    let mut notifications: Vec<Notification> = Vec::new();
    if report.verdict.status == VerdictStatus::Error {
        notifications.extend(report.verdict.reasons.iter().map(|r| Notification {
            level: SarifLevel::Error,
            message: Message { text: r.clone() },
        }));
    }
    notifications.extend(report.notes.iter().map(|n| Notification {
        level: SarifLevel::Note,
        message: Message { text: n.clone() },
    }));
    notifications.extend(report.stale_acceptances.iter().map(|a| Notification {
        level: SarifLevel::Warning,
        message: Message {
            text: format!(
                "stale acceptance {} ({}, {} {} -> {}, {}): {}",
                a.finding, a.at, a.krate, a.old, a.new, a.code, a.why
            ),
        },
    }));

    let properties = props([
        ("command", report.command.clone().into()),
        ("base", report.base.clone().into()),
        ("head", report.head.clone().into()),
        ("verdict", report.verdict.status.to_string().into()),
        ("reasons", report.verdict.reasons.clone().into()),
    ]);
    SarifLog {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: "bumpguard",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: report.verdict.status != VerdictStatus::Error,
                tool_execution_notifications: notifications,
            }],
            results,
            properties,
        }],
    }
}

/// Writes the report as pretty SARIF JSON.
pub fn write_sarif(
    report: &Report,
    lockfiles: &[LockfileText],
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif_log(report, lockfiles))
        .map_err(io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_has_one_descriptor_and_codes_never_collide() {
        let codes = all_codes();
        let unique: BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(
            unique.len(),
            codes.len(),
            "a finding code is defined by two tables; SARIF rule ids would be ambiguous"
        );
        for code in codes {
            let d = descriptor(code).expect("descriptor");
            assert_eq!(d.id, code);
            assert!(!d.help.text.is_empty() && !d.short_description.text.is_empty());
            let uri = d.help_uri.expect("every rule has a helpUri");
            assert!(uri.starts_with("https://"), "{code}: {uri}");
        }
        assert!(descriptor("no-such-code").is_none());
    }

    #[test]
    fn help_points_to_the_cargo_book_where_it_has_a_section() {
        let uri = |c: &str| descriptor(c).and_then(|d| d.help_uri).unwrap_or_default();
        assert_eq!(
            uri("struct-pub-field-added-constructible"),
            "https://doc.rust-lang.org/cargo/reference/semver.html#struct-add-public-field-when-no-private"
        );
        assert_eq!(
            uri("build-script-added"),
            "https://doc.rust-lang.org/cargo/reference/build-scripts.html"
        );
        assert_eq!(
            uri("dev-dependency-target-changed"),
            "https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html#platform-specific-dependencies"
        );
        assert_eq!(
            uri("default-feature-removed"),
            "https://doc.rust-lang.org/cargo/reference/features.html#the-default-feature"
        );
        // No Cargo book section: bumpguard's own page.
        assert!(uri("precompiled-binary-added").ends_with("/docs/manifest-changes.md"));
        assert!(uri("fn-body-changed").ends_with("/docs/behavior-changes.md"));
        // Every manifest code with a Cargo book page maps to an existing page name.
        for r in manifest_diff::RULES {
            if let Some(u) = manifest_reference(r.code) {
                assert!(u.contains(".html"), "{}: {u}", r.code);
            }
        }
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal_case("item-removed"), "ItemRemoved");
        assert_eq!(pascal_case("fn-const-removed"), "FnConstRemoved");
    }
}
