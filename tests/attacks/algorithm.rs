//! Algorithm attacks (RFC 8725 §2.1, §3.1, §3.2): `none`, HMAC keyed with a
//! public key, algorithms outside the allowlist or the key's, and ECDSA
//! signatures in the wrong shape.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::{AccessTokenVerifier, Algorithm, Error, KeySet};

use super::common::{Api, NOW, b64, raw_token};
use super::{API, Es256, ISS, access_claims, api, hmac_keys};

fn disallowed(alg: &str) -> Error {
    Error::DisallowedAlgorithm { alg: echo(alg) }
}

/// The `Echo` of a value, as errors carry it (built through a real refusal).
fn echo(alg: &str) -> tokenkind::error::Echo {
    let only = if alg == "EdDSA" { Algorithm::ES256 } else { Algorithm::EdDSA };
    let v = AccessTokenVerifier::<Api>::builder(ISS, API).keys(hmac_keys()).algorithms(&[only]).build().unwrap();
    let raw = raw_token(&json!({"alg": alg}).to_string(), "{}", b"");
    match v.verify(&raw) {
        Err(Error::DisallowedAlgorithm { alg }) => alg,
        other => panic!("expected DisallowedAlgorithm for {alg}, got {other:?}"),
    }
}

fn payload() -> String {
    access_claims().to_string()
}

// ---- alg: none ----

