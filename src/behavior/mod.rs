//! Behavioural diff: what changed inside the code, even when the API did not.
//!
//! Functions and methods of the two versions (private ones included) are
//! paired by where they are declared (`module::Type::method`), and their
//! bodies compared on tokens, so comments, doc comments and layout never make
//! a change. For each changed body the report says, in words, which calls,
//! literals and effects (see [`effects`]) appeared or went, and carries a
//! unified diff of that function only. Constants, statics, enum discriminants
//! and `#[derive(Default)]` are compared as values.
//!
//! A change in a private function is propagated through the crate's own call
//! graph to the public entry points that reach it. The call graph is built
//! from the names the source writes (`Self::helper`, `helper(..)`,
//! `.helper(..)`), not from resolved types, so it can both over- and
//! under-approximate; the report says so.

pub mod effects;

use crate::api::render;
use crate::api::syn_engine::{self, CrateModel, ItemId, ModId, Target};
use effects::{Effect, Site};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{ImplItem, Item, TraitItem};

/// One behaviour finding.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviorChange {
    /// Stable code, see `docs/behavior-changes.md`.
    pub code: &'static str,
    /// The path a user knows it by (a public path when there is one, else
    /// the declaration path, marked private).
    pub item: String,
    pub public: bool,
    /// Every path the item is known by: its public paths and the path it
    /// is declared at (`crate::tls::acme::alpn::AcmeAlpn::new`), so that a
    /// rule's pattern matches a re-exported item by any of them. Empty when
    /// `item` is its only path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Crate-relative file of the new version (old when removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What changed, in words.
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub literals_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub literals_removed: Vec<String>,
    /// For `changed-via-callee`: the changed functions it reaches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<String>,
    /// Unified diff of this function or value only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Sort key: lower is more important.
    #[serde(skip)]
    rank: u8,
}

impl BehaviorChange {
    /// A finding with nothing but its code and item; the rest is filled in
    /// by whoever makes it (the diff below, or a test).
    pub fn new(code: &'static str, item: impl Into<String>, public: bool) -> BehaviorChange {
        blank(code, item.into(), public)
    }
}

/// Every behaviour finding kind: code and what it means.
pub const CODES: &[(&str, &str)] = &[
    (
        "constructor-changed",
        "the body of a constructor (`new`, `default`, `builder`, `with_*`, `from_*`) changed: defaults or start-up work may differ",
    ),
    (
        "fn-body-changed",
        "the body of a function changed: a public one, or a private one that a public entry point reaches",
    ),
    (
        "changed-via-callee",
        "a public function's own body is the same, but a function it calls changed",
    ),
    (
        "private-fn-changed",
        "the body of a private function changed and no public entry point was found that reaches it",
    ),
    ("const-value-changed", "the value of a constant changed"),
    (
        "static-value-changed",
        "the initial value of a static changed",
    ),
    (
        "discriminant-changed",
        "the explicit discriminant of an enum variant changed",
    ),
    ("default-derive-added", "a type now derives Default"),
    ("default-derive-removed", "a type no longer derives Default"),
    (
        "new-code-effects",
        "a function or method that did not exist before has effects (spawns, file, network, process, environment, unsafe, ...): new code that reaches the outside world",
    ),
];

// Importance, most important first: public entry points (those whose
// effects changed, then constructors, then other bodies), public values,
// public entry points changed through a callee, then private code.
const RANK_PUBLIC_EFFECTS: u8 = 0;
const RANK_PUBLIC_CONSTRUCTOR: u8 = 1;
const RANK_PUBLIC_BODY: u8 = 2;
const RANK_PUBLIC_VALUE: u8 = 3;
const RANK_VIA: u8 = 4;
const RANK_PRIVATE_EFFECTS: u8 = 5;
const RANK_PRIVATE_VALUE: u8 = 6;
const RANK_PRIVATE_BODY: u8 = 7;

/// A function or value of one version, ready to compare.
#[derive(Debug, Clone)]
struct Unit {
    /// Declaration path: `tls::acme::alpn::AcmeAlpn::new`.
    key: String,
    /// The function's own name (`new`), for the call graph.
    name: String,
    /// The type or trait it belongs to (`AcmeAlpn`), if any.
    owner: Option<String>,
    /// The module it is declared in (`tls::acme::alpn`).
    module: String,
    /// The same module, as the parsed crate knows it (for resolving names).
    mod_id: ModId,
    kind: UnitKind,
    public: Vec<String>,
    file: String,
    /// Tokens of the body (or value) without doc comments: what is compared.
    tokens: String,
    /// Pretty-printed source for the unified diff.
    text: String,
    facts: Facts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Function,
    Const,
    Static,
    Discriminant,
}

/// What a body does, as written.
#[derive(Debug, Clone, Default)]
struct Facts {
    calls: Vec<String>,
    literals: Vec<String>,
    /// Effect -> the calls that have it.
    effects: BTreeMap<Effect, BTreeSet<String>>,
    /// Names called, for the call graph: (owner or path qualifier, name).
    callees: Vec<Callee>,
}

/// A call as written, for the call graph.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Callee {
    /// `name(..)` or `path::to::name(..)`: the qualifier is the segment
    /// before the name (`Self`, a type, a module), if any.
    Path {
        qualifier: Option<String>,
        name: String,
    },
    /// `self.name(..)`.
    SelfMethod(String),
    /// `x.name(..)` on anything else.
    Method(String),
}

