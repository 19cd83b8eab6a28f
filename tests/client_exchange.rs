//! The authorization-code exchange with the oauth2 crate
//! (`tokenkind::client::oauth2`), against a scripted token endpoint: oauth2
//! sends the request, tokenkind reads every answer.

#[path = "support/http.rs"]
#[allow(dead_code, unreachable_pub)]
mod http_server;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_server::{Reply, TestServer};
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl, TokenUrl};
use tokenkind::client::oauth2::{ExchangeError, ReqwestClient, exchange_code};
use tokenkind::client::{MAX_RESPONSE_LEN, TokenResponse, TokenResponseError};
use tokenkind::dev::DevIssuer;
use tokenkind::{NoClaims, Nonce};

async fn exchange(token_url: &str) -> Result<TokenResponse, ExchangeError> {
    let client = BasicClient::new(ClientId::new("web-app".into()))
        .set_client_secret(ClientSecret::new("web-app-secret".into()))
        .set_auth_uri(AuthUrl::new("https://issuer.example/authorize".into()).unwrap())
        .set_token_uri(TokenUrl::new(token_url.into()).unwrap())
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1/callback".into()).unwrap());
    let http =
        ReqwestClient::new(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap());
    let request = client
        .exchange_code(AuthorizationCode::new("SplxlOBeZQQYbYS6WxSbIA".into()))
        .set_pkce_verifier(PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()));
    exchange_code(request, &http).await
}

#[tokio::test]
async fn exchange_code_reads_a_token_response() {
    let dev = DevIssuer::new();
    let server = TestServer::start().await;
    server.route("/token", Reply::json(dev.token_response().nonce("n-0S6").json()));
    let response = exchange(&server.url("/token")).await.unwrap();
    let login =
        response.verify(&dev.id_token_verifier::<NoClaims>().build().unwrap(), Nonce::Expected("n-0S6")).unwrap();
    assert_eq!(login.id_token().subject(), "dev-user");
    // oauth2 authenticated the client (RFC 6749 §2.3.1).
    let request = &server.requests()[0];
    let basic = format!("Basic {}", STANDARD.encode("web-app:web-app-secret"));
    assert_eq!(request.header("authorization"), Some(basic.as_str()));
}

#[tokio::test]
async fn exchange_code_reports_an_error_response() {
    let server = TestServer::start().await;
    let body = r#"{"error":"invalid_grant","error_description":"the code was already used"}"#;
    server.route_fn("/token", move |_| {
        let mut reply = Reply::json(body);
        reply.status = 400;
        reply
    });
    match exchange(&server.url("/token")).await {
        Err(ExchangeError::Response(TokenResponseError::Refused { error, description })) => {
            assert_eq!(error.as_str(), "invalid_grant");
            assert_eq!(description.as_ref().map(tokenkind::error::Echo::as_str), Some("the code was already used"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn exchange_code_reports_a_status_without_an_error_body() {
    let server = TestServer::start().await;
    server.route("/token", Reply::status(502).body(b"<html>bad gateway</html>".to_vec()));
    assert!(matches!(exchange(&server.url("/token")).await, Err(ExchangeError::Status(502))));
}

#[tokio::test]
async fn exchange_code_refuses_what_is_not_a_token_response() {
    let server = TestServer::start().await;
    server.route("/token", Reply::json(r#"{"access_token":"a","token_type":"mac"}"#));
    assert!(matches!(
        exchange(&server.url("/token")).await,
        Err(ExchangeError::Response(TokenResponseError::UnsupportedTokenType { ref found })) if found.as_str() == "mac"
    ));
}

#[tokio::test]
async fn exchange_code_reads_at_most_the_response_limit() {
    let server = TestServer::start().await;
    server.route("/token", Reply::json(" ".repeat(4 * MAX_RESPONSE_LEN)));
    assert!(matches!(
        exchange(&server.url("/token")).await,
        Err(ExchangeError::Response(TokenResponseError::TooLarge { len, max: MAX_RESPONSE_LEN })) if len == MAX_RESPONSE_LEN + 1
    ));
}

#[tokio::test]
async fn exchange_code_reports_a_token_endpoint_that_is_down() {
    let url = format!("http://127.0.0.1:{}/token", TestServer::unused_port());
    assert!(matches!(exchange(&url).await, Err(ExchangeError::Http(_))));
}
