//! The JWS layer (RFC 7515 compact serialization, RFC 8725 §3): size limit,
//! structure, header, algorithm allowlist, key selection and signature.
//! Nothing of the payload is read before the signature has verified.

use core::fmt;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use arc_swap::{ArcSwapOption, Guard};

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::diagnose::{Rule, Verifying, Walk};
use super::payload::{LayoutHint, NameSeed, Payload, Value, ValueSeed};
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
    /// At least the length of the decoded payload, for choosing a buffer.
    pub(crate) fn payload_len_at_most(&self) -> usize {
        at_most(self.payload)
    }

    /// Decodes the payload into `stack` when it fits, else into `heap`.
    pub(crate) fn payload<'b>(&self, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<&'b [u8], Error> {
        // A dot is not base64url: more than three segments (see `verify`).
        decode_into(self.payload, stack, heap).map_err(|e| more_segments(self.payload).unwrap_or(e))
    }

    /// The payload decoded and parsed into its claims (see [`Payload::parse`]).
    pub(crate) fn claims<'b>(&self, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<Payload<'b>, Error> {
        Payload::parse(self.payload(stack, heap)?)
    }

    /// [`claims`](Self::claims) into an [empty](Payload::empty) payload, in
    /// place, with the verifier's layout hint.
    pub(crate) fn fill_claims<'b>(
        &self,
        payload: &mut Payload<'b>,
        stack: &'b mut [u8],
        heap: &'b mut Vec<u8>,
        hint: &LayoutHint,
    ) -> Result<(), Error> {
        payload.fill(self.payload(stack, heap)?, Some(hint))
    }
}

/// Room on the stack for a decoded header; a larger one goes to the heap.
const HEADER_STACK: usize = 384;
/// Room on the stack for a decoded signature: RSA up to 4096 bits.
const SIGNATURE_STACK: usize = 512;
/// Room on the stack for a short signature: HMAC, ECDSA, EdDSA.
const SHORT_SIGNATURE_STACK: usize = 64;
/// Room on the stack for a decoded payload (see `Verified::payload`).
pub(crate) const PAYLOAD_STACK: usize = 2048;
/// Room on the stack for a short payload: most access tokens.
pub(crate) const SHORT_PAYLOAD_STACK: usize = 512;

/// At least the length `segment` decodes to, for choosing a buffer.
fn at_most(segment: &str) -> usize {
    segment.len() / 4 * 3 + 2
}

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
    if W::DIAGNOSING {
        let (header_b64, payload_b64, signature_b64) = w.stop(Rule::Structure, split(token))?;
        let known = headers.get(header_b64);
        let known = known.as_ref().and_then(|k| k.as_deref());
        return verify_segments(w, token, known, [header_b64, payload_b64, signature_b64], allowed, keys, headers);
    }
    // Verifying looks for the first dot, and for the last only where the
    // header's signatures have ended before: a dot anywhere else is found
    // when the payload or signature is decoded (no dot is base64url), and
    // any failure is then reported as the structure's, the answer a full
    // split would have given first.
    let bytes = token.as_bytes();
    let header_end = memchr::memchr(b'.', bytes).ok_or(Error::Malformed(Malformed::Segments))?;
    let header_b64 = token.get(..header_end).unwrap_or_default();
    let known = headers.get(header_b64);
    let known = known.as_ref().and_then(|k| k.as_deref());
    let expected_last = known.and_then(|k| token.len().checked_sub(k.signature_len + 1));
    let last = match expected_last {
        Some(at) if at > header_end && bytes.get(at) == Some(&b'.') => at,
        _ => memchr::memrchr(b'.', bytes).filter(|&at| at > header_end).ok_or(Error::Malformed(Malformed::Segments))?,
    };
    // Both ends are ASCII dots, so the slices cannot fail.
    let (payload_b64, signature_b64) =
        (token.get(header_end + 1..last).unwrap_or_default(), token.get(last + 1..).unwrap_or_default());
    verify_segments(w, token, known, [header_b64, payload_b64, signature_b64], allowed, keys, headers)
        .map_err(|e| more_segments(payload_b64).or_else(|| more_segments(signature_b64)).unwrap_or(e))
}

