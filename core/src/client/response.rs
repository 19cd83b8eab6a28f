//! The token endpoint's successful response (RFC 6749 §5.1, OpenID Connect
//! Core §3.1.3.3), read strictly: a member of the wrong JSON type is an
//! error naming it, never treated as absent; a member twice is refused.

use core::fmt;
use core::time::Duration;
use std::borrow::Cow;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::credential::{OpaqueAccessToken, RefreshToken, TokenType};
use crate::claims::{IdClaims, NoClaims};
use crate::error::{Echo, Error};
use crate::token::IdToken;
use crate::verify::{IdTokenVerifier, Nonce};

/// The largest token response body read: 256 KiB.
///
/// ```
/// use tokenkind::client::{MAX_RESPONSE_LEN, TokenResponse, TokenResponseError};
/// let huge = vec![b' '; MAX_RESPONSE_LEN + 1];
/// assert_eq!(
///     TokenResponse::from_json(&huge).unwrap_err(),
///     TokenResponseError::TooLarge { len: MAX_RESPONSE_LEN + 1, max: MAX_RESPONSE_LEN },
/// );
/// ```
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;

/// Why a token response was refused.
///
/// ```
/// use tokenkind::client::{TokenResponse, TokenResponseError};
/// let error = TokenResponse::from_json(br#"{"token_type":"Bearer"}"#).unwrap_err();
/// assert_eq!(error, TokenResponseError::MissingMember { member: "access_token" });
/// assert_eq!(error.to_string(), "the token response lacks the member `access_token`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenResponseError {
    /// The body is longer than [`MAX_RESPONSE_LEN`]; it was not parsed.
    #[error("the token response is {len} bytes long, more than the limit of {max}")]
    TooLarge {
        /// The body's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not a JSON object, or names a member twice.
    #[error("the token response is not a JSON object with each member once (RFC 6749 §5.1)")]
    Malformed,
    /// The authorization server answered with an error (RFC 6749 §5.2).
    #[error("the token endpoint refused the request: {error}{}", .description.as_ref().map_or_else(String::new, |d| format!(" ({d})")))]
    Refused {
        /// The `error` code, such as `invalid_grant`.
        error: Echo,
        /// The `error_description`, if any.
        description: Option<Echo>,
    },
    /// A required member is absent.
    #[error("the token response lacks the member `{member}`")]
    MissingMember {
        /// The member's name.
        member: &'static str,
    },
    /// A member has the wrong JSON type or an invalid value.
    #[error("the token response's member `{member}` is malformed: expected {expected}")]
    MalformedMember {
        /// The member's name.
        member: &'static str,
        /// What the member must be.
        expected: &'static str,
    },
    /// `token_type` is neither `Bearer` nor `DPoP`: the client would not
    /// know how to present the token.
    #[error("the token response's `token_type` is {found}; only Bearer and DPoP are supported")]
    UnsupportedTokenType {
        /// The `token_type` value.
        found: Echo,
    },
    /// The response carries an ID token, and the client read it as a plain
    /// OAuth 2.0 response ([`TokenResponse::without_login`]), which would
    /// leave the ID token unverified.
    #[error(
        "the token response carries an ID token: verify it with `TokenResponse::verify` and the nonce sent in the authentication request"
    )]
    UnexpectedIdToken,
    /// The ID token was refused, or its `at_hash` does not match the access
    /// token ([`Error::AccessTokenHashMismatch`]).
    #[error("the token response's ID token was refused: {0}")]
    IdTokenRefused(#[source] Error),
}

/// A token endpoint's successful response, read but not yet verified: it
/// gives nothing out until [`verify`](Self::verify) (with OpenID Connect)
/// or [`without_login`](Self::without_login) (plain OAuth 2.0). Its `Debug`
/// shows no token.
///
/// ```
/// use tokenkind::client::TokenResponse;
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let body = dev.token_response().scope("read:messages").json();
/// let response = TokenResponse::from_json(body.as_bytes())?;
/// assert_eq!(
///     format!("{response:?}"),
///     r#"TokenResponse { token_type: Bearer, has_id_token: true, expires_in: Some(300s), scope: Some("read:messages"), .. }"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TokenResponse {
    access_token: OpaqueAccessToken,
    id_token: Option<Box<str>>,
    refresh_token: Option<RefreshToken>,
    expires_in: Option<Duration>,
    scope: Option<Box<str>>,
}

