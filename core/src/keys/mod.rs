//! Verification keys: a JWKS document, PEM public keys, or an explicit HMAC
//! secret, each parsed once when loaded (never per token).
//!
//! Rules (RFC 8725 §3.1, RFC 7517 §4):
//! - every key carries the set of algorithms it may verify; a token's `alg`
//!   must be in that set, so the algorithm is never taken from the header alone;
//! - `none` is never accepted; HMAC only for a secret configured with [`KeySet::with_hmac`];
//! - RSA keys under 2048 bits are refused;
//! - a JWK with `use: enc`, or `key_ops` without `verify`, is never used to verify;
//! - a JWK's `alg`, when present, restricts the key to that algorithm;
//! - two keys of a JWKS with the same `kid` and a common algorithm are both
//!   skipped: a token naming that `kid` would be ambiguous (RFC 7517 §4.5).

mod algorithm;
mod jwk;
mod thumbprint;

use core::fmt;
use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey};

pub use self::algorithm::Algorithm;
pub use self::jwk::SkippedKey;
pub(crate) use self::jwk::present;
pub use self::thumbprint::jwk_thumbprint;
pub(crate) use self::thumbprint::{JwkProblem, held_key};
use crate::error::{ConfigError, Error};

/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;

/// A set of trusted verification keys.
///
/// Build it once at start-up and hand it to a verifier; it is cheap to clone
/// (the keys are shared).
///
/// ```
/// use tokenkind::{Algorithm, KeySet};
///
/// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA",
///                "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
/// let keys = KeySet::from_jwks(jwks)?;
/// assert_eq!(keys.len(), 1);
/// assert_eq!(keys.algorithms(Some("k1")), vec![Algorithm::EdDSA]);
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Arc<[Key]>,
    skipped: Arc<[SkippedKey]>,
}

struct Key {
    kid: Option<Box<str>>,
    /// The JWKS `issuer` member: the issuer (possibly templated with
    /// `{tenantid}`) whose tokens this key may verify, as Entra ID publishes.
    issuer: Option<Arc<str>>,
    /// One verifier per algorithm the key may verify.
    verifiers: Vec<(Algorithm, Verifier)>,
}

