//! Provider profiles: tokens shaped like each identity provider's real
//! tokens. The access token is accepted; the ID token is refused by the
//! profile's own rule.

mod common;

use common::api_scope;
use common::{Api, NOW};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::scope::All;
use tokenkind::{AccessTokenVerifier, Error, Profile, Scoped};

/// Mints a token with exactly these claims and header `typ`.
#[allow(clippy::needless_pass_by_value)] // reads best with `json!` inline at each call
fn mint(dev: &DevIssuer, typ: Option<&str>, claims: Value) -> String {
    let mut b = dev.access_token().header_typ(typ);
    for name in ["iss", "sub", "aud", "client_id", "jti", "iat", "exp", "scope"] {
        b = b.without(name);
    }
    for (k, v) in claims.as_object().unwrap() {
        b = b.claim(k, v.clone());
    }
    b.sign()
}

fn verifier(dev: &DevIssuer, audience: &str, profile: Profile) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(dev.issuer(), audience)
        .keys(dev.key_set())
        .profile(profile)
        .clock(|| NOW)
        .build()
        .unwrap()
}

fn dev(issuer: &str) -> DevIssuer {
    DevIssuer::new().issuer_url(issuer)
}

#[test]
fn auth0_access_token_accepted_id_token_refused() {
    let iss = "https://tenant.eu.auth0.com/";
    let dev = dev(iss);
    let v = verifier(&dev, "https://messages.example", Profile::Auth0);
    let access = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "auth0|64f1", "azp": "spa-client-id",
            "aud": ["https://messages.example", "https://tenant.eu.auth0.com/userinfo"],
            "iat": NOW, "exp": NOW + 86400, "scope": "openid profile read:messages",
            "permissions": ["delete:messages"]
        }),
    );
    let t = v.verify(&access).unwrap();
    assert_eq!(t.client_id(), "spa-client-id");
    // `permissions` lists what the *user* may do; only `scope` is the client's grant.
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);

    let id = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "auth0|64f1", "aud": "spa-client-id", "iat": NOW, "exp": NOW + 36000,
            "name": "Ada", "nonce": "abc"
        }),
    );
    assert_eq!(v.verify(&id).unwrap_err(), Error::IdTokenAsAccessToken { reason: "it carries `nonce`" });
    // Without a nonce, the audience rule still keeps it out.
    let id_no_nonce = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "auth0|64f1", "aud": "spa-client-id", "azp": "spa-client-id", "iat": NOW, "exp": NOW + 36000
        }),
    );
    assert_eq!(
        v.verify(&id_no_nonce).unwrap_err(),
        Error::WrongAudience { expected: "https://messages.example".into() }
    );
    // A bare ID token (no nonce, no azp) is told it is not for this API, not that it lacks `azp`.
    let bare = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "auth0|64f1", "aud": "spa-client-id", "iat": NOW, "exp": NOW + 60}),
    );
    assert_eq!(v.verify(&bare).unwrap_err(), Error::WrongAudience { expected: "https://messages.example".into() });
}

#[test]
fn keycloak_access_token_accepted_id_token_refused() {
    let iss = "https://sso.example/realms/acme";
    let dev = dev(iss);
    let v = verifier(&dev, "messages-api", Profile::Keycloak);
    let access = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "f:1b2c", "typ": "Bearer", "azp": "web-app", "aud": ["messages-api", "account"],
            "iat": NOW, "exp": NOW + 300, "scope": "openid email write:messages", "jti": "onrtac:1",
            "realm_access": {"roles": ["user"]}, "session_state": "s"
        }),
    );
    let t = v.verify(&access).unwrap();
    assert_eq!(t.client_id(), "web-app");
    assert!(t.has_scope(Api::WriteMessages));

    let id = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "f:1b2c", "typ": "ID", "azp": "web-app", "aud": "messages-api",
            "iat": NOW, "exp": NOW + 300, "email": "a@example.com"
        }),
    );
    assert_eq!(v.verify(&id).unwrap_err(), Error::IdTokenAsAccessToken { reason: "its payload `typ` is \"ID\"" });
    let refresh = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "x", "typ": "Refresh", "azp": "web-app", "aud": "messages-api", "iat": NOW, "exp": NOW + 300}),
    );
    assert!(matches!(v.verify(&refresh), Err(Error::WrongTokenType { expected: "Bearer", .. })));
}

