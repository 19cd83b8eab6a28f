use tokenkind::{AccessToken, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
#[requires_scope("read:messages")]
fn compare(ours: AccessToken<Api>, theirs: AccessToken<Api>) -> bool {
    ours.subject() == theirs.subject()
}

fn main() {}
