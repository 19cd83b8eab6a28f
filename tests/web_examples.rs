//! The messages API examples, run as processes: the same HTTP contract for
//! the axum and the actix-web version, and the development mode's printed
//! curl commands.

mod web;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use tokenkind::dev::DevIssuer;

/// A running example; killed when dropped.
struct Example {
    child: Child,
    base: String,
    output: Vec<String>,
    /// Kept open: an example printing more than was read must not meet a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_path(name: &str) -> PathBuf {
    // target/debug/deps/web_examples-… → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples").join(name)
}

/// Starts an example on a free port and reads what it prints until the
/// development issuer's last command (or just the first line when configured).
fn start(name: &str, env: &[(&str, &str)], lines: usize) -> Example {
    let path = example_path(name);
    assert!(path.exists(), "{} is missing: `cargo test` builds the examples", path.display());
    let mut cmd = Command::new(path);
    cmd.env("PORT", "0").stdout(Stdio::piped()).stderr(Stdio::inherit());
    for key in [
        "TOKENKIND_ISSUER",
        "TOKENKIND_AUDIENCE",
        "TOKENKIND_JWKS_FILE",
        "TOKENKIND_PROFILE",
        "TOKENKIND_DPOP",
        "TOKENKIND_DPOP_NONCE",
        "TOKENKIND_PUBLIC_ORIGIN",
        "TOKENKIND_REDIS_URL",
    ] {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut output = Vec::new();
    while output.len() < lines {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        output.push(line.trim_end().to_owned());
    }
    let base = output
        .first()
        .and_then(|l| l.strip_prefix("listening on "))
        .expect("the example prints its address")
        .to_owned();
    Example { child, base, output, _stdout: reader }
}

fn configured(name: &str, dev: &DevIssuer) -> Example {
    let jwks = std::env::temp_dir().join(format!("tokenkind-{name}-{}.json", std::process::id()));
    std::fs::write(&jwks, dev.jwks()).unwrap();
    let jwks = jwks.to_str().unwrap().to_owned();
    start(
        name,
        &[("TOKENKIND_ISSUER", dev.issuer()), ("TOKENKIND_AUDIENCE", dev.audience()), ("TOKENKIND_JWKS_FILE", &jwks)],
        1,
    )
}

#[tokio::test]
async fn axum_example_keeps_the_http_contract() {
    let dev = DevIssuer::new();
    let server = configured("messages_api", &dev);
    web::check_messages_api(&server.base, &dev).await;
}

#[tokio::test]
async fn actix_example_keeps_the_http_contract() {
    let dev = DevIssuer::new();
    let server = configured("messages_api_actix", &dev);
    web::check_messages_api(&server.base, &dev).await;
}

/// The curl commands printed in development mode give 200, 403 and 401.
async fn printed_commands_work(name: &str) {
    let server = start(name, &[], 12);
    let client = reqwest::Client::new();
    let tokens: Vec<String> = server
        .output
        .iter()
        .filter_map(|l| l.split("Bearer ").nth(1))
        .map(|rest| rest.split('\'').next().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 3, "{:#?}", server.output);
    assert!(!server.output.iter().any(|l| l.contains("DPoP")), "DPoP is off by default: {:#?}", server.output);
    let messages = format!("{}/api/messages", server.base);
    let a = web::get(&client, &messages, Some(&tokens[0])).await;
    assert_eq!(a.status.as_u16(), 200);
    let post =
        client.post(&messages).bearer_auth(&tokens[1]).json(&serde_json::json!({"text": "hi"})).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 403);
    let a = web::get(&client, &messages, Some(&tokens[2])).await;
    assert_eq!(a.status.as_u16(), 401);
    assert!(a.www_authenticate.unwrap().contains("an ID token is not an access token"));
}

