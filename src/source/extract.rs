//! Unpacking `.crate` archives (gzip + tar) without trusting them.
//!
//! An archive may come from the network or from a cache another program
//! writes, and its checksum only proves it is the archive the lockfile names,
//! not that the archive is benign. So the unpacker writes nothing but plain
//! files and directories, only below the destination, and gives up as soon as
//! the archive grows past fixed bounds. Sizes are counted on the bytes actually
//! decompressed, because tar headers can lie.

use std::cell::Cell;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Bounds on what one crate archive may unpack to.
///
/// The defaults are far above any real crate (crates.io refuses uploads over
/// 10 MiB compressed unless granted an exception) and low enough that a
/// decompression bomb cannot fill a disk or exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Most bytes the gzip stream may decompress to, tar headers included.
    pub max_total_bytes: u64,
    /// Most tar entries (files, directories, and any other kind).
    pub max_entries: u64,
    /// Largest single file.
    pub max_file_bytes: u64,
    /// Largest compressed `.crate` file accepted, downloaded or cached; the
    /// whole archive is held in memory to hash it before anything is unpacked.
    pub max_archive_bytes: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        ExtractLimits {
            max_total_bytes: 512 * MIB,
            max_entries: 100_000,
            max_file_bytes: 128 * MIB,
            max_archive_bytes: 256 * MIB,
        }
    }
}

/// Unpacks `archive` (the bytes of a `.crate` file) into `dest`, which must be
/// an empty directory. Every entry must sit below the folder `top/` (crate
/// archives hold exactly one, `{name}-{version}/`); that folder is stripped, so
/// `dest` ends up holding the crate's `Cargo.toml`.
///
/// The error is a sentence naming the offending entry, for the caller to wrap
/// with the crate's name.
pub(crate) fn unpack(
    archive: &[u8],
    top: &str,
    dest: &Path,
    limits: &ExtractLimits,
) -> Result<(), String> {
    let tripped = Rc::new(Cell::new(false));
    let capped = CappedReader {
        inner: flate2::read::GzDecoder::new(archive),
        read: 0,
        cap: limits.max_total_bytes,
        tripped: Rc::clone(&tripped),
    };
    let io_err = |e: io::Error| -> String {
        if tripped.get() {
            format!(
                "the archive unpacks to more than {} bytes; refusing it",
                limits.max_total_bytes
            )
        } else {
            format!("the archive is not a valid gzip-compressed tar file: {e}")
        }
    };

    let mut tar = tar::Archive::new(capped);
    let entries = tar.entries().map_err(io_err)?;
    let mut count: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(io_err)?;
        count += 1;
        if count > limits.max_entries {
            return Err(format!(
                "the archive has more than {} entries; refusing it",
                limits.max_entries
            ));
        }
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        // A pax global header is metadata for the archive, not a file; it is
        // never written anywhere, so skipping it is harmless.
        if kind.is_pax_global_extensions() {
            continue;
        }
        let refuse = |why: &str| format!("refusing archive entry `{shown}`: {why}");
        let rel = relative_path(&raw, top).map_err(&refuse)?;

        if kind.is_dir() {
            if let Some(rel) = rel {
                let target = join_below(dest, &rel).map_err(&refuse)?;
                fs::create_dir_all(&target)
                    .map_err(|e| refuse(&format!("cannot create {}: {e}", target.display())))?;
            }
        } else if kind.is_file() || kind.is_contiguous() {
            let Some(rel) = rel else {
                return Err(refuse("a file where the crate folder should be"));
            };
            // Early refusal on the declared size; the copy below still counts
            // the bytes it really gets.
            if entry.size() > limits.max_file_bytes {
                return Err(refuse(&format!(
                    "it declares {} bytes, over the {}-byte limit for one file",
                    entry.size(),
                    limits.max_file_bytes
                )));
            }
            let target = join_below(dest, &rel).map_err(&refuse)?;
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| refuse(&format!("cannot create {}: {e}", parent.display())))?;
            }
            let mut out = fs::File::create(&target)
                .map_err(|e| refuse(&format!("cannot create {}: {e}", target.display())))?;
            let copied = io::copy(
                &mut (&mut entry).take(limits.max_file_bytes.saturating_add(1)),
                &mut out,
            )
            .map_err(|e| {
                if tripped.get() {
                    io_err(e)
                } else {
                    refuse(&format!("cannot unpack it: {e}"))
                }
            })?;
            if copied > limits.max_file_bytes {
                return Err(refuse(&format!(
                    "it is larger than the {}-byte limit for one file",
                    limits.max_file_bytes
                )));
            }
        } else if kind.is_symlink() {
            return Err(refuse("symbolic links are not allowed"));
        } else if kind.is_hard_link() {
            return Err(refuse("hard links are not allowed"));
        } else {
            return Err(refuse(&format!(
                "only regular files and directories are allowed, this is {kind:?}"
            )));
        }
    }
    if count == 0 {
        return Err("the archive is empty".to_string());
    }
    if !dest.join("Cargo.toml").is_file() {
        return Err(format!("the archive has no `{top}/Cargo.toml`"));
    }
    Ok(())
}

