//! Rows as stored and objects as sent, for the resources several handlers share (users,
//! companies), and the queries that load them.

use serde::{Deserialize, Serialize};
use shared::edge::db::Db;
use shared::ids::{CompanyId, UserId};
use shared::lang::Language;
use shared::permissions::{self, Permission, Role};
use shared::{Error, Result};

pub const USER_COLUMNS: &str = "id, company_id, email, name, password_hash, role, permissions, \
                                language, status, created_at, last_login_at";

/// [`USER_COLUMNS`] qualified by the alias `u`, for joins.
pub const USER_COLUMNS_U: &str = "u.id, u.company_id, u.email, u.name, u.password_hash, u.role, \
                                  u.permissions, u.language, u.status, u.created_at, u.last_login_at";

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub permissions: String,
    pub language: String,
    pub status: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Serialize)]
pub struct UserOut {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub permissions: Vec<Permission>,
    pub language: Language,
    pub status: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        if self.role == "admin" {
            Role::Admin
        } else {
            Role::Member
        }
    }

    /// The permissions in force: an admin has them all.
    pub fn permissions(&self) -> Vec<Permission> {
        match self.role() {
            Role::Admin => permissions::ALL.to_vec(),
            Role::Member => permissions::from_storage(&self.permissions),
        }
    }

    pub fn language(&self) -> Language {
        Language::parse("language", &self.language).unwrap_or_default()
    }

    pub fn out(&self) -> UserOut {
        UserOut {
            id: self.id.clone(),
            company_id: self.company_id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role(),
            permissions: self.permissions(),
            language: self.language(),
            status: self.status.clone(),
            created_at: self.created_at.clone(),
            last_login_at: self.last_login_at.clone(),
        }
    }
}

/// A company as the API shows it (the directory entry).
pub use shared::edge::partners::CompanyOut;

pub async fn find_user(db: &Db, id: &UserId) -> Result<Option<UserRow>> {
    db.first(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        &[id],
    )
    .await
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>> {
    db.first(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
        &[&email],
    )
    .await
}

/// A user of the caller's company, or 404.
pub async fn user_in_company(db: &Db, id: &UserId, company: &CompanyId) -> Result<UserRow> {
    find_user(db, id)
        .await?
        .filter(|u| &u.company_id == company)
        .ok_or(Error::not_found("user"))
}

pub async fn find_company(db: &Db, id: &CompanyId) -> Result<Option<CompanyOut>> {
    db.first(
        "SELECT id, name, handle, created_at FROM companies WHERE id = ?1",
        &[id],
    )
    .await
}

pub async fn company(db: &Db, id: &CompanyId) -> Result<CompanyOut> {
    find_company(db, id)
        .await?
        .ok_or_else(|| Error::internal(format!("company {id} missing")))
}

/// Whether an e-mail address is in use by any access.
pub async fn email_taken(db: &Db, email: &str) -> Result<bool> {
    Ok(find_user_by_email(db, email).await?.is_some())
}

pub fn email_taken_error() -> Error {
    Error::conflict("email_taken", "this e-mail address already has an access")
}
