use tokenkind::{IdToken, requires_auth};

#[requires_auth(max_age = 300)]
fn transfer(token: IdToken) -> String {
    token.subject().to_owned()
}

fn main() {}
