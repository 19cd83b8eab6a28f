//! The resource server: a verifier and its HTTP policy, and the one
//! function every adapter runs per request.

use core::fmt;
use std::sync::Arc;

use super::bearer::{BearerError, find_token};
use super::rejection::{BodyFn, Rejection, RejectionBody, RejectionSource};
use crate::claims::{AccessClaims, NoClaims};
use crate::error::{ConfigError, Error};
use crate::scope::{Requirement, Scoped, Scopes};
use crate::token::AccessToken;
use crate::verify::AccessTokenVerifier;

/// What the pipeline reads of one HTTP request, collected by an adapter (or
/// by your own code for a framework tokenkind does not adapt).
///
/// Only the headers that carry credentials are kept; any other header
/// handed to [`header`](Self::header) is ignored.
///
/// ```
/// use tokenkind::http::HttpRequest;
///
/// let request = HttpRequest::new("GET", "/api/messages?page=2")
///     .header("Authorization", b"Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
///     .header("Accept", b"application/json");
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.path(), "/api/messages");
/// assert_eq!(request.query(), Some("page=2"));
/// ```
#[derive(Clone, Debug)]
pub struct HttpRequest<'a> {
    method: &'a str,
    target: &'a str,
    authorization: Values<'a>,
}

/// The first two values of a header (two are enough to refuse a repeated one).
#[derive(Clone, Copy, Debug, Default)]
struct Values<'a> {
    first: Option<&'a [u8]>,
    second: Option<&'a [u8]>,
}

impl<'a> Values<'a> {
    fn push(&mut self, value: &'a [u8]) {
        if self.first.is_none() {
            self.first = Some(value);
        } else if self.second.is_none() {
            self.second = Some(value);
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        self.first.into_iter().chain(self.second)
    }
}

impl<'a> HttpRequest<'a> {
    /// A request with its method (`GET`) and request target as received: the
    /// path and query (`/api/messages?page=2`, RFC 9112 §3.2.1).
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self { method, target, authorization: Values::default() }
    }

    /// Adds one header field (name compared case-insensitively); call it for
    /// each field, repeated ones included, so that a repeated credential is
    /// refused instead of one being picked.
    #[must_use]
    pub fn header(mut self, name: &str, value: &'a [u8]) -> Self {
        if name.eq_ignore_ascii_case("authorization") {
            self.authorization.push(value);
        }
        self
    }

    /// The request method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path of the request target, without the query.
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(path, _)| path)
    }

    /// The query of the request target, if it has one.
    pub fn query(&self) -> Option<&'a str> {
        self.target.split_once('?').map(|(_, query)| query).filter(|q| !q.is_empty())
    }
}

/// A resource server: the [`AccessTokenVerifier`] of an API and how it
/// answers over HTTP. Every framework adapter runs its
/// [`authorize`](Self::authorize) (or [`authenticate`](Self::authenticate))
/// once per request.
///
/// It is cheap to clone (the configuration is shared). With axum, put it (or
/// a plain verifier, for the default policy) in the router's state; with
/// actix-web, register it with `App::app_data`.
///
/// ```
/// use tokenkind::http::{HttpRequest, ResourceServer};
/// use tokenkind::scope::All;
/// use tokenkind::Scopes;
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dev = DevIssuer::new();
/// let verifier = dev.access_token_verifier::<Api>().build()?;
/// let server = ResourceServer::builder(verifier).realm("messages").build()?;
///
/// let bearer = format!("Bearer {}", dev.access_token().sign());
/// let request = HttpRequest::new("GET", "/api/messages").header("authorization", bearer.as_bytes());
/// let refused = server.authorize::<All<(api_scope::ReadMessages, ())>>(&request).await.unwrap_err();
/// assert_eq!(refused.status(), 403);
/// assert_eq!(refused.headers()[0].0, "WWW-Authenticate");
/// # Ok(())
/// # }
/// ```
pub struct ResourceServer<S: Scopes, C: AccessClaims = NoClaims> {
    inner: Arc<Policy<S, C>>,
}

