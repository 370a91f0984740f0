//! `/v1/webhooks`: a company's webhook endpoints (URL, event types, description, enabled), the
//! test ping, secret rotation, and the platform's public key.
//!
//! Every call but the public key needs `webhooks.manage`; another company's endpoint is a 404.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use shared::edge::context::Ctx;
use shared::edge::{self, internal, List, Page};
use shared::event::Event;
use shared::ids::{DeliveryId, WebhookId};
use shared::permissions::{Permission, Principal};
use shared::{time, validate, webhook, Error, Result};
use worker::Response;

use crate::deliver;
use crate::model::{self, EndpointRow, ENDPOINT_COLUMNS};

/// Endpoints one company may have.
const MAX_ENDPOINTS: f64 = 20.0;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 500;

async fn manager(cx: &Ctx) -> Result<Principal> {
    let me = cx.principal().await?;
    me.require(Permission::WebhooksManage)?;
    Ok(me)
}

/// Reads a field that may be absent (`None`), null (`Some(None)`) or set.
fn double_option<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookIn {
    url: String,
    #[serde(default)]
    event_types: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WebhookPatch {
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    event_types: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

fn types_json(types: Option<&Vec<String>>) -> Result<Option<String>> {
    types
        .map(|t| webhook::parse_event_types("event_types", t))
        .transpose()?
        .map(|t| serde_json::to_string(&t).map_err(internal))
        .transpose()
}

/// `POST /v1/webhooks`.
pub async fn create_webhook(cx: &mut Ctx) -> Result<Response> {
    let me = manager(cx).await?;
    let input: WebhookIn = cx.body().await?;
    let url = webhook::check_url(&input.url, edge::is_dev(&cx.env))?;
    let event_types = types_json(input.event_types.as_ref())?;
    let description = validate::optional_text(
        "description",
        input.description.as_deref(),
        MAX_DESCRIPTION_CHARS,
    )?;
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let count: Option<Count> = cx
        .db
        .first(
            "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE company_id = ?1",
            &[&me.company_id],
        )
        .await?;
    if count.is_some_and(|c| c.n >= MAX_ENDPOINTS) {
        return Err(Error::conflict(
            "too_many_webhooks",
            "a company has at most 20 webhook endpoints; delete one first",
        ));
    }
    let id = WebhookId::new(cx.now)?;
    let secret = webhook::new_secret()?;
    // Only its sealed form is stored (see `SecretBox`); the secret itself is shown once.
    let sealed = deliver::secret_box(&cx.env)?.seal(id.as_str(), &secret)?;
    let now = time::format(cx.now);
    let created_by = me
        .user_id
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| me.api_key_id.as_ref().map(ToString::to_string));
    cx.db
        .run(
            "INSERT INTO webhook_endpoints (id, company_id, url, description, event_types, \
             enabled, secret, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            &[
                &id,
                &me.company_id,
                &url,
                &description,
                &event_types,
                &input.enabled.unwrap_or(true),
                &sealed,
                &created_by,
                &now,
            ],
        )
        .await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id.as_str()).await?;
    let response = edge::json(201, &row.out(Some(secret)))?;
    response
        .headers()
        .set("location", &format!("/v1/webhooks/{id}"))
        .map_err(internal)?;
    Ok(response)
}

