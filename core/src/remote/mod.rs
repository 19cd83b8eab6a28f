//! Keys fetched over HTTPS and cached: OpenID Connect Discovery, a JWKS URL,
//! refresh on rotation, and last good keys through outages. Feature `remote`
//! (on by default).
//!
//! Most applications only call a verifier builder's
//! [`discovery`](crate::AccessTokenVerifierBuilder::discovery) or
//! [`jwks_uri`](crate::AccessTokenVerifierBuilder::jwks_uri); build a
//! [`RemoteKeys`] yourself to change the cache's settings, share one cache
//! between verifiers, load the keys at start-up or run a background refresh.
//!
//! The rules:
//! - **discovery**: `{issuer}/.well-known/openid-configuration` (OpenID
//!   Connect Discovery 1.0 §4), or when that answers 404 the RFC 8414 §3 URL
//!   `https://host/.well-known/oauth-authorization-server{path}`; the
//!   document's `issuer` must equal the configured issuer exactly (§4.3), and
//!   its `jwks_uri` is then used, never with a weaker scheme than the
//!   issuer's (an `https` issuer's keys come over `https`, loopback included);
//! - **reads never wait on the network**: the keys are an immutable snapshot
//!   swapped atomically (`arc-swap`); a refresh runs in its own Tokio task,
//!   with no lock held across the network call;
//! - **freshness**: `Cache-Control: max-age` (less `Age`) bounded by
//!   [`ttl_bounds`](RemoteKeysBuilder::ttl_bounds), otherwise
//!   [`default_ttl`](RemoteKeysBuilder::default_ttl); conditional requests
//!   with `ETag` / `Last-Modified`; refresh starts when nine tenths of the
//!   lifetime have passed (on the next read, or by [`RemoteKeys::spawn_refresh`]);
//! - **unknown `kid`**: one refresh, shared by every request waiting for it,
//!   and at most one per [`min_refresh_interval`](RemoteKeysBuilder::min_refresh_interval);
//!   other requests are refused at once. The `kid` never goes into a URL;
//! - **faults**: connect and total timeouts, a 1 MiB response limit, no
//!   redirects (opt in with [`allow_redirects`](RemoteKeysBuilder::allow_redirects)),
//!   `https` only except loopback hosts; when a refresh fails the last good
//!   keys are served for up to [`max_staleness`](RemoteKeysBuilder::max_staleness)
//!   past their expiry, and the failure is logged with `tracing`; with no
//!   keys, verification fails with [`Error::KeysUnavailable`]
//!   (HTTP 503) and later requests retry with exponential backoff;
//! - **withdrawn keys**: a refresh that fails is a transport error, an HTTP
//!   error or a body that is not a JWKS; a well-formed JWKS always replaces
//!   the cached keys, even when it holds no usable key (RFC 7517 §5), so a
//!   key the provider withdrew stops verifying at the next refresh
//!   ([`Error::UnknownKey`], HTTP 401; the empty set is logged as a warning).

mod cache;
mod fetch;

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use reqwest::Url;

use self::cache::{Shared, Why};
pub use self::fetch::MAX_RESPONSE_BYTES;
use crate::error::{ConfigError, Echo, Error};
use crate::keys::KeySet;

/// Key lifetime when the response has no `Cache-Control: max-age`: 5 minutes.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// Default lower bound of a response's `max-age`: 1 minute.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(60);
/// Default upper bound of a response's `max-age`: 24 hours.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Default minimum time between two refreshes caused by unknown `kid`s: 30 seconds.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Default time expired keys are still served while the key source fails: 6 hours.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(6 * 60 * 60);
/// Default connect timeout: 5 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default total timeout of one request, body included: 10 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default first retry delay after a failed refresh (doubled on each failure): 1 second.
pub const DEFAULT_RETRY_INITIAL: Duration = Duration::from_secs(1);
/// Default longest retry delay after failed refreshes: 30 seconds.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(30);

