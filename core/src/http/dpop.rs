//! DPoP on the resource server (RFC 9449 §4.3, §7, §9, §11.1): the policy,
//! the proof checks (one function per rule), server nonces and the `htu`
//! comparison.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::replay::{MemoryReplayStore, ReplayStore};
use crate::error::ConfigError;
use crate::keys::{Algorithm, JwkProblem, held_key};
use crate::verify::dpop_proof::{Claim, ProofHeader, ProofPayload};

/// The proof algorithms accepted by default (RFC 9449 §7.1 `algs`).
pub const DEFAULT_PROOF_ALGORITHMS: [Algorithm; 5] =
    [Algorithm::ES256, Algorithm::ES384, Algorithm::EdDSA, Algorithm::PS256, Algorithm::RS256];
/// How old a proof's `iat` may be by default.
pub const DEFAULT_PROOF_MAX_AGE: Duration = Duration::from_secs(300);
/// How far ahead of the server's clock a proof's `iat` may be by default.
pub const DEFAULT_PROOF_MAX_FUTURE: Duration = Duration::from_secs(60);
/// The longest `iat` window either way that a policy may set.
pub const MAX_PROOF_WINDOW: Duration = Duration::from_secs(3600);
/// How long a server nonce stays valid by default.
pub const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// The largest DPoP proof read, in bytes (an RSA-4096 key in the header fits).
pub const MAX_PROOF_LEN: usize = 8 * 1024;

/// Whether DPoP-bound tokens are accepted, or required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DpopMode {
    /// Bearer and DPoP-bound tokens are both accepted.
    Allowed,
    /// Only DPoP-bound tokens, each with its proof; a bearer token gets 401
    /// with the DPoP challenge.
    Required,
}

/// The DPoP policy of a [`ResourceServer`](super::ResourceServer)
/// (RFC 9449 §7).
///
/// ```
/// use std::time::Duration;
/// use tokenkind::http::{DpopNonceKey, DpopPolicy, ResourceServer};
/// # use tokenkind::Scopes;
/// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
/// # let verifier = tokenkind::dev::DevIssuer::new().access_token_verifier::<Api>().build()?;
/// let server = ResourceServer::builder(verifier)
///     .dpop(DpopPolicy::required().nonces(DpopNonceKey::generate()?).proof_max_age(Duration::from_secs(120)))
///     .public_origin("https://api.example")
///     .build()?;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct DpopPolicy {
    pub(crate) mode: DpopMode,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) max_age: Duration,
    pub(crate) max_future: Duration,
    pub(crate) nonces: Option<(DpopNonceKey, Duration)>,
    pub(crate) replay: Arc<dyn ReplayStore>,
}

impl DpopPolicy {
    /// Bearer and DPoP-bound tokens are both accepted.
    pub fn allowed() -> Self {
        Self::new(DpopMode::Allowed)
    }

    /// Only DPoP-bound tokens are accepted.
    pub fn required() -> Self {
        Self::new(DpopMode::Required)
    }

    fn new(mode: DpopMode) -> Self {
        Self {
            mode,
            algorithms: DEFAULT_PROOF_ALGORITHMS.to_vec(),
            max_age: DEFAULT_PROOF_MAX_AGE,
            max_future: DEFAULT_PROOF_MAX_FUTURE,
            nonces: None,
            replay: Arc::new(MemoryReplayStore::new()),
        }
    }

    /// The proof algorithms accepted (asymmetric only; default ES256, ES384,
    /// EdDSA, PS256, RS256), advertised in `algs`.
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// How old a proof's `iat` may be (default 300 s, at most 1 h).
    pub fn proof_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How far ahead of this server's clock a proof's `iat` may be (default 60 s, at most 1 h).
    pub fn proof_max_future(mut self, max_future: Duration) -> Self {
        self.max_future = max_future;
        self
    }

    /// Turns server nonces on (RFC 9449 §9): proofs must carry a nonce this
    /// key sealed, at most [`DEFAULT_NONCE_LIFETIME`] old. Give every instance
    /// of the API the same key and each accepts the others' nonces.
    pub fn nonces(mut self, key: DpopNonceKey) -> Self {
        self.nonces = Some((key, DEFAULT_NONCE_LIFETIME));
        self
    }

