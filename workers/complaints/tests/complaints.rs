//! Complaints natively: the complaints, orders and tasks workers' route tables over SQLite with
//! the real migrations. A bookshop files a complaint about the order it sent a printer; the
//! printer's returns clerk reviews, accepts with a credit note and closes it, both sides comment
//! and add photos, each side is told of the other's steps — and a stranger, a person without
//! the permission, a blocked relationship and the wrong side change nothing (the end-to-end
//! suite, tests/tests/complaints.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::permissions::{Permission, Role};
use shared::platform::Value as Sql;
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{problem_code, problem_field, SeededPerson, Stack};

const ORDER: &[u8] = include_bytes!("../../../shared/tests/fixtures/formats/ubl-order.xml");

struct World {
    s: Stack,
    printer: String,
    bookshop: String,
    /// The printer's admin (every permission).
    anna: SeededPerson,
    /// The printer's returns clerk (complaints).
    rita: SeededPerson,
    /// The printer's sales clerk (no complaints).
    sam: SeededPerson,
    /// The bookshop's buyer (complaints).
    bob: SeededPerson,
    /// The bookshop's trainee (no complaints).
    carl: SeededPerson,
    bookshop_key: String,
    stranger_key: String,
}

fn world() -> World {
    let s = Stack::new(&[
        &tradepost_complaints::SERVICE,
        &tradepost_orders::SERVICE,
        &tradepost_tasks::SERVICE,
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
    let returns = [Permission::DocumentsReceive, Permission::Complaints];
    let clerk = [Permission::DocumentsReceive, Permission::Talk];
    let all = [
        Permission::DocumentsSend,
        Permission::DocumentsReceive,
        Permission::Complaints,
    ];
    World {
        anna: s.seed_person(&printer, "Anna Admin", Role::Admin, &[]),
        rita: s.seed_person(&printer, "Rita Returns", Role::Member, &returns),
        sam: s.seed_person(&printer, "Sam Sales", Role::Member, &clerk),
        bob: s.seed_person(&bookshop, "Bob Buyer", Role::Member, &returns),
        carl: s.seed_person(&bookshop, "Carl Trainee", Role::Member, &clerk),
        bookshop_key: s.seed_api_key(&bookshop, &all),
        stranger_key: s.seed_api_key(&stranger, &all),
        printer: printer.to_string(),
        bookshop: bookshop.to_string(),
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

/// The complaint rows and history entries, to show that a refusal changed nothing.
fn footprint(w: &World) -> (i64, i64, i64) {
    (
        w.s.count("SELECT COUNT(*) FROM complaints", &[]),
        w.s.count("SELECT COUNT(*) FROM complaint_history", &[]),
        w.s.count("SELECT COUNT(*) FROM mails", &[]),
    )
}

fn send_order(w: &World) -> String {
    let order =
        w.s.post("/v1/documents")
            .bearer(&w.bookshop_key)
            .header("tradepost-recipient", &w.printer)
            .header("tradepost-type", "order")
            .header("tradepost-filename", "order-4711.xml")
            .bytes("application/xml", ORDER.to_vec())
            .run()
            .expect(201);
    order["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_customer_files_a_complaint_the_supplier_settles_it_and_nobody_else_moves_it() {
    let w = world();
    let doc = send_order(&w);
    let bob = &w.bob.token;
    let rita = &w.rita.token;
    let filing = json!({
        "document_id": doc,
        "reason": "damaged",
        "description": "Two boxes arrived crushed.",
        "lines": [
            {"item": "4711 Catalogue spring 2027", "quantity": "20", "unit": "pcs", "note": "corners"},
            {"item": "4712 Poster A1", "quantity": 2.5},
        ],
    });

    // ---- bad input names its field; nothing is written ----
    let start = footprint(&w);
    for (body, expected) in [
        (
            json!({"document_id": doc, "reason": "broken", "description": "x"}),
            "reason",
        ),
        (
            json!({"document_id": doc, "reason": "damaged", "description": " "}),
            "description",
        ),
        (
            json!({"document_id": "doc_1", "reason": "damaged", "description": "x"}),
            "document_id",
        ),
        (
            json!({"document_id": doc, "reason": "other", "description": "x",
                   "lines": [{"item": "a", "quantity": "0"}]}),
            "lines[0].quantity",
        ),
        (
            json!({"document_id": doc, "reason": "other", "description": "x",
                   "lines": [{"item": "", "quantity": "1"}]}),
            "lines[0].item",
        ),
        (
            json!({"document_id": doc, "reason": "other", "description": "x", "colour": 1}),
            "colour",
        ),
    ] {
        let (status, bad) = call(&w, Method::Post, "/v1/complaints", bob, Some(body));
        assert_eq!((status, problem_field(&bad)), (422, expected), "{bad}");
    }
    // The supplier does not file; a stranger's document is none of the stranger's; no permission.
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        &w.anna.token,
        Some(filing.clone()),
    );
    assert_eq!(
        (status, problem_code(&bad)),
        (403, "customer_only"),
        "{bad}"
    );
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        &w.stranger_key,
        Some(filing.clone()),
    );
    assert_eq!((status, problem_field(&bad)), (422, "document_id"), "{bad}");
    let (status, _) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        &w.carl.token,
        Some(filing.clone()),
    );
    assert_eq!(status, 403, "a person without complaints files none");
    assert_eq!(footprint(&w), start, "no refusal wrote anything");

    // Rita chose her mails before complaints existed: the new kind comes all the same.
    let _ = w.s.rows(
        "INSERT INTO notification_settings (user_id, events, known, updated_at) \
         VALUES (?1, '[\"document.deposited\"]', '[\"document.deposited\",\"talk.message\"]', \
         '2026-01-01T00:00:00.000Z') RETURNING user_id",
        &[Sql::Text(w.rita.id.to_string())],
    );

    // ---- the buyer files it: numbered by the printer, the returns staff are told ----
    let (status, filed) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        bob,
        Some(filing.clone()),
    );
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_str().unwrap().to_owned();
    let number = filed["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("RMA-") && number.ends_with("-00001"),
        "{number}"
    );
    assert_eq!(filed["status"], "received");
    assert_eq!(filed["side"], "customer");
    assert_eq!(filed["order_id"], doc.as_str());
    assert_eq!(filed["filed_by_name"], "Bob Buyer");
    assert_eq!(filed["lines"][1]["quantity"], "2.5");
    assert_eq!(filed["history"][0]["status"], "received");
    let told = w.s.queued_of("complaint.filed");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["company_id"], w.printer.as_str());
    assert_eq!(told[0]["data"]["number"], number.as_str());
    let sent = w.s.mails_of("complaint_filed");
    let mut to: Vec<&str> = sent.iter().map(|m| m.0.as_str()).collect();
    to.sort_unstable();
    let mut holders = [w.anna.email.as_str(), w.rita.email.as_str()];
    holders.sort_unstable();
    assert_eq!(to, holders, "who holds complaints is told");
    assert!(sent[0].1.contains(&number), "{}", sent[0].1);
    assert!(sent[0].2.contains("Two boxes arrived crushed."));
    assert!(sent[0].2.contains(&format!("/complaints/{id}")));

    // ---- who sees it: both sides' holders; not a stranger, not a person without it ----
    let (status, seen) = call(&w, Method::Get, &format!("/v1/complaints/{id}"), rita, None);
    assert_eq!(
        (status, seen["side"].as_str()),
        (200, Some("supplier")),
        "{seen}"
    );
    let (status, _) = call(
        &w,
        Method::Get,
        &format!("/v1/complaints/{id}"),
        &w.stranger_key,
        None,
    );
    assert_eq!(status, 404);
    let (_, theirs) = call(&w, Method::Get, "/v1/complaints", &w.stranger_key, None);
    assert_eq!(theirs["data"], json!([]), "{theirs}");
    for token in [&w.sam.token, &w.carl.token] {
        let (status, _) = call(&w, Method::Get, "/v1/complaints", token, None);
        assert_eq!(status, 403, "without complaints, nothing is shown");
    }
    let (_, list) = call(&w, Method::Get, "/v1/complaints?side=supplier", rita, None);
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["counts"], json!({"to_handle": 1, "open_filed": 0}));
    let (_, list) = call(&w, Method::Get, "/v1/complaints?side=supplier", bob, None);
    assert_eq!(list["data"], json!([]), "the bookshop received none");
    assert_eq!(list["counts"], json!({"to_handle": 0, "open_filed": 1}));
    let (status, bad) = call(&w, Method::Get, "/v1/complaints?status=lost", bob, None);
    assert_eq!((status, problem_field(&bad)), (422, "status"));

    // ---- the moves: each side only its own, each fitting the status ----
    let moves = format!("/v1/complaints/{id}/moves");
    let start = footprint(&w);
    for (token, body, status_code) in [
        (bob, json!({"move": "review"}), (403, "supplier_only")),
        (rita, json!({"move": "withdraw"}), (403, "customer_only")),
        (rita, json!({"move": "close"}), (409, "invalid_transition")),
    ] {
        let (status, bad) = call(&w, Method::Post, &moves, token, Some(body));
        assert_eq!((status, problem_code(&bad)), status_code, "{bad}");
    }
    for (body, expected) in [
        (json!({"move": "accept"}), "resolution"),
        (
            json!({"move": "review", "resolution": "repair"}),
            "resolution",
        ),
        (json!({"move": "reject"}), "note"),
        (json!({"move": "fly"}), "move"),
    ] {
        let (status, bad) = call(&w, Method::Post, &moves, rita, Some(body));
        assert_eq!((status, problem_field(&bad)), (422, expected), "{bad}");
    }
    let (status, _) = call(
        &w,
        Method::Post,
        &moves,
        &w.stranger_key,
        Some(json!({"move": "review"})),
    );
    assert_eq!(status, 404);
    assert_eq!(footprint(&w), start, "no refused move wrote anything");

    let (status, reviewed) = call(
        &w,
        Method::Post,
        &moves,
        rita,
        Some(json!({"move": "review"})),
    );
    assert_eq!(
        (status, reviewed["status"].as_str()),
        (200, Some("under_review")),
        "{reviewed}"
    );
    let changed = w.s.mails_of("complaint_status_changed");
    assert_eq!(
        changed.len(),
        1,
        "the bookshop's holder of complaints (Bob) is told"
    );
    assert_eq!(changed[0].0, w.bob.email);
    assert_eq!(
        w.s.queued_of("complaint.status_changed")[0]["company_id"],
        w.bookshop.as_str()
    );

    // ---- comments and photos of both sides ----
    let (status, commented) = call(
        &w,
        Method::Post,
        &format!("/v1/complaints/{id}/comments"),
        bob,
        Some(json!({"text": "Photos of the boxes follow."})),
    );
    assert_eq!(status, 201, "{commented}");
    assert_eq!(
        commented["history"][2]["text"],
        "Photos of the boxes follow."
    );
    assert_eq!(commented["history"][2]["status"], Value::Null);
    assert_eq!(
        w.s.mails_of("complaint_commented").len(),
        2,
        "Anna and Rita"
    );
    let photo = b"\xff\xd8\xff\xe0 a crushed box".to_vec();
    let files = format!("/v1/complaints/{id}/files");
    let added =
        w.s.post(&files)
            .bearer(bob)
            .header("tradepost-filename", "box%201.jpg")
            .bytes("image/jpeg", photo.clone())
            .run()
            .expect(201);
    let file_id = added["files"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(added["files"][0]["filename"], "box 1.jpg");
    assert_eq!(added["files"][0]["side"], "customer");
    let got =
        w.s.call(Method::Get, &format!("{files}/{file_id}"))
            .bearer(rita)
            .run();
    assert_eq!(
        (got.status, got.body),
        (200, photo.clone()),
        "the printer gets the bytes"
    );
    let got =
        w.s.call(Method::Get, &format!("{files}/{file_id}"))
            .bearer(&w.stranger_key)
            .run();
    assert_eq!(got.status, 404);
    let refused =
        w.s.post(&files)
            .bearer(&w.bookshop_key)
            .header("tradepost-filename", "x.jpg")
            .bytes("image/jpeg", photo.clone())
            .run();
    assert_eq!(refused.status, 403, "files come from people");
    assert_eq!(
        w.s.count("SELECT COUNT(*) FROM pending_objects", &[]),
        0,
        "the photo's file is settled"
    );

    // ---- a task about the complaint is the printer's own ----
    let (status, task) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        rita,
        Some(json!({"title": "Internal: check the packer's shift", "about": id})),
    );
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["about"]["label"], number.as_str());
    let (_, theirs) = call(&w, Method::Get, &format!("/v1/complaints/{id}"), bob, None);
    assert!(!theirs.to_string().contains("packer"), "{theirs}");
    let (_, tasks) = call(&w, Method::Get, &format!("/v1/tasks?about={id}"), bob, None);
    assert_eq!(
        tasks["data"],
        json!([]),
        "the bookshop finds no task of the printer"
    );

    // ---- accepted with a credit note; a late second move changes nothing; closed ----
    let (status, accepted) = call(
        &w,
        Method::Post,
        &moves,
        rita,
        Some(
            json!({"move": "accept", "resolution": "credit_note", "note": "Credit note follows."}),
        ),
    );
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["resolution"], "credit_note");
    assert_eq!(accepted["decision_note"], "Credit note follows.");
    let start = footprint(&w);
    let (status, late) = call(
        &w,
        Method::Post,
        &moves,
        rita,
        Some(json!({"move": "reject", "note": "No."})),
    );
    assert_eq!(
        (status, problem_code(&late)),
        (409, "invalid_transition"),
        "{late}"
    );
    assert_eq!(footprint(&w), start);
    let (status, closed) = call(
        &w,
        Method::Post,
        &moves,
        rita,
        Some(json!({"move": "close"})),
    );
    assert_eq!(
        (status, closed["status"].as_str()),
        (200, Some("closed")),
        "{closed}"
    );
    assert!(closed["closed_at"].is_string());
    let steps: Vec<&str> = closed["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(steps, ["received", "under_review", "accepted", "closed"]);
    let (status, bad) = call(
        &w,
        Method::Post,
        &format!("/v1/complaints/{id}/comments"),
        bob,
        Some(json!({"text": "Thanks"})),
    );
    assert_eq!((status, problem_code(&bad)), (409, "complaint_closed"));
    let de = w.s.mails_of("complaint_status_changed");
    assert_eq!(de.len(), 3, "review, accept, close");
    assert!(de[1].2.contains("credit note"), "{}", de[1].2);

    // ---- a second complaint through the ERP's key, withdrawn; a blocked partner moves nothing ----
    let (status, second) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        &w.bookshop_key,
        Some(filing.clone()),
    );
    assert_eq!(status, 201, "{second}");
    assert!(second["number"].as_str().unwrap().ends_with("-00002"));
    assert_eq!(second["filed_by_name"], Value::Null);
    let second_id = second["id"].as_str().unwrap().to_owned();
    let block = |status: &str| {
        let _ = w.s.rows(
            "UPDATE relationships SET status = ?1 RETURNING id",
            &[Sql::Text(status.to_owned())],
        );
    };
    block("blocked");
    let start = footprint(&w);
    let (status, bad) = call(
        &w,
        Method::Post,
        &format!("/v1/complaints/{second_id}/moves"),
        rita,
        Some(json!({"move": "review"})),
    );
    assert_eq!(
        (status, problem_code(&bad)),
        (403, "relationship_blocked"),
        "{bad}"
    );
    let (status, _) = call(
        &w,
        Method::Post,
        "/v1/complaints",
        bob,
        Some(filing.clone()),
    );
    assert_eq!(status, 403, "a blocked relationship takes no complaint");
    assert_eq!(footprint(&w), start);
    block("active");
    let (status, withdrawn) = call(
        &w,
        Method::Post,
        &format!("/v1/complaints/{second_id}/moves"),
        bob,
        Some(json!({"move": "withdraw", "note": "Found them."})),
    );
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("closed")),
        "{withdrawn}"
    );
    assert_eq!(
        w.s.queued_of("complaint.status_changed").last().unwrap()["company_id"],
        w.printer.as_str()
    );
    let (_, list) = call(&w, Method::Get, "/v1/complaints", rita, None);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["counts"]["to_handle"], 0);
}
