//! The pipeline, wired: revisions -> lockfile diff -> sources -> API surfaces
//! -> semver check -> report.
//!
//! Each `run_*` function returns a [`Report`] (or an error when the run could
//! not start at all: no repository, unknown revision, unreadable lockfile).
//! Problems with single crates do not stop the run; they are recorded on the
//! crate and decide the verdict.

use crate::api::engines::{self, Engine, EngineSettings};
use crate::api::features::FeatureView;
use crate::api::rustdoc_engine::{self, Features};
use crate::api::{ApiSurface, syn_engine};
use crate::behavior;
use crate::config::{self, Config, ContractBinding, ContractTarget, RunnerChoice};
use crate::contracts;
use crate::gate::{self, ContractOutcome, ContractState, Contracts};
use crate::lockdiff::{self, Bump, ChangeKind, Source};
use crate::manifest_diff;
use crate::progress::{Progress, Silent};
use crate::report::{
    Analysis, AnalysisStatus, CrateReport, FailedIn, Report, SCHEMA_VERSION, Verdict, VerdictStatus,
};
use crate::revision::{LockfileText, Repo, Rev};
use crate::semver_check;
use crate::source::{FetchError, Fetcher, RegistryCrate, Replacements, SourceSettings, Vendored};
use crate::versions::{allowed_level, bump_kind};
use crate::workspace::{self, ResolvedFeatures, WorkspaceInfo};
use anyhow::{Context, Result, bail};
use semver::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `bumpguard check` compares.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Any directory inside the repository.
    pub repo: PathBuf,
    /// Base revision; `None`: the merge-base of HEAD with the default branch
    /// (HEAD itself with `staged`).
    pub base: Option<String>,
    /// Head revision; `None`: the working tree (the index with `staged`).
    pub head: Option<String>,
    /// Compare HEAD with the index (pre-commit use).
    pub staged: bool,
    /// The configuration file; `None`: `bumpguard.toml` at the repository
    /// root when there is one.
    pub config: Option<PathBuf>,
    /// Run the contracts bound to triggered rules, or only say what would
    /// run (and why not).
    pub contracts: ContractsMode,
}

impl CheckOptions {
    /// These options as `bumpguard accept` takes them, shell-quoted, each
    /// with a space before it; empty when every one is the default.
    pub fn accept_args(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if self.repo != Path::new(".") {
            words.extend(["--repo".into(), self.repo.display().to_string()]);
        }
        if let Some(b) = &self.base {
            words.extend(["--base".into(), b.clone()]);
        }
        if let Some(h) = &self.head {
            words.extend(["--head".into(), h.clone()]);
        }
        if self.staged {
            words.push("--staged".into());
        }
        if let Some(c) = &self.config {
            words.extend(["--config".into(), c.display().to_string()]);
        }
        if words.is_empty() {
            String::new()
        } else {
            format!(" {}", contracts::shell_words(&words))
        }
    }
}

/// Whether `check` runs contract tests.
#[derive(Debug, Clone)]
pub enum ContractsMode {
    Run,
    /// Do not run them; the reason is shown with each contract.
    Skip(String),
}

fn new_report(command: &str, base: String, head: String) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: format!("bumpguard {}", env!("CARGO_PKG_VERSION")),
        command: command.to_string(),
        base,
        head,
        crates: Vec::new(),
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

/// `bumpguard check`: every bump between two revisions of a repository.
pub fn run_check(opts: &CheckOptions, sources: &SourceSettings) -> Result<Report> {
    run_check_with(opts, sources, &Silent)
}

