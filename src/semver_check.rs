//! SemVer check: two API surfaces -> the changes between them, each with the
//! version bump it requires under the Cargo book's SemVer compatibility rules,
//! and the violations: changes larger than the actual version bump allows.
//!
//! Every change kind is a row of [`RULES`]: a stable code, the level it
//! requires, a one-line explanation and the Cargo book reference. The diff
//! below only decides which row applies; wording and levels live in the table.

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
        "the #[cfg] conditions under which the item exists changed (feature-set analysis is not done yet)",
        "#cargo-feature-remove"
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
            finding: None,
            accepted: None,
            engines: Vec::new(),
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

/// The API changes from `old` to `new`, most severe first, then by path.
pub fn diff(old: &ApiSurface, new: &ApiSurface) -> Vec<ApiChange> {
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

    for key in &removed {
        let o = &old.items[key];
        if under_any(key, o, &removed) {
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
        if under_any(key, n, &added) {
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
        if o.shape != n.shape {
            let code = match n.kind {
                ItemKind::Function | ItemKind::Method => "fn-signature-changed",
                ItemKind::Field => "struct-field-type-changed",
                ItemKind::Variant => "enum-variant-changed",
                ItemKind::TraitMethod | ItemKind::TraitType | ItemKind::TraitConst => {
                    "trait-item-changed"
                }
                ItemKind::ExternalReexport => "reexport-changed",
                _ => "item-signature-changed",
            };
            out.push(ApiChange::new(
                code,
                n,
                Some(o),
                Some(n),
                format!("`{}` changed", n.path),
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
        c.violation = !c.uncertain && matches!(allowed, Some(a) if c.required > a);
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
