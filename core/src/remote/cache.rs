//! The key cache: a lock-free snapshot of the last good keys, and one
//! refresh at a time, run in its own task so that no caller holds a lock
//! across the network call and a cancelled request does not cancel it.

use core::time::Duration;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use arc_swap::ArcSwapOption;
use reqwest::Url;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::Instant;

use super::fetch::{self, Fetched, Validators};
use super::{CacheStats, RemoteError, Settings, Source};
use crate::error::Error;
use crate::keys::KeySet;

/// The keys of one successful fetch, with their freshness.
pub(super) struct Snapshot {
    pub(super) keys: KeySet,
    jwks_uri: Url,
    validators: Validators,
    /// Refresh from here on (before expiry, so that readers never wait).
    refresh_at: Instant,
    expires_at: Instant,
    /// Past this the keys are no longer served.
    unusable_at: Instant,
}

/// Why a refresh is asked for; each kind has its own limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Why {
    /// Nothing usable is cached: limited by the failure backoff.
    Empty,
    /// A token names a key that is not cached: at most one per `min_refresh_interval`.
    UnknownKey,
    /// The cached keys are due for refresh: limited by the failure backoff.
    Due,
    /// Asked for explicitly: joins a running refresh, otherwise always runs.
    Forced,
}

type Outcome = Option<Result<(), RemoteError>>;

/// A refresh in progress; wait on it with [`Flight::wait`].
pub(super) struct Flight(watch::Receiver<Outcome>);

impl Flight {
    pub(super) async fn wait(mut self) -> Result<(), RemoteError> {
        match self.0.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Err(RemoteError::Cancelled)),
            Err(_) => Err(RemoteError::Cancelled),
        }
    }
}

#[derive(Default)]
struct State {
    flight: Option<watch::Receiver<Outcome>>,
    last_unknown_key_refresh: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
    /// The `jwks_uri` found by discovery.
    discovered: Option<Url>,
}

#[derive(Default)]
struct Counters {
    jwks_requests: AtomicU64,
    discovery_requests: AtomicU64,
    not_modified: AtomicU64,
    failures: AtomicU64,
}

pub(super) struct Shared {
    pub(super) source: Source,
    pub(super) settings: Settings,
    client: reqwest::Client,
    snapshot: ArcSwapOption<Snapshot>,
    state: Mutex<State>,
    counters: Counters,
}

impl Shared {
    pub(super) fn new(source: Source, settings: Settings, client: reqwest::Client) -> Self {
        Self {
            source,
            settings,
            client,
            snapshot: ArcSwapOption::empty(),
            state: Mutex::default(),
            counters: Counters::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is plain data updated in one step: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached snapshot if it may still be served; asks for a refresh
    /// when it is due or unusable. Never waits.
    pub(super) fn usable(self: &Arc<Self>) -> Option<Arc<Snapshot>> {
        let snapshot = self.snapshot.load_full()?;
        let now = Instant::now();
        if now >= snapshot.refresh_at {
            let _ = self.start(if now >= snapshot.unusable_at { Why::Empty } else { Why::Due });
        }
        (now < snapshot.unusable_at).then_some(snapshot)
    }

    /// Verifies with the cached keys; on a missing key, asks for a refresh
    /// (which runs in the background) and answers at once.
    pub(super) fn verify_now<T>(self: &Arc<Self>, f: impl Fn(&KeySet) -> Result<T, Error>) -> Result<T, Error> {
        let snapshot = self.usable();
        let result = run(snapshot.as_deref(), &f);
        if needs_keys(&result) {
            let _ = self.start(if snapshot.is_none() { Why::Empty } else { Why::UnknownKey });
        }
        result
    }

    /// Like [`Shared::verify_now`], but waits for the refresh it asked for
    /// (or the one already running), then tries once more.
    pub(super) async fn verify_waiting<T>(
        self: &Arc<Self>,
        f: impl Fn(&KeySet) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let before = self.usable();
        let result = run(before.as_deref(), &f);
        if !needs_keys(&result) {
            return result;
        }
        if let Some(flight) = self.start(if before.is_none() { Why::Empty } else { Why::UnknownKey }) {
            let _ = flight.wait().await;
        }
        let after = self.usable();
        let unchanged = match (&before, &after) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if unchanged { result } else { run(after.as_deref(), &f) }
    }

    /// Starts a refresh (or joins the running one) unless `why`'s limit
    /// forbids it now or there is no Tokio runtime to run it on.
    pub(super) fn start(self: &Arc<Self>, why: Why) -> Option<Flight> {
        let mut state = self.state();
        if let Some(flight) = &state.flight {
            return Some(Flight(flight.clone()));
        }
        let now = Instant::now();
        if why != Why::Forced && state.retry_at.is_some_and(|at| now < at) {
            return None;
        }
        if why == Why::UnknownKey {
            if state.last_unknown_key_refresh.is_some_and(|at| now < later(at, self.settings.min_refresh_interval)) {
                return None;
            }
            state.last_unknown_key_refresh = Some(now);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!(source = %self.source, "no Tokio runtime: the key refresh cannot start");
            return None;
        };
        let (tx, rx) = watch::channel(None);
        state.flight = Some(rx.clone());
        drop(state);
        let guard = FlightGuard { shared: Arc::downgrade(self), tx, rx: rx.clone() };
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            let outcome = shared.refresh().await;
            shared.finish(&outcome, &guard.rx);
            let _ = guard.tx.send(Some(outcome));
        });
        Some(Flight(rx))
    }

