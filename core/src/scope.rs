//! Scopes: the API's declared scope enum, the granted scope set, scope
//! requirements checked before a handler runs, and proofs that a scope was
//! checked.
//!
//! RFC 9068 §2.2.3 and RFC 6749 §3.3: `scope` is a space-delimited list of
//! case-sensitive strings. tokenkind maps each declared string to one bit,
//! so a scope check is a mask test, never a string search.

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;

use crate::claims::AccessClaims;
use crate::error::Error;
pub use crate::role::{NoRoles, RequiredRoles, RoleMarker, RoleSet, Roles};
pub use crate::step_up::{AcrMarker, AcrValues, NoAcr, RequiredAuthentication};
use crate::token::AccessToken;

/// The scopes an API declares, one per variant of a fieldless enum.
///
/// Implemented by `#[derive(Scopes)]`; each variant names its scope string
/// with `#[scope("...")]`. At most 128 scopes per enum.
///
/// ```
/// use tokenkind::Scopes;
///
/// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
///     #[scope("write:messages")]
///     WriteMessages,
/// }
///
/// assert_eq!(Api::ReadMessages.as_str(), "read:messages");
/// assert_eq!(Api::from_scope("write:messages"), Some(Api::WriteMessages));
/// assert_eq!(Api::from_scope("Write:Messages"), None); // scopes are case-sensitive
/// ```
pub trait Scopes: Sized + Send + Sync + 'static + DerivedScopes {
    /// The user roles this API understands: the enum named by
    /// `#[scopes(roles = Role)]`, or [`NoRoles`] (role guards then do not
    /// compile). Roles are the *user's*; they never count as scopes.
    type Roles: Roles;
    /// The authentication context classes (`acr` values, RFC 9470) this API
    /// asks for: the enum named by `#[scopes(acr = Acr)]`, or [`NoAcr`].
    type Acr: AcrValues;
    /// The scope strings, in declaration order: the scope at index `i` is bit `i`.
    const NAMES: &'static [&'static str];
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The name of the enum, for error messages.
    const TYPE_NAME: &'static str;

    /// This scope's index in [`Scopes::NAMES`].
    fn index(&self) -> usize;

    /// The index of a scope string, if the enum declares it (exact, case-sensitive match).
    fn index_of(scope: &str) -> Option<usize>;

    /// The variant at `index` in declaration order, if there is one.
    fn from_index(index: usize) -> Option<Self>;

    /// This scope's string, as it appears in a token's `scope` claim.
    fn as_str(&self) -> &'static str {
        Self::NAMES.get(self.index()).copied().unwrap_or_default()
    }

    /// The variant for a scope string, if the enum declares it.
    fn from_scope(scope: &str) -> Option<Self> {
        Self::index_of(scope).and_then(Self::from_index)
    }
}

/// Implemented by `#[derive(Scopes)]` alone: it seals [`Scopes`], whose
/// impl decides which scope strings map to which bits.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope enum derived with `#[derive(Scopes)]`",
    label = "`#[derive(Scopes)]` missing here",
    note = "scope enums are declared with `#[derive(Scopes)]` and one `#[scope(\"...\")]` per variant; `Scopes` cannot be implemented by hand"
)]
pub trait DerivedScopes {}

/// The set of declared scopes a token was granted: one bit per scope.
///
/// Granted scopes that the API does not declare are ignored (RFC 9068 leaves
/// their meaning to other resource servers).
///
/// ```
/// # use tokenkind::{Scopes, ScopeSet};
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] ReadMessages, #[scope("write:messages")] WriteMessages }
/// let set = ScopeSet::<Api>::parse("openid read:messages profile");
/// assert!(set.contains(Api::ReadMessages));
/// assert!(!set.contains(Api::WriteMessages));
/// assert_eq!(set.iter().collect::<Vec<_>>(), [Api::ReadMessages]);
/// ```
pub struct ScopeSet<S> {
    bits: u128,
    _scopes: PhantomData<fn() -> S>,
}

impl<S> Clone for ScopeSet<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for ScopeSet<S> {}
impl<S> PartialEq for ScopeSet<S> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<S> Eq for ScopeSet<S> {}

