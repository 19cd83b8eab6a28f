#![deny(warnings)]

use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

/// A service function that only runs for callers holding `delete:messages`.
fn delete_message(proof: Granted<api_scope::DeleteMessages>, id: u64) -> (Api, u64) {
    (proof.scope(), id)
}

#[requires_scope("read:messages", "delete:messages")]
fn delete_handler(token: AccessToken<Api>, id: u64) -> (Api, u64) {
    let _read: Granted<api_scope::ReadMessages> = token.grant();
    delete_message(token.grant(), id)
}

#[requires_scope("delete:messages")]
fn delete_owned(token: AccessToken<Api>, id: u64) -> (Api, u64) {
    let token_proof = token.grant();
    let _token: AccessToken<Api> = token.into_token();
    delete_message(token_proof, id)
}

fn main() {
    let _ = delete_handler;
    let _ = delete_owned;
}
