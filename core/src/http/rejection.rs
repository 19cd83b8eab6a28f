//! Refusals, answered the RFC 6750 way: a status, the `WWW-Authenticate`
//! challenge, `Retry-After`, and a small body.

use core::fmt;
use core::fmt::Write as _;
use std::borrow::Cow;
use std::sync::Arc;

use super::bearer::{BearerError, Scheme};
use super::dpop::DpopError;
use crate::error::{Error, ErrorCode};
use crate::scope::{RequiredAuthentication, RequiredRoles, RequiredScopes};

/// The body a [`Rejection`] is sent with: its content type and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectionBody {
    /// The `Content-Type` header value.
    pub content_type: Cow<'static, str>,
    /// The body bytes.
    pub bytes: Vec<u8>,
}

impl RejectionBody {
    /// A JSON body from any serializable value.
    ///
    /// ```
    /// use tokenkind::http::RejectionBody;
    /// let body = RejectionBody::json(&serde_json::json!({"message": "no"}));
    /// assert_eq!(body.content_type, "application/json");
    /// assert_eq!(body.bytes, br#"{"message":"no"}"#);
    /// ```
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        Self {
            content_type: Cow::Borrowed("application/json"),
            bytes: serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()),
        }
    }
}

/// A user-supplied rejection body builder.
pub(crate) type BodyFn = Arc<dyn Fn(&Rejection) -> RejectionBody + Send + Sync>;

/// Why a request was refused, ready to become an HTTP response.
///
/// The framework adapters turn it into a response with [`status`](Self::status),
/// [`www_authenticate`](Self::www_authenticate) and [`body`](Self::body).
#[derive(Clone)]
pub struct Rejection {
    kind: Box<Kind>,
    realm: Arc<str>,
    body: Option<BodyFn>,
    /// The schemes this server accepts, each answered with a challenge.
    accepts: Accepts,
    /// The scheme the client used, whose challenge carries the error.
    used: Option<Scheme>,
    /// A fresh server nonce, sent as `DPoP-Nonce` (RFC 9449 §9).
    dpop_nonce: Option<String>,
    /// The protected-resource metadata URL each challenge names (RFC 9728 §5.1).
    resource_metadata: Option<Arc<str>>,
}