/// [`run_check`], telling `progress` how far it got (stages, each crate).
pub fn run_check_with(
    opts: &CheckOptions,
    sources: &SourceSettings,
    progress: &dyn Progress,
) -> Result<Report> {
    let repo = Repo::open(&opts.repo)?;
    let (base, base_label) = match (&opts.base, opts.staged) {
        (Some(b), _) => {
            let r = Rev::Commit(b.clone());
            let label = repo.resolve(&r)?;
            (Some(r), label)
        }
        (None, true) => {
            let r = Rev::Commit("HEAD".to_string());
            match repo.resolve(&r) {
                Ok(label) => (Some(r), label),
                // The first commit of a repository: everything staged is new.
                Err(_) if repo.commit_id("HEAD").is_err() => (None, "no commits yet".to_string()),
                Err(e) => return Err(e),
            }
        }
        // A repository without commits: the working tree is all new.
        (None, false) if repo.commit_id("HEAD").is_err() => (None, "no commits yet".to_string()),
        (None, false) => {
            let (how, sha) = repo.default_base()?;
            let r = Rev::Commit(sha);
            let label = format!("{} ({how})", repo.resolve(&r)?);
            (Some(r), label)
        }
    };
    let head = match (&opts.head, opts.staged) {
        (Some(h), _) => Rev::Commit(h.clone()),
        (None, true) => Rev::Index,
        (None, false) => Rev::WorkTree,
    };
    let head_label = repo.resolve(&head)?;
    let mut report = new_report("check", base_label.clone(), head_label.clone());
    // Which engine reads which crate is configured too (`[engine]`).
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| opts.repo.clone());
    let (cfg, rules, cfg_note) = config_at_head(&repo, &head, &root, opts.config.as_deref())?;
    report.notes.extend(cfg_note);
    if opts.config.is_none()
        && let Some(b) = &base
    {
        report
            .notes
            .extend(config_change_note(&repo, b, &head, &cfg, &head_label));
    }
    let sources = &with_engine_config(sources, &cfg);
    report.accept_args = opts.accept_args();

    let old_files = match &base {
        Some(b) => repo.lockfiles(b)?,
        None => Vec::new(),
    };
    let new_files = repo.lockfiles(&head)?;
    progress.stage(&format!(
        "lockfiles read: {} at {base_label}, {} at {head_label}",
        old_files.len(),
        new_files.len()
    ));
    if old_files.is_empty() && new_files.is_empty() {
        bail!(
            "no Cargo.lock in the repository at {base_label} nor at {head_label}: nothing to check (is this a Rust project with a committed Cargo.lock?)"
        );
    }
    // A lockfile present on one side only is compared with an empty one
    // (everything added or removed); the loop below says so in the notes.

    let mut by_path: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for LockfileText { path, text } in old_files {
        by_path.entry(path).or_default().0 = Some(text);
    }
    for LockfileText { path, text } in new_files {
        by_path.entry(path).or_default().1 = Some(text);
    }

    // Each bump with the features the consumer gets on it, and whether cargo
    // resolved them (else: what members declare, when known).
    let mut bumps: Vec<(Bump, (Vec<String>, bool))> = Vec::new();
    // Lockfile path -> the directory sources (`cargo vendor`) its workspace
    // reads crates from, per Cargo's configuration at the head revision.
    let mut vendored: BTreeMap<String, Replacements> = BTreeMap::new();
    // Every workspace at the head (the folder of each Cargo.lock) and its
    // members, for where contracts run: cargo metadata's members where it
    // was read, else the lockfile's path packages.
    let mut workspaces: Vec<gate::Workspace> = Vec::new();
    for (path, (old_text, new_text)) in &by_path {
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if old_text == new_text {
            if let Some(text) = new_text {
                workspaces.push(gate::Workspace {
                    dir: dir.to_string(),
                    members: path_packages(text, path),
                });
            }
            continue;
        }
        let old = old_text
            .as_deref()
            .map(|t| lockdiff::parse_lockfile(t, path))
            .transpose()?;
        let new = new_text
            .as_deref()
            .map(|t| lockdiff::parse_lockfile(t, path))
            .transpose()?;
        match (&old, &new) {
            (None, Some(_)) => report.notes.push(format!(
                "{path} is new at {head_label}: every package in it counts as added"
            )),
            (Some(_), None) => report.notes.push(format!(
                "{path} was deleted at {head_label}: every package in it counts as removed"
            )),
            _ => {}
        }
        let replacements =
            Replacements::for_revision(&repo, &head, dir, sources.cargo_home.as_deref())
                .context("cannot read Cargo's source replacement configuration")?;
        vendored.insert(path.clone(), replacements);
        let (ws, resolved) = workspace_info(&repo, &head, dir, &mut report.notes);
        if let Some(text) = new_text {
            workspaces.push(gate::Workspace {
                dir: dir.to_string(),
                members: match &ws {
                    Some(w) => Some(w.members.clone()),
                    None => path_packages(text, path),
                },
            });
        }
        let d = lockdiff::diff_files(old.as_ref(), new.as_ref(), ws.as_ref());
        bumps.extend(d.bumps.into_iter().map(|b| {
            let features = bump_features(&b, ws.as_ref(), resolved.as_ref());
            (b, features)
        }));
    }

    progress.stage(&format!(
        "lockfiles compared: {} package change{}",
        bumps.len(),
        if bumps.len() == 1 { "" } else { "s" }
    ));
    let fetcher = Fetcher::new(sources.clone());
    progress.crates_started(bumps.len());
    let analysed = parallel_map(&bumps, |(b, (features, resolved))| {
        let started = Instant::now();
        let mut c = CrateReport::from_bump(b);
        c.features = features.clone();
        let view = if *resolved {
            FeatureView::resolved(features)
        } else {
            FeatureView::from_consumer(features)
        };
        progress.crate_started(&crate_label(&c));
        // The old version as vendored at the base revision, the new at the head.
        let at = |rev| {
            vendored
                .get(&b.lockfile)
                .map_or(Vendored::NONE, |r| r.at(rev))
        };
        let locks = by_path
            .get(&b.lockfile)
            .map_or([None, None], |(o, n)| [o.as_deref(), n.as_deref()]);
        let r = analyse_bump(
            &fetcher,
            b,
            &mut c,
            &view,
            [at(base.as_ref()), at(Some(&head))],
            locks,
            progress,
        )
        .map(|()| c);
        if let Ok(c) = &r {
            progress.crate_done(c, started.elapsed());
        }
        r
    });
    progress.crates_finished();
    for c in analysed {
        report.crates.push(c?);
    }
    report.notes.extend(fetcher.take_notes());
    gate_check(
        &mut report,
        &repo,
        &head,
        opts,
        sources,
        (&root, &cfg, &rules),
        &workspaces,
    )?;
    let hits: usize = report.crates.iter().map(|c| c.rules.len()).sum();
    progress.stage(&format!(
        "rules, contracts and acceptances applied: {hits} rule hit{}",
        if hits == 1 { "" } else { "s" }
    ));
    Ok(report)
}

/// The configuration and the rules in force at the head revision: from the
/// working tree when it holds the head (the working tree or the index as
/// head, or a commit the working tree equals), else from the head commit's
/// tree. An explicit `--config FILE` is read from disk; the rule folders
/// still come from the head. The note says when the head's tree was read.
fn config_at_head(
    repo: &Repo,
    head: &Rev,
    root: &Path,
    explicit: Option<&Path>,
) -> Result<(Config, Vec<crate::rules::Rule>, Option<String>)> {
    let at = match head {
        Rev::WorkTree => None,
        Rev::Index => match repo.worktree_matches_index() {
            Ok(true) => None,
            _ => Some("the index".to_string()),
        },
        Rev::Commit(spec) => match repo.worktree_is(spec) {
            Ok(true) => None,
            _ => Some(spec.clone()),
        },
    };
    // Every problem at once: the file's own and those of what it puts in
    // force (rules, contracts bound to them), even when the file has some.
    let checked =
        |(cfg, mut diags): (Config, Vec<crate::toml_read::Diag>),
         rules: Result<Vec<crate::rules::Rule>, crate::toml_read::Diags>| {
            let what = if diags.is_empty() {
                "the rules in force have problems"
            } else {
                "the bumpguard configuration has problems"
            };
            match rules {
                Ok(rules) if diags.is_empty() => Ok((cfg, rules)),
                Ok(_) => Err(config::sorted(diags)),
                Err(crate::toml_read::Diags(more)) => {
                    diags.extend(more);
                    Err(config::sorted(diags))
                }
            }
            .map_err(|d| anyhow::Error::new(d).context(what))
        };
    let Some(spec) = at else {
        let read = Config::find_all(root, explicit);
        let rules = config::rules_in_force(&read.0, root);
        let (cfg, rules) = checked(read, rules)?;
        return Ok((cfg, rules, None));
    };
    let read = match explicit {
        Some(p) => Config::load_all(p),
        None => match repo.read_file(head, config::FILE_NAME)? {
            None => (Config::default(), Vec::new()),
            Some(bytes) => {
                let path = Path::new(config::FILE_NAME);
                let text = String::from_utf8(bytes).map_err(|_| {
                    anyhow::anyhow!("{} at {spec} is not UTF-8 text", config::FILE_NAME)
                })?;
                Config::parse_all(path, &text)
            }
        },
    };
    let folder = |rel: &str| -> config::Folder {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => {
                return config::Folder::Missing(format!(
                    "cannot create a temporary directory: {e}"
                ));
            }
        };
        if let Err(e) = repo.export(head, rel, tmp.path()) {
            return config::Folder::Missing(format!("rule folder {rel}: {e:#}"));
        }
        match crate::rules::toml_files(tmp.path()) {
            // Shown as where they are in the repository.
            Ok(files) => config::Folder::Files(
                files
                    .into_iter()
                    .map(|(p, text)| {
                        let name = p.file_name().map(PathBuf::from).unwrap_or_default();
                        (root.join(rel).join(name), text)
                    })
                    .collect(),
            ),
            Err(e) => config::Folder::Missing(format!("rule folder {rel} at {spec}: {e}")),
        }
    };
    let rules = config::rules_in_force_from(&read.0, &folder);
    let (cfg, rules) = checked(read, rules)?;
    let what = if explicit.is_some() {
        "rule folders"
    } else {
        "configuration and rule folders"
    };
    let note = if matches!(head, Rev::Index) {
        format!("{what} read from the index (the working tree holds changes that are not staged)")
    } else {
        format!(
            "{what} read at {spec} (the working tree holds another revision or uncommitted files)"
        )
    };
    Ok((cfg, rules, Some(note)))
}

