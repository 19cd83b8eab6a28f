//! Remote keys against a local HTTP server that can misbehave on demand:
//! discovery, caching, rotation, rate limits and every fault of issue 5.
//! (The same cache against a real OpenID Provider: `tests/idp.rs`.)

#[path = "support/http.rs"]
#[allow(dead_code, unreachable_pub)]
mod http;

use std::cell::Cell;
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant};

use http::{Reply, TestServer};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::remote::{MAX_RESPONSE_BYTES, RemoteError, RemoteKeys};
use tokenkind::{AccessTokenVerifier, ConfigError, Error, IdTokenVerifier, IssuerRouter, Nonce, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    Read,
}

const MS: fn(u64) -> Duration = Duration::from_millis;

/// One JWKS holding the public keys of several issuers.
fn jwks(issuers: &[&DevIssuer]) -> String {
    let keys: Vec<Value> = issuers
        .iter()
        .flat_map(|i| serde_json::from_str::<Value>(&i.jwks()).unwrap()["keys"].as_array().unwrap().clone())
        .collect();
    json!({ "keys": keys }).to_string()
}

/// A dev issuer whose issuer URL is the server's base URL, with its discovery document and JWKS served.
fn serve_issuer(server: &TestServer) -> DevIssuer {
    let dev = DevIssuer::new().issuer_url(server.base());
    server.route("/.well-known/openid-configuration", Reply::json(metadata(server, &server.base())));
    server.route("/jwks", Reply::json(dev.jwks()));
    dev
}

fn metadata(server: &TestServer, issuer: &str) -> String {
    json!({ "issuer": issuer, "jwks_uri": server.url("/jwks"), "response_types_supported": ["code"] }).to_string()
}

fn verifier(dev: &DevIssuer, keys: &RemoteKeys) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).remote_keys(keys.clone()).build().unwrap()
}

/// Waits (bounded) until `f` holds.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out waiting for: {what}");
        tokio::time::sleep(MS(5)).await;
    }
}

#[tokio::test]
async fn discovery_finds_the_jwks_and_keys_are_fetched_once() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).discovery().build().unwrap();
    let token = dev.access_token().scope("read:messages").sign();
    assert!(verifier.verify_async(&token).await.unwrap().has_scope(Api::Read));
    for _ in 0..10 {
        verifier.verify_async(&token).await.unwrap();
        verifier.verify(&token).unwrap();
    }
    assert_eq!(server.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(server.hits("/jwks"), 1);
}

#[tokio::test]
async fn discovery_document_naming_another_issuer_is_refused() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    // Differs only by a trailing slash: still another issuer (OpenID Connect Discovery 1.0 §4.3).
    server.route("/.well-known/openid-configuration", Reply::json(metadata(&server, &format!("{}/", server.base()))));
    let keys = RemoteKeys::discover(dev.issuer()).build().unwrap();
    let err = keys.refresh().await.unwrap_err();
    assert_eq!(err, RemoteError::IssuerMismatch { found: err_found(&err) });
    assert!(err.to_string().contains(&format!("\"{}/\"", server.base())));
    let verifier = verifier(&dev, &keys);
    assert_eq!(verifier.verify_async(&dev.access_token().sign()).await.unwrap_err(), Error::KeysUnavailable);
    assert_eq!(server.hits("/jwks"), 0);
}

