//! Throughput of one verifier shared by two threads, against one thread:
//! static keys, and remote keys while the JWKS is refreshed over and over.
//! See BENCHMARKS.md.
//!
//! `cargo bench -p tokenkind --bench contention`

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use tokenkind::dev::DevIssuer;
use tokenkind::remote::RemoteKeys;
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

/// `n` calls of `work` on each of `threads` threads at once; wall time.
fn run(work: &(dyn Fn() -> bool + Sync), threads: usize, n: u64) -> Duration {
    let start = Instant::now();
    if threads == 1 {
        for _ in 0..n {
            black_box(work());
        }
    } else {
        thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..n {
                        black_box(work());
                    }
                });
            }
        });
    }
    start.elapsed()
}

/// A JWKS served over loopback, refreshed by a background thread every
/// `every` while the returned guard lives.
struct Refreshing {
    stop: std::sync::Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<u64>>,
}

impl Drop for Refreshing {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let refreshes = t.join().unwrap_or(0);
            eprintln!("(JWKS refreshed {refreshes} times)");
        }
    }
}

fn remote_verifier(dev: &DevIssuer, every: Duration) -> (AccessTokenVerifier<Api>, Refreshing) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let jwks = dev.jwks();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let keys = RemoteKeys::jwks_uri(url).build().unwrap();
    let verifier = dev.access_token_verifier::<Api>().remote_keys(keys.clone()).build().unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = thread::spawn(move || {
        runtime.block_on(async move {
            let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { jwks }));
            tokio::spawn(async move { axum::serve(listener, app).await });
            let mut refreshes = 0;
            let mut last = Instant::now();
            let _ = keys.refresh().await;
            while !stopped.load(Ordering::Relaxed) {
                if last.elapsed() >= every {
                    last = Instant::now();
                    if keys.refresh().await.is_ok() {
                        refreshes += 1;
                    }
                }
                tokio::time::sleep(every.min(Duration::from_millis(20))).await;
            }
            refreshes
        })
    });
    // Wait for the first fetch.
    let token = dev.access_token().sign();
    let deadline = Instant::now() + Duration::from_secs(10);
    while verifier.verify(&token).is_err() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    (verifier, Refreshing { stop, thread: Some(thread) })
}

struct Case {
    name: String,
    work: Box<dyn Fn() -> bool + Sync>,
    _refreshing: Option<Refreshing>,
}

fn verifying(verifier: AccessTokenVerifier<Api>, token: String) -> Box<dyn Fn() -> bool + Sync> {
    assert!(verifier.verify(&token).unwrap().has_scope(Api::Admin));
    Box::new(move || verifier.verify(black_box(&token)).is_ok_and(|t| t.has_scope(Api::Admin)))
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (alg, name) in [(Algorithm::RS256, "RS256"), (Algorithm::ES256, "ES256"), (Algorithm::HS256, "HS256")] {
        let dev = DevIssuer::with_algorithm(alg);
        let verifier = dev.access_token_verifier::<Api>().build().unwrap();
        let token = dev.access_token().scope(SCOPE).sign();
        cases.push(Case { name: format!("static keys, {name}"), work: verifying(verifier, token), _refreshing: None });
    }
    for (every, what) in [
        (Duration::from_secs(3600), "remote keys, RS256"),
        (Duration::from_millis(10), "remote keys refreshed every 10 ms, RS256"),
    ] {
        let dev = DevIssuer::with_algorithm(Algorithm::RS256);
        let (verifier, refreshing) = remote_verifier(&dev, every);
        let token = dev.access_token().scope(SCOPE).sign();
        cases.push(Case { name: what.into(), work: verifying(verifier, token), _refreshing: Some(refreshing) });
    }
    // Controls: the machine's own scaling, without tokenkind.
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let mut sig = vec![0; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, b"message", &mut sig).unwrap();
    let key = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref(),
    )
    .unwrap();
    cases.push(Case {
        name: "control: raw aws-lc-rs RS256 verify".into(),
        work: Box::new(move || key.verify_sig(black_box(b"message"), black_box(&sig)).is_ok()),
        _refreshing: None,
    });
    cases.push(Case {
        name: "control: arithmetic, no memory shared".into(),
        work: Box::new(|| {
            (0..2000u64).fold(black_box(1u64), |a, i| a.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i)) != 0
        }),
        _refreshing: None,
    });
    cases
}

fn threads(c: &mut Criterion) {
    for case in cases() {
        let mut g = c.benchmark_group(format!("threads/{}", case.name));
        for n in [1usize, 2] {
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(format!("{n} thread{}", if n == 1 { "" } else { "s" }), |b| {
                b.iter_custom(|iters| run(&*case.work, n, iters));
            });
        }
        g.finish();
    }
}

/// Throughput of 2 threads over 1, from alternating batches.
fn paired_scaling() {
    const ROUNDS: usize = 60;
    println!("\nthroughput of 2 threads / 1 thread (median of alternating batches)");
    for case in cases() {
        let probe = run(&*case.work, 1, 50).as_secs_f64() / 50.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = ((0.005 / probe) as u64).max(10);
        let mut ratios: Vec<f64> = (0..ROUNDS)
            .map(|round| {
                let (one, two) = if round % 2 == 0 {
                    let one = run(&*case.work, 1, n);
                    (one, run(&*case.work, 2, n))
                } else {
                    let two = run(&*case.work, 2, n);
                    (run(&*case.work, 1, n), two)
                };
                2.0 * one.as_secs_f64() / two.as_secs_f64()
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "{:<45} {:.2}×  (quartiles {:.2}–{:.2}, {ROUNDS} rounds of {n} per thread)",
            case.name,
            ratios[ROUNDS / 2],
            ratios[ROUNDS / 4],
            ratios[3 * ROUNDS / 4]
        );
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = threads }

fn main() {
    // `-- paired` runs the alternating-batch ratios alone.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let test_mode = std::env::args().any(|a| a == "--test" || a == "--list");
    if filter.as_deref() != Some("paired") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if !test_mode && filter.as_deref().is_none_or(|f| f == "paired") {
        paired_scaling();
    }
}
