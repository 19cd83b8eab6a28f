//! Time attacks (RFC 7519 §4.1.4–4.1.6, RFC 8725 §3.10): one second beyond
//! the leeway either way, `iat` far in the future, extreme values. The clock
//! is always injected with the builder's `.clock(..)` hook.

use std::time::Duration;

use serde_json::json;
use tokenkind::{AccessTokenVerifier, Error, IdTokenVerifier, NoClaims, Nonce};

use super::common::{Api, NOW};
use super::{API, CLIENT, Es256, ISS, access_claims, id_claims, with};

fn api_at(es: &Es256, now: i64, leeway: u64) -> AccessTokenVerifier<Api> {
    AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(es.keys())
        .leeway(Duration::from_secs(leeway))
        .clock(move || now)
        .build()
        .unwrap()
}

fn login_at(es: &Es256, now: i64) -> IdTokenVerifier<NoClaims> {
    IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT).keys(es.keys()).clock(move || now).build().unwrap()
}

fn access(es: &Es256, claim: &str, value: i64) -> String {
    es.sign(&es.header(), &with(access_claims(), claim, json!(value)))
}

fn id(es: &Es256, claim: &str, value: i64) -> String {
    es.sign(&json!({"alg": "ES256", "typ": "JWT", "kid": es.kid}), &with(id_claims(), claim, json!(value)))
}

#[test]
fn expired_one_second_beyond_the_leeway() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 60);
    assert_eq!(
        v.verify(&access(&es, "exp", NOW - 61)).unwrap_err(),
        Error::Expired { exp: NOW - 61, now: NOW, leeway: 60 }
    );
    // The boundary itself is expired; one second inside it is not.
    assert_eq!(
        v.verify(&access(&es, "exp", NOW - 60)).unwrap_err(),
        Error::Expired { exp: NOW - 60, now: NOW, leeway: 60 }
    );
    assert!(v.verify(&access(&es, "exp", NOW - 59)).is_ok());
    let l = login_at(&es, NOW);
    assert_eq!(
        l.verify(&id(&es, "exp", NOW - 61), Nonce::NotRequested).unwrap_err(),
        Error::Expired { exp: NOW - 61, now: NOW, leeway: 60 }
    );
}

#[test]
fn expired_one_second_beyond_the_largest_leeway() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 300);
    assert_eq!(
        v.verify(&access(&es, "exp", NOW - 301)).unwrap_err(),
        Error::Expired { exp: NOW - 301, now: NOW, leeway: 300 }
    );
    assert!(v.verify(&access(&es, "exp", NOW - 299)).is_ok());
}

#[test]
fn expired_by_one_second_without_leeway() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 0);
    assert_eq!(
        v.verify(&access(&es, "exp", NOW - 1)).unwrap_err(),
        Error::Expired { exp: NOW - 1, now: NOW, leeway: 0 }
    );
    assert_eq!(v.verify(&access(&es, "exp", NOW)).unwrap_err(), Error::Expired { exp: NOW, now: NOW, leeway: 0 });
    assert!(v.verify(&access(&es, "exp", NOW + 1)).is_ok());
}

#[test]
fn not_before_one_second_ahead_beyond_the_leeway() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 60);
    assert_eq!(
        v.verify(&access(&es, "nbf", NOW + 61)).unwrap_err(),
        Error::NotYetValid { nbf: NOW + 61, now: NOW, leeway: 60 }
    );
    assert!(v.verify(&access(&es, "nbf", NOW + 60)).is_ok());
    let l = login_at(&es, NOW);
    assert_eq!(
        l.verify(&id(&es, "nbf", NOW + 61), Nonce::NotRequested).unwrap_err(),
        Error::NotYetValid { nbf: NOW + 61, now: NOW, leeway: 60 }
    );
}

#[test]
fn not_before_far_in_the_future() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 60);
    assert_eq!(
        v.verify(&access(&es, "nbf", i64::MAX)).unwrap_err(),
        Error::NotYetValid { nbf: i64::MAX, now: NOW, leeway: 60 }
    );
}

