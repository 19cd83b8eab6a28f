//! RFC 9728 protected-resource metadata: generated from what the resource
//! server enforces, named in every challenge, served by each adapter.

mod web;

use std::net::TcpListener;

use serde_json::{Value, json};
use tokenkind::dev::{DevIssuer, DpopKey};
use tokenkind::http::{DpopPolicy, HttpRequest, ResourceMetadata, ResourceServer};
use tokenkind::scope::All;
use tokenkind::scope::{AnyBinding, AnyUser};
use tokenkind::{AccessToken, ConfigError, Scopes, requires_scope};

#[derive(Scopes)]
enum Before {
    #[scope("read:messages")]
    ReadMessages,
}

// The same API after one more scope was declared, and nothing else changed.
#[derive(Scopes)]
enum After {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

const RESOURCE: &str = "https://api.example/v1";
const METADATA: &str = "https://api.example/.well-known/oauth-protected-resource/v1";

fn dev() -> DevIssuer {
    DevIssuer::new().issuer_url("https://issuer.example").api_audience(RESOURCE)
}

fn document<S: Scopes>(server: &ResourceServer<S>) -> Value {
    serde_json::from_slice(server.metadata().expect("configured").document()).unwrap()
}

fn server<S: Scopes>(dev: &DevIssuer) -> tokenkind::http::ResourceServerBuilder<S> {
    ResourceServer::builder(dev.access_token_verifier::<S>().build().unwrap())
        .protected_resource_metadata(ResourceMetadata::new())
}

#[test]
fn a_scope_added_to_the_enum_appears_in_the_document() {
    let dev = dev();
    let before = server::<Before>(&dev).build().unwrap();
    let after = server::<After>(&dev).build().unwrap();
    assert_eq!(document(&before)["scopes_supported"], json!(["read:messages"]));
    assert_eq!(document(&after)["scopes_supported"], json!(["read:messages", "write:messages"]));
}

#[test]
fn the_document_says_what_the_server_enforces() {
    let dev = dev();
    let plain = server::<After>(&dev).build().unwrap();
    assert_eq!(
        document(&plain),
        json!({
            "resource": RESOURCE,
            "authorization_servers": ["https://issuer.example"],
            "scopes_supported": ["read:messages", "write:messages"],
            "bearer_methods_supported": ["header"],
        })
    );
    let metadata = plain.metadata().unwrap();
    assert_eq!((metadata.path(), metadata.url()), ("/.well-known/oauth-protected-resource/v1", METADATA));

    let open = server::<After>(&dev)
        .allow_access_token_in_query()
        .dpop(DpopPolicy::allowed())
        .protected_resource_metadata(
            ResourceMetadata::new()
                .resource_name("Messages API")
                .resource_documentation("https://docs.api.example/messages")
                .tls_client_certificate_bound_access_tokens(),
        )
        .build()
        .unwrap();
    assert_eq!(
        document(&open),
        json!({
            "resource": RESOURCE,
            "authorization_servers": ["https://issuer.example"],
            "scopes_supported": ["read:messages", "write:messages"],
            "bearer_methods_supported": ["header", "query"],
            "dpop_signing_alg_values_supported": ["ES256", "ES384", "EdDSA", "PS256", "RS256"],
            "dpop_bound_access_tokens_required": false,
            "tls_client_certificate_bound_access_tokens": true,
            "resource_name": "Messages API",
            "resource_documentation": "https://docs.api.example/messages",
        })
    );

    let dpop_only = server::<After>(&dev).dpop(DpopPolicy::required()).build().unwrap();
    assert_eq!(document(&dpop_only)["dpop_bound_access_tokens_required"], true);
}

#[test]
fn without_metadata_nothing_is_advertised() {
    let dev = dev();
    let server = ResourceServer::new(dev.access_token_verifier::<After>().build().unwrap());
    assert!(server.metadata().is_none());
}

#[test]
fn an_audience_that_is_not_a_resource_identifier_is_refused() {
    for audience in ["my-api", "api://7f3b9e1c", "http://api.example/v1", "https://api.example/v1?tenant=a"] {
        let dev = DevIssuer::new().api_audience(audience);
        let built = server::<After>(&dev).build();
        assert!(
            matches!(&built, Err(ConfigError::Url { url, .. }) if url == audience),
            "{audience}: {:?}",
            built.err()
        );
    }
}

/// Runs a future that never waits (the verifier has its keys in memory).
fn now<F: core::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the pipeline waited"),
    }
}

