// The client's access token is not the API's verified `AccessToken`: only
// the API's verifier makes one, from the token it receives.
use tokenkind::client::OpaqueAccessToken;
use tokenkind::{AccessToken, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

fn list_messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn after_login(token: OpaqueAccessToken) -> String {
    list_messages(token)
}

fn main() {}
