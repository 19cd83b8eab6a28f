//! Certificate-bound access tokens (RFC 8705 §3) over real TLS on loopback:
//! a CA, a server certificate and two client certificates made at test time;
//! an axum server behind a rustls accept loop and an actix-web server with
//! rustls, each handing the connection's client certificate to the pipeline.
//! The bound token passes with its certificate, and is refused with another
//! certificate, with none, and over plain HTTP. The real OpenID Provider
//! issues a certificate-bound token that the API then accepts.

#[path = "support/idp.rs"]
#[allow(dead_code, unreachable_pub)]
mod idp;

use std::net::TcpListener;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use reqwest::{Certificate, Client, Identity};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::http::{ClientCertificate, ResourceServer};
use tokenkind::{AccessToken, AccessTokenVerifier, Binding, requires_scope};
use tokenkind_suite::messages::Api;

#[requires_scope("read:messages")]
async fn list(token: AccessToken<Api>) -> String {
    match token.binding() {
        Binding::Mtls { .. } => format!("{} over mTLS", token.subject()),
        other => format!("{} as {other:?}", token.subject()),
    }
}

struct Pki {
    ca_pem: String,
    server: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    /// (certificate PEM + key PEM, DER, certificate PEM) of two client certificates.
    clients: Vec<(String, Vec<u8>, String)>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    let server =
        (vec![server_cert.der().clone()], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())));

    let clients = (0..2)
        .map(|i| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![format!("client-{i}.example")]).unwrap();
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            let cert = params.signed_by(&key, &ca).unwrap();
            (format!("{}{}", cert.pem(), key.serialize_pem()), cert.der().to_vec(), cert.pem())
        })
        .collect();
    Pki { ca_pem: ca_cert.pem(), server, clients }
}

/// TLS with an optional client certificate, verified against the test CA.
fn server_tls(pki: &Pki) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server.0.clone(), pki.server.1.clone_key())
        .unwrap();
    Arc::new(config)
}

fn resource_server(dev: &DevIssuer) -> ResourceServer<Api> {
    ResourceServer::new(dev.access_token_verifier::<Api>().build().unwrap())
}

/// axum behind a rustls accept loop that puts each connection's client
/// certificate into its requests' extensions.
fn serve_axum(pki: &Pki, server: ResourceServer<Api>) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt as _;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route("/api/messages", axum::routing::get(list)).with_state(server);
    let acceptor = tokio_rustls::TlsAcceptor::from(server_tls(pki));
    tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let certificate = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| ClientCertificate::new(c.to_vec()));
                let app = app.map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    if let Some(certificate) = &certificate {
                        request.extensions_mut().insert(certificate.clone());
                    }
                    request.map(axum::body::Body::new)
                });
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                    .await;
            });
        }
    });
    format!("https://localhost:{port}")
}

/// actix-web with rustls; `on_connect` puts the client certificate into the
/// connection's data.
fn serve_actix(pki: &Pki, server: ResourceServer<Api>) -> String {
    use actix_web::{App, HttpServer, web};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = (*server_tls(pki)).clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || App::new().app_data(server.clone()).route("/api/messages", web::get().to(list)))
                .on_connect(|connection, data| {
                    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
                    if let Some(tls) = connection.downcast_ref::<Tls>()
                        && let Some(certificate) = tls.get_ref().1.peer_certificates().and_then(|c| c.first())
                    {
                        data.insert(ClientCertificate::new(certificate.to_vec()));
                    }
                })
                .workers(1)
                .listen_rustls_0_23(listener, tls)
                .unwrap()
                .run()
                .await
                .unwrap();
        });
    });
    format!("https://localhost:{port}")
}

fn client(pki: &Pki, identity: Option<&str>) -> Client {
    let builder = Client::builder()
        .tls_certs_only([Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap()])
        .resolve("localhost", "127.0.0.1:0".parse().unwrap());
    match identity {
        Some(pem) => builder.identity(Identity::from_pem(pem.as_bytes()).unwrap()),
        None => builder,
    }
    .build()
    .unwrap()
}