fn err_found(e: &RemoteError) -> tokenkind::error::Echo {
    match e {
        RemoteError::IssuerMismatch { found } => found.clone(),
        other => panic!("expected IssuerMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn rfc8414_metadata_is_used_when_openid_configuration_is_absent() {
    let server = TestServer::start().await;
    let issuer = server.url("/tenant-a");
    let dev = DevIssuer::new().issuer_url(&issuer);
    server.route("/.well-known/oauth-authorization-server/tenant-a", Reply::json(metadata(&server, &issuer)));
    server.route("/jwks", Reply::json(dev.jwks()));
    let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).discovery().build().unwrap();
    verifier.verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(server.hits("/tenant-a/.well-known/openid-configuration"), 1);
    assert_eq!(server.hits("/.well-known/oauth-authorization-server/tenant-a"), 1);
}

#[tokio::test]
async fn a_discovery_cache_for_another_issuer_is_a_configuration_error() {
    let keys = RemoteKeys::discover("https://a.example").build().unwrap();
    let built =
        AccessTokenVerifier::<Api>::builder("https://b.example", "https://api.example").remote_keys(keys).build();
    assert_eq!(built.unwrap_err(), ConfigError::Invalid("the remote keys discover another issuer than the verifier's"));
}

#[tokio::test]
async fn only_https_is_allowed_except_loopback() {
    let refused = |r: Result<AccessTokenVerifier<Api>, ConfigError>| match r {
        Err(ConfigError::Url { reason, .. }) => reason,
        other => panic!("expected a refused URL, got {other:?}"),
    };
    let b = || AccessTokenVerifier::<Api>::builder("http://idp.example", "https://api.example");
    assert_eq!(
        refused(b().jwks_uri("http://idp.example/jwks").build()),
        "only https is allowed, except for loopback hosts"
    );
    assert_eq!(refused(b().discovery().build()), "only https is allowed, except for loopback hosts");
    assert!(b().jwks_uri("https://idp.example/jwks").build().is_ok());
    assert!(b().jwks_uri("http://127.0.0.1:1/jwks").build().is_ok());
    assert!(RemoteKeys::jwks_uri("http://idp.example/jwks").insecure_allow_http().build().is_ok());

    // A discovery document may not point the fetch at plain http either.
    let server = TestServer::start().await;
    let doc = json!({ "issuer": server.base(), "jwks_uri": "http://idp.example/jwks" }).to_string();
    server.route("/.well-known/openid-configuration", Reply::json(doc));
    let keys = RemoteKeys::discover(server.base()).build().unwrap();
    assert_eq!(
        keys.refresh().await.unwrap_err(),
        RemoteError::InvalidMetadata {
            reason: "`jwks_uri` is refused: only https is allowed, except for loopback hosts".into()
        }
    );
}

#[tokio::test]
async fn unknown_kid_refreshes_once_and_picks_up_a_rotated_key() {
    let server = TestServer::start().await;
    let old = serve_issuer(&server);
    let new = DevIssuer::new().issuer_url(server.base());
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    let verifier = verifier(&old, &keys);
    verifier.verify_async(&old.access_token().sign()).await.unwrap();

    // The provider publishes a new key and signs with it.
    server.route("/jwks", Reply::json(jwks(&[&new, &old])));
    let token = new.access_token().sign();
    let started = Instant::now();
    verifier.verify_async(&token).await.unwrap();
    let picked_up = started.elapsed();
    assert_eq!(server.hits("/jwks"), 2, "one fetch for the new kid");
    verifier.verify_async(&old.access_token().sign()).await.unwrap();
    assert_eq!(server.hits("/jwks"), 2);
    println!("measured: rotated key picked up {picked_up:?} after its first token arrived (local server)");
}

#[tokio::test]
async fn the_tokens_kid_never_goes_into_a_url() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).discovery().build().unwrap();
    let token = dev.access_token().kid(Some("../../admin?x=1#frag")).sign();
    assert!(matches!(verifier.verify_async(&token).await, Err(Error::UnknownKey { .. })));
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/.well-known/openid-configuration", "/jwks"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_random_kids_causes_at_most_one_fetch() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    let verifier = Arc::new(verifier(&dev, &keys));
    verifier.verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(server.hits("/jwks"), 1);

    let tokens: Vec<String> = (0..1000).map(|i| dev.access_token().kid(Some(&format!("random-{i}"))).sign()).collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for token in tokens {
        let verifier = Arc::clone(&verifier);
        tasks.spawn(async move { verifier.verify_async(&token).await.map(|_| ()) });
    }
    let mut unknown = 0;
    while let Some(result) = tasks.join_next().await {
        assert!(matches!(result.unwrap(), Err(Error::UnknownKey { .. })));
        unknown += 1;
    }
    let flood = started.elapsed();
    assert_eq!(unknown, 1000);
    assert!(flood < Duration::from_secs(1) || server.hits("/jwks") <= 2);
    assert_eq!(server.hits("/jwks"), 2, "at most one fetch for the whole flood");

    // Later misses within the interval are refused at once, without a fetch.
    let started = Instant::now();
    for i in 0..1000 {
        let token = dev.access_token().kid(Some(&format!("later-{i}"))).sign();
        assert!(matches!(verifier.verify_async(&token).await, Err(Error::UnknownKey { .. })));
    }
    let later = started.elapsed();
    assert_eq!(server.hits("/jwks"), 2);
    println!(
        "measured: 1000 concurrent random-kid tokens -> {} JWKS fetch in {flood:?}; 1000 more within the interval -> 0 fetches, {:?} per refusal (incl. signing)",
        server.hits("/jwks") - 1,
        later / 1000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_all_wait_on_the_same_fetch() {
    let server = TestServer::start().await;
    let old = serve_issuer(&server);
    let new = DevIssuer::new().issuer_url(server.base());
    server.route("/jwks", Reply::json(old.jwks()).delay(MS(300)));
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    let verifier = Arc::new(verifier(&old, &keys));

    // Before any keys: 50 first requests, one fetch, all verified.
    let run = |token: String| {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let (verifier, token) = (Arc::clone(&verifier), token.clone());
            tasks.spawn(async move { verifier.verify_async(&token).await.map(|_| ()) });
        }
        tasks.join_all()
    };
    let results = run(old.access_token().sign()).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.hits("/jwks"), 1);

    // A rotated key: 50 requests with the new kid, one fetch, all verified.
    server.route("/jwks", Reply::json(jwks(&[&new, &old])).delay(MS(300)));
    let results = run(new.access_token().sign()).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.hits("/jwks"), 2);
}

