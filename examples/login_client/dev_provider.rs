//! A development OpenID Provider for the login example on a bare machine:
//! the dev issuer's keys behind discovery, a JWKS, an authorization endpoint
//! that signs in `dev-user` without asking (after checking the client, its
//! redirect URI and its PKCE challenge) and a token endpoint that redeems
//! each code once, with its PKCE verifier. Never for production.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth2::url::form_urlencoded;
use serde::Deserialize;
use tokenkind::dev::DevIssuer;

/// The client registered at the development provider.
pub(crate) const CLIENT_ID: &str = "dev-client";
pub(crate) const CLIENT_SECRET: &str = "dev-client-secret";

struct Grant {
    challenge: String,
    redirect_uri: String,
    nonce: Option<String>,
    scope: String,
}

#[derive(Clone)]
struct Provider {
    dev: Arc<DevIssuer>,
    redirect_uri: Arc<str>,
    codes: Arc<Mutex<HashMap<String, Grant>>>,
}

/// Serves the provider on `listener` for the one client whose redirect URI is `redirect_uri`.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    dev: DevIssuer,
    redirect_uri: String,
) -> std::io::Result<()> {
    let provider =
        Provider { dev: Arc::new(dev), redirect_uri: redirect_uri.into(), codes: Arc::new(Mutex::new(HashMap::new())) };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(provider);
    axum::serve(listener, app).await
}

async fn discovery(State(p): State<Provider>) -> impl IntoResponse {
    let issuer = p.dev.issuer();
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [p.dev.algorithm().as_str()],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(p): State<Provider>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], p.dev.jwks())
}

#[derive(Deserialize)]
struct AuthorizationRequest {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    nonce: Option<String>,
    scope: Option<String>,
}

async fn authorize(State(p): State<Provider>, Query(r): Query<AuthorizationRequest>) -> Response {
    // Never redirect to a URI that is not the client's.
    if r.client_id != CLIENT_ID || r.redirect_uri != *p.redirect_uri {
        return (StatusCode::BAD_REQUEST, "unknown client or redirect URI").into_response();
    }
    if r.response_type != "code" || r.code_challenge_method != "S256" || r.code_challenge.len() != 43 {
        return (StatusCode::BAD_REQUEST, "the code flow with a PKCE S256 challenge is required").into_response();
    }
    let code = random();
    let scope = r.scope.unwrap_or_default();
    let grant = Grant { challenge: r.code_challenge, redirect_uri: r.redirect_uri.clone(), nonce: r.nonce, scope };
    p.codes.lock().unwrap_or_else(PoisonError::into_inner).insert(code.clone(), grant);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", &r.state)
        .finish();
    Redirect::to(&format!("{}?{query}", r.redirect_uri)).into_response()
}

async fn token(State(p): State<Provider>, headers: HeaderMap, body: Bytes) -> Response {
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": error }))).into_response();
    let expected = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if headers.get(header::AUTHORIZATION).is_none_or(|h| h.as_bytes() != expected.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "invalid_client" })))
            .into_response();
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map_or("", String::as_str);
    if field("grant_type") != "authorization_code" {
        return refuse("unsupported_grant_type");
    }
    // Each code is redeemed once.
    let Some(grant) = p.codes.lock().unwrap_or_else(PoisonError::into_inner).remove(field("code")) else {
        return refuse("invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD
        .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, field("code_verifier").as_bytes()));
    if challenge != grant.challenge || field("redirect_uri") != grant.redirect_uri {
        return refuse("invalid_grant");
    }
    let api_scope = grant.scope.split(' ').filter(|s| *s != "openid").collect::<Vec<_>>().join(" ");
    let mut response = p.dev.token_response().scope(&api_scope);
    if let Some(nonce) = &grant.nonce {
        response = response.nonce(nonce);
    }
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], response.json()).into_response()
}

fn random() -> String {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; 24];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut bytes).expect("the system random generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}
