//! The resource server: a verifier and its HTTP policy, and the one
//! function every adapter runs per request.

use core::fmt;
use std::sync::Arc;

use super::bearer::{BearerError, Scheme, find_credentials};
use super::dpop::{DpopError, DpopMode, DpopPolicy, ProofContext, check_proof, normalize_uri};
use super::metadata::{Enforced, ProtectedResourceMetadata, ResourceMetadata, generate};
use super::rejection::{Accepts, BodyFn, Rejection, RejectionBody, RejectionSource};
use super::replay::ReplayKey;
use crate::claims::{AccessClaims, NoClaims};
use crate::error::{ConfigError, Error};
use crate::scope::{BindingRequirement, Requirement, Scoped, Scopes, UserRequirement};
use crate::token::{AccessToken, Binding};
use crate::verify::AccessTokenVerifier;

/// base64url(SHA-256(DER)): the `x5t#S256` of a certificate (RFC 8705 §3.1).
fn certificate_thumbprint(der: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// The client certificate a TLS connection authenticated (its DER), put in
/// the request's extensions by the server's TLS accept code; the axum and
/// actix-web adapters hand it to the pipeline, which checks
/// certificate-bound tokens against it (RFC 8705 §3). Insert it only for a
/// certificate the TLS layer verified.
///
/// ```
/// use tokenkind::http::ClientCertificate;
///
/// let certificate = ClientCertificate::new(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
/// assert_eq!(certificate.der(), [0x30, 0x03, 0x02, 0x01, 0x00]);
/// assert_eq!(certificate.thumbprint().len(), 43);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertificate(std::sync::Arc<[u8]>);

impl ClientCertificate {
    /// The certificate, DER-encoded (what rustls's `peer_certificates()` holds).
    pub fn new(der: impl Into<std::sync::Arc<[u8]>>) -> Self {
        Self(der.into())
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.0
    }

    /// Its SHA-256 thumbprint, base64url: what a bound token's `cnf["x5t#S256"]` names.
    pub fn thumbprint(&self) -> String {
        certificate_thumbprint(&self.0)
    }
}

/// What the pipeline reads of one HTTP request, collected by an adapter (or
/// by your own code for a framework tokenkind does not adapt).
///
/// Only the headers that carry credentials are kept; any other header
/// handed to [`header`](Self::header) is ignored.
///
/// ```
/// use tokenkind::http::HttpRequest;
///
/// let request = HttpRequest::new("GET", "/api/messages?page=2")
///     .header("Authorization", b"Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
///     .header("Accept", b"application/json");
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.path(), "/api/messages");
/// assert_eq!(request.query(), Some("page=2"));
/// ```
#[derive(Clone, Debug)]
pub struct HttpRequest<'a> {
    method: &'a str,
    target: &'a str,
    authority: Option<(&'a str, &'a str)>,
    authorization: Values<'a>,
    dpop: Values<'a>,
    client_certificate: Option<&'a [u8]>,
}

/// The first two values of a header (two are enough to refuse a repeated one).
#[derive(Clone, Copy, Debug, Default)]
struct Values<'a> {
    first: Option<&'a [u8]>,
    second: Option<&'a [u8]>,
}

impl<'a> Values<'a> {
    fn push(&mut self, value: &'a [u8]) {
        if self.first.is_none() {
            self.first = Some(value);
        } else if self.second.is_none() {
            self.second = Some(value);
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        self.first.into_iter().chain(self.second)
    }
}

impl<'a> HttpRequest<'a> {
    /// A request with its method (`GET`) and request target as received: the
    /// path and query (`/api/messages?page=2`, RFC 9112 §3.2.1).
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self {
            method,
            target,
            authority: None,
            authorization: Values::default(),
            dpop: Values::default(),
            client_certificate: None,
        }
    }

    /// The client certificate (DER) the TLS connection authenticated, for
    /// certificate-bound access tokens (RFC 8705 §3).
    #[must_use]
    pub fn client_certificate(mut self, der: &'a [u8]) -> Self {
        self.client_certificate = Some(der);
        self
    }

