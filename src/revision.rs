//! Revisions: which files a git repository holds at a commit, in its index or
//! in its working tree.
//!
//! A change to dependencies is reviewed as "this revision against that one",
//! and the three places a `Cargo.lock` can live in git (a commit, the staging
//! area, the checkout) are all legitimate "this" sides: a CI job compares two
//! commits, a pre-commit hook compares HEAD with the index, a developer
//! compares HEAD with the working tree. Everything goes through libgit2 so no
//! `git` binary (or its user configuration) is needed.

use anyhow::{Context, anyhow, bail};
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Files larger than this are not exported: no manifest or source file needed
/// by `cargo metadata` is that big, and it bounds what a hostile tree can cost.
const MAX_EXPORT_BLOB: usize = 8 * 1024 * 1024;

const MODE_TYPE_MASK: u32 = 0o170000;
const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// Which state of the repository to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rev {
    /// Any revspec git understands: a sha, a branch, a tag, `HEAD~1`, ...
    Commit(String),
    /// The staging area.
    Index,
    /// The checked-out files, including uncommitted changes.
    WorkTree,
}

impl fmt::Display for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rev::Commit(spec) => f.write_str(spec),
            Rev::Index => f.write_str("index"),
            Rev::WorkTree => f.write_str("working tree"),
        }
    }
}

/// A `Cargo.lock` found at some revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockfileText {
    /// Repository-relative, `/`-separated (`Cargo.lock`, `tools/xtask/Cargo.lock`).
    pub path: String,
    pub text: String,
}

/// An open git repository.
pub struct Repo {
    repo: Repository,
    /// The index file named by `GIT_INDEX_FILE`, when set (see [`index_file_from_env`]).
    index_file: Option<PathBuf>,
}

impl fmt::Debug for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repo")
            .field("path", &self.repo.path())
            .finish()
    }
}

impl Repo {
    /// Opens the repository containing `dir` (searching upward, like `git`).
    pub fn open(dir: &Path) -> anyhow::Result<Repo> {
        if !dir.exists() {
            bail!("no such directory: {}", dir.display());
        }
        match Repository::discover(dir) {
            Ok(repo) => {
                let index_file = index_file_from_env(&repo);
                Ok(Repo { repo, index_file })
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                bail!("not a git repository: {}", dir.display())
            }
            Err(e) => Err(anyhow!(
                "cannot open the git repository at {}: {}",
                dir.display(),
                e.message()
            )),
        }
    }

    /// True when `spec` is the commit checked out and the working tree holds
    /// exactly its files: no tracked file differs and no untracked file
    /// (other than ignored ones) is there, so that running something in the
    /// working tree runs it on that commit. (An untracked test file would
    /// otherwise be compiled into a contract run that claims to be HEAD's.)
    pub fn worktree_is(&self, spec: &str) -> anyhow::Result<bool> {
        if self.repo.workdir().is_none() || self.commit_id(spec)? != self.commit_id("HEAD")? {
            return Ok(false);
        }
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .context("cannot read the working tree's status")?;
        Ok(statuses.is_empty())
    }

