//! ID-token verification (OpenID Connect Core 1.0 §3.1.3.7).

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;
use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::diagnose::{Diagnosis, ID_RULES, Recorder, Rule, Verifying, Walk};
use super::jws::Typ;
use super::payload::{self, Payload, Value, require, string_ref};
use super::profile::{is_at_jwt, is_media_type};
use super::{Built, Common, common_setters};
use crate::claims::{IdClaims, NoClaims};
use crate::error::{ConfigError, Echo, Error};
use crate::token::{Audience, IdToken};

/// The nonce check of one login (OpenID Connect Core §3.1.2.1, §3.1.3.7 step 11).
///
/// [`IdTokenVerifier::verify`] takes one on every call, so forgetting the
/// nonce is visible in the code that calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonce<'a> {
    /// The nonce sent in the authentication request: the token's `nonce` must equal it.
    Expected(&'a str),
    /// No nonce was sent (e.g. a code flow that relies on PKCE and `state`).
    /// The token's `nonce`, if any, is not checked.
    NotRequested,
}

/// Verifies OpenID Connect ID tokens for one client.
///
/// ```
/// use tokenkind::{Error, IdTokenVerifier, KeySet, Nonce};
/// # use tokenkind::dev::DevIssuer;
///
/// # let dev = DevIssuer::new();
/// # let jwks = dev.jwks();
/// let verifier = IdTokenVerifier::<tokenkind::NoClaims>::builder("https://issuer.example", "my-client-id")
/// #   ; let verifier = IdTokenVerifier::<tokenkind::NoClaims>::builder(dev.issuer(), dev.client_id())
///     .keys(KeySet::from_jwks(&jwks)?)
///     .build()?;
///
/// # let raw = dev.id_token().nonce("xyz").sign();
/// let token = verifier.verify(&raw, Nonce::Expected("xyz"))?;
/// assert_eq!(verifier.verify(&raw, Nonce::Expected("other")).unwrap_err(), Error::NonceMismatch);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IdTokenVerifier<C: IdClaims = NoClaims> {
    inner: Arc<IdConfig>,
    _claims: PhantomData<fn() -> C>,
}

struct IdConfig {
    built: Built,
    client_id: Box<str>,
    trusted_audiences: Box<[Box<str>]>,
    max_age: Option<Duration>,
    display_roles: Option<super::roles::RoleSource>,
}

/// Configures an [`IdTokenVerifier`].
#[must_use]
pub struct IdTokenVerifierBuilder<C: IdClaims = NoClaims> {
    common: Common,
    client_id: String,
    trusted_audiences: Vec<Box<str>>,
    max_age: Option<Duration>,
    display_roles: Option<super::roles::RoleSource>,
    _claims: PhantomData<fn() -> C>,
}

impl<C: IdClaims> IdTokenVerifier<C> {
    /// Starts a verifier for ID tokens from `issuer` for the client `client_id`.
    pub fn builder(issuer: impl Into<String>, client_id: impl Into<String>) -> IdTokenVerifierBuilder<C> {
        IdTokenVerifierBuilder {
            common: Common::new(issuer.into()),
            client_id: client_id.into(),
            trusted_audiences: Vec::new(),
            max_age: None,
            display_roles: None,
            _claims: PhantomData,
        }
    }

    /// Verifies an ID token received at login.
    ///
    /// # Errors
    /// The first rule the token breaks, as an [`Error`] variant.
    pub fn verify(&self, token: &str, nonce: Nonce<'_>) -> Result<IdToken<C>, Error> {
        self.check_claims(&self.inner.built.verify_jws(token)?, nonce)
    }

