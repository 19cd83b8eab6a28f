//! The HTTP contract of a tokenkind-protected messages API, checked over real
//! TCP with a real HTTP client; run against every server under test.
#![allow(dead_code, unreachable_pub)]

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokenkind::dev::DevIssuer;

/// A response's status, `WWW-Authenticate` header and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub www_authenticate: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

pub async fn answer(response: Response) -> Answer {
    let status = response.status();
    let header =
        |name| response.headers().get(name).map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned());
    let www_authenticate = header(WWW_AUTHENTICATE);
    let content_type = header(CONTENT_TYPE);
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, www_authenticate, content_type, body }
}

pub async fn get(client: &Client, url: &str, token: Option<&str>) -> Answer {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    answer(req.send().await.unwrap()).await
}

/// The exact `WWW-Authenticate` value for a refusal.
pub fn challenge(realm: &str, error: Option<(&str, &str)>, scope: Option<&str>) -> String {
    let error = error.map(|(code, description)| format!(", error=\"{code}\", error_description=\"{description}\""));
    let scope = scope.map(|s| format!(", scope=\"{s}\""));
    format!("Bearer realm=\"{realm}\"{}{}", error.unwrap_or_default(), scope.unwrap_or_default())
}

/// The RFC 9728 §3.1 metadata location of a resource identifier:
/// `/.well-known/oauth-protected-resource` inserted before its path.
pub fn metadata_path_and_url(resource: &str) -> (String, String) {
    let (scheme, rest) = resource.split_once("://").unwrap();
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let path = if path == "/" { "" } else { path };
    let well_known = format!("/.well-known/oauth-protected-resource{path}");
    (well_known.clone(), format!("{scheme}://{authority}{well_known}"))
}

/// The exact `WWW-Authenticate` value for a refusal by a server with
/// protected-resource metadata at `metadata`.
pub fn challenge_with_metadata(
    realm: &str,
    metadata: &str,
    error: Option<(&str, &str)>,
    scope: Option<&str>,
) -> String {
    let error = error.map(|(code, description)| format!(", error=\"{code}\", error_description=\"{description}\""));
    let scope = scope.map(|s| format!(", scope=\"{s}\""));
    format!(
        "Bearer realm=\"{realm}\", resource_metadata=\"{metadata}\"{}{}",
        error.unwrap_or_default(),
        scope.unwrap_or_default()
    )
}

/// A refusal of the messages example, whose realm is its audience and whose
/// challenges name its metadata document.
fn assert_refusal(a: &Answer, status: u16, realm: &str, error: Option<(&str, &str)>, scope: Option<&str>) {
    assert_eq!(a.status.as_u16(), status, "{:?}", a.body);
    let (_, metadata) = metadata_path_and_url(realm);
    assert_eq!(a.www_authenticate.as_deref(), Some(challenge_with_metadata(realm, &metadata, error, scope).as_str()));
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    let code = error.map_or("unauthorized", |(c, _)| c);
    assert_eq!(a.body["error"], code, "{:?}", a.body);
    if let Some((_, d)) = error {
        assert_eq!(a.body["error_description"], d);
    }
}

