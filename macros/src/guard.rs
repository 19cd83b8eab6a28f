//! `#[requires_role(...)]` and `#[requires_auth(...)]`: requirements on the
//! *user* behind an access token, added to the one guard that
//! `#[requires_scope]` builds. Written together on one handler, the
//! attributes make a single guard: whichever expands first takes the others'
//! arguments, so the check order (scopes, roles, step-up) never depends on
//! the order they were written in.

use std::collections::HashSet;
use std::fmt::Write as _;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Ident, ImplItemFn, LitInt, LitStr, Token, Type};

use crate::attr::{Mode, kw, name};
use crate::ctxt::Ctxt;

/// Which attribute is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Scope,
    Role,
    Auth,
}

impl Which {
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Self::Scope => name::REQUIRES_SCOPE,
            Self::Role => name::REQUIRES_ROLE,
            Self::Auth => name::REQUIRES_AUTH,
        }
    }
}

/// `#[requires_role("admin")]`, `#[requires_role("a", "b")]`, `#[requires_role(any("a", "b"))]`.
pub(crate) struct RoleArgs {
    pub(crate) mode: Mode,
    pub(crate) roles: Vec<LitStr>,
}

const ROLE_USAGE: &str = "write the roles as string literals: `#[requires_role(\"admin\")]` (every listed role is \
     required) or `#[requires_role(any(\"admin\", \"editor\"))]` (one of them)";

impl RoleArgs {
    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        let mode = if (input.peek(kw::any) || input.peek(kw::all)) && input.peek2(syn::token::Paren) {
            let mode = if input.peek(kw::any) {
                Mode::Any(input.parse()?)
            } else {
                input.parse::<kw::all>().map(|_| Mode::All)?
            };
            let content;
            syn::parenthesized!(content in input);
            let roles = strings(&content, ROLE_USAGE)?;
            if !input.is_empty() {
                return Err(input.error("`any(...)` or `all(...)` must be the only argument of `#[requires_role]`; put every role inside it"));
            }
            return finish(mode, roles);
        } else {
            Mode::All
        };
        let roles = strings(input, ROLE_USAGE)?;
        finish(mode, roles)
    }
}

fn finish(mode: Mode, roles: Vec<LitStr>) -> syn::Result<RoleArgs> {
    if roles.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("`#[requires_role]` needs the roles it requires; {ROLE_USAGE}"),
        ));
    }
    Ok(RoleArgs { mode, roles })
}

fn strings(input: ParseStream, usage: &str) -> syn::Result<Vec<LitStr>> {
    let items = Punctuated::<syn::Expr, Token![,]>::parse_terminated(input)?;
    items
        .into_iter()
        .map(|expr| match expr {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) => Ok(lit),
            other => Err(syn::Error::new_spanned(
                other,
                format!("expected a string literal (checked at compile time); {usage}"),
            )),
        })
        .collect()
}

/// `#[requires_auth(acr = "mfa", max_age = 300)]`; `acr = any("a", "b")`.
pub(crate) struct AuthArgs {
    pub(crate) acr: Vec<LitStr>,
    pub(crate) acr_any: Option<kw::any>,
    pub(crate) max_age: Option<LitInt>,
}

const AUTH_USAGE: &str = "write `#[requires_auth(acr = \"mfa\", max_age = 300)]`: `acr` names the required \
     authentication context class (or `acr = any(\"a\", \"b\")`), `max_age` the most seconds since the user \
     authenticated; give either or both";

