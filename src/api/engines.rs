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
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

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

    /// `syn`, `rustdoc` or `both`.
    pub fn parse(name: &str) -> Option<Engine> {
        match name {
            "syn" => Some(Engine::Syn),
            "rustdoc" => Some(Engine::Rustdoc),
            "both" => Some(Engine::Both),
            _ => None,
        }
    }
}

/// Which engine reads which crate, and how the rustdoc engine builds: the
/// command line and the `[engine]` section of `bumpguard.toml` combined.
///
/// A crate named in `[engine.crates]` gets that engine whatever else is
/// said (the team chose it for that crate); every other crate gets
/// `--engine` when given, else `[engine] default`, else syn. The toolchain
/// and the build time limit: the command line's, else the file's, else the
/// toolchain on the PATH and [`rustdoc_engine::DEFAULT_TIMEOUT`].
#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    /// `--engine`, when given.
    pub cli: Option<Engine>,
    /// `[engine] default`.
    pub default: Option<Engine>,
    /// `[engine.crates]`: crate name -> engine and where that is said
    /// (`bumpguard.toml:12`).
    pub crates: BTreeMap<String, (Engine, String)>,
    /// A rustup toolchain for the rustdoc engine (`--rustdoc-toolchain`,
    /// `[engine] toolchain`).
    pub toolchain: Option<String>,
    /// The longest one rustdoc build may take (`--rustdoc-timeout`,
    /// `[engine] timeout`).
    pub timeout: Option<Duration>,
}

impl EngineSettings {
    /// Only `--engine`.
    pub fn of(engine: Engine) -> Self {
        EngineSettings {
            cli: Some(engine),
            ..EngineSettings::default()
        }
    }

    /// The engine for crates no `[engine.crates]` entry names.
    pub fn general(&self) -> Engine {
        self.cli.or(self.default).unwrap_or_default()
    }

    /// The engine for `krate`, and where a per-crate setting chose it.
    pub fn for_crate(&self, krate: &str) -> (Engine, Option<&str>) {
        match self.crates.get(krate) {
            Some((e, at)) => (*e, Some(at.as_str())),
            None => (self.general(), None),
        }
    }

    /// Whether any crate may be read by the rustdoc engine.
    pub fn may_compile(&self) -> bool {
        self.general() != Engine::Syn || self.crates.values().any(|(e, _)| *e != Engine::Syn)
    }

