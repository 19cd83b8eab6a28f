use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api<T> {
    #[scope("read:messages")]
    ReadMessages(T),
}

fn main() {}
