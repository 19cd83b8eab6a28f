//! The diagnostic mode: every rule of a verifier, each with its outcome.
//!
//! A verifier walks its rules once, in one fixed order, through a [`Walk`].
//! [`Verifying`] stops at the first failure and keeps each rule's value for
//! the token; it compiles to the plain sequence of checks. [`Recorder`]
//! writes each outcome down and goes on, so a [`Diagnosis`] lists every rule
//! a token breaks, not just the first. Both walk the same functions in the
//! same order, so the first failure a diagnosis records is the error
//! `verify` returns.

use core::convert::Infallible;
use core::fmt;

use crate::error::Error;

/// One rule of a verifier's checklist, in the order the verifiers check them.
///
/// [`Rule::name`] is a stable identifier (used by the `tokenkind` command's
/// JSON output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The token is no longer than the verifier's limit; a longer one is not
    /// decoded at all.
    Length,
    /// Three segments of canonical unpadded base64url; a JOSE header with a
    /// string `alg`, no `crit` (RFC 7515 §4.1.11), no `b64: false`
    /// (RFC 7797), no nested JWT, no member twice (RFC 7515 §7.1, RFC 8725 §3).
    Structure,
    /// The header's `alg` is on the verifier's allowlist; `none` never is
    /// (RFC 8725 §3.1, §3.2).
    Algorithm,
    /// A trusted key is selected by `kid` and may verify `alg` (RFC 7517
    /// §4.5, RFC 8725 §3.1); URLs and keys in the header are never used.
    Key,
    /// The signature verifies with that key (RFC 7515 §5.2).
    Signature,
    /// The payload is a JSON object with no claim twice (RFC 7519 §7.2).
    Payload,
    /// The token is of the kind the verifier accepts: an access token (RFC
    /// 9068 §2.1 or the provider profile's rule), never an ID token, a logout
    /// token or a sender-constrained token in its place; or an ID token,
    /// never an access or logout token (RFC 8725 §3.11).
    TokenKind,
    /// `iss` equals the configured issuer byte for byte (RFC 9068 §4, OpenID
    /// Connect Core §3.1.3.7 step 2).
    Issuer,
    /// `aud` holds this API's identifier (RFC 9068 §4, RFC 7519 §4.1.3), or
    /// the client ID with only trusted others (OpenID Connect Core §3.1.3.7
    /// step 3). Under the Cognito profile, only its shape is checked here.
    Audience,
    /// ID tokens: `azp`, when present, is the client; required with several
    /// audiences (OpenID Connect Core §3.1.3.7 steps 4–5).
    AuthorizedParty,
    /// Access tokens: the client claim of the profile (`client_id`, `azp` or
    /// `cid`) is present (RFC 9068 §2.2); under Cognito it must be the
    /// configured audience.
    Client,
    /// `exp` and `iat` present, `nbf` when present, each a NumericDate
    /// (RFC 7519 §2, §4.1.4–4.1.6).
    TimeClaims,
    /// Not expired: refused from `exp` + leeway on (RFC 7519 §4.1.4).
    Expiry,
    /// Not used before `nbf` − leeway (RFC 7519 §4.1.5); not applicable
    /// without `nbf`.
    NotBefore,
    /// `iat` is not in the future beyond the leeway (RFC 7519 §4.1.6).
    IssuedAt,
    /// ID tokens: `nonce` equals the one sent (OpenID Connect Core §3.1.3.7
    /// step 11); not applicable when none was sent.
    Nonce,
    /// ID tokens: with `max_age`, `auth_time` is present and recent enough
    /// (OpenID Connect Core §3.1.3.7 step 13); `auth_time` must be a
    /// NumericDate in any case.
    MaxAge,
    /// `sub` is present (RFC 9068 §2.2, OpenID Connect Core §2).
    Subject,
    /// Access tokens: `jti` is a string, and present where the profile
    /// requires it (RFC 9068 §2.2).
    JwtId,
    /// ID tokens: `acr`, `amr`, `at_hash`, `c_hash` and `sid` have their
    /// types when present (OpenID Connect Core §2, §3.3.2.11).
    OptionalClaims,
    /// Access tokens: no `cnf`, since a sender-constrained token is never a
    /// bearer token (RFC 7800, RFC 9449 §7.1, RFC 8705 §3).
    SenderConstraint,
    /// Access tokens: the scope claims the profile reads are well formed
    /// (RFC 6749 §3.3, RFC 9068 §2.2.3).
    Scopes,
    /// Access tokens: the user's claims have their types when present: the
    /// role claim of the verifier's [`RoleSource`](super::RoleSource)
    /// (read only when the API declares roles; RFC 9068 §2.2.3.1), `acr`,
    /// `amr` and `auth_time` (RFC 9068 §2.2.1, RFC 9470).
    UserClaims,
    /// The custom claims type decodes and validates; not applicable with
    /// [`NoClaims`](crate::NoClaims).
    CustomClaims,
}