    /// True when the working tree holds exactly what is staged (in the index
    /// `GIT_INDEX_FILE` names, when set): every staged file is there with the
    /// staged contents, and no other file that git does not ignore is. Then
    /// running something in the working tree runs it on what is about to be
    /// committed. Anything unsure (a filtered file, an unreadable one) counts
    /// as a difference: the caller then exports the index instead.
    pub fn worktree_matches_index(&self) -> anyhow::Result<bool> {
        let Some(workdir) = self.repo.workdir() else {
            return Ok(false);
        };
        let index = self.index()?;
        let mut staged = HashSet::new();
        for e in index.iter() {
            if index_stage(&e) != 0 {
                return Ok(false);
            }
            let Ok(path) = String::from_utf8(e.path.clone()) else {
                return Ok(false);
            };
            let mode = e.mode & MODE_TYPE_MASK;
            if mode != MODE_SYMLINK && mode != MODE_GITLINK {
                match Oid::hash_file(ObjectType::Blob, workdir.join(&path)) {
                    Ok(id) if id == e.id => {}
                    _ => return Ok(false),
                }
            }
            staged.insert(path);
        }
        // Files the staged index lacks: untracked ones, and (with a temporary
        // index from `git commit <path>`) tracked ones it leaves out.
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .context("cannot read the working tree's status")?;
        for s in statuses.iter() {
            let Ok(path) = s.path() else {
                return Ok(false);
            };
            if !staged.contains(path) && workdir.join(path).exists() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `Name <email>` from git's configuration, when set.
    pub fn user(&self) -> Option<String> {
        let cfg = self.repo.config().ok()?;
        let name = cfg.get_string("user.name").ok();
        let email = cfg.get_string("user.email").ok();
        match (name, email) {
            (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
            (Some(n), None) => Some(n),
            (None, Some(e)) => Some(format!("<{e}>")),
            (None, None) => None,
        }
    }

    /// The checkout directory; `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// How the repository is named in messages.
    fn label(&self) -> String {
        // libgit2 reports directories with a trailing slash; collecting the
        // components drops it.
        let dir = self.repo.workdir().unwrap_or_else(|| self.repo.path());
        dir.components().collect::<PathBuf>().display().to_string()
    }

    /// The commit a revspec names (tags and branches peeled to their commit).
    fn commit(&self, spec: &str) -> anyhow::Result<git2::Commit<'_>> {
        self.repo
            .revparse_single(spec)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| anyhow!("unknown revision '{spec}' in {}", self.label()))
    }

    /// The full sha of a revspec.
    pub fn commit_id(&self, spec: &str) -> anyhow::Result<String> {
        Ok(self.commit(spec)?.id().to_string())
    }

    /// A short human label: `abc1234 (main)`, `abc1234`, `index`, `working tree`.
    /// Also validates the revision, so callers can fail early on a typo.
    pub fn resolve(&self, rev: &Rev) -> anyhow::Result<String> {
        match rev {
            Rev::Commit(spec) => {
                let commit = self.commit(spec)?;
                let short = self.short_id(commit.id());
                let sha = commit.id().to_string();
                let is_sha_prefix = spec.len() >= 4 && sha.starts_with(&spec.to_ascii_lowercase());
                Ok(if is_sha_prefix {
                    short
                } else {
                    format!("{short} ({spec})")
                })
            }
            Rev::Index => Ok("index".to_string()),
            Rev::WorkTree => {
                self.require_workdir()?;
                Ok("working tree".to_string())
            }
        }
    }

    fn short_id(&self, id: Oid) -> String {
        self.repo
            .find_object(id, None)
            .ok()
            .and_then(|o| o.short_id().ok())
            .and_then(|b| b.as_str().ok().map(str::to_string))
            .unwrap_or_else(|| id.to_string().chars().take(7).collect())
    }

    fn require_workdir(&self) -> anyhow::Result<&Path> {
        self.repo.workdir().ok_or_else(|| {
            anyhow!(
                "{} is a bare repository: it has no working tree",
                self.label()
            )
        })
    }

    /// The revision to compare against when the user names none: where HEAD
    /// branched off the default branch. The default branch is what
    /// `origin/HEAD` points to, else the first of `main`, `master`,
    /// `origin/main`, `origin/master` that exists. When HEAD *is* the default
    /// branch, the base is HEAD itself (so the natural comparison is HEAD
    /// against the working tree).
    ///
    /// Returns `(description, full sha)`.
    pub fn default_base(&self) -> anyhow::Result<(String, String)> {
        let head = self.repo.head().map_err(|e| {
            anyhow!(
                "{}: HEAD does not name a commit ({})",
                self.label(),
                e.message()
            )
        })?;
        let head_commit = head.peel_to_commit().map_err(|e| {
            anyhow!(
                "{}: HEAD does not name a commit ({})",
                self.label(),
                e.message()
            )
        })?;
        let head_branch = if head.is_branch() {
            head.name().ok().map(str::to_string)
        } else {
            None
        };

        let (short, full) = self.default_branch().ok_or_else(|| {
            anyhow!(
                "{}: cannot tell the default branch (none of origin/HEAD, main, master, origin/main, origin/master exists); name a base revision explicitly",
                self.label()
            )
        })?;
        let branch_commit = self
            .repo
            .find_reference(&full)
            .and_then(|r| r.peel_to_commit())
            .map_err(|e| anyhow!("{}: cannot read {short}: {}", self.label(), e.message()))?;

        // `main` when the default is `main` or `origin/main`.
        let local_name = short.strip_prefix("origin/").unwrap_or(&short);
        if head_branch.as_deref() == Some(&format!("refs/heads/{local_name}")) {
            return Ok((
                format!("HEAD (on the default branch {local_name})"),
                head_commit.id().to_string(),
            ));
        }
        let base = self
            .repo
            .merge_base(head_commit.id(), branch_commit.id())
            .map_err(|_| {
                anyhow!(
                    "{}: HEAD and {short} have no common ancestor; name a base revision explicitly",
                    self.label()
                )
            })?;
        Ok((format!("merge-base of HEAD and {short}"), base.to_string()))
    }

    /// `(short name, full ref name)` of the default branch, if one exists.
    fn default_branch(&self) -> Option<(String, String)> {
        if let Ok(r) = self.repo.find_reference("refs/remotes/origin/HEAD")
            && let Ok(Some(target)) = r.symbolic_target()
            && self.repo.find_reference(target).is_ok()
        {
            let short = target
                .strip_prefix("refs/remotes/")
                .unwrap_or(target)
                .to_string();
            return Some((short, target.to_string()));
        }
        [
            ("main", "refs/heads/main"),
            ("master", "refs/heads/master"),
            ("origin/main", "refs/remotes/origin/main"),
            ("origin/master", "refs/remotes/origin/master"),
        ]
        .into_iter()
        .find(|(_, full)| self.repo.find_reference(full).is_ok())
        .map(|(s, f)| (s.to_string(), f.to_string()))
    }

    /// Every file named `Cargo.lock` at `rev`, sorted by path. Nested
    /// workspaces (tools, fuzz targets, examples) have their own lockfiles
    /// and their bumps matter too. In the working tree, files git ignores and
    /// `target` directories are skipped (build output holds stray lockfiles),
    /// unless git tracks the file.
    pub fn lockfiles(&self, rev: &Rev) -> anyhow::Result<Vec<LockfileText>> {
        let mut found = match rev {
            Rev::Commit(spec) => {
                let tree = self
                    .commit(spec)?
                    .tree()
                    .context("cannot read the commit's tree")?;
                let mut blobs = Vec::new();
                tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                    if entry.kind() == Some(ObjectType::Blob)
                        && entry.filemode() as u32 & MODE_TYPE_MASK != MODE_SYMLINK
                        && entry.name_bytes() == b"Cargo.lock"
                    {
                        blobs.push((format!("{dir}Cargo.lock"), entry.id()));
                    }
                    TreeWalkResult::Ok
                })
                .with_context(|| format!("cannot walk the tree of {spec}"))?;
                blobs
                    .into_iter()
                    .map(|(path, id)| self.blob_text(&path, id))
                    .collect::<anyhow::Result<Vec<_>>>()?
            }
            Rev::Index => {
                let mut out = Vec::new();
                for (path, id) in self.index_lockfiles()? {
                    out.push(self.blob_text(&path, id)?);
                }
                out
            }
            Rev::WorkTree => self.worktree_lockfiles()?,
        };
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    fn blob_text(&self, path: &str, id: Oid) -> anyhow::Result<LockfileText> {
        let blob = self
            .repo
            .find_blob(id)
            .with_context(|| format!("cannot read {path} from git"))?;
        let text = String::from_utf8(blob.content().to_vec())
            .map_err(|_| anyhow!("{path}: not UTF-8 text"))?;
        Ok(LockfileText {
            path: path.to_string(),
            text,
        })
    }

