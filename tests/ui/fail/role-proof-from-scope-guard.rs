use tokenkind::{AccessToken, Granted, Roles, Scopes, requires_scope};

#[derive(Roles)]
enum Role {
    #[role("admin")]
    Admin,
}

#[derive(Scopes)]
#[scopes(roles = Role)]
enum Api {
    #[scope("admin")]
    Admin,
}

fn purge(_: Granted<'_, role_role::Admin>) {}

// The client's scope "admin" is not the user's role "admin".
#[requires_scope("admin")]
fn handler(token: AccessToken<Api>) {
    purge(token.grant_role());
}

fn main() {}