struct Policy<S: Scopes, C: AccessClaims> {
    verifier: AccessTokenVerifier<S, C>,
    realm: Arc<str>,
    allow_query: bool,
    body: Option<BodyFn>,
}

/// Configures a [`ResourceServer`].
#[must_use]
pub struct ResourceServerBuilder<S: Scopes, C: AccessClaims = NoClaims> {
    verifier: AccessTokenVerifier<S, C>,
    realm: Option<String>,
    allow_query: bool,
    body: Option<BodyFn>,
}

impl<S: Scopes, C: AccessClaims> ResourceServer<S, C> {
    /// A resource server with the default policy: the realm is the
    /// verifier's audience, tokens only in the `Authorization` header, the
    /// JSON refusal body.
    pub fn new(verifier: AccessTokenVerifier<S, C>) -> Self {
        let realm = Arc::from(verifier.audience());
        Self { inner: Arc::new(Policy { verifier, realm, allow_query: false, body: None }) }
    }

    /// Starts a resource server around `verifier` with its own policy.
    pub fn builder(verifier: AccessTokenVerifier<S, C>) -> ResourceServerBuilder<S, C> {
        ResourceServerBuilder { verifier, realm: None, allow_query: false, body: None }
    }

    /// The verifier.
    pub fn verifier(&self) -> &AccessTokenVerifier<S, C> {
        &self.inner.verifier
    }

    /// The realm of `WWW-Authenticate` answers.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// Whether a token is accepted in the `access_token` URL query parameter.
    pub fn allows_access_token_in_query(&self) -> bool {
        self.inner.allow_query
    }

    /// The request's access token, verified: the credentials are read
    /// (RFC 6750 §2), then every check of the verifier runs.
    ///
    /// # Errors
    /// A [`Rejection`]: 400 for a malformed request, 401 without
    /// credentials or with an invalid token, 503 when no keys can be had.
    pub async fn authenticate(&self, request: &HttpRequest<'_>) -> Result<AccessToken<S, C>, Rejection> {
        let raw = find_token(request.authorization.iter(), request.query(), self.inner.allow_query)
            .map_err(|e| self.refuse(RejectionSource::Bearer(e)))?;
        self.inner.verifier.verify_async(&raw).await.map_err(|e| self.refuse(RejectionSource::Token(e)))
    }

    /// Like [`authenticate`](Self::authenticate), with `None` for a request
    /// that carries no credentials at all. Any credential that is present
    /// must be valid: an invalid token is refused, never treated as absent.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), except for the missing credentials.
    pub async fn authenticate_optional(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<Option<AccessToken<S, C>>, Rejection> {
        match find_token(request.authorization.iter(), request.query(), self.inner.allow_query) {
            Err(BearerError::Missing) => Ok(None),
            Err(e) => Err(self.refuse(RejectionSource::Bearer(e))),
            Ok(raw) => self
                .inner
                .verifier
                .verify_async(&raw)
                .await
                .map(Some)
                .map_err(|e| self.refuse(RejectionSource::Token(e))),
        }
    }

    /// The request's access token, verified and checked against the scope
    /// requirement `R` (which `#[requires_scope]` writes as a type).
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), plus 403 when a required
    /// scope was not granted.
    pub async fn authorize<R: Requirement<S>>(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<Scoped<AccessToken<S, C>, R>, Rejection> {
        let token = self.authenticate(request).await?;
        Scoped::check(token).map_err(|e| self.refuse(RejectionSource::Token(e)))
    }

    /// The HTTP answer to `error`, for checks of your own (for example a
    /// run-time [`AccessToken::grant`]), logged like the pipeline's own.
    pub fn reject(&self, error: Error) -> Rejection {
        self.refuse(RejectionSource::Token(error))
    }

    fn refuse(&self, source: RejectionSource) -> Rejection {
        let rejection = Rejection::new(source, self.inner.realm.clone(), self.inner.body.clone());
        rejection.trace(self.inner.verifier.issuer());
        rejection
    }
}

impl<S: Scopes, C: AccessClaims> From<AccessTokenVerifier<S, C>> for ResourceServer<S, C> {
    /// The default policy; see [`ResourceServer::new`].
    fn from(verifier: AccessTokenVerifier<S, C>) -> Self {
        Self::new(verifier)
    }
}

impl<S: Scopes, C: AccessClaims> ResourceServerBuilder<S, C> {
    /// The realm of `WWW-Authenticate` answers (default: the verifier's audience).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Also accepts the token in the `access_token` URL query parameter
    /// (RFC 6750 §2.3). Off by default: URLs end up in logs and browser
    /// history. A token in both the header and the URL, or two such
    /// parameters, is always refused.
    pub fn allow_access_token_in_query(mut self) -> Self {
        self.allow_query = true;
        self
    }

