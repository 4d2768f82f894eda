//! SemVer check: two API surfaces -> the changes between them, each with the
//! version bump it requires under the Cargo book's SemVer compatibility rules,
//! and the violations: changes larger than the actual version bump allows.
//!
//! Every change kind is a row of [`RULES`]: a stable code, the level it
//! requires, a one-line explanation and the Cargo book reference. The diff
//! below only decides which row applies; wording and levels live in the table.

use crate::api::features::{self, FeatureView};
use crate::api::{ApiItem, ApiSurface, ItemKind};
use crate::versions::Level;
use serde::Serialize;
use std::collections::BTreeSet;

/// One kind of API change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable, kebab-case; documented in `docs/api-changes.md`.
    pub code: &'static str,
    pub level: Level,
    /// The Cargo book calls it "possibly breaking": policy decides.
    pub possibly_breaking: bool,
    pub summary: &'static str,
    pub reference: &'static str,
}

macro_rules! rule {
    ($code:literal, $level:ident, $possibly:literal, $summary:literal, $anchor:literal) => {
        Rule {
            code: $code,
            level: Level::$level,
            possibly_breaking: $possibly,
            summary: $summary,
            reference: concat!(
                "https://doc.rust-lang.org/cargo/reference/semver.html",
                $anchor
            ),
        }
    };
}

