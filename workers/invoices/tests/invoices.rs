//! Invoices natively: the orders, invoices, talk and notify workers' route tables over SQLite
//! with the real migrations. A printer invoices a bookshop for the order the bookshop sent; the
//! invoice is read off the queue, joins the order, is disputed in a thread the printer answers,
//! and is paid; nobody else sees or moves any of it (the end-to-end suite,
//! tests/tests/invoices.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::permissions::{Permission, Role};
use shared::platform::{Clock, Value as Sql};
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{block_on, Answer, SeededPerson, Stack};

const ORDER: &[u8] = include_bytes!("../../../shared/tests/fixtures/formats/ubl-order.xml");
/// The order number of [`ORDER`].
const ORDER_NUMBER: &str = "PO-2024-0815";

/// A Peppol BIS 3 invoice of two lines at 19 % (1190.00 EUR payable) naming the order `order`;
/// its sums add up. The same template serves the end-to-end and portal tests.
fn ubl_invoice(number: &str, order: &str, due: &str) -> Vec<u8> {
    include_str!("../../../shared/tests/fixtures/invoices/order-invoice.template.xml")
        .replace("{NUMBER}", number)
        .replace("{ORDER}", order)
        .replace("{DUE}", due)
        .into_bytes()
}

struct World {
    s: Stack,
    printer: String,
    bookshop: String,
    printer_key: String,
    bookshop_key: String,
    /// The bookshop's accountant (documents.receive, talk).
    clerk: SeededPerson,
    /// The printer's sales clerk (documents.send, talk).
    sales: SeededPerson,
    /// A company unrelated to both.
    stranger_key: String,
}

fn world() -> World {
    let s = Stack::new(&[
        &tradepost_orders::SERVICE,
        &tradepost_invoices::SERVICE,
        &tradepost_talk::SERVICE,
        &tradepost_notify::SERVICE,
    ]);
    let printer = s.seed_company("acme-print");
    let bookshop = s.seed_company("buchhandlung-nord");
    let stranger = s.seed_company("someone-else");
    let _ = s.seed_relationship(
        &printer,
        &bookshop,
        RelationshipStatus::Active,
        &Settings::default(),
    );
    let both = [Permission::DocumentsSend, Permission::DocumentsReceive];
    let printer_key = s.seed_api_key(&printer, &both);
    let bookshop_key = s.seed_api_key(&bookshop, &both);
    let stranger_key = s.seed_api_key(&stranger, &both);
    let clerk = s.seed_person(
        &bookshop,
        "Berta Buch",
        Role::Member,
        &[Permission::DocumentsReceive, Permission::Talk],
    );
    let sales = s.seed_person(
        &printer,
        "Paul Print",
        Role::Member,
        &[Permission::DocumentsSend, Permission::Talk],
    );
    World {
        s,
        printer: printer.to_string(),
        bookshop: bookshop.to_string(),
        printer_key,
        bookshop_key,
        clerk,
        sales,
        stranger_key,
    }
}

fn upload(w: &World, key: &str, to: &str, kind: &str, name: &str, body: Vec<u8>) -> Value {
    w.s.post("/v1/documents")
        .bearer(key)
        .header("tradepost-recipient", to)
        .header("tradepost-type", kind)
        .header("tradepost-filename", name)
        .bytes("application/xml", body)
        .run()
        .expect(201)
}

/// Hands what the orders worker put on the invoices queue to the invoices worker's consumer.
fn read_queued(w: &World) -> usize {
    block_on(w.s.settle());
    let sent = std::mem::take(&mut *w.s.invoice_queue.sent.borrow_mut());
    let bodies: Vec<Value> = sent
        .iter()
        .map(|(json, _)| serde_json::from_str(json).unwrap())
        .collect();
    let acks = block_on(tradepost_invoices::read::handle_batch(
        &w.s.platform(),
        &bodies,
        w.s.clock.now(),
    ));
    assert!(acks.iter().all(|a| *a), "every message is read: {acks:?}");
    bodies.len()
}