/// A note when the change under review also changes the gate: the head's
/// `bumpguard.toml` or rule files differ from the base's. The head's
/// configuration is the one applied (a pull request may legitimately add a
/// rule or a contract), so a change that relaxes the gate for itself must at
/// least be seen: the note names what was relaxed (policy, built-ins
/// switched off, contracts and rules gone, acceptances added).
fn config_change_note(
    repo: &Repo,
    base: &Rev,
    head: &Rev,
    head_cfg: &Config,
    head_label: &str,
) -> Option<String> {
    let text = |rev: &Rev| -> Option<String> {
        repo.read_file(rev, config::FILE_NAME)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let (old_text, new_text) = (text(base), text(head));
    let base_cfg = old_text
        .as_deref()
        .map(|t| Config::parse_all(Path::new(config::FILE_NAME), t).0)
        .unwrap_or_default();
    let mut changed = Vec::new();
    if old_text != new_text {
        changed.push(config::FILE_NAME.to_string());
    }
    let mut dirs: Vec<String> = [&base_cfg, head_cfg]
        .iter()
        .flat_map(|c| match &c.rule_dirs {
            Some(d) => d.iter().map(|(d, _)| d.clone()).collect(),
            None => vec![config::DEFAULT_RULE_DIR.to_string()],
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if rule_files(repo, base, &dir) != rule_files(repo, head, &dir) {
            changed.push(format!("{dir}/"));
        }
    }
    if changed.is_empty() {
        return None;
    }
    let mut relaxed = Vec::new();
    let (o, n) = (&base_cfg.policy, &head_cfg.policy);
    if o.semver_violations == config::Gate::Block && n.semver_violations == config::Gate::Warn {
        relaxed.push("semver violations no longer block".to_string());
    }
    if o.unanalysed == config::Gate::Block && n.unanalysed == config::Gate::Warn {
        relaxed.push("crates not analysed no longer block".to_string());
    }
    let disabled: Vec<&str> = head_cfg
        .disable
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| !base_cfg.disable.iter().any(|(b, _)| b == id))
        .collect();
    if !disabled.is_empty() {
        relaxed.push(format!(
            "built-in rules switched off: {}",
            disabled.join(", ")
        ));
    }
    let gone: Vec<&str> = base_cfg
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !head_cfg.rules.iter().any(|r| &r.id == id))
        .collect();
    if !gone.is_empty() {
        relaxed.push(format!("rules removed: {}", gone.join(", ")));
    }
    let same_target = |a: &ContractBinding, b: &ContractBinding| {
        a.rule == b.rule && a.krate == b.krate && a.target == b.target
    };
    let contracts_gone = base_cfg
        .contracts
        .iter()
        .filter(|c| !head_cfg.contracts.iter().any(|h| same_target(c, h)))
        .count();
    if contracts_gone > 0 {
        relaxed.push(format!(
            "{contracts_gone} contract binding{} removed or changed",
            if contracts_gone == 1 { "" } else { "s" }
        ));
    }
    let accepted = head_cfg
        .accepts
        .iter()
        .filter(|a| !base_cfg.accepts.iter().any(|b| b.finding == a.finding))
        .count();
    if accepted > 0 {
        relaxed.push(format!(
            "{accepted} acceptance{} added",
            if accepted == 1 { "" } else { "s" }
        ));
    }
    let what = if relaxed.is_empty() {
        String::new()
    } else {
        format!(": {}", relaxed.join("; "))
    };
    Some(format!(
        "this change also changes the gate ({}), and the check applies the configuration at {head_label}{what}; review those edits with the bump",
        changed.join(", ")
    ))
}

