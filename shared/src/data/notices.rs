//! `notification_settings` and `event_mails`: which event types a person wants mailed, and the
//! info mails already sent per event and person (so a redelivered event mails nobody twice).

use serde::Deserialize;

use super::{first_of, rows_of, Db, Statement};
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
    /// The event types there were when they chose.
    pub known: Option<Json<Vec<String>>>,
}

impl Recipient {
    /// Whether they hold `permission` (admins hold all).
    #[must_use]
    pub fn may(&self, permission: Permission) -> bool {
        self.role == Role::Admin || self.permissions.0.contains(&permission)
    }

    /// Whether they want mails of `event_type` ([`crate::notice::wants`]).
    #[must_use]
    pub fn wants(&self, event_type: &str) -> bool {
        crate::notice::wants(
            self.events.as_ref().map(|e| e.0.as_slice()),
            self.known.as_ref().map(|k| k.0.as_slice()),
            event_type,
        )
    }
}

/// The active people of the company an event is for, with their choices (the consumer's).
///
/// # Errors
/// A database error.
pub async fn recipients(db: &Db, company: &CompanyId) -> Result<Vec<Recipient>> {
    db.all(
        "SELECT u.id, u.email, u.language, u.role, u.permissions, s.events, s.known FROM users u \
         LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE u.company_id = ?1 AND u.status = 'active'",
        &[company],
    )
    .await
}

/// What a change between two companies needs to know before its batch, read in one round trip:
/// who of the other side is told, the names of the company and the person who act, and (for a
/// new numbered row) the next number.
#[derive(Debug, Default)]
pub struct Before {
    /// The other side's active people who hold the permission of the area (admins do), with
    /// their choices.
    pub told: Vec<Recipient>,
    pub actor_name: Option<String>,
    pub company_name: String,
    /// The `n` of the `seq` statement given (1 without one).
    pub next_seq: u64,
}

/// Reads [`Before`]: the people of `other` holding `area`, the names of `viewer` and its
/// `actor`, and the `n` that `seq` selects.
///
/// # Errors
/// A database error.
pub async fn before(
    db: &Db,
    viewer: &CompanyId,
    actor: Option<&UserId>,
    other: &CompanyId,
    area: Permission,
    seq: Option<Statement>,
) -> Result<Before> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    #[derive(Deserialize)]
    struct Seq {
        n: u64,
    }
    let mut batch = vec![
        Statement::new(
            "SELECT u.id, u.email, u.language, u.role, u.permissions, s.events, s.known FROM users u \
             LEFT JOIN notification_settings s ON s.user_id = u.id \
             WHERE u.company_id = ?1 AND u.status = 'active'",
            &[other],
        ),
        Statement::new(
            "SELECT name FROM users WHERE id = ?1 AND company_id = ?2",
            &[&actor, viewer],
        ),
        Statement::new("SELECT name FROM companies WHERE id = ?1", &[viewer]),
    ];
    batch.extend(seq);
    let out = db.batch_rows(batch).await?;
    let people: Vec<Recipient> = rows_of(out.first(), "users")?;
    Ok(Before {
        told: people.into_iter().filter(|p| p.may(area)).collect(),
        actor_name: first_of::<Name>(out.get(1))?.map(|n| n.name),
        company_name: first_of::<Name>(out.get(2))?
            .map(|n| n.name)
            .unwrap_or_default(),
        next_seq: first_of::<Seq>(out.get(3))?.map_or(1, |s| s.n),
    })
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
    pub known: Option<Json<Vec<String>>>,
    pub updated_at: Time,
}

impl SettingsRow {
    /// What they get mailed: their choice and the kinds added since.
    #[must_use]
    pub fn effective(&self) -> Vec<String> {
        crate::notice::effective(
            Some(&self.events.0),
            self.known.as_ref().map(|k| k.0.as_slice()),
        )
    }
}

/// The caller's own choice, if they made one.
///
/// # Errors
/// A database error.
pub async fn settings(db: &Db, user: &UserId) -> Result<Option<SettingsRow>> {
    db.first(
        "SELECT events, known, updated_at FROM notification_settings WHERE user_id = ?1",
        &[user],
    )
    .await
}

/// Stores the caller's choice, with the kinds there are now.
///
/// # Errors
/// A database error.
pub async fn put_settings(db: &Db, user: &UserId, events: &[String], now: Time) -> Result<()> {
    db.run(
        "INSERT INTO notification_settings (user_id, events, known, updated_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id) DO UPDATE SET events = excluded.events, \
         known = excluded.known, updated_at = excluded.updated_at",
        &[
            user,
            &Json(events.to_vec()),
            &Json(crate::notice::MAIL_EVENT_TYPES.to_vec()),
            &now,
        ],
    )
    .await
    .map(|_| ())
}
