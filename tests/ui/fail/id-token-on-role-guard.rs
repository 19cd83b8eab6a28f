use tokenkind::{IdToken, requires_role};

// An ID token's roles are for a client's UI, never an API's decision.
#[requires_role("admin")]
fn admin(token: IdToken) -> String {
    token.subject().to_owned()
}

fn main() {}
