#![deny(warnings)]

use tokenkind::scope::Requirement;
use tokenkind::{AccessToken, RequiredScopes, ScopeSet, Scoped, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

/// Lists messages.
#[requires_scope("read:messages")]
fn list_messages(token: AccessToken<Api>) -> String {
    format!("messages of {}", token.subject())
}

fn required<R: Requirement<Api>>(_handler: fn(Scoped<AccessToken<Api>, R>) -> String) -> RequiredScopes {
    Scoped::<AccessToken<Api>, R>::required()
}

fn main() {
    assert_eq!(<Api as Scopes>::NAMES, ["read:messages", "write:messages"]);
    assert_eq!(<Api as Scopes>::TYPE_NAME, "Api");
    assert_eq!(Api::from_scope("write:messages"), Some(Api::WriteMessages));
    assert_eq!(Api::from_scope("read:Messages"), None);
    assert_eq!(Api::WriteMessages.as_str(), "write:messages");
    let set = ScopeSet::<Api>::parse("openid read:messages");
    assert_eq!(set.iter().collect::<Vec<_>>(), [Api::ReadMessages]);
    assert_eq!(required(list_messages).to_string(), "read:messages");
}
