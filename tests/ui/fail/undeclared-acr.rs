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

#[requires_auth(acr = "phishing-resistant", max_age = 300)]
fn purge(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
