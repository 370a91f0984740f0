//! What the catalog worker takes and answers: catalogs, products with the viewer's prices,
//! imports with their progress and report, customers' prices and terms, and orders.

use serde::{Deserialize, Serialize};
use shared::catalog::PriceSource;
pub use shared::data::catalogs::ImportOut;
use shared::data::catalogs::{CategoryCount, OrderRow};
use shared::ids::{CatalogId, CatalogOrderId, CompanyId, DocumentId, ProductId, RelationshipId};
use shared::payment::from_e4;
use shared::quote::OrderFormat;
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

pub use shared::validate::Figure;

/// A new catalog.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogIn {
    #[schema(min_length = 1, max_length = 100, example = "Papier 2027")]
    pub name: String,
    /// The currency of its prices (ISO 4217).
    #[schema(example = "EUR")]
    pub currency: String,
    /// The format its orders reach the supplier's inbox in: `ubl` (Peppol BIS Ordering 3, the
    /// default) or `opentrans` (openTRANS 2.1), whichever the supplier's ERP imports.
    #[serde(default)]
    pub order_format: Option<OrderFormat>,
}

/// What a supplier changes in a catalog; a field left out keeps what is stored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default)]
    pub order_format: Option<OrderFormat>,
}

/// A customer a catalog is enabled for (the supplier sees these).
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogCustomerOut {
    pub company_id: CompanyId,
    pub name: String,
    pub enabled_at: Time,
}

/// A customer's ordering terms, kept by its supplier.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OrderTermsIn {
    /// Orders are refused while set; `block_reason` says why to the customer.
    #[serde(default)]
    pub order_block: bool,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub block_reason: Option<String>,
    /// The largest order accepted, in the catalog's currency (a decimal; none: no limit).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub credit_limit: Option<String>,
    /// Where the customer may have goods delivered (lines of text; the first is the default).
    #[serde(default)]
    pub delivery_addresses: Vec<String>,
    /// The currency the customer orders in (ISO 4217); none: each catalog's own. Prices are
    /// converted at the supplier's rate (`PUT /v1/exchange-rates`), the credit limit is in it.
    #[serde(default)]
    #[schema(example = "PLN")]
    pub currency: Option<String>,
}

/// A customer's ordering terms as the customer and its supplier see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderTermsOut {
    pub order_block: bool,
    pub block_reason: Option<String>,
    /// The largest order accepted (a decimal), or none.
    pub credit_limit: Option<String>,
    pub delivery_addresses: Vec<String>,
    /// The currency the customer orders in (none: each catalog's own).
    pub currency: Option<String>,
    /// The relationship's shipping and payment terms.
    pub shipping_terms: Option<String>,
    pub payment_terms: Option<String>,
}

/// A catalog: the supplier's own (with its customers) or one enabled for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogOut {
    pub id: CatalogId,
    pub name: String,
    pub currency: String,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    /// The format its orders are written in (the supplier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_format: Option<OrderFormat>,
    /// The currency of the caller's prices (a customer): its own where its terms name one and
    /// the supplier keeps a rate to it, else the catalog's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_currency: Option<String>,
    /// `supplier`: the caller's company keeps it; `customer`: it is enabled for it.
    pub side: PartyRole,
    pub product_count: u64,
    /// The categories and how many products each holds (read one catalog to see them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryCount>,
    /// The customers it is enabled for (the supplier, reading one catalog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customers: Option<Vec<CatalogCustomerOut>>,
    /// The newest import (the supplier, reading one catalog): follow one that runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_import: Option<ImportOut>,
    /// The caller's ordering terms (a customer, reading one catalog).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<OrderTermsOut>,
    pub created_at: Time,
    pub updated_at: Time,
}

/// An exchange rate a supplier keeps.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateIn {
    /// A catalog's currency (ISO 4217).
    #[schema(example = "EUR")]
    pub base: String,
    /// The customer's currency (ISO 4217).
    #[schema(example = "PLN")]
    pub currency: String,
    /// How much of `currency` one `base` is (a decimal, up to six places); `null` removes it.
    #[schema(value_type = Option<String>, example = "4.2875")]
    pub rate: Option<Figure>,
}

