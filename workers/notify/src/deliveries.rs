//! `/v1/webhooks/{id}/deliveries`: the delivery log of an endpoint (each delivery with its
//! attempts), replaying one delivery or every failed one since a time, and the dev-only
//! `POST /v1/dev/deliveries/run` that attempts a company's due deliveries now and
//! `POST /v1/dev/deliveries/cron` that runs the cron for one company.

use serde::{Deserialize, Serialize};
use shared::edge::context::Ctx;
use shared::edge::{self, List, Page};
use shared::ids::{CompanyId, DeliveryId};
use shared::permissions::Permission;
use shared::{time, Error, Result};
use worker::Response;

use crate::deliver;
use crate::model::{self, DeliveryRow, DELIVERY_COLUMNS};
use crate::webhooks::disabled;

/// Deliveries one "replay since" call puts back (the next call takes the rest).
const REPLAY_BATCH: f64 = 500.0;

const STATUSES: &[&str] = &["pending", "succeeded", "failed"];

/// `GET /v1/webhooks/{id}/deliveries?status=&cursor=&limit=`, newest first.
pub async fn list_deliveries(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::WebhooksManage)?;
    let endpoint = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    let status = cx.query("status").filter(|s| !s.is_empty());
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(Error::invalid(
                "status",
                "must be one of pending, succeeded, failed",
            ));
        }
    }
    let page = Page::from_request(&cx.req)?;
    let rows: Vec<DeliveryRow> = cx
        .db
        .all(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE endpoint_id = ?1 \
                 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) \
                 ORDER BY id DESC LIMIT ?4"
            ),
            &[&endpoint.id, &status, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let ids: Vec<&DeliveryId> = rows.iter().map(|r| &r.id).collect();
    let attempts = model::attempts_of(&cx.db, &ids).await?;
    let data = rows.into_iter().map(|r| r.out(&attempts)).collect();
    edge::json(200, &List { data, next_cursor })
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay`: one more attempt now, whatever
/// the delivery's status (202; the attempt runs from the queue).
pub async fn replay_delivery(cx: &mut Ctx, id: &str, delivery_id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::WebhooksManage)?;
    let endpoint = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    let delivery_id = DeliveryId::parse(delivery_id)?;
    let row: Option<DeliveryRow> = cx
        .db
        .first(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1 AND endpoint_id = ?2"
            ),
            &[&delivery_id, &endpoint.id],
        )
        .await?;
    let row = row.ok_or(Error::not_found("delivery"))?;
    if !endpoint.is_enabled() {
        return Err(disabled());
    }
    let now = time::format(cx.now);
    cx.db
        .run(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, \
             claimed_until = NULL, updated_at = ?1 WHERE id = ?2",
            &[&now, &row.id],
        )
        .await?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let attempts = row.attempts.max(0.0) as u32;
    deliver::enqueue(&cx.env, &row.id, attempts, 0).await?;
    let row: Option<DeliveryRow> = cx
        .db
        .first(
            &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"),
            &[&delivery_id],
        )
        .await?;
    let row = row.ok_or(Error::not_found("delivery"))?;
    let attempts = model::attempts_of(&cx.db, &[&row.id]).await?;
    edge::json(202, &row.out(&attempts))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayIn {
    since: String,
}

#[derive(Serialize)]
struct ReplayOut {
    replayed: u32,
}

#[derive(Deserialize)]
struct FailedRow {
    id: DeliveryId,
    attempts: f64,
}

/// `POST /v1/webhooks/{id}/deliveries/replay {since}`: every failed delivery made since then.
pub async fn replay_failed(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::WebhooksManage)?;
    let endpoint = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    let input: ReplayIn = cx.body().await?;
    let since = time::parse("since", &input.since)?;
    if !endpoint.is_enabled() {
        return Err(disabled());
    }
    let failed: Vec<FailedRow> = cx
        .db
        .all(
            "SELECT id, attempts FROM deliveries WHERE endpoint_id = ?1 AND status = 'failed' \
             AND created_at >= ?2 ORDER BY id LIMIT ?3",
            &[&endpoint.id, &time::format(since), &REPLAY_BATCH],
        )
        .await?;
    let now = time::format(cx.now);
    let mut statements = Vec::with_capacity(failed.len());
    for row in &failed {
        statements.push(cx.db.stmt(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, \
             claimed_until = NULL, updated_at = ?1 WHERE id = ?2 AND status = 'failed'",
            &[&now, &row.id],
        )?);
    }
    let changed = if statements.is_empty() {
        Vec::new()
    } else {
        cx.db.batch(statements).await?
    };
    let mut replayed = 0;
    for (row, n) in failed.iter().zip(changed) {
        if n == 0 {
            continue;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let attempts = row.attempts.max(0.0) as u32;
        if let Err(e) = deliver::enqueue(&cx.env, &row.id, attempts, 0).await {
            // The cron re-queues it once it is five minutes overdue.
            worker::console_error!("queueing the replay of {} failed: {e}", row.id);
        }
        replayed += 1;
    }
    edge::json(202, &ReplayOut { replayed })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunIn {
    company_id: String,
    #[serde(default)]
    as_of: Option<String>,
}

#[derive(Serialize)]
struct RunOut {
    attempted: u32,
}

/// `POST /v1/dev/deliveries/run {company_id, as_of?}` (dev only): attempts every pending
/// delivery of that company due by `as_of`, as if it were then, so tests need not wait minutes
/// for a retry (or days for the five-day rule).
pub async fn dev_run(cx: &mut Ctx) -> Result<Response> {
    let (company, as_of) = dev_input(cx).await?;
    let attempted = deliver::attempt_due(&cx.env, &cx.db, &company, as_of).await?;
    edge::json(200, &RunOut { attempted })
}

/// `POST /v1/dev/deliveries/cron {company_id, as_of?}` (dev only; crons do not fire locally):
/// the cron's resend and re-queue, as of `as_of`, for that company only.
pub async fn dev_cron(cx: &mut Ctx) -> Result<Response> {
    let (company, as_of) = dev_input(cx).await?;
    let out = crate::consumer::run_cron(&cx.env, &cx.db, as_of, Some(&company)).await?;
    edge::json(200, &out)
}

/// The `{company_id, as_of?}` of the dev endpoints (404 outside dev); `as_of` defaults to now.
async fn dev_input(cx: &mut Ctx) -> Result<(CompanyId, time::Timestamp)> {
    edge::require_dev(&cx.env)?;
    let input: RunIn = cx.body().await?;
    let company = CompanyId::parse_field("company_id", &input.company_id)?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    Ok((company, as_of))
}
