//! `tokenkind inspect`: a token decoded, never verified, and told apart.

use core::fmt::Write as _;

use serde_json::{Map, Value, json};
use tokenkind::verify::Classification;

use crate::Status;
use crate::args::{InspectArgs, read_token};
use crate::decode::Decoded;
use crate::output::{self, BAD, BOLD, DIM, GOOD, WARN, paint};
use crate::time;

/// The first line, always: nothing below is trusted.
const UNVERIFIED: &str = "Decoded WITHOUT verifying the signature: anyone can write these claims. \
                          `tokenkind verify` checks them.";

/// Claims the summary shows on their own lines.
const SHOWN: [&str; 15] = [
    "iss",
    "sub",
    "aud",
    "client_id",
    "azp",
    "cid",
    "scope",
    "scp",
    "cnf",
    "jti",
    "iat",
    "nbf",
    "exp",
    "auth_time",
    "nonce",
];

/// Claims that hold what the *user* may do (never the client's scopes).
const ROLE_CLAIMS: [&str; 5] = ["roles", "groups", "permissions", "entitlements", "cognito:groups"];

/// Header parameters that name or carry a key; verifiers never use them.
const KEY_HEADERS: [&str; 4] = ["jku", "x5u", "jwk", "x5c"];

pub(crate) fn run(args: &InspectArgs, now: i64) -> Status {
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err((status, message)) => return fail(args.json, status, &message),
    };
    match Decoded::new(&token) {
        Ok(decoded) => {
            let summary = Summary::new(&decoded, now);
            if args.json {
                output::print_json(&summary.json(&decoded, now));
            } else {
                output::print(&summary.human());
            }
            Status::Ok
        }
        Err(reason) => fail(args.json, Status::Refused, &format!("not a JWT: {reason}")),
    }
}

fn fail(json: bool, status: Status, message: &str) -> Status {
    if json {
        output::print_json(&json!({
            "tokenkind": output::JSON_VERSION,
            "command": "inspect",
            "decoded": false,
            "error": message,
        }));
    } else {
        anstream::eprintln!("{}: {message}", paint(BAD, "error"));
    }
    status
}

