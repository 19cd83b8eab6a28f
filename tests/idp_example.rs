//! The `messages_api` example against a real OpenID Provider, over real
//! HTTP: configured with only `TOKENKIND_ISSUER` and `TOKENKIND_AUDIENCE`, it
//! finds the keys by discovery, answers 200 for the provider's access token
//! and 401 for its ID token.

#[path = "support/example.rs"]
#[allow(unreachable_pub)]
mod example;
#[path = "support/idp.rs"]
#[allow(dead_code, unreachable_pub)]
mod idp;

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp::{API_CLIENT, API_ES256, API_OPAQUE, API_RS256, Provider};

/// Starts the `messages_api` example with the given environment and returns it with its base URL.
fn start_example(env: &[(&str, &str)]) -> (example::Example, String) {
    example::start("messages_api", env)
}

async fn status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/messages"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the example answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_example_with_discovery_accepts_the_providers_access_token_and_refuses_its_id_token() {
    let provider = Provider::start();
    let access = provider.access_token(API_RS256, "read:messages").await;
    let id_token = provider.id_token("nonce-e2e").await;
    let (_example, base) = start_example(&[("TOKENKIND_ISSUER", &provider.issuer), ("TOKENKIND_AUDIENCE", API_RS256)]);
    assert_eq!(status(&base, &access).await, 200);
    assert_eq!(status(&base, &id_token).await, 401);

    // The same with the JWKS URL given directly.
    let jwks_uri = format!("{}/jwks", provider.issuer);
    let (_example, base) = start_example(&[
        ("TOKENKIND_ISSUER", &provider.issuer),
        ("TOKENKIND_AUDIENCE", API_RS256),
        ("TOKENKIND_JWKS_URI", &jwks_uri),
    ]);
    assert_eq!(status(&base, &access).await, 200);
    assert_eq!(status(&base, &id_token).await, 401);
}

#[tokio::test]
async fn the_example_configured_for_introspection_accepts_the_providers_opaque_token() {
    let provider = Provider::start();
    let opaque = provider.access_token(API_OPAQUE, "read:messages").await;
    let id_token = provider.id_token("nonce-e2e").await;
    let env = |mode: &'static str| {
        [
            ("TOKENKIND_ISSUER", provider.issuer.clone()),
            ("TOKENKIND_AUDIENCE", API_OPAQUE.to_owned()),
            ("TOKENKIND_INTROSPECTION", mode.to_owned()),
            ("TOKENKIND_CLIENT_ID", API_CLIENT.0.to_owned()),
            ("TOKENKIND_CLIENT_SECRET", API_CLIENT.1.to_owned()),
            ("TOKENKIND_INTROSPECTION_CACHE_SECS", "1".to_owned()),
            // A client-credentials token: no `sub`.
            ("TOKENKIND_INTROSPECTION_WITHOUT_SUBJECT", "1".to_owned()),
        ]
    };
    let vars = env("opaque");
    let (_example, base) = start_example(&vars.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    assert_eq!(status(&base, &opaque).await, 200);
    assert_eq!(status(&base, &id_token).await, 401);
    // Off (the default), the opaque token is not a JWT: refused.
    let (_example, base) = start_example(&[("TOKENKIND_ISSUER", &provider.issuer), ("TOKENKIND_AUDIENCE", API_OPAQUE)]);
    assert_eq!(status(&base, &opaque).await, 401);
    // Revoked: refused once the 1 s cache entry has expired.
    let vars = env("always");
    let (_example, base) = start_example(&vars.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    assert_eq!(status(&base, &opaque).await, 200);
    provider.revoke(&opaque).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&base, &opaque).await, 401);
}

#[tokio::test]
async fn the_example_keeps_honouring_a_jwks_file_without_discovery() {
    let provider = Provider::start();
    let access = provider.access_token(API_RS256, "read:messages").await;
    // A JWKS file with someone else's key: nothing is fetched, so the provider's token is refused.
    let other = tokenkind::dev::DevIssuer::new();
    let file = std::env::temp_dir().join(format!("tokenkind-jwks-{}.json", std::process::id()));
    std::fs::write(&file, other.jwks()).unwrap();
    let (_example, base) = start_example(&[
        ("TOKENKIND_ISSUER", &provider.issuer),
        ("TOKENKIND_AUDIENCE", API_RS256),
        ("TOKENKIND_JWKS_FILE", file.to_str().unwrap()),
    ]);
    assert_eq!(status(&base, &access).await, 401);
    let _ = std::fs::remove_file(&file);
}

