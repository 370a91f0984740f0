//! `/v1/catalogs`, `/v1/catalog-orders`, `/v1/order-terms`: a supplier keeps catalogs of
//! products (through the API, or by importing a CSV or BMEcat file that streams in), enables
//! them per customer and sets the customers' prices and ordering terms; a customer searches the
//! catalogs enabled for it at its own prices, prices a cart, and places an order — written as a
//! UBL 2.1 order file (Peppol BIS Ordering 3) into the supplier's inbox as an ordinary `order`
//! document, in the batch that records the order.

use shared::catalog::import::Item;
use shared::catalog::{self, Buyer, PriceRow, ProductPatch, ProductText, Rate, MAX_BATCH};
use shared::data::catalogs::{
    self as data, BuyerRow, CatalogView, NewCatalog, NewOrder, PriceFor, PricesOf, ProductRow,
    Search, TermsRow,
};
use shared::data::relationships;
use shared::ids::{CatalogId, CatalogOrderId, ProductId};
use shared::payment::from_e4;
use shared::permissions::Principal;
use shared::platform::db::Json;
use shared::quote::{
    self, line_total_e4, quantity_e3, quantity_text, OrderFile, OrderFormat, OrderLine,
    WrittenOrder,
};
use shared::relationship::{PartyRole, Service};
use shared::service::{store, Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{appointment, validate, Error, Result};

use crate::api::{
    CartIn, CartLineIn, CartOut, CartProblemOut, CatalogCustomerOut, CatalogIn, CatalogList,
    CatalogOrderList, CatalogOrderOut, CatalogOrderQuery, CatalogOut, CatalogPatch, ImportOut,
    OrderIn, OrderTermsIn, OrderTermsOut, PriceBreakOut, PriceOut, PricedLineOut, PricesIn,
    PricesOut, ProductIn, ProductList, ProductOut, ProductQuery, ProductsIn, RateOut, RatesIn,
    RatesOut,
};

/// The catalog named by the path, as the caller may see it; another's is a 404.
async fn load(cx: &Cx, me: &Principal) -> Result<CatalogView> {
    let id = CatalogId::parse(cx.param("id"))?;
    data::catalog(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("catalog"))
}

/// The supplier's own catalog, or 403 `supplier_only`.
async fn own(cx: &Cx, me: &Principal) -> Result<CatalogView> {
    let view = load(cx, me).await?;
    if view.buyer.is_some() {
        return Err(Error::forbidden(
            "supplier_only",
            "only the supplier keeps its catalog; customers search and order",
        ));
    }
    Ok(view)
}

/// The customer of `view`, which must be in an active relationship.
fn buyer_of(view: &CatalogView) -> Result<&BuyerRow> {
    let b = view.buyer.as_ref().ok_or_else(|| {
        Error::forbidden(
            "customer_only",
            "only a customer orders from a catalog; the supplier keeps it",
        )
    })?;
    relationships::require_active(b.status)?;
    Ok(b)
}

fn pricing(b: &BuyerRow) -> Buyer {
    Buyer {
        relationship_id: b.relationship_id.to_string(),
        grouping: b.grouping.clone(),
        discount_bp: Buyer::discount_bp(b.discount_percent),
    }
}

/// The currency a customer's prices are in, and how they get there from the catalog's.
struct Money {
    /// The rate to the customer's own currency.
    rate: Option<Rate>,
    /// The customer orders in this currency, but the supplier keeps no rate to it: prices
    /// stay in the catalog's currency and ordering is refused.
    missing: Option<String>,
}

impl Money {
    fn of(view: &CatalogView, b: &BuyerRow) -> Money {
        match (&b.currency, b.rate_e6) {
            (Some(c), _) if *c == view.catalog.currency => Money::plain(),
            (Some(c), Some(rate_e6)) => Money {
                rate: Some(Rate {
                    currency: c.clone(),
                    rate_e6,
                }),
                missing: None,
            },
            (Some(c), None) => Money {
                rate: None,
                missing: Some(c.clone()),
            },
            (None, _) => Money::plain(),
        }
    }

    fn plain() -> Money {
        Money {
            rate: None,
            missing: None,
        }
    }

    /// A catalog price in the customer's currency.
    fn price(&self, e4: i64) -> i64 {
        self.rate.as_ref().map_or(e4, |r| r.convert(e4))
    }

    fn currency<'a>(&'a self, view: &'a CatalogView) -> &'a str {
        self.rate
            .as_ref()
            .map_or(view.catalog.currency.as_str(), |r| r.currency.as_str())
    }
}

fn terms_out(t: TermsRow, b: Option<&BuyerRow>) -> OrderTermsOut {
    OrderTermsOut {
        order_block: t.order_block,
        block_reason: t.block_reason,
        credit_limit: t.credit_limit_e4.map(from_e4),
        delivery_addresses: t.delivery_addresses.0,
        currency: t.currency,
        shipping_terms: b.and_then(|b| b.shipping_terms.clone()),
        payment_terms: b.and_then(|b| b.payment_terms.clone()),
    }
}

async fn catalog_out(cx: &Cx, me: &Principal, view: CatalogView, full: bool) -> Result<CatalogOut> {
    let price_currency = view
        .buyer
        .as_ref()
        .map(|b| Money::of(&view, b).currency(&view).to_owned());
    let c = view.catalog;
    let side = PartyRole::of(&c.supplier_id, &me.company_id);
    let (categories, customers, latest_import, terms) = if full {
        let categories = data::categories(&cx.db, &c.id).await?;
        match &view.buyer {
            None => {
                let customers = data::customers(&cx.db, &c.id)
                    .await?
                    .into_iter()
                    .map(|r| CatalogCustomerOut {
                        company_id: r.company_id,
                        name: r.name,
                        enabled_at: r.enabled_at,
                    })
                    .collect();
                let latest = data::latest_import(&cx.db, &me.company_id, &c.id).await?;
                (categories, Some(customers), latest.map(ImportOut::of), None)
            }
            Some(b) => {
                let t = data::terms(&cx.db, &b.relationship_id).await?;
                (categories, None, None, Some(terms_out(t, Some(b))))
            }
        }
    } else {
        (Vec::new(), None, None, None)
    };
    Ok(CatalogOut {
        id: c.id,
        name: c.name,
        currency: c.currency,
        supplier_id: c.supplier_id,
        supplier_name: c.supplier_name,
        order_format: (side == PartyRole::Supplier).then_some(c.order_format),
        price_currency,
        side,
        product_count: c.product_count,
        categories,
        customers,
        latest_import,
        terms,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

/// `POST /v1/catalogs`.
pub async fn create_catalog(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: CatalogIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 100)?;
    let currency = quote::currency("currency", &input.currency)?;
    let id = CatalogId::new(cx.now)?;
    let made = data::insert(
        &cx.db,
        &NewCatalog {
            id: &id,
            supplier_id: &me.company_id,
            name: &name,
            currency: &currency,
            order_format: input.order_format.unwrap_or(OrderFormat::Ubl),
        },
        Time(cx.now),
    )
    .await;
    made.map_err(name_taken)?;
    let view = data::catalog(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("catalog"))?;
    Reply::json(201, &catalog_out(cx, &me, view, true).await?)
}

/// A second catalog of one name, as the supplier's error.
fn name_taken(e: Error) -> Error {
    if e.unique_violation() == Some(data::NAME_TAKEN) {
        Error::invalid("name", "your company has a catalog of this name")
    } else {
        e
    }
}

/// `PATCH /v1/catalogs/{id}`: the supplier renames a catalog or changes its orders' format.
pub async fn update_catalog(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = own(cx, &me).await?;
    let input: CatalogPatch = cx.body().await?;
    let name = input
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 100))
        .transpose()?;
    data::update(
        &cx.db,
        &view.catalog.id,
        name.as_deref(),
        input.order_format,
        Time(cx.now),
    )
    .await
    .map_err(name_taken)?;
    let view = load(cx, &me).await?;
    Reply::json(200, &catalog_out(cx, &me, view, true).await?)
}

/// `GET /v1/catalogs`.
pub async fn list_catalogs(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let rows = data::catalogs(&cx.db, &me.company_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for catalog in rows {
        let view = CatalogView {
            catalog,
            buyer: None,
        };
        out.push(catalog_out(cx, &me, view, false).await?);
    }
    Reply::json(200, &CatalogList { data: out })
}

/// `GET /v1/catalogs/{id}`.
pub async fn get_catalog(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = load(cx, &me).await?;
    if view.buyer.is_some() {
        buyer_of(&view)?;
    }
    Reply::json(200, &catalog_out(cx, &me, view, true).await?)
}

/// A product given through the API as the texts [`ProductPatch::parse`] checks.
fn patch_of(i: usize, p: &ProductIn) -> Result<ProductPatch> {
    let figure = |f: &Option<crate::api::Figure>| f.as_ref().map(crate::api::Figure::text);
    let (price, min, step, stock, lead) = (
        figure(&p.list_price),
        figure(&p.min_quantity),
        figure(&p.step_quantity),
        figure(&p.stock),
        figure(&p.lead_time_days),
    );
    ProductPatch::parse(
        &format!("products[{i}]."),
        &ProductText {
            sku: &p.sku,
            gtin: p.gtin.as_deref(),
            names: [
                p.name_en.as_deref(),
                p.name_de.as_deref(),
                p.name_pl.as_deref(),
            ],
            descriptions: [
                p.description_en.as_deref(),
                p.description_de.as_deref(),
                p.description_pl.as_deref(),
            ],
            category: p.category.as_deref(),
            unit: p.unit.as_deref(),
            list_price: price.as_deref(),
            min_quantity: min.as_deref(),
            step_quantity: step.as_deref(),
            stock: stock.as_deref(),
            lead_time_days: lead.as_deref(),
        },
    )
}

/// `PUT /v1/catalogs/{id}/products`: upserts by SKU and deletions, in one batch.
pub async fn put_products(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = own(cx, &me).await?;
    let input: ProductsIn = cx.body().await?;
    if input.products.len() > MAX_BATCH {
        return Err(Error::invalid(
            "products",
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    if input.delete.len() > MAX_BATCH {
        return Err(Error::invalid(
            "delete",
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    let mut rows = Vec::new();
    for (i, p) in input.products.iter().enumerate() {
        rows.push((i as u64, Item::Upsert(Box::new(patch_of(i, p)?))));
    }
    for (i, sku) in input.delete.iter().enumerate() {
        let sku = catalog::sku(&format!("delete[{i}]"), sku)?;
        rows.push(((input.products.len() + i) as u64, Item::Delete(sku)));
    }
    let started = Time(cx.now);
    let w = data::write_items(&cx.db, &view.catalog.id, rows, cx.now, |_| Vec::new()).await?;
    // A new product without its name or price refuses the call: the caller sent one product.
    if let Some(e) = w.refused.first() {
        return Err(Error::invalid(
            format!("products[{}].{}", e.row, e.field),
            e.detail.clone(),
        ));
    }
    Reply::json(
        200,
        &ImportOut {
            id: None,
            format: "api".into(),
            status: "done".into(),
            rows: (input.products.len() + input.delete.len()) as u64,
            created: w.created,
            updated: w.updated,
            deleted: w.deleted,
            refused: 0,
            errors: Vec::new(),
            failure: None,
            started_at: started,
            finished_at: Some(Time(cx.now)),
        },
    )
}

fn availability(p: &ProductRow) -> &'static str {
    match (p.stock_e3, p.lead_time_days) {
        (Some(s), _) if s > 0 => "in_stock",
        (_, Some(_)) => "lead_time",
        _ => "unknown",
    }
}

/// A product as `buyer` (a customer) or the supplier (`None`) sees it.
fn product_out(
    p: ProductRow,
    lang: &str,
    prices: &[PriceRow],
    buyer: Option<(&Buyer, &Money)>,
) -> ProductOut {
    let names = [
        Some(p.name_en.clone()),
        p.name_de.clone(),
        p.name_pl.clone(),
    ];
    let descriptions = [
        p.description_en.clone(),
        p.description_de.clone(),
        p.description_pl.clone(),
    ];
    let own: Vec<PriceRow> = prices
        .iter()
        .filter(|r| r.product_id == p.id.as_str())
        .cloned()
        .collect();
    let (price, price_source, price_breaks, all) = match buyer {
        Some((b, money)) => {
            let mine: Vec<PriceRow> = catalog::visible_to(b, &own).into_iter().cloned().collect();
            let at_min = catalog::price_for(b, p.list_price_e4, &mine, p.min_quantity_e3.max(1));
            let mut breaks: Vec<i64> = mine
                .iter()
                .map(|r| r.min_quantity_e3)
                .filter(|m| *m > 0)
                .collect();
            breaks.sort_unstable();
            breaks.dedup();
            let breaks = breaks
                .into_iter()
                .map(|m| PriceBreakOut {
                    min_quantity: quantity_text(m),
                    price: from_e4(
                        money.price(catalog::price_for(b, p.list_price_e4, &mine, m).unit_price_e4),
                    ),
                })
                .collect();
            (
                Some(from_e4(money.price(at_min.unit_price_e4))),
                Some(at_min.source),
                Some(breaks),
                None,
            )
        }
        None => {
            let all = own
                .iter()
                .map(|r| PriceOut {
                    relationship_id: r
                        .relationship_id
                        .as_deref()
                        .and_then(|id| shared::ids::RelationshipId::parse(id).ok()),
                    group: r.grouping.clone(),
                    min_quantity: quantity_text(r.min_quantity_e3),
                    price: from_e4(r.price_e4),
                })
                .collect();
            (None, None, None, Some(all))
        }
    };
    ProductOut {
        name: catalog::in_language(&names, lang)
            .unwrap_or_default()
            .to_owned(),
        description: catalog::in_language(&descriptions, lang).map(str::to_owned),
        availability: availability(&p).to_owned(),
        id: p.id,
        sku: p.sku,
        gtin: p.gtin,
        name_en: p.name_en,
        name_de: p.name_de,
        name_pl: p.name_pl,
        category: p.category,
        unit: p.unit,
        list_price: from_e4(p.list_price_e4),
        price,
        price_source,
        price_breaks,
        prices: all,
        min_quantity: quantity_text(p.min_quantity_e3),
        step_quantity: quantity_text(p.step_quantity_e3),
        stock: p.stock_e3.map(quantity_text),
        lead_time_days: p.lead_time_days,
        updated_at: p.updated_at,
    }
}

/// `GET /v1/catalogs/{id}/products`: search and browse, with the caller's prices.
pub async fn list_products(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = load(cx, &me).await?;
    let buyer = match &view.buyer {
        Some(_) => Some(buyer_of(&view)?),
        None => None,
    };
    let q: ProductQuery = cx.query_as()?;
    let lang = match q.lang.as_deref() {
        Some(l) => shared::lang::Language::parse("lang", l)?.as_str(),
        None => "en",
    };
    // Query values come as text; a page is 1 to 100 products, at most 10,000 in.
    let number =
        |field: &str, text: Option<&str>, default: u32, range: std::ops::RangeInclusive<u32>| {
            let Some(t) = text else {
                return Ok(default);
            };
            t.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    Error::invalid(
                        field,
                        format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
        };
    let limit = number("limit", q.limit.as_deref(), 50, 1..=100)?;
    let offset = number("offset", q.offset.as_deref(), 0, 0..=10_000)?;
    let fts =
        match q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => Some(catalog::search_query(text).ok_or_else(|| {
                Error::invalid("q", "give at least one word of letters or digits")
            })?),
            None => None,
        };
    let category =
        validate::optional_text("category", q.category.as_deref(), catalog::MAX_CATEGORY)?;
    let mut rows = data::products(
        &cx.db,
        &view.catalog.id,
        &Search {
            query: fts.as_deref(),
            category: category.as_deref(),
            offset,
            limit: limit + 1,
        },
    )
    .await?;
    let next_offset = (rows.len() > limit as usize).then_some(offset + limit);
    rows.truncate(limit as usize);
    let ids: Vec<&ProductId> = rows.iter().map(|p| &p.id).collect();
    let of = buyer.map_or(PricesOf::All, PricesOf::Buyer);
    let prices = data::prices(&cx.db, &ids, of).await?;
    let b = buyer.map(|b| (pricing(b), Money::of(&view, b)));
    Reply::json(
        200,
        &ProductList {
            data: rows
                .into_iter()
                .map(|p| product_out(p, lang, &prices, b.as_ref().map(|(b, m)| (b, m))))
                .collect(),
            price_currency: b.as_ref().map(|(_, m)| m.currency(&view).to_owned()),
            next_offset,
        },
    )
}

/// `PUT /v1/catalogs/{id}/prices`: list breaks, group and individual prices, set or removed.
pub async fn put_prices(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = own(cx, &me).await?;
    let input: PricesIn = cx.body().await?;
    if input.prices.len() > MAX_BATCH {
        return Err(Error::invalid(
            "prices",
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    let skus: Vec<&str> = input.prices.iter().map(|p| p.sku.trim()).collect();
    let products = data::products_by_sku(&cx.db, &view.catalog.id, &skus).await?;
    let mut batch = Vec::new();
    let mut customers: Vec<(String, shared::ids::RelationshipId)> = Vec::new();
    let (mut set, mut removed) = (0, 0);
    for (i, p) in input.prices.iter().enumerate() {
        let f = |name: &str| format!("prices[{i}].{name}");
        let product = products
            .iter()
            .find(|r| r.sku == p.sku.trim())
            .ok_or_else(|| Error::invalid(f("sku"), "the catalog has no product with this SKU"))?;
        let relationship = match &p.partner {
            // A partner named again in the call is looked up once.
            Some(partner) => match customers.iter().find(|(named, _)| named == partner) {
                Some((_, id)) => Some(id.clone()),
                None => {
                    let (_, link) =
                        relationships::partner_link(&cx.db, &me.company_id, &f("partner"), partner)
                            .await?;
                    let link =
                        link.filter(|l| l.supplier_id == me.company_id)
                            .ok_or_else(|| {
                                Error::invalid(
                                    f("partner"),
                                    "this company is not a customer of yours",
                                )
                            })?;
                    customers.push((partner.clone(), link.id.clone()));
                    Some(link.id)
                }
            },
            None => None,
        };
        let group = validate::optional_text(&f("group"), p.group.as_deref(), 100)?;
        let who = match (&relationship, &group) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    f("group"),
                    "name a partner or a group, not both",
                ))
            }
            (Some(r), None) => PriceFor::Customer(r),
            (None, Some(g)) => PriceFor::Group(g),
            (None, None) => PriceFor::List,
        };
        let min = match &p.min_quantity {
            Some(m) if m.text().trim() == "0" => 0,
            Some(m) => quantity_e3(&f("min_quantity"), &m.text())?,
            None => 0,
        };
        if matches!(who, PriceFor::List) && min == 0 {
            return Err(Error::invalid(
                f("min_quantity"),
                "a list price break starts at a quantity; the list price itself is the product's list_price",
            ));
        }
        let price = p
            .price
            .as_ref()
            .map(|x| quote::price_e4(&f("price"), &x.text()))
            .transpose()?;
        if price.is_some() {
            set += 1;
        } else {
            removed += 1;
        }
        batch.push(data::set_price_stmt(&product.id, &who, min, price));
    }
    batch.push(data::touch_stmt(&view.catalog.id, Time(cx.now)));
    cx.db.batch(batch).await?;
    Reply::json(200, &PricesOut { set, removed })
}

/// The customer named by the path (`partner`: an id or handle) of the caller as supplier; a
/// path naming no company, or no customer of the caller's, is a 404.
async fn customer_link(cx: &Cx, me: &Principal) -> Result<relationships::Link> {
    let named =
        relationships::partner_link(&cx.db, &me.company_id, "partner", cx.param("partner")).await;
    let link = match named {
        Ok((_, link)) => link,
        Err(Error::Invalid { .. }) => None,
        Err(e) => return Err(e),
    };
    link.filter(|l| l.supplier_id == me.company_id)
        .ok_or(Error::not_found("customer"))
}

/// `PUT /v1/catalogs/{id}/customers/{partner}`: the customer sees the catalog.
pub async fn enable_customer(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = own(cx, &me).await?;
    let link = customer_link(cx, &me).await?;
    relationships::require_active(link.status)?;
    data::enable(&cx.db, &view.catalog.id, &link.id, Time(cx.now)).await?;
    let view = own(cx, &me).await?;
    Reply::json(200, &catalog_out(cx, &me, view, true).await?)
}

/// `DELETE /v1/catalogs/{id}/customers/{partner}`.
pub async fn disable_customer(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = own(cx, &me).await?;
    let link = customer_link(cx, &me).await?;
    if !data::disable(&cx.db, &view.catalog.id, &link.id).await? {
        return Err(Error::not_found("catalog customer"));
    }
    Ok(Reply::no_content())
}

/// `GET /v1/order-terms/{partner}`: the supplier reads a customer's terms.
pub async fn get_terms(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let link = customer_link(cx, &me).await?;
    let t = data::terms(&cx.db, &link.id).await?;
    Reply::json(200, &terms_out(t, None))
}

/// `PUT /v1/order-terms/{partner}`: the supplier sets a customer's terms.
pub async fn put_terms(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let link = customer_link(cx, &me).await?;
    let input: OrderTermsIn = cx.body().await?;
    let block_reason = validate::optional_text("block_reason", input.block_reason.as_deref(), 500)?;
    let credit_limit_e4 = input
        .credit_limit
        .as_deref()
        .map(|c| quote::price_e4("credit_limit", c))
        .transpose()?;
    if input.delivery_addresses.len() > 20 {
        return Err(Error::invalid("delivery_addresses", "at most 20 addresses"));
    }
    let addresses = input
        .delivery_addresses
        .iter()
        .enumerate()
        .map(|(i, a)| validate::text(&format!("delivery_addresses[{i}]"), a, 1, 500))
        .collect::<Result<Vec<_>>>()?;
    let currency = input
        .currency
        .as_deref()
        .map(|c| quote::currency("currency", c))
        .transpose()?;
    let t = TermsRow {
        order_block: input.order_block,
        block_reason,
        credit_limit_e4,
        delivery_addresses: Json(addresses),
        currency,
    };
    data::put_terms(&cx.db, &link.id, &t, Time(cx.now)).await?;
    Reply::json(200, &terms_out(t, None))
}

/// `GET /v1/exchange-rates`: the caller's own rates.
pub async fn get_rates(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    rates_out(cx, &me).await
}

async fn rates_out(cx: &Cx, me: &Principal) -> Result<Reply> {
    let rows = data::rates(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &RatesOut {
            data: rows
                .into_iter()
                .map(|r| RateOut {
                    base: r.base,
                    currency: r.currency,
                    rate: catalog::rate_text(r.rate_e6),
                    updated_at: r.updated_at,
                })
                .collect(),
        },
    )
}

/// `PUT /v1/exchange-rates`: the supplier (its ERP) sets or removes rates, all in one batch.
pub async fn put_rates(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: RatesIn = cx.body().await?;
    if input.rates.is_empty() || input.rates.len() > 200 {
        return Err(Error::invalid("rates", "give 1 to 200 rates"));
    }
    let now = Time(cx.now);
    let mut batch = Vec::with_capacity(input.rates.len());
    for (i, r) in input.rates.iter().enumerate() {
        let f = |name: &str| format!("rates[{i}].{name}");
        let base = quote::currency(&f("base"), &r.base)?;
        let currency = quote::currency(&f("currency"), &r.currency)?;
        if base == currency {
            return Err(Error::invalid(f("currency"), "must differ from `base`"));
        }
        let rate = r
            .rate
            .as_ref()
            .map(|t| catalog::rate_e6(&f("rate"), &t.text()))
            .transpose()?;
        batch.push(data::set_rate_stmt(
            &me.company_id,
            &base,
            &currency,
            rate,
            now,
        ));
    }
    cx.db.batch(batch).await?;
    rates_out(cx, &me).await
}

/// A cart priced for `buyer`: its lines, the lines that cannot be ordered, the total.
struct Priced {
    lines: Vec<(PricedLineOut, ProductRow, i64, i64, i64)>,
    problems: Vec<CartProblemOut>,
    /// In the customer's currency ([`Money`]).
    total_e4: i64,
    money: Money,
}

async fn price_cart(
    cx: &Cx,
    view: &CatalogView,
    b: &BuyerRow,
    lines: &[(String, &str, String)],
    lang: &str,
) -> Result<Priced> {
    let skus: Vec<&str> = lines.iter().map(|(_, s, _)| *s).collect();
    let products = data::products_by_sku(&cx.db, &view.catalog.id, &skus).await?;
    let ids: Vec<&ProductId> = products.iter().map(|p| &p.id).collect();
    let prices = data::prices(&cx.db, &ids, PricesOf::Buyer(b)).await?;
    let buyer = pricing(b);
    let mut out = Priced {
        lines: Vec::new(),
        problems: Vec::new(),
        total_e4: 0,
        money: Money::of(view, b),
    };
    for (field, sku, qty) in lines {
        let problem = |field: String, detail: String| CartProblemOut {
            field,
            sku: Some((*sku).to_owned()),
            detail,
        };
        let Some(p) = products.iter().find(|p| p.sku == *sku) else {
            out.problems.push(problem(
                format!("{field}.sku"),
                "the catalog has no product with this SKU".into(),
            ));
            continue;
        };
        let q = match quantity_e3(&format!("{field}.quantity"), qty).and_then(|q| {
            catalog::check_quantity(
                &format!("{field}.quantity"),
                q,
                p.min_quantity_e3,
                p.step_quantity_e3,
            )
            .map(|()| q)
        }) {
            Ok(q) => q,
            Err(e) => {
                out.problems
                    .push(problem(e.field().unwrap_or(field).to_owned(), e.detail()));
                continue;
            }
        };
        let own: Vec<PriceRow> = prices
            .iter()
            .filter(|r| r.product_id == p.id.as_str())
            .cloned()
            .collect();
        let priced = catalog::price_for(&buyer, p.list_price_e4, &own, q);
        let unit_price_e4 = out.money.price(priced.unit_price_e4);
        let total = line_total_e4(q, unit_price_e4);
        out.total_e4 = out.total_e4.saturating_add(total);
        let names = [
            Some(p.name_en.clone()),
            p.name_de.clone(),
            p.name_pl.clone(),
        ];
        out.lines.push((
            PricedLineOut {
                sku: p.sku.clone(),
                name: catalog::in_language(&names, lang)
                    .unwrap_or_default()
                    .to_owned(),
                quantity: quantity_text(q),
                unit: p.unit.clone(),
                unit_price: from_e4(unit_price_e4),
                price_source: priced.source,
                line_total: from_e4(total),
            },
            p.clone(),
            q,
            unit_price_e4,
            total,
        ));
    }
    Ok(out)
}

/// The cart's lines as (field, SKU, quantity text): `lines[i]`, then pasted ones as `paste`
/// with their line number.
fn cart_lines<'a>(
    lines: &'a [CartLineIn],
    paste: Option<&'a str>,
) -> Result<Vec<(String, &'a str, String)>> {
    let mut out: Vec<(String, &str, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (format!("lines[{i}]"), l.sku.trim(), l.quantity.text()))
        .collect();
    for (n, line) in paste.unwrap_or("").lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (sku, qty) = catalog::pasted_line(line).ok_or_else(|| {
            Error::invalid(
                "paste",
                format!("line {}: write each line as SKU;quantity", n + 1),
            )
        })?;
        out.push((format!("paste[{}]", n + 1), sku, qty));
    }
    if out.len() > catalog::MAX_ORDER_LINES {
        return Err(Error::invalid(
            "lines",
            format!("at most {} lines", catalog::MAX_ORDER_LINES),
        ));
    }
    Ok(out)
}

/// Why the customer may not order the `priced` cart now, if so.
fn refusal(t: &TermsRow, priced: &Priced, view: &CatalogView) -> Option<Error> {
    let (total_e4, money) = (priced.total_e4, &priced.money);
    if let Some(wanted) = &money.missing {
        return Some(Error::conflict(
            "exchange_rate_missing",
            format!(
                "you order in {wanted}, but your supplier keeps no exchange rate from {} to \
                 {wanted} yet; ask it to add one",
                view.catalog.currency
            ),
        ));
    }
    let currency = money.currency(view);
    if t.order_block {
        return Some(Error::forbidden(
            "order_blocked",
            match &t.block_reason {
                Some(r) => format!("your supplier has blocked orders: {r}"),
                None => "your supplier has blocked orders from your company; contact it".to_owned(),
            },
        ));
    }
    match t.credit_limit_e4 {
        Some(limit) if total_e4 > limit => Some(Error::forbidden(
            "credit_limit_exceeded",
            format!(
                "the order comes to {} {currency}, above your credit limit of {} {currency}",
                from_e4(total_e4),
                from_e4(limit)
            ),
        )),
        _ => None,
    }
}

/// `POST /v1/catalogs/{id}/cart`: prices a cart for the caller, line by line.
pub async fn price_cart_handler(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = load(cx, &me).await?;
    let b = buyer_of(&view)?.clone();
    let input: CartIn = cx.body().await?;
    let lines = cart_lines(&input.lines, input.paste.as_deref())?;
    let lang = cx.query("lang").unwrap_or_else(|| "en".into());
    let priced = price_cart(cx, &view, &b, &lines, &lang).await?;
    let terms = data::terms(&cx.db, &b.relationship_id).await?;
    Reply::json(
        200,
        &CartOut {
            blocked: refusal(&terms, &priced, &view).map(|e| e.detail()),
            currency: priced.money.currency(&view).to_owned(),
            total: from_e4(priced.total_e4),
            lines: priced.lines.into_iter().map(|l| l.0).collect(),
            problems: priced.problems,
        },
    )
}

/// `POST /v1/catalogs/{id}/orders`: the customer orders; the order file goes into the
/// supplier's inbox.
pub async fn place_order(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let view = load(cx, &me).await?;
    let b = buyer_of(&view)?.clone();
    relationships::require_stored_service(b.status, &b.services.0, Service::Documents)?;
    relationships::require_stored_service(b.status, &b.services.0, Service::Order)?;
    let input: OrderIn = cx.body().await?;
    if input.lines.is_empty() {
        return Err(Error::invalid("lines", "an order needs at least one line"));
    }
    let reference = validate::optional_text("reference", input.reference.as_deref(), 100)?;
    let requested_date = appointment::date("requested_date", input.requested_date.as_deref())?;
    let note = validate::optional_text("note", input.note.as_deref(), 4000)?;
    let lines = cart_lines(&input.lines, None)?;
    let lang = cx.query("lang").unwrap_or_else(|| "en".into());
    let priced = price_cart(cx, &view, &b, &lines, &lang).await?;
    if let Some(p) = priced.problems.first() {
        return Err(Error::invalid(p.field.clone(), p.detail.clone()));
    }
    let terms = data::terms(&cx.db, &b.relationship_id).await?;
    if let Some(e) = refusal(&terms, &priced, &view) {
        return Err(e);
    }
    let currency = priced.money.currency(&view);
    let delivery_address = match validate::optional_text(
        "delivery_address",
        input.delivery_address.as_deref(),
        500,
    )? {
        Some(a) => Some(a),
        None => terms.delivery_addresses.0.first().cloned(),
    };
    let order_id = CatalogOrderId::new(cx.now)?;
    let number = reference.clone().unwrap_or_else(|| {
        let s = order_id.to_string();
        format!(
            "WEB-{}",
            s[s.len().saturating_sub(10)..].to_ascii_uppercase()
        )
    });
    let order_lines: Vec<OrderLine<'_>> = priced
        .lines
        .iter()
        .map(|(out, p, q, unit_price, total)| OrderLine {
            item: &out.name,
            sku: Some(&p.sku),
            gtin: p.gtin.as_deref(),
            description: None,
            quantity_e3: *q,
            unit: Some(&p.unit),
            unit_price_e4: *unit_price,
            total_e4: *total,
        })
        .collect();
    let file = OrderFile {
        id: &number,
        issue_date: &time::day(cx.now),
        currency,
        quotation: None,
        buyer: &b.customer_name,
        seller: &view.catalog.supplier_name,
        // An openTRANS file names the parties by id: the supplier's number for the customer
        // where it keeps one, else the companies' ids here.
        buyer_id: Some(
            b.customer_number
                .as_deref()
                .unwrap_or(b.customer_id.as_str()),
        ),
        seller_id: Some(view.catalog.supplier_id.as_str()),
        note: note.as_deref(),
        desired_date: requested_date.as_deref(),
        delivery_address: delivery_address.as_deref(),
        lines: &order_lines,
        total_e4: priced.total_e4,
    };
    let link = relationships::Link {
        id: b.relationship_id.clone(),
        status: b.status,
        services: Json(b.services.0),
        supplier_id: view.catalog.supplier_id.clone(),
        customer_id: b.customer_id.clone(),
        customer_number: b.customer_number.clone(),
    };
    let filename = format!("Order-{number}.xml");
    let written = WrittenOrder::of(&file, view.catalog.order_format);
    let deposit = store::deposit_order(cx, &me, &link, written, &filename).await?;
    let mut batch = deposit.stmts;
    batch.push(data::insert_order_stmt(
        &NewOrder {
            id: &order_id,
            catalog_id: &view.catalog.id,
            relationship_id: &b.relationship_id,
            supplier_id: &view.catalog.supplier_id,
            customer_id: &b.customer_id,
            document_id: &deposit.document_id,
            number: &number,
            currency,
            total_e4: priced.total_e4,
            line_count: priced.lines.len() as u64,
            requested_date: requested_date.as_deref(),
            delivery_address: delivery_address.as_deref(),
            placed_by: me.user_id.as_ref(),
        },
        Time(cx.now),
    ));
    if let Err(e) = cx.db.batch(batch).await {
        store::discard(cx, &deposit.key, &e).await;
        return Err(e);
    }
    cx.publish(vec![deposit.event]);
    let row = data::order(&cx.db, &me.company_id, &order_id)
        .await?
        .ok_or(Error::not_found("catalog order"))?;
    Reply::json(
        201,
        &CatalogOrderOut::of(row, priced.lines.into_iter().map(|l| l.0).collect()),
    )
}

/// `GET /v1/catalog-orders`: the orders placed (customer) and received (supplier).
pub async fn list_orders(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: CatalogOrderQuery = cx.query_as()?;
    let as_supplier = q
        .side
        .map(|s| PartyRole::parse("side", s.trim()).map(|r| r == PartyRole::Supplier))
        .transpose()?;
    let rows = data::orders(
        &cx.db,
        &me.company_id,
        as_supplier,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &CatalogOrderList {
            data: rows
                .into_iter()
                .map(|r| CatalogOrderOut::of(r, Vec::new()))
                .collect(),
            next_cursor,
        },
    )
}
