//! Provider profiles: how each identity provider shapes its access tokens,
//! and the rule by which each still tells an ID token from an access token.

use super::jws::Typ;
use super::payload::{Payload, Value, string_ref};
use crate::error::{Echo, Error};

/// How the access tokens of an identity provider are recognised.
///
/// The default, [`Profile::Rfc9068`], is the strict standard. The others
/// accept real providers' tokens; each keeps a rule that refuses that
/// provider's ID tokens, and every profile refuses tokens carrying the
/// ID-token-only claims `nonce`, `at_hash` or `c_hash`.
///
/// | profile | tells access from ID token by | client from | scopes from | relaxes vs RFC 9068 |
/// |---|---|---|---|---|
/// | `Rfc9068` | header `typ: at+jwt` | `client_id` | `scope` | nothing |
/// | `Auth0` | `aud` = the API identifier (ID tokens carry the client ID) | `azp` | `scope` (never `permissions`, the user's) | `typ: JWT`; `jti` optional |
/// | `Keycloak` | payload `typ: "Bearer"` (ID tokens: `"ID"`) | `azp` | `scope` | header `typ: JWT`; `jti` optional |
/// | `Okta` | `jti` starts with `AT.` (ID tokens: `ID.`) | `cid` | `scp` | header `typ: JWT` |
/// | `EntraId` | `ver: "2.0"` with `azp` (v2 ID tokens carry no `azp`) | `azp` | `scp`; `roles` in app-only tokens only | header `typ: JWT`; `jti` optional |
/// | `Cognito` | `token_use: "access"` (ID tokens: `"id"`) | `client_id` | `scope` | no `aud`: the audience is checked against `client_id` |
///
/// Scopes are what the *client* was granted, never what the *user* may do:
/// Auth0 `permissions` and the `roles` of an Entra ID delegated token (one
/// with `scp`, or `idtyp: "user"`) are the user's and are not read. An Entra
/// ID app-only token (`idtyp: "app"`, or `roles` without `scp`) carries the
/// client's application permissions in `roles`, read as its scopes. A token
/// with `cnf` is sender-constrained and refused as a bearer token.
///
/// Under every profile `iss`, `exp`, `iat` and `sub` are required, `iss`
/// must match exactly, `aud` (or Cognito's `client_id`) must hold the
/// configured audience, and the header `typ`, when present, must be `JWT`
/// or `at+jwt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// RFC 9068, strictly: header `typ` `at+jwt`; `iss`, `sub`, `aud`, `exp`,
    /// `iat`, `jti`, `client_id` required; scopes in `scope`.
    #[default]
    Rfc9068,
    /// Auth0's default access-token profile.
    Auth0,
    /// Keycloak.
    Keycloak,
    /// Okta custom authorization servers.
    Okta,
    /// Microsoft Entra ID, v2 access tokens.
    EntraId,
    /// Amazon Cognito user pools.
    Cognito,
}