#[tokio::test]
async fn verification_never_waits_for_a_refresh_in_flight() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    let verifier = verifier(&dev, &keys);
    let good = dev.access_token().sign();
    verifier.verify_async(&good).await.unwrap();

    // The next fetch takes 2 s; a token with an unknown kid starts it.
    server.route("/jwks", Reply::json(dev.jwks()).delay(Duration::from_secs(2)));
    let waiting = {
        let (verifier, token) = (verifier.clone(), dev.access_token().kid(Some("rotated")).sign());
        tokio::spawn(async move { verifier.verify_async(&token).await.map(|_| ()) })
    };
    eventually("the refresh is in flight", || keys.stats().refreshing).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..100 {
        let started = Instant::now();
        verifier.verify_async(&good).await.unwrap();
        slowest = slowest.max(started.elapsed());
    }
    assert!(keys.stats().refreshing, "the refresh is still running: the verifications did not wait for it");
    assert_eq!(server.answered(), 1, "the slow answer has not been sent yet");
    assert!(matches!(waiting.await.unwrap(), Err(Error::UnknownKey { .. })));
    println!("measured: verification with cached keys while a refresh is in flight: slowest of 100 = {slowest:?}");
}

#[tokio::test]
async fn idp_down_at_start_gives_keys_unavailable_then_recovers_with_backoff() {
    let port = TestServer::unused_port();
    let dev = DevIssuer::new().issuer_url(format!("http://127.0.0.1:{port}"));
    let keys =
        RemoteKeys::jwks_uri(format!("http://127.0.0.1:{port}/jwks")).retry_backoff(MS(300), MS(300)).build().unwrap();
    let verifier = verifier(&dev, &keys);
    let token = dev.access_token().sign();
    assert_eq!(verifier.verify_async(&token).await.unwrap_err(), Error::KeysUnavailable);
    assert_eq!(Error::KeysUnavailable.code().as_str(), "temporarily_unavailable");
    assert_eq!(keys.stats().failures, 1);
    // Within the backoff, requests are answered at once, without a new attempt.
    assert_eq!(verifier.verify_async(&token).await.unwrap_err(), Error::KeysUnavailable);
    assert_eq!(keys.stats().jwks_requests, 1);
    // A garbage token is refused for what it is, and starts no fetch.
    assert_eq!(
        verifier.verify_async("not-a-token").await.unwrap_err(),
        Error::Malformed(tokenkind::error::Malformed::Segments)
    );

    let server = TestServer::start_on(port).await;
    server.route("/jwks", Reply::json(dev.jwks()));
    tokio::time::sleep(MS(350)).await;
    verifier.verify_async(&token).await.unwrap();
    assert_eq!(keys.stats().jwks_requests, 2);
    assert_eq!(server.hits("/jwks"), 1);
}

#[tokio::test]
async fn idp_down_after_start_serves_last_good_keys_up_to_max_staleness() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks"))
        .default_ttl(MS(200))
        .ttl_bounds(MS(100), Duration::from_secs(60))
        .max_staleness(MS(800))
        .retry_backoff(MS(50), MS(50))
        .build()
        .unwrap();
    let verifier = verifier(&dev, &keys);
    let token = dev.access_token().sign();
    verifier.verify_async(&token).await.unwrap();
    let port = server.port();
    drop(server);
    // Expired, the refresh fails, the last good keys keep serving.
    tokio::time::sleep(MS(400)).await;
    verifier.verify_async(&token).await.unwrap();
    eventually("a failed refresh", || keys.stats().failures >= 1).await;
    verifier.verify(&token).unwrap();
    // Past the maximum staleness: no keys.
    tokio::time::sleep(MS(700)).await;
    assert_eq!(verifier.verify_async(&token).await.unwrap_err(), Error::KeysUnavailable);
    // The provider comes back: the service recovers without restart.
    let server = TestServer::start_on(port).await;
    server.route("/jwks", Reply::json(dev.jwks()));
    tokio::time::sleep(MS(60)).await;
    verifier.verify_async(&token).await.unwrap();
}

#[tokio::test]
async fn slow_responses_time_out() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    server.route("/jwks", Reply::json(dev.jwks()).delay(Duration::from_secs(5)));
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).timeouts(MS(500), MS(500)).build().unwrap();
    let started = Instant::now();
    assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(verifier(&dev, &keys).verify(&dev.access_token().sign()).unwrap_err(), Error::KeysUnavailable);
}

#[tokio::test]
async fn responses_over_one_mib_are_refused() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let huge = vec![b' '; 10 * 1024 * 1024];
    server.route("/sized", Reply::json("").body(huge.clone()));
    server.route("/unsized", Reply::json("").body(huge).unsized_body());
    for path in ["/sized", "/unsized"] {
        let keys = RemoteKeys::jwks_uri(server.url(path)).build().unwrap();
        assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::TooLarge { limit: MAX_RESPONSE_BYTES }, "{path}");
        assert_eq!(
            verifier(&dev, &keys).verify_async(&dev.access_token().sign()).await.unwrap_err(),
            Error::KeysUnavailable
        );
    }
}

#[tokio::test]
async fn invalid_json_is_refused_and_the_last_good_keys_stay() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    keys.refresh().await.unwrap();
    server.route("/jwks", Reply::json("{\"keys\": [ this is not json"));
    assert!(matches!(keys.refresh().await, Err(RemoteError::InvalidJwks { .. })));
    server.route("/jwks", Reply::json("<html>maintenance</html>"));
    assert!(matches!(keys.refresh().await, Err(RemoteError::InvalidJwks { .. })));
    server.route("/jwks", Reply::status(500));
    assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::Status { status: 500 });
    verifier(&dev, &keys).verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(keys.stats().failures, 3);
}

