//! The claims, decoded in one pass over the payload.
//!
//! Registered claims land in typed slots that record a wrong JSON type as
//! *malformed*, never as absent (the CVE-2026-25537 trap). Every other member
//! is kept as raw JSON for the custom claims type and the profiles.
//! Duplicate members are refused (RFC 7519 §4 lets a parser refuse them):
//! a verifier and a later reader must never see different values.

use core::any::TypeId;
use core::fmt;
use core::mem::ManuallyDrop;
use core::sync::atomic::{AtomicU64, Ordering};
use std::borrow::Cow;

use serde::de::value::{MapDeserializer, UnitDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::claims::{NoClaims, ValidationError};
use crate::error::{Echo, Error, Malformed};
use crate::token::Audience;

/// A registered claim's JSON value, before its type is checked.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    /// A non-integer number (allowed for NumericDate, RFC 7519 §2).
    Float(f64),
    StrList(Vec<Cow<'a, str>>),
    Bool(bool),
    /// null, object, a list with a non-string, an integer out of range.
    Other,
}

/// The registered claims tokenkind types itself; see `claims::RESERVED`.
#[derive(Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Registered<'a> {
    pub(crate) iss: Option<Value<'a>>,
    pub(crate) sub: Option<Value<'a>>,
    pub(crate) aud: Option<Value<'a>>,
    pub(crate) exp: Option<Value<'a>>,
    pub(crate) nbf: Option<Value<'a>>,
    pub(crate) iat: Option<Value<'a>>,
    pub(crate) jti: Option<Value<'a>>,
    pub(crate) nonce: Option<Value<'a>>,
    pub(crate) auth_time: Option<Value<'a>>,
    pub(crate) azp: Option<Value<'a>>,
    pub(crate) acr: Option<Value<'a>>,
    pub(crate) amr: Option<Value<'a>>,
    pub(crate) at_hash: Option<Value<'a>>,
    pub(crate) c_hash: Option<Value<'a>>,
    pub(crate) client_id: Option<Value<'a>>,
    pub(crate) scope: Option<Value<'a>>,
    pub(crate) scp: Option<Value<'a>>,
    pub(crate) typ: Option<Value<'a>>,
    pub(crate) token_use: Option<Value<'a>>,
    pub(crate) cid: Option<Value<'a>>,
    pub(crate) sid: Option<Value<'a>>,
}

impl<'a> Registered<'a> {
    /// The slot of a registered claim; `None` for any other member.
    fn slot(&mut self, name: &str) -> Option<&mut Option<Value<'a>>> {
        self.slot_at(slot_index(name)?)
    }

    /// Every slot, in [`REGISTERED`] order.
    #[cfg(test)]
    fn slots(&self) -> [&Option<Value<'a>>; 21] {
        [
            &self.iss,
            &self.sub,
            &self.aud,
            &self.exp,
            &self.nbf,
            &self.iat,
            &self.jti,
            &self.nonce,
            &self.auth_time,
            &self.azp,
            &self.acr,
            &self.amr,
            &self.at_hash,
            &self.c_hash,
            &self.client_id,
            &self.scope,
            &self.scp,
            &self.typ,
            &self.token_use,
            &self.cid,
            &self.sid,
        ]
    }

    /// The slot at `index` of [`REGISTERED`].
    fn slot_at(&mut self, index: u8) -> Option<&mut Option<Value<'a>>> {
        Some(match index {
            0 => &mut self.iss,
            1 => &mut self.sub,
            2 => &mut self.aud,
            3 => &mut self.exp,
            4 => &mut self.nbf,
            5 => &mut self.iat,
            6 => &mut self.jti,
            7 => &mut self.nonce,
            8 => &mut self.auth_time,
            9 => &mut self.azp,
            10 => &mut self.acr,
            11 => &mut self.amr,
            12 => &mut self.at_hash,
            13 => &mut self.c_hash,
            14 => &mut self.client_id,
            15 => &mut self.scope,
            16 => &mut self.scp,
            17 => &mut self.typ,
            18 => &mut self.token_use,
            19 => &mut self.cid,
            20 => &mut self.sid,
            _ => return None,
        })
    }
}

/// The registered claims' names in slot order, each as it opens a member of
/// compact JSON: quoted, with its colon.
const REGISTERED: [&[u8]; 21] = [
    b"\"iss\":",
    b"\"sub\":",
    b"\"aud\":",
    b"\"exp\":",
    b"\"nbf\":",
    b"\"iat\":",
    b"\"jti\":",
    b"\"nonce\":",
    b"\"auth_time\":",
    b"\"azp\":",
    b"\"acr\":",
    b"\"amr\":",
    b"\"at_hash\":",
    b"\"c_hash\":",
    b"\"client_id\":",
    b"\"scope\":",
    b"\"scp\":",
    b"\"typ\":",
    b"\"token_use\":",
    b"\"cid\":",
    b"\"sid\":",
];

