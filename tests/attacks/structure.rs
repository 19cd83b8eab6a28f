//! Structure attacks (RFC 7515 §7.1, RFC 8725 §3.4, §3.11): segment counts,
//! base64 variants, unsupported JWS features, non-object and duplicate JSON,
//! invalid UTF-8, and oversized tokens.

use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use serde_json::json;
use tokenkind::error::Malformed;
use tokenkind::http::{BearerError, parse_authorization};
use tokenkind::verify::{DEFAULT_MAX_TOKEN_LEN, MAX_MAX_TOKEN_LEN};
use tokenkind::{AccessTokenVerifier, Error, Nonce};

use super::common::{Api, NOW, b64, raw_token};
use super::{API, Es256, ISS, access_claims, api, hmac_keys, hs, hs_segments, login};

const HS_HEADER: &str = r#"{"alg":"HS256","typ":"at+jwt"}"#;
/// A header whose length is not a multiple of 3, so its base64 has unused trailing bits.
const HS_HEADER_UNALIGNED: &str = r#"{"alg":"HS256","typ":"at+jwt","x":12}"#;

/// Access claims whose JSON length is not a multiple of 3.
fn unaligned_claims() -> String {
    let mut pad = String::new();
    loop {
        let text = super::with(access_claims(), "pad", json!(pad)).to_string();
        if !text.len().is_multiple_of(3) {
            return text;
        }
        pad.push('x');
    }
}

fn malformed(m: Malformed) -> Error {
    Error::Malformed(m)
}

fn valid() -> (Es256, String) {
    let es = Es256::new("k");
    let raw = es.sign(&es.header(), &access_claims());
    (es, raw)
}

// ---- segments ----

#[test]
fn one_segment() {
    let (es, raw) = valid();
    let header = raw.split('.').next().unwrap();
    assert_eq!(api(es.keys()).verify(header).unwrap_err(), malformed(Malformed::Segments));
}

#[test]
fn two_segments() {
    let (es, raw) = valid();
    let (input, _) = raw.rsplit_once('.').unwrap();
    assert_eq!(api(es.keys()).verify(input).unwrap_err(), malformed(Malformed::Segments));
}

#[test]
fn four_segments() {
    let (es, raw) = valid();
    let v = api(es.keys());
    assert_eq!(v.verify(&format!("{raw}.")).unwrap_err(), malformed(Malformed::Segments));
    assert_eq!(v.verify(&format!("{raw}.{}", b64(b"extra"))).unwrap_err(), malformed(Malformed::Segments));
}

#[test]
fn five_segments_jwe_compact() {
    let (es, _) = valid();
    let jwe = [
        b64(br#"{"alg":"RSA-OAEP","enc":"A256GCM","typ":"at+jwt"}"#),
        b64(&[7; 256]),
        b64(&[1; 12]),
        b64(access_claims().to_string().as_bytes()),
        b64(&[2; 16]),
    ]
    .join(".");
    assert_eq!(api(es.keys()).verify(&jwe).unwrap_err(), malformed(Malformed::Segments));
}

#[test]
fn empty_segments() {
    let v = api(hmac_keys());
    assert_eq!(v.verify("").unwrap_err(), malformed(Malformed::Segments));
    assert_eq!(v.verify("..").unwrap_err(), malformed(Malformed::Header));
    let payload = b64(access_claims().to_string().as_bytes());
    // An empty header, signed.
    assert_eq!(v.verify(&hs_segments("", &payload)).unwrap_err(), malformed(Malformed::Header));
    // An empty payload, signed.
    assert_eq!(v.verify(&hs_segments(&b64(HS_HEADER.as_bytes()), "")).unwrap_err(), malformed(Malformed::Payload));
    // An empty signature.
    let raw = hs(HS_HEADER, &access_claims().to_string());
    let (input, _) = raw.rsplit_once('.').unwrap();
    assert_eq!(v.verify(&format!("{input}.")).unwrap_err(), Error::BadSignature);
}

// ---- base64 ----

/// Makes each of the three segments of an HMAC-signed token non-canonical with
/// `bad`, re-signing when the header or payload is changed, so only the
/// encoding is wrong.
fn each_segment_reencoded(bad: impl Fn(&[u8]) -> String) {
    let v = api(hmac_keys());
    let payload = unaligned_claims();
    assert!(v.verify(&hs(HS_HEADER_UNALIGNED, &payload)).is_ok());
    let header_bad = hs_segments(&bad(HS_HEADER_UNALIGNED.as_bytes()), &b64(payload.as_bytes()));
    assert_eq!(v.verify(&header_bad).unwrap_err(), malformed(Malformed::Base64), "header {header_bad}");
    let payload_bad = hs_segments(&b64(HS_HEADER_UNALIGNED.as_bytes()), &bad(payload.as_bytes()));
    assert_eq!(v.verify(&payload_bad).unwrap_err(), malformed(Malformed::Base64), "payload {payload_bad}");
    let raw = hs(HS_HEADER_UNALIGNED, &payload);
    let (input, sig) = raw.rsplit_once('.').unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).unwrap();
    let sig_bad = format!("{input}.{}", bad(&sig));
    assert_eq!(v.verify(&sig_bad).unwrap_err(), malformed(Malformed::Base64), "signature {sig_bad}");
}

