//! Public API model: every public item of a crate, by every path it can be
//! named by, with a normalized signature.
//!
//! The model is flat on purpose. A struct's public fields, an enum's variants,
//! a trait's items, inherent methods and trait impls are items of their own,
//! keyed by a string that says where they live. Diffing two surfaces is then a
//! merge of two sorted maps, and every semver rule looks at one item (and, for
//! members, its parent) at a time. Engines fill this model; `semver_check`
//! reads it and never looks at syntax.

mod canon;
pub mod engines;
pub mod features;
pub mod render;
mod rustdoc_canon;
pub mod rustdoc_engine;
pub mod syn_engine;

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What kind of thing an API item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    Module,
    Function,
    Struct,
    Field,
    Enum,
    Variant,
    Union,
    Trait,
    TraitMethod,
    TraitType,
    TraitConst,
    Method,
    AssocConst,
    Impl,
    Const,
    Static,
    TypeAlias,
    Macro,
    /// A `pub use` of another crate's item: its content is that crate's.
    ExternalReexport,
    /// A Cargo feature (from `Cargo.toml`).
    Feature,
}

impl ItemKind {
    /// Short word used in reports and in `bumpguard api` output.
    pub fn word(self) -> &'static str {
        match self {
            ItemKind::Module => "mod",
            ItemKind::Function => "fn",
            ItemKind::Struct => "struct",
            ItemKind::Field => "field",
            ItemKind::Enum => "enum",
            ItemKind::Variant => "variant",
            ItemKind::Union => "union",
            ItemKind::Trait => "trait",
            ItemKind::TraitMethod => "trait-fn",
            ItemKind::TraitType => "trait-type",
            ItemKind::TraitConst => "trait-const",
            ItemKind::Method => "method",
            ItemKind::AssocConst => "assoc-const",
            ItemKind::Impl => "impl",
            ItemKind::Const => "const",
            ItemKind::Static => "static",
            ItemKind::TypeAlias => "type",
            ItemKind::Macro => "macro",
            ItemKind::ExternalReexport => "re-export",
            ItemKind::Feature => "feature",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One public item under one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiItem {
    /// Unique key inside a surface, e.g. `tls::acme::alpn::Opts`,
    /// `tls::acme::alpn::Opts.tls_config`, `Opts::new`, `Opts impl Debug`.
    pub key: String,
    /// How a user names it, starting with the crate name
    /// (`ic_bn_lib::tls::acme::alpn::Opts`).
    pub path: String,
    pub kind: ItemKind,
    /// Normalized signature for display (`pub fn new(opts: Opts) -> Self`).
    pub signature: String,
    /// Normalized form used for comparison: like `signature` but without the
    /// names of function parameters, which callers cannot observe.
    #[serde(skip)]
    pub shape: String,
    /// The `#[cfg(...)]` conditions on the item and the modules above it,
    /// combined (`feature = "acme-alpn"`), if any.
    pub cfg: Option<String>,
    /// Key of the item this one belongs to (a field's struct, a method's type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Facts the semver rules need.
    #[serde(flatten)]
    pub facts: Facts,
}

/// Facts about an item that decide how its changes are classified.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Structs: code outside the crate can build it with a struct literal
    /// (every field public and no `#[non_exhaustive]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constructible: Option<bool>,
    /// Structs, enums, variants: `#[non_exhaustive]`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub non_exhaustive: bool,
    /// Trait items: has a default (a body for fns, a value or type otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_default: Option<bool>,
    /// Functions and methods: `const fn` (usable in constant expressions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_const: Option<bool>,
    /// Free functions and inherent methods: `unsafe fn` (kept out of the
    /// shape, so that becoming unsafe and becoming safe are told apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_unsafe: Option<bool>,
    /// Structs, enums, unions: the `#[repr(..)]` parts, sorted (`C, packed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repr: Option<String>,
    /// Variants: the explicit discriminant (`= 3`), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discriminant: Option<String>,
    /// Type, trait, alias: type parameters with a default (`U = u8`). They
    /// are left out of the shape, so that adding one is told apart from
    /// adding a parameter users must name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub defaulted_params: Vec<String>,
    /// `#[deprecated]`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// `#[must_use]`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub must_use: bool,
    /// Traits: a supertrait outside code cannot name, so no one outside the
    /// crate can implement it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
    /// Traits: usable as `dyn Trait`, where that can be decided from source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_safe: Option<bool>,
    /// Impls of auto traits (`Send`, `Sync`, ...): the compiler decided
    /// that the type has it (the rustdoc engine), so its absence in another
    /// version is certain, not a guess from the source.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compiler_checked: bool,
    /// Functions and methods: the parts of the canonical signature, for
    /// telling a generalization, a new bound or a new turbofish apart from
    /// other changes (both engines; the rustdoc engine leaves it out when
    /// a signature does not parse as Rust).
    #[serde(skip)]
    pub fn_sig: Option<Box<FnShape>>,
    /// Types, traits and aliases: their type and const parameters (both
    /// engines).
    #[serde(skip)]
    pub generics: Option<Box<GenericsShape>>,
    /// Trait impls: the canonical header (syn engine; derived impls have none).
    #[serde(skip)]
    pub impl_shape: Option<Box<ImplShape>>,
    /// Variants: the discriminant's value, explicit or implicit (previous
    /// plus one), when the explicit ones are integer literals.
    #[serde(skip)]
    pub discriminant_value: Option<i128>,
    /// Enums: every variant is a unit variant (`as` casts work on it).
    #[serde(skip)]
    pub fieldless: bool,
    /// Structs and unions: the public fields, in declaration order.
    #[serde(skip)]
    pub field_order: Vec<String>,
    /// Types: auto traits that a field's type certainly lacks (a raw
    /// pointer is neither `Send` nor `Sync`), so only an explicit impl can
    /// give them.
    #[serde(skip)]
    pub auto_blocked: Vec<String>,
    /// Where the declaration is written: its module's path (`a::b`, empty
    /// for the crate root).
    #[serde(skip)]
    pub decl_module: Option<String>,
}

/// A function signature in canonical form, in parts (see `api::canon`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FnShape {
    /// Qualifiers and name: `pub extern "C" fn f`.
    pub head: String,
    /// Canonical names of the type and const parameters a turbofish gives,
    /// in declaration order.
    pub explicit: Vec<String>,
    /// Every type and const parameter of the function (`impl Trait`
    /// arguments included), canonical: `__G0`, `const __G1: usize`.
    pub params: Vec<String>,
    /// Parameter types (`&self` for a receiver), normalized.
    pub inputs: Vec<String>,
    /// The return type, normalized (`()` when there is none).
    pub output: String,
    /// `where` predicates, one bound each, sorted.
    pub preds: Vec<String>,
}

