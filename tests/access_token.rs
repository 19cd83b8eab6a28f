//! Access-token defaults (RFC 9068 §4, RFC 8725): each rule accepted and
//! refused, with the exact error.

mod common;

use std::time::Duration;

use common::{Api, NOW, hs256, raw_token, with_header};
use serde_json::json;
use tokenkind::dev::DevIssuer;
use tokenkind::error::Malformed;
use tokenkind::{AccessClaims, AccessToken, AccessTokenVerifier, Algorithm, ConfigError, Error, ErrorCode, KeySet};

fn setup() -> (DevIssuer, AccessTokenVerifier<Api>) {
    let dev = DevIssuer::new();
    let verifier = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    (dev, verifier)
}

fn token(dev: &DevIssuer) -> tokenkind::dev::TokenBuilder<'_> {
    dev.access_token().issued_at(NOW).scope("read:messages")
}

#[test]
fn valid_token_is_accepted_with_typed_claims() {
    let (dev, v) = setup();
    let raw = token(&dev).subject("alice").claim("jti", "j-1").sign();
    let t: AccessToken<Api> = v.verify(&raw).unwrap();
    assert_eq!(t.issuer(), dev.issuer());
    assert_eq!(t.subject(), "alice");
    assert_eq!(t.client_id(), dev.client_id());
    assert_eq!(t.jwt_id(), Some("j-1"));
    assert_eq!(t.audience().iter().collect::<Vec<_>>(), [dev.audience()]);
    assert_eq!(t.issued_at(), NOW);
    assert_eq!(t.expires_at(), NOW + 300);
    assert!(t.has_scope(Api::ReadMessages));
    assert!(!t.has_scope(Api::WriteMessages));
}

// ---- algorithm ----

#[test]
fn alg_none_is_refused_in_any_case() {
    let (dev, v) = setup();
    let payload = token(&dev).claims().clone();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "at+jwt"}).to_string();
        for sig in [&b""[..], b"x"] {
            let raw = raw_token(&header, &serde_json::to_string(&payload).unwrap(), sig);
            assert!(
                matches!(v.verify(&raw), Err(Error::DisallowedAlgorithm { ref alg }) if alg.as_str() == alg.as_str()),
                "{alg}"
            );
        }
    }
}

#[test]
fn hmac_is_refused_when_no_secret_is_configured() {
    let (dev, v) = setup();
    let payload = serde_json::to_string(token(&dev).claims()).unwrap();
    let raw = hs256(&json!({"alg": "HS256", "typ": "at+jwt", "kid": dev.kid()}).to_string(), &payload, &[1; 32]);
    assert!(matches!(v.verify(&raw), Err(Error::DisallowedAlgorithm { .. })));
}

#[test]
fn hmac_is_accepted_with_an_explicit_secret() {
    let dev = DevIssuer::with_algorithm(Algorithm::HS256);
    let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    let t = v.verify(&token(&dev).sign()).unwrap();
    assert!(t.has_scope(Api::ReadMessages));
}

#[test]
fn algorithm_outside_the_allowlist_is_refused() {
    let (dev, _) = setup();
    let v = dev.access_token_verifier::<Api>().algorithms(&[Algorithm::RS256]).clock(|| NOW).build().unwrap();
    assert_eq!(
        v.verify(&token(&dev).sign()).unwrap_err().to_string(),
        "the token's algorithm \"ES256\" is not allowed"
    );
}

#[test]
fn jwk_alg_restricts_the_key() {
    let dev = DevIssuer::with_algorithm(Algorithm::RS256);
    let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    assert!(v.verify(&token(&dev).sign()).is_ok());
    // Same RSA key, other algorithm: the JWK says `alg: RS256`.
    let ps = token(&dev).algorithm(Algorithm::PS256).sign();
    assert!(matches!(v.verify(&ps), Err(Error::DisallowedAlgorithm { alg }) if alg.as_str() == "PS256"));
}