    /// Build options for the rustdoc engine (features and lockfile are the
    /// caller's to set).
    pub fn build_options(&self, cache_dir: &Path, offline: bool) -> BuildOptions {
        let mut o = BuildOptions::new(cache_dir.to_path_buf());
        o.offline = offline;
        o.toolchain = self.toolchain.clone();
        o.timeout = self.timeout.unwrap_or(rustdoc_engine::DEFAULT_TIMEOUT);
        o
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

/// Notes of the syn engine that a successful rustdoc read makes untrue:
/// the compiler saw auto traits, macro expansions and attribute macros'
/// output.
pub fn made_untrue_by_rustdoc(note: &str) -> bool {
    note.contains("auto traits (Send, Sync")
        || note.contains("item-level macro invocation(s) were not expanded")
        || note.contains("item-level macro invocation(s) could not be read")
        || note.contains("attribute macros on ")
}

/// Most disagreements listed one by one; the rest are counted.
const MAX_LISTED: usize = 12;

/// What compiling a version that then failed means for the user.
const RAN_CODE: &str = "rustdoc engine: the build was started, so build scripts and proc macros of the crate and its dependencies may have run before it stopped (the syn engine never runs dependency code)";

/// Compares `old_dir` with `new_dir` with `engine`. `syn_old` and `syn_new`
/// are the syn engine's surfaces of the two trees (always read: the
/// behavioural diff needs the parsed crate anyway). `lockfiles`: the
/// consumer's `Cargo.lock` at the old and the new revision, when known.
#[allow(clippy::too_many_arguments)]
pub fn diff_trees(
    engine: Engine,
    old_dir: &Path,
    new_dir: &Path,
    syn_old: &ApiSurface,
    syn_new: &ApiSurface,
    opts: &BuildOptions,
    view: &FeatureView,
    lockfiles: [Option<&str>; 2],
) -> EngineDiff {
    let syn = || semver_check::diff_in_view(syn_old, syn_new, view);
    let rustdoc = || -> Result<(Vec<ApiChange>, Vec<String>), (String, bool)> {
        let side = |lock: Option<&str>| {
            let mut o = opts.clone();
            o.lockfile = lock.map(str::to_string);
            o
        };
        let mut old = rustdoc_engine::surface_from_dir(old_dir, &side(lockfiles[0]))
            .map_err(|e| (format!("old version: {e}"), e.ran_code()))?;
        let mut new = rustdoc_engine::surface_from_dir(new_dir, &side(lockfiles[1]))
            .map_err(|e| (format!("new version: {e}"), e.ran_code()))?;
        // The `[features]` table is the manifest's, whoever reads the code.
        old.features = syn_old.features.clone();
        new.features = syn_new.features.clone();
        old.optional_deps = syn_old.optional_deps.clone();
        new.optional_deps = syn_new.optional_deps.clone();
        old.dep_requirements = syn_old.dep_requirements.clone();
        new.dep_requirements = syn_new.dep_requirements.clone();
        old.no_std = syn_old.no_std.clone();
        new.no_std = syn_new.no_std.clone();
        rustdoc_engine::pair_instance_impls(&mut old, &mut new);
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
            Err((e, ran)) => EngineDiff {
                failure: Some(e),
                notes: ran.then(|| RAN_CODE.to_string()).into_iter().collect(),
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
            Err((e, ran)) => EngineDiff {
                changes: syn()
                    .into_iter()
                    .map(|mut c| {
                        c.engines = vec!["syn"];
                        c
                    })
                    .collect(),
                notes: std::iter::once(format!(
                    "{e}; the changes listed are the syn engine's alone"
                ))
                .chain(ran.then(|| RAN_CODE.to_string()))
                .collect(),
                failure: None,
                compiled: false,
            },
        },
    }
}

/// The union of two engines' changes, each marked with who saw it, and one
/// note per kind of disagreement.
///
/// A change is the same change when both engines report it with the same
/// code for the same item. When, after that, each engine is left with
/// exactly one change for an item, the two are one change that the engines
/// classify differently (`fn-now-unsafe` against `fn-signature-changed`):
/// it is counted once, with the more severe reading (the compiler's when
/// they weigh the same), and a note names both codes. Anything else one
/// engine alone found is listed as such.
pub fn merge(syn: Vec<ApiChange>, rustdoc: Vec<ApiChange>) -> (Vec<ApiChange>, Vec<String>) {
    let mut rustdoc: Vec<Option<ApiChange>> = rustdoc.into_iter().map(Some).collect();
    let mut out = Vec::new();
    let mut syn_left = Vec::new();
    for mut c in syn {
        match rustdoc
            .iter_mut()
            .find(|r| {
                r.as_ref()
                    .is_some_and(|r| r.code == c.code && r.key == c.key)
            })
            .and_then(Option::take)
        {
            Some(r) => {
                c.engines = vec!["syn", "rustdoc"];
                // The compiler saw all of both versions.
                c.uncertain &= r.uncertain;
                out.push(c);
            }
            None => syn_left.push(c),
        }
    }
    let mut rustdoc_left: Vec<Option<ApiChange>> =
        rustdoc.into_iter().flatten().map(Some).collect();
    let left_for = |key: &str, syn: &[ApiChange], rd: &[Option<ApiChange>]| {
        (
            syn.iter().filter(|c| c.key == key).count(),
            rd.iter().flatten().filter(|c| c.key == key).count(),
        )
    };
    let one_each: Vec<bool> = syn_left
        .iter()
        .map(|c| left_for(&c.key, &syn_left, &rustdoc_left) == (1, 1))
        .collect();
    let mut only_syn = Vec::new();
    let mut classified = Vec::new();
    for (mut c, pair) in syn_left.into_iter().zip(one_each) {
        let other = pair
            .then(|| {
                rustdoc_left
                    .iter_mut()
                    .find(|r| r.as_ref().is_some_and(|r| r.key == c.key))
                    .and_then(Option::take)
            })
            .flatten();
        match other {
            Some(r) => {
                classified.push(format!(
                    "{}: syn {} ({}), rustdoc {} ({})",
                    c.path, c.code, c.required, r.code, r.required
                ));
                let mut kept = if c.required > r.required { c } else { r };
                kept.engines = vec!["syn", "rustdoc"];
                out.push(kept);
            }
            None => {
                c.engines = vec!["syn"];
                only_syn.push(format!("{} {}", c.code, c.path));
                out.push(c);
            }
        }
    }
    let mut only_rustdoc = Vec::new();
    for mut r in rustdoc_left.into_iter().flatten() {
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
    for (what, list) in [
        (
            "change(s) only the rustdoc engine found".to_string(),
            only_rustdoc,
        ),
        ("change(s) only the syn engine found".to_string(), only_syn),
        (
            "change(s) both engines found but classify differently (counted once, as the more severe)"
                .to_string(),
            classified,
        ),
    ] {
        if list.is_empty() {
            continue;
        }
        let shown: Vec<&str> = list.iter().take(MAX_LISTED).map(String::as_str).collect();
        let more = list.len().saturating_sub(MAX_LISTED);
        notes.push(format!(
            "engines disagree: {} {what}: {}{}",
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
    fn one_change_classified_differently_is_counted_once() {
        let level = |code, path, l| {
            let mut c = change(code, path);
            c.required = l;
            c
        };
        use crate::versions::Level;
        // `f` became unsafe: syn says so, a less precise reading calls it a
        // signature change. `g` has two syn changes and one rustdoc change:
        // not paired (the other one could be a change rustdoc missed).
        let syn = vec![
            level("fn-now-unsafe", "f", Level::Major),
            level("fn-unsafe-removed", "g", Level::Minor),
            level("fn-now-const", "g", Level::Minor),
        ];
        let rd = vec![
            level("fn-signature-changed", "f", Level::Major),
            level("fn-signature-changed", "g", Level::Major),
        ];
        let (all, notes) = merge(syn, rd);
        let seen: Vec<(&str, &str, Vec<&str>)> = all
            .iter()
            .map(|c| (c.code, c.path.as_str(), c.engines.clone()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("fn-signature-changed", "c::f", vec!["syn", "rustdoc"]),
                ("fn-signature-changed", "c::g", vec!["rustdoc"]),
                ("fn-now-const", "c::g", vec!["syn"]),
                ("fn-unsafe-removed", "c::g", vec!["syn"]),
            ]
        );
        assert!(
            notes.iter().any(|n| n.contains(
                "1 change(s) both engines found but classify differently (counted once, as the more severe): c::f: syn fn-now-unsafe (major), rustdoc fn-signature-changed (major)"
            )),
            "{notes:#?}"
        );
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
