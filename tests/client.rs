//! The client's side: a token endpoint response read strictly and verified
//! in one step (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3, §3.1.3.8), and
//! the access token as an opaque credential.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tokenkind::client::{SendAccessToken as _, TokenResponse, TokenResponseError, TokenType};
use tokenkind::dev::DevIssuer;
use tokenkind::{Error, IdTokenVerifier, NoClaims, Nonce};

const NONCE: &str = "n-0S6_WzA2Mj";

fn setup() -> (DevIssuer, IdTokenVerifier) {
    let dev = DevIssuer::new();
    let verifier = dev.id_token_verifier::<NoClaims>().build().unwrap();
    (dev, verifier)
}

fn member(body: &str, name: &str) -> String {
    let body: Value = serde_json::from_str(body).unwrap();
    body[name].as_str().unwrap().to_owned()
}

fn read(body: &str) -> Result<TokenResponse, TokenResponseError> {
    TokenResponse::from_json(body.as_bytes())
}

#[test]
fn login_is_verified_with_its_nonce() {
    let (dev, verifier) = setup();
    let body = dev.token_response().subject("alice").scope("openid read:messages").nonce(NONCE).json();
    let login = read(&body).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap();
    assert_eq!(login.id_token().subject(), "alice");
    assert_eq!(login.id_token().nonce(), Some(NONCE));
    assert_eq!(login.access_token().token_type(), TokenType::Bearer);
    let header = login.access_token().authorization_header();
    assert_eq!(header, format!("Bearer {}", member(&body, "access_token")).as_str());
    assert!(header.is_sensitive());
    let tokens = login.tokens();
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(300)));
    assert_eq!(tokens.scope(), Some("openid read:messages"));
    assert_eq!(tokens.scopes().collect::<Vec<_>>(), ["openid", "read:messages"]);
    assert!(tokens.refresh_token().is_some());
}

#[test]
fn nothing_prints_a_token() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).json();
    let response = read(&body).unwrap();
    let unverified = format!("{response:?}");
    let login = response.verify(&verifier, Nonce::Expected(NONCE)).unwrap();
    let printed = format!("{unverified} {login:?} {:?}", login.tokens());
    for secret in ["access_token", "refresh_token", "id_token"].map(|m| member(&body, m)) {
        assert!(!printed.contains(&secret), "{printed}");
    }
    assert_eq!(format!("{:?}", login.access_token()), "OpaqueAccessToken { token_type: Bearer, .. }");
    assert_eq!(format!("{:?}", login.tokens().refresh_token().unwrap()), "RefreshToken(..)");
}

#[test]
fn missing_id_token_is_refused_when_verifying_a_login() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).without("id_token").json();
    assert_eq!(
        read(&body).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap_err(),
        TokenResponseError::MissingMember { member: "id_token" }
    );
}

#[test]
fn nonce_mismatch_is_refused() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).json();
    assert_eq!(
        read(&body).unwrap().verify(&verifier, Nonce::Expected("another")).unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::NonceMismatch)
    );
    let without = dev.token_response().json();
    assert_eq!(
        read(&without).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::NonceMismatch)
    );
}

#[test]
fn check_access_token_hash() {
    let (dev, verifier) = setup();
    // Another access token than the one the ID token was issued with.
    let other = dev.access_token().sign();
    let swapped = dev.token_response().nonce(NONCE).member("access_token", other.clone()).json();
    assert_eq!(
        read(&swapped).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::AccessTokenHashMismatch)
    );
    // `at_hash` is optional in the code flow: without it, nothing to compare.
    let unhashed = dev.token_response().nonce(NONCE).without_access_token_hash().member("access_token", other).json();
    assert!(read(&unhashed).unwrap().verify(&verifier, Nonce::Expected(NONCE)).is_ok());
}

#[test]
fn other_token_kinds_are_refused_as_the_id_token() {
    let (dev, verifier) = setup();
    let logout = dev.logout_token().sign();
    let body = dev.token_response().member("id_token", logout).without_access_token_hash().json();
    assert_eq!(
        read(&body).unwrap().verify(&verifier, Nonce::NotRequested).unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::SecurityEventToken { reason: "its header `typ` is logout+jwt" })
    );
    let access = dev.access_token().sign();
    let body = dev.token_response().member("id_token", access).json();
    assert_eq!(
        read(&body).unwrap().verify(&verifier, Nonce::NotRequested).unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::AccessTokenAsIdToken { reason: "its header `typ` is at+jwt" })
    );
}

