//! A tower [`Layer`] (feature `tower`): runs the [`http`](crate::http)
//! pipeline once per request, for any tower-based server (axum, hyper,
//! tonic).
//!
//! A request with a valid token goes on to the inner service with an
//! [`Authenticated`] in its extensions, where the axum extractors and
//! `#[requires_scope]` guards (of axum handlers and of tonic methods) take
//! it without verifying the token again. Every other request is answered by
//! the layer itself, with the same status and headers as the extractors
//! give; a gRPC request (HTTP/2 with `content-type: application/grpc…`)
//! gets a gRPC status instead (see [`Rejection::grpc_code`]). When the resource server
//! has [protected-resource metadata](crate::http::ResourceServerBuilder::protected_resource_metadata),
//! the layer also answers `GET` on its path with the document.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tokenkind::http::ResourceServer;
//! use tokenkind::web::tower::AccessTokenLayer;
//! use tokenkind::{AccessToken, Scopes, requires_scope};
//!
//! #[derive(Scopes)]
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
//! # let dev = tokenkind::dev::DevIssuer::new();
//! # let verifier = dev.access_token_verifier::<Api>().build().unwrap();
//! let server = ResourceServer::new(verifier);
//! let app: Router = Router::new()
//!     .route("/messages", get(list))
//!     // The guard takes the token the layer verified (the same server).
//!     .with_state(server.clone())
//!     .layer(AccessTokenLayer::new(server));
//! ```

use core::fmt;
use core::fmt::Write as _;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
pub use tower_layer::Layer;
use tower_service::Service;

use super::parts::{apply_headers, request};
use crate::claims::{AccessClaims, NoClaims};
use crate::http::{Authenticated, ProtectedResourceMetadata, Rejection, ResourceServer};
use crate::scope::Scopes;

/// Verifies each request's access token once, before the inner service.
///
/// By default a request without a token is refused (401); with
/// [`optional`](Self::optional) it goes on without one, and the handlers'
/// extractors and guards decide (a present but invalid token is still
/// refused by the layer).
pub struct AccessTokenLayer<S: Scopes, C: AccessClaims = NoClaims> {
    server: ResourceServer<S, C>,
    optional: bool,
}

impl<S: Scopes, C: AccessClaims> AccessTokenLayer<S, C> {
    /// A layer that requires a valid access token on every request.
    pub fn new(server: impl Into<ResourceServer<S, C>>) -> Self {
        Self { server: server.into(), optional: false }
    }

    /// Lets requests without any credentials through (as anonymous: the
    /// [`Authenticated`] in their extensions has no token). A credential
    /// that is present must still be valid.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

impl<S: Scopes, C: AccessClaims> Clone for AccessTokenLayer<S, C> {
    fn clone(&self) -> Self {
        Self { server: self.server.clone(), optional: self.optional }
    }
}

impl<S: Scopes, C: AccessClaims> fmt::Debug for AccessTokenLayer<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenLayer").field("server", &self.server).field("optional", &self.optional).finish()
    }
}

impl<Svc, S: Scopes, C: AccessClaims> Layer<Svc> for AccessTokenLayer<S, C> {
    type Service = AccessTokenService<Svc, S, C>;

    fn layer(&self, inner: Svc) -> Self::Service {
        AccessTokenService { inner, server: self.server.clone(), optional: self.optional }
    }
}

/// The [`Service`] of an [`AccessTokenLayer`].
pub struct AccessTokenService<Svc, S: Scopes, C: AccessClaims = NoClaims> {
    inner: Svc,
    server: ResourceServer<S, C>,
    optional: bool,
}

impl<Svc: Clone, S: Scopes, C: AccessClaims> Clone for AccessTokenService<Svc, S, C> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), server: self.server.clone(), optional: self.optional }
    }
}

impl<Svc, S: Scopes, C: AccessClaims> fmt::Debug for AccessTokenService<Svc, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenService")
            .field("server", &self.server)
            .field("optional", &self.optional)
            .finish_non_exhaustive()
    }
}

impl<Svc, S, C, ReqBody, ResBody> Service<Request<ReqBody>> for AccessTokenService<Svc, S, C>
where
    Svc: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    Svc::Future: Send,
    S: Scopes,
    C: AccessClaims + Clone + Send + Sync,
    ReqBody: Send + 'static,
{
    type Response = Response<LayerBody<ResBody>>;
    type Error = Svc::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // The clone that was driven to readiness serves this request.
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let server = self.server.clone();
        let optional = self.optional;
        Box::pin(async move {
            if let Some(metadata) = server.metadata().filter(|m| is_metadata_request(&req, m)) {
                return Ok(metadata_response(metadata));
            }
            let (mut parts, body) = req.into_parts();
            let grpc = parts.version == http::Version::HTTP_2 && is_grpc(&parts.headers);
            let verified = {
                let request = request(&parts);
                if optional {
                    server.authenticate_optional(&request).await
                } else {
                    server.authenticate(&request).await.map(Some)
                }
            };
            match verified {
                Ok(token) => {
                    parts.extensions.insert(Authenticated::new(server, token));
                    let response = inner.call(Request::from_parts(parts, body)).await?;
                    Ok(response.map(|body| LayerBody::Inner { body }))
                }
                Err(rejection) if grpc => Ok(grpc_response(&rejection)),
                Err(rejection) => Ok(http_response(&rejection)),
            }
        })
    }
}

