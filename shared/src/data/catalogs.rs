//! `catalogs`, `products` (with `products_fts`), `product_prices`, `catalog_customers`,
//! `order_terms`, `catalog_imports`, `catalog_orders`: a supplier's catalogs and what each
//! customer sees of them (`shared::catalog` has the price rules).
//!
//! A catalog is found for its supplier, or for a customer whose active relationship has it
//! enabled — for anyone else it does not exist (a 404). Price rows are filtered in SQL for the
//! customer who asks ([`prices`]): another customer's individual price or another group's price
//! is never loaded into a customer's request.
//!
//! Products are written in chunks, one statement per chunk whatever its size (the rows travel
//! as one JSON array, `json_each`): D1 takes at most 100 bound values per statement and a
//! limited number of statements per request, so an import of 100,000 products is a few hundred
//! statements.

use serde::{Deserialize, Serialize};

use super::{Db, Statement};
use crate::catalog::import::{Item, RowError};
use crate::catalog::{PriceRow, ProductPatch};
use crate::ids::{
    CatalogId, CatalogOrderId, CompanyId, DocumentId, ImportId, ProductId, RelationshipId, UserId,
};
use crate::platform::db::Json;
use crate::platform::Query;
use crate::time::Time;
use crate::Result;

crate::platform::db::bind_as_str!(CatalogId, ProductId, ImportId, CatalogOrderId);

/// The constraint a second catalog of one name hits.
pub const NAME_TAKEN: &str = "catalogs.supplier_id, catalogs.name";

/// A catalog with its supplier and its size.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogRow {
    pub id: CatalogId,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    pub name: String,
    pub currency: String,
    /// The format its orders are written in.
    pub order_format: crate::quote::OrderFormat,
    pub product_count: u64,
    pub created_at: Time,
    pub updated_at: Time,
}

const CATALOG_SELECT: &str = "SELECT k.id, k.supplier_id, s.name AS supplier_name, k.name, \
     k.currency, k.order_format, \
     (SELECT COUNT(*) FROM products WHERE catalog_id = k.id) AS product_count, \
     k.created_at, k.updated_at FROM catalogs k JOIN companies s ON s.id = k.supplier_id";

/// The customer who looks at a catalog: its relationship and what prices depend on.
#[derive(Debug, Clone, Deserialize)]
pub struct BuyerRow {
    pub relationship_id: RelationshipId,
    pub customer_id: CompanyId,
    pub customer_name: String,
    pub customer_number: Option<String>,
    pub grouping: Option<String>,
    pub discount_percent: Option<f64>,
    pub shipping_terms: Option<String>,
    pub payment_terms: Option<String>,
    pub status: crate::relationship::RelationshipStatus,
    pub services: Json<crate::relationship::Services>,
    /// The currency the customer orders in (its terms'; none: the catalog's), and the
    /// supplier's rate from the catalog's currency to it, if it keeps one.
    pub currency: Option<String>,
    pub rate_e6: Option<i64>,
}

/// A catalog as the viewer may see it: the supplier's own (`buyer` none) or one enabled for
/// the viewer as customer (whatever the relationship's status: the handler says why a blocked
/// customer may not order).
#[derive(Debug, Clone)]
pub struct CatalogView {
    pub catalog: CatalogRow,
    pub buyer: Option<BuyerRow>,
}

/// A new catalog.
pub struct NewCatalog<'a> {
    pub id: &'a CatalogId,
    pub supplier_id: &'a CompanyId,
    pub name: &'a str,
    pub currency: &'a str,
    pub order_format: crate::quote::OrderFormat,
}

