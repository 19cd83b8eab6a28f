//! JWK / JWKS and PEM loading, with jsonwebtoken as the key model.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use jsonwebtoken::{DecodingKey, DecodingKeyKind};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Algorithm, Key, public_verifiers, rsa_verifiers};
use crate::error::ConfigError;

/// A key of a JWKS that was not loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedKey {
    /// The key's `kid`, if it could be read.
    pub kid: Option<String>,
    /// The key's position in the `keys` array.
    pub index: usize,
    /// Why it was skipped.
    pub reason: &'static str,
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    keys: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct KidOnly {
    kid: Option<String>,
}

/// Why two keys with the same `kid` and a common algorithm are both skipped.
const AMBIGUOUS_KID: &str =
    "the `kid` is ambiguous: another key of the JWKS has it too, with a common algorithm (RFC 7517 §4.5)";

pub(super) fn parse_jwks(json: &str) -> Result<(Vec<Key>, Vec<SkippedKey>), ConfigError> {
    let doc: Document<'_> = serde_json::from_str(json).map_err(|e| ConfigError::Jwks(e.to_string()))?;
    let mut loaded = Vec::with_capacity(doc.keys.len());
    let mut skipped = Vec::new();
    for (index, raw) in doc.keys.into_iter().enumerate() {
        match load_jwk(raw.get()) {
            Ok(key) => loaded.push((index, key)),
            Err(reason) => {
                let kid = serde_json::from_str::<KidOnly>(raw.get()).ok().and_then(|k| k.kid);
                skipped.push(SkippedKey { kid, index, reason });
            }
        }
    }
    let keys = skip_ambiguous(loaded, &mut skipped);
    skipped.sort_by_key(|s| s.index);
    Ok((keys, skipped))
}

/// RFC 7517 §4.5: keys of one JWKS that share a `kid` must be told apart by
/// their type or algorithm. When two keys with the same `kid` may both verify
/// some algorithm, a token naming that `kid` could mean either: both are
/// skipped rather than one picked by its position. Keys that share a `kid`
/// but no algorithm (an RSA key and an EC key) stay.
fn skip_ambiguous(loaded: Vec<(usize, Key)>, skipped: &mut Vec<SkippedKey>) -> Vec<Key> {
    // How many keys accept each (kid, algorithm): linear in the size of the JWKS.
    let mut uses: HashMap<(&str, Algorithm), usize> = HashMap::new();
    for (_, key) in &loaded {
        if let Some(kid) = key.kid.as_deref() {
            for (alg, _) in &key.verifiers {
                *uses.entry((kid, *alg)).or_default() += 1;
            }
        }
    }
    let ambiguous: Vec<bool> = loaded
        .iter()
        .map(|(_, key)| {
            key.kid
                .as_deref()
                .is_some_and(|kid| key.verifiers.iter().any(|(alg, _)| uses.get(&(kid, *alg)).is_some_and(|n| *n > 1)))
        })
        .collect();
    let mut keys = Vec::with_capacity(loaded.len());
    for ((index, key), ambiguous) in loaded.into_iter().zip(ambiguous) {
        if ambiguous {
            skipped.push(SkippedKey { kid: key.kid.as_deref().map(Into::into), index, reason: AMBIGUOUS_KID });
        } else {
            keys.push(key);
        }
    }
    keys
}

fn load_jwk(json: &str) -> Result<Key, &'static str> {
    let jwk: Jwk = serde_json::from_str(json).map_err(|_| "not a valid JWK")?;
    let common = &jwk.common;
    match &common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("the key's `use` is not `sig`"),
    }
    if common.key_operations.as_ref().is_some_and(|ops| !ops.contains(&KeyOperations::Verify)) {
        return Err("the key's `key_ops` does not include `verify`");
    }
    let restrict = match common.key_algorithm {
        None => None,
        Some(alg) => Some(from_key_algorithm(alg).ok_or("the key's `alg` is not a supported signature algorithm")?),
    };
    let algs = |candidates: &[Algorithm]| -> Result<Vec<Algorithm>, &'static str> {
        match restrict {
            None => Ok(candidates.to_vec()),
            Some(a) if candidates.contains(&a) => Ok(vec![a]),
            Some(_) => Err("the key's `alg` does not fit its key type"),
        }
    };
    let verifiers = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let n = b64(&p.n)?;
            let e = b64(&p.e)?;
            rsa_verifiers(&n, &e, &algs(&Algorithm::RSA)?)?
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let (alg, len) = match p.curve {
                EllipticCurve::P256 => (Algorithm::ES256, 32),
                EllipticCurve::P384 => (Algorithm::ES384, 48),
                _ => return Err("unsupported elliptic curve"),
            };
            let (x, y) = (b64(&p.x)?, b64(&p.y)?);
            if x.len() != len || y.len() != len {
                return Err("the EC coordinates have the wrong length");
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            public_verifiers(&point, &algs(&[alg])?)?
        }
        AlgorithmParameters::OctetKeyPair(p) => {
            if p.curve != EllipticCurve::Ed25519 {
                return Err("unsupported OKP curve");
            }
            let x = b64(&p.x)?;
            if x.len() != 32 {
                return Err("the Ed25519 key has the wrong length");
            }
            public_verifiers(&x, &algs(&[Algorithm::EdDSA])?)?
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err("symmetric keys are not loaded from a JWKS; configure an HMAC secret explicitly");
        }
        _ => {
            #[derive(Deserialize)]
            struct Kty {
                kty: String,
            }
            let known = serde_json::from_str::<Kty>(json).is_ok_and(|k| matches!(&*k.kty, "RSA" | "EC" | "OKP"));
            return Err(if known { "the key lacks a parameter its `kty` requires" } else { "unsupported key type" });
        }
    };
    Ok(Key { kid: common.key_id.as_deref().map(Into::into), issuer: key_issuer(json)?, verifiers })
}

