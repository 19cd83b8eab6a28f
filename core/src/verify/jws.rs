//! The JWS layer (RFC 7515 compact serialization, RFC 8725 §3): size limit,
//! structure, header, algorithm allowlist, key selection and signature.
//! Nothing of the payload is read before the signature has verified.

use core::fmt;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::diagnose::{Rule, Verifying, Walk};
use super::payload::{NameSeed, Payload, Value, ValueSeed};
use crate::error::{Echo, Error, Malformed};
use crate::keys::{Algorithm, KeySet};

/// The header parameters tokenkind reads; every other one is ignored. In
/// particular `jku`, `x5u`, `jwk` and `x5c` are never used to find or fetch a key.
pub(crate) struct Header<W: Walk = Verifying> {
    pub(crate) alg: W::Kept<Algorithm>,
    pub(crate) typ: Option<Typ>,
}

/// A token whose signature has been verified; the payload is still base64url.
/// When diagnosing (`W` = [`Recorder`](super::diagnose::Recorder)), a token
/// whose structure could be read, whatever its signature: a diagnosis never
/// builds a token.
pub(crate) struct Verified<'t, W: Walk = Verifying> {
    pub(crate) header: Header<W>,
    /// The JWKS `issuer` member of the key that verified the signature (when
    /// diagnosing, of the key selected), if it has one.
    pub(crate) key_issuer: Option<Arc<str>>,
    payload: &'t str,
}

impl<W: Walk> Verified<'_, W> {
    /// Decodes the payload into `stack` when it fits, else into `heap`.
    pub(crate) fn payload<'b>(&self, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<&'b [u8], Error> {
        decode_into(self.payload, stack, heap)
    }

    /// The payload decoded and parsed into its claims (see [`Payload::parse`]).
    pub(crate) fn claims<'b>(&self, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<Payload<'b>, Error> {
        Payload::parse(self.payload(stack, heap)?)
    }
}

/// Room on the stack for a decoded header; a larger one goes to the heap.
const HEADER_STACK: usize = 384;
/// Room on the stack for a decoded signature: RSA up to 4096 bits.
const SIGNATURE_STACK: usize = 512;
/// Room on the stack for a decoded payload (see `Verified::payload`).
pub(crate) const PAYLOAD_STACK: usize = 2048;

/// Structure → header → allowlist → key → signature, in that order.
///
/// When diagnosing, a failed algorithm, key or signature check leaves the
/// payload to be read (unverified) by the claim rules; only a token whose
/// structure cannot be read stops the walk.
pub(crate) fn verify<'t, W: Walk>(
    w: &mut W,
    token: &'t str,
    max_len: usize,
    allowed: AlgSet,
    keys: &KeySet,
    headers: &HeaderCache,
) -> Result<Verified<'t, W>, Error> {
    w.stop(Rule::Length, check_length(token, max_len))?;
    let (header_b64, payload_b64, signature_b64) = w.stop(Rule::Structure, split(token))?;
    let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    if let Some(known) = headers.get(header_b64) {
        let alg = w.check(Rule::Algorithm, check_allowed(known.alg, allowed))?;
        let (_, key_issuer) = check_signature(w, &alg, known.kid.as_deref(), keys, signing_input, signature_b64)?;
        return Ok(Verified { header: Header { alg, typ: known.typ.clone() }, key_issuer, payload: payload_b64 });
    }
    let (mut header_stack, mut header_heap) = ([0u8; HEADER_STACK], Vec::new());
    let raw =
        w.stop(Rule::Structure, decode_into(header_b64, &mut header_stack, &mut header_heap).and_then(parse_header))?;
    let alg = w.check(Rule::Algorithm, check_algorithm(&raw.alg, allowed))?;
    let (signed, key_issuer) = check_signature(w, &alg, raw.kid.as_deref(), keys, signing_input, signature_b64)?;
    let typ = raw.typ.as_deref().map(Typ::new);
    if let (Ok(()), Ok(alg)) = (W::get(&signed), W::get(&alg)) {
        headers.remember(header_b64, *alg, typ.as_ref(), raw.kid.as_deref());
    }
    Ok(Verified { header: Header { alg, typ }, key_issuer, payload: payload_b64 })
}

/// Whether the signature verified, and the JWKS `issuer` member of the key selected.
type Signed<W> = (<W as Walk>::Kept<()>, Option<Arc<str>>);

