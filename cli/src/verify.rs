//! `tokenkind verify`: the real verifier, every rule with its outcome.

use core::fmt::Write as _;

use serde_json::{Value, json};
use tokenkind::remote::RemoteKeys;
use tokenkind::verify::{Diagnosis, Outcome, Rule, TokenKind};
use tokenkind::{AccessTokenVerifier, Error, IdTokenVerifier, KeySet, NoClaims, Nonce, Scopes};

use crate::Status;
use crate::args::{VerifyArgs, read_token};
use crate::decode::Decoded;
use crate::inspect::clean;
use crate::output::{self, BAD, BOLD, DIM, GOOD, WARN, paint};
use crate::time;

/// The command declares no scope of its own: it lists the granted scopes by
/// name ([`Diagnosis::granted_scopes`]) and requires none.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Listed {
    #[scope("openid")]
    OpenId,
}

/// Where the keys came from, and how many were loaded.
struct Keys {
    set: KeySet,
    source: String,
}

pub(crate) fn run(args: &VerifyArgs, now: i64, fixed_clock: bool) -> Status {
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err((status, message)) => return usage(args.json, status, &message),
    };
    let keys = match load_keys(args) {
        Ok(keys) => keys,
        Err(message) => return usage(args.json, Status::Usage, &message),
    };
    let clock = move || now;
    let (diagnosis, settings) = if args.id_token {
        let client_id = args.client_id.as_deref().unwrap_or_default();
        let builder = IdTokenVerifier::<NoClaims>::builder(&args.issuer, client_id).keys(keys.set.clone());
        let builder = if fixed_clock { builder.clock(clock) } else { builder };
        let verifier = match builder.build() {
            Ok(v) => v,
            Err(e) => return usage(args.json, Status::Usage, &e.to_string()),
        };
        let nonce = args.nonce.as_deref().map_or(Nonce::NotRequested, Nonce::Expected);
        let settings = json!({
            "verifier": "id_token",
            "issuer": args.issuer,
            "client_id": client_id,
            "nonce": args.nonce.is_some(),
            "keys": keys.source,
        });
        (verifier.diagnose(&token, nonce), settings)
    } else {
        let profile = args.profile.unwrap_or_default();
        let audience = args.audience.as_deref().unwrap_or_default();
        let builder =
            AccessTokenVerifier::<Listed>::builder(&args.issuer, audience).keys(keys.set.clone()).profile(profile);
        let builder = if fixed_clock { builder.clock(clock) } else { builder };
        let verifier = match builder.build() {
            Ok(v) => v,
            Err(e) => return usage(args.json, Status::Usage, &e.to_string()),
        };
        let settings = json!({
            "verifier": "access_token",
            "issuer": args.issuer,
            "audience": audience,
            "profile": profile.name(),
            "keys": keys.source,
        });
        (verifier.diagnose(&token), settings)
    };
    let report = Report {
        token: &token,
        decoded: Decoded::new(&token).ok(),
        header: Decoded::header_of(&token).unwrap_or_default(),
        diagnosis: &diagnosis,
        now,
    };
    if args.json {
        output::print_json(&report.json(&settings_with(settings, &keys)));
    } else {
        output::print(&report.human(&settings, &keys));
    }
    if diagnosis.is_valid() { Status::Ok } else { Status::Refused }
}

fn settings_with(mut settings: Value, keys: &Keys) -> Value {
    settings["key_count"] = json!(keys.set.len());
    settings
}

fn usage(json: bool, status: Status, message: &str) -> Status {
    if json {
        output::print_json(&json!({
            "tokenkind": output::JSON_VERSION,
            "command": "verify",
            "valid": false,
            "error": {"rule": null, "code": null, "message": message},
        }));
    } else {
        anstream::eprintln!("{}: {message}", paint(BAD, "error"));
    }
    status
}

/// The keys the user named: a file, or one fetch from the URL or the
/// issuer's discovery document they gave. Nothing the token names is
/// ever fetched.
fn load_keys(args: &VerifyArgs) -> Result<Keys, String> {
    if let Some(path) = &args.jwks {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let set = KeySet::from_jwks(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Keys { set, source: path.display().to_string() });
    }
    let (remote, source) = match (&args.jwks_uri, args.discovery) {
        (Some(url), _) => (RemoteKeys::jwks_uri(url.as_str()).build(), url.clone()),
        (None, _) => (RemoteKeys::discover(args.issuer.as_str()).build(), format!("discovery of {}", args.issuer)),
    };
    let remote = remote.map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime for the key fetch: {e}"))?;
    runtime.block_on(remote.refresh()).map_err(|e| format!("cannot fetch the keys ({source}): {e}"))?;
    let set = remote.keys().unwrap_or_default();
    if set.is_empty() {
        return Err(format!("the keys from {source} hold no usable verification key"));
    }
    Ok(Keys { set, source })
}

