//! The authorization-code exchange with the [oauth2](https://docs.rs/oauth2/5) crate
//! (feature `oauth2`): oauth2 builds the authorization URL (PKCE, `state`)
//! and sends the token request (client authentication, `code_verifier`,
//! `redirect_uri`); tokenkind reads the answer into a [`TokenResponse`],
//! which hands the tokens out only once the ID token is verified.
//!
//! oauth2's own token response types are not used: they give the access
//! token's text to anyone (`secret()`) and ignore the ID token. So
//! [`exchange_code`] lets oauth2 send the request through a
//! [`ReqwestClient`] (reqwest 0.13, the one tokenkind's `remote` feature
//! uses), keeps the answer for [`TokenResponse::from_json`], and gives
//! oauth2 none of it. With another HTTP client, send oauth2's request
//! yourself and give the body to [`TokenResponse::from_json`].
//!
//! ```no_run
//! use oauth2::basic::BasicClient;
//! use oauth2::{AuthUrl, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl, TokenUrl};
//! use tokenkind::client::oauth2::{ReqwestClient, exchange_code};
//! use tokenkind::{IdTokenVerifier, NoClaims, Nonce};
//!
//! # async fn callback(code: String, pkce_verifier: PkceCodeVerifier, nonce: String) -> Result<(), Box<dyn std::error::Error>> {
//! let client = BasicClient::new(ClientId::new("web-app".into()))
//!     .set_client_secret(ClientSecret::new("secret".into()))
//!     .set_auth_uri(AuthUrl::new("https://issuer.example/authorize".into())?)
//!     .set_token_uri(TokenUrl::new("https://issuer.example/token".into())?)
//!     .set_redirect_uri(RedirectUrl::new("https://app.example/callback".into())?);
//! let verifier = IdTokenVerifier::<NoClaims>::builder("https://issuer.example", "web-app").discovery().build()?;
//!
//! let http = ReqwestClient::new(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?);
//! let request = client.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(pkce_verifier);
//! let login = exchange_code(request, &http).await?.verify_async(&verifier, Nonce::Expected(&nonce)).await?;
//! println!("hello, {}", login.id_token().subject());
//! # Ok(()) }
//! ```

use core::fmt;
use core::pin::Pin;
use std::sync::{Mutex, PoisonError};

use ::oauth2::{AsyncHttpClient, CodeTokenRequest, ErrorResponse, HttpRequest, HttpResponse};

use super::{TokenResponse, TokenResponseError};

/// Why an authorization-code exchange failed.
///
/// ```
/// use tokenkind::client::TokenResponseError;
/// use tokenkind::client::oauth2::ExchangeError;
/// let status = ExchangeError::Status(502);
/// assert_eq!(status.to_string(), "the token endpoint answered with status 502");
/// let refused = ExchangeError::Response(TokenResponseError::MissingMember { member: "token_type" });
/// assert_eq!(refused.to_string(), "the token response lacks the member `token_type`");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// oauth2 could not build the request (for instance a token URL it refuses).
    #[error("the token request could not be built: {0}")]
    Request(String),
    /// The request could not be sent, or its answer read.
    #[error("the token request failed: {0}")]
    Http(#[source] reqwest::Error),
    /// The token endpoint answered with a status other than 200 and no
    /// RFC 6749 §5.2 error body.
    #[error("the token endpoint answered with status {0}")]
    Status(u16),
    /// The answer is not a token response tokenkind accepts, or an error
    /// response ([`TokenResponseError::Refused`]).
    #[error(transparent)]
    Response(TokenResponseError),
}

/// Sends `request` with oauth2 through `http_client` and reads the answer
/// with [`TokenResponse::from_json`]: a 200 answer must be a token
/// response; any other status is read for an RFC 6749 §5.2 error
/// ([`TokenResponseError::Refused`]), else reported as
/// [`ExchangeError::Status`]. See the [module](self) for the whole flow.
///
/// ```no_run
/// # use oauth2::basic::BasicClient;
/// # use oauth2::{AuthorizationCode, ClientId, TokenUrl};
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let client = BasicClient::new(ClientId::new("web-app".into()))
///     .set_token_uri(TokenUrl::new("https://issuer.example/token".into())?);
/// let http = tokenkind::client::oauth2::ReqwestClient::new(reqwest::Client::new());
/// let response =
///     tokenkind::client::oauth2::exchange_code(client.exchange_code(AuthorizationCode::new("code".into())), &http).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// An [`ExchangeError`].
pub async fn exchange_code<TE, TR>(
    request: CodeTokenRequest<'_, TE, TR>,
    http_client: &ReqwestClient,
) -> Result<TokenResponse, ExchangeError>
where
    TE: ErrorResponse + 'static,
    TR: ::oauth2::TokenResponse,
{
    let keeper = Keeper { client: http_client.clone(), kept: Mutex::new(None) };
    let oauth2_result = request.request_async(&keeper).await;
    match keeper.kept.into_inner().unwrap_or_else(PoisonError::into_inner) {
        None => {
            Err(ExchangeError::Request(oauth2_result.err().map_or_else(|| "it was not sent".into(), |e| e.to_string())))
        }
        Some(Err(e)) => Err(ExchangeError::Http(e)),
        Some(Ok(response)) => read_answer(&response),
    }
}

