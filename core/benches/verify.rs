//! Verification cost, side by side in one run: tokenkind, `jsonwebtoken::decode`
//! with an equivalent `Validation`, and the floor (the aws-lc-rs signature
//! check alone, with the key parsed once). See BENCHMARKS.md.
//!
//! `cargo bench -p tokenkind --bench verify`

#![allow(missing_docs)]

#[path = "support/callgrind.rs"]
mod callgrind;
#[path = "support/paired.rs"]
mod paired;

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use paired::paired;
use serde::Deserialize;
use serde_json::Value;
use tokenkind::dev::DevIssuer;
use tokenkind::{AccessTokenVerifier, Algorithm, IdClaims, IdTokenVerifier, KeySet, Nonce, ScopeSet, Scopes};

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

/// The five granted scopes of the benchmark's access token.
const SCOPE: &str = "read:messages write:messages delete:messages read:users admin";
const NONCE: &str = "n-0S6_WzA2Mj";

/// Ten custom claims of an ID token, typed by tokenkind.
#[derive(IdClaims, Deserialize)]
#[allow(dead_code)]
struct Profile {
    name: String,
    given_name: String,
    family_name: String,
    preferred_username: String,
    email: String,
    email_verified: bool,
    picture: String,
    locale: String,
    zoneinfo: String,
    updated_at: i64,
}

/// What a jsonwebtoken user decodes from the same access token.
#[derive(Deserialize)]
#[allow(dead_code)]
struct JwtAccessClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    client_id: String,
    scope: String,
}

/// What a jsonwebtoken user decodes from the same ID token: one flat struct
/// (`#[serde(flatten)]` would buffer the members and cost jsonwebtoken more).
#[derive(Deserialize)]
#[allow(dead_code)]
struct JwtIdClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    auth_time: i64,
    nonce: String,
    name: String,
    given_name: String,
    family_name: String,
    preferred_username: String,
    email: String,
    email_verified: bool,
    picture: String,
    locale: String,
    zoneinfo: String,
    updated_at: i64,
}

fn profile_claims() -> Vec<(&'static str, Value)> {
    vec![
        ("name", "Alice Example".into()),
        ("given_name", "Alice".into()),
        ("family_name", "Example".into()),
        ("preferred_username", "alice".into()),
        ("email", "alice@example.com".into()),
        ("email_verified", true.into()),
        ("picture", "https://example.com/alice.png".into()),
        ("locale", "en-GB".into()),
        ("zoneinfo", "Europe/London".into()),
        ("updated_at", 1_700_000_000.into()),
    ]
}

/// The signature check alone, with a key parsed once.
enum Floor {
    Public(ParsedPublicKey),
    Hmac(Box<hmac::Key>),
}

impl Floor {
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Public(k) => k.verify_sig(message, signature).is_ok(),
            Self::Hmac(k) => hmac::verify(k, message, signature).is_ok(),
        }
    }
}

/// One algorithm's tokens and keys, for all three contenders.
struct Fixture {
    alg: Algorithm,
    access: String,
    id: String,
    keys: KeySet,
    issuer: String,
    audience: String,
    client_id: String,
    decoding: DecodingKey,
    floor: Floor,
    /// Access tokens under [`ROTATION`] distinct headers (one `kid` each,
    /// all of one key), and the key set that names every `kid`.
    rotation: Vec<String>,
    rotation_keys: KeySet,
}

/// Distinct headers in turn: several `kid`s live at once, as during key
/// rotation or with a multi-key JWKS.
const ROTATION: usize = 20;

fn rotation_kid(i: usize) -> String {
    format!("rotation-{i:02}")
}

const HMAC_SECRET: [u8; 64] = [0x5a; 64];

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

