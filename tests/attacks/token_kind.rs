//! Token-kind attacks (RFC 9068 §2.1, RFC 8725 §3.11, OpenID Connect Core
//! §2): an ID token at an API under every profile, an access token at a
//! login, a token for another API, and provider-shaped tokens of the wrong kind.

use serde_json::{Value, json};
use tokenkind::{AccessTokenVerifier, Error, Nonce, Profile};

use super::common::{Api, NOW};
use super::{API, CLIENT, Es256, ISS, access_claims, id_claims, login, with, without};

const PROFILES: [Profile; 6] =
    [Profile::Rfc9068, Profile::Auth0, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito];

fn api(es: &Es256, profile: Profile, audience: &str) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(ISS, audience).keys(es.keys()).profile(profile).clock(|| NOW).build().unwrap()
}

fn sign(es: &Es256, typ: Option<&str>, claims: &Value) -> String {
    let mut header = json!({"alg": "ES256", "kid": es.kid});
    if let Some(typ) = typ {
        header["typ"] = json!(typ);
    }
    es.sign(&header, claims)
}

fn id_as_access(reason: &'static str) -> Error {
    Error::IdTokenAsAccessToken { reason }
}

fn access_as_id(reason: &'static str) -> Error {
    Error::AccessTokenAsIdToken { reason }
}

// ---- an ID token presented to an API ----

#[test]
fn id_token_with_nonce_at_an_api_under_every_profile() {
    let es = Es256::new("k");
    // Aimed at the API's audience, with every access-token marker a profile reads: the nonce still gives it away.
    let claims = json!({"iss": ISS, "sub": "u", "aud": API, "azp": CLIENT, "client_id": CLIENT, "cid": CLIENT,
        "jti": "AT.1", "typ": "Bearer", "token_use": "access", "ver": "2.0", "iat": NOW, "exp": NOW + 300, "nonce": "n"});
    for profile in PROFILES {
        for typ in [Some("JWT"), Some("at+jwt"), None] {
            assert_eq!(
                api(&es, profile, API).verify(&sign(&es, typ, &claims)).unwrap_err(),
                id_as_access("it carries `nonce`"),
                "{profile:?} {typ:?}"
            );
        }
    }
}

#[test]
fn id_token_with_at_hash_or_c_hash_at_an_api_under_every_profile() {
    let es = Es256::new("k");
    for (claim, reason) in [("at_hash", "it carries `at_hash`"), ("c_hash", "it carries `c_hash`")] {
        let claims = with(access_claims(), claim, json!("x"));
        for profile in PROFILES {
            assert_eq!(
                api(&es, profile, API).verify(&sign(&es, Some("at+jwt"), &claims)).unwrap_err(),
                id_as_access(reason),
                "{profile:?}"
            );
        }
    }
}

#[test]
fn plain_id_token_of_the_same_issuer_at_an_api_under_every_profile() {
    // A minimal ID token (no nonce, no provider markers) at the API, audience set to the API.
    let es = Es256::new("k");
    let claims = json!({"iss": ISS, "sub": "u", "aud": API, "iat": NOW, "exp": NOW + 300});
    let expected = |p: Profile| match p {
        Profile::Rfc9068 => Error::WrongTokenType { expected: "at+jwt", found: None },
        Profile::Auth0 | Profile::Keycloak => {
            Error::MissingClaim { claim: if p == Profile::Auth0 { "azp" } else { "typ" } }
        }
        Profile::Okta => Error::MissingClaim { claim: "jti" },
        Profile::EntraId => Error::MissingClaim { claim: "ver" },
        _ => Error::MissingClaim { claim: "token_use" },
    };
    for profile in PROFILES {
        let raw = sign(&es, Some("JWT"), &claims);
        let err = api(&es, profile, API).verify(&raw).unwrap_err();
        match profile {
            Profile::Rfc9068 => assert!(
                matches!(&err, Error::WrongTokenType { expected: "at+jwt", found: Some(f) } if f.as_str() == "JWT"),
                "{err:?}"
            ),
            _ => assert_eq!(err, expected(profile), "{profile:?}"),
        }
    }
}

