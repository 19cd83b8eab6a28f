//! The two verified token kinds. Neither has a public constructor, a
//! `Deserialize`, a `Default` or a conversion into the other: the only way to
//! hold one is to have run its verifier.

use core::fmt;
use std::sync::Arc;

use crate::claims::{AccessClaims, IdClaims, NoClaims};
use crate::keys::Algorithm;
use crate::role::RoleSet;
use crate::scope::{ScopeSet, Scopes};

/// The `aud` claim: one audience or several (RFC 7519 §4.1.3).
#[derive(Clone, PartialEq, Eq)]
pub struct Audience(AudienceRepr);

#[derive(Clone, PartialEq, Eq)]
enum AudienceRepr {
    /// Shared with the verifier when the token names only this API (or this client).
    One(Arc<str>),
    Many(Box<[Box<str>]>),
}

impl Audience {
    pub(crate) fn one(s: impl Into<Arc<str>>) -> Self {
        Self(AudienceRepr::One(s.into()))
    }

    pub(crate) fn many(v: Vec<Box<str>>) -> Self {
        Self(AudienceRepr::Many(v.into_boxed_slice()))
    }

    /// The audiences, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[Box<str>]) = match &self.0 {
            AudienceRepr::One(s) => (Some(&**s), &[]),
            AudienceRepr::Many(v) => (None, v),
        };
        one.into_iter().chain(many.iter().map(|s| &**s))
    }

    /// Whether `aud` holds `value`.
    pub fn contains(&self, value: &str) -> bool {
        self.iter().any(|a| a == value)
    }

    /// How many audiences `aud` holds.
    pub fn len(&self) -> usize {
        match &self.0 {
            AudienceRepr::One(_) => 1,
            AudienceRepr::Many(v) => v.len(),
        }
    }

    /// Whether `aud` is empty (never true of a verified token).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// An access token's `sub`, `client_id` and `jti`, kept together: inline
/// when they fit (the identifiers of the usual providers do: Entra ID's
/// come to about 100 bytes), else in one allocation. Verifying such a
/// token allocates nothing for them.
#[derive(Clone)]
pub(crate) struct TokenText {
    text: TextBuf,
    /// Where `sub` ends and `client_id` begins.
    subject_end: usize,
    /// Where `client_id` ends and `jti` (if any) begins.
    client_end: usize,
    has_jwt_id: bool,
}

#[derive(Clone)]
enum TextBuf {
    Inline(arrayvec::ArrayString<{ TokenText::INLINE }>),
    Heap(Box<str>),
}

impl TokenText {
    /// Bytes kept inline.
    const INLINE: usize = 120;

    pub(crate) fn new(subject: &str, client_id: &str, jwt_id: Option<&str>) -> Self {
        let jti = jwt_id.unwrap_or_default();
        let mut inline = arrayvec::ArrayString::new();
        let text = match (inline.try_push_str(subject), inline.try_push_str(client_id), inline.try_push_str(jti)) {
            (Ok(()), Ok(()), Ok(())) => TextBuf::Inline(inline),
            _ => TextBuf::Heap([subject, client_id, jti].concat().into_boxed_str()),
        };
        Self {
            text,
            subject_end: subject.len(),
            client_end: subject.len() + client_id.len(),
            has_jwt_id: jwt_id.is_some(),
        }
    }

    fn text(&self) -> &str {
        match &self.text {
            TextBuf::Inline(s) => s,
            TextBuf::Heap(s) => s,
        }
    }

    fn subject(&self) -> &str {
        self.text().get(..self.subject_end).unwrap_or_default()
    }

    fn client_id(&self) -> &str {
        self.text().get(self.subject_end..self.client_end).unwrap_or_default()
    }

    fn jwt_id(&self) -> Option<&str> {
        self.has_jwt_id.then(|| self.text().get(self.client_end..).unwrap_or_default())
    }
}

