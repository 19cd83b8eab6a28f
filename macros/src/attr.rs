//! The one attribute parser of the crate: `#[scope]`, `#[scopes]`,
//! `#[claims]`, the parts of `#[serde]` that decide a field's name, the
//! `#[token]` marker and the arguments of `#[requires_scope]`.
//!
//! Every parsed value keeps its syn node, so errors point at what the user wrote.

use proc_macro2::{Span, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Attribute, ExprPath, Ident, LitStr, Meta, Token};

use crate::ctxt::Ctxt;

/// Keywords inside attribute arguments.
pub(crate) mod kw {
    syn::custom_keyword!(module);
    syn::custom_keyword!(validate);
    syn::custom_keyword!(any);
    syn::custom_keyword!(all);
    syn::custom_keyword!(rename);
    syn::custom_keyword!(rename_all);
    syn::custom_keyword!(alias);
    syn::custom_keyword!(deserialize);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(skip_deserializing);
    syn::custom_keyword!(deny_unknown_fields);
    syn::custom_keyword!(sender_constrained);
    syn::custom_keyword!(roles);
    syn::custom_keyword!(acr);
    syn::custom_keyword!(max_age);
}

/// Attribute names.
pub(crate) mod name {
    pub(crate) const SCOPE: &str = "scope";
    pub(crate) const SCOPES: &str = "scopes";
    pub(crate) const CLAIMS: &str = "claims";
    pub(crate) const SERDE: &str = "serde";
    pub(crate) const TOKEN: &str = "token";
    pub(crate) const ROLE: &str = "role";
    pub(crate) const ROLES: &str = "roles";
    pub(crate) const ACR: &str = "acr";
    pub(crate) const ACRS: &str = "acr_values";
    pub(crate) const REQUIRES_SCOPE: &str = "requires_scope";
    pub(crate) const REQUIRES_ROLE: &str = "requires_role";
    pub(crate) const REQUIRES_AUTH: &str = "requires_auth";
}

/// Whether `attr` is `#[name ...]`.
pub(crate) fn is(attr: &Attribute, name: &str) -> bool {
    attr.path().is_ident(name)
}

/// `#[scope("read:messages")]`, `#[role("admin")]` or `#[acr("mfa")]` on a variant.
pub(crate) fn variant_string(attr: &Attribute, kind: crate::scopes::Kind) -> syn::Result<LitStr> {
    use crate::scopes::Kind;
    let usage = || {
        let message = match kind {
            Kind::Scope => {
                "`#[scope]` takes the scope string, as it appears in a token's `scope` claim: \
                            `#[scope(\"read:messages\")]`"
            }
            Kind::Role => {
                "`#[role]` takes the role string, as it appears in the token's role claim: \
                           `#[role(\"admin\")]`"
            }
            Kind::Acr => "`#[acr]` takes the `acr` value, as it appears in a token's `acr` claim: `#[acr(\"mfa\")]`",
        };
        syn::Error::new_spanned(attr, message)
    };
    match &attr.meta {
        Meta::List(list) => syn::parse2::<LitStr>(list.tokens.clone()).map_err(|_| usage()),
        Meta::Path(_) | Meta::NameValue(_) => Err(usage()),
    }
}

/// `#[scopes(module = name, roles = Role, acr = Acr)]` on the scope enum
/// (`#[roles(module = name)]`, `#[acr_values(module = name)]` on the others).
#[derive(Default)]
pub(crate) struct ScopesOptions {
    pub(crate) module: Option<Ident>,
    /// The API's roles enum.
    pub(crate) roles: Option<syn::Path>,
    /// The API's `acr` enum.
    pub(crate) acr: Option<syn::Path>,
}

