//! Key loading rules (RFC 7517, RFC 7518 §3, RFC 8725 §3.1).

mod common;

use common::{Api, NOW, b64};
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::keys::SkippedKey;
use tokenkind::{AccessTokenVerifier, Algorithm, ConfigError, Error, KeySet};

fn jwk_of(dev: &DevIssuer) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&dev.jwks()).unwrap()["keys"][0].clone()
}

fn jwks(keys: &[serde_json::Value]) -> String {
    json!({ "keys": keys }).to_string()
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    let mut n = vec![0xC3u8; 128]; // a 1024-bit modulus
    n[127] |= 1;
    let small = json!({"kty": "RSA", "kid": "small", "n": b64(&n), "e": "AQAB"});
    let good = jwk_of(&DevIssuer::new());
    let keys = KeySet::from_jwks(&jwks(&[small, good])).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.skipped(),
        [SkippedKey { kid: Some("small".into()), index: 0, reason: "RSA keys under 2048 bits are refused" }]
    );
}

#[test]
fn encryption_keys_are_never_used_to_verify() {
    let dev = DevIssuer::new();
    let mut enc = jwk_of(&dev);
    enc["use"] = json!("enc");
    assert_eq!(KeySet::from_jwks(&jwks(&[enc.clone()])).unwrap_err(), ConfigError::NoKeys);
    enc["use"] = json!("sig");
    enc["key_ops"] = json!(["encrypt"]);
    assert_eq!(KeySet::from_jwks(&jwks(&[enc])).unwrap_err(), ConfigError::NoKeys);
}

#[test]
fn malformed_keys_are_skipped_not_fatal() {
    let dev = DevIssuer::new();
    let keys = KeySet::from_jwks(&jwks(&[
        json!({"kty": "EC", "crv": "P-256", "kid": "bad-x", "x": "!!", "y": "AA"}),
        json!({"kty": "RSA", "kid": "no-n", "e": "AQAB"}),
        json!({"kty": "oct", "kid": "secret", "k": b64(&[1; 32])}),
        json!("not an object"),
        json!({"kty": "XYZ", "kid": "alien"}),
        jwk_of(&dev),
    ]))
    .unwrap();
    assert_eq!(keys.len(), 1);
    let reasons: Vec<_> = keys.skipped().iter().map(|s| (s.kid.clone(), s.reason)).collect();
    assert_eq!(
        reasons,
        [
            (Some("bad-x".to_owned()), "a key parameter is not valid base64url"),
            (Some("no-n".to_owned()), "the key lacks a parameter its `kty` requires"),
            (
                Some("secret".to_owned()),
                "symmetric keys are not loaded from a JWKS; configure an HMAC secret explicitly"
            ),
            (None, "not a valid JWK"),
            (Some("alien".to_owned()), "unsupported key type"),
        ]
    );
    // The good key still verifies.
    let v = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).keys(keys).clock(|| NOW).build().unwrap();
    assert!(v.verify(&dev.access_token().issued_at(NOW).sign()).is_ok());
}

#[test]
fn jwk_alg_must_fit_the_key_type() {
    let mut k = jwk_of(&DevIssuer::new());
    k["alg"] = json!("RS256");
    let err = KeySet::from_jwks(&jwks(&[k])).unwrap_err();
    assert_eq!(err, ConfigError::NoKeys);
}

#[test]
fn rsa_key_without_alg_verifies_every_rsa_algorithm() {
    let dev = DevIssuer::with_algorithm(Algorithm::RS256);
    let mut k = jwk_of(&dev);
    k.as_object_mut().unwrap().remove("alg");
    let keys = KeySet::from_jwks(&jwks(&[k])).unwrap();
    assert_eq!(keys.algorithms(Some(dev.kid())), Algorithm::RSA.to_vec());
    let v = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).keys(keys).clock(|| NOW).build().unwrap();
    assert!(v.verify(&dev.access_token().issued_at(NOW).algorithm(Algorithm::PS256).sign()).is_ok());
}

