//! The consumer of the `tradepost-events` queue and the cron beside it.
//!
//! A message is either an [`Event`] (from any worker, or the resender) or an
//! [`AttemptMessage`] (a retry, a replay or a ping, from this worker). For an event: mark it
//! consumed, add one delivery per matching enabled endpoint (the unique key (endpoint, event)
//! makes a redelivered message add nothing), write the info mails, and (once the batch is
//! acked) attempt the deliveries not yet attempted. The cron resends events no consumer marked (a producer's `queue.send` can fail
//! after its commit) and re-queues attempts whose retry message got lost.

use futures_util::future::join_all;
use serde::Deserialize;
use shared::edge::db::Db;
use shared::edge::{events, internal};
use shared::event::Event;
use shared::ids::{CompanyId, DeliveryId};
use shared::time::{self, Timestamp};
use shared::webhook;
use shared::Result;
use wasm_bindgen::{JsCast, JsValue};
use worker::{Context, Env, MessageBatch, MessageExt};

use crate::deliver;
use crate::mails;
use crate::model::{AttemptMessage, EndpointRow, ENDPOINT_COLUMNS};

/// Events the resender looks at: unconsumed for this long…
const RESEND_AFTER_MINUTES: i64 = 2;
/// …but not older than this (older rows predate the consumer or were given up on).
const RESEND_WITHIN_HOURS: i64 = 24;
/// A pending attempt this far past its time lost its queue message.
const REQUEUE_AFTER_MINUTES: i64 = 5;
/// How many of each the cron handles per run (the next run takes the rest).
const CRON_BATCH: u32 = 200;

/// An attempt to make once the batch is acked: the delivery and the attempt count expected.
type Job = (DeliveryId, Option<u32>);

/// Handles a batch: the bookkeeping (deliveries, mails) happens before a message is acked; the
/// HTTP attempts then run after the handler has returned (`wait_until`), all at once, so one
/// slow receiver (up to 15 s) holds up neither the other messages nor the next batch. An
/// attempt lost with its isolate leaves its delivery pending and overdue, and the cron
/// re-queues it. A message whose bookkeeping failed on the database is retried by the queue.
pub async fn handle_batch(batch: MessageBatch<serde_json::Value>, env: Env, ctx: &Context) {
    let db = match Db::from_env(&env) {
        Ok(db) => db,
        Err(e) => {
            worker::console_error!("notify consumer without DB: {e}");
            batch.retry_all();
            return;
        }
    };
    let mut jobs: Vec<Job> = Vec::new();
    for message in batch.raw_iter() {
        let body = js_to_json(&message.body());
        match handle(&env, &db, &body).await {
            Ok(more) => {
                message.ack();
                jobs.extend(more);
            }
            Err(e) => {
                worker::console_error!("queue message failed: {e}");
                message.retry();
            }
        }
    }
    if !jobs.is_empty() {
        ctx.wait_until(run_jobs(env, db, jobs));
    }
}

async fn run_jobs(env: Env, db: Db, jobs: Vec<Job>) {
    let attempts = jobs
        .iter()
        .map(|(id, expected)| deliver::attempt(&env, &db, id, *expected, time::now()));
    for (outcome, (id, _)) in join_all(attempts).await.into_iter().zip(&jobs) {
        if let Err(e) = outcome {
            worker::console_error!("attempt of {id} failed: {e}");
        }
    }
}

/// Reads a message body. Events arrive as plain JSON objects (`events::send_json`), but a
/// message sent with `Queue::send` (the attempt messages, or an event from an older producer)
/// holds JS `Map`s, which serde's own reading would see as empty objects; so the value is
/// walked by hand (Maps, plain objects, arrays, scalars), and whole numbers stay integers.
fn js_to_json(value: &JsValue) -> serde_json::Value {
    use serde_json::Value;
    if value.is_null() || value.is_undefined() {
        return Value::Null;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Some(n) = value.as_f64() {
        #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
        let whole = n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0;
        if whole {
            #[allow(clippy::cast_possible_truncation)]
            return Value::from(n as i64);
        }
        return serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number);
    }
    if let Some(s) = value.as_string() {
        return Value::String(s);
    }
    if js_sys::Array::is_array(value) {
        return Value::Array(
            js_sys::Array::from(value)
                .iter()
                .map(|v| js_to_json(&v))
                .collect(),
        );
    }
    let mut map = serde_json::Map::new();
    // `instanceof Map` fails for a value made in another realm (the queue's), so the
    // object's tag is asked instead.
    let is_map =
        value.is_object() && value.unchecked_ref::<js_sys::Object>().to_string() == "[object Map]";
    if is_map {
        let js_map: &js_sys::Map = value.unchecked_ref();
        js_map.for_each(&mut |v, k| {
            if let Some(key) = k.as_string() {
                map.insert(key, js_to_json(&v));
            }
        });
        return Value::Object(map);
    }
    if value.is_object() {
        for entry in js_sys::Object::entries(&js_sys::Object::from(value.clone())).iter() {
            let pair = js_sys::Array::from(&entry);
            if let Some(key) = pair.get(0).as_string() {
                map.insert(key, js_to_json(&pair.get(1)));
            }
        }
        return Value::Object(map);
    }
    Value::Null
}

