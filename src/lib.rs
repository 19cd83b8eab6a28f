//! Examples and the cross-crate test suite of tokenkind.