impl Profile {
    /// The profile's name, as accepted by [`Profile::from_name`].
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rfc9068 => "rfc9068",
            Self::Auth0 => "auth0",
            Self::Keycloak => "keycloak",
            Self::Okta => "okta",
            Self::EntraId => "entra",
            Self::Cognito => "cognito",
        }
    }

    /// A profile by name (case-insensitive): `rfc9068`, `auth0`, `keycloak`,
    /// `okta`, `entra`, `cognito`.
    ///
    /// ```
    /// use tokenkind::Profile;
    /// assert_eq!(Profile::from_name("Keycloak"), Some(Profile::Keycloak));
    /// assert_eq!(Profile::from_name("google"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Rfc9068, Self::Auth0, Self::Keycloak, Self::Okta, Self::EntraId, Self::Cognito]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The header `typ` rule (RFC 9068 §2.1, RFC 8725 §3.11).
    pub(crate) fn check_header_type(self, typ: Option<&Typ>) -> Result<(), Error> {
        let at_jwt = typ.is_some_and(Typ::is_at_jwt);
        let found = || typ.map(|t| Echo::new(t.as_str()));
        match self {
            Self::Rfc9068 if at_jwt => Ok(()),
            Self::Rfc9068 => Err(Error::WrongTokenType { expected: "at+jwt", found: found() }),
            _ if at_jwt || typ.is_none_or(|t| t.as_str().eq_ignore_ascii_case("JWT")) => Ok(()),
            _ => Err(Error::WrongTokenType { expected: "JWT or at+jwt", found: found() }),
        }
    }

    /// The profile's own access-vs-ID discriminator, on the verified payload.
    pub(crate) fn check_token_kind(self, p: &Payload<'_>) -> Result<(), Error> {
        match self {
            Self::Rfc9068 | Self::Auth0 => Ok(()),
            Self::Keycloak => match string_ref("typ", p.reg.typ.as_ref())? {
                Some("Bearer") => Ok(()),
                Some("ID") => Err(Error::IdTokenAsAccessToken { reason: "its payload `typ` is \"ID\"" }),
                Some(other) => Err(Error::WrongTokenType { expected: "Bearer", found: Some(Echo::new(other)) }),
                None => Err(Error::MissingClaim { claim: "typ" }),
            },
            Self::Okta => match string_ref("jti", p.reg.jti.as_ref())? {
                Some(j) if j.starts_with("AT.") => Ok(()),
                Some(j) if j.starts_with("ID.") => {
                    Err(Error::IdTokenAsAccessToken { reason: "its `jti` starts with \"ID.\"" })
                }
                Some(_) => Err(Error::MalformedClaim {
                    claim: "jti",
                    expected: "an Okta access token id starting with \"AT.\"",
                }),
                None => Err(Error::MissingClaim { claim: "jti" }),
            },
            Self::EntraId => {
                match p.other("ver") {
                    Some(Value::Str(v)) if v == "2.0" => {}
                    Some(_) => {
                        return Err(Error::MalformedClaim {
                            claim: "ver",
                            expected: "\"2.0\" (Entra ID v1 tokens are not supported)",
                        });
                    }
                    None => return Err(Error::MissingClaim { claim: "ver" }),
                }
                if p.reg.azp.is_none() {
                    return Err(Error::IdTokenAsAccessToken {
                        reason: "it has no `azp`, which every Entra ID v2 access token carries",
                    });
                }
                Ok(())
            }
            Self::Cognito => match string_ref("token_use", p.reg.token_use.as_ref())? {
                Some("access") => Ok(()),
                Some("id") => Err(Error::IdTokenAsAccessToken { reason: "its `token_use` is \"id\"" }),
                Some(other) => Err(Error::WrongTokenType { expected: "access", found: Some(Echo::new(other)) }),
                None => Err(Error::MissingClaim { claim: "token_use" }),
            },
        }
    }

    /// The rule of [`check_token_kind`](Self::check_token_kind) (or of the
    /// header `typ` under `Rfc9068`, and of the audience under `Auth0`) that
    /// tells this provider's access tokens apart, as a phrase.
    pub(crate) const fn access_rule(self) -> &'static str {
        match self {
            Self::Rfc9068 => "its header `typ` is at+jwt",
            Self::Auth0 => "its `aud` names an API, not the client in `azp`",
            Self::Keycloak => "its payload `typ` is \"Bearer\"",
            Self::Okta => "its `jti` starts with \"AT.\"",
            Self::EntraId => "its `ver` is \"2.0\" and it carries `azp`",
            Self::Cognito => "its `token_use` is \"access\"",
        }
    }

    /// The claim naming the OAuth client.
    pub(crate) fn client_claim(self) -> &'static str {
        match self {
            Self::Rfc9068 | Self::Cognito => "client_id",
            Self::Auth0 | Self::Keycloak | Self::EntraId => "azp",
            Self::Okta => "cid",
        }
    }

    pub(crate) fn requires_jti(self) -> bool {
        matches!(self, Self::Rfc9068 | Self::Okta | Self::Cognito)
    }

    /// Whether the audience is checked against `client_id` instead of `aud`.
    pub(crate) fn audience_is_client(self) -> bool {
        matches!(self, Self::Cognito)
    }
}

/// `at+jwt` or `application/at+jwt`, compared case-insensitively (RFC 7515 §4.1.9).
pub(crate) fn is_at_jwt(typ: &str) -> bool {
    is_media_type(typ, "at+jwt")
}

