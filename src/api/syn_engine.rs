//! The syn engine: a crate's public API read from its source files.
//!
//! It never compiles or runs anything from the crate, so it is safe on any
//! dependency and does not depend on the toolchain. The price: it sees what is
//! written, not what macros expand to, and it resolves names the way the
//! source spells them (good for paths inside the crate, approximate for types
//! from other crates).
//!
//! The work happens in three passes:
//! 1. **load**: follow `mod` declarations from the library root (`mod.rs`,
//!    `name.rs`, `#[path]`, inline modules) and record every module's named
//!    entries (items, child modules, `use` imports, globs) with visibility and
//!    `#[cfg]` conditions;
//! 2. **walk**: starting at the crate root, follow what each module exports
//!    publicly (`pub` items, `pub mod`, `pub use` resolved through renames,
//!    globs and chains) and record each item under every path it is reachable
//!    by;
//! 3. **attach**: inherent methods, trait impls and derives are attached to
//!    every public path of the type they belong to.

use super::canon::{self, Outer};
use super::{
    ApiItem, ApiSurface, Facts, FnShape, GenericsShape, ImplShape, ItemKind, SourceProblem,
    UnreadMacro, render,
};
use anyhow::{Context, Result};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use syn::{Attribute, Fields, ImplItem, Item, TraitItem, UseTree, Visibility};

/// How deep re-export chains and module nesting may go before we give up
/// (protects against cycles the bookkeeping below does not catch).
const MAX_DEPTH: usize = 24;

/// Reads the public API of the crate whose `Cargo.toml` is in `dir`.
///
/// Errors only when the crate cannot be read at all (no manifest). Files that
/// do not parse or modules whose file is missing become
/// [`ApiSurface::problems`] and the rest of the crate is still analysed.
pub fn surface_from_dir(dir: &Path) -> Result<ApiSurface> {
    read_crate(dir).map(|(surface, _)| surface)
}

/// The parsed crate behind a surface, for stages that look inside the code
/// (the behavioural diff): every declaration with its module and file, and
/// the public paths each function, method and value is reachable by.
pub struct CrateModel {
    pub(crate) krate: Crate,
    /// `(declaration, member name)` -> public display paths. Free items use
    /// `(decl, None)`; methods of an impl or trait use `(decl, Some(name))`.
    pub(crate) public: HashMap<(ItemId, Option<String>), Vec<String>>,
}

