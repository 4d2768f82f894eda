//! Critical-module rules: which parts of which crates a service relies on.
//!
//! A rule names a crate (and optionally a version requirement), item path
//! patterns and/or source file patterns, and what triggers it (API changes,
//! behaviour findings, effects, manifest changes). The format is documented
//! in `docs/rules.md`. Rules come from the built-in pack (the `rules/` folder,
//! compiled in), the repository's `.bumpguard/rules/*.toml` and `[rule.<id>]`
//! tables of `bumpguard.toml`.

mod builtin;
pub mod locate;
mod pattern;

pub use pattern::Pattern;

use crate::behavior::BehaviorChange;
use crate::behavior::effects::Effect;
use crate::manifest_diff::{ManifestChange, Severity};
use crate::report::CrateReport;
use crate::semver_check::ApiChange;
use crate::toml_read::{Diag, Reader, Table};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a rule was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum Origin {
    /// The built-in pack (`rules/<id>.toml` of bumpguard).
    Builtin,
    /// A rule file of the repository.
    File(PathBuf),
    /// A `[rule.<id>]` table of a configuration file.
    Config(PathBuf),
    /// A `[[contract]]` bound by crate (and patterns), acting as a rule of
    /// its own: where the binding is written (`bumpguard.toml:12`).
    Contract(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::File(p) | Origin::Config(p) => write!(f, "{}", p.display()),
            Origin::Contract(at) => write!(f, "[[contract]] at {at}"),
        }
    }
}

impl Origin {
    /// Where a rule starting at `line` is written: the file, with the line
    /// for a `[rule.<id>]` table (`bumpguard.toml:12`).
    pub fn at(&self, line: usize) -> String {
        match self {
            Origin::Config(p) => format!("{}:{line}", p.display()),
            other => other.to_string(),
        }
    }
}

/// A package name as Cargo.lock writes it: ASCII letters, digits, `-` and
/// `_`, starting with a letter, at most 64 characters, and in lower case:
/// crates.io's names are, and a rule is matched against the name exactly,
/// so `HTTP` would never match `http`. `Err` says what is wrong.
pub fn check_crate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".to_string());
    }
    if name.len() > 64 {
        return Err("is longer than 64 characters, which no crate name is".to_string());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "holds `{c}`: crate names are ASCII letters, digits, `-` and `_`"
        ));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "has upper-case letters: it is matched exactly as Cargo.lock writes it, and crate names are lower case (write {:?})",
            name.to_ascii_lowercase()
        ));
    }
    Ok(())
}

/// What makes a rule trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Api,
    Behavior,
    Effects,
    Manifest,
}

impl Trigger {
    /// Its name in rule files (`api`, `behavior`, `effects`, `manifest`).
    pub fn name(self) -> &'static str {
        Trigger::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("?", |(n, _)| n)
    }

    const ALL: &[(&str, Trigger)] = &[
        ("api", Trigger::Api),
        ("behavior", Trigger::Behavior),
        ("effects", Trigger::Effects),
        ("manifest", Trigger::Manifest),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSeverity {
    /// Triggering blocks until the bound contracts pass or a person accepts the change.
    Critical,
    /// Reported, never blocks on its own.
    Warning,
}

const EFFECT_NAMES: &[(&str, Effect)] = &[
    ("spawn", Effect::Spawn),
    ("file-system", Effect::FileSystem),
    ("network", Effect::Network),
    ("process", Effect::Process),
    ("environment", Effect::Environment),
    ("unsafe", Effect::Unsafe),
    ("panic", Effect::Panic),
    ("sleep", Effect::Sleep),
    ("randomness", Effect::Randomness),
];

/// One rule, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    #[serde(rename = "crate")]
    pub krate: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<semver::VersionReq>,
    pub paths: Vec<Pattern>,
    pub files: Vec<Pattern>,
    pub on: Vec<Trigger>,
    /// Effect kinds that count with `on = ["effects"]`; empty = any.
    pub effects: Vec<Effect>,
    /// Manifest codes that count with `on = ["manifest"]`; empty = every high-severity one.
    pub manifest_codes: Vec<String>,
    pub severity: RuleSeverity,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub origin: Origin,
    /// Where the rule starts in its file (1 for a rule file).
    #[serde(skip)]
    pub line: usize,
}

