use tokenkind::{AccessToken, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}
fn main() {
    let _token: AccessToken<Api> = serde_json::from_str(r#"{"sub":"admin","scope":"delete:messages"}"#).unwrap();
}