    /// Records a refresh's outcome for the limits.
    fn finish(&self, outcome: &Result<(), RemoteError>, flight: &watch::Receiver<Outcome>) {
        let mut state = self.state();
        state.end_flight(flight);
        match outcome {
            Ok(()) => {
                state.failures = 0;
                state.retry_at = None;
            }
            Err(e) => {
                self.counters.failures.fetch_add(1, Ordering::Relaxed);
                state.failures = state.failures.saturating_add(1);
                let (first, max) = (self.settings.retry_initial, self.settings.retry_max);
                let factor = 1u32 << state.failures.saturating_sub(1).min(16);
                let delay = first.saturating_mul(factor).min(max);
                state.retry_at = Some(later(Instant::now(), delay));
                if matches!(e, RemoteError::Status { status: 404 | 410 }) {
                    state.discovered = None;
                }
                drop(state);
                if let Some(s) = self.snapshot.load_full() {
                    tracing::warn!(
                        source = %self.source,
                        error = %e,
                        stale_for_secs = Instant::now().saturating_duration_since(s.expires_at).as_secs(),
                        retry_in_ms = delay.as_millis(),
                        "key refresh failed; serving the last good keys"
                    );
                } else {
                    tracing::warn!(
                        source = %self.source,
                        error = %e,
                        retry_in_ms = delay.as_millis(),
                        "key refresh failed; no keys are available yet"
                    );
                }
            }
        }
    }

    /// One refresh: discovery when needed, then the JWKS (conditionally when cached).
    async fn refresh(&self) -> Result<(), RemoteError> {
        let jwks_uri = self.jwks_uri().await?;
        let previous = self.snapshot.load_full().filter(|s| s.jwks_uri == jwks_uri);
        self.counters.jwks_requests.fetch_add(1, Ordering::Relaxed);
        let fetched = fetch::get(
            &self.client,
            &jwks_uri,
            "application/jwk-set+json, application/json",
            previous.as_ref().map(|s| &s.validators),
        )
        .await?;
        let now = Instant::now();
        let snapshot = match fetched {
            Fetched::NotModified { max_age } => {
                self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                let Some(previous) = previous else { return Err(RemoteError::Status { status: 304 }) };
                tracing::debug!(source = %self.source, "keys not modified");
                self.snapshot_at(now, previous.keys.clone(), jwks_uri, previous.validators.clone(), max_age)
            }
            Fetched::Body { body, validators, max_age } => {
                let text = core::str::from_utf8(&body)
                    .map_err(|_| RemoteError::InvalidJwks { reason: "the response is not UTF-8".into() })?;
                // A well-formed JWKS is the provider's answer even when it holds
                // no usable key: it replaces the cached keys, so a withdrawn key
                // stops verifying at once (RFC 7517 §5). Only a failed fetch or
                // an unreadable body keeps the last good keys.
                let keys =
                    KeySet::from_jwks_document(text).map_err(|e| RemoteError::InvalidJwks { reason: e.to_string() })?;
                for skipped in keys.skipped() {
                    tracing::warn!(
                        source = %self.source,
                        kid = ?skipped.kid,
                        index = skipped.index,
                        reason = skipped.reason,
                        "a key of the JWKS was skipped"
                    );
                }
                if keys.is_empty() {
                    tracing::warn!(
                        source = %self.source,
                        skipped = keys.skipped().len(),
                        "the JWKS holds no usable key; every token is refused until the key source publishes one"
                    );
                } else {
                    tracing::info!(source = %self.source, keys = ?keys, "keys loaded");
                }
                self.snapshot_at(now, keys, jwks_uri, validators, max_age)
            }
        };
        self.snapshot.store(Some(Arc::new(snapshot)));
        Ok(())
    }