/// The `.toml` files of a rule folder at `rev`, by name with their text;
/// empty when the folder is not there.
fn rule_files(repo: &Repo, rev: &Rev, dir: &str) -> BTreeMap<String, String> {
    let read = |folder: &Path| -> BTreeMap<String, String> {
        crate::rules::toml_files(folder)
            .map(|files| {
                files
                    .into_iter()
                    .map(|(p, text)| {
                        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                        (name.unwrap_or_default(), text.unwrap_or_else(|e| e))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    match rev {
        Rev::WorkTree => repo
            .workdir()
            .map(|w| read(&w.join(dir)))
            .unwrap_or_default(),
        _ => match tempfile::tempdir() {
            Ok(tmp) if repo.export(rev, dir, tmp.path()).is_ok() => read(tmp.path()),
            _ => BTreeMap::new(),
        },
    }
}

/// `sources` with the `[engine]` section of the repository's configuration
/// (the command line's settings win, see [`EngineSettings`]).
fn with_engine_config(sources: &SourceSettings, cfg: &Config) -> SourceSettings {
    let mut s = sources.clone();
    apply_engine_config(&mut s.engines, cfg);
    s
}

/// Fills what the command line left open from `[engine]`.
fn apply_engine_config(e: &mut EngineSettings, cfg: &Config) {
    let file = cfg.path.as_ref().and_then(|p| p.file_name()).map_or_else(
        || config::FILE_NAME.to_string(),
        |f| f.to_string_lossy().to_string(),
    );
    e.default = cfg.engine.default;
    e.crates = cfg
        .engine
        .crates
        .iter()
        .map(|(k, (engine, line))| (k.clone(), (*engine, format!("{file}:{line}"))))
        .collect();
    if e.toolchain.is_none() {
        e.toolchain = cfg.engine.toolchain.clone();
    }
    if e.timeout.is_none() {
        e.timeout = cfg.engine.timeout;
    }
}

/// Reads the configuration and the rules in force, then applies rules,
/// contracts (run on the head revision) and acceptances to the report.
fn gate_check(
    report: &mut Report,
    repo: &Repo,
    head: &Rev,
    opts: &CheckOptions,
    sources: &SourceSettings,
    (root, cfg, rules): (&Path, &Config, &[crate::rules::Rule]),
    workspaces: &[gate::Workspace],
) -> Result<()> {
    // The exact command each binding runs (or would run), runner resolved
    // as for running; probed once per binding and folder.
    let commands = std::cell::RefCell::new(BTreeMap::<(String, String), String>::new());
    let command_of = |b: &ContractBinding, dir: &str| -> String {
        commands
            .borrow_mut()
            .entry((b.at.clone(), dir.to_string()))
            .or_insert_with(|| {
                contracts::command_line(
                    &contract_spec(b),
                    &run_options(b, root.join(dir), None, cfg, sources),
                )
            })
            .clone()
    };
    let place = std::cell::OnceCell::new();
    let run = |b: &ContractBinding, dir: &str| -> ContractOutcome {
        let place = place.get_or_init(|| contract_place(repo, head, sources));
        match place {
            Ok(p) => run_contract(b, &p.dir.join(dir), p.target_dir.clone(), cfg, sources),
            Err(e) => ContractOutcome {
                at: b.at.clone(),
                command: command_of(b, dir),
                status: ContractState::Error,
                detail: Some(format!("cannot prepare the head revision to run it: {e}")),
                passed: 0,
                failed: 0,
                failed_tests: Vec::new(),
                duration_ms: 0,
                output_tail: String::new(),
                dir: String::new(),
                ignored_tests: Vec::new(),
            },
        }
    };
    let mode = match &opts.contracts {
        ContractsMode::Run => Contracts::Run(&run),
        ContractsMode::Skip(why) => Contracts::WouldRun(why, &command_of),
    };
    gate::apply_in(report, rules, cfg, mode, Some(workspaces));
    // Which of the repository's own code reaches what triggered each rule.
    if report.crates.iter().any(|c| !c.rules.is_empty())
        && let Ok(p) = place.get_or_init(|| contract_place(repo, head, sources))
    {
        for c in &mut report.crates {
            for h in &mut c.rules {
                let items: Vec<String> = h
                    .evidence
                    .iter()
                    .filter(|e| e.kind != "manifest")
                    .map(|e| e.subject.clone())
                    .collect();
                h.call_sites = crate::callsites::find(&p.dir, &items);
            }
        }
    }
    // The export is also where call sites are searched; the note is about
    // contracts, so only a run that ran some says it.
    let ran = report.crates.iter().flat_map(|c| &c.rules).any(|h| {
        h.contracts
            .iter()
            .any(|o| o.status != ContractState::NotRun)
    });
    if matches!(opts.contracts, ContractsMode::Run)
        && ran
        && let Some(Ok(p)) = place.get()
        && let Some(note) = &p.note
    {
        report.notes.push(note.clone());
    }
    Ok(())
}

/// Where contracts run: the working tree when it holds the head revision,
/// else an export of the head commit (with its own target directory in
/// bumpguard's cache, kept between runs).
struct ContractPlace {
    dir: PathBuf,
    target_dir: Option<PathBuf>,
    note: Option<String>,
    _export: Option<tempfile::TempDir>,
}

fn contract_place(
    repo: &Repo,
    head: &Rev,
    sources: &SourceSettings,
) -> Result<ContractPlace, String> {
    let workdir = repo.workdir().map(Path::to_path_buf);
    let in_place = |note: Option<String>| {
        workdir.clone().map(|dir| ContractPlace {
            dir,
            target_dir: None,
            note,
            _export: None,
        })
    };
    let exported = |note: String| -> Result<Option<ContractPlace>, String> {
        let tmp =
            tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        repo.export(head, "", tmp.path())
            .map_err(|e| format!("{e:#}"))?;
        Ok(Some(ContractPlace {
            dir: tmp.path().to_path_buf(),
            target_dir: Some(sources.cache_dir.join("contract-target")),
            note: Some(note),
            _export: Some(tmp),
        }))
    };
    let place = match head {
        Rev::WorkTree => in_place(None),
        // What is staged is what is about to be committed: the working tree
        // is used only when it holds exactly that.
        Rev::Index => match repo.worktree_matches_index() {
            Ok(true) => in_place(None),
            _ => exported(
                "contracts ran on an export of the staged files (the working tree holds changes that are not staged)"
                    .to_string(),
            )?,
        },
        Rev::Commit(spec) => match repo.worktree_is(spec) {
            Ok(true) => in_place(None),
            _ => exported(format!(
                "contracts ran on an export of {spec} (the working tree holds another revision)"
            ))?,
        },
    };
    place.ok_or_else(|| "the repository has no working tree".to_string())
}

/// What a binding runs, for the contract runner.
fn contract_spec(b: &ContractBinding) -> contracts::ContractSpec {
    match &b.target {
        ContractTarget::CargoTest {
            package,
            test,
            filter,
            exact,
        } => contracts::ContractSpec::CargoTest {
            package: package.clone(),
            test: test.clone(),
            filter: filter.clone(),
            exact: *exact,
        },
        ContractTarget::Command(cmd) => contracts::ContractSpec::Command(cmd.clone()),
    }
}

/// How a binding runs in `dir`: its timeout (else the policy's), the
/// policy's runner, offline as bumpguard is.
fn run_options(
    b: &ContractBinding,
    dir: PathBuf,
    target_dir: Option<PathBuf>,
    cfg: &Config,
    sources: &SourceSettings,
) -> contracts::RunOptions {
    let runner = match cfg.policy.runner {
        RunnerChoice::Auto => contracts::Runner::Auto,
        RunnerChoice::Cargo => contracts::Runner::Cargo,
        RunnerChoice::Nextest => contracts::Runner::Nextest,
    };
    contracts::RunOptions {
        dir,
        timeout: b.timeout.unwrap_or(cfg.policy.contract_timeout),
        runner,
        offline: sources.offline,
        target_dir,
    }
}

fn run_contract(
    b: &ContractBinding,
    dir: &Path,
    target_dir: Option<PathBuf>,
    cfg: &Config,
    sources: &SourceSettings,
) -> ContractOutcome {
    let spec = contract_spec(b);
    let run = contracts::run(
        &spec,
        &run_options(b, dir.to_path_buf(), target_dir, cfg, sources),
    );
    let limit = b.timeout.unwrap_or(cfg.policy.contract_timeout).as_secs();
    let command_contract = matches!(b.target, ContractTarget::Command(_));
    let (status, detail) = match run.status {
        contracts::ContractStatus::Passed => (ContractState::Passed, None),
        contracts::ContractStatus::Failed if command_contract => (
            ContractState::Failed,
            Some(match run.exit_code {
                Some(code) => format!("exited with code {code}"),
                None => "was killed by a signal".to_string(),
            }),
        ),
        contracts::ContractStatus::Failed => (ContractState::Failed, None),
        contracts::ContractStatus::NoTestsRan if !run.ignored_tests.is_empty() => (
            ContractState::NoTestsRan,
            Some(format!(
                "the selection matched only ignored tests (`#[ignore]`): {}",
                run.ignored_tests.join(", ")
            )),
        ),
        contracts::ContractStatus::NoTestsRan => (
            ContractState::NoTestsRan,
            Some("no test matched the selector: check package, test and filter".to_string()),
        ),
        contracts::ContractStatus::TimedOut => (
            ContractState::TimedOut,
            Some(match &run.still_running {
                Some(what) => format!("killed after {limit} s, while running {what}"),
                None => format!("killed after {limit} s"),
            }),
        ),
        contracts::ContractStatus::Error(e) => (ContractState::Error, Some(e)),
    };
    ContractOutcome {
        at: b.at.clone(),
        command: run.command,
        status,
        detail,
        passed: run.passed,
        failed: run.failed,
        failed_tests: run.failed_tests,
        duration_ms: run.duration_ms,
        output_tail: if status == ContractState::Passed {
            String::new()
        } else {
            run.output_tail
        },
        dir: String::new(),
        ignored_tests: run.ignored_tests,
    }
}

/// Applies `f` to every item on a few threads (downloads wait on the
/// network, parsing on the CPU) and returns the results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(2)
        .clamp(1, 8)
        .min(items.len().max(1));
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let done = std::sync::Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut d) = done.lock() {
                        d.push((i, r));
                    }
                }
            });
        }
    });
    for (i, r) in done.into_inner().unwrap_or_else(|e| e.into_inner()) {
        slots[i] = Some(r);
    }
    slots.into_iter().flatten().collect()
}

