//! Reading the bearer token from a request (RFC 6750 §2.1).

use core::fmt;
use std::borrow::Cow;

/// Why a request's credentials could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerError {
    /// No credentials at all: answered with 401 and no error code (RFC 6750 §3.1).
    Missing,
    /// More than one `Authorization` header.
    MultipleHeaders,
    /// The `Authorization` header uses another scheme (e.g. `Basic`, `Token`,
    /// or `DPoP` where DPoP is off).
    OtherScheme,
    /// The header says `Bearer` but the token is empty or not `b64token` syntax.
    InvalidSyntax,
    /// A token in the URL query while the header also carries one.
    MultipleMethods,
    /// A token in the URL query, which this API does not accept.
    QueryNotAllowed,
    /// The `access_token` query parameter appears more than once (RFC 6750 §2.3).
    MultipleQueryTokens,
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "no bearer token was sent",
            Self::MultipleHeaders => "the request has more than one Authorization header",
            Self::OtherScheme => "the Authorization header does not use the Bearer scheme",
            Self::InvalidSyntax => "the bearer token is empty or not valid b64token syntax",
            Self::MultipleMethods => "the token was sent both in the Authorization header and in the URL",
            Self::QueryNotAllowed => "access tokens in the URL are not accepted; send an Authorization: Bearer header",
            Self::MultipleQueryTokens => "the URL has more than one access_token parameter",
        })
    }
}

impl std::error::Error for BearerError {}

/// Parses one `Authorization` header value: `Bearer <b64token>`.
///
/// The scheme is matched case-insensitively (RFC 7235 §2.1); exactly one
/// space-run separates it from the token; the token must match
/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
/// and nothing may follow it.
///
/// ```
/// use tokenkind::http::{BearerError, parse_authorization};
/// assert_eq!(parse_authorization(b"Bearer abc.def.ghi"), Ok("abc.def.ghi"));
/// assert_eq!(parse_authorization(b"bearer abc"), Ok("abc"));
/// assert_eq!(parse_authorization(b"Basic dXNlcjpwYXNz"), Err(BearerError::OtherScheme));
/// assert_eq!(parse_authorization(b"Bearer "), Err(BearerError::InvalidSyntax));
/// assert_eq!(parse_authorization(b"Bearer a b"), Err(BearerError::InvalidSyntax));
/// ```
///
/// # Errors
/// [`BearerError::OtherScheme`] for another scheme, [`BearerError::InvalidSyntax`]
/// for a malformed token.
pub fn parse_authorization(value: &[u8]) -> Result<&str, BearerError> {
    match parse_credentials(value)? {
        (Scheme::Bearer, token) => Ok(token),
        (Scheme::Dpop, _) => Err(BearerError::OtherScheme),
    }
}

/// The authentication scheme of an access token (RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
}

/// `Bearer <b64token>` or `DPoP <b64token>` (RFC 9449 §7.1 uses the same
/// token syntax); other schemes are [`BearerError::OtherScheme`].
pub(crate) fn parse_credentials(value: &[u8]) -> Result<(Scheme, &str), BearerError> {
    let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, &value[value.len()..]),
    };
    let scheme = if scheme.eq_ignore_ascii_case(b"Bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case(b"DPoP") {
        Scheme::Dpop
    } else {
        return Err(BearerError::OtherScheme);
    };
    let token = trim_spaces(rest);
    if token.is_empty() || !is_b64token(token) {
        return Err(BearerError::InvalidSyntax);
    }
    // b64token is ASCII, so this cannot fail; no panic path either way.
    core::str::from_utf8(token).map(|t| (scheme, t)).map_err(|_| BearerError::InvalidSyntax)
}

fn trim_spaces(mut b: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' '] = b {
        b = rest;
    }
    b
}

/// RFC 6750 §2.1 `b64token`.
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    body_len > 0
        && token[..body_len]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

/// Finds the one access token of a request (RFC 6750 §2, RFC 9449 §7.1):
/// the `Authorization` header (`Bearer`, or `DPoP` when `dpop` is on), or,
/// only when `allow_query` is set, the `access_token` query parameter (a
/// bearer token); never two.
///
/// A credential under another scheme counts as no credentials (401),
/// unless it is JWT-shaped (`Token eyJ…`, `JWT eyJ…`), which is a malformed
/// request (400): the client meant to send a token.
pub(crate) fn find_credentials<'a>(
    mut authorization: impl Iterator<Item = &'a [u8]>,
    query: Option<&'a str>,
    allow_query: bool,
    dpop: bool,
) -> Result<(Scheme, Cow<'a, str>), BearerError> {
    let first = authorization.next();
    if first.is_some() && authorization.next().is_some() {
        return Err(BearerError::MultipleHeaders);
    }
    let in_query = match query {
        Some(query) => query_token(query)?,
        None => None,
    };
    let header_token = match first.map(parse_credentials) {
        None => None,
        Some(Ok((Scheme::Dpop, _))) if !dpop => {
            if first.is_some_and(looks_like_jwt_credential) {
                return Err(BearerError::OtherScheme);
            }
            None
        }
        Some(Ok(found)) => Some(found),
        Some(Err(BearerError::OtherScheme)) => {
            if first.is_some_and(looks_like_jwt_credential) {
                return Err(BearerError::OtherScheme);
            }
            None
        }
        Some(Err(e)) => return Err(e),
    };
    match (header_token, in_query) {
        (Some(_), Some(_)) => Err(BearerError::MultipleMethods),
        (Some((scheme, t)), None) => Ok((scheme, Cow::Borrowed(t))),
        (None, Some(_)) if !allow_query => Err(BearerError::QueryNotAllowed),
        (None, Some(t)) if parse_query_value(&t) => Ok((Scheme::Bearer, Cow::Owned(t.into_owned()))),
        (None, Some(_)) => Err(BearerError::InvalidSyntax),
        (None, None) => Err(BearerError::Missing),
    }
}

