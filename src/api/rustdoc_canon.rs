//! The rustdoc engine's way into [`api::canon`](super::canon): a function
//! signature or a declaration's generics, written as Rust with every path
//! already resolved (rustdoc resolved them: this crate's types as
//! `__local::path`, std's by their short or `std::` names), is parsed and
//! put in the canonical form the syn engine gives it, so that both engines
//! fill [`FnShape`] and [`GenericsShape`] alike.
//!
//! The syn engine normalizes a canonical signature with its `Normalizer`,
//! which also resolves paths through the crate's imports; [`Tidy`] does the
//! rest of that work (bounds moved to one sorted `where` list, `'_`
//! dropped, `mut self` and `const` left out, bounds of `impl`/`dyn` sorted)
//! on paths that need no resolving.

use super::canon::{self, Outer, Renames};
use super::syn_engine::{
    PRELUDE, drop_elided_bounds, drop_elided_lifetime_args, rename_generics, sort_bounds,
};
use super::{FnShape, GenericsShape, render};
use syn::visit_mut::VisitMut;

/// The syn engine's structural normalization, without path resolution.
/// Paths written with a leading `::` that name a std prelude type (the
/// future `api::canon` gives an `async fn`) get their short name.
pub(crate) struct Tidy;

fn is_elided(l: &syn::Lifetime) -> bool {
    l.ident == "_"
}

impl VisitMut for Tidy {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        syn::visit_mut::visit_type_path_mut(self, tp);
        crate::api::syn_engine::drop_default_object_lifetime(tp);
    }

    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        syn::visit_mut::visit_type_reference_mut(self, r);
        if r.lifetime.as_ref().is_some_and(is_elided) {
            r.lifetime = None;
        }
    }

    fn visit_receiver_mut(&mut self, r: &mut syn::Receiver) {
        syn::visit_mut::visit_receiver_mut(self, r);
        r.mutability = None;
        if let syn::ReceiverKind::Reference(_, lifetime, _) = &mut r.kind
            && lifetime.as_ref().is_some_and(is_elided)
        {
            *lifetime = None;
        }
    }

    fn visit_signature_mut(&mut self, sig: &mut syn::Signature) {
        syn::visit_mut::visit_signature_mut(self, sig);
        sig.constness = None;
    }

    fn visit_type_impl_trait_mut(&mut self, t: &mut syn::TypeImplTrait) {
        syn::visit_mut::visit_type_impl_trait_mut(self, t);
        drop_elided_bounds(&mut t.bounds);
        sort_bounds(&mut t.bounds);
    }

    fn visit_type_trait_object_mut(&mut self, t: &mut syn::TypeTraitObject) {
        syn::visit_mut::visit_type_trait_object_mut(self, t);
        drop_elided_bounds(&mut t.bounds);
        sort_bounds(&mut t.bounds);
    }

    fn visit_path_segment_mut(&mut self, seg: &mut syn::PathSegment) {
        syn::visit_mut::visit_path_segment_mut(self, seg);
        drop_elided_lifetime_args(seg);
    }

    fn visit_generics_mut(&mut self, g: &mut syn::Generics) {
        syn::visit_mut::visit_generics_mut(self, g);
        crate::api::syn_engine::bounds_into_where(g, true);
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        if path.leading_colon.is_none() {
            return;
        }
        let text: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let text = text.join("::");
        if let Some((_, short)) = PRELUDE.iter().find(|(long, _)| *long == text)
            && let Some(last) = path.segments.last().cloned()
        {
            path.leading_colon = None;
            path.segments = std::iter::once(syn::PathSegment {
                ident: syn::Ident::new(short, last.ident.span()),
                arguments: last.arguments,
            })
            .collect();
        }
    }
}

