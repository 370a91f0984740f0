//! `webhook_endpoints`, `deliveries` and `delivery_attempts`: a company's endpoints, one
//! delivery per event and endpoint, and every attempt of each.

use serde::Deserialize;

use super::{Db, Statement};
use crate::ids::{CompanyId, DeliveryId, EventId, WebhookId};
use crate::platform::Json;
use crate::time::{Time, Timestamp};
use crate::Result;

named_enum! {
    /// Why an endpoint is switched off (none: switched off by the company, or on).
    DisabledReason, "disabled reason" {
        /// The receiver answered 410 Gone.
        Gone = "gone",
        /// Five days of failures in a row.
        Failing = "failing",
    }
}

named_enum! {
    /// Where a delivery stands.
    DeliveryStatus, "delivery status" {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, description, event_types, enabled, \
    disabled_reason, secret, previous_secret, previous_secret_expires_at, failing_since, \
    created_at, updated_at";

/// An endpoint as stored (its secrets sealed).
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointRow {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    /// The subscribed event types; `None` for every type.
    pub event_types: Option<Json<Vec<String>>>,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<Time>,
    pub failing_since: Option<Time>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl EndpointRow {
    /// The subscribed event types; `None` for every type.
    #[must_use]
    pub fn types(&self) -> Option<&[String]> {
        self.event_types.as_ref().map(|t| t.0.as_slice())
    }
}

/// One of the viewer's endpoints.
///
/// # Errors
/// A database error.
pub async fn endpoint(db: &Db, viewer: &CompanyId, id: &WebhookId) -> Result<Option<EndpointRow>> {
    db.first(
        &format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND company_id = ?2"
        ),
        &[id, viewer],
    )
    .await
}

/// A page of the viewer's endpoints, newest first.
///
/// # Errors
/// A database error.
pub async fn endpoints(
    db: &Db,
    viewer: &CompanyId,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<EndpointRow>> {
    db.all(
        &format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = ?1 \
             AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3"
        ),
        &[viewer, &before, &fetch],
    )
    .await
}

/// The enabled endpoints of the company an event is for (the consumer's fan-out).
///
/// # Errors
/// A database error.
pub async fn enabled_endpoints(db: &Db, company: &CompanyId) -> Result<Vec<EndpointRow>> {
    db.all(
        &format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = ?1 AND enabled = 1"
        ),
        &[company],
    )
    .await
}

/// What a new endpoint holds.
pub struct NewEndpoint<'a> {
    pub id: &'a WebhookId,
    pub company_id: &'a CompanyId,
    pub url: &'a str,
    pub description: Option<&'a str>,
    pub event_types: Option<&'a [String]>,
    pub enabled: bool,
    /// The sealed secret.
    pub secret: &'a str,
    pub created_by: Option<&'a str>,
    pub now: Time,
}

/// Stores a new endpoint unless the company has `max` already or one with its URL (a retried
/// registration); whether it was stored.
///
/// # Errors
/// A database error.
pub async fn insert_endpoint(db: &Db, e: &NewEndpoint<'_>, max: u64) -> Result<bool> {
    // Checked in the insert itself, so endpoints registered at the same moment cannot pass the
    // limit, or share a URL, together.
    db.run(
        "INSERT INTO webhook_endpoints (id, company_id, url, description, event_types, \
         enabled, secret, created_by, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 \
         WHERE (SELECT COUNT(*) FROM webhook_endpoints WHERE company_id = ?2) < ?10 \
         AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE company_id = ?2 AND url = ?3)",
        &[
            e.id,
            e.company_id,
            &e.url,
            &e.description,
            &e.event_types.map(|t| Json(t.to_vec())),
            &e.enabled,
            &e.secret,
            &e.created_by,
            &e.now,
            &max,
        ],
    )
    .await
    .map(|changes| changes > 0)
}

/// An endpoint's changeable fields, as they are to be.
pub struct EndpointChange<'a> {
    pub url: &'a str,
    pub event_types: Option<&'a [String]>,
    pub description: Option<&'a str>,
    pub enabled: bool,
    pub disabled_reason: Option<DisabledReason>,
    pub failing_since: Option<Time>,
    pub now: Time,
}

/// Stores an endpoint's change.
///
/// # Errors
/// A database error.
pub async fn update_endpoint(
    db: &Db,
    viewer: &CompanyId,
    id: &WebhookId,
    c: &EndpointChange<'_>,
) -> Result<()> {
    db.run(
        "UPDATE webhook_endpoints SET url = ?1, event_types = ?2, description = ?3, \
         enabled = ?4, disabled_reason = ?5, failing_since = ?6, updated_at = ?7 \
         WHERE id = ?8 AND company_id = ?9",
        &[
            &c.url,
            &c.event_types.map(|t| Json(t.to_vec())),
            &c.description,
            &c.enabled,
            &c.disabled_reason.map(DisabledReason::as_str),
            &c.failing_since,
            &c.now,
            id,
            viewer,
        ],
    )
    .await
    .map(|_| ())
}

