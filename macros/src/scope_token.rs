//! What a scope string may hold: RFC 6749 §3.3,
//! `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.

/// Why a string cannot be a scope token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The empty string.
    Empty,
    /// A space: the `scope` claim is a space-delimited list.
    Space,
    /// Any other character outside the grammar.
    Char(char),
}

/// Checks `scope` against the `scope-token` grammar.
pub(crate) fn check(scope: &str) -> Result<(), Problem> {
    if scope.is_empty() {
        return Err(Problem::Empty);
    }
    match scope.chars().find(|&c| !matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')) {
        None => Ok(()),
        Some(' ') => Err(Problem::Space),
        Some(c) => Err(Problem::Char(c)),
    }
}

/// How a rejected character is named in a message.
pub(crate) fn describe(c: char) -> String {
    match c {
        '"' => "a double quote `\"`".to_owned(),
        '\\' => "a backslash `\\`".to_owned(),
        c if c.is_whitespace() => format!("the whitespace character {c:?}"),
        c if c.is_control() => format!("the control character {c:?}"),
        c => format!("the non-ASCII character `{c}`"),
    }
}

/// The grammar, quoted in messages.
pub(crate) const RULE: &str = "RFC 6749 §3.3 allows only printable ASCII other than space, `\"` and `\\` in a scope";

#[cfg(test)]
mod tests {
    use super::{Problem, check};

    #[test]
    fn accepts_printable_ascii_tokens() {
        for ok in ["read:messages", "openid", "https://api.example.com/read", "a!#[]^_`{|}~", "x"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_what_rfc_6749_excludes() {
        assert_eq!(check(""), Err(Problem::Empty));
        assert_eq!(check("read messages"), Err(Problem::Space));
        assert_eq!(check("a\"b"), Err(Problem::Char('"')));
        assert_eq!(check("a\\b"), Err(Problem::Char('\\')));
        assert_eq!(check("a\tb"), Err(Problem::Char('\t')));
        assert_eq!(check("lire:méssages"), Err(Problem::Char('é')));
        assert_eq!(check("a\u{7f}"), Err(Problem::Char('\u{7f}')));
    }
}
