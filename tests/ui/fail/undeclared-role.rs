use tokenkind::{AccessToken, Roles, Scopes, requires_role};

#[derive(Roles)]
enum Role {
    #[role("admin")]
    Admin,
    #[role("editor")]
    Editor,
}

#[derive(Scopes)]
#[scopes(roles = Role)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[requires_role("auditor")]
fn audit(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
