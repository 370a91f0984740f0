//! The talk worker: threads and messages between the people of two connected companies, with
//! attachments, read state and unread counts.
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource.

pub mod api;
mod attachments;
mod messages;
mod threads;

use shared::permissions::Permission::Talk;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        AttachmentOut, MessageIn, MessageList, MessageOut, ReadIn, ReadOut, ThreadIn, ThreadList,
        ThreadOut, ThreadQuery,
    },
    shared::ids::{AttachmentId, ThreadId},
};

/// Reading: a person or an API key holding `talk` (a company's own system picks messages up).
const READ: Access = Access::Permission(Talk);
/// Writing: a person holding `talk` (every message names the person who wrote it).
const WRITE: Access = Access::PersonWith(Talk);

/// The talk worker's endpoints.
pub static SERVICE: Service = Service {
    name: "talk",
    binding: "TALK",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/threads" => threads::create_thread, WRITE,
            |d| d.summary("Open a thread with a partner, with its first message")
                .header("idempotency-key", false, "a retry with the same key and text answers 200 with the thread it opened")
                .body::<ThreadIn>()
                .created::<ThreadOut>("the thread as the caller sees it")
                .answer::<ThreadOut>(200, "the same thread again (same Idempotency-Key): the one it opened")
                .answer_header(200, "idempotent-replayed", "true")
                .errors(&[(403, "an API key, a person whose card was not received, or a blocked relationship"), (409, "the relationship is not active or talk is not enabled, or the Idempotency-Key was used for another message (`idempotency_key_reused`)")]);
        Get "/v1/threads" => threads::list_threads, READ,
            |d| d.summary("List the threads by last activity, with unread counts")
                .query::<ThreadQuery>().query::<shared::service::page::Paging>()
                .ok::<ThreadList>("a page of threads, the most recently active first");
        Get "/v1/threads/{id}" => threads::get_thread, READ,
            |d| d.summary("Read a thread").path_param::<ThreadId>("id")
                .ok::<ThreadOut>("the thread with its latest message");
        Post "/v1/threads/{id}/messages" => messages::create_message, WRITE,
            |d| d.summary("Reply in a thread").path_param::<ThreadId>("id")
                .header("idempotency-key", false, "a retry with the same key and text answers 200 with the message it wrote")
                .body::<MessageIn>()
                .answer::<MessageOut>(201, "the message")
                .answer::<MessageOut>(200, "the same message again (same Idempotency-Key): the one written")
                .answer_header(200, "idempotent-replayed", "true")
                .errors(&[(403, "an API key, or the relationship is blocked"), (409, "the relationship is not active or talk is not enabled, or the Idempotency-Key was used for another message (`idempotency_key_reused`)")]);
        Get "/v1/threads/{id}/messages" => messages::list_messages, READ,
            |d| d.summary("List a thread's messages, newest first").path_param::<ThreadId>("id")
                .query::<shared::service::page::Paging>()
                .ok::<MessageList>("a page of messages");
        Post "/v1/threads/{id}/read" => threads::read_thread, READ,
            |d| d.summary("Mark a thread read (up to a message, or all)").path_param::<ThreadId>("id")
                .optional_body::<ReadIn>()
                .ok::<ReadOut>("the unread count that is left");
        Post "/v1/attachments" => attachments::create_attachment, WRITE,
            |d| d.summary("Upload a file to send with a message (within the hour)")
                .header("tradepost-filename", true, "the file's name; UTF-8 may be percent-encoded")
                .file_body("the file, with Content-Length")
                .answer::<AttachmentOut>(201, "the stored attachment, not sent yet")
                .answer_header(201, "location", "where it is downloaded")
                .errors(&[(400, "the body ended early"), (411, "no Content-Length"), (413, "larger than the limit (25 MiB)"), (422, "no file name, or the body is empty")]);
        Get "/v1/attachments/{id}/content" => attachments::get_attachment_content, READ,
            |d| d.summary("Download an attachment").path_param::<AttachmentId>("id")
                .header("range", false, "one byte range").header("if-none-match", false, "the ETag of a copy held")
                .file("the file");
        Head "/v1/attachments/{id}/content" => attachments::get_attachment_content, READ,
            |d| d.hidden();
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
