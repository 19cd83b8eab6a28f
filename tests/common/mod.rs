//! Shared fixtures: the scope enum, hand-built tokens for cases the dev issuer won't sign.
#![allow(dead_code, unused_imports, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The messages API's scopes (and their `api_scope` markers), shared with the examples.
pub use tokenkind_suite::messages::{Api, api_scope};

/// A fixed "now" for time tests.
pub const NOW: i64 = 1_800_000_000;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Replaces the header of a signed token (which breaks the signature unless the test re-signs).
pub fn with_header(token: &str, header: &Value) -> String {
    let mut parts = token.splitn(2, '.');
    let _ = parts.next();
    format!("{}.{}", b64(header.to_string().as_bytes()), parts.next().unwrap())
}

/// An unsigned token with the given header and payload JSON text and a signature segment.
pub fn raw_token(header: &str, payload: &str, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()), b64(signature))
}

/// Signs arbitrary header/payload JSON text with an HMAC secret (HS256), to build
/// tokens whose JSON the dev issuer cannot express (duplicates, odd types).
pub fn hs256(header: &str, payload: &str, secret: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}