/// The verified result of a login: the ID token, verified with its nonce
/// and its `at_hash` checked, and the tokens issued with it. Produced only
/// by [`TokenResponse::verify`].
///
/// ```
/// # use tokenkind::client::TokenResponse;
/// # use tokenkind::{NoClaims, Nonce};
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
/// # let body = dev.token_response().nonce("n").json();
/// let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
/// let (id_token, tokens) = login.into_parts();
/// assert_eq!(id_token.subject(), "dev-user");
/// assert!(tokens.access_token().authorization_header().is_sensitive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Login<C: IdClaims = NoClaims> {
    id_token: IdToken<C>,
    tokens: Tokens,
}

/// The tokens of a token response: the access token (opaque), the refresh
/// token if any, and what the response states about them.
///
/// ```
/// # use tokenkind::client::TokenResponse;
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let body = dev.token_response().scope("read:messages write:messages").without("id_token").json();
/// let tokens = TokenResponse::from_json(body.as_bytes())?.without_login()?;
/// assert_eq!(tokens.expires_in(), Some(std::time::Duration::from_secs(300)));
/// assert_eq!(tokens.scopes().collect::<Vec<_>>(), ["read:messages", "write:messages"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tokens {
    access_token: OpaqueAccessToken,
    refresh_token: Option<RefreshToken>,
    expires_in: Option<Duration>,
    scope: Option<Box<str>>,
}

impl TokenResponse {
    /// Reads the body of a token endpoint's answer (RFC 6749 §5.1, §5.2):
    ///
    /// - a JSON object, each member once, at most [`MAX_RESPONSE_LEN`] bytes;
    /// - with `error`, the request was refused: [`TokenResponseError::Refused`];
    /// - `token_type` required, `Bearer` or `DPoP` without regard to case (§7.1);
    /// - `access_token` required, an RFC 6750 §2.1 `b64token` (what an
    ///   `Authorization` header can carry);
    /// - `id_token`, `refresh_token` (visible ASCII, Appendix A.17) and
    ///   `scope` are strings and `expires_in` a non-negative integer, when present.
    ///
    /// Other members are ignored (§5.1 allows extensions).
    ///
    /// ```
    /// use tokenkind::client::{TokenResponse, TokenResponseError};
    /// let refused = TokenResponse::from_json(br#"{"error":"invalid_grant"}"#).unwrap_err();
    /// assert!(matches!(refused, TokenResponseError::Refused { .. }));
    /// let wrong = TokenResponse::from_json(br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600"}"#);
    /// assert_eq!(
    ///     wrong.unwrap_err(),
    ///     TokenResponseError::MalformedMember { member: "expires_in", expected: "a non-negative integer number of seconds" },
    /// );
    /// ```
    ///
    /// # Errors
    /// The first rule the body breaks, as a [`TokenResponseError`].
    pub fn from_json(body: &[u8]) -> Result<Self, TokenResponseError> {
        if body.len() > MAX_RESPONSE_LEN {
            return Err(TokenResponseError::TooLarge { len: body.len(), max: MAX_RESPONSE_LEN });
        }
        let members = Members::parse(body)?;
        check_not_refused(&members)?;
        let token_type = token_type(&members)?;
        let access_token = access_token(&members, token_type)?;
        Ok(Self {
            access_token,
            id_token: members.string("id_token")?.map(Into::into),
            refresh_token: refresh_token(&members)?,
            expires_in: expires_in(&members)?,
            scope: members.string("scope")?.map(Into::into),
        })
    }

