//! The catalog worker: a supplier's catalogs of products — kept through the API (upserts by
//! SKU, partial updates, deletions) or imported from CSV and BMEcat 2005 files as they stream
//! in, with progress and a per-row report — enabled per customer, with list prices, quantity
//! breaks, group and individual prices and the relationship's discount, and each customer's
//! ordering terms (an order block, a credit limit, delivery addresses). A customer searches the
//! catalogs enabled for it (full text, in its language) at its own prices, prices a cart (also
//! pasted as `SKU;quantity` lines) and orders: the order is written as a UBL 2.1 order file into
//! the supplier's inbox, where the ERP picks it up like any other. Files are imported by the
//! reader worker, which shares the data layer (`shared::data::catalogs`).
//!
//! [`SERVICE`] is its route table; the handlers are in [`catalog`].

pub mod api;
mod catalog;

use shared::permissions::Permission::Catalog;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        CartIn, CartOut, CatalogIn, CatalogList, CatalogOrderList, CatalogOrderOut,
        CatalogOrderQuery, CatalogOut, CatalogPatch, ImportOut, OrderIn, OrderTermsIn,
        OrderTermsOut, PricesIn, PricesOut, ProductList, ProductQuery, ProductsIn, RatesIn,
        RatesOut,
    },
    shared::ids::CatalogId,
};

/// Everything here: who keeps the company's catalogs, or shops its suppliers' catalogs.
const CATALOG: Access = Access::Permission(Catalog);