/// A verified JWT access token (RFC 9068) for this API.
///
/// `S` is the API's scope enum (`#[derive(Scopes)]`); `C` holds optional
/// custom claims (`#[derive(AccessClaims)]`). Produced only by
/// [`AccessTokenVerifier::verify`](crate::AccessTokenVerifier::verify).
///
/// ```
/// use tokenkind::{AccessToken, Scopes};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # let issuer = DevIssuer::new();
/// # let verifier = issuer.access_token_verifier::<Api>().build().unwrap();
/// # let raw = issuer.access_token().subject("alice").scope("read:messages").sign();
/// let token: AccessToken<Api> = verifier.verify(&raw)?;
/// assert_eq!(token.subject(), "alice");
/// assert!(token.has_scope(Api::ReadMessages));
/// # Ok::<(), tokenkind::Error>(())
/// ```
pub struct AccessToken<S, C: AccessClaims = NoClaims> {
    pub(crate) issuer: Arc<str>,
    /// `sub`, `client_id` and `jti`.
    pub(crate) identifiers: TokenText,
    pub(crate) audience: Audience,
    pub(crate) expires_at: i64,
    pub(crate) issued_at: i64,
    pub(crate) not_before: Option<i64>,
    pub(crate) scopes: ScopeSet<S>,
    pub(crate) binding: Binding,
    /// Bits of the declared roles (`S::Roles`) the user holds.
    pub(crate) roles: u128,
    pub(crate) acr: Option<Box<str>>,
    pub(crate) amr: Option<Box<[Box<str>]>>,
    pub(crate) auth_time: Option<i64>,
    /// The verifier's clock reading when it checked the token, and its
    /// leeway: step-up guards check `auth_time` against them.
    pub(crate) verified_at: i64,
    pub(crate) leeway: u64,
    pub(crate) claims: C,
}

/// How an access token is tied to its sender (RFC 7800 `cnf`).
///
/// A token with a `cnf` claim is only ever accepted together with proof
/// that its sender holds the key (DPoP, RFC 9449) or the certificate (mutual
/// TLS, RFC 8705) it names; presented as a plain bearer token it is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Binding {
    /// No `cnf`: whoever holds the token may use it.
    Bearer,
    /// `cnf.jkt`: bound to the key whose RFC 7638 thumbprint this is; the
    /// request carried a DPoP proof signed with it.
    Dpop {
        /// The key's JWK SHA-256 thumbprint, base64url.
        jkt: Box<str>,
    },
    /// `cnf["x5t#S256"]`: bound to the client certificate of this TLS
    /// connection, whose SHA-256 thumbprint this is.
    Mtls {
        /// The certificate's SHA-256 thumbprint, base64url.
        x5t_s256: Box<str>,
    },
}

impl Binding {
    /// Whether the token is sender-constrained (not a bearer token).
    pub fn is_sender_constrained(&self) -> bool {
        !matches!(self, Self::Bearer)
    }
}

impl<S: Scopes, C: AccessClaims> AccessToken<S, C> {
    /// `iss`: the issuer, equal to the verifier's configured issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `sub`: the user, or the client itself for a client-credentials grant.
    pub fn subject(&self) -> &str {
        self.identifiers.subject()
    }

    /// `aud`: the audiences; one of them is this API's identifier. Under
    /// [`Profile::Cognito`](crate::Profile::Cognito), whose access tokens
    /// carry no `aud` and are checked against `client_id` instead, this is
    /// that checked `client_id` alone (an `aud` member such a token might
    /// carry is not checked, so it is not reported).
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// The OAuth client the token was issued to (`client_id`, or the
    /// profile's equivalent: `azp`, `cid`).
    pub fn client_id(&self) -> &str {
        self.identifiers.client_id()
    }

    /// `jti`: the token's unique identifier, if present.
    pub fn jwt_id(&self) -> Option<&str> {
        self.identifiers.jwt_id()
    }

    /// `exp`: expiry, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// `iat`: issue time, in seconds since the Unix epoch.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// `nbf`: not-before time, if present.
    pub fn not_before(&self) -> Option<i64> {
        self.not_before
    }

    /// The granted scopes that `S` declares.
    pub fn scopes(&self) -> ScopeSet<S> {
        self.scopes
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: S) -> bool {
        self.scopes.contains(scope)
    }

    /// How the token was bound to its sender, and so how this request
    /// proved it: [`Binding::Bearer`] for a plain bearer token.
    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// The custom claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The custom claims, by value.
    pub fn into_claims(self) -> C {
        self.claims
    }

