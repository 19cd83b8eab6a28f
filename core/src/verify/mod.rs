//! Verifiers (stub while the module is written).
#![allow(missing_docs, dead_code)]
use crate::{AccessToken, IdToken, Error, Scopes, NoClaims};
use core::marker::PhantomData;
pub struct AccessTokenVerifier<S, C = NoClaims>(PhantomData<(S, C)>);
pub struct AccessTokenVerifierBuilder<S, C = NoClaims>(PhantomData<(S, C)>);
pub struct IdTokenVerifier<C = NoClaims>(PhantomData<C>);
pub struct IdTokenVerifierBuilder<C = NoClaims>(PhantomData<C>);
pub trait Clock {}
pub enum Nonce<'a> { Expected(&'a str), NotRequested }
pub enum Profile { Rfc9068 }
impl<S: Scopes, C> AccessTokenVerifier<S, C> { pub fn verify(&self, _t: &str) -> Result<AccessToken<S, C>, Error> { unimplemented!() } }
impl<C> IdTokenVerifier<C> { pub fn verify(&self, _t: &str, _n: Nonce<'_>) -> Result<IdToken<C>, Error> { unimplemented!() } }
