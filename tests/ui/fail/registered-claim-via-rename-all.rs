use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    // Decoded from `authTime`: not the registered `auth_time`, so accepted.
    auth_time: i64,
    // `camelCase` leaves a one-word name as it is: still the registered `nonce`.
    nonce: String,
}

fn main() {}
