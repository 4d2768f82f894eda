//! Crate sources: a registry package -> an extracted, verified source tree.
//!
//! The other stages only ever read sources through [`Fetcher::crate_tree`],
//! which hands back a directory holding the crate's `Cargo.toml`. Where the
//! archive came from is this module's business; what it guarantees is that
//! the tree was unpacked from an archive whose sha256 is the one the lockfile
//! (or, failing that, the registry index) names, so a diff of two trees is a
//! diff of what Cargo would really build.
//!
//! Lookup order, cheapest first:
//! 0. when Cargo's configuration replaces the crate's registry with a
//!    directory source (`cargo vendor`), that directory: its package folder
//!    read in place, or, for a directory inside the repository that lacks
//!    the version, the folder as it is in the revision being read, exported
//!    to `<cache_dir>/vendored/` (see [`directory`](self::directory));
//! 1. bumpguard's cache of unpacked trees, `<cache_dir>/src/<sha256>/`, used
//!    only when the marker `<cache_dir>/src/<sha256>.ok` (written after a
//!    complete unpack) names the same crate and version;
//! 2. bumpguard's own copy of the archive, `<cache_dir>/archives/`;
//! 3. Cargo's download cache, `<cargo_home>/registry/cache/*/<name>-<version>.crate`;
//! 4. the registry over HTTP (crates.io and sparse registries).
//!
//! Every archive is hashed before use, whichever cache it came from.

mod config;
mod directory;
mod extract;
mod http;
mod index;

pub use config::{DirectorySource, Replacements, Vendored};
pub use extract::ExtractLimits;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use http::{Http, HttpError};
use index::IndexEntry;

/// Where sources come from and where they are kept.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// bumpguard's cache root (`$XDG_CACHE_HOME/bumpguard` or `~/.cache/bumpguard`).
    pub cache_dir: PathBuf,
    /// Cargo's home (`$CARGO_HOME` or `~/.cargo`), searched for `.crate` archives first.
    pub cargo_home: Option<PathBuf>,
    /// Never touch the network.
    pub offline: bool,
    /// Base URL crates.io archives are downloaded from; the archive of
    /// `foo 1.2.3` is `{crates_io_dl}/foo/foo-1.2.3.crate`. A field rather than
    /// a constant so tests (and mirrors) can point it elsewhere.
    pub crates_io_dl: String,
    /// Root of crates.io's sparse index, asked for checksums the lockfile
    /// lacks and for version lists.
    pub crates_io_index: String,
    /// Which engine reads the public APIs of the trees fetched, per crate,
    /// and how the rustdoc engine builds (a setting of the analysis,
    /// carried here because every run takes these settings).
    pub engines: crate::api::engines::EngineSettings,
}

impl SourceSettings {
    /// Where crates.io serves archives from.
    pub const CRATES_IO_DL: &'static str = "https://static.crates.io/crates";
    /// crates.io's sparse index.
    pub const CRATES_IO_INDEX: &'static str = "https://index.crates.io";

    /// Settings with the given cache, no Cargo cache to search, online, and
    /// the real crates.io addresses.
    pub fn new(cache_dir: PathBuf) -> Self {
        SourceSettings {
            cache_dir,
            cargo_home: None,
            offline: false,
            crates_io_dl: Self::CRATES_IO_DL.to_string(),
            crates_io_index: Self::CRATES_IO_INDEX.to_string(),
            engines: Default::default(),
        }
    }

    /// Settings from the environment:
    /// - `cache_dir`: `$XDG_CACHE_HOME/bumpguard`, else `$HOME/.cache/bumpguard`
    ///   (`%USERPROFILE%` on Windows), else a `bumpguard` folder in the
    ///   temporary directory, so that a bare CI container still works;
    /// - `cargo_home`: `$CARGO_HOME`, else `$HOME/.cargo`;
    /// - `offline`: `BUMPGUARD_OFFLINE` set to anything but empty, `0`, `false`, `no`;
    /// - `BUMPGUARD_CRATES_IO_DL` and `BUMPGUARD_CRATES_IO_INDEX` override the
    ///   crates.io addresses (for mirrors and hermetic tests).
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var_os(key))
    }

    /// [`Self::from_env`] over any variable source, so it can be tested
    /// without mutating the process environment.
    fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Self {
        let set = |key: &str| get(key).filter(|v| !v.is_empty());
        let home = set("HOME")
            .or_else(|| set("USERPROFILE"))
            .map(PathBuf::from);
        let cache_dir = set("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.as_ref().map(|h| h.join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("bumpguard");
        let cargo_home = set("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cargo")));
        let offline = set("BUMPGUARD_OFFLINE").is_some_and(|v| {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            !matches!(v.as_str(), "" | "0" | "false" | "no")
        });
        let url = |key: &str, default: &str| {
            set(key)
                .map(|v| v.to_string_lossy().trim_end_matches('/').to_string())
                .unwrap_or_else(|| default.to_string())
        };
        SourceSettings {
            cache_dir,
            cargo_home,
            offline,
            crates_io_dl: url("BUMPGUARD_CRATES_IO_DL", Self::CRATES_IO_DL),
            crates_io_index: url("BUMPGUARD_CRATES_IO_INDEX", Self::CRATES_IO_INDEX),
            engines: Default::default(),
        }
    }
}

