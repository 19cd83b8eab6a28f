//! The JWS and claims layer of a DPoP proof (RFC 9449 §4.2): parsed by the
//! same code as tokens (duplicates refused, types checked), checked by the
//! HTTP pipeline, which knows the request it must match.

use super::jws;
use super::payload::{Payload, Value, numeric_date};

pub(crate) use super::jws::ProofHeader;

impl ProofHeader {
    /// The proof's header, its signing input and its decoded signature.
    pub(crate) fn parse(proof: &str) -> Result<(Self, &str, Vec<u8>), ()> {
        jws::parse_proof(proof).map_err(|_| ())
    }
}

/// A proof claim, before the pipeline checks it.
#[derive(Debug)]
pub(crate) enum Claim {
    Str(String),
    /// Present, but not a string.
    Other,
}

/// The claims of a DPoP proof.
pub(crate) struct ProofPayload {
    pub(crate) jti: Option<Claim>,
    pub(crate) htm: Option<Claim>,
    pub(crate) htu: Option<Claim>,
    pub(crate) ath: Option<Claim>,
    pub(crate) nonce: Option<Claim>,
    /// `Err` when present but not a NumericDate.
    pub(crate) iat: Option<Result<i64, ()>>,
}

impl ProofPayload {
    /// Decodes the payload of `proof` (call it after the signature verified).
    pub(crate) fn parse(proof: &str) -> Result<Self, ()> {
        let (_, payload, _) = jws::split(proof).map_err(|_| ())?;
        let json = jws::decode(payload).map_err(|_| ())?;
        let p = Payload::parse(&json).map_err(|_| ())?;
        let claim = |v: Option<Value<'_>>| {
            v.map(|v| match v {
                Value::Str(s) => Claim::Str(s.into_owned()),
                _ => Claim::Other,
            })
        };
        let registered = |v: Option<&Value<'_>>| {
            v.map(|v| match v {
                Value::Str(s) => Claim::Str(s.to_string()),
                _ => Claim::Other,
            })
        };
        Ok(Self {
            jti: registered(p.reg.jti.as_ref()),
            nonce: registered(p.reg.nonce.as_ref()),
            iat: p.reg.iat.as_ref().map(|v| numeric_date("iat", Some(v)).ok().flatten().ok_or(())),
            htm: claim(p.other("htm")),
            htu: claim(p.other("htu")),
            ath: claim(p.other("ath")),
        })
    }
}
