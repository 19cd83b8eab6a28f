#![deny(warnings)]

use tokenkind::scope::Requirement;
use tokenkind::{AccessToken, RequiredScopes, Scoped, Scopes, requires_scope};

#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

struct Service {
    prefix: String,
}

impl Service {
    #[requires_scope("write:messages")]
    pub fn post(&self, token: AccessToken<Api>, text: &str) -> String {
        format!("{}{}: {text}", self.prefix, token.subject())
    }

    #[requires_scope("read:messages")]
    async fn list(&self, token: AccessToken<Api>) -> String {
        format!("{}{}", self.prefix, token.subject())
    }
}

struct Generic<T>(T);

impl<T: Clone> Generic<T> {
    #[requires_scope("read:messages")]
    fn get(&self, _token: AccessToken<Api>) -> T {
        self.0.clone()
    }
}

fn required<R: Requirement<Api>>(
    _handler: fn(&Service, Scoped<AccessToken<Api>, R>, &str) -> String,
) -> RequiredScopes {
    Scoped::<AccessToken<Api>, R>::required()
}

fn main() {
    assert_eq!(required(Service::post).to_string(), "write:messages");
    let _ = Service::list;
    let _ = Generic::<u8>::get;
    let _ = Service { prefix: String::new() }.prefix;
    let _ = Generic(1u8).0;
}
