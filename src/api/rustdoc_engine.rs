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

use super::{ApiItem, ApiSurface, Facts, ItemKind};
use rustdoc_types as rd;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rustdoc JSON format this build of bumpguard reads.
pub const SUPPORTED_FORMAT_VERSION: u32 = rd::FORMAT_VERSION;

/// The toolchain whose rustdoc writes [`SUPPORTED_FORMAT_VERSION`].
pub const SUPPORTED_TOOLCHAIN: &str = "stable Rust 1.95";

/// Bumped when the way JSON is built changes, so old cache entries are not used.
const CACHE_LAYOUT: &str = "rustdoc-engine-1";

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
    /// Exactly these (`default` in the list turns the default features on).
    List(Vec<String>),
}

impl Features {
    /// `features` as the consumer enables them (`default` included when
    /// default features are on); empty means "not known": the defaults.
    pub fn from_requested(features: &[String]) -> Self {
        if features.is_empty() {
            Features::Default
        } else {
            let mut v = features.to_vec();
            v.sort();
            v.dedup();
            Features::List(v)
        }
    }

    fn describe(&self) -> String {
        match self {
            Features::Default => "default features".to_string(),
            Features::List(v) => format!("features {}", v.join(", ")),
        }
    }

    fn cargo_args(&self) -> Vec<String> {
        match self {
            Features::Default => Vec::new(),
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
}

/// How to build rustdoc JSON.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// bumpguard's cache root; JSON is kept under `<cache_dir>/rustdoc/`.
    pub cache_dir: PathBuf,
    /// Pass `--offline` to cargo (dependencies must be in cargo's cache).
    pub offline: bool,
    pub features: Features,
}

/// Why the rustdoc engine could not give a surface.
#[derive(Debug, thiserror::Error)]
pub enum RustdocError {
    /// The crate could not be documented (does not build, no toolchain, ...).
    #[error("not analysed by rustdoc: {0}")]
    NotAnalysed(String),
    /// The JSON is in a format this bumpguard does not read.
    #[error(
        "rustdoc JSON format version {found} is not supported: this bumpguard reads format version {supported} (written by {toolchain}); use `--engine syn`, or run bumpguard with {toolchain} on the PATH"
    )]
    UnsupportedFormat {
        found: u32,
        supported: u32,
        toolchain: &'static str,
    },
}

fn not_analysed(msg: impl Into<String>) -> RustdocError {
    RustdocError::NotAnalysed(msg.into())
}

/// The public API of the crate whose `Cargo.toml` is in `dir`, from rustdoc
/// JSON (built, or taken from the cache).
pub fn surface_from_dir(dir: &Path, opts: &BuildOptions) -> Result<ApiSurface, RustdocError> {
    let (json, cached) = json_for_dir(dir, opts)?;
    let mut surface = surface_from_json(&json)?;
    surface.notes.push(format!(
        "rustdoc engine: the crate was compiled with {} for this machine's target, so its build script and proc macros ran (the syn engine never runs dependency code); items of other configurations are not listed and #[cfg] conditions are not compared{}",
        opts.features.describe(),
        if cached { " (rustdoc JSON from the cache)" } else { "" }
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
    Ok(Reader::new(&krate).surface())
}

// ---------------------------------------------------------------------------
// Building the JSON

/// The JSON for `dir` and whether it came from the cache.
fn json_for_dir(dir: &Path, opts: &BuildOptions) -> Result<(Vec<u8>, bool), RustdocError> {
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
    let lib_name = table
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package_name)
        .replace('-', "_");

    let work = tempfile::Builder::new()
        .prefix("bumpguard-rustdoc-")
        .tempdir()
        .map_err(|e| not_analysed(format!("cannot create a temporary directory: {e}")))?;
    let copy = work.path().join("crate");
    let tree_hash = copy_tree(dir, &copy)
        .map_err(|e| not_analysed(format!("cannot copy {}: {e}", dir.display())))?;
    // Its own workspace, so cargo never walks up into a workspace around it.
    if !table.contains_key("workspace") {
        let mut t = text.clone();
        t.push_str("\n[workspace]\n");
        std::fs::write(copy.join("Cargo.toml"), t)
            .map_err(|e| not_analysed(format!("cannot write the copied manifest: {e}")))?;
    }
    let toolchain = toolchain_version(&copy)?;
    let key = {
        let mut h = Sha256::new();
        for part in [
            CACHE_LAYOUT,
            &tree_hash,
            &opts.features.describe(),
            &toolchain,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    };
    let cache_file = opts.cache_dir.join("rustdoc").join(format!("{key}.json"));
    if let Ok(bytes) = std::fs::read(&cache_file) {
        return Ok((bytes, true));
    }
    let json = build_json(&copy, &work.path().join("target"), &lib_name, opts)?;
    // Best effort: a cache that cannot be written only costs time.
    if let Some(parent) = cache_file.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let tmp = cache_file.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &json).is_ok() {
            let _ = std::fs::rename(&tmp, &cache_file);
        }
    }
    Ok((json, false))
}