const RULE_KEYS: &[&str] = &[
    "crate",
    "version",
    "paths",
    "files",
    "on",
    "effects",
    "manifest-codes",
    "severity",
    "reason",
    "reference",
];

/// A rule id: lower-case letters, digits and `-`, starting with a letter or digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Rule {
    /// What triggers it, in words: `on api, behavior`, with the effect
    /// kinds or manifest codes it is limited to.
    pub fn triggers(&self) -> String {
        let on: Vec<&str> = self.on.iter().map(|t| t.name()).collect();
        let mut text = format!("on {}", on.join(", "));
        if !self.effects.is_empty() {
            let effects: Vec<&str> = self
                .effects
                .iter()
                .filter_map(|e| EFFECT_NAMES.iter().find(|(_, x)| x == e).map(|(n, _)| *n))
                .collect();
            text.push_str(&format!(" (effects: {})", effects.join(", ")));
        }
        if !self.manifest_codes.is_empty() {
            text.push_str(&format!(
                " (manifest codes: {})",
                self.manifest_codes.join(", ")
            ));
        }
        text
    }
}

/// Reads one rule from `table` (a whole rule file, or a `[rule.<id>]`
/// table). Problems go to `r`; `None` when there were any.
pub fn read_rule(
    r: &mut Reader<'_>,
    id: &str,
    id_line: usize,
    table: &Table<'_>,
    origin: Origin,
) -> Option<Rule> {
    let before = r.diags.len();
    if !valid_id(id) {
        r.error_at(
            id_line,
            format!("rule id `{id}` must be lower-case letters, digits and `-`"),
        );
    }
    r.unknown_keys(table, RULE_KEYS, &format!("rule `{id}`"));
    let get = |k: &str| table.get(k);

    let before_crate = r.diags.len();
    let krate = match get("crate") {
        Some(v) => {
            let name = r.string("crate", v).unwrap_or_default();
            if r.diags.len() == before_crate
                && let Err(why) = check_crate_name(&name)
            {
                r.error(v, format!("`crate = {name:?}` {why}"));
            }
            name
        }
        None => {
            r.error_at(id_line, format!("rule `{id}` has no `crate` key"));
            String::new()
        }
    };
    let reason = match get("reason") {
        Some(v) => r.string("reason", v).unwrap_or_default(),
        None => {
            r.error_at(
                id_line,
                format!("rule `{id}` has no `reason` key (one line that the report prints)"),
            );
            String::new()
        }
    };
    if let Some(v) = get("reason")
        && (reason.trim().is_empty() || reason.contains('\n'))
    {
        r.error(v, "`reason` must be one non-empty line");
    }
    let version = get("version").and_then(|v| {
        let text = r.string("version", v)?;
        match semver::VersionReq::parse(&text) {
            Ok(req) => Some(req),
            Err(e) => {
                r.error(v, format!("`version` is not a semver requirement: {e}"));
                None
            }
        }
    });
    let mut patterns = |key: &str, sep: &'static str| -> Vec<Pattern> {
        let Some(v) = get(key) else { return Vec::new() };
        let mut out = Vec::new();
        for (text, line) in r.strings(key, v) {
            match Pattern::parse(&text, sep) {
                Ok(p) => out.push(p),
                Err(e) => r.error_at(line, format!("bad pattern `{text}` in `{key}`: {e}")),
            }
        }
        out
    };
    let paths = patterns("paths", "::");
    let files = patterns("files", "/");
    let listed = |k: &str| {
        get(k)
            .and_then(|v| v.get_ref().as_array())
            .is_some_and(|a| !a.is_empty())
    };
    // Only when what is there are arrays: a `paths` of the wrong type is
    // reported as such, not also as listing nothing.
    let arrays = ["paths", "files"]
        .iter()
        .filter_map(|k| get(k))
        .all(|v| v.get_ref().as_array().is_some());
    if (get("paths").is_some() || get("files").is_some())
        && arrays
        && !listed("paths")
        && !listed("files")
    {
        r.error_at(
            id_line,
            format!("rule `{id}` lists no pattern in `paths` or `files`: it would never trigger"),
        );
    }
    if get("paths").is_none() && get("files").is_none() {
        r.error_at(
            id_line,
            format!(
                "rule `{id}` needs `paths` or `files` (use paths = [\"**\"] for the whole crate)"
            ),
        );
    }
    let on = match get("on") {
        None => vec![Trigger::Api, Trigger::Behavior],
        Some(v) => {
            let mut out = Vec::new();
            for (word, line) in r.strings("on", v) {
                match Trigger::ALL.iter().find(|(n, _)| *n == word) {
                    Some((_, t)) => out.push(*t),
                    None => r.error_at(
                        line,
                        format!("unknown trigger `{word}` in `on` (known: api, behavior, effects, manifest)"),
                    ),
                }
            }
            if out.is_empty() && r.diags.len() == before {
                r.error(v, "`on` is empty: the rule would never trigger");
            }
            out
        }
    };
    let mut effects = Vec::new();
    if let Some(v) = get("effects") {
        for (word, line) in r.strings("effects", v) {
            match EFFECT_NAMES.iter().find(|(n, _)| *n == word) {
                Some((_, e)) => effects.push(*e),
                None => {
                    let known: Vec<&str> = EFFECT_NAMES.iter().map(|(n, _)| *n).collect();
                    r.error_at(
                        line,
                        format!("unknown effect `{word}` (known: {})", known.join(", ")),
                    )
                }
            }
        }
        if !on.contains(&Trigger::Effects) {
            r.error(v, "`effects` is set but `on` does not contain \"effects\"");
        }
    }
    let mut manifest_codes = Vec::new();
    if let Some(v) = get("manifest-codes") {
        for (code, line) in r.strings("manifest-codes", v) {
            if crate::manifest_diff::rule(&code).is_none() {
                r.error_at(
                    line,
                    format!("unknown manifest code `{code}` (see docs/manifest-changes.md)"),
                );
            } else {
                manifest_codes.push(code);
            }
        }
        if !on.contains(&Trigger::Manifest) {
            r.error(
                v,
                "`manifest-codes` is set but `on` does not contain \"manifest\"",
            );
        }
    }
    let severity = match get("severity") {
        None => RuleSeverity::Critical,
        Some(v) => match r.string("severity", v).as_deref() {
            Some("critical") => RuleSeverity::Critical,
            Some("warning") => RuleSeverity::Warning,
            Some(other) => {
                r.error(
                    v,
                    format!("unknown severity `{other}` (critical or warning)"),
                );
                RuleSeverity::Critical
            }
            None => RuleSeverity::Critical,
        },
    };
    let reference = get("reference").and_then(|v| r.string("reference", v));
    if r.diags.len() > before {
        return None;
    }
    Some(Rule {
        id: id.to_string(),
        krate,
        version,
        paths,
        files,
        on,
        effects,
        manifest_codes,
        severity,
        reason,
        reference,
        origin,
        line: id_line,
    })
}

