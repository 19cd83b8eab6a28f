//! ID-token defaults (OpenID Connect Core §3.1.3.7), each accepted and refused.

mod common;

use std::time::Duration;

use common::{Api, NOW};
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::{Error, IdClaims, IdToken, IdTokenVerifier, NoClaims, Nonce};

fn setup() -> (DevIssuer, IdTokenVerifier) {
    let dev = DevIssuer::new();
    let v = dev.id_token_verifier::<NoClaims>().clock(|| NOW).build().unwrap();
    (dev, v)
}

fn token(dev: &DevIssuer) -> tokenkind::dev::TokenBuilder<'_> {
    dev.id_token().issued_at(NOW).nonce("n-0S6")
}

#[test]
fn valid_id_token_is_accepted() {
    let (dev, v) = setup();
    let t: IdToken = v
        .verify(
            &token(&dev).claim("acr", "urn:mace:incommon:iap:silver").claim("amr", json!(["pwd", "otp"])).sign(),
            Nonce::Expected("n-0S6"),
        )
        .unwrap();
    assert_eq!(t.subject(), "dev-user");
    assert_eq!(t.issuer(), dev.issuer());
    assert_eq!(t.nonce(), Some("n-0S6"));
    assert_eq!(t.auth_time(), Some(NOW));
    assert_eq!(t.acr(), Some("urn:mace:incommon:iap:silver"));
    assert_eq!(t.amr().unwrap().collect::<Vec<_>>(), ["pwd", "otp"]);
}

#[test]
fn nonce_is_compared_when_expected() {
    let (dev, v) = setup();
    assert_eq!(v.verify(&token(&dev).sign(), Nonce::Expected("other")).unwrap_err(), Error::NonceMismatch);
    assert_eq!(
        v.verify(&token(&dev).without("nonce").sign(), Nonce::Expected("n-0S6")).unwrap_err(),
        Error::NonceMismatch
    );
    assert!(v.verify(&token(&dev).without("nonce").sign(), Nonce::NotRequested).is_ok());
    assert_eq!(
        v.verify(&token(&dev).claim("nonce", 5).sign(), Nonce::NotRequested).unwrap_err(),
        Error::MalformedClaim { claim: "nonce", expected: "a string" }
    );
}

#[test]
fn audience_must_contain_the_client_id() {
    let (dev, v) = setup();
    let err = v.verify(&token(&dev).audience("someone-else").sign(), Nonce::NotRequested).unwrap_err();
    assert_eq!(err, Error::WrongAudience { expected: dev.client_id().into() });
}

#[test]
fn other_audiences_must_be_trusted() {
    let (dev, v) = setup();
    let multi = token(&dev).audience(json!([dev.client_id(), "https://partner"])).claim("azp", dev.client_id()).sign();
    assert!(
        matches!(v.verify(&multi, Nonce::NotRequested), Err(Error::UntrustedAudience { found }) if found.as_str() == "https://partner")
    );
    let trusting =
        dev.id_token_verifier::<NoClaims>().trusted_audiences(["https://partner"]).clock(|| NOW).build().unwrap();
    assert!(trusting.verify(&multi, Nonce::NotRequested).is_ok());
}

#[test]
fn azp_must_be_the_client() {
    let (dev, _) = setup();
    let v = dev.id_token_verifier::<NoClaims>().trusted_audiences(["https://partner"]).clock(|| NOW).build().unwrap();
    let wrong = token(&dev).claim("azp", "another-client").sign();
    assert_eq!(v.verify(&wrong, Nonce::NotRequested).unwrap_err(), Error::WrongAuthorizedParty);
    let multi_without_azp = token(&dev).audience(json!([dev.client_id(), "https://partner"])).sign();
    assert_eq!(v.verify(&multi_without_azp, Nonce::NotRequested).unwrap_err(), Error::WrongAuthorizedParty);
    assert!(v.verify(&token(&dev).claim("azp", dev.client_id()).sign(), Nonce::NotRequested).is_ok());
}

#[test]
fn exp_iat_and_sub_are_required() {
    let (dev, v) = setup();
    for claim in ["exp", "iat", "sub", "iss", "aud"] {
        assert_eq!(
            v.verify(&token(&dev).without(claim).sign(), Nonce::NotRequested).unwrap_err(),
            Error::MissingClaim { claim }
        );
    }
    let expired = token(&dev).claim("exp", NOW - 61).sign();
    assert!(matches!(v.verify(&expired, Nonce::NotRequested), Err(Error::Expired { .. })));
    let future = token(&dev).claim("iat", NOW + 600).claim("exp", NOW + 900).sign();
    assert!(matches!(v.verify(&future, Nonce::NotRequested), Err(Error::IssuedInFuture { .. })));
}