    /// How long a nonce stays valid (default 300 s, at most 1 h); with nonces on.
    pub fn nonce_lifetime(mut self, lifetime: Duration) -> Self {
        if let Some((_, l)) = &mut self.nonces {
            *l = lifetime;
        }
        self
    }

    /// Where proofs are remembered to refuse replays (default: a
    /// [`MemoryReplayStore`] for this process).
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// The `algs` attribute of the DPoP challenge.
    pub(crate) fn algs(&self) -> String {
        self.algorithms.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// How long a proof is remembered: as long as its `iat` can be accepted.
    pub(crate) fn replay_window(&self) -> Duration {
        self.max_age.saturating_add(self.max_future)
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::Invalid("the DPoP policy accepts no proof algorithm"));
        }
        if self.algorithms.iter().any(|a| a.is_symmetric()) {
            return Err(ConfigError::Invalid(
                "DPoP proofs are signed with the client's private key: HS256, HS384 and HS512 are not proof algorithms",
            ));
        }
        for (what, d) in [("proof_max_age", self.max_age), ("proof_max_future", self.max_future)] {
            if d > MAX_PROOF_WINDOW {
                return Err(ConfigError::Invalid(if what == "proof_max_age" {
                    "the DPoP proof_max_age must be at most 1 h"
                } else {
                    "the DPoP proof_max_future must be at most 1 h"
                }));
            }
        }
        if let Some((_, lifetime)) = &self.nonces
            && (*lifetime > MAX_PROOF_WINDOW || lifetime.is_zero())
        {
            return Err(ConfigError::Invalid("the DPoP nonce lifetime must be between 1 s and 1 h"));
        }
        Ok(())
    }
}

impl fmt::Debug for DpopPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopPolicy")
            .field("mode", &self.mode)
            .field("algorithms", &self.algorithms)
            .field("max_age", &self.max_age)
            .field("max_future", &self.max_future)
            .field("nonces", &self.nonces.as_ref().map(|(_, lifetime)| lifetime))
            .finish_non_exhaustive()
    }
}

/// The key that seals server nonces (AES-256-GCM): a nonce carries its
/// issue time, so any instance holding the key can check it, with no shared
/// state.
#[derive(Clone)]
pub struct DpopNonceKey(Arc<LessSafeKey>);

impl DpopNonceKey {
    /// A random key, for one instance (or share its bytes: use
    /// [`from_bytes`](Self::from_bytes) on every instance).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the system's random generator fails:
    /// never a predictable key.
    pub fn generate() -> Result<Self, ConfigError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| ConfigError::Invalid(RANDOM_FAILED))?;
        Self::from_bytes(bytes)
    }

    /// A key from 32 secret bytes.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the cryptographic library refuses the key.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, ConfigError> {
        UnboundKey::new(&AES_256_GCM, &bytes)
            .map(|key| Self(Arc::new(LessSafeKey::new(key))))
            .map_err(|_| ConfigError::Invalid("the DPoP nonce key was refused by the cryptographic library"))
    }

    /// A fresh nonce, issued at `now` (seconds since the epoch); `None` if
    /// no fresh random IV can be had (a repeated AES-GCM IV would expose the
    /// key), so the refusal then carries no nonce.
    pub(crate) fn issue(&self, now: i64) -> Option<String> {
        let mut iv = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut iv).ok()?;
        let mut sealed = now.to_be_bytes().to_vec();
        self.0.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(NONCE_AAD), &mut sealed).ok()?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// Whether `nonce` was sealed by this key at most `lifetime` ago (and not
    /// more than a minute ahead of `now`).
    pub(crate) fn accepts(&self, nonce: &str, now: i64, lifetime: Duration) -> bool {
        let Ok(mut bytes) = URL_SAFE_NO_PAD.decode(nonce) else { return false };
        if bytes.len() != NONCE_LEN + 8 + AES_256_GCM.tag_len() {
            return false;
        }
        let mut sealed = bytes.split_off(NONCE_LEN);
        let Ok(iv) = Nonce::try_assume_unique_for_key(&bytes) else { return false };
        let Ok(plain) = self.0.open_in_place(iv, Aad::from(NONCE_AAD), &mut sealed) else { return false };
        let Ok(issued) = <[u8; 8]>::try_from(&plain[..]) else { return false };
        let issued = i64::from_be_bytes(issued);
        let lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        issued <= now.saturating_add(60) && now <= issued.saturating_add(lifetime)
    }
}

