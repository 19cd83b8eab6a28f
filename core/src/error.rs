//! Why a token was refused, with the RFC 6750 error code for each reason.
//!
//! No variant holds the token or its signature, so neither `Display` nor
//! `Debug` can print them. Values copied from a token (a `kid`, a `typ`, an
//! issuer, a custom claim decoding message) are cut to [`MAX_ECHO`] characters.

use core::fmt;

use crate::scope::{RequiredAuthentication, RequiredRoles, RequiredScopes};

/// The most characters of a token-supplied value an error keeps.
pub const MAX_ECHO: usize = 96;

/// The RFC 6750 §3.1 (and RFC 9449 §7.1, §9) error code of a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`: the request is malformed (e.g. two credentials).
    InvalidRequest,
    /// `invalid_token`: the token is expired, revoked, malformed or not for this API.
    InvalidToken,
    /// `insufficient_scope`: the token is valid but lacks a required scope.
    InsufficientScope,
    /// `invalid_dpop_proof` (RFC 9449 §7.1): the DPoP proof is missing or invalid.
    InvalidDpopProof,
    /// `use_dpop_nonce` (RFC 9449 §9): the DPoP proof must carry the server's nonce.
    UseDpopNonce,
    /// `insufficient_user_authentication` (RFC 9470 §3): the user's
    /// authentication is not strong or recent enough for the operation.
    InsufficientUserAuthentication,
    /// `forbidden`: the user lacks a required role. Not an RFC 6750 code (a
    /// missing role is not a token problem the client can repair), so it
    /// never appears in a `WWW-Authenticate` header; only in a response body.
    Forbidden,
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1): the token could not be
    /// checked now, e.g. no verification keys could be obtained; the web
    /// layer answers 503.
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The code as it appears in `WWW-Authenticate: Bearer error="..."`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InsufficientUserAuthentication => "insufficient_user_authentication",
            Self::Forbidden => "forbidden",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with the structure of a token (RFC 7515 §7.1 compact serialization).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Not three dot-separated segments (a JWE has five and is refused too).
    Segments,
    /// A segment is not unpadded, canonical base64url.
    Base64,
    /// The header is not a JSON object of the expected shape.
    Header,
    /// The payload is not a JSON object.
    Payload,
    /// A header parameter or claim appears twice.
    DuplicateMember,
    /// The header carries `crit` (no JWS extension is supported).
    Critical,
    /// The header sets `b64: false` (RFC 7797 unencoded payloads are not supported).
    UnencodedPayload,
    /// The header says the payload is itself a JWT (`cty: JWT`); nested tokens are not supported.
    Nested,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Segments => "it is not three base64url segments separated by dots",
            Self::Base64 => "a segment is not valid unpadded base64url",
            Self::Header => "its header is not a valid JOSE header",
            Self::Payload => "its payload is not a JSON object",
            Self::DuplicateMember => "a header parameter or claim appears twice",
            Self::Critical => "its header lists critical extensions (`crit`), which are not supported",
            Self::UnencodedPayload => "its header sets `b64: false`, which is not supported",
            Self::Nested => "it is a nested JWT (`cty: JWT`), which is not supported",
        })
    }
}

/// A token-supplied string, cut to [`MAX_ECHO`] characters for error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Echo(Box<str>);

impl Echo {
    pub(crate) fn new(s: &str) -> Self {
        match s.char_indices().nth(MAX_ECHO) {
            Some((cut, _)) => Self(format!("{}…", &s[..cut]).into_boxed_str()),
            None => Self(s.into()),
        }
    }

