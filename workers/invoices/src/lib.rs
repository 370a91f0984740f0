//! The invoices worker: e-invoices that arrive as documents of type `invoice` — read off the
//! request path (the `tradepost-invoices` queue, and a cron for what it missed) by
//! `shared::invoice` (UBL 2.1 Invoice and CreditNote, UN/CEFACT CII, ZUGFeRD/Factur-X), joined to
//! the order they name, checked, and followed to payment by their recipient: receipt confirmed,
//! disputed (a talk thread with the sender), paid; flagged overdue by the cron.
//!
//! [`SERVICE`] is its route table; the handlers are in [`invoices`], the reading in [`read`].

pub mod api;
pub mod invoices;
pub mod read;

use shared::permissions::Permission::{DocumentsReceive, DocumentsSend};
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{DisputeIn, InvoiceList, InvoiceOut, InvoiceQuery, InvoicesCronOut, PaidIn},
    read::InvoicesCronIn,
    shared::ids::DocumentId,
};

/// Either side of an invoice, checked once it is found: the recipient needs
/// `documents.receive`, the sender `documents.send` (as for the invoice's document).
const EITHER_SIDE: Access = Access::OnResource(&[DocumentsSend, DocumentsReceive]);

/// The invoices worker's endpoints.
pub static SERVICE: Service = Service {
    name: "invoices",
    binding: "INVOICES",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Get "/v1/invoices" => invoices::list_invoices, Access::AnyOf(&[DocumentsSend, DocumentsReceive]),
            |d| d.summary("List the invoices the caller's company received (or sent), newest first, with the sums per currency")
                .query::<InvoiceQuery>().query::<shared::service::page::Paging>()
                .ok::<InvoiceList>("a page of invoices and the sums over all the filter finds")
                .errors(&[(403, "`received` needs documents.receive, `sent` documents.send")]);
        Get "/v1/invoices/{id}" => invoices::get_invoice, EITHER_SIDE,
            |d| d.summary("Read an invoice: what was read from it (parties, lines, taxes, totals), the checks' findings, the order it joined, its status bar")
                .path_param::<DocumentId>("id")
                .ok::<InvoiceOut>("the invoice");
        Post "/v1/invoices/{id}/received" => invoices::mark_received, EITHER_SIDE,
            |d| d.summary("Confirm receipt of an invoice (its recipient)").path_param::<DocumentId>("id")
                .ok::<InvoiceOut>("the invoice, received (the same again once it is)")
                .errors(&[(403, "the caller is the sender (`recipient_only`), or the relationship is blocked"), (409, "disputed or paid already (`invalid_transition`), or still being read (`not_read_yet`)")]);
        Post "/v1/invoices/{id}/dispute" => invoices::dispute_invoice, EITHER_SIDE,
            |d| d.summary("Dispute an invoice, saying why (its recipient): opens a talk thread with the sender").path_param::<DocumentId>("id")
                .body::<DisputeIn>()
                .ok::<InvoiceOut>("the invoice, disputed, with `thread_id` (the same again once it is)")
                .errors(&[(403, "the caller is the sender (`recipient_only`), an API key (`user_required`), or the relationship is blocked"), (409, "paid already (`invalid_transition`), or still being read (`not_read_yet`)")]);
        Post "/v1/invoices/{id}/paid" => invoices::mark_paid, EITHER_SIDE,
            |d| d.summary("Record the payment of an invoice (its recipient)").path_param::<DocumentId>("id")
                .body::<PaidIn>()
                .ok::<InvoiceOut>("the invoice, paid (the same again for the same date and amount)")
                .errors(&[(403, "the caller is the sender (`recipient_only`), or the relationship is blocked"), (409, "paid already with another date or amount (`invalid_transition`), or still being read (`not_read_yet`)")]);
        Post "/v1/dev/invoices/cron" => read::dev_invoices_cron, Access::Dev,
            |d| d.summary("Run the invoices cron for one company now: read what is unread, flag what is overdue (local stack only)")
                .body::<InvoicesCronIn>().ok::<InvoicesCronOut>("what it did");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use std::rc::Rc;

    use shared::edge;
    use shared::time::Time;
    use worker::{
        event, Context, Env, MessageBatch, MessageExt, Request, Response, ScheduleContext,
        ScheduledEvent,
    };

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }

    /// The consumer of `tradepost-invoices`: each message is acked or retried on its own.
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
                edge::log_failure("the invoices consumer", &e);
                batch.retry_all();
                return Ok(());
            }
        };
        let messages: Vec<_> = batch.raw_iter().collect();
        let bodies: Vec<serde_json::Value> =
            messages.iter().map(|m| edge::json_of(&m.body())).collect();
        let now = platform.clock.now();
        let acks = crate::read::handle_batch(&platform, &bodies, now).await;
        for (message, ack) in messages.iter().zip(acks) {
            if ack {
                message.ack();
            } else {
                message.retry();
            }
        }
        Ok(())
    }

    /// What the queue missed, and overdue invoices, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match edge::platform(&env, |_| ()) {
            Ok(p) => {
                let now = p.clock.now();
                let missed = now - chrono::Duration::minutes(crate::read::MISSED_AFTER_MINUTES);
                crate::read::run_cron(&p, now, Time(missed), None).await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => shared::service::log_info(&format!(
                "invoices cron: {} read, {} flagged overdue",
                out.read, out.flagged_overdue
            )),
            Err(e) => edge::log_failure("invoices cron", &e),
        }
    }
}
