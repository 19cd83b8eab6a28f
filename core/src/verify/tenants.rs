//! Multi-tenant issuers: an issuer templated with `{tenantid}` (Entra ID
//! v2), the token's own `tid` substituted into it, a tenant allowlist, and
//! the signing key's JWKS `issuer` member.

use std::sync::Arc;

use super::payload::{Payload, Value};
use crate::error::{ConfigError, Echo, Error};

/// The Entra ID v2 issuer of every tenant: `iss` is this template with the
/// token's own `tid` in place of `{tenantid}`. Give it to a verifier builder
/// together with [`tenants`](crate::AccessTokenVerifierBuilder::tenants) or
/// [`allow_any_tenant`](crate::AccessTokenVerifierBuilder::allow_any_tenant).
///
/// ```
/// use tokenkind::verify::ENTRA_ID_V2_ISSUER;
/// use tokenkind::{AccessTokenVerifier, Profile, Scopes};
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
///
/// let verifier = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, "api://messages")
///     .profile(Profile::EntraId)
///     .tenants(["72f988bf-86f1-41af-91ab-2d7cd011db47"])
///     .jwks_uri("https://login.microsoftonline.com/common/discovery/v2.0/keys")
///     .build()?;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
pub const ENTRA_ID_V2_ISSUER: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

/// The tenant of personal Microsoft accounts (outlook.com, xbox.com):
/// tokens of users who signed in with a consumer account carry it in `tid`.
/// Allow it like any other tenant, by listing it.
///
/// ```
/// use tokenkind::verify::{ENTRA_ID_V2_ISSUER, MICROSOFT_ACCOUNTS_TENANT};
/// use tokenkind::{AccessTokenVerifier, Scopes};
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
/// let verifier = AccessTokenVerifier::<Api>::builder(ENTRA_ID_V2_ISSUER, "api://messages")
///     .tenants([MICROSOFT_ACCOUNTS_TENANT])
///     .jwks_uri("https://login.microsoftonline.com/common/discovery/v2.0/keys")
///     .build()?;
/// # Ok::<(), tokenkind::ConfigError>(())
/// ```
pub const MICROSOFT_ACCOUNTS_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The placeholder of a templated issuer.
pub(super) const PLACEHOLDER: &str = "{tenantid}";

/// What `tid` must be.
const TID_EXPECTED: &str = "a tenant id: a GUID such as 9188040d-6c67-4c5b-b112-36a304b66dad";

/// The tenants a templated issuer accepts, as configured on a builder.
#[derive(Clone, Default)]
pub(super) struct TenantConfig {
    listed: Option<Vec<String>>,
    any: bool,
}

impl TenantConfig {
    pub(super) fn list(&mut self, tenants: impl IntoIterator<Item = String>) {
        self.listed.get_or_insert_with(Vec::new).extend(tenants);
    }

    pub(super) fn allow_any(&mut self) {
        self.any = true;
    }

    /// The policy for `issuer`: none for an exact issuer; for a templated
    /// one, the allowlist or the explicit opt-in to every tenant.
    pub(super) fn build(self, issuer: &str) -> Result<Option<TenantPolicy>, ConfigError> {
        let templated = issuer.contains(PLACEHOLDER);
        match (templated, self.listed, self.any) {
            (false, None, false) => Ok(None),
            (false, _, _) => Err(ConfigError::Invalid(
                "`tenants` and `allow_any_tenant` apply to an issuer templated with `{tenantid}` only",
            )),
            (true, None, false) => Err(ConfigError::Invalid(
                "an issuer templated with `{tenantid}` needs the tenants it trusts: `.tenants([...])`, or `.allow_any_tenant()` to trust every tenant",
            )),
            (true, Some(_), true) => {
                Err(ConfigError::Invalid("`.tenants([...])` and `.allow_any_tenant()` exclude each other: choose one"))
            }
            (true, None, true) => Ok(Some(TenantPolicy::Any)),
            (true, Some(list), false) => {
                if list.is_empty() {
                    return Err(ConfigError::Empty("tenant allowlist"));
                }
                let mut ids = Vec::with_capacity(list.len());
                for tenant in list {
                    if !is_guid(&tenant) {
                        return Err(ConfigError::InvalidTenant(tenant));
                    }
                    ids.push(tenant.to_ascii_lowercase().into_boxed_str());
                }
                Ok(Some(TenantPolicy::Only(ids.into())))
            }
        }
    }
}

/// The tenants a built verifier with a templated issuer accepts.
#[derive(Clone, Debug)]
pub(super) enum TenantPolicy {
    /// These tenant ids (lowercase).
    Only(Arc<[Box<str>]>),
    /// Every tenant (`allow_any_tenant`).
    Any,
}

