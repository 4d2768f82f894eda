//! External tools some tests run for real (check-jsonschema, actionlint,
//! from PyPI; `.ci/run` installs them). Without one, the test that needs it
//! prints a `skipping` line and passes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// True when `program --version` runs; otherwise prints why `test` skips.
pub fn available(program: &str, test: &str, install: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        // Straight to stderr: the harness captures eprintln! but not this.
        let _ = writeln!(
            std::io::stderr(),
            "skipping {test}: `{program}` is not installed ({install})"
        );
    }
    ok
}

/// The official SARIF 2.1.0 schema, vendored (see tests/fixtures/README.md).
pub fn sarif_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json")
}

/// Runs `check-jsonschema` with `args`: whether it accepted, and what it said.
pub fn check_jsonschema(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new("check-jsonschema")
        .args(args)
        .output()
        .expect("run check-jsonschema");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Validates a SARIF file against the vendored official schema; panics
/// with the validator's message when it is refused.
pub fn assert_valid_sarif(file: &Path) {
    let schema = sarif_schema();
    let (ok, said) = check_jsonschema(&[
        "--schemafile".as_ref(),
        schema.as_os_str(),
        file.as_os_str(),
    ]);
    assert!(ok, "{} is not valid SARIF 2.1.0:\n{said}", file.display());
}