/// The signature segment decoded (its encoding is part of the structure),
/// then the key selected, then the signature checked with it. Also gives
/// the JWKS `issuer` member of the selected key, if any.
fn check_signature<W: Walk>(
    w: &mut W,
    alg: &W::Kept<Algorithm>,
    kid: Option<&str>,
    keys: &KeySet,
    signing_input: &[u8],
    signature_b64: &str,
) -> Result<Signed<W>, Error> {
    let alg = match W::get(alg) {
        Ok(alg) => *alg,
        Err(missing) => {
            w.not_reached::<()>(Rule::Key, missing);
            return Ok((w.not_reached(Rule::Signature, missing), None));
        }
    };
    let (mut signature_stack, mut signature_heap) = ([0u8; SIGNATURE_STACK], Vec::new());
    let signature = w.check(Rule::Structure, decode_into(signature_b64, &mut signature_stack, &mut signature_heap))?;
    let signature = match W::get(&signature) {
        Ok(signature) => *signature,
        Err(missing) => {
            w.not_reached::<()>(Rule::Key, missing);
            return Ok((w.not_reached(Rule::Signature, missing), None));
        }
    };
    let key = w.check(Rule::Key, keys.select_key(kid, alg))?;
    match W::get(&key) {
        Ok(key) => {
            let signed = w.check(Rule::Signature, key.verifier.check(signing_input, signature))?;
            Ok((signed, key.issuer.cloned()))
        }
        Err(missing) => Ok((w.not_reached(Rule::Signature, missing), None)),
    }
}

/// The parsed headers of the last few distinct headers that came with a
/// valid signature. An issuer signs all its tokens under a handful of
/// headers, and parsing one is a pure function of its text, so a token whose
/// header segment is byte for byte a known one skips the parse. Only headers
/// whose signature verified are kept: tokens nobody signed cannot take the
/// slots. The slots fill once and are then read without a lock.
#[derive(Clone, Default)]
pub(crate) struct HeaderCache([OnceLock<KnownHeader>; 4]);

#[derive(Clone)]
struct KnownHeader {
    segment: Box<str>,
    alg: Algorithm,
    typ: Option<Typ>,
    kid: Option<Box<str>>,
}

impl HeaderCache {
    fn get(&self, segment: &str) -> Option<&KnownHeader> {
        self.0.iter().filter_map(OnceLock::get).find(|h| *h.segment == *segment)
    }

    fn remember(&self, segment: &str, alg: Algorithm, typ: Option<&Typ>, kid: Option<&str>) {
        if segment.len() > HEADER_STACK {
            return;
        }
        if let Some(slot) = self.0.iter().find(|s| s.get().is_none()) {
            let known = KnownHeader { segment: segment.into(), alg, typ: typ.cloned(), kid: kid.map(Into::into) };
            // Another thread may fill the slot first; this header then waits for the next token.
            let _ = slot.set(known);
        }
    }
}

/// The JWS layer without the key and signature: for the stage benchmarks only.
#[cfg(feature = "bench-internals")]
pub(crate) fn unsigned(token: &str) -> Result<Verified<'_>, Error> {
    let (header_b64, payload_b64, _) = split(token)?;
    let (mut header_stack, mut header_heap) = ([0u8; HEADER_STACK], Vec::new());
    let raw = parse_header(decode_into(header_b64, &mut header_stack, &mut header_heap)?)?;
    let alg = check_algorithm(&raw.alg, AlgSet::of(&Algorithm::ALL))?;
    let header = Header { alg, typ: raw.typ.as_deref().map(Typ::new) };
    Ok(Verified { header, key_issuer: None, payload: payload_b64 })
}

/// A header `typ`, kept inline when short (every registered media type is).
#[derive(Clone)]
pub(crate) enum Typ {
    Inline { len: u8, bytes: [u8; Typ::INLINE] },
    Heap(Box<str>),
}

impl Typ {
    const INLINE: usize = 30;

    fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= Self::INLINE => {
                let mut bytes = [0u8; Self::INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Heap(s.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a `str` whole, so always UTF-8.
            Self::Inline { len, bytes } => core::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Self::Heap(s) => s,
        }
    }
}

/// Decodes like [`decode`], into `stack` when the result fits.
fn decode_into<'b>(segment: &str, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<&'b [u8], Error> {
    if base64::decoded_len_estimate(segment.len()) <= stack.len() {
        let len = URL_SAFE_NO_PAD.decode_slice(segment, stack).map_err(|_| Error::Malformed(Malformed::Base64))?;
        Ok(&stack[..len])
    } else {
        *heap = decode(segment)?;
        Ok(heap)
    }
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
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    match (dots.next(), dots.next(), dots.next()) {
        // An ASCII `.` is always a char boundary, so the slices cannot fail.
        (Some(a), Some(b), None) => Ok((&token[..a], &token[a + 1..b], &token[b + 1..])),
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
        Some(a) => check_allowed(a, allowed),
        None => Err(Error::DisallowedAlgorithm { alg: Echo::new(alg) }),
    }
}

/// A supported algorithm must also be on the verifier's allowlist.
fn check_allowed(alg: Algorithm, allowed: AlgSet) -> Result<Algorithm, Error> {
    if allowed.contains(alg) { Ok(alg) } else { Err(Error::DisallowedAlgorithm { alg: Echo::new(alg.as_str()) }) }
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

struct RawHeader<'a> {
    alg: Cow<'a, str>,
    typ: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
}

/// Parses the header JSON: `alg` required (a string); `typ`, `kid`, `cty`
/// strings when present; `crit` refused (no extension is understood,
/// RFC 7515 §4.1.11); `b64` other than `true` refused (RFC 7797); nested JWTs
/// (`cty: JWT`) refused; duplicate parameters refused.
fn parse_header(json: &[u8]) -> Result<RawHeader<'_>, Error> {
    checked(&header_fields(json)?)
}

