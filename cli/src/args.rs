//! The command line.

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use tokenkind::Profile;

use crate::Status;

/// The most bytes read as a token; a verifier refuses anything over 1 MiB.
const MAX_INPUT: u64 = 1024 * 1024;

const TOKEN_HELP: &str = "The token (a JWT). Without it, the token is read from standard input, \
                          which keeps it out of the shell history; a leading `Bearer ` is ignored";

#[derive(Parser, Debug)]
#[command(
    name = "tokenkind",
    version,
    about = "Tells an OpenID Connect ID token from an OAuth 2.0 access token, and explains rule by rule why a verifier refuses a token",
    after_help = "Exit status: 0 when the token decodes (inspect) or verifies (verify), 1 when it does not, 2 on a usage or configuration error."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// When to colour the output (`auto` honours `NO_COLOR` and colours terminals only).
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub(crate) color: ColorWhen,

    /// The current time, in seconds since the Unix epoch, instead of the system clock.
    #[arg(long, global = true, hide = true, value_name = "SECONDS")]
    pub(crate) now: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Decode a token WITHOUT verifying it: its kind (ID token, access token, logout token, DPoP proof), issuer,
    /// audiences, client, scopes, roles, binding and times. The signature is never printed.
    Inspect(InspectArgs),
    /// Verify a token with the real verifier and list every rule it passes or breaks, not just the first.
    Verify(VerifyArgs),
}

#[derive(Args, Debug)]
pub(crate) struct InspectArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,

    /// Print a JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("keys").required(true).args(["jwks", "jwks_uri", "discovery"])))]
pub(crate) struct VerifyArgs {
    #[arg(help = TOKEN_HELP)]
    pub(crate) token: Option<String>,

    /// The trusted issuer, compared byte for byte with the token's `iss`.
    #[arg(long, value_name = "URL")]
    pub(crate) issuer: String,

    /// This API's identifier, looked for in the access token's `aud`.
    #[arg(long, value_name = "ID", required_unless_present = "id_token", conflicts_with = "id_token")]
    pub(crate) audience: Option<String>,

    /// The identity provider profile for access tokens: rfc9068 (default), auth0, keycloak, okta, entra, cognito.
    #[arg(long, value_name = "PROFILE", value_parser = parse_profile, conflicts_with = "id_token")]
    pub(crate) profile: Option<Profile>,

    /// The issuer's keys, from a JWKS file (nothing is fetched).
    #[arg(long, value_name = "FILE")]
    pub(crate) jwks: Option<PathBuf>,

    /// The issuer's keys, fetched once from this JWKS URL (https, or http to a loopback host).
    #[arg(long, value_name = "URL")]
    pub(crate) jwks_uri: Option<String>,

    /// The issuer's keys, fetched once by OpenID Connect Discovery of --issuer.
    #[arg(long)]
    pub(crate) discovery: bool,

    /// Verify an ID token for the client --client-id, as a client application does at login.
    #[arg(long, requires = "client_id")]
    pub(crate) id_token: bool,

    /// The client ID an ID token must be issued to (its `aud`).
    #[arg(long, value_name = "ID", requires = "id_token")]
    pub(crate) client_id: Option<String>,

    /// The nonce sent in the authentication request; without it the ID token's nonce is not checked.
    #[arg(long, value_name = "NONCE", requires = "id_token")]
    pub(crate) nonce: Option<String>,

    /// Print a JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name).ok_or_else(|| "expected rfc9068, auth0, keycloak, okta, entra or cognito".to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    pub(crate) fn apply(self) {
        let choice = match self {
            Self::Auto => anstream::ColorChoice::Auto,
            Self::Always => anstream::ColorChoice::Always,
            Self::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// The token: the argument, or standard input, trimmed, without a leading
/// `Bearer ` (as copied from an `Authorization` header).
pub(crate) fn read_token(arg: Option<&str>) -> Result<String, (Status, String)> {
    let text = if let Some(token) = arg {
        token.to_owned()
    } else {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("Reading the token from standard input (end with Ctrl-D)…");
        }
        let mut bytes = Vec::new();
        stdin
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| (Status::Usage, format!("cannot read standard input: {e}")))?;
        if bytes.len() as u64 > MAX_INPUT {
            return Err((Status::Refused, "the input is larger than 1 MiB, which no verifier accepts".to_owned()));
        }
        String::from_utf8(bytes).map_err(|_| (Status::Refused, "the input is not UTF-8 text".to_owned()))?
    };
    let token = text.trim();
    let token = match token.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => token[7..].trim_start(),
        _ => token,
    };
    Ok(token.to_owned())
}