    /// Every check after the signature (§3.1.3.7 steps 2–13).
    pub(super) fn check_claims(
        &self,
        verified: &super::jws::Verified<'_>,
        nonce: Nonce<'_>,
    ) -> Result<IdToken<C>, Error> {
        // Only the buffer used is zeroed.
        let (mut short, mut long, mut heap);
        let stack: &mut [u8] = if verified.payload_len_at_most() <= super::jws::SHORT_PAYLOAD_STACK {
            short = [0u8; super::jws::SHORT_PAYLOAD_STACK];
            &mut short
        } else {
            long = [0u8; super::jws::PAYLOAD_STACK];
            &mut long
        };
        heap = Vec::new();
        let mut payload = Payload::empty();
        verified.fill_claims(&mut payload, stack, &mut heap, &self.inner.built.layout)?;
        let typ = verified.header.typ.as_ref().map(Typ::as_str);
        let c = self.check_payload(&mut Verifying, typ, verified.key_issuer.as_deref(), &payload, nonce)?;
        let mut display_roles = Vec::new();
        if let Some(source) = &self.inner.display_roles {
            super::roles::user_roles(super::Profile::Rfc9068, source, &payload, false, |r| {
                display_roles.push(Box::from(r));
            })?;
        }
        Ok(IdToken {
            display_roles: display_roles.into(),
            issuer: c.issuer,
            subject: c.sub.into(),
            audience: c.audience,
            expires_at: c.times.exp,
            issued_at: c.times.iat,
            auth_time: c.auth_time,
            nonce: c.nonce.map(Into::into),
            authorized_party: c.azp.map(Into::into),
            acr: c.optional.acr.map(Into::into),
            amr: c.optional.amr.map(|l| l.iter().map(|s| (**s).into()).collect()),
            at_hash: c.optional.at_hash.map(Into::into),
            c_hash: c.optional.c_hash.map(Into::into),
            session_id: c.optional.sid.map(Into::into),
            algorithm: verified.header.alg,
            claims: c.claims,
        })
    }

    /// Verifies like [`verify`](Self::verify); with a remote key source it
    /// may also wait for a (rate-limited, shared) key refresh when the token
    /// names a key not yet cached.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`Error::KeysUnavailable`] when no
    /// keys could be obtained.
    pub async fn verify_async(&self, token: &str, nonce: Nonce<'_>) -> Result<IdToken<C>, Error> {
        self.check_claims(&self.inner.built.verify_jws_async(token).await?, nonce)
    }

