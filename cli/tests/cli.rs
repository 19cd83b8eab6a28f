//! The `tokenkind` binary run as a real process: its text and `--json`
//! output for each kind of token (snapshots in `tests/snapshots/`), its exit
//! statuses, its colours, and what it never fetches.
//!
//! Deterministic by construction: tokens from `DevIssuer` with fixed claims
//! and a fixed key ID, the JWKS written to a file per case, and the clock
//! fixed with the hidden `--now` option.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tokenkind::dev::{DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_ISSUER, DevIssuer, TokenBuilder};

/// The fixed "now": 2027-01-15 08:00:00 UTC.
const NOW: i64 = 1_800_000_000;
const KID: &str = "test-key";

/// One case's folder, holding the issuer's JWKS as `jwks.json`.
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str, dev: &DevIssuer) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("jwks.json"), jwks(dev)).unwrap();
        Self { dir }
    }

    /// Runs `tokenkind` in the case's folder with the fixed clock, no
    /// colour settings from the environment, and `stdin` as input.
    fn run(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokenkind"));
        command
            .arg("--now")
            .arg(NOW.to_string())
            .args(args)
            .current_dir(&self.dir)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("TERM")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            status: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// `inspect` and `verify`, each as text and as JSON, in one transcript.
    fn transcript(&self, token: &str, verify: &[&str]) -> (String, [i32; 4]) {
        let mut text = String::new();
        let mut statuses = [0; 4];
        let inspect = ["inspect", token];
        let inspect_json = ["inspect", "--json", token];
        let verify_text: Vec<&str> = ["verify"].into_iter().chain(verify.iter().copied()).chain([token]).collect();
        let verify_json: Vec<&str> =
            ["verify", "--json"].into_iter().chain(verify.iter().copied()).chain([token]).collect();
        for (i, args) in [&inspect[..], &inspect_json[..], &verify_text[..], &verify_json[..]].into_iter().enumerate() {
            let run = self.run(args, "", &[]);
            statuses[i] = run.status;
            let shown: Vec<&str> = args.iter().map(|a| if *a == token { "TOKEN" } else { a }).collect();
            let _ = write!(
                text,
                "$ tokenkind {}
[exit {}]
{}{}
",
                shown.join(" "),
                run.status,
                run.stdout,
                run.stderr
            );
        }
        (text, statuses)
    }
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// The issuer's JWKS, its key renamed to the fixed `KID`.
fn jwks(dev: &DevIssuer) -> String {
    let mut jwks: Value = serde_json::from_str(&dev.jwks()).unwrap();
    jwks["keys"][0]["kid"] = json!(KID);
    jwks.to_string()
}

/// The access-token verifier's arguments for the dev issuer.
const API: [&str; 6] = ["--issuer", DEFAULT_ISSUER, "--audience", DEFAULT_AUDIENCE, "--jwks", "jwks.json"];

/// A dev access token issued at the fixed time, with fixed `jti` and `kid`.
fn access(dev: &DevIssuer) -> TokenBuilder<'_> {
    dev.access_token().issued_at(NOW - 120).kid(Some(KID)).claim("jti", "at-4f1c").scope("read:messages write:messages")
}

/// Mints a token with exactly these claims and header `typ`.
fn mint(dev: &DevIssuer, typ: Option<&str>, claims: &Value) -> String {
    let mut b = dev.access_token().header_typ(typ).kid(Some(KID));
    for name in ["iss", "sub", "aud", "client_id", "jti", "iat", "exp", "scope"] {
        b = b.without(name);
    }
    for (k, v) in claims.as_object().unwrap() {
        b = b.claim(k, v.clone());
    }
    b.sign()
}

fn snapshot(name: &str, transcript: &str) {
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, transcript);
    });
}

#[test]
fn valid_access_token() {
    let dev = DevIssuer::new();
    let case = Case::new("valid_access_token", &dev);
    let (text, statuses) = case.transcript(&access(&dev).sign(), &API);
    assert_eq!(statuses, [0, 0, 0, 0]);
    snapshot("valid_access_token", &text);
}

