//! What each fuzz target runs, shared with the stable test that replays the
//! checked-in corpus (`tests/properties_fuzz_corpus.rs`). Keys are fixed so
//! that seeds signed with them stay valid: an HMAC secret (`kid` "hs"), and
//! the public keys of RFC 8037 A.1 (Ed25519, "ed") and RFC 7515 A.3 (P-256, "ec").
//!
//! Each function must never panic on any input; the `assert!`s are oracles:
//! what an accepted token must satisfy.
#![forbid(unsafe_code)]
#![allow(dead_code)] // each fuzz target uses one entry point

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokenkind::http::parse_authorization;
use tokenkind::{
    AccessClaims, AccessTokenVerifier, Algorithm, IdTokenVerifier, KeySet, NoClaims, Nonce, Profile, Scopes,
};

/// The issuer, API and client of every verifier here.
pub(crate) const ISS: &str = "https://issuer.example";
pub(crate) const API: &str = "https://api.example";
pub(crate) const CLIENT: &str = "client-1";
/// The verifiers' clock.
pub(crate) const NOW: i64 = 1_800_000_000;
/// The HMAC secret the seeds are signed with.
pub(crate) const SECRET: [u8; 32] = [0x42; 32];

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Api {
    #[scope("read:messages")]
    Read,
    #[scope("write:messages")]
    Write,
}

/// Custom claims with typed fields and a validation hook.
#[derive(AccessClaims, serde::Deserialize, Debug)]
#[claims(validate = Custom::check)]
pub(crate) struct Custom {
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    seats: Option<u32>,
    #[serde(default)]
    groups: Vec<String>,
}

impl Custom {
    fn check(&self) -> Result<(), &'static str> {
        match &self.tenant {
            Some(t) if t.is_empty() => Err("empty tenant"),
            _ => Ok(()),
        }
    }
}

const JWKS: &str = r#"{"keys":[
 {"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
 {"kty":"EC","crv":"P-256","kid":"ec","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

struct Verifiers {
    apis: Vec<AccessTokenVerifier<Api>>,
    custom: AccessTokenVerifier<Api, Custom>,
    login: IdTokenVerifier<NoClaims>,
    strict_login: IdTokenVerifier<NoClaims>,
    sample: String,
}

fn keys() -> KeySet {
    KeySet::from_jwks(JWKS).and_then(|k| k.with_hmac(Some("hs"), &SECRET, Algorithm::HS256)).expect("fixed keys load")
}

fn verifiers() -> &'static Verifiers {
    static V: OnceLock<Verifiers> = OnceLock::new();
    V.get_or_init(|| {
        let keys = keys();
        let apis = [Profile::Rfc9068, Profile::Auth0, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito]
            .into_iter()
            .map(|p| {
                let audience = if p == Profile::Cognito { CLIENT } else { API };
                AccessTokenVerifier::<Api>::builder(ISS, audience)
                    .keys(keys.clone())
                    .profile(p)
                    .clock(|| NOW)
                    .build()
                    .expect("valid configuration")
            })
            .collect();
        let custom =
            AccessTokenVerifier::<Api, Custom>::builder(ISS, API).keys(keys.clone()).clock(|| NOW).build().expect("valid");
        let login = IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT).keys(keys.clone()).clock(|| NOW).build().expect("valid");
        let strict_login = IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT)
            .keys(keys)
            .trusted_audiences(["https://partner.example"])
            .max_age(Duration::from_secs(600))
            .leeway(Duration::ZERO)
            .clock(|| NOW)
            .build()
            .expect("valid");
        let sample = sign(
            br#"{"alg":"HS256","typ":"at+jwt","kid":"hs"}"#,
            br#"{"iss":"https://issuer.example","sub":"u","aud":"https://api.example","client_id":"c","jti":"j","iat":1800000000,"exp":1800000300}"#,
        );
        Verifiers { apis, custom, login, strict_login, sample }
    })
}

/// `b64(header).b64(payload).b64(HS256 tag)` with [`SECRET`].
pub(crate) fn sign(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let tag =
        aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &SECRET), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Every verifier on one token; an accepted token must meet the rules.
fn verify_str(token: &str) {
    let v = verifiers();
    for api in &v.apis {
        if let Ok(t) = api.verify(token) {
            assert_eq!(t.issuer(), ISS);
            assert!(t.expires_at().saturating_add(60) > NOW, "accepted an expired token");
            assert!(t.issued_at() <= NOW + 60, "accepted a token issued in the future");
            let _ = (t.subject(), t.client_id(), t.scopes().len(), t.has_scope(Api::Write));
        }
    }
    if let Ok(t) = v.custom.verify(token) {
        assert!(t.claims().tenant.as_deref() != Some(""), "the validation hook was skipped");
        let _ = (t.claims().seats, t.claims().groups.len());
    }
    for login in [&v.login, &v.strict_login] {
        for nonce in [Nonce::NotRequested, Nonce::Expected("n-1")] {
            if let Ok(t) = login.verify(token, nonce) {
                assert_eq!(t.issuer(), ISS);
                assert!(t.audience().iter().any(|a| a == CLIENT), "accepted an ID token for another client");
                if let Nonce::Expected(n) = nonce {
                    assert_eq!(t.nonce(), Some(n));
                }
                let _ = t.verify_access_token_hash(token);
            }
        }
    }
}

