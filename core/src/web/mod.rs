//! Web framework integration: reading bearer tokens and answering refusals
//! the RFC 6750 way. The framework adapters are behind the `axum` and
//! `actix-web` features.

mod bearer;

pub use self::bearer::{BearerError, parse_authorization};
