//! No input makes verification panic, and no single-byte change of a valid
//! token is accepted.

mod common;

use common::{Api, NOW};
use tokenkind::dev::DevIssuer;
use tokenkind::{Algorithm, NoClaims, Nonce};

#[test]
fn every_single_byte_change_is_rejected() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
        let dev = DevIssuer::with_algorithm(alg);
        let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
        let raw = dev.access_token().issued_at(NOW).scope("read:messages").sign();
        assert!(v.verify(&raw).is_ok());
        let bytes = raw.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [b'A', b'_', b'-', b'.', b'z', b'0', b'=', b' '] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[i] = replacement;
                let changed = String::from_utf8(changed).unwrap();
                assert!(v.verify(&changed).is_err(), "{alg}: byte {i} -> {}", replacement as char);
            }
        }
    }
}

#[test]
fn arbitrary_inputs_never_panic() {
    let dev = DevIssuer::new();
    let api = dev.access_token_verifier::<Api>().build().unwrap();
    let login = dev.id_token_verifier::<NoClaims>().build().unwrap();
    let seed_token = dev.access_token().sign();
    // A small deterministic generator: xorshift64*.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        usize::try_from(state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40).unwrap()
    };
    let alphabet = b"ABCabc0189-_.=+/ {}\":,[]\\\x00\xff";
    for round in 0..3000 {
        let len = next() % 200;
        let mut s: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| alphabet[next() % alphabet.len()]).collect()
        } else {
            let mut t = seed_token.as_bytes().to_vec();
            for _ in 0..=(next() % 4) {
                let i = next() % t.len();
                t[i] = alphabet[next() % alphabet.len()];
            }
            t
        };
        s.retain(u8::is_ascii);
        let s = String::from_utf8(s).unwrap();
        let _ = api.verify(&s);
        let _ = login.verify(&s, Nonce::NotRequested);
    }
    // Structured but hostile JSON inside well-formed segments.
    for payload in ["null", "[]", "1e400", "{\"exp\":1e400}", "{\"aud\":[[[[[]]]]]}", "\"x\"", "{\"\\ud800\":1}"] {
        let raw = common::raw_token(r#"{"alg":"ES256","typ":"at+jwt"}"#, payload, b"sig");
        assert!(api.verify(&raw).is_err());
    }
}
