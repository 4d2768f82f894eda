//! The repository's `bumpguard.toml`: policy, rules, contract bindings and
//! acceptances (format in `docs/rules.md`). Read key by key so that every
//! problem is reported at once with its line.

use crate::api::engines::Engine;
use crate::rules::{self, Origin, Pattern, Rule};
use crate::toml_read::{Diag, Diags, Reader, Table};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file's name at the root of a repository.
pub const FILE_NAME: &str = "bumpguard.toml";
/// Where a repository keeps its own rule files unless `[rules] dirs` says otherwise.
pub const DEFAULT_RULE_DIR: &str = ".bumpguard/rules";

/// Whether a kind of problem blocks the merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    Block,
    Warn,
}

/// Which test runner runs cargo-test contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerChoice {
    /// cargo-nextest when installed, else cargo test.
    Auto,
    Cargo,
    Nextest,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub semver_violations: Gate,
    pub unanalysed: Gate,
    pub contract_timeout: Duration,
    pub runner: RunnerChoice,
    /// `possibly-breaking` and `hidden`: how API changes the Cargo book
    /// leaves to judgement count.
    pub api: crate::semver_check::ApiPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            semver_violations: Gate::Block,
            unanalysed: Gate::Block,
            contract_timeout: Duration::from_secs(600),
            runner: RunnerChoice::Auto,
            api: Default::default(),
        }
    }
}

/// What a contract runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContractTarget {
    /// `cargo test [-p package] [--test test] -- [--exact] [filter]`.
    CargoTest {
        #[serde(skip_serializing_if = "Option::is_none")]
        package: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        test: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        /// `filter` is the whole test name (`-- --exact filter`).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        exact: bool,
    },
    /// A program and its arguments; passes when it exits 0.
    Command(Vec<String>),
}

/// A `[[contract]]` entry: which rule hits it proves, and what to run.
#[derive(Debug, Clone, Serialize)]
pub struct ContractBinding {
    /// Bound to a rule by id ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// ... or to a crate (and item patterns of it).
    #[serde(rename = "crate", skip_serializing_if = "Option::is_none")]
    pub krate: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Pattern>,
    pub target: ContractTarget,
    /// The folder of the workspace it runs in (the one holding its
    /// `Cargo.lock`, relative to the repository root, `""` for the root),
    /// as `workspace = ".."` says; `None`: where its rule triggered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(skip)]
    pub timeout: Option<Duration>,
    /// `bumpguard.toml:12`, for messages.
    pub at: String,
    #[serde(skip)]
    pub line: usize,
}

/// An `[[accept]]` entry: a person accepted one exact finding.
#[derive(Debug, Clone, Serialize)]
pub struct Acceptance {
    pub finding: String,
    #[serde(rename = "crate")]
    pub krate: String,
    pub old: String,
    pub new: String,
    pub code: String,
    pub digest: String,
    pub reason: String,
    pub by: String,
    pub date: String,
    pub at: String,
}

/// `bumpguard.toml`, read. `Config::default()` when the repository has none.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from (none: defaults).
    pub path: Option<PathBuf>,
    pub policy: Policy,
    /// Built-in rule ids switched off, with the line that says so.
    pub disable: Vec<(String, usize)>,
    /// Rule folders, as written (relative to the repository root).
    pub rule_dirs: Option<Vec<(String, usize)>>,
    pub rules: Vec<Rule>,
    pub contracts: Vec<ContractBinding>,
    pub accepts: Vec<Acceptance>,
    /// Ids of `[rule.<id>]` tables that have problems (and so are not in
    /// `rules`): a contract bound to one is not also "not a rule in force".
    pub unread_rules: Vec<String>,
    /// `[engine]`: which engine reads which crate, and how rustdoc builds.
    pub engine: EngineConfig,
}

/// The `[engine]` section (see `docs/rules.md`). The command line's
/// `--engine`, `--rustdoc-toolchain` and `--rustdoc-timeout` win over
/// `default`, `toolchain` and `timeout`; `[engine.crates]` wins over both
/// (see [`crate::api::engines::EngineSettings`]).
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub default: Option<Engine>,
    /// Crate name -> engine, with the line that says so.
    pub crates: BTreeMap<String, (Engine, usize)>,
    pub toolchain: Option<String>,
    pub timeout: Option<Duration>,
}

const TOP_KEYS: &[&str] = &["policy", "rules", "rule", "contract", "accept", "engine"];
const ENGINE_KEYS: &[&str] = &["default", "crates", "toolchain", "timeout"];
const POLICY_KEYS: &[&str] = &[
    "semver-violations",
    "unanalysed",
    "contract-timeout",
    "runner",
    "possibly-breaking",
    "hidden",
];
const RULES_KEYS: &[&str] = &["disable", "dirs"];
const CONTRACT_KEYS: &[&str] = &[
    "rule",
    "crate",
    "paths",
    "package",
    "test",
    "filter",
    "command",
    "timeout",
    "workspace",
    "exact",
];
const ACCEPT_KEYS: &[&str] = &[
    "finding", "crate", "old", "new", "code", "digest", "reason", "by", "date",
];

/// Does this TOML text read like a `bumpguard.toml` (one of its top-level
/// keys: `policy`, `rules`, `rule`, `contract`, `accept`) rather than a
/// rule file? Text that does not parse is not.
pub fn looks_like_config(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.keys().any(|k| TOP_KEYS.contains(&k.as_str())))
}

