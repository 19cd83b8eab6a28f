//! Single stages of verification, for the stage benchmarks
//! (`core/benches/verify.rs`, feature `bench-internals`). Not an API: these
//! functions skip checks on purpose, and may change or go at any time.

use super::jws;
use super::payload::Payload;
use crate::claims::{AccessClaims, IdClaims};
use crate::keys::{Algorithm, KeySet};
use crate::scope::Scopes;
use crate::verify::{AccessTokenVerifier, IdTokenVerifier, Nonce};

/// Split, header decoding and parsing, algorithm check; no key, no signature.
pub fn header(token: &str) -> bool {
    jws::unsigned(token).is_ok()
}

/// The key selection by `kid` and algorithm, without the signature check.
pub fn select_key(keys: &KeySet, kid: Option<&str>, alg: Algorithm) -> bool {
    keys.select_key(kid, alg).is_ok()
}

/// The payload decoded into its typed slots (JSON in, no base64).
pub fn payload(json: &[u8]) -> bool {
    Payload::parse(json).is_ok()
}

/// Everything after the signature: payload decoding, token kind, claim
/// checks, scopes, the token built. The signature is NOT checked.
pub fn access_claims<S: Scopes, C: AccessClaims>(verifier: &AccessTokenVerifier<S, C>, token: &str) -> bool {
    jws::unsigned(token).is_ok_and(|v| verifier.check_claims(&v, super::access::Presented::AsBearer).is_ok())
}

/// As [`access_claims`], for an ID token and its custom claims.
pub fn id_claims<C: IdClaims>(verifier: &IdTokenVerifier<C>, token: &str, nonce: &str) -> bool {
    jws::unsigned(token).is_ok_and(|v| verifier.check_claims(&v, Nonce::Expected(nonce)).is_ok())
}
