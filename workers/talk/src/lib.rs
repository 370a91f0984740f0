//! The talk worker: threads and messages between the people of two connected companies,
//! optionally about a document, with attachments streamed into R2, read positions per user and
//! unread counts.
//!
//! The handlers live in one module per resource; this file only routes.

#[cfg(target_arch = "wasm32")]
mod attachments;
#[cfg(target_arch = "wasm32")]
mod messages;
#[cfg(target_arch = "wasm32")]
mod model;
#[cfg(target_arch = "wasm32")]
mod threads;

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge::{self, context::Ctx};
    use shared::Error;
    use worker::{event, Context, Env, Request, Response};

    use crate::{attachments, messages, routes, threads};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, dispatch).await
    }

    async fn dispatch(cx: &mut Ctx, method: &str, path: &[&str]) -> shared::Result<Response> {
        match (method, path) {
            ("POST", ["v1", "threads"]) => threads::create_thread(cx).await,
            ("GET", ["v1", "threads"]) => threads::list_threads(cx).await,
            ("GET", ["v1", "threads", id]) => threads::get_thread(cx, id).await,
            ("POST", ["v1", "threads", id, "messages"]) => messages::create_message(cx, id).await,
            ("GET", ["v1", "threads", id, "messages"]) => messages::list_messages(cx, id).await,
            ("POST", ["v1", "threads", id, "read"]) => threads::read_thread(cx, id).await,

            ("POST", ["v1", "attachments"]) => attachments::create_attachment(cx).await,
            ("GET" | "HEAD", ["v1", "attachments", id, "content"]) => {
                attachments::get_attachment_content(cx, id).await
            }

            (_, path) if routes::is_known(path) => Err(Error::MethodNotAllowed),
            _ => Err(Error::not_found("route")),
        }
    }
}