/// RFC 9728: the document at the location derived from the audience, served without a token.
async fn check_metadata(client: &Client, base: &str, dev: &DevIssuer) {
    let realm = dev.audience();
    let (path, _) = metadata_path_and_url(realm);
    let a = get(client, &format!("{base}{path}"), None).await;
    assert_eq!((a.status, a.content_type.as_deref()), (StatusCode::OK, Some("application/json")));
    assert_eq!(
        a.body,
        json!({
            "resource": realm,
            "authorization_servers": [dev.issuer()],
            "scopes_supported": ["read:messages", "write:messages", "delete:messages"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Messages API",
        })
    );
}

/// Every route, status and header of the messages API (see the README's table).
pub async fn check_messages_api(base: &str, dev: &DevIssuer) {
    let client = Client::new();
    let realm = dev.audience();
    let url = |path: &str| format!("{base}{path}");
    let reader = dev.access_token().subject("ada").scope("read:messages").sign();
    let writer = dev.access_token().subject("bob").scope("read:messages write:messages").sign();
    let deleter = dev.access_token().subject("eve").scope("delete:messages").sign();
    let id_token = dev.id_token().subject("ada").nonce("n").sign();

    check_metadata(&client, base, dev).await;

    // Health and the public route.
    let a = get(&client, &url("/health"), None).await;
    assert_eq!((a.status, a.body), (StatusCode::OK, Value::String("ok".into())));
    assert_eq!(get(&client, &url("/api/public"), None).await.body, json!({"message": "hello, stranger"}));
    assert_eq!(get(&client, &url("/api/public"), Some(&reader)).await.body, json!({"message": "hello, ada"}));
    let a = get(&client, &url("/api/public"), Some(&id_token)).await;
    assert_refusal(&a, 401, realm, Some(("invalid_token", "an ID token is not an access token")), None);

    // No credentials: 401 with a bare challenge.
    assert_refusal(&get(&client, &url("/api/messages"), None).await, 401, realm, None, None);
    let basic = client.get(url("/api/messages")).header(AUTHORIZATION, "Basic dXNlcjpwYXNz").send().await.unwrap();
    assert_refusal(&answer(basic).await, 401, realm, None, None);

    // A valid token with the scope; the scheme is case-insensitive.
    let a = get(&client, &url("/api/messages"), Some(&reader)).await;
    assert_eq!((a.status, a.www_authenticate), (StatusCode::OK, None));
    assert!(a.body.is_array());
    let lower =
        client.get(url("/api/messages")).header(AUTHORIZATION, format!("bearer {reader}")).send().await.unwrap();
    assert_eq!(lower.status(), StatusCode::OK);

    // Invalid tokens: 401 invalid_token.
    let invalid = |d| Some(("invalid_token", d));
    let a = get(&client, &url("/api/messages"), Some(&id_token)).await;
    assert_refusal(&a, 401, realm, invalid("an ID token is not an access token"), None);
    let other_api = dev.access_token().scope("read:messages").audience("https://other-api.example").sign();
    let a = get(&client, &url("/api/messages"), Some(&other_api)).await;
    assert_refusal(&a, 401, realm, invalid("the access token is not for this API"), None);
    let expired = dev.access_token().scope("read:messages").expires_in(-120).sign();
    assert_refusal(
        &get(&client, &url("/api/messages"), Some(&expired)).await,
        401,
        realm,
        invalid("the access token expired"),
        None,
    );
    let foreign = DevIssuer::new().access_token().scope("read:messages").sign();
    let a = get(&client, &url("/api/messages"), Some(&foreign)).await;
    assert_refusal(&a, 401, realm, invalid("the access token signature is not trusted"), None);
    let a = get(&client, &url("/api/messages"), Some("not.a.jwt")).await;
    assert_refusal(&a, 401, realm, invalid("the access token is malformed"), None);

    // Missing scope: 403 insufficient_scope naming the scope.
    let post = |token: &str| {
        client
            .post(url("/api/messages"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(&json!({"text": "hi"}))
            .send()
    };
    let a = answer(post(&reader).await.unwrap()).await;
    let insufficient = Some(("insufficient_scope", "the access token lacks a required scope"));
    assert_refusal(&a, 403, realm, insufficient, Some("write:messages"));
    let a = answer(post(&writer).await.unwrap()).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["author"], "bob");
    let id = a.body["id"].as_u64().unwrap();

    let delete = |token: &str, id: u64| {
        client.delete(url(&format!("/api/messages/{id}"))).header(AUTHORIZATION, format!("Bearer {token}")).send()
    };
    let a = answer(delete(&writer, id).await.unwrap()).await;
    assert_refusal(&a, 403, realm, insufficient, Some("delete:messages"));
    assert_eq!(delete(&deleter, id).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete(&deleter, id).await.unwrap().status(), StatusCode::NOT_FOUND);

    // Malformed requests: 400 invalid_request.
    let bad = |d| Some(("invalid_request", d));
    let two = client
        .get(url("/api/messages"))
        .header(AUTHORIZATION, format!("Bearer {reader}"))
        .header(AUTHORIZATION, format!("Bearer {reader}"))
        .send()
        .await
        .unwrap();
    assert_refusal(&answer(two).await, 400, realm, bad("the request has more than one Authorization header"), None);
    let scheme =
        client.get(url("/api/messages")).header(AUTHORIZATION, format!("Token {reader}")).send().await.unwrap();
    assert_refusal(&answer(scheme).await, 400, realm, bad("send the access token with the Bearer scheme"), None);
    let syntax = client.get(url("/api/messages")).header(AUTHORIZATION, "Bearer a b").send().await.unwrap();
    assert_refusal(&answer(syntax).await, 400, realm, bad("the access token is not valid token syntax"), None);
    let query = client.get(url("/api/messages")).query(&[("access_token", &reader)]).send().await.unwrap();
    let d = "send the access token in the Authorization header, not in the URL";
    assert_refusal(&answer(query).await, 400, realm, bad(d), None);
    let both = client
        .get(url("/api/messages"))
        .query(&[("access_token", &reader)])
        .header(AUTHORIZATION, format!("Bearer {reader}"))
        .send()
        .await
        .unwrap();
    assert_refusal(&answer(both).await, 400, realm, bad("send the access token in one place only"), None);
}
