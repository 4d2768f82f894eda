//! The plain git pre-commit hook (`bumpguard hook install`), for
//! repositories that do not use the pre-commit framework.
//!
//! The hook is a few lines of POSIX shell: it asks git whether the commit
//! touches a `Cargo.lock` and only then runs `bumpguard check --staged`, so a
//! commit that does not change dependencies costs one `git diff --cached`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The line by which `install` recognises a hook it wrote itself.
pub const MARKER: &str =
    "# Installed by `bumpguard hook install`: checks dependency changes before a commit.";

/// The hook script, running the bumpguard binary at `bin`.
pub fn script(bin: &Path) -> String {
    let quoted = bin.display().to_string().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n\
         {MARKER}\n\
         # It runs only when the commit changes a Cargo.lock. Delete this file to uninstall.\n\
         if git diff --cached --name-only | grep -Eq '(^|/)Cargo\\.lock$'; then\n\
         \x20   exec '{quoted}' check --staged\n\
         fi\n\
         exit 0\n"
    )
}

/// What [`install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// There was no pre-commit hook.
    Installed,
    /// A hook bumpguard wrote was there already, exactly as it would write it.
    AlreadyInstalled,
    /// A hook bumpguard wrote was there, running another binary (say, an
    /// older install): rewritten for this one.
    Updated,
    /// Another hook was there and `force` replaced it.
    Replaced,
}

/// Writes the pre-commit hook of the repository containing `repo_dir`
/// (honouring `core.hooksPath`) and returns its path and what was done. A
/// hook bumpguard wrote (it has the [`MARKER`] line) is left alone when it is
/// current and rewritten otherwise; any other hook is only replaced with
/// `force`.
pub fn install(repo_dir: &Path, force: bool) -> Result<(PathBuf, Outcome)> {
    let repo = git2::Repository::discover(repo_dir)
        .with_context(|| format!("not a git repository: {}", repo_dir.display()))?;
    let hooks = match repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
    {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or(repo.path()).join(p),
        // Hooks are shared by every worktree of a repository: a linked
        // worktree's own git directory has none that git would run.
        None => repo.commondir().join("hooks"),
    };
    let path = hooks.join("pre-commit");
    let bin = std::env::current_exe().context("cannot tell where the bumpguard binary is")?;
    let text = script(&bin);
    let outcome = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Installed,
        Err(e) => bail!("cannot read {}: {e}", path.display()),
        Ok(old) if old == text.as_bytes() => return Ok((path, Outcome::AlreadyInstalled)),
        Ok(old) if String::from_utf8_lossy(&old).lines().any(|l| l == MARKER) => Outcome::Updated,
        Ok(_) if force => Outcome::Replaced,
        Ok(_) => bail!(
            "{} already exists and bumpguard did not write it; add `bumpguard check --staged` to it, or run again with --force to replace it",
            path.display()
        ),
    };
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create {}", hooks.display()))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok((path, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_quotes_the_binary_and_only_runs_for_lockfiles() {
        let s = script(Path::new("/opt/it's here/bumpguard"));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert_eq!(s.lines().nth(1), Some(MARKER));
        assert!(s.contains("exec '/opt/it'\\''s here/bumpguard' check --staged"));
        assert!(s.contains("Cargo\\.lock$"));
    }

    #[test]
    fn a_linked_worktree_gets_the_hook_git_runs_for_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let main = tmp.path().join("main");
        let repo = git2::Repository::init(&main).expect("init");
        let sig = git2::Signature::now("t", "t@example.com").expect("signature");
        let tree = repo
            .find_tree(repo.index().expect("index").write_tree().expect("tree"))
            .expect("tree");
        repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
            .expect("commit");
        let linked = tmp.path().join("linked");
        repo.worktree("linked", &linked, None).expect("worktree");
        let (path, outcome) = install(&linked, false).expect("install");
        assert_eq!(outcome, Outcome::Installed);
        assert_eq!(
            path.canonicalize().expect("hook"),
            main.join(".git/hooks/pre-commit")
                .canonicalize()
                .expect("hook")
        );
    }
}
