//! The orders worker: the company mailbox. Documents go up (raw body, browser form, or in parts)
//! into R2 with their SHA-256, appear in the partner's inbox once stored, and come back with
//! acknowledgements and status reports.
//!
//! [`SERVICE`] is its route table: every endpoint, who may call it and what it takes and
//! answers. The handlers live in one module per resource; the steps of an upload in [`upload`].

pub mod api;
mod documents;
mod form;
pub mod sweep;
mod upload;
mod uploads;

use shared::permissions::Permission::{DocumentsReceive, DocumentsSend};
use shared::service::route::Sessions;
use shared::service::{Access, Service};

// What only the documentation of the routes names (it is built natively, never in a worker).
#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        AckIn, CancelIn, DocumentList, DocumentOut, DocumentQuery, PartOut, StatusIn, SweepIn,
        SweepOut, UploadIn, UploadOut,
    },
    shared::data::documents::HistoryEntry,
    shared::ids::{DocumentId, UploadId},
};

/// Either side of a document reads it: the handler checks the permission its side needs once it
/// found the document (another company's is a 404 whatever the caller holds).
const EITHER_SIDE: Access = Access::OnResource(&[DocumentsSend, DocumentsReceive]);

#[cfg(not(target_arch = "wasm32"))]
const UPLOAD_HEADERS: &[(&str, bool, &str)] = &[
    ("tradepost-recipient", true, "the partner: a company id (co_…) or handle"),
    ("tradepost-type", true, "order, order_response, quote, invoice, delivery_note, rfq, complaint or other"),
    ("tradepost-filename", true, "the file's name; UTF-8 may be percent-encoded"),
    ("tradepost-reference", false, "the sender's own reference, at most 200 characters"),
    ("tradepost-in-reply-to", false, "the document this one answers (doc_…)"),
    ("idempotency-key", false, "1–255 visible ASCII characters, per sending company: a retry with the same key and bytes answers 200 with the original"),
];

