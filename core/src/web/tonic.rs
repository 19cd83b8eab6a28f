//! tonic gRPC services (feature `tonic`).
//!
//! Put the [`AccessTokenLayer`](super::tower::AccessTokenLayer) in front of
//! the service: it verifies each call's token once and answers refusals with
//! a gRPC status (`UNAUTHENTICATED`, `PERMISSION_DENIED`, `UNAVAILABLE`) and
//! the RFC 6750 challenge in the `www-authenticate` metadata. Service
//! methods then take their token from the request:
//!
//! - `#[requires_scope("…")]` (with `#[requires_role]` and
//!   `#[requires_auth]`, when the API uses them) on a method whose signature tonic fixes
//!   (`async fn m(&self, request: Request<T>) -> Result<Response<U>, Status>`)
//!   with one more parameter, `token: AccessToken<S>`: the attribute takes
//!   that parameter out of the signature again and binds `token` to the
//!   checked guard at the top of the body, returning `PERMISSION_DENIED`
//!   when a scope (with `scope="…"` in the challenge) or a role is missing,
//!   and `UNAUTHENTICATED` with the RFC 9470 challenge when the user must
//!   authenticate again. Every
//!   compile-time check of `#[requires_scope]` holds: an undeclared scope,
//!   an `IdToken` parameter, or a proof of a scope the guard does not
//!   require do not compile.
//! - [`access_token`] where any valid token will do.
//!
//! ```
//! use tokenkind::{AccessToken, Scopes, requires_scope};
//! use tonic::{Request, Response, Status};
//!
//! #[derive(Scopes)]
//! enum Api {
//!     #[scope("read:messages")]
//!     ReadMessages,
//! }
//!
//! struct Messages;
//!
//! impl Messages {
//!     // In a real service this is the method of the trait tonic generates,
//!     // in an `impl` with `#[tonic::async_trait]`.
//!     #[requires_scope("read:messages")]
//!     async fn list(&self, request: Request<()>, token: AccessToken<Api>) -> Result<Response<String>, Status> {
//!         Ok(Response::new(format!("messages of {}", token.subject())))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Without the layer in front, nothing was verified: the call is refused.
//! let status = Messages.list(Request::new(())).await.unwrap_err();
//! assert_eq!(status.code(), tonic::Code::Unavailable);
//! # }
//! ```

use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Status};

use crate::claims::AccessClaims;
use crate::http::{Authenticated, Rejection};
use crate::scope::{BindingRequirement, Requirement, Scoped, Scopes, UserRequirement};
use crate::token::AccessToken;

impl From<Rejection> for Status {
    /// The gRPC status of a refusal ([`Rejection::grpc_code`]), its fixed
    /// description as the message, and its headers (`www-authenticate`,
    /// `retry-after`, `dpop-nonce`) as metadata.
    fn from(rejection: Rejection) -> Self {
        let code = Code::from(i32::from(rejection.grpc_code()));
        let mut headers = http::HeaderMap::new();
        super::parts::apply_headers(&rejection, &mut headers);
        Status::with_metadata(code, rejection.description(), MetadataMap::from_headers(headers))
    }
}

/// What the layer verified for this call.
fn verified<S: Scopes, C: AccessClaims + Clone + Send + Sync, T>(
    request: &Request<T>,
) -> Result<Authenticated<S, C>, Status> {
    request.extensions().get::<Authenticated<S, C>>().cloned().ok_or_else(|| {
        let rejection =
            Rejection::misconfigured("no AccessTokenLayer in front of this gRPC service verified the call's token");
        rejection.trace("");
        Status::from(rejection)
    })
}

/// The call's access token, verified by the
/// [`AccessTokenLayer`](super::tower::AccessTokenLayer) in front of the service.
///
/// # Errors
/// `UNAUTHENTICATED` for a call without a token (an
/// [optional](super::tower::AccessTokenLayer::optional) layer lets those
/// through); `UNAVAILABLE` when no layer ran (the service is not guarded:
/// fix the server, the call is refused meanwhile).
///
/// ```
/// use tokenkind::{AccessToken, Scopes};
/// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
///
/// async fn whoami(request: tonic::Request<()>) -> Result<tonic::Response<String>, tonic::Status> {
///     let token: AccessToken<Api> = tokenkind::web::tonic::access_token(&request)?;
///     Ok(tonic::Response::new(token.subject().to_owned()))
/// }
/// ```
pub fn access_token<S, C, T>(request: &Request<T>) -> Result<AccessToken<S, C>, Status>
where
    S: Scopes,
    C: AccessClaims + Clone + Send + Sync,
{
    verified::<S, C, T>(request)?.into_token().map_err(Status::from)
}

/// The guard `#[requires_scope]` binds at the top of a tonic method.
#[doc(hidden)]
pub fn guard<S, C, R, B, U, T>(request: &Request<T>) -> Result<Scoped<AccessToken<S, C>, R, B, U>, Status>
where
    S: Scopes,
    C: AccessClaims + Clone + Send + Sync,
    R: Requirement<S>,
    B: BindingRequirement,
    U: UserRequirement<S>,
{
    verified::<S, C, T>(request)?.into_guard().map_err(Status::from)
}