#[test]
fn okta_access_token_accepted_id_token_refused() {
    let iss = "https://acme.okta.com/oauth2/default";
    let dev = dev(iss);
    let v = verifier(&dev, "api://default", Profile::Okta);
    let access = mint(
        &dev,
        None,
        json!({
            "ver": 1, "jti": "AT.k2Gx0", "iss": iss, "aud": "api://default", "iat": NOW, "exp": NOW + 3600,
            "cid": "0oa1client", "uid": "00u1", "scp": ["openid", "read:messages"], "sub": "ada@example.com"
        }),
    );
    let t = v.verify(&access).unwrap();
    assert_eq!(t.client_id(), "0oa1client");
    assert!(t.has_scope(Api::ReadMessages));

    let id = mint(
        &dev,
        None,
        json!({
            "ver": 1, "jti": "ID.x9Qw", "iss": iss, "aud": "api://default", "iat": NOW, "exp": NOW + 3600,
            "sub": "00u1", "name": "Ada", "idp": "00o1", "amr": ["pwd"]
        }),
    );
    assert_eq!(v.verify(&id).unwrap_err(), Error::IdTokenAsAccessToken { reason: "its `jti` starts with \"ID.\"" });
}

#[test]
fn entra_access_token_accepted_id_token_refused() {
    let iss = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    let dev = dev(iss);
    let v = verifier(&dev, "api://messages", Profile::EntraId);
    let access = mint(
        &dev,
        Some("JWT"),
        json!({
            "aud": "api://messages", "iss": iss, "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
            "azp": "6e74172b-client", "azpacr": "0", "name": "Ada", "oid": "690222be",
            "scp": "read:messages openid", "roles": ["delete:messages"], "sub": "AAAAAAAAAA", "tid": "72f988bf", "ver": "2.0"
        }),
    );
    let t = v.verify(&access).unwrap();
    assert_eq!(t.client_id(), "6e74172b-client");
    // A delegated token: `roles` are the user's app roles, never scopes.
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);

    let id = mint(
        &dev,
        Some("JWT"),
        json!({
            "aud": "api://messages", "iss": iss, "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
            "name": "Ada", "oid": "690222be", "preferred_username": "ada@example.com", "sub": "AAAAAAAAAA",
            "tid": "72f988bf", "ver": "2.0", "roles": ["delete:messages"]
        }),
    );
    assert_eq!(
        v.verify(&id).unwrap_err(),
        Error::IdTokenAsAccessToken { reason: "it has no `azp`, which every Entra ID v2 access token carries" }
    );
    let v1 = mint(
        &dev,
        Some("JWT"),
        json!({"aud": "api://messages", "iss": iss, "iat": NOW, "exp": NOW + 60, "azp": "c", "sub": "s", "ver": "1.0"}),
    );
    assert!(matches!(v.verify(&v1), Err(Error::MalformedClaim { claim: "ver", .. })));
}

#[test]
fn cognito_access_token_accepted_id_token_refused() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf";
    let dev = dev(iss);
    let v = verifier(&dev, "3n4b5urk1ft4fl3mg5e62d9ado", Profile::Cognito);
    let access = mint(
        &dev,
        None,
        json!({
            "sub": "aaaaaaaa-bbbb", "cognito:groups": ["admin"], "iss": iss, "version": 2,
            "client_id": "3n4b5urk1ft4fl3mg5e62d9ado", "token_use": "access", "scope": "read:messages",
            "auth_time": NOW, "exp": NOW + 3600, "iat": NOW, "jti": "4f1c", "username": "ada"
        }),
    );
    let t = v.verify(&access).unwrap();
    assert!(t.has_scope(Api::ReadMessages));
    let other_client = mint(
        &dev,
        None,
        json!({
            "sub": "a", "iss": iss, "client_id": "another", "token_use": "access", "scope": "", "exp": NOW + 60, "iat": NOW, "jti": "j"
        }),
    );
    assert_eq!(
        v.verify(&other_client).unwrap_err(),
        Error::WrongAudience { expected: "3n4b5urk1ft4fl3mg5e62d9ado".into() }
    );

    let id = mint(
        &dev,
        None,
        json!({
            "sub": "aaaaaaaa-bbbb", "aud": "3n4b5urk1ft4fl3mg5e62d9ado", "email_verified": true, "token_use": "id",
            "auth_time": NOW, "iss": iss, "cognito:username": "ada", "exp": NOW + 3600, "iat": NOW, "jti": "9c2d",
            "client_id": "3n4b5urk1ft4fl3mg5e62d9ado"
        }),
    );
    assert_eq!(v.verify(&id).unwrap_err(), Error::IdTokenAsAccessToken { reason: "its `token_use` is \"id\"" });
}

