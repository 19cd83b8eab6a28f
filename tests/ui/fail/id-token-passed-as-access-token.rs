use tokenkind::{AccessToken, IdToken, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
fn call_api(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn after_login(token: IdToken) -> String {
    call_api(token)
}

fn main() {}
