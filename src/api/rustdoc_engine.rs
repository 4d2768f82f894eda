//! The rustdoc engine: a crate's public API as the compiler sees it.
//!
//! It runs `cargo rustdoc` with rustdoc's JSON output on a copy of the crate
//! (stable toolchains allow it with `RUSTC_BOOTSTRAP=1`), reads the JSON with
//! the `rustdoc-types` release that matches that format, and fills the same
//! [`ApiSurface`] model as the syn engine, with the same keys (`Type::method`,
//! `Type.field`, `Type impl Trait`), so that every later stage works
//! unchanged.
//!
//! What it sees that reading the source cannot: auto traits (`Send`, `Sync`,
//! `Unpin`, `UnwindSafe`, `RefUnwindSafe`) the compiler works out from the
//! fields, derived impls, and everything macros expand to. The price: it
//! **compiles the crate**, so the crate's build script and proc macros run,
//! and it sees one configuration (the selected features, this machine's
//! target), not every `#[cfg]` alternative.
//!
//! Rustdoc's JSON changes between toolchains and carries a `format_version`.
//! It is read first, from the raw JSON; only [`SUPPORTED_FORMAT_VERSION`] is
//! deserialised, anything else is a clear error (never a silent misreading).
//! JSON that was built is cached by the crate's tree hash, the features and
//! the toolchain.

use super::canon::Renames;
use super::features::FeatureView;
use super::rustdoc_canon::{self, Around};
use super::{ApiItem, ApiSurface, Facts, ItemKind};
use super::{FnShape, GenericsShape};
use rustdoc_types as rd;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The rustdoc JSON format this build of bumpguard reads.
pub const SUPPORTED_FORMAT_VERSION: u32 = rd::FORMAT_VERSION;

/// The toolchain whose rustdoc writes [`SUPPORTED_FORMAT_VERSION`].
pub const SUPPORTED_TOOLCHAIN: &str = "stable Rust 1.95";

/// Bumped when the way JSON is built changes, so old cache entries are not used.
const CACHE_LAYOUT: &str = "rustdoc-engine-3";

/// Auto traits whose loss breaks users (the unstable `Freeze` and
/// `UnsafeUnpin` that rustdoc also lists are left out).
const AUTO_TRAITS: &[&str] = &["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];

/// Compiler-internal marker traits that derives add; not API.
const INTERNAL_TRAITS: &[&str] = &[
    "StructuralPartialEq",
    "StructuralEq",
    "Freeze",
    "UnsafeUnpin",
];

/// Which features to build the crate with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Features {
    /// The crate's default features.
    #[default]
    Default,
    /// `--all-features`.
    All,
    /// Exactly these (`default` in the list turns the default features on).
    List(Vec<String>),
}

impl Features {
    /// The features a view of the API looks with (`diff --features ..`,
    /// the consumer's features in `check`): the build sees the same.
    pub fn from_view(view: &FeatureView) -> Self {
        match view {
            FeatureView::Default => Features::Default,
            FeatureView::All => Features::All,
            FeatureView::Selected { features, default } => {
                let mut v = features.clone();
                if *default {
                    v.push("default".to_string());
                }
                v.sort();
                v.dedup();
                Features::List(v)
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Features::Default => "default features".to_string(),
            Features::All => "all features".to_string(),
            Features::List(v) if v.is_empty() => "no features".to_string(),
            Features::List(v) => format!("features {}", v.join(", ")),
        }
    }

    fn cargo_args(&self) -> Vec<String> {
        match self {
            Features::Default => Vec::new(),
            Features::All => vec!["--all-features".to_string()],
            Features::List(v) => {
                let mut args = Vec::new();
                if !v.iter().any(|f| f == "default") {
                    args.push("--no-default-features".to_string());
                }
                let named: Vec<&str> = v
                    .iter()
                    .map(String::as_str)
                    .filter(|f| *f != "default")
                    .collect();
                if !named.is_empty() {
                    args.push("--features".to_string());
                    args.push(named.join(","));
                }
                args
            }
        }
    }

    /// These features less the ones `manifest` does not declare (cargo
    /// refuses an unknown feature, and a consumer's features were chosen
    /// for one version: `alloc` of memchr 2.6 does not exist in 2.5), and
    /// the names left out.
    fn declared_in(&self, manifest: &toml::Table) -> (Features, Vec<String>) {
        let Features::List(list) = self else {
            return (self.clone(), Vec::new());
        };
        let known = declared_features(manifest);
        let deps = dependency_names(manifest);
        let (kept, dropped): (Vec<String>, Vec<String>) = list.iter().cloned().partition(|f| {
            f == "default"
                || known.contains(f)
                // `dep/feature` asks a dependency for one of its features.
                || f.split_once('/').is_some_and(|(d, _)| deps.contains(d))
        });
        (Features::List(kept), dropped)
    }
}

/// The features `manifest` declares: its `[features]` and, unless a
/// feature names it as `dep:name`, each optional dependency.
fn declared_features(manifest: &toml::Table) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut dep_refs = BTreeSet::new();
    if let Some(f) = manifest.get("features").and_then(|f| f.as_table()) {
        for (name, enables) in f {
            out.insert(name.clone());
            for e in enables.as_array().into_iter().flatten() {
                if let Some(d) = e.as_str().and_then(|e| e.strip_prefix("dep:")) {
                    dep_refs.insert(d.to_string());
                }
            }
        }
    }
    for (name, spec) in dependency_tables(manifest) {
        if spec.get("optional").and_then(|o| o.as_bool()) == Some(true) && !dep_refs.contains(name)
        {
            out.insert(name.to_string());
        }
    }
    out
}

fn dependency_names(manifest: &toml::Table) -> BTreeSet<String> {
    dependency_tables(manifest)
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Every `(name, spec)` of `[dependencies]`, `[build-dependencies]` and
/// their `[target.'cfg'.*]` forms.
fn dependency_tables(manifest: &toml::Table) -> impl Iterator<Item = (&str, &toml::Value)> {
    let mut tables: Vec<&toml::Table> = Vec::new();
    for key in ["dependencies", "build-dependencies", "build_dependencies"] {
        if let Some(t) = manifest.get(key).and_then(|t| t.as_table()) {
            tables.push(t);
        }
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for t in targets.values() {
            for key in ["dependencies", "build-dependencies", "build_dependencies"] {
                if let Some(t) = t.get(key).and_then(|t| t.as_table()) {
                    tables.push(t);
                }
            }
        }
    }
    tables
        .into_iter()
        .flat_map(|t| t.iter().map(|(k, v)| (k.as_str(), v)))
}

/// How long one `cargo rustdoc` may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How to build rustdoc JSON.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// bumpguard's cache root; JSON is kept under `<cache_dir>/rustdoc/`.
    pub cache_dir: PathBuf,
    /// Pass `--offline` to cargo (dependencies must be in cargo's cache).
    pub offline: bool,
    pub features: Features,
    /// A rustup toolchain to build with (`nightly-2026-05-01`, `1.95.0`),
    /// run through `rustup run`; `None`: the `cargo` and `rustdoc` found as
    /// usual (`$CARGO`, `$RUSTDOC`, the PATH). A nightly toolchain needs no
    /// `RUSTC_BOOTSTRAP`; any other gets it, as the default does.
    pub toolchain: Option<String>,
    /// The longest one build may take; then its whole process tree is
    /// stopped and the crate is not analysed by rustdoc.
    pub timeout: Duration,
    /// The consumer's `Cargo.lock` for this version, when known: it is put
    /// next to the copy, so that cargo resolves the crate's dependencies to
    /// the versions the consumer uses where they fit (and offline builds
    /// find them in cargo's cache). Without it cargo resolves afresh.
    pub lockfile: Option<String>,
}

impl BuildOptions {
    /// Default features, online, the toolchain on the PATH, [`DEFAULT_TIMEOUT`].
    pub fn new(cache_dir: PathBuf) -> Self {
        BuildOptions {
            cache_dir,
            offline: false,
            features: Features::Default,
            toolchain: None,
            timeout: DEFAULT_TIMEOUT,
            lockfile: None,
        }
    }
}

/// Why the rustdoc engine could not give a surface.
#[derive(Debug, thiserror::Error)]
pub enum RustdocError {
    /// The crate could not be documented, and nothing of it was compiled
    /// (no toolchain, a manifest cargo refuses, dependencies missing offline).
    #[error("not analysed by rustdoc: {0}")]
    NotAnalysed(String),
    /// The build started and failed, or was stopped: build scripts and
    /// proc macros may have run.
    #[error("not analysed by rustdoc: {0}")]
    BuildFailed(String),
    /// The JSON is in a format this bumpguard does not read.
    #[error(
        "rustdoc JSON format version {found} is not supported: this bumpguard reads format version {supported} (written by {toolchain}); use `--engine syn`, or build with {toolchain} (on the PATH, or as `toolchain` in bumpguard.toml's [engine] or --rustdoc-toolchain)"
    )]
    UnsupportedFormat {
        found: u32,
        supported: u32,
        toolchain: &'static str,
    },
}

impl RustdocError {
    /// The dependency's code may have run before this error: its build was
    /// started (a JSON in another format was built too).
    pub fn ran_code(&self) -> bool {
        !matches!(self, RustdocError::NotAnalysed(_))
    }
}

fn not_analysed(msg: impl Into<String>) -> RustdocError {
    RustdocError::NotAnalysed(msg.into())
}

/// The public API of the crate whose `Cargo.toml` is in `dir`, from rustdoc
/// JSON (built, or taken from the cache).
///
/// Cached JSON that does not read (a truncated or edited file) is removed
/// and built again.
pub fn surface_from_dir(dir: &Path, opts: &BuildOptions) -> Result<ApiSurface, RustdocError> {
    let mut built = json_for_dir(dir, opts, true)?;
    let mut read = surface_from_json_in(&built.json, Some(dir));
    if built.cached && read.is_err() {
        let _ = std::fs::remove_file(&built.cache_file);
        built = json_for_dir(dir, opts, false)?;
        read = surface_from_json_in(&built.json, Some(dir)).map_err(|e| match e {
            RustdocError::NotAnalysed(m) => RustdocError::BuildFailed(m),
            other => other,
        });
        if let Ok(s) = &mut read {
            s.notes.push(format!(
                "rustdoc engine: the cached JSON {} did not read and was built again",
                built.cache_file.display()
            ));
        }
    } else if !built.cached {
        // What a fresh build wrote and does not read: the build ran.
        read = read.map_err(|e| match e {
            RustdocError::NotAnalysed(m) => RustdocError::BuildFailed(m),
            other => other,
        });
    }
    let mut surface = read?;
    if !built.dropped.is_empty() {
        surface.notes.push(format!(
            "rustdoc engine: {} {} not declared by this version ({}), so it was built without {}",
            if built.dropped.len() == 1 {
                "feature"
            } else {
                "features"
            },
            built
                .dropped
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            built.version.as_deref().unwrap_or("no version"),
            if built.dropped.len() == 1 {
                "it"
            } else {
                "them"
            },
        ));
    }
    surface.notes.push(format!(
        "rustdoc engine: the crate was compiled with {} for this machine's target{}, so its build script and proc macros ran (the syn engine never runs dependency code); items of other configurations are not listed and #[cfg] conditions are not compared{}",
        built.features.describe(),
        match &opts.toolchain {
            Some(t) => format!(" by toolchain {t} ({})", built.toolchain),
            None => String::new(),
        },
        if built.cached {
            " (rustdoc JSON from the cache)"
        } else {
            ""
        }
    ));
    Ok(surface)
}

/// Reads the `format_version` of rustdoc JSON without deserialising the rest.
pub fn format_version(json: &[u8]) -> Result<u32, RustdocError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        format_version: u32,
    }
    serde_json::from_slice::<Probe>(json)
        .map(|p| p.format_version)
        .map_err(|e| {
            not_analysed(format!(
                "the rustdoc output is not JSON with a format_version: {e}"
            ))
        })
}

/// The surface described by rustdoc JSON. The format version is checked
/// first; any other version than [`SUPPORTED_FORMAT_VERSION`] is an error.
pub fn surface_from_json(json: &[u8]) -> Result<ApiSurface, RustdocError> {
    surface_from_json_in(json, None)
}

/// [`surface_from_json`] for JSON of the crate whose sources are in `dir`
/// (when given): what rustdoc leaves out of its JSON is read there.
fn surface_from_json_in(json: &[u8], dir: Option<&Path>) -> Result<ApiSurface, RustdocError> {
    let found = format_version(json)?;
    if found != SUPPORTED_FORMAT_VERSION {
        return Err(RustdocError::UnsupportedFormat {
            found,
            supported: SUPPORTED_FORMAT_VERSION,
            toolchain: SUPPORTED_TOOLCHAIN,
        });
    }
    let krate: rd::Crate = serde_json::from_slice(json).map_err(|e| {
        not_analysed(format!(
            "rustdoc JSON (format {found}) does not read as rustdoc-types expects: {e}"
        ))
    })?;
    let mut reader = Reader::new(&krate);
    reader.sources = dir.map(|d| Sources {
        root: d.to_path_buf(),
        files: BTreeMap::new(),
    });
    Ok(reader.surface())
}

// ---------------------------------------------------------------------------
// Building the JSON

/// Rustdoc JSON of one crate version, and how it was obtained.
struct Built {
    json: Vec<u8>,
    cached: bool,
    cache_file: PathBuf,
    /// The features it was built with (the asked ones this version declares).
    features: Features,
    /// Asked-for features this version does not declare.
    dropped: Vec<String>,
    /// `rustdoc --version` of the toolchain that built it.
    toolchain: String,
    /// The crate's version, for messages.
    version: Option<String>,
}

/// The JSON for `dir`, from the cache (when `use_cache`) or built.
fn json_for_dir(dir: &Path, opts: &BuildOptions, use_cache: bool) -> Result<Built, RustdocError> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| not_analysed(format!("cannot read {}: {e}", manifest.display())))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| not_analysed(format!("{} is not valid TOML: {e}", manifest.display())))?;
    let package = table.get("package").and_then(|p| p.as_table());
    let Some(package_name) = package.and_then(|p| p.get("name")).and_then(|n| n.as_str()) else {
        return Err(not_analysed(format!(
            "{} has no [package] name",
            manifest.display()
        )));
    };
    let version = package
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let label = match &version {
        Some(v) => format!("{package_name} {v}"),
        None => package_name.to_string(),
    };
    let lib_name = table
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package_name)
        .replace('-', "_");
    let (features, dropped) = opts.features.declared_in(&table);

    // Removed when this function returns, whatever happens.
    let work = tempfile::Builder::new()
        .prefix("bumpguard-rustdoc-")
        .tempdir()
        .map_err(|e| not_analysed(format!("cannot create a temporary directory: {e}")))?;
    let copy = work.path().join("crate");
    let tree_hash = copy_tree(dir, &copy)
        .map_err(|e| not_analysed(format!("cannot copy {}: {e}", dir.display())))?;
    let rewritten = isolated_manifest(table.clone());
    std::fs::write(copy.join("Cargo.toml"), &rewritten)
        .map_err(|e| not_analysed(format!("cannot write the copied manifest: {e}")))?;
    // The part of the consumer's lockfile this version's dependencies span
    // replaces a lockfile of the crate's own.
    let lock = opts
        .lockfile
        .as_deref()
        .and_then(|l| minimal_lockfile(l, package_name, version.as_deref()?));
    if let Some(lock) = &lock {
        std::fs::write(copy.join("Cargo.lock"), lock)
            .map_err(|e| not_analysed(format!("cannot write the consumer's Cargo.lock: {e}")))?;
    }
    let tools = Tools::new(opts.toolchain.as_deref());
    let toolchain = tools.version(&copy)?;
    let key = {
        let mut h = Sha256::new();
        let lock_hash = lock
            .as_ref()
            .map(|l| hex::encode(Sha256::digest(l.as_bytes())))
            .unwrap_or_default();
        for part in [
            CACHE_LAYOUT,
            &tree_hash,
            &features.describe(),
            &toolchain,
            &lock_hash,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    };
    let cache_file = opts.cache_dir.join("rustdoc").join(format!("{key}.json"));
    let built = |json, cached| Built {
        json,
        cached,
        cache_file: cache_file.clone(),
        features: features.clone(),
        dropped: dropped.clone(),
        toolchain: toolchain.clone(),
        version: version.clone(),
    };
    if use_cache && let Ok(bytes) = std::fs::read(&cache_file) {
        return Ok(built(bytes, true));
    }
    let json = build_json(
        &tools,
        &toolchain,
        &copy,
        &work.path().join("target"),
        &lib_name,
        &features,
        opts,
    )
    .map_err(|e| match e {
        // The temporary paths mean nothing once they are gone, nor do line
        // numbers of the rewritten manifest.
        RustdocError::NotAnalysed(m) => RustdocError::NotAnalysed(in_rewritten_manifest(
            &without_paths(&m, &copy, work.path(), &label),
            &rewritten,
        )),
        RustdocError::BuildFailed(m) => RustdocError::BuildFailed(in_rewritten_manifest(
            &without_paths(&m, &copy, work.path(), &label),
            &rewritten,
        )),
        other => other,
    })?;
    // Best effort: a cache that cannot be written only costs time.
    if let Some(parent) = cache_file.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let tmp = cache_file.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &json).is_ok() {
            let _ = std::fs::rename(&tmp, &cache_file);
        }
    }
    Ok(built(json, false))
}

