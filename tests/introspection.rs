//! Opaque access tokens by introspection (RFC 7662), against a scripted
//! introspection endpoint: the answer becomes the same `AccessToken`, it is
//! checked like a JWT, cached by the token's hash, and every fault of the
//! endpoint is a 503, never a 401.

#[path = "support/http.rs"]
#[allow(dead_code, unreachable_pub)]
mod http;
#[path = "support/recorder.rs"]
#[allow(unreachable_pub)]
mod recorder;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Reply, TestServer};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::http::{HttpRequest, ResourceServer};
use tokenkind::remote::{ClientAuth, ClientKey, Introspection, IntrospectionBuilder};
use tokenkind::verify::Introspect;
use tokenkind::{AccessToken, AccessTokenVerifier, Algorithm, ConfigError, Error, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

const API: &str = "https://api.example";
const OPAQUE: &str = "2YotnFZFEjr1zCsicMWpAA";

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// An active answer for `API` from the dev issuer, changed by `edit`.
fn active(dev: &DevIssuer, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut answer = json!({
        "active": true,
        "iss": dev.issuer(),
        "aud": API,
        "sub": "alice",
        "client_id": "web-app",
        "scope": "read:messages openid",
        "exp": now() + 300,
        "iat": now(),
        "token_type": "Bearer",
    });
    edit(answer.as_object_mut().unwrap());
    answer.to_string()
}

fn basic() -> ClientAuth {
    ClientAuth::client_secret_basic("my-api", "api-secret")
}

fn endpoint(server: &TestServer) -> IntrospectionBuilder {
    Introspection::endpoint(server.url("/introspect")).client_auth(basic())
}

fn verifier(dev: &DevIssuer, introspection: Introspection, which: Introspect) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(dev.issuer(), API)
        .keys(dev.key_set())
        .introspection(introspection, which)
        .build()
        .unwrap()
}

async fn scripted(answer: String) -> (DevIssuer, TestServer, AccessTokenVerifier<Api>, Introspection) {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(answer));
    let introspection = endpoint(&server).build().unwrap();
    let v = verifier(&dev, introspection.clone(), Introspect::OpaqueTokens);
    (dev, server, v, introspection)
}

#[tokio::test]
async fn an_opaque_token_is_introspected_into_the_same_access_token() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);

    let token: AccessToken<Api> = v.verify_async(OPAQUE).await.unwrap();
    assert_eq!(token.subject(), "alice");
    assert_eq!(token.client_id(), "web-app");
    assert_eq!(token.issuer(), dev.issuer());
    assert!(token.audience().contains(API));
    assert!(token.has_scope(Api::ReadMessages));
    assert!(!token.has_scope(Api::WriteMessages));
    assert_eq!(token.jwt_id(), None);

    // RFC 7662 §2.1: a form POST with the token, the hint, and the API's credentials.
    let request = &server.requests()[0];
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.form("token").as_deref(), Some(OPAQUE));
    assert_eq!(request.form("token_type_hint").as_deref(), Some("access_token"));
    let expected = format!("Basic {}", STANDARD.encode("my-api:api-secret"));
    assert_eq!(request.header("authorization"), Some(expected.as_str()));
    assert_eq!(request.form("client_secret"), None);
}

#[tokio::test]
async fn the_pipeline_and_guards_take_an_introspected_token_like_a_jwt() {
    let header = format!("Bearer {OPAQUE}");
    let request = HttpRequest::new("GET", "/api/messages").header("authorization", header.as_bytes());
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let policy = ResourceServer::new(verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens));
    let token = policy.authenticate(&request).await.unwrap();
    assert!(token.has_scope(Api::ReadMessages));
    // A handler's run-time check answers as for a JWT.
    let refused = policy.reject(token.grant::<api_scope::WriteMessages>().unwrap_err());
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.www_authenticate().as_deref(),
        Some(
            "Bearer realm=\"https://api.example\", error=\"insufficient_scope\", error_description=\"the access token lacks a required scope\", scope=\"write:messages\""
        )
    );
}

