use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("read:messages")]
    WriteMessages,
}

// Uses of the enum still compile: the only error is the duplicate.
#[requires_scope("read:messages")]
fn list_messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