    /// Verifies the login: the ID token, required, with `verifier` and the
    /// `nonce` sent in the authentication request (OpenID Connect Core
    /// §3.1.3.7), then the access token against the ID token's `at_hash`
    /// when it has one (§3.1.3.8). Only then are the tokens handed out.
    ///
    /// ```
    /// use tokenkind::client::{TokenResponse, TokenResponseError};
    /// use tokenkind::{Error, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<tokenkind::NoClaims>().build()?;
    /// # let body = dev.token_response().nonce("n-0S6").json();
    /// let response = TokenResponse::from_json(body.as_bytes())?;
    /// assert_eq!(
    ///     response.verify(&verifier, Nonce::Expected("another")).err(),
    ///     Some(TokenResponseError::IdTokenRefused(Error::NonceMismatch)),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`TokenResponseError::MissingMember`] without `id_token`;
    /// [`TokenResponseError::IdTokenRefused`] with the ID token's refusal, or
    /// [`Error::AccessTokenHashMismatch`].
    pub fn verify<C: IdClaims>(
        self,
        verifier: &IdTokenVerifier<C>,
        nonce: Nonce<'_>,
    ) -> Result<Login<C>, TokenResponseError> {
        let raw = self.id_token.as_deref().ok_or(TokenResponseError::MissingMember { member: "id_token" })?;
        let id_token = verifier.verify(raw, nonce).map_err(TokenResponseError::IdTokenRefused)?;
        self.login(id_token)
    }

    /// Verifies like [`verify`](Self::verify); with a remote key source it
    /// may also wait for a (rate-limited, shared) key refresh when the ID
    /// token names a key not yet cached.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), with [`Error::KeysUnavailable`] when no
    /// keys could be obtained.
    pub async fn verify_async<C: IdClaims>(
        self,
        verifier: &IdTokenVerifier<C>,
        nonce: Nonce<'_>,
    ) -> Result<Login<C>, TokenResponseError> {
        let raw = self.id_token.as_deref().ok_or(TokenResponseError::MissingMember { member: "id_token" })?;
        let id_token = verifier.verify_async(raw, nonce).await.map_err(TokenResponseError::IdTokenRefused)?;
        self.login(id_token)
    }

    fn login<C: IdClaims>(self, id_token: IdToken<C>) -> Result<Login<C>, TokenResponseError> {
        check_access_token_hash(&id_token, &self.access_token)?;
        Ok(Login { id_token, tokens: self.into_tokens() })
    }

    /// The tokens of a plain OAuth 2.0 response, for a client that did not
    /// ask for `openid`: the response must carry no ID token, since one it
    /// carried would go unverified.
    ///
    /// ```
    /// use tokenkind::client::{TokenResponse, TokenResponseError};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let oauth_body = dev.token_response().without("id_token").json();
    /// # let oidc_body = dev.token_response().json();
    /// let tokens = TokenResponse::from_json(oauth_body.as_bytes())?.without_login()?;
    /// assert_eq!(
    ///     TokenResponse::from_json(oidc_body.as_bytes())?.without_login().err(),
    ///     Some(TokenResponseError::UnexpectedIdToken),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`TokenResponseError::UnexpectedIdToken`] when it carries `id_token`.
    pub fn without_login(self) -> Result<Tokens, TokenResponseError> {
        if self.id_token.is_some() {
            return Err(TokenResponseError::UnexpectedIdToken);
        }
        Ok(self.into_tokens())
    }

    fn into_tokens(self) -> Tokens {
        Tokens {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_in: self.expires_in,
            scope: self.scope,
        }
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.access_token.token_type())
            .field("has_id_token", &self.id_token.is_some())
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl<C: IdClaims> Login<C> {
    /// The verified ID token: who logged in.
    pub fn id_token(&self) -> &IdToken<C> {
        &self.id_token
    }

    /// The access token, to send to the API.
    pub fn access_token(&self) -> &OpaqueAccessToken {
        &self.tokens.access_token
    }

    /// The tokens issued with the ID token.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The ID token and the tokens, by value.
    pub fn into_parts(self) -> (IdToken<C>, Tokens) {
        (self.id_token, self.tokens)
    }
}

impl<C: IdClaims + fmt::Debug> fmt::Debug for Login<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("id_token", &self.id_token).field("tokens", &self.tokens).finish()
    }
}

