//! The part of Cargo's configuration that decides where registry crates are
//! read from: source replacement (`[source.<name>] replace-with = ...`) ending
//! in a directory source (`directory = "vendor"`, the `cargo vendor` layout).
//!
//! Cargo reads `.cargo/config.toml` (or the older `.cargo/config`, preferred
//! when both exist) in the directory it runs in and in every parent, then
//! `$CARGO_HOME/config.toml`; a closer file wins key by key. A relative
//! `directory` is relative to the folder holding the `.cargo` folder of the
//! file that set it (for `$CARGO_HOME/config.toml`, the parent of
//! `$CARGO_HOME`). Replacements with another registry, a local registry or
//! git are not followed: those crates come from the usual caches and the
//! registry, which serve the same checksummed archives.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail};
use serde::Deserialize;
use toml::Spanned;

use super::Registry;
use crate::revision::{Repo, Rev};

/// Which directory sources stand in for which registries, per Cargo's
/// configuration as seen from one workspace. Empty when nothing is replaced
/// (the usual case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replacements {
    entries: Vec<(Registry, DirectorySource)>,
}

/// A directory source: one folder per package, each with a
/// `.cargo-checksum.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySource {
    /// Absolute, lexically normalized (no `.` or `..`).
    pub path: PathBuf,
    /// The `[source.<name>]` that defines it.
    pub name: String,
    /// The configuration file that set `directory`.
    pub defined_in: PathBuf,
    /// Set when the directory lies inside the git repository being checked:
    /// a package missing from the working tree is then looked for in the
    /// revision being read (the base revision's vendor folder holds the old
    /// version).
    pub(super) in_repo: Option<InRepo>,
}

/// Where a directory source sits in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InRepo {
    /// What [`Repo::open`] is given to open the repository again.
    pub(super) repo: PathBuf,
    /// The directory, repository-relative and `/`-separated (`vendor`).
    pub(super) rel: String,
}

/// Where a lookup reads crates from before the caches and the registry: the
/// directory sources of one workspace, and the revision whose copy of an
/// in-repository directory counts. [`Vendored::NONE`] reads no directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vendored<'a> {
    pub(super) replacements: Option<&'a Replacements>,
    pub(super) rev: Option<&'a Rev>,
}

impl Vendored<'_> {
    /// No directory sources: crates come from the caches and the registry.
    pub const NONE: Vendored<'static> = Vendored {
        replacements: None,
        rev: None,
    };
}

impl Replacements {
    /// Whether no registry is replaced by a directory.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The directory source that replaces the registry of a lockfile
    /// `source` string (`registry+https://github.com/rust-lang/crates.io-index`).
    pub fn directory_for(&self, lock_source: &str) -> Option<&DirectorySource> {
        let registry = Registry::parse(lock_source)?;
        self.for_registry(&registry)
    }

    pub(super) fn for_registry(&self, registry: &Registry) -> Option<&DirectorySource> {
        self.entries
            .iter()
            .find(|(r, _)| r == registry)
            .map(|(_, d)| d)
    }

    /// These replacements, reading in-repository directories at `rev` when a
    /// package is not in the working tree (`None`: the working tree only).
    pub fn at<'a>(&'a self, rev: Option<&'a Rev>) -> Vendored<'a> {
        Vendored {
            replacements: Some(self),
            rev,
        }
    }

    /// The configuration as Cargo would see it running in `workspace_dir`,
    /// every file read from disk.
    pub fn load(workspace_dir: &Path, cargo_home: Option<&Path>) -> anyhow::Result<Replacements> {
        let workspace_dir = normalize(workspace_dir);
        let files = gather(&workspace_dir, cargo_home, read_disk)?;
        resolve(&files)
    }