/// Types and traits of std that signatures name by a public path shorter
/// than where they are defined (`std::collections::HashMap`, defined in
/// `std::collections::hash::map`).
const STD_PUBLIC: &[&str] = &[
    "std::collections::HashMap",
    "std::collections::HashSet",
    "std::collections::BTreeMap",
    "std::collections::BTreeSet",
    "std::collections::VecDeque",
    "std::collections::BinaryHeap",
    "std::collections::LinkedList",
    "std::ffi::OsStr",
    "std::ffi::OsString",
    "std::ffi::CStr",
    "std::ffi::CString",
    "std::io::Error",
    "std::io::ErrorKind",
    "std::io::Result",
    "std::net::IpAddr",
    "std::net::Ipv4Addr",
    "std::net::Ipv6Addr",
    "std::net::SocketAddr",
    "std::net::SocketAddrV4",
    "std::net::SocketAddrV6",
    "std::net::TcpListener",
    "std::net::TcpStream",
    "std::net::UdpSocket",
    "std::ops::Range",
    "std::ops::RangeInclusive",
    "std::ops::RangeFrom",
    "std::ops::RangeTo",
    "std::ops::RangeFull",
    "std::ops::RangeBounds",
    "std::ops::Bound",
    "std::ops::Deref",
    "std::ops::DerefMut",
    "std::ops::Index",
    "std::ops::IndexMut",
    "std::ops::ControlFlow",
    "std::str::FromStr",
    "std::task::Poll",
    "std::task::Context",
    "std::task::Waker",
    "std::sync::Mutex",
    "std::sync::MutexGuard",
    "std::sync::RwLock",
    "std::sync::RwLockReadGuard",
    "std::sync::RwLockWriteGuard",
];

/// A std item's definition path (rustdoc's, `core::`/`alloc::` already
/// read as `std::`) written as users name it, where [`STD_PUBLIC`] knows
/// it: `std::<module>::..::<Name>` -> `std::<module>::<Name>`, whatever
/// private modules lie between (they move between Rust releases).
pub(crate) fn std_public_path(def: &str) -> String {
    let parts: Vec<&str> = def.split("::").collect();
    if parts.len() > 3 && parts[0] == "std" {
        let short = format!("std::{}::{}", parts[1], parts[parts.len() - 1]);
        if STD_PUBLIC.contains(&short.as_str()) {
            return short;
        }
    }
    def.to_string()
}

/// What surrounds a function, written as resolved Rust.
pub(crate) enum Around<'a> {
    Free,
    /// An inherent impl: the implemented type (`__local::S<T>`) and the
    /// impl's generics (`<T: Clone>` and ` where ..`, as one text).
    Inherent {
        self_ty: &'a str,
        generics: &'a str,
    },
    /// A trait: its generics (`<A>` and ` where ..`).
    Trait {
        generics: &'a str,
    },
}

/// `<T: Clone> where T: Send` -> the generics.
pub(crate) fn parse_generics(text: &str) -> Option<syn::Generics> {
    let s: syn::ItemStruct = syn::parse_str(&format!("struct __X{text};")).ok()?;
    Some(s.generics)
}

/// The comparison form and parts of the function written as `text`
/// (`pub async fn f<T: Clone>(x: T) -> __local::S where ..`), as the syn
/// engine computes them for the same declaration. `None` when the text does
/// not parse.
pub(crate) fn fn_shape(text: &str, around: &Around<'_>) -> Option<(String, FnShape)> {
    let f: syn::ItemFn = syn::parse_str(&format!("{text} {{}}")).ok()?;
    let (self_ty, generics) = match around {
        Around::Free => (None, None),
        Around::Inherent { self_ty, generics } => (
            Some(syn::parse_str::<syn::Type>(self_ty).ok()?),
            Some(parse_generics(generics)?),
        ),
        Around::Trait { generics } => (None, Some(parse_generics(generics)?)),
    };
    let outer = match (around, &self_ty, &generics) {
        (Around::Inherent { .. }, Some(self_ty), Some(generics)) => {
            Outer::Inherent { self_ty, generics }
        }
        (Around::Trait { .. }, _, Some(generics)) => Outer::Trait { generics },
        _ => Outer::Free,
    };
    let c = canon::canon_fn(&f.sig, &outer);
    let mut sig = c.sig;
    Tidy.visit_signature_mut(&mut sig);
    let for_ty = c.self_ty.map(|mut st| {
        Tidy.visit_type_mut(&mut st);
        st
    });
    Some(canon::fn_parts(&f.vis, &sig, c.explicit, for_ty.as_ref()))
}