/// Exchange rates to set or remove, up to 200.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesIn {
    pub rates: Vec<RateIn>,
}

/// An exchange rate as kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateOut {
    pub base: String,
    pub currency: String,
    pub rate: String,
    pub updated_at: Time,
}

/// The supplier's exchange rates (never shown to its customers).
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesOut {
    pub data: Vec<RateOut>,
}

/// The catalogs the caller keeps or may order from.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogList {
    pub data: Vec<CatalogOut>,
}

/// A product as a caller gives it: upserted by `sku`; a field left out keeps what is stored
/// (a new product needs a name and `list_price`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    #[schema(min_length = 1, max_length = 64, example = "PAP-A4-80")]
    pub sku: String,
    /// GTIN-8/12/13/14 with its check digit.
    #[serde(default)]
    pub gtin: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub name_en: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub name_de: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub name_pl: Option<String>,
    #[serde(default)]
    #[schema(max_length = 8000)]
    pub description_en: Option<String>,
    #[serde(default)]
    #[schema(max_length = 8000)]
    pub description_de: Option<String>,
    #[serde(default)]
    #[schema(max_length = 8000)]
    pub description_pl: Option<String>,
    /// A path: `Paper/Offset`.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub category: Option<String>,
    /// UN/ECE Recommendation 20 (`C62` one, `PK` pack, `KGM` kilogram); default `C62`.
    #[serde(default)]
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// The price of one unit before any customer's price (decimal, at most four places).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "4.50")]
    pub list_price: Option<Figure>,
    /// The least quantity one order takes (default 1).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub min_quantity: Option<Figure>,
    /// Quantities are multiples of this (default 1).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub step_quantity: Option<Figure>,
    /// How many are in stock (none: not stated).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub stock: Option<Figure>,
    /// Days until delivery when not in stock.
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub lead_time_days: Option<Figure>,
}

/// Products to upsert and SKUs to delete, in one call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductsIn {
    /// At most 500.
    #[serde(default)]
    pub products: Vec<ProductIn>,
    /// SKUs to take out of the catalog (at most 500).
    #[serde(default)]
    pub delete: Vec<String>,
}

/// A price break: from `min_quantity` on, `price` per unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceBreakOut {
    pub min_quantity: String,
    pub price: String,
}

/// A price besides the list price, as the supplier keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceOut {
    /// The customer's relationship, for an individual price.
    pub relationship_id: Option<RelationshipId>,
    /// The customers' group, for a group price.
    pub group: Option<String>,
    pub min_quantity: String,
    pub price: String,
}

/// A product, with the caller's price when the caller is a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    pub id: ProductId,
    pub sku: String,
    pub gtin: Option<String>,
    /// The name in the asked language (`lang`), else English.
    pub name: String,
    pub description: Option<String>,
    pub name_en: String,
    pub name_de: Option<String>,
    pub name_pl: Option<String>,
    pub category: Option<String>,
    pub unit: String,
    pub list_price: String,
    /// What the caller (a customer) pays for one unit at the minimum quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_source: Option<PriceSource>,
    /// The caller's quantity breaks (a customer): its own, its group's or the list's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_breaks: Option<Vec<PriceBreakOut>>,
    /// Every price row (the supplier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<PriceOut>>,
    pub min_quantity: String,
    pub step_quantity: String,
    /// `in_stock`, `lead_time` or `unknown`.
    pub availability: String,
    pub stock: Option<String>,
    pub lead_time_days: Option<i64>,
    pub updated_at: Time,
}

/// A page of products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    pub data: Vec<ProductOut>,
    /// The currency of each `price` (a customer): see the catalog's `price_currency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_currency: Option<String>,
    /// Pass as `offset` for the next page; `null` on the last one.
    pub next_offset: Option<u32>,
}

