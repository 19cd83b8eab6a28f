//! Reading a token's header and payload without verifying anything.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use tokenkind::verify::{Classification, classify};

/// A JWS read but not verified.
pub(crate) struct Decoded {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    /// The payload as it was signed, for the library's own claim parser.
    payload_json: Vec<u8>,
    /// The signature's length in bytes; the signature itself is never kept.
    pub(crate) signature_len: usize,
}

impl Decoded {
    /// Splits and decodes a compact JWS (RFC 7515 §7.1): three segments of
    /// unpadded base64url; a JSON object in the header and in the payload.
    pub(crate) fn new(token: &str) -> Result<Self, String> {
        let segments: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = segments[..] else {
            return Err(match segments.len() {
                5 => "it has five segments: an encrypted token (JWE), which only its recipient can read".to_owned(),
                1 => "a JWT is three base64url segments separated by dots, and this has no dot".to_owned(),
                n => format!("it has {n} segments separated by dots; a JWT has three"),
            });
        };
        let header = object("header", header)?;
        let payload_json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| "its payload is not base64url".to_owned())?;
        let Ok(Value::Object(claims)) = serde_json::from_slice(&payload_json) else {
            return Err("its payload is not a JSON object".to_owned());
        };
        let signature_len =
            URL_SAFE_NO_PAD.decode(signature).map_err(|_| "its signature is not base64url".to_owned())?.len();
        Ok(Self { header, claims, payload_json, signature_len })
    }

    /// The header alone, when the rest of the token cannot be read.
    pub(crate) fn header_of(token: &str) -> Option<Map<String, Value>> {
        object("header", token.split('.').next()?).ok()
    }

    /// The header `typ`, when it is a string.
    pub(crate) fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// What kind of token this looks like, by the verifiers' own rules.
    pub(crate) fn classify(&self) -> Result<Classification, tokenkind::Error> {
        classify(self.typ(), &self.payload_json)
    }
}

fn object(what: &str, segment: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| format!("its {what} is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("its {what} is not a JSON object")),
    }
}
