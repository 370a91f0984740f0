//! Complaints end to end: a bookshop's buyer files a complaint about the order it sent a
//! printer; the printer's returns clerk is mailed (and its webhook told), reviews it, the buyer
//! adds a photo the clerk downloads byte for byte, the clerk accepts it with a credit note and
//! closes it, the buyer is told of each step. An unrelated company, a person without
//! `complaints`, a revoked key, a blocked partner and the wrong side are refused with nothing
//! changed; the printer's internal task about the complaint never reaches the bookshop (the
//! native twin is workers/complaints/tests/complaints.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, connect, events, invite_colleague, mails, unique, wait_for_event, wait_for_mail, Api,
    Company, Method, Reply,
};

const ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");

/// `POST /v1/complaints/{id}/files` with the raw `body`; the whole answer.
fn add_file(api: &Api, complaint: &str, filename: &str, body: Vec<u8>) -> Reply {
    let path = format!("/v1/complaints/{complaint}/files");
    let request = api
        .raw(Method::POST, &path)
        .header("Tradepost-Filename", filename)
        .header("Content-Type", "image/jpeg")
        .body(body);
    api.run(Method::POST, &path, request)
}

fn order_from(customer: &Company, supplier: &Company) -> String {
    let order = customer.api().upload(
        &supplier.id,
        "order",
        &format!("order-{}.xml", unique(4)),
        ORDER.to_vec(),
        &[],
        201,
    );
    order["id"].as_str().unwrap().to_owned()
}

