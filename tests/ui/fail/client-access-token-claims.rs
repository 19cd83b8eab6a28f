// A client must treat its access token as opaque: it has no claims to read.
use tokenkind::client::Login;

fn show_scopes(login: &Login) -> String {
    login.access_token().claims().scope.clone()
}

fn main() {}
