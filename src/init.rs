//! `bumpguard init`: the starter files of a repository that adopts
//! bumpguard. A commented `bumpguard.toml` (the format of docs/rules.md), the
//! GitHub workflow of the README (`examples/bumpguard.yml`, the same file),
//! and a contract-test skeleton. An existing file is never replaced without
//! `force`: it is kept (the user may have edited it) and the missing ones
//! are written, so deleting one file and running `init` again restores it.

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

/// What `init` did with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It did not exist; now it does.
    Wrote,
    /// It existed and `force` replaced it.
    Replaced,
    /// It existed and was left as it is (no `force`).
    Kept,
}

/// One file of [`TEMPLATES`] and what `init` did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub action: Action,
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

/// When `root` holds a virtual workspace (a `Cargo.toml` with `[workspace]`
/// and no `[package]`), what to do with the contract skeleton: cargo builds
/// tests only inside a package.
pub fn virtual_workspace_note(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    if !table.contains_key("workspace") || table.contains_key("package") {
        return None;
    }
    Some(format!(
        "{} is a virtual workspace, and cargo builds tests only inside a package: move tests/bumpguard_contracts.rs into the folder of the member that uses the crates you guard (bind it with that member's `package` name)",
        root.join("Cargo.toml").display()
    ))
}

/// Writes [`TEMPLATES`] under `root`: each missing file, and with `force`
/// each existing one too; without `force` existing files are kept. Returns
/// what happened to each, in order.
pub fn init(root: &Path, force: bool) -> Result<Vec<Written>> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    // Every file's folder must be a folder (or not exist yet) before any
    // file is written: a half-written set-up is worse than none.
    for t in TEMPLATES {
        let mut dir = root.join(t.path);
        while dir.pop() && dir != root {
            if dir.symlink_metadata().is_ok() && !dir.is_dir() {
                bail!(
                    "cannot write {}: {} is not a directory (nothing was written)",
                    root.join(t.path).display(),
                    dir.display()
                );
            }
        }
    }
    let mut done = Vec::new();
    for t in TEMPLATES {
        let path = root.join(t.path);
        // symlink_metadata: a dangling link is still something we would replace.
        let exists = path.symlink_metadata().is_ok();
        let action = match (exists, force) {
            (true, false) => Action::Kept,
            (true, true) => Action::Replaced,
            (false, _) => Action::Wrote,
        };
        if action != Action::Kept {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, t.text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        done.push(Written {
            path,
            action,
            what: t.what,
        });
    }
    Ok(done)
}