pub(crate) enum Verifier {
    Public(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl Verifier {
    /// The signature over `message` must verify with this key (RFC 7515 §5.2).
    pub(crate) fn check(&self, message: &[u8], sig: &[u8]) -> Result<(), Error> {
        let valid = match self {
            Self::Public(key) => key.verify_sig(message, sig).is_ok(),
            Self::Hmac(key) => hmac::verify(key, message, sig).is_ok(),
        };
        if valid { Ok(()) } else { Err(Error::BadSignature) }
    }
}

impl KeySet {
    /// An empty key set; add keys with the `with_*` methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a JWKS document (RFC 7517 §5).
    ///
    /// Keys that cannot be used (malformed, `use: enc`, unsupported type,
    /// RSA under 2048 bits, an `alg` that does not fit the key) are skipped
    /// and listed by [`KeySet::skipped`]; the others are loaded. Two keys
    /// with the same `kid` that could verify a common algorithm are both
    /// skipped, since a token naming that `kid` could mean either (RFC 7517
    /// §4.5); keys sharing a `kid` but no algorithm (an RSA and an EC key) load. Symmetric
    /// (`oct`) keys in a JWKS are always skipped: HMAC secrets must be
    /// configured explicitly with [`KeySet::with_hmac`].
    ///
    /// # Errors
    /// [`ConfigError::Jwks`] when the document is not a JSON object with a
    /// `keys` array; [`ConfigError::NoKeys`] when no key is usable.
    pub fn from_jwks(json: &str) -> Result<Self, ConfigError> {
        let keys = Self::from_jwks_document(json)?;
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        Ok(keys)
    }

    /// Like [`KeySet::from_jwks`], but a well-formed JWKS with no usable key
    /// gives an empty set: for a key source, that is an answer (its keys were
    /// withdrawn), not a failure.
    pub(crate) fn from_jwks_document(json: &str) -> Result<Self, ConfigError> {
        let (keys, skipped) = jwk::parse_jwks(json)?;
        Ok(Self { keys: keys.into(), skipped: skipped.into() })
    }

    /// Adds a PEM public key (`-----BEGIN PUBLIC KEY-----`, or
    /// `BEGIN RSA PUBLIC KEY`): RSA (RS*, PS*), EC P-256 (ES256), P-384
    /// (ES384) or Ed25519 (EdDSA). `algorithms` restricts it further when
    /// non-empty.
    ///
    /// ```
    /// use tokenkind::{Algorithm, KeySet};
    /// let pem = "-----BEGIN PUBLIC KEY-----\n\
    ///            MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
    ///            -----END PUBLIC KEY-----\n";
    /// let keys = KeySet::new().with_pem(Some("k1"), pem, &[])?;
    /// assert_eq!(keys.algorithms(Some("k1")), vec![Algorithm::EdDSA]);
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Pem`] when the PEM is not a supported public key,
    /// [`ConfigError::Key`] when it is refused (e.g. RSA under 2048 bits).
    pub fn with_pem(self, kid: Option<&str>, pem: &str, algorithms: &[Algorithm]) -> Result<Self, ConfigError> {
        let key = jwk::parse_pem(kid, pem.as_bytes(), algorithms)?;
        Ok(self.push(key))
    }

    /// Adds an HMAC secret for `algorithm` (HS256, HS384 or HS512).
    ///
    /// HMAC needs the verifier to hold the signing secret, so it is accepted
    /// only when configured here explicitly. The secret must be at least as
    /// long as the hash output (RFC 7518 §3.2): 32, 48 or 64 bytes.
    ///
    /// ```
    /// use tokenkind::{Algorithm, KeySet};
    /// let keys = KeySet::new().with_hmac(None, &[7u8; 32], Algorithm::HS256)?;
    /// assert_eq!(keys.algorithms(None), vec![Algorithm::HS256]);
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Key`] when `algorithm` is not an HMAC algorithm or the secret is too short.
    pub fn with_hmac(self, kid: Option<&str>, secret: &[u8], algorithm: Algorithm) -> Result<Self, ConfigError> {
        let name = kid.unwrap_or("(no kid)").to_owned();
        let Some(hmac_alg) = algorithm.hmac() else {
            return Err(ConfigError::Key { kid: name, reason: "an HMAC secret needs HS256, HS384 or HS512" });
        };
        if secret.len() < hmac_alg.digest_algorithm().output_len() {
            return Err(ConfigError::Key {
                kid: name,
                reason: "the HMAC secret is shorter than the hash output (RFC 7518 §3.2)",
            });
        }
        let key = Key {
            kid: kid.map(Into::into),
            issuer: None,
            verifiers: vec![(algorithm, Verifier::Hmac(Box::new(hmac::Key::new(hmac_alg, secret))))],
        };
        Ok(self.push(key))
    }

    fn push(self, key: Key) -> Self {
        let mut keys: Vec<Key> = self.keys.iter().map(Key::duplicate).collect();
        keys.push(key);
        Self { keys: keys.into(), skipped: self.skipped }
    }

    /// The number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn has_algorithm(&self, alg: Algorithm) -> bool {
        self.keys.iter().any(|k| k.verifier(alg).is_some())
    }

    /// The keys of a JWKS that were skipped, and why.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// The algorithms the key with this `kid` may verify (empty if there is no such key).
    pub fn algorithms(&self, kid: Option<&str>) -> Vec<Algorithm> {
        self.keys.iter().filter(|k| k.kid.as_deref() == kid).flat_map(|k| k.verifiers.iter().map(|(a, _)| *a)).collect()
    }

    /// Selects the key for a token: with a `kid`, the key with that `kid`;
    /// without, the only key of the set that accepts `alg` (never several
    /// keys tried in turn). The key's own algorithm set must contain `alg`.
    /// [`Verifier::check`] then checks the signature with it, and the verifier
    /// checks the token's `iss` against the key's `issuer`, if it has one.
    pub(crate) fn select_key(&self, kid: Option<&str>, alg: Algorithm) -> Result<SelectedKey<'_>, Error> {
        let key = if let Some(kid) = kid {
            // Several keys may share a `kid` (one per algorithm): prefer the
            // one that fits, else the first (its error names the algorithm).
            let mut first = None;
            let mut fitting = None;
            for k in self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)) {
                if k.verifier(alg).is_some() {
                    fitting = Some(k);
                    break;
                }
                first = first.or(Some(k));
            }
            fitting.or(first)
        } else {
            let mut usable = self.keys.iter().filter(|k| k.verifier(alg).is_some());
            match (usable.next(), usable.next()) {
                (Some(k), None) => Some(k),
                _ => None,
            }
        };
        let Some(key) = key else {
            return Err(Error::UnknownKey { kid: kid.map(crate::error::Echo::new) });
        };
        let verifier = key
            .verifier(alg)
            .ok_or_else(|| Error::DisallowedAlgorithm { alg: crate::error::Echo::new(alg.as_str()) })?;
        Ok(SelectedKey { verifier, issuer: key.issuer.as_ref() })
    }

    /// The JWKS `issuer` member of the key with this `kid`, if it has one
    /// (Entra ID publishes one per key, templated with `{tenantid}`).
    ///
    /// ```
    /// use tokenkind::KeySet;
    /// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA",
    ///                "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    ///                "issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"}]}"#;
    /// let keys = KeySet::from_jwks(jwks)?;
    /// assert_eq!(keys.issuer(Some("k1")), Some("https://login.microsoftonline.com/{tenantid}/v2.0"));
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn issuer(&self, kid: Option<&str>) -> Option<&str> {
        self.keys.iter().find(|k| k.kid.as_deref() == kid).and_then(|k| k.issuer.as_deref())
    }
}

/// The key [`KeySet::select_key`] picked for a token.
pub(crate) struct SelectedKey<'a> {
    pub(crate) verifier: &'a Verifier,
    /// The JWKS `issuer` member of the key, if any.
    pub(crate) issuer: Option<&'a Arc<str>>,
}

impl Key {
    fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        self.verifiers.iter().find(|(a, _)| *a == alg).map(|(_, v)| v)
    }

