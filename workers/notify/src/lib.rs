//! The notify worker: the consumer of the `tradepost-events` queue (signed webhook deliveries
//! with retries and a delivery log, info mails) and the webhook endpoint API.
//!
//! [`SERVICE`] is its route table; the consumer and the cron are in [`consumer`].

pub mod api;
pub mod consumer;
mod deliver;
mod deliveries;
pub mod fanout;
mod mails;
mod webhooks;

use shared::permissions::Permission::WebhooksManage;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        CronOut, DeliveryList, DeliveryOut, DeliveryQuery, PingOut, PublicKeyOut, ReplayIn,
        ReplayOut, ResendIn, RunIn, RunOut, WebhookIn, WebhookList, WebhookOut, WebhookPatch,
    },
    shared::ids::{DeliveryId, WebhookId},
};

const MANAGE: Access = Access::Permission(WebhooksManage);

/// The notify worker's endpoints.
pub static SERVICE: Service = Service {
    name: "notify",
    binding: "NOTIFY",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Get "/v1/webhooks/public-key" => webhooks::public_key, Access::Public,
            |d| d.summary("The platform's public key that signs every webhook (v1a)")
                .ok::<PublicKeyOut>("the key");
        Get "/v1/webhooks" => webhooks::list_webhooks, MANAGE,
            |d| d.summary("List the company's webhook endpoints")
                .query::<shared::service::page::Paging>()
                .ok::<WebhookList>("a page of endpoints, newest first");
        Post "/v1/webhooks" => webhooks::create_webhook, MANAGE,
            |d| d.summary("Register a webhook endpoint (its secret is shown once)")
                .body::<WebhookIn>()
                .created::<WebhookOut>("the endpoint with its whsec_ secret")
                .errors(&[(409, "the company has 20 endpoints already (`too_many_webhooks`), or one with this URL (`webhook_url_taken`: a retried registration)")]);
        Get "/v1/webhooks/{id}" => webhooks::get_webhook, MANAGE,
            |d| d.summary("Read a webhook endpoint").path_param::<WebhookId>("id")
                .ok::<WebhookOut>("the endpoint");
        Patch "/v1/webhooks/{id}" => webhooks::update_webhook, MANAGE,
            |d| d.summary("Change a webhook endpoint").path_param::<WebhookId>("id")
                .body::<WebhookPatch>()
                .ok::<WebhookOut>("the endpoint as it is now");
        Delete "/v1/webhooks/{id}" => webhooks::delete_webhook, MANAGE,
            |d| d.summary("Delete a webhook endpoint and its delivery log").path_param::<WebhookId>("id")
                .empty(204, "deleted");
        Post "/v1/webhooks/{id}/ping" => webhooks::ping_webhook, MANAGE,
            |d| d.summary("Send a test event to one endpoint").path_param::<WebhookId>("id")
                .answer::<PingOut>(202, "the delivery on its way")
                .errors(&[(409, "the endpoint is disabled")]);
        Post "/v1/webhooks/{id}/rotate-secret" => webhooks::rotate_secret, MANAGE,
            |d| d.summary("Rotate an endpoint's secret (the old one signs for 24 more hours)").path_param::<WebhookId>("id")
                .ok::<WebhookOut>("the endpoint with its new secret")
                .errors(&[(409, "rotated at the same time by another request")]);
        Get "/v1/webhooks/{id}/deliveries" => deliveries::list_deliveries, MANAGE,
            |d| d.summary("The delivery log of an endpoint").path_param::<WebhookId>("id")
                .query::<DeliveryQuery>().query::<shared::service::page::Paging>()
                .ok::<DeliveryList>("a page of deliveries with their attempts, newest first");
        Post "/v1/webhooks/{id}/deliveries/replay" => deliveries::replay_failed, MANAGE,
            |d| d.summary("Deliver every failed delivery since a time once more").path_param::<WebhookId>("id")
                .body::<ReplayIn>()
                .answer::<ReplayOut>(202, "how many were put back")
                .errors(&[(409, "the endpoint is disabled")]);
        Post "/v1/webhooks/{id}/deliveries/{delivery_id}/replay" => deliveries::replay_delivery, MANAGE,
            |d| d.summary("Deliver one delivery once more").path_param::<WebhookId>("id")
                .path_param::<DeliveryId>("delivery_id")
                .answer::<DeliveryOut>(202, "the delivery, pending again")
                .errors(&[(409, "the endpoint is disabled")]);
        Post "/v1/dev/deliveries/run" => deliveries::dev_run, Access::Dev,
            |d| d.summary("Attempt a company's due deliveries now (local stack only)")
                .body::<RunIn>().ok::<RunOut>("how many were attempted");
        Post "/v1/dev/deliveries/cron" => deliveries::dev_cron, Access::Dev,
            |d| d.summary("Run the resender cron for one company (local stack only)")
                .body::<RunIn>().ok::<CronOut>("what it did");
        Post "/v1/dev/deliveries/resend" => deliveries::dev_resend, Access::Dev,
            |d| d.summary("Put a stored event on the queue once more, as a queue delivering twice would (local stack only)")
                .body::<ResendIn>().empty(202, "on the queue")
                .errors(&[(404, "no such event")]);
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use std::rc::Rc;

    use shared::edge;
    use worker::{
        event, Context, Env, MessageBatch, MessageExt, Request, Response, ScheduleContext,
        ScheduledEvent,
    };

    #[event(fetch)]
    async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        if is_fanout(&req.inner().url()) {
            let ctx = Rc::new(ctx);
            let reply = match edge::platform(&env, move |work| ctx.wait_until(work)) {
                Ok(platform) => crate::fanout::handle(&platform, &req.bytes().await?).await,
                Err(e) => shared::service::Reply::problem(&e),
            };
            return edge::response_of(reply);
        }
        edge::serve(req, env, ctx, &super::SERVICE).await
    }

    /// Whether a request is the hand-over of events from another worker: its path is
    /// `FANOUT_PATH`, which no route table has, so the gateway never forwards one.
    fn is_fanout(url: &str) -> bool {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.find('/').map(|i| &rest[i..]) == Some(shared::service::FANOUT_PATH)
    }

    /// The consumer of `tradepost-events`. Never fails the batch as a whole: each message is
    /// acked or retried on its own; the HTTP attempts run after it returns.
    #[event(queue)]
    async fn queue(
        batch: MessageBatch<serde_json::Value>,
        env: Env,
        ctx: Context,
    ) -> worker::Result<()> {
        let ctx = Rc::new(ctx);
        let platform = match edge::platform(&env, move |work| ctx.wait_until(work)) {
            Ok(p) => p,
            Err(e) => {
                edge::log_failure("the notify consumer", &e);
                batch.retry_all();
                return Ok(());
            }
        };
        let messages: Vec<_> = batch.raw_iter().collect();
        let bodies: Vec<serde_json::Value> =
            messages.iter().map(|m| edge::json_of(&m.body())).collect();
        let acks = crate::consumer::handle_batch(&platform, &bodies).await;
        for (message, ack) in messages.iter().zip(acks) {
            if ack {
                message.ack();
            } else {
                message.retry();
            }
        }
        Ok(())
    }

    /// The outbox resender and the re-queue of lost retries, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match edge::platform(&env, |_| ()) {
            Ok(p) => crate::consumer::run_cron(&p, p.clock.now(), None).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => shared::service::log_info(&format!(
                "notify cron: {} events resent, {} attempts re-queued",
                out.events_resent, out.attempts_requeued
            )),
            Err(e) => edge::log_failure("notify cron", &e),
        }
    }
}