/// Why a crate's source could not be had. `ChecksumMismatch` is the one callers
/// must treat as fatal; the others leave the crate "not analysed".
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "{name} {version}: checksum mismatch: {}",
        what.describe(expected, actual, origin)
    )]
    ChecksumMismatch {
        name: String,
        version: String,
        /// The checksum that should have been found.
        expected: String,
        /// The one found.
        actual: String,
        /// Where: the archive's path or URL, the vendored file.
        origin: String,
        /// What was checked.
        what: Mismatched,
    },
    #[error("{name} {version} was not found in the registry {registry}")]
    NotFound {
        name: String,
        version: String,
        registry: String,
    },
    #[error("{name} {version}: network error: {message}")]
    Network {
        name: String,
        version: String,
        message: String,
    },
    #[error("{name} {version}: {message}")]
    Other {
        name: String,
        version: String,
        message: String,
    },
}

/// What a [`FetchError::ChecksumMismatch`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatched {
    /// A `.crate` archive (the `origin`) hashed to another value than
    /// Cargo.lock's.
    Archive,
    /// A vendored package's `.cargo-checksum.json` (the `origin`) names
    /// another package checksum than Cargo.lock's.
    VendoredPackage,
    /// A vendored file (the `origin`) hashed to another value than the one
    /// its package's `.cargo-checksum.json` lists.
    VendoredFile,
}

impl Mismatched {
    fn describe(self, expected: &str, actual: &str, origin: &str) -> String {
        match self {
            Mismatched::Archive => {
                format!("Cargo.lock says {expected}, the archive from {origin} hashes to {actual}")
            }
            Mismatched::VendoredPackage => format!(
                "Cargo.lock says {expected}, but {origin} gives {actual} as the package checksum: the vendored copy is not the package Cargo.lock names"
            ),
            Mismatched::VendoredFile => format!(
                "{origin} hashes to {actual}, but the package's .cargo-checksum.json lists {expected}: the vendored file was changed"
            ),
        }
    }
}

/// A registry package to fetch.
#[derive(Debug, Clone)]
pub struct RegistryCrate {
    pub name: String,
    pub version: semver::Version,
    /// The lockfile `source` string, e.g. `registry+https://github.com/rust-lang/crates.io-index`.
    pub registry: String,
    /// Expected sha256 (hex). `None` only when no lockfile says (then the index is asked).
    pub checksum: Option<String>,
}

/// The lockfile spelling of crates.io's git index.
const CRATES_IO_GIT: &str = "https://github.com/rust-lang/crates.io-index";
/// The lockfile spelling of crates.io's sparse index (without `sparse+`).
const CRATES_IO_SPARSE: &str = "https://index.crates.io";
/// Index files and `config.json` are small; this only stops a runaway server.
const INDEX_FILE_LIMIT: u64 = 64 * 1024 * 1024;
/// Name of the folders a half-finished unpack lives in until it is renamed.
const EXTRACT_PREFIX: &str = ".extract-";
/// Leftover unpack folders older than this are from a killed run; removed.
const STALE_EXTRACT_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Which registry a lockfile `source` names; decides where archives are
/// downloaded from and which of Cargo's cache folders are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Registry {
    CratesIo,
    /// A sparse registry other than crates.io: root URL, no trailing slash.
    Sparse(String),
    /// A git-index registry other than crates.io: index URL.
    Git(String),
}

impl Registry {
    fn parse(source: &str) -> Option<Registry> {
        if let Some(url) = source.strip_prefix("registry+") {
            let url = url.trim_end_matches('/');
            Some(if url == CRATES_IO_GIT {
                Registry::CratesIo
            } else {
                Registry::Git(url.to_string())
            })
        } else if let Some(url) = source.strip_prefix("sparse+") {
            let url = url.trim_end_matches('/');
            Some(if url == CRATES_IO_SPARSE {
                Registry::CratesIo
            } else {
                Registry::Sparse(url.to_string())
            })
        } else {
            None
        }
    }