#[test]
fn base64_with_padding() {
    // A 32-byte signature, and header and payload lengths not multiples of 3: all padded.
    each_segment_reencoded(|b| {
        let mut s = URL_SAFE.encode(b);
        if !s.ends_with('=') {
            s.push('=');
        }
        s
    });
}

#[test]
fn base64_with_plus_and_slash() {
    // Standard-alphabet base64 of bytes that encode to `+` or `/`.
    let v = api(hmac_keys());
    let payload = super::with(access_claims(), "pad", json!("\u{3fe}\u{3ff}~~~>>>???"));
    let text = payload.to_string();
    for prefix in 0..3 {
        let text = format!("{}{}", " ".repeat(prefix), text);
        let std = STANDARD_NO_PAD.encode(text.as_bytes());
        if std.contains(['+', '/']) {
            let raw = hs_segments(&b64(HS_HEADER.as_bytes()), &std);
            assert_eq!(v.verify(&raw).unwrap_err(), malformed(Malformed::Base64));
            let header = hs_segments(
                &STANDARD_NO_PAD.encode(br#"{"alg":"HS256","typ":"at+jwt","x":"~~~>>>???"}"#),
                &b64(text.as_bytes()),
            );
            assert_eq!(v.verify(&header).unwrap_err(), malformed(Malformed::Base64));
            return;
        }
    }
    panic!("no standard-alphabet character produced");
}

#[test]
fn base64_with_whitespace_or_line_breaks() {
    for ws in [" ", "\n", "\r\n", "\t"] {
        each_segment_reencoded(|b| {
            let s = b64(b);
            format!("{}{ws}{}", &s[..4], &s[4..])
        });
    }
    // Around the whole token.
    let v = api(hmac_keys());
    let raw = hs(HS_HEADER, &access_claims().to_string());
    for wrapped in [format!(" {raw}"), format!("{raw}\n"), format!("{raw}\r\n"), format!("\t{raw}")] {
        assert_eq!(v.verify(&wrapped).unwrap_err(), malformed(Malformed::Base64), "{wrapped:?}");
    }
}

#[test]
fn base64_with_non_canonical_trailing_bits() {
    // The last character of an unpadded segment whose length is not a multiple
    // of 3 carries unused bits; setting them changes nothing a lenient decoder sees.
    each_segment_reencoded(|b| {
        assert_ne!(b.len() % 3, 0);
        let mut s = b64(b).into_bytes();
        let last = s.last_mut().unwrap();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let i = alphabet.iter().position(|c| c == last).unwrap();
        *last = alphabet[i | 1];
        String::from_utf8(s).unwrap()
    });
}

#[test]
fn base64_of_impossible_length() {
    let v = api(hmac_keys());
    let raw = hs(HS_HEADER, &access_claims().to_string());
    let (h, rest) = raw.split_once('.').unwrap();
    // A length of 4k + 1 characters cannot be base64.
    let h = if h.len() % 4 == 0 { format!("{h}A") } else { format!("{h}{}", "A".repeat(5 - h.len() % 4)) };
    assert_eq!(h.len() % 4, 1);
    assert_eq!(v.verify(&format!("{h}.{rest}")).unwrap_err(), malformed(Malformed::Base64));
}

// ---- JWS features tokenkind does not support ----

#[test]
fn b64_false_unencoded_payload() {
    let (es, _) = valid();
    let v = api(es.keys());
    for b64_value in [json!(false), json!("false"), json!(0), json!(null)] {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "b64": b64_value});
        assert_eq!(
            v.verify(&es.sign(&header, &access_claims())).unwrap_err(),
            malformed(Malformed::UnencodedPayload),
            "{b64_value}"
        );
    }
    // RFC 7797 requires `crit: ["b64"]`; crit is refused first.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "b64": false, "crit": ["b64"]});
    assert_eq!(v.verify(&es.sign(&header, &access_claims())).unwrap_err(), malformed(Malformed::Critical));
}