/// A JWKS that no longer holds the key `dev` signs with replaces the cached
/// keys: tokens signed by the withdrawn key are refused at once.
async fn withdraw_the_key(jwks: Value) {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    let verifier = verifier(&dev, &keys);
    let token = dev.access_token().sign();
    verifier.verify_async(&token).await.unwrap();

    server.route("/jwks", Reply::json(jwks.to_string()));
    keys.refresh().await.unwrap();
    let set = keys.keys().unwrap();
    assert!(set.is_empty(), "{set:?}");
    let refused = verifier.verify_async(&token).await.unwrap_err();
    assert!(matches!(&refused, Error::UnknownKey { kid: Some(k) } if k.as_str() == dev.kid()), "{refused:?}");
    assert_eq!(refused.code().as_str(), "invalid_token");
    let refused = verifier.verify(&token).unwrap_err();
    assert!(matches!(&refused, Error::UnknownKey { kid: Some(k) } if k.as_str() == dev.kid()), "{refused:?}");
    assert_eq!(keys.stats().failures, 0);
    // At most one refresh for the unknown kid; the provider still has no key.
    assert_eq!(server.hits("/jwks"), 3);

    // The provider publishes a key again: picked up like any rotation.
    let next = DevIssuer::new().issuer_url(server.base());
    server.route("/jwks", Reply::json(next.jwks()));
    keys.refresh().await.unwrap();
    verifier.verify_async(&next.access_token().sign()).await.unwrap();
}

#[tokio::test]
async fn a_well_formed_jwks_replaces_the_keys_even_when_empty() {
    withdraw_the_key(json!({ "keys": [] })).await;
}

#[tokio::test]
async fn a_well_formed_jwks_replaces_the_keys_even_when_no_key_is_usable() {
    let dev = DevIssuer::new();
    let mut enc: Value = serde_json::from_str::<Value>(&dev.jwks()).unwrap()["keys"][0].clone();
    enc["use"] = json!("enc");
    let mut n = vec![0xC3u8; 128]; // a 1024-bit RSA modulus
    n[127] |= 1;
    let small_rsa = json!({ "kty": "RSA", "kid": "small", "n": b64(&n), "e": "AQAB" });
    withdraw_the_key(json!({ "keys": [enc.clone()] })).await;
    withdraw_the_key(json!({ "keys": [small_rsa.clone()] })).await;
    withdraw_the_key(json!({ "keys": [enc, small_rsa, { "kty": "oct", "k": "c2VjcmV0" }] })).await;
}

#[tokio::test]
async fn a_body_that_is_not_a_jwks_keeps_the_last_good_keys() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    keys.refresh().await.unwrap();
    for (body, reason) in [
        ("{}", "the JWKS document is invalid: missing field `keys` at line 1 column 2"),
        (r#"{"keys": {}}"#, "the JWKS document is invalid: invalid type: map, expected a sequence at line 1 column 9"),
        ("null", "the JWKS document is invalid: invalid type: null, expected struct Document at line 1 column 4"),
    ] {
        server.route("/jwks", Reply::json(body));
        assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::InvalidJwks { reason: reason.into() }, "{body}");
    }
    assert_eq!(keys.keys().unwrap().len(), 1);
    verifier(&dev, &keys).verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(keys.stats().failures, 3);
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_malformed_key_is_skipped_and_the_others_serve() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let rsa = DevIssuer::with_algorithm(tokenkind::Algorithm::RS256).issuer_url(server.base());
    let mut doc: Value = serde_json::from_str(&jwks(&[&dev, &rsa])).unwrap();
    let keys_array = doc["keys"].as_array_mut().unwrap();
    keys_array.insert(1, json!({ "kty": "EC", "crv": "P-256", "kid": "broken", "x": "!!", "y": "AA" }));
    keys_array.push(json!({ "kty": "RSA", "kid": "encryption", "use": "enc", "n": "AQAB", "e": "AQAB" }));
    server.route("/jwks", Reply::json(doc.to_string()));
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    verifier(&dev, &keys).verify_async(&dev.access_token().sign()).await.unwrap();
    verifier(&rsa, &keys).verify_async(&rsa.access_token().sign()).await.unwrap();
    let set = keys.keys().unwrap();
    assert_eq!(set.len(), 2);
    let skipped: Vec<_> = set.skipped().iter().map(|s| (s.kid.as_deref(), s.index)).collect();
    assert_eq!(skipped, [(Some("broken"), 1), (Some("encryption"), 3)]);
}

