use tokenkind::{AccessToken, Roles, Scopes, requires_role, requires_scope};

#[derive(Roles)]
enum Role {
    #[role("admin")]
    Admin,
}

#[derive(Scopes)]
#[scopes(roles = Role)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[requires_scope("read:messages")]
#[requires_role("admn")]
fn admin(token: AccessToken<Api>) -> String {
    token.subject().to_owned()
}

fn main() {}
