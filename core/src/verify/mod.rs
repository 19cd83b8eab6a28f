//! The verifiers: the only producers of [`AccessToken`](crate::AccessToken)
//! and [`IdToken`](crate::IdToken).
//!
//! Checks run in a fixed order: length, structure, header, algorithm, key,
//! signature; then, on the verified payload: token kind, issuer, audience,
//! times, required claims, custom claims. Each rule is one function below,
//! named after it, with its RFC section. `diagnose` walks the same rules
//! without stopping at the first failure (see [`Diagnosis`]).

mod access;
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench;
mod diagnose;
pub(crate) mod dpop_proof;
mod id;
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
mod introspected;
mod issuers;
pub(crate) mod jws;
mod logout;
mod payload;
mod profile;
mod resolver;
mod roles;
mod tenants;
mod time;

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

pub use self::access::{AccessTokenVerifier, AccessTokenVerifierBuilder};
pub use self::diagnose::{Check, Diagnosis, Outcome, Rule};
pub use self::id::{IdTokenVerifier, IdTokenVerifierBuilder, Nonce};
pub use self::introspected::Introspect;
pub use self::issuers::{IssuerRouter, IssuerVerifier};
pub use self::logout::{BACKCHANNEL_LOGOUT_EVENT, LogoutToken, LogoutTokenVerifier, LogoutTokenVerifierBuilder};
pub use self::profile::Profile;
#[doc(hidden)]
pub use self::profile::{Classification, TokenKind, classify};
pub use self::resolver::{DEFAULT_MAX_CACHED_ISSUERS, IssuerResolver, Resolution};
pub use self::roles::RoleSource;
pub use self::tenants::{ENTRA_ID_V2_ISSUER, MICROSOFT_ACCOUNTS_TENANT};
pub use self::time::{Clock, SystemClock};
use crate::error::{ConfigError, Error};
use crate::keys::{Algorithm, KeySet};
use diagnose::{Recorder, Verifying, Walk};
use jws::AlgSet;

/// Default clock leeway: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// The largest leeway a verifier accepts: 5 minutes.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// Default token length limit: 16 KiB.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;
/// The largest token length limit a verifier accepts: 1 MiB.
pub const MAX_MAX_TOKEN_LEN: usize = 1024 * 1024;

/// The asymmetric algorithms allowed by default. HMAC algorithms are added
/// only by configuring an HMAC secret ([`KeySet::with_hmac`]).
pub const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Where a verifier's keys come from.
#[derive(Clone, Debug)]
enum KeySource {
    Static(KeySet),
    #[cfg(feature = "remote")]
    Remote(crate::remote::RemoteKeys),
}

impl KeySource {
    /// Whether a configured HMAC secret allows `alg` (remote keys never hold one).
    fn has_secret_for(&self, alg: Algorithm) -> bool {
        match self {
            Self::Static(k) => k.has_algorithm(alg),
            #[cfg(feature = "remote")]
            Self::Remote(_) => false,
        }
    }
}

/// The keys as configured on a builder; remote ones are set up by `Common::build`.
#[derive(Clone)]
enum KeyConfig {
    Source(KeySource),
    #[cfg(feature = "remote")]
    JwksUri(String),
    #[cfg(feature = "remote")]
    Discovery,
}

/// Settings shared by both verifiers.
#[derive(Clone)]
struct Common {
    issuer: Arc<str>,
    keys: Option<KeyConfig>,
    leeway: Duration,
    max_token_len: usize,
    algorithms: Option<Vec<Algorithm>>,
    clock: Arc<dyn Clock>,
    tenants: tenants::TenantConfig,
    /// Every token is introspected: the verifier may have no keys.
    keys_optional: bool,
}

impl Common {
    fn new(issuer: String) -> Self {
        Self {
            issuer: issuer.into(),
            keys: None,
            leeway: DEFAULT_LEEWAY,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            algorithms: None,
            clock: Arc::new(SystemClock),
            tenants: tenants::TenantConfig::default(),
            keys_optional: false,
        }
    }