#[test]
fn without_login_refuses_an_id_token() {
    let (dev, _) = setup();
    assert_eq!(
        read(&dev.token_response().json()).unwrap().without_login().unwrap_err(),
        TokenResponseError::UnexpectedIdToken
    );
    let tokens = read(&dev.token_response().without("id_token").json()).unwrap().without_login().unwrap();
    assert_eq!(tokens.access_token().token_type(), TokenType::Bearer);
}

#[test]
fn token_type_is_compared_without_case_and_limited_to_bearer_and_dpop() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).member("token_type", "dpop").json();
    let login = read(&body).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap();
    assert_eq!(login.access_token().token_type(), TokenType::Dpop);
    assert_eq!(login.access_token().authorization_header(), format!("DPoP {}", member(&body, "access_token")).as_str());
    // The proof of a DPoP-bound token names it by hash (RFC 9449 §4.2).
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, member(&body, "access_token").as_bytes());
    assert_eq!(
        login.access_token().dpop_ath(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    );
    let bearer = dev.token_response().member("token_type", "BEARER").json();
    assert_eq!(read(&bearer).unwrap().without_login().err(), Some(TokenResponseError::UnexpectedIdToken));
    match read(&dev.token_response().member("token_type", "mac").json()) {
        Err(TokenResponseError::UnsupportedTokenType { found }) => assert_eq!(found.as_str(), "mac"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        read(&dev.token_response().without("token_type").json()).unwrap_err(),
        TokenResponseError::MissingMember { member: "token_type" }
    );
}

#[test]
fn members_of_the_wrong_type_are_errors_naming_them() {
    let (dev, _) = setup();
    for (name, value, expected) in [
        ("expires_in", json!("300"), "a non-negative integer number of seconds"),
        ("expires_in", json!(-5), "a non-negative integer number of seconds"),
        ("scope", json!(["openid"]), "a string"),
        ("id_token", json!(null), "a string"),
        ("refresh_token", json!(1), "a string"),
        ("token_type", json!(true), "a string"),
        ("access_token", json!({"jwt": "x"}), "a string"),
    ] {
        assert_eq!(
            read(&dev.token_response().member(name, value.clone()).json()).unwrap_err(),
            TokenResponseError::MalformedMember { member: name, expected },
            "{name}: {value}"
        );
    }
}

#[test]
fn an_error_response_is_reported() {
    match read(r#"{"error":"invalid_grant","error_description":"the code was already used"}"#) {
        Err(TokenResponseError::Refused { error, description }) => {
            assert_eq!(error.as_str(), "invalid_grant");
            assert_eq!(description.as_ref().map(tokenkind::error::Echo::as_str), Some("the code was already used"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn verify_async_verifies_the_same() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).json();
    let login = read(&body).unwrap().verify_async(&verifier, Nonce::Expected(NONCE)).await.unwrap();
    assert_eq!(login.id_token().subject(), "dev-user");
    assert_eq!(
        read(&body).unwrap().verify_async(&verifier, Nonce::Expected("x")).await.unwrap_err(),
        TokenResponseError::IdTokenRefused(Error::NonceMismatch)
    );
}

#[test]
fn reqwest_requests_carry_the_sensitive_header() {
    let (dev, verifier) = setup();
    let body = dev.token_response().nonce(NONCE).json();
    let login = read(&body).unwrap().verify(&verifier, Nonce::Expected(NONCE)).unwrap();
    let request =
        reqwest::Client::new().get("http://127.0.0.1:1/api").access_token(login.access_token()).build().unwrap();
    let header = &request.headers()[reqwest::header::AUTHORIZATION];
    assert_eq!(header, format!("Bearer {}", member(&body, "access_token")).as_str());
    assert!(header.is_sensitive());
    assert_eq!(tokenkind::client::authorization(login.access_token()), header);
}
