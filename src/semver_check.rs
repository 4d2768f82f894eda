//! SemVer check: two API surfaces -> the changes between them, each with the
//! version bump it requires under the Cargo book's SemVer compatibility rules,
//! and the violations: changes larger than the actual version bump allows.
//!
//! Every change kind is a row of [`RULES`]: a stable code, the level it
//! requires, a one-line explanation and the Cargo book reference. The diff
//! below only decides which row applies; wording and levels live in the table.

use crate::api::features::{self, FeatureView};
use crate::api::{ApiItem, ApiSurface, FnShape, GenericsShape, ImplShape, ItemKind, render};
use crate::versions::Level;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// Every API change kind bumpguard reports. An empty anchor links the
/// chapter: the Cargo book has no section for that change
/// (`docs/api-changes.md` says why the level is what it is).
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
        ""
    ),
    rule!(
        "fn-signature-changed",
        Major,
        false,
        "a public function's signature changed (parameters, return type, generics, qualifiers)",
        "#fn-change-arity"
    ),
    rule!(
        "fn-generalized",
        Minor,
        true,
        "a parameter or the return type became generic, and the old type is one of the types it accepts: existing calls still compile, unless type inference needed the old type",
        "#fn-generalize-compatible"
    ),
    rule!(
        "fn-generic-param-added",
        Minor,
        true,
        "the function has a new type parameter: calls that name its type parameters with a turbofish (`f::<T>()`) must name one more",
        "#fn-generic-new"
    ),
    rule!(
        "fn-impl-trait-arg-to-generic",
        Patch,
        false,
        "an `impl Trait` parameter became a named type parameter with the same bounds: every call still compiles (callers may now use a turbofish)",
        ""
    ),
    rule!(
        "fn-return-bounds-added",
        Minor,
        false,
        "the returned `impl Trait` promises more (a new bound such as `+ Send`): callers can do more with it, nothing they did breaks",
        ""
    ),
    rule!(
        "fn-return-bounds-removed",
        Major,
        false,
        "the returned `impl Trait` promises less (a bound such as `+ Send` went): callers that relied on it break",
        ""
    ),
    rule!(
        "fn-const-removed",
        Major,
        false,
        "a `const fn` is no longer const; calls in constant expressions stop compiling",
        ""
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
        ""
    ),
    rule!(
        "struct-no-longer-constructible",
        Major,
        false,
        "a struct that outside code could build with a literal gained a private field or #[non_exhaustive]",
        "#struct-add-private-field-when-public"
    ),
    rule!(
        "type-generalized",
        Minor,
        false,
        "fields now have the type of a new type parameter whose default is the type they had: every existing use names the same types",
        "#generic-generalize-identical"
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
        "variant-field-added-non-exhaustive",
        Minor,
        false,
        "a field was added to a #[non_exhaustive] variant: outside code can neither build it nor match it without `..`, so nothing breaks",
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
        "trait-type-param-added",
        Major,
        false,
        "the trait gained a type parameter without a default; every use and implementation must now name it",
        "#trait-new-parameter-no-default"
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
        "#item-new"
    ),
    rule!(
        "trait-impl-narrowed",
        Major,
        false,
        "the impl now covers fewer types (`impl<T> Tr for S<T>` became `impl Tr for S<u8>`): uses with the others break",
        ""
    ),
    rule!(
        "trait-impl-widened",
        Minor,
        true,
        "the impl now covers more types (like a new impl: may make calls ambiguous)",
        ""
    ),
    rule!(
        "trait-impl-assoc-type-changed",
        Major,
        false,
        "an associated type of the impl changed (`type Item = u8` became `u16`): code that relies on the old type breaks",
        ""
    ),
    rule!(
        "trait-impl-changed",
        Major,
        false,
        "the impl's header changed (the implemented type or the trait's arguments)",
        ""
    ),
    rule!(
        "auto-trait-impl-removed",
        Minor,
        true,
        "an explicit impl of an auto trait (Send, Sync, Unpin, UnwindSafe) went; the type may still get it automatically, which the syn engine cannot check",
        ""
    ),
    rule!(
        "auto-trait-lost",
        Major,
        false,
        "the type no longer implements an auto trait (Send, Sync, Unpin, UnwindSafe, RefUnwindSafe): the compiler works it out from its fields (rustdoc engine), or its explicit impl went while a field's type (a raw pointer, `Rc`, `Cell`) rules the trait out; code that moves it across threads, shares it or pins it stops compiling",
        ""
    ),
    rule!(
        "reexport-changed",
        Major,
        false,
        "a re-export of another crate's item now names a different item (`HashMap as Map` became `BTreeMap as Map`): the old item is gone from this path",
        "#item-remove"
    ),
    rule!(
        "reexport-path-changed",
        Minor,
        true,
        "a re-export of another crate's item of the same name now comes from another path: usually the same item re-exported from elsewhere",
        ""
    ),
    rule!(
        "cfg-changed",
        Patch,
        true,
        "the #[cfg] conditions under which the item exists changed; it is still there with the features in view (other conditions, such as the target, are shown, not decided)",
        "#item-remove"
    ),
    rule!(
        "item-feature-gated",
        Major,
        false,
        "the item now needs a feature the view does not enable (by default: a non-default feature); code that used it without that feature breaks",
        "#item-remove"
    ),
    rule!(
        "public-dependency-incompatible",
        Major,
        false,
        "a dependency whose items are part of the public API (re-exported, or named in public signatures) now requires an incompatible version: its types and traits are different ones for dependents that use them from their own copy",
        ""
    ),
    rule!(
        "cargo-feature-removed",
        Major,
        false,
        "a Cargo feature was removed; dependents that enable it no longer resolve",
        "#cargo-feature-remove"
    ),
    rule!(
        "cargo-implicit-feature-removed",
        Minor,
        true,
        "an optional dependency that had a feature of its own (no feature names it with `dep:`) was removed or renamed; dependents that enable that feature no longer resolve",
        "#cargo-remove-opt-dep"
    ),
    rule!(
        "cargo-default-feature-dropped",
        Major,
        false,
        "`default` no longer enables this (directly or through another feature); dependents that relied on it without naming it lose what it enabled",
        "#cargo-feature-remove-another"
    ),
    rule!(
        "cargo-feature-enables-less",
        Major,
        false,
        "a feature no longer enables what it enabled (directly or through another feature); dependents that enable it lose the rest",
        "#cargo-feature-remove-another"
    ),
    rule!(
        "no-std-removed",
        Major,
        false,
        "the crate no longer supports `no_std` (`#![no_std]` or its `cfg_attr` went): users on targets without std break",
        "#attr-no-std-to-std"
    ),
    rule!(
        "item-hidden",
        Patch,
        true,
        "still nameable, but hidden from the documentation and no longer promised as API (a warning, not a break, unless `[policy] hidden = \"block\"`)",
        ""
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
        ""
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
        "generic-param-default-added",
        Minor,
        false,
        "an existing type or const parameter got a default: uses that name it still work, and it may now be left out",
        "#generic-new-default"
    ),
    rule!(
        "repr-c-removed",
        Major,
        false,
        "#[repr(C)] was removed: the layout other code relies on is no longer defined",
        "#repr-c-remove"
    ),
    rule!(
        "repr-c-added",
        Minor,
        false,
        "#[repr(C)] was added to a type with the default representation",
        "#repr-c-add"
    ),
    rule!(
        "repr-c-fields-reordered",
        Major,
        false,
        "the public fields of a #[repr(C)] type are in another order: its layout changed",
        "#repr-c-shuffle"
    ),
    rule!(
        "repr-transparent-removed",
        Major,
        false,
        "#[repr(transparent)] was removed: the type no longer has its field's layout",
        "#repr-transparent-remove"
    ),
    rule!(
        "repr-transparent-added",
        Minor,
        false,
        "#[repr(transparent)] was added to a type with the default representation",
        "#repr-transparent-add"
    ),
    rule!(
        "repr-int-removed",
        Major,
        false,
        "the enum's #[repr(<int>)] was removed: the discriminant's size is no longer defined",
        "#repr-int-enum-remove"
    ),
    rule!(
        "repr-int-added",
        Minor,
        false,
        "#[repr(<int>)] was added to an enum with the default representation",
        "#repr-int-enum-add"
    ),
    rule!(
        "repr-int-changed",
        Major,
        false,
        "the enum's #[repr(<int>)] changed: the discriminant has another size",
        "#repr-int-enum-change"
    ),
    rule!(
        "repr-packed-added",
        Major,
        false,
        "#[repr(packed)] was added: references to fields become unaligned, layout changes",
        "#repr-packed-add"
    ),
    rule!(
        "repr-packed-removed",
        Major,
        false,
        "#[repr(packed)] was removed: alignment and layout change",
        "#repr-packed-remove"
    ),
    rule!(
        "repr-packed-changed",
        Major,
        false,
        "the N of #[repr(packed(N))] changed: alignment or layout may change",
        "#repr-packed-n-change"
    ),
    rule!(
        "repr-align-added",
        Major,
        false,
        "#[repr(align)] was added: the type can no longer be used in a #[repr(packed)] type",
        "#repr-align-add"
    ),
    rule!(
        "repr-align-removed",
        Major,
        false,
        "#[repr(align)] was removed: the alignment changes",
        "#repr-align-remove"
    ),
    rule!(
        "repr-align-changed",
        Major,
        false,
        "the N of #[repr(align(N))] changed: the alignment changes",
        "#repr-align-n-change"
    ),
    rule!(
        "enum-discriminant-changed",
        Major,
        false,
        "a variant's discriminant value changed (explicit, or implicit: the previous one plus one); `as` casts and FFI see other values",
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
        Minor,
        false,
        "users get a deprecation warning, nothing breaks (the book's \"introducing new lints\")",
        "#new-lints"
    ),
    rule!(
        "must-use-added",
        Minor,
        false,
        "ignoring the value now warns, nothing breaks (the book's \"introducing new lints\")",
        "#new-lints"
    ),
];

/// One item named by several paths (a type re-exported at the crate root
/// and declared in a module) changes once: the same change under each of
/// its paths (same code, signatures, file and `paths`) is kept under the
/// first path only, which lists the others. A change under one path only
/// (removing one of two paths) is its own change and stays.
pub fn one_change_per_item(changes: &mut Vec<ApiChange>) {
    // The path kept is the shortest (the crate root's re-export rather
    // than the module that declares the item).
    let mut best: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    let length = |c: &ApiChange| (c.path.matches("::").count(), c.path.clone());
    for (i, c) in changes.iter().enumerate() {
        if c.paths.len() < 2 {
            continue;
        }
        let key = (
            c.code,
            c.old.clone(),
            c.new.clone(),
            c.file.clone(),
            c.paths.clone(),
        );
        let slot = best.entry(key).or_insert(i);
        if length(c) < length(&changes[*slot]) {
            *slot = i;
        }
    }
    let keep: std::collections::HashSet<usize> = best.into_values().collect();
    let mut i = 0;
    changes.retain(|c| {
        let kept = c.paths.len() < 2 || keep.contains(&i);
        i += 1;
        kept
    });
}

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
    /// `[policy]` lists it as a warning: a change the Cargo book calls
    /// possibly breaking (`possibly-breaking = "warn"`) or an item becoming
    /// hidden (`hidden = "warn"`, the default) that the bump does not
    /// allow as a major change.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
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

