//! The complaints worker: a customer's complaints (RMA) about the documents it exchanged with a
//! supplier — the lines and quantities concerned, a reason, a description, photos and files —
//! numbered by the supplier (`RMA-2027-00042`) and handled by its returns staff along a status
//! bar both sides see (received → under review → accepted with a resolution, or rejected with
//! a reason → closed), with comments of both sides. Open to the people who hold `complaints`
//! (admins do), on either side.
//!
//! [`SERVICE`] is its route table; the handlers are in [`complaints`], the mails to the other
//! side in [`notices`].

pub mod api;
mod complaints;
pub mod notices;

use shared::permissions::Permission::Complaints;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{ComplaintCommentIn, ComplaintIn, ComplaintList, ComplaintOut, ComplaintQuery, MoveIn},
    shared::ids::{AttachmentId, ComplaintId},
};

/// Every endpoint: the people and keys of either side who hold `complaints`.
const COMPLAINTS: Access = Access::Permission(Complaints);

/// The complaints worker's endpoints.
pub static SERVICE: Service = Service {
    name: "complaints",
    binding: "COMPLAINTS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/complaints" => complaints::create_complaint, COMPLAINTS,
            |d| d.summary("File a complaint about a document of a relationship the caller's company is the customer of; the supplier is told")
                .body::<ComplaintIn>()
                .created::<ComplaintOut>("the complaint, received, with its number")
                .errors(&[(403, "the caller's company is the supplier of the relationship (`customer_only`), or the relationship is blocked"), (409, "the relationship is not active, or the documents service is off")]);
        Get "/v1/complaints" => complaints::list_complaints, COMPLAINTS,
            |d| d.summary("List the complaints the company filed or received, newest first, with how many wait")
                .query::<ComplaintQuery>().query::<shared::service::page::Paging>()
                .ok::<ComplaintList>("a page of complaints and the counts");
        Get "/v1/complaints/{id}" => complaints::get_complaint, COMPLAINTS,
            |d| d.summary("Read a complaint with its lines, status bar, comments and files").path_param::<ComplaintId>("id")
                .ok::<ComplaintOut>("the complaint");
        Post "/v1/complaints/{id}/moves" => complaints::move_complaint, COMPLAINTS,
            |d| d.summary("Move a complaint on: review, accept with a resolution, reject with a reason, close (the supplier); withdraw (the customer). The other side is told")
                .path_param::<ComplaintId>("id")
                .body::<MoveIn>()
                .ok::<ComplaintOut>("the complaint after the move")
                .errors(&[(403, "a move of the other side (`supplier_only`, `customer_only`), or the relationship is blocked"), (409, "the move does not fit the status (`invalid_transition`), or another move came first (`changed_meanwhile`)")]);
        Post "/v1/complaints/{id}/comments" => complaints::comment_complaint, COMPLAINTS,
            |d| d.summary("Comment on a complaint; the other side is told").path_param::<ComplaintId>("id")
                .body::<ComplaintCommentIn>()
                .created::<ComplaintOut>("the complaint with the comment last")
                .errors(&[(409, "the complaint is closed (`complaint_closed`)")]);
        Post "/v1/complaints/{id}/files" => complaints::add_complaint_file, Access::PersonWith(Complaints),
            |d| d.summary("Add a photo or file to a complaint (a person of either side who holds complaints)")
                .describe("The file as the raw body with Content-Length.")
                .path_param::<ComplaintId>("id")
                .header("tradepost-filename", true, "the file's name; UTF-8 may be percent-encoded")
                .file_body("the photo or file")
                .created::<ComplaintOut>("the complaint with the file last")
                .errors(&[(409, "the complaint is closed (`complaint_closed`)"), (411, "no Content-Length"), (413, "the file is larger than the limit"), (422, "no file name (`filename`)")]);
        Get "/v1/complaints/{id}/files/{file_id}" => complaints::get_complaint_file, COMPLAINTS,
            |d| d.summary("Download a photo or file of a complaint")
                .path_param::<ComplaintId>("id").path_param::<AttachmentId>("file_id")
                .header("range", false, "one byte range").header("if-none-match", false, "the ETag of a copy held")
                .file("the file");
        Head "/v1/complaints/{id}/files/{file_id}" => complaints::get_complaint_file, COMPLAINTS,
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
