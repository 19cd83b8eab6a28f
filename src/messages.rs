//! The messages API shared by the `messages_api` (axum) and
//! `messages_api_actix` examples and their end-to-end tests: the scope enum,
//! the store, and the configuration read from the environment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokenkind::dev::{DevIssuer, DpopKey};
use tokenkind::http::{DpopNonceKey, DpopPolicy, RedisReplayStore, ResourceMetadata, ResourceServer};
use tokenkind::remote::{ClientAuth, Introspection};
use tokenkind::step_up::AuthenticatedWithin;
use tokenkind::verify::Introspect;
use tokenkind::{AccessTokenVerifier, AcrValues, Granted, KeySet, Profile, RoleSource, Roles, Scopes};

/// The scopes this API declares (what a *client* may be granted), naming
/// the user roles and the authentication levels it also checks.
#[derive(Scopes, Clone, Copy, PartialEq, Eq, Debug)]
#[scopes(roles = Role, acr = Acr)]
#[allow(clippy::enum_variant_names)] // the variants mirror the scope strings
pub enum Api {
    /// Read the messages.
    #[scope("read:messages")]
    ReadMessages,
    /// Post a message.
    #[scope("write:messages")]
    WriteMessages,
    /// Delete a message.
    #[scope("delete:messages")]
    DeleteMessages,
}

/// The user roles this API checks (what a *user* may do), read from the
/// profile's role claim (`roles` under the strict profile).
#[derive(Roles, Clone, Copy, PartialEq, Eq, Debug)]
#[roles(module = user_role)]
pub enum Role {
    /// Sees the administration summary.
    #[role("admin")]
    Admin,
}

/// The authentication levels (`acr` values) this API asks for.
#[derive(AcrValues)]
pub enum Acr {
    /// Multi-factor authentication.
    #[acr("mfa")]
    Mfa,
}

/// A posted message.
#[derive(Clone, Serialize)]
pub struct Message {
    /// The message's id.
    pub id: u64,
    /// The `sub` of the token that posted it.
    pub author: String,
    /// The text.
    pub text: String,
}

/// The body of `POST /api/messages`.
#[derive(Deserialize)]
pub struct NewMessage {
    /// The text.
    pub text: String,
}

/// The in-memory message store. Deleting needs proof that `delete:messages` was checked.
#[derive(Clone, Default)]
pub struct Store(Arc<Mutex<(u64, Vec<Message>)>>);

impl Store {
    /// Every message.
    pub fn list(&self) -> Vec<Message> {
        self.0.lock().map(|g| g.1.clone()).unwrap_or_default()
    }

    /// Adds a message; needs proof that `write:messages` was checked.
    pub fn add(&self, _: Granted<'_, api_scope::WriteMessages>, author: &str, text: String) -> Message {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.0 += 1;
        let message = Message { id: guard.0, author: author.to_owned(), text };
        guard.1.push(message.clone());
        message
    }

    /// What an administrator sees; needs proof that the user holds `admin`.
    pub fn summary(&self, _: Granted<'_, user_role::Admin>) -> serde_json::Value {
        let messages = self.list();
        let mut authors: Vec<&str> = messages.iter().map(|m| &*m.author).collect();
        authors.sort_unstable();
        authors.dedup();
        serde_json::json!({ "messages": messages.len(), "authors": authors })
    }

    /// Deletes every message; needs proof that `delete:messages` was
    /// checked and that the user authenticated within the last 300 seconds.
    pub fn clear(&self, _: Granted<'_, api_scope::DeleteMessages>, _: AuthenticatedWithin<'_, 300>) -> usize {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = guard.1.len();
        guard.1.clear();
        count
    }

    /// Deletes a message; needs proof that `delete:messages` was checked.
    pub fn delete(&self, _: Granted<'_, api_scope::DeleteMessages>, id: u64) -> bool {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = guard.1.len();
        guard.1.retain(|m| m.id != id);
        guard.1.len() != before
    }
}