    /// The scheme (`http`, `https`) and authority (the `Host` header:
    /// `api.example`, `127.0.0.1:3000`) the request was received on: with
    /// the target, the URI a DPoP proof's `htu` must name, unless the
    /// server has a [public origin](ResourceServerBuilder::public_origin).
    #[must_use]
    pub fn authority(mut self, scheme: &'a str, host: &'a str) -> Self {
        self.authority = Some((scheme, host));
        self
    }

    /// Adds one header field (name compared case-insensitively); call it for
    /// each field, repeated ones included, so that a repeated credential is
    /// refused instead of one being picked.
    #[must_use]
    pub fn header(mut self, name: &str, value: &'a [u8]) -> Self {
        if name.eq_ignore_ascii_case("authorization") {
            self.authorization.push(value);
        } else if name.eq_ignore_ascii_case("dpop") {
            self.dpop.push(value);
        }
        self
    }

    /// The request method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path of the request target, without the query.
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(path, _)| path)
    }

    /// The query of the request target, if it has one.
    pub fn query(&self) -> Option<&'a str> {
        self.target.split_once('?').map(|(_, query)| query).filter(|q| !q.is_empty())
    }
}

/// A resource server: the [`AccessTokenVerifier`] of an API and how it
/// answers over HTTP. Every framework adapter runs its
/// [`authorize`](Self::authorize) (or [`authenticate`](Self::authenticate))
/// once per request.
///
/// It is cheap to clone (the configuration is shared). With axum, put it (or
/// a plain verifier, for the default policy) in the router's state; with
/// actix-web, register it with `App::app_data`.
///
/// ```
/// use tokenkind::http::{HttpRequest, ResourceServer};
/// use tokenkind::scope::All;
/// use tokenkind::{AccessToken, Scoped, Scopes};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dev = DevIssuer::new();
/// let verifier = dev.access_token_verifier::<Api>().build()?;
/// let server = ResourceServer::builder(verifier).realm("messages").build()?;
///
/// let bearer = format!("Bearer {}", dev.access_token().sign());
/// let request = HttpRequest::new("GET", "/api/messages").header("authorization", bearer.as_bytes());
/// let guard: Result<Scoped<AccessToken<Api>, All<(api_scope::ReadMessages, ())>>, _> = server.authorize(&request).await;
/// let refused = guard.unwrap_err();
/// assert_eq!(refused.status(), 403);
/// assert_eq!(refused.headers()[0].0, "WWW-Authenticate");
/// # Ok(())
/// # }
/// ```
pub struct ResourceServer<S: Scopes, C: AccessClaims = NoClaims> {
    inner: Arc<Policy<S, C>>,
}

struct Policy<S: Scopes, C: AccessClaims> {
    verifier: AccessTokenVerifier<S, C>,
    realm: Arc<str>,
    allow_query: bool,
    body: Option<BodyFn>,
    dpop: Option<DpopPolicy>,
    /// `scheme://host[:port]`, normalised, without a trailing slash.
    public_origin: Option<String>,
    accepts: Accepts,
    metadata: Option<ProtectedResourceMetadata>,
    /// The metadata URL every challenge names (RFC 9728 §5.1).
    metadata_url: Option<Arc<str>>,
}

/// Configures a [`ResourceServer`].
#[must_use]
pub struct ResourceServerBuilder<S: Scopes, C: AccessClaims = NoClaims> {
    verifier: AccessTokenVerifier<S, C>,
    realm: Option<String>,
    allow_query: bool,
    body: Option<BodyFn>,
    dpop: Option<DpopPolicy>,
    public_origin: Option<String>,
    metadata: Option<ResourceMetadata>,
}

impl<S: Scopes, C: AccessClaims> ResourceServer<S, C> {
    /// A resource server with the default policy: the realm is the
    /// verifier's audience, tokens only in the `Authorization` header, the
    /// JSON refusal body.
    pub fn new(verifier: AccessTokenVerifier<S, C>) -> Self {
        let realm = Arc::from(verifier.audience());
        let accepts = Accepts { bearer: true, dpop: None };
        let policy = Policy {
            verifier,
            realm,
            allow_query: false,
            body: None,
            dpop: None,
            public_origin: None,
            accepts,
            metadata: None,
            metadata_url: None,
        };
        Self { inner: Arc::new(policy) }
    }

