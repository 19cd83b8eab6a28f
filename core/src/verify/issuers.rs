//! Several trusted issuers (multi-tenant): one verifier, and so one key
//! source, per issuer, picked by the token's exact `iss`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{AccessTokenVerifier, DEFAULT_MAX_TOKEN_LEN, IdTokenVerifier, MAX_MAX_TOKEN_LEN, Nonce, jws};
use crate::claims::{AccessClaims, IdClaims};
use crate::error::{ConfigError, Echo, Error, Malformed};
use crate::scope::Scopes;
use crate::token::{AccessToken, IdToken};

/// Routes each token to the verifier of its issuer.
///
/// The token's `iss` is read before its signature is checked, only to pick
/// the verifier, matched byte for byte; that verifier then runs every check,
/// `iss` included, with its own keys. So a key of one issuer never verifies a
/// token of another, even when both publish the same `kid`.
///
/// ```
/// use tokenkind::{AccessTokenVerifier, Error, IssuerRouter, Scopes};
/// # use tokenkind::dev::DevIssuer;
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
///
/// let (a, b) = (DevIssuer::new().issuer_url("https://a.example"), DevIssuer::new().issuer_url("https://b.example"));
/// let router = IssuerRouter::new()
///     .with(a.access_token_verifier::<Api>().build()?)?
///     .with(b.access_token_verifier::<Api>().build()?)?;
///
/// assert_eq!(router.verify(&a.access_token().sign())?.issuer(), "https://a.example");
/// assert_eq!(router.verify(&b.access_token().sign())?.issuer(), "https://b.example");
/// let other = DevIssuer::new().issuer_url("https://c.example");
/// assert!(matches!(router.verify(&other.access_token().sign()), Err(Error::WrongIssuer { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct IssuerRouter<V> {
    by_issuer: HashMap<Box<str>, V>,
    max_token_len: usize,
}

impl<V> IssuerRouter<V> {
    /// A router with no issuer yet.
    pub fn new() -> Self {
        Self { by_issuer: HashMap::new(), max_token_len: DEFAULT_MAX_TOKEN_LEN }
    }

    /// Tokens longer than this are refused before `iss` is read (default
    /// 16 KiB, at most 1 MiB); each verifier then applies its own limit.
    #[must_use]
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes.min(MAX_MAX_TOKEN_LEN);
        self
    }

    /// Adds the verifier of one issuer.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when a verifier for its issuer is already
    /// there, or when its issuer is templated with `{tenantid}` (such a
    /// verifier matches many issuers: use it alone, or from an
    /// [`IssuerResolver`](super::IssuerResolver)).
    pub fn with(mut self, verifier: V) -> Result<Self, ConfigError>
    where
        V: IssuerVerifier,
    {
        if verifier.trusted_issuer().contains(super::tenants::PLACEHOLDER) {
            return Err(ConfigError::Invalid(
                "an issuer templated with `{tenantid}` matches many issuers: use its verifier alone or from an `IssuerResolver`",
            ));
        }
        if self.by_issuer.contains_key(verifier.trusted_issuer()) {
            return Err(ConfigError::Invalid("two verifiers for the same issuer"));
        }
        self.by_issuer.insert(verifier.trusted_issuer().into(), verifier);
        Ok(self)
    }

    /// The verifier of `issuer`, if trusted.
    pub fn get(&self, issuer: &str) -> Option<&V> {
        self.by_issuer.get(issuer)
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.by_issuer.keys().map(|k| &**k)
    }

    /// The verifier for this token's `iss` (not yet verified).
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Malformed`] when the payload cannot be
    /// read, [`Error::MissingClaim`] / [`Error::MalformedClaim`] for `iss`,
    /// [`Error::WrongIssuer`] when no verifier trusts it.
    pub fn route(&self, token: &str) -> Result<&V, Error> {
        let iss = peek_issuer(token, self.max_token_len)?;
        self.by_issuer.get(iss.as_str()).ok_or_else(|| Error::WrongIssuer { found: Echo::new(&iss) })
    }
}

/// The token's `iss`, read from its payload **without verifying anything**,
/// only to pick the verifier that will.
pub(super) fn peek_issuer(token: &str, max_token_len: usize) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default, deserialize_with = "crate::keys::present")]
        iss: Option<&'a RawValue>,
    }
    jws::check_length(token, max_token_len)?;
    let (_, payload, _) = jws::split(token)?;
    let payload = jws::decode(payload)?;
    let peek: Peek<'_> = serde_json::from_slice(&payload).map_err(|_| Error::Malformed(Malformed::Payload))?;
    let raw = peek.iss.ok_or(Error::MissingClaim { claim: "iss" })?;
    serde_json::from_str(raw.get()).map_err(|_| Error::MalformedClaim { claim: "iss", expected: "a string" })
}

impl<V> Default for IssuerRouter<V> {
    fn default() -> Self {
        Self::new()
    }
}

/// A verifier of one issuer's tokens, as an [`IssuerRouter`] holds them.
pub trait IssuerVerifier {
    /// The issuer whose tokens it verifies.
    fn trusted_issuer(&self) -> &str;
}

impl<S: Scopes, C: AccessClaims> IssuerVerifier for AccessTokenVerifier<S, C> {
    fn trusted_issuer(&self) -> &str {
        self.issuer()
    }
}

impl<C: IdClaims> IssuerVerifier for IdTokenVerifier<C> {
    fn trusted_issuer(&self) -> &str {
        self.issuer()
    }
}

impl<S: Scopes, C: AccessClaims> IssuerRouter<AccessTokenVerifier<S, C>> {
    /// Verifies an access token with its issuer's verifier.
    ///
    /// # Errors
    /// As [`IssuerRouter::route`], then as [`AccessTokenVerifier::verify`].
    pub fn verify(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.route(token)?.verify(token)
    }

    /// Verifies like [`AccessTokenVerifier::verify_async`] (waiting for a key refresh if needed).
    ///
    /// # Errors
    /// As [`IssuerRouter::route`], then as [`AccessTokenVerifier::verify_async`].
    pub async fn verify_async(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.route(token)?.verify_async(token).await
    }
}

impl<C: IdClaims> IssuerRouter<IdTokenVerifier<C>> {
    /// Verifies an ID token with its issuer's verifier.
    ///
    /// # Errors
    /// As [`IssuerRouter::route`], then as [`IdTokenVerifier::verify`].
    pub fn verify(&self, token: &str, nonce: Nonce<'_>) -> Result<IdToken<C>, Error> {
        self.route(token)?.verify(token, nonce)
    }

    /// Verifies like [`IdTokenVerifier::verify_async`].
    ///
    /// # Errors
    /// As [`IssuerRouter::route`], then as [`IdTokenVerifier::verify_async`].
    pub async fn verify_async(&self, token: &str, nonce: Nonce<'_>) -> Result<IdToken<C>, Error> {
        self.route(token)?.verify_async(token, nonce).await
    }
}