#[test]
fn jwks_document_must_have_keys() {
    assert!(matches!(KeySet::from_jwks("[]"), Err(ConfigError::Jwks(_))));
    assert!(matches!(KeySet::from_jwks("{}"), Err(ConfigError::Jwks(_))));
    assert_eq!(KeySet::from_jwks(r#"{"keys":[]}"#).unwrap_err(), ConfigError::NoKeys);
}

#[test]
fn pem_public_keys_load_with_their_algorithms() {
    let ed = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
    let keys = KeySet::new().with_pem(Some("ed"), ed, &[]).unwrap();
    assert_eq!(keys.algorithms(Some("ed")), [Algorithm::EdDSA]);
    assert_eq!(
        KeySet::new().with_pem(Some("ed"), ed, &[Algorithm::RS256]).unwrap_err(),
        ConfigError::Key { kid: "ed".into(), reason: "none of the given algorithms fits the key type" }
    );
    assert!(matches!(KeySet::new().with_pem(None, "not pem", &[]), Err(ConfigError::Pem(_))));
}

#[test]
fn pem_rsa_and_ec_keys_verify_real_tokens() {
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        let dev = DevIssuer::with_algorithm(alg);
        let pem = public_pem(&dev);
        let keys = KeySet::new().with_pem(Some(dev.kid()), &pem, &[alg]).unwrap();
        let v =
            AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).keys(keys).clock(|| NOW).build().unwrap();
        assert!(v.verify(&dev.access_token().issued_at(NOW).sign()).is_ok(), "{alg}");
    }
}

/// The dev issuer's public key as an SPKI PEM, built from its JWK with aws-lc.
fn public_pem(dev: &DevIssuer) -> String {
    use aws_lc_rs::encoding::AsDer;
    use base64::Engine as _;
    let jwk = jwk_of(dev);
    let d =
        |s: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.as_str().unwrap()).unwrap();
    let der: Vec<u8> = if jwk["kty"] == "RSA" {
        let c = aws_lc_rs::rsa::PublicKeyComponents { n: d(&jwk["n"]), e: d(&jwk["e"]) };
        c.as_der().unwrap().as_ref().to_vec()
    } else {
        // SPKI prefix for an uncompressed P-256 point.
        let mut der = hex_prefix_p256();
        der.push(0x04);
        der.extend(d(&jwk["x"]));
        der.extend(d(&jwk["y"]));
        der
    };
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{b}\n-----END PUBLIC KEY-----\n")
}

fn hex_prefix_p256() -> Vec<u8> {
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes) }
    vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]
}

#[test]
fn hmac_secret_must_be_long_enough() {
    assert_eq!(
        KeySet::new().with_hmac(Some("h"), &[1; 31], Algorithm::HS256).unwrap_err(),
        ConfigError::Key {
            kid: "h".into(), reason: "the HMAC secret is shorter than the hash output (RFC 7518 §3.2)"
        }
    );
    assert!(KeySet::new().with_hmac(None, &[1; 48], Algorithm::HS384).is_ok());
    assert!(matches!(KeySet::new().with_hmac(None, &[1; 64], Algorithm::RS256), Err(ConfigError::Key { .. })));
}

#[test]
fn without_kid_only_a_single_matching_key_is_used() {
    let a = DevIssuer::new();
    let b = DevIssuer::new().issuer_url(a.issuer());
    let keys = KeySet::from_jwks(&jwks(&[jwk_of(&a), jwk_of(&b)])).unwrap();
    let v = AccessTokenVerifier::<Api>::builder(a.issuer(), a.audience()).keys(keys).clock(|| NOW).build().unwrap();
    assert!(v.verify(&a.access_token().issued_at(NOW).sign()).is_ok());
    assert!(v.verify(&b.access_token().issued_at(NOW).sign()).is_ok());
    // No kid and two candidate keys: refused rather than trying each.
    assert_eq!(
        v.verify(&a.access_token().issued_at(NOW).kid(None).sign()).unwrap_err(),
        Error::UnknownKey { kid: None }
    );
    // No kid and one key: used.
    let single = a.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    assert!(single.verify(&a.access_token().issued_at(NOW).kid(None).sign()).is_ok());
}