/// Hands the queued events to the notify worker's consumer (webhooks, info mails).
fn deliver(w: &World) {
    block_on(async {
        loop {
            w.s.settle().await;
            let sent = w.s.take_queue();
            if sent.is_empty() {
                return;
            }
            let bodies: Vec<Value> = sent
                .iter()
                .filter_map(|(json, _)| serde_json::from_str(json).ok())
                .collect();
            let acks = tradepost_notify::consumer::handle_batch(&w.s.platform(), &bodies).await;
            assert!(acks.iter().all(|a| *a));
        }
    });
}

fn call(w: &World, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
    let mut c = w.s.call(method, path).bearer(token);
    if let Some(body) = body {
        c = c.json(&body);
    }
    c.run()
}

fn get(w: &World, path: &str, token: &str) -> Answer {
    call(w, Method::Get, path, token, None)
}

fn post(w: &World, path: &str, token: &str, body: Value) -> Answer {
    call(w, Method::Post, path, token, Some(body))
}

fn events_of(w: &World, kind: &str) -> Vec<(String, Value)> {
    w.s.rows(
        "SELECT company_id, data FROM events WHERE type = ?1 ORDER BY id",
        &[Sql::Text(kind.to_owned())],
    )
    .iter()
    .map(|r| {
        let text = |c: &str| match r.get(c) {
            Some(Sql::Text(t)) => t.clone(),
            _ => String::new(),
        };
        (
            text("company_id"),
            serde_json::from_str(&text("data")).unwrap(),
        )
    })
    .collect()
}

fn templates_to(w: &World, email: &str) -> Vec<String> {
    w.s.texts(
        "SELECT template FROM mails WHERE to_email = ?1 ORDER BY id",
        &[Sql::Text(email.to_owned())],
    )
}

