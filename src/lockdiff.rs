//! Lockfile diff: `Cargo.lock` at two revisions -> the list of bumps.
//!
//! Two halves:
//!
//! - [`parse_lockfile`] reads any lockfile format cargo has written (v1 to v4)
//!   into one neutral shape, [`Lockfile`]: packages plus dependency edges.
//!   The `toml` crate is used directly (rather than `cargo-lock`) because its
//!   spans let every error name the file *and* the line, which is what a user
//!   needs when a hand-merged lockfile is broken.
//! - [`diff`] pairs the packages of two lockfiles into [`Bump`]s and places
//!   each in the dependency graph (is it direct? through which chain is it
//!   pulled in?), because reviewers judge a bump by how close it sits to their
//!   code.

use crate::versions::{self, BumpKind, Level};
use crate::workspace::WorkspaceInfo;
use semver::Version;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// `registry+URL` (git index) or `sparse+URL` (sparse index).
    Registry { url: String, sparse: bool },
    /// `git+URL?query#commit`. `reference` is the query (`branch=x`, `tag=x`,
    /// `rev=x`) *decoded*: format v4 percent-encodes it and v3 does not, and the
    /// same dependency must compare equal across a v3 -> v4 lockfile upgrade.
    Git {
        url: String,
        reference: Option<String>,
        commit: String,
    },
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
    /// Git references are written unencoded (the v1-v3 spelling).
    pub fn lock_string(&self) -> Option<String> {
        match self {
            Source::Registry { url, sparse: false } => Some(format!("registry+{url}")),
            Source::Registry { url, sparse: true } => Some(format!("sparse+{url}")),
            Source::Git {
                url,
                reference,
                commit,
            } => Some(match reference {
                Some(r) => format!("git+{url}?{r}#{commit}"),
                None => format!("git+{url}#{commit}"),
            }),
            Source::Path => None,
        }
    }

    /// The source without what moves on an update (the git commit): two
    /// packages at one location are "the same dependency, re-pinned".
    fn location(&self) -> (u8, &str) {
        match self {
            Source::Registry { url, .. } => (0, url.trim_end_matches('/')),
            Source::Git { url, .. } => (1, url.as_str()),
            Source::Path => (2, ""),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.lock_string() {
            Some(s) => f.write_str(&s),
            None => f.write_str("path"),
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
    /// For `Updated`: which number moved. For `SourceChanged`: `Unchanged`
    /// (the number did not move). `None` for `Added`/`Removed`.
    pub kind: Option<BumpKind>,
    /// For `Updated`: the largest API change the new number allows (Cargo's SemVer rules).
    /// `None` for downgrades and source changes: SemVer promises nothing there.
    pub allows: Option<Level>,
    /// A workspace member depends on it directly.
    pub direct: bool,
    /// Shortest path from a workspace member to this package, member first, this package last.
    /// Empty when no member reaches it (e.g. an orphan entry).
    pub chain: Vec<String>,
    /// The lockfile (repository-relative path) this bump was found in.
    pub lockfile: String,
}

/// A parsed `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockfile {
    /// The path used in messages (repository-relative in practice).
    pub path: String,
    /// Format version, 1 to 4. Files without a `version =` line are v1 or v2;
    /// v2 is recognised by inline checksums or abbreviated dependency entries.
    pub version: u32,
    /// Packages in file order (cargo writes them sorted by name, version, source).
    pub packages: Vec<LockedPackage>,
    /// Dependency edges: `deps[i]` holds the indices (into `packages`) of the
    /// packages that `packages[i]` depends on, without duplicates.
    pub deps: Vec<Vec<usize>>,
}

impl Lockfile {
    /// A lockfile with no packages: the "other side" when a `Cargo.lock` was
    /// added or deleted, so that everything shows up as added or removed.
    pub fn empty(path: &str) -> Lockfile {
        Lockfile {
            path: path.to_string(),
            version: 4,
            packages: Vec::new(),
            deps: Vec::new(),
        }
    }

    /// The index of the package `name version`, if locked (first match
    /// when several sources lock the same version).
    pub fn find(&self, name: &str, version: &Version) -> Option<usize> {
        self.packages
            .iter()
            .position(|p| p.name == name && &p.version == version)
    }

    /// The packages `packages[index]` depends on (empty for an out-of-range index).
    pub fn dependencies_of(&self, index: usize) -> impl Iterator<Item = &LockedPackage> + '_ {
        self.deps
            .get(index)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.packages.get(i))
    }
}

