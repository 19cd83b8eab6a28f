//! Key-selection attacks (RFC 8725 §3.10): hostile `kid` values, header
//! parameters that point at attacker keys (ignored, never fetched), and keys
//! of another issuer.

use std::net::TcpListener;

use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::error::{MAX_ECHO, Malformed};
use tokenkind::{ConfigError, Error, KeySet};

use super::common::{Api, NOW};
use super::{Es256, access_claims, api};

fn kid_refused(kid: &str) -> Error {
    let es = Es256::new("trusted");
    let v = api(es.keys());
    // Signed by the trusted key itself: only the kid is hostile.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
    v.verify(&es.sign(&header, &access_claims())).unwrap_err()
}

fn unknown(kid: &str) -> String {
    match kid_refused(kid) {
        Error::UnknownKey { kid: Some(k) } => k.as_str().to_owned(),
        other => panic!("{kid:?}: expected UnknownKey, got {other:?}"),
    }
}

#[test]
fn kid_with_path_traversal() {
    for kid in
        ["../../../../etc/passwd", "..\\..\\keys\\trusted", "/dev/null", "file:///etc/shadow", "trusted/../trusted"]
    {
        assert_eq!(unknown(kid), kid);
    }
}

#[test]
fn kid_sql_like() {
    for kid in ["' OR '1'='1", "trusted' --", "1; DROP TABLE keys", "\" OR \"\"=\"", "trusted%00"] {
        assert_eq!(unknown(kid), kid);
    }
}

#[test]
fn kid_very_long() {
    let kid = "k".repeat(10_000);
    let echoed = unknown(&kid);
    assert_eq!(echoed.chars().count(), MAX_ECHO + 1, "cut to MAX_ECHO characters and an ellipsis");
    assert!(echoed.ends_with('…'));
    assert!(kid_refused(&kid).to_string().len() < 200);
}

#[test]
fn kid_not_a_string() {
    for kid in [json!(7), json!(null), json!(true), json!(["trusted"]), json!({"kid": "trusted"}), json!(1.5)] {
        let es = Es256::new("trusted");
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
        assert_eq!(
            api(es.keys()).verify(&es.sign(&header, &access_claims())).unwrap_err(),
            Error::Malformed(Malformed::Header),
            "{kid}"
        );
    }
}

#[test]
fn kid_empty() {
    assert_eq!(unknown(""), "");
}

#[test]
fn kid_that_differs_from_a_trusted_kid_by_invisible_characters() {
    for kid in ["trusted\u{0}", "trusted ", " trusted", "TRUSTED", "trusted\u{200b}", "trusted\n"] {
        assert_eq!(unknown(kid), kid, "{kid:?}");
    }
    // Control characters are escaped when the error is displayed.
    let text = kid_refused("a\nb\u{1b}[31m").to_string();
    assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
}

/// A local port that nobody should connect to: if the verifier fetched a
/// URL from the header, the connection would be waiting here.
struct Trap(TcpListener);

impl Trap {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.0.local_addr().unwrap())
    }

    fn assert_untouched(&self) {
        assert_eq!(self.0.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock, "a header URL was fetched");
    }
}

/// An attacker signs with their own key and points a header parameter at it:
/// with their kid the key is unknown, without a kid or with the trusted kid the
/// trusted key is used and the signature fails.
fn attacker_key_header(param: &str, value: impl Fn(&Es256) -> Value) {
    let trusted = Es256::new("trusted");
    let v = api(trusted.keys());
    let attacker = Es256::new("attacker");
    let header = |kid: Option<&str>| {
        let mut h = json!({"alg": "ES256", "typ": "at+jwt", param: value(&attacker)});
        if let Some(kid) = kid {
            h["kid"] = json!(kid);
        }
        h
    };
    let sign = |kid| attacker.sign(&header(kid), &access_claims());
    assert!(
        matches!(v.verify(&sign(Some("attacker"))), Err(Error::UnknownKey { kid: Some(k) }) if k.as_str() == "attacker"),
        "{param}"
    );
    assert_eq!(v.verify(&sign(Some("trusted"))).unwrap_err(), Error::BadSignature, "{param}");
    assert_eq!(v.verify(&sign(None)).unwrap_err(), Error::BadSignature, "{param}");
}

#[test]
fn jku_header_pointing_at_an_attacker_jwks() {
    let trap = Trap::new();
    attacker_key_header("jku", |_| json!(trap.url("jwks.json")));
    trap.assert_untouched();
}

#[test]
fn x5u_header_pointing_at_an_attacker_certificate() {
    let trap = Trap::new();
    attacker_key_header("x5u", |_| json!(trap.url("cert.pem")));
    trap.assert_untouched();
}