#[test]
fn every_asymmetric_algorithm_verifies() {
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA] {
        let dev = DevIssuer::with_algorithm(alg);
        let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
        assert!(v.verify(&token(&dev).sign()).is_ok(), "{alg}");
    }
}

// ---- keys and signature ----

#[test]
fn unknown_kid_is_refused() {
    let (dev, v) = setup();
    let raw = token(&dev).kid(Some("rotated-away")).sign();
    assert!(matches!(v.verify(&raw), Err(Error::UnknownKey { kid: Some(k) }) if k.as_str() == "rotated-away"));
}

#[test]
fn signature_by_another_key_is_refused() {
    let (_, v) = setup();
    let other = DevIssuer::new();
    let forged = token(&other).kid(Some(v_kid(&v))).sign();
    assert_eq!(v.verify(&forged).unwrap_err(), Error::BadSignature);
}

fn v_kid(v: &AccessTokenVerifier<Api>) -> &'static str {
    // The setup's verifier trusts exactly one key; find its kid through Debug.
    let dbg = format!("{v:?}");
    let start = dbg.find("kid: Some(\"").unwrap() + 11;
    let end = start + dbg[start..].find('"').unwrap();
    Box::leak(dbg[start..end].to_owned().into_boxed_str())
}

#[test]
fn tampered_payload_is_refused() {
    let (dev, v) = setup();
    let raw = token(&dev).sign();
    let mut parts: Vec<String> = raw.split('.').map(str::to_owned).collect();
    let evil = token(&dev).scope("read:messages write:messages delete:messages").sign();
    parts[1] = evil.split('.').nth(1).unwrap().to_owned();
    assert_eq!(v.verify(&parts.join(".")).unwrap_err(), Error::BadSignature);
}

#[test]
fn key_url_headers_are_never_used() {
    let (dev, v) = setup();
    // A valid token whose header also names attacker key locations: they are ignored.
    let attacker = DevIssuer::new();
    let raw = token(&attacker).sign();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": attacker.kid(),
        "jku": "https://evil.example/jwks", "x5u": "https://evil.example/cert",
        "jwk": serde_json::from_str::<serde_json::Value>(&attacker.jwks()).unwrap()["keys"][0],
        "x5c": ["MIIB"]});
    let raw = with_header(&raw, &header);
    assert!(matches!(v.verify(&raw), Err(Error::UnknownKey { .. })));
    let _ = dev;
}

// ---- structure ----

#[test]
fn oversized_token_is_refused_before_decoding() {
    let (_, v) = setup();
    let big = "!".repeat(16 * 1024 + 1);
    assert_eq!(v.verify(&big).unwrap_err(), Error::TooLarge { len: 16 * 1024 + 1, max: 16 * 1024 });
    let (dev, _) = setup();
    let small = dev.access_token_verifier::<Api>().max_token_len(300).build().unwrap();
    assert!(matches!(small.verify(&token(&dev).sign()), Err(Error::TooLarge { max: 300, .. })));
}

#[test]
fn wrong_segment_counts_are_malformed() {
    let (_, v) = setup();
    for raw in ["abc", "a.b", "a.b.c.d", "a.b.c.d.e", ""] {
        assert_eq!(v.verify(raw).unwrap_err(), Error::Malformed(Malformed::Segments), "{raw}");
    }
}

#[test]
fn non_canonical_base64_is_malformed() {
    let (dev, v) = setup();
    let raw = token(&dev).sign();
    let (h, rest) = raw.split_once('.').unwrap();
    assert_eq!(v.verify(&format!("{h}=.{rest}")).unwrap_err(), Error::Malformed(Malformed::Base64));
    assert_eq!(v.verify(&format!("{h} .{rest}")).unwrap_err(), Error::Malformed(Malformed::Base64));
}

#[test]
fn crit_header_is_refused() {
    let (dev, v) = setup();
    let raw = with_header(&token(&dev).sign(), &json!({"alg": "ES256", "typ": "at+jwt", "crit": ["exp"], "exp": 1}));
    assert_eq!(v.verify(&raw).unwrap_err(), Error::Malformed(Malformed::Critical));
}