    /// The staging area git itself would read: `GIT_INDEX_FILE` when set
    /// (git sets it for hooks; `git commit -a` and `git commit <path>` stage
    /// into a temporary index that only it names), else the repository's.
    fn index(&self) -> anyhow::Result<git2::Index> {
        if let Some(path) = &self.index_file {
            // git would read a missing index as an empty one, which here
            // would report every lockfile as removed: say what is wrong instead.
            if !path.is_file() {
                bail!(
                    "GIT_INDEX_FILE names {}, which is not a file",
                    path.display()
                );
            }
            return git2::Index::open(path).map_err(|e| {
                anyhow!(
                    "cannot read the git index {} (from GIT_INDEX_FILE): {}",
                    path.display(),
                    e.message()
                )
            });
        }
        let mut index = self.repo.index().context("cannot open the git index")?;
        // The handle may be cached; the file on disk is the truth.
        index.read(false).context("cannot read the git index")?;
        Ok(index)
    }

    /// `(path, blob)` of the `Cargo.lock` files staged in the index. A file in
    /// the middle of a merge conflict has no staged version: that is an error,
    /// because silently skipping it would hide bumps.
    fn index_lockfiles(&self) -> anyhow::Result<Vec<(String, Oid)>> {
        let index = self.index()?;
        let mut out = Vec::new();
        let mut conflicted = Vec::new();
        for entry in index.iter() {
            let Ok(path) = String::from_utf8(entry.path.clone()) else {
                continue;
            };
            if !(path == "Cargo.lock" || path.ends_with("/Cargo.lock")) {
                continue;
            }
            let mode = entry.mode & MODE_TYPE_MASK;
            if mode == MODE_SYMLINK || mode == MODE_GITLINK {
                continue;
            }
            if index_stage(&entry) == 0 {
                out.push((path, entry.id));
            } else if !conflicted.contains(&path) {
                conflicted.push(path);
            }
        }
        if let Some(path) = conflicted.first() {
            bail!("{path} has unresolved merge conflicts in the index");
        }
        Ok(out)
    }