/// [`verify`] after the split, with the cached header if the header
/// segment is a known one.
fn verify_segments<'t, W: Walk>(
    w: &mut W,
    token: &'t str,
    known: Option<&KnownHeader>,
    [header_b64, payload_b64, signature_b64]: [&'t str; 3],
    allowed: AlgSet,
    keys: &KeySet,
    headers: &HeaderCache,
) -> Result<Verified<'t, W>, Error> {
    let signing_input = token.as_bytes().get(..header_b64.len() + 1 + payload_b64.len()).unwrap_or_default();
    if let Some(known) = known {
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
        headers.remember(header_b64, *alg, typ.as_ref(), raw.kid.as_deref(), signature_b64.len());
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
    // Only the buffer used is zeroed: HMAC, ECDSA and EdDSA signatures are 64 bytes at most.
    let (mut short, mut long, mut signature_heap);
    let signature_stack: &mut [u8] = if at_most(signature_b64) <= SHORT_SIGNATURE_STACK {
        short = [0u8; SHORT_SIGNATURE_STACK];
        &mut short
    } else {
        long = [0u8; SIGNATURE_STACK];
        &mut long
    };
    signature_heap = Vec::new();
    let signature = w.check(Rule::Structure, decode_into(signature_b64, signature_stack, &mut signature_heap))?;
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

/// The parsed headers of recently seen distinct headers that came with a
/// valid signature. An issuer signs its tokens under a handful of headers
/// (one per `kid` and `typ`), and parsing one is a pure function of its
/// text, so a token whose header segment is byte for byte a known one skips
/// the parse; its algorithm is still checked against the allowlist, its key
/// looked up and its signature verified.
///
/// A fixed table of [`HeaderCache::SETS`] × [`HeaderCache::WAYS`] entries:
/// memory is bounded whatever the tokens, and a header new to a full set
/// replaces one of its entries, so after a key rotation the new headers are
/// remembered too. Only headers whose signature verified are kept: tokens
/// nobody signed cannot take or evict entries. Readers take no lock: an
/// entry is an immutable `Arc` swapped in whole (`arc-swap`), and its tag
/// (a hash of the segment) only says which entry is worth comparing; an
/// entry is used only when its own segment equals the token's byte for byte.
pub(crate) struct HeaderCache {
    slots: Box<[Slot]>,
    /// Picks the entry a header new to a full set replaces.
    victim: AtomicUsize,
}

#[derive(Default)]
struct Slot {
    /// The hash of the segment stored in `header` (never 0), or 0 when empty.
    tag: AtomicU64,
    header: ArcSwapOption<KnownHeader>,
}

struct KnownHeader {
    segment: Box<str>,
    alg: Algorithm,
    typ: Option<Typ>,
    kid: Option<Box<str>>,
    /// The length of the signature segment it last came with: where the
    /// next token's last dot is looked for first.
    signature_len: usize,
}

impl Default for HeaderCache {
    fn default() -> Self {
        Self { slots: (0..Self::CAPACITY).map(|_| Slot::default()).collect(), victim: AtomicUsize::new(0) }
    }
}

impl Clone for HeaderCache {
    /// An empty cache: entries are only ever a shortcut.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl HeaderCache {
    const SETS: usize = 16;
    const WAYS: usize = 8;
    /// The most headers remembered at once.
    pub(crate) const CAPACITY: usize = Self::SETS * Self::WAYS;

    /// The entries a segment with this hash may occupy.
    fn set(&self, hash: u64) -> &[Slot] {
        // The top bits: `SETS` is a power of two well below 2^64.
        let set = usize::try_from(hash >> 60).unwrap_or(0) % Self::SETS;
        self.slots.get(set * Self::WAYS..(set + 1) * Self::WAYS).unwrap_or_default()
    }

    fn get(&self, segment: &str) -> Option<Guard<Option<Arc<KnownHeader>>>> {
        let hash = segment_hash(segment);
        self.set(hash).iter().filter(|slot| slot.tag.load(Ordering::Acquire) == hash).find_map(|slot| {
            let header = slot.header.load();
            header.as_ref().is_some_and(|h| *h.segment == *segment).then_some(header)
        })
    }

    fn remember(&self, segment: &str, alg: Algorithm, typ: Option<&Typ>, kid: Option<&str>, signature_len: usize) {
        if segment.len() > HEADER_STACK || self.get(segment).is_some() {
            return;
        }
        let hash = segment_hash(segment);
        let set = self.set(hash);
        let Some(slot) = set
            .iter()
            .find(|slot| slot.tag.load(Ordering::Relaxed) == 0)
            .or_else(|| set.get(self.victim.fetch_add(1, Ordering::Relaxed) % Self::WAYS))
        else {
            return;
        };
        let known =
            KnownHeader { segment: segment.into(), alg, typ: typ.cloned(), kid: kid.map(Into::into), signature_len };
        // Another thread may write the same slot at the same time; the tag
        // may then name the other header, which is then simply not found.
        slot.tag.store(0, Ordering::Release);
        slot.header.store(Some(Arc::new(known)));
        slot.tag.store(hash, Ordering::Release);
    }

    /// How many headers are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.header.load().is_some()).count()
    }
}