/// The bookkeeping of one message; the attempts it asks for.
async fn handle(env: &Env, db: &Db, body: &serde_json::Value) -> Result<Vec<Job>> {
    if body.get("delivery_id").is_some() {
        let Ok(message) = serde_json::from_value::<AttemptMessage>(body.clone()) else {
            // A malformed attempt message can never succeed: log it and let it go.
            worker::console_error!("unreadable queue message: {body}");
            return Ok(Vec::new());
        };
        return Ok(vec![(message.delivery_id, message.attempts)]);
    }
    let Ok(event) = serde_json::from_value::<Event>(body.clone()) else {
        worker::console_error!("unreadable queue message: {body}");
        return Ok(Vec::new());
    };
    consume_event(env, db, &event).await
}

/// Fans one event out: a delivery per matching endpoint, and the info mails. Returns the
/// deliveries not yet attempted (after a redelivery too), for the caller to attempt.
///
/// # Errors
/// Internal error on a database failure (the queue then redelivers the event).
pub async fn consume_event(env: &Env, db: &Db, event: &Event) -> Result<Vec<Job>> {
    let now = time::now();
    let stamp = time::format(now);
    let endpoints: Vec<EndpointRow> = db
        .all(
            &format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
                 WHERE company_id = ?1 AND enabled = 1"
            ),
            &[&event.company_id],
        )
        .await?;
    // Serialised once: every attempt sends these bytes.
    let body = serde_json::to_string(event).map_err(internal)?;
    let mut statements = vec![db.stmt(
        "UPDATE events SET consumed_at = ?1 WHERE id = ?2 AND consumed_at IS NULL",
        &[&stamp, &event.id],
    )?];
    for endpoint in endpoints
        .iter()
        .filter(|e| webhook::subscribed(e.types().as_deref(), &event.kind))
    {
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO deliveries (id, endpoint_id, company_id, event_id, \
             event_type, body, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7, ?7)",
            &[
                &DeliveryId::new(now)?,
                &endpoint.id,
                &event.company_id,
                &event.id,
                &event.kind,
                &body,
                &stamp,
            ],
        )?);
    }
    db.batch(statements).await?;
    #[derive(Deserialize)]
    struct Fresh {
        id: DeliveryId,
    }
    // Also after a redelivery: whatever is still unattempted is attempted now.
    let fresh: Vec<Fresh> = db
        .all(
            "SELECT id FROM deliveries WHERE event_id = ?1 AND company_id = ?2 \
             AND status = 'pending' AND attempts = 0",
            &[&event.id, &event.company_id],
        )
        .await?;
    // A failed mail must not redeliver webhooks: logged, not returned.
    if let Err(e) = mails::send_info_mails(env, db, event, now).await {
        worker::console_error!("info mails for {} failed: {e}", event.id);
    }
    Ok(fresh.into_iter().map(|d| (d.id, Some(0))).collect())
}

#[derive(Deserialize)]
struct OutboxRow {
    id: shared::ids::EventId,
    #[serde(rename = "type")]
    kind: String,
    company_id: shared::ids::CompanyId,
    data: String,
    created_at: String,
}

#[derive(Deserialize)]
struct LostRow {
    id: DeliveryId,
    attempts: f64,
}

/// What one cron run did.
#[derive(Debug, Default, serde::Serialize)]
pub struct CronOut {
    pub events_resent: u32,
    pub attempts_requeued: u32,
}

/// The cron: resend unconsumed events, re-queue lost attempts; as of `now`, for every company
/// or (the dev endpoint) only `company`.
///
/// # Errors
/// Internal error on a database or queue failure.
pub async fn run_cron(
    env: &Env,
    db: &Db,
    now: Timestamp,
    company: Option<&CompanyId>,
) -> Result<CronOut> {
    let company = company.cloned();
    let mut out = CronOut::default();
    let queue = env.queue("EVENTS").map_err(internal)?;
    let unconsumed: Vec<OutboxRow> = db
        .all(
            "SELECT id, type, company_id, data, created_at FROM events \
             WHERE consumed_at IS NULL AND created_at < ?1 AND created_at > ?2 \
             AND (?4 IS NULL OR company_id = ?4) ORDER BY created_at LIMIT ?3",
            &[
                &time::format(now - chrono::Duration::minutes(RESEND_AFTER_MINUTES)),
                &time::format(now - chrono::Duration::hours(RESEND_WITHIN_HOURS)),
                &CRON_BATCH,
                &company,
            ],
        )
        .await?;
    for row in unconsumed {
        let event = Event {
            id: row.id,
            kind: row.kind,
            created_at: row.created_at,
            company_id: row.company_id,
            data: serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null),
        };
        events::send_json(&queue, &event).await?;
        out.events_resent += 1;
    }
    let lost: Vec<LostRow> = db
        .all(
            "SELECT id, attempts FROM deliveries WHERE status = 'pending' \
             AND next_attempt_at < ?1 AND (claimed_until IS NULL OR claimed_until < ?2) \
             AND (?4 IS NULL OR company_id = ?4) ORDER BY next_attempt_at LIMIT ?3",
            &[
                &time::format(now - chrono::Duration::minutes(REQUEUE_AFTER_MINUTES)),
                &time::format(now),
                &CRON_BATCH,
                &company,
            ],
        )
        .await?;
    for row in lost {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let attempts = row.attempts.max(0.0) as u32;
        deliver::enqueue(env, &row.id, attempts, 0).await?;
        out.attempts_requeued += 1;
    }
    Ok(out)
}