    fn worktree_lockfiles(&self) -> anyhow::Result<Vec<LockfileText>> {
        let root = self.require_workdir()?.to_path_buf();
        // Tracked lockfiles are read even where ignore rules would skip them
        // (git keeps tracking a file after it starts matching `.gitignore`).
        let tracked: HashSet<String> = self.index_paths_for_lockfiles()?;
        let tracked_dirs: HashSet<String> = tracked
            .iter()
            .flat_map(|p| {
                let parts: Vec<&str> = p.split('/').collect();
                (1..parts.len())
                    .map(move |n| parts[..n].join("/"))
                    .collect::<Vec<_>>()
            })
            .collect();

        let mut out = Vec::new();
        let mut stack: Vec<(PathBuf, String)> = vec![(root, String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                // The root must be readable; a subdirectory we may not enter
                // is skipped, as git itself would.
                Err(e) if rel.is_empty() => {
                    return Err(anyhow!("cannot read {}: {e}", dir.display()));
                }
                Err(_) => continue,
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let Ok(ft) = entry.file_type() else { continue };
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if ft.is_dir() {
                    if name == ".git" {
                        continue;
                    }
                    let path = entry.path();
                    // A nested repository (submodule or not) is not part of this one.
                    if path.join(".git").exists() {
                        continue;
                    }
                    if !tracked_dirs.contains(&child_rel)
                        && (name == "target" || self.is_ignored(&format!("{child_rel}/")))
                    {
                        continue;
                    }
                    stack.push((path, child_rel));
                } else if ft.is_file()
                    && name == "Cargo.lock"
                    && (tracked.contains(&child_rel) || !self.is_ignored(&child_rel))
                {
                    let bytes = fs::read(entry.path())
                        .with_context(|| format!("cannot read {child_rel}"))?;
                    let text = String::from_utf8(bytes)
                        .map_err(|_| anyhow!("{child_rel}: not UTF-8 text"))?;
                    out.push(LockfileText {
                        path: child_rel,
                        text,
                    });
                }
                // Symlinks are skipped: they could point outside the repository or loop.
            }
        }
        Ok(out)
    }

    fn index_paths_for_lockfiles(&self) -> anyhow::Result<HashSet<String>> {
        let index = self.index()?;
        Ok(index
            .iter()
            .filter_map(|e| String::from_utf8(e.path).ok())
            .filter(|p| p == "Cargo.lock" || p.ends_with("/Cargo.lock"))
            .collect())
    }

    /// Whether git ignores a workdir-relative path (a trailing `/` marks a
    /// directory, so that `target/`-style rules apply). Errors count as "not
    /// ignored": reading one file too many is harmless, missing one is not.
    fn is_ignored(&self, rel: &str) -> bool {
        self.repo.is_path_ignored(rel).unwrap_or(false)
    }

