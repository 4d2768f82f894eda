//! Reading crates from a directory source (the `cargo vendor` layout): one
//! folder per package, named `name` or `name-version` (the name is only a
//! hint: the folder's `Cargo.toml` decides), each with a
//! `.cargo-checksum.json` of the form
//! `{"files": {"src/lib.rs": "<sha256>", ...}, "package": "<sha256 of the .crate>"}`.
//!
//! A folder is used only when `package` is the checksum Cargo.lock names and
//! every listed file hashes to its listed sha256, and when none of its
//! symbolic links leads outside it. Folders in the working tree are read in
//! place and never written to. A vendor folder inside the repository usually
//! holds only the head revision's versions (the base revision's folder held
//! the old ones), so a version missing there is looked for, as
//! `<dir>/<name>-<version>` or `<dir>/<name>`, in the tree of the revision
//! being read; that one folder is exported to `<cache>/vendored/<key>/`,
//! where the key is a sha256 of the folder's file paths and git blob ids at
//! that revision (so a copy is shared only by identical folders), and
//! verified like a folder on disk on every use.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::config::{DirectorySource, InRepo};
use super::{Fetcher, Mismatched, Subject, lock, normalize_checksum};
use crate::revision::{Repo, Rev};

/// The file every vendored package folder carries.
const CHECKSUM_FILE: &str = ".cargo-checksum.json";
/// A `.cargo-checksum.json` or `Cargo.toml` larger than this is not one.
const SMALL_FILE_LIMIT: u64 = 16 * 1024 * 1024;
/// How many unlisted files a note names before it only counts.
const UNLISTED_SHOWN: usize = 3;

/// One package folder of a directory source, as its `Cargo.toml` names it.
#[derive(Debug)]
pub(super) struct Package {
    name: String,
    version: semver::Version,
    folder: PathBuf,
}

/// What a directory source had to say about one crate.
pub(super) enum Lookup {
    /// The verified package folder.
    Found(PathBuf),
    /// Why the version is not there, as a sentence fragment.
    Missing(String),
}

/// `.cargo-checksum.json`.
#[derive(Deserialize)]
struct CargoChecksums {
    files: BTreeMap<String, String>,
    /// `null` for sources without a checksum (git); registry packages have one.
    package: Option<String>,
}

/// How a package folder is named in messages: `{prefix}/{file}{suffix}`.
struct Shown {
    prefix: String,
    suffix: String,
}

impl Shown {
    fn file(&self, rel: &str) -> String {
        format!("{}/{rel}{}", self.prefix, self.suffix)
    }
}

impl Fetcher {
    /// The verified folder of `who` in `dir` (the working tree first, then
    /// the tree of `rev` when `dir` is inside the repository), or why there
    /// is none. Tampering (a checksum that does not match) is an error.
    pub(super) fn vendored_tree(
        &self,
        dir: &DirectorySource,
        rev: Option<&Rev>,
        locked: Option<&str>,
        who: &Subject<'_>,
    ) -> Result<Lookup, super::FetchError> {
        let version = semver::Version::parse(&who.version)
            .map_err(|e| who.other(format!("`{}` is not a version: {e}", who.version)))?;
        let packages = self.vendor_packages(&dir.path);
        if let Some(p) = packages
            .iter()
            .flat_map(|p| p.iter())
            .find(|p| p.name == who.name && p.version == version)
        {
            let shown = Shown {
                prefix: p.folder.display().to_string(),
                suffix: String::new(),
            };
            let json = read_small(&p.folder.join(CHECKSUM_FILE))
                .map_err(|e| who.other(format!("cannot read {}: {e}", shown.file(CHECKSUM_FILE))))?
                .ok_or_else(|| {
                    who.other(format!(
                        "{} has no {CHECKSUM_FILE}, so its files cannot be verified",
                        shown.prefix
                    ))
                })?;
            let sums = parse_checksums(&json, &shown, who)?;
            check_package(&sums, locked, &shown, who)?;
            self.verify_folder(&p.folder, &sums, &shown, who)?;
            return Ok(Lookup::Found(p.folder.clone()));
        }

        let mut tried = String::new();
        if let (Some(in_repo), Some(rev)) = (&dir.in_repo, rev)
            && *rev != Rev::WorkTree
        {
            if let Some(tree) = self.vendored_from_revision(in_repo, rev, &version, locked, who)? {
                return Ok(Lookup::Found(tree));
            }
            tried = format!(
                ", nor at {rev} (as {rel}/{name}-{version} or {rel}/{name})",
                rel = in_repo.rel,
                name = who.name
            );
        }
        let there = match &packages {
            None => "the directory does not exist".to_string(),
            Some(all) => {
                let versions: BTreeSet<&semver::Version> = all
                    .iter()
                    .filter(|p| p.name == who.name)
                    .map(|p| &p.version)
                    .collect();
                if versions.is_empty() {
                    "versions there: none".to_string()
                } else {
                    let list: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
                    format!("versions there: {}", list.join(", "))
                }
            }
        };
        Ok(Lookup::Missing(format!(
            "not in the vendored directory {} ({there}){tried}; `[source.{}]` in {} replaces {} with it",
            dir.path.display(),
            dir.name,
            dir.defined_in.display(),
            who.registry
        )))
    }

