//! An in-process development issuer: a fresh key pair that mints ID tokens
//! and access tokens shaped like a real OpenID Provider's, for examples,
//! tests and local development. Enabled by the `dev-issuer` feature.
//!
//! Its keys live only in the process: a production verifier never trusts
//! them unless it is configured with this issuer's [`DevIssuer::jwks`].
//!
//! ```
//! use tokenkind::dev::DevIssuer;
//! use tokenkind::{Nonce, Scopes};
//!
//! #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
//! enum Api {
//!     #[scope("read:messages")]
//!     ReadMessages,
//! }
//!
//! let issuer = DevIssuer::new();
//! let access = issuer.access_token().scope("read:messages").sign();
//! let id = issuer.id_token().nonce("n1").sign();
//!
//! let api = issuer.access_token_verifier::<Api>().build()?;
//! assert!(api.verify(&access)?.has_scope(Api::ReadMessages));
//!
//! let login = issuer.id_token_verifier::<tokenkind::NoClaims>().build()?;
//! assert_eq!(login.verify(&id, Nonce::Expected("n1"))?.subject(), "dev-user");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::claims::{AccessClaims, IdClaims};
use crate::keys::{Algorithm, KeySet};
use crate::scope::Scopes;
use crate::verify::{AccessTokenVerifier, AccessTokenVerifierBuilder, IdTokenVerifier, IdTokenVerifierBuilder};

/// The dev issuer's default issuer URL.
pub const DEFAULT_ISSUER: &str = "https://dev-issuer.tokenkind.invalid";
/// The dev issuer's default API identifier (access-token audience).
pub const DEFAULT_AUDIENCE: &str = "https://api.example";
/// The dev issuer's default OAuth client ID (ID-token audience).
pub const DEFAULT_CLIENT_ID: &str = "dev-client";

/// An issuer with its own freshly generated key.
pub struct DevIssuer {
    issuer: String,
    audience: String,
    client_id: String,
    kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    keys: KeySet,
    jwk: Value,
}

impl DevIssuer {
    /// An ES256 issuer at [`DEFAULT_ISSUER`], for the API [`DEFAULT_AUDIENCE`]
    /// and the client [`DEFAULT_CLIENT_ID`].
    pub fn new() -> Self {
        Self::with_algorithm(Algorithm::ES256)
    }

    /// An issuer signing with `algorithm` (RSA keys are 2048 bits; an HMAC
    /// issuer publishes no JWKS and its verifiers get the secret).
    ///
    /// # Panics
    /// Only if the operating system's random generator fails.
    pub fn with_algorithm(algorithm: Algorithm) -> Self {
        let rng = SystemRandom::new();
        let kid = format!("dev-{}", random_id(&rng, 6));
        let (encoding, jwk, keys) = generate(algorithm, &kid, &rng);
        Self {
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            kid,
            algorithm,
            encoding,
            keys,
            jwk,
        }
    }

