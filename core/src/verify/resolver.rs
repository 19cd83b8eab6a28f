//! Issuers added at run time: the user's code picks the verifier for an
//! issuer, and the answers it trusts are cached, with a bound.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use super::issuers::peek_issuer;
use super::{AccessTokenVerifier, DEFAULT_MAX_TOKEN_LEN, IdTokenVerifier, MAX_MAX_TOKEN_LEN, Nonce};
use crate::claims::{AccessClaims, IdClaims};
use crate::error::{Echo, Error};
use crate::scope::Scopes;
use crate::token::{AccessToken, IdToken};

/// How many trusted issuers an [`IssuerResolver`] remembers by default.
pub const DEFAULT_MAX_CACHED_ISSUERS: usize = 1024;

/// What the code given to an [`IssuerResolver`] answers for an issuer.
#[derive(Clone, Debug)]
pub enum Resolution<V> {
    /// Verify the token with this verifier: it runs every check of its own,
    /// `iss` included, with its own keys and profile. Cached.
    Trusted(V),
    /// The issuer is not trusted: the token is refused with
    /// [`Error::WrongIssuer`] (401). Not cached, so an issuer added later is
    /// found.
    Unknown,
    /// The answer cannot be known now (the tenant store is down): the token
    /// is refused with [`Error::KeysUnavailable`] (503, try again later),
    /// never as invalid. Not cached.
    Unavailable,
}

type SyncResolve<V> = dyn Fn(&str) -> Resolution<V> + Send + Sync;
type AsyncResolve<V> = dyn Fn(String) -> Pin<Box<dyn Future<Output = Resolution<V>> + Send>> + Send + Sync;

enum Resolve<V> {
    Sync(Arc<SyncResolve<V>>),
    Async(Arc<AsyncResolve<V>>),
}

impl<V> Clone for Resolve<V> {
    fn clone(&self) -> Self {
        match self {
            Self::Sync(f) => Self::Sync(Arc::clone(f)),
            Self::Async(f) => Self::Async(Arc::clone(f)),
        }
    }
}

/// Picks the verifier for each token by asking your code, for deployments
/// that add issuers (tenants) at run time.
///
/// The token's `iss` is read before anything is verified, only to ask your
/// code which verifier to use; that verifier then runs every check, `iss`
/// included. Your code decides from **its own** records (a tenant table, a
/// configuration): an issuer it does not know is refused
/// ([`Resolution::Unknown`]) and nothing is fetched, so a token cannot make
/// the API contact a URL the token chose. Never build a verifier from the
/// unverified `iss` itself (discovering it, or deriving its JWKS URL from it):
/// anyone could then mint tokens that pass.
///
/// The verifiers your code trusts are cached by issuer, at most
/// [`max_cached`](Self::max_cached) of them (the oldest is forgotten first);
/// refusals are not cached, so an issuer added later is found on its next
/// token. [`forget`](Self::forget) drops an issuer you stopped trusting.
/// Two tokens of a new issuer arriving together may both ask your code.
///
/// ```
/// use std::collections::HashMap;
/// use tokenkind::verify::{IssuerResolver, Resolution};
/// use tokenkind::{AccessTokenVerifier, Error, Scopes};
/// # use tokenkind::dev::DevIssuer;
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
///
/// # let tenant = DevIssuer::new().issuer_url("https://tenant-a.example");
/// // Your records: the tenants you onboarded, each with its verifier.
/// let mut tenants = HashMap::new();
/// tenants.insert("https://tenant-a.example".to_owned(), tenant.access_token_verifier::<Api>().build()?);
///
/// let resolver = IssuerResolver::new(move |issuer: &str| match tenants.get(issuer) {
///     Some(verifier) => Resolution::Trusted(verifier.clone()),
///     None => Resolution::Unknown,
/// });
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let token = resolver.verify_async(&tenant.access_token().sign()).await?;
/// assert_eq!(token.issuer(), "https://tenant-a.example");
///
/// let stranger = DevIssuer::new().issuer_url("https://attacker.example");
/// let refused = resolver.verify_async(&stranger.access_token().sign()).await;
/// assert!(matches!(refused, Err(Error::WrongIssuer { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IssuerResolver<V> {
    resolve: Resolve<V>,
    cache: Arc<Mutex<Cache<V>>>,
    max_token_len: usize,
}

