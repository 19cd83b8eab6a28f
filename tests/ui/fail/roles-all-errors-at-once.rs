use tokenkind::Roles;

#[derive(Roles)]
enum Role {
    #[role("")]
    Nobody,
    Missing,
    #[role("admin")]
    Admin,
    #[role("admin")]
    Administrator,
    #[role("a\tb")]
    Tabbed,
}

fn main() {}
