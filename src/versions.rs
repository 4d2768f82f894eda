//! Version arithmetic shared by the lockfile diff and the semver check.
//!
//! Two questions live here: "what kind of bump is `old -> new`?" (read off the
//! numbers) and "how large a change does that bump allow?" (Cargo's reading of
//! SemVer, where a `0.y.z` crate treats `y` as its major number and `z` as its
//! minor one, and a `0.0.z` crate promises nothing between patch releases).

use semver::Version;
use serde::Serialize;
use std::fmt;

/// The size of a change, and the size of change a version bump allows.
/// Ordered: `Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Patch,
    Minor,
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// Which number moved, read literally from the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BumpKind {
    Major,
    Minor,
    Patch,
    PreRelease,
    Downgrade,
    /// Same version number (for example only the git commit or the registry changed).
    Unchanged,
}

impl fmt::Display for BumpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BumpKind::Major => "major",
            BumpKind::Minor => "minor",
            BumpKind::Patch => "patch",
            BumpKind::PreRelease => "pre-release",
            BumpKind::Downgrade => "downgrade",
            BumpKind::Unchanged => "same version",
        })
    }
}

/// Classifies `old -> new`. Build metadata is ignored, as SemVer says.
pub fn bump_kind(old: &Version, new: &Version) -> BumpKind {
    // `semver::Prerelease` orders a release after all of its pre-releases.
    let key = |v: &Version| (v.major, v.minor, v.patch, v.pre.clone());
    let (o, n) = (key(old), key(new));
    if n < o {
        return BumpKind::Downgrade;
    }
    if n == o {
        return BumpKind::Unchanged;
    }
    if (o.0, o.1, o.2) == (n.0, n.1, n.2) || !new.pre.is_empty() {
        return BumpKind::PreRelease;
    }
    if n.0 != o.0 {
        BumpKind::Major
    } else if n.1 != o.1 {
        BumpKind::Minor
    } else {
        BumpKind::Patch
    }
}

/// The largest change `old -> new` may carry under Cargo's SemVer rules.
///
/// - `1.2.3 -> 2.0.0`: major; `1.2.3 -> 1.3.0`: minor; `1.2.3 -> 1.2.4`: patch.
/// - `0.1.4 -> 0.2.0`: major (the `y` of `0.y.z` is the major number);
///   `0.1.4 -> 0.1.10`: minor (the `z` of `0.y.z` is the minor number).
/// - `0.0.1 -> 0.0.2`: major (`0.0.z` makes no promises).
/// - any pre-release on either side: major (pre-releases make no promises).
/// - downgrades and same-version changes: `None` (SemVer says nothing about them).
pub fn allowed_level(old: &Version, new: &Version) -> Option<Level> {
    match bump_kind(old, new) {
        BumpKind::Downgrade | BumpKind::Unchanged => None,
        BumpKind::PreRelease => Some(Level::Major),
        _ if !old.pre.is_empty() => Some(Level::Major),
        BumpKind::Major => Some(Level::Major),
        BumpKind::Minor => Some(if old.major == 0 {
            Level::Major
        } else {
            Level::Minor
        }),
        BumpKind::Patch => Some(match (old.major, old.minor) {
            (0, 0) => Level::Major,
            (0, _) => Level::Minor,
            _ => Level::Patch,
        }),
    }
}

/// True when Cargo's default `^old` requirement also accepts `new`: the two
/// versions are in the same compatible series (`1.x`, `0.3.x`, `0.0.7`).
pub fn same_series(a: &Version, b: &Version) -> bool {
    match (a.major, b.major) {
        (0, 0) => a.minor == b.minor && (a.minor != 0 || a.patch == b.patch),
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("test version")
    }

    #[test]
    fn kinds_follow_the_numbers() {
        assert_eq!(bump_kind(&v("1.2.3"), &v("2.0.0")), BumpKind::Major);
        assert_eq!(bump_kind(&v("1.2.3"), &v("1.3.0")), BumpKind::Minor);
        assert_eq!(bump_kind(&v("1.2.3"), &v("1.2.4")), BumpKind::Patch);
        assert_eq!(bump_kind(&v("1.2.3"), &v("1.2.2")), BumpKind::Downgrade);
        assert_eq!(
            bump_kind(&v("1.0.0-alpha.1"), &v("1.0.0-alpha.2")),
            BumpKind::PreRelease
        );
        assert_eq!(
            bump_kind(&v("1.0.0-alpha.1"), &v("1.0.0")),
            BumpKind::PreRelease
        );
        assert_eq!(
            bump_kind(&v("1.0.0"), &v("1.0.0-rc.1")),
            BumpKind::Downgrade
        );
        assert_eq!(
            bump_kind(&v("1.0.0-beta"), &v("1.0.0-alpha")),
            BumpKind::Downgrade
        );
        assert_eq!(
            bump_kind(&v("1.2.3"), &v("1.3.0-rc.1")),
            BumpKind::PreRelease
        );
        assert_eq!(
            bump_kind(&v("1.2.3"), &v("1.2.3+build")),
            BumpKind::Unchanged
        );
    }

    #[test]
    fn zero_x_rules() {
        assert_eq!(allowed_level(&v("0.1.4"), &v("0.1.10")), Some(Level::Minor));
        assert_eq!(allowed_level(&v("0.1.4"), &v("0.2.0")), Some(Level::Major));
        assert_eq!(allowed_level(&v("0.0.1"), &v("0.0.2")), Some(Level::Major));
        assert_eq!(allowed_level(&v("1.2.3"), &v("1.2.4")), Some(Level::Patch));
        assert_eq!(allowed_level(&v("1.2.3"), &v("1.3.0")), Some(Level::Minor));
        assert_eq!(allowed_level(&v("1.2.3"), &v("2.0.0")), Some(Level::Major));
        assert_eq!(allowed_level(&v("2.0.0"), &v("1.0.0")), None);
        assert_eq!(
            allowed_level(&v("1.0.0-rc.1"), &v("1.0.0")),
            Some(Level::Major)
        );
    }

    #[test]
    fn series() {
        assert!(same_series(&v("1.2.3"), &v("1.9.0")));
        assert!(!same_series(&v("1.2.3"), &v("2.0.0")));
        assert!(same_series(&v("0.3.1"), &v("0.3.9")));
        assert!(!same_series(&v("0.3.1"), &v("0.4.0")));
        assert!(!same_series(&v("0.0.1"), &v("0.0.2")));
    }
}
