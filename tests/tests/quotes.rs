//! Quotes end to end: a bookshop's buyer asks a printer for a quote about a talk thread; the
//! printer's clerk is mailed (and its webhook told) and quotes; the buyer asks for changes, the
//! clerk sends a second version, the buyer accepts it — and the order lands in the printer's
//! inbox as a UBL order file naming the quote, recognised like any other order. An unrelated
//! company, a person without the permission, a revoked key and the wrong side are refused with
//! nothing changed; a quote that lapses expires by the cron (the native twin is
//! workers/quotes/tests/quotes.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, connect, events, invite_colleague, mails, wait_for_event, wait_for_mail, Api, Company,
    Method,
};

fn quote(price: &str, valid_until: &str) -> Value {
    json!({
        "currency": "EUR", "valid_until": valid_until, "terms": "30 days net",
        "lines": [
            {"item": "Flyer A5", "quantity": "5000", "unit": "pcs", "unit_price": price},
            {"item": "Setup", "quantity": "1", "unit_price": "45"},
        ],
    })
}

fn steps(api: &Api, id: &str) -> usize {
    api.get(&format!("/v1/quote-requests/{id}"), 200)["history"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_quote_is_revised_accepted_and_its_order_lands_in_the_suppliers_inbox() {
    let printer = Company::signup_confirmed("Printer");
    let bookshop = Company::signup_confirmed("Bookshop");
    let stranger = Company::signup_confirmed("Stranger");
    connect(&bookshop, &printer);
    let clerk = invite_colleague(&printer, &["documents.send", "documents.receive"]);
    let buyer = invite_colleague(&bookshop, &["documents.send", "documents.receive", "talk"]);
    let trainee = invite_colleague(&bookshop, &["talk"]);
    let thread = buyer.api.post(
        "/v1/threads",
        json!({"partner": printer.id, "subject": "Spring flyers", "text": "We need flyers."}),
        201,
    );
    let thread_id = thread["id"].as_str().unwrap().to_owned();

    // ---- asked for, about the thread; the printer's clerk is mailed ----
    let asking = json!({
        "partner": printer.id, "title": "Flyer A5 spring", "text": "Matt paper.",
        "desired_date": "2099-03-20", "thread_id": thread_id,
        "lines": [{"item": "Flyer A5", "quantity": "5000", "unit": "pcs"}],
    });
    printer
        .api()
        .send(
            Method::POST,
            "/v1/quote-requests",
            Some(&json!({"partner": bookshop.id, "title": "x"})),
        )
        .expect_problem(403, "customer_only");
    trainee
        .api
        .send(Method::POST, "/v1/quote-requests", Some(&asking))
        .expect_problem(403, "permission_missing");
    let made = buyer.api.post("/v1/quote-requests", asking.clone(), 201);
    let id = made["id"].as_str().unwrap().to_owned();
    let number = made["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("RFQ-"), "{made}");
    assert_eq!(made["thread_id"], json!(thread_id));
    let mail = wait_for_mail(&clerk.email, "quote_requested");
    assert!(
        mail["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("/quotes/{id}")),
        "{mail}"
    );
    wait_for_event(&printer.id, "quote.requested", |e| {
        e["data"]["quote_request_id"] == json!(id)
    });

    // ---- nobody else finds or moves it ----
    let path = format!("/v1/quote-requests/{id}");
    let revoked = api_key(&printer, &["documents.send", "documents.receive"]);
    printer
        .api()
        .delete(&format!("/v1/api-keys/{}", revoked.id), 204);
    let before = steps(printer.api(), &id);
    for (who, api, status) in [
        ("a stranger", stranger.api(), 404),
        ("a person without the permission", &trainee.api, 403),
        ("a revoked key", &revoked.api, 401),
    ] {
        let got = api.send(Method::GET, &path, None);
        assert_eq!(got.status, status, "{who}: {}", got.text);
        let quoted = api.send(
            Method::POST,
            &format!("{path}/quotes"),
            Some(&quote("1", "2099-01-31")),
        );
        assert_eq!(quoted.status, status, "{who}: {}", quoted.text);
        let accepted = api.send(Method::POST, &format!("{path}/accept"), None);
        assert_eq!(accepted.status, status, "{who}: {}", accepted.text);
    }
    buyer
        .api
        .send(
            Method::POST,
            &format!("{path}/quotes"),
            Some(&quote("1", "2099-01-31")),
        )
        .expect_problem(403, "supplier_only");
    assert_eq!(steps(printer.api(), &id), before, "nothing changed");

    // ---- a drawing from the buyer, which the clerk downloads ----
    let files = format!("{path}/files");
    let drawing = format!("%PDF-1.4 drawing {id}").into_bytes();
    let added = buyer
        .api
        .run(
            Method::POST,
            &files,
            buyer
                .api
                .raw(Method::POST, &files)
                .header("Tradepost-Filename", "drawing.pdf")
                .header("Content-Type", "application/pdf")
                .body(drawing.clone()),
        )
        .expect(201);
    let file_path = format!("{files}/{}", added["files"][0]["id"].as_str().unwrap());
    let got = clerk.api.run_bytes(
        Method::GET,
        &file_path,
        clerk.api.raw(Method::GET, &file_path),
    );
    assert_eq!((got.status, got.body), (200, drawing));
    let theirs = stranger.api().send(Method::GET, &file_path, None);
    assert_eq!(theirs.status, 404, "{}", theirs.text);

    // ---- quoted, changes asked for, a second version ----
    let v1 = clerk
        .api
        .post(&format!("{path}/quotes"), quote("0.052", "2099-01-31"), 201);
    assert_eq!(v1["quotes"][0]["total"], "305.00", "{v1}");
    wait_for_mail(&buyer.email, "quote_quoted");
    buyer.api.post(
        &format!("{path}/changes"),
        json!({"reason": "0.045 for 5000?"}),
        200,
    );
    wait_for_mail(&clerk.email, "quote_status_changed");
    let v2 = clerk
        .api
        .post(&format!("{path}/quotes"), quote("0.045", "2099-01-31"), 201);
    assert_eq!(
        (
            v2["quotes"][0]["version"].as_u64(),
            v2["quotes"][1]["status"].as_str()
        ),
        (Some(2), Some("superseded")),
        "{v2}"
    );

    // ---- accepted: the order is in the printer's inbox, recognised, naming the quote ----
    buyer
        .api
        .send(
            Method::POST,
            &format!("{path}/accept"),
            Some(&json!({"version": 1})),
        )
        .expect_problem(409, "version_superseded");
    let accepted = buyer.api.post(
        &format!("{path}/accept"),
        json!({"version": 2, "reference": "PO-77"}),
        200,
    );
    let order = accepted["order_document_id"].as_str().unwrap().to_owned();
    let doc = clerk.api.get(&format!("/v1/documents/{order}"), 200);
    assert_eq!(
        (
            doc["type"].as_str(),
            doc["box"].as_str(),
            doc["reference"].as_str()
        ),
        (Some("order"), Some("inbox"), Some("PO-77")),
        "{doc}"
    );
    assert_eq!(doc["summary"]["total"], "270.00", "{doc}");
    let path_content = format!("/v1/documents/{order}/content");
    let file = clerk.api.run_bytes(
        Method::GET,
        &path_content,
        clerk.api.raw(Method::GET, &path_content),
    );
    let xml = String::from_utf8(file.body).unwrap();
    assert!(xml.contains(&format!("{number}-v2")), "{xml}");
    wait_for_event(&printer.id, "document.deposited", |e| {
        e["data"]["document_id"] == json!(order)
    });
    wait_for_mail(&clerk.email, "document_received");
    buyer
        .api
        .send(
            Method::POST,
            &format!("{path}/reject"),
            Some(&json!({"reason": "late"})),
        )
        .expect_problem(409, "invalid_transition");

    // Nothing of another company reached the stranger.
    assert!(events(&stranger.id)
        .iter()
        .all(|e| !e.to_string().contains(&id)));
    assert!(mails(&stranger.admin.email)
        .iter()
        .all(|m| !m.to_string().contains(&number)));
}

#[test]
fn a_quote_that_lapses_expires_and_both_sides_are_told() {
    let printer = Company::signup_confirmed("Printer");
    let bookshop = Company::signup_confirmed("Bookshop");
    connect(&bookshop, &printer);
    let made = bookshop.api().post(
        "/v1/quote-requests",
        json!({"partner": printer.id, "title": "Banners"}),
        201,
    );
    let id = made["id"].as_str().unwrap().to_owned();
    printer.api().post(
        &format!("/v1/quote-requests/{id}/quotes"),
        quote("2", "2099-01-10"),
        201,
    );
    let cron = |as_of: &str| {
        Api::new().post(
            "/v1/dev/quotes/cron",
            json!({"company_id": printer.id, "as_of": as_of}),
            200,
        )["expired"]
            .as_u64()
    };
    assert_eq!(cron("2099-01-10T06:00:00Z"), Some(0));
    assert_eq!(cron("2099-01-11T06:00:00Z"), Some(1));
    assert_eq!(cron("2099-01-12T06:00:00Z"), Some(0));
    let seen = bookshop.api().get(&format!("/v1/quote-requests/{id}"), 200);
    assert_eq!(seen["status"], "expired", "{seen}");
    for company in [&printer.id, &bookshop.id] {
        wait_for_event(company, "quote.status_changed", |e| {
            e["data"]["quote_request_id"] == json!(id) && e["data"]["status"] == "expired"
        });
    }
    wait_for_mail(&bookshop.admin.email, "quote_status_changed");
}
