//! Talk as the people of two partner companies live it: a buyer asks about an order, the
//! supplier's clerk answers with a file, both sides see what is unread and read it away, the
//! thread list follows the last activity. Also the business-card rule for addressing a person,
//! other tenants, the unauthorised, a blocked partner and a switched-off service, and bad input.

use serde_json::{json, Value};
use tradepost_e2e::*;

fn thread_path(id: &str, action: &str) -> String {
    if action.is_empty() {
        format!("/v1/threads/{id}")
    } else {
        format!("/v1/threads/{id}/{action}")
    }
}

fn content_path(attachment: &str) -> String {
    format!("/v1/attachments/{attachment}/content")
}

/// `POST /v1/attachments` with exactly these `headers` and the raw `body`; the whole answer.
fn attach_raw(api: &Api, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let path = "/v1/attachments";
    let mut request = api.raw(Method::POST, path).timeout(BIG_TRANSFER);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.run(Method::POST, path, request.body(body))
}

/// Uploads a file for a message, expecting 201; the attachment.
fn attach(api: &Api, filename: &str, content_type: &str, body: Vec<u8>) -> Value {
    let size = body.len();
    let sha = sha256_hex(&body);
    let att = attach_raw(
        api,
        &[
            ("Tradepost-Filename", filename),
            ("Content-Type", content_type),
        ],
        body,
    )
    .expect(201);
    assert_id(&att["id"], "att_");
    assert_eq!(att["size"], json!(size), "{att}");
    assert_eq!(att["sha256"], json!(sha), "{att}");
    assert_eq!(att["content_type"], json!(content_type), "{att}");
    assert_timestamp(&att["created_at"]);
    att
}

/// `GET /v1/attachments/{id}/content`, whatever the status; the body as bytes.
fn fetch_attachment(api: &Api, id: &str) -> Download {
    let path = content_path(id);
    api.run_bytes(
        Method::GET,
        &path,
        api.raw(Method::GET, &path).timeout(BIG_TRANSFER),
    )
}

/// `GET /v1/threads` with `query`, expecting 200.
fn threads(api: &Api, query: &[(&str, &str)]) -> Value {
    let path = "/v1/threads";
    let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let list = api
        .run(
            Method::GET,
            &format!("{path}?{}", shown.join("&")),
            api.raw(Method::GET, path).query(query),
        )
        .expect(200);
    assert!(
        list["data"].is_array() && list["counts"].is_object(),
        "a thread list is {{data, next_cursor, counts}}: {list}"
    );
    list
}

/// The caller's unread counts over all threads: `{unread_messages, unread_threads}`.
fn totals(api: &Api) -> Value {
    threads(api, &[])["counts"].clone()
}

/// `{unread_messages, unread_threads}` as the thread list counts them.
fn unread_totals(messages: u64, threads: u64) -> Value {
    json!({"unread_messages": messages, "unread_threads": threads})
}

/// The caller's unread count in one thread.
fn unread(api: &Api, thread: &str) -> Value {
    api.get(&thread_path(thread, ""), 200)["unread_count"].clone()
}

/// What a refused call must leave as it was: a thread's message count and latest message, and
/// the unread counts of the people watching it.
fn state(thread: &str, watchers: &[&Api]) -> Value {
    let first = watchers[0].get(&thread_path(thread, ""), 200);
    json!({
        "message_count": first["message_count"],
        "last_message_at": first["last_message_at"],
        "last_message": first["last_message"]["id"],
        "messages": ids(&watchers[0].get(&thread_path(thread, "messages"), 200)),
        "unread": watchers.iter().map(|api| unread(api, thread)).collect::<Vec<_>>(),
        "totals": watchers.iter().map(|api| totals(api)).collect::<Vec<_>>(),
    })
}

/// Two connected companies, a colleague with `talk` on each side.
struct Partners {
    customer: Company,
    supplier: Company,
    relationship: String,
    buyer: Person,
    clerk: Person,
}

fn partners() -> Partners {
    let supplier = Company::signup_confirmed("supplier");
    let customer = Company::signup_confirmed("customer");
    let relationship = connect(&customer, &supplier);
    let buyer = invite_colleague(&customer, &["talk", "documents.send"]);
    let clerk = invite_colleague(&supplier, &["talk", "documents.receive"]);
    Partners {
        customer,
        supplier,
        relationship,
        buyer,
        clerk,
    }
}

/// Opens a thread from `api` with `partner` (and `extra` fields), expecting 201.
fn open(api: &Api, partner: &str, subject: &str, text: &str, extra: Value) -> Value {
    let mut body = json!({"partner": partner, "subject": subject, "text": text});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let thread = api.post("/v1/threads", body, 201);
    assert_id(&thread["id"], "thr_");
    thread
}

fn say(api: &Api, thread: &str, text: &str, attachments: &[&str]) -> Value {
    let message = api.post(
        &thread_path(thread, "messages"),
        json!({"text": text, "attachments": attachments}),
        201,
    );
    assert_id(&message["id"], "msg_");
    message
}

