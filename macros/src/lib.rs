//! Procedural macros of `tokenkind`. Use them through the `tokenkind` crate,
//! which documents them on its re-exports.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attr;
mod claims;
mod ctxt;
mod debug;
mod fallback;
mod guard;
mod requires_scope;
mod scope_token;
mod scopes;

/// Derives `tokenkind::Scopes` and the scope marker module.
#[proc_macro_derive(Scopes, attributes(scope, scopes))]
pub fn derive_scopes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(Scopes)]", scopes::expand(&input, scopes::Kind::Scope)).into()
}

/// Derives `tokenkind::Roles` and the role marker module.
#[proc_macro_derive(Roles, attributes(role, roles))]
pub fn derive_roles(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(Roles)]", scopes::expand(&input, scopes::Kind::Role)).into()
}

/// Derives `tokenkind::AcrValues` and the `acr` marker module.
#[proc_macro_derive(AcrValues, attributes(acr, acr_values))]
pub fn derive_acr_values(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(AcrValues)]", scopes::expand(&input, scopes::Kind::Acr)).into()
}

/// Derives `tokenkind::IdClaims`.
#[proc_macro_derive(IdClaims, attributes(claims))]
pub fn derive_id_claims(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(IdClaims)]", claims::expand(&input, claims::Kind::Id)).into()
}

/// Derives `tokenkind::AccessClaims`.
#[proc_macro_derive(AccessClaims, attributes(claims))]
pub fn derive_access_claims(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(AccessClaims)]", claims::expand(&input, claims::Kind::Access)).into()
}

/// Checks the scopes of a function's `AccessToken` parameter before its body runs.
#[proc_macro_attribute]
pub fn requires_scope(args: TokenStream, input: TokenStream) -> TokenStream {
    debug::emit("#[requires_scope]", requires_scope::expand(args.into(), input.into())).into()
}

/// Checks the roles of the user behind a function's `AccessToken` parameter before its body runs.
#[proc_macro_attribute]
pub fn requires_role(args: TokenStream, input: TokenStream) -> TokenStream {
    debug::emit("#[requires_role]", requires_scope::expand_as(guard::Which::Role, args.into(), input.into())).into()
}

/// Checks how strongly and how recently the user behind a function's `AccessToken` parameter authenticated.
#[proc_macro_attribute]
pub fn requires_auth(args: TokenStream, input: TokenStream) -> TokenStream {
    debug::emit("#[requires_auth]", requires_scope::expand_as(guard::Which::Auth, args.into(), input.into())).into()
}