/// Which products a search shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Words to find in SKU, GTIN, names, descriptions and category (any language; each word a
    /// prefix).
    pub q: Option<String>,
    /// Only this category and those below it.
    pub category: Option<String>,
    /// The language of `name` and `description`: `en`, `de` or `pl` (default: the caller's).
    pub lang: Option<String>,
    /// How many to skip (at most 10,000).
    #[param(value_type = Option<u32>)]
    pub offset: Option<String>,
    /// How many to show, 1 to 100 (default 50).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// A price to set or remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceIn {
    pub sku: String,
    /// A customer (`co_…` or handle): its individual price.
    #[serde(default)]
    pub partner: Option<String>,
    /// A group of customers (the relationship's `grouping`): their price.
    #[serde(default)]
    pub group: Option<String>,
    /// From this quantity on (default 0: any). Neither partner nor group: a list price break.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub min_quantity: Option<Figure>,
    /// The price of one unit; `null` removes the price.
    #[schema(value_type = Option<String>, example = "3.95")]
    pub price: Option<Figure>,
}

/// Prices to set, at most 500.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricesIn {
    pub prices: Vec<PriceIn>,
}

/// What a prices call did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricesOut {
    pub set: u64,
    pub removed: u64,
}

/// A line of a cart.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineIn {
    pub sku: String,
    #[schema(value_type = String, example = "10")]
    pub quantity: Figure,
}

/// A cart to price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartIn {
    /// At most 500 lines.
    #[serde(default)]
    pub lines: Vec<CartLineIn>,
    /// Lines pasted as `SKU;quantity`, one per line (added after `lines`).
    #[serde(default)]
    #[schema(max_length = 100000)]
    pub paste: Option<String>,
}

/// An order to place from a cart.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    /// 1 to 500 lines.
    pub lines: Vec<CartLineIn>,
    /// The customer's own order number (else Tradepost numbers it).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reference: Option<String>,
    /// When the goods are wanted (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(format = Date)]
    pub requested_date: Option<String>,
    /// Where the goods go (lines of text; default: the first of the terms' addresses).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub delivery_address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

/// A priced line of a cart or an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricedLineOut {
    pub sku: String,
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub price_source: PriceSource,
    pub line_total: String,
}

/// A line of a cart that cannot be ordered, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartProblemOut {
    /// `lines[i].sku`, `lines[i].quantity`, or `paste` with the line's number.
    pub field: String,
    pub sku: Option<String>,
    pub detail: String,
}

/// A cart priced for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartOut {
    pub currency: String,
    pub lines: Vec<PricedLineOut>,
    pub problems: Vec<CartProblemOut>,
    pub total: String,
    /// Why no order can be placed now (an order block, the credit limit), if so.
    pub blocked: Option<String>,
}

/// An order placed from a catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogOrderOut {
    pub id: CatalogOrderId,
    pub catalog_id: CatalogId,
    pub catalog_name: String,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    pub customer_id: CompanyId,
    pub customer_name: String,
    /// The order document in the supplier's inbox (and the customer's sent documents).
    pub document_id: DocumentId,
    /// The document's status: `new`, `received`, `confirmed`, …
    pub status: String,
    pub number: String,
    pub currency: String,
    pub total: String,
    pub line_count: u64,
    pub requested_date: Option<String>,
    pub delivery_address: Option<String>,
    pub placed_by_name: Option<String>,
    pub created_at: Time,
    /// The priced lines (in the answer to placing it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<PricedLineOut>,
}

impl CatalogOrderOut {
    #[must_use]
    pub fn of(r: OrderRow, lines: Vec<PricedLineOut>) -> CatalogOrderOut {
        CatalogOrderOut {
            id: r.id,
            catalog_id: r.catalog_id,
            catalog_name: r.catalog_name,
            supplier_id: r.supplier_id,
            supplier_name: r.supplier_name,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            document_id: r.document_id,
            status: r.status,
            number: r.number,
            currency: r.currency,
            total: from_e4(r.total_e4),
            line_count: r.line_count,
            requested_date: r.requested_date,
            delivery_address: r.delivery_address,
            placed_by_name: r.placed_by_name,
            created_at: r.created_at,
            lines,
        }
    }
}

/// A page of orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogOrderList {
    pub data: Vec<CatalogOrderOut>,
    pub next_cursor: Option<String>,
}

/// Which orders a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogOrderQuery {
    /// `customer`: the orders the caller's company placed; `supplier`: those it received.
    #[param(value_type = Option<PartyRole>, inline)]
    pub side: Option<String>,
}
