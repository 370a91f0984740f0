//! The orders worker: the company mailbox. Documents go up (raw body, browser form, or in parts)
//! into R2 with their SHA-256, appear in the partner's inbox once stored, and come back with
//! acknowledgements and status reports.
//!
//! The handlers live in one module per resource; this file only routes.

#[cfg(target_arch = "wasm32")]
mod documents;
#[cfg(target_arch = "wasm32")]
mod form;
#[cfg(target_arch = "wasm32")]
mod model;
#[cfg(target_arch = "wasm32")]
mod sweep;
#[cfg(target_arch = "wasm32")]
mod uploads;

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge::{self, context::Ctx};
    use shared::Error;
    use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

    use crate::{documents, routes, sweep, uploads};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, dispatch).await
    }

    /// The housekeeping sweep, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        if let Err(e) = sweep::run_scheduled(env).await {
            worker::console_error!("sweep failed: {e}");
        }
    }

    async fn dispatch(cx: &mut Ctx, method: &str, path: &[&str]) -> shared::Result<Response> {
        match (method, path) {
            ("POST", ["v1", "documents"]) => documents::create_document(cx).await,
            ("GET", ["v1", "documents"]) => documents::list_documents(cx).await,
            ("GET", ["v1", "documents", id]) => documents::get_document(cx, id).await,
            ("GET" | "HEAD", ["v1", "documents", id, "content"]) => {
                documents::get_document_content(cx, id).await
            }
            ("POST", ["v1", "documents", id, "ack"]) => {
                documents::acknowledge_document(cx, id).await
            }
            ("POST", ["v1", "documents", id, "status"]) => {
                documents::report_document_status(cx, id).await
            }
            ("POST", ["v1", "documents", id, "cancel"]) => documents::cancel_document(cx, id).await,

            ("POST", ["v1", "uploads"]) => uploads::create_upload(cx).await,
            ("GET", ["v1", "uploads", id]) => uploads::get_upload(cx, id).await,
            ("DELETE", ["v1", "uploads", id]) => uploads::abort_upload(cx, id).await,
            ("PUT", ["v1", "uploads", id, "parts", n]) => uploads::upload_part(cx, id, n).await,
            ("POST", ["v1", "uploads", id, "complete"]) => uploads::complete_upload(cx, id).await,

            ("POST", ["v1", "dev", "sweep"]) => sweep::dev_sweep(cx).await,

            (_, path) if routes::is_known(path) => Err(Error::MethodNotAllowed),
            _ => Err(Error::not_found("route")),
        }
    }
}
