//! Instruction counts under callgrind: deterministic, so a change of a few
//! hundred instructions shows on a machine whose wall-clock time drifts.
//!
//! The benchmark binary runs itself under `valgrind --tool=callgrind` with
//! [`CHILD`] and a group name; the child calls [`counted`] once per
//! measurement, in a fixed order, and callgrind collects only inside it and
//! dumps its count when it returns. The parent reads the dumps in order.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

/// The argument that makes the benchmark binary a callgrind child.
pub(crate) const CHILD: &str = "--callgrind-child";

/// The group name given to a callgrind child, if this process is one.
pub(crate) fn child_group() -> Option<String> {
    let mut args = std::env::args().skip_while(|a| a != CHILD);
    args.next()?;
    args.next()
}

/// Calls `f` `n` times; the only code callgrind counts. Never inlined, so
/// callgrind sees it by name (`--toggle-collect`, `--dump-after`).
#[inline(never)]
pub(crate) fn tokenkind_counted_region(f: &mut dyn FnMut() -> bool, n: u32) {
    for _ in 0..n {
        black_box(f());
    }
}

/// In a child: `f` called a few times uncounted (caches, lazy statics), then
/// `n` times counted.
pub(crate) fn counted(n: u32, mut f: impl FnMut() -> bool) {
    for _ in 0..3 {
        assert!(f(), "the measured call succeeds");
    }
    tokenkind_counted_region(&mut f, n);
}

/// Whether `valgrind` can be run.
pub(crate) fn available() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs this binary under callgrind as a child for `group` (with `extra`
/// arguments after it); the instructions of each [`counted`] call, in order.
pub(crate) fn run(group: &str, extra: &[&str]) -> Vec<u64> {
    let dir = std::env::temp_dir().join(format!("tokenkind-callgrind-{}-{group}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let out = dir.join("callgrind.out");
    let exe = std::env::current_exe().expect("own path");
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=*tokenkind_counted_region*",
            "--dump-instr=no",
        ])
        // No wildcard here: callgrind matches `--dump-after` exactly.
        .arg(concat!("--dump-after=", module_path!(), "::tokenkind_counted_region"))
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args([CHILD, group])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("valgrind runs");
    assert!(status.success(), "the callgrind child for {group} failed");
    let counts = dumps(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    counts
}

/// The `Ir` totals of the dump files `callgrind.out.1`, `.2`, ... in order.
fn dumps(dir: &Path) -> Vec<u64> {
    let mut counts = Vec::new();
    for i in 1.. {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("callgrind.out.{i}"))) else { break };
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("an Ir total in each dump");
        counts.push(total);
    }
    counts
}