    /// How errors name the registry.
    fn label(&self) -> String {
        match self {
            Registry::CratesIo => "crates.io".to_string(),
            Registry::Sparse(url) => format!("sparse+{url}"),
            Registry::Git(url) => format!("registry+{url}"),
        }
    }

    /// Prefixes of the folders under `<cargo_home>/registry/cache/` that hold
    /// this registry's archives. Cargo names them `{host}-{hash}`; crates.io
    /// has had two, one per index protocol.
    fn cargo_cache_prefixes(&self) -> Vec<String> {
        match self {
            Registry::CratesIo => vec!["index.crates.io-".into(), "github.com-".into()],
            Registry::Sparse(url) | Registry::Git(url) => {
                url_host(url).map(|h| format!("{h}-")).into_iter().collect()
            }
        }
    }
}

/// The host of a URL, as Cargo uses it in cache folder names.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = host_port.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// The crate an error is about, so every error names it the same way.
struct Subject<'a> {
    name: &'a str,
    version: String,
    registry: String,
}

impl Subject<'_> {
    fn other(&self, message: impl Into<String>) -> FetchError {
        FetchError::Other {
            name: self.name.to_string(),
            version: self.version.clone(),
            message: message.into(),
        }
    }

    fn not_found(&self) -> FetchError {
        FetchError::NotFound {
            name: self.name.to_string(),
            version: self.version.clone(),
            registry: self.registry.clone(),
        }
    }

    fn network(&self, message: impl Into<String>) -> FetchError {
        FetchError::Network {
            name: self.name.to_string(),
            version: self.version.clone(),
            message: message.into(),
        }
    }

    fn mismatch(&self, expected: &str, actual: String, origin: String) -> FetchError {
        self.mismatch_of(Mismatched::Archive, expected, actual, origin)
    }

    fn mismatch_of(
        &self,
        what: Mismatched,
        expected: &str,
        actual: String,
        origin: String,
    ) -> FetchError {
        FetchError::ChecksumMismatch {
            name: self.name.to_string(),
            version: self.version.clone(),
            expected: expected.to_string(),
            actual,
            origin,
            what,
        }
    }

    fn http(&self, error: HttpError) -> FetchError {
        match error {
            HttpError::Missing { .. } => self.not_found(),
            HttpError::Status { url, status: 401 } => self.other(format!(
                "{url} answered HTTP 401: the registry wants authentication, which bumpguard does not support"
            )),
            HttpError::Status { url, status } => {
                self.network(format!("{url} answered HTTP {status}"))
            }
            HttpError::Transport { url, cause } => self.network(format!("{url}: {cause}")),
            HttpError::TooLarge { url, limit } => {
                self.other(format!("{url} is larger than {limit} bytes; refusing it"))
            }
            HttpError::BadUrl { url, cause } => self.other(format!("bad URL {url}: {cause}")),
        }
    }
}