/// The verifier the environment asks for, and the development issuer when
/// no issuer is configured.
///
/// # Errors
/// A message saying which variable is missing or wrong.
pub fn verifier_from_env() -> Result<(AccessTokenVerifier<Api>, Option<DevIssuer>), String> {
    let Ok(issuer) = std::env::var("TOKENKIND_ISSUER") else {
        let dev = DevIssuer::new();
        let verifier = dev.access_token_verifier::<Api>().build().map_err(|e| e.to_string())?;
        return Ok((verifier, Some(dev)));
    };
    let audience =
        std::env::var("TOKENKIND_AUDIENCE").map_err(|_| "TOKENKIND_AUDIENCE must be set with TOKENKIND_ISSUER")?;
    let profile = match std::env::var("TOKENKIND_PROFILE") {
        Ok(name) => Profile::from_name(&name).ok_or_else(|| format!("unknown TOKENKIND_PROFILE {name:?}"))?,
        Err(_) => Profile::default(),
    };
    let mut builder = AccessTokenVerifier::<Api>::builder(issuer.clone(), audience).profile(profile);
    // The user's roles: the profile's claim unless one is named.
    if let Ok(claim) = std::env::var("TOKENKIND_ROLE_CLAIM") {
        builder = builder.roles_from(RoleSource::claim(claim));
    } else if let Ok(client) = std::env::var("TOKENKIND_KEYCLOAK_CLIENT") {
        builder = builder.roles_from(RoleSource::keycloak_client(client));
    }
    // Keys: from TOKENKIND_JWKS_FILE when set (no discovery), else from
    // TOKENKIND_JWKS_URI, else by discovery of the issuer.
    let builder = if let Ok(path) = std::env::var("TOKENKIND_JWKS_FILE") {
        let jwks = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        builder.keys(KeySet::from_jwks(&jwks).map_err(|e| format!("{path}: {e}"))?)
    } else if let Ok(url) = std::env::var("TOKENKIND_JWKS_URI") {
        builder.jwks_uri(url)
    } else {
        builder.discovery()
    };
    let builder = match introspection_from_env(&issuer)? {
        Some((introspection, which)) => builder.introspection(introspection, which),
        None => builder,
    };
    let verifier = builder.build().map_err(|e| e.to_string())?;
    Ok((verifier, None))
}

/// Token introspection (RFC 7662) as the environment asks for it:
///
/// | variable | meaning |
/// |---|---|
/// | `TOKENKIND_INTROSPECTION` | `off` (default), `opaque` (JWTs verified locally, other tokens introspected) or `always` |
/// | `TOKENKIND_INTROSPECTION_URL` | the introspection endpoint (default: `introspection_endpoint` from the issuer's discovery) |
/// | `TOKENKIND_CLIENT_ID`, `TOKENKIND_CLIENT_SECRET` | this API's client credentials at the endpoint (`client_secret_basic`) |
/// | `TOKENKIND_INTROSPECTION_CACHE_SECS` | the longest an answer is reused, in seconds (default 60): a revoked token is refused at most this long after |
/// | `TOKENKIND_INTROSPECTION_WITHOUT_SUBJECT` | `1`: accept answers without `sub` (client-credentials tokens), the client id then being the subject (default: refused) |
///
/// # Errors
/// A message saying which variable is missing or wrong.
pub fn introspection_from_env(issuer: &str) -> Result<Option<(Introspection, Introspect)>, String> {
    let which = match std::env::var("TOKENKIND_INTROSPECTION").as_deref() {
        Err(_) | Ok("off") => return Ok(None),
        Ok("opaque") => Introspect::OpaqueTokens,
        Ok("always") => Introspect::EveryToken,
        Ok(other) => return Err(format!("TOKENKIND_INTROSPECTION must be off, opaque or always, not {other:?}")),
    };
    let (Ok(client_id), Ok(secret)) = (std::env::var("TOKENKIND_CLIENT_ID"), std::env::var("TOKENKIND_CLIENT_SECRET"))
    else {
        return Err("TOKENKIND_INTROSPECTION needs TOKENKIND_CLIENT_ID and TOKENKIND_CLIENT_SECRET".into());
    };
    let builder = match std::env::var("TOKENKIND_INTROSPECTION_URL") {
        Ok(url) => Introspection::endpoint(url),
        Err(_) => Introspection::discover(issuer),
    };
    let cache = match std::env::var("TOKENKIND_INTROSPECTION_CACHE_SECS") {
        Ok(secs) => secs
            .parse::<u64>()
            .map_err(|_| format!("TOKENKIND_INTROSPECTION_CACHE_SECS must be a number of seconds, not {secs:?}"))?,
        Err(_) => 60,
    };
    let builder = match std::env::var("TOKENKIND_INTROSPECTION_WITHOUT_SUBJECT").as_deref() {
        Err(_) | Ok("0") => builder,
        Ok("1") => builder.allow_responses_without_subject(),
        Ok(other) => return Err(format!("TOKENKIND_INTROSPECTION_WITHOUT_SUBJECT must be 0 or 1, not {other:?}")),
    };
    let introspection = builder
        .client_auth(ClientAuth::client_secret_basic(client_id, secret))
        .cache_max_age(Duration::from_secs(cache))
        .build()
        .map_err(|e| format!("introspection: {e}"))?;
    Ok(Some((introspection, which)))
}

