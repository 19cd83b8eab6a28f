use tokenkind::requires_scope;

#[requires_scope("read:messages")]
fn list_messages(user: String, limit: usize) -> String {
    format!("{user} {limit}")
}

fn main() {}
