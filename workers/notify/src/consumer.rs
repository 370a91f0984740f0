//! The consumer of the `tradepost-events` queue and the cron beside it.
//!
//! A message is either an [`Event`] (from any worker, or the resender) or an
//! [`AttemptMessage`] (a retry, a replay or a ping, from this worker). For an event: mark it
//! consumed, add one delivery per matching enabled endpoint (the unique key (endpoint, event)
//! makes a redelivered message add nothing), write the info mails, and (once the batch is
//! acked) attempt the deliveries not yet attempted. The cron resends events no consumer marked
//! (a producer's `queue.send` can fail after its commit) and re-queues attempts whose retry
//! message got lost.

use futures_util::future::join_all;
use shared::data::events::{self, EventRow};
use shared::data::webhooks::{self, NewDelivery};
use shared::event::Event;
use shared::ids::{CompanyId, DeliveryId};
use shared::platform::Platform;
use shared::service::log_error;
use shared::time::{Time, Timestamp};
use shared::webhook;
use shared::{Error, Result};

use crate::api::{AttemptMessage, CronOut};
use crate::{deliver, mails};

/// Events the resender looks at: unconsumed for this long…
const RESEND_AFTER_MINUTES: i64 = 2;
/// …but not older than this (older rows predate the consumer or were given up on).
const RESEND_WITHIN_HOURS: i64 = 24;
/// A pending attempt this far past its time lost its queue message.
const REQUEUE_AFTER_MINUTES: i64 = 5;
/// How many of each the cron handles per run (the next run takes the rest).
const CRON_BATCH: u32 = 200;

/// An attempt to make once the batch is acked: the delivery and the attempt count expected.
pub(crate) type Job = (DeliveryId, Option<u32>);

/// Handles a batch of message bodies: the bookkeeping (deliveries, mails) happens before a
/// message is acked; the HTTP attempts then run after the handler has returned (in the
/// background), all at once, so one slow receiver (up to 15 s) holds up neither the other
/// messages nor the next batch. An attempt lost with its isolate leaves its delivery pending
/// and overdue, and the cron re-queues it. Returns, per message, whether to ack it (`false`:
/// its bookkeeping failed on the database; the queue redelivers it).
pub async fn handle_batch(env: &Platform, bodies: &[serde_json::Value]) -> Vec<bool> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut acks = Vec::with_capacity(bodies.len());
    for body in bodies {
        match handle(env, body).await {
            Ok(more) => {
                acks.push(true);
                jobs.extend(more);
            }
            Err(e) => {
                log_error(&format!("queue message failed: {e}"));
                acks.push(false);
            }
        }
    }
    attempt_after(env, jobs);
    acks
}

/// Makes the attempts of `jobs` in the background, all at once.
pub(crate) fn attempt_after(env: &Platform, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    let env_for_jobs = env.clone();
    env.background.spawn(Box::pin(async move {
        run_jobs(&env_for_jobs, jobs).await;
    }));
}

async fn run_jobs(env: &Platform, jobs: Vec<Job>) {
    let now = env.clock.now();
    let attempts = jobs
        .iter()
        .map(|(id, expected)| deliver::attempt(env, id, *expected, now));
    for (outcome, (id, _)) in join_all(attempts).await.into_iter().zip(&jobs) {
        if let Err(e) = outcome {
            log_error(&format!("attempt of {id} failed: {e}"));
        }
    }
}

/// The bookkeeping of one message; the attempts it asks for.
async fn handle(env: &Platform, body: &serde_json::Value) -> Result<Vec<Job>> {
    if body.get("delivery_id").is_some() {
        let Ok(message) = serde_json::from_value::<AttemptMessage>(body.clone()) else {
            // A malformed attempt message can never succeed: log it and let it go.
            log_error(&format!("unreadable queue message: {body}"));
            return Ok(Vec::new());
        };
        return Ok(vec![(message.delivery_id, message.attempts)]);
    }
    let Ok(event) = serde_json::from_value::<Event>(body.clone()) else {
        log_error(&format!("unreadable queue message: {body}"));
        return Ok(Vec::new());
    };
    consume_event(env, &event).await
}

/// Fans one event out: a delivery per matching endpoint, and the info mails. Returns the
/// deliveries not yet attempted (after a redelivery too), for the caller to attempt.
///
/// # Errors
/// A database error (the queue then redelivers the event).
pub async fn consume_event(env: &Platform, event: &Event) -> Result<Vec<Job>> {
    let jobs = deliveries_of(env, event).await?;
    mail(env, event).await;
    Ok(jobs)
}

/// The deliveries of one event, one per matching endpoint, written with the event marked
/// consumed; returns those not yet attempted (after a redelivery too).
///
/// # Errors
/// A database error (nothing was written).
pub(crate) async fn deliveries_of(env: &Platform, event: &Event) -> Result<Vec<Job>> {
    let db = &env.db;
    let now = env.clock.now();
    let stamp = Time(now);
    let endpoints = webhooks::enabled_endpoints(db, &event.company_id).await?;
    // Serialised once: every attempt sends these bytes.
    let body = serde_json::to_string(event).map_err(|e| Error::internal(e.to_string()))?;
    let mut statements = vec![events::consumed_stmt(&[&event.id], stamp)];
    for endpoint in endpoints
        .iter()
        .filter(|e| webhook::subscribed(e.types(), &event.kind))
    {
        statements.push(webhooks::insert_delivery_stmt(
            &NewDelivery {
                id: &DeliveryId::new(now)?,
                endpoint_id: &endpoint.id,
                company_id: &event.company_id,
                event_id: &event.id,
                event_type: &event.kind,
                body: &body,
                now: stamp,
            },
            true,
        ));
    }
    let fresh = webhooks::fan_out(db, statements, &event.company_id, &event.id).await?;
    Ok(fresh.into_iter().map(|d| (d, Some(0))).collect())
}

/// The info mails of one event. A failed mail must not redeliver webhooks: logged, not
/// returned.
pub(crate) async fn mail(env: &Platform, event: &Event) {
    if let Err(e) = mails::send_info_mails(env, event, env.clock.now()).await {
        log_error(&format!("info mails for {} failed: {e}", event.id));
    }
}

/// The cron: resend unconsumed events, re-queue lost attempts; as of `now`, for every company
/// or (the dev endpoint) only `company`.
///
/// # Errors
/// A database or queue failure.
pub async fn run_cron(
    env: &Platform,
    now: Timestamp,
    company: Option<&CompanyId>,
) -> Result<CronOut> {
    let mut out = CronOut::default();
    let unconsumed: Vec<EventRow> = events::unconsumed(
        &env.db,
        Time(now - chrono::Duration::minutes(RESEND_AFTER_MINUTES)),
        Time(now - chrono::Duration::hours(RESEND_WITHIN_HOURS)),
        company,
        CRON_BATCH,
    )
    .await?;
    let queue = env.queue()?;
    for row in unconsumed {
        let event = row.event();
        let json = serde_json::to_string(&event).map_err(|e| Error::internal(e.to_string()))?;
        queue.send(json, 0).await.map_err(Error::internal)?;
        out.events_resent += 1;
    }
    let lost = webhooks::lost(
        &env.db,
        Time(now - chrono::Duration::minutes(REQUEUE_AFTER_MINUTES)),
        Time(now),
        company,
        CRON_BATCH,
    )
    .await?;
    for row in lost {
        deliver::enqueue(env, &row.id, row.attempts, 0).await?;
        out.attempts_requeued += 1;
    }
    Ok(out)
}
