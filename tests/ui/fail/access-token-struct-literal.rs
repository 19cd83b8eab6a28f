use tokenkind::{AccessToken, ScopeSet, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
fn forge(token: AccessToken<Api>) -> AccessToken<Api> {
    AccessToken { scopes: ScopeSet::parse("delete:messages"), ..token }
}

fn main() {}