/// Runs the DPoP client (panva's `dpop` library, from npm) against the
/// provider and the example; returns what it saw.
fn dpop_client(issuer: &str, resource: &str, api_url: &str) -> serde_json::Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("idp");
    let out = Command::new("node")
        .arg("dpop-client.js")
        .args([issuer, resource, api_url])
        .current_dir(dir)
        .output()
        .expect("node runs the DPoP client");
    assert!(out.status.success(), "the DPoP client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

fn status_of(v: &serde_json::Value) -> u64 {
    v["status"].as_u64().unwrap_or_default()
}

fn challenge_of(v: &serde_json::Value) -> &str {
    v["www_authenticate"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_dpop_client_library_calls_the_example_with_a_token_bound_by_the_provider() {
    let provider = Provider::start();
    let (_example, base) = start_example(&[
        ("TOKENKIND_ISSUER", &provider.issuer),
        ("TOKENKIND_AUDIENCE", API_ES256),
        ("TOKENKIND_DPOP", "allowed"),
        ("TOKENKIND_DPOP_NONCE", "1"),
    ]);
    let seen = dpop_client(&provider.issuer, API_ES256, &format!("{base}/api/messages"));
    assert_eq!(seen["token_type"], "DPoP", "{seen}");
    // The provider bound the token to the client's key.
    let token = seen["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(claims["cnf"]["jkt"].is_string(), "{claims}");

    // The nonce round trip: 401 use_dpop_nonce with a DPoP-Nonce, then 200.
    assert_eq!(status_of(&seen["first"]), 401, "{seen}");
    assert!(challenge_of(&seen["first"]).contains("error=\"use_dpop_nonce\""), "{seen}");
    assert!(seen["first"]["dpop_nonce"].is_string());
    assert_eq!(status_of(&seen["with_nonce"]), 200, "{seen}");
    // A replayed proof, the token as a bearer token, proofs for another method or URL.
    assert_eq!(status_of(&seen["replayed"]), 401, "{seen}");
    assert!(challenge_of(&seen["replayed"]).contains("already used"), "{seen}");
    assert_eq!(status_of(&seen["as_bearer"]), 401, "{seen}");
    assert!(challenge_of(&seen["as_bearer"]).starts_with("Bearer realm="), "{seen}");
    assert!(challenge_of(&seen["as_bearer"]).contains("error=\"invalid_token\""), "{seen}");
    assert_eq!(status_of(&seen["other_method"]), 401, "{seen}");
    assert_eq!(status_of(&seen["other_url"]), 401, "{seen}");
    assert!(challenge_of(&seen["other_url"]).contains("the DPoP proof is for another request"), "{seen}");
    assert_eq!(status_of(&seen["fresh"]), 200, "{seen}");
}

/// Runs the MCP TypeScript SDK's protected-resource discovery (npm) against
/// `server_url`; returns what it saw.
fn mcp_discovery(server_url: &str) -> serde_json::Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("idp");
    let out = Command::new("node")
        .arg("mcp-discovery.js")
        .arg(server_url)
        .current_dir(dir)
        .output()
        .expect("node runs the MCP discovery");
    assert!(out.status.success(), "the MCP discovery failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the discovery prints JSON")
}

#[tokio::test]
async fn an_mcp_client_finds_the_authorization_server_from_the_examples_metadata() {
    let provider = Provider::start();
    // The API is served at its own resource identifier, as an MCP server is.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let audience = format!("http://127.0.0.1:{port}/api");
    let (_example, _) =
        start_example(&[("TOKENKIND_ISSUER", &provider.issuer), ("TOKENKIND_AUDIENCE", &audience), ("PORT", &port)]);
    let seen = mcp_discovery(&audience);
    let metadata_url = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/api");
    assert_eq!(seen["status"], 401, "{seen}");
    assert_eq!(seen["resource_metadata_url"], metadata_url.as_str(), "{seen}");
    let document = serde_json::json!({
        "resource": audience,
        "authorization_servers": [provider.issuer],
        "scopes_supported": ["read:messages", "write:messages", "delete:messages"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Messages API",
    });
    assert_eq!(seen["resource_metadata"], document, "{seen}");
    assert_eq!(seen["path_aware"], document, "{seen}");
    // The SDK found the provider from the document, and read its metadata.
    assert_eq!(seen["authorization_server_url"], provider.issuer.as_str(), "{seen}");
    assert_eq!(seen["authorization_server_issuer"], provider.issuer.as_str(), "{seen}");
    assert!(seen["token_endpoint"].as_str().is_some_and(|t| t.starts_with(&provider.issuer)), "{seen}");
    // And it accepts the document's resource for this server.
    assert_eq!(seen["resource"], audience.as_str(), "{seen}");
}
