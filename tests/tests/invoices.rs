//! Invoices end to end: the printer's ERP uploads an e-invoice for the bookshop's order; the
//! invoices worker reads it off the queue and joins it to the order; the bookshop disputes it,
//! the printer answers in the thread the dispute opened, the bookshop marks it paid, and the
//! printer is told each step (events, mails); an unpaid invoice past its due date is flagged
//! overdue by the cron. Other companies, a blocked relationship, a member without
//! `documents.receive` and a revoked key are refused with nothing changed (the native twin is
//! workers/invoices/tests/invoices.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, connect, connect_blocked, ids, invite_colleague, wait_for_event, wait_for_mail, Api,
    Company, Method,
};

const ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");
/// The order number of [`ORDER`].
const ORDER_NUMBER: &str = "PO-2024-0815";

/// A Peppol BIS 3 invoice of two lines at 19 % (1190.00 EUR payable) naming `order`.
fn ubl_invoice(number: &str, order: &str, due: &str) -> Vec<u8> {
    include_str!("../../shared/tests/fixtures/invoices/order-invoice.template.xml")
        .replace("{NUMBER}", number)
        .replace("{ORDER}", order)
        .replace("{DUE}", due)
        .into_bytes()
}

/// The invoice once the invoices worker has read it (it reads off a queue).
fn read_invoice(api: &Api, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let invoice = api.get(&format!("/v1/invoices/{id}"), 200);
        if invoice["recognition"] != "pending" {
            return invoice;
        }
        assert!(
            Instant::now() < deadline,
            "the invoice was never read: {invoice}"
        );
        sleep(Duration::from_millis(200));
    }
}

/// Today as the stack's clock (this machine's) sees it, `YYYY-MM-DD` in UTC.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = i64::try_from(secs / 86_400).unwrap();
    // Days since 1970 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn the_erp_invoices_an_order_and_the_customer_disputes_and_pays_it() {
    let printer = Company::signup_confirmed("printer");
    let bookshop = Company::signup_confirmed("bookshop");
    connect(&bookshop, &printer);
    let erp = api_key(&printer, &["documents.send", "documents.receive"]);
    let order = bookshop
        .api()
        .upload(&printer.id, "order", "PO.xml", ORDER.to_vec(), &[], 201);
    let order_id = order["id"].as_str().unwrap();

    let doc = erp.api.upload(
        &bookshop.id,
        "invoice",
        "RE-2026-0042.xml",
        ubl_invoice("RE-2026-0042", ORDER_NUMBER, "2099-12-31"),
        &[],
        201,
    );
    let id = doc["id"].as_str().unwrap();
    let one = format!("/v1/invoices/{id}");
    let invoice = read_invoice(bookshop.api(), id);
    assert_eq!(invoice["recognition"], "recognised", "{invoice}");
    assert_eq!(invoice["format"], "ubl_invoice");
    assert_eq!(invoice["payable"], "1190.00");
    assert_eq!(invoice["currency"], "EUR");
    assert_eq!(invoice["summary"]["lines"][1]["name"], "Flyer A5");
    assert_eq!(invoice["summary"]["taxes"][0]["rate"], "19");
    assert_eq!(invoice["findings"], json!([]));
    assert_eq!(invoice["order"]["id"], order_id);
    // Joined to the order: listed with the order's documents.
    let chain = bookshop
        .api()
        .get(&format!("/v1/documents?order={order_id}"), 200);
    assert!(ids(&chain).contains(&id.to_owned()), "{chain}");
    let list = bookshop.api().get("/v1/invoices?state=open", 200);
    assert_eq!(ids(&list), [id]);
    assert_eq!(list["totals"][0]["open"], "1190.00");

    // The dispute opens a thread the printer answers in.
    let disputed = bookshop.api().post(
        &format!("{one}/dispute"),
        json!({"reason": "The flyers never arrived."}),
        200,
    );
    assert_eq!(disputed["state"], "disputed");
    let thread = disputed["thread_id"].as_str().unwrap();
    let told = wait_for_event(&printer.id, "invoice.disputed", |e| {
        e["data"]["invoice_id"] == id
    });
    assert_eq!(told["data"]["thread_id"], thread);
    printer.api().post(
        &format!("/v1/threads/{thread}/messages"),
        json!({"text": "They leave today; pay once they arrive."}),
        201,
    );
    let messages = bookshop
        .api()
        .get(&format!("/v1/threads/{thread}/messages"), 200);
    assert_eq!(messages["data"].as_array().unwrap().len(), 2, "{messages}");

    // Paid, once; the printer is told.
    let pay = json!({"paid_on": today(), "amount": "1190.00", "reference": "Transfer 7781"});
    let paid = bookshop
        .api()
        .post(&format!("{one}/paid"), pay.clone(), 200);
    assert_eq!(paid["state"], "paid");
    bookshop.api().post(&format!("{one}/paid"), pay, 200);
    wait_for_event(&printer.id, "invoice.paid", |e| {
        e["data"]["amount"] == "1190.00"
    });
    wait_for_mail(&printer.admin.email, "invoice_disputed");
    // The printer's side of it.
    let sent = erp.api.get("/v1/invoices?direction=sent", 200);
    assert_eq!(sent["data"][0]["state"], "paid");
}