    /// The (possibly shortened) value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Echo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Echo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug-escape so that control characters from a token cannot forge log lines.
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// Why a token was refused.
///
/// Every variant maps to an RFC 6750 error code with [`Error::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is longer than the verifier's limit; it was not decoded.
    #[error("the token is {len} bytes long, more than the limit of {max}")]
    TooLarge {
        /// The token's length in bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The token is not a well-formed JWS.
    #[error("the token is malformed: {0}")]
    Malformed(Malformed),
    /// The header's `alg` is not allowed for this verifier or for the selected key.
    #[error("the token's algorithm {alg} is not allowed")]
    DisallowedAlgorithm {
        /// The `alg` header value.
        alg: Echo,
    },
    /// No configured key matches the token's `kid` and algorithm.
    #[error("no trusted key matches the token (kid {})", .kid.as_ref().map_or_else(|| "absent".to_owned(), ToString::to_string))]
    UnknownKey {
        /// The `kid` header value, if any.
        kid: Option<Echo>,
    },
    /// The signature does not verify with the selected key.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// The header `typ` is not the one this verifier requires.
    #[error("the token's type (header `typ`) is {}, expected {expected}", .found.as_ref().map_or_else(|| "absent".to_owned(), ToString::to_string))]
    WrongTokenType {
        /// What the verifier requires.
        expected: &'static str,
        /// The `typ` header value, if any.
        found: Option<Echo>,
    },
    /// An ID token was presented where an access token is required.
    #[error(
        "an ID token was presented where an access token is required ({reason}); an ID token proves who logged in to a client and must not be sent to an API"
    )]
    IdTokenAsAccessToken {
        /// The rule that identified it as an ID token.
        reason: &'static str,
    },
    /// The access token is bound to a key or a certificate (it carries `cnf`,
    /// RFC 7800): DPoP (RFC 9449) or mutual TLS (RFC 8705). It is only valid
    /// together with proof of possession, never as a bearer token.
    #[error(
        "the access token is bound to a key or certificate (`cnf`) and must be presented with its proof of possession (DPoP or mutual TLS), not as a bearer token"
    )]
    SenderConstrained,
    /// The operation requires a sender-constrained token (DPoP- or
    /// certificate-bound, with its proof), and a bearer token was presented.
    #[error("this operation requires a sender-constrained access token (DPoP or mutual TLS), not a bearer token")]
    SenderConstraintRequired,
    /// The access token is bound to a client certificate (`cnf["x5t#S256"]`,
    /// RFC 8705 §3) other than the one this TLS connection authenticated.
    #[error("the access token is bound to another client certificate than the one of this connection")]
    CertificateMismatch,
    /// The access token came with the DPoP scheme and a proof, but it is not
    /// bound to a DPoP key (no `cnf.jkt`, RFC 9449 §6): it is a bearer token
    /// (or bound to a certificate), and a proof cannot make it otherwise.
    #[error("the access token was sent with the DPoP scheme but is not bound to a DPoP key (`cnf.jkt`)")]
    NotDpopBound,
    /// A Security Event Token, such as a Back-Channel Logout token, was
    /// presented as an ID or access token (RFC 8417 §2.2, RFC 8725 §3.12).
    #[error(
        "a logout or other security event token was presented where an ID or access token is required ({reason}); it only reports an event"
    )]
    SecurityEventToken {
        /// The rule that identified it.
        reason: &'static str,
    },
    /// The token is not a Back-Channel Logout token: it lacks what makes one
    /// (`events` with the back-channel-logout member, `sid` or `sub`) or
    /// carries what a logout token never does (`nonce`), so it may be an ID
    /// token (Back-Channel Logout 1.0 §2.4, §2.6).
    #[error(
        "the token is not a logout token ({reason}); a logout token only ends a session, and an ID token never does"
    )]
    NotLogoutToken {
        /// The rule that refused it.
        reason: &'static str,
    },
    /// An access token was presented where an ID token is required.
    #[error("an access token was presented where an ID token is required ({reason})")]
    AccessTokenAsIdToken {
        /// The rule that identified it as an access token.
        reason: &'static str,
    },
    /// A required claim is absent.
    #[error("the token lacks the required claim `{claim}`")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim has the wrong JSON type or an invalid value (never treated as absent).
    #[error("the token's claim `{claim}` is malformed: expected {expected}")]
    MalformedClaim {
        /// The claim's name.
        claim: &'static str,
        /// What the claim must be.
        expected: &'static str,
    },
    /// `iss` is not the configured issuer.
    #[error("the token's issuer {found} is not the trusted issuer")]
    WrongIssuer {
        /// The `iss` claim.
        found: Echo,
    },
    /// The token's tenant (`tid`) is not one the verifier trusts: its issuer
    /// is templated with `{tenantid}` and `tid` is not in its allowlist.
    #[error("the token's tenant {tenant} is not a trusted tenant")]
    TenantNotAllowed {
        /// The `tid` claim.
        tenant: Echo,
    },
    /// The key that signed the token is published (JWKS `issuer` member) for
    /// another issuer than the token's `iss`, with the token's `tid`
    /// substituted for `{tenantid}`.
    #[error("the token's issuer is not the issuer its signing key is published for ({key_issuer})")]
    KeyIssuerMismatch {
        /// The key's `issuer` member, as published (possibly templated).
        key_issuer: Echo,
    },
    /// `aud` does not contain this API's (or client's) identifier.
    #[error("the token's audience does not include {expected:?}")]
    WrongAudience {
        /// The identifier the verifier looks for.
        expected: Box<str>,
    },
    /// The ID token's `aud` holds an audience the client does not trust.
    #[error("the ID token's audience includes {found}, which is not trusted")]
    UntrustedAudience {
        /// The untrusted audience.
        found: Echo,
    },
    /// The ID token's `azp` is not this client, or is absent though `aud` has several values.
    #[error("the ID token's authorized party (`azp`) is not this client")]
    WrongAuthorizedParty,
    /// `exp` is in the past (beyond the leeway).
    #[error("the token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// The `exp` claim, seconds since the epoch.
        exp: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("the token claims to be issued at {iat}, in the future (now {now}, leeway {leeway} s)")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// The ID token's `nonce` is absent or differs from the one sent in the authentication request.
    #[error("the ID token's nonce does not match the one sent in the authentication request")]
    NonceMismatch,
    /// The user authenticated longer ago than the requested `max_age`.
    #[error("the user authenticated at {auth_time}, longer ago than the requested max_age of {max_age} s")]
    AuthenticationTooOld {
        /// The `auth_time` claim.
        auth_time: i64,
        /// The requested `max_age` in seconds.
        max_age: u64,
    },
    /// The access token's hash in the ID token (`at_hash`) does not match.
    #[error("the ID token's `at_hash` does not match the access token")]
    AccessTokenHashMismatch,
    /// The authorization code's hash in the ID token (`c_hash`) does not match.
    #[error("the ID token's `c_hash` does not match the authorization code")]
    CodeHashMismatch,
    /// The custom claims could not be decoded into the claims type.
    #[error("the token's claim `{path}` is invalid: {message}")]
    InvalidCustomClaim {
        /// Where in the claims the error is (e.g. `email`).
        path: Box<str>,
        /// What is wrong.
        message: Box<str>,
    },
    /// The claims type's own validation (`#[claims(validate = ...)]`) refused the token.
    #[error("the token's claims were rejected: {reason}")]
    ClaimsRejected {
        /// The validation's message.
        reason: Box<str>,
    },
    /// No verification keys are available yet (the key source could not be
    /// reached and nothing is cached); the request may succeed later.
    #[error("no verification keys are available right now")]
    KeysUnavailable,
    /// The authorization server's introspection endpoint could not give a
    /// usable answer (unreachable, too slow, an HTTP error, an answer that is
    /// not an introspection response, or this API's own credentials
    /// refused); the request may succeed later. Never read as "inactive".
    #[error("the token could not be introspected right now")]
    IntrospectionUnavailable,
    /// The authorization server says the token is not active (RFC 7662
    /// §2.2 `active: false`): expired, revoked, or not one it issued.
    #[error("the authorization server says the token is not active (expired, revoked or unknown)")]
    InactiveToken,
    /// The introspection response's `token_type` names something other than
    /// an access token (RFC 7662 §2.2: `Bearer`, `DPoP` or `N_A` are
    /// accepted), such as a refresh or ID token.
    #[error("the introspection response's `token_type` is {found}: not an access token")]
    NotAnAccessToken {
        /// The `token_type` value.
        found: Echo,
    },
    /// The token is not a JWT and the verifier introspects such tokens,
    /// which needs the network: use
    /// [`verify_async`](crate::AccessTokenVerifier::verify_async).
    #[error("the token is opaque and must be introspected: call `verify_async`, not `verify`")]
    IntrospectionNeedsAsync,
    /// The token is valid but lacks a scope the operation requires.
    #[error("the access token lacks the required scope{}: {required}", if matches!(.required.mode(), crate::scope::Mode::Any) { " (any of)" } else { "" })]
    InsufficientScope {
        /// The required scopes.
        required: RequiredScopes,
    },
    /// A role claim (configured with
    /// [`RoleSource`](crate::verify::RoleSource)) has the wrong JSON type:
    /// never read as "no roles".
    #[error("the token's claim `{claim}` is malformed: expected {expected}")]
    MalformedRoleClaim {
        /// The claim, as a path of member names joined by `.`.
        claim: Box<str>,
        /// What the claim must be.
        expected: &'static str,
    },
    /// The token is valid and has the scopes, but its user lacks a role the
    /// operation requires (a 403 without an RFC 6750 error code: the client
    /// cannot repair it by asking for another token).
    #[error("the user lacks the required role{}: {required}", if matches!(.required.mode(), crate::scope::Mode::Any) { " (any of)" } else { "" })]
    MissingRole {
        /// The required roles.
        required: RequiredRoles,
    },
    /// The user's authentication is not strong (`acr`) or recent
    /// (`auth_time`) enough for the operation (RFC 9470 §3).
    #[error("the user's authentication is insufficient: the operation requires {required}")]
    InsufficientUserAuthentication {
        /// What is required.
        required: RequiredAuthentication,
    },
}

