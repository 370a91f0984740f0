//! `/v1/webhooks/{id}/deliveries`: the delivery log of an endpoint (each delivery with its
//! attempts), replaying one delivery or every failed one since a time, and the dev-only
//! `POST /v1/dev/deliveries/run` that attempts a company's due deliveries now and
//! `POST /v1/dev/deliveries/cron` that runs the cron for one company.

use shared::data::events;
use shared::data::webhooks::{self, DeliveryStatus};
use shared::ids::{CompanyId, DeliveryId, EventId};
use shared::service::{log_error, Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{Error, Result};

use crate::api::{
    DeliveryList, DeliveryOut, DeliveryQuery, ReplayIn, ReplayOut, ResendIn, RunIn, RunOut,
};
use crate::deliver;
use crate::webhooks::{disabled, load};

/// Deliveries one "replay since" call puts back (the next call takes the rest).
const REPLAY_BATCH: u32 = 500;

/// `GET /v1/webhooks/{id}/deliveries?status=&cursor=&limit=`, newest first.
pub async fn list_deliveries(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let endpoint = load(cx, &me).await?;
    let q: DeliveryQuery = cx.query_as()?;
    let status = q
        .status
        .filter(|s| !s.is_empty())
        .map(|s| {
            DeliveryStatus::parse("status", &s)
                .map_err(|_| Error::invalid("status", "must be one of pending, succeeded, failed"))
        })
        .transpose()?;
    let page = Page::from_request(cx)?;
    let rows = webhooks::deliveries(
        &cx.db,
        &endpoint.id,
        status,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let ids: Vec<&DeliveryId> = rows.iter().map(|r| &r.id).collect();
    let attempts = webhooks::attempts_of(&cx.db, &ids).await?;
    let data = rows
        .into_iter()
        .map(|r| DeliveryOut::of(r, &attempts))
        .collect();
    Reply::json(200, &DeliveryList { data, next_cursor })
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay`: one more attempt now, whatever
/// the delivery's status (202; the attempt runs from the queue).
pub async fn replay_delivery(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let endpoint = load(cx, &me).await?;
    let delivery_id = DeliveryId::parse(cx.param("delivery_id"))?;
    let row = webhooks::delivery(&cx.db, &endpoint.id, &delivery_id)
        .await?
        .ok_or(Error::not_found("delivery"))?;
    if !endpoint.enabled {
        return Err(disabled());
    }
    cx.db
        .run_of(webhooks::replay_stmt(&row.id, false, Time(cx.now)))
        .await?;
    deliver::enqueue(&cx.env, &row.id, row.attempts, 0).await?;
    let row = webhooks::delivery(&cx.db, &endpoint.id, &delivery_id)
        .await?
        .ok_or(Error::not_found("delivery"))?;
    let attempts = webhooks::attempts_of(&cx.db, &[&row.id]).await?;
    Reply::json(202, &DeliveryOut::of(row, &attempts))
}

/// `POST /v1/webhooks/{id}/deliveries/replay {since}`: every failed delivery made since then.
pub async fn replay_failed(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let endpoint = load(cx, &me).await?;
    let input: ReplayIn = cx.body().await?;
    let since = time::parse("since", &input.since)?;
    if !endpoint.enabled {
        return Err(disabled());
    }
    let failed = webhooks::failed_since(&cx.db, &endpoint.id, Time(since), REPLAY_BATCH).await?;
    let statements = failed
        .iter()
        .map(|row| webhooks::replay_stmt(&row.id, true, Time(cx.now)))
        .collect();
    let changed = cx.db.batch(statements).await?;
    let mut replayed = 0;
    for (row, n) in failed.iter().zip(changed) {
        if n == 0 {
            continue;
        }
        if let Err(e) = deliver::enqueue(&cx.env, &row.id, row.attempts, 0).await {
            // The cron re-queues it once it is five minutes overdue.
            log_error(&format!("queueing the replay of {} failed: {e}", row.id));
        }
        replayed += 1;
    }
    Reply::json(202, &ReplayOut { replayed })
}

/// `POST /v1/dev/deliveries/run {company_id, as_of?}` (dev only): attempts every pending
/// delivery of that company due by `as_of`, as if it were then, so tests need not wait minutes
/// for a retry (or days for the five-day rule).
pub async fn dev_run(cx: &mut Cx) -> Result<Reply> {
    let (company, as_of) = dev_input(cx).await?;
    let attempted = deliver::attempt_due(&cx.env, &company, as_of).await?;
    Reply::json(200, &RunOut { attempted })
}

/// `POST /v1/dev/deliveries/cron {company_id, as_of?}` (dev only; crons do not fire locally):
/// the cron's resend and re-queue, as of `as_of`, for that company only.
pub async fn dev_cron(cx: &mut Cx) -> Result<Reply> {
    let (company, as_of) = dev_input(cx).await?;
    let out = crate::consumer::run_cron(&cx.env, as_of, Some(&company)).await?;
    Reply::json(200, &out)
}

/// `POST /v1/dev/deliveries/resend` (dev only): a stored event on the queue once more, consumed
/// or not, as a queue that delivers a message twice would (the end-to-end test of
/// at-least-once: events are handed to notify at once, so none waits on the queue to be caught).
pub async fn dev_resend(cx: &mut Cx) -> Result<Reply> {
    let input: ResendIn = cx.body().await?;
    let id = EventId::parse_field("event_id", input.event_id.trim())?;
    let row = events::one(&cx.db, &id)
        .await?
        .ok_or(Error::not_found("event"))?;
    let json = serde_json::to_string(&row.event()).map_err(|e| Error::internal(e.to_string()))?;
    cx.env
        .queue()?
        .send(json, 0)
        .await
        .map_err(Error::internal)?;
    Ok(Reply::status(202))
}

/// The `{company_id, as_of?}` of the dev endpoints; `as_of` defaults to now.
async fn dev_input(cx: &mut Cx) -> Result<(CompanyId, time::Timestamp)> {
    let input: RunIn = cx.body().await?;
    let company = CompanyId::parse_field("company_id", &input.company_id)?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    Ok((company, as_of))
}