#[test]
fn an_invoice_is_read_joins_its_order_is_disputed_answered_and_paid() {
    let w = world();
    let order = upload(
        &w,
        &w.bookshop_key,
        "acme-print",
        "order",
        "PO.xml",
        ORDER.to_vec(),
    );
    let order_id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(
        read_queued(&w),
        0,
        "an order is not put on the invoices queue"
    );

    let invoice = ubl_invoice("RE-2026-0042", ORDER_NUMBER, "2026-12-20");
    let doc = upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "RE-2026-0042.xml",
        invoice,
    );
    let id = doc["id"].as_str().unwrap().to_owned();
    let one = format!("/v1/invoices/{id}");

    // Before it is read, it is listed as being read and cannot be moved yet.
    let pending = get(&w, "/v1/invoices", &w.bookshop_key).expect(200);
    assert_eq!(pending["data"][0]["recognition"], "pending");
    let early = post(&w, &format!("{one}/received"), &w.bookshop_key, json!({}));
    assert_eq!(early.expect(409)["code"], "not_read_yet");

    assert_eq!(read_queued(&w), 1);
    let list = get(&w, "/v1/invoices", &w.bookshop_key).expect(200);
    let item = &list["data"][0];
    assert_eq!(item["recognition"], "recognised");
    assert_eq!(item["format"], "ubl_invoice");
    assert_eq!(item["invoice_number"], "RE-2026-0042");
    assert_eq!(item["payable"], "1190.00");
    assert_eq!(item["due_date"], "2026-12-20");
    assert_eq!(item["direction"], "received");
    assert_eq!(item["state"], "new");
    assert_eq!(item["partner"]["handle"], "acme-print");
    assert_eq!(
        list["totals"],
        json!([{"currency": "EUR", "count": 1, "payable": "1190.00", "open": "1190.00"}])
    );

    // What was read, and the order it joined.
    let read = get(&w, &one, &w.bookshop_key).expect(200);
    assert_eq!(read["summary"]["lines"].as_array().unwrap().len(), 2);
    assert_eq!(read["summary"]["lines"][0]["sku"], "CAT-A4-32");
    assert_eq!(read["summary"]["seller"]["vat_id"], "DE123456789");
    assert_eq!(read["summary"]["iban"], "DE89370400440532013000");
    assert_eq!(read["findings"], json!([]));
    assert_eq!(read["order"]["id"], order_id.as_str());
    assert_eq!(read["order"]["order_number"], ORDER_NUMBER);
    assert_eq!(read["order_id"], order_id.as_str());
    assert_eq!(read["history"][0]["state"], "new");
    let chain = get(
        &w,
        &format!("/v1/documents?order={order_id}"),
        &w.bookshop_key,
    )
    .expect(200);
    let ids: Vec<&str> = chain["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id.as_str()), "{ids:?}");

    // The printer sees it among what it sent, and cannot move it.
    let sent = get(&w, "/v1/invoices?direction=sent", &w.printer_key).expect(200);
    assert_eq!(sent["data"][0]["id"], id.as_str());
    assert_eq!(sent["data"][0]["direction"], "sent");
    let theirs = post(&w, &format!("{one}/received"), &w.printer_key, json!({}));
    assert_eq!(theirs.expect(403)["code"], "recipient_only");

    // Receipt, then the dispute: a thread with the printer, whose clerk answers in it.
    let received = post(&w, &format!("{one}/received"), &w.bookshop_key, json!({})).expect(200);
    assert_eq!(received["state"], "received");
    let again = post(&w, &format!("{one}/received"), &w.bookshop_key, json!({})).expect(200);
    assert_eq!(again["history"].as_array().unwrap().len(), 2, "once");
    let by_key = post(
        &w,
        &format!("{one}/dispute"),
        &w.bookshop_key,
        json!({"reason": "x"}),
    );
    assert_eq!(by_key.expect(403)["code"], "user_required");
    let blank = post(
        &w,
        &format!("{one}/dispute"),
        &w.clerk.token,
        json!({"reason": "  "}),
    );
    assert_eq!(blank.expect(422)["field"], "reason");
    let disputed = post(
        &w,
        &format!("{one}/dispute"),
        &w.clerk.token,
        json!({"reason": "The flyers were never delivered."}),
    )
    .expect(200);
    assert_eq!(disputed["state"], "disputed");
    let thread = disputed["thread_id"].as_str().unwrap().to_owned();
    let seen = get(&w, &format!("/v1/threads/{thread}"), &w.sales.token).expect(200);
    assert_eq!(seen["document_id"], id.as_str());
    let messages = get(
        &w,
        &format!("/v1/threads/{thread}/messages"),
        &w.sales.token,
    )
    .expect(200);
    assert_eq!(
        messages["data"][0]["text"],
        "The flyers were never delivered."
    );
    post(
        &w,
        &format!("/v1/threads/{thread}/messages"),
        &w.sales.token,
        json!({"text": "Sorry — they go out today; pay when they arrive."}),
    )
    .expect(201);
    let received_again = post(&w, &format!("{one}/received"), &w.bookshop_key, json!({}));
    assert_eq!(received_again.expect(409)["code"], "invalid_transition");

    // The payment, recorded once.
    let bad = post(
        &w,
        &format!("{one}/paid"),
        &w.bookshop_key,
        json!({"paid_on": "2026-12-01", "amount": "1,190.00"}),
    );
    assert_eq!(bad.expect(422)["field"], "amount");
    let paid_on = shared::time::format(w.s.clock.now())[..10].to_owned();
    let pay = json!({"paid_on": paid_on, "amount": "1190.00", "reference": "Transfer 7781"});
    let paid = post(&w, &format!("{one}/paid"), &w.bookshop_key, pay.clone()).expect(200);
    assert_eq!(paid["state"], "paid");
    assert_eq!(paid["payment"]["amount"], "1190.00");
    assert_eq!(paid["payment"]["reference"], "Transfer 7781");
    post(&w, &format!("{one}/paid"), &w.bookshop_key, pay).expect(200);
    let other = post(
        &w,
        &format!("{one}/paid"),
        &w.bookshop_key,
        json!({"paid_on": paid_on, "amount": "1000.00"}),
    );
    assert_eq!(other.expect(409)["code"], "invalid_transition");
    let states: Vec<&str> = paid["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["new", "received", "disputed", "paid"]);
    let totals = get(&w, "/v1/invoices", &w.bookshop_key).expect(200)["totals"].clone();
    assert_eq!(totals[0]["open"], "0.00");
    assert_eq!(
        get(&w, "/v1/invoices?state=open", &w.bookshop_key).expect(200)["data"],
        json!([])
    );
    assert_eq!(
        get(&w, "/v1/invoices?state=paid", &w.bookshop_key).expect(200)["data"][0]["id"],
        id.as_str()
    );

    // The printer was told each step, by event and (its clerk) by mail.
    for kind in ["invoice.received", "invoice.disputed", "invoice.paid"] {
        let told = events_of(&w, kind);
        assert_eq!(told.len(), 1, "{kind}");
        assert_eq!(told[0].0, w.printer, "{kind}");
        assert_eq!(told[0].1["invoice_id"], id.as_str());
    }
    assert_eq!(
        events_of(&w, "invoice.disputed")[0].1["thread_id"],
        thread.as_str()
    );
    deliver(&w);
    let mails = templates_to(&w, &w.sales.email);
    assert!(mails.iter().any(|t| t == "invoice_disputed"), "{mails:?}");
    assert!(mails.iter().any(|t| t == "invoice_paid"), "{mails:?}");
}

#[test]
fn nobody_else_sees_or_moves_an_invoice() {
    let w = world();
    let doc = upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "RE-1.xml",
        ubl_invoice("RE-1", "none", "2026-12-20"),
    );
    read_queued(&w);
    let one = format!("/v1/invoices/{}", doc["id"].as_str().unwrap());
    // An unrelated company: not found, and nothing in its lists.
    assert_eq!(
        get(&w, &one, &w.stranger_key).expect(404)["code"],
        "not_found"
    );
    post(
        &w,
        &format!("{one}/paid"),
        &w.stranger_key,
        json!({"paid_on": "2026-12-01", "amount": "1"}),
    )
    .expect(404);
    assert_eq!(
        get(&w, "/v1/invoices", &w.stranger_key).expect(200)["data"],
        json!([])
    );
    // A key of the bookshop without documents.receive.
    let bookshop = shared::ids::CompanyId::parse(&w.bookshop).unwrap();
    let sender_only = w.s.seed_api_key(&bookshop, &[Permission::DocumentsSend]);
    get(&w, &one, &sender_only).expect(403);
    get(&w, "/v1/invoices", &sender_only).expect(403);
    post(&w, &format!("{one}/received"), &sender_only, json!({})).expect(403);
    // A blocked partner: refused, nothing changed.
    w.s.db
        .query("UPDATE relationships SET status = 'blocked'", &[])
        .unwrap();
    let blocked = post(&w, &format!("{one}/received"), &w.bookshop_key, json!({}));
    assert_eq!(blocked.expect(403)["code"], "relationship_blocked");
    let now = get(&w, &one, &w.bookshop_key).expect(200);
    assert_eq!(now["state"], "new");
    assert_eq!(now["history"].as_array().unwrap().len(), 1);
    assert_eq!(events_of(&w, "invoice.received").len(), 0);
    // Bad filters name the field.
    for (query, field) in [
        ("direction=both", "direction"),
        ("state=late", "state"),
        ("from=1.12.2026", "from"),
        ("partner=acme", "partner"),
    ] {
        let a = get(&w, &format!("/v1/invoices?{query}"), &w.bookshop_key);
        assert_eq!(a.expect(422)["field"], field, "{query}");
    }
    let _ = &w.printer;
}

