//! The messages API over gRPC (tonic), protected by tokenkind: the same
//! scopes and configuration as `messages_api.rs`.
//!
//! ```sh
//! cargo run --example messages_grpc
//! ```
//!
//! tokenkind's tower layer verifies each call's token once; the service
//! methods (`src/grpc.rs`) carry `#[requires_scope]` guards. A call without
//! a valid access token gets `UNAUTHENTICATED`, one without the scope
//! `PERMISSION_DENIED`, both with the RFC 6750 challenge in the
//! `www-authenticate` metadata; `UNAVAILABLE` when no keys can be had.
//!
//! Configuration: the variables of `messages_api.rs` (`TOKENKIND_ISSUER`,
//! `TOKENKIND_AUDIENCE`, …), and `PORT` (default 50051; 0 picks a free one).
//! The service: `proto/messages.proto` (`List` needs `read:messages`,
//! `Post` needs `write:messages`, `WhoAmI` any valid token).

use tokenkind_suite::grpc::serve;
use tokenkind_suite::messages::{server_from_env, verifier_from_env};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (verifier, dev) = verifier_from_env()?;
    let server = server_from_env(verifier)?;
    let port: u16 = std::env::var("PORT").ok().map_or(Ok(50051), |p| p.parse())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        println!("listening on {address} (gRPC)");
        if let Some(dev) = &dev {
            let reader = dev.access_token().subject("ada").scope("read:messages").expires_in(3600).sign();
            println!("\ndevelopment issuer {} — the token below is valid for one hour\n", dev.issuer());
            println!("# OK: read:messages is granted (grpcurl, https://github.com/fullstorydev/grpcurl)");
            println!(
                "grpcurl -plaintext -import-path proto -proto messages.proto -H 'authorization: Bearer {reader}' \
                 {address} messages.Messages/List\n"
            );
            println!("# PERMISSION_DENIED: posting needs write:messages");
            println!(
                "grpcurl -plaintext -import-path proto -proto messages.proto -H 'authorization: Bearer {reader}' \
                 -d '{{\"text\":\"hi\"}}' {address} messages.Messages/Post\n"
            );
        }
        serve(listener, server, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}
