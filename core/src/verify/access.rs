//! Access-token verification (RFC 9068 §4, RFC 8725).

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;

use super::diagnose::{ACCESS_RULES, Diagnosis, Recorder, Rule, Verifying, Walk};
use super::jws::Typ;
use super::payload::{self, Payload, Value, require, string_ref};
use super::profile::Profile;
use super::roles::RoleSource;
use super::{Built, Common, common_setters};
use crate::claims::{AccessClaims, NoClaims};
use crate::error::{ConfigError, Error};
use crate::scope::{RoleSet, Roles, ScopeSet, Scopes};
use crate::token::{AccessToken, Binding};

/// Verifies JWT access tokens for one API (one issuer, one audience).
///
/// Build it once with [`AccessTokenVerifier::builder`] and share it (it is
/// `Send + Sync`; [`verify`](Self::verify) takes `&self` and never locks).
///
/// ```
/// use tokenkind::{AccessTokenVerifier, Error, KeySet, Scopes};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # let dev = DevIssuer::new();
/// # let (jwks, raw, id_token) = (dev.jwks(), dev.access_token().sign(), dev.id_token().sign());
/// let verifier = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
/// #   ; let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience())
///     .keys(KeySet::from_jwks(&jwks)?)
///     .build()?;
///
/// let token = verifier.verify(&raw)?;
/// assert!(matches!(verifier.verify(&id_token), Err(Error::WrongTokenType { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AccessTokenVerifier<S: Scopes, C: AccessClaims = NoClaims> {
    inner: Arc<AccessConfig>,
    _types: PhantomData<fn() -> (S, C)>,
}

struct AccessConfig {
    built: Built,
    audience: Box<str>,
    profile: Profile,
    roles: RoleSource,
}

/// Configures an [`AccessTokenVerifier`].
#[must_use]
pub struct AccessTokenVerifierBuilder<S: Scopes, C: AccessClaims = NoClaims> {
    common: Common,
    audience: String,
    profile: Profile,
    roles: RoleSource,
    _types: PhantomData<fn() -> (S, C)>,
}

impl<S: Scopes, C: AccessClaims> AccessTokenVerifier<S, C> {
    /// Starts a verifier for tokens issued by `issuer` (compared byte for
    /// byte with `iss`) for the API identified by `audience` (looked for in `aud`).
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> AccessTokenVerifierBuilder<S, C> {
        AccessTokenVerifierBuilder {
            common: Common::new(issuer.into()),
            audience: audience.into(),
            profile: Profile::default(),
            roles: RoleSource::default(),
            _types: PhantomData,
        }
    }

    /// Verifies a token: every check of the profile, then the custom claims.
    ///
    /// # Errors
    /// The first rule the token breaks, as an [`Error`] variant.
    pub fn verify(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.check_claims(&self.inner.built.verify_jws(token)?, Presented::AsBearer)
    }

    /// Every check after the signature: token kind, then the claims.
    pub(super) fn check_claims(
        &self,
        verified: &super::jws::Verified<'_>,
        presented: Presented,
    ) -> Result<AccessToken<S, C>, Error> {
        let (mut stack, mut heap) = ([0u8; super::jws::PAYLOAD_STACK], Vec::new());
        let payload = verified.claims(&mut stack, &mut heap)?;
        let typ = verified.header.typ.as_ref().map(Typ::as_str);
        let key_issuer = verified.key_issuer.as_deref();
        let checked = self.check_payload(&mut Verifying, typ, key_issuer, &payload, presented)?;
        Ok(self.token(checked))
    }

    /// Verifies a token like [`verify`](Self::verify); with a remote key
    /// source it may also wait for a (rate-limited, shared) key refresh when
    /// the token names a key not yet cached. Web extractors use this.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`Error::KeysUnavailable`] when no
    /// keys could be obtained.
    pub async fn verify_async(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.check_claims(&self.inner.built.verify_jws_async(token).await?, Presented::AsBearer)
    }

    /// Verifies a token presented with a proof of possession (a DPoP proof,
    /// or the TLS client certificate): a `cnf` claim is read into
    /// [`AccessToken::binding`] instead of refused. Only the HTTP pipeline
    /// calls it, and it then checks the proof against that binding.
    pub(crate) async fn verify_presented_with_proof(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.check_claims(&self.inner.built.verify_jws_async(token).await?, Presented::WithProof)
    }

