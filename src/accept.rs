//! `bumpguard accept`: a person records that one exact finding is fine.
//!
//! The entry goes at the end of `bumpguard.toml` (created when missing);
//! everything already in the file stays byte for byte. The new text is
//! parsed again before it is written, so a broken file is never left behind.

use crate::config::{self, Config};
use crate::gate::Acceptable;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// What to write.
pub struct Entry<'a> {
    pub finding: &'a Acceptable,
    pub reason: &'a str,
    pub by: &'a str,
    pub date: &'a str,
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[[accept]]` block for `e`.
pub fn block(e: &Entry<'_>) -> String {
    let f = e.finding;
    let mut out = String::from("[[accept]]\n");
    for (k, v) in [
        ("finding", f.finding.as_str()),
        ("crate", &f.krate),
        ("old", &f.old),
        ("new", &f.new),
        ("code", &f.code),
        ("digest", &f.digest),
        ("reason", e.reason),
        ("by", e.by),
        ("date", e.date),
    ] {
        out.push_str(&format!("{k} = {}\n", quoted(v)));
    }
    out
}

/// Appends the entry to `path` (creating it), after checking that the
/// result is a valid configuration.
pub fn append(path: &Path, e: &Entry<'_>) -> Result<()> {
    if e.reason.trim().is_empty() {
        bail!("an acceptance needs a reason (--reason \"why this change is fine\")");
    }
    if e.by.trim().is_empty() {
        bail!(
            "an acceptance says who accepted: --by \"Name <email>\" is empty (without --by, git's user.name and user.email are used)"
        );
    }
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut new = old.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    if !new.is_empty() {
        new.push('\n');
    }
    new.push_str(&block(e));
    Config::parse(path, &new).map_err(|d| {
        anyhow::Error::new(crate::toml_read::Diags(d)).context(format!(
            "{} would not be a valid configuration with the acceptance added; nothing was written",
            path.display()
        ))
    })?;
    std::fs::write(path, new).with_context(|| format!("cannot write {}", path.display()))
}

/// Where the configuration file at `path` (as it is on disk, which may
/// not be what the head commit holds) already accepts this exact finding:
/// `<path>:12`. `None` when it does not, or when the file is
/// missing or does not parse ([`append`] reports that).
pub fn already_in(path: &Path, f: &Acceptable) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let cfg = Config::parse(path, &text).ok()?;
    cfg.accepts
        .iter()
        .find(|a| {
            a.krate == f.krate
                && a.old == f.old
                && a.new == f.new
                && a.code == f.code
                && a.digest == f.digest
        })
        .map(|a| a.at.clone())
}

/// When an entry written to the configuration file on disk counts for
/// `check` with these revisions: `None` when at once (the head is the
/// working tree, or the file is given with `--config`), else what to do.
pub fn takes_effect(head: Option<&str>, staged: bool, explicit_config: bool) -> Option<String> {
    if explicit_config {
        return None;
    }
    match head {
        Some(h) => Some(format!(
            "it applies to `bumpguard check --head {h}` once bumpguard.toml is committed on the branch of {h}: check reads the configuration of the head commit, and {h} does not have this entry (it was written to the working tree's bumpguard.toml; when the working tree holds another branch, move the entry to {h}'s)"
        )),
        None if staged => Some(
            "stage bumpguard.toml (`git add bumpguard.toml`) so that the commit carries the entry"
                .to_string(),
        ),
        None => None,
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The configuration file `accept` writes to.
pub fn config_path(root: &Path, explicit: Option<&Path>) -> std::path::PathBuf {
    explicit.map_or_else(|| root.join(config::FILE_NAME), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Acceptable {
        Acceptable {
            finding: "bg-0123456789".into(),
            krate: "certlib".into(),
            old: "1.4.0".into(),
            new: "1.5.0".into(),
            code: "rule:certlib-acme".into(),
            digest: "sha256:ab".into(),
            summary: String::new(),
        }
    }

    #[test]
    fn appends_and_keeps_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bumpguard.toml");
        std::fs::write(&path, "# mine\n[policy]\nrunner = \"cargo\"").unwrap();
        let f = finding();
        let e = Entry {
            finding: &f,
            reason: "driver started by us \"now\"",
            by: "Ada",
            date: "2026-12-03",
        };
        append(&path, &e).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# mine\n[policy]\nrunner = \"cargo\"\n\n[[accept]]\n"),
            "{text}"
        );
        let cfg = Config::load(&path).unwrap();
        assert_eq!(cfg.accepts[0].reason, "driver started by us \"now\"");
        assert_eq!(cfg.accepts[0].digest, "sha256:ab");
    }

    #[test]
    fn a_broken_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bumpguard.toml");
        std::fs::write(&path, "[policy\n").unwrap();
        let f = finding();
        let e = Entry {
            finding: &f,
            reason: "r",
            by: "Ada",
            date: "2026-12-03",
        };
        let err = append(&path, &e).unwrap_err();
        assert!(
            format!("{err:#}").contains("nothing was written"),
            "{err:#}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[policy\n");
        let e = Entry {
            finding: &f,
            reason: " ",
            by: "Ada",
            date: "2026-12-03",
        };
        assert!(append(&dir.path().join("new.toml"), &e).is_err());
        assert!(!dir.path().join("new.toml").exists());
        // Nobody is not a who.
        for by in ["", "  "] {
            let e = Entry {
                finding: &f,
                reason: "r",
                by,
                date: "2026-12-03",
            };
            let err = append(&dir.path().join("new.toml"), &e).unwrap_err();
            assert!(format!("{err:#}").contains("--by"), "{err:#}");
            assert!(!dir.path().join("new.toml").exists());
        }
    }

    #[test]
    fn an_entry_on_disk_is_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bumpguard.toml");
        let f = finding();
        assert_eq!(already_in(&path, &f), None, "no file yet");
        let e = Entry {
            finding: &f,
            reason: "r",
            by: "Ada",
            date: "2026-12-03",
        };
        append(&path, &e).unwrap();
        assert!(
            already_in(&path, &f).is_some_and(|at| at.ends_with("bumpguard.toml:1")),
            "{:?}",
            already_in(&path, &f)
        );
        let other = Acceptable {
            digest: "sha256:cd".into(),
            ..finding()
        };
        assert_eq!(already_in(&path, &other), None, "other evidence");
        assert!(
            takes_effect(Some("abc"), false, false)
                .is_some_and(|t| t.contains("once bumpguard.toml is committed"))
        );
        assert!(
            takes_effect(None, true, false).is_some_and(|t| t.contains("git add bumpguard.toml"))
        );
        assert_eq!(takes_effect(None, false, false), None);
        assert_eq!(takes_effect(Some("abc"), false, true), None);
    }

    #[test]
    fn date_is_iso() {
        let d = today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"), "{d}");
    }
}