/// Whether a header `typ` names the media type `name` (`name` or
/// `application/name`, compared case-insensitively, RFC 7515 §4.1.9).
pub(crate) fn is_media_type(typ: &str, name: &str) -> bool {
    let t = match (typ.get(..12), typ.get(12..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
        _ => typ,
    };
    t.eq_ignore_ascii_case(name)
}

/// What kind of token a [`classify`]d token looks like.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// An OpenID Connect ID token: it proves a login to a client.
    IdToken,
    /// An OAuth access token: RFC 9068, or shaped by a provider.
    AccessToken,
    /// A Back-Channel Logout token (Back-Channel Logout 1.0 §2.4).
    LogoutToken,
    /// Another Security Event Token (RFC 8417).
    SecurityEventToken,
    /// A DPoP proof (RFC 9449 §4.2): it goes with an access token, it is not one.
    DpopProof,
    /// No rule recognises it.
    Unknown,
}

/// The kind a [`classify`]d token looks like, and the rule that says so.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification {
    /// The kind.
    pub kind: TokenKind,
    /// The profile whose rule recognised it (`Rfc9068` for the header `typ`
    /// at+jwt), when a profile's rule did.
    pub profile: Option<Profile>,
    /// The rule, as a phrase: "it carries `nonce`".
    pub reason: &'static str,
}

/// The provider profiles whose payload rule can recognise a token alone.
const PROVIDERS: [Profile; 4] = [Profile::Keycloak, Profile::Cognito, Profile::Okta, Profile::EntraId];