    /// The *user's* roles that the API's roles enum declares, read from the
    /// verifier's [`RoleSource`](crate::verify::RoleSource) (by default
    /// the profile's). Never the client's scopes; empty when the API
    /// declares no roles, and for an Entra ID app-only token (its `roles`
    /// are the client's permissions, read as scopes).
    pub fn roles(&self) -> RoleSet<S::Roles> {
        RoleSet::from_bits(self.roles)
    }

    /// Whether the user holds `role`.
    pub fn has_role(&self, role: S::Roles) -> bool {
        self.roles().contains(role)
    }

    /// `acr`: the authentication context class of the user's login, if
    /// present (RFC 9068 §2.2.1, RFC 9470). A wrong JSON type refuses the token.
    pub fn acr(&self) -> Option<&str> {
        self.acr.as_deref()
    }

    /// `amr`: the authentication methods of the user's login, if present
    /// (RFC 8176). A wrong JSON type refuses the token.
    pub fn amr(&self) -> Option<impl Iterator<Item = &str>> {
        self.amr.as_ref().map(|v| v.iter().map(|s| &**s))
    }

    /// `auth_time`: when the user authenticated, seconds since the epoch, if
    /// present. A wrong JSON type refuses the token.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }
}

impl<S: Scopes, C: AccessClaims + fmt::Debug> fmt::Debug for AccessToken<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject())
            .field("audience", &self.audience)
            .field("client_id", &self.client_id())
            .field("jwt_id", &self.jwt_id())
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("binding", &self.binding)
            .field("roles", &self.roles())
            .field("acr", &self.acr)
            .field("auth_time", &self.auth_time)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl<S, C: AccessClaims + Clone> Clone for AccessToken<S, C> {
    fn clone(&self) -> Self {
        Self {
            issuer: self.issuer.clone(),
            identifiers: self.identifiers.clone(),
            audience: self.audience.clone(),
            expires_at: self.expires_at,
            issued_at: self.issued_at,
            not_before: self.not_before,
            scopes: self.scopes,
            binding: self.binding.clone(),
            roles: self.roles,
            acr: self.acr.clone(),
            amr: self.amr.clone(),
            auth_time: self.auth_time,
            verified_at: self.verified_at,
            leeway: self.leeway,
            claims: self.claims.clone(),
        }
    }
}

/// A verified OpenID Connect ID token (OpenID Connect Core §2, §3.1.3.7).
///
/// It proves who logged in to *this client*; it is not a credential for an
/// API and cannot be used where an [`AccessToken`] is expected. Produced
/// only by [`IdTokenVerifier::verify`](crate::IdTokenVerifier::verify).
///
/// ```
/// use tokenkind::{IdClaims, IdToken, Nonce};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(IdClaims, serde::Deserialize)]
/// struct Profile {
///     name: String,
/// }
///
/// # let issuer = DevIssuer::new();
/// # let verifier = issuer.id_token_verifier::<Profile>().build().unwrap();
/// # let raw = issuer.id_token().subject("alice").nonce("n-0S6_WzA2Mj").claim("name", "Alice").sign();
/// let token: IdToken<Profile> = verifier.verify(&raw, Nonce::Expected("n-0S6_WzA2Mj"))?;
/// assert_eq!(token.subject(), "alice");
/// assert_eq!(token.claims().name, "Alice");
/// # Ok::<(), tokenkind::Error>(())
/// ```
pub struct IdToken<C: IdClaims = NoClaims> {
    pub(crate) issuer: Arc<str>,
    pub(crate) subject: Box<str>,
    pub(crate) audience: Audience,
    pub(crate) expires_at: i64,
    pub(crate) issued_at: i64,
    pub(crate) auth_time: Option<i64>,
    pub(crate) nonce: Option<Box<str>>,
    pub(crate) authorized_party: Option<Box<str>>,
    pub(crate) acr: Option<Box<str>>,
    pub(crate) amr: Option<Box<[Box<str>]>>,
    pub(crate) at_hash: Option<Box<str>>,
    pub(crate) c_hash: Option<Box<str>>,
    pub(crate) session_id: Option<Box<str>>,
    pub(crate) algorithm: Algorithm,
    /// Read only when the verifier was asked to (`display_roles`).
    pub(crate) display_roles: Box<[Box<str>]>,
    pub(crate) claims: C,
}

