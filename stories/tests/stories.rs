//! The users' stories natively, through every worker's route table: accounts, relationships,
//! the document exchange, approvals, talk and webhooks. Each reads like what the people do; the
//! end-to-end suite tells the same stories against the real workers in workerd.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use shared::platform::{OutResponse, Value};
use shared::service::Method;
use tradepost_stories::{
    connect, deliver_events, delivered, link_token, login, order, pair, sign_up, stack, text,
};

const ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");

#[test]
fn a_company_signs_up_confirms_logs_in_and_invites_a_colleague() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let me = acme.call(&s, Method::Get, "/v1/me").run().expect(200);
    assert_eq!(me["kind"], "user");
    assert_eq!(me["user"]["role"], "admin");
    assert_eq!(me["company"]["handle"], "acme-print");
    // The same handle again is taken.
    s.post("/v1/auth/signup")
        .json(
            &json!({"company_name": "Other", "handle": "acme-print", "name": "X",
            "email": "x@other.example", "password": "a long passphrase"}),
        )
        .run()
        .expect(409);
    // A wrong password is refused, and counted.
    assert_eq!(
        login(&s, &acme.admin_email, "not the passphrase").status,
        401
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM login_failures", &[]),
        2,
        "per account and per address"
    );
    // A colleague is invited by mail and accepts with a password of her own.
    let invited = acme
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": "bea@acme-print.example", "name": "Bea", "permissions": ["talk"]}))
        .run()
        .expect(201);
    assert_eq!(invited["status"], "invited");
    let token = link_token(&s, "bea@acme-print.example");
    s.post("/v1/auth/accept-invitation")
        .json(&json!({"token": token, "password": "bea's own passphrase"}))
        .run()
        .expect(201);
    let bea = login(&s, "bea@acme-print.example", "bea's own passphrase").expect(200);
    assert_eq!(bea["user"]["permissions"], json!(["talk"]));
    // Bea may not manage people; the refresh token rotates and a second use ends the session.
    let bea_token = bea["access_token"].as_str().unwrap();
    s.get("/v1/users").bearer(bea_token).run().expect(403);
    let refresh = bea["refresh_token"].as_str().unwrap();
    s.post("/v1/auth/refresh")
        .json(&json!({ "refresh_token": refresh }))
        .run()
        .expect(200);
    let reused = s
        .post("/v1/auth/refresh")
        .json(&json!({ "refresh_token": refresh }))
        .run();
    assert_eq!(reused.status, 401);
    assert_eq!(reused.json()["code"], "refresh_token_reused");
    // The ended session no longer works where sessions are checked (the accounts worker).
    s.get("/v1/me").bearer(bea_token).run().expect(401);
}

#[test]
fn a_supplier_and_a_customer_connect_and_the_suppliers_settings_stay_its_own() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let rel = connect(&s, &supplier, &customer);
    let set = supplier
        .call(&s, Method::Patch, &format!("/v1/relationships/{rel}"))
        .json(&json!({"settings": {"customer_number": "K-4711", "internal_remark": "pays late"}}))
        .run()
        .expect(200);
    assert_eq!(set["settings"]["customer_number"], "K-4711");
    let seen = customer
        .call(&s, Method::Get, &format!("/v1/relationships/{rel}"))
        .run();
    assert_eq!(seen.status, 200);
    assert!(seen.json().get("settings").is_none());
    assert!(!String::from_utf8_lossy(&seen.body).contains("pays late"));
    // Asking again is a conflict; the customer blocks and unblocks.
    supplier
        .call(&s, Method::Post, "/v1/relationships")
        .json(&json!({ "handle": "wydawnictwo", "my_role": "supplier" }))
        .run()
        .expect(409);
    let blocked = customer
        .call(&s, Method::Post, &format!("/v1/relationships/{rel}/block"))
        .run()
        .expect(200);
    assert_eq!(blocked["status"], "blocked");
    supplier
        .call(
            &s,
            Method::Post,
            &format!("/v1/relationships/{rel}/unblock"),
        )
        .run()
        .expect(403);
    customer
        .call(
            &s,
            Method::Post,
            &format!("/v1/relationships/{rel}/unblock"),
        )
        .run()
        .expect(200);
    // A card goes to the partner, who gets a contact and its vCard.
    supplier
        .call(&s, Method::Put, "/v1/cards/me")
        .json(&json!({"name": "Ada Admin", "title": "Sales", "phone": "+49 30 123456"}))
        .run()
        .expect(200);
    let sent = supplier
        .call(&s, Method::Post, "/v1/cards/me/send")
        .json(&json!({ "company_id": customer.id }))
        .run()
        .expect(200);
    let contact = sent["contact_id"].as_str().unwrap();
    let vcard = customer
        .call(&s, Method::Get, &format!("/v1/contacts/{contact}/vcard"))
        .run();
    assert_eq!(vcard.status, 200);
    assert!(String::from_utf8_lossy(&vcard.body).contains("FN:Ada Admin"));
    // Another company sees none of it.
    let stranger = sign_up(&s, "stranger");
    stranger
        .call(&s, Method::Get, &format!("/v1/relationships/{rel}"))
        .run()
        .expect(404);
    stranger
        .call(&s, Method::Get, &format!("/v1/contacts/{contact}"))
        .run()
        .expect(404);
}