/// Every API change kind bumpguard reports.
pub const RULES: &[Rule] = &[
    rule!(
        "item-removed",
        Major,
        false,
        "a public item can no longer be named by this path",
        "#item-remove"
    ),
    rule!("item-added", Minor, false, "a new public item", "#item-new"),
    rule!(
        "item-kind-changed",
        Major,
        false,
        "the path now names a different kind of item",
        "#item-remove"
    ),
    rule!(
        "item-signature-changed",
        Major,
        false,
        "the declaration of a public type, trait, const, static or alias changed",
        "#item-remove"
    ),
    rule!(
        "fn-signature-changed",
        Major,
        false,
        "a public function's signature changed (parameters, return type, generics, qualifiers)",
        "#fn-change-arity"
    ),
    rule!(
        "fn-const-removed",
        Major,
        false,
        "a `const fn` is no longer const; calls in constant expressions stop compiling",
        "#fn-change-arity"
    ),
    rule!(
        "method-added",
        Minor,
        true,
        "a new public inherent method or associated const (may shadow a trait method of the same name)",
        "#impl-item-new"
    ),
    rule!(
        "method-removed",
        Major,
        false,
        "a public inherent method or associated const was removed",
        "#item-remove"
    ),
    rule!(
        "struct-pub-field-added-constructible",
        Major,
        false,
        "a public field was added to a struct that outside code could build with a struct literal; those literals no longer compile",
        "#struct-add-public-field-when-no-private"
    ),
    rule!(
        "struct-pub-field-added",
        Minor,
        false,
        "a public field was added to a struct that outside code could not build with a literal",
        "#struct-private-fields-with-private"
    ),
    rule!(
        "struct-field-removed",
        Major,
        false,
        "a public field was removed or made private",
        "#item-remove"
    ),
    rule!(
        "struct-field-type-changed",
        Major,
        false,
        "a public field's type changed",
        "#item-remove"
    ),
    rule!(
        "struct-no-longer-constructible",
        Major,
        false,
        "a struct that outside code could build with a literal gained a private field or #[non_exhaustive]",
        "#struct-add-private-field-when-public"
    ),
    rule!(
        "enum-variant-added",
        Major,
        false,
        "a variant was added to an exhaustive enum; exhaustive matches no longer compile",
        "#enum-variant-new"
    ),
    rule!(
        "enum-variant-added-non-exhaustive",
        Minor,
        false,
        "a variant was added to a #[non_exhaustive] enum",
        "#enum-variant-new"
    ),
    rule!(
        "enum-variant-removed",
        Major,
        false,
        "a variant was removed",
        "#item-remove"
    ),
    rule!(
        "enum-variant-changed",
        Major,
        false,
        "a variant's fields changed",
        "#enum-fields-new"
    ),
    rule!(
        "enum-now-non-exhaustive",
        Major,
        false,
        "#[non_exhaustive] was added to an enum or variant",
        "#attr-adding-non-exhaustive"
    ),
    rule!(
        "trait-item-added-required",
        Major,
        false,
        "a trait gained an item without a default; every implementation outside the crate breaks",
        "#trait-new-item-no-default"
    ),
    rule!(
        "trait-item-added-defaulted",
        Minor,
        true,
        "a trait gained an item with a default",
        "#trait-new-default-item"
    ),
    rule!(
        "trait-item-removed",
        Major,
        false,
        "a trait item was removed",
        "#item-remove"
    ),
    rule!(
        "trait-item-changed",
        Major,
        false,
        "a trait item's signature changed",
        "#trait-item-signature"
    ),
    rule!(
        "trait-item-default-removed",
        Major,
        false,
        "a trait item lost its default; implementations that relied on it break",
        "#trait-new-item-no-default"
    ),
    rule!(
        "trait-impl-removed",
        Major,
        false,
        "a type no longer implements a trait",
        "#item-remove"
    ),
    rule!(
        "trait-impl-added",
        Minor,
        true,
        "a type implements a new trait (may make method calls ambiguous)",
        "#impl-item-new"
    ),
    rule!(
        "auto-trait-impl-removed",
        Minor,
        true,
        "an explicit impl of an auto trait (Send, Sync, Unpin, UnwindSafe) went; the type may still get it automatically, which the syn engine cannot check",
        "#item-remove"
    ),
    rule!(
        "auto-trait-lost",
        Major,
        false,
        "the type no longer implements an auto trait (Send, Sync, Unpin, UnwindSafe, RefUnwindSafe) as the compiler works it out from its fields (rustdoc engine); code that moves it across threads, shares it or pins it stops compiling",
        "#item-remove"
    ),
    rule!(
        "reexport-changed",
        Minor,
        true,
        "a re-export of another crate's item now points elsewhere",
        "#item-remove"
    ),
    rule!(
        "cfg-changed",
        Patch,
        true,
        "the #[cfg] conditions under which the item exists changed; it is still there with the features in view (other conditions, such as the target, are shown, not decided)",
        "#cargo-feature-remove"
    ),
    rule!(
        "item-feature-gated",
        Major,
        false,
        "the item now needs a feature the view does not enable (by default: a non-default feature); code that used it without that feature breaks",
        "#item-remove"
    ),
    rule!(
        "cargo-feature-removed",
        Major,
        false,
        "a Cargo feature was removed; dependents that enable it no longer resolve",
        "#cargo-feature-remove"
    ),
    rule!(
        "cargo-default-feature-dropped",
        Major,
        false,
        "a feature is no longer in `default`; dependents that relied on it without naming it lose what it enabled",
        "#cargo-feature-remove-another"
    ),
    rule!(
        "item-hidden",
        Patch,
        true,
        "still nameable, but hidden from the documentation and no longer promised as API (a warning, not a break)",
        "#item-remove"
    ),
    rule!(
        "fn-now-unsafe",
        Major,
        false,
        "a function became `unsafe`; calls outside `unsafe` blocks no longer compile",
        "#fn-unsafe-safe"
    ),
    rule!(
        "fn-unsafe-removed",
        Minor,
        false,
        "an `unsafe` function became safe (callers' `unsafe` blocks only become unnecessary)",
        "#fn-unsafe-safe"
    ),
    rule!(
        "fn-now-const",
        Minor,
        false,
        "a function became `const fn`: usable in constant expressions",
        "#item-new"
    ),
    rule!(
        "generic-bounds-tightened",
        Major,
        false,
        "generic bounds were added or tightened; uses with types that do not meet them break",
        "#generic-bounds-tighten"
    ),
    rule!(
        "generic-bounds-loosened",
        Minor,
        false,
        "generic bounds were removed or loosened",
        "#generic-bounds-loosen"
    ),
    rule!(
        "generic-param-with-default-added",
        Minor,
        false,
        "a type parameter with a default was added; existing uses keep the default",
        "#generic-new-default"
    ),
    rule!(
        "repr-removed",
        Major,
        false,
        "a #[repr] that defined the layout (C, transparent, an integer type) was removed",
        "#type-layout"
    ),
    rule!(
        "repr-changed",
        Major,
        false,
        "the #[repr] changed (integer type, packed, align): alignment, layout or size differ",
        "#type-layout"
    ),
    rule!(
        "repr-added",
        Minor,
        false,
        "a #[repr] (C, transparent, an integer type) was added to a type with the default representation",
        "#type-layout"
    ),
    rule!(
        "enum-discriminant-changed",
        Major,
        false,
        "an explicit enum discriminant changed; `as` casts and FFI see other values",
        "#type-layout"
    ),
    rule!(
        "sealed-trait-item-added",
        Minor,
        false,
        "a sealed trait (its supertrait cannot be named outside the crate) gained an item without a default; no outside implementation can exist",
        "#trait-new-item-no-default"
    ),
    rule!(
        "trait-no-longer-object-safe",
        Major,
        false,
        "the trait can no longer be used as `dyn Trait`",
        "#trait-object-safety"
    ),
    rule!(
        "item-deprecated",
        Patch,
        false,
        "users get a deprecation warning, nothing breaks (a note)",
        "#new-lints"
    ),
    rule!(
        "must-use-added",
        Patch,
        false,
        "ignoring the value now warns, nothing breaks (a note)",
        "#new-lints"
    ),
];

/// The row of [`RULES`] for `code`.
pub fn rule(code: &str) -> &'static Rule {
    RULES.iter().find(|r| r.code == code).unwrap_or(&RULES[0])
}

