//! axum 0.8 extractors (feature `axum`).
//!
//! Thin adapters over the [`http`](crate::http) pipeline. The
//! [`ResourceServer`] (the verifier and its HTTP policy) comes from the
//! router's state through [`FromRef`], so a router that does not provide one
//! does not compile.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tokenkind::http::ResourceServer;
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
//!     Router::new()
//!         .route("/messages", get(list))
//!         .route("/public", get(public))
//!         .with_state(ResourceServer::new(verifier))
//! }
//! # let dev = tokenkind::dev::DevIssuer::new();
//! # let _ = app(dev.access_token_verifier::<Api>().build().unwrap());
//! ```
//!
//! [`ResourceServer::new`] gives the default policy; build one with
//! [`ResourceServer::builder`] for your own (realm, refusal body, tokens in
//! the URL). With several things in state, derive `FromRef` on the state struct (axum's `macros`
//! feature) or implement it for `ResourceServer<S, C>`.

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderName};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::claims::{AccessClaims, IdClaims};
use crate::http::{BearerError, ClientCertificate, HttpRequest, Rejection, ResourceServer};
use crate::scope::{BindingRequirement, Requirement, Scoped, Scopes, UserRequirement};
use crate::token::{AccessToken, IdToken};

/// The pipeline's view of an axum request: method, target, the scheme and
/// `Host` it came with, and the credential headers.
fn request(parts: &Parts) -> HttpRequest<'_> {
    let target = parts.uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
    let mut request = HttpRequest::new(parts.method.as_str(), target);
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    if let Some(host) = host.or_else(|| parts.uri.authority().map(http::uri::Authority::as_str)) {
        request = request.authority(parts.uri.scheme_str().unwrap_or("http"), host);
    }
    for name in [http::header::AUTHORIZATION.as_str(), "dpop"] {
        request = parts.headers.get_all(name).iter().fold(request, |r, v| r.header(name, v.as_bytes()));
    }
    // Put there by the server's TLS accept code (see `ClientCertificate`).
    if let Some(certificate) = parts.extensions.get::<ClientCertificate>() {
        request = request.client_certificate(certificate.der());
    }
    request
}

impl<St, S, C> FromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        ResourceServer::<S, C>::from_ref(state).authenticate(&request(parts)).await
    }
}

/// `Option<AccessToken<S, C>>`: `None` only when the request carries no
/// credentials at all; an invalid token is still refused (401).
impl<St, S, C> OptionalFromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Option<Self>, Self::Rejection> {
        ResourceServer::<S, C>::from_ref(state).authenticate_optional(&request(parts)).await
    }
}

/// The `#[requires_scope]` guard (with `#[requires_role]` and
/// `#[requires_auth]`): verified, then checked against `R` (403 when a scope
/// is missing) and the user requirement `U` (403 for a role, 401 for step-up).
impl<St, S, C, R, B, U> FromRequestParts<St> for Scoped<AccessToken<S, C>, R, B, U>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send,
    R: Requirement<S>,
    B: BindingRequirement,
    U: UserRequirement<S>,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        ResourceServer::<S, C>::from_ref(state).authorize::<R, B, U>(&request(parts)).await
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
    /// use tokenkind::http::Rejection;
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
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                headers.append(name, value);
            }
        }
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