/// Deletes an endpoint with its delivery log.
#[must_use]
pub fn delete_endpoint_stmts(viewer: &CompanyId, id: &WebhookId) -> Vec<Statement> {
    vec![
        Statement::new(
            "DELETE FROM delivery_attempts WHERE delivery_id IN \
             (SELECT d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.endpoint_id = ?1 AND e.company_id = ?2)",
            &[id, viewer],
        ),
        Statement::new(
            "DELETE FROM deliveries WHERE endpoint_id = ?1 AND company_id = ?2",
            &[id, viewer],
        ),
        Statement::new(
            "DELETE FROM webhook_endpoints WHERE id = ?1 AND company_id = ?2",
            &[id, viewer],
        ),
    ]
}

/// Replaces the secret (sealed), keeping the one before (`read` as it was read) until `until`;
/// `false` when another rotation came first.
///
/// # Errors
/// A database error.
pub async fn rotate_secret(
    db: &Db,
    viewer: &CompanyId,
    id: &WebhookId,
    read: &str,
    sealed: &str,
    until: Time,
    now: Time,
) -> Result<bool> {
    let changed = db
        .run(
            "UPDATE webhook_endpoints SET secret = ?1, previous_secret = secret, \
             previous_secret_expires_at = ?2, updated_at = ?3 \
             WHERE id = ?4 AND company_id = ?5 AND secret = ?6",
            &[&sealed, &until, &now, id, viewer, &read],
        )
        .await?;
    Ok(changed > 0)
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, status, attempts, \
    next_attempt_at, last_status_code, created_at, updated_at";

/// A delivery as listed (without its body).
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub endpoint_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<Time>,
    pub last_status_code: Option<u16>,
    pub created_at: Time,
    pub updated_at: Time,
}

/// A page of an endpoint's deliveries (the endpoint was loaded through [`endpoint`]).
///
/// # Errors
/// A database error.
pub async fn deliveries(
    db: &Db,
    endpoint: &WebhookId,
    status: Option<DeliveryStatus>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<DeliveryRow>> {
    db.all(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE endpoint_id = ?1 \
             AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) \
             ORDER BY id DESC LIMIT ?4"
        ),
        &[
            endpoint,
            &status.map(DeliveryStatus::as_str),
            &before,
            &fetch,
        ],
    )
    .await
}

/// One delivery of an endpoint.
///
/// # Errors
/// A database error.
pub async fn delivery(
    db: &Db,
    endpoint: &WebhookId,
    id: &DeliveryId,
) -> Result<Option<DeliveryRow>> {
    db.first(
        &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1 AND endpoint_id = ?2"),
        &[id, endpoint],
    )
    .await
}

/// One attempt as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct AttemptRow {
    pub delivery_id: DeliveryId,
    pub seq: u32,
    pub at: Time,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// The attempts of these deliveries, oldest first.
///
/// # Errors
/// A database error.
pub async fn attempts_of(db: &Db, ids: &[&DeliveryId]) -> Result<Vec<AttemptRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    db.all(
        "SELECT delivery_id, seq, at, status_code, duration_ms, error, response_excerpt \
         FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?1)) \
         ORDER BY delivery_id, seq",
        &[&serde_json::to_string(&list).unwrap_or_default()],
    )
    .await
}

/// What a new delivery holds.
pub struct NewDelivery<'a> {
    pub id: &'a DeliveryId,
    pub endpoint_id: &'a WebhookId,
    pub company_id: &'a CompanyId,
    pub event_id: &'a EventId,
    pub event_type: &'a str,
    /// The exact JSON every attempt sends.
    pub body: &'a str,
    pub now: Time,
}

/// The insert of a pending delivery; with `once`, a second one for the same endpoint and event
/// is ignored (a redelivered queue message).
#[must_use]
pub fn insert_delivery_stmt(d: &NewDelivery<'_>, once: bool) -> Statement {
    Statement::new(
        format!(
            "INSERT {}INTO deliveries (id, endpoint_id, company_id, event_id, \
             event_type, body, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7, ?7)",
            if once { "OR IGNORE " } else { "" }
        ),
        &[
            d.id,
            d.endpoint_id,
            d.company_id,
            d.event_id,
            &d.event_type,
            &d.body,
            &d.now,
        ],
    )
}