impl ScopesOptions {
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute], kind: crate::scopes::Kind) -> Self {
        let scope_enum = kind == crate::scopes::Kind::Scope;
        let container = kind.container();
        let valid = if scope_enum {
            "the options are `module = name`, `roles = Role` and `acr = Acr`"
        } else {
            "the only option is `module = name`"
        };
        let mut options = Self::default();
        for attr in attrs.iter().filter(|a| is(a, container)) {
            let parsed = attr.parse_args_with(|input: ParseStream| {
                parse_options(input, container, valid, |input| {
                    if scope_enum && (input.peek(kw::roles) || input.peek(kw::acr)) {
                        let roles = input.peek(kw::roles);
                        let key = input.call(Ident::parse_any)?;
                        expect_eq(
                            input,
                            key.span(),
                            if roles { "`#[scopes(roles = Role)]`" } else { "`#[scopes(acr = Acr)]`" },
                        )?;
                        let path: syn::Path = input.parse()?;
                        let slot = if roles { &mut options.roles } else { &mut options.acr };
                        if slot.is_some() {
                            cx.error_spanned_by(
                                &path,
                                format!("the {key} enum is already named; keep one `{key} = ...`"),
                            );
                        }
                        *slot = Some(path);
                        return Ok(true);
                    }
                    if !input.peek(kw::module) {
                        return Ok(false);
                    }
                    let key: kw::module = input.parse()?;
                    let example = format!("`#[{container}(module = api_{})]`", kind.attr());
                    expect_eq(input, key.span, &example)?;
                    let module: Ident = input.parse()?;
                    if options.module.is_some() {
                        cx.error_spanned_by(&module, "the marker module is already named; keep one `module = ...`");
                    }
                    options.module = Some(module);
                    Ok(true)
                })
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        options
    }
}

/// `#[claims(validate = path)]` on a claims struct.
#[derive(Default)]
pub(crate) struct ClaimsOptions {
    pub(crate) validate: Option<ExprPath>,
}

impl ClaimsOptions {
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut options = Self::default();
        for attr in attrs.iter().filter(|a| is(a, name::CLAIMS)) {
            let parsed = attr.parse_args_with(|input: ParseStream| {
                parse_options(input, "claims", "the only option is `validate = path`", |input| {
                    if !input.peek(kw::validate) {
                        return Ok(false);
                    }
                    let key: kw::validate = input.parse()?;
                    expect_eq(input, key.span, "`#[claims(validate = Self::check)]`")?;
                    let path: ExprPath = input.parse()?;
                    if options.validate.is_some() {
                        cx.error_spanned_by(&path, "a validation hook is already given; keep one `validate = ...`");
                    }
                    options.validate = Some(path);
                    Ok(true)
                })
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        options
    }
}

/// Parses `key = value, ...`; `known` consumes one known entry and returns
/// `true`, or returns `false` to have the key reported as unknown.
fn parse_options(
    input: ParseStream,
    attr_name: &str,
    valid: &str,
    mut known: impl FnMut(ParseStream) -> syn::Result<bool>,
) -> syn::Result<()> {
    while !input.is_empty() {
        if !known(input)? {
            let key = input.call(Ident::parse_any)?;
            return Err(syn::Error::new(key.span(), format!("unknown `#[{attr_name}]` option `{key}`; {valid}")));
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

fn expect_eq(input: ParseStream, key: Span, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>().map(drop)
    } else {
        Err(syn::Error::new(key, format!("this option needs a value: {example}")))
    }
}

/// The `#[serde(...)]` entries of a field that change the name it is
/// decoded from. Anything else is skipped: `serde_derive` reports its own errors.
#[derive(Default)]
pub(crate) struct SerdeField {
    /// `rename = "x"` or `rename(deserialize = "x")`.
    pub(crate) rename: Option<LitStr>,
    /// Every `alias = "x"`.
    pub(crate) aliases: Vec<LitStr>,
    /// `skip` or `skip_deserializing`: the field is never decoded.
    pub(crate) skipped: bool,
}

impl SerdeField {
    pub(crate) fn from_attrs(attrs: &[Attribute]) -> Self {
        let mut field = Self::default();
        for_each_serde_entry(attrs, |input| {
            if input.peek(kw::rename) {
                input.parse::<kw::rename>()?;
                field.rename = name_value_or_deserialize(input)?.or(field.rename.take());
            } else if input.peek(kw::alias) {
                input.parse::<kw::alias>()?;
                input.parse::<Token![=]>()?;
                field.aliases.push(input.parse()?);
            } else if input.peek(kw::skip) || input.peek(kw::skip_deserializing) {
                input.call(Ident::parse_any)?;
                field.skipped = true;
            }
            Ok(())
        });
        field
    }
}

/// The `#[serde(...)]` entries of a container that matter to claim names.
#[derive(Default)]
pub(crate) struct SerdeContainer {
    /// `rename_all = "x"` or `rename_all(deserialize = "x")`.
    pub(crate) rename_all: Option<LitStr>,
    /// `deny_unknown_fields`.
    pub(crate) deny_unknown_fields: Option<kw::deny_unknown_fields>,
}

impl SerdeContainer {
    pub(crate) fn from_attrs(attrs: &[Attribute]) -> Self {
        let mut container = Self::default();
        for_each_serde_entry(attrs, |input| {
            if input.peek(kw::rename_all) {
                input.parse::<kw::rename_all>()?;
                container.rename_all = name_value_or_deserialize(input)?.or(container.rename_all.take());
            } else if input.peek(kw::deny_unknown_fields) {
                container.deny_unknown_fields = Some(input.parse()?);
            }
            Ok(())
        });
        container
    }
}

/// Calls `entry` at the start of every top-level entry of every
/// `#[serde(...)]`, then skips whatever it left of that entry. A malformed
/// attribute is ignored.
fn for_each_serde_entry(attrs: &[Attribute], mut entry: impl FnMut(ParseStream) -> syn::Result<()>) {
    for attr in attrs.iter().filter(|a| is(a, name::SERDE)) {
        let Meta::List(list) = &attr.meta else { continue };
        let parser = |input: ParseStream| {
            while !input.is_empty() {
                entry(input)?;
                skip_to_comma(input)?;
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            Ok(())
        };
        let _ignored = parser.parse2(list.tokens.clone());
    }
}

/// `= "x"` or `(deserialize = "x", ...)` after `rename`/`rename_all`.
fn name_value_or_deserialize(input: ParseStream) -> syn::Result<Option<LitStr>> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        return input.parse().map(Some);
    }
    let content;
    syn::parenthesized!(content in input);
    let mut found = None;
    while !content.is_empty() {
        if content.peek(kw::deserialize) {
            content.parse::<kw::deserialize>()?;
            content.parse::<Token![=]>()?;
            found = Some(content.parse()?);
        }
        skip_to_comma(&content)?;
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(found)
}

fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// The arguments of `#[requires_scope(...)]`.
pub(crate) struct ScopeArgs {
    pub(crate) mode: Mode,
    pub(crate) scopes: Vec<LitStr>,
    /// `sender_constrained`, last: only DPoP- or certificate-bound tokens.
    pub(crate) sender_constrained: Option<kw::sender_constrained>,
}

/// Every listed scope, or any one of them.
pub(crate) enum Mode {
    /// `"a", "b"` or `all("a", "b")`.
    All,
    /// `any("a", "b")`.
    Any(kw::any),
}

const REQUIRES_SCOPE_USAGE: &str = "write the scopes as string literals: `#[requires_scope(\"read:messages\")]` \
     (every listed scope is required) or `#[requires_scope(any(\"read:messages\", \"admin\"))]` (one of them), \
     optionally followed by `sender_constrained`";

impl ScopeArgs {
    /// Parses the arguments; the strings themselves are checked by the caller.
    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[requires_scope]` needs the scopes it requires; {REQUIRES_SCOPE_USAGE}"),
            ));
        }
        let is_group =
            |input: ParseStream| (input.peek(kw::any) || input.peek(kw::all)) && input.peek2(syn::token::Paren);
        if is_group(input) {
            let mode = if input.peek(kw::any) {
                Mode::Any(input.parse()?)
            } else {
                input.parse::<kw::all>().map(|_| Mode::All)?
            };
            let content;
            let parens = syn::parenthesized!(content in input);
            let scopes = parse_scope_list(&content)?;
            if scopes.is_empty() {
                let what = if matches!(mode, Mode::Any(_)) { "any" } else { "all" };
                return Err(syn::Error::new(
                    parens.span.join(),
                    format!("`{what}()` lists no scopes; write at least one: `{what}(\"read:messages\")`"),
                ));
            }
            let sender_constrained = if input.is_empty() {
                None
            } else if input.peek(Token![,]) && input.peek2(kw::sender_constrained) {
                input.parse::<Token![,]>()?;
                Some(parse_sender_constrained(input)?)
            } else {
                return Err(input.error(
                    "`any(...)` or `all(...)` must be the only scope argument of `#[requires_scope]`; \
                     put every scope inside it (only `sender_constrained` may follow)",
                ));
            };
            return Ok(Self { mode, scopes, sender_constrained });
        }
        let mut scopes = Vec::new();
        let mut sender_constrained = None;
        while !input.is_empty() {
            if input.peek(kw::sender_constrained) {
                sender_constrained = Some(parse_sender_constrained(input)?);
                break;
            }
            scopes.push(input.parse::<ScopeItem>()?.0);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if scopes.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[requires_scope]` needs the scopes it requires; {REQUIRES_SCOPE_USAGE}"),
            ));
        }
        Ok(Self { mode: Mode::All, scopes, sender_constrained })
    }
}

/// `sender_constrained`, which must come last.
fn parse_sender_constrained(input: ParseStream) -> syn::Result<kw::sender_constrained> {
    let keyword = input.parse::<kw::sender_constrained>()?;
    let _ = input.parse::<Option<Token![,]>>()?;
    if !input.is_empty() {
        return Err(input.error("`sender_constrained` comes last in `#[requires_scope(...)]`, after the scopes"));
    }
    Ok(keyword)
}

fn parse_scope_list(input: ParseStream) -> syn::Result<Vec<LitStr>> {
    let items = Punctuated::<ScopeItem, Token![,]>::parse_terminated(input)?;
    Ok(items.into_iter().map(|item| item.0).collect())
}

struct ScopeItem(LitStr);

impl syn::parse::Parse for ScopeItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return input.parse().map(Self);
        }
        if (input.peek(kw::any) || input.peek(kw::all)) && input.peek2(syn::token::Paren) {
            return Err(input.error(
                "`any(...)` or `all(...)` must be the only argument of `#[requires_scope]`; put every scope inside it",
            ));
        }
        if input.peek(Ident::peek_any) && input.peek2(syn::token::Paren) {
            let word = input.call(Ident::parse_any)?;
            return Err(syn::Error::new(
                word.span(),
                format!("unknown `{word}(...)` in `#[requires_scope]`; {REQUIRES_SCOPE_USAGE}"),
            ));
        }
        let expr: syn::Expr = input.parse()?;
        Err(syn::Error::new_spanned(
            &expr,
            format!("expected a scope string literal (scopes are checked at compile time); {REQUIRES_SCOPE_USAGE}"),
        ))
    }
}
