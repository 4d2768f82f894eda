//! Canonical forms of generic declarations: what a signature promises, with
//! the names its author chose taken out.
//!
//! Users never see the names of generic parameters or lifetimes: a type
//! parameter is given by position (`Vec::<u8>`, `f::<u8>()`) or inferred,
//! and a lifetime is a relation between the places it appears. So two
//! declarations are compared after renaming:
//!
//! - **type and const parameters of a type, trait or impl** ("outer") get
//!   `__P0`, `__P1`, ... by position (for an inherent or trait impl: by
//!   first use in the implemented type, then in the trait's arguments);
//! - **type and const parameters of a function** get `__G0`, `__G1`, ... by
//!   first use in the inputs, then the output, then the bounds; an
//!   `impl Trait` argument is such a parameter too (one users cannot name
//!   with a turbofish), so `f(x: impl AsRef<str>)` and
//!   `f<S: AsRef<str>>(x: S)` have one shape and differ only in
//!   [`CanonFn::explicit`];
//! - **lifetimes** of a function are made explicit by the elision rules
//!   (each elided input lifetime is a fresh one; an elided output lifetime
//!   is `&self`'s, or the only input lifetime), then a lifetime used once
//!   is written elided (it relates nothing), and the others get `'__l0`,
//!   `'__l1`, ... by first use. `fn f<'a>(x: &'a [u8]) -> &'a u8` and
//!   `fn f(x: &[u8]) -> &u8` then read the same, and
//!   `-> &'a str` and `-> &'b str` in `fn f<'a, 'b>(x: &'a str, y: &'b str)`
//!   do not. Lifetimes of a type declaration are named by position
//!   (`'__p0`, ...);
//! - `async fn f() -> T` is `fn f() -> impl Future<Output = T>`, and
//!   `Self` in an inherent impl is the implemented type with its
//!   arguments (`S<T>`, not `S`).
//!
//! Paths are resolved afterwards by the engine's normalizer, which leaves
//! the names made here alone.

use super::FnShape;
use std::collections::{HashMap, HashSet};
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{FnArg, GenericParam, Generics, ReceiverKind, Signature, Type, TypeParamBound};

/// Prefix of the canonical names of a declaration's own parameters.
pub(crate) const OUTER: &str = "__P";
/// Prefix of the canonical names of a function's parameters.
pub(crate) const INNER: &str = "__G";
/// Prefix of the placeholder names of `impl Trait` arguments.
const IMPL_ARG: &str = "__impl";

/// Whether a path segment is a name made here (never resolved as a path).
pub(crate) fn is_canonical_name(ident: &str) -> bool {
    ident.starts_with(OUTER) || ident.starts_with(INNER) || ident.starts_with(IMPL_ARG)
}

/// New names for generic parameters and lifetimes.
#[derive(Debug, Default, Clone)]
pub(crate) struct Renames {
    pub(crate) types: HashMap<String, String>,
    /// `None`: the lifetime relates nothing and is written elided.
    pub(crate) lifetimes: HashMap<String, Option<String>>,
}

fn ident(name: &str, span: proc_macro2::Span) -> syn::Ident {
    syn::Ident::new(name, span)
}

fn lifetime(name: &str, span: proc_macro2::Span) -> syn::Lifetime {
    syn::Lifetime {
        apostrophe: span,
        ident: ident(name, span),
    }
}

fn is_anonymous(l: &syn::Lifetime) -> bool {
    l.ident == "_"
}

/// Drops `'_` from a list of bounds (`T: '_` says nothing).
fn strip_anonymous_bounds<P: Default>(bounds: &mut Punctuated<TypeParamBound, P>) {
    if bounds
        .iter()
        .any(|b| matches!(b, TypeParamBound::Lifetime(l) if is_anonymous(l)))
    {
        *bounds = std::mem::take(bounds)
            .into_iter()
            .filter(|b| !matches!(b, TypeParamBound::Lifetime(l) if is_anonymous(l)))
            .collect();
    }
}