/// Makes a catalog (fails on [`NAME_TAKEN`]).
///
/// # Errors
/// A database error.
pub async fn insert(db: &Db, c: &NewCatalog<'_>, now: Time) -> Result<()> {
    db.run(
        "INSERT INTO catalogs (id, supplier_id, name, currency, order_format, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        &[
            c.id,
            c.supplier_id,
            &c.name,
            &c.currency,
            &c.order_format.as_str(),
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// Renames a catalog or changes the format of its orders (`None` keeps each; fails on
/// [`NAME_TAKEN`]).
///
/// # Errors
/// A database error.
pub async fn update(
    db: &Db,
    id: &CatalogId,
    name: Option<&str>,
    order_format: Option<crate::quote::OrderFormat>,
    now: Time,
) -> Result<()> {
    db.run(
        "UPDATE catalogs SET name = COALESCE(?2, name), \
         order_format = COALESCE(?3, order_format), updated_at = ?4 WHERE id = ?1",
        &[id, &name, &order_format.map(|f| f.as_str()), &now],
    )
    .await?;
    Ok(())
}

/// The catalogs the viewer keeps as supplier, and those enabled for it as an active customer.
///
/// # Errors
/// A database error.
pub async fn catalogs(db: &Db, viewer: &CompanyId) -> Result<Vec<CatalogRow>> {
    db.all(
        &format!(
            "{CATALOG_SELECT} WHERE k.supplier_id = ?1 OR k.id IN (SELECT cc.catalog_id \
             FROM catalog_customers cc JOIN relationships r ON r.id = cc.relationship_id \
             WHERE r.customer_id = ?1 AND r.status = 'active') ORDER BY s.name, k.name"
        ),
        &[viewer],
    )
    .await
}

/// One catalog for the viewer (see [`CatalogView`]), or `None`.
///
/// # Errors
/// A database error.
pub async fn catalog(db: &Db, viewer: &CompanyId, id: &CatalogId) -> Result<Option<CatalogView>> {
    let out = db
        .batch_rows(vec![
            Statement::new(format!("{CATALOG_SELECT} WHERE k.id = ?1"), &[id]),
            Statement::new(
                "SELECT r.id AS relationship_id, r.customer_id, c.name AS customer_name, \
                 r.customer_number, r.grouping, r.discount_percent, r.shipping_terms, \
                 r.payment_terms, r.status, r.services, t.currency, x.rate_e6 \
                 FROM catalog_customers cc \
                 JOIN catalogs k ON k.id = cc.catalog_id \
                 JOIN relationships r ON r.id = cc.relationship_id \
                 JOIN companies c ON c.id = r.customer_id \
                 LEFT JOIN order_terms t ON t.relationship_id = r.id \
                 LEFT JOIN exchange_rates x ON x.supplier_id = k.supplier_id \
                 AND x.base = k.currency AND x.currency = t.currency \
                 WHERE cc.catalog_id = ?1 AND r.customer_id = ?2",
                &[id, viewer],
            ),
        ])
        .await?;
    let Some(catalog) = super::first_of::<CatalogRow>(out.first())? else {
        return Ok(None);
    };
    if &catalog.supplier_id == viewer {
        return Ok(Some(CatalogView {
            catalog,
            buyer: None,
        }));
    }
    let buyer: Option<BuyerRow> = super::first_of(out.get(1))?;
    Ok(buyer.map(|b| CatalogView {
        catalog,
        buyer: Some(b),
    }))
}

/// A customer a catalog is enabled for (the supplier's view).
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerRow {
    pub relationship_id: RelationshipId,
    pub company_id: CompanyId,
    pub name: String,
    pub enabled_at: Time,
}

/// The customers `catalog` is enabled for.
///
/// # Errors
/// A database error.
pub async fn customers(db: &Db, catalog: &CatalogId) -> Result<Vec<CustomerRow>> {
    db.all(
        "SELECT cc.relationship_id, r.customer_id AS company_id, c.name, cc.enabled_at \
         FROM catalog_customers cc JOIN relationships r ON r.id = cc.relationship_id \
         JOIN companies c ON c.id = r.customer_id WHERE cc.catalog_id = ?1 ORDER BY c.name",
        &[catalog],
    )
    .await
}

/// Enables `catalog` for the customer of `relationship` (again: no change).
///
/// # Errors
/// A database error.
pub async fn enable(
    db: &Db,
    catalog: &CatalogId,
    relationship: &RelationshipId,
    now: Time,
) -> Result<()> {
    db.batch(vec![
        Statement::new(
            "INSERT INTO catalog_customers (catalog_id, relationship_id, enabled_at) \
             VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            &[catalog, relationship, &now],
        ),
        // With a catalog enabled, the relationship's `order` service is on.
        Statement::new(
            "UPDATE relationships SET services = json_set(services, '$.order', 'enabled') \
             WHERE id = ?1",
            &[relationship],
        ),
    ])
    .await?;
    Ok(())
}

/// Disables `catalog` for the customer of `relationship` (and its `order` service with the
/// last one); whether it was enabled.
///
/// # Errors
/// A database error.
pub async fn disable(db: &Db, catalog: &CatalogId, relationship: &RelationshipId) -> Result<bool> {
    let changes = db
        .batch(vec![
            Statement::new(
                "DELETE FROM catalog_customers WHERE catalog_id = ?1 AND relationship_id = ?2",
                &[catalog, relationship],
            ),
            // With no catalog left, the `order` service is off.
            Statement::new(
                "UPDATE relationships SET services = json_set(services, '$.order', 'inactive') \
                 WHERE id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM catalog_customers WHERE relationship_id = ?1)",
                &[relationship],
            ),
        ])
        .await?;
    Ok(changes.first().is_some_and(|n| *n > 0))
}

/// A product as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductRow {
    pub id: ProductId,
    pub sku: String,
    pub gtin: Option<String>,
    pub name_en: String,
    pub name_de: Option<String>,
    pub name_pl: Option<String>,
    pub description_en: Option<String>,
    pub description_de: Option<String>,
    pub description_pl: Option<String>,
    pub category: Option<String>,
    pub unit: String,
    pub list_price_e4: i64,
    pub min_quantity_e3: i64,
    pub step_quantity_e3: i64,
    pub stock_e3: Option<i64>,
    pub lead_time_days: Option<i64>,
    pub updated_at: Time,
}

const PRODUCT_COLUMNS: &str = "p.id, p.sku, p.gtin, p.name_en, p.name_de, p.name_pl, \
     p.description_en, p.description_de, p.description_pl, p.category, p.unit, p.list_price_e4, \
     p.min_quantity_e3, p.step_quantity_e3, p.stock_e3, p.lead_time_days, p.updated_at";

/// What a product search asks for.
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// An FTS5 query ([`crate::catalog::search_query`]).
    pub query: Option<&'a str>,
    /// Products whose category is this one or below it.
    pub category: Option<&'a str>,
    pub offset: u32,
    pub limit: u32,
}