/// The entries of the consumer's lockfile that `name` `version` depends on,
/// directly or not, as a lockfile of their own: cargo takes it as the
/// resolution to keep, so the crate's dependencies are the versions the
/// consumer builds with (where they still fit), and the cache key changes
/// only when they do. `None` when the lockfile does not parse or does not
/// hold that version.
fn minimal_lockfile(lock: &str, name: &str, version: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(lock).ok()?;
    let packages = table.get("package")?.as_array()?;
    let field = |p: &toml::Value, k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
    // `name`, `name version` or `name version (source)` -> its entry.
    let find = |spec: &str| -> Option<usize> {
        let mut words = spec.split(' ');
        let n = words.next()?;
        let v = words.next();
        let matching: Vec<usize> = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                field(p, "name").as_deref() == Some(n)
                    && v.is_none_or(|v| field(p, "version").as_deref() == Some(v))
            })
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [one] => Some(*one),
            // Same name and version from two sources: the one named.
            many => {
                let source = spec.split_once(" (").map(|(_, s)| s.trim_end_matches(')'));
                many.iter()
                    .copied()
                    .find(|&i| field(&packages[i], "source").as_deref() == source)
            }
        }
    };
    let root = packages.iter().position(|p| {
        field(p, "name").as_deref() == Some(name)
            && field(p, "version").as_deref() == Some(version)
            && p.get("source").is_some()
    })?;
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(i) = todo.pop() {
        if !seen.insert(i) {
            continue;
        }
        for d in packages[i]
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str())
        {
            if let Some(j) = find(d) {
                todo.push(j);
            }
        }
    }
    seen.remove(&root);
    let mut out = toml::Table::new();
    if let Some(v) = table.get("version") {
        out.insert("version".to_string(), v.clone());
    }
    let kept: Vec<toml::Value> = seen.into_iter().map(|i| packages[i].clone()).collect();
    out.insert("package".to_string(), toml::Value::Array(kept));
    toml::to_string(&out).ok()
}

/// The copied manifest: its own `[workspace]` (cargo never walks up into a
/// workspace around it), and nothing a library build does not need:
/// dev-dependencies (cargo would resolve them, and offline that fails for
/// crates it has never fetched), and test, bench and example targets
/// (their files are often not shipped). Feature entries that name a
/// dropped dev-dependency (`dep/feat`, `dep?/feat`, `dep:dep`) go too, as
/// cargo refuses a feature naming what is not a dependency (syn 2.0.60:
/// `test = ["syn-test-suite/all-features"]`), unless the name is still a
/// normal or build dependency.
fn isolated_manifest(mut table: toml::Table) -> String {
    let mut dev_deps: BTreeSet<String> = BTreeSet::new();
    let mut take_dev = |t: &mut toml::Table| {
        for key in ["dev-dependencies", "dev_dependencies"] {
            if let Some(toml::Value::Table(deps)) = t.remove(key) {
                dev_deps.extend(deps.into_iter().map(|(name, _)| name));
            }
        }
    };
    take_dev(&mut table);
    if let Some(targets) = table.get_mut("target").and_then(|t| t.as_table_mut()) {
        for (_, t) in targets.iter_mut() {
            if let Some(t) = t.as_table_mut() {
                take_dev(t);
            }
        }
    }
    for key in ["test", "bench", "example"] {
        table.remove(key);
    }
    let kept = dependency_names(&table);
    dev_deps.retain(|d| !kept.contains(d));
    if let Some(features) = table.get_mut("features").and_then(|f| f.as_table_mut()) {
        for (_, list) in features.iter_mut() {
            if let Some(list) = list.as_array_mut() {
                list.retain(|e| {
                    e.as_str()
                        .and_then(feature_dependency)
                        .is_none_or(|d| !dev_deps.contains(d))
                });
            }
        }
    }
    if let Some(p) = table.get_mut("package").and_then(|p| p.as_table_mut()) {
        for key in ["autotests", "autobenches", "autoexamples"] {
            p.insert(key.to_string(), toml::Value::Boolean(false));
        }
    }
    table
        .entry("workspace")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    toml::to_string(&table).unwrap_or_default()
}

/// The dependency a feature entry names: `d` in `dep:d`, `d/feat` and
/// `d?/feat`.
fn feature_dependency(entry: &str) -> Option<&str> {
    match entry.strip_prefix("dep:") {
        Some(d) => Some(d),
        None => entry
            .split_once('/')
            .map(|(d, _)| d.strip_suffix('?').unwrap_or(d)),
    }
}

/// The programs that build the JSON: a configured rustup toolchain (run
/// through `rustup run`), or the usual `cargo` and `rustdoc`.
struct Tools {
    toolchain: Option<String>,
}

impl Tools {
    fn new(toolchain: Option<&str>) -> Self {
        Tools {
            toolchain: toolchain.map(str::to_string),
        }
    }

    /// `cargo` or `rustdoc` (`program`) as they will be run.
    fn command(&self, program: &str, env_override: &str) -> Command {
        match &self.toolchain {
            Some(t) => {
                let mut c = Command::new("rustup");
                c.args(["run", t, program]);
                // They would pick other programs than the toolchain's.
                for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN"] {
                    c.env_remove(var);
                }
                c
            }
            None => Command::new(std::env::var_os(env_override).unwrap_or_else(|| program.into())),
        }
    }

    fn describe(&self, program: &str) -> String {
        match &self.toolchain {
            Some(t) => format!("rustup run {t} {program}"),
            None => program.to_string(),
        }
    }

    /// `rustdoc --version` as run in `dir` with the same programs and
    /// environment as the build, so that the cache key names the toolchain
    /// that builds (a `rust-toolchain` file would pick another; copies have
    /// theirs removed).
    fn version(&self, dir: &Path) -> Result<String, RustdocError> {
        let out = self
            .command("rustdoc", "RUSTDOC")
            .arg("--version")
            .current_dir(dir)
            .output()
            .map_err(|e| {
                not_analysed(match &self.toolchain {
                    Some(t) => format!(
                        "toolchain `{t}` is configured but `rustup` cannot be run (is rustup installed?): {e}"
                    ),
                    None => format!(
                        "cannot run `rustdoc --version` (is a Rust toolchain installed?): {e}"
                    ),
                })
            })?;
        if !out.status.success() {
            return Err(not_analysed(format!(
                "`{} --version` failed: {}",
                self.describe("rustdoc"),
                first_error(&String::from_utf8_lossy(&out.stderr))
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

/// A nightly (or locally built) rustdoc takes `-Z` flags as they are; a
/// stable or beta one needs the compiler's bootstrap switch.
fn needs_bootstrap(rustdoc_version: &str) -> bool {
    !(rustdoc_version.contains("-nightly") || rustdoc_version.contains("-dev"))
}

fn build_json(
    tools: &Tools,
    toolchain: &str,
    dir: &Path,
    target_dir: &Path,
    lib_name: &str,
    features: &Features,
    opts: &BuildOptions,
) -> Result<Vec<u8>, RustdocError> {
    let mut cmd = tools.command("cargo", "CARGO");
    cmd.arg("rustdoc")
        .arg("--lib")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    if opts.offline {
        cmd.arg("--offline");
    }
    cmd.args(features.cargo_args());
    cmd.args([
        "--",
        "-Z",
        "unstable-options",
        "--output-format",
        "json",
        // `#[doc(hidden)]` items are kept (and marked), so that hiding one
        // is told apart from removing it.
        "--document-hidden-items",
        "--cap-lints",
        "allow",
    ]);
    cmd.current_dir(dir)
        .env("RUSTFLAGS", "--cap-lints=allow")
        .env("RUSTDOCFLAGS", "--cap-lints=allow")
        .env("CARGO_TERM_COLOR", "never")
        // A failing build script's message, not a backtrace, is the reason.
        .env("RUST_BACKTRACE", "0");
    if needs_bootstrap(toolchain) {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    } else {
        cmd.env_remove("RUSTC_BOOTSTRAP");
    }
    // These would win over RUSTFLAGS / RUSTDOCFLAGS, or move the output
    // elsewhere (another target, another target dir).
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_RUSTDOCFLAGS",
    ] {
        cmd.env_remove(var);
    }
    let run = run_with_timeout(cmd, opts.timeout).map_err(|e| {
        not_analysed(format!(
            "cannot run `{} rustdoc` (is a Rust toolchain installed?): {e}",
            tools.describe("cargo")
        ))
    })?;
    if run.timed_out {
        return Err(RustdocError::BuildFailed(format!(
            "timed out after {} s (`cargo rustdoc` and everything it started were stopped; a build script or proc macro may hang, or the limit is too low for this crate: `[engine] timeout` in bumpguard.toml, `--rustdoc-timeout`)",
            opts.timeout.as_secs()
        )));
    }
    if !run.success {
        let mut reason = format!("`cargo rustdoc` failed: {}", failure_reason(&run.stderr));
        if run.stderr.contains("error inheriting") {
            reason.push_str(" (the crate takes settings from its workspace: rustdoc builds a copy of the crate alone, without it)");
        }
        return Err(match offline_failure(&run.stderr, opts.offline) {
            Some(hint) => not_analysed(format!("{reason} ({hint})")),
            None if before_compiling(&run.stderr) => not_analysed(reason),
            None => RustdocError::BuildFailed(reason),
        });
    }
    // Where cargo put it: `target/doc`, or `target/<triple>/doc` when a
    // configuration (the user's own cargo config) names a target.
    let name = format!("{lib_name}.json");
    let mut candidates = vec![target_dir.join("doc").join(&name)];
    if let Ok(entries) = std::fs::read_dir(target_dir) {
        for e in entries.flatten() {
            candidates.push(e.path().join("doc").join(&name));
        }
    }
    match candidates.iter().find(|p| p.is_file()) {
        Some(file) => std::fs::read(file).map_err(|e| {
            RustdocError::BuildFailed(format!(
                "`cargo rustdoc` succeeded but its JSON cannot be read: {e}"
            ))
        }),
        None => Err(RustdocError::BuildFailed(format!(
            "`cargo rustdoc` succeeded but wrote no {name}"
        ))),
    }
}

/// How a build ended.
struct Run {
    success: bool,
    timed_out: bool,
    stderr: String,
}

/// Runs `cmd` in a process group of its own with stdin closed, reading its
/// stderr on a thread; after `timeout` its whole process tree is killed.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> std::io::Result<Run> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pgid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut pipe) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    let deadline = Instant::now() + timeout;
    let mut poll = Duration::from_millis(10);
    let (status, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (Some(status), false),
            Ok(None) => {}
            Err(_) => {
                crate::contracts::kill_tree(pgid);
                break (child.wait().ok(), false);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            crate::contracts::kill_tree(pgid);
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(poll.min(deadline - now));
        poll = (poll * 2).min(Duration::from_millis(200));
    };
    // A process that left the group may still hold the pipe: do not wait
    // for it long.
    let stderr = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    Ok(Run {
        success: !timed_out && status.is_some_and(|s| s.success()),
        timed_out,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Why cargo could not work offline, when that is what failed.
fn offline_failure(stderr: &str, offline: bool) -> Option<&'static str> {
    const SIGNS: &[&str] = &[
        "--offline was specified",
        "attempting to make an HTTP request",
        "failed to download",
        "no matching package named",
        "failed to get `",
        "failed to load source for dependency",
        "download of ",
        "Unable to update registry",
    ];
    (offline && SIGNS.iter().any(|s| stderr.contains(s)))
        .then_some("offline: the crate's dependencies must already be in cargo's cache")
}

/// Cargo stopped before compiling anything (resolution, manifest, source
/// problems): no code of the crate or its dependencies ran.
fn before_compiling(stderr: &str) -> bool {
    const SIGNS: &[&str] = &[
        "failed to parse manifest",
        "failed to select a version",
        "failed to load manifest",
        "no matching package named",
        "failed to get `",
        "failed to download",
        "does not have the feature",
        "does not have these features",
        "none of the selected packages contains",
        "error inheriting",
        "failed to parse lock file",
    ];
    SIGNS.iter().any(|s| stderr.contains(s))
}

/// The useful part of cargo's error output: the first `error` line and
/// where it points, what caused it (`Caused by:`), and for a failing build
/// script its own message (the text after `panicked at`, or its stderr).
fn failure_reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    let Some(first) = lines.iter().position(|l| l.starts_with("error")) else {
        return first_error(stderr);
    };
    let mut parts = vec![lines[first].to_string()];
    let nonempty_after = |i: usize, n: usize| -> Vec<String> {
        lines
            .iter()
            .skip(i + 1)
            .filter(|l| !l.is_empty() && **l != "Caused by:")
            .take_while(|l| !l.starts_with("note: ") && !l.starts_with("stack backtrace"))
            .take(n)
            .map(|l| l.to_string())
            .collect()
    };
    if let Some(next) = lines.get(first + 1).filter(|l| l.starts_with("-->")) {
        parts.push(next.to_string());
    }
    if let Some(i) = lines
        .iter()
        .position(|l| l.starts_with("panicked at") || l.contains(" panicked at "))
    {
        parts.push(lines[i].to_string());
        parts.extend(nonempty_after(i, 2));
    } else if let Some(i) = lines.iter().position(|l| *l == "--- stderr") {
        parts.push("build script stderr:".to_string());
        parts.extend(nonempty_after(i, 3));
    } else if let Some(i) = lines.iter().position(|l| *l == "Caused by:") {
        parts.push("caused by:".to_string());
        parts.extend(nonempty_after(i, 2));
    }
    shorten(parts.join(" "), 600)
}

/// Texts that name the temporary copy: the copy's path becomes the crate's
/// name and version, the build folder `<build dir>` (both are deleted by
/// the time anyone reads the message).
fn without_paths(text: &str, copy: &Path, work: &Path, label: &str) -> String {
    let copy = copy.display().to_string();
    let work = work.display().to_string();
    text.replace(&format!(" ({copy})"), "")
        .replace(&format!("{copy}/"), "")
        .replace(&copy, label)
        .replace(&work, "<build dir>")
}

/// cargo's `--> Cargo.toml:23:8` points into the copy's manifest, which
/// [`isolated_manifest`] rewrote: the user's file has other line numbers.
/// Said so, with the text of the line it points at.
fn in_rewritten_manifest(text: &str, rewritten: &str) -> String {
    const AT: &str = "--> Cargo.toml:";
    let Some(i) = text.find(AT) else {
        return text.to_string();
    };
    let rest = &text[i + AT.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let at = &rest[..end];
    let line = at
        .split(':')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| rewritten.lines().nth(n.checked_sub(1)?))
        .map(|l| format!(", which reads `{}`", l.trim()))
        .unwrap_or_default();
    format!(
        "{}--> Cargo.toml:{at} of bumpguard's rewritten copy of the manifest (dev-dependencies and test, bench and example targets left out; its lines are not the crate's){line}{}",
        &text[..i],
        &rest[end..]
    )
}

fn shorten(text: String, max: usize) -> String {
    if text.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &text[..cut])
    } else {
        text
    }
}

/// The first `error` line of cargo's output (and the line after it, which
/// usually says where), or its last line.
fn first_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim_end).collect();
    let text = match lines.iter().position(|l| l.starts_with("error")) {
        Some(i) => {
            let mut s = lines[i].to_string();
            if let Some(next) = lines.get(i + 1).map(|l| l.trim())
                && !next.is_empty()
            {
                s.push(' ');
                s.push_str(next);
            }
            s
        }
        None => lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| "no output".to_string()),
    };
    shorten(text, 400)
}

