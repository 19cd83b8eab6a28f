//! DPoP on the resource server (RFC 9449): every rule of §4.3 and §7, one
//! named test per hostile case, each asserting the exact refusal, through
//! the framework-free pipeline; then the same answers over HTTP from axum
//! and actix-web.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Api, NOW, b64};
use serde_json::json;
use tokenkind::dev::{DevIssuer, DpopKey, ProofBuilder};
use tokenkind::http::{
    DpopError, DpopNonceKey, DpopPolicy, HttpRequest, MemoryReplayStore, Rejection, ReplayFuture, ReplayKey,
    ReplayStore, ReplayStoreError, ResourceServer,
};
use tokenkind::{AccessToken, Binding, Error, ErrorCode};

const ORIGIN: &str = "https://api.example";
const URL: &str = "https://api.example/api/messages";
const TARGET: &str = "/api/messages";

struct Fixture {
    dev: DevIssuer,
    key: DpopKey,
    server: ResourceServer<Api>,
}

fn fixture(policy: DpopPolicy) -> Fixture {
    let dev = DevIssuer::new();
    let verifier = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    let server = ResourceServer::builder(verifier).dpop(policy).public_origin(ORIGIN).build().unwrap();
    Fixture { dev, key: DpopKey::new(), server }
}

fn allowed() -> Fixture {
    fixture(DpopPolicy::allowed())
}

impl Fixture {
    fn token(&self) -> String {
        self.dev.access_token().issued_at(NOW).scope("read:messages").dpop_bound(&self.key).sign()
    }

    /// A valid proof for `token` on `GET URL`, issued at NOW.
    fn proof(&self, token: &str) -> ProofBuilder<'_> {
        self.key.proof("GET", URL).issued_at(NOW).access_token(token)
    }

    async fn call(&self, authorization: &str, proofs: &[&str]) -> Result<AccessToken<Api>, Rejection> {
        self.call_as("GET", TARGET, authorization, proofs).await
    }

    async fn call_as(
        &self,
        method: &str,
        target: &str,
        authorization: &str,
        proofs: &[&str],
    ) -> Result<AccessToken<Api>, Rejection> {
        let request = proofs
            .iter()
            .fold(HttpRequest::new(method, target).header("authorization", authorization.as_bytes()), |r, p| {
                r.header("DPoP", p.as_bytes())
            });
        self.server.authenticate(&request).await
    }

    /// The refusal of a request with a valid token and `proof`.
    async fn refusal(&self, token: &str, proof: &str) -> Rejection {
        self.call(&format!("DPoP {token}"), &[proof]).await.unwrap_err()
    }
}

/// The DPoP problem of a 401 `invalid_dpop_proof` refusal.
fn proof_error(r: &Rejection) -> DpopError {
    assert_eq!(r.status(), 401, "{r:?}");
    let e = r.proof_error().unwrap_or_else(|| panic!("not a proof error: {r:?}"));
    let code = if e == DpopError::UseNonce { ErrorCode::UseDpopNonce } else { ErrorCode::InvalidDpopProof };
    assert_eq!(r.error_code(), Some(code));
    e
}

async fn refused_with(f: &Fixture, proof: ProofBuilder<'_>, token: &str) -> DpopError {
    proof_error(&f.refusal(token, &proof.sign()).await)
}

// ---- accepted ----

#[tokio::test]
async fn a_bound_token_with_its_proof_is_accepted() {
    let f = allowed();
    let token = f.token();
    let t = f.call(&format!("DPoP {token}"), &[&f.proof(&token).sign()]).await.unwrap();
    assert_eq!(t.binding(), &Binding::Dpop { jkt: f.key.thumbprint().into() });
    assert!(t.has_scope(Api::ReadMessages));
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let t = f.call(&format!("dpop {token}"), &[&f.proof(&token).sign()]).await.unwrap();
    assert!(t.binding().is_sender_constrained());
}

#[tokio::test]
async fn bearer_tokens_still_pass_when_dpop_is_allowed() {
    let f = allowed();
    let bearer = f.dev.access_token().issued_at(NOW).sign();
    assert_eq!(f.call(&format!("Bearer {bearer}"), &[]).await.unwrap().binding(), &Binding::Bearer);
}

