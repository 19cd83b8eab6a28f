use tokenkind::{AccessToken, AcrValues, Granted, Roles, Scopes, requires_auth, requires_role, requires_scope};

#[derive(Roles)]
enum Role {
    #[role("admin")]
    Admin,
    #[role("editor")]
    Editor,
}

#[derive(AcrValues)]
enum Acr {
    #[acr("mfa")]
    Mfa,
}

#[derive(Scopes)]
#[scopes(roles = Role, acr = Acr)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

fn audit(_: Granted<'_, role_role::Admin>, _: Granted<'_, api_scope::ReadMessages>) {}
fn purge(_: Granted<'_, acr_acr::Mfa>, _: tokenkind::step_up::AuthenticatedWithin<'_, 300>) {}

// Either order of the attributes makes the same guard.
#[requires_scope("read:messages")]
#[requires_role("admin")]
fn one(token: AccessToken<Api>) {
    audit(token.grant_role(), token.grant());
}

#[requires_role("admin", "editor")]
#[requires_scope("read:messages")]
fn two(token: AccessToken<Api>) {
    audit(token.grant_role(), token.grant());
}

#[requires_role(any("admin", "editor"))]
fn three(_token: AccessToken<Api>) {}

#[requires_scope("delete:messages")]
#[requires_role("admin")]
#[requires_auth(acr = "mfa", max_age = 300)]
fn four(token: AccessToken<Api>) {
    purge(token.grant_acr(), token.authenticated_within());
}

#[tokenkind::requires_auth(acr = any("mfa"), max_age = 0)]
fn five(_token: AccessToken<Api>) {}

fn main() {}