const NONCE_AAD: &[u8] = b"tokenkind dpop nonce v1";

const RANDOM_FAILED: &str = "the system's random generator failed: no DPoP nonce key can be made";

impl fmt::Debug for DpopNonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpopNonceKey(..)")
    }
}

/// Why a DPoP proof was refused (RFC 9449 §4.3): `invalid_dpop_proof`,
/// except [`DpopError::UseNonce`] (`use_dpop_nonce`, RFC 9449 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The request has no `DPoP` header.
    #[error("the request has no DPoP proof")]
    Missing,
    /// The request has more than one `DPoP` header (or an empty one).
    #[error("the request must carry exactly one DPoP proof")]
    NotExactlyOne,
    /// The proof is not a well-formed JWS, or is too long.
    #[error("the DPoP proof is not a well-formed JWT")]
    Malformed,
    /// The header `typ` is not `dpop+jwt`.
    #[error("the DPoP proof's `typ` is not dpop+jwt")]
    WrongType,
    /// The `alg` is not one of the accepted asymmetric algorithms.
    #[error("the DPoP proof's algorithm is not accepted")]
    DisallowedAlgorithm,
    /// The header has no `jwk`, or it is not a public key of the `alg`.
    #[error("the DPoP proof's `jwk` is not a public key for its algorithm")]
    InvalidKey,
    /// The `jwk` holds private key material.
    #[error("the DPoP proof's `jwk` holds private key material")]
    PrivateKey,
    /// The signature does not verify with the `jwk`.
    #[error("the DPoP proof's signature is invalid")]
    BadSignature,
    /// A required claim is absent.
    #[error("the DPoP proof lacks the claim `{0}`")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or form.
    #[error("the DPoP proof's claim `{0}` is malformed")]
    MalformedClaim(&'static str),
    /// `htm` is not the request's method.
    #[error("the DPoP proof is for another HTTP method")]
    WrongMethod,
    /// `htu` is not the request's URI.
    #[error("the DPoP proof is for another URI")]
    WrongUri,
    /// `iat` is too old.
    #[error("the DPoP proof was issued too long ago")]
    TooOld,
    /// `iat` is too far ahead of the server's clock.
    #[error("the DPoP proof claims to be issued in the future")]
    InFuture,
    /// `ath` is not the hash of the access token sent with it.
    #[error("the DPoP proof is for another access token (`ath`)")]
    WrongAccessToken,
    /// The proof key is not the one the access token is bound to (`cnf.jkt`).
    #[error("the DPoP proof is signed with another key than the one the access token is bound to")]
    WrongKey,
    /// The proof was already used.
    #[error("the DPoP proof was already used")]
    Replayed,
    /// The proof has no nonce, or one this server did not issue or that expired.
    #[error("the DPoP proof needs a fresh server nonce")]
    UseNonce,
}

impl DpopError {
    /// The fixed text sent in `error_description`.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::Missing | Self::NotExactlyOne => "send exactly one DPoP proof with a DPoP-bound access token",
            Self::UseNonce => "resend the request with a DPoP proof carrying the nonce in the DPoP-Nonce header",
            Self::Replayed => "the DPoP proof was already used; make a new one for each request",
            Self::WrongMethod | Self::WrongUri => "the DPoP proof is for another request",
            Self::TooOld | Self::InFuture => "the DPoP proof's iat is outside the accepted window",
            Self::WrongAccessToken | Self::WrongKey => "the DPoP proof does not match the access token",
            _ => "the DPoP proof is invalid",
        }
    }
}