#[test]
fn an_order_is_talked_over_by_both_sides() {
    let p = partners();
    let supplier_admin = p.supplier.api();
    let customer_admin = p.customer.api();

    // The customer's ERP has sent an order; the buyer asks the supplier about it.
    let order = p.buyer.api.upload(
        &p.supplier.id,
        "order",
        "PO-4711.xml",
        b"<Order><ID>PO-4711</ID></Order>".to_vec(),
        &[("Content-Type", "application/xml")],
        201,
    );
    let order_id = text(&order["id"]);
    let question = "Could you deliver PO-4711 a week earlier? Our customer moved the opening of \
                    the new store to the 14th, so we need the goods by the 12th at the latest.";
    assert!(question.chars().count() > 140);
    let thread = open(
        &p.buyer.api,
        &p.supplier.handle,
        "  Delivery date of PO-4711 ",
        question,
        json!({"document_id": order_id}),
    );
    let thread_id = text(&thread["id"]);
    assert_eq!(thread["subject"], "Delivery date of PO-4711", "{thread}");
    assert_eq!(thread["partner"]["id"], json!(p.supplier.id), "{thread}");
    assert_eq!(
        thread["partner"]["name"],
        json!(p.supplier.name),
        "{thread}"
    );
    assert_eq!(thread["relationship_id"], json!(p.relationship), "{thread}");
    assert_eq!(thread["document_id"], json!(order_id), "{thread}");
    assert_eq!(
        thread["to_user"],
        Value::Null,
        "to the company as a whole: {thread}"
    );
    assert_eq!(thread["started_by"]["company_id"], json!(p.customer.id));
    assert_eq!(thread["started_by"]["user_id"], json!(p.buyer.id));
    assert!(thread["started_by"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("Colleague ")));
    assert_eq!(thread["message_count"], 1, "{thread}");
    assert_eq!(
        thread["unread_count"], 0,
        "the writer has read it: {thread}"
    );
    assert_timestamp(&thread["created_at"]);
    assert_eq!(thread["last_message_at"], thread["created_at"]);
    let first = &thread["last_message"];
    assert_id(&first["id"], "msg_");
    assert_eq!(first["thread_id"], json!(thread_id));
    assert_eq!(first["text"], question);
    assert_eq!(first["mine"], true);
    assert_eq!(first["from"]["company"]["id"], json!(p.customer.id));
    assert_eq!(first["from"]["user"]["id"], json!(p.buyer.id));
    assert_eq!(first["attachments"], json!([]));
    let first_id = text(&first["id"]);

    // The supplier is told, and every person there with talk sees one unread message from the
    // customer company.
    let told = wait_for_event(&p.supplier.id, "talk.message", |e| {
        e["data"]["message_id"] == json!(first_id)
    });
    let data = &told["data"];
    assert_eq!(data["thread_id"], json!(thread_id), "{told}");
    assert_eq!(data["subject"], "Delivery date of PO-4711", "{told}");
    assert_eq!(data["from_company_id"], json!(p.customer.id), "{told}");
    assert_eq!(data["from_user_id"], json!(p.buyer.id), "{told}");
    assert_eq!(
        data["from_user_name"], first["from"]["user"]["name"],
        "{told}"
    );
    assert_eq!(data["to_user_id"], Value::Null, "{told}");
    assert_eq!(data["document_id"], json!(order_id), "{told}");
    assert_eq!(data["attachment_count"], 0, "{told}");
    assert_eq!(
        data["excerpt"],
        json!(question.chars().take(140).collect::<String>())
    );
    assert!(
        !events(&p.customer.id)
            .iter()
            .any(|e| e["type"] == "talk.message"),
        "the writer's company is not told about its own message"
    );
    for api in [&p.clerk.api, supplier_admin] {
        let list = threads(api, &[]);
        assert_eq!(ids(&list), vec![thread_id.clone()], "{list}");
        let seen = &list["data"][0];
        assert_eq!(seen["unread_count"], 1, "{seen}");
        assert_eq!(seen["partner"]["id"], json!(p.customer.id), "{seen}");
        assert_eq!(seen["last_message"]["mine"], false, "{seen}");
        assert_eq!(
            seen["last_message"]["from"]["company"]["name"],
            json!(p.customer.name),
            "the recipient sees which company the message came from: {seen}"
        );
        assert_eq!(
            list["counts"],
            json!({"unread_messages": 1, "unread_threads": 1})
        );
    }
    assert_eq!(totals(&p.buyer.api), unread_totals(0, 0));
    // Listing marks nothing read.
    assert_eq!(unread(&p.clerk.api, &thread_id), 1);

    // The clerk answers with the confirmation as a PDF.
    let pdf = pseudo_random_bytes(300 * 1024 + 17, 4711);
    let att = attach(
        &p.clerk.api,
        "Auftragsbest%C3%A4tigung 4711.pdf",
        "application/pdf",
        pdf.clone(),
    );
    assert_eq!(att["filename"], "Auftragsbestätigung 4711.pdf", "{att}");
    let att_id = text(&att["id"]);
    // Before it is sent only its uploader may fetch it.
    assert_same_bytes(
        fetch_attachment(&p.clerk.api, &att_id).expect(200),
        &pdf,
        "the uploader's own unsent attachment",
    );
    fetch_attachment(supplier_admin, &att_id)
        .reply()
        .expect_problem(404, "not_found");
    fetch_attachment(&p.buyer.api, &att_id)
        .reply()
        .expect_problem(404, "not_found");
    let answer = say(
        &p.clerk.api,
        &thread_id,
        "Yes, we can ship on the 12th. The confirmation is attached.",
        &[&att_id],
    );
    assert_eq!(answer["mine"], true, "{answer}");
    assert_eq!(answer["from"]["company"]["id"], json!(p.supplier.id));
    assert_eq!(answer["from"]["user"]["id"], json!(p.clerk.id));
    assert_eq!(
        answer["attachments"],
        json!([{
            "id": att_id, "filename": "Auftragsbestätigung 4711.pdf",
            "content_type": "application/pdf", "size": pdf.len(), "sha256": sha256_hex(&pdf),
        }])
    );
    let answer_id = text(&answer["id"]);
    assert!(answer_id > first_id, "message ids sort by time");
    let told = wait_for_event(&p.customer.id, "talk.message", |e| {
        e["data"]["message_id"] == json!(answer_id)
    });
    assert_eq!(told["data"]["attachment_count"], 1, "{told}");
    assert_eq!(told["data"]["from_company_id"], json!(p.supplier.id));

    // Writing read the thread for the clerk; the supplier's admin still has the question unread;
    // on the customer side the answer is unread for everyone but nobody there wrote it.
    assert_eq!(unread(&p.clerk.api, &thread_id), 0);
    assert_eq!(unread(supplier_admin, &thread_id), 1);
    assert_eq!(unread(&p.buyer.api, &thread_id), 1);
    assert_eq!(unread(customer_admin, &thread_id), 1);
    assert_eq!(totals(&p.buyer.api), unread_totals(1, 1));
    let seen = p.buyer.api.get(&thread_path(&thread_id, ""), 200);
    assert_eq!(seen["message_count"], 2, "{seen}");
    assert_eq!(seen["last_message"]["id"], json!(answer_id), "{seen}");
    assert_eq!(seen["last_message"]["mine"], false, "{seen}");
    assert_eq!(seen["last_message_at"], answer["created_at"], "{seen}");

    // The buyer and the customer's admin fetch the file: byte for byte, with its hash as ETag.
    for api in [&p.buyer.api, customer_admin, supplier_admin] {
        let got = fetch_attachment(api, &att_id);
        assert_same_bytes(got.expect(200), &pdf, "the attachment");
        got.assert_sandboxed();
        assert_eq!(
            got.header("etag"),
            Some(format!("\"{}\"", sha256_hex(&pdf)))
        );
        assert_eq!(
            got.header("content-type").as_deref(),
            Some("application/pdf")
        );
    }
    // As document downloads: a range, a copy still fresh, the headers alone.
    let path = content_path(&att_id);
    let etag = format!("\"{}\"", sha256_hex(&pdf));
    let part = p.buyer.api.run_bytes(
        Method::GET,
        &path,
        p.buyer
            .api
            .raw(Method::GET, &path)
            .header("Range", "bytes=100-199"),
    );
    assert_same_bytes(
        part.expect(206),
        &pdf[100..200],
        "a range of the attachment",
    );
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-199/{}", pdf.len()))
    );
    let fresh = p.buyer.api.run_bytes(
        Method::GET,
        &path,
        p.buyer
            .api
            .raw(Method::GET, &path)
            .header("If-None-Match", &etag),
    );
    assert!(fresh.expect(304).is_empty());
    let head = p
        .buyer
        .api
        .run_bytes(Method::HEAD, &path, p.buyer.api.raw(Method::HEAD, &path));
    assert!(head.expect(200).is_empty());
    assert_eq!(head.header("content-length"), Some(pdf.len().to_string()));
    // Downloads mark nothing read.
    assert_eq!(unread(&p.buyer.api, &thread_id), 1);

    // The buyer reads the thread: down to zero for them, not for their admin.
    let read = p
        .buyer
        .api
        .post(&thread_path(&thread_id, "read"), json!({}), 200);
    assert_eq!(read, json!({"thread_id": thread_id, "unread_count": 0}));
    assert_eq!(totals(&p.buyer.api), unread_totals(0, 0));
    assert_eq!(unread(customer_admin, &thread_id), 1);

    // The messages, newest first, one page at a time.
    let messages = p.buyer.api.get(&thread_path(&thread_id, "messages"), 200);
    assert_eq!(ids(&messages), vec![answer_id.clone(), first_id.clone()]);
    assert_eq!(messages["data"][1]["mine"], true);
    assert_eq!(messages["data"][0]["mine"], false);
    let page1 = p.buyer.api.get(
        &format!("{}?limit=1", thread_path(&thread_id, "messages")),
        200,
    );
    assert_eq!(ids(&page1), vec![answer_id.clone()]);
    let cursor = text(&page1["next_cursor"]);
    let page2 = p.buyer.api.get(
        &format!(
            "{}?limit=1&cursor={cursor}",
            thread_path(&thread_id, "messages")
        ),
        200,
    );
    assert_eq!(ids(&page2), vec![first_id.clone()]);
    assert_eq!(page2["next_cursor"], Value::Null);

    // A second thread, started by the supplier this time, is the most recent activity...
    let newer = open(
        &p.clerk.api,
        &p.customer.id,
        "Price list 2027",
        "The new price list is coming next week.",
        json!({}),
    );
    let newer_id = text(&newer["id"]);
    assert_eq!(newer["partner"]["id"], json!(p.customer.id));
    let buyer_list = threads(&p.buyer.api, &[]);
    assert_eq!(ids(&buyer_list), vec![newer_id.clone(), thread_id.clone()]);
    assert_eq!(buyer_list["data"][0]["unread_count"], 1);
    assert_eq!(totals(&p.buyer.api), unread_totals(1, 1));
    // ...until the buyer writes in the older one, which moves it to the top.
    let thanks = say(&p.buyer.api, &thread_id, "Perfect, thank you!", &[]);
    let buyer_list = threads(&p.buyer.api, &[]);
    assert_eq!(ids(&buyer_list), vec![thread_id.clone(), newer_id.clone()]);
    assert_eq!(buyer_list["data"][0]["last_message"]["id"], thanks["id"]);
    let clerk_list = threads(&p.clerk.api, &[]);
    assert_eq!(ids(&clerk_list), vec![thread_id.clone(), newer_id.clone()]);
    assert_eq!(
        clerk_list["counts"],
        json!({"unread_messages": 1, "unread_threads": 1})
    );

    // Filters: the order's threads, the unread ones, one partner's.
    assert_eq!(
        ids(&threads(&p.buyer.api, &[("document_id", &order_id)])),
        vec![thread_id.clone()]
    );
    assert_eq!(
        ids(&threads(&p.buyer.api, &[("unread", "true")])),
        vec![newer_id.clone()]
    );
    assert_eq!(
        ids(&threads(&p.clerk.api, &[("partner", &p.customer.id)])).len(),
        2
    );
    let unrelated = Company::signup_confirmed("unrelated");
    assert_eq!(
        ids(&threads(&p.clerk.api, &[("partner", &unrelated.id)])),
        Vec::<String>::new()
    );

    // Paging with limit=1 walks every thread once, in the order of the whole list.
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut query = vec![("limit", "1".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = threads(&p.clerk.api, &query);
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ids(&clerk_list));

    // Reading up to one message leaves the later ones unread.
    let second = say(
        &p.clerk.api,
        &newer_id,
        "It will have 3 % on all paper goods.",
        &[],
    );
    assert_eq!(unread(&p.buyer.api, &newer_id), 2);
    let read = p.buyer.api.post(
        &thread_path(&newer_id, "read"),
        json!({"up_to": newer["last_message"]["id"]}),
        200,
    );
    assert_eq!(read["unread_count"], 1, "{read}");
    // Reading never moves back.
    let read = p.buyer.api.post_empty(&thread_path(&newer_id, "read"), 200);
    assert_eq!(read["unread_count"], 0, "{read}");
    let read = p.buyer.api.post(
        &thread_path(&newer_id, "read"),
        json!({"up_to": newer["last_message"]["id"]}),
        200,
    );
    assert_eq!(read["unread_count"], 0, "{read}");
    assert_eq!(
        p.buyer.api.get(&thread_path(&newer_id, ""), 200)["last_message"]["id"],
        second["id"]
    );
    assert_eq!(totals(&p.buyer.api), unread_totals(0, 0));

    // The supplier may talk about the order it received, too.
    let about = open(
        &p.clerk.api,
        &p.customer.id,
        "Packaging of PO-4711",
        "Pallets or boxes?",
        json!({"document_id": order_id}),
    );
    assert_eq!(about["document_id"], json!(order_id), "{about}");
    let mut about_order = ids(&threads(&p.buyer.api, &[("document_id", &order_id)]));
    about_order.sort();
    let mut expected = vec![thread_id.clone(), text(&about["id"])];
    expected.sort();
    assert_eq!(about_order, expected);
}