#[test]
fn alg_none_without_a_signature() {
    let v = api(Es256::new("k").keys());
    let raw = raw_token(r#"{"alg":"none","typ":"at+jwt"}"#, &payload(), b"");
    assert!(raw.ends_with('.'));
    assert_eq!(v.verify(&raw).unwrap_err(), disallowed("none"));
}

#[test]
fn alg_none_with_a_signature_part() {
    let es = Es256::new("k");
    let v = api(es.keys());
    // A real signature of the same key over the same input does not help.
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": "k"});
    let raw = es.sign(&header, &access_claims());
    assert_eq!(v.verify(&raw).unwrap_err(), disallowed("none"));
}

#[test]
fn alg_none_in_any_letter_case() {
    let v = api(Es256::new("k").keys());
    for alg in ["None", "NONE", "nOnE", "noNe", "NoNe"] {
        for sig in [&b""[..], b"sig"] {
            let raw = raw_token(&json!({"alg": alg, "typ": "at+jwt"}).to_string(), &payload(), sig);
            assert_eq!(v.verify(&raw).unwrap_err(), disallowed(alg), "{alg}");
        }
    }
}

#[test]
fn alg_none_when_an_hmac_secret_is_configured() {
    let v = api(hmac_keys());
    let raw = raw_token(r#"{"alg":"none","typ":"at+jwt"}"#, &payload(), b"");
    assert_eq!(v.verify(&raw).unwrap_err(), disallowed("none"));
}

#[test]
fn alg_none_with_two_segments_is_not_a_jws() {
    let v = api(Es256::new("k").keys());
    let raw = raw_token(r#"{"alg":"none"}"#, &payload(), b"");
    let two = raw.trim_end_matches('.');
    assert_eq!(v.verify(two).unwrap_err(), Error::Malformed(tokenkind::error::Malformed::Segments));
}

#[test]
fn alg_empty_or_padded_names() {
    let v = api(Es256::new("k").keys());
    for alg in ["", " ", "ES256 ", " ES256", "ES256\u{0}", "es256", "Es256", "ES-256", "ＥＳ256"] {
        let raw = raw_token(&json!({"alg": alg, "typ": "at+jwt", "kid": "k"}).to_string(), &payload(), b"x");
        assert_eq!(v.verify(&raw).unwrap_err(), disallowed(alg), "{alg:?}");
    }
}

#[test]
fn alg_names_of_unsupported_or_encryption_algorithms() {
    let v = api(Es256::new("k").keys());
    for alg in ["ES512", "ES256K", "Ed25519", "Ed448", "RS1", "HS1", "RSA-OAEP", "A128KW", "dir", "ECDH-ES"] {
        let raw = raw_token(&json!({"alg": alg, "typ": "at+jwt", "kid": "k"}).to_string(), &payload(), b"x");
        assert_eq!(v.verify(&raw).unwrap_err(), disallowed(alg), "{alg}");
    }
}

// ---- HMAC keyed with the public key (key confusion) ----

/// An RSA issuer and its public key in every encoding an attacker might try
/// as an HMAC secret.
struct RsaPublic {
    dev: DevIssuer,
    jwk: Value,
    spki_der: Vec<u8>,
}

impl RsaPublic {
    fn new() -> Self {
        let dev = DevIssuer::with_algorithm(Algorithm::RS256).issuer_url(ISS).api_audience(API);
        let jwks: Value = serde_json::from_str(&dev.jwks()).unwrap();
        let jwk = jwks["keys"][0].clone();
        let d = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
        let components = aws_lc_rs::rsa::PublicKeyComponents { n: d(&jwk["n"]), e: d(&jwk["e"]) };
        let spki_der = components.as_der().unwrap().as_ref().to_vec();
        Self { dev, jwk, spki_der }
    }

    fn pem(&self) -> String {
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(&self.spki_der))
    }

    /// PKCS#1 `RSAPublicKey`: the SPKI's bit string content (24-byte prefix for 2048 bits).
    fn pkcs1_der(&self) -> Vec<u8> {
        self.spki_der[24..].to_vec()
    }

    fn modulus(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(self.jwk["n"].as_str().unwrap()).unwrap()
    }
}

/// Signs an HMAC token with `secret` and checks every configuration refuses it.
fn assert_hmac_with_public_key_refused(rsa: &RsaPublic, secret: &[u8]) {
    let kid = rsa.dev.kid();
    let from_jwks = rsa.dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    let from_pem = AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(KeySet::new().with_pem(Some(kid), &rsa.pem(), &[]).unwrap())
        .clock(|| NOW)
        .build()
        .unwrap();
    // Even a user who lists HS256 in the allowlist gets no HMAC from an RSA key.
    let hs_listed = rsa
        .dev
        .access_token_verifier::<Api>()
        .algorithms(&[Algorithm::RS256, Algorithm::HS256, Algorithm::HS384, Algorithm::HS512])
        .clock(|| NOW)
        .build()
        .unwrap();
    for (name, alg) in [("HS256", hmac::HMAC_SHA256), ("HS384", hmac::HMAC_SHA384), ("HS512", hmac::HMAC_SHA512)] {
        for kid in [Some(kid), None] {
            let mut header = json!({"alg": name, "typ": "at+jwt"});
            if let Some(kid) = kid {
                header["kid"] = json!(kid);
            }
            let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload().as_bytes()));
            let tag = hmac::sign(&hmac::Key::new(alg, secret), input.as_bytes());
            let raw = format!("{input}.{}", b64(tag.as_ref()));
            assert_eq!(from_jwks.verify(&raw).unwrap_err(), disallowed(name), "{name} kid {kid:?}");
            assert_eq!(from_pem.verify(&raw).unwrap_err(), disallowed(name), "{name} kid {kid:?}");
            let expected = match kid {
                Some(_) => disallowed(name),
                None => Error::UnknownKey { kid: None },
            };
            assert_eq!(hs_listed.verify(&raw).unwrap_err(), expected, "{name} kid {kid:?} (HS listed)");
        }
    }
}

#[test]
fn hmac_keyed_with_the_rsa_public_key_pem() {
    let rsa = RsaPublic::new();
    assert_hmac_with_public_key_refused(&rsa, rsa.pem().as_bytes());
    assert_hmac_with_public_key_refused(&rsa, rsa.pem().trim_end().as_bytes());
    let pkcs1 =
        format!("-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n", STANDARD.encode(rsa.pkcs1_der()));
    assert_hmac_with_public_key_refused(&rsa, pkcs1.as_bytes());
}