impl VisitMut for Renames {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first_mut()
            && let Some(new) = self.types.get(&first.ident.to_string())
        {
            first.ident = ident(new, first.ident.span());
        }
    }

    fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
        if let Some(new) = self.lifetimes.get(&l.ident.to_string()) {
            let name = new.as_deref().unwrap_or("_");
            l.ident = ident(name, l.ident.span());
        }
    }

    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        syn::visit_mut::visit_type_reference_mut(self, r);
        if r.lifetime.as_ref().is_some_and(is_anonymous) {
            r.lifetime = None;
        }
    }

    fn visit_receiver_mut(&mut self, r: &mut syn::Receiver) {
        syn::visit_mut::visit_receiver_mut(self, r);
        if let ReceiverKind::Reference(_, lt, _) = &mut r.kind
            && lt.as_ref().is_some_and(is_anonymous)
        {
            *lt = None;
        }
    }

    fn visit_angle_bracketed_generic_arguments_mut(
        &mut self,
        args: &mut syn::AngleBracketedGenericArguments,
    ) {
        syn::visit_mut::visit_angle_bracketed_generic_arguments_mut(self, args);
        if args
            .args
            .iter()
            .any(|a| matches!(a, syn::GenericArgument::Lifetime(l) if is_anonymous(l)))
        {
            args.args = std::mem::take(&mut args.args)
                .into_iter()
                .filter(|a| !matches!(a, syn::GenericArgument::Lifetime(l) if is_anonymous(l)))
                .collect();
        }
    }

    fn visit_path_segment_mut(&mut self, seg: &mut syn::PathSegment) {
        syn::visit_mut::visit_path_segment_mut(self, seg);
        if let syn::PathArguments::AngleBracketed(a) = &seg.arguments
            && a.args.is_empty()
        {
            seg.arguments = syn::PathArguments::None;
        }
    }

    fn visit_type_impl_trait_mut(&mut self, t: &mut syn::TypeImplTrait) {
        syn::visit_mut::visit_type_impl_trait_mut(self, t);
        strip_anonymous_bounds(&mut t.bounds);
    }

    fn visit_type_trait_object_mut(&mut self, t: &mut syn::TypeTraitObject) {
        syn::visit_mut::visit_type_trait_object_mut(self, t);
        strip_anonymous_bounds(&mut t.bounds);
    }

    fn visit_predicate_type_mut(&mut self, p: &mut syn::PredicateType) {
        syn::visit_mut::visit_predicate_type_mut(self, p);
        strip_anonymous_bounds(&mut p.bounds);
    }

    fn visit_type_param_mut(&mut self, p: &mut syn::TypeParam) {
        syn::visit_mut::visit_type_param_mut(self, p);
        strip_anonymous_bounds(&mut p.bounds);
    }
}

/// Positional names for the parameters of a type, trait or alias
/// declaration: `'__p0`.., `__P0`...
pub(crate) fn positional(g: &Generics) -> Renames {
    let mut r = Renames::default();
    let (mut lt, mut ty) = (0, 0);
    for p in &g.params {
        match p {
            GenericParam::Lifetime(l) => {
                r.lifetimes
                    .insert(l.lifetime.ident.to_string(), Some(format!("__p{lt}")));
                lt += 1;
            }
            GenericParam::Type(t) => {
                r.types.insert(t.ident.to_string(), format!("{OUTER}{ty}"));
                ty += 1;
            }
            GenericParam::Const(c) => {
                r.types.insert(c.ident.to_string(), format!("{OUTER}{ty}"));
                ty += 1;
            }
        }
    }
    r
}

/// The names of the type and const parameters of `g`, in order.
fn type_param_names(g: &Generics) -> Vec<String> {
    g.params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.to_string()),
            GenericParam::Const(c) => Some(c.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// First uses of some names, in the order a walk meets them.
struct Uses<'a> {
    names: &'a HashSet<String>,
    order: Vec<String>,
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first()
        {
            let name = first.ident.to_string();
            if self.names.contains(&name) && !self.order.contains(&name) {
                self.order.push(name);
            }
        }
        syn::visit::visit_path(self, path);
    }
}

/// How often each named lifetime is used, and in which order they are met.
#[derive(Default)]
struct LifetimeUses {
    count: HashMap<String, usize>,
    order: Vec<String>,
}

impl LifetimeUses {
    fn add(&mut self, name: &str) {
        if name == "_" || name == "static" {
            return;
        }
        let n = self.count.entry(name.to_string()).or_insert(0);
        if *n == 0 {
            self.order.push(name.to_string());
        }
        *n += 1;
    }
}

impl<'ast> Visit<'ast> for LifetimeUses {
    fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
        self.add(&l.ident.to_string());
    }
}

