//! Opaque access tokens from a real OpenID Provider (panva's oidc-provider,
//! `tests/support/idp.rs`), verified by introspection (RFC 7662): each of
//! the three client authentications, signed answers (RFC 9701), revocation
//! (RFC 7009) within the cache's bound, and its ID token refused.

#[path = "support/idp.rs"]
#[allow(dead_code, unreachable_pub)]
mod idp;

use std::time::{Duration, Instant};

use idp::{API_CLIENT, API_JWT_CLIENT, API_OPAQUE, API_RS256, API_SIGNED_CLIENT, Provider};
use tokenkind::remote::{ClientAuth, ClientKey, Introspection};
use tokenkind::verify::Introspect;
use tokenkind::{AccessTokenVerifier, Algorithm, Error, Nonce, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

/// A verifier for the provider's client-credentials tokens, which carry no `sub`.
fn verifier(provider: &Provider, audience: &str, auth: ClientAuth, max_age: Duration) -> AccessTokenVerifier<Api> {
    let introspection = Introspection::discover(provider.issuer.clone())
        .client_auth(auth)
        .cache_max_age(max_age)
        .allow_responses_without_subject()
        .build()
        .unwrap();
    AccessTokenVerifier::<Api>::builder(provider.issuer.clone(), audience)
        .discovery()
        .introspection(introspection, Introspect::OpaqueTokens)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_opaque_token_is_accepted_by_introspection_and_refused_once_revoked() {
    let provider = Provider::start();
    let max_age = Duration::from_secs(2);
    let v = verifier(&provider, API_OPAQUE, ClientAuth::client_secret_basic(API_CLIENT.0, API_CLIENT.1), max_age);

    let opaque = provider.access_token(API_OPAQUE, "read:messages").await;
    assert_eq!(opaque.split('.').count(), 1, "the provider issues an opaque token: {opaque}");
    let token = v.verify_async(&opaque).await.unwrap();
    assert!(token.has_scope(Api::ReadMessages));
    assert!(!token.has_scope(Api::WriteMessages));
    assert_eq!(token.client_id(), "machine");
    // Client credentials: no resource owner, so the subject is the client.
    assert_eq!(token.subject(), "machine");
    assert_eq!(token.issuer(), provider.issuer);
    // Without the opt-in, the client never stands in for a missing user.
    let strict = AccessTokenVerifier::<Api>::builder(provider.issuer.clone(), API_OPAQUE)
        .discovery()
        .introspection(
            Introspection::discover(provider.issuer.clone())
                .client_auth(ClientAuth::client_secret_basic(API_CLIENT.0, API_CLIENT.1))
                .build()
                .unwrap(),
            Introspect::OpaqueTokens,
        )
        .build()
        .unwrap();
    assert_eq!(strict.verify_async(&opaque).await.unwrap_err(), Error::MissingClaim { claim: "sub" });

    // Revoked: accepted from the cache at most `max_age` longer, then refused.
    provider.revoke(&opaque).await;
    let revoked_at = Instant::now();
    let refused_at = loop {
        match v.verify_async(&opaque).await {
            Ok(_) => assert!(revoked_at.elapsed() < max_age, "accepted {:?} after revocation", revoked_at.elapsed()),
            Err(e) => {
                assert_eq!(e, Error::InactiveToken);
                break revoked_at.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(refused_at <= max_age + Duration::from_millis(500), "refused after {refused_at:?}");

    // Its ID token is refused: JWS-shaped, so verified locally and never introspected.
    let id_token = provider.id_token("n-0S6_WzA2Mj").await;
    assert_eq!(
        v.verify_async(&id_token).await.unwrap_err(),
        Error::IdTokenAsAccessToken { reason: "it carries `nonce`" }
    );
    let every = AccessTokenVerifier::<Api>::builder(provider.issuer.clone(), API_OPAQUE)
        .introspection(
            Introspection::discover(provider.issuer.clone())
                .client_auth(ClientAuth::client_secret_basic(API_CLIENT.0, API_CLIENT.1))
                .build()
                .unwrap(),
            Introspect::EveryToken,
        )
        .build()
        .unwrap();
    // Introspected, an ID token is not an active access token for the provider.
    assert_eq!(every.verify_async(&id_token).await.unwrap_err(), Error::InactiveToken);
    // oidc-provider introspects none of its JWTs (400 `unsupported_token_type`): refused too.
    let jwt = provider.access_token(API_RS256, "read:messages").await;
    assert_eq!(every.verify_async(&jwt).await.unwrap_err(), Error::InactiveToken);
    // The ID token still verifies as what it is.
    let login = tokenkind::IdTokenVerifier::<tokenkind::NoClaims>::builder(provider.issuer.clone(), idp::WEB_CLIENT)
        .discovery()
        .build()
        .unwrap();
    assert!(login.verify_async(&id_token, Nonce::Expected("n-0S6_WzA2Mj")).await.is_ok());
}

#[tokio::test]
async fn private_key_jwt_and_signed_answers_work_with_the_provider() {
    let provider = Provider::start();
    let opaque = provider.access_token(API_OPAQUE, "read:messages write:messages").await;

    let key = ClientKey::from_pem(provider.api_client_key.as_bytes(), Algorithm::ES256, Some("api-jwt-key")).unwrap();
    let v = verifier(&provider, API_OPAQUE, ClientAuth::private_key_jwt(API_JWT_CLIENT, key), Duration::ZERO);
    assert!(v.verify_async(&opaque).await.unwrap().has_scope(Api::WriteMessages));

    let post =
        verifier(&provider, API_OPAQUE, ClientAuth::client_secret_post(API_CLIENT.0, API_CLIENT.1), Duration::ZERO);
    assert!(post.verify_async(&opaque).await.is_ok());

    let signed = Introspection::discover(provider.issuer.clone())
        .client_auth(ClientAuth::client_secret_basic(API_SIGNED_CLIENT.0, API_SIGNED_CLIENT.1))
        .allow_responses_without_subject()
        .signed_responses()
        .build()
        .unwrap();
    let v = AccessTokenVerifier::<Api>::builder(provider.issuer.clone(), API_OPAQUE)
        .discovery()
        .introspection(signed.clone(), Introspect::OpaqueTokens)
        .build()
        .unwrap();
    assert!(v.verify_async(&opaque).await.unwrap().has_scope(Api::ReadMessages));
    assert_eq!(signed.requests(), 1);

    // Wrong credentials: the provider refuses the API, and the API's caller gets a 503, not a 401.
    let wrong = verifier(&provider, API_OPAQUE, ClientAuth::client_secret_basic(API_CLIENT.0, "wrong"), Duration::ZERO);
    assert_eq!(wrong.verify_async(&opaque).await.unwrap_err(), Error::IntrospectionUnavailable);
}