impl AuthArgs {
    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Self { acr: Vec::new(), acr_any: None, max_age: None };
        let mut seen_acr = false;
        while !input.is_empty() {
            if input.peek(kw::acr) {
                let key: kw::acr = input.parse()?;
                if seen_acr {
                    return Err(syn::Error::new(
                        key.span,
                        "`acr` is given twice; list several values as `acr = any(\"a\", \"b\")`",
                    ));
                }
                seen_acr = true;
                input.parse::<Token![=]>()?;
                if input.peek(kw::any) && input.peek2(syn::token::Paren) {
                    args.acr_any = Some(input.parse()?);
                    let content;
                    let parens = syn::parenthesized!(content in input);
                    args.acr = strings(&content, AUTH_USAGE)?;
                    if args.acr.is_empty() {
                        return Err(syn::Error::new(
                            parens.span.join(),
                            "`any()` lists no `acr` values; write at least one",
                        ));
                    }
                } else {
                    let lit: syn::Expr = input.parse()?;
                    match lit {
                        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) => args.acr.push(lit),
                        other => {
                            return Err(syn::Error::new_spanned(
                                other,
                                format!("expected a string literal; {AUTH_USAGE}"),
                            ));
                        }
                    }
                }
            } else if input.peek(kw::max_age) {
                let key: kw::max_age = input.parse()?;
                if args.max_age.is_some() {
                    return Err(syn::Error::new(key.span, "`max_age` is given twice; keep one"));
                }
                input.parse::<Token![=]>()?;
                let lit: LitInt = input.parse().map_err(|e| {
                    syn::Error::new(e.span(), format!("`max_age` is a whole number of seconds; {AUTH_USAGE}"))
                })?;
                match lit.base10_parse::<u64>() {
                    Ok(secs) if secs < u64::MAX => {}
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &lit,
                            "`max_age` is a whole number of seconds, below 2^64 - 1",
                        ));
                    }
                }
                args.max_age = Some(lit);
            } else {
                let key = input.call(Ident::parse_any).map_err(|e| syn::Error::new(e.span(), AUTH_USAGE))?;
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown `#[requires_auth]` option `{key}`; {AUTH_USAGE}"),
                ));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if args.acr.is_empty() && args.max_age.is_none() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[requires_auth]` needs a requirement; {AUTH_USAGE}"),
            ));
        }
        Ok(args)
    }
}

/// The requirements on the user: roles, step-up, or both.
#[derive(Default)]
pub(crate) struct UserArgs {
    pub(crate) roles: Option<RoleArgs>,
    pub(crate) auth: Option<AuthArgs>,
}

impl UserArgs {
    pub(crate) fn is_empty(&self) -> bool {
        self.roles.is_none() && self.auth.is_none()
    }
}

/// Whether `attr` is `#[requires_...]` of `which`, by its last path segment
/// (`#[requires_role]`, `#[tokenkind::requires_role]`).
pub(crate) fn is_guard_attr(attr: &Attribute, which: Which) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == which.attr())
}