impl<S: Scopes> ScopeSet<S> {
    /// The empty set.
    pub const fn empty() -> Self {
        Self::from_bits(0)
    }

    pub(crate) const fn from_bits(bits: u128) -> Self {
        Self { bits, _scopes: PhantomData }
    }

    /// Parses a space-delimited `scope` value (RFC 6749 §3.3), keeping the declared scopes.
    pub fn parse(scope: &str) -> Self {
        let mut set = Self::empty();
        set.insert_delimited(scope);
        set
    }

    pub(crate) fn insert_delimited(&mut self, scope: &str) {
        for token in scope.split(' ') {
            self.insert_name(token);
        }
    }

    pub(crate) fn insert_name(&mut self, name: &str) {
        if let Some(i) = S::index_of(name) {
            self.bits |= bit(i);
        }
    }

    /// Adds a scope.
    #[allow(clippy::needless_pass_by_value)] // a scope is a fieldless enum: passed like an integer
    pub fn insert(&mut self, scope: S) {
        self.bits |= bit(scope.index());
    }

    /// Whether the set holds `scope`.
    #[allow(clippy::needless_pass_by_value)] // a scope is a fieldless enum: passed like an integer
    pub fn contains(&self, scope: S) -> bool {
        self.bits & bit(scope.index()) != 0
    }

    /// Whether the set holds the scope at `index` of [`Scopes::NAMES`].
    pub(crate) fn contains_index(&self, index: usize) -> bool {
        self.bits & bit(index) != 0
    }

    /// Whether the set holds every scope of `other`.
    pub fn contains_all(&self, other: ScopeSet<S>) -> bool {
        self.bits & other.bits == other.bits
    }

    /// Whether the set holds at least one scope of `other`.
    pub fn contains_any(&self, other: ScopeSet<S>) -> bool {
        self.bits & other.bits != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The number of scopes in the set.
    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The scopes in the set, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = S> + '_ {
        (0..S::NAMES.len()).filter(move |i| self.bits & bit(*i) != 0).filter_map(S::from_index)
    }

    pub(crate) const fn bits(&self) -> u128 {
        self.bits
    }
}

impl<S: Scopes> FromIterator<S> for ScopeSet<S> {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = Self::empty();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl<S: Scopes> fmt::Debug for ScopeSet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl<S: Scopes> fmt::Display for ScopeSet<S> {
    /// Space-delimited, as in a `scope` claim.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.names().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}

impl<S: Scopes> ScopeSet<S> {
    /// The scope strings in the set, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        S::NAMES.iter().enumerate().filter(move |(i, _)| self.contains_index(*i)).map(|(_, n)| *n)
    }
}

/// The bit of scope index `i`; an index past 127 (impossible for a derived
/// enum) maps to no bit rather than overflowing.
pub(crate) const fn bit(i: usize) -> u128 {
    if i < 128 { 1u128 << i } else { 0 }
}

/// Whether a requirement needs every listed scope or any one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every scope is required: `#[requires_scope("a", "b")]`.
    All,
    /// One of the scopes suffices: `#[requires_scope(any("a", "b"))]`.
    Any,
}

/// The scopes a check required, as reported by [`Error::InsufficientScope`].
///
/// Its `Display` is the space-delimited list that RFC 6750 §3 puts in the
/// `scope` attribute of a `WWW-Authenticate` header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequiredScopes(RequiredNames);

/// The names a check required (scopes, roles), in declaration order: shared
/// by [`RequiredScopes`] and [`RequiredRoles`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequiredNames {
    names: &'static [&'static str],
    mask: u128,
    mode: Mode,
}

impl RequiredNames {
    pub(crate) fn new(names: &'static [&'static str], mask: u128, mode: Mode) -> Self {
        Self { names, mask, mode }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.iter().enumerate().filter(|(i, _)| self.mask & bit(*i) != 0).map(|(_, n)| *n)
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The names separated by `separator`.
    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>, separator: &str) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(separator)?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }

    /// `Type { mode, names: [...] }`.
    pub(crate) fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, field: &str) -> fmt::Result {
        f.debug_struct(name).field("mode", &self.mode).field(field, &self.iter().collect::<Vec<_>>()).finish()
    }
}

