//! `tokenkind`: tells an OpenID Connect ID token from an OAuth 2.0 access
//! token, and explains rule by rule why a verifier refuses a token.
//!
//! - `tokenkind inspect [TOKEN]` decodes a token without verifying it and
//!   says what kind of token it is, by the verifiers' own rules;
//! - `tokenkind verify [TOKEN] --issuer … --audience … --jwks FILE` runs the
//!   real verifier and lists every rule with its outcome.
//!
//! Exit status: 0 when the token decodes (`inspect`) or verifies (`verify`),
//! 1 when it does not, 2 on a usage or configuration error.

#![forbid(unsafe_code)]

mod args;
mod decode;
mod inspect;
mod output;
mod time;
mod verify;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    cli.color.apply();
    let now = cli.now.unwrap_or_else(time::system_now);
    let status = match &cli.command {
        args::Command::Inspect(a) => inspect::run(a, now),
        args::Command::Verify(a) => verify::run(a, now, cli.now.is_some()),
    };
    ExitCode::from(status as u8)
}

/// How a run ended, as its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// The token decodes (`inspect`) or verifies (`verify`).
    Ok = 0,
    /// The input is not a JWT (`inspect`), or the verifier refuses it (`verify`).
    Refused = 1,
    /// A usage or configuration error: bad arguments, unreadable keys.
    Usage = 2,
}
