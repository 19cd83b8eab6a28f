use tokenkind::IdToken;

fn main() {
    let _token: IdToken = Default::default();
}