/// A JWKS fetched over HTTPS and cached; cheap to clone (clones share the cache).
///
/// ```
/// use std::time::Duration;
/// use tokenkind::remote::RemoteKeys;
/// use tokenkind::{AccessTokenVerifier, NoClaims, Scopes};
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
///
/// let keys = RemoteKeys::discover("https://issuer.example")
///     .min_refresh_interval(Duration::from_secs(60))
///     .build()?;
/// // One cache for both verifiers of this issuer.
/// let api = AccessTokenVerifier::<Api>::builder("https://issuer.example", "https://api.example")
///     .remote_keys(keys.clone())
///     .build()?;
/// let login = tokenkind::IdTokenVerifier::<NoClaims>::builder("https://issuer.example", "my-client")
///     .remote_keys(keys.clone())
///     .build()?;
/// assert_eq!(keys.issuer(), Some("https://issuer.example"));
/// assert!(keys.keys().is_none()); // nothing is fetched before it is needed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RemoteKeys {
    shared: Arc<Shared>,
}

/// Configures [`RemoteKeys`].
#[must_use]
pub struct RemoteKeysBuilder {
    source: SourceSpec,
    settings: Settings,
    connect_timeout: Duration,
    timeout: Duration,
    follow_redirects: bool,
}

enum SourceSpec {
    Jwks(String),
    Discovery(String),
}

/// Where the keys come from.
pub(crate) enum Source {
    Jwks(Url),
    Discovery { issuer: Box<str>, urls: [Url; 2] },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Jwks(url) => write!(f, "{url}"),
            Self::Discovery { issuer, .. } => write!(f, "discovery of {issuer}"),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Settings {
    default_ttl: Duration,
    min_ttl: Duration,
    max_ttl: Duration,
    min_refresh_interval: Duration,
    max_staleness: Duration,
    retry_initial: Duration,
    retry_max: Duration,
    allow_http: bool,
}

/// Why fetching keys or metadata failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The server could not be reached.
    #[error("could not connect to the key server")]
    Connect,
    /// The request did not finish within the timeout.
    #[error("the request timed out")]
    Timeout,
    /// The connection failed during the exchange.
    #[error("the HTTP exchange failed")]
    Transport,
    /// The server answered with a status other than 200 (or 304 to a conditional request).
    #[error("the server answered HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The server answered with a redirect, which is not followed (see
    /// [`RemoteKeysBuilder::allow_redirects`]).
    #[error("the server answered with a redirect (HTTP {status}), which is not followed")]
    Redirect {
        /// The HTTP status.
        status: u16,
    },
    /// A redirect was refused: to a URL that is not https (or loopback), or too many.
    #[error("a redirect was refused: not https, or too many")]
    RedirectRefused,
    /// The response body is larger than the limit.
    #[error("the response is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response is not a JWKS (not UTF-8, not JSON, or no `keys` array).
    /// A well-formed JWKS with no usable key is not an error: it replaces
    /// the cached keys, and tokens are refused with [`Error::UnknownKey`].
    #[error("the JWKS is invalid: {reason}")]
    InvalidJwks {
        /// Why.
        reason: String,
    },
    /// The discovery document is not usable.
    #[error("the discovery document is invalid: {reason}")]
    InvalidMetadata {
        /// Why.
        reason: String,
    },
    /// The discovery document names another issuer (OpenID Connect Discovery 1.0 §4.3).
    #[error("the discovery document's issuer {found} is not the configured issuer")]
    IssuerMismatch {
        /// The document's `issuer`.
        found: Echo,
    },
    /// There is no Tokio runtime to run the request on.
    #[error("no Tokio runtime is running")]
    NoRuntime,
    /// The refresh was cancelled (its runtime shut down).
    #[error("the refresh was cancelled")]
    Cancelled,
}

/// Counters of a [`RemoteKeys`] cache, for tests and monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// JWKS requests sent.
    pub jwks_requests: u64,
    /// Discovery document requests sent.
    pub discovery_requests: u64,
    /// JWKS requests answered 304 Not Modified.
    pub not_modified: u64,
    /// Refreshes that failed.
    pub failures: u64,
    /// Whether a refresh is running now.
    pub refreshing: bool,
}