/// Why a lockfile could not be read. Displayed as `path:line:column: message`
/// (or `path: message` when no position is known), like a compiler diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LockfileError {
    pub path: String,
    /// 1-based line and column (in characters).
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for LockfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// One `Cargo.lock` and the per-file list of bumps; `old_version`/`new_version`
/// are the format versions, `None` when the file does not exist on that side.
#[derive(Debug, Clone, Serialize)]
pub struct LockfileDiff {
    pub path: String,
    pub old_version: Option<u32>,
    pub new_version: Option<u32>,
    pub bumps: Vec<Bump>,
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// The file as written; everything that can carry a position does.
#[derive(Deserialize)]
struct RawLock {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
    /// Lockfiles from before 2017 put the root package in its own table.
    root: Option<Spanned<RawPackage>>,
    /// v1 keeps checksums here: `"checksum NAME VERSION (SOURCE)" = "hex"`.
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: Spanned<String>,
    version: Spanned<String>,
    source: Option<Spanned<String>>,
    checksum: Option<Spanned<String>>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
}

/// A dependency entry: `"name"`, `"name version"` or `"name version (source)"`.
#[derive(Debug, PartialEq, Eq)]
struct DepRef<'a> {
    name: &'a str,
    version: Option<&'a str>,
    source: Option<&'a str>,
}

fn parse_dep_ref(s: &str) -> Result<DepRef<'_>, String> {
    let s = s.trim();
    let (head, source) = match s.strip_suffix(')') {
        Some(rest) => match rest.rfind(" (") {
            Some(i) => (rest[..i].trim_end(), Some(&rest[i + 2..])),
            None => {
                return Err(format!(
                    "malformed dependency entry `{s}`: unbalanced parenthesis"
                ));
            }
        },
        None => (s, None),
    };
    let mut words = head.split_whitespace();
    let name = words
        .next()
        .ok_or_else(|| format!("malformed dependency entry `{s}`: empty"))?;
    let version = words.next();
    if words.next().is_some() || (source.is_some() && version.is_none()) {
        return Err(format!(
            "malformed dependency entry `{s}`: expected `name`, `name version` or `name version (source)`"
        ));
    }
    Ok(DepRef {
        name,
        version,
        source,
    })
}

/// Reads a `source = "..."` string. `percent_encoded` is true for format v4,
/// which encodes the git query; decoding it here keeps sources comparable
/// across formats.
fn parse_source(raw: &str, percent_encoded: bool) -> Result<Source, String> {
    if let Some(url) = raw.strip_prefix("registry+") {
        return non_empty(url, raw).map(|url| Source::Registry { url, sparse: false });
    }
    if let Some(url) = raw.strip_prefix("sparse+") {
        return non_empty(url, raw).map(|url| Source::Registry { url, sparse: true });
    }
    if let Some(rest) = raw.strip_prefix("git+") {
        let (before, commit) = rest.rsplit_once('#').ok_or_else(|| {
            format!("git source `{raw}` has no `#commit`: the lockfile does not pin it")
        })?;
        if commit.is_empty() {
            return Err(format!("git source `{raw}` has an empty commit"));
        }
        let (url, reference) = match before.split_once('?') {
            Some((url, query)) => {
                let query = if percent_encoded {
                    percent_decode(query)
                } else {
                    query.to_string()
                };
                (url, Some(query))
            }
            None => (before, None),
        };
        let url = non_empty(url, raw)?;
        return Ok(Source::Git {
            url,
            reference,
            commit: commit.to_string(),
        });
    }
    Err(format!(
        "unknown source kind `{raw}` (expected `registry+`, `sparse+` or `git+`)"
    ))
}

fn non_empty(url: &str, raw: &str) -> Result<String, String> {
    if url.is_empty() {
        Err(format!("source `{raw}` has no URL"))
    } else {
        Ok(url.to_string())
    }
}

/// `application/x-www-form-urlencoded` decoding, which is what cargo's v4
/// encoding (`form_urlencoded::byte_serialize`) produces. Malformed escapes
/// are kept literally rather than rejected: the value only serves comparison.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses a `Cargo.lock` (any format, v1 to v4). `display_path` names the file
/// in errors. Never panics; every error names the file and, when the problem
/// sits on a line, that line.
pub fn parse_lockfile(text: &str, display_path: &str) -> anyhow::Result<Lockfile> {
    Ok(Parser {
        text,
        path: display_path,
    }
    .parse()?)
}

struct Parser<'a> {
    text: &'a str,
    path: &'a str,
}

