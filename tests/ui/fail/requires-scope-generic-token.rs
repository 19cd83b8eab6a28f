use tokenkind::{AccessToken, Scopes, requires_scope};

#[requires_scope("read:messages")]
fn list_messages<S: Scopes>(token: AccessToken<S>) -> String {
    token.subject().to_owned()
}

fn main() {}