/// `crit` refused; `b64` other than `true` refused; nested JWTs refused; `alg` required.
fn checked<'a>(fields: &HeaderFields<'a>) -> Result<RawHeader<'a>, Error> {
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
    let alg = fields.alg.clone().ok_or(Error::Malformed(Malformed::Header))?;
    Ok(RawHeader { alg, typ: fields.typ.clone(), kid: fields.kid.clone() })
}

/// The header parameters of a proof of possession (a DPoP proof, RFC 9449
/// §4.2): the same rules as a token's header, and its `jwk` as raw JSON.
pub(crate) struct ProofHeader {
    pub(crate) alg: String,
    pub(crate) typ: Option<String>,
    pub(crate) jwk: Option<String>,
}

/// Parses a compact JWS proof: its header, its signing input and its signature.
pub(crate) fn parse_proof(proof: &str) -> Result<(ProofHeader, &str, Vec<u8>), Error> {
    let (header_b64, payload_b64, signature_b64) = split(proof)?;
    let header = decode(header_b64)?;
    let fields = header_fields(&header)?;
    let raw = checked(&fields)?;
    let header = ProofHeader {
        alg: raw.alg.into_owned(),
        typ: raw.typ.map(Cow::into_owned),
        jwk: fields.jwk.map(|j| j.get().to_owned()),
    };
    let signing_input = &proof[..header_b64.len() + 1 + payload_b64.len()];
    Ok((header, signing_input, decode(signature_b64)?))
}

/// The header's members, each checked for its JSON type; duplicates refused.
fn header_fields(json: &[u8]) -> Result<HeaderFields<'_>, Error> {
    // UTF-8 throughout (RFC 7515 §4), including values that are skipped.
    let json = core::str::from_utf8(json).map_err(|_| Error::Malformed(Malformed::Header))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = de.deserialize_map(HeaderVisitor).map_err(|_| Error::Malformed(Malformed::Header))?;
    de.end().map_err(|_| Error::Malformed(Malformed::Header))?;
    parsed
}

#[derive(Default)]
struct HeaderFields<'a> {
    /// Only a proof of possession reads it; access and ID tokens never do.
    jwk: Option<&'a serde_json::value::RawValue>,
    alg: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    cty: Option<Cow<'a, str>>,
    crit: bool,
    b64_not_true: bool,
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Result<HeaderFields<'de>, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = HeaderFields::default();
        let mut seen = Seen::default();
        let mut result = Ok(());
        while let Some(key) = map.next_key_seed(NameSeed)? {
            if !seen.insert(&key) {
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
                    *slot = Some(s);
                }
                "crit" => {
                    map.next_value::<IgnoredAny>()?;
                    h.crit = true;
                }
                "jwk" => h.jwk = Some(map.next_value()?),
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

/// The header member names seen so far. The usual few short ones sit in an
/// array (no allocation); past that a hash set keeps a header of many
/// distinct members linear in time, not quadratic.
#[derive(Default)]
struct Seen {
    inline: [(u8, [u8; Seen::NAME]); Seen::COUNT],
    count: usize,
    set: Option<HashSet<Box<[u8]>>>,
}

impl Seen {
    const NAME: usize = 16;
    const COUNT: usize = 8;

    /// Whether `name` is new.
    fn insert(&mut self, name: &str) -> bool {
        let name = name.as_bytes();
        if let Some(set) = &mut self.set {
            return set.insert(name.into());
        }
        let seen = &self.inline[..self.count];
        if seen.iter().any(|(len, bytes)| &bytes[..usize::from(*len)] == name) {
            return false;
        }
        match u8::try_from(name.len()) {
            Ok(len) if name.len() <= Self::NAME && self.count < Self::COUNT => {
                let slot = &mut self.inline[self.count];
                slot.0 = len;
                slot.1[..name.len()].copy_from_slice(name);
                self.count += 1;
            }
            _ => {
                let mut set: HashSet<Box<[u8]>> =
                    seen.iter().map(|(len, bytes)| bytes[..usize::from(*len)].into()).collect();
                set.insert(name.into());
                self.set = Some(set);
            }
        }
        true
    }
}