/// A change to the active answer: a member set to a value, or removed.
type Change = (&'static str, Option<Value>);

#[tokio::test]
async fn answers_are_checked_as_strictly_as_a_jwt() {
    let dev = DevIssuer::new();
    let nonce = ("nonce", Some(json!("n-0S6_WzA2Mj")));
    let events = ("events", Some(json!({"http://schemas.openid.net/event/backchannel-logout": {}})));
    let cnf = ("cnf", Some(json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})));
    // The expected error, as its `Debug` text (a prefix for `Expired`, whose times vary).
    let cases: Vec<(&str, Vec<Change>, String)> = vec![
        ("inactive", vec![("active", Some(json!(false)))], format!("{:?}", Error::InactiveToken)),
        (
            "wrong audience",
            vec![("aud", Some(json!("https://other.example")))],
            format!("{:?}", Error::WrongAudience { expected: API.into() }),
        ),
        ("no audience", vec![("aud", None)], format!("{:?}", Error::MissingClaim { claim: "aud" })),
        (
            "audience of the wrong type",
            vec![("aud", Some(json!(7)))],
            r#"MalformedClaim { claim: "aud", expected: "a non-empty string or a non-empty array of non-empty strings" }"#
                .to_owned(),
        ),
        (
            "another issuer",
            vec![("iss", Some(json!("https://evil.example")))],
            r#"WrongIssuer { found: "https://evil.example" }"#.to_owned(),
        ),
        ("no issuer", vec![("iss", None)], format!("{:?}", Error::MissingClaim { claim: "iss" })),
        ("expired", vec![("exp", Some(json!(now() - 3600)))], "Expired {".to_owned()),
        ("no exp", vec![("exp", None)], format!("{:?}", Error::MissingClaim { claim: "exp" })),
        (
            "scope as an array",
            vec![("scope", Some(json!(["read:messages"])))],
            format!("{:?}", Error::MalformedClaim { claim: "scope", expected: "a space-delimited string" }),
        ),
        ("no client_id", vec![("client_id", None)], format!("{:?}", Error::MissingClaim { claim: "client_id" })),
        ("no sub", vec![("sub", None)], format!("{:?}", Error::MissingClaim { claim: "sub" })),
        (
            "sub of the wrong type",
            vec![("sub", Some(json!(42)))],
            format!("{:?}", Error::MalformedClaim { claim: "sub", expected: "a string" }),
        ),
        (
            "a refresh token",
            vec![("token_type", Some(json!("refresh_token")))],
            r#"NotAnAccessToken { found: "refresh_token" }"#.to_owned(),
        ),
        (
            "token_type as an array",
            vec![("token_type", Some(json!(["Bearer"])))],
            format!("{:?}", Error::MalformedClaim { claim: "token_type", expected: "a string" }),
        ),
        (
            "an ID token's nonce",
            vec![nonce],
            format!("{:?}", Error::IdTokenAsAccessToken { reason: "it carries `nonce`" }),
        ),
        (
            "a logout token's events",
            vec![events],
            format!("{:?}", Error::SecurityEventToken { reason: "it carries `events`" }),
        ),
        ("bound to a key, presented as a bearer token", vec![cnf], format!("{:?}", Error::SenderConstrained)),
    ];
    for (what, changes, expected) in cases {
        let answer = active(&dev, |m| {
            for (name, value) in changes {
                match value {
                    Some(v) => m.insert(name.into(), v),
                    None => m.remove(name),
                };
            }
        });
        let server = TestServer::start().await;
        server.route("/introspect", Reply::json(answer));
        let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
        let found = format!("{:?}", v.verify_async(OPAQUE).await.unwrap_err());
        assert!(found.starts_with(&expected), "{what}: {found}");
    }
}

#[tokio::test]
async fn an_answer_without_aud_passes_only_with_its_opt_in() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route(
        "/introspect",
        Reply::json(active(&dev, |m| {
            m.remove("aud");
        })),
    );
    let strict = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(strict.verify_async(OPAQUE).await.unwrap_err(), Error::MissingClaim { claim: "aud" });
    let loose =
        verifier(&dev, endpoint(&server).allow_responses_without_audience().build().unwrap(), Introspect::OpaqueTokens);
    let token = loose.verify_async(OPAQUE).await.unwrap();
    assert_eq!(token.audience().iter().collect::<Vec<_>>(), [API]);
    assert_eq!(token.subject(), "alice");
}

