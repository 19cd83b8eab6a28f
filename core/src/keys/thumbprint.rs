//! A public key carried in a JWK by its holder (a DPoP proof's `jwk`
//! header, RFC 9449 §4.2), and its RFC 7638 thumbprint.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::{Algorithm, Verifier, public_verifiers, rsa_verifiers};

/// Members that only a private or symmetric key has (RFC 7518 §6.2.2,
/// §6.3.2, §6.4.1; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A public key presented in a JWK, ready to verify one algorithm.
pub(crate) struct HeldKey {
    pub(crate) verifier: Verifier,
    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub(crate) thumbprint: String,
}

impl HeldKey {
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifier.check(message, signature).is_ok()
    }
}

/// Why a JWK cannot serve as a proof key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwkProblem {
    /// Not a JSON object of strings where strings belong.
    Malformed,
    /// It holds private (or symmetric) key material.
    Private,
    /// Its key type or curve is not one tokenkind verifies with, or does not
    /// fit the algorithm.
    Unsupported,
    /// The key material is invalid (bad base64url, wrong length, too short).
    Invalid,
}

/// Reads the public key of `jwk` for `alg`: EC P-256 with ES256, P-384 with
/// ES384, Ed25519 with EdDSA, RSA (≥ 2048 bits) with RS*/PS*.
pub(crate) fn held_key(jwk: &str, alg: Algorithm) -> Result<HeldKey, JwkProblem> {
    let members: serde_json::Map<String, Value> = serde_json::from_str(jwk).map_err(|_| JwkProblem::Malformed)?;
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(JwkProblem::Private);
    }
    let text = |name: &str| match members.get(name) {
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        None => Ok(None),
        Some(_) => Err(JwkProblem::Malformed),
    };
    let required = |name: &str| text(name)?.ok_or(JwkProblem::Malformed);
    let bytes = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| JwkProblem::Invalid);
    match (required("kty")?, alg) {
        ("EC", Algorithm::ES256 | Algorithm::ES384) => {
            let (crv, len) = if alg == Algorithm::ES256 { ("P-256", 32) } else { ("P-384", 48) };
            if required("crv")? != crv {
                return Err(JwkProblem::Unsupported);
            }
            let (x, y) = (required("x")?, required("y")?);
            let (xb, yb) = (bytes(x)?, bytes(y)?);
            if xb.len() != len || yb.len() != len {
                return Err(JwkProblem::Invalid);
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&xb);
            point.extend_from_slice(&yb);
            let verifier = single(public_verifiers(&point, &[alg]))?;
            Ok(HeldKey {
                verifier,
                thumbprint: digest(&format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#)),
            })
        }
        ("OKP", Algorithm::EdDSA) => {
            if required("crv")? != "Ed25519" {
                return Err(JwkProblem::Unsupported);
            }
            let x = required("x")?;
            let xb = bytes(x)?;
            if xb.len() != 32 {
                return Err(JwkProblem::Invalid);
            }
            let verifier = single(public_verifiers(&xb, &[alg]))?;
            Ok(HeldKey { verifier, thumbprint: digest(&format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#)) })
        }
        ("RSA", _) if Algorithm::RSA.contains(&alg) => {
            let (n, e) = (required("n")?, required("e")?);
            let verifier = single(rsa_verifiers(&bytes(n)?, &bytes(e)?, &[alg]))?;
            Ok(HeldKey { verifier, thumbprint: digest(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#)) })
        }
        _ => Err(JwkProblem::Unsupported),
    }
}

/// The RFC 7638 JWK SHA-256 thumbprint of a public JWK (EC, OKP or RSA), as
/// base64url: what an access token's `cnf.jkt` names (RFC 9449 §6.1).
///
/// ```
/// // RFC 7638 §3.1's example key.
/// let jwk = r#"{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
/// assert_eq!(tokenkind::keys::jwk_thumbprint(jwk)?, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError::Key`](crate::ConfigError::Key) when the JWK is not a
/// public EC (P-256, P-384), Ed25519 or RSA key.
pub fn jwk_thumbprint(jwk: &str) -> Result<String, crate::ConfigError> {
    let members: serde_json::Map<String, Value> =
        serde_json::from_str(jwk).map_err(|_| crate::ConfigError::Key { kid: "jwk".into(), reason: "not a JWK" })?;
    let alg = match (members.get("kty").and_then(Value::as_str), members.get("crv").and_then(Value::as_str)) {
        (Some("EC"), Some("P-384")) => Algorithm::ES384,
        (Some("EC"), _) => Algorithm::ES256,
        (Some("OKP"), _) => Algorithm::EdDSA,
        _ => Algorithm::RS256,
    };
    held_key(jwk, alg).map(|k| k.thumbprint).map_err(|problem| crate::ConfigError::Key {
        kid: "jwk".into(),
        reason: match problem {
            JwkProblem::Malformed => "not a JWK",
            JwkProblem::Private => "it holds private key material",
            JwkProblem::Unsupported => "not a public EC (P-256, P-384), Ed25519 or RSA key",
            JwkProblem::Invalid => "the key material is invalid",
        },
    })
}

fn single(verifiers: Result<Vec<(Algorithm, Verifier)>, &'static str>) -> Result<Verifier, JwkProblem> {
    verifiers.map_err(|_| JwkProblem::Invalid)?.pop().map(|(_, v)| v).ok_or(JwkProblem::Invalid)
}

fn digest(canonical: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_symmetric_keys_are_refused() {
        let ec = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
        assert_eq!(held_key(ec, Algorithm::ES256).err(), Some(JwkProblem::Private));
        let oct = r#"{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}"#;
        assert_eq!(held_key(oct, Algorithm::ES256).err(), Some(JwkProblem::Private));
    }

    #[test]
    fn the_key_must_fit_the_algorithm() {
        let ec = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        assert!(held_key(ec, Algorithm::ES256).is_ok());
        assert_eq!(held_key(ec, Algorithm::ES384).err(), Some(JwkProblem::Unsupported));
        assert_eq!(held_key(ec, Algorithm::RS256).err(), Some(JwkProblem::Unsupported));
        assert_eq!(held_key(ec, Algorithm::HS256).err(), Some(JwkProblem::Unsupported));
        assert_eq!(held_key(r#"{"kid":"only"}"#, Algorithm::ES256).err(), Some(JwkProblem::Malformed));
        assert_eq!(held_key(r#"{"kty":7}"#, Algorithm::ES256).err(), Some(JwkProblem::Malformed));
        assert_eq!(held_key("[]", Algorithm::ES256).err(), Some(JwkProblem::Malformed));
    }

    #[test]
    fn thumbprints_follow_rfc_7638() {
        // RFC 8037 Appendix A.3.
        let okp = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(jwk_thumbprint(okp).unwrap(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
