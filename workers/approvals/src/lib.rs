//! The approvals worker: proofs (print approval patterns) a supplier attaches to a document
//! exchanged with its customer, stored in R2 with their SHA-256, and the customer's decisions on
//! them, recorded once with who, when, the comment and the proof's hash.
//!
//! The handlers live in one module per resource; this file only routes.

#[cfg(target_arch = "wasm32")]
mod approvals;
#[cfg(target_arch = "wasm32")]
mod model;

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::approval::Decision;
    use shared::edge::{self, context::Ctx};
    use shared::Error;
    use worker::{event, Context, Env, Request, Response};

    use crate::{approvals, routes};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, dispatch).await
    }

    async fn dispatch(cx: &mut Ctx, method: &str, path: &[&str]) -> shared::Result<Response> {
        match (method, path) {
            ("POST", ["v1", "documents", id, "proofs"]) => approvals::create_proof(cx, id).await,
            ("GET", ["v1", "approvals"]) => approvals::list_approvals(cx).await,
            ("GET", ["v1", "approvals", id]) => approvals::get_approval(cx, id).await,
            ("GET" | "HEAD", ["v1", "approvals", id, "content"]) => {
                approvals::get_approval_content(cx, id).await
            }
            ("POST", ["v1", "approvals", id, "approve"]) => {
                approvals::decide_approval(cx, id, Decision::Approved).await
            }
            ("POST", ["v1", "approvals", id, "reject"]) => {
                approvals::decide_approval(cx, id, Decision::Rejected).await
            }
            (_, path) if routes::is_known(path) => Err(Error::MethodNotAllowed),
            _ => Err(Error::not_found("route")),
        }
    }
}
