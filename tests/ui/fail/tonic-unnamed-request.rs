use tokenkind::{AccessToken, Scopes, requires_scope};
use tonic::{Request, Response, Status};

#[derive(Scopes)]
enum Api {
    #[scope("read:messages")]
    ReadMessages,
}

struct Service;

impl Service {
    #[requires_scope("read:messages")]
    async fn list(&self, _: Request<()>, token: AccessToken<Api>) -> Result<Response<()>, Status> {
        let _ = token;
        Ok(Response::new(()))
    }
}

fn main() {}
