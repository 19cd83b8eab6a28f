//! RFC 8725 attack suite: hostile tokens, each refused with the exact error.
//!
//! One test per attack, grouped by class. Tokens are built here, signed with
//! real keys where the attack needs a valid signature: the development
//! issuer's keys, an ES256 key held by the test (to sign any header and
//! payload text, or to mangle an ECDSA signature), or an HMAC secret the
//! verifier is configured with (for JSON the dev issuer cannot express, such
//! as duplicate members). Time is pinned with the verifier's clock hook.

#[path = "../common/mod.rs"]
mod common;

mod algorithm;
mod claims;
mod key_selection;
mod structure;
mod time;
mod token_kind;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use common::{Api, NOW, b64};
use serde_json::{Value, json};
use tokenkind::{AccessTokenVerifier, Algorithm, IdTokenVerifier, KeySet, NoClaims};

/// The issuer every hand-built token claims.
const ISS: &str = "https://issuer.example";
/// The API every hand-built access token is for.
const API: &str = "https://api.example";
/// The OAuth client of the hand-built tokens (the ID-token audience).
const CLIENT: &str = "client-1";
/// The HMAC secret of [`hmac_keys`].
const SECRET: [u8; 32] = [0x5a; 32];

/// A valid RFC 9068 access token's claims, at [`NOW`].
fn access_claims() -> Value {
    json!({
        "iss": ISS, "sub": "user-1", "aud": API, "client_id": CLIENT, "jti": "jti-1",
        "iat": NOW, "exp": NOW + 300, "scope": "read:messages"
    })
}

/// A valid ID token's claims, at [`NOW`].
fn id_claims() -> Value {
    json!({ "iss": ISS, "sub": "user-1", "aud": CLIENT, "iat": NOW, "exp": NOW + 300, "nonce": "n-1" })
}

/// `claims` with `name` set to `value`.
fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

/// `claims` without `name`.
fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

/// A key set holding only the HMAC secret [`SECRET`] for HS256 (no `kid`).
fn hmac_keys() -> KeySet {
    KeySet::new().with_hmac(None, &SECRET, Algorithm::HS256).unwrap()
}

/// An access-token verifier for [`ISS`]/[`API`] trusting `keys`, at [`NOW`].
fn api(keys: KeySet) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(ISS, API).keys(keys).clock(|| NOW).build().unwrap()
}

/// An ID-token verifier for [`ISS`]/[`CLIENT`] trusting `keys`, at [`NOW`].
fn login(keys: KeySet) -> IdTokenVerifier<NoClaims> {
    IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT).keys(keys).clock(|| NOW).build().unwrap()
}

/// Signs header and payload JSON text with [`SECRET`] (HS256).
fn hs(header: &str, payload: &str) -> String {
    common::hs256(header, payload, &SECRET)
}

/// Signs two already-encoded segments with [`SECRET`] (HS256), whatever they hold.
fn hs_segments(header_b64: &str, payload_b64: &str) -> String {
    use aws_lc_rs::hmac;
    let input = format!("{header_b64}.{payload_b64}");
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &SECRET), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// An ES256 key held by the test: it signs any header and payload text.
struct Es256 {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    kid: String,
}

impl Es256 {
    fn new(kid: &str) -> Self {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let pkcs8 = pair.to_pkcs8v1().unwrap().as_ref().to_vec();
        Self { pair, pkcs8, kid: kid.to_owned() }
    }

    /// The public key as a JWK (`alg: ES256`, `use: sig`).
    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
               "x": b64(&point[1..33]), "y": b64(&point[33..])})
    }

    fn keys(&self) -> KeySet {
        KeySet::from_jwks(&json!({ "keys": [self.jwk()] }).to_string()).unwrap()
    }

    /// The standard header: `alg: ES256`, `typ: at+jwt`, this key's `kid`.
    fn header(&self) -> Value {
        json!({"alg": "ES256", "typ": "at+jwt", "kid": self.kid})
    }

    /// The raw r||s signature (64 bytes) of `input`.
    fn sign_bytes(&self, input: &[u8]) -> Vec<u8> {
        self.pair.sign(&SystemRandom::new(), input).unwrap().as_ref().to_vec()
    }

    /// The ASN.1 DER signature of `input`, with the same key.
    fn sign_der(&self, input: &[u8]) -> Vec<u8> {
        let der = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8).unwrap();
        der.sign(&SystemRandom::new(), input).unwrap().as_ref().to_vec()
    }

    /// `header.payload` (both encoded) and its raw signature.
    fn signing_input(header: &Value, payload: &Value) -> String {
        format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()))
    }

    /// A token signed over any header and payload JSON values.
    fn sign(&self, header: &Value, payload: &Value) -> String {
        let input = Self::signing_input(header, payload);
        let sig = self.sign_bytes(input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }

    /// A token signed over header and payload JSON text, exactly as given.
    fn sign_text(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let sig = self.sign_bytes(input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }
}

#[test]
fn the_fixtures_build_valid_tokens() {
    let es = Es256::new("es-1");
    let v = api(es.keys());
    assert!(v.verify(&es.sign(&es.header(), &access_claims())).is_ok());
    let hv = api(hmac_keys());
    assert!(hv.verify(&hs(r#"{"alg":"HS256","typ":"at+jwt"}"#, &access_claims().to_string())).is_ok());
    let id = login(es.keys());
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": es.kid});
    assert!(id.verify(&es.sign(&header, &id_claims()), tokenkind::Nonce::Expected("n-1")).is_ok());
}