/// Copies the crate tree (no `target/`, `.git/`, `.cargo/` configuration,
/// toolchain files or links) and returns a hash of its paths and contents.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<String> {
    let mut files = Vec::new();
    collect_files(from, Path::new(""), &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    for rel in &files {
        let src = from.join(rel);
        let dst = to.join(rel);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p)?;
        }
        let bytes = std::fs::read(&src)?;
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
        std::fs::write(&dst, &bytes)?;
    }
    Ok(hex::encode(h.finalize()))
}

fn collect_files(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let name = entry.file_name();
        let ty = entry.file_type()?;
        let path = rel.join(&name);
        if ty.is_dir() {
            // The crate's own cargo configuration (`build.target`, source
            // replacement, ...) would change what and where cargo builds.
            if rel.as_os_str().is_empty()
                && (name == "target" || name == ".git" || name == ".cargo")
            {
                continue;
            }
            collect_files(root, &path, out)?;
        } else if ty.is_file() {
            if rel.as_os_str().is_empty()
                && (name == "rust-toolchain" || name == "rust-toolchain.toml")
            {
                continue;
            }
            out.push(path);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading the JSON into the model

/// How types are written: as the author spelled them (display) or in the
/// comparison form (`shape`).
#[derive(Clone, Copy)]
struct Mode<'a> {
    shape: bool,
    /// In an inherent impl: what `Self` means.
    self_name: Option<&'a str>,
    /// Erase `'static` too (the types of consts and statics).
    erase_static: bool,
    /// Leave `unsafe` out of a function's comparison form: for free
    /// functions and inherent methods it is a fact of its own
    /// ([`Facts::is_unsafe`]), so that becoming safe is told apart from
    /// becoming unsafe (as the syn engine does).
    drop_unsafe: bool,
    /// Written as Rust the syn engine's canonical forms start from
    /// ([`rustdoc_canon`]): as displayed, but with paths resolved
    /// (`__local::` and the shortest public path for this crate's types)
    /// and parameter names `_`.
    resolve: bool,
}

const DISPLAY: Mode<'static> = Mode {
    shape: false,
    self_name: None,
    erase_static: false,
    drop_unsafe: false,
    resolve: false,
};
const SHAPE: Mode<'static> = Mode {
    shape: true,
    self_name: None,
    erase_static: false,
    drop_unsafe: false,
    resolve: false,
};
/// See [`Mode::resolve`].
const RESOLVED: Mode<'static> = Mode {
    resolve: true,
    ..DISPLAY
};

/// Prelude types that `core::`/`alloc::`/`std::` paths name (as the syn engine).
const PRELUDE: &[(&str, &str)] = &[
    ("std::vec::Vec", "Vec"),
    ("std::string::String", "String"),
    ("std::option::Option", "Option"),
    ("std::result::Result", "Result"),
    ("std::boxed::Box", "Box"),
    ("std::marker::Send", "Send"),
    ("std::marker::Sync", "Sync"),
    ("std::marker::Sized", "Sized"),
    ("std::marker::Copy", "Copy"),
    ("std::clone::Clone", "Clone"),
    ("std::iter::Iterator", "Iterator"),
    ("std::convert::AsRef", "AsRef"),
    ("std::convert::Into", "Into"),
    ("std::convert::From", "From"),
    ("std::ops::Fn", "Fn"),
    ("std::ops::FnMut", "FnMut"),
    ("std::ops::FnOnce", "FnOnce"),
];

struct Reader<'a> {
    k: &'a rd::Crate,
    crate_name: String,
    out: BTreeMap<String, ApiItem>,
    /// Keys of public `#[doc(hidden)]` items (the JSON is built with
    /// `--document-hidden-items`, so they are there to be told apart).
    hidden: BTreeSet<String>,
    /// Items outside code can name: exported under some public path,
    /// hidden or not.
    reachable: HashSet<rd::Id>,
    /// Items exported under a path that is not hidden.
    visible: HashSet<rd::Id>,
    /// Every trait recorded, with its key: which are sealed is known only
    /// once every path has been walked.
    traits: Vec<(rd::Id, String)>,
    /// Trait impls recorded on types, with the trait's id: impls of a
    /// trait of this crate that no visible path names are not API (as in
    /// the syn engine), known only at the end too.
    impl_traits: Vec<(String, rd::Id)>,
    /// The crate's sources, when known: for the `#[repr]` inside a
    /// `#[cfg_attr]` whose condition rustdoc's configuration does not meet.
    sources: Option<Sources>,
    /// Every public path (key) of each type, trait and alias of this
    /// crate, from a first walk: signatures name this crate's types by
    /// them (as the syn engine does).
    public_paths: HashMap<rd::Id, Vec<String>>,
    /// The keys recorded in this walk, by declaration.
    seen_paths: HashMap<rd::Id, Vec<String>>,
    /// While a declaration's members are read: the positional names of its
    /// parameters and lifetimes (`T` -> `__P0`), for their comparison forms
    /// ([`Reader::member_ty`]).
    member_params: Option<Renames>,
    /// While a trait's items are read: its generics as resolved Rust.
    trait_generics: Option<String>,
    /// The first walk, which only finds public paths: canonical forms,
    /// which it does not need, are skipped.
    collect_only: bool,
    /// Hidden members that still bind users (see
    /// [`ApiSurface::hidden_items`]).
    hidden_items: BTreeMap<String, ApiItem>,
}

/// A crate's source files, parsed on demand.
struct Sources {
    root: PathBuf,
    /// Crate-relative file -> its items (`None`: unreadable).
    files: BTreeMap<String, Option<syn::File>>,
}

impl Sources {
    /// The `repr(..)` parts inside the `#[cfg_attr(..)]` attributes of the
    /// struct, enum or union `name` declared at `line` of `file`, written
    /// as the syn engine writes them.
    ///
    /// rustdoc compiles with `cfg(doc)` set, so `#[cfg_attr(not(doc),
    /// repr(transparent))]` (anyhow's `Error`) is gone from its JSON but
    /// for a trace; every real build has that layout. Like the syn engine,
    /// a repr under any `cfg_attr` is read as a repr.
    fn cfg_attr_repr(&mut self, file: &Path, line: usize, name: &str) -> Vec<String> {
        let rel = file.to_string_lossy().to_string();
        if file.is_absolute()
            || file
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Vec::new();
        }
        let root = self.root.clone();
        let parsed = self.files.entry(rel).or_insert_with(|| {
            std::fs::read_to_string(root.join(file))
                .ok()
                .and_then(|t| syn::parse_file(&t).ok())
        });
        let Some(parsed) = parsed else {
            return Vec::new();
        };
        fn find<'f>(
            items: &'f [syn::Item],
            line: usize,
            name: &str,
        ) -> Option<&'f [syn::Attribute]> {
            for item in items {
                let (ident, attrs) = match item {
                    syn::Item::Struct(s) => (&s.ident, &s.attrs),
                    syn::Item::Enum(e) => (&e.ident, &e.attrs),
                    syn::Item::Union(u) => (&u.ident, &u.attrs),
                    syn::Item::Mod(m) => {
                        if let Some((_, inner)) = &m.content
                            && let Some(a) = find(inner, line, name)
                        {
                            return Some(a);
                        }
                        continue;
                    }
                    _ => continue,
                };
                if ident == name && ident.span().start().line == line {
                    return Some(attrs);
                }
            }
            None
        }
        let Some(attrs) = find(&parsed.items, line, name) else {
            return Vec::new();
        };
        let mut parts = Vec::new();
        for a in attrs.iter().filter(|a| a.path().is_ident("cfg_attr")) {
            let metas = a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            );
            for m in metas.into_iter().flatten().skip(1) {
                if let syn::Meta::List(l) = &m
                    && l.path.is_ident("repr")
                {
                    parts.extend(split_top_level_commas(&super::render::tokens(&l.tokens)));
                }
            }
        }
        parts
    }
}

fn is_public(item: &rd::Item) -> bool {
    matches!(item.visibility, rd::Visibility::Public)
}

fn has_attr(item: &rd::Item, want: fn(&rd::Attribute) -> bool) -> bool {
    item.attrs.iter().any(want)
}

/// `#[doc(hidden)]`: rustdoc 1.95 keeps it as written in an `Other`
/// attribute (`#[doc(hidden)]`); spacing and other doc words beside it
/// (`#[doc(hidden, inline)]`) are allowed for.
fn is_hidden(item: &rd::Item) -> bool {
    item.attrs.iter().any(|a| match a {
        rd::Attribute::Other(text) => {
            let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            t.strip_prefix("#[doc(")
                .and_then(|r| r.strip_suffix(")]"))
                .is_some_and(|inner| inner.split(',').any(|w| w == "hidden"))
        }
        _ => false,
    })
}

/// The parts of `#[repr(..)]`, sorted, written as the syn engine writes
/// them (`C, packed(2)`, `u8`, `align(8)`); `None` for the default layout.
/// `from_cfg_attr`: parts rustdoc's configuration left out (see
/// [`Sources::cfg_attr_repr`]).
fn repr(item: &rd::Item, from_cfg_attr: Vec<String>) -> Option<String> {
    let mut parts = from_cfg_attr;
    for a in &item.attrs {
        let rd::Attribute::Repr(r) = a else { continue };
        match r.kind {
            rd::ReprKind::Rust => {}
            rd::ReprKind::C => parts.push("C".to_string()),
            rd::ReprKind::Transparent => parts.push("transparent".to_string()),
            rd::ReprKind::Simd => parts.push("simd".to_string()),
        }
        if let Some(n) = r.align {
            parts.push(format!("align({n})"));
        }
        match r.packed {
            Some(1) => parts.push("packed".to_string()),
            Some(n) => parts.push(format!("packed({n})")),
            None => {}
        }
        if let Some(int) = &r.int {
            parts.push(int.clone());
        }
    }
    parts.sort();
    parts.dedup();
    (!parts.is_empty()).then(|| parts.join(", "))
}

impl<'a> Reader<'a> {
    fn new(k: &'a rd::Crate) -> Self {
        let crate_name = k
            .index
            .get(&k.root)
            .and_then(|i| i.name.clone())
            .unwrap_or_default();
        Reader {
            k,
            crate_name,
            out: BTreeMap::new(),
            hidden: BTreeSet::new(),
            reachable: HashSet::new(),
            visible: HashSet::new(),
            traits: Vec::new(),
            impl_traits: Vec::new(),
            sources: None,
            public_paths: HashMap::new(),
            seen_paths: HashMap::new(),
            member_params: None,
            trait_generics: None,
            collect_only: false,
            hidden_items: BTreeMap::new(),
        }
    }

    /// See [`Sources::cfg_attr_repr`]: only for items whose JSON shows that
    /// a `cfg_attr` was left out (`#[attr = CfgAttrTrace]`).
    fn cfg_attr_repr(&mut self, item: &rd::Item, name: &str) -> Vec<String> {
        let traced = item
            .attrs
            .iter()
            .any(|a| matches!(a, rd::Attribute::Other(t) if t.contains("CfgAttrTrace")));
        match (&mut self.sources, &item.span) {
            (Some(src), Some(span)) if traced => {
                // The declared name: a re-export may show it under another.
                let declared = item.name.as_deref().unwrap_or(name);
                src.cfg_attr_repr(&span.filename, span.begin.0, declared)
            }
            _ => Vec::new(),
        }
    }

    fn surface(mut self) -> ApiSurface {
        let root = self.k.root;
        // A first walk finds the public paths of the crate's types, which
        // the comparison forms of signatures name them by.
        let mut first = Reader::new(self.k);
        first.collect_only = true;
        first.module(root, &[], &mut Vec::new());
        self.public_paths = first.seen_paths;
        let local_paths = self.local_paths();
        let mut stack = Vec::new();
        self.module(root, &[], &mut stack);
        self.mark_sealed();
        self.drop_unnamed_trait_impls();
        ApiSurface {
            crate_name: self.crate_name.clone(),
            version: self.k.crate_version.clone(),
            items: self.out,
            problems: Vec::new(),
            notes: Vec::new(),
            unexpanded_macros: 0,
            // Filled from the manifest by the caller (the syn engine reads it).
            features: BTreeMap::new(),
            hidden: self.hidden,
            local_paths,
            hidden_items: self.hidden_items,
            ..ApiSurface::default()
        }
    }

    /// [`ApiSurface::local_paths`]: each type by its shortest public path,
    /// with all of them. As in the syn engine, an alias that passes its
    /// parameters through (`pub type Duration = TimeDelta;`) shares its
    /// paths with its target, both ways, so that a type renamed with an
    /// alias keeping the old name is paired with itself.
    fn local_paths(&self) -> BTreeMap<String, Vec<String>> {
        let mut extra: HashMap<rd::Id, Vec<String>> = HashMap::new();
        for (id, paths) in &self.public_paths {
            let Some(target) = self.alias_target(id) else {
                continue;
            };
            extra
                .entry(target)
                .or_default()
                .extend(paths.iter().cloned());
            let target_paths = self.public_paths.get(&target).cloned().unwrap_or_default();
            extra.entry(*id).or_default().extend(target_paths);
        }
        let mut out = BTreeMap::new();
        for (id, paths) in &self.public_paths {
            if let Some(best) = super::syn_engine::best_path(paths) {
                let mut all = paths.clone();
                all.extend(extra.get(id).into_iter().flatten().cloned());
                out.insert(best.clone(), all);
            }
        }
        out
    }

    /// The local type an alias names, when the alias passes its parameters
    /// through unchanged, in order (`type A<T> = B<T>;`).
    fn alias_target(&self, id: &rd::Id) -> Option<rd::Id> {
        let rd::ItemEnum::TypeAlias(t) = &self.get(id)?.inner else {
            return None;
        };
        let rd::Type::ResolvedPath(p) = &t.type_ else {
            return None;
        };
        if p.id == *id || self.get(&p.id).is_none_or(|i| i.crate_id != 0) {
            return None;
        }
        let params: Vec<&str> = t.generics.params.iter().map(|g| g.name.as_str()).collect();
        let args: Vec<&str> = match p.args.as_deref() {
            None => Vec::new(),
            Some(rd::GenericArgs::AngleBracketed { args, constraints })
                if constraints.is_empty() =>
            {
                let mut out = Vec::new();
                for a in args {
                    out.push(match a {
                        rd::GenericArg::Lifetime(l) => l.as_str(),
                        rd::GenericArg::Type(rd::Type::Generic(g)) => g.as_str(),
                        rd::GenericArg::Const(c) => c.expr.as_str(),
                        _ => return None,
                    });
                }
                out
            }
            _ => return None,
        };
        (args == params).then_some(p.id)
    }

    /// A trait whose supertrait is a trait of this crate that outside code
    /// cannot name (no public path, hidden or not) is sealed: no one
    /// outside the crate can implement it.
    fn mark_sealed(&mut self) {
        for (id, key) in std::mem::take(&mut self.traits) {
            let Some(rd::ItemEnum::Trait(t)) = self.get(&id).map(|i| &i.inner) else {
                continue;
            };
            let sealed = t.bounds.iter().any(|b| {
                let rd::GenericBound::TraitBound { trait_, .. } = b else {
                    return false;
                };
                let local_trait =
                    match self.get(&trait_.id) {
                        Some(i) => i.crate_id == 0 && matches!(i.inner, rd::ItemEnum::Trait(_)),
                        None => self.k.paths.get(&trait_.id).is_some_and(|s| {
                            s.crate_id == 0 && matches!(s.kind, rd::ItemKind::Trait)
                        }),
                    };
                local_trait && !self.reachable.contains(&trait_.id)
            });
            if sealed && let Some(i) = self.out.get_mut(&key) {
                i.facts.sealed = true;
            }
        }
    }

