use tokenkind::{IdClaims, IdToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
#[derive(IdClaims, serde::Deserialize)]
struct Profile {
    name: String,
}

type LoginToken = IdToken<Profile>;

#[requires_scope("read:messages")]
fn list_messages(#[token] token: LoginToken) -> String {
    token.claims().name.clone()
}

fn main() {}