    fn build(self) -> Result<Built, ConfigError> {
        if self.issuer.is_empty() {
            return Err(ConfigError::Empty("issuer"));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge { leeway: self.leeway.as_secs(), max: MAX_LEEWAY.as_secs() });
        }
        if !(256..=MAX_MAX_TOKEN_LEN).contains(&self.max_token_len) {
            return Err(ConfigError::Invalid("the token length limit must be between 256 bytes and 1 MiB"));
        }
        let tenants = self.tenants.build(&self.issuer)?;
        #[cfg(feature = "remote")]
        if tenants.is_some() && matches!(self.keys, Some(KeyConfig::Discovery)) {
            // Discovery would ask a URL holding the literal `{tenantid}`.
            return Err(ConfigError::Invalid(
                "an issuer templated with `{tenantid}` cannot be discovered: give its JWKS URL with `.jwks_uri(...)`",
            ));
        }
        let configured = match self.keys {
            None if self.keys_optional => KeyConfig::Source(KeySource::Static(KeySet::new())),
            other => other.ok_or(ConfigError::NoKeys)?,
        };
        #[cfg_attr(not(feature = "remote"), allow(clippy::infallible_destructuring_match))]
        let keys = match configured {
            KeyConfig::Source(source) => source,
            #[cfg(feature = "remote")]
            KeyConfig::JwksUri(url) => KeySource::Remote(crate::remote::RemoteKeys::jwks_uri(url).build()?),
            #[cfg(feature = "remote")]
            KeyConfig::Discovery => KeySource::Remote(crate::remote::RemoteKeys::discover(&*self.issuer).build()?),
        };
        match &keys {
            KeySource::Static(k) if k.is_empty() && !self.keys_optional => return Err(ConfigError::NoKeys),
            KeySource::Static(_) => {}
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                // Discovery is bound to one issuer (OpenID Connect Discovery 1.0 §4.3).
                if remote.issuer().is_some_and(|i| i != &*self.issuer) {
                    return Err(ConfigError::Invalid("the remote keys discover another issuer than the verifier's"));
                }
            }
        }
        // HMAC is allowed only for explicitly configured secrets: the key set
        // itself restricts each HMAC key to its algorithm, and asymmetric keys
        // never accept HS*; the allowlist adds HS* only when the user lists it
        // or configured a secret.
        let allowed = if let Some(list) = &self.algorithms {
            if list.is_empty() {
                return Err(ConfigError::Invalid("the algorithm allowlist must not be empty"));
            }
            AlgSet::of(list)
        } else {
            let mut list = DEFAULT_ALGORITHMS.to_vec();
            list.extend(Algorithm::ALL.iter().filter(|a| a.is_symmetric() && keys.has_secret_for(**a)));
            AlgSet::of(&list)
        };
        Ok(Built {
            issuer: self.issuer,
            tenants,
            keys,
            leeway: self.leeway.as_secs(),
            max_token_len: self.max_token_len,
            allowed,
            clock: self.clock,
            headers: jws::HeaderCache::default(),
            layout: payload::LayoutHint::default(),
        })
    }
}

/// A validated configuration.
#[derive(Clone)]
struct Built {
    /// The trusted issuer, or a template with `{tenantid}` when `tenants` is set.
    issuer: Arc<str>,
    tenants: Option<tenants::TenantPolicy>,
    keys: KeySource,
    leeway: u64,
    max_token_len: usize,
    allowed: AlgSet,
    clock: Arc<dyn Clock>,
    headers: jws::HeaderCache,
    /// The order of its tokens' claims, as last seen.
    pub(crate) layout: payload::LayoutHint,
}

impl Built {
    /// Every issuer this configuration trusts, or `None` when it cannot be
    /// listed (a templated issuer open to every tenant).
    pub(crate) fn trusted_issuers(&self) -> Option<Vec<String>> {
        match &self.tenants {
            None => Some(vec![self.issuer.to_string()]),
            Some(tenants::TenantPolicy::Any) => None,
            Some(tenants::TenantPolicy::Only(list)) => {
                Some(list.iter().map(|tid| self.issuer.replace("{tenantid}", tid)).collect())
            }
        }
    }