    /// Applies every rule of [`verify`](Self::verify) to `token` and tells
    /// what each found, instead of stopping at the first failure: for people
    /// finding out why a token is refused (the `tokenkind` command, logs in
    /// development).
    ///
    /// The rules are `verify`'s own, in its order, so
    /// [`Diagnosis::error`] is exactly the error `verify` returns. A token
    /// with a bad signature still has its claims checked, as read from the
    /// unverified payload; only a token whose structure or payload cannot be
    /// read leaves the later rules [not reached](super::Outcome::NotReached).
    /// A remote key source lends the keys it holds now; nothing is fetched.
    ///
    /// ```
    /// use tokenkind::verify::{Outcome, Rule};
    /// use tokenkind::{Error, Scopes};
    /// # use tokenkind::dev::DevIssuer;
    ///
    /// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
    /// enum Api {
    ///     #[scope("read:messages")]
    ///     ReadMessages,
    /// }
    ///
    /// # let dev = DevIssuer::new();
    /// let verifier = dev.access_token_verifier::<Api>().build()?;
    /// let expired = dev.access_token().scope("read:messages").expires_in(-3600).sign();
    ///
    /// let diagnosis = verifier.diagnose(&expired);
    /// assert_eq!(diagnosis.failed_rule(), Some(Rule::Expiry));
    /// assert!(matches!(diagnosis.error(), Some(Error::Expired { .. })));
    /// assert_eq!(diagnosis.outcome(Rule::Signature), Some(&Outcome::Passed));
    /// assert_eq!(diagnosis.granted_scopes().collect::<Vec<_>>(), ["read:messages"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn diagnose(&self, token: &str) -> Diagnosis {
        let mut w = Recorder::new(ACCESS_RULES);
        if let Ok(verified) = self.inner.built.diagnose_jws(&mut w, token) {
            let (mut stack, mut heap) = ([0u8; super::jws::PAYLOAD_STACK], Vec::new());
            if let Ok(payload) = w.stop(Rule::Payload, verified.claims(&mut stack, &mut heap)) {
                let typ = verified.header.typ.as_ref().map(Typ::as_str);
                let key_issuer = verified.key_issuer.as_deref();
                if self.check_payload(&mut w, typ, key_issuer, &payload, Presented::AsBearer).is_ok()
                    && w.passed(Rule::Scopes)
                {
                    let _ = granted_scopes(self.inner.profile, &payload, |scope| {
                        if !scope.is_empty() {
                            w.grant(scope);
                        }
                    });
                }
            }
        }
        w.finish()
    }

    /// The rules after the signature, in order. `verify` stops at the first
    /// failure; `diagnose` records each outcome and goes on.
    fn check_payload<'p, W: Walk>(
        &self,
        w: &mut W,
        typ: Option<&str>,
        key_issuer: Option<&str>,
        p: &'p Payload<'_>,
        presented: Presented,
    ) -> Result<Checked<'p, W, S, C>, Error> {
        w.check(Rule::TokenKind, self.check_kind(typ, p))?;
        let issuer = w.check(Rule::Issuer, self.inner.built.check_issuer(p, key_issuer))?;
        // The audience first (except under Cognito, whose audience is the
        // client): a token for someone else, such as an ID token, is told so.
        let audience = w.check(Rule::Audience, self.check_audience(p))?;
        let client_id = w.check(Rule::Client, self.check_client(p))?;
        let times = self.inner.built.check_times(w, &p.reg)?;
        let sub = w.check(Rule::Subject, string_ref("sub", p.reg.sub.as_ref()).and_then(|s| require("sub", s)))?;
        let jti = w.check(Rule::JwtId, self.check_jwt_id(p))?;
        // Last of the token's own rules: a token that is otherwise valid for
        // this API is told it needs its proof of possession.
        let binding = w.check(
            Rule::SenderConstraint,
            match presented {
                Presented::AsBearer => reject_sender_constrained(p).map(|()| Binding::Bearer),
                Presented::WithProof => binding(p),
            },
        )?;
        let scopes = w.check(Rule::Scopes, self.scopes(p))?;
        let user = w.check(Rule::UserClaims, self.user_claims(p))?;
        let claims = w.check(Rule::CustomClaims, p.custom::<C>().and_then(|c| payload::validated(c, C::validate)))?;
        if payload::no_claims::<C>() {
            w.not_applicable(Rule::CustomClaims);
        }
        Ok(Checked { issuer, audience, client_id, times, sub, jti, binding, scopes, user, claims })
    }

    /// The verified token, from the values its rules kept.
    fn token(&self, c: Checked<'_, Verifying, S, C>) -> AccessToken<S, C> {
        // Under Cognito the checked value is `client_id`; an `aud` such a
        // token might carry was not checked and is not reported.
        let audience = match c.audience {
            Some(audience) if !self.inner.profile.audience_is_client() => audience,
            _ => crate::token::Audience::one(c.client_id.into()),
        };
        AccessToken {
            issuer: c.issuer,
            subject: c.sub.into(),
            audience,
            client_id: c.client_id.into(),
            jwt_id: c.jti.map(Into::into),
            expires_at: c.times.exp,
            issued_at: c.times.iat,
            not_before: c.times.nbf,
            scopes: c.scopes,
            binding: c.binding,
            roles: c.user.roles,
            acr: c.user.acr,
            amr: c.user.amr,
            auth_time: c.user.auth_time,
            verified_at: c.times.now,
            leeway: self.inner.built.leeway,
            claims: c.claims,
        }
    }

    /// The user's claims: the declared roles the user holds (read from the
    /// role source only when `S` declares roles), `acr`, `amr` and
    /// `auth_time`, each of its type when present (RFC 9068 §2.2.1,
    /// §2.2.3.1, RFC 9470 §3).
    fn user_claims(&self, p: &Payload<'_>) -> Result<UserClaims, Error> {
        let mut roles = RoleSet::<S::Roles>::empty();
        if !<S::Roles as Roles>::NAMES.is_empty() {
            let app_only = self.inner.profile == Profile::EntraId && entra_app_only(p)?;
            super::roles::user_roles(self.inner.profile, &self.inner.roles, p, app_only, |r| roles.insert_name(r))?;
        }
        let acr = string_ref("acr", p.reg.acr.as_ref())?.map(Into::into);
        let amr = payload::string_list("amr", p.reg.amr.as_ref())?.map(|l| l.iter().map(|s| (**s).into()).collect());
        let auth_time = payload::numeric_date("auth_time", p.reg.auth_time.as_ref())?;
        Ok(UserClaims { roles: roles.bits(), acr, amr, auth_time })
    }

    /// Token kind: ID-token-only claims and security events refused (any
    /// profile), then the profile's header `typ` rule and its own
    /// discriminator.
    fn check_kind(&self, typ: Option<&str>, p: &Payload<'_>) -> Result<(), Error> {
        reject_id_token_claims(p)?;
        reject_security_event(p)?;
        self.inner.profile.check_header_type(typ)?;
        self.inner.profile.check_token_kind(p)
    }

    /// `aud` must contain the API's identifier (RFC 9068 §4, RFC 7519
    /// §4.1.3); under Cognito, whose audience is the client, it need only be
    /// well formed when present.
    fn check_audience(&self, p: &Payload<'_>) -> Result<Option<crate::token::Audience>, Error> {
        let audience = payload::audience(p.reg.aud.as_ref())?;
        if self.inner.profile.audience_is_client() {
            return Ok(audience);
        }
        let audience = require("aud", audience)?;
        if audience.contains(&self.inner.audience) {
            Ok(Some(audience))
        } else {
            Err(Error::WrongAudience { expected: self.inner.audience.clone() })
        }
    }

    /// The profile's client claim is required (RFC 9068 §2.2 `client_id`);
    /// under Cognito it is the audience, so it must be this API's.
    fn check_client<'p>(&self, p: &'p Payload<'_>) -> Result<&'p str, Error> {
        let r = &p.reg;
        let client_claim = self.inner.profile.client_claim();
        let client_slot = match client_claim {
            "azp" => r.azp.as_ref(),
            "cid" => r.cid.as_ref(),
            _ => r.client_id.as_ref(),
        };
        let client_id = require(client_claim, string_ref(client_claim, client_slot)?)?;
        if self.inner.profile.audience_is_client() && client_id != &*self.inner.audience {
            return Err(Error::WrongAudience { expected: self.inner.audience.clone() });
        }
        Ok(client_id)
    }

    /// `jti` is a string when present, and required by the strict, Okta and
    /// Cognito profiles (RFC 9068 §2.2).
    fn check_jwt_id<'p>(&self, p: &'p Payload<'_>) -> Result<Option<&'p str>, Error> {
        let jti = string_ref("jti", p.reg.jti.as_ref())?;
        if self.inner.profile.requires_jti() && jti.is_none() {
            return Err(Error::MissingClaim { claim: "jti" });
        }
        Ok(jti)
    }

    /// The granted scopes that `S` declares (see [`granted_scopes`]);
    /// scopes `S` does not declare are ignored.
    fn scopes(&self, p: &Payload<'_>) -> Result<ScopeSet<S>, Error> {
        let mut set = ScopeSet::<S>::empty();
        granted_scopes(self.inner.profile, p, |scope| set.insert_name(scope))?;
        Ok(set)
    }

    /// The verifier's clock reading, seconds since the epoch.
    pub(crate) fn now(&self) -> i64 {
        self.inner.built.now()
    }

    /// The API identifier this verifier accepts in `aud`.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// The trusted issuer, as configured: for a multi-tenant verifier, the
    /// template with `{tenantid}` (each token's own issuer is
    /// [`AccessToken::issuer`]).
    pub fn issuer(&self) -> &str {
        &self.inner.built.issuer
    }

    /// Every issuer it trusts: its issuer, or for an issuer templated with
    /// `{tenantid}` one per allowed tenant; `None` when every tenant is allowed.
    pub(crate) fn trusted_issuers(&self) -> Option<Vec<String>> {
        self.inner.built.trusted_issuers()
    }

    /// The provider profile.
    pub fn profile(&self) -> Profile {
        self.inner.profile
    }
}

