use tokenkind::Scopes;

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {}

fn main() {}
