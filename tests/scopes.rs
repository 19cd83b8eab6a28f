//! Scope checks at run time: `#[requires_scope]` guards, `any(...)`,
//! proofs, and the error that names the required scopes.

mod common;

use common::{Api, NOW, api_scope};
use tokenkind::dev::DevIssuer;
use tokenkind::scope::Mode;
use tokenkind::{AccessToken, Error, ErrorCode, Granted, ScopeSet, Scoped, Scopes, requires_scope};

fn token_with(scope: &str) -> AccessToken<Api> {
    let dev = DevIssuer::new();
    let v = dev.access_token_verifier::<Api>().clock(|| NOW).build().unwrap();
    v.verify(&dev.access_token().issued_at(NOW).scope(scope).sign()).unwrap()
}

#[requires_scope("read:messages")]
fn list(token: AccessToken<Api>) -> String {
    format!("messages for {}", token.subject())
}

#[requires_scope("read:messages", "write:messages")]
fn edit(token: AccessToken<Api>) -> bool {
    token.has_scope(Api::WriteMessages)
}

#[requires_scope(any("write:messages", "delete:messages"))]
fn moderate(_token: AccessToken<Api>) -> u8 {
    1
}

fn purge(_proof: Granted<api_scope::DeleteMessages>) -> &'static str {
    "purged"
}

#[requires_scope("delete:messages")]
fn purge_handler(token: AccessToken<Api>) -> &'static str {
    purge(token.grant())
}

struct Service;

impl Service {
    #[allow(clippy::unused_async)] // an async handler, as web frameworks call them
    #[requires_scope("read:messages")]
    async fn count(&self, token: AccessToken<Api>) -> usize {
        token.scopes().len()
    }
}

#[test]
fn the_guard_runs_the_body_only_with_the_scope() {
    assert_eq!(Scoped::check(token_with("read:messages")).map(list).unwrap(), "messages for dev-user");
    let err = Scoped::check(token_with("write:messages")).map(list).unwrap_err();
    assert_eq!(err.to_string(), "the access token lacks the required scope: read:messages");
    assert_eq!(err.code(), ErrorCode::InsufficientScope);
    let Error::InsufficientScope { required } = err else { panic!("{err:?}") };
    assert_eq!(required.iter().collect::<Vec<_>>(), ["read:messages"]);
    assert_eq!(required.mode(), Mode::All);
}

#[test]
fn all_listed_scopes_are_required() {
    assert!(Scoped::check(token_with("read:messages write:messages")).map(edit).unwrap());
    let err = Scoped::check(token_with("read:messages")).map(edit).unwrap_err();
    assert_eq!(err.to_string(), "the access token lacks the required scope: read:messages write:messages");
}

#[test]
fn any_needs_one_of_the_scopes() {
    assert_eq!(Scoped::check(token_with("delete:messages")).map(moderate), Ok(1));
    let err = Scoped::check(token_with("read:messages")).map(moderate).unwrap_err();
    assert_eq!(err.to_string(), "the access token lacks the required scope (any of): write:messages delete:messages");
    let Error::InsufficientScope { required } = err else { panic!() };
    assert_eq!(required.mode(), Mode::Any);
}

#[test]
fn proofs_come_from_the_guard_or_a_run_time_check() {
    assert_eq!(Scoped::check(token_with("delete:messages")).map(purge_handler), Ok("purged"));
    let t = token_with("read:messages delete:messages");
    let proof = t.grant::<api_scope::DeleteMessages>().unwrap();
    assert_eq!(proof.scope(), Api::DeleteMessages);
    assert_eq!(purge(proof), "purged");
    let err = token_with("read:messages").grant::<api_scope::DeleteMessages>().unwrap_err();
    assert_eq!(err.to_string(), "the access token lacks the required scope: delete:messages");
}

#[test]
fn methods_and_async_functions_are_guarded() {
    let guarded = Scoped::check(token_with("read:messages write:messages")).unwrap();
    let fut = Service.count(guarded);
    // Drive the future by hand: it completes without awaiting anything.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = std::pin::pin!(fut);
    assert_eq!(fut.as_mut().poll(&mut cx), std::task::Poll::Ready(2));
}

#[test]
fn scope_enum_round_trips() {
    for (i, name) in Api::NAMES.iter().enumerate() {
        let scope = Api::from_index(i).unwrap();
        assert_eq!(scope.as_str(), *name);
        assert_eq!(Api::from_scope(name), Some(scope));
    }
    assert_eq!(Api::from_index(Api::NAMES.len()), None);
    assert_eq!(Api::NAMES, ["read:messages", "write:messages", "delete:messages"]);
    let set = ScopeSet::<Api>::parse("delete:messages  read:messages");
    assert_eq!(set.to_string(), "read:messages delete:messages");
    assert_eq!(ScopeSet::<Api>::parse(&set.to_string()), set);
}
