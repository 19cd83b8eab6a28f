//! `#[requires_scope(...)]`: the guarded `AccessToken<S>` parameter becomes
//! `Scoped<AccessToken<S>, All<(markers)>>`, each marker found at compile
//! time from its scope string; an undeclared scope fails constant evaluation
//! with a message naming it.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::Parser as _;
use syn::spanned::Spanned as _;
use syn::{FnArg, GenericParam, ImplItemFn, LitStr, PatType, Signature, Type, TypePath};

use crate::attr::{self, Mode, ScopeArgs, name};
use crate::ctxt::Ctxt;
use crate::guard::{self, AuthArgs, RoleArgs, UserArgs, Which};
use crate::scope_token::{self, Problem};

const ACCESS_TOKEN: &str = "AccessToken";
const ID_TOKEN: &str = "IdToken";

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    expand_as(Which::Scope, args, input)
}

/// Expands `#[requires_scope]`, `#[requires_role]` or `#[requires_auth]`
/// into the one guard of the handler (see [`crate::guard`]).
pub(crate) fn expand_as(which: Which, args: TokenStream, input: TokenStream) -> TokenStream {
    let mac = format!("`#[{}]`", which.attr());
    let Ok(mut func) = syn::parse2::<ImplItemFn>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            format!("{mac} applies to a function (free, or a method in an `impl` block) with a body"),
        );
        let mut out = error.into_compile_error();
        out.extend(input);
        return out;
    };
    // A `#[requires_scope]` still to expand takes this attribute's
    // arguments: move this attribute after it.
    if which != Which::Scope && func.attrs.iter().any(|a| guard::is_guard_attr(a, Which::Scope)) {
        let path = format_ident!("{}", which.attr());
        func.attrs.push(syn::parse_quote!(#[::tokenkind::#path(#args)]));
        return func.into_token_stream();
    }
    let cx = Ctxt::new();
    let mut user = UserArgs::default();
    let no_scopes = || ScopeArgs { mode: Mode::All, scopes: Vec::new(), sender_constrained: None };
    let args = match which {
        Which::Scope => match ScopeArgs::parse.parse2(args) {
            Ok(args) => {
                check_scopes(&cx, &args.scopes);
                Some(args)
            }
            Err(err) => {
                cx.syn_error(err);
                None
            }
        },
        Which::Role => {
            match RoleArgs::parse.parse2(args) {
                Ok(args) => {
                    guard::check_roles(&cx, &args.roles);
                    user.roles = Some(args);
                }
                Err(err) => cx.syn_error(err),
            }
            Some(no_scopes())
        }
        Which::Auth => {
            match AuthArgs::parse.parse2(args) {
                Ok(args) => {
                    guard::check_acr(&cx, &args.acr);
                    user.auth = Some(args);
                }
                Err(err) => cx.syn_error(err),
            }
            Some(no_scopes())
        }
    };
    guard::take_siblings(&cx, &mut func, &mut user);
    let guarded = guarded_parameter(&cx, &mut func.sig, which, &user);
    let grpc = guarded.and_then(|index| grpc_request(&cx, &func, index));
    match (cx.check(), args, guarded) {
        (Ok(()), Some(args), Some(index)) => {
            rewrite(&mut func, index, &args, &user);
            if let Some(request) = grpc {
                bind_from_request(&mut func, index, &request);
            }
            func.into_token_stream()
        }
        (Err(err), ..) => {
            // The function as written (minus `#[token]`), so the only errors
            // are ours; a gRPC method without its extra token parameter, so
            // that it still matches its trait.
            let mut out = err.into_compile_error();
            if is_grpc_method(&func.sig) {
                drop_token_parameter(&mut func);
            }
            func.to_tokens(&mut out);
            out
        }
        (Ok(()), ..) => unreachable!("arguments and parameter found without errors"),
    }
}

fn check_scopes(cx: &Ctxt, scopes: &[LitStr]) {
    let mut seen = HashSet::new();
    for lit in scopes {
        let value = lit.value();
        match scope_token::check(&value) {
            Ok(()) => {}
            Err(Problem::Empty) => {
                cx.error_spanned_by(lit, "the scope string is empty; write a scope the enum declares: `#[requires_scope(\"read:messages\")]`");
                continue;
            }
            Err(Problem::Space) => {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "the scope \"{value}\" contains a space, but a scope never does (a token's `scope` claim is \
                         a space-delimited list, RFC 6749 §3.3); list each scope as its own string: \
                         `#[requires_scope(\"a\", \"b\")]`"
                    ),
                );
                continue;
            }
            Err(Problem::Char(c)) => {
                cx.error_spanned_by(
                    lit,
                    format!("the scope {value:?} contains {}; {}", scope_token::describe(c), scope_token::RULE),
                );
                continue;
            }
        }
        if !seen.insert(value.clone()) {
            cx.error_spanned_by(lit, format!("the scope \"{value}\" is listed twice; remove one"));
        }
    }
}