/// [`REGISTERED`] as little-endian 16-byte words (zero past each opening),
/// with the mask of each opening's bytes.
const REGISTERED_WORDS: [(u128, u128); 21] = {
    let mut words = [(0u128, 0u128); 21];
    let mut i = 0;
    while i < REGISTERED.len() {
        let opening = REGISTERED[i];
        assert!(opening.len() <= 16, "every opening fits one word");
        let mut j = 0;
        while j < opening.len() {
            words[i].0 |= (opening[j] as u128) << (8 * j);
            words[i].1 |= 0xff << (8 * j);
            j += 1;
        }
        i += 1;
    }
    words
};

/// Whether `text` holds the opening of registered claim `index` at `at`:
/// one masked 16-byte comparison where the text goes on that far.
#[inline]
fn opens_with(text: &[u8], at: usize, index: usize) -> bool {
    let (Some(opening), Some(&(word, mask))) = (REGISTERED.get(index), REGISTERED_WORDS.get(index)) else {
        return false;
    };
    match text.get(at..at + 16).and_then(|w| <[u8; 16]>::try_from(w).ok()) {
        Some(bytes) => u128::from_le_bytes(bytes) & mask == word,
        None => text.get(at..at + opening.len()) == Some(*opening),
    }
}

/// The index in [`REGISTERED`] of a registered claim's name. Byte patterns,
/// not string constants: the compiler tests lengths and bytes in place
/// instead of calling a comparison for each name.
fn slot_index(name: &str) -> Option<u8> {
    Some(match *name.as_bytes() {
        [b'i', b's', b's'] => 0,
        [b's', b'u', b'b'] => 1,
        [b'a', b'u', b'd'] => 2,
        [b'e', b'x', b'p'] => 3,
        [b'n', b'b', b'f'] => 4,
        [b'i', b'a', b't'] => 5,
        [b'j', b't', b'i'] => 6,
        [b'n', b'o', b'n', b'c', b'e'] => 7,
        [b'a', b'u', b't', b'h', b'_', b't', b'i', b'm', b'e'] => 8,
        [b'a', b'z', b'p'] => 9,
        [b'a', b'c', b'r'] => 10,
        [b'a', b'm', b'r'] => 11,
        [b'a', b't', b'_', b'h', b'a', b's', b'h'] => 12,
        [b'c', b'_', b'h', b'a', b's', b'h'] => 13,
        [b'c', b'l', b'i', b'e', b'n', b't', b'_', b'i', b'd'] => 14,
        [b's', b'c', b'o', b'p', b'e'] => 15,
        [b's', b'c', b'p'] => 16,
        [b't', b'y', b'p'] => 17,
        [b't', b'o', b'k', b'e', b'n', b'_', b'u', b's', b'e'] => 18,
        [b'c', b'i', b'd'] => 19,
        [b's', b'i', b'd'] => 20,
        _ => return None,
    })
}

/// The order in which a verifier's tokens have been seen to list their
/// members, as a hint for the next payload: issuers write their claims in
/// a fixed order, so the scanner can check that the next member opens with
/// the expected `"name":` in one comparison instead of reading the name and
/// looking it up. Only ever a hint: a payload that differs is read the
/// usual way (and becomes the hint), and the answer is the same either way.
#[derive(Default, Debug)]
pub(crate) struct LayoutHint(AtomicU64);

impl LayoutHint {
    /// Members remembered: six bits each.
    const MEMBERS: usize = 10;
    /// A member that is not a registered claim.
    const OTHER: u64 = 63;
}

impl Clone for LayoutHint {
    /// A fresh hint: it is only ever a shortcut.
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// The decoded payload: typed slots plus the other members as raw JSON
/// (the text of each value, as checked by the parser).
pub(crate) struct Payload<'a> {
    /// Dropped only when a slot may own memory (see [`Payload::owns`]):
    /// dropping each of the slots costs, on every verification.
    pub(crate) reg: ManuallyDrop<Registered<'a>>,
    pub(crate) rest: Vec<(Cow<'a, str>, &'a str)>,
    /// Whether a slot may hold memory of its own: an array, or a string
    /// the general parser unescaped. The scan's strings are borrowed from
    /// the payload; it sets this when it stores an array.
    owns: bool,
}

impl Drop for Payload<'_> {
    fn drop(&mut self) {
        if self.owns {
            drop(ManuallyDrop::into_inner(core::mem::take(&mut self.reg)));
        }
    }
}

