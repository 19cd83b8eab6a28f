//! OAuth 2.0 Token Introspection (RFC 7662): the authorization server says
//! whether an opaque access token is active, and what it grants.
//!
//! An [`Introspection`] is the client side of the introspection endpoint:
//! where it is, how the API authenticates to it, and a cache of answers.
//! A verifier configured with
//! [`introspection`](crate::AccessTokenVerifierBuilder::introspection)
//! uses it and checks every answer as strictly as a JWT (see
//! [`Introspect`](crate::verify::Introspect)); the result is the same
//! [`AccessToken`](crate::AccessToken).
//!
//! The rules:
//! - **the endpoint**: configured, or the `introspection_endpoint` of the
//!   issuer's discovery document (OpenID Connect Discovery 1.0 §4, then RFC
//!   8414 §3; the document's `issuer` must be the verifier's); `https` only,
//!   except loopback hosts; no redirects;
//! - **client authentication** (RFC 7662 §2.1): `client_secret_basic`,
//!   `client_secret_post` (RFC 6749 §2.3.1) or `private_key_jwt` (RFC 7523
//!   §2.2, OpenID Connect Core §9), one of them required;
//! - **signed answers** (RFC 9701), when asked for with
//!   [`signed_responses`](IntrospectionBuilder::signed_responses): only an
//!   `application/token-introspection+jwt` answer signed with the verifier's
//!   keys is accepted;
//! - **the cache**: keyed by the SHA-256 of the token (the token itself is
//!   never stored); an active token is kept until its `exp` or
//!   [`cache_max_age`](IntrospectionBuilder::cache_max_age) (default 60 s),
//!   whichever is sooner, so a revoked token is refused at the latest that
//!   long after its revocation; an inactive or refused one for
//!   [`inactive_cache_ttl`](IntrospectionBuilder::inactive_cache_ttl)
//!   (default 5 s, at most 5 s); one request per token at a time, the other
//!   requests for it wait for its answer; memory bounded by
//!   [`cache_capacity_bytes`](IntrospectionBuilder::cache_capacity_bytes);
//! - **faults** (the endpoint cannot be reached, times out, answers
//!   anything but 200 (a 400 `unsupported_token_type` refuses the token as
//!   inactive: the provider will not vouch for that kind of token), an answer that is not an introspection response,
//!   larger than 1 MiB, or a 401 because the API's own credentials are
//!   refused): [`Error::IntrospectionUnavailable`], HTTP 503 with
//!   `Retry-After`, logged with `tracing`; never "inactive", never a panic.
//!   The other requests waiting for that answer get the same 503, and so
//!   does the token for one second.

use core::fmt;
use core::ops::RangeInclusive;
use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use quick_cache::Weighter;
use quick_cache::sync::{Cache, EntryAction, EntryResult};
use reqwest::Url;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::RemoteError;
use super::fetch;
use crate::error::{ConfigError, Echo, Error};
use crate::keys::Algorithm;

/// Default longest time an active token's answer is cached: 60 seconds. A
/// revoked token is refused at the latest this long after its revocation.
pub const DEFAULT_CACHE_MAX_AGE: Duration = Duration::from_secs(60);
/// Default time an inactive (or refused) token's answer is cached: 5 seconds.
pub const DEFAULT_INACTIVE_CACHE_TTL: Duration = Duration::from_secs(5);
/// Default memory for cached answers: 16 MiB.
pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// Default connect timeout of an introspection request: 2 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default total timeout of an introspection request: 5 seconds (the API's
/// caller waits for it).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Allowed `cache_max_age`: none (every request asks) to 1 hour.
const CACHE_MAX_AGE_RANGE: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(60 * 60);
/// Allowed `inactive_cache_ttl`: none to 5 seconds (a token that becomes
/// active is not refused for longer).
const INACTIVE_TTL_RANGE: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(5);
/// Allowed cache memory: 64 KiB to 1 GiB.
const CAPACITY_RANGE: RangeInclusive<u64> = 64 * 1024..=1024 * 1024 * 1024;
/// Allowed timeouts: 100 ms to 60 seconds.
const TIMEOUT_RANGE: RangeInclusive<Duration> = Duration::from_millis(100)..=Duration::from_secs(60);
/// How long a failed introspection answers for its token: the requests that
/// waited for it, and those in the next second, get the same 503 instead of
/// queueing one timeout after another.
const UNAVAILABLE_TTL: Duration = Duration::from_secs(1);
/// Lifetime of a `private_key_jwt` client assertion.
const ASSERTION_LIFETIME_SECS: u64 = 60;
/// The media type of a signed introspection response (RFC 9701 §5).
pub(crate) const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// How the API authenticates to the introspection endpoint (RFC 7662 §2.1).
#[derive(Clone)]
pub struct ClientAuth(AuthKind);

#[derive(Clone)]
enum AuthKind {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1).
    Basic { client_id: Arc<str>, header: HeaderValue },
    /// `client_id` and `client_secret` in the body (RFC 6749 §2.3.1).
    Post { client_id: Arc<str>, secret: Arc<str> },
    /// A JWT signed with the client's private key (RFC 7523 §2.2).
    PrivateKeyJwt { client_id: Arc<str>, key: Arc<ClientKey> },
}

