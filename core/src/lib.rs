#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Lets the derive output, which names `::tokenkind`, compile inside this crate's own tests.
extern crate self as tokenkind;

pub mod claims;
#[cfg(feature = "client")]
pub mod client;
pub mod error;
pub mod http;
pub mod keys;
#[cfg(feature = "redis")]
mod redis_link;
#[cfg(feature = "remote")]
pub mod remote;
mod role;
pub mod scope;
pub mod step_up;
mod token;
pub mod verify;
pub mod web;

#[cfg(feature = "dev-issuer")]
pub mod dev;

pub use crate::claims::{AccessClaims, IdClaims, NoClaims};
pub use crate::error::{ConfigError, Error, ErrorCode};
pub use crate::keys::{Algorithm, KeySet};
pub use crate::scope::{
    AcrValues, Granted, RequiredRoles, RequiredScopes, RoleMarker, RoleSet, Roles, ScopeMarker, ScopeSet, Scoped,
    Scopes,
};
pub use crate::token::{AccessToken, Audience, Binding, IdToken};
pub use crate::verify::{
    AccessTokenVerifier, AccessTokenVerifierBuilder, Clock, IdTokenVerifier, IdTokenVerifierBuilder, IssuerRouter,
    Nonce, Profile, RoleSource,
};
pub use crate::verify::{LogoutToken, LogoutTokenVerifier, LogoutTokenVerifierBuilder};

/// Derives [`Scopes`] for a fieldless enum: one `#[scope("...")]` per variant.
///
/// It also generates a module of scope marker types for [`Granted`] proofs,
/// named after the enum in snake case with a `_scope` suffix (`Api` →
/// `api_scope`); `#[scopes(module = name)]` renames it.
pub use tokenkind_macros::Scopes;

/// Derives [`IdClaims`] for a struct that also derives `serde::Deserialize`.
///
/// `#[claims(validate = path)]` names a `fn(&Self) -> Result<(), E>` run after
/// decoding. A field named like a registered claim is a compile error.
pub use tokenkind_macros::IdClaims;

/// Derives [`AccessClaims`] for a struct that also derives `serde::Deserialize`.
///
/// Same rules and options as [`IdClaims`](macro@IdClaims).
pub use tokenkind_macros::AccessClaims;

/// Guards a function that takes an [`AccessToken`]: the scopes are checked before the body runs.
///
/// - `#[requires_scope("read:messages")]`: that scope;
/// - `#[requires_scope("a", "b")]`: every listed scope;
/// - `#[requires_scope(any("a", "b"))]`: at least one of them.
///
/// The parameter of type `AccessToken<S, C>` becomes a [`Scoped`] guard,
/// which only [`Scoped::check`] (or a web framework extractor) can build, so a
/// caller cannot reach the body with an unchecked token. Scope strings are
/// resolved against `S` at compile time: an undeclared scope does not
/// compile. Inside the body, `token.grant()` yields [`Granted`] proofs for the
/// required scopes. When the parameter's type is an alias, mark it with
/// `#[token]`.
pub use tokenkind_macros::requires_scope;

/// Derives [`Roles`] for a fieldless enum: one `#[role("...")]` per variant.
///
/// It also generates a module of role marker types for [`Granted`] role
/// proofs, named after the enum in snake case with a `_role` suffix (`Role`
/// → `role_role`); `#[roles(module = name)]` renames it. The API names its
/// roles enum on its scope enum with `#[scopes(roles = Role)]`.
pub use tokenkind_macros::Roles;

/// Derives [`AcrValues`] for a fieldless enum: one `#[acr("...")]` per variant.
///
/// The marker module is named with an `_acr` suffix (`#[acr_values(module =
/// name)]` renames it). The API names it with `#[scopes(acr = Acr)]`.
pub use tokenkind_macros::AcrValues;

/// Guards a function that takes an [`AccessToken`]: the *user's* roles are
/// checked before the body runs (after the scopes, when `#[requires_scope]`
/// is on the same function: both must hold).
///
/// - `#[requires_role("admin")]`: that role;
/// - `#[requires_role("a", "b")]`: every listed role;
/// - `#[requires_role(any("a", "b"))]`: at least one of them.
///
/// Role strings are resolved at compile time against the roles enum the
/// token's scope enum names (`#[scopes(roles = Role)]`). A missing role is
/// answered 403 without an RFC 6750 error code. Inside the body,
/// `token.grant_role()` yields [`Granted`] proofs of the required roles.
pub use tokenkind_macros::requires_role;

/// Guards a function that takes an [`AccessToken`] with step-up
/// authentication (RFC 9470): `#[requires_auth(acr = "mfa", max_age = 300)]`.
///
/// `acr` (or `acr = any("a", "b")`) is resolved at compile time against the
/// `acr` enum the scope enum names (`#[scopes(acr = Acr)]`); `max_age` is
/// checked against `auth_time` with the verifier's clock and leeway. Checked
/// after scopes and roles; a failure is answered 401 with
/// `error="insufficient_user_authentication"` and `acr_values` / `max_age`.
pub use tokenkind_macros::requires_auth;

#[doc(hidden)]
pub mod __private {
    pub use crate::claims::{AccessClaims, IdClaims, RESERVED, ValidationError, run_hook};
    pub use crate::role::{DerivedRoleMarker, DerivedRoles, NoRoles, RoleAt, RoleMarker, RoleMarkerAt, Roles};
    pub use crate::scope::{
        All, Any, AnyBinding, AnyUser, ConstMessage, DerivedScopeMarker, DerivedScopes, Marker, MarkerAt, Requirement,
        ScopeAt, ScopeMarker, Scoped, Scopes, SenderConstrained, User, closest_scope, position,
    };
    pub use crate::step_up::{
        AcrAt, AcrMarker, AcrMarkerAt, AcrValues, AnyAuth, DerivedAcrMarker, DerivedAcrValues, NO_MAX_AGE, NoAcr,
        StepUp,
    };
    pub use crate::token::{AccessToken, AccessTokenType};
    #[cfg(feature = "tonic")]
    pub use crate::web::tonic::guard as tonic_guard;
    pub use ::core;
    pub use ::serde;

    /// Implemented by nothing: a gRPC method guard without the `tonic` feature.
    #[cfg(not(feature = "tonic"))]
    #[diagnostic::on_unimplemented(
        message = "`#[requires_scope]` on a gRPC method needs tokenkind's `tonic` feature",
        label = "this method takes a tonic `Request`",
        note = "enable it in Cargo.toml: `tokenkind = {{ version = \"…\", features = [\"tonic\"] }}`"
    )]
    pub trait TonicFeature {}

    /// Stands in for the guard of a gRPC method when the `tonic` feature is off.
    #[cfg(not(feature = "tonic"))]
    pub fn tonic_guard<G, T: TonicFeature>(_: &T) -> ::core::result::Result<G, ::core::convert::Infallible> {
        unreachable!("TonicFeature has no implementations")
    }
}