impl RequiredScopes {
    pub(crate) fn new<S: Scopes>(mask: u128, mode: Mode) -> Self {
        Self(RequiredNames::new(S::NAMES, mask, mode))
    }

    /// Any names, to test what reaches a header.
    #[cfg(test)]
    pub(crate) fn from_parts(names: &'static [&'static str], mask: u128, mode: Mode) -> Self {
        Self(RequiredNames::new(names, mask, mode))
    }

    /// The required scope strings, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter()
    }

    /// Whether every scope was required or any one of them.
    pub fn mode(&self) -> Mode {
        self.0.mode()
    }
}

impl fmt::Display for RequiredScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, " ")
    }
}

impl fmt::Debug for RequiredScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "RequiredScopes", "scopes")
    }
}

/// A type that stands for one declared scope, generated by `#[derive(Scopes)]`.
///
/// For `enum Api` the derive generates a module `api_scope` (rename it with
/// `#[scopes(module = name)]`) holding one uninhabited type per variant,
/// named like the variant: `api_scope::DeleteMessages`. They are used only as
/// type parameters, in [`Granted`]. Only the derive implements this trait.
pub trait ScopeMarker: DerivedScopeMarker + 'static {
    /// The scope enum this marker belongs to.
    type Set: Scopes;
    /// The scope's index in `Set::NAMES`.
    const INDEX: usize;
    /// The variant this marker stands for.
    const SCOPE: Self::Set;
}

/// Implemented by `#[derive(Scopes)]` alone: it seals [`ScopeMarker`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope marker generated by `#[derive(Scopes)]`",
    note = "scope markers are the types `#[derive(Scopes)]` generates in the enum's `..._scope` module; they cannot be implemented by hand"
)]
pub trait DerivedScopeMarker {}

/// Proof that the scope `M` was checked on the access token of the current
/// request.
///
/// A service function that must only run for callers holding a scope takes
/// a `Granted<'_, M>` parameter. There are exactly two ways to get one: from
/// a `#[requires_scope]` guard whose requirement includes that scope
/// ([`Scoped::grant`], checked at compile time), or from a run-time check on
/// a verified token ([`AccessToken::grant`]).
///
/// A proof borrows the guard or token it came from (`'t`), so it lives no
/// longer than that request's token: it cannot be kept in a `static`, a
/// cache or a service struct that outlives the request, nor moved into a
/// `'static` task, where it could vouch for a later caller whose token lacks
/// the scope. It is zero-sized; pass it down a call chain by value, by
/// reference, or [`reborrow`](Granted::reborrow) it for several callees.
///
/// ```
/// use tokenkind::{requires_scope, AccessToken, Granted, Scopes};
///
/// #[derive(Scopes)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
///     #[scope("delete:messages")]
///     DeleteMessages,
/// }
///
/// fn delete_message(_proof: Granted<'_, api_scope::DeleteMessages>, id: u64) -> u64 {
///     id
/// }
///
/// #[requires_scope("delete:messages")]
/// fn delete_handler(token: AccessToken<Api>, id: u64) -> u64 {
///     let proof = token.grant();
///     delete_message(proof.reborrow(), id) + delete_message(proof, id)
/// }
/// ```
pub struct Granted<'t, M> {
    #[allow(clippy::type_complexity)] // borrows for `'t`, stands for `M`, owns neither
    _marker: PhantomData<(&'t (), fn() -> M)>,
}

impl<M: Marker> Granted<'_, M> {
    pub(crate) const fn new() -> Self {
        Self { _marker: PhantomData }
    }

    /// The same proof, borrowed for a shorter time: hand one to each of
    /// several callees.
    pub fn reborrow(&self) -> Granted<'_, M> {
        Granted::new()
    }
}

impl<M: ScopeMarker> Granted<'_, M> {
    /// The scope this proof stands for.
    pub fn scope(&self) -> <M as ScopeMarker>::Set {
        M::SCOPE
    }
}

impl<M: Marker> fmt::Debug for Granted<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Granted").field(&M::NAME).finish()
    }
}