    /// Sets the issuer URL (`iss`).
    #[must_use]
    pub fn issuer_url(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the API identifier put in access tokens' `aud`.
    #[must_use]
    pub fn api_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets the client ID put in ID tokens' `aud` and access tokens' `client_id`.
    #[must_use]
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The API identifier.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The client ID.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The key ID of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key as a JWKS document (empty `keys` for an HMAC issuer).
    pub fn jwks(&self) -> String {
        let keys = if self.jwk.is_null() { vec![] } else { vec![self.jwk.clone()] };
        json!({ "keys": keys }).to_string()
    }

    /// The verification keys (for an HMAC issuer, the secret).
    pub fn key_set(&self) -> KeySet {
        self.keys.clone()
    }

    /// A verifier builder for this issuer's access tokens, already given
    /// the issuer, audience and keys.
    pub fn access_token_verifier<S: Scopes>(&self) -> AccessTokenVerifierBuilder<S> {
        self.access_token_verifier_with::<S, crate::NoClaims>()
    }

    /// Like [`DevIssuer::access_token_verifier`], with custom claims `C`.
    pub fn access_token_verifier_with<S: Scopes, C: AccessClaims>(&self) -> AccessTokenVerifierBuilder<S, C> {
        AccessTokenVerifier::<S, C>::builder(&self.issuer, &self.audience).keys(self.key_set())
    }

    /// A verifier builder for this issuer's ID tokens.
    pub fn id_token_verifier<C: IdClaims>(&self) -> IdTokenVerifierBuilder<C> {
        IdTokenVerifier::<C>::builder(&self.issuer, &self.client_id).keys(self.key_set())
    }

    /// Starts an RFC 9068 access token: header `typ: at+jwt`; `iss`, `sub`
    /// (`dev-user`), `aud`, `client_id`, a random `jti`, `iat` now, `exp` in
    /// five minutes, and an empty `scope`.
    pub fn access_token(&self) -> TokenBuilder<'_> {
        let now = now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!("dev-user"));
        claims.insert("aud".into(), json!(self.audience));
        claims.insert("client_id".into(), json!(self.client_id));
        claims.insert("jti".into(), json!(random_id(&SystemRandom::new(), 12)));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        claims.insert("scope".into(), json!(""));
        TokenBuilder { issuer: self, alg: None, typ: Some("at+jwt".into()), kid: Some(self.kid.clone()), claims }
    }

    /// Starts an OpenID Connect ID token: header `typ: JWT`; `iss`, `sub`
    /// (`dev-user`), `aud` (the client ID), `iat` and `auth_time` now, `exp`
    /// in five minutes.
    pub fn id_token(&self) -> TokenBuilder<'_> {
        let now = now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!("dev-user"));
        claims.insert("aud".into(), json!(self.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("auth_time".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        TokenBuilder { issuer: self, alg: None, typ: Some("JWT".into()), kid: Some(self.kid.clone()), claims }
    }

    /// Starts an OpenID Connect Back-Channel Logout token (Back-Channel
    /// Logout 1.0 §2.4): header `typ: logout+jwt`; `iss`, `sub`
    /// (`dev-user`), `aud` (the client ID), `iat` now, `exp` in two minutes,
    /// a random `jti`, and `events` with the back-channel-logout member.
    pub fn logout_token(&self) -> TokenBuilder<'_> {
        let now = now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!("dev-user"));
        claims.insert("aud".into(), json!(self.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 120));
        claims.insert("jti".into(), json!(random_id(&SystemRandom::new(), 12)));
        claims.insert("events".into(), json!({ crate::verify::BACKCHANNEL_LOGOUT_EVENT: {} }));
        TokenBuilder { issuer: self, alg: None, typ: Some("logout+jwt".into()), kid: Some(self.kid.clone()), claims }
    }

    /// Starts a token endpoint response (RFC 6749 §5.1, OpenID Connect Core
    /// §3.1.3.3), as the issuer would answer an authorization code: an
    /// access token for the API (as [`DevIssuer::access_token`]), an ID
    /// token for the client with `at_hash` (and `nonce`, when set),
    /// `token_type` `Bearer`, `expires_in` 300, a random `refresh_token`.
    pub fn token_response(&self) -> TokenResponseBuilder<'_> {
        TokenResponseBuilder {
            issuer: self,
            subject: "dev-user".into(),
            scope: String::new(),
            nonce: None,
            at_hash: true,
            members: Map::new(),
            removed: Vec::new(),
        }
    }
}

impl Default for DevIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A token being minted; finish with [`TokenBuilder::sign`].
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a DevIssuer,
    alg: Option<Algorithm>,
    typ: Option<String>,
    kid: Option<String>,
    claims: Map<String, Value>,
}

impl TokenBuilder<'_> {
    /// Sets `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", sub)
    }

    /// Sets `scope` (space-delimited).
    pub fn scope(self, scope: &str) -> Self {
        self.claim("scope", scope)
    }

    /// Sets `nonce`.
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// Sets `sid`, the provider session (ID tokens, logout tokens).
    pub fn session_id(self, sid: &str) -> Self {
        self.claim("sid", sid)
    }

    /// Sets `at_hash` for `access_token` (OpenID Connect Core §3.1.3.6),
    /// with the hash of the token's algorithm as chosen so far.
    pub fn access_token_hash(self, access_token: &str) -> Self {
        let hash = self.left_half_hash(access_token);
        self.claim("at_hash", hash)
    }

    /// Sets `c_hash` for the authorization code `code` (OpenID Connect Core §3.3.2.11).
    pub fn code_hash(self, code: &str) -> Self {
        let hash = self.left_half_hash(code);
        self.claim("c_hash", hash)
    }

    fn left_half_hash(&self, value: &str) -> String {
        let alg = self.alg.unwrap_or(self.issuer.algorithm);
        let digest = aws_lc_rs::digest::digest(alg.digest(), value.as_bytes());
        b64(&digest.as_ref()[..digest.as_ref().len() / 2])
    }

    /// Sets `aud`.
    pub fn audience(self, aud: impl Into<Value>) -> Self {
        self.claim("aud", aud)
    }

    /// Sets `exp` to `seconds` from `iat` (negative for an expired token).
    pub fn expires_in(self, seconds: i64) -> Self {
        let iat = self.claims.get("iat").and_then(Value::as_i64).unwrap_or_else(now);
        self.claim("exp", iat + seconds)
    }

    /// Sets `iat` (and `exp` five minutes later, `auth_time` when present) to `at`.
    pub fn issued_at(mut self, at: i64) -> Self {
        if self.claims.contains_key("auth_time") {
            self.claims.insert("auth_time".into(), json!(at));
        }
        self.claim("iat", at).claim("exp", at + 300)
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the header `typ` (`None` leaves it out).
    pub fn header_typ(mut self, typ: Option<&str>) -> Self {
        self.typ = typ.map(Into::into);
        self
    }

    /// Sets the header `kid` (`None` leaves it out).
    pub fn kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(Into::into);
        self
    }

    /// Signs with another algorithm of the same key family (e.g. PS256 with
    /// an RS256 issuer's RSA key), to test algorithm restrictions.
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// Signs the token with the issuer's key.
    ///
    /// # Panics
    /// If [`TokenBuilder::algorithm`] chose an algorithm the key cannot sign with.
    pub fn sign(self) -> String {
        let mut header = Header::new(Algorithm::to_jsonwebtoken(self.alg.unwrap_or(self.issuer.algorithm)));
        header.typ = self.typ;
        header.kid = self.kid;
        jsonwebtoken::encode(&header, &self.claims, &self.issuer.encoding)
            .expect("the dev issuer signs with its own valid key")
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}

