use tokenkind::{IdToken, requires_scope};
use tonic::{Request, Response, Status};

#[tonic::async_trait]
trait Messages: Send + Sync + 'static {
    async fn list(&self, request: Request<()>) -> Result<Response<()>, Status>;
}

struct Service;

#[tonic::async_trait]
impl Messages for Service {
    #[requires_scope("read:messages")]
    async fn list(&self, request: Request<()>, token: IdToken) -> Result<Response<()>, Status> {
        let _ = (request, token);
        Ok(Response::new(()))
    }
}

fn main() {}
