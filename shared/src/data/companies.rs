//! `companies`: the directory of companies.

use serde::{Deserialize, Serialize};

use super::{Db, Statement};
use crate::ids::CompanyId;
use crate::time::Time;
use crate::{Error, Result};

/// The UNIQUE constraint on a company's handle.
pub const HANDLE_TAKEN: &str = "companies.handle";

/// The 409 for a handle another company has.
#[must_use]
pub fn handle_taken() -> Error {
    Error::conflict("handle_taken", "this company handle is already taken")
}

/// A company as every company sees it (the directory entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompanyOut {
    pub id: CompanyId,
    pub name: String,
    /// The company's short public name, unique.
    pub handle: String,
    pub created_at: Time,
}

/// A company by id.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, id: &CompanyId) -> Result<Option<CompanyOut>> {
    db.first(
        "SELECT id, name, handle, created_at FROM companies WHERE id = ?1",
        &[id],
    )
    .await
}

/// A company that must exist (the caller's own, say).
///
/// # Errors
/// An internal error when it does not.
pub async fn get(db: &Db, id: &CompanyId) -> Result<CompanyOut> {
    find(db, id)
        .await?
        .ok_or_else(|| Error::internal(format!("company {id} missing")))
}

/// A company by handle.
///
/// # Errors
/// A database error.
pub async fn by_handle(db: &Db, handle: &str) -> Result<Option<CompanyOut>> {
    db.first(
        "SELECT id, name, handle, created_at FROM companies WHERE handle = ?1",
        &[&handle],
    )
    .await
}

/// The directory: companies whose name or handle contains `q` (case-insensitive), newest
/// first, before the cursor `before`, at most `fetch` rows; a company that keeps itself out of
/// the directory only when `q` is its exact handle. (`instr`, not `LIKE`: D1 limits the
/// length of a `LIKE` pattern, and a plain substring needs no escaping.)
///
/// # Errors
/// A database error.
pub async fn search(db: &Db, q: &str, before: Option<&str>, fetch: u32) -> Result<Vec<CompanyOut>> {
    let needle = q.trim().to_lowercase();
    db.all(
        "SELECT id, name, handle, created_at FROM companies \
         WHERE ((listed = 1 AND (instr(lower(name), ?1) > 0 OR instr(handle, ?1) > 0)) \
           OR handle = ?1) \
         AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
        &[&needle, &before, &fetch],
    )
    .await
}

/// The insert of a new company.
#[must_use]
pub fn insert_stmt(id: &CompanyId, name: &str, handle: &str, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO companies (id, name, handle, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[id, &name, &handle, &now],
    )
}
