//! What an introspected token costs, side by side in one run: a cached
//! answer (hashing the token, the cache lookup, and the checks on the
//! cached JSON) against verifying a JWT access token (ES256 and RS256) with
//! the same verifier; and an uncached introspection, one HTTP round trip to
//! an endpoint on loopback. See BENCHMARKS.md.
//!
//! `cargo bench -p tokenkind --bench introspection`

#![allow(missing_docs)]

#[path = "support/paired.rs"]
mod paired;

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::post;
use criterion::{Criterion, criterion_group};
use paired::paired;
use tokenkind::dev::DevIssuer;
use tokenkind::remote::{ClientAuth, Introspection};
use tokenkind::verify::Introspect;
use tokenkind::{AccessTokenVerifier, Algorithm, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
    #[scope("read:users")]
    ReadUsers,
    #[scope("admin")]
    Admin,
}

const SCOPE: &str = "read:messages write:messages delete:messages read:users admin";
const OPAQUE: &str = "2YotnFZFEjr1zCsicMWpAA-3TpJxqvmGWbVsCMBzkN8";

struct Setup {
    rt: tokio::runtime::Runtime,
    cached: AccessTokenVerifier<Api>,
    uncached: AccessTokenVerifier<Api>,
    jwt: String,
}

/// An introspection endpoint on loopback answering for `dev`'s API, like a
/// provider would (the RFC 9068 members, five scopes, a `jti`).
fn setup(algorithm: Algorithm) -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let dev = DevIssuer::with_algorithm(algorithm);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let answer = serde_json::json!({
        "active": true, "iss": dev.issuer(), "aud": dev.audience(), "sub": "user-1234",
        "client_id": dev.client_id(), "scope": SCOPE, "jti": "a6f0c3d2-5b7e-4c1a-9f3e-2d8b7a6c5e4f",
        "iat": now, "exp": now + 3600, "token_type": "Bearer",
    })
    .to_string();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/introspect", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/introspect",
        post(move || {
            let answer = answer.clone();
            async move { ([("content-type", "application/json")], answer) }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await });
    let verifier = |max_age: Duration| {
        let introspection = Introspection::endpoint(url.clone())
            .client_auth(ClientAuth::client_secret_basic("api", "api-secret"))
            .cache_max_age(max_age)
            .build()
            .unwrap();
        AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience())
            .keys(dev.key_set())
            .introspection(introspection, Introspect::OpaqueTokens)
            .build()
            .unwrap()
    };
    let jwt = dev.access_token().subject("user-1234").scope(SCOPE).sign();
    let setup = Setup { cached: verifier(Duration::from_secs(60)), uncached: verifier(Duration::ZERO), jwt, rt };
    // Warm: the cached verifier holds the answer from now on.
    setup.rt.block_on(setup.cached.verify_async(OPAQUE)).unwrap();
    setup
}

fn benches(c: &mut Criterion) {
    for (name, algorithm) in [("ES256", Algorithm::ES256), ("RS256", Algorithm::RS256)] {
        let s = setup(algorithm);
        let mut group = c.benchmark_group(format!("introspection/{name}"));
        group.bench_function("cached opaque token", |b| {
            b.iter(|| s.rt.block_on(s.cached.verify_async(black_box(OPAQUE))).unwrap());
        });
        group.bench_function("JWT access token", |b| {
            b.iter(|| s.rt.block_on(s.cached.verify_async(black_box(&s.jwt))).unwrap());
        });
        if algorithm == Algorithm::ES256 {
            group.bench_function("uncached: one round trip on loopback", |b| {
                b.iter(|| s.rt.block_on(s.uncached.verify_async(black_box(OPAQUE))).unwrap());
            });
        }
        group.finish();
    }
}

fn paired_ratios() {
    println!("\npaired ratios (median of 40 alternating batches, with quartiles):");
    for (name, algorithm) in [("ES256", Algorithm::ES256), ("RS256", Algorithm::RS256)] {
        let s = setup(algorithm);
        let cached = || s.rt.block_on(s.cached.verify_async(black_box(OPAQUE))).is_ok();
        let jwt = || s.rt.block_on(s.cached.verify_async(black_box(&s.jwt))).is_ok();
        paired(&format!("introspection/{name}: cached / JWT"), cached, jwt);
    }
}

criterion_group! {
    name = group;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}

fn main() {
    // `cargo bench --bench introspection -- paired` runs the paired ratios alone.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let test_mode = std::env::args().any(|a| a == "--test" || a == "--list");
    if filter.as_deref() != Some("paired") {
        group();
        Criterion::default().configure_from_args().final_summary();
    }
    if !test_mode && filter.as_deref().is_none_or(|f| f == "paired") {
        paired_ratios();
    }
}
