use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
struct Login {
    name: String,
    c_hash: String,
    sid: String,
}

fn main() {}
