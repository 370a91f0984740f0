//! Quotes natively: the quotes, orders and tasks workers' route tables over SQLite with the real
//! migrations. A bookshop asks a printer for a quote; the printer quotes, the bookshop asks for
//! changes, the printer sends a second version, the bookshop accepts it — and the order lands in
//! the printer's inbox as a UBL order file naming the quote. Another request is withdrawn, a third
//! expires by the cron; a stranger, a person without the permission, the wrong side and a late
//! second decision change nothing (the end-to-end suite, tests/tests/quotes.rs, runs it against
//! workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::permissions::{Permission, Role};
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{problem_code, problem_field, SeededPerson, Stack};

struct World {
    s: Stack,
    printer: String,
    bookshop: String,
    /// The printer's admin.
    anna: SeededPerson,
    /// The printer's sales clerk (documents.send and .receive).
    sam: SeededPerson,
    /// The bookshop's admin.
    berta: SeededPerson,
    /// The bookshop's trainee (talk only).
    carl: SeededPerson,
    stranger_key: String,
}

fn world() -> World {
    let s = Stack::new(&[
        &tradepost_quotes::SERVICE,
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
    let sales = [Permission::DocumentsSend, Permission::DocumentsReceive];
    World {
        anna: s.seed_person(&printer, "Anna Admin", Role::Admin, &[]),
        sam: s.seed_person(&printer, "Sam Sales", Role::Member, &sales),
        berta: s.seed_person(&bookshop, "Berta Buch", Role::Admin, &[]),
        carl: s.seed_person(&bookshop, "Carl Trainee", Role::Member, &[Permission::Talk]),
        stranger_key: s.seed_api_key(&stranger, &sales),
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

/// What a refusal must leave as it was.
fn footprint(w: &World) -> (i64, i64, i64, i64) {
    (
        w.s.count("SELECT COUNT(*) FROM quote_requests", &[]),
        w.s.count("SELECT COUNT(*) FROM quote_history", &[]),
        w.s.count("SELECT COUNT(*) FROM quotes", &[]),
        w.s.count("SELECT COUNT(*) FROM documents", &[]),
    )
}

fn request(w: &World, title: &str) -> Value {
    let (status, made) = call(
        w,
        Method::Post,
        "/v1/quote-requests",
        &w.berta.token,
        Some(json!({
            "partner": w.printer, "title": title, "text": "Matt paper, please.",
            "desired_date": "2099-03-20",
            "lines": [{"item": "Flyer A5", "quantity": "5000", "unit": "pcs"}],
        })),
    );
    assert_eq!(status, 201, "{made}");
    made
}

fn quote_body(price: &str, valid_until: &str) -> Value {
    json!({
        "currency": "eur", "valid_until": valid_until, "terms": "30 days net",
        "note": "Delivery in 10 days.",
        "lines": [
            {"item": "Flyer A5", "description": "135 g matt", "quantity": 5000, "unit": "pcs", "unit_price": price},
            {"item": "Setup", "quantity": "1", "unit_price": "45"},
        ],
    })
}

#[test]
fn a_quote_is_asked_for_revised_accepted_and_its_order_lands_in_the_inbox() {
    let w = world();
    let berta = &w.berta.token;
    let sam = &w.sam.token;

    // ---- bad requests name their field; the wrong side and no permission are refused ----
    let start = footprint(&w);
    for (body, expected) in [
        (json!({"partner": w.printer, "title": ""}), "title"),
        (
            json!({"partner": "co_01jd0000000000000000000000", "title": "x"}),
            "partner",
        ),
        (
            json!({"partner": w.printer, "title": "x", "desired_date": "1.2.2099"}),
            "desired_date",
        ),
        (
            json!({"partner": w.printer, "title": "x", "lines": [{"item": "a", "quantity": "0"}]}),
            "lines[0].quantity",
        ),
        (
            json!({"partner": w.printer, "title": "x", "thread_id": "thr_01jd0000000000000000000000"}),
            "thread_id",
        ),
    ] {
        let (status, bad) = call(&w, Method::Post, "/v1/quote-requests", berta, Some(body));
        assert_eq!((status, problem_field(&bad)), (422, expected), "{bad}");
    }
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/quote-requests",
        sam,
        Some(json!({"partner": w.bookshop, "title": "x"})),
    );
    assert_eq!(
        (status, problem_code(&bad)),
        (403, "customer_only"),
        "{bad}"
    );
    let (status, _) = call(
        &w,
        Method::Post,
        "/v1/quote-requests",
        &w.carl.token,
        Some(json!({"partner": w.printer, "title": "x"})),
    );
    assert_eq!(status, 403);
    assert_eq!(footprint(&w), start);

    // ---- asked for: numbered by the printer, whose sales people are told ----
    let made = request(&w, "Flyer A5 spring");
    let id = made["id"].as_str().unwrap().to_owned();
    let number = made["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("RFQ-") && number.ends_with("-00001"),
        "{number}"
    );
    assert_eq!(
        (made["status"].as_str(), made["side"].as_str()),
        (Some("requested"), Some("customer"))
    );
    assert_eq!(made["lines"][0]["quantity"], "5000");
    let mut printer_people = vec![w.anna.email.clone(), w.sam.email.clone()];
    printer_people.sort_unstable();
    assert_eq!(w.s.mailed("quote_requested"), printer_people);
    assert_eq!(
        w.s.queued_of("quote.requested")[0]["company_id"],
        w.printer.as_str()
    );
    let (_, list) = call(
        &w,
        Method::Get,
        "/v1/quote-requests?side=supplier",
        sam,
        None,
    );
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["counts"], json!({"to_quote": 1, "to_decide": 0}));
    let (status, _) = call(
        &w,
        Method::Get,
        &format!("/v1/quote-requests/{id}"),
        &w.stranger_key,
        None,
    );
    assert_eq!(status, 404);

    // ---- quoted: the printer only, valid from today on, with lines ----
    let quotes = format!("/v1/quote-requests/{id}/quotes");
    let start = footprint(&w);
    let (status, bad) = call(
        &w,
        Method::Post,
        &quotes,
        berta,
        Some(quote_body("0.05", "2099-01-31")),
    );
    assert_eq!((status, problem_code(&bad)), (403, "supplier_only"));
    for (body, expected) in [
        (quote_body("0.05", "2000-01-01"), "valid_until"),
        (quote_body("-1", "2099-01-31"), "lines[0].unit_price"),
        (
            json!({"currency": "EURO", "valid_until": "2099-01-31", "lines": []}),
            "currency",
        ),
        (
            json!({"currency": "EUR", "valid_until": "2099-01-31", "lines": []}),
            "lines",
        ),
    ] {
        let (status, bad) = call(&w, Method::Post, &quotes, sam, Some(body));
        assert_eq!((status, problem_field(&bad)), (422, expected), "{bad}");
    }
    let (status, _) = call(
        &w,
        Method::Post,
        &quotes,
        &w.stranger_key,
        Some(quote_body("1", "2099-01-31")),
    );
    assert_eq!(status, 404);
    assert_eq!(footprint(&w), start);
    let (status, quoted) = call(
        &w,
        Method::Post,
        &quotes,
        sam,
        Some(quote_body("0.052", "2099-01-31")),
    );
    assert_eq!(status, 201, "{quoted}");
    assert_eq!(quoted["status"], "quoted");
    assert_eq!(quoted["quotes"][0]["version"], 1);
    assert_eq!(quoted["quotes"][0]["currency"], "EUR");
    assert_eq!(quoted["quotes"][0]["total"], "305.00");
    assert_eq!(quoted["quotes"][0]["lines"][0]["unit_price"], "0.052");
    assert_eq!(quoted["quotes"][0]["lines"][0]["total"], "260.00");
    assert_eq!(w.s.mailed("quote_quoted"), vec![w.berta.email.clone()]);

    // ---- changes asked for; a second version supersedes the first ----
    let (status, bad) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{id}/changes"),
        berta,
        Some(json!({})),
    );
    assert_eq!((status, problem_field(&bad)), (422, "reason"));
    let (status, changes) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{id}/changes"),
        berta,
        Some(json!({"reason": "Can you do 0.045 for 5000?"})),
    );
    assert_eq!(
        (status, changes["status"].as_str()),
        (200, Some("requested")),
        "{changes}"
    );
    let (status, v2) = call(
        &w,
        Method::Post,
        &quotes,
        sam,
        Some(quote_body("0.045", "2099-01-31")),
    );
    assert_eq!(status, 201, "{v2}");
    assert_eq!(
        (
            v2["quotes"][0]["version"].as_u64(),
            v2["quotes"][0]["status"].as_str(),
            v2["quotes"][1]["status"].as_str()
        ),
        (Some(2), Some("current"), Some("superseded"))
    );
    assert_eq!(v2["latest"]["total"], "270.00");

    // ---- accepted: a stale version is refused; the order lands in the printer's inbox ----
    let accept = format!("/v1/quote-requests/{id}/accept");
    let start = footprint(&w);
    let (status, stale) = call(
        &w,
        Method::Post,
        &accept,
        berta,
        Some(json!({"version": 1})),
    );
    assert_eq!(
        (status, problem_code(&stale)),
        (409, "version_superseded"),
        "{stale}"
    );
    let (status, bad) = call(&w, Method::Post, &accept, sam, None);
    assert_eq!((status, problem_code(&bad)), (403, "customer_only"));
    assert_eq!(footprint(&w), start);
    let (status, accepted) = call(
        &w,
        Method::Post,
        &accept,
        berta,
        Some(json!({"version": 2, "reference": "PO-77"})),
    );
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["quotes"][0]["status"], "accepted");
    let order = accepted["order_document_id"].as_str().unwrap().to_owned();
    let (status, doc) = call(
        &w,
        Method::Get,
        &format!("/v1/documents/{order}"),
        sam,
        None,
    );
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        (doc["type"].as_str(), doc["box"].as_str()),
        (Some("order"), Some("inbox")),
        "{doc}"
    );
    assert_eq!(doc["reference"], "PO-77");
    assert_eq!(doc["summary"]["order_number"], "PO-77", "{doc}");
    assert_eq!(doc["summary"]["total"], "270.00", "{doc}");
    let file =
        w.s.call(Method::Get, &format!("/v1/documents/{order}/content"))
            .bearer(sam)
            .run();
    let xml = String::from_utf8(file.body).unwrap();
    assert!(
        xml.contains(&format!("<cbc:ID>{number}-v2</cbc:ID>")),
        "{xml}"
    );
    assert!(
        xml.contains("<cbc:PriceAmount currencyID=\"EUR\">0.045</cbc:PriceAmount>"),
        "{xml}"
    );
    let told = w.s.queued_of("document.deposited");
    assert_eq!(told.last().unwrap()["company_id"], w.printer.as_str());
    assert_eq!(
        w.s.queued_of("quote.status_changed").last().unwrap()["data"]["order_document_id"],
        order.as_str()
    );
    assert_eq!(
        w.s.count("SELECT COUNT(*) FROM pending_objects", &[]),
        0,
        "the order file is kept"
    );

    // ---- a late decision changes nothing; a closed request takes no comment ----
    let start = footprint(&w);
    let (status, late) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{id}/reject"),
        berta,
        Some(json!({"reason": "late"})),
    );
    assert_eq!(
        (status, problem_code(&late)),
        (409, "invalid_transition"),
        "{late}"
    );
    let (status, closed) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{id}/comments"),
        berta,
        Some(json!({"text": "Thanks"})),
    );
    assert_eq!((status, problem_code(&closed)), (409, "request_closed"));
    assert_eq!(footprint(&w), start);
    let steps: Vec<&str> = accepted["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        steps,
        ["requested", "quoted", "requested", "quoted", "accepted"]
    );

    // ---- a task about a request is the printer's own ----
    let (status, task) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        sam,
        Some(json!({"title": "Internal: margin check", "about": id})),
    );
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["about"]["label"], format!("{number}: Flyer A5 spring"));
    let (_, theirs) = call(
        &w,
        Method::Get,
        &format!("/v1/tasks?about={id}"),
        berta,
        None,
    );
    assert_eq!(theirs["data"], json!([]));
}