/// Tells what kind of token this looks like, from its header `typ` and its
/// payload JSON, **without verifying anything**: for the `tokenkind inspect`
/// command. It applies the verifiers' own token-kind rules (those of the
/// ID-token verifier, the ID-token-only claims, each provider profile's
/// discriminator) and, where no rule decides, two shapes: an Auth0 access
/// token (`aud` not naming the client in `azp`, with `scope`) and an ID token
/// without a nonce (login claims such as `auth_time`, and no scope or client
/// claim). Never a reason to trust a token: only a verifier decides that.
///
/// ```
/// use tokenkind::verify::{TokenKind, classify};
/// let kind = classify(Some("JWT"), br#"{"iss":"https://sso.example/realms/a","typ":"Bearer","azp":"web"}"#)?;
/// assert_eq!(kind.kind, TokenKind::AccessToken);
/// assert_eq!(kind.profile, Some(tokenkind::Profile::Keycloak));
/// # Ok::<(), tokenkind::Error>(())
/// ```
///
/// # Errors
/// [`Error::Malformed`] when the payload is not a JSON object of claims
/// (or holds a claim twice).
#[doc(hidden)]
pub fn classify(typ: Option<&str>, payload_json: &[u8]) -> Result<Classification, Error> {
    let p = Payload::parse(payload_json)?;
    let found = |kind, profile, reason| Classification { kind, profile, reason };
    if typ.is_some_and(|t| is_media_type(t, "dpop+jwt")) {
        return Ok(found(TokenKind::DpopProof, None, "its header `typ` is dpop+jwt"));
    }
    match super::id::check_kind(typ, &p) {
        Ok(()) => {}
        Err(Error::SecurityEventToken { reason }) => {
            let logout = typ.is_some_and(|t| is_media_type(t, "logout+jwt"))
                || p.raw("events")
                    .is_some_and(|e| e.contains("\"http://schemas.openid.net/event/backchannel-logout\""));
            let kind = if logout { TokenKind::LogoutToken } else { TokenKind::SecurityEventToken };
            return Ok(found(kind, None, reason));
        }
        Err(Error::AccessTokenAsIdToken { reason }) => {
            if typ.is_some_and(is_at_jwt) {
                return Ok(found(TokenKind::AccessToken, Some(Profile::Rfc9068), reason));
            }
            let provider = PROVIDERS.into_iter().find(|profile| profile.check_token_kind(&p).is_ok());
            return Ok(match provider {
                Some(profile) => found(TokenKind::AccessToken, Some(profile), profile.access_rule()),
                None => found(TokenKind::AccessToken, None, reason),
            });
        }
        Err(_) => {
            return Ok(found(
                TokenKind::Unknown,
                None,
                "its header `typ` is neither JWT nor a token type tokenkind knows",
            ));
        }
    }
    if let Err(Error::IdTokenAsAccessToken { reason }) = super::access::reject_id_token_claims(&p) {
        return Ok(found(TokenKind::IdToken, None, reason));
    }
    for profile in PROVIDERS {
        match profile.check_token_kind(&p) {
            Ok(()) => return Ok(found(TokenKind::AccessToken, Some(profile), profile.access_rule())),
            Err(Error::IdTokenAsAccessToken { reason }) => return Ok(found(TokenKind::IdToken, Some(profile), reason)),
            Err(_) => {}
        }
    }
    let r = &p.reg;
    let azp = string_ref("azp", r.azp.as_ref()).ok().flatten();
    let aud = super::payload::audience(r.aud.as_ref()).ok().flatten();
    if let (Some(azp), Some(aud), Some(Value::Str(_))) = (azp, aud, &r.scope)
        && !aud.contains(azp)
    {
        return Ok(found(TokenKind::AccessToken, Some(Profile::Auth0), Profile::Auth0.access_rule()));
    }
    let client_or_scope = r.scope.is_some() || r.client_id.is_some() || r.cid.is_some();
    if !client_or_scope && (r.auth_time.is_some() || r.acr.is_some() || r.amr.is_some() || r.sid.is_some()) {
        let reason =
            "it carries login claims (`auth_time`, `acr`, `amr` or `sid`) and neither scopes nor a client claim";
        return Ok(found(TokenKind::IdToken, None, reason));
    }
    Ok(found(
        TokenKind::Unknown,
        None,
        "no rule recognises it: no header `typ` at+jwt, no provider's access-token marker, no ID-token-only claim",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(typ: Option<&str>, payload: &str) -> (TokenKind, Option<Profile>, &'static str) {
        let c = classify(typ, payload.as_bytes()).unwrap();
        (c.kind, c.profile, c.reason)
    }

    #[test]
    fn classify_uses_the_verifiers_token_kind_rules() {
        use TokenKind::{AccessToken, DpopProof, IdToken, LogoutToken, SecurityEventToken, Unknown};
        let at = kind(Some("at+jwt"), r#"{"client_id":"c","scope":"a"}"#);
        assert_eq!(at, (AccessToken, Some(Profile::Rfc9068), "its header `typ` is at+jwt"));
        assert_eq!(kind(Some("JWT"), r#"{"typ":"Bearer"}"#).1, Some(Profile::Keycloak));
        assert_eq!(
            kind(Some("JWT"), r#"{"typ":"ID"}"#),
            (IdToken, Some(Profile::Keycloak), "its payload `typ` is \"ID\"")
        );
        assert_eq!(kind(None, r#"{"jti":"AT.x","scp":["a"]}"#).1, Some(Profile::Okta));
        assert_eq!(kind(None, r#"{"jti":"ID.x"}"#), (IdToken, Some(Profile::Okta), "its `jti` starts with \"ID.\""));
        assert_eq!(kind(None, r#"{"ver":"2.0","azp":"c","scp":"a"}"#).1, Some(Profile::EntraId));
        assert_eq!(kind(None, r#"{"ver":"2.0","azp":"c","roles":["r"]}"#).1, Some(Profile::EntraId));
        assert_eq!(kind(None, r#"{"ver":"2.0","oid":"o"}"#).0, IdToken);
        assert_eq!(kind(None, r#"{"token_use":"access"}"#).1, Some(Profile::Cognito));
        assert_eq!(kind(None, r#"{"token_use":"id"}"#), (IdToken, Some(Profile::Cognito), "its `token_use` is \"id\""));
        let auth0 = r#"{"aud":["https://api","https://t/userinfo"],"azp":"c","scope":"openid"}"#;
        assert_eq!(kind(Some("JWT"), auth0), (AccessToken, Some(Profile::Auth0), Profile::Auth0.access_rule()));
        assert_eq!(kind(Some("JWT"), r#"{"aud":"c","nonce":"n"}"#), (IdToken, None, "it carries `nonce`"));
        assert_eq!(kind(Some("JWT"), r#"{"aud":"c","auth_time":1}"#).0, IdToken);
        assert_eq!(kind(Some("JWT"), r#"{"aud":"c","azp":"d"}"#).0, Unknown);
        assert_eq!(kind(Some("logout+jwt"), "{}").0, LogoutToken);
        let logout = r#"{"events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#;
        assert_eq!(kind(Some("JWT"), logout).0, LogoutToken);
        assert_eq!(kind(Some("secevent+jwt"), "{}").0, SecurityEventToken);
        assert_eq!(kind(Some("dpop+jwt"), r#"{"htm":"GET"}"#).0, DpopProof);
        assert_eq!(kind(Some("application/DPoP+JWT"), "{}").0, DpopProof);
        assert_eq!(kind(Some("JOSE"), "{}").0, Unknown);
        assert!(classify(None, br#"{"a":1,"a":2}"#).is_err());
        assert!(classify(None, b"[]").is_err());
    }
}
