//! GitHub workflow annotations: `::error file=Cargo.lock,line=N,title=...::message`
//! lines that GitHub turns into marks on the pull request's changed lockfile
//! and on the run's summary page.
//!
//! `check` and `diff` print them when `GITHUB_ACTIONS=true` (see
//! [`enabled`]), next to whatever report format was asked for: they are
//! another view of the same [`Report`], not a format of their own. Errors:
//! semver violations and analyses that failed, are incomplete or unsupported
//! (exactly what decides the verdict). Warnings: behaviour findings that add
//! or remove an effect (spawned tasks, file, network, process, environment)
//! and high-severity manifest findings; acceptances that matched nothing, at
//! their line of `bumpguard.toml`. GitHub shows at most
//! [`MAX_PER_LEVEL`] of each level per step, so only the most important are
//! printed, plus one notice saying how many were left out.
//!
//! The line of an annotation is the `version = "..."` line of the crate's
//! `[[package]]` entry for the new version, in the lockfile at the head
//! revision: it is the line the pull request changed, so GitHub shows the
//! annotation right in the diff. The caller passes the head lockfiles; when a
//! lockfile or the entry is not found, `line` is left out (and `file` too
//! when the crate has no lockfile, as with `diff`).

use crate::config::Gate;
use crate::report::{AnalysisStatus, CrateReport, Report, plural, version_pair};
use crate::revision::LockfileText;
use std::fmt;
use std::io::{self, Write};

/// GitHub shows at most this many annotations of each level per step.
pub const MAX_PER_LEVEL: usize = 10;

/// Problems or violations listed in one annotation's message.
const LIST_MAX: usize = 5;

/// True when running as a GitHub Actions step (the runner sets `GITHUB_ACTIONS=true`).
pub fn enabled() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The level of an annotation: the workflow command's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationLevel {
    Error,
    Warning,
    Notice,
}

impl fmt::Display for AnnotationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnnotationLevel::Error => "error",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Notice => "notice",
        })
    }
}

/// One workflow command; `Display` writes it as GitHub reads it, escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: AnnotationLevel,
    /// Repository-relative path of the lockfile.
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    pub title: String,
    /// May span several lines.
    pub message: String,
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut props = Vec::new();
        if let Some(file) = &self.file {
            props.push(format!("file={}", escape_property(file)));
            if let Some(line) = self.line {
                props.push(format!("line={line}"));
            }
        }
        props.push(format!("title={}", escape_property(&self.title)));
        write!(
            f,
            "::{} {}::{}",
            self.level,
            props.join(","),
            escape_data(&self.message)
        )
    }
}