impl Parser<'_> {
    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> LockfileError {
        LockfileError {
            path: self.path.to_string(),
            position: span.map(|s| line_col(self.text, s.start)),
            message: message.into(),
        }
    }

    fn parse(&self) -> Result<Lockfile, LockfileError> {
        let raw: RawLock = toml::from_str(self.text)
            .map_err(|e| self.err(e.span(), format!("invalid lockfile: {}", e.message())))?;

        let mut entries: Vec<&Spanned<RawPackage>> = Vec::new();
        entries.extend(raw.root.as_ref());
        entries.extend(raw.package.iter());

        let declared = match &raw.version {
            Some(v) => match *v.get_ref() {
                n @ 1..=4 => Some(n as u32),
                n => {
                    return Err(self.err(
                        Some(v.span()),
                        format!("unsupported lockfile format `version = {n}` (bumpguard understands 1 to 4; a newer cargo wrote this?)"),
                    ));
                }
            },
            None => None,
        };
        let percent_encoded = declared.is_some_and(|v| v >= 4);

        // Packages first, so that dependency entries can be resolved against them.
        let mut packages = Vec::with_capacity(entries.len());
        let mut raw_sources: Vec<Option<&str>> = Vec::with_capacity(entries.len());
        let mut seen: HashMap<(&str, Version, Option<&str>), usize> = HashMap::new();
        for entry in &entries {
            let p = entry.get_ref();
            let name = p.name.get_ref();
            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                return Err(self.err(
                    Some(p.name.span()),
                    format!("invalid package name `{name}`"),
                ));
            }
            let version = Version::parse(p.version.get_ref()).map_err(|e| {
                self.err(
                    Some(p.version.span()),
                    format!(
                        "package `{name}`: invalid version `{}`: {e}",
                        p.version.get_ref()
                    ),
                )
            })?;
            let source = match &p.source {
                Some(s) => parse_source(s.get_ref(), percent_encoded)
                    .map_err(|m| self.err(Some(s.span()), format!("package `{name}`: {m}")))?,
                None => Source::Path,
            };
            let raw_source = p.source.as_ref().map(|s| s.get_ref().as_str());
            if let Some(first) =
                seen.insert((name.as_str(), version.clone(), raw_source), packages.len())
            {
                let (line, _) = line_col(self.text, entries[first].span().start);
                return Err(self.err(
                    Some(entry.span()),
                    format!("package `{name} {version}` is listed twice (first at line {line})"),
                ));
            }
            let checksum = p
                .checksum
                .as_ref()
                .map(|c| c.get_ref().clone())
                .filter(|c| c != "<none>");
            packages.push(LockedPackage {
                name: name.clone(),
                version,
                source,
                checksum,
            });
            raw_sources.push(raw_source);
        }

        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_name
                .entry(e.get_ref().name.get_ref().as_str())
                .or_default()
                .push(i);
        }

        let mut deps = Vec::with_capacity(entries.len());
        let mut abbreviated = false;
        for (i, entry) in entries.iter().enumerate() {
            let mut edges = Vec::new();
            for d in &entry.get_ref().dependencies {
                let target =
                    self.resolve(d, &packages, &raw_sources, &by_name, &mut abbreviated)?;
                if target != i && !edges.contains(&target) {
                    edges.push(target);
                }
            }
            deps.push(edges);
        }

        // v1 checksums: `"checksum NAME VERSION (SOURCE)" = "hex"`; `<none>` means none.
        let mut metadata_checksums = false;
        if let Some(meta) = &raw.metadata {
            for (key, value) in meta {
                let Some(id) = key.strip_prefix("checksum ") else {
                    continue;
                };
                metadata_checksums = true;
                let (Ok(r), Some(sum)) = (parse_dep_ref(id), value.as_str()) else {
                    continue;
                };
                let Some(Ok(version)) = r.version.map(Version::parse) else {
                    continue;
                };
                let hit = by_name
                    .get(r.name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .find(|&j| {
                        packages[j].version == version && source_matches(raw_sources[j], r.source)
                    });
                if let Some(j) = hit
                    && sum != "<none>"
                    && packages[j].checksum.is_none()
                {
                    packages[j].checksum = Some(sum.to_string());
                }
            }
        }

        let version = declared.unwrap_or_else(|| {
            let inline_checksums = entries.iter().any(|e| e.get_ref().checksum.is_some());
            if !metadata_checksums && (inline_checksums || abbreviated) {
                2
            } else {
                1
            }
        });
        Ok(Lockfile {
            path: self.path.to_string(),
            version,
            packages,
            deps,
        })
    }

    /// Finds the package a dependency entry names. Abbreviated entries
    /// (`"name"`, or `"name version"` for a package with a source) are only
    /// written when unambiguous, so an ambiguous one is an error, as in cargo.
    fn resolve(
        &self,
        d: &Spanned<String>,
        packages: &[LockedPackage],
        raw_sources: &[Option<&str>],
        by_name: &HashMap<&str, Vec<usize>>,
        abbreviated: &mut bool,
    ) -> Result<usize, LockfileError> {
        let r = parse_dep_ref(d.get_ref()).map_err(|m| self.err(Some(d.span()), m))?;
        let version = match r.version {
            Some(v) => Some(Version::parse(v).map_err(|e| {
                self.err(
                    Some(d.span()),
                    format!("dependency `{}`: invalid version `{v}`: {e}", d.get_ref()),
                )
            })?),
            None => None,
        };
        let candidates: Vec<usize> = by_name
            .get(r.name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&j| version.as_ref().is_none_or(|v| &packages[j].version == v))
            .filter(|&j| r.source.is_none() || source_matches(raw_sources[j], r.source))
            .collect();
        match candidates.as_slice() {
            [j] => {
                if r.source.is_none() && raw_sources[*j].is_some() {
                    *abbreviated = true;
                }
                Ok(*j)
            }
            [] => Err(self.err(
                Some(d.span()),
                format!(
                    "dependency `{}` names no package in this lockfile",
                    d.get_ref()
                ),
            )),
            _ => Err(self.err(
                Some(d.span()),
                format!(
                    "dependency `{}` is ambiguous: several packages match it",
                    d.get_ref()
                ),
            )),
        }
    }
}

