//! `notification_settings` and `event_mails`: which event types a person wants mailed, and the
//! info mails already sent per event and person (so a redelivered event mails nobody twice).

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{CompanyId, EventId, UserId};
use crate::lang::Language;
use crate::permissions::{self, Permission, Role};
use crate::platform::Json;
use crate::time::Time;
use crate::Result;

/// A person of a company with what they chose to be mailed.
#[derive(Debug, Deserialize)]
pub struct Recipient {
    pub id: UserId,
    pub email: String,
    pub language: Language,
    pub role: Role,
    pub permissions: permissions::Stored,
    /// The chosen event types; `None`: the defaults.
    pub events: Option<Json<Vec<String>>>,
}

impl Recipient {
    /// Whether they hold `permission` (admins hold all).
    #[must_use]
    pub fn may(&self, permission: Permission) -> bool {
        self.role == Role::Admin || self.permissions.0.contains(&permission)
    }

    /// Whether they want mails of `event_type` (who never chose gets the defaults).
    #[must_use]
    pub fn wants(&self, event_type: &str) -> bool {
        match &self.events {
            Some(chosen) => chosen.0.iter().any(|t| t == event_type),
            None => crate::notice::DEFAULT_MAIL_EVENTS.contains(&event_type),
        }
    }
}

/// The active people of the company an event is for, with their choices (the consumer's).
///
/// # Errors
/// A database error.
pub async fn recipients(db: &Db, company: &CompanyId) -> Result<Vec<Recipient>> {
    db.all(
        "SELECT u.id, u.email, u.language, u.role, u.permissions, s.events FROM users u \
         LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE u.company_id = ?1 AND u.status = 'active'",
        &[company],
    )
    .await
}

/// Notes that `person` was mailed about `event`; the mail after it is written only when this
/// changed a row.
#[must_use]
pub fn mailed_stmt(event: &EventId, person: &UserId, now: Time) -> Statement {
    Statement::new(
        "INSERT OR IGNORE INTO event_mails (event_id, user_id, created_at) VALUES (?1, ?2, ?3)",
        &[event, person, &now],
    )
}

/// A person's choice.
#[derive(Debug, Deserialize)]
pub struct SettingsRow {
    pub events: Json<Vec<String>>,
    pub updated_at: Time,
}

/// The caller's own choice, if they made one.
///
/// # Errors
/// A database error.
pub async fn settings(db: &Db, user: &UserId) -> Result<Option<SettingsRow>> {
    db.first(
        "SELECT events, updated_at FROM notification_settings WHERE user_id = ?1",
        &[user],
    )
    .await
}

/// Stores the caller's choice.
///
/// # Errors
/// A database error.
pub async fn put_settings(db: &Db, user: &UserId, events: &[String], now: Time) -> Result<()> {
    db.run(
        "INSERT INTO notification_settings (user_id, events, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET events = excluded.events, \
         updated_at = excluded.updated_at",
        &[user, &Json(events.to_vec()), &now],
    )
    .await
    .map(|_| ())
}
