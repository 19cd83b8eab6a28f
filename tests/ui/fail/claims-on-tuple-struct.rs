use tokenkind::AccessClaims;

#[derive(AccessClaims, serde::Deserialize)]
struct Tenant(String);

fn main() {}