/// Gets crate sources, from caches when it can and from the registry when it
/// must. One `Fetcher` per run: it remembers index answers and registry
/// configs in memory, so asking about many versions of one crate costs one
/// request. It is `Sync`; several threads may fetch through it at once.
pub struct Fetcher {
    settings: SourceSettings,
    limits: ExtractLimits,
    /// Built on first use, so an all-cached or offline run sets up no TLS.
    http: OnceLock<Http>,
    /// Index file URL -> its entries, `None` when the registry said 404.
    index_files: Mutex<HashMap<String, Option<Arc<Vec<IndexEntry>>>>>,
    /// Sparse registry root -> its `dl` template.
    dl_templates: Mutex<HashMap<String, String>>,
    notes: Mutex<Vec<String>>,
    /// Cache folders already rid of stale unpack folders by this fetcher.
    swept: Mutex<HashSet<PathBuf>>,
    /// Directory source on disk -> the packages in it (read once).
    vendor_dirs: Mutex<HashMap<PathBuf, Arc<Vec<directory::Package>>>>,
    /// Checksum -> a lock held while that crate is looked up and installed,
    /// so threads sharing this `Fetcher` download and unpack it once and
    /// never see another thread's half-installed tree.
    busy: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("settings", &self.settings)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, ignoring poisoning: the maps it guards are caches, always
/// consistent between statements, so a panic elsewhere leaves them usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fetcher {
    /// A fetcher with the default [`ExtractLimits`]. Touches neither disk
    /// nor network until asked for something.
    pub fn new(settings: SourceSettings) -> Self {
        Fetcher {
            settings,
            limits: ExtractLimits::default(),
            http: OnceLock::new(),
            index_files: Mutex::new(HashMap::new()),
            dl_templates: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
            swept: Mutex::new(HashSet::new()),
            vendor_dirs: Mutex::new(HashMap::new()),
            busy: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the default bounds on archive size and contents.
    pub fn with_limits(mut self, limits: ExtractLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The settings this fetcher was made with (for messages such as where
    /// the cache lives).
    pub fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    /// Things that went wrong but were worked around (a corrupt cache entry
    /// skipped, a cache write that failed), oldest first, for the report to
    /// show. Taking them empties the list.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.notes))
    }

    fn note(&self, message: String) {
        lock(&self.notes).push(message);
    }

    fn http(&self) -> &Http {
        self.http.get_or_init(Http::new)
    }

    /// The directory holding `krate`'s unpacked sources (its `Cargo.toml` is
    /// directly inside), verified against the expected checksum. No
    /// directory source is consulted: see [`Fetcher::crate_tree_at`].
    pub fn crate_tree(&self, krate: &RegistryCrate) -> Result<PathBuf, FetchError> {
        self.crate_tree_at(krate, Vendored::NONE)
    }

    /// [`Fetcher::crate_tree`], but first from the directory source that
    /// `vendored` puts in place of the crate's registry, if any: the package
    /// folder whose `Cargo.toml` names this crate and version, its
    /// `.cargo-checksum.json` naming Cargo.lock's checksum and every file
    /// listed there hashing to its sha256. A folder in the working tree is
    /// returned in place (never modified); one found only in a revision is
    /// exported to the cache first. A version the directory lacks is an
    /// error offline, and otherwise fetched as usual (with a note).
    pub fn crate_tree_at(
        &self,
        krate: &RegistryCrate,
        vendored: Vendored<'_>,
    ) -> Result<PathBuf, FetchError> {
        let mut who = Subject {
            name: &krate.name,
            version: krate.version.to_string(),
            registry: krate.registry.clone(),
        };
        let registry = Registry::parse(&krate.registry).ok_or_else(|| {
            who.other(format!(
                "`{}` is not a registry source; only registry packages are fetched",
                krate.registry
            ))
        })?;
        who.registry = registry.label();
        check_name(&who)?;
        if let Some(dir) = vendored
            .replacements
            .and_then(|r| r.for_registry(&registry))
        {
            let locked = krate
                .checksum
                .as_deref()
                .map(|sum| {
                    normalize_checksum(sum)
                        .ok_or_else(|| who.other(format!("`{sum}` is not a sha256 checksum")))
                })
                .transpose()?;
            match self.vendored_tree(dir, vendored.rev, locked.as_deref(), &who)? {
                directory::Lookup::Found(tree) => return Ok(tree),
                directory::Lookup::Missing(why) if self.settings.offline => {
                    return Err(who.other(format!("{why}; offline mode is on")));
                }
                directory::Lookup::Missing(why) => self.note(format!(
                    "{} {}: {why}; fetched from {} instead",
                    who.name, who.version, who.registry
                )),
            }
        }
        let expected = match &krate.checksum {
            Some(sum) => normalize_checksum(sum)
                .ok_or_else(|| who.other(format!("`{sum}` is not a sha256 checksum")))?,
            None => self.index_checksum(&registry, &krate.version, &who)?,
        };

        let src_root = self.settings.cache_dir.join("src");
        let tree = src_root.join(&expected);
        let marker = src_root.join(format!("{expected}.ok"));
        let marker_text = format!("{} {}\n", krate.name, krate.version);
        let slot = Arc::clone(lock(&self.busy).entry(expected.clone()).or_default());
        let _installing = lock(&slot);
        if self.tree_is_complete(&tree, &marker, &marker_text, &who) {
            return Ok(tree);
        }

        let archive = self.verified_archive(&registry, &expected, &who)?;
        let top = format!("{}-{}", who.name, who.version);
        self.install(&src_root, &tree, &marker, &marker_text, &who, |staging| {
            extract::unpack(&archive, &top, staging, &self.limits).map_err(|why| who.other(why))
        })?;
        Ok(tree)
    }

    /// The sha256 crates.io's index lists for `name` `version`. Yanked
    /// versions count: a lockfile may still pin them.
    pub fn registry_checksum(
        &self,
        name: &str,
        version: &semver::Version,
    ) -> Result<String, FetchError> {
        let who = Subject {
            name,
            version: version.to_string(),
            registry: Registry::CratesIo.label(),
        };
        check_name(&who)?;
        self.index_checksum(&Registry::CratesIo, version, &who)
    }

    /// Whether crates.io's index marks `name version` as yanked. `None` when
    /// that cannot be known now (offline, network trouble, not listed): the
    /// flag is informative and never stops an analysis.
    pub fn is_yanked(&self, name: &str, version: &semver::Version) -> Option<bool> {
        if self.settings.offline {
            return None;
        }
        let who = Subject {
            name,
            version: version.to_string(),
            registry: Registry::CratesIo.label(),
        };
        check_name(&who).ok()?;
        let entries = self.index_entries(&Registry::CratesIo, &who).ok()?;
        entries
            .iter()
            .find(|e| &e.version == version)
            .map(|e| e.yanked)
    }

    /// Every version of `name` crates.io's index lists, yanked ones included,
    /// oldest first. Meant for messages such as "available: ...".
    pub fn registry_versions(&self, name: &str) -> Result<Vec<semver::Version>, FetchError> {
        let who = Subject {
            name,
            version: "(any version)".to_string(),
            registry: Registry::CratesIo.label(),
        };
        check_name(&who)?;
        let entries = self.index_entries(&Registry::CratesIo, &who)?;
        let mut versions: Vec<semver::Version> =
            entries.iter().map(|e| e.version.clone()).collect();
        versions.sort();
        versions.dedup();
        Ok(versions)
    }

    fn index_checksum(
        &self,
        registry: &Registry,
        version: &semver::Version,
        who: &Subject<'_>,
    ) -> Result<String, FetchError> {
        // A published version's checksum never changes, so an answer the
        // index gave once is kept on disk: a warm run (or an offline one)
        // needs no index request.
        let memo = self.checksum_memo(registry, who.name, version);
        if let Some(sum) = memo
            .as_ref()
            .and_then(|p| fs::read_to_string(p).ok())
            .and_then(|t| normalize_checksum(t.trim()))
        {
            return Ok(sum);
        }
        let entries = self.index_entries(registry, who)?;
        let entry = entries
            .iter()
            .find(|e| &e.version == version)
            .ok_or_else(|| who.not_found())?;
        let sum = normalize_checksum(&entry.cksum).ok_or_else(|| {
            who.other(format!(
                "the index of {} lists `{}` as the checksum, which is not a sha256",
                who.registry, entry.cksum
            ))
        })?;
        if let Some(p) = memo {
            // Best effort: a cache that cannot be written only costs a request next time.
            let tmp = p.with_extension(format!("tmp{}", std::process::id()));
            if p.parent().is_some_and(|d| fs::create_dir_all(d).is_ok())
                && fs::write(&tmp, &sum).is_ok()
            {
                let _ = fs::rename(&tmp, &p);
            }
        }
        Ok(sum)
    }

    /// Where the checksum of `name version` from this registry's index is
    /// kept: `<cache>/checksums/<hash of the index URL>/<name>-<version>`.
    fn checksum_memo(
        &self,
        registry: &Registry,
        name: &str,
        version: &semver::Version,
    ) -> Option<PathBuf> {
        let root = match registry {
            Registry::CratesIo => self.settings.crates_io_index.as_str(),
            Registry::Sparse(url) => url.as_str(),
            Registry::Git(_) => return None,
        };
        let key = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(root.as_bytes())[..8]);
        Some(
            self.settings
                .cache_dir
                .join("checksums")
                .join(key)
                .join(format!("{name}-{version}")),
        )
    }

    /// The parsed index file of `who.name`, from memory or the sparse index.
    fn index_entries(
        &self,
        registry: &Registry,
        who: &Subject<'_>,
    ) -> Result<Arc<Vec<IndexEntry>>, FetchError> {
        let root = match registry {
            Registry::CratesIo => self.settings.crates_io_index.as_str(),
            Registry::Sparse(url) => url.as_str(),
            Registry::Git(url) => {
                return Err(who.other(format!(
                    "the checksum is not in Cargo.lock and the git index of {url} cannot be read by bumpguard yet"
                )));
            }
        };
        let url = format!(
            "{}/{}",
            root.trim_end_matches('/'),
            index::index_path(who.name)
        );
        if let Some(known) = lock(&self.index_files).get(&url) {
            return known.clone().ok_or_else(|| who.not_found());
        }
        if self.settings.offline {
            return Err(who.other(format!(
                "offline mode is on, so the index of {} cannot be asked for the checksum",
                who.registry
            )));
        }
        match self.http().get(&url, INDEX_FILE_LIMIT) {
            Ok(body) => {
                let entries = Arc::new(index::parse(&String::from_utf8_lossy(&body)));
                lock(&self.index_files).insert(url, Some(Arc::clone(&entries)));
                Ok(entries)
            }
            Err(HttpError::Missing { .. }) => {
                lock(&self.index_files).insert(url, None);
                Err(who.not_found())
            }
            Err(e) => Err(who.http(e)),
        }
    }

    /// Whether a previous run left a complete tree for this checksum. The
    /// marker must name the same crate: a lockfile claiming another crate's
    /// checksum must not be answered with that crate's tree (it falls through
    /// to a download, which then fails the checksum).
    fn tree_is_complete(
        &self,
        tree: &Path,
        marker: &Path,
        marker_text: &str,
        who: &Subject<'_>,
    ) -> bool {
        match fs::read_to_string(marker) {
            Ok(text) if text == marker_text => tree.join("Cargo.toml").is_file(),
            Ok(text) => {
                self.note(format!(
                    "{} {}: bumpguard's cache holds `{}` under this checksum; not using it",
                    who.name,
                    who.version,
                    text.trim()
                ));
                false
            }
            Err(_) => false,
        }
    }

    /// The archive's bytes, hashed and equal to `expected`, from the first
    /// place that has a good copy.
    fn verified_archive(
        &self,
        registry: &Registry,
        expected: &str,
        who: &Subject<'_>,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.limits.max_archive_bytes;
        let file_name = format!("{}-{}.crate", who.name, who.version);
        // The checksum is part of the name so that two registries serving
        // different archives under one name and version never evict each other.
        let kept = self
            .settings
            .cache_dir
            .join("archives")
            .join(format!("{}-{}-{expected}.crate", who.name, who.version));

        match read_capped(&kept, limit) {
            Ok(Some(bytes)) => {
                let actual = sha256_hex(&bytes);
                if actual == expected {
                    return Ok(bytes);
                }
                self.note(format!(
                    "{} {}: {} hashes to {actual}, not {expected}; deleted it",
                    who.name,
                    who.version,
                    kept.display()
                ));
                if let Err(e) = fs::remove_file(&kept) {
                    self.note(format!("cannot delete {}: {e}", kept.display()));
                }
            }
            Ok(None) => {}
            Err(e) => self.note(format!("cannot read {}: {e}", kept.display())),
        }

        // A bad copy in Cargo's cache is not proof of tampering with the
        // lockfile (the registry's own archive decides that), so it is only
        // fatal when there is nothing else to compare with.
        let mut cargo_mismatch: Option<(PathBuf, String)> = None;
        for (path, ours) in self.cargo_cache_candidates(registry, &file_name) {
            let bytes = match read_capped(&path, limit) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(e) => {
                    self.note(format!("cannot read {}: {e}", path.display()));
                    continue;
                }
            };
            let actual = sha256_hex(&bytes);
            if actual == expected {
                return Ok(bytes);
            }
            // Another registry's folder may hold a different crate of the same
            // name and version; only a mismatch in this registry's is news.
            if ours {
                self.note(format!(
                    "{} {}: Cargo's cached {} hashes to {actual}, not {expected}; ignoring it",
                    who.name,
                    who.version,
                    path.display()
                ));
                cargo_mismatch.get_or_insert((path, actual));
            }
        }

        if self.settings.offline {
            if let Some((path, actual)) = cargo_mismatch {
                return Err(who.mismatch(expected, actual, path.display().to_string()));
            }
            return Err(
                who.other("not in any cache (bumpguard's or Cargo's) and offline mode is on")
            );
        }

        let url = self.download_url(registry, expected, who)?;
        let bytes = self.http().get(&url, limit).map_err(|e| who.http(e))?;
        let actual = sha256_hex(&bytes);
        if actual != expected {
            return Err(who.mismatch(expected, actual, url));
        }
        if let Err(e) = write_atomically(&kept, &bytes) {
            self.note(format!(
                "{} {}: cannot keep the archive at {}: {e}",
                who.name,
                who.version,
                kept.display()
            ));
        }
        Ok(bytes)
    }

    /// `<name>-<version>.crate` in every folder of Cargo's download cache,
    /// this registry's folders first. The others are searched too (a
    /// registry may be reached under another name, and the checksum decides
    /// anyway).
    fn cargo_cache_candidates(&self, registry: &Registry, file_name: &str) -> Vec<(PathBuf, bool)> {
        let Some(home) = &self.settings.cargo_home else {
            return Vec::new();
        };
        let Ok(dirs) = fs::read_dir(home.join("registry").join("cache")) else {
            return Vec::new();
        };
        let prefixes = registry.cargo_cache_prefixes();
        let mut found: Vec<(PathBuf, bool)> = dirs
            .flatten()
            .filter_map(|dir| {
                let path = dir.path().join(file_name);
                let dir_name = dir.file_name().to_string_lossy().into_owned();
                let ours = prefixes.iter().any(|p| dir_name.starts_with(p.as_str()));
                path.is_file().then_some((path, ours))
            })
            .collect();
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found
    }

    fn download_url(
        &self,
        registry: &Registry,
        expected: &str,
        who: &Subject<'_>,
    ) -> Result<String, FetchError> {
        match registry {
            Registry::CratesIo => Ok(format!(
                "{}/{name}/{name}-{version}.crate",
                self.settings.crates_io_dl.trim_end_matches('/'),
                name = who.name,
                version = who.version
            )),
            Registry::Sparse(root) => {
                let template = self.dl_template(root, who)?;
                Ok(index::expand_dl(&template, who.name, &who.version, expected))
            }
            Registry::Git(url) => Err(who.other(format!(
                "the registry {url} is not supported for download yet (only crates.io and sparse registries are); \
                 `cargo fetch` puts the crate in Cargo's cache, where bumpguard looks first"
            ))),
        }
    }

    /// The `dl` field of a sparse registry's `config.json`.
    fn dl_template(&self, root: &str, who: &Subject<'_>) -> Result<String, FetchError> {
        if let Some(known) = lock(&self.dl_templates).get(root) {
            return Ok(known.clone());
        }
        let url = format!("{root}/config.json");
        let body = self
            .http()
            .get(&url, INDEX_FILE_LIMIT)
            .map_err(|e| match e {
                HttpError::Missing { status, .. } => who.other(format!(
                    "{url} answered HTTP {status}; without it the download address is unknown"
                )),
                other => who.http(other),
            })?;
        let config: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| who.other(format!("{url} is not valid JSON: {e}")))?;
        if config.get("auth-required").and_then(|v| v.as_bool()) == Some(true) {
            return Err(who.other(format!(
                "{} requires authentication, which bumpguard does not support",
                who.registry
            )));
        }
        let template = config
            .get("dl")
            .and_then(|v| v.as_str())
            .ok_or_else(|| who.other(format!("{url} has no `dl` field")))?
            .to_string();
        lock(&self.dl_templates).insert(root.to_string(), template.clone());
        Ok(template)
    }