#[test]
fn every_profile_refuses_id_token_only_claims_and_foreign_typ() {
    let dev = DevIssuer::new();
    for profile in
        [Profile::Rfc9068, Profile::Auth0, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito]
    {
        let v = verifier(&dev, dev.audience(), profile);
        let id = dev.access_token().issued_at(NOW).claim("at_hash", "x").sign();
        assert_eq!(
            v.verify(&id).unwrap_err(),
            Error::IdTokenAsAccessToken { reason: "it carries `at_hash`" },
            "{profile:?}"
        );
        if profile != Profile::Rfc9068 {
            let logout = dev.access_token().issued_at(NOW).header_typ(Some("logout+jwt")).sign();
            assert!(
                matches!(v.verify(&logout), Err(Error::WrongTokenType { expected: "JWT or at+jwt", .. })),
                "{profile:?}"
            );
        }
    }
}

#[test]
fn profiles_are_named() {
    for (name, p) in [
        ("rfc9068", Profile::Rfc9068),
        ("AUTH0", Profile::Auth0),
        ("entra", Profile::EntraId),
        ("cognito", Profile::Cognito),
    ] {
        assert_eq!(Profile::from_name(name), Some(p));
    }
    assert_eq!(Profile::default(), Profile::Rfc9068);
}

/// An access token that carries every profile's markers (payload `typ`,
/// `token_use`, `ver`, an Okta `jti`, each client claim), with `scope` and
/// `scp` granting `read:messages`.
fn shaped_for_every_profile(dev: &DevIssuer, profile: Profile) -> tokenkind::dev::TokenBuilder<'_> {
    dev.access_token()
        .issued_at(NOW)
        .scope("read:messages")
        .claim("scp", "read:messages")
        .claim("typ", "Bearer")
        .claim("token_use", "access")
        .claim("ver", "2.0")
        .claim("cid", dev.client_id())
        .claim("azp", dev.client_id())
        .claim("jti", "AT.1")
        .claim("client_id", if profile == Profile::Cognito { dev.audience() } else { dev.client_id() })
        .header_typ(Some(if profile == Profile::Rfc9068 { "at+jwt" } else { "JWT" }))
}

#[test]
fn scopes_are_only_the_clients_grant_never_the_users_permissions() {
    // Auth0 RBAC: a client granted only `read:messages`, acting for a user who
    // may delete, gets no delete scope and no delete proof.
    let iss = "https://tenant.eu.auth0.com/";
    let dev = dev(iss);
    let v = verifier(&dev, "https://messages.example", Profile::Auth0);
    let access = mint(
        &dev,
        Some("JWT"),
        json!({
            "iss": iss, "sub": "auth0|64f1", "azp": "third-party-client", "aud": "https://messages.example",
            "iat": NOW, "exp": NOW + 600, "scope": "read:messages",
            "permissions": ["read:messages", "write:messages", "delete:messages"]
        }),
    );
    let token = v.verify(&access).unwrap();
    assert_eq!(
        token.grant::<api_scope::DeleteMessages>().unwrap_err().to_string(),
        "the access token lacks the required scope: delete:messages"
    );
    let guard = Scoped::<_, All<(api_scope::DeleteMessages, ())>>::check(token);
    assert!(matches!(guard, Err(Error::InsufficientScope { .. })));
    // The same under every other profile: `permissions` and `roles` are never scopes.
    for profile in [Profile::Rfc9068, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito] {
        let dev = DevIssuer::new();
        let raw = shaped_for_every_profile(&dev, profile)
            .claim("permissions", json!(["delete:messages"]))
            .claim("roles", json!(["delete:messages"]))
            .claim("groups", json!(["delete:messages"]))
            .sign();
        let v = dev.access_token_verifier::<Api>().profile(profile).clock(|| NOW).build().unwrap();
        let token = v.verify(&raw).unwrap_or_else(|e| panic!("{profile:?}: {e}"));
        assert_eq!(token.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages], "{profile:?}");
    }
}

