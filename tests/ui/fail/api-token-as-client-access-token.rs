// An API's verified `AccessToken` is not a credential to send onwards.
use tokenkind::client::OpaqueAccessToken;
use tokenkind::{AccessToken, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

fn call_api(token: &OpaqueAccessToken) -> http::HeaderValue {
    token.authorization_header()
}

fn handler(token: AccessToken<Api>) -> http::HeaderValue {
    call_api(&token)
}

fn main() {}
