//! Multi-tenant issuers: Entra ID v2's `{tenantid}` template, the tenant
//! allowlist, the signing key's JWKS `issuer` member, and the run-time
//! `IssuerResolver`, with tokens shaped exactly like Entra ID's.

mod common;

#[path = "support/http.rs"]
#[allow(dead_code, unreachable_pub)]
mod http;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Api, NOW};
use http::{Reply, TestServer};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::verify::{ENTRA_ID_V2_ISSUER, IssuerResolver, MICROSOFT_ACCOUNTS_TENANT, Resolution};
use tokenkind::{
    AccessTokenVerifier, Algorithm, ConfigError, Error, ErrorCode, IdTokenVerifier, IssuerRouter, KeySet, NoClaims,
    Nonce, Profile,
};

/// The Microsoft tenant of Entra ID's own documentation samples.
const CONTOSO: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Another organisation's tenant.
const FABRIKAM: &str = "0b8d5a6c-1f2e-4c3d-9a8b-7e6f5d4c3b2a";
/// The API's application ID URI and the client (SPA) application id.
const API: &str = "api://6e74172b-be56-4843-9ff4-e66a39bb12e3";
const CLIENT: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
const TID_EXPECTED: &str = "a tenant id: a GUID such as 9188040d-6c67-4c5b-b112-36a304b66dad";

fn entra_iss(tenant: &str) -> String {
    ENTRA_ID_V2_ISSUER.replace("{tenantid}", tenant)
}

/// An RS256 issuer, as Entra ID signs.
fn entra() -> DevIssuer {
    DevIssuer::with_algorithm(Algorithm::RS256).client(CLIENT).api_audience(API)
}

/// The issuer's JWKS with Entra ID's `issuer` member on its key (or none).
fn jwks_with_issuer(dev: &DevIssuer, issuer: Option<Value>) -> String {
    let mut jwks: Value = serde_json::from_str(&dev.jwks()).unwrap();
    let key = &mut jwks["keys"][0];
    key["use"] = json!("sig");
    if let Some(issuer) = issuer {
        key["issuer"] = issuer;
    }
    jwks.to_string()
}

fn entra_keys(dev: &DevIssuer) -> KeySet {
    KeySet::from_jwks(&jwks_with_issuer(dev, Some(json!(ENTRA_ID_V2_ISSUER)))).unwrap()
}

/// Mints a token with exactly these claims, header `typ: JWT` as Entra ID sends.
#[allow(clippy::needless_pass_by_value)]
fn mint(dev: &DevIssuer, claims: Value) -> String {
    let mut b = dev.access_token().header_typ(Some("JWT"));
    for name in ["iss", "sub", "aud", "client_id", "jti", "iat", "exp", "scope"] {
        b = b.without(name);
    }
    for (k, v) in claims.as_object().unwrap() {
        b = b.claim(k, v.clone());
    }
    b.sign()
}

/// The claims of an Entra ID v2 delegated access token (a user signed in to `CLIENT`, calling `API`).
fn access_claims(tenant: &str) -> Value {
    json!({
        "aud": API, "iss": entra_iss(tenant), "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
        "aio": "AWQAm/8TAAAA", "azp": CLIENT, "azpacr": "0", "name": "Abe Lincoln",
        "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@contoso.com",
        "rh": "0.AXkAv4j5cvGGr0GRqy180BHbR", "scp": "read:messages", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
        "tid": tenant, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0"
    })
}

