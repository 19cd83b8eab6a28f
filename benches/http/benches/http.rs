//! Requests per second over loopback for one axum endpoint: unguarded,
//! guarded by `#[requires_scope]`, and guarded by a peer crate doing the
//! same checks (`aliri_axum` with `aliri_tower`: signature, issuer, audience,
//! expiry, scope). See BENCHMARKS.md.
//!
//! `CARGO_TARGET_DIR=target cargo bench --manifest-path benches/http/Cargo.toml`
//!
//! The server runs on a Tokio runtime with one worker thread; the client is
//! a minimal blocking HTTP/1.1 client on one keep-alive connection, so a
//! request costs the server's work plus a loopback round trip.

#![allow(missing_docs)]

#[path = "../../../core/benches/support/callgrind.rs"]
mod callgrind;

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use aliri::jwt;
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group};
use jsonwebtoken::{EncodingKey, Header};
use tokenkind::dev::DevIssuer;
use tokenkind::http::ResourceServer;
use tokenkind::{AccessToken, AccessTokenVerifier, Algorithm, KeySet, Scopes, requires_scope};

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
const HMAC_SECRET: [u8; 64] = [0x5a; 64];

#[requires_scope("read:messages")]
async fn guarded(_token: AccessToken<Api>) -> &'static str {
    "ok"
}

async fn open() -> &'static str {
    "ok"
}

mod peer {
    aliri_axum::scope_guards! {
        type Claims = aliri_oauth2::scope::BasicClaimsWithScope;
        pub scope ReadMessages = "read:messages";
    }
}

async fn peer_guarded(_: peer::ReadMessages) -> &'static str {
    "ok"
}

/// The same checks with aliri: algorithm, issuer, audience, expiry, then the scope.
fn peer_router(jwks: aliri::Jwks, alg: aliri::jwa::Algorithm, issuer: &str, audience: &str) -> Router {
    let validator = jwt::CoreValidator::default()
        .add_approved_algorithm(alg)
        .add_allowed_audience(jwt::Audience::from(audience.to_owned()))
        .require_issuer(jwt::Issuer::from(issuer.to_owned()));
    let authority = aliri_oauth2::Authority::new(jwks, validator);
    let authorizer = aliri_tower::Oauth2Authorizer::new().with_terse_error_handler();
    Router::new().route("/", get(peer_guarded)).layer(authorizer.jwt_layer(authority))
}

/// A blocking HTTP/1.1 client on one keep-alive connection.
struct Client {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl Client {
    fn new(addr: SocketAddr, token: Option<&str>) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!("GET / HTTP/1.1\r\nHost: bench\r\n{auth}\r\n").into_bytes();
        Self { stream, request, buf: vec![0; 4096] }
    }

    /// Sends the request and reads the whole response; its status.
    fn get(&mut self) -> u16 {
        self.stream.write_all(&self.request).expect("write");
        let mut len = 0;
        loop {
            let n = self.stream.read(&mut self.buf[len..]).expect("read");
            assert!(n > 0, "connection closed");
            len += n;
            if let Some(end) = self.buf[..len].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).expect("ascii head");
                let status: u16 = head[9..12].parse().expect("status");
                let body_len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while len < end + 4 + body_len {
                    let n = self.stream.read(&mut self.buf[len..]).expect("read body");
                    assert!(n > 0, "connection closed");
                    len += n;
                }
                return status;
            }
        }
    }
}

struct Setup {
    name: &'static str,
    _runtime: tokio::runtime::Runtime,
    unguarded: Client,
    tokenkind: Client,
    peer: Client,
}

fn serve(runtime: &tokio::runtime::Runtime, app: Router) -> SocketAddr {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The key the floor checks the token's signature with.
enum Floor {
    Hmac(Box<aws_lc_rs::hmac::Key>),
    /// The issuer's RSA public key, as its JWK.
    Rsa(serde_json::Value),
}

/// The token, tokenkind's verifier, the JWKS for the peer, the peer's
/// algorithm, the issuer, and the floor's key.
type Tokens = (String, AccessTokenVerifier<Api>, String, aliri::jwa::Algorithm, DevIssuer, Floor);

fn tokens(alg: Algorithm) -> Tokens {
    let dev = DevIssuer::with_algorithm(if alg == Algorithm::HS256 { Algorithm::ES256 } else { alg });
    if alg == Algorithm::HS256 {
        let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("hmac-1".into());
        header.typ = Some("at+jwt".into());
        let claims = dev.access_token().scope(SCOPE).claims().clone();
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&HMAC_SECRET).expect("key"))
            .expect("sign");
        let keys = KeySet::new().with_hmac(Some("hmac-1"), &HMAC_SECRET, Algorithm::HS256).expect("hmac key");
        let verifier = AccessTokenVerifier::<Api>::builder(dev.issuer(), dev.audience()).keys(keys).build();
        let jwk = serde_json::json!({"keys": [{"kty": "oct", "kid": "hmac-1", "alg": "HS256",
                                               "k": URL_SAFE_NO_PAD.encode(HMAC_SECRET)}]});
        let floor = Floor::Hmac(Box::new(aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &HMAC_SECRET)));
        (token, verifier.expect("verifier"), jwk.to_string(), aliri::jwa::Algorithm::HS256, dev, floor)
    } else {
        let token = dev.access_token().scope(SCOPE).sign();
        let jwk = serde_json::from_str::<serde_json::Value>(&dev.jwks()).expect("jwks")["keys"][0].clone();
        let verifier = dev.access_token_verifier::<Api>().build().expect("verifier");
        (token, verifier, dev.jwks(), aliri::jwa::Algorithm::RS256, dev, Floor::Rsa(jwk))
    }
}

