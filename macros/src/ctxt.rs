//! Collects every error of one macro invocation so the user fixes them in
//! one pass (the `Ctxt` of `serde_derive`).

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::Span;
use quote::ToTokens;

/// Error collector; [`Ctxt::check`] must be called before it is dropped.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self { errors: RefCell::new(Some(Vec::new())) }
    }

    /// An error spanning the tokens of `node`, as the user wrote them.
    pub(crate) fn error_spanned_by(&self, node: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(node.into_token_stream(), message));
    }

    pub(crate) fn error_at(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors.borrow_mut().as_mut().expect("`Ctxt` used after `check`").push(error);
    }

    /// All collected errors, combined into one.
    pub(crate) fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().expect("`Ctxt::check` called twice");
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        assert!(
            thread::panicking() || self.errors.borrow().is_none(),
            "tokenkind-macros: a `Ctxt` was dropped without `check`"
        );
    }
}
