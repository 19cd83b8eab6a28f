use tokenkind::{IdToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
#[requires_scope("read:messages")]
fn list_messages(token: IdToken) -> String {
    token.subject().to_owned()
}

fn main() {}
