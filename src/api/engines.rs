//! Choosing the API engine: syn (reads the source), rustdoc (asks the
//! compiler), or both side by side.
//!
//! Both engines fill the same [`ApiSurface`] model, so the comparison is
//! [`semver_check::diff`] either way. With [`Engine::Both`] the two lists
//! of changes are merged: the union, each change marked with the engines
//! that found it, and the changes only one engine found listed as
//! disagreements in the crate's notes (they point at gaps in one engine or
//! the other). When rustdoc cannot analyse the crate, `Both` falls back to
//! the syn result with a note.

use super::ApiSurface;
use super::rustdoc_engine::{self, BuildOptions};
use crate::api::features::FeatureView;
use crate::semver_check::{self, ApiChange};
use std::path::Path;

/// Which engine reads the public API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Engine {
    /// Source parsing: never runs the crate's code.
    #[default]
    Syn,
    /// rustdoc JSON: compiles the crate (build script, proc macros).
    Rustdoc,
    /// Both, merged.
    Both,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Syn => "syn",
            Engine::Rustdoc => "rustdoc",
            Engine::Both => "both",
        }
    }
}

/// The API changes of one crate pair as the chosen engine(s) see them.
#[derive(Debug, Default)]
pub struct EngineDiff {
    pub changes: Vec<ApiChange>,
    /// Notes of the rustdoc engine, fall-backs and disagreements.
    pub notes: Vec<String>,
    /// Set when the only engine asked for could not analyse the crate:
    /// `not analysed by rustdoc: <reason>` (then `changes` is empty).
    pub failure: Option<String>,
    /// The rustdoc engine read both versions: the API is known whatever the
    /// syn engine could not read.
    pub compiled: bool,
}

/// Most disagreements listed one by one; the rest are counted.
const MAX_LISTED: usize = 12;

/// Compares `old_dir` with `new_dir` with `engine`. `syn_old` and `syn_new`
/// are the syn engine's surfaces of the two trees (always read: the
/// behavioural diff needs the parsed crate anyway).
pub fn diff_trees(
    engine: Engine,
    old_dir: &Path,
    new_dir: &Path,
    syn_old: &ApiSurface,
    syn_new: &ApiSurface,
    opts: &BuildOptions,
    view: &FeatureView,
) -> EngineDiff {
    let syn = || semver_check::diff_in_view(syn_old, syn_new, view);
    let rustdoc = || -> Result<(Vec<ApiChange>, Vec<String>), String> {
        let mut old = rustdoc_engine::surface_from_dir(old_dir, opts)
            .map_err(|e| format!("old version: {e}"))?;
        let mut new = rustdoc_engine::surface_from_dir(new_dir, opts)
            .map_err(|e| format!("new version: {e}"))?;
        // The `[features]` table is the manifest's, whoever reads the code.
        old.features = syn_old.features.clone();
        new.features = syn_new.features.clone();
        old.optional_deps = syn_old.optional_deps.clone();
        new.optional_deps = syn_new.optional_deps.clone();
        old.no_std = syn_old.no_std.clone();
        new.no_std = syn_new.no_std.clone();
        let mut notes = new.notes.clone();
        for n in &old.notes {
            if !notes.contains(n) {
                notes.push(format!("old version: {n}"));
            }
        }
        Ok((semver_check::diff_in_view(&old, &new, view), notes))
    };
    match engine {
        Engine::Syn => EngineDiff {
            changes: syn(),
            ..EngineDiff::default()
        },
        Engine::Rustdoc => match rustdoc() {
            Ok((changes, notes)) => EngineDiff {
                changes,
                notes,
                failure: None,
                compiled: true,
            },
            Err(e) => EngineDiff {
                failure: Some(e),
                ..EngineDiff::default()
            },
        },
        Engine::Both => match rustdoc() {
            Ok((rd, mut notes)) => {
                let (changes, disagreements) = merge(syn(), rd);
                notes.extend(disagreements);
                EngineDiff {
                    changes,
                    notes,
                    failure: None,
                    compiled: true,
                }
            }
            Err(e) => EngineDiff {
                changes: syn()
                    .into_iter()
                    .map(|mut c| {
                        c.engines = vec!["syn"];
                        c
                    })
                    .collect(),
                notes: vec![format!(
                    "{e}; the changes listed are the syn engine's alone"
                )],
                failure: None,
                compiled: false,
            },
        },
    }
}