/// Compares a dependency entry's source with a package's. Exact match, or
/// equal once the `#commit` is dropped (older cargos wrote git dependency
/// entries with and without it).
fn source_matches(package: Option<&str>, wanted: Option<&str>) -> bool {
    match (package, wanted) {
        (Some(p), Some(w)) => p == w || strip_fragment(p) == strip_fragment(w),
        (None, None) => true,
        _ => false,
    }
}

fn strip_fragment(s: &str) -> &str {
    s.split_once('#').map_or(s, |(a, _)| a)
}

// ---------------------------------------------------------------------------
// Diffing
// ---------------------------------------------------------------------------

/// Diffs one lockfile at two revisions.
///
/// Per package name: entries identical on both sides (same version and
/// source) are dropped; the rest are paired, in this order of preference:
///
/// 1. same version, different source -> `SourceChanged` (a git dependency
///    re-pinned to another commit, a registry switch, path <-> registry);
/// 2. old and new in the same compatible series (`^old` accepts new), closest
///    versions first -> `Updated` (so `1.2 -> 1.3` and `0.4 -> 0.4.1` pair up
///    even when a `2.0` was added alongside);
/// 3. remaining ones, greatest old with greatest new -> `Updated`;
/// 4. leftovers -> `Added` / `Removed`.
///
/// Graph placement uses the new lockfile, except for removed packages (which
/// only the old one knows). Members are `ws`'s members when given (and found
/// among the lockfile's path packages), else all path packages. Bumps are
/// sorted by name, then version.
pub fn diff(old: &Lockfile, new: &Lockfile, ws: Option<&WorkspaceInfo>) -> Vec<Bump> {
    let old_graph = GraphInfo::new(old, ws);
    let new_graph = GraphInfo::new(new, ws);

    let mut names: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, p) in old.packages.iter().enumerate() {
        names.entry(p.name.as_str()).or_default().0.push(i);
    }
    for (i, p) in new.packages.iter().enumerate() {
        names.entry(p.name.as_str()).or_default().1.push(i);
    }

    let mut bumps = Vec::new();
    for (olds, news) in names.into_values() {
        let (mut olds, mut news) = (olds, news);
        // Unchanged entries.
        olds.retain(|&o| {
            let po = &old.packages[o];
            match news.iter().position(|&n| {
                new.packages[n].version == po.version && new.packages[n].source == po.source
            }) {
                Some(k) => {
                    news.remove(k);
                    false
                }
                None => true,
            }
        });

        let mut pairs: Vec<(usize, usize)> = Vec::new();
        // 1. Same version, different source; same location first.
        for same_location in [true, false] {
            take_pairs(&mut olds, &mut news, &mut pairs, |o, n| {
                let (po, pn) = (&old.packages[o], &new.packages[n]);
                (po.version == pn.version
                    && (!same_location || po.source.location() == pn.source.location()))
                .then_some((0, 0, 0, 0))
            });
        }
        // 2. Same series, closest first.
        take_pairs(&mut olds, &mut news, &mut pairs, |o, n| {
            let (vo, vn) = (&old.packages[o].version, &new.packages[n].version);
            versions::same_series(vo, vn).then(|| distance(vo, vn))
        });
        // 3. Greatest with greatest.
        olds.sort_by(|&a, &b| old.packages[b].version.cmp(&old.packages[a].version));
        news.sort_by(|&a, &b| new.packages[b].version.cmp(&new.packages[a].version));
        let n = olds.len().min(news.len());
        pairs.extend(olds.drain(..n).zip(news.drain(..n)));

        for (o, n) in pairs {
            let (po, pn) = (&old.packages[o], &new.packages[n]);
            let change = if po.version == pn.version {
                ChangeKind::SourceChanged
            } else {
                ChangeKind::Updated
            };
            let (direct, chain) = new_graph.place(n);
            bumps.push(Bump {
                name: pn.name.clone(),
                change,
                old: Some(po.clone()),
                new: Some(pn.clone()),
                kind: Some(versions::bump_kind(&po.version, &pn.version)),
                allows: versions::allowed_level(&po.version, &pn.version),
                direct,
                chain,
                lockfile: new.path.clone(),
            });
        }
        for o in olds {
            let (direct, chain) = old_graph.place(o);
            bumps.push(Bump {
                name: old.packages[o].name.clone(),
                change: ChangeKind::Removed,
                old: Some(old.packages[o].clone()),
                new: None,
                kind: None,
                allows: None,
                direct,
                chain,
                lockfile: old.path.clone(),
            });
        }
        for n in news {
            let (direct, chain) = new_graph.place(n);
            bumps.push(Bump {
                name: new.packages[n].name.clone(),
                change: ChangeKind::Added,
                old: None,
                new: Some(new.packages[n].clone()),
                kind: None,
                allows: None,
                direct,
                chain,
                lockfile: new.path.clone(),
            });
        }
    }
    let version_of = |b: &Bump| b.new.as_ref().or(b.old.as_ref()).map(|p| p.version.clone());
    bumps.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| version_of(a).cmp(&version_of(b)))
    });
    bumps
}