/// The schemes a resource server accepts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accepts {
    /// `Bearer` (false only when DPoP is required).
    pub(crate) bearer: bool,
    /// `DPoP`, with the `algs` of its challenge.
    pub(crate) dpop: Option<Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    NoCredentials,
    Request(BearerError),
    Token(Error),
    Proof(DpopError),
    Scope(RequiredScopes),
    Role(RequiredRoles),
    StepUp(RequiredAuthentication),
    Unavailable(&'static str),
    Misconfigured(&'static str),
}

impl Rejection {
    pub(crate) fn new(source: RejectionSource, realm: Arc<str>, body: Option<BodyFn>) -> Self {
        let kind = match source {
            RejectionSource::Bearer(BearerError::Missing) => Kind::NoCredentials,
            RejectionSource::Bearer(e) => Kind::Request(e),
            RejectionSource::Token(Error::InsufficientScope { required }) => Kind::Scope(required),
            RejectionSource::Token(Error::MissingRole { required }) => Kind::Role(required),
            RejectionSource::Token(Error::InsufficientUserAuthentication { required }) => Kind::StepUp(required),
            RejectionSource::Token(Error::KeysUnavailable) => Kind::Unavailable("no verification keys available"),
            RejectionSource::Token(Error::IntrospectionNeedsAsync) => {
                Kind::Misconfigured("an opaque token reached the blocking `verify`; introspection needs `verify_async`")
            }
            RejectionSource::Token(Error::IntrospectionUnavailable) => {
                Kind::Unavailable("the token introspection endpoint cannot answer")
            }
            RejectionSource::Token(e) => Kind::Token(e),
            RejectionSource::Proof(e) => Kind::Proof(e),
            RejectionSource::Replay => Kind::Unavailable("the DPoP replay store cannot answer"),
        };
        let accepts = Accepts { bearer: true, dpop: None };
        Self { kind: Box::new(kind), realm, body, accepts, used: None, dpop_nonce: None, resource_metadata: None }
    }

    /// Sets the schemes answered with a challenge and the one the client used.
    pub(crate) fn with_schemes(mut self, accepts: Accepts, used: Option<Scheme>) -> Self {
        self.accepts = accepts;
        self.used = used;
        self
    }

    /// Names the protected-resource metadata URL in every challenge.
    pub(crate) fn with_resource_metadata(mut self, url: Option<Arc<str>>) -> Self {
        self.resource_metadata = url;
        self
    }

    /// Sends a fresh server nonce with the refusal.
    pub(crate) fn with_dpop_nonce(mut self, nonce: Option<String>) -> Self {
        self.dpop_nonce = nonce;
        self
    }

    /// The DPoP problem behind a 401, if any.
    pub fn proof_error(&self) -> Option<DpopError> {
        match &*self.kind {
            Kind::Proof(e) => Some(*e),
            _ => None,
        }
    }

    /// The protected-resource metadata URL its challenges name (RFC 9728 §5.1), if any.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.resource_metadata.as_deref()
    }

    /// The fresh server nonce this refusal sends in `DPoP-Nonce`, if any.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// The server cannot check tokens at all (an adapter found no
    /// [`ResourceServer`](super::ResourceServer) or verifier to use).
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web", feature = "tonic")), allow(dead_code))]
    pub(crate) fn misconfigured(what: &'static str) -> Self {
        Self {
            kind: Box::new(Kind::Misconfigured(what)),
            realm: Arc::from(""),
            body: None,
            accepts: Accepts::default(),
            used: None,
            dpop_nonce: None,
            resource_metadata: None,
        }
    }

    /// The HTTP status: 400, 401, 403, 503 (or 500 when the application
    /// forgot to register a verifier, which axum prevents at compile time).
    pub fn status(&self) -> u16 {
        match &*self.kind {
            Kind::NoCredentials | Kind::Token(_) | Kind::Proof(_) | Kind::StepUp(_) => 401,
            Kind::Request(_) => 400,
            Kind::Scope(_) | Kind::Role(_) => 403,
            Kind::Unavailable(_) => 503,
            Kind::Misconfigured(_) => 500,
        }
    }

    /// The gRPC status code of this refusal, for gRPC services: `UNAUTHENTICATED`
    /// (16) where HTTP answers 401 or 400 (no valid credentials),
    /// `PERMISSION_DENIED` (7) for 403, `UNAVAILABLE` (14) for 503 (and for
    /// a server that cannot check tokens at all): never `INTERNAL`.
    ///
    /// ```
    /// # use tokenkind::{Scopes, http::{HttpRequest, ResourceServer}};
    /// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
    /// # let server = ResourceServer::new(tokenkind::dev::DevIssuer::new().access_token_verifier::<Api>().build()?);
    /// # let waker = std::task::Waker::noop();
    /// # let request = HttpRequest::new("POST", "/messages.Messages/List");
    /// # let mut f = std::pin::pin!(server.authenticate(&request));
    /// # let std::task::Poll::Ready(result) = f.as_mut().poll(&mut std::task::Context::from_waker(waker)) else { panic!() };
    /// let refused = result.unwrap_err();
    /// assert_eq!((refused.status(), refused.grpc_code()), (401, 16));
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn grpc_code(&self) -> u16 {
        match self.status() {
            400 | 401 => 16,
            403 => 7,
            _ => 14,
        }
    }

    /// The RFC 6750 error code, if the response carries one (none for a
    /// request without credentials, RFC 6750 §3.1, and none for a missing
    /// role: it is not a token problem the client can repair).
    pub fn error_code(&self) -> Option<ErrorCode> {
        match &*self.kind {
            Kind::NoCredentials | Kind::Misconfigured(_) | Kind::Role(_) => None,
            Kind::StepUp(_) => Some(ErrorCode::InsufficientUserAuthentication),
            Kind::Request(_) => Some(ErrorCode::InvalidRequest),
            Kind::Token(_) => Some(ErrorCode::InvalidToken),
            Kind::Proof(DpopError::UseNonce) => Some(ErrorCode::UseDpopNonce),
            Kind::Proof(_) => Some(ErrorCode::InvalidDpopProof),
            Kind::Scope(_) => Some(ErrorCode::InsufficientScope),
            Kind::Unavailable(_) => Some(ErrorCode::TemporarilyUnavailable),
        }
    }

    /// A short, fixed description of the refusal; it never contains anything
    /// taken from the request or the token.
    pub fn description(&self) -> &'static str {
        match &*self.kind {
            Kind::NoCredentials => "this resource needs an access token",
            Kind::Request(e) => match e {
                BearerError::Missing => "this resource needs an access token",
                BearerError::MultipleHeaders => "the request has more than one Authorization header",
                BearerError::OtherScheme => match (self.accepts.bearer, self.accepts.dpop.is_some()) {
                    (true, true) => "send the access token with the Bearer or DPoP scheme",
                    (false, true) => "send the access token with the DPoP scheme",
                    _ => "send the access token with the Bearer scheme",
                },
                BearerError::InvalidSyntax => "the access token is not valid token syntax",
                BearerError::MultipleMethods => "send the access token in one place only",
                BearerError::QueryNotAllowed => "send the access token in the Authorization header, not in the URL",
                BearerError::MultipleQueryTokens => "the URL has more than one access_token parameter",
            },
            Kind::Token(e) => token_description(e),
            Kind::Proof(e) => e.description(),
            Kind::Scope(_) => "the access token lacks a required scope",
            Kind::Role(_) => "a required role is missing",
            Kind::StepUp(r) => match (r.acr_values().next().is_some(), r.max_age().is_some()) {
                (true, true) => "a different and more recent authentication is required",
                (false, true) => "more recent authentication is required",
                _ => "a different authentication level is required",
            },
            Kind::Unavailable(_) => "the token cannot be checked right now; try again shortly",
            Kind::Misconfigured(_) => "the server cannot check access tokens",
        }
    }

    /// The scopes a 403 refusal requires.
    pub fn required_scopes(&self) -> Option<&RequiredScopes> {
        match &*self.kind {
            Kind::Scope(r) => Some(r),
            _ => None,
        }
    }

    /// The roles a 403 refusal for a missing role requires.
    pub fn required_roles(&self) -> Option<&RequiredRoles> {
        match &*self.kind {
            Kind::Role(r) => Some(r),
            _ => None,
        }
    }

    /// What a 401 `insufficient_user_authentication` refusal asks for
    /// (RFC 9470 §3).
    pub fn required_authentication(&self) -> Option<&RequiredAuthentication> {
        match &*self.kind {
            Kind::StepUp(r) => Some(r),
            _ => None,
        }
    }

    /// The verification error behind a 401, 403 or 503, if any.
    pub fn token_error(&self) -> Option<&Error> {
        match &*self.kind {
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }

    /// The bearer-header problem behind a 400, if any.
    pub fn request_error(&self) -> Option<BearerError> {
        match &*self.kind {
            Kind::Request(e) => Some(*e),
            _ => None,
        }
    }

    /// The `WWW-Authenticate` header value (RFC 6750 §3), or `None` for a 503/500.
    ///
    /// ```
    /// # use tokenkind::http::Rejection;
    /// # fn show(r: &Rejection) {
    /// // e.g. Bearer realm="https://api.example", error="insufficient_scope",
    /// //      error_description="the access token lacks a required scope", scope="write:messages"
    /// println!("{:?}", r.www_authenticate());
    /// # }
    /// ```
    pub fn www_authenticate(&self) -> Option<String> {
        let challenges = self.challenges();
        let carrying = self.error_scheme();
        let i = self.challenge_schemes().iter().position(|s| Some(*s) == carrying).unwrap_or(0);
        challenges.into_iter().nth(i)
    }

    /// Every `WWW-Authenticate` challenge: one per scheme the server accepts
    /// (`Bearer`, `DPoP` with its `algs`), the error on the challenge of the
    /// scheme the client used (RFC 9449 §7.1, RFC 6750 §3). None for a 503/500.
    pub fn challenges(&self) -> Vec<String> {
        // A missing role is not answered with a challenge: no other token
        // for this user would pass.
        if matches!(*self.kind, Kind::Unavailable(_) | Kind::Misconfigured(_) | Kind::Role(_)) {
            return Vec::new();
        }
        let carrying = self.error_scheme();
        self.challenge_schemes()
            .into_iter()
            .map(|scheme| {
                let mut v = match scheme {
                    Scheme::Bearer => format!("Bearer realm=\"{}\"", quoted(&self.realm)),
                    Scheme::Dpop => format!("DPoP realm=\"{}\"", quoted(&self.realm)),
                };
                if let Some(url) = &self.resource_metadata {
                    let _ = write!(v, ", resource_metadata=\"{}\"", quoted(url));
                }
                if Some(scheme) == carrying {
                    self.write_error(&mut v);
                }
                if scheme == Scheme::Dpop
                    && let Some(algs) = &self.accepts.dpop
                {
                    let _ = write!(v, ", algs=\"{}\"", quoted(algs));
                }
                v
            })
            .collect()
    }

    fn challenge_schemes(&self) -> Vec<Scheme> {
        let mut schemes = Vec::with_capacity(2);
        if self.accepts.bearer {
            schemes.push(Scheme::Bearer);
        }
        if self.accepts.dpop.is_some() {
            schemes.push(Scheme::Dpop);
        }
        schemes
    }

    /// The scheme whose challenge carries the error: the one the client
    /// used when the server accepts it, else the first accepted.
    fn error_scheme(&self) -> Option<Scheme> {
        self.error_code()?;
        let schemes = self.challenge_schemes();
        match self.used {
            Some(used) if schemes.contains(&used) => Some(used),
            _ => schemes.first().copied(),
        }
    }

    fn write_error(&self, v: &mut String) {
        let Some(code) = self.error_code() else { return };
        let _ = write!(v, ", error=\"{code}\", error_description=\"{}\"", self.description());
        if let Some(scopes) = self.required_scopes() {
            // Only RFC 6749 §3.3 scope-tokens reach the header: no quote,
            // backslash, space or control character can end the attribute.
            let mut names = scopes.iter().filter(|s| is_scope_token(s)).peekable();
            if names.peek().is_some() {
                v.push_str(", scope=\"");
                for (i, name) in names.enumerate() {
                    if i > 0 {
                        v.push(' ');
                    }
                    v.push_str(name);
                }
                v.push('"');
            }
        }
        if let Some(required) = self.required_authentication() {
            // RFC 9470 §3: `acr_values` is space-delimited; only values that
            // cannot end the attribute reach the header.
            let mut acr = required.acr_values().filter(|s| is_scope_token(s)).peekable();
            if acr.peek().is_some() {
                v.push_str(", acr_values=\"");
                for (i, value) in acr.enumerate() {
                    if i > 0 {
                        v.push(' ');
                    }
                    v.push_str(value);
                }
                v.push('"');
            }
            if let Some(max_age) = required.max_age() {
                let _ = write!(v, ", max_age=\"{max_age}\"");
            }
        }
    }

    /// Seconds a client should wait before retrying (503 only).
    pub fn retry_after(&self) -> Option<u32> {
        matches!(*self.kind, Kind::Unavailable(_)).then_some(5)
    }

    /// The response body: the verifier's custom body, or
    /// `{"error": "...", "error_description": "..."}`.
    pub fn body(&self) -> RejectionBody {
        if let Some(f) = &self.body {
            return f(self);
        }
        let error = match &*self.kind {
            Kind::Role(_) => ErrorCode::Forbidden.as_str(),
            _ => self.error_code().map_or("unauthorized", ErrorCode::as_str),
        };
        RejectionBody::json(&serde_json::json!({ "error": error, "error_description": self.description() }))
    }

    /// Every header the response carries besides `Content-Type`:
    /// `WWW-Authenticate` and `Retry-After` when they apply.
    ///
    /// ```
    /// # use tokenkind::{Scopes, http::{HttpRequest, ResourceServer}};
    /// # #[derive(Scopes)] enum Api { #[scope("read")] Read }
    /// # let dev = tokenkind::dev::DevIssuer::new();
    /// # let server = ResourceServer::new(dev.access_token_verifier::<Api>().build()?);
    /// # let rejection = futures_lite_block_on(server.authenticate(&HttpRequest::new("GET", "/")));
    /// # fn futures_lite_block_on<F: core::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let rejection = rejection.unwrap_err();
    /// assert_eq!(rejection.headers(), [("WWW-Authenticate", format!("Bearer realm=\"{}\"", dev.audience()))]);
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers: Vec<_> = self.challenges().into_iter().map(|c| ("WWW-Authenticate", c)).collect();
        if let Some(secs) = self.retry_after() {
            headers.push(("Retry-After", secs.to_string()));
        }
        if let Some(nonce) = &self.dpop_nonce {
            headers.push(("DPoP-Nonce", nonce.clone()));
        }
        headers
    }

    /// Emits the `tracing` event for this refusal (debug level; warn for a
    /// 503): the reason and the issuer, never the token.
    pub(crate) fn trace(&self, issuer: &str) {
        match &*self.kind {
            Kind::Token(e) => tracing::debug!(status = self.status(), reason = %e, issuer, "access token refused"),
            Kind::Scope(r) => tracing::debug!(status = 403, required = %r, issuer, "access token lacks scope"),
            Kind::Role(r) => tracing::debug!(status = 403, required = %r, issuer, "user lacks role"),
            Kind::StepUp(r) => tracing::debug!(status = 401, required = %r, issuer, "user authentication insufficient"),
            Kind::Request(e) => tracing::debug!(status = 400, reason = %e, issuer, "bearer request malformed"),
            Kind::NoCredentials => tracing::debug!(status = 401, issuer, "no bearer token"),
            Kind::Proof(e) => tracing::debug!(status = 401, reason = %e, issuer, "DPoP proof refused"),
            Kind::Unavailable(what) => tracing::warn!(status = 503, issuer, "{what}"),
            Kind::Misconfigured(what) => tracing::error!(status = 500, what, "tokenkind is not configured"),
        }
    }
}

