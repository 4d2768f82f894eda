//! The plain git pre-commit hook (`bumpguard hook install`), for
//! repositories that do not use the pre-commit framework.
//!
//! The hook is a few lines of POSIX shell: it asks git whether the commit
//! touches a `Cargo.lock` and only then runs `bumpguard check --staged`, so a
//! commit that does not change dependencies costs one `git diff --cached`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The hook script, running the bumpguard binary at `bin`.
pub fn script(bin: &Path) -> String {
    let quoted = bin.display().to_string().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n\
         # Installed by `bumpguard hook install`: checks dependency changes before a commit.\n\
         # It runs only when the commit changes a Cargo.lock. Delete this file to uninstall.\n\
         if git diff --cached --name-only | grep -Eq '(^|/)Cargo\\.lock$'; then\n\
         \x20   exec '{quoted}' check --staged\n\
         fi\n\
         exit 0\n"
    )
}

/// Writes the pre-commit hook of the repository containing `repo_dir`
/// (honouring `core.hooksPath`) and returns its path. An existing hook is
/// only replaced with `force`.
pub fn install(repo_dir: &Path, force: bool) -> Result<PathBuf> {
    let repo = git2::Repository::discover(repo_dir)
        .with_context(|| format!("not a git repository: {}", repo_dir.display()))?;
    let hooks = match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
    {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or(repo.path()).join(p),
        None => repo.path().join("hooks"),
    };
    let path = hooks.join("pre-commit");
    if path.exists() && !force {
        bail!(
            "{} already exists; bumpguard does not replace a hook it did not write. Add `bumpguard check --staged` to it, or run again with --force",
            path.display()
        );
    }
    let bin = std::env::current_exe().context("cannot tell where the bumpguard binary is")?;
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create {}", hooks.display()))?;
    std::fs::write(&path, script(&bin))
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_the_binary_and_only_runs_for_lockfiles() {
        let s = script(Path::new("/opt/it's here/bumpguard"));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("exec '/opt/it'\\''s here/bumpguard' check --staged"));
        assert!(s.contains("Cargo\\.lock$"));
    }
}