#[test]
fn id_token_sent_to_an_api() {
    let dev = DevIssuer::new();
    let case = Case::new("id_token_sent_to_an_api", &dev);
    let id_token = dev
        .id_token()
        .issued_at(NOW - 60)
        .kid(Some(KID))
        .nonce("n-0S6_WzA2Mj")
        .claim("name", "Ada Lovelace")
        .claim("email", "ada@example.com")
        .sign();
    let (text, statuses) = case.transcript(&id_token, &API);
    assert_eq!(statuses, [0, 0, 1, 1]);
    snapshot("id_token_sent_to_an_api", &text);

    // The same token is what a client application verifies at login.
    let login = ["--issuer", DEFAULT_ISSUER, "--jwks", "jwks.json", "--id-token", "--client-id", DEFAULT_CLIENT_ID];
    let run = case.run(&[&["verify"][..], &login, &["--nonce", "n-0S6_WzA2Mj", &id_token]].concat(), "", &[]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    snapshot("id_token_verified_at_login", &run.stdout);
    let run = case.run(&[&["verify"][..], &login, &["--nonce", "another", &id_token]].concat(), "", &[]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("✗ nonce"), "{}", run.stdout);
}

#[test]
fn expired_token() {
    let dev = DevIssuer::new();
    let case = Case::new("expired_token", &dev);
    // Issued 3 h 17 min ago, for five minutes: expired 3 h 12 min ago.
    let expired = access(&dev).issued_at(NOW - 11_520 - 300).sign();
    let (text, statuses) = case.transcript(&expired, &API);
    assert_eq!(statuses, [0, 0, 1, 1]);
    assert!(text.contains("expired 3 h 12 min ago"), "{text}");
    snapshot("expired_token", &text);
}

#[test]
fn wrong_audience() {
    let dev = DevIssuer::new();
    let case = Case::new("wrong_audience", &dev);
    let token = access(&dev).audience("https://billing.example").sign();
    let (text, statuses) = case.transcript(&token, &API);
    assert_eq!(statuses, [0, 0, 1, 1]);
    snapshot("wrong_audience", &text);
}

#[test]
fn forged_signature() {
    let dev = DevIssuer::new();
    let case = Case::new("forged_signature", &dev);
    // The same claims and key ID, signed by another key.
    let forger = DevIssuer::new();
    let token = access(&forger).sign();
    let (text, statuses) = case.transcript(&token, &API);
    assert_eq!(statuses, [0, 0, 1, 1]);
    snapshot("forged_signature", &text);
}

#[test]
fn malformed_token() {
    let dev = DevIssuer::new();
    let case = Case::new("malformed_token", &dev);
    // A token cut short while being copied: its payload ends mid-way.
    let token = access(&dev).sign();
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let cut = format!("{head}.{}.{signature}", &payload[..payload.len() / 2]);
    let (text, statuses) = case.transcript(&cut, &API);
    assert_eq!(statuses, [1, 1, 1, 1]);
    snapshot("malformed_token", &text);
}

#[test]
fn garbage_input() {
    let dev = DevIssuer::new();
    let case = Case::new("garbage_input", &dev);
    let (text, statuses) = case.transcript("this is not a token", &API);
    assert_eq!(statuses, [1, 1, 1, 1]);
    snapshot("garbage_input", &text);
}

/// A provider-shaped access token: inspected, then verified under its profile.
fn provider(name: &str, iss: &str, audience: &str, profile: &str, typ: Option<&str>, claims: &Value) {
    let dev = DevIssuer::new().issuer_url(iss);
    let case = Case::new(name, &dev);
    let token = mint(&dev, typ, claims);
    let verify = ["--issuer", iss, "--audience", audience, "--profile", profile, "--jwks", "jwks.json"];
    let (text, statuses) = case.transcript(&token, &verify);
    assert_eq!(statuses, [0, 0, 0, 0], "{text}");
    snapshot(name, &text);
}

#[test]
fn auth0_access_token() {
    let iss = "https://tenant.eu.auth0.com/";
    provider(
        "auth0_access_token",
        iss,
        "https://messages.example",
        "auth0",
        Some("JWT"),
        &json!({
            "iss": iss, "sub": "auth0|64f1", "azp": "spa-client-id",
            "aud": ["https://messages.example", "https://tenant.eu.auth0.com/userinfo"],
            "iat": NOW - 60, "exp": NOW + 86_340, "scope": "openid profile read:messages",
            "permissions": ["read:messages", "delete:messages"]
        }),
    );
}

#[test]
fn keycloak_access_token() {
    let iss = "https://sso.example/realms/acme";
    provider(
        "keycloak_access_token",
        iss,
        "messages-api",
        "keycloak",
        Some("JWT"),
        &json!({
            "iss": iss, "sub": "f:1b2c", "typ": "Bearer", "azp": "web-app", "aud": ["messages-api", "account"],
            "iat": NOW - 60, "exp": NOW + 240, "scope": "openid email write:messages", "jti": "onrtac:1",
            "realm_access": {"roles": ["user", "editor"]},
            "resource_access": {"messages-api": {"roles": ["moderator"]}}
        }),
    );
}

#[test]
fn okta_access_token() {
    let iss = "https://acme.okta.com/oauth2/default";
    provider(
        "okta_access_token",
        iss,
        "api://default",
        "okta",
        None,
        &json!({
            "ver": 1, "jti": "AT.k2Gx0", "iss": iss, "aud": "api://default", "iat": NOW - 60, "exp": NOW + 3540,
            "cid": "0oa1client", "uid": "00u1", "scp": ["openid", "read:messages"], "sub": "ada@example.com",
            "groups": ["Everyone", "Editors"]
        }),
    );
}

#[test]
fn entra_access_token() {
    let iss = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
    provider(
        "entra_access_token",
        iss,
        "api://messages",
        "entra",
        Some("JWT"),
        &json!({
            "aud": "api://messages", "iss": iss, "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 3540,
            "azp": "6e74172b-client", "azpacr": "0", "name": "Ada", "oid": "690222be",
            "scp": "read:messages", "roles": ["Messages.Admin"], "sub": "AAAAAAAAAA", "tid": "72f988bf", "ver": "2.0"
        }),
    );
}

#[test]
fn cognito_access_token() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf";
    provider(
        "cognito_access_token",
        iss,
        "3n4b5urk1ft4fl3mg5e62d9ado",
        "cognito",
        None,
        &json!({
            "sub": "aaaaaaaa-bbbb", "cognito:groups": ["admin"], "iss": iss, "version": 2,
            "client_id": "3n4b5urk1ft4fl3mg5e62d9ado", "token_use": "access", "scope": "read:messages",
            "auth_time": NOW - 60, "exp": NOW + 3540, "iat": NOW - 60, "jti": "4f1c", "username": "ada"
        }),
    );
}

