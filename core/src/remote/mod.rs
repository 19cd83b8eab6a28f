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
pub mod introspection;

use core::fmt;
use core::ops::RangeInclusive;
use core::time::Duration;
use std::sync::Arc;

use reqwest::Url;

use self::cache::{Shared, Why};
pub use self::fetch::MAX_RESPONSE_BYTES;
#[cfg(feature = "redis")]
pub use self::introspection::SharedIntrospectionCache;
pub use self::introspection::{ClientAuth, ClientKey, Introspection, IntrospectionBuilder};
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

/// Allowed key lifetimes (`default_ttl`, both `ttl_bounds`): 10 ms (the
/// background refresh's least spacing) to 7 days.
const TTL_RANGE: RangeInclusive<Duration> = Duration::from_millis(10)..=Duration::from_secs(7 * 24 * 60 * 60);
/// Allowed `min_refresh_interval`: 1 second (a flood of unknown `kid`s must
/// not turn into back-to-back fetches) to 1 hour (a rotated key must be
/// picked up the same hour).
const MIN_REFRESH_INTERVAL_RANGE: RangeInclusive<Duration> = Duration::from_secs(1)..=Duration::from_secs(60 * 60);
/// Allowed `max_staleness`: none at all to 7 days.
const MAX_STALENESS_RANGE: RangeInclusive<Duration> = Duration::ZERO..=Duration::from_secs(7 * 24 * 60 * 60);
/// Allowed timeouts: 100 ms to 60 seconds (a refresh in flight holds back
/// the requests waiting for it).
const TIMEOUT_RANGE: RangeInclusive<Duration> = Duration::from_millis(100)..=Duration::from_secs(60);
/// Allowed retry delays: 1 ms to 1 hour.
const RETRY_RANGE: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(60 * 60);

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

    /// The keys a verification would use now, if any (for a diagnosis).
    pub(crate) fn usable_keys(&self) -> Option<KeySet> {
        self.shared.usable().map(|snapshot| snapshot.keys.clone())
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
    ///
    /// Allowed: 10 ms to 7 days; [`build`](Self::build) refuses other values
    /// with [`ConfigError::Invalid`].
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.settings.default_ttl = ttl;
        self
    }

    /// Bounds on a response's `max-age` (default 1 minute to 24 hours), so a
    /// server can neither make the cache refetch constantly nor keep keys forever.
    ///
    /// Allowed: each bound from 10 ms to 7 days, `min` at most `max`;
    /// [`build`](Self::build) refuses other values with [`ConfigError::Invalid`].
    /// A `max-age` too large to read counts as 2^31 seconds (RFC 9111 §1.2.2),
    /// then this upper bound applies.
    pub fn ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.settings.min_ttl = min;
        self.settings.max_ttl = max;
        self
    }

    /// The least time between two refreshes caused by tokens naming an
    /// unknown `kid` (default 30 seconds).
    ///
    /// Allowed: 1 second to 1 hour; [`build`](Self::build) refuses other
    /// values with [`ConfigError::Invalid`].
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.settings.min_refresh_interval = interval;
        self
    }

    /// How long past their expiry the last good keys are still served while
    /// refreshes fail (default 6 hours); after that, verification fails with
    /// [`Error::KeysUnavailable`].
    ///
    /// Allowed: zero (never serve expired keys) to 7 days;
    /// [`build`](Self::build) refuses longer with [`ConfigError::Invalid`].
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.settings.max_staleness = staleness;
        self
    }

    /// Connect timeout and total timeout of one request, body included
    /// (defaults 5 and 10 seconds).
    ///
    /// Allowed: each from 100 ms to 60 seconds; [`build`](Self::build)
    /// refuses other values with [`ConfigError::Invalid`].
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// After a failed refresh, the next waits `initial`, doubled on each
    /// further failure up to `max` (defaults 1 and 30 seconds).
    ///
    /// Allowed: each from 1 ms to 1 hour, `initial` at most `max`;
    /// [`build`](Self::build) refuses other values with [`ConfigError::Invalid`].
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
    /// (loopback excepted); [`ConfigError::Invalid`] for a duration outside
    /// its allowed range (see each setter).
    pub fn build(self) -> Result<RemoteKeys, ConfigError> {
        self.check_durations()?;
        let s = &self.settings;
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

    /// Every duration within its range, so that no `Instant` arithmetic of
    /// the cache can come near overflowing.
    fn check_durations(&self) -> Result<(), ConfigError> {
        let s = &self.settings;
        let invalid = |ok: bool, message| if ok { Ok(()) } else { Err(ConfigError::Invalid(message)) };
        invalid(
            [s.default_ttl, s.min_ttl, s.max_ttl].iter().all(|d| TTL_RANGE.contains(d)),
            "key lifetimes (`default_ttl`, `ttl_bounds`) must be from 10 ms to 7 days",
        )?;
        invalid(s.min_ttl <= s.max_ttl, "the minimum key lifetime is above the maximum")?;
        invalid(
            MIN_REFRESH_INTERVAL_RANGE.contains(&s.min_refresh_interval),
            "`min_refresh_interval` must be from 1 s to 1 hour",
        )?;
        invalid(MAX_STALENESS_RANGE.contains(&s.max_staleness), "`max_staleness` must be from 0 to 7 days")?;
        invalid(
            TIMEOUT_RANGE.contains(&self.connect_timeout) && TIMEOUT_RANGE.contains(&self.timeout),
            "timeouts must be from 100 ms to 60 s",
        )?;
        invalid(
            RETRY_RANGE.contains(&s.retry_initial) && RETRY_RANGE.contains(&s.retry_max),
            "retry delays (`retry_backoff`) must be from 1 ms to 1 hour",
        )?;
        invalid(s.retry_initial <= s.retry_max, "the first retry delay is above the longest")
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

    /// The rule of `fetch::check_metadata_url`, through the discovery code path:
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
                reason: "`jwks_uri` is refused: the issuer uses https, so this URL must use https too".into()
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
    fn every_duration_setting_is_capped() {
        const TTL: &str = "key lifetimes (`default_ttl`, `ttl_bounds`) must be from 10 ms to 7 days";
        const INTERVAL: &str = "`min_refresh_interval` must be from 1 s to 1 hour";
        const STALENESS: &str = "`max_staleness` must be from 0 to 7 days";
        const TIMEOUTS: &str = "timeouts must be from 100 ms to 60 s";
        const RETRY: &str = "retry delays (`retry_backoff`) must be from 1 ms to 1 hour";
        let k = || RemoteKeys::jwks_uri("https://idp.example/jwks");
        let (ms, s) = (Duration::from_millis, Duration::from_secs);
        let (week, hour) = (s(7 * 24 * 3600), s(3600));
        let ns = Duration::from_nanos(1);
        let refused = |b: RemoteKeysBuilder| match b.build() {
            Err(ConfigError::Invalid(message)) => message,
            other => panic!("expected a refused setting, got {other:?}"),
        };
        for bad in [Duration::ZERO, ns, ms(10).saturating_sub(ns), week + ns, Duration::MAX] {
            assert_eq!(refused(k().default_ttl(bad)), TTL, "{bad:?}");
            assert_eq!(refused(k().ttl_bounds(bad, week)), TTL, "{bad:?}");
            assert_eq!(refused(k().ttl_bounds(ms(10), bad)), TTL, "{bad:?}");
        }
        for bad in [Duration::ZERO, ns, s(1).saturating_sub(ns), hour + ns, Duration::MAX] {
            assert_eq!(refused(k().min_refresh_interval(bad)), INTERVAL, "{bad:?}");
        }
        for bad in [week + ns, s(u64::MAX / 2), Duration::MAX] {
            assert_eq!(refused(k().max_staleness(bad)), STALENESS, "{bad:?}");
        }
        for bad in [Duration::ZERO, ns, ms(100).saturating_sub(ns), s(60) + ns, Duration::MAX] {
            assert_eq!(refused(k().timeouts(bad, s(1))), TIMEOUTS, "{bad:?}");
            assert_eq!(refused(k().timeouts(s(1), bad)), TIMEOUTS, "{bad:?}");
        }
        for bad in [Duration::ZERO, ns, ms(1).saturating_sub(ns), hour + ns, Duration::MAX] {
            assert_eq!(refused(k().retry_backoff(bad, hour)), RETRY, "{bad:?}");
            assert_eq!(refused(k().retry_backoff(ms(1), bad)), RETRY, "{bad:?}");
        }
        assert_eq!(refused(k().ttl_bounds(s(10), s(5))), "the minimum key lifetime is above the maximum");
        assert_eq!(refused(k().retry_backoff(s(5), s(1))), "the first retry delay is above the longest");
        // The edges themselves are allowed.
        for edge in [ms(10), week] {
            k().default_ttl(edge).ttl_bounds(edge, edge).build().unwrap();
        }
        for edge in [s(1), hour] {
            k().min_refresh_interval(edge).build().unwrap();
        }
        for edge in [Duration::ZERO, week] {
            k().max_staleness(edge).build().unwrap();
        }
        for edge in [ms(100), s(60)] {
            k().timeouts(edge, edge).build().unwrap();
        }
        for edge in [ms(1), hour] {
            k().retry_backoff(edge, edge).build().unwrap();
        }
    }

    #[test]
    fn urls_that_cannot_be_used_are_refused() {
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
