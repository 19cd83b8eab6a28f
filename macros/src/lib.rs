//! Procedural macros of `tokenkind`. Use them through the `tokenkind` crate,
//! which documents them on its re-exports.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attr;
mod claims;
mod ctxt;
mod debug;
mod fallback;
mod requires_scope;
mod scope_token;
mod scopes;

/// Derives `tokenkind::Scopes` and the scope marker module.
#[proc_macro_derive(Scopes, attributes(scope, scopes))]
pub fn derive_scopes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    debug::emit("#[derive(Scopes)]", scopes::expand(&input)).into()
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
