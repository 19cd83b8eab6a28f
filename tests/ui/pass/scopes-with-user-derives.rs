#![deny(warnings)]

use std::collections::HashSet;

use tokenkind::Scopes;

// Any of the user's own derives sit beside `Scopes` without duplicate impls.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum All {
    #[scope("a")]
    A,
}

#[derive(Scopes, Debug)]
enum DebugOnly {
    #[scope("a")]
    A,
}

#[derive(Clone, Scopes)]
enum CloneBefore {
    #[scope("a")]
    A,
}

#[derive(Scopes, PartialEq, Eq, Hash)]
enum Hashed {
    #[scope("a")]
    A,
}

#[derive(Scopes, Clone, Copy)]
#[derive(PartialOrd, Ord, PartialEq, Eq)]
enum Ordered {
    #[scope("a")]
    A,
}

fn main() {
    let set: HashSet<All> = All::ALL.iter().copied().collect();
    assert!(set.contains(&All::A));
    assert_eq!(format!("{:?}", DebugOnly::A), "A");
    assert_eq!(CloneBefore::A.clone().as_str(), "a");
    assert!(Hashed::A == Hashed::A);
    assert!(Ordered::A <= Ordered::A);
}