#[test]
fn auth0_id_token_at_the_api() {
    let es = Es256::new("k");
    let id = json!({"iss": ISS, "sub": "auth0|1", "aud": CLIENT, "azp": CLIENT, "iat": NOW, "exp": NOW + 300, "name": "Ada"});
    assert_eq!(
        api(&es, Profile::Auth0, API).verify(&sign(&es, Some("JWT"), &id)).unwrap_err(),
        Error::WrongAudience { expected: API.into() }
    );
}

#[test]
fn keycloak_id_token_at_the_api() {
    let es = Es256::new("k");
    let id = json!({"iss": ISS, "sub": "u", "typ": "ID", "azp": CLIENT, "aud": API, "iat": NOW, "exp": NOW + 300});
    assert_eq!(
        api(&es, Profile::Keycloak, API).verify(&sign(&es, Some("JWT"), &id)).unwrap_err(),
        id_as_access("its payload `typ` is \"ID\"")
    );
    // Keycloak's other token kinds, and a payload typ in another case or type.
    for (typ, found) in [("Refresh", "Refresh"), ("Logout", "Logout"), ("bearer", "bearer"), ("BEARER", "BEARER")] {
        let t = with(id.clone(), "typ", json!(typ));
        let err = api(&es, Profile::Keycloak, API).verify(&sign(&es, Some("JWT"), &t)).unwrap_err();
        assert!(
            matches!(&err, Error::WrongTokenType { expected: "Bearer", found: Some(f) } if f.as_str() == found),
            "{err:?}"
        );
    }
    let t = with(id, "typ", json!(["Bearer"]));
    assert_eq!(
        api(&es, Profile::Keycloak, API).verify(&sign(&es, Some("JWT"), &t)).unwrap_err(),
        Error::MalformedClaim { claim: "typ", expected: "a string" }
    );
}

#[test]
fn okta_id_token_at_the_api() {
    let es = Es256::new("k");
    let id = json!({"ver": 1, "jti": "ID.x9", "iss": ISS, "aud": API, "iat": NOW, "exp": NOW + 300, "sub": "u", "cid": CLIENT});
    let v = api(&es, Profile::Okta, API);
    assert_eq!(v.verify(&sign(&es, None, &id)).unwrap_err(), id_as_access("its `jti` starts with \"ID.\""));
    for jti in ["id.x9", "at.x9", "x9", ""] {
        let t = with(id.clone(), "jti", json!(jti));
        assert_eq!(
            v.verify(&sign(&es, None, &t)).unwrap_err(),
            Error::MalformedClaim { claim: "jti", expected: "an Okta access token id starting with \"AT.\"" },
            "{jti}"
        );
    }
}

#[test]
fn entra_id_token_at_the_api() {
    let es = Es256::new("k");
    let id = json!({"aud": API, "iss": ISS, "iat": NOW, "exp": NOW + 300, "sub": "u", "ver": "2.0", "tid": "t", "roles": ["read:messages"]});
    let v = api(&es, Profile::EntraId, API);
    assert_eq!(
        v.verify(&sign(&es, Some("JWT"), &id)).unwrap_err(),
        id_as_access("it has no `azp`, which every Entra ID v2 access token carries")
    );
    for ver in [json!("1.0"), json!(2.0), json!("2"), json!(null)] {
        let t = with(with(id.clone(), "azp", json!(CLIENT)), "ver", ver.clone());
        assert_eq!(
            v.verify(&sign(&es, Some("JWT"), &t)).unwrap_err(),
            Error::MalformedClaim { claim: "ver", expected: "\"2.0\" (Entra ID v1 tokens are not supported)" },
            "{ver}"
        );
    }
}