    /// Starts a resource server around `verifier` with its own policy.
    pub fn builder(verifier: AccessTokenVerifier<S, C>) -> ResourceServerBuilder<S, C> {
        ResourceServerBuilder {
            verifier,
            realm: None,
            allow_query: false,
            body: None,
            dpop: None,
            public_origin: None,
            metadata: None,
        }
    }

    /// The verifier.
    pub fn verifier(&self) -> &AccessTokenVerifier<S, C> {
        &self.inner.verifier
    }

    /// The realm of `WWW-Authenticate` answers.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The DPoP policy, when DPoP is on.
    pub fn dpop(&self) -> Option<&DpopPolicy> {
        self.inner.dpop.as_ref()
    }

    /// The protected-resource metadata (RFC 9728) this server serves and names
    /// in its challenges, when configured with
    /// [`protected_resource_metadata`](ResourceServerBuilder::protected_resource_metadata).
    pub fn metadata(&self) -> Option<&ProtectedResourceMetadata> {
        self.inner.metadata.as_ref()
    }

    /// Whether a token is accepted in the `access_token` URL query parameter.
    pub fn allows_access_token_in_query(&self) -> bool {
        self.inner.allow_query
    }

    /// The request's access token, verified: the credentials are read
    /// (RFC 6750 §2, RFC 9449 §7.1), every check of the verifier runs, and a
    /// DPoP-bound token's proof is checked against the request (RFC 9449 §4.3).
    ///
    /// # Errors
    /// A [`Rejection`]: 400 for a malformed request, 401 without
    /// credentials or with an invalid token or proof, 503 when no keys can
    /// be had or the replay store cannot answer.
    pub async fn authenticate(&self, request: &HttpRequest<'_>) -> Result<AccessToken<S, C>, Rejection> {
        match self.authenticate_optional(request).await? {
            Some(token) => Ok(token),
            None => Err(self.refuse(RejectionSource::Bearer(BearerError::Missing), None)),
        }
    }