/// The claims of an Entra ID v2 ID token for `CLIENT` (no `azp`, a `nonce`).
fn id_claims(tenant: &str) -> Value {
    json!({
        "ver": "2.0", "iss": entra_iss(tenant), "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "aud": CLIENT, "exp": NOW + 3600, "iat": NOW, "nbf": NOW, "name": "Abe Lincoln",
        "preferred_username": "AbeLi@microsoft.com", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "tid": tenant, "nonce": "123523", "aio": "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY"
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn multi_tenant(dev: &DevIssuer, tenants: &[&str]) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API)
        .profile(Profile::EntraId)
        .tenants(tenants.iter().copied())
        .keys(entra_keys(dev))
        .clock(|| NOW)
        .build()
        .unwrap()
}

#[test]
fn templated_issuer_accepts_an_entra_v2_access_token_of_an_allowed_tenant() {
    let dev = entra();
    let v = multi_tenant(&dev, &[CONTOSO, FABRIKAM]);
    for tenant in [CONTOSO, FABRIKAM] {
        let token = v.verify(&mint(&dev, access_claims(tenant))).unwrap();
        // The token's own issuer, never the template.
        assert_eq!(token.issuer(), entra_iss(tenant));
        assert_eq!(token.client_id(), CLIENT);
        assert_eq!(token.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);
    }
    assert_eq!(v.issuer(), ENTRA_ID_V2_ISSUER);
}

#[test]
fn templated_issuer_accepts_the_personal_account_tenant_only_when_listed() {
    let dev = entra();
    let msa = mint(&dev, access_claims(MICROSOFT_ACCOUNTS_TENANT));
    assert!(matches!(
        multi_tenant(&dev, &[CONTOSO]).verify(&msa),
        Err(Error::TenantNotAllowed { tenant }) if tenant.as_str() == MICROSOFT_ACCOUNTS_TENANT
    ));
    let token = multi_tenant(&dev, &[CONTOSO, MICROSOFT_ACCOUNTS_TENANT]).verify(&msa).unwrap();
    assert_eq!(token.issuer(), "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0");
}

#[test]
fn check_tenant_allowed_refuses_a_tenant_outside_the_allowlist() {
    let dev = entra();
    let err = multi_tenant(&dev, &[CONTOSO]).verify(&mint(&dev, access_claims(FABRIKAM))).unwrap_err();
    assert!(matches!(&err, Error::TenantNotAllowed { tenant } if tenant.as_str() == FABRIKAM));
    assert_eq!(err.code(), ErrorCode::InvalidToken);
    assert_eq!(err.to_string(), format!("the token's tenant \"{FABRIKAM}\" is not a trusted tenant"));
    // Tenant ids are GUIDs: the allowlist is compared without regard to case.
    let upper = multi_tenant(&dev, &[&CONTOSO.to_uppercase()]);
    assert!(upper.verify(&mint(&dev, access_claims(CONTOSO))).is_ok());
}

#[test]
fn check_templated_issuer_requires_iss_with_the_tokens_own_tid() {
    let dev = entra();
    let v = multi_tenant(&dev, &[CONTOSO, FABRIKAM]);
    // Both tenants are trusted, but `iss` names another tenant than `tid`.
    for iss in [
        entra_iss(FABRIKAM),
        format!("https://sts.windows.net/{CONTOSO}/"),
        format!("https://login.microsoftonline.com/{CONTOSO}/v2.0/"),
        "https://login.microsoftonline.com/common/v2.0".to_owned(),
        ENTRA_ID_V2_ISSUER.to_owned(),
    ] {
        let token = mint(&dev, with(access_claims(CONTOSO), "iss", json!(iss)));
        let err = v.verify(&token).unwrap_err();
        assert!(matches!(&err, Error::WrongIssuer { found } if found.as_str() == iss), "{iss}: {err:?}");
    }
}

#[test]
fn templated_issuer_requires_tid() {
    let dev = entra();
    let token = mint(&dev, without(access_claims(CONTOSO), "tid"));
    assert_eq!(multi_tenant(&dev, &[CONTOSO]).verify(&token).unwrap_err(), Error::MissingClaim { claim: "tid" });
}

#[test]
fn token_tenant_malformed_is_an_error_naming_tid_never_absent() {
    let dev = entra();
    let v = multi_tenant(&dev, &[CONTOSO]);
    for bad in [
        json!(7),
        json!(null),
        json!([CONTOSO]),
        json!({ "id": CONTOSO }),
        json!("common"),
        json!(""),
        json!(format!("{{{CONTOSO}}}")),
    ] {
        let token = mint(&dev, with(access_claims(CONTOSO), "tid", bad.clone()));
        assert_eq!(
            v.verify(&token).unwrap_err(),
            Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED },
            "tid {bad}"
        );
    }
}