impl Tokens {
    /// The access token, to send to the API.
    pub fn access_token(&self) -> &OpaqueAccessToken {
        &self.access_token
    }

    /// The refresh token, if the response has one.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// `expires_in`: the access token's lifetime from the response's
    /// issue, if stated (RFC 6749 §5.1).
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }

    /// `scope`, as the response states it: the scopes granted when they
    /// differ from those requested (RFC 6749 §3.3, §5.1). Absent means
    /// "as requested"; the client cannot check it against the token.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The granted scopes, split on spaces (empty without `scope`).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or_default().split(' ').filter(|s| !s.is_empty())
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// `error`, when present, means the request was refused (RFC 6749 §5.2):
/// `error` and `error_description` are strings.
fn check_not_refused(m: &Members<'_>) -> Result<(), TokenResponseError> {
    let Some(error) = m.string("error")? else { return Ok(()) };
    let description = m.string("error_description")?;
    Err(TokenResponseError::Refused { error: Echo::new(&error), description: description.as_deref().map(Echo::new) })
}

/// `token_type` is required, `Bearer` or `DPoP`, compared without regard
/// to case (RFC 6749 §5.1, §7.1; RFC 9449 §5).
fn token_type(m: &Members<'_>) -> Result<TokenType, TokenResponseError> {
    let found = m.string("token_type")?.ok_or(TokenResponseError::MissingMember { member: "token_type" })?;
    if found.eq_ignore_ascii_case("Bearer") {
        Ok(TokenType::Bearer)
    } else if found.eq_ignore_ascii_case("DPoP") {
        Ok(TokenType::Dpop)
    } else {
        Err(TokenResponseError::UnsupportedTokenType { found: Echo::new(&found) })
    }
}

/// `access_token` is required, and an RFC 6750 §2.1 `b64token` (RFC 9449
/// §7.1 for DPoP): the only form an `Authorization` header can carry it in.
fn access_token(m: &Members<'_>, token_type: TokenType) -> Result<OpaqueAccessToken, TokenResponseError> {
    const EXPECTED: &str =
        "a non-empty token of letters, digits and -._~+/ with optional trailing = (RFC 6750 b64token)";
    let token = m.string("access_token")?.ok_or(TokenResponseError::MissingMember { member: "access_token" })?;
    if !is_b64token(&token) {
        return Err(TokenResponseError::MalformedMember { member: "access_token", expected: EXPECTED });
    }
    OpaqueAccessToken::new(&token, token_type)
        .ok_or(TokenResponseError::MalformedMember { member: "access_token", expected: EXPECTED })
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1).
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

/// `refresh_token`, when present, is a non-empty string of visible ASCII
/// characters and spaces (RFC 6749 §5.1, Appendix A.17).
fn refresh_token(m: &Members<'_>) -> Result<Option<RefreshToken>, TokenResponseError> {
    let Some(token) = m.string("refresh_token")? else { return Ok(None) };
    if token.is_empty() || !token.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(TokenResponseError::MalformedMember {
            member: "refresh_token",
            expected: "a non-empty string of visible ASCII characters",
        });
    }
    Ok(Some(RefreshToken::new(&token)))
}

/// `expires_in`, when present, is a non-negative integer number of seconds
/// (RFC 6749 §5.1); a string such as `"3600"` is refused, not read.
fn expires_in(m: &Members<'_>) -> Result<Option<Duration>, TokenResponseError> {
    let Some(raw) = m.get("expires_in") else { return Ok(None) };
    serde_json::from_str::<u64>(raw.get()).map(|s| Some(Duration::from_secs(s))).map_err(|_| {
        TokenResponseError::MalformedMember {
            member: "expires_in",
            expected: "a non-negative integer number of seconds",
        }
    })
}