    /// The configuration of the workspace at `workspace_rel` (the folder of
    /// its `Cargo.lock`, repository-relative) as it is at `rev`: files
    /// inside the repository come from that revision, the ones above it and
    /// `$CARGO_HOME/config.toml` from disk. Directories inside the repository
    /// are marked so that packages can be read from any revision's tree.
    pub fn for_revision(
        repo: &Repo,
        rev: &Rev,
        workspace_rel: &str,
        cargo_home: Option<&Path>,
    ) -> anyhow::Result<Replacements> {
        let root = normalize(repo.location());
        let mut workspace_dir = root.clone();
        workspace_dir.extend(workspace_rel.split('/').filter(|p| !p.is_empty()));
        let workspace_dir = normalize(&workspace_dir);
        let files = gather(&workspace_dir, cargo_home, |path| {
            match repo_relative(&root, path) {
                Some(rel) => repo
                    .read_file(rev, &rel)?
                    .map(|bytes| {
                        String::from_utf8(bytes)
                            .map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))
                    })
                    .transpose(),
                None => read_disk(path),
            }
        })?;
        let mut found = resolve(&files)?;
        for (_, dir) in &mut found.entries {
            dir.in_repo = repo_relative(&root, &dir.path).map(|rel| InRepo {
                repo: repo.location().to_path_buf(),
                rel,
            });
        }
        Ok(found)
    }
}

fn read_disk(path: &Path) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        // A folder named `config` is not a configuration file (Cargo skips it too).
        Err(_) if path.is_dir() => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// `path` relative to `root`, `/`-separated, when it is strictly inside.
fn repo_relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    let parts: Vec<&str> = rest
        .components()
        .map(|c| match c {
            Component::Normal(p) => p.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Lexical normalization: `.` dropped, `..` removes the previous component.
/// Symbolic links are not resolved (the paths may not exist on disk).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// One configuration file that exists, highest priority first in a list.
#[derive(Debug)]
struct ConfigFile {
    path: PathBuf,
    /// What relative paths in it are relative to.
    base: PathBuf,
    text: String,
}

/// The configuration files Cargo reads from `workspace_dir`, closest first:
/// `.cargo/config` or `.cargo/config.toml` in it and every parent, then in
/// `$CARGO_HOME` unless that was one of them.
fn gather(
    workspace_dir: &Path,
    cargo_home: Option<&Path>,
    mut read: impl FnMut(&Path) -> anyhow::Result<Option<String>>,
) -> anyhow::Result<Vec<ConfigFile>> {
    let mut homes: Vec<PathBuf> = workspace_dir
        .ancestors()
        .map(|dir| dir.join(".cargo"))
        .collect();
    if let Some(home) = cargo_home.map(normalize)
        && !homes.contains(&home)
    {
        homes.push(home);
    }
    let mut files = Vec::new();
    for home in homes {
        for name in ["config", "config.toml"] {
            let path = home.join(name);
            if let Some(text) = read(&path)? {
                let base = home.parent().unwrap_or(&home).to_path_buf();
                files.push(ConfigFile { path, base, text });
                // Cargo uses `config` when both exist.
                break;
            }
        }
    }
    Ok(files)
}

/// The `[source]` table of one file; everything else in it is Cargo's
/// business and only has to be valid TOML.
#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    source: BTreeMap<String, RawSource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawSource {
    replace_with: Option<Spanned<String>>,
    directory: Option<Spanned<String>>,
    registry: Option<Spanned<String>>,
    local_registry: Option<Spanned<String>>,
    git: Option<Spanned<String>>,
}

/// A value and the file and byte range it came from.
#[derive(Debug, Clone)]
struct Located<T> {
    value: T,
    file: usize,
    span: Range<usize>,
}

/// One `[source.<name>]` after merging every file, each key from the
/// closest file that sets it.
#[derive(Debug, Default)]
struct MergedSource {
    replace_with: Option<Located<String>>,
    directory: Option<Located<String>>,
    registry: Option<Located<String>>,
    /// `local-registry` or `git`: a kind of source bumpguard does not read.
    other: Option<Located<&'static str>>,
}

/// `path:line:column: message`.
fn located_error(file: &ConfigFile, span: Range<usize>, message: &str) -> anyhow::Error {
    let mut end = span.start.min(file.text.len());
    while !file.text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &file.text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    anyhow!("{}:{line}:{column}: {message}", file.path.display())
}

fn parse_all(files: &[ConfigFile]) -> anyhow::Result<BTreeMap<String, MergedSource>> {
    let mut merged: BTreeMap<String, MergedSource> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let raw: RawConfig = toml::from_str(&file.text).map_err(|e| {
            let message = format!("invalid Cargo configuration: {}", e.message().trim());
            match e.span() {
                Some(span) => located_error(file, span, &message),
                None => anyhow!("{}: {message}", file.path.display()),
            }
        })?;
        let here = |s: Spanned<String>| Located {
            span: s.span(),
            value: s.into_inner(),
            file: index,
        };
        for (name, source) in raw.source {
            let slot = merged.entry(name).or_default();
            if slot.replace_with.is_none() {
                slot.replace_with = source.replace_with.map(here);
            }
            if slot.directory.is_none() {
                slot.directory = source.directory.map(here);
            }
            if slot.registry.is_none() {
                slot.registry = source.registry.map(here);
            }
            if slot.other.is_none() {
                let kind = |s: Spanned<String>, what| Located {
                    span: s.span(),
                    value: what,
                    file: index,
                };
                slot.other = source
                    .local_registry
                    .map(|s| kind(s, "local-registry"))
                    .or_else(|| source.git.map(|s| kind(s, "git")));
            }
        }
    }
    Ok(merged)
}