    /// Checks the JWS with the keys at hand; a remote key source never waits
    /// here (a missing key starts a refresh in the background).
    fn verify_jws<'t>(&self, token: &'t str) -> Result<jws::Verified<'t>, Error> {
        let check =
            |keys: &KeySet| jws::verify(&mut Verifying, token, self.max_token_len, self.allowed, keys, &self.headers);
        match &self.keys {
            KeySource::Static(keys) => check(keys),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => remote.verify_now(check),
        }
    }

    /// Like [`Built::verify_jws`]; a remote key source waits for the
    /// (single-flight, rate-limited) refresh a missing key starts.
    #[cfg_attr(not(feature = "remote"), allow(clippy::unused_async))]
    async fn verify_jws_async<'t>(&self, token: &'t str) -> Result<jws::Verified<'t>, Error> {
        match &self.keys {
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                remote
                    .verify_waiting(|keys| {
                        jws::verify(&mut Verifying, token, self.max_token_len, self.allowed, keys, &self.headers)
                    })
                    .await
            }
            _ => self.verify_jws(token),
        }
    }

    /// The JWS rules of [`Built::verify_jws`], each recorded. A remote key
    /// source lends the keys it would verify with now; nothing is fetched.
    fn diagnose_jws<'t>(&self, w: &mut Recorder, token: &'t str) -> Result<jws::Verified<'t, Recorder>, Error> {
        match &self.keys {
            KeySource::Static(keys) => jws::verify(w, token, self.max_token_len, self.allowed, keys, &self.headers),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => {
                let Some(keys) = remote.usable_keys() else {
                    let result = jws::verify(w, token, self.max_token_len, self.allowed, &KeySet::new(), &self.headers);
                    // As when verifying: without any keys, no key is unknown; none is available.
                    w.replace_failure(Rule::Key, |e| matches!(e, Error::UnknownKey { .. }), &Error::KeysUnavailable);
                    return result;
                };
                jws::verify(w, token, self.max_token_len, self.allowed, &keys, &self.headers)
            }
        }
    }

    /// `iss` is required and must equal the configured issuer byte for byte
    /// (RFC 9068 §4, OpenID Connect Core §3.1.3.7 step 2); for an issuer
    /// templated with `{tenantid}`, the template with the token's own `tid`
    /// (a GUID, required) substituted, and that tenant must be trusted. When
    /// the signing key names an `issuer` in its JWKS entry, `iss` must agree
    /// with it too. Gives the verified issuer.
    fn check_issuer(&self, p: &payload::Payload<'_>, key_issuer: Option<&str>) -> Result<Arc<str>, Error> {
        let iss = payload::require("iss", payload::string_ref("iss", p.reg.iss.as_ref())?)?;
        let issuer = match &self.tenants {
            None if iss.as_bytes() == self.issuer.as_bytes() => self.issuer.clone(),
            None => return Err(Error::WrongIssuer { found: crate::error::Echo::new(iss) }),
            Some(policy) => {
                let tid = payload::require("tid", tenants::token_tenant(p)?)?;
                tenants::check_templated_issuer(&self.issuer, iss, &tid)?;
                tenants::check_tenant_allowed(policy, &tid)?;
                Arc::from(iss)
            }
        };
        if let Some(key_issuer) = key_issuer {
            tenants::check_key_issuer(key_issuer, iss, p)?;
        }
        Ok(issuer)
    }
}

/// The checked time claims, and the clock reading they were checked against.
struct Times<W: Walk = Verifying> {
    now: i64,
    exp: W::Kept<i64>,
    nbf: W::Kept<Option<i64>>,
    iat: W::Kept<i64>,
}

