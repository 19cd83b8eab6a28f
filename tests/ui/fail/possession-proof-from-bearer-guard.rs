use tokenkind::scope::ProofOfPossession;
use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes)]
enum Bank {
    #[scope("transfer:funds")]
    TransferFunds,
}

// Demands proof that the caller holds the key its token is bound to.
fn transfer(_proof: ProofOfPossession<'_>, cents: u64) -> u64 {
    cents
}

// No `sender_constrained`: a copied bearer token reaches this body.
#[requires_scope("transfer:funds")]
fn transfer_handler(token: AccessToken<Bank>, cents: u64) -> u64 {
    transfer(token.proof_of_possession(), cents)
}

fn main() {}