/// The values the rules after the signature keep for the token: the values
/// themselves when verifying, `Option`s when diagnosing.
struct Checked<'p, W: Walk, S: Scopes, C> {
    issuer: W::Kept<Arc<str>>,
    audience: W::Kept<Option<crate::token::Audience>>,
    client_id: W::Kept<&'p str>,
    times: super::Times<W>,
    sub: W::Kept<&'p str>,
    jti: W::Kept<Option<&'p str>>,
    binding: W::Kept<Binding>,
    scopes: W::Kept<ScopeSet<S>>,
    user: W::Kept<UserClaims>,
    claims: W::Kept<C>,
}

/// The user's claims an access token carries.
struct UserClaims {
    roles: u128,
    acr: Option<Box<str>>,
    amr: Option<Box<[Box<str>]>>,
    auth_time: Option<i64>,
}

/// Granted scopes: what the *client* was granted (RFC 6749 §3.3, RFC 9068
/// §2.2.3), never what the *user* may do (RFC 9068 §2.2.3.1). Read from
/// `scope` (a space-delimited string) and, under the Okta and Entra ID
/// profiles, `scp`; under Entra ID, app-only tokens carry the client's
/// application permissions in `roles` (see [`entra_app_only`]). Each name is
/// handed to `each`, in token order (the empty names a doubled space leaves
/// included).
fn granted_scopes(profile: Profile, p: &Payload<'_>, mut each: impl FnMut(&str)) -> Result<(), Error> {
    match p.reg.scope.as_ref() {
        None => {}
        Some(Value::Str(s)) => payload::each_space_delimited(s, &mut each),
        Some(_) => return Err(Error::MalformedClaim { claim: "scope", expected: "a space-delimited string" }),
    }
    let scp = if matches!(profile, Profile::Okta | Profile::EntraId) { p.reg.scp.as_ref() } else { None };
    match scp {
        None => {}
        Some(Value::Str(s)) => payload::each_space_delimited(s, &mut each),
        Some(Value::StrList(list)) => list.iter().for_each(|s| each(s)),
        Some(_) => {
            return Err(Error::MalformedClaim {
                claim: "scp",
                expected: "a space-delimited string or an array of strings",
            });
        }
    }
    if profile == Profile::EntraId && entra_app_only(p)? {
        match p.other("roles") {
            None => {}
            Some(Value::StrList(list)) => list.iter().for_each(|s| each(s)),
            Some(_) => return Err(Error::MalformedClaim { claim: "roles", expected: "an array of strings" }),
        }
    }
    Ok(())
}