/// A page of `catalog`'s products: the best matches first when searching, else by SKU.
///
/// # Errors
/// A database error.
pub async fn products(db: &Db, catalog: &CatalogId, s: &Search<'_>) -> Result<Vec<ProductRow>> {
    let mut q = match s.query {
        Some(fts) => {
            let mut q = Query::new(
                format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products_fts f \
                     JOIN products p ON p.rowid = f.rowid WHERE p.catalog_id = ?1"
                ),
                &[catalog],
            );
            q.filter(" AND products_fts MATCH ?n", &fts);
            q
        }
        None => Query::new(
            format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.catalog_id = ?1"),
            &[catalog],
        ),
    };
    if let Some(category) = s.category {
        let n = q.bind(&category);
        q.push(&format!(
            " AND (p.category = {n} OR p.category LIKE {n} || '/%')"
        ));
    }
    q.push(if s.query.is_some() {
        " ORDER BY f.rank, p.sku"
    } else {
        " ORDER BY p.sku"
    });
    q.filter(" LIMIT ?n", &s.limit);
    q.filter(" OFFSET ?n", &s.offset);
    db.all_of(q.statement()).await
}

/// The products of `catalog` with these SKUs (any number: one statement).
///
/// # Errors
/// A database error.
pub async fn products_by_sku(
    db: &Db,
    catalog: &CatalogId,
    skus: &[&str],
) -> Result<Vec<ProductRow>> {
    db.all(
        &format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.catalog_id = ?1 \
             AND p.sku IN (SELECT value FROM json_each(?2))"
        ),
        &[catalog, &Json(skus)],
    )
    .await
}

/// The categories of `catalog` with how many products each holds directly.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub category: String,
    pub products: u64,
}

/// The categories of `catalog`.
///
/// # Errors
/// A database error.
pub async fn categories(db: &Db, catalog: &CatalogId) -> Result<Vec<CategoryCount>> {
    db.all(
        "SELECT category, COUNT(*) AS products FROM products WHERE catalog_id = ?1 \
         AND category IS NOT NULL GROUP BY category ORDER BY category LIMIT 1000",
        &[catalog],
    )
    .await
}

/// Every category path `catalog`'s products are in (an export's tree).
///
/// # Errors
/// A database error.
pub async fn category_paths(db: &Db, catalog: &CatalogId) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Path {
        category: String,
    }
    let rows: Vec<Path> = db
        .all(
            "SELECT DISTINCT category FROM products WHERE catalog_id = ?1 \
             AND category IS NOT NULL",
            &[catalog],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.category).collect())
}

/// Up to `limit` products of `catalog` after the SKU `after` (from the first with none), by
/// SKU: an export's pages.
///
/// # Errors
/// A database error.
pub async fn products_after(
    db: &Db,
    catalog: &CatalogId,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<ProductRow>> {
    db.all(
        &format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.catalog_id = ?1 \
             AND (?2 IS NULL OR p.sku > ?2) ORDER BY p.sku LIMIT ?3"
        ),
        &[catalog, &after, &limit],
    )
    .await
}

/// A product's SKU and category.
#[derive(Debug, Clone, Deserialize)]
pub struct CategoryOf {
    pub sku: String,
    pub category: String,
}

