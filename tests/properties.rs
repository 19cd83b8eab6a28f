//! Properties that hold for every input (proptest, in the normal test run):
//! no input makes a verifier or a parser panic; no single-byte change of a
//! valid token gets past the signature; a required claim removed is named in
//! the refusal; scope sets round-trip; the time rules decide exactly.

mod common;

use std::sync::OnceLock;

use common::{Api, NOW, b64};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tokenkind::dev::DevIssuer;
use tokenkind::http::parse_authorization;
use tokenkind::{
    AccessTokenVerifier, Algorithm, Error, IdTokenVerifier, KeySet, NoClaims, Nonce, Profile, ScopeSet, Scopes,
};

const ISS: &str = "https://issuer.example";
const API: &str = "https://api.example";
const CLIENT: &str = "client-1";
const SECRET: [u8; 32] = [0x3c; 32];

const PROFILES: [Profile; 6] =
    [Profile::Rfc9068, Profile::Auth0, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito];

/// Verifiers built once: one per profile, and a login; HMAC and ES256 keys.
struct Fixture {
    es: DevIssuer,
    apis: Vec<AccessTokenVerifier<Api>>,
    login: IdTokenVerifier<NoClaims>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let es = DevIssuer::new().issuer_url(ISS).api_audience(API).client(CLIENT);
        let keys = es.key_set().with_hmac(Some("hs"), &SECRET, Algorithm::HS256).unwrap();
        let apis = PROFILES
            .iter()
            .map(|p| {
                let audience = if *p == Profile::Cognito { CLIENT } else { API };
                AccessTokenVerifier::<Api>::builder(ISS, audience)
                    .keys(keys.clone())
                    .profile(*p)
                    .clock(|| NOW)
                    .build()
                    .unwrap()
            })
            .collect();
        let login = IdTokenVerifier::<NoClaims>::builder(ISS, CLIENT).keys(keys).clock(|| NOW).build().unwrap();
        Fixture { es, apis, login }
    })
}

/// Runs every verifier on `token`; returns the strict access verifier's result.
fn verify_all(token: &str) -> Result<(), Error> {
    let f = fixture();
    for v in &f.apis[1..] {
        let _ = v.verify(token);
    }
    let _ = f.login.verify(token, Nonce::NotRequested);
    let _ = f.login.verify(token, Nonce::Expected("n"));
    f.apis[0].verify(token).map(drop)
}

fn hs256(header: &Value, claims: &Value) -> String {
    common::hs256(&header.to_string(), &claims.to_string(), &SECRET)
}

fn hs_header(typ: &str) -> Value {
    json!({"alg": "HS256", "typ": typ, "kid": "hs"})
}

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(json!(ISS)),
        Just(json!(API)),
        Just(json!(CLIENT)),
        Just(json!(NOW)),
        Just(json!("read:messages write:messages")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Registered and profile claim names, and some others.
fn claim_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            tokenkind::__private::RESERVED.iter().copied().chain(["ver", "roles", "permissions"]).collect::<Vec<_>>()
        )
        .prop_map(str::to_owned),
        "[a-z]{1,8}",
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
}

fn valid_access_claims() -> Value {
    json!({"iss": ISS, "sub": "u", "aud": API, "client_id": CLIENT, "jti": "AT.1", "iat": NOW, "exp": NOW + 300,
           "scope": "read:messages"})
}