/// The resource server around `verifier`, its HTTP policy from the environment:
///
/// | variable | meaning |
/// |---|---|
/// | `TOKENKIND_DPOP` | `off` (default), `allowed` (bearer and DPoP-bound tokens) or `required` (DPoP-bound only) |
/// | `TOKENKIND_DPOP_NONCE` | `1`: DPoP proofs must carry a server nonce (RFC 9449 §9) |
/// | `TOKENKIND_REDIS_URL` | `redis://host:port/`: DPoP proofs are remembered in Redis, shared by every instance (default: in memory) |
/// | `TOKENKIND_PUBLIC_ORIGIN` | the origin clients call (`https://api.example`), which DPoP proofs name in `htu`; default: the scheme and `Host` each request arrives with |
///
/// When the audience is a resource identifier (an `https` URL, or `http` on
/// a loopback host), the server also has RFC 9728 protected-resource
/// metadata, and every challenge names its URL.
pub fn server_from_env(verifier: AccessTokenVerifier<Api>) -> Result<ResourceServer<Api>, String> {
    let audience = verifier.audience().to_owned();
    let policy = match std::env::var("TOKENKIND_DPOP").as_deref() {
        Err(_) | Ok("off") => None,
        Ok("allowed") => Some(DpopPolicy::allowed()),
        Ok("required") => Some(DpopPolicy::required()),
        Ok(other) => return Err(format!("TOKENKIND_DPOP must be off, allowed or required, not {other:?}")),
    };
    let nonces = match std::env::var("TOKENKIND_DPOP_NONCE").as_deref() {
        Err(_) | Ok("0") => false,
        Ok("1") => true,
        Ok(other) => return Err(format!("TOKENKIND_DPOP_NONCE must be 0 or 1, not {other:?}")),
    };
    let policy = match (policy, std::env::var("TOKENKIND_REDIS_URL")) {
        (Some(policy), Ok(url)) => Some(policy.replay_store(RedisReplayStore::new(&url).map_err(|e| e.to_string())?)),
        (None, Ok(_)) => return Err("TOKENKIND_REDIS_URL needs TOKENKIND_DPOP=allowed or required".into()),
        (policy, Err(_)) => policy,
    };
    let mut builder = ResourceServer::builder(verifier);
    match (policy, nonces) {
        (Some(policy), true) => {
            let key = DpopNonceKey::generate().map_err(|e| e.to_string())?;
            builder = builder.dpop(policy.nonces(key));
        }
        (Some(policy), false) => builder = builder.dpop(policy),
        (None, true) => return Err("TOKENKIND_DPOP_NONCE needs TOKENKIND_DPOP=allowed or required".into()),
        (None, false) => {}
    }
    if let Ok(origin) = std::env::var("TOKENKIND_PUBLIC_ORIGIN") {
        builder = builder.public_origin(origin);
    }
    // RFC 9728 metadata, at the location derived from the audience, when the
    // audience is a resource identifier (an https URL; http on loopback).
    if audience.starts_with("https://") || audience.starts_with("http://") {
        builder = builder.protected_resource_metadata(ResourceMetadata::new().resource_name("Messages API"));
    } else {
        eprintln!("no protected-resource metadata: the audience {audience:?} is not a URL");
    }
    builder.build().map_err(|e| e.to_string())
}

