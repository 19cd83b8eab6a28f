//! Against a real OpenID Provider (panva's oidc-provider, see
//! `tests/support/idp.rs`): its access and ID tokens, discovery, and key rotation.

#[path = "support/idp.rs"]
#[allow(dead_code, unreachable_pub)]
mod idp;

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp::{API_ES256, API_RS256, Provider, WEB_CLIENT};
use serde_json::Value;
use tokenkind::remote::RemoteKeys;
use tokenkind::{AccessTokenVerifier, Error, IdTokenVerifier, NoClaims, Nonce, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    Read,
    #[scope("write:messages")]
    Write,
}

fn header(token: &str) -> Value {
    let segment = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[tokio::test]
async fn the_providers_access_tokens_are_accepted_and_its_id_token_is_not() {
    let provider = Provider::start();
    let id_token = provider.id_token("nonce-1").await;
    for (api, alg) in [(API_RS256, "RS256"), (API_ES256, "ES256")] {
        let verifier = AccessTokenVerifier::<Api>::builder(&provider.issuer, api).discovery().build().unwrap();
        let raw = provider.access_token(api, "read:messages").await;
        assert_eq!(header(&raw)["alg"], alg);
        assert_eq!(header(&raw)["typ"], "at+jwt");
        let token = verifier.verify_async(&raw).await.unwrap();
        assert!(token.has_scope(Api::Read));
        assert!(!token.has_scope(Api::Write));
        assert_eq!(token.client_id(), "machine");
        assert_eq!(
            verifier.verify_async(&id_token).await.unwrap_err(),
            Error::IdTokenAsAccessToken { reason: "it carries `nonce`" }
        );
        // A token for the other API is refused for its audience.
        let other = if api == API_RS256 { API_ES256 } else { API_RS256 };
        let foreign = provider.access_token(other, "read:messages").await;
        assert!(matches!(verifier.verify_async(&foreign).await, Err(Error::WrongAudience { .. })));
    }
}

#[tokio::test]
async fn the_providers_id_token_is_accepted_with_its_nonce_and_the_access_token_is_not() {
    let provider = Provider::start();
    let verifier = IdTokenVerifier::<NoClaims>::builder(&provider.issuer, WEB_CLIENT).discovery().build().unwrap();
    let raw = provider.id_token("nonce-42").await;
    let token = verifier.verify_async(&raw, Nonce::Expected("nonce-42")).await.unwrap();
    assert_eq!(token.subject(), "alice");
    assert_eq!(verifier.verify_async(&raw, Nonce::Expected("nonce-43")).await.unwrap_err(), Error::NonceMismatch);
    let access = provider.access_token(API_RS256, "read:messages").await;
    assert_eq!(
        verifier.verify_async(&access, Nonce::NotRequested).await.unwrap_err(),
        Error::AccessTokenAsIdToken { reason: "its header `typ` is at+jwt" }
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_with_one_fetch_and_a_removed_one_stops_verifying() {
    let mut provider = Provider::start();
    let keys = RemoteKeys::discover(&provider.issuer).build().unwrap();
    let verifier =
        AccessTokenVerifier::<Api>::builder(&provider.issuer, API_RS256).remote_keys(keys.clone()).build().unwrap();
    let old = provider.access_token(API_RS256, "read:messages").await;
    verifier.verify_async(&old).await.unwrap();
    assert_eq!((keys.stats().discovery_requests, keys.stats().jwks_requests), (1, 1));

    // The provider starts signing with a new key; the old one stays published.
    let old_kid = header(&old)["kid"].as_str().unwrap().to_owned();
    let kids = provider.rotate("RSA");
    let new = provider.access_token(API_RS256, "read:messages").await;
    let new_kid = header(&new)["kid"].as_str().unwrap().to_owned();
    assert_eq!(new_kid, kids[0]);
    assert_ne!(new_kid, old_kid);
    let started = Instant::now();
    verifier.verify_async(&new).await.unwrap();
    let picked_up = started.elapsed();
    assert_eq!(keys.stats().jwks_requests, 2, "one JWKS fetch for the new kid, no restart");
    verifier.verify_async(&old).await.unwrap();

    // The old key is removed: cached, it still verifies until the cache refreshes.
    let kids = provider.retire_old_keys();
    assert!(!kids.contains(&old_kid));
    verifier.verify_async(&old).await.unwrap();
    keys.refresh().await.unwrap();
    assert!(matches!(verifier.verify_async(&old).await, Err(Error::UnknownKey { .. })));
    verifier.verify_async(&new).await.unwrap();
    assert_eq!(keys.stats().jwks_requests, 3, "the unknown old kid caused no fetch within the interval");
    println!("measured: rotated key picked up {picked_up:?} after its first token arrived (real provider)");
}