/// Text of the engine's comparison forms made readable in messages:
/// `__local::a::Foo` -> `a::Foo`, a canonical parameter `__P0` -> `#1`.
fn readable(text: &str) -> String {
    let text = text.replace("__local::", "").replace("__private::", "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("__") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let kind = after.chars().next();
        let digits: String = after
            .chars()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .collect();
        match (kind, digits.parse::<usize>()) {
            (Some('P' | 'G'), Ok(n)) => {
                out.push_str(&format!("#{}", n + 1));
                rest = &after[1 + digits.len()..];
            }
            (Some('l' | 'p'), Ok(n)) if out.ends_with('\'') => {
                out.push(char::from(b'a' + (n % 26) as u8));
                rest = &after[1 + digits.len()..];
            }
            _ => {
                out.push_str("__");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
                format!("{}: {}", readable(&detail), r.summary)
            },
            reference: r.reference,
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
    let bytes = preds.as_bytes();
    for (j, ch) in preds.char_indices() {
        match ch {
            '<' | '(' | '[' => depth += 1,
            // `->` in `Fn(u8) -> u8` closes nothing.
            '>' if j > 0 && bytes[j - 1] == b'-' => {}
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

/// Two sets of `where` predicates with the implicit `Sized` bound made
/// explicit where either side wrote `?Sized`: `T: ?Sized` is the absence of
/// `T: Sized`, so dropping it adds a bound (`S<str>` stops compiling) and
/// writing it removes one. A parameter `?Sized` on neither side gets
/// nothing, so both sides stay as written.
fn with_implicit_sized<'a>(
    old: impl IntoIterator<Item = &'a str>,
    new: impl IntoIterator<Item = &'a str>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    // Shapes write `T: ?Sized`, function shapes `T : ? Sized`.
    let unsized_param = |p: &str| -> Option<String> {
        let (ty, bound) = p.split_once(':')?;
        (bound.split_whitespace().collect::<String>() == "?Sized").then(|| ty.trim().to_string())
    };
    let (old, new): (Vec<&str>, Vec<&str>) = (old.into_iter().collect(), new.into_iter().collect());
    // Each such parameter with its `Sized` bound, spelled as its `?Sized` was.
    let maybe: BTreeMap<String, String> = old
        .iter()
        .chain(new.iter())
        .filter_map(|p| Some((unsized_param(p)?, p.replacen('?', "", 1).replace("  ", " "))))
        .collect();
    let explicit = |preds: &[&str]| -> BTreeSet<String> {
        let own: BTreeSet<String> = preds.iter().filter_map(|p| unsized_param(p)).collect();
        preds
            .iter()
            .filter(|p| unsized_param(p).is_none())
            .map(|p| p.to_string())
            .chain(
                maybe
                    .iter()
                    .filter(|(t, _)| !own.contains(*t))
                    .map(|(_, sized)| sized.clone()),
            )
            .collect()
    };
    (explicit(&old), explicit(&new))
}

/// std's conversion traits, each with the one it implements for every
/// pair of types: `impl<T, U: From<T>> Into<U> for T` and
/// `impl<T, U: TryFrom<T>> TryInto<U> for T { type Error = U::Error; }`,
/// and the associated type that then is the other's.
const CONVERSIONS: &[(&str, &str, Option<&str>)] = &[
    ("From", "Into", None),
    ("TryFrom", "TryInto", Some("Error")),
];

/// Text with the spaces that separate nothing taken out (`& '__l0 __P2`
/// and `&'__l0 __P2`, `T : Tr` and `T: Tr` read the same): the engine's
/// two renderings of one predicate compare equal.
fn squash(text: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && out.ends_with(word) && word(c) {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// `X:Tr<A>` (squashed) -> (`X`, `Tr<A>`): split at the predicate's colon
/// (not a path's `::`).
fn split_squashed_pred(pred: &str) -> Option<(&str, &str)> {
    let b = pred.as_bytes();
    let mut depth = 0i32;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' | b')' | b']' => depth -= 1,
            b':' if depth == 0 => {
                if b.get(i + 1) == Some(&b':') || (i > 0 && b[i - 1] == b':') {
                    continue;
                }
                return Some((&pred[..i], &pred[i + 1..]));
            }
            _ => {}
        }
    }
    None
}

/// `TryFrom<A>` -> `A` for `trait_name` `TryFrom` (one argument, no path).
fn trait_arg<'a>(bound: &'a str, trait_name: &str) -> Option<&'a str> {
    let inner = bound
        .strip_prefix(trait_name)?
        .strip_prefix('<')?
        .strip_suffix('>')?;
    let mut depth = 0i32;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' if inner[..i].ends_with('-') => {}
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => return None,
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    (depth == 0).then_some(inner)
}

/// `X::Error` written for `<X as TryFrom<A>>::Error` where `X` is a
/// parameter whose only bound is that trait: the qualified form, so that
/// both spellings compare equal.
fn qualify_projections(head: &mut String, preds: &mut [String]) {
    let simple = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_alphanumeric() || c == '_');
    let bounds: Vec<(String, String)> = preds
        .iter()
        .filter_map(|p| split_squashed_pred(p).map(|(x, b)| (x.to_string(), b.to_string())))
        .collect();
    for (x, bound) in &bounds {
        if !simple(x) || bounds.iter().filter(|(y, _)| y == x).count() != 1 {
            continue;
        }
        for (from, into, assoc) in CONVERSIONS {
            let Some(assoc) = assoc else { continue };
            if trait_arg(bound, from).is_none() && trait_arg(bound, into).is_none() {
                continue;
            }
            let short = format!("{x}::{assoc}");
            let long = format!("<{x} as {bound}>::{assoc}");
            for text in std::iter::once(&mut *head).chain(preds.iter_mut()) {
                *text = replace_word(text, &short, &long);
            }
        }
    }
}

/// Replaces `from` in `text` where it is not part of a longer name.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        let bounded = !before.is_some_and(|c| word(c) || c == ':')
            && !after.is_some_and(|c| word(c) || c == ':');
        out.push_str(&rest[..i]);
        out.push_str(if bounded { to } else { from });
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// `U: TryFrom<T>` written as `T: TryInto<U>` (the projection
/// `<U as TryFrom<T>>::Error` as `<T as TryInto<U>>::Error`), or
/// `U: From<T>` as `T: Into<U>`: every type that met the old bound meets
/// the new one through std's blanket impl, with the same associated type,
/// so the bound is loosened (http 1.2.0's `Request::get` and the
/// builders). The other way round tightens it. `None` when the shapes
/// differ otherwise (beyond bounds added or removed in the same direction).
/// With the code, the bounds rewritten (`Uri: TryFrom<T>` -> `T: TryInto<Uri>`).
fn conversion_bounds(old: &str, new: &str) -> Option<(&'static str, String)> {
    let ((oh, op), (nh, np)) = (split_where(old), split_where(new));
    let mut o_head = squash(oh);
    let mut o_preds: Vec<String> = op.iter().map(|p| squash(p)).collect();
    qualify_projections(&mut o_head, &mut o_preds);
    let mut head = squash(nh);
    let mut preds: Vec<String> = np.iter().map(|p| squash(p)).collect();
    qualify_projections(&mut head, &mut preds);
    let o_set: BTreeSet<&str> = o_preds.iter().map(String::as_str).collect();
    let (mut loosened, mut tightened) = (false, false);
    // (new text, old text) of each rewritten bound and projection.
    let mut rewrites: Vec<(String, String)> = Vec::new();
    let mut written: Vec<String> = Vec::new();
    for pred in &preds {
        if o_set.contains(pred.as_str()) {
            continue;
        }
        let Some((lhs, bound)) = split_squashed_pred(pred) else {
            continue;
        };
        for (from, into, assoc) in CONVERSIONS {
            // new `X: Into<Y>` for old `Y: From<X>`, and the other way.
            for (new_trait, old_trait, loosens) in [(into, from, true), (from, into, false)] {
                let Some(arg) = trait_arg(bound, new_trait) else {
                    continue;
                };
                let was = format!("{arg}:{old_trait}<{lhs}>");
                if !o_set.contains(was.as_str()) {
                    continue;
                }
                rewrites.push((pred.clone(), was));
                written.push(format!(
                    "`{arg}: {old_trait}<{lhs}>` -> `{lhs}: {new_trait}<{arg}>`"
                ));
                if let Some(assoc) = assoc {
                    rewrites.push((
                        format!("<{lhs} as {new_trait}<{arg}>>::{assoc}"),
                        format!("<{arg} as {old_trait}<{lhs}>>::{assoc}"),
                    ));
                }
                if loosens {
                    loosened = true;
                } else {
                    tightened = true;
                }
            }
        }
    }
    if rewrites.is_empty() {
        return None;
    }
    for (now, was) in &rewrites {
        head = head.replace(now, was);
        for p in preds.iter_mut() {
            *p = p.replace(now, was);
        }
    }
    if head != o_head {
        return None;
    }
    let n_set: BTreeSet<&str> = preds.iter().map(String::as_str).collect();
    if n_set != o_set {
        if n_set.is_subset(&o_set) {
            loosened = true;
        } else if n_set.is_superset(&o_set) {
            tightened = true;
        } else {
            return None;
        }
    }
    let code = match (loosened, tightened) {
        (true, false) => "generic-bounds-loosened",
        (false, true) => "generic-bounds-tightened",
        _ => return None,
    };
    Some((code, written.join(", ")))
}

/// The code for a shape change that only adds or only removes bounds.
fn bounds_code(old: &str, new: &str) -> Option<&'static str> {
    let ((oh, op), (nh, np)) = (split_where(old), split_where(new));
    if oh != nh || op == np {
        return None;
    }
    let (op, np) = with_implicit_sized(op, np);
    if np.is_subset(&op) {
        Some("generic-bounds-loosened")
    } else if np.is_superset(&op) {
        Some("generic-bounds-tightened")
    } else {
        None
    }
}

/// The codes for a change of `#[repr]`, one per part that changed (the
/// Cargo book has a section for each): `C`, `transparent`, an integer
/// type, `packed`, `align`; `Rust` is the default and says nothing.
fn repr_codes(old: Option<&str>, new: Option<&str>) -> Vec<&'static str> {
    if old == new {
        return Vec::new();
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
    let mut out = Vec::new();
    for g in ["C", "transparent", "int", "packed", "align"] {
        let code = match (g, find(&o, g), find(&n, g)) {
            (_, Some(a), Some(b)) if a == b => None,
            (_, None, None) => None,
            ("C", Some(_), None) => Some("repr-c-removed"),
            ("C", None, Some(_)) => Some("repr-c-added"),
            ("transparent", Some(_), None) => Some("repr-transparent-removed"),
            ("transparent", None, Some(_)) => Some("repr-transparent-added"),
            ("int", Some(_), Some(_)) => Some("repr-int-changed"),
            ("int", Some(_), None) => Some("repr-int-removed"),
            ("int", None, Some(_)) => Some("repr-int-added"),
            ("packed", Some(_), Some(_)) => Some("repr-packed-changed"),
            ("packed", Some(_), None) => Some("repr-packed-removed"),
            ("packed", None, Some(_)) => Some("repr-packed-added"),
            ("align", Some(_), Some(_)) => Some("repr-align-changed"),
            ("align", Some(_), None) => Some("repr-align-removed"),
            ("align", None, Some(_)) => Some("repr-align-added"),
            _ => None,
        };
        out.extend(code);
    }
    out
}

/// The API changes from `old` to `new` with the crates' default features,
/// most severe first, then by path.
pub fn diff(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
    diff_in_view(old, new, &FeatureView::Default)
}