    /// Impls of this crate's traits that no visible path names (a private
    /// or hidden helper trait): not API, as in the syn engine.
    fn drop_unnamed_trait_impls(&mut self) {
        for (key, trait_id) in std::mem::take(&mut self.impl_traits) {
            let local = self.get(&trait_id).map_or_else(
                || self.k.paths.get(&trait_id).is_some_and(|s| s.crate_id == 0),
                |i| i.crate_id == 0,
            );
            if local && !self.visible.contains(&trait_id) {
                self.out.remove(&key);
            }
        }
    }

    /// Records that `item` (and, for a module, everything public in it) can
    /// be named, though only through a hidden path.
    fn reach_hidden(&mut self, item: &rd::Item, depth: usize) {
        if !self.reachable.insert(item.id) || depth > 32 {
            return;
        }
        let rd::ItemEnum::Module(m) = &item.inner else {
            return;
        };
        for id in &m.items {
            let Some(inner) = self.get(id) else { continue };
            if !is_public(inner) {
                continue;
            }
            match &inner.inner {
                rd::ItemEnum::Use(u) => {
                    if let Some(target) = u.id.as_ref().and_then(|t| self.get(t)) {
                        self.reach_hidden(target, depth + 1);
                    }
                }
                _ => self.reach_hidden(inner, depth + 1),
            }
        }
    }

    /// `#[deprecated]` and `#[must_use]` of the item behind `key`.
    fn mark(&mut self, key: &Option<String>, item: &rd::Item) {
        if let Some(i) = key.as_ref().and_then(|k| self.out.get_mut(k)) {
            i.facts.deprecated |= item.deprecation.is_some();
            i.facts.must_use |= has_attr(item, |a| matches!(a, rd::Attribute::MustUse { .. }));
        }
    }