/// A declared scope, role or `acr` value as a type: the common part of
/// [`ScopeMarker`], [`RoleMarker`] and [`AcrMarker`], which the derives
/// implement. Requirements ([`All`], [`Any`]) list markers of one enum.
#[doc(hidden)]
pub trait Marker: 'static {
    /// The enum the marker belongs to.
    type Set: 'static;
    /// The marker's index in its enum's names.
    const INDEX: usize;
    /// The scope, role or `acr` value it stands for.
    const NAME: &'static str;
}

/// A requirement, written by `#[requires_scope]` (over the scopes of `S`),
/// `#[requires_role]` (over the roles) or `#[requires_auth]` (over the `acr`
/// values) as a type.
///
/// `All<(A, (B, ()))>` requires the scopes (roles) of markers `A` and `B`;
/// `Any<...>` requires one of them. Sealed: only [`All`] and [`Any`] of
/// derived markers implement it.
pub trait Requirement<S>: sealed::Requirement + 'static {
    /// The required names, as bits of `S`.
    const MASK: u128;
    /// All or any.
    const MODE: Mode;
}

/// Requires every scope of the marker list `L`.
pub struct All<L>(PhantomData<fn() -> L>);
/// Requires at least one scope of the marker list `L`.
pub struct Any<L>(PhantomData<fn() -> L>);

/// A list of markers of one enum `S` (scopes, roles or `acr` values): `()`
/// or `(Head, Tail)`. Sealed.
pub trait MarkerList<S>: sealed::MarkerList + 'static {
    /// The union of the markers' bits.
    const MASK: u128;
}
impl<S> MarkerList<S> for () {
    const MASK: u128 = 0;
}
impl<S: 'static, H: Marker<Set = S>, T: MarkerList<S>> MarkerList<S> for (H, T) {
    const MASK: u128 = bit(H::INDEX) | T::MASK;
}
impl sealed::MarkerList for () {}
impl<H: Marker, T: sealed::MarkerList> sealed::MarkerList for (H, T) {}

impl<S, L: MarkerList<S>> Requirement<S> for All<L> {
    const MASK: u128 = L::MASK;
    const MODE: Mode = Mode::All;
}
impl<S, L: MarkerList<S>> Requirement<S> for Any<L> {
    const MASK: u128 = L::MASK;
    const MODE: Mode = Mode::Any;
}
impl<L: sealed::MarkerList> sealed::Requirement for All<L> {}
impl<L: sealed::MarkerList> sealed::Requirement for Any<L> {}

#[doc(hidden)]
pub struct Here;
#[doc(hidden)]
pub struct There<I>(PhantomData<I>);

/// Implemented by a requirement that guarantees the scope of marker `M`.
///
/// `I` is an index the compiler infers; never name it. Sealed: its impls
/// decide what a guard proves, so only tokenkind writes them.
#[diagnostic::on_unimplemented(
    message = "this `#[requires_scope]` guard does not prove the scope `{M}`",
    label = "the guard's requirement `{Self}` does not include `{M}`",
    note = "add the scope to the handler's `#[requires_scope(...)]`, or check it at run time with `AccessToken::grant`",
    note = "a guard written with `any(...)` proves none of its scopes, since one of them suffices to pass it"
)]
pub trait Proves<M, I>: sealed::Proves<M, I> {}

#[diagnostic::do_not_recommend]
impl<M, T> Proves<M, Here> for (M, T) {}
#[diagnostic::do_not_recommend]
impl<M, H, T: Proves<M, I>, I> Proves<M, There<I>> for (H, T) {}
#[diagnostic::do_not_recommend]
impl<M, L: Proves<M, I>, I> Proves<M, I> for All<L> {}

// `()` and `Any` prove a marker only if it is `Unprovable`, which none is
// (the trait is sealed and has no impls). These impls keep `Proves` undecided
// while the marker is still being inferred, so a missing scope is reported
// by name, instead of the guard's only scope being inferred.
#[doc(hidden)]
pub struct Nowhere;
#[doc(hidden)]
pub trait Unprovable: sealed::Unprovable {}
#[diagnostic::do_not_recommend]
impl<M: Unprovable> Proves<M, Nowhere> for () {}
#[diagnostic::do_not_recommend]
impl<M: Unprovable, L> Proves<M, Nowhere> for Any<L> {}