    fn snapshot_at(
        &self,
        now: Instant,
        keys: KeySet,
        jwks_uri: Url,
        validators: Validators,
        max_age: Option<Duration>,
    ) -> Snapshot {
        let s = &self.settings;
        // `max` first: `clamp` would panic on bounds the wrong way round.
        let ttl = max_age.unwrap_or(s.default_ttl).min(s.max_ttl).max(s.min_ttl);
        let expires_at = later(now, ttl);
        Snapshot {
            keys,
            jwks_uri,
            validators,
            // Refresh when nine tenths of the lifetime have passed.
            refresh_at: later(now, ttl.saturating_sub(ttl / 10)),
            expires_at,
            unusable_at: later(expires_at, s.max_staleness),
        }
    }

    /// The JWKS URL: configured, or found by discovery (and then kept).
    async fn jwks_uri(&self) -> Result<Url, RemoteError> {
        let issuer = match &self.source {
            Source::Jwks(url) => return Ok(url.clone()),
            Source::Discovery { issuer, .. } => issuer,
        };
        if let Some(url) = self.state().discovered.clone() {
            return Ok(url);
        }
        let url = self.discover(issuer).await?;
        self.state().discovered = Some(url.clone());
        Ok(url)
    }

    /// OpenID Connect Discovery 1.0 §4, then RFC 8414 §3 when the first
    /// answers 404; the document's `issuer` must equal ours exactly (§4.3).
    async fn discover(&self, issuer: &str) -> Result<Url, RemoteError> {
        let Source::Discovery { urls, .. } = &self.source else { return Err(RemoteError::Cancelled) };
        let (from, body) = fetch::metadata_document(&self.client, urls, || {
            self.counters.discovery_requests.fetch_add(1, Ordering::Relaxed);
        })
        .await?;
        self.metadata(issuer, from, &body)
    }

    /// The `jwks_uri` of the metadata document fetched from `from` (a
    /// discovery URL, built from the issuer and so with its scheme).
    pub(super) fn metadata(&self, issuer: &str, from: &Url, body: &[u8]) -> Result<Url, RemoteError> {
        #[derive(Deserialize)]
        struct Metadata {
            issuer: String,
            jwks_uri: String,
        }
        let meta: Metadata = serde_json::from_slice(body).map_err(|e| RemoteError::InvalidMetadata {
            reason: format!("not a metadata document with string `issuer` and `jwks_uri`: {e}"),
        })?;
        if meta.issuer != issuer {
            return Err(RemoteError::IssuerMismatch { found: crate::error::Echo::new(&meta.issuer) });
        }
        let url = Url::parse(&meta.jwks_uri)
            .map_err(|_| RemoteError::InvalidMetadata { reason: "`jwks_uri` is not a URL".into() })?;
        fetch::check_metadata_url(from, &url, self.settings.allow_http)
            .map_err(|reason| RemoteError::InvalidMetadata { reason: format!("`jwks_uri` is refused: {reason}") })?;
        Ok(url)
    }

    pub(super) fn keys(&self) -> Option<KeySet> {
        self.snapshot.load().as_ref().map(|s| s.keys.clone())
    }

    pub(super) fn stats(&self) -> CacheStats {
        let c = &self.counters;
        CacheStats {
            jwks_requests: c.jwks_requests.load(Ordering::Relaxed),
            discovery_requests: c.discovery_requests.load(Ordering::Relaxed),
            not_modified: c.not_modified.load(Ordering::Relaxed),
            failures: c.failures.load(Ordering::Relaxed),
            refreshing: self.state().flight.is_some(),
        }
    }

