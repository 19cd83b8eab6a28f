use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
#[scopes(mod = perms)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

fn main() {}