#[test]
fn an_unpaid_invoice_past_its_due_date_is_flagged_for_both_sides() {
    let printer = Company::signup_confirmed("printer");
    let bookshop = Company::signup_confirmed("bookshop");
    connect(&bookshop, &printer);
    let doc = printer.api().upload(
        &bookshop.id,
        "invoice",
        "RE-7.xml",
        ubl_invoice("RE-7", "none", "2026-01-31"),
        &[],
        201,
    );
    let id = doc["id"].as_str().unwrap();
    read_invoice(bookshop.api(), id);
    let out = Api::new().post(
        "/v1/dev/invoices/cron",
        json!({"company_id": bookshop.id}),
        200,
    );
    assert_eq!(out["flagged_overdue"], 1, "{out}");
    let overdue = bookshop.api().get("/v1/invoices?state=overdue", 200);
    assert_eq!(ids(&overdue), [id]);
    wait_for_event(&bookshop.id, "invoice.overdue", |e| {
        e["data"]["invoice_id"] == id
    });
    wait_for_event(&printer.id, "invoice.overdue", |e| {
        e["data"]["invoice_id"] == id
    });
}

#[test]
fn nobody_else_reads_or_moves_an_invoice() {
    let printer = Company::signup_confirmed("printer");
    let bookshop = Company::signup_confirmed("bookshop");
    let stranger = Company::signup_confirmed("stranger");
    let rel = connect(&bookshop, &printer);
    let doc = printer.api().upload(
        &bookshop.id,
        "invoice",
        "RE-9.xml",
        ubl_invoice("RE-9", "none", "2099-12-31"),
        &[],
        201,
    );
    let id = doc["id"].as_str().unwrap();
    let one = format!("/v1/invoices/{id}");
    read_invoice(bookshop.api(), id);
    let pay = json!({"paid_on": today(), "amount": "1190.00"});

    // An unrelated company: not found.
    stranger
        .api()
        .refused(Method::GET, &one, None, 404, "not_found");
    stranger.api().refused(
        Method::POST,
        &format!("{one}/paid"),
        Some(pay.clone()),
        404,
        "not_found",
    );
    assert_eq!(stranger.api().get("/v1/invoices", 200)["data"], json!([]));
    // The sender cannot move it.
    printer.api().refused(
        Method::POST,
        &format!("{one}/paid"),
        Some(pay.clone()),
        403,
        "recipient_only",
    );
    // A member of the bookshop without documents.receive.
    let talker = invite_colleague(&bookshop, &["talk"]);
    assert_eq!(talker.api.send(Method::GET, &one, None).status, 403);
    assert_eq!(
        talker
            .api
            .send(Method::POST, &format!("{one}/paid"), Some(&pay))
            .status,
        403
    );
    // A revoked key.
    let key = api_key(&bookshop, &["documents.receive"]);
    bookshop
        .api()
        .delete(&format!("/v1/api-keys/{}", key.id), 204);
    assert_eq!(key.api.send(Method::GET, &one, None).status, 401);
    // A blocked relationship: refused, nothing changed.
    bookshop
        .api()
        .post_empty(&format!("/v1/relationships/{rel}/block"), 200);
    bookshop.api().refused(
        Method::POST,
        &format!("{one}/paid"),
        Some(pay),
        403,
        "relationship_blocked",
    );
    let still = bookshop.api().get(&one, 200);
    assert_eq!(still["state"], "new");
    assert_eq!(still["history"].as_array().unwrap().len(), 1);
    // A relationship blocked from the start never shows its invoices to a third company.
    let other = Company::signup_confirmed("other");
    connect_blocked(&other, &printer, &printer);
    assert_eq!(other.api().get("/v1/invoices", 200)["data"], json!([]));
}
