//! The gate: critical-module rules, contract tests and acceptances applied
//! to an analysed [`Report`].
//!
//! For every crate and every rule in force, the rule's evidence (the
//! changes that trigger it) is collected. A triggered rule is one finding
//! with an id and a digest of its evidence; a critical one blocks until the
//! contracts bound to it pass on the head revision, or until a person
//! accepts that exact finding (same crate, version pair, code and evidence
//! digest) in `bumpguard.toml`. Semver violations get ids too, so they can
//! be accepted the same way.

use crate::config::{Acceptance, Config, ContractBinding, ContractTarget};
use crate::report::{CrateReport, Report};
use crate::rules::{self, Evidence, Rule, RuleSeverity};
use crate::semver_check;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A rule that triggered on one crate's bump.
#[derive(Debug, Clone, Serialize)]
pub struct RuleHit {
    pub rule: String,
    pub severity: RuleSeverity,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// `built-in` or the file the rule came from.
    pub origin: String,
    /// Id for `bumpguard accept` (`bg-` and 10 hex digits).
    pub finding: String,
    /// `sha256:` of the evidence: an acceptance covers exactly this.
    pub digest: String,
    /// The changes that triggered the rule.
    pub evidence: Vec<Evidence>,
    /// The contracts bound to the rule and what became of them.
    pub contracts: Vec<ContractOutcome>,
    pub status: HitStatus,
    /// Whether this hit keeps the change from merging.
    pub blocks: bool,
    /// What to do to unblock (or why nothing is needed).
    pub next: String,
    /// When no contract is bound: a binding and a test to start from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
    /// Where the acceptance that covers this hit is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// Places in the repository's code that name the triggering items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_sites: Vec<crate::callsites::CallSite>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HitStatus {
    /// Every bound contract ran and passed.
    Proven,
    /// A person accepted this exact change.
    Accepted,
    /// No contract is bound to the rule.
    NoContract,
    /// A bound contract failed, ran no test, timed out or could not start.
    ContractFailed,
    /// Contracts are bound but were not run (`--no-run-contracts`, `audit`).
    NotRun,
    /// A warning rule: reported only.
    Reported,
}

/// A ready-to-paste contract binding and test skeleton.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub binding: String,
    pub test_file: String,
    pub test: String,
}

/// One contract bound to a hit, and its run.
#[derive(Debug, Clone, Serialize)]
pub struct ContractOutcome {
    /// Where the binding is written (`bumpguard.toml:14`).
    pub at: String,
    /// The command, as a person would type it.
    pub command: String,
    pub status: ContractState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub passed: u32,
    pub failed: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_tests: Vec<String>,
    pub duration_ms: u64,
    /// The end of the output, for failures.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_tail: String,
    /// The folder it runs in, relative to the repository root (its
    /// workspace's); empty at the root.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Tests the selection matched that are `#[ignore]`d.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_tests: Vec<String>,
}

impl ContractOutcome {
    /// Its state in words, as reports show it: `no test matched` is
    /// `matched only ignored tests` when ignored tests were all it matched.
    pub fn label(&self) -> &'static str {
        if self.status == ContractState::NoTestsRan && !self.ignored_tests.is_empty() {
            "matched only ignored tests"
        } else {
            self.status.words()
        }
    }

    /// `` `cargo test -p svc` `` with ` in `services/svc`` when it runs
    /// elsewhere than at the repository root.
    pub fn shown_command(&self) -> String {
        if self.dir.is_empty() {
            format!("`{}`", self.command)
        } else {
            format!("`{}` in `{}`", self.command, self.dir)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContractState {
    Passed,
    Failed,
    NoTestsRan,
    TimedOut,
    Error,
    NotRun,
}

impl ContractState {
    pub fn words(self) -> &'static str {
        match self {
            ContractState::Passed => "passed",
            ContractState::Failed => "failed",
            ContractState::NoTestsRan => "no test matched",
            ContractState::TimedOut => "timed out",
            ContractState::Error => "could not run",
            ContractState::NotRun => "not run",
        }
    }
}

/// An acceptance in `bumpguard.toml` that matched nothing in this run.
#[derive(Debug, Clone, Serialize)]
pub struct StaleAcceptance {
    pub finding: String,
    #[serde(rename = "crate")]
    pub krate: String,
    pub old: String,
    pub new: String,
    pub code: String,
    pub at: String,
    pub why: String,
}

/// How contracts are handled in this run.
pub enum Contracts<'a> {
    /// Run bound contracts (each binding at most once per workspace and
    /// run); the second argument is the folder of the crate's lockfile,
    /// relative to the repository root (`""` at the root).
    Run(&'a dyn Fn(&ContractBinding, &str) -> ContractOutcome),
    /// Say what would run, and why not (the first argument); the second
    /// gives each binding's command exactly as `Run` would run it.
    /// Triggered critical rules stay blocking.
    WouldRun(&'a str, &'a dyn Fn(&ContractBinding, &str) -> String),
    /// No repository to prove anything in (`diff`): hits are reported, never blocking.
    NotApplicable,
}

/// One workspace of the repository at the head revision: the folder of
/// its `Cargo.lock` (relative to the root, `""` at the root) and its
/// members (`None` when they could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub dir: String,
    pub members: Option<Vec<String>>,
}

/// Where a binding runs for a hit in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// In the hit's workspace.
    Here,
    /// Not for this hit: the binding belongs to another workspace.
    Elsewhere,
    /// In no workspace of the repository: why, in words.
    Nowhere(String),
}

/// `""` shown as the repository root.
fn dir_label(dir: &str) -> String {
    if dir.is_empty() {
        "the repository root".to_string()
    } else {
        format!("`{dir}`")
    }
}

