//! `bumpguard init`: the starter files land at the repository root, an
//! existing file is never replaced without --force (it is kept, the missing
//! ones are written), and each template is what it claims to be: bumpguard.toml is
//! valid TOML using only keys docs/rules.md documents (its commented example
//! too), the workflow is the README's example, the contract skeleton compiles.

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::Repo;

fn bumpguard() -> Command {
    let mut c = Command::cargo_bin("bumpguard").expect("binary");
    c.arg("--color=never");
    c
}

fn manifest_file(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

const FILES: [&str; 3] = [
    "bumpguard.toml",
    ".github/workflows/bumpguard.yml",
    "tests/bumpguard_contracts.rs",
];

#[test]
fn writes_the_starter_files_at_the_repository_root() {
    let repo = Repo::new();
    repo.write("src/lib.rs", "\n");
    let out = bumpguard()
        .current_dir(repo.path().join("src"))
        .arg("init")
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for f in FILES {
        assert!(repo.path().join(f).is_file(), "{f} missing");
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("bumpguard: wrote ") && l.contains(f)),
            "{stdout}"
        );
    }
    assert!(!repo.path().join("src/bumpguard.toml").exists());
    // The workflow is the README's example, byte for byte.
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".github/workflows/bumpguard.yml"))
            .expect("workflow"),
        manifest_file("examples/bumpguard.yml")
    );
}

#[test]
fn existing_files_are_kept_and_missing_ones_written_without_force() {
    let repo = Repo::new();
    repo.write("bumpguard.toml", "# mine\n");
    // Global options (`-q`) before the command, init's own after it.
    let init = |args: &[&str]| {
        let (global, own): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| **a == "-q");
        let out = bumpguard()
            .args(global)
            .args(["init", "--dir"])
            .arg(repo.path())
            .args(own)
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    let stdout = init(&[]);
    assert!(
        stdout.contains(&format!(
            "bumpguard: kept existing {} (use --force to replace)",
            repo.path().join("bumpguard.toml").display()
        )),
        "{stdout}"
    );
    assert_eq!(stdout.matches("bumpguard: wrote ").count(), 2, "{stdout}");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("bumpguard.toml")).expect("kept"),
        "# mine\n"
    );
    assert!(repo.path().join(FILES[1]).is_file());
    assert!(repo.path().join(FILES[2]).is_file());

    // One file deleted (and one edited): only the missing one comes back.
    std::fs::remove_file(repo.path().join(FILES[1])).expect("delete workflow");
    repo.write(FILES[2], "// my contracts\n");
    let stdout = init(&[]);
    assert_eq!(stdout.matches("bumpguard: wrote ").count(), 1, "{stdout}");
    assert!(stdout.contains(FILES[1]), "{stdout}");
    assert_eq!(
        stdout.matches("bumpguard: kept existing ").count(),
        2,
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(FILES[1])).expect("workflow"),
        manifest_file("examples/bumpguard.yml")
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(FILES[2])).expect("kept"),
        "// my contracts\n"
    );

    // Everything exists: nothing to do, not an error; each file is named.
    let stdout = init(&[]);
    for f in FILES {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("bumpguard: kept existing ") && l.contains(f)),
            "{f}: {stdout}"
        );
    }
    assert!(init(&["-q"]).is_empty(), "--quiet prints nothing");

    // --force replaces them all.
    let stdout = init(&["--force"]);
    assert_eq!(
        stdout.matches("bumpguard: replaced ").count(),
        3,
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("bumpguard.toml")).expect("replaced"),
        manifest_file("templates/bumpguard.toml")
    );
}

#[test]
fn a_plain_directory_works_and_a_missing_one_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = bumpguard()
        .args(["init", "--quiet", "--dir"])
        .arg(tmp.path())
        .assert()
        .code(0);
    assert!(out.get_output().stdout.is_empty(), "--quiet prints nothing");
    assert!(tmp.path().join("tests/bumpguard_contracts.rs").is_file());
    let out = bumpguard()
        .args(["init", "--dir"])
        .arg(tmp.path().join("nope"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn a_virtual_workspace_is_told_where_the_contract_tests_go() {
    // What `init` prints in a folder whose Cargo.toml is `manifest`.
    let init_with = |manifest: &str| {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("Cargo.toml"), manifest).expect("manifest");
        let out = bumpguard()
            .args(["init", "--dir"])
            .arg(tmp.path())
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).to_string()
    };
    let stdout = init_with("[workspace]\nmembers = [\"crates/svc\"]\nresolver = \"2\"\n");
    assert!(
        stdout.contains("is a virtual workspace, and cargo builds tests only inside a package"),
        "{stdout}"
    );
    // A package at the root needs no such note.
    let stdout = init_with("[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[workspace]\n");
    assert!(!stdout.contains("virtual workspace"), "{stdout}");
}

/// `key` is documented in docs/rules.md (as `key` in a table or example).
fn assert_documented(key: &str, docs: &str) {
    assert!(
        docs.contains(&format!("`{key}`")) || docs.contains(&format!("\n{key} = ")),
        "{key} is not in docs/rules.md"
    );
}