fn fixture(alg: Algorithm) -> Fixture {
    if alg == Algorithm::HS256 {
        // The dev issuer keeps its HMAC secret to itself: sign with a known one.
        let dev = DevIssuer::new();
        let kid = "hmac-1";
        let sign = |typ: &str, claims: &serde_json::Map<String, Value>| {
            let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
            header.typ = Some(typ.into());
            header.kid = Some(kid.into());
            jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(&HMAC_SECRET).expect("key")).expect("sign")
        };
        let access = sign("at+jwt", dev.access_token().scope(SCOPE).claims());
        let mut id = dev.id_token().nonce(NONCE);
        for (k, v) in profile_claims() {
            id = id.claim(k, v);
        }
        let id = sign("JWT", id.claims());
        let mut rotation_keys = KeySet::new();
        let mut rotation = Vec::new();
        for i in 0..ROTATION {
            let kid = rotation_kid(i);
            rotation_keys = rotation_keys.with_hmac(Some(&kid), &HMAC_SECRET, alg).expect("hmac key");
            let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
            header.typ = Some("at+jwt".into());
            header.kid = Some(kid);
            let claims = dev.access_token().scope(SCOPE).claims().clone();
            let key = EncodingKey::from_secret(&HMAC_SECRET).expect("key");
            rotation.push(jsonwebtoken::encode(&header, &claims, &key).expect("sign"));
        }
        return Fixture {
            alg,
            access,
            id,
            keys: KeySet::new().with_hmac(Some(kid), &HMAC_SECRET, alg).expect("hmac key"),
            issuer: dev.issuer().into(),
            audience: dev.audience().into(),
            client_id: dev.client_id().into(),
            decoding: DecodingKey::from_secret(&HMAC_SECRET).expect("key"),
            floor: Floor::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, &HMAC_SECRET))),
            rotation,
            rotation_keys,
        };
    }
    let dev = DevIssuer::with_algorithm(alg);
    let access = dev.access_token().scope(SCOPE).sign();
    let mut id = dev.id_token().nonce(NONCE);
    for (k, v) in profile_claims() {
        id = id.claim(k, v);
    }
    let id = id.sign();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&dev.jwks()).expect("jwks");
    let decoding = DecodingKey::from_jwk(&jwks.keys[0]).expect("decoding key");
    let jwk: Value = serde_json::from_str::<Value>(&dev.jwks()).expect("jwks")["keys"][0].clone();
    let field = |name: &str| b64(jwk[name].as_str().expect("jwk member"));
    let floor = match alg {
        Algorithm::RS256 | Algorithm::PS256 => {
            let params = if alg == Algorithm::RS256 {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            };
            let (n, e) = (field("n"), field("e"));
            RsaPublicKeyComponents { n: &n[..], e: &e[..] }.to_parsed_public_key(params).expect("rsa key")
        }
        Algorithm::ES256 => {
            let mut point = vec![4u8];
            point.extend(field("x"));
            point.extend(field("y"));
            ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).expect("p-256 key")
        }
        Algorithm::EdDSA => ParsedPublicKey::new(&signature::ED25519, field("x")).expect("ed25519 key"),
        _ => unreachable!("benchmarked algorithms only"),
    };
    let rotation = (0..ROTATION).map(|i| dev.access_token().kid(Some(&rotation_kid(i))).scope(SCOPE).sign()).collect();
    let rotation_jwks: Vec<Value> = (0..ROTATION)
        .map(|i| {
            let mut k = jwk.clone();
            k["kid"] = rotation_kid(i).into();
            k
        })
        .collect();
    let rotation_keys = KeySet::from_jwks(&serde_json::json!({ "keys": rotation_jwks }).to_string()).expect("jwks");
    Fixture {
        alg,
        access,
        id,
        keys: dev.key_set(),
        issuer: dev.issuer().into(),
        audience: dev.audience().into(),
        client_id: dev.client_id().into(),
        decoding,
        floor: Floor::Public(floor),
        rotation,
        rotation_keys,
    }
}

fn to_jwt(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        _ => unreachable!("benchmarked algorithms only"),
    }
}

/// The checks tokenkind makes that jsonwebtoken can express: algorithm,
/// issuer, audience, `exp`/`nbf` with 60 s leeway, required claims.
fn validation(f: &Fixture, audience: &str, required: &[&str]) -> Validation {
    let mut v = Validation::new(to_jwt(f.alg));
    v.set_issuer(&[&f.issuer]);
    v.set_audience(&[audience]);
    v.leeway = 60;
    v.validate_nbf = true;
    v.required_spec_claims = required.iter().map(|s| (*s).to_owned()).collect::<HashSet<_>>();
    v
}

/// Splits a token into the signing input and the decoded signature.
fn signed_parts(token: &str) -> (&[u8], Vec<u8>) {
    let dot = token.rfind('.').expect("three segments");
    (&token.as_bytes()[..dot], b64(&token[dot + 1..]))
}

const ALGS: [(Algorithm, &str); 5] = [
    (Algorithm::RS256, "RS256"),
    (Algorithm::PS256, "PS256"),
    (Algorithm::ES256, "ES256"),
    (Algorithm::EdDSA, "EdDSA"),
    (Algorithm::HS256, "HS256"),
];

