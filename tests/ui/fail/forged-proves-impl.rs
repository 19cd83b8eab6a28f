use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

// A forged impl would let every `read:messages` guard mint delete proofs.
enum AnyIndex {}
impl tokenkind::scope::Proves<api_scope::DeleteMessages, AnyIndex> for (api_scope::ReadMessages, ()) {}

fn delete_all(_proof: Granted<'_, api_scope::DeleteMessages>) {}

#[requires_scope("read:messages")]
fn delete_handler(token: AccessToken<Api>) {
    delete_all(token.grant());
}

fn main() {}