    /// Like [`authenticate`](Self::authenticate), with `None` for a request
    /// that carries no credentials at all. Any credential that is present
    /// must be valid: an invalid token is refused, never treated as absent.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), except for the missing credentials.
    pub async fn authenticate_optional(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<Option<AccessToken<S, C>>, Rejection> {
        let dpop = self.inner.dpop.as_ref();
        let (scheme, raw) = match find_credentials(
            request.authorization.iter(),
            request.query(),
            self.inner.allow_query,
            dpop.is_some(),
        ) {
            Err(BearerError::Missing) => return Ok(None),
            Err(e) => return Err(self.refuse(RejectionSource::Bearer(e), None)),
            Ok(found) => found,
        };
        match (scheme, dpop) {
            (Scheme::Dpop, Some(policy)) => self.with_proof(request, &raw, policy).await.map(Some),
            // DPoP required: a bearer token is no acceptable credential (RFC 6750 §3.1: no error code).
            (Scheme::Bearer, Some(policy)) if policy.mode == DpopMode::Required => {
                Err(self.refuse(RejectionSource::Bearer(BearerError::Missing), Some(Scheme::Bearer)))
            }
            _ => match request.client_certificate {
                None => self
                    .inner
                    .verifier
                    .verify_async(&raw)
                    .await
                    .map(Some)
                    .map_err(|e| self.refuse(RejectionSource::Token(e), Some(Scheme::Bearer))),
                Some(certificate) => self.with_certificate(&raw, certificate).await.map(Some),
            },
        }
    }

    /// A token sent over a TLS connection that authenticated a client
    /// certificate (RFC 8705 §3): a certificate-bound token must name that
    /// certificate's SHA-256 thumbprint; a bearer token passes as one; a
    /// DPoP-bound token needs its DPoP proof and is refused.
    async fn with_certificate(&self, raw: &str, certificate: &[u8]) -> Result<AccessToken<S, C>, Rejection> {
        let refuse = |e| self.refuse(RejectionSource::Token(e), Some(Scheme::Bearer));
        let token = self.inner.verifier.verify_presented_with_proof(raw).await.map_err(refuse)?;
        match token.binding() {
            Binding::Bearer => Ok(token),
            Binding::Mtls { x5t_s256 } if **x5t_s256 == *certificate_thumbprint(certificate) => Ok(token),
            Binding::Mtls { .. } => Err(refuse(Error::CertificateMismatch)),
            Binding::Dpop { .. } => Err(refuse(Error::SenderConstrained)),
        }
    }

    /// A DPoP-bound token and its proof (RFC 9449 §7.1): the proof, then the
    /// token, then the binding between them, then the replay check.
    async fn with_proof(
        &self,
        request: &HttpRequest<'_>,
        raw: &str,
        policy: &DpopPolicy,
    ) -> Result<AccessToken<S, C>, Rejection> {
        let proof_error = |e: DpopError| self.refuse(RejectionSource::Proof(e), Some(Scheme::Dpop));
        let proof = match (request.dpop.first, request.dpop.second) {
            (None, _) => return Err(proof_error(DpopError::Missing)),
            (Some(_), Some(_)) => return Err(proof_error(DpopError::NotExactlyOne)),
            (Some(value), None) => core::str::from_utf8(value)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| proof_error(DpopError::NotExactlyOne))?,
        };
        let now = self.inner.verifier.now();
        let cx = ProofContext { method: request.method, uri: self.request_uri(request), access_token: raw, now };
        let checked = check_proof(proof, policy, &cx).map_err(|e| {
            let nonce = match (&e, &policy.nonces) {
                (DpopError::UseNonce, Some((key, _))) => key.issue(now),
                _ => None,
            };
            proof_error(e).with_dpop_nonce(nonce)
        })?;
        let token = self
            .inner
            .verifier
            .verify_presented_with_proof(raw)
            .await
            .map_err(|e| self.refuse(RejectionSource::Token(e), Some(Scheme::Dpop)))?;
        match token.binding() {
            Binding::Dpop { jkt } if **jkt == *checked.jkt => {}
            Binding::Dpop { .. } => return Err(proof_error(DpopError::WrongKey)),
            _ => return Err(self.refuse(RejectionSource::Token(Error::NotDpopBound), Some(Scheme::Dpop))),
        }
        match policy.replay.insert_once(ReplayKey::of(&checked.jkt, &checked.jti), policy.replay_window()).await {
            Ok(true) => Ok(token),
            Ok(false) => Err(proof_error(DpopError::Replayed)),
            Err(e) => {
                tracing::warn!(reason = %e, issuer = self.inner.verifier.issuer(), "DPoP replay store failed");
                Err(self.refuse(RejectionSource::Replay, Some(Scheme::Dpop)))
            }
        }
    }

    /// The request's URI as a proof's `htu` must name it, normalised.
    fn request_uri(&self, request: &HttpRequest<'_>) -> Option<String> {
        let origin = match (&self.inner.public_origin, request.authority) {
            (Some(origin), _) => origin.clone(),
            (None, Some((scheme, host))) => format!("{scheme}://{host}"),
            (None, None) => return None,
        };
        normalize_uri(&format!("{origin}{}", request.path()))
    }

    /// The request's access token, verified and checked against the guard
    /// that `#[requires_scope]` writes as a type: its binding requirement `B`
    /// (401 for a bearer token where a sender-constrained one is required),
    /// then its scope requirement `R` (403), then its user requirement `U`:
    /// roles (403, no RFC 6750 error code) and step-up authentication (401
    /// `insufficient_user_authentication`, RFC 9470 §3). All are usually
    /// inferred from the guard type the result is assigned to.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), plus 403 when a required
    /// scope was not granted or a required role is missing, and 401 when the
    /// user's authentication is not strong or recent enough.
    pub async fn authorize<R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>>(
        &self,
        request: &HttpRequest<'_>,
    ) -> Result<Scoped<AccessToken<S, C>, R, B, U>, Rejection> {
        let token = self.authenticate(request).await?;
        self.require(token)
    }

