//! A web application that logs users in with OpenID Connect and calls the
//! messages API on their behalf, on axum.
//!
//! ```sh
//! cargo run --example login_client
//! ```
//!
//! With no configuration it starts a development OpenID Provider in the same
//! process (it signs in `dev-user` without asking) and prints how to start
//! the messages API against it. To log in at a real provider instead:
//!
//! | variable | meaning |
//! |---|---|
//! | `TOKENKIND_ISSUER` | the provider's issuer URL (discovered: endpoints and keys) |
//! | `TOKENKIND_CLIENT_ID` | this client's ID at the provider |
//! | `TOKENKIND_CLIENT_SECRET` | its secret (`client_secret_basic`), if it has one |
//! | `TOKENKIND_SCOPE` | the API scopes to ask for besides `openid` (default `read:messages`) |
//! | `TOKENKIND_RESOURCE` | the API's resource indicator (RFC 8707), if the provider wants one |
//! | `TOKENKIND_MESSAGES_API` | the messages API's base URL (default `http://127.0.0.1:3000`) |
//! | `PORT` | the port on 127.0.0.1 (default 3001; 0 picks a free one); the redirect URI is `http://127.0.0.1:PORT/callback` |
//!
//! The flow: `/login` sends the browser to the provider with a PKCE
//! challenge, a `state` (also kept in a cookie) and a `nonce` (oauth2
//! builds the URL); `/callback` redeems the code (oauth2 sends the request,
//! tokenkind reads the answer), verifies the ID token with its nonce and
//! `at_hash`, keeps the access token on the server and puts only the
//! subject and a session id in a cookie signed with HMAC-SHA256;
//! `/messages` calls the API with the opaque access token.

mod dev_provider;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenUrl,
};
use serde::Deserialize;
use tokenkind::client::oauth2::{ReqwestClient, exchange_code};
use tokenkind::client::{OpaqueAccessToken, SendAccessToken as _, TokenResponse};
use tokenkind::{IdTokenVerifier, NoClaims, Nonce};

type OAuthClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

const LOGIN_COOKIE: &str = "tk_login";
const SESSION_COOKIE: &str = "tk_session";

/// What `/login` remembers until the provider sends the browser back.
struct PendingLogin {
    pkce_verifier: PkceCodeVerifier,
    nonce: String,
}

#[derive(Clone)]
struct App {
    oauth: Arc<OAuthClient>,
    http: ReqwestClient,
    api_client: reqwest::Client,
    login: IdTokenVerifier<NoClaims>,
    scopes: Arc<[String]>,
    resource: Option<Arc<str>>,
    messages_api: Arc<str>,
    cookie_key: hmac::Key,
    /// Logins under way, by `state`. In memory for the example: an
    /// application keeps them in its session store, with an expiry.
    pending: Arc<Mutex<HashMap<String, PendingLogin>>>,
    /// Session id → the access token, which never leaves the server (in
    /// memory for the example, without expiry).
    sessions: Arc<Mutex<HashMap<String, OpaqueAccessToken>>>,
}

#[derive(Deserialize)]
struct Endpoints {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Endpoints, String> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let response = http.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    let endpoints: Endpoints = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    // OpenID Connect Discovery 1.0 §4.3: the document names the issuer asked for.
    if endpoints.issuer != issuer {
        return Err(format!("{url} names the issuer {:?}, not {issuer:?}", endpoints.issuer));
    }
    Ok(endpoints)
}

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new().fill(&mut buf).expect("the system random generator works");
    URL_SAFE_NO_PAD.encode(buf)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (n, value) = c.trim().split_once('=')?;
        (n == name).then(|| value.to_owned())
    })
}

/// `SameSite=Lax`: the cookies come back on the provider's redirect to
/// `/callback`. Served over https, add `Secure`.
fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax")
}

impl App {
    /// `base64url(sub).session-id.base64url(HMAC-SHA256)`: the subject and
    /// a session id, never a token.
    fn session_cookie(&self, subject: &str, session_id: &str) -> String {
        let payload = format!("{}.{session_id}", URL_SAFE_NO_PAD.encode(subject));
        let tag = hmac::sign(&self.cookie_key, payload.as_bytes());
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The subject and session id of a cookie whose signature verifies.
    fn session(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let value = cookie(headers, SESSION_COOKIE)?;
        let (payload, tag) = value.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.cookie_key, payload.as_bytes(), &tag).ok()?;
        let (subject, session_id) = payload.split_once('.')?;
        let subject = String::from_utf8(URL_SAFE_NO_PAD.decode(subject).ok()?).ok()?;
        Some((subject, session_id.to_owned()))
    }
}

async fn home(State(app): State<App>, headers: HeaderMap) -> String {
    match app.session(&headers) {
        Some((subject, _)) => format!("signed in as {subject}: GET /messages\n"),
        None => "not signed in: GET /login\n".to_owned(),
    }
}

