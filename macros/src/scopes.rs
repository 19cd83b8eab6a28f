//! `#[derive(Scopes)]`: the `Scopes` impl of a scope enum, and its module of
//! scope marker types for `Granted` proofs.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;
use syn::{Data, DataEnum, DeriveInput, Fields, Ident, LitStr, Visibility};

use crate::attr::{self, ScopesOptions, name};
use crate::ctxt::Ctxt;
use crate::fallback;
use crate::scope_token::{self, Problem};

/// At most this many scopes: one bit each in a `u128`.
const MAX_SCOPES: usize = 128;

/// What a derive declares: scopes (`#[derive(Scopes)]`), the user's roles
/// (`#[derive(Roles)]`) or `acr` values (`#[derive(AcrValues)]`). One
/// parser, one set of rules, messages in each one's words.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Scope,
    Role,
    Acr,
}

impl Kind {
    /// The derive's name.
    pub(crate) fn derive(self) -> &'static str {
        match self {
            Self::Scope => "Scopes",
            Self::Role => "Roles",
            Self::Acr => "AcrValues",
        }
    }
    /// The variant attribute.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Self::Scope => name::SCOPE,
            Self::Role => name::ROLE,
            Self::Acr => name::ACR,
        }
    }
    /// The enum attribute.
    pub(crate) fn container(self) -> &'static str {
        match self {
            Self::Scope => name::SCOPES,
            Self::Role => name::ROLES,
            Self::Acr => name::ACRS,
        }
    }
    /// What one variant stands for.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Scope => "scope",
            Self::Role => "role",
            Self::Acr => "`acr` value",
        }
    }
    fn plural(self) -> &'static str {
        match self {
            Self::Scope => "scopes",
            Self::Role => "roles",
            Self::Acr => "`acr` values",
        }
    }
    /// Where the strings appear.
    fn appears(self) -> &'static str {
        match self {
            Self::Scope => "a token's `scope` claim",
            Self::Role => "the token's role claim",
            Self::Acr => "a token's `acr` claim",
        }
    }
    fn enum_noun(self) -> &'static str {
        match self {
            Self::Scope => "scope enum",
            Self::Role => "roles enum",
            Self::Acr => "`acr` enum",
        }
    }
    fn module_suffix(self) -> &'static str {
        match self {
            Self::Scope => "scope",
            Self::Role => "role",
            Self::Acr => "acr",
        }
    }
}

/// A variant and its scope string.
pub(crate) struct Entry<'a> {
    pub(crate) variant: &'a Ident,
    pub(crate) scope: LitStr,
}

