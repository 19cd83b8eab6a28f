//! The `login_client` example against a real OpenID Provider, over real
//! HTTP with a cookie jar: a browser signs in through the provider's
//! development login and consent pages (authorization code with PKCE), the
//! example verifies the ID token with its nonce, keeps only the subject in
//! a signed cookie, and calls the `messages_api` example with the access
//! token, which it cannot read: an opaque one the API introspects.

#[path = "support/example.rs"]
#[allow(unreachable_pub)]
mod example;
#[path = "support/idp.rs"]
#[allow(dead_code, unreachable_pub)]
mod idp;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use example::start;
use idp::{API_CLIENT, API_OPAQUE, API_RS256, Provider};
use reqwest::cookie::{CookieStore as _, Jar};

/// A browser: a cookie jar, following redirects.
fn browser() -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    (reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap(), jar)
}

/// Signs in through the provider's login and consent pages, starting at the
/// example's `/login`; returns the page the browser ends on.
async fn sign_in(browser: &reqwest::Client, client: &str, issuer: &str) -> reqwest::Response {
    let mut page = browser.get(format!("{client}/login")).send().await.expect("GET /login");
    // Login page, then consent page: each a form posted back to the provider.
    for _ in 0..4 {
        if !page.url().as_str().starts_with(issuer) {
            return page;
        }
        let (url, body) = idp::filled_form(&page.text().await.unwrap(), issuer);
        page = browser
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("form post");
    }
    panic!("the provider's pages did not lead back to the client");
}

#[tokio::test]
async fn a_user_signs_in_and_the_client_calls_the_api() {
    let provider = Provider::start();
    // The provider issues opaque access tokens for this API, which introspects them.
    let (_api, api) = start(
        "messages_api",
        &[
            ("TOKENKIND_ISSUER", &provider.issuer),
            ("TOKENKIND_AUDIENCE", API_OPAQUE),
            ("TOKENKIND_INTROSPECTION", "opaque"),
            ("TOKENKIND_CLIENT_ID", API_CLIENT.0),
            ("TOKENKIND_CLIENT_SECRET", API_CLIENT.1),
        ],
    );
    let (_client, client) = start(
        "login_client",
        &[
            ("TOKENKIND_ISSUER", &provider.issuer),
            ("TOKENKIND_CLIENT_ID", "login-client"),
            ("TOKENKIND_CLIENT_SECRET", "login-client-secret"),
            ("TOKENKIND_RESOURCE", API_OPAQUE),
            ("TOKENKIND_SCOPE", "read:messages"),
            ("TOKENKIND_MESSAGES_API", &api),
        ],
    );
    let (browser, _) = browser();
    let page = sign_in(&browser, &client, &provider.issuer).await;
    assert_eq!(page.url().as_str(), format!("{client}/messages"));
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.starts_with("signed in as alice\n"), "{text}");
    assert!(text.contains(&format!("GET {api}/api/messages: 200\n[]")), "{text}");

    // The same session again: the access token stays on the server.
    let again = browser.get(format!("{client}/messages")).send().await.unwrap();
    assert_eq!(again.status(), 200);
    let home = browser.get(format!("{client}/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(home, "signed in as alice: GET /messages\n");
}

#[tokio::test]
async fn the_session_cookie_holds_no_token_and_is_signed() {
    let provider = Provider::start();
    let (_api, api) =
        start("messages_api", &[("TOKENKIND_ISSUER", &provider.issuer), ("TOKENKIND_AUDIENCE", API_RS256)]);
    let (_client, client) = start(
        "login_client",
        &[
            ("TOKENKIND_ISSUER", &provider.issuer),
            ("TOKENKIND_CLIENT_ID", "login-client"),
            ("TOKENKIND_CLIENT_SECRET", "login-client-secret"),
            ("TOKENKIND_RESOURCE", API_RS256),
            ("TOKENKIND_MESSAGES_API", &api),
        ],
    );
    let (browser, jar) = browser();
    assert_eq!(sign_in(&browser, &client, &provider.issuer).await.status(), 200);

    // The session cookie: the subject and a session id, signed; no token.
    let cookies = jar.cookies(&client.parse().unwrap()).unwrap();
    let cookies = cookies.to_str().unwrap();
    let session = cookies.split("; ").find_map(|c| c.strip_prefix("tk_session=")).expect("a session cookie");
    let parts: Vec<&str> = session.split('.').collect();
    assert_eq!(parts.len(), 3, "{session}");
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[0]).unwrap(), b"alice");
    assert!(!cookies.contains("eyJ"), "a JWT in the cookies: {cookies}");
    assert!(!cookies.contains("tk_login="), "the login state outlived the login: {cookies}");
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // Without a cookie, and with another subject under the real signature, nobody is signed in.
    let anonymous = plain.get(format!("{client}/messages")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("mallory"), parts[1], parts[2]);
    let forged =
        plain.get(format!("{client}/messages")).header("cookie", format!("tk_session={forged}")).send().await.unwrap();
    assert_eq!(forged.status(), 401);

    // A callback that this browser did not start is refused.
    let stray = plain.get(format!("{client}/callback?code=x&state=y")).send().await.unwrap();
    assert_eq!(stray.status(), 400);
    assert_eq!(stray.text().await.unwrap(), "this login was not started in this browser\n");

    // `/login` sends the browser on with PKCE, nonce and state; the state also in a cookie.
    let login = plain.get(format!("{client}/login")).send().await.unwrap();
    assert_eq!(login.status(), 303);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("tk_login=") && set_cookie.contains("HttpOnly"), "{set_cookie}");
    let location = login.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("{}/auth?", provider.issuer)), "{location}");
    for parameter in ["code_challenge=", "code_challenge_method=S256", "nonce=", "state=", "scope=openid"] {
        assert!(location.contains(parameter), "{parameter} in {location}");
    }
}
