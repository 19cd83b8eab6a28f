use tokenkind::{AccessToken, Scopes, requires_auth};

#[derive(Scopes)]
enum Api {
    #[scope("delete:messages")]
    DeleteMessages,
}

#[requires_auth()]
fn purge(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