/// The type and const parameters of a declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericsShape {
    /// `(canonical name, kind, default)`: kind `type` or `const: usize`,
    /// the default normalized.
    pub params: Vec<(String, String, Option<String>)>,
    /// The shape without its parameter list (where clause kept).
    pub rest: String,
}

/// A trait impl's header in canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImplShape {
    pub self_ty: String,
    pub trait_ref: String,
    /// Canonical parameter names (`__P0`, ..).
    pub params: Vec<String>,
    pub preds: Vec<String>,
    /// Associated types, `(name, type)`, sorted.
    pub assoc: Vec<(String, String)>,
}

/// An item-level macro invocation the syn engine could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadMacro {
    /// Module it is invoked in (`a::b`, empty for the root).
    pub module: String,
    /// Invoked inside an impl block of this type (last path segment).
    pub in_impl_of: Option<String>,
    /// The macro's name (last path segment).
    pub name: String,
    /// Identifiers in its input.
    pub mentions: std::collections::BTreeSet<String>,
}

/// A problem met while reading a crate's sources that did not stop the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceProblem {
    /// Crate-relative file.
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The public API of one crate version.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiSurface {
    /// The name code uses (`ic_bn_lib`).
    pub crate_name: String,
    pub version: Option<String>,
    /// Keyed by [`ApiItem::key`].
    pub items: BTreeMap<String, ApiItem>,
    /// Files that could not be read or parsed, modules whose file is missing.
    /// The items in them are missing from `items`.
    pub problems: Vec<SourceProblem>,
    /// What this engine could not see in this crate (macro-generated items, ...).
    pub notes: Vec<String>,
    /// Item-level macro invocations whose output the engine could not read.
    pub unexpanded_macros: usize,
    /// Keys of items that are public but `#[doc(hidden)]`: not API, but an
    /// item that becomes hidden is told apart from one that is removed.
    #[serde(skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub hidden: std::collections::BTreeSet<String>,
    /// The `[features]` table of `Cargo.toml` (`default` included).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, Vec<String>>,
    /// Optional dependencies (by the name features use), from `Cargo.toml`.
    #[serde(skip)]
    pub optional_deps: std::collections::BTreeSet<String>,
    /// Version requirements of the normal dependencies (any target), by the
    /// name code uses (the rename when there is one), from `Cargo.toml`.
    #[serde(skip)]
    pub dep_requirements: BTreeMap<String, String>,
    /// `#![no_std]`: `Some("")` always, `Some(cond)` for
    /// `#![cfg_attr(cond, no_std)]`, `None` when the crate needs std.
    #[serde(skip)]
    pub no_std: Option<String>,
    /// The macro invocations counted in `unexpanded_macros` (and those in
    /// impl blocks), with where they are.
    #[serde(skip)]
    pub unread: Vec<UnreadMacro>,
    /// This crate's types as signatures name them (`a::Foo`, the shortest
    /// public path) -> every public path of the same declaration, so that
    /// two versions can tell one declaration named two ways.
    #[serde(skip)]
    pub local_paths: BTreeMap<String, Vec<String>>,
    /// Hidden members that still bind users: required trait items (every
    /// implementation must write them), fields (struct literals must name
    /// them) and variants (exhaustive matches must cover them).
    #[serde(skip)]
    pub hidden_items: BTreeMap<String, ApiItem>,
}

impl ApiSurface {
    /// The features `default` turns on, or `name` does, closed over what
    /// each enables: feature names, `dep:x` and `x/feat` entries, and the
    /// implicit feature of an optional dependency.
    pub fn feature_closure(&self, name: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(f) = todo.pop() {
            for e in self.features.get(&f).into_iter().flatten() {
                if !out.insert(e.clone()) {
                    continue;
                }
                if let Some((dep, _)) = e.split_once('/') {
                    // `dep/feat` turns the dependency on (its implicit
                    // feature with it); `dep?/feat` does not.
                    if !dep.ends_with('?') && self.implicit_feature(dep) {
                        todo.push(dep.to_string());
                        out.insert(dep.to_string());
                    }
                } else if !e.starts_with("dep:") {
                    todo.push(e.clone());
                }
            }
        }
        out
    }

    /// `name` is an optional dependency that no feature names with `dep:`:
    /// cargo gives it a feature of its own.
    pub fn implicit_feature(&self, name: &str) -> bool {
        self.optional_deps.contains(name)
            && !self.features.contains_key(name)
            && !self
                .features
                .values()
                .flatten()
                .any(|e| e.strip_prefix("dep:") == Some(name))
    }
}
