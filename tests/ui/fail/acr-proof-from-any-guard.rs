use tokenkind::{AccessToken, AcrValues, Granted, Scopes, requires_auth};

#[derive(AcrValues)]
enum Acr {
    #[acr("mfa")]
    Mfa,
    #[acr("phr")]
    Phishing,
}

#[derive(Scopes)]
#[scopes(acr = Acr)]
enum Api {
    #[scope("delete:messages")]
    DeleteMessages,
}

fn purge(_: Granted<'_, acr_acr::Mfa>) {}

// Either value passes this guard, so it proves neither.
#[requires_auth(acr = any("mfa", "phr"))]
fn handler(token: AccessToken<Api>) {
    purge(token.grant_acr());
}

fn main() {}