// ---- the DPoP header ----

#[tokio::test]
async fn proof_missing() {
    let f = allowed();
    let r = f.call(&format!("DPoP {}", f.token()), &[]).await.unwrap_err();
    assert_eq!(proof_error(&r), DpopError::Missing);
}

#[tokio::test]
async fn proof_header_empty() {
    let f = allowed();
    let r = f.call(&format!("DPoP {}", f.token()), &[""]).await.unwrap_err();
    assert_eq!(proof_error(&r), DpopError::NotExactlyOne);
}

#[tokio::test]
async fn two_proof_headers() {
    let f = allowed();
    let token = f.token();
    let (a, b) = (f.proof(&token).sign(), f.proof(&token).sign());
    let r = f.call(&format!("DPoP {token}"), &[&a, &b]).await.unwrap_err();
    assert_eq!(proof_error(&r), DpopError::NotExactlyOne);
}

// ---- the proof's structure and header ----

#[tokio::test]
async fn proof_not_a_jwt() {
    let f = allowed();
    assert_eq!(proof_error(&f.refusal(&f.token(), "not-a-jwt").await), DpopError::Malformed);
}

#[tokio::test]
async fn proof_with_four_segments() {
    let f = allowed();
    let token = f.token();
    let proof = format!("{}.x", f.proof(&token).sign());
    assert_eq!(proof_error(&f.refusal(&token, &proof).await), DpopError::Malformed);
}

#[tokio::test]
async fn proof_oversized() {
    let f = allowed();
    let token = f.token();
    let proof = f.proof(&token).claim("pad", "x".repeat(10_000)).sign();
    assert_eq!(proof_error(&f.refusal(&token, &proof).await), DpopError::Malformed);
}

#[tokio::test]
async fn typ_missing() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without_header("typ"), &token).await, DpopError::WrongType);
}

#[tokio::test]
async fn typ_jwt() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).header("typ", "JWT"), &token).await, DpopError::WrongType);
}

#[tokio::test]
async fn typ_at_jwt() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).header("typ", "at+jwt"), &token).await, DpopError::WrongType);
}

#[tokio::test]
async fn alg_none() {
    let f = allowed();
    let token = f.token();
    let unsigned = {
        let signed = f.proof(&token).header("alg", "none").sign();
        let mut parts = signed.rsplitn(2, '.');
        let _signature = parts.next();
        format!("{}.", parts.next().unwrap())
    };
    assert_eq!(proof_error(&f.refusal(&token, &unsigned).await), DpopError::DisallowedAlgorithm);
    assert_eq!(refused_with(&f, f.proof(&token).header("alg", "none"), &token).await, DpopError::DisallowedAlgorithm);
}

#[tokio::test]
async fn alg_hs256() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).header("alg", "HS256"), &token).await, DpopError::DisallowedAlgorithm);
}

#[tokio::test]
async fn alg_outside_the_policy() {
    let f = fixture(DpopPolicy::allowed().algorithms(&[tokenkind::Algorithm::EdDSA]));
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token), &token).await, DpopError::DisallowedAlgorithm);
}

#[tokio::test]
async fn alg_not_matching_the_jwk() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).header("alg", "ES384"), &token).await, DpopError::InvalidKey);
    assert_eq!(refused_with(&f, f.proof(&token).header("alg", "RS256"), &token).await, DpopError::InvalidKey);
}

#[tokio::test]
async fn jwk_missing() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without_header("jwk"), &token).await, DpopError::InvalidKey);
}