#[test]
fn crit_with_unknown_entries() {
    let (es, _) = valid();
    let v = api(es.keys());
    for crit in [json!(["x-unknown"]), json!(["exp"]), json!(["alg"]), json!(["x", "x"])] {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "crit": crit, "x": 1, "exp": 1});
        assert_eq!(
            v.verify(&es.sign(&header, &access_claims())).unwrap_err(),
            malformed(Malformed::Critical),
            "{crit}"
        );
    }
}

#[test]
fn crit_malformed() {
    let (es, _) = valid();
    let v = api(es.keys());
    for crit in [json!([]), json!("exp"), json!(null), json!([1]), json!({"exp": true}), json!([[]])] {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "crit": crit});
        assert_eq!(
            v.verify(&es.sign(&header, &access_claims())).unwrap_err(),
            malformed(Malformed::Critical),
            "{crit}"
        );
    }
}

#[test]
fn cty_jwt_nested_token() {
    let (es, inner) = valid();
    let v = api(es.keys());
    for cty in ["JWT", "jwt", "application/jwt", "Application/JWT"] {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "cty": cty});
        // The payload is the inner token itself, as RFC 7519 §5.2 nests it.
        assert_eq!(
            v.verify(&es.sign_text(&header.to_string(), &inner)).unwrap_err(),
            malformed(Malformed::Nested),
            "{cty}"
        );
        assert_eq!(v.verify(&es.sign(&header, &access_claims())).unwrap_err(), malformed(Malformed::Nested), "{cty}");
    }
    // Without `cty`, a nested token's payload is not a JSON object.
    let plain = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k"}).to_string();
    assert_eq!(v.verify(&es.sign_text(&plain, &inner)).unwrap_err(), malformed(Malformed::Payload));
    // A non-string cty is a malformed header.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "k", "cty": ["JWT"]});
    assert_eq!(v.verify(&es.sign(&header, &access_claims())).unwrap_err(), malformed(Malformed::Header));
}

// ---- JSON shape ----

#[test]
fn header_not_a_json_object() {
    let (es, _) = valid();
    let v = api(es.keys());
    let payload = access_claims().to_string();
    for header in [
        "[]",
        r#"["alg","ES256"]"#,
        r#""ES256""#,
        "1",
        "null",
        "true",
        "",
        "{",
        r#"{"alg":"ES256"}{}"#,
        r#"{"alg":"ES256",}"#,
        "{'alg':'ES256'}",
    ] {
        assert_eq!(v.verify(&es.sign_text(header, &payload)).unwrap_err(), malformed(Malformed::Header), "{header}");
    }
}

#[test]
fn payload_not_a_json_object() {
    let v = api(hmac_keys());
    for payload in ["[]", "\"claims\"", "1", "null", "", "{", "{}{}", r#"{"iss":"x",}"#, "\u{feff}{}"] {
        assert_eq!(v.verify(&hs(HS_HEADER, payload)).unwrap_err(), malformed(Malformed::Payload), "{payload:?}");
    }
}

