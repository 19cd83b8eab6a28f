//! Where a verifier reads the *user's* roles, per provider profile, and the
//! shape every role claim must have.
//!
//! Roles are what the user may do (RFC 9068 §2.2.3.1); they are never read
//! as scopes, and scopes never as roles.

use core::fmt;
use std::borrow::Cow;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::payload::{NameSeed, Payload};
use super::profile::Profile;
use crate::error::Error;

/// The claim a verifier reads the user's roles from.
///
/// The default, [`RoleSource::Profile`], reads the profile's own claim:
///
/// | profile | roles from |
/// |---|---|
/// | `Rfc9068` | `roles` (RFC 9068 §2.2.3.1; `groups` and `entitlements` with [`RoleSource::claim`]) |
/// | `Auth0` | `permissions` (RBAC); a namespaced custom claim with [`RoleSource::claim`] |
/// | `Keycloak` | `realm_access.roles`; client roles with [`RoleSource::keycloak_client`] |
/// | `Okta` | `groups` |
/// | `EntraId` | `roles` of delegated tokens; none in app-only tokens, whose `roles` are the client's permissions (read as scopes) |
/// | `Cognito` | `cognito:groups` |
///
/// A role claim is an array of strings, or of SCIM-style objects with a
/// string `value` (RFC 9068 §2.2.3.1 refers to SCIM, RFC 7643 §4.1.2). An
/// absent claim means no roles; a claim of any other shape (a string, a
/// number, an object where an array belongs) refuses the token with
/// [`Error::MalformedRoleClaim`] naming it, never reads as "no roles".
///
/// ```
/// use tokenkind::{Profile, RoleSource, Roles, Scopes};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Roles)]
/// enum Role {
///     #[role("admin")]
///     Admin,
/// }
///
/// #[derive(Scopes)]
/// #[scopes(roles = Role)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # let dev = DevIssuer::new();
/// let verifier = dev
///     .access_token_verifier::<Api>()
///     .profile(Profile::Keycloak)
///     .roles_from(RoleSource::keycloak_client("messages-api"))
///     .build()?;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoleSource {
    /// The profile's own role claim (see the table above).
    #[default]
    Profile,
    /// A claim, or a path of member names into nested objects: `["groups"]`,
    /// `["https://example.com/roles"]`, `["realm_access", "roles"]`.
    Claim(Box<[Box<str>]>),
    /// Keycloak client roles: `resource_access.{client}.roles`. Realm roles
    /// are not read, so a realm role and a client role of the same name
    /// are never confused.
    KeycloakClient(Box<str>),
}

impl RoleSource {
    /// A top-level claim, taken whole as its name (an Auth0 namespaced claim
    /// such as `https://example.com/roles` holds dots and is one member).
    pub fn claim(name: impl Into<Box<str>>) -> Self {
        Self::Claim(Box::new([name.into()]))
    }

    /// A path of member names into nested objects.
    pub fn path<I: IntoIterator<Item = S>, S: Into<Box<str>>>(path: I) -> Self {
        Self::Claim(path.into_iter().map(Into::into).collect())
    }

    /// Keycloak client roles of `client`: `resource_access.{client}.roles`.
    pub fn keycloak_client(client: impl Into<Box<str>>) -> Self {
        Self::KeycloakClient(client.into())
    }