#[test]
fn issued_at_far_in_the_future() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 60);
    let ten_years = NOW + 10 * 365 * 86_400;
    let future =
        es.sign(&es.header(), &with(with(access_claims(), "iat", json!(ten_years)), "exp", json!(ten_years + 300)));
    assert_eq!(v.verify(&future).unwrap_err(), Error::IssuedInFuture { iat: ten_years, now: NOW, leeway: 60 });
    assert_eq!(
        v.verify(&access(&es, "iat", i64::MAX)).unwrap_err(),
        Error::IssuedInFuture { iat: i64::MAX, now: NOW, leeway: 60 }
    );
    assert_eq!(
        v.verify(&access(&es, "iat", NOW + 61)).unwrap_err(),
        Error::IssuedInFuture { iat: NOW + 61, now: NOW, leeway: 60 }
    );
    assert!(v.verify(&access(&es, "iat", NOW + 60)).is_ok());
    let l = login_at(&es, NOW);
    assert_eq!(
        l.verify(&id(&es, "iat", ten_years), Nonce::NotRequested).unwrap_err(),
        Error::IssuedInFuture { iat: ten_years, now: NOW, leeway: 60 }
    );
}

#[test]
fn expiry_far_in_the_past() {
    let es = Es256::new("k");
    let v = api_at(&es, NOW, 60);
    assert_eq!(
        v.verify(&access(&es, "exp", i64::MIN)).unwrap_err(),
        Error::Expired { exp: i64::MIN, now: NOW, leeway: 60 }
    );
    assert_eq!(v.verify(&access(&es, "exp", 0)).unwrap_err(), Error::Expired { exp: 0, now: NOW, leeway: 60 });
}

#[test]
fn extreme_clock_readings_do_not_overflow() {
    let es = Es256::new("k");
    let raw = es.sign(&es.header(), &access_claims());
    assert_eq!(
        api_at(&es, i64::MAX, 300).verify(&raw).unwrap_err(),
        Error::Expired { exp: NOW + 300, now: i64::MAX, leeway: 300 }
    );
    assert_eq!(
        api_at(&es, i64::MIN, 300).verify(&raw).unwrap_err(),
        Error::IssuedInFuture { iat: NOW, now: i64::MIN, leeway: 300 }
    );
    let max = es.sign(&es.header(), &with(with(access_claims(), "exp", json!(i64::MAX)), "iat", json!(i64::MIN)));
    assert!(api_at(&es, i64::MAX - 1, 300).verify(&max).is_ok());
}

#[test]
fn the_injected_clock_decides_not_the_system_clock() {
    // The same token, valid at NOW, is refused by a verifier whose clock reads one hour later.
    let es = Es256::new("k");
    let raw = es.sign(&es.header(), &access_claims());
    assert!(api_at(&es, NOW, 60).verify(&raw).is_ok());
    assert_eq!(
        api_at(&es, NOW + 3600, 60).verify(&raw).unwrap_err(),
        Error::Expired { exp: NOW + 300, now: NOW + 3600, leeway: 60 }
    );
}

#[test]
fn authentication_too_old_one_second_beyond_max_age_and_leeway() {
    let es = Es256::new("k");
    let l = IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT)
        .keys(es.keys())
        .max_age(Duration::from_secs(600))
        .clock(|| NOW)
        .build()
        .unwrap();
    assert_eq!(
        l.verify(&id(&es, "auth_time", NOW - 661), Nonce::NotRequested).unwrap_err(),
        Error::AuthenticationTooOld { auth_time: NOW - 661, max_age: 600 }
    );
    assert!(l.verify(&id(&es, "auth_time", NOW - 660), Nonce::NotRequested).is_ok());
    assert_eq!(
        l.verify(&id(&es, "auth_time", i64::MIN), Nonce::NotRequested).unwrap_err(),
        Error::AuthenticationTooOld { auth_time: i64::MIN, max_age: 600 }
    );
}