/// Several messages sent at once with the same attachment: exactly one of them carries it, the
/// others are refused and leave nothing behind.
#[test]
fn an_attachment_goes_out_with_one_message_only() {
    let p = partners();
    let thread = open(
        &p.buyer.api,
        &p.supplier.id,
        "Drawing",
        "See below.",
        json!({}),
    );
    let thread = text(&thread["id"]);
    let file = attach(
        &p.buyer.api,
        "drawing.dxf",
        "image/vnd.dxf",
        pseudo_random_bytes(4096, 7),
    );
    let file = text(&file["id"]);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..4)
            .map(|i| {
                let api = p.buyer.api.clone();
                let (thread, file) = (thread.clone(), file.clone());
                scope.spawn(move || {
                    api.send(
                        Method::POST,
                        &thread_path(&thread, "messages"),
                        Some(&json!({"text": format!("Drawing, try {i}"), "attachments": [file]})),
                    )
                })
            })
            .collect();
        sends.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let sent: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        sent.len(),
        1,
        "exactly one message takes the attachment: {replies:#?}"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.expect_invalid_field("attachments");
    }
    let seen = p.clerk.api.get(&thread_path(&thread, ""), 200);
    assert_eq!(seen["message_count"], 2, "{seen}");
    assert_eq!(unread(&p.clerk.api, &thread), 2);
    let messages = p.clerk.api.get(&thread_path(&thread, "messages"), 200);
    let carried: usize = messages["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["attachments"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(carried, 1, "{messages}");
    fetch_attachment(&p.clerk.api, &file).expect(200);
}