/// What a valid proof establishes.
pub(crate) struct CheckedProof {
    /// The thumbprint of the proof key (to compare with `cnf.jkt`).
    pub(crate) jkt: String,
    /// The proof's `jti`, for the replay store.
    pub(crate) jti: String,
}

/// The request a proof must match.
pub(crate) struct ProofContext<'a> {
    pub(crate) method: &'a str,
    /// The request's URI without query or fragment, normalised.
    pub(crate) uri: Option<String>,
    pub(crate) access_token: &'a str,
    pub(crate) now: i64,
}

/// Every check of RFC 9449 §4.3 on one proof, in order; the replay check
/// comes later, once the access token is known to be valid too.
pub(crate) fn check_proof(proof: &str, policy: &DpopPolicy, cx: &ProofContext<'_>) -> Result<CheckedProof, DpopError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(DpopError::Malformed);
    }
    let (header, signing_input, signature) = ProofHeader::parse(proof).map_err(|()| DpopError::Malformed)?;
    check_type(header.typ.as_deref())?;
    let alg = check_algorithm(&header.alg, &policy.algorithms)?;
    let key = header.jwk.as_deref().ok_or(DpopError::InvalidKey)?;
    let key = held_key(key, alg).map_err(|p| match p {
        JwkProblem::Private => DpopError::PrivateKey,
        _ => DpopError::InvalidKey,
    })?;
    if !key.verify(signing_input.as_bytes(), &signature) {
        return Err(DpopError::BadSignature);
    }
    let claims = ProofPayload::parse(proof).map_err(|()| DpopError::Malformed)?;
    let jti = check_jti(claims.jti.as_ref())?;
    check_method(claims.htm.as_ref(), cx.method)?;
    check_uri(claims.htu.as_ref(), cx.uri.as_deref())?;
    check_issued_at(claims.iat, cx.now, policy)?;
    check_access_token_hash(claims.ath.as_ref(), cx.access_token)?;
    check_nonce(claims.nonce.as_ref(), policy, cx.now)?;
    Ok(CheckedProof { jkt: key.thumbprint, jti })
}

/// `typ` is `dpop+jwt` (RFC 9449 §4.3 check 4; media types compare
/// case-insensitively, with or without `application/`).
fn check_type(typ: Option<&str>) -> Result<(), DpopError> {
    let typ = typ.ok_or(DpopError::WrongType)?;
    let media = typ.get(..12).filter(|p| p.eq_ignore_ascii_case("application/")).map_or(typ, |_| &typ[12..]);
    if media.eq_ignore_ascii_case("dpop+jwt") { Ok(()) } else { Err(DpopError::WrongType) }
}

/// `alg` is one of the policy's asymmetric algorithms (check 5): never
/// `none`, never HMAC.
/// The fully-specified name `Ed25519` (RFC 9864 §2.2), which DPoP clients
/// use for Ed25519 keys, is `EdDSA` with that curve: accepted where `EdDSA` is
/// (the key must then be an Ed25519 `jwk`).
fn check_algorithm(alg: &str, allowed: &[Algorithm]) -> Result<Algorithm, DpopError> {
    let named = if alg == "Ed25519" { Some(Algorithm::EdDSA) } else { Algorithm::from_name(alg) };
    match named {
        Some(a) if allowed.contains(&a) && !a.is_symmetric() => Ok(a),
        _ => Err(DpopError::DisallowedAlgorithm),
    }
}

/// `jti` is a non-empty string of at most 256 bytes (check 9, §11.1).
fn check_jti(jti: Option<&Claim>) -> Result<String, DpopError> {
    match jti {
        None => Err(DpopError::MissingClaim("jti")),
        Some(Claim::Str(s)) if !s.is_empty() && s.len() <= 256 => Ok(s.clone()),
        Some(_) => Err(DpopError::MalformedClaim("jti")),
    }
}

/// `htm` is the request's method, compared exactly (check 8; methods are
/// case-sensitive, RFC 9110 §9.1).
fn check_method(htm: Option<&Claim>, method: &str) -> Result<(), DpopError> {
    match htm {
        None => Err(DpopError::MissingClaim("htm")),
        Some(Claim::Str(s)) if s == method => Ok(()),
        Some(Claim::Str(_)) => Err(DpopError::WrongMethod),
        Some(_) => Err(DpopError::MalformedClaim("htm")),
    }
}