    fn duplicate(&self) -> Key {
        Key {
            kid: self.kid.clone(),
            issuer: self.issuer.clone(),
            verifiers: self
                .verifiers
                .iter()
                .map(|(a, v)| {
                    let v = match v {
                        Verifier::Public(k) => Verifier::Public(k.clone()),
                        Verifier::Hmac(k) => Verifier::Hmac(k.clone()),
                    };
                    (*a, v)
                })
                .collect(),
        }
    }
}

impl fmt::Debug for KeySet {
    /// Lists `kid`s and algorithms, never key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct K<'a>(&'a Key);
        impl fmt::Debug for K<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Key")
                    .field("kid", &self.0.kid)
                    .field("algorithms", &self.0.verifiers.iter().map(|(a, _)| *a).collect::<Vec<_>>())
                    .finish()
            }
        }
        f.debug_struct("KeySet")
            .field("keys", &self.keys.iter().map(K).collect::<Vec<_>>())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Builds the parsed public key for each algorithm in `algs`.
fn public_verifiers(bytes: &[u8], algs: &[Algorithm]) -> Result<Vec<(Algorithm, Verifier)>, &'static str> {
    algs.iter()
        .map(|&alg| {
            let params = alg.verification().ok_or("not a public-key algorithm")?;
            ParsedPublicKey::new(params, bytes)
                .map(|k| (alg, Verifier::Public(k)))
                .map_err(|_| "the key material is invalid for its type")
        })
        .collect()
}

fn rsa_verifiers(n: &[u8], e: &[u8], algs: &[Algorithm]) -> Result<Vec<(Algorithm, Verifier)>, &'static str> {
    let n = strip_leading_zeros(n);
    if n.len() * 8 < MIN_RSA_BITS {
        return Err("RSA keys under 2048 bits are refused");
    }
    let components = signature::RsaPublicKeyComponents { n, e };
    algs.iter()
        .map(|&alg| {
            let params = alg.rsa_params().ok_or("not an RSA algorithm")?;
            components
                .to_parsed_public_key(params)
                .map(|k| (alg, Verifier::Public(k)))
                .map_err(|_| "the RSA key is invalid")
        })
        .collect()
}

fn strip_leading_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}