/// The ID token's `at_hash`, when it has one, matches the access token
/// (OpenID Connect Core §3.1.3.8, §3.2.2.9). In the code flow `at_hash` is
/// optional; when present, a mismatch means the access token is not the one
/// issued with this ID token.
fn check_access_token_hash<C: IdClaims>(
    id_token: &IdToken<C>,
    access_token: &OpaqueAccessToken,
) -> Result<(), TokenResponseError> {
    if id_token.at_hash.is_none() {
        return Ok(());
    }
    id_token.verify_access_token_hash(access_token.secret()).map_err(TokenResponseError::IdTokenRefused)
}

/// The members of the response object, as raw JSON, each name once.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Members<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, TokenResponseError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let members = de.deserialize_map(MembersVisitor).map_err(|_| TokenResponseError::Malformed)?;
        de.end().map_err(|_| TokenResponseError::Malformed)?;
        let mut names: Vec<&str> = members.iter().map(|(k, _)| &**k).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(TokenResponseError::Malformed);
        }
        Ok(Self(members))
    }

    fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// A string member; any other JSON type (`null` too) is malformed.
    fn string(&self, name: &'static str) -> Result<Option<Cow<'a, str>>, TokenResponseError> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        serde_json::from_str::<Cow<'a, str>>(raw.get())
            .map(Some)
            .map_err(|_| TokenResponseError::MalformedMember { member: name, expected: "a string" })
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            members.push((name, map.next_value::<&'de RawValue>()?));
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Members<'_> {
        Members::parse(json.as_bytes()).unwrap()
    }

    fn malformed(member: &'static str, expected: &'static str) -> TokenResponseError {
        TokenResponseError::MalformedMember { member, expected }
    }

    #[test]
    fn from_json_refuses_what_is_not_one_json_object() {
        for body in ["", "[]", "\"x\"", "null", "{", r#"{"a":1} {}"#, r#"{"token_type":"Bearer","token_type":"DPoP"}"#]
        {
            assert_eq!(TokenResponse::from_json(body.as_bytes()).unwrap_err(), TokenResponseError::Malformed, "{body}");
        }
        let big = vec![b' '; MAX_RESPONSE_LEN + 1];
        assert_eq!(
            TokenResponse::from_json(&big).unwrap_err(),
            TokenResponseError::TooLarge { len: MAX_RESPONSE_LEN + 1, max: MAX_RESPONSE_LEN }
        );
    }

    #[test]
    fn check_not_refused_reports_the_error_response() {
        assert_eq!(check_not_refused(&members("{}")), Ok(()));
        assert_eq!(
            check_not_refused(&members(r#"{"error":"invalid_grant","error_description":"code expired"}"#)),
            Err(TokenResponseError::Refused {
                error: Echo::new("invalid_grant"),
                description: Some(Echo::new("code expired"))
            })
        );
        assert_eq!(check_not_refused(&members(r#"{"error":7}"#)), Err(malformed("error", "a string")));
        assert_eq!(
            check_not_refused(&members(r#"{"error":"x","error_description":null}"#)),
            Err(malformed("error_description", "a string"))
        );
    }

    #[test]
    fn token_type_is_bearer_or_dpop_in_any_case() {
        for (json, expected) in [
            (r#"{"token_type":"Bearer"}"#, TokenType::Bearer),
            (r#"{"token_type":"bearer"}"#, TokenType::Bearer),
            (r#"{"token_type":"BEARER"}"#, TokenType::Bearer),
            (r#"{"token_type":"DPoP"}"#, TokenType::Dpop),
            (r#"{"token_type":"dpop"}"#, TokenType::Dpop),
        ] {
            assert_eq!(token_type(&members(json)), Ok(expected), "{json}");
        }
        assert_eq!(token_type(&members("{}")), Err(TokenResponseError::MissingMember { member: "token_type" }));
        assert_eq!(
            token_type(&members(r#"{"token_type":"mac"}"#)),
            Err(TokenResponseError::UnsupportedTokenType { found: Echo::new("mac") })
        );
        assert_eq!(
            token_type(&members(r#"{"token_type":"N_A"}"#)),
            Err(TokenResponseError::UnsupportedTokenType { found: Echo::new("N_A") })
        );
        assert_eq!(token_type(&members(r#"{"token_type":["Bearer"]}"#)), Err(malformed("token_type", "a string")));
    }

    #[test]
    fn access_token_is_a_required_b64token() {
        let expected = "a non-empty token of letters, digits and -._~+/ with optional trailing = (RFC 6750 b64token)";
        let ok = access_token(&members(r#"{"access_token":"mF_9.B5f-4.1JqM+/=="}"#), TokenType::Bearer).unwrap();
        assert_eq!(ok.authorization_header(), "Bearer mF_9.B5f-4.1JqM+/==");
        let dpop = access_token(&members(r#"{"access_token":"Kz~8"}"#), TokenType::Dpop).unwrap();
        assert_eq!(dpop.authorization_header(), "DPoP Kz~8");
        assert_eq!(
            access_token(&members("{}"), TokenType::Bearer).unwrap_err(),
            TokenResponseError::MissingMember { member: "access_token" }
        );
        for bad in [r#""""#, r#""a b""#, r#""a\nb""#, r#""=""#, r#""a=b""#, r#""é""#] {
            let json = format!(r#"{{"access_token":{bad}}}"#);
            assert_eq!(
                access_token(&members(&json), TokenType::Bearer).unwrap_err(),
                malformed("access_token", expected),
                "{bad}"
            );
        }
        assert_eq!(
            access_token(&members(r#"{"access_token":42}"#), TokenType::Bearer).unwrap_err(),
            malformed("access_token", "a string")
        );
    }

    #[test]
    fn refresh_token_is_visible_ascii_when_present() {
        assert!(refresh_token(&members("{}")).unwrap().is_none());
        assert!(refresh_token(&members(r#"{"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}"#)).unwrap().is_some());
        let expected = malformed("refresh_token", "a non-empty string of visible ASCII characters");
        assert_eq!(refresh_token(&members(r#"{"refresh_token":""}"#)).unwrap_err(), expected);
        assert_eq!(refresh_token(&members(r#"{"refresh_token":"a\tb"}"#)).unwrap_err(), expected);
        assert_eq!(
            refresh_token(&members(r#"{"refresh_token":null}"#)).unwrap_err(),
            malformed("refresh_token", "a string")
        );
    }

    #[test]
    fn expires_in_is_a_non_negative_integer() {
        let expected = malformed("expires_in", "a non-negative integer number of seconds");
        assert_eq!(expires_in(&members("{}")), Ok(None));
        assert_eq!(expires_in(&members(r#"{"expires_in":3600}"#)), Ok(Some(Duration::from_secs(3600))));
        for bad in [r#""3600""#, "-1", "1.5", "null", "1e3", "18446744073709551616"] {
            assert_eq!(expires_in(&members(&format!(r#"{{"expires_in":{bad}}}"#))), Err(expected.clone()), "{bad}");
        }
    }

    #[test]
    fn string_members_are_never_read_as_absent() {
        assert_eq!(members(r#"{"scope":"a b"}"#).string("scope").unwrap().as_deref(), Some("a b"));
        assert_eq!(members(r#"{"scope":"a\u0020b"}"#).string("scope").unwrap().as_deref(), Some("a b"));
        assert_eq!(members(r#"{"scope":["a"]}"#).string("scope").unwrap_err(), malformed("scope", "a string"));
        assert_eq!(members(r#"{"id_token":null}"#).string("id_token").unwrap_err(), malformed("id_token", "a string"));
    }

    #[test]
    fn is_b64token_follows_rfc_6750() {
        assert!(is_b64token("abc"));
        assert!(is_b64token("a.b.c"));
        assert!(is_b64token("a=="));
        assert!(!is_b64token(""));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("a=b"));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a,b"));
    }
}