#[test]
fn an_unpaid_invoice_past_its_due_date_is_flagged_overdue_once() {
    let w = world();
    let doc = upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "RE-7.xml",
        ubl_invoice("RE-7", "none", "2026-01-31"),
    );
    let id = doc["id"].as_str().unwrap().to_owned();
    // The queue lost it: the cron reads it, then flags it.
    let _ = std::mem::take(&mut *w.s.invoice_queue.sent.borrow_mut());
    let cron = json!({"company_id": w.bookshop});
    let out =
        w.s.post("/v1/dev/invoices/cron")
            .json(&cron)
            .run()
            .expect(200);
    assert_eq!(out, json!({"read": 1, "flagged_overdue": 1}));
    let again =
        w.s.post("/v1/dev/invoices/cron")
            .json(&cron)
            .run()
            .expect(200);
    assert_eq!(again, json!({"read": 0, "flagged_overdue": 0}));
    let read = get(&w, &format!("/v1/invoices/{id}"), &w.bookshop_key).expect(200);
    assert_eq!(read["overdue"], true);
    assert_eq!(read["history"][1]["state"], "overdue");
    assert_eq!(read["history"][1]["by"], "system");
    let listed = get(&w, "/v1/invoices?state=overdue", &w.bookshop_key).expect(200);
    assert_eq!(listed["data"][0]["id"], id.as_str());
    let mut told: Vec<String> = events_of(&w, "invoice.overdue")
        .into_iter()
        .map(|e| e.0)
        .collect();
    told.sort();
    let mut both = [w.bookshop.clone(), w.printer.clone()];
    both.sort();
    assert_eq!(told, both);
    deliver(&w);
    let mails = templates_to(&w, &w.clerk.email);
    assert!(
        mails.contains(&"invoice_overdue".to_owned()),
        "the recipient's accountant is mailed: {mails:?}"
    );
    assert!(!templates_to(&w, &w.sales.email).contains(&"invoice_overdue".to_owned()));
    // Paid, it is no longer overdue.
    let paid_on = shared::time::format(w.s.clock.now())[..10].to_owned();
    let paid = post(
        &w,
        &format!("/v1/invoices/{id}/paid"),
        &w.bookshop_key,
        json!({"paid_on": paid_on, "amount": "1190.00"}),
    )
    .expect(200);
    assert_eq!(paid["overdue"], false);
}