/// One API change between two versions.
#[derive(Debug, Clone, Serialize)]
pub struct ApiChange {
    pub code: &'static str,
    /// Key of the item in the surfaces (for placing it in a feature view).
    #[serde(skip)]
    pub key: String,
    /// The bump this change requires.
    pub required: Level,
    pub possibly_breaking: bool,
    pub kind: ItemKind,
    /// Full path (`ic_bn_lib::tls::acme::alpn::Opts.tls_config`).
    pub path: String,
    /// Old and new signature (absent for additions / removals).
    pub old: Option<String>,
    pub new: Option<String>,
    pub cfg: Option<String>,
    /// One line saying what changed and why it matters.
    pub message: String,
    pub reference: &'static str,
    /// Set by [`mark_violations`]: the actual version bump is too small for it.
    pub violation: bool,
    /// The engine could not see all of the other version (unexpanded
    /// macros), so this may not be a change at all (an impl that was
    /// generated by a macro before and is written out now). Never a
    /// violation on its own.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
    /// The features this change needs that the view does not enable: it
    /// exists only outside the feature set looked at. Under an explicit
    /// feature set (flags, or a consumer's features) it never violates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_features: Option<String>,
    /// Outside an explicitly chosen feature set: listed, never a violation.
    #[serde(skip)]
    pub not_in_view: bool,
    /// Id of a violation, for `bumpguard accept` (set by the gate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    /// Where the acceptance that covers this violation is written (it then
    /// no longer counts as a violation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// With `--engine both`: the engines that found this change (`syn`,
    /// `rustdoc`). Empty when one engine ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<&'static str>,
    /// Crate-relative file the item is declared in, when the syn engine's
    /// read of the crate finds its declaration (set by `rules::locate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Every path of the item: its public paths and its declaration path
    /// (set with `file`), so that rules match re-exported items. Empty when
    /// `path` is its only path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl ApiChange {
    fn new(
        code: &'static str,
        item: &ApiItem,
        old: Option<&ApiItem>,
        new: Option<&ApiItem>,
        detail: String,
    ) -> Self {
        let r = rule(code);
        ApiChange {
            code: r.code,
            key: item.key.clone(),
            required: r.level,
            possibly_breaking: r.possibly_breaking,
            kind: item.kind,
            path: item.path.clone(),
            old: old.map(|i| i.signature.clone()),
            new: new.map(|i| i.signature.clone()),
            cfg: new.or(old).and_then(|i| i.cfg.clone()),
            message: if detail.is_empty() {
                r.summary.to_string()
            } else {
                format!("{detail}: {}", r.summary)
            },
            reference: r.reference,
            violation: false,
            uncertain: false,
            outside_features: None,
            not_in_view: false,
            finding: None,
            accepted: None,
            engines: Vec::new(),
            file: None,
            paths: Vec::new(),
        }
    }
}

/// True when `key` lies inside one of `roots` (a module or an item whose
/// change is already reported, so reporting its members again is noise).
fn under_any(key: &str, item: &ApiItem, roots: &BTreeSet<String>) -> bool {
    if item.parent.as_ref().is_some_and(|p| roots.contains(p)) {
        return true;
    }
    // Every `a`, `a::b`, ... that `key` starts with: one set look-up each.
    key.match_indices("::")
        .any(|(i, _)| roots.contains(&key[..i]))
}

/// `Type impl Send` and the like: the impl key names an auto trait.
fn is_auto_trait_impl(key: &str) -> bool {
    const AUTO: &[&str] = &["Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"];
    key.rsplit_once(" impl ")
        .map(|(_, t)| t.trim_start_matches('!'))
        .is_some_and(|t| AUTO.contains(&t))
}

/// `a where P, Q` -> (`a`, {P, Q}): the head of a shape and its where
/// predicates (one bound each, as the engine writes them).
fn split_where(shape: &str) -> (&str, BTreeSet<&str>) {
    let Some(i) = shape.find(" where ") else {
        return (shape, BTreeSet::new());
    };
    let (head, preds) = (&shape[..i], &shape[i + " where ".len()..]);
    let mut out = BTreeSet::new();
    let (mut depth, mut start) = (0i32, 0);
    for (j, ch) in preds.char_indices() {
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.insert(preds[start..j].trim());
                start = j + 1;
            }
            _ => {}
        }
    }
    out.insert(preds[start..].trim());
    (head, out)
}

/// Traits that std implements for every implementor of another, with the
/// associated type that is then the type itself: `impl<F: Future>
/// IntoFuture for F { type IntoFuture = F; .. }`, and the same for
/// iterators.
const BLANKET: &[(&str, &str, &str)] = &[
    ("Future", "IntoFuture", "IntoFuture"),
    ("Iterator", "IntoIterator", "IntoIter"),
];

/// `F: Future` widened to `F: IntoFuture` (and `F` in the signature written
/// `F::IntoFuture`): every argument accepted before still is, and gets the
/// same types back through std's blanket impl, so it is a loosened bound,
/// not a new signature (tokio 1.40's `time::timeout`).
fn blanket_generalization(old: &str, new: &str) -> Option<&'static str> {
    let ((oh, op), (nh, np)) = (split_where(old), split_where(new));
    // `F: std::future::Future` -> (`F`, `Future`): the bound by its last segment.
    let split = |pred: &str| -> Option<(String, String)> {
        let (param, bound) = pred.split_once(": ")?;
        let last = bound.rsplit("::").next().unwrap_or(bound);
        Some((param.to_string(), last.to_string()))
    };
    for (from, to, assoc) in BLANKET {
        for pred in &op {
            let Some((param, bound)) = split(pred) else {
                continue;
            };
            if bound != *from {
                continue;
            }
            let Some(widened) = np
                .iter()
                .copied()
                .find(|p| split(p).is_some_and(|(q, b)| q == param && b == *to))
            else {
                continue;
            };
            let rest_old: BTreeSet<&str> = op.iter().copied().filter(|p| p != pred).collect();
            let rest_new: BTreeSet<&str> = np.iter().copied().filter(|p| *p != widened).collect();
            let as_trait = widened.split_once(": ").map_or(*to, |(_, b)| b);
            let head = nh
                .replace(&format!("<{param} as {as_trait}>::{assoc}"), &param)
                .replace(&format!("<{param} as {to}>::{assoc}"), &param)
                .replace(&format!("{param}::{assoc}"), &param);
            if rest_old == rest_new && head == oh {
                return Some("generic-bounds-loosened");
            }
        }
    }
    None
}