impl<V: Clone + Send + Sync + 'static> IssuerResolver<V> {
    /// A resolver asking `resolve` (synchronous code, such as a lookup in
    /// a map you keep up to date) for each issuer not cached.
    pub fn new(resolve: impl Fn(&str) -> Resolution<V> + Send + Sync + 'static) -> Self {
        Self::with(Resolve::Sync(Arc::new(resolve)))
    }

    /// A resolver asking `resolve` (asynchronous code, such as a database
    /// query) for each issuer not cached. It gets the issuer as read from
    /// the unverified token.
    ///
    /// ```
    /// use tokenkind::verify::{IssuerResolver, Resolution};
    /// use tokenkind::{AccessTokenVerifier, Error, Scopes};
    /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
    /// # enum Api { #[scope("read:messages")] Read }
    /// # async fn tenant_verifier(_issuer: &str) -> Result<Option<AccessTokenVerifier<Api>>, std::io::Error> { Ok(None) }
    ///
    /// let resolver = IssuerResolver::new_async(|issuer: String| async move {
    ///     match tenant_verifier(&issuer).await {
    ///         Ok(Some(verifier)) => Resolution::Trusted(verifier),
    ///         Ok(None) => Resolution::Unknown,
    ///         Err(_) => Resolution::Unavailable,
    ///     }
    /// });
    /// ```
    pub fn new_async<F, Fut>(resolve: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Resolution<V>> + Send + 'static,
    {
        Self::with(Resolve::Async(Arc::new(move |issuer| Box::pin(resolve(issuer)))))
    }

    fn with(resolve: Resolve<V>) -> Self {
        Self {
            resolve,
            cache: Arc::new(Mutex::new(Cache::new(DEFAULT_MAX_CACHED_ISSUERS))),
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        }
    }

    /// How many trusted issuers are remembered (default
    /// [`DEFAULT_MAX_CACHED_ISSUERS`]); beyond it the oldest is forgotten.
    /// `0` asks your code for every token.
    #[must_use]
    pub fn max_cached(mut self, issuers: usize) -> Self {
        self.cache = Arc::new(Mutex::new(Cache::new(issuers)));
        self
    }

    /// Tokens longer than this are refused before `iss` is read (default
    /// 16 KiB, at most 1 MiB); each verifier then applies its own limit.
    #[must_use]
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes.min(MAX_MAX_TOKEN_LEN);
        self
    }

    /// Forgets the cached verifier of `issuer`, if any: its next token asks
    /// your code again. Returns whether one was cached.
    ///
    /// ```
    /// use tokenkind::verify::{IssuerResolver, Resolution};
    /// use tokenkind::AccessTokenVerifier;
    /// # use tokenkind::Scopes;
    /// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
    /// # enum Api { #[scope("read:messages")] Read }
    /// let resolver = IssuerResolver::<AccessTokenVerifier<Api>>::new(|_| Resolution::Unknown);
    /// assert!(!resolver.forget("https://tenant-a.example"));
    /// assert_eq!(resolver.cached(), 0);
    /// ```
    pub fn forget(&self, issuer: &str) -> bool {
        self.lock().remove(issuer)
    }

    /// How many issuers are cached now.
    pub fn cached(&self) -> usize {
        self.lock().map.len()
    }

    /// The verifier for this token's `iss` (not yet verified): cached, or
    /// asked of your code.
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Malformed`] when the payload cannot be
    /// read, [`Error::MissingClaim`] / [`Error::MalformedClaim`] for `iss`,
    /// [`Error::WrongIssuer`] when your code does not know the issuer,
    /// [`Error::KeysUnavailable`] when it cannot answer now.
    pub async fn resolve(&self, token: &str) -> Result<V, Error> {
        let issuer = peek_issuer(token, self.max_token_len)?;
        if let Some(verifier) = self.lock().get(&issuer) {
            return Ok(verifier);
        }
        // The lock is not held while your code runs.
        let resolution = match &self.resolve {
            Resolve::Sync(f) => f(&issuer),
            Resolve::Async(f) => f(issuer.clone()).await,
        };
        match resolution {
            Resolution::Trusted(verifier) => {
                self.lock().insert(&issuer, verifier.clone());
                Ok(verifier)
            }
            Resolution::Unknown => Err(Error::WrongIssuer { found: Echo::new(&issuer) }),
            Resolution::Unavailable => Err(Error::KeysUnavailable),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache<V>> {
        // The cache holds no invariant a panic elsewhere could break.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: Scopes, C: AccessClaims> IssuerResolver<AccessTokenVerifier<S, C>> {
    /// Verifies an access token with the verifier your code picked for its
    /// issuer (waiting for a key refresh if needed).
    ///
    /// # Errors
    /// As [`IssuerResolver::resolve`], then as [`AccessTokenVerifier::verify_async`].
    pub async fn verify_async(&self, token: &str) -> Result<AccessToken<S, C>, Error> {
        self.resolve(token).await?.verify_async(token).await
    }
}

impl<C: IdClaims> IssuerResolver<IdTokenVerifier<C>> {
    /// Verifies an ID token with the verifier your code picked for its issuer.
    ///
    /// # Errors
    /// As [`IssuerResolver::resolve`], then as [`IdTokenVerifier::verify_async`].
    pub async fn verify_async(&self, token: &str, nonce: Nonce<'_>) -> Result<IdToken<C>, Error> {
        self.resolve(token).await?.verify_async(token, nonce).await
    }
}

impl<V> Clone for IssuerResolver<V> {
    /// Cheap: the code and the cache are shared.
    fn clone(&self) -> Self {
        Self { resolve: self.resolve.clone(), cache: Arc::clone(&self.cache), max_token_len: self.max_token_len }
    }
}

impl<V> fmt::Debug for IssuerResolver<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("IssuerResolver")
            .field("asynchronous", &matches!(self.resolve, Resolve::Async(_)))
            .field("cached", &cache.map.len())
            .field("max_cached", &cache.capacity)
            .field("max_token_len", &self.max_token_len)
            .finish_non_exhaustive()
    }
}

/// Trusted verifiers by issuer, the oldest forgotten first beyond `capacity`.
struct Cache<V> {
    map: HashMap<Box<str>, V>,
    order: VecDeque<Box<str>>,
    capacity: usize,
}

impl<V: Clone> Cache<V> {
    fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), order: VecDeque::new(), capacity }
    }

    fn get(&self, issuer: &str) -> Option<V> {
        self.map.get(issuer).cloned()
    }

    fn insert(&mut self, issuer: &str, verifier: V) {
        if self.capacity == 0 {
            return;
        }
        if self.map.insert(issuer.into(), verifier).is_some() {
            return;
        }
        self.order.push_back(issuer.into());
        while self.map.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.map.remove(&oldest);
                }
                None => break,
            }
        }
    }

    fn remove(&mut self, issuer: &str) -> bool {
        self.order.retain(|i| &**i != issuer);
        self.map.remove(issuer).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::Cache;

    #[test]
    fn cache_forgets_the_oldest_issuer_beyond_its_capacity() {
        let mut cache = Cache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("a", 10);
        assert_eq!((cache.get("a"), cache.get("b")), (Some(10), Some(2)));
        cache.insert("c", 3);
        assert_eq!((cache.get("a"), cache.get("b"), cache.get("c")), (None, Some(2), Some(3)));
        assert_eq!(cache.map.len(), 2);
        assert!(cache.remove("b"));
        assert!(!cache.remove("b"));
        assert_eq!(cache.order.len(), 1);
        let mut none = Cache::new(0);
        none.insert("a", 1);
        assert_eq!(none.get("a"), None);
    }
}