/// Up to `limit` products of `catalog` that have a category, after the SKU `after`, by SKU.
///
/// # Errors
/// A database error.
pub async fn categories_after(
    db: &Db,
    catalog: &CatalogId,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<CategoryOf>> {
    db.all(
        "SELECT sku, category FROM products WHERE catalog_id = ?1 AND category IS NOT NULL \
         AND (?2 IS NULL OR sku > ?2) ORDER BY sku LIMIT ?3",
        &[catalog, &after, &limit],
    )
    .await
}

/// Whose price rows of a product are read.
pub enum PricesOf<'a> {
    /// All of them (the supplier).
    All,
    /// A customer's: the list breaks, its group's and its own only.
    Buyer(&'a BuyerRow),
    /// The list breaks only (the catalog as exported).
    List,
}

/// The price rows of `products` that `of` names, by product and quantity.
///
/// # Errors
/// A database error.
pub async fn prices(db: &Db, products: &[&ProductId], of: PricesOf<'_>) -> Result<Vec<PriceRow>> {
    let ids: Vec<&str> = products.iter().map(|p| p.as_str()).collect();
    let select = "SELECT product_id, relationship_id, grouping, min_quantity_e3, price_e4 \
                  FROM product_prices WHERE product_id IN (SELECT value FROM json_each(?1))";
    let order = "ORDER BY product_id, min_quantity_e3";
    match of {
        PricesOf::All => db.all(&format!("{select} {order}"), &[&Json(&ids)]).await,
        PricesOf::List => {
            db.all(
                &format!("{select} AND relationship_id IS NULL AND grouping IS NULL {order}"),
                &[&Json(&ids)],
            )
            .await
        }
        PricesOf::Buyer(b) => {
            db.all(
                &format!(
                    "{select} AND (relationship_id = ?2 OR (relationship_id IS NULL \
                     AND (grouping IS NULL OR grouping = ?3))) {order}"
                ),
                &[&Json(&ids), &b.relationship_id, &b.grouping],
            )
            .await
        }
    }
}

/// Who a price is for.
pub enum PriceFor<'a> {
    /// A break of the list price.
    List,
    Group(&'a str),
    Customer(&'a RelationshipId),
}

/// Sets (or with `price` none, removes) a price of `product` from `min_quantity` on.
#[must_use]
pub fn set_price_stmt(
    product: &ProductId,
    who: &PriceFor<'_>,
    min_quantity_e3: i64,
    price_e4: Option<i64>,
) -> Statement {
    let (rel, group): (Option<&RelationshipId>, Option<&str>) = match who {
        PriceFor::List => (None, None),
        PriceFor::Group(g) => (None, Some(g)),
        PriceFor::Customer(r) => (Some(r), None),
    };
    match price_e4 {
        Some(price) => Statement::new(
            "INSERT INTO product_prices (product_id, relationship_id, grouping, min_quantity_e3, \
             price_e4) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (product_id, \
             COALESCE(relationship_id, ''), COALESCE(grouping, ''), min_quantity_e3) \
             DO UPDATE SET price_e4 = excluded.price_e4",
            &[product, &rel, &group, &min_quantity_e3, &price],
        ),
        None => Statement::new(
            "DELETE FROM product_prices WHERE product_id = ?1 AND relationship_id IS ?2 \
             AND grouping IS ?3 AND min_quantity_e3 = ?4",
            &[product, &rel, &group, &min_quantity_e3],
        ),
    }
}

/// The SKUs among `skus` that `catalog` holds.
///
/// # Errors
/// A database error.
pub async fn existing_skus(db: &Db, catalog: &CatalogId, skus: &[&str]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Sku {
        sku: String,
    }
    let rows: Vec<Sku> = db
        .all(
            "SELECT sku FROM products WHERE catalog_id = ?1 \
             AND sku IN (SELECT value FROM json_each(?2))",
            &[catalog, &Json(skus)],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.sku).collect())
}

/// A product patch as one element of the JSON array the upserts read.
#[derive(Serialize)]
struct PatchJson<'a> {
    id: String,
    sku: &'a str,
    gtin: Option<&'a str>,
    name_en: Option<&'a str>,
    name_de: Option<&'a str>,
    name_pl: Option<&'a str>,
    description_en: Option<&'a str>,
    description_de: Option<&'a str>,
    description_pl: Option<&'a str>,
    category: Option<&'a str>,
    unit: Option<&'a str>,
    list_price_e4: Option<i64>,
    min_quantity_e3: Option<i64>,
    step_quantity_e3: Option<i64>,
    stock_e3: Option<i64>,
    lead_time_days: Option<i64>,
}

fn patch_json(p: &ProductPatch, id: String) -> PatchJson<'_> {
    PatchJson {
        id,
        sku: &p.sku,
        gtin: p.gtin.as_deref(),
        name_en: p.names[0].as_deref(),
        name_de: p.names[1].as_deref(),
        name_pl: p.names[2].as_deref(),
        description_en: p.descriptions[0].as_deref(),
        description_de: p.descriptions[1].as_deref(),
        description_pl: p.descriptions[2].as_deref(),
        category: p.category.as_deref(),
        unit: p.unit.as_deref(),
        list_price_e4: p.list_price_e4,
        min_quantity_e3: p.min_quantity_e3,
        step_quantity_e3: p.step_quantity_e3,
        stock_e3: p.stock_e3,
        lead_time_days: p.lead_time_days,
    }
}