/// The code for a shape change that only adds or only removes bounds.
fn bounds_code(old: &str, new: &str) -> Option<&'static str> {
    let ((oh, op), (nh, np)) = (split_where(old), split_where(new));
    if oh != nh || op == np {
        return None;
    }
    if np.is_subset(&op) {
        Some("generic-bounds-loosened")
    } else if np.is_superset(&op) {
        Some("generic-bounds-tightened")
    } else {
        None
    }
}

/// The code for a change of `#[repr]`, if any: a part changed (integer
/// type, align, packed) or was added where it changes the layout
/// (`packed`, `align`) -> changed; a defining part went -> removed; a
/// defining part appeared -> added.
fn repr_code(old: Option<&str>, new: Option<&str>) -> Option<&'static str> {
    if old == new {
        return None;
    }
    let parts = |r: Option<&str>| -> Vec<String> {
        r.map(|r| r.split(", ").map(str::to_string).collect())
            .unwrap_or_default()
    };
    let group = |p: &str| -> &'static str {
        let name = p.split('(').next().unwrap_or(p).trim();
        match name {
            "C" => "C",
            "transparent" => "transparent",
            "packed" => "packed",
            "align" => "align",
            "Rust" => "Rust",
            _ => "int",
        }
    };
    let (o, n) = (parts(old), parts(new));
    let find = |list: &[String], g: &str| list.iter().find(|p| group(p) == g).cloned();
    let mut code: Option<&'static str> = None;
    let mut worse = |c: &'static str| {
        let rank = |c: &str| match c {
            "repr-changed" => 3,
            "repr-removed" => 2,
            _ => 1,
        };
        if code.is_none_or(|cur| rank(c) > rank(cur)) {
            code = Some(c);
        }
    };
    for g in ["C", "transparent", "packed", "align", "int", "Rust"] {
        match (find(&o, g), find(&n, g)) {
            (Some(a), Some(b)) if a != b => worse("repr-changed"),
            (Some(_), None) => worse("repr-removed"),
            (None, Some(_)) if matches!(g, "packed" | "align") => worse("repr-changed"),
            (None, Some(_)) if g != "Rust" => worse("repr-added"),
            _ => {}
        }
    }
    code
}

/// The API changes from `old` to `new` with the crates' default features,
/// most severe first, then by path.
pub fn diff(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
    diff_in_view(old, new, &FeatureView::Default)
}

/// The API changes from `old` to `new` seen with the features of `view`.
///
/// Every item is compared, whatever its `#[cfg]`; then each change is
/// placed in the view: an item still there but now needing a feature the
/// view lacks is `item-feature-gated`, and a change to an item that exists
/// only outside the view says which features it needs
/// (`outside_features`). Under an explicit view that change does not count
/// as a violation; under the default view it still does, because the
/// crate's SemVer promise covers every feature.
pub fn diff_in_view(old: &ApiSurface, new: &ApiSurface, view: &FeatureView) -> Vec<ApiChange> {
    let old_on = features::enabled(&old.features, view);
    let new_on = features::enabled(&new.features, view);
    let available = |i: &ApiItem, on: &Option<BTreeSet<String>>| {
        i.cfg
            .as_deref()
            .is_none_or(|c| features::eval(c, on.as_ref()) != Some(false))
    };
    let mut out = changes(old, new);
    // Features removed, and features dropped from `default`.
    let feature_item = |name: &str, sig: String| ApiItem {
        key: format!("[feature {name}]"),
        path: format!("{} feature \"{name}\"", new.crate_name),
        kind: ItemKind::Feature,
        signature: sig.clone(),
        shape: sig,
        cfg: None,
        parent: None,
        facts: Default::default(),
    };
    for (name, enables) in &old.features {
        if name != "default" && !new.features.contains_key(name) {
            let i = feature_item(name, format!("{name} = {enables:?}"));
            out.push(ApiChange::new(
                "cargo-feature-removed",
                &i,
                Some(&i),
                None,
                format!("feature `{name}` removed"),
            ));
        }
    }
    if let Some(old_default) = old.features.get("default") {
        let new_default = new.features.get("default").cloned().unwrap_or_default();
        for f in old_default {
            if !new_default.contains(f) {
                let o = feature_item(f, format!("default = {old_default:?}"));
                let n = feature_item(f, format!("default = {new_default:?}"));
                out.push(ApiChange::new(
                    "cargo-default-feature-dropped",
                    &n,
                    Some(&o),
                    Some(&n),
                    format!("`{f}` is no longer a default feature"),
                ));
            }
        }
    }
    for c in out.iter_mut() {
        let key = c.key.clone();
        let (o, n) = (old.items.get(&key), new.items.get(&key));
        if c.code == "cfg-changed"
            && let (Some(o), Some(n)) = (o, n)
            && available(o, &old_on)
            && !available(n, &new_on)
        {
            let r = rule("item-feature-gated");
            let missing =
                features::missing_features(n.cfg.as_deref().unwrap_or(""), new_on.as_ref());
            c.code = r.code;
            c.required = r.level;
            c.possibly_breaking = r.possibly_breaking;
            c.reference = r.reference;
            c.message = format!(
                "`{}` now needs {} (not in {}): {}",
                n.path,
                if missing.is_empty() {
                    "a condition the view does not meet".to_string()
                } else {
                    format!("feature {}", missing.join(", "))
                },
                view.describe(),
                r.summary
            );
            continue;
        }
        let outside = o.is_none_or(|o| !available(o, &old_on))
            && n.is_none_or(|n| !available(n, &new_on))
            && (o.is_some() || n.is_some());
        if outside {
            let cfg = n.or(o).and_then(|i| i.cfg.clone()).unwrap_or_default();
            let on = if n.is_some() { &new_on } else { &old_on };
            let missing = features::missing_features(&cfg, on.as_ref());
            let needs = if missing.is_empty() {
                format!("#[cfg({cfg})]")
            } else {
                format!("feature {}", missing.join(", "))
            };
            c.message
                .push_str(&format!(" (only with {needs}, not in {})", view.describe()));
            c.outside_features = Some(needs);
            c.not_in_view = view.explicit();
        }
    }
    out.sort_by(|a, b| {
        b.required
            .cmp(&a.required)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.code.cmp(b.code))
    });
    out
}

