//! Manifest and package-contents diff: two extracted crate trees -> what
//! changed in how the crate is built and what it ships.
//!
//! The API diff ([`crate::semver_check`]) answers "will my code still
//! compile"; this module answers "what new code runs in my build, and from
//! where": a build script that appeared, a dependency that enters the build,
//! a feature `default` now turns on, a precompiled binary in the package.
//!
//! Every change kind is a row of [`RULES`]: a stable code, a severity and a
//! one-line reason a reviewer should care. The diff below only decides which
//! row applies; wording and severities live in the table, and every code is
//! documented in `docs/manifest-changes.md`.
//!
//! Both trees are read as published: `Cargo.toml` is the normalized manifest
//! Cargo builds from (`Cargo.toml.orig` is ignored). Different Cargo versions
//! normalize differently (implicit `build.rs`, auto-discovered binaries,
//! implicit features of optional dependencies, `dep = "1"` vs
//! `[dependencies.dep]`, `default_features` vs `default-features`), so both
//! sides are brought to the same effective form first: re-publishing the same
//! crate with a newer Cargo reports nothing.

use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use toml::{Table, Value};

/// How much a change deserves a reviewer's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        })
    }
}

/// One kind of manifest or package-contents change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable, kebab-case; documented in `docs/manifest-changes.md`.
    pub code: &'static str,
    pub severity: Severity,
    /// Why a reviewer should care, in one line.
    pub summary: &'static str,
}

macro_rules! rule {
    ($code:literal, $severity:ident, $summary:literal) => {
        Rule {
            code: $code,
            severity: Severity::$severity,
            summary: $summary,
        }
    };
}

/// Every manifest and package-contents change kind bumpguard reports.
pub const RULES: &[Rule] = &[
    // Features.
    rule!(
        "default-feature-removed",
        High,
        "dependents that relied on it without naming it lose its code and may no longer build"
    ),
    rule!(
        "default-feature-added",
        Medium,
        "every dependent that keeps default features now builds its code and the dependencies it enables"
    ),
    rule!(
        "feature-removed",
        High,
        "dependents that enable this feature no longer resolve"
    ),
    rule!(
        "feature-added",
        Low,
        "a new feature; nothing is built unless it is enabled"
    ),
    rule!(
        "feature-changed",
        Medium,
        "enabling the feature now turns on different code or dependencies"
    ),
    // Normal dependencies.
    rule!("dependency-added", High, "new code enters your build"),
    rule!(
        "optional-dependency-added",
        Medium,
        "new code that enters your build only when a feature enables it"
    ),
    rule!(
        "dependency-removed",
        Low,
        "less code in your build; types re-exported from it are gone"
    ),
    rule!(
        "dependency-requirement-changed",
        Medium,
        "the resolver may pick another version of this dependency for your build"
    ),
    rule!(
        "dependency-no-longer-optional",
        High,
        "it is now built even when no feature asks for it: new code enters your build"
    ),
    rule!(
        "dependency-now-optional",
        Low,
        "it is now built only when a feature enables it"
    ),
    rule!(
        "dependency-default-features-changed",
        Medium,
        "a different part of this dependency is built"
    ),
    rule!(
        "dependency-features-changed",
        Medium,
        "a different part of this dependency is built"
    ),
    rule!(
        "dependency-source-changed",
        High,
        "the dependency's code now comes from a different place (registry, git, path)"
    ),
    rule!(
        "dependency-target-narrowed",
        Low,
        "it is now built on fewer platforms; no new code enters your build"
    ),
    rule!(
        "dependency-target-changed",
        Medium,
        "the platforms it is built for changed; on some it now enters your build"
    ),
    // Build dependencies: they run at your build time.
    rule!(
        "build-dependency-added",
        High,
        "new code enters your build and runs at build time"
    ),
    rule!(
        "build-dependency-removed",
        Low,
        "less code runs at your build time"
    ),
    rule!(
        "build-dependency-requirement-changed",
        Medium,
        "the resolver may pick another version of code that runs at your build time"
    ),
    rule!(
        "build-dependency-no-longer-optional",
        High,
        "it is now built and run at build time even when no feature asks for it"
    ),
    rule!(
        "build-dependency-now-optional",
        Low,
        "it is now built only when a feature enables it"
    ),
    rule!(
        "build-dependency-default-features-changed",
        Medium,
        "a different part of code that runs at your build time is built"
    ),
    rule!(
        "build-dependency-features-changed",
        Medium,
        "a different part of code that runs at your build time is built"
    ),
    rule!(
        "build-dependency-source-changed",
        High,
        "code that runs at your build time now comes from a different place (registry, git, path)"
    ),
    rule!(
        "build-dependency-target-narrowed",
        Low,
        "it is now built on fewer platforms; no new code runs at your build time"
    ),
    rule!(
        "build-dependency-target-changed",
        Medium,
        "the platforms it is built for changed; on some it now runs at your build time"
    ),
    // Dev dependencies: only the crate's own tests, examples and benches use them.
    rule!(
        "dev-dependency-added",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-removed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-requirement-changed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-default-features-changed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-features-changed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-source-changed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    rule!(
        "dev-dependency-target-changed",
        Low,
        "used only by the crate's own tests, examples and benches; never in your build"
    ),
    // Build script.
    rule!(
        "build-script-added",
        High,
        "code that runs on your machine at build time, with your user's permissions"
    ),
    rule!(
        "build-script-removed",
        Medium,
        "what the build script did (generated code, linked libraries, cfg flags) now happens differently or not at all"
    ),
    rule!(
        "build-script-changed",
        High,
        "the code that runs on your machine at build time changed; read the diff"
    ),
    // Targets and package metadata.
    rule!(
        "proc-macro-enabled",
        High,
        "the library is now a procedural macro: its code runs inside the compiler when you build"
    ),
    rule!(
        "proc-macro-disabled",
        Medium,
        "the library is no longer a procedural macro; code that used its macros breaks"
    ),
    rule!(
        "rust-version-raised",
        Medium,
        "older toolchains can no longer build the crate"
    ),
    rule!(
        "rust-version-lowered",
        Low,
        "the declared minimum toolchain is lower"
    ),
    rule!(
        "rust-version-removed",
        Low,
        "the crate no longer declares a minimum toolchain; an older one gets a compile error instead of a clear message"
    ),
    rule!(
        "edition-changed",
        Medium,
        "the crate is compiled under other language rules and may need a newer toolchain"
    ),
    rule!(
        "links-added",
        High,
        "the crate now links a native library: native code enters your build"
    ),
    rule!(
        "links-changed",
        High,
        "the crate links a different native library"
    ),
    rule!(
        "links-removed",
        Low,
        "the crate no longer declares a native library"
    ),
    rule!(
        "bin-target-added",
        Low,
        "a new binary that `cargo install` builds and installs"
    ),
    rule!(
        "bin-target-removed",
        Medium,
        "`cargo install` no longer provides this binary"
    ),
    // Package contents.
    rule!(
        "precompiled-binary-added",
        High,
        "precompiled code shipped in a source release cannot be reviewed and may run in your build: a supply-chain finding"
    ),
    rule!(
        "binary-file-added",
        Medium,
        "an opaque file no reviewer can read (binary test files hid the xz-utils backdoor)"
    ),
    rule!(
        "contents-not-fully-scanned",
        Medium,
        "the package has too many files; files beyond the limit were not checked for binaries"
    ),
];

/// The row of [`RULES`] for `code`.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// One manifest or package-contents change between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestChange {
    pub code: &'static str,
    pub severity: Severity,
    /// What it is about: a feature, a dependency (by package name, with its
    /// target when target-specific), a file path relative to the crate root,
    /// a manifest key.
    pub subject: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// One line: what changed, then why it matters.
    pub message: String,
}

impl ManifestChange {
    fn new(
        code: &'static str,
        subject: impl Into<String>,
        old: Option<String>,
        new: Option<String>,
        detail: String,
    ) -> Self {
        let row = rule(code);
        debug_assert!(row.is_some(), "{code} is not in RULES");
        ManifestChange {
            code,
            // An unknown code is a bug; err on the side of attention.
            severity: row.map_or(Severity::High, |r| r.severity),
            subject: subject.into(),
            old,
            new,
            message: match row {
                Some(r) => format!("{detail}: {}", r.summary),
                None => detail,
            },
        }
    }
}

/// Most files looked at per tree; past it `contents-not-fully-scanned` is
/// reported instead of silently stopping. Bounds time and memory on
/// pathological packages (the extractor already caps entries).
pub const MAX_FILES: usize = 50_000;

/// Bytes read from the start of each file to recognize a binary.
const HEAD_BYTES: usize = 8 * 1024;

/// The manifest and package-contents changes from the crate tree `old_dir`
/// to `new_dir` (each holding a `Cargo.toml`), most severe first.
///
/// Errors when a `Cargo.toml` is missing or does not parse (naming the file
/// and line) or a file of either tree cannot be read.
pub fn diff(old_dir: &Path, new_dir: &Path) -> Result<Vec<ManifestChange>> {
    let old = Manifest::load(old_dir)?;
    let new = Manifest::load(new_dir)?;
    let mut out = Vec::new();
    diff_features(&old, &new, &mut out);
    diff_dependencies(&old, &new, &mut out);
    diff_build_scripts(&old, &new, &mut out)?;
    diff_package(&old, &new, &mut out);
    diff_contents(old_dir, new_dir, &mut out)?;
    let order = |c: &ManifestChange| RULES.iter().position(|r| r.code == c.code);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| order(a).cmp(&order(b)))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    Ok(out)
}

