//! One HTTP GET with the fetch rules: https (or loopback) only, no redirects
//! unless allowed, connect and total timeouts, a response size limit,
//! conditional requests, and the response's freshness.

use core::time::Duration;
use std::net::IpAddr;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};

use super::RemoteError;

/// The largest response body read: 1 MiB.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// How many redirects are followed when following is allowed.
const MAX_REDIRECTS: usize = 5;

/// The validators of a cached response (RFC 9110 §8.8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Validators {
    pub(super) etag: Option<HeaderValue>,
    pub(super) last_modified: Option<HeaderValue>,
}

/// A response the cache can use.
pub(super) enum Fetched {
    /// 200: the body, its validators and its `max-age` (less `Age`), if any.
    Body { body: Vec<u8>, validators: Validators, max_age: Option<Duration> },
    /// 304: the cached body is still current.
    NotModified { max_age: Option<Duration> },
}

/// `https`, or `http` to a loopback host (or to any host with `allow_http`).
pub(super) fn check_url(url: &Url, allow_http: bool) -> Result<(), &'static str> {
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(url) => {}
        "http" => return Err("only https is allowed, except for loopback hosts"),
        _ => return Err("the scheme must be https"),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are refused");
    }
    Ok(())
}

/// A URL a discovery document names (`jwks_uri`, `introspection_endpoint`):
/// as [`check_url`], and never a downgrade from the issuer's scheme. The
/// keys or answers of an `https` issuer come over `https` too, even from a
/// loopback host and even with `allow_http`: over plain HTTP anyone on the
/// path could replace them, undoing the TLS that protected the discovery
/// document.
pub(super) fn check_metadata_url(issuer: &Url, url: &Url, allow_http: bool) -> Result<(), &'static str> {
    if issuer.scheme() == "https" && url.scheme() != "https" {
        return Err("the issuer uses https, so this URL must use https too");
    }
    check_url(url, allow_http)
}