/// The orders worker's endpoints.
pub static SERVICE: Service = Service {
    name: "orders",
    binding: "ORDERS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/documents" => documents::create_document, Access::Permission(DocumentsSend),
            |d| UPLOAD_HEADERS.iter().fold(d, |d, (n, r, t)| d.header(n, *r, t))
                .summary("Upload a document into a partner's inbox")
                .describe("The file as the raw body (Content-Length required) with `Tradepost-*` headers, or a browser's `multipart/form-data` with the fields first and the file last. At first contact the document is held until the partner approves the relationship request the upload opens.")
                .file_body("the file; its Content-Type is stored and sent back on download")
                .form_body(&[("recipient", true), ("type", true), ("reference", false), ("in_reply_to", false)])
                .created::<DocumentOut>("the stored document, with its first status bar entry")
                .answer::<DocumentOut>(200, "the same upload again (same Idempotency-Key and bytes): the original")
                .answer_header(200, "idempotent-replayed", "true")
                .errors(&[(400, "the body ended early or the form is malformed"), (403, "the relationship is blocked"), (409, "the relationship is not active, documents are not enabled, or the Idempotency-Key was used for other bytes"), (411, "no Content-Length"), (413, "the file is larger than the limit"), (415, "a url-encoded form"), (422, "a header or field is missing or invalid (`field` names it)")]);
        Get "/v1/documents" => documents::list_documents, Access::AnyOf(&[DocumentsSend, DocumentsReceive]),
            |d| d.summary("List the inbox, the outbox or both")
                .query::<DocumentQuery>().query::<shared::service::page::Paging>()
                .ok::<DocumentList>("a page of documents, newest first, with the counts");
        Get "/v1/documents/{id}" => documents::get_document, EITHER_SIDE,
            |d| d.summary("Read a document with its status bar").path_param::<DocumentId>("id")
                .ok::<DocumentOut>("the document with its history").schema::<HistoryEntry>();
        Get "/v1/documents/{id}/content" => documents::get_document_content, EITHER_SIDE,
            |d| d.summary("Download a document's file")
                .describe("Streamed, with ETag (the SHA-256), one byte range and If-None-Match; HEAD answers the headers only. The recipient's first download moves the document to `downloaded`.")
                .path_param::<DocumentId>("id")
                .header("range", false, "one byte range: bytes=a-b, a- or -n")
                .header("if-none-match", false, "the ETag of a copy held")
                .file("the file").errors(&[(409, "the document was discarded and its file deleted")]);
        Head "/v1/documents/{id}/content" => documents::get_document_content, EITHER_SIDE,
            |d| d.hidden();
        Post "/v1/documents/{id}/ack" => documents::acknowledge_document, EITHER_SIDE,
            |d| d.summary("Acknowledge a received document as imported").path_param::<DocumentId>("id")
                .optional_body::<AckIn>()
                .ok::<DocumentOut>("the document; acknowledged again, nothing changes")
                .errors(&[(403, "only the recipient acknowledges"), (409, "the document moved on or changed meanwhile")]);
        Post "/v1/documents/{id}/status" => documents::report_document_status, EITHER_SIDE,
            |d| d.summary("Report a received document's status to its sender").path_param::<DocumentId>("id")
                .body::<StatusIn>()
                .ok::<DocumentOut>("the document with the new status bar entry")
                .errors(&[(403, "only the recipient reports"), (409, "the move is not allowed from the current status (`invalid_transition`)")]);
        Post "/v1/documents/{id}/cancel" => documents::cancel_document, EITHER_SIDE,
            |d| d.summary("Cancel a sent document before its first download").path_param::<DocumentId>("id")
                .optional_body::<CancelIn>()
                .ok::<DocumentOut>("the cancelled document")
                .errors(&[(403, "only the sender cancels"), (409, "it was downloaded already")]);
        Post "/v1/uploads" => uploads::create_upload, Access::Permission(DocumentsSend),
            |d| d.summary("Start a multipart upload (files over 100 MiB)").body::<UploadIn>()
                .created::<UploadOut>("the open upload; it expires after 24 hours")
                .errors(&[(403, "the relationship is blocked"), (409, "the relationship is not active or documents are not enabled")]);
        Get "/v1/uploads/{id}" => uploads::get_upload, Access::Permission(DocumentsSend),
            |d| d.summary("Read a multipart upload with its parts").path_param::<UploadId>("id")
                .ok::<UploadOut>("the upload, to see which parts are missing");
        Delete "/v1/uploads/{id}" => uploads::abort_upload, Access::Permission(DocumentsSend),
            |d| d.summary("Abort a multipart upload").path_param::<UploadId>("id")
                .empty(204, "aborted (again is fine); the parts are discarded")
                .errors(&[(409, "the upload is completed, or a completion of it is running (`upload_completing`, with Retry-After)")]);
        Put "/v1/uploads/{id}/parts/{n}" => uploads::upload_part, Access::Permission(DocumentsSend),
            |d| d.summary("Upload one part (1–10000; again replaces it)").path_param::<UploadId>("id")
                .file_body("the part, with Content-Length")
                .ok::<PartOut>("the stored part")
                .errors(&[(400, "the body ended early"), (409, "the upload is not open or expired, or its completion is running"), (411, "no Content-Length"), (413, "the part is larger than part_size_max"), (422, "the part number is out of range or the body is empty")]);
        Post "/v1/uploads/{id}/complete" => uploads::complete_upload, Access::Permission(DocumentsSend),
            |d| d.summary("Complete a multipart upload into a document").path_param::<UploadId>("id")
                .created::<DocumentOut>("the document")
                .answer::<DocumentOut>(200, "completed already: the same document")
                .errors(&[(403, "the relationship is blocked"), (409, "the upload is not open, the relationship changed, or another complete of it is running (`upload_completing`, with Retry-After: ask again, it answers 200 with the document)"), (422, "the parts do not make a file (`field: parts`)")]);
        Post "/v1/dev/sweep" => sweep::dev_sweep, Access::Dev,
            |d| d.summary("Run the housekeeping sweep now (local stack only)")
                .optional_body::<SweepIn>().ok::<SweepOut>("what the sweep did");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }

    /// The housekeeping sweep, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match edge::platform(&env, |_| ()) {
            Ok(platform) => crate::sweep::run_scheduled(&platform).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            edge::log_failure("sweep", &e);
        }
    }
}