    fn get(&self, id: &rd::Id) -> Option<&'a rd::Item> {
        self.k.index.get(id)
    }

    fn display(&self, key: &str) -> String {
        if key.is_empty() {
            self.crate_name.clone()
        } else {
            format!("{}::{}", self.crate_name, key)
        }
    }

    fn add(
        &mut self,
        key: String,
        kind: ItemKind,
        (signature, shape): (String, String),
        parent: Option<&str>,
        facts: Facts,
    ) -> Option<String> {
        let key = match self.out.get(&key) {
            None => key,
            Some(existing) if existing.kind == kind => return None,
            // A module and a function may share a name: told apart by kind (as syn).
            Some(_) => format!("{key} ({kind})"),
        };
        if self.out.contains_key(&key) {
            return None;
        }
        self.out.insert(
            key.clone(),
            ApiItem {
                path: self.display(&key),
                key: key.clone(),
                kind,
                signature,
                shape,
                cfg: None,
                parent: parent.map(str::to_string),
                facts,
            },
        );
        Some(key)
    }

    /// A `#[doc(hidden)]` field, variant or trait item: not API, but kept in
    /// `hidden_items` for the rules it still binds users by (a struct
    /// literal names every field, an exhaustive match covers every
    /// variant, an implementation writes every required item).
    fn hide_member(
        &mut self,
        key: String,
        kind: ItemKind,
        (signature, shape): (String, String),
        parent: &str,
        facts: Facts,
    ) {
        self.hidden.insert(key.clone());
        let item = ApiItem {
            path: self.display(&key),
            key: key.clone(),
            kind,
            signature,
            shape,
            cfg: None,
            parent: Some(parent.to_string()),
            facts,
        };
        self.hidden_items.insert(key, item);
    }

    /// Records what module `m` exports under `prefix`.
    fn module(&mut self, m: rd::Id, prefix: &[String], stack: &mut Vec<rd::Id>) {
        if stack.contains(&m) || stack.len() > 32 {
            return;
        }
        let Some(rd::ItemEnum::Module(module)) = self.get(&m).map(|i| &i.inner) else {
            return;
        };
        stack.push(m);
        // Names declared here shadow names that glob imports bring in.
        let mut globs = Vec::new();
        for id in &module.items {
            let Some(item) = self.get(id) else { continue };
            if !is_public(item) {
                continue;
            }
            match &item.inner {
                // A hidden glob re-export brings in nothing that is API.
                rd::ItemEnum::Use(u) if u.is_glob => {
                    if !is_hidden(item) {
                        globs.push(u)
                    }
                }
                rd::ItemEnum::Use(u) => self.reexport(item, u, prefix, stack),
                _ => {
                    if let Some(name) = &item.name {
                        self.export(item, name, prefix, stack);
                    }
                }
            }
        }
        for u in globs {
            match u.id.as_ref().and_then(|id| self.get(id)) {
                Some(target) => {
                    if let rd::ItemEnum::Module(inner) = &target.inner {
                        if stack.contains(&target.id) {
                            continue;
                        }
                        stack.push(target.id);
                        for id in &inner.items {
                            let Some(item) = self.get(id) else { continue };
                            if !is_public(item) {
                                continue;
                            }
                            match &item.inner {
                                rd::ItemEnum::Use(u) if !u.is_glob => {
                                    self.reexport(item, u, prefix, stack)
                                }
                                rd::ItemEnum::Use(_) => {}
                                _ => {
                                    if let Some(name) = &item.name {
                                        let key = join(prefix, name);
                                        if !self.out.contains_key(&key) {
                                            self.export(item, name, prefix, stack);
                                        }
                                    }
                                }
                            }
                        }
                        stack.pop();
                    } else if let rd::ItemEnum::Enum(e) = &target.inner {
                        // `pub use Enum::*`: every variant, where no name
                        // declared here shadows it.
                        for id in &e.variants {
                            let Some(variant) = self.get(id) else {
                                continue;
                            };
                            if let Some(name) = &variant.name
                                && !self.out.contains_key(&join(prefix, name))
                            {
                                self.export(variant, name, prefix, stack);
                            }
                        }
                    }
                }
                None => {
                    // `pub use other_crate::*`: named by what it re-exports (as syn).
                    let key = join(prefix, &format!("* (from {})", u.source));
                    let sig = format!("pub use {}::*", u.source);
                    self.add(
                        key,
                        ItemKind::ExternalReexport,
                        (sig.clone(), sig),
                        None,
                        Facts::default(),
                    );
                }
            }
        }
        stack.pop();
    }

    /// `pub use path as name`: this crate's item under another path, or
    /// another crate's item.
    fn reexport(
        &mut self,
        use_item: &rd::Item,
        u: &rd::Use,
        prefix: &[String],
        stack: &mut Vec<rd::Id>,
    ) {
        let target = u.id.as_ref().and_then(|id| self.get(id));
        if is_hidden(use_item) {
            // `#[doc(hidden)] pub use ..`: reachable, but not API.
            let key = match target {
                Some(t) if t.crate_id == 0 => self.export_key(t, &u.name, prefix),
                _ => join(prefix, &u.name),
            };
            self.hidden.insert(key);
            if let Some(t) = target {
                self.reach_hidden(t, 0);
            }
            return;
        }
        match target {
            // `pub use __m as m;` of a hidden `#[macro_export]` macro: the
            // re-export is the name the crate gives it (as syn).
            Some(target)
                if target.crate_id == 0
                    && matches!(target.inner, rd::ItemEnum::Macro(_))
                    && is_hidden(target)
                    && target.name.as_deref() != Some(u.name.as_str()) =>
            {
                self.reachable.insert(target.id);
                self.visible.insert(target.id);
                self.macro_rules(target, &u.name, prefix);
            }
            Some(target) if target.crate_id == 0 => self.export(target, &u.name, prefix, stack),
            _ => {
                let last = u.source.rsplit("::").next().unwrap_or(&u.source);
                let sig = if last == u.name {
                    format!("pub use {}", u.source)
                } else {
                    format!("pub use {} as {}", u.source, u.name)
                };
                self.add(
                    join(prefix, &u.name),
                    ItemKind::ExternalReexport,
                    (sig.clone(), sig),
                    None,
                    Facts::default(),
                );
            }
        }
    }

    /// The key `item` is recorded under when exported as `prefix::name`.
    fn export_key(&self, item: &rd::Item, name: &str, prefix: &[String]) -> String {
        match &item.inner {
            rd::ItemEnum::Macro(_) => format!("{}!", join(prefix, name)),
            rd::ItemEnum::ProcMacro(pm) => join(
                prefix,
                &match pm.kind {
                    rd::MacroKind::Bang => format!("{name}!"),
                    rd::MacroKind::Attr => format!("#[{name}]"),
                    rd::MacroKind::Derive => format!("derive({name})"),
                },
            ),
            _ => join(prefix, name),
        }
    }

    /// Records `item` (and its members) under `prefix::name`.
    fn export(
        &mut self,
        item: &'a rd::Item,
        name: &str,
        prefix: &[String],
        stack: &mut Vec<rd::Id>,
    ) {
        if is_hidden(item) {
            self.hidden.insert(self.export_key(item, name, prefix));
            self.reach_hidden(item, 0);
            return;
        }
        self.reachable.insert(item.id);
        self.visible.insert(item.id);
        // Members read below are this item's, not an earlier one's.
        self.member_params = None;
        self.trait_generics = None;
        let key = join(prefix, name);
        if matches!(
            item.inner,
            rd::ItemEnum::Struct(_)
                | rd::ItemEnum::Enum(_)
                | rd::ItemEnum::Union(_)
                | rd::ItemEnum::Trait(_)
                | rd::ItemEnum::TypeAlias(_)
        ) {
            self.seen_paths
                .entry(item.id)
                .or_default()
                .push(key.clone());
        }
        let plain = |s: String| (s.clone(), s);
        match &item.inner {
            rd::ItemEnum::Module(_) => {
                self.add(
                    key,
                    ItemKind::Module,
                    plain(format!("pub mod {name}")),
                    None,
                    Facts::default(),
                );
                let mut path = prefix.to_vec();
                path.push(name.to_string());
                self.module(item.id, &path, stack);
            }
            rd::ItemEnum::ExternCrate { name: orig, .. } => {
                let sig = if orig == name {
                    format!("pub use {orig}")
                } else {
                    format!("pub use {orig} as {name}")
                };
                self.add(
                    key,
                    ItemKind::ExternalReexport,
                    plain(sig),
                    None,
                    Facts::default(),
                );
            }
            rd::ItemEnum::Function(f) => {
                let sig = self.fn_sig("pub ", name, f, DISPLAY);
                let mut shape = self.fn_sig(
                    "pub ",
                    name,
                    f,
                    Mode {
                        drop_unsafe: true,
                        ..SHAPE
                    },
                );
                let fn_sig = self.fn_canon("pub ", name, f, true, &Around::Free);
                if let Some((canonical, _)) = &fn_sig {
                    shape = canonical.clone();
                }
                let facts = Facts {
                    is_const: Some(f.header.is_const),
                    is_unsafe: Some(f.header.is_unsafe),
                    fn_sig: fn_sig.map(|(_, parts)| Box::new(parts)),
                    ..Facts::default()
                };
                let k = self.add(key, ItemKind::Function, (sig, shape), None, facts);
                self.mark(&k, item);
            }
            rd::ItemEnum::Constant { type_, .. } => {
                let shape_mode = Mode {
                    erase_static: true,
                    ..SHAPE
                };
                let s = format!("pub const {name}: {}", self.ty(type_, DISPLAY));
                let sh = format!("pub const {name}: {}", self.ty(type_, shape_mode));
                let k = self.add(key, ItemKind::Const, (s, sh), None, Facts::default());
                self.mark(&k, item);
            }
            rd::ItemEnum::Static(st) => {
                let shape_mode = Mode {
                    erase_static: true,
                    ..SHAPE
                };
                let m = if st.is_mutable { "mut " } else { "" };
                let s = format!("pub static {m}{name}: {}", self.ty(&st.type_, DISPLAY));
                let sh = format!("pub static {m}{name}: {}", self.ty(&st.type_, shape_mode));
                let k = self.add(key, ItemKind::Static, (s, sh), None, Facts::default());
                self.mark(&k, item);
            }
            rd::ItemEnum::TypeAlias(t) => {
                let s = format!(
                    "pub type {name}{}{} = {}",
                    self.generics(&t.generics, DISPLAY),
                    self.where_clause(&t.generics, DISPLAY),
                    self.ty(&t.type_, DISPLAY)
                );
                let sh = format!(
                    "pub type {name}{}{} = {}",
                    self.generics(&t.generics, SHAPE),
                    self.where_clause(&t.generics, SHAPE),
                    self.ty(&t.type_, SHAPE)
                );
                // Impls are the aliased type's; the syn engine attaches none
                // to an alias either.
                let k = self.add(key, ItemKind::TypeAlias, (s, sh), None, Facts::default());
                self.mark(&k, item);
                let target = self.ty(&t.type_, RESOLVED);
                self.canon_item_header(&k, &format!("pub type {name}"), &t.generics, |r| {
                    Some(format!(" = {}", rustdoc_canon::ty(&target, r)?))
                });
            }
            rd::ItemEnum::Struct(s) => {
                let non_exhaustive = has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive));
                let field_public = |x: &Option<rd::Id>| {
                    x.as_ref()
                        .and_then(|id| self.get(id))
                        .is_some_and(is_public)
                };
                let (tail, fields, all_pub, opaque): (&str, Vec<Option<rd::Id>>, bool, bool) =
                    match &s.kind {
                        rd::StructKind::Unit => (";", Vec::new(), true, false),
                        rd::StructKind::Tuple(f) => (
                            "(..)",
                            f.clone(),
                            f.iter().all(field_public),
                            !f.is_empty() && !f.iter().any(field_public),
                        ),
                        rd::StructKind::Plain {
                            fields,
                            has_stripped_fields,
                        } => {
                            let listed: Vec<Option<rd::Id>> =
                                fields.iter().map(|f| Some(*f)).collect();
                            let any_pub = listed.iter().any(field_public);
                            (
                                " { .. }",
                                listed.clone(),
                                !has_stripped_fields && listed.iter().all(field_public),
                                *has_stripped_fields && !any_pub,
                            )
                        }
                    };
                let (sig, _, _) = self.header(&format!("pub struct {name}"), &s.generics, tail);
                // With no public field (and at least one), outside code can
                // neither build nor destructure it: tuple or named is not
                // part of the API (as in the syn engine).
                let (_, shape, defaulted_params) = self.header(
                    &format!("pub struct {name}"),
                    &s.generics,
                    if opaque { " { .. }" } else { tail },
                );
                let facts = Facts {
                    constructible: Some(all_pub && !non_exhaustive),
                    non_exhaustive,
                    repr: repr(item, self.cfg_attr_repr(item, name)),
                    defaulted_params,
                    field_order: self.public_field_names(&fields),
                    ..Facts::default()
                };
                let k = self.add(key.clone(), ItemKind::Struct, (sig, shape), None, facts);
                self.mark(&k, item);
                let shape_tail = if opaque { " { .. }" } else { tail };
                self.member_params =
                    self.canon_item_header(&k, &format!("pub struct {name}"), &s.generics, |_| {
                        Some(shape_tail.to_string())
                    });
                if k.is_some() {
                    self.fields(&key, &fields);
                    self.impls(&key, name, &s.generics, &s.impls);
                }
            }
            rd::ItemEnum::Union(u) => {
                let (sig, shape, defaulted_params) =
                    self.header(&format!("pub union {name}"), &u.generics, "");
                let fields: Vec<Option<rd::Id>> = u.fields.iter().map(|f| Some(*f)).collect();
                let facts = Facts {
                    repr: repr(item, self.cfg_attr_repr(item, name)),
                    defaulted_params,
                    field_order: self.public_field_names(&fields),
                    ..Facts::default()
                };
                let k = self.add(key.clone(), ItemKind::Union, (sig, shape), None, facts);
                self.mark(&k, item);
                self.member_params =
                    self.canon_item_header(&k, &format!("pub union {name}"), &u.generics, |_| {
                        Some(String::new())
                    });
                if k.is_some() {
                    self.fields(&key, &fields);
                    self.impls(&key, name, &u.generics, &u.impls);
                }
            }
            rd::ItemEnum::Enum(e) => {
                let non_exhaustive = has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive));
                let (sig, shape, defaulted_params) =
                    self.header(&format!("pub enum {name}"), &e.generics, "");
                let fieldless = e.variants.iter().all(|id| {
                    matches!(
                        self.get(id).map(|i| &i.inner),
                        Some(rd::ItemEnum::Variant(rd::Variant {
                            kind: rd::VariantKind::Plain,
                            ..
                        }))
                    )
                });
                let facts = Facts {
                    non_exhaustive,
                    repr: repr(item, self.cfg_attr_repr(item, name)),
                    defaulted_params,
                    fieldless,
                    ..Facts::default()
                };
                let k = self.add(key.clone(), ItemKind::Enum, (sig, shape), None, facts);
                self.mark(&k, item);
                self.member_params =
                    self.canon_item_header(&k, &format!("pub enum {name}"), &e.generics, |_| {
                        Some(String::new())
                    });
                if k.is_some() {
                    // Implicit discriminants are the previous one plus one;
                    // the compiler gives the value of every explicit one.
                    let mut next: Option<i128> = Some(0);
                    for vid in &e.variants {
                        let value = match self.get(vid).map(|i| &i.inner) {
                            Some(rd::ItemEnum::Variant(rd::Variant {
                                discriminant: Some(d),
                                ..
                            })) => d.value.parse::<i128>().ok(),
                            _ => next,
                        };
                        next = value.and_then(|x| x.checked_add(1));
                        self.variant(&key, vid, value);
                    }
                    self.impls(&key, name, &e.generics, &e.impls);
                }
            }
            rd::ItemEnum::Trait(t) => {
                let unsafety = if t.is_unsafe { "unsafe " } else { "" };
                let supers = |mode| {
                    if t.bounds.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", self.bounds(&t.bounds, mode))
                    }
                };
                let head = format!("pub {unsafety}trait {name}");
                let (sig, shape, defaulted_params) =
                    self.header_with(&head, &t.generics, (&supers(DISPLAY), &supers(SHAPE)));
                let facts = Facts {
                    defaulted_params,
                    object_safe: Some(t.is_dyn_compatible),
                    ..Facts::default()
                };
                let k = self.add(key.clone(), ItemKind::Trait, (sig, shape), None, facts);
                self.mark(&k, item);
                let supers = self.bounds(&t.bounds, RESOLVED);
                self.member_params = self.canon_item_header(&k, &head, &t.generics, |r| {
                    if t.bounds.is_empty() {
                        Some(String::new())
                    } else {
                        Some(format!(": {}", rustdoc_canon::bounds(&supers, r)?))
                    }
                });
                self.trait_generics = Some(self.generics_text(&t.generics));
                if k.is_some() {
                    self.traits.push((item.id, key.clone()));
                    for id in &t.items {
                        self.trait_item(&key, id);
                    }
                    // A public trait implemented for another crate's type.
                    for id in &t.implementations {
                        let Some(rd::ItemEnum::Impl(imp)) = self.get(id).map(|i| &i.inner) else {
                            continue;
                        };
                        if imp.blanket_impl.is_some()
                            || imp.is_synthetic
                            || self.is_local_type(&imp.for_)
                        {
                            continue;
                        }
                        let self_shape = self.ty(&imp.for_, SHAPE);
                        let sig = self.impl_sig(imp);
                        // Its header with the parameters renamed, as the
                        // syn engine's: the key names the parameters as
                        // written (`impl for (T0,)`), the diff pairs a key
                        // that changed only by them through this shape.
                        let (shape, parts) = match &imp.trait_ {
                            Some(t) => {
                                let (shape, parts) = self.impl_shape(imp, &self.trait_name(t));
                                (shape, Some(Box::new(parts)))
                            }
                            None => (String::new(), None),
                        };
                        self.add(
                            format!("{key} impl for {self_shape}"),
                            ItemKind::Impl,
                            (sig, shape),
                            Some(&key),
                            Facts {
                                impl_shape: parts,
                                ..Facts::default()
                            },
                        );
                    }
                }
            }
            rd::ItemEnum::TraitAlias(t) => {
                let s = format!(
                    "pub trait {name}{} = {}",
                    self.generics(&t.generics, DISPLAY),
                    self.bounds(&t.params, DISPLAY)
                );
                let sh = format!(
                    "pub trait {name}{} = {}",
                    self.generics(&t.generics, SHAPE),
                    self.bounds(&t.params, SHAPE)
                );
                let k = self.add(key, ItemKind::Trait, (s, sh), None, Facts::default());
                self.mark(&k, item);
            }
            rd::ItemEnum::Macro(_) => self.macro_rules(item, name, prefix),
            rd::ItemEnum::ProcMacro(pm) => {
                let s = match pm.kind {
                    rd::MacroKind::Bang => format!("#[proc_macro] {name}!(..)"),
                    rd::MacroKind::Attr => format!("#[proc_macro_attribute] #[{name}]"),
                    rd::MacroKind::Derive => {
                        if pm.helpers.is_empty() {
                            format!("#[proc_macro_derive({name})]")
                        } else {
                            format!(
                                "#[proc_macro_derive({name}, attributes({}))]",
                                pm.helpers.join(", ")
                            )
                        }
                    }
                };
                let k = self.add(
                    self.export_key(item, name, prefix),
                    ItemKind::Macro,
                    plain(s),
                    None,
                    Facts::default(),
                );
                self.mark(&k, item);
            }
            // A variant re-exported on its own (`pub use Color::Red;`,
            // `pub use Color::*;`): a path users name it by (as syn).
            rd::ItemEnum::Variant(v) => {
                let s = format!("{name}{}", self.variant_fields(v, DISPLAY));
                let sh = format!("{name}{}", self.variant_fields(v, SHAPE));
                self.add(key, ItemKind::Variant, (s, sh), None, Facts::default());
            }
            // Primitives, keywords, extern types: not items a crate's users name.
            _ => {}
        }
    }

    /// A `macro_rules!` macro exported as `prefix::name!`.
    fn macro_rules(&mut self, item: &rd::Item, name: &str, prefix: &[String]) {
        let s = format!("macro_rules! {name}");
        let k = self.add(
            self.export_key(item, name, prefix),
            ItemKind::Macro,
            (s.clone(), s),
            None,
            Facts::default(),
        );
        self.mark(&k, item);
    }

    fn is_local_type(&self, t: &rd::Type) -> bool {
        match t {
            rd::Type::ResolvedPath(p) => self.get(&p.id).is_some_and(|i| i.crate_id == 0),
            rd::Type::BorrowedRef { type_, .. } => self.is_local_type(type_),
            _ => false,
        }
    }

    /// `{head}<generics>{tail} where ..`, display and comparison forms.
    /// The parameters with a default, and the comparison form of the
    /// declaration's generics.
    ///
    /// As in the syn engine, lifetime parameters are counted rather than
    /// named (`'a` -> `'b` is no change, a new one is), and type or const
    /// parameters with a default are left out and returned on their own
    /// (users need not name them, so adding one is not like adding a
    /// parameter they must write).
    fn header(&self, head: &str, g: &rd::Generics, tail: &str) -> (String, String, Vec<String>) {
        self.header_with(head, g, (tail, tail))
    }

    /// [`Self::header`] with a tail (supertraits) written differently in the
    /// display and comparison forms.
    fn header_with(
        &self,
        head: &str,
        g: &rd::Generics,
        (display_tail, shape_tail): (&str, &str),
    ) -> (String, String, Vec<String>) {
        let display = format!(
            "{head}{}{display_tail}{}",
            self.generics(g, DISPLAY),
            self.where_clause(g, DISPLAY)
        );
        let mut defaulted = Vec::new();
        for p in &g.params {
            match &p.kind {
                rd::GenericParamDefKind::Type {
                    default: Some(d), ..
                } => defaulted.push(format!("{} = {}", p.name, self.ty(d, SHAPE))),
                rd::GenericParamDefKind::Const {
                    type_,
                    default: Some(d),
                } => defaulted.push(format!("const {}: {} = {d}", p.name, self.ty(type_, SHAPE))),
                _ => {}
            }
        }
        let lifetimes = g
            .params
            .iter()
            .filter(|p| matches!(p.kind, rd::GenericParamDefKind::Lifetime { .. }))
            .count();
        let lifetimes = match lifetimes {
            0 => String::new(),
            n => format!("[{n} lifetime(s)]"),
        };
        let shape = format!(
            "{head}{lifetimes}{}{shape_tail}{}",
            self.generics_with(g, SHAPE, true),
            self.where_clause(g, SHAPE)
        );
        (display, shape, defaulted)
    }

    /// The names of the public fields, in declaration order (a tuple
    /// field's is its index), hidden ones included.
    fn public_field_names(&self, fields: &[Option<rd::Id>]) -> Vec<String> {
        fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let item = self.get(f.as_ref()?)?;
                is_public(item).then(|| item.name.clone().unwrap_or_else(|| i.to_string()))
            })
            .collect()
    }

    fn fields(&mut self, parent: &str, fields: &[Option<rd::Id>]) {
        for (i, f) in fields.iter().enumerate() {
            let Some(item) = f.as_ref().and_then(|id| self.get(id)) else {
                continue;
            };
            if !is_public(item) {
                continue;
            }
            let rd::ItemEnum::StructField(ty) = &item.inner else {
                continue;
            };
            let name = item.name.clone().unwrap_or_else(|| i.to_string());
            let key = format!("{parent}.{name}");
            let s = format!("pub {name}: {}", self.ty(ty, DISPLAY));
            let sh = format!("pub {name}: {}", self.member_ty(ty));
            if is_hidden(item) {
                self.hide_member(key, ItemKind::Field, (s, sh), parent, Facts::default());
                continue;
            }
            let k = self.add(
                key,
                ItemKind::Field,
                (s, sh),
                Some(parent),
                Facts::default(),
            );
            self.mark(&k, item);
        }
    }

    /// A variant of the enum at `parent`; `value`: its discriminant's
    /// value, explicit or implicit.
    fn variant(&mut self, parent: &str, id: &rd::Id, value: Option<i128>) {
        let Some(item) = self.get(id) else { return };
        let (Some(name), rd::ItemEnum::Variant(v)) = (&item.name, &item.inner) else {
            return;
        };
        let s = format!("{name}{}", self.variant_fields(v, DISPLAY));
        let sh = format!("{name}{}", self.variant_fields(v, SHAPE));
        let facts = Facts {
            non_exhaustive: has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive)),
            // As written (`1 << 3`, `0x10`), like the syn engine.
            discriminant: v.discriminant.as_ref().map(|d| d.expr.clone()),
            discriminant_value: value,
            ..Facts::default()
        };
        if is_hidden(item) {
            // Not API, but exhaustive matches must still cover it.
            let key = format!("{parent}::{name}");
            self.hide_member(key, ItemKind::Variant, (s, sh), parent, facts);
            return;
        }
        let k = self.add(
            format!("{parent}::{name}"),
            ItemKind::Variant,
            (s, sh),
            Some(parent),
            facts,
        );
        self.mark(&k, item);
    }

    /// A variant's fields: ` { a: T }`, `(T, U)` or nothing.
    fn variant_fields(&self, v: &rd::Variant, mode: Mode) -> String {
        let field_ty = |fid: &Option<rd::Id>| -> Option<(Option<String>, String)> {
            let f = self.get(fid.as_ref()?)?;
            match &f.inner {
                // In comparison forms, as the syn engine writes a member.
                rd::ItemEnum::StructField(t) if mode.shape => {
                    Some((f.name.clone(), self.member_ty(t)))
                }
                rd::ItemEnum::StructField(t) => Some((f.name.clone(), self.ty(t, mode))),
                _ => None,
            }
        };
        match &v.kind {
            rd::VariantKind::Plain => String::new(),
            rd::VariantKind::Tuple(fs) => {
                let parts: Vec<String> = fs
                    .iter()
                    .map(|f| field_ty(f).map(|(_, t)| t).unwrap_or_else(|| "_".into()))
                    .collect();
                format!("({})", parts.join(", "))
            }
            rd::VariantKind::Struct { fields, .. } => {
                let parts: Vec<String> = fields
                    .iter()
                    .filter_map(|f| field_ty(&Some(*f)))
                    .map(|(n, t)| format!("{}: {t}", n.unwrap_or_default()))
                    .collect();
                format!(" {{ {} }}", parts.join(", "))
            }
        }
    }

    fn trait_item(&mut self, parent: &str, id: &rd::Id) {
        let Some(item) = self.get(id) else { return };
        let Some(name) = &item.name else { return };
        let mut fn_sig = None;
        let (kind, sig, shape, has_default) = match &item.inner {
            rd::ItemEnum::Function(f) => {
                let mut shape = self.fn_sig("", name, f, SHAPE);
                let generics = self.trait_generics.clone().unwrap_or_default();
                fn_sig = self.fn_canon(
                    "",
                    name,
                    f,
                    false,
                    &Around::Trait {
                        generics: &generics,
                    },
                );
                if let Some((canonical, _)) = &fn_sig {
                    shape = canonical.clone();
                }
                (
                    ItemKind::TraitMethod,
                    self.fn_sig("", name, f, DISPLAY),
                    shape,
                    f.has_body,
                )
            }
            rd::ItemEnum::AssocType {
                generics,
                bounds,
                type_,
            } => {
                let text = |shape: bool| {
                    let b = match (bounds.is_empty(), shape) {
                        (true, _) => String::new(),
                        (false, true) => format!(": {}", self.member_bounds(bounds)),
                        (false, false) => format!(": {}", self.bounds(bounds, DISPLAY)),
                    };
                    let d = type_
                        .as_ref()
                        .map(|t| {
                            let t = if shape {
                                self.member_ty(t)
                            } else {
                                self.ty(t, DISPLAY)
                            };
                            format!(" = {t}")
                        })
                        .unwrap_or_default();
                    let mode = if shape { SHAPE } else { DISPLAY };
                    format!("type {name}{}{b}{d}", self.generics(generics, mode))
                };
                (
                    ItemKind::TraitType,
                    text(false),
                    text(true),
                    type_.is_some(),
                )
            }
            rd::ItemEnum::AssocConst { type_, value } => (
                ItemKind::TraitConst,
                format!("const {name}: {}", self.ty(type_, DISPLAY)),
                format!("const {name}: {}", self.member_ty(type_)),
                value.is_some(),
            ),
            _ => return,
        };
        let facts = Facts {
            has_default: Some(has_default),
            fn_sig: fn_sig.map(|(_, parts)| Box::new(parts)),
            ..Facts::default()
        };
        if is_hidden(item) {
            // Not API, but a required one must still be written by every
            // implementation.
            let key = format!("{parent}::{name}");
            self.hide_member(key, kind, (sig, shape), parent, facts);
            return;
        }
        let k = self.add(
            format!("{parent}::{name}"),
            kind,
            (sig, shape),
            Some(parent),
            facts,
        );
        self.mark(&k, item);
    }

    /// Inherent items, trait impls (derived and written), and the auto
    /// traits the compiler found, attached to the type at `owner`.
    fn impls(&mut self, owner: &str, type_name: &str, own: &rd::Generics, impls: &[rd::Id]) {
        // How many impls of each trait the type has (for itself, not for a
        // reference to it): one is keyed by the trait alone, as in the syn
        // engine, several for instances of the type are keyed apart.
        let mut per_trait: BTreeMap<String, usize> = BTreeMap::new();
        for id in impls {
            if let Some(item) = self.get(id)
                && let rd::ItemEnum::Impl(imp) = &item.inner
                && !is_hidden(item)
                && let Some(t) = &imp.trait_
                && imp.blanket_impl.is_none()
                && !imp.is_negative
                && !matches!(imp.for_, rd::Type::BorrowedRef { .. })
            {
                *per_trait.entry(self.trait_name(t)).or_default() += 1;
            }
        }
        for id in impls {
            let Some(item) = self.get(id) else { continue };
            let rd::ItemEnum::Impl(imp) = &item.inner else {
                continue;
            };
            // Blanket impls (`impl<T> From<T> for T`) come with every type.
            if imp.blanket_impl.is_some() || imp.is_negative {
                continue;
            }
            let Some(trait_path) = &imp.trait_ else {
                self.inherent(owner, type_name, imp, is_hidden(item));
                continue;
            };
            // An impl of a hidden trait, or one marked hidden itself.
            if is_hidden(item) {
                continue;
            }
            let trait_name = self.trait_name(trait_path);
            let bare = trait_name.split('<').next().unwrap_or(&trait_name);
            if INTERNAL_TRAITS.contains(&bare) {
                continue;
            }
            let auto = AUTO_TRAITS.contains(&bare);
            // `impl Tr for &X`, and impls for one instance of a generic type
            // next to others of the same trait (`impl Tr for X<u8>` and
            // `impl Tr for X<u16>`): keyed by the type too, so that they do
            // not collapse into one (see [`pair_instance_impls`]).
            let several = per_trait.get(&trait_name).is_some_and(|n| *n > 1);
            let key = if matches!(imp.for_, rd::Type::BorrowedRef { .. })
                || (several && !self.for_own_params(imp))
            {
                format!(
                    "{owner} impl {trait_name} for {}",
                    self.ty(&imp.for_, SHAPE)
                )
            } else {
                format!("{owner} impl {trait_name}")
            };
            let derived = has_attr(item, |a| matches!(a, rd::Attribute::AutomaticallyDerived));
            // Auto-trait impls hold under conditions (`where T: Send`) that
            // follow the fields: their where list is compared, so that
            // tightened conditions are told apart from loosened ones.
            let mut conditions = if auto {
                self.impl_conditions(imp, own, &trait_name)
            } else {
                String::new()
            };
            let (sig, facts) = if imp.is_synthetic {
                if !auto {
                    continue;
                }
                (
                    format!("{} (auto)", self.impl_sig(imp)),
                    Facts {
                        compiler_checked: true,
                        ..Facts::default()
                    },
                )
            } else if derived {
                (format!("impl {trait_name} (derived)"), Facts::default())
            } else if auto {
                let facts = Facts {
                    compiler_checked: true,
                    ..Facts::default()
                };
                (self.impl_sig(imp), facts)
            } else {
                // A written impl: its header is compared in parts, as the
                // syn engine's (narrowed, widened, bounds, associated types).
                let (shape, parts) = self.impl_shape(imp, &trait_name);
                conditions = shape;
                let facts = Facts {
                    impl_shape: Some(Box::new(parts)),
                    ..Facts::default()
                };
                (self.impl_sig(imp), facts)
            };
            if let Some(k) = self.add(key, ItemKind::Impl, (sig, conditions), Some(owner), facts) {
                self.impl_traits.push((k, trait_path.id));
            }
        }
    }

    /// The impl is for the type with its own generic parameters, in order
    /// (`impl<T> Tr for X<T>`), not for one instance of it (`X<u8>`).
    fn for_own_params(&self, imp: &rd::Impl) -> bool {
        let rd::Type::ResolvedPath(p) = &imp.for_ else {
            return true;
        };
        let Some(rd::GenericArgs::AngleBracketed { args, .. }) = p.args.as_deref() else {
            return true;
        };
        let params: Vec<&str> = imp
            .generics
            .params
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        args.iter().all(|a| match a {
            rd::GenericArg::Lifetime(_) | rd::GenericArg::Infer => true,
            rd::GenericArg::Type(rd::Type::Generic(g)) => params.contains(&g.as_str()),
            rd::GenericArg::Const(c) => params.contains(&c.expr.as_str()),
            rd::GenericArg::Type(_) => false,
        })
    }

    /// A written trait impl's header in comparison form (`impl<__P0> Tr for
    /// S<__P0> where __P0: Send; type Item = u8`) and in parts, as the syn
    /// engine builds them: the impl's type and const parameters renamed
    /// `__P0`, `__P1`, .. by first use in the implemented type, then in the
    /// trait's arguments, then in the bounds (so that the names an author
    /// chose do not count); one bound per predicate, sorted; associated
    /// types sorted by name, with `Self` read as the implemented type.
    fn impl_shape(&self, imp: &rd::Impl, trait_name: &str) -> (String, super::ImplShape) {
        // This crate's type by its shortest public path, as the syn engine
        // compares it: a type renamed behind a re-export (memchr 2.6's
        // `pub use PrefilterConfig as Prefilter`) is the same type.
        let self_ty = match &imp.for_ {
            rd::Type::ResolvedPath(p) if self.get(&p.id).is_some_and(|i| i.crate_id == 0) => {
                match self
                    .public_paths
                    .get(&p.id)
                    .and_then(|paths| super::syn_engine::best_path(paths))
                {
                    Some(best) => format!("__local::{best}{}", self.args(p.args.as_deref(), SHAPE)),
                    None => self.ty(&imp.for_, SHAPE),
                }
            }
            _ => self.ty(&imp.for_, SHAPE),
        };
        let preds: Vec<String> = self
            .where_clause(&imp.generics, SHAPE)
            .strip_prefix(" where ")
            .map(split_top_level_commas)
            .unwrap_or_default();
        let mut assoc: Vec<(String, String)> = imp
            .items
            .iter()
            .filter_map(|id| self.get(id))
            .filter_map(|i| match (&i.name, &i.inner) {
                (Some(n), rd::ItemEnum::AssocType { type_: Some(t), .. }) => {
                    Some((n.clone(), self.ty(t, SHAPE)))
                }
                _ => None,
            })
            .collect();
        assoc.sort();
        let names: Vec<&str> = imp
            .generics
            .params
            .iter()
            .filter(|p| !matches!(p.kind, rd::GenericParamDefKind::Lifetime { .. }))
            .map(|p| p.name.as_str())
            .collect();
        let mut order: Vec<&str> = Vec::new();
        for text in [self_ty.as_str(), trait_name]
            .into_iter()
            .chain(preds.iter().map(String::as_str))
        {
            for word in idents(text) {
                if let Some(n) = names.iter().find(|n| **n == word)
                    && !order.contains(n)
                {
                    order.push(n);
                }
            }
        }
        for n in &names {
            if !order.contains(n) {
                order.push(n);
            }
        }
        let mut renames: BTreeMap<String, String> = order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), format!("__P{i}")))
            .collect();
        let self_ty = rename_idents(&self_ty, &renames);
        renames.insert("Self".to_string(), self_ty.clone());
        let trait_ref = rename_idents(trait_name, &renames);
        let mut preds: Vec<String> = preds.iter().map(|p| rename_idents(p, &renames)).collect();
        preds.sort();
        preds.dedup();
        let assoc: Vec<(String, String)> = assoc
            .into_iter()
            .map(|(n, t)| (n, rename_idents(&t, &renames)))
            .collect();
        let params: Vec<String> = (0..order.len()).map(|i| format!("__P{i}")).collect();
        let mut shape = format!("impl<{}> {trait_ref} for {self_ty}", params.join(", "));
        if !preds.is_empty() {
            shape.push_str(&format!(" where {}", preds.join(", ")));
        }
        for (name, t) in &assoc {
            shape.push_str(&format!("; type {name} = {t}"));
        }
        (
            shape,
            super::ImplShape {
                self_ty,
                trait_ref,
                params,
                preds,
                assoc,
            },
        )
    }

    /// The comparison form of an auto-trait impl's conditions:
    /// `impl Send where T: Send, T: Sync` (one bound per predicate, sorted,
    /// lifetimes erased), so that a shape change is a bound added or removed.
    ///
    /// The type's own bounds (`struct S<T: Send>`) are counted in: a type
    /// can only be used where they hold, so an impl condition that repeats
    /// one (`T: Send` after the struct's bound was dropped) restricts
    /// nothing. Parameters are matched by name: rustdoc writes an impl with
    /// the type's own parameter names.
    fn impl_conditions(&self, imp: &rd::Impl, own: &rd::Generics, trait_name: &str) -> String {
        let preds = |g: &rd::Generics| -> Vec<String> {
            self.where_clause(g, SHAPE)
                .strip_prefix(" where ")
                .map(split_top_level_commas)
                .unwrap_or_default()
        };
        let mut all = preds(&imp.generics);
        all.extend(preds(own));
        all.sort();
        all.dedup();
        if all.is_empty() {
            format!("impl {trait_name}")
        } else {
            format!("impl {trait_name} where {}", all.join(", "))
        }
    }

    fn inherent(&mut self, owner: &str, type_name: &str, imp: &rd::Impl, impl_hidden: bool) {
        let mode = Mode {
            self_name: Some(type_name),
            drop_unsafe: true,
            ..SHAPE
        };
        let impl_generics = self.generics_text(&imp.generics);
        let self_ty = self.ty(&imp.for_, RESOLVED);
        let around = Around::Inherent {
            self_ty: &self_ty,
            generics: &impl_generics,
        };
        for id in &imp.items {
            let Some(item) = self.get(id) else { continue };
            let Some(name) = &item.name else { continue };
            if !is_public(item) {
                continue;
            }
            let key = format!("{owner}::{name}");
            if impl_hidden || is_hidden(item) {
                if matches!(
                    item.inner,
                    rd::ItemEnum::Function(_) | rd::ItemEnum::AssocConst { .. }
                ) {
                    self.hidden.insert(key);
                }
                continue;
            }
            let k = match &item.inner {
                rd::ItemEnum::Function(f) => {
                    let sig = self.fn_sig("pub ", name, f, DISPLAY);
                    let mut shape = self.fn_sig("pub ", name, f, mode);
                    let fn_sig = self.fn_canon("pub ", name, f, true, &around);
                    if let Some((canonical, _)) = &fn_sig {
                        shape = canonical.clone();
                    }
                    self.add(
                        key,
                        ItemKind::Method,
                        (sig, shape),
                        Some(owner),
                        Facts {
                            is_const: Some(f.header.is_const),
                            is_unsafe: Some(f.header.is_unsafe),
                            fn_sig: fn_sig.map(|(_, parts)| Box::new(parts)),
                            ..Facts::default()
                        },
                    )
                }
                rd::ItemEnum::AssocConst { type_, .. } => {
                    let s = format!("pub const {name}: {}", self.ty(type_, DISPLAY));
                    let sh = format!("pub const {name}: {}", self.ty(type_, mode));
                    self.add(
                        key,
                        ItemKind::AssocConst,
                        (s, sh),
                        Some(owner),
                        Facts::default(),
                    )
                }
                _ => None,
            };
            self.mark(&k, item);
        }
    }

    /// `From<&str>`: the trait's own name (not the spelling of the impl) with
    /// its arguments in comparison form.
    fn trait_name(&self, p: &rd::Path) -> String {
        let name = self
            .k
            .paths
            .get(&p.id)
            .and_then(|s| s.path.last().cloned())
            .unwrap_or_else(|| last_segment(&p.path).to_string());
        format!("{name}{}", self.args(p.args.as_deref(), SHAPE))
    }

    fn impl_sig(&self, imp: &rd::Impl) -> String {
        let unsafety = if imp.is_unsafe { "unsafe " } else { "" };
        let trait_part = imp
            .trait_
            .as_ref()
            .map(|t| format!("{} for ", self.path(t, DISPLAY)))
            .unwrap_or_default();
        format!(
            "{unsafety}impl{} {trait_part}{}{}",
            self.generics(&imp.generics, DISPLAY),
            self.ty(&imp.for_, DISPLAY),
            self.where_clause(&imp.generics, DISPLAY)
        )
    }

    // --- rendering -------------------------------------------------------

    /// `pub const unsafe fn name<T>(a: A) -> R where ..`; in shape form
    /// without `const` (a fact of its own), parameters named `_`, bounds in
    /// one sorted where list and lifetimes other than `'static` erased.
    fn fn_sig(&self, vis: &str, name: &str, f: &rd::Function, mode: Mode) -> String {
        let h = &f.header;
        let mut quals = String::new();
        if h.is_const && !mode.shape {
            quals.push_str("const ");
        }
        if h.is_async {
            quals.push_str("async ");
        }
        if h.is_unsafe && !((mode.shape || mode.resolve) && mode.drop_unsafe) {
            quals.push_str("unsafe ");
        }
        if let Some(abi) = abi(&h.abi) {
            quals.push_str(&format!("extern \"{abi}\" "));
        }
        let inputs = self.inputs(&f.sig, mode);
        let output = f
            .sig
            .output
            .as_ref()
            .map(|t| format!(" -> {}", self.ty(t, mode)))
            .unwrap_or_default();
        let text = format!(
            "{vis}{quals}fn {name}{}({inputs}){output}{}",
            self.generics(&f.generics, mode),
            self.where_clause(&f.generics, mode)
        );
        tidy_fn(&text, mode.shape)
    }

    fn inputs(&self, sig: &rd::FunctionSignature, mode: Mode) -> String {
        let mut parts = Vec::new();
        for (i, (name, ty)) in sig.inputs.iter().enumerate() {
            if i == 0 && name == "self" {
                parts.push(match ty {
                    rd::Type::Generic(g) if g == "Self" => "self".to_string(),
                    rd::Type::BorrowedRef {
                        lifetime,
                        is_mutable,
                        type_,
                    } if matches!(&**type_, rd::Type::Generic(g) if g == "Self") => {
                        let lt = match lifetime {
                            Some(l) if !mode.shape || l == "'static" => format!("{l} "),
                            _ => String::new(),
                        };
                        format!("&{lt}{}self", if *is_mutable { "mut " } else { "" })
                    }
                    other => format!("self: {}", self.ty(other, mode)),
                });
                continue;
            }
            let name = if mode.shape || mode.resolve {
                "_"
            } else {
                name.as_str()
            };
            parts.push(format!("{name}: {}", self.ty(ty, mode)));
        }
        if sig.is_c_variadic {
            parts.push("...".to_string());
        }
        parts.join(", ")
    }

    /// `<'a, T: Clone = X, const N: usize>`; in shape form without lifetimes
    /// and with bounds moved to the where list. Synthetic parameters
    /// (`impl Trait` arguments) are written where they are used.
    fn generics(&self, g: &rd::Generics, mode: Mode) -> String {
        self.generics_with(g, mode, false)
    }

    /// [`Self::generics`], leaving out parameters with a default when
    /// `skip_defaulted`.
    fn generics_with(&self, g: &rd::Generics, mode: Mode, skip_defaulted: bool) -> String {
        let mut parts = Vec::new();
        for p in &g.params {
            let defaulted = matches!(
                &p.kind,
                rd::GenericParamDefKind::Type {
                    default: Some(_),
                    ..
                } | rd::GenericParamDefKind::Const {
                    default: Some(_),
                    ..
                }
            );
            if skip_defaulted && defaulted {
                continue;
            }
            match &p.kind {
                rd::GenericParamDefKind::Lifetime { outlives } => {
                    if mode.shape {
                        continue;
                    }
                    if outlives.is_empty() {
                        parts.push(p.name.clone());
                    } else {
                        parts.push(format!("{}: {}", p.name, outlives.join(" + ")));
                    }
                }
                rd::GenericParamDefKind::Type {
                    bounds,
                    default,
                    is_synthetic,
                } => {
                    if *is_synthetic {
                        continue;
                    }
                    let mut s = p.name.clone();
                    if !mode.shape && !bounds.is_empty() {
                        s.push_str(&format!(": {}", self.bounds(bounds, mode)));
                    }
                    if let Some(d) = default {
                        s.push_str(&format!(" = {}", self.ty(d, mode)));
                    }
                    parts.push(s);
                }
                rd::GenericParamDefKind::Const { type_, default } => {
                    let mut s = format!("const {}: {}", p.name, self.ty(type_, mode));
                    if let Some(d) = default {
                        s.push_str(&format!(" = {d}"));
                    }
                    parts.push(s);
                }
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    }

    /// ` where T: Clone, ..`; in shape form every bound of every parameter
    /// as its own predicate, sorted, lifetime predicates left out.
    fn where_clause(&self, g: &rd::Generics, mode: Mode) -> String {
        let mut preds: Vec<String> = Vec::new();
        if mode.shape {
            for p in &g.params {
                if let rd::GenericParamDefKind::Type {
                    bounds,
                    is_synthetic: false,
                    ..
                } = &p.kind
                {
                    for b in bounds {
                        if let Some(b) = self.bound(b, mode) {
                            preds.push(format!("{}: {b}", p.name));
                        }
                    }
                }
            }
        }
        for w in &g.where_predicates {
            match w {
                rd::WherePredicate::BoundPredicate {
                    type_,
                    bounds,
                    generic_params,
                } => {
                    // `impl Trait` arguments show up as predicates on their
                    // synthetic parameter: already written in the argument.
                    if let rd::Type::Generic(name) = type_
                        && g.params.iter().any(|p| {
                            &p.name == name
                                && matches!(
                                    p.kind,
                                    rd::GenericParamDefKind::Type {
                                        is_synthetic: true,
                                        ..
                                    }
                                )
                        })
                    {
                        continue;
                    }
                    let hrtb = self.hrtb(generic_params);
                    let ty = self.ty(type_, mode);
                    if mode.shape {
                        for b in bounds {
                            if let Some(b) = self.bound(b, mode) {
                                preds.push(format!("{hrtb}{ty}: {b}"));
                            }
                        }
                    } else if !bounds.is_empty() {
                        preds.push(format!("{hrtb}{ty}: {}", self.bounds(bounds, mode)));
                    }
                }
                rd::WherePredicate::LifetimePredicate { lifetime, outlives } => {
                    if !mode.shape {
                        preds.push(format!("{lifetime}: {}", outlives.join(" + ")));
                    }
                }
                rd::WherePredicate::EqPredicate { lhs, rhs } => {
                    preds.push(format!("{} = {}", self.ty(lhs, mode), self.term(rhs, mode)));
                }
            }
        }
        if mode.shape {
            preds.sort();
            preds.dedup();
        }
        if preds.is_empty() {
            String::new()
        } else {
            format!(" where {}", preds.join(", "))
        }
    }

    fn hrtb(&self, params: &[rd::GenericParamDef]) -> String {
        if params.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!("for<{}> ", names.join(", "))
        }
    }

    fn bounds(&self, bounds: &[rd::GenericBound], mode: Mode) -> String {
        let mut parts: Vec<String> = bounds.iter().filter_map(|b| self.bound(b, mode)).collect();
        if mode.shape {
            parts.sort();
        }
        parts.join(" + ")
    }

    /// One bound; `None` when the comparison form erases it (a lifetime).
    fn bound(&self, b: &rd::GenericBound, mode: Mode) -> Option<String> {
        match b {
            rd::GenericBound::TraitBound {
                trait_,
                generic_params,
                modifier,
            } => {
                let m = match modifier {
                    rd::TraitBoundModifier::None => "",
                    rd::TraitBoundModifier::Maybe => "?",
                    rd::TraitBoundModifier::MaybeConst => "~const ",
                };
                Some(format!(
                    "{}{m}{}",
                    self.hrtb(generic_params),
                    self.path(trait_, mode)
                ))
            }
            rd::GenericBound::Outlives(l) => self.lifetime(l, mode),
            rd::GenericBound::Use(args) => {
                if mode.shape {
                    return None;
                }
                let a: Vec<&str> = args
                    .iter()
                    .map(|a| match a {
                        rd::PreciseCapturingArg::Lifetime(l) => l.as_str(),
                        rd::PreciseCapturingArg::Param(p) => p.as_str(),
                    })
                    .collect();
                Some(format!("use<{}>", a.join(", ")))
            }
        }
    }

    /// A lifetime as written, or `None` where the comparison form erases it.
    fn lifetime(&self, l: &str, mode: Mode) -> Option<String> {
        if mode.shape && (l != "'static" || mode.erase_static) {
            None
        } else {
            Some(l.to_string())
        }
    }

    fn term(&self, t: &rd::Term, mode: Mode) -> String {
        match t {
            rd::Term::Type(t) => self.ty(t, mode),
            rd::Term::Constant(c) => c.expr.clone(),
        }
    }

    /// A path to a type or trait: as written (display), or what it means
    /// (shape): this crate's items by their name, other crates' by their
    /// full path, `core::`/`alloc::` read as `std::`, prelude types short.
    fn path(&self, p: &rd::Path, mode: Mode) -> String {
        let base = if mode.resolve {
            self.resolved(p)
        } else if mode.shape {
            self.canonical(p)
        } else {
            match p.path.strip_prefix("$crate::") {
                Some(_) => self.canonical(p),
                None => p.path.clone(),
            }
        };
        format!("{base}{}", self.args(p.args.as_deref(), mode))
    }

    /// A path as [`Mode::resolve`] writes it: this crate's types by
    /// `__local::` and their shortest public path (`__private::` and where
    /// they are declared when they have none), std's by the short name of
    /// a prelude type or `std::` and where they are defined.
    fn resolved(&self, p: &rd::Path) -> String {
        let local = self.get(&p.id).is_some_and(|i| i.crate_id == 0);
        let Some(summary) = self.k.paths.get(&p.id) else {
            return p.path.trim_start_matches("$crate::").to_string();
        };
        if local || summary.crate_id == 0 {
            if let Some(best) = self
                .public_paths
                .get(&p.id)
                .and_then(|paths| super::syn_engine::best_path(paths))
            {
                return format!("__local::{best}");
            }
            let mut parts = vec!["__private".to_string()];
            parts.extend(summary.path.iter().skip(1).cloned());
            return parts.join("::");
        }
        let std = matches!(
            summary.path.first().map(String::as_str),
            Some("std" | "core" | "alloc")
        );
        if std && let Some(last) = summary.path.last() {
            let short = super::syn_engine::PRELUDE
                .iter()
                .find(|(_, s)| s == last)
                .map(|(_, s)| s.to_string());
            if let Some(short) = short {
                return short;
            }
        }
        let mut text = summary.path.join("::");
        for prefix in ["core::", "alloc::"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                text = format!("std::{rest}");
            }
        }
        rustdoc_canon::std_public_path(&text)
    }

    /// A function's comparison form and canonical parts, as the syn engine
    /// computes them ([`rustdoc_canon::fn_shape`]); `None` when its
    /// resolved text does not parse.
    fn fn_canon(
        &self,
        vis: &str,
        name: &str,
        f: &rd::Function,
        drop_unsafe: bool,
        around: &Around<'_>,
    ) -> Option<(String, FnShape)> {
        if self.collect_only {
            return None;
        }
        let mode = Mode {
            drop_unsafe,
            ..RESOLVED
        };
        rustdoc_canon::fn_shape(&self.fn_sig(vis, name, f, mode), around)
    }

    /// `<T: Clone = u8> where ..` as resolved Rust.
    fn generics_text(&self, g: &rd::Generics) -> String {
        format!(
            "{}{}",
            self.generics(g, RESOLVED),
            self.where_clause(g, RESOLVED)
        )
    }

    /// The comparison form of a member's type (a field's, a variant's, a
    /// trait's associated const or type default), as the syn engine writes
    /// it: resolved, the declaration's parameters by position. Without
    /// those (the header did not parse), the earlier form.
    fn member_ty(&self, t: &rd::Type) -> String {
        self.member_params
            .as_ref()
            .and_then(|r| rustdoc_canon::ty(&self.ty(t, RESOLVED), r))
            .unwrap_or_else(|| self.ty(t, SHAPE))
    }

    /// [`Self::member_ty`] for the bounds of a trait's associated type.
    fn member_bounds(&self, b: &[rd::GenericBound]) -> String {
        self.member_params
            .as_ref()
            .and_then(|r| rustdoc_canon::bounds(&self.bounds(b, RESOLVED), r))
            .unwrap_or_else(|| self.bounds(b, SHAPE))
    }

    /// A declaration's comparison form and generics, as the syn engine
    /// computes them ([`rustdoc_canon::header`]), and the positional names
    /// of its parameters (for its members). `tail` gives the part after
    /// the parameters in comparison form, from those names.
    /// Gives the item at `key` the syn engine's comparison form of its
    /// header and its generics ([`Facts::generics`]), and returns the
    /// positional names of its parameters, for its members.
    fn canon_item_header(
        &mut self,
        key: &Option<String>,
        head: &str,
        g: &rd::Generics,
        tail: impl FnOnce(&Renames) -> Option<String>,
    ) -> Option<Renames> {
        let (shape, generics, params) = self.canon_header(head, g, tail)?;
        if let Some(i) = key.as_ref().and_then(|k| self.out.get_mut(k)) {
            i.shape = shape;
            i.facts.generics = Some(Box::new(generics));
        }
        Some(params)
    }

    fn canon_header(
        &self,
        head: &str,
        g: &rd::Generics,
        tail: impl FnOnce(&Renames) -> Option<String>,
    ) -> Option<(String, GenericsShape, Renames)> {
        if self.collect_only {
            return None;
        }
        let (parsed, renames) = rustdoc_canon::positional(&self.generics_text(g))?;
        let tail = tail(&renames)?;
        let (shape, generics) = rustdoc_canon::header(head, &parsed, &tail);
        Some((shape, generics, renames))
    }

    fn canonical(&self, p: &rd::Path) -> String {
        let Some(summary) = self.k.paths.get(&p.id) else {
            return p.path.trim_start_matches("$crate::").to_string();
        };
        if summary.crate_id == 0 {
            // A type of this crate: the name as written, like the syn
            // engine. Its declaration may be re-exported under another name
            // (`pub use Config as Prefilter`), and users write the name they see.
            return last_segment(&p.path).to_string();
        }
        let mut text = summary.path.join("::");
        for prefix in ["core::", "alloc::"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                text = format!("std::{rest}");
            }
        }
        match PRELUDE.iter().find(|(long, _)| *long == text) {
            Some((_, short)) => short.to_string(),
            None => text,
        }
    }

    fn args(&self, args: Option<&rd::GenericArgs>, mode: Mode) -> String {
        match args {
            None => String::new(),
            Some(rd::GenericArgs::AngleBracketed { args, constraints }) => {
                let mut parts: Vec<String> = args
                    .iter()
                    .filter_map(|a| match a {
                        rd::GenericArg::Lifetime(l) => self.lifetime(l, mode),
                        rd::GenericArg::Type(t) => Some(self.ty(t, mode)),
                        rd::GenericArg::Const(c) => Some(c.expr.clone()),
                        rd::GenericArg::Infer => Some("_".to_string()),
                    })
                    .collect();
                for c in constraints {
                    let a = self.args(c.args.as_deref(), mode);
                    parts.push(match &c.binding {
                        rd::AssocItemConstraintKind::Equality(t) => {
                            format!("{}{a} = {}", c.name, self.term(t, mode))
                        }
                        rd::AssocItemConstraintKind::Constraint(b) => {
                            format!("{}{a}: {}", c.name, self.bounds(b, mode))
                        }
                    });
                }
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", parts.join(", "))
                }
            }
            Some(rd::GenericArgs::Parenthesized { inputs, output }) => {
                let i: Vec<String> = inputs.iter().map(|t| self.ty(t, mode)).collect();
                let o = output
                    .as_ref()
                    .map(|t| format!(" -> {}", self.ty(t, mode)))
                    .unwrap_or_default();
                format!("({}){o}", i.join(", "))
            }
            Some(rd::GenericArgs::ReturnTypeNotation) => "(..)".to_string(),
        }
    }

    fn ty(&self, t: &rd::Type, mode: Mode) -> String {
        match t {
            rd::Type::ResolvedPath(p) => self.path(p, mode),
            rd::Type::DynTrait(d) => {
                let mut parts: Vec<String> = d
                    .traits
                    .iter()
                    .map(|pt| {
                        format!(
                            "{}{}",
                            self.hrtb(&pt.generic_params),
                            self.path(&pt.trait_, mode)
                        )
                    })
                    .collect();
                if let Some(l) = d.lifetime.as_deref().and_then(|l| self.lifetime(l, mode)) {
                    parts.push(l);
                }
                format!("dyn {}", parts.join(" + "))
            }
            rd::Type::Generic(g) => match (g.as_str(), mode.self_name) {
                ("Self", Some(name)) if mode.shape => name.to_string(),
                _ => g.clone(),
            },
            rd::Type::Primitive(p) => p.clone(),
            rd::Type::FunctionPointer(fp) => {
                let h = &fp.header;
                let mut q = String::new();
                if h.is_unsafe {
                    q.push_str("unsafe ");
                }
                if let Some(abi) = abi(&h.abi) {
                    q.push_str(&format!("extern \"{abi}\" "));
                }
                let inputs: Vec<String> = fp
                    .sig
                    .inputs
                    .iter()
                    .map(|(_, t)| self.ty(t, mode))
                    .collect();
                let out = fp
                    .sig
                    .output
                    .as_ref()
                    .map(|t| format!(" -> {}", self.ty(t, mode)))
                    .unwrap_or_default();
                let hrtb = if mode.shape {
                    String::new()
                } else {
                    self.hrtb(&fp.generic_params)
                };
                format!("{hrtb}{q}fn({}){out}", inputs.join(", "))
            }
            rd::Type::Tuple(ts) => {
                let parts: Vec<String> = ts.iter().map(|t| self.ty(t, mode)).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            rd::Type::Slice(t) => format!("[{}]", self.ty(t, mode)),
            rd::Type::Array { type_, len } => format!("[{}; {len}]", self.ty(type_, mode)),
            rd::Type::Pat { type_, .. } => self.ty(type_, mode),
            rd::Type::ImplTrait(bounds) => format!("impl {}", self.bounds(bounds, mode)),
            rd::Type::Infer => "_".to_string(),
            rd::Type::RawPointer { is_mutable, type_ } => format!(
                "*{} {}",
                if *is_mutable { "mut" } else { "const" },
                self.ty(type_, mode)
            ),
            rd::Type::BorrowedRef {
                lifetime,
                is_mutable,
                type_,
            } => {
                let lt = lifetime
                    .as_deref()
                    .and_then(|l| self.lifetime(l, mode))
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                format!(
                    "&{lt}{}{}",
                    if *is_mutable { "mut " } else { "" },
                    self.ty(type_, mode)
                )
            }
            rd::Type::QualifiedPath {
                name,
                args,
                self_type,
                trait_,
            } => {
                let st = self.ty(self_type, mode);
                let a = self.args(args.as_deref(), mode);
                match trait_ {
                    Some(t) if !t.path.is_empty() => {
                        format!("<{st} as {}>::{name}{a}", self.path(t, mode))
                    }
                    _ => format!("{st}::{name}{a}"),
                }
            }
        }
    }
}

