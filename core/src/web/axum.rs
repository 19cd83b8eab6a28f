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
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use super::parts::request;
use crate::claims::{AccessClaims, IdClaims};
use crate::http::{Authenticated, BearerError, ProtectedResourceMetadata, Rejection, ResourceServer};
use crate::scope::{BindingRequirement, Requirement, Scoped, Scopes, UserRequirement};
use crate::token::{AccessToken, IdToken};

/// What the tower layer ([`AccessTokenLayer`](crate::web::tower::AccessTokenLayer))
/// verified for this request, when it ran with this same resource server:
/// taken, so the token is not verified a second time.
fn verified<S: Scopes, C: AccessClaims + Send + Sync>(
    parts: &mut Parts,
    server: &ResourceServer<S, C>,
) -> Option<Authenticated<S, C>> {
    let done = parts.extensions.get::<Authenticated<S, C>>()?;
    if done.server().same(server) { parts.extensions.remove::<Authenticated<S, C>>() } else { None }
}

impl<St, S, C> FromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send + Sync,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let server = ResourceServer::<S, C>::from_ref(state);
        match verified(parts, &server) {
            Some(done) => done.into_token(),
            None => server.authenticate(&request(parts)).await,
        }
    }
}

/// `Option<AccessToken<S, C>>`: `None` only when the request carries no
/// credentials at all; an invalid token is still refused (401).
impl<St, S, C> OptionalFromRequestParts<St> for AccessToken<S, C>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send + Sync,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Option<Self>, Self::Rejection> {
        let server = ResourceServer::<S, C>::from_ref(state);
        match verified(parts, &server) {
            Some(done) => Ok(done.into_token().ok()),
            None => server.authenticate_optional(&request(parts)).await,
        }
    }
}

/// The `#[requires_scope]` guard (with `#[requires_role]` and
/// `#[requires_auth]`): verified, then checked against `R` (403 when a scope
/// is missing) and the user requirement `U` (403 for a role, 401 for step-up).
impl<St, S, C, R, B, U> FromRequestParts<St> for Scoped<AccessToken<S, C>, R, B, U>
where
    St: Send + Sync,
    S: Scopes,
    C: AccessClaims + Send + Sync,
    R: Requirement<S>,
    B: BindingRequirement,
    U: UserRequirement<S>,
    ResourceServer<S, C>: FromRef<St>,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let server = ResourceServer::<S, C>::from_ref(state);
        match verified(parts, &server) {
            Some(done) => done.into_guard(),
            None => server.authorize::<R, B, U>(&request(parts)).await,
        }
    }
}

/// `200 OK` with the protected-resource metadata document (RFC 9728).
impl IntoResponse for ProtectedResourceMetadata {
    fn into_response(self) -> Response {
        let mut response = self.document().to_vec().into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(Self::CONTENT_TYPE));
        response
    }
}

/// A handler that serves a resource server's protected-resource metadata
/// (RFC 9728); route it at the document's path.
///
/// ```
/// use axum::{Router, routing::get};
/// use tokenkind::Scopes;
/// use tokenkind::http::{ResourceMetadata, ResourceServer};
/// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
/// # let dev = tokenkind::dev::DevIssuer::new().api_audience("https://api.example/v1");
/// # let verifier = dev.access_token_verifier::<Api>().build()?;
///
/// let server = ResourceServer::builder(verifier).protected_resource_metadata(ResourceMetadata::new()).build()?;
/// let metadata = server.metadata().expect("configured");
/// let app: Router = Router::new()
///     .route(metadata.path(), get(tokenkind::web::axum::protected_resource_metadata(metadata)))
///     .with_state(server.clone());
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
pub fn protected_resource_metadata(
    metadata: &ProtectedResourceMetadata,
) -> impl FnOnce() -> core::future::Ready<ProtectedResourceMetadata> + Clone + Send + Sync + 'static {
    let metadata = metadata.clone();
    move || core::future::ready(metadata)
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
        super::parts::apply_headers(self, headers);
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