#[test]
fn hmac_keyed_with_the_rsa_public_key_der() {
    let rsa = RsaPublic::new();
    assert_hmac_with_public_key_refused(&rsa, &rsa.spki_der);
    assert_hmac_with_public_key_refused(&rsa, &rsa.pkcs1_der());
}

#[test]
fn hmac_keyed_with_the_rsa_public_key_jwk_json() {
    let rsa = RsaPublic::new();
    assert_hmac_with_public_key_refused(&rsa, rsa.jwk.to_string().as_bytes());
    assert_hmac_with_public_key_refused(&rsa, rsa.dev.jwks().as_bytes());
}

#[test]
fn hmac_keyed_with_the_rsa_modulus_bytes() {
    let rsa = RsaPublic::new();
    assert_hmac_with_public_key_refused(&rsa, &rsa.modulus());
    assert_hmac_with_public_key_refused(&rsa, rsa.jwk["n"].as_str().unwrap().as_bytes());
}

#[test]
fn hmac_keyed_with_the_ec_public_key() {
    let es = Es256::new("ec-1");
    let v = api(es.keys());
    let jwk = es.jwk();
    let point: Vec<u8> = [
        vec![4u8],
        URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
        URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap(),
    ]
    .concat();
    for secret in [point.clone(), point[1..].to_vec(), jwk.to_string().into_bytes()] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "ec-1"}).to_string();
        let raw = super::common::hs256(&header, &payload(), &secret);
        assert_eq!(v.verify(&raw).unwrap_err(), disallowed("HS256"));
    }
}

// ---- allowlist and the key's own algorithm ----

#[test]
fn algorithm_outside_the_verifier_allowlist() {
    let es = Es256::new("k");
    let v = AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(es.keys())
        .algorithms(&[Algorithm::EdDSA, Algorithm::RS256])
        .clock(|| NOW)
        .build()
        .unwrap();
    // A valid ES256 signature by a trusted key, but ES256 is not allowed.
    assert_eq!(v.verify(&es.sign(&es.header(), &access_claims())).unwrap_err(), disallowed("ES256"));
}

#[test]
fn rsa_algorithm_outside_the_allowlist_with_a_key_that_allows_it() {
    // An RSA JWK without `alg` may verify every RS*/PS*; the allowlist still rules.
    let dev = DevIssuer::with_algorithm(Algorithm::RS256).issuer_url(ISS).api_audience(API);
    let mut jwks: Value = serde_json::from_str(&dev.jwks()).unwrap();
    jwks["keys"][0].as_object_mut().unwrap().remove("alg");
    let v = AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(KeySet::from_jwks(&jwks.to_string()).unwrap())
        .algorithms(&[Algorithm::PS256])
        .clock(|| NOW)
        .build()
        .unwrap();
    let rs = dev.access_token().issued_at(NOW).sign();
    assert_eq!(v.verify(&rs).unwrap_err(), disallowed("RS256"));
    assert!(v.verify(&dev.access_token().issued_at(NOW).algorithm(Algorithm::PS256).sign()).is_ok());
}

#[test]
fn jwk_alg_differs_from_the_token_alg() {
    // The JWK says RS256; tokens validly signed by the same key with other RSA algorithms are refused.
    let dev = DevIssuer::with_algorithm(Algorithm::RS256).issuer_url(ISS).api_audience(API);
    let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
        let raw = dev.access_token().issued_at(NOW).algorithm(alg).sign();
        assert_eq!(v.verify(&raw).unwrap_err(), disallowed(alg.as_str()), "{alg}");
    }
}

