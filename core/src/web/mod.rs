//! Framework adapters: each collects a request's inputs for the
//! [`http`](crate::http) pipeline and writes its answer, and nothing more.
//! `axum` (0.8) and `actix-web` (4) are behind their cargo features.

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(any(feature = "axum", feature = "tower"))]
mod parts;
#[cfg(feature = "tonic")]
pub mod tonic;
#[cfg(feature = "tower")]
pub mod tower;