fn workspace_list(workspaces: &[Workspace]) -> String {
    workspaces
        .iter()
        .map(|w| {
            let members = match &w.members {
                Some(m) if !m.is_empty() => m.join(", "),
                Some(_) => "no members".to_string(),
                None => "members unknown".to_string(),
            };
            format!(
                "{} ({members})",
                if w.dir.is_empty() {
                    "."
                } else {
                    w.dir.as_str()
                }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where binding `b` runs for a hit in the workspace at `dir`. With
/// `workspace = ".."` it runs there only; a cargo-test contract with a
/// `package` runs in the workspaces that have that package as a member;
/// anything else runs where its rule triggered. `None` workspaces (not
/// known, as in unit uses of [`apply`]): where its rule triggered.
fn place(b: &ContractBinding, dir: &str, workspaces: Option<&[Workspace]>) -> Place {
    let Some(workspaces) = workspaces else {
        return Place::Here;
    };
    let package = match &b.target {
        ContractTarget::CargoTest { package, .. } => package.as_deref(),
        ContractTarget::Command(_) => None,
    };
    let has = |w: &Workspace, p: &str| w.members.as_ref().is_none_or(|m| m.iter().any(|x| x == p));
    if let Some(want) = &b.workspace {
        let Some(w) = workspaces.iter().find(|w| w.dir == *want) else {
            return Place::Nowhere(format!(
                "`workspace = \"{}\"` names a folder with no Cargo.lock at the head revision (workspaces: {}); fix `workspace`",
                if want.is_empty() { "." } else { want.as_str() },
                workspace_list(workspaces)
            ));
        };
        if let Some(p) = package
            && !has(w, p)
        {
            return Place::Nowhere(format!(
                "package `{p}` is not a member of the workspace at {} (workspaces: {}); fix `package` or `workspace`",
                dir_label(want),
                workspace_list(workspaces)
            ));
        }
        return if *want == dir {
            Place::Here
        } else {
            Place::Elsewhere
        };
    }
    let Some(p) = package else {
        return Place::Here;
    };
    // A hit in a workspace bumpguard knows nothing about: run it there.
    if !workspaces.iter().any(|w| w.dir == dir) {
        return Place::Here;
    }
    let holding: Vec<&Workspace> = workspaces.iter().filter(|w| has(w, p)).collect();
    if holding.iter().any(|w| w.dir == dir) {
        Place::Here
    } else if holding.is_empty() {
        Place::Nowhere(format!(
            "package `{p}` is in no workspace of the repository at the head revision (workspaces: {}); fix `package`, or set `workspace`",
            workspace_list(workspaces)
        ))
    } else {
        Place::Elsewhere
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `sha256:` of a list of evidence, independent of its order.
pub fn digest(evidence: &[Evidence]) -> String {
    let mut lines: Vec<String> = evidence
        .iter()
        .map(|e| {
            format!(
                "{}\u{1f}{}\u{1f}{}\u{1f}{}",
                e.kind, e.code, e.subject, e.detail
            )
        })
        .collect();
    lines.sort();
    format!("sha256:{}", sha256_hex(&lines.join("\u{1e}")))
}

/// The id of a finding: what it is about and its evidence digest.
pub fn finding_id(krate: &str, old: &str, new: &str, code: &str, digest: &str) -> String {
    let h = sha256_hex(&format!(
        "{krate}\u{1f}{old}\u{1f}{new}\u{1f}{code}\u{1f}{digest}"
    ));
    format!("bg-{}", &h[..10])
}

fn versions(c: &CrateReport) -> (String, String) {
    (
        c.old_version.clone().unwrap_or_default(),
        c.new_version.clone().unwrap_or_default(),
    )
}

/// A finding of this run that `bumpguard accept` can accept.
#[derive(Debug, Clone)]
pub struct Acceptable {
    pub finding: String,
    pub krate: String,
    pub old: String,
    pub new: String,
    pub code: String,
    pub digest: String,
    /// One line for listings.
    pub summary: String,
}

/// Every acceptable finding of a report (after [`apply`]): rule hits and
/// semver violations, accepted or not.
pub fn acceptables(report: &Report) -> Vec<Acceptable> {
    let mut out = Vec::new();
    for c in &report.crates {
        let (old, new) = versions(c);
        for h in &c.rules {
            out.push(Acceptable {
                finding: h.finding.clone(),
                krate: c.name.clone(),
                old: old.clone(),
                new: new.clone(),
                code: format!("rule:{}", h.rule),
                digest: h.digest.clone(),
                summary: format!(
                    "{} {old} -> {new}: rule {} triggered ({} change(s))",
                    c.name,
                    h.rule,
                    h.evidence.len()
                ),
            });
        }
        for a in c.changes.iter().filter(|a| a.finding.is_some()) {
            let e = rules::api_evidence(a);
            out.push(Acceptable {
                finding: a.finding.clone().unwrap_or_default(),
                krate: c.name.clone(),
                old: old.clone(),
                new: new.clone(),
                code: a.code.to_string(),
                digest: digest(std::slice::from_ref(&e)),
                summary: format!(
                    "{} {old} -> {new}: semver violation {} at {}",
                    c.name, a.code, a.path
                ),
            });
        }
    }
    out
}

/// Applies rules, contracts and acceptances to `report` and decides the
/// verdict under the configuration's policy. Besides `rules`, every
/// `[[contract]]` bound by crate (and patterns) acts as a critical rule of
/// its own ([`crate::config::implicit_rules`]) when no critical rule it
/// attaches to triggered: changes in its scope still require it.
pub fn apply(report: &mut Report, rules: &[Rule], cfg: &Config, contracts: Contracts<'_>) {
    apply_in(report, rules, cfg, contracts, None);
}

/// [`apply`] in a repository whose workspaces are known: a binding runs
/// only in the workspaces it belongs to (its `workspace`, or those that
/// have its `package` as a member), and one that belongs to none is an
/// error of its own rather than a cargo failure in every workspace.
pub fn apply_in(
    report: &mut Report,
    rules: &[Rule],
    cfg: &Config,
    contracts: Contracts<'_>,
    workspaces: Option<&[Workspace]>,
) {
    let implicit = crate::config::implicit_rules(cfg);
    let accept_args = report.accept_args.clone();
    let mut g = Gate {
        cfg,
        accept_args: &accept_args,
        contracts,
        used: vec![false; cfg.accepts.len()],
        runs: BTreeMap::new(),
    };

    for c in &mut report.crates {
        let (old, new) = versions(c);
        c.violations = semver_check::apply_policy(&mut c.changes, c.allows, &cfg.policy.api);
        // Violations get ids; accepted ones stop counting.
        for a in c.changes.iter_mut().filter(|a| a.violation) {
            let d = digest(&[rules::api_evidence(a)]);
            let id = finding_id(&c.name, &old, &new, a.code, &d);
            a.finding = Some(id);
            if let Some(acc) = g.acceptance(&c.name, &old, &new, a.code, &d) {
                a.accepted = Some(acc);
                a.violation = false;
            }
        }
        c.violations = c.changes.iter().filter(|a| a.violation).count();

        let mut hits = Vec::new();
        let dir = workspace_dir(c);
        let places: Vec<Place> = cfg
            .contracts
            .iter()
            .map(|b| place(b, &dir, workspaces))
            .collect();
        let belongs = |i: usize| places[i] != Place::Elsewhere;
        // Bindings that a triggered critical rule already runs.
        let mut attached: BTreeSet<usize> = BTreeSet::new();
        for rule in rules {
            let evidence = rule.evidence(c);
            if evidence.is_empty() {
                continue;
            }
            let bound: Vec<(usize, &ContractBinding)> = cfg
                .contracts
                .iter()
                .enumerate()
                .filter(|(i, b)| belongs(*i) && binds(b, rule, c, &evidence))
                .collect();
            if rule.severity == RuleSeverity::Critical {
                attached.extend(bound.iter().map(|(i, _)| *i));
            }
            hits.push(g.hit(c, rule, evidence, &bound, &places));
        }
        for rule in implicit.iter().filter(|r| r.krate == c.name) {
            let group: Vec<(usize, &ContractBinding)> = cfg
                .contracts
                .iter()
                .enumerate()
                .filter(|(i, b)| {
                    belongs(*i) && crate::config::implicit_rule_id(b).as_deref() == Some(&rule.id)
                })
                .collect();
            // Empty: its bindings all belong to other workspaces.
            if group.iter().all(|(i, _)| attached.contains(i)) {
                continue;
            }
            let evidence = rule.evidence(c);
            if evidence.is_empty() {
                continue;
            }
            hits.push(g.hit(c, rule, evidence, &group, &places));
        }
        c.rules = hits;
    }

    report.stale_acceptances = cfg
        .accepts
        .iter()
        .zip(&g.used)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| StaleAcceptance {
            finding: a.finding.clone(),
            krate: a.krate.clone(),
            old: a.old.clone(),
            new: a.new.clone(),
            code: a.code.clone(),
            at: a.at.clone(),
            why: stale_reason(&report.crates, a),
        })
        .collect();
    report.decide_with(&cfg.policy);
}

/// What [`apply`] carries from hit to hit: which acceptances matched, and
/// the contracts already run (each binding once per workspace and run).
struct Gate<'a> {
    cfg: &'a Config,
    /// The run's revision options, for the accept commands it suggests.
    accept_args: &'a str,
    contracts: Contracts<'a>,
    used: Vec<bool>,
    runs: BTreeMap<(usize, String), ContractOutcome>,
}

impl Gate<'_> {
    /// The acceptance of this exact finding, marked as used: where it is written.
    fn acceptance(
        &mut self,
        krate: &str,
        old: &str,
        new: &str,
        code: &str,
        digest: &str,
    ) -> Option<String> {
        let i = self.cfg.accepts.iter().position(|a| {
            a.krate == krate && a.old == old && a.new == new && a.code == code && a.digest == digest
        })?;
        self.used[i] = true;
        Some(self.cfg.accepts[i].at.clone())
    }

    /// One triggered rule: its finding, the acceptance or the contracts
    /// bound to it (run, or described), and what it means for the verdict.
    fn hit(
        &mut self,
        c: &CrateReport,
        rule: &Rule,
        evidence: Vec<Evidence>,
        bound: &[(usize, &ContractBinding)],
        places: &[Place],
    ) -> RuleHit {
        let (old, new) = versions(c);
        let d = digest(&evidence);
        let code = format!("rule:{}", rule.id);
        let finding = finding_id(&c.name, &old, &new, &code, &d);
        let accepted = self.acceptance(&c.name, &old, &new, &code, &d);
        let mut hit = RuleHit {
            rule: rule.id.clone(),
            severity: rule.severity,
            reason: rule.reason.clone(),
            reference: rule.reference.clone(),
            origin: rule.origin.to_string(),
            finding,
            digest: d,
            evidence,
            contracts: Vec::new(),
            status: HitStatus::Reported,
            blocks: false,
            next: String::new(),
            suggestion: None,
            accepted,
            call_sites: Vec::new(),
        };
        // Accepted hits need no proof; everything else runs what is bound.
        if hit.accepted.is_none() {
            let dir = workspace_dir(c);
            for (i, b) in bound {
                if let Some(Place::Nowhere(why)) = places.get(*i) {
                    hit.contracts.push(nowhere(b, why));
                    continue;
                }
                let outcome = match &self.contracts {
                    Contracts::Run(run) => self
                        .runs
                        .entry((*i, dir.clone()))
                        .or_insert_with(|| run(b, &dir))
                        .clone(),
                    Contracts::WouldRun(why, command) => not_run(b, why, command(b, &dir)),
                    Contracts::NotApplicable => {
                        not_run(b, "contracts run in `bumpguard check`", describe(b))
                    }
                };
                hit.contracts.push(ContractOutcome {
                    dir: dir.clone(),
                    ..outcome
                });
            }
        }
        let bindings: Vec<&ContractBinding> = bound.iter().map(|(_, b)| *b).collect();
        decide_hit(
            &mut hit,
            self.accept_args,
            c,
            rule,
            self.cfg,
            &self.contracts,
            &bindings,
        );
        hit
    }
}

fn stale_reason(crates: &[CrateReport], a: &Acceptance) -> String {
    let same_pair = crates.iter().any(|c| {
        c.name == a.krate
            && c.old_version.as_deref() == Some(a.old.as_str())
            && c.new_version.as_deref() == Some(a.new.as_str())
    });
    if same_pair {
        format!(
            "{} {} -> {} is in this change, but no {} finding with that evidence: the change is not the one that was accepted; review it and accept again, or remove the entry",
            a.krate, a.old, a.new, a.code
        )
    } else if crates.iter().any(|c| c.name == a.krate) {
        format!(
            "{} moves between other versions in this change: the acceptance covers {} -> {} only",
            a.krate, a.old, a.new
        )
    } else {
        format!(
            "{} {} -> {} is not part of this change; remove the entry once it has merged",
            a.krate, a.old, a.new
        )
    }
}

/// The folder of the crate's lockfile: where its workspace's tests run.
fn workspace_dir(c: &CrateReport) -> String {
    c.lockfile
        .as_deref()
        .and_then(|l| l.rsplit_once('/').map(|(d, _)| d.to_string()))
        .unwrap_or_default()
}

/// A binding that belongs to no workspace: it cannot run anywhere.
fn nowhere(b: &ContractBinding, why: &str) -> ContractOutcome {
    ContractOutcome {
        status: ContractState::Error,
        ..not_run(b, why, describe(b))
    }
}

fn not_run(b: &ContractBinding, why: &str, command: String) -> ContractOutcome {
    ContractOutcome {
        at: b.at.clone(),
        command,
        status: ContractState::NotRun,
        detail: Some(why.to_string()),
        passed: 0,
        failed: 0,
        failed_tests: Vec::new(),
        duration_ms: 0,
        output_tail: String::new(),
        dir: String::new(),
        ignored_tests: Vec::new(),
    }
}

/// The command of a binding as a person would type it, with cargo test as
/// the runner (where nothing decides the runner: `diff`, or a run that
/// could not start). `check` shows the exact command instead.
pub fn describe(b: &ContractBinding) -> String {
    match &b.target {
        ContractTarget::Command(cmd) => crate::contracts::shell_words(cmd),
        ContractTarget::CargoTest {
            package,
            test,
            filter,
            exact,
        } => crate::contracts::shell_words(&crate::contracts::cargo_test_args(
            crate::contracts::Runner::Cargo,
            package.as_deref(),
            test.as_deref(),
            filter.as_deref(),
            *exact,
            false,
            false,
        )),
    }
}

/// Is `b` bound to this hit: by the rule's id, or by crate (and, when it
/// lists paths, one of the triggering items by any of its paths)?
fn binds(b: &ContractBinding, rule: &Rule, c: &CrateReport, evidence: &[Evidence]) -> bool {
    if let Some(id) = &b.rule {
        return *id == rule.id;
    }
    if b.krate.as_deref() != Some(c.name.as_str()) {
        return false;
    }
    if b.paths.is_empty() {
        return true;
    }
    let probe = Rule {
        paths: b.paths.clone(),
        ..rule.clone()
    };
    evidence
        .iter()
        .any(|e| e.kind != "manifest" && probe.matches_any(&e.subject, &e.paths))
}

/// What to do about one contract that did not pass, with what it said.
fn contract_next(
    o: &ContractOutcome,
    b: Option<&ContractBinding>,
    cfg: &Config,
    accept: &str,
) -> String {
    let head = format!("contract {} ({})", o.shown_command(), o.at);
    match o.status {
        ContractState::Failed => {
            let command = matches!(b.map(|b| &b.target), Some(ContractTarget::Command(_)));
            let what = if command {
                format!(
                    "the command {}; its output is in the report",
                    o.detail.as_deref().unwrap_or("exited with an error")
                )
            } else if !o.failed_tests.is_empty() {
                format!(
                    "{} test{} failed: {}",
                    o.failed_tests.len(),
                    crate::report::plural(o.failed_tests.len()),
                    o.failed_tests.join(", ")
                )
            } else if o.failed > 0 {
                format!(
                    "{} test{} failed",
                    o.failed,
                    crate::report::plural(o.failed as usize)
                )
            } else {
                "no test failed, so the tests did not build or cargo stopped; its output is in the report"
                    .to_string()
            };
            if accept.is_empty() {
                format!("{head} failed ({what})")
            } else {
                format!(
                    "{head} failed ({what}): fix the code or the dependency until it passes, or, if the new behaviour is intended, run `{accept}`"
                )
            }
        }
        ContractState::TimedOut => {
            let (secs, whose) = match b.and_then(|b| b.timeout) {
                Some(t) => (t.as_secs(), "its own `timeout`"),
                None => (
                    cfg.policy.contract_timeout.as_secs(),
                    "[policy] contract-timeout",
                ),
            };
            let running = o
                .detail
                .as_deref()
                .and_then(|d| d.split_once(", while running "))
                .map(|(_, what)| format!(" while running {what}"))
                .unwrap_or_default();
            format!(
                "{head} timed out: it was stopped after {secs} s ({whose}){running}; if it needs longer, raise `timeout = <seconds>` in the [[contract]] at {}, else find what hangs",
                o.at
            )
        }
        ContractState::NoTestsRan if !o.ignored_tests.is_empty() => format!(
            "{head} matched only ignored tests (`#[ignore]`: {}): a contract must run its tests; remove `#[ignore]` from the contract tests, or change `filter` in the [[contract]] at {} to select tests that run (`-- --include-ignored` runs ignored tests by hand)",
            o.ignored_tests.join(", "),
            o.at
        ),
        ContractState::NoTestsRan => {
            let selector = match b.map(|b| &b.target) {
                Some(ContractTarget::CargoTest {
                    package,
                    test,
                    filter,
                    exact,
                }) => {
                    let mut parts = Vec::new();
                    let mut list = vec!["cargo".to_string(), "test".to_string()];
                    if let Some(p) = package {
                        parts.push(format!("package `{p}`"));
                        list.extend(["-p".to_string(), p.clone()]);
                    }
                    if let Some(t) = test {
                        parts.push(format!("test target `{t}`"));
                        list.extend(["--test".to_string(), t.clone()]);
                    }
                    if let Some(f) = filter {
                        parts.push(if *exact {
                            format!("exact name `{f}`")
                        } else {
                            format!("filter `{f}`")
                        });
                    }
                    list.extend(["--".to_string(), "--list".to_string()]);
                    format!(
                        " with {}; `{}` lists the tests there are",
                        parts.join(", "),
                        crate::contracts::shell_words(&list)
                    )
                }
                _ => String::new(),
            };
            format!(
                "{head}: no test matched the selector{selector}; fix `package`, `test` or `filter` in the [[contract]] at {} so that it selects the contract test (a contract that runs no test proves nothing)",
                o.at
            )
        }
        ContractState::Error => {
            let detail = o.detail.as_deref().unwrap_or("no reason given");
            // What to do follows what is wrong: a program to install, the
            // lockfile to update (the text says how), or the binding.
            let next = if detail.contains("not found") || detail.contains("not installed") {
                format!("install what it needs, or fix the [[contract]] at {}", o.at)
            } else if detail.starts_with("Cargo.lock needs updating") {
                "then run the check again".to_string()
            } else {
                format!("fix the [[contract]] at {}", o.at)
            };
            format!("{head} could not run: {detail}; {next}")
        }
        ContractState::Passed | ContractState::NotRun => format!("{head} {}", o.status.words()),
    }
}

fn decide_hit(
    hit: &mut RuleHit,
    accept_args: &str,
    c: &CrateReport,
    rule: &Rule,
    cfg: &Config,
    contracts: &Contracts<'_>,
    bound: &[&ContractBinding],
) {
    let critical = rule.severity == RuleSeverity::Critical;
    if let Some(at) = &hit.accepted {
        hit.status = HitStatus::Accepted;
        hit.next = format!("accepted in {at}");
        return;
    }
    let accept_cmd = crate::report::accept_command(accept_args, &hit.finding);
    // A warning rule is never accepted: its texts do not offer it.
    let accept = if critical { accept_cmd.as_str() } else { "" };
    let failing: Vec<String> = hit
        .contracts
        .iter()
        .filter(|o| !matches!(o.status, ContractState::Passed | ContractState::NotRun))
        .map(|o| {
            let b = bound.iter().copied().find(|b| b.at == o.at);
            contract_next(o, b, cfg, accept)
        })
        .collect();
    let any_failed = hit
        .contracts
        .iter()
        .any(|o| o.status == ContractState::Failed);
    if matches!(contracts, Contracts::NotApplicable) {
        hit.status = if critical {
            HitStatus::NotRun
        } else {
            HitStatus::Reported
        };
        hit.next = if critical {
            "in a repository, `bumpguard check` requires the contracts bound to this rule to pass"
                .to_string()
        } else {
            "reported only (warning rule)".to_string()
        };
        return;
    }
    if !critical {
        // A warning rule reports what its contracts said; it never blocks.
        hit.status = HitStatus::Reported;
        hit.next = if failing.is_empty() {
            "reported only (warning rule)".to_string()
        } else {
            format!(
                "reported only (warning rule; a critical rule would block on this): {}",
                failing.join("; ")
            )
        };
        return;
    }
    if !failing.is_empty() {
        hit.status = HitStatus::ContractFailed;
        hit.blocks = true;
        // A failure's own text says how to accept; otherwise say it once.
        hit.next = if any_failed {
            failing.join("; ")
        } else {
            format!(
                "{}; or, if the change is fine as it is, run `{accept_cmd}`",
                failing.join("; ")
            )
        };
        return;
    }
    if hit.contracts.is_empty() {
        hit.status = HitStatus::NoContract;
        hit.blocks = true;
        let s = suggestion(rule, c);
        hit.next = format!(
            "no contract test is bound to rule `{}`: bind one in {} (see the suggestion) and make it pass, or run `{accept_cmd}`",
            rule.id,
            cfg.path.as_ref().map_or_else(
                || crate::config::FILE_NAME.to_string(),
                |p| p.display().to_string()
            )
        );
        hit.suggestion = Some(s);
        return;
    }
    let not_run: Vec<&ContractOutcome> = hit
        .contracts
        .iter()
        .filter(|o| o.status == ContractState::NotRun)
        .collect();
    if !not_run.is_empty() {
        hit.status = HitStatus::NotRun;
        hit.blocks = true;
        let commands: Vec<String> = not_run
            .iter()
            .map(|o| format!("{} ({})", o.shown_command(), o.at))
            .collect();
        hit.next = format!(
            "contracts not run ({}); `bumpguard check` runs {}, or run `{accept_cmd}`",
            not_run
                .iter()
                .find_map(|o| o.detail.clone())
                .unwrap_or_default(),
            commands.join(", ")
        );
        return;
    }
    hit.status = HitStatus::Proven;
    hit.next = "every bound contract passed on the new version".to_string();
}

fn snake(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A binding and a test skeleton for a rule that has no contract.
fn suggestion(rule: &Rule, c: &CrateReport) -> Suggestion {
    let member = c
        .chain
        .first()
        .cloned()
        .unwrap_or_else(|| "<your package>".to_string());
    let test_name = format!("{}_contract", snake(&rule.id));
    let binding = format!(
        "[[contract]]\nrule = \"{}\"\npackage = \"{member}\"\ntest = \"bumpguard_contracts\"\nfilter = \"{test_name}\"\n",
        rule.id
    );
    let lib = snake(&c.name);
    let paths: Vec<&str> = rule.paths.iter().map(|p| p.as_str()).collect();
    let test = format!(
        "// tests/bumpguard_contracts.rs in the folder of package `{member}` (next to its Cargo.toml)\n\
         // Proves what this service relies on in `{name}` ({paths}).\n\
         // Call it the way production does and assert on the outcome, not\n\
         // just that it compiles: the test must fail if the behaviour changes.\n\
         #[test]\n\
         fn {test_name}() {{\n    \
             // let value = {lib}::...;          // build it as the service does\n    \
             // assert_eq!(value, expected);     // check what the service relies on\n    \
             todo!(\"exercise {lib} the way the service does\");\n\
         }}\n",
        name = c.name,
        paths = if paths.is_empty() {
            "its files".to_string()
        } else {
            paths.join(", ")
        },
    );
    Suggestion {
        binding,
        test_file: format!(
            "tests/bumpguard_contracts.rs in the folder of package `{member}`, next to its Cargo.toml"
        ),
        test,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ItemKind;
    use crate::config::Acceptance;
    use crate::lockdiff::ChangeKind;
    use crate::report::{SCHEMA_VERSION, Verdict, VerdictStatus};
    use crate::rules::Origin;
    use crate::semver_check::ApiChange;
    use crate::versions::Level;
    use std::path::Path;

    fn change(path: &str, new_sig: &str) -> ApiChange {
        ApiChange {
            code: "item-added",
            required: Level::Minor,
            possibly_breaking: false,
            kind: ItemKind::Function,
            path: path.to_string(),
            old: None,
            new: Some(new_sig.to_string()),
            cfg: None,
            message: "added".to_string(),
            reference: "",
            violation: false,
            warning: false,
            uncertain: false,
            finding: None,
            accepted: None,
            key: path.to_string(),
            outside_features: None,
            not_in_view: false,
            engines: Vec::new(),
            file: None,
            paths: Vec::new(),
        }
    }

    fn report(changes: Vec<ApiChange>) -> Report {
        let mut c = CrateReport::blank("certlib", ChangeKind::Updated);
        c.old_version = Some("1.4.0".into());
        c.new_version = Some("1.5.0".into());
        c.changes = changes;
        Report {
            schema_version: SCHEMA_VERSION,
            tool: String::new(),
            command: "check".into(),
            base: String::new(),
            head: String::new(),
            crates: vec![c],
            notes: Vec::new(),
            stale_acceptances: Vec::new(),
            policy: Default::default(),
            verdict: Verdict {
                status: VerdictStatus::Pass,
                reasons: Vec::new(),
            },
            accept_args: String::new(),
        }
    }

    fn rule(severity: &str) -> Rule {
        crate::rules::read_rule_file(
            "r.toml",
            "certlib-acme",
            &format!("crate = \"certlib\"\npaths = [\"tls::acme::**\"]\nreason = \"certs\"\nseverity = \"{severity}\"\n"),
            Origin::Builtin,
        )
        .unwrap()
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("bumpguard.toml"), text).unwrap()
    }

    /// Applies one rule of `severity` without running contracts.
    fn would_run(r: &mut Report, severity: &str, cfg: &Config) {
        apply(
            r,
            &[rule(severity)],
            cfg,
            Contracts::WouldRun("test", &|b, _| describe(b)),
        );
    }

    fn acme() -> Vec<ApiChange> {
        vec![
            change("certlib::tls::acme::connect", "pub fn connect()"),
            change("certlib::http::get", "pub fn get()"),
        ]
    }

    #[test]
    fn only_matching_changes_are_evidence_and_no_contract_blocks() {
        let mut r = report(acme());
        would_run(&mut r, "critical", &Config::default());
        let hit = &r.crates[0].rules[0];
        assert_eq!(hit.evidence.len(), 1);
        assert_eq!(hit.evidence[0].subject, "certlib::tls::acme::connect");
        assert_eq!(hit.status, HitStatus::NoContract);
        assert!(hit.blocks);
        assert!(
            hit.suggestion
                .as_ref()
                .unwrap()
                .binding
                .contains("rule = \"certlib-acme\"")
        );
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
    }

    #[test]
    fn a_warning_rule_and_a_diff_never_block() {
        let mut r = report(acme());
        would_run(&mut r, "warning", &Config::default());
        assert!(!r.crates[0].rules[0].blocks);
        assert_eq!(r.verdict.status, VerdictStatus::Pass);
        let mut r = report(acme());
        apply(
            &mut r,
            &[rule("critical")],
            &Config::default(),
            Contracts::NotApplicable,
        );
        assert!(!r.crates[0].rules[0].blocks);
        assert_eq!(r.verdict.status, VerdictStatus::Pass);
    }

    fn outcome(state: ContractState) -> ContractOutcome {
        ContractOutcome {
            at: "bumpguard.toml:1".into(),
            command: "cargo test".into(),
            status: state,
            detail: None,
            passed: u32::from(state == ContractState::Passed),
            failed: u32::from(state == ContractState::Failed),
            failed_tests: Vec::new(),
            duration_ms: 1,
            output_tail: String::new(),
            dir: String::new(),
            ignored_tests: Vec::new(),
        }
    }

    #[test]
    fn contracts_decide_and_run_once_per_binding() {
        let cfg = config(
            "[[contract]]\nrule = \"certlib-acme\"\npackage = \"s\"\n\n[[contract]]\ncrate = \"certlib\"\npaths = [\"http::**\"]\ncommand = [\"true\"]\n",
        );
        let calls = std::cell::Cell::new(0);
        let pass = |_: &ContractBinding, _: &str| {
            calls.set(calls.get() + 1);
            outcome(ContractState::Passed)
        };
        let mut r = report(acme());
        apply(&mut r, &[rule("critical")], &cfg, Contracts::Run(&pass));
        let hit = &r.crates[0].rules[0];
        // The crate+paths binding is about http::, not the acme evidence ...
        assert_eq!(hit.contracts.len(), 1);
        assert_eq!(hit.status, HitStatus::Proven);
        // ... and http::get changed, so it proves that change on its own.
        let own = &r.crates[0].rules[1];
        assert_eq!(own.rule, "contract:certlib:http::**");
        assert_eq!(own.evidence[0].subject, "certlib::http::get");
        assert_eq!(own.status, HitStatus::Proven);
        assert_eq!(calls.get(), 2, "each binding ran once");
        assert_eq!(r.verdict.status, VerdictStatus::Pass);

        let fail = |_: &ContractBinding, _: &str| outcome(ContractState::NoTestsRan);
        let mut r = report(acme());
        apply(&mut r, &[rule("critical")], &cfg, Contracts::Run(&fail));
        assert_eq!(r.crates[0].rules[0].status, HitStatus::ContractFailed);
        assert!(
            r.verdict.reasons[0].contains("no test matched"),
            "{:?}",
            r.verdict.reasons
        );
    }

    /// A binding by crate and paths, with a command contract.
    fn pattern_binding(paths: &str) -> Config {
        config(&format!(
            "[[contract]]\ncrate = \"certlib\"\npaths = [{paths}]\ncommand = [\"sh\", \"check.sh\"]\n"
        ))
    }

    #[test]
    fn a_binding_by_pattern_requires_its_contract_with_no_rule_in_force() {
        let fail = |_: &ContractBinding, _: &str| outcome(ContractState::Failed);
        // No rule at all: the binding's own scope triggers it.
        let mut r = report(acme());
        apply(
            &mut r,
            &[],
            &pattern_binding("\"tls::**\""),
            Contracts::Run(&fail),
        );
        let hits = &r.crates[0].rules;
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].rule, "contract:certlib:tls::**");
        assert_eq!(hits[0].origin, "[[contract]] at bumpguard.toml:1");
        assert_eq!(hits[0].evidence.len(), 1);
        assert_eq!(hits[0].status, HitStatus::ContractFailed);
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
        // Nothing in its scope changed: nothing to prove.
        let mut r = report(acme());
        apply(
            &mut r,
            &[],
            &pattern_binding("\"dns::**\""),
            Contracts::Run(&fail),
        );
        assert!(r.crates[0].rules.is_empty());
        assert_eq!(r.verdict.status, VerdictStatus::Pass);
        // Attached to a critical rule that triggered: one hit, not two.
        let mut r = report(acme());
        apply(
            &mut r,
            &[rule("critical")],
            &pattern_binding("\"tls::acme::**\""),
            Contracts::Run(&fail),
        );
        assert_eq!(r.crates[0].rules.len(), 1);
        assert_eq!(r.crates[0].rules[0].rule, "certlib-acme");
        assert_eq!(r.crates[0].rules[0].contracts.len(), 1);
        // A crate-wide binding stands for every change of the crate.
        let cfg = config("[[contract]]\ncrate = \"certlib\"\ncommand = [\"true\"]\n");
        let mut r = report(acme());
        apply(&mut r, &[], &cfg, Contracts::Run(&fail));
        assert_eq!(r.crates[0].rules[0].rule, "contract:certlib");
        assert_eq!(r.crates[0].rules[0].evidence.len(), 2);
    }

    #[test]
    fn a_pattern_binding_attaches_through_any_path_of_the_evidence() {
        // The hit's evidence is shown by a root re-export; the binding names
        // the module the item is declared in.
        let mut ch = change("certlib::connect", "pub fn connect()");
        ch.file = Some("src/tls/acme.rs".into());
        ch.paths = vec![
            "certlib::connect".into(),
            "certlib::tls::acme::connect".into(),
        ];
        let files = crate::rules::read_rule_file(
            "r.toml",
            "certlib-files",
            "crate = \"certlib\"\nfiles = [\"src/tls/**\"]\nreason = \"certs\"\n",
            Origin::Builtin,
        )
        .unwrap();
        let pass = |_: &ContractBinding, _: &str| outcome(ContractState::Passed);
        let mut r = report(vec![ch]);
        apply(
            &mut r,
            &[files],
            &pattern_binding("\"tls::acme::**\""),
            Contracts::Run(&pass),
        );
        let hits = &r.crates[0].rules;
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].rule, "certlib-files");
        assert_eq!(hits[0].contracts.len(), 1, "the binding attached");
        assert_eq!(hits[0].status, HitStatus::Proven);
    }

    fn run_with(state: ContractState, cfg: &Config, severity: &str) -> Report {
        let mut r = report(acme());
        let run = |b: &ContractBinding, _: &str| ContractOutcome {
            at: b.at.clone(),
            detail: match state {
                ContractState::TimedOut => Some("killed after 30 s".into()),
                ContractState::Error => Some("program `certcheck` not found".into()),
                ContractState::NoTestsRan => Some("no test matched the selector".into()),
                _ => None,
            },
            failed_tests: if state == ContractState::Failed {
                vec!["acme_issues".into()]
            } else {
                Vec::new()
            },
            ..outcome(state)
        };
        apply(&mut r, &[rule(severity)], cfg, Contracts::Run(&run));
        r
    }

    #[test]
    fn each_contract_state_says_what_to_do_next() {
        let cargo = config(
            "[policy]\ncontract-timeout = 30\n\n[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\ntest = \"contracts\"\nfilter = \"acme\"\n",
        );
        let next = |state, cfg: &Config| {
            let r = run_with(state, cfg, "critical");
            let hit = &r.crates[0].rules[0];
            assert!(hit.blocks);
            assert_eq!(hit.status, HitStatus::ContractFailed);
            // The verdict carries the same text.
            assert!(r.verdict.reasons[0].ends_with(&hit.next), "{r:?}");
            hit.next.clone()
        };
        let failed = next(ContractState::Failed, &cargo);
        assert!(failed.contains("1 test failed: acme_issues"), "{failed}");
        assert!(
            failed.contains("fix the code or the dependency"),
            "{failed}"
        );
        assert!(failed.contains("bumpguard accept bg-"), "{failed}");

        let timed_out = next(ContractState::TimedOut, &cargo);
        assert!(
            timed_out.contains("stopped after 30 s ([policy] contract-timeout)"),
            "{timed_out}"
        );
        assert!(
            timed_out
                .contains("raise `timeout = <seconds>` in the [[contract]] at bumpguard.toml:4"),
            "{timed_out}"
        );
        let own = config("[[contract]]\nrule = \"certlib-acme\"\ncommand = [\"x\"]\ntimeout = 7\n");
        let timed_out = next(ContractState::TimedOut, &own);
        assert!(
            timed_out.contains("after 7 s (its own `timeout`)"),
            "{timed_out}"
        );

        let none = next(ContractState::NoTestsRan, &cargo);
        assert!(
            none.contains("package `svc`, test target `contracts`, filter `acme`"),
            "{none}"
        );
        assert!(
            none.contains("`cargo test -p svc --test contracts -- --list` lists the tests"),
            "{none}"
        );

        let error = next(ContractState::Error, &own);
        assert!(
            error.contains("could not run: program `certcheck` not found"),
            "{error}"
        );
        assert!(error.contains("install what it needs"), "{error}");
        assert!(error.contains("bumpguard accept bg-"), "{error}");
    }

    #[test]
    fn contract_states_name_what_went_wrong_and_where() {
        let cfg = config(
            "[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\nfilter = \"acme\"\n\n[[contract]]\nrule = \"certlib-acme\"\ncommand = [\"sh\", \"smoke.sh\"]\n",
        );
        let outcomes = |b: &ContractBinding| -> ContractOutcome {
            if matches!(b.target, ContractTarget::Command(_)) {
                ContractOutcome {
                    at: b.at.clone(),
                    command: "sh smoke.sh".into(),
                    detail: Some("exited with code 3".into()),
                    ..outcome(ContractState::Failed)
                }
            } else {
                ContractOutcome {
                    at: b.at.clone(),
                    detail: Some(
                        "the selection matched only ignored tests (`#[ignore]`): acme_slow".into(),
                    ),
                    ignored_tests: vec!["acme_slow".into()],
                    ..outcome(ContractState::NoTestsRan)
                }
            }
        };
        let mut r = report(acme());
        r.crates[0].lockfile = Some("services/edge/Cargo.lock".into());
        let dirs = std::cell::RefCell::new(Vec::new());
        let run = |b: &ContractBinding, dir: &str| {
            dirs.borrow_mut().push(dir.to_string());
            outcomes(b)
        };
        apply(&mut r, &[rule("critical")], &cfg, Contracts::Run(&run));
        assert_eq!(*dirs.borrow(), ["services/edge", "services/edge"]);
        let hit = &r.crates[0].rules[0];
        let [tests, command] = &hit.contracts[..] else {
            panic!("{hit:?}");
        };
        assert_eq!(tests.label(), "matched only ignored tests");
        assert_eq!(tests.shown_command(), "`cargo test` in `services/edge`");
        assert!(
            hit.next.contains("contract `cargo test` in `services/edge` (bumpguard.toml:1) matched only ignored tests (`#[ignore]`: acme_slow): a contract must run its tests"),
            "{}",
            hit.next
        );
        assert_eq!(command.label(), "failed");
        assert!(
            hit.next
                .contains("failed (the command exited with code 3; its output is in the report)"),
            "{}",
            hit.next
        );
        // A timeout says what was running; a stale lockfile is not "fix the code".
        let cfg = config("[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\n");
        for (state, detail, expect) in [
            (
                ContractState::TimedOut,
                "killed after 600 s, while running test `acme_renews`",
                "stopped after 600 s ([policy] contract-timeout) while running test `acme_renews`",
            ),
            (
                ContractState::Error,
                "Cargo.lock needs updating: the manifests at this revision ask for other packages",
                "could not run: Cargo.lock needs updating: the manifests at this revision ask for other packages; then run the check again",
            ),
        ] {
            let run = |b: &ContractBinding, _: &str| ContractOutcome {
                at: b.at.clone(),
                detail: Some(detail.into()),
                ..outcome(state)
            };
            let mut r = report(acme());
            apply(&mut r, &[rule("critical")], &cfg, Contracts::Run(&run));
            let next = &r.crates[0].rules[0].next;
            assert!(next.contains(expect), "{next}");
            assert!(!next.contains("fix the code"), "{next}");
        }
    }

    #[test]
    fn the_markdown_report_shows_a_failing_contracts_output_within_its_budget() {
        let cfg = config("[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\n");
        let tail: String = (0..60)
            .map(|i| format!("noise line {i}\n"))
            .chain([
                "thread 'acme_issues' panicked at tests/contracts.rs:9:5:\n".to_string(),
                "assertion `left == right` failed\n  left: None\n right: Some(\"chain\")\n"
                    .to_string(),
            ])
            .collect();
        let run = |b: &ContractBinding, _: &str| ContractOutcome {
            at: b.at.clone(),
            failed_tests: vec!["acme_issues".into()],
            output_tail: tail.clone(),
            ..outcome(ContractState::Failed)
        };
        let mut r = report(acme());
        apply(&mut r, &[rule("critical")], &cfg, Contracts::Run(&run));
        let render = |limit: usize| {
            let mut out = Vec::new();
            crate::report_markdown::write_markdown(&r, &mut out, limit).unwrap();
            String::from_utf8(out).unwrap()
        };
        let md = render(usize::MAX);
        assert!(
            md.contains("  - output, its last 30 lines:\n\n    ```text\n"),
            "{md}"
        );
        assert!(
            md.contains("\n     right: Some(\"chain\")\n    ```\n"),
            "{md}"
        );
        assert!(!md.contains("noise line 33\n"), "only the tail: {md}");
        assert!(md.contains("noise line 34\n"), "{md}");
        // Cut, like other details, when the budget is short, and said so.
        let smaller = render(md.len() - 100);
        assert!(!smaller.contains("right: Some"), "{smaller}");
        assert!(
            smaller.contains("the output of 1 contract that did not pass"),
            "{smaller}"
        );
    }

    #[test]
    fn a_warning_rule_reports_its_failing_contract_and_never_blocks() {
        let cfg = config("[[contract]]\nrule = \"certlib-acme\"\ncommand = [\"false\"]\n");
        let r = run_with(ContractState::Failed, &cfg, "warning");
        let hit = &r.crates[0].rules[0];
        assert!(!hit.blocks);
        assert_eq!(hit.status, HitStatus::Reported);
        assert_eq!(hit.contracts[0].status, ContractState::Failed);
        assert!(
            hit.next.starts_with("reported only (warning rule"),
            "{}",
            hit.next
        );
        assert!(
            hit.next.contains("the command exited with an error"),
            "{}",
            hit.next
        );
        assert!(!hit.next.contains("bumpguard accept"), "{}", hit.next);
        assert_eq!(r.verdict.status, VerdictStatus::Pass);
        let mut text = Vec::new();
        crate::report::write_human(&r, &mut anstream::StripStream::new(&mut text)).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("rule (warning) certlib-acme"), "{text}");
        assert!(!text.contains("CRITICAL RULE"), "{text}");
    }

    #[test]
    fn contracts_not_run_show_the_command_that_would_run() {
        let cfg = config("[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\n");
        let mut r = report(acme());
        apply(
            &mut r,
            &[rule("critical")],
            &cfg,
            Contracts::WouldRun("--no-run-contracts", &|_, dir| {
                format!("cargo nextest run -p svc --locked --offline (in `{dir}`)")
            }),
        );
        let hit = &r.crates[0].rules[0];
        assert_eq!(hit.status, HitStatus::NotRun);
        assert!(hit.blocks);
        assert_eq!(
            hit.contracts[0].command,
            "cargo nextest run -p svc --locked --offline (in ``)"
        );
        assert!(
            hit.next.contains("`cargo nextest run -p svc"),
            "{}",
            hit.next
        );
        // `describe` (no runner known) names no runner it cannot know about.
        assert_eq!(
            describe(&cfg.contracts[0]),
            "cargo test -p svc --locked --no-fail-fast"
        );
    }

    #[test]
    fn a_binding_runs_in_the_workspaces_it_belongs_to() {
        let ws = |dir: &str, members: Option<&[&str]>| Workspace {
            dir: dir.to_string(),
            members: members.map(|m| m.iter().map(|s| s.to_string()).collect()),
        };
        let all = [
            ws("", Some(&["root"])),
            ws("a", Some(&["shared", "svc"])),
            ws("b", Some(&["shared"])),
            ws("c", None),
        ];
        let cfg = config(
            "[[contract]]\nrule = \"r\"\npackage = \"svc\"\n\n[[contract]]\nrule = \"r\"\npackage = \"shared\"\n\n[[contract]]\nrule = \"r\"\npackage = \"shared\"\nworkspace = \"b\"\n\n[[contract]]\nrule = \"r\"\ncommand = [\"x\"]\n\n[[contract]]\nrule = \"r\"\npackage = \"svc\"\nworkspace = \"b\"\n",
        );
        let at = |i: usize, dir: &str| place(&cfg.contracts[i], dir, Some(&all));
        assert_eq!(at(0, "a"), Place::Here);
        assert_eq!(at(0, "b"), Place::Elsewhere);
        // Members unknown: it may be there, so it runs there.
        assert_eq!(at(0, "c"), Place::Here);
        // In two workspaces: both, unless `workspace` picks one.
        assert_eq!(at(1, "a"), Place::Here);
        assert_eq!(at(1, "b"), Place::Here);
        assert_eq!(at(2, "a"), Place::Elsewhere);
        assert_eq!(at(2, "b"), Place::Here);
        assert_eq!(at(3, ""), Place::Here);
        assert_eq!(at(3, "a"), Place::Here);
        // A workspace without the package.
        assert!(
            matches!(at(4, "b"), Place::Nowhere(why) if why.starts_with("package `svc` is not a member of the workspace at `b`"))
        );
        // Without what is known about workspaces: where the rule triggered.
        assert_eq!(place(&cfg.contracts[0], "b", None), Place::Here);
        let known = [ws("a", Some(&["svc"]))];
        assert!(
            matches!(place(&cfg.contracts[1], "a", Some(&known)), Place::Nowhere(why) if why.contains("(workspaces: a (svc))"))
        );
    }

    #[test]
    fn without_contracts_run_the_outlook_depends_on_them() {
        use crate::report::{CheckOutlook, check_outlook};
        let cfg = config(
            "[[contract]]\nrule = \"certlib-acme\"\npackage = \"svc\"\n\n[[contract]]\nrule = \"certlib-acme\"\ncommand = [\"x\"]\n",
        );
        let mut r = report(acme());
        would_run(&mut r, "critical", &cfg);
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
        let outlook = check_outlook(&r);
        assert_eq!(outlook, CheckOutlook::DependsOnContracts { contracts: 2 });
        assert!(
            outlook
                .summary()
                .starts_with("would block unless the 2 bound contracts pass"),
            "{}",
            outlook.summary()
        );
        // No contract bound: blocked whatever runs.
        let mut r = report(acme());
        would_run(&mut r, "critical", &Config::default());
        assert_eq!(
            check_outlook(&r),
            CheckOutlook::Blocked {
                contracts_not_run: 0
            }
        );
        // A semver violation blocks too: the contracts cannot lift it.
        let mut violating = acme();
        violating[1].violation = true;
        violating[1].required = Level::Major;
        let mut r = report(violating);
        r.crates[0].violations = 1;
        would_run(&mut r, "critical", &cfg);
        assert_eq!(
            check_outlook(&r),
            CheckOutlook::Blocked {
                contracts_not_run: 2
            }
        );
        // Nothing triggered: pass.
        let mut r = report(Vec::new());
        would_run(&mut r, "critical", &cfg);
        assert_eq!(check_outlook(&r), CheckOutlook::Pass);
    }

    #[test]
    fn an_acceptance_covers_the_exact_evidence_only() {
        let mut r = report(acme());
        would_run(&mut r, "critical", &Config::default());
        let hit = r.crates[0].rules[0].clone();
        let accept = |digest: &str| {
            let mut cfg = Config::default();
            cfg.accepts.push(Acceptance {
                finding: hit.finding.clone(),
                krate: "certlib".into(),
                old: "1.4.0".into(),
                new: "1.5.0".into(),
                code: "rule:certlib-acme".into(),
                digest: digest.to_string(),
                reason: "fine".into(),
                by: "me".into(),
                date: "2026-12-03".into(),
                at: "bumpguard.toml:3".into(),
            });
            cfg
        };
        let mut r = report(acme());
        would_run(&mut r, "critical", &accept(&hit.digest));
        assert_eq!(r.crates[0].rules[0].status, HitStatus::Accepted);
        assert!(r.stale_acceptances.is_empty());
        assert_eq!(r.verdict.status, VerdictStatus::Pass);

        // Same crate and versions, different evidence: not covered, and stale.
        let mut other = acme();
        other[0].new = Some("pub fn connect(timeout: u64)".into());
        let mut r = report(other);
        would_run(&mut r, "critical", &accept(&hit.digest));
        assert_eq!(r.crates[0].rules[0].status, HitStatus::NoContract);
        assert_ne!(r.crates[0].rules[0].finding, hit.finding);
        assert_eq!(r.stale_acceptances.len(), 1);
        assert!(
            r.stale_acceptances[0]
                .why
                .contains("not the one that was accepted")
        );
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
    }

    #[test]
    fn an_accepted_violation_no_longer_counts() {
        let mut ch = change("certlib::tls::acme::connect", "pub fn connect()");
        ch.required = Level::Major;
        ch.violation = true;
        let mut r = report(vec![ch.clone()]);
        r.crates[0].violations = 1;
        apply(
            &mut r,
            &[],
            &Config::default(),
            Contracts::WouldRun("test", &|b, _| describe(b)),
        );
        assert_eq!(r.verdict.status, VerdictStatus::Blocked);
        let found = acceptables(&r);
        assert_eq!(found.len(), 1);
        let mut cfg = Config::default();
        cfg.accepts.push(Acceptance {
            finding: found[0].finding.clone(),
            krate: "certlib".into(),
            old: "1.4.0".into(),
            new: "1.5.0".into(),
            code: found[0].code.clone(),
            digest: found[0].digest.clone(),
            reason: "fine".into(),
            by: "me".into(),
            date: "2026-12-03".into(),
            at: "bumpguard.toml:1".into(),
        });
        let mut r = report(vec![ch]);
        r.crates[0].violations = 1;
        apply(
            &mut r,
            &[],
            &cfg,
            Contracts::WouldRun("test", &|b, _| describe(b)),
        );
        assert_eq!(r.crates[0].violations, 0);
        assert_eq!(
            r.crates[0].changes[0].accepted.as_deref(),
            Some("bumpguard.toml:1")
        );
        assert_eq!(r.verdict.status, VerdictStatus::Pass);
    }
}
