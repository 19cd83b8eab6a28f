//! actix-web 4 extractors (feature `actix-web`).
//!
//! Thin adapters over the [`http`](crate::http) pipeline. Register a
//! [`ResourceServer`] (the verifier and its HTTP policy) with
//! `App::app_data` (or wrapped in `web::Data`).
//! actix-web cannot check that at compile time; a handler that runs without
//! one answers 500 and logs an error.
//!
//! ```
//! use actix_web::{App, web};
//! use tokenkind::http::ResourceServer;
//! use tokenkind::web::actix::OptionalAccessToken;
//! use tokenkind::{AccessToken, Scopes, requires_scope};
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
//! async fn public(token: OptionalAccessToken<Api>) -> String {
//!     token.0.map_or("hello, stranger".into(), |t| format!("hello, {}", t.subject()))
//! }
//!
//! # let dev = tokenkind::dev::DevIssuer::new();
//! # let verifier = dev.access_token_verifier::<Api>().build().unwrap();
//! let app = App::new()
//!     .app_data(ResourceServer::new(verifier))
//!     .route("/messages", web::get().to(list))
//!     .route("/public", web::get().to(public));
//! ```
//!
//! Do not take `Option<AccessToken<…>>` in actix-web: actix turns *any*
//! extraction failure into `None`, so an invalid token would pass as an
//! anonymous caller. [`OptionalAccessToken`] is `None` only when the request
//! carries no credentials.

use core::future::Future;
use core::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpResponse, ResponseError, web};

use crate::claims::AccessClaims;
use crate::http::{ClientCertificate, HttpRequest, ProtectedResourceMetadata, Rejection, ResourceServer};
use crate::scope::{BindingRequirement, Requirement, Scoped, Scopes, UserRequirement};
use crate::token::AccessToken;

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

/// The registered resource server.
fn server<S: Scopes, C: AccessClaims>(req: &actix_web::HttpRequest) -> Result<ResourceServer<S, C>, Rejection> {
    if let Some(s) = req.app_data::<ResourceServer<S, C>>() {
        return Ok(s.clone());
    }
    if let Some(s) = req.app_data::<web::Data<ResourceServer<S, C>>>() {
        return Ok(ResourceServer::clone(s));
    }
    let rejection = Rejection::misconfigured("no ResourceServer registered with App::app_data");
    rejection.trace("");
    Err(rejection)
}

/// The pipeline's view of an actix-web request: method, target, the scheme
/// and `Host` it came with, and the credential headers.
fn request(req: &actix_web::HttpRequest) -> HttpRequest<'_> {
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut request = HttpRequest::new(req.method().as_str(), target);
    let scheme = if req.app_config().secure() { "https" } else { "http" };
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_else(|| req.app_config().host());
    request = request.authority(scheme, host);
    for name in [AUTHORIZATION.as_str(), "dpop"] {
        request = req.headers().get_all(name).fold(request, |r, v| r.header(name, v.as_bytes()));
    }
    // Put there by `HttpServer::on_connect` (see `ClientCertificate`).
    if let Some(certificate) = req.conn_data::<ClientCertificate>() {
        request = request.client_certificate(certificate.der());
    }
    request
}

impl<S: Scopes, C: AccessClaims> FromRequest for AccessToken<S, C> {
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        let (req, server) = (req.clone(), server::<S, C>(req));
        Box::pin(async move { server?.authenticate(&request(&req)).await })
    }
}

/// The guard of `#[requires_scope]` (with `#[requires_role]` and
/// `#[requires_auth]`): the token, then the scope check (403), the roles
/// (403) and step-up authentication (401).
impl<S: Scopes, C: AccessClaims, R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>> FromRequest
    for Scoped<AccessToken<S, C>, R, B, U>
{
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        let (req, server) = (req.clone(), server::<S, C>(req));
        Box::pin(async move { server?.authorize::<R, B, U>(&request(&req)).await })
    }
}

/// An access token if the request carries credentials: `None` only when it
/// carries none; an invalid token is refused like with [`AccessToken`].
#[derive(Debug)]
pub struct OptionalAccessToken<S: Scopes, C: AccessClaims = crate::NoClaims>(pub Option<AccessToken<S, C>>);

impl<S: Scopes, C: AccessClaims> FromRequest for OptionalAccessToken<S, C> {
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        let (req, server) = (req.clone(), server::<S, C>(req));
        Box::pin(async move { server?.authenticate_optional(&request(&req)).await.map(Self) })
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    fn error_response(&self) -> HttpResponse {
        let body = self.body();
        self.respond_with_actix(
            HttpResponse::build(self.status_code()).insert_header((CONTENT_TYPE, &*body.content_type)).body(body.bytes),
        )
    }
}

impl Rejection {
    /// Adds this refusal's status and `WWW-Authenticate` (and `Retry-After`)
    /// headers to your own actix-web response.
    pub fn respond_with_actix(&self, mut response: HttpResponse) -> HttpResponse {
        *response.status_mut() = self.status_code();
        for (name, value) in self.headers() {
            if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// The route that serves a resource server's protected-resource metadata
/// (RFC 9728) at its path: `GET` answers the document.
///
/// ```
/// use actix_web::App;
/// use tokenkind::Scopes;
/// use tokenkind::http::{ResourceMetadata, ResourceServer};
/// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
/// # let dev = tokenkind::dev::DevIssuer::new().api_audience("https://api.example/v1");
/// # let verifier = dev.access_token_verifier::<Api>().build()?;
///
/// let server = ResourceServer::builder(verifier).protected_resource_metadata(ResourceMetadata::new()).build()?;
/// let metadata = server.metadata().expect("configured");
/// let app = App::new()
///     .service(tokenkind::web::actix::protected_resource_metadata(metadata))
///     .app_data(server.clone());
/// # let _ = app;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
pub fn protected_resource_metadata(metadata: &ProtectedResourceMetadata) -> actix_web::Resource {
    let document = web::Bytes::copy_from_slice(metadata.document());
    web::resource(metadata.path().to_owned()).route(web::get().to(move || {
        let document = document.clone();
        async move {
            HttpResponse::Ok().insert_header((CONTENT_TYPE, ProtectedResourceMetadata::CONTENT_TYPE)).body(document)
        }
    }))
}
