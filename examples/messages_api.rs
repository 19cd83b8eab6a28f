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
//! | `TOKENKIND_DPOP` | `off` (default), `allowed` or `required`: DPoP-bound tokens (RFC 9449) |
//! | `TOKENKIND_DPOP_NONCE` | `1`: DPoP proofs must carry a server nonce |
//! | `TOKENKIND_REDIS_URL` | `redis://host:port/`: the DPoP replay store in Redis (default: in memory) |
//! | `TOKENKIND_PUBLIC_ORIGIN` | the origin DPoP proofs name (`https://api.example`) behind a proxy |
//! | `TOKENKIND_ROLE_CLAIM` | the claim holding the user's roles (default: the profile's, `roles` under `rfc9068`) |
//! | `TOKENKIND_KEYCLOAK_CLIENT` | read Keycloak client roles of this client (`resource_access.{client}.roles`) |
//! | `TOKENKIND_INTROSPECTION` | `off` (default), `opaque` (JWTs verified locally, other tokens introspected, RFC 7662) or `always` |
//! | `TOKENKIND_INTROSPECTION_URL` | the introspection endpoint (default: from the issuer's discovery document) |
//! | `TOKENKIND_CLIENT_ID`, `TOKENKIND_CLIENT_SECRET` | this API's credentials at the introspection endpoint |
//! | `TOKENKIND_INTROSPECTION_CACHE_SECS` | the longest an introspection answer is reused (default 60) |
//! | `TOKENKIND_INTROSPECTION_WITHOUT_SUBJECT` | `1`: accept introspected tokens without `sub` (client credentials); the client id is then the subject |
//! | `PORT` | the port on 127.0.0.1 (default 3000; 0 picks a free one) |
//!
//! Routes: `GET /api/public` (no token needed), `GET /api/messages`
//! (`read:messages`), `POST /api/messages` (`write:messages`),
//! `DELETE /api/messages/{id}` (`delete:messages`), `GET /api/admin`
//! (`read:messages` and the user role `admin`), `DELETE /api/messages`
//! (`delete:messages` and `acr` `mfa` within 300 seconds), `GET /health`,
//! and the RFC 9728 metadata at `/.well-known/oauth-protected-resource`
//! followed by the audience's path (when the audience is a URL).

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use tokenkind::http::ResourceServer;
use tokenkind::web::axum::protected_resource_metadata;
use tokenkind::{AccessToken, requires_auth, requires_role, requires_scope};
// The scope enum, the store and the environment handling, shared with the actix-web example.
use tokenkind_suite::messages::{Api, Message, NewMessage, Store, print_try_it, server_from_env, verifier_from_env};

#[derive(Clone)]
struct AppState {
    server: ResourceServer<Api>,
    store: Store,
}

// The extractors find the resource server (the verifier and its HTTP
// policy) in the state; without this the router does not compile.
impl FromRef<AppState> for ResourceServer<Api> {
    fn from_ref(state: &AppState) -> Self {
        state.server.clone()
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

// Both hold: the client was granted `read:messages`, and the user is an admin.
#[requires_scope("read:messages")]
#[requires_role("admin")]
async fn admin(token: AccessToken<Api>, State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.store.summary(token.grant_role()))
}

// Deleting everything needs the scope and a recent multi-factor login.
#[requires_scope("delete:messages")]
#[requires_auth(acr = "mfa", max_age = 300)]
async fn delete_all(token: AccessToken<Api>, State(state): State<AppState>) -> StatusCode {
    state.store.clear(token.grant(), token.authenticated_within());
    StatusCode::NO_CONTENT
}

async fn health() -> &'static str {
    "ok"
}

fn app(server: ResourceServer<Api>) -> Router {
    let mut router = Router::new();
    // RFC 9728: where clients learn which issuer and scopes this API takes.
    if let Some(metadata) = server.metadata() {
        router = router.route(metadata.path(), get(protected_resource_metadata(metadata)));
    }
    router
        .route("/api/public", get(public))
        .route("/api/messages", get(list_messages).post(post_message).delete(delete_all))
        .route("/api/admin", get(admin))
        .route("/api/messages/{id}", delete(delete_message))
        .route("/health", get(health))
        .with_state(AppState { server, store: Store::default() })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (verifier, dev) = verifier_from_env()?;
    let server = server_from_env(verifier)?;
    let port: u16 = std::env::var("PORT").ok().map_or(Ok(3000), |p| p.parse())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        println!("listening on {base}");
        if let Some(dev) = &dev {
            print_try_it(&base, dev, &server);
        }
        axum::serve(listener, app(server))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
