//! Refusals are recorded as `tracing` events at debug level with the reason
//! and the issuer, and never with the token.

#[path = "support/recorder.rs"]
#[allow(dead_code, unreachable_pub)]
mod recorder;

use axum::Router;
use axum::routing::get;
use recorder::Recorder;
use tokenkind::dev::DevIssuer;
use tokenkind::http::ResourceServer;
use tokenkind::{AccessToken, requires_scope};
use tokenkind_suite::messages::Api;
use tracing::Level;

#[requires_scope("write:messages")]
async fn post(_token: AccessToken<Api>) -> &'static str {
    "posted"
}

#[tokio::test]
async fn refusals_are_traced_without_the_token() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();

    let dev = DevIssuer::new();
    let app = Router::new()
        .route("/post", get(post))
        .with_state(ResourceServer::new(dev.access_token_verifier::<Api>().build().unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = reqwest::Client::new();
    let expired = dev.access_token().scope("write:messages").expires_in(-600).sign();
    let reader = dev.access_token().scope("read:messages").sign();
    for token in [&expired, &reader] {
        client.get(format!("{base}/post")).bearer_auth(token).send().await.unwrap();
    }

    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:#?}");
    let (level, fields) = &events[0];
    assert_eq!(*level, Level::DEBUG);
    assert!(fields.contains("status=401") && fields.contains("the token expired at"), "{fields}");
    assert!(fields.contains(&format!("issuer={:?}", dev.issuer())), "{fields}");
    let (level, fields) = &events[1];
    assert_eq!(*level, Level::DEBUG);
    assert!(fields.contains("status=403") && fields.contains("required=write:messages"), "{fields}");
    for (_, fields) in &events {
        for token in [&expired, &reader] {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!fields.contains(signature) && !fields.contains(&token[..30]), "{fields}");
        }
    }
}