#[tokio::test]
async fn jwk_with_private_members() {
    let f = allowed();
    let token = f.token();
    let mut jwk = f.key.jwk().clone();
    jwk["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
    assert_eq!(refused_with(&f, f.proof(&token).header("jwk", jwk), &token).await, DpopError::PrivateKey);
}

#[tokio::test]
async fn jwk_of_an_unsupported_type() {
    let f = allowed();
    let token = f.token();
    let jwk = json!({"kty": "EC", "crv": "secp256k1", "x": f.key.jwk()["x"], "y": f.key.jwk()["y"]});
    assert_eq!(refused_with(&f, f.proof(&token).header("jwk", jwk), &token).await, DpopError::InvalidKey);
    let jwk = json!({"kty": "oct"});
    assert_eq!(refused_with(&f, f.proof(&token).header("jwk", jwk), &token).await, DpopError::InvalidKey);
}

#[tokio::test]
async fn jwk_with_a_kid_only() {
    let f = allowed();
    let token = f.token();
    assert_eq!(
        refused_with(&f, f.proof(&token).header("jwk", json!({"kid": "k1"})), &token).await,
        DpopError::InvalidKey
    );
    assert_eq!(refused_with(&f, f.proof(&token).header("jwk", "k1"), &token).await, DpopError::InvalidKey);
}

#[tokio::test]
async fn jwk_of_another_key_than_the_signature() {
    let f = allowed();
    let token = f.token();
    let other = DpopKey::new();
    assert_eq!(
        refused_with(&f, f.proof(&token).header("jwk", other.jwk().clone()), &token).await,
        DpopError::BadSignature
    );
}

#[tokio::test]
async fn bad_signature() {
    let f = allowed();
    let token = f.token();
    let proof = f.proof(&token).sign();
    let (input, _) = proof.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", b64(&[7u8; 64]));
    assert_eq!(proof_error(&f.refusal(&token, &forged).await), DpopError::BadSignature);
    // A payload swapped under a valid signature.
    let other = f.proof(&token).claim("htm", "POST").sign();
    let mut parts: Vec<&str> = proof.split('.').collect();
    parts[1] = other.split('.').nth(1).unwrap();
    assert_eq!(proof_error(&f.refusal(&token, &parts.join(".")).await), DpopError::BadSignature);
}

// ---- htm ----

#[tokio::test]
async fn htm_of_another_method() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).claim("htm", "POST"), &token).await, DpopError::WrongMethod);
}

#[tokio::test]
async fn htm_in_another_case() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).claim("htm", "get"), &token).await, DpopError::WrongMethod);
}

#[tokio::test]
async fn htm_missing_or_not_a_string() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without("htm"), &token).await, DpopError::MissingClaim("htm"));
    assert_eq!(refused_with(&f, f.proof(&token).claim("htm", 1), &token).await, DpopError::MalformedClaim("htm"));
}

// ---- htu ----

async fn htu_refusal(htu: &str) -> DpopError {
    let f = allowed();
    let token = f.token();
    refused_with(&f, f.proof(&token).claim("htu", htu), &token).await
}

async fn htu_accepted(htu: &str) {
    let f = allowed();
    let token = f.token();
    let proof = f.proof(&token).claim("htu", htu).sign();
    assert!(f.call(&format!("DPoP {token}"), &[&proof]).await.is_ok(), "{htu}");
}

