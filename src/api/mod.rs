//! Public API model: every public item of a crate, by every path it can be
//! named by, with a normalized signature.
//!
//! The model is flat on purpose. A struct's public fields, an enum's variants,
//! a trait's items, inherent methods and trait impls are items of their own,
//! keyed by a string that says where they live. Diffing two surfaces is then a
//! merge of two sorted maps, and every semver rule looks at one item (and, for
//! members, its parent) at a time. Engines fill this model; `semver_check`
//! reads it and never looks at syntax.

pub mod engines;
pub mod features;
pub mod render;
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
}