#[test]
fn duplicate_header_members() {
    let v = api(hmac_keys());
    let payload = access_claims().to_string();
    for header in [
        r#"{"alg":"HS256","typ":"at+jwt","alg":"none"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","typ":"JWT"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","kid":"a","kid":"b"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","x":1,"x":1}"#,
        r#"{"alg":"HS256","typ":"at+jwt","a\u006cg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","crit":["x"],"crit":["x"]}"#,
    ] {
        assert_eq!(v.verify(&hs(header, &payload)).unwrap_err(), malformed(Malformed::DuplicateMember), "{header}");
    }
}

#[test]
fn duplicate_payload_members() {
    let v = api(hmac_keys());
    let body = access_claims().to_string();
    let body = body.trim_end_matches('}');
    for extra in [
        r#","sub":"admin""#,
        r#","aud":"https://other""#,
        r#","exp":9999999999"#,
        r#","scope":"read:messages write:messages delete:messages""#,
        r#","s\u0075b":"admin""#,
        r#","custom":1,"custom":2"#,
        r#","cust\u006fm":1,"custom":2"#,
    ] {
        let payload = format!("{body}{extra}}}");
        assert_eq!(v.verify(&hs(HS_HEADER, &payload)).unwrap_err(), malformed(Malformed::DuplicateMember), "{extra}");
    }
}