/// Like [`surface_from_dir`], and also returns the parsed crate (`None`
/// when the crate has no library target).
pub fn read_crate(dir: &Path) -> Result<(ApiSurface, Option<CrateModel>)> {
    let manifest_path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: toml::Table = toml::from_str(&text)
        .with_context(|| format!("{} is not valid TOML", manifest_path.display()))?;
    let package = manifest.get("package").and_then(|p| p.as_table());
    let package_name = package
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no [package] name", manifest_path.display()))?;
    let version = package
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let lib = manifest.get("lib").and_then(|l| l.as_table());
    let crate_name = lib
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package_name)
        .replace('-', "_");
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .unwrap_or("src/lib.rs");
    let proc_macro = lib
        .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);

    let features = manifest
        .get("features")
        .and_then(|f| f.as_table())
        .map(|t| {
            t.iter()
                .map(|(name, v)| {
                    let enables = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.clone(), enables)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut surface = ApiSurface {
        crate_name: crate_name.clone(),
        version,
        features,
        optional_deps: optional_dependencies(&manifest),
        dep_requirements: dependency_requirements(&manifest),
        ..ApiSurface::default()
    };
    let root_file = dir.join(lib_path);
    if !root_file.is_file() {
        surface.notes.push(format!(
            "no library target ({lib_path} does not exist): a crate without a library has no public API"
        ));
        return Ok((surface, None));
    }
    if proc_macro {
        surface.notes.push(
            "proc-macro crate: its API is the macros it exports; their names and helper attributes are compared, not what they expand to"
                .to_string(),
        );
    }

    let mut crate_ = Crate::new(dir);
    // A package without `edition` is 2015.
    crate_.edition_2015 = package
        .and_then(|p| p.get("edition"))
        .and_then(|e| e.as_str())
        .is_none_or(|e| e == "2015");
    let root = crate_.new_module(Vec::new(), None, Vec::new(), false);
    if let Some(file) = crate_.parse_file(&root_file) {
        surface.no_std = no_std_support(&file.attrs);
        crate_.file_stack.push(same_file(&root_file));
        crate_.load_items(root, file.items, &root_file, true, &[]);
        crate_.file_stack.pop();
    }
    crate_.index_exported_macros();
    let canonical = {
        let none = HashMap::new();
        let mut collect = Walker::new(&crate_, &crate_name, &none);
        collect.collect_only = true;
        collect.walk(root, &[], &BTreeSet::new(), &mut Vec::new());
        collect.first_paths
    };
    // `pub type Duration = TimeDelta;`: the alias's paths name the target
    // too (and the other way round), so a type renamed with an alias keeping
    // the old name is still paired with itself, and so is a signature that
    // switches between the alias and the type.
    let mut alias_paths: HashMap<ItemId, Vec<String>> = HashMap::new();
    for (id, paths) in &canonical {
        let decl = &crate_.decls[*id];
        // The alias must pass its parameters through unchanged:
        // `type MappedLocalTime<T> = LocalResult<T>;`.
        if let Item::Type(t) = &decl.item
            && let syn::Type::Path(tp) = &*t.ty
            && tp.qself.is_none()
            && passes_parameters_through(tp, &t.generics)
        {
            let segs: Vec<String> = tp
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if let Some(Target::Item(target)) = crate_.resolve(decl.module, &segs, 0).first() {
                alias_paths
                    .entry(*target)
                    .or_default()
                    .extend(paths.iter().cloned());
                // And the other way: a signature that now names the alias
                // names the target.
                let target_paths = canonical.get(target).cloned().unwrap_or_default();
                alias_paths.entry(*id).or_default().extend(target_paths);
            }
        }
    }
    for (id, paths) in &canonical {
        if let Some(best) = best_path(paths) {
            let best = unraw_path(best);
            let mut all: Vec<String> = paths.iter().map(|p| unraw_path(p)).collect();
            all.extend(
                alias_paths
                    .get(id)
                    .into_iter()
                    .flatten()
                    .map(|p| unraw_path(p)),
            );
            surface.local_paths.insert(best, all);
        }
    }
    let mut walker = Walker::new(&crate_, &crate_name, &canonical);
    walker.walk(root, &[], &BTreeSet::new(), &mut Vec::new());
    walker.macros();
    walker.attach_impls();
    walker.mark_sealed();
    let unseen = walker.unseen_notes();
    surface.items = walker.out;
    surface.hidden = walker.hidden;
    surface.hidden_items = walker.hidden_items;
    let public = walker.public;
    surface.problems = std::mem::take(&mut crate_.problems);
    surface.notes.append(&mut crate_.notes);
    surface.unexpanded_macros = crate_.unexpanded_macros;
    surface.unread = std::mem::take(&mut crate_.unread);
    if surface.items.is_empty() && crate_.unexpanded_macros > 0 {
        // Nothing public was found but macros were left unread: the API is
        // almost certainly in them. Saying "no API" would be a silent pass.
        surface.problems.push(SourceProblem {
            file: rel(dir, &root_file),
            line: None,
            message: format!(
                "no public items found, and {} item-level macro invocation(s) could not be read: the API is probably generated by macros, which the syn engine does not expand",
                crate_.unexpanded_macros
            ),
        });
    }
    if crate_.unexpanded_macros > 0 {
        surface.notes.push(format!(
            "{} item-level macro invocation(s) were not expanded: items they generate are not listed (the syn engine never runs macros)",
            crate_.unexpanded_macros
        ));
    }
    let in_impls = surface
        .unread
        .iter()
        .filter(|m| m.in_impl_of.is_some())
        .count();
    if in_impls > 0 {
        surface.notes.push(format!(
            "{in_impls} macro invocation(s) inside impl blocks were not expanded: methods they generate are not listed"
        ));
    }
    surface.notes.extend(unseen);
    Ok((
        surface,
        Some(CrateModel {
            krate: crate_,
            public,
        }),
    ))
}

/// Version requirements of the normal dependencies, in `[dependencies]`
/// and every `[target.*.dependencies]`, by the name code uses. A
/// dependency without a version (path or git only) is left out.
fn dependency_requirements(manifest: &toml::Table) -> std::collections::BTreeMap<String, String> {
    let mut tables: Vec<&toml::Table> = Vec::new();
    tables.extend(manifest.get("dependencies").and_then(|t| t.as_table()));
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            tables.extend(t.get("dependencies").and_then(|d| d.as_table()));
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        for (name, spec) in t {
            let req = match spec {
                toml::Value::String(v) => Some(v.clone()),
                toml::Value::Table(t) => t
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                _ => None,
            };
            if let Some(req) = req {
                out.entry(name.replace('-', "_")).or_insert(req);
            }
        }
    }
    out
}

/// Names of the optional dependencies in every dependency table (the
/// name features refer to: the rename when there is one).
fn optional_dependencies(manifest: &toml::Table) -> BTreeSet<String> {
    let mut tables: Vec<&toml::Table> = Vec::new();
    for key in ["dependencies", "build-dependencies"] {
        if let Some(t) = manifest.get(key).and_then(|t| t.as_table()) {
            tables.push(t);
        }
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            for key in ["dependencies", "build-dependencies"] {
                if let Some(d) = t.get(key).and_then(|d| d.as_table()) {
                    tables.push(d);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for t in tables {
        for (name, spec) in t {
            if spec
                .get("optional")
                .and_then(|o| o.as_bool())
                .unwrap_or(false)
            {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// `#![no_std]` -> `Some("")`; `#![cfg_attr(not(feature = "std"), no_std)]`
/// -> `Some("not(feature = \"std\")")`; neither -> `None`.
fn no_std_support(attrs: &[Attribute]) -> Option<String> {
    for a in attrs {
        if a.path().is_ident("no_std") {
            return Some(String::new());
        }
        if a.path().is_ident("cfg_attr") {
            let parser = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
            if let Ok(metas) = a.parse_args_with(parser) {
                let mut it = metas.iter();
                let cond = it.next();
                if it.any(|m| m.path().is_ident("no_std")) {
                    return Some(cond.map(render::tokens).unwrap_or_default());
                }
            }
        }
    }
    None
}

pub(crate) type ModId = usize;
pub(crate) type ItemId = usize;
/// The public keys of a declaration, each with the cfg it is reachable under.
type PublicPaths = Vec<(String, BTreeSet<String>)>;

/// Namespaces, as in Rust: a module and a function may share a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Type,
    Value,
    Macro,
    /// A `use` imports every namespace of its name.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vis {
    Public,
    /// `pub(crate)`, `pub(super)`, `pub(in ...)`, private: not API.
    Restricted,
}

#[derive(Debug, Clone)]
enum What {
    Item(ItemId),
    Module(ModId),
    Use(Vec<String>),
    Glob(Vec<String>),
    ExternCrate(String),
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    #[allow(dead_code)] // kept for namespace-aware lookups (issue: API fidelity)
    ns: Ns,
    vis: Vis,
    hidden: bool,
    /// The entry's own `#[cfg]` predicates.
    cfg: Vec<String>,
    what: What,
}

#[derive(Debug)]
pub(crate) struct Module {
    /// Names from the crate root (`["tls", "acme"]`; empty for the root).
    pub(crate) path: Vec<String>,
    parent: Option<ModId>,
    /// `#[cfg]` of this module and its ancestors.
    cfg: Vec<String>,
    hidden: bool,
    /// Declared `pub` (the root counts as public). A `pub use` cannot make a
    /// private module public: it re-exports only the other namespaces.
    public: bool,
    entries: Vec<Entry>,
    impls: Vec<ItemId>,
}

pub(crate) struct Decl {
    pub(crate) item: Item,
    pub(crate) module: ModId,
    /// Crate-relative file the item is written in.
    pub(crate) file: String,
    /// Module cfg plus the item's own cfg.
    cfg: Vec<String>,
    hidden: bool,
}

pub(crate) struct Crate {
    dir: PathBuf,
    pub(crate) modules: Vec<Module>,
    pub(crate) decls: Vec<Decl>,
    problems: Vec<SourceProblem>,
    notes: Vec<String>,
    unexpanded_macros: usize,
    /// Where each unread macro invocation is.
    unread: Vec<UnreadMacro>,
    /// `#[macro_export]` macros by name: they live at the crate root,
    /// wherever they are declared (`crate::m` names them).
    exported_macros: HashMap<String, Vec<ItemId>>,
    /// The crate is 2015 edition: `use` paths start at the crate root.
    edition_2015: bool,
    /// The conditions this crate's wrapper macros put on the items they
    /// wrap (`macro_rules! cfg_rt { ($($item:item)*) => { $( #[cfg(feature
    /// = "rt")] $item )* } }` -> `feature = "rt"`), by macro name, as the
    /// definitions are met (a macro is used after its definition).
    wrapper_cfgs: HashMap<String, Vec<proc_macro2::TokenStream>>,
    /// The files being loaded, outermost first (canonical paths): a module
    /// file already here includes itself (`#[path = "lib.rs"] mod again;`).
    file_stack: Vec<PathBuf>,
}

fn rel(dir: &Path, file: &Path) -> String {
    file.strip_prefix(dir)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The `#[cfg(...)]` predicates on an item, as text.
pub(crate) fn cfgs(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .filter_map(|a| a.meta.require_list().ok())
        .map(|l| render::tokens(&l.tokens))
        .collect()
}

/// `#[cfg(test)]` code is never API.
pub(crate) fn is_test_only(cfg: &[String]) -> bool {
    cfg.iter().any(|c| requires_test(c))
}

/// `test`, `doctest`, `all(.., test, ..)` or `any(test, doctest)`: code
/// that exists only in test builds (unit tests or doctests).
fn requires_test(pred: &str) -> bool {
    let pred = pred.trim();
    if pred == "test" || pred == "doctest" {
        return true;
    }
    if let Some(inner) = pred.strip_prefix("all(").and_then(|p| p.strip_suffix(')')) {
        return split_top_level(inner).into_iter().any(requires_test);
    }
    if let Some(inner) = pred.strip_prefix("any(").and_then(|p| p.strip_suffix(')')) {
        let alts = split_top_level(inner);
        return !alts.is_empty() && alts.into_iter().all(requires_test);
    }
    false
}

/// `a, f(b, c), d` -> `["a", "f(b, c)", "d"]` (trimmed).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// `any(..)` of the alternatives of `a` and `b`, flattened, sorted and each
/// listed once, so that the same conditions always read the same. `None`
/// when they cover every case (`doc` and `not(doc)`).
fn merge_cfg(a: &str, b: &str) -> Option<String> {
    let alternatives = |c: &str| -> Vec<String> {
        match c.strip_prefix("any(").and_then(|x| x.strip_suffix(')')) {
            Some(inner) => split_top_level(inner)
                .into_iter()
                .map(str::to_string)
                .collect(),
            None => vec![c.to_string()],
        }
    };
    let mut all = alternatives(a);
    all.extend(alternatives(b));
    all.sort();
    all.dedup();
    if all.iter().any(|x| all.contains(&format!("not({x})"))) {
        return None;
    }
    Some(if all.len() == 1 {
        all.remove(0)
    } else {
        format!("any({})", all.join(", "))
    })
}

fn has_word_in(attrs: &[Attribute], attr: &str, word: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident(attr)
            && a.meta
                .require_list()
                .map(|l| l.tokens.clone().into_iter().any(|t| t.to_string() == word))
                .unwrap_or(false)
    })
}

fn is_hidden(attrs: &[Attribute]) -> bool {
    has_word_in(attrs, "doc", "hidden")
}

pub(crate) fn has_attr(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

fn vis_of(v: &Visibility) -> Vis {
    match v {
        Visibility::Public(_) => Vis::Public,
        _ => Vis::Restricted,
    }
}

/// The `#[path = "..."]` value on a `mod` declaration.
/// The file paths a `mod` declaration names: `#[path = ".."]`, then each
/// `#[cfg_attr(cond, path = "..")]` (platform-specific files).
fn path_attrs(attrs: &[Attribute]) -> Vec<String> {
    fn string(nv: &syn::MetaNameValue) -> Option<String> {
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    }
    let mut plain = Vec::new();
    let mut conditional = Vec::new();
    for a in attrs {
        if a.path().is_ident("path") {
            plain.extend(a.meta.require_name_value().ok().and_then(string));
        } else if a.path().is_ident("cfg_attr") {
            let parser = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
            if let Ok(metas) = a.parse_args_with(parser) {
                for m in metas.iter().skip(1) {
                    if let syn::Meta::NameValue(nv) = m
                        && nv.path.is_ident("path")
                    {
                        conditional.extend(string(nv));
                    }
                }
            }
        }
    }
    plain.extend(conditional);
    plain
}

/// Flattens a `use` tree into (path, alias) imports and glob imports.
fn flatten_use(
    tree: &UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let mut path = prefix.clone();
            let name = n.ident.to_string();
            if name != "self" {
                path.push(name);
            }
            out.push((path, None));
        }
        UseTree::Rename(r) => {
            let mut path = prefix.clone();
            let name = r.ident.to_string();
            if name != "self" {
                path.push(name);
            }
            out.push((path, Some(r.rename.to_string())));
        }
        UseTree::Glob(_) => {
            let mut path = prefix.clone();
            path.push("*".to_string());
            out.push((path, None));
        }
        UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out);
            }
        }
    }
}

impl Crate {
    fn new(dir: &Path) -> Self {
        Crate {
            dir: dir.to_path_buf(),
            modules: Vec::new(),
            decls: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            unexpanded_macros: 0,
            wrapper_cfgs: HashMap::new(),
            unread: Vec::new(),
            exported_macros: HashMap::new(),
            edition_2015: false,
            file_stack: Vec::new(),
        }
    }

    fn index_exported_macros(&mut self) {
        for (id, d) in self.decls.iter().enumerate() {
            if let Item::Macro(m) = &d.item
                && let Some(ident) = &m.ident
                && has_attr(&m.attrs, "macro_export")
            {
                self.exported_macros
                    .entry(ident.to_string())
                    .or_default()
                    .push(id);
            }
        }
    }

    /// Records an invocation that could not be read.
    fn unread_macro(&mut self, m: ModId, mac: &syn::Macro, in_impl_of: Option<String>) {
        let mut mentions = BTreeSet::new();
        fn walk(t: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
            for tt in t {
                match tt {
                    proc_macro2::TokenTree::Ident(i) => {
                        out.insert(i.to_string());
                    }
                    proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                    _ => {}
                }
            }
        }
        walk(mac.tokens.clone(), &mut mentions);
        self.unread.push(UnreadMacro {
            module: self.modules[m].path.join("::"),
            in_impl_of,
            name: mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            mentions,
        });
    }

    fn new_module(
        &mut self,
        path: Vec<String>,
        parent: Option<ModId>,
        cfg: Vec<String>,
        hidden: bool,
    ) -> ModId {
        self.modules.push(Module {
            path,
            parent,
            cfg,
            hidden,
            public: parent.is_none(),
            entries: Vec::new(),
            impls: Vec::new(),
        });
        self.modules.len() - 1
    }

    fn parse_file(&mut self, file: &Path) -> Option<syn::File> {
        let display = rel(&self.dir, file);
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                self.problems.push(SourceProblem {
                    file: display,
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                return None;
            }
        };
        match syn::parse_file(&text) {
            Ok(f) => Some(f),
            // A file that is one expression (serde_json's
            // `"serde_json requires that either `std` ..."`) is a deliberate
            // compile error for unsupported feature sets, not a module of
            // items: nothing is missing.
            Err(_) if syn::parse_str::<syn::Expr>(&text).is_ok() => {
                self.notes.push(format!(
                    "{display} is a single expression, not items (a deliberate compile error for some configuration): skipped"
                ));
                None
            }
            Err(e) => {
                self.problems.push(SourceProblem {
                    file: display,
                    line: Some(e.span().start().line),
                    message: format!(
                        "does not parse as Rust: {e}; items in this file are missing from the API"
                    ),
                });
                None
            }
        }
    }

    /// Records the entries of module `m` from `items`, loading child module
    /// files relative to `file`. `mod_rs` says whether `file` owns its
    /// directory (`lib.rs`, `mod.rs`, or a `#[path]` file); `inline` is the
    /// chain of inline `mod x { ... }` names inside `file` leading to `m`.
    fn load_items(
        &mut self,
        m: ModId,
        items: Vec<Item>,
        file: &Path,
        mod_rs: bool,
        inline: &[String],
    ) {
        let mod_cfg = self.modules[m].cfg.clone();
        let mod_hidden = self.modules[m].hidden;
        let items = expand_foreign_blocks(items);
        for item in items {
            let attrs: &[Attribute] = match item_attrs(&item) {
                Some(a) => a,
                None => &[],
            };
            let own_cfg = cfgs(attrs);
            if is_test_only(&own_cfg) || has_attr(attrs, "test") {
                continue;
            }
            let hidden = is_hidden(attrs);
            let mut cfg = mod_cfg.clone();
            cfg.extend(own_cfg.iter().cloned());
            match item {
                Item::Mod(im) => {
                    let name = im.ident.to_string();
                    let mut child_path = self.modules[m].path.clone();
                    child_path.push(name.clone());
                    let child =
                        self.new_module(child_path, Some(m), cfg.clone(), mod_hidden || hidden);
                    self.modules[child].public = vis_of(&im.vis) == Vis::Public;
                    self.modules[m].entries.push(Entry {
                        name: name.clone(),
                        ns: Ns::Type,
                        vis: vis_of(&im.vis),
                        hidden,
                        cfg: own_cfg,
                        what: What::Module(child),
                    });
                    match im.content {
                        Some((_, content)) => {
                            let mut chain = inline.to_vec();
                            chain.push(name);
                            self.load_items(child, content, file, mod_rs, &chain);
                        }
                        None => {
                            let line = im.mod_token.span.start().line;
                            let at = ModDecl {
                                name: &name,
                                attrs: &im.attrs,
                                file,
                                line,
                            };
                            self.load_module_file(child, &at, mod_rs, inline)
                        }
                    }
                }
                Item::Use(u) => {
                    let mut flat = Vec::new();
                    let mut prefix = Vec::new();
                    if u.leading_colon.is_some() {
                        prefix.push("::".to_string());
                    }
                    flatten_use(&u.tree, &mut prefix, &mut flat);
                    for (path, alias) in flat {
                        let Some(last) = path.last().cloned() else {
                            continue;
                        };
                        if last == "*" {
                            let target = path[..path.len() - 1].to_vec();
                            self.modules[m].entries.push(Entry {
                                name: "*".to_string(),
                                ns: Ns::Any,
                                vis: vis_of(&u.vis),
                                hidden,
                                cfg: own_cfg.clone(),
                                what: What::Glob(target),
                            });
                            continue;
                        }
                        let name = alias.unwrap_or(last);
                        if name == "_" {
                            continue;
                        }
                        self.modules[m].entries.push(Entry {
                            name,
                            ns: Ns::Any,
                            vis: vis_of(&u.vis),
                            hidden,
                            cfg: own_cfg.clone(),
                            what: What::Use(path),
                        });
                    }
                }
                Item::ExternCrate(ec) => {
                    let orig = ec.ident.to_string();
                    let name = match &ec.rename {
                        Some((_, r)) => r.to_string(),
                        None => orig.clone(),
                    };
                    if name != "_" {
                        self.modules[m].entries.push(Entry {
                            name,
                            ns: Ns::Type,
                            vis: vis_of(&ec.vis),
                            hidden,
                            cfg: own_cfg,
                            what: What::ExternCrate(orig),
                        });
                    }
                }
                Item::Impl(ref imp) => {
                    let owner = match &*imp.self_ty {
                        syn::Type::Path(tp) => tp.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    };
                    for ii in &imp.items {
                        if let ImplItem::Macro(im) = ii
                            && !is_test_only(&cfgs(&im.attrs))
                        {
                            self.unread_macro(m, &im.mac, owner.clone().or(Some(String::new())));
                        }
                    }
                    let id = self.push_decl(item, m, file, cfg, hidden);
                    self.modules[m].impls.push(id);
                }
                Item::Macro(ref mac) => {
                    let is_rules = mac.mac.path.is_ident("macro_rules");
                    match (&mac.ident, is_rules) {
                        (Some(ident), true) => {
                            let exported = has_attr(&mac.attrs, "macro_export");
                            let name = ident.to_string();
                            match wrapper_conditions(&mac.mac.tokens) {
                                Some(conds) => {
                                    self.wrapper_cfgs.insert(name.clone(), conds);
                                }
                                None => {
                                    self.wrapper_cfgs.remove(&name);
                                }
                            }
                            let id = self.push_decl(item, m, file, cfg, hidden);
                            self.modules[m].entries.push(Entry {
                                name,
                                ns: Ns::Macro,
                                vis: if exported {
                                    Vis::Public
                                } else {
                                    Vis::Restricted
                                },
                                hidden,
                                cfg: own_cfg,
                                what: What::Item(id),
                            });
                        }
                        _ => {
                            // `cfg_rt! { pub mod runtime; .. }`: wrapper macros that
                            // only gate items are common (tokio). Their input is
                            // read as items, as written.
                            if let Some(included) = included_file(&mac.mac, file) {
                                // `include!("lib_from_source.rs")`: its items are this
                                // module's. (`include!(concat!(env!("OUT_DIR"), ..))`
                                // names build output, which is not in the package.)
                                let key = same_file(&included);
                                if self.file_stack.contains(&key) {
                                    self.problems.push(SourceProblem {
                                        file: rel(&self.dir, file),
                                        line: Some(mac.mac.bang_token.span.start().line),
                                        message: format!(
                                            "`include!` of {} includes a file that is already being read (a cycle): not read again",
                                            rel(&self.dir, &included)
                                        ),
                                    });
                                    continue;
                                }
                                match self.parse_file(&included) {
                                    // `mod` declarations in the included file are found
                                    // next to it (windows-sys: `include!("Windows/mod.rs")`).
                                    Some(f) => {
                                        self.file_stack.push(key);
                                        self.load_items(m, f.items, &included, true, &[]);
                                        self.file_stack.pop();
                                    }
                                    None => {
                                        self.unexpanded_macros += 1;
                                        self.unread_macro(m, &mac.mac, None);
                                    }
                                }
                                continue;
                            }
                            match items_in_macro(&mac.mac) {
                                Some(mut inner) => {
                                    // The invocation's own conditions (a wrapper
                                    // inside another: `cfg_rt! { cfg_unstable! { .. } }`)
                                    // and those this crate's wrapper macro adds
                                    // hold for what it wraps.
                                    let mut extra: Vec<Attribute> = mac
                                        .attrs
                                        .iter()
                                        .filter(|a| a.path().is_ident("cfg"))
                                        .cloned()
                                        .collect();
                                    let name =
                                        mac.mac.path.segments.last().map(|s| s.ident.to_string());
                                    if let Some(conds) =
                                        name.and_then(|n| self.wrapper_cfgs.get(&n))
                                    {
                                        extra.extend(conds.iter().map(|t| -> Attribute {
                                            syn::parse_quote!(#[cfg(#t)])
                                        }));
                                    }
                                    for item in inner.iter_mut() {
                                        if let Some(attrs) = item_attrs_mut(item) {
                                            attrs.extend(extra.iter().cloned());
                                        }
                                    }
                                    self.load_items(m, inner, file, mod_rs, inline)
                                }
                                None => {
                                    self.unexpanded_macros += 1;
                                    self.unread_macro(m, &mac.mac, None);
                                }
                            }
                        }
                    }
                }
                other => {
                    let Some((name, ns, vis)) = decl_name(&other) else {
                        continue;
                    };
                    let id = self.push_decl(other, m, file, cfg, hidden);
                    self.modules[m].entries.push(Entry {
                        name,
                        ns,
                        vis,
                        hidden,
                        cfg: own_cfg,
                        what: What::Item(id),
                    });
                }
            }
        }
    }

    fn push_decl(
        &mut self,
        item: Item,
        module: ModId,
        file: &Path,
        cfg: Vec<String>,
        hidden: bool,
    ) -> ItemId {
        let file = rel(&self.dir, file);
        self.decls.push(Decl {
            item,
            module,
            file,
            cfg,
            hidden,
        });
        self.decls.len() - 1
    }

    /// Finds and loads the file of `mod name;`.
    fn load_module_file(
        &mut self,
        child: ModId,
        at: &ModDecl<'_>,
        mod_rs: bool,
        inline: &[String],
    ) {
        let (name, attrs, file) = (at.name, at.attrs, at.file);
        let file_dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        // The directory that `mod name;` is looked up in.
        let mut base = if mod_rs {
            file_dir.clone()
        } else {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            file_dir.join(stem)
        };
        for m in inline {
            base = base.join(m);
        }
        let mut candidates: Vec<PathBuf> = path_attrs(attrs)
            .into_iter()
            // `#[path]` outside inline modules is relative to the file's own directory.
            .map(|p| {
                if inline.is_empty() {
                    file_dir.join(p)
                } else {
                    base.join(p)
                }
            })
            .collect();
        candidates.push(base.join(format!("{name}.rs")));
        candidates.push(base.join(name).join("mod.rs"));
        let Some(found) = candidates.iter().find(|c| c.is_file()).cloned() else {
            let looked: Vec<String> = candidates.iter().map(|c| rel(&self.dir, c)).collect();
            self.problems.push(SourceProblem {
                file: rel(&self.dir, file),
                line: None,
                message: format!(
                    "module `{name}` has no file (looked for {}); its items are missing from the API",
                    looked.join(" and ")
                ),
            });
            return;
        };
        // A `#[path]` loop includes a file into itself: reading it again
        // would never end.
        let key = same_file(&found);
        if self.file_stack.contains(&key) {
            self.problems.push(SourceProblem {
                file: rel(&self.dir, file),
                line: Some(at.line),
                message: format!(
                    "module `{name}` is {}, a file that is already being read (a `#[path]` cycle): its items are not read again",
                    rel(&self.dir, &found)
                ),
            });
            return;
        }
        // Guard against a runaway chain of distinct files.
        if self.modules.len() > 20_000 {
            return;
        }
        let owns_dir = !path_attrs(attrs).is_empty()
            || found.file_name().map(|f| f == "mod.rs").unwrap_or(false);
        if let Some(parsed) = self.parse_file(&found) {
            self.file_stack.push(key);
            self.load_items(child, parsed.items, &found, owns_dir, &[]);
            self.file_stack.pop();
        }
    }
}

/// Where a `mod name;` declaration is.
struct ModDecl<'a> {
    name: &'a str,
    attrs: &'a [Attribute],
    /// The file that declares it.
    file: &'a Path,
    line: usize,
}

/// One spelling per file, so that `src/a/../lib.rs` is `src/lib.rs`.
fn same_file(file: &Path) -> PathBuf {
    std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}

/// The items a macro invocation's input holds, each marked
/// `#[cfg(via_macro = "name")]`, when the input parses as items.
fn items_in_macro(mac: &syn::Macro) -> Option<Vec<Item>> {
    let name = mac.path.segments.last()?.ident.to_string();
    if name == "cfg_if" {
        return items_in_cfg_if(mac.tokens.clone());
    }
    // Test scaffolding (`test_for_each_provider! { use ..::*; .. }`) is not
    // API, and its imports would confuse name resolution.
    if name.contains("test") {
        return None;
    }
    let parse = |input: syn::parse::ParseStream| {
        // `cfg_feature! { #![feature = "client"] pub mod client; }`: an inner
        // attribute states the condition the macro applies.
        let inner = input.call(Attribute::parse_inner)?;
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse::<Item>()?);
        }
        Ok((inner, items))
    };
    let (inner, mut items) = syn::parse::Parser::parse2(parse, mac.tokens.clone()).ok()?;
    if items.is_empty() {
        return None;
    }
    let conditions: Vec<Attribute> = inner
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::List(l) if l.path.is_ident("cfg") => {
                let t = &l.tokens;
                Some(syn::parse_quote!(#[cfg(#t)]))
            }
            syn::Meta::NameValue(nv) => {
                let (path, value) = (&nv.path, &nv.value);
                Some(syn::parse_quote!(#[cfg(#path = #value)]))
            }
            _ => None,
        })
        .collect();
    for item in items.iter_mut() {
        if let Some(attrs) = item_attrs_mut(item) {
            attrs.extend(conditions.iter().cloned());
        }
    }
    Some(items)
}

/// The `#[cfg(..)]` conditions a wrapper macro puts on every item it is
/// given: its rule taking items (`($($name:item)*)`) expands to a
/// repetition `$( #[cfg(..)] .. $name )*`. `None` for any other macro.
fn wrapper_conditions(body: &proc_macro2::TokenStream) -> Option<Vec<proc_macro2::TokenStream>> {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: Vec<TokenTree> = body.clone().into_iter().collect();
    // `(pattern) => { expansion }` rules, separated by `;`.
    let mut i = 0;
    while i + 2 < tokens.len() {
        let (TokenTree::Group(pat), TokenTree::Punct(eq), TokenTree::Punct(gt)) =
            (&tokens[i], &tokens[i + 1], &tokens[i + 2])
        else {
            i += 1;
            continue;
        };
        if eq.as_char() != '=' || gt.as_char() != '>' {
            i += 1;
            continue;
        }
        let Some(TokenTree::Group(exp)) = tokens.get(i + 3) else {
            return None;
        };
        i += 4;
        // The pattern: `$( $name:item )*`, nothing else.
        let pat: Vec<TokenTree> = pat.stream().into_iter().collect();
        let name = match pat.as_slice() {
            [
                TokenTree::Punct(d),
                TokenTree::Group(g),
                TokenTree::Punct(star),
            ] if d.as_char() == '$' && star.as_char() == '*' => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                match inner.as_slice() {
                    [
                        TokenTree::Punct(d),
                        TokenTree::Ident(n),
                        TokenTree::Punct(c),
                        TokenTree::Ident(k),
                    ] if d.as_char() == '$' && c.as_char() == ':' && k == "item" => n.to_string(),
                    _ => continue,
                }
            }
            _ => continue,
        };
        // The expansion: `$( attributes $name )*`.
        let exp: Vec<TokenTree> = exp.stream().into_iter().collect();
        let [
            TokenTree::Punct(d),
            TokenTree::Group(rep),
            TokenTree::Punct(star),
        ] = exp.as_slice()
        else {
            continue;
        };
        if d.as_char() != '$' || star.as_char() != '*' {
            continue;
        }
        let rep: Vec<TokenTree> = rep.stream().into_iter().collect();
        let mut conds = Vec::new();
        let mut j = 0;
        while j < rep.len() {
            match (&rep[j], rep.get(j + 1)) {
                (TokenTree::Punct(hash), Some(TokenTree::Group(attr)))
                    if hash.as_char() == '#' && attr.delimiter() == Delimiter::Bracket =>
                {
                    let a: Vec<TokenTree> = attr.stream().into_iter().collect();
                    if let [TokenTree::Ident(cfg), TokenTree::Group(args)] = a.as_slice()
                        && cfg == "cfg"
                        && args.delimiter() == Delimiter::Parenthesis
                    {
                        conds.push(args.stream());
                    }
                    j += 2;
                }
                (TokenTree::Punct(d), Some(TokenTree::Ident(n)))
                    if d.as_char() == '$' && *n == name && j + 2 == rep.len() =>
                {
                    return (!conds.is_empty()).then_some(conds);
                }
                _ => break,
            }
        }
    }
    None
}

/// The file of an item-level `include!("file.rs")`, relative to the file
/// the invocation is in.
fn included_file(mac: &syn::Macro, file: &Path) -> Option<PathBuf> {
    if !mac.path.is_ident("include") {
        return None;
    }
    let lit: syn::LitStr = syn::parse2(mac.tokens.clone()).ok()?;
    Some(file.parent()?.join(lit.value()))
}

/// `cfg_if! { if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }`:
/// the items of every branch, each with the condition under which its
/// branch is the one compiled.
fn items_in_cfg_if(tokens: proc_macro2::TokenStream) -> Option<Vec<Item>> {
    use proc_macro2::{Delimiter, TokenTree};
    let parse_items = |body: proc_macro2::TokenStream| {
        let parse = |input: syn::parse::ParseStream| {
            let mut items = Vec::new();
            while !input.is_empty() {
                items.push(input.parse::<Item>()?);
            }
            Ok(items)
        };
        syn::parse::Parser::parse2(parse, body).ok()
    };
    let mut out = Vec::new();
    let mut earlier: Vec<proc_macro2::TokenStream> = Vec::new();
    let mut tts = tokens.into_iter().peekable();
    loop {
        let pred = match tts.next() {
            Some(TokenTree::Ident(i)) if i == "if" => {
                let Some(TokenTree::Punct(p)) = tts.next() else {
                    return None;
                };
                if p.as_char() != '#' {
                    return None;
                }
                let Some(TokenTree::Group(g)) = tts.next() else {
                    return None;
                };
                let meta: syn::Meta = syn::parse2(g.stream()).ok()?;
                let list = meta.require_list().ok()?;
                if !list.path.is_ident("cfg") {
                    return None;
                }
                Some(list.tokens.clone())
            }
            // The final `else { .. }`.
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                let not_any = quote::quote!(not(any(#(#earlier),*)));
                for mut item in parse_items(g.stream())? {
                    if let Some(attrs) = item_attrs_mut(&mut item) {
                        attrs.push(syn::parse_quote!(#[cfg(#not_any)]));
                    }
                    out.push(item);
                }
                break;
            }
            None => break,
            _ => return None,
        };
        let Some(TokenTree::Group(body)) = tts.next() else {
            return None;
        };
        let pred = pred?;
        let cond = if earlier.is_empty() {
            pred.clone()
        } else {
            quote::quote!(all(not(any(#(#earlier),*)), #pred))
        };
        for mut item in parse_items(body.stream())? {
            if let Some(attrs) = item_attrs_mut(&mut item) {
                attrs.push(syn::parse_quote!(#[cfg(#cond)]));
            }
            out.push(item);
        }
        earlier.push(pred);
        match tts.next() {
            Some(TokenTree::Ident(i)) if i == "else" => continue,
            None => break,
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

fn item_attrs_mut(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::ExternCrate(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::ForeignMod(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::TraitAlias(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

fn item_attrs(item: &Item) -> Option<&Vec<Attribute>> {
    Some(match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => return None,
    })
}

/// `extern "C" { pub fn f(x: i32); pub static G: u8; }` read as the items
/// users call: `pub unsafe extern "C" fn f(x: i32)` and a `pub static`,
/// with the block's attributes (its `#[cfg]`) on each. The `-sys` crates'
/// whole API lives in such blocks.
fn expand_foreign_blocks(items: Vec<Item>) -> Vec<Item> {
    if !items.iter().any(|i| matches!(i, Item::ForeignMod(_))) {
        return items;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Item::ForeignMod(block) = item else {
            out.push(item);
            continue;
        };
        for fi in block.items {
            match fi {
                syn::ForeignItem::Fn(f) => {
                    let mut attrs = block.attrs.clone();
                    attrs.extend(f.attrs);
                    let mut sig = f.sig;
                    sig.safety = syn::Safety::Unsafe(Default::default());
                    sig.abi = Some(block.abi.clone());
                    out.push(Item::Fn(syn::ItemFn {
                        attrs,
                        vis: f.vis,
                        modifiers: Default::default(),
                        sig,
                        block: Box::new(syn::parse_quote!({})),
                    }));
                }
                syn::ForeignItem::Static(st) => {
                    let mut attrs = block.attrs.clone();
                    attrs.extend(st.attrs);
                    out.push(Item::Static(syn::ItemStatic {
                        attrs,
                        vis: st.vis,
                        static_token: st.static_token,
                        mutability: st.mutability,
                        ident: st.ident,
                        colon_token: st.colon_token,
                        ty: st.ty,
                        eq_token: Default::default(),
                        expr: Box::new(syn::parse_quote!(())),
                        semi_token: st.semi_token,
                    }));
                }
                _ => {}
            }
        }
    }
    out
}

fn decl_name(item: &Item) -> Option<(String, Ns, Vis)> {
    let (ident, ns, vis) = match item {
        Item::Const(i) => (&i.ident, Ns::Value, &i.vis),
        Item::Enum(i) => (&i.ident, Ns::Type, &i.vis),
        Item::Fn(i) => (&i.sig.ident, Ns::Value, &i.vis),
        Item::Static(i) => (&i.ident, Ns::Value, &i.vis),
        Item::Struct(i) => (&i.ident, Ns::Type, &i.vis),
        Item::Trait(i) => (&i.ident, Ns::Type, &i.vis),
        Item::TraitAlias(i) => (&i.ident, Ns::Type, &i.vis),
        Item::Type(i) => (&i.ident, Ns::Type, &i.vis),
        Item::Union(i) => (&i.ident, Ns::Type, &i.vis),
        _ => return None,
    };
    Some((ident.to_string(), ns, vis_of(vis)))
}

/// What a name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Item(ItemId),
    /// A variant of one of this crate's enums (`Color::Red`), by name.
    Variant(ItemId, String),
    Module(ModId),
    /// Another crate's item, by the path the source wrote.
    External(String),
}

/// One publicly exported name of a module.
struct Export {
    name: String,
    target: Target,
    /// cfg of the `pub use` (or the item) that exports it.
    cfg: Vec<String>,
    /// Exported under `#[doc(hidden)]`: reachable, but not API.
    hidden: bool,
}

impl Crate {
    /// Resolves a path written in module `m` (a `use` path or a type path).
    pub(crate) fn resolve(&self, m: ModId, path: &[String], depth: usize) -> Vec<Target> {
        if depth > MAX_DEPTH || path.is_empty() {
            return Vec::new();
        }
        let mut cur = m;
        let mut rest = path;
        match path[0].as_str() {
            "::" => {
                // In the 2015 edition `::name` starts at the crate root
                // (where `extern crate`s are declared too).
                if self.edition_2015
                    && let Some(first) = path.get(1)
                {
                    let found = self.lookup(0, first, true, false, depth + 1);
                    if !found.is_empty() {
                        return self.descend(found, &path[2..], depth);
                    }
                }
                return vec![Target::External(path[1..].join("::"))];
            }
            "crate" | "$crate" => {
                cur = 0;
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while let Some(seg) = rest.first() {
                    if seg != "super" {
                        break;
                    }
                    cur = self.modules[cur].parent.unwrap_or(0);
                    rest = &rest[1..];
                }
            }
            _ => {
                // The first segment of a `use` path names a crate or a local
                // item: another glob import of an external path cannot
                // provide it (`use std::*` does not define `core`). Only a
                // one-segment path written in code (depth 0) may get a name
                // that way: `core::hash::Hash` is the crate `core`, whatever
                // `use time_core::convert::*;` says.
                let found =
                    self.lookup(m, &path[0], true, depth == 0 && path.len() == 1, depth + 1);
                if found.is_empty() {
                    return vec![Target::External(path.join("::"))];
                }
                rest = &path[1..];
                return self.descend(found, rest, depth);
            }
        }
        if rest.is_empty() {
            return vec![Target::Module(cur)];
        }
        let found = self.lookup(cur, &rest[0], true, true, depth + 1);
        self.descend(found, &rest[1..], depth)
    }

    /// Resolves the path of a `use` written in module `m`. In the 2015
    /// edition such paths start at the crate root (`use kv::Key;` in any
    /// module means `crate::kv::Key`), unless the root has no such name
    /// (then it is another crate's).
    fn resolve_use(&self, m: ModId, path: &[String], depth: usize) -> Vec<Target> {
        if self.edition_2015
            && m != 0
            && let Some(first) = path.first()
            && !matches!(first.as_str(), "::" | "crate" | "$crate" | "self" | "super")
            && !self.lookup(0, first, true, false, depth + 1).is_empty()
        {
            return self.resolve(0, path, depth);
        }
        self.resolve(m, path, depth)
    }

    /// Continues a path from the targets of its first segments.
    fn descend(&self, mut found: Vec<Target>, mut rest: &[String], depth: usize) -> Vec<Target> {
        while let Some(seg) = rest.first() {
            let next: Vec<Target> = found
                .iter()
                .flat_map(|t| match t {
                    Target::Module(mm) => self.lookup(*mm, seg, true, true, depth + 1),
                    Target::External(p) => vec![Target::External(format!("{p}::{seg}"))],
                    // `Color::Red`: a variant is nameable, and can be re-exported.
                    Target::Item(id) => match &self.decls[*id].item {
                        Item::Enum(e) if e.variants.iter().any(|v| v.ident == seg) => {
                            vec![Target::Variant(*id, seg.clone())]
                        }
                        // An associated item: not a nameable item of its own here.
                        _ => Vec::new(),
                    },
                    Target::Variant(..) => Vec::new(),
                })
                .collect();
            found = next;
            rest = &rest[1..];
        }
        found
    }

    /// Entries named `name` in module `m` (any visibility when `private_ok`),
    /// resolved to their targets; glob imports are searched when nothing
    /// is declared under that name.
    fn lookup(
        &self,
        m: ModId,
        name: &str,
        private_ok: bool,
        external_globs: bool,
        depth: usize,
    ) -> Vec<Target> {
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        let mut out = Vec::new();
        for e in &self.modules[m].entries {
            if e.name != name || (!private_ok && e.vis != Vis::Public) {
                continue;
            }
            match &e.what {
                What::Item(id) => out.push(Target::Item(*id)),
                What::Module(c) => out.push(Target::Module(*c)),
                What::ExternCrate(orig) => out.push(Target::External(orig.clone())),
                What::Use(path) => out.extend(self.resolve_use(m, path, depth + 1)),
                What::Glob(_) => {}
            }
        }
        if out.is_empty() {
            for e in &self.modules[m].entries {
                if let What::Glob(path) = &e.what {
                    if !private_ok && e.vis != Vis::Public {
                        continue;
                    }
                    // Looking up `std` must not go through `use std::net::*`.
                    if path.first().is_some_and(|first| first == name) {
                        continue;
                    }
                    for t in self.resolve_use(m, path, depth + 1) {
                        match t {
                            // A glob of an enclosing module (`use super::*;`)
                            // brings in its private names too: they are
                            // visible here.
                            Target::Module(gm) if gm != m => {
                                let visible = self.encloses(gm, m);
                                out.extend(self.lookup(
                                    gm,
                                    name,
                                    visible,
                                    external_globs,
                                    depth + 1,
                                ));
                            }
                            // `use Color::*;`
                            Target::Item(id) => out.extend(self.variant(id, name)),
                            // `use std::net::*;`: assume the name comes from there.
                            Target::External(p) if external_globs => {
                                out.push(Target::External(format!("{p}::{name}")))
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        // `#[macro_export]` macros are at the crate root wherever declared.
        if m == 0 {
            for &id in self.exported_macros.get(name).into_iter().flatten() {
                if self.decls[id].module != 0 {
                    out.push(Target::Item(id));
                }
            }
        }
        dedup(out)
    }

    /// Whether module `outer` is `inner` or one of its ancestors (whose
    /// private items `inner` can name).
    fn encloses(&self, outer: ModId, inner: ModId) -> bool {
        let mut at = Some(inner);
        while let Some(m) = at {
            if m == outer {
                return true;
            }
            at = self.modules[m].parent;
        }
        false
    }

    /// Variant `name` of enum `id`, when there is one that is not test-only.
    fn variant(&self, id: ItemId, name: &str) -> Option<Target> {
        let Item::Enum(e) = &self.decls[id].item else {
            return None;
        };
        e.variants
            .iter()
            .find(|v| v.ident == name && !is_test_only(&cfgs(&v.attrs)))
            .map(|v| Target::Variant(id, v.ident.to_string()))
    }

    /// The names module `m` makes public, with what they resolve to.
    fn exports(&self, m: ModId, depth: usize, stack: &mut Vec<ModId>) -> Vec<Export> {
        let mut out: Vec<Export> = Vec::new();
        if depth > MAX_DEPTH || stack.contains(&m) {
            return out;
        }
        stack.push(m);
        let mut globs = Vec::new();
        for e in &self.modules[m].entries {
            if e.vis != Vis::Public {
                continue;
            }
            let targets = match &e.what {
                What::Item(id) => {
                    if matches!(self.decls[*id].item, Item::Macro(_)) {
                        // `#[macro_export]` macros live at the crate root, wherever declared.
                        continue;
                    }
                    vec![Target::Item(*id)]
                }
                What::Module(c) => vec![Target::Module(*c)],
                What::ExternCrate(orig) => vec![Target::External(orig.clone())],
                What::Use(path) => {
                    // `pub use m::{x}` where `x` is both a private module and a
                    // public function re-exports the function only.
                    let t: Vec<Target> = self
                        .resolve_use(m, path, depth + 1)
                        .into_iter()
                        .filter(|t| !matches!(t, Target::Module(c) if !self.modules[*c].public))
                        .collect();
                    if t.is_empty() {
                        // Names the source does but we cannot place (an enum variant, a
                        // macro-generated item): keep it visible as written.
                        vec![Target::External(format!(
                            "{} (unresolved)",
                            path.join("::")
                        ))]
                    } else {
                        t
                    }
                }
                What::Glob(path) => {
                    if !e.hidden {
                        globs.push((path.clone(), e.cfg.clone()));
                    }
                    continue;
                }
            };
            for target in targets {
                out.push(Export {
                    name: e.name.clone(),
                    target,
                    cfg: e.cfg.clone(),
                    hidden: e.hidden,
                });
            }
        }
        for (path, cfg) in globs {
            for t in self.resolve_use(m, &path, depth + 1) {
                match t {
                    Target::Module(gm) => {
                        for ex in self.exports(gm, depth + 1, stack) {
                            // Names declared here shadow names a glob brings in.
                            if out.iter().any(|o| o.name == ex.name) {
                                continue;
                            }
                            let mut c = cfg.clone();
                            c.extend(ex.cfg);
                            out.push(Export {
                                name: ex.name,
                                target: ex.target,
                                cfg: c,
                                hidden: ex.hidden,
                            });
                        }
                    }
                    Target::External(p) => out.push(Export {
                        name: "*".to_string(),
                        target: Target::External(format!("{p}::*")),
                        cfg: cfg.clone(),
                        hidden: false,
                    }),
                    // `pub use Color::*;`: every variant, under its own name.
                    Target::Item(id) => {
                        let Item::Enum(e) = &self.decls[id].item else {
                            continue;
                        };
                        for v in &e.variants {
                            let vcfg = cfgs(&v.attrs);
                            if is_test_only(&vcfg) {
                                continue;
                            }
                            let name = v.ident.to_string();
                            if out.iter().any(|o| o.name == name) {
                                continue;
                            }
                            let mut c = cfg.clone();
                            c.extend(vcfg);
                            out.push(Export {
                                name: name.clone(),
                                target: Target::Variant(id, name),
                                cfg: c,
                                hidden: is_hidden(&v.attrs),
                            });
                        }
                    }
                    Target::Variant(..) => {}
                }
            }
        }
        stack.pop();
        out
    }
}

fn dedup(v: Vec<Target>) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for t in v {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The arguments of `all(a, b(c, d))` split at its top-level commas, or
/// `None` when `pred` is not one `all(..)`.
fn all_args(pred: &str) -> Option<Vec<String>> {
    let inner = pred.strip_prefix("all(")?.strip_suffix(')')?;
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut start) = (0i32, false, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                // `all(a), b(c)`: the first `)` closes the `all` itself.
                if depth < 0 {
                    return None;
                }
            }
            ',' if !in_str && depth == 0 => {
                out.push(inner[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        out.push(last.to_string());
    }
    (depth == 0 && !in_str).then_some(out)
}

/// Conditions that must all hold, with nested `all(..)` flattened, so that
/// `all(all(a, b), c)` and `all(a, b, c)` read the same.
fn flatten_all(cfg: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = cfg.iter().cloned().collect();
    while let Some(p) = todo.pop() {
        match all_args(&p) {
            Some(args) => todo.extend(args),
            None => {
                out.insert(p);
            }
        }
    }
    out
}

/// An identifier from a name that may be written raw (`r#gen`) or be a
/// keyword: never panics, unlike `Ident::new`.
fn make_ident(name: &str, span: proc_macro2::Span) -> syn::Ident {
    let bare = name.strip_prefix("r#").unwrap_or(name);
    if syn::parse_str::<syn::Ident>(bare).is_ok() || bare == "_" {
        syn::Ident::new(bare, span)
    } else if !bare.is_empty()
        && bare.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !matches!(bare, "self" | "Self" | "super" | "crate" | "_")
        && !bare.starts_with(|c: char| c.is_ascii_digit())
    {
        syn::Ident::new_raw(bare, span)
    } else {
        syn::Ident::new("__bumpguard_unnamed", span)
    }
}

/// `fn r#gen(&self)` -> `fn gen(&self)`: raw identifiers written plain
/// (raw strings, `r#"..."#`, are left alone).
pub(crate) fn unraw_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("r#") {
        let before_ok = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = &rest[i + 2..];
        let ident_follows = after.starts_with(|c: char| c.is_alphabetic() || c == '_');
        out.push_str(&rest[..i]);
        if !(before_ok && ident_follows) {
            out.push_str("r#");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `a::r#gen::b` -> `a::gen::b`, segment by segment (text after a space,
/// as in `Type impl Trait`, is left alone).
fn unraw_path(key: &str) -> String {
    if !key.contains("r#") {
        return key.to_string();
    }
    let (path, rest) = match key.find(' ') {
        Some(i) => key.split_at(i),
        None => (key, ""),
    };
    let path: Vec<&str> = path
        .split("::")
        .map(|seg| seg.strip_prefix("r#").unwrap_or(seg))
        .collect();
    // `Type.r#field`
    let path = path.join("::").replace(".r#", ".");
    format!("{path}{rest}")
}

fn cfg_text(cfg: &BTreeSet<String>) -> Option<String> {
    let cfg = &flatten_all(cfg);
    match cfg.len() {
        0 => None,
        1 => cfg.iter().next().cloned(),
        _ => Some(format!(
            "all({})",
            cfg.iter().cloned().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Rewrites the type and trait paths of a signature into the form used for
/// comparison: what the path *means* rather than how this version spells
/// it. `Path` (imported with `use std::path::Path`) and `std::path::Path`
/// become the same; `alloc::vec::Vec` and `Vec` too; a type of this crate
/// becomes its canonical public path (the path users name it by: one
/// ending in the name written here when there is one, else the shortest),
/// so that moving it with a re-export is not a change, and naming another
/// type of the same name is.
///
/// It also takes out what only changes the spelling: the `mut` of
/// `mut self`, the order of bounds and where they are written
/// (`<T: Clone>` and `where T: Clone`, `impl A + B` and `impl B + A`),
/// `const` on functions (compared separately). Names of generic
/// parameters and lifetimes are made canonical before (`api::canon`); in
/// the other places (keys, values) lifetimes other than `'static` are
/// erased.
struct Normalizer<'a> {
    krate: &'a Crate,
    module: ModId,
    /// The type an inherent impl is for: `Self::X` means `Type::X`.
    self_name: Option<String>,
    /// Erase `'static` too (the types of consts and statics).
    erase_static: bool,
    /// Lifetimes were made canonical (`api::canon`): keep them.
    keep_lifetimes: bool,
    /// Canonical public path of each declaration.
    canonical: &'a HashMap<ItemId, Vec<String>>,
}

fn is_erased_lifetime(l: &syn::Lifetime) -> bool {
    l.ident != "static"
}

/// The primitive types.
const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f16", "f32", "f64", "f128",
];

/// Names the std prelude brings into every module.
const PRELUDE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "FromIterator",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
];

/// Prelude types that `core::`/`alloc::`/`std::` paths name.
pub(crate) const PRELUDE: &[(&str, &str)] = &[
    ("std::vec::Vec", "Vec"),
    ("std::string::String", "String"),
    ("std::option::Option", "Option"),
    ("std::result::Result", "Result"),
    ("std::boxed::Box", "Box"),
    ("std::option::Option::Some", "Some"),
    ("std::marker::Send", "Send"),
    ("std::marker::Sync", "Sync"),
    ("std::marker::Sized", "Sized"),
    ("std::marker::Unpin", "Unpin"),
    ("std::marker::Copy", "Copy"),
    ("std::clone::Clone", "Clone"),
    ("std::iter::Iterator", "Iterator"),
    ("std::iter::IntoIterator", "IntoIterator"),
    ("std::iter::Extend", "Extend"),
    ("std::iter::FromIterator", "FromIterator"),
    ("std::convert::AsRef", "AsRef"),
    ("std::convert::AsMut", "AsMut"),
    ("std::convert::Into", "Into"),
    ("std::convert::From", "From"),
    ("std::convert::TryFrom", "TryFrom"),
    ("std::convert::TryInto", "TryInto"),
    ("std::default::Default", "Default"),
    ("std::cmp::PartialEq", "PartialEq"),
    ("std::cmp::Eq", "Eq"),
    ("std::cmp::PartialOrd", "PartialOrd"),
    ("std::cmp::Ord", "Ord"),
    ("std::ops::Drop", "Drop"),
    ("std::ops::Fn", "Fn"),
    ("std::ops::FnMut", "FnMut"),
    ("std::ops::FnOnce", "FnOnce"),
    ("std::future::Future", "Future"),
    ("std::future::IntoFuture", "IntoFuture"),
];

impl Normalizer<'_> {
    fn canonical(&self, path: &syn::Path) -> Option<Vec<String>> {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segs.first().is_some_and(|s| canon::is_canonical_name(s)) {
            return None;
        }
        let mut query = segs.clone();
        if path.leading_colon.is_some() {
            query.insert(0, "::".to_string());
        }
        // `u8`, `Option`, `String`: a primitive or the prelude's, unless this
        // module names something else so (an item, an import); never a guess
        // that an external glob brought it in (`use num_conv::prelude::*;`
        // does not define `Option`).
        if path.leading_colon.is_none() && segs.len() == 1 {
            let name = segs[0].as_str();
            let primitive = PRIMITIVES.contains(&name);
            if primitive || PRELUDE_NAMES.contains(&name) {
                let named = self.krate.lookup(self.module, name, true, false, 1);
                if named.is_empty()
                    || (primitive && !named.iter().any(|t| self.shadows_primitive(t, name)))
                {
                    return None;
                }
            }
        }
        let resolved = self.krate.resolve(self.module, &query, 0);
        // Several declarations under `#[cfg]`s (libc's `::mode_t`, one per
        // platform, through the root's globs): the one that exists wherever
        // this module does.
        let here = &self.krate.modules[self.module].cfg;
        let target = resolved
            .iter()
            .find(|t| match t {
                Target::Item(id) => self.krate.decls[*id].cfg.iter().all(|c| here.contains(c)),
                _ => false,
            })
            .or(resolved.first())?;
        let full: Vec<String> = match target {
            Target::External(p) => p
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            // A type of this crate: by its canonical public path, marked
            // (`__local::`), so that two versions can pair the paths of one
            // declaration (`ApiSurface::local_paths`). In keys, which users
            // read, by the name written.
            Target::Item(id) if self.keep_lifetimes => {
                let mut p = vec!["__local".to_string()];
                p.extend(self.item_path(*id, segs.last()?));
                p
            }
            Target::Item(_) => vec![segs.last()?.clone()],
            Target::Module(_) | Target::Variant(..) => return None,
        };
        let mut text = full.join("::");
        for prefix in ["core::", "alloc::"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                text = format!("std::{rest}");
            }
        }
        if let Some((_, short)) = PRELUDE.iter().find(|(long, _)| *long == text) {
            text = short.to_string();
        }
        // `core::primitive::u8` is the type `u8`.
        if let Some(name) = text.strip_prefix("std::primitive::")
            && PRIMITIVES.contains(&name)
        {
            text = name.to_string();
        }
        Some(text.split("::").map(str::to_string).collect())
    }

    /// Whether `target`, what a one-segment type path `name` (a primitive's
    /// name) finds in scope, is the type meant rather than the primitive.
    /// Rust looks such a name up as usual, and falls back to the primitive
    /// when it finds a module: `use std::{u8, u16};` imports std's modules
    /// `u8` and `u16` (for `u8::MAX` in older code), and `-> u8` is still
    /// the primitive. A type of this crate named `u8` shadows it; another
    /// crate's item imported under that name does too, unless it is one of
    /// the modules named after a primitive (`std::u8`, `num::f32`) or the
    /// primitive itself (`core::primitive::u8`), which we tell by its
    /// name: items named so are modules, types are written in CamelCase.
    fn shadows_primitive(&self, target: &Target, name: &str) -> bool {
        match target {
            Target::Item(id) => {
                decl_name(&self.krate.decls[*id].item).is_some_and(|(_, ns, _)| ns == Ns::Type)
            }
            Target::External(p) => p.rsplit("::").next() != Some(name),
            Target::Module(_) | Target::Variant(..) => false,
        }
    }

    /// The path declaration `id` is named by in comparison forms: its
    /// shortest public path (the first in order among equals); a
    /// declaration with no public path by where it is declared
    /// (`__private::module::Name`).
    fn item_path(&self, id: ItemId, written: &str) -> Vec<String> {
        if let Some(best) = self.canonical.get(&id).and_then(|p| best_path(p)) {
            return best.split("::").map(str::to_string).collect();
        }
        let decl = &self.krate.decls[id];
        let mut out = vec!["__private".to_string()];
        out.extend(self.krate.modules[decl.module].path.iter().cloned());
        out.push(decl_name(&decl.item).map_or_else(|| written.to_string(), |(n, _, _)| n));
        out
    }

    fn keep(&self, l: &syn::Lifetime) -> bool {
        if self.keep_lifetimes {
            l.ident != "_" && !(self.erase_static && l.ident == "static")
        } else {
            !(is_erased_lifetime(l) || self.erase_static || l.ident == "_")
        }
    }
}

/// `type A<T, U> = path::B<T, U>;`: the alias's parameters, in order, are
/// the target's arguments (and the only ones), so the two name one type.
fn passes_parameters_through(tp: &syn::TypePath, g: &syn::Generics) -> bool {
    let params: Vec<String> = g
        .params
        .iter()
        .map(|p| match p {
            syn::GenericParam::Type(t) => t.ident.to_string(),
            syn::GenericParam::Const(c) => c.ident.to_string(),
            syn::GenericParam::Lifetime(l) => l.lifetime.to_string(),
        })
        .collect();
    let n = tp.path.segments.len();
    tp.path
        .segments
        .iter()
        .enumerate()
        .all(|(i, s)| match &s.arguments {
            syn::PathArguments::None => i + 1 < n || params.is_empty(),
            syn::PathArguments::AngleBracketed(a) if i + 1 == n => {
                let args: Vec<String> = a.args.iter().map(render::tokens).collect();
                args == params
            }
            _ => false,
        })
}

/// The shortest of `paths`, the first in order among equals.
pub(crate) fn best_path(paths: &[String]) -> Option<&String> {
    paths
        .iter()
        .min_by_key(|p| (p.matches("::").count(), p.as_str()))
}

/// Sorts `A + B` by the text of each bound.
pub(crate) fn sort_bounds<P: Default>(
    bounds: &mut syn::punctuated::Punctuated<syn::TypeParamBound, P>,
) {
    let mut v: Vec<(String, syn::TypeParamBound)> = std::mem::take(bounds)
        .into_iter()
        .map(|b| (render::tokens(&b), b))
        .collect();
    // `?Sized` and lifetimes after the traits, so the first bound of a
    // `dyn` stays a trait.
    v.sort_by(|a, b| {
        let rank = |t: &str| u8::from(t.starts_with('?') || t.starts_with('\''));
        rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0))
    });
    v.dedup_by(|a, b| a.0 == b.0);
    *bounds = v.into_iter().map(|(_, b)| b).collect();
}

/// `-> ()` says what no return type says.
fn drop_unit_return(output: &mut syn::ReturnType) {
    if let syn::ReturnType::Type(_, t) = output
        && matches!(&**t, syn::Type::Tuple(tt) if tt.elems.is_empty())
    {
        *output = syn::ReturnType::Default;
    }
}

/// `Box<dyn Error + 'static>` is `Box<dyn Error>`: the default lifetime of
/// a trait object in `Box`, `Rc` and `Arc` is `'static`.
pub(crate) fn drop_default_object_lifetime(tp: &mut syn::TypePath) {
    let names: Vec<String> = tp
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let owning = matches!(
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["Box"] | ["std", "rc", "Rc"] | ["std", "sync", "Arc"]
    );
    if tp.qself.is_none()
        && owning
        && let Some(syn::PathArguments::AngleBracketed(args)) =
            tp.path.segments.last_mut().map(|s| &mut s.arguments)
    {
        for arg in args.args.iter_mut() {
            if let syn::GenericArgument::Type(syn::Type::TraitObject(t)) = arg {
                t.bounds = std::mem::take(&mut t.bounds)
                    .into_iter()
                    .filter(
                        |b| !matches!(b, syn::TypeParamBound::Lifetime(l) if l.ident == "static"),
                    )
                    .collect();
            }
        }
    }
}

/// The comparison form `{head}{lifetimes}<params>{tail} where ..` of a
/// declaration, and its [`GenericsShape`], from its generics as written
/// (`g`, for the lifetime count) and as renamed by position and normalized
/// (`normalized`). Shared by both engines.
pub(crate) fn header_shape(
    head: &str,
    g: &syn::Generics,
    mut normalized: syn::Generics,
    tail: &str,
) -> (String, GenericsShape) {
    let mut params = Vec::new();
    for p in normalized.params.iter_mut() {
        match p {
            syn::GenericParam::Type(tp) => {
                let d = tp.default.take().map(|(_, t)| render::ty(&t));
                params.push((tp.ident.to_string(), "type".to_string(), d));
            }
            syn::GenericParam::Const(cp) => {
                let d = cp.default.take().map(|(_, e)| render::tokens(&e));
                params.push((
                    cp.ident.to_string(),
                    format!("const: {}", render::ty(&cp.ty)),
                    d,
                ));
            }
            syn::GenericParam::Lifetime(_) => {}
        }
    }
    let lifetimes = match g.lifetimes().count() {
        0 => String::new(),
        n => format!("[{n} lifetime(s)]"),
    };
    let shape = format!(
        "{head}{lifetimes}{}{tail}{}",
        render::generics(&normalized),
        render::where_clause(&normalized)
    );
    let rest = format!(
        "{head}{lifetimes}{tail}{}",
        render::where_clause(&normalized)
    );
    (
        shape,
        GenericsShape {
            params,
            rest: unraw_text(&rest),
        },
    )
}

/// `'_` bounds left out (`dyn Tr + '_` is `dyn Tr`).
pub(crate) fn drop_elided_bounds<P: Default>(
    bounds: &mut syn::punctuated::Punctuated<syn::TypeParamBound, P>,
) {
    *bounds = std::mem::take(bounds)
        .into_iter()
        .filter(|b| !matches!(b, syn::TypeParamBound::Lifetime(l) if l.ident == "_"))
        .collect();
}

/// `'_` arguments left out (`Reader<'_>` is `Reader`), before elision.
pub(crate) fn drop_elided_lifetime_args(seg: &mut syn::PathSegment) {
    if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
        args.args = std::mem::take(&mut args.args)
            .into_iter()
            .filter(|a| !matches!(a, syn::GenericArgument::Lifetime(l) if l.ident == "_"))
            .collect();
        if args.args.is_empty() {
            seg.arguments = syn::PathArguments::None;
        }
    }
}

/// Bounds written on generic parameters moved into one where list, one
/// bound per predicate, sorted and without duplicates (`T: A + B` and
/// `where T: A, T: B` compare equal); elided lifetimes left out, and
/// lifetime bounds kept only with `keep_lifetimes`. Shared by both engines'
/// comparison forms.
pub(crate) fn bounds_into_where(g: &mut syn::Generics, keep_lifetimes: bool) {
    let keep =
        |b: &syn::TypeParamBound| !matches!(b, syn::TypeParamBound::Lifetime(l) if l.ident == "_");
    let mut preds: Vec<syn::WherePredicate> = Vec::new();
    let mut params = syn::punctuated::Punctuated::new();
    for p in std::mem::take(&mut g.params) {
        match p {
            syn::GenericParam::Lifetime(lp) => {
                if keep_lifetimes && lp.lifetime.ident != "_" {
                    let l = &lp.lifetime;
                    for b in lp.bounds.iter().filter(|b| b.ident != "_") {
                        preds.push(syn::parse_quote!(#l: #b));
                    }
                }
            }
            syn::GenericParam::Type(mut tp) => {
                let ident = tp.ident.clone();
                for b in std::mem::take(&mut tp.bounds).into_iter().filter(keep) {
                    preds.push(syn::parse_quote!(#ident: #b));
                }
                tp.colon_token = None;
                params.push(syn::GenericParam::Type(tp));
            }
            other => params.push(other),
        }
    }
    if let Some(w) = g.where_clause.take() {
        for pred in w.predicates {
            match pred {
                syn::WherePredicate::Type(pt) => {
                    let (lt, ty) = (&pt.lifetimes, &pt.bounded_ty);
                    for b in pt.bounds.iter().filter(|b| keep(b)) {
                        preds.push(syn::parse_quote!(#lt #ty: #b));
                    }
                }
                syn::WherePredicate::Lifetime(lp) => {
                    if keep_lifetimes && lp.lifetime.ident != "_" {
                        let l = &lp.lifetime;
                        for b in lp.bounds.iter().filter(|b| b.ident != "_") {
                            preds.push(syn::parse_quote!(#l: #b));
                        }
                    }
                }
                other => preds.push(other),
            }
        }
    }
    let mut texts: Vec<(String, syn::WherePredicate)> =
        preds.into_iter().map(|p| (render::tokens(&p), p)).collect();
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    texts.dedup_by(|a, b| a.0 == b.0);
    g.params = params;
    if !texts.is_empty() {
        g.where_clause = Some(syn::WhereClause {
            where_token: Default::default(),
            predicates: texts.into_iter().map(|(_, p)| p).collect(),
        });
    }
}

impl syn::visit_mut::VisitMut for Normalizer<'_> {
    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        args: &mut syn::ParenthesizedGenericArguments,
    ) {
        syn::visit_mut::visit_parenthesized_generic_arguments_mut(self, args);
        drop_unit_return(&mut args.output);
    }

    fn visit_type_fn_ptr_mut(&mut self, f: &mut syn::TypeFnPtr) {
        syn::visit_mut::visit_type_fn_ptr_mut(self, f);
        drop_unit_return(&mut f.output);
    }

    fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
        if !self.keep(l) {
            l.ident = syn::Ident::new("_", l.ident.span());
        }
    }

    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        syn::visit_mut::visit_type_reference_mut(self, r);
        if r.lifetime.as_ref().is_some_and(|l| l.ident == "_") {
            r.lifetime = None;
        }
    }

    fn visit_receiver_mut(&mut self, r: &mut syn::Receiver) {
        syn::visit_mut::visit_receiver_mut(self, r);
        r.mutability = None;
        if let syn::ReceiverKind::Reference(_, lifetime, _) = &mut r.kind
            && lifetime.as_ref().is_some_and(|l| l.ident == "_")
        {
            *lifetime = None;
        }
    }

    fn visit_signature_mut(&mut self, sig: &mut syn::Signature) {
        syn::visit_mut::visit_signature_mut(self, sig);
        sig.constness = None;
    }

    fn visit_type_impl_trait_mut(&mut self, t: &mut syn::TypeImplTrait) {
        syn::visit_mut::visit_type_impl_trait_mut(self, t);
        t.bounds = std::mem::take(&mut t.bounds)
            .into_iter()
            .filter(|b| !matches!(b, syn::TypeParamBound::Lifetime(l) if l.ident == "_"))
            .collect();
        sort_bounds(&mut t.bounds);
    }

    fn visit_type_trait_object_mut(&mut self, t: &mut syn::TypeTraitObject) {
        syn::visit_mut::visit_type_trait_object_mut(self, t);
        drop_elided_bounds(&mut t.bounds);
        sort_bounds(&mut t.bounds);
    }

    fn visit_path_segment_mut(&mut self, seg: &mut syn::PathSegment) {
        syn::visit_mut::visit_path_segment_mut(self, seg);
        drop_elided_lifetime_args(seg);
    }

    fn visit_generics_mut(&mut self, g: &mut syn::Generics) {
        syn::visit_mut::visit_generics_mut(self, g);
        bounds_into_where(g, self.keep_lifetimes);
    }

    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        match &mut tp.qself {
            Some(q) => {
                self.visit_type_mut(&mut q.ty);
                self.visit_qualified_path(&mut q.position, &mut tp.path);
            }
            None => {
                syn::visit_mut::visit_type_path_mut(self, tp);
                drop_default_object_lifetime(tp);
            }
        }
    }

    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        match &mut e.qself {
            Some(q) => {
                self.visit_type_mut(&mut q.ty);
                self.visit_qualified_path(&mut q.position, &mut e.path);
            }
            None => syn::visit_mut::visit_expr_path_mut(self, e),
        }
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        if let Some(name) = &self.self_name
            && path.segments.len() > 1
            && path.segments[0].ident == "Self"
            && path.segments[0].arguments.is_empty()
        {
            // `Self::Item` in an inherent impl.
            let span = path.segments[0].ident.span();
            path.segments[0].ident = make_ident(name, span);
            return;
        }
        if let Some(name) = &self.self_name
            && path.is_ident("Self")
        {
            let span = path.segments[0].ident.span();
            path.segments[0].ident = make_ident(name, span);
            return;
        }
        let Some(full) = self.canonical(path) else {
            return;
        };
        let Some(last) = path.segments.last().cloned() else {
            return;
        };
        let mut segments = syn::punctuated::Punctuated::new();
        for (i, seg) in full.iter().enumerate() {
            if syn::parse_str::<syn::Ident>(seg).is_err() && !seg.starts_with("r#") {
                return;
            }
            let ident = make_ident(seg, last.ident.span());
            segments.push(if i + 1 == full.len() {
                syn::PathSegment {
                    ident,
                    arguments: last.arguments.clone(),
                }
            } else {
                syn::PathSegment::from(ident)
            });
        }
        path.leading_colon = None;
        path.segments = segments;
    }
}

impl Normalizer<'_> {
    /// `<X as a::Tr<A>>::Name` (`position` counts the trait's segments):
    /// the trait is a path of its own, resolved with its arguments; the
    /// names after it are associated items, only their arguments are
    /// normalized. (Resolving the whole as one path read `Tr::Name` as a
    /// path and dropped the trait's arguments: `<U as TryFrom<T>>::Error`
    /// and `<U as TryFrom<V>>::Error` compared equal.)
    fn visit_qualified_path(&mut self, position: &mut usize, path: &mut syn::Path) {
        use syn::visit_mut::VisitMut;
        let mut segments: Vec<syn::PathSegment> =
            std::mem::take(&mut path.segments).into_iter().collect();
        let assoc = segments.split_off((*position).min(segments.len()));
        if !segments.is_empty() {
            let mut trait_path = syn::Path {
                leading_colon: path.leading_colon,
                segments: segments.into_iter().collect(),
            };
            self.visit_path_mut(&mut trait_path);
            path.leading_colon = trait_path.leading_colon;
            *position = trait_path.segments.len();
            path.segments = trait_path.segments;
        }
        for mut seg in assoc {
            self.visit_path_segment_mut(&mut seg);
            path.segments.push(seg);
        }
    }
}

/// Records items under their public paths.
struct Walker<'a> {
    krate: &'a Crate,
    crate_name: String,
    out: std::collections::BTreeMap<String, ApiItem>,
    /// Public paths (keys) of each type or trait declaration, for attaching impls.
    paths_of: HashMap<ItemId, PublicPaths>,
    /// Public display paths of functions, methods and values, by declaration.
    public: HashMap<(ItemId, Option<String>), Vec<String>>,
    /// Keys of public but `#[doc(hidden)]` items.
    hidden: BTreeSet<String>,
    /// Hidden members that still bind users (see `ApiSurface::hidden_items`).
    hidden_items: std::collections::BTreeMap<String, ApiItem>,
    /// Public items carrying attributes that are not built in (attribute
    /// macros), by display path, with the attribute.
    attr_macros: Vec<String>,
    /// Public items whose signature or fields contain a macro type (`t!()`).
    macro_types: Vec<String>,
    /// Only record which declarations are public under which keys (the
    /// first pass, whose result is `canonical` for the second).
    collect_only: bool,
    /// Filled by a `collect_only` walk: every public key of each declaration.
    first_paths: HashMap<ItemId, Vec<String>>,
    /// Every public key of each declaration, from a first walk: local
    /// types in signatures are compared by them.
    canonical: &'a HashMap<ItemId, Vec<String>>,
}

/// The derives on an item, as far as attribute helpers go.
#[derive(Clone, Copy, Default)]
struct DeriveHelpers {
    /// A derive from another crate: single-word attributes may be its helpers
    /// (`#[serde(..)]`, `#[error(..)]`, `#[strum(..)]`).
    foreign: bool,
    /// `#[derive(Default)]`: `#[default]` is its helper.
    default: bool,
}

impl DeriveHelpers {
    fn of(attrs: &[Attribute]) -> Self {
        const STD: &[&str] = &[
            "Clone",
            "Copy",
            "Debug",
            "Default",
            "PartialEq",
            "Eq",
            "PartialOrd",
            "Ord",
            "Hash",
        ];
        let d = derives(attrs);
        DeriveHelpers {
            foreign: d.iter().any(|n| !STD.contains(&n.as_str())),
            default: d.iter().any(|n| n == "Default"),
        }
    }

    /// Whether `a` is a helper attribute of these derives, not a macro.
    fn covers(self, a: &Attribute) -> bool {
        let Some(name) = a.path().get_ident().map(|i| i.to_string()) else {
            return false;
        };
        (self.default && name == "default") || self.foreign
    }
}

/// Whether a type (or signature) contains a macro type (`t!()`).
fn contains_type_macro<T: for<'x> FnOnce(&mut TypeMacroFinder)>(visit: T) -> bool {
    let mut f = TypeMacroFinder(false);
    visit(&mut f);
    f.0
}

struct TypeMacroFinder(bool);

impl<'ast> syn::visit::Visit<'ast> for TypeMacroFinder {
    fn visit_type_macro(&mut self, _: &'ast syn::TypeMacro) {
        self.0 = true;
    }
}

/// Auto traits a field of type `ty` certainly lacks, from its syntax: raw
/// pointers, `NonNull` and `Rc` are neither `Send` nor `Sync`; `Cell`,
/// `RefCell` and `UnsafeCell` are not `Sync`.
fn auto_blocked_by(ty: &syn::Type, out: &mut BTreeSet<&'static str>) {
    struct Scan<'o>(&'o mut BTreeSet<&'static str>);
    impl<'ast> syn::visit::Visit<'ast> for Scan<'_> {
        fn visit_type_ptr(&mut self, t: &'ast syn::TypePtr) {
            self.0.insert("Send");
            self.0.insert("Sync");
            syn::visit::visit_type_ptr(self, t);
        }
        fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
            if let Some(last) = t.path.segments.last() {
                match last.ident.to_string().as_str() {
                    "NonNull" | "Rc" => {
                        self.0.insert("Send");
                        self.0.insert("Sync");
                    }
                    "Cell" | "RefCell" | "UnsafeCell" => {
                        self.0.insert("Sync");
                    }
                    _ => {}
                }
            }
            syn::visit::visit_type_path(self, t);
        }
        // What a pointer to a function or a trait object lacks is its own.
        fn visit_type_fn_ptr(&mut self, _: &'ast syn::TypeFnPtr) {}
    }
    syn::visit::Visit::visit_type(&mut Scan(out), ty);
}

/// The value of an integer literal discriminant (`3`, `-1`, `0x10`, `7u8`).
fn discriminant_value(e: &syn::Expr) -> Option<i128> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<i128>().ok(),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            discriminant_value(&u.expr).map(|v| -v)
        }
        syn::Expr::Paren(p) => discriminant_value(&p.expr),
        syn::Expr::Group(g) => discriminant_value(&g.expr),
        _ => None,
    }
}

impl<'a> Walker<'a> {
    fn new(
        krate: &'a Crate,
        crate_name: &str,
        canonical: &'a HashMap<ItemId, Vec<String>>,
    ) -> Self {
        Walker {
            krate,
            crate_name: crate_name.to_string(),
            out: Default::default(),
            paths_of: HashMap::new(),
            public: HashMap::new(),
            hidden: BTreeSet::new(),
            hidden_items: Default::default(),
            attr_macros: Vec::new(),
            macro_types: Vec::new(),
            collect_only: false,
            first_paths: HashMap::new(),
            canonical,
        }
    }

    /// The normalizer for comparison forms written in `module`.
    fn normalizer(&self, module: ModId) -> Normalizer<'_> {
        Normalizer {
            krate: self.krate,
            module,
            self_name: None,
            erase_static: false,
            keep_lifetimes: true,
            canonical: self.canonical,
        }
    }

    /// The normalizer of the earlier engine: lifetimes erased, local types
    /// by their bare name. For keys, which users read.
    fn key_normalizer(&self, module: ModId) -> Normalizer<'_> {
        Normalizer {
            krate: self.krate,
            module,
            self_name: None,
            erase_static: false,
            keep_lifetimes: false,
            canonical: self.canonical,
        }
    }

    /// The module path of `module` (`a::b`, empty for the root).
    fn module_path(&self, module: ModId) -> Option<String> {
        Some(self.krate.modules[module].path.join("::"))
    }

    /// The comparison form of a function signature declared in `module`,
    /// within `outer`, and its parts.
    fn fn_shape(
        &self,
        module: ModId,
        outer: &Outer<'_>,
        self_name: Option<&str>,
        vis: &Visibility,
        sig: &syn::Signature,
    ) -> (String, FnShape) {
        use syn::visit_mut::VisitMut;
        let c = canon::canon_fn(sig, outer);
        let mut sig = c.sig;
        let mut n = self.normalizer(module);
        n.self_name = self_name.map(str::to_string);
        n.visit_signature_mut(&mut sig);
        let for_ty = c.self_ty.map(|mut st| {
            n.visit_type_mut(&mut st);
            st
        });
        canon::fn_parts(vis, &sig, c.explicit, for_ty.as_ref())
    }

    /// A type or trait declaration's display and comparison forms:
    /// `{head}<generics>{tail} where ..` (`tail` goes before the where
    /// clause: supertraits; for structs, the field shape; for aliases, the
    /// target), the type parameters with a default as written, and the
    /// parameters in canonical form.
    ///
    /// In the comparison form parameters are named by position (`__P0`,
    /// `'__p0`; lifetimes are counted), defaults are left out (they are in
    /// the parameters), bounds are in one sorted where clause.
    fn header(
        &self,
        module: ModId,
        head: &str,
        g: &syn::Generics,
        tail: (&str, &str),
    ) -> (String, String, Vec<String>, GenericsShape) {
        use syn::visit_mut::VisitMut;
        let display = format!(
            "{head}{}{}{}",
            render::generics(g),
            tail.0,
            render::where_clause(g)
        );
        // Defaulted parameters as written (bounds apart), for reports.
        let mut legacy = g.clone();
        self.key_normalizer(module).visit_generics_mut(&mut legacy);
        let defaulted: Vec<String> = legacy
            .params
            .iter()
            .filter(|p| match p {
                syn::GenericParam::Type(tp) => tp.default.is_some(),
                syn::GenericParam::Const(cp) => cp.default.is_some(),
                syn::GenericParam::Lifetime(_) => false,
            })
            .map(render::tokens)
            .collect();
        let renames = canon::positional(g);
        let mut normalized = rename_generics(&renames, g);
        self.normalizer(module).visit_generics_mut(&mut normalized);
        let (shape, generics) = header_shape(head, g, normalized, tail.1);
        (display, shape, defaulted, generics)
    }

    /// Facts and notes that come from an item's attributes (`helpers`:
    /// the derives on the item or its parent, whose helper attributes are
    /// not attribute macros).
    fn mark(&mut self, key: &str, attrs: &[Attribute], helpers: DeriveHelpers) {
        if let Some(i) = self.out.get_mut(key) {
            i.facts.deprecated |= has_attr(attrs, "deprecated");
            i.facts.must_use |= has_attr(attrs, "must_use");
        }
        for a in attrs {
            if is_attribute_macro(a) && !helpers.covers(a) {
                let shown = format!("#[{}] on `{}`", render::tokens(a.path()), self.display(key));
                if !self.attr_macros.contains(&shown) {
                    self.attr_macros.push(shown);
                }
            }
        }
    }

    /// Notes that `key`'s signature or fields contain a macro type.
    fn macro_type(&mut self, key: &str) {
        let shown = format!("`{}`", self.display(key));
        if !self.macro_types.contains(&shown) {
            self.macro_types.push(shown);
        }
    }

    /// Traits whose supertrait outside code cannot name are sealed: no one
    /// outside the crate can implement them.
    fn mark_sealed(&mut self) {
        let traits: Vec<(ItemId, PublicPaths)> =
            self.paths_of.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (id, paths) in traits {
            let Item::Trait(t) = &self.krate.decls[id].item else {
                continue;
            };
            let m = self.krate.decls[id].module;
            let sealed = t.supertraits.iter().any(|b| {
                let syn::TypeParamBound::Trait(tb) = b else {
                    return false;
                };
                let segs: Vec<String> = tb
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let targets = self.krate.resolve(m, &segs, 0);
                !targets.is_empty()
                    && targets.iter().all(|t| {
                        matches!(t, Target::Item(sid)
                            if !self.paths_of.contains_key(sid)
                                && !self.krate.decls[*sid].hidden
                                && matches!(self.krate.decls[*sid].item, Item::Trait(_)))
                    })
            });
            if sealed {
                for (k, _) in paths {
                    if let Some(i) = self.out.get_mut(&k) {
                        i.facts.sealed = true;
                    }
                }
            }
        }
    }

    /// What the engine could not check in this crate, said concretely.
    fn unseen_notes(&self) -> Vec<String> {
        fn some(list: &[String]) -> String {
            let mut s = list.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            if list.len() > 3 {
                s.push_str(&format!(" and {} more", list.len() - 3));
            }
            s
        }
        let mut notes = Vec::new();
        let mut derived: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for i in self.out.values() {
            if i.kind == ItemKind::Impl
                && i.signature.ends_with("(derived)")
                && let (Some(p), Some((_, t))) = (&i.parent, i.key.rsplit_once(" impl "))
            {
                derived.entry(p.as_str()).or_default().push(t);
            }
        }
        if !derived.is_empty() {
            let list: Vec<String> = derived
                .iter()
                .map(|(ty, traits)| format!("`{}` ({})", ty, traits.join(", ")))
                .collect();
            notes.push(format!(
                "derive macros on {} public type(s) ({}): impls from derives are compared by trait name only, not by the code the derive macro generates",
                list.len(),
                some(&list)
            ));
        }
        if !self.attr_macros.is_empty() {
            notes.push(format!(
                "attribute macros on {} public item(s) ({}): what they expand to is not seen; the items are compared as written",
                self.attr_macros.len(),
                some(&self.attr_macros)
            ));
        }
        if !self.macro_types.is_empty() {
            notes.push(format!(
                "types written as macro invocations in {} public signature(s) or field(s) ({}): the macro is not expanded, so a change in the type it stands for is not seen",
                self.macro_types.len(),
                some(&self.macro_types)
            ));
        }
        let types: Vec<String> = self
            .out
            .values()
            .filter(|i| matches!(i.kind, ItemKind::Struct | ItemKind::Enum | ItemKind::Union))
            .map(|i| format!("`{}`", i.key))
            .collect();
        if !types.is_empty() {
            notes.push(format!(
                "auto traits (Send, Sync, Unpin, UnwindSafe) of {} public type(s) ({}) are not checked: a type that stops being Send or Sync is not reported",
                types.len(),
                some(&types)
            ));
        }
        notes
    }

    /// The comparison form of the type of a const or static: there, an
    /// elided lifetime *is* `'static`, so `'static` is erased too.
    fn value_ty_shape(&self, module: ModId, ty: &syn::Type) -> String {
        let mut ty = ty.clone();
        let mut n = self.normalizer(module);
        n.erase_static = true;
        syn::visit_mut::VisitMut::visit_type_mut(&mut n, &mut ty);
        render::ty(&ty)
    }

    /// The comparison form of a type written in `module`, inside a
    /// declaration whose parameters `renames` names.
    fn ty_shape(&self, module: ModId, renames: &canon::Renames, ty: &syn::Type) -> String {
        let mut ty = ty.clone();
        syn::visit_mut::VisitMut::visit_type_mut(&mut renames.clone(), &mut ty);
        syn::visit_mut::VisitMut::visit_type_mut(&mut self.normalizer(module), &mut ty);
        render::ty(&ty)
    }

    /// A type as it appears in keys, which users read: lifetimes erased,
    /// this crate's types by the name written.
    fn key_ty(&self, module: ModId, ty: &syn::Type) -> String {
        let mut ty = ty.clone();
        syn::visit_mut::VisitMut::visit_type_mut(&mut self.key_normalizer(module), &mut ty);
        render::ty(&ty)
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
        cfg: &BTreeSet<String>,
        parent: Option<&str>,
        facts: Facts,
    ) {
        // `r#gen` and `gen` name the same item: writing the name raw (as
        // edition 2024 requires for `gen`) is not a removal plus an addition.
        let key = unraw_path(&key);
        let parent = parent.map(unraw_path);
        let parent = parent.as_deref();
        let shape = unraw_text(&shape);
        let item = ApiItem {
            path: self.display(&key),
            key: key.clone(),
            kind,
            signature,
            shape,
            cfg: cfg_text(cfg),
            parent: parent.map(str::to_string),
            facts,
        };
        match self.out.get_mut(&key) {
            None => {
                self.out.insert(key, item);
            }
            Some(existing) if existing.kind == item.kind => {
                // The same path under two cfg alternatives (`#[cfg(unix)] fn f`
                // and `#[cfg(windows)] fn f`): one item that exists when either
                // holds, with every distinct definition, so that a change of
                // conditions is a change of conditions and not a removal.
                if existing.cfg != item.cfg {
                    existing.cfg = match (&existing.cfg, &item.cfg) {
                        (Some(a), Some(b)) => merge_cfg(a, b),
                        _ => None,
                    };
                }
                if existing.shape != item.shape {
                    existing.shape = merge_alternatives(&existing.shape, &item.shape);
                    existing.signature = merge_alternatives(&existing.signature, &item.signature);
                    // Alternatives have no one canonical form.
                    existing.facts.fn_sig = None;
                    existing.facts.generics = None;
                    existing.facts.impl_shape = None;
                }
            }
            Some(_) => {
                // A different kind of item under the same name (a module and a
                // function may share one): keep both, told apart by kind.
                let k = format!("{key} ({})", item.kind);
                let mut item = item;
                item.key = k.clone();
                self.out.entry(k).or_insert(item);
            }
        }
    }

    fn walk(
        &mut self,
        m: ModId,
        prefix: &[String],
        cfg: &BTreeSet<String>,
        stack: &mut Vec<ModId>,
    ) {
        if stack.len() > MAX_DEPTH || stack.contains(&m) {
            return;
        }
        stack.push(m);
        let exports = self.krate.exports(m, 0, &mut Vec::new());
        for ex in exports {
            let mut path = prefix.to_vec();
            path.push(ex.name.clone());
            let key = path.join("::");
            let mut c = cfg.clone();
            c.extend(ex.cfg.iter().cloned());
            if ex.hidden {
                self.hidden.insert(key);
                continue;
            }
            match ex.target {
                Target::Module(child) => {
                    let module = &self.krate.modules[child];
                    if module.hidden {
                        self.hidden.insert(key);
                        continue;
                    }
                    c.extend(module.cfg.iter().cloned());
                    if !self.collect_only {
                        let sig = format!("pub mod {}", ex.name);
                        let facts = Facts {
                            decl_module: module.parent.and_then(|p| self.module_path(p)),
                            ..Facts::default()
                        };
                        self.add(key, ItemKind::Module, (sig.clone(), sig), &c, None, facts);
                    }
                    self.walk(child, &path, &c, stack);
                }
                Target::Item(id) => {
                    let decl = &self.krate.decls[id];
                    // `pub use __m as m;` of a hidden `#[macro_export]`
                    // macro: the re-export is the name the crate gives it.
                    let public_face = matches!(&decl.item, Item::Macro(mac)
                        if mac.ident.as_ref().is_some_and(|i| *i != ex.name));
                    if decl.hidden && !public_face {
                        self.hidden.insert(key);
                        continue;
                    }
                    if self.collect_only {
                        self.first_paths.entry(id).or_default().push(key);
                        continue;
                    }
                    c.extend(decl.cfg.iter().cloned());
                    self.item(id, &key, &ex.name, &c);
                }
                Target::Variant(id, variant) => {
                    if self.collect_only {
                        continue;
                    }
                    let decl = &self.krate.decls[id];
                    if decl.hidden {
                        self.hidden.insert(key);
                        continue;
                    }
                    c.extend(decl.cfg.iter().cloned());
                    self.variant_reexport(id, &variant, &key, &ex.name, &c);
                }
                Target::External(_) if self.collect_only => {}
                Target::External(p) => {
                    // `core::` and `alloc::` name what `std::` does.
                    let meant = ["core::", "alloc::"]
                        .iter()
                        .find_map(|pre| p.strip_prefix(pre).map(|r| format!("std::{r}")))
                        .unwrap_or_else(|| p.clone());
                    if ex.name == "*" {
                        // `pub use other_crate::*;` at `prefix`: named by what it re-exports.
                        let mut parts = prefix.to_vec();
                        parts.push(format!("* (from {p})"));
                        let key = parts.join("::");
                        let sig = format!("pub use {p}");
                        let shape = format!("pub use {meant}");
                        self.add(
                            key,
                            ItemKind::ExternalReexport,
                            (sig, shape),
                            &c,
                            None,
                            Facts::default(),
                        );
                    } else {
                        let last = p.rsplit("::").next().unwrap_or(&p);
                        let sig = if last == ex.name {
                            format!("pub use {p}")
                        } else {
                            format!("pub use {p} as {}", ex.name)
                        };
                        let shape = format!("pub use {meant} as {}", ex.name);
                        self.add(
                            key,
                            ItemKind::ExternalReexport,
                            (sig, shape),
                            &c,
                            None,
                            Facts::default(),
                        );
                    }
                }
            }
        }
        stack.pop();
    }

    /// Records one declaration (and its members) under `key`.
    fn item(&mut self, id: ItemId, key: &str, name: &str, cfg: &BTreeSet<String>) {
        let shown = self.display(key);
        self.public.entry((id, None)).or_default().push(shown);
        let item = &self.krate.decls[id].item;
        let module = self.krate.decls[id].module;
        let here = self.module_path(module);
        let plain = |s: String| (s.clone(), s);
        match item {
            Item::Fn(f) if proc_macro_name(&f.attrs, name).is_some() => {
                // In a proc-macro crate the API is the macro, by the name users
                // write (`derive(Serialize)`), not the function behind it.
                if let Some((key, sig)) = proc_macro_name(&f.attrs, name) {
                    self.add(
                        key,
                        ItemKind::Macro,
                        (sig.clone(), sig),
                        cfg,
                        None,
                        Facts::default(),
                    );
                }
            }
            Item::Fn(f) => {
                let mut sig = f.sig.clone();
                sig.ident = make_ident(name, f.sig.ident.span());
                let s = render::signature(&f.vis, &sig);
                // `unsafe` is a fact of its own: becoming safe is minor.
                sig.safety = syn::Safety::Default;
                let (shape, parts) = self.fn_shape(module, &Outer::Free, None, &f.vis, &sig);
                let facts = Facts {
                    is_const: Some(f.sig.constness.is_some()),
                    is_unsafe: Some(matches!(f.sig.safety, syn::Safety::Unsafe(_))),
                    fn_sig: Some(Box::new(parts)),
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    key.to_string(),
                    ItemKind::Function,
                    (s, shape),
                    cfg,
                    None,
                    facts,
                );
                self.mark(key, &f.attrs, DeriveHelpers::default());
                if contains_type_macro(|v| syn::visit::Visit::visit_signature(v, &f.sig)) {
                    self.macro_type(key);
                }
            }
            Item::Macro(_) => {
                // A `#[macro_export]` macro under a path of its own
                // (`pub mod x { pub use crate::m; }`, `pub use __m as m;`).
                let s = format!("macro_rules! {name}");
                let facts = Facts {
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    format!("{key}!"),
                    ItemKind::Macro,
                    plain(s),
                    cfg,
                    None,
                    facts,
                );
            }
            Item::Const(c) => {
                let s = format!("pub const {name}: {}", render::ty(&c.ty));
                let sh = format!("pub const {name}: {}", self.value_ty_shape(module, &c.ty));
                let facts = Facts {
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(key.to_string(), ItemKind::Const, (s, sh), cfg, None, facts);
                self.mark(key, &c.attrs, DeriveHelpers::default());
                if contains_type_macro(|v| syn::visit::Visit::visit_type(v, &c.ty)) {
                    self.macro_type(key);
                }
            }
            Item::Static(st) => {
                let m = if matches!(st.mutability, syn::StaticMutability::Mut(_)) {
                    "mut "
                } else {
                    ""
                };
                let s = format!("pub static {m}{name}: {}", render::ty(&st.ty));
                let sh = format!(
                    "pub static {m}{name}: {}",
                    self.value_ty_shape(module, &st.ty)
                );
                let facts = Facts {
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(key.to_string(), ItemKind::Static, (s, sh), cfg, None, facts);
                self.mark(key, &st.attrs, DeriveHelpers::default());
            }
            Item::Type(t) => {
                let renames = canon::positional(&t.generics);
                let target = (
                    format!(" = {}", render::ty(&t.ty)),
                    format!(" = {}", self.ty_shape(module, &renames, &t.ty)),
                );
                let (s, sh, defaulted_params, generics) = self.header(
                    module,
                    &format!("pub type {name}"),
                    &t.generics,
                    (&target.0, &target.1),
                );
                let facts = Facts {
                    defaulted_params,
                    generics: Some(Box::new(generics)),
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    key.to_string(),
                    ItemKind::TypeAlias,
                    (s, sh),
                    cfg,
                    None,
                    facts,
                );
                self.mark(key, &t.attrs, DeriveHelpers::default());
                if contains_type_macro(|v| syn::visit::Visit::visit_type(v, &t.ty)) {
                    self.macro_type(key);
                }
                self.remember(id, key, cfg);
            }
            Item::Struct(s) => {
                let non_exhaustive = has_attr(&s.attrs, "non_exhaustive");
                let all_pub = s
                    .fields
                    .iter()
                    .all(|f| matches!(f.vis, Visibility::Public(_)));
                let shape_word = |fields: &Fields| match fields {
                    Fields::Named(_) => " { .. }",
                    Fields::Unnamed(_) => "(..)",
                    Fields::Unit => ";",
                };
                // With no public field (and at least one), outside code can
                // neither build nor destructure it: tuple or named is not
                // part of the API.
                let opaque = !s.fields.is_empty()
                    && !s
                        .fields
                        .iter()
                        .any(|f| matches!(f.vis, Visibility::Public(_)));
                let word = shape_word(&s.fields);
                let (sig, sh, defaulted_params, generics) = self.header(
                    module,
                    &format!("pub struct {name}"),
                    &s.generics,
                    (word, if opaque { " { .. }" } else { word }),
                );
                let mut blocked = BTreeSet::new();
                for f in &s.fields {
                    auto_blocked_by(&f.ty, &mut blocked);
                }
                let facts = Facts {
                    constructible: Some(all_pub && !non_exhaustive),
                    non_exhaustive,
                    repr: repr(&s.attrs),
                    defaulted_params,
                    generics: Some(Box::new(generics)),
                    field_order: public_field_names(&s.fields),
                    auto_blocked: blocked.into_iter().map(str::to_string).collect(),
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    key.to_string(),
                    ItemKind::Struct,
                    (sig, sh),
                    cfg,
                    None,
                    facts,
                );
                let helpers = DeriveHelpers::of(&s.attrs);
                self.mark(key, &s.attrs, helpers);
                let renames = canon::positional(&s.generics);
                self.fields(module, key, &s.fields, cfg, &renames);
                self.remember(id, key, cfg);
            }
            Item::Union(u) => {
                let (sig, sh, defaulted_params, generics) =
                    self.header(module, &format!("pub union {name}"), &u.generics, ("", ""));
                let facts = Facts {
                    repr: repr(&u.attrs),
                    defaulted_params,
                    generics: Some(Box::new(generics)),
                    field_order: public_field_names(&Fields::Named(u.fields.clone())),
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    key.to_string(),
                    ItemKind::Union,
                    (sig, sh),
                    cfg,
                    None,
                    facts,
                );
                self.mark(key, &u.attrs, DeriveHelpers::of(&u.attrs));
                let renames = canon::positional(&u.generics);
                self.fields(module, key, &Fields::Named(u.fields.clone()), cfg, &renames);
                self.remember(id, key, cfg);
            }
            Item::Enum(e) => {
                let non_exhaustive = has_attr(&e.attrs, "non_exhaustive");
                let (sig, sh, defaulted_params, generics) =
                    self.header(module, &format!("pub enum {name}"), &e.generics, ("", ""));
                let mut blocked = BTreeSet::new();
                for v in &e.variants {
                    for f in &v.fields {
                        auto_blocked_by(&f.ty, &mut blocked);
                    }
                }
                let facts = Facts {
                    non_exhaustive,
                    repr: repr(&e.attrs),
                    defaulted_params,
                    generics: Some(Box::new(generics)),
                    fieldless: e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)),
                    auto_blocked: blocked.into_iter().map(str::to_string).collect(),
                    decl_module: here.clone(),
                    ..Facts::default()
                };
                self.add(key.to_string(), ItemKind::Enum, (sig, sh), cfg, None, facts);
                let helpers = DeriveHelpers::of(&e.attrs);
                self.mark(key, &e.attrs, helpers);
                let renames = canon::positional(&e.generics);
                // Implicit discriminants are the previous one plus one.
                let mut next: Option<i128> = Some(0);
                for v in &e.variants {
                    let vcfg = cfgs(&v.attrs);
                    // Not there outside tests: it takes no value.
                    if is_test_only(&vcfg) {
                        continue;
                    }
                    let value = match &v.discriminant {
                        Some((_, expr)) => discriminant_value(expr),
                        None => next,
                    };
                    next = value.and_then(|x| x.checked_add(1));
                    let mut c = cfg.clone();
                    c.extend(vcfg);
                    let s = format!("{}{}", v.ident, variant_fields(&v.fields, render::ty));
                    let sh = format!(
                        "{}{}",
                        v.ident,
                        variant_fields(&v.fields, |t| self.ty_shape(module, &renames, t))
                    );
                    let facts = Facts {
                        non_exhaustive: has_attr(&v.attrs, "non_exhaustive"),
                        discriminant: v.discriminant.as_ref().map(|(_, e)| render::tokens(e)),
                        discriminant_value: value,
                        decl_module: here.clone(),
                        ..Facts::default()
                    };
                    let vkey = format!("{key}::{}", v.ident);
                    if is_hidden(&v.attrs) {
                        // Not API, but exhaustive matches must still cover it.
                        self.hide_member(vkey, ItemKind::Variant, (s, sh), &c, key, facts);
                        continue;
                    }
                    self.add(
                        vkey.clone(),
                        ItemKind::Variant,
                        (s, sh),
                        &c,
                        Some(key),
                        facts,
                    );
                    self.mark(&vkey, &v.attrs, helpers);
                    if v.fields
                        .iter()
                        .any(|f| contains_type_macro(|x| syn::visit::Visit::visit_type(x, &f.ty)))
                    {
                        self.macro_type(&vkey);
                    }
                }
                self.remember(id, key, cfg);
            }
            Item::Trait(t) => {
                let unsafety = if t.unsafety.is_some() { "unsafe " } else { "" };
                let supers = if t.supertraits.is_empty() {
                    String::new()
                } else {
                    format!(": {}", render::tokens(&t.supertraits))
                };
                let renames = canon::positional(&t.generics);
                let supers_shape = if t.supertraits.is_empty() {
                    String::new()
                } else {
                    let mut b = t.supertraits.clone();
                    for x in b.iter_mut() {
                        syn::visit_mut::VisitMut::visit_type_param_bound_mut(
                            &mut renames.clone(),
                            x,
                        );
                        syn::visit_mut::VisitMut::visit_type_param_bound_mut(
                            &mut self.normalizer(module),
                            x,
                        );
                    }
                    sort_bounds(&mut b);
                    format!(": {}", render::tokens(&b))
                };
                let (sig, sh, defaulted_params, generics) = self.header(
                    module,
                    &format!("pub {unsafety}trait {name}"),
                    &t.generics,
                    (&supers, &supers_shape),
                );
                let facts = Facts {
                    defaulted_params,
                    generics: Some(Box::new(generics)),
                    object_safe: Some(object_safe(t)),
                    decl_module: here,
                    ..Facts::default()
                };
                self.add(
                    key.to_string(),
                    ItemKind::Trait,
                    (sig, sh),
                    cfg,
                    None,
                    facts,
                );
                self.mark(key, &t.attrs, DeriveHelpers::default());
                for ti in &t.items {
                    self.trait_item(module, key, t, &renames, ti, cfg);
                    if let TraitItem::Fn(f) = ti {
                        let shown = self.display(&format!("{key}::{}", f.sig.ident));
                        self.public
                            .entry((id, Some(f.sig.ident.to_string())))
                            .or_default()
                            .push(shown);
                    }
                }
                self.remember(id, key, cfg);
            }
            Item::TraitAlias(t) => {
                let (sig, sh) = plain(format!(
                    "pub trait {name}{} = {}",
                    render::generics(&t.generics),
                    render::tokens(&t.bounds)
                ));
                self.add(
                    key.to_string(),
                    ItemKind::Trait,
                    (sig, sh),
                    cfg,
                    None,
                    Facts::default(),
                );
            }
            _ => {}
        }
    }

    /// A variant re-exported on its own (`pub use Color::Red;`, `pub use
    /// Color::*;`): a path users name it by.
    fn variant_reexport(
        &mut self,
        id: ItemId,
        variant: &str,
        key: &str,
        name: &str,
        cfg: &BTreeSet<String>,
    ) {
        let Item::Enum(e) = &self.krate.decls[id].item else {
            return;
        };
        let Some(v) = e.variants.iter().find(|v| v.ident == variant) else {
            return;
        };
        if is_hidden(&v.attrs) {
            self.hidden.insert(key.to_string());
            return;
        }
        let module = self.krate.decls[id].module;
        let mut c = cfg.clone();
        c.extend(cfgs(&v.attrs));
        let renames = canon::positional(&e.generics);
        let s = format!("{name}{}", variant_fields(&v.fields, render::ty));
        let sh = format!(
            "{name}{}",
            variant_fields(&v.fields, |t| self.ty_shape(module, &renames, t))
        );
        let facts = Facts {
            decl_module: self.module_path(module),
            ..Facts::default()
        };
        self.add(key.to_string(), ItemKind::Variant, (s, sh), &c, None, facts);
    }

    /// A `#[doc(hidden)]` member that still binds users: not API, kept in
    /// `hidden_items` for the rules that need it.
    fn hide_member(
        &mut self,
        key: String,
        kind: ItemKind,
        (signature, shape): (String, String),
        cfg: &BTreeSet<String>,
        parent: &str,
        facts: Facts,
    ) {
        let key = unraw_path(&key);
        self.hidden.insert(key.clone());
        let item = ApiItem {
            path: self.display(&key),
            key: key.clone(),
            kind,
            signature,
            shape: unraw_text(&shape),
            cfg: cfg_text(cfg),
            parent: Some(unraw_path(parent)),
            facts,
        };
        self.hidden_items.insert(key, item);
    }

    /// Notes that declaration `id` is public under `key`, so that impls can
    /// be attached to it.
    fn remember(&mut self, id: ItemId, key: &str, cfg: &BTreeSet<String>) {
        self.paths_of
            .entry(id)
            .or_default()
            .push((key.to_string(), cfg.clone()));
    }

    fn fields(
        &mut self,
        module: ModId,
        parent: &str,
        fields: &Fields,
        cfg: &BTreeSet<String>,
        renames: &canon::Renames,
    ) {
        for (i, f) in fields.iter().enumerate() {
            if !matches!(f.vis, Visibility::Public(_)) {
                continue;
            }
            let fcfg = cfgs(&f.attrs);
            if is_test_only(&fcfg) {
                continue;
            }
            let mut c = cfg.clone();
            c.extend(fcfg);
            let name = f
                .ident
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_else(|| i.to_string());
            let s = format!("pub {name}: {}", render::ty(&f.ty));
            let sh = format!("pub {name}: {}", self.ty_shape(module, renames, &f.ty));
            let key = format!("{parent}.{name}");
            if is_hidden(&f.attrs) {
                // Not API, but struct literals must still name it.
                self.hide_member(key, ItemKind::Field, (s, sh), &c, parent, Facts::default());
                continue;
            }
            self.add(
                key.clone(),
                ItemKind::Field,
                (s, sh),
                &c,
                Some(parent),
                Facts::default(),
            );
            if contains_type_macro(|v| syn::visit::Visit::visit_type(v, &f.ty)) {
                self.macro_type(&key);
            }
        }
    }

    fn trait_item(
        &mut self,
        module: ModId,
        parent: &str,
        tr: &syn::ItemTrait,
        renames: &canon::Renames,
        ti: &TraitItem,
        cfg: &BTreeSet<String>,
    ) {
        use syn::visit_mut::VisitMut;
        let mut fn_sig = None;
        let (attrs, name, kind, sig, shape, has_default) = match ti {
            TraitItem::Fn(f) => {
                let (shape, parts) = self.fn_shape(
                    module,
                    &Outer::Trait {
                        generics: &tr.generics,
                    },
                    None,
                    &Visibility::Inherited,
                    &f.sig,
                );
                fn_sig = Some(Box::new(parts));
                (
                    &f.attrs,
                    f.sig.ident.to_string(),
                    ItemKind::TraitMethod,
                    render::signature(&Visibility::Inherited, &f.sig),
                    shape,
                    f.default.is_some(),
                )
            }
            TraitItem::Type(t) => {
                let bounds = if t.bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {}", render::tokens(&t.bounds))
                };
                let default = t
                    .default
                    .as_ref()
                    .map(|(_, ty)| format!(" = {}", render::ty(ty)))
                    .unwrap_or_default();
                let s = format!(
                    "type {}{}{bounds}{default}",
                    t.ident,
                    render::generics(&t.generics)
                );
                let mut b = t.bounds.clone();
                for x in b.iter_mut() {
                    renames.clone().visit_type_param_bound_mut(x);
                    self.normalizer(module).visit_type_param_bound_mut(x);
                }
                sort_bounds(&mut b);
                let bounds_shape = if b.is_empty() {
                    String::new()
                } else {
                    format!(": {}", render::tokens(&b))
                };
                let default_shape = t
                    .default
                    .as_ref()
                    .map(|(_, ty)| format!(" = {}", self.ty_shape(module, renames, ty)))
                    .unwrap_or_default();
                let sh = format!(
                    "type {}{}{bounds_shape}{default_shape}",
                    t.ident,
                    render::generics(&t.generics)
                );
                (
                    &t.attrs,
                    t.ident.to_string(),
                    ItemKind::TraitType,
                    s,
                    sh,
                    t.default.is_some(),
                )
            }
            TraitItem::Const(c) => {
                let s = format!("const {}: {}", c.ident, render::ty(&c.ty));
                let sh = format!(
                    "const {}: {}",
                    c.ident,
                    self.ty_shape(module, renames, &c.ty)
                );
                (
                    &c.attrs,
                    c.ident.to_string(),
                    ItemKind::TraitConst,
                    s,
                    sh,
                    c.default.is_some(),
                )
            }
            _ => return,
        };
        let own = cfgs(attrs);
        if is_test_only(&own) {
            return;
        }
        let mut c = cfg.clone();
        c.extend(own);
        let facts = Facts {
            has_default: Some(has_default),
            fn_sig,
            ..Facts::default()
        };
        let key = format!("{parent}::{name}");
        if is_hidden(attrs) {
            // Not API, but a required one must still be written by every
            // implementation.
            self.hide_member(key, kind, (sig, shape), &c, parent, facts);
            return;
        }
        self.add(key.clone(), kind, (sig, shape), &c, Some(parent), facts);
        self.mark(&key, attrs, DeriveHelpers::default());
        if let TraitItem::Fn(f) = ti
            && contains_type_macro(|v| syn::visit::Visit::visit_signature(v, &f.sig))
        {
            self.macro_type(&key);
        }
    }

    /// `#[macro_export] macro_rules!` macros: public at the crate root.
    fn macros(&mut self) {
        for (id, decl) in self.krate.decls.iter().enumerate() {
            let Item::Macro(mac) = &decl.item else {
                continue;
            };
            let Some(ident) = &mac.ident else { continue };
            if !has_attr(&mac.attrs, "macro_export") {
                continue;
            }
            if decl.hidden || self.krate.modules[decl.module].hidden {
                self.hidden.insert(format!("{ident}!"));
                continue;
            }
            let _ = id;
            let cfg: BTreeSet<String> = decl.cfg.iter().cloned().collect();
            let s = format!("macro_rules! {ident}");
            self.add(
                format!("{ident}!"),
                ItemKind::Macro,
                (s.clone(), s),
                &cfg,
                None,
                Facts::default(),
            );
        }
    }

    /// Inherent methods, associated consts, trait impls and derives, attached to
    /// every public path of their type.
    fn attach_impls(&mut self) {
        // Derives first: they sit on the type declarations.
        let typed: Vec<(ItemId, PublicPaths)> =
            self.paths_of.iter().map(|(k, v)| (*k, v.clone())).collect();
        for (id, paths) in &typed {
            let attrs = match &self.krate.decls[*id].item {
                Item::Struct(s) => &s.attrs,
                Item::Enum(e) => &e.attrs,
                Item::Union(u) => &u.attrs,
                _ => continue,
            };
            let here = self.module_path(self.krate.decls[*id].module);
            // `#[derive(..)]`, and `#[cfg_attr(COND, derive(..))]` under COND.
            let derived = derives(attrs).into_iter().map(|t| (t, None)).chain(
                conditional_derives(attrs)
                    .into_iter()
                    .map(|(t, c)| (t, Some(c))),
            );
            for (trait_name, cond) in derived {
                for (p, cfg) in paths {
                    let s = format!("impl {trait_name} (derived)");
                    let mut cfg = cfg.clone();
                    cfg.extend(cond.clone());
                    self.add(
                        format!("{p} impl {trait_name}"),
                        ItemKind::Impl,
                        (s, String::new()),
                        &cfg,
                        Some(p),
                        Facts {
                            decl_module: here.clone(),
                            ..Facts::default()
                        },
                    );
                }
            }
        }
        for m in 0..self.krate.modules.len() {
            for &impl_id in &self.krate.modules[m].impls {
                let decl = &self.krate.decls[impl_id];
                let Item::Impl(imp) = &decl.item else {
                    continue;
                };
                // `impl IntoIterator for &'a Bytes` belongs to `Bytes` too.
                let (self_ty, by_reference) = match &*imp.self_ty {
                    syn::Type::Reference(r) => (&*r.elem, true),
                    other => (other, false),
                };
                let self_targets = match self_ty {
                    syn::Type::Path(tp) if tp.qself.is_none() => {
                        let segs: Vec<String> = tp
                            .path
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect();
                        self.krate.resolve(m, &segs, 0)
                    }
                    _ => Vec::new(),
                };
                let mut owner_paths: Vec<(String, BTreeSet<String>)> = Vec::new();
                for t in &self_targets {
                    if let Target::Item(tid) = t {
                        if let Some(p) = self.paths_of.get(tid) {
                            owner_paths.extend(p.iter().cloned());
                        }
                        // `impl<T> Alias<T> { .. }` is an impl of the type
                        // the alias stands for: its methods are that type's.
                        if let Some(target) = self.alias_target(*tid)
                            && let Some(p) = self.paths_of.get(&target)
                        {
                            for x in p {
                                if !owner_paths.contains(x) {
                                    owner_paths.push(x.clone());
                                }
                            }
                        }
                    }
                }
                let impl_cfg: BTreeSet<String> = decl.cfg.iter().cloned().collect();
                match &imp.trait_ {
                    None => {
                        for (p, tcfg) in owner_paths {
                            let mut c = tcfg.clone();
                            c.extend(impl_cfg.iter().cloned());
                            self.inherent_items(impl_id, &p, imp, &c);
                        }
                    }
                    Some((trait_path, _)) => {
                        let neg = "";
                        let trait_segs: Vec<String> = trait_path
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect();
                        let trait_targets = self.krate.resolve(m, &trait_segs, 0);
                        // A trait of this crate that outside code cannot name:
                        // implementing it is not part of the API.
                        if trait_targets.iter().any(
                            |t| matches!(t, Target::Item(id) if !self.paths_of.contains_key(id)),
                        ) && !trait_targets.iter().any(
                            |t| matches!(t, Target::Item(id) if self.paths_of.contains_key(id)),
                        ) {
                            continue;
                        }
                        // The trait as it is meant, not as it is spelled here
                        // (`From<&'a str>` and `From<&str>` are one impl).
                        let trait_name = {
                            let mut path = trait_path.clone();
                            syn::visit_mut::VisitMut::visit_path_mut(
                                &mut self.key_normalizer(m),
                                &mut path,
                            );
                            let last = path.segments.last().cloned();
                            match last {
                                Some(seg) => {
                                    let path = syn::Path::from(seg);
                                    render::ty(&syn::parse_quote!(#path))
                                }
                                None => String::new(),
                            }
                        };
                        let sig = format!(
                            "impl{} {neg}{trait_name} for {}{}",
                            render::generics(&imp.generics),
                            render::ty(&imp.self_ty),
                            render::where_clause(&imp.generics)
                        );
                        let (shape, parts) = self.impl_shape(m, imp);
                        let facts = Facts {
                            impl_shape: Some(Box::new(parts)),
                            decl_module: self.module_path(m),
                            ..Facts::default()
                        };
                        if !owner_paths.is_empty() {
                            for (p, tcfg) in owner_paths {
                                let mut c = tcfg.clone();
                                c.extend(impl_cfg.iter().cloned());
                                // Trait methods of a public type are public entry points too.
                                for ii in &imp.items {
                                    if let ImplItem::Fn(f) = ii {
                                        let shown = self.display(&format!("{p}::{}", f.sig.ident));
                                        self.public
                                            .entry((impl_id, Some(f.sig.ident.to_string())))
                                            .or_default()
                                            .push(shown);
                                    }
                                }
                                self.add(
                                    if by_reference {
                                        format!(
                                            "{p} impl {neg}{trait_name} for {}",
                                            self.key_ty(m, &imp.self_ty)
                                        )
                                    } else {
                                        format!("{p} impl {neg}{trait_name}")
                                    },
                                    ItemKind::Impl,
                                    (sig.clone(), shape.clone()),
                                    &c,
                                    Some(&p),
                                    facts.clone(),
                                );
                            }
                        } else if !self_targets.iter().any(|t| matches!(t, Target::Item(_))) {
                            // A local public trait implemented for a foreign type
                            // (impls for this crate's private types are not API).
                            let self_shape = self.key_ty(m, &imp.self_ty);
                            for t in trait_targets {
                                let Target::Item(tid) = t else { continue };
                                let Some(paths) = self.paths_of.get(&tid).cloned() else {
                                    continue;
                                };
                                for (p, tcfg) in paths {
                                    let mut c = tcfg.clone();
                                    c.extend(impl_cfg.iter().cloned());
                                    let key = format!("{p} impl for {self_shape}");
                                    // Its methods are reachable by anyone holding the
                                    // foreign type: public entry points.
                                    for ii in &imp.items {
                                        if let ImplItem::Fn(f) = ii {
                                            let shown = format!(
                                                "{} (impl for {self_shape})",
                                                self.display(&format!("{p}::{}", f.sig.ident))
                                            );
                                            self.public
                                                .entry((impl_id, Some(f.sig.ident.to_string())))
                                                .or_default()
                                                .push(shown);
                                        }
                                    }
                                    self.add(
                                        key,
                                        ItemKind::Impl,
                                        (sig.clone(), shape.clone()),
                                        &c,
                                        Some(&p),
                                        facts.clone(),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The local type a type alias stands for, when it passes its
    /// parameters through unchanged (`type A<T> = B<T>;`).
    fn alias_target(&self, id: ItemId) -> Option<ItemId> {
        let decl = &self.krate.decls[id];
        let Item::Type(t) = &decl.item else {
            return None;
        };
        let syn::Type::Path(tp) = &*t.ty else {
            return None;
        };
        if tp.qself.is_some() || !passes_parameters_through(tp, &t.generics) {
            return None;
        }
        let segs: Vec<String> = tp
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        match self.krate.resolve(decl.module, &segs, 0).first() {
            Some(Target::Item(target)) if *target != id => Some(*target),
            _ => None,
        }
    }

    /// A trait impl's header in comparison form (`impl<__P0> Tr for
    /// S<__P0> where ..; type Item = ..`) and in parts.
    fn impl_shape(&self, module: ModId, imp: &syn::ItemImpl) -> (String, ImplShape) {
        use syn::visit_mut::VisitMut;
        let c = canon::canon_impl(imp);
        let mut n = self.normalizer(module);
        let mut self_ty = c.self_ty;
        n.visit_type_mut(&mut self_ty);
        let self_ty = unraw_text(&render::ty(&self_ty));
        let trait_ref = match c.trait_path {
            Some(mut p) => {
                n.visit_path_mut(&mut p);
                unraw_text(&render::ty(&syn::parse_quote!(#p)))
            }
            None => String::new(),
        };
        let mut g = syn::Generics::default();
        if !c.preds.is_empty() {
            g.where_clause = Some(syn::WhereClause {
                where_token: Default::default(),
                predicates: c.preds.into_iter().collect(),
            });
        }
        n.visit_generics_mut(&mut g);
        let preds: Vec<String> = g
            .where_clause
            .as_ref()
            .map(|w| {
                w.predicates
                    .iter()
                    .map(|p| unraw_text(&render::tokens(p)))
                    .collect()
            })
            .unwrap_or_default();
        let assoc: Vec<(String, String)> = c
            .assoc
            .into_iter()
            .map(|(name, mut t)| {
                n.visit_type_mut(&mut t);
                (name, unraw_text(&render::ty(&t)))
            })
            .collect();
        let mut shape = format!("impl<{}> {trait_ref} for {self_ty}", c.params.join(", "));
        if !preds.is_empty() {
            shape.push_str(&format!(" where {}", preds.join(", ")));
        }
        for (name, t) in &assoc {
            shape.push_str(&format!("; type {name} = {t}"));
        }
        (
            shape,
            ImplShape {
                self_ty,
                trait_ref,
                params: c.params,
                preds,
                assoc,
            },
        )
    }

    fn inherent_items(
        &mut self,
        impl_id: ItemId,
        owner: &str,
        imp: &syn::ItemImpl,
        cfg: &BTreeSet<String>,
    ) {
        for ii in &imp.items {
            match ii {
                ImplItem::Fn(f) if matches!(f.vis, Visibility::Public(_)) => {
                    let own = cfgs(&f.attrs);
                    if is_test_only(&own) {
                        continue;
                    }
                    if is_hidden(&f.attrs) {
                        self.hidden.insert(format!("{owner}::{}", f.sig.ident));
                        continue;
                    }
                    let mut c = cfg.clone();
                    c.extend(own);
                    let s = render::signature(&f.vis, &f.sig);
                    let self_name = match &*imp.self_ty {
                        syn::Type::Path(tp) => tp.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    };
                    let mut bare = f.sig.clone();
                    bare.safety = syn::Safety::Default;
                    let module = self.krate.decls[impl_id].module;
                    let (sh, parts) = self.fn_shape(
                        module,
                        &Outer::Inherent {
                            self_ty: &imp.self_ty,
                            generics: &imp.generics,
                        },
                        self_name.as_deref(),
                        &f.vis,
                        &bare,
                    );
                    let shown = self.display(&format!("{owner}::{}", f.sig.ident));
                    self.public
                        .entry((impl_id, Some(f.sig.ident.to_string())))
                        .or_default()
                        .push(shown);
                    let key = format!("{owner}::{}", f.sig.ident);
                    self.add(
                        key.clone(),
                        ItemKind::Method,
                        (s, sh),
                        &c,
                        Some(owner),
                        Facts {
                            is_const: Some(f.sig.constness.is_some()),
                            is_unsafe: Some(matches!(f.sig.safety, syn::Safety::Unsafe(_))),
                            fn_sig: Some(Box::new(parts)),
                            decl_module: self.module_path(module),
                            ..Facts::default()
                        },
                    );
                    self.mark(&key, &f.attrs, DeriveHelpers::default());
                    if contains_type_macro(|v| syn::visit::Visit::visit_signature(v, &f.sig)) {
                        self.macro_type(&key);
                    }
                }
                ImplItem::Const(k) if matches!(k.vis, Visibility::Public(_)) => {
                    if is_test_only(&cfgs(&k.attrs)) {
                        continue;
                    }
                    if is_hidden(&k.attrs) {
                        self.hidden.insert(format!("{owner}::{}", k.ident));
                        continue;
                    }
                    let module = self.krate.decls[impl_id].module;
                    let s = format!("pub const {}: {}", k.ident, render::ty(&k.ty));
                    let sh = format!(
                        "pub const {}: {}",
                        k.ident,
                        self.value_ty_shape(module, &k.ty)
                    );
                    self.add(
                        format!("{owner}::{}", k.ident),
                        ItemKind::AssocConst,
                        (s, sh),
                        cfg,
                        Some(owner),
                        Facts {
                            decl_module: self.module_path(module),
                            ..Facts::default()
                        },
                    );
                }
                _ => {}
            }
        }
    }
}

/// For a proc-macro entry point: its key and signature as users see it
/// (`name!`, `#[name]`, `derive(Name)` with its helper attributes).
fn proc_macro_name(attrs: &[Attribute], fn_name: &str) -> Option<(String, String)> {
    for a in attrs {
        if a.path().is_ident("proc_macro") {
            return Some((
                format!("{fn_name}!"),
                format!("#[proc_macro] {fn_name}!(..)"),
            ));
        }
        if a.path().is_ident("proc_macro_attribute") {
            return Some((
                format!("#[{fn_name}]"),
                format!("#[proc_macro_attribute] #[{fn_name}]"),
            ));
        }
        if a.path().is_ident("proc_macro_derive") {
            let list = a.meta.require_list().ok()?;
            let text = render::tokens(&list.tokens);
            let derive = text.split(',').next()?.trim().to_string();
            return Some((
                format!("derive({derive})"),
                format!("#[proc_macro_derive({text})]"),
            ));
        }
    }
    None
}

/// `a | b` with the alternatives sorted and each listed once.
fn merge_alternatives(a: &str, b: &str) -> String {
    let mut all: Vec<&str> = a.split(" | ").chain(b.split(" | ")).collect();
    all.sort_unstable();
    all.dedup();
    all.join(" | ")
}

/// The names of the public fields, in declaration order (`0`, `1`, .. for
/// tuple fields).
fn public_field_names(fields: &Fields) -> Vec<String> {
    fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.vis, Visibility::Public(_)))
        .map(|(i, f)| {
            f.ident
                .as_ref()
                .map(|i| unraw_text(&i.to_string()))
                .unwrap_or_else(|| i.to_string())
        })
        .collect()
}

/// ` { a: T, b: U }`, `(T, U)` or nothing, with types rendered by `ty`.
fn variant_fields(fields: &Fields, ty: impl Fn(&syn::Type) -> String) -> String {
    match fields {
        Fields::Named(n) => {
            let parts: Vec<String> = n
                .named
                .iter()
                .map(|f| {
                    let name = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                    format!("{name}: {}", ty(&f.ty))
                })
                .collect();
            format!(" {{ {} }}", parts.join(", "))
        }
        Fields::Unnamed(u) => {
            let parts: Vec<String> = u.unnamed.iter().map(|f| ty(&f.ty)).collect();
            format!("({})", parts.join(", "))
        }
        Fields::Unit => String::new(),
    }
}

/// The parts of `#[repr(..)]`, sorted: `C, packed`, `u8`, `align(8)`.
fn repr(attrs: &[Attribute]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |tokens: &proc_macro2::TokenStream| {
        parts.extend(
            split_top_level(&render::tokens(tokens))
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    };
    for a in attrs {
        if a.path().is_ident("repr") {
            if let Ok(l) = a.meta.require_list() {
                add(&l.tokens);
            }
        } else if a.path().is_ident("cfg_attr") {
            // `#[cfg_attr(not(doc), repr(transparent))]` (anyhow): the
            // layout holds wherever the condition does, which is every real
            // build for the usual `not(doc)`; read it as a repr.
            let metas = a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            );
            for m in metas.into_iter().flatten().skip(1) {
                if let syn::Meta::List(l) = &m
                    && l.path.is_ident("repr")
                {
                    add(&l.tokens);
                }
            }
        }
    }
    parts.sort();
    parts.dedup();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Attributes the compiler or a tool defines; anything else on an item is
/// an attribute macro, whose output the syn engine does not see.
fn is_attribute_macro(a: &Attribute) -> bool {
    const BUILTIN: &[&str] = &[
        "cfg",
        "cfg_attr",
        "doc",
        "derive",
        "repr",
        "non_exhaustive",
        "deprecated",
        "must_use",
        "inline",
        "cold",
        "track_caller",
        "allow",
        "warn",
        "deny",
        "forbid",
        "expect",
        "path",
        "macro_export",
        "macro_use",
        "test",
        "ignore",
        "should_panic",
        "no_mangle",
        "export_name",
        "link",
        "link_name",
        "link_section",
        "used",
        "target_feature",
        "automatically_derived",
        "proc_macro",
        "proc_macro_derive",
        "proc_macro_attribute",
        "global_allocator",
        "panic_handler",
        "no_std",
        "no_implicit_prelude",
        "unsafe",
        "instruction_set",
        "collapse_debuginfo",
        "debugger_visualizer",
        "coverage",
        "optimize",
        "naked",
        "diagnostic",
        "rustfmt",
        "clippy",
        "rustdoc",
        "feature",
        "stable",
        "unstable",
        "rustc_const_stable",
        "rustc_const_unstable",
        "const_trait",
        "may_dangle",
    ];
    let Some(first) = a.path().segments.first() else {
        return false;
    };
    let first = first.ident.to_string();
    !BUILTIN.contains(&first.as_str()) && !first.starts_with("rustc_")
}

/// Whether `dyn Trait` is allowed, as far as the declaration shows: no
/// `Sized` supertrait, no associated consts or generic associated types,
/// and every method without `where Self: Sized` has a receiver, no type or
/// const parameters, is not `async`, and returns neither `Self` nor
/// `impl Trait`.
fn object_safe(t: &syn::ItemTrait) -> bool {
    let is_sized = |b: &syn::TypeParamBound| {
        matches!(b, syn::TypeParamBound::Trait(tb)
            if tb.path.segments.last().is_some_and(|s| s.ident == "Sized"))
    };
    let self_sized = |g: &syn::Generics| {
        g.where_clause.as_ref().is_some_and(|w| {
            w.predicates.iter().any(|p| match p {
                syn::WherePredicate::Type(pt) => {
                    matches!(&pt.bounded_ty, syn::Type::Path(tp) if tp.path.is_ident("Self"))
                        && pt.bounds.iter().any(is_sized)
                }
                _ => false,
            })
        })
    };
    if t.supertraits.iter().any(is_sized) {
        return false;
    }
    t.items.iter().all(|item| match item {
        TraitItem::Const(_) => false,
        TraitItem::Type(ty) => ty.generics.params.is_empty(),
        TraitItem::Fn(f) => {
            if self_sized(&f.sig.generics) {
                return true;
            }
            let returns_self_or_impl = match &f.sig.output {
                syn::ReturnType::Default => false,
                syn::ReturnType::Type(_, ty) => self_or_impl(ty),
            };
            // `fn f(&self, other: &Self)`, `fn g(&self, x: impl Fn())`.
            let takes_self_or_impl = f.sig.inputs.iter().any(|a| match a {
                syn::FnArg::Typed(pt) => self_or_impl(&pt.ty),
                syn::FnArg::Receiver(_) => false,
            });
            f.sig.receiver().is_some()
                && !takes_self_or_impl
                && f.sig.asyncness.is_none()
                && !f
                    .sig
                    .generics
                    .params
                    .iter()
                    .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
                && !returns_self_or_impl
        }
        _ => true,
    })
}

/// `g` with its parameters renamed by `renames` (their own names too).
pub(crate) fn rename_generics(renames: &canon::Renames, g: &syn::Generics) -> syn::Generics {
    use syn::visit_mut::VisitMut;
    let mut g = g.clone();
    let mut r = renames.clone();
    r.visit_generics_mut(&mut g);
    for p in g.params.iter_mut() {
        let id = match p {
            syn::GenericParam::Type(t) => &mut t.ident,
            syn::GenericParam::Const(c) => &mut c.ident,
            syn::GenericParam::Lifetime(_) => continue,
        };
        if let Some(new) = renames.types.get(&id.to_string()) {
            *id = syn::Ident::new(new, id.span());
        }
    }
    g
}

/// Whether `ty` names the type `Self` (not `Self::Assoc`) or an
/// `impl Trait` anywhere: a method using it cannot be called on `dyn Trait`.
fn self_or_impl(ty: &syn::Type) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_type(&mut self, t: &'ast syn::Type) {
            match t {
                syn::Type::ImplTrait(_) => self.0 = true,
                syn::Type::Path(tp) if tp.qself.is_none() && tp.path.is_ident("Self") => {
                    self.0 = true
                }
                _ => syn::visit::visit_type(self, t),
            }
        }
    }
    let mut f = Find(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

/// Trait names in `#[derive(...)]` attributes (last path segment).
pub(crate) fn derives(attrs: &[Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs {
        if !a.path().is_ident("derive") {
            continue;
        }
        let _ = a.parse_nested_meta(|meta| {
            if let Some(last) = meta.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}

/// Trait names derived under a condition, `#[cfg_attr(COND, derive(..))]`
/// (as `serde`'s `#[cfg_attr(feature = "serde", derive(Serialize))]`), each
/// with COND written as `#[cfg]` conditions are.
pub(crate) fn conditional_derives(attrs: &[Attribute]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("cfg_attr")) {
        let metas = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
        let Ok(metas) = a.parse_args_with(metas) else {
            continue;
        };
        let mut it = metas.iter();
        let Some(cond) = it.next() else {
            continue;
        };
        let cond = render::tokens(cond);
        for m in it {
            let syn::Meta::List(list) = m else {
                continue;
            };
            // `cfg_attr(a, cfg_attr(b, derive(..)))`: under all(a, b).
            if list.path.is_ident("cfg_attr") {
                let inner: Attribute = syn::parse_quote!(#[#list]);
                out.extend(
                    conditional_derives(std::slice::from_ref(&inner))
                        .into_iter()
                        .map(|(t, c)| (t, format!("all({cond}, {c})"))),
                );
                continue;
            }
            if !list.path.is_ident("derive") {
                continue;
            }
            let paths = syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated;
            if let Ok(paths) = list.parse_args_with(paths) {
                out.extend(
                    paths
                        .iter()
                        .filter_map(|p| p.segments.last())
                        .map(|s| (s.ident.to_string(), cond.clone())),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(files: &[(&str, &str)]) -> ApiSurface {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"t\"\nversion = \"1.0.0\"\n",
        )
        .expect("manifest");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        surface_from_dir(dir.path()).expect("surface")
    }

    #[test]
    fn types_compare_by_meaning_not_spelling() {
        let old = surface(&[(
            "src/lib.rs",
            "mod host { use std::net::Ipv4Addr; pub enum Host { V4(Ipv4Addr) } pub fn f() -> Vec<u8> { vec![] } }\npub use host::*;",
        )]);
        let new = surface(&[(
            "src/lib.rs",
            "#[cfg(feature = \"std\")] pub(crate) mod net { pub use std::net::*; }\n#[cfg(not(feature = \"std\"))] pub(crate) mod net { pub use core::net::*; }\nextern crate alloc;\nmod host { use crate::net::Ipv4Addr; pub enum Host { V4(Ipv4Addr) } pub fn f() -> alloc::vec::Vec<u8> { vec![] } }\npub use host::*;",
        )]);
        for key in ["Host::V4", "f"] {
            assert_eq!(old.items[key].shape, new.items[key].shape, "{key}");
        }
        assert_ne!(
            old.items["f"].signature, new.items["f"].signature,
            "display keeps the spelling"
        );
    }

    #[test]
    fn items_inside_wrapper_macros_and_includes_are_read() {
        let s = surface(&[
            (
                "src/lib.rs",
                "cfg_feature! { #![feature = \"client\"] pub mod client { pub struct SendRequest; } }\npin_project! { pub struct Fut { f: u8 } }\ntest_for_each_provider! { use std::prelude::v1::*; pub fn not_api() {} }\ninclude!(\"generated.rs\");",
            ),
            (
                "src/generated.rs",
                "pub fn from_include() {}\ninclude!(\"Windows/mod.rs\");",
            ),
            ("src/Windows/mod.rs", "pub mod Win32;"),
            ("src/Windows/Win32.rs", "pub fn foundation() {}"),
        ]);
        assert!(
            s.items.contains_key("Win32::foundation"),
            "{:?}",
            s.problems
        );
        assert_eq!(
            s.items["client::SendRequest"].cfg.as_deref(),
            Some("feature = \"client\"")
        );
        assert!(s.items.contains_key("Fut"));
        assert!(s.items.contains_key("from_include"));
        assert!(!s.items.contains_key("not_api"));
    }

    #[test]
    fn a_private_module_is_not_made_public_by_a_pub_use_of_its_namesake() {
        let s = surface(&[(
            "src/lib.rs",
            "mod spawn { pub fn spawn() {} pub fn helper() {} }\npub use spawn::spawn;",
        )]);
        let keys: Vec<&str> = s.items.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["spawn"]);
        assert_eq!(s.items["spawn"].kind, ItemKind::Function);
    }

    #[test]
    fn nested_all_conditions_read_the_same() {
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<String>>()
        };
        let a = cfg_text(&set(&[
            "any(feature = \"full\", feature = \"derive\")",
            "feature = \"full\"",
            "feature = \"parsing\"",
        ]));
        let b = cfg_text(&set(&[
            "all(feature = \"full\", feature = \"parsing\")",
            "any(feature = \"full\", feature = \"derive\")",
        ]));
        assert_eq!(a, b);
        assert_eq!(
            all_args("all(a, b(c, d))"),
            Some(vec!["a".to_string(), "b(c, d)".to_string()])
        );
        assert_eq!(all_args("all(a), b(c)"), None);
        assert_eq!(all_args("any(a, b)"), None);
    }

    #[test]
    fn derives_under_cfg_attr_keep_their_conditions() {
        let item: syn::ItemStruct = syn::parse_quote! {
            #[cfg_attr(feature = "x", derive(Debug, Clone))]
            #[cfg_attr(feature = "x", cfg_attr(unix, derive(Copy)))]
            #[cfg_attr(feature = "x", path = "ignored")]
            pub struct S;
        };
        assert_eq!(
            conditional_derives(&item.attrs),
            vec![
                ("Debug".to_string(), "feature = \"x\"".to_string()),
                ("Clone".to_string(), "feature = \"x\"".to_string()),
                ("Copy".to_string(), "all(feature = \"x\", unix)".to_string()),
            ]
        );
    }

    #[test]
    fn a_wrapper_macro_says_which_conditions_it_adds() {
        let conds = |body: &str| {
            wrapper_conditions(&body.parse().expect("tokens"))
                .map(|c| c.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            conds(
                "($($item:item)*) => { $( #[cfg(feature = \"rt\")] #[cfg_attr(docsrs, doc(cfg(feature = \"rt\")))] $item )* }"
            ),
            Some(vec!["feature = \"rt\"".to_string()])
        );
        // Another rule first, two conditions, `;` after the rule.
        assert_eq!(
            conds(
                "(@inner $x:expr) => { $x }; ($($i:item)*) => { $( #[cfg(unix)] #[cfg(not(loom))] $i )* };"
            ),
            Some(vec!["unix".to_string(), "not (loom)".to_string()])
        );
        // No condition, or not a wrapper of items: nothing to add.
        assert_eq!(conds("($($item:item)*) => { $( $item )* }"), None);
        assert_eq!(conds("($e:expr) => { #[cfg(unix)] fn f() {} }"), None);
        assert_eq!(
            conds("($($item:item)*) => { $( #[cfg(unix)] $item pub fn extra() {} )* }"),
            None
        );
    }

    #[test]
    fn items_of_a_wrapper_macro_carry_its_condition() {
        let s = surface(&[(
            "src/lib.rs",
            "macro_rules! cfg_rt { ($($item:item)*) => { $( #[cfg(feature = \"rt\")] $item )* } }\ncfg_rt! { pub fn spawn() {} }\npub fn always() {}\n",
        )]);
        assert_eq!(s.items["spawn"].cfg.as_deref(), Some("feature = \"rt\""));
        assert_eq!(s.items["always"].cfg, None);
        // One wrapper inside another: both conditions.
        let s = surface(&[(
            "src/lib.rs",
            "macro_rules! cfg_rt { ($($item:item)*) => { $( #[cfg(feature = \"rt\")] $item )* } }\nmacro_rules! cfg_unstable { ($($item:item)*) => { $( #[cfg(tokio_unstable)] $item )* } }\ncfg_rt! { cfg_unstable! { pub fn budget() {} } }\n",
        )]);
        let cfg = s.items["budget"].cfg.clone().expect("a condition");
        assert!(
            cfg.contains("feature = \"rt\"") && cfg.contains("tokio_unstable"),
            "{cfg}"
        );
    }

    #[test]
    fn cfg_if_branches_are_read_with_their_conditions() {
        let s = surface(&[
            (
                "src/lib.rs",
                "cfg_if::cfg_if! { if #[cfg(unix)] { pub fn f() -> u8 { 1 } } else if #[cfg(windows)] { pub fn f() -> u16 { 1 } pub fn g() {} } else { pub fn h() {} } }\n#[cfg(all(test, feature = \"x\"))] pub fn only_tests() {}\n#[cfg_attr(unix, path = \"plat/unix.rs\")] pub mod plat;",
            ),
            ("src/plat/unix.rs", "pub fn on_unix() {}"),
        ]);
        assert_eq!(
            s.items["f"].cfg.as_deref(),
            Some("any(all(not(any(unix)), windows), unix)")
        );
        assert_eq!(
            s.items["f"].signature,
            "pub fn f() -> u16 | pub fn f() -> u8"
        );
        assert_eq!(s.items["h"].cfg.as_deref(), Some("not(any(unix, windows))"));
        assert!(s.items.contains_key("g"));
        assert!(!s.items.contains_key("only_tests"));
        assert!(s.items.contains_key("plat::on_unix"), "{:?}", s.problems);
    }

    #[test]
    fn proc_macros_are_named_as_users_write_them() {
        let s = surface(&[(
            "src/lib.rs",
            "use proc_macro::TokenStream;\n#[proc_macro_derive(Serialize, attributes(serde))] pub fn derive_serialize(i: TokenStream) -> TokenStream { i }\n#[proc_macro] pub fn sql(i: TokenStream) -> TokenStream { i }\n#[proc_macro_attribute] pub fn route(a: TokenStream, i: TokenStream) -> TokenStream { i }",
        )]);
        let keys: Vec<&str> = s.items.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["#[route]", "derive(Serialize)", "sql!"]);
        assert_eq!(
            s.items["derive(Serialize)"].signature,
            "#[proc_macro_derive(Serialize, attributes(serde))]"
        );
    }

    #[test]
    fn derive_helpers_are_not_attribute_macros() {
        let s = surface(&[(
            "src/lib.rs",
            "#[derive(serde::Serialize, Default)]\n#[serde(rename_all = \"lowercase\")]\npub enum E { #[default] #[serde(rename = \"x\")] A, B }\n#[tracing::instrument]\npub fn f() {}\n#[derive(Default)]\n#[my_attr]\npub struct S;",
        )]);
        let notes = s.notes.join("\n");
        assert!(
            notes.contains("#[tracing::instrument] on `t::f`"),
            "{notes}"
        );
        assert!(notes.contains("#[my_attr] on `t::S`"), "{notes}");
        assert!(!notes.contains("serde]"), "{notes}");
        assert!(!notes.contains("#[default]"), "{notes}");
    }

    #[test]
    fn variants_and_macros_reexported_have_paths() {
        let s = surface(&[(
            "src/lib.rs",
            "pub enum Color { Red, Blue(u8) }\npub use Color::*;\npub mod m { pub use crate::Color::Red as Rouge; }\n#[doc(hidden)] #[macro_export] macro_rules! __mk { () => {} }\npub use __mk as mk;\npub mod x { pub use crate::mk; }",
        )]);
        for key in ["Red", "Blue", "m::Rouge", "mk!", "x::mk!"] {
            assert!(s.items.contains_key(key), "{key}: {:?}", s.items.keys());
        }
        assert_eq!(s.items["Blue"].signature, "Blue(u8)");
        assert!(s.items["Red"].parent.is_none());
        assert!(!s.items.contains_key("__mk!"));
    }

    #[test]
    fn hidden_members_that_bind_users_are_kept_aside() {
        let s = surface(&[(
            "src/lib.rs",
            "pub trait T { #[doc(hidden)] fn req(&self); #[doc(hidden)] fn opt(&self) {} }\npub struct S { pub a: u8, #[doc(hidden)] pub b: u8 }\npub enum E { A, #[doc(hidden)] B }",
        )]);
        for key in ["T::req", "T::opt", "S.b", "E::B"] {
            assert!(s.hidden.contains(key), "{key}");
            assert!(!s.items.contains_key(key), "{key}");
            assert!(s.hidden_items.contains_key(key), "{key}");
        }
        assert_eq!(s.hidden_items["T::req"].facts.has_default, Some(false));
        assert_eq!(s.hidden_items["T::opt"].facts.has_default, Some(true));
    }

    #[test]
    fn unread_macros_are_placed() {
        let s = surface(&[(
            "src/lib.rs",
            "mod inner { impl_things!(Foo); }\npub struct S;\nimpl S { getters!(a, b); }\ncompile_error!(\"no\");",
        )]);
        let find = |name: &str| {
            s.unread
                .iter()
                .find(|m| m.name == name)
                .unwrap_or_else(|| panic!("{name}: {:?}", s.unread))
        };
        assert_eq!(find("impl_things").module, "inner");
        assert!(find("impl_things").mentions.contains("Foo"));
        assert_eq!(find("getters").in_impl_of.as_deref(), Some("S"));
        assert_eq!(find("compile_error").module, "");
    }

    #[test]
    fn implicit_discriminants_are_computed() {
        let s = surface(&[(
            "src/lib.rs",
            "#[repr(u8)] pub enum E { A, B = 5, C, D = N, F }\nconst N: u8 = 9;",
        )]);
        let v = |k: &str| s.items[k].facts.discriminant_value;
        assert_eq!(
            (v("E::A"), v("E::B"), v("E::C"), v("E::D"), v("E::F")),
            (Some(0), Some(5), Some(6), None, None)
        );
        assert!(s.items["E"].facts.fieldless);
    }

    #[test]
    fn manifest_facts_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"t\"\nversion = \"1.0.0\"\n[dependencies]\nserde = { version = \"1\", optional = true }\nlog = \"0.4\"\n[target.'cfg(unix)'.dependencies]\nlibc = { version = \"0.2\", optional = true }\n[features]\nsys = [\"dep:libc\"]\n",
        )
        .expect("manifest");
        std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "#![cfg_attr(not(feature = \"std\"), no_std)]\npub fn f() {}",
        )
        .expect("lib");
        let s = surface_from_dir(dir.path()).expect("surface");
        let deps: Vec<&str> = s.optional_deps.iter().map(String::as_str).collect();
        assert_eq!(deps, vec!["libc", "serde"]);
        assert!(s.implicit_feature("serde"));
        assert!(!s.implicit_feature("libc"), "named with dep:");
        assert_eq!(s.no_std.as_deref(), Some("not(feature = \"std\")"));
    }

    /// `use std::{u8, u16};` imports std's modules: `u8` as a type is still
    /// the primitive (http 1.1.0 -> 1.2.0 dropped such an import), and so
    /// is `core::primitive::u8`; a type of the crate named so shadows it.
    #[test]
    fn primitive_names_stay_primitives_when_a_module_of_that_name_is_imported() {
        let plain = surface(&[(
            "src/lib.rs",
            "pub struct U; impl U { pub fn port(&self) -> Option<u16> { None } }\nimpl TryFrom<&[u8]> for U { type Error = (); fn try_from(_: &[u8]) -> Result<U, ()> { Err(()) } }\npub fn max() -> [u8; u8::MAX as usize] { todo!() }",
        )]);
        let imported = surface(&[(
            "src/lib.rs",
            "use std::{u16, u8};\npub struct U; impl U { pub fn port(&self) -> Option<u16> { None } }\nimpl TryFrom<&[u8]> for U { type Error = (); fn try_from(_: &[u8]) -> Result<U, ()> { Err(()) } }\npub fn max() -> [u8; u8::MAX as usize] { todo!() }",
        )]);
        let spelled = surface(&[(
            "src/lib.rs",
            "pub struct U; impl U { pub fn port(&self) -> Option<core::primitive::u16> { None } }",
        )]);
        for key in ["U::port", "U impl TryFrom<&[u8]>"] {
            assert!(
                imported.items.contains_key(key),
                "{key}: {:?}",
                imported.items.keys()
            );
            assert_eq!(plain.items[key].shape, imported.items[key].shape, "{key}");
        }
        assert_eq!(plain.items["U::port"].shape, spelled.items["U::port"].shape);
        // `u8::MAX` goes through the import to `std::u8::MAX`: a path, not a type.
        assert!(
            imported.items["max"].shape.contains("std::u8::MAX"),
            "{}",
            imported.items["max"].shape
        );
        // A type of the crate named `u8` is that type.
        let shadowed = surface(&[(
            "src/lib.rs",
            "#[allow(non_camel_case_types)] pub struct u8; pub fn f() -> u8 { u8 }",
        )]);
        let primitive = surface(&[("src/lib.rs", "pub fn f() -> u8 { 0 }")]);
        assert_ne!(shadowed.items["f"].shape, primitive.items["f"].shape);
    }

    /// Pairs of spellings of one contract: the comparison form must agree.
    #[test]
    fn spelling_only_changes_have_equal_shapes() {
        let same = [
            (
                "pub struct R<'a>(&'a u8); pub fn f(r: R) {}",
                "pub struct R<'a>(&'a u8); pub fn f(r: R<'_>) {}",
                "f",
            ),
            (
                "pub struct S; pub struct X<'a>(&'a u8); impl S { pub fn iter<'a>(&'a self) -> X<'a> { todo!() } }",
                "pub struct S; pub struct X<'a>(&'a u8); impl S { pub fn iter(&self) -> X<'_> { todo!() } }",
                "S::iter",
            ),
            (
                "pub struct S; impl S { pub fn go(mut self) {} }",
                "pub struct S; impl S { pub fn go(self) {} }",
                "S::go",
            ),
            (
                "pub struct S; impl S { pub fn new() -> S { S } }",
                "pub struct S; impl S { pub fn new() -> Self { S } }",
                "S::new",
            ),
            (
                "pub fn f<T: Clone + Send>(t: T) {}",
                "pub fn f<T>(t: T) where T: Send + Clone {}",
                "f",
            ),
            (
                "pub fn f<A, B>() where A: Copy, B: Copy {}",
                "pub fn f<A, B>() where B: Copy, A: Copy {}",
                "f",
            ),
            (
                "pub fn f() -> std::string::String { todo!() }",
                "pub fn f() -> String { todo!() }",
                "f",
            ),
            (
                "pub fn f() -> u8 { 1 }",
                "pub const fn f() -> u8 { 1 }",
                "f",
            ),
            (
                "pub struct Holder<'a>(&'a u8);",
                "pub struct Holder<'b>(&'b u8);",
                "Holder",
            ),
            (
                "pub struct G<'a>(&'a u8); pub const C: G = G(&1);",
                "pub struct G<'a>(&'a u8); pub const C: G<'static> = G(&1);",
                "C",
            ),
            (
                "pub struct Prefilter; pub fn f(p: Prefilter) {}",
                "pub struct PrefilterConfig; pub use PrefilterConfig as Prefilter; pub fn f(p: Prefilter) {}",
                "f",
            ),
            (
                "pub struct S<T>(T); impl<T> S<T> { pub fn new(t: T) -> S<T> { todo!() } }",
                "pub struct S<T>(T); impl<U> S<U> { pub fn new(t: U) -> Self { todo!() } }",
                "S::new",
            ),
            (
                "pub fn f(x: impl Iterator<Item = u8> + Send) {}",
                "pub fn f(x: impl Send + Iterator<Item = u8>) {}",
                "f",
            ),
            ("pub struct S<T>(pub T);", "pub struct S<U>(pub U);", "S.0"),
            (
                "pub trait Tr<A> { fn f(&self, a: A) -> A; }",
                "pub trait Tr<B> { fn f(&self, a: B) -> B; }",
                "Tr::f",
            ),
        ];
        for (old, new, key) in same {
            let (o, n) = (
                surface(&[("src/lib.rs", old)]),
                surface(&[("src/lib.rs", new)]),
            );
            assert_eq!(o.items[key].shape, n.items[key].shape, "{old}  vs  {new}");
        }
        let different = [
            ("pub fn f(x: &'static str) {}", "pub fn f(x: &str) {}", "f"),
            (
                "pub fn f<T: Clone>(t: T) {}",
                "pub fn f<T: Copy>(t: T) {}",
                "f",
            ),
            ("pub fn f(x: u32) {}", "pub fn f(x: u64) {}", "f"),
            (
                "pub struct S; impl S { pub fn go(&self) {} }",
                "pub struct S; impl S { pub fn go(&mut self) {} }",
                "S::go",
            ),
            (
                "pub fn f<'a, 'b>(x: &'a str, y: &'b str) -> &'a str { x }",
                "pub fn f<'a, 'b>(x: &'a str, y: &'b str) -> &'b str { y }",
                "f",
            ),
            (
                "pub struct S<T>(T); impl<T> S<T> { pub fn new(t: T) -> S<u8> { todo!() } }",
                "pub struct S<T>(T); impl<T> S<T> { pub fn new(t: T) -> Self { todo!() } }",
                "S::new",
            ),
            (
                "mod a { pub struct Foo; } mod b { pub struct Foo; } pub use a::Foo as A; pub use b::Foo as B; use a::Foo; pub fn f(_: Foo) {}",
                "mod a { pub struct Foo; } mod b { pub struct Foo; } pub use a::Foo as A; pub use b::Foo as B; use b::Foo; pub fn f(_: Foo) {}",
                "f",
            ),
            (
                "pub fn f<T, U>(t: T) where U: TryFrom<T>, <U as TryFrom<T>>::Error: Send {}",
                "pub fn f<T, U>(t: T) where U: TryFrom<T>, <U as TryFrom<u8>>::Error: Send {}",
                "f",
            ),
        ];
        for (old, new, key) in different {
            let (o, n) = (
                surface(&[("src/lib.rs", old)]),
                surface(&[("src/lib.rs", new)]),
            );
            assert_ne!(o.items[key].shape, n.items[key].shape, "{old}  vs  {new}");
        }
    }
}