/// Reads a rule file: one rule, its id the file name.
pub fn read_rule_file(file: &str, id: &str, text: &str, origin: Origin) -> Result<Rule, Vec<Diag>> {
    let mut r = Reader::new(file, text);
    let rule = r
        .parse()
        .and_then(|doc| read_rule(&mut r, id, 1, doc.get_ref(), origin));
    match rule {
        Some(rule) if r.diags.is_empty() => Ok(rule),
        _ => Err(r.diags),
    }
}

/// The built-in pack, parsed. The pack is tested to parse, so a problem here
/// is a bug in bumpguard; it is still reported, never a panic.
pub fn builtin() -> Result<Vec<Rule>, Vec<Diag>> {
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    for (id, text) in builtin::FILES {
        match read_rule_file(&format!("rules/{id}.toml"), id, text, Origin::Builtin) {
            Ok(r) => rules.push(r),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(rules)
    } else {
        Err(diags)
    }
}

/// Reads every `*.toml` of `dir` as a rule file (sorted by name): the
/// rules that are valid and the problems of the others (so that a problem
/// in one file does not hide, say, a duplicate id in another).
pub fn read_dir(dir: &Path) -> (Vec<Rule>, Vec<Diag>) {
    match toml_files(dir) {
        Ok(files) => read_files(files),
        Err(e) => (
            Vec::new(),
            vec![Diag {
                file: dir.display().to_string(),
                line: 0,
                message: format!("cannot read the rule folder: {e}"),
            }],
        ),
    }
}

/// The `*.toml` files of `dir`, sorted by name, each with its text (or why
/// it could not be read).
pub fn toml_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, Result<String, String>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| e.to_string());
            (p, text)
        })
        .collect())
}