/// `GET /v1/webhooks`.
pub async fn list_webhooks(cx: &mut Ctx) -> Result<Response> {
    let me = manager(cx).await?;
    let page = Page::from_request(&cx.req)?;
    let rows: Vec<EndpointRow> = cx
        .db
        .all(
            &format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = ?1 \
                 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3"
            ),
            &[&me.company_id, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = rows.iter().map(|r| r.out(None)).collect();
    edge::json(200, &List { data, next_cursor })
}

/// `GET /v1/webhooks/{id}`.
pub async fn get_webhook(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = manager(cx).await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    edge::json(200, &row.out(None))
}

/// `PATCH /v1/webhooks/{id}`: switching an endpoint on again clears why it was off.
pub async fn update_webhook(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = manager(cx).await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    let patch: WebhookPatch = cx.body().await?;
    let url = match &patch.url {
        Some(u) => webhook::check_url(u, edge::is_dev(&cx.env))?,
        None => row.url.clone(),
    };
    let event_types = match &patch.event_types {
        Some(types) => types_json(types.as_ref())?,
        None => row.event_types.clone(),
    };
    let description = match &patch.description {
        Some(d) => validate::optional_text("description", d.as_deref(), MAX_DESCRIPTION_CHARS)?,
        None => row.description.clone(),
    };
    let (enabled, reason, failing_since) = match patch.enabled {
        Some(true) if !row.is_enabled() => (true, None, None),
        Some(false) if row.is_enabled() => (false, None, row.failing_since.clone()),
        _ => (
            row.is_enabled(),
            row.disabled_reason.clone(),
            row.failing_since.clone(),
        ),
    };
    cx.db
        .run(
            "UPDATE webhook_endpoints SET url = ?1, event_types = ?2, description = ?3, \
             enabled = ?4, disabled_reason = ?5, failing_since = ?6, updated_at = ?7 \
             WHERE id = ?8 AND company_id = ?9",
            &[
                &url,
                &event_types,
                &description,
                &enabled,
                &reason,
                &failing_since,
                &time::format(cx.now),
                &row.id,
                &me.company_id,
            ],
        )
        .await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    edge::json(200, &row.out(None))
}

/// `DELETE /v1/webhooks/{id}`: the endpoint and its delivery log.
pub async fn delete_webhook(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = manager(cx).await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    cx.db
        .batch(vec![
            cx.db.stmt(
                "DELETE FROM delivery_attempts WHERE delivery_id IN \
                 (SELECT id FROM deliveries WHERE endpoint_id = ?1)",
                &[&row.id],
            )?,
            cx.db
                .stmt("DELETE FROM deliveries WHERE endpoint_id = ?1", &[&row.id])?,
            cx.db.stmt(
                "DELETE FROM webhook_endpoints WHERE id = ?1 AND company_id = ?2",
                &[&row.id, &me.company_id],
            )?,
        ])
        .await?;
    edge::no_content()
}

#[derive(Serialize)]
struct PingOut {
    delivery_id: DeliveryId,
    event_id: shared::ids::EventId,
    status: &'static str,
}

/// `POST /v1/webhooks/{id}/ping`: a `webhook.ping` event to this endpoint only, through the
/// queue and the same attempt as every delivery (it is not written to the events table, so
/// no other endpoint and no mail sees it).
pub async fn ping_webhook(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = manager(cx).await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    if !row.is_enabled() {
        return Err(disabled());
    }
    let event = Event::new(
        webhook::PING_EVENT,
        &me.company_id,
        json!({ "webhook_id": row.id }),
        cx.now,
    )?;
    let body = serde_json::to_string(&event).map_err(internal)?;
    let delivery = DeliveryId::new(cx.now)?;
    let now = time::format(cx.now);
    cx.db
        .run(
            "INSERT INTO deliveries (id, endpoint_id, company_id, event_id, event_type, body, \
             status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7, ?7)",
            &[
                &delivery,
                &row.id,
                &me.company_id,
                &event.id,
                &event.kind,
                &body,
                &now,
            ],
        )
        .await?;
    deliver::enqueue(&cx.env, &delivery, 0, 0).await?;
    edge::json(
        202,
        &PingOut {
            delivery_id: delivery,
            event_id: event.id,
            status: "pending",
        },
    )
}

pub fn disabled() -> Error {
    Error::conflict(
        "webhook_disabled",
        "the endpoint is disabled; enable it first (PATCH enabled: true)",
    )
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret, shown once; the old one keeps signing
/// (a second `v1` signature) for 24 hours.
pub async fn rotate_secret(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = manager(cx).await?;
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    let secret = webhook::new_secret()?;
    let sealed = deliver::secret_box(&cx.env)?.seal(row.id.as_str(), &secret)?;
    let until = cx.now + chrono::Duration::hours(webhook::ROTATION_OVERLAP_HOURS);
    let changed = cx
        .db
        .run(
            "UPDATE webhook_endpoints SET secret = ?1, previous_secret = secret, \
             previous_secret_expires_at = ?2, updated_at = ?3 \
             WHERE id = ?4 AND company_id = ?5 AND secret = ?6",
            &[
                &sealed,
                &time::format(until),
                &time::format(cx.now),
                &row.id,
                &me.company_id,
                &row.secret,
            ],
        )
        .await?;
    if changed == 0 {
        return Err(Error::conflict(
            "changed_meanwhile",
            "the secret was rotated at the same time; rotate again if you need a new one",
        ));
    }
    let row = model::load_endpoint(&cx.db, &me.company_id, id).await?;
    edge::json(200, &row.out(Some(secret)))
}

#[derive(Serialize)]
struct PublicKeyOut {
    key: String,
    algorithm: &'static str,
}

/// `GET /v1/webhooks/public-key`: no credentials needed.
pub async fn public_key(cx: &mut Ctx) -> Result<Response> {
    let signer = deliver::signer(&cx.env)?;
    edge::json(
        200,
        &PublicKeyOut {
            key: signer.public_key(),
            algorithm: "ed25519",
        },
    )
}
