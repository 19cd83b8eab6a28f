use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
struct Profile {
    name: String,
    exp: i64,
}

fn main() {}