impl<'a> Payload<'a> {
    /// No claims yet: [`fill`](Self::fill) reads them in.
    pub(crate) fn empty() -> Self {
        Payload { reg: ManuallyDrop::default(), rest: Vec::new(), owns: false }
    }

    pub(crate) fn parse(json: &'a [u8]) -> Result<Self, Error> {
        let mut payload = Self::empty();
        payload.fill(json, None)?;
        Ok(payload)
    }

    /// [`Payload::parse`] into an [empty](Self::empty) payload, in place
    /// (the slots are large, and moving them costs), with the verifier's
    /// [`LayoutHint`] if it keeps one.
    pub(crate) fn fill(&mut self, json: &'a [u8], hint: Option<&LayoutHint>) -> Result<(), Error> {
        let json = simdutf8::basic::from_utf8(json).map_err(|_| Error::Malformed(Malformed::Payload))?;
        if let Some(unique) = scan(json, self, hint) {
            if !unique || (self.rest.len() > 1 && has_duplicates(&self.rest)) {
                return Err(Error::Malformed(Malformed::DuplicateMember));
            }
            return Ok(());
        }
        // Not one of the usual shapes: the general JSON parser decides,
        // from nothing (the scan may have filled some slots).
        *self = Self::empty();
        self.fill_general(json)
    }

    /// [`Payload::fill`] with `serde_json`'s parser, whatever the shape.
    fn fill_general(&mut self, json: &'a str) -> Result<(), Error> {
        self.owns = true;
        let mut de = serde_json::Deserializer::from_str(json);
        let unique = de.deserialize_map(PayloadVisitor(self)).map_err(|_| Error::Malformed(Malformed::Payload))?;
        de.end().map_err(|_| Error::Malformed(Malformed::Payload))?;
        if !unique || has_duplicates(&self.rest) {
            return Err(Error::Malformed(Malformed::DuplicateMember));
        }
        Ok(())
    }

    /// [`Payload::parse`] with `serde_json`'s parser, whatever the shape.
    #[cfg(test)]
    fn parse_general(json: &'a str) -> Result<Self, Error> {
        let mut payload = Self::empty();
        payload.fill_general(json)?;
        Ok(payload)
    }

    /// A non-registered member, as raw JSON (for profile-specific claims).
    pub(crate) fn raw(&self, name: &str) -> Option<&'a str> {
        self.rest.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// A non-registered member, decoded loosely (for profile-specific claims).
    pub(crate) fn other(&self, name: &str) -> Option<Value<'a>> {
        self.raw(name).map(decode_raw)
    }

    /// Decodes the custom claims from the non-registered members.
    pub(crate) fn custom<C: DeserializeOwned + 'static>(&self) -> Result<C, Error> {
        if no_claims::<C>() {
            // Nothing to decode (`NoClaims` ignores every member).
            if let Ok(none) = C::deserialize(UnitDeserializer::<serde_json::Error>::new()) {
                return Ok(none);
            }
        }
        let members =
            || MapDeserializer::<_, serde_json::Error>::new(self.rest.iter().map(|(k, v)| (k.clone(), RawJson(v))));
        // The path to a failing claim is tracked only once decoding has
        // failed: decoding again is deterministic, and success stays cheap.
        if let Ok(claims) = C::deserialize(members()) {
            return Ok(claims);
        }
        serde_path_to_error::deserialize(members()).map_err(|e| {
            let path = e.path().to_string();
            Error::InvalidCustomClaim {
                path: if path == "." { "(claims)".into() } else { Echo::new(&path).as_str().into() },
                message: without_values(&e.into_inner().to_string()).into(),
            }
        })
    }
}

/// A decoding error's message with every value from the token left out:
/// the kind of value found and what the type expected, never the value (a
/// claim may hold personal data, and errors reach logs). Messages of a
/// shape serde does not document are replaced by a generic one.
pub(crate) fn without_values(message: &str) -> String {
    const KINDS: [&str; 17] = [
        "boolean",
        "integer",
        "floating point",
        "character",
        "string",
        "byte array",
        "unit value",
        "null",
        "Option value",
        "newtype struct",
        "sequence",
        "map",
        "enum",
        "unit variant",
        "newtype variant",
        "tuple variant",
        "struct variant",
    ];
    // serde_json appends the position in the raw value.
    let message = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    };
    let expected = |rest: &str| rest.rfind(", expected ").map(|i| rest[i + 2..].to_owned());
    let found = |rest: &str| {
        let kind = rest.split(['`', '"', ',']).next().unwrap_or_default().trim();
        if KINDS.contains(&kind) { kind.to_owned() } else { "a value".to_owned() }
    };
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(lead) {
            let head = lead.trim_end_matches(": ");
            return match expected(rest) {
                Some(expected) => format!("{head}: {}, {expected}", found(rest)),
                None => format!("{head}: {}", found(rest)),
            };
        }
    }
    for lead in ["unknown variant", "unknown field"] {
        if message.starts_with(lead) {
            return match expected(message) {
                Some(expected) => format!("{lead}, {expected}"),
                None => lead.to_owned(),
            };
        }
    }
    let documented = ["invalid length ", "missing field `", "duplicate field `"];
    if documented.iter().any(|lead| message.starts_with(lead)) && !message.contains('"') {
        return Echo::new(message).as_str().to_owned();
    }
    "the value does not fit the claim's type".to_owned()
}