#[tokio::test]
async fn redirects_are_not_followed_unless_allowed() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    server.route("/moved", Reply::redirect(301, &server.url("/jwks")));
    server.route("/elsewhere", Reply::redirect(302, "http://idp.example/jwks"));

    let keys = RemoteKeys::jwks_uri(server.url("/moved")).build().unwrap();
    assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::Redirect { status: 301 });
    assert_eq!(server.hits("/jwks"), 0);

    let keys = RemoteKeys::jwks_uri(server.url("/moved")).allow_redirects().build().unwrap();
    keys.refresh().await.unwrap();
    assert_eq!(server.hits("/jwks"), 1);
    verifier(&dev, &keys).verify(&dev.access_token().sign()).unwrap();

    // Even when allowed, a redirect to plain http on another host is refused.
    let keys = RemoteKeys::jwks_uri(server.url("/elsewhere")).allow_redirects().build().unwrap();
    assert_eq!(keys.refresh().await.unwrap_err(), RemoteError::RedirectRefused);
}

#[tokio::test]
async fn cache_control_max_age_is_honoured_within_bounds() {
    // max-age above the upper bound: the bound wins, and the keys are refetched.
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    server.route("/jwks", Reply::json(dev.jwks()).header("cache-control", "public, max-age=86400"));
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).ttl_bounds(MS(10), MS(300)).build().unwrap();
    let verifier = verifier(&dev, &keys);
    let token = dev.access_token().sign();
    verifier.verify_async(&token).await.unwrap();
    tokio::time::sleep(MS(150)).await;
    verifier.verify_async(&token).await.unwrap();
    assert_eq!(server.hits("/jwks"), 1, "still fresh");
    tokio::time::sleep(MS(200)).await;
    verifier.verify_async(&token).await.unwrap();
    eventually("a refetch after the bounded max-age", || server.hits("/jwks") == 2).await;

    // max-age below the lower bound (here no-cache): the bound wins, no refetch.
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    server.route("/jwks", Reply::json(dev.jwks()).header("cache-control", "max-age=0, no-cache"));
    let keys = RemoteKeys::jwks_uri(server.url("/jwks"))
        .ttl_bounds(Duration::from_secs(30), Duration::from_secs(60))
        .build()
        .unwrap();
    let verifier = self::verifier(&dev, &keys);
    for _ in 0..5 {
        verifier.verify_async(&token_of(&dev)).await.unwrap();
        tokio::time::sleep(MS(50)).await;
    }
    assert_eq!(server.hits("/jwks"), 1);

    // No max-age: the default lifetime.
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys =
        RemoteKeys::jwks_uri(server.url("/jwks")).default_ttl(MS(100)).ttl_bounds(MS(10), MS(1000)).build().unwrap();
    let verifier = self::verifier(&dev, &keys);
    verifier.verify_async(&token_of(&dev)).await.unwrap();
    tokio::time::sleep(MS(150)).await;
    verifier.verify_async(&token_of(&dev)).await.unwrap();
    eventually("a refetch after the default lifetime", || server.hits("/jwks") == 2).await;
}

#[tokio::test]
async fn a_max_age_of_any_size_is_bounded_by_the_longest_lifetime() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let headers = [
        format!("max-age={}", u64::MAX),
        "max-age=99999999999999999999999999999999999999".to_owned(),
        format!("max-age={}, max-age={}", u64::MAX, u128::MAX),
    ];
    for cache_control in headers {
        server.route("/jwks", Reply::json(dev.jwks()).header("cache-control", &cache_control));
        let keys = RemoteKeys::jwks_uri(server.url("/jwks"))
            .ttl_bounds(Duration::from_secs(1), Duration::from_secs(7 * 24 * 3600))
            .max_staleness(Duration::from_secs(7 * 24 * 3600))
            .build()
            .unwrap();
        let verifier = verifier(&dev, &keys);
        let before = server.hits("/jwks");
        keys.refresh().await.unwrap();
        verifier.verify_async(&dev.access_token().sign()).await.unwrap();
        // Two tokens with unknown kids: the second is within `min_refresh_interval`.
        for kid in ["unknown-1", "unknown-2"] {
            let err = verifier.verify_async(&dev.access_token().kid(Some(kid)).sign()).await.unwrap_err();
            assert!(matches!(&err, Error::UnknownKey { kid: Some(k) } if k.as_str() == kid), "{err:?}");
        }
        assert_eq!(keys.stats().failures, 0, "{cache_control}");
        assert_eq!(server.hits("/jwks") - before, 2, "{cache_control}: one refresh, one for the first unknown kid");
    }
}

fn token_of(dev: &DevIssuer) -> String {
    dev.access_token().sign()
}

#[tokio::test]
async fn etag_and_last_modified_make_requests_conditional() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let body = dev.jwks();
    server.route_fn("/jwks", move |r| {
        if r.header("if-none-match") == Some("\"v1\"") {
            Reply::status(304).header("cache-control", "max-age=120")
        } else {
            Reply::json(body.clone())
                .header("etag", "\"v1\"")
                .header("last-modified", "Wed, 21 Oct 2026 07:28:00 GMT")
                .header("cache-control", "max-age=0")
        }
    });
    let keys = RemoteKeys::jwks_uri(server.url("/jwks")).build().unwrap();
    keys.refresh().await.unwrap();
    keys.refresh().await.unwrap();
    keys.refresh().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].header("if-none-match"), None);
    for r in &requests[1..] {
        assert_eq!(r.header("if-none-match"), Some("\"v1\""));
        assert_eq!(r.header("if-modified-since"), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
    }
    assert_eq!(keys.stats().not_modified, 2);
    verifier(&dev, &keys).verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(server.hits("/jwks"), 3);
}

