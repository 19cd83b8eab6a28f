//! Roles: what the *user* may do, declared by the API as an enum, kept
//! apart from scopes (what the *client* was granted).
//!
//! RFC 9068 §2.2.3.1 carries a user's `roles`, `groups` and `entitlements`
//! in an access token; providers use their own claims (see
//! [`RoleSource`](crate::verify::RoleSource)). tokenkind maps each declared
//! role string to one bit, like scopes, but in a distinct type: a role never
//! satisfies a scope requirement, nor a scope a role requirement.

use core::fmt;
use core::marker::PhantomData;

use crate::scope::{Mode, RequiredNames, bit};

/// The user roles an API declares, one per variant of a fieldless enum.
///
/// Implemented by `#[derive(Roles)]`; each variant names its role string
/// with `#[role("...")]`. At most 128 roles per enum. An API names its
/// roles enum on its scope enum: `#[scopes(roles = Role)]`.
///
/// ```
/// use tokenkind::Roles;
///
/// #[derive(Roles, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Role {
///     #[role("admin")]
///     Admin,
///     #[role("editor")]
///     Editor,
/// }
///
/// assert_eq!(Role::Admin.as_str(), "admin");
/// assert_eq!(Role::from_role("editor"), Some(Role::Editor));
/// assert_eq!(Role::from_role("Admin"), None); // roles are case-sensitive
/// ```
pub trait Roles: Sized + Send + Sync + 'static + DerivedRoles {
    /// The role strings, in declaration order: the role at index `i` is bit `i`.
    const NAMES: &'static [&'static str];
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The name of the enum, for error messages (empty for [`NoRoles`]).
    const TYPE_NAME: &'static str;

    /// This role's index in [`Roles::NAMES`].
    fn index(&self) -> usize;

    /// The index of a role string, if the enum declares it (exact, case-sensitive match).
    fn index_of(role: &str) -> Option<usize>;

    /// The variant at `index` in declaration order, if there is one.
    fn from_index(index: usize) -> Option<Self>;

    /// This role's string, as it appears in the token's role claim.
    fn as_str(&self) -> &'static str {
        Self::NAMES.get(self.index()).copied().unwrap_or_default()
    }

    /// The variant for a role string, if the enum declares it.
    fn from_role(role: &str) -> Option<Self> {
        Self::index_of(role).and_then(Self::from_index)
    }
}

/// Implemented by `#[derive(Roles)]` alone: it seals [`Roles`], whose impl
/// decides which role strings map to which bits.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a roles enum derived with `#[derive(Roles)]`",
    label = "`#[derive(Roles)]` missing here",
    note = "roles enums are declared with `#[derive(Roles)]` and one `#[role(\"...\")]` per variant; `Roles` cannot be implemented by hand"
)]
pub trait DerivedRoles {}

/// The roles enum of an API that declares none: no role guard compiles
/// against it, and the verifier reads no role claim.
pub enum NoRoles {}

impl DerivedRoles for NoRoles {}
impl Roles for NoRoles {
    const NAMES: &'static [&'static str] = &[];
    const ALL: &'static [Self] = &[];
    const TYPE_NAME: &'static str = "";
    fn index(&self) -> usize {
        match *self {}
    }
    fn index_of(_: &str) -> Option<usize> {
        None
    }
    fn from_index(_: usize) -> Option<Self> {
        None
    }
}

/// The declared roles a token's user holds: one bit per role.
///
/// Role strings the API does not declare are ignored.
///
/// ```
/// # use tokenkind::{Roles, RoleSet};
/// # #[derive(Roles, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Role { #[role("admin")] Admin, #[role("editor")] Editor }
/// let set: RoleSet<Role> = [Role::Editor].into_iter().collect();
/// assert!(set.contains(Role::Editor));
/// assert!(!set.contains(Role::Admin));
/// assert_eq!(set.names().collect::<Vec<_>>(), ["editor"]);
/// ```
pub struct RoleSet<R> {
    bits: u128,
    _roles: PhantomData<fn() -> R>,
}

