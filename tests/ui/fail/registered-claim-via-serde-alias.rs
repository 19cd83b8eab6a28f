use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
struct Profile {
    #[serde(alias = "sub")]
    user_id: String,
}

fn main() {}