    /// The packages of a directory source on disk, read once per fetcher;
    /// `None` when the directory cannot be listed. Folders that are symbolic
    /// links or lack a readable `Cargo.toml` with a name and version are left
    /// out.
    fn vendor_packages(&self, dir: &Path) -> Option<Arc<Vec<Package>>> {
        if let Some(known) = lock(&self.vendor_dirs).get(dir) {
            return Some(Arc::clone(known));
        }
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir).ok()?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        let packages: Vec<Package> = entries
            .into_iter()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let folder = e.path();
                let manifest = read_small(&folder.join("Cargo.toml")).ok()??;
                let (name, version) = identity(&manifest)?;
                Some(Package {
                    name,
                    version,
                    folder,
                })
            })
            .collect();
        let packages = Arc::new(packages);
        lock(&self.vendor_dirs).insert(dir.to_path_buf(), Arc::clone(&packages));
        Some(packages)
    }

    /// The package folder as it is in the tree of `rev`, exported to the
    /// cache and verified; `None` when neither conventional folder name
    /// holds this crate and version there.
    fn vendored_from_revision(
        &self,
        in_repo: &InRepo,
        rev: &Rev,
        version: &semver::Version,
        locked: Option<&str>,
        who: &Subject<'_>,
    ) -> Result<Option<PathBuf>, super::FetchError> {
        let repo = Repo::open(&in_repo.repo).map_err(|e| who.other(format!("{e:#}")))?;
        for folder in [format!("{}-{version}", who.name), who.name.to_string()] {
            let rel = format!("{}/{folder}", in_repo.rel);
            let read = |file: &str| {
                repo.read_file(rev, &format!("{rel}/{file}"))
                    .map_err(|e| who.other(format!("{e:#}")))
            };
            let Some(manifest) = read("Cargo.toml")? else {
                continue;
            };
            let found = identity(&manifest);
            if found.as_ref().map(|(n, v)| (n.as_str(), v)) != Some((who.name, version)) {
                continue;
            }
            let shown = Shown {
                prefix: rel.clone(),
                suffix: format!(" at {rev}"),
            };
            let json = read(CHECKSUM_FILE)?.ok_or_else(|| {
                who.other(format!(
                    "{rel} at {rev} has no {CHECKSUM_FILE}, so its files cannot be verified"
                ))
            })?;
            let sums = parse_checksums(&json, &shown, who)?;
            check_package(&sums, locked, &shown, who)?;

            // Keyed by the folder's contents at this revision, so a copy
            // exported from another revision (or repository) is reused only
            // when every file is the same.
            let key = repo
                .folder_id(rev, &rel)
                .map_err(|e| who.other(format!("{e:#}")))?;
            let root = self.settings.cache_dir.join("vendored");
            let tree = root.join(&key);
            let marker = root.join(format!("{key}.ok"));
            let marker_text = format!("{} {}\n", who.name, who.version);
            let slot = Arc::clone(
                lock(&self.busy)
                    .entry(format!("vendored/{key}"))
                    .or_default(),
            );
            let _installing = lock(&slot);
            let export = |staging: &Path| {
                repo.export(rev, &rel, staging)
                    .map_err(|e| who.other(format!("cannot export {rel} at {rev}: {e:#}")))
            };
            if self.tree_is_complete(&tree, &marker, &marker_text, who) {
                match self.verify_folder(&tree, &sums, &shown, who) {
                    Ok(()) => return Ok(Some(tree)),
                    Err(e) => {
                        // The copy in the cache was changed after it was
                        // written; the revision's tree is the truth.
                        self.note(format!(
                            "{} {}: bumpguard's copy at {} does not verify ({e}); exported it again",
                            who.name,
                            who.version,
                            tree.display()
                        ));
                        let _ = fs::remove_file(&marker);
                    }
                }
            }
            self.install(&root, &tree, &marker, &marker_text, who, export)?;
            self.verify_folder(&tree, &sums, &shown, who)?;
            return Ok(Some(tree));
        }
        Ok(None)
    }

    /// Checks a package folder against its `.cargo-checksum.json`: no
    /// symbolic link may lead outside the folder, and every listed file must
    /// exist and hash to its listed sha256. Files that are not listed are
    /// noted, not refused (Cargo ignores them too).
    fn verify_folder(
        &self,
        folder: &Path,
        sums: &CargoChecksums,
        shown: &Shown,
        who: &Subject<'_>,
    ) -> Result<(), super::FetchError> {
        let present = self.walk_folder(folder, shown, who)?;
        let unlisted: Vec<&String> = present
            .iter()
            .filter(|rel| *rel != CHECKSUM_FILE && !sums.files.contains_key(*rel))
            .collect();
        if !unlisted.is_empty() {
            let mut names: Vec<String> = unlisted
                .iter()
                .take(UNLISTED_SHOWN)
                .map(|r| shown.file(r))
                .collect();
            if unlisted.len() > UNLISTED_SHOWN {
                names.push(format!("and {} more", unlisted.len() - UNLISTED_SHOWN));
            }
            self.note(format!(
                "{} {}: not listed in its {CHECKSUM_FILE}, so not verified: {}",
                who.name,
                who.version,
                names.join(", ")
            ));
        }

        if sums.files.len() as u64 > self.limits.max_entries {
            return Err(who.other(format!(
                "{} lists more than {} files; refusing it",
                shown.file(CHECKSUM_FILE),
                self.limits.max_entries
            )));
        }
        let mut total: u64 = 0;
        for (rel, listed) in &sums.files {
            let path = listed_path(folder, rel).ok_or_else(|| {
                who.other(format!(
                    "{} lists `{rel}`, which is not a path inside the package folder",
                    shown.file(CHECKSUM_FILE)
                ))
            })?;
            let expected = normalize_checksum(listed).ok_or_else(|| {
                who.other(format!(
                    "{} lists `{listed}` for {rel}, which is not a sha256",
                    shown.file(CHECKSUM_FILE)
                ))
            })?;
            let (actual, size) = match hash_file(&path, self.limits.max_file_bytes) {
                Ok(Some(found)) => found,
                Ok(None) => {
                    return Err(who.other(format!(
                        "{} is listed in its {CHECKSUM_FILE} but missing",
                        shown.file(rel)
                    )));
                }
                Err(e) => return Err(who.other(format!("cannot read {}: {e}", shown.file(rel)))),
            };
            total = total.saturating_add(size);
            if total > self.limits.max_total_bytes {
                return Err(who.other(format!(
                    "{} holds more than {} bytes; refusing it",
                    shown.prefix, self.limits.max_total_bytes
                )));
            }
            if actual != expected {
                return Err(who.mismatch_of(
                    Mismatched::VendoredFile,
                    &expected,
                    actual,
                    shown.file(rel),
                ));
            }
        }
        Ok(())
    }

    /// The files and links below `folder` (relative, `/`-separated), refusing
    /// symbolic links that resolve outside it and folders too large to walk.
    fn walk_folder(
        &self,
        folder: &Path,
        shown: &Shown,
        who: &Subject<'_>,
    ) -> Result<Vec<String>, super::FetchError> {
        let meta = fs::symlink_metadata(folder)
            .map_err(|e| who.other(format!("cannot read {}: {e}", shown.prefix)))?;
        if !meta.is_dir() {
            return Err(who.other(format!(
                "{}{} is not a folder (symbolic links to package folders are not followed)",
                shown.prefix, shown.suffix
            )));
        }
        let real_root = fs::canonicalize(folder)
            .map_err(|e| who.other(format!("cannot read {}: {e}", shown.prefix)))?;
        let mut files = Vec::new();
        let mut seen: u64 = 0;
        let mut stack = vec![(folder.to_path_buf(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let entries = fs::read_dir(&dir)
                .map_err(|e| who.other(format!("cannot list {}: {e}", shown.file(&rel))))?;
            for entry in entries {
                let entry = entry
                    .map_err(|e| who.other(format!("cannot list {}: {e}", shown.file(&rel))))?;
                seen += 1;
                if seen > self.limits.max_entries {
                    return Err(who.other(format!(
                        "{} has more than {} entries; refusing it",
                        shown.prefix, self.limits.max_entries
                    )));
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let kind = entry
                    .file_type()
                    .map_err(|e| who.other(format!("cannot read {}: {e}", shown.file(&child))))?;
                if kind.is_symlink() {
                    let target = fs::canonicalize(entry.path()).map_err(|e| {
                        who.other(format!(
                            "refusing {}: a symbolic link that cannot be resolved ({e})",
                            shown.file(&child)
                        ))
                    })?;
                    if !target.starts_with(&real_root) {
                        return Err(who.other(format!(
                            "refusing {}: a symbolic link to {}, outside the package folder",
                            shown.file(&child),
                            target.display()
                        )));
                    }
                    // A link inside the folder reads a file that is checked
                    // on its own; the link is listed like a file.
                    files.push(child);
                } else if kind.is_dir() {
                    stack.push((entry.path(), child));
                } else {
                    files.push(child);
                }
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Name and version from a package's `Cargo.toml`.
fn identity(manifest: &[u8]) -> Option<(String, semver::Version)> {
    let table: toml::Table = toml::from_str(std::str::from_utf8(manifest).ok()?).ok()?;
    let package = table.get("package")?.as_table()?;
    let name = package.get("name")?.as_str()?.to_string();
    let version = semver::Version::parse(package.get("version")?.as_str()?).ok()?;
    Some((name, version))
}

fn parse_checksums(
    json: &[u8],
    shown: &Shown,
    who: &Subject<'_>,
) -> Result<CargoChecksums, super::FetchError> {
    serde_json::from_slice(json).map_err(|e| {
        who.other(format!(
            "{} is not a valid {CHECKSUM_FILE}: {e}",
            shown.file(CHECKSUM_FILE)
        ))
    })
}

/// The package checksum must be Cargo.lock's (when Cargo.lock has one: it
/// always does for registry packages written by a current Cargo).
fn check_package(
    sums: &CargoChecksums,
    locked: Option<&str>,
    shown: &Shown,
    who: &Subject<'_>,
) -> Result<(), super::FetchError> {
    let Some(locked) = locked else {
        return Ok(());
    };
    let listed = sums.package.as_deref().map(str::trim);
    if listed.and_then(normalize_checksum).as_deref() == Some(locked) {
        return Ok(());
    }
    Err(who.mismatch_of(
        Mismatched::VendoredPackage,
        locked,
        listed.unwrap_or("no checksum").to_string(),
        shown.file(CHECKSUM_FILE),
    ))
}

/// `folder/rel` for a path listed in `.cargo-checksum.json`, when it is a
/// plain relative path (no `..`, no root, no drive, no backslash).
fn listed_path(folder: &Path, rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.contains(['\\', '\0']) {
        return None;
    }
    let mut out = folder.to_path_buf();
    for part in rel.split('/') {
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => out.push(part),
            _ => return None,
        }
    }
    Some(out)
}

/// sha256 and size of a file, streamed; `None` when it does not exist.
fn hash_file(path: &Path, limit: u64) -> io::Result<Option<(String, u64)>> {
    use sha2::Digest;
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            return Err(io::Error::other(format!(
                "larger than the {limit}-byte limit for one file"
            )));
        }
        hasher.update(&buf[..n]);
    }
    Ok(Some((hex::encode(hasher.finalize()), size)))
}

/// A small file's bytes; `None` when it does not exist.
fn read_small(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(SMALL_FILE_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > SMALL_FILE_LIMIT {
        return Err(io::Error::other(format!(
            "larger than {SMALL_FILE_LIMIT} bytes"
        )));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_paths_stay_inside() {
        let f = Path::new("/v/lib");
        assert_eq!(
            listed_path(f, "src/lib.rs"),
            Some(PathBuf::from("/v/lib/src/lib.rs"))
        );
        assert_eq!(listed_path(f, "../x"), None);
        assert_eq!(listed_path(f, "src/../../x"), None);
        assert_eq!(listed_path(f, "/etc/passwd"), None);
        assert_eq!(listed_path(f, "a//b"), None);
        assert_eq!(listed_path(f, "./a"), None);
        assert_eq!(listed_path(f, "a\\..\\b"), None);
        assert_eq!(listed_path(f, ""), None);
    }

    #[test]
    fn identity_comes_from_the_manifest() {
        let m = b"[package]\nname = \"lib\"\nversion = \"1.1.0\"\n";
        assert_eq!(
            identity(m),
            Some(("lib".to_string(), semver::Version::new(1, 1, 0)))
        );
        assert_eq!(identity(b"[package]\nname = \"lib\"\n"), None);
        assert_eq!(identity(b"not toml ["), None);
    }
}