impl Config {
    /// The configuration for a repository: `explicit` when given (it must
    /// exist), else `<root>/bumpguard.toml` when there is one, else defaults.
    /// The repository's own file is named `bumpguard.toml` in messages and
    /// in the places it reports (`bumpguard.toml:12`): relative to the
    /// repository root, as GitHub annotations and people read it.
    pub fn find(root: &Path, explicit: Option<&Path>) -> Result<Config, Diags> {
        match explicit {
            Some(p) => Config::load(p),
            None => {
                let p = root.join(FILE_NAME);
                if p.is_file() {
                    Config::load_as(&p, Path::new(FILE_NAME))
                } else {
                    Ok(Config::default())
                }
            }
        }
    }

    pub fn load(path: &Path) -> Result<Config, Diags> {
        Config::load_as(path, path)
    }

    /// Reads `path`, naming it `shown` in messages.
    fn load_as(path: &Path, shown: &Path) -> Result<Config, Diags> {
        let (cfg, diags) = Config::load_all_as(path, shown);
        if diags.is_empty() {
            Ok(cfg)
        } else {
            Err(Diags(diags))
        }
    }

    /// [`Config::find`] that keeps going: what could be read (entries with
    /// problems left out), and every problem. For validation, so that the
    /// checks on what the file means (disabled built-ins, rules contracts
    /// are bound to) run even when some keys are wrong.
    pub fn find_all(root: &Path, explicit: Option<&Path>) -> (Config, Vec<Diag>) {
        match explicit {
            Some(p) => Config::load_all_as(p, p),
            None => {
                let p = root.join(FILE_NAME);
                if p.is_file() {
                    Config::load_all_as(&p, Path::new(FILE_NAME))
                } else {
                    (Config::default(), Vec::new())
                }
            }
        }
    }

    /// [`Config::load`] that keeps going (see [`Config::find_all`]).
    pub fn load_all(path: &Path) -> (Config, Vec<Diag>) {
        Config::load_all_as(path, path)
    }

    fn load_all_as(path: &Path, shown: &Path) -> (Config, Vec<Diag>) {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse_all(shown, &text),
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file".to_string()
                } else {
                    e.to_string()
                };
                (
                    Config::default(),
                    vec![Diag {
                        file: shown.display().to_string(),
                        line: 0,
                        message: format!("cannot read the configuration: {why}"),
                    }],
                )
            }
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Diag>> {
        let (cfg, diags) = Config::parse_all(path, text);
        if diags.is_empty() {
            Ok(cfg)
        } else {
            Err(diags)
        }
    }

    /// [`Config::parse`] that keeps going: the configuration as far as it
    /// could be read, and every problem. A configuration with problems is
    /// for further validation only, never for a run.
    pub fn parse_all(path: &Path, text: &str) -> (Config, Vec<Diag>) {
        let mut r = Reader::new(path.display().to_string(), text);
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        if let Some(doc) = r.parse() {
            cfg.read(&mut r, doc.get_ref());
        }
        (cfg, r.diags)
    }

    fn read(&mut self, r: &mut Reader<'_>, doc: &Table<'_>) {
        r.unknown_keys(doc, TOP_KEYS, "bumpguard.toml");
        let path = self.path.clone().unwrap_or_default();
        if let Some(t) = doc.get("policy").and_then(|v| r.table("policy", v)) {
            r.unknown_keys(t, POLICY_KEYS, "[policy]");
            for (key, slot) in [
                ("semver-violations", &mut self.policy.semver_violations),
                ("unanalysed", &mut self.policy.unanalysed),
            ] {
                if let Some(v) = t.get(key) {
                    match r.string(key, v).as_deref() {
                        Some("block") => *slot = Gate::Block,
                        Some("warn") => *slot = Gate::Warn,
                        Some(other) => r.error(
                            v,
                            format!("`{key}` is \"block\" or \"warn\", not \"{other}\""),
                        ),
                        None => {}
                    }
                }
            }
            if let Some(v) = t.get("contract-timeout")
                && let Some(n) = r.positive("contract-timeout", v)
            {
                self.policy.contract_timeout = Duration::from_secs(n);
            }
            {
                use crate::semver_check::Judgement;
                for (key, slot, choices) in [
                    (
                        "possibly-breaking",
                        &mut self.policy.api.possibly_breaking,
                        &["allow", "warn", "block"][..],
                    ),
                    (
                        "hidden",
                        &mut self.policy.api.hidden,
                        &["warn", "block"][..],
                    ),
                ] {
                    let Some(v) = t.get(key) else { continue };
                    match r.string(key, v).as_deref() {
                        Some(x) if choices.contains(&x) => {
                            *slot = match x {
                                "allow" => Judgement::Allow,
                                "warn" => Judgement::Warn,
                                _ => Judgement::Block,
                            }
                        }
                        Some(other) => r.error(
                            v,
                            format!(
                                "`{key}` is {}, not \"{other}\"",
                                choices
                                    .iter()
                                    .map(|c| format!("\"{c}\""))
                                    .collect::<Vec<_>>()
                                    .join(" or ")
                            ),
                        ),
                        None => {}
                    }
                }
            }
            if let Some(v) = t.get("runner") {
                match r.string("runner", v).as_deref() {
                    Some("auto") => self.policy.runner = RunnerChoice::Auto,
                    Some("cargo") => self.policy.runner = RunnerChoice::Cargo,
                    Some("nextest") => self.policy.runner = RunnerChoice::Nextest,
                    Some(other) => r.error(
                        v,
                        format!("`runner` is \"auto\", \"cargo\" or \"nextest\", not \"{other}\""),
                    ),
                    None => {}
                }
            }
        }
        if let Some(t) = doc.get("rules").and_then(|v| r.table("rules", v)) {
            r.unknown_keys(t, RULES_KEYS, "[rules]");
            if let Some(v) = t.get("disable") {
                self.disable = r.strings("disable", v);
            }
            if let Some(v) = t.get("dirs") {
                self.rule_dirs = Some(r.strings("dirs", v));
            }
        }
        if let Some(t) = doc.get("rule").and_then(|v| r.table("rule", v)) {
            for (id, v) in t.iter() {
                let line = r.line(id.span().start);
                let rule = r
                    .table(&format!("rule.{}", id.get_ref()), v)
                    .and_then(|table| {
                        rules::read_rule(r, id.get_ref(), line, table, Origin::Config(path.clone()))
                    });
                match rule {
                    Some(rule) => self.rules.push(rule),
                    None => self.unread_rules.push(id.get_ref().to_string()),
                }
            }
        }
        if let Some(t) = doc.get("engine").and_then(|v| r.table("engine", v)) {
            self.engine = read_engine(r, t);
        }
        for (i, t) in array_of_tables(r, doc, "contract") {
            self.contracts.push(read_contract(r, &path, i, t));
        }
        for (i, t) in array_of_tables(r, doc, "accept") {
            if let Some(a) = read_accept(r, &path, i, t) {
                self.accepts.push(a);
            }
        }
    }
}

