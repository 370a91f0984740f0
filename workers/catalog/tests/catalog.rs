//! Catalogs natively: the catalog and orders workers' route tables over SQLite with the real
//! migrations. A paper wholesaler imports its catalog from CSV and BMEcat, sets a group price
//! and a customer's individual price, enables the catalog for two customers; a bookshop finds a
//! product in German, prices a pasted cart and orders — the order lands in the wholesaler's
//! inbox as a UBL order file at the prices shown. The other customer's price never shows; a
//! credit limit, an order block, a blocked relationship, a stranger, a person without the
//! permission and the wrong side change nothing.

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::permissions::{Permission, Role};
use shared::platform::Value as Sql;
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{problem_code, problem_field, SeededPerson, Stack};

struct World {
    s: Stack,
    bookshop: String,
    kiosk: String,
    /// The wholesaler's admin.
    anna: SeededPerson,
    /// The bookshop's buyer (catalog, documents.send).
    berta: SeededPerson,
    /// The bookshop's trainee (talk only).
    carl: SeededPerson,
    /// The kiosk's admin.
    kurt: SeededPerson,
    stranger_key: String,
}

fn world() -> World {
    let s = Stack::new(&[
        &tradepost_catalog::SERVICE,
        &tradepost_reader::SERVICE,
        &tradepost_orders::SERVICE,
    ]);
    let wholesaler = s.seed_company("papier-grosshandel");
    let bookshop = s.seed_company("buchhandlung-nord");
    let kiosk = s.seed_company("kiosk-am-markt");
    let stranger = s.seed_company("someone-else");
    let _ = s.seed_relationship(
        &wholesaler,
        &bookshop,
        RelationshipStatus::Active,
        &Settings {
            grouping: Some("retail".into()),
            discount_percent: Some(10.0),
            ..Settings::default()
        },
    );
    let _ = s.seed_relationship(
        &wholesaler,
        &kiosk,
        RelationshipStatus::Active,
        &Settings::default(),
    );
    World {
        anna: s.seed_person(&wholesaler, "Anna Admin", Role::Admin, &[]),
        berta: s.seed_person(
            &bookshop,
            "Berta Buch",
            Role::Member,
            &[Permission::Catalog, Permission::DocumentsSend],
        ),
        carl: s.seed_person(&bookshop, "Carl Trainee", Role::Member, &[Permission::Talk]),
        kurt: s.seed_person(&kiosk, "Kurt Kiosk", Role::Admin, &[]),
        stranger_key: s.seed_api_key(&stranger, &[Permission::Catalog]),
        bookshop: bookshop.to_string(),
        kiosk: kiosk.to_string(),
        s,
    }
}

fn call(w: &World, method: Method, target: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut c = w.s.call(method, target).bearer(token);
    if let Some(body) = body {
        c = c.json(&body);
    }
    let a = c.run();
    (a.status, a.json())
}

fn import(w: &World, catalog: &str, file: &str) -> (u16, Value) {
    let a =
        w.s.call(Method::Post, &format!("/v1/catalogs/{catalog}/imports"))
            .bearer(&w.anna.token)
            .bytes("application/octet-stream", file.as_bytes().to_vec())
            .run();
    (a.status, a.json())
}

/// What a refusal must leave as it was.
fn footprint(w: &World) -> (i64, i64, i64, i64) {
    (
        w.s.count("SELECT COUNT(*) FROM products", &[]),
        w.s.count("SELECT COUNT(*) FROM product_prices", &[]),
        w.s.count("SELECT COUNT(*) FROM catalog_orders", &[]),
        w.s.count("SELECT COUNT(*) FROM documents", &[]),
    )
}

const CSV: &str = "sku;gtin;name_en;name_de;name_pl;category;unit;list_price;min_quantity;step_quantity;stock\n\
PAP-A4-80;4006381333931;Offset paper A4 80 g;Offsetpapier A4 80 g;Papier offsetowy A4 80 g;Paper/Offset;PK;4,50;1;1;120\n\
PAP-A3-90;;Offset paper A3 90 g;Offsetpapier A3 90 g;;Paper/Offset;PK;9.80;5;5;\n\
BAD-1;123;Broken;;;;;1;;;\n\
ENV-C5;;Envelopes C5;Briefumschläge C5;Koperty C5;Envelopes;BX;12.00;1;1;0\n";