#[test]
fn duplicate_claim_is_refused() {
    let secret = [9u8; 32];
    let keys = KeySet::new().with_hmac(None, &secret, Algorithm::HS256).unwrap();
    let v = AccessTokenVerifier::<Api>::builder("https://i", "https://api").keys(keys).clock(|| NOW).build().unwrap();
    let header = r#"{"alg":"HS256","typ":"at+jwt"}"#;
    let body = |extra: &str| {
        format!(
            r#"{{"iss":"https://i","sub":"u","aud":"https://api","client_id":"c","jti":"j","iat":{NOW},"exp":{}{extra}}}"#,
            NOW + 60
        )
    };
    assert!(v.verify(&hs256(header, &body(""), &secret)).is_ok());
    let dup_registered = hs256(header, &body(r#","sub":"admin""#), &secret);
    assert_eq!(v.verify(&dup_registered).unwrap_err(), Error::Malformed(Malformed::DuplicateMember));
    let dup_other = hs256(header, &body(r#","x":1,"x":2"#), &secret);
    assert_eq!(v.verify(&dup_other).unwrap_err(), Error::Malformed(Malformed::DuplicateMember));
    let dup_header = hs256(r#"{"alg":"HS256","typ":"at+jwt","typ":"JWT"}"#, &body(""), &secret);
    assert_eq!(v.verify(&dup_header).unwrap_err(), Error::Malformed(Malformed::DuplicateMember));
}

// ---- token kind ----

#[test]
fn header_typ_must_be_at_jwt() {
    let (dev, v) = setup();
    for ok in ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"] {
        assert!(v.verify(&token(&dev).header_typ(Some(ok)).sign()).is_ok(), "{ok}");
    }
    let err = v.verify(&token(&dev).header_typ(Some("JWT")).sign()).unwrap_err();
    assert!(matches!(&err, Error::WrongTokenType { expected: "at+jwt", found: Some(f) } if f.as_str() == "JWT"));
    assert_eq!(
        v.verify(&token(&dev).header_typ(None).sign()).unwrap_err(),
        Error::WrongTokenType { expected: "at+jwt", found: None }
    );
}

#[test]
fn id_token_claims_are_refused_with_their_own_error() {
    let (dev, v) = setup();
    for (claim, reason) in
        [("nonce", "it carries `nonce`"), ("at_hash", "it carries `at_hash`"), ("c_hash", "it carries `c_hash`")]
    {
        let raw = token(&dev).claim(claim, "x").sign();
        assert_eq!(v.verify(&raw).unwrap_err(), Error::IdTokenAsAccessToken { reason }, "{claim}");
    }
}

#[test]
fn an_id_token_of_the_same_issuer_is_refused() {
    let (dev, v) = setup();
    let id = dev.id_token().issued_at(NOW).nonce("n").sign();
    let err = v.verify(&id).unwrap_err();
    assert_eq!(err, Error::IdTokenAsAccessToken { reason: "it carries `nonce`" });
    assert_eq!(err.code(), ErrorCode::InvalidToken);
}

// ---- issuer, audience ----

#[test]
fn issuer_must_match_byte_for_byte() {
    let (dev, v) = setup();
    for bad in [format!("{}/", dev.issuer()), dev.issuer().to_uppercase(), format!(" {}", dev.issuer())] {
        let err = v.verify(&token(&dev).claim("iss", bad.as_str()).sign()).unwrap_err();
        assert!(matches!(err, Error::WrongIssuer { ref found } if found.as_str() == bad), "{bad}");
    }
    assert_eq!(v.verify(&token(&dev).without("iss").sign()).unwrap_err(), Error::MissingClaim { claim: "iss" });
    assert_eq!(
        v.verify(&token(&dev).claim("iss", 7).sign()).unwrap_err(),
        Error::MalformedClaim { claim: "iss", expected: "a string" }
    );
}

#[test]
fn audience_must_contain_the_api() {
    let (dev, v) = setup();
    let arr = token(&dev).audience(json!(["https://other", dev.audience()])).sign();
    assert_eq!(v.verify(&arr).unwrap().audience().len(), 2);
    let other = token(&dev).audience("https://other-api").sign();
    assert_eq!(v.verify(&other).unwrap_err(), Error::WrongAudience { expected: dev.audience().into() });
    assert_eq!(v.verify(&token(&dev).without("aud").sign()).unwrap_err(), Error::MissingClaim { claim: "aud" });
    for bad in [json!([]), json!([""]), json!([[dev.audience()]]), json!({"a": 1}), json!(3), json!(null)] {
        let err = v.verify(&token(&dev).audience(bad.clone()).sign()).unwrap_err();
        assert!(matches!(err, Error::MalformedClaim { claim: "aud", .. }), "{bad}: {err}");
    }
}

// ---- time ----

#[test]
fn expiry_uses_a_sixty_second_leeway() {
    let (dev, v) = setup();
    let at = |exp: i64| token(&dev).claim("exp", exp).sign();
    assert!(v.verify(&at(NOW - 59)).is_ok());
    assert_eq!(v.verify(&at(NOW - 60)).unwrap_err(), Error::Expired { exp: NOW - 60, now: NOW, leeway: 60 });
    assert_eq!(v.verify(&token(&dev).without("exp").sign()).unwrap_err(), Error::MissingClaim { claim: "exp" });
}

#[test]
fn leeway_is_configurable_and_capped() {
    let (dev, _) = setup();
    let strict = dev.access_token_verifier::<Api>().leeway(Duration::ZERO).clock(|| NOW).build().unwrap();
    assert!(matches!(strict.verify(&token(&dev).claim("exp", NOW).sign()), Err(Error::Expired { leeway: 0, .. })));
    assert!(matches!(
        dev.access_token_verifier::<Api>().leeway(Duration::from_secs(301)).build(),
        Err(ConfigError::LeewayTooLarge { leeway: 301, max: 300 })
    ));
    assert!(dev.access_token_verifier::<Api>().leeway(Duration::from_secs(300)).build().is_ok());
}

#[test]
fn not_before_is_checked_when_present() {
    let (dev, v) = setup();
    assert!(v.verify(&token(&dev).claim("nbf", NOW + 60).sign()).is_ok());
    assert_eq!(
        v.verify(&token(&dev).claim("nbf", NOW + 61).sign()).unwrap_err(),
        Error::NotYetValid { nbf: NOW + 61, now: NOW, leeway: 60 }
    );
}

#[test]
fn issued_at_is_required_and_not_in_the_future() {
    let (dev, v) = setup();
    assert_eq!(v.verify(&token(&dev).without("iat").sign()).unwrap_err(), Error::MissingClaim { claim: "iat" });
    let future = token(&dev).claim("iat", NOW + 61).claim("exp", NOW + 600).sign();
    assert_eq!(v.verify(&future).unwrap_err(), Error::IssuedInFuture { iat: NOW + 61, now: NOW, leeway: 60 });
}

#[test]
fn a_time_claim_of_the_wrong_type_is_malformed_never_absent() {
    let (dev, v) = setup();
    for claim in ["exp", "nbf", "iat"] {
        for bad in [json!("1800000000"), json!(null), json!(true), json!([NOW]), json!({})] {
            let err = v.verify(&token(&dev).claim(claim, bad.clone()).sign()).unwrap_err();
            assert!(matches!(err, Error::MalformedClaim { claim: c, .. } if c == claim), "{claim}={bad}: {err}");
        }
    }
    // A fractional NumericDate is a number, and valid (RFC 7519 §2).
    assert!(v.verify(&token(&dev).claim("exp", 1_800_000_010.5).sign()).is_ok());
}

// ---- required claims under the strict profile ----

#[test]
fn sub_client_id_and_jti_are_required() {
    let (dev, v) = setup();
    for claim in ["sub", "client_id", "jti"] {
        assert_eq!(v.verify(&token(&dev).without(claim).sign()).unwrap_err(), Error::MissingClaim { claim });
        let err = v.verify(&token(&dev).claim(claim, 1).sign()).unwrap_err();
        assert_eq!(err, Error::MalformedClaim { claim, expected: "a string" });
    }
}

// ---- scopes ----

#[test]
fn scopes_are_parsed_into_the_declared_set() {
    let (dev, v) = setup();
    let t = v.verify(&token(&dev).scope("openid write:messages read:messages:all xread:messages").sign()).unwrap();
    assert_eq!(t.scopes().iter().collect::<Vec<_>>(), [Api::WriteMessages]);
    let none = v.verify(&token(&dev).without("scope").sign()).unwrap();
    assert!(none.scopes().is_empty());
}

#[test]
fn scope_of_the_wrong_type_is_malformed() {
    let (dev, v) = setup();
    let err = v.verify(&token(&dev).claim("scope", json!(["read:messages"])).sign()).unwrap_err();
    assert_eq!(err, Error::MalformedClaim { claim: "scope", expected: "a space-delimited string" });
}

#[test]
fn scp_is_not_read_under_the_strict_profile() {
    let (dev, v) = setup();
    let t = v.verify(&token(&dev).without("scope").claim("scp", json!(["read:messages"])).sign()).unwrap();
    assert!(t.scopes().is_empty());
}

// ---- custom claims ----

#[derive(AccessClaims, serde::Deserialize, Debug)]
#[claims(validate = Tenant::check)]
struct Tenant {
    tenant: String,
    #[serde(default)]
    seats: Option<u32>,
}

impl Tenant {
    fn check(&self) -> Result<(), String> {
        if self.tenant.starts_with("t-") { Ok(()) } else { Err(format!("unknown tenant {}", self.tenant)) }
    }
}

#[test]
fn custom_claims_are_decoded_and_validated() {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier_with::<Api, Tenant>().clock(|| NOW).build().unwrap();
    let t = v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", 3).sign()).unwrap();
    assert_eq!(t.claims().tenant, "t-1");
    assert_eq!(t.claims().seats, Some(3));

    let err = v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", "three").sign()).unwrap_err();
    assert!(matches!(&err, Error::InvalidCustomClaim { path, .. } if &**path == "seats"), "{err}");

    let err = v.verify(&token(&dev).sign()).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidCustomClaim { message, .. } if message.contains("missing field `tenant`")),
        "{err}"
    );

    let err = v.verify(&token(&dev).claim("tenant", "acme").sign()).unwrap_err();
    assert_eq!(err, Error::ClaimsRejected { reason: "unknown tenant acme".into() });
}

// ---- configuration ----

#[test]
fn builder_refuses_incomplete_configuration() {
    let keys = DevIssuer::new().key_set();
    assert_eq!(
        AccessTokenVerifier::<Api>::builder("", "a").keys(keys.clone()).build().unwrap_err(),
        ConfigError::Empty("issuer")
    );
    assert_eq!(
        AccessTokenVerifier::<Api>::builder("i", "").keys(keys).build().unwrap_err(),
        ConfigError::Empty("audience")
    );
    assert_eq!(AccessTokenVerifier::<Api>::builder("i", "a").build().unwrap_err(), ConfigError::NoKeys);
}

// ---- errors never print the token ----

#[test]
fn errors_never_contain_the_token() {
    let (dev, v) = setup();
    let raw = token(&dev).claim("exp", NOW - 1000).sign();
    let err = v.verify(&raw).unwrap_err();
    let sig = raw.rsplit('.').next().unwrap();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(sig) && !text.contains(&raw[..20]), "{text}");
    }
    let long_kid = "k".repeat(500);
    let err = v.verify(&token(&dev).kid(Some(&long_kid)).sign()).unwrap_err();
    assert!(err.to_string().len() < 150, "{err}");
}