/// Changes the given fields of existing products of `catalog` (one statement for all).
#[must_use]
pub fn update_stmt(catalog: &CatalogId, patches: &[&ProductPatch], now: Time) -> Statement {
    let rows: Vec<PatchJson<'_>> = patches
        .iter()
        .map(|p| patch_json(p, String::new()))
        .collect();
    let set = |col: &str| format!("{col} = COALESCE(j.value ->> '{col}', products.{col})");
    let columns = [
        "gtin",
        "name_en",
        "name_de",
        "name_pl",
        "description_en",
        "description_de",
        "description_pl",
        "category",
        "unit",
        "list_price_e4",
        "min_quantity_e3",
        "step_quantity_e3",
        "stock_e3",
        "lead_time_days",
    ];
    let sets: Vec<String> = columns.iter().map(|c| set(c)).collect();
    Statement::new(
        format!(
            "UPDATE products SET {}, updated_at = ?3 FROM json_each(?2) j \
             WHERE products.catalog_id = ?1 AND products.sku = j.value ->> 'sku'",
            sets.join(", ")
        ),
        &[catalog, &Json(&rows), &now],
    )
}

/// Makes new products of `catalog` (each patch [`ProductPatch::complete`]; one statement). A
/// name missing in English takes the first given; unit, minimum and step default to `C62`, 1, 1.
#[must_use]
pub fn insert_stmt(
    catalog: &CatalogId,
    patches: &[(&ProductPatch, ProductId)],
    now: Time,
) -> Statement {
    let rows: Vec<PatchJson<'_>> = patches
        .iter()
        .map(|(p, id)| patch_json(p, id.to_string()))
        .collect();
    Statement::new(
        "INSERT INTO products (id, catalog_id, sku, gtin, name_en, name_de, name_pl, \
         description_en, description_de, description_pl, category, unit, list_price_e4, \
         min_quantity_e3, step_quantity_e3, stock_e3, lead_time_days, updated_at) \
         SELECT j.value ->> 'id', ?1, j.value ->> 'sku', j.value ->> 'gtin', \
         COALESCE(j.value ->> 'name_en', j.value ->> 'name_de', j.value ->> 'name_pl', ''), \
         j.value ->> 'name_de', j.value ->> 'name_pl', j.value ->> 'description_en', \
         j.value ->> 'description_de', j.value ->> 'description_pl', j.value ->> 'category', \
         COALESCE(j.value ->> 'unit', 'C62'), COALESCE(j.value ->> 'list_price_e4', 0), \
         COALESCE(j.value ->> 'min_quantity_e3', 1000), \
         COALESCE(j.value ->> 'step_quantity_e3', 1000), j.value ->> 'stock_e3', \
         j.value ->> 'lead_time_days', ?3 FROM json_each(?2) j WHERE true \
         ON CONFLICT (catalog_id, sku) DO NOTHING",
        &[catalog, &Json(&rows), &now],
    )
}

/// Replaces the list price breaks of the products `patches` name with theirs (two statements,
/// after the products are written).
fn list_breaks_stmts(catalog: &CatalogId, patches: &[&ProductPatch]) -> [Statement; 2] {
    #[derive(Serialize)]
    struct Break<'a> {
        sku: &'a str,
        from: i64,
        price: i64,
    }
    let skus: Vec<&str> = patches.iter().map(|p| p.sku.as_str()).collect();
    let breaks: Vec<Break<'_>> = patches
        .iter()
        .flat_map(|p| {
            p.list_breaks.iter().flatten().map(|(from, price)| Break {
                sku: &p.sku,
                from: *from,
                price: *price,
            })
        })
        .collect();
    [
        Statement::new(
            "DELETE FROM product_prices WHERE relationship_id IS NULL AND grouping IS NULL \
             AND product_id IN (SELECT id FROM products WHERE catalog_id = ?1 \
             AND sku IN (SELECT value FROM json_each(?2)))",
            &[catalog, &Json(&skus)],
        ),
        Statement::new(
            "INSERT INTO product_prices (product_id, relationship_id, grouping, \
             min_quantity_e3, price_e4) SELECT p.id, NULL, NULL, j.value ->> 'from', \
             j.value ->> 'price' FROM json_each(?2) j JOIN products p ON p.catalog_id = ?1 \
             AND p.sku = j.value ->> 'sku' WHERE true ON CONFLICT DO NOTHING",
            &[catalog, &Json(&breaks)],
        ),
    ]
}

/// Takes the products with these SKUs out of `catalog` (their prices with them).
#[must_use]
pub fn delete_stmt(catalog: &CatalogId, skus: &[&str]) -> Statement {
    Statement::new(
        "DELETE FROM products WHERE catalog_id = ?1 AND sku IN (SELECT value FROM json_each(?2))",
        &[catalog, &Json(skus)],
    )
}