/// Reads rule files given as (path shown in messages, text): the valid
/// rules and every problem of the others.
pub fn read_files(files: Vec<(PathBuf, Result<String, String>)>) -> (Vec<Rule>, Vec<Diag>) {
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    for (path, text) in files {
        match read_rule_text(&path, text) {
            Ok(r) => rules.push(r),
            Err(d) => diags.extend(d),
        }
    }
    (rules, diags)
}

/// Reads one rule file from disk.
pub fn read_rule_path(path: &Path) -> Result<Rule, Vec<Diag>> {
    read_rule_text(
        path,
        std::fs::read_to_string(path).map_err(|e| e.to_string()),
    )
}

fn read_rule_text(path: &Path, text: Result<String, String>) -> Result<Rule, Vec<Diag>> {
    let file = path.display().to_string();
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match text {
        Ok(text) => read_rule_file(&file, &id, &text, Origin::File(path.to_path_buf())),
        Err(e) => Err(vec![Diag {
            file,
            line: 0,
            message: format!("cannot read: {e}"),
        }]),
    }
}

/// One change that made a rule trigger, in words, with what identifies it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// `api`, `behavior` or `manifest`.
    pub kind: &'static str,
    /// The finding's code (`constructor-changed`).
    pub code: String,
    /// The item, file or manifest subject.
    pub subject: String,
    /// One line for the report.
    pub summary: String,
    /// What the digest covers beyond the line: signatures, diff, values.
    #[serde(skip)]
    pub detail: String,
    /// Every path of the item (public and declared; empty for manifest
    /// changes), for binding contracts by pattern. Not part of the digest.
    #[serde(skip)]
    pub paths: Vec<String>,
    /// The crate-relative file of the item, when known.
    #[serde(skip)]
    pub file: Option<String>,
}

/// Item path without the crate's own first segment, ` (private)` and what
/// follows the path (`Type impl Send`), with fields as segments.
fn item_segments(path: &str) -> Vec<String> {
    let path = path.split(" (").next().unwrap_or(path);
    let path = path.split(' ').next().unwrap_or(path);
    let path = path.replace('.', "::");
    path.split("::").skip(1).map(str::to_string).collect()
}

fn same_crate_name(a: &str, b: &str) -> bool {
    a.replace('-', "_") == b.replace('-', "_")
}

impl Rule {
    /// The rule concerns this crate at one of these versions.
    pub fn applies_to(&self, name: &str, versions: &[Option<&str>]) -> bool {
        if self.krate != name {
            return false;
        }
        let Some(req) = &self.version else {
            return true;
        };
        versions
            .iter()
            .flatten()
            .filter_map(|v| semver::Version::parse(v).ok())
            .any(|v| req.matches(&v))
    }

    /// Does an item path of this crate fall under `paths`?
    pub fn matches_item(&self, path: &str) -> bool {
        let segs = item_segments(path);
        self.paths.iter().any(|p| {
            let psegs = p.segments();
            // The crate's own name may lead a pattern.
            let psegs = match psegs.first() {
                Some(first) if psegs.len() > 1 && same_crate_name(first, &self.krate) => {
                    &psegs[1..]
                }
                _ => psegs,
            };
            pattern::matches(psegs, &segs)
        })
    }

    pub fn matches_file(&self, file: &str) -> bool {
        self.files.iter().any(|p| p.matches(file))
    }

    /// Does any of the item's paths (the one shown, its other public paths,
    /// its declaration path) fall under `paths`?
    pub fn matches_any(&self, shown: &str, paths: &[String]) -> bool {
        self.matches_item(shown) || paths.iter().any(|p| self.matches_item(p))
    }

    /// Is the item in scope: by one of its paths, or by its file?
    pub fn in_scope(&self, shown: &str, paths: &[String], file: Option<&str>) -> bool {
        self.matches_any(shown, paths) || file.is_some_and(|f| self.matches_file(f))
    }

    fn behavior_in_scope(&self, b: &BehaviorChange) -> bool {
        self.in_scope(&b.item, &b.paths, b.file.as_deref())
    }