/// The catalog worker's endpoints.
pub static SERVICE: Service = Service {
    name: "catalog",
    binding: "CATALOG",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/catalogs" => catalog::create_catalog, CATALOG,
            |d| d.summary("Make a catalog (the supplier): a name and the currency of its prices")
                .body::<CatalogIn>()
                .created::<CatalogOut>("the catalog, empty")
                .errors(&[(422, "the name is taken (`name`), or the currency is not ISO 4217")]);
        Get "/v1/catalogs" => catalog::list_catalogs, CATALOG,
            |d| d.summary("List the catalogs the company keeps, and those its suppliers enabled for it")
                .ok::<CatalogList>("the catalogs");
        Patch "/v1/catalogs/{id}" => catalog::update_catalog, CATALOG,
            |d| d.summary("Rename a catalog, or change the format its orders reach the inbox in (`ubl` or `opentrans`)")
                .path_param::<CatalogId>("id")
                .body::<CatalogPatch>()
                .ok::<CatalogOut>("the catalog")
                .errors(&[(403, "a customer (`supplier_only`)"), (422, "the name is taken (`name`)")]);
        Get "/v1/catalogs/{id}" => catalog::get_catalog, CATALOG,
            |d| d.summary("Read a catalog: its categories, and for the supplier its customers, for a customer its ordering terms")
                .path_param::<CatalogId>("id")
                .ok::<CatalogOut>("the catalog")
                .errors(&[(403, "the relationship is blocked (`relationship_blocked`)")]);
        Put "/v1/catalogs/{id}/products" => catalog::put_products, CATALOG,
            |d| d.summary("Upsert products by SKU (a field left out keeps what is stored) and delete others, in one batch (the supplier; an ERP)")
                .path_param::<CatalogId>("id")
                .body::<ProductsIn>()
                .ok::<ImportOut>("what was created, updated and deleted")
                .errors(&[(403, "a customer (`supplier_only`)"), (422, "a product that does not fit, named `products[i].field`")]);
        Get "/v1/catalogs/{id}/products" => catalog::list_products, CATALOG,
            |d| d.summary("Search and browse a catalog's products; a customer sees its own price, source and quantity breaks, the supplier every price")
                .path_param::<CatalogId>("id")
                .query::<ProductQuery>()
                .ok::<ProductList>("a page of products");
        Put "/v1/catalogs/{id}/prices" => catalog::put_prices, CATALOG,
            |d| d.summary("Set or remove list price breaks, group prices and customers' individual prices (the supplier)")
                .path_param::<CatalogId>("id")
                .body::<PricesIn>()
                .ok::<PricesOut>("how many were set and removed")
                .errors(&[(403, "a customer (`supplier_only`)"), (422, "an unknown SKU or partner, named `prices[i].field`")]);
        Put "/v1/catalogs/{id}/customers/{partner}" => catalog::enable_customer, CATALOG,
            |d| d.summary("Enable the catalog for a customer (its id or handle): it sees the catalog at its prices and may order")
                .path_param::<CatalogId>("id").path_param::<String>("partner")
                .ok::<CatalogOut>("the catalog with its customers")
                .errors(&[(403, "a customer (`supplier_only`), or the relationship is blocked"), (404, "no such customer of yours")]);
        Delete "/v1/catalogs/{id}/customers/{partner}" => catalog::disable_customer, CATALOG,
            |d| d.summary("Disable the catalog for a customer")
                .path_param::<CatalogId>("id").path_param::<String>("partner")
                .empty(204, "disabled");
        Post "/v1/catalogs/{id}/cart" => catalog::price_cart_handler, CATALOG,
            |d| d.summary("Price a cart for the caller (a customer): each line at its price, the lines that cannot be ordered and why, the total, and whether an order would be refused")
                .path_param::<CatalogId>("id")
                .body::<CartIn>()
                .ok::<CartOut>("the priced cart")
                .errors(&[(403, "the supplier (`customer_only`), or the relationship is blocked")]);
        Post "/v1/catalogs/{id}/orders" => catalog::place_order, CATALOG,
            |d| d.summary("Order from the catalog (a customer): the order goes into the supplier's inbox as a UBL 2.1 order file at the prices shown")
                .path_param::<CatalogId>("id")
                .body::<OrderIn>()
                .created::<CatalogOrderOut>("the order, with its document")
                .errors(&[(403, "the supplier (`customer_only`), the relationship is blocked, orders are blocked (`order_blocked`), or the order is above the credit limit (`credit_limit_exceeded`)"), (409, "the documents service is off"), (422, "a line that cannot be ordered, named `lines[i].sku` or `lines[i].quantity`")]);
        Get "/v1/catalog-orders" => catalog::list_orders, CATALOG,
            |d| d.summary("List the orders the company placed from catalogs, and those it received, newest first, with their documents' status")
                .query::<CatalogOrderQuery>().query::<shared::service::page::Paging>()
                .ok::<CatalogOrderList>("a page of orders");
        Get "/v1/exchange-rates" => catalog::get_rates, CATALOG,
            |d| d.summary("Read the company's exchange rates (a supplier's; its customers never see them)")
                .ok::<RatesOut>("the rates");
        Put "/v1/exchange-rates" => catalog::put_rates, CATALOG,
            |d| d.summary("Set or remove exchange rates from a catalog's currency to customers' currencies (the ERP keeps them current)")
                .describe("Each rate says how much of `currency` one `base` is, exact to six places. A customer whose ordering terms name a `currency` sees its prices converted at the rate from the catalog's currency, each unit price rounded half up to the cent; without a rate it sees the catalog's currency and cannot order (409 `exchange_rate_missing`). All rates are written in one batch, or none.")
                .body::<RatesIn>()
                .ok::<RatesOut>("all the company's rates")
                .errors(&[(422, "a currency is not ISO 4217 or a rate not a positive decimal (`rates[i].rate`)")]);
        Get "/v1/order-terms/{partner}" => catalog::get_terms, CATALOG,
            |d| d.summary("Read a customer's ordering terms (the supplier)")
                .path_param::<String>("partner")
                .ok::<OrderTermsOut>("the terms");
        Put "/v1/order-terms/{partner}" => catalog::put_terms, CATALOG,
            |d| d.summary("Set a customer's ordering terms: an order block with its reason, a credit limit, delivery addresses (the supplier)")
                .path_param::<String>("partner")
                .body::<OrderTermsIn>()
                .ok::<OrderTermsOut>("the terms");
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
