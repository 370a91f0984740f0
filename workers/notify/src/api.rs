//! What the notify worker takes and answers, and the queue message of an attempt.

use serde::{Deserialize, Serialize};
use shared::data::webhooks::{
    AttemptRow, DeliveryRow, DeliveryStatus, DisabledReason, EndpointRow,
};
use shared::ids::{DeliveryId, EventId, WebhookId};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: WebhookId,
    pub url: String,
    pub description: Option<String>,
    /// The subscribed event types; `null`: every type.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// Why it was switched off by the platform: `gone` (410), `failing` (five days).
    pub disabled_reason: Option<DisabledReason>,
    /// The first failed attempt since the last success.
    pub failing_since: Option<Time>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_expires_at: Option<Time>,
    pub created_at: Time,
    pub updated_at: Time,
    /// The signing secret (`whsec_…`), only right after it was made or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookOut {
    /// The endpoint as answered; `secret` only right after it was made or rotated.
    #[must_use]
    pub fn of(row: &EndpointRow, secret: Option<String>) -> WebhookOut {
        WebhookOut {
            id: row.id.clone(),
            url: row.url.clone(),
            description: row.description.clone(),
            event_types: row.types().map(<[String]>::to_vec),
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since,
            previous_secret_expires_at: row
                .previous_secret
                .as_ref()
                .and(row.previous_secret_expires_at),
            created_at: row.created_at,
            updated_at: row.updated_at,
            secret,
        }
    }
}

/// A page of endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// An https URL (`http://127.0.0.1` in the local stack); no private addresses.
    #[schema(min_length = 1, max_length = 2000, pattern = r"^https?://\S+$")]
    pub url: String,
    /// The event types to deliver; every type when left out.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Reads a field that may be absent (`None`), null (`Some(None)`) or set.
fn double_option<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A change of an endpoint: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = r"^https?://\S+$")]
    pub url: Option<String>,
    /// `null`: every type.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub description: Option<Option<String>>,
    /// Switching an endpoint on again clears why it was off.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A test delivery on its way.
#[derive(Debug, Serialize, ToSchema)]
pub struct PingOut {
    pub delivery_id: DeliveryId,
    pub event_id: EventId,
    /// `pending`.
    pub status: &'static str,
}

/// The platform's key that signs `v1a`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyOut {
    /// `whpk_…`: the Ed25519 public key, base64.
    pub key: String,
    /// `ed25519`.
    pub algorithm: &'static str,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub seq: u32,
    pub at: Time,
    /// The receiver's status; `null` for a timeout or network error.
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// The first KiB of the receiver's answer.
    pub response_excerpt: Option<String>,
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: u32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<Time>,
    pub last_status_code: Option<u16>,
    pub created_at: Time,
    pub updated_at: Time,
    pub attempts: Vec<AttemptOut>,
}

impl DeliveryOut {
    /// A delivery with its attempts (of several deliveries, those of this one).
    #[must_use]
    pub fn of(row: DeliveryRow, attempts: &[AttemptRow]) -> DeliveryOut {
        let pending = row.status == DeliveryStatus::Pending;
        DeliveryOut {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == row.id)
                .map(|a| AttemptOut {
                    seq: a.seq,
                    at: a.at,
                    status_code: a.status_code,
                    duration_ms: a.duration_ms,
                    error: a.error.clone(),
                    response_excerpt: a.response_excerpt.clone(),
                })
                .collect(),
            id: row.id,
            webhook_id: row.endpoint_id,
            event_id: row.event_id,
            event_type: row.event_type,
            status: row.status,
            attempt_count: row.attempts,
            next_attempt_at: row.next_attempt_at.filter(|_| pending),
            last_status_code: row.last_status_code,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which deliveries a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    #[param(value_type = Option<DeliveryStatus>, inline)]
    pub status: Option<String>,
}

/// Every failed delivery made since a time, once more.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub since: String,
}

/// How many were put back.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayOut {
    pub replayed: u32,
}

/// The dev endpoints' company and time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunIn {
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: String,
    /// As if it were then (RFC 3339); now when left out.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub as_of: Option<String>,
}

/// The event the dev resend puts on the queue again.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResendIn {
    #[schema(pattern = "^evt_[0-9a-z]{26}$")]
    pub event_id: String,
}

/// How many deliveries the dev run attempted.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    pub attempted: u32,
}

/// What one cron run did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CronOut {
    pub events_resent: u32,
    pub attempts_requeued: u32,
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
