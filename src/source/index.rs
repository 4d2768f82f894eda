//! The parts of Cargo's registry index format bumpguard reads: where a
//! crate's index file lives, what a line of it says, and how a registry's
//! `dl` template turns into an archive URL.

/// One published version, as the index lists it.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    pub(crate) version: semver::Version,
    /// sha256 of the `.crate` file, hex.
    pub(crate) cksum: String,
    /// Yanked versions are still locked by existing lockfiles, so they are
    /// kept; the flag is only informative.
    pub(crate) yanked: bool,
}

/// The directory part of an index path, as Cargo's `{prefix}` marker spells
/// it: `1`, `2`, `3/{first char}`, or `{first two}/{next two}`.
pub(crate) fn prefix(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "1".to_string(),
        2 => "2".to_string(),
        3 => format!("3/{}", chars[0]),
        _ => format!(
            "{}/{}",
            chars[..2].iter().collect::<String>(),
            chars[2..4].iter().collect::<String>()
        ),
    }
}

/// Path of a crate's file in a sparse index, relative to the index root.
/// Index paths are lowercase whatever the crate's spelling.
pub(crate) fn index_path(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    format!("{}/{lower}", prefix(&lower))
}

/// Parses an index file: one JSON object per line. Lines that do not parse
/// (a format extension, a version string that is not semver) are skipped, as
/// Cargo does, so that one odd line cannot hide the others.
pub(crate) fn parse(text: &str) -> Vec<IndexEntry> {
    #[derive(serde::Deserialize)]
    struct Line {
        vers: String,
        cksum: String,
        #[serde(default)]
        yanked: bool,
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .filter_map(|l| {
            Some(IndexEntry {
                version: semver::Version::parse(&l.vers).ok()?,
                cksum: l.cksum,
                yanked: l.yanked,
            })
        })
        .collect()
}

/// Expands a registry's `dl` template for one crate. Without any marker,
/// Cargo appends `/{crate}/{version}/download`, and so does this.
pub(crate) fn expand_dl(template: &str, name: &str, version: &str, cksum: &str) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|m| template.contains(m)) {
        return format!(
            "{}/{name}/{version}/download",
            template.trim_end_matches('/')
        );
    }
    template
        .replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix(name))
        .replace("{lowerprefix}", &prefix(&name.to_ascii_lowercase()))
        .replace("{sha256-checksum}", cksum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde_JSON"), "se/rd/serde_json");
        assert_eq!(index_path("itoa"), "it/oa/itoa");
    }

    #[test]
    fn dl_templates() {
        assert_eq!(
            expand_dl("https://r.example/api/v1/crates", "foo", "1.0.0", "ab"),
            "https://r.example/api/v1/crates/foo/1.0.0/download"
        );
        assert_eq!(
            expand_dl(
                "https://r.example/{prefix}/{lowerprefix}/{crate}-{version}.crate?h={sha256-checksum}",
                "FooBar",
                "1.0.0",
                "ab"
            ),
            "https://r.example/Fo/oB/fo/ob/FooBar-1.0.0.crate?h=ab"
        );
    }

    #[test]
    fn index_lines() {
        let text = concat!(
            r#"{"name":"x","vers":"1.0.0","deps":[],"cksum":"aa","features":{},"yanked":false}"#,
            "\n",
            "not json\n",
            r#"{"name":"x","vers":"1.0.1","deps":[],"cksum":"bb","features":{},"yanked":true}"#,
            "\n",
            r#"{"name":"x","vers":"garbage","cksum":"cc"}"#,
            "\n"
        );
        let entries = parse(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].cksum, "bb");
        assert!(entries[1].yanked);
    }
}
