//! Back-Channel Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4,
//! §2.6), each rule accepted and refused, and never confused with an ID
//! token in either direction.

mod common;

use common::NOW;
use serde_json::json;
use tokenkind::dev::{DevIssuer, TokenBuilder};
use tokenkind::{Error, IdTokenVerifier, LogoutTokenVerifier, NoClaims, Nonce};

fn setup() -> (DevIssuer, LogoutTokenVerifier) {
    let dev = DevIssuer::new();
    let v =
        LogoutTokenVerifier::builder(dev.issuer(), dev.client_id()).keys(dev.key_set()).clock(|| NOW).build().unwrap();
    (dev, v)
}

fn token(dev: &DevIssuer) -> TokenBuilder<'_> {
    dev.logout_token().issued_at(NOW).claim("exp", NOW + 120).session_id("08a5019c-17e1-4977-8f42-65a12843ea02")
}

#[test]
fn valid_logout_token_is_accepted() {
    let (dev, v) = setup();
    let raw = token(&dev).claim("jti", "bWJq").sign();
    let t = v.verify(&raw).unwrap();
    assert_eq!(t.issuer(), dev.issuer());
    assert!(t.audience().contains(dev.client_id()));
    assert_eq!(t.subject(), Some("dev-user"));
    assert_eq!(t.session_id(), Some("08a5019c-17e1-4977-8f42-65a12843ea02"));
    assert_eq!(t.jwt_id(), "bWJq");
    assert_eq!(t.issued_at(), NOW);
    assert_eq!(t.expires_at(), NOW + 120);
    assert_eq!(t.algorithm(), dev.algorithm());
}

#[test]
fn header_type_is_logout_jwt_or_absent() {
    let (dev, v) = setup();
    assert!(v.verify(&token(&dev).header_typ(None).sign()).is_ok());
    assert!(v.verify(&token(&dev).header_typ(Some("application/logout+jwt")).sign()).is_ok());
    for typ in ["JWT", "at+jwt", "secevent+jwt"] {
        assert_eq!(
            v.verify(&token(&dev).header_typ(Some(typ)).sign()).unwrap_err(),
            Error::WrongTokenType { expected: "logout+jwt", found: Some(echo(typ)) },
        );
    }
}