#[test]
fn a_request_is_withdrawn_another_expires_and_comments_go_across() {
    let w = world();
    let berta = &w.berta.token;
    let sam = &w.sam.token;
    let first = request(&w, "Posters");
    let first_id = first["id"].as_str().unwrap().to_owned();
    let (status, commented) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{first_id}/comments"),
        sam,
        Some(json!({"text": "Which paper weight?"})),
    );
    assert_eq!(status, 201, "{commented}");
    assert_eq!(w.s.mailed("quote_commented"), vec![w.berta.email.clone()]);
    // A drawing from the bookshop, which the printer downloads; nobody else finds it.
    let drawing = b"%PDF-1.4 a drawing".to_vec();
    let files = format!("/v1/quote-requests/{first_id}/files");
    let added =
        w.s.post(&files)
            .bearer(berta)
            .header("tradepost-filename", "Zeichnung%201.pdf")
            .bytes("application/pdf", drawing.clone())
            .run()
            .expect(201);
    assert_eq!(added["files"][0]["filename"], "Zeichnung 1.pdf");
    assert_eq!(added["files"][0]["side"], "customer");
    let file_id = added["files"][0]["id"].as_str().unwrap().to_owned();
    let got =
        w.s.call(Method::Get, &format!("{files}/{file_id}"))
            .bearer(sam)
            .run();
    assert_eq!((got.status, got.body), (200, drawing.clone()));
    let theirs =
        w.s.call(Method::Get, &format!("{files}/{file_id}"))
            .bearer(&w.stranger_key)
            .run();
    assert_eq!(theirs.status, 404);
    assert_eq!(w.s.count("SELECT COUNT(*) FROM pending_objects", &[]), 0);

    let (status, withdrawn) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{first_id}/withdraw"),
        berta,
        None,
    );
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn")),
        "{withdrawn}"
    );
    assert!(withdrawn["closed_at"].is_string());

    let second = request(&w, "Banners");
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert!(second["number"].as_str().unwrap().ends_with("-00002"));
    let (status, _) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{second_id}/quotes"),
        sam,
        Some(quote_body("2", "2099-01-10")),
    );
    assert_eq!(status, 201);
    let cron = |as_of: &str| {
        let (status, out) = call(
            &w,
            Method::Post,
            "/v1/dev/quotes/cron",
            berta,
            Some(json!({"as_of": as_of, "company_id": w.printer})),
        );
        assert_eq!(status, 200, "{out}");
        out["expired"].as_u64().unwrap()
    };
    assert_eq!(
        cron("2099-01-10T06:00:00Z"),
        0,
        "valid through its last day"
    );
    assert_eq!(cron("2099-01-11T06:00:00Z"), 1);
    assert_eq!(cron("2099-01-12T06:00:00Z"), 0, "once");
    let (_, expired) = call(
        &w,
        Method::Get,
        &format!("/v1/quote-requests/{second_id}"),
        berta,
        None,
    );
    assert_eq!(
        (
            expired["status"].as_str(),
            expired["quotes"][0]["status"].as_str()
        ),
        (Some("expired"), Some("expired"))
    );
    let told: Vec<String> =
        w.s.queued_of("quote.status_changed")
            .iter()
            .filter(|e| e["data"]["status"] == "expired")
            .map(|e| e["company_id"].as_str().unwrap_or("").to_owned())
            .collect();
    assert_eq!(told.len(), 2, "both sides: {told:?}");
    // The withdrawal was mailed to the printer's people, the expiry to the bookshop's.
    let mut expected = vec![
        w.anna.email.clone(),
        w.sam.email.clone(),
        w.berta.email.clone(),
    ];
    expected.sort_unstable();
    assert_eq!(w.s.mailed("quote_status_changed"), expected);
    let (status, late) = call(
        &w,
        Method::Post,
        &format!("/v1/quote-requests/{second_id}/accept"),
        berta,
        None,
    );
    assert_eq!(
        (status, problem_code(&late)),
        (409, "invalid_transition"),
        "{late}"
    );

    // A blocked relationship takes no new request and no decision.
    let _ = w.s.rows(
        "UPDATE relationships SET status = 'blocked' RETURNING id",
        &[],
    );
    let third = call(
        &w,
        Method::Post,
        "/v1/quote-requests",
        berta,
        Some(json!({"partner": w.printer, "title": "x"})),
    );
    assert_eq!(
        (third.0, problem_code(&third.1)),
        (403, "relationship_blocked"),
        "{}",
        third.1
    );
}
