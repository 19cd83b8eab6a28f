//! The rules for an introspection response (RFC 7662 §2.2), on top of the
//! access-token rules every introspected token also passes (issuer,
//! audience, client, times, scopes, binding, custom claims: see
//! `AccessTokenVerifier`), and for a signed one (RFC 9701 §5).

use super::payload::{self, Payload, Value};
use super::profile;
use crate::error::{Echo, Error};

/// Which tokens an [`AccessTokenVerifier`](crate::AccessTokenVerifier)
/// sends to the introspection endpoint
/// ([`AccessTokenVerifierBuilder::introspection`](crate::AccessTokenVerifierBuilder::introspection)).
///
/// A token is *JWS-shaped* when it is three dot-separated base64url
/// segments whose first decodes to a JSON object with an `alg` member.
///
/// ```
/// use tokenkind::verify::Introspect;
/// assert_ne!(Introspect::OpaqueTokens, Introspect::EveryToken);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Introspect {
    /// JWS-shaped tokens are verified locally with the issuer's keys, and
    /// only locally: one that fails there is refused, never introspected
    /// (which would turn every forged JWT into a request to the provider).
    /// Every other token is introspected.
    OpaqueTokens,
    /// Every token is introspected, JWTs included: the provider is the only
    /// authority (and a revoked JWT is refused as soon as the cache allows).
    /// No keys are needed, unless answers are signed.
    EveryToken,
}

/// The answer standing for a token the provider does not introspect
/// (HTTP 400 `unsupported_token_type`): not active.
pub(crate) const INACTIVE: &[u8] = br#"{"active":false}"#;

/// `active` is required and must be a boolean (RFC 7662 §2.2); an answer
/// without it is not an introspection response. Checked on every fresh
/// answer, before it is cached; a failure is the provider's fault (503).
pub(crate) fn check_response_shape(json: &[u8]) -> Result<(), String> {
    let p =
        Payload::parse(json).map_err(|e| format!("the answer is not a JSON object without duplicate members: {e}"))?;
    match p.other("active") {
        Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err("its `active` member is not a boolean".into()),
        None => Err("it has no `active` member (RFC 7662 §2.2)".into()),
    }
}

/// `active` must be `true` (RFC 7662 §2.2): `false` means expired, revoked
/// or unknown.
pub(crate) fn check_active(p: &Payload<'_>) -> Result<(), Error> {
    match p.other("active") {
        Some(Value::Bool(true)) => Ok(()),
        Some(Value::Bool(false)) => Err(Error::InactiveToken),
        _ => Err(Error::MalformedClaim { claim: "active", expected: "a boolean" }),
    }
}

/// `token_type`, when present, must name an access token type (RFC 7662
/// §2.2, RFC 6749 §7.1: `Bearer`, RFC 9449 §5: `DPoP`, RFC 8693 §2.2.1:
/// `N_A`), compared case-insensitively; a refresh or ID token is refused.
pub(crate) fn check_token_type(p: &Payload<'_>) -> Result<(), Error> {
    match p.other("token_type") {
        None => Ok(()),
        Some(Value::Str(t))
            if t.eq_ignore_ascii_case("Bearer") || t.eq_ignore_ascii_case("DPoP") || t.eq_ignore_ascii_case("N_A") =>
        {
            Ok(())
        }
        Some(Value::Str(t)) => Err(Error::NotAnAccessToken { found: Echo::new(&t) }),
        Some(_) => Err(Error::MalformedClaim { claim: "token_type", expected: "a string" }),
    }
}