#[tokio::test]
async fn htu_of_another_scheme() {
    assert_eq!(htu_refusal("http://api.example/api/messages").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_of_another_host() {
    assert_eq!(htu_refusal("https://evil.example/api/messages").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_of_another_port() {
    assert_eq!(htu_refusal("https://api.example:8443/api/messages").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_of_another_path() {
    assert_eq!(htu_refusal("https://api.example/api/admin").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_with_a_trailing_slash() {
    assert_eq!(htu_refusal("https://api.example/api/messages/").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_with_an_encoded_reserved_character() {
    assert_eq!(htu_refusal("https://api.example/api%2Fmessages").await, DpopError::WrongUri);
}

#[tokio::test]
async fn htu_not_a_uri() {
    assert_eq!(htu_refusal("/api/messages").await, DpopError::MalformedClaim("htu"));
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without("htu"), &token).await, DpopError::MissingClaim("htu"));
}

#[tokio::test]
async fn htu_query_and_fragment_are_ignored() {
    htu_accepted("https://api.example/api/messages?page=2#top").await;
}

#[tokio::test]
async fn htu_is_compared_after_normalisation() {
    htu_accepted("HTTPS://API.Example:443/api/messages").await;
    htu_accepted("https://api.example/api/%6Dessages").await;
    htu_accepted("https://api.example/api/m%65ssages").await;
}

#[tokio::test]
async fn htu_against_the_request_host_without_a_public_origin() {
    let dev = DevIssuer::new();
    let key = DpopKey::new();
    let verifier = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    let server = ResourceServer::builder(verifier).dpop(DpopPolicy::allowed()).build().unwrap();
    let token = dev.access_token().issued_at(NOW).dpop_bound(&key).sign();
    let auth = format!("DPoP {token}");
    let proof = key.proof("GET", "http://127.0.0.1:3000/api/messages").issued_at(NOW).access_token(&token).sign();
    let request = |host| {
        HttpRequest::new("GET", TARGET)
            .authority("http", host)
            .header("authorization", auth.as_bytes())
            .header("dpop", proof.as_bytes())
    };
    assert!(server.authenticate(&request("127.0.0.1:3000")).await.is_ok());
    let r = server.authenticate(&request("127.0.0.1:3001")).await.unwrap_err();
    assert_eq!(proof_error(&r), DpopError::WrongUri);
    // No way to know the URI: never accepted.
    let request =
        HttpRequest::new("GET", TARGET).header("authorization", auth.as_bytes()).header("dpop", proof.as_bytes());
    assert_eq!(proof_error(&server.authenticate(&request).await.unwrap_err()), DpopError::WrongUri);
}

// ---- iat, jti ----

#[tokio::test]
async fn iat_far_in_the_past() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).issued_at(NOW - 301), &token).await, DpopError::TooOld);
    assert!(f.call(&format!("DPoP {token}"), &[&f.proof(&token).issued_at(NOW - 300).sign()]).await.is_ok());
}

#[tokio::test]
async fn iat_far_in_the_future() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).issued_at(NOW + 61), &token).await, DpopError::InFuture);
    assert!(f.call(&format!("DPoP {token}"), &[&f.proof(&token).issued_at(NOW + 60).sign()]).await.is_ok());
}

#[tokio::test]
async fn iat_a_string() {
    let f = allowed();
    let token = f.token();
    let proof = f.proof(&token).claim("iat", NOW.to_string());
    assert_eq!(refused_with(&f, proof, &token).await, DpopError::MalformedClaim("iat"));
    assert_eq!(refused_with(&f, f.proof(&token).without("iat"), &token).await, DpopError::MissingClaim("iat"));
}

#[tokio::test]
async fn iat_window_is_configurable() {
    let f = fixture(DpopPolicy::allowed().proof_max_age(Duration::from_secs(10)).proof_max_future(Duration::ZERO));
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).issued_at(NOW - 11), &token).await, DpopError::TooOld);
    assert_eq!(refused_with(&f, f.proof(&token).issued_at(NOW + 1), &token).await, DpopError::InFuture);
}

#[tokio::test]
async fn jti_missing() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without("jti"), &token).await, DpopError::MissingClaim("jti"));
    assert_eq!(refused_with(&f, f.proof(&token).claim("jti", ""), &token).await, DpopError::MalformedClaim("jti"));
    assert_eq!(refused_with(&f, f.proof(&token).claim("jti", 5), &token).await, DpopError::MalformedClaim("jti"));
}

#[tokio::test]
async fn jti_reused() {
    let f = allowed();
    let token = f.token();
    let proof = f.proof(&token).sign();
    assert!(f.call(&format!("DPoP {token}"), &[&proof]).await.is_ok());
    assert_eq!(proof_error(&f.refusal(&token, &proof).await), DpopError::Replayed);
    // The same jti in a new proof is a replay too.
    let again = f.proof(&token).claim("jti", "fixed").sign();
    assert!(f.call(&format!("DPoP {token}"), &[&again]).await.is_ok());
    let renewed = f.proof(&token).claim("jti", "fixed").claim("extra", 1).sign();
    assert_eq!(proof_error(&f.refusal(&token, &renewed).await), DpopError::Replayed);
}

// ---- ath, cnf.jkt ----

#[tokio::test]
async fn ath_missing() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).without("ath"), &token).await, DpopError::MissingClaim("ath"));
}

#[tokio::test]
async fn ath_wrong() {
    let f = allowed();
    let token = f.token();
    assert_eq!(refused_with(&f, f.proof(&token).claim("ath", "AAAA"), &token).await, DpopError::WrongAccessToken);
}