impl ClientAuth {
    /// `client_secret_basic`: the id and secret in an `Authorization: Basic`
    /// header, each form-encoded first (RFC 6749 §2.3.1).
    ///
    /// ```
    /// use tokenkind::remote::ClientAuth;
    /// let auth = ClientAuth::client_secret_basic("my-api", "s3cr3t");
    /// assert_eq!(auth.client_id(), "my-api");
    /// assert_eq!(format!("{auth:?}"), r#"ClientAuth { method: "client_secret_basic", client_id: "my-api" }"#);
    /// ```
    pub fn client_secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        let (client_id, secret) = (client_id.into(), secret.into());
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = STANDARD.encode(format!("{}:{}", encode(&client_id), encode(&secret)));
        // Base64 is always a valid header value.
        let mut header =
            HeaderValue::try_from(format!("Basic {credentials}")).unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        header.set_sensitive(true);
        Self(AuthKind::Basic { client_id: client_id.into(), header })
    }

    /// `client_secret_post`: the id and secret in the request body (RFC 6749 §2.3.1).
    ///
    /// ```
    /// use tokenkind::remote::ClientAuth;
    /// let auth = ClientAuth::client_secret_post("my-api", "s3cr3t");
    /// assert_eq!(auth.method(), "client_secret_post");
    /// ```
    pub fn client_secret_post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self(AuthKind::Post { client_id: client_id.into().into(), secret: secret.into().into() })
    }

    /// `private_key_jwt`: a short-lived JWT signed with the client's private
    /// key (RFC 7523 §2.2, OpenID Connect Core §9), its `aud` the issuer.
    ///
    /// ```
    /// use tokenkind::remote::{ClientAuth, ClientKey};
    /// use tokenkind::Algorithm;
    /// # use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    /// # use base64::Engine as _;
    /// # let der = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap().to_pkcs8v1().unwrap();
    /// # let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
    /// #     base64::engine::general_purpose::STANDARD.encode(der.as_ref()));
    /// // The PEM private key whose public key the provider has for "my-api".
    /// let key = ClientKey::from_pem(pem.as_bytes(), Algorithm::ES256, Some("api-key-1"))?;
    /// let auth = ClientAuth::private_key_jwt("my-api", key);
    /// assert_eq!(auth.method(), "private_key_jwt");
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn private_key_jwt(client_id: impl Into<String>, key: ClientKey) -> Self {
        Self(AuthKind::PrivateKeyJwt { client_id: client_id.into().into(), key: Arc::new(key) })
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        match &self.0 {
            AuthKind::Basic { client_id, .. }
            | AuthKind::Post { client_id, .. }
            | AuthKind::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }

    /// The method's registered name (RFC 7591 §2 `token_endpoint_auth_method`).
    pub fn method(&self) -> &'static str {
        match &self.0 {
            AuthKind::Basic { .. } => "client_secret_basic",
            AuthKind::Post { .. } => "client_secret_post",
            AuthKind::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }
}

impl fmt::Debug for ClientAuth {
    /// Never shows the secret or the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAuth").field("method", &self.method()).field("client_id", &self.client_id()).finish()
    }
}

/// A client's private key for `private_key_jwt` (RFC 7523).
pub struct ClientKey {
    key: jsonwebtoken::EncodingKey,
    algorithm: Algorithm,
    kid: Option<Box<str>>,
}

