// `#[requires_scope]` on the methods of a tonic service trait (an
// `#[async_trait]` trait, as tonic generates them): the token parameter is
// taken out of the signature, so the impl matches the trait.
use tokenkind::{AccessToken, Granted, Scopes, requires_scope};
use tonic::{Request, Response, Status};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("write:messages")]
    WriteMessages,
}

fn save(_: Granted<'_, api_scope::WriteMessages>, _text: String) {}

#[tonic::async_trait]
trait Messages: Send + Sync + 'static {
    async fn list(&self, request: Request<()>) -> Result<Response<String>, Status>;
    async fn post(&self, request: Request<String>) -> Result<Response<()>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Messages for Service {
    #[requires_scope("read:messages")]
    async fn list(&self, request: Request<()>, token: AccessToken<Api>) -> Result<Response<String>, Status> {
        let _ = request;
        Ok(Response::new(token.subject().to_owned()))
    }

    #[requires_scope("write:messages", sender_constrained)]
    async fn post(&self, request: Request<String>, token: AccessToken<Api>) -> Result<Response<()>, Status> {
        let _possession = token.proof_of_possession();
        save(token.grant(), request.into_inner());
        Ok(Response::new(()))
    }
}

// Without `#[async_trait]` (a native `async fn` in an inherent impl).
impl Service {
    #[requires_scope(any("read:messages", "write:messages"))]
    async fn peek(&self, request: Request<()>, token: AccessToken<Api>) -> Result<Response<String>, Status> {
        let _ = request;
        Ok(Response::new(token.client_id().to_owned()))
    }
}

fn main() {
    let _ = Service.peek(Request::new(()));
}
