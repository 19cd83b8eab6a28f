use tokenkind::{AccessToken, Granted, Scopes, requires_scope};
use tonic::{Request, Response, Status};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
    #[scope("delete:messages")]
    DeleteMessages,
}

fn delete_all(_: Granted<'_, api_scope::DeleteMessages>) {}

#[tonic::async_trait]
trait Messages: Send + Sync + 'static {
    async fn delete(&self, request: Request<()>) -> Result<Response<()>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Messages for Service {
    // Checks read:messages only, so it cannot prove delete:messages.
    #[requires_scope("read:messages")]
    async fn delete(&self, request: Request<()>, token: AccessToken<Api>) -> Result<Response<()>, Status> {
        let _ = request;
        delete_all(token.grant());
        Ok(Response::new(()))
    }
}

fn main() {}
