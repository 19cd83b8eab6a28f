//! Hostile HTTP requests against an axum router on 127.0.0.1 with a real
//! HTTP client: no request makes the server panic or answer 500, and a flood
//! of invalid tokens leaves valid requests working (the slowdown is measured
//! side by side in one run and printed).

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use reqwest::Client;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokenkind::dev::DevIssuer;
use tokenkind::http::ResourceServer;
use tokenkind::{AccessToken, AccessTokenVerifier, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    Read,
}

#[requires_scope("read:messages")]
async fn messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

async fn public(token: Option<AccessToken<Api>>) -> String {
    token.map_or_else(|| "anonymous".to_owned(), |t| t.subject().to_owned())
}

fn serve(verifier: AccessTokenVerifier<Api>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/messages", get(messages))
        .route("/public", get(public))
        .with_state(ResourceServer::new(verifier));
    tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, app).await.unwrap();
    });
    base
}

/// Hostile `Authorization` values: attack tokens, odd schemes, raw bytes.
fn hostile_headers(dev: &DevIssuer) -> Vec<Vec<u8>> {
    let valid = dev.access_token().scope("read:messages").sign();
    let (input, _) = valid.rsplit_once('.').unwrap();
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let payload = valid.split('.').nth(1).unwrap();
    let tokens = [
        format!("{}.{payload}.", b64(r#"{"alg":"none"}"#)),
        format!("{}.{payload}.", b64(r#"{"alg":"NONE","typ":"at+jwt"}"#)),
        format!("{}.{payload}.c2ln", b64(r#"{"alg":"HS256","typ":"at+jwt"}"#)),
        format!("{input}.{}", "A".repeat(86)),
        format!("{input}.AAAA.BBBB.CCCC"),
        format!("{}.{payload}.AA", b64(r#"{"alg":"ES256","kid":"../../etc/passwd"}"#)),
        format!("{}.{payload}.AA", b64(r#"{"alg":"ES256","jku":"http://127.0.0.1:1/jwks"}"#)),
        format!("{}.{payload}.AA", b64(r#"{"alg":"ES256","crit":["b64"],"b64":false}"#)),
        format!("{}.{payload}.AA", b64(&format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(20_000)))),
        dev.id_token().nonce("n").sign(),
        dev.access_token().expires_in(-3600).scope("read:messages").sign(),
        dev.access_token().scope("read:messages:all xread:messages").sign(),
        dev.access_token().header_typ(Some("JWT")).scope("read:messages").sign(),
        "a".repeat(17 * 1024),
        ".".repeat(5000),
        "..".into(),
        "=".into(),
    ];
    let mut headers: Vec<Vec<u8>> = tokens.iter().map(|t| format!("Bearer {t}").into_bytes()).collect();
    headers.extend(
        [
            &b"Bearer"[..],
            b"Bearer ",
            b"bearer  x ",
            b"Basic dXNlcjpwYXNz",
            b"DPoP abc",
            b"Bearer a b",
            b"Bearer a,b",
            b"Bearer \"x\"",
            b"Bearer \xff\xfe",
            b"Bearer abc.\x80.def",
            b"\xff Bearer",
            b"Bearer\tabc",
        ]
        .map(<[u8]>::to_vec),
    );
    // Pseudo-random header values (a fixed xorshift sequence) of visible bytes and obs-text.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..200 {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let len = usize::try_from(next() % 120).unwrap();
        let mut v = b"Bearer ".to_vec();
        v.extend((0..len).map(|_| {
            let b = u8::try_from(next() % 224).unwrap() + 32;
            if b == 127 { b'~' } else { b }
        }));
        headers.push(v);
    }
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_request_panics_the_server_or_gets_a_500() {
    let dev = DevIssuer::new();
    let base = serve(dev.access_token_verifier::<Api>().build().unwrap());
    let client = Client::new();
    let headers = hostile_headers(&dev);
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for path in ["/messages", "/public"] {
        for value in &headers {
            let value = HeaderValue::from_bytes(value).unwrap();
            let response = client.get(format!("{base}{path}")).header(AUTHORIZATION, value.clone()).send().await;
            let status = response.unwrap_or_else(|e| panic!("no answer to {value:?}: {e}")).status().as_u16();
            // A valid token without the scope is welcome on the public route.
            let ok = matches!(status, 400 | 401 | 403 | 431) || (path == "/public" && status == 200);
            assert!(ok, "{path} {value:?}: {status}");
            *seen.entry(status).or_default() += 1;
        }
        // Two Authorization headers, and a token in the query that is not accepted.
        let twice = client
            .get(format!("{base}{path}"))
            .header(AUTHORIZATION, "Bearer a.b.c")
            .header(AUTHORIZATION, "Bearer d.e.f")
            .send()
            .await
            .unwrap();
        assert_eq!(twice.status().as_u16(), 400, "{path}");
        let query = client.get(format!("{base}{path}?access_token=a.b.c")).send().await.unwrap();
        assert!(matches!(query.status().as_u16(), 400 | 401), "{path}: {}", query.status());
        let long_query = client.get(format!("{base}{path}?access_token={}", "x".repeat(60_000))).send().await.unwrap();
        assert!(matches!(long_query.status().as_u16(), 400 | 401 | 414 | 431), "{path}: {}", long_query.status());
    }
    // A 1 MiB header: the server refuses it (hyper's header limit) or closes the connection, and lives on.
    let huge = format!("Bearer {}", "a".repeat(1 << 20));
    if let Ok(r) = client.get(format!("{base}/messages")).header(AUTHORIZATION, huge).send().await {
        assert_ne!(r.status().as_u16(), 500);
    }
    // Still serving valid requests afterwards.
    let ok = client.get(format!("{base}/messages")).bearer_auth(dev.access_token().scope("read:messages").sign());
    assert_eq!(ok.send().await.unwrap().status().as_u16(), 200);
    eprintln!("hostile requests by status: {seen:?}");
}

/// The median and 95th percentile latency of `n` sequential valid requests.
async fn valid_latency(client: &Client, url: &str, token: &str, n: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let r = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    (times[n / 2], times[n * 95 / 100])
}

/// Sends requests with `tokens` (in turn) from `connections` clients until
/// `stop`, counting them. Each answer must have `status`.
fn flood(url: &str, tokens: &Arc<Vec<String>>, status: u16, connections: usize, stop: &Arc<AtomicBool>) -> Flood {
    let sent = Arc::new(AtomicUsize::new(0));
    let tasks = (0..connections)
        .map(|i| {
            let (client, url, stop, sent, tokens) =
                (Client::new(), url.to_owned(), stop.clone(), sent.clone(), tokens.clone());
            tokio::spawn(async move {
                let mut k = i;
                while !stop.load(Ordering::Relaxed) {
                    let r = client.get(&url).bearer_auth(&tokens[k % tokens.len()]).send().await.unwrap();
                    assert_eq!(r.status().as_u16(), status);
                    k += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    Flood { tasks, sent }
}

struct Flood {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    sent: Arc<AtomicUsize>,
}

/// Valid-request latency with `load` running beside it: (median, p95, load requests per second).
async fn measure_under(
    client: &Client,
    url: &str,
    token: &str,
    load: Option<(Arc<Vec<String>>, u16)>,
) -> (Duration, Duration, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let flood = load.map(|(tokens, status)| flood(url, &tokens, status, 4, &stop));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = flood.as_ref().map_or(0, |f| f.sent.load(Ordering::Relaxed));
    let start = Instant::now();
    let (median, p95) = valid_latency(client, url, token, 300).await;
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut rate = 0.0;
    if let Some(f) = flood {
        rate = f64::from(u32::try_from(f.sent.load(Ordering::Relaxed) - before).unwrap()) / secs;
        for t in f.tasks {
            t.await.unwrap();
        }
    }
    (median, p95, rate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_invalid_tokens_leaves_valid_requests_working() {
    let dev = DevIssuer::new();
    let base = serve(dev.access_token_verifier::<Api>().build().unwrap());
    let url = format!("{base}/messages");
    let client = Client::new();
    let token = dev.access_token().scope("read:messages").sign();
    // The invalid tokens that cost the server most: well-formed ones whose
    // signature is checked (a forged one fails, an expired one passes and is
    // then refused), and cheap ones (oversized, unsigned).
    let (input, _) = token.rsplit_once('.').unwrap();
    let invalid = Arc::new(vec![
        format!("{input}.{}", "A".repeat(86)),
        dev.access_token().expires_in(-3600).scope("read:messages").sign(),
        "a".repeat(17 * 1024),
        format!("{input}."),
    ]);
    // The same load made of valid requests, to compare like with like.
    let valid = Arc::new(vec![token.clone()]);

    let _ = valid_latency(&client, &url, &token, 30).await; // warm up
    let alone = measure_under(&client, &url, &token, None).await;
    let under_invalid = measure_under(&client, &url, &token, Some((invalid, 401))).await;
    let under_valid = measure_under(&client, &url, &token, Some((valid, 200))).await;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "valid request median (p95), ms: alone {:.2} ({:.2}); beside 4 connections flooding invalid tokens \
         ({:.0}/s) {:.2} ({:.2}); beside 4 connections of valid requests ({:.0}/s) {:.2} ({:.2}); \
         invalid flood vs alone {:.1}x, invalid flood vs equal valid load {:.2}x",
        ms(alone.0),
        ms(alone.1),
        under_invalid.2,
        ms(under_invalid.0),
        ms(under_invalid.1),
        under_valid.2,
        ms(under_valid.0),
        ms(under_valid.1),
        under_invalid.0.as_secs_f64() / alone.0.as_secs_f64(),
        under_invalid.0.as_secs_f64() / under_valid.0.as_secs_f64(),
    );
}
