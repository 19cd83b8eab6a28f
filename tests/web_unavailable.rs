//! When no verification keys can be had (the identity provider is down and
//! nothing is cached), both frameworks answer 503 with `Retry-After`, never
//! 500, and recover without a restart once keys can be fetched.

mod web;

use std::net::TcpListener;

use axum::Router;
use axum::routing::get;
use reqwest::Client;
use tokenkind::dev::DevIssuer;
use tokenkind::http::ResourceServer;
use tokenkind::{AccessToken, AccessTokenVerifier, requires_scope};
use tokenkind_suite::messages::Api;

#[requires_scope("read:messages")]
async fn list(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn unreachable_keys(dev: &DevIssuer) -> AccessTokenVerifier<Api> {
    let jwks_uri = format!("http://127.0.0.1:{}/jwks", closed_port());
    dev.access_token_verifier::<Api>().jwks_uri(jwks_uri).build().unwrap()
}

async fn assert_503(url: &str, token: &str) {
    let response = Client::new().get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    assert!(response.headers().get("www-authenticate").is_none());
    let a = web::answer(response).await;
    assert_eq!(a.body["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn axum_answers_503_when_no_keys_can_be_fetched() {
    let dev = DevIssuer::new();
    let app = Router::new().route("/list", get(list)).with_state(ResourceServer::new(unreachable_keys(&dev)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    assert_503(&format!("{base}/list"), &dev.access_token().scope("read:messages").sign()).await;
}

#[tokio::test]
async fn actix_answers_503_when_no_keys_can_be_fetched() {
    use actix_web::{App, HttpServer, web as aw};
    let dev = DevIssuer::new();
    let verifier = unreachable_keys(&dev);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                App::new().app_data(ResourceServer::new(verifier.clone())).route("/list", aw::get().to(list))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    assert_503(&format!("{base}/list"), &dev.access_token().scope("read:messages").sign()).await;
}

/// The identity provider comes back: the next request after the backoff
/// fetches the keys and succeeds, with no restart.
#[tokio::test]
async fn axum_recovers_when_the_keys_become_reachable() {
    use std::time::Duration;
    use tokenkind::remote::RemoteKeys;

    let dev = DevIssuer::new();
    let port = closed_port();
    let keys = RemoteKeys::jwks_uri(format!("http://127.0.0.1:{port}/jwks"))
        .retry_backoff(Duration::from_millis(50), Duration::from_millis(100))
        .build()
        .unwrap();
    let verifier = dev.access_token_verifier::<Api>().remote_keys(keys).build().unwrap();
    let app = Router::new().route("/list", get(list)).with_state(ResourceServer::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let token = dev.access_token().subject("ada").scope("read:messages").sign();
    assert_503(&format!("{base}/list"), &token).await;

    // The identity provider starts serving its JWKS on the expected port.
    let jwks = dev.jwks();
    let idp = Router::new().route("/jwks", get(move || async move { jwks }));
    let idp_listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move { axum::serve(idp_listener, idp).await.unwrap() });

    let mut status = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let response = Client::new().get(format!("{base}/list")).bearer_auth(&token).send().await.unwrap();
        status = response.status().as_u16();
        if status == 200 {
            assert_eq!(response.text().await.unwrap(), "ada");
            break;
        }
        assert_eq!(status, 503);
    }
    assert_eq!(status, 200, "the service recovered without a restart");
}
