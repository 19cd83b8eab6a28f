#![deny(warnings)]

use tokenkind::scope::ProofOfPossession;
use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes)]
enum Bank {
    #[scope("transfer:funds")]
    TransferFunds,
    #[scope("read:balance")]
    ReadBalance,
}

fn transfer(_: Granted<'_, bank_scope::TransferFunds>, _: ProofOfPossession<'_>, cents: u64) -> u64 {
    cents
}

#[requires_scope("transfer:funds", sender_constrained)]
fn transfer_handler(token: AccessToken<Bank>, cents: u64) -> u64 {
    transfer(token.grant(), token.proof_of_possession(), cents)
}

#[requires_scope(any("transfer:funds", "read:balance"), sender_constrained,)]
async fn either(token: AccessToken<Bank>) -> usize {
    let _proof = token.proof_of_possession();
    token.scopes().len()
}

fn main() {
    let _ = transfer_handler;
    let _ = either;
}