/// Makes elided lifetimes explicit: in inputs each gets a fresh name, in
/// the output the one elision gives it (`target`), if any.
struct Elide {
    fresh: usize,
    output: bool,
    target: Option<String>,
    /// Lifetimes met in the inputs (named and fresh), in order.
    inputs: Vec<String>,
}

impl Elide {
    fn fill(&mut self, l: &mut syn::Lifetime) {
        if !is_anonymous(l) {
            let name = l.ident.to_string();
            if !self.output && name != "static" && !self.inputs.contains(&name) {
                self.inputs.push(name);
            }
            return;
        }
        if self.output {
            if let Some(t) = &self.target {
                l.ident = ident(t, l.ident.span());
            }
        } else {
            let name = format!("__e{}", self.fresh);
            self.fresh += 1;
            l.ident = ident(&name, l.ident.span());
            self.inputs.push(name);
        }
    }
}

impl VisitMut for Elide {
    fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
        self.fill(l);
    }

    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(lifetime("_", r.and_token.span));
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
        if r.lifetime.as_ref().is_some_and(is_anonymous) {
            r.lifetime = None;
        }
    }

    // `R<'_, T>` is `R<T>` written out: the elision rules give both the
    // same lifetime. In the inputs a written `'_` argument is dropped before
    // they are applied (it would otherwise count as a use, and give the
    // output a lifetime, that an omitted one does not); in the output an
    // argument that is the elided lifetime (`'_`, or the name it stands
    // for: `X<'a>` in `fn f(&'a self) -> X<'a>`) is dropped after.
    fn visit_angle_bracketed_generic_arguments_mut(
        &mut self,
        args: &mut syn::AngleBracketedGenericArguments,
    ) {
        if !self.output {
            args.args = std::mem::take(&mut args.args)
                .into_iter()
                .filter(|a| !matches!(a, syn::GenericArgument::Lifetime(l) if is_anonymous(l)))
                .collect();
        }
        syn::visit_mut::visit_angle_bracketed_generic_arguments_mut(self, args);
        if self.output
            && let Some(t) = &self.target
        {
            args.args = std::mem::take(&mut args.args)
                .into_iter()
                .filter(|a| !matches!(a, syn::GenericArgument::Lifetime(l) if l.ident == t))
                .collect();
        }
    }

    // A function pointer type and `Fn(&T) -> &U` sugar have elision scopes
    // of their own.
    fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}

    fn visit_parenthesized_generic_arguments_mut(
        &mut self,
        _: &mut syn::ParenthesizedGenericArguments,
    ) {
    }
}

/// Replaces `impl Trait` in argument position by a named parameter and
/// collects its bounds.
struct ImplArgs {
    made: Vec<(String, Punctuated<TypeParamBound, syn::Token![+]>)>,
}

impl VisitMut for ImplArgs {
    fn visit_type_mut(&mut self, t: &mut Type) {
        syn::visit_mut::visit_type_mut(self, t);
        if let Type::ImplTrait(it) = t {
            let name = format!("{IMPL_ARG}{}", self.made.len());
            let span = it.impl_token.span;
            self.made.push((name.clone(), it.bounds.clone()));
            let id = ident(&name, span);
            *t = syn::parse_quote!(#id);
        }
    }

    fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}
}

/// Replaces the type `Self` by the implemented type.
struct SelfIs<'a>(&'a Type);

impl VisitMut for SelfIs<'_> {
    fn visit_type_mut(&mut self, t: &mut Type) {
        if let Type::Path(tp) = t
            && tp.qself.is_none()
            && tp.path.is_ident("Self")
        {
            *t = self.0.clone();
            return;
        }
        syn::visit_mut::visit_type_mut(self, t);
    }
}

/// What surrounds a function.
pub(crate) enum Outer<'a> {
    /// A free function.
    Free,
    /// A method of an inherent impl: `Self` is `self_ty`.
    Inherent {
        self_ty: &'a Type,
        generics: &'a Generics,
    },
    /// A method declared in a trait (its parameters are the trait's).
    Trait { generics: &'a Generics },
}