/// How many steps and comments a complaint has, as its supplier sees it.
fn history_len(api: &Api, id: &str) -> usize {
    api.get(&format!("/v1/complaints/{id}"), 200)["history"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_complaint_goes_from_the_buyer_to_the_returns_clerk_and_back() {
    let printer = Company::signup_confirmed("Printer");
    let bookshop = Company::signup_confirmed("Bookshop");
    let stranger = Company::signup_confirmed("Stranger");
    connect(&bookshop, &printer);
    let clerk = invite_colleague(&printer, &["documents.receive", "complaints"]);
    let buyer = invite_colleague(&bookshop, &["documents.send", "complaints", "talk"]);
    let trainee = invite_colleague(&bookshop, &["documents.send"]);
    let doc = order_from(&bookshop, &printer);

    // ---- filed by the buyer; the returns clerk is mailed, the printer's webhook told ----
    let filing = json!({
        "document_id": doc,
        "reason": "damaged",
        "description": "Two boxes arrived crushed.",
        "lines": [{"item": "4711 Catalogue", "quantity": "20", "unit": "pcs"}],
    });
    printer
        .api()
        .send(Method::POST, "/v1/complaints", Some(&filing))
        .expect_problem(403, "customer_only");
    trainee
        .api
        .send(Method::POST, "/v1/complaints", Some(&filing))
        .expect_problem(403, "permission_missing");
    buyer
        .api
        .send(
            Method::POST,
            "/v1/complaints",
            Some(&json!({"document_id": doc, "reason": "late", "description": "x"})),
        )
        .expect_invalid_field("reason");
    let filed = buyer.api.post("/v1/complaints", filing.clone(), 201);
    let id = filed["id"].as_str().unwrap().to_owned();
    let number = filed["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("RMA-"), "{filed}");
    let mail = wait_for_mail(&clerk.email, "complaint_filed");
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&number) && text.contains(&format!("/complaints/{id}")),
        "{mail}"
    );
    wait_for_event(&printer.id, "complaint.filed", |e| {
        e["data"]["complaint_id"] == json!(id)
    });

    // ---- nobody else finds or moves it ----
    let path = format!("/v1/complaints/{id}");
    let revoked = api_key(&printer, &["complaints"]);
    printer
        .api()
        .delete(&format!("/v1/api-keys/{}", revoked.id), 204);
    let steps = history_len(printer.api(), &id);
    for (who, api, status) in [
        ("a stranger", stranger.api(), 404),
        ("a person without complaints", &trainee.api, 403),
        ("a revoked key", &revoked.api, 401),
    ] {
        let got = api.send(Method::GET, &path, None);
        assert_eq!(got.status, status, "{who}: {}", got.text);
        let moved = api.send(
            Method::POST,
            &format!("{path}/moves"),
            Some(&json!({"move": "review"})),
        );
        assert_eq!(moved.status, status, "{who}: {}", moved.text);
        let commented = api.send(
            Method::POST,
            &format!("{path}/comments"),
            Some(&json!({"text": "hi"})),
        );
        assert_eq!(commented.status, status, "{who}: {}", commented.text);
    }
    assert_eq!(stranger.api().get("/v1/complaints", 200)["data"], json!([]));
    buyer
        .api
        .send(
            Method::POST,
            &format!("{path}/moves"),
            Some(&json!({"move": "accept", "resolution": "repair"})),
        )
        .expect_problem(403, "supplier_only");
    assert_eq!(history_len(printer.api(), &id), steps, "nothing changed");

    // ---- reviewed; the buyer is told and adds a photo the clerk downloads ----
    let reviewed = clerk
        .api
        .post(&format!("{path}/moves"), json!({"move": "review"}), 200);
    assert_eq!(reviewed["status"], "under_review");
    let told = wait_for_mail(&buyer.email, "complaint_status_changed");
    assert!(told["subject"]
        .as_str()
        .unwrap_or_default()
        .contains(&number));
    let photo = format!("\u{ff}JPEG crushed box {}", unique(8)).into_bytes();
    let added = add_file(&buyer.api, &id, "box.jpg", photo.clone()).expect(201);
    let file_id = added["files"][0]["id"].as_str().unwrap().to_owned();
    let file_path = format!("{path}/files/{file_id}");
    let got = clerk.api.run_bytes(
        Method::GET,
        &file_path,
        clerk.api.raw(Method::GET, &file_path),
    );
    assert_eq!((got.status, got.body), (200, photo.clone()));
    let theirs = stranger.api().run_bytes(
        Method::GET,
        &file_path,
        stranger.api().raw(Method::GET, &file_path),
    );
    assert_eq!(theirs.status, 404);
    // A complaint's photo is not a talk attachment to send with a message.
    buyer
        .api
        .send(
            Method::POST,
            "/v1/threads",
            Some(
                &json!({"partner": printer.id, "subject": "Photos", "text": "see",
                         "attachments": [file_id]}),
            ),
        )
        .expect_invalid_field("attachments[0]");

    // ---- the printer's internal task about it stays the printer's ----
    let secret = format!("packer shift {}", unique(6));
    let task = printer.api().post(
        "/v1/tasks",
        json!({"title": format!("Internal: check the {secret}"), "about": id}),
        201,
    );
    assert_eq!(task["about"]["label"], json!(number), "{task}");

    // ---- accepted with a credit note, closed; the buyer is told of each ----
    let accepted = clerk.api.post(
        &format!("{path}/moves"),
        json!({"move": "accept", "resolution": "credit_note", "note": "Credit note follows."}),
        200,
    );
    assert_eq!(accepted["resolution"], "credit_note");
    clerk
        .api
        .send(
            Method::POST,
            &format!("{path}/moves"),
            Some(&json!({"move": "reject", "note": "late"})),
        )
        .expect_problem(409, "invalid_transition");
    let closed = clerk
        .api
        .post(&format!("{path}/moves"), json!({"move": "close"}), 200);
    assert_eq!(closed["status"], "closed");
    wait_for_event(&bookshop.id, "complaint.status_changed", |e| {
        e["data"]["complaint_id"] == json!(id) && e["data"]["status"] == "closed"
    });
    let buyer_mails: Vec<Value> = mails(&buyer.email)
        .into_iter()
        .filter(|m| m["template"] == "complaint_status_changed")
        .collect();
    assert!(buyer_mails.len() >= 2, "{buyer_mails:?}");

    // Nothing of the printer's task reached the bookshop: answers, events, mails.
    let answers: Vec<Value> = [
        "/v1/complaints".to_owned(),
        path.clone(),
        format!("/v1/tasks?about={id}"),
    ]
    .iter()
    .map(|p| buyer.api.get(p, 200))
    .collect();
    for answer in &answers {
        let text = answer.to_string();
        assert!(!text.contains(&secret), "{text}");
    }
    for e in events(&bookshop.id) {
        assert!(!e.to_string().contains(&secret), "{e}");
    }
    for m in mails(&buyer.email) {
        assert!(!m.to_string().contains(&secret), "{m}");
    }
}

#[test]
fn a_blocked_partner_moves_no_complaint() {
    let printer = Company::signup_confirmed("Printer");
    let bookshop = Company::signup_confirmed("Bookshop");
    let rel = connect(&bookshop, &printer);
    let doc = order_from(&bookshop, &printer);
    let filed = bookshop.api().post(
        "/v1/complaints",
        json!({"document_id": doc, "reason": "missing", "description": "One box short."}),
        201,
    );
    let id = filed["id"].as_str().unwrap().to_owned();
    printer
        .api()
        .post_empty(&format!("/v1/relationships/{rel}/block"), 200);
    let path = format!("/v1/complaints/{id}");
    printer
        .api()
        .send(
            Method::POST,
            &format!("{path}/moves"),
            Some(&json!({"move": "review"})),
        )
        .expect_problem(403, "relationship_blocked");
    bookshop
        .api()
        .send(
            Method::POST,
            &format!("{path}/comments"),
            Some(&json!({"text": "Hello?"})),
        )
        .expect_problem(403, "relationship_blocked");
    bookshop
        .api()
        .send(
            Method::POST,
            "/v1/complaints",
            Some(&json!({"document_id": doc, "reason": "other", "description": "Again"})),
        )
        .expect_problem(403, "relationship_blocked");
    let seen = bookshop.api().get(&path, 200);
    assert_eq!(
        (
            seen["status"].as_str(),
            seen["history"].as_array().map(Vec::len)
        ),
        (Some("received"), Some(1)),
        "{seen}"
    );
    assert_eq!(
        bookshop.api().get("/v1/complaints", 200)["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
