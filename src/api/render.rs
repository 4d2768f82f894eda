//! One-line, normalized text for signatures and types.
//!
//! Signatures are printed with `prettyplease` (so spacing follows rustfmt's
//! habits, not the author's) and then folded onto one line. Two versions of a
//! crate that differ only in formatting or comments render identically.

use quote::ToTokens;
use syn::{FnArg, Generics, Item, Pat, Signature, Type, Visibility};

/// Folds pretty-printed Rust onto one line and removes the spaces and trailing
/// commas that line breaking introduced.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    for (from, to) in [
        ("( ", "("),
        (", )", ")"),
        (" )", ")"),
        ("[ ", "["),
        (", ]", "]"),
        (" ]", "]"),
        ("< ", "<"),
        (", >", ">"),
        (",>", ">"),
    ] {
        while out.contains(from) {
            out = out.replace(from, to);
        }
    }
    out
}

pub(crate) fn unparse(item: Item) -> String {
    let file = syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items: vec![item],
    };
    prettyplease::unparse(&file)
}

/// `u32`, `Option<Arc<ServerConfig>>`, `&'static str`.
pub fn ty(t: &Type) -> String {
    let item: Item = syn::parse_quote!(type __T = #t;);
    let s = fold(&unparse(item));
    s.strip_prefix("type __T = ")
        .and_then(|s| s.strip_suffix(';'))
        .map(str::to_string)
        .unwrap_or_else(|| fold(&t.to_token_stream().to_string()))
}

/// `<T: Clone, const N: usize>` (empty when there are no parameters).
pub fn generics(g: &Generics) -> String {
    if g.params.is_empty() {
        return String::new();
    }
    let params = &g.params;
    let item: Item = syn::parse_quote!(type __T<#params> = (););
    let s = fold(&unparse(item));
    s.strip_prefix("type __T")
        .and_then(|s| s.strip_suffix(" = ();"))
        .map(str::to_string)
        .unwrap_or_else(|| fold(&g.to_token_stream().to_string()))
}

/// ` where T: Clone` (empty without a where clause).
pub fn where_clause(g: &Generics) -> String {
    match &g.where_clause {
        Some(w) if !w.predicates.is_empty() => {
            let item: Item = syn::parse_quote!(fn __f() #w {});
            let s = fold(&unparse(item));
            match (s.find(" where "), s.rfind('{')) {
                (Some(a), Some(b)) if a < b => {
                    format!(" {}", s[a + 1..b].trim_end().trim_end_matches(','))
                }
                _ => format!(" {}", fold(&w.to_token_stream().to_string())),
            }
        }
        _ => String::new(),
    }
}

/// `pub`, `pub(crate)`, ... followed by a space, or nothing.
pub fn vis(v: &Visibility) -> String {
    match v {
        Visibility::Inherited => String::new(),
        other => format!(
            "{} ",
            fold(&other.to_token_stream().to_string()).replace(" (", "(")
        ),
    }
}

/// A function signature, `pub fn new(opts: Opts) -> Self`.
pub fn signature(visibility: &Visibility, sig: &Signature) -> String {
    let item = Item::Fn(syn::ItemFn {
        attrs: Vec::new(),
        vis: visibility.clone(),
        modifiers: Default::default(),
        sig: sig.clone(),
        block: Box::new(syn::parse_quote!({})),
    });
    let s = fold(&unparse(item));
    s.strip_suffix(" {}").unwrap_or(&s).to_string()
}

/// The signature with parameter patterns replaced by `_`: names of
/// parameters are invisible to callers, so renaming one is not a change.
pub fn signature_shape(visibility: &Visibility, sig: &Signature) -> String {
    let mut sig = sig.clone();
    for arg in sig.inputs.iter_mut() {
        if let FnArg::Typed(pt) = arg {
            *pt.pat = Pat::Wild(syn::PatWild {
                attrs: Vec::new(),
                underscore_token: Default::default(),
            });
        }
    }
    signature(visibility, &sig)
}

/// Any token stream, folded (used for cfg predicates and as a fallback).
pub fn tokens(t: &impl ToTokens) -> String {
    let mut s = fold(&t.to_token_stream().to_string()).replace(" (", "(");
    for (from, to) in [
        (" ,", ","),
        (",)", ")"),
        (" )", ")"),
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
    ] {
        s = s.replace(from, to);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tuples_keep_their_comma() {
        let t: Type = syn::parse_quote!((T,));
        assert_eq!(ty(&t), "(T,)");
    }

    #[test]
    fn types_are_tidy() {
        let t: Type = syn::parse_quote!(Option<Arc<ServerConfig>>);
        assert_eq!(ty(&t), "Option<Arc<ServerConfig>>");
        let t: Type = syn::parse_quote!(&'static str);
        assert_eq!(ty(&t), "&'static str");
    }

    #[test]
    fn signatures_ignore_layout_and_param_names() {
        let a: syn::ItemFn = syn::parse_quote!(
            pub fn new(
                opts: Opts, // comment
                n: u32,
            ) -> Result<Self, Error> {
                todo!()
            }
        );
        let b: syn::ItemFn = syn::parse_quote!(
            pub fn new(o: Opts, count: u32) -> Result<Self, Error> {
                1
            }
        );
        assert_eq!(
            signature(&a.vis, &a.sig),
            "pub fn new(opts: Opts, n: u32) -> Result<Self, Error>"
        );
        assert_eq!(
            signature_shape(&a.vis, &a.sig),
            signature_shape(&b.vis, &b.sig)
        );
        assert_eq!(
            signature_shape(&a.vis, &a.sig),
            "pub fn new(_: Opts, _: u32) -> Result<Self, Error>"
        );
    }

    #[test]
    fn generics_and_where() {
        let f: syn::ItemFn = syn::parse_quote!(
            fn f<T: Clone, const N: usize>()
            where
                T: Send,
            {
            }
        );
        assert_eq!(generics(&f.sig.generics), "<T: Clone, const N: usize>");
        assert_eq!(where_clause(&f.sig.generics), " where T: Send");
    }
}