/// The last path segment's name of `ty`, looking through parentheses.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(TypePath { qself: None, path, .. }) => path.segments.last(),
        Type::Paren(inner) => last_segment(&inner.elem),
        Type::Group(inner) => last_segment(&inner.elem),
        _ => None,
    }
}

fn is_named(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name)
}

/// Finds the parameter to guard (removing every `#[token]`), or reports why none fits.
fn guarded_parameter(cx: &Ctxt, sig: &mut Signature, which: Which, user: &UserArgs) -> Option<usize> {
    let mac = format!("`#[{}]`", which.attr());
    let mut marked = None;
    for (index, arg) in sig.inputs.iter_mut().enumerate() {
        let attrs = match arg {
            FnArg::Typed(typed) => &mut typed.attrs,
            FnArg::Receiver(receiver) => &mut receiver.attrs,
        };
        let (tokens, rest): (Vec<_>, Vec<_>) =
            std::mem::take(attrs).into_iter().partition(|a| attr::is(a, name::TOKEN));
        *attrs = rest;
        let Some(token_attr) = tokens.first() else { continue };
        if tokens.len() > 1 || !matches!(token_attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(token_attr, "write `#[token]` once, without arguments, on the guarded parameter");
        }
        if matches!(arg, FnArg::Receiver(_)) {
            cx.error_spanned_by(
                token_attr,
                "`self` cannot be the guarded token; mark an `AccessToken<S>` parameter with `#[token]`",
            );
        } else if marked.is_some() {
            cx.error_spanned_by(token_attr, "only one parameter can be the guarded token; remove this `#[token]`");
        } else {
            marked = Some(index);
        }
    }
    let index = if let Some(index) = marked {
        index
    } else {
        let tokens: Vec<(usize, &PatType)> = sig
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, arg)| typed(arg).map(|t| (i, t)))
            .filter(|(_, t)| is_named(&t.ty, ACCESS_TOKEN))
            .collect();
        match tokens.as_slice() {
            [(index, _)] => *index,
            [] => {
                no_token(cx, sig, &mac, user);
                return None;
            }
            [(_, first), rest @ ..] => {
                for (_, other) in rest {
                    cx.error_spanned_by(
                        &other.ty,
                        format!(
                            "{mac} found two `AccessToken` parameters, `{}` and `{}`; mark the one \
                             whose scopes it checks with `#[token]`",
                            first.pat.to_token_stream(),
                            other.pat.to_token_stream()
                        ),
                    );
                }
                return None;
            }
        }
    };
    let typed = typed(&sig.inputs[index]).expect("a receiver is never chosen");
    if !check_concrete(cx, &typed.ty, sig, &mac) {
        return None;
    }
    Some(index)
}

/// A gRPC method, whose signature tonic fixes: `&self`, a `Request<T>`,
/// and the guarded token as an extra parameter that the attribute takes
/// out again. Returns the request parameter's name.
fn grpc_request(cx: &Ctxt, func: &ImplItemFn, guarded: usize) -> Option<syn::Ident> {
    let sig = &func.sig;
    sig.receiver()?;
    let request =
        sig.inputs.iter().enumerate().find_map(|(i, arg)| typed(arg).filter(|t| i != guarded && is_request(&t.ty)))?;
    let syn::Pat::Ident(name) = &*request.pat else {
        cx.error_spanned_by(
            &request.pat,
            "`#[requires_scope]` reads the token from the gRPC request: give the request parameter a name, \
             as in `request: Request<T>`",
        );
        return None;
    };
    if sig.asyncness.is_none() && async_trait_block(&func.block).is_none() {
        cx.error_at(sig.fn_token.span, "`#[requires_scope]` on a gRPC method needs an `async fn`");
        return None;
    }
    Some(name.ident.clone())
}

