//! Back-Channel Logout token verification (OpenID Connect Back-Channel
//! Logout 1.0 §2.4, §2.6).
//!
//! A logout token is signed by the same issuer, with the same keys and for
//! the same client as an ID token, so each kind must refuse the other: the
//! ID-token verifier refuses `events` and the `logout+jwt` type (see
//! `id::check_kind`), and this verifier refuses a token without the
//! back-channel-logout event or with a `nonce`.

use core::fmt;
use std::sync::Arc;

use super::diagnose::Verifying;
use super::jws::Typ;
use super::payload::{Payload, require, string_ref};
use super::profile::is_media_type;
use super::{Built, Common, common_setters};
use crate::error::{ConfigError, Echo, Error};
use crate::keys::Algorithm;
use crate::token::Audience;

/// The member of `events` that makes a token a Back-Channel Logout token
/// (Back-Channel Logout 1.0 §2.4).
///
/// ```
/// # let dev = tokenkind::dev::DevIssuer::new();
/// let token = dev.logout_token(); // `events` holds this member, an empty object
/// assert!(token.claims()["events"].get(tokenkind::verify::BACKCHANNEL_LOGOUT_EVENT).is_some());
/// ```
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Verifies OpenID Connect Back-Channel Logout tokens for one client: the
/// body of the `POST` an OpenID Provider sends to the client's
/// `backchannel_logout_uri`.
///
/// ```
/// use tokenkind::{Error, LogoutTokenVerifier};
/// # let dev = tokenkind::dev::DevIssuer::new();
///
/// let logout = LogoutTokenVerifier::builder(dev.issuer(), dev.client_id()).keys(dev.key_set()).build()?;
/// # let raw = dev.logout_token().session_id("08a5019c").sign();
/// let token = logout.verify(&raw)?;
/// assert_eq!(token.session_id(), Some("08a5019c"));
///
/// // An ID token is never a logout token: typed `JWT`, or without `events`.
/// let id_token = dev.id_token().nonce("n-0S6").header_typ(None).sign();
/// assert_eq!(logout.verify(&id_token).unwrap_err(), Error::NotLogoutToken { reason: "it carries no `events`" });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogoutTokenVerifier {
    inner: Arc<LogoutConfig>,
}

struct LogoutConfig {
    built: Built,
    client_id: Box<str>,
    trusted_audiences: Box<[Box<str>]>,
}

/// Configures a [`LogoutTokenVerifier`].
///
/// ```
/// use tokenkind::LogoutTokenVerifier;
/// let logout = LogoutTokenVerifier::builder("https://issuer.example", "my-client-id")
///     .jwks_uri("https://issuer.example/jwks")
///     .trusted_audiences(["my-other-client-id"])
///     .build()?;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
#[must_use]
pub struct LogoutTokenVerifierBuilder {
    common: Common,
    client_id: String,
    trusted_audiences: Vec<Box<str>>,
}

/// A verified Back-Channel Logout token: the provider asks this client to
/// end the sessions of a user (`sub`), of one provider session (`sid`), or
/// both. It proves nothing about who is logged in and cannot be used as an
/// ID or access token. Produced only by [`LogoutTokenVerifier::verify`].
///
/// The client should refuse a `jti` it has already seen (Back-Channel Logout
/// 1.0 §2.6 step 7), for instance by keeping the `jti`s of the last
/// [`expires_at`](Self::expires_at) window.
///
/// ```
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let logout = tokenkind::LogoutTokenVerifier::builder(dev.issuer(), dev.client_id()).keys(dev.key_set()).build()?;
/// # let raw = dev.logout_token().without("sub").session_id("08a5019c").sign();
/// let token: tokenkind::LogoutToken = logout.verify(&raw)?;
/// assert_eq!((token.subject(), token.session_id()), (None, Some("08a5019c")));
/// assert!(!token.jwt_id().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogoutToken {
    issuer: Arc<str>,
    audience: Audience,
    subject: Option<Box<str>>,
    session_id: Option<Box<str>>,
    jwt_id: Box<str>,
    issued_at: i64,
    expires_at: i64,
    algorithm: Algorithm,
}