/// Marks `catalog` changed.
#[must_use]
pub fn touch_stmt(catalog: &CatalogId, now: Time) -> Statement {
    Statement::new(
        "UPDATE catalogs SET updated_at = ?2 WHERE id = ?1",
        &[catalog, &now],
    )
}

/// What one chunk of rows did.
pub struct Written {
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub refused: Vec<RowError>,
}

/// The rows of a chunk with one row per SKU, in the order each SKU first comes: a later
/// upsert's fields win over an earlier one's (a BMEcat file places its products in the
/// category tree after listing them), a deletion drops what came before it, an upsert after
/// a deletion starts anew. The row reported is the last one.
fn merged(rows: Vec<(u64, Item)>) -> Vec<(u64, Item)> {
    let mut out: Vec<(u64, Item)> = Vec::with_capacity(rows.len());
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (row, item) in rows {
        let Some(&i) = at.get(item.sku()) else {
            at.insert(item.sku().to_owned(), out.len());
            out.push((row, item));
            continue;
        };
        let slot = &mut out[i];
        slot.0 = row;
        let earlier = std::mem::replace(&mut slot.1, Item::Delete(String::new()));
        slot.1 = match (earlier, item) {
            (Item::Upsert(mut first), Item::Upsert(then)) => {
                first.merge(*then);
                Item::Upsert(first)
            }
            (_, then) => then,
        };
    }
    out
}

/// Writes a chunk of upserts and deletions (the rows of one SKU merged, [`merged`]) in one
/// batch, with `then` (an import's progress) in it; a new product without a name or list price
/// is refused.
///
/// # Errors
/// A database error (nothing of the chunk is written).
pub async fn write_items(
    db: &Db,
    catalog: &CatalogId,
    rows: Vec<(u64, Item)>,
    now: crate::time::Timestamp,
    then: impl FnOnce(&Written) -> Vec<Statement>,
) -> Result<Written> {
    let rows = merged(rows);
    let skus: Vec<&str> = rows.iter().map(|(_, item)| item.sku()).collect();
    let existing = existing_skus(db, catalog, &skus).await?;
    let mut written = Written {
        created: 0,
        updated: 0,
        deleted: 0,
        refused: Vec::new(),
    };
    let mut updates: Vec<&ProductPatch> = Vec::new();
    let mut inserts: Vec<(&ProductPatch, ProductId)> = Vec::new();
    let mut deletes: Vec<&str> = Vec::new();
    for (row, item) in &rows {
        match item {
            Item::Delete(sku) => {
                if existing.iter().any(|e| e == sku) {
                    deletes.push(sku);
                }
            }
            Item::Upsert(p) if existing.iter().any(|e| e == &p.sku) => updates.push(p),
            Item::Upsert(p) => match p.complete("") {
                Ok(()) => inserts.push((p, ProductId::new(now)?)),
                Err(e) => written.refused.push(RowError {
                    row: *row,
                    sku: Some(p.sku.clone()),
                    field: e.field().unwrap_or("row").to_owned(),
                    detail: e.detail(),
                }),
            },
        }
    }
    written.created = inserts.len() as u64;
    written.updated = updates.len() as u64;
    written.deleted = deletes.len() as u64;
    let now = Time(now);
    let mut batch = Vec::new();
    if !updates.is_empty() {
        batch.push(update_stmt(catalog, &updates, now));
    }
    if !inserts.is_empty() {
        batch.push(insert_stmt(catalog, &inserts, now));
    }
    if !deletes.is_empty() {
        batch.push(delete_stmt(catalog, &deletes));
    }
    let scales: Vec<&ProductPatch> = updates
        .iter()
        .copied()
        .chain(inserts.iter().map(|(p, _)| *p))
        .filter(|p| p.list_breaks.is_some())
        .collect();
    if !scales.is_empty() {
        batch.extend(list_breaks_stmts(catalog, &scales));
    }
    batch.push(touch_stmt(catalog, now));
    batch.extend(then(&written));
    db.batch(batch).await?;
    Ok(written)
}

/// A customer's ordering terms, kept by its supplier.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TermsRow {
    pub order_block: bool,
    pub block_reason: Option<String>,
    pub credit_limit_e4: Option<i64>,
    pub delivery_addresses: Json<Vec<String>>,
    /// The currency the customer orders in (none: each catalog's own).
    pub currency: Option<String>,
}

/// The ordering terms of `relationship` (none kept: no block, no limit, no addresses).
///
/// # Errors
/// A database error.
pub async fn terms(db: &Db, relationship: &RelationshipId) -> Result<TermsRow> {
    Ok(db
        .first(
            "SELECT order_block, block_reason, credit_limit_e4, delivery_addresses, currency \
             FROM order_terms WHERE relationship_id = ?1",
            &[relationship],
        )
        .await?
        .unwrap_or_default())
}