const BMECAT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<BMECAT version="2005" xmlns="http://www.bmecat.org/bmecat/2005">
  <HEADER><CATALOG><LANGUAGE>deu</LANGUAGE><CATALOG_ID>PG-2027</CATALOG_ID><CATALOG_VERSION>2</CATALOG_VERSION></CATALOG></HEADER>
  <T_UPDATE_PRODUCTS prev_version="1">
    <PRODUCT mode="new">
      <SUPPLIER_PID>CARD-300</SUPPLIER_PID>
      <PRODUCT_DETAILS>
        <DESCRIPTION_SHORT>Karton 300 g weiß</DESCRIPTION_SHORT>
        <DESCRIPTION_SHORT lang="eng">Card 300 g white</DESCRIPTION_SHORT>
      </PRODUCT_DETAILS>
      <PRODUCT_ORDER_DETAILS><ORDER_UNIT>PK</ORDER_UNIT><PRICE_QUANTITY>1</PRICE_QUANTITY></PRODUCT_ORDER_DETAILS>
      <PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>15.00</PRICE_AMOUNT></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS>
    </PRODUCT>
    <PRODUCT mode="delete"><SUPPLIER_PID>ENV-C5</SUPPLIER_PID></PRODUCT>
  </T_UPDATE_PRODUCTS>
</BMECAT>
"#;