/// The fixed description for a token error.
fn token_description(e: &Error) -> &'static str {
    match e {
        Error::Expired { .. } => "the access token expired",
        Error::NotYetValid { .. } | Error::IssuedInFuture { .. } => "the access token is not valid yet",
        Error::IdTokenAsAccessToken { .. } => "an ID token is not an access token",
        Error::CertificateMismatch => "the access token is bound to another client certificate",
        Error::SenderConstraintRequired => "this resource requires a DPoP-bound access token and its proof",
        Error::SenderConstrained => {
            "the access token is bound to a key or certificate; send it with its proof of possession"
        }
        Error::WrongAudience { .. } => "the access token is not for this API",
        Error::WrongIssuer { .. } => "the access token is not from a trusted issuer",
        Error::WrongTokenType { .. } | Error::SecurityEventToken { .. } => "the token is not an access token",
        Error::BadSignature | Error::UnknownKey { .. } | Error::DisallowedAlgorithm { .. } => {
            "the access token signature is not trusted"
        }
        Error::TooLarge { .. } | Error::Malformed(_) => "the access token is malformed",
        _ => "the access token is invalid",
    }
}

/// RFC 7230 quoted-string content: drop `"`, `\` and control characters.
/// `scope-token = 1*NQCHAR`, `NQCHAR = %x21 / %x23-5B / %x5D-7E` (RFC 6749 §3.3).
fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

