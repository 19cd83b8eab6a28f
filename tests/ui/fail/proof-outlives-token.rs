use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

#[requires_scope("delete:messages")]
fn delete_handler(token: AccessToken<Api>) -> Granted<'static, api_scope::DeleteMessages> {
    token.grant()
}

fn main() {}
