//! Step-up authentication (RFC 9470): `acr`, `amr` and `auth_time` on the
//! access token, `#[requires_auth]` guards with the verifier's clock and
//! leeway, and the `insufficient_user_authentication` challenge.

mod common;

use common::{Api, NOW};
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::http::{HttpRequest, Rejection, ResourceServer};
use tokenkind::scope::{All, AnyBinding, User};
use tokenkind::step_up::{AuthenticatedWithin, StepUp};
use tokenkind::{AccessToken, AccessTokenVerifier, AcrValues, Error, ErrorCode, Scoped, Scopes, requires_auth};
use tokenkind_suite::messages::{acr_acr, api_scope};

#[derive(AcrValues)]
enum Level {
    #[acr("urn:example:pwd")]
    Password,
    #[acr("urn:example:mfa")]
    Mfa,
    #[acr("urn:example:hwk")]
    HardwareKey,
}

#[derive(Scopes)]
#[scopes(acr = Level)]
enum Bank {
    #[scope("transfer")]
    Transfer,
}

fn verifier<S: Scopes>(dev: &DevIssuer, leeway: u64) -> AccessTokenVerifier<S> {
    dev.access_token_verifier::<S>().clock(|| NOW).leeway(std::time::Duration::from_secs(leeway)).build().unwrap()
}

#[test]
fn access_tokens_expose_acr_amr_and_auth_time_typed() {
    let dev = DevIssuer::new();
    let v = verifier::<Api>(&dev, 60);
    let raw = dev
        .access_token()
        .issued_at(NOW)
        .claim("acr", "mfa")
        .claim("amr", json!(["pwd", "otp"]))
        .claim("auth_time", NOW - 5);
    let t = v.verify(&raw.sign()).unwrap();
    assert_eq!(t.acr(), Some("mfa"));
    assert_eq!(t.amr().unwrap().collect::<Vec<_>>(), ["pwd", "otp"]);
    assert_eq!(t.auth_time(), Some(NOW - 5));
    let none = v.verify(&dev.access_token().issued_at(NOW).sign()).unwrap();
    assert_eq!((none.acr(), none.amr().is_none(), none.auth_time()), (None, true, None));
    for (claim, value, expected) in [
        ("acr", json!(2), "a string"),
        ("amr", json!("pwd"), "an array of strings"),
        ("auth_time", json!("recently"), "a number of seconds since the epoch (NumericDate)"),
    ] {
        let err = v.verify(&dev.access_token().issued_at(NOW).claim(claim, value).sign()).unwrap_err();
        assert_eq!(err, Error::MalformedClaim { claim, expected });
    }
}

#[requires_auth(acr = "urn:example:mfa")]
fn strong(_token: AccessToken<Bank>) -> u8 {
    1
}

#[requires_auth(acr = any("urn:example:mfa", "urn:example:hwk"), max_age = 600)]
fn strong_recent(_token: AccessToken<Bank>) -> u8 {
    2
}

#[requires_auth(max_age = 300)]
fn recent(token: AccessToken<Api>) -> u8 {
    let _: AuthenticatedWithin<'_, 300> = token.authenticated_within();
    3
}

fn bank(acr: Option<&str>, auth_time: Option<i64>, leeway: u64) -> AccessToken<Bank> {
    let dev = DevIssuer::new();
    let mut raw = dev.access_token().issued_at(NOW);
    if let Some(acr) = acr {
        raw = raw.claim("acr", acr);
    }
    if let Some(at) = auth_time {
        raw = raw.claim("auth_time", at);
    }
    verifier::<Bank>(&dev, leeway).verify(&raw.sign()).unwrap()
}

fn required(err: &Error) -> (Vec<&'static str>, Option<u64>) {
    let Error::InsufficientUserAuthentication { required } = err else { panic!("{err:?}") };
    (required.acr_values().collect(), required.max_age())
}

#[test]
fn acr_must_be_one_of_the_declared_values_the_guard_names() {
    assert_eq!(Scoped::check(bank(Some("urn:example:mfa"), None, 60)).map(strong).unwrap(), 1);
    for acr in [Some("urn:example:pwd"), Some("URN:EXAMPLE:MFA"), Some("unknown"), None] {
        let err = Scoped::check(bank(acr, None, 60)).map(strong).unwrap_err();
        assert_eq!(required(&err), (vec!["urn:example:mfa"], None), "{acr:?}");
        assert_eq!(err.code(), ErrorCode::InsufficientUserAuthentication);
    }
    assert_eq!(Scoped::check(bank(Some("urn:example:hwk"), Some(NOW - 600), 0)).map(strong_recent).unwrap(), 2);
}