impl Error {
    /// The RFC 6750 §3.1 error code for this refusal ([`ErrorCode::Forbidden`],
    /// which no RFC defines, for [`Error::MissingRole`]).
    ///
    /// ```
    /// use tokenkind::{Error, ErrorCode};
    /// assert_eq!(Error::BadSignature.code(), ErrorCode::InvalidToken);
    /// assert_eq!(Error::BadSignature.code().as_str(), "invalid_token");
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            Self::InsufficientUserAuthentication { .. } => ErrorCode::InsufficientUserAuthentication,
            Self::MissingRole { .. } => ErrorCode::Forbidden,
            Self::KeysUnavailable | Self::IntrospectionUnavailable => ErrorCode::TemporarilyUnavailable,
            _ => ErrorCode::InvalidToken,
        }
    }
}

/// Why a verifier could not be built from its configuration, or keys could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is empty.
    #[error("the {0} must not be empty")]
    Empty(&'static str),
    /// The clock leeway is above the cap.
    #[error("a clock leeway of {leeway} s is above the cap of {max} s")]
    LeewayTooLarge {
        /// The requested leeway in seconds.
        leeway: u64,
        /// The cap in seconds.
        max: u64,
    },
    /// The key set holds no key usable for verification.
    #[error("the key set holds no usable verification key")]
    NoKeys,
    /// A key could not be used.
    #[error("key {kid}: {reason}")]
    Key {
        /// The key's `kid`, or its position.
        kid: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The JWKS document is not valid JSON of the right shape.
    #[error("the JWKS document is invalid: {0}")]
    Jwks(String),
    /// The PEM document could not be read.
    #[error("the PEM key is invalid: {0}")]
    Pem(String),
    /// A setting is outside its allowed range.
    #[error("{0}")]
    Invalid(&'static str),
    /// A tenant id given to a verifier is not a GUID.
    #[error("the tenant id {0:?} is not a GUID such as 9188040d-6c67-4c5b-b112-36a304b66dad")]
    InvalidTenant(String),
    /// A URL to fetch keys or metadata from is refused.
    #[error("the URL {url:?} is refused: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it is refused.
        reason: &'static str,
    },
}
