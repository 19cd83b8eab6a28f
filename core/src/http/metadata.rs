//! OAuth 2.0 Protected Resource Metadata (RFC 9728), generated from what the
//! resource server enforces, so that what an API advertises cannot drift
//! from what it checks.

use std::sync::Arc;

use super::dpop::{DpopMode, DpopPolicy, normalize_uri};
use crate::error::ConfigError;

/// The well-known path segment of RFC 9728 §3.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The parts of a protected-resource metadata document that the code cannot
/// know, for [`ResourceServerBuilder::protected_resource_metadata`]: the
/// human-readable fields of RFC 9728 §2, and whether the TLS layer in front
/// of the API authenticates client certificates.
///
/// Everything else in the document comes from the resource server itself:
/// `resource` is the verifier's audience, `authorization_servers` its
/// issuer, `scopes_supported` every scope the `#[derive(Scopes)]` enum
/// declares, and the bearer and DPoP members the server's policy.
///
/// ```
/// use tokenkind::http::ResourceMetadata;
///
/// let metadata = ResourceMetadata::new()
///     .resource_name("Messages API")
///     .resource_documentation("https://api.example/docs");
/// # let _ = metadata;
/// ```
///
/// [`ResourceServerBuilder::protected_resource_metadata`]: super::ResourceServerBuilder::protected_resource_metadata
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ResourceMetadata {
    name: Option<String>,
    documentation: Option<String>,
    certificate_bound: bool,
}

impl ResourceMetadata {
    /// No human-readable fields; certificate-bound tokens not advertised.
    pub fn new() -> Self {
        Self::default()
    }

    /// `resource_name`: the API's name, for people.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `resource_documentation`: a URL of documentation for developers.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// `tls_client_certificate_bound_access_tokens: true` (RFC 8705): say
    /// so only when the TLS layer in front of the API asks clients for
    /// certificates and hands them to the pipeline as
    /// [`ClientCertificate`](super::ClientCertificate)s; the resource server
    /// cannot see that configuration.
    pub fn tls_client_certificate_bound_access_tokens(mut self) -> Self {
        self.certificate_bound = true;
        self
    }
}

/// The metadata document of a resource server and where it is served
/// (RFC 9728 §3.1), from [`ResourceServer::metadata`](super::ResourceServer::metadata).
///
/// ```
/// use tokenkind::Scopes;
/// use tokenkind::http::{ResourceMetadata, ResourceServer};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
///     #[scope("write:messages")]
///     WriteMessages,
/// }
///
/// let dev = DevIssuer::new().issuer_url("https://issuer.example").api_audience("https://api.example/v1");
/// let server = ResourceServer::builder(dev.access_token_verifier::<Api>().build()?)
///     .protected_resource_metadata(ResourceMetadata::new().resource_name("Messages"))
///     .build()?;
///
/// let metadata = server.metadata().expect("configured");
/// assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/v1");
/// assert_eq!(metadata.url(), "https://api.example/.well-known/oauth-protected-resource/v1");
/// let document: serde_json::Value = serde_json::from_slice(metadata.document())?;
/// assert_eq!(document["resource"], "https://api.example/v1");
/// assert_eq!(document["authorization_servers"], serde_json::json!(["https://issuer.example"]));
/// assert_eq!(document["scopes_supported"], serde_json::json!(["read:messages", "write:messages"]));
/// assert_eq!(document["bearer_methods_supported"], serde_json::json!(["header"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    path: Arc<str>,
    url: Arc<str>,
    document: Arc<[u8]>,
}

impl ProtectedResourceMetadata {
    /// The path to serve the document at: `/.well-known/oauth-protected-resource`
    /// followed by the resource identifier's path, if it has one (RFC 9728 §3.1).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The document's URL, built from the resource identifier's own origin
    /// and path: what every challenge names in `resource_metadata` (RFC 9728
    /// §5.1). A client checks that the document's `resource` is the
    /// identifier this URL was built from (§3.3), so neither the origin the
    /// API is served at nor a gateway's changes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The document, JSON (`application/json`).
    pub fn document(&self) -> &[u8] {
        &self.document
    }

    /// The `Content-Type` to serve the document with.
    pub const CONTENT_TYPE: &'static str = "application/json";
}

/// What the document is generated from.
pub(crate) struct Enforced<'a> {
    pub(crate) resource: &'a str,
    /// `None`: a multi-tenant issuer open to every tenant, which cannot be listed.
    pub(crate) issuers: Option<Vec<String>>,
    pub(crate) scopes: &'a [&'static str],
    pub(crate) allow_query: bool,
    pub(crate) dpop: Option<&'a DpopPolicy>,
}