// The sealing traits mirror the impls above one for one; being unnameable
// outside this module, they make any other impl of the public traits fail.
impl<M, T> sealed::Proves<M, Here> for (M, T) {}
impl<M, H, T: Proves<M, I>, I> sealed::Proves<M, There<I>> for (H, T) {}
impl<M, L: Proves<M, I>, I> sealed::Proves<M, I> for All<L> {}
impl<M: Unprovable> sealed::Proves<M, Nowhere> for () {}
impl<M: Unprovable, L> sealed::Proves<M, Nowhere> for Any<L> {}

pub(crate) mod sealed {
    pub trait Binding {}
    pub trait User {}
    pub trait StepUp {}
    pub trait Requirement {}
    pub trait MarkerList {}
    pub trait Proves<M, I> {}
    pub trait Unprovable {}
}

/// An access token whose scopes were checked against the requirement `R`.
///
/// `#[requires_scope]` turns the handler's `AccessToken<S, C>` parameter into
/// this type, so the body cannot run until the check has passed. It
/// dereferences to the token. Build one with [`Scoped::check`] (or let the web
/// framework's extractor build it).
///
/// ```
/// use tokenkind::{requires_scope, AccessToken, Scopes, Scoped};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
///     #[scope("write:messages")]
///     WriteMessages,
/// }
///
/// #[requires_scope("write:messages")]
/// fn post_message(token: AccessToken<Api>, text: &str) -> String {
///     format!("{} wrote {text}", token.subject())
/// }
///
/// # let issuer = DevIssuer::new();
/// # let verifier = issuer.access_token_verifier::<Api>().build().unwrap();
/// let raw = issuer.access_token().scope("read:messages").sign();
/// let token = verifier.verify(&raw).unwrap();
/// let err = Scoped::check(token).map(|t| post_message(t, "hi")).unwrap_err();
/// assert_eq!(err.to_string(), "the access token lacks the required scope: write:messages");
/// ```
pub struct Scoped<T, R, B = AnyBinding, U = AnyUser> {
    token: T,
    #[allow(clippy::type_complexity)] // stands for the guard's requirements, owns none
    _requirement: PhantomData<fn() -> (R, B, U)>,
}

/// What a guard requires of the *user* behind the token: roles
/// (`#[requires_role]`) and recent or strong authentication
/// (`#[requires_auth]`, RFC 9470). Checked after the scopes.
///
/// Sealed: [`AnyUser`] (the default: nothing) or [`User`].
pub trait UserRequirement<S: Scopes>: sealed::User + 'static {
    /// Checks the token's user claims.
    ///
    /// # Errors
    /// [`Error::MissingRole`], then [`Error::InsufficientUserAuthentication`].
    #[doc(hidden)]
    fn check_user<C: AccessClaims>(token: &AccessToken<S, C>) -> Result<(), Error>;
}

/// A guard that requires nothing of the user (no `#[requires_role]`, no
/// `#[requires_auth]`).
pub enum AnyUser {}

/// A guard's requirement on the user: the roles `Q` (a [`Requirement`] over
/// the API's roles enum) and the authentication `A` ([`AnyAuth`] or
/// [`StepUp`](crate::step_up::StepUp)).
pub struct User<Q, A = AnyAuth>(PhantomData<fn() -> (Q, A)>);

pub use crate::step_up::AnyAuth;

impl<S: Scopes> UserRequirement<S> for AnyUser {
    fn check_user<C: AccessClaims>(_: &AccessToken<S, C>) -> Result<(), Error> {
        Ok(())
    }
}
impl<S: Scopes, Q: Requirement<S::Roles>, A: crate::step_up::AuthRequirement<S::Acr>> UserRequirement<S>
    for User<Q, A>
{
    fn check_user<C: AccessClaims>(token: &AccessToken<S, C>) -> Result<(), Error> {
        let held = token.roles().bits();
        let ok = match Q::MODE {
            Mode::All => held & Q::MASK == Q::MASK,
            Mode::Any => held & Q::MASK != 0,
        };
        if !ok {
            return Err(Error::MissingRole { required: RequiredRoles::new::<S::Roles>(Q::MASK, Q::MODE) });
        }
        A::check_auth(token.acr(), token.auth_time(), token.verified_at, token.leeway)
    }
}
impl sealed::User for AnyUser {}
impl<Q: sealed::Requirement, A: sealed::StepUp> sealed::User for User<Q, A> {}