/// Members and declared dependencies of the head workspace, via `cargo
/// metadata`; `None` (with a note saying why) when the manifests cannot be
/// read, in which case the lockfile alone decides direct vs transitive.
/// The workspace at `head`: its members and declared dependencies, and the
/// features cargo resolves for every package (when it can, offline).
fn workspace_info(
    repo: &Repo,
    head: &Rev,
    dir: &str,
    notes: &mut Vec<String>,
) -> (Option<WorkspaceInfo>, Option<ResolvedFeatures>) {
    let read = |at: &Path| (workspace::load(at), workspace::resolved_features(at));
    let (info, resolved) = match head {
        Rev::WorkTree => match repo.workdir() {
            Some(w) => read(&w.join(dir)),
            None => {
                let e = || anyhow::anyhow!("bare repository has no working tree");
                (Err(e()), Err(e()))
            }
        },
        other => match tempfile::tempdir()
            .context("cannot create a temporary directory")
            .and_then(|tmp| {
                repo.export(other, dir, tmp.path())?;
                Ok(tmp)
            }) {
            Ok(tmp) => read(tmp.path()),
            Err(e) => {
                let text = format!("{e:#}");
                (
                    Err(anyhow::anyhow!("{text}")),
                    Err(anyhow::anyhow!("{text}")),
                )
            }
        },
    };
    let lock = if dir.is_empty() {
        "Cargo.lock".to_string()
    } else {
        format!("{dir}/Cargo.lock")
    };
    let info = match info {
        Ok(ws) => Some(ws),
        Err(e) => {
            notes.push(format!(
                "{lock}: workspace manifests could not be read with cargo metadata ({}); direct and transitive are decided from the lockfile alone (packages without a source count as members)",
                first_line(&format!("{e:#}"))
            ));
            None
        }
    };
    let resolved = match resolved {
        Ok(r) => {
            notes.push(format!(
                "{lock}: API compared with the features cargo resolves at {} (used for both versions)",
                head_name(head)
            ));
            Some(r)
        }
        Err(e) if info.is_some() => {
            let why = first_line(&format!("{e:#}"));
            let why: String = if why.chars().count() > 120 {
                why.chars().take(120).chain("…".chars()).collect()
            } else {
                why
            };
            notes.push(format!(
                "{lock}: cargo could not resolve the dependency graph offline ({why}); features are those members declare"
            ));
            None
        }
        Err(_) => None,
    };
    (info, resolved)
}

/// `the working tree`, `the index` or the revision as given.
fn head_name(rev: &Rev) -> String {
    match rev {
        Rev::WorkTree => "the working tree".to_string(),
        other => format!("{other}"),
    }
}

/// The features of a bumped package for its API view: cargo's resolution
/// of the head revision when there is one (`Some(list)`, `default` in it
/// when default features are on, possibly empty), else what workspace
/// members declare (`None`: unknown, the crate's defaults are assumed when
/// nothing is declared).
fn bump_features(
    b: &Bump,
    ws: Option<&WorkspaceInfo>,
    resolved: Option<&ResolvedFeatures>,
) -> (Vec<String>, bool) {
    if let (Some(r), Some(new)) = (resolved, &b.new)
        && let Some(f) = r.get(&b.name, &new.version.to_string())
    {
        return (f.to_vec(), true);
    }
    (
        ws.map(|w| requested_features(w, &b.name))
            .unwrap_or_default(),
        false,
    )
}

/// The features workspace members enable on `name` in their manifests
/// (`default` when any of them keeps default features), sorted.
fn requested_features(ws: &WorkspaceInfo, name: &str) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for dep in ws.direct.values().flatten().filter(|d| d.name == name) {
        if dep.default_features {
            out.insert("default".to_string());
        }
        out.extend(dep.features.iter().cloned());
    }
    out.into_iter().collect()
}

/// The packages of a lockfile without a source (workspace members and
/// path dependencies); `None` when it does not parse.
fn path_packages(text: &str, path: &str) -> Option<Vec<String>> {
    let lock = lockdiff::parse_lockfile(text, path).ok()?;
    let mut names: Vec<String> = lock
        .packages
        .into_iter()
        .filter(|p| p.source == Source::Path)
        .map(|p| p.name)
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

fn first_line(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim();
    if line.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &line[..cut])
    } else {
        line.to_string()
    }
}

fn registry_crate(p: &lockdiff::LockedPackage) -> Option<RegistryCrate> {
    let registry = match &p.source {
        Source::Registry { .. } => p.source.lock_string()?,
        _ => return None,
    };
    Some(RegistryCrate {
        name: p.name.clone(),
        version: p.version.clone(),
        registry,
        checksum: p.checksum.clone(),
    })
}

/// Which of `versions` crates.io marks as yanked (asked only when online).
fn yanked_versions<'a>(
    fetcher: &Fetcher,
    name: &str,
    versions: impl IntoIterator<Item = &'a Version>,
) -> Vec<String> {
    versions
        .into_iter()
        .filter(|v| fetcher.is_yanked(name, v) == Some(true))
        .map(|v| v.to_string())
        .collect()
}

fn crate_label(c: &CrateReport) -> String {
    format!("{} {}", c.name, crate::report::version_pair(c))
}