/// An attachment no message took within the hour is deleted by the sweep (the orders worker's
/// cron in production, `POST /v1/dev/sweep` locally, here only over this company's files); one a
/// message carries stays.
#[test]
fn an_attachment_not_sent_within_the_hour_is_deleted() {
    let p = partners();
    let kept_bytes = pseudo_random_bytes(2048, 11);
    let kept = attach(
        &p.buyer.api,
        "kept.pdf",
        "application/pdf",
        kept_bytes.clone(),
    );
    let kept = text(&kept["id"]);
    let thread = open(
        &p.buyer.api,
        &p.supplier.id,
        "Specification",
        "Attached.",
        json!({"attachments": [kept]}),
    );
    let thread = text(&thread["id"]);
    let left = attach(
        &p.buyer.api,
        "left.pdf",
        "application/pdf",
        pseudo_random_bytes(2048, 12),
    );
    let left = text(&left["id"]);
    let sweep = |as_of: Option<&str>| {
        let mut body = json!({"company_id": p.customer.id});
        if let Some(as_of) = as_of {
            body["as_of"] = json!(as_of);
        }
        Api::new().anonymous().post("/v1/dev/sweep", body, 200)
    };

    // Within the hour the unsent file stays, and its writer can still fetch it.
    let now = sweep(None);
    assert_eq!(now["orphans_deleted"], 0, "{now}");
    fetch_attachment(&p.buyer.api, &left).expect(200);

    // As if a day had passed: the unsent file goes, the sent one stays.
    let later = sweep(Some("2100-01-01T00:00:00Z"));
    assert_eq!(later["orphans_deleted"], 1, "{later}");
    fetch_attachment(&p.buyer.api, &left).expect(404);
    p.buyer
        .api
        .send(
            Method::POST,
            &thread_path(&thread, "messages"),
            Some(&json!({"text": "Once more", "attachments": [left]})),
        )
        .expect_invalid_field("attachments");
    assert_eq!(
        fetch_attachment(&p.clerk.api, &kept).expect(200),
        &kept_bytes[..]
    );
    let seen = p.clerk.api.get(&thread_path(&thread, ""), 200);
    assert_eq!(seen["message_count"], 1, "{seen}");
}