#[test]
fn custom_claim_errors_are_bounded_and_escaped() {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier_with::<Api, Tenant>().clock(|| NOW).build().unwrap();
    let huge = format!("{}\n\u{1b}[31m", "x".repeat(5000));
    let err = v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", huge.as_str()).sign()).unwrap_err();
    let text = err.to_string();
    assert!(text.len() < 200, "{text}");
    assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
}

#[test]
fn header_shape_rules() {
    let (dev, v) = setup();
    let raw = token(&dev).sign();
    let cases = [
        (json!({"alg": 256, "typ": "at+jwt"}), Malformed::Header),
        (json!({"typ": "at+jwt"}), Malformed::Header),
        (json!({"alg": "ES256", "typ": ["at+jwt"]}), Malformed::Header),
        (json!({"alg": "ES256", "typ": "at+jwt", "b64": false}), Malformed::UnencodedPayload),
        (json!({"alg": "ES256", "typ": "at+jwt", "cty": "JWT"}), Malformed::Nested),
    ];
    for (header, expected) in cases {
        assert_eq!(v.verify(&with_header(&raw, &header)).unwrap_err(), Error::Malformed(expected), "{header}");
    }
    let not_object = format!("{}.{}", common::b64(b"[1,2]"), raw.split_once('.').unwrap().1);
    assert_eq!(v.verify(&not_object).unwrap_err(), Error::Malformed(Malformed::Header));
    let trailing = format!("{}.{}", common::b64(br#"{"alg":"ES256"} x"#), raw.split_once('.').unwrap().1);
    assert_eq!(v.verify(&trailing).unwrap_err(), Error::Malformed(Malformed::Header));
}

#[test]
fn custom_claim_errors_never_echo_the_value() {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier_with::<Api, Tenant>().clock(|| NOW).build().unwrap();
    let secret = "alice@example.com";
    let err = v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", secret).sign()).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCustomClaim { path: "seats".into(), message: "invalid type: string, expected u32".into() }
    );
    let err = v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", -7).sign()).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCustomClaim { path: "seats".into(), message: "invalid value: integer, expected u32".into() }
    );
    let err = v.verify(&token(&dev).claim("tenant", json!({"name": secret})).sign()).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCustomClaim { path: "tenant".into(), message: "invalid type: map, expected a string".into() }
    );
    let err = v.verify(&token(&dev).claim("seats", 3).sign()).unwrap_err();
    assert_eq!(err, Error::InvalidCustomClaim { path: "(claims)".into(), message: "missing field `tenant`".into() });
    for err in [
        v.verify(&token(&dev).claim("tenant", "t-1").claim("seats", secret).sign()).unwrap_err(),
        v.verify(&token(&dev).claim("tenant", secret).claim("seats", 1.5).sign()).unwrap_err(),
    ] {
        assert!(!err.to_string().contains("alice"), "{err}");
        assert!(!format!("{err:?}").contains("alice"), "{err:?}");
    }
}