/// Fetches both versions of a bumped crate and compares their APIs. A
/// checksum mismatch is returned as an error (it stops the run); every
/// other problem is recorded on `c`.
/// `vendored` says where the old and the new version may be vendored.
fn analyse_bump(
    fetcher: &Fetcher,
    b: &Bump,
    c: &mut CrateReport,
    view: &FeatureView,
    vendored: [Vendored<'_>; 2],
    lockfiles: [Option<&str>; 2],
    progress: &dyn Progress,
) -> Result<()> {
    let not = |status, reason: &str| Analysis {
        status,
        reason: Some(reason.to_string()),
        failed_in: (status == AnalysisStatus::Failed).then_some(FailedIn::Fetch),
    };
    let (old, new) = match (&b.change, &b.old, &b.new) {
        (ChangeKind::Added | ChangeKind::Removed, _, _)
            if b.new
                .as_ref()
                .or(b.old.as_ref())
                .is_some_and(|p| p.source == Source::Path) =>
        {
            c.analysis = not(
                AnalysisStatus::NotApplicable,
                "path package (your own code): not a dependency bump",
            );
            return Ok(());
        }
        (ChangeKind::Added, _, _) => {
            c.analysis = not(
                AnalysisStatus::NotApplicable,
                "new dependency: there is no earlier version to compare with",
            );
            return Ok(());
        }
        (ChangeKind::Removed, _, _) => {
            c.analysis = not(AnalysisStatus::NotApplicable, "no longer a dependency");
            return Ok(());
        }
        (_, Some(o), Some(n)) => (o, n),
        _ => {
            c.analysis = not(AnalysisStatus::NotApplicable, "nothing to compare");
            return Ok(());
        }
    };
    if old.source == Source::Path && new.source == Source::Path {
        c.analysis = not(
            AnalysisStatus::NotApplicable,
            "path package (your own code): not a dependency bump",
        );
        return Ok(());
    }
    let (Some(old_rc), Some(new_rc)) = (registry_crate(old), registry_crate(new)) else {
        let kind = |p: &lockdiff::LockedPackage| match p.source {
            Source::Git { .. } => "git",
            Source::Path => "path",
            Source::Registry { .. } => "registry",
        };
        c.analysis = not(
            AnalysisStatus::Unsupported,
            &format!(
                "not analysed yet: {} -> {} sources are not supported by this version of bumpguard",
                kind(old),
                kind(new)
            ),
        );
        return Ok(());
    };
    let fetching = Instant::now();
    // Both sides are fetched even when one fails, so that a tampered new
    // version is reported as such rather than hidden behind a missing old one.
    let [old_at, new_at] = vendored;
    let trees = match (
        fetch(fetcher, &old_rc, old_at),
        fetch(fetcher, &new_rc, new_at),
    ) {
        (Ok(o), Ok(n)) => Ok((o, n)),
        (Err(FetchOutcome::Fatal(e)), _) | (_, Err(FetchOutcome::Fatal(e))) => {
            Err(FetchOutcome::Fatal(e))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    progress.crate_step(&crate_label(c), "both versions fetched", fetching.elapsed());
    let (old_dir, new_dir) = match trees {
        Ok(t) => t,
        Err(FetchOutcome::Fatal(e)) => return Err(e),
        Err(FetchOutcome::Failed(msg)) => {
            c.analysis = not(AnalysisStatus::Failed, &msg);
            return Ok(());
        }
    };
    compare_trees(&old_dir, &new_dir, c, view, fetcher.settings(), lockfiles)?;
    if old.source.is_crates_io() && new.source.is_crates_io() {
        c.yanked = yanked_versions(fetcher, &b.name, [&old.version, &new.version]);
    }
    Ok(())
}

enum FetchOutcome {
    Fatal(anyhow::Error),
    Failed(String),
}

fn fetch(
    fetcher: &Fetcher,
    rc: &RegistryCrate,
    vendored: Vendored<'_>,
) -> std::result::Result<PathBuf, FetchOutcome> {
    fetcher.crate_tree_at(rc, vendored).map_err(|e| match e {
        FetchError::ChecksumMismatch { .. } => FetchOutcome::Fatal(anyhow::Error::new(e).context(format!(
            "refusing to analyse {} {}: its source does not match its checksum (tampered or corrupt)",
            rc.name, rc.version
        ))),
        other => FetchOutcome::Failed(other.to_string()),
    })
}

/// Reads both trees and fills `c` with the API changes, by the engine
/// `settings` name for this crate. `view`: the features the API is looked
/// at with (`check`: the ones the consumer enables, from `c.features`);
/// rustdoc builds with the same. `lockfiles`: the consumer's at the old and
/// the new revision (`check`), for rustdoc builds.
fn compare_trees(
    old_dir: &Path,
    new_dir: &Path,
    c: &mut CrateReport,
    view: &FeatureView,
    settings: &SourceSettings,
    lockfiles: [Option<&str>; 2],
) -> Result<()> {
    let (engine, configured) = settings.engines.for_crate(&c.name);
    let (old, old_model) = syn_engine::read_crate(old_dir)?;
    let (new, new_model) = syn_engine::read_crate(new_dir)?;
    if let (Some(o), Some(n)) = (&old_model, &new_model) {
        c.behavior = behavior::diff(o, n, &new.crate_name);
    }
    let mut manifest_problem = None;
    match manifest_diff::diff(old_dir, new_dir) {
        Ok(m) => c.manifest = m,
        Err(e) => manifest_problem = Some(format!("manifest: {e:#}")),
    }
    let mut problems: Vec<String> = manifest_problem.into_iter().collect();
    for (label, s) in [("old", &old), ("new", &new)] {
        for p in &s.problems {
            problems.push(format!("{label} version: {p}"));
        }
    }
    let mut build = settings
        .engines
        .build_options(&settings.cache_dir, settings.offline);
    build.features = Features::from_view(view);
    let api = engines::diff_trees(
        engine, old_dir, new_dir, &old, &new, &build, view, lockfiles,
    );
    let mut unread = Vec::new();
    if api.compiled {
        // The compiler read both versions: what the syn engine could not
        // parse leaves only the behavioural diff incomplete.
        for p in std::mem::take(&mut problems) {
            if p.starts_with("manifest:") {
                problems.push(p);
            } else {
                unread.push(format!(
                    "syn engine (behaviour diff only, the API is rustdoc's): {p}"
                ));
            }
        }
    }
    let mut changes = api.changes;
    // Each change's file and declaration path, for rules on modules and files.
    let locations = |m: &Option<syn_engine::CrateModel>| {
        m.as_ref()
            .map(|m| crate::rules::locate::Locations::new(m, &new.crate_name))
    };
    crate::rules::locate::annotate(
        &mut changes,
        locations(&old_model).as_ref(),
        locations(&new_model).as_ref(),
    );
    semver_check::one_change_per_item(&mut changes);
    c.violations = semver_check::mark_violations(&mut changes, c.allows);
    c.required = Some(semver_check::required_level(&changes));
    c.changes = changes;
    // What the engine could not see: in the new version, and where the old
    // one differs, in the old one too (labelled).
    // With the rustdoc engine alone, what the syn engine could not see
    // does not matter (its notes come from the rustdoc engine instead).
    let mut notes = Vec::new();
    if let Some(at) = configured {
        notes.push(format!(
            "API read by the {} engine, as {at} asks for this crate",
            engine.name()
        ));
    }
    if engine != Engine::Rustdoc {
        notes.extend(new.notes.iter().cloned());
        // Notes that say the same of the old version with other numbers
        // (`derive macros on 6 public type(s)` vs `on 7`) are not repeated.
        let kind = |n: &str| n.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        for n in &old.notes {
            let counted = n.starts_with(|c: char| c.is_alphabetic());
            let said = notes.contains(n) || (counted && notes.iter().any(|x| kind(x) == kind(n)));
            if !said {
                notes.push(format!("old version: {n}"));
            }
        }
        if api.compiled {
            // The compiler read both versions: what syn could not see, it saw.
            notes.retain(|n| !engines::made_untrue_by_rustdoc(n));
        }
    }
    if c.behavior.iter().any(|b| b.code == "changed-via-callee") {
        notes.push(
            "behaviour reach is found through a call graph built from names (not types): a call through a trait, a closure or a function pointer can be missed"
                .to_string(),
        );
    }
    let outside = c
        .changes
        .iter()
        .filter(|ch| ch.outside_features.is_some())
        .count();
    if outside > 0 {
        notes.push(format!(
            "API seen with {}: {outside} change(s) exist only under other features and name them{}",
            view.describe(),
            if view.explicit() {
                "; they are not violations for this feature set"
            } else {
                "; they still count, because the crate's SemVer promise covers every feature"
            }
        ));
    }
    notes.extend(api.notes);
    notes.extend(unread);
    c.notes = notes;
    c.analysis = if let Some(failure) = api.failure {
        // The crate was there; reading it failed (rustdoc could not build it).
        Analysis {
            status: AnalysisStatus::Failed,
            reason: Some(failure),
            failed_in: Some(FailedIn::Crate),
        }
    } else if problems.is_empty() {
        Analysis {
            status: AnalysisStatus::Analysed,
            reason: None,
            failed_in: None,
        }
    } else {
        Analysis {
            status: AnalysisStatus::Partial,
            reason: Some(
                "some source files could not be read; the API of the items in them is unknown"
                    .to_string(),
            ),
            failed_in: None,
        }
    };
    c.problems = problems;
    Ok(())
}

fn read_surface(dir: &Path, settings: &SourceSettings) -> Result<ApiSurface> {
    match settings.engines.general() {
        Engine::Syn => syn_engine::surface_from_dir(dir),
        Engine::Rustdoc => {
            let opts = settings
                .engines
                .build_options(&settings.cache_dir, settings.offline);
            Ok(rustdoc_engine::surface_from_dir(dir, &opts)?)
        }
        Engine::Both => bail!(
            "`bumpguard api` lists one engine's view: give --engine syn or --engine rustdoc (`both` is for diff and check)"
        ),
    }
}

/// `bumpguard diff CRATE OLD NEW`: two published versions from crates.io.
pub fn run_diff_published(
    name: &str,
    old: &str,
    new: &str,
    sources: &SourceSettings,
) -> Result<Report> {
    run_diff_published_in(name, old, new, sources, &FeatureView::Default)
}

/// [`run_diff_published`] with the API looked at through `view`.
pub fn run_diff_published_in(
    name: &str,
    old: &str,
    new: &str,
    sources: &SourceSettings,
    view: &FeatureView,
) -> Result<Report> {
    let (old_v, new_v) = (parse_version(old)?, parse_version(new)?);
    let fetcher = Fetcher::new(sources.clone());
    let mut report = new_report("diff", format!("{name} {old_v}"), format!("{name} {new_v}"));
    let mut c = crate_entry(name, &old_v, &new_v);
    c.old_source = Some("crates.io".into());
    c.new_source = Some("crates.io".into());
    let old_dir = fetch_published(&fetcher, name, &old_v)?;
    let new_dir = fetch_published(&fetcher, name, &new_v)?;
    check_feature_names(view, &[&old_dir, &new_dir], name)?;
    compare_trees(&old_dir, &new_dir, &mut c, view, sources, [None, None])?;
    c.yanked = yanked_versions(&fetcher, name, [&old_v, &new_v]);
    report.crates.push(c);
    report.notes.extend(fetcher.take_notes());
    gate_builtin(&mut report)?;
    Ok(report)
}

fn parse_version(v: &str) -> Result<Version> {
    Version::parse(v)
        .with_context(|| format!("'{v}' is not a version number (expected something like 1.2.3)"))
}

/// The extracted tree of a version published on crates.io, its checksum
/// taken from the index. An unknown version is an error that lists the
/// latest published ones.
fn fetch_published(fetcher: &Fetcher, name: &str, v: &Version) -> Result<PathBuf> {
    let checksum = match fetcher.registry_checksum(name, v) {
        Ok(sum) => sum,
        Err(FetchError::NotFound { .. }) => {
            let hint = match fetcher.registry_versions(name) {
                Ok(vs) if !vs.is_empty() => {
                    let tail: Vec<String> =
                        vs.iter().rev().take(8).map(|v| v.to_string()).collect();
                    format!("; latest published versions: {}", tail.join(", "))
                }
                _ => String::new(),
            };
            bail!("{name} {v} is not published on crates.io{hint}");
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot look up {name} {v} on crates.io"))
            );
        }
    };
    let rc = RegistryCrate {
        name: name.to_string(),
        version: v.clone(),
        registry: "registry+https://github.com/rust-lang/crates.io-index".to_string(),
        checksum: Some(checksum),
    };
    match fetch(fetcher, &rc, Vendored::NONE) {
        Ok(dir) => Ok(dir),
        Err(FetchOutcome::Fatal(e)) => Err(e),
        Err(FetchOutcome::Failed(msg)) => bail!("cannot get {name} {v}: {msg}"),
    }
}

fn crate_entry(name: &str, old: &Version, new: &Version) -> CrateReport {
    CrateReport {
        old_version: Some(old.to_string()),
        new_version: Some(new.to_string()),
        bump: Some(bump_kind(old, new)),
        allows: allowed_level(old, new),
        ..CrateReport::blank(name, ChangeKind::Updated)
    }
}

/// Name and version from a crate directory's `Cargo.toml`.
fn manifest_identity(dir: &Path) -> Result<(String, Option<Version>)> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (is {} a crate directory?)",
            path.display(),
            dir.display()
        )
    })?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let pkg = table.get("package").and_then(|p| p.as_table());
    let name = pkg
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no [package] name", path.display()))?;
    let version = pkg
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .and_then(|v| Version::parse(v).ok());
    Ok((name.to_string(), version))
}

