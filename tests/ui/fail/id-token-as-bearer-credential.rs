// An ID token has no way to become an `Authorization` header.
use tokenkind::IdToken;

fn call_api(id_token: &IdToken) -> http::HeaderValue {
    tokenkind::client::authorization(id_token)
}

fn main() {}
