use tokenkind::AccessClaims;

#[derive(AccessClaims, serde::Deserialize)]
struct Permissions {
    #[serde(rename = "scp")]
    permissions: Vec<String>,
}

fn main() {}