/// The tables of `[[key]]`, each with the line it starts on.
fn array_of_tables<'a, 'i>(
    r: &mut Reader<'_>,
    doc: &'a Table<'i>,
    key: &str,
) -> Vec<(usize, &'a Table<'i>)> {
    let Some(v) = doc.get(key) else {
        return Vec::new();
    };
    let Some(items) = v.get_ref().as_array() else {
        r.error(v, format!("`{key}` must be written as [[{key}]] tables"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        match item.get_ref().as_table() {
            Some(t) => out.push((r.line(item.span().start), t)),
            None => r.error(item, format!("each `{key}` entry must be a table")),
        }
    }
    out
}

fn read_engine(r: &mut Reader<'_>, t: &Table<'_>) -> EngineConfig {
    r.unknown_keys(t, ENGINE_KEYS, "[engine]");
    let mut out = EngineConfig::default();
    let engine = |r: &mut Reader<'_>, what: &str, v: &crate::toml_read::Value<'_>| {
        let name = r.string(what, v)?;
        let e = Engine::parse(&name);
        if e.is_none() {
            r.error(
                v,
                format!("`{what}` is \"syn\", \"rustdoc\" or \"both\", not \"{name}\""),
            );
        }
        e
    };
    if let Some(v) = t.get("default") {
        out.default = engine(r, "default", v);
    }
    if let Some(v) = t.get("crates")
        && let Some(crates) = r.table("engine.crates", v)
    {
        for (name, v) in crates.iter() {
            let krate = name.get_ref().to_string();
            let line = r.line(name.span().start);
            let valid = !krate.is_empty()
                && krate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                r.error_at(
                    line,
                    format!("`{krate}` in [engine.crates] is not a crate name"),
                );
                continue;
            }
            if let Some(e) = engine(r, &format!("engine.crates.{krate}"), v) {
                out.crates.insert(krate, (e, line));
            }
        }
    }
    if let Some(v) = t.get("toolchain")
        && let Some(tc) = r.string("toolchain", v)
    {
        if tc.is_empty() || tc.starts_with('+') || tc.chars().any(char::is_whitespace) {
            r.error(
                v,
                format!("`toolchain` names a rustup toolchain (`nightly-2026-05-01`, `1.95.0`), not \"{tc}\""),
            );
        } else {
            out.toolchain = Some(tc);
        }
    }
    if let Some(v) = t.get("timeout") {
        out.timeout = r.positive("timeout", v).map(Duration::from_secs);
    }
    out
}

fn opt_string(r: &mut Reader<'_>, t: &Table<'_>, key: &str) -> Option<String> {
    t.get(key).and_then(|v| r.string(key, v))
}

fn read_contract(r: &mut Reader<'_>, path: &Path, line: usize, t: &Table<'_>) -> ContractBinding {
    r.unknown_keys(t, CONTRACT_KEYS, "[[contract]]");
    let rule = opt_string(r, t, "rule");
    let krate = opt_string(r, t, "crate");
    if let (Some(name), Some(v)) = (&krate, t.get("crate"))
        && let Err(why) = rules::check_crate_name(name)
    {
        r.error(v, format!("`crate = {name:?}` {why}"));
    }
    let mut paths = Vec::new();
    if let Some(v) = t.get("paths") {
        for (text, l) in r.strings("paths", v) {
            match Pattern::parse(&text, "::") {
                Ok(p) => paths.push(p),
                Err(e) => r.error_at(l, format!("bad pattern `{text}` in `paths`: {e}")),
            }
        }
    }
    match (&rule, &krate) {
        (None, None) => r.error_at(
            line,
            "a [[contract]] needs `rule = \"<rule id>\"` or `crate = \"<name>\"`",
        ),
        (Some(_), Some(_)) => r.error_at(line, "a [[contract]] has `rule` or `crate`, not both"),
        _ => {}
    }
    if rule.is_some() && !paths.is_empty() {
        r.error_at(
            line,
            "`paths` goes with `crate`, not with `rule` (the rule has its own paths)",
        );
    }
    // `command = "true"` is reported as a wrong type, not also as empty.
    let command_listed = t
        .get("command")
        .is_some_and(|v| v.get_ref().as_array().is_some());
    let command = t.get("command").map(|v| r.strings("command", v));
    // Each selector is a name cargo or the test harness gets as an
    // argument: never empty, never read as an option.
    let mut selector = |key: &str, what: &str| -> Option<String> {
        let v = t.get(key)?;
        let text = r.string(key, v)?;
        if text.trim().is_empty() {
            r.error(
                v,
                format!("`{key}` is empty: name {what}, or leave the key out"),
            );
            return None;
        }
        if text.starts_with('-') {
            let why = if key == "filter" {
                "the test harness would read it as an option (`--exact` would run every test); test names never start with `-`; for an exact name write `exact = true`"
            } else {
                "cargo would read it as an option"
            };
            r.error(v, format!("`{key} = {text:?}` starts with `-`: {why}"));
            return None;
        }
        Some(text)
    };
    let package = selector("package", "the package whose tests run (`cargo test -p`)");
    let test = selector("test", "the test target (`cargo test --test`)");
    let filter = selector("filter", "the tests to run (a part of their names)");
    let exact = t
        .get("exact")
        .and_then(|v| r.boolean("exact", v))
        .unwrap_or(false);
    let has = |key: &str| t.get(key).is_some();
    let cargo_keys = has("package") || has("test") || has("filter") || has("exact");
    let target = match command {
        Some(cmd) => {
            if cargo_keys {
                r.error_at(line, "a [[contract]] is a `command` or a cargo test (`package`, `test`, `filter`, `exact`), not both");
            }
            if cmd.is_empty() && command_listed {
                r.error_at(line, "`command` is empty");
            }
            ContractTarget::Command(cmd.into_iter().map(|(s, _)| s).collect())
        }
        None => {
            if !cargo_keys {
                r.error_at(line, "a [[contract]] needs a cargo test selector (`package`, `test`, `filter`) or a `command`");
            }
            if exact
                && !has("filter")
                && let Some(v) = t.get("exact")
            {
                r.error(
                    v,
                    "`exact = true` needs a `filter`: the whole name of the test to run",
                );
            }
            ContractTarget::CargoTest {
                package,
                test,
                filter,
                exact,
            }
        }
    };
    let timeout = t
        .get("timeout")
        .and_then(|v| r.positive("timeout", v))
        .map(Duration::from_secs);
    let workspace = t.get("workspace").and_then(|v| {
        let text = r.string("workspace", v)?;
        match workspace_dir(&text) {
            Ok(dir) => Some(dir),
            Err(why) => {
                r.error(v, format!("`workspace = {text:?}`: {why}"));
                None
            }
        }
    });
    // With problems it is still returned: the configuration as a whole is
    // then not valid, and the binding serves the checks that follow
    // (is its rule in force?), so that they are reported at once.
    ContractBinding {
        rule,
        krate,
        paths,
        target,
        workspace,
        timeout,
        at: format!("{}:{line}", path.display()),
        line,
    }
}

/// `workspace = ".."` as a folder relative to the repository root, in the
/// form lockfile folders take (`""` for the root, `/` between parts, no
/// `.` parts), or why it cannot be one.
pub fn workspace_dir(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('/') || trimmed.contains('\\') {
        return Err(
            "give the folder relative to the repository root, with `/` (\".\" is the root)".into(),
        );
    }
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("a workspace folder stays inside the repository (no `..`)".into()),
            p => parts.push(p),
        }
    }
    if parts
        .last()
        .is_some_and(|p| *p == "Cargo.lock" || *p == "Cargo.toml")
    {
        return Err(format!(
            "name the folder that holds Cargo.lock, not the file: workspace = {:?}",
            if parts.len() == 1 {
                ".".to_string()
            } else {
                parts[..parts.len() - 1].join("/")
            }
        ));
    }
    Ok(parts.join("/"))
}