#[tokio::test]
async fn background_refresh_runs_before_expiry_and_stops_with_its_handle() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys =
        RemoteKeys::jwks_uri(server.url("/jwks")).default_ttl(MS(200)).ttl_bounds(MS(10), MS(1000)).build().unwrap();
    let task = keys.spawn_refresh().unwrap();
    eventually("three background fetches", || server.hits("/jwks") >= 3).await;
    // Fetched before anyone asked: the first verification finds the keys cached.
    verifier(&dev, &keys).verify(&dev.access_token().sign()).unwrap();
    task.stop();
    tokio::time::sleep(MS(50)).await;
    let after_stop = server.hits("/jwks");
    tokio::time::sleep(MS(500)).await;
    assert_eq!(server.hits("/jwks"), after_stop);
}

#[test]
fn background_refresh_needs_a_runtime() {
    let keys = RemoteKeys::jwks_uri("https://idp.example/jwks").build().unwrap();
    assert_eq!(keys.spawn_refresh().unwrap_err(), RemoteError::NoRuntime);
}

#[tokio::test]
async fn sync_verify_never_waits_and_starts_the_fetch_in_the_background() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience())
        .jwks_uri(server.url("/jwks"))
        .build()
        .unwrap();
    let token = dev.access_token().sign();
    assert_eq!(verifier.verify(&token).unwrap_err(), Error::KeysUnavailable);
    let start = Instant::now();
    while verifier.verify(&token).is_err() {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(MS(5)).await;
    }
    assert_eq!(server.hits("/jwks"), 1);
}

#[tokio::test]
async fn id_token_verifier_uses_the_same_cache() {
    let server = TestServer::start().await;
    let dev = serve_issuer(&server);
    let keys = RemoteKeys::discover(dev.issuer()).build().unwrap();
    let access = verifier(&dev, &keys);
    let login = IdTokenVerifier::<tokenkind::NoClaims>::builder(dev.issuer(), dev.client_id())
        .remote_keys(keys.clone())
        .build()
        .unwrap();
    let id_token = dev.id_token().nonce("n-1").sign();
    login.verify_async(&id_token, Nonce::Expected("n-1")).await.unwrap();
    assert_eq!(login.verify_async(&id_token, Nonce::Expected("other")).await.unwrap_err(), Error::NonceMismatch);
    access.verify_async(&dev.access_token().sign()).await.unwrap();
    assert_eq!(server.hits("/jwks"), 1);
}

#[tokio::test]
async fn several_issuers_each_have_their_own_cache_and_never_share_keys() {
    let (server_a, server_b) = (TestServer::start().await, TestServer::start().await);
    let (a, b) = (serve_issuer(&server_a), serve_issuer(&server_b));
    let build = |dev: &DevIssuer| {
        AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).discovery().build().unwrap()
    };
    let router = IssuerRouter::new().with(build(&a)).unwrap().with(build(&b)).unwrap();
    assert_eq!(router.verify_async(&a.access_token().sign()).await.unwrap().issuer(), a.issuer());
    assert_eq!(router.verify_async(&b.access_token().sign()).await.unwrap().issuer(), b.issuer());
    assert_eq!((server_a.hits("/jwks"), server_b.hits("/jwks")), (1, 1));

    // B's key, B's kid, but claiming A: A's cache has no such key (and asks only A).
    let forged = DevIssuer::new().issuer_url(a.issuer());
    let b_key_as_a = b.access_token().claim("iss", a.issuer()).sign();
    assert!(matches!(router.verify_async(&b_key_as_a).await, Err(Error::UnknownKey { .. })));
    assert_eq!((server_a.hits("/jwks"), server_b.hits("/jwks")), (2, 1));
    // Another key under A's kid, claiming A: the signature does not verify.
    let same_kid = forged.access_token().kid(Some(a.kid())).sign();
    assert_eq!(router.verify_async(&same_kid).await.unwrap_err(), Error::BadSignature);
    // B's key under A's kid, claiming B: B's cache has no such kid.
    let a_kid_at_b = b.access_token().kid(Some(a.kid())).sign();
    assert!(matches!(router.verify_async(&a_kid_at_b).await, Err(Error::UnknownKey { .. })));
    // Unknown issuers and tokens without `iss` are refused before any key lookup.
    let stranger = DevIssuer::new().issuer_url("https://stranger.example");
    assert!(matches!(router.verify_async(&stranger.access_token().sign()).await, Err(Error::WrongIssuer { .. })));
    assert_eq!(
        router.verify_async(&a.access_token().without("iss").sign()).await.unwrap_err(),
        Error::MissingClaim { claim: "iss" }
    );
    assert_eq!(
        router.verify_async(&a.access_token().claim("iss", 7).sign()).await.unwrap_err(),
        Error::MalformedClaim { claim: "iss", expected: "a string" }
    );
    // One verifier per issuer.
    assert_eq!(
        IssuerRouter::new().with(build(&a)).unwrap().with(build(&a)).unwrap_err(),
        ConfigError::Invalid("two verifiers for the same issuer")
    );
}

