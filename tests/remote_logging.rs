//! Key-source failures, skipped keys and a JWKS without a usable key are
//! logged with `tracing`, naming the source and the reason.

#[path = "support/http.rs"]
#[allow(dead_code, unreachable_pub)]
mod http;
#[path = "support/recorder.rs"]
#[allow(dead_code, unreachable_pub)]
mod recorder;

use std::time::Duration;

use http::{Reply, TestServer};
use recorder::Recorder;
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::remote::RemoteKeys;
use tracing::Level;

#[tokio::test]
async fn failures_and_skipped_keys_are_logged() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();

    let server = TestServer::start().await;
    let dev = DevIssuer::new();
    let good = serde_json::from_str::<serde_json::Value>(&dev.jwks()).unwrap()["keys"][0].clone();
    server.route(
        "/jwks",
        Reply::json(json!({ "keys": [{ "kty": "RSA", "kid": "broken", "e": "AQAB" }, good] }).to_string()),
    );
    let url = format!("{}/jwks", server.base());
    let keys =
        RemoteKeys::jwks_uri(&url).retry_backoff(Duration::from_millis(1), Duration::from_millis(1)).build().unwrap();

    keys.refresh().await.unwrap();
    let skipped = recorder.find(Level::WARN, "a key of the JWKS was skipped").expect("the skipped key is logged");
    assert!(skipped.contains("\"broken\"") && skipped.contains("the key lacks a parameter"), "{skipped}");
    assert!(recorder.find(Level::INFO, "keys loaded").is_some());

    server.route("/jwks", Reply::status(500));
    assert!(keys.refresh().await.is_err());
    let stale = recorder.find(Level::WARN, "serving the last good keys").expect("the failure is logged");
    assert!(stale.contains(&url) && stale.contains("500"), "{stale}");

    server.route("/jwks", Reply::json(json!({ "keys": [] }).to_string()));
    keys.refresh().await.unwrap();
    let empty = recorder.find(Level::WARN, "the JWKS holds no usable key").expect("the empty key set is logged");
    assert!(empty.contains(&url), "{empty}");

    let nothing = RemoteKeys::jwks_uri(&url).build().unwrap();
    server.route("/jwks", Reply::status(500));
    assert!(nothing.refresh().await.is_err());
    assert!(recorder.find(Level::WARN, "no keys are available yet").is_some());
}
