//! Where an API change's item is declared: its file and every path it is
//! known by, read from the syn engine's parse of the crate.
//!
//! An API change names one public path (the surface lists an item once per
//! path). Rules are written against modules (`tls::acme::**`) or files
//! (`src/tls/acme/**`), and a module may be private with its items
//! re-exported elsewhere; so each change also carries the file and the
//! declaration path of its item, and the other public paths of the same
//! declaration.

use crate::api::syn_engine::CrateModel;
use crate::semver_check::ApiChange;
use std::collections::HashMap;
use syn::Item;

/// One declaration: its file and every path it is known by.
#[derive(Debug, Clone)]
struct Place {
    file: String,
    /// Public display paths and the declaration path, sorted, each once.
    paths: Vec<String>,
    /// The declaration path (`crate::tls::acme::Opts`).
    declared: String,
}

/// Public display path -> the declaration behind it.
pub struct Locations {
    by_path: HashMap<String, Place>,
}

fn item_name(item: &Item) -> Option<String> {
    let ident = match item {
        Item::Fn(f) => &f.sig.ident,
        Item::Struct(s) => &s.ident,
        Item::Enum(e) => &e.ident,
        Item::Union(u) => &u.ident,
        Item::Trait(t) => &t.ident,
        Item::TraitAlias(t) => &t.ident,
        Item::Type(t) => &t.ident,
        Item::Const(c) => &c.ident,
        Item::Static(s) => &s.ident,
        Item::Mod(m) => &m.ident,
        Item::Macro(m) => m.ident.as_ref()?,
        Item::Impl(imp) => {
            // An impl's members are declared under the type's name.
            return match &*imp.self_ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
        }
        _ => return None,
    };
    Some(ident.to_string().trim_start_matches("r#").to_string())
}

impl Locations {
    /// Reads the declarations of `model`; `crate_name` is the name code
    /// uses (`ic_bn_lib`).
    pub fn new(model: &CrateModel, crate_name: &str) -> Locations {
        let mut by_path = HashMap::new();
        for ((id, member), shown) in &model.public {
            let Some(decl) = model.krate.decls.get(*id) else {
                continue;
            };
            let Some(name) = item_name(&decl.item) else {
                continue;
            };
            let module = model
                .krate
                .modules
                .get(decl.module)
                .map(|m| m.path.clone())
                .unwrap_or_default();
            let mut segs = vec![crate_name.to_string()];
            segs.extend(module);
            segs.push(name);
            segs.extend(member.iter().cloned());
            let declared = segs.join("::");
            let mut paths: Vec<String> = shown.clone();
            paths.push(declared.clone());
            paths.sort();
            paths.dedup();
            let place = Place {
                file: decl.file.clone(),
                paths,
                declared,
            };
            for p in shown {
                by_path.entry(p.clone()).or_insert_with(|| place.clone());
            }
        }
        Locations { by_path }
    }

    /// The file and the paths of the item an API change names: the item
    /// itself, or the item it belongs to (a field `Opts.tls_config`, an
    /// impl `Opts impl Debug`, an associated item), with the member's part
    /// kept on each path.
    pub fn locate(&self, path: &str) -> Option<(String, Vec<String>)> {
        // `Opts impl Debug`, `f (impl for Vec<u8>)`: the item is the first word.
        let (base, suffix) = match path.split_once(' ') {
            Some((b, rest)) => (b, format!(" {rest}")),
            None => (path, String::new()),
        };
        if let Some(p) = self.by_path.get(base) {
            let paths = p.paths.iter().map(|x| format!("{x}{suffix}")).collect();
            return Some((p.file.clone(), paths));
        }
        // A member: `Opts.tls_config`, `Type::CONST`.
        let split = base
            .rfind('.')
            .map(|i| (&base[..i], &base[i..]))
            .or_else(|| base.rfind("::").map(|i| (&base[..i], &base[i..])))?;
        let (parent, member) = split;
        let p = self.by_path.get(parent)?;
        let mut paths: Vec<String> = p
            .paths
            .iter()
            .map(|x| format!("{x}{member}{suffix}"))
            .collect();
        paths.push(format!("{}{member}{suffix}", p.declared));
        paths.sort();
        paths.dedup();
        Some((p.file.clone(), paths))
    }
}

/// Sets `file` and `paths` on every change whose item is found: in the new
/// version's parse, or the old one's (a removed item).
pub fn annotate(changes: &mut [ApiChange], old: Option<&Locations>, new: Option<&Locations>) {
    for c in changes {
        let found = match (&c.new, &c.old) {
            (None, Some(_)) => old
                .and_then(|l| l.locate(&c.path))
                .or_else(|| new.and_then(|l| l.locate(&c.path))),
            _ => new
                .and_then(|l| l.locate(&c.path))
                .or_else(|| old.and_then(|l| l.locate(&c.path))),
        };
        if let Some((file, paths)) = found {
            c.file = Some(file);
            // Only worth saying when the item has another path than this one.
            if paths.iter().any(|p| *p != c.path) {
                c.paths = paths;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::syn_engine;

    fn crate_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_re_exported_item_is_found_with_its_file_and_declaration_path() {
        let dir = crate_dir(&[
            (
                "Cargo.toml",
                "[package]\nname = \"certlib\"\nversion = \"1.0.0\"\n",
            ),
            (
                "src/lib.rs",
                "mod tls;\npub use tls::acme::{Opts, connect};\n",
            ),
            ("src/tls/mod.rs", "pub mod acme;\n"),
            (
                "src/tls/acme.rs",
                "pub struct Opts { pub domain: String }\nimpl Opts { pub fn new() -> Self { todo!() } }\npub fn connect() {}\n",
            ),
        ]);
        let (_, model) = syn_engine::read_crate(dir.path()).unwrap();
        let loc = Locations::new(&model.unwrap(), "certlib");
        let (file, paths) = loc.locate("certlib::connect").unwrap();
        assert_eq!(file, "src/tls/acme.rs");
        assert!(
            paths.contains(&"certlib::tls::acme::connect".to_string()),
            "{paths:?}"
        );
        let (file, paths) = loc.locate("certlib::Opts.domain").unwrap();
        assert_eq!(file, "src/tls/acme.rs");
        assert!(
            paths.contains(&"certlib::tls::acme::Opts.domain".to_string()),
            "{paths:?}"
        );
        let (_, paths) = loc.locate("certlib::Opts::new").unwrap();
        assert!(
            paths.contains(&"certlib::tls::acme::Opts::new".to_string()),
            "{paths:?}"
        );
        assert!(loc.locate("certlib::nothing").is_none());
    }
}