/// A GUID in its usual text form: 8-4-4-4-12 hexadecimal digits.
pub(super) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `tid` (Entra ID: the tenant the user signed in to) is a GUID when
/// present; any other value is malformed, never absent.
pub(super) fn token_tenant<'a>(p: &Payload<'a>) -> Result<Option<Tid<'a>>, Error> {
    match p.other("tid") {
        None => Ok(None),
        Some(Value::Str(t)) if is_guid(&t) => Ok(Some(Tid(t))),
        Some(_) => Err(Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED }),
    }
}

/// A well-formed `tid`.
pub(super) struct Tid<'p>(std::borrow::Cow<'p, str>);

impl Tid<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// `iss` must equal the template with the token's own `tid` substituted,
/// byte for byte (Entra ID, "Validate the issuer": `{tenantid}` is replaced
/// by the `tid` of the token, never by any tenant).
pub(super) fn check_templated_issuer(template: &str, iss: &str, tid: &Tid<'_>) -> Result<(), Error> {
    if substituted_equals(template, tid.as_str(), iss) {
        Ok(())
    } else {
        Err(Error::WrongIssuer { found: Echo::new(iss) })
    }
}

/// The token's tenant must be one the verifier trusts (compared without
/// regard to case, as GUIDs are), unless every tenant is allowed.
pub(super) fn check_tenant_allowed(policy: &TenantPolicy, tid: &Tid<'_>) -> Result<(), Error> {
    match policy {
        TenantPolicy::Any => Ok(()),
        TenantPolicy::Only(ids) if ids.iter().any(|id| id.eq_ignore_ascii_case(tid.as_str())) => Ok(()),
        TenantPolicy::Only(_) => Err(Error::TenantNotAllowed { tenant: Echo::new(tid.as_str()) }),
    }
}

/// A key whose JWKS entry names an `issuer` (Entra ID publishes one per
/// key, templated with `{tenantid}`) verifies only that issuer's tokens:
/// `iss` must equal it, with the token's own `tid` substituted for
/// `{tenantid}` (Entra ID, "Validate the signing key issuer"). A templated
/// key issuer and a token without `tid` never agree.
pub(super) fn check_key_issuer(key_issuer: &str, iss: &str, p: &Payload<'_>) -> Result<(), Error> {
    let agrees = if key_issuer.contains(PLACEHOLDER) {
        token_tenant(p)?.is_some_and(|tid| substituted_equals(key_issuer, tid.as_str(), iss))
    } else {
        key_issuer == iss
    };
    if agrees { Ok(()) } else { Err(Error::KeyIssuerMismatch { key_issuer: Echo::new(key_issuer) }) }
}

