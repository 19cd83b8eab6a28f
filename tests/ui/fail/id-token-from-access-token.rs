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
fn who_logged_in(token: AccessToken<Api>) -> IdToken {
    token.into()
}

fn main() {}