/// Takes the arguments of every other guard attribute on `func` (removing
/// the attributes), parsed and checked.
///
/// Each taken attribute's path is still named in the body (`use path as
/// _;`), so the import it was written with counts as used.
pub(crate) fn take_siblings(cx: &Ctxt, func: &mut ImplItemFn, user: &mut UserArgs) {
    let attrs = std::mem::take(&mut func.attrs);
    for attr in attrs {
        if is_guard_attr(&attr, Which::Role) || is_guard_attr(&attr, Which::Auth) {
            let path = attr.path();
            func.block
                .stmts
                .insert(0, syn::parse_quote_spanned!(path.span()=> #[allow(unused_imports)] use #path as _;));
        }
        if is_guard_attr(&attr, Which::Role) {
            if user.roles.is_some() {
                cx.error_spanned_by(&attr, "`#[requires_role]` is written twice; list every role in one");
                continue;
            }
            match parse_args(&attr, RoleArgs::parse) {
                Ok(args) => {
                    check_roles(cx, &args.roles);
                    user.roles = Some(args);
                }
                Err(err) => cx.syn_error(err),
            }
        } else if is_guard_attr(&attr, Which::Auth) {
            if user.auth.is_some() {
                cx.error_spanned_by(&attr, "`#[requires_auth]` is written twice; give every requirement in one");
                continue;
            }
            match parse_args(&attr, AuthArgs::parse) {
                Ok(args) => {
                    check_acr(cx, &args.acr);
                    user.auth = Some(args);
                }
                Err(err) => cx.syn_error(err),
            }
        } else {
            func.attrs.push(attr);
        }
    }
}

fn parse_args<T>(attr: &Attribute, parser: fn(ParseStream) -> syn::Result<T>) -> syn::Result<T> {
    match &attr.meta {
        syn::Meta::List(list) => parser.parse2(list.tokens.clone()),
        _ => parser.parse2(TokenStream::new()).map_err(|e| syn::Error::new_spanned(attr, e.to_string())),
    }
}

pub(crate) fn check_roles(cx: &Ctxt, roles: &[LitStr]) {
    let mut seen = HashSet::new();
    for lit in roles {
        let value = lit.value();
        if value.is_empty() {
            cx.error_spanned_by(
                lit,
                "the role string is empty; write a role the roles enum declares: `#[requires_role(\"admin\")]`",
            );
        } else if !seen.insert(value.clone()) {
            cx.error_spanned_by(lit, format!("the role \"{value}\" is listed twice; remove one"));
        }
    }
}

pub(crate) fn check_acr(cx: &Ctxt, acr: &[LitStr]) {
    let mut seen = HashSet::new();
    for lit in acr {
        let value = lit.value();
        if value.is_empty() {
            cx.error_spanned_by(
                lit,
                "the `acr` value is empty; write a value the `acr` enum declares: `acr = \"mfa\"`",
            );
        } else if !seen.insert(value.clone()) {
            cx.error_spanned_by(lit, format!("the `acr` value \"{value}\" is listed twice; remove one"));
        }
    }
}

/// The `User<Q, A>` type of the guard, resolving each string against the
/// API's roles and `acr` enums at compile time.
pub(crate) fn user_type(ty: &Type, owner: &str, user: &UserArgs) -> TokenStream {
    let ty_span = ty.span();
    let scopes_ty = quote_spanned!(ty_span=> <#ty as ::tokenkind::__private::AccessTokenType>::Scopes);
    let roles_ty = quote_spanned!(ty_span=> <#scopes_ty as ::tokenkind::__private::Scopes>::Roles);
    let acr_ty = quote_spanned!(ty_span=> <#scopes_ty as ::tokenkind::__private::Scopes>::Acr);
    let roles = match &user.roles {
        None => quote!(::tokenkind::__private::All<()>),
        Some(args) => {
            let markers = marker_list(&args.roles, |lit| {
                resolve(lit, owner, &roles_ty, &quote!(Roles), &quote!(RoleMarkerAt), &Vocab::ROLE)
            });
            match &args.mode {
                Mode::All => quote!(::tokenkind::__private::All<#markers>),
                Mode::Any(any) => quote_spanned!(any.span=> ::tokenkind::__private::Any<#markers>),
            }
        }
    };
    let auth = match &user.auth {
        None => quote!(::tokenkind::__private::AnyAuth),
        Some(args) => {
            let markers = marker_list(&args.acr, |lit| {
                resolve(lit, owner, &acr_ty, &quote!(AcrValues), &quote!(AcrMarkerAt), &Vocab::ACR)
            });
            // One value is proven by the guard (`All`); any of several proves none.
            let list = match &args.acr_any {
                Some(any) if args.acr.len() > 1 => quote_spanned!(any.span=> ::tokenkind::__private::Any<#markers>),
                _ => quote!(::tokenkind::__private::All<#markers>),
            };
            let max_age = args.max_age.as_ref().map_or_else(
                || quote!(::tokenkind::__private::NO_MAX_AGE),
                |secs_lit| {
                    let secs: u64 = secs_lit.base10_parse().unwrap_or(u64::MAX);
                    quote_spanned!(secs_lit.span()=> #secs)
                },
            );
            quote!(::tokenkind::__private::StepUp<#list, { #max_age }>)
        }
    };
    quote!(::tokenkind::__private::User<#roles, #auth>)
}

fn marker_list(lits: &[LitStr], marker: impl Fn(&LitStr) -> TokenStream) -> TokenStream {
    lits.iter().rev().fold(quote!(()), |tail, lit| {
        let head = marker(lit);
        quote!((#head, #tail))
    })
}

/// How messages name a vocabulary.
struct Vocab {
    attr: &'static str,
    noun: &'static str,
    enum_noun: &'static str,
    variant_attr: &'static str,
    derive: &'static str,
    option: &'static str,
}

impl Vocab {
    const ROLE: Self = Self {
        attr: "`#[requires_role]`",
        noun: "role",
        enum_noun: "roles enum",
        variant_attr: "role",
        derive: "Roles",
        option: "roles = Role",
    };
    const ACR: Self = Self {
        attr: "`#[requires_auth]`",
        noun: "`acr` value",
        enum_noun: "`acr` enum",
        variant_attr: "acr",
        derive: "AcrValues",
        option: "acr = Acr",
    };
}

/// The marker of one role or `acr` string: found in a constant, where an
/// undeclared string fails compilation with a message naming it and the enum.
fn resolve(
    lit: &LitStr,
    owner: &str,
    set: &TokenStream,
    trait_: &TokenStream,
    at: &TokenStream,
    v: &Vocab,
) -> TokenStream {
    let value = lit.value();
    let Vocab { attr, noun, enum_noun, variant_attr, derive, option } = v;
    let none = format!(
        "{attr}: {owner} declares no {enum_noun}, so the {noun} \"{value}\" cannot be checked; derive one with \
         `#[derive({derive})]` and name it on the scope enum with `#[scopes({option})]`"
    );
    let head = format!("{attr}: the {noun} \"{value}\" is not declared by `");
    let middle = format!(
        "`, the {enum_noun} of {owner}; declare it with `#[{variant_attr}(\"{value}\")]` on a variant, or fix the spelling"
    );
    quote_spanned! {lit.span()=>
        ::tokenkind::__private::#at<#set, {
            const NAMES: &[&str] = <#set as ::tokenkind::__private::#trait_>::NAMES;
            const TYPE_NAME: &str = <#set as ::tokenkind::__private::#trait_>::TYPE_NAME;
            match ::tokenkind::__private::position(NAMES, #lit) {
                ::core::option::Option::Some(index) => index,
                ::core::option::Option::None if TYPE_NAME.is_empty() => ::core::panic!(#none),
                ::core::option::Option::None => {
                    let message = ::tokenkind::__private::ConstMessage::new().push(#head).push(TYPE_NAME);
                    let message = match ::tokenkind::__private::closest_scope(NAMES, #lit) {
                        ::core::option::Option::Some(close) => message.push("`, the ").push(#enum_noun).push(" of ").push(#owner).push("; did you mean \"").push(close).push("\"?"),
                        ::core::option::Option::None => message.push(#middle),
                    };
                    ::core::panic!("{}", message.as_str())
                }
            }
        }>
    }
}

/// " Requires the role `admin`." and the like, for the handler's docs.
pub(crate) fn doc(user: &UserArgs) -> String {
    let mut doc = String::new();
    if let Some(roles) = &user.roles {
        let names: Vec<String> = roles.roles.iter().map(|s| format!("`{}`", s.value())).collect();
        let any = matches!(roles.mode, Mode::Any(_));
        #[allow(clippy::format_push_string)] // one short doc line per handler, at compile time
        doc.push_str(&match names.as_slice() {
            [one] => format!(" Requires the user role {one}."),
            [init @ .., last] => {
                let (lead, joiner) = if any { ("one of the user roles", "or") } else { ("the user roles", "and") };
                format!(" Requires {lead} {} {joiner} {last}.", init.join(", "))
            }
            [] => String::new(),
        });
    }
    if let Some(auth) = &user.auth {
        let acr: Vec<String> = auth.acr.iter().map(|s| format!("`{}`", s.value())).collect();
        if !acr.is_empty() {
            let _ = write!(doc, " Requires an authentication with `acr` {}.", acr.join(" or "));
        }
        if let Some(max_age) = &auth.max_age {
            let _ = write!(doc, " Requires the user to have authenticated within {max_age} seconds.");
        }
    }
    doc
}