/// `bumpguard diff --old DIR --new DIR`: two local crate trees, with the syn engine.
pub fn run_diff_dirs(old_dir: &Path, new_dir: &Path) -> Result<Report> {
    run_diff_dirs_with(
        old_dir,
        new_dir,
        &FeatureView::Default,
        &SourceSettings::from_env(),
    )
}

/// [`run_diff_dirs`] with the API looked at through `view`, with the engine
/// (and its cache) of `settings`.
pub fn run_diff_dirs_with(
    old_dir: &Path,
    new_dir: &Path,
    view: &FeatureView,
    settings: &SourceSettings,
) -> Result<Report> {
    let (old_name, old_v) = manifest_identity(old_dir)?;
    let (new_name, new_v) = manifest_identity(new_dir)?;
    let mut report = new_report(
        "diff",
        old_dir.display().to_string(),
        new_dir.display().to_string(),
    );
    if old_name != new_name {
        report.notes.push(format!("the two directories hold different packages ({old_name} and {new_name}); comparing them anyway"));
    }
    let zero = Version::new(0, 0, 0);
    let mut c = crate_entry(
        &new_name,
        old_v.as_ref().unwrap_or(&zero),
        new_v.as_ref().unwrap_or(&zero),
    );
    if old_v.is_none() || new_v.is_none() {
        c.old_version = old_v.as_ref().map(|v| v.to_string());
        c.new_version = new_v.as_ref().map(|v| v.to_string());
        c.bump = None;
        c.allows = None;
        report.notes.push("a version number is missing from a Cargo.toml: API changes are listed but no SemVer verdict is given".to_string());
    }
    if c.bump == Some(crate::versions::BumpKind::Unchanged) {
        report.notes.push("both directories have the same version number: every API change that is not a patch-level change is a violation".to_string());
        c.allows = Some(crate::versions::Level::Patch);
    }
    c.old_source = Some("path".into());
    c.new_source = Some("path".into());
    check_feature_names(view, &[old_dir, new_dir], &new_name)?;
    compare_trees(old_dir, new_dir, &mut c, view, settings, [None, None])?;
    report.crates.push(c);
    gate_builtin(&mut report)?;
    Ok(report)
}

