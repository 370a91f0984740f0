//! The reader worker: the file parsers that would not fit beside the rest of a worker.
//! - A supplier's catalog file — CSV, or BMEcat 2005 (`T_NEW_CATALOG`, `T_UPDATE_PRODUCTS`,
//!   `T_UPDATE_PRICES`) — read into one of its catalogs as it streams in
//!   (`shared::catalog::import`), written a chunk at a time with the import's progress, and
//!   reported row by row ([`imports`]). The catalog worker serves everything else of catalogs.
//! - The catalog written out as CSV or BMEcat 2005, streamed page by page ([`exports`];
//!   `shared::catalog::export`).
//! - The lines of a recognised order document in any format, and what an order response
//!   changed against the order it answers ([`lines`]; `shared::formats::lines`). The orders
//!   worker serves everything else of documents.
//!
//! [`SERVICE`] is its route table.

mod exports;
mod imports;
pub mod lines;

use shared::data::catalogs::{self as data, CatalogView};
use shared::ids::CatalogId;
use shared::permissions::Permission::{Catalog, DocumentsReceive, DocumentsSend};
use shared::permissions::Principal;
use shared::service::route::Sessions;
use shared::service::{Access, Cx, Service};
use shared::{Error, Result};

#[cfg(not(target_arch = "wasm32"))]
use {
    lines::DocumentLinesOut,
    shared::data::catalogs::ImportOut,
    shared::ids::{DocumentId, ImportId},
};

/// Who keeps the company's catalogs.
const CATALOG: Access = Access::Permission(Catalog);
/// A document's sender with `documents.send`, its recipient with `documents.receive`.
const EITHER_SIDE: Access = Access::OnResource(&[DocumentsSend, DocumentsReceive]);

/// The reader worker's endpoints.
pub static SERVICE: Service = Service {
    name: "reader",
    binding: "READER",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/catalogs/{id}/imports" => imports::import_products, CATALOG,
            |d| d.summary("Import a CSV or BMEcat 2005 file (T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES) into the catalog, read as it streams in")
                .describe("The file as the raw body. A CSV file's header names its columns (`sku`, `gtin`, `name_en`, `name_de`, `name_pl`, `description_en`, …, `category`, `unit`, `list_price`, `min_quantity`, `step_quantity`, `stock`, `lead_time_days`, `action`); `;`, `,` or tab between fields. Rows that do not fit are reported, the rest are written; progress can be read at `GET …/imports/{import_id}` while the file streams in.")
                .path_param::<CatalogId>("id")
                .header("tradepost-filename", false, "the file's name, for the report")
                .file_body("the CSV or BMEcat file")
                .created::<ImportOut>("the import's report")
                .errors(&[(403, "a customer (`supplier_only`)"), (413, "the file is larger than 512 MiB"), (422, "the file cannot be read as CSV or BMEcat (`file`)")]);
        Get "/v1/catalogs/{id}/imports/{import_id}" => imports::get_import, CATALOG,
            |d| d.summary("Read an import's progress while it runs, and its report after")
                .path_param::<CatalogId>("id").path_param::<ImportId>("import_id")
                .ok::<ImportOut>("the import");
        Get "/v1/catalogs/{id}/export" => exports::export_catalog, CATALOG,
            |d| d.summary("Export the catalog as a CSV or BMEcat 2005 (T_NEW_CATALOG) file, streamed")
                .describe("CSV: the import's columns (without `action`), `;` between fields, UTF-8 with a byte order mark; it reads back through the import unchanged. BMEcat: the category tree, each product's texts in English, German and Polish, its order details and its list price with the quantity breaks, then the products' places in the tree. Group and individual prices are the customers', not the catalog's, and are not exported; BMEcat has no element for the stock.")
                .path_param::<CatalogId>("id")
                .query::<exports::ExportQuery>()
                .texts(200, &["text/csv", "application/xml"], "the catalog file")
                .answer_header(200, "content-disposition", "the file name (RFC 6266)")
                .errors(&[(403, "a customer (`supplier_only`)"), (422, "an unknown format (`format`)")]);
        Get "/v1/documents/{id}/lines" => lines::document_lines, EITHER_SIDE,
            |d| d.summary("Read the lines of a recognised order document (UBL Order and OrderResponse, openTRANS ORDER, cXML OrderRequest, EDIFACT ORDERS); for an order response also what it changed in the order it answers")
                .path_param::<DocumentId>("id")
                .ok::<DocumentLinesOut>("the lines, and the changes")
                .errors(&[(409, "the document is in no order format (`not_recognised`), its file is gone (`file_deleted`) or cannot be read (`unreadable`)")]);
    ],
};

/// The caller's own catalog named by the path: another's is a 404, a customer's view a 403
/// (`what` it may not do: "imports into", "exports").
async fn own_catalog(cx: &Cx, me: &Principal, what: &str) -> Result<CatalogView> {
    let id = CatalogId::parse(cx.param("id"))?;
    let view = data::catalog(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("catalog"))?;
    if view.buyer.is_some() {
        return Err(Error::forbidden(
            "supplier_only",
            format!("only the supplier {what} its catalog"),
        ));
    }
    Ok(view)
}

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