fn access_tokens(c: &mut Criterion) {
    for (alg, name) in ALGS {
        let f = fixture(alg);
        let verifier =
            AccessTokenVerifier::<Api>::builder(&f.issuer, &f.audience).keys(f.keys.clone()).build().unwrap();
        let validation = validation(&f, &f.audience, &["exp", "iat", "iss", "aud", "sub"]);
        let (message, sig) = signed_parts(&f.access);
        assert!(verifier.verify(&f.access).unwrap().has_scope(Api::Admin));
        jsonwebtoken::decode::<JwtAccessClaims>(&f.access, &f.decoding, &validation).unwrap();
        assert!(f.floor.verify(message, &sig));

        let mut g = c.benchmark_group(format!("access/{name}"));
        g.bench_function("tokenkind", |b| {
            b.iter(|| verifier.verify(black_box(&f.access)).map(|t| t.has_scope(Api::Admin)));
        });
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::decode::<JwtAccessClaims>(black_box(&f.access), &f.decoding, &validation).is_ok());
        });
        g.bench_function("floor", |b| b.iter(|| f.floor.verify(black_box(message), black_box(&sig))));
        let rotating = rotating_verifier(&f);
        let mut i = 0;
        g.bench_function("tokenkind, 20 headers in turn", |b| {
            b.iter(|| {
                i = (i + 1) % ROTATION;
                rotating.verify(black_box(&f.rotation[i])).is_ok()
            });
        });
        g.finish();
    }
}

/// A verifier of every `kid` of [`Fixture::rotation`], each header seen once.
fn rotating_verifier(f: &Fixture) -> AccessTokenVerifier<Api> {
    let verifier =
        AccessTokenVerifier::<Api>::builder(&f.issuer, &f.audience).keys(f.rotation_keys.clone()).build().unwrap();
    for t in &f.rotation {
        assert!(verifier.verify(t).unwrap().has_scope(Api::Admin));
    }
    verifier
}

fn id_tokens(c: &mut Criterion) {
    for (alg, name) in ALGS {
        let f = fixture(alg);
        let verifier =
            IdTokenVerifier::<Profile>::builder(&f.issuer, &f.client_id).keys(f.keys.clone()).build().unwrap();
        let validation = validation(&f, &f.client_id, &["exp", "iat", "iss", "aud", "sub"]);
        let (message, sig) = signed_parts(&f.id);
        assert_eq!(verifier.verify(&f.id, Nonce::Expected(NONCE)).unwrap().claims().name, "Alice Example");
        assert!(f.floor.verify(message, &sig));
        let jwt = |token: &str| {
            jsonwebtoken::decode::<JwtIdClaims>(token, &f.decoding, &validation).is_ok_and(|t| t.claims.nonce == NONCE)
        };
        assert!(jwt(&f.id));

        let mut g = c.benchmark_group(format!("id/{name}"));
        g.bench_function("tokenkind", |b| b.iter(|| verifier.verify(black_box(&f.id), Nonce::Expected(NONCE)).is_ok()));
        g.bench_function("jsonwebtoken", |b| b.iter(|| jwt(black_box(&f.id))));
        g.bench_function("floor", |b| b.iter(|| f.floor.verify(black_box(message), black_box(&sig))));
        g.finish();
    }
}

/// The non-crypto path, stage by stage (`tokenkind::verify::bench`).
fn stages(c: &mut Criterion) {
    use tokenkind::verify::bench;

    let f = fixture(Algorithm::ES256);
    let access = AccessTokenVerifier::<Api>::builder(&f.issuer, &f.audience).keys(f.keys.clone()).build().unwrap();
    let id = IdTokenVerifier::<Profile>::builder(&f.issuer, &f.client_id).keys(f.keys.clone()).build().unwrap();
    let payload = b64(f.access.split('.').nth(1).expect("payload"));
    // A JWKS of ten keys; the token's key is the last one.
    let issuers: Vec<DevIssuer> = (0..10).map(|_| DevIssuer::new()).collect();
    let keys: Vec<Value> =
        issuers.iter().map(|d| serde_json::from_str::<Value>(&d.jwks()).expect("jwks")["keys"][0].clone()).collect();
    let jwks = KeySet::from_jwks(&serde_json::json!({ "keys": keys }).to_string()).expect("jwks of ten keys");
    let kid = issuers[9].kid();
    assert!(
        bench::header(&f.access) && bench::payload(&payload) && bench::select_key(&jwks, Some(kid), Algorithm::ES256)
    );
    assert!(bench::access_claims(&access, &f.access) && bench::id_claims(&id, &f.id, NONCE));

    let mut g = c.benchmark_group("stages");
    g.bench_function("header: split, base64, JSON, alg", |b| b.iter(|| bench::header(black_box(&f.access))));
    g.bench_function("key lookup by kid, 10 keys", |b| {
        b.iter(|| bench::select_key(&jwks, Some(black_box(kid)), Algorithm::ES256));
    });
    g.bench_function("payload JSON into claim slots", |b| b.iter(|| bench::payload(black_box(&payload))));
    g.bench_function("access token, all but the signature", |b| {
        b.iter(|| bench::access_claims(&access, black_box(&f.access)));
    });
    g.bench_function("ID token (10 custom claims), all but the signature", |b| {
        b.iter(|| bench::id_claims(&id, black_box(&f.id), NONCE));
    });
    g.finish();
}