/// Keeps the ordering terms of `relationship`.
///
/// # Errors
/// A database error.
pub async fn put_terms(
    db: &Db,
    relationship: &RelationshipId,
    t: &TermsRow,
    now: Time,
) -> Result<()> {
    db.run(
        "INSERT INTO order_terms (relationship_id, order_block, block_reason, credit_limit_e4, \
         delivery_addresses, currency, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (relationship_id) DO UPDATE SET order_block = excluded.order_block, \
         block_reason = excluded.block_reason, credit_limit_e4 = excluded.credit_limit_e4, \
         delivery_addresses = excluded.delivery_addresses, currency = excluded.currency, \
         updated_at = excluded.updated_at",
        &[
            relationship,
            &t.order_block,
            &t.block_reason,
            &t.credit_limit_e4,
            &t.delivery_addresses,
            &t.currency,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// An exchange rate as kept: one `base` is `rate_e6` millionths of `currency`.
#[derive(Debug, Clone, Deserialize)]
pub struct RateRow {
    pub base: String,
    pub currency: String,
    pub rate_e6: i64,
    pub updated_at: Time,
}

/// The exchange rates `supplier` keeps.
///
/// # Errors
/// A database error.
pub async fn rates(db: &Db, supplier: &CompanyId) -> Result<Vec<RateRow>> {
    db.all(
        "SELECT base, currency, rate_e6, updated_at FROM exchange_rates WHERE supplier_id = ?1 \
         ORDER BY base, currency",
        &[supplier],
    )
    .await
}

/// Sets (or with `rate_e6` none, removes) `supplier`'s rate from `base` to `currency`.
#[must_use]
pub fn set_rate_stmt(
    supplier: &CompanyId,
    base: &str,
    currency: &str,
    rate_e6: Option<i64>,
    now: Time,
) -> Statement {
    match rate_e6 {
        Some(rate) => Statement::new(
            "INSERT INTO exchange_rates (supplier_id, base, currency, rate_e6, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (supplier_id, base, currency) \
             DO UPDATE SET rate_e6 = excluded.rate_e6, updated_at = excluded.updated_at",
            &[supplier, &base, &currency, &rate, &now],
        ),
        None => Statement::new(
            "DELETE FROM exchange_rates WHERE supplier_id = ?1 AND base = ?2 AND currency = ?3",
            &[supplier, &base, &currency],
        ),
    }
}

/// An import's progress and report.
#[derive(Debug, Clone, Deserialize)]
pub struct ImportRow {
    pub id: ImportId,
    pub catalog_id: CatalogId,
    pub format: String,
    pub status: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub refused: u64,
    pub errors: Json<Vec<crate::catalog::import::RowError>>,
    pub failure: Option<String>,
    pub started_at: Time,
    pub finished_at: Option<Time>,
}

/// What an upsert, a deletion or an import did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportOut {
    /// The import's id (`imp_…`; none for a `PUT …/products` call).
    pub id: Option<ImportId>,
    /// `csv`, `bmecat` or `api`.
    pub format: String,
    /// `running`, `done` or `failed` (with `failure`).
    pub status: String,
    /// Rows read so far.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub refused: u64,
    /// The first 100 rows refused, each with its row, SKU, field and reason.
    pub errors: Vec<RowError>,
    pub failure: Option<String>,
    pub started_at: Time,
    pub finished_at: Option<Time>,
}

impl ImportOut {
    #[must_use]
    pub fn of(r: ImportRow) -> ImportOut {
        ImportOut {
            id: Some(r.id),
            format: r.format,
            status: r.status,
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            deleted: r.deleted,
            refused: r.refused,
            errors: r.errors.0,
            failure: r.failure,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// Counts of an import so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub refused: u64,
}

/// Starts an import's record.
///
/// # Errors
/// A database error.
pub async fn start_import(
    db: &Db,
    id: &ImportId,
    catalog: &CatalogId,
    format: &str,
    now: Time,
) -> Result<()> {
    db.run(
        "INSERT INTO catalog_imports (id, catalog_id, format, status, started_at) \
         VALUES (?1, ?2, ?3, 'running', ?4)",
        &[id, catalog, &format, &now],
    )
    .await?;
    Ok(())
}

/// Writes an import's counts and the first refused rows; `end` `Some((status, failure))`
/// finishes it.
#[must_use]
pub fn progress_stmt(
    id: &ImportId,
    p: &Progress,
    errors: &[crate::catalog::import::RowError],
    end: Option<(&str, Option<&str>)>,
    now: Time,
) -> Statement {
    let (status, failure) = end.unwrap_or(("running", None));
    let finished = end.map(|_| now);
    Statement::new(
        "UPDATE catalog_imports SET rows = ?2, created = ?3, updated = ?4, deleted = ?5, \
         refused = ?6, errors = ?7, status = ?8, failure = ?9, finished_at = ?10 WHERE id = ?1",
        &[
            id,
            &p.rows,
            &p.created,
            &p.updated,
            &p.deleted,
            &p.refused,
            &Json(errors),
            &status,
            &failure,
            &finished,
        ],
    )
}

const IMPORT_SELECT: &str = "SELECT i.id, i.catalog_id, i.format, i.status, i.rows, i.created, \
     i.updated, i.deleted, i.refused, i.errors, i.failure, i.started_at, i.finished_at \
     FROM catalog_imports i JOIN catalogs k ON k.id = i.catalog_id WHERE k.supplier_id = ?1";

/// The newest import of `catalog` (the supplier's), to follow one that runs.
///
/// # Errors
/// A database error.
pub async fn latest_import(
    db: &Db,
    viewer: &CompanyId,
    catalog: &CatalogId,
) -> Result<Option<ImportRow>> {
    db.first(
        &format!("{IMPORT_SELECT} AND i.catalog_id = ?2 ORDER BY i.id DESC LIMIT 1"),
        &[viewer, catalog],
    )
    .await
}

/// One import of the viewer's (the supplier's) catalog.
///
/// # Errors
/// A database error.
pub async fn import(db: &Db, viewer: &CompanyId, id: &ImportId) -> Result<Option<ImportRow>> {
    db.first(&format!("{IMPORT_SELECT} AND i.id = ?2"), &[viewer, id])
        .await
}

/// An order placed from a catalog, with its document's status and both names.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub id: CatalogOrderId,
    pub catalog_id: CatalogId,
    pub catalog_name: String,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    pub customer_id: CompanyId,
    pub customer_name: String,
    pub document_id: DocumentId,
    pub status: String,
    pub number: String,
    pub currency: String,
    pub total_e4: i64,
    pub line_count: u64,
    pub requested_date: Option<String>,
    pub delivery_address: Option<String>,
    pub placed_by_name: Option<String>,
    pub created_at: Time,
}

const ORDER_SELECT: &str = "SELECT o.id, o.catalog_id, k.name AS catalog_name, o.supplier_id, \
     s.name AS supplier_name, o.customer_id, c.name AS customer_name, o.document_id, d.status, \
     o.number, o.currency, o.total_e4, o.line_count, o.requested_date, o.delivery_address, \
     u.name AS placed_by_name, o.created_at FROM catalog_orders o \
     JOIN catalogs k ON k.id = o.catalog_id JOIN companies s ON s.id = o.supplier_id \
     JOIN companies c ON c.id = o.customer_id JOIN documents d ON d.id = o.document_id \
     LEFT JOIN users u ON u.id = o.placed_by_user_id WHERE (o.supplier_id = ?1 OR o.customer_id = ?1)";

/// A new order.
pub struct NewOrder<'a> {
    pub id: &'a CatalogOrderId,
    pub catalog_id: &'a CatalogId,
    pub relationship_id: &'a RelationshipId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub document_id: &'a DocumentId,
    pub number: &'a str,
    pub currency: &'a str,
    pub total_e4: i64,
    pub line_count: u64,
    pub requested_date: Option<&'a str>,
    pub delivery_address: Option<&'a str>,
    pub placed_by: Option<&'a UserId>,
}

/// Keeps an order (in the batch that deposits its document).
#[must_use]
pub fn insert_order_stmt(o: &NewOrder<'_>, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO catalog_orders (id, catalog_id, relationship_id, supplier_id, customer_id, \
         document_id, number, currency, total_e4, line_count, requested_date, delivery_address, \
         placed_by_user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
         ?12, ?13, ?14)",
        &[
            o.id,
            o.catalog_id,
            o.relationship_id,
            o.supplier_id,
            o.customer_id,
            o.document_id,
            &o.number,
            &o.currency,
            &o.total_e4,
            &o.line_count,
            &o.requested_date,
            &o.delivery_address,
            &o.placed_by,
            &now,
        ],
    )
}

/// A page of the viewer's orders (placed as customer, received as supplier), newest first.
///
/// # Errors
/// A database error.
pub async fn orders(
    db: &Db,
    viewer: &CompanyId,
    as_supplier: Option<bool>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<OrderRow>> {
    let mut q = Query::new(ORDER_SELECT, &[viewer]);
    match as_supplier {
        Some(true) => q.push(" AND o.supplier_id = ?1"),
        Some(false) => q.push(" AND o.customer_id = ?1"),
        None => {}
    }
    if let Some(before) = before {
        q.filter(" AND o.id < ?n", &before);
    }
    q.filter(" ORDER BY o.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// One order of the viewer's.
///
/// # Errors
/// A database error.
pub async fn order(db: &Db, viewer: &CompanyId, id: &CatalogOrderId) -> Result<Option<OrderRow>> {
    db.first(&format!("{ORDER_SELECT} AND o.id = ?2"), &[viewer, id])
        .await
}