impl Rule {
    /// A stable snake-case identifier: `length`, `structure`, `algorithm`,
    /// `key`, `signature`, `payload`, `token_kind`, `issuer`, `audience`,
    /// `authorized_party`, `client`, `time_claims`, `expiry`, `not_before`,
    /// `issued_at`, `nonce`, `max_age`, `subject`, `jwt_id`,
    /// `optional_claims`, `sender_constraint`, `scopes`, `user_claims`,
    /// `custom_claims`.
    ///
    /// ```
    /// assert_eq!(tokenkind::verify::Rule::TokenKind.name(), "token_kind");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::Structure => "structure",
            Self::Algorithm => "algorithm",
            Self::Key => "key",
            Self::Signature => "signature",
            Self::Payload => "payload",
            Self::TokenKind => "token_kind",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::AuthorizedParty => "authorized_party",
            Self::Client => "client",
            Self::TimeClaims => "time_claims",
            Self::Expiry => "expiry",
            Self::NotBefore => "not_before",
            Self::IssuedAt => "issued_at",
            Self::Nonce => "nonce",
            Self::MaxAge => "max_age",
            Self::Subject => "subject",
            Self::JwtId => "jwt_id",
            Self::OptionalClaims => "optional_claims",
            Self::SenderConstraint => "sender_constraint",
            Self::Scopes => "scopes",
            Self::UserClaims => "user_claims",
            Self::CustomClaims => "custom_claims",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rules of the access-token verifier, in the order it checks them.
pub(crate) const ACCESS_RULES: &[Rule] = &[
    Rule::Length,
    Rule::Structure,
    Rule::Algorithm,
    Rule::Key,
    Rule::Signature,
    Rule::Payload,
    Rule::TokenKind,
    Rule::Issuer,
    Rule::Audience,
    Rule::Client,
    Rule::TimeClaims,
    Rule::Expiry,
    Rule::NotBefore,
    Rule::IssuedAt,
    Rule::Subject,
    Rule::JwtId,
    Rule::SenderConstraint,
    Rule::Scopes,
    Rule::UserClaims,
    Rule::CustomClaims,
];

/// The rules of the ID-token verifier, in the order it checks them.
pub(crate) const ID_RULES: &[Rule] = &[
    Rule::Length,
    Rule::Structure,
    Rule::Algorithm,
    Rule::Key,
    Rule::Signature,
    Rule::Payload,
    Rule::TokenKind,
    Rule::Issuer,
    Rule::Audience,
    Rule::AuthorizedParty,
    Rule::TimeClaims,
    Rule::Expiry,
    Rule::NotBefore,
    Rule::IssuedAt,
    Rule::Nonce,
    Rule::MaxAge,
    Rule::Subject,
    Rule::OptionalClaims,
    Rule::CustomClaims,
];

/// What one rule found.
///
/// ```
/// use tokenkind::verify::{Outcome, Rule};
/// use tokenkind::{Error, Nonce};
/// # let dev = tokenkind::dev::DevIssuer::new();
/// let login = dev.id_token_verifier::<tokenkind::NoClaims>().build()?;
/// let diagnosis = login.diagnose(&dev.id_token().sign(), Nonce::NotRequested);
/// assert_eq!(diagnosis.outcome(Rule::Signature), Some(&Outcome::Passed));
/// assert_eq!(diagnosis.outcome(Rule::Nonce), Some(&Outcome::NotApplicable));
/// assert_eq!(login.diagnose("a.b", Nonce::NotRequested).outcome(Rule::Issuer), Some(&Outcome::NotReached));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The token satisfies the rule.
    Passed,
    /// The token breaks the rule; `verify` would return this error if no
    /// earlier rule failed.
    Failed(Error),
    /// The rule does not apply: the verifier is not configured for it (no
    /// `max_age`, no nonce sent, no custom claims) or the token lacks the
    /// optional claim it checks (`nbf`).
    NotApplicable,
    /// Not evaluated: an earlier failure leaves nothing to check (no
    /// signature check without a usable key; no claims when the structure or
    /// payload cannot be read).
    NotReached,
}