#[test]
fn a_customer_orders_from_its_catalog_at_its_prices_and_the_order_lands_in_the_inbox() {
    let w = world();
    let anna = &w.anna.token;
    let berta = &w.berta.token;
    let kurt = &w.kurt.token;

    // ---- the wholesaler makes a catalog and imports it ----
    let (status, made) = call(
        &w,
        Method::Post,
        "/v1/catalogs",
        anna,
        Some(json!({"name": "Papier 2027", "currency": "eur"})),
    );
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["currency"], "EUR");
    let id = made["id"].as_str().unwrap().to_owned();
    let (status, again) = call(
        &w,
        Method::Post,
        "/v1/catalogs",
        anna,
        Some(json!({"name": "Papier 2027", "currency": "EUR"})),
    );
    assert_eq!((status, problem_field(&again)), (422, "name"));

    let (status, report) = import(&w, &id, CSV);
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (
            &report["format"],
            &report["status"],
            &report["rows"],
            &report["created"],
            &report["refused"]
        ),
        (
            &json!("csv"),
            &json!("done"),
            &json!(4),
            &json!(3),
            &json!(1)
        ),
        "{report}"
    );
    assert_eq!(report["errors"][0]["row"], 4);
    assert_eq!(report["errors"][0]["sku"], "BAD-1");
    assert_eq!(report["errors"][0]["field"], "gtin");
    let (status, progress) = call(
        &w,
        Method::Get,
        &format!(
            "/v1/catalogs/{id}/imports/{}",
            report["id"].as_str().unwrap()
        ),
        anna,
        None,
    );
    assert_eq!(
        (status, &progress["created"]),
        (200, &json!(3)),
        "{progress}"
    );

    let (status, report) = import(&w, &id, BMECAT);
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (&report["format"], &report["created"], &report["deleted"]),
        (&json!("bmecat"), &json!(1), &json!(1)),
        "{report}"
    );
    let (status, bad) = import(&w, &id, "colour;size\nred;1\n");
    assert_eq!((status, problem_field(&bad)), (422, "file"), "{bad}");

    // An ERP changes one field of a product; a new product without a price is refused.
    let (status, put) = call(
        &w,
        Method::Put,
        &format!("/v1/catalogs/{id}/products"),
        anna,
        Some(json!({"products": [{"sku": "PAP-A3-90", "stock": "40", "lead_time_days": 3}]})),
    );
    assert_eq!((status, &put["updated"]), (200, &json!(1)), "{put}");
    let (status, bad) = call(
        &w,
        Method::Put,
        &format!("/v1/catalogs/{id}/products"),
        anna,
        Some(json!({"products": [{"sku": "NEW-1", "name_en": "New"}]})),
    );
    assert_eq!(
        (status, problem_field(&bad)),
        (422, "products[0].list_price"),
        "{bad}"
    );

    // ---- prices: a list break, the bookshop's group, the kiosk's own ----
    let (status, prices) = call(
        &w,
        Method::Put,
        &format!("/v1/catalogs/{id}/prices"),
        anna,
        Some(json!({"prices": [
            {"sku": "PAP-A4-80", "min_quantity": "50", "price": "4.00"},
            {"sku": "PAP-A4-80", "group": "retail", "price": "4.20"},
            {"sku": "PAP-A4-80", "partner": w.kiosk, "price": "3.33"},
        ]})),
    );
    assert_eq!((status, &prices["set"]), (200, &json!(3)), "{prices}");

    // ---- nobody but the enabled customers sees it ----
    let start = footprint(&w);
    let catalog = format!("/v1/catalogs/{id}");
    let (status, _) = call(&w, Method::Get, &catalog, berta, None);
    assert_eq!(status, 404, "not enabled yet");
    for partner in [&w.bookshop, &w.kiosk] {
        let (status, enabled) = call(
            &w,
            Method::Put,
            &format!("{catalog}/customers/{partner}"),
            anna,
            None,
        );
        assert_eq!(status, 200, "{enabled}");
    }
    let (status, _) = call(&w, Method::Get, &catalog, &w.stranger_key, None);
    assert_eq!(status, 404);
    let (status, _) = call(&w, Method::Get, &catalog, &w.carl.token, None);
    assert_eq!(status, 403);
    let (status, bad) = call(
        &w,
        Method::Put,
        &format!("{catalog}/products"),
        berta,
        Some(json!({"products": []})),
    );
    assert_eq!((status, problem_code(&bad)), (403, "supplier_only"));
    let (status, bad) = call(
        &w,
        Method::Post,
        &format!("{catalog}/orders"),
        anna,
        Some(json!({"lines": [{"sku": "PAP-A4-80", "quantity": 1}]})),
    );
    assert_eq!((status, problem_code(&bad)), (403, "customer_only"));
    assert_eq!(footprint(&w), start);

    // ---- the bookshop searches in German and sees its group price less its discount ----
    let (status, list) = call(&w, Method::Get, "/v1/catalogs", berta, None);
    assert_eq!(
        (status, list["data"][0]["side"].as_str()),
        (200, Some("customer"))
    );
    let (status, found) = call(
        &w,
        Method::Get,
        &format!("{catalog}/products?q=offsetpap&lang=de"),
        berta,
        None,
    );
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["data"].as_array().unwrap().len(), 2, "{found}");
    let a4 = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "PAP-A4-80")
        .unwrap();
    assert_eq!(a4["name"], "Offsetpapier A4 80 g");
    assert_eq!(
        (&a4["list_price"], &a4["price"], &a4["price_source"]),
        (&json!("4.50"), &json!("3.78"), &json!("group"))
    );
    assert_eq!(a4["availability"], "in_stock");
    let (_, words) = call(
        &w,
        Method::Get,
        &format!("{catalog}/products?q=KARTON%20wei%C3%9F"),
        berta,
        None,
    );
    assert_eq!(
        words["data"][0]["sku"], "CARD-300",
        "every word, any case: {words}"
    );
    let (_, swiss) = call(
        &w,
        Method::Get,
        &format!("{catalog}/products?q=karton%20weiss"),
        berta,
        None,
    );
    assert_eq!(swiss["data"][0]["sku"], "CARD-300", "ss finds ß: {swiss}");
    // The kiosk's individual price and its relationship are nowhere in the bookshop's answers.
    let seen = format!("{found}{list}");
    assert!(!seen.contains("3.33"), "{seen}");
    let (_, kiosk_view) = call(
        &w,
        Method::Get,
        &format!("{catalog}/products?q=A4"),
        kurt,
        None,
    );
    assert_eq!(kiosk_view["data"][0]["price"], "3.33", "{kiosk_view}");
    assert!(
        !kiosk_view.to_string().contains("4.20"),
        "the group price is the bookshop's: {kiosk_view}"
    );

    // ---- a pasted cart is priced line by line ----
    let (status, cart) = call(
        &w,
        Method::Post,
        &format!("{catalog}/cart"),
        berta,
        Some(json!({"paste": "PAP-A4-80;10\nPAP-A3-90;7\nNOPE;1\nCARD-300 2"})),
    );
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["lines"].as_array().unwrap().len(), 2, "{cart}");
    assert_eq!(cart["problems"][0]["field"], "paste[2].quantity", "{cart}");
    assert_eq!(cart["problems"][1]["field"], "paste[3].sku", "{cart}");
    // 10 × 3.78 + 2 × 13.50 (15.00 less 10 %).
    assert_eq!(cart["total"], "64.80", "{cart}");

    // ---- limits and blocks refuse the order with their reason; nothing is written ----
    let order_body = json!({
        "lines": [{"sku": "PAP-A4-80", "quantity": "60"}, {"sku": "CARD-300", "quantity": 2}],
        "reference": "PO-2027-118", "requested_date": "2099-04-01", "note": "Tor 2",
    });
    let orders = format!("{catalog}/orders");
    let terms = format!("/v1/order-terms/{}", w.bookshop);
    let start = footprint(&w);
    let (status, _) = call(
        &w,
        Method::Put,
        &terms,
        anna,
        Some(json!({"credit_limit": "100"})),
    );
    assert_eq!(status, 200);
    let (status, bad) = call(&w, Method::Post, &orders, berta, Some(order_body.clone()));
    assert_eq!(
        (status, problem_code(&bad)),
        (403, "credit_limit_exceeded"),
        "{bad}"
    );
    let (status, _) = call(
        &w,
        Method::Put,
        &terms,
        anna,
        Some(json!({"order_block": true, "block_reason": "invoice 2027-17 is overdue"})),
    );
    assert_eq!(status, 200);
    let (status, bad) = call(&w, Method::Post, &orders, berta, Some(order_body.clone()));
    assert_eq!((status, problem_code(&bad)), (403, "order_blocked"));
    assert!(bad["detail"].as_str().unwrap().contains("overdue"), "{bad}");
    let (status, bad) = call(
        &w,
        Method::Post,
        &orders,
        berta,
        Some(json!({"lines": [{"sku": "PAP-A3-90", "quantity": 3}]})),
    );
    assert_eq!(
        (status, problem_field(&bad)),
        (422, "lines[0].quantity"),
        "{bad}"
    );
    assert_eq!(footprint(&w), start);
    let (status, _) = call(
        &w,
        Method::Put,
        &terms,
        anna,
        Some(json!({"delivery_addresses": ["Buchhandlung Nord\nHafenstraße 1\n20095 Hamburg"]})),
    );
    assert_eq!(status, 200);

    // ---- the order: a UBL file in the wholesaler's inbox at the prices shown ----
    let (status, placed) = call(&w, Method::Post, &orders, berta, Some(order_body));
    assert_eq!(status, 201, "{placed}");
    // The group's price (4.20 less 10 %) holds at any quantity: the list break at 50 is for
    // customers without one.
    assert_eq!(placed["lines"][0]["unit_price"], "3.78", "{placed}");
    assert_eq!(placed["total"], "253.80", "{placed}");
    assert_eq!(placed["number"], "PO-2027-118");
    let document = placed["document_id"].as_str().unwrap().to_owned();
    let (status, doc) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{document}"),
        anna,
        None,
    );
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        (doc["type"].as_str(), doc["box"].as_str()),
        (Some("order"), Some("inbox"))
    );
    assert_eq!(doc["summary"]["total"], "253.80", "{doc}");
    assert_eq!(doc["summary"]["line_count"], 2, "{doc}");
    let file =
        w.s.call(Method::Get, &format!("/v1/documents/{document}/content"))
            .bearer(anna)
            .run();
    let xml = String::from_utf8(file.body).unwrap();
    for expected in [
        "<cbc:ID>PO-2027-118</cbc:ID>",
        "<cbc:ID>PAP-A4-80</cbc:ID>",
        "<cbc:ID schemeID=\"0160\">4006381333931</cbc:ID>",
        "<cbc:Quantity unitCode=\"PK\">60</cbc:Quantity>",
        "<cbc:PriceAmount currencyID=\"EUR\">3.78</cbc:PriceAmount>",
        "<cbc:Line>Hafenstraße 1</cbc:Line>",
        "<cbc:EndDate>2099-04-01</cbc:EndDate>",
    ] {
        assert!(xml.contains(expected), "{expected} in {xml}");
    }
    assert_eq!(w.s.queued_of("document.deposited").len(), 1);
    let (status, lines) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{document}/lines"),
        berta,
        None,
    );
    assert_eq!(status, 200, "{lines}");
    assert_eq!(
        (
            &lines["lines"][0]["sku"],
            &lines["lines"][0]["standard_id"],
            &lines["lines"][0]["delivery_date"]
        ),
        (
            &json!("PAP-A4-80"),
            &json!("0160:4006381333931"),
            &json!("2099-04-01")
        ),
        "{lines}"
    );
    let (status, _) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{document}/lines"),
        kurt,
        None,
    );
    assert_eq!(status, 404, "another customer");
    let (_, history) = call(
        &w,
        Method::Get,
        "/v1/catalog-orders?side=customer",
        berta,
        None,
    );
    // The customer's history follows the document: the wholesaler fetched it just now.
    assert_eq!(history["data"][0]["status"], "downloaded", "{history}");
    let (_, received) = call(
        &w,
        Method::Get,
        "/v1/catalog-orders?side=supplier",
        anna,
        None,
    );
    assert_eq!(received["data"][0]["number"], "PO-2027-118", "{received}");
    let (_, none) = call(&w, Method::Get, "/v1/catalog-orders", kurt, None);
    assert_eq!(none["data"].as_array().unwrap().len(), 0, "{none}");

    // ---- a blocked relationship stops the kiosk, with the reason ----
    w.s.db
        .query(
            "UPDATE relationships SET status = 'blocked', blocked_by = 'requester', \
             status_before_block = 'active' WHERE customer_id = ?1",
            &[Sql::Text(w.kiosk.clone())],
        )
        .unwrap();
    let (status, bad) = call(&w, Method::Get, &catalog, kurt, None);
    assert_eq!((status, problem_code(&bad)), (403, "relationship_blocked"));
    let (_, list) = call(&w, Method::Get, "/v1/catalogs", kurt, None);
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
}

