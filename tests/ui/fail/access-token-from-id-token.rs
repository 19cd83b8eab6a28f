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
fn api_token(token: IdToken) -> AccessToken<Api> {
    AccessToken::from(token)
}

fn main() {}