/// One rule and its outcome.
///
/// ```
/// use tokenkind::verify::Outcome;
/// # use tokenkind::Scopes;
/// # #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// # enum Api { #[scope("read:messages")] Read }
/// # let dev = tokenkind::dev::DevIssuer::new();
/// let verifier = dev.access_token_verifier::<Api>().build()?;
/// for check in verifier.diagnose("not a token").checks() {
///     let mark = match check.outcome() {
///         Outcome::Passed => "ok",
///         Outcome::Failed(_) => "FAILED",
///         _ => "-",
///     };
///     println!("{mark} {}", check.rule());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    rule: Rule,
    outcome: Outcome,
}

impl Check {
    /// The rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What it found.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// Every rule of a verifier applied to one token, with its outcome: what
/// [`AccessTokenVerifier::diagnose`](crate::AccessTokenVerifier::diagnose)
/// and [`IdTokenVerifier::diagnose`](crate::IdTokenVerifier::diagnose) return.
///
/// Where `verify` stops at the first rule a token breaks, a diagnosis goes
/// on: after a failed signature the claims are still checked, so a person
/// learns in one pass that a token is expired *and* signed by an unknown
/// key. Claims checked after a failed signature come from an unverified
/// payload: a diagnosis explains a refusal; it never grants anything and
/// holds no claims.
///
/// ```
/// use tokenkind::verify::{Outcome, Rule};
/// use tokenkind::{Error, Scopes};
/// # use tokenkind::dev::DevIssuer;
///
/// #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
/// enum Api {
///     #[scope("read:messages")]
///     ReadMessages,
/// }
///
/// # let dev = DevIssuer::new();
/// let verifier = dev.access_token_verifier::<Api>().build()?;
/// let id_token = dev.id_token().nonce("n-0S6").sign();
///
/// let diagnosis = verifier.diagnose(&id_token);
/// assert_eq!(diagnosis.error(), verifier.verify(&id_token).err().as_ref());
/// assert_eq!(diagnosis.outcome(Rule::Signature), Some(&Outcome::Passed));
/// assert!(matches!(diagnosis.outcome(Rule::TokenKind), Some(Outcome::Failed(Error::IdTokenAsAccessToken { .. }))));
/// assert!(matches!(diagnosis.outcome(Rule::Audience), Some(Outcome::Failed(Error::WrongAudience { .. }))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    checks: Vec<Check>,
    first_failure: Option<Rule>,
    granted_scopes: Vec<Box<str>>,
}

impl Diagnosis {
    /// Every rule of the verifier, in the order it checks them.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The outcome of `rule`; `None` if the verifier has no such rule (an
    /// ID-token verifier has no [`Rule::Scopes`]).
    pub fn outcome(&self, rule: Rule) -> Option<&Outcome> {
        self.checks.iter().find(|c| c.rule == rule).map(|c| &c.outcome)
    }