/// The positional names of a declaration's parameters, and the
/// declaration's generics parsed (see [`parse_generics`]).
pub(crate) fn positional(generics: &str) -> Option<(syn::Generics, Renames)> {
    let g = parse_generics(generics)?;
    let r = canon::positional(&g);
    Some((g, r))
}

/// A resolved type, its parameters renamed by `renames`, normalized.
pub(crate) fn ty(text: &str, renames: &Renames) -> Option<String> {
    let mut t: syn::Type = syn::parse_str(text).ok()?;
    renames.clone().visit_type_mut(&mut t);
    Tidy.visit_type_mut(&mut t);
    Some(render::ty(&t))
}

/// Resolved bounds (`Clone + __local::Tr<A>`), renamed, normalized and
/// sorted, as the syn engine writes a trait's supertraits.
pub(crate) fn bounds(text: &str, renames: &Renames) -> Option<String> {
    let t: syn::Type = syn::parse_str(&format!("impl {text}")).ok()?;
    let syn::Type::ImplTrait(it) = t else {
        return None;
    };
    let mut b = it.bounds;
    for x in b.iter_mut() {
        renames.clone().visit_type_param_bound_mut(x);
        Tidy.visit_type_param_bound_mut(x);
    }
    sort_bounds(&mut b);
    Some(render::tokens(&b))
}

