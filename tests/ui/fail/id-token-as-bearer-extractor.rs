use tokenkind::{AccessTokenVerifier, IdToken, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[axum::debug_handler(state = AccessTokenVerifier<Api>)]
async fn me(token: IdToken) -> String {
    token.subject().to_owned()
}

fn main() {}
