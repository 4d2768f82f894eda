//! The consumer workspace as cargo sees it: which packages are members,
//! which dependencies each member declares, and (when cargo can resolve the
//! graph offline) which features each package ends up with.
//!
//! The lockfile alone cannot tell a workspace member from a path dependency,
//! nor a dev-dependency from a normal one, so the lockfile diff asks cargo.
//! Cargo is run with `--no-deps --offline --locked`: `--no-deps` skips
//! resolution altogether (so `Cargo.lock` is neither read nor written, and no
//! registry is consulted), and `--offline --locked` are belts and braces in
//! case a future cargo resolves anyway. Running `cargo metadata` on a user's
//! checkout must never change their files or touch the network.

use anyhow::{Context, anyhow};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace members and their declared dependencies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkspaceInfo {
    /// Package names of the workspace members, sorted.
    pub members: Vec<String>,
    /// Declared dependencies of each member (keyed by member package name),
    /// in manifest order as cargo reports it.
    pub direct: BTreeMap<String, Vec<DeclaredDep>>,
    /// The workspace root directory (where the workspace's `Cargo.lock` lives).
    pub workspace_root: PathBuf,
}

/// Which table of the manifest a dependency was declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// `[dependencies]`
    Normal,
    /// `[dev-dependencies]`
    Dev,
    /// `[build-dependencies]`
    Build,
}

/// One dependency as a member's manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredDep {
    /// The package name (what the lockfile lists), not the rename.
    pub name: String,
    /// The version requirement (`*` when the manifest gives none, e.g. path deps).
    pub req: String,
    pub kind: DepKind,
    pub optional: bool,
    pub default_features: bool,
    pub features: Vec<String>,
    /// `foo = { package = "bar" }` declares `name = "bar"`, `rename = Some("foo")`.
    pub rename: Option<String>,
    /// `[target.'cfg(..)'.dependencies]`: the platform expression.
    pub target: Option<String>,
}

impl WorkspaceInfo {
    /// True when `name` is a workspace member.
    pub fn is_member(&self, name: &str) -> bool {
        self.members.iter().any(|m| m == name)
    }

    /// True when some member declares a dependency on package `name`.
    pub fn declares(&self, name: &str) -> bool {
        self.direct.values().flatten().any(|d| d.name == name)
    }

    /// Builds the summary from already-obtained metadata (split out so it can
    /// be tested, and reused by callers that ran cargo themselves).
    pub fn from_metadata(metadata: &Metadata) -> WorkspaceInfo {
        let mut members = Vec::new();
        let mut direct = BTreeMap::new();
        for pkg in metadata.workspace_packages() {
            let name = pkg.name.to_string();
            let deps = pkg
                .dependencies
                .iter()
                .map(|d| DeclaredDep {
                    name: d.name.clone(),
                    req: d.req.to_string(),
                    kind: match d.kind {
                        DependencyKind::Development => DepKind::Dev,
                        DependencyKind::Build => DepKind::Build,
                        // `Unknown` only appears with a newer cargo; a normal
                        // dependency is the safe reading (it reaches users).
                        _ => DepKind::Normal,
                    },
                    optional: d.optional,
                    default_features: d.uses_default_features,
                    features: d.features.clone(),
                    rename: d.rename.clone(),
                    target: d.target.as_ref().map(|t| t.to_string()),
                })
                .collect();
            members.push(name.clone());
            direct.insert(name, deps);
        }
        members.sort();
        members.dedup();
        WorkspaceInfo {
            members,
            direct,
            workspace_root: metadata.workspace_root.clone().into(),
        }
    }
}

/// Loads the workspace that contains `manifest_dir` (the directory holding a
/// `Cargo.toml`, a member's or the root's).
///
/// Callers treat failure as "no workspace information" and fall back to the
/// lockfile alone, so the error says why cargo failed (its stderr, shortened)
/// rather than just that it did.
pub fn load(manifest_dir: &Path) -> anyhow::Result<WorkspaceInfo> {
    let manifest = manifest_dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(anyhow!("no Cargo.toml in {}", manifest_dir.display()));
    }
    let metadata = MetadataCommand::new()
        .manifest_path(&manifest)
        .current_dir(manifest_dir)
        .no_deps()
        .other_options(vec!["--offline".to_string(), "--locked".to_string()])
        .exec()
        .map_err(|e| match e {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                anyhow!(
                    "`cargo metadata` failed in {}: {}",
                    manifest_dir.display(),
                    shorten_stderr(&stderr)
                )
            }
            other => anyhow!(other),
        })
        .with_context(|| {
            format!(
                "cannot read the cargo workspace at {}",
                manifest_dir.display()
            )
        })?;
    Ok(WorkspaceInfo::from_metadata(&metadata))
}

/// The features cargo resolves for every package of the workspace's
/// dependency graph: what the consumer's code really gets, including
/// features enabled through `[features] x = ["dep/feat"]`, by other
/// dependencies, and `default`. Keyed by package name, then version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedFeatures {
    pub by_package: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl ResolvedFeatures {
    /// The features of `name` at `version`, sorted; `None` when cargo's
    /// graph does not have that package.
    pub fn get(&self, name: &str, version: &str) -> Option<&[String]> {
        self.by_package
            .get(name)
            .and_then(|v| v.get(version))
            .map(Vec::as_slice)
    }
}

