use tokenkind::step_up::AuthenticatedWithin;
use tokenkind::{AccessToken, AcrValues, Scopes, requires_auth};

#[derive(AcrValues)]
enum Acr {
    #[acr("mfa")]
    Mfa,
}

#[derive(Scopes)]
#[scopes(acr = Acr)]
enum Api {
    #[scope("delete:messages")]
    DeleteMessages,
}

fn purge(_: AuthenticatedWithin<'_, 300>) {}

// The guard checks `acr` only: nothing says the login is recent.
#[requires_auth(acr = "mfa")]
fn handler(token: AccessToken<Api>) {
    purge(token.authenticated_within());
}

fn main() {}
