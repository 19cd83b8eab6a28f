#![deny(warnings)]

use tokenkind::scope::Requirement;
use tokenkind::{AccessClaims, AccessToken, RequiredScopes, Scoped, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[derive(AccessClaims, serde::Deserialize)]
struct Tenant {
    tenant_id: String,
}

type ApiToken = AccessToken<Api, Tenant>;

#[requires_scope("read:messages")]
fn list_messages(#[token] token: ApiToken) -> String {
    token.claims().tenant_id.clone()
}

fn required<R: Requirement<Api>>(_handler: fn(Scoped<ApiToken, R>) -> String) -> RequiredScopes {
    Scoped::<ApiToken, R>::required()
}

fn main() {
    assert_eq!(required(list_messages).to_string(), "read:messages");
}
