use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages write:messages")]
    ReadWriteMessages,
}

fn main() {}
