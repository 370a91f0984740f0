//! Who is calling: a person with an access token (verified with the public keys alone) or a
//! machine with an API key (one database lookup of its SHA-256; the data plane's workers keep
//! what they found for [`API_KEY_CACHE_SECS`]).

use std::cell::RefCell;

use super::route::Sessions;
use super::Cx;
use crate::data::{api_keys, users};
use crate::permissions::{Principal, PrincipalKind};
use crate::time::Timestamp;
use crate::token::VerifiedTokens;
use crate::{Error, Result};

/// How long a worker that trusts tokens until they expire ([`Sessions::Stateless`]: every
/// worker but the registry's) keeps an API key it looked up, so a machine's request makes no
/// database round trip for its key. The price, documented in `docs/api.md`: a revoked key may
/// keep working for up to this long on an isolate that used it just before (the registry's
/// workers, which hand out and revoke keys, always look it up). Unknown keys are not kept.
pub const API_KEY_CACHE_SECS: i64 = 30;

/// The most keys an isolate keeps (the oldest goes first).
const API_KEY_CACHE_MAX: usize = 64;

thread_local! {
    /// Tokens this isolate has verified (a worker isolate runs one request at a time per thread).
    static VERIFIED: RefCell<VerifiedTokens> = RefCell::new(VerifiedTokens::new());
    /// API keys (by hash) this isolate looked up: the caller each stands for, when it was read;
    /// oldest first. A short list: a linear search costs less code than a map.
    static KEYS: RefCell<Vec<(String, Principal, Timestamp)>> = const { RefCell::new(Vec::new()) };
}

/// The bearer credential of a request.
///
/// # Errors
/// 401 `unauthenticated` when there is none.
pub fn bearer(cx: &Cx) -> Result<String> {
    let value = cx.header("authorization").unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(Error::unauthenticated(
            "unauthenticated",
            "send Authorization: Bearer <access token or API key>",
        ));
    }
    Ok(token.to_owned())
}

/// Authenticates the caller of a request from the credentials alone (a revoked session keeps
/// working here until its access token expires; see [`check_live`]). A worker with
/// [`Sessions::Checked`] looks every API key up; the others keep a key they found for
/// [`API_KEY_CACHE_SECS`].
///
/// # Errors
/// 401 with `unauthenticated`, `token_invalid`, `token_expired` or `api_key_invalid`.
pub async fn authenticate(cx: &Cx, sessions: Sessions) -> Result<Principal> {
    let token = bearer(cx)?;
    if token.starts_with(crate::secrets::API_KEY_PREFIX) {
        return api_key(cx, &token, sessions).await;
    }
    let jwks = cx.setting("JWT_PUBLIC_KEYS")?;
    let claims = VERIFIED.with(|cache| cache.borrow_mut().verify(&jwks, &token, cx.now))?;
    Ok(Principal {
        kind: PrincipalKind::User,
        user_id: Some(claims.sub),
        api_key_id: None,
        company_id: claims.cid,
        role: claims.role,
        permissions: claims.perms,
        session_id: Some(claims.sid),
    })
}

/// The caller an API key stands for: from this isolate's recent lookups where `sessions`
/// allows, else from the database.
async fn api_key(cx: &Cx, key: &str, sessions: Sessions) -> Result<Principal> {
    let cache = sessions == Sessions::Stateless;
    // Kept by the key's hash, as the database keeps it.
    let hash = crate::secrets::hash_secret(key);
    if cache {
        let kept = KEYS.with(|keys| {
            keys.borrow()
                .iter()
                .find(|(h, _, read_at)| {
                    *h == hash
                        && (0..API_KEY_CACHE_SECS).contains(&(cx.now - *read_at).num_seconds())
                })
                .map(|(_, principal, _)| principal.clone())
        });
        if let Some(principal) = kept {
            return Ok(principal);
        }
    }
    let (principal, note) = api_keys::principal(&cx.db, key, cx.now)
        .await?
        .ok_or_else(|| {
            Error::unauthenticated("api_key_invalid", "the API key is unknown or was revoked")
        })?;
    if let Some(note) = note {
        // Bookkeeping after the answer: a failed write must not fail the request.
        let db = cx.db.clone();
        cx.env.background.spawn(Box::pin(async move {
            let _ = db.run_of(note).await;
        }));
    }
    if cache {
        KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            keys.retain(|(h, _, _)| *h != hash);
            if keys.len() >= API_KEY_CACHE_MAX {
                keys.remove(0);
            }
            keys.push((hash, principal.clone(), cx.now));
        });
    }
    Ok(principal)
}

/// Checks that a person's session was not revoked and the access not disabled, so logout and
/// disabling take effect at once (the registry's workers do this on every request).
///
/// # Errors
/// 401 `token_invalid` for an ended session or a disabled access.
pub async fn check_live(cx: &Cx, me: &Principal) -> Result<()> {
    if me.kind != PrincipalKind::User {
        return Ok(());
    }
    let (Some(user), Some(session)) = (&me.user_id, &me.session_id) else {
        return Err(revoked());
    };
    if users::session_live(&cx.db, user, session).await? {
        Ok(())
    } else {
        Err(revoked())
    }
}

/// The 401 for a session that has ended.
#[must_use]
pub fn revoked() -> Error {
    Error::unauthenticated("token_invalid", "the session has ended; log in again")
}