    /// Checks an already verified token against a guard's requirements, as
    /// [`authorize`](Self::authorize) does after verifying.
    pub(crate) fn require<R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>>(
        &self,
        token: AccessToken<S, C>,
    ) -> Result<Scoped<AccessToken<S, C>, R, B, U>, Rejection> {
        let used = if token.binding().is_sender_constrained() { Scheme::Dpop } else { Scheme::Bearer };
        Scoped::check(token).map_err(|e| {
            // The client must come back with DPoP: the error goes on that challenge.
            let used = if e == Error::SenderConstraintRequired { Scheme::Dpop } else { used };
            self.refuse(RejectionSource::Token(e), Some(used))
        })
    }

    /// The refusal of a request without credentials where a token is required.
    pub(crate) fn no_credentials(&self) -> Rejection {
        self.refuse(RejectionSource::Bearer(BearerError::Missing), None)
    }

    /// Whether `self` and `other` are clones of one resource server.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The HTTP answer to `error`, for checks of your own (for example a
    /// run-time [`AccessToken::grant`]), logged like the pipeline's own.
    pub fn reject(&self, error: Error) -> Rejection {
        self.refuse(RejectionSource::Token(error), None)
    }

    fn refuse(&self, source: RejectionSource, used: Option<Scheme>) -> Rejection {
        let rejection = Rejection::new(source, self.inner.realm.clone(), self.inner.body.clone())
            .with_schemes(self.inner.accepts.clone(), used)
            .with_resource_metadata(self.inner.metadata_url.clone());
        rejection.trace(self.inner.verifier.issuer());
        rejection
    }
}

/// A request the pipeline has run on: put in the request's extensions by
/// the tower layer ([`AccessTokenLayer`](crate::web::tower::AccessTokenLayer),
/// feature `tower`), where the axum extractors, the `#[requires_scope]`
/// guards of tonic methods and your own code find it, so that a token is
/// verified once per request.
///
/// It has no public constructor: a value in the extensions always comes
/// from the pipeline, never from code that could forge one.
pub struct Authenticated<S: Scopes, C: AccessClaims = NoClaims> {
    server: ResourceServer<S, C>,
    token: Option<AccessToken<S, C>>,
}

impl<S: Scopes, C: AccessClaims> Authenticated<S, C> {
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn new(server: ResourceServer<S, C>, token: Option<AccessToken<S, C>>) -> Self {
        Self { server, token }
    }

    /// The verified token; `None` for an anonymous request that an
    /// [optional](crate::web::tower::AccessTokenLayer::optional) layer let through.
    pub fn token(&self) -> Option<&AccessToken<S, C>> {
        self.token.as_ref()
    }

    /// The resource server that verified it.
    pub fn server(&self) -> &ResourceServer<S, C> {
        &self.server
    }

    /// The token, or the 401 refusal of a request without one, taking it.
    #[cfg_attr(not(any(feature = "axum", feature = "tonic")), allow(dead_code))]
    pub(crate) fn into_token(self) -> Result<AccessToken<S, C>, Rejection> {
        self.token.ok_or_else(|| self.server.no_credentials())
    }

    /// As [`authorize`](Self::authorize), taking the token.
    #[cfg_attr(not(any(feature = "axum", feature = "tonic")), allow(dead_code))]
    pub(crate) fn into_guard<R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>>(
        self,
    ) -> Result<Scoped<AccessToken<S, C>, R, B, U>, Rejection> {
        let server = self.server.clone();
        server.require(self.into_token()?)
    }
}

impl<S: Scopes, C: AccessClaims + Clone> Authenticated<S, C> {
    /// The token, or the 401 refusal of a request without one.
    ///
    /// # Errors
    /// The refusal of an anonymous request.
    pub fn access_token(&self) -> Result<AccessToken<S, C>, Rejection> {
        self.token.clone().ok_or_else(|| self.server.no_credentials())
    }