/// A declaration's comparison form, `{head}{lifetimes}<params>{tail}
/// where ..` (as the syn engine's), and its generics in canonical form.
/// `tail` is already in comparison form (written with `g`'s positional
/// names).
pub(crate) fn header(head: &str, g: &syn::Generics, tail: &str) -> (String, GenericsShape) {
    let renames = canon::positional(g);
    let mut normalized = rename_generics(&renames, g);
    Tidy.visit_generics_mut(&mut normalized);
    crate::api::syn_engine::header_shape(head, g, normalized, tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiSurface;

    /// The syn engine's surface of a one-file crate.
    fn syn_surface(lib: &str) -> ApiSurface {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"t\"\nversion = \"1.0.0\"\n",
        )
        .expect("manifest");
        std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
        std::fs::write(dir.path().join("src/lib.rs"), lib).expect("write");
        crate::api::syn_engine::surface_from_dir(dir.path()).expect("surface")
    }

    /// Signatures written with resolved paths (as the rustdoc engine
    /// writes them) read as the syn engine reads the same declarations.
    #[test]
    fn functions_read_as_the_syn_engine_reads_them() {
        for (source, resolved) in [
            (
                "pub fn f<'a, 'b>(x: &'a str, _y: &'b str) -> &'a str { x }",
                "pub fn f<'a, 'b>(_: &'a str, _: &'b str) -> &'a str",
            ),
            (
                "pub async fn f(x: &[u8]) -> Vec<u8> { x.to_vec() }",
                "pub async fn f(_: &[u8]) -> Vec<u8>",
            ),
            (
                "pub fn f<T: Clone + Send, U>(t: T, u: impl AsRef<str>, w: U) -> Vec<T> where U: Default { todo!() }",
                "pub fn f<T: Send + Clone, U>(_: T, _: impl AsRef<str>, _: U) -> Vec<T> where U: Default",
            ),
            (
                "pub const fn f(x: &mut u8) -> Option<&u8> { None }",
                "pub const fn f(_: &mut u8) -> Option<&u8>",
            ),
            (
                "pub fn f() -> impl Iterator<Item = u8> + Send { std::iter::empty() }",
                "pub fn f() -> impl Send + Iterator<Item = u8>",
            ),
        ] {
            let syn = syn_surface(source);
            let want = syn.items["f"].facts.fn_sig.as_deref().expect("fn_sig");
            let (shape, parts) = fn_shape(resolved, &Around::Free).expect("parses");
            assert_eq!(&parts, want, "{source}");
            assert_eq!(shape, syn.items["f"].shape, "{source}");
        }
    }

    #[test]
    fn methods_and_trait_methods_read_as_the_syn_engine_reads_them() {
        let syn = syn_surface(
            "pub struct S<T>(T);\nimpl<T: Clone> S<T> { pub fn new(t: T) -> Self { S(t) } pub fn get(&mut self) -> &T { &self.0 } }\npub trait Tr<A> { fn put(&self, a: A) -> Option<A>; }",
        );
        let around = Around::Inherent {
            self_ty: "__local::S<U>",
            generics: "<U: Clone>",
        };
        for (key, resolved) in [
            ("S::new", "pub fn new(_: U) -> Self"),
            ("S::get", "pub fn get(&mut self) -> &U"),
        ] {
            let (shape, parts) = fn_shape(resolved, &around).expect("parses");
            assert_eq!(
                Some(&parts),
                syn.items[key].facts.fn_sig.as_deref(),
                "{key}"
            );
            assert_eq!(shape, syn.items[key].shape, "{key}");
        }
        let (shape, parts) = fn_shape(
            "fn put(&self, _: B) -> Option<B>",
            &Around::Trait { generics: "<B>" },
        )
        .expect("parses");
        assert_eq!(Some(&parts), syn.items["Tr::put"].facts.fn_sig.as_deref());
        assert_eq!(shape, syn.items["Tr::put"].shape);
    }

    #[test]
    fn headers_read_as_the_syn_engine_reads_them() {
        let syn = syn_surface(
            "pub struct S<'a, T: Clone = u8, const N: usize = 4>(pub &'a [T; N]) where T: Send;\npub trait Tr<A>: Send + Clone {}",
        );
        let (g, renames) =
            positional("<'b, X: Clone = u8, const M: usize = 4> where X: Send").expect("parses");
        assert_eq!(renames.types["X"], "__P0");
        let (shape, generics) = header("pub struct S", &g, "(..)");
        assert_eq!(Some(&generics), syn.items["S"].facts.generics.as_deref());
        assert_eq!(shape, syn.items["S"].shape);

        let (g, renames) = positional("<B>").expect("parses");
        let supers = bounds("Clone + Send", &renames).expect("parses");
        let (shape, generics) = header("pub trait Tr", &g, &format!(": {supers}"));
        assert_eq!(Some(&generics), syn.items["Tr"].facts.generics.as_deref());
        assert_eq!(shape, syn.items["Tr"].shape);
        assert_eq!(ty("Vec<B>", &renames).as_deref(), Some("Vec<__P0>"));
    }

    #[test]
    fn std_items_are_named_by_their_public_paths() {
        for (def, public) in [
            (
                "std::collections::hash::map::HashMap",
                "std::collections::HashMap",
            ),
            ("std::ffi::os_str::OsStr", "std::ffi::OsStr"),
            ("std::sync::poison::mutex::Mutex", "std::sync::Mutex"),
            ("std::io::error::Error", "std::io::Error"),
            // Already public, or not in the list: as it is.
            ("std::collections::HashMap", "std::collections::HashMap"),
            ("std::path::Path", "std::path::Path"),
            (
                "std::collections::hash::map::Entry",
                "std::collections::hash::map::Entry",
            ),
            ("mycrate::io::error::Error", "mycrate::io::error::Error"),
        ] {
            assert_eq!(std_public_path(def), public, "{def}");
        }
    }

    #[test]
    fn a_prelude_path_written_from_the_root_gets_its_short_name() {
        let mut t: syn::Type =
            syn::parse_str("impl ::std::future::Future<Output = u8>").expect("type");
        Tidy.visit_type_mut(&mut t);
        assert_eq!(render::ty(&t), "impl Future<Output = u8>");
    }
}
