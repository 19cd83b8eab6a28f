//! The messages API of `messages_api.rs`, on actix-web: the same routes, the
//! same responses, the same environment variables.
//!
//! ```sh
//! cargo run --example messages_api_actix
//! ```

use actix_web::{App, HttpResponse, HttpServer, web};
use tokenkind::web::actix::OptionalAccessToken;
use tokenkind::{AccessToken, requires_auth, requires_role, requires_scope};
// The scope enum, the store and the environment handling, shared with the axum example.
use tokenkind_suite::messages::{Api, NewMessage, Store, print_try_it, server_from_env, verifier_from_env};

// Not `Option<AccessToken<Api>>`: actix-web would turn an invalid token into `None`.
async fn public(token: OptionalAccessToken<Api>) -> HttpResponse {
    let greeting = token.0.map_or_else(|| "hello, stranger".to_owned(), |t| format!("hello, {}", t.subject()));
    HttpResponse::Ok().json(serde_json::json!({ "message": greeting }))
}

#[requires_scope("read:messages")]
async fn list_messages(_token: AccessToken<Api>, store: web::Data<Store>) -> HttpResponse {
    HttpResponse::Ok().json(store.list())
}

#[requires_scope("write:messages")]
async fn post_message(token: AccessToken<Api>, store: web::Data<Store>, new: web::Json<NewMessage>) -> HttpResponse {
    let new = new.into_inner();
    HttpResponse::Created().json(store.add(token.grant(), token.subject(), new.text))
}

#[requires_scope("delete:messages")]
async fn delete_message(token: AccessToken<Api>, store: web::Data<Store>, id: web::Path<u64>) -> HttpResponse {
    if store.delete(token.grant(), id.into_inner()) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().finish()
    }
}

// Both hold: the client was granted `read:messages`, and the user is an admin.
#[requires_scope("read:messages")]
#[requires_role("admin")]
async fn admin(token: AccessToken<Api>, store: web::Data<Store>) -> HttpResponse {
    HttpResponse::Ok().json(store.summary(token.grant_role()))
}

// Deleting everything needs the scope and a recent multi-factor login.
#[requires_scope("delete:messages")]
#[requires_auth(acr = "mfa", max_age = 300)]
async fn delete_all(token: AccessToken<Api>, store: web::Data<Store>) -> HttpResponse {
    store.clear(token.grant(), token.authenticated_within());
    HttpResponse::NoContent().finish()
}

async fn health() -> &'static str {
    "ok"
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (verifier, dev) = verifier_from_env()?;
    let api = server_from_env(verifier)?;
    let port: u16 = std::env::var("PORT").ok().map_or(Ok(3000), |p| p.parse())?;
    let store = web::Data::new(Store::default());
    let shared = api.clone();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            let mut app = App::new();
            // RFC 9728: where clients learn which issuer and scopes this API takes.
            if let Some(metadata) = shared.metadata() {
                app = app.service(tokenkind::web::actix::protected_resource_metadata(metadata));
            }
            app.app_data(shared.clone())
                .app_data(store.clone())
                .route("/api/public", web::get().to(public))
                .route("/api/messages", web::get().to(list_messages))
                .route("/api/messages", web::post().to(post_message))
                .route("/api/messages", web::delete().to(delete_all))
                .route("/api/admin", web::get().to(admin))
                .route("/api/messages/{id}", web::delete().to(delete_message))
                .route("/health", web::get().to(health))
        })
        .workers(2)
        .bind(("127.0.0.1", port))?;
        let base = format!("http://{}", server.addrs()[0]);
        println!("listening on {base}");
        if let Some(dev) = &dev {
            print_try_it(&base, dev, &api);
        }
        server.run().await?;
        Ok(())
    })
}