impl ClientKey {
    /// A PEM private key (PKCS#8, or PKCS#1 for RSA, SEC1 for EC) for
    /// `algorithm`, with the `kid` the authorization server knows it by.
    ///
    /// ```
    /// use tokenkind::remote::ClientKey;
    /// use tokenkind::{Algorithm, ConfigError};
    /// assert!(matches!(
    ///     ClientKey::from_pem(b"not a key", Algorithm::RS256, None),
    ///     Err(ConfigError::Pem(_))
    /// ));
    /// assert!(matches!(
    ///     ClientKey::from_pem(b"", Algorithm::HS256, None),
    ///     Err(ConfigError::Invalid(_))
    /// ));
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Pem`] when the PEM is not a private key of that
    /// algorithm's type; [`ConfigError::Invalid`] for an HMAC algorithm
    /// (`private_key_jwt` is asymmetric; RFC 7523 with a shared secret is
    /// `client_secret_jwt`, which is not supported).
    pub fn from_pem(pem: &[u8], algorithm: Algorithm, kid: Option<&str>) -> Result<Self, ConfigError> {
        use jsonwebtoken::EncodingKey;
        let pem_error = |e: jsonwebtoken::errors::Error| ConfigError::Pem(e.to_string());
        let key = match algorithm {
            a if a.is_symmetric() => {
                return Err(ConfigError::Invalid(
                    "`private_key_jwt` needs an asymmetric algorithm (RS*, PS*, ES*, EdDSA)",
                ));
            }
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem).map_err(pem_error)?,
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem).map_err(pem_error)?,
            _ => EncodingKey::from_rsa_pem(pem).map_err(pem_error)?,
        };
        let probe = jsonwebtoken::encode(&jsonwebtoken::Header::new(algorithm.to_jsonwebtoken()), &(), &key);
        if probe.is_err() {
            return Err(ConfigError::Pem(format!("the key cannot sign with {}", algorithm.as_str())));
        }
        Ok(Self { key, algorithm, kid: kid.map(Into::into) })
    }

    /// A client assertion (RFC 7523 §3): `iss` and `sub` the client, `aud`
    /// the issuer, a random `jti`, valid for a minute.
    fn assertion(&self, client_id: &str, audience: &str) -> Result<String, &'static str> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            sub: &'a str,
            aud: &'a str,
            jti: String,
            iat: u64,
            exp: u64,
        }
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| "no randomness for the client assertion")?;
        let iat = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "the system clock is before 1970")?
            .as_secs();
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            jti: URL_SAFE_NO_PAD.encode(jti),
            iat,
            exp: iat + ASSERTION_LIFETIME_SECS,
        };
        let mut header = jsonwebtoken::Header::new(self.algorithm.to_jsonwebtoken());
        header.kid = self.kid.as_deref().map(Into::into);
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|_| "the client assertion could not be signed")
    }
}

impl fmt::Debug for ClientKey {
    /// Never shows the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey").field("algorithm", &self.algorithm).field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The introspection endpoint of one authorization server, the API's
/// credentials for it, and the cache of its answers; cheap to clone (clones
/// share the cache). Give it to
/// [`AccessTokenVerifierBuilder::introspection`](crate::AccessTokenVerifierBuilder::introspection).
///
/// ```
/// use std::time::Duration;
/// use tokenkind::remote::{ClientAuth, Introspection};
/// use tokenkind::verify::Introspect;
/// use tokenkind::{AccessTokenVerifier, Scopes};
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
///
/// let introspection = Introspection::discover("https://issuer.example")
///     .client_auth(ClientAuth::client_secret_basic("my-api", "s3cr3t"))
///     .cache_max_age(Duration::from_secs(30))
///     .build()?;
/// // JWT access tokens verified with the issuer's keys, any other token introspected.
/// let verifier = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
///     .discovery()
///     .introspection(introspection, Introspect::OpaqueTokens)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Introspection {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    auth: ClientAuth,
    client: reqwest::Client,
    signed: bool,
    allowed: Allowed,
    cache: Option<Cache<[u8; 32], Arc<Entry>, EntryWeight>>,
    #[cfg(feature = "redis")]
    shared: Option<SharedIntrospectionCache>,
    max_age: Duration,
    inactive_ttl: Duration,
    requests: AtomicU64,
}

enum Endpoint {
    Fixed(Url),
    Discover { issuer: Box<str>, urls: Box<[Url; 2]>, found: OnceCell<Url> },
}

/// Configures an [`Introspection`].
#[must_use]
pub struct IntrospectionBuilder {
    endpoint: EndpointSpec,
    auth: Option<ClientAuth>,
    signed: bool,
    allowed: Allowed,
    max_age: Duration,
    inactive_ttl: Duration,
    capacity: u64,
    connect_timeout: Duration,
    timeout: Duration,
    #[cfg(feature = "redis")]
    shared: Option<SharedIntrospectionCache>,
}

enum EndpointSpec {
    Url(String),
    Discover(String),
}

/// A cached answer.
struct Entry {
    /// The introspection response (for a signed one, its
    /// `token_introspection` member), or `None` when the introspection failed.
    answer: Option<Box<[u8]>>,
    expires: Instant,
}

#[derive(Clone)]
struct EntryWeight;

impl Weighter<[u8; 32], Arc<Entry>> for EntryWeight {
    fn weight(&self, _key: &[u8; 32], entry: &Arc<Entry>) -> u64 {
        // The answer, plus the key, the entry and the map's bookkeeping.
        entry.answer.as_ref().map_or(0, |a| a.len() as u64) + 128
    }
}

/// The members an introspection answer may leave out: none by default,
/// each only by its builder opt-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Allowed {
    /// `aud` ([`IntrospectionBuilder::allow_responses_without_audience`]).
    pub(crate) missing_audience: bool,
    /// `sub` ([`IntrospectionBuilder::allow_responses_without_subject`]).
    pub(crate) missing_subject: bool,
}

/// What the endpoint answered, before the verifier checks it.
pub(crate) enum Answer {
    /// `application/json`: the introspection response itself.
    Json(Vec<u8>),
    /// `application/token-introspection+jwt` (RFC 9701): a signed JWT.
    Jwt(String),
    /// HTTP 400 `unsupported_token_type`: the provider does not introspect
    /// this kind of token; it is refused as inactive.
    Unsupported,
}

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Deserialize)]
struct OAuthError {
    error: String,
}

impl Introspection {
    /// Introspection at this URL (`https`, or `http` on a loopback host).
    pub fn endpoint(url: impl Into<String>) -> IntrospectionBuilder {
        IntrospectionBuilder::new(EndpointSpec::Url(url.into()))
    }

    /// Introspection at the `introspection_endpoint` the issuer's discovery
    /// document names (fetched once, when first needed).
    pub fn discover(issuer: impl Into<String>) -> IntrospectionBuilder {
        IntrospectionBuilder::new(EndpointSpec::Discover(issuer.into()))
    }

    /// The client authentication.
    pub fn client_auth(&self) -> &ClientAuth {
        &self.inner.auth
    }

    /// How many introspection requests were sent (for tests and monitoring).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Whether answers must be signed (RFC 9701).
    pub fn requires_signed_responses(&self) -> bool {
        self.inner.signed
    }