/// Builds the document and its location (RFC 9728 §2, §3.1).
pub(crate) fn generate(
    enforced: &Enforced<'_>,
    config: &ResourceMetadata,
) -> Result<ProtectedResourceMetadata, ConfigError> {
    let (origin, path) = split_resource(enforced.resource)?;
    if let Some(doc) = &config.documentation {
        check_url(doc, "resource_documentation is an absolute http(s) URL")?;
    }
    let suffix = if path == "/" { "" } else { path };
    let mut document = serde_json::Map::new();
    document.insert("resource".into(), enforced.resource.into());
    if let Some(issuers) = &enforced.issuers {
        document.insert("authorization_servers".into(), serde_json::json!(issuers));
    }
    document.insert("scopes_supported".into(), serde_json::json!(enforced.scopes));
    let methods: &[&str] = if enforced.allow_query { &["header", "query"] } else { &["header"] };
    document.insert("bearer_methods_supported".into(), serde_json::json!(methods));
    if let Some(dpop) = enforced.dpop {
        let algs = dpop.algs();
        let algs: Vec<&str> = algs.split(' ').filter(|a| !a.is_empty()).collect();
        document.insert("dpop_signing_alg_values_supported".into(), serde_json::json!(algs));
        document.insert("dpop_bound_access_tokens_required".into(), (dpop.mode == DpopMode::Required).into());
    }
    if config.certificate_bound {
        document.insert("tls_client_certificate_bound_access_tokens".into(), true.into());
    }
    if let Some(name) = &config.name {
        document.insert("resource_name".into(), name.as_str().into());
    }
    if let Some(doc) = &config.documentation {
        document.insert("resource_documentation".into(), doc.as_str().into());
    }
    let bytes = serde_json::to_vec(&serde_json::Value::Object(document))
        .map_err(|_| ConfigError::Invalid("the protected resource metadata cannot be serialised"))?;
    Ok(ProtectedResourceMetadata {
        path: format!("{WELL_KNOWN}{suffix}").into(),
        url: format!("{origin}{WELL_KNOWN}{suffix}").into(),
        document: bytes.into(),
    })
}

/// A resource identifier (RFC 9728 §1.2): an `https` URL with no query or
/// fragment (`http` only on a loopback host, for local development), split
/// into its origin as written and its path.
fn split_resource(resource: &str) -> Result<(&str, &str), ConfigError> {
    let refuse = |reason| ConfigError::Url { url: resource.to_owned(), reason };
    if resource.contains(['?', '#']) {
        return Err(refuse("a resource identifier has no query or fragment (RFC 9728 §1.2)"));
    }
    check_url(resource, "a resource identifier is an https URL (RFC 9728 §1.2)")?;
    let (scheme, rest) = resource.split_once("://").ok_or_else(|| refuse("not an absolute URL"))?;
    let at = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(at);
    if !scheme.eq_ignore_ascii_case("https") && !is_loopback(authority) {
        return Err(refuse(
            "a resource identifier is an https URL (RFC 9728 §1.2); http is accepted on a loopback host only",
        ));
    }
    let origin = &resource[..scheme.len() + 3 + authority.len()];
    Ok((origin, if path.is_empty() { "/" } else { path }))
}

fn check_url(url: &str, reason: &'static str) -> Result<(), ConfigError> {
    normalize_uri(url).map(|_| ()).ok_or(ConfigError::Url { url: url.to_owned(), reason })
}

/// `localhost`, `127.0.0.0/8` or `[::1]`, with any port.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    };
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enforced(resource: &str) -> Enforced<'_> {
        Enforced {
            resource,
            issuers: Some(vec!["https://issuer.example".into()]),
            scopes: &["a", "b"],
            allow_query: false,
            dpop: None,
        }
    }

    #[test]
    fn the_metadata_path_inserts_the_well_known_segment_before_the_resource_path() {
        let m = generate(&enforced("https://api.example"), &ResourceMetadata::new()).unwrap();
        assert_eq!((m.path(), m.url()), (WELL_KNOWN, "https://api.example/.well-known/oauth-protected-resource"));
        let m = generate(&enforced("https://api.example/"), &ResourceMetadata::new()).unwrap();
        assert_eq!(m.url(), "https://api.example/.well-known/oauth-protected-resource");
        let m = generate(&enforced("https://api.example:8443/tenant/api"), &ResourceMetadata::new()).unwrap();
        assert_eq!(m.path(), "/.well-known/oauth-protected-resource/tenant/api");
        assert_eq!(m.url(), "https://api.example:8443/.well-known/oauth-protected-resource/tenant/api");
    }

    #[test]
    fn a_resource_identifier_is_an_https_url_without_query_or_fragment() {
        for bad in [
            "my-api",
            "api://7f3b",
            "http://api.example/v1",
            "https://api.example/v1?x=1",
            "https://api.example/v1#top",
            "https://user@api.example/",
            "https://",
        ] {
            assert!(
                matches!(generate(&enforced(bad), &ResourceMetadata::new()), Err(ConfigError::Url { .. })),
                "{bad}"
            );
        }
        for loopback in ["http://localhost:3000/api", "http://127.0.0.1:8080", "http://[::1]:3000/api"] {
            assert!(generate(&enforced(loopback), &ResourceMetadata::new()).is_ok(), "{loopback}");
        }
    }

    #[test]
    fn resource_documentation_must_be_a_url() {
        let config = ResourceMetadata::new().resource_documentation("see the wiki");
        assert!(matches!(
            generate(&enforced("https://api.example"), &config),
            Err(ConfigError::Url { reason: "resource_documentation is an absolute http(s) URL", .. })
        ));
    }
}