/// Whether `C` is [`NoClaims`]: no custom claims to decode.
pub(crate) fn no_claims<C: 'static>() -> bool {
    TypeId::of::<C>() == TypeId::of::<NoClaims>()
}

/// Runs a claims type's `validate` hook.
pub(crate) fn validated<C>(claims: C, check: impl FnOnce(&C) -> Result<(), ValidationError>) -> Result<C, Error> {
    match check(&claims) {
        Ok(()) => Ok(claims),
        Err(e) => Err(Error::ClaimsRejected { reason: e.to_string().into_boxed_str() }),
    }
}

fn has_duplicates(rest: &[(Cow<'_, str>, &str)]) -> bool {
    if rest.len() <= 16 {
        return rest.iter().enumerate().any(|(i, (k, _))| rest[..i].iter().any(|(j, _)| j == k));
    }
    let mut keys: Vec<&str> = rest.iter().map(|(k, _)| &**k).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// Fills the payload; `false` when a registered member appears twice.
struct PayloadVisitor<'p, 'de>(&'p mut Payload<'de>);

impl<'de> Visitor<'de> for PayloadVisitor<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Payload { reg, rest, .. } = self.0;
        let mut duplicate = false;
        while let Some(key) = map.next_key_seed(NameSeed)? {
            let Some(slot) = reg.slot(&key) else {
                if rest.capacity() == 0 {
                    // One allocation for the usual number of custom claims.
                    rest.reserve(16);
                }
                rest.push((key, map.next_value::<&'de RawValue>()?.get()));
                continue;
            };
            if slot.is_some() {
                duplicate = true;
                map.next_value::<IgnoredAny>()?;
            } else {
                *slot = Some(decode_raw(map.next_value::<&'de RawValue>()?.get()));
            }
        }
        Ok(!duplicate)
    }
}

/// The payload read in one pass when it has the usual shape: one object
/// whose member names and string values have no escapes, whose values are
/// strings, integers of up to 18 digits (no sign, no leading zero, no
/// fraction or exponent), `true`, `false`, `null` or arrays of such strings,
/// with JSON whitespace anywhere between. Everything it accepts is valid
/// JSON that the general parser reads to the same slots and members;
/// anything else (an escape, a nested object, another number, invalid JSON)
/// gives `None`, and the general parser decides. `Some(false)` when a
/// registered claim appears twice.
fn scan<'a>(json: &'a str, payload: &mut Payload<'a>, hint: Option<&LayoutHint>) -> Option<bool> {
    let mut s = Scanner { text: json, pos: 0 };
    let mut duplicate = false;
    let expected = hint.map_or(0, |h| h.0.load(Ordering::Relaxed));
    // The members still expected, the next one in the low six bits; and
    // the members seen, each at `shift` (the first `MEMBERS` of them).
    let (mut expecting, mut seen, mut shift) = (expected, 0u64, 0);
    s.whitespace();
    s.eat(b'{')?;
    s.whitespace();
    if s.eat(b'}').is_none() {
        loop {
            let guess = expecting & 63;
            expecting >>= 6;
            // The expected registered claim, when the text opens with its `"name":`.
            let known = u8::try_from(guess.wrapping_sub(1)).ok().and_then(|index| {
                let opening = REGISTERED.get(usize::from(index))?;
                opens_with(json.as_bytes(), s.pos, usize::from(index)).then_some((index, opening.len()))
            });
            let (name, index) = if let Some((index, len)) = known {
                // Between the quotes: ASCII, so the slice cannot fail.
                let name = json.get(s.pos + 1..s.pos + len - 2)?;
                s.pos += len;
                (name, Some(index))
            } else {
                let name = s.string()?;
                s.whitespace();
                s.eat(b':')?;
                (name, slot_index(name))
            };
            s.whitespace();
            let start = s.pos;
            let value = s.value()?;
            if shift < 6 * LayoutHint::MEMBERS {
                seen |= index.map_or(LayoutHint::OTHER, |i| u64::from(i) + 1) << shift;
                shift += 6;
            }
            match index.and_then(|i| payload.reg.slot_at(i)) {
                Some(slot) if slot.is_some() => duplicate = true,
                Some(slot) => {
                    payload.owns |= matches!(value, Value::StrList(_));
                    *slot = Some(value);
                }
                None => {
                    let raw = json.get(start..s.pos)?;
                    if payload.rest.capacity() == 0 {
                        // One allocation for the usual number of custom claims.
                        payload.rest.reserve(16);
                    }
                    payload.rest.push((Cow::Borrowed(name), raw));
                }
            }
            s.whitespace();
            if s.eat(b',').is_some() {
                s.whitespace();
                continue;
            }
            s.eat(b'}')?;
            break;
        }
    }
    s.whitespace();
    if s.pos != json.len() {
        return None;
    }
    if let Some(hint) = hint
        && seen != expected
    {
        hint.0.store(seen, Ordering::Relaxed);
    }
    Some(!duplicate)
}

/// A cursor over JSON text for [`scan`]; every method gives `None` for
/// anything outside the shapes `scan` reads.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// JSON whitespace (RFC 8259 §2).
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.pos + word.len();
        (self.text.as_bytes().get(self.pos..end)? == word.as_bytes()).then(|| self.pos = end)
    }

    /// A string without escapes or control characters, borrowed.
    #[allow(clippy::inline_always)] // measured: inlined in the scan, about 40 instructions fewer per payload
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let end = string_end(self.text.as_bytes(), self.pos)?;
        let s = self.text.get(self.pos..end)?;
        self.pos = end + 1;
        Some(s)
    }

    fn value(&mut self) -> Option<Value<'a>> {
        Some(match self.peek()? {
            b'"' => Value::Str(Cow::Borrowed(self.string()?)),
            b'0'..=b'9' => {
                let (start, mut n) = (self.pos, 0i64);
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    // 18 digits at most, so `n` stays below 10^18.
                    if self.pos - start == 18 {
                        return None;
                    }
                    n = n * 10 + i64::from(digit - b'0');
                    self.pos += 1;
                }
                // A leading zero (invalid), a fraction or an exponent: the general parser reads it.
                let leading_zero = self.pos - start > 1 && self.text.as_bytes().get(start) == Some(&b'0');
                if leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
                    return None;
                }
                Value::Int(n)
            }
            b't' => self.literal("true").map(|()| Value::Bool(true))?,
            b'f' => self.literal("false").map(|()| Value::Bool(false))?,
            b'n' => self.literal("null").map(|()| Value::Other)?,
            b'[' => {
                self.pos += 1;
                self.whitespace();
                let mut list = Vec::new();
                if self.eat(b']').is_none() {
                    loop {
                        list.push(Cow::Borrowed(self.string()?));
                        self.whitespace();
                        if self.eat(b',').is_some() {
                            self.whitespace();
                            continue;
                        }
                        self.eat(b']')?;
                        break;
                    }
                }
                Value::StrList(list)
            }
            _ => return None,
        })
    }
}

