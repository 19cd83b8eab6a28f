#![deny(warnings)]

use tokenkind::{AccessToken, ScopeSet, Scopes, requires_scope};

// Exactly as a first reader writes it: no other derive needed.
#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

#[requires_scope("read:messages")]
fn list_messages(token: AccessToken<Api>) -> usize {
    token.scopes().len()
}

fn main() {
    let _ = list_messages;
    assert_eq!(Api::ReadMessages.as_str(), "read:messages");
    assert!(matches!(Api::from_scope("write:messages"), Some(Api::WriteMessages)));
    let set = ScopeSet::<Api>::parse("write:messages");
    assert!(set.contains(Api::WriteMessages));
}