async fn login(State(app): State<App>) -> Response {
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random(24);
    let mut request = app
        .oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scopes(app.scopes.iter().map(|s| Scope::new(s.clone())))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone());
    if let Some(resource) = &app.resource {
        request = request.add_extra_param("resource", resource.to_string());
    }
    let (url, state) = request.url();
    app.pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(state.secret().clone(), PendingLogin { pkce_verifier, nonce });
    // The state also goes in a cookie: the callback must come from this browser.
    ([(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, state.secret()))], Redirect::to(url.as_str())).into_response()
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(State(app): State<App>, headers: HeaderMap, Query(callback): Query<Callback>) -> Response {
    if let Some(error) = callback.error {
        return (StatusCode::BAD_REQUEST, format!("the provider refused the login: {error}\n")).into_response();
    }
    let (Some(code), Some(state)) = (callback.code, callback.state) else {
        return (StatusCode::BAD_REQUEST, "no code or state\n").into_response();
    };
    if cookie(&headers, LOGIN_COOKIE).as_deref() != Some(state.as_str()) {
        return (StatusCode::BAD_REQUEST, "this login was not started in this browser\n").into_response();
    }
    let Some(pending) = app.pending.lock().unwrap_or_else(PoisonError::into_inner).remove(&state) else {
        return (StatusCode::BAD_REQUEST, "unknown or used login state\n").into_response();
    };
    let mut request = app.oauth.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(pending.pkce_verifier);
    if let Some(resource) = &app.resource {
        request = request.add_extra_param("resource", resource.to_string());
    }
    let response: TokenResponse = match exchange_code(request, &app.http).await {
        Ok(response) => response,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("the code exchange failed: {e}\n")).into_response(),
    };
    // The only way to the tokens: the ID token verified with this login's nonce, `at_hash` checked.
    let login = match response.verify_async(&app.login, Nonce::Expected(&pending.nonce)).await {
        Ok(login) => login,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("the login was refused: {e}\n")).into_response(),
    };
    let (id_token, tokens) = login.into_parts();
    let session_id = random(24);
    app.sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(session_id.clone(), tokens.access_token().clone());
    let session = app.session_cookie(id_token.subject(), &session_id);
    let mut headers = HeaderMap::new();
    headers.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session).parse().expect("a valid header"));
    headers.append(header::SET_COOKIE, format!("{LOGIN_COOKIE}=; Path=/; Max-Age=0").parse().expect("a valid header"));
    (headers, Redirect::to("/messages")).into_response()
}

async fn messages(State(app): State<App>, headers: HeaderMap) -> Response {
    let Some((subject, session_id)) = app.session(&headers) else {
        return (StatusCode::UNAUTHORIZED, "not signed in: GET /login\n").into_response();
    };
    let token = app.sessions.lock().unwrap_or_else(PoisonError::into_inner).get(&session_id).cloned();
    let Some(token) = token else {
        return (StatusCode::UNAUTHORIZED, "the session ended: GET /login\n").into_response();
    };
    let url = format!("{}/api/messages", app.messages_api);
    match app.api_client.get(&url).access_token(&token).send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            let code = if status == 200 { StatusCode::OK } else { StatusCode::BAD_GATEWAY };
            (code, format!("signed in as {subject}\nGET {url}: {status}\n{body}\n")).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("GET {url} failed: {e}\n")).into_response(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = env("PORT").map_or(Ok(3001), |p| p.parse())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let redirect_uri = format!("{base}/callback");
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;

        let (issuer, client_id, client_secret) = if let Some(issuer) = env("TOKENKIND_ISSUER") {
            let client_id = env("TOKENKIND_CLIENT_ID").ok_or("TOKENKIND_CLIENT_ID must be set with TOKENKIND_ISSUER")?;
            (issuer, client_id, env("TOKENKIND_CLIENT_SECRET"))
        } else {
            // A development provider on its own port, trusting this client only.
            let provider = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            let issuer = format!("http://{}", provider.local_addr()?);
            let dev = tokenkind::dev::DevIssuer::new().issuer_url(&issuer).client(dev_provider::CLIENT_ID);
            println!("development provider at {issuer} (signs in dev-user without asking)");
            println!(
                "start the messages API against it:\n  TOKENKIND_ISSUER={issuer} TOKENKIND_AUDIENCE={} cargo run --example messages_api",
                dev.audience()
            );
            tokio::spawn(dev_provider::serve(provider, dev, redirect_uri.clone()));
            (issuer, dev_provider::CLIENT_ID.to_owned(), Some(dev_provider::CLIENT_SECRET.to_owned()))
        };

        let endpoints = discover(&no_redirects, &issuer).await?;
        let mut oauth = BasicClient::new(ClientId::new(client_id.clone()))
            .set_auth_uri(AuthUrl::new(endpoints.authorization_endpoint)?)
            .set_token_uri(TokenUrl::new(endpoints.token_endpoint)?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri)?);
        if let Some(secret) = client_secret {
            oauth = oauth.set_client_secret(ClientSecret::new(secret));
        }
        let login_verifier = IdTokenVerifier::<NoClaims>::builder(&issuer, &client_id).discovery().build()?;
        let key = {
            let mut secret = [0u8; 32];
            SystemRandom::new().fill(&mut secret).map_err(|_| "no randomness")?;
            hmac::Key::new(hmac::HMAC_SHA256, &secret)
        };
        let scopes: Vec<String> =
            env("TOKENKIND_SCOPE").unwrap_or_else(|| "read:messages".into()).split(' ').map(str::to_owned).collect();
        let app = App {
            oauth: Arc::new(oauth),
            http: ReqwestClient::new(no_redirects.clone()),
            api_client: no_redirects,
            login: login_verifier,
            scopes: scopes.into(),
            resource: env("TOKENKIND_RESOURCE").map(Into::into),
            messages_api: env("TOKENKIND_MESSAGES_API").unwrap_or_else(|| "http://127.0.0.1:3000".into()).into(),
            cookie_key: key,
            pending: Arc::default(),
            sessions: Arc::default(),
        };
        let router = Router::new()
            .route("/", get(home))
            .route("/login", get(login))
            .route("/callback", get(callback))
            .route("/messages", get(messages))
            .with_state(app);
        println!("listening on {base}");
        println!("sign in: open {base}/login");
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