fn abi(a: &rd::Abi) -> Option<String> {
    let (name, unwind) = match a {
        rd::Abi::Rust => return None,
        rd::Abi::C { unwind } => ("C", unwind),
        rd::Abi::Cdecl { unwind } => ("cdecl", unwind),
        rd::Abi::Stdcall { unwind } => ("stdcall", unwind),
        rd::Abi::Fastcall { unwind } => ("fastcall", unwind),
        rd::Abi::Aapcs { unwind } => ("aapcs", unwind),
        rd::Abi::Win64 { unwind } => ("win64", unwind),
        rd::Abi::SysV64 { unwind } => ("sysv64", unwind),
        rd::Abi::System { unwind } => ("system", unwind),
        rd::Abi::Other(s) => return Some(s.clone()),
    };
    Some(if *unwind {
        format!("{name}-unwind")
    } else {
        name.to_string()
    })
}

/// Lines up the keys of impls for instances of a generic type between two
/// versions read by this engine.
///
/// A type with one impl of a trait has it under `S impl Tr` whatever the
/// impl is for (`S<u8>` or `S<T>`), as in the syn engine, so that a changed
/// header is a changed impl (narrowed, widened, changed); a type with
/// several impls of one trait for instances of it has each under its
/// instance (`S impl Tr for S<u8>`). When one version has one such impl and
/// the other several, the single one takes the key of the impl for the same
/// instance in the other version: the impl that stayed is not reported as
/// removed and added.
pub fn pair_instance_impls(old: &mut ApiSurface, new: &mut ApiSurface) {
    rekey_single_impls(old, new);
    rekey_single_impls(new, old);
}