// ---------------------------------------------------------------------------
// The manifest, in effective form.
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Manifest {
    root: PathBuf,
    edition: String,
    rust_version: Option<String>,
    links: Option<String>,
    proc_macro: bool,
    /// Build script paths relative to the root (`build.rs` when implicit).
    build_scripts: Vec<String>,
    bins: BTreeSet<String>,
    /// Explicit features plus the implicit ones of optional dependencies.
    features: BTreeMap<String, Feature>,
    deps: Vec<Dep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Feature {
    enables: Vec<String>,
    /// Created by Cargo for an optional dependency no `dep:` entry names.
    implicit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DepKind {
    Normal,
    Build,
    Dev,
}

impl DepKind {
    fn noun(self) -> &'static str {
        match self {
            DepKind::Normal => "dependency",
            DepKind::Build => "build-dependency",
            DepKind::Dev => "dev-dependency",
        }
    }
}

#[derive(Debug, Clone)]
struct Dep {
    kind: DepKind,
    /// `cfg(unix)` or a target triple for `[target.'..'.dependencies]`.
    target: Option<String>,
    /// The name in the manifest (the rename, if any); features refer to it.
    key: String,
    /// The crate's registry name (`package =`, else the key).
    package: String,
    req: Option<String>,
    optional: bool,
    default_features: bool,
    features: BTreeSet<String>,
    source: String,
}

impl Dep {
    /// Subject of its changes: the package name, and the target if any, so
    /// that a renamed dependency is named by what it is.
    fn subject(&self) -> String {
        match &self.target {
            Some(t) => format!("{} ({t})", self.package),
            None => self.package.clone(),
        }
    }

    /// "`foo` (as `bar`) for cfg(unix)" for messages.
    fn label(&self) -> String {
        let mut s = format!("{} `{}`", self.kind.noun(), self.package);
        if self.key != self.package {
            s.push_str(&format!(" (as `{}`)", self.key));
        }
        if let Some(t) = &self.target {
            s.push_str(&format!(" for `{t}`"));
        }
        s
    }

    /// One-line summary of the whole specification, for `old`/`new`.
    fn spec(&self) -> String {
        let mut s = self.req.clone().unwrap_or_else(|| "*".to_string());
        if self.source != DEFAULT_SOURCE {
            s.push_str(&format!(", {}", self.source));
        }
        if self.optional {
            s.push_str(", optional");
        }
        if !self.default_features {
            s.push_str(", default-features = false");
        }
        if !self.features.is_empty() {
            s.push_str(&format!(", features {}", list(self.features.iter())));
        }
        s
    }
}

/// Where a dependency without `git`, `path` or `registry` comes from.
const DEFAULT_SOURCE: &str = "default registry";

impl Manifest {
    fn load(root: &Path) -> Result<Self> {
        let file = root.join("Cargo.toml");
        let text =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let doc: Table = text
            .parse()
            .map_err(|e: toml::de::Error| parse_error(&file, &text, &e))?;
        let pkg = doc
            .get("package")
            .or_else(|| doc.get("project"))
            .and_then(Value::as_table)
            .ok_or_else(|| {
                anyhow!(
                    "{}: no [package] table, not a crate manifest",
                    file.display()
                )
            })?;
        let name = pkg.get("name").map(render).unwrap_or_default();
        let edition = pkg
            .get("edition")
            .map(render)
            .unwrap_or_else(|| "2015".to_string());
        let lib = doc.get("lib").and_then(Value::as_table);
        let proc_macro = lib
            .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let deps = collect_deps(&doc);
        Ok(Manifest {
            root: root.to_path_buf(),
            rust_version: pkg.get("rust-version").map(render),
            links: pkg.get("links").map(render),
            proc_macro,
            build_scripts: build_scripts(pkg, root),
            bins: bins(&doc, pkg, root, &name, &edition),
            features: effective_features(&doc, &deps),
            deps,
            edition,
        })
    }
}

/// "path:line:column: message" for a `Cargo.toml` that does not parse.
fn parse_error(file: &Path, text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = e.message().trim();
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let before = text.get(..start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            anyhow!("{}:{line}:{column}: {message}", file.display())
        }
        None => anyhow!("{}: {message}", file.display()),
    }
}