    /// Applies every rule of [`verify`](Self::verify) to `token` and tells
    /// what each found, instead of stopping at the first failure (see
    /// [`AccessTokenVerifier::diagnose`](crate::AccessTokenVerifier::diagnose)).
    /// [`Diagnosis::error`] is exactly the error `verify` returns.
    ///
    /// ```
    /// use tokenkind::verify::{Outcome, Rule};
    /// use tokenkind::{Error, Nonce};
    /// # use tokenkind::dev::DevIssuer;
    ///
    /// # let dev = DevIssuer::new();
    /// let login = dev.id_token_verifier::<tokenkind::NoClaims>().build()?;
    /// let access_token = dev.access_token().sign();
    ///
    /// let diagnosis = login.diagnose(&access_token, Nonce::Expected("n-0S6"));
    /// assert!(matches!(diagnosis.error(), Some(Error::AccessTokenAsIdToken { .. })));
    /// assert_eq!(diagnosis.outcome(Rule::Nonce), Some(&Outcome::Failed(Error::NonceMismatch)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn diagnose(&self, token: &str, nonce: Nonce<'_>) -> Diagnosis {
        let mut w = Recorder::new(ID_RULES);
        if let Ok(verified) = self.inner.built.diagnose_jws(&mut w, token) {
            let (mut stack, mut heap) = ([0u8; super::jws::PAYLOAD_STACK], Vec::new());
            if let Ok(payload) = w.stop(Rule::Payload, verified.claims(&mut stack, &mut heap)) {
                let typ = verified.header.typ.as_ref().map(Typ::as_str);
                let _ = self.check_payload(&mut w, typ, verified.key_issuer.as_deref(), &payload, nonce);
            }
        }
        w.finish()
    }

    /// The rules after the signature, in order (§3.1.3.7 steps 2–13).
    /// `verify` stops at the first failure; `diagnose` records each outcome
    /// and goes on.
    fn check_payload<'p, W: Walk>(
        &self,
        w: &mut W,
        typ: Option<&str>,
        key_issuer: Option<&str>,
        p: &'p Payload<'_>,
        nonce: Nonce<'_>,
    ) -> Result<IdChecked<'p, W, C>, Error> {
        let r = &p.reg;
        w.check(Rule::TokenKind, check_kind(typ, p))?;
        let issuer = w.check(Rule::Issuer, self.inner.built.check_issuer(p, key_issuer))?;
        let audience = w.check(Rule::Audience, self.check_audience(r))?;
        let azp = match W::get(&audience) {
            Ok(audience) => w.check(Rule::AuthorizedParty, self.check_authorized_party(audience, r))?,
            Err(missing) => w.not_reached::<Option<&str>>(Rule::AuthorizedParty, missing),
        };
        let times = self.inner.built.check_times(w, r)?;
        let token_nonce = string_ref("nonce", r.nonce.as_ref()).and_then(|n| check_nonce(n, nonce).map(|()| n));
        let token_nonce = w.check(Rule::Nonce, token_nonce)?;
        if nonce == Nonce::NotRequested {
            w.not_applicable(Rule::Nonce);
        }
        let auth_time = payload::numeric_date("auth_time", r.auth_time.as_ref())
            .and_then(|auth_time| self.check_max_age(auth_time, times.now).map(|()| auth_time));
        let auth_time = w.check(Rule::MaxAge, auth_time)?;
        if self.inner.max_age.is_none() {
            w.not_applicable(Rule::MaxAge);
        }
        let sub = w.check(Rule::Subject, string_ref("sub", r.sub.as_ref()).and_then(|s| require("sub", s)))?;
        let optional = w.check(Rule::OptionalClaims, optional_claims(r))?;
        let claims = w.check(Rule::CustomClaims, p.custom::<C>().and_then(|c| payload::validated(c, C::validate)))?;
        if payload::no_claims::<C>() {
            w.not_applicable(Rule::CustomClaims);
        }
        Ok(IdChecked { issuer, audience, azp, times, nonce: token_nonce, auth_time, sub, optional, claims })
    }

    /// `aud` is required and must contain the client ID; every other
    /// audience must be explicitly trusted (§3.1.3.7 step 3).
    fn check_audience(&self, r: &payload::Registered<'_>) -> Result<Audience, Error> {
        check_client_audience(&self.inner.client_id, &self.inner.trusted_audiences, r)
    }

    /// `azp`, when present, must be the client ID; with several audiences it
    /// must be present (§3.1.3.7 steps 4–5).
    fn check_authorized_party<'p>(
        &self,
        aud: &Audience,
        r: &'p payload::Registered<'_>,
    ) -> Result<Option<&'p str>, Error> {
        match string_ref("azp", r.azp.as_ref())? {
            Some(azp) if azp != &*self.inner.client_id => Err(Error::WrongAuthorizedParty),
            None if aud.len() > 1 => Err(Error::WrongAuthorizedParty),
            azp => Ok(azp),
        }
    }

    /// With `max_age`, `auth_time` is required and must be recent enough (§3.1.3.7 step 13).
    fn check_max_age(&self, auth_time: Option<i64>, now: i64) -> Result<(), Error> {
        let Some(max_age) = self.inner.max_age else { return Ok(()) };
        let auth_time = require("auth_time", auth_time)?;
        let max = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let leeway = i64::try_from(self.inner.built.leeway).unwrap_or(i64::MAX);
        if now > auth_time.saturating_add(max).saturating_add(leeway) {
            return Err(Error::AuthenticationTooOld { auth_time, max_age: max_age.as_secs() });
        }
        Ok(())
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

/// The values the rules after the signature keep for the token: the values
/// themselves when verifying, `Option`s when diagnosing.
struct IdChecked<'p, W: Walk, C> {
    issuer: W::Kept<Arc<str>>,
    audience: W::Kept<Audience>,
    azp: W::Kept<Option<&'p str>>,
    times: super::Times<W>,
    nonce: W::Kept<Option<&'p str>>,
    auth_time: W::Kept<Option<i64>>,
    sub: W::Kept<&'p str>,
    optional: W::Kept<OptionalClaims<'p>>,
    claims: W::Kept<C>,
}

/// The optional claims an [`IdToken`] carries.
struct OptionalClaims<'p> {
    acr: Option<&'p str>,
    amr: Option<&'p [Cow<'p, str>]>,
    at_hash: Option<&'p str>,
    c_hash: Option<&'p str>,
    sid: Option<&'p str>,
}

/// `acr`, `sid`, `at_hash` and `c_hash` are strings and `amr` an array of
/// strings, when present (OpenID Connect Core §2, §3.3.2.11, Front-Channel
/// Logout 1.0 §3).
fn optional_claims<'p>(r: &'p payload::Registered<'_>) -> Result<OptionalClaims<'p>, Error> {
    Ok(OptionalClaims {
        acr: string_ref("acr", r.acr.as_ref())?,
        amr: payload::string_list("amr", r.amr.as_ref())?,
        at_hash: string_ref("at_hash", r.at_hash.as_ref())?,
        c_hash: string_ref("c_hash", r.c_hash.as_ref())?,
        sid: string_ref("sid", r.sid.as_ref())?,
    })
}