#[test]
fn other_kinds_of_token_are_told_apart() {
    let dev = DevIssuer::new();
    let case = Case::new("other_kinds", &dev);
    let kind = |token: &str| -> Value {
        let run = case.run(&["inspect", "--json", token], "", &[]);
        assert_eq!(run.status, 0);
        serde_json::from_str::<Value>(&run.stdout).unwrap()["kind"].clone()
    };
    let logout = mint(
        &dev,
        Some("logout+jwt"),
        &json!({"iss": DEFAULT_ISSUER, "aud": DEFAULT_CLIENT_ID, "iat": NOW, "jti": "l1", "sid": "s1",
                "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}),
    );
    assert_eq!(kind(&logout)["kind"], "logout_token");
    let proof =
        mint(&dev, Some("dpop+jwt"), &json!({"htm": "GET", "htu": "https://api.example/x", "iat": NOW, "jti": "p1"}));
    assert_eq!(kind(&proof)["kind"], "dpop_proof");
    let bound = access(&dev).claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})).sign();
    let run = case.run(&["inspect", &bound], "", &[]);
    assert!(run.stdout.contains("DPoP-bound"), "{}", run.stdout);
    let run = case.run(&[&["verify"][..], &API, &[&bound]].concat(), "", &[]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("✗ sender constraint"), "{}", run.stdout);
    let unknown = mint(&dev, Some("JWT"), &json!({"iss": DEFAULT_ISSUER, "sub": "x"}));
    assert_eq!(kind(&unknown)["kind"], "unknown");
}

#[test]
fn the_token_is_read_from_standard_input() {
    let dev = DevIssuer::new();
    let case = Case::new("stdin", &dev);
    let token = access(&dev).sign();
    let from_argument = case.run(&["inspect", &token], "", &[]);
    let from_stdin = case.run(&["inspect"], &format!("Bearer {token}\n"), &[]);
    assert_eq!(from_stdin.status, 0);
    assert_eq!(from_stdin.stdout, from_argument.stdout);
    let verified = case.run(&[&["verify"][..], &API].concat(), &format!("{token}\n"), &[]);
    assert_eq!(verified.status, 0, "{}", verified.stdout);
    // The signature is never printed.
    let signature = token.rsplit('.').next().unwrap();
    for run in [&from_argument, &verified] {
        assert!(!run.stdout.contains(signature));
    }
}