/// The path of an entry below `top/`, checked component by component:
/// `Ok(None)` is `top/` itself. Refuses absolute paths, `..`, anything that is
/// not a plain name on this platform (a Windows drive prefix, a backslash),
/// and entries outside `top/`.
fn relative_path(raw: &[u8], top: &str) -> Result<Option<PathBuf>, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "the path is not UTF-8")?;
    if text.starts_with('/') {
        return Err("absolute paths are not allowed");
    }
    if text.contains('\\') || text.contains('\0') {
        return Err("backslashes and NUL bytes are not allowed in paths");
    }
    let mut parts = text.split('/').filter(|p| !p.is_empty() && *p != ".");
    match parts.next() {
        Some(first) if first == top => {}
        Some("..") => return Err("`..` is not allowed in paths"),
        _ => return Err("it is outside the crate's top folder"),
    }
    let mut rel = PathBuf::new();
    for part in parts {
        if part == ".." {
            return Err("`..` is not allowed in paths");
        }
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(_)), None) => rel.push(part),
            _ => return Err("a path component is not a plain name"),
        }
    }
    Ok(if rel.as_os_str().is_empty() {
        None
    } else {
        Some(rel)
    })
}

/// `dest/rel`, double-checked to stay below `dest`. [`relative_path`] already
/// guarantees that; this keeps the guarantee local to the code that writes.
fn join_below(dest: &Path, rel: &Path) -> Result<PathBuf, &'static str> {
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(dest.join(rel))
    } else {
        Err("the path escapes the destination")
    }
}

/// Counts decompressed bytes and fails once more than `cap` have come out, so
/// a bomb is stopped after reading at most `cap + 1` bytes whatever its
/// headers claim. `tripped` tells the caller, through tar's error wrapping,
/// that the failure was this cap.
struct CappedReader<R> {
    inner: R,
    read: u64,
    cap: u64,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.cap {
            self.tripped.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        let room = (self.cap - self.read).saturating_add(1);
        let want = usize::try_from(room).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        if self.read > self.cap {
            self.tripped.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let ok = |p: &str| relative_path(p.as_bytes(), "a-1.0.0");
        assert_eq!(ok("a-1.0.0/"), Ok(None));
        assert_eq!(ok("a-1.0.0"), Ok(None));
        assert_eq!(
            ok("./a-1.0.0/src//lib.rs"),
            Ok(Some(PathBuf::from("src/lib.rs")))
        );
        assert!(ok("/a-1.0.0/x").is_err());
        assert!(ok("a-1.0.0/../x").is_err());
        assert!(ok("a-1.0.0/src/../../x").is_err());
        assert!(ok("../x").is_err());
        assert!(ok("b-1.0.0/x").is_err());
        assert!(ok("a-1.0.0/x\\..\\y").is_err());
        assert!(relative_path(b"a-1.0.0/\xff", "a-1.0.0").is_err());
    }

    #[test]
    fn capped_reader_stops_at_the_cap() {
        let tripped = Rc::new(Cell::new(false));
        let mut r = CappedReader {
            inner: &[0u8; 100][..],
            read: 0,
            cap: 10,
            tripped: Rc::clone(&tripped),
        };
        let mut sink = Vec::new();
        assert!(r.read_to_end(&mut sink).is_err());
        assert!(tripped.get());
        assert!(sink.len() <= 11);

        let mut exact = CappedReader {
            inner: &[0u8; 10][..],
            read: 0,
            cap: 10,
            tripped: Rc::new(Cell::new(false)),
        };
        let mut sink = Vec::new();
        assert!(exact.read_to_end(&mut sink).is_ok());
        assert_eq!(sink.len(), 10);
    }
}