/// Every replaced registry that ends in a directory source.
fn resolve(files: &[ConfigFile]) -> anyhow::Result<Replacements> {
    let merged = parse_all(files)?;
    let error =
        |at: &Located<_>, message: &str| located_error(&files[at.file], at.span.clone(), message);
    for (name, source) in &merged {
        let locations = [&source.directory, &source.registry]
            .into_iter()
            .flatten()
            .map(|l| (l.file, l.span.clone()))
            .chain(source.other.iter().map(|l| (l.file, l.span.clone())))
            .collect::<Vec<_>>();
        if locations.len() > 1 {
            let (file, span) = locations[1].clone();
            return Err(located_error(
                &files[file],
                span,
                &format!(
                    "`[source.{name}]` names more than one location (directory, registry, local-registry, git); Cargo accepts one"
                ),
            ));
        }
        if name == "crates-io"
            && let Some(at) = source.directory.as_ref().or(source.registry.as_ref())
        {
            return Err(error(
                at,
                "`[source.crates-io]` may only say `replace-with`; crates.io's own location cannot be changed",
            ));
        }
    }

    let mut entries = Vec::new();
    // crates.io first, then other registries named by URL.
    let mut starts: Vec<(String, Registry)> = vec![("crates-io".to_string(), Registry::CratesIo)];
    for (name, source) in &merged {
        if let Some(url) = &source.registry {
            let text = url.value.trim();
            let lock = if text.starts_with("sparse+") {
                text.to_string()
            } else {
                format!("registry+{text}")
            };
            let registry = Registry::parse(&lock)
                .ok_or_else(|| error(url, &format!("`{text}` is not a registry URL")))?;
            starts.push((name.clone(), registry));
        }
    }
    for (start, registry) in starts {
        if entries.iter().any(|(r, _)| *r == registry) {
            continue;
        }
        if let Some(dir) = follow(&start, &merged, files)? {
            entries.push((registry, dir));
        }
    }
    Ok(Replacements { entries })
}