/// Dependencies the new version exposes (an item re-exported from it, or
/// a public signature that names it) whose requirement moved to another
/// SemVer-compatible series (`0.5` -> `0.6`, `1` -> `2`): the types and
/// traits dependents get through this crate are no longer those of their
/// own copy. One change per dependency, naming where it is exposed.
fn public_dependency_changes(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
    let series = |req: &str| -> Option<(u64, u64, u64)> {
        let r = semver::VersionReq::parse(req).ok()?;
        let c = r.comparators.first()?;
        let (minor, patch) = (c.minor.unwrap_or(0), c.patch.unwrap_or(0));
        Some(match (c.major, minor) {
            (0, 0) => (0, 0, patch),
            (0, m) => (0, m, 0),
            (m, _) => (m, 0, 0),
        })
    };
    let mut out = Vec::new();
    for (dep, new_req) in &new.dep_requirements {
        let Some(old_req) = old.dep_requirements.get(dep) else {
            continue;
        };
        match (series(old_req), series(new_req)) {
            (Some(a), Some(b)) if a != b => {}
            _ => continue,
        }
        let prefix = format!("{dep}::");
        let exposed: Vec<&ApiItem> = new
            .items
            .values()
            // Items only documentation builds have (`#[cfg(docsrs)]`,
            // `#[cfg(doc)]`: tokio's `doc` module names mio) are no API.
            .filter(|i| {
                !i.cfg.as_deref().is_some_and(|c| {
                    c.split(|ch: char| !ch.is_alphanumeric() && ch != '_')
                        .any(|w| w == "docsrs" || w == "doc")
                })
            })
            .filter(|i| {
                let sig = i.signature.replace(' ', "");
                sig.contains(&prefix)
                    || i.shape.replace(' ', "").contains(&prefix)
                    || sig == format!("pubuse{dep}")
                    || sig.starts_with(&format!("pubuse{dep}as"))
                    || sig.starts_with(&format!("pubuse::{dep}"))
            })
            .collect();
        let Some(first) = exposed.first() else {
            continue;
        };
        let mut names: Vec<&str> = exposed.iter().map(|i| i.path.as_str()).collect();
        let more = names.len().saturating_sub(3);
        names.truncate(3);
        let item = ApiItem {
            key: format!("[dependency {dep}]"),
            path: format!("{} dependency `{dep}`", new.crate_name),
            kind: ItemKind::Feature,
            signature: format!("{dep} = \"{new_req}\""),
            shape: format!("{dep} = \"{new_req}\""),
            cfg: first.cfg.clone(),
            parent: None,
            facts: Default::default(),
        };
        let mut was = item.clone();
        was.signature = format!("{dep} = \"{old_req}\"");
        was.shape = was.signature.clone();
        out.push(ApiChange::new(
            "public-dependency-incompatible",
            &item,
            Some(&was),
            Some(&item),
            format!(
                "`{dep}` {old_req} -> {new_req} is an incompatible version, and it is part of the public API: {}{}",
                names.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        ));
    }
    out
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
        if name != "default" && !new.features.contains_key(name) && !new.implicit_feature(name) {
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
    out.extend(public_dependency_changes(old, new));
    // An optional dependency's own feature (no feature names it with
    // `dep:`): dependents may enable it by name.
    for dep in &old.optional_deps {
        if old.implicit_feature(dep)
            && !new.features.contains_key(dep)
            && !new.implicit_feature(dep)
        {
            let i = feature_item(dep, format!("{dep} = {{ optional = true }}"));
            let why = if new.optional_deps.contains(dep) {
                "is now only enabled through `dep:` (its implicit feature is gone)"
            } else {
                "was removed"
            };
            out.push(ApiChange::new(
                "cargo-implicit-feature-removed",
                &i,
                Some(&i),
                None,
                format!("optional dependency `{dep}` {why}"),
            ));
        }
    }
    // What a feature turns on, closed over the features it names: an entry
    // dropped from its list counts only if the feature no longer enables
    // it at all (`default = ["a"]` -> `default = ["a2"]`, `a2 = ["a"]` is
    // no change).
    for (name, old_list) in &old.features {
        let new_list = match new.features.get(name) {
            Some(l) => l.clone(),
            None if name == "default" => Vec::new(),
            None => continue,
        };
        let now = new.feature_closure(name);
        // Features only, this crate's (named, or an optional dependency's
        // implicit one, which `dep/feat` turns on too): `dep:x` is how the
        // crate implements a feature, and `x/feat` a dependency's feature,
        // which the book counts as a minor change ("changing dependency
        // features").
        let mut lost: Vec<String> = Vec::new();
        for e in old_list {
            let feature = if e.starts_with("dep:") {
                None
            } else if let Some((dep, _)) = e.split_once('/') {
                (!dep.ends_with('?') && old.implicit_feature(dep)).then(|| dep.to_string())
            } else {
                Some(e.clone())
            };
            // A feature that is gone altogether is reported as removed.
            let exists = |f: &str| new.features.contains_key(f) || new.implicit_feature(f);
            if let Some(f) = feature
                && exists(&f)
                && !new_list.contains(&f)
                && !now.contains(&f)
                && !lost.contains(&f)
            {
                lost.push(f);
            }
        }
        if lost.is_empty() {
            continue;
        }
        if name == "default" {
            for f in lost {
                let o = feature_item(&f, format!("default = {old_list:?}"));
                let n = feature_item(&f, format!("default = {new_list:?}"));
                let what = if f.starts_with("dep:") || f.contains('/') {
                    format!("`default` no longer enables `{f}`")
                } else {
                    format!("`{f}` is no longer a default feature")
                };
                out.push(ApiChange::new(
                    "cargo-default-feature-dropped",
                    &n,
                    Some(&o),
                    Some(&n),
                    what,
                ));
            }
        } else {
            let o = feature_item(name, format!("{name} = {old_list:?}"));
            let n = feature_item(name, format!("{name} = {new_list:?}"));
            let list: Vec<String> = lost.iter().map(|f| format!("`{f}`")).collect();
            out.push(ApiChange::new(
                "cargo-feature-enables-less",
                &n,
                Some(&o),
                Some(&n),
                format!("feature `{name}` no longer enables {}", list.join(", ")),
            ));
        }
    }
    if let (Some(cond), None) = (&old.no_std, &new.no_std) {
        let shown = if cond.is_empty() {
            "#![no_std]".to_string()
        } else {
            format!("#![cfg_attr({cond}, no_std)]")
        };
        let i = ApiItem {
            key: "[no_std]".to_string(),
            path: format!("{} #![no_std]", new.crate_name),
            kind: ItemKind::Module,
            signature: shown.clone(),
            shape: shown,
            cfg: None,
            parent: None,
            facts: Default::default(),
        };
        out.push(ApiChange::new(
            "no-std-removed",
            &i,
            Some(&i),
            None,
            format!("`{}` no longer supports no_std", new.crate_name),
        ));
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

/// The new version's `__local::path` markers for this crate's types,
/// written as the old version's marker for the same declaration: the two
/// name one declaration when their public paths overlap (a type that
/// gained a re-export, or moved and kept its old path, is still the same).
struct SameItems {
    map: HashMap<String, String>,
}

impl SameItems {
    fn new(old: &ApiSurface, new: &ApiSurface) -> Self {
        let mut by_path: HashMap<&str, &str> = HashMap::new();
        for (chosen, paths) in &old.local_paths {
            for p in paths {
                by_path.entry(p.as_str()).or_insert(chosen.as_str());
            }
        }
        let mut map = HashMap::new();
        for (chosen, paths) in &new.local_paths {
            if old.local_paths.contains_key(chosen) {
                continue;
            }
            if let Some(o) = paths.iter().find_map(|p| by_path.get(p.as_str())) {
                map.insert(chosen.clone(), o.to_string());
            }
        }
        SameItems { map }
    }

    /// A new impl header with its types named as in the old version.
    fn impl_shape(&self, s: &ImplShape) -> ImplShape {
        ImplShape {
            self_ty: self.rewrite(&s.self_ty),
            trait_ref: self.rewrite(&s.trait_ref),
            params: s.params.clone(),
            preds: s.preds.iter().map(|p| self.rewrite(p)).collect(),
            assoc: s
                .assoc
                .iter()
                .map(|(k, v)| (k.clone(), self.rewrite(v)))
                .collect(),
        }
    }

    fn rewrite(&self, text: &str) -> String {
        const MARK: &str = "__local::";
        if self.map.is_empty() || !text.contains(MARK) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(MARK) {
            out.push_str(&rest[..i + MARK.len()]);
            rest = &rest[i + MARK.len()..];
            // The path: identifiers joined by `::`.
            let mut end = 0;
            let b = rest.as_bytes();
            loop {
                while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                    end += 1;
                }
                if rest[end..].starts_with("::")
                    && rest[end + 2..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    end += 2;
                } else {
                    break;
                }
            }
            let path = &rest[..end];
            out.push_str(self.map.get(path).map_or(path, String::as_str));
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }

    fn fn_shape(&self, f: &FnShape) -> FnShape {
        FnShape {
            head: self.rewrite(&f.head),
            explicit: f.explicit.clone(),
            params: f.params.iter().map(|p| self.rewrite(p)).collect(),
            inputs: f.inputs.iter().map(|p| self.rewrite(p)).collect(),
            output: self.rewrite(&f.output),
            preds: f.preds.iter().map(|p| self.rewrite(p)).collect(),
        }
    }
}

/// Replaces whole-word occurrences of the keys of `subst` in `text`.
fn substitute(text: &str, subst: &HashMap<String, String>) -> String {
    if subst.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if let Some(r) = subst.get(word.as_str()) {
            out.push_str(r);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// What a change of a function's canonical signature is.
enum FnVerdict {
    /// The two read the same after all (parameters renamed consistently).
    Same,
    Code(&'static str, String),
}

/// `impl A + B` -> {A, B}; anything else -> None.
fn impl_bounds(ty: &str) -> Option<BTreeSet<String>> {
    let t: syn::Type = syn::parse_str(ty).ok()?;
    let syn::Type::ImplTrait(it) = t else {
        return None;
    };
    Some(it.bounds.iter().map(render::tokens).collect())
}

/// Unifies `pattern` (whose `vars` may stand for any type) with `target`:
/// `true` when some choice of the variables turns one into the other, the
/// choices being recorded in `bound` (as the target's text).
fn unify(
    pattern: &syn::Type,
    target: &syn::Type,
    vars: &BTreeSet<String>,
    bound: &mut HashMap<String, String>,
) -> bool {
    use quote::ToTokens;
    use syn::Type as T;
    if let T::Path(p) = pattern
        && p.qself.is_none()
        && let Some(id) = p.path.get_ident()
        && vars.contains(&id.to_string())
    {
        let text = render::ty(target);
        return match bound.get(&id.to_string()) {
            Some(prev) => *prev == text,
            None => {
                bound.insert(id.to_string(), text);
                true
            }
        };
    }
    let args = |a: &syn::PathArguments| -> Option<Vec<syn::GenericArgument>> {
        match a {
            syn::PathArguments::None => Some(Vec::new()),
            syn::PathArguments::AngleBracketed(ab) => Some(ab.args.iter().cloned().collect()),
            syn::PathArguments::Parenthesized(_) => None,
        }
    };
    match (pattern, target) {
        (T::Path(a), T::Path(b)) if a.qself.is_none() && b.qself.is_none() => {
            if a.path.segments.len() != b.path.segments.len() {
                return false;
            }
            for (sa, sb) in a.path.segments.iter().zip(b.path.segments.iter()) {
                if sa.ident != sb.ident {
                    return false;
                }
                let (Some(x), Some(y)) = (args(&sa.arguments), args(&sb.arguments)) else {
                    if sa.arguments.to_token_stream().to_string()
                        != sb.arguments.to_token_stream().to_string()
                    {
                        return false;
                    }
                    continue;
                };
                if x.len() != y.len() {
                    return false;
                }
                for (ga, gb) in x.iter().zip(y.iter()) {
                    let ok = match (ga, gb) {
                        (syn::GenericArgument::Type(ta), syn::GenericArgument::Type(tb)) => {
                            unify(ta, tb, vars, bound)
                        }
                        _ => render::tokens(ga) == render::tokens(gb),
                    };
                    if !ok {
                        return false;
                    }
                }
            }
            true
        }
        (T::Reference(a), T::Reference(b)) => {
            a.mutability.is_some() == b.mutability.is_some()
                && a.lifetime.as_ref().map(|l| l.to_string())
                    == b.lifetime.as_ref().map(|l| l.to_string())
                && unify(&a.elem, &b.elem, vars, bound)
        }
        (T::Ptr(a), T::Ptr(b)) => {
            render::tokens(&a.mutability) == render::tokens(&b.mutability)
                && unify(&a.elem, &b.elem, vars, bound)
        }
        (T::Slice(a), T::Slice(b)) => unify(&a.elem, &b.elem, vars, bound),
        (T::Array(a), T::Array(b)) => {
            render::tokens(&a.len) == render::tokens(&b.len) && unify(&a.elem, &b.elem, vars, bound)
        }
        (T::Tuple(a), T::Tuple(b)) => {
            a.elems.len() == b.elems.len()
                && a.elems
                    .iter()
                    .zip(b.elems.iter())
                    .all(|(x, y)| unify(x, y, vars, bound))
        }
        (T::Paren(a), _) => unify(&a.elem, target, vars, bound),
        (_, T::Paren(b)) => unify(pattern, &b.elem, vars, bound),
        _ => render::ty(pattern) == render::ty(target),
    }
}

/// Whether type `ty` (as the engine writes it) certainly meets `bound`
/// (`Into<u8>`), as far as a small table of std's impls goes. Unknown is
/// `false`: a generalization bumpguard cannot check stays a break.
fn known_to_hold(ty: &str, bound: &str) -> bool {
    let b: syn::TypeParamBound = match syn::parse_str(bound) {
        Ok(b) => b,
        Err(_) => return false,
    };
    let syn::TypeParamBound::Trait(tb) = b else {
        return false;
    };
    if tb.maybe.is_some() {
        return true; // `?Sized`
    }
    let Some(last) = tb.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    let arg = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => {
            Some(render::tokens(&a.args[0]))
        }
        _ => None,
    };
    let arg = arg.as_deref();
    let is = |list: &[&str]| list.contains(&ty);
    const INTS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    let primitive = INTS.contains(&ty) || is(&["bool", "char", "f32", "f64"]);
    match name.as_str() {
        "Sized" => !(ty == "str" || ty.starts_with('[') || ty.starts_with("dyn ")),
        "Into" | "From" => arg == Some(ty),
        "Borrow" => arg == Some(ty) || arg.is_some_and(|a| ty == format!("&{a}")),
        "AsRef" => match arg {
            Some("str") => is(&["&str", "String", "&String", "str", "Box<str>"]),
            Some("[u8]") => is(&["&[u8]", "Vec<u8>", "&Vec<u8>", "&str", "String", "[u8]"]),
            Some("std::path::Path") | Some("std::ffi::OsStr") => is(&[
                "&str",
                "String",
                "&std::path::Path",
                "std::path::PathBuf",
                "&std::path::PathBuf",
                "&std::ffi::OsStr",
                "std::ffi::OsString",
            ]),
            Some(a) => {
                ty == format!("&{a}") || ty == format!("Vec<{}>", a.trim_matches(['[', ']']))
            }
            None => false,
        },
        "Clone" | "Debug" | "PartialEq" | "PartialOrd" => {
            primitive || is(&["String", "&str", "()"])
        }
        "Copy" => primitive || is(&["&str", "()"]),
        "Eq" | "Ord" | "Hash" => {
            INTS.contains(&ty) || is(&["bool", "char", "String", "&str", "()"])
        }
        "Default" => {
            INTS.contains(&ty) || is(&["bool", "char", "f32", "f64", "String", "&str", "()"])
        }
        "Display" | "ToString" => primitive || is(&["String", "&str", "str"]),
        "Send" | "Sync" | "Unpin" => primitive || is(&["String", "&str", "()"]),
        _ => {
            // A trait object meets its own trait (`&dyn Tr` -> `&T` with
            // `T: Tr + ?Sized`).
            ty.strip_prefix("dyn ")
                .is_some_and(|rest| rest.split(" + ").any(|t| t == render::tokens(&tb.path)))
        }
    }
}

/// `T: Bound` -> (`T`, `Bound`) at the first top-level `: `.
fn split_pred(p: &str) -> Option<(&str, &str)> {
    p.split_once(": ")
}

/// Classifies a change of a function's canonical signature (`n` already
/// written with the old version's names for local types).
fn classify_fn(o: &FnShape, n: &FnShape) -> FnVerdict {
    use FnVerdict::*;
    let changed = |d: String| Code("fn-signature-changed", d);
    if o.head != n.head {
        return changed(String::new());
    }
    if o.inputs.len() != n.inputs.len() {
        return changed("the number of parameters changed".to_string());
    }
    // Only the turbofish differs.
    if o.inputs == n.inputs && o.output == n.output && o.preds == n.preds && o.params == n.params {
        return turbofish(&o.explicit, &n.explicit, &HashMap::new());
    }
    // Only arguments that took `&'static T` and now take any `&T`: a
    // caller's `'static` reference still fits the new (elided, so free)
    // lifetime. The output must not change, or the lifetime could flow
    // into it.
    if o.inputs != n.inputs
        && o.output == n.output
        && o.preds == n.preds
        && o.params == n.params
        && o.explicit == n.explicit
    {
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        let widened = o.inputs.iter().zip(&n.inputs).all(|(a, b)| {
            let (a, b) = (squash(a), squash(b));
            a == b || (a.contains("&'static") && a.replace("&'static", "&") == b)
        });
        if widened {
            return Code(
                "generic-bounds-loosened",
                "an argument no longer needs to live for `'static`".to_string(),
            );
        }
    }
    // Only the bounds of a returned `impl Trait`.
    if o.inputs == n.inputs
        && o.preds == n.preds
        && o.params == n.params
        && o.explicit == n.explicit
    {
        if let (Some(ob), Some(nb)) = (impl_bounds(&o.output), impl_bounds(&n.output)) {
            if nb.is_superset(&ob) {
                let added: Vec<&str> = nb.difference(&ob).map(String::as_str).collect();
                return Code(
                    "fn-return-bounds-added",
                    format!("the returned `impl` gained {}", added.join(" + ")),
                );
            }
            if nb.is_subset(&ob) {
                let gone: Vec<&str> = ob.difference(&nb).map(String::as_str).collect();
                return Code(
                    "fn-return-bounds-removed",
                    format!("the returned `impl` lost {}", gone.join(" + ")),
                );
            }
        }
        return changed("the return type changed".to_string());
    }
    // New parameters standing for what the old version wrote.
    let name_of = |p: &str| -> String {
        p.strip_prefix("const ")
            .unwrap_or(p)
            .split(':')
            .next()
            .unwrap_or(p)
            .trim()
            .to_string()
    };
    let old_params: BTreeSet<String> = o.params.iter().map(|p| name_of(p)).collect();
    let vars: BTreeSet<String> = n
        .params
        .iter()
        .filter(|p| !p.starts_with("const "))
        .map(|p| name_of(p))
        .collect();
    let parse = |t: &str| syn::parse_str::<syn::Type>(t).ok();
    let mut bound: HashMap<String, String> = HashMap::new();
    for (oi, ni) in o
        .inputs
        .iter()
        .zip(n.inputs.iter())
        .chain([(&o.output, &n.output)])
    {
        if oi == ni {
            continue;
        }
        let (Some(ot), Some(nt)) = (parse(oi), parse(ni)) else {
            return changed(String::new());
        };
        if !unify(&nt, &ot, &vars, &mut bound) {
            return changed(String::new());
        }
    }
    // Parameters used the same way in both (renamed) and inputs
    // generalized to a parameter.
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut generalized: BTreeMap<String, String> = BTreeMap::new();
    for (var, text) in &bound {
        if old_params.contains(text) && !renamed.values().any(|v| v == text) {
            renamed.insert(var.clone(), text.clone());
        } else {
            generalized.insert(var.clone(), text.clone());
        }
    }
    // A new parameter used where the old version had one of its own, in
    // an input that did not change, is that parameter.
    for v in &vars {
        if !bound.contains_key(v) && old_params.contains(v) && !renamed.values().any(|x| x == v) {
            renamed.insert(v.clone(), v.clone());
        }
    }
    // Const parameters too: a new one is as free as a type parameter.
    let all_new: BTreeSet<String> = n.params.iter().map(|p| name_of(p)).collect();
    for v in &all_new {
        if !vars.contains(v) && old_params.contains(v) && !renamed.values().any(|x| x == v) {
            renamed.insert(v.clone(), v.clone());
        }
    }
    let free: Vec<&String> = all_new
        .iter()
        .filter(|v| !renamed.contains_key(*v) && !generalized.contains_key(*v))
        .collect();
    // Bounds, with the new names written as the old ones.
    let mut unmet = Vec::new();
    let mut new_preds: BTreeSet<String> = BTreeSet::new();
    for p in &n.preds {
        if let Some((ty, b)) = split_pred(p)
            && let Some(concrete) = generalized.get(ty.trim())
        {
            if !known_to_hold(concrete, b) {
                unmet.push(format!("`{concrete}: {b}`"));
            }
            continue;
        }
        if free.iter().any(|f| {
            p.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == f.as_str())
        }) {
            continue;
        }
        new_preds.insert(substitute(p, &renamed));
    }
    let (old_preds, new_preds) = with_implicit_sized(
        o.preds.iter().map(String::as_str),
        new_preds.iter().map(String::as_str),
    );
    if !unmet.is_empty() {
        return changed(format!(
            "generalized to a type parameter, but bumpguard cannot tell whether {} holds",
            unmet.join(", ")
        ));
    }
    if new_preds != old_preds {
        if new_preds.is_superset(&old_preds) {
            return Code("generic-bounds-tightened", String::new());
        }
        if !new_preds.is_subset(&old_preds) {
            return changed("the bounds changed".to_string());
        }
    }
    if !free.is_empty() && o.explicit.is_empty() {
        // Nothing in the arguments says what it is: every call must now
        // name it.
        return changed(format!(
            "{} new generic parameter{} that the arguments do not determine: every call must now name {}",
            free.len(),
            if free.len() == 1 { "" } else { "s" },
            if free.len() == 1 { "it" } else { "them" }
        ));
    }
    if !generalized.is_empty() {
        let list: Vec<String> = generalized.values().map(|t| format!("`{t}`")).collect();
        return Code(
            "fn-generalized",
            format!("generalized where it took {}", list.join(", ")),
        );
    }
    if !free.is_empty() {
        return Code("fn-generic-param-added", String::new());
    }
    if new_preds != old_preds {
        return Code("generic-bounds-loosened", String::new());
    }
    turbofish(&o.explicit, &n.explicit, &renamed)
}

/// A change of the parameters a turbofish gives, all else equal.
fn turbofish(old: &[String], new: &[String], renamed: &HashMap<String, String>) -> FnVerdict {
    let new: Vec<String> = new
        .iter()
        .map(|n| renamed.get(n).cloned().unwrap_or_else(|| n.clone()))
        .collect();
    if old == new.as_slice() {
        return FnVerdict::Same;
    }
    if old.is_empty() {
        return FnVerdict::Code("fn-impl-trait-arg-to-generic", String::new());
    }
    // `old` is a subsequence of `new`: more to name, nothing reordered.
    let mut it = new.iter();
    if old.iter().all(|o| it.any(|n| n == o)) {
        return FnVerdict::Code(
            "fn-generic-param-added",
            "an `impl Trait` parameter became a named one".to_string(),
        );
    }
    FnVerdict::Code(
        "fn-signature-changed",
        if new.len() < old.len() {
            "fewer type parameters can be given with a turbofish".to_string()
        } else {
            "the type parameters a turbofish gives are in another order".to_string()
        },
    )
}

/// Codes for a change of a declaration's type and const parameters, with
/// a detail each.
fn classify_params(
    o: &GenericsShape,
    n: &GenericsShape,
    kind: ItemKind,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let show = |p: &(String, String, Option<String>)| match &p.2 {
        Some(d) => format!("{} = {d}", p.0),
        None => p.0.clone(),
    };
    let mut major = Vec::new();
    let mut defaults_added = Vec::new();
    for (a, b) in o.params.iter().zip(n.params.iter()) {
        if a.1 != b.1 {
            major.push(format!("`{}` is now a {}", a.0, b.1));
        }
        match (&a.2, &b.2) {
            (None, Some(_)) => defaults_added.push(show(b)),
            (Some(_), None) => major.push(format!("`{}` lost its default", a.0)),
            (Some(x), Some(y)) if x != y => {
                major.push(format!("the default of `{}` changed: {x} -> {y}", a.0))
            }
            _ => {}
        }
    }
    if o.params.len() > n.params.len() {
        major.push(format!(
            "type parameters removed: {}",
            o.params[n.params.len()..]
                .iter()
                .map(show)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let extra = &n.params[o.params.len().min(n.params.len())..];
    let (with_default, required): (Vec<_>, Vec<_>) = extra.iter().partition(|p| p.2.is_some());
    if !major.is_empty() {
        out.push(("item-signature-changed", major.join("; ")));
    }
    if !required.is_empty() {
        let list: Vec<String> = required.iter().map(|p| show(p)).collect();
        out.push((
            if kind == ItemKind::Trait {
                "trait-type-param-added"
            } else {
                "item-signature-changed"
            },
            format!("new type parameters without a default: {}", list.join(", ")),
        ));
    }
    if !with_default.is_empty() && required.is_empty() {
        let list: Vec<String> = with_default.iter().map(|p| show(p)).collect();
        out.push((
            "generic-param-with-default-added",
            format!("type parameters with a default added: {}", list.join(", ")),
        ));
    }
    if !defaults_added.is_empty() {
        out.push((
            "generic-param-default-added",
            format!("defaults added: {}", defaults_added.join(", ")),
        ));
    }
    out
}

/// The where predicates of `rest` that mention none of `names`.
fn rest_without(rest: &str, names: &[String]) -> String {
    if names.is_empty() {
        return rest.to_string();
    }
    let (head, preds) = split_where(rest);
    let kept: Vec<&str> = preds
        .into_iter()
        .filter(|p| {
            !p.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| names.iter().any(|n| n == w))
        })
        .collect();
    if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head} where {}", kept.join(", "))
    }
}

/// Bounds std's default hasher meets (`HashMap<K, V>` is
/// `HashMap<K, V, RandomState>`), squashed.
const KNOWN_BOUNDS: &[&str] = &[
    "std::collections::hash_map::RandomState:std::hash::BuildHasher",
    "std::collections::hash_map::RandomState:Clone",
    "std::collections::hash_map::RandomState:Default",
    "std::collections::hash_map::RandomState:std::fmt::Debug",
    "std::collections::hash_map::RandomState:Send",
    "std::collections::hash_map::RandomState:Sync",
];

/// Whether impl `general` covers every type `specific` is for: its header,
/// with some choice of its parameters, is the specific one's; its bounds
/// so instantiated are among the specific one's or known to hold; and its
/// associated types are the same.
fn impl_covers(general: &ImplShape, specific: &ImplShape) -> bool {
    let parse = |s: &ImplShape| -> Option<syn::Type> {
        syn::parse_str(&format!("({}, {})", s.self_ty, s.trait_ref)).ok()
    };
    let (Some(g), Some(s)) = (parse(general), parse(specific)) else {
        return false;
    };
    let vars: BTreeSet<String> = general.params.iter().cloned().collect();
    let mut chosen = HashMap::new();
    if !unify(&g, &s, &vars, &mut chosen) {
        return false;
    }
    let have: BTreeSet<String> = specific.preds.iter().map(|p| squash(p)).collect();
    let bounds_hold = general.preds.iter().all(|p| {
        let p = squash(&substitute(p, &chosen));
        have.contains(&p) || KNOWN_BOUNDS.contains(&p.as_str())
    });
    bounds_hold
        && general.assoc.len() == specific.assoc.len()
        && general
            .assoc
            .iter()
            .zip(&specific.assoc)
            .all(|((a, x), (b, y))| a == b && squash(&substitute(x, &chosen)) == squash(y))
}

/// Classifies a change of a trait impl's canonical header.
fn classify_impl(o: &ImplShape, n: &ImplShape) -> Option<(&'static str, String)> {
    if o == n {
        return None;
    }
    if o.self_ty == n.self_ty && o.trait_ref == n.trait_ref {
        if o.assoc != n.assoc {
            let changed: Vec<String> = n
                .assoc
                .iter()
                .filter(|a| !o.assoc.contains(a))
                .map(|(k, v)| {
                    let was = o
                        .assoc
                        .iter()
                        .find(|(ok, _)| ok == k)
                        .map_or("(none)".to_string(), |(_, ov)| ov.clone());
                    format!("type {k} = {was} -> {v}")
                })
                .collect();
            return Some(("trait-impl-assoc-type-changed", changed.join("; ")));
        }
        let (op, np) = with_implicit_sized(
            o.preds.iter().map(String::as_str),
            n.preds.iter().map(String::as_str),
        );
        if np.is_superset(&op) {
            return Some(("generic-bounds-tightened", "the impl's bounds".to_string()));
        }
        if np.is_subset(&op) {
            return Some(("generic-bounds-loosened", "the impl's bounds".to_string()));
        }
        let where_of = |preds: &[String]| format!("impl where {}", preds.join(", "));
        if let Some((code, written)) = conversion_bounds(&where_of(&o.preds), &where_of(&n.preds)) {
            return Some((code, format!("the impl's bounds: {written}")));
        }
        return Some((
            "trait-impl-changed",
            "the impl's bounds changed".to_string(),
        ));
    }
    // One header an instance of the other?
    let parse = |s: &ImplShape| -> Option<syn::Type> {
        syn::parse_str(&format!("({}, {})", s.self_ty, s.trait_ref)).ok()
    };
    let (Some(ot), Some(nt)) = (parse(o), parse(n)) else {
        return Some(("trait-impl-changed", String::new()));
    };
    let ovars: BTreeSet<String> = o.params.iter().cloned().collect();
    let nvars: BTreeSet<String> = n.params.iter().cloned().collect();
    if unify(&ot, &nt, &ovars, &mut HashMap::new()) {
        return Some((
            "trait-impl-narrowed",
            format!("for {} -> for {}", o.self_ty, n.self_ty),
        ));
    }
    if unify(&nt, &ot, &nvars, &mut HashMap::new()) {
        return Some((
            "trait-impl-widened",
            format!("for {} -> for {}", o.self_ty, n.self_ty),
        ));
    }
    Some(("trait-impl-changed", String::new()))
}

/// A variant's fields in the engine's form (`A { x: u8 }`, `A(u8)`):
/// whether `new` has every field of `old`, unchanged (tuple fields in
/// their places), and more.
fn variant_fields_extended(old: &str, new: &str) -> bool {
    let split = |s: &str| -> Option<(char, Vec<String>)> {
        let i = s.find([' ', '('])?;
        let rest = s[i..].trim();
        let (open, inner) = if let Some(r) = rest.strip_prefix('{') {
            ('{', r.strip_suffix('}')?)
        } else {
            ('(', rest.strip_prefix('(')?.strip_suffix(')')?)
        };
        let mut parts = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        let b = inner.as_bytes();
        for (j, ch) in inner.char_indices() {
            match ch {
                '<' | '(' | '[' | '{' => depth += 1,
                '>' if j > 0 && b[j - 1] == b'-' => {}
                '>' | ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(inner[start..j].trim().to_string());
                    start = j + 1;
                }
                _ => {}
            }
        }
        let last = inner[start..].trim();
        if !last.is_empty() {
            parts.push(last.to_string());
        }
        Some((open, parts))
    };
    let (Some((oo, of)), Some((no, nf))) = (split(old), split(new)) else {
        return false;
    };
    if oo != no || nf.len() <= of.len() {
        return false;
    }
    match oo {
        '(' => nf.starts_with(&of),
        _ => of.iter().all(|f| nf.contains(f)),
    }
}

/// `pub use a::b::X as Y` -> `X`.
fn reexported_name(shape: &str) -> &str {
    let path = shape.strip_prefix("pub use ").unwrap_or(shape);
    let path = path.split(" as ").next().unwrap_or(path);
    path.rsplit("::").next().unwrap_or(path)
}

/// Why an addition in `new` may have existed in `old`, generated by a
/// macro invocation the engine could not read there; `None` when no
/// unread macro of `old` could have produced it.
fn maybe_from_macro(old: &ApiSurface, n: &ApiItem, code: &str) -> Option<String> {
    if is_auto_trait_impl(&n.key) && code == "trait-impl-added" {
        let t = n.key.rsplit_once(" impl ").map_or("", |(_, t)| t);
        return Some(format!(
            "the type may already have been {t} without the explicit impl: auto traits follow from the fields, which the syn engine does not check"
        ));
    }
    if old.unexpanded_macros == 0 && old.unread.is_empty() {
        return None;
    }
    let Some(module) = n.facts.decl_module.as_deref() else {
        // Not placed (another engine): any unread macro may have made it.
        return Some(format!(
            "may have existed: the old version has {} macro invocation(s) bumpguard could not read",
            old.unexpanded_macros
        ));
    };
    // Macros that never expand to items.
    const NO_ITEMS: &[&str] = &[
        "compile_error",
        "assert",
        "assert_eq",
        "assert_ne",
        "debug_assert",
        "const_assert",
        "const_assert_eq",
        "const_assert_ne",
        "assert_impl_all",
        "assert_impl_any",
        "assert_not_impl_all",
        "assert_not_impl_any",
        "assert_obj_safe",
        "assert_eq_size",
        "assert_fields",
    ];
    let lower = |s: &str| s.to_lowercase().replace('_', "");
    let item_level = || {
        old.unread
            .iter()
            .filter(|m| m.in_impl_of.is_none() && !NO_ITEMS.contains(&m.name.as_str()))
    };
    let found = |m: &crate::api::UnreadMacro, why: &str| {
        Some(format!(
            "may have existed: the old version invokes `{}!` {why}, which bumpguard could not read",
            m.name
        ))
    };
    let name = n
        .key
        .rsplit("::")
        .next()
        .unwrap_or(&n.key)
        .split(' ')
        .next()
        .unwrap_or("");
    match code {
        "item-added" => {
            for m in item_level() {
                if m.module == module {
                    return found(m, "in the module it is declared in");
                }
            }
            for m in item_level() {
                if m.mentions.contains(name) {
                    return found(m, &format!("with `{name}` in its input"));
                }
            }
            None
        }
        "method-added" => {
            let owner = n
                .parent
                .as_deref()
                .map(|p| p.rsplit("::").next().unwrap_or(p))
                .unwrap_or("");
            for m in &old.unread {
                if m.in_impl_of.as_deref() == Some(owner) {
                    return found(m, &format!("inside an impl block of `{owner}`"));
                }
            }
            for m in item_level() {
                let impl_like = lower(&m.name).contains("impl") || m.mentions.contains("impl");
                if m.module == module
                    && impl_like
                    && (m.mentions.contains(owner) || m.mentions.contains(name))
                {
                    return found(
                        m,
                        "in the module of the impl, with `impl` and the type in it",
                    );
                }
            }
            None
        }
        "trait-impl-added" => {
            let tr = n
                .key
                .rsplit_once(" impl ")
                .map_or("", |(_, t)| t)
                .split(['<', ' '])
                .next()
                .unwrap_or("");
            for m in item_level() {
                let named = lower(&m.name).contains("impl") || lower(&m.name).contains(&lower(tr));
                let mentions = m.mentions.contains("impl") || m.mentions.contains(tr);
                if m.module == module && (named || mentions) {
                    return found(
                        m,
                        "in the module of the impl, whose name or input suggests impls",
                    );
                }
            }
            None
        }
        _ => None,
    }
}

/// std types with more than one path (where they are defined, where they
/// are re-exported) -> the one comparison forms use.
const STD_SAME: &[(&str, &str)] = &[
    (
        "std::collections::hash_map::HashMap",
        "std::collections::HashMap",
    ),
    (
        "std::collections::hash::map::HashMap",
        "std::collections::HashMap",
    ),
    (
        "std::collections::hash_set::HashSet",
        "std::collections::HashSet",
    ),
    (
        "std::collections::hash::set::HashSet",
        "std::collections::HashSet",
    ),
    (
        "std::hash::RandomState",
        "std::collections::hash_map::RandomState",
    ),
    (
        "std::hash::random::RandomState",
        "std::collections::hash_map::RandomState",
    ),
];

/// std types whose last type parameters have a default that stable code
/// can name (allocator parameters cannot be): the type, how many type
/// arguments a use must give, and the defaults of the others.
const STD_DEFAULTS: &[(&str, usize, &[&str])] = &[
    (
        "std::collections::HashMap",
        2,
        &["std::collections::hash_map::RandomState"],
    ),
    (
        "std::collections::HashSet",
        1,
        &["std::collections::hash_map::RandomState"],
    ),
];

/// A comparison form with the std types of [`STD_SAME`] named one way and
/// the defaulted parameters of [`STD_DEFAULTS`] written out:
/// `HashMap<K, V>` is `HashMap<K, V, RandomState>`, so a use that spells
/// the default and one that leaves it out read the same, and an impl for
/// `HashMap<K, V, S>` is seen to cover the one for `HashMap<K, V>`. Done
/// here, on the text both engines write, rather than in one engine.
fn std_spelling(text: &str) -> String {
    if !text.contains("std::collections::Hash")
        && !text.contains("RandomState")
        && !text.contains("std::collections::hash")
    {
        return text.to_string();
    }
    let mut text = text.to_string();
    for (other, one) in STD_SAME {
        text = replace_word(&text, other, one);
    }
    for (ty, required, defaults) in STD_DEFAULTS {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        let open = format!("{ty}<");
        while let Some(i) = rest.find(&open) {
            let before = rest[..i].chars().next_back();
            out.push_str(&rest[..i + open.len()]);
            rest = &rest[i + open.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            // The arguments, up to the matching `>`.
            let (mut depth, mut args, mut end) = (0i32, 1usize, None);
            let b = rest.as_bytes();
            for (j, &c) in b.iter().enumerate() {
                match c {
                    b'<' | b'(' | b'[' => depth += 1,
                    b'>' if j > 0 && b[j - 1] == b'-' => {}
                    b'>' if depth == 0 => {
                        end = Some(j);
                        break;
                    }
                    b'>' | b')' | b']' => depth -= 1,
                    b',' if depth == 0 => args += 1,
                    _ => {}
                }
            }
            let Some(end) = end else {
                continue;
            };
            let given = rest[..end].trim_end().trim_end_matches(',');
            // Lifetimes: none of these types has one.
            if args >= *required && args < required + defaults.len() && !given.contains('\'') {
                out.push_str(given);
                for d in &defaults[args - required..] {
                    out.push_str(", ");
                    out.push_str(d);
                }
                rest = &rest[end..];
            }
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// `surface` with every comparison form read through [`std_spelling`]
/// (a copy only when one needs it). Re-exports of other crates' items keep
/// the path they name: `reexport-path-changed` is about that path.
fn std_spelled(surface: &ApiSurface) -> std::borrow::Cow<'_, ApiSurface> {
    let needs =
        |i: &ApiItem| i.kind != ItemKind::ExternalReexport && std_spelling(&i.shape) != i.shape;
    if !surface.items.values().any(needs) {
        return std::borrow::Cow::Borrowed(surface);
    }
    let mut s = surface.clone();
    let all = |v: &mut Vec<String>| {
        for t in v.iter_mut() {
            *t = std_spelling(t);
        }
    };
    for item in s.items.values_mut() {
        if !needs(item) {
            continue;
        }
        item.shape = std_spelling(&item.shape);
        if let Some(f) = item.facts.fn_sig.as_deref_mut() {
            f.head = std_spelling(&f.head);
            all(&mut f.params);
            all(&mut f.inputs);
            f.output = std_spelling(&f.output);
            all(&mut f.preds);
        }
        if let Some(g) = item.facts.generics.as_deref_mut() {
            for p in g.params.iter_mut() {
                p.1 = std_spelling(&p.1);
                p.2 = p.2.as_deref().map(std_spelling);
            }
            g.rest = std_spelling(&g.rest);
        }
        if let Some(i) = item.facts.impl_shape.as_deref_mut() {
            i.self_ty = std_spelling(&i.self_ty);
            i.trait_ref = std_spelling(&i.trait_ref);
            all(&mut i.preds);
            for a in i.assoc.iter_mut() {
                a.1 = std_spelling(&a.1);
            }
        }
    }
    std::borrow::Cow::Owned(s)
}

/// Every change between the two surfaces, whatever the features.
fn changes(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
    let (old, new) = (&std_spelled(old), &std_spelled(new));
    let same = SameItems::new(old, new);
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

    // An impl whose key changed only because a type in it is named another
    // way (`Add<OldDuration>` -> `Add<TimeDelta>`, one type behind an
    // alias): same type, same header, not a removal and an addition.
    let mut same_impl: BTreeSet<String> = BTreeSet::new();
    {
        let mut by_shape: HashMap<(Option<&str>, String), &str> = HashMap::new();
        for k in &added {
            let n = &new.items[k];
            if n.kind == ItemKind::Impl && !n.shape.is_empty() {
                by_shape.insert((n.parent.as_deref(), same.rewrite(&n.shape)), k.as_str());
            }
        }
        for k in &removed {
            let o = &old.items[k];
            if o.kind == ItemKind::Impl
                && !o.shape.is_empty()
                && let Some(nk) = by_shape.get(&(o.parent.as_deref(), o.shape.clone()))
            {
                same_impl.insert(k.clone());
                same_impl.insert(nk.to_string());
            }
        }
    }
    // An impl whose key changed because it names its parameters another
    // way (keys spell the implemented type as written: `impl for Vec<T>`)
    // and whose header changed too (`impl<T> Tr for Vec<T>` ->
    // `impl<X: Send> Tr for Vec<X>`): one impl, changed, when it is the
    // only one for that type and trait on each side.
    let mut renamed_impls: Vec<(&str, &str)> = Vec::new();
    {
        type Head<'a> = (Option<&'a str>, String, String);
        let mut olds: HashMap<Head, Vec<&str>> = HashMap::new();
        for k in removed.iter().filter(|k| !same_impl.contains(*k)) {
            let o = &old.items[k];
            if o.kind == ItemKind::Impl
                && let Some(s) = &o.facts.impl_shape
            {
                let head = (o.parent.as_deref(), s.self_ty.clone(), s.trait_ref.clone());
                olds.entry(head).or_default().push(k);
            }
        }
        let mut news: HashMap<Head, Vec<&str>> = HashMap::new();
        for k in added.iter().filter(|k| !same_impl.contains(*k)) {
            let n = &new.items[k];
            if n.kind == ItemKind::Impl
                && let Some(s) = &n.facts.impl_shape
            {
                let head = (
                    n.parent.as_deref(),
                    same.rewrite(&s.self_ty),
                    same.rewrite(&s.trait_ref),
                );
                news.entry(head).or_default().push(k);
            }
        }
        for (head, ks) in &olds {
            if let [ok] = ks[..]
                && let Some([nk]) = news.get(head).map(Vec::as_slice)
            {
                renamed_impls.push((ok, nk));
            }
        }
    }
    for (ok, nk) in &renamed_impls {
        same_impl.insert(ok.to_string());
        same_impl.insert(nk.to_string());
        let (o, n) = (&old.items[*ok], &new.items[*nk]);
        if let (Some(oi), Some(ni)) = (&o.facts.impl_shape, &n.facts.impl_shape)
            && let Some((code, detail)) = classify_impl(oi, &same.impl_shape(ni))
        {
            out.push(ApiChange::new(
                code,
                n,
                Some(o),
                Some(n),
                format!("`{}` changed ({detail})", n.path),
            ));
        }
    }
    let removed: BTreeSet<String> = removed.difference(&same_impl).cloned().collect();
    let added: BTreeSet<String> = added.difference(&same_impl).cloned().collect();

    // An impl whose key changed because its header now covers more or
    // fewer types (`TryFrom<&HashMap<K, V>>` -> `TryFrom<&HashMap<K, V,
    // S>>`, http 1.2.0): one widened or narrowed impl, not a removal and
    // an addition.
    let mut paired: BTreeSet<String> = BTreeSet::new();
    for k in &removed {
        let o = &old.items[k];
        let Some(oi) = o.facts.impl_shape.as_deref() else {
            continue;
        };
        if o.kind != ItemKind::Impl {
            continue;
        }
        for nk in &added {
            let n = &new.items[nk];
            if n.kind != ItemKind::Impl || n.parent != o.parent || paired.contains(nk) {
                continue;
            }
            let Some(ni) = n.facts.impl_shape.as_deref() else {
                continue;
            };
            let ni = same.impl_shape(ni);
            let code = match (impl_covers(&ni, oi), impl_covers(oi, &ni)) {
                (true, false) => "trait-impl-widened",
                (false, true) => "trait-impl-narrowed",
                _ => continue,
            };
            let header = |key: &str| {
                key.rsplit_once(" impl ")
                    .map_or(key, |(_, t)| t)
                    .to_string()
            };
            out.push(ApiChange::new(
                code,
                n,
                Some(o),
                Some(n),
                format!(
                    "`{}`: `impl {}` -> `impl {}`",
                    n.path
                        .rsplit_once(" impl ")
                        .map_or(n.path.as_str(), |(t, _)| t),
                    header(k),
                    header(nk)
                ),
            ));
            paired.insert(k.clone());
            paired.insert(nk.clone());
            break;
        }
    }
    let removed: BTreeSet<String> = removed.difference(&paired).cloned().collect();
    let added: BTreeSet<String> = added.difference(&paired).cloned().collect();

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
        // An explicit auto-trait impl gone from a type whose fields rule the
        // trait out: the type certainly lost it.
        let certainly_lost = is_auto_trait_impl(key)
            && o.parent.as_ref().is_some_and(|p| {
                let t = key.rsplit_once(" impl ").map_or("", |(_, t)| t);
                [new.items.get(p), old.items.get(p)]
                    .into_iter()
                    .flatten()
                    .any(|ty| ty.facts.auto_blocked.iter().any(|b| b == t))
            });
        let code = match o.kind {
            ItemKind::Field => "struct-field-removed",
            ItemKind::Variant if o.parent.is_none() => "item-removed",
            ItemKind::Variant => "enum-variant-removed",
            ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst => {
                "trait-item-removed"
            }
            ItemKind::Method | ItemKind::AssocConst => "method-removed",
            ItemKind::Impl if is_auto_trait_impl(key) && o.facts.compiler_checked => {
                "auto-trait-lost"
            }
            ItemKind::Impl if certainly_lost => "auto-trait-lost",
            ItemKind::Impl if is_auto_trait_impl(key) => "auto-trait-impl-removed",
            ItemKind::Impl => "trait-impl-removed",
            _ => "item-removed",
        };
        let detail = if certainly_lost {
            format!(
                "explicit impl `{}` removed, and a field's type (a raw pointer, `NonNull`, `Rc` or a `Cell`) rules the trait out",
                o.path
            )
        } else {
            format!("{} `{}` removed", o.kind, o.path)
        };
        out.push(ApiChange::new(code, o, Some(o), None, detail));
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
            // A re-exported variant (`pub use E::*`) is a new path.
            (ItemKind::Variant, _) if n.parent.is_none() => "item-added",
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

    // Hidden members that still bind users: not API by name, but an
    // implementation must write a required one, a struct literal must
    // name a field, an exhaustive match must cover a variant.
    for (key, h) in &new.hidden_items {
        if old.items.contains_key(key) || old.hidden.contains(key) {
            continue;
        }
        let Some(p) = h.parent.as_ref().and_then(|p| old.items.get(p)) else {
            continue;
        };
        if !new.items.contains_key(&p.key) {
            continue;
        }
        let code = match h.kind {
            ItemKind::Field if p.facts.constructible == Some(true) => {
                "struct-pub-field-added-constructible"
            }
            ItemKind::Variant if !p.facts.non_exhaustive => "enum-variant-added",
            ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst
                if h.facts.has_default == Some(false) && !p.facts.sealed =>
            {
                "trait-item-added-required"
            }
            _ => continue,
        };
        out.push(ApiChange::new(
            code,
            h,
            None,
            Some(h),
            format!(
                "#[doc(hidden)] {} `{}` added (hidden from the documentation, but it still binds users)",
                h.kind, h.path
            ),
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

    // Fields and variants whose new type is a new defaulted parameter of
    // their type, standing for the type they had (`S(pub u8)` ->
    // `S<T = u8>(pub T)`): by parent.
    let mut generalized_parents: BTreeSet<String> = BTreeSet::new();

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
        // An auto-trait impl's conditions (rustdoc engine, no impl header)
        // follow the type's parameters: when the type's own declaration
        // changed, that change is the one reported.
        let owner_changed = n.kind == ItemKind::Impl
            && n.facts.impl_shape.is_none()
            && n.parent
                .as_ref()
                .is_some_and(|p| match (old.items.get(p), new.items.get(p)) {
                    (Some(a), Some(b)) => {
                        a.shape != b.shape || a.facts.defaulted_params != b.facts.defaulted_params
                    }
                    _ => true,
                });
        let n_shape = same.rewrite(&n.shape);
        let push = |code: &'static str, detail: String, out: &mut Vec<ApiChange>| {
            let detail = if detail.is_empty() {
                format!("`{}` changed", n.path)
            } else {
                format!("`{}` changed ({detail})", n.path)
            };
            out.push(ApiChange::new(code, n, Some(o), Some(n), detail));
        };
        let fn_like = matches!(n.kind, ItemKind::Function | ItemKind::Method);
        let typed = matches!(
            n.kind,
            ItemKind::Struct
                | ItemKind::Enum
                | ItemKind::Union
                | ItemKind::Trait
                | ItemKind::TypeAlias
        );
        match (&o.facts.fn_sig, &n.facts.fn_sig) {
            (Some(of), Some(nf))
                if fn_like && (o.shape != n_shape || of.explicit != nf.explicit) =>
            {
                let nf = same.fn_shape(nf);
                let verdict = blanket_generalization(&o.shape, &n_shape)
                    .map(|c| (c, String::new()))
                    .or_else(|| conversion_bounds(&o.shape, &n_shape))
                    .map(|(c, detail)| FnVerdict::Code(c, detail))
                    .unwrap_or_else(|| classify_fn(of, &nf));
                if let FnVerdict::Code(code, detail) = verdict {
                    push(code, detail, &mut out);
                }
            }
            (Some(of), Some(nf))
                if n.kind == ItemKind::TraitMethod
                    && o.shape == n_shape
                    && of.explicit != nf.explicit =>
            {
                // Implementations must match the trait's generics exactly.
                push(
                    "trait-item-changed",
                    "its type parameters changed between named and `impl Trait`".to_string(),
                    &mut out,
                );
            }
            _ if typed && o.facts.generics.is_some() && n.facts.generics.is_some() => {
                let (og, ng) = (
                    o.facts.generics.as_deref().cloned().unwrap_or_default(),
                    n.facts.generics.as_deref().cloned().unwrap_or_default(),
                );
                let new_only: Vec<String> = ng
                    .params
                    .iter()
                    .skip(og.params.len())
                    .map(|p| p.0.clone())
                    .collect();
                let (o_rest, n_rest) = (
                    og.rest.clone(),
                    rest_without(&same.rewrite(&ng.rest), &new_only),
                );
                if o_rest != n_rest {
                    let code = bounds_code(&o_rest, &n_rest)
                        .or_else(|| conversion_bounds(&o_rest, &n_rest).map(|(c, _)| c))
                        .unwrap_or("item-signature-changed");
                    let mut c =
                        ApiChange::new(code, n, Some(o), Some(n), format!("`{}` changed", n.path));
                    if o.signature == n.signature {
                        c.uncertain = true;
                        c.message = format!(
                            "`{}` reads the same, but a name in it resolves through different imports: check whether it still means the same type",
                            n.path
                        );
                    }
                    out.push(c);
                }
                for (code, detail) in classify_params(&og, &ng, n.kind) {
                    push(code, detail, &mut out);
                }
            }
            (Some(_), Some(_)) | (None, _) | (_, None) if o.shape != n_shape && !owner_changed => {
                let bounds = match n.kind {
                    ItemKind::Function
                    | ItemKind::Method
                    | ItemKind::Struct
                    | ItemKind::Enum
                    | ItemKind::Union
                    | ItemKind::Trait
                    | ItemKind::TypeAlias
                    // The conditions of an auto-trait impl (rustdoc engine).
                    | ItemKind::Impl => bounds_code(&o.shape, &n_shape),
                    _ => None,
                }
                .or_else(|| {
                    fn_like
                        .then(|| blanket_generalization(&o.shape, &n_shape))
                        .flatten()
                })
                .or_else(|| conversion_bounds(&o.shape, &n_shape).map(|(c, _)| c));
                // A field or variant whose new type is a new defaulted
                // parameter standing for its old type.
                let generalized = matches!(n.kind, ItemKind::Field | ItemKind::Variant)
                    && n.parent.as_ref().is_some_and(|p| {
                        let (Some(op), Some(np)) = (old.items.get(p), new.items.get(p)) else {
                            return false;
                        };
                        let (Some(og), Some(ng)) = (&op.facts.generics, &np.facts.generics) else {
                            return false;
                        };
                        let subst: HashMap<String, String> = ng
                            .params
                            .iter()
                            .skip(og.params.len())
                            .filter_map(|(name, _, d)| d.clone().map(|d| (name.clone(), d)))
                            .collect();
                        !subst.is_empty() && substitute(&n_shape, &subst) == o.shape
                    });
                let extended = n.kind == ItemKind::Variant
                    && o.facts.non_exhaustive
                    && n.facts.non_exhaustive
                    && variant_fields_extended(&o.shape, &n_shape);
                if generalized {
                    if let Some(p) = &n.parent {
                        generalized_parents.insert(p.clone());
                    }
                } else if extended {
                    // Outside code can neither build a #[non_exhaustive]
                    // variant nor match it without `..`: a new field breaks
                    // nothing.
                    push(
                        "variant-field-added-non-exhaustive",
                        String::new(),
                        &mut out,
                    );
                } else if n.kind == ItemKind::Impl && (o.shape.is_empty() || n_shape.is_empty()) {
                    // Derived on one side, written out on the other: the
                    // derive's code is not compared.
                } else if let (Some(oi), Some(ni)) = (&o.facts.impl_shape, &n.facts.impl_shape) {
                    if let Some((code, detail)) = classify_impl(oi, &same.impl_shape(ni)) {
                        push(code, detail, &mut out);
                    }
                } else {
                    let code = match n.kind {
                        _ if bounds.is_some() => bounds.unwrap_or_default(),
                        ItemKind::Function | ItemKind::Method => "fn-signature-changed",
                        ItemKind::Field => "struct-field-type-changed",
                        ItemKind::Variant => "enum-variant-changed",
                        ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst => {
                            "trait-item-changed"
                        }
                        ItemKind::ExternalReexport
                            if reexported_name(&o.shape) == reexported_name(&n_shape) =>
                        {
                            "reexport-path-changed"
                        }
                        ItemKind::ExternalReexport => "reexport-changed",
                        ItemKind::Impl => "trait-impl-changed",
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
            }
            _ => {}
        }
        if o.facts.generics.is_none()
            && n.facts.generics.is_none()
            && o.shape == n_shape
            && o.facts.defaulted_params != n.facts.defaulted_params
        {
            // Another engine's surfaces: defaults are compared as written.
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
        let shown = |r: &Option<String>| match r {
            Some(r) => format!("#[repr({r})]"),
            None => "(default representation)".to_string(),
        };
        for code in repr_codes(o.facts.repr.as_deref(), n.facts.repr.as_deref()) {
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
        let repr_c = |r: &Option<String>| {
            r.as_deref()
                .is_some_and(|r| r.split(", ").any(|p| p == "C"))
        };
        if repr_c(&o.facts.repr) && repr_c(&n.facts.repr) {
            let common: Vec<&String> = o
                .facts
                .field_order
                .iter()
                .filter(|f| n.facts.field_order.contains(f))
                .collect();
            let now: Vec<&String> = n
                .facts
                .field_order
                .iter()
                .filter(|f| o.facts.field_order.contains(f))
                .collect();
            if common != now {
                let list =
                    |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                let mut c = ApiChange::new(
                    "repr-c-fields-reordered",
                    n,
                    Some(o),
                    Some(n),
                    format!(
                        "`{}`: public fields {} -> {}",
                        n.path,
                        list(&common),
                        list(&now)
                    ),
                );
                c.old = Some(format!("#[repr(C)] {{ {} }}", list(&common)));
                c.new = Some(format!("#[repr(C)] {{ {} }}", list(&now)));
                out.push(c);
            }
        }
        // Discriminants: by value where the explicit ones are integer
        // literals (implicit ones are the previous plus one), else as
        // written.
        let observable = n
            .parent
            .as_ref()
            .and_then(|p| new.items.get(p))
            .is_some_and(|e| {
                let int_repr = e.facts.repr.as_deref().is_some_and(|r| {
                    r.split(", ").any(|p| {
                        !matches!(p, "Rust" | "transparent")
                            && !p.starts_with("align")
                            && !p.starts_with("packed")
                    })
                });
                // `as` casts work on a fieldless enum outside the crate
                // unless it is #[non_exhaustive]; a primitive or C repr
                // fixes the values in memory.
                int_repr || (e.facts.fieldless && !e.facts.non_exhaustive)
            });
        let by_value = match (o.facts.discriminant_value, n.facts.discriminant_value) {
            (Some(a), Some(b)) => Some(a != b && observable),
            _ => None,
        };
        let by_text =
            o.facts.discriminant.is_some() && o.facts.discriminant != n.facts.discriminant;
        if n.kind == ItemKind::Variant && by_value.unwrap_or(by_text) {
            let show = |i: &ApiItem| match (&i.facts.discriminant, i.facts.discriminant_value) {
                (Some(t), _) => t.clone(),
                (None, Some(v)) => format!("{v} (implicit)"),
                (None, None) => "(implicit)".to_string(),
            };
            out.push(ApiChange::new(
                "enum-discriminant-changed",
                n,
                Some(o),
                Some(n),
                format!("`{}` = {} -> {}", n.path, show(o), show(n)),
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
    // A type whose fields now have a new defaulted parameter's type, that
    // default being their old type: the book's "generalizing a type with
    // identical types".
    for c in out.iter_mut() {
        if c.code == "generic-param-with-default-added" && generalized_parents.contains(&c.key) {
            let r = rule("type-generalized");
            c.code = r.code;
            c.required = r.level;
            c.possibly_breaking = r.possibly_breaking;
            c.reference = r.reference;
            c.message = format!("`{}` was generalized: {}", c.path, r.summary);
        }
    }
    // Additions that an unread macro of the old version may have produced
    // are uncertain (they may have existed all along).
    for c in out.iter_mut() {
        if !matches!(c.code, "item-added" | "trait-impl-added" | "method-added") {
            continue;
        }
        let Some(n) = new.items.get(&c.key) else {
            continue;
        };
        if let Some(why) = maybe_from_macro(old, n, c.code) {
            c.uncertain = true;
            c.message.push_str(&format!(" ({why})"));
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

/// What `[policy]` does with a kind of change the rules cannot decide
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judgement {
    /// Held to the level in its row, nothing more.
    Allow,
    /// Held to its level, and listed as a warning when the bump does not
    /// allow a major change.
    Warn,
    /// Treated as a major change: a violation when the bump does not allow
    /// one.
    Block,
}

/// How the changes the Cargo book leaves to judgement count
/// (`[policy] possibly-breaking` and `[policy] hidden`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiPolicy {
    /// Changes the book calls "possibly breaking" (default: allow).
    pub possibly_breaking: Judgement,
    /// An item becoming `#[doc(hidden)]` (default: warn).
    pub hidden: Judgement,
}

impl Default for ApiPolicy {
    fn default() -> Self {
        ApiPolicy {
            possibly_breaking: Judgement::Allow,
            hidden: Judgement::Warn,
        }
    }
}

/// Marks the changes that need a bigger bump than `allowed` and returns how
/// many there are. `None` (a downgrade or same-version change) has no SemVer
/// verdict, so nothing violates. A "possibly breaking" change is held to the
/// level in its row (the least it needs, usually minor), never more: the
/// Cargo book leaves the rest to judgement, and so does policy (the default
/// one here: see [`apply_policy`]). Uncertain changes and changes outside
/// the features in view never violate.
pub fn mark_violations(changes: &mut [ApiChange], allowed: Option<Level>) -> usize {
    for c in changes.iter_mut() {
        c.violation =
            !c.uncertain && !c.not_in_view && matches!(allowed, Some(a) if c.required > a);
    }
    apply_policy(changes, allowed, &ApiPolicy::default())
}

/// Applies `[policy] possibly-breaking` and `[policy] hidden` to changes
/// whose violations [`mark_violations`] marked: when the bump does not
/// allow a major change, `block` makes such a change a violation and
/// `warn` lists it as a warning (`allow` does neither). Returns the number
/// of violations. It never clears a violation, so it can run again with
/// the repository's configuration.
pub fn apply_policy(
    changes: &mut [ApiChange],
    allowed: Option<Level>,
    policy: &ApiPolicy,
) -> usize {
    let mut n = 0;
    for c in changes.iter_mut() {
        c.warning = false;
        let judged = if c.code == "item-hidden" {
            Some(policy.hidden)
        } else if c.possibly_breaking {
            Some(policy.possibly_breaking)
        } else {
            None
        };
        if let (Some(j), Some(a)) = (judged, allowed)
            && !c.uncertain
            && !c.not_in_view
            && !c.violation
            && a < Level::Major
        {
            match j {
                Judgement::Block => c.violation = true,
                Judgement::Warn => c.warning = true,
                Judgement::Allow => {}
            }
        }
        n += usize::from(c.violation);
    }
    n
}

/// The largest level any change requires (`Patch` when nothing changed).
/// Uncertain changes (which may not be changes at all) do not count.
pub fn required_level(changes: &[ApiChange]) -> Level {
    changes
        .iter()
        .filter(|c| !c.uncertain)
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
    fn a_static_argument_loosened_only_while_the_output_stays() {
        let shape = |inputs: &[&str], output: &str| FnShape {
            head: "pub fn f".into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            output: output.into(),
            ..FnShape::default()
        };
        let code = |v: FnVerdict| match v {
            FnVerdict::Code(c, _) => c,
            _ => "same",
        };
        assert_eq!(
            code(classify_fn(
                &shape(&["& 'static str", "u8"], "()"),
                &shape(&["& str", "u8"], "()")
            )),
            "generic-bounds-loosened"
        );
        // Narrowed: a break.
        assert_eq!(
            code(classify_fn(
                &shape(&["& str"], "()"),
                &shape(&["& 'static str"], "()")
            )),
            "fn-signature-changed"
        );
        // The returned reference may now live shorter.
        assert_eq!(
            code(classify_fn(
                &shape(&["& 'static str"], "& 'static str"),
                &shape(&["& '__l0 str"], "& '__l0 str")
            )),
            "fn-signature-changed"
        );
    }

    #[test]
    fn maybe_sized_is_the_absence_of_sized() {
        // Dropping `?Sized` adds a bound, writing it removes one.
        assert_eq!(
            bounds_code("struct S<__P0> where __P0: ?Sized", "struct S<__P0>"),
            Some("generic-bounds-tightened")
        );
        assert_eq!(
            bounds_code("struct S<__P0>", "struct S<__P0> where __P0: ?Sized"),
            Some("generic-bounds-loosened")
        );
        // Function shapes space it out.
        let (o, n) = with_implicit_sized(
            ["__G0 : ? Sized", "__G0 : AsRef<str>"],
            ["__G0 : AsRef<str>"],
        );
        assert!(n.is_superset(&o) && n != o, "{o:?} {n:?}");
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
    fn try_from_written_as_try_into_is_a_loosened_bound() {
        // http 1.1.0 -> 1.2.0, `Request::get`.
        let old = "pub fn get<__G0>(_: __G0) -> __local::request::Builder where <__local::Uri as TryFrom<__G0>>::Error: Into<__local::Error>, __local::Uri: TryFrom<__G0>,";
        let new = "pub fn get<__G0>(_: __G0) -> __local::request::Builder where <__G0 as TryInto<__local::Uri>>::Error: Into<__local::Error>, __G0: TryInto<__local::Uri>,";
        assert_eq!(
            conversion_bounds(old, new).map(|c| c.0),
            Some("generic-bounds-loosened")
        );
        assert_eq!(
            conversion_bounds(new, old).map(|c| c.0),
            Some("generic-bounds-tightened")
        );
        // Two parameters at once (`Builder::header`), the projection in the
        // return type, `X::Error` for the qualified form.
        let old = "pub fn h<__G0, __G1>(_: __G0, _: __G1) -> Result<(), <__local::N as TryFrom<__G0>>::Error> where __local::N: TryFrom<__G0>, __local::V: TryFrom<__G1>,";
        let new = "pub fn h<__G0, __G1>(_: __G0, _: __G1) -> Result<(), __G0::Error> where __G0: TryInto<__local::N>, __G1: TryInto<__local::V>,";
        assert_eq!(
            conversion_bounds(old, new).map(|c| c.0),
            Some("generic-bounds-loosened")
        );
        // From -> Into, and a bound dropped next to it: still loosened.
        let old = "pub fn f<__G0>(_: __G0) where __G0: Send, String: From<__G0>,";
        let new = "pub fn f<__G0>(_: __G0) where __G0: Into<String>,";
        assert_eq!(
            conversion_bounds(old, new).map(|c| c.0),
            Some("generic-bounds-loosened")
        );
        // Loosened here, tightened there: not decided here.
        let new = "pub fn f<__G0>(_: __G0) where __G0: Into<String>, __G0: Sync, __G0: Send,";
        assert_eq!(conversion_bounds(old, new), None);
        // Another type: not the same conversion.
        let new = "pub fn f<__G0>(_: __G0) where __G0: Send, __G0: Into<Vec<u8>>,";
        assert_eq!(conversion_bounds(old, new), None);
        // The impl form's spacing (`T : Tr`) reads the same.
        assert_eq!(
            conversion_bounds(
                "impl where __local::Uri : TryFrom<& '__l0 __P1>",
                "impl where & '__l0 __P1 : TryInto<__local::Uri>"
            )
            .map(|c| c.0),
            Some("generic-bounds-loosened")
        );
    }

    #[test]
    fn std_types_are_compared_with_their_defaults_written_out() {
        assert_eq!(
            std_spelling("pub fn f(_: std::collections::HashMap<u8, Vec<u8>>)"),
            "pub fn f(_: std::collections::HashMap<u8, Vec<u8>, std::collections::hash_map::RandomState>)"
        );
        assert_eq!(
            std_spelling(
                "pub fn f(_: std::collections::hash_set::HashSet<u8, std::hash::RandomState>)"
            ),
            std_spelling("pub fn f(_: std::collections::HashSet<u8>)")
        );
        assert_eq!(
            std_spelling("impl TryFrom<&'__l0 std::collections::HashMap<__P1, __P2>> for X"),
            "impl TryFrom<&'__l0 std::collections::HashMap<__P1, __P2, std::collections::hash_map::RandomState>> for X"
        );
        // Given, or not the std type: unchanged.
        for t in [
            "pub fn f<__G0>(_: std::collections::HashMap<u8, u8, __G0>)",
            "pub fn f(_: my::collections::HashMap<u8>)",
            "pub fn f(_: __local::HashMap<u8, u8>)",
        ] {
            assert_eq!(std_spelling(t), t);
        }
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
    fn policy_decides_possibly_breaking_and_hidden_changes() {
        let old = surface(vec![
            item(
                "S",
                ItemKind::Struct,
                "pub struct S;",
                None,
                Facts::default(),
            ),
            item(
                "f",
                ItemKind::Function,
                "pub fn f()",
                None,
                Facts::default(),
            ),
        ]);
        let mut new = old.clone();
        new.items.remove("f");
        new.hidden.insert("f".into());
        new.items.insert(
            "S::g".into(),
            item(
                "S::g",
                ItemKind::Method,
                "pub fn g()",
                Some("S"),
                Facts::default(),
            ),
        );
        let run = |policy: ApiPolicy, allowed: Level| {
            let mut changes = diff(&old, &new);
            mark_violations(&mut changes, Some(allowed));
            let n = apply_policy(&mut changes, Some(allowed), &policy);
            let flags: Vec<(&str, bool, bool)> = changes
                .iter()
                .map(|c| (c.code, c.violation, c.warning))
                .collect();
            (n, flags)
        };
        let policy = |possibly_breaking, hidden| ApiPolicy {
            possibly_breaking,
            hidden,
        };
        // Defaults: the new method is held to minor (a violation in a patch
        // release), the hidden item is a warning.
        assert_eq!(
            run(ApiPolicy::default(), Level::Patch),
            (
                1,
                vec![("method-added", true, false), ("item-hidden", false, true)]
            )
        );
        // In a minor release: the method is fine; `warn` lists it, `block`
        // makes it a violation; `hidden = "block"` blocks the hidden item.
        assert_eq!(
            run(policy(Judgement::Warn, Judgement::Warn), Level::Minor),
            (
                0,
                vec![("method-added", false, true), ("item-hidden", false, true)]
            )
        );
        assert_eq!(
            run(policy(Judgement::Block, Judgement::Block), Level::Minor),
            (
                2,
                vec![("method-added", true, false), ("item-hidden", true, false)]
            )
        );
        // A major release allows everything, whatever the policy.
        assert_eq!(
            run(policy(Judgement::Block, Judgement::Block), Level::Major).0,
            0
        );
    }

    #[test]
    fn readable_messages_hide_canonical_names() {
        assert_eq!(
            readable("for S<__P0> -> for __local::a::S<u8>, &'__l1 str"),
            "for S<#1> -> for a::S<u8>, &'b str"
        );
    }

    #[test]
    fn known_bounds_decide_generalizations() {
        assert!(known_to_hold("u8", "Into<u8>"));
        assert!(known_to_hold("&str", "AsRef<str>"));
        assert!(known_to_hold("dyn Tr", "Tr"));
        assert!(known_to_hold("dyn Tr", "?Sized"));
        assert!(!known_to_hold("Vec<u8>", "Copy"));
        assert!(!known_to_hold("u8", "Into<u16>"));
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
