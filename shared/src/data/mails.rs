//! `mails`: every outgoing mail, as rendered. Written in the same batch as the change that
//! caused it, so a mail is never lost and never sent for a change that did not happen. Locally
//! the table is the mailbox (`GET /v1/dev/mail`).

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{CompanyId, MailId};
use crate::lang::Language;
use crate::time::Time;
use crate::Result;

/// A mail to write.
pub struct NewMail<'a> {
    pub to: &'a str,
    pub language: Language,
    /// The template's name (`confirm_email`, `document_received`, …).
    pub template: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub now: Time,
}

/// The insert of a mail; with `if_changed`, only when the statement before it in the batch
/// changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness (for the id).
pub fn insert_stmt(m: &NewMail<'_>, if_changed: bool) -> Result<Statement> {
    let sql = if if_changed {
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0"
    } else {
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    };
    Ok(Statement::new(
        sql,
        &[
            &MailId::new(m.now.0)?,
            &m.to,
            &m.language.as_str(),
            &m.template,
            &m.subject,
            &m.text,
            &m.now,
        ],
    ))
}

/// How many mails of `template` went to `to` after `since` (the reset mail limit).
///
/// # Errors
/// A database error.
pub async fn count_since(db: &Db, to: &str, template: &str, since: Time) -> Result<u64> {
    #[derive(Deserialize)]
    struct Count {
        n: u64,
    }
    let row: Option<Count> = db
        .first(
            "SELECT COUNT(*) AS n FROM mails WHERE to_email = ?1 AND template = ?2 \
             AND created_at > ?3",
            &[&to, &template, &since],
        )
        .await?;
    Ok(row.map_or(0, |c| c.n))
}

/// A mail as stored.
#[derive(Debug, Deserialize)]
pub struct MailRow {
    pub id: MailId,
    pub to_email: String,
    pub language: Language,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub created_at: Time,
}

/// The local mailbox: mails to `to` (all when `None`), newest first (dev only).
///
/// # Errors
/// A database error.
pub async fn mailbox(
    db: &Db,
    to: Option<&str>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<MailRow>> {
    db.all(
        "SELECT id, to_email, language, template, subject, body, created_at FROM mails \
         WHERE (?1 IS NULL OR to_email = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
        &[&to, &before, &fetch],
    )
    .await
}

/// Who gets a company's admin mail: its active admins.
#[derive(Debug, Deserialize)]
pub struct Admin {
    pub email: String,
    pub language: Language,
}

/// The active admins of a company.
///
/// # Errors
/// A database error.
pub async fn admins(db: &Db, company: &CompanyId) -> Result<Vec<Admin>> {
    db.all(
        "SELECT email, language FROM users WHERE company_id = ?1 AND role = 'admin' \
         AND status = 'active'",
        &[company],
    )
    .await
}
