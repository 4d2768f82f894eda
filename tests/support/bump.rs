//! A git repository in which one dependency, a fixture crate pair, is bumped
//! from its old to its new version: the base commit has the old lockfile,
//! the head commit the new one. Crates come from a fake `CARGO_HOME`, so
//! `bumpguard check` runs offline.

use super::{CRATES_IO, FakeCargoHome, Pkg, Repo, crate_archive, fixture, lockfile};
use std::path::{Path, PathBuf};

pub struct Bumped {
    /// Holds the fake CARGO_HOME and bumpguard's cache.
    pub tmp: tempfile::TempDir,
    pub repo: Repo,
    pub cargo_home: FakeCargoHome,
    pub cache: PathBuf,
    pub name: String,
    pub old_version: String,
    pub new_version: String,
    /// Commit with the old lockfile.
    pub base: String,
    /// Commit with the new lockfile (HEAD).
    pub head: String,
    pub head_lock: String,
}

/// `name` and `version` from a fixture's `Cargo.toml`.
fn identity(dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("fixture Cargo.toml");
    let table: toml::Table = toml::from_str(&text).expect("fixture manifest");
    let pkg = &table["package"];
    (
        pkg["name"].as_str().expect("name").to_string(),
        pkg["version"].as_str().expect("version").to_string(),
    )
}

/// Every feature the fixture declares (but `default`): the app enables them
/// all, so that the API is looked at as a user of every feature would.
fn features(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("fixture Cargo.toml");
    let table: toml::Table = toml::from_str(&text).expect("fixture manifest");
    table
        .get("features")
        .and_then(|f| f.as_table())
        .map(|f| f.keys().filter(|k| *k != "default").cloned().collect())
        .unwrap_or_default()
}

/// A lockfile: `app` depending on each `(name, version, checksum)`.
fn app_lock(crates: &[(String, String, String)]) -> String {
    let deps: Vec<&str> = crates.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut packages = vec![Pkg {
        name: "app",
        version: "0.1.0",
        source: None,
        checksum: None,
        deps: &deps,
    }];
    for (name, version, sum) in crates {
        packages.push(Pkg {
            name,
            version,
            source: Some(CRATES_IO),
            checksum: Some(sum),
            deps: &[],
        });
    }
    // Sorted by name, as cargo writes them.
    packages.sort_by_key(|p| p.name);
    lockfile(&packages)
}

/// The repository for fixture pair `pair`, both commits made.
pub fn bumped(pair: &str) -> Bumped {
    bumped_all(&[pair])
}

/// The repository where every pair of `pairs` is bumped in one commit;
/// `name` and the versions of [`Bumped`] are the first pair's.
pub fn bumped_all(pairs: &[&str]) -> Bumped {
    let dirs: Vec<(PathBuf, PathBuf)> = pairs
        .iter()
        .map(|p| (fixture(p, "old"), fixture(p, "new")))
        .collect();
    bumped_dirs(&dirs)
}

/// Like [`bumped_all`], for crate pairs anywhere (`(old dir, new dir)`),
/// for example generated ones.
pub fn bumped_dirs(pairs: &[(PathBuf, PathBuf)]) -> Bumped {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cargo_home = FakeCargoHome::new(&tmp.path().join("cargo-home"));
    let cache = tmp.path().join("cache");
    let mut old = Vec::new();
    let mut new = Vec::new();
    for (old_dir, new_dir) in pairs {
        for (dir, list) in [(old_dir, &mut old), (new_dir, &mut new)] {
            let (name, version) = identity(dir);
            let sum = cargo_home.add(&name, &version, &crate_archive(dir, &name, &version));
            list.push((name, version, sum));
        }
    }
    let repo = Repo::new();
    let deps: String = old
        .iter()
        .zip(pairs)
        .map(|((n, v, _), (_, new_dir))| {
            let features: Vec<String> =
                features(new_dir).iter().map(|f| format!("{f:?}")).collect();
            format!(
                "{n} = {{ version = \"{v}\", features = [{}] }}\n",
                features.join(", ")
            )
        })
        .collect();
    repo.write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"
        ),
    );
    repo.write("src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", &app_lock(&old));
    let base = repo.commit("initial");
    let head_lock = app_lock(&new);
    repo.write("Cargo.lock", &head_lock);
    let head = repo.commit("bump dependencies");
    Bumped {
        tmp,
        repo,
        cargo_home,
        cache,
        name: old[0].0.clone(),
        old_version: old[0].1.clone(),
        new_version: new[0].1.clone(),
        base,
        head,
        head_lock,
    }
}

impl Bumped {
    /// `bumpguard` with this repository's offline environment (no colour, not under GitHub Actions).
    pub fn bumpguard(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("bumpguard").expect("binary");
        c.env("CARGO_HOME", &self.cargo_home.root)
            .env("XDG_CACHE_HOME", &self.cache)
            .env("BUMPGUARD_OFFLINE", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("NO_COLOR")
            .arg("--color=never");
        c
    }

    /// The 1-based line of `version = "<new>"` in the bumped crate's entry of the head lockfile.
    pub fn version_line(&self) -> usize {
        let entry = format!(
            "name = \"{}\"\nversion = \"{}\"",
            self.name, self.new_version
        );
        let at = self
            .head_lock
            .find(&entry)
            .expect("entry in the head lockfile");
        self.head_lock[..at].lines().count() + 2
    }
}