/// The duration settings of a [`RemoteKeys`] builder.
#[derive(Clone, Debug)]
struct Knobs {
    default_ttl: Duration,
    min_ttl: Duration,
    max_ttl: Duration,
    min_refresh_interval: Duration,
    max_staleness: Duration,
    connect_timeout: Duration,
    timeout: Duration,
    retry_initial: Duration,
    retry_max: Duration,
}

impl Knobs {
    fn builder(&self, url: String) -> tokenkind::remote::RemoteKeysBuilder {
        RemoteKeys::jwks_uri(url)
            .default_ttl(self.default_ttl)
            .ttl_bounds(self.min_ttl, self.max_ttl)
            .min_refresh_interval(self.min_refresh_interval)
            .max_staleness(self.max_staleness)
            .timeouts(self.connect_timeout, self.timeout)
            .retry_backoff(self.retry_initial, self.retry_max)
    }

    /// The documented ranges (see each setter), checked in `build`'s order.
    fn refusal(&self) -> Option<&'static str> {
        let within = |d: Duration, lo: Duration, hi: Duration| lo <= d && d <= hi;
        let (ms, s) = (Duration::from_millis, Duration::from_secs);
        let week = s(7 * 24 * 3600);
        if ![self.default_ttl, self.min_ttl, self.max_ttl].iter().all(|d| within(*d, ms(10), week)) {
            Some("key lifetimes (`default_ttl`, `ttl_bounds`) must be from 10 ms to 7 days")
        } else if self.min_ttl > self.max_ttl {
            Some("the minimum key lifetime is above the maximum")
        } else if !within(self.min_refresh_interval, s(1), s(3600)) {
            Some("`min_refresh_interval` must be from 1 s to 1 hour")
        } else if self.max_staleness > week {
            Some("`max_staleness` must be from 0 to 7 days")
        } else if !within(self.connect_timeout, ms(100), s(60)) || !within(self.timeout, ms(100), s(60)) {
            Some("timeouts must be from 100 ms to 60 s")
        } else if !within(self.retry_initial, ms(1), s(3600)) || !within(self.retry_max, ms(1), s(3600)) {
            Some("retry delays (`retry_backoff`) must be from 1 ms to 1 hour")
        } else if self.retry_initial > self.retry_max {
            Some("the first retry delay is above the longest")
        } else {
            None
        }
    }
}

/// Zero, one nanosecond, years, `Duration::MAX` and anything in between.
fn extreme_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::from_secs(100 * 365 * 24 * 3600)),
        Just(Duration::from_secs(u64::MAX / 2)),
        Just(Duration::from_secs(u64::MAX)),
        Just(Duration::MAX),
        (any::<u64>(), 0..1_000_000_000u32).prop_map(|(secs, nanos)| Duration::new(secs, nanos)),
    ]
}

/// Mostly within `lo..=hi` (edges included, where a working cache must
/// result), sometimes an extreme value.
fn knob(lo: Duration, hi: Duration) -> impl Strategy<Value = Duration> {
    let (lo_ns, hi_ns) = (u64::try_from(lo.as_nanos()).unwrap(), u64::try_from(hi.as_nanos()).unwrap());
    prop_oneof![
        2 => Just(lo),
        2 => Just(hi),
        4 => (lo_ns..=hi_ns).prop_map(Duration::from_nanos),
        1 => extreme_duration(),
    ]
}

/// Two knobs that must be in order: mostly in order.
fn ordered(lo: Duration, hi: Duration) -> impl Strategy<Value = (Duration, Duration)> {
    (knob(lo, hi), knob(lo, hi), prop::bool::weighted(0.85))
        .prop_map(|(a, b, sort)| if sort { (a.min(b), a.max(b)) } else { (a, b) })
}

fn knobs() -> impl Strategy<Value = Knobs> {
    let (ms, s) = (Duration::from_millis, Duration::from_secs);
    let week = s(7 * 24 * 3600);
    (
        (knob(ms(10), week), ordered(ms(10), week)),
        (knob(s(1), s(3600)), knob(Duration::ZERO, week)),
        (knob(ms(100), s(60)), knob(ms(100), s(60))),
        ordered(ms(1), s(3600)),
    )
        .prop_map(
            |(
                (default_ttl, (min_ttl, max_ttl)),
                (min_refresh_interval, max_staleness),
                (connect, total),
                (first, max),
            )| {
                Knobs {
                    default_ttl,
                    min_ttl,
                    max_ttl,
                    min_refresh_interval,
                    max_staleness,
                    connect_timeout: connect,
                    timeout: total,
                    retry_initial: first,
                    retry_max: max,
                }
            },
        )
}

/// A `Cache-Control` header: none, any `max-age`, numbers past `u64`, garbage.
fn cache_control() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<u64>().prop_map(|secs| Some(format!("max-age={secs}"))),
        (0..100_000u64).prop_map(|secs| Some(format!("public, max-age={secs}"))),
        "[1-9][0-9]{19,60}".prop_map(|digits| Some(format!("max-age={digits}"))),
        Just(Some(format!("max-age={}", u64::MAX))),
        Just(Some(format!("max-age={}, no-cache", u128::MAX))),
        Just(Some("no-store".to_owned())),
        "[!-~]{0,24}".prop_map(|v| Some(format!("max-age={v}"))),
    ]
}