    /// The token checked against a guard's requirements (as
    /// [`ResourceServer::authorize`], without verifying again).
    ///
    /// # Errors
    /// 401 without a token, with a bearer token where a sender-constrained
    /// one is required, or when the user's authentication is not strong or
    /// recent enough; 403 when a required scope was not granted or a
    /// required role is missing.
    pub fn authorize<R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>>(
        &self,
    ) -> Result<Scoped<AccessToken<S, C>, R, B, U>, Rejection> {
        self.server.require(self.access_token()?)
    }
}

impl<S: Scopes, C: AccessClaims + Clone> Clone for Authenticated<S, C> {
    fn clone(&self) -> Self {
        Self { server: self.server.clone(), token: self.token.clone() }
    }
}

impl<S: Scopes, C: AccessClaims> fmt::Debug for Authenticated<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated").field("anonymous", &self.token.is_none()).finish_non_exhaustive()
    }
}

impl<S: Scopes, C: AccessClaims> From<AccessTokenVerifier<S, C>> for ResourceServer<S, C> {
    /// The default policy; see [`ResourceServer::new`].
    fn from(verifier: AccessTokenVerifier<S, C>) -> Self {
        Self::new(verifier)
    }
}

impl<S: Scopes, C: AccessClaims> ResourceServerBuilder<S, C> {
    /// The realm of `WWW-Authenticate` answers (default: the verifier's audience).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Also accepts the token in the `access_token` URL query parameter
    /// (RFC 6750 §2.3). Off by default: URLs end up in logs and browser
    /// history. A token in both the header and the URL, or two such
    /// parameters, is always refused.
    pub fn allow_access_token_in_query(mut self) -> Self {
        self.allow_query = true;
        self
    }

    /// Your own body for refusals; the status and headers stay as RFC 6750 says.
    ///
    /// ```
    /// use tokenkind::http::{RejectionBody, ResourceServer};
    /// # use tokenkind::Scopes;
    /// # #[derive(Scopes)]
    /// # enum Api { #[scope("read")] Read }
    /// # let verifier = tokenkind::dev::DevIssuer::new().access_token_verifier::<Api>().build()?;
    /// let server = ResourceServer::builder(verifier)
    ///     .rejection_body(|r| RejectionBody::json(&serde_json::json!({ "message": r.description(), "status": r.status() })))
    ///     .build()?;
    /// # Ok::<(), tokenkind::ConfigError>(())
    /// ```
    pub fn rejection_body(mut self, body: impl Fn(&Rejection) -> RejectionBody + Send + Sync + 'static) -> Self {
        self.body = Some(Arc::new(body));
        self
    }

    /// Accepts DPoP-bound access tokens with their proofs (RFC 9449):
    /// [`DpopPolicy::allowed`] beside bearer tokens, or
    /// [`DpopPolicy::required`] alone. Off by default.
    pub fn dpop(mut self, policy: DpopPolicy) -> Self {
        self.dpop = Some(policy);
        self
    }