impl LogoutTokenVerifier {
    /// Starts a verifier for logout tokens from `issuer` for the client `client_id`.
    pub fn builder(issuer: impl Into<String>, client_id: impl Into<String>) -> LogoutTokenVerifierBuilder {
        LogoutTokenVerifierBuilder {
            common: Common::new(issuer.into()),
            client_id: client_id.into(),
            trusted_audiences: Vec::new(),
        }
    }

    /// Verifies a logout token (the `logout_token` form parameter of the
    /// provider's request).
    ///
    /// # Errors
    /// The first rule the token breaks, as an [`Error`] variant.
    pub fn verify(&self, token: &str) -> Result<LogoutToken, Error> {
        self.check_claims(&self.inner.built.verify_jws(token)?)
    }

    /// Verifies like [`verify`](Self::verify); with a remote key source it
    /// may also wait for a (rate-limited, shared) key refresh when the token
    /// names a key not yet cached.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`Error::KeysUnavailable`] when no
    /// keys could be obtained.
    pub async fn verify_async(&self, token: &str) -> Result<LogoutToken, Error> {
        self.check_claims(&self.inner.built.verify_jws_async(token).await?)
    }

    /// Every check after the signature (Back-Channel Logout 1.0 §2.6 steps 2–6).
    fn check_claims(&self, verified: &super::jws::Verified<'_>) -> Result<LogoutToken, Error> {
        let (mut stack, mut heap) = ([0u8; super::jws::PAYLOAD_STACK], Vec::new());
        let p = verified.claims(&mut stack, &mut heap)?;
        let r = &p.reg;
        check_header_type(verified.header.typ.as_ref().map(Typ::as_str))?;
        check_events(&p)?;
        check_no_nonce(&p)?;
        let issuer = self.inner.built.check_issuer(&p, verified.key_issuer.as_deref())?;
        let audience = super::id::check_client_audience(&self.inner.client_id, &self.inner.trusted_audiences, r)?;
        let times = self.inner.built.check_times(&mut Verifying, r)?;
        let (subject, session_id) = check_subject_or_session(&p)?;
        let jwt_id = check_jwt_id(&p)?;
        Ok(LogoutToken {
            issuer,
            audience,
            subject: subject.map(Into::into),
            session_id: session_id.map(Into::into),
            jwt_id: jwt_id.into(),
            issued_at: times.iat,
            expires_at: times.exp,
            algorithm: verified.header.alg,
        })
    }

    /// The client ID this verifier expects in `aud`.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The trusted issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.built.issuer
    }
}

/// The header `typ`, when present, is `logout+jwt` (Back-Channel Logout 1.0
/// §2.4; RFC 8725 §3.11): an ID token's `JWT` and an access token's
/// `at+jwt` are refused.
fn check_header_type(typ: Option<&str>) -> Result<(), Error> {
    match typ {
        None => Ok(()),
        Some(t) if is_media_type(t, "logout+jwt") => Ok(()),
        Some(t) => Err(Error::WrongTokenType { expected: "logout+jwt", found: Some(Echo::new(t)) }),
    }
}

/// `events` is required: a JSON object whose member
/// `http://schemas.openid.net/event/backchannel-logout` is a JSON object
/// (Back-Channel Logout 1.0 §2.4, §2.6 step 5). A token without it, such as
/// an ID token, is not a logout token.
fn check_events(p: &Payload<'_>) -> Result<(), Error> {
    const EXPECTED: &str = "a JSON object whose member http://schemas.openid.net/event/backchannel-logout is an object";
    let Some(raw) = p.raw("events") else {
        return Err(Error::NotLogoutToken { reason: "it carries no `events`" });
    };
    let events: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw).map_err(|_| Error::MalformedClaim { claim: "events", expected: EXPECTED })?;
    match events.get(BACKCHANNEL_LOGOUT_EVENT) {
        Some(event) if event.is_object() => Ok(()),
        Some(_) => Err(Error::MalformedClaim { claim: "events", expected: EXPECTED }),
        None => Err(Error::NotLogoutToken { reason: "its `events` lack the back-channel-logout event" }),
    }
}

