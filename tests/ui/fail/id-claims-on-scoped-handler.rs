use tokenkind::{AccessToken, IdClaims, Scopes, requires_scope};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[derive(IdClaims, serde::Deserialize)]
struct Profile {
    name: String,
}

#[requires_scope("read:messages")]
fn list_messages(token: AccessToken<Api, Profile>) -> String {
    drop(token);
    String::new()
}

fn main() {}