proptest! {
    // 512 cases each by default; `PROPTEST_CASES=100000` runs them longer.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Any byte string (read as UTF-8, lossily) is refused or accepted, never a panic.
    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = verify_all(&String::from_utf8_lossy(&bytes));
    }

    /// Three segments of base64url characters: past the structure check, still no panic.
    #[test]
    fn any_three_segments_never_panic(h in "[A-Za-z0-9_-]{0,80}", p in "[A-Za-z0-9_-]{0,80}", s in "[A-Za-z0-9_=+/-]{0,90}") {
        let _ = verify_all(&format!("{h}.{p}.{s}"));
    }

    /// Any JSON header over a valid payload: the header never makes a verifier panic.
    #[test]
    fn any_signed_header_never_panics(extra in prop::collection::btree_map(claim_name(), json_value(), 0..5)) {
        let mut header = hs_header("at+jwt");
        for (k, v) in extra {
            header[k] = v;
        }
        let _ = verify_all(&hs256(&header, &valid_access_claims()));
    }

    /// Any claims, validly signed: every verifier answers, none panics.
    #[test]
    fn any_signed_claims_never_panic(
        claims in prop::collection::btree_map(claim_name(), json_value(), 0..10),
        base in any::<bool>(),
        typ in prop::sample::select(vec!["at+jwt", "JWT", "logout+jwt"]),
    ) {
        let mut payload = if base { valid_access_claims() } else { json!({}) };
        for (k, v) in claims {
            payload[k] = v;
        }
        let _ = verify_all(&hs256(&hs_header(typ), &payload));
    }

    /// No single-byte change of a valid token gets past the signature check:
    /// it is refused by the JWS layer (structure, header, algorithm, key or signature).
    #[test]
    fn single_byte_change_is_refused_by_the_jws_layer(
        which in 0usize..2,
        index in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            prop::sample::select(b"ABCXYZabcxyz0189-_.=+/ ".to_vec()).prop_map(char::from),
            any::<char>(),
        ],
    ) {
        let f = fixture();
        let raw = if which == 0 {
            f.es.access_token().issued_at(NOW).sign()
        } else {
            hs256(&hs_header("at+jwt"), &valid_access_claims())
        };
        prop_assert!(f.apis[0].verify(&raw).is_ok());
        let i = index.index(raw.len());
        prop_assume!(u8::try_from(replacement).ok() != Some(raw.as_bytes()[i]));
        let mut changed = raw.clone();
        changed.replace_range(i..=i, replacement.encode_utf8(&mut [0; 4]));
        let err = f.apis[0].verify(&changed).unwrap_err();
        prop_assert!(
            matches!(err, Error::Malformed(_) | Error::BadSignature | Error::DisallowedAlgorithm { .. } | Error::UnknownKey { .. }),
            "byte {} -> {:?}: {:?}", i, replacement, err
        );
    }

    /// A required claim removed from a valid token (re-signed) is named in the refusal,
    /// whatever custom claims come along.
    #[test]
    fn removing_a_required_claim_is_refused_naming_it(
        profile in 0usize..PROFILES.len(),
        pick in any::<prop::sample::Index>(),
        extra in prop::collection::btree_map("x_[a-z]{1,6}", json_value(), 0..4),
    ) {
        let (typ, claims, required) = profile_token(PROFILES[profile]);
        let mut claims = claims;
        for (k, v) in extra {
            claims[k] = v;
        }
        let v = &fixture().apis[profile];
        prop_assert!(v.verify(&hs256(&hs_header(typ), &claims)).is_ok());
        let (claim, expected) = &required[pick.index(required.len())];
        claims.as_object_mut().unwrap().remove(*claim);
        prop_assert_eq!(&v.verify(&hs256(&hs_header(typ), &claims)).unwrap_err(), expected, "{:?} without {}", PROFILES[profile], claim);
    }

    /// The same for ID tokens.
    #[test]
    fn removing_a_required_id_claim_is_refused_naming_it(pick in any::<prop::sample::Index>()) {
        let claims = json!({"iss": ISS, "sub": "u", "aud": CLIENT, "iat": NOW, "exp": NOW + 300, "nonce": "n"});
        let required = [
            ("iss", Error::MissingClaim { claim: "iss" }),
            ("sub", Error::MissingClaim { claim: "sub" }),
            ("aud", Error::MissingClaim { claim: "aud" }),
            ("exp", Error::MissingClaim { claim: "exp" }),
            ("iat", Error::MissingClaim { claim: "iat" }),
            ("nonce", Error::NonceMismatch),
        ];
        let login = &fixture().login;
        prop_assert!(login.verify(&hs256(&hs_header("JWT"), &claims), Nonce::Expected("n")).is_ok());
        let (claim, expected) = &required[pick.index(required.len())];
        let mut claims = claims;
        claims.as_object_mut().unwrap().remove(*claim);
        prop_assert_eq!(&login.verify(&hs256(&hs_header("JWT"), &claims), Nonce::Expected("n")).unwrap_err(), expected);
    }

    /// Any set of declared scopes survives printing and parsing.
    #[test]
    fn scope_sets_round_trip(picks in prop::collection::vec(prop::sample::select(Api::ALL.to_vec()), 0..6)) {
        let set: ScopeSet<Api> = picks.iter().copied().collect();
        prop_assert_eq!(ScopeSet::<Api>::parse(&set.to_string()), set);
        for s in Api::ALL {
            prop_assert_eq!(set.contains(*s), picks.contains(s));
        }
    }

    /// A scope string grants exactly the declared names it holds as whole
    /// space-delimited words, in the parser and through a verified token alike.
    #[test]
    fn scope_strings_grant_whole_words_only(
        words in prop::collection::vec(prop_oneof![
            prop::sample::select(Api::NAMES.to_vec()).prop_map(str::to_owned),
            prop::sample::select(Api::NAMES.to_vec()).prop_map(|s| format!("{s}:all")),
            prop::sample::select(Api::NAMES.to_vec()).prop_map(|s| format!("x{s}")),
            "[a-z:]{0,10}",
        ], 0..8),
        sep in prop::sample::select(vec![" ", "  ", "\t", ","]),
    ) {
        let scope = words.join(sep);
        let parsed = ScopeSet::<Api>::parse(&scope);
        let expected: ScopeSet<Api> = scope.split(' ').filter_map(Api::from_scope).collect();
        prop_assert_eq!(parsed, expected);
        let claims = {
            let mut c = valid_access_claims();
            c["scope"] = json!(scope);
            c
        };
        let token = fixture().apis[0].verify(&hs256(&hs_header("at+jwt"), &claims)).unwrap();
        prop_assert_eq!(token.scopes(), expected);
    }

    /// `exp`, `nbf` and `iat` decide exactly by the rules, for any values, without overflow.
    #[test]
    fn time_rules_decide_exactly(exp in any::<i64>(), nbf in prop::option::of(any::<i64>()), iat in any::<i64>()) {
        let mut claims = valid_access_claims();
        claims["exp"] = json!(exp);
        claims["iat"] = json!(iat);
        if let Some(nbf) = nbf {
            claims["nbf"] = json!(nbf);
        }
        let leeway = 60;
        let expected = if i128::from(NOW) >= i128::from(exp) + 60 {
            Err(Error::Expired { exp, now: NOW, leeway })
        } else if nbf.is_some_and(|n| i128::from(NOW) < i128::from(n) - 60) {
            Err(Error::NotYetValid { nbf: nbf.unwrap(), now: NOW, leeway })
        } else if i128::from(iat) > i128::from(NOW) + 60 {
            Err(Error::IssuedInFuture { iat, now: NOW, leeway })
        } else {
            Ok(())
        };
        prop_assert_eq!(fixture().apis[0].verify(&hs256(&hs_header("at+jwt"), &claims)).map(drop), expected);
    }

    /// The bearer header parser never panics; what it returns is the token, verbatim, from the header.
    #[test]
    fn bearer_header_parser_never_panics(
        prefix in prop::sample::select(vec!["Bearer ", "bearer  ", "BEARER ", "Basic ", "", "Bearer", "DPoP "]),
        rest in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let value = [prefix.as_bytes(), &rest].concat();
        if let Ok(token) = parse_authorization(&value) {
            prop_assert!(!token.is_empty() && token.is_ascii());
            let again = format!("Bearer {token}");
            prop_assert_eq!(parse_authorization(again.as_bytes()), Ok(token));
            prop_assert!(value.windows(token.len()).any(|w| w == token.as_bytes()));
        }
    }

    /// Any JWK members: loading a JWKS never panics, and a loaded key set is usable.
    #[test]
    fn any_jwk_never_panics(
        jwk in prop::collection::btree_map(
            prop::sample::select(vec!["kty", "crv", "x", "y", "n", "e", "alg", "use", "key_ops", "kid", "k", "x5c"]).prop_map(str::to_owned),
            prop_oneof![json_value(), "[A-Za-z0-9_-]{0,64}".prop_map(Value::String), Just(json!("EC")), Just(json!("RSA")), Just(json!("OKP")), Just(json!("P-256")), Just(json!("AQAB"))],
            0..8,
        ),
    ) {
        let doc = json!({"keys": [Value::Object(jwk.into_iter().collect::<Map<_, _>>())]}).to_string();
        if let Ok(keys) = KeySet::from_jwks(&doc) {
            let v = AccessTokenVerifier::<Api>::builder(ISS, API).keys(keys).clock(|| NOW).build().unwrap();
            let _ = v.verify(&fixture().es.access_token().issued_at(NOW).sign());
        }
    }
}