#[tokio::test]
async fn the_client_stands_in_for_a_missing_sub_only_with_its_opt_in() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route(
        "/introspect",
        Reply::json(active(&dev, |m| {
            m.remove("sub");
        })),
    );
    // A client-credentials token has no resource owner: by default no subject is made up.
    let strict = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(strict.verify_async(OPAQUE).await.unwrap_err(), Error::MissingClaim { claim: "sub" });
    // The other opt-in does not loosen this one.
    let other =
        verifier(&dev, endpoint(&server).allow_responses_without_audience().build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(other.verify_async(OPAQUE).await.unwrap_err(), Error::MissingClaim { claim: "sub" });
    let loose =
        verifier(&dev, endpoint(&server).allow_responses_without_subject().build().unwrap(), Introspect::OpaqueTokens);
    let token = loose.verify_async(OPAQUE).await.unwrap();
    assert_eq!(token.subject(), "web-app");
    assert_eq!(token.client_id(), "web-app");
    // A `sub` that is present is never replaced, and one of the wrong type is never read as absent.
    server.route(
        "/introspect",
        Reply::json(active(&dev, |m| {
            m.insert("sub".into(), json!(7));
        })),
    );
    let loose =
        verifier(&dev, endpoint(&server).allow_responses_without_subject().build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(
        loose.verify_async(OPAQUE).await.unwrap_err(),
        Error::MalformedClaim { claim: "sub", expected: "a string" }
    );
}

#[tokio::test]
async fn a_jws_shaped_token_is_only_ever_verified_locally() {
    let (dev, server, v, introspection) = scripted(active(&DevIssuer::new(), |_| {})).await;
    let jwt = dev.access_token().scope("read:messages").sign();
    assert!(v.verify_async(&jwt).await.unwrap().has_scope(Api::ReadMessages));
    // A forged JWT is refused by its signature, never sent to the provider.
    let mut forged = jwt.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert_eq!(v.verify_async(&forged).await.unwrap_err(), Error::BadSignature);
    let id_token = dev.id_token().nonce("n").sign();
    let error = v.verify_async(&id_token).await.unwrap_err();
    assert_eq!(error, Error::IdTokenAsAccessToken { reason: "it carries `nonce`" });
    assert_eq!(introspection.requests(), 0);
    assert_eq!(server.hits("/introspect"), 0);
}

#[tokio::test]
async fn every_token_mode_introspects_jwts_too_and_needs_no_keys() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let introspection = endpoint(&server).build().unwrap();
    let v = AccessTokenVerifier::<Api>::builder(dev.issuer(), API)
        .introspection(introspection.clone(), Introspect::EveryToken)
        .build()
        .unwrap();
    let jwt = dev.access_token().sign();
    assert_eq!(v.verify_async(&jwt).await.unwrap().subject(), "alice");
    assert_eq!(server.requests()[0].form("token").as_deref(), Some(jwt.as_str()));
    // Opaque tokens need keys for their JWTs.
    let no_keys = AccessTokenVerifier::<Api>::builder(dev.issuer(), API)
        .introspection(introspection, Introspect::OpaqueTokens)
        .build();
    assert_eq!(no_keys.unwrap_err(), ConfigError::NoKeys);
}

#[tokio::test]
async fn the_blocking_verify_refuses_to_introspect() {
    let (dev, server, v, _) = scripted(active(&DevIssuer::new(), |_| {})).await;
    assert_eq!(v.verify(OPAQUE).unwrap_err(), Error::IntrospectionNeedsAsync);
    assert!(v.verify(&dev.access_token().sign()).is_ok());
    assert_eq!(server.hits("/introspect"), 0);
}

#[tokio::test]
async fn answers_are_cached_by_the_tokens_hash_for_at_most_the_max_age() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let introspection = endpoint(&server).cache_max_age(Duration::from_secs(1)).build().unwrap();
    let v = verifier(&dev, introspection.clone(), Introspect::OpaqueTokens);
    for _ in 0..5 {
        v.verify_async(OPAQUE).await.unwrap();
    }
    assert_eq!(introspection.requests(), 1);
    v.verify_async("another-opaque-token").await.unwrap();
    assert_eq!(introspection.requests(), 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.verify_async(OPAQUE).await.unwrap();
    assert_eq!(introspection.requests(), 3, "the answer expired after the max age");
}

#[tokio::test]
async fn an_answer_is_never_cached_past_the_tokens_exp() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    // exp in 2 s (the 60 s leeway keeps the token valid): cached for 1 to 2 s, not 60.
    server.route_fn("/introspect", {
        let answer = active(&dev, |m| {
            m.insert("exp".into(), json!(now() + 2));
        });
        move |_| Reply::json(answer.clone())
    });
    let introspection = endpoint(&server).build().unwrap();
    let v = verifier(&dev, introspection.clone(), Introspect::OpaqueTokens);
    v.verify_async(OPAQUE).await.unwrap();
    v.verify_async(OPAQUE).await.unwrap();
    assert_eq!(introspection.requests(), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    v.verify_async(OPAQUE).await.unwrap();
    assert_eq!(introspection.requests(), 2);
}