    /// The members an answer may leave out, by the builder's opt-ins.
    pub(crate) fn allowed(&self) -> Allowed {
        self.inner.allowed
    }

    /// The discovery issuer, when the endpoint is discovered.
    pub(crate) fn issuer(&self) -> Option<&str> {
        match &self.inner.endpoint {
            Endpoint::Discover { issuer, .. } => Some(issuer),
            Endpoint::Fixed(_) => None,
        }
    }

    /// Introspects `token`, through the cache. `open` turns a fresh answer
    /// into the introspection response's JSON (checking a signed answer);
    /// `check` runs on that JSON at every use, and an `Ok` result's
    /// `expires_at` (seconds since the epoch, compared with `now`) bounds how
    /// long it is cached.
    pub(crate) async fn introspect<T, Opened: Future<Output = Result<Box<[u8]>, String>>>(
        &self,
        token: &str,
        issuer: &str,
        now: i64,
        open: impl FnOnce(Answer) -> Opened,
        check: impl Fn(&[u8]) -> Result<T, Error>,
        expires_at: impl Fn(&T) -> i64,
    ) -> Result<T, Error> {
        let Some(cache) = &self.inner.cache else {
            return match self.fresh_answer(token, issuer, open).await {
                Ok(json) => check(&json),
                Err(fault) => Err(self.unavailable(&fault)),
            };
        };
        let key: [u8; 32] = {
            let d = digest::digest(&digest::SHA256, token.as_bytes());
            let mut key = [0u8; 32];
            key.copy_from_slice(d.as_ref());
            key
        };
        let at = Instant::now();
        let guard = match cache
            .entry_async(&key, |_, entry| {
                if entry.expires > at { EntryAction::Retain(Arc::clone(entry)) } else { EntryAction::ReplaceWithGuard }
            })
            .await
        {
            EntryResult::Retained(entry) => {
                return match &entry.answer {
                    Some(json) => check(json),
                    None => Err(Error::IntrospectionUnavailable),
                };
            }
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => guard,
            // Only `entry` with a timeout and a removing action give these.
            EntryResult::Timeout | EntryResult::Removed(..) => return Err(Error::IntrospectionUnavailable),
        };
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.inner.shared
            && let Some((json, left)) = shared.get(&key).await
        {
            let result = check(&json);
            let lifetime = self.lifetime(&result, now, &expires_at).min(left);
            if !lifetime.is_zero() {
                let _ = guard.insert(Arc::new(Entry { answer: Some(json), expires: Instant::now() + lifetime }));
            }
            return result;
        }
        let json = match self.fresh_answer(token, issuer, open).await {
            Ok(json) => json,
            Err(fault) => {
                let _ = guard.insert(Arc::new(Entry { answer: None, expires: Instant::now() + UNAVAILABLE_TTL }));
                return Err(self.unavailable(&fault));
            }
        };
        let result = check(&json);
        let lifetime = self.lifetime(&result, now, &expires_at);
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.inner.shared
            && !lifetime.is_zero()
        {
            shared.put(&key, &json, lifetime).await;
        }
        if !lifetime.is_zero() {
            let _ = guard.insert(Arc::new(Entry { answer: Some(json), expires: Instant::now() + lifetime }));
        }
        // Otherwise the guard is dropped: a request waiting for it asks again.
        result
    }

    /// One introspection request, its answer opened into the response's JSON.
    async fn fresh_answer<Opened: Future<Output = Result<Box<[u8]>, String>>>(
        &self,
        token: &str,
        issuer: &str,
        open: impl FnOnce(Answer) -> Opened,
    ) -> Result<Box<[u8]>, Fault> {
        let answer = self.ask(token, issuer).await?;
        open(answer).await.map_err(Fault::Answer)
    }

    /// How long an answer may be reused: an active token's until its `exp`
    /// or the max age, whichever is sooner; any other for the inactive TTL.
    fn lifetime<T>(&self, result: &Result<T, Error>, now: i64, expires_at: impl Fn(&T) -> i64) -> Duration {
        match result {
            Ok(token) => {
                let left = u64::try_from(expires_at(token).saturating_sub(now)).unwrap_or(0);
                self.inner.max_age.min(Duration::from_secs(left))
            }
            Err(_) => self.inner.inactive_ttl,
        }
    }

    /// The 503 for a fault, logged.
    fn unavailable(&self, fault: &Fault) -> Error {
        let endpoint = match &self.inner.endpoint {
            Endpoint::Fixed(url) => url.as_str(),
            Endpoint::Discover { found, issuer, .. } => found.get().map_or(&**issuer, Url::as_str),
        };
        match fault {
            Fault::Remote(RemoteError::Status { status: status @ (400 | 401 | 403) }) => tracing::error!(
                status,
                endpoint,
                client_id = self.inner.auth.client_id(),
                method = self.inner.auth.method(),
                "the introspection endpoint refused this API's own client credentials; check the client id, \
                 its secret or key, and that the client may introspect tokens"
            ),
            Fault::Remote(e) => tracing::warn!(reason = %e, endpoint, "token introspection failed"),
            Fault::Answer(reason) => {
                tracing::warn!(reason = %reason, endpoint, "the introspection endpoint's answer is unusable");
            }
            Fault::Client(reason) => tracing::error!(reason, endpoint, "token introspection could not be sent"),
        }
        Error::IntrospectionUnavailable
    }

