//! The JWS layer (RFC 7515 compact serialization, RFC 8725 §3): size limit,
//! structure, header, algorithm allowlist, key selection and signature.
//! Nothing of the payload is read before the signature has verified.

use core::fmt;
use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::payload::{Value, ValueSeed};
use crate::error::{Echo, Error, Malformed};
use crate::keys::{Algorithm, KeySet};

/// The header parameters tokenkind reads; every other one is ignored. In
/// particular `jku`, `x5u`, `jwk` and `x5c` are never used to find or fetch a key.
pub(crate) struct Header {
    pub(crate) alg: Algorithm,
    pub(crate) typ: Option<Box<str>>,
}

/// A token whose signature has been verified; the payload is still undecoded JSON.
pub(crate) struct Verified {
    pub(crate) header: Header,
    pub(crate) payload: Vec<u8>,
}

/// Structure → header → allowlist → key → signature, in that order.
pub(crate) fn verify(token: &str, max_len: usize, allowed: AlgSet, keys: &KeySet) -> Result<Verified, Error> {
    check_length(token, max_len)?;
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    let raw = parse_header(&decode(header_b64)?)?;
    let alg = check_algorithm(&raw.alg, allowed)?;
    let signature = decode(signature_b64)?;
    let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    keys.verify(raw.kid.as_deref(), alg, signing_input, &signature)?;
    Ok(Verified { header: Header { alg, typ: raw.typ }, payload: decode(payload_b64)? })
}

/// Tokens over the limit are refused before any decoding, so size is no DoS lever.
pub(crate) fn check_length(token: &str, max_len: usize) -> Result<(), Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge { len: token.len(), max: max_len });
    }
    Ok(())
}

/// Exactly three segments; a JWE (five) or anything else is malformed.
pub(crate) fn split(token: &str) -> Result<(&str, &str, &str), Error> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(Error::Malformed(Malformed::Segments)),
    }
}

/// Unpadded, canonical base64url only (RFC 7515 §2): no padding, no `+`/`/`,
/// no whitespace, no non-zero trailing bits.
pub(crate) fn decode(segment: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| Error::Malformed(Malformed::Base64))
}

/// The `alg` must name a supported algorithm (never `none`, in any case) that the verifier allows.
pub(crate) fn check_algorithm(alg: &str, allowed: AlgSet) -> Result<Algorithm, Error> {
    match Algorithm::from_name(alg) {
        Some(a) if allowed.contains(a) => Ok(a),
        _ => Err(Error::DisallowedAlgorithm { alg: Echo::new(alg) }),
    }
}

/// A set of algorithms, one bit each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    pub(crate) fn of(algs: &[Algorithm]) -> Self {
        Self(algs.iter().fold(0, |m, a| m | Self::bit(*a)))
    }

    fn bit(a: Algorithm) -> u16 {
        let i = Algorithm::ALL.iter().position(|x| *x == a).unwrap_or(0);
        1 << i
    }

    pub(crate) fn contains(self, a: Algorithm) -> bool {
        self.0 & Self::bit(a) != 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl fmt::Debug for AlgSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

struct RawHeader {
    alg: Box<str>,
    typ: Option<Box<str>>,
    kid: Option<Box<str>>,
}

/// Parses the header JSON: `alg` required (a string); `typ`, `kid`, `cty`
/// strings when present; `crit` refused (no extension is understood,
/// RFC 7515 §4.1.11); `b64` other than `true` refused (RFC 7797); nested JWTs
/// (`cty: JWT`) refused; duplicate parameters refused.
fn parse_header(json: &[u8]) -> Result<RawHeader, Error> {
    // UTF-8 throughout (RFC 7515 §4), including values that are skipped.
    let json = core::str::from_utf8(json).map_err(|_| Error::Malformed(Malformed::Header))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = de.deserialize_map(HeaderVisitor).map_err(|_| Error::Malformed(Malformed::Header))?;
    de.end().map_err(|_| Error::Malformed(Malformed::Header))?;
    let fields = parsed?;
    if fields.crit {
        return Err(Error::Malformed(Malformed::Critical));
    }
    if fields.b64_not_true {
        return Err(Error::Malformed(Malformed::UnencodedPayload));
    }
    if fields.cty.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("JWT") || c.eq_ignore_ascii_case("application/jwt"))
    {
        return Err(Error::Malformed(Malformed::Nested));
    }
    let alg = fields.alg.ok_or(Error::Malformed(Malformed::Header))?;
    Ok(RawHeader { alg, typ: fields.typ, kid: fields.kid })
}

#[derive(Default)]
struct HeaderFields {
    alg: Option<Box<str>>,
    typ: Option<Box<str>>,
    kid: Option<Box<str>>,
    cty: Option<Box<str>>,
    crit: bool,
    b64_not_true: bool,
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Result<HeaderFields, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = HeaderFields::default();
        // A hash set: a header of many distinct members costs linear time, not quadratic.
        let mut seen: HashSet<Box<str>> = HashSet::new();
        let mut result = Ok(());
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert((*key).into()) {
                result = Err(Error::Malformed(Malformed::DuplicateMember));
            }
            let bad = Error::Malformed(Malformed::Header);
            match &*key {
                "alg" | "typ" | "kid" | "cty" => {
                    let Value::Str(s) = map.next_value_seed(ValueSeed)? else {
                        result = result.and(Err(bad));
                        continue;
                    };
                    let slot = match &*key {
                        "alg" => &mut h.alg,
                        "typ" => &mut h.typ,
                        "kid" => &mut h.kid,
                        _ => &mut h.cty,
                    };
                    *slot = Some(s.into());
                }
                "crit" => {
                    map.next_value::<IgnoredAny>()?;
                    h.crit = true;
                }
                "b64" => {
                    if !matches!(map.next_value_seed(ValueSeed)?, Value::Bool(true)) {
                        h.b64_not_true = true;
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(result.map(|()| h))
    }
}