/// The products of a catalog as the supplier lists them, without what differs between copies.
fn listing(w: &World, catalog: &str) -> Vec<Value> {
    let (status, page) = call(
        w,
        Method::Get,
        &format!("/v1/catalogs/{catalog}/products?limit=100"),
        &w.anna.token,
        None,
    );
    assert_eq!(status, 200, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            for volatile in ["id", "updated_at", "prices"] {
                p.as_object_mut().unwrap().remove(volatile);
            }
            p
        })
        .collect()
}

/// The wholesaler's new catalog in euros, as answered.
fn new_catalog(w: &World, name: &str) -> Value {
    let (status, made) = call(
        w,
        Method::Post,
        "/v1/catalogs",
        &w.anna.token,
        Some(json!({"name": name, "currency": "EUR"})),
    );
    assert_eq!(status, 201, "{made}");
    made
}

#[test]
fn the_supplier_exports_its_catalog_as_csv_and_bmecat_and_both_read_back() {
    let w = world();
    let anna = &w.anna.token;
    let make = |name: &str| new_catalog(&w, name)["id"].as_str().unwrap().to_owned();
    let id = make("Papier & Druck 2027");
    let (status, report) = import(&w, &id, CSV);
    assert_eq!((status, &report["created"]), (201, &json!(3)), "{report}");
    let (status, prices) = call(
        &w,
        Method::Put,
        &format!("/v1/catalogs/{id}/prices"),
        anna,
        Some(json!({"prices": [
            {"sku": "PAP-A4-80", "min_quantity": "50", "price": "4.00"},
            {"sku": "PAP-A4-80", "partner": w.kiosk, "price": "3.33"},
        ]})),
    );
    assert_eq!(status, 200, "{prices}");
    let original = listing(&w, &id);
    assert_eq!(original.len(), 3);

    // CSV: the import's columns; it reads back as the same products.
    let csv =
        w.s.get(&format!("/v1/catalogs/{id}/export"))
            .bearer(anna)
            .run();
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"Papier---Druck-2027.csv\"")
    );
    let text = String::from_utf8(csv.body.clone()).unwrap();
    assert!(text.starts_with("\u{FEFF}sku;gtin;name_en;"), "{text}");
    assert!(text.contains("Briefumschläge C5"), "{text}");
    assert!(
        !text.contains("3.33"),
        "a customer's price is not the catalog's: {text}"
    );
    let copy = make("Copy from CSV");
    let (status, report) = import(&w, &copy, &text);
    assert_eq!(
        (status, &report["created"], &report["refused"]),
        (201, &json!(3), &json!(0)),
        "{report}"
    );
    assert_eq!(listing(&w, &copy), original);

    // BMEcat: the tree, the texts, the list price and its break; all but the stock reads back.
    let xml =
        w.s.get(&format!("/v1/catalogs/{id}/export?format=bmecat"))
            .bearer(anna)
            .run();
    assert_eq!(xml.status, 200);
    let text = String::from_utf8(xml.body.clone()).unwrap();
    assert!(text.contains("<T_NEW_CATALOG>"), "{text}");
    assert!(text.contains("<LOWER_BOUND>50</LOWER_BOUND>"), "{text}");
    assert!(!text.contains("3.33"), "{text}");
    let copy = make("Copy from BMEcat");
    let (status, report) = import(&w, &copy, &text);
    assert_eq!(
        (status, &report["format"], &report["refused"]),
        (201, &json!("bmecat"), &json!(0)),
        "{report}"
    );
    let without_stock = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter()
            .map(|mut p| {
                for f in ["stock", "availability"] {
                    p.as_object_mut().unwrap().remove(f);
                }
                p
            })
            .collect()
    };
    assert_eq!(
        without_stock(listing(&w, &copy)),
        without_stock(original.clone())
    );
    let list_breaks = |catalog: &str| {
        w.s.texts(
            "SELECT p.sku || ' ' || pp.min_quantity_e3 || ' ' || pp.price_e4 FROM product_prices pp \
             JOIN products p ON p.id = pp.product_id WHERE p.catalog_id = ?1 \
             AND pp.relationship_id IS NULL AND pp.grouping IS NULL ORDER BY 1",
            &[Sql::Text(catalog.to_owned())],
        )
    };
    assert_eq!(list_breaks(&copy), vec!["PAP-A4-80 50000 40000".to_owned()]);
    assert_eq!(list_breaks(&copy), list_breaks(&id));
    // Nobody else exports it: the customer is refused, an unrelated company finds nothing.
    let (status, _) = call(
        &w,
        Method::Put,
        &format!("/v1/catalogs/{id}/customers/{}", w.bookshop),
        anna,
        None,
    );
    assert_eq!(status, 200);
    let (status, refused) = call(
        &w,
        Method::Get,
        &format!("/v1/catalogs/{id}/export"),
        &w.berta.token,
        None,
    );
    assert_eq!((status, problem_code(&refused)), (403, "supplier_only"));
    let (status, _) = call(
        &w,
        Method::Get,
        &format!("/v1/catalogs/{id}/export"),
        &w.stranger_key,
        None,
    );
    assert_eq!(status, 404);
    let (status, refused) = call(
        &w,
        Method::Get,
        &format!("/v1/catalogs/{id}/export?format=pdf"),
        anna,
        None,
    );
    assert_eq!((status, problem_field(&refused)), (422, "format"));
}