struct Report<'a> {
    token: &'a str,
    decoded: Option<Decoded>,
    /// The header, even when the payload cannot be read.
    header: serde_json::Map<String, Value>,
    diagnosis: &'a Diagnosis,
    now: i64,
}

impl Report<'_> {
    fn human(&self, settings: &Value, keys: &Keys) -> String {
        let mut out = String::new();
        let s = |k: &str| settings.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let what = if s("verifier") == "id_token" {
            format!("an ID token for the client {} from {}", s("client_id"), s("issuer"))
        } else {
            format!("an access token for {} from {} (profile {})", s("audience"), s("issuer"), s("profile"))
        };
        let count = keys.set.len();
        let _ = writeln!(
            out,
            "Verifying {what}\nwith the keys of {} ({count} key{}).",
            keys.source,
            if count == 1 { "" } else { "s" }
        );
        for skipped in keys.set.skipped() {
            let kid = skipped.kid.as_deref().map_or_else(|| format!("#{}", skipped.index), clean);
            let _ = writeln!(out, "{}", paint(WARN, &format!("Key {kid} skipped: {}", skipped.reason)));
        }
        if let Some(kind) = self.decoded.as_ref().and_then(|d| d.classify().ok()) {
            let _ = writeln!(out, "The token looks like: {}, because {}.", output::kind_name(&kind), kind.reason);
        }
        out.push('\n');
        for check in self.diagnosis.checks() {
            let (mark, style) = match check.outcome() {
                Outcome::Passed => ("✓", GOOD),
                Outcome::Failed(_) => ("✗", BAD),
                _ => ("–", DIM),
            };
            let label = format!("{:<18}", check.rule().name().replace('_', " "));
            let detail = self.detail(check.rule(), check.outcome());
            let detail = if matches!(check.outcome(), Outcome::Passed | Outcome::Failed(_)) {
                detail
            } else {
                paint(DIM, &detail)
            };
            let _ = writeln!(out, "  {} {} {detail}", paint(style, mark), paint(BOLD, &label));
        }
        out.push('\n');
        if unverified_claims(self.diagnosis) {
            let _ = writeln!(
                out,
                "{}",
                paint(DIM, "The claims were checked as read from a payload whose signature did not verify.")
            );
        }
        match self.diagnosis.error() {
            None => {
                let _ = writeln!(out, "{}", paint(GOOD, "Valid: the verifier accepts this token."));
            }
            Some(e) => {
                let rule = self.diagnosis.failed_rule().map_or("", Rule::name);
                let _ = writeln!(out, "{} ({}, rule {rule}): {e}", paint(BAD, "Refused"), e.code());
                if let Some(hint) = self.hint() {
                    let _ = writeln!(out, "{hint}");
                }
            }
        }
        out
    }

    /// A hint for the headline mistakes: the wrong kind of token.
    fn hint(&self) -> Option<&'static str> {
        let kind = self.decoded.as_ref().and_then(|d| d.classify().ok())?.kind;
        match (self.diagnosis.failed_rule(), kind) {
            (
                Some(Rule::TokenKind | Rule::Audience),
                TokenKind::IdToken | TokenKind::LogoutToken | TokenKind::DpopProof,
            ) => output::kind_hint(kind),
            _ => None,
        }
    }

    fn json(&self, settings: &Value) -> Value {
        let checks: Vec<Value> = self
            .diagnosis
            .checks()
            .iter()
            .map(|c| {
                let (outcome, code) = match c.outcome() {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed(e) => ("failed", Some(e.code().as_str())),
                    Outcome::NotApplicable => ("not_applicable", None),
                    _ => ("not_reached", None),
                };
                let mut check =
                    json!({"rule": c.rule().name(), "outcome": outcome, "detail": self.detail(c.rule(), c.outcome())});
                if let Some(code) = code {
                    check["code"] = json!(code);
                }
                check
            })
            .collect();
        let error = self.diagnosis.error().map(|e| {
            json!({"rule": self.diagnosis.failed_rule().map(Rule::name), "code": e.code().as_str(), "message": e.to_string()})
        });
        json!({
            "tokenkind": output::JSON_VERSION,
            "command": "verify",
            "valid": self.diagnosis.is_valid(),
            "verifier": settings.clone(),
            "token": self.decoded.as_ref().and_then(|d| d.classify().ok()).map(|k| output::kind_json(&k)),
            "checks": checks,
            "granted_scopes": self.diagnosis.granted_scopes().collect::<Vec<_>>(),
            "error": error,
            "now": self.now,
        })
    }

    /// One line on a rule's outcome: the library's own message for a
    /// failure, what was found for a pass.
    fn detail(&self, rule: Rule, outcome: &Outcome) -> String {
        match outcome {
            Outcome::Failed(e) => return self.failure(e),
            Outcome::NotReached => return "not checked: what it needs failed above".to_owned(),
            Outcome::NotApplicable => {
                return match rule {
                    Rule::NotBefore => "no nbf",
                    Rule::Nonce => "no --nonce given",
                    Rule::MaxAge => "no max_age required",
                    Rule::CustomClaims => "no custom claims type",
                    _ => "does not apply",
                }
                .to_owned();
            }
            _ => {}
        }
        let d = self.decoded.as_ref();
        let claim = |name: &str| d.and_then(|d| d.claims.get(name)).map(value_text);
        let header = |name: &str| self.header.get(name).map(value_text);
        let time = |name: &str| {
            d.and_then(|d| d.claims.get(name))
                .and_then(Value::as_i64)
                .map_or_else(String::new, |t| format!("{} ({})", time::relative(t, self.now), time::utc(t)))
        };
        match rule {
            Rule::Length => format!("{} bytes", self.token.len()),
            Rule::Structure => "three base64url segments and a JOSE header".to_owned(),
            Rule::Algorithm => header("alg").unwrap_or_default(),
            Rule::Key => {
                header("kid").map_or_else(|| "the only key for its algorithm".to_owned(), |k| format!("kid {k}"))
            }
            Rule::Signature => "verified".to_owned(),
            Rule::Payload => format!("{} claims", d.map_or(0, |d| d.claims.len())),
            Rule::TokenKind => match d.and_then(|d| d.classify().ok()) {
                Some(kind) => format!("{}: {}", output::kind_name(&kind), kind.reason),
                None => "accepted".to_owned(),
            },
            Rule::Issuer => claim("iss").unwrap_or_default(),
            Rule::Audience => claim("aud").unwrap_or_else(|| "no aud: the client is the audience".to_owned()),
            Rule::AuthorizedParty => claim("azp").unwrap_or_else(|| "no azp".to_owned()),
            Rule::Client => ["client_id", "azp", "cid"]
                .iter()
                .find_map(|c| claim(c).map(|v| format!("{v} ({c})")))
                .unwrap_or_default(),
            Rule::TimeClaims => "exp and iat present, NumericDates".to_owned(),
            Rule::Expiry => format!("expires {}", time("exp")),
            Rule::NotBefore => format!("valid since {}", time("nbf")),
            Rule::IssuedAt => format!("issued {}", time("iat")),
            Rule::Nonce => "matches".to_owned(),
            Rule::MaxAge => format!("authenticated {}", time("auth_time")),
            Rule::Subject => claim("sub").unwrap_or_default(),
            Rule::JwtId => claim("jti").unwrap_or_else(|| "no jti (optional under this profile)".to_owned()),
            Rule::OptionalClaims => "acr, amr, at_hash, c_hash, sid well formed".to_owned(),
            Rule::SenderConstraint => "no cnf: a bearer token".to_owned(),
            Rule::Scopes => {
                let granted: Vec<&str> = self.diagnosis.granted_scopes().collect();
                if granted.is_empty() { "none granted".to_owned() } else { granted.join(" ") }
            }
            Rule::CustomClaims => "decoded".to_owned(),
            _ => "passed".to_owned(),
        }
    }
}

impl Report<'_> {
    /// The library's message, with the times it names as people read them.
    fn failure(&self, e: &Error) -> String {
        let at = |t: i64| format!("{} ({})", time::relative(t, self.now), time::utc(t));
        match e {
            Error::Expired { exp, .. } => format!("{e}: expired {}", at(*exp)),
            Error::NotYetValid { nbf, .. } => format!("{e}: valid {}", at(*nbf)),
            Error::IssuedInFuture { iat, .. } => format!("{e}: issued {}", at(*iat)),
            Error::AuthenticationTooOld { auth_time, .. } => format!("{e}: authenticated {}", at(*auth_time)),
            _ => e.to_string(),
        }
    }
}

/// Whether claim rules ran on a payload whose signature did not verify.
fn unverified_claims(d: &Diagnosis) -> bool {
    let signed = matches!(d.outcome(Rule::Signature), Some(Outcome::Passed));
    !signed && !matches!(d.outcome(Rule::Issuer), Some(Outcome::NotReached) | None)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => clean(&other.to_string()),
    }
}
