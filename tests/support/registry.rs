//! Fixtures for the `source` tests: `.crate` archives built in memory
//! (including malicious ones no well-behaved tar writer would produce) and a
//! tiny HTTP server on 127.0.0.1, so that nothing touches the real network.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::Digest;

/// What one raw tar entry is.
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(&'static str),
    HardLink(&'static str),
    Fifo,
}

/// A gzip-compressed tar with exactly these entries, paths written verbatim
/// into the header (so `..`, absolute paths and links can be expressed).
/// Paths must fit the 100-byte old-style name field.
pub fn raw_archive(entries: &[(String, Kind)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (path, kind) in entries {
        let mut header = tar::Header::new_gnu();
        let (entry_type, data, link): (tar::EntryType, &[u8], &str) = match kind {
            Kind::File(data) => (tar::EntryType::Regular, data, ""),
            Kind::Dir => (tar::EntryType::Directory, &[], ""),
            Kind::Symlink(target) => (tar::EntryType::Symlink, &[], target),
            Kind::HardLink(target) => (tar::EntryType::Link, &[], target),
            Kind::Fifo => (tar::EntryType::Fifo, &[], ""),
        };
        header.set_entry_type(entry_type);
        header.set_size(data.len() as u64);
        header.set_mode(if matches!(kind, Kind::Dir) {
            0o755
        } else {
            0o644
        });
        header.set_mtime(0);
        let old = header.as_old_mut();
        assert!(
            path.len() <= old.name.len(),
            "fixture path too long: {path}"
        );
        old.name.fill(0);
        old.name[..path.len()].copy_from_slice(path.as_bytes());
        old.linkname.fill(0);
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_cksum();
        builder
            .append(&header, data)
            .expect("append to an in-memory tar");
    }
    builder
        .into_inner()
        .and_then(|gz| gz.finish())
        .expect("finish an in-memory archive")
}

/// A well-formed crate archive: `{name}-{version}/Cargo.toml`, `src/lib.rs`
/// and any `extra` files.
pub fn crate_archive(name: &str, version: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let top = format!("{name}-{version}");
    let manifest = format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n");
    let mut entries = vec![
        (format!("{top}/"), Kind::Dir),
        (
            format!("{top}/Cargo.toml"),
            Kind::File(manifest.into_bytes()),
        ),
        (
            format!("{top}/src/lib.rs"),
            Kind::File(format!("pub const NAME: &str = \"{name} {version}\";\n").into_bytes()),
        ),
    ];
    for (path, data) in extra {
        entries.push((format!("{top}/{path}"), Kind::File(data.to_vec())));
    }
    raw_archive(&entries)
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One sparse-index line for `version` with `cksum`.
pub fn index_line(name: &str, version: &str, cksum: &str, yanked: bool) -> String {
    format!(
        r#"{{"name":"{name}","vers":"{version}","deps":[],"cksum":"{cksum}","features":{{}},"yanked":{yanked}}}"#
    )
}

/// An HTTP/1.1 server on 127.0.0.1 answering GETs from a fixed table
/// (anything else is a 404), recording the paths asked for. It serves at most
/// `max_requests` connections and then stops, so a test that goes wrong
/// cannot keep it alive.
pub struct Server {
    pub base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(routes: Vec<(String, u16, Vec<u8>)>, max_requests: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let table: HashMap<String, (u16, Vec<u8>)> = routes
            .into_iter()
            .map(|(path, status, body)| (path, (status, body)))
            .collect();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(max_requests) {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" || line == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                seen.lock().expect("request log").push(path.clone());
                let (status, body) = table
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, b"not found".to_vec()));
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
                let _ = stream.flush();
            }
        });
        Server { base, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

/// A local port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("local addr").port()
}

/// Every file name under `root`, recursively.
pub fn all_names(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            out.push(entry.file_name().to_string_lossy().into_owned());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    out
}