#[test]
fn an_erps_order_reaches_the_supplier_and_comes_back_with_its_status() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let rel = connect(&s, &supplier, &customer);
    supplier
        .call(&s, Method::Patch, &format!("/v1/relationships/{rel}"))
        .json(&json!({"settings": {"customer_number": "K-4711"}}))
        .run()
        .expect(200);
    let erp = customer.api_key(&s, &["documents.send"]);
    let upload = |key: &str| {
        s.post("/v1/documents")
            .bearer(&erp)
            .header("tradepost-recipient", "acme-print")
            .header("tradepost-type", "order")
            .header("tradepost-filename", "PO-4711.xml")
            .header("idempotency-key", key)
            .bytes("application/xml", ORDER.to_vec())
            .run()
    };
    let doc = upload("po-4711").expect(201);
    let id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(doc["customer_number"], "K-4711");
    assert_eq!(doc["summary"]["format"], "ubl_order");
    // The retry after a timeout is the same document.
    let again = upload("po-4711");
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], id.as_str());
    let inbox_key = supplier.api_key(&s, &["documents.receive"]);
    let inbox = s
        .get("/v1/documents?box=inbox&status=new")
        .bearer(&inbox_key)
        .run()
        .expect(200);
    assert_eq!(inbox["data"].as_array().unwrap().len(), 1);
    let file = s
        .get(&format!("/v1/documents/{id}/content"))
        .bearer(&inbox_key)
        .run();
    assert_eq!(file.body, ORDER);
    s.post(&format!("/v1/documents/{id}/ack"))
        .bearer(&inbox_key)
        .json(&json!({"reference": "SO-1"}))
        .run()
        .expect(200);
    s.post(&format!("/v1/documents/{id}/status"))
        .bearer(&inbox_key)
        .json(&json!({"status": "shipped", "carrier": "DHL", "tracking_number": "1Z999"}))
        .run()
        .expect(200);
    let seen = customer
        .call(&s, Method::Get, &format!("/v1/documents/{id}"))
        .run()
        .expect(200);
    let statuses: Vec<&str> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "downloaded", "imported", "shipped"]);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM documents", &[]),
        1,
        "one document for two uploads with one key"
    );
}

#[test]
fn a_first_order_to_a_new_partner_waits_for_the_relationship() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let held = customer
        .call(&s, Method::Post, "/v1/documents")
        .header("tradepost-recipient", "acme-print")
        .header("tradepost-type", "order")
        .header("tradepost-filename", "PO-1.xml")
        .bytes("application/xml", ORDER.to_vec())
        .run()
        .expect(201);
    assert_eq!(held["status"], "held");
    let id = held["id"].as_str().unwrap();
    // The supplier sees the request, not the document.
    supplier
        .call(&s, Method::Get, &format!("/v1/documents/{id}"))
        .run()
        .expect(404);
    let rel = held["relationship_id"].as_str().unwrap();
    supplier
        .call(
            &s,
            Method::Post,
            &format!("/v1/relationships/{rel}/approve"),
        )
        .run()
        .expect(200);
    let delivered = supplier
        .call(&s, Method::Get, &format!("/v1/documents/{id}"))
        .run()
        .expect(200);
    assert_eq!(delivered["status"], "new");
    let events: Vec<String> = s
        .rows("SELECT type FROM events ORDER BY id", &[])
        .iter()
        .map(|r| match r.get("type") {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        })
        .collect();
    assert!(events.contains(&"relationship.requested".to_owned()));
    assert!(events.contains(&"document.deposited".to_owned()));
}