/// Whether an Entra ID token was issued to the client itself
/// (client-credentials grant), so that `roles` holds the application
/// permissions granted to the client, not the user's app roles.
///
/// A token with `scp` is delegated, whatever else it says; otherwise the
/// optional `idtyp` claim decides (`"app"` or `"user"`); without it, a token
/// with `roles` and no `scp` is app-only (Entra ID access tokens, "Payload
/// claims": `scp`, `roles`, `idtyp`).
fn entra_app_only(p: &Payload<'_>) -> Result<bool, Error> {
    if p.reg.scp.is_some() {
        return Ok(false);
    }
    match p.other("idtyp") {
        Some(Value::Str(t)) if t == "app" => Ok(true),
        Some(Value::Str(t)) if t == "user" => Ok(false),
        Some(_) => Err(Error::MalformedClaim { claim: "idtyp", expected: "\"app\" or \"user\"" }),
        None => Ok(p.other("roles").is_some()),
    }
}

/// A token carrying `cnf` (RFC 7800) is bound to a key (DPoP, RFC 9449 §6)
/// or a certificate (mTLS, RFC 8705 §3) and may only be used with proof of
/// possession of it; presented as a bearer token it is refused, whatever
/// `cnf` holds (RFC 9449 §7.1, RFC 8705 §3).
fn reject_sender_constrained(p: &Payload<'_>) -> Result<(), Error> {
    if p.raw("cnf").is_some() { Err(Error::SenderConstrained) } else { Ok(()) }
}

