//! A verifier remembers the parsed headers of tokens whose signature
//! verified; a token with a remembered header must still meet every check.

use tokenkind::dev::DevIssuer;
use tokenkind::error::Malformed;
use tokenkind::{Algorithm, Error, KeySet, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read")]
    Read,
}

fn segments(token: &str) -> (&str, &str, &str) {
    let mut s = token.split('.');
    (s.next().unwrap(), s.next().unwrap(), s.next().unwrap())
}

#[test]
fn remembered_header_still_needs_signature_key_and_claims() {
    let dev = DevIssuer::with_algorithm(Algorithm::ES256);
    let v = dev.access_token_verifier::<Api>().build().unwrap();
    let good = dev.access_token().scope("read").sign();
    assert!(v.verify(&good).unwrap().has_scope(Api::Read));
    // Same header, now remembered: every other part is still checked.
    let (h, p, s) = segments(&good);
    let other = dev.access_token().subject("mallory").sign();
    let (_, p2, _) = segments(&other);
    assert_eq!(v.verify(&format!("{h}.{p2}.{s}")).unwrap_err(), Error::BadSignature);
    assert_eq!(v.verify(&format!("{h}.{p}.{s}x")).unwrap_err(), Error::Malformed(Malformed::Base64));
    assert_eq!(v.verify(&format!("{h}.{p}")).unwrap_err(), Error::Malformed(Malformed::Segments));
    let expired = dev.access_token().expires_in(-3600).sign();
    assert!(matches!(v.verify(&expired).unwrap_err(), Error::Expired { .. }));
    assert!(v.verify(&good).is_ok());
}

#[test]
fn remembered_header_with_another_key_set() {
    // Two verifiers share nothing: a header remembered by one is parsed afresh by the other.
    let dev = DevIssuer::with_algorithm(Algorithm::EdDSA);
    let stranger = DevIssuer::with_algorithm(Algorithm::EdDSA);
    let token = dev.access_token().scope("read").sign();
    let mine = dev.access_token_verifier::<Api>().build().unwrap();
    let theirs = dev.access_token_verifier::<Api>().keys(KeySet::from_jwks(&stranger.jwks()).unwrap()).build().unwrap();
    assert!(mine.verify(&token).is_ok());
    assert!(matches!(theirs.verify(&token).unwrap_err(), Error::UnknownKey { .. }));
    assert!(mine.verify(&token).is_ok());
}

#[test]
fn many_distinct_headers_keep_verifying() {
    // More distinct valid headers than the verifier remembers, in turn.
    let dev = DevIssuer::with_algorithm(Algorithm::HS256);
    let v = dev.access_token_verifier::<Api>().build().unwrap();
    let tokens: Vec<String> = ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt", "at+JWT", "AT+jwt"]
        .iter()
        .map(|typ| dev.access_token().header_typ(Some(typ)).scope("read").sign())
        .collect();
    for _ in 0..3 {
        for t in &tokens {
            assert!(v.verify(t).unwrap().has_scope(Api::Read), "{t}");
        }
    }
    let jwt = dev.access_token().header_typ(Some("JWT")).sign();
    for _ in 0..2 {
        assert!(matches!(v.verify(&jwt).unwrap_err(), Error::WrongTokenType { .. }));
    }
}

#[test]
fn headers_of_many_kids_and_rotations_keep_verifying() {
    // Hundreds of `kid`s over the verifier's life (rotations), each one's
    // tokens verified, then the earliest again: every token is judged on
    // its own header, whatever the verifier remembers or has forgotten.
    let dev = DevIssuer::with_algorithm(Algorithm::EdDSA);
    let jwk: serde_json::Value = serde_json::from_str::<serde_json::Value>(&dev.jwks()).unwrap()["keys"][0].clone();
    let kids: Vec<String> = (0..300).map(|i| format!("key-{i}")).collect();
    let jwks: Vec<serde_json::Value> = kids
        .iter()
        .map(|kid| {
            let mut k = jwk.clone();
            k["kid"] = kid.as_str().into();
            k
        })
        .collect();
    let keys = KeySet::from_jwks(&serde_json::json!({ "keys": jwks }).to_string()).unwrap();
    let v = dev.access_token_verifier::<Api>().keys(keys).build().unwrap();
    let tokens: Vec<String> = kids.iter().map(|kid| dev.access_token().kid(Some(kid)).scope("read").sign()).collect();
    for t in tokens.iter().chain(&tokens[..20]).chain(&tokens) {
        assert!(v.verify(t).unwrap().has_scope(Api::Read));
    }
    // A header never seen, with a kid the keys do not hold, is still refused.
    let unknown = dev.access_token().kid(Some("key-300")).scope("read").sign();
    assert!(matches!(v.verify(&unknown).unwrap_err(), Error::UnknownKey { .. }));
    // The same kid under another algorithm is another header, refused.
    let other_alg = DevIssuer::with_algorithm(Algorithm::ES256);
    let es = other_alg.access_token().kid(Some("key-0")).scope("read").sign();
    assert!(v.verify(&es).is_err());
    assert!(v.verify(&tokens[0]).is_ok());
}
