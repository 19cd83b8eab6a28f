//! Provider profiles: how each identity provider shapes its access tokens,
//! and the rule by which each still tells an ID token from an access token.

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
    pub(crate) fn check_header_type(self, typ: Option<&str>) -> Result<(), Error> {
        let at_jwt = typ.is_some_and(is_at_jwt);
        match self {
            Self::Rfc9068 if at_jwt => Ok(()),
            Self::Rfc9068 => Err(Error::WrongTokenType { expected: "at+jwt", found: typ.map(Echo::new) }),
            _ if at_jwt || typ.is_none_or(|t| t.eq_ignore_ascii_case("JWT")) => Ok(()),
            _ => Err(Error::WrongTokenType { expected: "JWT or at+jwt", found: typ.map(Echo::new) }),
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
    let t = match (typ.get(..12), typ.get(12..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
        _ => typ,
    };
    t.eq_ignore_ascii_case("at+jwt")
}