#[test]
fn usage_and_configuration_errors_exit_with_2() {
    let dev = DevIssuer::new();
    let case = Case::new("usage", &dev);
    let token = access(&dev).sign();
    std::fs::write(case.dir.join("bad.json"), "{\"keys\": 3}").unwrap();
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["verify", &token],
        vec!["verify", "--issuer", DEFAULT_ISSUER, "--audience", DEFAULT_AUDIENCE, &token],
        vec![
            "verify",
            "--issuer",
            DEFAULT_ISSUER,
            "--audience",
            "a",
            "--profile",
            "google",
            "--jwks",
            "jwks.json",
            &token,
        ],
        vec!["verify", "--issuer", DEFAULT_ISSUER, "--audience", "a", "--jwks", "missing.json", &token],
        vec!["verify", "--issuer", DEFAULT_ISSUER, "--audience", "a", "--jwks", "bad.json", &token],
        vec!["verify", "--issuer", DEFAULT_ISSUER, "--id-token", "--jwks", "jwks.json", &token],
        vec!["verify", "--issuer", "", "--audience", "a", "--jwks", "jwks.json", &token],
        vec!["verify", "--issuer", DEFAULT_ISSUER, "--audience", "a", "--jwks-uri", "http://keys.example/jwks", &token],
    ] {
        let run = case.run(&args, "", &[]);
        assert_eq!(run.status, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn colour_only_on_request_and_never_with_no_color() {
    let dev = DevIssuer::new();
    let case = Case::new("colour", &dev);
    let token = access(&dev).audience("https://billing.example").sign();
    let has_escapes = |run: &Run| run.stdout.contains('\u{1b}');
    for command in [vec!["inspect", &token], [&["verify"][..], &API, &[&token]].concat()] {
        // Not a terminal: no colour.
        assert!(!has_escapes(&case.run(&command, "", &[])));
        // Forced (CLICOLOR_FORCE, or --color always): colour.
        assert!(has_escapes(&case.run(&command, "", &[("CLICOLOR_FORCE", "1")])));
        let always = [&["--color", "always"][..], &command].concat();
        assert!(has_escapes(&case.run(&always, "", &[])));
        // NO_COLOR wins over CLICOLOR_FORCE.
        assert!(!has_escapes(&case.run(&command, "", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])));
        let never = [&["--color", "never"][..], &command].concat();
        assert!(!has_escapes(&case.run(&never, "", &[("CLICOLOR_FORCE", "1")])));
    }
}

#[test]
fn escape_sequences_in_claims_never_reach_the_terminal() {
    let dev = DevIssuer::new();
    let case = Case::new("escapes", &dev);
    let token = access(&dev).subject("\u{1b}]0;pwned\u{7}\u{1b}[2J").claim("note", "\u{1b}[31m").sign();
    for command in [vec!["inspect", &token], [&["verify"][..], &API, &[&token]].concat()] {
        let run = case.run(&command, "", &[]);
        assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    }
}

/// A listener that counts the connections it gets, for the length of a test.
fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

#[test]
fn a_token_never_causes_a_fetch_of_a_url_it_names() {
    let (listener, url) = listener();
    let dev = DevIssuer::new().issuer_url(&url);
    let case = Case::new("no_fetch", &dev);
    // `iss`, `jku` and `x5u` all name the listener.
    let header =
        json!({"alg": "ES256", "typ": "at+jwt", "kid": KID, "jku": format!("{url}/jwks"), "x5u": format!("{url}/x5u")});
    let token = access(&dev).sign();
    let (_, rest) = token.split_once('.').unwrap();
    let token = format!("{}.{rest}", base64_url(&header.to_string()));
    let run = case.run(&["inspect", &token], "", &[]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("jku, x5u: never used"), "{}", run.stdout);
    let verify = ["verify", "--issuer", &url, "--audience", DEFAULT_AUDIENCE, "--jwks", "jwks.json", &token];
    let run = case.run(&verify, "", &[]);
    assert_eq!(run.status, 1, "the header changed, so the signature fails: {}", run.stdout);
    assert!(listener.accept().is_err(), "tokenkind connected to a URL the token names");
}

#[test]
fn keys_are_fetched_from_the_jwks_uri_the_user_gives() {
    let dev = DevIssuer::new();
    let case = Case::new("jwks_uri", &dev);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let body = jwks(&dev);
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).unwrap();
        String::from_utf8_lossy(&request).lines().next().unwrap_or_default().to_owned()
    });
    let token = access(&dev).sign();
    let run = case.run(
        &["verify", "--issuer", DEFAULT_ISSUER, "--audience", DEFAULT_AUDIENCE, "--jwks-uri", &url, &token],
        "",
        &[],
    );
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("with the keys of {url} (1 key)")), "{}", run.stdout);
    assert_eq!(server.join().unwrap(), "GET /jwks HTTP/1.1");
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
