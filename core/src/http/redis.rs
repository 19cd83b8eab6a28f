//! A DPoP replay store in Redis (feature `redis`): every instance of an API
//! shares one view of the proofs already used.

use core::fmt;
use core::time::Duration;

use super::replay::{ReplayFuture, ReplayKey, ReplayStore, ReplayStoreError};
use crate::error::ConfigError;
use crate::redis_link::RedisLink;

/// A [`ReplayStore`] in Redis: one atomic `SET key 1 NX PX lifetime` per
/// proof, so of two instances that see the same proof at once exactly one
/// accepts it. Keys are `{prefix}{128-bit hex}` and expire with their proof's
/// window, so memory follows the request rate, bounded by Redis's own
/// `maxmemory`.
///
/// It connects on first use and reconnects after a failure; while Redis
/// cannot be reached (or takes longer than the timeout) every DPoP request
/// is answered 503 and logged: a proof is never accepted unchecked.
///
/// ```no_run
/// use tokenkind::http::{DpopPolicy, RedisReplayStore};
///
/// let store = RedisReplayStore::new("redis://127.0.0.1:6379/")?;
/// let policy = DpopPolicy::required().replay_store(store);
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
pub struct RedisReplayStore {
    link: RedisLink,
    prefix: String,
}

impl RedisReplayStore {
    /// A store for the Redis server at `url` (`redis://host:port/db`,
    /// `rediss://` for TLS); nothing is connected yet.
    ///
    /// # Errors
    /// [`ConfigError::Url`] when `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        Ok(Self { link: RedisLink::open(url)?, prefix: "tokenkind:dpop:".to_owned() })
    }

    /// The key prefix (default `tokenkind:dpop:`): APIs that must not see
    /// each other's proofs use different prefixes.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long connecting or one command may take (default 1 s, at least 1 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.link.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    async fn insert(&self, key: ReplayKey, lifetime: Duration) -> Result<bool, ReplayStoreError> {
        let millis = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut set = redis::cmd("SET");
        set.arg(format!("{}{}", self.prefix, key.to_hex())).arg(1).arg("NX").arg("PX").arg(millis);
        match self.link.query::<Option<String>>(&set).await {
            Ok(Some(_)) => Ok(true),
            Ok(None) => Ok(false),
            Err(reason) => Err(ReplayStoreError::Unavailable(reason)),
        }
    }
}

impl ReplayStore for RedisReplayStore {
    fn insert_once(&self, key: ReplayKey, lifetime: Duration) -> ReplayFuture<'_> {
        Box::pin(self.insert(key, lifetime))
    }
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: only where it points.
        f.debug_struct("RedisReplayStore")
            .field("server", &self.link.server())
            .field("prefix", &self.prefix)
            .field("timeout", &self.link.timeout)
            .finish_non_exhaustive()
    }
}
