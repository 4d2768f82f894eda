//! Critical-module rules: which parts of which crates a service relies on.
//!
//! A rule names a crate (and optionally a version requirement), item path
//! patterns and/or source file patterns, and what triggers it (API changes,
//! behaviour findings, effects, manifest changes). The format is documented
//! in `docs/rules.md`. Rules come from the built-in pack (the `rules/` folder,
//! compiled in), the repository's `.bumpguard/rules/*.toml` and `[rule.<id>]`
//! tables of `bumpguard.toml`.

mod builtin;
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
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::File(p) | Origin::Config(p) => write!(f, "{}", p.display()),
        }
    }
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

    let krate = match get("crate") {
        Some(v) => r.string("crate", v).unwrap_or_default(),
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
    if (get("paths").is_some() || get("files").is_some()) && !listed("paths") && !listed("files") {
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
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diag {
                file: dir.display().to_string(),
                line: 1,
                message: format!("cannot read the rule folder: {e}"),
            });
            return (rules, diags);
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in files {
        match read_rule_path(&path) {
            Ok(r) => rules.push(r),
            Err(d) => diags.extend(d),
        }
    }
    (rules, diags)
}

/// Reads one rule file from disk.
pub fn read_rule_path(path: &Path) -> Result<Rule, Vec<Diag>> {
    let file = path.display().to_string();
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::fs::read_to_string(path) {
        Ok(text) => read_rule_file(&file, &id, &text, Origin::File(path.to_path_buf())),
        Err(e) => Err(vec![Diag {
            file,
            line: 1,
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

    fn behavior_in_scope(&self, b: &BehaviorChange) -> bool {
        self.matches_item(&b.item) || b.file.as_deref().is_some_and(|f| self.matches_file(f))
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
                    .filter(|c| self.matches_item(&c.path))
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

    #[test]
    fn builtin_pack_parses() {
        let rules = builtin().unwrap_or_else(|d| panic!("{}", crate::toml_read::Diags(d)));
        assert_eq!(rules.len(), builtin::FILES.len());
    }
}