/// A fast hash of a header segment (not a defence: only headers with a
/// valid signature enter the cache); never 0.
fn segment_hash(segment: &str) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = segment.as_bytes();
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    // The tail as the last eight bytes (overlapping the words before):
    // a fixed-size load, not a copy of a variable length.
    let tail = match bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)) {
        Some(last) => <[u8; 8]>::try_from(last).map_or(0, u64::from_le_bytes),
        None => bytes.iter().rev().fold(0u64, |w, &b| w << 8 | u64::from(b)),
    };
    h = (h.rotate_left(5) ^ tail).wrapping_mul(K);
    (h ^ (h >> 29)) | 1
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

/// A header `typ`, kept inline when short (every registered media type is),
/// with whether it names `at+jwt` worked out once: a cached header's `typ`
/// is checked on every verification.
#[derive(Clone)]
pub(crate) struct Typ {
    text: TypText,
    at_jwt: bool,
}

#[derive(Clone)]
enum TypText {
    Inline { len: u8, bytes: [u8; Typ::INLINE] },
    Heap(Box<str>),
}

impl Typ {
    const INLINE: usize = 30;

    fn new(s: &str) -> Self {
        let text = match u8::try_from(s.len()) {
            Ok(len) if s.len() <= Self::INLINE => {
                let mut bytes = [0u8; Self::INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                TypText::Inline { len, bytes }
            }
            _ => TypText::Heap(s.into()),
        };
        Self { text, at_jwt: super::profile::is_at_jwt(s) }
    }

    pub(crate) fn as_str(&self) -> &str {
        match &self.text {
            // Copied from a `str` whole, so always UTF-8.
            TypText::Inline { len, bytes } => core::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            TypText::Heap(s) => s,
        }
    }

    /// Whether it names the media type `at+jwt` (RFC 9068 §2.1).
    pub(crate) fn is_at_jwt(&self) -> bool {
        self.at_jwt
    }
}

/// Decodes like [`decode`], into `stack` when the result fits.
fn decode_into<'b>(segment: &str, stack: &'b mut [u8], heap: &'b mut Vec<u8>) -> Result<&'b [u8], Error> {
    let len = decoded_len(segment.len())?;
    let out = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap[..]
    };
    decode_base64url(segment.as_bytes(), out)?;
    Ok(out)
}

/// The length of the bytes that unpadded base64 of `len` characters holds;
/// a length that is 1 modulo 4 holds no whole byte and is malformed.
fn decoded_len(len: usize) -> Result<usize, Error> {
    match len % 4 {
        1 => Err(Error::Malformed(Malformed::Base64)),
        rem => Ok(len / 4 * 3 + rem.saturating_sub(1)),
    }
}

/// Unpadded, canonical base64url (RFC 7515 §2) decoded into `out`, which
/// must be exactly [`decoded_len`] long: every character in the alphabet
/// (no padding, no `+` or `/`, no whitespace), and the unused low bits of
/// the last character zero. `base64-simd` decodes with the CPU's vector
/// instructions where it has them (and strictly: no "forgiving" mode): the
/// header, payload and signature are decoded on every verification.
fn decode_base64url(input: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let engine = &base64_simd::URL_SAFE_NO_PAD;
    // `out` is exactly as long as the decoder computes from `input` (the
    // same formula, compared in `base64url_as_the_reference_decoder`), so
    // its room check always passes.
    if decoded_len(input.len()).ok() != Some(out.len()) {
        return Err(Error::Malformed(Malformed::Base64));
    }
    match engine.decode(input, base64_simd::Out::from_slice(out)) {
        Ok(decoded) if decoded.len() == out_len(input.len()) => Ok(()),
        _ => Err(Error::Malformed(Malformed::Base64)),
    }
}