/// `htu` is the request's URI, ignoring query and fragment, after the
/// normalisation of RFC 3986 §6.2.2–6.2.3 (check 9).
fn check_uri(htu: Option<&Claim>, request: Option<&str>) -> Result<(), DpopError> {
    let htu = match htu {
        None => return Err(DpopError::MissingClaim("htu")),
        Some(Claim::Str(s)) => normalize_uri(s).ok_or(DpopError::MalformedClaim("htu"))?,
        Some(_) => return Err(DpopError::MalformedClaim("htu")),
    };
    if request == Some(htu.as_str()) { Ok(()) } else { Err(DpopError::WrongUri) }
}

/// `iat` within the policy's window around the server's clock (check 11).
fn check_issued_at(iat: Option<Result<i64, ()>>, now: i64, policy: &DpopPolicy) -> Result<(), DpopError> {
    let iat = match iat {
        None => return Err(DpopError::MissingClaim("iat")),
        Some(Err(())) => return Err(DpopError::MalformedClaim("iat")),
        Some(Ok(iat)) => iat,
    };
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    if iat < now.saturating_sub(secs(policy.max_age)) {
        return Err(DpopError::TooOld);
    }
    if iat > now.saturating_add(secs(policy.max_future)) {
        return Err(DpopError::InFuture);
    }
    Ok(())
}

/// `ath` is base64url(SHA-256(access token)) (check 12, §4.2).
fn check_access_token_hash(ath: Option<&Claim>, access_token: &str) -> Result<(), DpopError> {
    let expected =
        URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes()).as_ref());
    match ath {
        None => Err(DpopError::MissingClaim("ath")),
        Some(Claim::Str(s)) if *s == expected => Ok(()),
        Some(Claim::Str(_)) => Err(DpopError::WrongAccessToken),
        Some(_) => Err(DpopError::MalformedClaim("ath")),
    }
}

/// With server nonces on, `nonce` is one this server sealed, still fresh
/// (check 10, §9).
fn check_nonce(nonce: Option<&Claim>, policy: &DpopPolicy, now: i64) -> Result<(), DpopError> {
    let Some((key, lifetime)) = &policy.nonces else { return Ok(()) };
    match nonce {
        Some(Claim::Str(n)) if key.accepts(n, now, *lifetime) => Ok(()),
        _ => Err(DpopError::UseNonce),
    }
}

