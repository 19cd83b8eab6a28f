//! The macro crate keeps its own copy of the registered claim names that a
//! custom claims struct may not declare (a proc-macro cannot read a constant
//! of the runtime crate); this test fails when the two lists drift apart.

#[test]
fn macro_and_runtime_reserve_the_same_claim_names() {
    let source = include_str!("../macros/src/claims.rs");
    let start = source.find("const RESERVED: &[&str] = &[").expect("`RESERVED` in macros/src/claims.rs");
    let list = &source[start..];
    let list = &list[list.find("= &[").unwrap() + 3..list.find("];").expect("end of `RESERVED`")];
    let in_macro: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
    assert_eq!(in_macro, tokenkind::__private::RESERVED);
}
