//! Reading hand-written TOML (rule files, `bumpguard.toml`) with every
//! problem collected and pointed at its line.
//!
//! serde would stop at the first problem and cannot say where an unknown key
//! is; these files are written by people, so bumpguard reads them key by key
//! from toml's spanned document ([`DeTable`]) and reports all problems at
//! once as `file:line: message`.

use std::fmt;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One problem in a file a person wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diag {
    pub file: String,
    /// 1-based; 0 when the problem is the whole file's (it cannot be read).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: about the whole file (it could not be read).
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Problems of several files, shown one per line.
#[derive(Debug)]
pub struct Diags(pub Vec<Diag>);

impl fmt::Display for Diags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diags {}

/// One file being read: its name for messages, its text for line numbers,
/// and the problems found so far.
pub struct Reader<'t> {
    pub file: String,
    text: &'t str,
    pub diags: Vec<Diag>,
}

pub type Table<'i> = DeTable<'i>;
pub type Value<'i> = Spanned<DeValue<'i>>;

impl<'t> Reader<'t> {
    pub fn new(file: impl Into<String>, text: &'t str) -> Self {
        Reader {
            file: file.into(),
            text,
            diags: Vec::new(),
        }
    }

    /// Parses the whole document; a syntax error is recorded and gives `None`.
    pub fn parse(&mut self) -> Option<Spanned<DeTable<'t>>> {
        match DeTable::parse(self.text) {
            Ok(t) => Some(t),
            Err(e) => {
                let line = e.span().map_or(1, |s| self.line(s.start));
                let msg = e.message().trim().to_string();
                self.error_at(line, format!("not valid TOML: {msg}"));
                None
            }
        }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub fn error_at(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diag {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    pub fn error<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        let line = self.line(at.span().start);
        self.error_at(line, message);
    }

    /// Records every key of `table` not in `known` as an error.
    pub fn unknown_keys(&mut self, table: &Table<'_>, known: &[&str], what: &str) {
        for key in table.keys() {
            if !known.contains(&key.get_ref().as_ref()) {
                let expected = known.join(", ");
                self.error(
                    key,
                    format!(
                        "unknown key `{}` in {what} (known keys: {expected})",
                        key.get_ref()
                    ),
                );
            }
        }
    }

    /// A string value, or an error naming the key.
    pub fn string(&mut self, key: &str, v: &Value<'_>) -> Option<String> {
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let t = v.get_ref().type_str();
                self.error(v, format!("`{key}` must be a string, not {t}"));
                None
            }
        }
    }

    /// An array of strings, each with its line.
    pub fn strings(&mut self, key: &str, v: &Value<'_>) -> Vec<(String, usize)> {
        if let Some(s) = v.get_ref().as_str() {
            self.error(
                v,
                format!("`{key}` must be an array of strings: write {key} = [{s:?}]"),
            );
            return Vec::new();
        }
        let Some(items) = v.get_ref().as_array() else {
            let t = v.get_ref().type_str();
            self.error(v, format!("`{key}` must be an array of strings, not {t}"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref().as_str() {
                Some(s) => out.push((s.to_string(), self.line(item.span().start))),
                None => {
                    let t = item.get_ref().type_str();
                    self.error(item, format!("`{key}` must hold strings, found {t}"));
                }
            }
        }
        out
    }

    pub fn boolean(&mut self, key: &str, v: &Value<'_>) -> Option<bool> {
        let b = v.get_ref().as_bool();
        if b.is_none() {
            let t = v.get_ref().type_str();
            self.error(v, format!("`{key}` must be true or false, not {t}"));
        }
        b
    }

    /// A whole number of 1 or more.
    pub fn positive(&mut self, key: &str, v: &Value<'_>) -> Option<u64> {
        let n = v
            .get_ref()
            .as_integer()
            .and_then(|i| u64::from_str_radix(i.as_str().replace('_', "").as_str(), i.radix()).ok())
            .filter(|n| *n > 0);
        if n.is_none() {
            self.error(v, format!("`{key}` must be a whole number of 1 or more"));
        }
        n
    }

    /// The table of `v`, or an error.
    pub fn table<'a, 'i>(&mut self, key: &str, v: &'a Value<'i>) -> Option<&'a Table<'i>> {
        let t = v.get_ref().as_table();
        if t.is_none() {
            let ty = v.get_ref().type_str();
            self.error(v, format!("`{key}` must be a table, not {ty}"));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_unknown_keys() {
        let text = "a = 1\n\nzz = \"x\"\n";
        let mut r = Reader::new("f.toml", text);
        let doc = r.parse().unwrap();
        r.unknown_keys(doc.get_ref(), &["a"], "the file");
        assert_eq!(r.diags.len(), 1);
        assert_eq!(r.diags[0].line, 3);
        assert!(
            r.diags[0]
                .to_string()
                .starts_with("f.toml:3: unknown key `zz`")
        );
    }

    #[test]
    fn syntax_error_has_a_line() {
        let mut r = Reader::new("f.toml", "a = 1\nb = = 2\n");
        assert!(r.parse().is_none());
        assert_eq!(r.diags[0].line, 2, "{:?}", r.diags);
    }

    #[test]
    fn strings_wants_an_array() {
        let mut r = Reader::new("f.toml", "a = \"x\"\nb = [\"y\", 3]\n");
        let doc = r.parse().unwrap();
        let t = doc.get_ref();
        assert_eq!(r.strings("a", &t["a"]), vec![]);
        assert_eq!(r.strings("b", &t["b"]), vec![("y".to_string(), 2)]);
        assert_eq!(r.diags.len(), 2);
        assert!(
            r.diags[0].message.contains("write a = [\"x\"]"),
            "{:?}",
            r.diags
        );
    }
}
