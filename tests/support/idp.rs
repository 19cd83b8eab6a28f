//! A real OpenID Provider for the tests: panva's oidc-provider (pinned in
//! `tests/idp/package-lock.json`) run by Node.js on 127.0.0.1 with a free
//! port. `npm ci` runs first when `tests/idp/node_modules` is missing. The
//! process is killed by PID when the handle is dropped, also on panic.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The API identifiers the provider issues JWT access tokens for.
pub const API_RS256: &str = "https://api.tokenkind.test/rs256";
pub const API_ES256: &str = "https://api.tokenkind.test/es256";
/// The API identifier the provider issues opaque access tokens for (RFC 7662 introspection).
pub const API_OPAQUE: &str = "https://api.tokenkind.test/opaque";
/// The API's own clients, to introspect tokens: with a secret, with
/// `private_key_jwt` (its key is [`Provider::api_client_key`]), and one
/// whose introspection answers are signed (RFC 9701).
pub const API_CLIENT: (&str, &str) = ("api", "api-secret");
pub const API_JWT_CLIENT: &str = "api-jwt";
pub const API_SIGNED_CLIENT: (&str, &str) = ("api-signed", "api-signed-secret");
/// The client of the authorization code flow (the ID tokens' audience).
pub const WEB_CLIENT: &str = "web-app";
const WEB_SECRET: &str = "web-app-secret";
const REDIRECT_URI: &str = "http://127.0.0.1/callback";

fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("idp")
}

/// Checks Node.js ≥ 20 and installs the locked packages once per test binary.
fn prepare() -> Result<(), String> {
    const INSTALL_NODE: &str = "these tests run a real OpenID Provider and need Node.js 20 or later \
                                with npm on PATH: install Node.js >= 20 (https://nodejs.org)";
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    static INSTALL: Mutex<()> = Mutex::new(());
    READY
        .get_or_init(|| {
            let _guard = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let version =
                Command::new("node").arg("--version").output().map_err(|e| format!("{INSTALL_NODE} ({e})"))?;
            let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
            let major: u32 =
                version.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
            if major < 20 {
                return Err(format!("{INSTALL_NODE} (found {version:?})"));
            }
            let dir = idp_dir();
            if ["oidc-provider", "dpop"].iter().any(|p| !dir.join("node_modules").join(p).exists()) {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&dir)
                    .stdout(Stdio::null())
                    .status()
                    .map_err(|e| format!("{INSTALL_NODE} (npm: {e})"))?;
                if !status.success() {
                    return Err(format!("`npm ci` in {} failed: {status}", dir.display()));
                }
            }
            Ok(())
        })
        .clone()
}

/// The running provider.
pub struct Provider {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    pub issuer: String,
    pub kids: Vec<String>,
    /// The `api-jwt` client's private key (PEM, ES256, `kid` `api-jwt-key`).
    pub api_client_key: String,
}

