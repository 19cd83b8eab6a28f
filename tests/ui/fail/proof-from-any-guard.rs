use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
fn delete_message(_proof: Granted<api_scope::DeleteMessages>, id: u64) -> u64 {
    id
}

#[requires_scope(any("delete:messages", "write:messages"))]
fn delete_handler(token: AccessToken<Api>, id: u64) -> u64 {
    delete_message(token.grant(), id)
}

fn main() {}
