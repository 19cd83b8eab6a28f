//! The pipeline's view of an `http` crate request (axum, tower, hyper, tonic).

use http::request::Parts;

use crate::http::{ClientCertificate, HttpRequest};

/// Method, target, the scheme and `Host` it came with, the credential
/// headers, and the client certificate the TLS accept code put in the
/// extensions.
pub(crate) fn request(parts: &Parts) -> HttpRequest<'_> {
    let target = parts.uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
    let mut request = HttpRequest::new(parts.method.as_str(), target);
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    if let Some(host) = host.or_else(|| parts.uri.authority().map(http::uri::Authority::as_str)) {
        request = request.authority(parts.uri.scheme_str().unwrap_or("http"), host);
    }
    for name in [http::header::AUTHORIZATION.as_str(), "dpop"] {
        request = parts.headers.get_all(name).iter().fold(request, |r, v| r.header(name, v.as_bytes()));
    }
    // Put there by the server's TLS accept code (see `ClientCertificate`).
    if let Some(certificate) = parts.extensions.get::<ClientCertificate>() {
        request = request.client_certificate(certificate.der());
    }
    request
}

/// Every header of a refusal, appended to `headers`.
pub(crate) fn apply_headers(rejection: &crate::http::Rejection, headers: &mut http::HeaderMap) {
    for (name, value) in rejection.headers() {
        if let (Ok(name), Ok(value)) =
            (http::header::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(&value))
        {
            headers.append(name, value);
        }
    }
}