/// Where the string starting at `start` (after its opening quote) ends: the
/// index of its closing quote; `None` at an escape, a control character
/// (invalid in JSON) or the end of the text. Eight bytes at a time: in
/// each word, the lowest byte flagged by these tests is exact (borrows
/// only carry upwards), so it is the first quote, backslash or control
/// character.
#[inline(never)]
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = start;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w);
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let hits = zero_byte(x ^ (ONES * u64::from(b'"'))) | zero_byte(x ^ (ONES * u64::from(b'\\'))) | below_space;
        if hits != 0 {
            let at = i + usize::try_from(hits.trailing_zeros() / 8).ok()?;
            return (*bytes.get(at)? == b'"').then_some(at);
        }
        i += 8;
    }
    for (at, &b) in bytes.iter().enumerate().skip(i) {
        match b {
            b'"' => return Some(at),
            b'\\' | 0..=0x1f => return None,
            _ => {}
        }
    }
    None
}

/// A member's JSON text, already checked by the parser, read by a claims
/// type as `serde_json` reads a `&RawValue`: each request goes to a parser
/// of that text alone.
#[derive(Clone, Copy)]
struct RawJson<'a>(&'a str);

impl<'de> IntoDeserializer<'de, serde_json::Error> for RawJson<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! forward_to_json {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, serde_json::Error> {
                serde_json::Deserializer::from_str(self.0).$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for RawJson<'de> {
    type Error = serde_json::Error;