#[test]
fn a_person_is_addressed_only_after_their_card_arrived() {
    let p = partners();
    let before = totals(&p.clerk.api);
    let refused = p.buyer.api.send(
        Method::POST,
        "/v1/threads",
        Some(&json!({
            "partner": p.supplier.id, "to": p.clerk.id,
            "subject": "For you personally", "text": "Hello Ms Clerk",
        })),
    );
    refused.expect_problem(403, "card_not_received");
    // Someone who is not a user of the partner at all looks the same.
    let stranger = Company::signup_confirmed("stranger");
    for to in [stranger.admin.id.clone(), p.buyer.id.clone()] {
        p.buyer.api.refused(
            Method::POST,
            "/v1/threads",
            Some(json!({
                "partner": p.supplier.id, "to": to, "subject": "Hi", "text": "Hello",
            })),
            403,
            "card_not_received",
        );
    }
    assert_eq!(ids(&threads(&p.buyer.api, &[])), Vec::<String>::new());
    assert_eq!(totals(&p.clerk.api), before);

    // The clerk sends their card to the customer; now the buyer may address them.
    p.clerk.api.put(
        "/v1/cards/me",
        json!({"name": "Clara Clerk", "title": "Order desk", "email": p.clerk.email}),
        200,
    );
    p.clerk.api.post(
        "/v1/cards/me/send",
        json!({"company_id": p.customer.id}),
        200,
    );
    let thread = open(
        &p.buyer.api,
        &p.supplier.id,
        "For you personally",
        "Hello Ms Clerk",
        json!({"to": p.clerk.id}),
    );
    assert_eq!(thread["to_user"]["id"], json!(p.clerk.id), "{thread}");
    assert!(thread["to_user"]["name"].is_string(), "{thread}");
    let told = wait_for_event(&p.supplier.id, "talk.message", |e| {
        e["data"]["thread_id"] == thread["id"]
    });
    assert_eq!(told["data"]["to_user_id"], json!(p.clerk.id), "{told}");
    // Both sides see the addressee.
    let seen = p.clerk.api.get(&thread_path(&text(&thread["id"]), ""), 200);
    assert_eq!(seen["to_user"]["id"], json!(p.clerk.id), "{seen}");
    assert_eq!(unread(&p.clerk.api, &text(&thread["id"])), 1);

    // A card received by the customer does not let the supplier address the customer's people.
    p.clerk.api.refused(
        Method::POST,
        "/v1/threads",
        Some(json!({
            "partner": p.customer.id, "to": p.buyer.id, "subject": "Hi", "text": "Hello",
        })),
        403,
        "card_not_received",
    );
}

/// A thread between the partners with a sent attachment, and an unsent one of the buyer.
struct Scene {
    p: Partners,
    thread: String,
    sent: String,
    unsent: String,
}

fn scene() -> Scene {
    let p = partners();
    let thread = open(
        &p.buyer.api,
        &p.supplier.id,
        "Samples",
        "Please send samples.",
        json!({}),
    );
    let thread = text(&thread["id"]);
    let file = attach(
        &p.clerk.api,
        "samples.txt",
        "text/plain",
        b"3 samples".to_vec(),
    );
    let sent = text(&file["id"]);
    say(&p.clerk.api, &thread, "They are on their way.", &[&sent]);
    let unsent = text(&attach(&p.buyer.api, "draft.txt", "text/plain", b"draft".to_vec())["id"]);
    Scene {
        p,
        thread,
        sent,
        unsent,
    }
}

/// Every talk call on the scene's thread and attachments, with a valid body.
fn every_call(s: &Scene) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/v1/threads".to_owned(), None),
        (
            Method::POST,
            "/v1/threads".to_owned(),
            Some(json!({"partner": s.p.supplier.id, "subject": "Hi", "text": "Hello"})),
        ),
        (Method::GET, thread_path(&s.thread, ""), None),
        (Method::GET, thread_path(&s.thread, "messages"), None),
        (
            Method::POST,
            thread_path(&s.thread, "messages"),
            Some(json!({"text": "Let me in"})),
        ),
        (
            Method::POST,
            thread_path(&s.thread, "read"),
            Some(json!({})),
        ),
        (Method::GET, content_path(&s.sent), None),
        (Method::GET, content_path(&s.unsent), None),
    ]
}

