//! The tokens a client holds but never reads: the access token, whose only
//! use is to be sent to an API, and the refresh token, whose only use is to
//! be sent back to the token endpoint.

use core::fmt;

use base64::Engine as _;
use http::HeaderValue;

/// How the access token must be presented (RFC 6749 §7.1): the response's
/// `token_type`, compared without regard to case.
///
/// ```
/// use tokenkind::client::{TokenResponse, TokenType};
/// let tokens = TokenResponse::from_json(br#"{"access_token":"Kz~8","token_type":"dpop"}"#)?.without_login()?;
/// assert_eq!(tokens.access_token().token_type(), TokenType::Dpop);
/// assert_eq!(tokens.access_token().authorization_header(), "DPoP Kz~8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `Bearer` (RFC 6750): whoever holds the token may use it.
    Bearer,
    /// `DPoP` (RFC 9449 §5): the token is bound to the client's DPoP key;
    /// each request also needs a DPoP proof signed with that key.
    Dpop,
}

impl TokenType {
    /// The `Authorization` scheme: `Bearer` or `DPoP`.
    ///
    /// ```
    /// assert_eq!(tokenkind::client::TokenType::Dpop.scheme(), "DPoP");
    /// ```
    pub const fn scheme(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Dpop => "DPoP",
        }
    }
}

/// An access token as its client holds it: an opaque credential for an API.
///
/// A client must not interpret an access token ("your client application
/// should treat access tokens as opaque strings"): its format belongs to
/// the authorization server and the API, and may change. So this type has
/// no claims, no decoding, no string view (`Deref`, `AsRef<str>`,
/// `Display`) and a redacted `Debug`. It is not the API's
/// [`AccessToken`](crate::AccessToken), which only an API's verifier makes,
/// and neither converts into the other.
///
/// It is obtained only from a verified [`TokenResponse`](super::TokenResponse),
/// and its only use is to be sent: [`authorization_header`](Self::authorization_header),
/// or [`SendAccessToken`](super::SendAccessToken) with reqwest.
///
/// ```
/// # use tokenkind::client::{TokenResponse, TokenType};
/// # use tokenkind::{NoClaims, Nonce};
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
/// # let body = dev.token_response().nonce("n").json();
/// let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
/// let token = login.access_token();
/// assert_eq!(token.token_type(), TokenType::Bearer);
/// assert_eq!(format!("{token:?}"), "OpaqueAccessToken { token_type: Bearer, .. }");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct OpaqueAccessToken {
    token: Box<str>,
    token_type: TokenType,
    header: HeaderValue,
}

impl OpaqueAccessToken {
    /// Built by the response parser, which has checked that `token` is an
    /// RFC 6750 `b64token`, so the header value is valid.
    pub(super) fn new(token: &str, token_type: TokenType) -> Option<Self> {
        let mut header = HeaderValue::try_from(format!("{} {token}", token_type.scheme())).ok()?;
        header.set_sensitive(true);
        Some(Self { token: token.into(), token_type, header })
    }

    /// How the token must be presented.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The `Authorization` header value that presents the token:
    /// `Bearer <token>` (RFC 6750 §2.1) or `DPoP <token>` (RFC 9449 §7.1,
    /// sent with a DPoP proof). Marked sensitive, so HTTP libraries keep it
    /// out of their logs.
    ///
    /// ```
    /// # use tokenkind::client::TokenResponse;
    /// # use tokenkind::{NoClaims, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
    /// # let body = dev.token_response().nonce("n").json();
    /// # let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
    /// let request = http::Request::get("https://api.example/api/messages")
    ///     .header(http::header::AUTHORIZATION, login.access_token().authorization_header())
    ///     .body(())?;
    /// assert!(request.headers()[http::header::AUTHORIZATION].is_sensitive());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorization_header(&self) -> HeaderValue {
        self.header.clone()
    }

    /// The `ath` claim of a DPoP proof sent with this token (RFC 9449
    /// §4.2): base64url of the SHA-256 of the token. A DPoP-bound token
    /// ([`TokenType::Dpop`]) is accepted only with a proof that names it
    /// this way; the hash does not reveal the token.
    ///
    /// ```
    /// use tokenkind::client::TokenResponse;
    /// let tokens = TokenResponse::from_json(br#"{"access_token":"Kz~8qTg","token_type":"DPoP"}"#)?.without_login()?;
    /// assert_eq!(tokens.access_token().dpop_ath(), "4sv2QBO6ua7jeDqtD4pB_8fopN2Q1wxRdnM3n51YM04");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dpop_ath(&self) -> String {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    }

    /// The token itself, for the `at_hash` check; never public.
    pub(super) fn secret(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for OpaqueAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpaqueAccessToken").field("token_type", &self.token_type).finish_non_exhaustive()
    }
}

