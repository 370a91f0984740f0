//! `company_invitations`: a supplier's invitation of a customer company by e-mail; accepting
//! it registers the customer and opens the relationship in one step.

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{CompanyId, InvitationId, UserId};
use crate::platform::Json;
use crate::relationship::Settings;
use crate::time::Time;
use crate::Result;

/// What a new invitation holds.
pub struct NewInvitation<'a> {
    pub id: &'a InvitationId,
    pub company_id: &'a CompanyId,
    pub invited_by: Option<&'a UserId>,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub message: Option<&'a str>,
    pub settings: &'a Settings,
    pub now: Time,
    pub expires_at: Time,
}

/// The insert of an open invitation.
#[must_use]
pub fn insert_stmt(i: &NewInvitation<'_>) -> Statement {
    Statement::new(
        "INSERT INTO company_invitations (id, company_id, invited_by, email, name, \
         company_name, message, settings, status, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9, ?10)",
        &[
            i.id,
            i.company_id,
            &i.invited_by,
            &i.email,
            &i.name,
            &i.company_name,
            &i.message,
            &Json(i.settings.clone()),
            &i.now,
            &i.expires_at,
        ],
    )
}

/// An open invitation, as its acceptance needs it.
#[derive(Debug, Deserialize)]
pub struct InvitationRow {
    pub company_id: CompanyId,
    pub email: String,
    pub name: Option<String>,
    pub company_name: Option<String>,
    pub settings: Json<Settings>,
}

/// The open invitation a link names (the link is the secret the caller holds).
///
/// # Errors
/// A database error.
pub async fn open(db: &Db, id: &InvitationId) -> Result<Option<InvitationRow>> {
    db.first(
        "SELECT company_id, email, name, company_name, settings \
         FROM company_invitations WHERE id = ?1 AND status = 'open'",
        &[id],
    )
    .await
}

/// Marks an invitation accepted.
#[must_use]
pub fn accept_stmt(id: &InvitationId, now: Time) -> Statement {
    Statement::new(
        "UPDATE company_invitations SET status = 'accepted', accepted_at = ?1 WHERE id = ?2",
        &[&now, id],
    )
}
