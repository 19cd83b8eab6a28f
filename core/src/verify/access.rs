//! Access-token verification (RFC 9068 §4, RFC 8725).

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;

use super::diagnose::{ACCESS_RULES, Diagnosis, Recorder, Rule, Verifying, Walk};
use super::introspected;
#[cfg(feature = "remote")]
use super::introspected::Introspect;
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
    /// Shared with each token that names only this API.
    audience: Arc<str>,
    profile: Profile,
    roles: RoleSource,
    #[cfg(feature = "remote")]
    introspection: Option<(crate::remote::Introspection, Introspect)>,
}

/// Configures an [`AccessTokenVerifier`].
#[must_use]
pub struct AccessTokenVerifierBuilder<S: Scopes, C: AccessClaims = NoClaims> {
    common: Common,
    audience: String,
    profile: Profile,
    roles: RoleSource,
    #[cfg(feature = "remote")]
    introspection: Option<(crate::remote::Introspection, Introspect)>,
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
            #[cfg(feature = "remote")]
            introspection: None,
            _types: PhantomData,
        }
    }

    /// Verifies a token: every check of the profile, then the custom claims.
    ///
    /// # Errors
    /// The first rule the token breaks, as an [`Error`] variant.
    ///
    /// A verifier that [introspects](AccessTokenVerifierBuilder::introspection)
    /// a token needs the network: such a token gets
    /// [`Error::IntrospectionNeedsAsync`] here; use
    /// [`verify_async`](Self::verify_async).
    pub fn verify(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        #[cfg(feature = "remote")]
        if self.introspects(token) {
            return Err(Error::IntrospectionNeedsAsync);
        }
        self.check_claims(&self.inner.built.verify_jws(token)?, Presented::AsBearer)
    }

    /// Every check after the signature: token kind, then the claims.
    pub(super) fn check_claims(
        &self,
        verified: &super::jws::Verified<'_>,
        presented: Presented,
    ) -> Result<AccessToken<S, C>, Error> {
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
        let typ = verified.header.typ.as_ref();
        let key_issuer = verified.key_issuer.as_deref();
        let checked = self.check_payload(&mut Verifying, Origin::Jws { typ, key_issuer }, &payload, presented)?;
        Ok(self.token(checked))
    }

    /// Verifies a token like [`verify`](Self::verify); with a remote key
    /// source it may also wait for a (rate-limited, shared) key refresh when
    /// the token names a key not yet cached. Web extractors use this.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`Error::KeysUnavailable`] when no
    /// keys could be obtained.
    ///
    /// A verifier that [introspects](AccessTokenVerifierBuilder::introspection)
    /// tokens sends the token to the introspection endpoint (or finds the
    /// answer in its cache) and checks the answer with the same rules.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), plus [`Error::KeysUnavailable`] when no
    /// keys could be obtained, and for introspected tokens
    /// [`Error::InactiveToken`] and [`Error::IntrospectionUnavailable`].
    pub async fn verify_async(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.verify_presented(token, Presented::AsBearer).await
    }

    /// Verifies a token presented with a proof of possession (a DPoP proof,
    /// or the TLS client certificate): a `cnf` claim is read into
    /// [`AccessToken::binding`] instead of refused. Only the HTTP pipeline
    /// calls it, and it then checks the proof against that binding.
    pub(crate) async fn verify_presented_with_proof(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.verify_presented(token, Presented::WithProof).await
    }

    async fn verify_presented(&self, token: &str, presented: Presented) -> Result<AccessToken<S, C>, Error> {
        #[cfg(feature = "remote")]
        if self.introspects(token) {
            return self.introspect(token, presented).await;
        }
        self.check_claims(&self.inner.built.verify_jws_async(token).await?, presented)
    }

    /// Whether `token` goes to the introspection endpoint (see [`Introspect`]).
    #[cfg(feature = "remote")]
    fn introspects(&self, token: &str) -> bool {
        match &self.inner.introspection {
            None => false,
            Some((_, Introspect::EveryToken)) => true,
            Some((_, Introspect::OpaqueTokens)) => !crate::remote::introspection::is_jws_shaped(token),
        }
    }

    /// Introspects `token` (RFC 7662 §2), through the cache, and checks the
    /// answer with the access-token rules and the introspection rules.
    #[cfg(feature = "remote")]
    async fn introspect(&self, token: &str, presented: Presented) -> Result<AccessToken<S, C>, Error> {
        let Some((introspection, _)) = &self.inner.introspection else { return Err(Error::IntrospectionUnavailable) };
        // The length limit and the RFC 6750 §2.1 characters, before anything leaves the process.
        super::jws::check_length(token, self.inner.built.max_token_len)?;
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Malformed(crate::error::Malformed::Segments));
        }
        let allowed = introspection.allowed();
        let client_id = introspection.client_auth().client_id();
        introspection
            .introspect(
                token,
                &self.inner.built.issuer,
                self.now(),
                |answer| self.open_answer(answer, client_id),
                |json| self.check_introspected(json, presented, allowed),
                AccessToken::expires_at,
            )
            .await
    }

    /// A fresh answer, as the introspection response's JSON: a plain one
    /// checked for its shape, a signed one (RFC 9701) verified with the
    /// verifier's keys first. An `Err` is the provider's fault (503).
    #[cfg(feature = "remote")]
    async fn open_answer(
        &self,
        answer: crate::remote::introspection::Answer,
        client_id: &str,
    ) -> Result<Box<[u8]>, String> {
        use crate::remote::introspection::Answer;
        match answer {
            Answer::Json(json) => {
                introspected::check_response_shape(&json)?;
                Ok(json.into_boxed_slice())
            }
            Answer::Unsupported => {
                tracing::info!(
                    issuer = self.issuer(),
                    "the introspection endpoint does not introspect this kind of token (unsupported_token_type); \
                     it is refused as inactive"
                );
                Ok(introspected::INACTIVE.into())
            }
            Answer::Jwt(jwt) => {
                let jwt = jwt.trim();
                let verified = self
                    .inner
                    .built
                    .verify_jws_async(jwt)
                    .await
                    .map_err(|e| format!("the signed answer could not be verified: {e}"))?;
                let (mut stack, mut heap) = ([0u8; super::jws::PAYLOAD_STACK], Vec::new());
                let payload = verified.claims(&mut stack, &mut heap).map_err(|e| format!("the signed answer: {e}"))?;
                let typ = verified.header.typ.as_ref().map(Typ::as_str);
                introspected::open_signed(typ, &payload, &self.inner.built.issuer, client_id)
            }
        }
    }

    /// The rules for an introspection response: `active`, `token_type`,
    /// then every access-token rule after the signature.
    #[cfg(feature = "remote")]
    fn check_introspected(
        &self,
        json: &[u8],
        presented: Presented,
        allowed: crate::remote::introspection::Allowed,
    ) -> Result<AccessToken<S, C>, Error> {
        let payload = payload::Payload::parse(json)?;
        let origin = Origin::Introspection {
            missing_audience: allowed.missing_audience,
            missing_subject: allowed.missing_subject,
        };
        let checked = self.check_payload(&mut Verifying, origin, &payload, presented)?;
        Ok(self.token(checked))
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
                let typ = verified.header.typ.as_ref();
                let key_issuer = verified.key_issuer.as_deref();
                if self.check_payload(&mut w, Origin::Jws { typ, key_issuer }, &payload, Presented::AsBearer).is_ok()
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
        origin: Origin<'_>,
        p: &'p Payload<'_>,
        presented: Presented,
    ) -> Result<Checked<'p, W, S, C>, Error> {
        w.check(Rule::TokenKind, self.check_kind(origin, p))?;
        let key_issuer = match origin {
            Origin::Jws { key_issuer, .. } => key_issuer,
            Origin::Introspection { .. } => None,
        };
        let issuer = w.check(Rule::Issuer, self.inner.built.check_issuer(p, key_issuer))?;
        // The audience first (except under Cognito, whose audience is the
        // client): a token for someone else, such as an ID token, is told so.
        let audience = w.check(Rule::Audience, self.check_audience(origin, p))?;
        let client_id = w.check(Rule::Client, self.check_client(p))?;
        let times = self.inner.built.check_times(w, &p.reg)?;
        let sub = w.check(Rule::Subject, self.check_subject(origin, p))?;
        let jti = w.check(Rule::JwtId, self.check_jwt_id(origin, p))?;
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
            _ if self.inner.profile.audience_is_client() => crate::token::Audience::one(c.client_id),
            // An introspected token without `aud`, accepted by the opt-in:
            // this API took it as its own.
            _ => crate::token::Audience::one(self.inner.audience.clone()),
        };
        AccessToken {
            issuer: c.issuer,
            identifiers: crate::token::TokenText::new(c.sub, c.client_id, c.jti),
            audience,
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
    /// An introspected token has no header: its answer must say it is
    /// active and, when it names a `token_type`, an access token's.
    fn check_kind(&self, origin: Origin<'_>, p: &Payload<'_>) -> Result<(), Error> {
        reject_id_token_claims(p)?;
        reject_security_event(p)?;
        match origin {
            Origin::Jws { typ, .. } => self.inner.profile.check_header_type(typ)?,
            Origin::Introspection { .. } => {
                introspected::check_active(p)?;
                introspected::check_token_type(p)?;
            }
        }
        self.inner.profile.check_token_kind(p)
    }

    /// `aud` must contain the API's identifier (RFC 9068 §4, RFC 7519
    /// §4.1.3); under Cognito, whose audience is the client, it need only be
    /// well formed when present.
    ///
    /// An introspection response without `aud` passes only with
    /// [`allow_responses_without_audience`](crate::remote::IntrospectionBuilder::allow_responses_without_audience).
    fn check_audience(&self, origin: Origin<'_>, p: &Payload<'_>) -> Result<Option<crate::token::Audience>, Error> {
        // The usual case: `aud` is this API alone, and the token shares the verifier's copy.
        if let Some(Value::Str(aud)) = &p.reg.aud
            && !aud.is_empty()
            && **aud == *self.inner.audience
            && !self.inner.profile.audience_is_client()
        {
            return Ok(Some(crate::token::Audience::one(Arc::clone(&self.inner.audience))));
        }
        let audience = payload::audience(p.reg.aud.as_ref())?;
        if self.inner.profile.audience_is_client() {
            return Ok(audience);
        }
        if audience.is_none() && matches!(origin, Origin::Introspection { missing_audience: true, .. }) {
            return Ok(None);
        }
        let audience = require("aud", audience)?;
        if audience.contains(&self.inner.audience) {
            Ok(Some(audience))
        } else {
            Err(Error::WrongAudience { expected: (*self.inner.audience).into() })
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
            return Err(Error::WrongAudience { expected: (*self.inner.audience).into() });
        }
        Ok(client_id)
    }

    /// `sub` is a non-empty string, required (RFC 9068 §2.2). An
    /// introspection response may leave it out for a token with no resource
    /// owner (RFC 7662 §2.2); only with
    /// [`allow_responses_without_subject`](crate::remote::IntrospectionBuilder::allow_responses_without_subject)
    /// is the subject then the client, as RFC 9068 §2.2 has an
    /// authorization server write it into a JWT. Never otherwise does the
    /// client's identifier stand in for a user's.
    fn check_subject<'p>(&self, origin: Origin<'_>, p: &'p Payload<'_>) -> Result<&'p str, Error> {
        let sub = string_ref("sub", p.reg.sub.as_ref())?;
        match (sub, origin) {
            (None, Origin::Introspection { missing_subject: true, .. }) => self.check_client(p),
            (sub, _) => require("sub", sub),
        }
    }

    /// `jti` is a string when present, and required in a JWT by the strict,
    /// Okta and Cognito profiles (RFC 9068 §2.2); an introspected token is
    /// its own identifier, and its answer may leave `jti` out (RFC 7662 §2.2).
    fn check_jwt_id<'p>(&self, origin: Origin<'_>, p: &'p Payload<'_>) -> Result<Option<&'p str>, Error> {
        let jti = string_ref("jti", p.reg.jti.as_ref())?;
        if self.inner.profile.requires_jti() && jti.is_none() && matches!(origin, Origin::Jws { .. }) {
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

/// Where the claims come from.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// A JWS verified with the issuer's keys: its header `typ`, and the
    /// issuer its signing key names in the JWKS, if any.
    Jws { typ: Option<&'a Typ>, key_issuer: Option<&'a str> },
    /// An introspection response (RFC 7662 §2.2), and whether the
    /// verifier's opt-ins let it leave out `aud` or `sub`.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    Introspection { missing_audience: bool, missing_subject: bool },
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

    /// Introspects tokens (RFC 7662) at `introspection`'s endpoint: opaque
    /// ones only, or every token (see [`Introspect`]). The answers pass the
    /// same rules as a JWT (issuer, audience, client, times, scopes,
    /// binding, custom claims) and give the same [`AccessToken`]; only
    /// [`verify_async`](AccessTokenVerifier::verify_async) (which every web
    /// adapter uses) can introspect.
    ///
    /// With [`Introspect::OpaqueTokens`], and with signed answers, the
    /// verifier also needs the issuer's keys.
    #[cfg(feature = "remote")]
    pub fn introspection(mut self, introspection: crate::remote::Introspection, which: Introspect) -> Self {
        self.common.keys_optional = which == Introspect::EveryToken && !introspection.requires_signed_responses();
        self.introspection = Some((introspection, which));
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
        #[cfg(feature = "remote")]
        if let Some(discovered) = self.introspection.as_ref().and_then(|(i, _)| i.issuer())
            && discovered != &*self.common.issuer
        {
            return Err(ConfigError::Invalid(
                "the introspection endpoint is discovered for another issuer than the verifier's",
            ));
        }
        let config = AccessConfig {
            built: self.common.build()?,
            audience: self.audience.into(),
            profile: self.profile,
            roles: self.roles,
            #[cfg(feature = "remote")]
            introspection: self.introspection,
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
