//! `#[derive(IdClaims)]` and `#[derive(AccessClaims)]`: a custom claims
//! struct, refused when it declares a registered claim that the token types
//! (or refuses) itself.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, ExprPath, Field, Fields, LitStr};

use crate::attr::{ClaimsOptions, SerdeContainer, SerdeField};
use crate::ctxt::Ctxt;

/// The registered claim names a custom claims struct may not declare.
///
/// Must equal `tokenkind::__private::RESERVED`; `tests/reserved_claims.rs`
/// in the suite derives a struct per name to prove it.
pub(crate) const RESERVED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "nonce",
    "auth_time",
    "azp",
    "acr",
    "amr",
    "at_hash",
    "c_hash",
    "client_id",
    "scope",
    "scp",
    "cnf",
    "typ",
    "token_use",
    "cid",
    "sid",
    "events",
];

/// Which token the claims belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Id,
    Access,
}

impl Kind {
    fn derive_name(self) -> &'static str {
        match self {
            Kind::Id => "IdClaims",
            Kind::Access => "AccessClaims",
        }
    }

    fn token(self) -> &'static str {
        match self {
            Kind::Id => "IdToken",
            Kind::Access => "AccessToken",
        }
    }

    fn trait_path(self) -> TokenStream {
        match self {
            Kind::Id => quote!(::tokenkind::__private::IdClaims),
            Kind::Access => quote!(::tokenkind::__private::AccessClaims),
        }
    }

    /// The token's accessor for a registered claim, where it has one.
    fn accessor(self, claim: &str) -> Option<&'static str> {
        Some(match (claim, self) {
            ("iss", _) => "issuer",
            ("sub", _) => "subject",
            ("aud", _) => "audience",
            ("exp", _) => "expires_at",
            ("iat", _) => "issued_at",
            ("nbf", Kind::Access) => "not_before",
            ("jti", Kind::Access) => "jwt_id",
            ("client_id" | "azp" | "cid", Kind::Access) => "client_id",
            ("scope" | "scp", Kind::Access) => "scopes",
            ("nonce", Kind::Id) => "nonce",
            ("auth_time", Kind::Id) => "auth_time",
            ("azp", Kind::Id) => "authorized_party",
            ("acr", Kind::Id) => "acr",
            ("amr", Kind::Id) => "amr",
            ("sid", Kind::Id) => "session_id",
            ("at_hash", Kind::Id) => "verify_access_token_hash",
            ("c_hash", Kind::Id) => "verify_code_hash",
            _ => return None,
        })
    }
}

