//! The mailbox natively: the orders worker's route table over SQLite with the real migrations
//! and files in memory (the end-to-end suite runs the same requests against workerd).

use serde_json::json;
use shared::permissions::Permission;
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::Stack;

const ORDER: &[u8] = include_bytes!("../../../shared/tests/fixtures/formats/ubl-order.xml");

struct Pair {
    stack: Stack,
    supplier: String,
    customer: String,
    supplier_key: String,
    customer_key: String,
}

fn pair() -> Pair {
    let stack = Stack::new(&[&tradepost_orders::SERVICE]);
    let supplier = stack.seed_company("acme-print");
    let customer = stack.seed_company("wydawnictwo");
    let _ = stack.seed_relationship(
        &supplier,
        &customer,
        RelationshipStatus::Active,
        &Settings {
            customer_number: Some("K-4711".into()),
            ..Settings::default()
        },
    );
    let supplier_key = stack.seed_api_key(
        &supplier,
        &[Permission::DocumentsSend, Permission::DocumentsReceive],
    );
    let customer_key = stack.seed_api_key(
        &customer,
        &[Permission::DocumentsSend, Permission::DocumentsReceive],
    );
    Pair {
        stack,
        supplier: supplier.to_string(),
        customer: customer.to_string(),
        supplier_key,
        customer_key,
    }
}

fn upload(p: &Pair, key: Option<&str>) -> tradepost_testkit::Answer {
    let mut call = p
        .stack
        .post("/v1/documents")
        .bearer(&p.customer_key)
        .header("tradepost-recipient", "acme-print")
        .header("tradepost-type", "order")
        .header("tradepost-filename", "PO-4711.xml")
        .header("tradepost-reference", "PO-4711");
    if let Some(key) = key {
        call = call.header("idempotency-key", key);
    }
    call.bytes("application/xml", ORDER.to_vec()).run()
}

#[test]
fn an_order_goes_into_the_suppliers_inbox_and_comes_back_with_its_status() {
    let p = pair();
    let doc = upload(&p, None).expect(201);
    let id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(doc["box"], "outbox");
    assert_eq!(doc["status"], "new");
    assert_eq!(doc["customer_number"], "K-4711");
    assert_eq!(doc["size"], ORDER.len());
    assert_eq!(doc["format"], "ubl_order");
    assert_eq!(doc["partner"]["handle"], "acme-print");
    assert_eq!(doc["history"][0]["reference"], "PO-4711");
    // The event went to the queue after the answer, and to the outbox with the document.
    let queued = p.stack.queued();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["type"], "document.deposited");
    assert_eq!(queued[0]["company_id"], p.supplier.as_str());

    let inbox = p
        .stack
        .get("/v1/documents?box=inbox")
        .bearer(&p.supplier_key)
        .run()
        .expect(200);
    assert_eq!(inbox["data"][0]["id"], id.as_str());
    assert_eq!(inbox["counts"]["new"], 1);

    let file = p
        .stack
        .get(&format!("/v1/documents/{id}/content"))
        .bearer(&p.supplier_key)
        .run();
    assert_eq!(file.status, 200);
    assert_eq!(file.body, ORDER);
    assert_eq!(
        file.header("etag"),
        Some(format!("\"{}\"", shared::secrets::sha256_hex(ORDER)).as_str())
    );
    let ranged = p
        .stack
        .get(&format!("/v1/documents/{id}/content"))
        .bearer(&p.supplier_key)
        .header("range", "bytes=0-9")
        .run();
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.body, &ORDER[..10]);

    let acked = p
        .stack
        .post(&format!("/v1/documents/{id}/ack"))
        .bearer(&p.supplier_key)
        .json(&json!({ "reference": "SO-1" }))
        .run()
        .expect(200);
    assert_eq!(acked["status"], "imported");
    let shipped = p
        .stack
        .post(&format!("/v1/documents/{id}/status"))
        .bearer(&p.supplier_key)
        .json(&json!({ "status": "shipped", "carrier": "DHL", "tracking_number": "1Z999" }))
        .run()
        .expect(200);
    assert_eq!(shipped["status"], "shipped");
    let seen = p
        .stack
        .get(&format!("/v1/documents/{id}"))
        .bearer(&p.customer_key)
        .run()
        .expect(200);
    let statuses: Vec<&str> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "downloaded", "imported", "shipped"]);
    assert_eq!(seen["recipient_reference"], "SO-1");
    // Another company sees none of it.
    let stranger = p.stack.seed_company("stranger");
    let stranger_key = p
        .stack
        .seed_api_key(&stranger, &[Permission::DocumentsReceive]);
    p.stack
        .get(&format!("/v1/documents/{id}"))
        .bearer(&stranger_key)
        .run()
        .expect(404);
}

#[test]
fn the_same_upload_again_is_the_same_document() {
    let p = pair();
    let first = upload(&p, Some("po-4711-1")).expect(201);
    let again = upload(&p, Some("po-4711-1"));
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first["id"]);
    assert_eq!(
        p.stack.count("SELECT COUNT(*) FROM documents", &[]),
        1,
        "one document"
    );
    assert_eq!(p.stack.files.keys().len(), 1, "one file");
}

#[test]
fn wrong_methods_and_unknown_paths_come_from_the_route_table() {
    let p = pair();
    let wrong = p
        .stack
        .call(Method::Delete, "/v1/documents")
        .bearer(&p.customer_key)
        .run();
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("POST, GET"));
    let unknown = p
        .stack
        .get("/v1/documents/doc_x/nothing")
        .bearer(&p.customer_key)
        .run();
    assert_eq!(unknown.status, 404);
    let anonymous = p.stack.get("/v1/documents").run();
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    let _ = &p.customer;
}