/// A function signature in canonical form.
pub(crate) struct CanonFn {
    /// Parameters renamed, lifetimes made explicit or dropped, `impl Trait`
    /// arguments turned into parameters, `async` turned into the future it
    /// returns; generics hold the function's type and const parameters in
    /// canonical order, every bound in the `where` clause (with the
    /// enclosing impl's bounds).
    pub(crate) sig: Signature,
    /// Canonical names of the parameters a turbofish gives, in declaration
    /// order (`impl Trait` arguments are not among them).
    pub(crate) explicit: Vec<String>,
    /// For an inherent method: the implemented type, renamed (`S<__P0>`).
    pub(crate) self_ty: Option<Type>,
}

fn future_of(output: &syn::ReturnType) -> Type {
    let t: Type = match output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, t) => (**t).clone(),
    };
    syn::parse_quote!(impl ::std::future::Future<Output = #t>)
}

/// Bounds of type parameters as `where` predicates.
fn bounds_as_predicates(g: &Generics) -> Vec<syn::WherePredicate> {
    let mut out = Vec::new();
    for p in &g.params {
        match p {
            GenericParam::Type(tp) if !tp.bounds.is_empty() => {
                let (id, b) = (&tp.ident, &tp.bounds);
                out.push(syn::parse_quote!(#id: #b));
            }
            GenericParam::Lifetime(lp) if !lp.bounds.is_empty() => {
                let (l, b) = (&lp.lifetime, &lp.bounds);
                out.push(syn::parse_quote!(#l: #b));
            }
            _ => {}
        }
    }
    if let Some(w) = &g.where_clause {
        out.extend(w.predicates.iter().cloned());
    }
    out
}

/// The canonical form of `sig` inside `outer`.
pub(crate) fn canon_fn(sig: &Signature, outer: &Outer<'_>) -> CanonFn {
    let mut sig = sig.clone();
    if sig.asyncness.take().is_some() {
        let fut = future_of(&sig.output);
        sig.output = syn::ReturnType::Type(Default::default(), Box::new(fut));
    }
    let (outer_generics, self_ty) = match outer {
        Outer::Free => (None, None),
        Outer::Inherent { self_ty, generics } => (Some(*generics), Some((*self_ty).clone())),
        Outer::Trait { generics } => (Some(*generics), None),
    };
    let mut self_ty = self_ty;
    let mut outer_preds: Vec<syn::WherePredicate> = match outer {
        Outer::Inherent { generics, .. } => bounds_as_predicates(generics),
        _ => Vec::new(),
    };
    if let Some(st) = &self_ty {
        let mut s = SelfIs(st);
        for arg in sig.inputs.iter_mut() {
            s.visit_fn_arg_mut(arg);
        }
        s.visit_return_type_mut(&mut sig.output);
        if let Some(w) = &mut sig.generics.where_clause {
            s.visit_where_clause_mut(w);
        }
        for p in sig.generics.params.iter_mut() {
            s.visit_generic_param_mut(p);
        }
        for p in outer_preds.iter_mut() {
            s.visit_where_predicate_mut(p);
        }
    }

    // `impl Trait` arguments become parameters that are not explicit.
    let mut impl_args = ImplArgs { made: Vec::new() };
    for arg in sig.inputs.iter_mut() {
        if let FnArg::Typed(pt) = arg {
            impl_args.visit_type_mut(&mut pt.ty);
        }
    }
    let explicit_names = type_param_names(&sig.generics);
    let mut preds = bounds_as_predicates(&sig.generics);
    for (name, bounds) in &impl_args.made {
        let id = ident(name, proc_macro2::Span::call_site());
        preds.push(syn::parse_quote!(#id: #bounds));
    }
    let lifetime_params: Vec<String> = sig
        .generics
        .lifetimes()
        .map(|l| l.lifetime.ident.to_string())
        .collect();
    let mut own: Vec<GenericParam> = sig
        .generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .cloned()
        .map(|p| match p {
            GenericParam::Type(mut tp) => {
                tp.bounds.clear();
                tp.colon_token = None;
                tp.default = None;
                GenericParam::Type(tp)
            }
            other => other,
        })
        .collect();
    for (name, _) in &impl_args.made {
        let id = ident(name, proc_macro2::Span::call_site());
        own.push(syn::parse_quote!(#id));
    }
    sig.generics.params = Punctuated::new();
    sig.generics.where_clause = None;

    // Elided lifetimes made explicit.
    let mut elide = Elide {
        fresh: 0,
        output: false,
        target: None,
        inputs: Vec::new(),
    };
    let mut self_lifetime = None;
    for arg in sig.inputs.iter_mut() {
        match arg {
            FnArg::Receiver(r) => match &mut r.kind {
                ReceiverKind::Reference(and, lt, _) => {
                    let l = lt.get_or_insert_with(|| lifetime("_", and.span));
                    elide.fill(l);
                    self_lifetime = Some(l.ident.to_string());
                }
                ReceiverKind::Typed(_, ty) => {
                    elide.visit_type_mut(ty);
                    if let Type::Reference(tr) = &**ty {
                        self_lifetime = tr.lifetime.as_ref().map(|l| l.ident.to_string());
                    }
                }
                _ => {}
            },
            FnArg::Typed(pt) => elide.visit_type_mut(&mut pt.ty),
        }
    }
    elide.output = true;
    elide.target = self_lifetime.or_else(|| match elide.inputs.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    });
    elide.visit_return_type_mut(&mut sig.output);

    // Type and const parameters by first use.
    let outer_names: Vec<String> = outer_generics.map(type_param_names).unwrap_or_default();
    let mut inner_names: Vec<String> = explicit_names.clone();
    inner_names.extend(impl_args.made.iter().map(|(n, _)| n.clone()));
    let mut renames = Renames::default();
    {
        let outer_set: HashSet<String> = outer_names.iter().cloned().collect();
        let mut order = match (outer, &self_ty) {
            // An impl's parameters by their place in the implemented type.
            (Outer::Inherent { .. }, Some(st)) => {
                let mut u = Uses {
                    names: &outer_set,
                    order: Vec::new(),
                };
                u.visit_type(st);
                u.order
            }
            _ => Vec::new(),
        };
        for n in &outer_names {
            if !order.contains(n) {
                order.push(n.clone());
            }
        }
        for (i, n) in order.iter().enumerate() {
            renames.types.insert(n.clone(), format!("{OUTER}{i}"));
        }
        // The function's own shadow the outer ones.
        let inner_set: HashSet<String> = inner_names.iter().cloned().collect();
        let mut u = Uses {
            names: &inner_set,
            order: Vec::new(),
        };
        for arg in &sig.inputs {
            u.visit_fn_arg(arg);
        }
        u.visit_return_type(&sig.output);
        for p in &preds {
            u.visit_where_predicate(p);
        }
        let mut order = u.order;
        for n in &inner_names {
            if !order.contains(n) {
                order.push(n.clone());
            }
        }
        for (i, n) in order.iter().enumerate() {
            renames.types.insert(n.clone(), format!("{INNER}{i}"));
        }
    }

    // Lifetimes: used twice or more -> named by first use; once -> elided.
    // An impl's own lifetimes are not counted from the implemented type:
    // `impl<'a> S<'a> { fn new(x: &[u8]) -> S<'_> }` and
    // `impl<'h> S<'h> { fn new(x: &'h [u8]) -> S<'h> }` make the same
    // promise to callers.
    let mut uses = LifetimeUses::default();
    if let Outer::Trait { generics } = outer {
        // A trait's lifetime is bound outside the method: one more use.
        for l in generics.lifetimes() {
            uses.add(&l.lifetime.ident.to_string());
        }
    }
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => match &r.kind {
                ReceiverKind::Reference(_, Some(l), _) => uses.add(&l.ident.to_string()),
                ReceiverKind::Typed(_, ty) => uses.visit_type(ty),
                _ => {}
            },
            FnArg::Typed(pt) => uses.visit_type(&pt.ty),
        }
    }
    uses.visit_return_type(&sig.output);
    for p in preds.iter().chain(outer_preds.iter()) {
        uses.visit_where_predicate(p);
    }
    let mut next = 0;
    for name in &uses.order {
        let n = uses.count.get(name).copied().unwrap_or(0);
        let new = if n >= 2 {
            next += 1;
            Some(format!("__l{}", next - 1))
        } else {
            None
        };
        renames.lifetimes.insert(name.clone(), new);
    }
    for name in lifetime_params {
        renames.lifetimes.entry(name).or_insert(None);
    }

    for arg in sig.inputs.iter_mut() {
        renames.visit_fn_arg_mut(arg);
    }
    renames.visit_return_type_mut(&mut sig.output);
    for p in preds.iter_mut().chain(outer_preds.iter_mut()) {
        renames.visit_where_predicate_mut(p);
    }
    for p in own.iter_mut() {
        renames.visit_generic_param_mut(p);
        // A parameter's own name is not a path: rename it here.
        let id = match p {
            GenericParam::Type(t) => &mut t.ident,
            GenericParam::Const(c) => &mut c.ident,
            GenericParam::Lifetime(_) => continue,
        };
        if let Some(new) = renames.types.get(&id.to_string()) {
            *id = ident(new, id.span());
        }
    }
    if let Some(st) = &mut self_ty {
        // Which type the method is on, not how the impl names its lifetimes.
        let mut types_only = Renames {
            types: renames.types.clone(),
            lifetimes: HashMap::new(),
        };
        let mut names = LifetimeUses::default();
        names.visit_type(st);
        for l in names.order {
            types_only.lifetimes.insert(l, None);
        }
        types_only.visit_type_mut(st);
    }
    own.sort_by_key(|p| match p {
        GenericParam::Type(t) => param_index(&t.ident.to_string()),
        GenericParam::Const(c) => param_index(&c.ident.to_string()),
        GenericParam::Lifetime(_) => usize::MAX,
    });
    let explicit: Vec<String> = explicit_names
        .iter()
        .filter_map(|n| renames.types.get(n).cloned())
        .collect();
    sig.generics.params = own.into_iter().collect();
    preds.extend(outer_preds);
    let preds: Vec<syn::WherePredicate> = preds
        .into_iter()
        .filter(|p| !predicate_is_empty(p))
        .collect();
    if !preds.is_empty() {
        sig.generics.where_clause = Some(syn::WhereClause {
            where_token: Default::default(),
            predicates: preds.into_iter().collect(),
        });
    }
    CanonFn {
        sig,
        explicit,
        self_ty,
    }
}

/// The comparison form of a canonical, normalized signature and its parts
/// ([`FnShape`]); `for_ty`, for an inherent method, the implemented type
/// (normalized), written first (`[for S<__P0>] pub fn new(..)`).
pub(crate) fn fn_parts(
    vis: &syn::Visibility,
    sig: &Signature,
    explicit: Vec<String>,
    for_ty: Option<&Type>,
) -> (String, FnShape) {
    use crate::api::render;
    use crate::api::syn_engine::unraw_text;
    let for_ty = for_ty
        .map(|st| format!("[for {}] ", render::ty(st)))
        .unwrap_or_default();
    let shape = format!("{for_ty}{}", render::signature_shape(vis, sig));
    let head = {
        let mut h = sig.clone();
        h.generics = syn::Generics::default();
        h.inputs = Punctuated::new();
        h.variadic = None;
        h.output = syn::ReturnType::Default;
        format!("{for_ty}{}", render::signature_shape(vis, &h))
    };
    let inputs = sig
        .inputs
        .iter()
        .map(|a| match a {
            FnArg::Receiver(r) => unraw_text(&render::tokens(r)),
            FnArg::Typed(pt) => unraw_text(&render::ty(&pt.ty)),
        })
        .collect();
    let output = match &sig.output {
        syn::ReturnType::Default => "()".to_string(),
        syn::ReturnType::Type(_, t) => unraw_text(&render::ty(t)),
    };
    let preds = sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| {
            w.predicates
                .iter()
                .map(|p| unraw_text(&render::tokens(p)))
                .collect()
        })
        .unwrap_or_default();
    let params = sig
        .generics
        .params
        .iter()
        .map(|p| unraw_text(&render::tokens(p)))
        .collect();
    let parts = FnShape {
        head: unraw_text(&head),
        explicit,
        params,
        inputs,
        output,
        preds,
    };
    (shape, parts)
}

/// `__G3` -> 3 (names made elsewhere sort last).
fn param_index(name: &str) -> usize {
    name.strip_prefix(INNER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// A predicate left with no bounds (its only bound was an elided lifetime).
fn predicate_is_empty(p: &syn::WherePredicate) -> bool {
    match p {
        syn::WherePredicate::Type(t) => t.bounds.is_empty(),
        syn::WherePredicate::Lifetime(l) => l.bounds.is_empty() || is_anonymous(&l.lifetime),
        _ => false,
    }
}

/// An impl header in canonical form: parameters by first use in the
/// implemented type, then the trait's arguments; lifetimes used twice or
/// more named by first use, the others elided.
pub(crate) struct CanonImpl {
    pub(crate) self_ty: Type,
    pub(crate) trait_path: Option<syn::Path>,
    pub(crate) preds: Vec<syn::WherePredicate>,
    /// `(name, type)` of the associated types, sorted by name.
    pub(crate) assoc: Vec<(String, Type)>,
    /// Canonical parameter names, in order.
    pub(crate) params: Vec<String>,
}

pub(crate) fn canon_impl(imp: &syn::ItemImpl) -> CanonImpl {
    let mut self_ty = (*imp.self_ty).clone();
    let mut trait_path = imp.trait_.as_ref().map(|(p, _)| p.clone());
    let mut preds = bounds_as_predicates(&imp.generics);
    let mut assoc: Vec<(String, Type)> = imp
        .items
        .iter()
        .filter_map(|i| match i {
            syn::ImplItem::Type(t) => Some((t.ident.to_string(), t.ty.clone())),
            _ => None,
        })
        .collect();
    assoc.sort_by(|a, b| a.0.cmp(&b.0));
    // `Self` in an associated type means the implemented type.
    {
        let st = self_ty.clone();
        let mut s = SelfIs(&st);
        for (_, t) in assoc.iter_mut() {
            s.visit_type_mut(t);
        }
        for p in preds.iter_mut() {
            s.visit_where_predicate_mut(p);
        }
    }
    // Elided lifetimes in the header are each a fresh one.
    let mut elide = Elide {
        fresh: 0,
        output: false,
        target: None,
        inputs: Vec::new(),
    };
    elide.visit_type_mut(&mut self_ty);
    if let Some(p) = &mut trait_path {
        elide.visit_path_mut(p);
    }
    let names = type_param_names(&imp.generics);
    let set: HashSet<String> = names.iter().cloned().collect();
    let mut u = Uses {
        names: &set,
        order: Vec::new(),
    };
    u.visit_type(&self_ty);
    if let Some(p) = &trait_path {
        u.visit_path(p);
    }
    for p in &preds {
        u.visit_where_predicate(p);
    }
    let mut order = u.order;
    for n in &names {
        if !order.contains(n) {
            order.push(n.clone());
        }
    }
    let mut renames = Renames::default();
    for (i, n) in order.iter().enumerate() {
        renames.types.insert(n.clone(), format!("{OUTER}{i}"));
    }
    let mut uses = LifetimeUses::default();
    uses.visit_type(&self_ty);
    if let Some(p) = &trait_path {
        uses.visit_path(p);
    }
    for p in &preds {
        uses.visit_where_predicate(p);
    }
    for (_, t) in &assoc {
        uses.visit_type(t);
    }
    let mut next = 0;
    for name in &uses.order {
        let n = uses.count.get(name).copied().unwrap_or(0);
        let new = (n >= 2).then(|| {
            next += 1;
            format!("__l{}", next - 1)
        });
        renames.lifetimes.insert(name.clone(), new);
    }
    for l in imp.generics.lifetimes() {
        renames
            .lifetimes
            .entry(l.lifetime.ident.to_string())
            .or_insert(None);
    }
    renames.visit_type_mut(&mut self_ty);
    if let Some(p) = &mut trait_path {
        renames.visit_path_mut(p);
    }
    for p in preds.iter_mut() {
        renames.visit_where_predicate_mut(p);
    }
    for (_, t) in assoc.iter_mut() {
        renames.visit_type_mut(t);
    }
    let preds = preds
        .into_iter()
        .filter(|p| !predicate_is_empty(p))
        .collect();
    CanonImpl {
        self_ty,
        trait_path,
        preds,
        assoc,
        params: (0..order.len()).map(|i| format!("{OUTER}{i}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn canon(src: &str) -> (String, Vec<String>) {
        let f: syn::ItemFn = syn::parse_str(src).expect("fn");
        let c = canon_fn(&f.sig, &Outer::Free);
        (
            crate::api::render::tokens(&c.sig.to_token_stream()),
            c.explicit,
        )
    }

    #[test]
    fn renamed_and_elided_lifetimes_read_the_same() {
        assert_eq!(
            canon("fn first<'a>(x: &'a [u8]) -> &'a u8 {}").0,
            canon("fn first(x: &[u8]) -> &u8 {}").0
        );
        assert_eq!(
            canon("fn f<'a>(x: &'a u8, y: &u8) {}").0,
            canon("fn f(x: &u8, y: &u8) {}").0
        );
        assert_ne!(
            canon("fn f<'a, 'b>(x: &'a str, y: &'b str) -> &'a str {}").0,
            canon("fn f<'a, 'b>(x: &'a str, y: &'b str) -> &'b str {}").0
        );
        assert_ne!(
            canon("fn f(x: &'static str) {}").0,
            canon("fn f(x: &str) {}").0
        );
    }

    #[test]
    fn a_written_anonymous_lifetime_is_an_omitted_one() {
        let imp: syn::ItemImpl = syn::parse_str(
            "impl M { fn a(&self) -> Option<R<T>> {} fn b(&self) -> Option<R<'_, T>> {} }",
        )
        .expect("impl");
        let outer = Outer::Inherent {
            self_ty: &imp.self_ty,
            generics: &imp.generics,
        };
        let sigs: Vec<String> = imp
            .items
            .iter()
            .map(|i| {
                let syn::ImplItem::Fn(f) = i else {
                    panic!("fn")
                };
                let mut sig = canon_fn(&f.sig, &outer).sig;
                sig.ident = ident("f", sig.ident.span());
                crate::api::render::tokens(&sig.to_token_stream())
            })
            .collect();
        assert_eq!(sigs[0], sigs[1]);
        assert_eq!(
            canon("fn f(x: &u8, r: Reader<'_>) {}").0,
            canon("fn f(x: &u8, r: Reader) {}").0
        );
        let same = [
            "fn f<'a>(r: Reader<'a>) -> Reader<'a> {}",
            "fn f(r: Reader<'_>) -> Reader<'_> {}",
            "fn f(r: Reader) -> Reader {}",
        ];
        for s in same {
            assert_eq!(canon(s).0, canon(same[0]).0, "{s}");
        }
        let same = [
            "fn f<'a>(x: &'a u8) -> (&'a u8, Reader<'a>) {}",
            "fn f(x: &u8) -> (&u8, Reader<'_>) {}",
            "fn f(x: &u8) -> (&u8, Reader) {}",
        ];
        for s in same {
            assert_eq!(canon(s).0, canon(same[0]).0, "{s}");
        }
        // A named lifetime still relates the places it appears.
        assert_ne!(
            canon("fn f<'a>(x: &'a u8) -> Reader<'a> {}").0,
            canon("fn f(x: &u8, y: &u8) -> Reader<'_> {}").0
        );
    }

    #[test]
    fn type_parameters_are_named_by_first_use() {
        assert_eq!(
            canon("fn f<A, B>(a: A, b: B) {}").0,
            canon("fn f<X, Y>(a: X, b: Y) {}").0
        );
        // Reordered declarations: one shape, another turbofish.
        let (s1, e1) = canon("fn f<A, B>(a: A, b: B) {}");
        let (s2, e2) = canon("fn f<B, A>(a: A, b: B) {}");
        assert_eq!(s1, s2);
        assert_ne!(e1, e2);
        // An impl Trait argument is a parameter users cannot name.
        let (s3, e3) = canon("fn f(x: impl AsRef<str>) {}");
        let (s4, e4) = canon("fn f<S: AsRef<str>>(x: S) {}");
        assert_eq!(s3, s4);
        assert!(e3.is_empty());
        assert_eq!(e4, vec!["__G0".to_string()]);
    }

    #[test]
    fn async_fn_is_a_function_returning_a_future() {
        assert_eq!(
            canon("async fn f() -> u8 {}").0,
            canon("fn f() -> impl ::std::future::Future<Output = u8> {}").0
        );
    }

    #[test]
    fn self_in_an_inherent_impl_keeps_the_type_arguments() {
        let imp: syn::ItemImpl =
            syn::parse_str("impl<T> S<T> { fn new(t: T) -> Self { todo!() } }").expect("impl");
        let syn::ImplItem::Fn(f) = &imp.items[0] else {
            panic!("fn")
        };
        let outer = Outer::Inherent {
            self_ty: &imp.self_ty,
            generics: &imp.generics,
        };
        let c = canon_fn(&f.sig, &outer);
        let text = crate::api::render::tokens(&c.sig.output.to_token_stream());
        assert_eq!(text, "-> S<__P0>");
    }
}
