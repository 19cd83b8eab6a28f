use tokenkind::Roles;

// A hand-written impl would decide which strings count as which role.
enum Role {
    Admin,
}

impl Roles for Role {
    const NAMES: &'static [&'static str] = &["admin"];
    const ALL: &'static [Self] = &[Role::Admin];
    const TYPE_NAME: &'static str = "Role";
    fn index(&self) -> usize {
        0
    }
    fn index_of(_: &str) -> Option<usize> {
        Some(0)
    }
    fn from_index(_: usize) -> Option<Self> {
        Some(Role::Admin)
    }
}

fn main() {}
