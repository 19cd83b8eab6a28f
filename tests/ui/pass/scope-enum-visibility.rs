#![deny(warnings)]

use tokenkind::{Granted, ScopeMarker, Scopes};

pub(crate) mod api {
    use tokenkind::{ScopeMarker, Scopes};

    /// Crate-visible scopes.
    #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
    pub(crate) enum Api {
        #[scope("read:messages")]
        ReadMessages,
    }

    pub(crate) mod nested {
        use tokenkind::{ScopeMarker, Scopes};

        /// Scopes visible in `api` only.
        #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        pub(super) enum Internal {
            #[scope("internal")]
            Internal,
        }

        /// Scopes visible in `nested` only.
        #[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
        enum Private {
            #[scope("private")]
            Private,
        }

        pub(super) fn private_index() -> usize {
            <private_scope::Private as ScopeMarker>::INDEX + Private::Private as usize
        }
    }

    pub(crate) fn internal_name() -> &'static str {
        assert_eq!(nested::Internal::Internal.as_str(), "internal");
        <<nested::internal_scope::Internal as ScopeMarker>::Set as Scopes>::NAMES[0]
    }

    pub(crate) fn private_index() -> usize {
        nested::private_index()
    }
}

/// Public scopes, reachable from everywhere.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PublicApi {
    #[scope("public")]
    Public,
}

fn takes(_proof: Option<Granted<api::api_scope::ReadMessages>>) {}

fn main() {
    takes(None);
    assert_eq!(api::internal_name(), "internal");
    assert_eq!(api::private_index(), 0);
    assert_eq!(api::Api::ReadMessages.as_str(), "read:messages");
    assert_eq!(<public_api_scope::Public as ScopeMarker>::INDEX, 0);
    assert_eq!(PublicApi::Public.as_str(), "public");
}
