use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

fn delete_all(_proof: Granted<'_, api_scope::DeleteMessages>) {}

#[requires_scope("delete:messages")]
async fn delete_handler(token: AccessToken<Api>) {
    let proof = token.grant();
    // A `'static` task may run after the request, and its token, are gone.
    tokio::spawn(async move { delete_all(proof) });
}

fn main() {}