    /// One introspection request (RFC 7662 §2.1).
    async fn ask(&self, token: &str, issuer: &str) -> Result<Answer, Fault> {
        let url = self.endpoint_url().await.map_err(Fault::Remote)?;
        let mut form: Vec<(&str, &str)> = vec![("token", token), ("token_type_hint", "access_token")];
        let mut authorization = None;
        let assertion;
        match &self.inner.auth.0 {
            AuthKind::Basic { header, .. } => authorization = Some(header),
            AuthKind::Post { client_id, secret } => {
                form.push(("client_id", client_id));
                form.push(("client_secret", secret));
            }
            AuthKind::PrivateKeyJwt { client_id, key } => {
                assertion = key.assertion(client_id, issuer).map_err(Fault::Client)?;
                form.push(("client_id", client_id));
                form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                form.push(("client_assertion", &assertion));
            }
        }
        let accept = if self.inner.signed { JWT_MEDIA_TYPE } else { "application/json" };
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let posted =
            fetch::post_form(&self.inner.client, url, accept, authorization, &form).await.map_err(Fault::Remote)?;
        if posted.status != 200 {
            return match serde_json::from_slice::<OAuthError>(&posted.body) {
                // RFC 7009 §2.2.1, as providers use it for introspection too:
                // the provider does not introspect this kind of token (oidc-provider
                // refuses JWTs). That is its answer about the token, not a fault.
                Ok(e) if e.error == "unsupported_token_type" => Ok(Answer::Unsupported),
                _ => Err(Fault::Remote(RemoteError::Status { status: posted.status })),
            };
        }
        let media_type = posted
            .content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match (media_type.as_deref(), self.inner.signed) {
            (Some(JWT_MEDIA_TYPE), _) => String::from_utf8(posted.body)
                .map(Answer::Jwt)
                .map_err(|_| Fault::Answer("the signed answer is not UTF-8".into())),
            (Some("application/json"), false) => Ok(Answer::Json(posted.body)),
            (Some("application/json"), true) => Err(Fault::Answer(
                "the answer is not signed, but signed answers (RFC 9701) are required; \
                 register `introspection_signed_response_alg` for this client"
                    .into(),
            )),
            (other, _) => Err(Fault::Answer(format!(
                "the answer's Content-Type is {}, not application/json",
                other.map_or_else(|| "missing".to_owned(), |t| Echo::new(t).to_string())
            ))),
        }
    }

    /// The endpoint: configured, or discovered once (a failed discovery is
    /// tried again by the next request).
    async fn endpoint_url(&self) -> Result<&Url, RemoteError> {
        match &self.inner.endpoint {
            Endpoint::Fixed(url) => Ok(url),
            Endpoint::Discover { issuer, urls, found } => {
                found.get_or_try_init(|| discover(&self.inner.client, issuer, urls, self.inner.signed)).await
            }
        }
    }
}

/// Why an introspection gave no answer to check.
enum Fault {
    Remote(RemoteError),
    Answer(String),
    Client(&'static str),
}

/// OpenID Connect Discovery 1.0 §4, then RFC 8414 §3 when the first answers
/// 404: the document's `issuer` must equal ours (§4.3), and its
/// `introspection_endpoint` (RFC 8414 §2) must keep the issuer's scheme.
async fn discover(client: &reqwest::Client, issuer: &str, urls: &[Url; 2], signed: bool) -> Result<Url, RemoteError> {
    let (from, body) = fetch::metadata_document(client, urls, || {}).await?;
    introspection_endpoint(issuer, from, &body, signed)
}

/// The `introspection_endpoint` of a metadata document fetched from `from`.
fn introspection_endpoint(issuer: &str, from: &Url, body: &[u8], signed: bool) -> Result<Url, RemoteError> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: String,
        introspection_endpoint: Option<String>,
        introspection_signing_alg_values_supported: Option<Vec<String>>,
    }
    let meta: Metadata = serde_json::from_slice(body).map_err(|e| RemoteError::InvalidMetadata {
        reason: format!("not a metadata document with string `issuer` and `introspection_endpoint`: {e}"),
    })?;
    if meta.issuer != issuer {
        return Err(RemoteError::IssuerMismatch { found: Echo::new(&meta.issuer) });
    }
    let Some(endpoint) = meta.introspection_endpoint else {
        return Err(RemoteError::InvalidMetadata {
            reason: "the provider publishes no `introspection_endpoint`; configure it with `Introspection::endpoint`"
                .into(),
        });
    };
    if signed && meta.introspection_signing_alg_values_supported.is_none_or(|algs| algs.is_empty()) {
        return Err(RemoteError::InvalidMetadata {
            reason: "signed introspection answers are required, but the provider lists no \
                     `introspection_signing_alg_values_supported` (RFC 9701 §7)"
                .into(),
        });
    }
    let url = Url::parse(&endpoint)
        .map_err(|_| RemoteError::InvalidMetadata { reason: "`introspection_endpoint` is not a URL".into() })?;
    fetch::check_metadata_url(from, &url, false).map_err(|reason| RemoteError::InvalidMetadata {
        reason: format!("`introspection_endpoint` is refused: {reason}"),
    })?;
    Ok(url)
}

