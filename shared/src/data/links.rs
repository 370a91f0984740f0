//! `link_tokens`: the single-use links mails carry (confirm an address, reset a password,
//! accept an invitation). Only a token's hash is stored.

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{InvitationId, UserId};
use crate::time::Time;
use crate::{secrets, Result};

named_enum! {
    /// What a link opens.
    LinkKind, "link kind" {
        Confirm = "confirm",
        Reset = "reset",
        InviteUser = "invite_user",
        InviteCompany = "invite_company",
    }
}

/// Drops a person's unused links of `kind` (a resent invitation replaces the ones before).
#[must_use]
pub fn drop_stmt(user: &UserId, kind: LinkKind) -> Statement {
    Statement::new(
        "DELETE FROM link_tokens WHERE user_id = ?1 AND kind = ?2 AND used_at IS NULL",
        &[user, &kind.as_str()],
    )
}

/// The insert of a fresh link's hash.
#[must_use]
pub fn insert_stmt(
    token: &str,
    kind: LinkKind,
    user: Option<&UserId>,
    invitation: Option<&InvitationId>,
    now: Time,
    expires_at: Time,
) -> Statement {
    Statement::new(
        "INSERT INTO link_tokens (hash, kind, user_id, invitation_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            &secrets::hash_secret(token),
            &kind.as_str(),
            &user,
            &invitation,
            &now,
            &expires_at,
        ],
    )
}

/// A link token as stored.
#[derive(Debug, Deserialize)]
pub struct LinkRow {
    pub hash: String,
    pub kind: LinkKind,
    pub user_id: Option<UserId>,
    pub invitation_id: Option<InvitationId>,
}

/// A presented link token (the secret the caller holds), if it is unused and unexpired.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, token: &str, now: Time) -> Result<Option<LinkRow>> {
    db.first(
        "SELECT hash, kind, user_id, invitation_id FROM link_tokens \
         WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        &[&secrets::hash_secret(token.trim()), &now],
    )
    .await
}

/// Uses a link up; its change count tells whether this request won (1) or a concurrent one
/// used it first (0).
#[must_use]
pub fn use_stmt(hash: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE link_tokens SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
        &[&now, &hash],
    )
}

/// Gives a used link back when the work it was used for failed, so the user can retry.
pub async fn release(db: &Db, hash: &str) {
    let _ = db
        .run(
            "UPDATE link_tokens SET used_at = NULL WHERE hash = ?1",
            &[&hash],
        )
        .await;
}
