//! The extractors of both frameworks, in process over real TCP: guards with
//! several scopes and `any(...)`, optional tokens, a custom realm, a custom
//! body, and the opt-in query token. The same checks run against axum and
//! actix-web.

mod web;

use std::net::TcpListener;

use reqwest::Client;
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::http::{RejectionBody, ResourceServer};
use tokenkind::{AccessToken, requires_scope};
use tokenkind_suite::messages::Api;
use web::{answer, challenge, get};

// ---- the handlers: the guarded ones serve both frameworks ----

#[requires_scope("read:messages", "write:messages")]
async fn both(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

#[requires_scope(any("write:messages", "delete:messages"))]
async fn either(_token: AccessToken<Api>) -> &'static str {
    "either"
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;

    async fn maybe(token: Option<AccessToken<Api>>) -> String {
        token.map_or_else(|| "anonymous".to_owned(), |t| t.subject().to_owned())
    }

    pub(crate) fn serve(server: ResourceServer<Api>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/both", get(both))
            .route("/either", get(either))
            .route("/maybe", get(maybe))
            .with_state(server);
        tokio::spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        base
    }
}

/// The axum app behind tokenkind's tower layer (optional, so the anonymous
/// route stays open): the layer verifies, the extractors take its token.
mod tower_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tokenkind::web::tower::AccessTokenLayer;

    async fn maybe(token: Option<AccessToken<Api>>) -> String {
        token.map_or_else(|| "anonymous".to_owned(), |t| t.subject().to_owned())
    }

    pub(crate) fn serve(server: ResourceServer<Api>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/both", get(both))
            .route("/either", get(either))
            .route("/maybe", get(maybe))
            .with_state(server.clone())
            .layer(AccessTokenLayer::new(server).optional());
        tokio::spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        base
    }
}

mod actix_app {
    use super::*;
    use actix_web::{App, HttpServer, web};
    use tokenkind::web::actix::OptionalAccessToken;

    async fn maybe(token: OptionalAccessToken<Api>) -> String {
        token.0.map_or_else(|| "anonymous".to_owned(), |t| t.subject().to_owned())
    }

    async fn unconfigured(_token: AccessToken<Api>) -> &'static str {
        "unreachable"
    }

    pub(crate) fn serve(server: ResourceServer<Api>) -> String {
        serve_with(Some(server))
    }

    pub(crate) fn serve_with(server: Option<ResourceServer<Api>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                HttpServer::new(move || {
                    let app = App::new().route("/unconfigured", web::get().to(unconfigured));
                    let app = match &server {
                        Some(v) => app.app_data(v.clone()),
                        None => app,
                    };
                    app.route("/both", web::get().to(both))
                        .route("/either", web::get().to(either))
                        .route("/maybe", web::get().to(maybe))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap();
            });
        });
        base
    }
}

// ---- the shared checks ----

async fn check_guards(base: &str, dev: &DevIssuer) {
    let client = Client::new();
    let realm = dev.audience();
    let insufficient = Some(("insufficient_scope", "the access token lacks a required scope"));
    let token = |scope: &str| dev.access_token().subject("ada").scope(scope).sign();

    let a = get(&client, &format!("{base}/both"), Some(&token("read:messages write:messages"))).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, Some("ada")));
    let a = get(&client, &format!("{base}/both"), Some(&token("read:messages"))).await;
    assert_eq!(a.status.as_u16(), 403);
    assert_eq!(a.www_authenticate.unwrap(), challenge(realm, insufficient, Some("read:messages write:messages")));

    let a = get(&client, &format!("{base}/either"), Some(&token("delete:messages"))).await;
    assert_eq!(a.status.as_u16(), 200);
    let a = get(&client, &format!("{base}/either"), Some(&token("read:messages"))).await;
    assert_eq!(a.status.as_u16(), 403);
    assert_eq!(a.www_authenticate.unwrap(), challenge(realm, insufficient, Some("write:messages delete:messages")));

    // Optional tokens: absent → anonymous; present and valid → the subject; invalid → 401.
    assert_eq!(get(&client, &format!("{base}/maybe"), None).await.body, "anonymous");
    assert_eq!(get(&client, &format!("{base}/maybe"), Some(&token(""))).await.body, "ada");
    // A sender-constrained token is never a bearer token.
    let bound = dev
        .access_token()
        .scope("read:messages write:messages")
        .claim("cnf", json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}))
        .sign();
    let a = get(&client, &format!("{base}/both"), Some(&bound)).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(
            realm,
            Some((
                "invalid_token",
                "the access token is bound to a key or certificate; send it with its proof of possession"
            )),
            None
        )
    );
    let expired = dev.access_token().expires_in(-300).sign();
    let a = get(&client, &format!("{base}/maybe"), Some(&expired)).await;
    assert_eq!(a.status.as_u16(), 401);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(realm, Some(("invalid_token", "the access token expired")), None)
    );
}