/// Introspection answers shared by every instance of an API through Redis
/// (features `remote` and `redis`), so that a token is introspected once per
/// cache lifetime across the fleet, not once per instance.
///
/// Each instance still keeps its own memory cache in front of it. Entries
/// are keyed by the SHA-256 of the token, expire with the answer's own
/// lifetime (never longer than `cache_max_age`, so the revocation bound
/// holds across instances), and carry an HMAC-SHA256 tag under a secret
/// the instances share: whoever can write to Redis still cannot make an
/// instance accept an answer it did not store (an entry whose tag does not
/// verify is ignored, and logged). When Redis cannot be reached, the
/// endpoint is asked instead (and the failure logged): Redis is only a
/// cache.
///
/// ```no_run
/// use tokenkind::remote::{ClientAuth, Introspection, SharedIntrospectionCache};
///
/// // 32 random bytes or more, the same on every instance (from your secret store).
/// let secret = std::env::var("INTROSPECTION_CACHE_KEY")?;
/// let shared = SharedIntrospectionCache::new("redis://127.0.0.1:6379/", secret.as_bytes())?;
/// let introspection = Introspection::discover("https://issuer.example")
///     .client_auth(ClientAuth::client_secret_basic("my-api", "s3cr3t"))
///     .shared_cache(shared)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "redis")]
pub struct SharedIntrospectionCache {
    link: crate::redis_link::RedisLink,
    tag_key: aws_lc_rs::hmac::Key,
    prefix: String,
}

#[cfg(feature = "redis")]
impl SharedIntrospectionCache {
    /// The shortest secret accepted: 32 bytes.
    pub const MIN_SECRET_LEN: usize = 32;

    /// A cache in the Redis server at `url`, its entries tagged with
    /// `secret` (at least 32 bytes, the same on every instance).
    ///
    /// # Errors
    /// [`ConfigError::Url`] for a URL that is not `redis://` or `rediss://`;
    /// [`ConfigError::Invalid`] for a secret shorter than 32 bytes.
    pub fn new(url: &str, secret: &[u8]) -> Result<Self, ConfigError> {
        if secret.len() < Self::MIN_SECRET_LEN {
            return Err(ConfigError::Invalid("the shared introspection cache's secret must be at least 32 bytes"));
        }
        Ok(Self {
            link: crate::redis_link::RedisLink::open(url)?,
            tag_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret),
            prefix: "tokenkind:introspection:".to_owned(),
        })
    }

    /// The key prefix (default `tokenkind:introspection:`): APIs that must
    /// not share answers use different prefixes (or secrets).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one Redis command may take before the endpoint is asked
    /// instead (default 1 s, at least 1 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.link.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    fn redis_key(&self, key: &[u8; 32]) -> String {
        use core::fmt::Write as _;
        let mut name = self.prefix.clone();
        for b in key {
            let _ = write!(name, "{b:02x}");
        }
        name
    }

    fn tag(&self, key: &[u8; 32], json: &[u8]) -> aws_lc_rs::hmac::Tag {
        let mut context = aws_lc_rs::hmac::Context::with_key(&self.tag_key);
        context.update(key);
        context.update(json);
        context.sign()
    }

    /// A stored answer whose tag verifies, and how long it has left.
    async fn get(&self, key: &[u8; 32]) -> Option<(Box<[u8]>, Duration)> {
        let name = self.redis_key(key);
        let mut pipeline = redis::pipe();
        pipeline.get(&name).cmd("PTTL").arg(&name);
        let (value, left): (Option<Vec<u8>>, i64) = match self.link.query_pipeline(&pipeline).await {
            Ok(found) => found,
            Err(reason) => {
                tracing::warn!(reason, server = self.link.server(), "the shared introspection cache cannot answer");
                return None;
            }
        };
        let value = value?;
        let left = Duration::from_millis(u64::try_from(left).ok()?);
        let (tag, json) = value.split_at_checked(32)?;
        // Constant-time comparison.
        if aws_lc_rs::hmac::verify(&self.tag_key, &[key.as_slice(), json].concat(), tag).is_err() {
            tracing::warn!(server = self.link.server(), "a shared introspection cache entry has a wrong tag: ignored");
            return None;
        }
        Some((json.into(), left))
    }

    /// Stores an answer for `lifetime`.
    async fn put(&self, key: &[u8; 32], json: &[u8], lifetime: Duration) {
        let mut value = self.tag(key, json).as_ref().to_vec();
        value.extend_from_slice(json);
        let millis = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut set = redis::cmd("SET");
        set.arg(self.redis_key(key)).arg(value).arg("PX").arg(millis);
        if let Err(reason) = self.link.query::<()>(&set).await {
            tracing::warn!(
                reason,
                server = self.link.server(),
                "the shared introspection cache cannot store an answer"
            );
        }
    }
}

