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

/// A variant and its scope string.
pub(crate) struct Entry<'a> {
    pub(crate) variant: &'a Ident,
    pub(crate) scope: LitStr,
}

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let options = ScopesOptions::from_attrs(&cx, &input.attrs);
    let module = options.module.unwrap_or_else(|| default_module(&input.ident));
    for attr in input.attrs.iter().filter(|a| attr::is(a, name::SCOPE)) {
        cx.error_spanned_by(
            attr,
            "`#[scope(\"...\")]` goes on each variant; the enum itself takes only `#[scopes(module = name)]`",
        );
    }
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &input.generics,
            "a scope enum cannot be generic: it is a fixed list of scope strings; remove the generic parameters",
        );
    }
    let entries = match &input.data {
        Data::Enum(data) => Some(entries(&cx, input, data)),
        Data::Struct(data) => {
            let (token, ident) = (&data.struct_token, &input.ident);
            cx.error_spanned_by(quote!(#token #ident), not_an_enum(ident, "a struct"));
            None
        }
        Data::Union(data) => {
            let (token, ident) = (&data.union_token, &input.ident);
            cx.error_spanned_by(quote!(#token #ident), not_an_enum(ident, "a union"));
            None
        }
    };
    match (cx.check(), entries) {
        (Ok(()), Some((entries, true))) => expand_valid(input, &entries, &module),
        (Ok(()), _) => unreachable!("a scope enum without errors has all its entries"),
        (Err(err), entries) => {
            let mut out = err.into_compile_error();
            if let Some((entries, _)) = entries.filter(|_| input.generics.params.is_empty()) {
                out.extend(fallback::scopes(input, &entries, &module));
            }
            out
        }
    }
}

fn not_an_enum(ident: &Ident, what: &str) -> String {
    format!(
        "`#[derive(Scopes)]` applies to a fieldless enum, one variant per scope, each with `#[scope(\"...\")]`; \
         `{ident}` is {what}"
    )
}

/// Collects each variant's scope string, reporting every mistake; `true`
/// when each variant had exactly one valid, unique scope.
fn entries<'a>(cx: &Ctxt, input: &'a DeriveInput, data: &'a DataEnum) -> (Vec<Entry<'a>>, bool) {
    let enum_name = &input.ident;
    let mut complete = true;
    if data.variants.is_empty() {
        cx.error_spanned_by(
            enum_name,
            format!(
                "the enum `{enum_name}` declares no scopes; add one variant per scope, each with `#[scope(\"...\")]`"
            ),
        );
        complete = false;
    }
    if let Some(extra) = data.variants.iter().nth(MAX_SCOPES) {
        cx.error_spanned_by(
            &extra.ident,
            format!(
                "a scope enum holds at most {MAX_SCOPES} scopes (one bit each), and `{enum_name}` declares {}; \
                 split it, for example one enum per API",
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
                format!("a scope variant carries no data; remove the fields of `{ident}`"),
            );
            complete = false;
        }
        if let Some((eq, value)) = &variant.discriminant {
            cx.error_spanned_by(
                quote!(#eq #value),
                format!(
                    "remove the discriminant of `{ident}`: `#[derive(Scopes)]` numbers the scopes itself, \
                     in declaration order"
                ),
            );
            complete = false;
        }
        for attr in variant.attrs.iter().filter(|a| attr::is(a, name::SCOPES)) {
            cx.error_spanned_by(attr, "`#[scopes(...)]` goes on the enum; a variant takes `#[scope(\"...\")]`");
            complete = false;
        }
        let mut scope = None;
        for attr in variant.attrs.iter().filter(|a| attr::is(a, name::SCOPE)) {
            if scope.is_some() {
                cx.error_spanned_by(
                    attr,
                    format!(
                        "`{ident}` already has a `#[scope]`; a variant stands for exactly one scope, \
                         so declare another variant for this one"
                    ),
                );
                complete = false;
                continue;
            }
            match attr::scope_string(attr) {
                Ok(lit) => scope = Some(lit),
                Err(err) => {
                    cx.syn_error(err);
                    complete = false;
                }
            }
        }
        let Some(lit) = scope else {
            if !variant.attrs.iter().any(|a| attr::is(a, name::SCOPE)) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "the variant `{ident}` has no scope string; add `#[scope(\"...\")]` with the scope \
                         it stands for, as it appears in a token's `scope` claim"
                    ),
                );
            }
            complete = false;
            continue;
        };
        let value = lit.value();
        if let Err(problem) = scope_token::check(&value) {
            cx.error_spanned_by(&lit, invalid_scope(&value, &problem));
            complete = false;
        } else if let Some(first) = seen.get(&value) {
            cx.error_spanned_by(
                &lit,
                format!(
                    "the scope \"{value}\" is already declared by `{first}`; each scope string belongs \
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

/// `Api` → `api_scope`, `HTTPApi` → `http_api_scope`.
fn default_module(ident: &Ident) -> Ident {
    format_ident!("{}_scope", snake_case(&ident.unraw().to_string()), span = ident.span())
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

fn expand_valid(input: &DeriveInput, entries: &[Entry<'_>], module: &Ident) -> TokenStream {
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
    let markers = fallback::markers(input, entries, module, true);
    quote! {
        impl ::tokenkind::__private::DerivedScopes for #ident {}
        impl ::tokenkind::__private::Scopes for #ident {
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