#[test]
fn strangers_and_people_without_talk_get_nothing_and_api_keys_do_not_write() {
    let s = scene();
    let p = &s.p;
    let watchers = [&p.buyer.api, &p.clerk.api, p.supplier.api()];
    let before = state(&s.thread, &watchers);
    let mut wrong = Vec::new();

    // A company with no relationship: every thread and attachment is unknown to it.
    let stranger = Company::signup_confirmed("stranger");
    for (method, path, body) in every_call(&s) {
        let reply = stranger.api().send(method.clone(), &path, body.as_ref());
        let expected = match (method.as_str(), path.as_str()) {
            ("GET", "/v1/threads") => None,
            // Nobody to talk to there: the partner is not connected.
            ("POST", "/v1/threads") => Some((409, "relationship_not_active")),
            _ => Some((404, "not_found")),
        };
        match expected {
            Some((status, code)) => {
                if let Some(m) = reply.problem_mismatch(status, Some(code), None) {
                    wrong.push(format!("stranger: {m}"));
                }
            }
            None => {
                let list = reply.expect(200);
                if !ids(&list).is_empty() || list["counts"]["unread_messages"] != 0 {
                    wrong.push(format!("stranger sees threads: {list}"));
                }
            }
        }
    }
    // Guessing the attachment's id does not help either.
    let guessed = stranger.api().send(
        Method::POST,
        "/v1/threads",
        Some(&json!({"partner": p.supplier.id, "subject": "x", "text": "x", "attachments": [s.unsent]})),
    );
    if guessed.status < 400 {
        wrong.push(format!("stranger used an attachment: {}", guessed.text));
    }

    // A colleague without talk, an API key without talk, and an API key holding it (which reads,
    // see a_companys_system_picks_up_messages_with_an_api_key, but never writes: every message
    // names the person who wrote it).
    let no_talk = invite_colleague(&p.customer, &["documents.send", "documents.receive"]);
    let key_without_talk = api_key(&p.customer, &["documents.send"]);
    let key = api_key(&p.customer, &["talk", "documents.send"]);
    for (who, api) in [
        ("without talk", &no_talk.api),
        ("API key without talk", &key_without_talk.api),
        ("API key", &key.api),
    ] {
        let person = who == "without talk";
        for (method, path, body) in every_call(&s) {
            let writes = method == Method::POST && !path.ends_with("/read");
            let code = match (person, writes, who) {
                (true, _, _) => "permission_missing",
                (false, true, _) => "user_required",
                (false, false, "API key without talk") => "permission_missing",
                _ => continue,
            };
            let reply = api.send(method, &path, body.as_ref());
            if let Some(m) = reply.problem_mismatch(403, Some(code), None) {
                wrong.push(format!("{who}: {m}"));
            }
        }
        let code = if person {
            "permission_missing"
        } else {
            "user_required"
        };
        let upload = attach_raw(api, &[("Tradepost-Filename", "x.txt")], b"x".to_vec());
        if let Some(m) = upload.problem_mismatch(403, Some(code), None) {
            wrong.push(format!("{who} uploading: {m}"));
        }
    }

    // Someone else's unsent attachment, from the same company and from the partner.
    for (who, api) in [
        ("the buyer's admin", p.customer.api()),
        ("the clerk", &p.clerk.api),
    ] {
        let reply = api.send(
            Method::POST,
            &thread_path(&s.thread, "messages"),
            Some(&json!({"text": "Here it is", "attachments": [s.unsent]})),
        );
        if let Some(m) = reply.problem_mismatch(422, Some("invalid_field"), Some("attachments")) {
            wrong.push(format!("{who} with the buyer's attachment: {m}"));
        }
        let reply = api.send(
            Method::POST,
            "/v1/threads",
            Some(&json!({
                "partner": if api.bearer() == p.clerk.api.bearer() { &p.customer.id } else { &p.supplier.id },
                "subject": "x", "text": "x", "attachments": [s.unsent],
            })),
        );
        if let Some(m) = reply.problem_mismatch(422, Some("invalid_field"), Some("attachments")) {
            wrong.push(format!(
                "{who} opening a thread with the buyer's attachment: {m}"
            ));
        }
    }
    // An attachment already sent cannot go out a second time, not even by its uploader.
    let reply = p.clerk.api.send(
        Method::POST,
        &thread_path(&s.thread, "messages"),
        Some(&json!({"text": "Again", "attachments": [s.sent]})),
    );
    if let Some(m) = reply.problem_mismatch(422, Some("invalid_field"), Some("attachments")) {
        wrong.push(format!("a sent attachment again: {m}"));
    }
    // The unsent attachment is still the buyer's own.
    fetch_attachment(&p.buyer.api, &s.unsent).expect(200);

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        state(&s.thread, &watchers),
        before,
        "a refused call changed something"
    );
    assert_eq!(ids(&threads(&p.buyer.api, &[])), vec![s.thread.clone()]);
}