/// [`pair_instance_impls`] one way: impls of `single` keyed by their trait
/// alone that `other` has under their instance.
fn rekey_single_impls(single: &mut ApiSurface, other: &ApiSurface) {
    let mut moves: Vec<(String, String)> = Vec::new();
    for item in single.items.values() {
        let Some(shape) = &item.facts.impl_shape else {
            continue;
        };
        if item.kind != ItemKind::Impl || other.items.contains_key(&item.key) {
            continue;
        }
        let prefix = format!("{} for ", item.key);
        let same = other
            .items
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .find(|(k, o)| {
                !single.items.contains_key(*k)
                    && o.facts.impl_shape.as_ref().is_some_and(|s| {
                        s.self_ty == shape.self_ty && s.trait_ref == shape.trait_ref
                    })
            });
        if let Some((k, _)) = same {
            moves.push((item.key.clone(), k.clone()));
        }
    }
    for (from, to) in moves {
        if let Some(mut item) = single.items.remove(&from) {
            if let Some(stem) = item.path.strip_suffix(&from) {
                item.path = format!("{stem}{to}");
            }
            item.key = to.clone();
            single.items.insert(to, item);
        }
    }
}

/// The identifiers of `text` that are not the later segments of a path
/// (`T` and `Item` in `T: Iterator<Item = u8>`, not `b` in `a::b`).
fn idents(text: &str) -> Vec<&str> {
    ident_spans(text)
        .into_iter()
        .map(|(start, end)| &text[start..end])
        .collect()
}

