//! Macros of tokenkind (stub).
use proc_macro::TokenStream;
/// Stub.
#[proc_macro_derive(Scopes, attributes(scope, scopes))]
pub fn derive_scopes(_i: TokenStream) -> TokenStream { TokenStream::new() }
/// Stub.
#[proc_macro_derive(IdClaims, attributes(claims))]
pub fn derive_id_claims(_i: TokenStream) -> TokenStream { TokenStream::new() }
/// Stub.
#[proc_macro_derive(AccessClaims, attributes(claims))]
pub fn derive_access_claims(_i: TokenStream) -> TokenStream { TokenStream::new() }
/// Stub.
#[proc_macro_attribute]
pub fn requires_scope(_a: TokenStream, i: TokenStream) -> TokenStream { i }
