//! What a run shows while it works: a progress bar on stderr while crates
//! are fetched and analysed (only when stderr is a terminal, and only for
//! several crates), and with `--verbose` one line per stage and per crate,
//! with timings. The pipeline ([`crate::check`]) reports to a [`Progress`];
//! it never prints by itself.

use crate::report::{AnalysisStatus, CrateReport, plural, version_pair};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where the pipeline reports how far it got. Every method does nothing by
/// default; calls may come from several threads at once.
pub trait Progress: Sync {
    /// A stage of the run is done; `what` says what it found.
    fn stage(&self, _what: &str) {}
    /// `total` crates are about to be fetched and analysed.
    fn crates_started(&self, _total: usize) {}
    /// Work on one crate begins (`label`: name and versions).
    fn crate_started(&self, _label: &str) {}
    /// One step of a crate (`fetched both versions`) took `took`.
    fn crate_step(&self, _label: &str, _step: &str, _took: Duration) {}
    /// A crate is done; `c` is its finished report entry.
    fn crate_done(&self, _c: &CrateReport, _took: Duration) {}
    /// Every crate is done.
    fn crates_finished(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}

/// Fewest crates for which a bar is drawn: below, it would only flicker.
const BAR_MIN: usize = 3;

/// The terminal's view: a bar and, when verbose, timed lines on stderr.
pub struct Terminal {
    verbose: bool,
    allow_bar: bool,
    start: Instant,
    crates_start: Mutex<Option<Instant>>,
    bar: Mutex<Option<ProgressBar>>,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Terminal {
    /// `quiet` shows nothing at all; otherwise a bar when stderr is a
    /// terminal, and lines when `verbose`.
    pub fn new(verbose: bool, quiet: bool) -> Self {
        Terminal {
            verbose: verbose && !quiet,
            allow_bar: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
            crates_start: Mutex::new(None),
            bar: Mutex::new(None),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
        }
    }

    /// Prints `text` as one verbose line, above the bar when there is one.
    fn line(&self, text: &str) {
        if !self.verbose {
            return;
        }
        let line = format!(
            "bumpguard: [{:.2}s] {text}",
            self.start.elapsed().as_secs_f64()
        );
        let bar = self.bar.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// One line saying what a finished crate entry holds.
fn outcome(c: &CrateReport) -> String {
    match c.analysis.status {
        AnalysisStatus::Analysed | AnalysisStatus::Partial => {
            let mut s = format!(
                "{} API change{} ({} violation{}), {} behaviour, {} manifest",
                c.changes.len(),
                plural(c.changes.len()),
                c.violations,
                plural(c.violations),
                c.behavior.len(),
                c.manifest.len()
            );
            if c.analysis.status == AnalysisStatus::Partial {
                s.push_str(&format!(
                    "; incomplete: {} source problem{}",
                    c.problems.len(),
                    plural(c.problems.len())
                ));
            }
            s
        }
        _ => c
            .analysis
            .reason
            .clone()
            .unwrap_or_else(|| "nothing to compare".to_string()),
    }
}

impl Progress for Terminal {
    fn stage(&self, what: &str) {
        self.line(what);
    }

    fn crates_started(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        if let Ok(mut t) = self.crates_start.lock() {
            *t = Some(Instant::now());
        }
        self.line(&format!(
            "fetching and analysing {total} package change{}",
            plural(total)
        ));
        if self.allow_bar && total >= BAR_MIN {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{prefix} [{bar:25}] {pos}/{len} {wide_msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix("bumpguard: analysing");
            bar.enable_steady_tick(Duration::from_millis(200));
            if let Ok(mut b) = self.bar.lock() {
                *b = Some(bar);
            }
        }
    }

    fn crate_started(&self, label: &str) {
        if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
            bar.set_message(label.to_string());
        }
    }

    fn crate_step(&self, label: &str, step: &str, took: Duration) {
        self.line(&format!("{label}: {step} in {}", seconds(took)));
    }

    fn crate_done(&self, c: &CrateReport, took: Duration) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        let label = format!("{} {}", c.name, version_pair(c));
        self.line(&format!(
            "({n}/{total}) {label}: done in {}: {}",
            seconds(took),
            outcome(c)
        ));
        if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
            bar.inc(1);
        }
    }

    fn crates_finished(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
        let took = self
            .crates_start
            .lock()
            .ok()
            .and_then(|t| *t)
            .map(|t| t.elapsed())
            .unwrap_or_default();
        let total = self.total.load(Ordering::Relaxed);
        self.line(&format!(
            "analysis done: {total} package change{} in {}",
            plural(total),
            seconds(took)
        ));
    }
}
