//! `bumpguard init`: the starter files of a repository that adopts
//! bumpguard. A commented `bumpguard.toml` (the format of docs/rules.md), the
//! GitHub workflow of the README (`examples/bumpguard.yml`, the same file),
//! and a contract-test skeleton. An existing file is never replaced without
//! `force`: when any exists, nothing at all is written.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// One file `init` writes.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Relative to the repository root, `/`-separated.
    pub path: &'static str,
    pub text: &'static str,
    /// What it is, for the message after writing it.
    pub what: &'static str,
}

/// Every file `init` writes, in order.
pub const TEMPLATES: &[Template] = &[
    Template {
        path: "bumpguard.toml",
        text: include_str!("../templates/bumpguard.toml"),
        what: "configuration: policy and rules, commented",
    },
    Template {
        path: ".github/workflows/bumpguard.yml",
        text: include_str!("../examples/bumpguard.yml"),
        what: "GitHub workflow: checks every pull request that changes a Cargo.lock",
    },
    Template {
        path: "tests/bumpguard_contracts.rs",
        text: include_str!("../templates/bumpguard_contracts.rs"),
        what: "contract-test skeleton; bind its tests to rules in bumpguard.toml",
    },
];

/// A file `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// It existed and `force` replaced it.
    pub replaced: bool,
    pub what: &'static str,
}

/// Where `init` writes when not told: the working tree root of the git
/// repository around `dir`, else `dir` itself.
pub fn default_dir(dir: &Path) -> PathBuf {
    crate::revision::Repo::open(dir)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf())
}

/// Writes [`TEMPLATES`] under `root`. Without `force`, refuses (writing
/// nothing) when any of them exists, naming each.
pub fn init(root: &Path, force: bool) -> Result<Vec<Written>> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let targets: Vec<(PathBuf, &Template)> =
        TEMPLATES.iter().map(|t| (root.join(t.path), t)).collect();
    // symlink_metadata: a dangling link is still something we would replace.
    let existing: Vec<PathBuf> = targets
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.symlink_metadata().is_ok())
        .cloned()
        .collect();
    if !force && !existing.is_empty() {
        let list: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "{} already exist{}; nothing was written (--force replaces {})",
            list.join(", "),
            if list.len() == 1 { "s" } else { "" },
            if list.len() == 1 { "it" } else { "them" }
        );
    }
    let mut written = Vec::new();
    for (path, t) in targets {
        let replaced = existing.contains(&path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, t.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(Written {
            path,
            replaced,
            what: t.what,
        });
    }
    Ok(written)
}