fn quoted(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| c != '"' && c != '\\' && !c.is_control()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect())
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("status", &self.status())
            .field("kind", &self.kind)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.status())
    }
}

impl std::error::Error for Rejection {}

/// What a rejection is built from.
pub(crate) enum RejectionSource {
    Bearer(BearerError),
    Token(Error),
    Proof(DpopError),
    /// The replay store failed (logged where it happened).
    Replay,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection(source: RejectionSource) -> Rejection {
        Rejection::new(source, Arc::from("api"), None)
    }

    #[test]
    fn a_repeated_query_token_is_a_bad_request() {
        let r = rejection(RejectionSource::Bearer(BearerError::MultipleQueryTokens));
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.headers(),
            [(
                "WWW-Authenticate",
                "Bearer realm=\"api\", error=\"invalid_request\", \
                 error_description=\"the URL has more than one access_token parameter\""
                    .to_owned()
            )]
        );
    }

    #[test]
    fn no_keys_is_503_with_retry_after_and_no_challenge() {
        let r = rejection(RejectionSource::Token(Error::KeysUnavailable));
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers(), [("Retry-After", "5".to_owned())]);
    }

    #[test]
    fn only_scope_tokens_reach_the_scope_attribute() {
        static NAMES: [&str; 4] = ["read:messages", "x\", error=\"forged", "a b", "write:messages"];
        let required = RequiredScopes::from_parts(&NAMES, 0b1111, crate::scope::Mode::All);
        let r = rejection(RejectionSource::Token(Error::InsufficientScope { required }));
        assert_eq!(
            r.www_authenticate().unwrap(),
            "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"the access token lacks a \
             required scope\", scope=\"read:messages write:messages\""
        );
        let only_bad = RequiredScopes::from_parts(&NAMES, 0b0010, crate::scope::Mode::All);
        let r = rejection(RejectionSource::Token(Error::InsufficientScope { required: only_bad }));
        assert!(!r.www_authenticate().unwrap().contains("scope=\""), "{:?}", r.www_authenticate());
        assert!(is_scope_token("!#[]~") && !is_scope_token("") && !is_scope_token("é"));
    }

    #[test]
    fn realm_is_quoted_safely() {
        assert_eq!(quoted("a\"b\\c\nd"), "abcd");
        assert_eq!(quoted("https://api.example"), "https://api.example");
    }
}
