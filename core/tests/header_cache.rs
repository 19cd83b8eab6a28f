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