/// A base64url SHA-256 thumbprint: 43 characters.
fn thumbprint(v: &serde_json::Value) -> Option<&str> {
    v.as_str().filter(|s| s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// How the token reached the verifier.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Presented {
    /// As a bearer token: a `cnf` refuses it.
    AsBearer,
    /// With a proof of possession that the caller checks against the binding.
    WithProof,
}

/// The confirmation method of `cnf` (RFC 7800 §3.1): `jkt` (RFC 9449 §6.1)
/// or `x5t#S256` (RFC 8705 §3.1), each a base64url SHA-256 thumbprint.
/// Anything else, both at once, or neither is refused: a binding that cannot
/// be checked is never read as no binding.
fn binding(p: &Payload<'_>) -> Result<Binding, Error> {
    const EXPECTED: &str =
        "an object with one confirmation method: `jkt` or `x5t#S256`, a base64url SHA-256 thumbprint";
    let Some(raw) = p.raw("cnf") else { return Ok(Binding::Bearer) };
    let malformed = Error::MalformedClaim { claim: "cnf", expected: EXPECTED };
    let members: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw).map_err(|_| malformed.clone())?;
    match (members.len(), members.get("jkt"), members.get("x5t#S256")) {
        (1, Some(jkt), None) => thumbprint(jkt).map(|t| Binding::Dpop { jkt: t.into() }).ok_or(malformed),
        (1, None, Some(x5t)) => thumbprint(x5t).map(|t| Binding::Mtls { x5t_s256: t.into() }).ok_or(malformed),
        _ => Err(malformed),
    }
}

/// A token carrying `events` is a Security Event Token (RFC 8417 §2.2),
/// such as a Back-Channel Logout token (Back-Channel Logout 1.0 §2.4):
/// never an access or ID token.
pub(super) fn reject_security_event(p: &Payload<'_>) -> Result<(), Error> {
    if p.raw("events").is_some() { Err(Error::SecurityEventToken { reason: "it carries `events`" }) } else { Ok(()) }
}

/// A token carrying `nonce`, `at_hash` or `c_hash` is an ID token
/// (OpenID Connect Core §2, §3.3.2.11), whatever the profile.
pub(super) fn reject_id_token_claims(p: &Payload<'_>) -> Result<(), Error> {
    let r = &p.reg;
    let reason = if r.nonce.is_some() {
        "it carries `nonce`"
    } else if r.at_hash.is_some() {
        "it carries `at_hash`"
    } else if r.c_hash.is_some() {
        "it carries `c_hash`"
    } else {
        return Ok(());
    };
    Err(Error::IdTokenAsAccessToken { reason })
}

impl<S: Scopes, C: AccessClaims> AccessTokenVerifierBuilder<S, C> {
    common_setters!();

    /// The identity provider profile (default: strict RFC 9068).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Where the user's roles are read (default: the profile's own claim,
    /// see [`RoleSource`]). Read only when the API's scope enum names a
    /// roles enum (`#[scopes(roles = Role)]`).
    pub fn roles_from(mut self, source: RoleSource) -> Self {
        self.roles = source;
        self
    }

    /// Checks the configuration and builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] when the issuer or audience is empty, no keys were
    /// given, or a limit is out of range.
    pub fn build(self) -> Result<AccessTokenVerifier<S, C>, ConfigError> {
        if self.audience.is_empty() {
            return Err(ConfigError::Empty("audience"));
        }
        if !self.roles.is_valid() {
            return Err(ConfigError::Invalid(
                "a role source names at least one claim, none empty, and never a registered claim such as `scope`",
            ));
        }
        let config = AccessConfig {
            built: self.common.build()?,
            audience: self.audience.into(),
            profile: self.profile,
            roles: self.roles,
        };
        Ok(AccessTokenVerifier { inner: Arc::new(config), _types: PhantomData })
    }
}

impl<S: Scopes, C: AccessClaims> Clone for AccessTokenVerifier<S, C> {
    /// Cheap: the configuration is shared.
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), _types: PhantomData }
    }
}

impl<S: Scopes, C: AccessClaims> fmt::Debug for AccessTokenVerifier<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenVerifier")
            .field("scopes", &S::TYPE_NAME)
            .field("audience", &self.inner.audience)
            .field("profile", &self.inner.profile)
            .field("config", &self.inner.built)
            .finish()
    }
}
