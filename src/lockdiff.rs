//! Lockfile diff: `Cargo.lock` at two revisions -> the list of bumps.
//! (interface stub; the implementation is being written)

use crate::versions::{BumpKind, Level};
use semver::Version;
use serde::Serialize;

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// `registry+URL` (git index) or `sparse+URL` (sparse index).
    Registry { url: String, sparse: bool },
    /// `git+URL?query#commit`.
    Git { url: String, reference: Option<String>, commit: String },
    /// No `source` line: a workspace member or a path dependency.
    Path,
}

impl Source {
    /// True for crates.io, under either of its index addresses.
    pub fn is_crates_io(&self) -> bool {
        matches!(self, Source::Registry { url, .. }
            if url == "https://github.com/rust-lang/crates.io-index" || url.trim_end_matches('/') == "https://index.crates.io")
    }
    /// The `source` string as it appears in a lockfile (`None` for path packages).
    pub fn lock_string(&self) -> Option<String> {
        match self {
            Source::Registry { url, sparse: false } => Some(format!("registry+{url}")),
            Source::Registry { url, sparse: true } => Some(format!("sparse+{url}")),
            Source::Git { url, reference, commit } => Some(match reference {
                Some(r) => format!("git+{url}?{r}#{commit}"),
                None => format!("git+{url}#{commit}"),
            }),
            Source::Path => None,
        }
    }
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: Version,
    pub source: Source,
    /// sha256 of the `.crate` archive (registry packages), hex.
    pub checksum: Option<String>,
}

/// What happened to a package between the two lockfiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    /// The version number moved (up or down).
    Updated,
    /// Same version, different source (git commit, registry, path <-> registry).
    SourceChanged,
}

/// One change of one package, with where it sits in the dependency graph.
#[derive(Debug, Clone, Serialize)]
pub struct Bump {
    pub name: String,
    pub change: ChangeKind,
    pub old: Option<LockedPackage>,
    pub new: Option<LockedPackage>,
    /// For `Updated`: which number moved.
    pub kind: Option<BumpKind>,
    /// For `Updated`: the largest API change the new number allows (Cargo's SemVer rules).
    pub allows: Option<Level>,
    /// A workspace member depends on it directly.
    pub direct: bool,
    /// Shortest path from a workspace member to this package, member first, this package last.
    pub chain: Vec<String>,
    /// The lockfile (repository-relative path) this bump was found in.
    pub lockfile: String,
}