/// A TOML value as text, without quotes for strings. (`toml`'s own Display
/// unwraps internally; this never panics.)
fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => list(a.iter().map(render)),
        Value::Table(t) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
            "(inherited from the workspace)".to_string()
        }
        Value::Table(t) => format!(
            "{{{}}}",
            t.iter()
                .map(|(k, v)| format!("{k} = {}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `[a, b]`.
fn list<T: fmt::Display>(items: impl Iterator<Item = T>) -> String {
    format!(
        "[{}]",
        items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
    )
}

/// An array of strings (anything else rendered, so odd input still compares).
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(render).collect(),
        other => vec![render(other)],
    }
}

fn collect_deps(doc: &Table) -> Vec<Dep> {
    const TABLES: [(DepKind, &str, &str); 3] = [
        (DepKind::Normal, "dependencies", "dependencies"),
        (DepKind::Build, "build-dependencies", "build_dependencies"),
        (DepKind::Dev, "dev-dependencies", "dev_dependencies"),
    ];
    let mut out = Vec::new();
    let mut add = |table: &Table, target: Option<&str>| {
        for (kind, dashed, underscored) in TABLES {
            // Old manifests may use the underscore spelling; both are read.
            let spellings = if dashed == underscored {
                &[dashed][..]
            } else {
                &[dashed, underscored][..]
            };
            for &name in spellings {
                let Some(deps) = table.get(name).and_then(Value::as_table) else {
                    continue;
                };
                for (key, spec) in deps {
                    out.push(parse_dep(kind, target, key, spec));
                }
            }
        }
    };
    add(doc, None);
    if let Some(targets) = doc.get("target").and_then(Value::as_table) {
        for (target, table) in targets {
            if let Some(table) = table.as_table() {
                add(table, Some(target));
            }
        }
    }
    out
}

fn parse_dep(kind: DepKind, target: Option<&str>, key: &str, spec: &Value) -> Dep {
    let mut dep = Dep {
        kind,
        target: target.map(str::to_string),
        key: key.to_string(),
        package: key.to_string(),
        req: None,
        optional: false,
        default_features: true,
        features: BTreeSet::new(),
        source: DEFAULT_SOURCE.to_string(),
    };
    let Some(t) = spec.as_table() else {
        dep.req = Some(render(spec));
        return dep;
    };
    let get = |k: &str| t.get(k);
    if let Some(p) = get("package") {
        dep.package = render(p);
    }
    dep.req = get("version").map(render);
    dep.optional = get("optional").and_then(Value::as_bool).unwrap_or(false);
    dep.default_features = get("default-features")
        .or_else(|| get("default_features"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    dep.features = get("features")
        .map(strings)
        .unwrap_or_default()
        .into_iter()
        .collect();
    dep.source = if get("workspace").and_then(Value::as_bool) == Some(true) {
        "inherited from the workspace".to_string()
    } else if let Some(git) = get("git") {
        let mut s = format!("git {}", render(git));
        for pin in ["branch", "tag", "rev"] {
            if let Some(v) = get(pin) {
                s.push_str(&format!(" {pin} {}", render(v)));
            }
        }
        s
    } else if let Some(path) = get("path") {
        format!("path {}", render(path))
    } else if let Some(index) = get("registry-index") {
        format!("registry {}", render(index))
    } else if let Some(registry) = get("registry") {
        format!("registry {}", render(registry))
    } else {
        DEFAULT_SOURCE.to_string()
    };
    dep
}

/// Explicit features, plus the implicit feature Cargo creates for each
/// optional dependency that no `dep:` entry names: users can enable those
/// by name, so losing one breaks them just like losing an explicit one.
fn effective_features(doc: &Table, deps: &[Dep]) -> BTreeMap<String, Feature> {
    let mut out: BTreeMap<String, Feature> = doc
        .get("features")
        .and_then(Value::as_table)
        .map(|t| {
            t.iter()
                .map(|(name, v)| {
                    let f = Feature {
                        enables: strings(v),
                        implicit: false,
                    };
                    (name.clone(), f)
                })
                .collect()
        })
        .unwrap_or_default();
    let named_with_dep: BTreeSet<String> = out
        .values()
        .flat_map(|f| f.enables.iter())
        .filter_map(|e| e.strip_prefix("dep:"))
        .map(str::to_string)
        .collect();
    for d in deps {
        if d.optional
            && d.kind != DepKind::Dev
            && !named_with_dep.contains(&d.key)
            && !out.contains_key(&d.key)
        {
            let f = Feature {
                enables: vec![format!("dep:{}", d.key)],
                implicit: true,
            };
            out.insert(d.key.clone(), f);
        }
    }
    out
}

/// Dependency keys the `default` feature turns on, directly or through
/// other features.
fn enabled_by_default(features: &BTreeMap<String, Feature>) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["default".to_string()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(f) = features.get(&name) else {
            continue;
        };
        for e in &f.enables {
            if let Some(dep) = e.strip_prefix("dep:") {
                deps.insert(dep.to_string());
            } else if let Some((dep, _)) = e.split_once('/') {
                // `dep?/feat` only adds a feature if something else enables dep.
                if !dep.ends_with('?') {
                    deps.insert(dep.to_string());
                    todo.push(dep.to_string());
                }
            } else {
                todo.push(e.clone());
            }
        }
    }
    deps
}

/// True when `p` is a relative path that stays inside the crate root: build
/// script and binary paths come from the untrusted manifest and must not
/// make us read (or walk) elsewhere.
fn inside(p: &str) -> bool {
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn build_scripts(pkg: &Table, root: &Path) -> Vec<String> {
    let auto = || {
        let explicit_off = pkg.get("autobuild").and_then(Value::as_bool) == Some(false);
        if !explicit_off && root.join("build.rs").is_file() {
            vec!["build.rs".to_string()]
        } else {
            Vec::new()
        }
    };
    match pkg.get("build") {
        None => auto(),
        Some(Value::Boolean(false)) => Vec::new(),
        Some(Value::Boolean(true)) => vec!["build.rs".to_string()],
        Some(Value::Array(a)) => a.iter().map(render).collect(),
        Some(other) => vec![render(other)],
    }
}

/// Binary target names: explicit `[[bin]]` plus, unless turned off, the
/// ones Cargo discovers (`src/main.rs`, `src/bin/*.rs`, `src/bin/*/main.rs`);
/// newer Cargo writes them all out and sets `autobins = false`, older Cargo
/// left them implicit.
fn bins(doc: &Table, pkg: &Table, root: &Path, name: &str, edition: &str) -> BTreeSet<String> {
    let explicit: Vec<(String, Option<String>)> = doc
        .get("bin")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_table)
                .map(|t| {
                    let n = t
                        .get("name")
                        .map(render)
                        .unwrap_or_else(|| name.to_string());
                    (n, t.get("path").map(render))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out: BTreeSet<String> = explicit.iter().map(|(n, _)| n.clone()).collect();
    // Edition 2015 turns discovery off once any [[bin]] is declared.
    let autobins = pkg.get("autobins").and_then(Value::as_bool) != Some(false)
        && (edition != "2015" || explicit.is_empty());
    if !autobins {
        return out;
    }
    let taken: BTreeSet<String> = explicit
        .iter()
        .filter_map(|(_, p)| p.as_deref())
        .map(|p| p.trim_start_matches("./").to_string())
        .collect();
    let mut found = Vec::new();
    if root.join("src/main.rs").is_file() {
        found.push((name.to_string(), "src/main.rs".to_string()));
    }
    if let Ok(entries) = fs::read_dir(root.join("src/bin")) {
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let file = e.file_name().to_string_lossy().into_owned();
            if ft.is_file() {
                if let Some(stem) = file.strip_suffix(".rs") {
                    found.push((stem.to_string(), format!("src/bin/{file}")));
                }
            } else if ft.is_dir() && e.path().join("main.rs").is_file() {
                found.push((file.clone(), format!("src/bin/{file}/main.rs")));
            }
        }
    }
    for (n, p) in found {
        if !taken.contains(&p) {
            out.insert(n);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Features.
// ---------------------------------------------------------------------------

fn diff_features(old: &Manifest, new: &Manifest, out: &mut Vec<ManifestChange>) {
    let default = |m: &Manifest| {
        m.features
            .get("default")
            .map(|f| f.enables.clone())
            .unwrap_or_default()
    };
    let (od, nd) = (default(old), default(new));
    let (od_list, nd_list) = (list(od.iter()), list(nd.iter()));
    for f in od.iter().filter(|f| !nd.contains(f)) {
        out.push(ManifestChange::new(
            "default-feature-removed",
            f,
            Some(od_list.clone()),
            Some(nd_list.clone()),
            format!("`{f}` is no longer enabled by default"),
        ));
    }
    for f in nd.iter().filter(|f| !od.contains(f)) {
        out.push(ManifestChange::new(
            "default-feature-added",
            f,
            Some(od_list.clone()),
            Some(nd_list.clone()),
            format!("`{f}` is now enabled by default"),
        ));
    }

    let describe = |name: &str, f: &Feature| {
        if f.implicit {
            format!("feature `{name}` (implicit, of the optional dependency)")
        } else {
            format!("feature `{name}`")
        }
    };
    for (name, of) in old.features.iter().filter(|(n, _)| *n != "default") {
        match new.features.get(name) {
            None => out.push(ManifestChange::new(
                "feature-removed",
                name,
                Some(list(of.enables.iter())),
                None,
                format!("{} removed", describe(name, of)),
            )),
            Some(nf) => {
                let o: BTreeSet<&String> = of.enables.iter().collect();
                let n: BTreeSet<&String> = nf.enables.iter().collect();
                if o == n {
                    continue;
                }
                let mut parts = Vec::new();
                let added: Vec<_> = n.difference(&o).map(|e| format!("`{e}`")).collect();
                let removed: Vec<_> = o.difference(&n).map(|e| format!("`{e}`")).collect();
                if !added.is_empty() {
                    parts.push(format!("now also enables {}", added.join(", ")));
                }
                if !removed.is_empty() {
                    parts.push(format!("no longer enables {}", removed.join(", ")));
                }
                out.push(ManifestChange::new(
                    "feature-changed",
                    name,
                    Some(list(of.enables.iter())),
                    Some(list(nf.enables.iter())),
                    format!("{} {}", describe(name, nf), parts.join(" and ")),
                ));
            }
        }
    }
    for (name, nf) in new.features.iter().filter(|(n, _)| *n != "default") {
        if !old.features.contains_key(name) {
            out.push(ManifestChange::new(
                "feature-added",
                name,
                None,
                Some(list(nf.enables.iter())),
                format!("{} added", describe(name, nf)),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Dependencies.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum DepChange {
    Added,
    OptionalAdded,
    Removed,
    Requirement,
    NoLongerOptional,
    NowOptional,
    DefaultFeatures,
    Features,
    Source,
    /// From every platform to some.
    TargetNarrowed,
    /// Any other change of `[target.'..']` table.
    TargetChanged,
}

/// The code for a change of a dependency of `kind`; `None` where the change
/// cannot happen (dev-dependencies cannot be optional).
fn dep_code(kind: DepKind, change: DepChange) -> Option<&'static str> {
    use DepChange as C;
    use DepKind as K;
    Some(match (kind, change) {
        (K::Normal | K::Build, C::OptionalAdded) => "optional-dependency-added",
        (K::Normal, C::Added) => "dependency-added",
        (K::Normal, C::Removed) => "dependency-removed",
        (K::Normal, C::Requirement) => "dependency-requirement-changed",
        (K::Normal, C::NoLongerOptional) => "dependency-no-longer-optional",
        (K::Normal, C::NowOptional) => "dependency-now-optional",
        (K::Normal, C::DefaultFeatures) => "dependency-default-features-changed",
        (K::Normal, C::Features) => "dependency-features-changed",
        (K::Normal, C::Source) => "dependency-source-changed",
        (K::Normal, C::TargetNarrowed) => "dependency-target-narrowed",
        (K::Normal, C::TargetChanged) => "dependency-target-changed",
        (K::Build, C::Added) => "build-dependency-added",
        (K::Build, C::Removed) => "build-dependency-removed",
        (K::Build, C::Requirement) => "build-dependency-requirement-changed",
        (K::Build, C::NoLongerOptional) => "build-dependency-no-longer-optional",
        (K::Build, C::NowOptional) => "build-dependency-now-optional",
        (K::Build, C::DefaultFeatures) => "build-dependency-default-features-changed",
        (K::Build, C::Features) => "build-dependency-features-changed",
        (K::Build, C::Source) => "build-dependency-source-changed",
        (K::Build, C::TargetNarrowed) => "build-dependency-target-narrowed",
        (K::Build, C::TargetChanged) => "build-dependency-target-changed",
        (K::Dev, C::Added | C::OptionalAdded) => "dev-dependency-added",
        (K::Dev, C::Removed) => "dev-dependency-removed",
        (K::Dev, C::Requirement) => "dev-dependency-requirement-changed",
        (K::Dev, C::DefaultFeatures) => "dev-dependency-default-features-changed",
        (K::Dev, C::Features) => "dev-dependency-features-changed",
        (K::Dev, C::Source) => "dev-dependency-source-changed",
        (K::Dev, C::TargetNarrowed | C::TargetChanged) => "dev-dependency-target-changed",
        (K::Dev, C::NoLongerOptional | C::NowOptional) => return None,
    })
}

/// Same requirement, read as semver where possible: `1.0`, `^1.0` and `1`
/// all mean `>=1.0.0, <2.0.0`, and re-publishing often respells them.
fn same_req(a: &Option<String>, b: &Option<String>) -> bool {
    let parse = |s: &str| {
        semver::VersionReq::parse(s.trim()).map(|r| {
            r.comparators
                .into_iter()
                .map(canonical_comparator)
                .collect::<Vec<_>>()
        })
    };
    match (a, b) {
        (Some(a), Some(b)) => match (parse(a), parse(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => a.trim() == b.trim(),
        },
        (a, b) => a == b,
    }
}

/// Fills omitted minor/patch with 0 where that does not change the range:
/// for `>=` always, for `^` once a non-zero part is given (`^1` = `^1.0.0`,
/// `^0.2` = `^0.2.0`, but `^0` != `^0.0`).
fn canonical_comparator(mut c: semver::Comparator) -> semver::Comparator {
    use semver::Op;
    let caret_fixed = c.op == Op::Caret && (c.major > 0 || c.minor.is_some_and(|m| m > 0));
    if c.op == Op::GreaterEq || caret_fixed {
        c.minor = Some(c.minor.unwrap_or(0));
        c.patch = Some(c.patch.unwrap_or(0));
    }
    c
}

/// Dependencies keyed by (kind, target, package), not by manifest key, so a
/// rename alone is no change.
type DepKey = (DepKind, Option<String>, String);

fn group_deps(m: &Manifest) -> BTreeMap<DepKey, Vec<&Dep>> {
    let mut g: BTreeMap<DepKey, Vec<&Dep>> = BTreeMap::new();
    for d in &m.deps {
        g.entry((d.kind, d.target.clone(), d.package.clone()))
            .or_default()
            .push(d);
    }
    g
}

fn diff_dependencies(old: &Manifest, new: &Manifest, out: &mut Vec<ManifestChange>) {
    let (og, ng) = (group_deps(old), group_deps(new));
    let default_on = enabled_by_default(&new.features);
    let keys: BTreeSet<&DepKey> = og.keys().chain(ng.keys()).collect();
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for key in keys {
        let mut o: Vec<&Dep> = og.get(key).cloned().unwrap_or_default();
        let mut n: Vec<&Dep> = ng.get(key).cloned().unwrap_or_default();
        // The same package twice in one table (two renames, e.g. two major
        // versions): pair entries with the same manifest key first.
        let mut pairs = Vec::new();
        o.retain(|od| match n.iter().position(|nd| nd.key == od.key) {
            Some(i) => {
                pairs.push((*od, n.remove(i)));
                false
            }
            None => true,
        });
        let leftover = o.len().min(n.len());
        pairs.extend(o.drain(..leftover).zip(n.drain(..leftover)));
        for (od, nd) in pairs {
            diff_dep(od, nd, out);
        }
        removed.extend(o);
        added.extend(n);
    }
    // A dependency that moved between target tables (say from
    // [dependencies] to [target.'cfg(..)'.dependencies]) is not new code:
    // pair what is left of one kind and package across targets.
    removed.retain(|od| {
        match added
            .iter()
            .position(|nd| nd.kind == od.kind && nd.package == od.package)
        {
            Some(i) => {
                let nd = added.remove(i);
                diff_target(od, nd, out);
                diff_dep(od, nd, out);
                false
            }
            None => true,
        }
    });
    for od in removed {
        push_dep(
            out,
            od,
            DepChange::Removed,
            Some(od.spec()),
            None,
            "removed",
        );
    }
    for nd in added {
        let (change, why) = if !nd.optional {
            (DepChange::Added, "added".to_string())
        } else if default_on.contains(&nd.key) {
            (
                DepChange::Added,
                "added (optional, but the default features enable it)".to_string(),
            )
        } else {
            let by: Vec<String> = new
                .features
                .iter()
                .filter(|(_, f)| {
                    f.enables.iter().any(|e| {
                        e.strip_prefix("dep:") == Some(nd.key.as_str())
                            || e.split_once('/')
                                .is_some_and(|(d, _)| d.trim_end_matches('?') == nd.key.as_str())
                    })
                })
                .map(|(name, _)| format!("`{name}`"))
                .collect();
            let why = if by.is_empty() {
                "added as optional".to_string()
            } else {
                format!("added as optional (enabled by feature {})", by.join(", "))
            };
            (DepChange::OptionalAdded, why)
        };
        push_dep(out, nd, change, None, Some(nd.spec()), &why);
    }
}

fn push_dep(
    out: &mut Vec<ManifestChange>,
    d: &Dep,
    change: DepChange,
    old: Option<String>,
    new: Option<String>,
    what: &str,
) {
    if let Some(code) = dep_code(d.kind, change) {
        out.push(ManifestChange::new(
            code,
            d.subject(),
            old,
            new,
            format!("{} {what}", d.label()),
        ));
    }
}

fn diff_target(o: &Dep, n: &Dep, out: &mut Vec<ManifestChange>) {
    let show = |t: &Option<String>| t.clone().unwrap_or_else(|| "every target".to_string());
    let (change, what) = match (&o.target, &n.target) {
        (None, Some(t)) => (
            DepChange::TargetNarrowed,
            format!("is now built only for `{t}` (was: every target)"),
        ),
        (Some(t), None) => (
            DepChange::TargetChanged,
            format!("is now built for every target (was only `{t}`)"),
        ),
        (o, n) => (
            DepChange::TargetChanged,
            format!("is now built for `{}` (was `{}`)", show(n), show(o)),
        ),
    };
    push_dep(
        out,
        n,
        change,
        Some(show(&o.target)),
        Some(show(&n.target)),
        &what,
    );
}

fn diff_dep(o: &Dep, n: &Dep, out: &mut Vec<ManifestChange>) {
    if o.source != n.source {
        let what = format!("now comes from {} (was {})", n.source, o.source);
        push_dep(
            out,
            n,
            DepChange::Source,
            Some(o.source.clone()),
            Some(n.source.clone()),
            &what,
        );
    }
    if !same_req(&o.req, &n.req) {
        let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "*".to_string());
        let what = format!("requirement {} -> {}", show(&o.req), show(&n.req));
        push_dep(
            out,
            n,
            DepChange::Requirement,
            Some(show(&o.req)),
            Some(show(&n.req)),
            &what,
        );
    }
    if o.optional != n.optional {
        let (change, what) = if n.optional {
            (DepChange::NowOptional, "is now optional")
        } else {
            (DepChange::NoLongerOptional, "is no longer optional")
        };
        let flag = |b: bool| Some(format!("optional = {b}"));
        push_dep(out, n, change, flag(o.optional), flag(n.optional), what);
    }
    if o.default_features != n.default_features {
        let what = if n.default_features {
            "now builds with its default features"
        } else {
            "now builds without its default features"
        };
        let flag = |b: bool| Some(format!("default-features = {b}"));
        push_dep(
            out,
            n,
            DepChange::DefaultFeatures,
            flag(o.default_features),
            flag(n.default_features),
            what,
        );
    }
    if o.features != n.features {
        let added: Vec<_> = n.features.difference(&o.features).collect();
        let removed: Vec<_> = o.features.difference(&n.features).collect();
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("now enables features {}", list(added.iter())));
        }
        if !removed.is_empty() {
            parts.push(format!("no longer enables {}", list(removed.iter())));
        }
        push_dep(
            out,
            n,
            DepChange::Features,
            Some(list(o.features.iter())),
            Some(list(n.features.iter())),
            &parts.join(" and "),
        );
    }
}

// ---------------------------------------------------------------------------
// Build scripts.
// ---------------------------------------------------------------------------

/// Compares build scripts by their normalized text ([`normalize_rust`]:
/// comments and layout dropped), so reformatting reports nothing. A script
/// in its own folder (`build/main.rs`) is compared together with every `.rs`
/// file under that folder, since that is where its modules live; modules of
/// a root `build.rs` and `include!`d files are not followed.
fn diff_build_scripts(old: &Manifest, new: &Manifest, out: &mut Vec<ManifestChange>) -> Result<()> {
    let (os, ns) = (&old.build_scripts, &new.build_scripts);
    for (i, n) in ns.iter().enumerate() {
        let Some(o) = os.get(i) else {
            let size = Some(n.as_str())
                .filter(|n| inside(n))
                .and_then(|n| fs::symlink_metadata(new.root.join(n)).ok())
                .filter(|m| m.is_file())
                .map_or_else(
                    || "declared, but not in the package".to_string(),
                    |m| human_size(m.len()),
                );
            out.push(ManifestChange::new(
                "build-script-added",
                n,
                None,
                Some(n.clone()),
                format!("build script `{n}` added ({size})"),
            ));
            continue;
        };
        let before = build_script_sources(&old.root, o)?;
        let after = build_script_sources(&new.root, n)?;
        if before == after {
            continue;
        }
        let changed: Vec<String> = before
            .keys()
            .chain(after.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| match k.as_str() {
                SCRIPT_KEY => format!("`{n}`"),
                module => format!("`{module}`"),
            })
            .collect();
        let moved = if o == n {
            String::new()
        } else {
            format!(" (moved from `{o}`)")
        };
        out.push(ManifestChange::new(
            "build-script-changed",
            n,
            Some(o.clone()),
            Some(n.clone()),
            format!("build script `{n}`{moved} changed: {}", changed.join(", ")),
        ));
    }
    for o in os.iter().skip(ns.len()) {
        out.push(ManifestChange::new(
            "build-script-removed",
            o,
            Some(o.clone()),
            None,
            format!("build script `{o}` removed"),
        ));
    }
    Ok(())
}

/// Key of the build script itself in [`build_script_sources`].
const SCRIPT_KEY: &str = "<script>";

/// The build script's files, keyed by path relative to the script's folder
/// (the script itself as [`SCRIPT_KEY`], so a moved script compares equal),
/// each normalized; `None` for a declared script that is not in the tree.
fn build_script_sources(root: &Path, script: &str) -> Result<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    if !inside(script) {
        out.insert(SCRIPT_KEY.to_string(), None);
        return Ok(out);
    }
    let path = root.join(script);
    out.insert(SCRIPT_KEY.to_string(), read_rust(&path)?);
    let dir = Path::new(script)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| root.join(d))
        .filter(|d| fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()));
    if let Some(dir) = dir {
        let walked = walk(&dir, 1_000)?;
        for f in walked.files {
            if f.path != path && f.rel.ends_with(".rs") {
                out.insert(f.rel, read_rust(&f.path)?);
            }
        }
    }
    Ok(out)
}

fn read_rust(path: &Path) -> Result<Option<String>> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {
            let bytes =
                fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(Some(normalize_rust(&String::from_utf8_lossy(&bytes))))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Rust source without comments and layout: whitespace is dropped except a
/// single space between two word characters or two operator characters
/// (`a & &b` stays apart from `a &&b`); string, raw string and char literals
/// are kept verbatim. A lexer this small can be fooled by contrived code,
/// but only towards reporting a change.
fn normalize_rust(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let word = |x: char| x.is_alphanumeric() || x == '_';
    let op = |x: char| "+-*/%^!&|=<>@.:?~$#".contains(x);
    let mut out = String::with_capacity(src.len());
    let mut last: Option<char> = None;
    let mut gap = false;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch.is_whitespace() {
            gap = true;
            i += 1;
            continue;
        }
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            gap = true;
            continue;
        }
        if ch == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            gap = true;
            continue;
        }
        if gap {
            if let Some(l) = last
                && ((word(l) && word(ch)) || (op(l) && op(ch)))
            {
                out.push(' ');
            }
            gap = false;
        }
        let end = literal_end(&c, i).unwrap_or(i + 1);
        out.extend(&c[i..end]);
        last = c.get(end - 1).copied();
        i = end;
    }
    out
}

/// End (exclusive) of the string, raw string or char literal starting at
/// `i`, if one does.
fn literal_end(c: &[char], i: usize) -> Option<usize> {
    match c[i] {
        '"' => {
            let mut j = i + 1;
            while j < c.len() {
                match c[j] {
                    '\\' => j += 2,
                    '"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
            Some(c.len())
        }
        'r' => {
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                return None;
            }
            let hashes = j - i - 1;
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) {
                    return Some(j + 1 + hashes);
                }
                j += 1;
            }
            Some(c.len())
        }
        '\'' => {
            if c.get(i + 1) == Some(&'\\') {
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                Some((j + 1).min(c.len()))
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None // a lifetime or label
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Targets and package metadata.
// ---------------------------------------------------------------------------

/// `1.70` -> [1, 70, 0]; `None` when not a plain version.
fn rust_version_parts(v: &str) -> Option<Vec<u64>> {
    let mut parts: Vec<u64> = v
        .trim()
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    parts.resize(3, 0);
    Some(parts)
}

fn diff_package(old: &Manifest, new: &Manifest, out: &mut Vec<ManifestChange>) {
    if old.proc_macro != new.proc_macro {
        let (code, what) = if new.proc_macro {
            ("proc-macro-enabled", "`lib.proc-macro` is now true")
        } else {
            ("proc-macro-disabled", "`lib.proc-macro` is now false")
        };
        let flag = |b: bool| Some(b.to_string());
        out.push(ManifestChange::new(
            code,
            "lib.proc-macro",
            flag(old.proc_macro),
            flag(new.proc_macro),
            what.to_string(),
        ));
    }

    match (&old.rust_version, &new.rust_version) {
        (Some(o), None) => out.push(ManifestChange::new(
            "rust-version-removed",
            "package.rust-version",
            Some(o.clone()),
            None,
            format!("`rust-version` {o} removed"),
        )),
        (o, Some(n)) if o.as_ref() != Some(n) => {
            let lowered = o
                .as_deref()
                .and_then(rust_version_parts)
                .zip(rust_version_parts(n))
                .is_some_and(|(o, n)| n < o);
            // Unparsable values (e.g. inherited) count as raised: the safe side.
            let same = o
                .as_deref()
                .and_then(rust_version_parts)
                .zip(rust_version_parts(n))
                .is_some_and(|(o, n)| n == o);
            if !same {
                let code = if lowered {
                    "rust-version-lowered"
                } else {
                    "rust-version-raised"
                };
                let was = o.as_deref().unwrap_or("none declared");
                out.push(ManifestChange::new(
                    code,
                    "package.rust-version",
                    o.clone(),
                    Some(n.clone()),
                    format!("`rust-version` {was} -> {n}"),
                ));
            }
        }
        _ => {}
    }

    if old.edition != new.edition {
        out.push(ManifestChange::new(
            "edition-changed",
            "package.edition",
            Some(old.edition.clone()),
            Some(new.edition.clone()),
            format!("edition {} -> {}", old.edition, new.edition),
        ));
    }

    match (&old.links, &new.links) {
        (None, Some(n)) => out.push(ManifestChange::new(
            "links-added",
            "package.links",
            None,
            Some(n.clone()),
            format!("`links = \"{n}\"` added"),
        )),
        (Some(o), Some(n)) if o != n => out.push(ManifestChange::new(
            "links-changed",
            "package.links",
            Some(o.clone()),
            Some(n.clone()),
            format!("`links` {o} -> {n}"),
        )),
        (Some(o), None) => out.push(ManifestChange::new(
            "links-removed",
            "package.links",
            Some(o.clone()),
            None,
            format!("`links = \"{o}\"` removed"),
        )),
        _ => {}
    }

    for b in new.bins.difference(&old.bins) {
        out.push(ManifestChange::new(
            "bin-target-added",
            b,
            None,
            Some(b.clone()),
            format!("binary target `{b}` added"),
        ));
    }
    for b in old.bins.difference(&new.bins) {
        out.push(ManifestChange::new(
            "bin-target-removed",
            b,
            Some(b.clone()),
            None,
            format!("binary target `{b}` removed"),
        ));
    }
}

// ---------------------------------------------------------------------------
// Package contents.
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct WalkedFile {
    /// Relative to the walk's root, `/`-separated.
    rel: String,
    path: PathBuf,
    len: u64,
}

#[derive(Debug)]
struct Walk {
    files: Vec<WalkedFile>,
    truncated: bool,
}

/// Regular files under `root` in path order, at most `cap`; symbolic links
/// are neither followed nor listed (the extractor refuses them anyway).
fn walk(root: &Path, cap: usize) -> Result<Walk> {
    let mut files = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir != root => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        let mut entries = entries
            .collect::<io::Result<Vec<_>>>()
            .with_context(|| format!("cannot list {}", dir.display()))?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let meta = fs::symlink_metadata(e.path())
                .with_context(|| format!("cannot stat {}", e.path().display()))?;
            if meta.is_dir() {
                subdirs.push((e.path(), child_rel));
            } else if meta.is_file() {
                if files.len() >= cap {
                    return Ok(Walk {
                        files,
                        truncated: true,
                    });
                }
                files.push(WalkedFile {
                    rel: child_rel,
                    path: e.path(),
                    len: meta.len(),
                });
            }
        }
        // Reversed so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(Walk {
        files,
        truncated: false,
    })
}

fn head(path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(HEAD_BYTES);
    File::open(path)
        .and_then(|f| f.take(HEAD_BYTES as u64).read_to_end(&mut buf))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(buf)
}

/// Byte-for-byte equality, streamed so large blobs are not held in memory.
fn same_content(a: &Path, b: &Path) -> Result<bool> {
    let open = |p: &Path| File::open(p).with_context(|| format!("cannot read {}", p.display()));
    let (mut fa, mut fb) = (open(a)?, open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let na =
            read_full(&mut fa, &mut ba).with_context(|| format!("cannot read {}", a.display()))?;
        let nb =
            read_full(&mut fb, &mut bb).with_context(|| format!("cannot read {}", b.display()))?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buf` unless the reader ends first; the count read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// What a file is, when it is not text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileClass {
    /// Native or otherwise precompiled code; the description says which.
    Precompiled(String),
    /// Some other binary content.
    Blob,
}

/// Extensions of binary files that are routinely shipped as data and carry
/// no code: images, fonts, audio/video, PDF, certificates.
const MEDIA_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "avif", "heic",
    "heif", "psd", "xcf", "ttf", "otf", "ttc", "woff", "woff2", "eot", "pfb", "wav", "mp3", "ogg",
    "oga", "flac", "opus", "aac", "m4a", "mp4", "m4v", "webm", "mov", "avi", "mkv", "pdf", "der",
    "cer", "crt",
];

/// Names that are native code whatever their content.
const NATIVE_EXTENSIONS: &[&str] = &["a", "so", "dll", "dylib", "exe"];

/// Names that are native code when their content is binary too (`.lib`
/// and `.o` are also used for text formats).
const NATIVE_IF_BINARY_EXTENSIONS: &[&str] = &["lib", "rlib", "o", "obj", "node"];

fn classify(name: &str, head: &[u8]) -> Option<FileClass> {
    if let Some(kind) = native_magic(head) {
        return Some(FileClass::Precompiled(kind));
    }
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // libfoo.so.1.2.3
    let versioned_so = lower
        .split_once(".so.")
        .is_some_and(|(_, v)| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if NATIVE_EXTENSIONS.contains(&ext) || versioned_so {
        let ext = if versioned_so { "so" } else { ext };
        return Some(FileClass::Precompiled(format!(
            "`.{ext}` native library or executable by its name (no known header)"
        )));
    }
    let utf16 = head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]);
    if !head.contains(&0) || utf16 {
        return None;
    }
    if NATIVE_IF_BINARY_EXTENSIONS.contains(&ext) {
        return Some(FileClass::Precompiled(format!(
            "binary `.{ext}` file (object code or library by its name)"
        )));
    }
    if MEDIA_EXTENSIONS.contains(&ext) {
        return None;
    }
    Some(FileClass::Blob)
}

fn u16_at(b: &[u8], at: usize, little: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if little {
        u16::from_le_bytes(bytes)
    } else {
        u16::from_be_bytes(bytes)
    })
}

fn u32_at(b: &[u8], at: usize, little: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    })
}

/// Recognizes executable formats by their header; the description names the
/// format, kind and architecture where the header says.
fn native_magic(h: &[u8]) -> Option<String> {
    if h.starts_with(b"\x7fELF") {
        let little = h.get(5) != Some(&2);
        let bits = match h.get(4) {
            Some(1) => "32-bit ",
            Some(2) => "64-bit ",
            _ => "",
        };
        let kind = match u16_at(h, 16, little) {
            Some(1) => "relocatable object",
            Some(2) => "executable",
            Some(3) => "shared object or position-independent executable",
            Some(4) => "core dump",
            _ => "file",
        };
        let arch = match u16_at(h, 18, little) {
            Some(0x03) => "x86",
            Some(0x08) => "MIPS",
            Some(0x14) => "PowerPC",
            Some(0x15) => "PowerPC64",
            Some(0x16) => "s390",
            Some(0x28) => "ARM",
            Some(0x2b) => "SPARC V9",
            Some(0x3e) => "x86-64",
            Some(0xb7) => "AArch64",
            Some(0xf3) => "RISC-V",
            Some(0x102) => "LoongArch",
            _ => "unknown architecture",
        };
        return Some(format!("{bits}ELF {kind} ({arch})"));
    }
    let macho = |little: bool, bits: &str| {
        let kind = match u32_at(h, 12, little) {
            Some(1) => "object",
            Some(2) => "executable",
            Some(6) => "dynamic library",
            Some(8) => "bundle",
            _ => "file",
        };
        let arch = match u32_at(h, 4, little) {
            Some(7) => "x86",
            Some(0x0100_0007) => "x86-64",
            Some(12) => "ARM",
            Some(0x0100_000c) => "arm64",
            _ => "unknown architecture",
        };
        format!("{bits}Mach-O {kind} ({arch})")
    };
    match h.get(..4) {
        Some(b"\xfe\xed\xfa\xce") => return Some(macho(false, "32-bit ")),
        Some(b"\xfe\xed\xfa\xcf") => return Some(macho(false, "64-bit ")),
        Some(b"\xce\xfa\xed\xfe") => return Some(macho(true, "32-bit ")),
        Some(b"\xcf\xfa\xed\xfe") => return Some(macho(true, "64-bit ")),
        Some(b"\xca\xfe\xba\xbe") | Some(b"\xca\xfe\xba\xbf") => {
            // Java class files share this magic; there the next word is the
            // class file version (45 and up), here the architecture count.
            if let Some(n @ 1..=44) = u32_at(h, 4, false) {
                return Some(format!("Mach-O universal binary ({n} architectures)"));
            }
        }
        Some(b"\0asm") => return Some("WebAssembly module".to_string()),
        _ => {}
    }
    if h.starts_with(b"!<arch>\n") {
        return Some("ar archive (static library)".to_string());
    }
    if h.starts_with(b"MZ") {
        let pe = u32_at(h, 0x3c, true)
            .and_then(|off| usize::try_from(off).ok())
            .filter(|&off| h.get(off..).is_some_and(|r| r.starts_with(b"PE\0\0")));
        if let Some(off) = pe {
            let arch = match u16_at(h, off + 4, true) {
                Some(0x14c) => "x86",
                Some(0x8664) => "x86-64",
                Some(0xaa64) => "ARM64",
                Some(0x1c0 | 0x1c4) => "ARM",
                _ => "unknown architecture",
            };
            let dll = u16_at(h, off + 22, true).is_some_and(|c| c & 0x2000 != 0);
            let kind = if dll { "DLL" } else { "executable" };
            return Some(format!("PE {kind} ({arch})"));
        }
        // A bare DOS header; text that happens to start with "MZ" has no NUL.
        if h.contains(&0) {
            return Some("DOS/Windows executable (MZ header)".to_string());
        }
    }
    None
}

fn human_size(n: u64) -> String {
    const KIB: u64 = 1024;
    if n < KIB {
        format!("{n} bytes")
    } else if n < KIB * KIB {
        format!("{:.1} KiB ({n} bytes)", n as f64 / KIB as f64)
    } else {
        format!("{:.1} MiB ({n} bytes)", n as f64 / (KIB * KIB) as f64)
    }
}

/// Binary files of the new tree that the old tree did not have, byte for
/// byte, at that path or (moved) at any other.
fn diff_contents(old_dir: &Path, new_dir: &Path, out: &mut Vec<ManifestChange>) -> Result<()> {
    let new = walk(new_dir, MAX_FILES)?;
    let old = walk(old_dir, MAX_FILES)?;
    for (side, w) in [("old", &old), ("new", &new)] {
        if w.truncated {
            out.push(ManifestChange::new(
                "contents-not-fully-scanned",
                format!("{side} package"),
                None,
                None,
                format!(
                    "the {side} package has more than {MAX_FILES} files; only the first {MAX_FILES} were checked"
                ),
            ));
        }
    }
    let old_by_rel: BTreeMap<&str, &WalkedFile> =
        old.files.iter().map(|f| (f.rel.as_str(), f)).collect();
    let mut old_by_len: BTreeMap<u64, Vec<&WalkedFile>> = BTreeMap::new();
    for f in &old.files {
        old_by_len.entry(f.len).or_default().push(f);
    }

    for f in &new.files {
        let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        let Some(class) = classify(name, &head(&f.path)?) else {
            continue;
        };
        let before = old_by_rel.get(f.rel.as_str());
        if let Some(o) = before
            && o.len == f.len
            && same_content(&o.path, &f.path)?
        {
            continue;
        }
        // Moved or copied, not new: compare with old files of the same size
        // (a few, to stay cheap on packages of many equal-sized files).
        let mut moved_from = None;
        for o in old_by_len.get(&f.len).into_iter().flatten().take(16) {
            if same_content(&o.path, &f.path)? {
                moved_from = Some(o.rel.clone());
                break;
            }
        }
        if moved_from.is_some() {
            continue;
        }
        let size = human_size(f.len);
        let old_desc = match before {
            Some(o) => {
                let desc = match classify(name, &head(&o.path)?) {
                    Some(FileClass::Precompiled(k)) => k,
                    Some(FileClass::Blob) => "binary file".to_string(),
                    None => "text file".to_string(),
                };
                Some(format!("{desc}, {}", human_size(o.len)))
            }
            None => None,
        };
        let state = if before.is_some() { "changed" } else { "added" };
        let (code, desc) = match class {
            FileClass::Precompiled(kind) => ("precompiled-binary-added", kind),
            FileClass::Blob => ("binary-file-added", "binary file".to_string()),
        };
        out.push(ManifestChange::new(
            code,
            f.rel.clone(),
            old_desc,
            Some(format!("{desc}, {size}")),
            format!("`{}` {state}: {desc}, {size}", f.rel),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate tree with this `Cargo.toml` and files.
    fn tree(manifest: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("Cargo.toml"), manifest).expect("write manifest");
        for (path, content) in files {
            let p = dir.path().join(path);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(p, content).expect("write file");
        }
        dir
    }

    const PKG: &str = "[package]\nname = \"c\"\nversion = \"1.0.0\"\nedition = \"2021\"\n";

    fn run(old: (&str, &[(&str, &[u8])]), new: (&str, &[(&str, &[u8])])) -> Vec<ManifestChange> {
        let o = tree(&format!("{PKG}{}", old.0), old.1);
        let n = tree(&format!("{PKG}{}", new.0), new.1);
        diff(o.path(), n.path()).expect("diff")
    }

    /// Diff of two manifests (appended to a common `[package]`), no files.
    fn manifests(old: &str, new: &str) -> Vec<ManifestChange> {
        run((old, &[]), (new, &[]))
    }

    fn codes(changes: &[ManifestChange]) -> Vec<(&'static str, String)> {
        changes
            .iter()
            .map(|c| (c.code, c.subject.clone()))
            .collect()
    }

    fn only<'a>(changes: &'a [ManifestChange], code: &str) -> &'a ManifestChange {
        let found: Vec<_> = changes.iter().filter(|c| c.code == code).collect();
        assert_eq!(found.len(), 1, "one {code} in {changes:#?}");
        found[0]
    }

    #[test]
    fn every_code_is_unique_kebab_case_and_has_a_summary() {
        let codes: BTreeSet<_> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(codes.len(), RULES.len());
        for r in RULES {
            assert!(
                r.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.code
            );
            assert!(!r.summary.is_empty() && !r.summary.contains('\n'));
        }
    }

    #[test]
    fn every_code_is_in_the_docs() {
        let docs = include_str!("../docs/manifest-changes.md");
        for r in RULES {
            let row = format!("| `{}` | {} |", r.code, r.severity);
            assert!(docs.contains(&row), "docs/manifest-changes.md lacks {row}");
        }
    }

    #[test]
    fn every_dependency_code_is_in_the_table() {
        use DepChange as C;
        for kind in [DepKind::Normal, DepKind::Build, DepKind::Dev] {
            for change in [
                C::Added,
                C::OptionalAdded,
                C::Removed,
                C::Requirement,
                C::NoLongerOptional,
                C::NowOptional,
                C::DefaultFeatures,
                C::Features,
                C::Source,
                C::TargetNarrowed,
                C::TargetChanged,
            ] {
                if let Some(code) = dep_code(kind, change) {
                    assert!(rule(code).is_some(), "{code}");
                }
            }
        }
    }

    #[test]
    fn severity_serializes_lowercase_and_orders_high_last() {
        let json = serde_json::to_string(&[Severity::High, Severity::Medium, Severity::Low])
            .expect("json");
        assert_eq!(json, r#"["high","medium","low"]"#);
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
    }

    #[test]
    fn identical_trees_report_nothing() {
        let m = "[features]\ndefault = [\"std\"]\nstd = []\n[dependencies]\nserde = \"1\"\n";
        let files: &[(&str, &[u8])] = &[("build.rs", b"fn main() {}"), ("x.so", b"\x7fELF")];
        assert!(run((m, files), (m, files)).is_empty());
    }

    #[test]
    fn default_feature_dropped_is_high_and_added_is_medium() {
        let c = manifests(
            "[features]\ndefault = [\"std\", \"derive\"]\nstd = []\nderive = []\nalloc = []\n",
            "[features]\ndefault = [\"std\", \"alloc\"]\nstd = []\nderive = []\nalloc = []\n",
        );
        let dropped = only(&c, "default-feature-removed");
        assert_eq!(dropped.subject, "derive");
        assert_eq!(dropped.severity, Severity::High);
        assert_eq!(dropped.old.as_deref(), Some("[std, derive]"));
        assert_eq!(dropped.new.as_deref(), Some("[std, alloc]"));
        let added = only(&c, "default-feature-added");
        assert_eq!(added.subject, "alloc");
        assert_eq!(added.severity, Severity::Medium);
        assert_eq!(c.len(), 2, "{c:#?}");
        assert_eq!(c[0].code, "default-feature-removed", "most severe first");
    }

    #[test]
    fn features_added_removed_and_changed() {
        let c = manifests(
            "[features]\ngone = []\nsame = [\"a\"]\nmoved = [\"a\", \"b\"]\na = []\nb = []\n",
            "[features]\nnew = []\nsame = [\"a\"]\nmoved = [\"b\", \"dep:x\"]\na = []\nb = []\n[dependencies]\nx = { version = \"1\", optional = true }\n",
        );
        assert_eq!(only(&c, "feature-removed").subject, "gone");
        assert_eq!(only(&c, "feature-removed").severity, Severity::High);
        assert_eq!(only(&c, "feature-added").subject, "new");
        assert_eq!(only(&c, "feature-added").severity, Severity::Low);
        let changed = only(&c, "feature-changed");
        assert_eq!(changed.subject, "moved");
        assert_eq!(changed.severity, Severity::Medium);
        assert!(
            changed.message.contains("now also enables `dep:x`"),
            "{changed:?}"
        );
        assert!(
            changed.message.contains("no longer enables `a`"),
            "{changed:?}"
        );
        // Order within a feature's list does not matter.
        assert!(
            manifests(
                "[features]\nf = [\"a\", \"b\"]\n",
                "[features]\nf = [\"b\", \"a\"]\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn implicit_feature_of_an_optional_dependency_counts() {
        // Removing an optional dependency removes the feature users enable by its name.
        let c = manifests(
            "[dependencies]\nserde = { version = \"1\", optional = true }\n",
            "",
        );
        assert_eq!(only(&c, "feature-removed").subject, "serde");
        assert!(only(&c, "feature-removed").message.contains("implicit"));
        assert_eq!(only(&c, "dependency-removed").subject, "serde");
        // Implicit -> explicit with the same meaning is no change.
        assert!(
            manifests(
                "[dependencies]\nserde = { version = \"1\", optional = true }\n",
                "[dependencies]\nserde = { version = \"1\", optional = true }\n[features]\nserde = [\"dep:serde\"]\n",
            )
            .is_empty()
        );
    }

    #[test]
    fn dependency_added_by_kind() {
        let c = manifests(
            "",
            "[dependencies]\nlibc = \"0.2\"\n[build-dependencies]\ncc = \"1\"\n[dev-dependencies]\nproptest = \"1\"\n[target.'cfg(windows)'.dependencies]\nwindows-sys = \"0.59\"\n",
        );
        let codes = codes(&c);
        assert!(
            codes.contains(&("dependency-added", "libc".into())),
            "{codes:?}"
        );
        assert!(codes.contains(&("build-dependency-added", "cc".into())));
        assert!(codes.contains(&("dev-dependency-added", "proptest".into())));
        assert!(codes.contains(&("dependency-added", "windows-sys (cfg(windows))".into())));
        assert_eq!(only(&c, "build-dependency-added").severity, Severity::High);
        assert_eq!(only(&c, "dev-dependency-added").severity, Severity::Low);
        assert_eq!(only(&c, "build-dependency-added").new.as_deref(), Some("1"));
        assert_eq!(c.len(), 4, "{c:#?}");
    }

    #[test]
    fn optional_dependency_added_is_medium_unless_default_enables_it() {
        let c = manifests(
            "",
            "[dependencies]\nx = { version = \"1\", optional = true }\ny = { version = \"1\", optional = true }\n[features]\ndefault = [\"fast\"]\nfast = [\"y/simd\"]\nuse-x = [\"dep:x\"]\n",
        );
        let x = c.iter().find(|c| c.subject == "x").expect("x");
        assert_eq!(x.code, "optional-dependency-added");
        assert_eq!(x.severity, Severity::Medium);
        assert!(x.message.contains("`use-x`"), "{x:?}");
        let y = c
            .iter()
            .find(|c| c.subject == "y" && c.code.contains("dependency"))
            .expect("y");
        assert_eq!(y.code, "dependency-added");
        assert!(y.message.contains("default features enable it"), "{y:?}");
    }

    #[test]
    fn dependency_removed_and_requirement_changed() {
        let c = manifests(
            "[dependencies]\na = \"1\"\nb = \"1.0\"\nsame = \"1.2\"\n[build-dependencies]\ncc = \"1.0\"\n[dev-dependencies]\nt = \"0.1\"\n",
            "[dependencies]\nb = \"2.0\"\nsame = \"^1.2\"\n[build-dependencies]\ncc = \"1.1\"\n[dev-dependencies]\nt = \"0.2\"\n",
        );
        assert_eq!(only(&c, "dependency-removed").subject, "a");
        let b = only(&c, "dependency-requirement-changed");
        assert_eq!(
            (b.old.as_deref(), b.new.as_deref()),
            (Some("1.0"), Some("2.0"))
        );
        assert_eq!(
            only(&c, "build-dependency-requirement-changed").subject,
            "cc"
        );
        assert_eq!(
            only(&c, "dev-dependency-requirement-changed").severity,
            Severity::Low
        );
        assert_eq!(c.len(), 4, "`1.2` and `^1.2` are the same: {c:#?}");
    }

    #[test]
    fn requirement_respellings_are_no_change() {
        let same = |a: &str, b: &str| same_req(&Some(a.into()), &Some(b.into()));
        assert!(same("1", "1.0"));
        assert!(same("1.0", "^1.0.0"));
        assert!(same("0.2", "^0.2.0"));
        assert!(same(">=1", ">= 1.0.0"));
        assert!(!same("0", "0.0"));
        assert!(!same("~1", "~1.0"));
        assert!(!same("1.0", "1.1"));
        assert!(!same("=1.0", "1.0"));
        assert!(same("not semver", " not semver "));
        assert!(!same_req(&None, &Some("1".into())));
    }

    #[test]
    fn dependency_moved_between_targets_is_not_new() {
        let c = manifests(
            "[dependencies]
syn = \"2\"
[target.'cfg(unix)'.build-dependencies]
cc = \"1\"
[dev-dependencies]
t = \"1\"
",
            "[target.'cfg(not(windows))'.dependencies]
syn = \"2.0.25\"
[build-dependencies]
cc = \"1\"
[target.'cfg(unix)'.dev-dependencies]
t = \"1\"
",
        );
        let syn = only(&c, "dependency-target-narrowed");
        assert_eq!(syn.subject, "syn (cfg(not(windows)))");
        assert_eq!(syn.old.as_deref(), Some("every target"));
        assert_eq!(syn.severity, Severity::Low);
        // Its other differences are still reported.
        assert_eq!(
            only(&c, "dependency-requirement-changed").subject,
            "syn (cfg(not(windows)))"
        );
        let cc = only(&c, "build-dependency-target-changed");
        assert_eq!(cc.severity, Severity::Medium);
        assert!(
            cc.message.contains("every target (was only `cfg(unix)`)"),
            "{cc:?}"
        );
        assert_eq!(
            only(&c, "dev-dependency-target-changed").subject,
            "t (cfg(unix))"
        );
        assert_eq!(c.len(), 4, "{c:#?}");
    }

    #[test]
    fn optional_default_features_features_and_source_changes() {
        let c = manifests(
            "[dependencies]\na = { version = \"1\", optional = true }\nb = \"1\"\nd = { version = \"1\", features = [\"x\"] }\ns = \"1\"\n[build-dependencies]\ng = { git = \"https://example.com/g\", tag = \"v1\" }\n[dev-dependencies]\nt = { version = \"1\", default-features = false }\n[features]\nuse-a = [\"dep:a\"]\n",
            "[dependencies]\na = \"1\"\nb = { version = \"1\", optional = true }\nd = { version = \"1\", features = [\"y\"], default-features = false }\ns = { version = \"1\", registry-index = \"https://other.example/index\" }\n[build-dependencies]\ng = { git = \"https://example.com/g\", tag = \"v2\" }\n[dev-dependencies]\nt = { version = \"1\" }\n[features]\nuse-a = []\n",
        );
        assert_eq!(only(&c, "dependency-no-longer-optional").subject, "a");
        assert_eq!(
            only(&c, "dependency-no-longer-optional").severity,
            Severity::High
        );
        assert_eq!(only(&c, "dependency-now-optional").subject, "b");
        let df = only(&c, "dependency-default-features-changed");
        assert_eq!(df.subject, "d");
        assert_eq!(df.new.as_deref(), Some("default-features = false"));
        let f = only(&c, "dependency-features-changed");
        assert_eq!(
            (f.old.as_deref(), f.new.as_deref()),
            (Some("[x]"), Some("[y]"))
        );
        let s = only(&c, "dependency-source-changed");
        assert_eq!(s.subject, "s");
        assert_eq!(
            s.new.as_deref(),
            Some("registry https://other.example/index")
        );
        let g = only(&c, "build-dependency-source-changed");
        assert_eq!(g.old.as_deref(), Some("git https://example.com/g tag v1"));
        assert_eq!(
            only(&c, "dev-dependency-default-features-changed").subject,
            "t"
        );
        // `b` became optional: it gained an implicit feature.
        assert_eq!(only(&c, "feature-added").subject, "b");
    }

    #[test]
    fn renamed_dependency_is_named_by_package_and_a_rename_alone_is_no_change() {
        let c = manifests(
            "[dependencies]\njson = { package = \"serde_json\", version = \"1.0\" }\n",
            "[dependencies]\nsj = { package = \"serde_json\", version = \"1.1\" }\n",
        );
        let r = only(&c, "dependency-requirement-changed");
        assert_eq!(r.subject, "serde_json");
        assert!(r.message.contains("(as `sj`)"), "{r:?}");
        assert_eq!(c.len(), 1);
        // Two majors of one package under two names, paired by name.
        let c = manifests(
            "[dependencies]\nrand07 = { package = \"rand\", version = \"0.7\" }\nrand = \"0.8\"\n",
            "[dependencies]\nrand07 = { package = \"rand\", version = \"0.7\" }\nrand = \"0.9\"\n",
        );
        assert_eq!(
            codes(&c),
            vec![("dependency-requirement-changed", "rand".into())]
        );
        assert_eq!(c[0].new.as_deref(), Some("0.9"));
    }

    #[test]
    fn normalization_styles_compare_equal() {
        // Old Cargo: inline tables, underscore spellings, implicit build.rs and bins.
        let old = tree(
            &format!(
                "{PKG}[dependencies]\nserde = {{ version = \"1\", default_features = false }}\n[dev_dependencies]\nx = \"1\"\n"
            ),
            &[
                ("build.rs", b"fn main() {}\n"),
                ("src/main.rs", b""),
                ("src/bin/tool.rs", b""),
            ],
        );
        // New Cargo: dotted tables, explicit build, bins and autobins = false.
        let new = tree(
            "[package]\nname = \"c\"\nversion = \"1.0.1\"\nedition = \"2021\"\nbuild = \"build.rs\"\nautobins = false\n\n[[bin]]\nname = \"c\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/bin/tool.rs\"\n\n[dependencies.serde]\nversion = \"1\"\ndefault-features = false\n\n[dev-dependencies.x]\nversion = \"1\"\n",
            &[
                ("build.rs", b"fn main() {}\n"),
                ("src/main.rs", b""),
                ("src/bin/tool.rs", b""),
            ],
        );
        let c = diff(old.path(), new.path()).expect("diff");
        assert!(c.is_empty(), "{c:#?}");
    }

    #[test]
    fn build_script_added_removed_changed() {
        let script: &[(&str, &[u8])] = &[(
            "build.rs",
            b"fn main() { println!(\"cargo:rustc-cfg=x\"); }",
        )];
        let added = run(("", &[]), ("", script));
        assert_eq!(
            codes(&added),
            vec![("build-script-added", "build.rs".into())]
        );
        assert_eq!(added[0].severity, Severity::High);
        let removed = run(("", script), ("", &[]));
        assert_eq!(
            codes(&removed),
            vec![("build-script-removed", "build.rs".into())]
        );
        assert_eq!(removed[0].severity, Severity::Medium);
        let changed = run(
            ("", script),
            (
                "",
                &[(
                    "build.rs",
                    b"fn main() { std::process::Command::new(\"curl\"); }",
                )],
            ),
        );
        assert_eq!(
            codes(&changed),
            vec![("build-script-changed", "build.rs".into())]
        );
        assert!(
            changed[0].message.contains("changed: `build.rs`"),
            "{changed:?}"
        );
        // `build = false` turns an existing build.rs off.
        let off = run(("", script), ("build = false\n", script));
        assert_eq!(
            codes(&off),
            vec![("build-script-removed", "build.rs".into())]
        );
    }

    #[test]
    fn build_script_named_by_package_build_and_its_modules() {
        // `build = "..."` must sit in [package]; append it via the package table.
        let mk = |files: &[(&str, &[u8])]| {
            tree(
                "[package]\nname = \"c\"\nversion = \"1.0.0\"\nbuild = \"build/main.rs\"\n",
                files,
            )
        };
        let o = mk(&[
            ("build/main.rs", b"mod gen; fn main() { gen::run() }"),
            ("build/gen.rs", b"pub fn run() {}"),
        ]);
        let n = mk(&[
            ("build/main.rs", b"mod gen; fn main() { gen::run() }"),
            ("build/gen.rs", b"pub fn run() { evil() }"),
        ]);
        let c = diff(o.path(), n.path()).expect("diff");
        assert_eq!(
            codes(&c),
            vec![("build-script-changed", "build/main.rs".into())]
        );
        assert!(c[0].message.contains("`gen.rs`"), "{c:?}");
        // A moved but identical script is no change.
        let moved = tree(PKG, &[("build.rs", b"fn main() {}")]);
        let at = tree(
            "[package]\nname = \"c\"\nversion = \"1.0.0\"\nedition = \"2021\"\nbuild = \"b.rs\"\n",
            &[("b.rs", b"fn main() {}")],
        );
        assert!(diff(moved.path(), at.path()).expect("diff").is_empty());
    }

    #[test]
    fn build_script_comments_and_layout_are_ignored_but_strings_are_not() {
        let a = "// generated\nfn main() {\n    println!(\"cargo:rerun-if-changed=build.rs\"); /* x */\n}\n";
        let b = "fn main() { println!(\"cargo:rerun-if-changed=build.rs\"); }";
        assert_eq!(normalize_rust(a), normalize_rust(b));
        // `//` and whitespace inside strings are content.
        assert_ne!(
            normalize_rust("let u = \"https://a  b\";"),
            normalize_rust("let u = \"https:\";")
        );
        assert_ne!(
            normalize_rust("let u = \"a  b\";"),
            normalize_rust("let u = \"a b\";")
        );
        assert_ne!(normalize_rust("r#\"a // b\"#"), normalize_rust("r#\"a \"#"));
        assert_eq!(normalize_rust("let c = '\"'; // q"), "let c='\"';");
        assert_eq!(
            normalize_rust("fn f<'a>(x: &'a u8) {}"),
            "fn f<'a>(x: &'a u8){}"
        );
        assert_ne!(normalize_rust("a & &b"), normalize_rust("a &&b"));
        assert_eq!(normalize_rust("/* a /* nested */ b */ x"), "x");
    }

    #[test]
    fn proc_macro_rust_version_edition_links_and_bins() {
        let old = tree(
            "[package]\nname = \"c\"\nversion = \"1.0.0\"\nedition = \"2018\"\nrust-version = \"1.60\"\n[[bin]]\nname = \"old-tool\"\npath = \"src/old.rs\"\n",
            &[],
        );
        let new = tree(
            "[package]\nname = \"c\"\nversion = \"1.0.0\"\nedition = \"2021\"\nrust-version = \"1.70.0\"\nlinks = \"z\"\n[lib]\nproc-macro = true\n[[bin]]\nname = \"new-tool\"\npath = \"src/new.rs\"\n",
            &[],
        );
        let c = diff(old.path(), new.path()).expect("diff");
        let sev = |code: &str| only(&c, code).severity;
        assert_eq!(sev("proc-macro-enabled"), Severity::High);
        assert_eq!(sev("rust-version-raised"), Severity::Medium);
        assert_eq!(sev("edition-changed"), Severity::Medium);
        assert_eq!(sev("links-added"), Severity::High);
        assert_eq!(only(&c, "bin-target-added").subject, "new-tool");
        assert_eq!(only(&c, "bin-target-removed").subject, "old-tool");
        assert_eq!(c.len(), 6, "{c:#?}");

        let back = diff(new.path(), old.path()).expect("diff");
        let codes: BTreeSet<_> = back.iter().map(|c| c.code).collect();
        for code in [
            "proc-macro-disabled",
            "rust-version-lowered",
            "links-removed",
        ] {
            assert!(codes.contains(code), "{code} in {back:#?}");
        }
        assert_eq!(only(&back, "rust-version-lowered").severity, Severity::Low);

        assert!(manifests("", "").is_empty());
    }

    #[test]
    fn rust_version_removed_links_changed_and_equivalent_versions() {
        let mk = |extra: &str| {
            tree(
                &format!("[package]\nname = \"c\"\nversion = \"1.0.0\"\n{extra}"),
                &[],
            )
        };
        let c = diff(
            mk("rust-version = \"1.70\"\nlinks = \"a\"\n").path(),
            mk("links = \"b\"\n").path(),
        )
        .expect("diff");
        assert_eq!(only(&c, "rust-version-removed").severity, Severity::Low);
        assert_eq!(only(&c, "links-changed").new.as_deref(), Some("b"));
        let same = diff(
            mk("rust-version = \"1.70\"\n").path(),
            mk("rust-version = \"1.70.0\"\n").path(),
        )
        .expect("diff");
        assert!(same.is_empty(), "{same:?}");
        // Edition absent means 2015.
        let e = diff(mk("").path(), mk("edition = \"2015\"\n").path()).expect("diff");
        assert!(e.is_empty(), "{e:?}");
    }

    fn elf(machine: u16, kind: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[16..18].copy_from_slice(&kind.to_le_bytes());
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn recognizes_native_formats() {
        assert_eq!(
            native_magic(&elf(0x3e, 3)).as_deref(),
            Some("64-bit ELF shared object or position-independent executable (x86-64)")
        );
        let mut macho = vec![0u8; 32];
        macho[..4].copy_from_slice(b"\xcf\xfa\xed\xfe");
        macho[4..8].copy_from_slice(&0x0100_000cu32.to_le_bytes());
        macho[12..16].copy_from_slice(&6u32.to_le_bytes());
        assert_eq!(
            native_magic(&macho).as_deref(),
            Some("64-bit Mach-O dynamic library (arm64)")
        );
        for magic in [
            b"\xfe\xed\xfa\xce",
            b"\xce\xfa\xed\xfe",
            b"\xfe\xed\xfa\xcf",
        ] {
            assert!(native_magic(magic).is_some_and(|d| d.contains("Mach-O")));
        }
        assert_eq!(
            native_magic(b"\xca\xfe\xba\xbe\0\0\0\x02").as_deref(),
            Some("Mach-O universal binary (2 architectures)")
        );
        // A Java class file (version 52) is not a Mach-O.
        assert_eq!(native_magic(b"\xca\xfe\xba\xbe\0\0\0\x34"), None);
        let mut pe = vec![0u8; 0x100];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
        pe[0x96..0x98].copy_from_slice(&0x2022u16.to_le_bytes());
        assert_eq!(native_magic(&pe).as_deref(), Some("PE DLL (x86-64)"));
        assert_eq!(native_magic(b"MZ is a text file"), None);
        assert!(native_magic(b"!<arch>\nx").is_some());
        assert!(native_magic(b"\0asm\x01\0\0\0").is_some());
        // Truncated headers never panic.
        for n in 0..8 {
            let _ = native_magic(&elf(0x3e, 2)[..n]);
            let _ = native_magic(&pe[..n]);
        }
    }

    #[test]
    fn classifies_by_name_and_content() {
        let pre = |n: &str, h: &[u8]| matches!(classify(n, h), Some(FileClass::Precompiled(_)));
        assert!(pre("libz.so", b"not really"));
        assert!(pre("libz.so.1.2.13", b"not really"));
        assert!(pre("z.DLL", b""));
        assert!(pre("z.a", b""));
        assert!(pre("z.lib", b"\0\0"));
        assert!(!pre("symbols.lib", b"text library"));
        assert!(!pre("notes.solution", b"text"));
        assert_eq!(classify("logo.png", b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(classify("data.bin", b"ab\0cd"), Some(FileClass::Blob));
        assert_eq!(classify("x.xz", b"\xfd7zXZ\0"), Some(FileClass::Blob));
        assert_eq!(classify("README", b"hello"), None);
        assert_eq!(classify("utf16.txt", b"\xff\xfeh\0i\0"), None);
    }

    #[test]
    fn precompiled_binary_added_changed_and_moved() {
        let bin = elf(0x3e, 2);
        let c = run(
            ("", &[]),
            ("", &[("bin/tool", &bin), ("blob.dat", b"a\0b")]),
        );
        let p = only(&c, "precompiled-binary-added");
        assert_eq!(p.subject, "bin/tool");
        assert_eq!(p.severity, Severity::High);
        assert!(
            p.message
                .contains("64-bit ELF executable (x86-64), 64 bytes"),
            "{p:?}"
        );
        assert_eq!(p.old, None);
        let b = only(&c, "binary-file-added");
        assert_eq!(
            (b.subject.as_str(), b.severity),
            ("blob.dat", Severity::Medium)
        );

        // Changed in place: reported, with what was there before.
        let mut other = bin.clone();
        other.push(1);
        let c = run(("", &[("bin/tool", &bin)]), ("", &[("bin/tool", &other)]));
        let p = only(&c, "precompiled-binary-added");
        assert!(p.message.contains("changed"), "{p:?}");
        assert!(p.old.as_deref().is_some_and(|o| o.contains("ELF")), "{p:?}");

        // Same bytes under another name: already shipped, not new.
        assert!(run(("", &[("a/tool", &bin)]), ("", &[("b/tool", &bin)])).is_empty());
        // A source file is not a binary.
        assert!(run(("", &[]), ("", &[("src/lib.rs", b"pub fn f() {}")])).is_empty());
    }

    #[test]
    fn walk_is_capped() {
        let dir = tree(PKG, &[("a", b"1"), ("b/c", b"2"), ("b/d", b"3")]);
        let w = walk(dir.path(), 2).expect("walk");
        assert!(w.truncated);
        assert_eq!(w.files.len(), 2);
        let w = walk(dir.path(), 10).expect("walk");
        let rels: Vec<_> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["Cargo.toml", "a", "b/c", "b/d"]);
        assert!(!w.truncated);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let outside = tree(PKG, &[("secret.so", b"\x7fELF")]);
        let dir = tree(PKG, &[]);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("symlink");
        let c = diff(tree(PKG, &[]).path(), dir.path()).expect("diff");
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn build_script_outside_the_crate_is_not_read() {
        let o = tree(PKG, &[]);
        let n = tree(
            "[package]\nname = \"c\"\nversion = \"1.0.0\"\nedition = \"2021\"\nbuild = \"/etc/hostname\"\n",
            &[],
        );
        let c = diff(o.path(), n.path()).expect("diff");
        assert_eq!(
            codes(&c),
            vec![("build-script-added", "/etc/hostname".into())]
        );
        assert!(c[0].message.contains("not in the package"), "{c:?}");
    }

    #[test]
    fn malformed_manifest_names_file_and_line() {
        let o = tree(PKG, &[]);
        let n = tree("[package]\nname = \"c\"\nversion = 1.0.0\n", &[]);
        let e = diff(o.path(), n.path()).expect_err("must fail");
        let msg = format!("{e:#}");
        assert!(msg.contains("Cargo.toml:3:"), "{msg}");
        let missing = tempfile::tempdir().expect("tempdir");
        let e = diff(o.path(), missing.path()).expect_err("must fail");
        assert!(format!("{e:#}").contains("Cargo.toml"), "{e:#}");
        let virt = tree("[workspace]\nmembers = []\n", &[]);
        let e = diff(o.path(), virt.path()).expect_err("must fail");
        assert!(format!("{e:#}").contains("no [package]"), "{e:#}");
    }

    #[test]
    fn odd_but_valid_manifests_do_not_panic() {
        let odd = "[features]\ndefault = \"notalist\"\nx = 3\n[dependencies]\na = 1\nb = { version = 2, features = \"f\" }\n[target]\nx = 1\n[lib]\nproc-macro = \"yes\"\n[[bin]]\npath = 3\n";
        let c = manifests("", odd);
        assert!(!c.is_empty());
        let _ = manifests(odd, "");
    }
}
