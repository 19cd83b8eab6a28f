//! tokenkind's tower layer (feature `tower`): one verification per request,
//! refusals answered by the layer itself, any tower-based server.

mod web;

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use reqwest::Client;
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::http::{Authenticated, ResourceMetadata, ResourceServer};
use tokenkind::web::tower::AccessTokenLayer;
use tokenkind::{AccessToken, requires_scope};
use tokenkind_suite::messages::Api;
use web::{answer, challenge, get as get_with};

#[requires_scope("read:messages")]
async fn guarded(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

async fn plain(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

fn serve_axum(app: Router) -> String {
    let (listener, base) = listen();
    tokio::spawn(async move {
        axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap();
    });
    base
}

/// A verifier whose clock counts its readings: each verification reads it.
fn counting(dev: &DevIssuer) -> (ResourceServer<Api>, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reads);
    let verifier = dev
        .access_token_verifier::<Api>()
        .clock(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
                .unwrap()
        })
        .build()
        .unwrap();
    (ResourceServer::new(verifier), reads)
}

#[tokio::test]
async fn a_token_is_verified_once_per_request_behind_the_layer() {
    let dev = DevIssuer::new();
    let client = Client::new();
    let token = dev.access_token().subject("ada").scope("read:messages").sign();

    // Without the layer: the extractor verifies; that is one verification's readings.
    let (server, reads) = counting(&dev);
    let base = serve_axum(Router::new().route("/guarded", get(guarded)).with_state(server));
    let a = get_with(&client, &format!("{base}/guarded"), Some(&token)).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("ada")));
    let one = reads.load(Ordering::SeqCst);
    assert!(one > 0, "a verification reads the clock");

    // Behind the layer, for the guard and for a plain extractor: the same count.
    let (server, reads) = counting(&dev);
    let app = Router::new()
        .route("/guarded", get(guarded))
        .route("/plain", get(plain))
        .with_state(server.clone())
        .layer(AccessTokenLayer::new(server));
    let base = serve_axum(app);
    for path in ["/guarded", "/plain"] {
        let before = reads.load(Ordering::SeqCst);
        let a = get_with(&client, &format!("{base}{path}"), Some(&token)).await;
        assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("ada")), "{path}");
        assert_eq!(reads.load(Ordering::SeqCst) - before, one, "{path}: verified once, by the layer");
    }
}

#[tokio::test]
async fn a_layer_of_another_resource_server_does_not_stand_in_for_the_handlers() {
    // The handlers' server trusts another issuer: what the layer verified
    // with its own server is not taken for theirs.
    let (dev, other) = (DevIssuer::new(), DevIssuer::new().issuer_url("https://other.example"));
    let app = Router::new()
        .route("/plain", get(plain))
        .with_state(ResourceServer::new(other.access_token_verifier::<Api>().build().unwrap()))
        .layer(AccessTokenLayer::new(dev.access_token_verifier::<Api>().build().unwrap()));
    let base = serve_axum(app);
    let a = get_with(&Client::new(), &format!("{base}/plain"), Some(&dev.access_token().sign())).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(other.audience(), Some(("invalid_token", "the access token signature is not trusted")), None)
    );
}

