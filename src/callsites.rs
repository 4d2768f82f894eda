//! Where the repository's own code reaches the items a triggered rule is
//! about: `src/tls.rs:42 uses certlib::tls::acme::AcmeAlpn::new`.
//!
//! A token search, not name resolution: a file counts only when it names
//! the dependency's crate somewhere, and then a path is a hit when its last
//! segments are the item's (`AcmeAlpn::new` for a method, `Opts` for a
//! struct or one of its fields, `connect` for a function). That finds the
//! usual `use dep::module::Type;` + `Type::new(..)` call sites; it can miss
//! calls through traits, method-call syntax on values and re-exports under
//! another name, and it can count a same-named item of another crate in a
//! file that also uses this one. Reports say so.

use proc_macro2::{TokenStream, TokenTree};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One place in the repository's code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CallSite {
    /// Repository-relative path.
    pub file: String,
    pub line: usize,
    /// The dependency's item it names.
    pub item: String,
}

/// At most this many sites per search: enough to act on.
pub const MAX_SITES: usize = 20;
const MAX_FILES: usize = 20_000;
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// What to look for for one item path (`certlib::tls::acme::AcmeAlpn::new`):
/// the crate's name and the trailing segments to match.
fn needle(path: &str) -> Option<(String, Vec<String>)> {
    if path.contains(" (private)") {
        return None;
    }
    let path = path.split(' ').next().unwrap_or(path);
    // A field is found through its type: `Opts.tls_config` -> `Opts`.
    let path = path.split('.').next().unwrap_or(path);
    let segs: Vec<String> = path.split("::").map(str::to_string).collect();
    if segs.len() < 2 {
        return None;
    }
    let krate = segs[0].clone();
    let rest = &segs[1..];
    let n = rest.len();
    let tail = if n >= 2 && rest[n - 2].starts_with(|c: char| c.is_ascii_uppercase()) {
        rest[n - 2..].to_vec()
    } else {
        rest[n - 1..].to_vec()
    };
    Some((krate, tail))
}

/// Source files of the repository at `root`: every `.rs` outside build
/// output, hidden folders and vendored packages.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join(".cargo-checksum.json").exists() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !(name.starts_with('.') || name == "target") {
                    stack.push(e.path());
                }
            } else if ft.is_file()
                && name.ends_with(".rs")
                && e.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
            {
                out.push(e.path());
                if out.len() >= MAX_FILES {
                    return out;
                }
            }
        }
    }
    out.sort();
    out
}

/// Identifiers and `::` of a file, in order, with their lines.
fn words(tokens: TokenStream, out: &mut Vec<(String, usize)>) {
    let mut iter = tokens.into_iter().peekable();
    while let Some(t) = iter.next() {
        match t {
            TokenTree::Ident(i) => out.push((i.to_string(), i.span().start().line)),
            TokenTree::Punct(p) if p.as_char() == ':' => {
                if let Some(TokenTree::Punct(q)) = iter.peek()
                    && q.as_char() == ':'
                {
                    iter.next();
                    out.push(("::".to_string(), p.span().start().line));
                } else {
                    out.push((":".to_string(), p.span().start().line));
                }
            }
            TokenTree::Punct(p) => out.push((p.as_char().to_string(), p.span().start().line)),
            TokenTree::Group(g) => {
                out.push(("(".to_string(), g.span().start().line));
                words(g.stream(), out);
                out.push((")".to_string(), g.span().end().line));
            }
            TokenTree::Literal(l) => out.push(("\"".to_string(), l.span().start().line)),
        }
    }
}

/// The places under `root` that name any of `items` (item paths of one
/// dependency), sorted, at most [`MAX_SITES`].
pub fn find(root: &Path, items: &[String]) -> Vec<CallSite> {
    let needles: Vec<(String, Vec<String>, &String)> = items
        .iter()
        .filter_map(|p| needle(p).map(|(k, t)| (k, t, p)))
        .collect();
    if needles.is_empty() {
        return Vec::new();
    }
    let mut sites = Vec::new();
    for file in rust_files(root) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let relevant: Vec<&(String, Vec<String>, &String)> = needles
            .iter()
            .filter(|(k, _, _)| text.contains(k.as_str()))
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let Ok(tokens) = text.parse::<TokenStream>() else {
            continue;
        };
        let mut w = Vec::new();
        words(tokens, &mut w);
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        for (i, (word, line)) in w.iter().enumerate() {
            for (_, tail, item) in &relevant {
                if word != tail.last().unwrap_or(word) {
                    continue;
                }
                // Walk back over `A :: B` to compare the earlier segments.
                let mut ok = true;
                let mut j = i;
                for seg in tail.iter().rev().skip(1) {
                    if j < 2 || w[j - 1].0 != "::" || w[j - 2].0 != *seg {
                        ok = false;
                        break;
                    }
                    j -= 2;
                }
                if ok {
                    sites.push(CallSite {
                        file: rel.clone(),
                        line: *line,
                        item: (*item).clone(),
                    });
                }
            }
        }
    }
    sites.sort();
    sites.dedup_by(|a, b| a.file == b.file && a.line == b.line);
    sites.truncate(MAX_SITES);
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles() {
        assert_eq!(
            needle("certlib::tls::acme::AcmeAlpn::new"),
            Some(("certlib".into(), vec!["AcmeAlpn".into(), "new".into()]))
        );
        assert_eq!(
            needle("ic_bn_lib::tls::acme::alpn::Opts.tls_config"),
            Some(("ic_bn_lib".into(), vec!["Opts".into()]))
        );
        assert_eq!(
            needle("url::parse_url"),
            Some(("url".into(), vec!["parse_url".into()]))
        );
        assert_eq!(needle("certlib::tls::helper (private)"), None);
    }

    #[test]
    fn finds_uses_in_files_that_name_the_crate() {
        let dir = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w(
            "src/lib.rs",
            "use certlib::tls::acme::{AcmeAlpn, Opts};\n\npub fn start() -> AcmeAlpn {\n    AcmeAlpn::new(Opts { domains: vec![] })\n}\n",
        );
        // Same names, but the file never mentions certlib.
        w("src/other.rs", "fn f() { AcmeAlpn::new(x) }\n");
        // Build output and vendored packages are not the repository's code.
        w(
            "target/debug/build/x.rs",
            "use certlib::tls::acme::AcmeAlpn; fn f() { AcmeAlpn::new(1) }\n",
        );
        w("vendor/certlib/.cargo-checksum.json", "{}");
        w(
            "vendor/certlib/src/lib.rs",
            "use certlib::tls::acme::AcmeAlpn; fn f() { AcmeAlpn::new(1) }\n",
        );
        let sites = find(
            dir.path(),
            &[
                "certlib::tls::acme::AcmeAlpn::new".to_string(),
                "certlib::tls::acme::Opts.domains".to_string(),
            ],
        );
        let at: Vec<(String, usize)> = sites.iter().map(|s| (s.file.clone(), s.line)).collect();
        assert_eq!(
            at,
            vec![("src/lib.rs".to_string(), 1), ("src/lib.rs".to_string(), 4)],
            "{sites:#?}"
        );
        assert_eq!(sites[1].item, "certlib::tls::acme::AcmeAlpn::new");
    }
}
