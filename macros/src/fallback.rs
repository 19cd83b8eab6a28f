//! What a derive emits besides its errors, so that one mistake produces one
//! message: uses of the type elsewhere still find the impls they need.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Ident};

use crate::attr::ScopesOptions;
use crate::scopes::{Entry, Kind, inner_visibility};

/// A stand-in `Scopes` impl after an error: it declares the scope strings
/// that were readable, so `#[requires_scope]` handlers elsewhere resolve, and
/// is never run (the crate does not compile).
pub(crate) fn scopes(
    input: &DeriveInput,
    entries: &[Entry<'_>],
    module: &Ident,
    kind: Kind,
    options: &ScopesOptions,
) -> TokenStream {
    let ident = &input.ident;
    let names = entries.iter().map(|e| &e.scope);
    let markers = markers(input, entries, module, false, kind);
    if kind == Kind::Acr {
        return quote! {
            impl ::tokenkind::__private::DerivedAcrValues for #ident {}
            impl ::tokenkind::__private::AcrValues for #ident {
                const NAMES: &'static [&'static str] = &[#(#names),*];
                const ALL: &'static [Self] = &[];
                const TYPE_NAME: &'static str = "";
            }
            #markers
        };
    }
    let (derived, trait_) = match kind {
        Kind::Role => (quote!(DerivedRoles), quote!(Roles)),
        _ => (quote!(DerivedScopes), quote!(Scopes)),
    };
    let associated = crate::scopes::associated(kind, options);
    quote! {
        impl ::tokenkind::__private::#derived for #ident {}
        impl ::tokenkind::__private::#trait_ for #ident {
            #associated
            const NAMES: &'static [&'static str] = &[#(#names),*];
            const ALL: &'static [Self] = &[];
            const TYPE_NAME: &'static str = "";
            fn index(&self) -> usize {
                ::core::unreachable!()
            }
            fn index_of(scope: &str) -> ::core::option::Option<usize> {
                ::tokenkind::__private::position(<Self as ::tokenkind::__private::#trait_>::NAMES, scope)
            }
            fn from_index(_: usize) -> ::core::option::Option<Self> {
                ::core::unreachable!()
            }
        }
        #markers
    }
}

/// The marker module and its impls; shared by the real expansion.
/// After an error (`valid` false) a variant may carry fields, so the
/// marker's `SCOPE` is left unevaluable instead of naming it.
pub(crate) fn markers(
    input: &DeriveInput,
    entries: &[Entry<'_>],
    module: &Ident,
    valid: bool,
    kind: Kind,
) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let inner_vis = inner_visibility(vis);
    let noun = kind.noun();
    let module_doc = format!(
        "{} markers of [`{ident}`], one per {noun}, for `Granted` proofs.",
        match kind {
            Kind::Scope => "Scope",
            Kind::Role => "Role",
            Kind::Acr => "`acr`",
        }
    );
    let markers = entries.iter().map(|entry| {
        let marker = entry.variant;
        let doc = format!("The {noun} `{}` of [`{ident}`](super::{ident}).", entry.scope.value());
        quote! {
            #[doc = #doc]
            #inner_vis enum #marker {}
        }
    });
    let impls = entries.iter().enumerate().map(|(index, entry)| {
        let marker = entry.variant;
        let scope = if valid { quote!(#ident::#marker) } else { quote!(::core::unreachable!()) };
        let name = &entry.scope;
        let marker_impl = quote! {
            impl ::tokenkind::__private::Marker for #module::#marker {
                type Set = #ident;
                const INDEX: usize = #index;
                const NAME: &'static str = #name;
            }
        };
        match kind {
            Kind::Scope => quote! {
                #marker_impl
                impl ::tokenkind::__private::DerivedScopeMarker for #module::#marker {}
                impl ::tokenkind::__private::ScopeMarker for #module::#marker {
                    type Set = #ident;
                    const INDEX: usize = #index;
                    const SCOPE: #ident = #scope;
                }
                impl ::tokenkind::__private::ScopeAt<#index> for #ident {
                    type Marker = #module::#marker;
                }
            },
            Kind::Role => quote! {
                #marker_impl
                impl ::tokenkind::__private::DerivedRoleMarker for #module::#marker {}
                impl ::tokenkind::__private::RoleMarker for #module::#marker {
                    type Set = #ident;
                    const INDEX: usize = #index;
                    const ROLE: #ident = #scope;
                }
                impl ::tokenkind::__private::RoleAt<#index> for #ident {
                    type Marker = #module::#marker;
                }
            },
            Kind::Acr => quote! {
                #marker_impl
                impl ::tokenkind::__private::DerivedAcrMarker for #module::#marker {}
                impl ::tokenkind::__private::AcrMarker for #module::#marker {
                    type Set = #ident;
                    const INDEX: usize = #index;
                }
                impl ::tokenkind::__private::AcrAt<#index> for #ident {
                    type Marker = #module::#marker;
                }
            },
        }
    });
    quote! {
        #[doc = #module_doc]
        #vis mod #module {
            #(#markers)*
        }
        #(#impls)*
    }
}