#[test]
fn allow_any_tenant_accepts_every_tenant_and_still_checks_iss_and_key() {
    let dev = entra();
    let v = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API)
        .profile(Profile::EntraId)
        .allow_any_tenant()
        .keys(entra_keys(&dev))
        .clock(|| NOW)
        .build()
        .unwrap();
    for tenant in [CONTOSO, FABRIKAM, MICROSOFT_ACCOUNTS_TENANT] {
        assert_eq!(v.verify(&mint(&dev, access_claims(tenant))).unwrap().issuer(), entra_iss(tenant));
    }
    let forged = mint(&dev, with(access_claims(CONTOSO), "iss", json!(entra_iss(FABRIKAM))));
    assert!(matches!(v.verify(&forged), Err(Error::WrongIssuer { .. })));
    let no_tid = mint(&dev, without(access_claims(CONTOSO), "tid"));
    assert_eq!(v.verify(&no_tid).unwrap_err(), Error::MissingClaim { claim: "tid" });
}

#[test]
fn entra_id_token_is_refused_by_a_multi_tenant_access_verifier() {
    let dev = entra();
    let v = multi_tenant(&dev, &[CONTOSO]);
    // With its `nonce`, and without it (the profile's own rule: no `azp`).
    let id = mint(&dev, with(id_claims(CONTOSO), "aud", json!(API)));
    assert_eq!(v.verify(&id).unwrap_err(), Error::IdTokenAsAccessToken { reason: "it carries `nonce`" });
    let id = mint(&dev, with(without(id_claims(CONTOSO), "nonce"), "aud", json!(API)));
    assert_eq!(
        v.verify(&id).unwrap_err(),
        Error::IdTokenAsAccessToken { reason: "it has no `azp`, which every Entra ID v2 access token carries" }
    );
}

#[test]
fn templated_issuer_verifies_entra_v2_id_tokens() {
    let dev = entra();
    let login = IdTokenVerifier::<NoClaims>::builder(ENTRA_ID_V2_ISSUER, CLIENT)
        .tenants([CONTOSO, MICROSOFT_ACCOUNTS_TENANT])
        .keys(entra_keys(&dev))
        .clock(|| NOW)
        .build()
        .unwrap();
    let msa = mint(&dev, id_claims(MICROSOFT_ACCOUNTS_TENANT));
    let token = login.verify(&msa, Nonce::Expected("123523")).unwrap();
    assert_eq!(token.issuer(), entra_iss(MICROSOFT_ACCOUNTS_TENANT));
    let other = mint(&dev, id_claims(FABRIKAM));
    assert!(matches!(
        login.verify(&other, Nonce::Expected("123523")),
        Err(Error::TenantNotAllowed { tenant }) if tenant.as_str() == FABRIKAM
    ));
    let forged = mint(&dev, with(id_claims(CONTOSO), "iss", json!(entra_iss(MICROSOFT_ACCOUNTS_TENANT))));
    assert!(matches!(login.verify(&forged, Nonce::Expected("123523")), Err(Error::WrongIssuer { .. })));
}

fn single_tenant(dev: &DevIssuer, tenant: &str, key_issuer: Option<Value>) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(entra_iss(tenant), API)
        .profile(Profile::EntraId)
        .keys(KeySet::from_jwks(&jwks_with_issuer(dev, key_issuer)).unwrap())
        .clock(|| NOW)
        .build()
        .unwrap()
}