    /// Has `fill` write the tree into a fresh folder next to the final one,
    /// then renames it into place and only then writes the marker, so neither
    /// a killed run nor a concurrent one can leave a half-written tree that
    /// looks done.
    fn install(
        &self,
        src_root: &Path,
        tree: &Path,
        marker: &Path,
        marker_text: &str,
        who: &Subject<'_>,
        fill: impl FnOnce(&Path) -> Result<(), FetchError>,
    ) -> Result<(), FetchError> {
        fs::create_dir_all(src_root)
            .map_err(|e| who.other(format!("cannot create {}: {e}", src_root.display())))?;
        self.sweep_stale_extractions(src_root);
        let staging = tempfile::Builder::new()
            .prefix(EXTRACT_PREFIX)
            .tempdir_in(src_root)
            .map_err(|e| {
                who.other(format!(
                    "cannot create a folder in {}: {e}",
                    src_root.display()
                ))
            })?;
        fill(staging.path())?;

        if let Err(first) = fs::rename(staging.path(), tree) {
            if !tree.exists() {
                return Err(who.other(format!(
                    "cannot move the unpacked crate to {}: {first}",
                    tree.display()
                )));
            }
            // Another process finished first, or an earlier run died between
            // the rename and the marker (or left something else there);
            // replace what is there unless it is marked complete.
            if fs::read_to_string(marker).is_ok_and(|t| t == marker_text) {
                return Ok(());
            }
            // Move the old folder aside rather than deleting it in place, so
            // the moment without any tree at `tree` is two renames long.
            let aside = tempfile::Builder::new()
                .prefix(EXTRACT_PREFIX)
                .tempdir_in(src_root)
                .map_err(|e| {
                    who.other(format!(
                        "cannot create a folder in {}: {e}",
                        src_root.display()
                    ))
                })?;
            match fs::rename(tree, aside.path().join("old")) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(who.other(format!(
                        "cannot replace the unfinished {}: {e}",
                        tree.display()
                    )));
                }
            }
            fs::rename(staging.path(), tree).map_err(|e| {
                who.other(format!(
                    "cannot move the unpacked crate to {}: {e}",
                    tree.display()
                ))
            })?;
        }
        // The folder now lives on as `tree`; nothing left to clean up.
        let _ = staging.keep();
        write_atomically(marker, marker_text.as_bytes())
            .map_err(|e| who.other(format!("cannot write {}: {e}", marker.display())))
    }

    /// Removes unpack folders a killed run left behind, once per cache
    /// folder and `Fetcher`. Best effort: they only waste space.
    fn sweep_stale_extractions(&self, src_root: &Path) {
        if !lock(&self.swept).insert(src_root.to_path_buf()) {
            return;
        }
        let Ok(entries) = fs::read_dir(src_root) else {
            return;
        };
        for entry in entries.flatten() {
            let stale = entry
                .file_name()
                .to_string_lossy()
                .starts_with(EXTRACT_PREFIX)
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age > STALE_EXTRACT_AGE);
            if stale {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Crate names end up in file names and URLs, so only the characters
/// registries allow in names are accepted.
fn check_name(who: &Subject<'_>) -> Result<(), FetchError> {
    let name = who.name;
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(who.other(format!("`{name}` is not a valid crate name")))
    }
}

/// Lowercase hex of a well-formed sha256, or `None`. The checksum becomes a
/// folder name, so nothing else may pass.
fn normalize_checksum(sum: &str) -> Option<String> {
    let sum = sum.trim();
    (sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| sum.to_ascii_lowercase())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Reads a whole file of at most `limit` bytes; `Ok(None)` when it does not
/// exist.
fn read_capped(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "larger than the {limit}-byte limit for archives"
        )));
    }
    Ok(Some(bytes))
}

