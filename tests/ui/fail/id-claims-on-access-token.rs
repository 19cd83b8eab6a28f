use tokenkind::{AccessToken, IdClaims, Scopes};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[derive(IdClaims, serde::Deserialize)]
struct Profile {
    name: String,
}

fn list_messages(_token: AccessToken<Api, Profile>) {}

fn main() {}