impl<C: IdClaims> IdToken<C> {
    /// The user's role names, for display only: a client showing an admin
    /// menu. Read when the verifier was built with
    /// [`display_roles`](crate::IdTokenVerifierBuilder::display_roles);
    /// empty otherwise.
    ///
    /// This is **not an authorization decision for any API**: an ID token
    /// tells the client who logged in. An API decides with the access token
    /// it receives (`#[requires_role]` reads the roles of that token).
    pub fn roles_for_display(&self) -> impl Iterator<Item = &str> + '_ {
        self.display_roles.iter().map(|r| &**r)
    }

    /// `iss`: the issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `sub`: the user's identifier at the issuer.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `aud`: the audiences; one is this client's ID.
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// `exp`, seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// `iat`, seconds since the Unix epoch.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// `auth_time`: when the user authenticated, if present.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// `nonce`, if present (checked against the expected one when given).
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `azp`: the authorized party, if present.
    pub fn authorized_party(&self) -> Option<&str> {
        self.authorized_party.as_deref()
    }

    /// `acr`: the authentication context class, if present.
    pub fn acr(&self) -> Option<&str> {
        self.acr.as_deref()
    }

    /// `amr`: the authentication methods, if present.
    pub fn amr(&self) -> Option<impl Iterator<Item = &str>> {
        self.amr.as_ref().map(|v| v.iter().map(|s| &**s))
    }

    /// `sid`: the session at the provider, if present (OpenID Connect
    /// Front-Channel and Back-Channel Logout 1.0); a logout token names the
    /// session it ends with the same value.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The JWS algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The custom claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The custom claims, by value.
    pub fn into_claims(self) -> C {
        self.claims
    }
}

impl<C: IdClaims + fmt::Debug> fmt::Debug for IdToken<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdToken")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("audience", &self.audience)
            .field("expires_at", &self.expires_at)
            .field("auth_time", &self.auth_time)
            .field("authorized_party", &self.authorized_party)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl<C: IdClaims + Clone> Clone for IdToken<C> {
    fn clone(&self) -> Self {
        Self {
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            audience: self.audience.clone(),
            expires_at: self.expires_at,
            issued_at: self.issued_at,
            auth_time: self.auth_time,
            nonce: self.nonce.clone(),
            authorized_party: self.authorized_party.clone(),
            acr: self.acr.clone(),
            amr: self.amr.clone(),
            at_hash: self.at_hash.clone(),
            c_hash: self.c_hash.clone(),
            session_id: self.session_id.clone(),
            algorithm: self.algorithm,
            display_roles: self.display_roles.clone(),
            claims: self.claims.clone(),
        }
    }
}

/// Names the scope enum of an access token type; `#[requires_scope]` uses it
/// to find the scopes of the guarded parameter.
#[diagnostic::on_unimplemented(
    message = "`#[requires_scope]` guards access tokens, and `{Self}` is not an `AccessToken`",
    label = "this parameter must be an `AccessToken<S>`",
    note = "an ID token proves who logged in to a client application; it is not meant for your API and carries no scopes: take an `AccessToken<S>` instead"
)]
#[doc(hidden)]
pub trait AccessTokenType {
    type Scopes: Scopes;
}

impl<S: Scopes, C: AccessClaims> AccessTokenType for AccessToken<S, C> {
    type Scopes = S;
}

#[cfg(test)]
mod tests {
    use super::{TextBuf, TokenText};

    #[test]
    fn identifiers_read_back_inline_and_on_the_heap() {
        // Around the inline capacity, with and without `jti`, with
        // multi-byte characters at the joins.
        for total in [0, 1, 60, TokenText::INLINE - 1, TokenText::INLINE, TokenText::INLINE + 1, 400] {
            for jti in [None, Some("é-jti")] {
                let rest = total.saturating_sub(jti.map_or(0, str::len));
                let sub = "ü".repeat(rest / 4);
                let client_id = "c".repeat(rest - sub.len());
                let text = TokenText::new(&sub, &client_id, jti);
                assert_eq!((text.subject(), text.client_id(), text.jwt_id()), (&*sub, &*client_id, jti));
                let len = sub.len() + client_id.len() + jti.map_or(0, str::len);
                assert_eq!(matches!(text.text, TextBuf::Inline(_)), len <= TokenText::INLINE, "{len}");
                let copy = text.clone();
                assert_eq!((copy.subject(), copy.client_id(), copy.jwt_id()), (&*sub, &*client_id, jti));
            }
        }
    }
}
