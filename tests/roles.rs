//! User roles: read per profile from tokens shaped like each provider's,
//! malformed role claims refused, `#[requires_role]` guards alone and with
//! `#[requires_scope]`, the HTTP answer (403 without an RFC 6750 error code)
//! and the order of checks.

mod common;

use common::{Api, NOW};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::http::{HttpRequest, Rejection, ResourceServer};
use tokenkind::scope::{All, AnyBinding, Mode, User};
use tokenkind::step_up::AnyAuth;
use tokenkind::{
    AccessToken, AccessTokenVerifier, ConfigError, Error, ErrorCode, Granted, Profile, RoleSource, Roles, Scoped,
    Scopes, requires_role, requires_scope,
};
use tokenkind_suite::messages::{Role, user_role};

/// A roles enum with several roles, and a scope enum naming it.
#[derive(Roles, Clone, Copy, PartialEq, Eq, Debug)]
enum Staff {
    #[role("admin")]
    Admin,
    #[role("editor")]
    Editor,
    #[role("auditor")]
    Auditor,
}

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
#[scopes(roles = Staff)]
enum Cms {
    #[scope("read:pages")]
    ReadPages,
    #[scope("write:pages")]
    WritePages,
}

/// Mints a token with exactly these claims and header `typ`.
#[allow(clippy::needless_pass_by_value)]
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

fn verifier(dev: &DevIssuer, audience: &str, profile: Profile, source: RoleSource) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(dev.issuer(), audience)
        .keys(dev.key_set())
        .profile(profile)
        .roles_from(source)
        .clock(|| NOW)
        .build()
        .unwrap()
}

fn roles(token: &AccessToken<Api>) -> Vec<&'static str> {
    token.roles().names().collect()
}

#[test]
fn rfc9068_roles_come_from_roles_and_groups_or_entitlements_on_request() {
    let dev = DevIssuer::new();
    let claims = |extra: Value| {
        let mut base = json!({"iss": dev.issuer(), "sub": "u", "aud": dev.audience(), "client_id": "c", "jti": "j",
            "iat": NOW, "exp": NOW + 300, "scope": "read:messages"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        mint(&dev, Some("at+jwt"), base)
    };
    let strict = verifier(&dev, dev.audience(), Profile::Rfc9068, RoleSource::Profile);
    let token = claims(json!({"roles": ["admin", "other"], "groups": ["x"]}));
    assert_eq!(roles(&strict.verify(&token).unwrap()), ["admin"]);
    // The client's scopes are never roles, nor roles scopes.
    let token = claims(json!({"scope": "admin read:messages"}));
    assert!(roles(&strict.verify(&token).unwrap()).is_empty());

    let groups = verifier(&dev, dev.audience(), Profile::Rfc9068, RoleSource::claim("groups"));
    assert_eq!(roles(&groups.verify(&claims(json!({"roles": ["x"], "groups": ["admin"]}))).unwrap()), ["admin"]);
    // RFC 9068 §2.2.3.1 refers to SCIM: entitlements as objects with `value`.
    let entitlements = verifier(&dev, dev.audience(), Profile::Rfc9068, RoleSource::claim("entitlements"));
    let token = claims(json!({"entitlements": [{"value": "admin", "display": "Administrator"}]}));
    assert_eq!(roles(&entitlements.verify(&token).unwrap()), ["admin"]);
}

#[test]
fn a_role_claim_of_the_wrong_json_type_is_an_error_naming_it() {
    let dev = DevIssuer::new();
    let strict = verifier(&dev, dev.audience(), Profile::Rfc9068, RoleSource::Profile);
    for bad in [json!("admin"), json!(1), json!({"admin": true}), json!([1]), json!([{"display": "x"}]), Value::Null] {
        let token = dev.access_token().issued_at(NOW).claim("roles", bad.clone()).sign();
        let err = strict.verify(&token).unwrap_err();
        assert_eq!(
            err,
            Error::MalformedRoleClaim {
                claim: "roles".into(),
                expected: "an array of role names (strings, or objects with a string `value`)"
            },
            "{bad}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidToken);
    }
}

#[test]
fn keycloak_realm_and_client_roles_are_told_apart() {
    let iss = "https://sso.example.com/realms/acme";
    let dev = DevIssuer::new().issuer_url(iss);
    let token = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "f:1", "typ": "Bearer", "azp": "web", "aud": ["messages-api", "account"],
            "iat": NOW, "exp": NOW + 300, "scope": "openid read:messages",
            "realm_access": {"roles": ["offline_access", "uma_authorization"]},
            "resource_access": {"messages-api": {"roles": ["admin"]}, "account": {"roles": ["manage-account"]}}}),
    );
    let realm = verifier(&dev, "messages-api", Profile::Keycloak, RoleSource::Profile);
    assert!(roles(&realm.verify(&token).unwrap()).is_empty(), "a client role is not a realm role");
    let client = verifier(&dev, "messages-api", Profile::Keycloak, RoleSource::keycloak_client("messages-api"));
    assert_eq!(roles(&client.verify(&token).unwrap()), ["admin"]);
    let other = verifier(&dev, "messages-api", Profile::Keycloak, RoleSource::keycloak_client("account"));
    assert!(roles(&other.verify(&token).unwrap()).is_empty());
    let realm_admin = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "f:1", "typ": "Bearer", "azp": "web", "aud": "messages-api",
            "iat": NOW, "exp": NOW + 300, "realm_access": {"roles": ["admin"]}}),
    );
    assert_eq!(roles(&realm.verify(&realm_admin).unwrap()), ["admin"]);
    assert!(roles(&client.verify(&realm_admin).unwrap()).is_empty(), "a realm role is not a client role");
    let bad = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "f:1", "typ": "Bearer", "azp": "web", "aud": "messages-api",
            "iat": NOW, "exp": NOW + 300, "resource_access": {"messages-api": {"roles": "admin"}}}),
    );
    assert_eq!(
        client.verify(&bad).unwrap_err(),
        Error::MalformedRoleClaim {
            claim: "resource_access.messages-api.roles".into(),
            expected: "an array of role names (strings, or objects with a string `value`)"
        }
    );
}

