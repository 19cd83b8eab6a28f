use tokenkind::{AccessToken, Granted, Roles, Scopes, requires_role, requires_scope};

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

fn purge(_: Granted<'_, role_role::Admin>) {}

// The guard checks `editor` only, so it cannot vouch for `admin`.
#[requires_scope("read:messages")]
#[requires_role("editor")]
fn handler(token: AccessToken<Api>) {
    purge(token.grant_role());
}

fn main() {}