async fn check_options(serve: fn(ResourceServer<Api>) -> String) {
    let dev = DevIssuer::new();
    let client = Client::new();
    let server = ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap())
        .realm("messages")
        .allow_access_token_in_query()
        .rejection_body(|r| {
            RejectionBody::json(&json!({ "problem": r.description(), "status": r.status(), "code": r.error_code().map(tokenkind::ErrorCode::as_str) }))
        })
        .build()
        .unwrap();
    let base = serve(server);

    // Custom body; the status and challenge stay.
    let a = get(&client, &format!("{base}/both"), Some(&dev.access_token().scope("read:messages").sign())).await;
    assert_eq!(a.status.as_u16(), 403);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge(
            "messages",
            Some(("insufficient_scope", "the access token lacks a required scope")),
            Some("read:messages write:messages")
        )
    );
    assert_eq!(
        a.body,
        json!({"problem": "the access token lacks a required scope", "status": 403, "code": "insufficient_scope"})
    );
    let a = get(&client, &format!("{base}/both"), None).await;
    assert_eq!(a.www_authenticate.unwrap(), challenge("messages", None, None));
    assert_eq!(a.body["code"], serde_json::Value::Null);

    // The query token, opted in.
    let token = dev.access_token().subject("ada").scope("read:messages write:messages").sign();
    let ok = client.get(format!("{base}/both")).query(&[("access_token", &token)]).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let both =
        client.get(format!("{base}/both")).query(&[("access_token", &token)]).bearer_auth(&token).send().await.unwrap();
    let a = answer(both).await;
    assert_eq!(a.status.as_u16(), 400);
    assert_eq!(a.body["problem"], "send the access token in one place only");

    // A repeated `access_token` parameter is ambiguous: never resolved by taking one.
    let other = dev.access_token().subject("eve").scope("read:messages write:messages").sign();
    let twice = client
        .get(format!("{base}/both"))
        .query(&[("access_token", &token), ("access_token", &other)])
        .send()
        .await
        .unwrap();
    let a = answer(twice).await;
    assert_eq!(a.status.as_u16(), 400);
    assert_eq!(
        a.www_authenticate.unwrap(),
        challenge("messages", Some(("invalid_request", "the URL has more than one access_token parameter")), None)
    );
}

#[tokio::test]
async fn axum_guards() {
    let dev = DevIssuer::new();
    let base = axum_app::serve(dev.access_token_verifier::<Api>().build().unwrap().into());
    check_guards(&base, &dev).await;
}

#[tokio::test]
async fn actix_guards() {
    let dev = DevIssuer::new();
    let base = actix_app::serve(dev.access_token_verifier::<Api>().build().unwrap().into());
    check_guards(&base, &dev).await;
}

#[tokio::test]
async fn tower_layer_guards() {
    let dev = DevIssuer::new();
    let base = tower_app::serve(dev.access_token_verifier::<Api>().build().unwrap().into());
    check_guards(&base, &dev).await;
}

#[tokio::test]
async fn tower_layer_options() {
    check_options(tower_app::serve).await;
}

#[tokio::test]
async fn axum_options() {
    check_options(axum_app::serve).await;
}

#[tokio::test]
async fn actix_options() {
    check_options(actix_app::serve).await;
}

/// actix-web cannot check app data at compile time: a handler without a
/// registered verifier answers 500 (never runs the body).
#[tokio::test]
async fn actix_without_a_verifier_answers_500() {
    let dev = DevIssuer::new();
    let base = actix_app::serve_with(None);
    let token = dev.access_token().sign();
    let a = get(&Client::new(), &format!("{base}/unconfigured"), Some(&token)).await;
    assert_eq!(a.status.as_u16(), 500);
    assert_eq!(a.www_authenticate, None);
}
