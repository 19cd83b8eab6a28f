use tokenkind::{AccessToken, Scopes, requires_scope};
use tonic::{Request, Response, Status};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

#[tonic::async_trait]
trait Messages: Send + Sync + 'static {
    async fn list(&self, request: Request<()>) -> Result<Response<()>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Messages for Service {
    #[requires_scope("read:mesages")]
    async fn list(&self, request: Request<()>, token: AccessToken<Api>) -> Result<Response<()>, Status> {
        let _ = (request, token);
        Ok(Response::new(()))
    }
}

fn main() {}
