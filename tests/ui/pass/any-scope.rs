#![deny(warnings)]

use tokenkind::scope::{Mode, Requirement};
use tokenkind::{AccessToken, RequiredScopes, Scoped, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("admin")]
    Admin,
}

#[requires_scope(any("read:messages", "admin"))]
fn read(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn required<R: Requirement<Api>>(_handler: fn(Scoped<AccessToken<Api>, R>) -> String) -> RequiredScopes {
    Scoped::<AccessToken<Api>, R>::required()
}

fn main() {
    let required = required(read);
    assert_eq!(required.mode(), Mode::Any);
    assert_eq!(required.to_string(), "read:messages admin");
}