pub(crate) fn expand(input: &DeriveInput, kind: Kind) -> TokenStream {
    let cx = Ctxt::new();
    let options = ScopesOptions::from_attrs(&cx, &input.attrs, kind);
    let module = options.module.clone().unwrap_or_else(|| default_module(&input.ident, kind));
    let (attr_name, container) = (kind.attr(), kind.container());
    for attr in input.attrs.iter().filter(|a| attr::is(a, attr_name)) {
        let options = if kind == Kind::Scope {
            "`#[scopes(module = name, roles = Role, acr = Acr)]`".to_owned()
        } else {
            format!("`#[{container}(module = name)]`")
        };
        cx.error_spanned_by(
            attr,
            format!("`#[{attr_name}(\"...\")]` goes on each variant; the enum itself takes only {options}"),
        );
    }
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &input.generics,
            format!(
                "a {} cannot be generic: it is a fixed list of {} strings; remove the generic parameters",
                kind.enum_noun(),
                kind.noun().trim_end_matches(" value").trim_matches('`')
            ),
        );
    }
    let entries = match &input.data {
        Data::Enum(data) => Some(entries(&cx, input, data, kind)),
        Data::Struct(data) => {
            let (token, ident) = (&data.struct_token, &input.ident);
            cx.error_spanned_by(quote!(#token #ident), not_an_enum(ident, "a struct", kind));
            None
        }
        Data::Union(data) => {
            let (token, ident) = (&data.union_token, &input.ident);
            cx.error_spanned_by(quote!(#token #ident), not_an_enum(ident, "a union", kind));
            None
        }
    };
    match (cx.check(), entries) {
        (Ok(()), Some((entries, true))) => expand_valid(input, &entries, &module, kind, &options),
        (Ok(()), _) => unreachable!("an enum without errors has all its entries"),
        (Err(err), entries) => {
            let mut out = err.into_compile_error();
            if let Some((entries, _)) = entries.filter(|_| input.generics.params.is_empty()) {
                out.extend(fallback::scopes(input, &entries, &module, kind, &options));
            }
            out
        }
    }
}

fn not_an_enum(ident: &Ident, what: &str, kind: Kind) -> String {
    format!(
        "`#[derive({})]` applies to a fieldless enum, one variant per {}, each with `#[{}(\"...\")]`; \
         `{ident}` is {what}",
        kind.derive(),
        kind.noun(),
        kind.attr()
    )
}

/// Collects each variant's string, reporting every mistake; `true` when
/// each variant had exactly one valid, unique string.
#[allow(clippy::too_many_lines)] // one check after another, each with its message
fn entries<'a>(cx: &Ctxt, input: &'a DeriveInput, data: &'a DataEnum, kind: Kind) -> (Vec<Entry<'a>>, bool) {
    let enum_name = &input.ident;
    let (noun, plural, attr_name, container) = (kind.noun(), kind.plural(), kind.attr(), kind.container());
    let mut complete = true;
    if data.variants.is_empty() {
        cx.error_spanned_by(
            enum_name,
            format!(
                "the enum `{enum_name}` declares no {plural}; add one variant per {noun}, each with `#[{attr_name}(\"...\")]`"
            ),
        );
        complete = false;
    }
    if let Some(extra) = data.variants.iter().nth(MAX_SCOPES) {
        let split = if kind == Kind::Scope { "split it, for example one enum per API" } else { "split it" };
        cx.error_spanned_by(
            &extra.ident,
            format!(
                "a {} holds at most {MAX_SCOPES} {plural} (one bit each), and `{enum_name}` declares {}; {split}",
                kind.enum_noun(),
                data.variants.len()
            ),
        );
        complete = false;
    }
    let mut seen: HashMap<String, &Ident> = HashMap::new();
    let mut entries = Vec::with_capacity(data.variants.len());
    for variant in &data.variants {
        let ident = &variant.ident;
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                format!(
                    "a {} variant carries no data; remove the fields of `{ident}`",
                    noun.replace('`', "").trim_end_matches(" value")
                ),
            );
            complete = false;
        }
        if let Some((eq, value)) = &variant.discriminant {
            cx.error_spanned_by(
                quote!(#eq #value),
                format!(
                    "remove the discriminant of `{ident}`: `#[derive({})]` numbers the {plural} itself, \
                     in declaration order",
                    kind.derive()
                ),
            );
            complete = false;
        }
        for attr in variant.attrs.iter().filter(|a| attr::is(a, container)) {
            cx.error_spanned_by(
                attr,
                format!("`#[{container}(...)]` goes on the enum; a variant takes `#[{attr_name}(\"...\")]`"),
            );
            complete = false;
        }
        let mut scope = None;
        for attr in variant.attrs.iter().filter(|a| attr::is(a, attr_name)) {
            if scope.is_some() {
                cx.error_spanned_by(
                    attr,
                    format!(
                        "`{ident}` already has a `#[{attr_name}]`; a variant stands for exactly one {noun}, \
                         so declare another variant for this one"
                    ),
                );
                complete = false;
                continue;
            }
            match attr::variant_string(attr, kind) {
                Ok(lit) => scope = Some(lit),
                Err(err) => {
                    cx.syn_error(err);
                    complete = false;
                }
            }
        }
        let Some(lit) = scope else {
            if !variant.attrs.iter().any(|a| attr::is(a, attr_name)) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "the variant `{ident}` has no {noun} string; add `#[{attr_name}(\"...\")]` with the {noun} \
                         it stands for, as it appears in {}",
                        kind.appears()
                    ),
                );
            }
            complete = false;
            continue;
        };
        let value = lit.value();
        if let Err(message) = check_string(&value, kind) {
            cx.error_spanned_by(&lit, message);
            complete = false;
        } else if let Some(first) = seen.get(&value) {
            cx.error_spanned_by(
                &lit,
                format!(
                    "the {noun} \"{value}\" is already declared by `{first}`; each {noun} string belongs \
                     to exactly one variant"
                ),
            );
            complete = false;
        } else {
            seen.insert(value, ident);
        }
        entries.push(Entry { variant: ident, scope: lit });
    }
    (entries, complete)
}