#[test]
fn check_key_issuer_accepts_a_key_whose_issuer_agrees() {
    let dev = entra();
    let token = mint(&dev, access_claims(CONTOSO));
    // Templated (as in Entra ID's common JWKS), exact, or absent.
    for key_issuer in [Some(json!(ENTRA_ID_V2_ISSUER)), Some(json!(entra_iss(CONTOSO))), None] {
        assert!(single_tenant(&dev, CONTOSO, key_issuer.clone()).verify(&token).is_ok(), "{key_issuer:?}");
    }
}

#[test]
fn check_key_issuer_refuses_a_key_published_for_another_issuer() {
    let dev = entra();
    let token = mint(&dev, access_claims(CONTOSO));
    let other = entra_iss(FABRIKAM);
    let err = single_tenant(&dev, CONTOSO, Some(json!(other))).verify(&token).unwrap_err();
    assert!(matches!(&err, Error::KeyIssuerMismatch { key_issuer } if key_issuer.as_str() == other));
    assert_eq!(err.code(), ErrorCode::InvalidToken);
    // Also under a multi-tenant verifier: a key of one tenant does not sign for another.
    let v = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API)
        .profile(Profile::EntraId)
        .allow_any_tenant()
        .keys(KeySet::from_jwks(&jwks_with_issuer(&dev, Some(json!(other)))).unwrap())
        .clock(|| NOW)
        .build()
        .unwrap();
    assert!(v.verify(&mint(&dev, access_claims(FABRIKAM))).is_ok());
    assert!(matches!(
        v.verify(&token),
        Err(Error::KeyIssuerMismatch { key_issuer }) if key_issuer.as_str() == other
    ));
}

#[test]
fn check_key_issuer_templated_needs_the_tokens_tid() {
    let dev = entra();
    let v = single_tenant(&dev, CONTOSO, Some(json!(ENTRA_ID_V2_ISSUER)));
    // No `tid`: a templated key issuer cannot agree.
    let token = mint(&dev, without(access_claims(CONTOSO), "tid"));
    assert!(matches!(
        v.verify(&token),
        Err(Error::KeyIssuerMismatch { key_issuer }) if key_issuer.as_str() == ENTRA_ID_V2_ISSUER
    ));
    // A `tid` of another tenant than `iss`'s.
    let token = mint(&dev, with(access_claims(CONTOSO), "tid", json!(FABRIKAM)));
    assert!(matches!(v.verify(&token), Err(Error::KeyIssuerMismatch { .. })));
    // A malformed `tid` is an error, never absent.
    let token = mint(&dev, with(access_claims(CONTOSO), "tid", json!(1)));
    assert_eq!(v.verify(&token).unwrap_err(), Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED });
}

#[test]
fn key_issuer_of_the_wrong_type_makes_the_key_unusable() {
    let dev = entra();
    for bad in [json!(1), json!(null), json!(["x"]), json!("")] {
        let jwks = jwks_with_issuer(&dev, Some(bad.clone()));
        assert_eq!(KeySet::from_jwks(&jwks).unwrap_err(), ConfigError::NoKeys, "{bad}");
        let mut with_good: Value = serde_json::from_str(&jwks).unwrap();
        let good = serde_json::from_str::<Value>(&DevIssuer::new().jwks()).unwrap()["keys"][0].clone();
        with_good["keys"].as_array_mut().unwrap().push(good);
        let keys = KeySet::from_jwks(&with_good.to_string()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.skipped()[0].reason, "the key's `issuer` is not a non-empty string");
    }
    let keys = entra_keys(&dev);
    assert_eq!(keys.issuer(Some(dev.kid())), Some(ENTRA_ID_V2_ISSUER));
}