impl RemoteKeys {
    /// Keys from a JWKS URL (`https`, or `http` to a loopback host).
    ///
    /// ```
    /// let keys = tokenkind::remote::RemoteKeys::jwks_uri("https://issuer.example/jwks").build()?;
    /// assert_eq!(keys.issuer(), None);
    /// assert!(tokenkind::remote::RemoteKeys::jwks_uri("http://issuer.example/jwks").build().is_err());
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn jwks_uri(url: impl Into<String>) -> RemoteKeysBuilder {
        RemoteKeysBuilder::new(SourceSpec::Jwks(url.into()))
    }

    /// Keys found by discovering `issuer` (OpenID Connect Discovery 1.0,
    /// then RFC 8414); the discovery document's `issuer` must equal `issuer`
    /// exactly.
    ///
    /// ```
    /// let keys = tokenkind::remote::RemoteKeys::discover("https://issuer.example/tenant").build()?;
    /// assert_eq!(keys.issuer(), Some("https://issuer.example/tenant"));
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn discover(issuer: impl Into<String>) -> RemoteKeysBuilder {
        RemoteKeysBuilder::new(SourceSpec::Discovery(issuer.into()))
    }

    /// The issuer being discovered, if the keys come from discovery.
    pub fn issuer(&self) -> Option<&str> {
        match &self.shared.source {
            Source::Discovery { issuer, .. } => Some(issuer),
            Source::Jwks(_) => None,
        }
    }

    /// Fetches the keys now (joining a refresh already running), whatever
    /// the refresh limits; call it at start-up to fail fast or warm the cache.
    ///
    /// ```no_run
    /// # async fn start() -> Result<(), Box<dyn std::error::Error>> {
    /// let keys = tokenkind::remote::RemoteKeys::discover("https://issuer.example").build()?;
    /// keys.refresh().await?;
    /// assert!(keys.keys().is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Why the fetch failed; the keys cached before, if any, stay in use.
    pub async fn refresh(&self) -> Result<(), RemoteError> {
        match self.shared.start(Why::Forced) {
            Some(flight) => flight.wait().await,
            None => Err(RemoteError::NoRuntime),
        }
    }

    /// The keys of the last successful fetch, if any (even if expired).
    pub fn keys(&self) -> Option<KeySet> {
        self.shared.keys()
    }

    /// The cache's counters.
    ///
    /// ```
    /// let keys = tokenkind::remote::RemoteKeys::jwks_uri("https://issuer.example/jwks").build()?;
    /// assert_eq!(keys.stats().jwks_requests, 0);
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn stats(&self) -> CacheStats {
        self.shared.stats()
    }

    /// Starts a Tokio task that refreshes the keys before they expire (and
    /// retries with backoff after a failure), so an idle service still has
    /// fresh keys. It stops when the returned handle is dropped or
    /// [`stopped`](RefreshTask::stop), or when every clone of these keys is gone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let keys = tokenkind::remote::RemoteKeys::jwks_uri("https://issuer.example/jwks").build()?;
    /// let task = keys.spawn_refresh()?;
    /// task.stop();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`RemoteError::NoRuntime`] when called outside a Tokio runtime.
    pub fn spawn_refresh(&self) -> Result<RefreshTask, RemoteError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RemoteError::NoRuntime)?;
        let weak = Arc::downgrade(&self.shared);
        let handle = runtime.spawn(async move {
            loop {
                let Some(shared) = weak.upgrade() else { return };
                let at = shared.next_refresh();
                drop(shared);
                let earliest = cache::later(tokio::time::Instant::now(), Duration::from_millis(10));
                tokio::time::sleep_until(at.max(earliest)).await;
                let Some(shared) = weak.upgrade() else { return };
                if let Some(flight) = shared.start(Why::Due) {
                    drop(shared);
                    let _ = flight.wait().await;
                }
            }
        });
        Ok(RefreshTask { handle })
    }

    /// Verifies with the cached keys; never waits.
    pub(crate) fn verify_now<T>(&self, f: impl Fn(&KeySet) -> Result<T, Error>) -> Result<T, Error> {
        self.shared.verify_now(f)
    }

    /// Verifies, waiting for a refresh when the key is missing.
    pub(crate) async fn verify_waiting<T>(&self, f: impl Fn(&KeySet) -> Result<T, Error>) -> Result<T, Error> {
        self.shared.verify_waiting(f).await
    }
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("source", &format_args!("{}", self.shared.source))
            .field("settings", &self.shared.settings)
            .field("stats", &self.stats())
            .finish()
    }
}

