use tokenkind::IdClaims;

#[derive(IdClaims, serde::Deserialize)]
#[claims(validate = Profile::check)]
struct Profile {
    name: String,
}

impl Profile {
    fn check(self) -> bool {
        !self.name.is_empty()
    }
}

fn main() {}