/// The union of two engines' changes, each marked with who saw it, and one
/// note per disagreement kind (changes only one engine found).
pub fn merge(syn: Vec<ApiChange>, rustdoc: Vec<ApiChange>) -> (Vec<ApiChange>, Vec<String>) {
    let same = |a: &ApiChange, b: &ApiChange| a.code == b.code && a.path == b.path;
    let mut rustdoc: Vec<Option<ApiChange>> = rustdoc.into_iter().map(Some).collect();
    let mut out = Vec::new();
    let mut only_syn = Vec::new();
    for mut c in syn {
        match rustdoc
            .iter_mut()
            .find(|r| r.as_ref().is_some_and(|r| same(r, &c)))
            .and_then(Option::take)
        {
            Some(r) => {
                c.engines = vec!["syn", "rustdoc"];
                // The compiler saw all of both versions.
                c.uncertain &= r.uncertain;
            }
            None => {
                c.engines = vec!["syn"];
                only_syn.push(format!("{} {}", c.code, c.path));
            }
        }
        out.push(c);
    }
    let mut only_rustdoc = Vec::new();
    for mut r in rustdoc.into_iter().flatten() {
        r.engines = vec!["rustdoc"];
        only_rustdoc.push(format!("{} {}", r.code, r.path));
        out.push(r);
    }
    out.sort_by(|a, b| {
        b.required
            .cmp(&a.required)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.code.cmp(b.code))
    });
    let mut notes = Vec::new();
    for (who, list) in [("rustdoc", only_rustdoc), ("syn", only_syn)] {
        if list.is_empty() {
            continue;
        }
        let shown: Vec<&str> = list.iter().take(MAX_LISTED).map(String::as_str).collect();
        let more = list.len().saturating_sub(MAX_LISTED);
        notes.push(format!(
            "engines disagree: {} change(s) only the {who} engine found: {}{}",
            list.len(),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiItem, Facts, ItemKind};

    fn change(code: &'static str, path: &str) -> ApiChange {
        let item = ApiItem {
            key: path.into(),
            path: format!("c::{path}"),
            kind: ItemKind::Impl,
            signature: String::new(),
            shape: String::new(),
            cfg: None,
            parent: None,
            facts: Facts::default(),
        };
        let old = ApiSurface {
            items: [(path.to_string(), item)].into_iter().collect(),
            ..ApiSurface::default()
        };
        let mut changes = semver_check::diff(&old, &ApiSurface::default());
        let mut c = changes.remove(0);
        c.code = code;
        c
    }

    #[test]
    fn merge_marks_who_saw_what_and_lists_disagreements() {
        let syn = vec![change("item-removed", "A"), change("item-removed", "B")];
        let rd = vec![change("item-removed", "A"), change("auto-trait-lost", "C")];
        let (all, notes) = merge(syn, rd);
        let seen: Vec<(String, Vec<&str>)> = all
            .iter()
            .map(|c| (c.path.clone(), c.engines.clone()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("c::A".to_string(), vec!["syn", "rustdoc"]),
                ("c::B".to_string(), vec!["syn"]),
                ("c::C".to_string(), vec!["rustdoc"]),
            ]
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("only the rustdoc engine found: auto-trait-lost c::C"));
        assert!(notes[1].contains("only the syn engine found: item-removed c::B"));
    }

    #[test]
    fn engines_field_is_not_serialised_for_one_engine() {
        let c = change("item-removed", "A");
        let json = serde_json::to_value(&c).expect("json");
        assert!(json.get("engines").is_none(), "{json}");
        let (all, _) = merge(vec![c.clone()], vec![c]);
        let json = serde_json::to_value(&all[0]).expect("json");
        assert_eq!(json["engines"], serde_json::json!(["syn", "rustdoc"]));
    }
}
