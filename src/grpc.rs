//! The messages API over gRPC, shared by the `messages_grpc` example and its
//! tests: the service generated from `proto/messages.proto`, its methods
//! guarded with `#[requires_scope]`, behind tokenkind's tower layer.

use tokenkind::http::ResourceServer;
use tokenkind::web::tower::AccessTokenLayer;
use tokenkind::{AccessToken, requires_auth, requires_role, requires_scope};
use tonic::{Request, Response, Status};

use crate::messages::{Api, Store};

/// The code generated from `proto/messages.proto`.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("messages");
}

use proto::messages_server::{Messages, MessagesServer};
use proto::{
    AdminReply, AdminRequest, DeleteAllReply, DeleteAllRequest, ListReply, ListRequest, Message, PostRequest,
    WhoAmIReply, WhoAmIRequest,
};

/// The gRPC service.
#[derive(Clone, Default)]
pub struct MessagesService {
    store: Store,
}

fn message(m: crate::messages::Message) -> Message {
    Message { id: m.id, author: m.author, text: m.text }
}

#[tonic::async_trait]
impl Messages for MessagesService {
    #[requires_scope("read:messages")]
    async fn list(
        &self,
        request: Request<ListRequest>,
        token: AccessToken<Api>,
    ) -> Result<Response<ListReply>, Status> {
        let _ = (request, token);
        Ok(Response::new(ListReply { messages: self.store.list().into_iter().map(message).collect() }))
    }

    #[requires_scope("write:messages")]
    async fn post(&self, request: Request<PostRequest>, token: AccessToken<Api>) -> Result<Response<Message>, Status> {
        let text = request.into_inner().text;
        Ok(Response::new(message(self.store.add(token.grant(), token.subject(), text))))
    }

    // The client's scope and the user's role: both must hold.
    #[requires_scope("read:messages")]
    #[requires_role("admin")]
    async fn admin(
        &self,
        request: Request<AdminRequest>,
        token: AccessToken<Api>,
    ) -> Result<Response<AdminReply>, Status> {
        let _ = request;
        Ok(Response::new(AdminReply { summary: self.store.summary(token.grant_role()).to_string() }))
    }

    // The scope, and a recent multi-factor login of the user.
    #[requires_scope("delete:messages")]
    #[requires_auth(acr = "mfa", max_age = 300)]
    async fn delete_all(
        &self,
        request: Request<DeleteAllRequest>,
        token: AccessToken<Api>,
    ) -> Result<Response<DeleteAllReply>, Status> {
        let _ = request;
        let deleted = self.store.clear(token.grant(), token.authenticated_within());
        Ok(Response::new(DeleteAllReply { deleted: deleted as u64 }))
    }

    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIReply>, Status> {
        // Any valid token will do: the one the layer verified.
        let token: AccessToken<Api> = tokenkind::web::tonic::access_token(&request)?;
        Ok(Response::new(WhoAmIReply { subject: token.subject().to_owned(), client_id: token.client_id().to_owned() }))
    }
}

/// Serves the messages service on `listener` until `shutdown` completes,
/// with tokenkind's layer in front: it verifies each call's token once and
/// answers refusals with gRPC statuses.
///
/// # Errors
/// The transport's, when serving fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    server: ResourceServer<Api>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .layer(AccessTokenLayer::new(server))
        .add_service(MessagesServer::new(MessagesService::default()))
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), shutdown)
        .await
}