    fn effects_count(&self, b: &BehaviorChange) -> bool {
        let all = b.effects_added.iter().chain(&b.effects_removed);
        if self.effects.is_empty() {
            return all.count() > 0;
        }
        all.into_iter()
            .any(|e| self.effects.iter().any(|k| e.starts_with(k.words())))
    }

    fn manifest_counts(&self, m: &ManifestChange) -> bool {
        if self.manifest_codes.is_empty() {
            m.severity == Severity::High
        } else {
            self.manifest_codes.iter().any(|c| c == m.code)
        }
    }

    /// The changes of `cr` that trigger this rule (empty: not triggered).
    pub fn evidence(&self, cr: &CrateReport) -> Vec<Evidence> {
        if !self.applies_to(
            &cr.name,
            &[cr.old_version.as_deref(), cr.new_version.as_deref()],
        ) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.on.contains(&Trigger::Api) {
            out.extend(
                cr.changes
                    .iter()
                    .filter(|c| self.in_scope(&c.path, &c.paths, c.file.as_deref()))
                    .map(api_evidence),
            );
        }
        let behaviour = self.on.contains(&Trigger::Behavior);
        let effects = self.on.contains(&Trigger::Effects);
        if behaviour || effects {
            out.extend(
                cr.behavior
                    .iter()
                    .filter(|b| self.behavior_in_scope(b) && (behaviour || self.effects_count(b)))
                    .map(behavior_evidence),
            );
        }
        if self.on.contains(&Trigger::Manifest) {
            out.extend(
                cr.manifest
                    .iter()
                    .filter(|m| self.manifest_counts(m))
                    .map(manifest_evidence),
            );
        }
        out.sort();
        out.dedup();
        out
    }
}

pub fn api_evidence(c: &ApiChange) -> Evidence {
    Evidence {
        kind: "api",
        code: c.code.to_string(),
        subject: c.path.clone(),
        summary: format!("{} ({})", c.path, c.code),
        detail: format!(
            "{}\n{}\n{}",
            c.old.as_deref().unwrap_or(""),
            c.new.as_deref().unwrap_or(""),
            c.cfg.as_deref().unwrap_or("")
        ),
        paths: c.paths.clone(),
        file: c.file.clone(),
    }
}

pub fn behavior_evidence(b: &BehaviorChange) -> Evidence {
    let mut summary = format!("{}: {}", b.item, b.summary);
    if summary.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|i| summary.is_char_boundary(*i))
            .unwrap_or(0);
        summary.truncate(cut);
        summary.push('…');
    }
    Evidence {
        kind: "behavior",
        code: b.code.to_string(),
        subject: b.item.clone(),
        summary,
        detail: format!(
            "{}\n{}\n{}\n{}",
            b.diff.as_deref().unwrap_or(""),
            b.old_value.as_deref().unwrap_or(""),
            b.new_value.as_deref().unwrap_or(""),
            b.via.join(",")
        ),
        paths: b.paths.clone(),
        file: b.file.clone(),
    }
}

