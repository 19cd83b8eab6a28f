use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
#[requires_scope(Api::ReadMessages)]
fn list_messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