#[test]
fn what_cannot_be_read_is_kept_with_a_reason_and_a_credit_note_subtracts() {
    let w = world();
    let broken = br#"<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:ID"#;
    let bad = upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "broken.xml",
        broken.to_vec(),
    );
    let plain = upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "scan.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .to_vec(),
    );
    let credit = br#"<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>GS-3</cbc:ID><cbc:IssueDate>2026-11-25</cbc:IssueDate>
  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Acme Print GmbH</cbc:Name></cac:PartyName></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Buchhandlung Nord</cbc:Name></cac:PartyName></cac:Party></cac:AccountingCustomerParty>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:CreditNoteLine><cbc:ID>1</cbc:ID><cbc:CreditedQuantity unitCode="H87">250</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Flyer A5</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">0.40</cbc:PriceAmount></cac:Price></cac:CreditNoteLine>
</CreditNote>"#;
    upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "GS-3.xml",
        credit.to_vec(),
    );
    upload(
        &w,
        &w.printer_key,
        "buchhandlung-nord",
        "invoice",
        "RE-9.xml",
        ubl_invoice("RE-9", "none", "2026-12-20"),
    );
    assert_eq!(read_queued(&w), 4);
    let bad = get(
        &w,
        &format!("/v1/invoices/{}", bad["id"].as_str().unwrap()),
        &w.bookshop_key,
    )
    .expect(200);
    assert_eq!(bad["recognition"], "malformed");
    assert_eq!(bad["format"], "ubl_invoice");
    assert!(bad["parse_error"].as_str().unwrap().len() > 5, "{bad}");
    let plain = get(
        &w,
        &format!("/v1/invoices/{}", plain["id"].as_str().unwrap()),
        &w.bookshop_key,
    )
    .expect(200);
    assert_eq!(plain["recognition"], "unstructured");
    assert_eq!(plain["summary"], Value::Null);
    let list = get(&w, "/v1/invoices", &w.bookshop_key).expect(200);
    let mut kinds: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["credit_note", "invoice", "invoice", "invoice"]);
    assert_eq!(
        list["totals"][0]["payable"], "1071.00",
        "1190.00 less the credit note's 119.00"
    );
    assert_eq!(list["totals"][0]["count"], 2);
}