/// Implemented by a guard whose `#[requires_role]` proves the role of
/// marker `M` (`I` is inferred; never name it). Sealed.
#[diagnostic::on_unimplemented(
    message = "this guard does not prove the role this proof is for",
    label = "the guard's user requirement `{Self}` does not require that role",
    note = "add the role to the handler's `#[requires_role(...)]`",
    note = "a guard written with `any(...)` proves none of its roles, since one of them suffices to pass it"
)]
pub trait ProvesRole<M, I>: sealed::User {}
#[diagnostic::do_not_recommend]
impl<M, I, Q: Proves<M, I> + sealed::Requirement, A: sealed::StepUp> ProvesRole<M, I> for User<Q, A> {}

/// What a guard requires of how its token is bound to the sender.
///
/// Sealed: [`AnyBinding`] (the default) or [`SenderConstrained`]
/// (`#[requires_scope(..., sender_constrained)]`).
pub trait BindingRequirement: sealed::Binding + 'static {
    /// Whether only a sender-constrained token passes.
    const SENDER_CONSTRAINED: bool;
}

/// A guard that accepts bearer and sender-constrained tokens alike.
pub enum AnyBinding {}
/// A guard that accepts only sender-constrained tokens: DPoP-bound (RFC
/// 9449) or certificate-bound (RFC 8705), each presented with its proof.
pub enum SenderConstrained {}

impl BindingRequirement for AnyBinding {
    const SENDER_CONSTRAINED: bool = false;
}
impl BindingRequirement for SenderConstrained {
    const SENDER_CONSTRAINED: bool = true;
}
impl sealed::Binding for AnyBinding {}
impl sealed::Binding for SenderConstrained {}

/// Implemented by a guard that admits only sender-constrained tokens.
#[diagnostic::on_unimplemented(
    message = "this `#[requires_scope]` guard accepts bearer tokens, so it cannot prove possession",
    label = "this guard does not require a sender-constrained token",
    note = "add `sender_constrained` to the handler's `#[requires_scope(...)]`: only DPoP- or certificate-bound tokens then reach it",
    note = "a bearer token proves nothing about who sends it: anyone who copied it can"
)]
pub trait ProvesPossession: sealed::Binding {}
impl ProvesPossession for SenderConstrained {}

/// Proof that the current request's access token is sender-constrained and
/// that its sender proved possession of the bound key (a DPoP proof) or
/// certificate (the TLS connection). Like [`Granted`], it borrows the guard
/// it came from and lasts no longer than its request.
///
/// ```
/// use tokenkind::scope::ProofOfPossession;
/// use tokenkind::{AccessToken, Granted, Scopes, requires_scope};
///
/// #[derive(Scopes)]
/// enum Bank {
///     #[scope("transfer:funds")]
///     TransferFunds,
/// }
///
/// fn transfer(_: Granted<'_, bank_scope::TransferFunds>, _: ProofOfPossession<'_>, cents: u64) -> u64 {
///     cents
/// }
///
/// #[requires_scope("transfer:funds", sender_constrained)]
/// fn transfer_handler(token: AccessToken<Bank>, cents: u64) -> u64 {
///     transfer(token.grant(), token.proof_of_possession(), cents)
/// }
/// ```
pub struct ProofOfPossession<'t> {
    _guard: PhantomData<&'t ()>,
}

impl ProofOfPossession<'_> {
    /// The same proof, borrowed for a shorter time.
    pub fn reborrow(&self) -> ProofOfPossession<'_> {
        ProofOfPossession { _guard: PhantomData }
    }
}

impl fmt::Debug for ProofOfPossession<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProofOfPossession")
    }
}