impl Built {
    /// `exp` and `iat` required, `nbf` when present, all within the leeway
    /// (RFC 7519 §4.1.4–4.1.6, RFC 9068 §4, OpenID Connect Core §3.1.3.7 steps 9–10).
    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn check_times<W: Walk>(&self, w: &mut W, r: &payload::Registered<'_>) -> Result<Times<W>, Error> {
        let (now, leeway) = (self.clock.now(), self.leeway);
        let required = |claim, v| payload::numeric_date(claim, v).and_then(|t| payload::require(claim, t));
        let exp = w.check(Rule::TimeClaims, required("exp", r.exp.as_ref()))?;
        let nbf = w.check(Rule::TimeClaims, payload::numeric_date("nbf", r.nbf.as_ref()))?;
        let iat = w.check(Rule::TimeClaims, required("iat", r.iat.as_ref()))?;
        match W::get(&exp) {
            Ok(exp) => w.check(Rule::Expiry, time::check_expiry(*exp, now, leeway))?,
            Err(missing) => w.not_reached::<()>(Rule::Expiry, missing),
        };
        match W::get(&nbf) {
            Ok(nbf) => {
                w.check(Rule::NotBefore, time::check_not_before(*nbf, now, leeway))?;
                if nbf.is_none() {
                    w.not_applicable(Rule::NotBefore);
                }
            }
            Err(missing) => {
                w.not_reached::<()>(Rule::NotBefore, missing);
            }
        }
        match W::get(&iat) {
            Ok(iat) => w.check(Rule::IssuedAt, time::check_issued_at(Some(*iat), now, leeway))?,
            Err(missing) => w.not_reached::<()>(Rule::IssuedAt, missing),
        };
        Ok(Times { now, exp, nbf, iat })
    }
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("tenants", &self.tenants)
            .field("keys", &self.keys)
            .field("leeway_secs", &self.leeway)
            .field("max_token_len", &self.max_token_len)
            .field("algorithms", &self.allowed)
            .finish_non_exhaustive()
    }
}

