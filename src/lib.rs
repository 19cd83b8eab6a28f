//! Examples and the cross-crate test suite of tokenkind.

pub mod grpc;
pub mod messages;
