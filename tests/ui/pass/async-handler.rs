#![deny(warnings)]

use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

async fn load(user: &str) -> Vec<String> {
    vec![format!("hello {user}")]
}

#[requires_scope("read:messages")]
async fn list_messages(token: AccessToken<Api>, limit: usize) -> Vec<String> {
    let mut messages = load(token.subject()).await;
    messages.truncate(limit);
    messages
}

fn main() {
    let _ = list_messages;
    assert_eq!(Api::ReadMessages.as_str(), "read:messages");
}