fn setup(alg: Algorithm) -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let (token, verifier, jwks, peer_alg, dev, _) = tokens(alg);
    let name = alg.as_str();
    let jwks: aliri::Jwks = serde_json::from_str(&jwks).expect("aliri reads the JWKS");
    let unguarded = serve(&runtime, Router::new().route("/", get(open)));
    let tokenkind = serve(&runtime, Router::new().route("/", get(guarded)).with_state(ResourceServer::from(verifier)));
    let peer = serve(&runtime, peer_router(jwks, peer_alg, dev.issuer(), dev.audience()));
    let mut setup = Setup {
        name,
        _runtime: runtime,
        unguarded: Client::new(unguarded, None),
        tokenkind: Client::new(tokenkind, Some(&token)),
        peer: Client::new(peer, Some(&token)),
    };
    assert_eq!(setup.unguarded.get(), 200);
    assert_eq!(setup.tokenkind.get(), 200, "tokenkind accepts the token");
    assert_eq!(setup.peer.get(), 200, "the peer accepts the token");
    // Both refuse a token without the scope.
    let unscoped = dev.access_token().scope("read:users").sign();
    if alg != Algorithm::HS256 {
        assert_eq!(Client::new(tokenkind, Some(&unscoped)).get(), 403);
        assert_eq!(Client::new(peer, Some(&unscoped)).get(), 403);
    }
    setup
}

const ALGS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::HS256];

fn http(c: &mut Criterion) {
    for alg in ALGS {
        let mut s = setup(alg);
        let mut g = c.benchmark_group(format!("http/{}", s.name));
        g.bench_function("unguarded", |b| b.iter(|| black_box(s.unguarded.get())));
        g.bench_function("tokenkind", |b| b.iter(|| black_box(s.tokenkind.get())));
        g.bench_function("aliri_axum", |b| b.iter(|| black_box(s.peer.get())));
        g.finish();
    }
}

