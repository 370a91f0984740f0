//! `api_keys`: keys for machines. Only a key's SHA-256 is stored; a key acts for its company as
//! a member with the permissions it was given.

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{ApiKeyId, CompanyId, UserId};
use crate::permissions::{self, Principal, PrincipalKind, Role};
use crate::time::{Time, Timestamp};
use crate::{secrets, Result};

/// How often (at most) a key's `last_used_at` is written.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// A key as the API shows it (never the key itself).
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub permissions: permissions::Stored,
    pub created_at: Time,
    pub last_used_at: Option<Time>,
    pub revoked_at: Option<Time>,
}

const COLUMNS: &str = "id, name, prefix, permissions, created_at, last_used_at, revoked_at";

/// The caller a key stands for, found by the key itself (the secret the caller holds); `None`
/// for an unknown or revoked key. With it, the statement that notes the key's use, when its
/// `last_used_at` is older than a minute (best effort, for the caller to run after the answer).
///
/// # Errors
/// A database error.
pub async fn principal(
    db: &Db,
    key: &str,
    now: Timestamp,
) -> Result<Option<(Principal, Option<Statement>)>> {
    #[derive(Deserialize)]
    struct Row {
        id: ApiKeyId,
        company_id: CompanyId,
        permissions: permissions::Stored,
        last_used_at: Option<Time>,
    }
    let row: Option<Row> = db
        .first(
            "SELECT id, company_id, permissions, last_used_at FROM api_keys \
             WHERE hash = ?1 AND revoked_at IS NULL",
            &[&secrets::hash_secret(key)],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let fresh = row
        .last_used_at
        .is_some_and(|t| (now - t.0).num_seconds() < LAST_USED_RESOLUTION_SECS);
    let note = (!fresh).then(|| {
        Statement::new(
            "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
            &[&Time(now), &row.id],
        )
    });
    let principal = Principal {
        kind: PrincipalKind::ApiKey,
        user_id: None,
        api_key_id: Some(row.id),
        company_id: row.company_id,
        role: Role::Member,
        permissions: row.permissions.0,
        session_id: None,
    };
    Ok(Some((principal, note)))
}

/// One of the viewer's keys.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, viewer: &CompanyId, id: &ApiKeyId) -> Result<Option<ApiKeyRow>> {
    db.first(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1 AND company_id = ?2"),
        &[id, viewer],
    )
    .await
}

/// A page of the viewer's keys, newest first.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<ApiKeyRow>> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM api_keys WHERE company_id = ?1 AND (?2 IS NULL OR id < ?2) \
             ORDER BY id DESC LIMIT ?3"
        ),
        &[viewer, &before, &fetch],
    )
    .await
}

/// What a new key row holds.
pub struct NewApiKey<'a> {
    pub id: &'a ApiKeyId,
    pub company_id: &'a CompanyId,
    pub name: &'a str,
    /// The key itself; only its hash and display prefix are stored.
    pub key: &'a str,
    pub permissions: &'a [permissions::Permission],
    pub created_by: Option<&'a UserId>,
    pub now: Time,
}

/// The insert of a new key.
#[must_use]
pub fn insert_stmt(k: &NewApiKey<'_>) -> Statement {
    Statement::new(
        "INSERT INTO api_keys (id, company_id, name, prefix, hash, permissions, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            k.id,
            k.company_id,
            &k.name,
            &secrets::display_prefix(k.key),
            &secrets::hash_secret(k.key),
            &permissions::to_storage(k.permissions),
            &k.created_by,
            &k.now,
        ],
    )
}

/// Stores a new key.
///
/// # Errors
/// A database error.
pub async fn insert(db: &Db, k: &NewApiKey<'_>) -> Result<()> {
    db.run_of(insert_stmt(k)).await.map(|_| ())
}

/// Revokes one of the viewer's keys; changes a row only the first time.
#[must_use]
pub fn revoke_stmt(viewer: &CompanyId, id: &ApiKeyId, now: Time) -> Statement {
    Statement::new(
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND company_id = ?3 \
         AND revoked_at IS NULL",
        &[&now, id, viewer],
    )
}

/// Whether the viewer has the key (revoked or not): a row when it does.
#[must_use]
pub fn exists_stmt(viewer: &CompanyId, id: &ApiKeyId) -> Statement {
    Statement::new(
        "SELECT 1 AS found FROM api_keys WHERE id = ?1 AND company_id = ?2",
        &[id, viewer],
    )
}

/// A key's name (for the records an API key's action leaves).
///
/// # Errors
/// A database error.
pub async fn name(db: &Db, viewer: &CompanyId, id: &ApiKeyId) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT name FROM api_keys WHERE id = ?1 AND company_id = ?2",
            &[id, viewer],
        )
        .await?;
    Ok(row.map(|r| r.name))
}