/// The HTTP client oauth2 calls: it sends the request and keeps the
/// answer, and gives oauth2 an empty one, so oauth2 never holds the tokens.
struct Keeper {
    client: ReqwestClient,
    kept: Mutex<Option<Result<HttpResponse, reqwest::Error>>>,
}

impl<'c> AsyncHttpClient<'c> for Keeper {
    type Error = NeverFails;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, NeverFails>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let answer = self.client.send(request).await;
            *self.kept.lock().unwrap_or_else(PoisonError::into_inner) = Some(answer);
            Ok(HttpResponse::new(Vec::new()))
        })
    }
}

/// A 200 answer is a token response; another status carries an error
/// response or is reported by its status (RFC 6749 §5.1, §5.2).
fn read_answer(response: &HttpResponse) -> Result<TokenResponse, ExchangeError> {
    let parsed = TokenResponse::from_json(response.body());
    if response.status() == http::StatusCode::OK {
        return parsed.map_err(ExchangeError::Response);
    }
    match parsed {
        Err(refused @ TokenResponseError::Refused { .. }) => Err(ExchangeError::Response(refused)),
        _ => Err(ExchangeError::Status(response.status().as_u16())),
    }
}

/// The error of the stand-in client oauth2 calls; never made.
#[derive(Debug)]
enum NeverFails {}

impl fmt::Display for NeverFails {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl std::error::Error for NeverFails {}

/// oauth2's HTTP client over reqwest 0.13, so a tokenkind client needs no
/// second reqwest (oauth2's own is 0.12). Bodies are read up to
/// [`MAX_RESPONSE_LEN`](super::MAX_RESPONSE_LEN) + 1 bytes: a longer one
/// is cut there, and [`TokenResponse::from_json`] refuses it as too large.
/// Build the reqwest client without redirects (`redirect::Policy::none()`):
/// a token endpoint has no reason to redirect (RFC 6749 §3.2).
#[derive(Clone, Debug)]
pub struct ReqwestClient(reqwest::Client);

impl ReqwestClient {
    /// Wraps `client`.
    ///
    /// ```
    /// let http = tokenkind::client::oauth2::ReqwestClient::new(reqwest::Client::new());
    /// ```
    pub fn new(client: reqwest::Client) -> Self {
        Self(client)
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
        let (parts, body) = request.into_parts();
        let mut response =
            self.0.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
        let mut answer = http::Response::builder().status(response.status());
        if let Some(headers) = answer.headers_mut() {
            *headers = core::mem::take(response.headers_mut());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            let room = (super::MAX_RESPONSE_LEN + 1).saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room <= chunk.len() {
                break;
            }
        }
        // The parts come from a valid response; a failure leaves an empty 500.
        Ok(answer.body(body).unwrap_or_else(|_| {
            let mut empty = HttpResponse::new(Vec::new());
            *empty.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            empty
        }))
    }
}

impl<'c> AsyncHttpClient<'c> for ReqwestClient {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        let mut response = HttpResponse::new(body.as_bytes().to_vec());
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }

    #[test]
    fn read_answer_reads_errors_and_statuses() {
        let refused = read_answer(&answer(400, r#"{"error":"invalid_grant"}"#)).unwrap_err();
        assert!(matches!(
            refused,
            ExchangeError::Response(TokenResponseError::Refused { ref error, description: None }) if error.as_str() == "invalid_grant"
        ));
        assert!(matches!(read_answer(&answer(502, "<html>")), Err(ExchangeError::Status(502))));
        assert!(matches!(
            read_answer(&answer(200, "<html>")),
            Err(ExchangeError::Response(TokenResponseError::Malformed))
        ));
        assert!(read_answer(&answer(200, r#"{"access_token":"a","token_type":"Bearer"}"#)).is_ok());
    }
}