#[test]
fn entra_roles_are_the_users_in_delegated_tokens_only() {
    let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let iss = format!("https://login.microsoftonline.com/{tid}/v2.0");
    let dev = DevIssuer::new().issuer_url(&iss);
    let v = verifier(&dev, "api://messages", Profile::EntraId, RoleSource::Profile);
    let delegated = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "s", "aud": "api://messages", "azp": "web", "ver": "2.0", "tid": tid,
            "iat": NOW, "exp": NOW + 300, "scp": "read:messages", "roles": ["admin"]}),
    );
    let t = v.verify(&delegated).unwrap();
    assert_eq!(roles(&t), ["admin"]);
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);
    // App-only: `roles` are the client's application permissions, never a user's role.
    let app_only = mint(
        &dev,
        Some("JWT"),
        json!({"iss": iss, "sub": "s", "aud": "api://messages", "azp": "daemon", "ver": "2.0", "tid": tid,
            "idtyp": "app", "iat": NOW, "exp": NOW + 300, "roles": ["admin", "read:messages"]}),
    );
    let t = v.verify(&app_only).unwrap();
    assert!(roles(&t).is_empty());
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);
}

#[test]
fn auth0_okta_and_cognito_roles_come_from_their_own_claims() {
    let iss = "https://tenant.eu.auth0.com/";
    let dev = DevIssuer::new().issuer_url(iss);
    let auth0 = |extra: Value| {
        let mut c = json!({"iss": iss, "sub": "auth0|64f1", "azp": "spa",
            "aud": ["https://messages.example", "https://tenant.eu.auth0.com/userinfo"],
            "iat": NOW, "exp": NOW + 300, "scope": "openid read:messages"});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        mint(&dev, Some("JWT"), c)
    };
    let v = verifier(&dev, "https://messages.example", Profile::Auth0, RoleSource::Profile);
    assert_eq!(roles(&v.verify(&auth0(json!({"permissions": ["admin"]}))).unwrap()), ["admin"]);
    let ns =
        verifier(&dev, "https://messages.example", Profile::Auth0, RoleSource::claim("https://messages.example/roles"));
    let token = auth0(json!({"permissions": ["x"], "https://messages.example/roles": ["admin"]}));
    assert_eq!(roles(&ns.verify(&token).unwrap()), ["admin"]);

    let iss = "https://acme.okta.com/oauth2/default";
    let dev = DevIssuer::new().issuer_url(iss);
    let v = verifier(&dev, "api://default", Profile::Okta, RoleSource::Profile);
    let okta = mint(
        &dev,
        None,
        json!({"iss": iss, "sub": "00u1", "aud": "api://default", "cid": "0oa1", "jti": "AT.x", "uid": "00u1",
            "iat": NOW, "exp": NOW + 300, "scp": ["read:messages"], "groups": ["Everyone", "admin"]}),
    );
    assert_eq!(roles(&v.verify(&okta).unwrap()), ["admin"]);

    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc";
    let dev = DevIssuer::new().issuer_url(iss);
    let v = verifier(&dev, "3n4b5urk1ft4fl3mg5e62d9ado", Profile::Cognito, RoleSource::Profile);
    let cognito = mint(
        &dev,
        None,
        json!({"iss": iss, "sub": "u", "client_id": "3n4b5urk1ft4fl3mg5e62d9ado", "token_use": "access",
            "jti": "j", "iat": NOW, "exp": NOW + 300, "scope": "read:messages", "cognito:groups": ["admin"]}),
    );
    assert_eq!(roles(&v.verify(&cognito).unwrap()), ["admin"]);
}