#[tokio::test]
async fn the_required_layer_answers_refusals_itself() {
    let dev = DevIssuer::new();
    let client = Client::new();
    let server = ResourceServer::new(dev.access_token_verifier::<Api>().build().unwrap());
    // The inner route takes no token at all: only the layer can refuse.
    let app = Router::new().route("/open", get(|| async { "inner" })).layer(AccessTokenLayer::new(server));
    let base = serve_axum(app);
    let url = format!("{base}/open");
    let realm = dev.audience();

    let a = get_with(&client, &url, None).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(a.www_authenticate.unwrap(), challenge(realm, None, None));
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(a.body, json!({"error": "unauthorized", "error_description": "this resource needs an access token"}));

    let id_token = dev.id_token().subject("ada").nonce("n").sign();
    let a = get_with(&client, &url, Some(&id_token)).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(realm, Some(("invalid_token", "an ID token is not an access token")), None)
    );
    assert_eq!(a.body["error"], "invalid_token");

    let twice = client
        .get(&url)
        .header("authorization", "Bearer a.b.c")
        .header("authorization", "Bearer d.e.f")
        .send()
        .await
        .unwrap();
    let a = answer(twice).await;
    assert_eq!(a.status.as_u16(), 400);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(realm, Some(("invalid_request", "the request has more than one Authorization header")), None)
    );

    // A gRPC content type over HTTP/1.1 is no gRPC call: the HTTP answer, never a 200.
    let not_grpc = client.get(&url).header("content-type", "application/grpc").send().await.unwrap();
    let a = answer(not_grpc).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(a.www_authenticate.unwrap(), challenge(realm, None, None));

    let a = get_with(&client, &url, Some(&dev.access_token().sign())).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("inner")));
}

#[tokio::test]
async fn the_layer_answers_503_with_retry_after_when_no_keys_can_be_had() {
    let dev = DevIssuer::new();
    // Nothing listens on the JWKS address: no keys, ever.
    let (closed, _) = listen();
    let jwks = format!("http://{}/jwks", closed.local_addr().unwrap());
    drop(closed);
    let verifier =
        tokenkind::AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).jwks_uri(jwks).build().unwrap();
    let app = Router::new().route("/open", get(|| async { "inner" })).layer(AccessTokenLayer::new(verifier));
    let base = serve_axum(app);
    let response =
        Client::new().get(format!("{base}/open")).bearer_auth(dev.access_token().sign()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert!(response.headers().get("www-authenticate").is_none());
}

#[tokio::test]
async fn any_tower_service_finds_the_verified_token_in_the_extensions() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tower::ServiceBuilder;

    let dev = DevIssuer::new();
    let server = ResourceServer::new(dev.access_token_verifier::<Api>().build().unwrap());
    // A bare hyper server: no axum, a tower service behind the layer.
    let service = ServiceBuilder::new().layer(AccessTokenLayer::new(server).optional()).service_fn(
        |request: http::Request<hyper::body::Incoming>| async move {
            let seen = request.extensions().get::<Authenticated<Api>>().expect("the layer ran");
            let who = seen.token().map_or("anonymous", |t| t.subject()).to_owned();
            Ok::<_, Infallible>(http::Response::new(http_body_util::Full::new(bytes::Bytes::from(who))))
        },
    );
    let (listener, base) = listen();
    tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let client = Client::new();
    let a = get_with(&client, &format!("{base}/"), Some(&dev.access_token().subject("ada").sign())).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("ada")));
    let a = get_with(&client, &format!("{base}/"), None).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("anonymous")));
    let a = get_with(&client, &format!("{base}/"), Some(&dev.access_token().expires_in(-300).sign())).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(dev.audience(), Some(("invalid_token", "the access token expired")), None)
    );
}

#[tokio::test]
async fn the_layer_serves_the_protected_resource_metadata_without_a_token() {
    let dev = DevIssuer::new().api_audience("http://127.0.0.1:8080/api");
    let server = ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
        .protected_resource_metadata(ResourceMetadata::new().resource_name("Messages API"))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/api/messages", get(guarded))
        .with_state(server.clone())
        .layer(AccessTokenLayer::new(server));
    let base = serve_axum(app);
    let client = Client::new();
    let response = client.get(format!("{base}/.well-known/oauth-protected-resource/api")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({
            "resource": "http://127.0.0.1:8080/api",
            "authorization_servers": [dev.issuer()],
            "scopes_supported": ["read:messages", "write:messages", "delete:messages"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Messages API",
        })
    );
    // Any other path still needs a token, and the challenge names the document.
    let a = get_with(&client, &format!("{base}/api/messages"), None).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        format!(
            "Bearer realm=\"{}\", resource_metadata=\"http://127.0.0.1:8080/.well-known/oauth-protected-resource/api\"",
            dev.audience()
        )
    );
}