    /// The member path this source reads under `profile`, or `None` when the
    /// profile has no user roles in this token.
    fn members(&self, profile: Profile) -> Cow<'_, [&str]> {
        match self {
            Self::Profile => Cow::Borrowed(match profile {
                Profile::Rfc9068 | Profile::EntraId => &["roles"],
                Profile::Auth0 => &["permissions"],
                Profile::Keycloak => &["realm_access", "roles"],
                Profile::Okta => &["groups"],
                Profile::Cognito => &["cognito:groups"],
            }),
            Self::Claim(path) => Cow::Owned(path.iter().map(|s| &**s).collect()),
            Self::KeycloakClient(client) => Cow::Owned(vec!["resource_access", client, "roles"]),
        }
    }

    /// Checked when the verifier is built: a path needs at least one member,
    /// none of them empty.
    /// A registered claim (`scope`, `scp`, `sub`, ...) is never a role
    /// claim: the client's scopes must not be read as the user's roles.
    pub(crate) fn is_valid(&self) -> bool {
        match self {
            Self::Profile => true,
            Self::Claim(path) => {
                path.first().is_some_and(|first| !crate::claims::RESERVED.contains(&&**first))
                    && path.iter().all(|s| !s.is_empty())
            }
            Self::KeycloakClient(client) => !client.is_empty(),
        }
    }
}

const EXPECTED: &str = "an array of role names (strings, or objects with a string `value`)";
const EXPECTED_OBJECT: &str = "an object";

/// The user's role names from the role claim of `source` (RFC 9068
/// §2.2.3.1), each handed to `each`. Absent → none; malformed →
/// [`Error::MalformedRoleClaim`]. Under Entra ID an app-only token has no
/// user, so no roles (its `roles` are the client's application permissions).
pub(crate) fn user_roles(
    profile: Profile,
    source: &RoleSource,
    p: &Payload<'_>,
    app_only: bool,
    mut each: impl FnMut(&str),
) -> Result<(), Error> {
    if profile == Profile::EntraId && app_only {
        return Ok(());
    }
    let path = source.members(profile);
    let Some((first, rest)) = path.split_first() else { return Ok(()) };
    let malformed =
        |depth: usize, expected| Error::MalformedRoleClaim { claim: path[..=depth].join(".").into(), expected };
    let Some(mut raw) = p.raw(first) else { return Ok(()) };
    for (depth, name) in rest.iter().enumerate() {
        let members = object(raw).ok_or_else(|| malformed(depth, EXPECTED_OBJECT))?;
        match members.into_iter().find(|(k, _)| k == name) {
            Some((_, v)) => raw = v.get(),
            None => return Ok(()),
        }
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw).map_err(|_| malformed(rest.len(), EXPECTED))?;
    for item in items {
        let name = role_name(item).ok_or_else(|| malformed(rest.len(), EXPECTED))?;
        each(&name);
    }
    Ok(())
}

/// A role entry: a string, or an object whose `value` is a string (SCIM).
fn role_name(item: &RawValue) -> Option<Cow<'_, str>> {
    if let Ok(s) = serde_json::from_str::<Cow<'_, str>>(item.get()) {
        return Some(s);
    }
    let members = object(item.get())?;
    let (_, value) = members.into_iter().find(|(k, _)| k == "value")?;
    serde_json::from_str::<Cow<'_, str>>(value.get()).ok()
}

/// The members of a JSON object, or `None` for anything else, including an
/// object holding a member twice (a reader and the verifier must never
/// disagree on its value).
fn object(raw: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let members = de.deserialize_map(Members).ok()?;
    let duplicate = members.iter().enumerate().any(|(i, (k, _))| members[..i].iter().any(|(j, _)| j == k));
    (!duplicate).then_some(members)
}

struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key_seed(NameSeed)? {
            out.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(out)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom("not an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(profile: Profile, source: &RoleSource, json: &str, app_only: bool) -> Result<Vec<String>, Error> {
        let p = Payload::parse(json.as_bytes()).unwrap();
        let mut out = Vec::new();
        user_roles(profile, source, &p, app_only, |r| out.push(r.to_owned()))?;
        Ok(out)
    }

    fn malformed(claim: &str) -> Error {
        Error::MalformedRoleClaim { claim: claim.into(), expected: EXPECTED }
    }

    #[test]
    fn user_roles_of_each_profile_come_from_its_own_claim() {
        let all = r#"{"roles":["r"],"permissions":["p"],"groups":["g"],"cognito:groups":["c"],
            "realm_access":{"roles":["realm"]},"resource_access":{"api":{"roles":["client"]}}}"#;
        let profile = |p| roles(p, &RoleSource::Profile, all, false).unwrap();
        assert_eq!(profile(Profile::Rfc9068), ["r"]);
        assert_eq!(profile(Profile::Auth0), ["p"]);
        assert_eq!(profile(Profile::Keycloak), ["realm"]);
        assert_eq!(profile(Profile::Okta), ["g"]);
        assert_eq!(profile(Profile::EntraId), ["r"]);
        assert_eq!(profile(Profile::Cognito), ["c"]);
        let client = roles(Profile::Keycloak, &RoleSource::keycloak_client("api"), all, false).unwrap();
        assert_eq!(client, ["client"]);
        assert_eq!(roles(Profile::Rfc9068, &RoleSource::claim("groups"), all, false).unwrap(), ["g"]);
    }

    #[test]
    fn user_roles_accept_scim_objects_with_a_string_value() {
        let json = r#"{"entitlements":[{"value":"admin","display":"Admin"},"editor"]}"#;
        assert_eq!(
            roles(Profile::Rfc9068, &RoleSource::claim("entitlements"), json, false).unwrap(),
            ["admin", "editor"]
        );
        let no_value = r#"{"entitlements":[{"display":"Admin"}]}"#;
        assert_eq!(
            roles(Profile::Rfc9068, &RoleSource::claim("entitlements"), no_value, false),
            Err(malformed("entitlements"))
        );
        let twice = r#"{"entitlements":[{"value":"a","value":"admin"}]}"#;
        assert_eq!(
            roles(Profile::Rfc9068, &RoleSource::claim("entitlements"), twice, false),
            Err(malformed("entitlements"))
        );
    }

    #[test]
    fn user_roles_of_a_wrong_json_type_are_malformed_never_absent() {
        let src = RoleSource::Profile;
        assert_eq!(roles(Profile::Rfc9068, &src, r#"{"roles":"admin"}"#, false), Err(malformed("roles")));
        assert_eq!(roles(Profile::Rfc9068, &src, r#"{"roles":[1]}"#, false), Err(malformed("roles")));
        assert_eq!(roles(Profile::Rfc9068, &src, r#"{"roles":null}"#, false), Err(malformed("roles")));
        assert_eq!(
            roles(Profile::Keycloak, &src, r#"{"realm_access":{"roles":"admin"}}"#, false),
            Err(malformed("realm_access.roles"))
        );
        assert_eq!(
            roles(Profile::Keycloak, &src, r#"{"realm_access":["admin"]}"#, false),
            Err(Error::MalformedRoleClaim { claim: "realm_access".into(), expected: EXPECTED_OBJECT })
        );
        assert_eq!(
            roles(Profile::Keycloak, &src, r#"{"realm_access":{"roles":[],"roles":["admin"]}}"#, false),
            Err(Error::MalformedRoleClaim { claim: "realm_access".into(), expected: EXPECTED_OBJECT })
        );
    }

    #[test]
    fn user_roles_absent_anywhere_on_the_path_are_none() {
        let src = RoleSource::keycloak_client("api");
        assert_eq!(roles(Profile::Keycloak, &src, "{}", false).unwrap(), Vec::<String>::new());
        assert_eq!(
            roles(Profile::Keycloak, &src, r#"{"resource_access":{"other":{"roles":["admin"]}}}"#, false).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            roles(Profile::Keycloak, &src, r#"{"realm_access":{"roles":["admin"]}}"#, false).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn user_roles_of_an_entra_app_only_token_are_none() {
        let json = r#"{"roles":["Messages.Delete"]}"#;
        assert_eq!(roles(Profile::EntraId, &RoleSource::Profile, json, true).unwrap(), Vec::<String>::new());
        assert_eq!(roles(Profile::EntraId, &RoleSource::Profile, json, false).unwrap(), ["Messages.Delete"]);
    }
}
