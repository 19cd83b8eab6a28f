//! Custom claims: the application's own claims, decoded next to the
//! registered ones that tokenkind types itself.

use core::fmt;

use serde::de::{Deserialize, DeserializeOwned, Deserializer, IgnoredAny};

/// The error type a claims validation hook returns.
pub type ValidationError = Box<dyn std::error::Error + Send + Sync>;

/// Claims an ID token may carry besides the registered ones.
///
/// Implemented by `#[derive(IdClaims)]` on a struct that also derives
/// `serde::Deserialize`. Fields named like a registered claim (`iss`, `sub`,
/// `aud`, `exp`, `nonce`, ...) are refused at compile time: those are typed
/// on [`IdToken`](crate::IdToken) already.
///
/// ```
/// use tokenkind::IdClaims;
///
/// #[derive(IdClaims, serde::Deserialize)]
/// #[claims(validate = Profile::check)]
/// struct Profile {
///     name: String,
///     email: Option<String>,
/// }
///
/// impl Profile {
///     fn check(&self) -> Result<(), &'static str> {
///         if self.name.is_empty() { Err("empty name") } else { Ok(()) }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an ID-token claims type",
    label = "`IdToken` needs claims derived with `#[derive(IdClaims)]`",
    note = "add `#[derive(IdClaims, serde::Deserialize)]` to `{Self}`; a struct derived with `AccessClaims` describes an access token and is not accepted on an ID token"
)]
pub trait IdClaims: DeserializeOwned + 'static {
    /// The application's own check, run after decoding
    /// (`#[claims(validate = path)]`).
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// Claims an access token may carry besides the registered ones.
///
/// Implemented by `#[derive(AccessClaims)]`; see [`IdClaims`] for the rules.
///
/// ```
/// use tokenkind::AccessClaims;
///
/// #[derive(AccessClaims, serde::Deserialize)]
/// struct Tenant {
///     tenant_id: String,
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an access-token claims type",
    label = "`AccessToken` needs claims derived with `#[derive(AccessClaims)]`",
    note = "add `#[derive(AccessClaims, serde::Deserialize)]` to `{Self}`; a struct derived with `IdClaims` describes what an ID token says about a user and is not accepted on an access token"
)]
pub trait AccessClaims: DeserializeOwned + 'static {
    /// The application's own check, run after decoding.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// No custom claims: the default claims type of both token kinds.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClaims;

impl fmt::Debug for NoClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoClaims")
    }
}

impl<'de> Deserialize<'de> for NoClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| NoClaims)
    }
}

impl IdClaims for NoClaims {}
impl AccessClaims for NoClaims {}

/// Registered claim names that a custom claims struct may not declare
/// (they are typed on the tokens, or refused on them).
#[doc(hidden)]
pub const RESERVED: &[&str] = &[
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

/// Runs a `#[claims(validate = path)]` hook; the wrapper gives the hook a
/// precise expected type in compiler errors.
#[doc(hidden)]
pub fn run_hook<T, E>(value: &T, hook: fn(&T) -> Result<(), E>) -> Result<(), ValidationError>
where
    E: Into<ValidationError>,
{
    hook(value).map_err(Into::into)
}