/// `nonce` is forbidden (Back-Channel Logout 1.0 §2.4, §2.6 step 6): it
/// marks an ID token, and a logout token carrying one is refused, whatever
/// its type.
fn check_no_nonce(p: &Payload<'_>) -> Result<(), Error> {
    if p.reg.nonce.is_some() {
        return Err(Error::NotLogoutToken { reason: "it carries `nonce`, as ID tokens do" });
    }
    Ok(())
}

/// `sub` and `sid` are strings when present, and at least one is present
/// (Back-Channel Logout 1.0 §2.4, §2.6 step 4).
fn check_subject_or_session<'p>(p: &'p Payload<'_>) -> Result<(Option<&'p str>, Option<&'p str>), Error> {
    let sub = string_ref("sub", p.reg.sub.as_ref())?;
    let sid = string_ref("sid", p.reg.sid.as_ref())?;
    if sub.is_none() && sid.is_none() {
        return Err(Error::NotLogoutToken { reason: "it names neither a user (`sub`) nor a session (`sid`)" });
    }
    Ok((sub, sid))
}

/// `jti` is required, a string (Back-Channel Logout 1.0 §2.4), so the
/// client can refuse a replayed token.
fn check_jwt_id<'p>(p: &'p Payload<'_>) -> Result<&'p str, Error> {
    require("jti", string_ref("jti", p.reg.jti.as_ref())?)
}

impl LogoutToken {
    /// `iss`: the issuer, equal to the verifier's configured issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `aud`: the audiences; one of them is this client's ID.
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// `sub`: the user whose sessions end, if named.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// `sid`: the provider session that ends, if named; the ID token of
    /// that session carried the same value
    /// ([`IdToken::session_id`](crate::IdToken::session_id)).
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// `jti`: the token's unique identifier, to refuse replays.
    pub fn jwt_id(&self) -> &str {
        &self.jwt_id
    }

    /// `iat`, seconds since the Unix epoch.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// `exp`, seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The JWS algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl fmt::Debug for LogoutToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutToken")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("subject", &self.subject)
            .field("session_id", &self.session_id)
            .field("jwt_id", &self.jwt_id)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl LogoutTokenVerifierBuilder {
    common_setters!();

    /// Audiences besides the client ID that the client trusts to appear in
    /// `aud` (as [`IdTokenVerifierBuilder::trusted_audiences`](crate::IdTokenVerifierBuilder::trusted_audiences)).
    pub fn trusted_audiences<I, A>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        self.trusted_audiences = audiences.into_iter().map(|a| a.into().into_boxed_str()).collect();
        self
    }

    /// Checks the configuration and builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] when the issuer or client ID is empty, no keys were
    /// given, or a limit is out of range.
    pub fn build(self) -> Result<LogoutTokenVerifier, ConfigError> {
        if self.client_id.is_empty() {
            return Err(ConfigError::Empty("client ID"));
        }
        let config = LogoutConfig {
            built: self.common.build()?,
            client_id: self.client_id.into(),
            trusted_audiences: self.trusted_audiences.into(),
        };
        Ok(LogoutTokenVerifier { inner: Arc::new(config) })
    }
}