/// Runs `statements` (an event's fan-out: its deliveries) in one batch that ends with the query
/// of the event's deliveries not attempted yet (also after a redelivery), in one round trip;
/// returns those.
///
/// # Errors
/// A database error (nothing was written).
pub async fn fan_out(
    db: &Db,
    mut statements: Vec<Statement>,
    company: &CompanyId,
    event: &EventId,
) -> Result<Vec<DeliveryId>> {
    statements.push(unattempted_stmt(company, event));
    let outcomes = db.batch_rows(statements).await?;
    let rows: Vec<IdRow> = super::rows_of(outcomes.last(), "deliveries")?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Deserialize)]
struct IdRow {
    id: DeliveryId,
}

fn unattempted_stmt(company: &CompanyId, event: &EventId) -> Statement {
    Statement::new(
        "SELECT id FROM deliveries WHERE event_id = ?1 AND company_id = ?2 \
         AND status = 'pending' AND attempts = 0",
        &[event, company],
    )
}

/// Puts a delivery back to pending, due now (a replay); with `only_failed`, only a failed one.
#[must_use]
pub fn replay_stmt(id: &DeliveryId, only_failed: bool, now: Time) -> Statement {
    Statement::new(
        format!(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, \
             claimed_until = NULL, updated_at = ?1 WHERE id = ?2{}",
            if only_failed {
                " AND status = 'failed'"
            } else {
                ""
            }
        ),
        &[&now, id],
    )
}

/// A failed delivery to put back.
#[derive(Debug, Deserialize)]
pub struct Counted {
    pub id: DeliveryId,
    pub attempts: u32,
}

/// The failed deliveries of an endpoint made since `since`, at most `limit`.
///
/// # Errors
/// A database error.
pub async fn failed_since(
    db: &Db,
    endpoint: &WebhookId,
    since: Time,
    limit: u32,
) -> Result<Vec<Counted>> {
    db.all(
        "SELECT id, attempts FROM deliveries WHERE endpoint_id = ?1 AND status = 'failed' \
         AND created_at >= ?2 ORDER BY id LIMIT ?3",
        &[endpoint, &since, &limit],
    )
    .await
}