/// An `Age` header: none, small, past `u64`, garbage.
fn age() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => (0..1_000u64).prop_map(|a| Some(a.to_string())),
        1 => any::<u64>().prop_map(|a| Some(a.to_string())),
        1 => "[1-9][0-9]{19,40}".prop_map(Some),
        1 => "[!-~]{1,12}".prop_map(Some),
    ]
}

thread_local! {
    /// Panics on this thread (a current-thread runtime runs its spawned tasks here too).
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Counts panics per thread, so that a panic inside a spawned refresh task
/// (which Tokio catches) still fails the property.
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            previous(info);
        }));
    });
}

fn property_issuer() -> &'static DevIssuer {
    static DEV: OnceLock<DevIssuer> = OnceLock::new();
    DEV.get_or_init(DevIssuer::new)
}

fn property_cases() -> u32 {
    // 256 cases by default (each runs a server); `PROPTEST_CASES=10000` runs longer.
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
}

/// Builds with `knobs`, then, if built, fetches keys served with the given
/// `Cache-Control` and `Age`, verifies, misses twice on unknown `kid`s, fails
/// a refresh and runs the background refresh for a moment.
async fn drive(knobs: &Knobs, cache_control: Option<&str>, age: Option<&str>) -> Result<(), TestCaseError> {
    let server = TestServer::start().await;
    let built = knobs.builder(server.url("/jwks")).build();
    let expected = knobs.refusal().map(ConfigError::Invalid);
    prop_assert_eq!(built.as_ref().err(), expected.as_ref());
    let Ok(keys) = built else { return Ok(()) };

    let dev = property_issuer();
    let mut reply = Reply::json(dev.jwks());
    if let Some(value) = cache_control {
        reply = reply.header("cache-control", value);
    }
    if let Some(value) = age {
        reply = reply.header("age", value);
    }
    server.route("/jwks", reply);
    // A loaded machine may not answer within a timeout under a second.
    let short_timeouts = knobs.connect_timeout.min(knobs.timeout) < Duration::from_secs(1);
    // Keys served for under two seconds may be unusable by the time they are read.
    let brief = knobs.min_ttl.saturating_add(knobs.max_staleness) < Duration::from_secs(2);

    match keys.refresh().await {
        Ok(()) => {}
        Err(RemoteError::Timeout) if short_timeouts => return Ok(()),
        Err(e) => prop_assert!(false, "the refresh failed: {e}"),
    }
    prop_assert_eq!(keys.keys().map(|k| k.len()), Some(1));
    let verifier = verifier(dev, &keys);
    let check = |result: Result<(), Error>, kid: Option<&str>| -> Result<(), TestCaseError> {
        match (result, kid) {
            (Ok(()), None) => Ok(()),
            (Err(Error::UnknownKey { kid: Some(k) }), Some(kid)) if k.as_str() == kid => Ok(()),
            (Err(Error::KeysUnavailable), _) if brief => Ok(()),
            (other, kid) => Err(TestCaseError::fail(format!("kid {kid:?}: {other:?}"))),
        }
    };
    check(verifier.verify_async(&dev.access_token().sign()).await.map(drop), None)?;
    for kid in ["unknown-1", "unknown-2"] {
        check(verifier.verify_async(&dev.access_token().kid(Some(kid)).sign()).await.map(drop), Some(kid))?;
        check(verifier.verify(&dev.access_token().kid(Some(kid)).sign()).map(drop), Some(kid))?;
    }

    server.route("/jwks", Reply::status(500));
    match keys.refresh().await {
        Err(RemoteError::Status { status: 500 }) => {}
        Err(RemoteError::Timeout) if short_timeouts => {}
        other => prop_assert!(false, "expected HTTP 500, got {other:?}"),
    }
    check(verifier.verify_async(&dev.access_token().sign()).await.map(drop), None)?;
    check(verifier.verify(&dev.access_token().kid(Some("unknown-3")).sign()).map(drop), Some("unknown-3"))?;

    let task = keys.spawn_refresh().unwrap();
    tokio::time::sleep(Duration::from_millis(1)).await;
    task.stop();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: property_cases(), ..ProptestConfig::default() })]

    /// Every duration setting and any `Cache-Control` / `Age` an issuer sends:
    /// `build` refuses exactly the values outside the documented ranges, and
    /// whatever it accepts gives a cache that fetches, verifies, refuses
    /// unknown `kid`s, survives a failed refresh, and never panics.
    #[test]
    fn any_duration_setting_or_max_age_builds_a_working_cache_or_is_refused(
        knobs in knobs(),
        cache_control in cache_control(),
        age in age(),
    ) {
        count_panics();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let before = PANICS.with(Cell::get);
        runtime.block_on(drive(&knobs, cache_control.as_deref(), age.as_deref()))?;
        drop(runtime);
        prop_assert_eq!(PANICS.with(Cell::get), before, "a task panicked");
    }
}