/// Ready-to-paste commands that show a 200, a 403 and a 401, with DPoP on a
/// DPoP-bound token with its proof, then the user role and step-up routes.
pub fn print_try_it(base: &str, dev: &DevIssuer, server: &ResourceServer<Api>) {
    print_bearer(base, dev);
    if server.dpop().is_some() {
        let key = DpopKey::new();
        let url = format!("{base}/api/messages");
        let token = dev.access_token().subject("ada").scope("read:messages").expires_in(3600).dpop_bound(&key).sign();
        let proof = key.proof("GET", &url).access_token(&token).sign();
        println!("# 200: a DPoP-bound token with its proof (a proof is good once, for 5 minutes, for this URL;");
        println!("#      with server nonces on, the first answer is 401 use_dpop_nonce with a DPoP-Nonce header)");
        println!("curl -i {url} -H 'Authorization: DPoP {token}' -H 'DPoP: {proof}'\n");
        println!("# 401: the same token without its proof, as a bearer token");
        println!("curl -i {url} -H 'Authorization: Bearer {token}'\n");
    }
    print_roles_and_step_up(base, dev);
}

/// Commands for `GET /api/admin` (a user role) and `DELETE /api/messages`
/// (step-up authentication).
fn print_roles_and_step_up(base: &str, dev: &DevIssuer) {
    let reader = dev.access_token().subject("ada").scope("read:messages").expires_in(3600).sign();
    let admin = dev
        .access_token()
        .subject("ada")
        .scope("read:messages")
        .claim("roles", serde_json::json!(["admin"]))
        .expires_in(3600)
        .sign();
    println!("# 200: the admin summary needs read:messages and the user role admin");
    println!("curl -i {base}/api/admin -H 'Authorization: Bearer {admin}'\n");
    println!("# 403 (no error code): read:messages alone, without the role");
    println!("curl -i {base}/api/admin -H 'Authorization: Bearer {reader}'\n");
    let deleter = || dev.access_token().subject("ada").scope("delete:messages").expires_in(3600);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let stepped_up = deleter().claim("acr", "mfa").claim("auth_time", now).sign();
    println!(
        "# 204: deleting every message needs delete:messages and acr mfa within 300 s (this token: for 5 minutes)"
    );
    println!("curl -i -X DELETE {base}/api/messages -H 'Authorization: Bearer {stepped_up}'\n");
    println!("# 401 insufficient_user_authentication, acr_values=\"mfa\", max_age=\"300\": no step-up");
    println!("curl -i -X DELETE {base}/api/messages -H 'Authorization: Bearer {}'\n", deleter().sign());
}

fn print_bearer(base: &str, dev: &DevIssuer) {
    let reader = dev.access_token().subject("ada").scope("read:messages").expires_in(3600).sign();
    let id_token = dev.id_token().subject("ada").nonce("n-0S6_WzA2Mj").expires_in(3600).sign();
    println!("\ndevelopment issuer {} — tokens below are valid for one hour\n", dev.issuer());
    println!("# 200: read:messages is granted");
    println!("curl -i {base}/api/messages -H 'Authorization: Bearer {reader}'\n");
    println!("# 403: posting needs write:messages");
    println!(
        "curl -i -X POST {base}/api/messages -H 'Authorization: Bearer {reader}' -H 'Content-Type: application/json' -d '{{\"text\":\"hi\"}}'\n"
    );
    println!("# 401: an ID token is not an access token");
    println!("curl -i {base}/api/messages -H 'Authorization: Bearer {id_token}'\n");
}
