//! The catalog-imports worker: a supplier's catalog file — CSV, or BMEcat 2005
//! (`T_NEW_CATALOG`, `T_UPDATE_PRODUCTS`, `T_UPDATE_PRICES`) — read into one of its catalogs as
//! it streams in (`shared::catalog::import`), written a chunk at a time with the import's
//! progress, and reported row by row. The catalog worker serves everything else of catalogs.
//!
//! [`SERVICE`] is its route table; the handlers are in [`imports`].

mod imports;

use shared::permissions::Permission::Catalog;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    shared::data::catalogs::ImportOut,
    shared::ids::{CatalogId, ImportId},
};

/// Who keeps the company's catalogs.
const CATALOG: Access = Access::Permission(Catalog);

/// The catalog-imports worker's endpoints.
pub static SERVICE: Service = Service {
    name: "catalog-imports",
    binding: "CATALOG_IMPORTS",
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
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
