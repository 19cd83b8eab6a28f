use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read messages")]
    ReadMessages,
    WriteMessages,
    #[scope("admin")]
    Admin,
    #[scope("admin")]
    SuperAdmin,
}

fn main() {}