/// A company's own system (an API key holding `talk`) picks up what its people get, as IPCN
/// does: it lists the threads with something new for it, reads them with their attachments and
/// marks what it has filed. Its read position is its own (each key has one); the people's unread
/// counts do not move. Writing stays with people.
#[test]
fn a_companys_system_picks_up_messages_with_an_api_key() {
    let s = scene();
    let p = &s.p;
    let erp = api_key(&p.customer, &["talk"]);
    let people = totals(&p.buyer.api);

    // The clerk's reply is new for the system.
    let new = threads(&erp.api, &[("unread", "true")]);
    assert_eq!(ids(&new), vec![s.thread.clone()], "{new}");
    assert_eq!(new["counts"], unread_totals(1, 1));
    let messages = erp.api.get(&thread_path(&s.thread, "messages"), 200);
    let data = messages["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 2, "{messages}");
    assert_eq!(data[0]["mine"], json!(false), "{messages}");
    assert_eq!(data[0]["attachments"][0]["id"], json!(s.sent), "{messages}");
    assert_eq!(
        fetch_attachment(&erp.api, &s.sent).expect(200),
        b"3 samples"
    );
    // The buyer's unsent draft stays the buyer's.
    fetch_attachment(&erp.api, &s.unsent).expect(404);

    // Filed: read for the system only.
    let read = erp
        .api
        .post(&thread_path(&s.thread, "read"), json!({}), 200);
    assert_eq!(read["unread_count"], json!(0), "{read}");
    assert_eq!(totals(&erp.api), unread_totals(0, 0));
    assert_eq!(unread(&erp.api, &s.thread), json!(0));
    assert_eq!(totals(&p.buyer.api), people);
    let other_system = api_key(&p.customer, &["talk"]);
    assert_eq!(totals(&other_system.api), unread_totals(1, 1));

    // Writing needs a person; the next reply is new for the system again.
    let before = state(&s.thread, &[&p.buyer.api, &p.clerk.api]);
    erp.api.refused(
        Method::POST,
        &thread_path(&s.thread, "messages"),
        Some(json!({"text": "Filed."})),
        403,
        "user_required",
    );
    assert_eq!(state(&s.thread, &[&p.buyer.api, &p.clerk.api]), before);
    say(&p.clerk.api, &s.thread, "The tracking number follows.", &[]);
    assert_eq!(totals(&erp.api), unread_totals(1, 1));
    // Another company's system finds nothing.
    let stranger_key = api_key(&Company::signup_confirmed("stranger"), &["talk"]);
    stranger_key
        .api
        .send(Method::GET, &thread_path(&s.thread, "messages"), None)
        .expect_problem(404, "not_found");
}

#[test]
fn a_blocked_relationship_stops_new_messages_but_keeps_the_history_readable() {
    let s = scene();
    let p = &s.p;
    p.supplier
        .api()
        .post_empty(&format!("/v1/relationships/{}/block", p.relationship), 200);
    let watchers = [&p.buyer.api, &p.clerk.api];
    let before = state(&s.thread, &watchers);
    for (api, partner) in [
        (&p.buyer.api, &p.supplier.id),
        (&p.clerk.api, &p.customer.id),
    ] {
        api.refused(
            Method::POST,
            &thread_path(&s.thread, "messages"),
            Some(json!({"text": "Anyone there?"})),
            403,
            "relationship_blocked",
        );
        api.refused(
            Method::POST,
            "/v1/threads",
            Some(json!({"partner": partner, "subject": "New", "text": "Hello"})),
            403,
            "relationship_blocked",
        );
    }
    assert_eq!(
        state(&s.thread, &watchers),
        before,
        "a refused call changed something"
    );

    // Everything said stays readable on both sides, and can still be marked read.
    for api in watchers {
        assert_eq!(ids(&threads(api, &[])), vec![s.thread.clone()]);
        assert_eq!(
            ids(&api.get(&thread_path(&s.thread, "messages"), 200)).len(),
            2
        );
        assert_same_bytes(
            fetch_attachment(api, &s.sent).expect(200),
            b"3 samples",
            "an attachment behind a block",
        );
        let read = api.post_empty(&thread_path(&s.thread, "read"), 200);
        assert_eq!(read["unread_count"], 0, "{read}");
    }

    // Unblocked, the talk goes on.
    p.supplier.api().post_empty(
        &format!("/v1/relationships/{}/unblock", p.relationship),
        200,
    );
    say(&p.buyer.api, &s.thread, "Good to have you back.", &[]);
    assert_eq!(unread(&p.clerk.api, &s.thread), 1);
}

#[test]
fn talk_switched_off_refuses_new_messages() {
    let s = scene();
    let p = &s.p;
    let changed = p.supplier.api().patch(
        &format!("/v1/relationships/{}", p.relationship),
        json!({"services": {"talk": "inactive"}}),
        200,
    );
    assert_eq!(changed["services"]["talk"], "inactive", "{changed}");
    let watchers = [&p.buyer.api, &p.clerk.api];
    let before = state(&s.thread, &watchers);
    p.buyer.api.refused(
        Method::POST,
        &thread_path(&s.thread, "messages"),
        Some(json!({"text": "Hello?"})),
        409,
        "service_not_enabled",
    );
    p.clerk.api.refused(
        Method::POST,
        "/v1/threads",
        Some(json!({"partner": p.customer.handle, "subject": "New", "text": "Hello"})),
        409,
        "service_not_enabled",
    );
    assert_eq!(
        state(&s.thread, &watchers),
        before,
        "a refused call changed something"
    );
    assert_eq!(
        ids(&p.buyer.api.get(&thread_path(&s.thread, "messages"), 200)).len(),
        2
    );
}

#[test]
fn bad_input_is_refused_naming_the_field() {
    let s = scene();
    let p = &s.p;
    let api = &p.buyer.api;
    let watchers = [&p.buyer.api, &p.clerk.api];
    let eleven: Vec<String> = (0..11)
        .map(|_| text(&attach(api, "a.txt", "text/plain", b"a".to_vec())["id"]))
        .collect();
    // Exactly 10 000 characters and 10 attachments are fine — in a thread of its own, opened
    // before the scene's state is taken.
    let ten: Vec<&str> = eleven[..10].iter().map(String::as_str).collect();
    let full = open(
        api,
        &p.supplier.id,
        "Long",
        &long('ł', 10_000),
        json!({"attachments": ten}),
    );
    assert_eq!(
        full["last_message"]["attachments"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(
        full["last_message"]["text"]
            .as_str()
            .map(|t| t.chars().count()),
        Some(10_000)
    );

    let before = state(&s.thread, &watchers);
    let wrong = std::cell::RefCell::new(Vec::new());
    let check = |what: &str, reply: Reply, status: u16, code: &str, field: Option<&str>| {
        if let Some(m) = reply.problem_mismatch(status, Some(code), field) {
            wrong.borrow_mut().push(format!("{what}: {m}"));
        }
    };

    let messages = thread_path(&s.thread, "messages");
    let bodies = [
        ("empty text", json!({"text": ""}), "text"),
        ("blank text", json!({"text": " \n\t "}), "text"),
        (
            "10 001 characters",
            json!({"text": long('x', 10_001)}),
            "text",
        ),
        ("text missing", json!({}), "text"),
        ("text a number", json!({"text": 5}), "text"),
        (
            "unknown field",
            json!({"text": "x", "urgent": true}),
            "urgent",
        ),
        (
            "11 attachments",
            json!({"text": "x", "attachments": eleven}),
            "attachments",
        ),
        (
            "an attachment twice",
            json!({"text": "x", "attachments": [s.unsent, s.unsent]}),
            "attachments",
        ),
        (
            "a malformed attachment id",
            json!({"text": "x", "attachments": ["att_nope"]}),
            "attachments",
        ),
        (
            "an unknown attachment",
            json!({"text": "x", "attachments": ["att_01jr8v2m4k3q9t6w5x7y8z0abc"]}),
            "attachments",
        ),
    ];
    for (what, body, field) in &bodies {
        check(
            what,
            api.send(Method::POST, &messages, Some(body)),
            422,
            "invalid_field",
            Some(field),
        );
    }
    let opens = [
        (
            "subject missing",
            json!({"partner": p.supplier.id, "text": "x"}),
            "subject",
        ),
        (
            "blank subject",
            json!({"partner": p.supplier.id, "subject": "  ", "text": "x"}),
            "subject",
        ),
        (
            "subject of 201 characters",
            json!({"partner": p.supplier.id, "subject": long('s', 201), "text": "x"}),
            "subject",
        ),
        (
            "partner missing",
            json!({"subject": "s", "text": "x"}),
            "partner",
        ),
        (
            "unknown partner",
            json!({"partner": "co_01jr8v2m4k3q9t6w5x7y8z0abc", "subject": "s", "text": "x"}),
            "partner",
        ),
        (
            "oneself as partner",
            json!({"partner": p.customer.id, "subject": "s", "text": "x"}),
            "partner",
        ),
        (
            "empty text",
            json!({"partner": p.supplier.id, "subject": "s", "text": ""}),
            "text",
        ),
        (
            "malformed to",
            json!({"partner": p.supplier.id, "subject": "s", "text": "x", "to": "bob"}),
            "to",
        ),
        (
            "unknown document",
            json!({"partner": p.supplier.id, "subject": "s", "text": "x",
                   "document_id": "doc_01jr8v2m4k3q9t6w5x7y8z0abc"}),
            "document_id",
        ),
    ];
    for (what, body, field) in &opens {
        check(
            what,
            api.send(Method::POST, "/v1/threads", Some(body)),
            422,
            "invalid_field",
            Some(field),
        );
    }
    // A document of another partner pair is no subject for this thread.
    let other = Company::signup_confirmed("other supplier");
    connect(&p.customer, &other);
    let elsewhere = p.customer.api().upload(
        &other.id,
        "order",
        "other.xml",
        b"<Order/>".to_vec(),
        &[],
        201,
    );
    check(
        "a document exchanged with another partner",
        api.send(
            Method::POST,
            "/v1/threads",
            Some(
                &json!({"partner": p.supplier.id, "subject": "s", "text": "x",
                          "document_id": elsewhere["id"]}),
            ),
        ),
        422,
        "invalid_field",
        Some("document_id"),
    );
    check(
        "malformed JSON",
        api.run(
            Method::POST,
            "/v1/threads",
            api.raw(Method::POST, "/v1/threads")
                .header("Content-Type", "application/json")
                .body("{\"partner\":"),
        ),
        400,
        "malformed_json",
        None,
    );

    // Unknown and malformed threads and attachments.
    let unknown = "thr_01jr8v2m4k3q9t6w5x7y8z0abc";
    for (method, path, body) in [
        (Method::GET, thread_path(unknown, ""), None),
        (Method::GET, thread_path(unknown, "messages"), None),
        (
            Method::POST,
            thread_path(unknown, "messages"),
            Some(json!({"text": "x"})),
        ),
        (Method::POST, thread_path(unknown, "read"), None),
        (Method::GET, thread_path("nonsense", ""), None),
        (
            Method::GET,
            content_path("att_01jr8v2m4k3q9t6w5x7y8z0abc"),
            None,
        ),
        (Method::GET, content_path("nonsense"), None),
    ] {
        check(
            &path.clone(),
            api.send(method, &path, body.as_ref()),
            404,
            "not_found",
            None,
        );
    }
    check(
        "read up to a message of another thread",
        api.send(
            Method::POST,
            &thread_path(&s.thread, "read"),
            Some(&json!({"up_to": full["last_message"]["id"]})),
        ),
        422,
        "invalid_field",
        Some("up_to"),
    );
    check(
        "a wrong method",
        api.send(Method::DELETE, &thread_path(&s.thread, ""), None),
        405,
        "method_not_allowed",
        None,
    );

    // List parameters.
    for (what, path, field) in [
        (
            "a malformed cursor",
            "/v1/threads?cursor=bm90IGEgY3Vyc29y",
            "cursor",
        ),
        ("a cursor of garbage", "/v1/threads?cursor=%21%21", "cursor"),
        ("limit 0", "/v1/threads?limit=0", "limit"),
        ("limit 201", "/v1/threads?limit=201", "limit"),
        ("unread=maybe", "/v1/threads?unread=maybe", "unread"),
        ("a malformed partner", "/v1/threads?partner=acme", "partner"),
        (
            "a malformed document",
            "/v1/threads?document_id=7",
            "document_id",
        ),
    ] {
        check(
            what,
            api.send(Method::GET, path, None),
            422,
            "invalid_field",
            Some(field),
        );
    }
    check(
        "a malformed message cursor",
        api.send(Method::GET, &format!("{messages}?cursor=%21%21"), None),
        422,
        "invalid_field",
        Some("cursor"),
    );

    // Attachments: no length, no bytes, no name, too big.
    let chunked = api.raw_tcp(
        "POST",
        "/v1/attachments",
        &[
            ("Tradepost-Filename", "a.txt"),
            ("Content-Type", "text/plain"),
            ("Transfer-Encoding", "chunked"),
        ],
        b"5\r\nhello\r\n0\r\n\r\n",
        false,
    );
    match chunked.reply(Method::POST, "/v1/attachments (chunked)") {
        Some(reply) => check("no Content-Length", reply, 411, "length_required", None),
        None => wrong
            .borrow_mut()
            .push(format!("no Content-Length: no answer ({chunked:?})")),
    }
    check(
        "an empty attachment",
        attach_raw(api, &[("Tradepost-Filename", "a.txt")], Vec::new()),
        422,
        "invalid_field",
        Some("body"),
    );
    check(
        "no filename",
        attach_raw(api, &[], b"x".to_vec()),
        422,
        "invalid_field",
        Some("filename"),
    );
    check(
        "a path as filename",
        attach_raw(
            api,
            &[("Tradepost-Filename", "../etc/passwd")],
            b"x".to_vec(),
        ),
        422,
        "invalid_field",
        Some("filename"),
    );
    check(
        "25 MiB + 1",
        attach_raw(
            api,
            &[("Tradepost-Filename", "big.bin")],
            vec![b'x'; 25 * MIB + 1],
        ),
        413,
        "payload_too_large",
        None,
    );
    let wrong = wrong.into_inner();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        state(&s.thread, &watchers),
        before,
        "a refused call changed something"
    );

    // Exactly 25 MiB is fine, and comes back whole.
    let big = pseudo_random_bytes(25 * MIB, 25);
    let att = attach(api, "big.bin", "application/octet-stream", big.clone());
    assert_same_bytes(
        fetch_attachment(api, &text(&att["id"])).expect(200),
        &big,
        "a 25 MiB attachment",
    );
}
