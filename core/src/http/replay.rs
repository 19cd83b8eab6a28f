//! Replay detection for DPoP proofs (RFC 9449 §11.1): a proof's `jti` is
//! accepted once while its `iat` is inside the window.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// What a [`ReplayStore`] remembers of one proof: 128 bits of the SHA-256 of
/// the proof key's thumbprint and the proof's `jti` (never the proof itself).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey(pub(crate) [u8; 16]);

impl ReplayKey {
    /// The key's bytes, for stores that keep them elsewhere.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The key as 32 lowercase hex characters (a Redis key, for instance).
    pub fn to_hex(&self) -> String {
        use core::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub(crate) fn of(jkt: &str, jti: &str) -> Self {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(jkt.as_bytes());
        ctx.update(b"\0");
        ctx.update(jti.as_bytes());
        let digest = ctx.finish();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest.as_ref()[..16]);
        Self(key)
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({})", self.to_hex())
    }
}

/// Why a [`ReplayStore`] could not answer. The request is refused with 503
/// (fail closed): a proof is never accepted unchecked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayStoreError {
    /// The store is full of proofs still inside their window; none is
    /// forgotten to make room.
    #[error("the replay store is full ({capacity} proofs inside their window)")]
    Full {
        /// The store's capacity.
        capacity: usize,
    },
    /// The store could not be reached or answered wrongly.
    #[error("the replay store is unavailable: {0}")]
    Unavailable(String),
}

/// The boxed future a [`ReplayStore`] returns.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>>;

/// Remembers DPoP proofs for as long as they could be replayed.
///
/// `insert_once` answers `true` the first time it sees a key within its
/// lifetime and `false` after (atomically: of two concurrent inserts of one
/// key, exactly one is `true`). Share one store between every instance of an
/// API (the `redis` feature has one), or each instance accepts a proof once.
pub trait ReplayStore: Send + Sync + 'static {
    /// Records `key` for `lifetime`; `true` if it was not already there.
    fn insert_once(&self, key: ReplayKey, lifetime: Duration) -> ReplayFuture<'_>;
}

/// One shard: replay keys and when each expires (ms since the store's start),
/// and the earliest of those expiries (a full shard with none due refuses at
/// once, without a sweep).
type Shard = Mutex<(HashMap<[u8; 16], u64>, u64)>;

/// The default [`ReplayStore`]: in memory, for one process.
///
/// Memory is bounded: it holds at most `capacity` proofs (about 50 bytes
/// each with the hash table's overhead: 1,000,000 by default, about 50 MiB
/// at most, as measured in BENCHMARKS.md). Entries expire with
/// their proof's window; when the store is full of proofs still inside their
/// window it refuses new ones with [`ReplayStoreError::Full`] (503) rather
/// than forget one that could then be replayed.
///
/// ```
/// use std::time::Duration;
/// use tokenkind::http::{MemoryReplayStore, ReplayStore};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryReplayStore::with_capacity(10_000);
/// let key = tokenkind::http::ReplayKey::from_bytes([7; 16]);
/// assert_eq!(store.insert_once(key, Duration::from_secs(360)).await, Ok(true));
/// assert_eq!(store.insert_once(key, Duration::from_secs(360)).await, Ok(false));
/// # }
/// ```
pub struct MemoryReplayStore {
    shards: Box<[Shard]>,
    per_shard: usize,
    capacity: usize,
    start: Instant,
}

const SHARDS: usize = 16;

