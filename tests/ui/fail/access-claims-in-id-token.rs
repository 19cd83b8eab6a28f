use tokenkind::{AccessClaims, IdTokenVerifier};

#[derive(AccessClaims, serde::Deserialize)]
struct Tenant {
    tenant_id: String,
}

fn login(_verifier: IdTokenVerifier<Tenant>) {}

fn main() {}
