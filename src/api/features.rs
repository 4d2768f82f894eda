//! Feature sets: which Cargo features a view of the API enables, and whether
//! an item's `#[cfg]` holds under them.
//!
//! Only `feature = "..."` is decided. Every other predicate (`unix`,
//! `target_os = "linux"`, `docsrs`, custom cfgs) is unknown, and an item
//! whose condition is unknown stays in the API with its condition shown.

use std::collections::{BTreeMap, BTreeSet};

/// Which features to look at the API with, as cargo's flags say it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FeatureView {
    /// The crate's `default` features (no flags).
    #[default]
    Default,
    /// `--all-features`.
    All,
    /// `--features a,b` with or without `--no-default-features`.
    Selected {
        features: Vec<String>,
        default: bool,
    },
}

impl FeatureView {
    /// The view was asked for explicitly (flags, or the features a consumer
    /// enables): changes outside it do not concern the asker. Without
    /// flags, the crate's SemVer promise covers every feature, so a change
    /// under a non-default feature still counts; it is only labelled.
    pub fn explicit(&self) -> bool {
        !matches!(self, FeatureView::Default)
    }

    /// The features `check` sees a consumer enable (`default` meaning
    /// default features are kept). No list: the crate's defaults.
    pub fn from_consumer(features: &[String]) -> Self {
        if features.is_empty() {
            return FeatureView::Default;
        }
        FeatureView::Selected {
            default: features.iter().any(|f| f == "default"),
            features: features
                .iter()
                .filter(|f| *f != "default")
                .cloned()
                .collect(),
        }
    }

    /// The features cargo resolved for a consumer (`default` among them
    /// when default features are on). Unlike [`FeatureView::from_consumer`],
    /// an empty list means no features at all, not unknown.
    pub fn resolved(features: &[String]) -> Self {
        FeatureView::Selected {
            default: features.iter().any(|f| f == "default"),
            features: features
                .iter()
                .filter(|f| *f != "default")
                .cloned()
                .collect(),
        }
    }

    /// Short description for reports (`default features`, `features a, b`).
    pub fn describe(&self) -> String {
        match self {
            FeatureView::Default => "default features".to_string(),
            FeatureView::All => "all features".to_string(),
            FeatureView::Selected { features, default } => {
                let mut parts: Vec<String> = Vec::new();
                if *default {
                    parts.push("default".to_string());
                }
                parts.extend(features.iter().cloned());
                if parts.is_empty() {
                    "no features".to_string()
                } else {
                    format!("features {}", parts.join(", "))
                }
            }
        }
    }
}

/// The features that `view` turns on, given the crate's `[features]`
/// table, closed over what each feature enables. `None`: every feature.
pub fn enabled(
    table: &BTreeMap<String, Vec<String>>,
    view: &FeatureView,
) -> Option<BTreeSet<String>> {
    let mut todo: Vec<String> = match view {
        FeatureView::All => return None,
        FeatureView::Default => vec!["default".to_string()],
        FeatureView::Selected { features, default } => {
            let mut v = features.clone();
            if *default {
                v.push("default".to_string());
            }
            v
        }
    };
    let mut on = BTreeSet::new();
    while let Some(f) = todo.pop() {
        if !on.insert(f.clone()) {
            continue;
        }
        for e in table.get(&f).into_iter().flatten() {
            if let Some(dep) = e.strip_prefix("dep:") {
                // An optional dependency: `cfg(feature = "dep")` is true
                // when it is on (its implicit feature).
                todo.push(dep.to_string());
            } else if let Some((dep, _)) = e.split_once('/') {
                // `dep/feat` turns `dep` on; `dep?/feat` does not.
                if !dep.ends_with('?') {
                    todo.push(dep.to_string());
                }
            } else {
                todo.push(e.clone());
            }
        }
    }
    Some(on)
}