/// Removes the parameter at `index` from the signature and returns it.
fn take_parameter(sig: &mut Signature, index: usize) -> Option<FnArg> {
    let mut removed = None;
    sig.inputs = core::mem::take(&mut sig.inputs)
        .into_iter()
        .enumerate()
        .filter_map(|(i, arg)| {
            if i == index {
                removed = Some(arg);
                None
            } else {
                Some(arg)
            }
        })
        .collect();
    removed
}

/// `&self` and a `Request<T>` parameter: a tonic service method.
fn is_grpc_method(sig: &Signature) -> bool {
    sig.receiver().is_some() && sig.inputs.iter().filter_map(typed).any(|t| is_request(&t.ty))
}

/// `Request<T>`: the request parameter of a tonic method.
fn is_request(ty: &Type) -> bool {
    last_segment(ty)
        .is_some_and(|s| s.ident == "Request" && matches!(s.arguments, syn::PathArguments::AngleBracketed(_)))
}

/// After an error: takes the token parameter (`AccessToken` or `IdToken`)
/// out of a gRPC method and binds it to `unreachable!()` in the body, so that
/// the only errors are the attribute's.
fn drop_token_parameter(func: &mut ImplItemFn) {
    let Some(index) = func
        .sig
        .inputs
        .iter()
        .position(|arg| typed(arg).is_some_and(|t| is_named(&t.ty, ACCESS_TOKEN) || is_named(&t.ty, ID_TOKEN)))
    else {
        return;
    };
    let Some(FnArg::Typed(param)) = take_parameter(&mut func.sig, index) else { return };
    let (pat, ty) = (&param.pat, &param.ty);
    let statement: syn::Stmt = syn::parse_quote!(let #pat: #ty = ::core::unreachable!(););
    func.attrs.push(syn::parse_quote!(#[allow(unreachable_code, unused_variables, unused_assignments)]));
    let body =
        if func.sig.asyncness.is_some() { Some(&mut func.block) } else { async_trait_block_mut(&mut func.block) };
    if let Some(body) = body {
        body.stmts.insert(0, statement);
    }
}

/// The `async move { … }` block of a method `#[async_trait]` (which tonic's
/// service traits use) already rewrote: `Box::pin(async move { … })`.
fn async_trait_block(block: &syn::Block) -> Option<&syn::Block> {
    let Some(syn::Stmt::Expr(syn::Expr::Call(call), None)) = block.stmts.last() else { return None };
    let syn::Expr::Path(callee) = &*call.func else { return None };
    if callee.path.segments.last().is_none_or(|s| s.ident != "pin") || call.args.len() != 1 {
        return None;
    }
    match call.args.first() {
        Some(syn::Expr::Async(future)) => Some(&future.block),
        _ => None,
    }
}

fn async_trait_block_mut(block: &mut syn::Block) -> Option<&mut syn::Block> {
    let Some(syn::Stmt::Expr(syn::Expr::Call(call), None)) = block.stmts.last_mut() else { return None };
    match call.args.first_mut() {
        Some(syn::Expr::Async(future)) => Some(&mut future.block),
        _ => None,
    }
}

/// Takes the guarded parameter out of a gRPC method's signature and binds it
/// at the top of the body to the guard checked against the request: a
/// refusal returns its `tonic::Status`.
fn bind_from_request(func: &mut ImplItemFn, index: usize, request: &syn::Ident) {
    let Some(FnArg::Typed(param)) = take_parameter(&mut func.sig, index) else { return };
    let (pat, ty) = (&param.pat, &param.ty);
    let statement: syn::Stmt = syn::parse_quote_spanned! {ty.span()=>
        let #pat: #ty = match ::tokenkind::__private::tonic_guard(&#request) {
            ::core::result::Result::Ok(guard) => guard,
            ::core::result::Result::Err(status) => {
                return ::core::result::Result::Err(status);
            }
        };
    };
    let body = if func.sig.asyncness.is_some() {
        &mut func.block
    } else {
        match async_trait_block_mut(&mut func.block) {
            Some(block) => block,
            None => return,
        }
    };
    body.stmts.insert(0, statement);
}

fn typed(arg: &FnArg) -> Option<&PatType> {
    match arg {
        FnArg::Typed(typed) => Some(typed),
        FnArg::Receiver(_) => None,
    }
}

/// Reports why no parameter can be guarded.
fn no_token(cx: &Ctxt, sig: &Signature, mac: &str, user: &UserArgs) {
    for arg in &sig.inputs {
        let FnArg::Typed(typed) = arg else { continue };
        if is_named(&typed.ty, ID_TOKEN) {
            let why = if mac.contains("requires_scope") {
                "carries no scopes"
            } else if user.roles.is_some() {
                "the roles it shows a client authorize nothing here: an API decides with the access token issued to it"
            } else {
                "its `acr` and `auth_time` describe a login to that client, not an authorization to call this API"
            };
            cx.error_spanned_by(
                &typed.ty,
                format!(
                    "{mac} cannot guard an `IdToken`: an ID token proves who logged in to a client \
                     application; it is not meant for your API and {why}\n\
                     = help: take an `AccessToken<S>` (a token issued for this API) instead"
                ),
            );
            return;
        }
        if let Type::Reference(reference) = &*typed.ty
            && is_named(&reference.elem, ACCESS_TOKEN)
        {
            cx.error_spanned_by(
                &typed.ty,
                format!("{mac} takes the access token by value, to hand the body a checked guard; remove the `&`"),
            );
            return;
        }
    }
    let (fn_token, ident) = (&sig.fn_token, &sig.ident);
    let mut signature = quote!(#fn_token #ident);
    sig.paren_token.surround(&mut signature, |tokens| sig.inputs.to_tokens(tokens));
    cx.error_spanned_by(
        signature,
        format!(
            "{mac} needs a parameter of type `AccessToken<S>` whose scopes it checks (mark a type alias with `#[token]`)"
        ),
    );
}

/// The scopes are resolved in a constant, which cannot use the function's
/// generic parameters: the token type must be concrete.
fn check_concrete(cx: &Ctxt, ty: &Type, sig: &Signature, mac: &str) -> bool {
    let generics: Vec<String> = sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.to_string()),
            GenericParam::Const(c) => Some(c.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let mut found = None;
    find_ident(ty.to_token_stream(), &mut |tree| {
        if let TokenTree::Ident(ident) = tree
            && found.is_none()
            && (ident == "impl" || generics.iter().any(|g| ident == g))
        {
            found = Some(ident.clone());
        }
    });
    let Some(ident) = found else { return true };
    let what = if ident == "impl" { "`impl Trait`".to_owned() } else { format!("the generic parameter `{ident}`") };
    cx.error_at(
        ident.span(),
        format!(
            "{mac} checks its scope strings against the token's scope enum at compile time, \
             so the token type must be concrete, not {what}; name the scope enum, as in `AccessToken<Api>`"
        ),
    );
    false
}

fn find_ident(tokens: TokenStream, visit: &mut impl FnMut(&TokenTree)) {
    for tree in tokens {
        if let TokenTree::Group(group) = &tree {
            find_ident(group.stream(), visit);
        }
        visit(&tree);
    }
}

/// How the message names the scope enum: `Api` for `AccessToken<Api>`,
/// else through the type as written.
fn scope_enum_names(ty: &Type) -> (String, String) {
    let segment = last_segment(ty);
    if let Some(segment) = segment.filter(|s| s.ident == ACCESS_TOKEN)
        && let syn::PathArguments::AngleBracketed(args) = &segment.arguments
        && let Some(syn::GenericArgument::Type(scopes)) = args.args.first()
    {
        let name = format!("`{}`", display(scopes));
        return (name.clone(), name);
    }
    (format!("the scope enum of `{}`", display(ty)), "that enum".to_owned())
}

/// `ty` as the user would write it (without the token printer's spaces).
fn display(ty: &Type) -> String {
    let mut out = String::new();
    for c in ty.to_token_stream().to_string().chars() {
        if c != ' ' || out.ends_with(',') {
            out.push(c);
        }
    }
    out.replace(',', ", ")
}

fn rewrite(func: &mut ImplItemFn, index: usize, args: &ScopeArgs, user: &UserArgs) {
    let FnArg::Typed(param) = &mut func.sig.inputs[index] else { unreachable!("a receiver is never chosen") };
    let ty = &*param.ty;
    let ty_span = ty.span();
    let scopes_ty = quote_spanned!(ty_span=> <#ty as ::tokenkind::__private::AccessTokenType>::Scopes);
    let (owner, enum_ref) = scope_enum_names(ty);
    let markers = args.scopes.iter().rev().fold(quote!(()), |tail, lit| {
        let value = lit.value();
        let head = format!("`#[requires_scope]`: the scope \"{value}\" is not declared by {owner}");
        let otherwise = format!("; declare it with `#[scope(\"{value}\")]` on a variant of {enum_ref}, or fix the spelling");
        let marker = quote_spanned! {lit.span()=>
            ::tokenkind::__private::MarkerAt<#scopes_ty, {
                const NAMES: &[&str] = <#scopes_ty as ::tokenkind::__private::Scopes>::NAMES;
                match ::tokenkind::__private::position(NAMES, #lit) {
                    ::core::option::Option::Some(index) => index,
                    ::core::option::Option::None => {
                        let message = ::tokenkind::__private::ConstMessage::new().push(#head);
                        let message = match ::tokenkind::__private::closest_scope(NAMES, #lit) {
                            ::core::option::Option::Some(close) => message.push("; did you mean \"").push(close).push("\"?"),
                            ::core::option::Option::None => message.push(#otherwise),
                        };
                        ::core::panic!("{}", message.as_str())
                    }
                }
            }>
        };
        quote!((#marker, #tail))
    });
    let requirement = match &args.mode {
        Mode::All => quote!(::tokenkind::__private::All<#markers>),
        Mode::Any(any) => quote_spanned!(any.span=> ::tokenkind::__private::Any<#markers>),
    };
    let binding =
        args.sender_constrained.as_ref().map(|kw| quote_spanned!(kw.span=> ::tokenkind::__private::SenderConstrained));
    let guarded: Type = match (binding, user.is_empty()) {
        (None, true) => syn::parse_quote_spanned!(ty_span=> ::tokenkind::__private::Scoped<#ty, #requirement>),
        (Some(binding), true) => {
            syn::parse_quote_spanned!(ty_span=> ::tokenkind::__private::Scoped<#ty, #requirement, #binding>)
        }
        (binding, false) => {
            let binding = binding.unwrap_or_else(|| quote!(::tokenkind::__private::AnyBinding));
            let (owner, _) = scope_enum_names(ty);
            let user_ty = guard::user_type(ty, &owner, user);
            syn::parse_quote_spanned!(ty_span=> ::tokenkind::__private::Scoped<#ty, #requirement, #binding, #user_ty>)
        }
    };
    *param.ty = guarded;
    if func.attrs.iter().any(|a| a.path().is_ident("doc")) {
        func.attrs.push(syn::parse_quote!(#[doc = ""]));
    }
    let doc = requirement_doc(args) + &guard::doc(user);
    func.attrs.push(syn::parse_quote!(#[doc = #doc]));
    // The guard's type is long by construction; the user wrote `AccessToken<S>`.
    // The guard is taken by value on purpose: it is the request's checked
    // credential, whether or not the body consumes it.
    func.attrs.push(syn::parse_quote!(#[allow(clippy::type_complexity, clippy::needless_pass_by_value)]));
}

/// " Requires the scope `a`.", " Requires the scopes `a` and `b`.",
/// " Requires one of the scopes `a` or `b`."
fn requirement_doc(args: &ScopeArgs) -> String {
    let scopes: Vec<String> = args.scopes.iter().map(|s| format!("`{}`", s.value())).collect();
    let any = matches!(args.mode, Mode::Any(_));
    let doc = scopes_doc(&scopes, any);
    if args.sender_constrained.is_some() {
        format!("{doc} Only a sender-constrained (DPoP- or certificate-bound) token reaches it.")
    } else {
        doc
    }
}

fn scopes_doc(scopes: &[String], any: bool) -> String {
    match scopes {
        [one] => format!(" Requires the scope {one}."),
        [init @ .., last] => {
            let (lead, joiner) = if any { ("one of the scopes", "or") } else { ("the scopes", "and") };
            format!(" Requires {lead} {} {joiner} {last}.", init.join(", "))
        }
        [] => String::new(),
    }
}