/// A token endpoint response being minted; finish with [`TokenResponseBuilder::json`].
#[must_use]
pub struct TokenResponseBuilder<'a> {
    issuer: &'a DevIssuer,
    subject: String,
    scope: String,
    nonce: Option<String>,
    at_hash: bool,
    members: Map<String, Value>,
    removed: Vec<String>,
}

impl TokenResponseBuilder<'_> {
    /// Sets `sub` of both tokens.
    pub fn subject(mut self, sub: &str) -> Self {
        sub.clone_into(&mut self.subject);
        self
    }

    /// Sets the access token's `scope` and the response's `scope` member.
    pub fn scope(mut self, scope: &str) -> Self {
        scope.clone_into(&mut self.scope);
        self
    }

    /// Sets the ID token's `nonce`.
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.to_owned());
        self
    }

    /// Leaves `at_hash` out of the ID token.
    pub fn without_access_token_hash(mut self) -> Self {
        self.at_hash = false;
        self
    }

    /// Sets a member of the response to any JSON value (after the tokens
    /// are minted: replacing `access_token` breaks the ID token's `at_hash`).
    pub fn member(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a member of the response.
    pub fn without(mut self, name: &str) -> Self {
        self.removed.push(name.to_owned());
        self
    }

    /// Mints the tokens and writes the response body.
    pub fn json(self) -> String {
        let access_token = self.issuer.access_token().subject(&self.subject).scope(&self.scope).sign();
        let mut id_token = self.issuer.id_token().subject(&self.subject);
        if let Some(nonce) = &self.nonce {
            id_token = id_token.nonce(nonce);
        }
        if self.at_hash {
            id_token = id_token.access_token_hash(&access_token);
        }
        let mut body = Map::new();
        body.insert("access_token".into(), json!(access_token));
        body.insert("token_type".into(), json!("Bearer"));
        body.insert("expires_in".into(), json!(300));
        body.insert("refresh_token".into(), json!(random_id(&SystemRandom::new(), 16)));
        if !self.scope.is_empty() {
            body.insert("scope".into(), json!(self.scope));
        }
        body.insert("id_token".into(), json!(id_token.sign()));
        body.extend(self.members);
        for name in &self.removed {
            body.remove(name);
        }
        Value::Object(body).to_string()
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn random_id(rng: &SystemRandom, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf).expect("the system random generator works");
    URL_SAFE_NO_PAD.encode(buf)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem(label: &str, der: &[u8]) -> String {
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", STANDARD.encode(der))
}

/// Generates a key pair; returns the signing key, the public JWK and the key set.
fn generate(algorithm: Algorithm, kid: &str, rng: &SystemRandom) -> (EncodingKey, Value, KeySet) {
    const FAILED: &str = "key generation with the system random generator works";
    let alg = algorithm.as_str();
    let (encoding, jwk) = match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            let mut secret = vec![0u8; 64];
            rng.fill(&mut secret).expect(FAILED);
            let keys = KeySet::new().with_hmac(Some(kid), &secret, algorithm).expect(FAILED);
            return (EncodingKey::from_secret(&secret).expect(FAILED), Value::Null, keys);
        }
        Algorithm::ES256 | Algorithm::ES384 => {
            let (signing, crv) = if algorithm == Algorithm::ES256 {
                (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256")
            } else {
                (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384")
            };
            let pair = EcdsaKeyPair::generate(signing).expect(FAILED);
            let pkcs8 = pair.to_pkcs8v1().expect(FAILED);
            let point = pair.public_key().as_ref();
            let len = (point.len() - 1) / 2;
            let jwk = json!({"kty": "EC", "crv": crv, "use": "sig", "alg": alg, "kid": kid,
                             "x": b64(&point[1..=len]), "y": b64(&point[1 + len..])});
            (EncodingKey::from_ec_der(pkcs8.as_ref()), jwk)
        }
        Algorithm::EdDSA => {
            let pair = Ed25519KeyPair::generate().expect(FAILED);
            let pkcs8 = pair.to_pkcs8().expect(FAILED);
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": alg, "kid": kid,
                             "x": b64(pair.public_key().as_ref())});
            (EncodingKey::from_ed_der(pkcs8.as_ref()), jwk)
        }
        _ => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect(FAILED);
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().expect(FAILED);
            let encoding = EncodingKey::from_rsa_pem(pem("PRIVATE KEY", der.as_ref()).as_bytes()).expect(FAILED);
            let components = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            let jwk = json!({"kty": "RSA", "use": "sig", "alg": alg, "kid": kid,
                             "n": b64(&components.n), "e": b64(&components.e)});
            (encoding, jwk)
        }
    };
    let keys = KeySet::from_jwks(&json!({ "keys": [jwk] }).to_string()).expect(FAILED);
    (encoding, jwk, keys)
}