#[test]
fn key_set_debug_shows_no_key_material() {
    let dev = DevIssuer::with_algorithm(Algorithm::RS256);
    let text = format!("{:?}", dev.key_set());
    let n = jwk_of(&dev)["n"].as_str().unwrap().to_owned();
    assert!(!text.contains(&n[..16]));
    assert!(text.contains(dev.kid()));
}

#[test]
fn keys_sharing_a_kid_are_told_apart_by_algorithm() {
    let ec = DevIssuer::new();
    let ed = DevIssuer::with_algorithm(Algorithm::EdDSA).issuer_url(ec.issuer());
    let mut ed_jwk = jwk_of(&ed);
    ed_jwk["kid"] = json!(ec.kid());
    let keys = KeySet::from_jwks(&jwks(&[jwk_of(&ec), ed_jwk])).unwrap();
    let v = AccessTokenVerifier::<Api>::builder(ec.issuer(), ec.audience()).keys(keys).clock(|| NOW).build().unwrap();
    assert!(v.verify(&ec.access_token().issued_at(NOW).sign()).is_ok());
    assert!(v.verify(&ed.access_token().issued_at(NOW).kid(Some(ec.kid())).sign()).is_ok());
    // A kid that exists, with an algorithm none of its keys accepts.
    let rs = DevIssuer::with_algorithm(Algorithm::RS256);
    let err = v.verify(&rs.access_token().issued_at(NOW).kid(Some(ec.kid())).sign()).unwrap_err();
    assert!(matches!(err, Error::DisallowedAlgorithm { alg } if alg.as_str() == "RS256"));
}

#[test]
fn keys_with_the_same_kid_and_overlapping_algorithms_are_skipped() {
    const AMBIGUOUS: &str =
        "the `kid` is ambiguous: another key of the JWKS has it too, with a common algorithm (RFC 7517 §4.5)";
    let a = DevIssuer::new();
    let b = DevIssuer::new().issuer_url(a.issuer());
    let mut b_as_a = jwk_of(&b);
    b_as_a["kid"] = json!(a.kid());
    // Two RSA keys under one kid: one without `alg` (every RSA algorithm), one restricted to RS256.
    let rsa = DevIssuer::with_algorithm(Algorithm::RS256).issuer_url(a.issuer());
    let other_rsa = DevIssuer::with_algorithm(Algorithm::RS256);
    let mut any_rsa = jwk_of(&rsa);
    any_rsa.as_object_mut().unwrap().remove("alg");
    let mut rs256 = jwk_of(&other_rsa);
    rs256["kid"] = json!(rsa.kid());
    rs256["alg"] = json!("RS256");
    let ed = DevIssuer::with_algorithm(Algorithm::EdDSA).issuer_url(a.issuer());

    let keys = KeySet::from_jwks(&jwks(&[jwk_of(&a), any_rsa, jwk_of(&ed), b_as_a, rs256])).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.skipped(),
        [
            SkippedKey { kid: Some(a.kid().into()), index: 0, reason: AMBIGUOUS },
            SkippedKey { kid: Some(rsa.kid().into()), index: 1, reason: AMBIGUOUS },
            SkippedKey { kid: Some(a.kid().into()), index: 3, reason: AMBIGUOUS },
            SkippedKey { kid: Some(rsa.kid().into()), index: 4, reason: AMBIGUOUS },
        ]
    );
    assert!(keys.algorithms(Some(a.kid())).is_empty());

    // Neither key is used: a token naming that kid is refused, whichever key signed it.
    let v = AccessTokenVerifier::<Api>::builder(a.issuer(), a.audience()).keys(keys).clock(|| NOW).build().unwrap();
    for (token, kid) in [
        (a.access_token().issued_at(NOW).sign(), a.kid()),
        (b.access_token().issued_at(NOW).kid(Some(a.kid())).sign(), a.kid()),
        (rsa.access_token().issued_at(NOW).sign(), rsa.kid()),
    ] {
        let err = v.verify(&token).unwrap_err();
        assert!(matches!(&err, Error::UnknownKey { kid: Some(k) } if k.as_str() == kid), "{err:?}");
    }
    // The other key of the set still verifies.
    assert!(v.verify(&ed.access_token().issued_at(NOW).sign()).is_ok());
}
