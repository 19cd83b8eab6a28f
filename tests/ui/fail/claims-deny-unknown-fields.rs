use tokenkind::AccessClaims;

#[derive(AccessClaims, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Tenant {
    tenant_id: String,
}

fn main() {}