impl Provider {
    /// Starts a provider with one RSA and one P-256 key.
    ///
    /// # Panics
    /// When Node.js is missing or too old (saying to install it), or the provider does not start.
    pub fn start() -> Self {
        if let Err(message) = prepare() {
            panic!("{message}");
        }
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(idp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // The provider's warnings and errors, when asked for (`TOKENKIND_IDP_STDERR=1`).
            .stderr(if std::env::var_os("TOKENKIND_IDP_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut provider =
            Self { child, stdin, lines, issuer: String::new(), kids: Vec::new(), api_client_key: String::new() };
        let ready = provider.answer();
        ready["issuer"].as_str().expect("issuer").clone_into(&mut provider.issuer);
        ready["apiClientKey"].as_str().expect("apiClientKey").clone_into(&mut provider.api_client_key);
        provider.kids = kids(&ready);
        provider
    }

    fn answer(&mut self) -> Value {
        let value: Value = loop {
            let line = self.lines.recv_timeout(Duration::from_secs(30)).expect("the provider answers within 30 s");
            // The provider's own notices are not answers.
            if let Ok(value) = serde_json::from_str(&line) {
                break value;
            }
        };
        assert!(value.get("error").is_none(), "provider error: {value}");
        value
    }

    fn command(&mut self, command: &str) -> Vec<String> {
        writeln!(self.stdin, "{command}").expect("write to the provider");
        self.stdin.flush().expect("flush");
        kids(&self.answer())
    }

    /// A new key of type `kty` (`RSA` or `EC`) signs from now on; the old ones stay published.
    pub fn rotate(&mut self, kty: &str) -> Vec<String> {
        self.kids = self.command(&format!("{{\"cmd\":\"rotate\",\"kty\":\"{kty}\"}}"));
        self.kids.clone()
    }

    /// Only the newest key of each type stays published.
    pub fn retire_old_keys(&mut self) -> Vec<String> {
        self.kids = self.command("{\"cmd\":\"retire\"}");
        self.kids.clone()
    }

    /// A JWT access token for `resource` from the client credentials grant.
    pub async fn access_token(&self, resource: &str, scope: &str) -> String {
        let response = client()
            .post(format!("{}/token", self.issuer))
            .basic_auth("machine", Some("machine-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("grant_type", "client_credentials"), ("resource", resource), ("scope", scope)]))
            .send()
            .await
            .expect("token request");
        let body: Value = response.json_value().await;
        body["access_token"].as_str().unwrap_or_else(|| panic!("no access token: {body}")).to_owned()
    }

    /// Revokes `token` (RFC 7009) as the `machine` client that obtained it.
    pub async fn revoke(&self, token: &str) {
        let response = client()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth("machine", Some("machine-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("token", token), ("token_type_hint", "access_token")]))
            .send()
            .await
            .expect("revocation request");
        assert_eq!(response.status(), 200, "revocation");
    }

    /// A JWT access token bound to the client certificate `certificate_pem`
    /// (RFC 8705 §3), from the client credentials grant of the `mtls-machine`
    /// client. The provider reads the certificate from a header, as it would
    /// from a TLS-terminating proxy in front of it.
    pub async fn certificate_bound_access_token(&self, resource: &str, scope: &str, certificate_pem: &str) -> String {
        let encoded: String = form(&[("c", certificate_pem)]).trim_start_matches("c=").to_owned();
        let response = client()
            .post(format!("{}/token", self.issuer))
            .basic_auth("mtls-machine", Some("mtls-machine-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-client-certificate", encoded)
            .body(form(&[("grant_type", "client_credentials"), ("resource", resource), ("scope", scope)]))
            .send()
            .await
            .expect("token request");
        let body: Value = response.json_value().await;
        body["access_token"].as_str().unwrap_or_else(|| panic!("no access token: {body}")).to_owned()
    }

    /// An ID token from the authorization code flow with PKCE and `nonce`,
    /// driven through the provider's development login and consent forms.
    pub async fn id_token(&self, nonce: &str) -> String {
        let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
        let challenge =
            URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()));
        let query = form(&[
            ("client_id", WEB_CLIENT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", REDIRECT_URI),
            ("nonce", nonce),
            ("state", "state-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let http = client();
        // (name, path, value): the provider scopes its interaction cookies by path.
        let mut jar: Vec<(String, String, String)> = Vec::new();
        let mut next = format!("{}/auth?{query}", self.issuer);
        let mut form_post: Option<(String, String)> = None;
        let code = 'flow: {
            for _ in 0..12 {
                let (request, url) = match form_post.take() {
                    Some((action, body)) => (
                        http.post(&action).header("content-type", "application/x-www-form-urlencoded").body(body),
                        action,
                    ),
                    None => (http.get(&next), next.clone()),
                };
                let path = url.splitn(4, '/').nth(3).map(|p| format!("/{}", p.split('?').next().unwrap_or("")));
                let path = path.unwrap_or_else(|| "/".into());
                let cookie = jar
                    .iter()
                    .filter(|(_, p, _)| path.starts_with(p.as_str()))
                    .map(|(n, _, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                let response = request.header("cookie", cookie).send().await.expect("login flow request");
                for set in response.headers().get_all("set-cookie") {
                    let set = set.to_str().unwrap();
                    let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
                    let path = set.split(';').find_map(|a| a.trim().strip_prefix("path=")).unwrap_or("/").to_owned();
                    jar.retain(|(n, p, _)| !(n == name && *p == path));
                    if !value.is_empty() {
                        jar.push((name.to_owned(), path, value.to_owned()));
                    }
                }
                if response.status().is_redirection() {
                    let location = response.headers()["location"].to_str().unwrap().to_owned();
                    if let Some(query) = location.strip_prefix(&format!("{REDIRECT_URI}?")) {
                        break 'flow param(query, "code").unwrap_or_else(|| panic!("no code in {location}"));
                    }
                    next = if location.starts_with('/') { format!("{}{location}", self.issuer) } else { location };
                    continue;
                }
                form_post = Some(filled_form(&response.text().await.unwrap(), &self.issuer));
            }
            panic!("the login flow did not end with a code");
        };
        let response = http
            .post(format!("{}/token", self.issuer))
            .basic_auth(WEB_CLIENT, Some(WEB_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ]))
            .send()
            .await
            .expect("token request");
        let body: Value = response.json_value().await;
        body["id_token"].as_str().unwrap_or_else(|| panic!("no ID token: {body}")).to_owned()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kids(v: &Value) -> Vec<String> {
    v["kids"].as_array().expect("kids").iter().map(|k| k.as_str().unwrap().to_owned()).collect()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let text = self.text().await.expect("a body");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }
}

fn rand_bytes() -> [u8; 32] {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut b = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut b).unwrap();
    b
}

/// `application/x-www-form-urlencoded`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|p| p.strip_prefix(&format!("{name}="))).map(str::to_owned)
}

/// The form of one of the provider's development login or consent pages,
/// filled in to sign in `alice` (any password): where it posts (an absolute
/// URL) and its `application/x-www-form-urlencoded` body.
pub fn filled_form(html: &str, issuer: &str) -> (String, String) {
    let action = attr_after(html, "<form", "action").unwrap_or_else(|| panic!("no form in {html}"));
    let mut fields: Vec<(String, String)> = inputs(html);
    if html.contains("name=\"login\"") {
        fields.push(("login".into(), "alice".into()));
        fields.push(("password".into(), "any".into()));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let action = if action.starts_with('/') { format!("{issuer}{action}") } else { action };
    (action, form(&pairs))
}

/// The value of attribute `attr` in the first tag starting with `tag`.
fn attr_after(html: &str, tag: &str, attr: &str) -> Option<String> {
    let start = html.find(tag)?;
    let end = start + html[start..].find('>')?;
    let element = &html[start..end];
    let at = element.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(element[at..].split('"').next()?.to_owned())
}

/// The hidden inputs of the page's form.
fn inputs(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input type=\"hidden\"")
        .filter_map(|(i, _)| {
            let element = &html[i..=i + html[i..].find('>')?];
            let name = attr_after(element, "<input", "name")?;
            let value = attr_after(element, "<input", "value").unwrap_or_default();
            Some((name, value))
        })
        .collect()
}
