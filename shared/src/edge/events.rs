//! Writing events: a row in the `events` outbox inside the caller's batch, then the queue.

use serde::Serialize;
use worker::{D1PreparedStatement, Env, Queue, QueueContentType, RawMessageBuilder};

use super::db::Db;
use crate::event::Event;
use crate::Result;

/// The outbox insert for an event; put it in the same batch as the change it reports.
///
/// # Errors
/// Internal error if the statement cannot be prepared.
pub fn outbox_stmt(db: &Db, event: &Event) -> Result<D1PreparedStatement> {
    let data = event.data.to_string();
    db.stmt(
        "INSERT INTO events (id, type, company_id, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            &event.id,
            &event.kind,
            &event.company_id,
            &data,
            &event.created_at,
        ],
    )
}

/// The outbox insert for an event that reports the change made by the statement just before it
/// in the batch: it only happens when that statement changed a row, so a guarded update that
/// found its row already changed leaves no event behind.
///
/// # Errors
/// Internal error if the statement cannot be prepared.
pub fn outbox_stmt_if_changed(db: &Db, event: &Event) -> Result<D1PreparedStatement> {
    let data = event.data.to_string();
    db.stmt(
        "INSERT INTO events (id, type, company_id, data, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() > 0",
        &[
            &event.id,
            &event.kind,
            &event.company_id,
            &data,
            &event.created_at,
        ],
    )
}

/// Sends committed events to the `tradepost-events` queue. A failure is logged, not returned:
/// the change has happened and the outbox row keeps the event for a later resend.
pub async fn publish(env: &Env, events: &[Event]) {
    let queue = match env.queue("EVENTS") {
        Ok(q) => q,
        Err(e) => {
            worker::console_error!("queue EVENTS missing: {e}");
            return;
        }
    };
    for event in events {
        if let Err(e) = send_json(&queue, event).await {
            worker::console_error!("queueing {} failed: {e}", event.id);
        }
    }
}

/// Sends a value to a queue as a JSON message. `Queue::send` of worker 0.8 would turn every JSON
/// object inside it (an event's `data`) into a JS `Map`, which a JSON message carries as `{}`;
/// parsing the JSON text gives plain objects instead.
///
/// # Errors
/// Internal error when the value cannot be serialised or the queue refuses it.
pub async fn send_json<T: Serialize>(queue: &Queue, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(super::internal)?;
    let message = js_sys::JSON::parse(&text)
        .map_err(|_| crate::Error::internal("a queue message is not JSON"))?;
    queue
        .send_raw(RawMessageBuilder::new(message).build_with_content_type(QueueContentType::Json))
        .await
        .map_err(super::internal)
}