/// `a, f(b, c), d` -> `["a", "f(b, c)", "d"]`, trimmed.
fn split_top(text: &str) -> Vec<&str> {
    let mut depth = 0i32;
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
    let last = text[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// Whether a cfg predicate holds with `enabled` features: `Some(true)`,
/// `Some(false)`, or `None` when it depends on something else (target,
/// custom cfg). `enabled == None` means every feature is on.
pub fn eval(pred: &str, enabled: Option<&BTreeSet<String>>) -> Option<bool> {
    let pred = pred.trim();
    let call = |name: &str| {
        pred.strip_prefix(name)
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
    };
    if let Some(inner) = call("all") {
        let mut result = Some(true);
        for p in split_top(inner) {
            match eval(p, enabled) {
                Some(false) => return Some(false),
                None => result = None,
                Some(true) => {}
            }
        }
        return result;
    }
    if let Some(inner) = call("any") {
        let mut result = Some(false);
        for p in split_top(inner) {
            match eval(p, enabled) {
                Some(true) => return Some(true),
                None => result = None,
                Some(false) => {}
            }
        }
        return result;
    }
    if let Some(inner) = call("not") {
        return eval(inner, enabled).map(|b| !b);
    }
    if let Some((key, value)) = pred.split_once('=') {
        let value = value.trim().trim_matches('"');
        return match key.trim() {
            "feature" => Some(enabled.is_none_or(|on| on.contains(value))),
            // The marker for items read from inside a macro invocation.
            "via_macro" => Some(true),
            _ => None,
        };
    }
    None
}

/// The features named in `pred` that `enabled` lacks, sorted.
pub fn missing_features(pred: &str, enabled: Option<&BTreeSet<String>>) -> Vec<String> {
    let Some(on) = enabled else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    let mut rest = pred;
    while let Some(i) = rest.find("feature") {
        rest = &rest[i + "feature".len()..];
        let after = rest.trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let Some(quoted) = value.strip_prefix('"') else {
            continue;
        };
        if let Some(end) = quoted.find('"') {
            let name = &quoted[..end];
            if !on.contains(name) {
                out.insert(name.to_string());
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> BTreeMap<String, Vec<String>> {
        [
            ("default", vec!["std"]),
            ("std", vec!["alloc"]),
            ("alloc", vec![]),
            ("tls", vec!["dep:rustls", "hyper/http2", "serde?/std"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect()
    }

    #[test]
    fn views_expand_through_the_table() {
        let t = table();
        let d = enabled(&t, &FeatureView::Default).expect("set");
        assert!(d.contains("std") && d.contains("alloc") && !d.contains("tls"));
        let s = enabled(
            &t,
            &FeatureView::Selected {
                features: vec!["tls".into()],
                default: false,
            },
        )
        .expect("set");
        assert!(s.contains("rustls") && s.contains("hyper") && !s.contains("serde"));
        assert!(!s.contains("std"));
        assert_eq!(enabled(&t, &FeatureView::All), None);
    }

    #[test]
    fn predicates_are_three_valued() {
        let on: BTreeSet<String> = ["std".to_string()].into();
        let e = |p| eval(p, Some(&on));
        assert_eq!(e(r#"feature = "std""#), Some(true));
        assert_eq!(e(r#"feature = "tls""#), Some(false));
        assert_eq!(e(r#"not(feature = "tls")"#), Some(true));
        assert_eq!(e(r#"all(feature = "tls", unix)"#), Some(false));
        assert_eq!(e(r#"all(feature = "std", unix)"#), None);
        assert_eq!(e(r#"any(feature = "tls", unix)"#), None);
        assert_eq!(e(r#"any(feature = "std", unix)"#), Some(true));
        assert_eq!(e(r#"target_os = "linux""#), None);
        assert_eq!(eval(r#"feature = "tls""#, None), Some(true));
        assert_eq!(
            missing_features(r#"all(feature = "tls", feature = "std")"#, Some(&on)),
            vec!["tls".to_string()]
        );
    }
}