#[tokio::test]
async fn ath_of_another_token() {
    let f = allowed();
    let token = f.token();
    let other = f.token();
    assert_eq!(refused_with(&f, f.proof(&other), &token).await, DpopError::WrongAccessToken);
}

#[tokio::test]
async fn cnf_jkt_of_another_key() {
    let f = allowed();
    let other = DpopKey::new();
    let token = f.dev.access_token().issued_at(NOW).dpop_bound(&other).sign();
    assert_eq!(refused_with(&f, f.proof(&token), &token).await, DpopError::WrongKey);
}

#[tokio::test]
async fn token_without_cnf_under_the_dpop_scheme() {
    let f = allowed();
    let token = f.dev.access_token().issued_at(NOW).sign();
    let r = f.refusal(&token, &f.proof(&token).sign()).await;
    assert_eq!((r.status(), r.token_error()), (401, Some(&Error::NotDpopBound)));
    assert_eq!(r.error_code(), Some(ErrorCode::InvalidToken));
}

#[tokio::test]
async fn certificate_bound_token_under_the_dpop_scheme() {
    let f = allowed();
    let token = f
        .dev
        .access_token()
        .issued_at(NOW)
        .claim("cnf", json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}))
        .sign();
    let r = f.refusal(&token, &f.proof(&token).sign()).await;
    assert_eq!(r.token_error(), Some(&Error::NotDpopBound));
}

#[tokio::test]
async fn malformed_cnf_under_the_dpop_scheme() {
    let f = allowed();
    for cnf in [
        json!({"jkt": 5}),
        json!({"jkt": "short"}),
        json!({}),
        json!("x"),
        json!({"jkt": f.key.thumbprint(), "kid": "k"}),
    ] {
        let token = f.dev.access_token().issued_at(NOW).claim("cnf", cnf.clone()).sign();
        let r = f.refusal(&token, &f.proof(&token).sign()).await;
        assert!(matches!(r.token_error(), Some(Error::MalformedClaim { claim: "cnf", .. })), "{cnf}: {r:?}");
    }
}

#[tokio::test]
async fn bound_token_sent_as_bearer() {
    let f = allowed();
    let token = f.token();
    let r = f.call(&format!("Bearer {token}"), &[&f.proof(&token).sign()]).await.unwrap_err();
    assert_eq!((r.status(), r.token_error()), (401, Some(&Error::SenderConstrained)));
}

#[tokio::test]
async fn a_valid_proof_for_another_request_token() {
    let f = allowed();
    let (a, b) = (f.token(), f.token());
    let proof_for_a = f.proof(&a).sign();
    assert_eq!(proof_error(&f.refusal(&b, &proof_for_a).await), DpopError::WrongAccessToken);
}

// ---- DPoP required ----

#[tokio::test]
async fn bearer_when_dpop_is_required() {
    let f = fixture(DpopPolicy::required());
    let bearer = f.dev.access_token().issued_at(NOW).sign();
    let r = f.call(&format!("Bearer {bearer}"), &[]).await.unwrap_err();
    assert_eq!((r.status(), r.error_code()), (401, None));
    assert_eq!(
        r.headers(),
        [("WWW-Authenticate", "DPoP realm=\"https://api.example\", algs=\"ES256 ES384 EdDSA PS256 RS256\"".to_owned())]
    );
    let token = f.token();
    assert!(f.call(&format!("DPoP {token}"), &[&f.proof(&token).sign()]).await.is_ok());
}

// ---- nonces ----

fn with_nonces(key: &DpopNonceKey) -> Fixture {
    fixture(DpopPolicy::allowed().nonces(key.clone()))
}

fn dpop_nonce(r: &Rejection) -> String {
    let from_headers = r.headers().into_iter().find(|(n, _)| *n == "DPoP-Nonce").map(|(_, v)| v);
    assert_eq!(from_headers.as_deref(), r.dpop_nonce());
    from_headers.unwrap_or_else(|| panic!("no DPoP-Nonce: {r:?}"))
}

