use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
#[claims(validator = Profile::check)]
struct Profile {
    name: String,
}

fn main() {}
