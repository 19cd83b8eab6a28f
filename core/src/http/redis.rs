//! A DPoP replay store in Redis (feature `redis`): every instance of an API
//! shares one view of the proofs already used.

use core::fmt;
use core::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

use super::replay::{ReplayFuture, ReplayKey, ReplayStore, ReplayStoreError};
use crate::error::ConfigError;

/// How long one Redis command may take before the request is answered 503.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(1);

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
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    timeout: Duration,
}

impl RedisReplayStore {
    /// A store for the Redis server at `url` (`redis://host:port/db`,
    /// `rediss://` for TLS); nothing is connected yet.
    ///
    /// # Errors
    /// [`ConfigError::Url`] when `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let client = redis::Client::open(url)
            .map_err(|_| ConfigError::Url { url: url.to_owned(), reason: "not a redis:// or rediss:// URL" })?;
        Ok(Self {
            client,
            connection: Mutex::new(None),
            prefix: "tokenkind:dpop:".to_owned(),
            timeout: DEFAULT_REDIS_TIMEOUT,
        })
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
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    async fn connection(&self) -> Result<MultiplexedConnection, ReplayStoreError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = tokio::time::timeout(self.timeout, self.client.get_multiplexed_async_connection())
            .await
            .map_err(|_| ReplayStoreError::Unavailable("connecting to Redis timed out".into()))?
            .map_err(|e| ReplayStoreError::Unavailable(format!("cannot connect to Redis: {e}")))?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    async fn insert(&self, key: ReplayKey, lifetime: Duration) -> Result<bool, ReplayStoreError> {
        let mut connection = self.connection().await?;
        let millis = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut set = redis::cmd("SET");
        set.arg(format!("{}{}", self.prefix, key.to_hex())).arg(1).arg("NX").arg("PX").arg(millis);
        let answer = tokio::time::timeout(self.timeout, set.query_async::<Option<String>>(&mut connection)).await;
        match answer {
            Ok(Ok(Some(_))) => Ok(true),
            Ok(Ok(None)) => Ok(false),
            Ok(Err(e)) => {
                *self.connection.lock().await = None;
                Err(ReplayStoreError::Unavailable(format!("Redis refused SET NX: {e}")))
            }
            Err(_) => {
                *self.connection.lock().await = None;
                Err(ReplayStoreError::Unavailable("a Redis command timed out".into()))
            }
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
        let info = self.client.get_connection_info();
        f.debug_struct("RedisReplayStore")
            .field("server", &info.addr().to_string())
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