/// What the summary says, shared by the text and the JSON.
struct Summary {
    kind: Result<Classification, tokenkind::Error>,
    header: Vec<(String, String)>,
    key_headers: Vec<&'static str>,
    issuer: Option<String>,
    subject: Option<String>,
    audiences: Vec<String>,
    clients: Vec<(&'static str, String)>,
    scopes: Vec<(&'static str, Vec<String>)>,
    roles: Vec<(String, Vec<String>)>,
    binding: Option<(&'static str, Value)>,
    jwt_id: Option<String>,
    nonce: bool,
    times: Vec<Time>,
    others: Vec<(String, String)>,
    signature_len: usize,
}

struct Time {
    label: &'static str,
    claim: &'static str,
    value: Value,
    /// The NumericDate, when the value is one.
    at: Option<i64>,
    now: i64,
}

impl Summary {
    fn new(d: &Decoded, now: i64) -> Self {
        let c = &d.claims;
        let header = d
            .header
            .iter()
            .filter(|(k, _)| !KEY_HEADERS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), value_text(v)))
            .collect();
        let key_headers = KEY_HEADERS.into_iter().filter(|k| d.header.contains_key(*k)).collect();
        let clients = ["client_id", "azp", "cid"]
            .into_iter()
            .filter_map(|claim| c.get(claim).map(|v| (claim, value_text(v))))
            .collect();
        let scopes = ["scope", "scp"].into_iter().filter_map(|claim| c.get(claim).map(|v| (claim, words(v)))).collect();
        let times = [("Issued at", "iat"), ("Not before", "nbf"), ("Expires", "exp"), ("Authenticated", "auth_time")]
            .into_iter()
            .filter_map(|(label, claim)| {
                let value = c.get(claim)?.clone();
                let at = numeric_date(&value);
                Some(Time { label, claim, value, at, now })
            })
            .collect();
        let mut others: Vec<(String, String)> = c
            .iter()
            .filter(|(k, _)| !SHOWN.contains(&k.as_str()) && !is_role_claim(k))
            .map(|(k, v)| (k.clone(), shorten(&v.to_string())))
            .collect();
        others.sort();
        Self {
            kind: d.classify(),
            header,
            key_headers,
            issuer: c.get("iss").map(value_text),
            subject: c.get("sub").map(value_text),
            audiences: c.get("aud").map(words).unwrap_or_default(),
            clients,
            scopes,
            roles: roles(c),
            binding: c.get("cnf").map(|cnf| (binding_kind(cnf), cnf.clone())),
            jwt_id: c.get("jti").map(value_text),
            nonce: c.contains_key("nonce"),
            times,
            others,
            signature_len: d.signature_len,
        }
    }

    fn human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", paint(WARN, UNVERIFIED));
        let mut line = |label: &str, text: &str| {
            let _ = writeln!(out, "{} {text}", paint(BOLD, &format!("{label:<13}")));
        };
        match &self.kind {
            Ok(kind) => {
                let style = match kind.kind {
                    tokenkind::verify::TokenKind::AccessToken => GOOD,
                    _ => WARN,
                };
                line("Kind", &paint(style, &output::kind_name(kind)));
                line("", &format!("because {}", kind.reason));
                if let Some(hint) = output::kind_hint(kind.kind) {
                    line("", &paint(DIM, hint));
                }
            }
            Err(e) => {
                line("Kind", &paint(BAD, "unknown: every verifier refuses it"));
                line("", &format!("because {e}"));
            }
        }
        let header: Vec<String> = self.header.iter().map(|(k, v)| format!("{k} {v}")).collect();
        line("Header", &header.join(", "));
        if !self.key_headers.is_empty() {
            let names = self.key_headers.join(", ");
            line("", &paint(DIM, &format!("{names}: never used to find a key (keys come from the issuer's JWKS)")));
        }
        line("Issuer", &or_none(self.issuer.as_deref()));
        line("Subject", &or_none(self.subject.as_deref()));
        line(if self.audiences.len() > 1 { "Audiences" } else { "Audience" }, &list_or_none(&self.audiences));
        let clients: Vec<String> = self.clients.iter().map(|(claim, v)| format!("{v} ({claim})")).collect();
        line("Client", &list_or_none(&clients));
        if self.scopes.is_empty() {
            line("Scopes", "none");
        }
        for (claim, scopes) in &self.scopes {
            line("Scopes", &format!("{} ({claim}): what the client was granted", list_or_none(scopes)));
        }
        for (claim, roles) in &self.roles {
            let label = match claim.as_str() {
                "groups" => "Groups",
                "permissions" => "Permissions",
                "entitlements" => "Entitlements",
                _ => "Roles",
            };
            line(label, &format!("{} ({claim}): the user's, never scopes", list_or_none(roles)));
        }
        match &self.binding {
            None => line("Binding", "none: a bearer token"),
            Some((kind, cnf)) => line("Binding", &format!("{kind} (cnf {})", shorten(&cnf.to_string()))),
        }
        if let Some(jti) = &self.jwt_id {
            line("Token ID", &format!("{jti} (jti)"));
        }
        if self.nonce {
            line("Nonce", "present (nonce): only an ID token carries one");
        }
        for t in &self.times {
            line(t.label, &t.human());
        }
        if !self.others.is_empty() {
            let mut label = "Other claims";
            for (k, v) in &self.others {
                line(label, &format!("{} {v}", clean(k)));
                label = "";
            }
        }
        line("Signature", &format!("{} bytes, not shown, not verified", self.signature_len));
        out
    }