impl RemoteKeysBuilder {
    fn new(source: SourceSpec) -> Self {
        Self {
            source,
            settings: Settings {
                default_ttl: DEFAULT_TTL,
                min_ttl: DEFAULT_MIN_TTL,
                max_ttl: DEFAULT_MAX_TTL,
                min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
                max_staleness: DEFAULT_MAX_STALENESS,
                retry_initial: DEFAULT_RETRY_INITIAL,
                retry_max: DEFAULT_RETRY_MAX,
                allow_http: false,
            },
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            follow_redirects: false,
        }
    }

    /// Key lifetime when the response carries no `Cache-Control: max-age`
    /// (default 5 minutes; kept within [`ttl_bounds`](Self::ttl_bounds)).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.settings.default_ttl = ttl;
        self
    }

    /// Bounds on a response's `max-age` (default 1 minute to 24 hours), so a
    /// server can neither make the cache refetch constantly nor keep keys forever.
    pub fn ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.settings.min_ttl = min;
        self.settings.max_ttl = max;
        self
    }

    /// The least time between two refreshes caused by tokens naming an
    /// unknown `kid` (default 30 seconds).
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.settings.min_refresh_interval = interval;
        self
    }

    /// How long past their expiry the last good keys are still served while
    /// refreshes fail (default 6 hours); after that, verification fails with
    /// [`Error::KeysUnavailable`].
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.settings.max_staleness = staleness;
        self
    }

    /// Connect timeout and total timeout of one request, body included
    /// (defaults 5 and 10 seconds).
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// After a failed refresh, the next waits `initial`, doubled on each
    /// further failure up to `max` (defaults 1 and 30 seconds).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.retry_initial = initial;
        self.settings.retry_max = max;
        self
    }

    /// Follows up to 5 redirects, each to an `https` URL (or loopback).
    /// Off by default: a redirect can point the fetch anywhere (SSRF).
    pub fn allow_redirects(mut self) -> Self {
        self.follow_redirects = true;
        self
    }

    /// Allows plain `http` to any host (default: `https` only, except for
    /// loopback hosts). Keys fetched over plain HTTP can be replaced by
    /// anyone on the network path: only for a trusted private network.
    pub fn insecure_allow_http(mut self) -> Self {
        self.settings.allow_http = true;
        self
    }

    /// Checks the settings; nothing is fetched yet.
    ///
    /// # Errors
    /// [`ConfigError::Url`] for a URL that is invalid or not `https`
    /// (loopback excepted); [`ConfigError::Invalid`] for settings out of range.
    pub fn build(self) -> Result<RemoteKeys, ConfigError> {
        let s = &self.settings;
        if s.min_ttl > s.max_ttl {
            return Err(ConfigError::Invalid("the minimum key lifetime is above the maximum"));
        }
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(ConfigError::Invalid("timeouts must be above zero"));
        }
        if s.retry_initial.is_zero() || s.retry_initial > s.retry_max {
            return Err(ConfigError::Invalid("the retry backoff must start above zero and at most at its maximum"));
        }
        let source = match self.source {
            SourceSpec::Jwks(url) => Source::Jwks(fetch::parse_url(&url, s.allow_http)?),
            SourceSpec::Discovery(issuer) => {
                let urls = discovery_urls(&issuer, s.allow_http)?;
                Source::Discovery { issuer: issuer.into(), urls }
            }
        };
        let client = fetch::client(self.connect_timeout, self.timeout, self.follow_redirects, s.allow_http)?;
        Ok(RemoteKeys { shared: Arc::new(Shared::new(source, self.settings, client)) })
    }
}

