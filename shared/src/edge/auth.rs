//! Who is calling: a person with an access token (verified with the public keys alone) or a
//! machine with an API key (one D1 lookup of its SHA-256).

use std::cell::RefCell;

use serde::Deserialize;
use worker::{Env, Request};

use super::db::Db;
use super::{header, setting};
use crate::ids::{ApiKeyId, CompanyId};
use crate::permissions::{self, Principal, PrincipalKind, Role};
use crate::time::{self, Timestamp};
use crate::token::VerifiedTokens;
use crate::{secrets, Error, Result};

thread_local! {
    /// Tokens this isolate has verified (a worker isolate runs one request at a time per thread).
    static VERIFIED: RefCell<VerifiedTokens> = RefCell::new(VerifiedTokens::new());
}

/// How often (at most) an API key's `last_used_at` is written.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// The bearer credential of a request.
///
/// # Errors
/// 401 `unauthenticated` when there is none.
pub fn bearer(req: &Request) -> Result<String> {
    let value = header(req, "authorization").unwrap_or_default();
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

/// Authenticates the caller of a request.
///
/// # Errors
/// 401 with `unauthenticated`, `token_invalid`, `token_expired` or `api_key_invalid`.
pub async fn authenticate(req: &Request, env: &Env, db: &Db, now: Timestamp) -> Result<Principal> {
    let token = bearer(req)?;
    if token.starts_with("tp_") {
        return api_key_principal(&token, db, now).await;
    }
    let jwks = setting(env, "JWT_PUBLIC_KEYS")?;
    let claims = VERIFIED.with(|cache| cache.borrow_mut().verify(&jwks, &token, now))?;
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

#[derive(Deserialize)]
struct KeyRow {
    id: ApiKeyId,
    company_id: CompanyId,
    permissions: String,
    last_used_at: Option<String>,
}

async fn api_key_principal(key: &str, db: &Db, now: Timestamp) -> Result<Principal> {
    let row: Option<KeyRow> = db
        .first(
            "SELECT id, company_id, permissions, last_used_at FROM api_keys \
             WHERE hash = ?1 AND revoked_at IS NULL",
            &[&secrets::hash_secret(key)],
        )
        .await?;
    let row = row.ok_or_else(|| {
        Error::unauthenticated("api_key_invalid", "the API key is unknown or was revoked")
    })?;
    let fresh = row
        .last_used_at
        .as_deref()
        .and_then(|t| time::parse("last_used_at", t).ok())
        .is_some_and(|t| (now - t).num_seconds() < LAST_USED_RESOLUTION_SECS);
    if !fresh {
        // Best effort: a failed bookkeeping write must not fail the request.
        let _ = db
            .run(
                "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
                &[&time::format(now), &row.id],
            )
            .await;
    }
    Ok(Principal {
        kind: PrincipalKind::ApiKey,
        user_id: None,
        api_key_id: Some(row.id),
        company_id: row.company_id,
        role: Role::Member,
        permissions: permissions::from_storage(&row.permissions),
        session_id: None,
    })
}
