//! The approvals worker: proofs (print approval patterns) a supplier attaches to a document
//! exchanged with its customer, stored in R2 with their SHA-256, and the customer's decisions on
//! them, recorded once with who, when, the comment and the proof's hash.
//!
//! [`SERVICE`] is its route table; the handlers are in [`approvals`].

pub mod api;
mod approvals;

use shared::permissions::Permission::{ApprovalsDecide, DocumentsSend};
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{ApprovalList, ApprovalOut, ApprovalQuery, DecisionIn},
    shared::ids::{ApprovalId, DocumentId},
};

/// Either side reads an approval with one of these, checked once the approval is found.
const READER: Access = Access::OnResource(approvals::READ_PERMISSIONS);

/// The approvals worker's endpoints.
pub static SERVICE: Service = Service {
    name: "approvals",
    binding: "APPROVALS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/documents/{id}/proofs" => approvals::create_proof, Access::Permission(DocumentsSend),
            |d| d.summary("Attach a proof to a document and ask the customer to approve it")
                .describe("The proof file as the raw body with Content-Length. A new proof supersedes the pending one of the same document (its version is the next).")
                .path_param::<DocumentId>("id")
                .header("tradepost-filename", true, "the proof's file name; UTF-8 may be percent-encoded")
                .header("tradepost-approvers", false, "user ids of the customer who decide, comma-separated; none: anyone with approvals.decide")
                .header("tradepost-note", false, "a note to the customer, at most 2000 characters; UTF-8 may be percent-encoded")
                .header("idempotency-key", false, "a retry with the same key and bytes answers 200 with the approval it created")
                .file_body("the proof")
                .created::<ApprovalOut>("the pending approval")
                .answer::<ApprovalOut>(200, "the same proof again (same Idempotency-Key): the approval it created")
                .answer_header(200, "idempotent-replayed", "true")
                .errors(&[(400, "the body ended early"), (403, "the caller is not the supplier, or the relationship is blocked"), (409, "the relationship is not active, approvals are not enabled, or the Idempotency-Key was used for other bytes"), (411, "no Content-Length"), (413, "the proof is larger than the limit"), (422, "a header is missing or invalid (`field` names it)")]);
        Get "/v1/approvals" => approvals::list_approvals, Access::AnyOf(approvals::READ_PERMISSIONS),
            |d| d.summary("List the approvals of either side")
                .query::<ApprovalQuery>().query::<shared::service::page::Paging>()
                .ok::<ApprovalList>("a page of approvals, newest first, with what waits");
        Get "/v1/approvals/{id}" => approvals::get_approval, READER,
            |d| d.summary("Read an approval with every version of its document's proofs")
                .path_param::<ApprovalId>("id")
                .ok::<ApprovalOut>("the approval with its versions");
        Get "/v1/approvals/{id}/content" => approvals::get_approval_content, READER,
            |d| d.summary("Download a proof").path_param::<ApprovalId>("id")
                .header("range", false, "one byte range").header("if-none-match", false, "the ETag of a copy held")
                .file("the proof file");
        Head "/v1/approvals/{id}/content" => approvals::get_approval_content, READER,
            |d| d.hidden();
        Post "/v1/approvals/{id}/approve" => approvals::approve_approval, Access::OnResource(&[ApprovalsDecide]),
            |d| d.summary("Approve a proof (a person of the customer)").path_param::<ApprovalId>("id")
                .optional_body::<DecisionIn>()
                .ok::<ApprovalOut>("the decided approval with its versions")
                .errors(&[(403, "not the customer, not a person, not allowed to decide, or not a named approver; or the relationship is blocked"), (409, "already decided or superseded, or the relationship is not active")]);
        Post "/v1/approvals/{id}/reject" => approvals::reject_approval, Access::OnResource(&[ApprovalsDecide]),
            |d| d.summary("Reject a proof, saying why (a person of the customer)").path_param::<ApprovalId>("id")
                .body::<DecisionIn>()
                .ok::<ApprovalOut>("the decided approval with its versions")
                .errors(&[(403, "not the customer, not a person, not allowed to decide, or not a named approver; or the relationship is blocked"), (409, "already decided or superseded, or the relationship is not active")]);
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        shared::edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