/// Refuses tokens of other kinds. Access tokens, by the rules that hold for
/// every provider: header `typ` `at+jwt` (RFC 9068 §2.1), Keycloak's payload
/// `typ: "Bearer"`, Cognito's `token_use: "access"`, and `scp` (Okta, Entra
/// ID), which no ID token carries. Logout and other Security Event Tokens:
/// header `typ` `logout+jwt` or `secevent+jwt`, or an `events` claim (RFC 8417
/// §2.2, Back-Channel Logout 1.0 §2.4, RFC 8725 §3.12). A header `typ`,
/// when present, must otherwise be `JWT`.
pub(super) fn check_kind(typ: Option<&str>, p: &Payload<'_>) -> Result<(), Error> {
    if typ.is_some_and(is_at_jwt) {
        return Err(Error::AccessTokenAsIdToken { reason: "its header `typ` is at+jwt" });
    }
    if let Some(t) = typ {
        if is_media_type(t, "logout+jwt") {
            return Err(Error::SecurityEventToken { reason: "its header `typ` is logout+jwt" });
        }
        if is_media_type(t, "secevent+jwt") {
            return Err(Error::SecurityEventToken { reason: "its header `typ` is secevent+jwt" });
        }
        if !t.eq_ignore_ascii_case("JWT") {
            return Err(Error::WrongTokenType { expected: "JWT", found: Some(Echo::new(t)) });
        }
    }
    super::access::reject_security_event(p)?;
    if matches!(&p.reg.typ, Some(Value::Str(t)) if t == "Bearer") {
        return Err(Error::AccessTokenAsIdToken { reason: "its payload `typ` is \"Bearer\"" });
    }
    if matches!(&p.reg.token_use, Some(Value::Str(t)) if t == "access") {
        return Err(Error::AccessTokenAsIdToken { reason: "its `token_use` is \"access\"" });
    }
    if p.reg.scp.is_some() {
        return Err(Error::AccessTokenAsIdToken { reason: "it carries `scp`" });
    }
    Ok(())
}

/// `aud` is required and must contain `client_id`; every other audience
/// must be in `trusted` (OpenID Connect Core §3.1.3.7 step 3; Back-Channel
/// Logout 1.0 §2.6 step 3 checks a logout token's `aud` the same way).
pub(super) fn check_client_audience(
    client_id: &str,
    trusted: &[Box<str>],
    r: &payload::Registered<'_>,
) -> Result<Audience, Error> {
    let aud = require("aud", payload::audience(r.aud.as_ref())?)?;
    if !aud.contains(client_id) {
        return Err(Error::WrongAudience { expected: client_id.into() });
    }
    let untrusted = aud.iter().find(|a| *a != client_id && !trusted.iter().any(|t| &**t == *a)).map(Echo::new);
    match untrusted {
        Some(found) => Err(Error::UntrustedAudience { found }),
        None => Ok(aud),
    }
}

/// The nonce must equal the one sent (§3.1.3.7 step 11).
fn check_nonce(found: Option<&str>, expected: Nonce<'_>) -> Result<(), Error> {
    match expected {
        Nonce::NotRequested => Ok(()),
        Nonce::Expected(n) if found == Some(n) => Ok(()),
        Nonce::Expected(_) => Err(Error::NonceMismatch),
    }
}

impl<C: IdClaims> IdToken<C> {
    /// Checks the access token issued with this ID token against its
    /// `at_hash` (OpenID Connect Core §3.1.3.8, §3.2.2.9): the left half of
    /// the hash of the access token's ASCII bytes, base64url-encoded, with
    /// the hash of the ID token's `alg`.
    ///
    /// ```
    /// # use tokenkind::{Error, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<tokenkind::NoClaims>().build()?;
    /// let access_token = "SlAV32hkKG";
    /// # let raw = dev.id_token().access_token_hash(access_token).sign();
    /// let id_token = verifier.verify(&raw, Nonce::NotRequested)?;
    /// id_token.verify_access_token_hash(access_token)?;
    /// assert_eq!(id_token.verify_access_token_hash("other"), Err(Error::AccessTokenHashMismatch));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MissingClaim`] when the ID token has no `at_hash`;
    /// [`Error::AccessTokenHashMismatch`] when it does not match.
    pub fn verify_access_token_hash(&self, access_token: &str) -> Result<(), Error> {
        let expected = self.at_hash.as_deref().ok_or(Error::MissingClaim { claim: "at_hash" })?;
        if left_half_hash(self.algorithm, access_token) == expected {
            Ok(())
        } else {
            Err(Error::AccessTokenHashMismatch)
        }
    }

