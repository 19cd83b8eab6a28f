use axum::{Router, routing::get};
use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[requires_scope("read:messages")]
async fn list_messages(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {
    // No `.with_state(ResourceServer::new(verifier))`: the guard has nowhere to get its verifier from.
    let _app: Router = Router::new().route("/api/messages", get(list_messages));
}