/// The OpenID Connect Discovery 1.0 §4 URL, then the RFC 8414 §3 one.
fn discovery_urls(issuer: &str, allow_http: bool) -> Result<[Url; 2], ConfigError> {
    let refuse = |reason| ConfigError::Url { url: issuer.to_owned(), reason };
    let base = fetch::parse_url(issuer, allow_http)?;
    if base.query().is_some() || base.fragment().is_some() {
        return Err(refuse("an issuer has no query or fragment (OpenID Connect Discovery 1.0 §2)"));
    }
    let oidc = Url::parse(&format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')))
        .map_err(|_| refuse("not a valid URL"))?;
    let mut oauth = base.clone();
    oauth.set_path(&format!("/.well-known/oauth-authorization-server{}", base.path().trim_end_matches('/')));
    Ok([oidc, oauth])
}

/// A background refresh started by [`RemoteKeys::spawn_refresh`]; dropping it stops the task.
#[must_use = "the refresh task stops when this handle is dropped"]
pub struct RefreshTask {
    handle: tokio::task::JoinHandle<()>,
}

impl RefreshTask {
    /// Stops the task.
    pub fn stop(self) {}

    /// Whether the task has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl fmt::Debug for RefreshTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTask").field("finished", &self.is_finished()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_urls_follow_both_specifications() {
        let [oidc, oauth] = discovery_urls("https://idp.example/tenant/", false).unwrap();
        assert_eq!(oidc.as_str(), "https://idp.example/tenant/.well-known/openid-configuration");
        assert_eq!(oauth.as_str(), "https://idp.example/.well-known/oauth-authorization-server/tenant");
        let [oidc, oauth] = discovery_urls("https://idp.example", false).unwrap();
        assert_eq!(oidc.as_str(), "https://idp.example/.well-known/openid-configuration");
        assert_eq!(oauth.as_str(), "https://idp.example/.well-known/oauth-authorization-server");
    }

    /// The rule of `fetch::check_jwks_uri`, through the discovery code path:
    /// the test server of `tests/remote.rs` speaks plain HTTP, so an `https`
    /// issuer on loopback cannot be discovered end to end there.
    #[test]
    fn an_https_issuer_may_not_downgrade_its_jwks_uri_to_http() {
        let keys = RemoteKeys::discover("https://127.0.0.1:8443").build().unwrap();
        let Source::Discovery { urls: [from, _], .. } = &keys.shared.source else { unreachable!() };
        let doc = |jwks_uri: &str| format!(r#"{{"issuer": "https://127.0.0.1:8443", "jwks_uri": "{jwks_uri}"}}"#);
        let metadata = |jwks_uri: &str| keys.shared.metadata("https://127.0.0.1:8443", from, doc(jwks_uri).as_bytes());
        assert_eq!(
            metadata("http://127.0.0.1:8080/jwks").unwrap_err(),
            RemoteError::InvalidMetadata {
                reason: "`jwks_uri` is refused: the issuer uses https, so its `jwks_uri` must use https too".into()
            }
        );
        assert_eq!(metadata("https://127.0.0.1:8443/jwks").unwrap().as_str(), "https://127.0.0.1:8443/jwks");

        let keys = RemoteKeys::discover("http://127.0.0.1:8080").build().unwrap();
        let Source::Discovery { urls: [from, _], .. } = &keys.shared.source else { unreachable!() };
        let doc = r#"{"issuer": "http://127.0.0.1:8080", "jwks_uri": "http://127.0.0.1:8080/jwks"}"#;
        assert_eq!(
            keys.shared.metadata("http://127.0.0.1:8080", from, doc.as_bytes()).unwrap().as_str(),
            "http://127.0.0.1:8080/jwks"
        );
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let k = || RemoteKeys::jwks_uri("https://idp.example/jwks");
        let s = Duration::from_secs;
        assert!(matches!(k().ttl_bounds(s(10), s(5)).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(k().timeouts(Duration::ZERO, s(1)).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(k().retry_backoff(s(5), s(1)).build(), Err(ConfigError::Invalid(_))));
        assert!(matches!(
            RemoteKeys::discover("https://idp.example/?tenant=a").build(),
            Err(ConfigError::Url {
                reason: "an issuer has no query or fragment (OpenID Connect Discovery 1.0 §2)",
                ..
            })
        ));
        assert!(matches!(
            RemoteKeys::jwks_uri("not a url").build(),
            Err(ConfigError::Url { reason: "not a valid URL", .. })
        ));
    }
}
