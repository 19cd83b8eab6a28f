//! tokenkind in one screen: an embedded development issuer mints an ID token
//! and an access token; each is verified by the right verifier and refused by
//! the wrong one; a scope guard lets one call through and stops another.
//!
//! Run it with `cargo run --example quickstart`.

use tokenkind::dev::DevIssuer;
use tokenkind::{AccessToken, Granted, IdClaims, Nonce, Scoped, Scopes, requires_scope};

/// The scopes our messages API understands.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

/// What the login (the client application) reads from the ID token.
#[derive(IdClaims, serde::Deserialize, Debug)]
struct Profile {
    name: String,
    email: Option<String>,
}

#[requires_scope("read:messages")]
fn list_messages(token: AccessToken<Api>) -> Vec<String> {
    vec![format!("hello, {}", token.subject())]
}

#[requires_scope("write:messages")]
fn post_message(token: AccessToken<Api>, text: &str) -> String {
    store(token.grant(), text)
}

/// Only code that proved `write:messages` can reach the store.
fn store(_proof: Granted<'_, api_scope::WriteMessages>, text: &str) -> String {
    format!("stored {text:?}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = DevIssuer::new();
    println!("development issuer {} (key {}, {})\n", issuer.issuer(), issuer.kid(), issuer.algorithm());

    // The API verifies access tokens; the login verifies ID tokens.
    let api = issuer.access_token_verifier::<Api>().build()?;
    let login = issuer.id_token_verifier::<Profile>().build()?;

    // 1. At login, the client verifies the ID token, checking the nonce it sent.
    let id_token = issuer
        .id_token()
        .subject("ada")
        .nonce("n-42")
        .claim("name", "Ada Lovelace")
        .claim("email", "ada@example.com")
        .sign();
    let who = login.verify(&id_token, Nonce::Expected("n-42"))?;
    let profile = who.claims();
    println!(
        "login: ID token verified for {} <{}> ({})",
        profile.name,
        profile.email.as_deref().unwrap_or("-"),
        who.subject()
    );

    // 2. The API verifies the access token the client sends.
    let access_token = issuer.access_token().subject("ada").scope("read:messages").sign();
    let token = api.verify(&access_token)?;
    println!("api:   access token verified; scopes granted: {}", token.scopes());

    // 3. Each verifier refuses the other kind of token.
    let err = api.verify(&id_token).unwrap_err();
    println!("api:   ID token refused ({}): {err}", err.code());
    let err = login.verify(&access_token, Nonce::Expected("n-42")).unwrap_err();
    println!("login: access token refused: {err}");

    // 4. Scope guards: the body runs only when the scope was granted.
    let messages = Scoped::check(token.clone()).map(list_messages)?;
    println!("api:   GET  /messages -> {messages:?}");
    match Scoped::check(token).map(|t| post_message(t, "hi")) {
        Ok(done) => println!("api:   POST /messages -> {done}"),
        Err(err) => println!("api:   POST /messages refused ({}): {err}", err.code()),
    }
    let writer = api.verify(&issuer.access_token().scope("read:messages write:messages").sign())?;
    println!("api:   POST /messages with write:messages -> {}", Scoped::check(writer).map(|t| post_message(t, "hi"))?);
    Ok(())
}
