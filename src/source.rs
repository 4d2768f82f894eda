//! Crate sources: a registry package -> an extracted, verified source tree.
//! (interface stub; the implementation is being written)

use std::path::PathBuf;

/// Where sources come from and where they are kept.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// bumpguard's cache root (`$XDG_CACHE_HOME/bumpguard` or `~/.cache/bumpguard`).
    pub cache_dir: PathBuf,
    /// Cargo's home (`$CARGO_HOME` or `~/.cargo`), searched for `.crate` archives first.
    pub cargo_home: Option<PathBuf>,
    /// Never touch the network.
    pub offline: bool,
}

/// Why a crate's source could not be had. `ChecksumMismatch` is the one callers
/// must treat as fatal; the others leave the crate "not analysed".
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{name} {version}: checksum mismatch: Cargo.lock says {expected}, the archive from {origin} hashes to {actual}")]
    ChecksumMismatch { name: String, version: String, expected: String, actual: String, origin: String },
    #[error("{name} {version} was not found in the registry {registry}")]
    NotFound { name: String, version: String, registry: String },
    #[error("{name} {version}: network error: {message}")]
    Network { name: String, version: String, message: String },
    #[error("{name} {version}: {message}")]
    Other { name: String, version: String, message: String },
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