/// Every change between the two surfaces, whatever the features.
fn changes(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
    let mut out = Vec::new();
    // Removed or added containers (modules and items with members): report
    // the container once, not each member.
    let removed: BTreeSet<String> = old
        .items
        .keys()
        .filter(|k| !new.items.contains_key(*k))
        .cloned()
        .collect();
    let added: BTreeSet<String> = new
        .items
        .keys()
        .filter(|k| !old.items.contains_key(*k))
        .cloned()
        .collect();

    // A path that names another kind of item: its old members are not
    // reported one by one.
    let kind_changed: BTreeSet<String> = old
        .items
        .iter()
        .filter(|(k, o)| new.items.get(*k).is_some_and(|n| n.kind != o.kind))
        .map(|(k, _)| k.clone())
        .collect();

    for key in &removed {
        let o = &old.items[key];
        if under_any(key, o, &removed) || under_any(key, o, &kind_changed) {
            continue;
        }
        if new.hidden.contains(key) {
            out.push(ApiChange::new(
                "item-hidden",
                o,
                Some(o),
                None,
                format!("{} `{}` is now #[doc(hidden)]", o.kind, o.path),
            ));
            continue;
        }
        let code = match o.kind {
            ItemKind::Field => "struct-field-removed",
            ItemKind::Variant => "enum-variant-removed",
            ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst => {
                "trait-item-removed"
            }
            ItemKind::Method | ItemKind::AssocConst => "method-removed",
            ItemKind::Impl if is_auto_trait_impl(key) && o.facts.compiler_checked => {
                "auto-trait-lost"
            }
            ItemKind::Impl if is_auto_trait_impl(key) => "auto-trait-impl-removed",
            ItemKind::Impl => "trait-impl-removed",
            _ => "item-removed",
        };
        out.push(ApiChange::new(
            code,
            o,
            Some(o),
            None,
            format!("{} `{}` removed", o.kind, o.path),
        ));
    }

    for key in &added {
        let n = &new.items[key];
        if under_any(key, n, &added) || under_any(key, n, &kind_changed) {
            continue;
        }
        let parent_old = n.parent.as_ref().and_then(|p| old.items.get(p));
        let code = match (n.kind, parent_old) {
            (ItemKind::Field, Some(p)) if p.facts.constructible == Some(true) => {
                "struct-pub-field-added-constructible"
            }
            (ItemKind::Field, _) => "struct-pub-field-added",
            (ItemKind::Variant, Some(p)) if !p.facts.non_exhaustive => "enum-variant-added",
            (ItemKind::Variant, _) => "enum-variant-added-non-exhaustive",
            (ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst, _) => {
                if n.facts.has_default == Some(true) {
                    "trait-item-added-defaulted"
                } else if parent_old.is_some_and(|p| p.facts.sealed) {
                    "sealed-trait-item-added"
                } else {
                    "trait-item-added-required"
                }
            }
            (ItemKind::Method | ItemKind::AssocConst, _) => "method-added",
            (ItemKind::Impl, _) => "trait-impl-added",
            _ => "item-added",
        };
        out.push(ApiChange::new(
            code,
            n,
            None,
            Some(n),
            format!("{} `{}` added", n.kind, n.path),
        ));
    }

    // Items whose #[cfg] changed; members of a module or type whose
    // condition changed inherit it, so only the outermost is reported.
    let cfg_changed: BTreeSet<String> = old
        .items
        .iter()
        .filter(|(k, o)| new.items.get(*k).is_some_and(|n| n.cfg != o.cfg))
        .map(|(k, _)| k.clone())
        .collect();

    for (key, o) in &old.items {
        let Some(n) = new.items.get(key) else {
            continue;
        };
        if o.kind != n.kind {
            out.push(ApiChange::new(
                "item-kind-changed",
                n,
                Some(o),
                Some(n),
                format!("`{}` was a {} and is now a {}", n.path, o.kind, n.kind),
            ));
            continue;
        }
        // An impl's conditions follow the type's parameters: when the type's
        // own declaration changed, that change is the one reported.
        let owner_changed = n.kind == ItemKind::Impl
            && n.parent
                .as_ref()
                .is_some_and(|p| match (old.items.get(p), new.items.get(p)) {
                    (Some(a), Some(b)) => {
                        a.shape != b.shape || a.facts.defaulted_params != b.facts.defaulted_params
                    }
                    _ => true,
                });
        if o.shape != n.shape && !owner_changed {
            let bounds = match n.kind {
                ItemKind::Function
                | ItemKind::Method
                | ItemKind::Struct
                | ItemKind::Enum
                | ItemKind::Union
                | ItemKind::Trait
                | ItemKind::TypeAlias
                // The conditions of an auto-trait impl (rustdoc engine).
                | ItemKind::Impl => bounds_code(&o.shape, &n.shape),
                _ => None,
            }
            .or_else(|| {
                matches!(n.kind, ItemKind::Function | ItemKind::Method)
                    .then(|| blanket_generalization(&o.shape, &n.shape))
                    .flatten()
            });
            let code = match n.kind {
                _ if bounds.is_some() => bounds.unwrap_or_default(),
                ItemKind::Function | ItemKind::Method => "fn-signature-changed",
                ItemKind::Field => "struct-field-type-changed",
                ItemKind::Variant => "enum-variant-changed",
                ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst => {
                    "trait-item-changed"
                }
                ItemKind::ExternalReexport => "reexport-changed",
                _ => "item-signature-changed",
            };
            let mut change =
                ApiChange::new(code, n, Some(o), Some(n), format!("`{}` changed", n.path));
            // Written the same, resolved differently: a name in it now goes
            // through other imports (serde_json's `io::Write` under its own
            // `io` module). Usually the same type reached another way; a
            // real change of meaning is possible, so it is listed, but it
            // cannot be a violation on its own.
            if o.signature == n.signature {
                change.uncertain = true;
                change.message = format!(
                    "`{}` reads the same, but a name in it resolves through different imports: check whether it still means the same type",
                    n.path
                );
            }
            out.push(change);
        }
        if o.shape == n.shape && o.facts.defaulted_params != n.facts.defaulted_params {
            let added_only = o
                .facts
                .defaulted_params
                .iter()
                .all(|p| n.facts.defaulted_params.contains(p));
            out.push(ApiChange::new(
                if added_only {
                    "generic-param-with-default-added"
                } else {
                    "item-signature-changed"
                },
                n,
                Some(o),
                Some(n),
                format!(
                    "`{}` type parameters with a default: [{}] -> [{}]",
                    n.path,
                    o.facts.defaulted_params.join(", "),
                    n.facts.defaulted_params.join(", ")
                ),
            ));
        }
        if let Some(code) = repr_code(o.facts.repr.as_deref(), n.facts.repr.as_deref()) {
            let shown = |r: &Option<String>| match r {
                Some(r) => format!("#[repr({r})]"),
                None => "(default representation)".to_string(),
            };
            let mut c = ApiChange::new(
                code,
                n,
                Some(o),
                Some(n),
                format!(
                    "`{}`: {} -> {}",
                    n.path,
                    shown(&o.facts.repr),
                    shown(&n.facts.repr)
                ),
            );
            c.old = Some(shown(&o.facts.repr));
            c.new = Some(shown(&n.facts.repr));
            out.push(c);
        }
        if o.facts.discriminant.is_some() && o.facts.discriminant != n.facts.discriminant {
            out.push(ApiChange::new(
                "enum-discriminant-changed",
                n,
                Some(o),
                Some(n),
                format!(
                    "`{}` = {} -> {}",
                    n.path,
                    o.facts.discriminant.as_deref().unwrap_or("?"),
                    n.facts.discriminant.as_deref().unwrap_or("(implicit)")
                ),
            ));
        }
        match (o.facts.is_unsafe, n.facts.is_unsafe) {
            (Some(false), Some(true)) => out.push(ApiChange::new(
                "fn-now-unsafe",
                n,
                Some(o),
                Some(n),
                format!("`{}` is now unsafe", n.path),
            )),
            (Some(true), Some(false)) => out.push(ApiChange::new(
                "fn-unsafe-removed",
                n,
                Some(o),
                Some(n),
                format!("`{}` is no longer unsafe", n.path),
            )),
            _ => {}
        }
        if o.facts.is_const == Some(false) && n.facts.is_const == Some(true) {
            out.push(ApiChange::new(
                "fn-now-const",
                n,
                Some(o),
                Some(n),
                format!("`{}` is now a const fn", n.path),
            ));
        }
        if o.facts.object_safe == Some(true) && n.facts.object_safe == Some(false) {
            out.push(ApiChange::new(
                "trait-no-longer-object-safe",
                n,
                Some(o),
                Some(n),
                format!("trait `{}` is no longer dyn-compatible", n.path),
            ));
        }
        if !o.facts.deprecated && n.facts.deprecated {
            out.push(ApiChange::new(
                "item-deprecated",
                n,
                Some(o),
                Some(n),
                format!("`{}` is now deprecated", n.path),
            ));
        }
        if !o.facts.must_use && n.facts.must_use {
            out.push(ApiChange::new(
                "must-use-added",
                n,
                Some(o),
                Some(n),
                format!("`{}` is now #[must_use]", n.path),
            ));
        }
        if o.facts.constructible == Some(true) && n.facts.constructible == Some(false) {
            out.push(ApiChange::new(
                "struct-no-longer-constructible",
                n,
                Some(o),
                Some(n),
                format!("struct `{}` can no longer be built with a literal", n.path),
            ));
        }
        if !o.facts.non_exhaustive
            && n.facts.non_exhaustive
            && matches!(n.kind, ItemKind::Enum | ItemKind::Variant)
        {
            out.push(ApiChange::new(
                "enum-now-non-exhaustive",
                n,
                Some(o),
                Some(n),
                format!("`{}` is now #[non_exhaustive]", n.path),
            ));
        }
        if o.facts.is_const == Some(true) && n.facts.is_const == Some(false) {
            out.push(ApiChange::new(
                "fn-const-removed",
                n,
                Some(o),
                Some(n),
                format!("`{}` is no longer a const fn", n.path),
            ));
        }
        if o.facts.has_default == Some(true) && n.facts.has_default == Some(false) {
            out.push(ApiChange::new(
                "trait-item-default-removed",
                n,
                Some(o),
                Some(n),
                format!("`{}` has no default any more", n.path),
            ));
        }
        if o.cfg != n.cfg && !under_any(key, n, &cfg_changed) {
            let mut c = ApiChange::new(
                "cfg-changed",
                n,
                Some(o),
                Some(n),
                format!(
                    "`{}` now exists when {} (was: {})",
                    n.path,
                    n.cfg.as_deref().unwrap_or("always"),
                    o.cfg.as_deref().unwrap_or("always")
                ),
            );
            let shown = |cfg: &Option<String>| match cfg {
                Some(c) => format!("#[cfg({c})]"),
                None => "(always)".to_string(),
            };
            c.old = Some(shown(&o.cfg));
            c.new = Some(shown(&n.cfg));
            out.push(c);
        }
    }
    // Additions next to an old version with unread macros may have been
    // there all along, generated by one of those macros.
    if old.unexpanded_macros > 0 {
        for c in out.iter_mut() {
            if matches!(c.code, "item-added" | "trait-impl-added" | "method-added") {
                c.uncertain = true;
                c.message.push_str(&format!(
                    " (may have existed: the old version has {} macro invocation(s) bumpguard could not read)",
                    old.unexpanded_macros
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        b.required
            .cmp(&a.required)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.code.cmp(b.code))
    });
    out
}

/// Marks the changes that need a bigger bump than `allowed` and returns how
/// many there are. `None` (a downgrade or same-version change) has no SemVer
/// verdict, so nothing violates. A "possibly breaking" change is held to the
/// level in its row (the least it needs, usually minor), never more: the
/// Cargo book leaves the rest to judgement, and so does policy.
pub fn mark_violations(changes: &mut [ApiChange], allowed: Option<Level>) -> usize {
    let mut n = 0;
    for c in changes.iter_mut() {
        c.violation =
            !c.uncertain && !c.not_in_view && matches!(allowed, Some(a) if c.required > a);
        n += usize::from(c.violation);
    }
    n
}

/// The largest level any change requires (`Patch` when nothing changed).
pub fn required_level(changes: &[ApiChange]) -> Level {
    changes
        .iter()
        .map(|c| c.required)
        .max()
        .unwrap_or(Level::Patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Facts;

    const BOOK: &str = "https://doc.rust-lang.org/cargo/reference/semver.html";

    fn item(key: &str, kind: ItemKind, sig: &str, parent: Option<&str>, facts: Facts) -> ApiItem {
        ApiItem {
            key: key.into(),
            path: format!("c::{key}"),
            kind,
            signature: sig.into(),
            shape: sig.into(),
            cfg: None,
            parent: parent.map(Into::into),
            facts,
        }
    }

    fn surface(items: Vec<ApiItem>) -> ApiSurface {
        ApiSurface {
            crate_name: "c".into(),
            items: items.into_iter().map(|i| (i.key.clone(), i)).collect(),
            ..ApiSurface::default()
        }
    }

    #[test]
    fn future_widened_to_into_future_is_a_loosened_bound() {
        let old =
            "pub fn timeout<F>(_: Duration, _: F) -> Timeout<F> where F: std::future::Future,";
        let new = "pub fn timeout<F>(_: Duration, _: F) -> Timeout<F::IntoFuture> where F: std::future::IntoFuture,";
        assert_eq!(
            blanket_generalization(old, new),
            Some("generic-bounds-loosened")
        );
        // Another change next to it is not excused.
        let other = "pub fn timeout<F>(_: Duration, _: F) -> Option<F::IntoFuture> where F: std::future::IntoFuture,";
        assert_eq!(blanket_generalization(old, other), None);
        // The other way round narrows.
        assert_eq!(blanket_generalization(new, old), None);
    }

    #[test]
    fn every_code_is_unique_and_documented_in_the_table() {
        let codes: BTreeSet<_> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(codes.len(), RULES.len());
        assert!(RULES.iter().all(|r| r.reference.starts_with(BOOK)));
    }

    #[test]
    fn every_code_is_in_the_docs() {
        let docs = include_str!("../docs/api-changes.md");
        for r in RULES {
            assert!(
                docs.contains(&format!("| `{}` |", r.code)),
                "docs/api-changes.md lacks {}",
                r.code
            );
        }
    }

    #[test]
    fn pub_field_on_constructible_struct_is_major() {
        let s = |c| Facts {
            constructible: Some(c),
            ..Facts::default()
        };
        let old = surface(vec![
            item(
                "Opts",
                ItemKind::Struct,
                "pub struct Opts { .. }",
                None,
                s(true),
            ),
            item(
                "Opts.a",
                ItemKind::Field,
                "pub a: u32",
                Some("Opts"),
                Facts::default(),
            ),
        ]);
        let mut new = old.clone();
        new.items.insert(
            "Opts.b".into(),
            item(
                "Opts.b",
                ItemKind::Field,
                "pub b: u32",
                Some("Opts"),
                Facts::default(),
            ),
        );
        let mut changes = diff(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].code, "struct-pub-field-added-constructible");
        assert_eq!(changes[0].required, Level::Major);
        assert_eq!(mark_violations(&mut changes, Some(Level::Minor)), 1);
        assert!(changes[0].violation);
        assert_eq!(mark_violations(&mut changes, Some(Level::Major)), 0);
        assert_eq!(mark_violations(&mut changes, None), 0);

        // The same field on a struct with a private field is only minor.
        let mut old2 = old.clone();
        if let Some(i) = old2.items.get_mut("Opts") {
            i.facts = s(false);
        }
        let mut new2 = new.clone();
        if let Some(i) = new2.items.get_mut("Opts") {
            i.facts = s(false);
        }
        let changes = diff(&old2, &new2);
        assert_eq!(changes[0].code, "struct-pub-field-added");
        assert_eq!(changes[0].required, Level::Minor);
    }

    #[test]
    fn additions_next_to_unread_macros_are_uncertain() {
        let old = ApiSurface {
            unexpanded_macros: 3,
            ..surface(vec![item(
                "T",
                ItemKind::Struct,
                "pub struct T;",
                None,
                Facts::default(),
            )])
        };
        let mut new = old.clone();
        new.items.insert(
            "T impl Clone".into(),
            item(
                "T impl Clone",
                ItemKind::Impl,
                "",
                Some("T"),
                Facts::default(),
            ),
        );
        let mut changes = diff(&old, &new);
        assert_eq!(changes[0].code, "trait-impl-added");
        assert!(changes[0].uncertain);
        assert_eq!(mark_violations(&mut changes, Some(Level::Patch)), 0);
    }

    #[test]
    fn removing_a_module_reports_the_module_once() {
        let old = surface(vec![
            item("m", ItemKind::Module, "pub mod m", None, Facts::default()),
            item(
                "m::f",
                ItemKind::Function,
                "pub fn f()",
                None,
                Facts::default(),
            ),
            item(
                "g",
                ItemKind::Function,
                "pub fn g()",
                None,
                Facts::default(),
            ),
        ]);
        let new = surface(vec![item(
            "g",
            ItemKind::Function,
            "pub fn g(x: u8)",
            None,
            Facts::default(),
        )]);
        let codes: Vec<_> = diff(&old, &new)
            .iter()
            .map(|c| (c.code, c.path.clone()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("fn-signature-changed", "c::g".to_string()),
                ("item-removed", "c::m".to_string())
            ]
        );
    }

    #[test]
    fn variants_and_trait_items() {
        let old = surface(vec![
            item("E", ItemKind::Enum, "pub enum E", None, Facts::default()),
            item("T", ItemKind::Trait, "pub trait T", None, Facts::default()),
        ]);
        let mut new = old.clone();
        new.items.insert(
            "E::B".into(),
            item("E::B", ItemKind::Variant, "B", Some("E"), Facts::default()),
        );
        let req = Facts {
            has_default: Some(false),
            ..Facts::default()
        };
        new.items.insert(
            "T::f".into(),
            item("T::f", ItemKind::TraitMethod, "fn f()", Some("T"), req),
        );
        let codes: Vec<_> = diff(&old, &new).iter().map(|c| c.code).collect();
        assert_eq!(
            codes,
            vec!["enum-variant-added", "trait-item-added-required"]
        );
    }
}