/// Throughput ratios from alternating batches of requests.
fn paired(name: &str, a: &mut Client, b: &mut Client) {
    const ROUNDS: usize = 30;
    let batch = |c: &mut Client, n: u32| {
        let start = Instant::now();
        for _ in 0..n {
            black_box(c.get());
        }
        start.elapsed().as_secs_f64()
    };
    let n = 200;
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            // Throughput of a over b is b's time over a's.
            if round % 2 == 0 {
                let ta = batch(a, n);
                batch(b, n) / ta
            } else {
                let tb = batch(b, n);
                tb / batch(a, n)
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "{name:<45} {:.3}  (quartiles {:.3}–{:.3}, {ROUNDS} rounds of {n} requests)",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
}

fn paired_ratios() {
    println!("\nrequests per second, ratio (median of alternating batches)");
    for alg in ALGS {
        let mut s = setup(alg);
        paired(&format!("{}: tokenkind / aliri_axum", s.name), &mut s.tokenkind, &mut s.peer);
        paired(&format!("{}: tokenkind / unguarded", s.name), &mut s.tokenkind, &mut s.unguarded);
        paired(&format!("{}: aliri_axum / unguarded", s.name), &mut s.peer, &mut s.unguarded);
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = http }

/// An HTTP/1.1 client on one keep-alive connection, on the server's own
/// single-threaded runtime: one thread runs the whole request, so callgrind
/// counts the client, the server and everything between.
struct AsyncClient {
    stream: tokio::net::TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl AsyncClient {
    async fn connect(addr: SocketAddr, token: Option<&str>) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!("GET / HTTP/1.1\r\nHost: bench\r\n{auth}\r\n").into_bytes();
        Self { stream, request, buf: vec![0; 4096] }
    }

    /// One request and its whole response ("ok", a 2-byte body); its status.
    async fn get(&mut self) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(&self.request).await.expect("write");
        let mut len = 0;
        loop {
            let n = self.stream.read(&mut self.buf[len..]).await.expect("read");
            assert!(n > 0, "connection closed");
            len += n;
            if let Some(end) = self.buf[..len].windows(4).position(|w| w == b"\r\n\r\n") {
                let status: u16 = std::str::from_utf8(&self.buf[9..12]).expect("ascii").parse().expect("status");
                let body = if status == 200 { 2 } else { 0 };
                while len < end + 4 + body {
                    let n = self.stream.read(&mut self.buf[len..]).await.expect("read body");
                    assert!(n > 0, "connection closed");
                    len += n;
                }
                return status;
            }
        }
    }
}

/// Requests counted per measurement under callgrind.
const COUNTED: u32 = 100;

/// What [`instructions_child`] measures, in order.
const INSTRUCTION_ROWS: [&str; 4] = ["unguarded request", "tokenkind request", "aliri_axum request", "floor"];

/// The callgrind child for one algorithm: each of [`INSTRUCTION_ROWS`].
fn instructions_child(name: &str) {
    use aws_lc_rs::signature::{self, RsaPublicKeyComponents};

    let alg = ALGS.into_iter().find(|a| a.as_str() == name).expect("a benchmarked algorithm");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (token, verifier, jwks, peer_alg, dev, floor) = tokens(alg);
    let jwks: aliri::Jwks = serde_json::from_str(&jwks).expect("aliri reads the JWKS");
    let unguarded = serve(&rt, Router::new().route("/", get(open)));
    let tokenkind = serve(&rt, Router::new().route("/", get(guarded)).with_state(ResourceServer::from(verifier)));
    let peer = serve(&rt, peer_router(jwks, peer_alg, dev.issuer(), dev.audience()));
    let mut clients = rt.block_on(async {
        [
            AsyncClient::connect(unguarded, None).await,
            AsyncClient::connect(tokenkind, Some(&token)).await,
            AsyncClient::connect(peer, Some(&token)).await,
        ]
    });
    for client in &mut clients {
        callgrind::counted(COUNTED, || rt.block_on(client.get()) == 200);
    }
    let dot = token.rfind('.').expect("three segments");
    let (message, sig) = (&token.as_bytes()[..dot], URL_SAFE_NO_PAD.decode(&token[dot + 1..]).expect("base64url"));
    match floor {
        Floor::Hmac(key) => {
            callgrind::counted(COUNTED, || aws_lc_rs::hmac::verify(&key, black_box(message), black_box(&sig)).is_ok())
        }
        Floor::Rsa(jwk) => {
            let field =
                |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().expect("jwk member")).expect("base64url");
            let (n, e) = (field("n"), field("e"));
            let key = RsaPublicKeyComponents { n: &n[..], e: &e[..] }
                .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                .expect("rsa key");
            callgrind::counted(COUNTED, || key.verify_sig(black_box(message), black_box(&sig)).is_ok());
        }
    }
}

/// Instructions per request, each algorithm in a callgrind child.
fn instruction_counts() {
    if !callgrind::available() {
        println!("\ninstruction counts: skipped (valgrind is not on PATH)");
        return;
    }
    println!(
        "\ninstructions per request (callgrind, {COUNTED} requests counted after 3 uncounted; one thread runs client and server)"
    );
    for alg in ALGS {
        let counts = callgrind::run(alg.as_str(), &[]);
        assert_eq!(counts.len(), INSTRUCTION_ROWS.len(), "one count per measurement");
        #[allow(clippy::cast_precision_loss)]
        let per: Vec<f64> = counts.iter().map(|c| *c as f64 / f64::from(COUNTED)).collect();
        for (row, value) in INSTRUCTION_ROWS.iter().zip(&per) {
            println!("{:<6} {row:<20} {value:>10.0}", alg.as_str());
        }
        let (open, tokenkind, peer, floor) = (per[0], per[1], per[2], per[3]);
        println!("{:<6} tokenkind / (unguarded + floor) {:.3}", alg.as_str(), tokenkind / (open + floor));
        println!("{:<6} aliri_axum / (unguarded + floor) {:.3}", alg.as_str(), peer / (open + floor));
        println!("{:<6} tokenkind / aliri_axum {:.3}", alg.as_str(), tokenkind / peer);
    }
}

fn main() {
    if let Some(group) = callgrind::child_group() {
        instructions_child(&group);
        return;
    }
    // `-- paired` or `-- instructions` runs the alternating-batch ratios or
    // the instruction counts alone; with no filter, everything runs.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let test_mode = std::env::args().any(|a| a == "--test" || a == "--list");
    let only = |name: &str| filter.as_deref().is_none_or(|f| f == name);
    if !matches!(filter.as_deref(), Some("paired" | "instructions")) {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    if !test_mode && only("paired") {
        paired_ratios();
    }
    if !test_mode && only("instructions") {
        instruction_counts();
    }
}