macro_rules! common_setters {
    () => {
        /// The trusted keys.
        pub fn keys(mut self, keys: crate::keys::KeySet) -> Self {
            self.common.keys = Some(super::KeyConfig::Source(super::KeySource::Static(keys)));
            self
        }

        /// Keys from this JWKS URL, fetched when first needed and cached
        /// with the default settings of [`RemoteKeys`](crate::remote::RemoteKeys)
        /// (`https` only, except loopback hosts; checked by `build`).
        ///
        /// ```
        /// # use tokenkind::{AccessTokenVerifier, Scopes};
        /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        /// # enum Api { #[scope("read:messages")] Read }
        /// let verifier = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
        ///     .jwks_uri("https://issuer.example/.well-known/jwks.json")
        ///     .build()?;
        /// # Ok::<(), tokenkind::ConfigError>(())
        /// ```
        #[cfg(feature = "remote")]
        pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
            self.common.keys = Some(super::KeyConfig::JwksUri(url.into()));
            self
        }

        /// Keys found by discovering the issuer given to `builder`
        /// (`{issuer}/.well-known/openid-configuration`, then RFC 8414),
        /// whose document must name exactly that issuer; cached with the
        /// default settings of [`RemoteKeys`](crate::remote::RemoteKeys).
        ///
        /// ```
        /// # use tokenkind::{AccessTokenVerifier, Scopes};
        /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        /// # enum Api { #[scope("read:messages")] Read }
        /// let verifier = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
        ///     .discovery()
        ///     .build()?;
        /// # Ok::<(), tokenkind::ConfigError>(())
        /// ```
        #[cfg(feature = "remote")]
        pub fn discovery(mut self) -> Self {
            self.common.keys = Some(super::KeyConfig::Discovery);
            self
        }

        /// Keys from a [`RemoteKeys`](crate::remote::RemoteKeys) cache you
        /// configured (and may share with other verifiers of the same issuer).
        /// A cache built by discovery must discover this verifier's issuer.
        ///
        /// ```
        /// # use tokenkind::{AccessTokenVerifier, Scopes};
        /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        /// # enum Api { #[scope("read:messages")] Read }
        /// use tokenkind::remote::RemoteKeys;
        /// let keys = RemoteKeys::discover("https://issuer.example").build()?;
        /// let verifier = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
        ///     .remote_keys(keys)
        ///     .build()?;
        /// # Ok::<(), tokenkind::ConfigError>(())
        /// ```
        #[cfg(feature = "remote")]
        pub fn remote_keys(mut self, keys: crate::remote::RemoteKeys) -> Self {
            self.common.keys = Some(super::KeyConfig::Source(super::KeySource::Remote(keys)));
            self
        }

        /// Clock leeway for `exp`, `nbf` and `iat` (default 60 s, at most 5 minutes).
        pub fn leeway(mut self, leeway: core::time::Duration) -> Self {
            self.common.leeway = leeway;
            self
        }

        /// Tokens longer than this are refused before decoding (default 16 KiB).
        pub fn max_token_len(mut self, bytes: usize) -> Self {
            self.common.max_token_len = bytes;
            self
        }

        /// Replaces the algorithm allowlist (default: every asymmetric
        /// algorithm, plus HMAC for configured secrets). Each key still
        /// restricts what it verifies.
        pub fn algorithms(mut self, algorithms: &[crate::keys::Algorithm]) -> Self {
            self.common.algorithms = Some(algorithms.to_vec());
            self
        }

        /// Trusts tokens of these tenants only, for an issuer templated with
        /// `{tenantid}` such as [`ENTRA_ID_V2_ISSUER`](crate::verify::ENTRA_ID_V2_ISSUER):
        /// the token's `tid` must be one of them (GUIDs, compared without
        /// regard to case) and `iss` the template with that `tid`
        /// substituted. May be called several times; `build` refuses a
        /// tenant id that is not a GUID, an empty list, and an issuer
        /// without `{tenantid}`.
        ///
        /// ```
        /// use tokenkind::verify::{ENTRA_ID_V2_ISSUER, MICROSOFT_ACCOUNTS_TENANT};
        /// use tokenkind::{IdTokenVerifier, NoClaims};
        /// let login = IdTokenVerifier::<NoClaims>::builder(ENTRA_ID_V2_ISSUER, "6731de76-14a6-49ae-97bc-6eba6914391e")
        ///     .tenants(["72f988bf-86f1-41af-91ab-2d7cd011db47", MICROSOFT_ACCOUNTS_TENANT])
        ///     .jwks_uri("https://login.microsoftonline.com/common/discovery/v2.0/keys")
        ///     .build()?;
        /// # Ok::<(), tokenkind::ConfigError>(())
        /// ```
        pub fn tenants<I>(mut self, tenant_ids: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<String>,
        {
            self.common.tenants.list(tenant_ids.into_iter().map(Into::into));
            self
        }

        /// Trusts tokens of **every** tenant of an issuer templated with
        /// `{tenantid}`: anyone can create an Entra ID tenant, so any
        /// organisation, and any person with a personal Microsoft account,
        /// can then obtain tokens this verifier accepts. `iss` must still be
        /// the template with the token's own `tid`, and the signing key must
        /// agree. Use it only when each tenant's access is decided elsewhere
        /// (read `tid` from [`issuer`](crate::AccessToken::issuer)); prefer
        /// [`tenants`](Self::tenants) or an
        /// [`IssuerResolver`](crate::verify::IssuerResolver).
        ///
        /// ```
        /// use tokenkind::verify::ENTRA_ID_V2_ISSUER;
        /// use tokenkind::{AccessTokenVerifier, Profile, Scopes};
        /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        /// # enum Api { #[scope("read:messages")] Read }
        /// let verifier = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, "api://messages")
        ///     .profile(Profile::EntraId)
        ///     .allow_any_tenant()
        ///     .jwks_uri("https://login.microsoftonline.com/common/discovery/v2.0/keys")
        ///     .build()?;
        /// # Ok::<(), tokenkind::ConfigError>(())
        /// ```
        pub fn allow_any_tenant(mut self) -> Self {
            self.common.tenants.allow_any();
            self
        }

        /// The clock used for `exp`, `nbf`, `iat` and `auth_time` (default: the system clock).
        pub fn clock(mut self, clock: impl super::Clock) -> Self {
            self.common.clock = std::sync::Arc::new(clock);
            self
        }
    };
}
use common_setters;