    /// The origin clients call this API at (`https://api.example`), which
    /// DPoP proofs name in `htu`: set it when the API sits behind a proxy or
    /// gateway. Without it, the scheme and `Host` the request arrived with
    /// are used.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Serves OAuth 2.0 Protected Resource Metadata (RFC 9728) and names its
    /// URL in every challenge (`resource_metadata="…"`, §5.1). The document
    /// is generated from what this server enforces: `resource` is the
    /// verifier's audience (which must then be an `https` URL, RFC 9728
    /// §1.2; `http` only on a loopback host), `authorization_servers` its
    /// issuer (for an issuer templated with `{tenantid}`, one per allowed
    /// tenant, and none with `allow_any_tenant`, which cannot be listed),
    /// `scopes_supported` every scope of the scope enum,
    /// `bearer_methods_supported` `header` (and `query` when
    /// [allowed](Self::allow_access_token_in_query)), and the DPoP members
    /// when DPoP is on. `metadata` adds what the code cannot know.
    ///
    /// Serve it with the adapter of your framework (the tower layer answers
    /// it by itself); see [`ProtectedResourceMetadata`].
    pub fn protected_resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Checks the policy and builds the resource server.
    ///
    /// # Errors
    /// [`ConfigError::Empty`] for an empty realm; [`ConfigError::Invalid`]
    /// for a DPoP policy out of range; [`ConfigError::Url`] for a public
    /// origin that is not `http(s)://host[:port]`, or, with protected-resource
    /// metadata, an audience that is not a resource identifier.
    pub fn build(self) -> Result<ResourceServer<S, C>, ConfigError> {
        let realm: Arc<str> = match self.realm {
            Some(realm) if realm.is_empty() => return Err(ConfigError::Empty("realm")),
            Some(realm) => realm.into(),
            None => self.verifier.audience().into(),
        };
        if let Some(dpop) = &self.dpop {
            dpop.check()?;
        }
        let public_origin = match self.public_origin {
            None => None,
            Some(origin) => Some(
                normalize_uri(&origin)
                    .filter(|n| n.ends_with('/') && n.matches('/').count() == 3)
                    .map(|n| n.trim_end_matches('/').to_owned())
                    .ok_or(ConfigError::Url {
                        url: origin,
                        reason: "a public origin is http(s)://host[:port], no path",
                    })?,
            ),
        };
        let accepts = Accepts {
            bearer: self.dpop.as_ref().is_none_or(|d| d.mode == DpopMode::Allowed),
            dpop: self.dpop.as_ref().map(|d| Arc::from(d.algs())),
        };
        let metadata = match &self.metadata {
            None => None,
            Some(config) => {
                let enforced = Enforced {
                    resource: self.verifier.audience(),
                    issuers: self.verifier.trusted_issuers(),
                    scopes: S::NAMES,
                    allow_query: self.allow_query,
                    dpop: self.dpop.as_ref(),
                };
                Some(generate(&enforced, config)?)
            }
        };
        let metadata_url = metadata.as_ref().map(|m| Arc::from(m.url()));
        let policy = Policy {
            verifier: self.verifier,
            realm,
            allow_query: self.allow_query,
            body: self.body,
            dpop: self.dpop,
            public_origin,
            accepts,
            metadata,
            metadata_url,
        };
        Ok(ResourceServer { inner: Arc::new(policy) })
    }
}

impl<S: Scopes, C: AccessClaims> Clone for ResourceServer<S, C> {
    /// Cheap: the configuration is shared.
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<S: Scopes, C: AccessClaims> fmt::Debug for ResourceServer<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceServer")
            .field("verifier", &self.inner.verifier)
            .field("realm", &self.inner.realm)
            .field("allow_access_token_in_query", &self.inner.allow_query)
            .field("custom_body", &self.inner.body.is_some())
            .field("dpop", &self.inner.dpop)
            .field("public_origin", &self.inner.public_origin)
            .field("metadata", &self.inner.metadata_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_splits_into_path_and_query() {
        let r = HttpRequest::new("GET", "/a/b?x=1&y=2");
        assert_eq!((r.path(), r.query()), ("/a/b", Some("x=1&y=2")));
        let r = HttpRequest::new("GET", "/a?");
        assert_eq!((r.path(), r.query()), ("/a", None));
        let r = HttpRequest::new("POST", "/");
        assert_eq!((r.method(), r.path(), r.query()), ("POST", "/", None));
    }

    #[test]
    fn only_credential_headers_are_kept_and_repeats_are_seen() {
        let r = HttpRequest::new("GET", "/")
            .header("Accept", b"*/*")
            .header("AUTHORIZATION", b"Bearer a")
            .header("authorization", b"Bearer b")
            .header("Authorization", b"Bearer c");
        assert_eq!(r.authorization.iter().collect::<Vec<_>>(), [&b"Bearer a"[..], &b"Bearer b"[..]]);
        assert_eq!(
            find_credentials(r.authorization.iter(), r.query(), false, true).unwrap_err(),
            BearerError::MultipleHeaders
        );
    }
}