    /// Writes the files under `subdir` (repository-relative, `""` for the
    /// root) at `rev` into `dest`, so that `cargo metadata` can run on the
    /// workspace as it was at that revision. Symlinks, submodules, blobs
    /// larger than 8 MiB and paths that would escape `dest` are skipped.
    /// The working tree is not exported: use [`Repo::workdir`] directly.
    pub fn export(&self, rev: &Rev, subdir: &str, dest: &Path) -> anyhow::Result<()> {
        let subdir = normalize_subdir(subdir)?;
        let files = self.files_under(rev, &subdir)?;

        fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
        let odb = self
            .repo
            .odb()
            .context("cannot open the git object database")?;
        for (rel, id) in files {
            let Some(target) = safe_join(dest, &rel) else {
                continue;
            };
            match odb.read_header(id) {
                Ok((size, _)) if size > MAX_EXPORT_BLOB => continue,
                Ok(_) => {}
                Err(e) => bail!("cannot read {rel}: {}", e.message()),
            }
            let blob = self
                .repo
                .find_blob(id)
                .with_context(|| format!("cannot read {rel}"))?;
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            fs::write(&target, blob.content())
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        Ok(())
    }
}

impl Repo {
    /// `(path below subdir, blob)` of the regular files under `subdir`
    /// (normalized) at `rev`: what [`Repo::export`] writes.
    fn files_under(&self, rev: &Rev, subdir: &str) -> anyhow::Result<Vec<(String, Oid)>> {
        Ok(match rev {
            Rev::Commit(spec) => {
                let root = self
                    .commit(spec)?
                    .tree()
                    .context("cannot read the commit's tree")?;
                let tree = if subdir.is_empty() {
                    root
                } else {
                    let entry = root
                        .get_path(Path::new(&subdir))
                        .map_err(|_| anyhow!("no directory '{subdir}' at {spec}"))?;
                    if entry.kind() != Some(ObjectType::Tree) {
                        bail!("'{subdir}' is not a directory at {spec}");
                    }
                    self.repo
                        .find_tree(entry.id())
                        .with_context(|| format!("cannot read '{subdir}' at {spec}"))?
                };
                let mut files = Vec::new();
                tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                    if entry.kind() == Some(ObjectType::Blob)
                        && entry.filemode() as u32 & MODE_TYPE_MASK != MODE_SYMLINK
                        && let Ok(name) = std::str::from_utf8(entry.name_bytes())
                    {
                        files.push((format!("{dir}{name}"), entry.id()));
                    }
                    TreeWalkResult::Ok
                })
                .with_context(|| format!("cannot walk the tree of {spec}"))?;
                files
            }
            Rev::Index => {
                let index = self.index()?;
                let prefix = if subdir.is_empty() {
                    String::new()
                } else {
                    format!("{subdir}/")
                };
                let files: Vec<(String, Oid)> = index
                    .iter()
                    .filter(|e| index_stage(e) == 0)
                    .filter(|e| {
                        let mode = e.mode & MODE_TYPE_MASK;
                        mode != MODE_SYMLINK && mode != MODE_GITLINK
                    })
                    .filter_map(|e| String::from_utf8(e.path.clone()).ok().map(|p| (p, e.id)))
                    .filter_map(|(p, id)| {
                        p.strip_prefix(&prefix).map(|rest| (rest.to_string(), id))
                    })
                    .collect();
                if files.is_empty() && !subdir.is_empty() {
                    bail!("no directory '{subdir}' in the index");
                }
                files
            }
            Rev::WorkTree => bail!(
                "the working tree needs no export: read {} directly",
                self.label()
            ),
        })
    }

    /// A sha256 (hex) naming the contents of the folder `subdir` at `rev`:
    /// every file's path and blob id, so two revisions holding the same
    /// files get the same id and any change to a file gives another. Cheap:
    /// no file is read.
    pub fn folder_id(&self, rev: &Rev, subdir: &str) -> anyhow::Result<String> {
        use sha2::Digest;
        let subdir = normalize_subdir(subdir)?;
        let mut files = self.files_under(rev, &subdir)?;
        files.sort();
        let mut hasher = sha2::Sha256::new();
        for (path, id) in files {
            hasher.update(path.as_bytes());
            hasher.update(b"\0");
            hasher.update(id.as_bytes());
            hasher.update(b"\n");
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Where the repository lives: its working tree, or the git directory of
    /// a bare repository. [`Repo::open`] on this path opens it again (another
    /// thread's handle, say).
    pub fn location(&self) -> &Path {
        self.repo.workdir().unwrap_or_else(|| self.repo.path())
    }

    /// The bytes of one file (repository-relative, `/`-separated) at `rev`;
    /// `None` when there is no such regular file (absent, a directory, a
    /// symlink, a submodule). Files over 8 MiB are refused, as in
    /// [`Repo::export`]. In the working tree the file is read from disk.
    pub fn read_file(&self, rev: &Rev, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = normalize_subdir(path)?;
        if path.is_empty() {
            return Ok(None);
        }
        let id = match rev {
            Rev::Commit(spec) => {
                let tree = self
                    .commit(spec)?
                    .tree()
                    .context("cannot read the commit's tree")?;
                match tree.get_path(Path::new(&path)) {
                    Ok(entry)
                        if entry.kind() == Some(ObjectType::Blob)
                            && entry.filemode() as u32 & MODE_TYPE_MASK != MODE_SYMLINK =>
                    {
                        entry.id()
                    }
                    _ => return Ok(None),
                }
            }
            Rev::Index => {
                let index = self.index()?;
                match index.get_path(Path::new(&path), 0) {
                    Some(entry)
                        if !matches!(entry.mode & MODE_TYPE_MASK, MODE_SYMLINK | MODE_GITLINK) =>
                    {
                        entry.id
                    }
                    _ => return Ok(None),
                }
            }
            Rev::WorkTree => {
                let Some(file) = safe_join(self.require_workdir()?, &path) else {
                    return Ok(None);
                };
                return match fs::symlink_metadata(&file) {
                    Ok(meta) if meta.is_file() => {
                        if meta.len() > MAX_EXPORT_BLOB as u64 {
                            bail!("{path} is larger than {MAX_EXPORT_BLOB} bytes");
                        }
                        fs::read(&file)
                            .map(Some)
                            .with_context(|| format!("cannot read {}", file.display()))
                    }
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(anyhow!("cannot read {}: {e}", file.display())),
                };
            }
        };
        match self.repo.odb().and_then(|odb| odb.read_header(id)) {
            Ok((size, _)) if size > MAX_EXPORT_BLOB => {
                bail!("{path} at {rev} is larger than {MAX_EXPORT_BLOB} bytes")
            }
            Ok(_) => {}
            Err(e) => bail!("cannot read {path} at {rev}: {}", e.message()),
        }
        let blob = self
            .repo
            .find_blob(id)
            .with_context(|| format!("cannot read {path} at {rev}"))?;
        Ok(Some(blob.content().to_vec()))
    }
}

/// The index file `GIT_INDEX_FILE` names, if set and not empty. As git does
/// (it moves to the top of the working tree before reading it), a relative
/// path is relative to the repository's working tree, or to its git
/// directory when it has none.
fn index_file_from_env(repo: &Repository) -> Option<PathBuf> {
    let value = std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty())?;
    let path = PathBuf::from(value);
    Some(if path.is_absolute() {
        path
    } else {
        repo.workdir().unwrap_or_else(|| repo.path()).join(path)
    })
}

