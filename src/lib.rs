//! bumpguard: guards dependency upgrades.
//!
//! The pipeline, one module per stage (data flows one way):
//!
//! ```text
//! revision ─> lockdiff ─> [Bump] ─> source ─> old/new trees ─> api ─> ApiSurface x2 ─> semver_check ─> [ApiChange] ─┐
//!                                                  │                  └─> behavior ──> [BehaviorChange] ─────────────┼─> report
//!                                                  └─> manifest_diff ──────────────> [ManifestChange] ───────────────┘
//! ```
//!
//! [`check::run_check`], [`check::run_diff_published`], [`check::run_diff_dirs`]
//! and [`check::run_api`] wire the stages together; `main.rs` only parses
//! arguments and maps the outcome to an exit code.

pub mod accept;
pub mod api;
pub mod behavior;
pub mod callsites;
pub mod check;
pub mod config;
pub mod contracts;
pub mod gate;
pub mod hook;
pub mod init;
pub mod lockdiff;
pub mod manifest_diff;
pub mod progress;
pub mod report;
pub mod report_annotations;
pub mod report_markdown;
pub mod report_sarif;
pub mod revision;
pub mod rules;
pub mod semver_check;
pub mod source;
pub mod toml_read;
pub mod versions;
pub mod workspace;