fn read_accept(r: &mut Reader<'_>, path: &Path, line: usize, t: &Table<'_>) -> Option<Acceptance> {
    let before = r.diags.len();
    r.unknown_keys(t, ACCEPT_KEYS, "[[accept]]");
    let mut field = |key: &str| match opt_string(r, t, key) {
        Some(s) => s,
        None => {
            if t.get(key).is_none() {
                r.error_at(
                    line,
                    format!(
                        "an [[accept]] entry needs `{key}` (write entries with `bumpguard accept`)"
                    ),
                );
            }
            String::new()
        }
    };
    let a = Acceptance {
        finding: field("finding"),
        krate: field("crate"),
        old: field("old"),
        new: field("new"),
        code: field("code"),
        digest: field("digest"),
        reason: field("reason"),
        by: field("by"),
        date: field("date"),
        at: format!("{}:{line}", path.display()),
    };
    if a.reason.trim().is_empty() && t.get("reason").is_some() {
        r.error_at(line, "an acceptance needs a reason");
    }
    if a.by.trim().is_empty()
        && let Some(v) = t.get("by")
    {
        r.error(
            v,
            "`by` is empty: an acceptance says who accepted (\"Name <email>\")",
        );
    }
    (r.diags.len() == before).then_some(a)
}

/// Warnings for the repository's own rules (and contracts bound by crate)
/// whose crate no lockfile of the repository has: `file:line: ...`, in
/// order. Nothing when the lockfiles are not known. Built-in rules cover
/// crates a repository may not use, and are left out.
pub fn crates_not_locked(
    rules: &[Rule],
    locked: Option<&std::collections::BTreeSet<String>>,
) -> Vec<String> {
    let Some(locked) = locked else {
        return Vec::new();
    };
    let mut out: Vec<((String, usize), String)> = Vec::new();
    for r in rules.iter().filter(|r| r.origin != Origin::Builtin) {
        if locked.contains(&r.krate) {
            continue;
        }
        let (at, what) = match &r.origin {
            Origin::Contract(at) => (at.clone(), "[[contract]] is bound to".to_string()),
            Origin::File(p) => (
                format!("{}:1", p.display()),
                format!("rule `{}` is for", r.id),
            ),
            other => (other.at(r.line), format!("rule `{}` is for", r.id)),
        };
        let message = format!(
            "{at}: {what} crate `{}`, which no Cargo.lock of the repository has (a typo, or a crate this repository does not use?)",
            r.krate
        );
        let key = match at.rsplit_once(':') {
            Some((file, line)) => (file.to_string(), line.parse().unwrap_or(0)),
            None => (at.clone(), 0),
        };
        if !out.iter().any(|(_, m)| *m == message) {
            out.push((key, message));
        }
    }
    out.sort();
    out.into_iter().map(|(_, m)| m).collect()
}