#[test]
fn jwk_header_embedding_the_attacker_key() {
    attacker_key_header("jwk", Es256::jwk);
}

#[test]
fn x5c_header_with_an_attacker_certificate_chain() {
    // The content is never parsed: any base64 DER chain is ignored.
    attacker_key_header("x5c", |_| json!(["MIIBszCCAVmgAwIBAgIUQ==", "MIIB"]));
}

#[test]
fn kid_of_another_issuers_key() {
    // Two issuers, each with its own verifier and keys (the multi-issuer setup).
    let a = DevIssuer::new().issuer_url("https://a.example");
    let b = DevIssuer::new().issuer_url("https://b.example");
    let va = a.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    // B's token, B's kid, at A's verifier: B's key is not A's.
    let from_b = b.access_token().issued_at(NOW).sign();
    assert!(matches!(va.verify(&from_b), Err(Error::UnknownKey { kid: Some(k) }) if k.as_str() == b.kid()));
    // B signs, claims A as issuer and names A's kid: A's key checks the signature.
    let forged = b.access_token().issued_at(NOW).claim("iss", a.issuer()).kid(Some(a.kid())).sign();
    assert_eq!(va.verify(&forged).unwrap_err(), Error::BadSignature);
}

#[test]
fn kid_shared_by_two_issuers_in_one_key_set() {
    // Both issuers use the kid "1" with the same algorithm: a token naming
    // "1" could mean either key (RFC 7517 §4.5), so neither is used, and
    // neither is tried in turn.
    let a = DevIssuer::new().issuer_url("https://a.example");
    let b = DevIssuer::new().issuer_url("https://b.example");
    let jwk = |d: &DevIssuer, kid: &str| {
        let mut j: Value = serde_json::from_str::<Value>(&d.jwks()).unwrap()["keys"][0].clone();
        j["kid"] = json!(kid);
        j
    };
    let both = json!({"keys": [jwk(&a, "1"), jwk(&b, "1")]}).to_string();
    assert_eq!(KeySet::from_jwks(&both).unwrap_err(), ConfigError::NoKeys);
    let keys = KeySet::from_jwks(&json!({"keys": [jwk(&a, "1"), jwk(&b, "1"), jwk(&a, "2")]}).to_string()).unwrap();
    let va = tokenkind::AccessTokenVerifier::<Api>::builder(a.issuer(), a.audience())
        .keys(keys)
        .clock(|| NOW)
        .build()
        .unwrap();
    let from_b = b.access_token().issued_at(NOW).kid(Some("1")).claim("iss", a.issuer()).sign();
    for token in [a.access_token().issued_at(NOW).kid(Some("1")).sign(), from_b] {
        let err = va.verify(&token).unwrap_err();
        assert!(matches!(&err, Error::UnknownKey { kid: Some(k) } if k.as_str() == "1"), "{err:?}");
    }
    assert!(va.verify(&a.access_token().issued_at(NOW).kid(Some("2")).sign()).is_ok());
}

#[test]
fn token_of_another_issuer_whose_key_is_also_trusted() {
    // A key set that (by configuration) trusts B's key too: B's own tokens
    // still name B as issuer and are refused by A's verifier.
    let a = DevIssuer::new().issuer_url("https://a.example");
    let b = DevIssuer::new().issuer_url("https://b.example");
    let keys: Vec<Value> =
        [&a, &b].iter().map(|d| serde_json::from_str::<Value>(&d.jwks()).unwrap()["keys"][0].clone()).collect();
    let keys = KeySet::from_jwks(&json!({ "keys": keys }).to_string()).unwrap();
    let va = tokenkind::AccessTokenVerifier::<Api>::builder(a.issuer(), a.audience())
        .keys(keys)
        .clock(|| NOW)
        .build()
        .unwrap();
    let err = va.verify(&b.access_token().issued_at(NOW).sign()).unwrap_err();
    assert!(matches!(err, Error::WrongIssuer { ref found } if found.as_str() == "https://b.example"), "{err:?}");
}

#[test]
fn kid_absent_with_several_candidate_keys() {
    let a = Es256::new("a");
    let b = Es256::new("b");
    let keys = KeySet::from_jwks(&json!({"keys": [a.jwk(), b.jwk()]}).to_string()).unwrap();
    let header = json!({"alg": "ES256", "typ": "at+jwt"});
    assert_eq!(api(keys).verify(&a.sign(&header, &access_claims())).unwrap_err(), Error::UnknownKey { kid: None });
}