fn is_metadata_request<B>(req: &Request<B>, metadata: &ProtectedResourceMetadata) -> bool {
    (req.method() == Method::GET || req.method() == Method::HEAD) && req.uri().path() == metadata.path()
}

/// `application/grpc`, `application/grpc+proto`, … (gRPC over HTTP/2).
fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let v = v.as_bytes();
        v.len() >= 16
            && v[..16].eq_ignore_ascii_case(b"application/grpc")
            && matches!(v.get(16), None | Some(b'+' | b';'))
    })
}

fn metadata_response<B>(metadata: &ProtectedResourceMetadata) -> Response<LayerBody<B>> {
    let mut response = Response::new(LayerBody::Refusal { bytes: Some(Bytes::copy_from_slice(metadata.document())) });
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ProtectedResourceMetadata::CONTENT_TYPE));
    response
}

/// The refusal as the extractors answer it: status, headers, body.
fn http_response<B>(rejection: &Rejection) -> Response<LayerBody<B>> {
    let body = rejection.body();
    let mut response = Response::new(LayerBody::Refusal { bytes: Some(Bytes::from(body.bytes)) });
    *response.status_mut() = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    apply_headers(rejection, response.headers_mut());
    if let Ok(ct) = HeaderValue::from_str(&body.content_type) {
        response.headers_mut().insert(CONTENT_TYPE, ct);
    }
    response
}

/// The refusal as a gRPC "Trailers-Only" response: HTTP 200, `grpc-status`
/// and `grpc-message`, the challenges in `www-authenticate`, no body.
fn grpc_response<B>(rejection: &Rejection) -> Response<LayerBody<B>> {
    let mut response = Response::new(LayerBody::Refusal { bytes: None });
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from(rejection.grpc_code()));
    if let Ok(message) = HeaderValue::from_str(&grpc_message(rejection.description())) {
        headers.insert("grpc-message", message);
    }
    apply_headers(rejection, headers);
    response
}

/// `grpc-message` is percent-encoded: everything outside `%x20-%x7E`, and `%`.
fn grpc_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (0x20..=0x7E).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

mod body {
    //! The projection types `pin_project_lite` writes for [`LayerBody`].
    #![allow(missing_docs)]

    use core::pin::Pin;
    use core::task::{Context, Poll};

    use bytes::Bytes;
    use http_body::{Body, Frame, SizeHint};

    pin_project_lite::pin_project! {
        /// The response body of an [`AccessTokenService`]: the inner service's,
        /// or the layer's own answer (a refusal, or the metadata document).
        #[project = LayerBodyProj]
        pub enum LayerBody<B> {
            /// The inner service's body.
            Inner {
                #[pin]
                body: B,
            },
            /// The layer's own answer.
            Refusal {
                bytes: Option<Bytes>,
            },
        }
    }

    impl<B: Body<Data = Bytes>> Body for LayerBody<B> {
        type Data = Bytes;
        type Error = B::Error;

        fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            match self.project() {
                LayerBodyProj::Inner { body } => body.poll_frame(cx),
                LayerBodyProj::Refusal { bytes } => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            }
        }

        fn is_end_stream(&self) -> bool {
            match self {
                Self::Inner { body } => body.is_end_stream(),
                Self::Refusal { bytes } => bytes.is_none(),
            }
        }

        fn size_hint(&self) -> SizeHint {
            match self {
                Self::Inner { body } => body.size_hint(),
                Self::Refusal { bytes } => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            }
        }
    }
}

pub use self::body::LayerBody;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_requests_are_told_by_their_content_type() {
        let grpc = |v: &'static str| {
            let mut h = http::HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(v));
            is_grpc(&h)
        };
        assert!(grpc("application/grpc") && grpc("application/grpc+proto") && grpc("Application/GRPC;x=1"));
        assert!(!grpc("application/grpc-web") && !grpc("application/json") && !grpc("application/grp"));
        assert!(!is_grpc(&http::HeaderMap::new()));
    }

    #[test]
    fn grpc_message_is_percent_encoded() {
        assert_eq!(grpc_message("100% sure, é"), "100%25 sure, %C3%A9");
        assert_eq!(grpc_message("the access token expired"), "the access token expired");
    }
}