/// Problems in the order a person fixes them: by file, then line (the
/// order found within one line kept); the same problem reached twice (a
/// folder and one of its files) once.
pub fn sorted(mut diags: Vec<Diag>) -> Diags {
    let mut seen = std::collections::BTreeSet::new();
    diags.retain(|d| seen.insert(d.clone()));
    diags.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    Diags(diags)
}

/// The id of the rule a `[[contract]]` bound by crate stands for:
/// `contract:<crate>`, with `:<patterns>` when it lists paths. `None` for
/// a binding to a rule by id.
pub fn implicit_rule_id(b: &ContractBinding) -> Option<String> {
    let krate = b.krate.as_ref()?;
    if b.rule.is_some() {
        return None;
    }
    if b.paths.is_empty() {
        return Some(format!("contract:{krate}"));
    }
    let paths: Vec<&str> = b.paths.iter().map(|p| p.as_str()).collect();
    Some(format!("contract:{krate}:{}", paths.join(",")))
}

/// The rules that `[[contract]]` entries bound by crate (and patterns)
/// stand for: a critical rule over the crate (`**`) or the binding's
/// paths, triggered by API and behaviour changes, so that a change in its
/// scope requires the contract even when no other rule covers it.
/// Bindings with the same crate and paths share one rule.
pub fn implicit_rules(cfg: &Config) -> Vec<Rule> {
    let mut out: Vec<Rule> = Vec::new();
    for b in &cfg.contracts {
        let (Some(id), Some(krate)) = (implicit_rule_id(b), &b.krate) else {
            continue;
        };
        if out.iter().any(|r| r.id == id) {
            continue;
        }
        let paths = if b.paths.is_empty() {
            match Pattern::parse("**", "::") {
                Ok(p) => vec![p],
                Err(_) => continue,
            }
        } else {
            b.paths.clone()
        };
        let scope: Vec<&str> = b.paths.iter().map(|p| p.as_str()).collect();
        out.push(Rule {
            id,
            krate: krate.clone(),
            version: None,
            paths,
            files: Vec::new(),
            on: vec![rules::Trigger::Api, rules::Trigger::Behavior],
            effects: Vec::new(),
            manifest_codes: Vec::new(),
            severity: rules::RuleSeverity::Critical,
            reason: if scope.is_empty() {
                format!("a contract is bound to every change of {krate}")
            } else {
                format!(
                    "a contract is bound to changes of {krate} at {}",
                    scope.join(", ")
                )
            },
            reference: None,
            origin: Origin::Contract(b.at.clone()),
            line: b.line,
        });
    }
    out
}

/// The rules in force for a repository, in id order: the built-in pack
/// minus `[rules] disable`, replaced or extended by the repository's rule
/// files and `[rule.<id>]` tables. Every problem in every file is reported.
pub fn rules_in_force(cfg: &Config, root: &Path) -> Result<Vec<Rule>, Diags> {
    rules_in_force_from(cfg, &|rel| {
        let dir = root.join(rel);
        if !dir.is_dir() {
            return Folder::Missing(format!("rule folder {} does not exist", dir.display()));
        }
        match rules::toml_files(&dir) {
            Ok(files) => Folder::Files(files),
            Err(e) => Folder::Missing(format!(
                "cannot read the rule folder {}: {e}",
                dir.display()
            )),
        }
    })
}

