//! Catalogs end to end: a paper wholesaler's clerk imports a catalog from a CSV file of 1,200
//! products and a BMEcat update, sets the bookshop's group price and the kiosk's own price and
//! enables the catalog for both; the bookshop's buyer finds a product in German at its price,
//! prices a pasted cart and orders — the order lands in the wholesaler's inbox as a UBL order
//! file, announced by `document.deposited` and recognised like an uploaded one. The kiosk's
//! price never shows to the bookshop; a credit limit and an order block refuse with their
//! reason; an unrelated company, a person without the permission, a revoked key and a blocked
//! customer are refused with nothing changed (the native twin is workers/catalog/tests).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use serde_json::{json, Value};
use tradepost_e2e::{api_key, connect, invite_colleague, wait_for_event, Api, Company, Method};

fn import(api: &Api, catalog: &str, file: Vec<u8>) -> Value {
    let path = format!("/v1/catalogs/{catalog}/imports");
    api.run(
        Method::POST,
        &path,
        api.raw(Method::POST, &path)
            .header("Content-Type", "text/csv")
            .header("Tradepost-Filename", "catalog.csv")
            .body(file),
    )
    .expect(201)
}

/// What a refusal must leave as it was: the products and prices the clerk sees, the orders.
fn footprint(clerk: &Api, catalog: &str) -> (Value, Value) {
    let c = clerk.get(&format!("/v1/catalogs/{catalog}"), 200);
    let orders = clerk.get("/v1/catalog-orders", 200);
    (c["product_count"].clone(), orders["data"].clone())
}