#[test]
fn duplicate_member_in_a_nested_custom_object_is_left_to_the_claims_type() {
    // Only top-level members are claims; a nested object is the custom claims type's data.
    let v = api(hmac_keys());
    let body = access_claims().to_string();
    let payload = format!(r#"{},"ext":{{"a":1,"a":2}}}}"#, body.trim_end_matches('}'));
    assert!(v.verify(&hs(HS_HEADER, &payload)).is_ok());
}

#[test]
fn invalid_utf8_in_header_or_payload() {
    let v = api(hmac_keys());
    let payload = access_claims().to_string();
    let bad_header = [&br#"{"alg":"HS256","typ":"at+jwt","x":""#[..], b"\xff\xfe", br#""}"#].concat();
    assert_eq!(
        v.verify(&hs_segments(&b64(&bad_header), &b64(payload.as_bytes()))).unwrap_err(),
        malformed(Malformed::Header)
    );
    for bad in [&b"\xff"[..], b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"] {
        let body = [payload.trim_end_matches('}').as_bytes(), br#","name":""#, bad, br#""}"#].concat();
        let raw = hs_segments(&b64(HS_HEADER.as_bytes()), &b64(&body));
        assert_eq!(v.verify(&raw).unwrap_err(), malformed(Malformed::Payload), "{bad:?}");
    }
    // Lone surrogates, escaped, in a claim tokenkind reads: not a string.
    let without_sub = super::without(access_claims(), "sub").to_string();
    for bad in [r#""\ud800""#, r#""\udfff""#, r#""\ud800\u0041""#] {
        let body = format!(r#"{},"sub":{bad}}}"#, without_sub.trim_end_matches('}'));
        assert_eq!(
            v.verify(&hs(HS_HEADER, &body)).unwrap_err(),
            Error::MalformedClaim { claim: "sub", expected: "a string" },
            "{bad}"
        );
    }
    // In the header that carries the token.
    assert_eq!(parse_authorization(b"Bearer abc.\xff.def"), Err(BearerError::InvalidSyntax));
}

#[test]
fn deeply_nested_json() {
    let v = api(hmac_keys());
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    // An unknown header parameter is skipped without recursion, however deep.
    let header = format!(r#"{{"alg":"HS256","typ":"at+jwt","x":{}}}"#, deep(5000));
    assert!(v.verify(&hs(&header, &access_claims().to_string())).is_ok());
    // A parameter tokenkind reads is decoded, and too deep for the decoder.
    let header = format!(r#"{{"alg":"HS256","typ":{}}}"#, deep(5000));
    assert_eq!(v.verify(&hs(&header, &access_claims().to_string())).unwrap_err(), malformed(Malformed::Header));
    let body = access_claims().to_string();
    let payload = format!(
        r#"{},"aud":{}}}"#,
        body.trim_end_matches('}').replace(r#""aud":"https://api.example","#, ""),
        deep(5000)
    );
    assert_eq!(
        v.verify(&hs(HS_HEADER, &payload)).unwrap_err(),
        Error::MalformedClaim {
            claim: "aud",
            expected: "a non-empty string or a non-empty array of non-empty strings"
        }
    );
}

#[test]
fn deeply_nested_custom_claim() {
    let v = api(hmac_keys());
    let body = access_claims().to_string();
    let payload = format!(r#"{},"ext":{}{}}}"#, body.trim_end_matches('}'), "[".repeat(5000), "]".repeat(5000));
    // NoClaims ignores the member; nothing recurses without bound.
    assert!(v.verify(&hs(HS_HEADER, &payload)).is_ok());
}

// ---- size ----

#[test]
fn one_mebibyte_token_is_refused_before_decoding() {
    let v = api(hmac_keys());
    // Not base64 at all: any decoding would fail with `Base64`, so `TooLarge` proves none ran.
    let big = "!".repeat(1 << 20);
    let start = Instant::now();
    let err = v.verify(&big).unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(err, Error::TooLarge { len: 1 << 20, max: DEFAULT_MAX_TOKEN_LEN });
    eprintln!("a 1 MiB token was refused in {elapsed:?}");
    let id = login(hmac_keys());
    assert_eq!(
        id.verify(&big, Nonce::NotRequested).unwrap_err(),
        Error::TooLarge { len: 1 << 20, max: DEFAULT_MAX_TOKEN_LEN }
    );
}

#[test]
fn token_over_the_largest_configurable_limit() {
    let v = AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(hmac_keys())
        .max_token_len(MAX_MAX_TOKEN_LEN)
        .clock(|| NOW)
        .build()
        .unwrap();
    let big = "!".repeat(MAX_MAX_TOKEN_LEN + 1);
    assert_eq!(v.verify(&big).unwrap_err(), Error::TooLarge { len: MAX_MAX_TOKEN_LEN + 1, max: MAX_MAX_TOKEN_LEN });
}

#[test]
fn token_one_byte_over_the_limit() {
    let v = api(hmac_keys());
    let raw = hs(HS_HEADER, &super::with(access_claims(), "pad", json!("")).to_string());
    let pad = DEFAULT_MAX_TOKEN_LEN + 1 - raw.len();
    // Grow the payload until the token is exactly one byte too long (base64 grows in steps of 4/3).
    let mut claims = super::with(access_claims(), "pad", json!("x".repeat(pad * 3 / 4)));
    let mut raw = hs(HS_HEADER, &claims.to_string());
    while raw.len() < DEFAULT_MAX_TOKEN_LEN + 1 {
        let s = claims["pad"].as_str().unwrap().to_owned() + "x";
        claims = super::with(claims, "pad", json!(s));
        raw = hs(HS_HEADER, &claims.to_string());
    }
    if raw.len() == DEFAULT_MAX_TOKEN_LEN + 1 {
        assert_eq!(v.verify(&raw).unwrap_err(), Error::TooLarge { len: raw.len(), max: DEFAULT_MAX_TOKEN_LEN });
    } else {
        assert!(matches!(v.verify(&raw), Err(Error::TooLarge { .. })));
    }
}

#[test]
fn header_with_many_members_is_refused_quickly() {
    // Many distinct header parameters: the duplicate check must not be quadratic.
    let v = AccessTokenVerifier::<Api>::builder(ISS, API)
        .keys(hmac_keys())
        .max_token_len(MAX_MAX_TOKEN_LEN)
        .clock(|| NOW)
        .build()
        .unwrap();
    let members: Vec<String> = (0..60_000).map(|i| format!(r#""m{i:x}":0"#)).collect();
    let header = format!(r#"{{"alg":"HS256","typ":"at+jwt",{}}}"#, members.join(","));
    let raw = raw_token(&header, "{}", b"x");
    assert!(raw.len() <= MAX_MAX_TOKEN_LEN, "{}", raw.len());
    let start = Instant::now();
    assert_eq!(v.verify(&raw).unwrap_err(), Error::BadSignature);
    eprintln!("a header with 60000 members was checked in {:?}", start.elapsed());
}

#[test]
fn standard_base64_of_the_whole_token() {
    let (es, raw) = valid();
    let v = api(es.keys());
    assert_eq!(v.verify(&STANDARD.encode(raw.as_bytes())).unwrap_err(), malformed(Malformed::Segments));
}