#[tokio::test]
async fn inactive_answers_are_cached_briefly_or_not_at_all() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(r#"{"active":false}"#));
    let brief = endpoint(&server).inactive_cache_ttl(Duration::from_millis(500)).build().unwrap();
    let v = verifier(&dev, brief.clone(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
    assert_eq!(brief.requests(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
    assert_eq!(brief.requests(), 2);

    let never = endpoint(&server).inactive_cache_ttl(Duration::ZERO).build().unwrap();
    let v = verifier(&dev, never.clone(), Introspect::OpaqueTokens);
    for _ in 0..3 {
        assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
    }
    assert_eq!(never.requests(), 3);
}

#[tokio::test]
async fn concurrent_requests_for_one_token_share_one_introspection() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})).delay(Duration::from_millis(300)));
    let introspection = endpoint(&server).build().unwrap();
    let v = Arc::new(verifier(&dev, introspection.clone(), Introspect::OpaqueTokens));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let v = Arc::clone(&v);
            tokio::spawn(async move { v.verify_async(OPAQUE).await.map(|t| t.subject().to_owned()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "alice");
    }
    assert_eq!(introspection.requests(), 1);
    assert_eq!(server.hits("/introspect"), 1);
}

#[tokio::test]
async fn every_fault_of_the_endpoint_is_a_503_with_retry_after_never_a_401() {
    let dev = DevIssuer::new();
    let big = format!(r#"{{"active":true,"pad":"{}"}}"#, "x".repeat(1024 * 1024));
    let faults: Vec<(&str, Option<Reply>)> = vec![
        ("down", None),
        ("slow", Some(Reply::json(active(&dev, |_| {})).delay(Duration::from_secs(3)))),
        ("500", Some(Reply::status(500))),
        ("503", Some(Reply::status(503))),
        ("redirect", Some(Reply::redirect(302, "https://elsewhere.example/introspect"))),
        ("HTML", Some(Reply::json("<html>oops</html>").header("content-type", "text/html"))),
        ("not JSON", Some(Reply::json("oops"))),
        ("no active", Some(Reply::json(r#"{"scope":"read:messages"}"#))),
        ("active as a string", Some(Reply::json(r#"{"active":"true"}"#))),
        ("no content type", Some(Reply::status(200).body(br#"{"active":true}"#.to_vec()))),
        ("1 MiB", Some(Reply::json(big.clone()))),
        ("1 MiB unsized", Some(Reply::json(big.clone()).unsized_body())),
        ("our credentials refused", Some(Reply::json(r#"{"error":"invalid_client"}"#).header("x", "y"))),
    ];
    for (what, reply) in faults {
        let server = TestServer::start().await;
        let url = match reply {
            Some(mut reply) => {
                if what == "our credentials refused" {
                    reply.status = 401;
                }
                server.route("/introspect", reply);
                server.url("/introspect")
            }
            None => format!("http://127.0.0.1:{}/introspect", TestServer::unused_port()),
        };
        let introspection =
            Introspection::endpoint(url).client_auth(basic()).timeout(Duration::from_millis(500)).build().unwrap();
        let v = verifier(&dev, introspection, Introspect::OpaqueTokens);
        assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::IntrospectionUnavailable, "{what}");
        let policy = ResourceServer::new(v);
        let header = format!("Bearer {OPAQUE}");
        let refused = policy
            .authenticate(&HttpRequest::new("GET", "/").header("authorization", header.as_bytes()))
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 503, "{what}");
        assert!(
            refused.headers().iter().any(|(n, v)| *n == "Retry-After" && v == "5"),
            "{what}: {:?}",
            refused.headers()
        );
    }
}

#[tokio::test]
async fn a_token_the_provider_does_not_introspect_is_refused_as_inactive() {
    let dev = DevIssuer::new();
    let answer = |error: &'static str| {
        move |_: &http::Request| {
            let mut reply = Reply::json(format!(r#"{{"error":"{error}"}}"#));
            reply.status = 400;
            reply
        }
    };
    let server = TestServer::start().await;
    server.route_fn("/introspect", answer("unsupported_token_type"));
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
    // Any other 400 is a fault: the request was wrong, the token was not judged.
    let server = TestServer::start().await;
    server.route_fn("/introspect", answer("invalid_request"));
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::IntrospectionUnavailable);
}

#[tokio::test]
async fn refused_credentials_and_faults_are_logged_clearly() {
    // Global: the tests of this binary run on several threads.
    let recorder = recorder::Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route_fn("/introspect", |_| {
        let mut reply = Reply::json(r#"{"error":"invalid_client"}"#);
        reply.status = 401;
        reply
    });
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::IntrospectionUnavailable);
    let line = recorder.find(tracing::Level::ERROR, "refused this API's own client credentials").expect("logged");
    assert!(line.contains("client_id=\"my-api\""), "{line}");
    assert!(line.contains("method=\"client_secret_basic\""), "{line}");
    assert!(!line.contains("api-secret"), "{line}");

    let server = TestServer::start().await;
    server.route("/introspect", Reply::json("oops"));
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::IntrospectionUnavailable);
    assert!(recorder.find(tracing::Level::WARN, "answer is unusable").is_some());
}

#[tokio::test]
async fn a_failed_introspection_answers_its_waiters_and_is_retried_after_a_second() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::status(500).delay(Duration::from_millis(200)));
    let introspection = endpoint(&server).build().unwrap();
    let v = Arc::new(verifier(&dev, introspection.clone(), Introspect::OpaqueTokens));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let v = Arc::clone(&v);
            tokio::spawn(async move { v.verify_async(OPAQUE).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap_err(), Error::IntrospectionUnavailable);
    }
    assert_eq!(introspection.requests(), 1, "the waiters got the failure, not a queue of retries");
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(v.verify_async(OPAQUE).await.unwrap().subject(), "alice");
}

#[tokio::test]
async fn client_secret_post_sends_the_secret_in_the_body() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let introspection = Introspection::endpoint(server.url("/introspect"))
        .client_auth(ClientAuth::client_secret_post("my-api", "api-secret"))
        .build()
        .unwrap();
    verifier(&dev, introspection, Introspect::OpaqueTokens).verify_async(OPAQUE).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.form("client_id").as_deref(), Some("my-api"));
    assert_eq!(request.form("client_secret").as_deref(), Some("api-secret"));
}

#[tokio::test]
async fn private_key_jwt_sends_a_signed_assertion_for_the_issuer() {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let der = pair.to_pkcs8v1().unwrap();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(der.as_ref()));
    let key = ClientKey::from_pem(pem.as_bytes(), Algorithm::ES256, Some("api-key-1")).unwrap();
    let introspection = Introspection::endpoint(server.url("/introspect"))
        .client_auth(ClientAuth::private_key_jwt("my-api", key))
        .build()
        .unwrap();
    verifier(&dev, introspection, Introspect::OpaqueTokens).verify_async(OPAQUE).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.form("client_id").as_deref(), Some("my-api"));
    assert_eq!(
        request.form("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let assertion = request.form("client_assertion").unwrap();
    // Verified with the public key, as the provider would.
    let point = pair.public_key().as_ref();
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": "api-key-1",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..])});
    let key = jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[dev.issuer()]);
    validation.set_issuer(&["my-api"]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud", "jti"]);
    let claims = jsonwebtoken::decode::<Value>(&assertion, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "my-api");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
    assert_eq!(jsonwebtoken::decode_header(&assertion).unwrap().kid.as_deref(), Some("api-key-1"));
    assert!(ClientKey::from_pem(pem.as_bytes(), Algorithm::RS256, None).is_err(), "an EC key is no RSA key");
}

fn signed_answer(
    dev: &DevIssuer,
    inner: &str,
    edit: impl FnOnce(tokenkind::dev::TokenBuilder<'_>) -> tokenkind::dev::TokenBuilder<'_>,
) -> Reply {
    let inner: Value = serde_json::from_str(inner).unwrap();
    let jwt = edit(
        dev.access_token()
            .header_typ(Some("token-introspection+jwt"))
            .audience("my-api")
            .without("sub")
            .without("scope")
            .without("client_id")
            .without("exp")
            .without("jti")
            .claim("token_introspection", inner),
    )
    .sign();
    let mut reply = Reply::json(jwt);
    reply.headers = vec![("content-type".into(), "application/token-introspection+jwt; charset=utf-8".into())];
    reply
}

#[tokio::test]
async fn signed_answers_are_verified_with_the_issuers_keys() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", signed_answer(&dev, &active(&dev, |_| {}), |b| b));
    let introspection = endpoint(&server).signed_responses().build().unwrap();
    let v = verifier(&dev, introspection, Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap().subject(), "alice");
    assert_eq!(server.requests()[0].header("accept"), Some("application/token-introspection+jwt"));

    let refused: Vec<(&str, Reply)> = vec![
        ("unsigned", Reply::json(active(&dev, |_| {}))),
        ("signed by another key", signed_answer(&DevIssuer::new(), &active(&dev, |_| {}), |b| b)),
        ("for another client", signed_answer(&dev, &active(&dev, |_| {}), |b| b.audience("other"))),
        ("no typ", signed_answer(&dev, &active(&dev, |_| {}), |b| b.header_typ(Some("JWT")))),
        ("inner not an object", signed_answer(&dev, "\"active\"", |b| b)),
    ];
    for (what, reply) in refused {
        let server = TestServer::start().await;
        server.route("/introspect", reply);
        let v = verifier(&dev, endpoint(&server).signed_responses().build().unwrap(), Introspect::OpaqueTokens);
        assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::IntrospectionUnavailable, "{what}");
    }
    // The inner answer still passes every rule.
    let server = TestServer::start().await;
    server.route("/introspect", signed_answer(&dev, r#"{"active":false}"#, |b| b));
    let v = verifier(&dev, endpoint(&server).signed_responses().build().unwrap(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap_err(), Error::InactiveToken);
}

#[tokio::test]
async fn the_endpoint_is_discovered_from_the_issuers_metadata() {
    let server = TestServer::start().await;
    let issuer = server.base();
    let dev = DevIssuer::new().issuer_url(issuer.clone());
    server.route(
        "/.well-known/openid-configuration",
        Reply::json(json!({"issuer": issuer, "introspection_endpoint": server.url("/i")}).to_string()),
    );
    server.route("/i", Reply::json(active(&dev, |_| {})));
    let introspection = Introspection::discover(issuer.clone()).client_auth(basic()).build().unwrap();
    let v = verifier(&dev, introspection, Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap().subject(), "alice");
    assert_eq!(v.verify_async("second-token").await.unwrap().subject(), "alice");
    assert_eq!(server.hits("/.well-known/openid-configuration"), 1, "discovered once");

    let other = Introspection::discover("https://other.example").client_auth(basic()).build().unwrap();
    let mismatch = AccessTokenVerifier::<Api>::builder(dev.issuer(), API)
        .keys(dev.key_set())
        .introspection(other, Introspect::OpaqueTokens)
        .build();
    assert!(matches!(mismatch, Err(ConfigError::Invalid(m)) if m.contains("another issuer")));
}

#[tokio::test]
async fn an_introspected_dpop_bound_token_needs_its_proof() {
    use tokenkind::Binding;
    use tokenkind::dev::DpopKey;
    use tokenkind::http::DpopPolicy;
    let dev = DevIssuer::new();
    let key = DpopKey::new();
    let server = TestServer::start().await;
    let thumbprint = key.thumbprint().to_owned();
    server.route(
        "/introspect",
        Reply::json(active(&dev, |m| {
            m.insert("cnf".into(), json!({ "jkt": thumbprint }));
            m.insert("token_type".into(), json!("DPoP"));
        })),
    );
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    let policy = ResourceServer::builder(v).dpop(DpopPolicy::allowed()).build().unwrap();
    let url = "https://api.example/api/messages";
    let proof = key.proof("GET", url).access_token(OPAQUE).sign();
    let header = format!("DPoP {OPAQUE}");
    let request = HttpRequest::new("GET", "/api/messages")
        .authority("https", "api.example")
        .header("authorization", header.as_bytes())
        .header("dpop", proof.as_bytes());
    let token = policy.authenticate(&request).await.unwrap();
    assert_eq!(token.binding(), &Binding::Dpop { jkt: key.thumbprint().into() });

    // The same token as a bearer token: refused, and told to use DPoP.
    let bearer = format!("Bearer {OPAQUE}");
    let request = HttpRequest::new("GET", "/api/messages").header("authorization", bearer.as_bytes());
    let refused = policy.authenticate(&request).await.unwrap_err();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.token_error(), Some(&Error::SenderConstrained));
    // A proof by another key: refused.
    let other = DpopKey::new();
    let proof = other.proof("GET", url).access_token(OPAQUE).sign();
    let request = HttpRequest::new("GET", "/api/messages")
        .authority("https", "api.example")
        .header("authorization", header.as_bytes())
        .header("dpop", proof.as_bytes());
    let refused = policy.authenticate(&request).await.unwrap_err();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.proof_error(), Some(tokenkind::http::DpopError::WrongKey));
    assert_eq!(server.hits("/introspect"), 1, "one answer, checked three ways");
}

#[path = "support/redis.rs"]
mod redis_server;

fn shared(url: &str) -> tokenkind::remote::SharedIntrospectionCache {
    tokenkind::remote::SharedIntrospectionCache::new(url, &[7u8; 32]).unwrap()
}

#[tokio::test]
async fn instances_share_answers_through_redis_and_ignore_tampered_ones() {
    let redis = redis_server::RedisServer::start();
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    // Two instances of the API: each its own memory cache, one Redis.
    let first = endpoint(&server).shared_cache(shared(&redis.url())).build().unwrap();
    let second = endpoint(&server).shared_cache(shared(&redis.url())).build().unwrap();
    let (a, b) = (
        verifier(&dev, first.clone(), Introspect::OpaqueTokens),
        verifier(&dev, second.clone(), Introspect::OpaqueTokens),
    );
    assert_eq!(a.verify_async(OPAQUE).await.unwrap().subject(), "alice");
    assert_eq!(b.verify_async(OPAQUE).await.unwrap().subject(), "alice");
    assert_eq!((first.requests(), second.requests()), (1, 0), "the second instance found the answer in Redis");

    // An instance with another secret cannot use (or forge) the entries: it asks the endpoint.
    let other = endpoint(&server)
        .shared_cache(tokenkind::remote::SharedIntrospectionCache::new(&redis.url(), &[8u8; 32]).unwrap())
        .build()
        .unwrap();
    verifier(&dev, other.clone(), Introspect::OpaqueTokens).verify_async(OPAQUE).await.unwrap();
    assert_eq!(other.requests(), 1);

    // Entries expire with the answer's lifetime: at most the max age.
    let short = endpoint(&server)
        .cache_max_age(Duration::from_secs(1))
        .shared_cache(shared(&redis.url()).prefix("short:"))
        .build()
        .unwrap();
    verifier(&dev, short, Introspect::OpaqueTokens).verify_async("token-two").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let late = endpoint(&server).shared_cache(shared(&redis.url()).prefix("short:")).build().unwrap();
    verifier(&dev, late.clone(), Introspect::OpaqueTokens).verify_async("token-two").await.unwrap();
    assert_eq!(late.requests(), 1, "the shared entry had expired");
    assert!(tokenkind::remote::SharedIntrospectionCache::new(&redis.url(), &[0u8; 31]).is_err());
}

#[tokio::test]
async fn a_redis_that_is_down_only_costs_an_introspection() {
    let mut redis = redis_server::RedisServer::start();
    let url = redis.url();
    redis.stop();
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/introspect", Reply::json(active(&dev, |_| {})));
    let introspection = endpoint(&server).shared_cache(shared(&url)).build().unwrap();
    let v = verifier(&dev, introspection.clone(), Introspect::OpaqueTokens);
    assert_eq!(v.verify_async(OPAQUE).await.unwrap().subject(), "alice");
    assert_eq!(introspection.requests(), 1);
}

#[tokio::test]
async fn the_users_entitlements_never_count_as_the_clients_scopes() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    // The user may write (`permissions`, `roles`, `scp`); the client was granted only reading.
    server.route(
        "/introspect",
        Reply::json(active(&dev, |m| {
            m.insert("permissions".into(), json!(["write:messages"]));
            m.insert("roles".into(), json!(["write:messages"]));
            m.insert("scp".into(), json!("write:messages"));
        })),
    );
    let v = verifier(&dev, endpoint(&server).build().unwrap(), Introspect::OpaqueTokens);
    let token = v.verify_async(OPAQUE).await.unwrap();
    assert!(token.has_scope(Api::ReadMessages));
    assert!(!token.has_scope(Api::WriteMessages));
    let refused = token.grant::<api_scope::WriteMessages>().unwrap_err();
    assert!(matches!(refused, Error::InsufficientScope { .. }), "{refused:?}");
    assert_eq!(refused.to_string(), "the access token lacks the required scope: write:messages");
}
