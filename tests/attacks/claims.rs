//! Claim attacks (RFC 7519 §4.1, RFC 8725 §3.8–3.9, CVE-2026-25537): registered
//! claims of the wrong JSON type are malformed, never absent; the issuer and
//! audience match exactly; scopes match whole names only.

use serde_json::{Value, json};
use tokenkind::error::Malformed;
use tokenkind::{AccessToken, Error, Nonce, Profile, Scoped, requires_scope};

use super::common::{Api, NOW, api_scope};
use super::{API, CLIENT, ISS, access_claims, api, hmac_keys, hs, id_claims, login, with, without};

const HS_ACCESS: &str = r#"{"alg":"HS256","typ":"at+jwt"}"#;
const HS_ID: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const NUMERIC_DATE: &str = "a number of seconds since the epoch (NumericDate)";
const AUDIENCE: &str = "a non-empty string or a non-empty array of non-empty strings";

/// Verifies an access token with these claims (JSON text), HMAC-signed.
fn access(payload: &str) -> Result<AccessToken<Api>, Error> {
    api(hmac_keys()).verify(&hs(HS_ACCESS, payload))
}

/// Verifies an ID token with these claims (JSON text), HMAC-signed.
fn id(payload: &str) -> Result<tokenkind::IdToken, Error> {
    login(hmac_keys()).verify(&hs(HS_ID, payload), Nonce::Expected("n-1"))
}

