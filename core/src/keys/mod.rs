//! Verification keys (stub while the module is written).
/// A JWS algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
}
/// Keys.
#[derive(Debug)]
pub struct KeySet;