/// `rustdoc --version` as run in `dir` (a `rust-toolchain` file there would
/// pick another toolchain; copies have theirs removed).
fn toolchain_version(dir: &Path) -> Result<String, RustdocError> {
    let rustdoc = std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into());
    let out = Command::new(&rustdoc)
        .arg("--version")
        .current_dir(dir)
        .output()
        .map_err(|e| {
            not_analysed(format!(
                "cannot run `{} --version` (is a Rust toolchain installed?): {e}",
                rustdoc.to_string_lossy()
            ))
        })?;
    if !out.status.success() {
        return Err(not_analysed(format!(
            "`rustdoc --version` failed: {}",
            first_error(&String::from_utf8_lossy(&out.stderr))
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn build_json(
    dir: &Path,
    target_dir: &Path,
    lib_name: &str,
    opts: &BuildOptions,
) -> Result<Vec<u8>, RustdocError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
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
    cmd.args(opts.features.cargo_args());
    cmd.args([
        "--",
        "-Z",
        "unstable-options",
        "--output-format",
        "json",
        "--cap-lints",
        "allow",
    ]);
    cmd.current_dir(dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", "--cap-lints=allow")
        .env("RUSTDOCFLAGS", "--cap-lints=allow")
        .env("CARGO_TERM_COLOR", "never")
        // These would win over RUSTFLAGS / RUSTDOCFLAGS.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTDOCFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .stdin(std::process::Stdio::null());
    let out = cmd.output().map_err(|e| {
        not_analysed(format!(
            "cannot run `{} rustdoc` (is a Rust toolchain installed?): {e}",
            cargo.to_string_lossy()
        ))
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let hint = if opts.offline && stderr.contains("download") {
            " (offline: the crate's dependencies must already be in cargo's cache)"
        } else {
            ""
        };
        return Err(not_analysed(format!(
            "`cargo rustdoc` failed: {}{hint}",
            first_error(&stderr)
        )));
    }
    let doc = target_dir.join("doc");
    let file = doc.join(format!("{lib_name}.json"));
    std::fs::read(&file).map_err(|e| {
        not_analysed(format!(
            "`cargo rustdoc` succeeded but {} cannot be read: {e}",
            file.display()
        ))
    })
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
    if text.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &text[..cut])
    } else {
        text
    }
}

/// Copies the crate tree (no `target/`, `.git/`, toolchain files or links)
/// and returns a hash of its paths and contents.
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
            if rel.as_os_str().is_empty() && (name == "target" || name == ".git") {
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
}

const DISPLAY: Mode<'static> = Mode {
    shape: false,
    self_name: None,
    erase_static: false,
};
const SHAPE: Mode<'static> = Mode {
    shape: true,
    self_name: None,
    erase_static: false,
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
}

fn is_public(item: &rd::Item) -> bool {
    matches!(item.visibility, rd::Visibility::Public)
}

fn has_attr(item: &rd::Item, want: fn(&rd::Attribute) -> bool) -> bool {
    item.attrs.iter().any(want)
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
        }
    }

    fn surface(mut self) -> ApiSurface {
        let root = self.k.root;
        let mut stack = Vec::new();
        self.module(root, &[], &mut stack);
        ApiSurface {
            crate_name: self.crate_name.clone(),
            version: self.k.crate_version.clone(),
            items: self.out,
            problems: Vec::new(),
            notes: Vec::new(),
            unexpanded_macros: 0,
            // Filled from the manifest by the caller (the syn engine reads it).
            features: BTreeMap::new(),
            hidden: Default::default(),
            ..ApiSurface::default()
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
    ) -> bool {
        let key = match self.out.get(&key) {
            None => key,
            Some(existing) if existing.kind == kind => return false,
            // A module and a function may share a name: told apart by kind (as syn).
            Some(_) => format!("{key} ({kind})"),
        };
        if self.out.contains_key(&key) {
            return false;
        }
        self.out.insert(
            key.clone(),
            ApiItem {
                path: self.display(&key),
                key,
                kind,
                signature,
                shape,
                cfg: None,
                parent: parent.map(str::to_string),
                facts,
            },
        );
        true
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
                rd::ItemEnum::Use(u) if u.is_glob => globs.push(u),
                rd::ItemEnum::Use(u) => self.reexport(u, prefix, stack),
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
                                    self.reexport(u, prefix, stack)
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
    fn reexport(&mut self, u: &rd::Use, prefix: &[String], stack: &mut Vec<rd::Id>) {
        match u.id.as_ref().and_then(|id| self.get(id)) {
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

    /// Records `item` (and its members) under `prefix::name`.
    fn export(
        &mut self,
        item: &'a rd::Item,
        name: &str,
        prefix: &[String],
        stack: &mut Vec<rd::Id>,
    ) {
        let key = join(prefix, name);
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
                let shape = self.fn_sig("pub ", name, f, SHAPE);
                let facts = Facts {
                    is_const: Some(f.header.is_const),
                    ..Facts::default()
                };
                self.add(key, ItemKind::Function, (sig, shape), None, facts);
            }
            rd::ItemEnum::Constant { type_, .. } => {
                let shape_mode = Mode {
                    erase_static: true,
                    ..SHAPE
                };
                let s = format!("pub const {name}: {}", self.ty(type_, DISPLAY));
                let sh = format!("pub const {name}: {}", self.ty(type_, shape_mode));
                self.add(key, ItemKind::Const, (s, sh), None, Facts::default());
            }
            rd::ItemEnum::Static(st) => {
                let shape_mode = Mode {
                    erase_static: true,
                    ..SHAPE
                };
                let m = if st.is_mutable { "mut " } else { "" };
                let s = format!("pub static {m}{name}: {}", self.ty(&st.type_, DISPLAY));
                let sh = format!("pub static {m}{name}: {}", self.ty(&st.type_, shape_mode));
                self.add(key, ItemKind::Static, (s, sh), None, Facts::default());
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
                self.add(key, ItemKind::TypeAlias, (s, sh), None, Facts::default());
            }
            rd::ItemEnum::Struct(s) => {
                let non_exhaustive = has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive));
                let (tail, fields, all_pub): (&str, Vec<Option<rd::Id>>, bool) = match &s.kind {
                    rd::StructKind::Unit => (";", Vec::new(), true),
                    rd::StructKind::Tuple(f) => (
                        "(..)",
                        f.clone(),
                        f.iter().all(|x| {
                            x.as_ref()
                                .and_then(|id| self.get(id))
                                .is_some_and(is_public)
                        }),
                    ),
                    rd::StructKind::Plain {
                        fields,
                        has_stripped_fields,
                    } => (
                        " { .. }",
                        fields.iter().map(|f| Some(*f)).collect(),
                        !has_stripped_fields
                            && fields.iter().all(|id| self.get(id).is_some_and(is_public)),
                    ),
                };
                let header = self.header(&format!("pub struct {name}"), &s.generics, tail);
                let facts = Facts {
                    constructible: Some(all_pub && !non_exhaustive),
                    non_exhaustive,
                    ..Facts::default()
                };
                if self.add(key.clone(), ItemKind::Struct, header, None, facts) {
                    self.fields(&key, &fields);
                    self.impls(&key, name, &s.impls);
                }
            }
            rd::ItemEnum::Union(u) => {
                let header = self.header(&format!("pub union {name}"), &u.generics, "");
                if self.add(key.clone(), ItemKind::Union, header, None, Facts::default()) {
                    let fields: Vec<Option<rd::Id>> = u.fields.iter().map(|f| Some(*f)).collect();
                    self.fields(&key, &fields);
                    self.impls(&key, name, &u.impls);
                }
            }
            rd::ItemEnum::Enum(e) => {
                let non_exhaustive = has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive));
                let header = self.header(&format!("pub enum {name}"), &e.generics, "");
                let facts = Facts {
                    non_exhaustive,
                    ..Facts::default()
                };
                if self.add(key.clone(), ItemKind::Enum, header, None, facts) {
                    for vid in &e.variants {
                        self.variant(&key, vid);
                    }
                    self.impls(&key, name, &e.impls);
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
                let sig = format!(
                    "{head}{}{}{}",
                    self.generics(&t.generics, DISPLAY),
                    supers(DISPLAY),
                    self.where_clause(&t.generics, DISPLAY)
                );
                let shape = format!(
                    "{head}{}{}{}",
                    self.generics(&t.generics, SHAPE),
                    supers(SHAPE),
                    self.where_clause(&t.generics, SHAPE)
                );
                if self.add(
                    key.clone(),
                    ItemKind::Trait,
                    (sig, shape),
                    None,
                    Facts::default(),
                ) {
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
                        self.add(
                            format!("{key} impl for {self_shape}"),
                            ItemKind::Impl,
                            (sig, String::new()),
                            Some(&key),
                            Facts::default(),
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
                self.add(key, ItemKind::Trait, (s, sh), None, Facts::default());
            }
            rd::ItemEnum::Macro(_) => {
                let s = format!("macro_rules! {name}");
                self.add(
                    format!("{key}!"),
                    ItemKind::Macro,
                    plain(s),
                    None,
                    Facts::default(),
                );
            }
            rd::ItemEnum::ProcMacro(pm) => {
                let (k, s) = match pm.kind {
                    rd::MacroKind::Bang => {
                        (format!("{name}!"), format!("#[proc_macro] {name}!(..)"))
                    }
                    rd::MacroKind::Attr => (
                        format!("#[{name}]"),
                        format!("#[proc_macro_attribute] #[{name}]"),
                    ),
                    rd::MacroKind::Derive => (
                        format!("derive({name})"),
                        if pm.helpers.is_empty() {
                            format!("#[proc_macro_derive({name})]")
                        } else {
                            format!(
                                "#[proc_macro_derive({name}, attributes({}))]",
                                pm.helpers.join(", ")
                            )
                        },
                    ),
                };
                self.add(
                    join(prefix, &k),
                    ItemKind::Macro,
                    plain(s),
                    None,
                    Facts::default(),
                );
            }
            // Primitives, keywords, extern types: not items a crate's users name.
            _ => {}
        }
    }

    fn is_local_type(&self, t: &rd::Type) -> bool {
        match t {
            rd::Type::ResolvedPath(p) => self.get(&p.id).is_some_and(|i| i.crate_id == 0),
            rd::Type::BorrowedRef { type_, .. } => self.is_local_type(type_),
            _ => false,
        }
    }

    /// `{head}<generics>{tail} where ..`, display and comparison forms.
    fn header(&self, head: &str, g: &rd::Generics, tail: &str) -> (String, String) {
        (
            format!(
                "{head}{}{tail}{}",
                self.generics(g, DISPLAY),
                self.where_clause(g, DISPLAY)
            ),
            format!(
                "{head}{}{tail}{}",
                self.generics(g, SHAPE),
                self.where_clause(g, SHAPE)
            ),
        )
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
            let s = format!("pub {name}: {}", self.ty(ty, DISPLAY));
            let sh = format!("pub {name}: {}", self.ty(ty, SHAPE));
            self.add(
                format!("{parent}.{name}"),
                ItemKind::Field,
                (s, sh),
                Some(parent),
                Facts::default(),
            );
        }
    }

    fn variant(&mut self, parent: &str, id: &rd::Id) {
        let Some(item) = self.get(id) else { return };
        let (Some(name), rd::ItemEnum::Variant(v)) = (&item.name, &item.inner) else {
            return;
        };
        let field_ty = |fid: &Option<rd::Id>, mode| -> Option<(Option<String>, String)> {
            let f = self.get(fid.as_ref()?)?;
            match &f.inner {
                rd::ItemEnum::StructField(t) => Some((f.name.clone(), self.ty(t, mode))),
                _ => None,
            }
        };
        let fields = |mode| match &v.kind {
            rd::VariantKind::Plain => String::new(),
            rd::VariantKind::Tuple(fs) => {
                let parts: Vec<String> = fs
                    .iter()
                    .map(|f| {
                        field_ty(f, mode)
                            .map(|(_, t)| t)
                            .unwrap_or_else(|| "_".into())
                    })
                    .collect();
                format!("({})", parts.join(", "))
            }
            rd::VariantKind::Struct { fields, .. } => {
                let parts: Vec<String> = fields
                    .iter()
                    .filter_map(|f| field_ty(&Some(*f), mode))
                    .map(|(n, t)| format!("{}: {t}", n.unwrap_or_default()))
                    .collect();
                format!(" {{ {} }}", parts.join(", "))
            }
        };
        let s = format!("{name}{}", fields(DISPLAY));
        let sh = format!("{name}{}", fields(SHAPE));
        let facts = Facts {
            non_exhaustive: has_attr(item, |a| matches!(a, rd::Attribute::NonExhaustive)),
            ..Facts::default()
        };
        self.add(
            format!("{parent}::{name}"),
            ItemKind::Variant,
            (s, sh),
            Some(parent),
            facts,
        );
    }

    fn trait_item(&mut self, parent: &str, id: &rd::Id) {
        let Some(item) = self.get(id) else { return };
        let Some(name) = &item.name else { return };
        let (kind, sig, shape, has_default) = match &item.inner {
            rd::ItemEnum::Function(f) => (
                ItemKind::TraitMethod,
                self.fn_sig("", name, f, DISPLAY),
                self.fn_sig("", name, f, SHAPE),
                f.has_body,
            ),
            rd::ItemEnum::AssocType {
                generics,
                bounds,
                type_,
            } => {
                let text = |mode| {
                    let b = if bounds.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", self.bounds(bounds, mode))
                    };
                    let d = type_
                        .as_ref()
                        .map(|t| format!(" = {}", self.ty(t, mode)))
                        .unwrap_or_default();
                    format!("type {name}{}{b}{d}", self.generics(generics, mode))
                };
                (
                    ItemKind::TraitType,
                    text(DISPLAY),
                    text(SHAPE),
                    type_.is_some(),
                )
            }
            rd::ItemEnum::AssocConst { type_, value } => (
                ItemKind::TraitConst,
                format!("const {name}: {}", self.ty(type_, DISPLAY)),
                format!("const {name}: {}", self.ty(type_, SHAPE)),
                value.is_some(),
            ),
            _ => return,
        };
        self.add(
            format!("{parent}::{name}"),
            kind,
            (sig, shape),
            Some(parent),
            Facts {
                has_default: Some(has_default),
                ..Facts::default()
            },
        );
    }

    /// Inherent items, trait impls (derived and written), and the auto
    /// traits the compiler found, attached to the type at `owner`.
    fn impls(&mut self, owner: &str, type_name: &str, impls: &[rd::Id]) {
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
                self.inherent(owner, type_name, imp);
                continue;
            };
            let trait_name = self.trait_name(trait_path);
            let bare = trait_name.split('<').next().unwrap_or(&trait_name);
            if INTERNAL_TRAITS.contains(&bare) {
                continue;
            }
            let by_reference = matches!(imp.for_, rd::Type::BorrowedRef { .. });
            let key = if by_reference {
                format!(
                    "{owner} impl {trait_name} for {}",
                    self.ty(&imp.for_, SHAPE)
                )
            } else {
                format!("{owner} impl {trait_name}")
            };
            let derived = has_attr(item, |a| matches!(a, rd::Attribute::AutomaticallyDerived));
            let (sig, facts) = if imp.is_synthetic {
                if !AUTO_TRAITS.contains(&bare) {
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
            } else {
                let facts = Facts {
                    compiler_checked: AUTO_TRAITS.contains(&bare),
                    ..Facts::default()
                };
                (self.impl_sig(imp), facts)
            };
            self.add(
                key,
                ItemKind::Impl,
                (sig, String::new()),
                Some(owner),
                facts,
            );
        }
    }

    fn inherent(&mut self, owner: &str, type_name: &str, imp: &rd::Impl) {
        let mode = Mode {
            self_name: Some(type_name),
            ..SHAPE
        };
        for id in &imp.items {
            let Some(item) = self.get(id) else { continue };
            let Some(name) = &item.name else { continue };
            if !is_public(item) {
                continue;
            }
            match &item.inner {
                rd::ItemEnum::Function(f) => {
                    let sig = self.fn_sig("pub ", name, f, DISPLAY);
                    let shape = self.fn_sig("pub ", name, f, mode);
                    self.add(
                        format!("{owner}::{name}"),
                        ItemKind::Method,
                        (sig, shape),
                        Some(owner),
                        Facts {
                            is_const: Some(f.header.is_const),
                            ..Facts::default()
                        },
                    );
                }
                rd::ItemEnum::AssocConst { type_, .. } => {
                    let s = format!("pub const {name}: {}", self.ty(type_, DISPLAY));
                    let sh = format!("pub const {name}: {}", self.ty(type_, mode));
                    self.add(
                        format!("{owner}::{name}"),
                        ItemKind::AssocConst,
                        (s, sh),
                        Some(owner),
                        Facts::default(),
                    );
                }
                _ => {}
            }
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
        if h.is_unsafe {
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
            let name = if mode.shape { "_" } else { name.as_str() };
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
        let mut parts = Vec::new();
        for p in &g.params {
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
        let base = if mode.shape {
            self.canonical(p)
        } else {
            match p.path.strip_prefix("$crate::") {
                Some(_) => self.canonical(p),
                None => p.path.clone(),
            }
        };
        format!("{base}{}", self.args(p.args.as_deref(), mode))
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