/// A signed introspection response (RFC 9701 §5): header `typ`
/// `token-introspection+jwt`; `iss` the issuer, `aud` this API's client
/// id, `iat` a NumericDate; the response itself in `token_introspection`,
/// a JSON object. Gives that object's JSON.
pub(crate) fn open_signed(
    typ: Option<&str>,
    p: &Payload<'_>,
    issuer: &str,
    client_id: &str,
) -> Result<Box<[u8]>, String> {
    if !typ.is_some_and(|t| profile::is_media_type(t, "token-introspection+jwt")) {
        return Err("the signed answer's header `typ` is not `token-introspection+jwt` (RFC 9701 §5)".into());
    }
    match payload::string_ref("iss", p.reg.iss.as_ref()) {
        Ok(Some(iss)) if iss == issuer => {}
        _ => return Err("the signed answer's `iss` is not the issuer".into()),
    }
    match payload::audience(p.reg.aud.as_ref()) {
        Ok(Some(aud)) if aud.contains(client_id) => {}
        _ => return Err("the signed answer's `aud` is not this API's client id".into()),
    }
    if !matches!(payload::numeric_date("iat", p.reg.iat.as_ref()), Ok(Some(_))) {
        return Err("the signed answer has no `iat`".into());
    }
    let Some(raw) = p.raw("token_introspection") else {
        return Err("the signed answer has no `token_introspection` member".into());
    };
    let json = raw.as_bytes();
    check_response_shape(json)?;
    Ok(json.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Payload<'_> {
        Payload::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn check_response_shape_requires_a_boolean_active() {
        assert_eq!(check_response_shape(br#"{"active":false}"#), Ok(()));
        assert_eq!(check_response_shape(br#"{"active":true,"scope":"a"}"#), Ok(()));
        assert!(check_response_shape(br#"{"active":"true"}"#).unwrap_err().contains("not a boolean"));
        assert!(check_response_shape(br#"{"scope":"a"}"#).unwrap_err().contains("no `active`"));
        assert!(check_response_shape(b"<html>").unwrap_err().contains("not a JSON object"));
        assert!(check_response_shape(br#"{"active":true,"active":false}"#).unwrap_err().contains("duplicate"));
        assert!(check_response_shape(b"[true]").is_err());
    }

    #[test]
    fn check_active() {
        assert_eq!(super::check_active(&parse(r#"{"active":true}"#)), Ok(()));
        assert_eq!(super::check_active(&parse(r#"{"active":false}"#)), Err(Error::InactiveToken));
        assert_eq!(
            super::check_active(&parse(r#"{"active":1}"#)),
            Err(Error::MalformedClaim { claim: "active", expected: "a boolean" })
        );
    }

    #[test]
    fn check_token_type() {
        for ok in [
            "{}",
            r#"{"token_type":"Bearer"}"#,
            r#"{"token_type":"bearer"}"#,
            r#"{"token_type":"DPoP"}"#,
            r#"{"token_type":"N_A"}"#,
        ] {
            assert_eq!(super::check_token_type(&parse(ok)), Ok(()), "{ok}");
        }
        for (json, found) in [
            (r#"{"token_type":"refresh_token"}"#, "refresh_token"),
            (r#"{"token_type":"id_token"}"#, "id_token"),
            (
                r#"{"token_type":"urn:ietf:params:oauth:token-type:id_token"}"#,
                "urn:ietf:params:oauth:token-type:id_token",
            ),
        ] {
            assert_eq!(super::check_token_type(&parse(json)), Err(Error::NotAnAccessToken { found: Echo::new(found) }));
        }
        assert_eq!(
            super::check_token_type(&parse(r#"{"token_type":["Bearer"]}"#)),
            Err(Error::MalformedClaim { claim: "token_type", expected: "a string" })
        );
    }

    #[test]
    fn open_signed_checks_typ_iss_aud_iat_and_the_member() {
        let good = r#"{"iss":"https://idp","aud":"api","iat":1,"token_introspection":{"active":true}}"#;
        let typ = Some("token-introspection+jwt");
        assert_eq!(&*open_signed(typ, &parse(good), "https://idp", "api").unwrap(), br#"{"active":true}"#);
        assert!(open_signed(Some("application/token-introspection+jwt"), &parse(good), "https://idp", "api").is_ok());
        assert!(open_signed(Some("JWT"), &parse(good), "https://idp", "api").unwrap_err().contains("typ"));
        assert!(open_signed(None, &parse(good), "https://idp", "api").unwrap_err().contains("typ"));
        assert!(open_signed(typ, &parse(good), "https://other", "api").unwrap_err().contains("`iss`"));
        assert!(open_signed(typ, &parse(good), "https://idp", "other").unwrap_err().contains("`aud`"));
        let no_iat = r#"{"iss":"https://idp","aud":"api","token_introspection":{"active":true}}"#;
        assert!(open_signed(typ, &parse(no_iat), "https://idp", "api").unwrap_err().contains("`iat`"));
        let no_member = r#"{"iss":"https://idp","aud":"api","iat":1}"#;
        assert!(open_signed(typ, &parse(no_member), "https://idp", "api").unwrap_err().contains("token_introspection"));
        let not_object = r#"{"iss":"https://idp","aud":"api","iat":1,"token_introspection":"x"}"#;
        assert!(open_signed(typ, &parse(not_object), "https://idp", "api").is_err());
    }
}
