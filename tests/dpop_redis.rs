//! The Redis replay store against a real `redis-server`: proofs accepted
//! once across several API instances sharing it, concurrent use of one proof
//! accepted exactly once, expiry, and 503 (never acceptance) while Redis is
//! down, with recovery after it returns.

#[path = "support/redis.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use redis_server::RedisServer;
use tokenkind::ErrorCode;
use tokenkind::dev::{DevIssuer, DpopKey};
use tokenkind::http::{
    DpopError, DpopPolicy, HttpRequest, RedisReplayStore, ReplayKey, ReplayStore, ReplayStoreError, ResourceServer,
};
use tokenkind_suite::messages::Api;

const URL: &str = "https://api.example/api/messages";

fn key(i: u8) -> ReplayKey {
    ReplayKey::from_bytes([i; 16])
}

#[tokio::test]
async fn a_key_is_accepted_once_and_expires() {
    let redis = RedisServer::start();
    let store = RedisReplayStore::new(&redis.url()).unwrap();
    // Lifetimes long enough that a slow machine cannot expire a key between two calls.
    assert_eq!(store.insert_once(key(1), Duration::from_secs(2)).await, Ok(true));
    assert_eq!(store.insert_once(key(1), Duration::from_secs(2)).await, Ok(false));
    assert_eq!(store.insert_once(key(2), Duration::from_secs(2)).await, Ok(true));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(store.insert_once(key(1), Duration::from_secs(60)).await, Ok(true));
    // Another prefix is another API.
    let other = RedisReplayStore::new(&redis.url()).unwrap().prefix("other-api:");
    assert_eq!(other.insert_once(key(2), Duration::from_secs(60)).await, Ok(true));
}

#[tokio::test]
async fn concurrent_inserts_of_one_key_are_accepted_exactly_once() {
    let redis = RedisServer::start();
    let stores: Vec<Arc<RedisReplayStore>> =
        (0..4).map(|_| Arc::new(RedisReplayStore::new(&redis.url()).unwrap())).collect();
    let mut tasks = Vec::new();
    for round in 0..50u8 {
        for store in &stores {
            let store = store.clone();
            tasks.push(tokio::spawn(
                async move { (round, store.insert_once(key(round), Duration::from_secs(60)).await) },
            ));
        }
    }
    let mut accepted = [0u32; 50];
    for task in tasks {
        let (round, result) = task.await.unwrap();
        if result.unwrap() {
            accepted[usize::from(round)] += 1;
        }
    }
    assert!(accepted.iter().all(|n| *n == 1), "{accepted:?}");
}

fn server(dev: &DevIssuer, redis_url: &str) -> ResourceServer<Api> {
    let store = RedisReplayStore::new(redis_url).unwrap().timeout(Duration::from_millis(500));
    ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
        .dpop(DpopPolicy::required().replay_store(store))
        .public_origin("https://api.example")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_proof_used_on_one_instance_is_refused_by_another() {
    let redis = RedisServer::start();
    let dev = DevIssuer::new();
    let (a, b) = (server(&dev, &redis.url()), server(&dev, &redis.url()));
    let key = DpopKey::new();
    let token = dev.access_token().dpop_bound(&key).sign();
    let (auth, proof) = (format!("DPoP {token}"), key.proof("GET", URL).access_token(&token).sign());
    let request = HttpRequest::new("GET", "/api/messages")
        .header("authorization", auth.as_bytes())
        .header("dpop", proof.as_bytes());
    assert!(a.authenticate(&request).await.is_ok());
    let r = b.authenticate(&request).await.unwrap_err();
    assert_eq!((r.status(), r.proof_error()), (401, Some(DpopError::Replayed)));
}

#[tokio::test]
async fn redis_down_answers_503_then_recovers() {
    let mut redis = RedisServer::start();
    let dev = DevIssuer::new();
    let api = server(&dev, &redis.url());
    let key = DpopKey::new();
    let token = dev.access_token().dpop_bound(&key).sign();
    let auth = format!("DPoP {token}");
    let call = |proof: String| {
        let api = api.clone();
        let auth = auth.clone();
        async move {
            let request = HttpRequest::new("GET", "/api/messages")
                .header("authorization", auth.as_bytes())
                .header("dpop", proof.as_bytes());
            api.authenticate(&request).await
        }
    };
    assert!(call(key.proof("GET", URL).access_token(&token).sign()).await.is_ok());

    let port = redis.url();
    redis.stop();
    for _ in 0..3 {
        let r = call(key.proof("GET", URL).access_token(&token).sign()).await.unwrap_err();
        assert_eq!((r.status(), r.error_code()), (503, Some(ErrorCode::TemporarilyUnavailable)));
        assert_eq!(r.headers(), [("Retry-After", "5".to_owned())]);
    }
    // The store itself says why.
    let store = RedisReplayStore::new(&port).unwrap().timeout(Duration::from_millis(200));
    assert!(matches!(
        store.insert_once(self::key(9), Duration::from_secs(1)).await,
        Err(ReplayStoreError::Unavailable(_))
    ));

    // A new server on another port stands in for the restarted one; the old
    // store never accepts unchecked in between, and a fresh one works.
    let redis = RedisServer::start();
    let api = server(&dev, &redis.url());
    let proof = key.proof("GET", URL).access_token(&token).sign();
    let request = HttpRequest::new("GET", "/api/messages")
        .header("authorization", auth.as_bytes())
        .header("dpop", proof.as_bytes());
    assert!(api.authenticate(&request).await.is_ok());
}

#[tokio::test]
async fn a_restarted_redis_is_reconnected() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let store = RedisReplayStore::new(&url).unwrap().timeout(Duration::from_millis(300));
    assert_eq!(store.insert_once(key(1), Duration::from_secs(60)).await, Ok(true));
    redis.stop();
    assert!(matches!(store.insert_once(key(2), Duration::from_secs(60)).await, Err(ReplayStoreError::Unavailable(_))));
    // Same port, fresh process.
    let port: u16 = url.trim_start_matches("redis://127.0.0.1:").trim_end_matches('/').parse().unwrap();
    let mut child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let result = loop {
        match store.insert_once(key(3), Duration::from_secs(60)).await {
            Ok(v) => break Ok(v),
            Err(e) if start.elapsed() > Duration::from_secs(10) => break Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Ok(true));
}