#[test]
fn templated_issuer_configuration_errors() {
    let dev = entra();
    let build = |b: tokenkind::AccessTokenVerifierBuilder<Api>| b.keys(dev.key_set()).build().map(|_| ());
    let builder = || AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API);
    assert!(matches!(build(builder()), Err(ConfigError::Invalid(m)) if m.contains("`.allow_any_tenant()`")));
    assert_eq!(build(builder().tenants(Vec::<String>::new())), Err(ConfigError::Empty("tenant allowlist")));
    assert_eq!(build(builder().tenants(["common"])), Err(ConfigError::InvalidTenant("common".into())));
    assert_eq!(
        build(builder().tenants([CONTOSO, "organizations"])),
        Err(ConfigError::InvalidTenant("organizations".into()))
    );
    assert!(
        matches!(build(builder().tenants([CONTOSO]).allow_any_tenant()), Err(ConfigError::Invalid(m)) if m.contains("exclude"))
    );
    let exact = || AccessTokenVerifier::<Api>::builder(entra_iss(CONTOSO), API);
    assert!(matches!(build(exact().tenants([CONTOSO])), Err(ConfigError::Invalid(_))));
    assert!(matches!(build(exact().allow_any_tenant()), Err(ConfigError::Invalid(_))));
    // Discovery would ask a URL holding the literal `{tenantid}`.
    let discovered = builder().allow_any_tenant().discovery().build().map(|_| ());
    assert!(matches!(discovered, Err(ConfigError::Invalid(m)) if m.contains("cannot be discovered")));
    // A templated verifier matches many issuers: not for the exact-match router.
    let templated = builder().allow_any_tenant().keys(dev.key_set()).build().unwrap();
    assert!(matches!(IssuerRouter::new().with(templated), Err(ConfigError::Invalid(_))));
}

// ---- The run-time resolver ----

fn tenant_table(
    entries: Vec<(String, AccessTokenVerifier<Api>)>,
) -> Arc<Mutex<HashMap<String, AccessTokenVerifier<Api>>>> {
    Arc::new(Mutex::new(entries.into_iter().collect()))
}

#[tokio::test]
async fn resolver_verifies_with_the_verifier_the_code_picked_and_refuses_unknown_issuers() {
    let (a, b) = (DevIssuer::new().issuer_url("https://a.example"), DevIssuer::new().issuer_url("https://b.example"));
    let table = tenant_table(vec![(a.issuer().to_owned(), a.access_token_verifier::<Api>().build().unwrap())]);
    let lookup = Arc::clone(&table);
    let resolver = IssuerResolver::new(move |iss: &str| match lookup.lock().unwrap().get(iss) {
        Some(v) => Resolution::Trusted(v.clone()),
        None => Resolution::Unknown,
    });
    let token = resolver.verify_async(&a.access_token().scope("read:messages").sign()).await.unwrap();
    assert_eq!(token.issuer(), "https://a.example");
    let b_token = b.access_token().sign();
    assert!(matches!(
        resolver.verify_async(&b_token).await,
        Err(Error::WrongIssuer { found }) if found.as_str() == "https://b.example"
    ));
    // Refusals are not cached: a tenant added at run time is found on its next token.
    table.lock().unwrap().insert(b.issuer().to_owned(), b.access_token_verifier::<Api>().build().unwrap());
    assert_eq!(resolver.verify_async(&b_token).await.unwrap().issuer(), "https://b.example");
    // A key of one tenant never verifies another's token, even if the code picks the wrong verifier.
    let confused =
        IssuerResolver::new(move |_: &str| Resolution::Trusted(a.access_token_verifier::<Api>().build().unwrap()));
    assert!(matches!(confused.verify_async(&b_token).await, Err(Error::UnknownKey { .. } | Error::WrongIssuer { .. })));
}

#[tokio::test]
async fn resolver_refuses_an_id_token_by_the_tenants_profile() {
    let dev = entra();
    let tenant_verifier = multi_tenant(&dev, &[CONTOSO]);
    assert_eq!(tenant_verifier.profile(), Profile::EntraId);
    let resolver = IssuerResolver::new(move |iss: &str| {
        if iss == entra_iss(CONTOSO) { Resolution::Trusted(tenant_verifier.clone()) } else { Resolution::Unknown }
    });
    let access = mint(&dev, access_claims(CONTOSO));
    assert_eq!(resolver.verify_async(&access).await.unwrap().issuer(), entra_iss(CONTOSO));
    // An Entra ID token sent to the API, with its `nonce` and without it.
    let id = mint(&dev, with(id_claims(CONTOSO), "aud", json!(API)));
    assert_eq!(
        resolver.verify_async(&id).await.unwrap_err(),
        Error::IdTokenAsAccessToken { reason: "it carries `nonce`" }
    );
    let id = mint(&dev, with(without(id_claims(CONTOSO), "nonce"), "aud", json!(API)));
    assert_eq!(
        resolver.verify_async(&id).await.unwrap_err(),
        Error::IdTokenAsAccessToken { reason: "it has no `azp`, which every Entra ID v2 access token carries" }
    );
}