/// Byte ranges of the identifiers [`idents`] returns.
fn ident_spans(text: &str) -> Vec<(usize, usize)> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev = ' ';
    for (i, ch) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_ident(ch)) {
            (None, true) => {
                // A number (`8` in `[u8; 8]`) or a lifetime is no name.
                if !ch.is_ascii_digit() && prev != '\'' {
                    start = Some(i);
                } else {
                    start = Some(usize::MAX);
                }
            }
            (Some(s), false) => {
                if s != usize::MAX && !text[..s].ends_with("::") {
                    out.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
        prev = ch;
    }
    out
}

/// `text` with the identifiers `renames` names replaced (path segments
/// after `::` left alone).
fn rename_idents(text: &str, renames: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in ident_spans(text) {
        if let Some(new) = renames.get(&text[start..end]) {
            out.push_str(&text[last..start]);
            out.push_str(new);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// `A: X<B, C>, D: Y` -> [`A: X<B, C>`, `D: Y`]: commas outside brackets.
fn split_top_level_commas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    let mut prev = ' ';
    for (i, ch) in text.char_indices() {
        let arrow = prev == '-' && ch == '>';
        prev = ch;
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' if arrow => {}
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim().to_string());
    out.retain(|p| !p.is_empty());
    out
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn join(prefix: &[String], name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{}::{name}", prefix.join("::"))
    }
}

/// Lays a function signature out the way the syn engine prints it (through
/// `prettyplease`), when it parses; the text as built otherwise.
fn tidy_fn(text: &str, shape: bool) -> String {
    let Ok(f) = syn::parse_str::<syn::ItemFn>(&format!("{text} {{}}")) else {
        return text.to_string();
    };
    let s = if shape {
        super::render::signature_shape(&f.vis, &f.sig)
    } else {
        super::render::signature(&f.vis, &f.sig)
    };
    // A where clause laid out on lines ends with a comma once folded.
    s.strip_suffix(',').map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_build_script_keeps_its_message() {
        let stderr = "error: failed to run custom build command for `bsfail v1.0.1 (/tmp/bumpguard-rustdoc-abc/crate)`\nnote: To improve backtraces for build dependencies, set the CARGO_PROFILE_DEV_BUILD_OVERRIDE_DEBUG=true environment variable to enable debug information generation.\n\nCaused by:\n  process didn't exit successfully: `/tmp/bumpguard-rustdoc-abc/target/debug/build/bsfail-1/build-script-build` (exit status: 101)\n  --- stderr\n\n  thread 'main' (4242) panicked at build.rs:1:12:\n  native lib foo not found\n  note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let reason = failure_reason(stderr);
        assert_eq!(
            reason,
            "error: failed to run custom build command for `bsfail v1.0.1 (/tmp/bumpguard-rustdoc-abc/crate)` thread 'main' (4242) panicked at build.rs:1:12: native lib foo not found"
        );
        let shown = without_paths(
            &reason,
            Path::new("/tmp/bumpguard-rustdoc-abc/crate"),
            Path::new("/tmp/bumpguard-rustdoc-abc"),
            "bsfail 1.0.1",
        );
        assert!(
            shown.starts_with(
                "error: failed to run custom build command for `bsfail v1.0.1` thread"
            ),
            "{shown}"
        );
        assert!(!shown.contains("/tmp"), "{shown}");
    }

    #[test]
    fn causes_and_locations_are_kept() {
        let stderr = "error: failed to parse manifest at `/w/crate/Cargo.toml`\n\nCaused by:\n  error inheriting `edition` from workspace root manifest's `workspace.package.edition`\n\nCaused by:\n  `workspace.package.edition` was not defined\n";
        assert_eq!(
            failure_reason(stderr),
            "error: failed to parse manifest at `/w/crate/Cargo.toml` caused by: error inheriting `edition` from workspace root manifest's `workspace.package.edition` `workspace.package.edition` was not defined"
        );
        let stderr =
            "error[E0412]: cannot find type `Missing` in this scope\n --> src/lib.rs:2:17\n  |\n";
        assert_eq!(
            failure_reason(stderr),
            "error[E0412]: cannot find type `Missing` in this scope --> src/lib.rs:2:17"
        );
    }

    #[test]
    fn a_location_in_the_rewritten_manifest_says_so() {
        let rewritten = "[package]\nname = \"m\"\n\n[features]\ntest = [\"suite/all\"]\n";
        let msg = "`cargo rustdoc` failed: error: feature `test` includes `suite/all`, but `suite` is not a dependency --> Cargo.toml:5:8";
        assert_eq!(
            in_rewritten_manifest(msg, rewritten),
            "`cargo rustdoc` failed: error: feature `test` includes `suite/all`, but `suite` is not a dependency --> Cargo.toml:5:8 of bumpguard's rewritten copy of the manifest (dev-dependencies and test, bench and example targets left out; its lines are not the crate's), which reads `test = [\"suite/all\"]`"
        );
        let other = "error: failed to compile --> src/lib.rs:1:1";
        assert_eq!(in_rewritten_manifest(other, rewritten), other);
    }

    #[test]
    fn offline_failures_are_recognised() {
        for stderr in [
            "error: failed to download `smallvec v1.6.1`\n\nCaused by:\n  attempting to make an HTTP request, but --offline was specified",
            "error: no matching package named `compiler_builtins` found\nlocation searched: crates.io index",
            "error: failed to get `smallvec` as a dependency of package `d v1.0.0`",
        ] {
            assert!(offline_failure(stderr, true).is_some(), "{stderr}");
            assert!(offline_failure(stderr, false).is_none(), "{stderr}");
            assert!(before_compiling(stderr), "{stderr}");
        }
        assert!(offline_failure("error[E0412]: cannot find type", true).is_none());
        assert!(!before_compiling("error[E0412]: cannot find type"));
    }

    #[test]
    fn the_consumer_lockfile_is_cut_to_what_the_crate_depends_on() {
        let lock = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["tokio", "bytes 1.5.0"]

[[package]]
name = "bytes"
version = "1.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"

[[package]]
name = "bytes"
version = "1.10.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bb"

[[package]]
name = "mio"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cc"

[[package]]
name = "tokio"
version = "1.40.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "dd"
dependencies = ["bytes 1.10.0", "mio"]
"#;
        let cut = minimal_lockfile(lock, "tokio", "1.40.0").expect("tokio is there");
        let t: toml::Table = toml::from_str(&cut).expect("toml");
        let names: Vec<String> = t["package"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["name"].as_str().unwrap_or(""),
                    p["version"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(names, vec!["bytes 1.10.0", "mio 1.0.0"]);
        assert_eq!(t["version"].as_integer(), Some(4));
        assert!(minimal_lockfile(lock, "tokio", "1.39.0").is_none());
        assert!(minimal_lockfile("not toml [", "tokio", "1.40.0").is_none());
    }

    #[test]
    fn the_copied_manifest_keeps_only_what_the_library_needs() {
        let table: toml::Table = toml::from_str(
            "[package]\nname = \"m\"\nversion = \"1.0.0\"\n[dependencies]\nlibc = \"0.2\"\n[dev-dependencies]\nquickcheck = \"1\"\n[target.'cfg(unix)'.dev-dependencies]\nnix = \"0.1\"\n[[bench]]\nname = \"b\"\nharness = false\n[[test]]\nname = \"t\"\n",
        )
        .expect("toml");
        let out: toml::Table = toml::from_str(&isolated_manifest(table)).expect("written toml");
        assert!(out.contains_key("dependencies"));
        assert!(out.contains_key("workspace"));
        for gone in ["dev-dependencies", "bench", "test"] {
            assert!(!out.contains_key(gone), "{gone}: {out}");
        }
        assert!(out["target"]["cfg(unix)"].get("dev-dependencies").is_none());
        assert_eq!(out["package"]["autobenches"].as_bool(), Some(false));
    }

    #[test]
    fn feature_entries_naming_only_a_dev_dependency_are_dropped_with_it() {
        let table: toml::Table = toml::from_str(
            "[package]\nname = \"m\"\nversion = \"1.0.0\"\n[dependencies]\nlibc = { version = \"0.2\", optional = true }\n[target.'cfg(unix)'.build-dependencies]\ncc = \"1\"\n[dev-dependencies]\nsuite = \"1\"\nlibc = \"0.2\"\ncc = \"1\"\n[target.'cfg(unix)'.dev-dependencies]\nnix = \"0.1\"\n[features]\ntest = [\"suite/all-features\", \"nix?/fs\", \"dep:nix\", \"libc/extra_traits\", \"cc/parallel\", \"std\"]\nstd = []\n",
        )
        .expect("toml");
        let out: toml::Table = toml::from_str(&isolated_manifest(table)).expect("written toml");
        let test: Vec<&str> = out["features"]["test"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|e| e.as_str())
            .collect();
        // `libc` and `cc` are still dependencies (normal; build, for one
        // target): their entries stay.
        assert_eq!(test, ["libc/extra_traits", "cc/parallel", "std"]);
    }

    #[test]
    fn features_a_version_does_not_declare_are_left_out() {
        let manifest: toml::Table = toml::from_str(
            "[features]\nstd = []\nuse_serde = [\"dep:serde\"]\n[dependencies]\nserde = { version = \"1\", optional = true }\nlog = { version = \"0.4\", optional = true }\n",
        )
        .expect("toml");
        let asked = Features::List(
            [
                "alloc",
                "default",
                "log",
                "serde",
                "serde/derive",
                "std",
                "use_serde",
            ]
            .map(String::from)
            .to_vec(),
        );
        let (kept, dropped) = asked.declared_in(&manifest);
        assert_eq!(
            kept,
            Features::List(
                ["default", "log", "serde/derive", "std", "use_serde"]
                    .map(String::from)
                    .to_vec()
            )
        );
        // `serde` is no feature of its own: `dep:serde` names it.
        assert_eq!(dropped, vec!["alloc".to_string(), "serde".to_string()]);
        assert_eq!(Features::All.declared_in(&manifest).0, Features::All);
    }

    #[test]
    fn only_stable_and_beta_toolchains_need_the_bootstrap_switch() {
        assert!(needs_bootstrap("rustdoc 1.95.0 (59807616e 2026-04-14)"));
        assert!(needs_bootstrap(
            "rustdoc 1.96.0-beta.3 (aaaaaaaaa 2026-05-01)"
        ));
        assert!(!needs_bootstrap(
            "rustdoc 1.97.0-nightly (e50aa6fba 2026-05-19)"
        ));
    }

    #[test]
    fn hidden_attributes_are_recognised_in_their_spellings() {
        let item = |attrs: Vec<rd::Attribute>| rd::Item {
            id: rd::Id(1),
            crate_id: 0,
            name: Some("f".into()),
            span: None,
            visibility: rd::Visibility::Public,
            docs: None,
            links: Default::default(),
            attrs,
            deprecation: None,
            inner: rd::ItemEnum::Module(rd::Module {
                is_crate: false,
                items: Vec::new(),
                is_stripped: false,
            }),
        };
        for a in [
            "#[doc(hidden)]",
            "#[doc( hidden )]",
            "#[doc(hidden, inline)]",
        ] {
            assert!(
                is_hidden(&item(vec![rd::Attribute::Other(a.into())])),
                "{a}"
            );
        }
        for a in ["#[doc(alias = \"hidden\")]", "#[hidden]"] {
            assert!(
                !is_hidden(&item(vec![rd::Attribute::Other(a.into())])),
                "{a}"
            );
        }
    }

    #[test]
    fn impl_parameters_are_renamed_where_they_are_names() {
        assert_eq!(
            idents("T: Iterator<Item = <U as a::Tr>::Out>, [u8; 8], &'a V"),
            ["T", "Iterator", "Item", "U", "as", "a", "u8", "V"]
        );
        let renames: BTreeMap<String, String> = [("T", "__P0"), ("Self", "S<__P0>")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            rename_idents("Option<T::Item>, m::T, Self, Tx", &renames),
            "Option<__P0::Item>, m::T, S<__P0>, Tx"
        );
    }

    #[test]
    fn a_single_instance_impl_takes_the_key_of_the_same_instance() {
        let imp = |key: &str, self_ty: &str| ApiItem {
            key: key.to_string(),
            path: format!("c::{key}"),
            kind: ItemKind::Impl,
            signature: String::new(),
            shape: format!("impl<> Tr for {self_ty}"),
            cfg: None,
            parent: Some("S".to_string()),
            facts: Facts {
                impl_shape: Some(Box::new(super::super::ImplShape {
                    self_ty: self_ty.to_string(),
                    trait_ref: "Tr".to_string(),
                    ..Default::default()
                })),
                ..Facts::default()
            },
        };
        let surface = |items: Vec<ApiItem>| ApiSurface {
            crate_name: "c".to_string(),
            items: items.into_iter().map(|i| (i.key.clone(), i)).collect(),
            ..ApiSurface::default()
        };
        let mut old = surface(vec![
            imp("S impl Tr for S<u8>", "S<u8>"),
            imp("S impl Tr for S<u16>", "S<u16>"),
        ]);
        let mut new = surface(vec![imp("S impl Tr", "S<u8>")]);
        pair_instance_impls(&mut old, &mut new);
        let keys: Vec<&String> = new.items.keys().collect();
        assert_eq!(keys, ["S impl Tr for S<u8>"]);
        assert_eq!(
            new.items["S impl Tr for S<u8>"].path,
            "c::S impl Tr for S<u8>"
        );
        assert_eq!(old.items.len(), 2);

        // The other way, and no pairing with another instance.
        let mut old = surface(vec![imp("S impl Tr", "S<u32>")]);
        let mut new = surface(vec![
            imp("S impl Tr for S<u8>", "S<u8>"),
            imp("S impl Tr for S<u16>", "S<u16>"),
        ]);
        pair_instance_impls(&mut old, &mut new);
        assert!(old.items.contains_key("S impl Tr"));
    }
}
