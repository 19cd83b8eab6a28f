//! The connect timeout: a loopback listener whose accept queue is full
//! drops new connection attempts (SYNs), so a connect hangs until the
//! fetcher's connect timeout gives up.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tokenkind::remote::{RemoteError, RemoteKeys};

/// A listener that never accepts, with its accept queue filled.
fn stuck_listener() -> Option<(TcpListener, Vec<TcpStream>)> {
    let listener = TcpListener::bind("127.0.0.1:0").ok()?;
    let addr = listener.local_addr().ok()?;
    let mut held = Vec::new();
    for _ in 0..5000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            // The queue is full: connection attempts now hang.
            Err(_) => return Some((listener, held)),
        }
    }
    None
}

#[tokio::test]
async fn connecting_gives_up_after_the_connect_timeout() {
    let Some((listener, _held)) = stuck_listener() else {
        panic!("could not fill the accept queue of a loopback listener");
    };
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let keys = RemoteKeys::jwks_uri(url).timeouts(Duration::from_millis(300), Duration::from_secs(20)).build().unwrap();
    let started = Instant::now();
    let err = keys.refresh().await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("connect gave up after {elapsed:?}: {err:?}");
    assert_eq!(err, RemoteError::Timeout);
    assert!(elapsed >= Duration::from_millis(250), "the attempt failed at once ({elapsed:?}), it did not hang");
    assert!(elapsed < Duration::from_secs(10), "gave up after {elapsed:?}, not at the connect timeout");
}