impl<S: Scopes, C: AccessClaims, R: Requirement<S>, B: BindingRequirement, U: UserRequirement<S>>
    Scoped<AccessToken<S, C>, R, B, U>
{
    /// Checks the token against the guard, in a fixed order: its binding
    /// when `B` is [`SenderConstrained`], its scopes against `R` (what the
    /// client was granted), then the user requirement `U`: roles, then
    /// step-up authentication. A client cannot repair a missing scope by
    /// authenticating the user again, so the scope is told first.
    ///
    /// # Errors
    /// [`Error::SenderConstraintRequired`] for a bearer token where a
    /// sender-constrained one is required; [`Error::InsufficientScope`]
    /// naming the required scopes; [`Error::MissingRole`];
    /// [`Error::InsufficientUserAuthentication`].
    pub fn check(token: AccessToken<S, C>) -> Result<Self, Error> {
        if B::SENDER_CONSTRAINED && !token.binding().is_sender_constrained() {
            return Err(Error::SenderConstraintRequired);
        }
        let granted = token.scopes().bits();
        let ok = match R::MODE {
            Mode::All => granted & R::MASK == R::MASK,
            Mode::Any => granted & R::MASK != 0,
        };
        if !ok {
            return Err(Error::InsufficientScope { required: RequiredScopes::new::<S>(R::MASK, R::MODE) });
        }
        U::check_user(&token)?;
        Ok(Self { token, _requirement: PhantomData })
    }

    /// A proof that the user holds the role of `M`. Compiles only when the
    /// guard's `#[requires_role]` includes `M` (the index `I` is inferred).
    pub fn grant_role<M: RoleMarker<Set = S::Roles> + Marker, I>(&self) -> Granted<'_, M>
    where
        U: ProvesRole<M, I>,
    {
        Granted::new()
    }

    /// A proof that the user authenticated with the `acr` value of `M`.
    /// Compiles only when the guard's `#[requires_auth]` requires that value
    /// alone.
    pub fn grant_acr<M: AcrMarker<Set = S::Acr> + Marker, I>(&self) -> Granted<'_, M>
    where
        U: crate::step_up::ProvesAcr<M, I>,
    {
        Granted::new()
    }

    /// A proof that the user authenticated at most `SECS` seconds ago.
    /// Compiles only when the guard's `#[requires_auth]` has `max_age = SECS`.
    pub fn authenticated_within<const SECS: u64>(&self) -> crate::step_up::AuthenticatedWithin<'_, SECS>
    where
        U: crate::step_up::ProvesMaxAge<SECS>,
    {
        crate::step_up::AuthenticatedWithin::new()
    }

    /// A proof that the scope of `M` was checked. Compiles only when the
    /// requirement includes `M` (the index `I` is inferred).
    pub fn grant<M: ScopeMarker<Set = S> + Marker, I>(&self) -> Granted<'_, M>
    where
        R: Proves<M, I>,
    {
        Granted::new()
    }

    /// The scopes this guard required.
    pub fn required() -> RequiredScopes {
        RequiredScopes::new::<S>(R::MASK, R::MODE)
    }

    /// The checked token.
    pub fn into_token(self) -> AccessToken<S, C> {
        self.token
    }

    /// A proof that the token is sender-constrained and that its sender
    /// proved possession. Compiles only for a guard written with
    /// `sender_constrained`.
    pub fn proof_of_possession(&self) -> ProofOfPossession<'_>
    where
        B: ProvesPossession,
    {
        ProofOfPossession { _guard: PhantomData }
    }
}

impl<T, R, B, U> Deref for Scoped<T, R, B, U> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.token
    }
}

impl<T: fmt::Debug, R, B, U> fmt::Debug for Scoped<T, R, B, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scoped").field(&self.token).finish()
    }
}