/// Whether `template` with every `{tenantid}` replaced by `tid` equals
/// `value`, without allocating.
fn substituted_equals(template: &str, tid: &str, value: &str) -> bool {
    let mut rest = value;
    let mut parts = template.split(PLACEHOLDER).peekable();
    while let Some(part) = parts.next() {
        let Some(after) = rest.strip_prefix(part) else { return false };
        rest = after;
        if parts.peek().is_some() {
            let Some(after) = rest.strip_prefix(tid) else { return false };
            rest = after;
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn payload(json: &str) -> Payload<'_> {
        Payload::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn is_guid_accepts_the_8_4_4_4_12_form_only() {
        assert!(is_guid(TID));
        assert!(is_guid(MICROSOFT_ACCOUNTS_TENANT));
        assert!(is_guid("72F988BF-86F1-41AF-91AB-2D7CD011DB47"));
        for bad in [
            "",
            "common",
            "organizations",
            "72f988bf86f141af91ab2d7cd011db47",
            "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db4g"));
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db47/"));
        assert!(!is_guid("72f988bf_86f1-41af-91ab-2d7cd011db47"));
    }

    #[test]
    fn token_tenant_is_a_guid_or_malformed_never_absent() {
        assert_eq!(token_tenant(&payload(&format!(r#"{{"tid":"{TID}"}}"#))).unwrap().unwrap().as_str(), TID);
        assert!(token_tenant(&payload("{}")).unwrap().is_none());
        for bad in [r#"{"tid":"common"}"#, r#"{"tid":7}"#, r#"{"tid":null}"#, r#"{"tid":["a"]}"#, r#"{"tid":""}"#] {
            assert_eq!(
                token_tenant(&payload(bad)).err(),
                Some(Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED }),
                "{bad}"
            );
        }
    }

    #[test]
    fn check_templated_issuer_substitutes_the_tokens_own_tid() {
        let tid = Tid(TID.into());
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert_eq!(check_templated_issuer(ENTRA_ID_V2_ISSUER, &iss, &tid), Ok(()));
        for wrong in [
            format!("https://login.microsoftonline.com/{MICROSOFT_ACCOUNTS_TENANT}/v2.0"),
            format!("https://login.microsoftonline.com/{TID}/v2.0/"),
            format!("https://login.microsoftonline.com/{TID}"),
            format!("https://sts.windows.net/{TID}/"),
            format!("https://login.microsoftonline.com/{}/v2.0", TID.to_uppercase()),
            ENTRA_ID_V2_ISSUER.to_owned(),
        ] {
            assert_eq!(
                check_templated_issuer(ENTRA_ID_V2_ISSUER, &wrong, &tid),
                Err(Error::WrongIssuer { found: Echo::new(&wrong) }),
                "{wrong}"
            );
        }
    }

    #[test]
    fn check_tenant_allowed_compares_guids_without_case() {
        let only = TenantPolicy::Only(vec![TID.into()].into());
        assert_eq!(check_tenant_allowed(&only, &Tid(TID.into())), Ok(()));
        assert_eq!(check_tenant_allowed(&only, &Tid(TID.to_uppercase().into())), Ok(()));
        assert_eq!(
            check_tenant_allowed(&only, &Tid(MICROSOFT_ACCOUNTS_TENANT.into())),
            Err(Error::TenantNotAllowed { tenant: Echo::new(MICROSOFT_ACCOUNTS_TENANT) })
        );
        assert_eq!(check_tenant_allowed(&TenantPolicy::Any, &Tid(MICROSOFT_ACCOUNTS_TENANT.into())), Ok(()));
    }

    #[test]
    fn check_key_issuer_substitutes_the_tokens_tid_into_a_templated_key_issuer() {
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        let with_tid = format!(r#"{{"tid":"{TID}"}}"#);
        let other_tid = format!(r#"{{"tid":"{MICROSOFT_ACCOUNTS_TENANT}"}}"#);
        let mismatch = |k: &str| Err(Error::KeyIssuerMismatch { key_issuer: Echo::new(k) });
        assert_eq!(check_key_issuer(ENTRA_ID_V2_ISSUER, &iss, &payload(&with_tid)), Ok(()));
        assert_eq!(check_key_issuer(&iss, &iss, &payload("{}")), Ok(()));
        assert_eq!(check_key_issuer(ENTRA_ID_V2_ISSUER, &iss, &payload(&other_tid)), mismatch(ENTRA_ID_V2_ISSUER));
        assert_eq!(check_key_issuer(ENTRA_ID_V2_ISSUER, &iss, &payload("{}")), mismatch(ENTRA_ID_V2_ISSUER));
        assert_eq!(check_key_issuer("https://other.example", &iss, &payload("{}")), mismatch("https://other.example"));
        assert_eq!(
            check_key_issuer(ENTRA_ID_V2_ISSUER, &iss, &payload(r#"{"tid":1}"#)),
            Err(Error::MalformedClaim { claim: "tid", expected: TID_EXPECTED })
        );
    }

    #[test]
    fn substituted_equals_handles_zero_one_and_many_placeholders() {
        assert!(substituted_equals("a", "t", "a"));
        assert!(!substituted_equals("a", "t", "ab"));
        assert!(substituted_equals("x{tenantid}y{tenantid}", "t", "xtyt"));
        assert!(!substituted_equals("x{tenantid}y{tenantid}", "t", "xtyu"));
        assert!(!substituted_equals("{tenantid}", "t", ""));
    }

    #[test]
    fn tenant_config_build_requires_an_explicit_choice_for_a_templated_issuer() {
        let build = |c: TenantConfig, issuer: &str| c.build(issuer).map(|p| p.map(|p| matches!(p, TenantPolicy::Any)));
        assert_eq!(build(TenantConfig::default(), "https://a.example"), Ok(None));
        assert!(matches!(build(TenantConfig::default(), ENTRA_ID_V2_ISSUER), Err(ConfigError::Invalid(_))));
        let mut any = TenantConfig::default();
        any.allow_any();
        assert_eq!(build(any.clone(), ENTRA_ID_V2_ISSUER), Ok(Some(true)));
        assert!(matches!(build(any.clone(), "https://a.example"), Err(ConfigError::Invalid(_))));
        let mut listed = TenantConfig::default();
        listed.list([TID.to_owned()]);
        assert_eq!(build(listed.clone(), ENTRA_ID_V2_ISSUER), Ok(Some(false)));
        let mut both = listed.clone();
        both.allow_any();
        assert!(matches!(build(both, ENTRA_ID_V2_ISSUER), Err(ConfigError::Invalid(_))));
        let mut empty = TenantConfig::default();
        empty.list([]);
        assert_eq!(build(empty, ENTRA_ID_V2_ISSUER), Err(ConfigError::Empty("tenant allowlist")));
        let mut common = TenantConfig::default();
        common.list(["common".to_owned()]);
        assert_eq!(build(common, ENTRA_ID_V2_ISSUER), Err(ConfigError::InvalidTenant("common".into())));
    }
}
