use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
struct Api {
    read_messages: bool,
}

fn main() {}