    /// Checks the authorization code returned with this ID token (hybrid
    /// flow) against its `c_hash` (OpenID Connect Core §3.3.2.11): the same
    /// rule as `at_hash`, over the code's ASCII bytes. In the hybrid flow,
    /// where the ID token comes from the authorization endpoint with a code,
    /// this check is required before the code is used.
    ///
    /// ```
    /// # use tokenkind::{Error, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<tokenkind::NoClaims>().build()?;
    /// let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    /// # let raw = dev.id_token().nonce("n-0S6").code_hash(code).sign();
    /// let id_token = verifier.verify(&raw, Nonce::Expected("n-0S6"))?;
    /// id_token.verify_code_hash(code)?;
    /// assert_eq!(id_token.verify_code_hash("another-code"), Err(Error::CodeHashMismatch));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MissingClaim`] when the ID token has no `c_hash`;
    /// [`Error::CodeHashMismatch`] when it does not match.
    pub fn verify_code_hash(&self, code: &str) -> Result<(), Error> {
        let expected = self.c_hash.as_deref().ok_or(Error::MissingClaim { claim: "c_hash" })?;
        if left_half_hash(self.algorithm, code) == expected { Ok(()) } else { Err(Error::CodeHashMismatch) }
    }
}

/// base64url of the left half of the hash of `value` with the hash function
/// of `alg` (OpenID Connect Core §3.1.3.6, §3.3.2.11).
fn left_half_hash(alg: crate::keys::Algorithm, value: &str) -> String {
    let digest = aws_lc_rs::digest::digest(alg.digest(), value.as_bytes());
    let digest = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

impl<C: IdClaims> IdTokenVerifierBuilder<C> {
    common_setters!();

    /// Audiences besides the client ID that the client trusts to appear in `aud`.
    pub fn trusted_audiences<I, A>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        self.trusted_audiences = audiences.into_iter().map(|a| a.into().into_boxed_str()).collect();
        self
    }

    /// The `max_age` sent in the authentication request: `auth_time` becomes
    /// required and must be at most this old (plus the leeway).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Reads the user's role names from this claim for display, as
    /// [`IdToken::roles_for_display`] (RFC 9068 §2.2.3.1 shapes: an array of
    /// strings or of SCIM objects with a string `value`; any other shape
    /// refuses the token with [`Error::MalformedRoleClaim`]). Off by default.
    ///
    /// `RoleSource::Profile` reads `roles`.
    ///
    /// ```
    /// use tokenkind::{IdTokenVerifier, NoClaims, Nonce, RoleSource};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    ///
    /// let login = IdTokenVerifier::<NoClaims>::builder(dev.issuer(), dev.client_id())
    ///     .keys(dev.key_set())
    ///     .display_roles(RoleSource::claim("groups"))
    ///     .build()?;
    /// let id_token = dev.id_token().nonce("n").claim("groups", serde_json::json!(["admin"])).sign();
    /// let user = login.verify(&id_token, Nonce::Expected("n"))?;
    /// // Shows the admin menu; every API still decides for itself.
    /// assert!(user.roles_for_display().any(|r| r == "admin"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn display_roles(mut self, source: super::roles::RoleSource) -> Self {
        self.display_roles = Some(source);
        self
    }

    /// Checks the configuration and builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] when the issuer or client ID is empty, no keys were
    /// given, or a limit is out of range.
    pub fn build(self) -> Result<IdTokenVerifier<C>, ConfigError> {
        if self.display_roles.as_ref().is_some_and(|s| !s.is_valid()) {
            return Err(ConfigError::Invalid(
                "a role source names at least one claim, none empty, and never a registered claim such as `scope`",
            ));
        }
        if self.client_id.is_empty() {
            return Err(ConfigError::Empty("client ID"));
        }
        let config = IdConfig {
            built: self.common.build()?,
            client_id: self.client_id.into(),
            trusted_audiences: self.trusted_audiences.into(),
            max_age: self.max_age,
            display_roles: self.display_roles,
        };
        Ok(IdTokenVerifier { inner: Arc::new(config), _claims: PhantomData })
    }
}

impl<C: IdClaims> Clone for IdTokenVerifier<C> {
    /// Cheap: the configuration is shared.
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), _claims: PhantomData }
    }
}

impl<C: IdClaims> fmt::Debug for IdTokenVerifier<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenVerifier")
            .field("client_id", &self.inner.client_id)
            .field("trusted_audiences", &self.inner.trusted_audiences)
            .field("max_age", &self.inner.max_age)
            .field("config", &self.inner.built)
            .finish()
    }
}
