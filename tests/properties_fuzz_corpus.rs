//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same functions the cargo-fuzz targets run (`fuzz/harness.rs`), on the
//! stable compiler, so every seed and every reproducer of a fixed crash is
//! checked on each test run. The seeds must also still mean what they were
//! written for: the valid ones verify.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus for {target}");
    files
}

#[test]
fn token_corpus_replays() {
    for (_, data) in corpus("token") {
        harness::verify_token(&data);
    }
}

#[test]
fn dpop_corpus_replays() {
    for (_, data) in corpus("dpop") {
        harness::check_dpop(&data);
    }
}

#[test]
fn signed_claims_corpus_replays() {
    for (_, data) in corpus("signed_claims") {
        harness::verify_signed(&data);
    }
}

#[test]
fn jwks_corpus_replays() {
    for (_, data) in corpus("jwks") {
        harness::load_keys(&data);
    }
}

#[test]
fn bearer_corpus_replays() {
    for (_, data) in corpus("bearer") {
        harness::read_bearer(&data);
    }
}

#[test]
fn valid_seeds_still_verify() {
    use tokenkind::{AccessTokenVerifier, KeySet, Profile};
    let keys = KeySet::from_jwks(&String::from_utf8(corpus_file("jwks", "seed-fixed")).unwrap())
        .unwrap()
        .with_hmac(Some("hs"), &harness::SECRET, tokenkind::Algorithm::HS256)
        .unwrap();
    for (name, profile) in [
        ("seed-access-rfc9068", Profile::Rfc9068),
        ("seed-access-auth0", Profile::Auth0),
        ("seed-access-keycloak", Profile::Keycloak),
        ("seed-access-okta", Profile::Okta),
        ("seed-access-entra", Profile::EntraId),
        ("seed-access-cognito", Profile::Cognito),
        ("seed-access-eddsa", Profile::Rfc9068),
        ("seed-access-es256", Profile::Rfc9068),
    ] {
        let audience = if profile == Profile::Cognito { harness::CLIENT } else { harness::API };
        let v = AccessTokenVerifier::<harness::Api>::builder(harness::ISS, audience)
            .keys(keys.clone())
            .profile(profile)
            .clock(|| harness::NOW)
            .build()
            .unwrap();
        let token = String::from_utf8(corpus_file("token", name)).unwrap();
        assert!(v.verify(&token).is_ok(), "{name}: {:?}", v.verify(&token).unwrap_err());
    }
    assert_eq!(
        tokenkind::http::parse_authorization(&corpus_file("bearer", "seed-valid")).map(str::len).ok().map(|l| l > 100),
        Some(true)
    );
}

fn corpus_file(target: &str, name: &str) -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target).join(name)).unwrap()
}
