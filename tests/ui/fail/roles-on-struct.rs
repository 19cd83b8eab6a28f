use tokenkind::Roles;

#[derive(Roles)]
struct Role {
    name: String,
}

fn main() {}
