//! axum 0.8 extractors (feature `axum`).
//!
//! The verifier comes from the router's state through
//! [`FromRef`], so a router that does not
//! provide an [`AccessTokenVerifier`] does not compile.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tokenkind::{AccessToken, AccessTokenVerifier, Scopes, requires_scope};
//!
//! #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
//! enum Api {
//!     #[scope("read:messages")]
//!     ReadMessages,
//! }
//!
//! #[requires_scope("read:messages")]
//! async fn list(token: AccessToken<Api>) -> String {
//!     format!("messages of {}", token.subject())
//! }
//!
//! // Anonymous callers are welcome; a bad token is still refused.
//! async fn public(token: Option<AccessToken<Api>>) -> String {
//!     token.map_or("hello, stranger".into(), |t| format!("hello, {}", t.subject()))
//! }
//!
//! fn app(verifier: AccessTokenVerifier<Api>) -> Router {
//!     Router::new().route("/messages", get(list)).route("/public", get(public)).with_state(verifier)
//! }
//! # let dev = tokenkind::dev::DevIssuer::new();
//! # let _ = app(dev.access_token_verifier::<Api>().build().unwrap());
//! ```
//!
//! With several things in state, derive `FromRef` on the state struct (axum's
//! `macros` feature) or implement it for `AccessTokenVerifier<S, C>`.

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use super::{BearerError, Rejection, RejectionSource, find_token};
use crate::claims::{AccessClaims, IdClaims};
use crate::scope::{Requirement, Scoped, Scopes};
use crate::token::{AccessToken, IdToken};
use crate::verify::AccessTokenVerifier;

async fn extract<S, C>(parts: &Parts, verifier: &AccessTokenVerifier<S, C>) -> Result<AccessToken<S, C>, Rejection>
where
    S: Scopes,
    C: AccessClaims,
{
    let headers = parts.headers.get_all(AUTHORIZATION).iter().map(HeaderValue::as_bytes);
    let raw = find_token(headers, parts.uri.query(), verifier.web_options().allow_query)
        .map_err(|e| verifier.rejection(RejectionSource::Bearer(e)))?;
    verifier.verify_async(&raw).await.map_err(|e| verifier.rejection(RejectionSource::Token(e)))
}

impl<St, S, C> FromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    AccessTokenVerifier<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let verifier = AccessTokenVerifier::<S, C>::from_ref(state);
        extract(parts, &verifier).await
    }
}

/// `Option<AccessToken<…>>`: `None` only when the request carries no
/// credentials; an invalid token is still refused.
impl<St, S, C> OptionalFromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    AccessTokenVerifier<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Option<Self>, Self::Rejection> {
        let verifier = AccessTokenVerifier::<S, C>::from_ref(state);
        match extract(parts, &verifier).await {
            Ok(token) => Ok(Some(token)),
            Err(r) if r.is_missing_credentials() => Ok(None),
            Err(r) => Err(r),
        }
    }
}

/// The guard of `#[requires_scope]`: the token, then the scope check (403).
impl<St, S, C, R> FromRequestParts<St> for Scoped<AccessToken<S, C>, R>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    R: Requirement<S>,
    AccessTokenVerifier<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let verifier = AccessTokenVerifier::<S, C>::from_ref(state);
        let token = extract(parts, &verifier).await?;
        Scoped::check(token).map_err(|e| verifier.rejection(RejectionSource::Token(e)))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response =
            (StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED), body.bytes).into_response();
        self.apply_headers(response.headers_mut());
        if let Ok(ct) = HeaderValue::from_str(&body.content_type) {
            response.headers_mut().insert(CONTENT_TYPE, ct);
        }
        response
    }
}

impl Rejection {
    /// Responds with your own body (any axum response), keeping this
    /// refusal's status and `WWW-Authenticate` (and `Retry-After`) headers.
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// use tokenkind::web::Rejection;
    ///
    /// fn html(rejection: Rejection) -> axum::response::Response {
    ///     rejection.respond_with(axum::response::Html("<h1>Please sign in</h1>"))
    /// }
    /// ```
    pub fn respond_with(self, body: impl IntoResponse) -> Response {
        let mut response = body.into_response();
        *response.status_mut() = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        self.apply_headers(response.headers_mut());
        response
    }

    fn apply_headers(&self, headers: &mut http::HeaderMap) {
        if let Some(v) = self.www_authenticate().and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = self.retry_after() {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
    }

    fn is_missing_credentials(&self) -> bool {
        self.status() == 401 && self.error_code().is_none()
    }
}

/// Implemented by nothing: an ID token is never an API credential.
#[diagnostic::on_unimplemented(
    message = "an `IdToken` cannot be taken from a request: ID tokens are not API credentials",
    label = "an API must not accept ID tokens",
    note = "an ID token proves who logged in to a client application; the API takes an `AccessToken<S>` issued for it",
    note = "a web app that logs users in verifies the ID token once, at login, with `IdTokenVerifier`, and keeps the claims it needs in its session"
)]
#[doc(hidden)]
pub trait AcceptedByApis: Sized {
    #[doc(hidden)]
    fn never(self) -> BearerError;
}

/// Makes `IdToken` as a handler argument fail to compile with a message
/// that says why (see [`AcceptedByApis`]).
impl<St, C> FromRequestParts<St> for IdToken<C>
where
    St: Send + Sync,
    C: IdClaims + Send,
    IdToken<C>: AcceptedByApis,
{
    type Rejection = Rejection;

    async fn from_request_parts(_: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        Err(Rejection::misconfigured("an ID token is never taken from a request"))
    }
}