#[test]
fn every_challenge_names_the_metadata() {
    let dev = dev();
    let server = server::<After>(&dev).dpop(DpopPolicy::allowed()).build().unwrap();
    let named = format!("resource_metadata=\"{METADATA}\"");
    let check = |request: HttpRequest<'_>, status: u16| {
        let refused =
            now(server.authorize::<All<(after_scope::WriteMessages, ())>, AnyBinding, AnyUser>(&request)).unwrap_err();
        assert_eq!(refused.status(), status);
        assert_eq!(refused.resource_metadata(), Some(METADATA));
        let challenges = refused.challenges();
        assert_eq!(challenges.len(), 2, "{challenges:?}");
        for challenge in &challenges {
            assert!(challenge.contains(&named), "{challenge}");
        }
        challenges
    };
    // 401 without credentials: both challenges bare but for the realm and the metadata.
    let challenges = check(HttpRequest::new("GET", "/v1/messages"), 401);
    assert_eq!(challenges[0], format!("Bearer realm=\"{RESOURCE}\", {named}"));
    assert!(challenges[1].starts_with(&format!("DPoP realm=\"{RESOURCE}\", {named}, algs=\"")));
    // 401 for an invalid token, 403 for a missing scope, 400 for a malformed request.
    let id_token = format!("Bearer {}", dev.id_token().nonce("n").sign());
    check(HttpRequest::new("GET", "/v1/messages").header("authorization", id_token.as_bytes()), 401);
    let reader = format!("Bearer {}", dev.access_token().scope("read:messages").sign());
    let challenges = check(HttpRequest::new("GET", "/v1/messages").header("authorization", reader.as_bytes()), 403);
    assert_eq!(
        challenges[0],
        format!(
            "Bearer realm=\"{RESOURCE}\", {named}, error=\"insufficient_scope\", error_description=\"the access \
             token lacks a required scope\", scope=\"write:messages\""
        )
    );
    check(HttpRequest::new("GET", "/v1/messages").header("authorization", b"Bearer a b"), 400);
    // A DPoP proof problem: the error on the DPoP challenge, which names the metadata too.
    let key = DpopKey::new();
    let bound = dev.access_token().scope("write:messages").dpop_bound(&key).sign();
    let dpop = format!("DPoP {bound}");
    let challenges = check(HttpRequest::new("GET", "/v1/messages").header("authorization", dpop.as_bytes()), 401);
    assert!(challenges[1].contains("error=\"invalid_dpop_proof\""), "{}", challenges[1]);
}

#[requires_scope("read:messages")]
async fn list(token: AccessToken<After>) -> String {
    token.subject().to_owned()
}

fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

async fn check_served(base: &str, dev: &DevIssuer) {
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/.well-known/oauth-protected-resource/v1")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap()["resource"], RESOURCE);
    let a = web::get(&client, &format!("{base}/v1/messages"), Some(&dev.access_token().scope("").sign())).await;
    assert_eq!(a.status.as_u16(), 403);
    assert_eq!(
        a.www_authenticate.unwrap(),
        web::challenge_with_metadata(
            RESOURCE,
            METADATA,
            Some(("insufficient_scope", "the access token lacks a required scope")),
            Some("read:messages")
        )
    );
}

#[tokio::test]
async fn axum_serves_the_document() {
    use axum::Router;
    use axum::routing::get;
    use tokenkind::web::axum::protected_resource_metadata;

    let dev = dev();
    let server = server::<After>(&dev).build().unwrap();
    let metadata = server.metadata().unwrap();
    let app = Router::new()
        .route(metadata.path(), get(protected_resource_metadata(metadata)))
        .route("/v1/messages", get(list))
        .with_state(server.clone());
    let (listener, base) = listener();
    tokio::spawn(async move {
        axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap();
    });
    check_served(&base, &dev).await;
}

#[tokio::test]
async fn actix_serves_the_document() {
    use actix_web::{App, HttpServer, web as actix};

    let dev = dev();
    let server = server::<After>(&dev).build().unwrap();
    let (listener, base) = listener();
    let shared = server.clone();
    let http = HttpServer::new(move || {
        App::new()
            .service(tokenkind::web::actix::protected_resource_metadata(shared.metadata().unwrap()))
            .app_data(shared.clone())
            .route("/v1/messages", actix::get().to(list))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = http.handle();
    tokio::spawn(http);
    check_served(&base, &dev).await;
    handle.stop(false).await;
}

#[test]
fn a_multi_tenant_issuer_advertises_each_allowed_tenant_and_never_its_template() {
    use tokenkind::verify::{ENTRA_ID_V2_ISSUER, MICROSOFT_ACCOUNTS_TENANT};
    use tokenkind::{AccessTokenVerifier, Profile};

    const CONTOSO: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let keys = dev().key_set();
    let listed = AccessTokenVerifier::<After>::builder(ENTRA_ID_V2_ISSUER, RESOURCE)
        .profile(Profile::EntraId)
        .tenants([CONTOSO, MICROSOFT_ACCOUNTS_TENANT])
        .keys(keys.clone())
        .build()
        .unwrap();
    let server = ResourceServer::builder(listed).protected_resource_metadata(ResourceMetadata::new()).build().unwrap();
    assert_eq!(
        document(&server)["authorization_servers"],
        json!([
            format!("https://login.microsoftonline.com/{CONTOSO}/v2.0"),
            format!("https://login.microsoftonline.com/{MICROSOFT_ACCOUNTS_TENANT}/v2.0"),
        ])
    );
    // Every tenant: no list can be given, and the template is no issuer.
    let open = AccessTokenVerifier::<After>::builder(ENTRA_ID_V2_ISSUER, RESOURCE)
        .profile(Profile::EntraId)
        .allow_any_tenant()
        .keys(keys)
        .build()
        .unwrap();
    let server = ResourceServer::builder(open).protected_resource_metadata(ResourceMetadata::new()).build().unwrap();
    let document = document(&server);
    assert!(document.get("authorization_servers").is_none(), "{document}");
    assert_eq!(document["resource"], RESOURCE);
}
