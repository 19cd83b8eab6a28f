//! Compile-fail and compile-pass cases of the macros (trybuild).
//!
//! The `.stderr` files are compiler output, so they are checked on one
//! compiler only: Rust 1.95 stable. Regenerate them with
//! `TRYBUILD=overwrite cargo test -p tokenkind-suite --test ui` and review the diff.

#[rustversion::attr(not(stable(1.95)), ignore = "the compile-fail messages are checked on Rust 1.95 stable")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
