//! actix-web 4 extractors (feature `actix-web`).
//!
//! Register the verifier with `App::app_data(verifier)` (or wrapped in
//! `web::Data`). actix-web cannot check that at compile time; a handler that
//! runs without one answers 500 and logs an error.
//!
//! ```
//! use actix_web::{App, web};
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
//!     .app_data(verifier)
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
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use super::{Rejection, RejectionSource, find_token};
use crate::claims::AccessClaims;
use crate::scope::{Requirement, Scoped, Scopes};
use crate::token::AccessToken;
use crate::verify::AccessTokenVerifier;

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

fn verifier<S: Scopes, C: AccessClaims>(req: &HttpRequest) -> Result<AccessTokenVerifier<S, C>, Rejection> {
    if let Some(v) = req.app_data::<AccessTokenVerifier<S, C>>() {
        return Ok(v.clone());
    }
    if let Some(v) = req.app_data::<web::Data<AccessTokenVerifier<S, C>>>() {
        return Ok(AccessTokenVerifier::clone(v));
    }
    let rejection = Rejection::misconfigured("no AccessTokenVerifier registered with App::app_data");
    rejection.trace("");
    Err(rejection)
}

/// The request's token, before verification (owned, so the future is `'static`).
fn raw_token<S: Scopes, C: AccessClaims>(
    req: &HttpRequest,
    verifier: &AccessTokenVerifier<S, C>,
) -> Result<String, Rejection> {
    let headers = req.headers().get_all(AUTHORIZATION).map(HeaderValue::as_bytes);
    let query = Some(req.query_string()).filter(|q| !q.is_empty());
    find_token(headers, query, verifier.web_options().allow_query)
        .map(std::borrow::Cow::into_owned)
        .map_err(|e| verifier.rejection(RejectionSource::Bearer(e)))
}

fn extract<S: Scopes, C: AccessClaims>(req: &HttpRequest) -> LocalFuture<AccessToken<S, C>> {
    let prepared = verifier::<S, C>(req).and_then(|v| raw_token(req, &v).map(|raw| (v, raw)));
    Box::pin(async move {
        let (verifier, raw) = prepared?;
        verifier.verify_async(&raw).await.map_err(|e| verifier.rejection(RejectionSource::Token(e)))
    })
}

impl<S: Scopes, C: AccessClaims> FromRequest for AccessToken<S, C> {
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req)
    }
}

/// The guard of `#[requires_scope]`: the token, then the scope check (403).
impl<S: Scopes, C: AccessClaims, R: Requirement<S>> FromRequest for Scoped<AccessToken<S, C>, R> {
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = extract::<S, C>(req);
        let verifier = verifier::<S, C>(req);
        Box::pin(async move {
            let token = token.await?;
            Scoped::check(token).map_err(|e| match verifier {
                Ok(v) => v.rejection(RejectionSource::Token(e)),
                Err(r) => r,
            })
        })
    }
}

/// An access token if the request carries credentials: `None` only when it
/// carries none; an invalid token is refused like with [`AccessToken`].
#[derive(Debug)]
pub struct OptionalAccessToken<S: Scopes, C: AccessClaims = crate::NoClaims>(pub Option<AccessToken<S, C>>);

impl<S: Scopes, C: AccessClaims> FromRequest for OptionalAccessToken<S, C> {
    type Error = Rejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = extract::<S, C>(req);
        Box::pin(async move {
            match token.await {
                Ok(t) => Ok(Self(Some(t))),
                Err(r) if r.status() == 401 && r.error_code().is_none() => Ok(Self(None)),
                Err(r) => Err(r),
            }
        })
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
        if let Some(v) = self.www_authenticate().and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        if let Some(secs) = self.retry_after() {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