/// [`find_credentials`] for bearer tokens only.
#[cfg(test)]
fn find_token<'a>(
    authorization: impl Iterator<Item = &'a [u8]>,
    query: Option<&'a str>,
    allow_query: bool,
) -> Result<Cow<'a, str>, BearerError> {
    find_credentials(authorization, query, allow_query, false).map(|(_, t)| t)
}

/// The `access_token` query parameter; present twice, the request is
/// ambiguous and refused (RFC 6750 §2.3), never resolved by taking one.
fn query_token(query: &str) -> Result<Option<Cow<'_, str>>, BearerError> {
    let mut found = form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == "access_token").map(|(_, v)| v);
    let first = found.next();
    if first.is_some() && found.next().is_some() {
        return Err(BearerError::MultipleQueryTokens);
    }
    Ok(first)
}

fn parse_query_value(v: &str) -> bool {
    parse_authorization(format!("Bearer {v}").as_bytes()).is_ok()
}

/// `<scheme> <three base64url segments>`.
fn looks_like_jwt_credential(value: &[u8]) -> bool {
    let Some(i) = value.iter().position(|b| *b == b' ') else { return false };
    let cred = value[i..].trim_ascii();
    cred.split(|b| *b == b'.').count() == 3
        && cred.len() > 20
        && cred.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64token_syntax() {
        for ok in ["a", "a.b.c", "Zz09-._~+/", "abc==", "x="] {
            assert_eq!(parse_authorization(format!("Bearer {ok}").as_bytes()), Ok(ok), "{ok}");
        }
        for bad in ["=", "==", "a=b", "a,b", "a\tb", "a\u{e9}", "\"a\"", "a b"] {
            assert_eq!(
                parse_authorization(format!("Bearer {bad}").as_bytes()),
                Err(BearerError::InvalidSyntax),
                "{bad}"
            );
        }
    }

    #[test]
    fn scheme_is_case_insensitive_and_exact() {
        assert_eq!(parse_authorization(b"BEARER t"), Ok("t"));
        assert_eq!(parse_authorization(b"Bearer   t  "), Ok("t"));
        assert_eq!(parse_authorization(b"Bearerx t"), Err(BearerError::OtherScheme));
        assert_eq!(parse_authorization(b"Bearer"), Err(BearerError::InvalidSyntax));
        assert_eq!(parse_authorization(b""), Err(BearerError::OtherScheme));
        assert_eq!(parse_authorization(b"DPoP t"), Err(BearerError::OtherScheme));
        assert_eq!(parse_authorization(b"Bearer t\xff"), Err(BearerError::InvalidSyntax));
    }

    fn find<'a>(headers: &[&'a str], query: Option<&'a str>, allow: bool) -> Result<Cow<'a, str>, BearerError> {
        find_token(headers.iter().map(|h| h.as_bytes()), query, allow)
    }

    #[test]
    fn one_header_one_token() {
        assert_eq!(find(&["Bearer abc"], None, false).unwrap(), "abc");
        assert_eq!(find(&[], None, false), Err(BearerError::Missing));
        assert_eq!(find(&["Bearer a", "Bearer b"], None, false), Err(BearerError::MultipleHeaders));
        assert_eq!(find(&["Basic dXNlcjpwYXNz"], None, false), Err(BearerError::Missing));
        assert_eq!(find(&["Token eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"], None, false), Err(BearerError::OtherScheme));
    }

    #[test]
    fn query_tokens_only_when_allowed_and_never_both() {
        assert_eq!(find(&[], Some("x=1&access_token=abc"), false), Err(BearerError::QueryNotAllowed));
        assert_eq!(find(&[], Some("access_token=a%2Bb"), true).unwrap(), "a+b");
        assert_eq!(find(&["Bearer abc"], Some("access_token=abc"), true), Err(BearerError::MultipleMethods));
        assert_eq!(find(&["Bearer abc"], Some("access_token=abc"), false), Err(BearerError::MultipleMethods));
        assert_eq!(find(&[], Some("access_token=a%20b"), true), Err(BearerError::InvalidSyntax));
        assert_eq!(find(&["Bearer abc"], Some("other=1"), false).unwrap(), "abc");
    }

    #[test]
    fn a_repeated_query_token_is_refused() {
        let twice = Some("access_token=abc&x=1&access_token=def");
        assert_eq!(find(&[], twice, true), Err(BearerError::MultipleQueryTokens));
        assert_eq!(find(&[], Some("access_token=abc&access_token=abc"), true), Err(BearerError::MultipleQueryTokens));
        assert_eq!(find(&[], twice, false), Err(BearerError::MultipleQueryTokens));
        assert_eq!(find(&["Bearer abc"], twice, true), Err(BearerError::MultipleQueryTokens));
    }
}