#[test]
fn an_access_token_is_refused_as_an_id_token() {
    let (dev, v) = setup();
    let access = dev.access_token().issued_at(NOW).audience(dev.client_id()).sign();
    assert_eq!(
        v.verify(&access, Nonce::NotRequested).unwrap_err(),
        Error::AccessTokenAsIdToken { reason: "its header `typ` is at+jwt" }
    );
    let keycloak = token(&dev).claim("typ", "Bearer").sign();
    assert_eq!(
        v.verify(&keycloak, Nonce::NotRequested).unwrap_err(),
        Error::AccessTokenAsIdToken { reason: "its payload `typ` is \"Bearer\"" }
    );
    let cognito = token(&dev).claim("token_use", "access").sign();
    assert_eq!(
        v.verify(&cognito, Nonce::NotRequested).unwrap_err(),
        Error::AccessTokenAsIdToken { reason: "its `token_use` is \"access\"" }
    );
    let okta = token(&dev).claim("scp", json!(["openid"])).sign();
    assert_eq!(
        v.verify(&okta, Nonce::NotRequested).unwrap_err(),
        Error::AccessTokenAsIdToken { reason: "it carries `scp`" }
    );
}

#[test]
fn header_typ_other_than_jwt_is_refused() {
    let (dev, v) = setup();
    assert!(v.verify(&token(&dev).header_typ(None).sign(), Nonce::NotRequested).is_ok());
    let err = v.verify(&token(&dev).header_typ(Some("logout+jwt")).sign(), Nonce::NotRequested).unwrap_err();
    assert_eq!(err, Error::SecurityEventToken { reason: "its header `typ` is logout+jwt" });
    let err = v.verify(&token(&dev).header_typ(Some("secevent+jwt")).sign(), Nonce::NotRequested).unwrap_err();
    assert_eq!(err, Error::SecurityEventToken { reason: "its header `typ` is secevent+jwt" });
    let err = v.verify(&token(&dev).header_typ(Some("dpop+jwt")).sign(), Nonce::NotRequested).unwrap_err();
    assert!(matches!(&err, Error::WrongTokenType { expected: "JWT", found: Some(f) } if f.as_str() == "dpop+jwt"));
    let err = v.verify(&token(&dev).header_typ(Some("at+jwt")).sign(), Nonce::NotRequested).unwrap_err();
    assert_eq!(err, Error::AccessTokenAsIdToken { reason: "its header `typ` is at+jwt" });
}

#[test]
fn max_age_requires_a_recent_auth_time() {
    let (dev, _) = setup();
    let v = dev.id_token_verifier::<NoClaims>().max_age(Duration::from_secs(600)).clock(|| NOW).build().unwrap();
    assert!(v.verify(&token(&dev).claim("auth_time", NOW - 600).sign(), Nonce::NotRequested).is_ok());
    assert_eq!(
        v.verify(&token(&dev).claim("auth_time", NOW - 661).sign(), Nonce::NotRequested).unwrap_err(),
        Error::AuthenticationTooOld { auth_time: NOW - 661, max_age: 600 }
    );
    assert_eq!(
        v.verify(&token(&dev).without("auth_time").sign(), Nonce::NotRequested).unwrap_err(),
        Error::MissingClaim { claim: "auth_time" }
    );
}

#[test]
fn at_hash_binds_the_access_token() {
    let (dev, v) = setup();
    let access = dev.access_token().sign();
    // at_hash = base64url(left half of SHA-256(access token)) for ES256.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access.as_bytes());
    let at_hash = common::b64(&digest.as_ref()[..16]);
    let id = v.verify(&token(&dev).claim("at_hash", at_hash.as_str()).sign(), Nonce::NotRequested).unwrap();
    assert_eq!(id.verify_access_token_hash(&access), Ok(()));
    assert_eq!(id.verify_access_token_hash(&dev.access_token().sign()), Err(Error::AccessTokenHashMismatch));
    let without = v.verify(&token(&dev).sign(), Nonce::NotRequested).unwrap();
    assert_eq!(without.verify_access_token_hash(&access), Err(Error::MissingClaim { claim: "at_hash" }));
}

#[derive(IdClaims, serde::Deserialize, Debug)]
#[claims(validate = Profile::check)]
struct Profile {
    name: String,
    email: Option<String>,
}

