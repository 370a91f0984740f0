//! `events`: the outbox. An event is written in the same batch as the change it reports, then
//! sent to the queue; the notify worker marks what it consumed, and its resender sends again
//! what stayed unmarked.

use super::{Db, Statement};
use crate::event::Event;
use crate::ids::{CompanyId, EventId};
use crate::time::Time;
use crate::Result;

/// The outbox insert for an event; put it in the same batch as the change it reports.
#[must_use]
pub fn insert_stmt(event: &Event) -> Statement {
    Statement::new(
        "INSERT INTO events (id, type, company_id, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            &event.id,
            &event.kind,
            &event.company_id,
            &event.data.to_string(),
            &event.created_at,
        ],
    )
}

/// The outbox insert for an event that reports the change made by the statement just before it
/// in the batch: it only happens when that statement changed a row, so a guarded update that
/// found its row already changed leaves no event behind.
#[must_use]
pub fn insert_if_changed_stmt(event: &Event) -> Statement {
    Statement::new(
        "INSERT INTO events (id, type, company_id, data, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() > 0",
        &[
            &event.id,
            &event.kind,
            &event.company_id,
            &event.data.to_string(),
            &event.created_at,
        ],
    )
}

/// An event as the outbox keeps it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EventRow {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: String,
    pub company_id: CompanyId,
    pub data: String,
    pub created_at: String,
}

impl EventRow {
    /// The event as it travels (its data `null` if the stored text is not JSON, which only
    /// the outbox writers could have caused).
    #[must_use]
    pub fn event(self) -> Event {
        Event {
            id: self.id,
            kind: self.kind,
            created_at: self.created_at,
            company_id: self.company_id,
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// The outbox, newest first, optionally of one company and one type (the dev endpoint).
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    company: Option<&str>,
    kind: Option<&str>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<EventRow>> {
    db.all(
        "SELECT id, type, company_id, data, created_at FROM events \
         WHERE (?1 IS NULL OR company_id = ?1) AND (?2 IS NULL OR type = ?2) \
         AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4",
        &[&company, &kind, &before, &fetch],
    )
    .await
}

/// Events still unconsumed that were written between `after` and `before` (the resender; for
/// every company or one).
///
/// # Errors
/// A database error.
pub async fn unconsumed(
    db: &Db,
    before: Time,
    after: Time,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<EventRow>> {
    db.all(
        "SELECT id, type, company_id, data, created_at FROM events \
         WHERE consumed_at IS NULL AND created_at < ?1 AND created_at > ?2 \
         AND (?4 IS NULL OR company_id = ?4) ORDER BY created_at LIMIT ?3",
        &[&before, &after, &limit, &company],
    )
    .await
}

/// One stored event (the dev resend).
///
/// # Errors
/// A database error.
pub async fn one(db: &Db, id: &EventId) -> Result<Option<EventRow>> {
    db.first(
        "SELECT id, type, company_id, data, created_at FROM events WHERE id = ?1",
        &[id],
    )
    .await
}

/// Marks events as taken off the queue (the notify consumer).
#[must_use]
pub fn consumed_stmt(ids: &[&EventId], now: Time) -> Statement {
    let list: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    Statement::new(
        "UPDATE events SET consumed_at = ?2 WHERE consumed_at IS NULL \
         AND id IN (SELECT value FROM json_each(?1))",
        &[&serde_json::to_string(&list).unwrap_or_default(), &now],
    )
}