impl<S: Scopes, C: AccessClaims> AccessToken<S, C> {
    /// A proof that the token holds the scope of `M`, checked now; it
    /// borrows the token, so it lasts no longer than the token's request.
    ///
    /// # Errors
    /// [`Error::InsufficientScope`] naming that scope.
    pub fn grant<M: ScopeMarker<Set = S> + Marker>(&self) -> Result<Granted<'_, M>, Error> {
        let mask = bit(<M as ScopeMarker>::INDEX);
        if self.scopes().bits() & mask == 0 {
            return Err(Error::InsufficientScope { required: RequiredScopes::new::<S>(mask, Mode::All) });
        }
        Ok(Granted::new())
    }

    /// A proof that the token's user holds the role of `M`, checked now;
    /// it borrows the token, so it lasts no longer than the token's request.
    ///
    /// # Errors
    /// [`Error::MissingRole`] naming that role.
    pub fn grant_role<M: RoleMarker<Set = S::Roles> + Marker>(&self) -> Result<Granted<'_, M>, Error> {
        let mask = bit(<M as RoleMarker>::INDEX);
        if self.roles().bits() & mask == 0 {
            return Err(Error::MissingRole { required: RequiredRoles::new::<S::Roles>(mask, Mode::All) });
        }
        Ok(Granted::new())
    }
}

/// Index of `name` in `names`, usable in constants (`#[requires_scope]`
/// resolves its scope strings with it at compile time).
#[doc(hidden)]
pub const fn position(names: &[&str], name: &str) -> Option<usize> {
    let mut i = 0;
    while i < names.len() {
        if const_str_eq(names[i], name) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A message assembled during constant evaluation, where `panic!` cannot
/// format: `#[requires_scope]` builds its "undeclared scope" error with it.
#[doc(hidden)]
pub struct ConstMessage {
    buf: [u8; 1024],
    len: usize,
}

impl ConstMessage {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Self { buf: [0; 1024], len: 0 }
    }

    /// Appends `s`, or nothing if it does not fit (the text stays valid UTF-8).
    #[doc(hidden)]
    #[must_use]
    pub const fn push(mut self, s: &str) -> Self {
        let s = s.as_bytes();
        if self.len + s.len() > self.buf.len() {
            return self;
        }
        let mut i = 0;
        while i < s.len() {
            self.buf[self.len + i] = s[i];
            i += 1;
        }
        self.len += s.len();
        self
    }

    #[doc(hidden)]
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "",
        }
    }
}

/// The declared scope nearest to a misspelt `name` (edit distance at most a
/// third of its length), for a "did you mean" hint at compile time.
#[doc(hidden)]
pub const fn closest_scope(names: &[&'static str], name: &str) -> Option<&'static str> {
    let limit = if name.len() > 3 { name.len() / 3 } else { 1 };
    let (mut best, mut best_distance) = (None, limit + 1);
    let mut i = 0;
    while i < names.len() {
        if let Some(distance) = edit_distance(names[i].as_bytes(), name.as_bytes())
            && distance < best_distance
        {
            best = Some(names[i]);
            best_distance = distance;
        }
        i += 1;
    }
    best
}

/// Levenshtein distance over bytes; `None` for strings longer than 128 bytes.
const fn edit_distance(from: &[u8], to: &[u8]) -> Option<usize> {
    const MAX: usize = 128;
    if from.len() > MAX || to.len() > MAX {
        return None;
    }
    // Two rows of the distance matrix: `prev` for `from[..row - 1]`, `cur` for `from[..row]`.
    let mut prev = [0usize; MAX + 1];
    let mut cur = [0usize; MAX + 1];
    let mut col = 0;
    while col <= to.len() {
        prev[col] = col;
        col += 1;
    }
    let mut row = 1;
    while row <= from.len() {
        cur[0] = row;
        let mut col = 1;
        while col <= to.len() {
            let substitution = prev[col - 1] + if from[row - 1] == to[col - 1] { 0 } else { 1 };
            let deletion = prev[col] + 1;
            let insertion = cur[col - 1] + 1;
            let mut best = substitution;
            if deletion < best {
                best = deletion;
            }
            if insertion < best {
                best = insertion;
            }
            cur[col] = best;
            col += 1;
        }
        let done = prev;
        prev = cur;
        cur = done;
        row += 1;
    }
    Some(prev[to.len()])
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Maps a scope index to its marker type; implemented by `#[derive(Scopes)]`.
#[doc(hidden)]
pub trait ScopeAt<const I: usize> {
    type Marker: ScopeMarker;
}

/// The marker of the scope at index `I` of `S`.
#[doc(hidden)]
pub type MarkerAt<S, const I: usize> = <S as ScopeAt<I>>::Marker;