/// The printed role and step-up commands: `GET /api/admin` gives 200 with
/// the role and 403 (no challenge) without; `DELETE /api/messages` gives 204
/// after a recent `mfa` login and the RFC 9470 challenge otherwise.
async fn printed_role_and_step_up_commands_work(name: &str) {
    let server = start(name, &[], 24);
    let client = reqwest::Client::new();
    let tokens: Vec<String> = server
        .output
        .iter()
        .filter_map(|l| l.split("Bearer ").nth(1))
        .map(|rest| rest.split('\'').next().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 7, "{:#?}", server.output);
    let admin = format!("{}/api/admin", server.base);
    let r = client.get(&admin).bearer_auth(&tokens[3]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = client.get(&admin).bearer_auth(&tokens[4]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get("www-authenticate").is_none());
    assert_eq!(r.text().await.unwrap(), r#"{"error":"forbidden","error_description":"a required role is missing"}"#);
    let messages = format!("{}/api/messages", server.base);
    let r = client.delete(&messages).bearer_auth(&tokens[6]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.ends_with(
            "error=\"insufficient_user_authentication\", error_description=\"a different and more recent \
             authentication is required\", acr_values=\"mfa\", max_age=\"300\""
        ),
        "{challenge}"
    );
    let r = client.delete(&messages).bearer_auth(&tokens[5]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 204);
}

#[tokio::test]
async fn axum_example_prints_working_role_and_step_up_commands() {
    printed_role_and_step_up_commands_work("messages_api").await;
}

#[tokio::test]
async fn actix_example_prints_working_role_and_step_up_commands() {
    printed_role_and_step_up_commands_work("messages_api_actix").await;
}

#[tokio::test]
async fn axum_example_prints_working_commands() {
    printed_commands_work("messages_api").await;
}

#[tokio::test]
async fn actix_example_prints_working_commands() {
    printed_commands_work("messages_api_actix").await;
}

/// The value in `-H 'Name: value'` of a printed curl command.
fn header(line: &str, name: &str) -> String {
    line.split(&format!("-H '{name}: ")).nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_owned()
}

async fn printed_dpop_commands_work(name: &str) {
    let server = start(name, &[("TOKENKIND_DPOP", "required")], 20);
    let client = reqwest::Client::new();
    let commands: Vec<&String> = server.output.iter().filter(|l| l.starts_with("curl")).collect();
    assert_eq!(commands.len(), 5, "{:#?}", server.output);
    let (dpop, as_bearer) = (commands[3], commands[4]);
    let url = format!("{}/api/messages", server.base);
    assert!(dpop.starts_with(&format!("curl -i {url} ")), "{dpop}");
    let send = |authorization: String, proof: Option<String>| {
        let request = client.get(&url).header("authorization", authorization);
        match proof {
            Some(p) => request.header("dpop", p),
            None => request,
        }
        .send()
    };
    let proof = header(dpop, "DPoP");
    let r = send(header(dpop, "Authorization"), Some(proof.clone())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The proof is single-use.
    let r = send(header(dpop, "Authorization"), Some(proof)).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // DPoP required: the bearer commands now get the DPoP challenge.
    let r = send(header(as_bearer, "Authorization"), None).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("DPoP realm="), "{challenge}");
}

#[tokio::test]
async fn axum_example_prints_working_dpop_commands() {
    printed_dpop_commands_work("messages_api").await;
}

#[tokio::test]
async fn actix_example_prints_working_dpop_commands() {
    printed_dpop_commands_work("messages_api_actix").await;
}

#[test]
fn bad_dpop_configuration_is_reported() {
    let out = Command::new(example_path("messages_api")).env("TOKENKIND_DPOP", "maybe").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOKENKIND_DPOP must be off, allowed or required"));
}

#[test]
fn bad_configuration_is_reported() {
    let out = Command::new(example_path("messages_api"))
        .env("TOKENKIND_ISSUER", "https://issuer.example")
        .env_remove("TOKENKIND_AUDIENCE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOKENKIND_AUDIENCE must be set"));
}

#[path = "support/redis.rs"]
mod redis_server;

/// Two instances of the example (axum and actix-web) share one Redis: a
/// proof used on one is a replay on the other.
#[tokio::test]
async fn example_instances_share_the_redis_replay_store() {
    let redis = redis_server::RedisServer::start();
    let dev = DevIssuer::new();
    let jwks = std::env::temp_dir().join(format!("tokenkind-redis-example-{}.json", std::process::id()));
    std::fs::write(&jwks, dev.jwks()).unwrap();
    let (jwks, redis_url) = (jwks.to_str().unwrap().to_owned(), redis.url());
    let env = [
        ("TOKENKIND_ISSUER", dev.issuer()),
        ("TOKENKIND_AUDIENCE", dev.audience()),
        ("TOKENKIND_JWKS_FILE", &jwks),
        ("TOKENKIND_DPOP", "required"),
        ("TOKENKIND_REDIS_URL", &redis_url),
        ("TOKENKIND_PUBLIC_ORIGIN", "https://api.example"),
    ];
    let (a, b) = (start("messages_api", &env, 1), start("messages_api_actix", &env, 1));
    let key = tokenkind::dev::DpopKey::new();
    let token = dev.access_token().scope("read:messages").dpop_bound(&key).sign();
    let client = reqwest::Client::new();
    let call = |base: &str, proof: &str| {
        client
            .get(format!("{base}/api/messages"))
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .send()
    };
    let url = "https://api.example/api/messages";
    let proof = key.proof("GET", url).access_token(&token).sign();
    assert_eq!(call(&a.base, &proof).await.unwrap().status().as_u16(), 200);
    let replayed = call(&b.base, &proof).await.unwrap();
    assert_eq!(replayed.status().as_u16(), 401);
    let challenge = replayed.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains("error_description=\"the DPoP proof was already used; make a new one for each request\""),
        "{challenge}"
    );
    let fresh = key.proof("GET", url).access_token(&token).sign();
    assert_eq!(call(&b.base, &fresh).await.unwrap().status().as_u16(), 200);
}