#[test]
fn a_supplier_whose_erp_imports_opentrans_gets_its_catalog_orders_as_opentrans_files() {
    let w = world();
    let anna = &w.anna.token;
    let made = new_catalog(&w, "Papier 2027");
    assert_eq!(made["order_format"], "ubl", "the default");
    let id = made["id"].as_str().unwrap().to_owned();
    let catalog = format!("/v1/catalogs/{id}");
    let (status, changed) = call(
        &w,
        Method::Patch,
        &catalog,
        anna,
        Some(json!({"order_format": "opentrans"})),
    );
    assert_eq!(
        (status, &changed["order_format"], &changed["name"]),
        (200, &json!("opentrans"), &json!("Papier 2027")),
        "{changed}"
    );
    let (status, refused) = call(
        &w,
        Method::Patch,
        &catalog,
        anna,
        Some(json!({"order_format": "pdf"})),
    );
    assert_eq!((status, problem_field(&refused)), (422, "order_format"));
    let (status, _) = call(
        &w,
        Method::Put,
        &format!("{catalog}/products"),
        anna,
        Some(
            json!({"products": [{"sku": "PAP-A4-80", "gtin": "4006381333931",
            "name_en": "Offset paper A4 80 g", "unit": "PK", "list_price": "4.50"}]}),
        ),
    );
    assert_eq!(status, 200);
    let (status, _) = call(
        &w,
        Method::Put,
        &format!("{catalog}/customers/{}", w.bookshop),
        anna,
        None,
    );
    assert_eq!(status, 200);

    // With the catalog enabled, the relationship's `order` service is on.
    let order_service = || {
        w.s.texts(
            "SELECT json_extract(services, '$.order') FROM relationships WHERE customer_id = ?1",
            &[Sql::Text(w.bookshop.clone())],
        )
    };
    assert_eq!(order_service(), vec!["enabled".to_owned()]);

    // The customer neither sees the setting nor changes it; an unrelated company finds nothing.
    let (status, seen) = call(&w, Method::Get, &catalog, &w.berta.token, None);
    assert_eq!(status, 200, "{seen}");
    assert!(seen.get("order_format").is_none(), "{seen}");
    let (status, refused) = call(
        &w,
        Method::Patch,
        &catalog,
        &w.berta.token,
        Some(json!({"order_format": "ubl"})),
    );
    assert_eq!((status, problem_code(&refused)), (403, "supplier_only"));
    let (status, _) = call(
        &w,
        Method::Patch,
        &catalog,
        &w.stranger_key,
        Some(json!({"name": "Mine"})),
    );
    assert_eq!(status, 404);

    let (status, placed) = call(
        &w,
        Method::Post,
        &format!("{catalog}/orders"),
        &w.berta.token,
        Some(
            json!({"lines": [{"sku": "PAP-A4-80", "quantity": 10}], "reference": "PO-77",
            "requested_date": "2099-04-01", "note": "Tor 2"}),
        ),
    );
    assert_eq!(status, 201, "{placed}");
    let document = placed["document_id"].as_str().unwrap().to_owned();
    let (status, doc) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{document}"),
        anna,
        None,
    );
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        (
            &doc["summary"]["format"],
            &doc["summary"]["total"],
            &doc["summary"]["buyer_id"]
        ),
        (
            &json!("open_trans_order"),
            &json!("40.50"),
            &json!(w.bookshop)
        ),
        "{doc}"
    );
    let file =
        w.s.call(Method::Get, &format!("/v1/documents/{document}/content"))
            .bearer(anna)
            .run();
    let xml = String::from_utf8(file.body).unwrap();
    for expected in [
        "<ORDER xmlns=\"http://www.opentrans.org/XMLSchema/2.1\"",
        "<ORDER_ID>PO-77</ORDER_ID>",
        "<bmecat:SUPPLIER_PID>PAP-A4-80</bmecat:SUPPLIER_PID>",
        "<QUANTITY>10</QUANTITY>",
        "<bmecat:PRICE_AMOUNT>4.05</bmecat:PRICE_AMOUNT>",
        "<DELIVERY_END_DATE>2099-04-01</DELIVERY_END_DATE>",
        "<REMARKS type=\"order\">Tor 2</REMARKS>",
    ] {
        assert!(xml.contains(expected), "{expected} in {xml}");
    }
    let (status, lines) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{document}/lines"),
        &w.berta.token,
        None,
    );
    assert_eq!(status, 200, "{lines}");
    assert_eq!(
        (&lines["lines"][0]["sku"], &lines["lines"][0]["line_total"]),
        (&json!("PAP-A4-80"), &json!("40.50")),
        "{lines}"
    );

    // Disabling the last catalog turns the service off.
    let (status, _) = call(
        &w,
        Method::Delete,
        &format!("{catalog}/customers/{}", w.bookshop),
        anna,
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(order_service(), vec!["inactive".to_owned()]);
}

