//! The rows the notify worker reads, what it answers with, and the queue message of a retry.

use serde::{Deserialize, Serialize};
use shared::edge::db::Db;
use shared::ids::{CompanyId, DeliveryId, EventId, WebhookId};
use shared::{Error, Result};

/// The columns of [`EndpointRow`].
pub const ENDPOINT_COLUMNS: &str = "id, url, description, event_types, enabled, \
    disabled_reason, secret, previous_secret, previous_secret_expires_at, failing_since, \
    created_at, updated_at";

/// A webhook endpoint as stored.
#[derive(Deserialize)]
pub struct EndpointRow {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub enabled: f64,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<String>,
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl EndpointRow {
    /// The subscribed event types; `None` for every type.
    pub fn types(&self) -> Option<Vec<String>> {
        self.event_types
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled != 0.0
    }

    /// The endpoint as answered; `secret` only right after it was made or rotated.
    pub fn out(&self, secret: Option<String>) -> WebhookOut {
        WebhookOut {
            id: self.id.clone(),
            url: self.url.clone(),
            description: self.description.clone(),
            event_types: self.types(),
            enabled: self.is_enabled(),
            disabled_reason: self.disabled_reason.clone(),
            failing_since: self.failing_since.clone(),
            previous_secret_expires_at: self
                .previous_secret
                .as_ref()
                .and(self.previous_secret_expires_at.clone()),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            secret,
        }
    }
}

/// A webhook endpoint as answered.
#[derive(Serialize)]
pub struct WebhookOut {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<String>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Loads an endpoint of `company`; another company's endpoint is not found.
///
/// # Errors
/// 404 when there is no such endpoint of this company.
pub async fn load_endpoint(db: &Db, company: &CompanyId, id: &str) -> Result<EndpointRow> {
    let id = WebhookId::parse(id)?;
    let row: Option<EndpointRow> = db
        .first(
            &format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND company_id = ?2"
            ),
            &[&id, company],
        )
        .await?;
    row.ok_or(Error::not_found("webhook"))
}

/// The columns of [`DeliveryRow`].
pub const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, status, attempts, \
    next_attempt_at, last_status_code, created_at, updated_at";

/// A delivery as listed (without its body).
#[derive(Deserialize)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub endpoint_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: String,
    pub attempts: f64,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
}

/// One attempt as stored.
#[derive(Deserialize)]
pub struct AttemptRow {
    pub delivery_id: DeliveryId,
    pub seq: f64,
    pub at: String,
    pub status_code: Option<f64>,
    pub duration_ms: f64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// One attempt as answered.
#[derive(Serialize)]
pub struct AttemptOut {
    pub seq: u32,
    pub at: String,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// A delivery as answered, with its attempts oldest first.
#[derive(Serialize)]
pub struct DeliveryOut {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: String,
    pub attempt_count: u32,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<u16>,
    pub created_at: String,
    pub updated_at: String,
    pub attempts: Vec<AttemptOut>,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(n: f64) -> u64 {
    n.max(0.0) as u64
}

impl DeliveryRow {
    pub fn out(self, attempts: &[AttemptRow]) -> DeliveryOut {
        let pending = self.status == "pending";
        DeliveryOut {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == self.id)
                .map(|a| AttemptOut {
                    seq: u32::try_from(whole(a.seq)).unwrap_or(u32::MAX),
                    at: a.at.clone(),
                    status_code: a.status_code.map(|c| u16::try_from(whole(c)).unwrap_or(0)),
                    duration_ms: whole(a.duration_ms),
                    error: a.error.clone(),
                    response_excerpt: a.response_excerpt.clone(),
                })
                .collect(),
            id: self.id,
            webhook_id: self.endpoint_id,
            event_id: self.event_id,
            event_type: self.event_type,
            status: self.status,
            attempt_count: u32::try_from(whole(self.attempts)).unwrap_or(u32::MAX),
            next_attempt_at: self.next_attempt_at.filter(|_| pending),
            last_status_code: self
                .last_status_code
                .map(|c| u16::try_from(whole(c)).unwrap_or(0)),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The attempts of these deliveries, oldest first.
///
/// # Errors
/// Internal error on a database failure.
pub async fn attempts_of(db: &Db, ids: &[&DeliveryId]) -> Result<Vec<AttemptRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(ids).map_err(|e| Error::internal(e.to_string()))?;
    db.all(
        "SELECT delivery_id, seq, at, status_code, duration_ms, error, response_excerpt \
         FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?1)) \
         ORDER BY delivery_id, seq",
        &[&list],
    )
    .await
}

/// The queue message that asks for one attempt of a delivery. `attempts` is how many attempts
/// the delivery had when the message was sent: a message that finds another count is stale
/// (someone else attempted meanwhile) and does nothing.
#[derive(Debug, Serialize, Deserialize)]
pub struct AttemptMessage {
    pub delivery_id: DeliveryId,
    #[serde(default)]
    pub attempts: Option<u32>,
}
