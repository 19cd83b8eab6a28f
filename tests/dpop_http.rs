//! DPoP over HTTP: an axum and an actix-web server run the same pipeline;
//! a client sends DPoP-bound tokens with proofs for the URL it calls. The
//! challenges of both schemes, the nonce round trip through `DPoP-Nonce`,
//! replays and bearer use of a bound token, over real TCP.

use std::net::TcpListener;

use reqwest::{Client, Response};
use tokenkind::dev::{DevIssuer, DpopKey};
use tokenkind::http::{DpopNonceKey, DpopPolicy, ResourceServer};
use tokenkind::{AccessToken, requires_scope};
use tokenkind_suite::messages::Api;

#[requires_scope("read:messages")]
async fn list(token: AccessToken<Api>) -> String {
    format!("{} via {:?}", token.subject(), token.binding())
}

fn server(dev: &DevIssuer, policy: DpopPolicy) -> ResourceServer<Api> {
    ResourceServer::builder(dev.access_token_verifier::<Api>().build().unwrap()).dpop(policy).build().unwrap()
}

fn serve_axum(server: ResourceServer<Api>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/api/messages", axum::routing::get(list)).with_state(server);
    tokio::spawn(async move {
        axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap();
    });
    base
}

fn serve_actix(server: ResourceServer<Api>) -> String {
    use actix_web::{App, HttpServer, web};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || App::new().app_data(server.clone()).route("/api/messages", web::get().to(list)))
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

fn challenges(r: &Response) -> Vec<String> {
    r.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

async fn check(serve: fn(ResourceServer<Api>) -> String) {
    let dev = DevIssuer::new();
    let key = DpopKey::new();
    let base = serve(server(&dev, DpopPolicy::allowed().nonces(DpopNonceKey::generate().unwrap())));
    let url = format!("{base}/api/messages");
    let client = Client::new();
    let token = dev.access_token().subject("ada").scope("read:messages").dpop_bound(&key).sign();
    let get = |proof: Option<String>, scheme: &str| {
        let request = client.get(&url).header("authorization", format!("{scheme} {token}"));
        match proof {
            Some(p) => request.header("dpop", p),
            None => request,
        }
        .send()
    };

    // First call: the server asks for its nonce.
    let r = get(Some(key.proof("GET", &url).access_token(&token).sign()), "DPoP").await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let c = challenges(&r);
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!(c[0], format!("Bearer realm=\"{}\"", dev.audience()));
    assert!(c[1].starts_with(&format!("DPoP realm=\"{}\", error=\"use_dpop_nonce\"", dev.audience())), "{c:?}");
    assert!(c[1].ends_with("algs=\"ES256 ES384 EdDSA PS256 RS256\""), "{c:?}");

    // With the nonce: accepted, and the handler sees how the token was bound.
    let proof = key.proof("GET", &url).access_token(&token).nonce(&nonce).sign();
    let r = get(Some(proof.clone()), "DPoP").await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), format!("ada via Dpop {{ jkt: {:?} }}", key.thumbprint()));

    // The same proof again: a replay.
    let r = get(Some(proof), "DPoP").await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(challenges(&r)[1].contains("error=\"invalid_dpop_proof\""), "{:?}", challenges(&r));

    // A proof for another URL.
    let other = key.proof("GET", &format!("{base}/api/admin")).access_token(&token).nonce(&nonce).sign();
    let r = get(Some(other), "DPoP").await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(challenges(&r)[1].contains("error_description=\"the DPoP proof is for another request\""));

    // The bound token as a bearer token.
    let r = get(None, "Bearer").await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let c = challenges(&r);
    assert!(c[0].contains("error=\"invalid_token\""), "{c:?}");
    assert!(!c[1].contains("error="), "{c:?}");
}

#[tokio::test]
async fn axum_serves_dpop() {
    check(serve_axum).await;
}

#[tokio::test]
async fn actix_serves_dpop() {
    check(serve_actix).await;
}

#[tokio::test]
async fn a_required_dpop_server_challenges_bearer_requests_with_dpop_only() {
    let dev = DevIssuer::new();
    for base in [serve_axum(server(&dev, DpopPolicy::required())), serve_actix(server(&dev, DpopPolicy::required()))] {
        let r = Client::new()
            .get(format!("{base}/api/messages"))
            .bearer_auth(dev.access_token().scope("read:messages").sign())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(
            challenges(&r),
            [format!("DPoP realm=\"{}\", algs=\"ES256 ES384 EdDSA PS256 RS256\"", dev.audience())]
        );
    }
}

#[requires_scope("read:messages", sender_constrained)]
async fn bound_only(token: AccessToken<Api>) -> String {
    let _proof = token.proof_of_possession();
    token.subject().to_owned()
}

#[tokio::test]
async fn a_sender_constrained_guard_turns_bearer_tokens_away() {
    let dev = DevIssuer::new();
    let key = DpopKey::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/transfer", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/transfer", axum::routing::get(bound_only))
        .with_state(server(&dev, DpopPolicy::allowed()));
    tokio::spawn(async move { axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap() });
    let client = Client::new();

    let bearer = dev.access_token().subject("ada").scope("read:messages").sign();
    let r = client.get(&url).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let c = challenges(&r);
    assert_eq!(c[0], format!("Bearer realm=\"{}\"", dev.audience()));
    assert_eq!(
        c[1],
        format!(
            "DPoP realm=\"{}\", error=\"invalid_token\", error_description=\"this resource requires a DPoP-bound \
             access token and its proof\", algs=\"ES256 ES384 EdDSA PS256 RS256\"",
            dev.audience()
        )
    );

    let token = dev.access_token().subject("ada").scope("read:messages").dpop_bound(&key).sign();
    let proof = key.proof("GET", &url).access_token(&token).sign();
    let r =
        client.get(&url).header("authorization", format!("DPoP {token}")).header("dpop", proof).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "ada");
}