/// Pending deliveries whose retry message got lost: overdue since `overdue_before`, not
/// claimed at `now` (the cron; all companies or one).
///
/// # Errors
/// A database error.
pub async fn lost(
    db: &Db,
    overdue_before: Time,
    now: Time,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<Counted>> {
    db.all(
        "SELECT id, attempts FROM deliveries WHERE status = 'pending' \
         AND next_attempt_at < ?1 AND (claimed_until IS NULL OR claimed_until < ?2) \
         AND (?4 IS NULL OR company_id = ?4) ORDER BY next_attempt_at LIMIT ?3",
        &[&overdue_before, &now, &limit, &company],
    )
    .await
}

/// The pending deliveries of a company due by `as_of` (the dev run).
///
/// # Errors
/// A database error.
pub async fn due(db: &Db, company: &CompanyId, as_of: Time) -> Result<Vec<DeliveryId>> {
    #[derive(Deserialize)]
    struct Row {
        id: DeliveryId,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT id FROM deliveries WHERE company_id = ?1 AND status = 'pending' \
             AND next_attempt_at <= ?2 ORDER BY id LIMIT 100",
            &[company, &as_of],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Claims a pending delivery for one attempt until `until` (when it has had `expected`
/// attempts, if given, and nobody holds it) and, when this caller got it, reads it with its
/// endpoint as the attempt needs it; in one round trip.
///
/// # Errors
/// A database error.
pub async fn claim_job(
    db: &Db,
    id: &DeliveryId,
    expected: Option<u32>,
    until: Time,
    now: Time,
) -> Result<Option<Job>> {
    let outcomes = db
        .batch_rows(vec![claim_stmt(id, expected, until, now), job_stmt(id)])
        .await?;
    if outcomes.first().map_or(0, |o| o.changes) == 0 {
        return Ok(None);
    }
    super::first_of(outcomes.get(1))
}

fn claim_stmt(id: &DeliveryId, expected: Option<u32>, until: Time, now: Time) -> Statement {
    Statement::new(
        "UPDATE deliveries SET claimed_until = ?1 WHERE id = ?2 AND status = 'pending' \
         AND (?3 IS NULL OR attempts = ?3) AND (claimed_until IS NULL OR claimed_until < ?4)",
        &[&until, id, &expected, &now],
    )
}

/// A delivery with its endpoint, as an attempt needs it.
#[derive(Debug, Deserialize)]
pub struct Job {
    pub id: DeliveryId,
    pub endpoint_id: WebhookId,
    pub company_id: CompanyId,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    pub attempts: u32,
    pub url: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<Time>,
    pub failing_since: Option<Time>,
}

impl Job {
    /// The sealed secrets that sign now: the current one, and the previous one until it expires.
    #[must_use]
    pub fn secrets_in_force(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, &self.previous_secret_expires_at)
        {
            if until.0 > now {
                secrets.push(old);
            }
        }
        secrets
    }
}

fn job_stmt(id: &DeliveryId) -> Statement {
    Statement::new(
        "SELECT d.id, d.endpoint_id, d.company_id, d.event_id, d.event_type, d.body, \
         d.attempts, e.url, e.enabled, e.secret, e.previous_secret, \
         e.previous_secret_expires_at, e.failing_since \
         FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?1",
        &[id],
    )
}

/// Ends a pending delivery without an attempt (its endpoint is disabled).
#[must_use]
pub fn give_up_stmt(id: &DeliveryId, now: Time) -> Statement {
    Statement::new(
        "UPDATE deliveries SET status = 'failed', claimed_until = NULL, updated_at = ?1 \
         WHERE id = ?2 AND status = 'pending'",
        &[&now, id],
    )
}

/// The outcome of attempt `seq`, while the delivery still stands at `seq - 1` attempts (first
/// in its batch: its change count says whether this attempt settled it).
#[must_use]
pub fn settle_stmt(
    id: &DeliveryId,
    seq: u32,
    status: DeliveryStatus,
    next_attempt_at: Option<Time>,
    status_code: Option<u16>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE deliveries SET status = ?1, attempts = ?2, next_attempt_at = ?3, \
         claimed_until = NULL, last_status_code = ?4, updated_at = ?5 \
         WHERE id = ?6 AND status = 'pending' AND attempts = ?7",
        &[
            &status.as_str(),
            &seq,
            &next_attempt_at,
            &status_code.map(u32::from),
            &now,
            id,
            &(seq - 1),
        ],
    )
}

/// What one attempt got.
pub struct NewAttempt<'a> {
    pub delivery_id: &'a DeliveryId,
    pub seq: u32,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<&'a str>,
    pub response_excerpt: Option<&'a str>,
    pub now: Time,
}

/// The record of an attempt, written when the settlement before it changed a row.
#[must_use]
pub fn attempt_stmt(a: &NewAttempt<'_>) -> Statement {
    Statement::new(
        "INSERT INTO delivery_attempts (delivery_id, seq, at, status_code, duration_ms, error, \
         response_excerpt) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0",
        &[
            a.delivery_id,
            &a.seq,
            &a.now,
            &a.status_code.map(u32::from),
            &a.duration_ms,
            &a.error,
            &a.response_excerpt,
        ],
    )
}

/// A delivery succeeded: the endpoint is no longer failing.
#[must_use]
pub fn endpoint_recovered_stmt(id: &WebhookId) -> Statement {
    Statement::new(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 \
         AND failing_since IS NOT NULL",
        &[id],
    )
}

/// The receiver answered 410: the endpoint is switched off as gone.
#[must_use]
pub fn endpoint_gone_stmt(id: &WebhookId, now: Time) -> Statement {
    Statement::new(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'gone', \
         failing_since = COALESCE(failing_since, ?2), updated_at = ?2 WHERE id = ?1",
        &[id, &now],
    )
}

/// Five days of failures: the endpoint is switched off as failing.
#[must_use]
pub fn endpoint_failing_off_stmt(id: &WebhookId, now: Time) -> Statement {
    Statement::new(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'failing', \
         updated_at = ?2 WHERE id = ?1 AND enabled = 1",
        &[id, &now],
    )
}

/// An attempt failed: the endpoint is failing since now, if it was not already.
#[must_use]
pub fn endpoint_failing_stmt(id: &WebhookId, now: Time) -> Statement {
    Statement::new(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2) \
         WHERE id = ?1",
        &[id, &now],
    )
}

/// The viewer's endpoint with this URL, if any.
///
/// # Errors
/// A database error.
pub async fn id_by_url(db: &Db, viewer: &CompanyId, url: &str) -> Result<Option<WebhookId>> {
    #[derive(Deserialize)]
    struct Id {
        id: WebhookId,
    }
    let row: Option<Id> = db
        .first(
            "SELECT id FROM webhook_endpoints WHERE company_id = ?1 AND url = ?2",
            &[viewer, &url],
        )
        .await?;
    Ok(row.map(|r| r.id))
}