/// Removes doc comments (they are attributes, hence tokens) so that only
/// code is compared.
struct StripDocs;

impl VisitMut for StripDocs {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        attrs.retain(|a| !a.path().is_ident("doc"));
        for a in attrs.iter_mut() {
            self.visit_attribute_mut(a);
        }
    }
}

#[derive(Default)]
struct Collector {
    facts: Facts,
}

fn path_segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

impl Collector {
    fn site(&mut self, site: Site<'_>, shown: String) {
        for e in effects::effects_of(site) {
            self.facts
                .effects
                .entry(e)
                .or_default()
                .insert(shown.clone());
        }
        self.facts.calls.push(shown);
    }

    fn literal_tokens(&mut self, tokens: &TokenStream) {
        for tt in tokens.clone() {
            match tt {
                TokenTree::Literal(l) => self.facts.literals.push(l.to_string()),
                TokenTree::Group(g) => self.literal_tokens(&g.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        // `Some(x)`, `Ok(x)`, `Err(x)` build values; they are not calls worth reporting.
        if let syn::Expr::Path(p) = &*c.func
            && !["Some", "Ok", "Err"].iter().any(|n| p.path.is_ident(n))
        {
            let segs = path_segments(&p.path);
            let owner = (segs.len() >= 2).then(|| segs[segs.len() - 2].clone());
            if let Some(last) = segs.last() {
                self.facts.callees.push(Callee::Path {
                    qualifier: owner,
                    name: last.clone(),
                });
            }
            self.site(Site::Call(&segs), call_text(&segs));
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        let on_self = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
        self.facts.callees.push(if on_self {
            Callee::SelfMethod(name.clone())
        } else {
            Callee::Method(name.clone())
        });
        self.site(Site::Method(&name), format!(".{name}()"));
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.site(Site::Macro(&name), format!("{name}!"));
        // Most macros take expressions (format!, vec!, assert!, select! arms
        // do not parse and are only scanned for literals).
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        match syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            Ok(exprs) => {
                for e in &exprs {
                    self.visit_expr(e);
                }
            }
            Err(_) => self.literal_tokens(&mac.tokens),
        }
    }

    fn visit_lit(&mut self, lit: &'ast syn::Lit) {
        if !matches!(lit, syn::Lit::Bool(_)) {
            self.facts.literals.push(lit.to_token_stream().to_string());
        }
    }

    fn visit_expr_unsafe(&mut self, u: &'ast syn::ExprUnsafe) {
        self.facts
            .effects
            .entry(Effect::Unsafe)
            .or_default()
            .insert("unsafe { .. }".to_string());
        syn::visit::visit_expr_unsafe(self, u);
    }
}

fn facts_of(visit: impl FnOnce(&mut Collector)) -> Facts {
    let mut c = Collector::default();
    visit(&mut c);
    c.facts
}

fn is_constructor(name: &str) -> bool {
    matches!(name, "new" | "default" | "builder" | "build")
        || name.starts_with("new_")
        || name.starts_with("with_")
        || name.starts_with("from_")
}

/// Path roots that only respell a path (`std::io::Error` and `io::Error`,
/// `crate::format::Buf` and `format::Buf`): dropped before comparing.
const PATH_ROOTS: &[&str] = &["std", "core", "alloc", "crate", "self"];

/// Modules whose main type is in the prelude (`std::boxed::Box` is `Box`).
const PRELUDE_MODULES: &[&str] = &["boxed", "vec", "string", "option", "result"];

/// `tokens` without the roots in [`PATH_ROOTS`] where they start a path,
/// and with macro paths cut to the macro's name (`std::task::ready!` and
/// `ready!` are one macro).
fn strip_path_roots(tokens: TokenStream) -> TokenStream {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tts.len());
    let mut i = 0;
    while i < tts.len() {
        if let Some(end) = macro_path_end(&tts, i) {
            // Keep `name !` only.
            out.push(tts[end - 1].clone());
            out.push(tts[end].clone());
            i = end + 1;
            continue;
        }
        let is_root = matches!(&tts[i], TokenTree::Ident(id) if PATH_ROOTS.iter().any(|r| id == r))
            && matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(tts.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            // `x.self::..` cannot happen, but `::std::..` and `a::std` can: only
            // a path's first segment is a root.
            && !matches!(i.checked_sub(1).and_then(|j| tts.get(j)), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        if is_root {
            i += 3;
            // `alloc::boxed::Box` is the prelude's `Box`: drop `boxed ::` too.
            let prelude_module = matches!(&tts.get(i), Some(TokenTree::Ident(m)) if PRELUDE_MODULES.iter().any(|x| m == x))
                && matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
                && matches!(tts.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == ':');
            if prelude_module {
                i += 3;
            }
            continue;
        }
        out.push(match &tts[i] {
            TokenTree::Group(g) => {
                let mut ng = proc_macro2::Group::new(g.delimiter(), strip_path_roots(g.stream()));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            other => other.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// If `tts[i..]` starts a qualified macro path (`a :: b :: name !`), the
/// index of the `!`.
fn macro_path_end(tts: &[TokenTree], i: usize) -> Option<usize> {
    let is_colon =
        |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':');
    if !matches!(tts.get(i), Some(TokenTree::Ident(_))) {
        return None;
    }
    let mut j = i;
    let mut segments = 1;
    while is_colon(tts.get(j + 1))
        && is_colon(tts.get(j + 2))
        && matches!(tts.get(j + 3), Some(TokenTree::Ident(_)))
    {
        j += 3;
        segments += 1;
    }
    let bang = matches!(tts.get(j + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    (segments > 1 && bang).then_some(j + 1)
}

/// A call path as reported: without a respelling root.
fn call_text(segs: &[String]) -> String {
    let mut start = usize::from(segs.len() > 1 && PATH_ROOTS.contains(&segs[0].as_str()));
    if start == 1 && segs.len() > 2 && PRELUDE_MODULES.contains(&segs[1].as_str()) {
        start = 2;
    }
    segs[start..].join("::")
}

/// `tokens` with every identifier in `names` replaced.
fn rename_idents(tokens: TokenStream, names: &HashMap<String, String>) -> TokenStream {
    if names.is_empty() {
        return tokens;
    }
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(id) => match names.get(&id.to_string()) {
                Some(n) => TokenTree::Ident(proc_macro2::Ident::new(n, id.span())),
                None => TokenTree::Ident(id),
            },
            TokenTree::Group(g) => {
                let mut ng =
                    proc_macro2::Group::new(g.delimiter(), rename_idents(g.stream(), names));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            other => other,
        })
        .collect()
}

fn join_key(module: &[String], rest: &[&str]) -> String {
    // `r#gen` and `gen` are one name: pairing must not depend on the spelling.
    module
        .iter()
        .map(String::as_str)
        .chain(rest.iter().copied())
        .map(|seg| seg.strip_prefix("r#").unwrap_or(seg))
        .collect::<Vec<_>>()
        .join("::")
}

/// The name a type is written with in an impl header (`Foo` for `Foo<T>`).
fn self_type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_else(|| render::ty(ty)),
        other => render::ty(other),
    }
}

/// Where a function is declared and under which names it is public.
struct Place<'a> {
    mod_id: ModId,
    module: &'a [String],
    key: String,
    owner: Option<String>,
    public: Vec<String>,
    file: &'a str,
}

fn fn_unit(
    place: Place<'_>,
    vis: &syn::Visibility,
    sig: &syn::Signature,
    block: &syn::Block,
) -> Unit {
    let mut block = block.clone();
    StripDocs.visit_block_mut(&mut block);
    let facts = facts_of(|c| c.visit_block(&block));
    let item = Item::Fn(syn::ItemFn {
        attrs: Vec::new(),
        vis: vis.clone(),
        modifiers: Default::default(),
        sig: sig.clone(),
        block: Box::new(block.clone()),
    });
    // Parameter names are the author's choice, not behaviour: compare with
    // each parameter renamed to its position.
    let params: HashMap<String, String> = sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, arg)| match arg {
            syn::FnArg::Typed(pt) => match &*pt.pat {
                syn::Pat::Ident(pi) => Some((pi.ident.to_string(), format!("__param{i}"))),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let Place {
        mod_id,
        module,
        key,
        owner,
        public,
        file,
    } = place;
    Unit {
        key,
        name: sig.ident.to_string(),
        owner,
        module: module.join("::"),
        mod_id,
        kind: UnitKind::Function,
        public,
        file: file.to_string(),
        tokens: strip_path_roots(rename_idents(block.to_token_stream(), &params)).to_string(),
        text: render::unparse(item),
        facts,
    }
}

fn value_unit(
    mod_id: ModId,
    module: &[String],
    key: String,
    kind: UnitKind,
    public: Vec<String>,
    file: &str,
    expr: &syn::Expr,
) -> Unit {
    let mut expr = expr.clone();
    StripDocs.visit_expr_mut(&mut expr);
    let text = render::tokens(&expr);
    Unit {
        name: key.rsplit("::").next().unwrap_or(&key).to_string(),
        key,
        owner: None,
        module: module.join("::"),
        mod_id,
        kind,
        public,
        file: file.to_string(),
        tokens: expr.to_token_stream().to_string(),
        text,
        facts: Facts::default(),
    }
}

/// Everything comparable in one version.
#[derive(Default)]
struct Units {
    units: BTreeMap<String, Unit>,
    default_derives: BTreeMap<String, Vec<String>>,
}

impl Units {
    fn add(&mut self, unit: Unit) {
        let mut key = unit.key.clone();
        let mut n = 2;
        while self.units.contains_key(&key) {
            // The same path under two cfg alternatives: keep both.
            key = format!("{}#{n}", unit.key);
            n += 1;
        }
        self.units.insert(key, unit);
    }
}

fn collect(model: &CrateModel) -> Units {
    let krate = &model.krate;
    let public = |id: ItemId, member: Option<&str>| -> Vec<String> {
        model
            .public
            .get(&(id, member.map(str::to_string)))
            .cloned()
            .unwrap_or_default()
    };
    let mut out = Units::default();
    for (id, decl) in krate.decls.iter().enumerate() {
        let module = &krate.modules[decl.module].path;
        let file = decl.file.as_str();
        match &decl.item {
            Item::Fn(f) => out.add(fn_unit(
                Place {
                    mod_id: decl.module,
                    module,
                    key: join_key(module, &[&f.sig.ident.to_string()]),
                    owner: None,
                    public: public(id, None),
                    file,
                },
                &f.vis,
                &f.sig,
                &f.block,
            )),
            Item::Impl(imp) => {
                let ty = self_type_name(&imp.self_ty);
                let owner = match &imp.trait_ {
                    Some((path, _)) => {
                        let tr = path
                            .segments
                            .last()
                            .map(|s| s.ident.to_string())
                            .unwrap_or_default();
                        format!("<{ty} as {tr}>")
                    }
                    None => ty.clone(),
                };
                for ii in &imp.items {
                    match ii {
                        ImplItem::Fn(f) => {
                            let own = syn_engine::cfgs(&f.attrs);
                            if syn_engine::is_test_only(&own)
                                || syn_engine::has_attr(&f.attrs, "test")
                            {
                                continue;
                            }
                            let name = f.sig.ident.to_string();
                            out.add(fn_unit(
                                Place {
                                    mod_id: decl.module,
                                    module,
                                    key: join_key(module, &[&owner, &name]),
                                    owner: Some(ty.clone()),
                                    public: public(id, Some(&name)),
                                    file,
                                },
                                &f.vis,
                                &f.sig,
                                &f.block,
                            ));
                        }
                        ImplItem::Const(k) => out.add(value_unit(
                            decl.module,
                            module,
                            join_key(module, &[&owner, &k.ident.to_string()]),
                            UnitKind::Const,
                            Vec::new(),
                            file,
                            &k.expr,
                        )),
                        _ => {}
                    }
                }
            }
            Item::Trait(t) => {
                let tr = t.ident.to_string();
                for ti in &t.items {
                    if let TraitItem::Fn(f) = ti
                        && let Some(block) = &f.default
                    {
                        let name = f.sig.ident.to_string();
                        out.add(fn_unit(
                            Place {
                                mod_id: decl.module,
                                module,
                                key: join_key(module, &[&tr, &name]),
                                owner: Some(tr.clone()),
                                public: public(id, Some(&name)),
                                file,
                            },
                            &syn::Visibility::Inherited,
                            &f.sig,
                            block,
                        ));
                    }
                }
            }
            Item::Const(c) => out.add(value_unit(
                decl.module,
                module,
                join_key(module, &[&c.ident.to_string()]),
                UnitKind::Const,
                public(id, None),
                file,
                &c.expr,
            )),
            Item::Static(s) => out.add(value_unit(
                decl.module,
                module,
                join_key(module, &[&s.ident.to_string()]),
                UnitKind::Static,
                public(id, None),
                file,
                &s.expr,
            )),
            Item::Enum(e) => {
                for v in &e.variants {
                    if let Some((_, expr)) = &v.discriminant {
                        out.add(value_unit(
                            decl.module,
                            module,
                            join_key(module, &[&e.ident.to_string(), &v.ident.to_string()]),
                            UnitKind::Discriminant,
                            public(id, None)
                                .iter()
                                .map(|p| format!("{p}::{}", v.ident))
                                .collect(),
                            file,
                            expr,
                        ));
                    }
                }
                if syn_engine::derives(&e.attrs).iter().any(|d| d == "Default") {
                    out.default_derives
                        .insert(join_key(module, &[&e.ident.to_string()]), public(id, None));
                }
            }
            Item::Struct(s) if syn_engine::derives(&s.attrs).iter().any(|d| d == "Default") => {
                out.default_derives
                    .insert(join_key(module, &[&s.ident.to_string()]), public(id, None));
            }
            _ => {}
        }
    }
    // `f` and `f#2` are one function under two cfgs: whatever public paths
    // one of them has, the other has too.
    let mut shared: HashMap<String, Vec<String>> = HashMap::new();
    for (k, u) in &out.units {
        shared
            .entry(base_key(k).to_string())
            .or_default()
            .extend(u.public.iter().cloned());
    }
    for (k, u) in out.units.iter_mut() {
        if let Some(p) = shared.get(base_key(k)) {
            let mut p = p.clone();
            p.sort();
            p.dedup();
            u.public = p;
        }
    }
    out
}

/// `f` for `f#2` (the same function under another cfg).
fn base_key(key: &str) -> &str {
    key.split('#').next().unwrap_or(key)
}

/// Items that are in `a` and not in `b`, as a multiset (each listed once).
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for x in b {
        *counts.entry(x.as_str()).or_default() += 1;
    }
    let mut out = BTreeSet::new();
    for x in a {
        let c = counts.entry(x.as_str()).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            out.insert(x.clone());
        }
    }
    out.into_iter().collect()
}

fn unified(old: &str, new: &str, label: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{label} (old)"), &format!("{label} (new)"))
        .to_string()
}

fn shown(unit: &Unit, crate_name: &str) -> (String, bool) {
    // A trait impl's method: say which impl (`fmt` of Debug or of Display).
    let which = unit
        .key
        .split_once(" as ")
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(tr, _)| format!(" (impl {tr})"))
        .unwrap_or_default();
    // The shortest public path is the one users write.
    match unit.public.iter().min_by_key(|p| (p.len(), p.as_str())) {
        Some(p) if p.ends_with(')') => (p.clone(), true),
        Some(p) => (format!("{p}{which}"), true),
        None => (format!("{crate_name}::{} (private)", unit.key), false),
    }
}

/// The public paths of `unit` and its declaration path, sorted, each once.
fn known_paths(unit: &Unit, crate_name: &str) -> Vec<String> {
    // A trait impl's method is declared at `module::<Type as Trait>::name`:
    // written as a path, that is `module::Type::name`.
    let declared = if unit.key.contains('<') {
        let owner = unit.owner.as_deref().unwrap_or_default();
        [unit.module.as_str(), owner, unit.name.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("::")
    } else {
        unit.key.clone()
    };
    let mut out = unit.public.clone();
    out.push(format!("{crate_name}::{declared}"));
    out.sort();
    out.dedup();
    out
}

/// The behaviour changes from `old` to `new`, most important first.
pub fn diff(old: &CrateModel, new: &CrateModel, crate_name: &str) -> Vec<BehaviorChange> {
    let old_units = collect(old);
    let new_units = collect(new);
    let mut out = Vec::new();
    let mut changed_fns: BTreeSet<String> = BTreeSet::new();
    // Changed or new functions that gained effects, with those effects in words.
    let mut gained: HashMap<String, Vec<String>> = HashMap::new();

    // A function that moved to another module but kept a public path is the
    // same function: pair it by that path when its declaration path is new.
    let mut old_by_public: HashMap<&str, &Unit> = HashMap::new();
    for u in old_units.units.values() {
        for p in &u.public {
            old_by_public.entry(p.as_str()).or_insert(u);
        }
    }
    let counterpart = |key: &str, n: &Unit| -> Option<&Unit> {
        old_units
            .units
            .get(key)
            .or_else(|| {
                n.public
                    .iter()
                    .find_map(|p| old_by_public.get(p.as_str()).copied())
            })
            .filter(|o| o.kind == n.kind)
    };

    for (key, n) in &new_units.units {
        let Some(o) = counterpart(key, n) else {
            continue;
        };
        if o.tokens == n.tokens {
            continue;
        }
        let (item, public) = shown(n, crate_name);
        match n.kind {
            UnitKind::Function => {
                changed_fns.insert(key.clone());
                let mut change = function_change(o, n, item, public);
                change.paths = known_paths(n, crate_name);
                if !change.effects_added.is_empty() {
                    gained.insert(key.clone(), change.effects_added.clone());
                }
                out.push(change);
            }
            kind => {
                let code = match kind {
                    UnitKind::Static => "static-value-changed",
                    UnitKind::Discriminant => "discriminant-changed",
                    _ => "const-value-changed",
                };
                out.push(BehaviorChange {
                    code,
                    summary: format!("value changed from `{}` to `{}`", o.text, n.text),
                    file: Some(n.file.clone()),
                    old_value: Some(o.text.clone()),
                    new_value: Some(n.text.clone()),
                    rank: if public {
                        RANK_PUBLIC_VALUE
                    } else {
                        RANK_PRIVATE_VALUE
                    },
                    paths: known_paths(n, crate_name),
                    ..blank(code, item, public)
                });
            }
        }
    }

    // New code: functions and methods that did not exist before. Their
    // additions to the API are reported by the API diff; what they *do*
    // is reported here when it touches the outside world.
    for (key, n) in &new_units.units {
        if n.kind != UnitKind::Function
            || counterpart(key, n).is_some()
            || old_units.units.contains_key(base_key(key))
            || n.facts.effects.is_empty()
        {
            continue;
        }
        changed_fns.insert(key.clone());
        let (item, public) = shown(n, crate_name);
        gained.insert(
            key.clone(),
            n.facts
                .effects
                .keys()
                .map(|e| e.words().to_string())
                .collect(),
        );
        let effects: Vec<String> = n
            .facts
            .effects
            .iter()
            .map(|(e, calls)| {
                format!(
                    "{} ({})",
                    e.words(),
                    calls.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        out.push(BehaviorChange {
            summary: format!("new code with effects: {}", effects.join("; ")),
            file: Some(n.file.clone()),
            effects_added: effects,
            calls_added: minus(&n.facts.calls, &[]),
            diff: Some(unified("", &n.text, &n.key)),
            rank: if public {
                RANK_PUBLIC_EFFECTS
            } else {
                RANK_PRIVATE_EFFECTS
            },
            paths: known_paths(n, crate_name),
            ..blank("new-code-effects", item, public)
        });
    }

    // Reach: public functions whose body did not change but that call
    // (directly or through other functions) one that did.
    const VIA_LIMIT: usize = 6;
    let reach = CallGraph::new(&new_units, new).reach(&changed_fns, VIA_LIMIT);
    for (key, n) in &new_units.units {
        if n.kind != UnitKind::Function || n.public.is_empty() || changed_fns.contains(key) {
            continue;
        }
        let Some(via) = reach.get(key) else { continue };
        let (item, public) = shown(n, crate_name);
        // What the reached code now does that it did not before.
        let mut reached: Vec<String> = via
            .iter()
            .flat_map(|k| gained.get(k).into_iter().flatten().cloned())
            .collect();
        reached.sort();
        reached.dedup();
        let mut names: Vec<String> = Vec::new();
        for k in via.iter().take(5) {
            // `f#2` is `f` under another cfg: one name is enough.
            let name = format!("{crate_name}::{}", k.split('#').next().unwrap_or(k));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let more = if via.len() > 5 {
            " and more".to_string()
        } else {
            String::new()
        };
        out.push(BehaviorChange {
            summary: if reached.is_empty() {
                format!("behaviour changed via {}{more}", names.join(", "))
            } else {
                format!(
                    "behaviour changed via {}{more}, which gained: {}",
                    names.join(", "),
                    reached.join("; ")
                )
            },
            file: Some(n.file.clone()),
            via: names,
            // Reaching new effects matters as much as a changed public body.
            rank: if reached.is_empty() {
                RANK_VIA
            } else {
                RANK_PUBLIC_BODY
            },
            paths: known_paths(n, crate_name),
            ..blank("changed-via-callee", item, public)
        });
    }
    // Private functions that changed and that no public entry reaches are
    // still listed (last): the call graph is approximate.
    let reached: BTreeSet<String> = out.iter().flat_map(|c| c.via.iter().cloned()).collect();
    for c in out.iter_mut() {
        if c.code == "fn-body-changed"
            && !c.public
            && !reached.contains(&c.item.replace(" (private)", ""))
        {
            c.code = "private-fn-changed";
        }
    }

    for (key, paths) in &new_units.default_derives {
        if !old_units.default_derives.contains_key(key) {
            let item = paths
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{crate_name}::{key} (private)"));
            out.push(BehaviorChange {
                summary:
                    "now derives Default: `Default::default()` gives every field its type's default"
                        .to_string(),
                rank: if paths.is_empty() {
                    RANK_PRIVATE_VALUE
                } else {
                    RANK_PUBLIC_VALUE
                },
                paths: derive_paths(paths, key, crate_name),
                ..blank("default-derive-added", item, !paths.is_empty())
            });
        }
    }
    for (key, paths) in &old_units.default_derives {
        // Only a type that still exists can have stopped deriving Default
        // (its methods, or a public path, are still there).
        let still_there = new_units
            .units
            .keys()
            .any(|k| k.starts_with(&format!("{key}::")));
        // Moved to another module, still deriving it under the same public path.
        let moved_along = paths
            .iter()
            .any(|p| new_units.default_derives.values().flatten().any(|q| q == p));
        if !new_units.default_derives.contains_key(key) && still_there && !moved_along {
            let item = paths
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{crate_name}::{key} (private)"));
            out.push(BehaviorChange {
                summary: "no longer derives Default".to_string(),
                rank: if paths.is_empty() {
                    RANK_PRIVATE_VALUE
                } else {
                    RANK_PUBLIC_VALUE
                },
                paths: derive_paths(paths, key, crate_name),
                ..blank("default-derive-removed", item, !paths.is_empty())
            });
        }
    }

    out.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| b.public.cmp(&a.public))
            .then_with(|| a.item.cmp(&b.item))
    });
    // The same function under several cfg alternatives, changed alike: once.
    out.dedup_by(|a, b| a.code == b.code && a.item == b.item && a.summary == b.summary);
    // `paths` says something only when the item has another path than the one shown.
    for c in &mut out {
        if c.paths.iter().all(|p| *p == c.item) {
            c.paths.clear();
        }
    }
    out
}

/// A type's public paths and its declaration path (for `Default` derives).
fn derive_paths(public: &[String], key: &str, crate_name: &str) -> Vec<String> {
    let mut out = public.to_vec();
    out.push(format!("{crate_name}::{key}"));
    out.sort();
    out.dedup();
    out
}

fn blank(code: &'static str, item: String, public: bool) -> BehaviorChange {
    BehaviorChange {
        code,
        item,
        public,
        paths: Vec::new(),
        file: None,
        summary: String::new(),
        effects_added: Vec::new(),
        effects_removed: Vec::new(),
        calls_added: Vec::new(),
        calls_removed: Vec::new(),
        literals_added: Vec::new(),
        literals_removed: Vec::new(),
        via: Vec::new(),
        old_value: None,
        new_value: None,
        diff: None,
        rank: 9,
    }
}

/// At most a handful of entries, each cut short, for the one-line summary
/// (the JSON report keeps the full lists).
fn brief(list: &[String]) -> String {
    const MAX_ITEMS: usize = 6;
    const MAX_CHARS: usize = 60;
    let mut parts: Vec<String> = list
        .iter()
        .take(MAX_ITEMS)
        .map(|x| {
            if x.chars().count() > MAX_CHARS {
                let cut: String = x.chars().take(MAX_CHARS).collect();
                format!("{cut}...")
            } else {
                x.clone()
            }
        })
        .collect();
    if list.len() > MAX_ITEMS {
        parts.push(format!("and {} more", list.len() - MAX_ITEMS));
    }
    parts.join(", ")
}

fn function_change(o: &Unit, n: &Unit, item: String, public: bool) -> BehaviorChange {
    let mut effects_added = Vec::new();
    let mut effects_removed = Vec::new();
    for (e, calls) in &n.facts.effects {
        if !o.facts.effects.contains_key(e) {
            effects_added.push(format!(
                "{} ({})",
                e.words(),
                calls.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for (e, calls) in &o.facts.effects {
        if !n.facts.effects.contains_key(e) {
            effects_removed.push(format!(
                "{} ({})",
                e.words(),
                calls.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let calls_added = minus(&n.facts.calls, &o.facts.calls);
    let calls_removed = minus(&o.facts.calls, &n.facts.calls);
    let literals_added = minus(&n.facts.literals, &o.facts.literals);
    let literals_removed = minus(&o.facts.literals, &n.facts.literals);

    let mut words = Vec::new();
    // Said about what the body *writes*: an effect can move into a helper
    // (then the helper's own finding or the reach says so).
    for e in &effects_added {
        words.push(format!("{e} added to this function"));
    }
    for e in &effects_removed {
        words.push(format!("{e} removed from this function"));
    }
    for (label, list) in [
        ("calls added", &calls_added),
        ("calls removed", &calls_removed),
        ("literals added", &literals_added),
        ("literals removed", &literals_removed),
    ] {
        if !list.is_empty() {
            words.push(format!("{label}: {}", brief(list)));
        }
    }
    if words.is_empty() {
        words.push("body changed (no call, literal or effect added or removed)".to_string());
    }
    let constructor = is_constructor(&n.name);
    let code = if public && constructor {
        "constructor-changed"
    } else {
        "fn-body-changed"
    };
    let has_effects = !effects_added.is_empty() || !effects_removed.is_empty();
    let rank = match (public, has_effects, constructor) {
        (true, true, _) => RANK_PUBLIC_EFFECTS,
        (true, false, true) => RANK_PUBLIC_CONSTRUCTOR,
        (true, false, false) => RANK_PUBLIC_BODY,
        (false, true, _) => RANK_PRIVATE_EFFECTS,
        (false, false, _) => RANK_PRIVATE_BODY,
    };
    BehaviorChange {
        file: Some(n.file.clone()),
        summary: words.join("; "),
        effects_added,
        effects_removed,
        calls_added,
        calls_removed,
        literals_added,
        literals_removed,
        diff: Some(unified(&o.text, &n.text, &o.key)),
        rank,
        ..blank(code, item, public)
    }
}

/// Of several possible callees, those in `module`; all of them when they
/// are alternatives of one function (`f`, `f#2` under different cfgs).
fn narrow<'a>(targets: Vec<&'a str>, module: &str, units: &Units) -> Vec<&'a str> {
    if targets.len() <= 1 {
        return targets;
    }
    let base = |k: &str| k.split('#').next().unwrap_or(k).to_string();
    if targets.iter().all(|t| base(t) == base(targets[0])) {
        return targets;
    }
    let local: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| units.units.get(*t).is_some_and(|u| u.module == module))
        .collect();
    local
}

/// What the first segment of a call path names, as far as the crate's own
/// imports tell.
enum Resolved {
    /// Another crate's item (`use std::cell::Cell`).
    Elsewhere,
    /// A module of this crate (`module::f()`), by path.
    Module(String),
    /// An item of this crate.
    Local,
    /// Not found (a prelude name, a generic parameter, a macro's output).
    Unknown,
}

/// Of `candidates`, those declared in `module`.
fn in_module<'a>(candidates: Option<&Vec<&'a str>>, module: &str, units: &Units) -> Vec<&'a str> {
    candidates
        .into_iter()
        .flatten()
        .copied()
        .filter(|k| units.units.get(*k).is_some_and(|u| u.module == module))
        .collect()
}

/// Method names that std types use everywhere: `x.len()` says nothing about
/// which `len` is meant, so such calls are not linked by name alone.
const COMMON_METHODS: &[&str] = &[
    "as_ref",
    "as_mut",
    "as_str",
    "as_bytes",
    "borrow",
    "borrow_mut",
    "clone",
    "cmp",
    "contains",
    "default",
    "deref",
    "deref_mut",
    "drop",
    "eq",
    "extend",
    "fmt",
    "from",
    "get",
    "get_mut",
    "hash",
    "insert",
    "into",
    "into_iter",
    "is_empty",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "iter",
    "iter_mut",
    "len",
    "lock",
    "map",
    "new",
    "next",
    "partial_cmp",
    "poll",
    "pop",
    "push",
    "read",
    "remove",
    "send",
    "take",
    "to_owned",
    "to_string",
    "try_from",
    "try_into",
    "unwrap",
    "write",
];

/// The functions of type `owner` named `name`.
fn owned<'a>(
    by_owner: &HashMap<(&'a str, &'a str), Vec<&'a str>>,
    owner: Option<&'a str>,
    name: &'a str,
) -> Vec<&'a str> {
    owner
        .and_then(|o| by_owner.get(&(o, name)))
        .cloned()
        .unwrap_or_default()
}

/// Who calls whom, by name.
///
/// Links are made only where the name says enough: `self.helper()` and
/// `Self::helper()` go to the same type's `helper`; `Type::helper()` to
/// `Type`'s; `helper()` to free functions of that name; `x.helper()` only
/// when exactly one method in the crate has that name (`x.poll()` could be
/// any of dozens, and linking them all would make every change reach
/// everything).
struct CallGraph {
    /// key -> keys that may call it.
    callers: HashMap<String, BTreeSet<String>>,
}

impl CallGraph {
    fn new(units: &Units, model: &CrateModel) -> Self {
        // What a name written in the caller's module refers to.
        let resolve = |u: &Unit, name: &str| -> Resolved {
            match model
                .krate
                .resolve(u.mod_id, &[name.to_string()], 0)
                .first()
            {
                Some(Target::External(_)) => Resolved::Elsewhere,
                Some(Target::Module(m)) => {
                    Resolved::Module(model.krate.modules[*m].path.join("::"))
                }
                Some(Target::Item(_) | Target::Variant(..)) => Resolved::Local,
                None => Resolved::Unknown,
            }
        };
        let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut by_owner: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        let mut free: HashMap<&str, Vec<&str>> = HashMap::new();
        for (k, u) in &units.units {
            if u.kind != UnitKind::Function {
                continue;
            }
            match &u.owner {
                Some(o) => {
                    by_owner
                        .entry((o.as_str(), u.name.as_str()))
                        .or_default()
                        .push(k);
                    by_name.entry(u.name.as_str()).or_default().push(k);
                }
                None => free.entry(u.name.as_str()).or_default().push(k),
            }
        }
        let mut callers: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (k, u) in &units.units {
            let owner = u.owner.as_deref();
            for callee in &u.facts.callees {
                let targets: Vec<&str> = match callee {
                    Callee::SelfMethod(name) => owned(&by_owner, owner, name),
                    Callee::Path {
                        qualifier: Some(q),
                        name,
                    } if q == "Self" => owned(&by_owner, owner, name),
                    Callee::Path {
                        qualifier: Some(q),
                        name,
                    } => match resolve(u, q) {
                        // `std::cell::Cell::new` is not this crate's `Cell::new`.
                        Resolved::Elsewhere => Vec::new(),
                        Resolved::Module(m) => in_module(free.get(name.as_str()), &m, units),
                        Resolved::Local | Resolved::Unknown => {
                            let t = owned(&by_owner, Some(q), name);
                            if t.is_empty() {
                                free.get(name.as_str()).cloned().unwrap_or_default()
                            } else {
                                t
                            }
                        }
                    },
                    Callee::Path {
                        qualifier: None,
                        name,
                    } => match resolve(u, name) {
                        Resolved::Elsewhere => Vec::new(),
                        _ => free.get(name.as_str()).cloned().unwrap_or_default(),
                    },
                    // `x.len()` on a `str` is not this crate's `Chain::len`:
                    // names that std types use everywhere are not linked.
                    Callee::Method(name) if COMMON_METHODS.contains(&name.as_str()) => Vec::new(),
                    Callee::Method(name) => match by_name.get(name.as_str()) {
                        Some(v) if v.len() == 1 => v.clone(),
                        _ => Vec::new(),
                    },
                };
                // Several candidates (types of the same name in different
                // modules, cfg alternatives): prefer the caller's module;
                // if that does not decide, do not guess.
                let targets = narrow(targets, &u.module, units);
                for t in targets {
                    if t != k.as_str() {
                        callers.entry(t.to_string()).or_default().insert(k.clone());
                    }
                }
            }
        }
        CallGraph { callers }
    }

    /// For every function that reaches a changed one, the changed functions
    /// it reaches (nearest first, at most `limit`). One breadth-first walk
    /// backwards from all changed functions at once.
    fn reach(&self, changed: &BTreeSet<String>, limit: usize) -> HashMap<String, Vec<String>> {
        let mut via: HashMap<String, Vec<String>> = HashMap::new();
        let mut queue: VecDeque<(String, String)> = VecDeque::new();
        for c in changed {
            queue.push_back((c.clone(), c.clone()));
        }
        while let Some((node, source)) = queue.pop_front() {
            for caller in self.callers.get(&node).into_iter().flatten() {
                if caller == &source {
                    continue;
                }
                let list = via.entry(caller.clone()).or_default();
                if list.len() >= limit || list.contains(&source) {
                    continue;
                }
                list.push(source.clone());
                queue.push_back((caller.clone(), source.clone()));
            }
        }
        via
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_effect_is_documented() {
        let docs = include_str!("../../docs/behavior-changes.md");
        for (code, _) in CODES {
            assert!(
                docs.contains(&format!("| `{code}` |")),
                "docs/behavior-changes.md lacks {code}"
            );
        }
        for (effect, _) in effects::RULES {
            assert!(
                docs.contains(effect.words()),
                "docs/behavior-changes.md lacks {}",
                effect.words()
            );
        }
    }

    #[test]
    fn path_roots_are_respellings() {
        let a: TokenStream = quote::quote!({ std::io::Error::new(k, crate::format::Buf::new()) });
        let b: TokenStream = quote::quote!({ io::Error::new(k, format::Buf::new()) });
        assert_eq!(
            strip_path_roots(a).to_string(),
            strip_path_roots(b).to_string()
        );
        let f: TokenStream = quote::quote!({ alloc::boxed::Box::from(x) });
        let g: TokenStream = quote::quote!({ Box::from(x) });
        assert_eq!(
            strip_path_roots(f).to_string(),
            strip_path_roots(g).to_string()
        );
        let d: TokenStream = quote::quote!({ std::task::ready!(x) });
        let e: TokenStream = quote::quote!({ ready!(x) });
        assert_eq!(
            strip_path_roots(d).to_string(),
            strip_path_roots(e).to_string()
        );
        let c: TokenStream = quote::quote!({ other::std::thing() });
        assert_eq!(strip_path_roots(c.clone()).to_string(), c.to_string());
    }

    #[test]
    fn multiset_difference() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(minus(&v(&["a", "a", "b"]), &v(&["a"])), v(&["a", "b"]));
        assert_eq!(minus(&v(&["a"]), &v(&["a", "a"])), Vec::<String>::new());
    }
}
