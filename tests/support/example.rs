//! The examples as processes, for end-to-end tests: the binary cargo built
//! with the tests, started with a clean `TOKENKIND_*` environment and a
//! free port, killed by PID when dropped (also on panic).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An example process, killed by PID when dropped (also on panic).
pub struct Example(Child);

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `target/<profile>/examples/<name>`, built by `cargo test` with the tests.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: `cargo build --example {name}`", path.display());
    path
}

/// Starts an example with `env` and returns it with the base URL it prints.
pub fn start(name: &str, env: &[(&str, &str)]) -> (Example, String) {
    let mut command = Command::new(example_binary(name));
    command.env("PORT", "0").stdout(Stdio::piped()).stderr(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("TOKENKIND_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    let mut child = Example(command.spawn().expect("the example starts"));
    let stdout = child.0.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads every line, so the example's output pipe stays open while it runs.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("listening on ") {
                let _ = tx.send(base.to_owned());
            }
        }
    });
    let base = rx.recv_timeout(Duration::from_secs(30)).expect("the example prints `listening on …`");
    (child, base)
}