fn scopes(c: &mut Criterion) {
    let mut g = c.benchmark_group("scopes");
    g.bench_function("ScopeSet::parse (5 scopes)", |b| b.iter(|| ScopeSet::<Api>::parse(black_box(SCOPE))));
    let set = ScopeSet::<Api>::parse(SCOPE);
    g.bench_function("has_scope", |b| b.iter(|| black_box(set).contains(black_box(Api::DeleteMessages))));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = access_tokens, id_tokens, stages, scopes }

fn paired_ratios() {
    println!("\npaired ratios (median of alternating batches)");
    for (alg, name) in ALGS {
        let f = fixture(alg);
        let verifier =
            AccessTokenVerifier::<Api>::builder(&f.issuer, &f.audience).keys(f.keys.clone()).build().unwrap();
        let validation = validation(&f, &f.audience, &["exp", "iat", "iss", "aud", "sub"]);
        let (message, sig) = signed_parts(&f.access);
        let tokenkind = || verifier.verify(black_box(&f.access)).is_ok_and(|t| t.has_scope(Api::Admin));
        let floor = || f.floor.verify(black_box(message), black_box(&sig));
        let jwt = || jsonwebtoken::decode::<JwtAccessClaims>(black_box(&f.access), &f.decoding, &validation).is_ok();
        paired(&format!("access/{name}: tokenkind / floor"), tokenkind, floor);
        paired(&format!("access/{name}: tokenkind / jsonwebtoken"), tokenkind, jwt);
        paired(&format!("access/{name}: jsonwebtoken / floor"), jwt, floor);
        let rotating = rotating_verifier(&f);
        let parts: Vec<_> = f.rotation.iter().map(|t| signed_parts(t)).collect();
        let (mut i, mut j) = (0, 0);
        paired(
            &format!("access/{name}, 20 headers: tokenkind / floor"),
            || {
                i = (i + 1) % ROTATION;
                rotating.verify(black_box(&f.rotation[i])).is_ok()
            },
            || {
                j = (j + 1) % ROTATION;
                f.floor.verify(black_box(parts[j].0), black_box(&parts[j].1))
            },
        );
    }
    for (alg, name) in ALGS {
        let f = fixture(alg);
        let verifier =
            IdTokenVerifier::<Profile>::builder(&f.issuer, &f.client_id).keys(f.keys.clone()).build().unwrap();
        let validation = validation(&f, &f.client_id, &["exp", "iat", "iss", "aud", "sub"]);
        let (message, sig) = signed_parts(&f.id);
        let tokenkind = || verifier.verify(black_box(&f.id), Nonce::Expected(NONCE)).is_ok();
        let floor = || f.floor.verify(black_box(message), black_box(&sig));
        let jwt = || {
            jsonwebtoken::decode::<JwtIdClaims>(black_box(&f.id), &f.decoding, &validation)
                .is_ok_and(|t| t.claims.nonce == NONCE)
        };
        paired(&format!("id/{name}: tokenkind / floor"), tokenkind, floor);
        paired(&format!("id/{name}: tokenkind / jsonwebtoken"), tokenkind, jwt);
    }
}

/// Verifications counted per measurement under callgrind.
const COUNTED: u32 = 100;

