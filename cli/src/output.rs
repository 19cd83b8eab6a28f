//! What both commands print: styles, the kind of a token in words, JSON.

use anstyle::{AnsiColor, Style};
use serde_json::{Value, json};
use tokenkind::Profile;
use tokenkind::verify::{Classification, TokenKind};

pub(crate) const BOLD: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const GOOD: Style = AnsiColor::Green.on_default();
pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();

/// The version of the JSON documents: a field removed or changed in meaning
/// raises it; fields may be added without.
pub(crate) const JSON_VERSION: u32 = 1;

/// `text` in `style` (the escapes are removed when the output is not coloured).
pub(crate) fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Writes to standard output, with colours only where `--color` and the
/// terminal allow them (`NO_COLOR` turns them off).
pub(crate) fn print(text: &str) {
    use std::io::Write as _;
    let mut out = anstream::stdout();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A JSON document on standard output, never coloured.
pub(crate) fn print_json(document: &Value) {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(document).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// A provider's name as people write it.
pub(crate) fn provider(profile: Profile) -> &'static str {
    match profile {
        Profile::Rfc9068 => "RFC 9068",
        Profile::Auth0 => "Auth0",
        Profile::Keycloak => "Keycloak",
        Profile::Okta => "Okta",
        Profile::EntraId => "Entra ID",
        Profile::Cognito => "Amazon Cognito",
        _ => profile.name(),
    }
}

/// The kind of a token, in words.
pub(crate) fn kind_name(c: &Classification) -> String {
    match (c.kind, c.profile) {
        (TokenKind::IdToken, None) => "OpenID Connect ID token".to_owned(),
        (TokenKind::IdToken, Some(p)) => format!("OpenID Connect ID token, by {}'s rule", provider(p)),
        (TokenKind::AccessToken, Some(Profile::Rfc9068)) => "OAuth 2.0 access token (RFC 9068)".to_owned(),
        (TokenKind::AccessToken, Some(p)) => format!("OAuth 2.0 access token, shaped by {}", provider(p)),
        (TokenKind::AccessToken, None) => "OAuth 2.0 access token".to_owned(),
        (TokenKind::LogoutToken, _) => "Back-Channel Logout token".to_owned(),
        (TokenKind::SecurityEventToken, _) => "Security Event Token (RFC 8417)".to_owned(),
        (TokenKind::DpopProof, _) => "DPoP proof (RFC 9449)".to_owned(),
        _ => "unknown kind of JWT".to_owned(),
    }
}

/// What a person should know about a token of this kind, if anything.
pub(crate) fn kind_hint(kind: TokenKind) -> Option<&'static str> {
    match kind {
        TokenKind::IdToken => Some(
            "An ID token proves who logged in to a client application. It is not meant for an API and carries no \
             scopes: an API must refuse it. Call APIs with an access token.",
        ),
        TokenKind::LogoutToken | TokenKind::SecurityEventToken => {
            Some("It reports an event to a client. It is never a credential.")
        }
        TokenKind::DpopProof => Some(
            "It goes in the DPoP header with a DPoP-bound access token, to prove possession of the key. It is not \
             an access token.",
        ),
        _ => None,
    }
}

/// A stable identifier of a kind, for JSON.
fn kind_id(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::IdToken => "id_token",
        TokenKind::AccessToken => "access_token",
        TokenKind::LogoutToken => "logout_token",
        TokenKind::SecurityEventToken => "security_event_token",
        TokenKind::DpopProof => "dpop_proof",
        _ => "unknown",
    }
}

pub(crate) fn kind_json(c: &Classification) -> Value {
    json!({
        "kind": kind_id(c.kind),
        "description": kind_name(c),
        "profile": c.profile.map(Profile::name),
        "reason": c.reason,
    })
}