/// A rule folder as [`rules_in_force_from`] sees it.
pub enum Folder {
    /// Not there (or unreadable), and why, in words.
    Missing(String),
    /// Its `*.toml` files, sorted by name: the path shown in messages and
    /// the text (or why it could not be read).
    Files(Vec<(PathBuf, Result<String, String>)>),
}

/// [`rules_in_force`], with the rule folders (repository-relative, as
/// written in `[rules] dirs`) read by `folder`: from the working tree, or
/// from a revision.
pub fn rules_in_force_from(
    cfg: &Config,
    folder: &dyn Fn(&str) -> Folder,
) -> Result<Vec<Rule>, Diags> {
    let mut diags = Vec::new();
    let builtin = rules::builtin().unwrap_or_else(|d| {
        diags.extend(d);
        Vec::new()
    });
    let cfg_file = cfg
        .path
        .as_ref()
        .map_or_else(|| FILE_NAME.to_string(), |p| p.display().to_string());
    let mut by_id: BTreeMap<String, Rule> = BTreeMap::new();
    for r in builtin {
        by_id.insert(r.id.clone(), r);
    }
    for (id, line) in &cfg.disable {
        if by_id.remove(id).is_none() {
            diags.push(Diag {
                file: cfg_file.clone(),
                line: *line,
                message: format!("`disable` names `{id}`, which is not a built-in rule (see `bumpguard rules list`)"),
            });
        }
    }
    // Rules of the repository: a second rule with one id is an error.
    let mut own: BTreeMap<String, Origin> = BTreeMap::new();
    let add = |rule: Rule,
               own: &mut BTreeMap<String, Origin>,
               diags: &mut Vec<Diag>,
               by_id: &mut BTreeMap<String, Rule>| {
        if let Some(first) = own.get(&rule.id) {
            diags.push(Diag {
                file: rule.origin.to_string(),
                line: rule.line,
                message: format!(
                    "duplicate rule id `{}`: already defined in {first}",
                    rule.id
                ),
            });
            return;
        }
        own.insert(rule.id.clone(), rule.origin.clone());
        by_id.insert(rule.id.clone(), rule);
    };
    // Rules that could not be read, by id.
    let mut unread: Vec<String> = cfg.unread_rules.clone();
    let dirs: Vec<(String, Option<usize>)> = match &cfg.rule_dirs {
        Some(list) => list.iter().map(|(d, l)| (d.clone(), Some(*l))).collect(),
        None => vec![(DEFAULT_RULE_DIR.to_string(), None)],
    };
    for (dir, line) in dirs {
        let files = match folder(&dir) {
            Folder::Files(files) => files,
            Folder::Missing(why) => {
                // The default folder is optional; a folder named in
                // `[rules] dirs` must be there.
                if let Some(line) = line {
                    diags.push(Diag {
                        file: cfg_file.clone(),
                        line,
                        message: why,
                    });
                }
                continue;
            }
        };
        for (path, text) in files {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let shown = path.display().to_string();
            let (list, problems) = rules::read_files(vec![(path, text)]);
            if list.is_empty()
                && let Some(id) = stem
            {
                // Its id is taken all the same: a second rule of that id
                // is still a duplicate.
                own.entry(id.clone())
                    .or_insert_with(|| Origin::File(PathBuf::from(&shown)));
                unread.push(id);
            }
            diags.extend(problems);
            list.into_iter()
                .for_each(|r| add(r, &mut own, &mut diags, &mut by_id));
        }
    }
    for r in &cfg.rules {
        add(r.clone(), &mut own, &mut diags, &mut by_id);
    }
    for c in &cfg.contracts {
        if let Some(id) = &c.rule
            && !by_id.contains_key(id)
            // A rule with problems of its own is reported already.
            && !unread.contains(id)
        {
            let why = if cfg.disable.iter().any(|(d, _)| d == id) {
                "is switched off in [rules] disable"
            } else {
                "is not a rule in force (see `bumpguard rules list`)"
            };
            diags.push(Diag {
                file: cfg_file.clone(),
                line: c.line,
                message: format!("[[contract]] is bound to rule `{id}`, which {why}"),
            });
        }
    }
    if diags.is_empty() {
        Ok(by_id.into_values().collect())
    } else {
        Err(sorted(diags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Diag>> {
        Config::parse(Path::new("bumpguard.toml"), text)
    }

    #[test]
    fn full_config_reads() {
        let cfg = parse(
            r#"
[policy]
semver-violations = "warn"
contract-timeout = 30
runner = "cargo"

[rules]
disable = ["x"]

[rule.certlib-acme]
crate = "certlib"
paths = ["tls::acme::**"]
reason = "certificates"

[[contract]]
rule = "certlib-acme"
package = "service"
test = "contracts"
filter = "acme"

[[contract]]
crate = "certlib"
paths = ["tls::**"]
command = ["sh", "check.sh"]
timeout = 5

[[accept]]
finding = "bg-1"
crate = "certlib"
old = "1.4.0"
new = "1.5.0"
code = "rule:certlib-acme"
digest = "sha256:00"
reason = "ok"
by = "me"
date = "2026-12-03"
"#,
        )
        .unwrap();
        assert_eq!(cfg.policy.semver_violations, Gate::Warn);
        assert_eq!(cfg.policy.contract_timeout, Duration::from_secs(30));
        assert_eq!(cfg.policy.runner, RunnerChoice::Cargo);
        assert_eq!(cfg.rules.len(), 1);
        assert_eq!(cfg.contracts.len(), 2);
        assert_eq!(cfg.contracts[0].at, "bumpguard.toml:15");
        assert_eq!(
            cfg.contracts[1].target,
            ContractTarget::Command(vec!["sh".into(), "check.sh".into()])
        );
        assert_eq!(cfg.accepts.len(), 1);
        assert_eq!(cfg.accepts[0].code, "rule:certlib-acme");
    }

    #[test]
    fn engine_section_reads_and_points_at_its_problems() {
        let cfg = parse(
            "[engine]\ndefault = \"both\"\ntoolchain = \"nightly-2026-05-01\"\ntimeout = 120\n\n[engine.crates]\nrustls = \"rustdoc\"\nserde_json = \"syn\"\n",
        )
        .unwrap();
        assert_eq!(cfg.engine.default, Some(Engine::Both));
        assert_eq!(cfg.engine.toolchain.as_deref(), Some("nightly-2026-05-01"));
        assert_eq!(cfg.engine.timeout, Some(Duration::from_secs(120)));
        assert_eq!(cfg.engine.crates["rustls"], (Engine::Rustdoc, 7));
        assert_eq!(cfg.engine.crates["serde_json"], (Engine::Syn, 8));

        let err = parse(
            "[engine]\ndefault = \"compiler\"\nengines = 1\ntoolchain = \"+nightly\"\ntimeout = 0\n[engine.crates]\nrustls = \"fast\"\n\"a b\" = \"syn\"\ntokio = 3\n",
        )
        .unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(
            has(
                "bumpguard.toml:2: `default` is \"syn\", \"rustdoc\" or \"both\", not \"compiler\""
            ),
            "{text:#?}"
        );
        assert!(has("bumpguard.toml:3: unknown key `engines`"), "{text:#?}");
        assert!(
            has("bumpguard.toml:4: `toolchain` names a rustup toolchain"),
            "{text:#?}"
        );
        assert!(has("bumpguard.toml:5:"), "{text:#?}");
        assert!(
            has(
                "bumpguard.toml:7: `engine.crates.rustls` is \"syn\", \"rustdoc\" or \"both\", not \"fast\""
            ),
            "{text:#?}"
        );
        assert!(
            has("bumpguard.toml:8: `a b` in [engine.crates] is not a crate name"),
            "{text:#?}"
        );
        assert!(has("bumpguard.toml:9:"), "{text:#?}");
        assert_eq!(text.len(), 7, "{text:#?}");
    }

    #[test]
    fn api_judgements_read() {
        use crate::semver_check::Judgement;
        let cfg = parse("[policy]\npossibly-breaking = \"block\"\nhidden = \"block\"\n").unwrap();
        assert_eq!(cfg.policy.api.possibly_breaking, Judgement::Block);
        assert_eq!(cfg.policy.api.hidden, Judgement::Block);
        let cfg = parse("").unwrap();
        assert_eq!(cfg.policy.api.possibly_breaking, Judgement::Allow);
        assert_eq!(cfg.policy.api.hidden, Judgement::Warn);
        let err = parse("[policy]\nhidden = \"allow\"\npossibly-breaking = 1\n").unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains("bumpguard.toml:2")
                && t.contains("`hidden` is \"warn\" or \"block\", not \"allow\"")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("bumpguard.toml:3")),
            "{text:?}"
        );
    }

    #[test]
    fn problems_are_collected() {
        let err = parse(
            "colour = 1\n[policy]\nunanalysed = \"maybe\"\n[[contract]]\npackage = \"s\"\n[[contract]]\nrule = \"a\"\ncommand = []\n[[accept]]\nfinding = \"x\"\n",
        )
        .unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        let has = |s: &str| text.iter().any(|t| t.contains(s));
        assert!(has("bumpguard.toml:1: unknown key `colour`"), "{text:#?}");
        assert!(
            has("bumpguard.toml:3: `unanalysed` is \"block\" or \"warn\""),
            "{text:#?}"
        );
        assert!(
            has("bumpguard.toml:4: a [[contract]] needs `rule"),
            "{text:#?}"
        );
        assert!(has("bumpguard.toml:6: `command` is empty"), "{text:#?}");
        assert!(
            has("bumpguard.toml:9: an [[accept]] entry needs `crate`"),
            "{text:#?}"
        );
    }

    #[test]
    fn an_acceptance_names_who_accepted() {
        let entry = |by: &str| {
            format!(
                "[[accept]]\nfinding = \"bg-1\"\ncrate = \"c\"\nold = \"1.0.0\"\nnew = \"1.1.0\"\ncode = \"rule:r\"\ndigest = \"sha256:00\"\nreason = \"ok\"\nby = \"{by}\"\ndate = \"2026-12-03\"\n"
            )
        };
        assert!(parse(&entry("Ada <ada@example.com>")).is_ok());
        for by in ["", "   "] {
            let err = parse(&entry(by)).unwrap_err();
            let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
            assert!(
                text.iter()
                    .any(|t| t.contains("bumpguard.toml:9: `by` is empty")),
                "{text:#?}"
            );
        }
    }

    #[test]
    fn a_lone_string_command_is_one_problem() {
        let err = parse("[[contract]]\nrule = \"r\"\ncommand = \"true\"\n").unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        assert_eq!(text.len(), 1, "{text:#?}");
        assert!(
            text[0].contains("bumpguard.toml:3: `command` must be an array of strings"),
            "{text:#?}"
        );
    }

    #[test]
    fn a_contract_names_its_workspace_by_folder() {
        let cfg = parse("[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\nworkspace = \"./services/b/\"\n\n[[contract]]\nrule = \"r\"\npackage = \"p\"\nworkspace = \".\"\n").unwrap();
        assert_eq!(cfg.contracts[0].workspace.as_deref(), Some("services/b"));
        assert_eq!(cfg.contracts[1].workspace.as_deref(), Some(""));
        let err = parse("[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\nworkspace = \"../elsewhere\"\n\n[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\nworkspace = \"svc/Cargo.lock\"\n\n[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\nworkspace = \"/abs\"\n").unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:#?}");
        assert!(
            text[0].starts_with(
                "bumpguard.toml:4: `workspace = \"../elsewhere\"`: a workspace folder stays inside"
            ),
            "{text:#?}"
        );
        assert!(
            text[1].contains(":9: ") && text[1].contains("not the file: workspace = \"svc\""),
            "{text:#?}"
        );
        assert!(
            text[2].contains(":14: ") && text[2].contains("relative to the repository root"),
            "{text:#?}"
        );
    }

    #[test]
    fn cargo_test_selectors_are_names_not_options() {
        let err = parse("[[contract]]\nrule = \"r\"\npackage = \"\"\ntest = \" \"\nfilter = \"\"\n\n[[contract]]\nrule = \"r\"\nfilter = \"--exact\"\npackage = \"-p\"\n\n[[contract]]\nrule = \"r\"\npackage = \"svc\"\nexact = true\n\n[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\nexact = false\n").unwrap_err();
        let text: Vec<String> = err.iter().map(|d| d.to_string()).collect();
        let expect = [
            "bumpguard.toml:3: `package` is empty",
            "bumpguard.toml:4: `test` is empty",
            "bumpguard.toml:5: `filter` is empty",
            "bumpguard.toml:10: `package = \"-p\"` starts with `-`: cargo would read it as an option",
            "bumpguard.toml:9: `filter = \"--exact\"` starts with `-`: the test harness would read it as an option",
            "bumpguard.toml:15: `exact = true` needs a `filter`",
            "bumpguard.toml:17: a [[contract]] is a `command` or a cargo test",
        ];
        assert_eq!(text.len(), expect.len(), "{text:#?}");
        for (t, e) in text.iter().zip(expect) {
            assert!(t.starts_with(e), "{t}\nexpected {e}");
        }
        let cfg =
            parse("[[contract]]\nrule = \"r\"\nfilter = \"tls::renews\"\nexact = true\n").unwrap();
        assert_eq!(
            cfg.contracts[0].target,
            ContractTarget::CargoTest {
                package: None,
                test: None,
                filter: Some("tls::renews".into()),
                exact: true
            }
        );
    }

    #[test]
    fn pattern_bindings_stand_for_rules() {
        let cfg = parse(
            "[[contract]]\ncrate = \"http\"\npaths = [\"header::**\"]\ncommand = [\"a\"]\n\n[[contract]]\ncrate = \"http\"\npaths = [\"header::**\"]\ncommand = [\"b\"]\n\n[[contract]]\ncrate = \"url\"\ncommand = [\"c\"]\n\n[[contract]]\nrule = \"x\"\ncommand = [\"d\"]\n",
        )
        .unwrap();
        let rules = implicit_rules(&cfg);
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["contract:http:header::**", "contract:url"]);
        assert_eq!(rules[0].severity, rules::RuleSeverity::Critical);
        assert_eq!(
            rules[0].origin.to_string(),
            "[[contract]] at bumpguard.toml:1"
        );
        assert!(rules[1].matches_item("url::Url::parse"));
        assert!(rules[0].matches_item("http::header::HeaderMap::new"));
        assert!(!rules[0].matches_item("http::uri::Uri::new"));
    }

    #[test]
    fn repository_rules_and_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let rules_dir = dir.path().join(DEFAULT_RULE_DIR);
        std::fs::create_dir_all(&rules_dir).unwrap();
        std::fs::write(
            rules_dir.join("mine.toml"),
            "crate = \"a\"\npaths = [\"**\"]\nreason = \"r\"\n",
        )
        .unwrap();
        let cfg = parse("[rule.mine]\ncrate = \"b\"\npaths = [\"**\"]\nreason = \"r\"\n").unwrap();
        let err = rules_in_force(&cfg, dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("duplicate rule id `mine`"),
            "{err}"
        );

        let cfg = parse("[rules]\ndisable = [\"no-such-rule\"]\n").unwrap();
        let err = rules_in_force(&cfg, dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("bumpguard.toml:2: `disable` names `no-such-rule`"),
            "{err}"
        );

        let rules = rules_in_force(&Config::default(), dir.path()).unwrap();
        assert!(rules.iter().any(|r| r.id == "mine" && r.krate == "a"));
    }
}