#[test]
fn a_customer_orders_from_its_catalog_and_the_order_lands_in_the_suppliers_inbox() {
    let wholesaler = Company::signup_confirmed("Wholesaler");
    let bookshop = Company::signup_confirmed("Bookshop");
    let kiosk = Company::signup_confirmed("Kiosk");
    let stranger = Company::signup_confirmed("Stranger");
    let bookshop_rel = connect(&bookshop, &wholesaler);
    let kiosk_rel = connect(&kiosk, &wholesaler);
    wholesaler
        .api()
        .send(
            Method::PATCH,
            &format!("/v1/relationships/{bookshop_rel}"),
            Some(&json!({"settings": {"grouping": "retail", "discount_percent": 10}})),
        )
        .expect(200);
    let clerk = invite_colleague(&wholesaler, &["catalog"]);
    let buyer = invite_colleague(&bookshop, &["catalog", "documents.send"]);
    let trainee = invite_colleague(&bookshop, &["talk"]);

    // ---- the clerk makes the catalog and imports 1,200 products and a BMEcat update ----
    let made = clerk.api.post(
        "/v1/catalogs",
        json!({"name": "Papier 2027", "currency": "EUR"}),
        201,
    );
    let id = made["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("sku;gtin;name_en;name_de;category;unit;list_price;stock\n");
    csv.push_str("PAP-A4-80;4006381333931;Offset paper A4 80 g;Offsetpapier A4 80 g;Paper/Offset;PK;4,50;120\n");
    csv.push_str("BAD-1;123;Broken;;;;1;\n");
    for n in 0..1_198 {
        csv.push_str(&format!(
            "ENV-{n:05};;Envelope {n};Briefumschlag {n};Envelopes;BX;{}.25;\n",
            n % 40 + 1
        ));
    }
    let report = import(&clerk.api, &id, csv.into_bytes());
    assert_eq!(
        (
            &report["status"],
            &report["rows"],
            &report["created"],
            &report["refused"]
        ),
        (&json!("done"), &json!(1200), &json!(1199), &json!(1)),
        "{report}"
    );
    assert_eq!(report["errors"][0]["field"], "gtin", "{report}");
    let bmecat = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<BMECAT version="2005"><HEADER><CATALOG><LANGUAGE>deu</LANGUAGE></CATALOG></HEADER>
<T_UPDATE_PRODUCTS prev_version="1">
<PRODUCT mode="new"><SUPPLIER_PID>CARD-300</SUPPLIER_PID><PRODUCT_DETAILS>
<DESCRIPTION_SHORT>Karton 300 g wei\xDF</DESCRIPTION_SHORT><DESCRIPTION_SHORT lang="eng">Card 300 g white</DESCRIPTION_SHORT>
</PRODUCT_DETAILS><PRODUCT_ORDER_DETAILS><ORDER_UNIT>PK</ORDER_UNIT></PRODUCT_ORDER_DETAILS>
<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>15.00</PRICE_AMOUNT></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS></PRODUCT>
<PRODUCT mode="delete"><SUPPLIER_PID>ENV-00000</SUPPLIER_PID></PRODUCT>
</T_UPDATE_PRODUCTS></BMECAT>"#;
    // The file is ISO-8859-1, as many ERPs still write BMEcat: `ß` is the one byte 0xDF.
    let bmecat: Vec<u8> = bmecat
        .replace("\\xDF", "\u{DF}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let report = import(&clerk.api, &id, bmecat);
    assert_eq!(
        (&report["format"], &report["created"], &report["deleted"]),
        (&json!("bmecat"), &json!(1), &json!(1)),
        "{report}"
    );
    let seen = clerk.api.get(&format!("/v1/catalogs/{id}"), 200);
    // 1,199 from the CSV file; the BMEcat update added one and deleted one.
    assert_eq!(seen["product_count"], 1199, "{seen}");
    assert_eq!(seen["latest_import"]["format"], "bmecat", "{seen}");

    // ---- the clerk exports it, in pages of 500 streamed through the gateway; both files read
    // back into a new catalog as the same 1,199 products ----
    for (format, marker) in [
        ("csv", "\r\nENV-01197;"),
        ("bmecat", "<PRODUCT mode=\"new\">"),
    ] {
        let path = format!("/v1/catalogs/{id}/export?format={format}");
        let file = clerk
            .api
            .run_bytes(Method::GET, &path, clerk.api.raw(Method::GET, &path));
        assert_eq!(file.status, 200, "{path}");
        let text = String::from_utf8(file.body).unwrap();
        assert!(
            text.contains(marker),
            "{format}: {}",
            text.chars().take(2000).collect::<String>()
        );
        assert!(text.contains("Karton 300 g wei\u{DF}"), "{format}");
        if format == "bmecat" {
            assert_eq!(text.matches("<PRODUCT mode=").count(), 1199);
            assert!(text.ends_with("</BMECAT>\n"), "{format}: cut short");
        }
        let copy = clerk.api.post(
            "/v1/catalogs",
            json!({"name": format!("Papier 2027 from {format}"), "currency": "EUR"}),
            201,
        );
        let copy = copy["id"].as_str().unwrap().to_owned();
        let report = import(&clerk.api, &copy, text.into_bytes());
        assert_eq!(
            (&report["format"], &report["created"], &report["refused"]),
            (&json!(format), &json!(1199), &json!(0)),
            "{report}"
        );
        let probe = |catalog: &str| {
            let page = clerk.api.get(
                &format!("/v1/catalogs/{catalog}/products?q=PAP-A4-80&lang=de"),
                200,
            );
            let p = &page["data"][0];
            json!([
                p["sku"],
                p["name"],
                p["name_en"],
                p["category"],
                p["unit"],
                p["list_price"],
                p["gtin"]
            ])
        };
        assert_eq!(probe(&copy), probe(&id), "{format}");
    }
    clerk.api.put(
        &format!("/v1/catalogs/{id}/prices"),
        json!({"prices": [
            {"sku": "PAP-A4-80", "group": "retail", "price": "4.20"},
            {"sku": "PAP-A4-80", "partner": kiosk.id, "price": "3.33"},
        ]}),
        200,
    );
    for partner in [&bookshop.id, &kiosk.id] {
        clerk.api.put(
            &format!("/v1/catalogs/{id}/customers/{partner}"),
            json!({}),
            200,
        );
    }
    // With a catalog enabled, both sides see the relationship's `order` service on; it follows
    // the catalogs and is not set by hand.
    let rel = format!("/v1/relationships/{bookshop_rel}");
    assert_eq!(
        bookshop.api().get(&rel, 200)["services"]["order"],
        "enabled"
    );
    let refused = wholesaler
        .api()
        .send(
            Method::PATCH,
            &rel,
            Some(&json!({"services": {"order": "inactive"}})),
        )
        .expect(422);
    assert_eq!(refused["field"], "services.order", "{refused}");

    // ---- nobody else reads, changes or orders ----
    let catalog = format!("/v1/catalogs/{id}");
    let orders = format!("{catalog}/orders");
    let order = json!({"lines": [{"sku": "PAP-A4-80", "quantity": 60}, {"sku": "CARD-300", "quantity": "2"}],
        "reference": "PO-2027-118", "requested_date": "2099-04-01"});
    let revoked = api_key(&bookshop, &["catalog", "documents.send"]);
    bookshop
        .api()
        .delete(&format!("/v1/api-keys/{}", revoked.id), 204);
    let start = footprint(&clerk.api, &id);
    for (who, api, status) in [
        ("a stranger", stranger.api(), 404),
        ("a person without the permission", &trainee.api, 403),
        ("a revoked key", &revoked.api, 401),
    ] {
        for (method, path, body) in [
            (Method::GET, catalog.clone(), None),
            (Method::GET, format!("{catalog}/products?q=paper"), None),
            (
                Method::PUT,
                format!("{catalog}/products"),
                Some(json!({"delete": ["PAP-A4-80"]})),
            ),
            (Method::POST, orders.clone(), Some(order.clone())),
        ] {
            let got = api.send(method, &path, body.as_ref());
            assert_eq!(got.status, status, "{who} {path}: {}", got.text);
        }
    }
    buyer
        .api
        .send(
            Method::PUT,
            &format!("{catalog}/products"),
            Some(&json!({"delete": ["PAP-A4-80"]})),
        )
        .expect_problem(403, "supplier_only");
    clerk
        .api
        .send(Method::POST, &orders, Some(&order))
        .expect_problem(403, "customer_only");
    assert_eq!(footprint(&clerk.api, &id), start, "nothing changed");

    // ---- the buyer finds it in German at its group price less its discount ----
    let found = buyer
        .api
        .get(&format!("{catalog}/products?q=offsetpapier&lang=de"), 200);
    let a4 = &found["data"][0];
    assert_eq!(
        (&a4["sku"], &a4["name"]),
        (&json!("PAP-A4-80"), &json!("Offsetpapier A4 80 g"))
    );
    assert_eq!(
        (&a4["price"], &a4["price_source"]),
        (&json!("3.78"), &json!("group")),
        "{a4}"
    );
    let latin1 = buyer
        .api
        .get(&format!("{catalog}/products?q=wei%C3%9F"), 200);
    assert_eq!(
        latin1["data"][0]["sku"], "CARD-300",
        "an ISO-8859-1 file's text: {latin1}"
    );
    let page = buyer.api.get(
        &format!("{catalog}/products?category=Envelopes&limit=100"),
        200,
    );
    assert_eq!(page["next_offset"], 100, "a page of a large catalog");
    let cart = buyer.api.post(
        &format!("{catalog}/cart"),
        json!({"paste": "PAP-A4-80;10\nCARD-300;2\nNOPE;1"}),
        200,
    );
    assert_eq!(
        (&cart["total"], &cart["problems"][0]["field"]),
        (&json!("64.80"), &json!("paste[3].sku")),
        "{cart}"
    );
    // The kiosk's own price and the kiosk itself are in none of the bookshop's answers.
    let theirs = format!(
        "{found}{latin1}{cart}{}",
        buyer.api.get("/v1/catalogs", 200)
    );
    assert!(
        !theirs.contains("3.33") && !theirs.contains(&kiosk.id),
        "{theirs}"
    );
    let kiosk_sees = kiosk
        .api()
        .get(&format!("{catalog}/products?q=PAP-A4"), 200);
    assert_eq!(kiosk_sees["data"][0]["price"], "3.33", "{kiosk_sees}");
    assert!(!kiosk_sees.to_string().contains("4.20"), "{kiosk_sees}");

    // ---- a credit limit and an order block refuse with their reason ----
    let terms = format!("/v1/order-terms/{}", bookshop.id);
    clerk
        .api
        .put(&terms, json!({"credit_limit": "100.00"}), 200);
    let refused = buyer
        .api
        .send(Method::POST, &orders, Some(&order))
        .expect_problem(403, "credit_limit_exceeded");
    assert!(
        refused["detail"].as_str().unwrap().contains("253.80"),
        "{refused}"
    );
    clerk.api.put(
        &terms,
        json!({"order_block": true, "block_reason": "invoice 2027-17 is overdue"}),
        200,
    );
    buyer
        .api
        .send(Method::POST, &orders, Some(&order))
        .expect_problem(403, "order_blocked");
    assert_eq!(footprint(&clerk.api, &id), start, "nothing deposited");
    clerk.api.put(
        &terms,
        json!({"delivery_addresses": ["Bookshop\nHafenstraße 1\n20095 Hamburg"]}),
        200,
    );

    // ---- the order: a UBL file in the wholesaler's inbox, as the ERP picks up any other ----
    let placed = buyer.api.post(&orders, order.clone(), 201);
    assert_eq!(
        (&placed["total"], &placed["number"]),
        (&json!("253.80"), &json!("PO-2027-118")),
        "{placed}"
    );
    let document = placed["document_id"].as_str().unwrap().to_owned();
    wait_for_event(&wholesaler.id, "document.deposited", |e| {
        e["data"]["document_id"] == json!(document)
    });
    let doc = wholesaler
        .api()
        .get(&format!("/v1/documents/{document}"), 200);
    assert_eq!(
        (&doc["type"], &doc["box"]),
        (&json!("order"), &json!("inbox")),
        "{doc}"
    );
    assert_eq!(
        (&doc["summary"]["format"], &doc["summary"]["total"]),
        (&json!("ubl_order"), &json!("253.80")),
        "{doc}"
    );
    let content = format!("/v1/documents/{document}/content");
    let file = wholesaler.api().run_bytes(
        Method::GET,
        &content,
        wholesaler.api().raw(Method::GET, &content),
    );
    let xml = String::from_utf8(file.body).unwrap();
    for expected in [
        "urn:fdc:peppol.eu:poacc:bis:ordering:3",
        "<cbc:ID>PAP-A4-80</cbc:ID>",
        "<cbc:PriceAmount currencyID=\"EUR\">3.78</cbc:PriceAmount>",
        "<cbc:Line>Hafenstraße 1</cbc:Line>",
    ] {
        assert!(xml.contains(expected), "{expected} in {xml}");
    }
    // Both sides read the order's lines; the supplier answers with fewer sheets, later.
    let lines = wholesaler
        .api()
        .get(&format!("/v1/documents/{document}/lines"), 200);
    assert_eq!(lines["format"], "ubl_order", "{lines}");
    assert_eq!(
        (
            &lines["lines"][0]["sku"],
            &lines["lines"][0]["quantity"],
            &lines["lines"][0]["unit"],
            &lines["lines"][0]["unit_price"]
        ),
        (
            &json!("PAP-A4-80"),
            &json!("60"),
            &json!("PK"),
            &json!("3.78")
        ),
        "{lines}"
    );
    let response = r#"<?xml version="1.0" encoding="UTF-8"?>
<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>OR-118</cbc:ID><cbc:IssueDate>2099-03-02</cbc:IssueDate><cbc:OrderResponseCode>CA</cbc:OrderResponseCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-2027-118</cbc:ID></cac:OrderReference>
  <cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>3</cbc:LineStatusCode>
    <cbc:Quantity unitCode="PK">50</cbc:Quantity><cac:Price><cbc:PriceAmount currencyID="EUR">3.78</cbc:PriceAmount></cac:Price>
    <cac:Delivery><cac:PromisedDeliveryPeriod><cbc:EndDate>2099-04-08</cbc:EndDate></cac:PromisedDeliveryPeriod></cac:Delivery>
    <cac:Item><cbc:Name>Offsetpapier A4 80 g</cbc:Name></cac:Item></cac:LineItem></cac:OrderLine>
  <cac:OrderLine><cac:LineItem><cbc:ID>2</cbc:ID><cbc:LineStatusCode>5</cbc:LineStatusCode>
    <cbc:Quantity unitCode="PK">2</cbc:Quantity><cac:Price><cbc:PriceAmount currencyID="EUR">13.50</cbc:PriceAmount></cac:Price>
    <cac:Item><cbc:Name>Karton 300 g</cbc:Name></cac:Item></cac:LineItem></cac:OrderLine>
</OrderResponse>"#;
    let answered = wholesaler.api().upload(
        &bookshop.id,
        "order_response",
        "OR-118.xml",
        response.as_bytes().to_vec(),
        &[
            ("Content-Type", "application/xml"),
            ("Tradepost-In-Reply-To", document.as_str()),
        ],
        201,
    );
    let answer = bookshop.api().get(
        &format!("/v1/documents/{}/lines", answered["id"].as_str().unwrap()),
        200,
    );
    assert_eq!(answer["order_document_id"], json!(document), "{answer}");
    let changes: Vec<(&str, &str, &str)> = answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["what"].as_str().unwrap_or(""),
                c["ordered"].as_str().unwrap_or("-"),
                c["answered"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("quantity", "60", "50"),
            ("delivery_date", "2099-04-01", "2099-04-08")
        ],
        "{answer}"
    );
    stranger
        .api()
        .send(
            Method::GET,
            &format!("/v1/documents/{document}/lines"),
            None,
        )
        .expect_problem(404, "not_found");
    let history = buyer.api.get("/v1/catalog-orders?side=customer", 200);
    assert_eq!(
        history["data"][0]["document_id"],
        json!(document),
        "{history}"
    );

    // ---- a blocked customer is told why ----
    wholesaler
        .api()
        .post_empty(&format!("/v1/relationships/{kiosk_rel}/block"), 200);
    kiosk
        .api()
        .send(Method::GET, &catalog, None)
        .expect_problem(403, "relationship_blocked");
    kiosk
        .api()
        .send(
            Method::POST,
            &orders,
            Some(&json!({"lines": [{"sku": "PAP-A4-80", "quantity": 1}]})),
        )
        .expect_problem(403, "relationship_blocked");
}