#[tokio::test]
async fn resolver_async_code_unavailable_is_503_never_invalid_and_not_cached() {
    let dev = DevIssuer::new();
    let verifier = dev.access_token_verifier::<Api>().build().unwrap();
    let up = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (up2, calls2) = (Arc::clone(&up), Arc::clone(&calls));
    let resolver = IssuerResolver::new_async(move |iss: String| {
        let (verifier, up, calls) = (verifier.clone(), Arc::clone(&up2), Arc::clone(&calls2));
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if up.load(Ordering::SeqCst) == 0 {
                Resolution::Unavailable
            } else if iss == verifier.issuer() {
                Resolution::Trusted(verifier)
            } else {
                Resolution::Unknown
            }
        }
    });
    let token = dev.access_token().sign();
    let err = resolver.verify_async(&token).await.unwrap_err();
    assert_eq!(err, Error::KeysUnavailable);
    assert_eq!(err.code(), ErrorCode::TemporarilyUnavailable);
    assert_eq!(resolver.cached(), 0);
    up.store(1, Ordering::SeqCst);
    resolver.verify_async(&token).await.unwrap();
    resolver.verify_async(&token).await.unwrap();
    // Asked twice (unavailable, then trusted); the second token came from the cache.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(resolver.forget(dev.issuer()));
    resolver.verify_async(&token).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn resolver_cache_is_bounded() {
    let issuers: Vec<DevIssuer> =
        (0..5).map(|i| DevIssuer::new().issuer_url(format!("https://tenant-{i}.example"))).collect();
    let table: HashMap<String, AccessTokenVerifier<Api>> =
        issuers.iter().map(|d| (d.issuer().to_owned(), d.access_token_verifier::<Api>().build().unwrap())).collect();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let resolver = IssuerResolver::new(move |iss: &str| {
        counted.fetch_add(1, Ordering::SeqCst);
        table.get(iss).cloned().map_or(Resolution::Unknown, Resolution::Trusted)
    })
    .max_cached(3);
    for dev in &issuers {
        resolver.verify_async(&dev.access_token().sign()).await.unwrap();
        assert!(resolver.cached() <= 3);
    }
    assert_eq!(resolver.cached(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    // The newest three are cached; the oldest was forgotten and is asked again.
    resolver.verify_async(&issuers[4].access_token().sign()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    resolver.verify_async(&issuers[0].access_token().sign()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    // Without a cache, every token asks.
    let uncached = resolver.clone().max_cached(0);
    uncached.verify_async(&issuers[4].access_token().sign()).await.unwrap();
    uncached.verify_async(&issuers[4].access_token().sign()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 8);
    assert_eq!(uncached.cached(), 0);
}

#[tokio::test]
async fn resolver_reads_iss_strictly_before_asking() {
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&asked);
    let resolver = IssuerResolver::<AccessTokenVerifier<Api>>::new(move |_: &str| {
        counted.fetch_add(1, Ordering::SeqCst);
        Resolution::Unknown
    });
    let dev = DevIssuer::new();
    let no_iss = dev.access_token().without("iss").sign();
    assert_eq!(resolver.verify_async(&no_iss).await.unwrap_err(), Error::MissingClaim { claim: "iss" });
    for bad in [json!(["https://a.example"]), json!(null), json!(1)] {
        let bad_iss = dev.access_token().claim("iss", bad).sign();
        assert_eq!(
            resolver.verify_async(&bad_iss).await.unwrap_err(),
            Error::MalformedClaim { claim: "iss", expected: "a string" }
        );
    }
    assert!(matches!(resolver.verify_async("a.b").await, Err(Error::Malformed(_))));
    let huge = format!("{}.{}.x", "a".repeat(20_000), "b");
    assert!(matches!(resolver.verify_async(&huge).await, Err(Error::TooLarge { .. })));
    assert_eq!(asked.load(Ordering::SeqCst), 0);
}

/// A flood of tokens naming random issuers, several of them pointing at a
/// real local server that serves discovery documents and JWKS for any path:
/// the resolver refuses each without a single request. A trusted tenant's
/// keys on the same server are fetched, which shows the counter counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolver_flood_of_random_issuers_makes_zero_outbound_requests() {
    let server = TestServer::start().await;
    let attacker = DevIssuer::new().issuer_url(server.base());
    // Whatever a naive implementation would fetch, the server would answer.
    let doc = json!({ "issuer": server.base(), "jwks_uri": server.url("/jwks"), "response_types_supported": ["code"] });
    for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
        server.route(path, Reply::json(doc.to_string()));
    }
    server.route("/jwks", Reply::json(attacker.jwks()));

    // The one onboarded tenant, its keys on the same server under its own path.
    let tenant = entra();
    server.route("/tenant/keys", Reply::json(jwks_with_issuer(&tenant, Some(json!(ENTRA_ID_V2_ISSUER)))));
    let tenant_verifier = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API)
        .profile(Profile::EntraId)
        .tenants([CONTOSO])
        .jwks_uri(server.url("/tenant/keys"))
        .clock(|| NOW)
        .build()
        .unwrap();
    let onboarded: HashMap<String, AccessTokenVerifier<Api>> = HashMap::from([(entra_iss(CONTOSO), tenant_verifier)]);
    let resolver = IssuerResolver::new_async(move |iss: String| {
        let found = onboarded.get(&iss).cloned();
        async move { found.map_or(Resolution::Unknown, Resolution::Trusted) }
    })
    .max_cached(8);

    let mut refused = 0;
    for i in 0..400u32 {
        let iss = match i % 4 {
            0 => server.base(),
            1 => server.url(&format!("/tenants/{i}")),
            2 => format!("https://{i:08x}.attacker.example/v2.0"),
            _ => entra_iss(&format!("{i:08x}-0000-4000-8000-000000000000")),
        };
        let token = attacker.access_token().claim("iss", iss.clone()).claim("tid", "not-checked").sign();
        match resolver.verify_async(&token).await {
            Err(Error::WrongIssuer { found }) if found.as_str() == iss => refused += 1,
            other => panic!("{iss}: expected WrongIssuer, got {other:?}"),
        }
    }
    assert_eq!(refused, 400);
    assert_eq!(resolver.cached(), 0);
    assert!(
        server.requests().is_empty(),
        "requests: {:?}",
        server.requests().iter().map(|r| &r.target).collect::<Vec<_>>()
    );

    // The trusted tenant's token: its keys come from its configured URL, once.
    let token = resolver.verify_async(&mint(&tenant, access_claims(CONTOSO))).await.unwrap();
    assert_eq!(token.issuer(), entra_iss(CONTOSO));
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets, ["/tenant/keys"]);
}