/// A valid token for a profile: header `typ`, claims, and each required
/// claim with the exact refusal its absence earns.
fn profile_token(profile: Profile) -> (&'static str, Value, Vec<(&'static str, Error)>) {
    let missing = |claim: &'static str| (claim, Error::MissingClaim { claim });
    let base = json!({"iss": ISS, "sub": "u", "aud": API, "iat": NOW, "exp": NOW + 300, "scope": "read:messages"});
    let with = |extra: Value| {
        let mut c = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let common = || vec![missing("iss"), missing("sub"), missing("exp"), missing("iat")];
    match profile {
        Profile::Rfc9068 => {
            let mut r = common();
            r.extend([missing("aud"), missing("client_id"), missing("jti")]);
            ("at+jwt", with(json!({"client_id": CLIENT, "jti": "j"})), r)
        }
        Profile::Auth0 => {
            let mut r = common();
            r.extend([missing("aud"), missing("azp")]);
            ("JWT", with(json!({"azp": CLIENT})), r)
        }
        Profile::Keycloak => {
            let mut r = common();
            r.extend([missing("aud"), missing("azp"), missing("typ")]);
            ("JWT", with(json!({"azp": CLIENT, "typ": "Bearer"})), r)
        }
        Profile::Okta => {
            let mut r = common();
            r.extend([missing("aud"), missing("cid"), missing("jti")]);
            ("JWT", with(json!({"cid": CLIENT, "jti": "AT.1"})), r)
        }
        Profile::EntraId => {
            let mut r = common();
            r.extend([
                missing("aud"),
                missing("ver"),
                (
                    "azp",
                    Error::IdTokenAsAccessToken {
                        reason: "it has no `azp`, which every Entra ID v2 access token carries",
                    },
                ),
            ]);
            ("JWT", with(json!({"azp": CLIENT, "ver": "2.0"})), r)
        }
        _ => {
            let mut r = common();
            r.extend([missing("client_id"), missing("jti"), missing("token_use")]);
            let mut c = with(json!({"client_id": CLIENT, "jti": "j", "token_use": "access"}));
            c.as_object_mut().unwrap().remove("aud");
            ("JWT", c, r)
        }
    }
}

#[test]
fn b64_helper_is_unpadded() {
    assert_eq!(b64(b"ab"), "YWI");
}
