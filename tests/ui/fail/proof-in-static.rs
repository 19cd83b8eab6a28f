use tokenkind::{AccessToken, Granted, Scopes, requires_scope};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

// A proof cached for later requests would vouch for callers whose tokens lack the scope.
static CACHED: std::sync::OnceLock<Granted<'static, api_scope::DeleteMessages>> = std::sync::OnceLock::new();

#[requires_scope("delete:messages")]
fn delete_handler(token: AccessToken<Api>) {
    let _ = CACHED.set(token.grant());
}

fn main() {}