// ---- Through the HTTP pipeline, remote keys and the diagnosis ----

/// What a refusal's error must be.
type Expected<'a> = dyn Fn(&Error) -> bool + 'a;

#[tokio::test]
async fn multi_tenant_refusals_are_401_invalid_token_through_the_resource_server() {
    use tokenkind::http::{HttpRequest, ResourceServer};
    let dev = entra();
    let server = ResourceServer::new(multi_tenant(&dev, &[CONTOSO]));
    let answer = |token: String| {
        let server = server.clone();
        async move {
            let auth = format!("Bearer {token}");
            let request = HttpRequest::new("GET", "/api/messages").header("authorization", auth.as_bytes());
            server.authenticate(&request).await
        }
    };
    assert_eq!(answer(mint(&dev, access_claims(CONTOSO))).await.unwrap().issuer(), entra_iss(CONTOSO));
    let fabrikam_iss = entra_iss(FABRIKAM);
    let cases: [(String, &Expected<'_>); 3] = [
        (
            mint(&dev, access_claims(FABRIKAM)),
            &|e| matches!(e, Error::TenantNotAllowed { tenant } if tenant.as_str() == FABRIKAM),
        ),
        (
            mint(&dev, with(access_claims(CONTOSO), "iss", json!(fabrikam_iss))),
            &|e| matches!(e, Error::WrongIssuer { found } if found.as_str() == fabrikam_iss),
        ),
        (mint(&dev, with(access_claims(CONTOSO), "tid", json!(1))), &|e| {
            *e == Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED }
        }),
    ];
    for (token, expected) in cases {
        let r = answer(token).await.unwrap_err();
        assert_eq!((r.status(), r.error_code()), (401, Some(ErrorCode::InvalidToken)));
        assert!(r.token_error().is_some_and(expected), "{:?}", r.token_error());
        let challenge = r.www_authenticate().unwrap();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
    let key_server = ResourceServer::new(single_tenant(&dev, CONTOSO, Some(json!(entra_iss(FABRIKAM)))));
    let auth = format!("Bearer {}", mint(&dev, access_claims(CONTOSO)));
    let r = key_server
        .authenticate(&HttpRequest::new("GET", "/api/messages").header("authorization", auth.as_bytes()))
        .await
        .unwrap_err();
    assert_eq!((r.status(), r.error_code()), (401, Some(ErrorCode::InvalidToken)));
    assert!(matches!(r.token_error(), Some(Error::KeyIssuerMismatch { .. })));
}

#[tokio::test]
async fn remote_keys_keep_their_jwks_issuer_member() {
    let server = TestServer::start().await;
    let dev = entra();
    server.route("/contoso/keys", Reply::json(jwks_with_issuer(&dev, Some(json!(entra_iss(CONTOSO))))));
    let v = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, API)
        .profile(Profile::EntraId)
        .allow_any_tenant()
        .jwks_uri(server.url("/contoso/keys"))
        .clock(|| NOW)
        .build()
        .unwrap();
    assert_eq!(v.verify_async(&mint(&dev, access_claims(CONTOSO))).await.unwrap().issuer(), entra_iss(CONTOSO));
    // The same key, a token of another tenant: the key is published for Contoso only.
    assert!(matches!(
        v.verify_async(&mint(&dev, access_claims(FABRIKAM))).await,
        Err(Error::KeyIssuerMismatch { key_issuer }) if key_issuer.as_str() == entra_iss(CONTOSO)
    ));
    assert_eq!(server.hits("/contoso/keys"), 1);
}

#[test]
fn diagnose_reports_tenant_and_key_issuer_rules_under_issuer() {
    use tokenkind::verify::{Outcome, Rule};
    let dev = entra();
    let d = multi_tenant(&dev, &[CONTOSO]).diagnose(&mint(&dev, access_claims(FABRIKAM)));
    assert_eq!(d.failed_rule(), Some(Rule::Issuer));
    assert!(matches!(d.error(), Some(Error::TenantNotAllowed { tenant }) if tenant.as_str() == FABRIKAM));
    assert_eq!(d.outcome(Rule::Signature), Some(&Outcome::Passed));
    let d =
        single_tenant(&dev, CONTOSO, Some(json!(entra_iss(FABRIKAM)))).diagnose(&mint(&dev, access_claims(CONTOSO)));
    assert_eq!(d.failed_rule(), Some(Rule::Issuer));
    assert!(matches!(d.error(), Some(Error::KeyIssuerMismatch { .. })));
}