/// `--features` names must exist in one of the two versions (as a
/// `[features]` entry or an optional dependency), as cargo requires: a typo
/// must not quietly change which changes count.
fn check_feature_names(view: &FeatureView, dirs: &[&Path], krate: &str) -> Result<()> {
    let FeatureView::Selected { features, .. } = view else {
        return Ok(());
    };
    let mut known = std::collections::BTreeSet::new();
    for dir in dirs {
        let path = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(table) = toml::from_str::<toml::Table>(&text) else {
            continue;
        };
        // An optional dependency is a feature of its own unless some
        // feature names it as `dep:NAME` (then cargo makes no such feature).
        let mut dep_named = std::collections::BTreeSet::new();
        if let Some(f) = table.get("features").and_then(|f| f.as_table()) {
            known.extend(f.keys().cloned());
            for list in f.values().filter_map(|v| v.as_array()) {
                dep_named.extend(
                    list.iter()
                        .filter_map(|e| e.as_str()?.strip_prefix("dep:"))
                        .map(str::to_string),
                );
            }
        }
        let mut tables: Vec<&toml::Table> = Vec::new();
        for deps in ["dependencies", "build-dependencies"] {
            tables.extend(table.get(deps).and_then(|d| d.as_table()));
        }
        if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
            for t in targets.values() {
                tables.extend(t.get("dependencies").and_then(|d| d.as_table()));
            }
        }
        for d in tables {
            known.extend(
                d.iter()
                    .filter(|(_, v)| v.get("optional").and_then(|o| o.as_bool()) == Some(true))
                    .filter(|(k, _)| !dep_named.contains(*k))
                    .map(|(k, _)| k.clone()),
            );
        }
    }
    let unknown: Vec<&String> = features
        .iter()
        .filter(|f| *f != "default" && !known.contains(*f))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = known.iter().map(String::as_str).collect();
    bail!(
        "{krate} has no feature {} in either version (features: {})",
        unknown
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", "),
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    )
}

/// `diff` has no repository: the built-in rules mark what they cover, and
/// nothing is run or blocked by them.
fn gate_builtin(report: &mut Report) -> Result<()> {
    let rules = crate::rules::builtin().map_err(|d| {
        anyhow::Error::new(crate::toml_read::Diags(d)).context("the built-in rules have problems")
    })?;
    gate::apply(report, &rules, &Config::default(), Contracts::NotApplicable);
    Ok(())
}

/// Which crate `bumpguard api` should list.
pub enum ApiTarget {
    Published { name: String, version: String },
    Dir(PathBuf),
}

/// `bumpguard api`: the public API of one crate version.
pub fn run_api(target: &ApiTarget, sources: &SourceSettings) -> Result<ApiSurface> {
    match target {
        ApiTarget::Dir(d) => {
            manifest_identity(d)?;
            read_surface(d, sources)
        }
        ApiTarget::Published { name, version } => {
            let v = parse_version(version)?;
            let dir = fetch_published(&Fetcher::new(sources.clone()), name, &v)?;
            read_surface(&dir, sources)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_args_repeat_what_is_not_the_default() {
        let mut opts = CheckOptions {
            repo: PathBuf::from("."),
            base: None,
            head: None,
            staged: false,
            config: None,
            contracts: ContractsMode::Run,
        };
        assert_eq!(opts.accept_args(), "");
        opts.base = Some("origin/main".into());
        opts.head = Some("HEAD~1".into());
        opts.repo = PathBuf::from("odd dir ü");
        assert_eq!(
            opts.accept_args(),
            " --repo 'odd dir ü' --base origin/main --head 'HEAD~1'"
        );
        assert_eq!(
            crate::report::accept_command(&opts.accept_args(), "bg-1"),
            "bumpguard accept bg-1 --repo 'odd dir ü' --base origin/main --head 'HEAD~1' --reason \"...\""
        );
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u32> = (0..100).collect();
        let out = parallel_map(&items, |i| i * 2);
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(parallel_map(&Vec::<u32>::new(), |i| *i).is_empty());
    }

    #[test]
    fn requested_features_include_default() {
        let mut ws = WorkspaceInfo::default();
        let dep = |default_features, features: &[&str]| workspace::DeclaredDep {
            name: "x".into(),
            req: "1".into(),
            kind: workspace::DepKind::Normal,
            optional: false,
            default_features,
            features: features.iter().map(|f| f.to_string()).collect(),
            rename: None,
            target: None,
        };
        ws.direct.insert("a".into(), vec![dep(false, &["tls"])]);
        assert_eq!(requested_features(&ws, "x"), vec!["tls"]);
        ws.direct.insert("b".into(), vec![dep(true, &["acme"])]);
        assert_eq!(requested_features(&ws, "x"), vec!["acme", "default", "tls"]);
        assert!(requested_features(&ws, "y").is_empty());
    }
}