impl Clone for LogoutTokenVerifier {
    /// Cheap: the configuration is shared.
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl fmt::Debug for LogoutTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutTokenVerifier")
            .field("client_id", &self.inner.client_id)
            .field("trusted_audiences", &self.inner.trusted_audiences)
            .field("config", &self.inner.built)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: &str) -> Payload<'_> {
        Payload::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn check_header_type_accepts_logout_jwt_or_none() {
        assert_eq!(check_header_type(None), Ok(()));
        assert_eq!(check_header_type(Some("logout+jwt")), Ok(()));
        assert_eq!(check_header_type(Some("application/logout+jwt")), Ok(()));
        assert_eq!(
            check_header_type(Some("JWT")),
            Err(Error::WrongTokenType { expected: "logout+jwt", found: Some(Echo::new("JWT")) })
        );
        assert_eq!(
            check_header_type(Some("at+jwt")),
            Err(Error::WrongTokenType { expected: "logout+jwt", found: Some(Echo::new("at+jwt")) })
        );
    }

    #[test]
    fn check_events_requires_the_backchannel_logout_object() {
        let expected = "a JSON object whose member http://schemas.openid.net/event/backchannel-logout is an object";
        let malformed = Err(Error::MalformedClaim { claim: "events", expected });
        assert_eq!(
            check_events(&payload(r#"{"events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#)),
            Ok(())
        );
        assert_eq!(check_events(&payload("{}")), Err(Error::NotLogoutToken { reason: "it carries no `events`" }));
        assert_eq!(
            check_events(&payload(r#"{"events":{"https://schemas.example/other":{}}}"#)),
            Err(Error::NotLogoutToken { reason: "its `events` lack the back-channel-logout event" })
        );
        assert_eq!(
            check_events(&payload(r#"{"events":{"http://schemas.openid.net/event/backchannel-logout":true}}"#)),
            malformed
        );
        assert_eq!(
            check_events(&payload(r#"{"events":["http://schemas.openid.net/event/backchannel-logout"]}"#)),
            malformed
        );
        assert_eq!(check_events(&payload(r#"{"events":null}"#)), malformed);
    }

    #[test]
    fn check_no_nonce_refuses_any_nonce() {
        assert_eq!(check_no_nonce(&payload("{}")), Ok(()));
        let refused = Err(Error::NotLogoutToken { reason: "it carries `nonce`, as ID tokens do" });
        assert_eq!(check_no_nonce(&payload(r#"{"nonce":"n-0S6"}"#)), refused);
        assert_eq!(check_no_nonce(&payload(r#"{"nonce":null}"#)), refused);
    }

    #[test]
    fn check_subject_or_session_needs_one() {
        assert_eq!(check_subject_or_session(&payload(r#"{"sub":"u"}"#)), Ok((Some("u"), None)));
        assert_eq!(check_subject_or_session(&payload(r#"{"sid":"s"}"#)), Ok((None, Some("s"))));
        assert_eq!(check_subject_or_session(&payload(r#"{"sub":"u","sid":"s"}"#)), Ok((Some("u"), Some("s"))));
        assert_eq!(
            check_subject_or_session(&payload("{}")),
            Err(Error::NotLogoutToken { reason: "it names neither a user (`sub`) nor a session (`sid`)" })
        );
        assert_eq!(
            check_subject_or_session(&payload(r#"{"sub":"u","sid":7}"#)),
            Err(Error::MalformedClaim { claim: "sid", expected: "a string" })
        );
        assert_eq!(
            check_subject_or_session(&payload(r#"{"sub":null,"sid":"s"}"#)),
            Err(Error::MalformedClaim { claim: "sub", expected: "a string" })
        );
    }

    #[test]
    fn check_jwt_id_is_a_required_string() {
        assert_eq!(check_jwt_id(&payload(r#"{"jti":"j1"}"#)), Ok("j1"));
        assert_eq!(check_jwt_id(&payload("{}")), Err(Error::MissingClaim { claim: "jti" }));
        assert_eq!(
            check_jwt_id(&payload(r#"{"jti":1}"#)),
            Err(Error::MalformedClaim { claim: "jti", expected: "a string" })
        );
    }
}
