use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes)]
enum Bank {
    #[scope("transfer:funds")]
    TransferFunds,
    #[scope("read:balance")]
    ReadBalance,
}

#[requires_scope(sender_constrained, "transfer:funds")]
fn transfer_handler(token: AccessToken<Bank>) -> usize {
    token.scopes().len()
}

fn main() {}