impl MemoryReplayStore {
    /// The default capacity: 1,000,000 proofs.
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// A store for [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) proofs.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store for at most `capacity` proofs (at least 16).
    pub fn with_capacity(capacity: usize) -> Self {
        let per_shard = capacity.max(SHARDS).div_ceil(SHARDS);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new((HashMap::new(), u64::MAX))).collect(),
            per_shard,
            capacity: per_shard * SHARDS,
            start: Instant::now(),
        }
    }

    /// How many proofs it holds now (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).0.len()).sum()
    }

    /// Whether it holds no proof.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn insert(&self, key: ReplayKey, lifetime: Duration) -> Result<bool, ReplayStoreError> {
        let now = self.now_ms();
        let expires = now.saturating_add(u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX));
        let shard = usize::from(key.0[0]) % SHARDS;
        let mut guard = self.shards[shard].lock().unwrap_or_else(PoisonError::into_inner);
        let (map, earliest) = &mut *guard;
        if let Some(until) = map.get_mut(&key.0) {
            if *until > now {
                return Ok(false);
            }
            *until = expires;
            *earliest = (*earliest).min(expires);
            return Ok(true);
        }
        if map.len() >= self.per_shard {
            // Sweep only when an entry is due: a flood against a full store
            // costs a lookup per proof, not a pass over the shard.
            if *earliest > now {
                return Err(ReplayStoreError::Full { capacity: self.capacity });
            }
            map.retain(|_, until| *until > now);
            *earliest = map.values().copied().min().unwrap_or(u64::MAX);
            if map.len() >= self.per_shard {
                return Err(ReplayStoreError::Full { capacity: self.capacity });
            }
        }
        map.insert(key.0, expires);
        *earliest = (*earliest).min(expires);
        Ok(true)
    }
}

impl ReplayKey {
    /// A key from its bytes (for tests and stores of your own).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

impl Default for MemoryReplayStore {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn insert_once(&self, key: ReplayKey, lifetime: Duration) -> ReplayFuture<'_> {
        let result = self.insert(key, lifetime);
        Box::pin(async move { result })
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore").field("capacity", &self.capacity).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> ReplayKey {
        ReplayKey::of("jkt", &i.to_string())
    }

    #[test]
    fn a_key_is_accepted_once_within_its_lifetime() {
        let store = MemoryReplayStore::with_capacity(100);
        assert_eq!(store.insert(key(1), Duration::from_secs(60)), Ok(true));
        assert_eq!(store.insert(key(1), Duration::from_secs(60)), Ok(false));
        assert_eq!(store.insert(key(2), Duration::from_secs(60)), Ok(true));
        // Expired: accepted again (its proof's `iat` is then outside the window anyway).
        assert_eq!(store.insert(key(3), Duration::ZERO), Ok(true));
        assert_eq!(store.insert(key(3), Duration::from_secs(60)), Ok(true));
    }

    #[test]
    fn a_full_store_refuses_instead_of_forgetting() {
        let store = MemoryReplayStore::with_capacity(16);
        let mut refused = 0;
        for i in 0..1000 {
            match store.insert(key(i), Duration::from_secs(60)) {
                Ok(true) => {}
                Err(ReplayStoreError::Full { capacity: 16 }) => refused += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(store.len() <= 16, "{}", store.len());
        assert!(refused >= 1000 - 16);
        // Everything it accepted is still remembered.
        let remembered = (0..1000).filter(|i| store.insert(key(*i), Duration::from_secs(60)) == Ok(false)).count();
        assert_eq!(remembered, store.len());
    }

    #[test]
    fn expired_entries_make_room() {
        let store = MemoryReplayStore::with_capacity(16);
        for i in 0..1000 {
            assert_eq!(store.insert(key(i), Duration::ZERO), Ok(true));
        }
        assert!(store.len() <= 16);
    }

    #[test]
    fn keys_depend_on_the_proof_key_and_the_jti() {
        assert_ne!(ReplayKey::of("a", "1"), ReplayKey::of("b", "1"));
        assert_ne!(ReplayKey::of("a", "1"), ReplayKey::of("a", "2"));
        assert_ne!(ReplayKey::of("a\u{0}1", ""), ReplayKey::of("a", "\u{0}1"));
        assert_eq!(ReplayKey::from_bytes([0xab; 16]).to_hex(), "ab".repeat(16));
    }
}