#[tokio::test]
async fn nonce_round_trip() {
    let key = DpopNonceKey::generate().unwrap();
    let f = with_nonces(&key);
    let token = f.token();
    let first = f.refusal(&token, &f.proof(&token).sign()).await;
    assert_eq!(proof_error(&first), DpopError::UseNonce);
    let nonce = dpop_nonce(&first);
    let proof = f.proof(&token).nonce(&nonce).sign();
    assert!(f.call(&format!("DPoP {token}"), &[&proof]).await.is_ok());
}

#[tokio::test]
async fn nonce_missing() {
    let f = with_nonces(&DpopNonceKey::generate().unwrap());
    let token = f.token();
    let r = f.refusal(&token, &f.proof(&token).sign()).await;
    assert_eq!(proof_error(&r), DpopError::UseNonce);
    let challenge = r.www_authenticate().unwrap();
    assert!(challenge.starts_with("DPoP realm=\"https://api.example\", error=\"use_dpop_nonce\""), "{challenge}");
}

#[tokio::test]
async fn nonce_expired() {
    let key = DpopNonceKey::generate().unwrap();
    let f = with_nonces(&key);
    let token = f.token();
    // A nonce from another server of the same key, issued long ago.
    let old = {
        let past = ResourceServer::builder(f.dev.access_token_verifier::<Api>().clock(|| NOW - 301).build().unwrap())
            .dpop(DpopPolicy::allowed().nonces(key.clone()))
            .public_origin(ORIGIN)
            .build()
            .unwrap();
        let (auth, proof) =
            (format!("DPoP {token}"), f.key.proof("GET", URL).issued_at(NOW - 301).access_token(&token).sign());
        let request =
            HttpRequest::new("GET", TARGET).header("authorization", auth.as_bytes()).header("dpop", proof.as_bytes());
        dpop_nonce(&past.authenticate(&request).await.unwrap_err())
    };
    assert_eq!(refused_with(&f, f.proof(&token).nonce(&old), &token).await, DpopError::UseNonce);
}

#[tokio::test]
async fn nonce_forged() {
    let f = with_nonces(&DpopNonceKey::generate().unwrap());
    let token = f.token();
    let forged = b64(&[1u8; 36]);
    assert_eq!(refused_with(&f, f.proof(&token).nonce(&forged), &token).await, DpopError::UseNonce);
    assert_eq!(refused_with(&f, f.proof(&token).claim("nonce", 5), &token).await, DpopError::UseNonce);
}

#[tokio::test]
async fn nonce_from_another_key() {
    let f = with_nonces(&DpopNonceKey::generate().unwrap());
    let other = with_nonces(&DpopNonceKey::generate().unwrap());
    let token = f.token();
    let other_token = other.token();
    let foreign = dpop_nonce(&other.refusal(&other_token, &other.proof(&other_token).sign()).await);
    assert_eq!(refused_with(&f, f.proof(&token).nonce(&foreign), &token).await, DpopError::UseNonce);
}

#[tokio::test]
async fn nonces_are_shared_by_instances_with_the_same_key() {
    let key = DpopNonceKey::from_bytes([42; 32]).unwrap();
    let (a, b) = (with_nonces(&key), with_nonces(&DpopNonceKey::from_bytes([42; 32]).unwrap()));
    let token = b.token();
    let a_token = a.token();
    let nonce = dpop_nonce(&a.refusal(&a_token, &a.proof(&a_token).sign()).await);
    assert!(b.call(&format!("DPoP {token}"), &[&b.proof(&token).nonce(&nonce).sign()]).await.is_ok());
}

// ---- the replay store ----

#[tokio::test]
async fn a_full_replay_store_answers_503() {
    let f = fixture(DpopPolicy::allowed().replay_store(MemoryReplayStore::with_capacity(16)));
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let token = f.token();
        match f.call(&format!("DPoP {token}"), &[&f.proof(&token).sign()]).await {
            Ok(_) => statuses.push(200),
            Err(r) => {
                assert_eq!(r.headers(), [("Retry-After", "5".to_owned())]);
                statuses.push(r.status());
            }
        }
    }
    assert!(statuses.contains(&503) && statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
}

struct FailingStore(Arc<AtomicBool>);

impl ReplayStore for FailingStore {
    fn insert_once(&self, _: ReplayKey, _: Duration) -> ReplayFuture<'_> {
        let down = self.0.load(Ordering::SeqCst);
        Box::pin(async move {
            if down { Err(ReplayStoreError::Unavailable("connection refused".into())) } else { Ok(true) }
        })
    }
}