#[test]
fn a_proof_is_rejected_then_its_second_version_approved() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let _ = connect(&s, &supplier, &customer);
    let doc = customer
        .call(&s, Method::Post, "/v1/documents")
        .header("tradepost-recipient", "acme-print")
        .header("tradepost-type", "order")
        .header("tradepost-filename", "PO-2.xml")
        .bytes("application/xml", ORDER.to_vec())
        .run()
        .expect(201);
    let doc = doc["id"].as_str().unwrap();
    let proof = |bytes: &[u8]| {
        supplier
            .call(&s, Method::Post, &format!("/v1/documents/{doc}/proofs"))
            .header("tradepost-filename", "proof.pdf")
            .bytes("application/pdf", bytes.to_vec())
            .run()
            .expect(201)
    };
    let v1 = proof(b"%PDF-1.7 first");
    assert_eq!(v1["version"], 1);
    let v1_id = v1["id"].as_str().unwrap();
    // Rejecting needs a reason.
    customer
        .call(&s, Method::Post, &format!("/v1/approvals/{v1_id}/reject"))
        .json(&json!({}))
        .run()
        .expect(422);
    customer
        .call(&s, Method::Post, &format!("/v1/approvals/{v1_id}/reject"))
        .json(&json!({"comment": "Logo 2 mm to the left, please."}))
        .run()
        .expect(200);
    let v2 = proof(b"%PDF-1.7 second");
    assert_eq!(v2["version"], 2);
    let v2_id = v2["id"].as_str().unwrap();
    // The supplier cannot decide; the customer approves once.
    supplier
        .call(&s, Method::Post, &format!("/v1/approvals/{v2_id}/approve"))
        .run()
        .expect(403);
    let approved = customer
        .call(&s, Method::Post, &format!("/v1/approvals/{v2_id}/approve"))
        .run()
        .expect(200);
    assert_eq!(approved["decision"]["decision"], "approved");
    assert_eq!(
        approved["decision"]["sha256"],
        shared::secrets::sha256_hex(b"%PDF-1.7 second")
    );
    assert_eq!(approved["versions"].as_array().unwrap().len(), 2);
    customer
        .call(&s, Method::Post, &format!("/v1/approvals/{v2_id}/approve"))
        .run()
        .expect(409);
}

#[test]
fn people_of_both_companies_talk_and_a_webhook_tells_the_customers_system() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let _ = connect(&s, &supplier, &customer);
    // The customer's system listens for messages.
    let endpoint = customer
        .call(&s, Method::Post, "/v1/webhooks")
        .json(&json!({"url": "https://erp.wydawnictwo.example/hooks", "event_types": ["talk.message"]}))
        .run()
        .expect(201);
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    // The database holds the secret only sealed (AES-256-GCM under WEBHOOK_SECRETS_KEY).
    let stored = s.rows(
        "SELECT secret FROM webhook_endpoints WHERE id = ?1",
        &[Value::Text(endpoint["id"].as_str().unwrap().to_owned())],
    );
    let Some(Value::Text(sealed)) = stored[0].get("secret") else {
        panic!("no stored secret: {stored:?}");
    };
    assert!(sealed.starts_with("enc1."), "{sealed}");
    assert!(!sealed.contains(&secret["whsec_".len()..]), "{sealed}");
    s.http.answer(|_| {
        Ok(OutResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        })
    });
    let thread = supplier
        .call(&s, Method::Post, "/v1/threads")
        .json(&json!({"partner": "wydawnictwo", "subject": "Delivery", "text": "Can we ship on Friday?"}))
        .run()
        .expect(201);
    let thread_id = thread["id"].as_str().unwrap();
    let list = customer
        .call(&s, Method::Get, "/v1/threads?unread=true")
        .run()
        .expect(200);
    assert_eq!(list["counts"]["unread_messages"], 1);
    customer
        .call(
            &s,
            Method::Post,
            &format!("/v1/threads/{thread_id}/messages"),
        )
        .json(&json!({"text": "Friday is fine."}))
        .run()
        .expect(201);
    let read = customer
        .call(&s, Method::Post, &format!("/v1/threads/{thread_id}/read"))
        .run()
        .expect(200);
    assert_eq!(read["unread_count"], 0);
    deliver_events(&s);
    let sent = s.http.requests.borrow();
    let delivery = sent
        .iter()
        .find(|r| r.url == "https://erp.wydawnictwo.example/hooks")
        .expect("the message was delivered");
    let header = |name: &str| {
        delivery
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // Standard Webhooks: v1 is HMAC-SHA256 over id.timestamp.body with the whsec_ secret.
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            header("webhook-id"),
            header("webhook-timestamp"),
            String::from_utf8_lossy(&delivery.body)
        )
        .as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert!(
        header("webhook-signature")
            .split(' ')
            .any(|sig| sig == format!("v1,{expected}")),
        "a v1 signature with the endpoint's secret"
    );
    let body: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(body["type"], "talk.message");
    // The supplier's own endpoints heard nothing: the event was the customer's.
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'",
            &[]
        ),
        1
    );
}