fn echo(s: &str) -> tokenkind::error::Echo {
    // An `Echo` is only made by the library; take one from a real refusal.
    let dev = DevIssuer::new();
    let v = dev.id_token_verifier::<NoClaims>().build().unwrap();
    match v.verify(&dev.id_token().claim("iss", s).sign(), Nonce::NotRequested) {
        Err(Error::WrongIssuer { found }) => found,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn an_id_token_is_never_a_logout_token() {
    let (dev, v) = setup();
    // Typed `JWT`, as ID tokens are.
    let id_token = dev.id_token().issued_at(NOW).nonce("n-0S6").sign();
    assert_eq!(
        v.verify(&id_token).unwrap_err(),
        Error::WrongTokenType { expected: "logout+jwt", found: Some(echo("JWT")) }
    );
    // Untyped: no `events`.
    let untyped = dev.id_token().issued_at(NOW).nonce("n-0S6").header_typ(None).sign();
    assert_eq!(v.verify(&untyped).unwrap_err(), Error::NotLogoutToken { reason: "it carries no `events`" });
    // With `events` added, its `nonce` still gives it away.
    let disguised = dev
        .id_token()
        .issued_at(NOW)
        .nonce("n-0S6")
        .header_typ(None)
        .claim("events", json!({"http://schemas.openid.net/event/backchannel-logout": {}}))
        .sign();
    assert_eq!(
        v.verify(&disguised).unwrap_err(),
        Error::NotLogoutToken { reason: "it carries `nonce`, as ID tokens do" }
    );
}

#[test]
fn a_logout_token_is_never_an_id_token() {
    let dev = DevIssuer::new();
    let login = dev.id_token_verifier::<NoClaims>().clock(|| NOW).build().unwrap();
    let typed = token(&dev).sign();
    assert_eq!(
        login.verify(&typed, Nonce::NotRequested).unwrap_err(),
        Error::SecurityEventToken { reason: "its header `typ` is logout+jwt" }
    );
    let untyped = token(&dev).header_typ(None).sign();
    assert_eq!(
        login.verify(&untyped, Nonce::NotRequested).unwrap_err(),
        Error::SecurityEventToken { reason: "it carries `events`" }
    );
    let _: &IdTokenVerifier = &login;
}

#[test]
fn events_must_hold_the_backchannel_logout_event() {
    let (dev, v) = setup();
    let expected = "a JSON object whose member http://schemas.openid.net/event/backchannel-logout is an object";
    assert_eq!(
        v.verify(&token(&dev).without("events").sign()).unwrap_err(),
        Error::NotLogoutToken { reason: "it carries no `events`" }
    );
    assert_eq!(
        v.verify(&token(&dev).claim("events", json!({"https://schemas.example/other": {}})).sign()).unwrap_err(),
        Error::NotLogoutToken { reason: "its `events` lack the back-channel-logout event" }
    );
    for malformed in [json!("http://schemas.openid.net/event/backchannel-logout"), json!(null), json!([])] {
        assert_eq!(
            v.verify(&token(&dev).claim("events", malformed).sign()).unwrap_err(),
            Error::MalformedClaim { claim: "events", expected }
        );
    }
    assert_eq!(
        v.verify(
            &token(&dev).claim("events", json!({"http://schemas.openid.net/event/backchannel-logout": "yes"})).sign()
        )
        .unwrap_err(),
        Error::MalformedClaim { claim: "events", expected }
    );
}

#[test]
fn nonce_is_forbidden() {
    let (dev, v) = setup();
    assert_eq!(
        v.verify(&token(&dev).nonce("n-0S6").sign()).unwrap_err(),
        Error::NotLogoutToken { reason: "it carries `nonce`, as ID tokens do" }
    );
}

#[test]
fn subject_or_session_is_required() {
    let (dev, v) = setup();
    assert_eq!(v.verify(&token(&dev).without("sid").sign()).unwrap().session_id(), None);
    assert_eq!(v.verify(&token(&dev).without("sub").sign()).unwrap().subject(), None);
    assert_eq!(
        v.verify(&token(&dev).without("sub").without("sid").sign()).unwrap_err(),
        Error::NotLogoutToken { reason: "it names neither a user (`sub`) nor a session (`sid`)" }
    );
    assert_eq!(
        v.verify(&token(&dev).claim("sid", 42).sign()).unwrap_err(),
        Error::MalformedClaim { claim: "sid", expected: "a string" }
    );
}

#[test]
fn jwt_id_is_required() {
    let (dev, v) = setup();
    assert_eq!(v.verify(&token(&dev).without("jti").sign()).unwrap_err(), Error::MissingClaim { claim: "jti" });
    assert_eq!(
        v.verify(&token(&dev).claim("jti", json!(["a"])).sign()).unwrap_err(),
        Error::MalformedClaim { claim: "jti", expected: "a string" }
    );
}

#[test]
fn issued_at_and_expiry_are_required_and_checked() {
    let (dev, v) = setup();
    assert_eq!(v.verify(&token(&dev).without("iat").sign()).unwrap_err(), Error::MissingClaim { claim: "iat" });
    assert_eq!(v.verify(&token(&dev).without("exp").sign()).unwrap_err(), Error::MissingClaim { claim: "exp" });
    assert_eq!(
        v.verify(&token(&dev).claim("exp", NOW - 61).sign()).unwrap_err(),
        Error::Expired { exp: NOW - 61, now: NOW, leeway: 60 }
    );
    assert_eq!(
        v.verify(&token(&dev).claim("iat", "now").sign()).unwrap_err(),
        Error::MalformedClaim { claim: "iat", expected: "a number of seconds since the epoch (NumericDate)" }
    );
}

#[test]
fn issuer_audience_and_signature_are_checked_as_for_id_tokens() {
    let (dev, v) = setup();
    assert_eq!(
        v.verify(&token(&dev).claim("iss", "https://evil.example").sign()).unwrap_err(),
        Error::WrongIssuer { found: echo("https://evil.example") }
    );
    assert_eq!(
        v.verify(&token(&dev).audience("another-client").sign()).unwrap_err(),
        Error::WrongAudience { expected: dev.client_id().into() }
    );
    assert_eq!(
        v.verify(&token(&dev).audience(json!([dev.client_id(), "stranger"])).sign()).unwrap_err(),
        Error::UntrustedAudience { found: echo("stranger") }
    );
    let other = DevIssuer::new();
    assert_eq!(v.verify(&token(&other).sign()).unwrap_err(), Error::UnknownKey { kid: Some(echo(other.kid())) });
    // Another key under this issuer's `kid`.
    assert_eq!(v.verify(&token(&other).kid(Some(dev.kid())).sign()).unwrap_err(), Error::BadSignature);
}

#[test]
fn trusted_audiences_are_accepted() {
    let dev = DevIssuer::new();
    let v = LogoutTokenVerifier::builder(dev.issuer(), dev.client_id())
        .keys(dev.key_set())
        .trusted_audiences(["partner"])
        .clock(|| NOW)
        .build()
        .unwrap();
    assert!(v.verify(&token(&dev).audience(json!([dev.client_id(), "partner"])).sign()).is_ok());
}

#[test]
fn builder_refuses_an_empty_client_id() {
    let dev = DevIssuer::new();
    assert_eq!(
        LogoutTokenVerifier::builder(dev.issuer(), "").keys(dev.key_set()).build().unwrap_err(),
        tokenkind::ConfigError::Empty("client ID")
    );
}

#[tokio::test]
async fn verify_async_verifies_the_same() {
    let (dev, v) = setup();
    assert_eq!(v.verify_async(&token(&dev).sign()).await.unwrap().subject(), Some("dev-user"));
    assert_eq!(
        v.verify_async(&token(&dev).nonce("n").sign()).await.unwrap_err(),
        Error::NotLogoutToken { reason: "it carries `nonce`, as ID tokens do" }
    );
}