#[test]
fn cognito_id_token_at_the_api() {
    let es = Es256::new("k");
    let id = json!({"sub": "u", "aud": CLIENT, "token_use": "id", "iss": ISS, "exp": NOW + 300, "iat": NOW, "jti": "j", "client_id": CLIENT});
    let v = api(&es, Profile::Cognito, CLIENT);
    assert_eq!(v.verify(&sign(&es, None, &id)).unwrap_err(), id_as_access("its `token_use` is \"id\""));
    let upper = with(id.clone(), "token_use", json!("ID"));
    assert!(matches!(v.verify(&sign(&es, None, &upper)), Err(Error::WrongTokenType { expected: "access", .. })));
    assert_eq!(
        v.verify(&sign(&es, None, &without(id.clone(), "token_use"))).unwrap_err(),
        Error::MissingClaim { claim: "token_use" }
    );
    assert_eq!(
        v.verify(&sign(&es, None, &with(id, "token_use", json!(["access"])))).unwrap_err(),
        Error::MalformedClaim { claim: "token_use", expected: "a string" }
    );
}

// ---- an access token presented as an ID token ----

fn id_refusal(es: &Es256, typ: Option<&str>, claims: &Value) -> Error {
    login(es.keys()).verify(&sign(es, typ, claims), Nonce::NotRequested).unwrap_err()
}

#[test]
fn rfc9068_access_token_as_an_id_token() {
    let es = Es256::new("k");
    // Even with the client as audience.
    let claims = with(access_claims(), "aud", json!(CLIENT));
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"] {
        assert_eq!(id_refusal(&es, Some(typ), &claims), access_as_id("its header `typ` is at+jwt"), "{typ}");
    }
}

#[test]
fn keycloak_access_token_as_an_id_token() {
    let es = Es256::new("k");
    let t =
        json!({"iss": ISS, "sub": "u", "typ": "Bearer", "azp": CLIENT, "aud": CLIENT, "iat": NOW, "exp": NOW + 300});
    assert_eq!(id_refusal(&es, Some("JWT"), &t), access_as_id("its payload `typ` is \"Bearer\""));
}

#[test]
fn cognito_access_token_as_an_id_token() {
    let es = Es256::new("k");
    let t = json!({"sub": "u", "aud": CLIENT, "token_use": "access", "iss": ISS, "exp": NOW + 300, "iat": NOW, "client_id": CLIENT});
    assert_eq!(id_refusal(&es, None, &t), access_as_id("its `token_use` is \"access\""));
}

#[test]
fn okta_and_entra_access_tokens_as_id_tokens() {
    let es = Es256::new("k");
    let okta = json!({"ver": 1, "jti": "AT.1", "iss": ISS, "aud": CLIENT, "cid": CLIENT, "iat": NOW, "exp": NOW + 300, "sub": "u", "scp": ["openid"]});
    assert_eq!(id_refusal(&es, None, &okta), access_as_id("it carries `scp`"));
    let entra = json!({"aud": CLIENT, "iss": ISS, "iat": NOW, "exp": NOW + 300, "sub": "u", "ver": "2.0", "azp": CLIENT, "scp": "openid"});
    assert_eq!(id_refusal(&es, Some("JWT"), &entra), access_as_id("it carries `scp`"));
}

#[test]
fn auth0_access_token_as_an_id_token() {
    let es = Es256::new("k");
    let t = json!({"iss": ISS, "sub": "u", "azp": CLIENT, "aud": [API, format!("{ISS}/userinfo")], "iat": NOW, "exp": NOW + 300, "scope": "openid"});
    assert_eq!(id_refusal(&es, Some("JWT"), &t), Error::WrongAudience { expected: CLIENT.into() });
}

