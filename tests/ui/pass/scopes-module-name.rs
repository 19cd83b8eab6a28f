#![deny(warnings)]

use tokenkind::{ScopeMarker, Scopes};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
#[scopes(module = perm)]
enum MessagesApi {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

fn main() {
    assert_eq!(<perm::WriteMessages as ScopeMarker>::INDEX, 1);
    assert_eq!(<<perm::ReadMessages as ScopeMarker>::Set as Scopes>::TYPE_NAME, "MessagesApi");
    assert_eq!(MessagesApi::ALL, [MessagesApi::ReadMessages, MessagesApi::WriteMessages]);
}
