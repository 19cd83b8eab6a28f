//! The framework-free HTTP pipeline of a resource server.
//!
//! One function per request: the request's inputs ([`HttpRequest`]: method,
//! target, the headers that carry credentials) → the credentials (none, or
//! a bearer token) → the verified access token → the requirement check →
//! the token, or a [`Rejection`] that carries the status and every header to
//! send. [`ResourceServer`] holds the HTTP policy (realm, refusal body,
//! whether a token may come in the URL) around an
//! [`AccessTokenVerifier`](crate::AccessTokenVerifier), which knows nothing
//! of HTTP. The framework adapters in [`web`](crate::web) only collect the
//! inputs and write the answer.
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no credentials | 401 | `Bearer realm="…"` |
//! | invalid, expired, wrong-audience or wrong-kind token, or a sender-constrained token sent as a bearer token | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` |
//! | missing scope | 403 | `Bearer realm="…", error="insufficient_scope", error_description="…", scope="…"` |
//! | malformed request (two `Authorization` headers, a JWT under another scheme, a token in the URL, two `access_token` parameters) | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | no verification keys available | 503 | none; `Retry-After: 5` |
//!
//! With [protected-resource metadata](ResourceServerBuilder::protected_resource_metadata)
//! (RFC 9728), every challenge also names the metadata document:
//! `resource_metadata="https://api.example/.well-known/oauth-protected-resource/v1"`.
//!
//! Each response has a small JSON body `{"error": "…", "error_description": "…"}`
//! unless the server was given its own with
//! [`ResourceServerBuilder::rejection_body`]. Descriptions are fixed, short
//! texts: they never echo the token, key material, or anything the token
//! claimed.

mod bearer;
pub mod dpop;
mod metadata;
#[cfg(feature = "redis")]
mod redis;
mod rejection;
mod replay;
mod server;

pub use self::bearer::{BearerError, parse_authorization};
pub use self::dpop::{DpopError, DpopMode, DpopNonceKey, DpopPolicy};
pub use self::metadata::{ProtectedResourceMetadata, ResourceMetadata, WELL_KNOWN};
#[cfg(feature = "redis")]
pub use self::redis::RedisReplayStore;
pub use self::rejection::{Rejection, RejectionBody};
pub use self::replay::{MemoryReplayStore, ReplayFuture, ReplayKey, ReplayStore, ReplayStoreError};
pub use self::server::{Authenticated, ClientCertificate, HttpRequest, ResourceServer, ResourceServerBuilder};
#[cfg(feature = "redis")]
pub use crate::redis_link::DEFAULT_REDIS_TIMEOUT;