/// A refresh token (RFC 6749 §1.5, §6): opaque like the access token, and
/// sent only to the token endpoint that issued it, never to an API (it is
/// not an [`ApiCredential`]): its one use is
/// [`refresh_request_body`](Self::refresh_request_body) (or oauth2's refresh
/// request). No string view; `Debug` is redacted.
///
/// ```
/// # use tokenkind::client::TokenResponse;
/// # use tokenkind::{NoClaims, Nonce};
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
/// # let body = dev.token_response().nonce("n").json();
/// let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
/// let refresh = login.tokens().refresh_token().expect("the response has one");
/// assert_eq!(format!("{refresh:?}"), "RefreshToken(..)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RefreshToken(Box<str>);

impl RefreshToken {
    pub(super) fn new(token: &str) -> Self {
        Self(token.into())
    }

    /// The body of a refresh request to the token endpoint that issued the
    /// token (RFC 6749 §6), `application/x-www-form-urlencoded`:
    /// `grant_type=refresh_token&refresh_token=…`, and `scope` when given
    /// (at most what was granted). Authenticate the client as for the code
    /// exchange; the answer is a [`TokenResponse`](super::TokenResponse).
    ///
    /// ```
    /// # use tokenkind::client::TokenResponse;
    /// # use tokenkind::{NoClaims, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
    /// # let body = dev.token_response().nonce("n").json();
    /// # let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
    /// let body = login.tokens().refresh_token().unwrap().refresh_request_body(Some("read:messages"));
    /// assert!(body.starts_with("grant_type=refresh_token&refresh_token="));
    /// assert!(body.ends_with("&scope=read%3Amessages"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh_request_body(&self, scope: Option<&str>) -> String {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("grant_type", "refresh_token").append_pair("refresh_token", &self.0);
        if let Some(scope) = scope {
            body.append_pair("scope", scope);
        }
        body.finish()
    }

    /// The token for [`oauth2`'s refresh request](::oauth2::Client::exchange_refresh_token),
    /// as oauth2's own secret type (its `Debug` is redacted too).
    ///
    /// ```
    /// # use tokenkind::client::TokenResponse;
    /// # use tokenkind::{NoClaims, Nonce};
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
    /// # let body = dev.token_response().nonce("n").json();
    /// # let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
    /// let refresh: oauth2::RefreshToken = login.tokens().refresh_token().unwrap().to_oauth2();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "oauth2")]
    pub fn to_oauth2(&self) -> ::oauth2::RefreshToken {
        ::oauth2::RefreshToken::new(self.0.to_string())
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

mod sealed {
    pub trait Sealed {
        fn header_value(&self) -> http::HeaderValue;
    }
}

/// What a client may send to an API as its credential: only the access
/// token of a token response ([`OpaqueAccessToken`]). Sealed: an ID token,
/// a refresh token or a string never is one.
///
/// ```
/// use tokenkind::client::ApiCredential;
/// fn call_api(credential: &impl ApiCredential) { /* … */ }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a credential for an API",
    label = "this cannot be sent to an API",
    note = "an ID token proves who logged in to this client; it is not meant for any API and has no way to become an `Authorization` header: send the access token of the same token response (`Login::access_token`)"
)]
pub trait ApiCredential: sealed::Sealed {}

impl sealed::Sealed for OpaqueAccessToken {
    fn header_value(&self) -> HeaderValue {
        self.authorization_header()
    }
}

impl ApiCredential for OpaqueAccessToken {}

/// The `Authorization` header value for `credential` (see
/// [`OpaqueAccessToken::authorization_header`]), for code generic over
/// [`ApiCredential`].
///
/// ```
/// # use tokenkind::client::TokenResponse;
/// # use tokenkind::{NoClaims, Nonce};
/// # let dev = tokenkind::dev::DevIssuer::new();
/// # let verifier = dev.id_token_verifier::<NoClaims>().build()?;
/// # let body = dev.token_response().nonce("n").json();
/// # let login = TokenResponse::from_json(body.as_bytes())?.verify(&verifier, Nonce::Expected("n"))?;
/// let header = tokenkind::client::authorization(login.access_token());
/// assert!(header.is_sensitive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorization<T: ApiCredential + ?Sized>(credential: &T) -> HeaderValue {
    credential.header_value()
}

/// Sends an [`ApiCredential`] with a reqwest request (feature `remote`).
///
/// ```no_run
/// use tokenkind::client::SendAccessToken as _;
/// # async fn f(login: tokenkind::client::Login) -> Result<(), reqwest::Error> {
/// let messages = reqwest::Client::new()
///     .get("https://api.example/api/messages")
///     .access_token(login.access_token())
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "remote")]
pub trait SendAccessToken: sealed_builder::Sealed {
    /// Adds the `Authorization` header presenting `credential` (marked sensitive).
    #[must_use]
    fn access_token<T: ApiCredential + ?Sized>(self, credential: &T) -> Self;
}

#[cfg(feature = "remote")]
mod sealed_builder {
    pub trait Sealed {}
    impl Sealed for reqwest::RequestBuilder {}
}

#[cfg(feature = "remote")]
impl SendAccessToken for reqwest::RequestBuilder {
    fn access_token<T: ApiCredential + ?Sized>(self, credential: &T) -> Self {
        self.header(http::header::AUTHORIZATION, credential.header_value())
    }
}