/// Writes through a temporary file in the same folder and renames it into
/// place, so readers see the old file or the whole new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("no parent folder"))?;
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries() {
        assert_eq!(
            Registry::parse(&format!("registry+{CRATES_IO_GIT}")),
            Some(Registry::CratesIo)
        );
        assert_eq!(
            Registry::parse("sparse+https://index.crates.io/"),
            Some(Registry::CratesIo)
        );
        assert_eq!(
            Registry::parse("sparse+https://r.example/index/"),
            Some(Registry::Sparse("https://r.example/index".into()))
        );
        assert_eq!(
            Registry::parse("registry+https://git.example/index"),
            Some(Registry::Git("https://git.example/index".into()))
        );
        assert_eq!(Registry::parse("git+https://github.com/a/b#abc"), None);
        assert_eq!(
            Registry::Sparse("https://user@r.example:8080/x".into()).cargo_cache_prefixes(),
            vec!["r.example-".to_string()]
        );
    }

    #[test]
    fn settings_from_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let s = SourceSettings::from_lookup(vars(&[("HOME", "/h")]));
        assert_eq!(s.cache_dir, PathBuf::from("/h/.cache/bumpguard"));
        assert_eq!(s.cargo_home, Some(PathBuf::from("/h/.cargo")));
        assert!(!s.offline);
        assert_eq!(s.crates_io_dl, SourceSettings::CRATES_IO_DL);
        assert_eq!(s.crates_io_index, SourceSettings::CRATES_IO_INDEX);

        let s = SourceSettings::from_lookup(vars(&[
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "/x"),
            ("CARGO_HOME", "/c"),
            ("BUMPGUARD_OFFLINE", "1"),
            ("BUMPGUARD_CRATES_IO_DL", "http://127.0.0.1:1/dl/"),
            ("BUMPGUARD_CRATES_IO_INDEX", "http://127.0.0.1:1/index"),
        ]));
        assert_eq!(s.cache_dir, PathBuf::from("/x/bumpguard"));
        assert_eq!(s.cargo_home, Some(PathBuf::from("/c")));
        assert!(s.offline);
        assert_eq!(s.crates_io_dl, "http://127.0.0.1:1/dl");
        assert_eq!(s.crates_io_index, "http://127.0.0.1:1/index");

        // A relative XDG_CACHE_HOME is invalid per the spec and ignored.
        let s = SourceSettings::from_lookup(vars(&[
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "rel"),
            ("BUMPGUARD_OFFLINE", "0"),
        ]));
        assert_eq!(s.cache_dir, PathBuf::from("/h/.cache/bumpguard"));
        assert!(!s.offline);

        let s = SourceSettings::from_lookup(vars(&[]));
        assert_eq!(s.cache_dir, std::env::temp_dir().join("bumpguard"));
        assert_eq!(s.cargo_home, None);
    }

    #[test]
    fn checksums_and_names() {
        let sum = "AB".repeat(32);
        assert_eq!(normalize_checksum(&sum), Some("ab".repeat(32)));
        assert_eq!(normalize_checksum("../../etc"), None);
        assert_eq!(normalize_checksum(&"g".repeat(64)), None);
        let who = |name| Subject {
            name,
            version: "1.0.0".into(),
            registry: "crates.io".into(),
        };
        assert!(check_name(&who("serde_json-x1")).is_ok());
        assert!(check_name(&who("../x")).is_err());
        assert!(check_name(&who("")).is_err());
    }
}
