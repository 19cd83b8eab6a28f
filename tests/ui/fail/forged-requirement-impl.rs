use tokenkind::Scopes;

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

// A requirement that requires nothing would pass every token.
enum Nothing {}
impl tokenkind::scope::Requirement<Api> for Nothing {
    const MASK: u128 = 0;
    const MODE: tokenkind::scope::Mode = tokenkind::scope::Mode::All;
}

fn main() {}
