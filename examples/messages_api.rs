//! A messages API protected by tokenkind, on axum.
//!
//! ```sh
//! cargo run --example messages_api
//! ```
//!
//! With no configuration it starts an embedded development issuer and prints
//! ready-to-paste `curl` commands with freshly minted tokens. To trust a real
//! issuer instead:
//!
//! | variable | meaning |
//! |---|---|
//! | `TOKENKIND_ISSUER` | the issuer URL, compared byte for byte with `iss` |
//! | `TOKENKIND_AUDIENCE` | this API's identifier, looked for in `aud` |
//! | `TOKENKIND_JWKS_FILE` | a JWKS document with the issuer's keys |
//! | `TOKENKIND_PROFILE` | `rfc9068` (default), `auth0`, `keycloak`, `okta`, `entra`, `cognito` |
//! | `PORT` | the port on 127.0.0.1 (default 3000; 0 picks a free one) |
//!
//! Routes: `GET /api/public` (no token needed), `GET /api/messages`
//! (`read:messages`), `POST /api/messages` (`write:messages`),
//! `DELETE /api/messages/{id}` (`delete:messages`), `GET /health`.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokenkind::dev::DevIssuer;
use tokenkind::{AccessToken, AccessTokenVerifier, Granted, KeySet, Profile, Scopes, requires_scope};

/// The scopes this API declares.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
#[allow(clippy::enum_variant_names)] // the variants mirror the scope strings
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

#[derive(Clone, Serialize)]
struct Message {
    id: u64,
    author: String,
    text: String,
}

#[derive(Deserialize)]
struct NewMessage {
    text: String,
}

/// The in-memory message store. Deleting needs proof that `delete:messages` was checked.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<(u64, Vec<Message>)>>);

impl Store {
    fn list(&self) -> Vec<Message> {
        self.0.lock().map(|g| g.1.clone()).unwrap_or_default()
    }

    fn add(&self, _: Granted<api_scope::WriteMessages>, author: &str, text: String) -> Message {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.0 += 1;
        let message = Message { id: guard.0, author: author.to_owned(), text };
        guard.1.push(message.clone());
        message
    }

    fn delete(&self, _: Granted<api_scope::DeleteMessages>, id: u64) -> bool {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = guard.1.len();
        guard.1.retain(|m| m.id != id);
        guard.1.len() != before
    }
}

#[derive(Clone)]
struct AppState {
    verifier: AccessTokenVerifier<Api>,
    store: Store,
}

// The extractors find the verifier in the state; without this the router does not compile.
impl FromRef<AppState> for AccessTokenVerifier<Api> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

async fn public(token: Option<AccessToken<Api>>) -> Json<serde_json::Value> {
    let greeting = token.map_or_else(|| "hello, stranger".to_owned(), |t| format!("hello, {}", t.subject()));
    Json(serde_json::json!({ "message": greeting }))
}

#[requires_scope("read:messages")]
async fn list_messages(_token: AccessToken<Api>, State(state): State<AppState>) -> Json<Vec<Message>> {
    Json(state.store.list())
}

#[requires_scope("write:messages")]
async fn post_message(
    token: AccessToken<Api>,
    State(state): State<AppState>,
    Json(new): Json<NewMessage>,
) -> (StatusCode, Json<Message>) {
    (StatusCode::CREATED, Json(state.store.add(token.grant(), token.subject(), new.text)))
}

#[requires_scope("delete:messages")]
async fn delete_message(token: AccessToken<Api>, State(state): State<AppState>, Path(id): Path<u64>) -> StatusCode {
    if state.store.delete(token.grant(), id) { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }
}

async fn health() -> &'static str {
    "ok"
}

fn app(verifier: AccessTokenVerifier<Api>) -> Router {
    Router::new()
        .route("/api/public", get(public))
        .route("/api/messages", get(list_messages).post(post_message))
        .route("/api/messages/{id}", delete(delete_message))
        .route("/health", get(health))
        .with_state(AppState { verifier, store: Store::default() })
}

/// The verifier the environment asks for, and the development issuer when
/// no issuer is configured.
fn verifier_from_env() -> Result<(AccessTokenVerifier<Api>, Option<DevIssuer>), String> {
    let Ok(issuer) = std::env::var("TOKENKIND_ISSUER") else {
        let dev = DevIssuer::new();
        let verifier = dev.access_token_verifier::<Api>().build().map_err(|e| e.to_string())?;
        return Ok((verifier, Some(dev)));
    };
    let audience = std::env::var("TOKENKIND_AUDIENCE").map_err(|_| "TOKENKIND_AUDIENCE must be set with TOKENKIND_ISSUER")?;
    let profile = match std::env::var("TOKENKIND_PROFILE") {
        Ok(name) => Profile::from_name(&name).ok_or_else(|| format!("unknown TOKENKIND_PROFILE {name:?}"))?,
        Err(_) => Profile::default(),
    };
    let path = std::env::var("TOKENKIND_JWKS_FILE").map_err(|_| "TOKENKIND_JWKS_FILE must name the issuer's JWKS")?;
    let jwks = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let keys = KeySet::from_jwks(&jwks).map_err(|e| format!("{path}: {e}"))?;
    let verifier = AccessTokenVerifier::<Api>::builder(issuer, audience)
        .keys(keys)
        .profile(profile)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((verifier, None))
}

/// Ready-to-paste commands that show a 200, a 403 and a 401.
fn print_try_it(base: &str, dev: &DevIssuer) {
    let reader = dev.access_token().subject("ada").scope("read:messages").expires_in(3600).sign();
    let id_token = dev.id_token().subject("ada").nonce("n-0S6_WzA2Mj").expires_in(3600).sign();
    println!("\ndevelopment issuer {} — tokens below are valid for one hour\n", dev.issuer());
    println!("# 200: read:messages is granted");
    println!("curl -i {base}/api/messages -H 'Authorization: Bearer {reader}'\n");
    println!("# 403: posting needs write:messages");
    println!(
        "curl -i -X POST {base}/api/messages -H 'Authorization: Bearer {reader}' -H 'Content-Type: application/json' -d '{{\"text\":\"hi\"}}'\n"
    );
    println!("# 401: an ID token is not an access token");
    println!("curl -i {base}/api/messages -H 'Authorization: Bearer {id_token}'\n");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (verifier, dev) = verifier_from_env()?;
    let port: u16 = std::env::var("PORT").ok().map_or(Ok(3000), |p| p.parse())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        println!("listening on {base}");
        if let Some(dev) = &dev {
            print_try_it(&base, dev);
        }
        axum::serve(listener, app(verifier))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