#[test]
fn every_answer_says_how_many_database_round_trips_it_took() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    for (method, path) in [
        (Method::Get, "/v1/me"),
        (Method::Get, "/v1/relationships"),
        (Method::Get, "/v1/documents"),
        (Method::Delete, "/v1/me"),
    ] {
        let before = s.db.calls();
        let answer = acme.call(&s, method, path).run();
        let made = s.db.calls() - before;
        let timing = answer.header("server-timing").unwrap_or_default();
        assert!(
            timing.starts_with(&format!("d1;desc=\"{made} round trip")),
            "{path}: {made} database calls, Server-Timing says {timing:?}"
        );
    }
}

#[test]
fn in_production_server_timing_is_sent_only_when_switched_on() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    s.set("ENVIRONMENT", "production");
    let answer = acme.call(&s, Method::Get, "/v1/me").run();
    assert_eq!(answer.status, 200);
    assert!(answer.header("server-timing").is_none(), "off by default");
    s.set("SERVER_TIMING", "on");
    let answer = acme.call(&s, Method::Get, "/v1/me").run();
    let timing = answer.header("server-timing").unwrap_or_default();
    assert!(timing.starts_with("d1;desc=\"1 round trip\""), "{timing}");
}

/// The database round trips `call` made before its answer (as its `Server-Timing` says; the
/// bookkeeping after the answer does not count), and the answer.
fn counted(call: tradepost_testkit::Call<'_>) -> (u64, serde_json::Value) {
    let answer = call.run();
    assert!(
        answer.status < 300,
        "{}: {:?}",
        answer.status,
        answer.json()
    );
    let timing = answer
        .header("server-timing")
        .unwrap_or_default()
        .to_owned();
    let trips = timing
        .strip_prefix("d1;desc=\"")
        .and_then(|rest| rest.split_once(" round trip"))
        .and_then(|(n, _)| n.parse().ok());
    assert!(trips.is_some(), "no round trips in {timing:?}");
    let trips = trips.unwrap_or_default();
    let body = if answer.body.is_empty() {
        serde_json::Value::Null
    } else {
        answer.json()
    };
    (trips, body)
}

#[test]
fn the_hot_paths_make_the_round_trips_of_their_targets() {
    let s = stack();
    let p = pair(&s);
    let supplier_key = p.supplier.api_key(&s, &["documents.receive"]);

    // An upload: the key (the first time), one batch of the checks with the file's
    // announcement, one write batch.
    let (first, _) = counted(order(&s, &p.erp, "acme-print", "PO-1.xml"));
    assert_eq!(first, 3, "the first upload with a key");
    let partner_id = p.supplier.id.to_string();
    let (again, doc) = counted(order(&s, &p.erp, &partner_id, "PO-2.xml"));
    assert_eq!(again, 2, "an upload with a key this isolate knows");
    // Nothing stays announced: the write settled the key the checks announced.
    assert_eq!(s.count("SELECT COUNT(*) FROM pending_objects", &[]), 0);

    // A download: the document (and, the first time, marking it downloaded).
    let content = format!("/v1/documents/{}/content", text(&doc, "id"));
    let (_, _) = counted(s.get("/v1/documents").bearer(&supplier_key));
    let (first, _) = counted(s.get(&content).bearer(&supplier_key));
    assert_eq!(first, 2, "the first download marks the document downloaded");
    let (again, _) = counted(s.get(&content).bearer(&supplier_key));
    assert_eq!(again, 1, "a download");

    // A thread's messages: the thread and the page in one batch.
    let thread = p
        .supplier
        .call(&s, Method::Post, "/v1/threads")
        .json(&json!({"partner": "wydawnictwo", "subject": "Delivery", "text": "Friday?"}))
        .run()
        .expect(201);
    let messages = format!("/v1/threads/{}/messages", text(&thread, "id"));
    let (trips, _) = counted(p.customer.call(&s, Method::Get, &messages));
    assert_eq!(trips, 1, "a thread's messages");
    let (trips, _) = counted(
        p.customer
            .call(&s, Method::Post, &messages)
            .json(&json!({"text": "Friday is fine."})),
    );
    assert!(trips <= 2, "a talk post took {trips}");
    // Another company's thread is still a 404.
    let stranger = sign_up(&s, "stranger");
    stranger.call(&s, Method::Get, &messages).run().expect(404);
}

