use tokenkind::{AccessToken, Scopes, requires_role};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

// `Api` names no roles enum: no role can be checked against it.
#[requires_role("admin")]
fn admin(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