/// The access claims with `claim` replaced by raw JSON text (which may be
/// outside what `serde_json::Value` can hold, like `1e400`).
fn access_with_raw(claim: &str, raw: &str) -> String {
    let rest = without(access_claims(), claim).to_string();
    format!(r#"{},"{claim}":{raw}}}"#, rest.trim_end_matches('}'))
}

fn id_with_raw(claim: &str, raw: &str) -> String {
    let rest = without(id_claims(), claim).to_string();
    format!(r#"{},"{claim}":{raw}}}"#, rest.trim_end_matches('}'))
}

fn malformed_date(claim: &'static str) -> Error {
    Error::MalformedClaim { claim, expected: NUMERIC_DATE }
}

/// One named test per time claim and hostile JSON shape, on both verifiers.
macro_rules! time_claim_cases {
    ($($name:ident: $claim:literal = $raw:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            let expected: Result<(), Error> = $expected;
            assert_eq!(access(&access_with_raw($claim, $raw)).map(drop), expected, "access token");
            assert_eq!(id(&id_with_raw($claim, $raw)).map(drop), expected, "ID token");
        }
    )*};
}

time_claim_cases! {
    exp_as_string: "exp" = r#""1800000300""# => Err(malformed_date("exp"));
    exp_as_numeric_string_with_spaces: "exp" = r#"" 1800000300 ""# => Err(malformed_date("exp"));
    exp_as_float_in_the_past: "exp" = "1799999939.9" => Err(Error::Expired { exp: NOW - 61, now: NOW, leeway: 60 });
    exp_as_float_in_the_future: "exp" = "1800000300.5" => Ok(());
    exp_as_float_too_large_for_seconds: "exp" = "1e300" => Err(malformed_date("exp"));
    exp_negative: "exp" = "-1" => Err(Error::Expired { exp: -1, now: NOW, leeway: 60 });
    exp_minimum_integer: "exp" = "-9223372036854775808" => Err(Error::Expired { exp: i64::MIN, now: NOW, leeway: 60 });
    exp_above_the_integer_range: "exp" = "9223372036854775808" => Err(malformed_date("exp"));
    exp_overflowing_float: "exp" = "1e400" => Err(malformed_date("exp"));
    exp_negative_overflowing_float: "exp" = "-1e400" => Err(malformed_date("exp"));
    exp_huge_integer_literal: "exp" = "123456789012345678901234567890" => Err(malformed_date("exp"));
    exp_null: "exp" = "null" => Err(malformed_date("exp"));
    exp_array: "exp" = "[1800000300]" => Err(malformed_date("exp"));
    exp_boolean: "exp" = "true" => Err(malformed_date("exp"));
    exp_object: "exp" = r#"{"$date":1800000300}"# => Err(malformed_date("exp"));
    nbf_as_string: "nbf" = r#""1800000000""# => Err(malformed_date("nbf"));
    nbf_as_float: "nbf" = "1800000061.5" => Err(Error::NotYetValid { nbf: NOW + 61, now: NOW, leeway: 60 });
    nbf_negative: "nbf" = "-1" => Ok(());
    nbf_overflowing_float: "nbf" = "1e400" => Err(malformed_date("nbf"));
    nbf_null: "nbf" = "null" => Err(malformed_date("nbf"));
    nbf_array: "nbf" = "[]" => Err(malformed_date("nbf"));
    nbf_boolean: "nbf" = "false" => Err(malformed_date("nbf"));
    iat_as_string: "iat" = r#""1800000000""# => Err(malformed_date("iat"));
    iat_as_float: "iat" = "1800000000.25" => Ok(());
    iat_negative: "iat" = "-1" => Ok(());
    iat_overflowing_float: "iat" = "1e400" => Err(malformed_date("iat"));
    iat_null: "iat" = "null" => Err(malformed_date("iat"));
    iat_array: "iat" = "[1800000000]" => Err(malformed_date("iat"));
    iat_boolean: "iat" = "true" => Err(malformed_date("iat"));
}

#[test]
fn auth_time_of_the_wrong_type() {
    for raw in [r#""1800000000""#, "null", "[]", "true", "1e400"] {
        assert_eq!(id(&id_with_raw("auth_time", raw)).unwrap_err(), malformed_date("auth_time"), "{raw}");
    }
}

// ---- aud ----

fn malformed_aud() -> Error {
    Error::MalformedClaim { claim: "aud", expected: AUDIENCE }
}

macro_rules! audience_cases {
    ($($name:ident: $aud:expr;)*) => {$(
        #[test]
        fn $name() {
            let aud: Value = $aud;
            assert_eq!(access(&with(access_claims(), "aud", aud.clone()).to_string()).unwrap_err(), malformed_aud(), "access");
            assert_eq!(id(&with(id_claims(), "aud", aud).to_string()).unwrap_err(), malformed_aud(), "ID");
        }
    )*};
}

audience_cases! {
    aud_empty_array: json!([]);
    aud_array_with_an_empty_string: json!([API, CLIENT, ""]);
    aud_empty_string: json!("");
    aud_nested_array: json!([[API, CLIENT]]);
    aud_object: json!({ "aud": API });
    aud_array_with_a_non_string: json!([API, CLIENT, 1]);
    aud_number: json!(1);
    aud_null: json!(null);
    aud_boolean: json!(true);
}

#[test]
fn aud_overflowing_number_in_an_array() {
    assert_eq!(access(&access_with_raw("aud", r#"["https://api.example",1e400]"#)).unwrap_err(), malformed_aud());
}

#[test]
fn aud_near_miss_values() {
    for aud in
        [format!("{API}/"), API.to_uppercase(), format!(" {API}"), format!("{API}\u{0}"), "https://api.exampIe".into()]
    {
        let err = access(&with(access_claims(), "aud", json!(aud)).to_string()).unwrap_err();
        assert_eq!(err, Error::WrongAudience { expected: API.into() }, "{aud:?}");
    }
}

// ---- iss ----

fn wrong_issuer(payload: &str) -> String {
    match access(payload) {
        Err(Error::WrongIssuer { found }) => found.as_str().to_owned(),
        other => panic!("expected WrongIssuer, got {other:?}"),
    }
}

fn iss_refused(iss: &str) {
    assert_eq!(wrong_issuer(&with(access_claims(), "iss", json!(iss)).to_string()), iss, "access");
    let err = id(&with(id_claims(), "iss", json!(iss)).to_string()).unwrap_err();
    assert!(matches!(err, Error::WrongIssuer { ref found } if found.as_str() == iss), "ID: {err:?}");
}

#[test]
fn iss_with_a_trailing_slash() {
    iss_refused(&format!("{ISS}/"));
}

#[test]
fn iss_in_a_different_case() {
    iss_refused(&ISS.to_uppercase());
    iss_refused("https://Issuer.example");
}

#[test]
fn iss_with_unicode_look_alikes() {
    // Cyrillic е (U+0435), dotless ı, fullwidth colon, a zero-width space.
    for iss in [
        "https://issu\u{435}r.example",
        "https://\u{131}ssuer.example",
        "https\u{ff1a}//issuer.example",
        "https://issuer\u{200b}.example",
    ] {
        iss_refused(iss);
    }
}

#[test]
fn iss_with_surrounding_whitespace() {
    for iss in [format!(" {ISS}"), format!("{ISS} "), format!("{ISS}\n"), format!("\t{ISS}"), format!("{ISS}\u{0}")] {
        iss_refused(&iss);
    }
}

#[test]
fn iss_of_the_wrong_type() {
    for bad in [json!([ISS]), json!(null), json!({"iss": ISS}), json!(1)] {
        let err = access(&with(access_claims(), "iss", bad.clone()).to_string()).unwrap_err();
        assert_eq!(err, Error::MalformedClaim { claim: "iss", expected: "a string" }, "{bad}");
    }
}

// ---- scopes ----

#[requires_scope("read:messages")]
fn read_messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

/// The access token with this `scope` claim is valid, but `read:messages` is not granted.
fn read_refused(scope: &str) {
    let t = access(&with(access_claims(), "scope", json!(scope)).to_string()).unwrap();
    assert!(!t.has_scope(Api::ReadMessages), "{scope:?}");
    let err = Scoped::check(t).map(read_messages).unwrap_err();
    assert!(
        matches!(&err, Error::InsufficientScope { required } if required.to_string() == "read:messages"),
        "{err:?}"
    );
}

#[test]
fn scope_containing_the_required_one_as_a_prefix() {
    read_refused("read:messages:all");
    read_refused("read:messagesx");
}

#[test]
fn scope_containing_the_required_one_as_a_suffix() {
    read_refused("xread:messages");
    read_refused("admin/read:messages");
}

#[test]
fn scope_near_misses() {
    for scope in [
        "read:message",
        "READ:MESSAGES",
        "read:messages\u{0}",
        "read:messages,",
        "\"read:messages\"",
        "read:messages\u{a0}",
    ] {
        read_refused(scope);
    }
}

#[test]
fn scope_delimited_by_something_other_than_a_space() {
    // RFC 6749 §3.3: scopes are separated by U+0020 only.
    for scope in ["openid,read:messages", "openid\tread:messages", "openid\nread:messages", "openid+read:messages"] {
        read_refused(scope);
    }
}

#[test]
fn scope_as_an_array_where_a_string_is_expected() {
    let err = access(&with(access_claims(), "scope", json!(["read:messages"])).to_string()).unwrap_err();
    assert_eq!(err, Error::MalformedClaim { claim: "scope", expected: "a space-delimited string" });
    for bad in [json!(null), json!(1), json!({"read:messages": true}), json!(true)] {
        let err = access(&with(access_claims(), "scope", bad.clone()).to_string()).unwrap_err();
        assert_eq!(err, Error::MalformedClaim { claim: "scope", expected: "a space-delimited string" }, "{bad}");
    }
}

fn profile_verifier(profile: Profile) -> tokenkind::AccessTokenVerifier<Api> {
    tokenkind::AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(hmac_keys())
        .profile(profile)
        .clock(|| NOW)
        .build()
        .unwrap()
}

#[test]
fn array_claims_given_as_a_string() {
    // The reverse: Entra `roles`, read as the client's permissions in an
    // app-only token, is an array. (Auth0 `permissions` are the user's, never
    // scopes: the verifier does not read them, see tests/profiles.rs.)
    let entra = json!({"iss": ISS, "sub": "u", "aud": API, "azp": CLIENT, "iat": NOW, "exp": NOW + 60, "ver": "2.0", "roles": "read:messages"});
    assert_eq!(
        profile_verifier(Profile::EntraId)
            .verify(&hs(r#"{"alg":"HS256","typ":"JWT"}"#, &entra.to_string()))
            .unwrap_err(),
        Error::MalformedClaim { claim: "roles", expected: "an array of strings" }
    );
}

#[test]
fn scp_of_the_wrong_type() {
    for bad in [json!(["read:messages", 1]), json!({"read:messages": 1}), json!(1), json!(null)] {
        let okta = json!({"iss": ISS, "sub": "u", "aud": API, "cid": CLIENT, "jti": "AT.1", "iat": NOW, "exp": NOW + 60, "scp": bad});
        assert_eq!(
            profile_verifier(Profile::Okta).verify(&hs(r#"{"alg":"HS256"}"#, &okta.to_string())).unwrap_err(),
            Error::MalformedClaim { claim: "scp", expected: "a space-delimited string or an array of strings" },
            "{bad}"
        );
    }
}

#[test]
fn a_very_large_number_of_scopes() {
    let v = tokenkind::AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(hmac_keys())
        .max_token_len(tokenkind::verify::MAX_MAX_TOKEN_LEN)
        .clock(|| NOW)
        .build()
        .unwrap();
    let many: Vec<String> = (0..100_000).map(|i| format!("s{i}")).collect();
    let scope = format!("{} read:messages{}", many.join(" "), " ".repeat(10_000));
    let t = v.verify(&hs(HS_ACCESS, &with(access_claims(), "scope", json!(scope)).to_string())).unwrap();
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::ReadMessages]);
    assert!(t.grant::<api_scope::WriteMessages>().is_err());
    // Okta's array form.
    let okta = profile_verifier(Profile::Okta);
    let okta_claims = json!({"iss": ISS, "sub": "u", "aud": API, "cid": CLIENT, "jti": "AT.1", "iat": NOW, "exp": NOW + 60, "scp": many[..1000]});
    let t = okta.verify(&hs(r#"{"alg":"HS256"}"#, &okta_claims.to_string())).unwrap();
    assert!(t.scopes().is_empty());
}

// ---- other registered claims of the wrong type ----

#[test]
fn string_claims_of_the_wrong_type() {
    for claim in ["sub", "client_id", "jti"] {
        for bad in [json!(1), json!(null), json!([]), json!({}), json!(false)] {
            let err = access(&with(access_claims(), claim, bad.clone()).to_string()).unwrap_err();
            assert!(
                matches!(err, Error::MalformedClaim { claim: c, expected: "a string" } if c == claim),
                "{claim}={bad}: {err:?}"
            );
        }
    }
    for (claim, expected) in
        [("azp", "a string"), ("nonce", "a string"), ("acr", "a string"), ("amr", "an array of strings")]
    {
        let err = id(&with(id_claims(), claim, json!(7)).to_string()).unwrap_err();
        assert_eq!(err, Error::MalformedClaim { claim, expected }, "{claim}");
    }
}

#[test]
fn registered_claim_duplicated_through_an_escape() {
    // `"\u0073ub"` is `"sub"`: the second value would shadow the first for a later reader.
    let body = access_claims().to_string();
    let payload = format!(r#"{},"\u0073ub":"admin"}}"#, body.trim_end_matches('}'));
    assert_eq!(access(&payload).unwrap_err(), Error::Malformed(Malformed::DuplicateMember));
}