/// Diffs a lockfile that may be missing on either side (added or deleted
/// `Cargo.lock`): a missing side counts as empty.
pub fn diff_files(
    old: Option<&Lockfile>,
    new: Option<&Lockfile>,
    ws: Option<&WorkspaceInfo>,
) -> LockfileDiff {
    let path = new.or(old).map(|l| l.path.clone()).unwrap_or_default();
    let empty = Lockfile::empty(&path);
    LockfileDiff {
        old_version: old.map(|l| l.version),
        new_version: new.map(|l| l.version),
        bumps: diff(old.unwrap_or(&empty), new.unwrap_or(&empty), ws),
        path,
    }
}

/// Repeatedly takes the best-scoring (lowest key) pair among `olds` x `news`
/// until no admissible pair is left. Greedy is right here: the candidate sets
/// are one crate's versions, a handful at most, and "closest first" is the rule.
fn take_pairs<K: Ord>(
    olds: &mut Vec<usize>,
    news: &mut Vec<usize>,
    pairs: &mut Vec<(usize, usize)>,
    score: impl Fn(usize, usize) -> Option<K>,
) {
    loop {
        let best = olds
            .iter()
            .enumerate()
            .flat_map(|(a, &o)| news.iter().enumerate().map(move |(b, &n)| (a, b, o, n)))
            .filter_map(|(a, b, o, n)| score(o, n).map(|k| (k, a, b)))
            .min_by(|x, y| x.0.cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
        let Some((_, a, b)) = best else { return };
        pairs.push((olds.remove(a), news.remove(b)));
    }
}

/// How far apart two versions are, compared lexicographically: a patch step
/// is always closer than a minor one. Same-major pairs only reach here via
/// `same_series`, so the major difference is mostly zero.
fn distance(a: &Version, b: &Version) -> (u64, u64, u64, bool) {
    (
        a.major.abs_diff(b.major),
        a.minor.abs_diff(b.minor),
        a.patch.abs_diff(b.patch),
        a.pre != b.pre,
    )
}

/// Breadth-first search from the workspace members over one lockfile's edges.
struct GraphInfo<'a> {
    lock: &'a Lockfile,
    members: Vec<usize>,
    /// `parent[i]`: the predecessor of `i` on a shortest path from a member
    /// (`Some(i)` itself for members); `None` when unreachable.
    parent: Vec<Option<usize>>,
}

