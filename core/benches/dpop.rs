//! The cost of a DPoP-bound request through the pipeline, side by side with
//! its floor (the two raw ES256 signature checks, of the token and of the
//! proof), replay check included; the in-memory replay store's insert rate
//! and memory under a flood; the Redis round trip when `redis-server` is on
//! PATH. See BENCHMARKS.md.
//!
//! `cargo bench -p tokenkind --bench dpop`

#![allow(missing_docs)]

#[path = "support/paired.rs"]
mod paired;

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paired::paired;
use tokenkind::Scopes;
use tokenkind::dev::{DevIssuer, DpopKey};
use tokenkind::http::{DpopPolicy, HttpRequest, MemoryReplayStore, ReplayKey, ReplayStore, ResourceServer};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

const URL: &str = "https://api.example/api/messages";

/// Polls a future that completes without waiting (static keys, in-memory store).
fn ready<F: Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The signing input and the decoded signature of a compact JWS.
fn parts(jws: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, signature) = jws.rsplit_once('.').unwrap();
    (input.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(signature).unwrap())
}

fn es256_key(jwk: &serde_json::Value) -> ParsedPublicKey {
    let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(jwk[c].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(coordinate("x"));
    point.extend(coordinate("y"));
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).unwrap()
}

fn dpop_request_against_the_floor() {
    let dev = DevIssuer::new();
    let key = DpopKey::new();
    let token = dev.access_token().scope("read:messages").expires_in(3600).dpop_bound(&key).sign();
    let server = ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
        .dpop(DpopPolicy::allowed().replay_store(MemoryReplayStore::with_capacity(2_000_000)))
        .public_origin("https://api.example")
        .build()
        .unwrap();
    // Every request needs a proof of its own (a proof is accepted once).
    let proofs: Vec<String> = (0..60_000).map(|_| key.proof("GET", URL).access_token(&token).sign()).collect();
    let next = Cell::new(0usize);
    let authorization = format!("DPoP {token}");
    let dpop = || {
        let i = next.get();
        next.set(i + 1);
        let proof = &proofs[i % proofs.len()];
        let request = HttpRequest::new("GET", "/api/messages")
            .header("authorization", authorization.as_bytes())
            .header("dpop", proof.as_bytes());
        ready(server.authenticate(black_box(&request))).is_ok()
    };
    let token_key = es256_key(&serde_json::from_str::<serde_json::Value>(&dev.jwks()).unwrap()["keys"][0]);
    let proof_key = es256_key(key.jwk());
    let (token_input, token_signature) = parts(&token);
    // The floor walks the same pool of proofs, so both sides read as much memory.
    let proof_parts: Vec<(Vec<u8>, Vec<u8>)> = proofs.iter().map(|p| parts(p)).collect();
    let next_floor = Cell::new(0usize);
    let floor = || {
        let i = next_floor.get();
        next_floor.set(i + 1);
        let (proof_input, proof_signature) = &proof_parts[i % proof_parts.len()];
        token_key.verify_sig(black_box(&token_input), black_box(&token_signature)).is_ok()
            && proof_key.verify_sig(black_box(proof_input), black_box(proof_signature)).is_ok()
    };
    assert!(dpop(), "the benchmark's request is valid");
    paired("dpop/ES256+ES256: pipeline / floor", dpop, floor);
    println!("  ({} proofs used; the replay store refused none: every one was new)", next.get());
}

/// A flood of unique proofs into the default store, measured first (before
/// other allocations are freed and reused): memory stops growing at its capacity.
fn replay_flood() {
    // A flood of unique proofs into the default store: memory stops growing at its capacity.
    let rss = || {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
    };
    let before = rss();
    let store = MemoryReplayStore::new();
    let mut refused = 0u32;
    for i in 0..3_000_000u32 {
        let mut k = [0u8; 16];
        k[..4].copy_from_slice(&i.to_le_bytes());
        k[4..8].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
        if ready(store.insert_once(ReplayKey::from_bytes(k), Duration::from_secs(360))).is_err() {
            refused += 1;
        }
    }
    println!(
        "flood: 3,000,000 unique proofs into the default store (capacity {}): {} held, {} refused with 503, resident memory +{:.1} MiB",
        MemoryReplayStore::DEFAULT_CAPACITY,
        store.len(),
        refused,
        f64::from(u32::try_from(rss().saturating_sub(before) / 1024).unwrap_or(u32::MAX)) / 1024.0
    );
}

fn replay_store() {
    let store = MemoryReplayStore::with_capacity(4_000_000);
    let n = 2_000_000u32;
    let keys: Vec<ReplayKey> = (0..n)
        .map(|i| {
            let mut k = [0u8; 16];
            k[..4].copy_from_slice(&i.to_le_bytes());
            k[4..8].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
            ReplayKey::from_bytes(k)
        })
        .collect();
    let start = Instant::now();
    for key in &keys {
        black_box(ready(store.insert_once(*key, Duration::from_secs(360))).unwrap());
    }
    let elapsed = start.elapsed();
    println!(
        "replay store: {:.2} M inserts/s on one core ({n} distinct keys)",
        f64::from(n) / elapsed.as_secs_f64() / 1e6
    );
}

#[cfg(feature = "redis")]
fn redis_round_trip() {
    use std::net::TcpListener;
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Ok(mut child) = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        println!("redis: redis-server is not on PATH; round trip not measured");
        return;
    };
    std::thread::sleep(Duration::from_millis(300));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = tokenkind::http::RedisReplayStore::new(&format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut times: Vec<Duration> = runtime.block_on(async {
        let mut times = Vec::new();
        for i in 0..5_000u32 {
            let mut k = [0u8; 16];
            k[..4].copy_from_slice(&i.to_le_bytes());
            let start = Instant::now();
            store.insert_once(ReplayKey::from_bytes(k), Duration::from_secs(360)).await.unwrap();
            times.push(start.elapsed());
        }
        times
    });
    times.sort();
    println!(
        "redis: SET NX PX round trip over loopback, median {:?}, p99 {:?} (5,000 inserts, one connection)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    replay_flood();
    dpop_request_against_the_floor();
    replay_store();
    #[cfg(feature = "redis")]
    redis_round_trip();
}