    /// The rule whose failure `verify` reports: the first one that failed.
    pub fn failed_rule(&self) -> Option<Rule> {
        self.first_failure
    }

    /// The error `verify` returns for this token, if any.
    pub fn error(&self) -> Option<&Error> {
        match self.outcome(self.first_failure?) {
            Some(Outcome::Failed(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether every rule passed (or did not apply): `verify` accepts the token.
    pub fn is_valid(&self) -> bool {
        self.first_failure.is_none()
    }

    /// Access tokens: the scopes the client was granted, as the profile
    /// reads them (`scope`, `scp` under Okta and Entra ID, `roles` of an
    /// Entra ID app-only token), in token order, whether or not the API
    /// declares them. Empty when [`Rule::Scopes`] did not pass, and for ID
    /// tokens.
    pub fn granted_scopes(&self) -> impl Iterator<Item = &str> {
        self.granted_scopes.iter().map(|s| &**s)
    }
}

/// How a verifier goes through its rules. Each rule is one call, in the
/// verifier's fixed order; see the module documentation.
pub(crate) trait Walk {
    /// A rule's value: the value itself when verifying (every rule before
    /// passed), an `Option` when diagnosing.
    type Kept<T>;
    /// Why a kept value is absent; it never is when verifying ([`Infallible`]).
    type Missing: Copy;
    /// Whether this walk records every rule (diagnosing) rather than
    /// stopping at the first failure (verifying).
    const DIAGNOSING: bool;

    /// The outcome of `rule`. Verifying: its value, or the error to stop at.
    /// Diagnosing: recorded; the value if it passed; never an error.
    fn check<T>(&mut self, rule: Rule, outcome: Result<T, Error>) -> Result<Self::Kept<T>, Error>;

    /// Like [`Walk::check`] for a rule nothing after can do without (the
    /// structure, the payload): a failure stops both walks.
    fn stop<T>(&mut self, rule: Rule, outcome: Result<T, Error>) -> Result<T, Error>;

    /// The value a rule kept, or why it has none.
    fn get<T>(kept: &Self::Kept<T>) -> Result<&T, Self::Missing>;

    /// `rule` is skipped because a value it needs is missing.
    fn not_reached<T>(&mut self, rule: Rule, missing: Self::Missing) -> Self::Kept<T>;

    /// `rule`, which passed, did not apply.
    fn not_applicable(&mut self, rule: Rule);
}

/// The walk of `verify`: the first failure is the answer.
pub(crate) struct Verifying;

impl Walk for Verifying {
    type Kept<T> = T;
    type Missing = Infallible;
    const DIAGNOSING: bool = false;

    #[inline]
    fn check<T>(&mut self, _: Rule, outcome: Result<T, Error>) -> Result<T, Error> {
        outcome
    }

    #[inline]
    fn stop<T>(&mut self, _: Rule, outcome: Result<T, Error>) -> Result<T, Error> {
        outcome
    }

    #[inline]
    fn get<T>(kept: &T) -> Result<&T, Infallible> {
        Ok(kept)
    }

    #[inline]
    fn not_reached<T>(&mut self, _: Rule, missing: Infallible) -> T {
        match missing {}
    }

    #[inline]
    fn not_applicable(&mut self, _: Rule) {}
}

/// A rule was skipped: what it needs comes from a rule that failed.
#[derive(Clone, Copy)]
pub(crate) struct Skipped;

/// The walk of `diagnose`: every outcome written down.
pub(crate) struct Recorder {
    rules: &'static [Rule],
    checks: Vec<Check>,
    first_failure: Option<Rule>,
    granted_scopes: Vec<Box<str>>,
}

impl Recorder {
    pub(crate) fn new(rules: &'static [Rule]) -> Self {
        Self { rules, checks: Vec::with_capacity(rules.len()), first_failure: None, granted_scopes: Vec::new() }
    }

    /// A rule checked in several steps keeps its first failure.
    fn record(&mut self, rule: Rule, outcome: Outcome) {
        if matches!(outcome, Outcome::Failed(_)) && self.first_failure.is_none() {
            self.first_failure = Some(rule);
        }
        match self.checks.iter_mut().find(|c| c.rule == rule) {
            None => self.checks.push(Check { rule, outcome }),
            Some(check) => {
                if matches!(check.outcome, Outcome::Passed | Outcome::NotApplicable)
                    && matches!(outcome, Outcome::Failed(_))
                {
                    check.outcome = outcome;
                }
            }
        }
    }

    pub(crate) fn passed(&self, rule: Rule) -> bool {
        self.checks.iter().any(|c| c.rule == rule && c.outcome == Outcome::Passed)
    }

    pub(crate) fn grant(&mut self, scope: &str) {
        self.granted_scopes.push(scope.into());
    }

    /// Sets a rule's failure after the fact (a key source with no keys at all).
    #[cfg(feature = "remote")]
    pub(crate) fn replace_failure(&mut self, rule: Rule, from: impl Fn(&Error) -> bool, to: &Error) {
        if let Some(check) = self.checks.iter_mut().find(|c| c.rule == rule)
            && matches!(&check.outcome, Outcome::Failed(e) if from(e))
        {
            check.outcome = Outcome::Failed(to.clone());
        }
    }

    /// The diagnosis, with every rule the walk never got to marked not reached.
    pub(crate) fn finish(mut self) -> Diagnosis {
        let checks = self
            .rules
            .iter()
            .map(|rule| match self.checks.iter().position(|c| c.rule == *rule) {
                Some(i) => self.checks.swap_remove(i),
                None => Check { rule: *rule, outcome: Outcome::NotReached },
            })
            .collect();
        Diagnosis { checks, first_failure: self.first_failure, granted_scopes: self.granted_scopes }
    }
}

impl Walk for Recorder {
    type Kept<T> = Option<T>;
    type Missing = Skipped;
    const DIAGNOSING: bool = true;

    fn check<T>(&mut self, rule: Rule, outcome: Result<T, Error>) -> Result<Option<T>, Error> {
        Ok(match outcome {
            Ok(value) => {
                self.record(rule, Outcome::Passed);
                Some(value)
            }
            Err(e) => {
                self.record(rule, Outcome::Failed(e));
                None
            }
        })
    }

    fn stop<T>(&mut self, rule: Rule, outcome: Result<T, Error>) -> Result<T, Error> {
        match outcome {
            Ok(value) => {
                self.record(rule, Outcome::Passed);
                Ok(value)
            }
            Err(e) => {
                self.record(rule, Outcome::Failed(e.clone()));
                Err(e)
            }
        }
    }

    fn get<T>(kept: &Option<T>) -> Result<&T, Skipped> {
        kept.as_ref().ok_or(Skipped)
    }

    fn not_reached<T>(&mut self, rule: Rule, _: Skipped) -> Option<T> {
        if !self.checks.iter().any(|c| c.rule == rule) {
            self.checks.push(Check { rule, outcome: Outcome::NotReached });
        }
        None
    }

    fn not_applicable(&mut self, rule: Rule) {
        match self.checks.iter_mut().find(|c| c.rule == rule) {
            Some(check) if check.outcome == Outcome::Passed => check.outcome = Outcome::NotApplicable,
            Some(_) => {}
            None => self.checks.push(Check { rule, outcome: Outcome::NotApplicable }),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::keys::{Algorithm, KeySet};
    use crate::{AccessTokenVerifier, IdTokenVerifier, Nonce, Profile, Scopes};

    #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
    enum Api {
        #[scope("read:messages")]
        ReadMessages,
    }

    const SECRET: &[u8] = &[7; 32];
    const NOW: i64 = 1_800_000_000;
    const ISS: &str = "https://issuer.example";
    const API: &str = "https://api.example";
    const CLIENT: &str = "client-1";

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    /// A token of exactly this header and payload JSON, signed with `SECRET`.
    fn hs256(header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET);
        let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    fn keys() -> KeySet {
        KeySet::new().with_hmac(Some("k1"), SECRET, Algorithm::HS256).unwrap()
    }

    fn access(profile: Profile) -> AccessTokenVerifier<Api> {
        AccessTokenVerifier::<Api>::builder(ISS, API).keys(keys()).profile(profile).clock(|| NOW).build().unwrap()
    }

    fn id(max_age: bool) -> IdTokenVerifier {
        let b = IdTokenVerifier::<crate::NoClaims>::builder(ISS, CLIENT).keys(keys()).clock(|| NOW);
        let b = if max_age { b.max_age(core::time::Duration::from_secs(600)) } else { b };
        b.build().unwrap()
    }

    const AT: &str = r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#;
    const JWT: &str = r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#;

    /// Access-token payloads, valid and broken in one or several ways.
    fn access_payloads() -> Vec<String> {
        let base = format!(
            r#""iss":"{ISS}","sub":"u","aud":"{API}","client_id":"{CLIENT}","jti":"AT.1","iat":{NOW},"exp":{}"#,
            NOW + 300
        );
        let extra = [
            "",
            r#","scope":"read:messages other""#,
            r#","nonce":"n""#,
            r#","events":{}"#,
            r#","cnf":{"jkt":"x"}"#,
            r#","scope":["read:messages"]"#,
            r#","typ":"Bearer","azp":"web","ver":"2.0","token_use":"access","cid":"c""#,
            r#","scp":"read:messages","azp":"web","ver":"2.0""#,
            r#","nbf":"soon""#,
            r#","nbf":1900000000"#,
            r#","scope":"read:messages","acr":5"#,
            r#","scope":"read:messages","auth_time":"recently""#,
        ];
        let mut all: Vec<String> = extra.iter().map(|e| format!("{{{base}{e}}}")).collect();
        for (from, to) in [
            (format!(r#""iss":"{ISS}""#), r#""iss":"https://evil.example""#.to_owned()),
            (format!(r#""aud":"{API}""#), format!(r#""aud":"{CLIENT}""#)),
            (format!(r#""aud":"{API}""#), r#""aud":[]"#.to_owned()),
            (format!(r#""exp":{}"#, NOW + 300), format!(r#""exp":{}"#, NOW - 3600)),
            (format!(r#""exp":{}"#, NOW + 300), r#""exp":"later""#.to_owned()),
            (format!(r#""iat":{NOW}"#), format!(r#""iat":{}"#, NOW + 3600)),
            (r#""sub":"u","#.to_owned(), String::new()),
            (r#""jti":"AT.1","#.to_owned(), String::new()),
            (r#""jti":"AT.1","#.to_owned(), r#""jti":"ID.1","#.to_owned()),
            (format!(r#""client_id":"{CLIENT}","#), String::new()),
        ] {
            for e in ["", r#","nbf":"soon""#, r#","nonce":"n""#, r#","cnf":{}"#] {
                all.push(format!("{{{}{e}}}", base.replace(&from, &to)));
            }
        }
        // Expired and issued in the future, with the issuer wrong too.
        all.push(format!(
            "{{{}}}",
            base.replace(ISS, "x")
                .replace(&format!("{NOW},"), &format!("{},", NOW + 3600))
                .replace(&format!(r#""exp":{}"#, NOW + 300), &format!(r#""exp":{}"#, NOW - 10))
        ));
        all.extend(["[]".to_owned(), "{".to_owned(), r#"{"iss":"a","iss":"a"}"#.to_owned()]);
        all
    }

    /// Tokens broken before their claims, or in their signature.
    fn structural(valid: &str) -> Vec<String> {
        let (head, rest) = valid.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        vec![
            String::new(),
            "garbage".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d.e".to_owned(),
            format!("{head}.{payload}.{signature}x"),
            format!("{head}.{payload}.!!"),
            format!("{head}.{payload}A.{signature}"),
            format!("{head}.{payload}."),
            format!("{}.{payload}.{signature}", b64(r#"{"alg":"none","typ":"at+jwt"}"#)),
            format!("{}.{payload}.!!", b64(r#"{"alg":"RS256","typ":"at+jwt"}"#)),
            format!("{}.{payload}.{signature}", b64(r#"{"alg":"HS256","typ":"at+jwt","kid":"k2"}"#)),
            format!("{}.{payload}.{signature}", b64(r#"{"alg":"HS256","typ":"at+jwt","crit":["x"]}"#)),
            format!("{}.{payload}.{signature}", b64(r#"{"typ":"at+jwt"}"#)),
            format!("{}.{}.{signature}", b64(AT), b64("{}")),
            format!("{}.{}.{signature}", b64(AT), b64("not json")),
            format!("{head}.{}.{signature}", "A".repeat(20_000)),
        ]
    }

    /// `diagnose` finds what `verify` finds: its error is `verify`'s, and it
    /// is also the first failed rule in the checklist's order.
    fn assert_agrees(verified: &Result<(), Error>, diagnosis: &Diagnosis, token: &str) {
        assert_eq!(diagnosis.error(), verified.as_ref().err(), "{token}\n{diagnosis:#?}");
        let first_failed = diagnosis.checks().iter().find_map(|c| match c.outcome() {
            Outcome::Failed(e) => Some((c.rule(), e)),
            _ => None,
        });
        assert_eq!(first_failed.map(|(_, e)| e), verified.as_ref().err(), "{token}\n{diagnosis:#?}");
        assert_eq!(first_failed.map(|(r, _)| r), diagnosis.failed_rule(), "{token}");
        assert_eq!(diagnosis.is_valid(), verified.is_ok());
    }

    #[test]
    fn verify_error_is_the_first_failed_rule_of_diagnose_access() {
        let profiles =
            [Profile::Rfc9068, Profile::Auth0, Profile::Keycloak, Profile::Okta, Profile::EntraId, Profile::Cognito];
        let mut tokens: Vec<String> = access_payloads()
            .iter()
            .flat_map(|p| [hs256(AT, p), hs256(JWT, p), hs256(r#"{"alg":"HS256"}"#, p)])
            .collect();
        tokens.extend(structural(&tokens[0]));
        let mut failed_rules = std::collections::HashSet::new();
        for profile in profiles {
            let verifier = access(profile);
            for token in &tokens {
                let diagnosis = verifier.diagnose(token);
                assert_agrees(&verifier.verify(token).map(|_| ()), &diagnosis, token);
                assert_eq!(
                    diagnosis.checks().iter().map(Check::rule).collect::<Vec<_>>(),
                    ACCESS_RULES,
                    "every rule, in order"
                );
                failed_rules.extend(diagnosis.failed_rule());
            }
        }
        // The cases reach every rule but the custom claims (`NoClaims` here).
        for rule in ACCESS_RULES.iter().filter(|r| **r != Rule::CustomClaims) {
            assert!(failed_rules.contains(rule), "no case fails {rule}");
        }
    }

    #[test]
    fn verify_error_is_the_first_failed_rule_of_diagnose_id() {
        let payloads = [
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":{NOW},"exp":{},"auth_time":{NOW}}}"#, NOW + 60),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":{NOW},"exp":{},"nonce":"n"}}"#, NOW + 60),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":["{CLIENT}","x"],"iat":{NOW},"exp":{}}}"#, NOW - 600),
            format!(r#"{{"iss":"{ISS}","aud":"{CLIENT}","azp":"other","iat":{NOW},"exp":{},"amr":"pwd"}}"#, NOW + 60),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{API}","iat":{NOW},"exp":{},"scp":"a"}}"#, NOW + 60),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":"x","exp":{},"events":{{}}}}"#, NOW + 60),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":{NOW},"exp":{},"auth_time":1}}"#, NOW + 60),
            format!(
                r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":{NOW},"exp":{},"sid":5,"nbf":{}}}"#,
                NOW + 60,
                NOW + 900
            ),
            format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{CLIENT}","iat":{NOW},"exp":{},"azp":7}}"#, NOW + 60),
        ];
        let mut tokens: Vec<String> = payloads.iter().flat_map(|p| [hs256(JWT, p), hs256(AT, p)]).collect();
        tokens.extend(structural(&tokens[0]));
        for verifier in [id(false), id(true)] {
            for nonce in [Nonce::NotRequested, Nonce::Expected("n")] {
                for token in &tokens {
                    let diagnosis = verifier.diagnose(token, nonce);
                    assert_agrees(&verifier.verify(token, nonce).map(|_| ()), &diagnosis, token);
                    assert_eq!(diagnosis.checks().iter().map(Check::rule).collect::<Vec<_>>(), ID_RULES);
                }
            }
        }
    }

    #[test]
    fn diagnose_goes_on_after_a_failed_signature() {
        let payload = format!(r#"{{"iss":"x","sub":"u","aud":"{API}","client_id":"c","jti":"j","iat":{NOW},"exp":1}}"#);
        let token = hs256(AT, &payload);
        // Another signature: its first character changed (the last may carry padding bits).
        let at = token.rfind('.').unwrap() + 1;
        let other = if token[at..].starts_with('A') { "B" } else { "A" };
        let forged = format!("{}{other}{}", &token[..at], &token[at + 1..]);
        let d = access(Profile::Rfc9068).diagnose(&forged);
        assert_eq!(d.error(), Some(&Error::BadSignature));
        assert!(matches!(d.outcome(Rule::Issuer), Some(Outcome::Failed(Error::WrongIssuer { .. }))));
        assert!(matches!(d.outcome(Rule::Expiry), Some(Outcome::Failed(Error::Expired { .. }))));
        assert_eq!(d.outcome(Rule::Audience), Some(&Outcome::Passed));
        assert_eq!(d.outcome(Rule::NotBefore), Some(&Outcome::NotApplicable));
        assert_eq!(d.outcome(Rule::CustomClaims), Some(&Outcome::NotApplicable));
        assert_eq!(d.granted_scopes().count(), 0);

        // An unknown key: no signature check, the claims still read.
        let unknown = hs256(r#"{"alg":"HS256","typ":"at+jwt","kid":"k9"}"#, &payload);
        let d = access(Profile::Rfc9068).diagnose(&unknown);
        assert!(matches!(d.outcome(Rule::Key), Some(Outcome::Failed(Error::UnknownKey { .. }))));
        assert_eq!(d.outcome(Rule::Signature), Some(&Outcome::NotReached));
        assert!(matches!(d.outcome(Rule::Expiry), Some(Outcome::Failed(Error::Expired { .. }))));

        // An unreadable structure: nothing after it is reached.
        let d = access(Profile::Rfc9068).diagnose("a.b");
        assert!(d.checks().iter().skip(2).all(|c| *c.outcome() == Outcome::NotReached));
    }

    #[test]
    fn diagnose_lists_the_granted_scopes_as_the_profile_reads_them() {
        let payload = format!(
            r#"{{"iss":"{ISS}","sub":"u","aud":"{API}","azp":"c","ver":"2.0","iat":{NOW},"exp":{},"scp":"read:messages write:all","scope":"a","roles":["admin"]}}"#,
            NOW + 60
        );
        let token = hs256(JWT, &payload);
        let d = access(Profile::EntraId).diagnose(&token);
        assert!(d.is_valid(), "{d:#?}");
        assert_eq!(d.granted_scopes().collect::<Vec<_>>(), ["a", "read:messages", "write:all"]);
        let d = access(Profile::Auth0).diagnose(&token);
        assert_eq!(d.granted_scopes().collect::<Vec<_>>(), ["a"]);
    }
}