    forward_to_json! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
        deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(), deserialize_u32(),
        deserialize_u64(), deserialize_u128(), deserialize_f32(), deserialize_f64(), deserialize_char(),
        deserialize_str(), deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
        deserialize_option(), deserialize_unit(), deserialize_seq(), deserialize_map(),
        deserialize_identifier(), deserialize_ignored_any(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    }
}

/// Each name of a space-delimited list (RFC 6749 §3.3), in order; a doubled
/// space gives an empty name, as `str::split` would. Spaces are found eight
/// bytes at a time (`scope` is read on every verification).
pub(crate) fn each_space_delimited(list: &str, mut each: impl FnMut(&str)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let bytes = list.as_bytes();
    let (mut start, mut i) = (0, 0);
    while let Some(word) = bytes.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b' '));
        // Exact in its lowest set byte only: each space is handled, then cleared.
        let mut spaces = x.wrapping_sub(ONES) & !x & HIGH;
        while spaces != 0 {
            let at = i + (spaces.trailing_zeros() / 8) as usize;
            if bytes.get(at) == Some(&b' ') {
                // A space is ASCII: both ends are character boundaries.
                each(list.get(start..at).unwrap_or_default());
                start = at + 1;
            }
            spaces &= spaces - 1;
        }
        i += 8;
    }
    for (at, &b) in bytes.iter().enumerate().skip(i) {
        if b == b' ' {
            each(list.get(start..at).unwrap_or_default());
            start = at + 1;
        }
    }
    each(list.get(start..).unwrap_or_default());
}

/// Decodes a member from its raw JSON. A value the decoder cannot hold (a
/// number beyond `f64`, like `1e400`, or nesting deeper than its limit) is
/// `Other`, so that claim is reported malformed by name, not the whole payload.
fn decode_raw(json: &str) -> Value<'_> {
    // The usual shapes, read straight from the text the parser has already
    // checked: a string without escapes, a small non-negative integer.
    if let Some(s) = json.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
        && !s.contains('\\')
    {
        return Value::Str(Cow::Borrowed(s));
    }
    if (1..=18).contains(&json.len())
        && json.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = json.parse::<i64>()
    {
        return Value::Int(i);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    de.deserialize_any(ValueVisitor).unwrap_or(Value::Other)
}

/// A member name, borrowed from the JSON text unless it has escapes
/// (`Cow`'s own `Deserialize` always allocates).
pub(crate) struct NameSeed;

impl<'de> de::DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

pub(crate) struct ValueSeed;

impl<'de> de::DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Value::Other, Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        let mut all_strings = true;
        while let Some(item) = seq.next_element_seed(ValueSeed)? {
            match item {
                Value::Str(s) if all_strings => items.push(s),
                _ => all_strings = false,
            }
        }
        Ok(if all_strings { Value::StrList(items) } else { Value::Other })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }
}

// ---- typed readers: one per JSON shape; each names the claim in its error ----

pub(crate) fn require<T>(claim: &'static str, v: Option<T>) -> Result<T, Error> {
    // Lazily: an error built and dropped on every present claim costs a call
    // to its destructor (measured: about 100 instructions per verification).
    #[allow(clippy::unnecessary_lazy_evaluations)]
    v.ok_or_else(|| Error::MissingClaim { claim })
}

fn malformed(claim: &'static str, expected: &'static str) -> Error {
    Error::MalformedClaim { claim, expected }
}

/// A string claim, borrowed from the slot.
pub(crate) fn string_ref<'s>(claim: &'static str, v: Option<&'s Value<'_>>) -> Result<Option<&'s str>, Error> {
    match v {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(claim, "a string")),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated.
pub(crate) fn numeric_date(claim: &'static str, v: Option<&Value<'_>>) -> Result<Option<i64>, Error> {
    const EXPECTED: &str = "a number of seconds since the epoch (NumericDate)";
    match v {
        None => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i)),
        #[allow(clippy::cast_possible_truncation)]
        Some(Value::Float(f)) if f.is_finite() && f.abs() < 9.0e15 => Ok(Some(f.floor() as i64)),
        Some(_) => Err(malformed(claim, EXPECTED)),
    }
}

/// `aud`: a non-empty string, or a non-empty array of non-empty strings (RFC 7519 §4.1.3).
pub(crate) fn audience(v: Option<&Value<'_>>) -> Result<Option<Audience>, Error> {
    const EXPECTED: &str = "a non-empty string or a non-empty array of non-empty strings";
    match v {
        None => Ok(None),
        Some(Value::Str(s)) if !s.is_empty() => Ok(Some(Audience::one(&**s))),
        Some(Value::StrList(list)) if !list.is_empty() && list.iter().all(|s| !s.is_empty()) => {
            Ok(Some(Audience::many(list.iter().map(|s| (**s).into()).collect())))
        }
        Some(_) => Err(malformed("aud", EXPECTED)),
    }
}

/// An array of strings (e.g. `amr`).
pub(crate) fn string_list<'s>(
    claim: &'static str,
    v: Option<&'s Value<'_>>,
) -> Result<Option<&'s [Cow<'s, str>]>, Error> {
    match v {
        None => Ok(None),
        Some(Value::StrList(list)) => Ok(Some(list_ref(list))),
        Some(_) => Err(malformed(claim, "an array of strings")),
    }
}