#[test]
fn a_role_source_must_name_a_claim_that_is_not_a_registered_one() {
    let dev = DevIssuer::new();
    for source in [
        RoleSource::claim("scope"),
        RoleSource::claim("scp"),
        RoleSource::claim(""),
        RoleSource::path(Vec::<&str>::new()),
    ] {
        let built = dev.access_token_verifier::<Api>().roles_from(source.clone()).build();
        assert_eq!(
            built.unwrap_err(),
            ConfigError::Invalid(
                "a role source names at least one claim, none empty, and never a registered claim such as `scope`"
            ),
            "{source:?}"
        );
    }
}

#[requires_role("admin")]
fn admin_only(token: AccessToken<Api>) -> &'static str {
    let _: Granted<'_, user_role::Admin> = token.grant_role();
    "admin"
}

#[requires_scope("read:pages")]
#[requires_role(any("editor", "admin"))]
fn edit_page(_token: AccessToken<Cms>) -> &'static str {
    "edited"
}

#[requires_role("editor", "auditor")]
#[requires_scope("write:pages")]
fn audit_page(token: AccessToken<Cms>) -> bool {
    let _ = token.grant_role::<staff_role::Editor, _>();
    token.has_role(Staff::Auditor)
}

fn cms_token(scope: &str, roles: &[&str]) -> AccessToken<Cms> {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier::<Cms>().clock(|| NOW).build().unwrap();
    v.verify(&dev.access_token().issued_at(NOW).scope(scope).claim("roles", json!(roles)).sign()).unwrap()
}

#[test]
fn role_guards_check_every_role_or_any_and_scopes_first() {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    let with = |roles: Value| v.verify(&dev.access_token().issued_at(NOW).claim("roles", roles).sign()).unwrap();
    assert_eq!(Scoped::check(with(json!(["admin"]))).map(admin_only).unwrap(), "admin");
    let err = Scoped::check(with(json!(["Admin"]))).map(admin_only).unwrap_err();
    assert_eq!(err.to_string(), "the user lacks the required role: admin");
    assert_eq!(err.code(), ErrorCode::Forbidden);
    let Error::MissingRole { required } = err else { panic!("{err:?}") };
    assert_eq!((required.iter().collect::<Vec<_>>(), required.mode()), (vec!["admin"], Mode::All));

    assert_eq!(Scoped::check(cms_token("read:pages", &["editor"])).map(edit_page).unwrap(), "edited");
    assert_eq!(Scoped::check(cms_token("read:pages", &["admin"])).map(edit_page).unwrap(), "edited");
    let err = Scoped::check(cms_token("read:pages", &["auditor"])).map(edit_page).unwrap_err();
    assert_eq!(err.to_string(), "the user lacks the required role (any of): admin, editor");
    // Scopes first: a token lacking both is told about the scope.
    let err = Scoped::check(cms_token("write:pages", &[])).map(edit_page).unwrap_err();
    assert!(matches!(err, Error::InsufficientScope { .. }), "{err:?}");

    assert!(Scoped::check(cms_token("write:pages", &["editor", "auditor"])).map(audit_page).unwrap());
    let err = Scoped::check(cms_token("write:pages", &["editor"])).map(audit_page).unwrap_err();
    assert_eq!(err.to_string(), "the user lacks the required role: editor, auditor");
    let err = Scoped::check(cms_token("read:pages", &["editor", "auditor"])).map(audit_page).unwrap_err();
    assert!(matches!(err, Error::InsufficientScope { .. }), "{err:?}");
}

