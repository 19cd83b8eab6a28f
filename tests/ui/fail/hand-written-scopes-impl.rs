use tokenkind::Scopes;

// A hand-written impl could map one scope string to another's bit, or put
// anything into a `WWW-Authenticate` header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Read,
}

impl Scopes for Api {
    const NAMES: &'static [&'static str] = &["read\", error=\"forged"];
    const ALL: &'static [Self] = &[Api::Read];
    const TYPE_NAME: &'static str = "Api";
    fn index(&self) -> usize {
        0
    }
    fn index_of(_: &str) -> Option<usize> {
        Some(0)
    }
    fn from_index(_: usize) -> Option<Self> {
        Some(Api::Read)
    }
}

fn main() {}