/// [`decoded_len`] for a length known not to be 1 modulo 4.
fn out_len(len: usize) -> usize {
    len / 4 * 3 + (len % 4).saturating_sub(1)
}

/// Tokens over the limit are refused before any decoding, so size is no DoS lever.
pub(crate) fn check_length(token: &str, max_len: usize) -> Result<(), Error> {
    if token.len() > max_len {
        return Err(Error::TooLarge { len: token.len(), max: max_len });
    }
    Ok(())
}

/// The structure's error when a segment [`verify`] took between dots holds
/// a dot: more than three segments (a JWE has five).
fn more_segments(segment: &str) -> Option<Error> {
    segment.contains('.').then_some(Error::Malformed(Malformed::Segments))
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
    let mut out = vec![0; decoded_len(segment.len())?];
    decode_base64url(segment.as_bytes(), &mut out)?;
    Ok(out)
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

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::verify::diagnose::Verifying;

    const SECRET: &[u8] = &[7; 64];

    fn token(alg: jsonwebtoken::Algorithm, kid: &str) -> String {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = Some(kid.into());
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET).unwrap();
        jsonwebtoken::encode(&header, &serde_json::json!({ "sub": kid }), &key).unwrap()
    }

    fn keys(kids: impl IntoIterator<Item = String>) -> KeySet {
        kids.into_iter().fold(KeySet::new(), |k, kid| k.with_hmac(Some(&kid), SECRET, Algorithm::HS256).unwrap())
    }

    fn check(token: &str, keys: &KeySet, cache: &HeaderCache) -> Result<(Algorithm, Option<String>), Error> {
        let allowed = AlgSet::of(&[Algorithm::HS256, Algorithm::HS384]);
        let v = verify(&mut Verifying, token, 16 * 1024, allowed, keys, cache)?;
        Ok((v.header.alg, v.header.typ.map(|t| t.as_str().to_owned())))
    }

    /// Verified up to the decoded payload, as the claim rules read it.
    fn check_with_payload(token: &str, keys: &KeySet, cache: &HeaderCache) -> Result<Vec<u8>, Error> {
        let allowed = AlgSet::of(&[Algorithm::HS256]);
        let v = verify(&mut Verifying, token, 16 * 1024, allowed, keys, cache)?;
        let (mut stack, mut heap) = ([0u8; 64], Vec::new());
        v.payload(&mut stack, &mut heap).map(<[u8]>::to_vec)
    }

    #[test]
    fn a_token_not_of_three_segments_is_told_so_whatever_else_is_wrong() {
        let kid = "k".to_owned();
        let (keys, cache) = (keys([kid.clone()]), HeaderCache::default());
        let good = token(jsonwebtoken::Algorithm::HS256, &kid);
        assert!(check_with_payload(&good, &keys, &cache).is_ok());
        // A dot added anywhere (header cached and not), segments appended,
        // removed, emptied: whatever else is wrong, a token that is not
        // three segments is told so, as a full split tells it.
        let mut variants = Vec::new();
        for at in 0..=good.len() {
            variants.push(format!("{}.{}", &good[..at], &good[at..]));
        }
        let (h, p, sig) = split(&good).unwrap();
        variants.extend([
            format!("{good}."),
            format!("{good}.{sig}"),
            format!("{h}.{p}.{p}.{sig}"),
            format!("{h}.{p}.{sig}.{h}.{p}"),
            format!("{h}.{p}"),
            format!("{h}{p}{sig}"),
            format!("..{sig}"),
            "..".to_owned(),
            "...".to_owned(),
            ".".to_owned(),
            String::new(),
        ]);
        for variant in variants {
            let expected = split(&variant).err();
            // A fresh cache, and one that knows the good token's header.
            for cache in [&HeaderCache::default(), &cache] {
                // Twice: the second time its header may be cached.
                for _ in 0..2 {
                    let got = check_with_payload(&variant, &keys, cache);
                    match &expected {
                        Some(e) => assert_eq!(got.as_ref().err(), Some(e), "{variant:?}"),
                        None => assert_ne!(got.as_ref().err(), Some(&Error::Malformed(Malformed::Segments))),
                    }
                }
            }
        }
    }

    fn header_segment(token: &str) -> &str {
        split(token).unwrap().0
    }

    #[test]
    fn base64url_as_the_reference_decoder() {
        // Every length up to 160 (past several of the vector decoder's blocks),
        // characters from the alphabet and around it.
        let pool: Vec<char> = "ABYZabyz0189-_=+/ .\u{e9}\0".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 0..160 {
            for round in 0..200 {
                // Mostly valid characters, so that valid inputs are common.
                let s: String = (0..len)
                    .map(|_| {
                        let r = usize::try_from(next() % 1000).unwrap();
                        if round % 2 == 0 || r < 990 { pool[r % 14] } else { pool[r % pool.len()] }
                    })
                    .collect();
                let reference = URL_SAFE_NO_PAD.decode(&s).map_err(|_| Error::Malformed(Malformed::Base64));
                assert_eq!(decode(&s), reference, "{s:?}");
                let (mut stack, mut heap) = ([0u8; 8], Vec::new());
                assert_eq!(decode_into(&s, &mut stack, &mut heap).map(<[u8]>::to_vec), reference, "{s:?}");
            }
        }
        // One wrong character anywhere in a long valid segment.
        let long = "eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiZGV2LXVzZXIiLCJzY29wZSI6InJlYWQgd3JpdGUifQ";
        assert!(decode(long).is_ok());
        for at in 0..long.len() {
            for wrong in ["=", "+", "/", ".", " ", "\0", "\u{e9}"] {
                let s = format!("{}{wrong}{}", &long[..at], &long[at + 1..]);
                assert_eq!(decode(&s), Err(Error::Malformed(Malformed::Base64)), "{s:?}");
            }
        }
        for valid in ["", "AA", "AAA", "AAAA", "_-8", "eyJhbGciOiJIUzI1NiJ9"] {
            assert!(decode(valid).is_ok(), "{valid}");
        }
        // Padding, the standard alphabet, non-zero trailing bits, a lone character.
        for invalid in ["AA==", "A+", "A/", "AB", "AAB", "A", "AAAAA", "AA A"] {
            assert_eq!(decode(invalid), Err(Error::Malformed(Malformed::Base64)), "{invalid}");
        }
    }

    #[test]
    fn header_cache_memory_is_bounded() {
        let cache = HeaderCache::default();
        for i in 0..10_000 {
            cache.remember(&format!("segment-{i}"), Algorithm::HS256, None, Some("k"), 43);
        }
        assert!(cache.len() <= HeaderCache::CAPACITY);
        assert!(cache.len() > HeaderCache::CAPACITY / 2, "a full cache keeps replacing entries");
        // A segment too long for the stack buffer is never kept.
        cache.remember(&"x".repeat(HEADER_STACK + 1), Algorithm::HS256, None, None, 43);
        assert!(cache.get(&"x".repeat(HEADER_STACK + 1)).is_none());
    }

    #[test]
    fn header_cache_keeps_remembering_after_rotation() {
        // Far more distinct headers than the cache holds, as over many key rotations.
        let kids: Vec<String> = (0..3 * HeaderCache::CAPACITY).map(|i| format!("kid-{i}")).collect();
        let keys = keys(kids.clone());
        let cache = HeaderCache::default();
        let tokens: Vec<String> = kids.iter().map(|k| token(jsonwebtoken::Algorithm::HS256, k)).collect();
        for t in &tokens {
            assert_eq!(check(t, &keys, &cache).unwrap().0, Algorithm::HS256);
            assert!(cache.get(header_segment(t)).is_some(), "the newest header is remembered");
        }
        assert!(cache.len() <= HeaderCache::CAPACITY);
        // Headers seen long ago (most of them evicted) still verify, and are remembered again.
        for t in &tokens[..10] {
            assert!(check(t, &keys, &cache).is_ok());
            assert!(cache.get(header_segment(t)).is_some());
        }
    }

    #[test]
    fn header_cache_never_keeps_unverified_headers() {
        let keys = keys(["good".to_owned()]);
        let cache = HeaderCache::default();
        for i in 0..200 {
            let forged = token(jsonwebtoken::Algorithm::HS256, &format!("kid-{i}"));
            assert!(check(&forged, &keys, &cache).is_err());
            let (h, p, _) = split(&forged).unwrap();
            let bad_signature = format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode([0u8; 32]));
            let good_kid = token(jsonwebtoken::Algorithm::HS256, "good");
            let (_, p2, s2) = split(&good_kid).unwrap();
            assert_eq!(
                check(&bad_signature, &keys, &cache).unwrap_err(),
                Error::UnknownKey { kid: Some(Echo::new(&format!("kid-{i}"))) }
            );
            assert_eq!(
                check(&format!("{}.{p2}.{s2}", header_segment(&good_kid)), &keys, &cache).map(|r| r.0),
                Ok(Algorithm::HS256)
            );
            assert_eq!(cache.len(), 1, "only the verified header");
        }
    }

    #[test]
    fn header_cache_serves_only_the_identical_segment() {
        let cache = HeaderCache::default();
        let a = r#"{"alg":"HS256","kid":"a"}"#;
        let a_b64 = URL_SAFE_NO_PAD.encode(a);
        cache.remember(&a_b64, Algorithm::HS256, None, Some("a"), 43);
        let known = cache.get(&a_b64).unwrap();
        let known = known.as_deref().unwrap();
        assert_eq!((known.alg, known.kid.as_deref()), (Algorithm::HS256, Some("a")));
        for other in [r#"{"alg":"HS384","kid":"a"}"#, r#"{"alg":"HS256","kid":"b"}"#, r#"{"alg":"HS256","kid":"a" }"#] {
            assert!(cache.get(&URL_SAFE_NO_PAD.encode(other)).is_none(), "{other}");
        }
        assert!(cache.get(&a_b64[..a_b64.len() - 1]).is_none());
        assert!(cache.get(&format!("{a_b64}A")).is_none());
    }

    #[test]
    fn header_cache_tag_is_only_a_hint() {
        // Even when a slot's tag says "this segment", the entry is used only
        // if its own segment is the token's: another header's alg and kid
        // are never served.
        let keys = keys(["a".to_owned(), "b".to_owned()]);
        let keys = keys.with_hmac(Some("b"), SECRET, Algorithm::HS384).unwrap();
        let cache = HeaderCache::default();
        let a = token(jsonwebtoken::Algorithm::HS256, "a");
        let b = token(jsonwebtoken::Algorithm::HS384, "b");
        assert!(check(&a, &keys, &cache).is_ok());
        let b_hash = segment_hash(header_segment(&b));
        for slot in &*cache.slots {
            if slot.tag.load(Ordering::Relaxed) != 0 {
                slot.tag.store(b_hash, Ordering::Relaxed);
            }
        }
        // Force every slot of b's set to carry b's tag with a's entry.
        for slot in cache.set(b_hash) {
            slot.header.store(cache.slots.iter().find_map(|s| s.header.load_full()));
            slot.tag.store(b_hash, Ordering::Relaxed);
        }
        assert!(cache.get(header_segment(&b)).is_none());
        assert_eq!(check(&b, &keys, &cache).unwrap().0, Algorithm::HS384);
        assert_eq!(check(&a, &keys, &cache).unwrap().0, Algorithm::HS256);
    }

    #[test]
    fn header_cache_shared_by_threads() {
        let kids: Vec<String> = (0..40).map(|i| format!("kid-{i}")).collect();
        let keys = keys(kids.clone());
        let cache = HeaderCache::default();
        let tokens: Vec<String> = kids.iter().map(|k| token(jsonwebtoken::Algorithm::HS256, k)).collect();
        std::thread::scope(|s| {
            for offset in 0..2 {
                let (keys, cache, tokens) = (&keys, &cache, &tokens);
                s.spawn(move || {
                    for i in 0..400 {
                        let t = &tokens[(i * 7 + offset) % tokens.len()];
                        assert_eq!(check(t, keys, cache).unwrap().0, Algorithm::HS256);
                    }
                });
            }
        });
        assert!(tokens.iter().all(|t| cache.get(header_segment(t)).is_some()));
    }
}
