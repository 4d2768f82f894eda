//! Prints timings of the pipeline's stages: `cargo bench --bench pipeline`.
//!
//! - `diff ic-bn-lib 0.1.4 0.1.10` cold (empty cache: index lookup, two
//!   downloads, checksum, extraction, two API surfaces, diff) and warm
//!   (everything from bumpguard's cache); needs crates.io, skipped with
//!   BUMPGUARD_OFFLINE=1;
//! - the same for tokio 1.38.0 -> 1.40.0, a large crate;
//! - the syn engine alone on the fixture pairs;
//! - lockfile parse + diff on this repository's own Cargo.lock.

use bumpguard::api::syn_engine;
use bumpguard::check;
use bumpguard::lockdiff;
use bumpguard::source::SourceSettings;
use std::path::Path;
use std::time::{Duration, Instant};

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "{label:<55} min {:>9.2} ms   median {:>9.2} ms   ({} runs)",
        samples[0].as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        samples.len()
    );
}

fn main() {
    let offline = std::env::var("BUMPGUARD_OFFLINE")
        .is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false" | "no"));
    if offline {
        println!("skipping diff ic-bn-lib: it needs crates.io and BUMPGUARD_OFFLINE=1 is set");
    } else {
        let cache = tempfile::tempdir().expect("tempdir");
        let mut settings = SourceSettings::from_env();
        settings.cache_dir = cache.path().to_path_buf();
        // Cold means cold: do not borrow archives from cargo's cache either.
        settings.cargo_home = None;
        let (report, cold) =
            time(|| check::run_diff_published("ic-bn-lib", "0.1.4", "0.1.10", &settings));
        let report = report.expect("diff ic-bn-lib");
        println!(
            "diff ic-bn-lib 0.1.4 0.1.10, cold cache                  {:>9.2} ms   ({} API changes, {} violations)",
            cold.as_secs_f64() * 1e3,
            report.crates[0].changes.len(),
            report.crates[0].violations
        );
        let warm = (0..10)
            .map(|_| {
                time(|| check::run_diff_published("ic-bn-lib", "0.1.4", "0.1.10", &settings)).1
            })
            .collect();
        summary("diff ic-bn-lib 0.1.4 0.1.10, warm cache", warm);

        // A large crate: tokio (about 300 source files per version).
        let (report, cold) =
            time(|| check::run_diff_published("tokio", "1.38.0", "1.40.0", &settings));
        let report = report.expect("diff tokio");
        let c = &report.crates[0];
        println!(
            "diff tokio 1.38.0 1.40.0, cold cache                     {:>9.2} ms   ({} API changes, {} violations, {} behaviour findings)",
            cold.as_secs_f64() * 1e3,
            c.changes.len(),
            c.violations,
            c.behavior.len()
        );
        let warm = (0..3)
            .map(|_| time(|| check::run_diff_published("tokio", "1.38.0", "1.40.0", &settings)).1)
            .collect();
        summary("diff tokio 1.38.0 1.40.0, warm cache", warm);
    }

    let pairs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pairs");
    let mut dirs: Vec<_> = std::fs::read_dir(&pairs)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .flat_map(|e| [e.path().join("old"), e.path().join("new")])
        .collect();
    dirs.sort();
    let samples = (0..20)
        .map(|_| {
            time(|| {
                for d in &dirs {
                    syn_engine::surface_from_dir(d).expect("surface");
                }
            })
            .1
        })
        .collect();
    summary(
        &format!("syn engine, {} fixture crates", dirs.len()),
        samples,
    );

    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let text = std::fs::read_to_string(&lock_path).expect("Cargo.lock");
    let samples = (0..50)
        .map(|_| {
            time(|| {
                let a = lockdiff::parse_lockfile(&text, "Cargo.lock").expect("parse");
                let b = lockdiff::parse_lockfile(&text, "Cargo.lock").expect("parse");
                lockdiff::diff(&a, &b, None)
            })
            .1
        })
        .collect();
    let n = lockdiff::parse_lockfile(&text, "Cargo.lock")
        .map(|l| l.packages.len())
        .unwrap_or(0);
    summary(
        &format!("parse 2 x Cargo.lock ({n} packages) + diff"),
        samples,
    );
}