#[test]
fn logout_token_as_an_id_token_or_an_access_token() {
    let es = Es256::new("k");
    let logout = json!({"iss": ISS, "sub": "u", "aud": CLIENT, "iat": NOW, "exp": NOW + 300, "jti": "l",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}});
    for typ in ["logout+jwt", "application/logout+jwt", "Logout+JWT"] {
        assert_eq!(
            id_refusal(&es, Some(typ), &logout),
            Error::SecurityEventToken { reason: "its header `typ` is logout+jwt" },
            "{typ}"
        );
    }
    assert_eq!(
        id_refusal(&es, Some("secevent+jwt"), &logout),
        Error::SecurityEventToken { reason: "its header `typ` is secevent+jwt" }
    );
    // Without a header `typ` (Back-Channel Logout 1.0 lets it be absent),
    // with `JWT`, and with a nonce the login did not ask for: `events` decides.
    for typ in [None, Some("JWT")] {
        assert_eq!(id_refusal(&es, typ, &logout), Error::SecurityEventToken { reason: "it carries `events`" });
    }
    let err = super::api(es.keys()).verify(&sign(&es, Some("logout+jwt"), &logout)).unwrap_err();
    assert_eq!(err, Error::SecurityEventToken { reason: "it carries `events`" });
}

#[test]
fn other_jwt_kinds_are_not_id_tokens() {
    let es = Es256::new("k");
    let claims = json!({"iss": ISS, "sub": "u", "aud": CLIENT, "iat": NOW, "exp": NOW + 300});
    let err = id_refusal(&es, Some("dpop+jwt"), &claims);
    assert!(
        matches!(&err, Error::WrongTokenType { expected: "JWT", found: Some(f) } if f.as_str() == "dpop+jwt"),
        "{err:?}"
    );
}

// ---- an access token for another API ----

#[test]
fn access_token_for_another_api_of_the_same_issuer() {
    let es = Es256::new("k");
    for aud in
        [json!("https://billing.example"), json!(["https://billing.example", "https://other.example"]), json!([CLIENT])]
    {
        let t = with(access_claims(), "aud", aud.clone());
        assert_eq!(
            api(&es, Profile::Rfc9068, API).verify(&sign(&es, Some("at+jwt"), &t)).unwrap_err(),
            Error::WrongAudience { expected: API.into() },
            "{aud}"
        );
    }
    // Cognito has no `aud`: the client is the audience.
    let cognito = json!({"sub": "u", "iss": ISS, "client_id": "another-client", "token_use": "access", "exp": NOW + 60, "iat": NOW, "jti": "j"});
    assert_eq!(
        api(&es, Profile::Cognito, CLIENT).verify(&sign(&es, None, &cognito)).unwrap_err(),
        Error::WrongAudience { expected: CLIENT.into() }
    );
}

#[test]
fn header_typ_jwt_where_at_jwt_is_required() {
    let es = Es256::new("k");
    let v = super::api(es.keys());
    for typ in [
        "JWT",
        "jwt",
        "at+jwt ",
        " at+jwt",
        "at+jwt\u{0}",
        "at-jwt",
        "application/at+jwt; v=1",
        "application/jwt",
        "JOSE",
    ] {
        let err = v.verify(&sign(&es, Some(typ), &access_claims())).unwrap_err();
        assert!(
            matches!(&err, Error::WrongTokenType { expected: "at+jwt", found: Some(f) } if f.as_str() == typ),
            "{typ:?}: {err:?}"
        );
    }
    assert_eq!(
        v.verify(&sign(&es, None, &access_claims())).unwrap_err(),
        Error::WrongTokenType { expected: "at+jwt", found: None }
    );
}

#[test]
fn id_claims_of_the_login_do_not_make_an_id_token_valid_elsewhere() {
    // An ID token for this client, replayed at a login of another client of the same issuer.
    let es = Es256::new("k");
    let other = tokenkind::IdTokenVerifier::<tokenkind::NoClaims>::builder(ISS, "other-client")
        .keys(es.keys())
        .clock(|| NOW)
        .build()
        .unwrap();
    let raw = sign(&es, Some("JWT"), &id_claims());
    assert_eq!(
        other.verify(&raw, Nonce::Expected("n-1")).unwrap_err(),
        Error::WrongAudience { expected: "other-client".into() }
    );
}
