//! `/v1/webhooks`: a company's webhook endpoints (URL, event types, description, enabled), the
//! test ping, secret rotation, and the platform's public key.
//!
//! Every call but the public key needs `webhooks.manage`; another company's endpoint is a 404.

use serde_json::json;
use shared::data::audit::{self, Target};
use shared::data::webhooks::{self, EndpointChange, EndpointRow, NewDelivery, NewEndpoint};
use shared::event::Event;
use shared::ids::{DeliveryId, WebhookId};
use shared::permissions::Principal;
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{validate, webhook, Error, Result};

use crate::api::{PingOut, PublicKeyOut, WebhookIn, WebhookList, WebhookOut, WebhookPatch};
use crate::deliver;

/// Endpoints one company may have.
const MAX_ENDPOINTS: u64 = 20;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 500;

fn event_types(types: Option<&Vec<String>>) -> Result<Option<Vec<String>>> {
    types
        .map(|t| webhook::parse_event_types("event_types", t))
        .transpose()
}

/// Writes the audit log's entry for a change of endpoint `id`, right after the change.
async fn logged(
    cx: &Cx,
    me: &Principal,
    action: &str,
    id: &WebhookId,
    details: serde_json::Value,
) -> Result<()> {
    let entry = audit::entry_stmt(
        me,
        action,
        Target::Webhook,
        id.as_str(),
        &details,
        Time(cx.now),
        false,
    )?;
    cx.db.run_of(entry).await.map(|_| ())
}

/// The caller's company's endpoint named by the path.
pub async fn load(cx: &Cx, me: &Principal) -> Result<EndpointRow> {
    let id = WebhookId::parse(cx.param("id"))?;
    webhooks::endpoint(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("webhook"))
}

async fn reload(cx: &Cx, me: &Principal, id: &WebhookId) -> Result<EndpointRow> {
    webhooks::endpoint(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("webhook"))
}

/// `POST /v1/webhooks`.
pub async fn create_webhook(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: WebhookIn = cx.body().await?;
    let url = webhook::check_url(&input.url, cx.env.is_dev())?;
    let types = event_types(input.event_types.as_ref())?;
    let description = validate::optional_text(
        "description",
        input.description.as_deref(),
        MAX_DESCRIPTION_CHARS,
    )?;
    let id = WebhookId::new(cx.now)?;
    let secret = webhook::new_secret()?;
    // Only its sealed form is stored (see `SecretBox`); the secret itself is shown once.
    let sealed = deliver::secret_box(&cx.env)?.seal(id.as_str(), &secret)?;
    let created_by = me
        .user_id
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| me.api_key_id.as_ref().map(ToString::to_string));
    let stored = webhooks::insert_endpoint(
        &cx.db,
        &NewEndpoint {
            id: &id,
            company_id: &me.company_id,
            url: &url,
            description: description.as_deref(),
            event_types: types.as_deref(),
            enabled: input.enabled.unwrap_or(true),
            secret: &sealed,
            created_by: created_by.as_deref(),
            now: Time(cx.now),
        },
        MAX_ENDPOINTS,
    )
    .await?;
    if !stored {
        return Err(match webhooks::id_by_url(&cx.db, &me.company_id, &url).await? {
            Some(existing) => Error::conflict(
                "webhook_url_taken",
                format!("endpoint {existing} has this URL already (its secret was shown when it was registered; rotate it to see a new one)"),
            ),
            None => Error::conflict(
                "too_many_webhooks",
                "a company has at most 20 webhook endpoints; delete one first",
            ),
        });
    }
    logged(
        cx,
        &me,
        "webhook.created",
        &id,
        json!({"url": url, "event_types": types}),
    )
    .await?;
    let row = reload(cx, &me, &id).await?;
    Ok(Reply::json(201, &WebhookOut::of(&row, Some(secret)))?
        .with_header("location", format!("/v1/webhooks/{id}")))
}

/// `GET /v1/webhooks`.
pub async fn list_webhooks(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let rows =
        webhooks::endpoints(&cx.db, &me.company_id, page.before.as_deref(), page.fetch()).await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = rows.iter().map(|r| WebhookOut::of(r, None)).collect();
    Reply::json(200, &WebhookList { data, next_cursor })
}

/// `GET /v1/webhooks/{id}`.
pub async fn get_webhook(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    Reply::json(200, &WebhookOut::of(&row, None))
}

