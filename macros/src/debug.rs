//! `TOKENKIND_MACROS_DEBUG=1` prints every expansion to stderr while compiling.

use proc_macro2::TokenStream;

const SWITCH: &str = "TOKENKIND_MACROS_DEBUG";

/// Returns `tokens`, printing them first when the switch is on.
pub(crate) fn emit(macro_name: &str, tokens: TokenStream) -> TokenStream {
    if std::env::var_os(SWITCH).is_some_and(|value| value == "1") {
        eprintln!("{SWITCH}: {macro_name} expands to:\n{tokens}\n");
    }
    tokens
}