impl<R> Clone for RoleSet<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for RoleSet<R> {}
impl<R> PartialEq for RoleSet<R> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<R> Eq for RoleSet<R> {}

impl<R: Roles> RoleSet<R> {
    /// The empty set.
    pub const fn empty() -> Self {
        Self::from_bits(0)
    }

    pub(crate) const fn from_bits(bits: u128) -> Self {
        Self { bits, _roles: PhantomData }
    }

    pub(crate) fn insert_name(&mut self, name: &str) {
        if let Some(i) = R::index_of(name) {
            self.bits |= bit(i);
        }
    }

    /// Adds a role.
    #[allow(clippy::needless_pass_by_value)] // a role is a fieldless enum: passed like an integer
    pub fn insert(&mut self, role: R) {
        self.bits |= bit(role.index());
    }

    /// Whether the set holds `role`.
    #[allow(clippy::needless_pass_by_value)] // a role is a fieldless enum: passed like an integer
    pub fn contains(&self, role: R) -> bool {
        self.bits & bit(role.index()) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The number of roles in the set.
    pub fn len(&self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The roles in the set, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = R> + '_ {
        (0..R::NAMES.len()).filter(move |i| self.bits & bit(*i) != 0).filter_map(R::from_index)
    }

    /// The role strings in the set, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        R::NAMES.iter().enumerate().filter(move |(i, _)| self.bits & bit(*i) != 0).map(|(_, n)| *n)
    }

    pub(crate) const fn bits(&self) -> u128 {
        self.bits
    }
}

impl<R: Roles> FromIterator<R> for RoleSet<R> {
    fn from_iter<I: IntoIterator<Item = R>>(iter: I) -> Self {
        let mut set = Self::empty();
        for r in iter {
            set.insert(r);
        }
        set
    }
}

impl<R: Roles> fmt::Debug for RoleSet<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// The roles a check required, as reported by
/// [`Error::MissingRole`](crate::Error::MissingRole).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequiredRoles(RequiredNames);

impl RequiredRoles {
    pub(crate) fn new<R: Roles>(mask: u128, mode: Mode) -> Self {
        Self(RequiredNames::new(R::NAMES, mask, mode))
    }

    /// The required role strings, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter()
    }

    /// Whether every role was required or any one of them.
    pub fn mode(&self) -> Mode {
        self.0.mode()
    }
}

impl fmt::Display for RequiredRoles {
    /// The roles separated by `, `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, ", ")
    }
}

impl fmt::Debug for RequiredRoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f, "RequiredRoles", "roles")
    }
}

/// A type that stands for one declared role, generated by `#[derive(Roles)]`.
///
/// For `enum Role` the derive generates a module `role_role` (rename it with
/// `#[roles(module = name)]`) holding one uninhabited type per variant:
/// `role_role::Admin`. They are used as type parameters of
/// [`Granted`](crate::Granted) role proofs. Only the derive implements this
/// trait.
pub trait RoleMarker: DerivedRoleMarker + 'static {
    /// The roles enum this marker belongs to.
    type Set: Roles;
    /// The role's index in `Set::NAMES`.
    const INDEX: usize;
    /// The variant this marker stands for.
    const ROLE: Self::Set;
}

/// Implemented by `#[derive(Roles)]` alone: it seals [`RoleMarker`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a role marker generated by `#[derive(Roles)]`",
    note = "role markers are the types `#[derive(Roles)]` generates in the enum's `..._role` module; they cannot be implemented by hand"
)]
pub trait DerivedRoleMarker {}

impl<M: RoleMarker> crate::Granted<'_, M> {
    /// The role this proof stands for.
    pub fn role(&self) -> <M as RoleMarker>::Set {
        M::ROLE
    }
}

/// Maps a role index to its marker type; implemented by `#[derive(Roles)]`.
#[doc(hidden)]
pub trait RoleAt<const I: usize> {
    type Marker: RoleMarker;
}

/// The marker of the role at index `I` of `R`.
#[doc(hidden)]
pub type RoleMarkerAt<R, const I: usize> = <R as RoleAt<I>>::Marker;