#[test]
fn max_age_is_checked_against_auth_time_with_the_verifiers_clock_and_leeway() {
    // 600 s with 60 s of leeway: 660 s ago passes, 661 s ago does not.
    assert!(Scoped::check(bank(Some("urn:example:mfa"), Some(NOW - 660), 60)).map(strong_recent).is_ok());
    let err = Scoped::check(bank(Some("urn:example:mfa"), Some(NOW - 661), 60)).map(strong_recent).unwrap_err();
    assert_eq!(required(&err), (vec![], Some(600)));
    // Without leeway, exactly 600 s passes and 601 s does not.
    assert!(Scoped::check(bank(Some("urn:example:mfa"), Some(NOW - 600), 0)).map(strong_recent).is_ok());
    assert!(Scoped::check(bank(Some("urn:example:mfa"), Some(NOW - 601), 0)).map(strong_recent).is_err());
    // A login in the future beyond the leeway is not recent: it is wrong.
    let err = Scoped::check(bank(Some("urn:example:mfa"), Some(NOW + 61), 60)).map(strong_recent).unwrap_err();
    assert_eq!(required(&err), (vec![], Some(600)));
    // Missing `auth_time`, and both failing: both are asked for.
    let err = Scoped::check(bank(Some("urn:example:mfa"), None, 60)).map(strong_recent).unwrap_err();
    assert_eq!(required(&err), (vec![], Some(600)));
    let err = Scoped::check(bank(None, None, 60)).map(strong_recent).unwrap_err();
    assert_eq!(required(&err), (vec!["urn:example:mfa", "urn:example:hwk"], Some(600)));
    assert_eq!(
        err.to_string(),
        "the user's authentication is insufficient: the operation requires acr one of urn:example:mfa, \
         urn:example:hwk and an authentication at most 600 s old"
    );
    // Extreme values never overflow.
    assert!(Scoped::check(bank(Some("urn:example:mfa"), Some(i64::MIN + 1), 300)).map(strong_recent).is_err());
}

#[test]
fn max_age_alone_needs_no_acr_enum() {
    let dev = DevIssuer::new();
    let v = verifier::<Api>(&dev, 60);
    let fresh = v.verify(&dev.access_token().issued_at(NOW).claim("auth_time", NOW - 30).sign()).unwrap();
    assert_eq!(Scoped::check(fresh).map(recent).unwrap(), 3);
}

type DeleteAll = Scoped<
    AccessToken<Api>,
    All<(api_scope::DeleteMessages, ())>,
    AnyBinding,
    User<All<()>, StepUp<All<(acr_acr::Mfa, ())>, 300>>,
>;

async fn authorize(server: &ResourceServer<Api>, token: &str) -> Result<DeleteAll, Rejection> {
    let auth = format!("Bearer {token}");
    server.authorize(&HttpRequest::new("DELETE", "/api/messages").header("authorization", auth.as_bytes())).await
}

#[tokio::test]
async fn insufficient_authentication_is_the_rfc_9470_challenge() {
    let dev = DevIssuer::new();
    let server = ResourceServer::builder(verifier::<Api>(&dev, 60)).realm("messages").build().unwrap();
    let deleter = || dev.access_token().issued_at(NOW).scope("delete:messages");
    let challenge = |r: &Rejection| r.headers().into_iter().find(|(h, _)| *h == "WWW-Authenticate").map(|(_, v)| v);

    let no_acr = authorize(&server, &deleter().claim("auth_time", NOW).sign()).await.unwrap_err();
    assert_eq!(no_acr.status(), 401);
    assert_eq!(no_acr.error_code(), Some(ErrorCode::InsufficientUserAuthentication));
    assert_eq!(
        challenge(&no_acr).unwrap(),
        "Bearer realm=\"messages\", error=\"insufficient_user_authentication\", \
         error_description=\"a different authentication level is required\", acr_values=\"mfa\""
    );
    let old =
        authorize(&server, &deleter().claim("acr", "mfa").claim("auth_time", NOW - 361).sign()).await.unwrap_err();
    assert_eq!(
        challenge(&old).unwrap(),
        "Bearer realm=\"messages\", error=\"insufficient_user_authentication\", \
         error_description=\"more recent authentication is required\", max_age=\"300\""
    );
    let neither = authorize(&server, &deleter().sign()).await.unwrap_err();
    assert_eq!(
        challenge(&neither).unwrap(),
        "Bearer realm=\"messages\", error=\"insufficient_user_authentication\", \
         error_description=\"a different and more recent authentication is required\", acr_values=\"mfa\", max_age=\"300\""
    );
    assert_eq!(
        neither.body().bytes,
        br#"{"error":"insufficient_user_authentication","error_description":"a different and more recent authentication is required"}"#
    );
    // Order: a missing scope is told first (the user logging in again would not help).
    let reader =
        authorize(&server, &dev.access_token().issued_at(NOW).scope("read:messages").sign()).await.unwrap_err();
    assert_eq!((reader.status(), reader.error_code()), (403, Some(ErrorCode::InsufficientScope)));

    let ok = authorize(&server, &deleter().claim("acr", "mfa").claim("auth_time", NOW - 360).sign()).await.unwrap();
    let _: AuthenticatedWithin<'_, 300> = ok.authenticated_within();
    assert_eq!(ok.acr(), Some("mfa"));
}