/// Follows `replace-with` from `start` to the source that has no
/// replacement; `Some` when that is a directory.
fn follow(
    start: &str,
    merged: &BTreeMap<String, MergedSource>,
    files: &[ConfigFile],
) -> anyhow::Result<Option<DirectorySource>> {
    let mut chain: Vec<&str> = vec![start];
    let mut current = start;
    while let Some(source) = merged.get(current) {
        let Some(next) = &source.replace_with else {
            let Some(dir) = &source.directory else {
                return Ok(None);
            };
            let file = &files[dir.file];
            if dir.value.trim().is_empty() {
                bail!(located_error(
                    file,
                    dir.span.clone(),
                    &format!("`[source.{current}]` has an empty `directory`")
                ));
            }
            return Ok(Some(DirectorySource {
                path: normalize(&file.base.join(&dir.value)),
                name: current.to_string(),
                defined_in: file.path.clone(),
                in_repo: None,
            }));
        };
        let file = &files[next.file];
        let target = next.value.as_str();
        if chain.contains(&target) {
            chain.push(target);
            bail!(located_error(
                file,
                next.span.clone(),
                &format!(
                    "source replacement goes round in a circle: {}",
                    chain.join(" -> ")
                )
            ));
        }
        if !merged.contains_key(target) && target != "crates-io" {
            bail!(located_error(
                file,
                next.span.clone(),
                &format!(
                    "`[source.{current}]` says `replace-with = \"{target}\"`, but no `[source.{target}]` is defined"
                )
            ));
        }
        chain.push(target);
        current = target;
    }
    // A name without a `[source]` table of its own (crates-io): not replaced.
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> ConfigFile {
        let path = PathBuf::from(path);
        let base = path
            .parent()
            .and_then(Path::parent)
            .expect("in a .cargo folder")
            .to_path_buf();
        ConfigFile {
            path,
            base,
            text: text.to_string(),
        }
    }

    const VENDORED: &str = "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n";

    #[test]
    fn crates_io_replaced_by_a_relative_directory() {
        let r = resolve(&[file("/w/app/.cargo/config.toml", VENDORED)]).expect("valid");
        let dir = r.for_registry(&Registry::CratesIo).expect("replaced");
        assert_eq!(dir.path, PathBuf::from("/w/app/vendor"));
        assert_eq!(dir.name, "vendored-sources");
        assert_eq!(dir.defined_in, PathBuf::from("/w/app/.cargo/config.toml"));
        assert!(r.directory_for("sparse+https://index.crates.io/").is_some());
        assert!(
            r.directory_for("registry+https://other.example/index")
                .is_none()
        );
    }

    #[test]
    fn nothing_configured_is_empty() {
        let r = resolve(&[file("/w/.cargo/config.toml", "[build]\njobs = 2\n")]).expect("valid");
        assert!(r.is_empty());
        assert!(resolve(&[]).expect("valid").is_empty());
    }

    #[test]
    fn chains_and_closer_files_win_key_by_key() {
        let close = file(
            "/w/app/.cargo/config.toml",
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nreplace-with = \"vendored\"\n",
        );
        // The directory is set only in the farther file: relative to *its* base.
        let far = file(
            "/w/.cargo/config.toml",
            "[source.crates-io]\nreplace-with = \"ignored\"\n[source.vendored]\ndirectory = \"../shared/./vendor\"\n",
        );
        let r = resolve(&[close, far]).expect("valid");
        let dir = r.for_registry(&Registry::CratesIo).expect("replaced");
        assert_eq!(dir.path, PathBuf::from("/shared/vendor"));
        assert_eq!(dir.name, "vendored");
        assert_eq!(dir.defined_in, PathBuf::from("/w/.cargo/config.toml"));
    }

    #[test]
    fn other_registries_and_non_directory_targets() {
        let text = "[source.crates-io]\nreplace-with = \"mirror\"\n\
                    [source.mirror]\nregistry = \"sparse+https://mirror.example/index/\"\n\
                    [source.corp]\nregistry = \"https://git.corp.example/index\"\nreplace-with = \"corp-vendor\"\n\
                    [source.corp-vendor]\ndirectory = \"/srv/corp-vendor\"\n";
        let r = resolve(&[file("/w/.cargo/config.toml", text)]).expect("valid");
        // crates.io goes to another registry: not followed.
        assert!(r.for_registry(&Registry::CratesIo).is_none());
        let corp = r
            .directory_for("registry+https://git.corp.example/index")
            .expect("corp replaced");
        assert_eq!(corp.path, PathBuf::from("/srv/corp-vendor"));
        // The mirror itself is not replaced.
        assert!(
            r.directory_for("sparse+https://mirror.example/index")
                .is_none()
        );
    }

    fn error(text: &str) -> String {
        format!(
            "{:#}",
            resolve(&[file("/w/.cargo/config.toml", text)]).expect_err("malformed")
        )
    }

    #[test]
    fn malformed_files_name_file_and_line() {
        let e = error("[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \n");
        assert!(e.starts_with("/w/.cargo/config.toml:4:"), "{e}");
        let e = error("[source.crates-io]\nreplace-with = 3\n");
        assert!(e.starts_with("/w/.cargo/config.toml:2:"), "{e}");
        let e = error("[source.crates-io]\n\nreplace-with = \"nowhere\"\n");
        assert!(e.starts_with("/w/.cargo/config.toml:3:"), "{e}");
        assert!(e.contains("no `[source.nowhere]`"), "{e}");
        let e = error(
            "[source.crates-io]\nreplace-with = \"a\"\n[source.a]\nreplace-with = \"b\"\n[source.b]\nreplace-with = \"a\"\n",
        );
        assert!(e.starts_with("/w/.cargo/config.toml:6:"), "{e}");
        assert!(e.contains("crates-io -> a -> b -> a"), "{e}");
        let e = error("[source.v]\ndirectory = \"x\"\nregistry = \"https://r.example\"\n");
        assert!(e.contains("more than one location"), "{e}");
        let e = error("[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"\"\n");
        assert!(e.starts_with("/w/.cargo/config.toml:4:"), "{e}");
    }

    #[test]
    fn gathering_prefers_config_then_falls_back_to_cargo_home() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = normalize(tmp.path());
        let ws = root.join("repo/app");
        fs::create_dir_all(ws.join(".cargo")).expect("mkdir");
        fs::create_dir_all(root.join("repo/.cargo")).expect("mkdir");
        fs::create_dir_all(root.join("home/.cargo")).expect("mkdir");
        fs::write(
            ws.join(".cargo/config"),
            "[source.crates-io]\nreplace-with = \"v\"\n",
        )
        .expect("write");
        // Ignored: `config` wins in the same folder.
        fs::write(ws.join(".cargo/config.toml"), "this is not toml [").expect("write");
        fs::write(
            root.join("repo/.cargo/config.toml"),
            "[source.v]\ndirectory = \"vendor\"\n",
        )
        .expect("write");
        fs::write(
            root.join("home/.cargo/config.toml"),
            "[source.v]\ndirectory = \"from-home\"\n",
        )
        .expect("write");
        let r = Replacements::load(&ws, Some(&root.join("home/.cargo"))).expect("valid");
        let dir = r.for_registry(&Registry::CratesIo).expect("replaced");
        assert_eq!(dir.path, root.join("repo/vendor"));

        // Only in CARGO_HOME: relative to CARGO_HOME's parent.
        fs::remove_file(root.join("repo/.cargo/config.toml")).expect("rm");
        let r = Replacements::load(&ws, Some(&root.join("home/.cargo"))).expect("valid");
        let dir = r.for_registry(&Registry::CratesIo).expect("replaced");
        assert_eq!(dir.path, root.join("home/from-home"));
    }

    #[test]
    fn relative_paths_inside_a_root() {
        assert_eq!(
            repo_relative(Path::new("/r"), Path::new("/r/vendor/x")),
            Some("vendor/x".to_string())
        );
        assert_eq!(repo_relative(Path::new("/r"), Path::new("/r")), None);
        assert_eq!(repo_relative(Path::new("/r"), Path::new("/other")), None);
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