impl<'a> GraphInfo<'a> {
    fn new(lock: &'a Lockfile, ws: Option<&WorkspaceInfo>) -> GraphInfo<'a> {
        let path_packages = || {
            lock.packages
                .iter()
                .enumerate()
                .filter(|(_, p)| p.source == Source::Path)
        };
        let mut members: Vec<usize> = match ws {
            Some(ws) => path_packages()
                .filter(|(_, p)| ws.is_member(&p.name))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        // Without workspace information, or when it describes another
        // revision's members, path packages are the best guess at members.
        if members.is_empty() {
            members = path_packages().map(|(i, _)| i).collect();
        }
        members.sort_by(|&a, &b| lock.packages[a].name.cmp(&lock.packages[b].name));

        let mut parent = vec![None; lock.packages.len()];
        let mut queue = VecDeque::new();
        for &m in &members {
            parent[m] = Some(m);
            queue.push_back(m);
        }
        while let Some(i) = queue.pop_front() {
            for &j in lock.deps.get(i).into_iter().flatten() {
                if let Some(slot) = parent.get_mut(j)
                    && slot.is_none()
                {
                    *slot = Some(i);
                    queue.push_back(j);
                }
            }
        }
        GraphInfo {
            lock,
            members,
            parent,
        }
    }

    /// `(direct, chain)` for package `i`.
    fn place(&self, i: usize) -> (bool, Vec<String>) {
        let direct = self
            .members
            .iter()
            .any(|&m| m != i && self.lock.deps.get(m).is_some_and(|d| d.contains(&i)));
        let mut chain = Vec::new();
        let mut visited = HashSet::new();
        let mut cur = i;
        while let Some(Some(p)) = self.parent.get(cur) {
            if !visited.insert(cur) {
                break; // cannot happen with BFS parents; guards against a loop anyway
            }
            chain.push(self.lock.packages[cur].name.clone());
            if *p == cur {
                break;
            }
            cur = *p;
        }
        chain.reverse();
        (direct, chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_reference_forms() {
        assert_eq!(
            parse_dep_ref("serde").expect("name"),
            DepRef {
                name: "serde",
                version: None,
                source: None
            }
        );
        assert_eq!(
            parse_dep_ref("serde 1.0.1").expect("nv"),
            DepRef {
                name: "serde",
                version: Some("1.0.1"),
                source: None
            }
        );
        assert_eq!(
            parse_dep_ref("serde 1.0.1 (registry+https://x/y)").expect("full"),
            DepRef {
                name: "serde",
                version: Some("1.0.1"),
                source: Some("registry+https://x/y")
            }
        );
        assert!(parse_dep_ref("").is_err());
        assert!(parse_dep_ref("a b c").is_err());
        assert!(parse_dep_ref("a (src)").is_err());
        assert!(parse_dep_ref("a 1.0.0 src)").is_err());
    }

    #[test]
    fn sources() {
        assert_eq!(
            parse_source("sparse+https://index.crates.io/", false),
            Ok(Source::Registry {
                url: "https://index.crates.io/".into(),
                sparse: true
            })
        );
        assert_eq!(
            parse_source("git+https://h/r?branch=a%2Fb#abc", true),
            Ok(Source::Git {
                url: "https://h/r".into(),
                reference: Some("branch=a/b".into()),
                commit: "abc".into()
            })
        );
        assert_eq!(
            parse_source("git+https://h/r?branch=a%2Fb#abc", false),
            Ok(Source::Git {
                url: "https://h/r".into(),
                reference: Some("branch=a%2Fb".into()),
                commit: "abc".into()
            })
        );
        assert!(parse_source("git+https://h/r", false).is_err());
        assert!(parse_source("git+https://h/r#", false).is_err());
        assert!(parse_source("registry+", false).is_err());
        assert!(parse_source("directory+/x", false).is_err());
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%2"), "%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
        assert_eq!(percent_decode("é%41"), "éA");
    }

    #[test]
    fn line_col_counts_characters_and_clamps() {
        let t = "ab\ncé\nx";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 6), (2, 3));
        assert_eq!(line_col(t, 5), (2, 2)); // inside 'é': backs off to its start
        assert_eq!(line_col(t, 999), (3, 2));
    }
}
