#![deny(warnings)]

use tokenkind::scope::{Mode, Requirement};
use tokenkind::{AccessToken, RequiredScopes, Scoped, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("admin")]
    Admin,
}

#[requires_scope("write:messages", "admin")]
fn moderate(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn required<R: Requirement<Api>>(_handler: fn(Scoped<AccessToken<Api>, R>) -> String) -> RequiredScopes {
    Scoped::<AccessToken<Api>, R>::required()
}

fn main() {
    let required = required(moderate);
    assert_eq!(required.mode(), Mode::All);
    // Listed in declaration order, whatever the order in the attribute.
    assert_eq!(required.iter().collect::<Vec<_>>(), ["write:messages", "admin"]);
}