    fn json(&self, d: &Decoded, now: i64) -> Value {
        let pairs = |list: &[(&'static str, Vec<String>)]| -> Vec<Value> {
            list.iter().map(|(claim, values)| json!({"claim": claim, "values": values})).collect()
        };
        let times: Map<String, Value> = self.times.iter().map(|t| (t.claim.to_owned(), t.json())).collect();
        json!({
            "tokenkind": output::JSON_VERSION,
            "command": "inspect",
            "decoded": true,
            "verified": false,
            "kind": match &self.kind {
                Ok(kind) => output::kind_json(kind),
                Err(e) => json!({"kind": "unknown", "description": "unknown: every verifier refuses it", "profile": null, "reason": e.to_string()}),
            },
            "header": d.header,
            "claims": d.claims,
            "issuer": self.issuer,
            "subject": self.subject,
            "audiences": self.audiences,
            "clients": self.clients.iter().map(|(claim, value)| json!({"claim": claim, "value": value})).collect::<Vec<_>>(),
            "scopes": pairs(&self.scopes),
            "roles": self.roles.iter().map(|(claim, values)| json!({"claim": claim, "values": values})).collect::<Vec<_>>(),
            "binding": self.binding.as_ref().map(|(kind, cnf)| json!({"kind": kind, "cnf": cnf})),
            "times": times,
            "signature_bytes": self.signature_len,
            "now": now,
        })
    }
}

impl Time {
    fn human(&self) -> String {
        let Some(at) = self.at else {
            return format!("{} ({}): not a NumericDate", shorten(&self.value.to_string()), self.claim);
        };
        let when = time::relative(at, self.now);
        let when = match self.claim {
            "exp" if at <= self.now => paint(BAD, &format!("expired {when}")),
            "nbf" if at > self.now => paint(BAD, &format!("not valid yet, {when}")),
            _ => when,
        };
        format!("{}, {when} ({})", time::utc(at), self.claim)
    }

    fn json(&self) -> Value {
        match self.at {
            Some(at) => json!({"timestamp": at, "utc": time::utc(at), "seconds_from_now": at.saturating_sub(self.now)}),
            None => json!({"timestamp": null, "value": self.value}),
        }
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, fractions cut.
fn numeric_date(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            #[allow(clippy::cast_possible_truncation)]
            n.as_f64().filter(|f| f.is_finite() && f.abs() < 9.0e15).map(|f| f.floor() as i64)
        }),
        _ => None,
    }
}

/// What `cnf` binds the token to (RFC 7800).
fn binding_kind(cnf: &Value) -> &'static str {
    if cnf.get("jkt").is_some() {
        "DPoP-bound to a key (RFC 9449); refused as a bearer token"
    } else if cnf.get("x5t#S256").is_some() {
        "bound to a client certificate, mutual TLS (RFC 8705); refused as a bearer token"
    } else {
        "bound to a key (RFC 7800); refused as a bearer token"
    }
}

fn is_role_claim(name: &str) -> bool {
    ROLE_CLAIMS.contains(&name) || name == "realm_access" || name == "resource_access"
}

/// The user's roles, groups and permissions, by claim path.
fn roles(c: &Map<String, Value>) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> =
        ROLE_CLAIMS.iter().filter_map(|claim| c.get(*claim).map(|v| ((*claim).to_owned(), words(v)))).collect();
    if let Some(roles) = c.get("realm_access").and_then(|r| r.get("roles")) {
        found.push(("realm_access.roles".to_owned(), words(roles)));
    }
    if let Some(Value::Object(clients)) = c.get("resource_access") {
        for (client, access) in clients {
            if let Some(roles) = access.get("roles") {
                found.push((format!("resource_access.{}.roles", clean(client)), words(roles)));
            }
        }
    }
    found
}

/// A space-delimited string, or an array, as a list of words.
fn words(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s.split(' ').filter(|w| !w.is_empty()).map(clean).collect(),
        Value::Array(items) => items.iter().map(value_text).collect(),
        other => vec![shorten(&other.to_string())],
    }
}

/// A string as itself, anything else as JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        other => shorten(&other.to_string()),
    }
}

/// Token text made safe for a terminal: control characters (escape
/// sequences included) are shown escaped, never sent.
pub(crate) fn clean(s: &str) -> String {
    shorten(
        &s.chars()
            .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
            .collect::<String>(),
    )
}

/// At most 120 characters.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

fn or_none(v: Option<&str>) -> String {
    v.map_or_else(|| "none".to_owned(), ToOwned::to_owned)
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "none".to_owned() } else { v.join(", ") }
}