/// The merge stage of an index entry (0 = normal; 1-3 = conflict sides).
fn index_stage(entry: &git2::IndexEntry) -> u16 {
    (entry.flags >> 12) & 0x3
}

/// `"./a/b/"` -> `"a/b"`; `"."` and `""` -> `""`. Rejects `..` so a caller
/// cannot be tricked into reading outside the repository tree.
fn normalize_subdir(subdir: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = subdir
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        bail!("invalid subdirectory '{subdir}': '..' is not allowed");
    }
    Ok(parts.join("/"))
}

/// `dest/rel`, or `None` when `rel` has a component that could escape `dest`
/// or write into a `.git` directory (trees from untrusted history can hold
/// such names even though git itself refuses to create them).
fn safe_join(dest: &Path, rel: &str) -> Option<PathBuf> {
    let mut out = dest.to_path_buf();
    for part in rel.split('/') {
        if part.is_empty()
            || part == "."
            || part == ".."
            || part.eq_ignore_ascii_case(".git")
            || part.contains(['\\', ':', '\0'])
        {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdir_normalization() {
        assert_eq!(normalize_subdir("").expect("root"), "");
        assert_eq!(normalize_subdir(".").expect("dot"), "");
        assert_eq!(normalize_subdir("./a//b/").expect("a/b"), "a/b");
        assert!(normalize_subdir("a/../..").is_err());
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let d = Path::new("/d");
        assert_eq!(safe_join(d, "a/b.rs"), Some(PathBuf::from("/d/a/b.rs")));
        assert_eq!(safe_join(d, "../x"), None);
        assert_eq!(safe_join(d, "a/.GIT/config"), None);
        assert_eq!(safe_join(d, "a//b"), None);
        assert_eq!(safe_join(d, "c:\\x"), None);
    }
}