/// Escapes a message as the runner expects (`%`, CR and LF as `%25`, `%0D`,
/// `%0A`), so a multi-line message stays one command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: like [`escape_data`], and `:` and `,`, which
/// would otherwise end the property list or the property.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The 1-based line of `version = "<version>"` in the `[[package]]` entry
/// of `name` at `version`, in a `Cargo.lock` text (any format version: they
/// all write `name` then `version` in each entry).
pub fn lockfile_line(text: &str, name: &str, version: &str) -> Option<usize> {
    let mut in_package = false;
    let mut name_matches = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[[package]]";
            name_matches = false;
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        match key.trim() {
            "name" => name_matches = value == name,
            "version" if name_matches && value == version => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Where to point a finding about crate `c`: its lockfile's path and the
/// line of its new version's entry there (see [`lockfile_line`]). The SARIF
/// report locates its results the same way.
pub fn location(c: &CrateReport, lockfiles: &[LockfileText]) -> (Option<String>, Option<usize>) {
    let Some(path) = &c.lockfile else {
        return (None, None);
    };
    let line = c.new_version.as_deref().and_then(|v| {
        lockfiles
            .iter()
            .find(|l| &l.path == path)
            .and_then(|l| lockfile_line(&l.text, &c.name, v))
    });
    (Some(path.clone()), line)
}

/// An annotation with its sort key: lower is more important.
struct Ranked {
    key: (u8, u8, usize, usize),
    annotation: Annotation,
}

/// Direct dependencies sort before transitive ones of the same kind.
fn directness(c: &CrateReport) -> u8 {
    if c.direct == Some(true) { 0 } else { 1 }
}

/// Every annotation for the report, most important first, at most
/// [`MAX_PER_LEVEL`] errors and as many warnings, then a notice if any were
/// left out.
pub fn annotations(report: &Report, lockfiles: &[LockfileText]) -> Vec<Annotation> {
    annotations_within(report, lockfiles, MAX_PER_LEVEL)
}

/// Like [`annotations`], with at most `max` errors and `max` warnings
/// (capped at [`MAX_PER_LEVEL`]): a script that prints annotations of its
/// own in the same step leaves itself room.
pub fn annotations_within(
    report: &Report,
    lockfiles: &[LockfileText],
    max: usize,
) -> Vec<Annotation> {
    let max = max.min(MAX_PER_LEVEL);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (k, c) in report.crates.iter().enumerate() {
        let (file, line) = location(c, lockfiles);
        let label = format!("{} {}", c.name, version_pair(c));
        let make = |level, title: String, message: String| Annotation {
            level,
            file: file.clone(),
            line,
            title,
            message,
        };
        let reason = || c.analysis.reason.clone().unwrap_or_default();
        let d = directness(c);
        // What blocks is an error; what `[policy]` turned into a warning is one.
        let mut error = |rank: u8, gate: Gate, title: String, message: String| match gate {
            Gate::Block => errors.push(Ranked {
                key: (rank, d, k, 0),
                annotation: make(AnnotationLevel::Error, title, message),
            }),
            Gate::Warn => warnings.push(Ranked {
                key: (0, d, k, rank as usize),
                annotation: make(AnnotationLevel::Warning, title, message),
            }),
        };
        for h in &c.rules {
            let mut message = sentences(&[&h.reason, &h.next]);
            list(&mut message, h.evidence.iter().map(|e| e.summary.clone()));
            if h.blocks {
                error(
                    0,
                    Gate::Block,
                    format!(
                        "{label}: critical rule {} triggered ({})",
                        h.rule, h.finding
                    ),
                    message,
                );
            }
        }
        if c.analysis.status == AnalysisStatus::Failed {
            error(
                0,
                report.policy.unanalysed,
                format!("{label}: could not be analysed"),
                reason(),
            );
        }
        if c.violations > 0 {
            error(
                1,
                report.policy.semver_violations,
                format!(
                    "{label}: {} semver violation{}",
                    c.violations,
                    plural(c.violations)
                ),
                violations_message(c),
            );
        }
        if c.analysis.status == AnalysisStatus::Partial {
            let mut message = format!(
                "analysis incomplete: {} source problem{}",
                c.problems.len(),
                plural(c.problems.len())
            );
            list(&mut message, c.problems.iter().cloned());
            error(
                2,
                report.policy.unanalysed,
                format!("{label}: analysis incomplete"),
                message,
            );
        }
        if c.analysis.status == AnalysisStatus::Unsupported {
            error(
                3,
                report.policy.unanalysed,
                format!("{label}: not analysed"),
                reason(),
            );
        }
        for (i, b) in c.behavior.iter().enumerate() {
            if b.effects_added.is_empty() && b.effects_removed.is_empty() {
                continue;
            }
            let mut message = b.summary.clone();
            if let Some(f) = &b.file {
                message.push_str(&format!(" (in {f} of {})", c.name));
            }
            warnings.push(Ranked {
                key: (if b.public { 0 } else { 2 }, d, k, i),
                annotation: make(
                    AnnotationLevel::Warning,
                    format!("{label}: behaviour of {} changed", b.item),
                    message,
                ),
            });
        }
        for (i, m) in c.manifest.iter().enumerate() {
            if m.severity != crate::manifest_diff::Severity::High {
                continue;
            }
            warnings.push(Ranked {
                key: (1, d, k, i),
                annotation: make(
                    AnnotationLevel::Warning,
                    format!("{label}: {} {}", m.code, m.subject),
                    m.message.clone(),
                ),
            });
        }
    }
    warnings.extend(
        stale_acceptances(report)
            .into_iter()
            .enumerate()
            .map(|(i, annotation)| Ranked {
                key: (3, 0, report.crates.len(), i),
                annotation,
            }),
    );
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for (mut found, what) in [(errors, "error"), (warnings, "warning")] {
        found.sort_by_key(|r| r.key);
        if found.len() > max {
            let n = found.len() - max;
            left_out.push(format!("{n} {what}{}", plural(n)));
        }
        out.extend(found.into_iter().take(max).map(|r| r.annotation));
    }
    if !left_out.is_empty() {
        out.push(Annotation {
            level: AnnotationLevel::Notice,
            file: None,
            line: None,
            title: "bumpguard: more findings than annotations".to_string(),
            message: format!(
                "not annotated: {} (at most {max} of each level here; GitHub shows {MAX_PER_LEVEL} per step); the report lists them all",
                left_out.join(" and ")
            ),
        });
    }
    out
}

/// A warning for each acceptance that matched nothing, at its `[[accept]]`
/// line in the configuration (`at` is `file:line`).
fn stale_acceptances(report: &Report) -> Vec<Annotation> {
    report
        .stale_acceptances
        .iter()
        .map(|a| {
            let (file, line) = match a.at.rsplit_once(':') {
                Some((f, l)) if l.parse::<usize>().is_ok() => (f.to_string(), l.parse().ok()),
                _ => (a.at.clone(), None),
            };
            Annotation {
                level: AnnotationLevel::Warning,
                file: Some(file),
                line,
                title: format!("stale acceptance {} ({})", a.finding, a.krate),
                message: a.why.clone(),
            }
        })
        .collect()
}

/// What the bump allows against what the changes need, then the first violations.
fn violations_message(c: &CrateReport) -> String {
    let mut message = format!(
        "the changes need a {} bump; this {} allows {}",
        c.required.map(|l| l.to_string()).unwrap_or_default(),
        c.bump
            .map(|b| format!("{b} bump"))
            .unwrap_or_else(|| "bump".into()),
        c.allows
            .map(|l| format!("{l} changes"))
            .unwrap_or_else(|| "no API changes".into()),
    );
    list(
        &mut message,
        c.changes
            .iter()
            .filter(|ch| ch.violation)
            .map(|ch| format!("{} {}: {}", ch.code, ch.path, ch.message)),
    );
    message
}

/// Pieces of text joined as sentences: each starts with a capital letter
/// (when it starts with a lower-case one) and ends with a full stop (unless
/// it ends with one already, or with `!`, `?` or `:`).
fn sentences(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            let mut s: String = match chars.next() {
                Some(c) if c.is_ascii_lowercase() => {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                }
                _ => p.to_string(),
            };
            if !s.ends_with(['.', '!', '?', ':']) {
                s.push('.');
            }
            s
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Appends the first [`LIST_MAX`] entries, one a line, and how many more.
fn list(message: &mut String, entries: impl Iterator<Item = String>) {
    let entries: Vec<String> = entries.collect();
    for e in entries.iter().take(LIST_MAX) {
        message.push_str("\n- ");
        message.push_str(e);
    }
    if entries.len() > LIST_MAX {
        message.push_str(&format!("\n- and {} more", entries.len() - LIST_MAX));
    }
}

/// Writes [`annotations`] one a line.
pub fn write_annotations(
    report: &Report,
    lockfiles: &[LockfileText],
    out: &mut dyn Write,
) -> io::Result<()> {
    write_annotations_within(report, lockfiles, MAX_PER_LEVEL, out)
}

/// Writes [`annotations_within`] one a line.
pub fn write_annotations_within(
    report: &Report,
    lockfiles: &[LockfileText],
    max: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    for a in annotations_within(report, lockfiles, max) {
        writeln!(out, "{a}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a: b, c%"), "a%3A b%2C c%25");
        let a = Annotation {
            level: AnnotationLevel::Error,
            file: Some("Cargo.lock".into()),
            line: Some(12),
            title: "brk 1.2.0 -> 1.3.0: 1 semver violation".into(),
            message: "line one\nline two".into(),
        };
        assert_eq!(
            a.to_string(),
            "::error file=Cargo.lock,line=12,title=brk 1.2.0 -> 1.3.0%3A 1 semver violation::line one%0Aline two"
        );
    }

    #[test]
    fn a_reason_and_what_to_do_read_as_two_sentences() {
        assert_eq!(
            sentences(&[
                "certificates come from here",
                "no contract test is bound to rule `x`: bind one",
            ]),
            "Certificates come from here. No contract test is bound to rule `x`: bind one."
        );
        assert_eq!(
            sentences(&["Done.", " ", "`code` first"]),
            "Done. `code` first."
        );
    }

    #[test]
    fn the_line_is_the_version_line_of_the_matching_entry() {
        let lock = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"b\"\nversion = \"0.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        assert_eq!(lockfile_line(lock, "a", "1.0.0"), Some(5));
        assert_eq!(lockfile_line(lock, "b", "0.2.0"), Some(13));
        assert_eq!(lockfile_line(lock, "b", "0.3.0"), None);
        // The top-level `version = 3` is not a package.
        assert_eq!(lockfile_line(lock, "", "3"), None);
    }
}