#[test]
fn token_alg_of_another_key_family_for_the_kid() {
    // The kid names an ES256 key; the header claims ES384 or EdDSA.
    let es = Es256::new("k");
    let v = api(es.keys());
    for alg in ["ES384", "EdDSA", "RS256", "PS256"] {
        let header = json!({"alg": alg, "typ": "at+jwt", "kid": "k"});
        assert_eq!(v.verify(&es.sign(&header, &access_claims())).unwrap_err(), disallowed(alg), "{alg}");
    }
}

// ---- ECDSA signature shape (RFC 7518 §3.4: 64 bytes, r || s) ----

/// The P-256 group order n.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA,
    0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

fn es_case(mangle: impl Fn(&[u8], &Es256, &[u8]) -> Vec<u8>) -> Error {
    let es = Es256::new("k");
    let v = api(es.keys());
    let input = Es256::signing_input(&es.header(), &access_claims());
    let good = es.sign_bytes(input.as_bytes());
    assert!(v.verify(&format!("{input}.{}", b64(&good))).is_ok());
    let sig = mangle(&good, &es, input.as_bytes());
    v.verify(&format!("{input}.{}", b64(&sig))).unwrap_err()
}

#[test]
fn es256_signature_in_der_instead_of_raw() {
    assert_eq!(es_case(|_, es, input| es.sign_der(input)), Error::BadSignature);
}

#[test]
fn es256_signature_with_wrong_lengths() {
    assert_eq!(es_case(|good, _, _| good[..63].to_vec()), Error::BadSignature);
    assert_eq!(es_case(|good, _, _| [good, &[0]].concat()), Error::BadSignature);
    assert_eq!(es_case(|good, _, _| [&[0], good].concat()), Error::BadSignature);
    assert_eq!(es_case(|good, _, _| good[..32].to_vec()), Error::BadSignature);
    assert_eq!(es_case(|good, _, _| [good, good].concat()), Error::BadSignature);
    assert_eq!(es_case(|_, _, _| Vec::new()), Error::BadSignature);
}

#[test]
fn es256_signature_with_r_or_s_zero() {
    assert_eq!(es_case(|good, _, _| [&[0u8; 32][..], &good[32..]].concat()), Error::BadSignature);
    assert_eq!(es_case(|good, _, _| [&good[..32], &[0u8; 32][..]].concat()), Error::BadSignature);
    assert_eq!(es_case(|_, _, _| vec![0u8; 64]), Error::BadSignature);
}

#[test]
fn es256_signature_with_r_or_s_at_or_above_the_group_order() {
    let above = {
        let mut n = P256_ORDER;
        n[31] += 1;
        n
    };
    for big in [P256_ORDER, above, [0xFF; 32]] {
        assert_eq!(es_case(|good, _, _| [&big[..], &good[32..]].concat()), Error::BadSignature);
        assert_eq!(es_case(|good, _, _| [&good[..32], &big[..]].concat()), Error::BadSignature);
    }
}

#[test]
fn es256_signature_r_plus_order_is_not_reduced() {
    // r + n does not fit in 32 bytes for most r; r itself with the order added
    // modulo 2^256 is a different integer and must not verify.
    let e = es_case(|good, _, _| {
        let mut r = [0u8; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(good[i]) + u16::from(P256_ORDER[i]) + carry;
            r[i] = (sum & 0xFF) as u8;
            carry = sum >> 8;
        }
        [&r[..], &good[32..]].concat()
    });
    assert_eq!(e, Error::BadSignature);
}

#[test]
fn eddsa_and_rsa_signatures_with_wrong_lengths() {
    for alg in [Algorithm::EdDSA, Algorithm::RS256] {
        let dev = DevIssuer::with_algorithm(alg).issuer_url(ISS).api_audience(API);
        let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
        let raw = dev.access_token().issued_at(NOW).sign();
        let (input, sig) = raw.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        for bad in [&sig[..sig.len() - 1], &[], &[sig.as_slice(), &[0]].concat()[..]] {
            assert_eq!(v.verify(&format!("{input}.{}", b64(bad))).unwrap_err(), Error::BadSignature, "{alg}");
        }
    }
}