impl Profile {
    fn check(&self) -> Result<(), &'static str> {
        if self.name.trim().is_empty() { Err("the name is empty") } else { Ok(()) }
    }
}

#[test]
fn custom_id_claims_are_decoded_and_validated() {
    let dev = DevIssuer::new();
    let v = dev.id_token_verifier::<Profile>().clock(|| NOW).build().unwrap();
    let t = v
        .verify(&token(&dev).claim("name", "Ada").claim("email", "ada@example.com").sign(), Nonce::Expected("n-0S6"))
        .unwrap();
    assert_eq!(t.claims().name, "Ada");
    assert_eq!(t.claims().email.as_deref(), Some("ada@example.com"));
    let err = v.verify(&token(&dev).claim("name", "Ada").claim("email", 42).sign(), Nonce::NotRequested).unwrap_err();
    assert!(matches!(&err, Error::InvalidCustomClaim { path, .. } if &**path == "email"), "{err}");
    let err = v.verify(&token(&dev).claim("name", " ").sign(), Nonce::NotRequested).unwrap_err();
    assert_eq!(err, Error::ClaimsRejected { reason: "the name is empty".into() });
}

#[test]
fn an_id_token_never_passes_the_access_token_verifier() {
    let dev = DevIssuer::new();
    let api = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    // Even aimed at the API's audience and without a nonce, the header typ gives it away.
    let id = dev.id_token().issued_at(NOW).audience(dev.audience()).claim("client_id", "c").claim("jti", "j").sign();
    assert!(matches!(api.verify(&id), Err(Error::WrongTokenType { expected: "at+jwt", .. })));
}

#[test]
fn code_hash_is_checked_against_the_code() {
    // OpenID Connect Core §3.3.2.11, with each hash size.
    let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
    for alg in [tokenkind::Algorithm::ES256, tokenkind::Algorithm::ES384, tokenkind::Algorithm::RS512] {
        let dev = DevIssuer::with_algorithm(alg);
        let v = dev.id_token_verifier::<NoClaims>().clock(|| NOW).build().unwrap();
        let t = v.verify(&token(&dev).code_hash(code).sign(), Nonce::Expected("n-0S6")).unwrap();
        assert_eq!(t.verify_code_hash(code), Ok(()), "{alg:?}");
        assert_eq!(t.verify_code_hash("another-code"), Err(Error::CodeHashMismatch), "{alg:?}");
        // `c_hash` is not `at_hash`: the code's hash does not vouch for an access token.
        assert_eq!(t.verify_access_token_hash(code), Err(Error::MissingClaim { claim: "at_hash" }));
    }
    let (dev, v) = setup();
    let t = v.verify(&token(&dev).sign(), Nonce::Expected("n-0S6")).unwrap();
    assert_eq!(t.verify_code_hash(code), Err(Error::MissingClaim { claim: "c_hash" }));
    let err = v.verify(&token(&dev).claim("c_hash", 5).sign(), Nonce::Expected("n-0S6")).unwrap_err();
    assert_eq!(err, Error::MalformedClaim { claim: "c_hash", expected: "a string" });
}

#[test]
fn session_id_is_read_from_sid() {
    let (dev, v) = setup();
    let t = v.verify(&token(&dev).claim("sid", "08a5019c-17e1-4977").sign(), Nonce::Expected("n-0S6")).unwrap();
    assert_eq!(t.session_id(), Some("08a5019c-17e1-4977"));
    let t = v.verify(&token(&dev).sign(), Nonce::Expected("n-0S6")).unwrap();
    assert_eq!(t.session_id(), None);
    let err = v.verify(&token(&dev).claim("sid", json!(["a"])).sign(), Nonce::Expected("n-0S6")).unwrap_err();
    assert_eq!(err, Error::MalformedClaim { claim: "sid", expected: "a string" });
}

#[test]
fn a_logout_token_is_never_a_login() {
    // Back-Channel Logout 1.0 §2.4: `events`, no `nonce`, `typ` optional.
    let (dev, v) = setup();
    let logout = dev
        .id_token()
        .issued_at(NOW)
        .without("nonce")
        .without("auth_time")
        .claim("jti", "bWJq")
        .claim("sid", "08a5019c-17e1-4977")
        .claim("events", json!({"http://schemas.openid.net/event/backchannel-logout": {}}))
        .header_typ(None)
        .sign();
    assert_eq!(
        v.verify(&logout, Nonce::NotRequested).unwrap_err(),
        Error::SecurityEventToken { reason: "it carries `events`" }
    );
}