#[test]
fn entra_roles_are_scopes_only_in_app_only_tokens() {
    let iss = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    let dev = dev(iss);
    let v = verifier(&dev, "api://messages", Profile::EntraId);
    let base = json!({
        "aud": "api://messages", "iss": iss, "iat": NOW, "exp": NOW + 3600, "azp": "6e74172b-client",
        "sub": "AAAAAAAAAA", "tid": "72f988bf", "ver": "2.0", "roles": ["delete:messages"]
    });
    let shape = |extra: Value| {
        let mut claims = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        mint(&dev, Some("JWT"), claims)
    };
    let scopes = |raw: &str| v.verify(raw).map(|t| t.scopes().iter().collect::<Vec<_>>());
    // Delegated (`scp` present), whatever `idtyp` says: `roles` are the user's.
    assert_eq!(scopes(&shape(json!({"scp": "read:messages"}))).unwrap(), [Api::ReadMessages]);
    assert_eq!(scopes(&shape(json!({"scp": "read:messages", "idtyp": "app"}))).unwrap(), [Api::ReadMessages]);
    assert_eq!(scopes(&shape(json!({"scp": ["read:messages"], "idtyp": "user"}))).unwrap(), [Api::ReadMessages]);
    // App-only (client credentials): `roles` are the client's application permissions.
    assert_eq!(scopes(&shape(json!({"idtyp": "app"}))).unwrap(), [Api::DeleteMessages]);
    assert_eq!(scopes(&shape(json!({}))).unwrap(), [Api::DeleteMessages]);
    // A user token without delegated scopes: no scopes at all.
    assert_eq!(scopes(&shape(json!({"idtyp": "user"}))).unwrap(), []);
    // Malformed markers are errors, never "delegated" or "app-only" by default.
    assert_eq!(
        scopes(&shape(json!({"idtyp": 1}))).unwrap_err(),
        Error::MalformedClaim { claim: "idtyp", expected: "\"app\" or \"user\"" }
    );
    assert_eq!(
        scopes(&shape(json!({"idtyp": "app", "roles": "delete:messages"}))).unwrap_err(),
        Error::MalformedClaim { claim: "roles", expected: "an array of strings" }
    );
}

#[test]
fn cognito_audience_is_the_checked_client_id() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf";
    let dev = dev(iss);
    let v = verifier(&dev, "3n4b5urk1ft4fl3mg5e62d9ado", Profile::Cognito);
    let access = mint(
        &dev,
        None,
        json!({
            "sub": "aaaaaaaa-bbbb", "iss": iss, "client_id": "3n4b5urk1ft4fl3mg5e62d9ado", "token_use": "access",
            "scope": "read:messages", "exp": NOW + 3600, "iat": NOW, "jti": "4f1c", "aud": "someone-else"
        }),
    );
    let token = v.verify(&access).unwrap();
    assert_eq!(token.audience().iter().collect::<Vec<_>>(), ["3n4b5urk1ft4fl3mg5e62d9ado"]);
}

#[test]
fn every_profile_refuses_a_sender_constrained_token_as_bearer() {
    let cases = [
        (Profile::Rfc9068, Some("at+jwt")),
        (Profile::Auth0, Some("JWT")),
        (Profile::Keycloak, Some("JWT")),
        (Profile::Okta, None),
        (Profile::EntraId, Some("JWT")),
        (Profile::Cognito, None),
    ];
    for (profile, typ) in cases {
        let dev = DevIssuer::new();
        let raw = shaped_for_every_profile(&dev, profile)
            .claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))
            .header_typ(typ)
            .sign();
        let v = dev.access_token_verifier::<Api>().profile(profile).clock(|| NOW).build().unwrap();
        assert_eq!(v.verify(&raw).unwrap_err(), Error::SenderConstrained, "{profile:?}");
    }
}
