//! One connection to a Redis server, shared by the features that keep state
//! there (the DPoP replay store, the shared introspection cache): connected
//! on first use, reconnected after a failure, every command bounded by a
//! timeout.

use core::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

use crate::error::ConfigError;

/// How long one Redis command may take before it counts as failed.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) struct RedisLink {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    pub(crate) timeout: Duration,
}

impl RedisLink {
    /// A link to the server at `url` (`redis://host:port/db`, `rediss://` for TLS); nothing is connected yet.
    pub(crate) fn open(url: &str) -> Result<Self, ConfigError> {
        let client = redis::Client::open(url)
            .map_err(|_| ConfigError::Url { url: url.to_owned(), reason: "not a redis:// or rediss:// URL" })?;
        Ok(Self { client, connection: Mutex::new(None), timeout: DEFAULT_REDIS_TIMEOUT })
    }

    /// Where it points (never the password a URL may hold).
    pub(crate) fn server(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }

    async fn connection(&self) -> Result<MultiplexedConnection, String> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = tokio::time::timeout(self.timeout, self.client.get_multiplexed_async_connection())
            .await
            .map_err(|_| "connecting to Redis timed out".to_owned())?
            .map_err(|e| format!("cannot connect to Redis: {e}"))?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Runs `command`; after an error or a timeout the connection is dropped
    /// and the next command reconnects.
    pub(crate) async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, String> {
        let mut connection = self.connection().await?;
        let answer = tokio::time::timeout(self.timeout, command.query_async::<T>(&mut connection)).await;
        self.settle(answer).await
    }

    /// Runs `pipeline`, as [`RedisLink::query`].
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) async fn query_pipeline<T: redis::FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, String> {
        let mut connection = self.connection().await?;
        let answer = tokio::time::timeout(self.timeout, pipeline.query_async::<T>(&mut connection)).await;
        self.settle(answer).await
    }

    async fn settle<T>(&self, answer: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>) -> Result<T, String> {
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                *self.connection.lock().await = None;
                Err(format!("Redis refused the command: {e}"))
            }
            Err(_) => {
                *self.connection.lock().await = None;
                Err("a Redis command timed out".to_owned())
            }
        }
    }
}
