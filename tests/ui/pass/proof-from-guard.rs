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
fn delete_message(proof: Granted<'_, api_scope::DeleteMessages>, id: u64) -> (Api, u64) {
    (proof.scope(), id)
}

/// Proofs pass down a call chain: by value, by reference, or reborrowed.
fn purge(proof: &Granted<'_, api_scope::DeleteMessages>, ids: &[u64]) -> usize {
    ids.iter().map(|id| delete_message(proof.reborrow(), *id)).count()
}

#[requires_scope("read:messages", "delete:messages")]
fn delete_handler(token: AccessToken<Api>, id: u64) -> (Api, u64) {
    let _read: Granted<api_scope::ReadMessages> = token.grant();
    delete_message(token.grant(), id)
}

#[requires_scope("delete:messages")]
fn delete_owned(token: AccessToken<Api>, id: u64) -> (Api, u64) {
    let proof = token.grant();
    let purged = purge(&proof, &[1, 2]);
    let result = delete_message(proof, id + purged as u64);
    // The proof was used up before the token moved on.
    let _token: AccessToken<Api> = token.into_token();
    result
}

fn main() {
    let _ = delete_handler;
    let _ = delete_owned;
}
