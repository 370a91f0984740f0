//! The quotes worker: a customer's requests for quotes to a supplier — a title, a text, the
//! items and quantities wanted, a desired date, optionally a talk thread — numbered by the
//! supplier (`RFQ-2027-00042`); the supplier's quotes in versions (lines with prices, a validity
//! date, terms; a new version supersedes the current one); the customer's acceptance, which
//! places the order as a UBL 2.1 order file in the supplier's inbox naming the quote, or its
//! rejection, request for changes or withdrawal; comments of both sides; the daily expiry of
//! quotes whose validity passed (a cron).
//!
//! [`SERVICE`] is its route table; the handlers are in [`quotes`], the mails in [`notices`].

pub mod api;
pub mod notices;
mod quotes;

use shared::permissions::Permission::{DocumentsReceive, DocumentsSend};
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        QuoteAcceptIn, QuoteCommentIn, QuoteIn, QuoteReasonIn, QuoteRequestIn, QuoteRequestList,
        QuoteRequestOut, QuoteRequestQuery, QuotesCronIn, QuotesCronOut,
    },
    shared::ids::{AttachmentId, QuoteRequestId},
};

pub use quotes::run_cron;

/// Reading and commenting: who sends or receives the company's documents.
const READER: Access = Access::AnyOf(&[DocumentsSend, DocumentsReceive]);
/// Asking, quoting and deciding: who sends the company's documents (an order, a quote).
const SENDER: Access = Access::Permission(DocumentsSend);

/// The quotes worker's endpoints.
pub static SERVICE: Service = Service {
    name: "quotes",
    binding: "QUOTES",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/quote-requests" => quotes::create_quote_request, SENDER,
            |d| d.summary("Ask a supplier for a quote: a title, a text, the items and quantities wanted, a desired date; the supplier is told")
                .body::<QuoteRequestIn>()
                .created::<QuoteRequestOut>("the request, requested, with its number")
                .errors(&[(403, "the caller's company is the supplier of the relationship (`customer_only`), or the relationship is blocked"), (409, "the relationship is not active, or the documents service is off")]);
        Get "/v1/quote-requests" => quotes::list_quote_requests, READER,
            |d| d.summary("List the requests for quotes the company made or received, newest first, with how many wait")
                .query::<QuoteRequestQuery>().query::<shared::service::page::Paging>()
                .ok::<QuoteRequestList>("a page of requests and the counts");
        Get "/v1/quote-requests/{id}" => quotes::get_quote_request, READER,
            |d| d.summary("Read a request with its items, every version of its quote, and its status bar and comments")
                .path_param::<QuoteRequestId>("id")
                .ok::<QuoteRequestOut>("the request");
        Post "/v1/quote-requests/{id}/quotes" => quotes::send_quote, SENDER,
            |d| d.summary("Send a quote (the supplier); a new version supersedes the current one. The customer is told")
                .path_param::<QuoteRequestId>("id")
                .body::<QuoteIn>()
                .created::<QuoteRequestOut>("the request, quoted, the new version first")
                .errors(&[(403, "the customer (`supplier_only`), or the relationship is blocked"), (409, "the request is decided (`invalid_transition`), or it changed meanwhile (`changed_meanwhile`)")]);
        Post "/v1/quote-requests/{id}/accept" => quotes::accept_quote, SENDER,
            |d| d.summary("Accept the current quote (the customer): its order goes into the supplier's inbox as a UBL order file naming the quote")
                .path_param::<QuoteRequestId>("id")
                .optional_body::<QuoteAcceptIn>()
                .ok::<QuoteRequestOut>("the request, accepted, with `order_document_id`")
                .errors(&[(403, "the supplier (`customer_only`), or the relationship is blocked"), (409, "no quote waits (`invalid_transition`), the version named is not the current one (`version_superseded`), or it changed meanwhile")]);
        Post "/v1/quote-requests/{id}/reject" => quotes::reject_quote, SENDER,
            |d| d.summary("Reject the current quote, saying why (the customer)")
                .path_param::<QuoteRequestId>("id")
                .body::<QuoteReasonIn>()
                .ok::<QuoteRequestOut>("the request, rejected");
        Post "/v1/quote-requests/{id}/changes" => quotes::request_quote_changes, SENDER,
            |d| d.summary("Ask for a new version of the quote, saying what should change (the customer)")
                .path_param::<QuoteRequestId>("id")
                .body::<QuoteReasonIn>()
                .ok::<QuoteRequestOut>("the request, requested again");
        Post "/v1/quote-requests/{id}/withdraw" => quotes::withdraw_quote_request, SENDER,
            |d| d.summary("Withdraw the request before it is decided (the customer)")
                .path_param::<QuoteRequestId>("id")
                .optional_body::<QuoteReasonIn>()
                .ok::<QuoteRequestOut>("the request, withdrawn");
        Post "/v1/quote-requests/{id}/comments" => quotes::comment_quote_request, READER,
            |d| d.summary("Comment on a request; the other side is told").path_param::<QuoteRequestId>("id")
                .body::<QuoteCommentIn>()
                .created::<QuoteRequestOut>("the request with the comment last")
                .errors(&[(409, "the request is closed (`request_closed`)")]);
        Post "/v1/quote-requests/{id}/files" => quotes::add_quote_file, Access::PersonWith(DocumentsSend),
            |d| d.summary("Add a file to a request (a person of either side): a drawing, a specification, the quote as a PDF or a UBL Quotation")
                .describe("The file as the raw body with Content-Length.")
                .path_param::<QuoteRequestId>("id")
                .header("tradepost-filename", true, "the file's name; UTF-8 may be percent-encoded")
                .file_body("the file")
                .created::<QuoteRequestOut>("the request with the file last")
                .errors(&[(409, "the request is closed (`request_closed`)"), (411, "no Content-Length"), (413, "the file is larger than the limit"), (422, "no file name (`filename`)")]);
        Get "/v1/quote-requests/{id}/files/{file_id}" => quotes::get_quote_file, READER,
            |d| d.summary("Download a file of a request")
                .path_param::<QuoteRequestId>("id").path_param::<AttachmentId>("file_id")
                .header("range", false, "one byte range").header("if-none-match", false, "the ETag of a copy held")
                .file("the file");
        Head "/v1/quote-requests/{id}/files/{file_id}" => quotes::get_quote_file, READER,
            |d| d.hidden();
        Post "/v1/dev/quotes/cron" => quotes::dev_quotes_cron, Access::Dev,
            |d| d.summary("Expire lapsed quotes now, as of `as_of` (local stack only; crons do not fire locally)")
                .body::<QuotesCronIn>().ok::<QuotesCronOut>("what it did");
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

    /// Lapsed quotes, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match edge::platform(&env, |_| ()) {
            Ok(p) => {
                let now = p.clock.now();
                crate::quotes::run_cron(&p, now, None).await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => shared::service::log_info(&format!("quotes cron: {} expired", out.expired)),
            Err(e) => edge::log_failure("quotes cron", &e),
        }
    }
}
