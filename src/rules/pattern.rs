//! Path patterns of rules: `tls::acme::**`, `ServerConfig::builder*`,
//! `src/tls/**/*.rs`. `*` matches inside one segment, `**` any number of
//! whole segments (none included).

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    sep: &'static str,
    segs: Vec<String>,
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Pattern {
    /// Parses a pattern whose segments are separated by `sep` (`::` for item
    /// paths, `/` for files).
    pub fn parse(text: &str, sep: &'static str) -> Result<Pattern, String> {
        if text.trim().is_empty() {
            return Err("empty pattern".into());
        }
        if sep == "/" && text.starts_with('/') {
            return Err(
                "file patterns are relative to the crate root; drop the leading `/`".into(),
            );
        }
        let segs: Vec<String> = text.split(sep).map(str::to_string).collect();
        for s in &segs {
            if s.is_empty() {
                return Err(format!(
                    "empty segment (two `{sep}` in a row, or one at an end)"
                ));
            }
            if s.contains("**") && s != "**" {
                return Err("`**` must be a whole segment".into());
            }
            if sep == "::" {
                if let Some(c) = s
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '*'))
                {
                    return Err(format!(
                        "`{c}` cannot appear in a Rust path (use `::` between segments)"
                    ));
                }
            } else if s == ".." || s == "." {
                return Err("`.` and `..` are not allowed in file patterns".into());
            }
        }
        Ok(Pattern {
            text: text.to_string(),
            sep,
            segs,
        })
    }

    pub fn segments(&self) -> &[String] {
        &self.segs
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Does `path` (separated like the pattern) match?
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<String> = path.split(self.sep).map(str::to_string).collect();
        matches(&self.segs, &parts)
    }
}

/// Segment-wise match with `**` spanning any number of segments.
pub fn matches(pat: &[String], path: &[String]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| matches(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((seg, tail)) => glob(first.as_bytes(), seg.as_bytes()) && matches(rest, tail),
            None => false,
        },
    }
}

/// `*` matches any run of characters inside one segment.
fn glob(pat: &[u8], s: &[u8]) -> bool {
    match pat.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Pattern {
        Pattern::parse(t, "::").unwrap()
    }

    #[test]
    fn double_star_spans_zero_or_more() {
        assert!(p("tls::acme::**").matches("tls::acme"));
        assert!(p("tls::acme::**").matches("tls::acme::alpn::Opts"));
        assert!(!p("tls::acme::**").matches("tls::acmex"));
        assert!(p("**::new").matches("a::b::new"));
        assert!(p("**").matches("anything::at::all"));
    }

    #[test]
    fn star_stays_in_its_segment() {
        assert!(p("Config::builder*").matches("Config::builder_with_provider"));
        assert!(!p("Config::*").matches("Config::a::b"));
        assert!(p("*Config").matches("ServerConfig"));
    }

    #[test]
    fn files() {
        let f = Pattern::parse("src/tls/**/*.rs", "/").unwrap();
        assert!(f.matches("src/tls/acme/alpn.rs"));
        assert!(f.matches("src/tls/mod.rs"));
        assert!(!f.matches("src/http.rs"));
    }

    #[test]
    fn bad_patterns() {
        assert!(Pattern::parse("a::***", "::").is_err());
        assert!(Pattern::parse("a::::b", "::").is_err());
        assert!(Pattern::parse("a/b", "::").is_err());
        assert!(Pattern::parse("/src", "/").is_err());
        assert!(Pattern::parse("../x", "/").is_err());
        assert!(Pattern::parse("  ", "/").is_err());
    }
}