/// OpenID Connect Discovery 1.0 §4, then RFC 8414 §3 when the first URL
/// answers 404: the first metadata document found, and the URL it came
/// from. `on_request` runs before each request (for counters).
pub(super) async fn metadata_document<'u>(
    client: &reqwest::Client,
    urls: &'u [Url; 2],
    mut on_request: impl FnMut(),
) -> Result<(&'u Url, Vec<u8>), RemoteError> {
    let mut last = RemoteError::Cancelled;
    for url in urls {
        on_request();
        match get(client, url, "application/json", None).await {
            Ok(Fetched::Body { body, .. }) => return Ok((url, body)),
            Ok(Fetched::NotModified { .. }) => return Err(RemoteError::Status { status: 304 }),
            Err(e @ RemoteError::Status { status: 404 }) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

pub(super) fn parse_url(url: &str, allow_http: bool) -> Result<Url, crate::ConfigError> {
    let parsed =
        Url::parse(url).map_err(|_| crate::ConfigError::Url { url: url.to_owned(), reason: "not a valid URL" })?;
    check_url(&parsed, allow_http).map_err(|reason| crate::ConfigError::Url { url: url.to_owned(), reason })?;
    Ok(parsed)
}

/// Whether a redirect chain that passed through https goes on over plain
/// http: never followed, even on loopback (the same rule as for a
/// discovered `jwks_uri`).
fn is_downgrade(previous: &[Url], next: &Url) -> bool {
    next.scheme() != "https" && previous.iter().any(|u| u.scheme() == "https")
}

/// The HTTP client: no redirects (or only safe ones), timeouts, no cookies.
pub(super) fn client(
    connect_timeout: Duration,
    timeout: Duration,
    follow_redirects: bool,
    allow_http: bool,
) -> Result<reqwest::Client, crate::ConfigError> {
    let policy = if follow_redirects {
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if check_url(attempt.url(), allow_http).is_err() {
                attempt.error("redirect to a refused URL")
            } else if is_downgrade(attempt.previous(), attempt.url()) {
                attempt.error("redirect from https to http")
            } else {
                attempt.follow()
            }
        })
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .redirect(policy)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(concat!("tokenkind/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| crate::ConfigError::Invalid("the HTTP client could not be built (TLS setup failed)"))
}

/// GETs `url`, conditionally when `validators` are given.
pub(super) async fn get(
    client: &reqwest::Client,
    url: &Url,
    accept: &'static str,
    validators: Option<&Validators>,
) -> Result<Fetched, RemoteError> {
    let mut request = client.get(url.clone()).header(header::ACCEPT, accept);
    if let Some(v) = validators {
        if let Some(etag) = &v.etag {
            request = request.header(header::IF_NONE_MATCH, etag.clone());
        }
        if let Some(date) = &v.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date.clone());
        }
    }
    let mut response = request.send().await.map_err(|e| classify(&e))?;
    let status = response.status();
    let max_age = max_age(response.headers());
    if status == StatusCode::NOT_MODIFIED && validators.is_some() {
        return Ok(Fetched::NotModified { max_age });
    }
    if status.is_redirection() {
        return Err(RemoteError::Redirect { status: status.as_u16() });
    }
    if status != StatusCode::OK {
        return Err(RemoteError::Status { status: status.as_u16() });
    }
    let validators = Validators {
        etag: response.headers().get(header::ETAG).cloned(),
        last_modified: response.headers().get(header::LAST_MODIFIED).cloned(),
    };
    let body = read_body(&mut response).await?;
    Ok(Fetched::Body { body, validators, max_age })
}

/// The body, at most [`MAX_RESPONSE_BYTES`]: a larger one is refused
/// without reading it all.
async fn read_body(response: &mut reqwest::Response) -> Result<Vec<u8>, RemoteError> {
    if response.content_length().is_some_and(|len| len > MAX_RESPONSE_BYTES as u64) {
        return Err(RemoteError::TooLarge { limit: MAX_RESPONSE_BYTES });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
            return Err(RemoteError::TooLarge { limit: MAX_RESPONSE_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A 200 or 400 answer to a form POST: its status, `Content-Type` and body.
pub(super) struct Posted {
    pub(super) status: u16,
    pub(super) content_type: Option<HeaderValue>,
    pub(super) body: Vec<u8>,
}

/// POSTs an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, RFC
/// 7662 §2.1) with the fetch rules: only a 200 answer or a 400 (whose body
/// names the OAuth error, RFC 6749 §5.2) is read, redirects are the
/// client's policy, the body is limited to [`MAX_RESPONSE_BYTES`].
pub(super) async fn post_form(
    client: &reqwest::Client,
    url: &Url,
    accept: &'static str,
    authorization: Option<&HeaderValue>,
    form: &[(&str, &str)],
) -> Result<Posted, RemoteError> {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut request = client
        .post(url.clone())
        .header(header::ACCEPT, accept)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value.clone());
    }
    let mut response = request.send().await.map_err(|e| classify(&e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(RemoteError::Redirect { status: status.as_u16() });
    }
    if status != StatusCode::OK && status != StatusCode::BAD_REQUEST {
        return Err(RemoteError::Status { status: status.as_u16() });
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let body = read_body(&mut response).await?;
    Ok(Posted { status: status.as_u16(), content_type, body })
}

fn classify(e: &reqwest::Error) -> RemoteError {
    if e.is_timeout() {
        RemoteError::Timeout
    } else if e.is_redirect() {
        RemoteError::RedirectRefused
    } else if e.is_connect() {
        RemoteError::Connect
    } else {
        RemoteError::Transport
    }
}

/// A delta-seconds value too large to read counts as this many seconds (RFC 9111 §1.2.2).
const DELTA_SECONDS_OVERFLOW: u64 = 1 << 31;

/// RFC 9111 §1.2.2 delta-seconds: ASCII digits only; a value too large to
/// read counts as 2^31 seconds (the cache's `ttl_bounds` then apply).
fn delta_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only digits: parsing fails only on overflow.
    Some(value.parse::<u64>().unwrap_or(DELTA_SECONDS_OVERFLOW))
}

/// `Cache-Control: max-age` (RFC 9111 §5.2.2.1) less `Age` (§5.1); `no-cache`
/// and `no-store` count as zero. Several `max-age` values: the smallest.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                None => (directive, None),
            };
            let secs = if name.eq_ignore_ascii_case("max-age") {
                // An invalid value makes the response stale (RFC 9111 §4.2.1).
                arg.and_then(delta_seconds).unwrap_or(0)
            } else if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                0
            } else {
                continue;
            };
            found = Some(found.map_or(secs, |f| f.min(secs)));
        }
    }
    let age = headers.get(header::AGE).and_then(|a| a.to_str().ok()).and_then(|a| delta_seconds(a.trim()));
    found.map(|secs| Duration::from_secs(secs.saturating_sub(age.unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_redirect_never_downgrades_from_https() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(is_downgrade(&[url("https://idp.example/jwks")], &url("http://127.0.0.1/jwks")));
        assert!(is_downgrade(
            &[url("https://idp.example/a"), url("https://idp.example/b")],
            &url("http://idp.example/c")
        ));
        assert!(!is_downgrade(&[url("https://idp.example/jwks")], &url("https://keys.idp.example/jwks")));
        assert!(!is_downgrade(&[url("http://127.0.0.1/a")], &url("http://127.0.0.1/b")));
    }

    #[test]
    fn cache_control_max_age_is_read_less_age() {
        assert_eq!(max_age(&headers(&[("cache-control", "public, max-age=600")])), Some(Duration::from_secs(600)));
        assert_eq!(
            max_age(&headers(&[("cache-control", "max-age=600"), ("age", "100")])),
            Some(Duration::from_secs(500))
        );
        assert_eq!(max_age(&headers(&[("cache-control", "no-cache")])), Some(Duration::ZERO));
        assert_eq!(max_age(&headers(&[("cache-control", "max-age=60, max-age=5")])), Some(Duration::from_secs(5)));
        assert_eq!(max_age(&headers(&[("cache-control", "max-age=abc")])), Some(Duration::ZERO));
        assert_eq!(max_age(&headers(&[("cache-control", "public")])), None);
        assert_eq!(max_age(&headers(&[])), None);
    }

    #[test]
    fn a_max_age_too_large_to_read_counts_as_2_pow_31_seconds() {
        let two_31 = Some(Duration::from_secs(1 << 31));
        assert_eq!(max_age(&headers(&[("cache-control", "max-age=18446744073709551616")])), two_31);
        assert_eq!(max_age(&headers(&[("cache-control", "max-age=999999999999999999999999999999999999")])), two_31);
        assert_eq!(
            max_age(&headers(&[("cache-control", "max-age=18446744073709551615")])),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            max_age(&headers(&[("cache-control", "max-age=99999999999999999999"), ("age", "99999999999999999999")])),
            Some(Duration::ZERO)
        );
        // Not delta-seconds: the response is stale.
        for invalid in ["max-age=-1", "max-age=+5", "max-age=1e9", "max-age=", "max-age= 5 5"] {
            assert_eq!(max_age(&headers(&[("cache-control", invalid)])), Some(Duration::ZERO), "{invalid}");
        }
    }

    #[test]
    fn only_https_or_loopback_http_is_allowed() {
        let ok = |u: &str| check_url(&Url::parse(u).unwrap(), false);
        assert_eq!(ok("https://idp.example/jwks"), Ok(()));
        assert_eq!(ok("http://127.0.0.1:8080/jwks"), Ok(()));
        assert_eq!(ok("http://127.5.6.7/jwks"), Ok(()));
        assert_eq!(ok("http://[::1]:80/jwks"), Ok(()));
        assert_eq!(ok("http://localhost/jwks"), Ok(()));
        assert_eq!(ok("http://idp.example/jwks"), Err("only https is allowed, except for loopback hosts"));
        assert_eq!(ok("http://10.0.0.1/jwks"), Err("only https is allowed, except for loopback hosts"));
        assert_eq!(ok("ftp://idp.example/jwks"), Err("the scheme must be https"));
        assert_eq!(ok("file:///etc/passwd"), Err("the scheme must be https"));
        assert_eq!(ok("https://user:pw@idp.example/jwks"), Err("credentials in the URL are refused"));
        assert_eq!(check_url(&Url::parse("http://idp.internal/jwks").unwrap(), true), Ok(()));
    }

    #[test]
    fn an_https_issuer_keeps_https_for_its_jwks_uri() {
        let check = |issuer: &str, jwks: &str, allow_http| {
            check_metadata_url(&Url::parse(issuer).unwrap(), &Url::parse(jwks).unwrap(), allow_http)
        };
        let downgrade = Err("the issuer uses https, so this URL must use https too");
        assert_eq!(check("https://idp.example", "http://idp.example/jwks", false), downgrade);
        assert_eq!(check("https://127.0.0.1:8443", "http://127.0.0.1:8080/jwks", false), downgrade);
        assert_eq!(check("https://localhost", "http://localhost/jwks", false), downgrade);
        assert_eq!(check("https://[::1]", "http://[::1]/jwks", false), downgrade);
        assert_eq!(check("https://idp.example", "http://idp.example/jwks", true), downgrade);
        assert_eq!(check("https://idp.example", "ftp://idp.example/jwks", false), downgrade);
        assert_eq!(check("https://idp.example", "https://keys.idp.example/jwks", false), Ok(()));
        assert_eq!(check("https://127.0.0.1", "https://127.0.0.1/jwks", false), Ok(()));
        // An http issuer (loopback, or allowed) may keep http; an upgrade is fine.
        assert_eq!(check("http://127.0.0.1:8080", "http://127.0.0.1:8080/jwks", false), Ok(()));
        assert_eq!(check("http://127.0.0.1:8080", "https://idp.example/jwks", false), Ok(()));
        assert_eq!(check("http://idp.internal", "http://idp.internal/jwks", true), Ok(()));
        // The other rules still apply.
        assert_eq!(
            check("http://127.0.0.1:8080", "http://idp.example/jwks", false),
            Err("only https is allowed, except for loopback hosts")
        );
        assert_eq!(
            check("https://idp.example", "https://u:p@idp.example/jwks", false),
            Err("credentials in the URL are refused")
        );
    }
}