/// Resolves the dependency graph of the workspace at `manifest_dir` with
/// `cargo metadata --locked --offline` (the lockfile is never rewritten and
/// nothing is downloaded): it needs every dependency's manifest in cargo's
/// cache or a vendored directory, so it fails more often than [`load`];
/// callers then fall back to the features members declare.
pub fn resolved_features(manifest_dir: &Path) -> anyhow::Result<ResolvedFeatures> {
    let manifest = manifest_dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(anyhow!("no Cargo.toml in {}", manifest_dir.display()));
    }
    let metadata = MetadataCommand::new()
        .manifest_path(&manifest)
        .current_dir(manifest_dir)
        .other_options(vec!["--offline".to_string(), "--locked".to_string()])
        .exec()
        .map_err(|e| match e {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                anyhow!("`cargo metadata` failed: {}", shorten_stderr(&stderr))
            }
            other => anyhow!(other),
        })?;
    Ok(features_of(&metadata))
}

/// The resolved features of every package in `metadata`'s graph.
pub fn features_of(metadata: &Metadata) -> ResolvedFeatures {
    let mut out = ResolvedFeatures::default();
    let Some(resolve) = &metadata.resolve else {
        return out;
    };
    let packages: BTreeMap<&cargo_metadata::PackageId, &cargo_metadata::Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    for node in &resolve.nodes {
        let Some(pkg) = packages.get(&node.id) else {
            continue;
        };
        let mut features: Vec<String> = node.features.iter().map(|f| f.to_string()).collect();
        features.sort();
        features.dedup();
        out.by_package
            .entry(pkg.name.to_string())
            .or_default()
            .insert(pkg.version.to_string(), features);
    }
    out
}

/// Cargo's stderr, cut to what explains the failure: from the first `error`
/// line on (warnings before it are noise here), at most a few lines, joined
/// with `; ` so it fits in one diagnostic line.
fn shorten_stderr(stderr: &str) -> String {
    const MAX_LINES: usize = 6;
    const MAX_CHARS: usize = 400;
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .unwrap_or(0);
    let mut out = lines[start..]
        .iter()
        .take(MAX_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("; ");
    if out.is_empty() {
        out = "(no output)".to_string();
    }
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    /// A two-member workspace whose dependencies are not in any local cache:
    /// `--no-deps` must not need them, and must leave the lockfile alone.
    #[test]
    fn loads_members_and_declared_deps_without_touching_the_lockfile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"util\"]\nresolver = \"2\"\n",
        );
        write(
            root,
            "app/Cargo.toml",
            r#"[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
util = { path = "../util" }
serde = { version = "1.0.100", default-features = false, features = ["derive"] }
jsn = { package = "not-in-any-cache-xyz", version = "0.3", optional = true }

[dev-dependencies]
insta = "1"

[build-dependencies]
cc = "1"

[target.'cfg(unix)'.dependencies]
libc = "0.2"
"#,
        );
        write(root, "app/src/lib.rs", "");
        write(
            root,
            "util/Cargo.toml",
            "[package]\nname = \"util\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
        );
        write(root, "util/src/lib.rs", "");
        let lock = "# not even valid, and must stay byte-identical\nversion = 4\n";
        write(root, "Cargo.lock", lock);

        let ws = load(&root.join("app")).expect("load");
        assert_eq!(ws.members, vec!["app", "util"]);
        assert!(ws.is_member("util"));
        let app = &ws.direct["app"];
        let find = |n: &str| app.iter().find(|d| d.name == n).expect(n);
        let serde = find("serde");
        assert_eq!(serde.req, "^1.0.100");
        assert_eq!(serde.kind, DepKind::Normal);
        assert!(!serde.default_features);
        assert_eq!(serde.features, vec!["derive"]);
        let renamed = find("not-in-any-cache-xyz");
        assert_eq!(renamed.rename.as_deref(), Some("jsn"));
        assert!(renamed.optional);
        assert_eq!(find("insta").kind, DepKind::Dev);
        assert_eq!(find("cc").kind, DepKind::Build);
        assert_eq!(find("libc").target.as_deref(), Some("cfg(unix)"));
        assert!(ws.declares("util"));
        assert!(ws.direct["util"].is_empty());
        assert_eq!(
            fs::read_to_string(root.join("Cargo.lock")).expect("lock"),
            lock
        );
    }

    #[test]
    fn no_lockfile_is_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "Cargo.toml",
            "[package]\nname = \"solo\"\nversion = \"1.0.0\"\n[dependencies]\nserde = \"1\"\n",
        );
        write(dir.path(), "src/lib.rs", "");
        let ws = load(dir.path()).expect("load");
        assert_eq!(ws.members, vec!["solo"]);
        assert!(!dir.path().join("Cargo.lock").exists());
    }

    #[test]
    fn failure_says_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "Cargo.toml",
            "[package]\nname = \"broken\"\nversion = \"1.0.0\"\n[dependencies]\nserde = \n",
        );
        let err = format!("{:#}", load(dir.path()).expect_err("must fail"));
        assert!(err.contains("cargo metadata"), "{err}");
        assert!(err.contains("Cargo.toml"), "{err}");

        let empty = tempfile::tempdir().expect("tempdir");
        let err = format!("{:#}", load(empty.path()).expect_err("must fail"));
        assert!(err.contains("no Cargo.toml"), "{err}");
    }

    #[test]
    fn stderr_is_shortened_from_the_first_error() {
        let s = "warning: a\nwarning: b\nerror: failed to parse manifest\n\nCaused by:\n  x\n  y\n  z\n  w\n  v\n";
        assert_eq!(
            shorten_stderr(s),
            "error: failed to parse manifest; Caused by:;   x;   y;   z;   w"
        );
        assert_eq!(shorten_stderr(""), "(no output)");
    }
}