/// Target `token`: any bytes as a token.
pub(crate) fn verify_token(data: &[u8]) {
    verify_str(&String::from_utf8_lossy(data));
}

/// Target `signed_claims`: `header JSON \n payload JSON`, signed here with the
/// fixed HMAC secret, so every mutation reaches the claim checks. Without a
/// newline, the whole input is the payload under a standard header.
pub(crate) fn verify_signed(data: &[u8]) {
    let (header, payload) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&br#"{"alg":"HS256","typ":"at+jwt","kid":"hs"}"#[..], data),
    };
    verify_str(&sign(header, payload));
}

/// Target `jwks`: any bytes as a JWKS document and as a PEM key; a loaded
/// key set is then used to verify a token.
pub(crate) fn load_keys(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let loaded = [KeySet::from_jwks(&text), KeySet::new().with_pem(Some("hs"), &text, &[])];
    for keys in loaded.into_iter().flatten() {
        assert!(!keys.is_empty());
        let _ = (keys.algorithms(Some("hs")), keys.skipped().len(), format!("{keys:?}"));
        if let Ok(v) = AccessTokenVerifier::<Api>::builder(ISS, API).keys(keys).clock(|| NOW).build() {
            // Signed with the HMAC secret, which no JWKS or PEM key can stand for.
            assert!(v.verify(&verifiers().sample).is_err(), "a loaded public key verified an HMAC token");
        }
    }
}

/// Target `bearer`: any bytes as an `Authorization` header value; a token read
/// from it is verified.
pub(crate) fn read_bearer(data: &[u8]) {
    if let Ok(token) = parse_authorization(data) {
        assert!(!token.is_empty() && token.is_ascii() && !token.contains(' '));
        verify_str(token);
    }
}

/// The DPoP pipeline of target `dpop`: one key, one token bound to it.
struct Dpop {
    server: tokenkind::http::ResourceServer<Api>,
    key: tokenkind::dev::DpopKey,
    token: String,
}

fn dpop() -> &'static Dpop {
    static D: OnceLock<Dpop> = OnceLock::new();
    D.get_or_init(|| {
        let dev = tokenkind::dev::DevIssuer::new();
        let key = tokenkind::dev::DpopKey::new();
        let token = dev.access_token().scope("read:messages").expires_in(86_400).dpop_bound(&key).sign();
        let server = tokenkind::http::ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
            .dpop(tokenkind::http::DpopPolicy::allowed())
            .public_origin(API)
            .build()
            .unwrap();
        Dpop { server, key, token }
    })
}

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

/// Target `dpop`: the first byte picks what the rest is. `0`: the `DPoP`
/// header of a request with the bound token; else a JSON object of claims
/// laid over a valid proof's, signed with the bound key, whose header the
/// second byte varies. Nothing panics; an accepted proof is bound.
pub(crate) fn check_dpop(data: &[u8]) {
    let d = dpop();
    let Some((&mode, rest)) = data.split_first() else { return };
    let authorization = format!("DPoP {}", d.token);
    let proof = if mode == 0 {
        rest.to_vec()
    } else {
        let Ok(serde_json::Value::Object(claims)) =
            serde_json::from_slice::<serde_json::Value>(rest.get(1..).unwrap_or_default())
        else {
            return;
        };
        let mut builder = d.key.proof("GET", &format!("{API}/api/messages")).access_token(&d.token);
        for (name, value) in claims {
            builder = builder.claim(&name, value);
        }
        builder = match rest.first().copied().unwrap_or(0) % 4 {
            0 => builder,
            1 => builder.header("typ", "JWT"),
            2 => builder.header("alg", "ES384"),
            _ => builder.without_header("jwk"),
        };
        builder.sign().into_bytes()
    };
    let request = tokenkind::http::HttpRequest::new("GET", "/api/messages")
        .header("authorization", authorization.as_bytes())
        .header("dpop", &proof);
    match ready(d.server.authenticate(&request)) {
        Ok(token) => assert!(token.binding().is_sender_constrained()),
        Err(rejection) => assert!(matches!(rejection.status(), 401 | 400 | 503), "{rejection:?}"),
    }
}