/// The callgrind child for one algorithm: each measurement of
/// [`INSTRUCTION_ROWS`], in that order.
fn instructions_child(name: &str) {
    use callgrind::counted;

    let (alg, _) = ALGS.into_iter().find(|(_, n)| *n == name).expect("a benchmarked algorithm");
    let f = fixture(alg);
    let verifier = AccessTokenVerifier::<Api>::builder(&f.issuer, &f.audience).keys(f.keys.clone()).build().unwrap();
    let access_validation = validation(&f, &f.audience, &["exp", "iat", "iss", "aud", "sub"]);
    let (message, sig) = signed_parts(&f.access);
    counted(COUNTED, || verifier.verify(black_box(&f.access)).is_ok_and(|t| t.has_scope(Api::Admin)));
    counted(COUNTED, || {
        jsonwebtoken::decode::<JwtAccessClaims>(black_box(&f.access), &f.decoding, &access_validation).is_ok()
    });
    counted(COUNTED, || f.floor.verify(black_box(message), black_box(&sig)));
    let rotating = rotating_verifier(&f);
    let parts: Vec<_> = f.rotation.iter().map(|t| signed_parts(t)).collect();
    let mut i = 0;
    counted(COUNTED, || {
        i = (i + 1) % ROTATION;
        rotating.verify(black_box(&f.rotation[i])).is_ok()
    });
    counted(COUNTED, || {
        i = (i + 1) % ROTATION;
        f.floor.verify(black_box(parts[i].0), black_box(&parts[i].1))
    });

    let verifier = IdTokenVerifier::<Profile>::builder(&f.issuer, &f.client_id).keys(f.keys.clone()).build().unwrap();
    let validation = validation(&f, &f.client_id, &["exp", "iat", "iss", "aud", "sub"]);
    let (message, sig) = signed_parts(&f.id);
    counted(COUNTED, || verifier.verify(black_box(&f.id), Nonce::Expected(NONCE)).is_ok());
    counted(COUNTED, || {
        jsonwebtoken::decode::<JwtIdClaims>(black_box(&f.id), &f.decoding, &validation)
            .is_ok_and(|t| t.claims.nonce == NONCE)
    });
    counted(COUNTED, || f.floor.verify(black_box(message), black_box(&sig)));
}

/// What [`instructions_child`] measures, in order.
const INSTRUCTION_ROWS: [&str; 8] = [
    "access: tokenkind",
    "access: jsonwebtoken",
    "access: floor",
    "access, 20 headers in turn: tokenkind",
    "access, 20 headers in turn: floor",
    "id: tokenkind",
    "id: jsonwebtoken",
    "id: floor",
];

/// Instructions per verification, each algorithm in a callgrind child.
fn instruction_counts() {
    if !callgrind::available() {
        println!("\ninstruction counts: skipped (valgrind is not on PATH)");
        return;
    }
    println!("\ninstructions per verification (callgrind, {COUNTED} verifications counted after 3 uncounted)");
    println!(
        "{:<8} {:<8} {:>10} {:>12} {:>10} {:>10} {:>10}",
        "alg", "token", "tokenkind", "jsonwebtoken", "floor", "tk/floor", "jwt/floor"
    );
    for (_, name) in ALGS {
        let counts = callgrind::run(name, &[]);
        assert_eq!(counts.len(), INSTRUCTION_ROWS.len(), "one count per measurement");
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let per = |i: usize| counts[i] as f64 / f64::from(COUNTED);
        let row = |token: &str, tk: f64, jwt: Option<f64>, floor: f64| {
            let jwt_cell = jwt.map_or_else(|| "-".to_owned(), |j| format!("{j:.0}"));
            let jwt_ratio = jwt.map_or_else(|| "-".to_owned(), |j| format!("{:.3}", j / floor));
            println!(
                "{name:<8} {token:<8} {tk:>10.0} {jwt_cell:>12} {floor:>10.0} {:>10.3} {jwt_ratio:>10}",
                tk / floor
            );
        };
        row("access", per(0), Some(per(1)), per(2));
        row("rotating", per(3), None, per(4));
        row("id", per(5), Some(per(6)), per(7));
        println!("{name:<8} {:<8} {:>10.0} (tokenkind over the floor, access token)", "added", per(0) - per(2));
        println!("{name:<8} {:<8} {:>10.0} (tokenkind over the floor, ID token)", "added", per(5) - per(7));
    }
}

fn main() {
    if let Some(group) = callgrind::child_group() {
        instructions_child(&group);
        return;
    }
    // `cargo bench --bench verify -- <filter>`: the paired ratios and the
    // instruction counts run with no filter, or alone with the filter
    // `paired` or `instructions`.
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