#[test]
fn a_customer_who_orders_in_zloty_sees_and_orders_at_the_suppliers_rate() {
    let w = world();
    let anna = &w.anna.token;
    let berta = &w.berta.token;
    let made = new_catalog(&w, "Papier 2027");
    let id = made["id"].as_str().unwrap().to_owned();
    let catalog = format!("/v1/catalogs/{id}");
    let (status, _) = call(
        &w,
        Method::Put,
        &format!("{catalog}/products"),
        anna,
        Some(
            json!({"products": [{"sku": "PAP-A4-80", "name_en": "Offset paper A4 80 g",
            "unit": "PK", "list_price": "4.50"}]}),
        ),
    );
    assert_eq!(status, 200);
    for partner in [&w.bookshop, &w.kiosk] {
        let (status, _) = call(
            &w,
            Method::Put,
            &format!("{catalog}/customers/{partner}"),
            anna,
            None,
        );
        assert_eq!(status, 200);
    }
    let set_terms = |body: Value| {
        let (status, terms) = call(
            &w,
            Method::Put,
            &format!("/v1/order-terms/{}", w.bookshop),
            anna,
            Some(body),
        );
        assert_eq!(status, 200, "{terms}");
        terms
    };
    let order = |cart: &Value| {
        call(
            &w,
            Method::Post,
            &format!("{catalog}/orders"),
            berta,
            Some(cart.clone()),
        )
    };
    let terms = set_terms(json!({"currency": "pln"}));
    assert_eq!(terms["currency"], "PLN", "{terms}");

    // No rate yet: the prices stay in euros and ordering is refused, saying why.
    let cart = json!({"lines": [{"sku": "PAP-A4-80", "quantity": 10}]});
    let (status, priced) = call(
        &w,
        Method::Post,
        &format!("{catalog}/cart"),
        berta,
        Some(cart.clone()),
    );
    assert_eq!(
        (status, &priced["currency"]),
        (200, &json!("EUR")),
        "{priced}"
    );
    assert!(
        priced["blocked"]
            .as_str()
            .unwrap()
            .contains("no exchange rate from EUR to PLN"),
        "{priced}"
    );
    let before = footprint(&w);
    let (status, refused) = order(&cart);
    assert_eq!(
        (status, problem_code(&refused)),
        (409, "exchange_rate_missing")
    );
    assert_eq!(footprint(&w), before, "nothing is written");

    // The ERP keeps the rates; a bad one is refused naming it.
    let (status, refused) = call(
        &w,
        Method::Put,
        "/v1/exchange-rates",
        anna,
        Some(
            json!({"rates": [{"base": "EUR", "currency": "CZK", "rate": "25.1"},
            {"base": "EUR", "currency": "PLN", "rate": "0"}]}),
        ),
    );
    assert_eq!((status, problem_field(&refused)), (422, "rates[1].rate"));
    let (status, rates) = call(
        &w,
        Method::Put,
        "/v1/exchange-rates",
        anna,
        Some(json!({"rates": [{"base": "eur", "currency": "PLN", "rate": "4.2875"}]})),
    );
    assert_eq!(status, 200, "{rates}");
    assert_eq!(
        (&rates["data"][0]["currency"], &rates["data"][0]["rate"]),
        (&json!("PLN"), &json!("4.2875")),
        "{rates}"
    );
    assert_eq!(
        rates["data"].as_array().unwrap().len(),
        1,
        "the refused batch wrote nothing"
    );

    // 4.50 less the bookshop's 10 % is 4.05 EUR, × 4.2875 = 17.364375 → 17.36 PLN.
    let (status, seen) = call(&w, Method::Get, &format!("{catalog}/products"), berta, None);
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        (
            &seen["price_currency"],
            &seen["data"][0]["price"],
            &seen["data"][0]["list_price"]
        ),
        (&json!("PLN"), &json!("17.36"), &json!("4.50")),
        "{seen}"
    );
    let (_, view) = call(&w, Method::Get, &catalog, berta, None);
    assert_eq!(view["price_currency"], "PLN", "{view}");
    let (status, priced) = call(
        &w,
        Method::Post,
        &format!("{catalog}/cart"),
        berta,
        Some(cart.clone()),
    );
    assert_eq!(
        (
            status,
            &priced["currency"],
            &priced["total"],
            &priced["blocked"]
        ),
        (200, &json!("PLN"), &json!("173.60"), &Value::Null),
        "{priced}"
    );

    // The credit limit is in the customer's currency.
    set_terms(json!({"currency": "PLN", "credit_limit": "100"}));
    let (status, refused) = order(&cart);
    assert_eq!(
        (status, problem_code(&refused)),
        (403, "credit_limit_exceeded")
    );
    assert!(
        refused["detail"].as_str().unwrap().contains("173.60 PLN"),
        "{refused}"
    );
    set_terms(json!({"currency": "PLN", "credit_limit": "1000"}));
    let (status, placed) = order(&cart);
    assert_eq!(
        (status, &placed["currency"], &placed["total"]),
        (201, &json!("PLN"), &json!("173.60")),
        "{placed}"
    );
    let document = placed["document_id"].as_str().unwrap();
    let file =
        w.s.call(Method::Get, &format!("/v1/documents/{document}/content"))
            .bearer(anna)
            .run();
    let xml = String::from_utf8(file.body).unwrap();
    assert!(
        xml.contains("<cbc:PriceAmount currencyID=\"PLN\">17.36</cbc:PriceAmount>"),
        "{xml}"
    );
    assert!(xml.contains("<cbc:DocumentCurrencyCode>PLN</cbc:DocumentCurrencyCode>"));

    // The kiosk orders in euros; nobody but the supplier reads its rates.
    let (_, kiosk_sees) = call(
        &w,
        Method::Get,
        &format!("{catalog}/products"),
        &w.kurt.token,
        None,
    );
    assert_eq!(kiosk_sees["price_currency"], "EUR", "{kiosk_sees}");
    let (status, theirs) = call(&w, Method::Get, "/v1/exchange-rates", berta, None);
    assert_eq!(
        (status, &theirs["data"]),
        (200, &json!([])),
        "its own, none"
    );
    let (status, _) = call(&w, Method::Get, "/v1/exchange-rates", &w.carl.token, None);
    assert_eq!(status, 403, "without the catalog permission");
    for answer in [&seen, &view, &priced, &placed, &kiosk_sees] {
        assert!(!answer.to_string().contains("4.2875"), "{answer}");
    }
}