#[test]
fn a_run_time_role_proof_names_the_missing_role() {
    let token = cms_token("read:pages", &["editor"]);
    assert!(token.grant_role::<staff_role::Editor>().is_ok());
    let err = token.grant_role::<staff_role::Admin>().unwrap_err();
    assert_eq!(err.to_string(), "the user lacks the required role: admin");
    assert_eq!(Role::Admin.as_str(), "admin");
}

fn request(token: &str) -> (String, &'static str) {
    (format!("Bearer {token}"), "/api/admin")
}

type AdminGuard = Scoped<
    AccessToken<Api>,
    All<(tokenkind_suite::messages::api_scope::ReadMessages, ())>,
    AnyBinding,
    User<All<(user_role::Admin, ())>, AnyAuth>,
>;

#[tokio::test]
async fn a_missing_role_is_a_403_without_an_rfc_6750_error_code_or_challenge() {
    let dev = DevIssuer::new();
    let server =
        ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap()).realm("messages").build().unwrap();
    let authorize = |token: String| {
        let server = server.clone();
        async move {
            let (auth, path) = request(&token);
            let result: Result<AdminGuard, Rejection> =
                server.authorize(&HttpRequest::new("GET", path).header("authorization", auth.as_bytes())).await;
            result
        }
    };
    let reader = dev.access_token().scope("read:messages").sign();
    let refused = authorize(reader).await.unwrap_err();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.error_code(), None);
    assert!(refused.headers().is_empty(), "{:?}", refused.headers());
    assert_eq!(refused.body().bytes, br#"{"error":"forbidden","error_description":"a required role is missing"}"#);
    assert_eq!(refused.required_roles().unwrap().iter().collect::<Vec<_>>(), ["admin"]);

    // The scope is told first, with its own code and challenge.
    let neither = dev.access_token().scope("write:messages").sign();
    let refused = authorize(neither).await.unwrap_err();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.error_code(), Some(ErrorCode::InsufficientScope));
    // A malformed role claim is a token problem: 401 invalid_token.
    let malformed = dev.access_token().scope("read:messages").claim("roles", "admin").sign();
    let refused = authorize(malformed).await.unwrap_err();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.error_code(), Some(ErrorCode::InvalidToken));

    let admin = dev.access_token().scope("read:messages").claim("roles", json!(["admin"])).sign();
    let guard = authorize(admin).await.unwrap();
    assert_eq!(guard.grant_role::<user_role::Admin, _>().role(), Role::Admin);
}

/// An ID token's roles are for display in the client, read only on request,
/// and shaped like every role claim.
#[test]
fn an_id_token_shows_the_users_roles_for_display_only() {
    use tokenkind::{ConfigError, IdTokenVerifier, NoClaims, Nonce};

    let dev = DevIssuer::new();
    let builder = || IdTokenVerifier::<NoClaims>::builder(dev.issuer(), dev.client_id()).keys(dev.key_set());
    let id_token = dev.id_token().nonce("n").claim("roles", json!(["admin", {"value": "auditor"}])).sign();

    // Off by default: nothing read.
    let plain = builder().build().unwrap().verify(&id_token, Nonce::Expected("n")).unwrap();
    assert_eq!(plain.roles_for_display().count(), 0);

    let login = builder().display_roles(RoleSource::Profile).build().unwrap();
    let user = login.verify(&id_token, Nonce::Expected("n")).unwrap();
    assert_eq!(user.roles_for_display().collect::<Vec<_>>(), ["admin", "auditor"]);

    // A role claim of the wrong shape refuses the login, naming the claim.
    let malformed = dev.id_token().nonce("n").claim("roles", "admin").sign();
    assert!(matches!(
        login.verify(&malformed, Nonce::Expected("n")),
        Err(Error::MalformedRoleClaim { claim, .. }) if &*claim == "roles"
    ));
    // Never a registered claim.
    assert!(matches!(builder().display_roles(RoleSource::claim("scope")).build(), Err(ConfigError::Invalid(_))));
}