/// `PATCH /v1/webhooks/{id}`: switching an endpoint on again clears why it was off.
pub async fn update_webhook(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    let patch: WebhookPatch = cx.body().await?;
    let url = match &patch.url {
        Some(u) => webhook::check_url(u, cx.env.is_dev())?,
        None => row.url.clone(),
    };
    let types = match &patch.event_types {
        Some(types) => event_types(types.as_ref())?,
        None => row.types().map(<[String]>::to_vec),
    };
    let description = match &patch.description {
        Some(d) => validate::optional_text("description", d.as_deref(), MAX_DESCRIPTION_CHARS)?,
        None => row.description.clone(),
    };
    let (enabled, reason, failing_since) = match patch.enabled {
        Some(true) if !row.enabled => (true, None, None),
        Some(false) if row.enabled => (false, None, row.failing_since),
        _ => (row.enabled, row.disabled_reason, row.failing_since),
    };
    webhooks::update_endpoint(
        &cx.db,
        &me.company_id,
        &row.id,
        &EndpointChange {
            url: &url,
            event_types: types.as_deref(),
            description: description.as_deref(),
            enabled,
            disabled_reason: reason,
            failing_since,
            now: Time(cx.now),
        },
    )
    .await?;
    logged(
        cx,
        &me,
        "webhook.updated",
        &row.id,
        json!({"url": url, "event_types": types, "enabled": enabled}),
    )
    .await?;
    let row = reload(cx, &me, &row.id).await?;
    Reply::json(200, &WebhookOut::of(&row, None))
}

/// `DELETE /v1/webhooks/{id}`: the endpoint and its delivery log.
pub async fn delete_webhook(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    let mut statements = webhooks::delete_endpoint_stmts(&me.company_id, &row.id);
    statements.push(audit::entry_stmt(
        &me,
        "webhook.deleted",
        Target::Webhook,
        row.id.as_str(),
        &json!({"url": row.url}),
        Time(cx.now),
        false,
    )?);
    cx.db.batch(statements).await?;
    Ok(Reply::no_content())
}

/// `POST /v1/webhooks/{id}/ping`: a `webhook.ping` event to this endpoint only, through the
/// queue and the same attempt as every delivery (it is not written to the events table, so
/// no other endpoint and no mail sees it).
pub async fn ping_webhook(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    if !row.enabled {
        return Err(disabled());
    }
    let event = Event::new(
        webhook::PING_EVENT,
        &me.company_id,
        json!({ "webhook_id": row.id }),
        cx.now,
    )?;
    let body = serde_json::to_string(&event).map_err(|e| Error::internal(e.to_string()))?;
    let delivery = DeliveryId::new(cx.now)?;
    cx.db
        .run_of(webhooks::insert_delivery_stmt(
            &NewDelivery {
                id: &delivery,
                endpoint_id: &row.id,
                company_id: &me.company_id,
                event_id: &event.id,
                event_type: &event.kind,
                body: &body,
                now: Time(cx.now),
            },
            false,
        ))
        .await?;
    deliver::enqueue(&cx.env, &delivery, 0, 0).await?;
    Reply::json(
        202,
        &PingOut {
            delivery_id: delivery,
            event_id: event.id,
            status: "pending",
        },
    )
}

/// The 409 for an action on a disabled endpoint.
#[must_use]
pub fn disabled() -> Error {
    Error::conflict(
        "webhook_disabled",
        "the endpoint is disabled; enable it first (PATCH enabled: true)",
    )
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret, shown once; the old one keeps signing
/// (a second `v1` signature) for 24 hours.
pub async fn rotate_secret(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    let secret = webhook::new_secret()?;
    let sealed = deliver::secret_box(&cx.env)?.seal(row.id.as_str(), &secret)?;
    let until = Time(cx.now + chrono::Duration::hours(webhook::ROTATION_OVERLAP_HOURS));
    let rotated = webhooks::rotate_secret(
        &cx.db,
        &me.company_id,
        &row.id,
        &row.secret,
        &sealed,
        until,
        Time(cx.now),
    )
    .await?;
    if !rotated {
        return Err(Error::conflict(
            "changed_meanwhile",
            "the secret was rotated at the same time; rotate again if you need a new one",
        ));
    }
    logged(cx, &me, "webhook.secret_rotated", &row.id, json!({})).await?;
    let row = reload(cx, &me, &row.id).await?;
    Reply::json(200, &WebhookOut::of(&row, Some(secret)))
}

/// `GET /v1/webhooks/public-key`: no credentials needed.
pub async fn public_key(cx: &mut Cx) -> Result<Reply> {
    let signer = deliver::signer(&cx.env)?;
    Reply::json(
        200,
        &PublicKeyOut {
            key: signer.public_key(),
            algorithm: "ed25519",
        },
    )
}
