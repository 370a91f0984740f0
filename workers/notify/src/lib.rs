//! The notify worker: the consumer of the `tradepost-events` queue (signed webhook deliveries
//! with retries and a delivery log, info mails) and the webhook endpoint API.
//!
//! The handlers live in one module per resource; this file only routes.

#[cfg(target_arch = "wasm32")]
mod consumer;
#[cfg(target_arch = "wasm32")]
mod deliver;
#[cfg(target_arch = "wasm32")]
mod deliveries;
#[cfg(target_arch = "wasm32")]
mod mails;
#[cfg(target_arch = "wasm32")]
mod model;
#[cfg(target_arch = "wasm32")]
mod webhooks;

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge::db::Db;
    use shared::edge::{self, context::Ctx};
    use shared::Error;
    use worker::{
        event, Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent,
    };

    use crate::{consumer, deliveries, mails, routes, webhooks};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, dispatch).await
    }

    /// The consumer of `tradepost-events`. Never fails the batch as a whole: each message is
    /// acked or retried on its own; the HTTP attempts run after it returns.
    #[event(queue)]
    async fn queue(
        batch: MessageBatch<serde_json::Value>,
        env: Env,
        ctx: Context,
    ) -> worker::Result<()> {
        consumer::handle_batch(batch, env, &ctx).await;
        Ok(())
    }

    /// The outbox resender and the re-queue of lost retries, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match Db::from_env(&env) {
            Ok(db) => consumer::run_cron(&env, &db, shared::time::now(), None).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => worker::console_log!(
                "notify cron: {} events resent, {} attempts re-queued",
                out.events_resent,
                out.attempts_requeued
            ),
            Err(e) => worker::console_error!("notify cron failed: {e}"),
        }
    }

    async fn dispatch(cx: &mut Ctx, method: &str, path: &[&str]) -> shared::Result<Response> {
        match (method, path) {
            // The literal segment first, so it is never read as an endpoint id.
            ("GET", ["v1", "webhooks", "public-key"]) => webhooks::public_key(cx).await,
            (_, ["v1", "webhooks", "public-key"]) => Err(Error::MethodNotAllowed),
            ("GET", ["v1", "webhooks"]) => webhooks::list_webhooks(cx).await,
            ("POST", ["v1", "webhooks"]) => webhooks::create_webhook(cx).await,
            ("GET", ["v1", "webhooks", id]) => webhooks::get_webhook(cx, id).await,
            ("PATCH", ["v1", "webhooks", id]) => webhooks::update_webhook(cx, id).await,
            ("DELETE", ["v1", "webhooks", id]) => webhooks::delete_webhook(cx, id).await,
            ("POST", ["v1", "webhooks", id, "ping"]) => webhooks::ping_webhook(cx, id).await,
            ("POST", ["v1", "webhooks", id, "rotate-secret"]) => {
                webhooks::rotate_secret(cx, id).await
            }
            ("GET", ["v1", "webhooks", id, "deliveries"]) => {
                deliveries::list_deliveries(cx, id).await
            }
            ("POST", ["v1", "webhooks", id, "deliveries", "replay"]) => {
                deliveries::replay_failed(cx, id).await
            }
            ("POST", ["v1", "webhooks", id, "deliveries", delivery, "replay"]) => {
                deliveries::replay_delivery(cx, id, delivery).await
            }
            ("GET", ["v1", "me", "notifications"]) => mails::get_notifications(cx).await,
            ("PUT", ["v1", "me", "notifications"]) => mails::put_notifications(cx).await,
            ("POST", ["v1", "dev", "deliveries", "run"]) => deliveries::dev_run(cx).await,
            ("POST", ["v1", "dev", "deliveries", "cron"]) => deliveries::dev_cron(cx).await,
            (_, path) if routes::is_known(path) => Err(Error::MethodNotAllowed),
            _ => Err(Error::not_found("route")),
        }
    }
}