pub fn manifest_evidence(m: &ManifestChange) -> Evidence {
    Evidence {
        kind: "manifest",
        code: m.code.to_string(),
        subject: m.subject.clone(),
        summary: format!("{}: {}", m.subject, m.message),
        detail: format!(
            "{}\n{}",
            m.old.as_deref().unwrap_or(""),
            m.new.as_deref().unwrap_or("")
        ),
        paths: Vec::new(),
        file: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Result<Rule, Vec<Diag>> {
        read_rule_file("r.toml", "r", text, Origin::Builtin)
    }

    #[test]
    fn a_full_rule_reads() {
        let r = rule(
            "crate = \"ic-bn-lib\"\nversion = \"<0.3\"\npaths = [\"tls::acme::**\"]\nfiles = [\"src/tls/acme/**\"]\non = [\"api\", \"effects\"]\neffects = [\"spawn\"]\nseverity = \"warning\"\nreason = \"certs\"\nreference = \"https://docs.rs\"\n",
        )
        .unwrap();
        assert_eq!(r.krate, "ic-bn-lib");
        assert_eq!(r.on, vec![Trigger::Api, Trigger::Effects]);
        assert_eq!(r.effects, vec![Effect::Spawn]);
        assert_eq!(r.severity, RuleSeverity::Warning);
        assert!(r.matches_item("ic_bn_lib::tls::acme::alpn::Opts.tls_config"));
        assert!(r.matches_item("ic_bn_lib::tls::acme"));
        assert!(!r.matches_item("ic_bn_lib::tls::sni::Resolver"));
        assert!(r.matches_file("src/tls/acme/alpn.rs"));
        assert!(!r.matches_file("src/tls/mod.rs"));
        assert!(r.applies_to("ic-bn-lib", &[Some("0.1.4"), Some("0.3.0")]));
        assert!(!r.applies_to("ic-bn-lib", &[Some("0.3.0")]));
    }

    #[test]
    fn crate_name_may_lead_a_pattern() {
        let r = rule(
            "crate = \"rustls\"\npaths = [\"rustls::server::ServerConfig::builder*\"]\nreason = \"tls\"\n",
        )
        .unwrap();
        assert!(r.matches_item("rustls::server::ServerConfig::builder_with_provider"));
        assert!(r.matches_item("rustls::server::ServerConfig::builder"));
        assert!(!r.matches_item("rustls::server::ServerConfig::new"));
        assert!(r.matches_item("rustls::server::ServerConfig::builder (private)"));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let err = rule(
            "crate = 3\npaths = [\"a::***\"]\non = [\"api\", \"weather\"]\nseverity = \"loud\"\ncolour = \"red\"\nversion = \"not a req\"\n",
        )
        .unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(has("r.toml:1: `crate` must be a string"), "{text:#?}");
        assert!(has("r.toml:2: bad pattern `a::***`"), "{text:#?}");
        assert!(has("r.toml:3: unknown trigger `weather`"), "{text:#?}");
        assert!(has("r.toml:4: unknown severity `loud`"), "{text:#?}");
        assert!(has("r.toml:5: unknown key `colour`"), "{text:#?}");
        assert!(
            has("r.toml:6: `version` is not a semver requirement"),
            "{text:#?}"
        );
        assert!(has("r.toml:1: rule `r` has no `reason` key"), "{text:#?}");
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("rustls-config-2"));
        assert!(!valid_id("Rustls"));
        assert!(!valid_id("a_b"));
        assert!(!valid_id(""));
        let err = read_rule_file(
            "X.toml",
            "X",
            "crate=\"a\"\npaths=[\"**\"]\nreason=\"r\"\n",
            Origin::Builtin,
        )
        .unwrap_err();
        assert!(err[0].message.contains("rule id `X`"));
    }

    fn bumped(name: &str) -> CrateReport {
        let mut c = CrateReport::blank(name, crate::lockdiff::ChangeKind::Updated);
        c.old_version = Some("1.0.0".into());
        c.new_version = Some("1.1.0".into());
        c
    }

    /// A behaviour finding as the diff reports a re-exported function: shown
    /// by its shortest public path, with its other paths and its file.
    fn re_exported(item: &str, paths: &[&str], file: &str) -> BehaviorChange {
        let mut b = BehaviorChange::new("constructor-changed", item, true);
        b.paths = paths.iter().map(|p| p.to_string()).collect();
        b.file = Some(file.to_string());
        b.summary = "calls added: Arc::new".into();
        b
    }

    #[test]
    fn patterns_match_any_public_path_and_the_declaration_path() {
        let mut c = bumped("rustls");
        c.behavior.push(re_exported(
            "rustls::ServerConfig::builder",
            &[
                "rustls::ServerConfig::builder",
                "rustls::server::ServerConfig::builder",
                "rustls::server::server_conn::ServerConfig::builder",
            ],
            "src/server/server_conn.rs",
        ));
        // The issue's own example names the longer public path.
        let issue = rule(
            "crate = \"rustls\"\npaths = [\"rustls::server::ServerConfig::builder*\"]\non = [\"behavior\"]\nreason = \"tls\"\n",
        )
        .unwrap();
        let ev = issue.evidence(&c);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].subject, "rustls::ServerConfig::builder");
        // The module it is declared in.
        let module =
            rule("crate = \"rustls\"\npaths = [\"server::server_conn::**\"]\nreason = \"tls\"\n")
                .unwrap();
        assert_eq!(module.evidence(&c).len(), 1);
        // Not a path it has.
        let other =
            rule("crate = \"rustls\"\npaths = [\"client::**\"]\nreason = \"tls\"\n").unwrap();
        assert!(other.evidence(&c).is_empty());

        // API changes: by their declaration path and by their file.
        let mut api = crate::semver_check::ApiChange {
            code: "method-removed",
            key: "HeaderMap::try_reserve".into(),
            required: crate::versions::Level::Major,
            possibly_breaking: false,
            kind: crate::api::ItemKind::Method,
            path: "http::HeaderMap::try_reserve".into(),
            old: Some("pub fn try_reserve(&mut self)".into()),
            new: None,
            cfg: None,
            message: String::new(),
            reference: "",
            violation: false,
            warning: false,
            uncertain: false,
            outside_features: None,
            not_in_view: false,
            finding: None,
            accepted: None,
            engines: Vec::new(),
            file: None,
            paths: Vec::new(),
        };
        let mut h = bumped("http");
        h.changes.push(api.clone());
        let header = rule("crate = \"http\"\npaths = [\"header::**\"]\nreason = \"h\"\n").unwrap();
        let files =
            rule("crate = \"http\"\nfiles = [\"src/header/**\"]\non = [\"api\"]\nreason = \"h\"\n")
                .unwrap();
        // Before the declaration is known, neither can see it.
        assert!(header.evidence(&h).is_empty());
        assert!(files.evidence(&h).is_empty());
        api.file = Some("src/header/map.rs".into());
        api.paths = vec![
            "http::HeaderMap::try_reserve".into(),
            "http::header::HeaderMap::try_reserve".into(),
            "http::header::map::HeaderMap::try_reserve".into(),
        ];
        h.changes = vec![api];
        assert_eq!(header.evidence(&h).len(), 1);
        assert_eq!(files.evidence(&h).len(), 1);
    }

    #[test]
    fn effects_triggers_count_the_listed_effects_only() {
        let r = rule(
            "crate = \"certlib\"\npaths = [\"tls::**\"]\non = [\"effects\"]\neffects = [\"spawn\"]\nreason = \"driver\"\n",
        )
        .unwrap();
        let mut c = bumped("certlib");
        let mut spawn = BehaviorChange::new("constructor-changed", "certlib::tls::Acme::new", true);
        spawn.effects_removed = vec![format!("{} (std::thread::spawn)", Effect::Spawn.words())];
        let mut network = BehaviorChange::new("fn-body-changed", "certlib::tls::Acme::renew", true);
        network.effects_added = vec![format!("{} (TcpStream::connect)", Effect::Network.words())];
        let quiet = BehaviorChange::new("fn-body-changed", "certlib::tls::Acme::name", true);
        c.behavior = vec![network.clone(), quiet.clone()];
        assert!(
            r.evidence(&c).is_empty(),
            "a network change or a body change without effects is not a spawn change"
        );
        c.behavior = vec![spawn, network, quiet];
        let ev = r.evidence(&c);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].subject, "certlib::tls::Acme::new");
    }

    #[test]
    fn manifest_triggers_count_high_severity_or_the_listed_codes() {
        let change = |code: &'static str, severity| ManifestChange {
            code,
            severity,
            subject: "build.rs".into(),
            old: None,
            new: Some("build.rs".into()),
            message: "a build script now runs at build time".into(),
        };
        let mut c = bumped("ring");
        c.manifest = vec![change("build-script-added", Severity::High)];
        let any =
            rule("crate = \"ring\"\npaths = [\"**\"]\non = [\"manifest\"]\nreason = \"crypto\"\n")
                .unwrap();
        let ev = any.evidence(&c);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].kind, "manifest");
        assert_eq!(ev[0].code, "build-script-added");
        // Listed codes only: another code does not count.
        let listed = rule(
            "crate = \"ring\"\npaths = [\"**\"]\non = [\"manifest\"]\nmanifest-codes = [\"links-changed\"]\nreason = \"crypto\"\n",
        )
        .unwrap();
        assert!(listed.evidence(&c).is_empty());
        // API and behaviour rules do not look at the manifest.
        let api = rule("crate = \"ring\"\npaths = [\"**\"]\nreason = \"crypto\"\n").unwrap();
        assert!(api.evidence(&c).is_empty());
    }

    #[test]
    fn builtin_pack_parses() {
        let rules = builtin().unwrap_or_else(|d| panic!("{}", crate::toml_read::Diags(d)));
        assert_eq!(rules.len(), builtin::FILES.len());
    }
}