#[test]
fn a_webhook_leaves_straight_after_the_commit_and_the_queue_takes_what_notify_does_not() {
    let s = stack();
    tradepost_stories::bind_notify(&s);
    let p = pair(&s);
    p.supplier
        .call(&s, Method::Post, "/v1/webhooks")
        .json(&json!({"url": "https://erp.acme.example/hooks", "event_types": ["document.deposited"]}))
        .run()
        .expect(201);
    s.http.answer(|_| {
        Ok(OutResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        })
    });
    let hooks = |s: &tradepost_testkit::Stack| {
        s.http
            .requests
            .borrow()
            .iter()
            .filter(|r| r.url == "https://erp.acme.example/hooks")
            .count()
    };

    // Handed over to notify after the answer: delivered, and nothing on the queue.
    let _ = s.take_queue();
    let _ = delivered(&s, &p);
    let before = s.db.calls();
    tradepost_testkit::block_on(s.settle());
    let notify_trips = s.db.calls() - before;
    assert_eq!(hooks(&s), 1, "delivered without the queue");
    assert!(s.take_queue().is_empty(), "nothing went through the queue");
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'",
            &[]
        ),
        1
    );
    // The endpoints, the fan-out with its deliveries, the info mails' audience, and per
    // delivery its claim with the job and its outcome.
    assert!(
        notify_trips <= 5,
        "notify took {notify_trips} round trips for one event"
    );

    // Notify does not take them (down, or its database failed): they go to the queue, and the
    // queue's consumer delivers them, once.
    let refusing = tradepost_testkit::ScriptedHttp::default();
    refusing.answer(|_| {
        Ok(OutResponse {
            status: 503,
            headers: Vec::new(),
            body: Vec::new(),
        })
    });
    s.bind_notify(std::rc::Rc::new(refusing));
    let _ = order(&s, &p.erp, "acme-print", "PO-2.xml")
        .run()
        .expect(201);
    tradepost_testkit::block_on(s.settle());
    assert_eq!(hooks(&s), 1, "not yet delivered");
    assert!(!s.queued().is_empty(), "the events went to the queue");
    deliver_events(&s);
    assert_eq!(hooks(&s), 2, "delivered through the queue");

    // Notify took the events but its answer was lost, so the queue carries them as well: the
    // queue's copy finds the delivery attempted and delivers nothing twice.
    tradepost_stories::bind_notify(&s);
    let doc = order(&s, &p.erp, "acme-print", "PO-3.xml")
        .run()
        .expect(201);
    tradepost_testkit::block_on(s.settle());
    assert_eq!(hooks(&s), 3);
    let stored = s.texts(
        "SELECT json_object('id', id, 'type', type, 'created_at', created_at, \
         'company_id', company_id, 'data', json(data)) FROM events \
         WHERE type = 'document.deposited' AND json_extract(data, '$.document_id') = ?1",
        &[Value::Text(text(&doc, "id"))],
    );
    let event = serde_json::from_str(&stored[0]).unwrap();
    let again = tradepost_testkit::block_on(tradepost_notify::consumer::consume_event(
        &s.platform(),
        &event,
    ))
    .unwrap();
    assert!(
        again.is_empty(),
        "the delivery was attempted already: {again:?}"
    );
    deliver_events(&s);
    assert_eq!(hooks(&s), 3, "nothing delivered twice");
}