/// Whether a declared string can ever match: scopes and `acr` values are
/// RFC 6749 §3.3 scope-tokens (`acr_values` is space-delimited, RFC 9470
/// §3); a role is any non-empty string without control characters.
fn check_string(value: &str, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Scope => scope_token::check(value).map_err(|problem| invalid_scope(value, &problem)),
        Kind::Acr => scope_token::check(value).map_err(|problem| match problem {
            Problem::Empty => {
                "the `acr` value is empty; write it as the provider puts it in `acr`: `#[acr(\"mfa\")]`".to_owned()
            }
            Problem::Space => format!(
                "the `acr` value \"{value}\" contains a space, but `acr_values` is a space-delimited list \
                 (RFC 9470 §3); declare one variant per value"
            ),
            Problem::Char(c) => format!(
                "the `acr` value {value:?} contains {}; {}",
                scope_token::describe(c),
                scope_token::RULE.replace("in a scope", "in an `acr` value")
            ),
        }),
        Kind::Role if value.is_empty() => Err(
            "the role string is empty; write the role as it appears in the token's role claim: `#[role(\"admin\")]`"
                .to_owned(),
        ),
        Kind::Role => match value.chars().find(|c| c.is_control()) {
            Some(c) => {
                Err(format!("the role {value:?} contains {}; no provider issues such a role", scope_token::describe(c)))
            }
            None => Ok(()),
        },
    }
}

fn invalid_scope(value: &str, problem: &Problem) -> String {
    match problem {
        Problem::Empty => "the scope string is empty; write the scope as it appears in a token's `scope` \
                           claim: `#[scope(\"read:messages\")]`"
            .to_owned(),
        Problem::Space => format!(
            "the scope string \"{value}\" contains a space, but a token's `scope` claim is a space-delimited \
             list (RFC 6749 §3.3), so no granted scope can ever equal it; declare one variant per scope"
        ),
        Problem::Char(c) => {
            format!("the scope string {value:?} contains {}; {}", scope_token::describe(*c), scope_token::RULE)
        }
    }
}

/// `Api` → `api_scope`, `HTTPApi` → `http_api_scope`; `Role` → `role_role`.
fn default_module(ident: &Ident, kind: Kind) -> Ident {
    format_ident!("{}_{}", snake_case(&ident.unraw().to_string()), kind.module_suffix(), span = ident.span())
}

fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let acronym_end =
                i > 0 && chars[i - 1].is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (after_lower || acronym_end) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The visibility that, written inside the marker module, reaches as far as