#[cfg(feature = "redis")]
impl fmt::Debug for SharedIntrospectionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL's password or the secret.
        f.debug_struct("SharedIntrospectionCache")
            .field("server", &self.link.server())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl IntrospectionBuilder {
    fn new(endpoint: EndpointSpec) -> Self {
        Self {
            endpoint,
            auth: None,
            signed: false,
            allowed: Allowed::default(),
            max_age: DEFAULT_CACHE_MAX_AGE,
            inactive_ttl: DEFAULT_INACTIVE_CACHE_TTL,
            capacity: DEFAULT_CACHE_CAPACITY_BYTES,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// How the API authenticates to the endpoint (required).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The longest time an active token's answer is reused (default 60 s,
    /// at most 1 hour; zero turns the cache off). An answer is never reused
    /// past the token's `exp`. This is the longest a revoked token can still
    /// be accepted.
    pub fn cache_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How long an inactive or refused token's answer is reused (default
    /// 5 s, at most 5 s; zero: never).
    pub fn inactive_cache_ttl(mut self, ttl: Duration) -> Self {
        self.inactive_ttl = ttl;
        self
    }

    /// The memory cached answers may use (default 16 MiB, 64 KiB to 1 GiB);
    /// the least recently useful answers are evicted first.
    pub fn cache_capacity_bytes(mut self, bytes: u64) -> Self {
        self.capacity = bytes;
        self
    }

    /// Asks for signed answers (`Accept: application/token-introspection+jwt`,
    /// RFC 9701) and accepts only those, signed with the verifier's keys,
    /// naming the issuer as `iss` and this API's client id in `aud`. With
    /// discovery, the provider must list
    /// `introspection_signing_alg_values_supported`.
    pub fn signed_responses(mut self) -> Self {
        self.signed = true;
        self
    }

    /// Accepts introspection answers without `aud`, for a provider that
    /// never sends it (RFC 7662 makes it optional). **Looser**: a token
    /// issued for another API of the same provider is then accepted here.
    pub fn allow_responses_without_audience(mut self) -> Self {
        self.allowed.missing_audience = true;
        self
    }

    /// Accepts introspection answers without `sub`, for tokens with no
    /// resource owner (the client-credentials grant): the token's
    /// [`subject`](crate::AccessToken::subject) is then its client id, as
    /// RFC 9068 §2.2 has a provider write it into a JWT. **Looser**: a
    /// client and a user with the same identifier then look alike to
    /// handlers that read only the subject; compare
    /// [`client_id`](crate::AccessToken::client_id) where that matters.
    /// Without this opt-in an answer without `sub` is refused
    /// ([`Error::MissingClaim`]).
    pub fn allow_responses_without_subject(mut self) -> Self {
        self.allowed.missing_subject = true;
        self
    }

    /// The connect timeout (default 2 s, 100 ms to 60 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The total timeout of one introspection request (default 5 s, 100 ms to 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Shares answers with every instance of the API through Redis
    /// (features `remote` and `redis`), behind this instance's memory cache:
    /// see [`SharedIntrospectionCache`]. Ignored when `cache_max_age` is zero.
    #[cfg(feature = "redis")]
    pub fn shared_cache(mut self, cache: SharedIntrospectionCache) -> Self {
        self.shared = Some(cache);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`ConfigError`] when no client authentication is set, the URL is
    /// refused, or a setting is out of range.
    pub fn build(self) -> Result<Introspection, ConfigError> {
        let auth = self.auth.ok_or(ConfigError::Invalid(
            "introspection needs the API's client credentials: set `.client_auth(ClientAuth::...)`",
        ))?;
        if auth.client_id().is_empty() {
            return Err(ConfigError::Empty("introspection client id"));
        }
        if !CACHE_MAX_AGE_RANGE.contains(&self.max_age) {
            return Err(ConfigError::Invalid("the introspection cache's max age must be at most 1 hour"));
        }
        if !INACTIVE_TTL_RANGE.contains(&self.inactive_ttl) {
            return Err(ConfigError::Invalid("inactive tokens are cached for at most 5 seconds"));
        }
        if !CAPACITY_RANGE.contains(&self.capacity) {
            return Err(ConfigError::Invalid("the introspection cache's capacity must be between 64 KiB and 1 GiB"));
        }
        if !TIMEOUT_RANGE.contains(&self.connect_timeout) || !TIMEOUT_RANGE.contains(&self.timeout) {
            return Err(ConfigError::Invalid("introspection timeouts must be between 100 ms and 60 s"));
        }
        let endpoint = match self.endpoint {
            EndpointSpec::Url(url) => Endpoint::Fixed(fetch::parse_url(&url, false)?),
            EndpointSpec::Discover(issuer) => {
                let urls = super::discovery_urls(&issuer, false)?;
                Endpoint::Discover { issuer: issuer.into(), urls: Box::new(urls), found: OnceCell::new() }
            }
        };
        let cache = (!self.max_age.is_zero()).then(|| {
            let items = usize::try_from(self.capacity / 1024).unwrap_or(usize::MAX).max(64);
            Cache::with_weighter(items, self.capacity, EntryWeight)
        });
        Ok(Introspection {
            inner: Arc::new(Inner {
                endpoint,
                auth,
                client: fetch::client(self.connect_timeout, self.timeout, false, false)?,
                signed: self.signed,
                allowed: self.allowed,
                cache,
                #[cfg(feature = "redis")]
                shared: self.shared,
                max_age: self.max_age,
                inactive_ttl: self.inactive_ttl,
                requests: AtomicU64::new(0),
            }),
        })
    }
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = match &self.inner.endpoint {
            Endpoint::Fixed(url) => url.to_string(),
            Endpoint::Discover { issuer, .. } => format!("discovery of {issuer}"),
        };
        f.debug_struct("Introspection")
            .field("endpoint", &endpoint)
            .field("auth", &self.inner.auth)
            .field("signed", &self.inner.signed)
            .field("cache_max_age", &self.inner.max_age)
            .field("inactive_cache_ttl", &self.inner.inactive_ttl)
            .finish_non_exhaustive()
    }
}

/// Whether `token` is JWS-shaped: three dot-separated base64url segments
/// whose first decodes to a JSON object with an `alg` member. Such tokens
/// are only ever verified locally when opaque tokens are introspected.
pub(crate) fn is_jws_shaped(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(json) = URL_SAFE_NO_PAD.decode(header) else { return false };
    // A duplicated `alg` still makes the token JWS-shaped: it is refused locally.
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).is_ok_and(|m| m.contains_key("alg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jws_shaped_means_three_segments_and_a_header_with_alg() {
        let header = |json: &str| URL_SAFE_NO_PAD.encode(json);
        assert!(is_jws_shaped(&format!("{}.e30.c2ln", header(r#"{"alg":"RS256"}"#))));
        assert!(is_jws_shaped(&format!("{}.e30.", header(r#"{"alg":"none","typ":"JWT"}"#))));
        assert!(is_jws_shaped(&format!("{}.x.y", header(r#"{"alg":1,"alg":2}"#))));
        assert!(!is_jws_shaped(&format!("{}.e30.c2ln", header(r#"{"typ":"JWT"}"#))));
        assert!(!is_jws_shaped(&format!("{}.e30.c2ln", header(r#"["alg"]"#))));
        assert!(!is_jws_shaped(&format!("{}.e30", header(r#"{"alg":"RS256"}"#))));
        assert!(!is_jws_shaped(&format!("{}.a.b.c.d", header(r#"{"alg":"RS256"}"#))));
        assert!(!is_jws_shaped("2YotnFZFEjr1zCsicMWpAA"));
        assert!(!is_jws_shaped("a.b.c"));
        assert!(!is_jws_shaped(""));
    }

    #[test]
    fn client_secret_basic_form_encodes_before_base64() {
        // RFC 6749 §2.3.1: "application/x-www-form-urlencoded" encoding first.
        let auth = ClientAuth::client_secret_basic("my api", "p@ss:wörd");
        let AuthKind::Basic { header, .. } = &auth.0 else { panic!("basic") };
        let encoded = header.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(decoded, "my+api:p%40ss%3Aw%C3%B6rd");
        assert!(header.is_sensitive());
        assert!(!format!("{auth:?}").contains("ss"));
    }

    #[test]
    fn discovery_needs_the_same_issuer_and_an_introspection_endpoint() {
        let from = Url::parse("https://idp.example/.well-known/openid-configuration").unwrap();
        let doc = |json: &str| introspection_endpoint("https://idp.example", &from, json.as_bytes(), false);
        assert_eq!(
            doc(r#"{"issuer":"https://idp.example","introspection_endpoint":"https://idp.example/introspect"}"#)
                .unwrap()
                .as_str(),
            "https://idp.example/introspect"
        );
        assert_eq!(
            doc(r#"{"issuer":"https://evil.example","introspection_endpoint":"https://idp.example/i"}"#),
            Err(RemoteError::IssuerMismatch { found: Echo::new("https://evil.example") })
        );
        assert!(matches!(
            doc(r#"{"issuer":"https://idp.example"}"#),
            Err(RemoteError::InvalidMetadata { reason }) if reason.contains("no `introspection_endpoint`")
        ));
        assert!(matches!(
            doc(r#"{"issuer":"https://idp.example","introspection_endpoint":"http://idp.example/i"}"#),
            Err(RemoteError::InvalidMetadata { reason }) if reason.contains("must use https too")
        ));
        let signed = introspection_endpoint(
            "https://idp.example",
            &from,
            br#"{"issuer":"https://idp.example","introspection_endpoint":"https://idp.example/i"}"#,
            true,
        );
        assert!(matches!(signed, Err(RemoteError::InvalidMetadata { reason }) if reason.contains("RFC 9701")));
    }

    #[test]
    fn the_builder_refuses_missing_credentials_and_out_of_range_settings() {
        let base =
            || Introspection::endpoint("https://idp.example/i").client_auth(ClientAuth::client_secret_post("a", "b"));
        assert!(matches!(
            Introspection::endpoint("https://idp.example/i").build(),
            Err(ConfigError::Invalid(m)) if m.contains("client_auth")
        ));
        assert!(matches!(
            base().inactive_cache_ttl(Duration::from_secs(6)).build(),
            Err(ConfigError::Invalid("inactive tokens are cached for at most 5 seconds"))
        ));
        assert!(matches!(base().cache_max_age(Duration::from_secs(3601)).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(base().cache_capacity_bytes(10).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(base().timeout(Duration::ZERO).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(
            Introspection::endpoint("http://idp.example/i")
                .client_auth(ClientAuth::client_secret_post("a", "b"))
                .build(),
            Err(ConfigError::Url { .. })
        ));
        assert!(matches!(
            Introspection::endpoint("https://idp.example/i")
                .client_auth(ClientAuth::client_secret_post("", "b"))
                .build(),
            Err(ConfigError::Empty(_))
        ));
        assert!(base().cache_max_age(Duration::ZERO).build().unwrap().inner.cache.is_none());
    }
}