    /// When the background task should next ask for a refresh.
    pub(super) fn next_refresh(&self) -> Instant {
        let now = Instant::now();
        let due = self.snapshot.load().as_ref().map_or(now, |s| s.refresh_at);
        let retry = self.state().retry_at.unwrap_or(now);
        due.max(retry)
    }
}

/// Clears the running refresh when its task ends, even if it is cancelled
/// (runtime shut down), so that a later request can start another.
struct FlightGuard {
    shared: Weak<Shared>,
    tx: watch::Sender<Outcome>,
    rx: watch::Receiver<Outcome>,
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.state().end_flight(&self.rx);
        }
    }
}

impl State {
    /// Clears the running refresh if it is `flight` (and not a newer one).
    fn end_flight(&mut self, flight: &watch::Receiver<Outcome>) {
        if self.flight.as_ref().is_some_and(|f| f.same_channel(flight)) {
            self.flight = None;
        }
    }
}

/// Runs `f` with the snapshot's keys; without a snapshot (nothing fetched
/// yet, or past the staleness limit), a token that gets as far as key
/// selection is answered `KeysUnavailable` (a malformed one is still refused
/// for what it is). A snapshot with no key is an answer of the key source:
/// the token's key is unknown.
fn run<T>(snapshot: Option<&Snapshot>, f: &impl Fn(&KeySet) -> Result<T, Error>) -> Result<T, Error> {
    match snapshot {
        Some(s) => f(&s.keys),
        None => match f(&KeySet::new()) {
            Err(Error::UnknownKey { .. }) => Err(Error::KeysUnavailable),
            other => other,
        },
    }
}

fn needs_keys<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::UnknownKey { .. } | Error::KeysUnavailable))
}

/// How far ahead [`later`] saturates: 30 years.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `at + d` without the panic of `Instant + Duration` on overflow: `d` counts
/// for at most [`FAR_FUTURE`] (so a longer `d` never gives an earlier
/// instant), and if even that overflows, `at` itself (a refresh due at once,
/// keys no longer served: the safe side).
pub(super) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d.min(FAR_FUTURE)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings past every cap (which `build` refuses) still never make the
    /// cache's time arithmetic panic.
    fn extreme(d: Duration) -> Shared {
        let settings = Settings {
            default_ttl: d,
            min_ttl: d,
            max_ttl: d,
            min_refresh_interval: d,
            max_staleness: d,
            retry_initial: d,
            retry_max: d,
            allow_http: false,
        };
        let url = Url::parse("http://127.0.0.1:1/jwks").unwrap();
        let client = fetch::client(Duration::from_secs(1), Duration::from_secs(1), false, false).unwrap();
        Shared::new(Source::Jwks(url), settings, client)
    }

    #[tokio::test]
    async fn instant_arithmetic_saturates_instead_of_panicking() {
        let now = Instant::now();
        assert_eq!(later(now, Duration::from_secs(1)), now + Duration::from_secs(1));
        assert_eq!(later(now, Duration::MAX), now + FAR_FUTURE);
        assert_eq!(later(now, Duration::from_secs(u64::MAX / 2)), now + FAR_FUTURE);

        for d in [Duration::ZERO, Duration::from_nanos(1), Duration::from_secs(u64::MAX / 2), Duration::MAX] {
            let shared = Arc::new(extreme(d));
            for max_age in [None, Some(Duration::ZERO), Some(Duration::from_secs(u64::MAX)), Some(Duration::MAX)] {
                let url = Url::parse("http://127.0.0.1:1/jwks").unwrap();
                let s = shared.snapshot_at(Instant::now(), KeySet::new(), url, Validators::default(), max_age);
                assert!(s.refresh_at <= s.expires_at && s.expires_at <= s.unusable_at, "{d:?} {max_age:?}");
            }
            // Two unknown-kid refreshes (the second checks the interval), then failures and their backoff.
            for _ in 0..2 {
                let _ = shared.start(Why::UnknownKey).map(Flight::wait);
                shared.state().flight = None;
            }
            let (_tx, rx) = watch::channel(None);
            for _ in 0..40 {
                shared.finish(&Err(RemoteError::Connect), &rx);
            }
            let _ = shared.next_refresh();
        }
    }
}