/// A client's DPoP key (ES256), for examples and tests: it makes the
/// proofs a DPoP client sends (RFC 9449 §4), and its thumbprint binds dev
/// access tokens to it ([`TokenBuilder::dpop_bound`]).
///
/// ```
/// use tokenkind::dev::{DevIssuer, DpopKey};
///
/// let issuer = DevIssuer::new();
/// let key = DpopKey::new();
/// let token = issuer.access_token().dpop_bound(&key).sign();
/// let proof = key.proof("GET", "https://api.example/messages").access_token(&token).sign();
/// assert_eq!(proof.split('.').count(), 3);
/// ```
pub struct DpopKey {
    pair: EcdsaKeyPair,
    jwk: Value,
    thumbprint: String,
}

impl DpopKey {
    /// A fresh P-256 key pair.
    ///
    /// # Panics
    /// If the system random generator fails.
    pub fn new() -> Self {
        const FAILED: &str = "key generation with the system random generator works";
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect(FAILED);
        let point = pair.public_key().as_ref();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
        let thumbprint = crate::keys::jwk_thumbprint(&jwk.to_string()).expect(FAILED);
        Self { pair, jwk, thumbprint }
    }

    /// The public key, as the proof's `jwk` header carries it.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// The RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A proof for `method` and `url` (`htm`, `htu`), issued now with a
    /// random `jti`; add the access token with [`ProofBuilder::access_token`].
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder<'_> {
        let jti = random_id(&SystemRandom::new(), 12);
        ProofBuilder {
            key: self,
            header: json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            claims: json!({"htm": method, "htu": url, "iat": now(), "jti": jti})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }
}

impl Default for DpopKey {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey").field("thumbprint", &self.thumbprint).finish_non_exhaustive()
    }
}

/// A DPoP proof being made; finish with [`ProofBuilder::sign`].
#[must_use]
pub struct ProofBuilder<'a> {
    key: &'a DpopKey,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl ProofBuilder<'_> {
    /// Sets `ath` for `access_token` (RFC 9449 §4.2).
    pub fn access_token(self, access_token: &str) -> Self {
        let ath = b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes()).as_ref());
        self.claim("ath", ath)
    }

    /// Sets the server's `nonce` (RFC 9449 §9).
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// Sets `iat`.
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", iat)
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets any header parameter (`alg` only changes what the header says:
    /// the proof is always signed with the ES256 key).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs the proof.
    ///
    /// # Panics
    /// If the system random generator fails.
    pub fn sign(self) -> String {
        let input = format!(
            "{}.{}",
            b64(Value::Object(self.header).to_string().as_bytes()),
            b64(Value::Object(self.claims).to_string().as_bytes())
        );
        let signature =
            self.key.pair.sign(&SystemRandom::new(), input.as_bytes()).expect("signing with a valid key works");
        format!("{input}.{}", b64(signature.as_ref()))
    }
}

impl TokenBuilder<'_> {
    /// Binds the token to `key` (`cnf.jkt`, RFC 9449 §6.1).
    pub fn dpop_bound(self, key: &DpopKey) -> Self {
        self.claim("cnf", json!({ "jkt": key.thumbprint() }))
    }
}