/// The key's `issuer` member (not in RFC 7517; Entra ID publishes it on each
/// key, templated with `{tenantid}`): the issuer whose tokens the key may
/// verify. One that is not a non-empty string makes the key unusable rather
/// than unrestricted.
fn key_issuer(json: &str) -> Result<Option<std::sync::Arc<str>>, &'static str> {
    #[derive(Deserialize)]
    struct IssuerMember<'a> {
        #[serde(borrow, default, deserialize_with = "present")]
        issuer: Option<&'a RawValue>,
    }
    const MALFORMED: &str = "the key's `issuer` is not a non-empty string";
    let member: IssuerMember<'_> = serde_json::from_str(json).map_err(|_| "not a valid JWK")?;
    let Some(raw) = member.issuer else { return Ok(None) };
    let issuer: String = serde_json::from_str(raw.get()).map_err(|_| MALFORMED)?;
    if issuer.is_empty() {
        return Err(MALFORMED);
    }
    Ok(Some(issuer.into()))
}

/// A member that is present, `null` included (`Option` alone reads `null` as absent).
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn b64(s: &str) -> Result<Vec<u8>, &'static str> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| "a key parameter is not valid base64url")
}

fn from_key_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

pub(super) fn parse_pem(kid: Option<&str>, pem: &[u8], restrict: &[Algorithm]) -> Result<Key, ConfigError> {
    let name = || kid.unwrap_or("(no kid)").to_owned();
    let pick = |candidates: &[Algorithm]| -> Result<Vec<Algorithm>, ConfigError> {
        let algs: Vec<Algorithm> = if restrict.is_empty() {
            candidates.to_vec()
        } else {
            candidates.iter().copied().filter(|a| restrict.contains(a)).collect()
        };
        if algs.is_empty() {
            return Err(ConfigError::Key { kid: name(), reason: "none of the given algorithms fits the key type" });
        }
        Ok(algs)
    };
    let as_key = |r: Result<Vec<_>, &'static str>| -> Result<Key, ConfigError> {
        r.map(|verifiers| Key { kid: kid.map(Into::into), issuer: None, verifiers })
            .map_err(|reason| ConfigError::Key { kid: name(), reason })
    };
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        let der = der_bytes(&key);
        let public = aws_lc_rs::rsa::PublicKey::from_der(der)
            .map_err(|_| ConfigError::Pem("the RSA public key is invalid".into()))?;
        if public.modulus_len() * 8 < super::MIN_RSA_BITS {
            return Err(ConfigError::Key { kid: name(), reason: "RSA keys under 2048 bits are refused" });
        }
        return as_key(public_verifiers(der, &pick(&Algorithm::RSA)?));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        let point = der_bytes(&key);
        let alg = match point.len() {
            65 => Algorithm::ES256,
            97 => Algorithm::ES384,
            _ => return Err(ConfigError::Key { kid: name(), reason: "unsupported elliptic curve" }),
        };
        return as_key(public_verifiers(point, &pick(&[alg])?));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return as_key(public_verifiers(der_bytes(&key), &pick(&[Algorithm::EdDSA])?));
    }
    Err(ConfigError::Pem("not an RSA, EC or Ed25519 public key in PEM".into()))
}

fn der_bytes(key: &DecodingKey) -> &[u8] {
    match key.kind() {
        DecodingKeyKind::SecretOrDer(b) => b,
        DecodingKeyKind::RsaModulusExponent { .. } => &[],
    }
}