/// The commented example of a TOML template, uncommented: lines that look
/// like TOML (`# [table]`, `# key = value`).
fn uncommented(text: &str) -> String {
    text.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.starts_with('[')
                || l.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                })
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `bumpguard rules check` (the configuration reader `check` uses) accepts
/// the written bumpguard.toml as it is, and with its example uncommented.
#[test]
fn bumpguard_reads_the_configuration_template_without_problems() {
    let repo = Repo::new();
    bumpguard()
        .args(["init", "-q", "--dir"])
        .arg(repo.path())
        .assert()
        .code(0);
    let check = |repo: &Repo| {
        let out = bumpguard()
            .args(["rules", "check", "--repo"])
            .arg(repo.path())
            .output()
            .expect("rules check");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    check(&repo);
    let template = manifest_file("templates/bumpguard.toml");
    let example = Repo::new();
    example.write(
        "bumpguard.toml",
        &(template.clone() + &uncommented(&template)),
    );
    std::fs::create_dir_all(example.path().join(".bumpguard/rules")).expect("mkdir");
    check(&example);
}

#[test]
fn the_configuration_template_is_valid_and_documented() {
    let docs = manifest_file("docs/rules.md");
    let text = manifest_file("templates/bumpguard.toml");
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    assert_eq!(
        table.keys().collect::<Vec<_>>(),
        ["policy", "rules"],
        "only defaults are active"
    );
    for section in ["policy", "rules"] {
        for key in table[section].as_table().expect("table").keys() {
            assert_documented(key, &docs);
        }
    }
    assert_eq!(table["policy"]["semver-violations"].as_str(), Some("block"));

    // The commented example is valid too, and binds the skeleton's tests.
    // Uncommented in place: `dirs` falls under [rules], the rest after it.
    let example: toml::Table =
        toml::from_str(&(text.clone() + &uncommented(&text))).expect("example is TOML");
    assert_eq!(
        example["rules"]["dirs"].as_array().map(Vec::len),
        Some(1),
        "the commented dirs line"
    );
    let rule = example["rule"]["certlib-acme"]
        .as_table()
        .expect("the rule");
    for key in rule.keys() {
        assert_documented(key, &docs);
    }
    for required in ["crate", "paths", "reason"] {
        assert!(rule.contains_key(required), "{required}");
    }
    let contracts = example["contract"].as_array().expect("[[contract]]");
    assert_eq!(contracts.len(), 1);
    let contract = contracts[0].as_table().expect("contract");
    for key in contract.keys() {
        assert_documented(key, &docs);
    }
    assert_eq!(contract["rule"].as_str(), Some("certlib-acme"));
    assert_eq!(contract["test"].as_str(), Some("bumpguard_contracts"));
    let filter = contract["filter"].as_str().expect("filter");
    let skeleton = manifest_file("templates/bumpguard_contracts.rs");
    assert!(
        skeleton.contains(&format!("fn {filter}_")),
        "the skeleton's example test is not picked by the filter {filter:?}"
    );
}

#[test]
fn the_contract_skeleton_compiles_and_its_example_parses() {
    let skeleton = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/bumpguard_contracts.rs");
    let tmp = tempfile::tempdir().expect("tempdir");
    // As cargo would build tests/bumpguard_contracts.rs: a test crate.
    let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2021",
            "--test",
            "--emit=metadata",
            "--crate-name",
            "bumpguard_contracts",
            "-o",
        ])
        .arg(tmp.path().join("out.rmeta"))
        .arg(&skeleton)
        .output()
        .expect("rustc");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The commented example, uncommented, is Rust with one #[test].
    let text = std::fs::read_to_string(&skeleton).expect("skeleton");
    let example: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("// "))
        .skip_while(|l| !l.starts_with("#[test]"))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = syn::parse_file(&example).expect("the example parses");
    assert_eq!(file.items.len(), 1);
    assert!(
        example.starts_with("#[test]\nfn certlib_acme_"),
        "{example}"
    );
    // The binding shown in the doc comment is valid TOML.
    let doc: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "```toml")
        .skip(1)
        .take_while(|l| *l != "```")
        .map(|l| format!("{l}\n"))
        .collect();
    let binding: toml::Table = toml::from_str(&doc).expect("doc TOML");
    assert_eq!(
        binding["contract"][0]["test"].as_str(),
        Some("bumpguard_contracts")
    );
}

#[test]
fn the_example_workflow_uses_this_version() {
    let workflow = manifest_file("examples/bumpguard.yml");
    assert!(
        workflow.contains(&format!(
            "uses: bumpguard/bumpguard@v{}",
            env!("CARGO_PKG_VERSION")
        )),
        "examples/bumpguard.yml pins another release"
    );
}

/// The README shows the example workflow as it is (without its header comment).
#[test]
fn the_readme_shows_the_example_workflow() {
    let example = manifest_file("examples/bumpguard.yml");
    let body: String = example
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = manifest_file("README.md");
    let start = readme
        .find("```yaml\nname: bumpguard\n")
        .expect("the workflow in the README")
        + "```yaml\n".len();
    let end = start + readme[start..].find("```\n").expect("end of block");
    assert_eq!(&readme[start..end], body);
}

#[test]
fn a_file_where_a_folder_goes_stops_init_before_it_writes_anything() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join(".github"), "not a folder").expect("file");
    let out = bumpguard()
        .args(["init", "--dir"])
        .arg(tmp.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains(".github is not a directory (nothing was written)"),
        "{stderr}"
    );
    assert!(!tmp.path().join("bumpguard.toml").exists());
    assert!(!tmp.path().join("tests").exists());
}
