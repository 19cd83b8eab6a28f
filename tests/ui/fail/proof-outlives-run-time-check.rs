use tokenkind::{AccessToken, Granted, Scopes};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

fn check(token: AccessToken<Api>) -> Option<Granted<'static, api_scope::DeleteMessages>> {
    token.grant().ok()
}

fn main() {}