fn thumbprint(der: &[u8]) -> String {
    ClientCertificate::new(der.to_vec()).thumbprint()
}

async fn get(client: &Client, base: &str, token: &str) -> (u16, String, String) {
    let response = client.get(format!("{base}/api/messages")).bearer_auth(token).send().await.unwrap();
    let challenge =
        response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), challenge, response.text().await.unwrap())
}

async fn check(serve: fn(&Pki, ResourceServer<Api>) -> String) {
    let pki = pki();
    let dev = DevIssuer::new();
    let base = serve(&pki, resource_server(&dev));
    let bound = dev
        .access_token()
        .subject("ada")
        .scope("read:messages")
        .claim("cnf", json!({ "x5t#S256": thumbprint(&pki.clients[0].1) }))
        .sign();

    // With the certificate it is bound to.
    let (status, _, body) = get(&client(&pki, Some(&pki.clients[0].0)), &base, &bound).await;
    assert_eq!((status, body.as_str()), (200, "ada over mTLS"));

    // With another (valid) client certificate.
    let (status, challenge, _) = get(&client(&pki, Some(&pki.clients[1].0)), &base, &bound).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains(
            "error=\"invalid_token\", error_description=\"the access token is bound to another client certificate\""
        ),
        "{challenge}"
    );

    // Without a client certificate: a certificate-bound token is no bearer token.
    let (status, challenge, _) = get(&client(&pki, None), &base, &bound).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("bound to a key or certificate"), "{challenge}");

    // A bearer token over mutual TLS is still a bearer token.
    let bearer = dev.access_token().subject("bob").scope("read:messages").sign();
    let (status, _, body) = get(&client(&pki, Some(&pki.clients[1].0)), &base, &bearer).await;
    assert_eq!((status, body.as_str()), (200, "bob as Bearer"));
}

#[tokio::test]
async fn axum_over_mutual_tls_checks_certificate_bound_tokens() {
    check(serve_axum).await;
}

#[tokio::test]
async fn actix_over_mutual_tls_checks_certificate_bound_tokens() {
    check(serve_actix).await;
}

#[tokio::test]
async fn a_certificate_bound_token_over_plain_http_is_refused() {
    let pki = pki();
    let dev = DevIssuer::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/api/messages", axum::routing::get(list)).with_state(resource_server(&dev));
    tokio::spawn(async move { axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap() });
    let bound = dev
        .access_token()
        .scope("read:messages")
        .claim("cnf", json!({ "x5t#S256": thumbprint(&pki.clients[0].1) }))
        .sign();
    let (status, challenge, _) = get(&Client::new(), &base, &bound).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("bound to a key or certificate"), "{challenge}");
}

#[tokio::test]
async fn the_providers_certificate_bound_token_passes_with_its_certificate_only() {
    let pki = pki();
    let provider = idp::Provider::start();
    let token = provider.certificate_bound_access_token(idp::API_ES256, "read:messages", &pki.clients[0].2).await;
    // The provider bound it to the certificate it was shown.
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&common_b64(payload)).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], thumbprint(&pki.clients[0].1), "{claims}");

    let verifier = AccessTokenVerifier::<Api>::builder(&provider.issuer, idp::API_ES256).discovery().build().unwrap();
    let base = serve_axum(&pki, ResourceServer::new(verifier));
    let (status, _, body) = get(&client(&pki, Some(&pki.clients[0].0)), &base, &token).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with(" over mTLS"), "{body}");
    let (status, challenge, _) = get(&client(&pki, Some(&pki.clients[1].0)), &base, &token).await;
    assert_eq!(status, 401, "{challenge}");
    let (status, _, _) = get(&client(&pki, None), &base, &token).await;
    assert_eq!(status, 401);
}

fn common_b64(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).unwrap()
}
