//! The claims, decoded in one pass over the payload.
//!
//! Registered claims land in typed slots that record a wrong JSON type as
//! *malformed*, never as absent (the CVE-2026-25537 trap). Every other member
//! is kept as raw JSON for the custom claims type and the profiles.
//! Duplicate members are refused (RFC 7519 §4 lets a parser refuse them):
//! a verifier and a later reader must never see different values.

use core::any::TypeId;
use core::fmt;
use std::borrow::Cow;

use serde::de::value::{MapDeserializer, UnitDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// The decoded payload: typed slots plus the other members as raw JSON.
pub(crate) struct Payload<'a> {
    pub(crate) reg: Registered<'a>,
    pub(crate) rest: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Payload<'a> {
    pub(crate) fn parse(json: &'a [u8]) -> Result<Self, Error> {
        let json = core::str::from_utf8(json).map_err(|_| Error::Malformed(Malformed::Payload))?;
        // Filled in place: the slots are large, and moving them costs.
        let mut payload = Payload { reg: Registered::default(), rest: Vec::new() };
        let mut de = serde_json::Deserializer::from_str(json);
        let unique =
            de.deserialize_map(PayloadVisitor(&mut payload)).map_err(|_| Error::Malformed(Malformed::Payload))?;
        de.end().map_err(|_| Error::Malformed(Malformed::Payload))?;
        if !unique || has_duplicates(&payload.rest) {
            return Err(Error::Malformed(Malformed::DuplicateMember));
        }
        Ok(payload)
    }

    /// A non-registered member, as raw JSON (for profile-specific claims).
    pub(crate) fn raw(&self, name: &str) -> Option<&'a RawValue> {
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
        let members = || MapDeserializer::<_, serde_json::Error>::new(self.rest.iter().map(|(k, v)| (k.clone(), *v)));
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

fn has_duplicates(rest: &[(Cow<'_, str>, &RawValue)]) -> bool {
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
        let Payload { reg, rest } = self.0;
        let mut duplicate = false;
        while let Some(key) = map.next_key_seed(NameSeed)? {
            let slot = match &*key {
                "iss" => &mut reg.iss,
                "sub" => &mut reg.sub,
                "aud" => &mut reg.aud,
                "exp" => &mut reg.exp,
                "nbf" => &mut reg.nbf,
                "iat" => &mut reg.iat,
                "jti" => &mut reg.jti,
                "nonce" => &mut reg.nonce,
                "auth_time" => &mut reg.auth_time,
                "azp" => &mut reg.azp,
                "acr" => &mut reg.acr,
                "amr" => &mut reg.amr,
                "at_hash" => &mut reg.at_hash,
                "c_hash" => &mut reg.c_hash,
                "client_id" => &mut reg.client_id,
                "scope" => &mut reg.scope,
                "scp" => &mut reg.scp,
                "typ" => &mut reg.typ,
                "token_use" => &mut reg.token_use,
                "cid" => &mut reg.cid,
                "sid" => &mut reg.sid,
                _ => {
                    if rest.capacity() == 0 {
                        // One allocation for the usual number of custom claims.
                        rest.reserve(16);
                    }
                    rest.push((key, map.next_value::<&'de RawValue>()?));
                    continue;
                }
            };
            if slot.is_some() {
                duplicate = true;
                map.next_value::<IgnoredAny>()?;
            } else {
                *slot = Some(decode_raw(map.next_value::<&'de RawValue>()?));
            }
        }
        Ok(!duplicate)
    }
}

/// Decodes a member from its raw JSON. A value the decoder cannot hold (a
/// number beyond `f64`, like `1e400`, or nesting deeper than its limit) is
/// `Other`, so that claim is reported malformed by name, not the whole payload.
fn decode_raw(raw: &RawValue) -> Value<'_> {
    let json = raw.get();
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
    v.ok_or(Error::MissingClaim { claim })
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
        Some(Value::Str(s)) if !s.is_empty() => Ok(Some(Audience::one((**s).into()))),
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