fn list_ref<'s>(list: &'s [Cow<'_, str>]) -> &'s [Cow<'s, str>] {
    // Cow<'a, str> is covariant in 'a, so a shorter lifetime is fine.
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a parse found, for comparing the two parsers.
    fn found(p: &Result<Payload<'_>, Error>) -> String {
        match p {
            Ok(p) => {
                let rest: Vec<(&str, &str)> = p.rest.iter().map(|(k, v)| (&**k, *v)).collect();
                format!("{:?} {rest:?}", p.reg)
            }
            Err(e) => format!("{e:?}"),
        }
    }

    fn same_as_general(json: &str) {
        let mut payload = Payload::empty();
        let parsed = found(&Payload::parse(json.as_bytes()));
        if scan(json, &mut payload, None).is_some() {
            assert_eq!(parsed, found(&Payload::parse_general(json)), "{json:?}");
        }
        // A layout hint changes nothing but the speed: learned from another
        // payload, from this one, or from one of another order.
        let hints = [LayoutHint::default(), learned(SAMPLES[0]), learned(json), learned(REORDERED)];
        for hint in &hints {
            let mut hinted = Payload::empty();
            let result = hinted.fill(json.as_bytes(), Some(hint)).map(|()| hinted);
            assert_eq!(found(&result), parsed, "{json:?}");
            // Slots are dropped only when they may own memory: never forgotten while they do.
            if let Ok(p) = &result {
                let owning = p.reg.slots().iter().any(|v| {
                    matches!(v, Some(Value::StrList(l)) if l.capacity() > 0)
                        || matches!(v, Some(Value::Str(Cow::Owned(_))))
                });
                assert!(p.owns || !owning, "{json:?}");
            }
        }
    }

    fn learned(json: &str) -> LayoutHint {
        let hint = LayoutHint::default();
        let mut payload = Payload::empty();
        let _ = payload.fill(json.as_bytes(), Some(&hint));
        hint
    }

    const REORDERED: &str = r#"{"scope":"a b","aud":"api","x":1,"iss":"https://issuer.example","exp":1,"sub":"alice"}"#;

    #[test]
    fn the_layout_hint_is_learned_and_followed() {
        let hint = learned(SAMPLES[0]);
        // iss, sub, aud, exp, iat, scope, then four other members.
        let slots: Vec<u64> =
            (0..LayoutHint::MEMBERS).map(|i| (hint.0.load(Ordering::Relaxed) >> (6 * i)) & 63).collect();
        assert_eq!(slots, [1, 2, 3, 4, 6, 16, 63, 63, 63, 63]);
        // Another order replaces it; the payload is read the same either way.
        let mut payload = Payload::empty();
        payload.fill(REORDERED.as_bytes(), Some(&hint)).unwrap();
        assert_eq!(found(&Ok(payload)), found(&Payload::parse(REORDERED.as_bytes())));
        let slots: Vec<u64> = (0..6).map(|i| (hint.0.load(Ordering::Relaxed) >> (6 * i)) & 63).collect();
        assert_eq!(slots, [16, 3, 63, 1, 4, 2]);
    }

    const SAMPLES: [&str; 14] = [
        r#"{"iss":"https://issuer.example","sub":"alice","aud":["api","other"],"exp":1700000000,"iat":0,"scope":"a b","x":true,"y":null,"z":[],"w":false}"#,
        " {\t\"iss\" :\n\"i\" ,\r\"n\": 12 , \"l\" : [ \"a\" , \"b\" ] } \n",
        "{}",
        r#"{"sub":"a","sub":"b"}"#,
        r#"{"x":1,"x":2}"#,
        r#"{"aud":"\u0061pi","e\"x":"\n"}"#,
        r#"{"exp":1.5,"nbf":-1,"iat":1e3,"n":01,"m":123456789012345678901}"#,
        r#"{"cnf":{"jkt":"abc"},"realm_access":{"roles":["a"]}}"#,
        r#"{"aud":["a",1],"amr":["pwd","otp"],"big":9999999999999999999}"#,
        r#"{"a":"é ✓","ü":"\u00fc","t":"tab\there"}"#,
        r#"{"a":tru,"b":nul}"#,
        r#"{"a":"x",}"#,
        r#"{"a":"x"}{}"#,
        "{\"a\":\"\u{1}\"}",
    ];

    #[test]
    fn slots_are_found_for_exactly_the_registered_names() {
        let registered = [
            "iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "jti",
            "nonce",
            "auth_time",
            "azp",
            "acr",
            "amr",
            "at_hash",
            "c_hash",
            "client_id",
            "scope",
            "scp",
            "typ",
            "token_use",
            "cid",
            "sid",
        ];
        let mut reg = Registered::default();
        for (i, name) in registered.iter().enumerate() {
            // Each name fills its own slot, seen through the claims' debug view.
            *reg.slot(name).unwrap() = Some(Value::Int(i64::try_from(i).unwrap()));
            // One byte off, longer, shorter: not registered.
            let mut changed = name.to_string().into_bytes();
            changed[0] ^= 0x20;
            for other in
                [String::from_utf8(changed).unwrap(), format!("{name}x"), format!("{name}\0"), name[1..].to_owned()]
            {
                assert!(registered.contains(&other.as_str()) || reg.slot(&other).is_none(), "{other:?}");
            }
        }
        let debug = format!("{reg:?}");
        for (i, name) in registered.iter().enumerate() {
            assert!(debug.contains(&format!("{name}: Some(Int({i}))")), "{name} in {debug}");
        }
    }

    #[test]
    fn the_scanner_reads_what_the_general_parser_reads() {
        for sample in SAMPLES {
            same_as_general(sample);
            // Every prefix, and every character replaced by JSON's punctuation.
            for end in 0..sample.len() {
                if let Some(prefix) = sample.get(..end) {
                    same_as_general(prefix);
                }
            }
            for (i, ch) in sample.char_indices() {
                for c in ["\"", "\\", ",", ":", "{", "}", "[", "]", " ", "0", "-", ".", "e", "\u{7f}", "\u{1f}", "é"] {
                    let mut mutated = sample.to_owned();
                    mutated.replace_range(i..i + ch.len_utf8(), c);
                    same_as_general(&mutated);
                }
            }
        }
    }

    #[test]
    fn the_scanner_takes_the_usual_shapes_and_leaves_the_rest() {
        let takes = |json: &str| scan(json, &mut Payload::empty(), None);
        assert_eq!(takes(SAMPLES[0]), Some(true));
        assert_eq!(takes(SAMPLES[1]), Some(true));
        assert_eq!(takes(SAMPLES[3]), Some(false), "a registered claim twice");
        for other in &SAMPLES[5..] {
            assert_eq!(takes(other), None, "{other}");
        }
        // Malformed values stay malformed, never absent.
        let p = Payload::parse(br#"{"exp":"soon","aud":[1],"sub":null}"#).unwrap();
        assert!(matches!(p.reg.exp, Some(Value::Str(_))));
        assert!(matches!(p.reg.aud, Some(Value::Other)));
        assert!(matches!(p.reg.sub, Some(Value::Other)));
        let duplicate = Some(Error::Malformed(Malformed::DuplicateMember));
        assert_eq!(Payload::parse(br#"{"sub":"a","sub":"b"}"#).err(), duplicate);
        assert_eq!(Payload::parse(br#"{"x":1,"x":2}"#).err(), duplicate);
    }

    #[test]
    fn space_delimited_lists_split_like_str_split() {
        let fixed = ["", " ", "a", "a b", "a  b", " a b ", "read:messages write:messages", "é ü  ✓", "a !b  !! c"];
        // Every arrangement of a few bytes around the eight-byte words: spaces
        // next to each other and to `!` (0x21, which a space's borrow can flag).
        let pool = [" ", "!", "a", "é", "  "];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let generated = (0..2000).map(|_| {
            let mut list = String::new();
            while list.len() < usize::try_from(state % 40).unwrap() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                list.push_str(pool[usize::try_from(state % 5).unwrap()]);
            }
            state = state.wrapping_mul(0x2545_f491_4f6c_dd1d).wrapping_add(1);
            list
        });
        for list in fixed.into_iter().map(str::to_owned).chain(generated) {
            let mut names = Vec::new();
            each_space_delimited(&list, |n| names.push(n.to_owned()));
            assert_eq!(names, list.split(' ').collect::<Vec<_>>(), "{list:?}");
        }
    }

    #[test]
    fn string_end_finds_the_first_quote_escape_or_control() {
        let text = br#"0123456789abcdef"ghij"#;
        assert_eq!(string_end(text, 0), Some(16));
        assert_eq!(string_end(text, 17), None);
        assert_eq!(string_end(br#"abc\"def""#, 0), None);
        assert_eq!(string_end(b"abcdefgh\x01\"", 0), None);
        assert_eq!(string_end(b"abcdefghijklmnop\x1f\"", 0), None);
        assert_eq!(string_end("\u{e9}\u{e9}\u{e9}\u{e9}\"".as_bytes(), 0), Some(8));
        assert_eq!(string_end(b"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\"", 0), Some(9));
        assert_eq!(string_end(b"\x20\x21\x23\x5b\x5d\x5c", 0), None);
    }
}