/// `vis` does outside it (the module sits next to the enum).
pub(crate) fn inner_visibility(vis: &Visibility) -> TokenStream {
    match vis {
        Visibility::Public(token) => quote!(#token),
        Visibility::Inherited => quote!(pub(super)),
        Visibility::Restricted(restricted) => {
            let path = &restricted.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match (restricted.in_token.is_some(), first.as_deref()) {
                (_, Some("crate")) if path.leading_colon.is_none() => quote!(#vis),
                (false, Some("self")) => quote!(pub(super)),
                (false, Some("super")) => quote!(pub(in super::super)),
                (true, Some("self")) => {
                    let rest = path.segments.iter().skip(1);
                    quote!(pub(in super #(:: #rest)*))
                }
                (true, Some("super")) => quote!(pub(in super::#path)),
                _ => quote!(#vis),
            }
        }
    }
}

/// The enum's associated vocabularies, for a scope enum:
/// `type Roles = ...; type Acr = ...;` (the `No...` types when not named).
pub(crate) fn associated(kind: Kind, options: &ScopesOptions) -> TokenStream {
    if kind != Kind::Scope {
        return TokenStream::new();
    }
    let roles = options.roles.as_ref().map_or_else(|| quote!(::tokenkind::__private::NoRoles), |r| quote!(#r));
    let acr = options.acr.as_ref().map_or_else(|| quote!(::tokenkind::__private::NoAcr), |a| quote!(#a));
    quote! {
        type Roles = #roles;
        type Acr = #acr;
    }
}

fn expand_valid(
    input: &DeriveInput,
    entries: &[Entry<'_>],
    module: &Ident,
    kind: Kind,
    options: &ScopesOptions,
) -> TokenStream {
    let ident = &input.ident;
    let type_name = ident.unraw().to_string();
    let names = entries.iter().map(|e| &e.scope);
    let variants: Vec<_> = entries.iter().map(|e| e.variant).collect();
    let indexes = 0..entries.len();
    let index_of = entries.iter().enumerate().map(|(i, e)| {
        let scope = &e.scope;
        quote!(#scope => ::core::option::Option::Some(#i))
    });
    let from_index = entries.iter().enumerate().map(|(i, e)| {
        let variant = e.variant;
        quote!(#i => ::core::option::Option::Some(#ident::#variant))
    });
    let markers = fallback::markers(input, entries, module, true, kind);
    if kind == Kind::Acr {
        return quote! {
            impl ::tokenkind::__private::DerivedAcrValues for #ident {}
            impl ::tokenkind::__private::AcrValues for #ident {
                const NAMES: &'static [&'static str] = &[#(#names),*];
                const ALL: &'static [Self] = &[#(#ident::#variants),*];
                const TYPE_NAME: &'static str = #type_name;
            }
            #markers
        };
    }
    let (derived, trait_) = match kind {
        Kind::Role => (quote!(DerivedRoles), quote!(Roles)),
        _ => (quote!(DerivedScopes), quote!(Scopes)),
    };
    let associated = associated(kind, options);
    quote! {
        impl ::tokenkind::__private::#derived for #ident {}
        impl ::tokenkind::__private::#trait_ for #ident {
            #associated
            const NAMES: &'static [&'static str] = &[#(#names),*];
            const ALL: &'static [Self] = &[#(#ident::#variants),*];
            const TYPE_NAME: &'static str = #type_name;
            fn index(&self) -> usize {
                match *self {
                    #(#ident::#variants => #indexes,)*
                }
            }
            fn index_of(scope: &str) -> ::core::option::Option<usize> {
                match scope {
                    #(#index_of,)*
                    _ => ::core::option::Option::None,
                }
            }
            fn from_index(index: usize) -> ::core::option::Option<Self> {
                match index {
                    #(#from_index,)*
                    _ => ::core::option::Option::None,
                }
            }
        }
        #markers
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn module_names_are_snake_case() {
        assert_eq!(snake_case("Api"), "api");
        assert_eq!(snake_case("MessagesApi"), "messages_api");
        assert_eq!(snake_case("HTTPApi"), "http_api");
        assert_eq!(snake_case("MyAPI"), "my_api");
        assert_eq!(snake_case("Api2Scopes"), "api2_scopes");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }
}