pub(crate) fn expand(input: &DeriveInput, kind: Kind) -> TokenStream {
    let cx = Ctxt::new();
    let options = ClaimsOptions::from_attrs(&cx, &input.attrs);
    let container = SerdeContainer::from_attrs(&input.attrs);
    if let Some(deny) = &container.deny_unknown_fields {
        cx.error_spanned_by(
            deny,
            format!(
                "remove `deny_unknown_fields`: custom claims are decoded from the whole token payload, which \
                 also holds the registered claims, so every `{}` would be rejected",
                kind.token()
            ),
        );
    }
    let ident = &input.ident;
    let usage = format!(
        "`#[derive({})]` applies to a struct with named fields: each field is a claim, decoded by name from \
         the token's payload",
        kind.derive_name()
    );
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => {
                for field in &fields.named {
                    check_field(&cx, kind, field, &container);
                }
            }
            Fields::Unnamed(_) | Fields::Unit => {
                let token = &data.struct_token;
                cx.error_spanned_by(quote!(#token #ident), format!("{usage}; `{ident}` has no field names"));
            }
        },
        Data::Enum(data) => {
            let token = &data.enum_token;
            cx.error_spanned_by(quote!(#token #ident), format!("{usage}; `{ident}` is an enum"));
        }
        Data::Union(data) => {
            let token = &data.union_token;
            cx.error_spanned_by(quote!(#token #ident), format!("{usage}; `{ident}` is a union"));
        }
    }
    // The impl is emitted even after an error, so that the error is the only one.
    let imp = claims_impl(input, kind, options.validate.as_ref());
    match cx.check() {
        Ok(()) => imp,
        Err(err) => {
            let mut out = err.into_compile_error();
            out.extend(imp);
            out
        }
    }
}

fn claims_impl(input: &DeriveInput, kind: Kind, validate: Option<&ExprPath>) -> TokenStream {
    let ident = &input.ident;
    let trait_path = kind.trait_path();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // A generic struct is claims whenever its parameters make it decodable.
    let bound = if input.generics.params.is_empty() {
        None
    } else {
        let predicate = quote!(#ident #ty_generics: ::tokenkind::__private::serde::de::DeserializeOwned + 'static);
        Some(match where_clause {
            Some(clause) if !clause.predicates.is_empty() => {
                let sep = if clause.predicates.trailing_punct() { quote!() } else { quote!(,) };
                quote!(#clause #sep #predicate)
            }
            _ => quote!(where #predicate),
        })
    };
    let where_clause = if bound.is_some() { bound } else { where_clause.map(ToTokens::to_token_stream) };
    let validate = validate.map(|path| {
        let call = quote_spanned!(path.span()=> ::tokenkind::__private::run_hook(self, #path));
        quote! {
            fn validate(&self) -> ::core::result::Result<(), ::tokenkind::__private::ValidationError> {
                #call
            }
        }
    });
    quote! {
        impl #impl_generics #trait_path for #ident #ty_generics #where_clause {
            #validate
        }
    }
}

/// Where a decoded name came from, for the message and its span.
enum Origin<'a> {
    Field,
    Rename(&'a LitStr),
    Alias(&'a LitStr),
    RenameAll(&'a LitStr),
}

fn check_field(cx: &Ctxt, kind: Kind, field: &Field, container: &SerdeContainer) {
    let Some(ident) = &field.ident else { return };
    let serde = SerdeField::from_attrs(&field.attrs);
    if serde.skipped {
        return;
    }
    let field_name = ident.unraw().to_string();
    let mut names = Vec::with_capacity(1 + serde.aliases.len());
    if let Some(rename) = &serde.rename {
        names.push((rename.value(), Origin::Rename(rename)));
    } else if let Some((renamed, lit)) = container
        .rename_all
        .as_ref()
        .and_then(|lit| RenameRule::from_str(&lit.value()).map(|rule| (rule.apply(&field_name), lit)))
        .filter(|(renamed, _)| *renamed != field_name)
    {
        names.push((renamed, Origin::RenameAll(lit)));
    } else {
        names.push((field_name.clone(), Origin::Field));
    }
    names.extend(serde.aliases.iter().map(|lit| (lit.value(), Origin::Alias(lit))));
    for (claim, origin) in names {
        if !RESERVED.contains(&claim.as_str()) {
            continue;
        }
        let token = kind.token();
        let subject = match origin {
            Origin::Field => format!("`{claim}` is a registered claim"),
            Origin::Rename(_) => {
                format!(
                    "the field `{field_name}` is decoded from `{claim}` (`#[serde(rename = \"{claim}\")]`), a registered claim"
                )
            }
            Origin::Alias(_) => {
                format!(
                    "the field `{field_name}` is also decoded from `{claim}` (`#[serde(alias = \"{claim}\")]`), a registered claim"
                )
            }
            Origin::RenameAll(rule) => format!(
                "the field `{field_name}` is decoded from `{claim}` (`#[serde(rename_all = \"{}\")]`), a registered \
                 claim",
                rule.value()
            ),
        };
        let message = match kind.accessor(&claim) {
            Some(accessor) if accessor.starts_with("verify_") => {
                let (what, arg) = if claim == "c_hash" {
                    ("the authorization code", "code")
                } else {
                    ("the access token", "access_token")
                };
                format!(
                    "{subject} that `{token}` already types; remove this field and check it against {what} \
                     with `{token}::{accessor}({arg})`"
                )
            }
            Some(accessor) => format!(
                "{subject} that `{token}` already types and checks; remove this field and read it with \
                 `{token}::{accessor}()`"
            ),
            None => format!(
                "{subject} that the `{token}` verifier handles itself; a custom claims struct may not declare it, \
                 remove this field"
            ),
        };
        match origin {
            Origin::Field | Origin::RenameAll(_) => cx.error_spanned_by(ident, message),
            Origin::Rename(lit) | Origin::Alias(lit) => cx.error_spanned_by(lit, message),
        }
    }
}

/// serde's `rename_all` rules, applied to a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    fn from_str(rule: &str) -> Option<Self> {
        Some(match rule {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    /// As `serde_derive`'s `RenameRule::apply_to_field`.
    fn apply(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Pascal => {
                let mut pascal = String::with_capacity(field.len());
                let mut capitalize = true;
                for c in field.chars() {
                    if c == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(c.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(c);
                    }
                }
                pascal
            }
            Self::Camel => {
                let pascal = Self::Pascal.apply(field);
                let mut chars = pascal.chars();
                chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
            }
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => Self::ScreamingSnake.apply(field).replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, RESERVED, RenameRule};

    #[test]
    fn rename_all_follows_serde() {
        let cases = [
            ("lowercase", "auth_time"),
            ("UPPERCASE", "AUTH_TIME"),
            ("PascalCase", "AuthTime"),
            ("camelCase", "authTime"),
            ("snake_case", "auth_time"),
            ("SCREAMING_SNAKE_CASE", "AUTH_TIME"),
            ("kebab-case", "auth-time"),
            ("SCREAMING-KEBAB-CASE", "AUTH-TIME"),
        ];
        for (rule, expected) in cases {
            assert_eq!(RenameRule::from_str(rule).unwrap().apply("auth_time"), expected, "{rule}");
        }
        assert_eq!(RenameRule::Camel.apply("exp"), "exp");
        assert_eq!(RenameRule::Pascal.apply("x"), "X");
        assert_eq!(RenameRule::from_str("Title Case"), None);
    }

    #[test]
    fn reserved_claims_are_distinct_and_accessors_named() {
        for (i, claim) in RESERVED.iter().enumerate() {
            assert!(!RESERVED[..i].contains(claim), "{claim} twice");
        }
        assert_eq!(Kind::Id.accessor("exp"), Some("expires_at"));
        assert_eq!(Kind::Access.accessor("scp"), Some("scopes"));
        assert_eq!(Kind::Id.accessor("scope"), None);
    }
}