/// `scheme://host[:port]/path` of an absolute URI, normalised as RFC 3986
/// §6.2.2 and §6.2.3 allow and nothing more: scheme and host lowercased, the
/// default port dropped, an empty path made `/`, percent-encoded unreserved
/// characters decoded and other escapes uppercased; query and fragment
/// dropped. `None` for anything but an `http` or `https` URI with a host.
pub(crate) fn normalize_uri(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut out = format!("{scheme}://{}", host.to_ascii_lowercase());
    match port {
        Some(p) if !p.bytes().all(|b| b.is_ascii_digit()) => return None,
        Some(p) if p.is_empty() || p.trim_start_matches('0') == default_port => {}
        Some(p) => {
            let p = p.trim_start_matches('0');
            out.push(':');
            out.push_str(if p.is_empty() { "0" } else { p });
        }
        None => {}
    }
    if path.is_empty() {
        out.push('/');
    }
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(core::str::from_utf8(hex).ok()?, 16).ok()?;
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&core::str::from_utf8(hex).ok()?.to_ascii_uppercase());
            }
            i += 3;
        } else if b.is_ascii_graphic() {
            out.push(char::from(b));
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_normalised_as_rfc_3986_allows_and_no_further() {
        let n = |u: &str| normalize_uri(u);
        assert_eq!(n("https://API.Example/messages").as_deref(), Some("https://api.example/messages"));
        assert_eq!(n("HTTPS://api.example:443/messages").as_deref(), Some("https://api.example/messages"));
        assert_eq!(n("http://api.example:80").as_deref(), Some("http://api.example/"));
        assert_eq!(n("http://127.0.0.1:8080/a?b=c#d").as_deref(), Some("http://127.0.0.1:8080/a"));
        assert_eq!(n("https://api.example/%7Euser/%61b%2f").as_deref(), Some("https://api.example/~user/ab%2F"));
        // Not normalised away: path case, trailing slashes, dot segments.
        assert_eq!(n("https://api.example/Messages/").as_deref(), Some("https://api.example/Messages/"));
        assert_eq!(n("https://api.example/a/../b").as_deref(), Some("https://api.example/a/../b"));
        for bad in [
            "ftp://a/b",
            "https:///x",
            "https://user@api.example/",
            "https://a/b%2",
            "https://a/%zz",
            "/a",
            "https://a:x/",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    #[test]
    fn nonces_are_sealed_with_their_issue_time() {
        let key = DpopNonceKey::generate().unwrap();
        let nonce = key.issue(1_000).unwrap();
        let lifetime = Duration::from_secs(300);
        assert!(key.accepts(&nonce, 1_000, lifetime));
        assert!(key.accepts(&nonce, 1_300, lifetime));
        assert!(!key.accepts(&nonce, 1_301, lifetime));
        assert!(!key.accepts(&nonce, 900, lifetime), "issued more than a minute ahead");
        assert!(!DpopNonceKey::generate().unwrap().accepts(&nonce, 1_000, lifetime), "another key");
        let mut forged = nonce.clone().into_bytes();
        forged[20] = if forged[20] == b'A' { b'B' } else { b'A' };
        assert!(!key.accepts(core::str::from_utf8(&forged).unwrap(), 1_000, lifetime));
        assert!(!key.accepts("", 1_000, lifetime));
        assert!(!key.accepts("not base64!", 1_000, lifetime));
        // Shared bytes: every instance accepts the others' nonces.
        let (a, b) = (DpopNonceKey::from_bytes([9; 32]).unwrap(), DpopNonceKey::from_bytes([9; 32]).unwrap());
        assert!(b.accepts(&a.issue(5_000).unwrap(), 5_010, lifetime));
    }

    #[test]
    fn proof_algorithms_come_from_the_policy_only() {
        let all = DEFAULT_PROOF_ALGORITHMS;
        assert_eq!(check_algorithm("ES256", &all), Ok(Algorithm::ES256));
        assert_eq!(check_algorithm("EdDSA", &all), Ok(Algorithm::EdDSA));
        // RFC 9864's fully-specified name for Ed25519.
        assert_eq!(check_algorithm("Ed25519", &all), Ok(Algorithm::EdDSA));
        assert_eq!(check_algorithm("Ed25519", &[Algorithm::ES256]), Err(DpopError::DisallowedAlgorithm));
        for refused in ["none", "HS256", "ed25519", "Ed448", "ES256K", ""] {
            assert_eq!(check_algorithm(refused, &all), Err(DpopError::DisallowedAlgorithm), "{refused}");
        }
        assert_eq!(check_algorithm("ES256", &[Algorithm::EdDSA]), Err(DpopError::DisallowedAlgorithm));
    }

    #[test]
    fn policies_are_checked() {
        assert_eq!(DpopPolicy::allowed().check(), Ok(()));
        assert!(matches!(DpopPolicy::allowed().algorithms(&[Algorithm::HS256]).check(), Err(ConfigError::Invalid(_))));
        assert!(matches!(DpopPolicy::allowed().algorithms(&[]).check(), Err(ConfigError::Invalid(_))));
        assert!(matches!(DpopPolicy::allowed().proof_max_age(Duration::MAX).check(), Err(ConfigError::Invalid(_))));
        assert!(matches!(
            DpopPolicy::allowed().nonces(DpopNonceKey::generate().unwrap()).nonce_lifetime(Duration::ZERO).check(),
            Err(ConfigError::Invalid(_))
        ));
        assert_eq!(DpopPolicy::required().algs(), "ES256 ES384 EdDSA PS256 RS256");
    }
}