#[tokio::test]
async fn an_unreachable_replay_store_answers_503_never_accepts() {
    let down = Arc::new(AtomicBool::new(true));
    let f = fixture(DpopPolicy::allowed().replay_store(FailingStore(down.clone())));
    let token = f.token();
    let r = f.call(&format!("DPoP {token}"), &[&f.proof(&token).sign()]).await.unwrap_err();
    assert_eq!((r.status(), r.error_code()), (503, Some(ErrorCode::TemporarilyUnavailable)));
    assert_eq!(r.headers(), [("Retry-After", "5".to_owned())]);
    down.store(false, Ordering::SeqCst);
    assert!(f.call(&format!("DPoP {token}"), &[&f.proof(&token).sign()]).await.is_ok());
}

// ---- challenges ----

#[tokio::test]
async fn both_schemes_are_challenged_with_the_error_on_the_one_used() {
    let f = allowed();
    let token = f.token();
    let r = f.call(&format!("DPoP {token}"), &[]).await.unwrap_err();
    assert_eq!(
        r.challenges(),
        [
            "Bearer realm=\"https://api.example\"".to_owned(),
            "DPoP realm=\"https://api.example\", error=\"invalid_dpop_proof\", error_description=\"send exactly one \
             DPoP proof with a DPoP-bound access token\", algs=\"ES256 ES384 EdDSA PS256 RS256\""
                .to_owned(),
        ]
    );
    let expired = f.dev.access_token().issued_at(NOW - 3600).sign();
    let r = f.call(&format!("Bearer {expired}"), &[]).await.unwrap_err();
    let challenges = r.challenges();
    assert!(
        challenges[0].starts_with("Bearer realm=\"https://api.example\", error=\"invalid_token\""),
        "{challenges:?}"
    );
    assert_eq!(challenges[1], "DPoP realm=\"https://api.example\", algs=\"ES256 ES384 EdDSA PS256 RS256\"");
    // No credentials: both challenges, no error.
    let r = f.server.authenticate(&HttpRequest::new("GET", TARGET)).await.unwrap_err();
    assert_eq!(r.headers().len(), 2);
    assert!(r.headers().iter().all(|(_, v)| !v.contains("error=")));
}

#[tokio::test]
async fn dpop_scheme_without_dpop_is_not_a_credential() {
    let dev = DevIssuer::new();
    let server = ResourceServer::new(dev.access_token_verifier::<Api>().build().unwrap());
    let key = DpopKey::new();
    let token = dev.access_token().dpop_bound(&key).sign();
    let auth = format!("DPoP {token}");
    let request = HttpRequest::new("GET", TARGET).header("authorization", auth.as_bytes());
    let r = server.authenticate(&request).await.unwrap_err();
    assert_eq!((r.status(), r.error_code()), (400, Some(ErrorCode::InvalidRequest)));
}

#[test]
fn dpop_policies_out_of_range_do_not_build() {
    let dev = DevIssuer::new();
    let build = |policy: DpopPolicy| {
        ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap()).dpop(policy).build().map(|_| ())
    };
    assert!(matches!(
        build(DpopPolicy::allowed().algorithms(&[tokenkind::Algorithm::HS256])),
        Err(tokenkind::ConfigError::Invalid(_))
    ));
    assert!(matches!(
        build(DpopPolicy::allowed().proof_max_age(Duration::MAX)),
        Err(tokenkind::ConfigError::Invalid(_))
    ));
    assert!(matches!(
        build(DpopPolicy::allowed().proof_max_future(Duration::from_secs(7200))),
        Err(tokenkind::ConfigError::Invalid(_))
    ));
    let origin = |o: &str| {
        ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
            .public_origin(o)
            .build()
            .map(|_| ())
    };
    assert!(origin("https://api.example").is_ok());
    assert!(origin("https://api.example/").is_ok());
    for bad in ["api.example", "https://api.example/v1", "ftp://api.example"] {
        assert!(matches!(origin(bad), Err(tokenkind::ConfigError::Url { .. })), "{bad}");
    }
}