    /// Your own body for refusals; the status and headers stay as RFC 6750 says.
    ///
    /// ```
    /// use tokenkind::http::{RejectionBody, ResourceServer};
    /// # use tokenkind::Scopes;
    /// # #[derive(Scopes)]
    /// # enum Api { #[scope("read")] Read }
    /// # let verifier = tokenkind::dev::DevIssuer::new().access_token_verifier::<Api>().build()?;
    /// let server = ResourceServer::builder(verifier)
    ///     .rejection_body(|r| RejectionBody::json(&serde_json::json!({ "message": r.description(), "status": r.status() })))
    ///     .build()?;
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn rejection_body(mut self, body: impl Fn(&Rejection) -> RejectionBody + Send + Sync + 'static) -> Self {
        self.body = Some(Arc::new(body));
        self
    }

    /// Checks the policy and builds the resource server.
    ///
    /// # Errors
    /// [`ConfigError::Empty`] for an empty realm.
    pub fn build(self) -> Result<ResourceServer<S, C>, ConfigError> {
        let realm: Arc<str> = match self.realm {
            Some(realm) if realm.is_empty() => return Err(ConfigError::Empty("realm")),
            Some(realm) => realm.into(),
            None => self.verifier.audience().into(),
        };
        let policy = Policy { verifier: self.verifier, realm, allow_query: self.allow_query, body: self.body };
        Ok(ResourceServer { inner: Arc::new(policy) })
    }
}

impl<S: Scopes, C: AccessClaims> Clone for ResourceServer<S, C> {
    /// Cheap: the configuration is shared.
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<S: Scopes, C: AccessClaims> fmt::Debug for ResourceServer<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceServer")
            .field("verifier", &self.inner.verifier)
            .field("realm", &self.inner.realm)
            .field("allow_access_token_in_query", &self.inner.allow_query)
            .field("custom_body", &self.inner.body.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_splits_into_path_and_query() {
        let r = HttpRequest::new("GET", "/a/b?x=1&y=2");
        assert_eq!((r.path(), r.query()), ("/a/b", Some("x=1&y=2")));
        let r = HttpRequest::new("GET", "/a?");
        assert_eq!((r.path(), r.query()), ("/a", None));
        let r = HttpRequest::new("POST", "/");
        assert_eq!((r.method(), r.path(), r.query()), ("POST", "/", None));
    }

    #[test]
    fn only_credential_headers_are_kept_and_repeats_are_seen() {
        let r = HttpRequest::new("GET", "/")
            .header("Accept", b"*/*")
            .header("AUTHORIZATION", b"Bearer a")
            .header("authorization", b"Bearer b")
            .header("Authorization", b"Bearer c");
        assert_eq!(r.authorization.iter().collect::<Vec<_>>(), [&b"Bearer a"[..], &b"Bearer b"[..]]);
        assert_eq!(find_token(r.authorization.iter(), r.query(), false).unwrap_err(), BearerError::MultipleHeaders);
    }
}
