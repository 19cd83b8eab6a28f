use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    WriteMessages,
}

fn main() {}