#[derive(AccessClaims, serde::Deserialize, Debug)]
#[allow(dead_code)]
struct Plan {
    plan: Tier,
}

#[derive(serde::Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
enum Tier {
    Free,
    Team,
}

#[test]
fn custom_claim_errors_leave_out_unknown_variants() {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier_with::<Api, Plan>().clock(|| NOW).build().unwrap();
    let err = v.verify(&token(&dev).claim("plan", "alice@example.com").sign()).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCustomClaim { path: "plan".into(), message: "unknown variant, expected `free` or `team`".into() }
    );
}

#[test]
fn sender_constrained_token_is_refused_as_bearer() {
    let (dev, v) = setup();
    let bindings = [
        json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
        json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
        json!({}),
        json!({"unknown": 1}),
        json!("not an object"),
        json!(null),
    ];
    for cnf in bindings {
        let err = v.verify(&token(&dev).claim("cnf", cnf.clone()).sign()).unwrap_err();
        assert_eq!(err, Error::SenderConstrained, "{cnf}");
        assert_eq!(err.code(), ErrorCode::InvalidToken);
    }
    assert_eq!(
        Error::SenderConstrained.to_string(),
        "the access token is bound to a key or certificate (`cnf`) and must be presented with its proof of \
         possession (DPoP or mutual TLS), not as a bearer token"
    );
}
