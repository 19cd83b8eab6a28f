use tokenkind::{AccessTokenVerifier, IdClaims, Scopes};

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

fn api(_verifier: AccessTokenVerifier<Api, Profile>) {}

fn main() {}
