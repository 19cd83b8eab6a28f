//! Heap allocations per verification, counted by an instrumented global
//! allocator: deterministic, so the bounds below are exact regressions
//! checks, not timings. The counts are printed (`--nocapture`) for
//! BENCHMARKS.md.
//!
//! One test function only: the counter is process-wide, and a second test
//! running on another thread would be counted too.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokenkind::dev::DevIssuer;
use tokenkind::{AccessToken, Algorithm, IdClaims, Nonce, Scopes};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
    #[scope("read:users")]
    ReadUsers,
    #[scope("admin")]
    Admin,
}

const SCOPE: &str = "read:messages write:messages delete:messages read:users admin";

/// Ten custom claims: nine strings the caller asked for, one bool, one number.
#[derive(IdClaims, serde::Deserialize)]
#[allow(dead_code)]
struct Profile {
    name: String,
    given_name: String,
    family_name: String,
    preferred_username: String,
    email: String,
    email_verified: bool,
    picture: String,
    locale: String,
    zoneinfo: String,
    updated_at: i64,
}

/// Allocations made by `f`, result dropped included; the least of a few
/// runs, after one warm-up run (thread-local set-up is not per verification).
fn allocations<T>(mut f: impl FnMut() -> T) -> usize {
    drop(f());
    (0..5)
        .map(|_| {
            let region = Region::new(GLOBAL);
            drop(f());
            region.change().allocations
        })
        .min()
        .unwrap_or(usize::MAX)
}

#[test]
fn allocations_per_verification() {
    let mut report = Vec::new();
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
        let dev = DevIssuer::with_algorithm(alg);
        let access = dev.access_token().scope(SCOPE).sign();
        let verifier = dev.access_token_verifier::<Api>().build().unwrap();
        let count = allocations(|| verifier.verify(&access).map(|t: AccessToken<Api>| t.has_scope(Api::Admin)));
        assert!(verifier.verify(&access).unwrap().has_scope(Api::Admin));
        report.push((format!("access token, {alg}"), count));
        // `sub`, `client_id` and `jti` are kept inline on the token and
        // `aud` shares the verifier's copy: nothing allocates.
        assert_eq!(count, 0, "{alg}: {count} allocations per access token verification");

        // Identifiers longer than the token keeps inline: one allocation for the three.
        let long = "x".repeat(100);
        let access = dev.access_token().subject(&long).scope(SCOPE).sign();
        let count = allocations(|| verifier.verify(&access).map(|t: AccessToken<Api>| t.subject().len()));
        assert_eq!(verifier.verify(&access).unwrap().subject(), long);
        report.push((format!("access token with a 100-byte sub, {alg}"), count));
        assert_eq!(count, 1, "{alg}: {count} allocations per access token verification with long identifiers");

        let id = dev
            .id_token()
            .nonce("n-0S6_WzA2Mj")
            .claim("name", "Alice Example")
            .claim("given_name", "Alice")
            .claim("family_name", "Example")
            .claim("preferred_username", "alice")
            .claim("email", "alice@example.com")
            .claim("email_verified", true)
            .claim("picture", "https://example.com/alice.png")
            .claim("locale", "en-GB")
            .claim("zoneinfo", "Europe/London")
            .claim("updated_at", 1_700_000_000)
            .sign();
        let verifier = dev.id_token_verifier::<Profile>().build().unwrap();
        let count = allocations(|| verifier.verify(&id, Nonce::Expected("n-0S6_WzA2Mj")));
        assert_eq!(verifier.verify(&id, Nonce::Expected("n-0S6_WzA2Mj")).unwrap().claims().name, "Alice Example");
        report.push((format!("ID token with 10 custom claims, {alg}"), count));
        // The eight strings of `Profile`, plus `sub`, `aud` and `nonce` kept
        // on the token: eleven the caller asked for; one list of the custom
        // members besides.
        assert!(count <= 12, "{alg}: {count} allocations per ID token verification");
    }
    for (what, count) in report {
        println!("{what}: {count} allocations");
    }
}
