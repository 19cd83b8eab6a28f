use tokenkind::IdToken;

fn forge(token: IdToken) -> IdToken {
    IdToken { subject: "admin".into(), ..token }
}

fn main() {}
