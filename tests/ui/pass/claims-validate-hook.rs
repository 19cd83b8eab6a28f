#![deny(warnings)]

use tokenkind::{AccessClaims, IdClaims};

#[derive(IdClaims, serde::Deserialize)]
#[claims(validate = Profile::check)]
#[serde(rename_all = "camelCase")]
struct Profile {
    name: String,
    email: Option<String>,
    // `authTime` after `rename_all`: not the registered `auth_time`.
    auth_time: Option<i64>,
    // Never decoded, so its name is free.
    #[serde(skip)]
    exp: (),
}

impl Profile {
    fn check(&self) -> Result<(), &'static str> {
        if self.name.is_empty() { Err("empty name") } else { Ok(()) }
    }
}

#[derive(AccessClaims, serde::Deserialize)]
#[claims(validate = check_tenant)]
struct Tenant {
    #[serde(rename = "https://example.com/tenant")]
    tenant: String,
}

fn check_tenant(tenant: &Tenant) -> Result<(), String> {
    if tenant.tenant.is_empty() { Err("no tenant".to_owned()) } else { Ok(()) }
}

#[derive(AccessClaims, serde::Deserialize)]
struct Extra<T> {
    extra: T,
}

fn main() {
    let profile: Profile = serde_json::from_str(r#"{"name":"Alice","email":null,"authTime":1}"#).unwrap();
    assert!(IdClaims::validate(&profile).is_ok());
    assert_eq!((profile.email, profile.auth_time, profile.exp), (None, Some(1), ()));
    let empty = Profile { name: String::new(), email: None, auth_time: None, exp: () };
    assert_eq!(IdClaims::validate(&empty).unwrap_err().to_string(), "empty name");
    let tenant: Tenant = serde_json::from_str(r#"{"https://example.com/tenant":""}"#).unwrap();
    assert_eq!(AccessClaims::validate(&tenant).unwrap_err().to_string(), "no tenant");
    let extra: Extra<u32> = serde_json::from_str(r#"{"extra":7}"#).unwrap();
    assert!(AccessClaims::validate(&extra).is_ok());
    assert_eq!(extra.extra, 7);
}
