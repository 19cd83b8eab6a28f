//! The client's side of a login: the token endpoint's response (RFC 6749
//! §5.1, OpenID Connect Core §3.1.3.3), parsed strictly and verified in one
//! step, and the access token as an opaque credential. Enabled by the
//! `client` feature.
//!
//! A client reads the ID token (who logged in) and must treat the access
//! token as an opaque string it only sends to the API. So the two come out
//! of a [`TokenResponse`] together, and only through
//! [`TokenResponse::verify`]: the ID token verified with the nonce the
//! client sent, its `at_hash` checked against the access token when it
//! carries one, and the access token an [`OpaqueAccessToken`], which has no
//! claims, no string view and a redacted `Debug`. Its one use is to be sent:
//! as an `Authorization` header value ([`OpaqueAccessToken::authorization_header`])
//! or with reqwest ([`SendAccessToken`], with the `remote` feature).
//!
//! ```
//! use tokenkind::client::TokenResponse;
//! use tokenkind::{IdTokenVerifier, NoClaims, Nonce};
//! # let dev = tokenkind::dev::DevIssuer::new();
//!
//! let login_verifier = IdTokenVerifier::<NoClaims>::builder(dev.issuer(), dev.client_id())
//!     .keys(dev.key_set())
//!     .build()?;
//! // The body of the token endpoint's answer to the authorization code.
//! # let body = dev.token_response().nonce("n-0S6_WzA2Mj").json();
//! let login = TokenResponse::from_json(body.as_bytes())?.verify(&login_verifier, Nonce::Expected("n-0S6_WzA2Mj"))?;
//!
//! assert_eq!(login.id_token().subject(), "dev-user");
//! let header = login.access_token().authorization_header(); // `Bearer …`, marked sensitive
//! assert!(header.is_sensitive());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod credential;
#[cfg(feature = "oauth2")]
pub mod oauth2;
mod response;

#[cfg(feature = "remote")]
pub use self::credential::SendAccessToken;
pub use self::credential::{ApiCredential, OpaqueAccessToken, RefreshToken, TokenType, authorization};
pub use self::response::{Login, MAX_RESPONSE_LEN, TokenResponse, TokenResponseError, Tokens};
