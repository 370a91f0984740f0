//! Faults at every platform call of every write path, natively. A write path is run once
//! cleanly to count its database calls and file operations; then, once per call, on a fresh
//! stack, that call fails — before it acts, or after it acted with its answer lost — and so does
//! the queue. Each time:
//! - the answer is a status the OpenAPI document gives for the route;
//! - nothing half-done is visible: every stored document, proof and attachment has its whole
//!   file, and every file belongs to a row or is announced for the sweep ([`coherent`]);
//! - the client's retry (the same request again, with the same `Idempotency-Key` where the route
//!   takes one) succeeds and leaves one outcome (each path's own check);
//! - the outbox resender and the sweep finish or remove what was left: every event reaches the
//!   queue's consumer, and no file is left that no row names.
//!
//! `cargo test -p tradepost-stories --test faults -- --nocapture` prints what was tried.

// The checks' helpers end the test with what went wrong.
#![allow(clippy::panic)]

use serde_json::json;
use shared::platform::{DbError, Value};
use shared::service::Method;
use tradepost_stories::{
    appointment_body, deliver_events, delivered, documented, invoiced, link_token, new_upload,
    order, pair, planned, sign_up, stack, text, Pair, Planned, ORDER,
};
use tradepost_testkit::{block_on, Answer, Call, Stack};

/// One way a platform call fails.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The n-th database call fails; `after`: it was done, its answer is lost.
    Db { nth: u64, after: bool },
    /// The n-th file operation fails, likewise.
    Files { nth: u64, after: bool },
    /// Every queue send fails (events stay in the outbox).
    Queue,
}

fn inject(s: &Stack, fault: Fault) {
    let error = || DbError::Other("D1 unavailable (injected)".to_owned());
    match fault {
        Fault::Db { nth, after: false } => s.db.fail_nth(nth, error()),
        Fault::Db { nth, after: true } => s.db.fail_nth_after(nth, error()),
        Fault::Files { nth, after } => s.files.fail_nth(nth, after),
        Fault::Queue => s.queue.failing.set(true),
    }
}

fn count(s: &Stack, sql: &str) -> i64 {
    s.count(sql, &[])
}

/// Sends a call, checking its answer is documented for its route (a 500 included: that is what
/// a platform failure answers).
fn send(call: Call<'_>) -> Answer {
    let (template, statuses) = documented(call.req.method, &call.req.path);
    let method = call.req.method;
    let answer = block_on(call.send());
    assert!(
        statuses.contains(&answer.status),
        "{} {template} answered {} (documented: {statuses:?}): {}",
        method.as_str(),
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    answer
}

/// Nothing half-done: every stored document, proof and attachment has its whole file, and every
/// file in the bucket belongs to one of them or is announced for the sweep (`swept`: the sweep
/// ran, so no announced file may be left either).
fn coherent(s: &Stack, swept: bool, what: &str) {
    let mut named: Vec<String> = Vec::new();
    for (table, filter) in [
        ("documents", "file_deleted = 0"),
        ("approvals", "1 = 1"),
        ("attachments", "1 = 1"),
    ] {
        let rows = s.rows(
            &format!("SELECT object_key, sha256 FROM {table} WHERE {filter}"),
            &[],
        );
        for row in rows {
            let (Some(Value::Text(key)), Some(Value::Text(sha256))) =
                (row.get("object_key"), row.get("sha256"))
            else {
                panic!("{what}: a {table} row without its key or hash");
            };
            let bytes = s
                .files
                .read(key)
                .unwrap_or_else(|| panic!("{what}: a {table} row whose file {key} is missing"));
            assert_eq!(
                &shared::secrets::sha256_hex(&bytes),
                sha256,
                "{what}: the file of a {table} row is not the one it names"
            );
            named.push(key.clone());
        }
    }
    let announced = s.texts("SELECT object_key FROM pending_objects", &[]);
    for key in s.files.keys() {
        assert!(
            named.contains(&key) || (!swept && announced.contains(&key)),
            "{what}: the file {key} belongs to nothing{}",
            if swept {
                " after the sweep"
            } else {
                " and is not announced"
            }
        );
    }
}

/// What the platform does on its own after a failure: the queue's consumer takes what was
/// sent, the outbox resender sends what was not (a few minutes later), the sweep removes files
/// left behind (an hour later). Afterwards every event has reached the consumer.
fn recover(s: &Stack, what: &str) {
    s.queue.failing.set(false);
    deliver_events(s);
    s.clock.advance(chrono::Duration::minutes(5));
    let cron = block_on(tradepost_notify::consumer::run_cron(
        &s.platform(),
        shared::platform::Clock::now(s.clock.as_ref()),
        None,
    ));
    assert!(cron.is_ok(), "{what}: the resender failed: {cron:?}");
    deliver_events(s);
    assert_eq!(
        count(s, "SELECT COUNT(*) FROM events WHERE consumed_at IS NULL"),
        0,
        "{what}: an event never reached the consumer"
    );
    let as_of = shared::platform::Clock::now(s.clock.as_ref()) + chrono::Duration::hours(2);
    s.post("/v1/dev/sweep")
        .json(&json!({ "as_of": shared::time::format(as_of) }))
        .run()
        .expect(200);
}

/// A write path: its world, its request, what a retry may answer besides 2xx, and the one
/// outcome it must leave.
struct WritePath<W> {
    name: &'static str,
    setup: fn(&Stack) -> W,
    act: for<'s> fn(&'s Stack, &W) -> Call<'s>,
    /// Statuses a retry may answer when the first attempt succeeded though its answer was
    /// lost (409 for a create by a natural key, say).
    retry_may: &'static [u16],
    settled: fn(&Stack, &W),
}

/// Runs `path` with every fault, returns the report line.
fn break_everywhere<W>(path: &WritePath<W>) -> String {
    let clean = stack();
    let world = (path.setup)(&clean);
    let (db0, files0) = (clean.db.calls(), clean.files.calls());
    let answer = send((path.act)(&clean, &world));
    assert!(
        answer.status < 300,
        "{}: the clean run answered {}: {}",
        path.name,
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let (db_calls, file_calls) = (clean.db.calls() - db0, clean.files.calls() - files0);
    recover(&clean, path.name);
    coherent(&clean, true, path.name);
    (path.settled)(&clean, &world);

    let mut faults = vec![Fault::Queue];
    for nth in 1..=db_calls {
        faults.push(Fault::Db { nth, after: false });
        faults.push(Fault::Db { nth, after: true });
    }
    for nth in 1..=file_calls {
        faults.push(Fault::Files { nth, after: false });
        faults.push(Fault::Files { nth, after: true });
    }
    let mut firsts: Vec<(u16, usize)> = Vec::new();
    for fault in &faults {
        let what = format!("{} with {fault:?}", path.name);
        let s = stack();
        let world = (path.setup)(&s);
        inject(&s, *fault);
        let first = send((path.act)(&s, &world));
        match firsts
            .iter_mut()
            .find(|(status, _)| *status == first.status)
        {
            Some((_, n)) => *n += 1,
            None => firsts.push((first.status, 1)),
        }
        s.queue.failing.set(false);
        coherent(&s, false, &what);
        let retry = send((path.act)(&s, &world));
        assert!(
            retry.status < 300 || path.retry_may.contains(&retry.status),
            "{what}: the retry answered {}: {}",
            retry.status,
            String::from_utf8_lossy(&retry.body)
        );
        recover(&s, &what);
        coherent(&s, true, &what);
        (path.settled)(&s, &world);
    }
    firsts.sort_unstable();
    let report = format!(
        "{}: {db_calls} database calls and {file_calls} file operations; {} faults, first \
         answers {firsts:?}; every retry left one outcome",
        path.name,
        faults.len()
    );
    eprintln!("{report}");
    report
}

fn one(s: &Stack, sql: &str, what: &str) {
    assert_eq!(count(s, sql), 1, "{what}: {sql}");
}

// ---- the document exchange ------------------------------------------------------------------

#[test]
fn an_order_upload_survives_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/documents (raw, Idempotency-Key)",
        setup: pair,
        act: |s, p| order(s, &p.erp, "acme-print", "PO-1.xml").header("idempotency-key", "po-1"),
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM documents WHERE idempotency_key = 'po-1' AND status = 'new'",
                "one delivered document",
            );
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'document.deposited'",
                "one event",
            );
        },
    });
}

#[test]
fn a_first_contact_upload_survives_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/documents (first contact)",
        setup: |s| {
            let _ = sign_up(s, "acme-print");
            let customer = sign_up(s, "wydawnictwo");
            customer.api_key(s, &["documents.send"])
        },
        act: |s, key| order(s, key, "acme-print", "PO-1.xml").header("idempotency-key", "po-1"),
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM documents WHERE status = 'held'",
                "one held document",
            );
            one(
                s,
                "SELECT COUNT(*) FROM relationships WHERE status = 'requested'",
                "one request",
            );
        },
    });
}

fn form_body(recipient: &str) -> Vec<u8> {
    let mut body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\n{recipient}\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\norder\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"PO-1.xml\"\r\n\
         Content-Type: application/xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(ORDER);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    body
}

#[test]
fn a_form_upload_survives_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/documents (form)",
        setup: pair,
        act: |s, p| {
            p.customer
                .call(s, Method::Post, "/v1/documents")
                .header("idempotency-key", "po-1")
                .bytes("multipart/form-data; boundary=XyZ", form_body("acme-print"))
        },
        retry_may: &[],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM documents", "one document"),
    });
}

/// A pair with an open multipart upload of [`ORDER`] in one part.
fn with_upload(s: &Stack) -> (Pair, String) {
    let p = pair(s);
    let id = new_upload(s, &p);
    (p, id)
}

fn put_part<'s>(s: &'s Stack, w: &(Pair, String)) -> Call<'s> {
    s.call(Method::Put, &format!("/v1/uploads/{}/parts/1", w.1))
        .bearer(&w.0.erp)
        .bytes("application/octet-stream", ORDER.to_vec())
}

#[test]
fn a_part_survives_every_fault() {
    break_everywhere(&WritePath {
        name: "PUT /v1/uploads/{id}/parts/{n}",
        setup: with_upload,
        act: put_part,
        retry_may: &[],
        settled: |s, w| {
            one(s, "SELECT COUNT(*) FROM upload_parts", "one part");
            let done = s
                .post(&format!("/v1/uploads/{}/complete", w.1))
                .bearer(&w.0.erp)
                .run()
                .expect(201);
            assert_eq!(text(&done, "sha256"), shared::secrets::sha256_hex(ORDER));
        },
    });
}

#[test]
fn completing_an_upload_survives_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/uploads/{id}/complete",
        setup: |s| {
            let w = with_upload(s);
            put_part(s, &w).run().expect(200);
            w
        },
        act: |s, w| {
            s.post(&format!("/v1/uploads/{}/complete", w.1))
                .bearer(&w.0.erp)
        },
        // A completion cut off after its claim holds the upload for five minutes.
        retry_may: &[409],
        settled: |s, w| {
            s.clock.advance(chrono::Duration::minutes(6));
            let done = s
                .post(&format!("/v1/uploads/{}/complete", w.1))
                .bearer(&w.0.erp)
                .run();
            assert!(matches!(done.status, 200 | 201), "{}", done.status);
            assert_eq!(
                text(&done.json(), "sha256"),
                shared::secrets::sha256_hex(ORDER)
            );
            one(s, "SELECT COUNT(*) FROM documents", "one document");
            one(
                s,
                "SELECT COUNT(*) FROM uploads WHERE status = 'completed'",
                "the upload completed",
            );
        },
    });
}

/// A pair with a delivered document, and the supplier's inbox key.
fn with_document(s: &Stack) -> (Pair, String, String) {
    let p = pair(s);
    let doc = delivered(s, &p);
    let inbox = p.supplier.api_key(s, &["documents.receive"]);
    (p, doc, inbox)
}

#[test]
fn acknowledgements_status_reports_and_cancellations_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/documents/{id}/ack",
        setup: with_document,
        act: |s, w| {
            s.post(&format!("/v1/documents/{}/ack", w.1))
                .bearer(&w.2)
                .json(&json!({"reference": "SO-1"}))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM document_history WHERE status = 'imported'",
                "one acknowledgement",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/documents/{id}/status",
        setup: with_document,
        act: |s, w| {
            s.post(&format!("/v1/documents/{}/status", w.1))
                .bearer(&w.2)
                .json(&json!({"status": "shipped", "carrier": "DHL"}))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM document_history WHERE status = 'shipped'",
                "one report",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/documents/{id}/cancel",
        setup: with_document,
        act: |s, w| {
            s.post(&format!("/v1/documents/{}/cancel", w.1))
                .bearer(&w.0.erp)
                .json(&json!({"reason": "ordered twice"}))
        },
        // Cancelled is final: a cancel again is refused, and the cancellation stands.
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM document_history WHERE status = 'cancelled'",
                "one cancellation",
            );
        },
    });
}

// ---- approvals ------------------------------------------------------------------------------

#[test]
fn proofs_and_decisions_survive_every_fault() {
    fn proof<'s>(s: &'s Stack, w: &(Pair, String, String)) -> Call<'s> {
        w.0.supplier
            .call(s, Method::Post, &format!("/v1/documents/{}/proofs", w.1))
            .header("tradepost-filename", "proof.pdf")
            .header("idempotency-key", "proof-1")
            .bytes("application/pdf", b"%PDF-1.7 proof".to_vec())
    }
    break_everywhere(&WritePath {
        name: "POST /v1/documents/{id}/proofs (Idempotency-Key)",
        setup: with_document,
        act: proof,
        retry_may: &[],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM approvals", "one proof"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/approvals/{id}/approve",
        setup: |s| {
            let w = with_document(s);
            let approval = proof(s, &w).run().expect(201);
            (w, text(&approval, "id"))
        },
        act: |s, (w, approval)| {
            w.0.customer
                .call(
                    s,
                    Method::Post,
                    &format!("/v1/approvals/{approval}/approve"),
                )
                .json(&json!({"comment": "fine"}))
        },
        // Approving a decided proof again is refused; the decision stands.
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM approvals WHERE status = 'approved'",
                "one decision",
            );
        },
    });
}

// ---- talk -----------------------------------------------------------------------------------

#[test]
fn threads_messages_and_attachments_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/threads (Idempotency-Key)",
        setup: pair,
        act: |s, p| {
            p.supplier
                .call(s, Method::Post, "/v1/threads")
                .header("idempotency-key", "thread-1")
                .json(&json!({"partner": "wydawnictwo", "subject": "Delivery", "text": "Friday?"}))
        },
        retry_may: &[],
        settled: |s, _| {
            one(s, "SELECT COUNT(*) FROM threads", "one thread");
            one(s, "SELECT COUNT(*) FROM messages", "one message");
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/threads/{id}/messages (Idempotency-Key)",
        setup: |s| {
            let p = pair(s);
            let thread = p
                .supplier
                .call(s, Method::Post, "/v1/threads")
                .json(&json!({"partner": "wydawnictwo", "subject": "Delivery", "text": "Friday?"}))
                .run()
                .expect(201);
            (p, text(&thread, "id"))
        },
        act: |s, (p, thread)| {
            p.customer
                .call(s, Method::Post, &format!("/v1/threads/{thread}/messages"))
                .header("idempotency-key", "answer-1")
                .json(&json!({"text": "Friday is fine."}))
        },
        retry_may: &[],
        settled: |s, _| {
            assert_eq!(count(s, "SELECT COUNT(*) FROM messages"), 2, "one answer");
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/attachments",
        setup: pair,
        act: |s, p| {
            p.supplier
                .call(s, Method::Post, "/v1/attachments")
                .header("tradepost-filename", "photo.png")
                .bytes("image/png", b"\x89PNG not really".to_vec())
        },
        retry_may: &[],
        // An attachment never sent in a message is swept with its file after an hour.
        settled: |s, _| {
            assert_eq!(
                count(
                    s,
                    "SELECT COUNT(*) FROM attachments WHERE message_id IS NULL"
                ),
                0
            );
        },
    });
}

// ---- accounts and partners ------------------------------------------------------------------

#[test]
fn sign_up_relationships_and_cards_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/auth/signup",
        setup: |_| (),
        act: |s, ()| {
            s.post("/v1/auth/signup").json(&json!({
                "company_name": "Acme Print GmbH", "handle": "acme-print", "name": "Ada",
                "email": "ada@acme-print.example", "password": "a long passphrase",
            }))
        },
        // Signed up already: the handle is taken; the confirmation mail was sent.
        retry_may: &[409],
        settled: |s, ()| {
            one(s, "SELECT COUNT(*) FROM companies", "one company");
            assert!(!link_token(s, "ada@acme-print.example").is_empty());
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/relationships",
        setup: |s| (sign_up(s, "acme-print"), sign_up(s, "wydawnictwo")),
        act: |s, (supplier, _)| {
            supplier
                .call(s, Method::Post, "/v1/relationships")
                .json(&json!({"handle": "wydawnictwo", "my_role": "supplier"}))
        },
        // Asked already: the pair is taken.
        retry_may: &[409],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM relationships", "one relationship"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/relationships/{id}/approve",
        setup: |s| {
            let supplier = sign_up(s, "acme-print");
            let customer = sign_up(s, "wydawnictwo");
            let asked = supplier
                .call(s, Method::Post, "/v1/relationships")
                .json(&json!({"handle": "wydawnictwo", "my_role": "supplier"}))
                .run()
                .expect(201);
            (customer, text(&asked, "id"))
        },
        act: |s, (customer, rel)| {
            customer.call(s, Method::Post, &format!("/v1/relationships/{rel}/approve"))
        },
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM relationships WHERE status = 'active'",
                "approved",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/cards/me/send",
        setup: |s| {
            let p = pair(s);
            p.supplier
                .call(s, Method::Put, "/v1/cards/me")
                .json(&json!({"name": "Ada Admin", "title": "Sales"}))
                .run()
                .expect(200);
            p
        },
        act: |s, p| {
            p.supplier
                .call(s, Method::Post, "/v1/cards/me/send")
                .json(&json!({ "company_id": p.customer.id }))
        },
        retry_may: &[],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM contacts", "one contact"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/users",
        setup: |s| sign_up(s, "acme-print"),
        act: |s, acme| {
            acme.call(s, Method::Post, "/v1/users").json(
                &json!({"email": "bea@acme-print.example", "name": "Bea", "permissions": ["talk"]}),
            )
        },
        // Invited already: the address is taken.
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM users WHERE email = 'bea@acme-print.example'",
                "one colleague",
            );
        },
    });
}

// ---- webhooks -------------------------------------------------------------------------------

#[test]
fn webhook_endpoints_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/webhooks",
        setup: pair,
        act: |s, p| {
            p.customer
                .call(s, Method::Post, "/v1/webhooks")
                .json(&json!({"url": "https://erp.example/hooks"}))
        },
        // Registered already: one endpoint per URL.
        retry_may: &[409],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM webhook_endpoints", "one endpoint"),
    });
}

/// The queue's consumer with a webhook endpoint listening: what an upload's event becomes.
fn deliveries_world(s: &Stack) -> Vec<serde_json::Value> {
    let p = pair(s);
    p.customer
        .call(s, Method::Post, "/v1/webhooks")
        .json(&json!({"url": "https://erp.example/hooks", "event_types": ["document.deposited"]}))
        .run()
        .expect(201);
    let _ = s.take_queue();
    p.supplier
        .call(s, Method::Post, "/v1/documents")
        .header("tradepost-recipient", "wydawnictwo")
        .header("tradepost-type", "order_response")
        .header("tradepost-filename", "OR-1.xml")
        .bytes("application/xml", ORDER.to_vec())
        .run()
        .expect(201);
    s.take_queue()
        .iter()
        .filter_map(|(json, _)| serde_json::from_str(json).ok())
        .collect()
}

/// The consumer takes `bodies` once; what it does not acknowledge goes back on the queue, as
/// the queue redelivers it.
fn consume_once(s: &Stack, bodies: &[serde_json::Value]) {
    let acks = block_on(async {
        let acks = tradepost_notify::consumer::handle_batch(&s.platform(), bodies).await;
        s.settle().await;
        acks
    });
    for (body, ack) in bodies.iter().zip(acks) {
        if !ack {
            s.queue.sent.borrow_mut().push((body.to_string(), 0));
        }
    }
}

/// Retries come due: an hour on, the resender's cron, the queue drained; a few times over.
fn drain_deliveries(s: &Stack) {
    for _ in 0..4 {
        deliver_events(s);
        s.clock.advance(chrono::Duration::hours(1));
        let _ = block_on(tradepost_notify::consumer::run_cron(
            &s.platform(),
            shared::platform::Clock::now(s.clock.as_ref()),
            None,
        ));
    }
    deliver_events(s);
}

#[test]
fn webhook_deliveries_survive_every_fault_and_a_failing_receiver() {
    let clean = stack();
    let bodies = deliveries_world(&clean);
    let db0 = clean.db.calls();
    consume_once(&clean, &bodies);
    let db_calls = clean.db.calls() - db0;
    assert_eq!(clean.http.requests.borrow().len(), 1, "one attempt");

    let mut faults: Vec<Option<(u64, bool)>> = vec![None];
    for nth in 1..=db_calls {
        faults.push(Some((nth, false)));
        faults.push(Some((nth, true)));
    }
    for fault in &faults {
        let what = format!("the delivery of document.deposited with {fault:?}");
        let s = stack();
        let bodies = deliveries_world(&s);
        match fault {
            Some((nth, false)) => {
                s.db.fail_nth(*nth, DbError::Other("D1 unavailable (injected)".into()))
            }
            Some((nth, true)) => {
                s.db.fail_nth_after(*nth, DbError::Other("D1 unavailable (injected)".into()))
            }
            // The receiver is down for the first attempt.
            None => {
                let calls = std::cell::Cell::new(0);
                s.http.answer(move |_| {
                    calls.set(calls.get() + 1);
                    if calls.get() == 1 {
                        Err(shared::platform::FetchError::Network("refused".into()))
                    } else {
                        Ok(shared::platform::OutResponse {
                            status: 204,
                            headers: Vec::new(),
                            body: Vec::new(),
                        })
                    }
                });
            }
        }
        consume_once(&s, &bodies);
        drain_deliveries(&s);
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM deliveries WHERE event_type = 'document.deposited'"
            ),
            1,
            "{what}: one delivery"
        );
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'"
            ),
            1,
            "{what}: delivered in the end"
        );
        let requests = s.http.requests.borrow();
        let ids: Vec<String> = requests
            .iter()
            .filter_map(|r| {
                r.headers
                    .iter()
                    .find(|(n, _)| n == "webhook-id")
                    .map(|(_, v)| v.clone())
            })
            .collect();
        assert!(!ids.is_empty(), "{what}: never sent");
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "{what}: a redelivery must carry the same webhook-id: {ids:?}"
        );
        assert_eq!(
            count(&s, "SELECT COUNT(*) FROM events WHERE consumed_at IS NULL"),
            0,
            "{what}: an event was left"
        );
    }
    eprintln!(
        "queue consumer and webhook attempt: {db_calls} database calls; {} faults (each call \
         before and after, and a receiver down once): one delivery each time, delivered, one \
         webhook-id",
        faults.len()
    );
}

// ---- connectors -----------------------------------------------------------------------------

#[test]
fn connector_registrations_and_run_reports_survive_every_fault() {
    fn register<'s>(s: &'s Stack, key: &str) -> Call<'s> {
        s.post("/v1/connectors").bearer(key).json(&json!({
            "name": "ERP-1", "operations": [{"operation": "send", "interval_secs": 60}],
        }))
    }
    break_everywhere(&WritePath {
        name: "POST /v1/connectors",
        setup: |s| sign_up(s, "acme-print").api_key(s, &[]),
        act: |s, key| register(s, key),
        // Registered already: the same connector, 200.
        retry_may: &[],
        settled: |s, _| {
            one(s, "SELECT COUNT(*) FROM connectors", "one connector");
            one(
                s,
                "SELECT COUNT(*) FROM connector_operations",
                "one operation",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/connectors/{id}/runs",
        setup: |s| {
            let key = sign_up(s, "acme-print").api_key(s, &[]);
            let connector = register(s, &key).run().expect(201);
            (key, text(&connector, "id"))
        },
        act: |s, (key, id)| {
            s.post(&format!("/v1/connectors/{id}/runs"))
                .bearer(key)
                .json(&json!({
                    "operation": "send", "started_at": "2026-03-02T10:00:00Z",
                    "finished_at": "2026-03-02T10:00:05Z", "files": 3, "errors": 1,
                }))
        },
        // Reported already: the stored run, 200.
        retry_may: &[],
        settled: |s, _| {
            one(s, "SELECT COUNT(*) FROM connector_runs", "one run");
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'connector.run_failed'",
                "one event",
            );
        },
    });
}

// ---- appointments ---------------------------------------------------------------------------

/// A [`Planned`] pair whose supplier has a staff member.
struct Staffed {
    planned: Planned,
    staff: String,
}

impl std::ops::Deref for Staffed {
    type Target = Planned;

    fn deref(&self) -> &Planned {
        &self.planned
    }
}

fn staffed(s: &Stack) -> Staffed {
    let planned = planned(s);
    let staff = planned
        .p
        .supplier
        .call(s, Method::Post, "/v1/staff")
        .json(&json!({"name": "Jan", "role": "Merchandiser", "email": "jan@acme-print.example"}))
        .run()
        .expect(201);
    Staffed {
        staff: text(&staff, "id"),
        planned,
    }
}

/// [`staffed`] with an appointment the customer proposed.
fn proposed(s: &Stack) -> (Staffed, String) {
    let w = staffed(s);
    let a =
        w.p.customer
            .call(s, Method::Post, "/v1/appointments")
            .json(&appointment_body(&w, "Shelf check"))
            .run()
            .expect(201);
    (w, text(&a, "id"))
}

/// [`staffed`] with an appointment the supplier planned (confirmed).
fn confirmed(s: &Stack) -> (Staffed, String) {
    let w = staffed(s);
    let a =
        w.p.supplier
            .call(s, Method::Post, "/v1/appointments")
            .json(&appointment_body(&w, "Shelf check"))
            .run()
            .expect(201);
    (w, text(&a, "id"))
}

#[test]
fn projects_places_staff_and_contacts_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/projects",
        setup: planned,
        act: |s, w| {
            w.p.supplier
                .call(s, Method::Post, "/v1/projects")
                .json(&json!({"customer": "wydawnictwo", "name": "Autumn"}))
        },
        // Made already: the name is taken.
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM projects WHERE name = 'Autumn'",
                "one project",
            )
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/territories",
        setup: planned,
        act: |s, w| {
            w.p.supplier
                .call(s, Method::Post, "/v1/territories")
                .json(&json!({"customer": "wydawnictwo", "name": "Małopolska"}))
        },
        retry_may: &[409],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM territories", "one territory"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/locations",
        setup: planned,
        act: |s, w| {
            w.p.supplier.call(s, Method::Post, "/v1/locations").json(
                &json!({"customer": "wydawnictwo", "name": "Store 2", "city": "Łódź",
                              "country": "PL", "time_zone": "Europe/Warsaw"}),
            )
        },
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM locations WHERE name = 'Store 2'",
                "one location",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/staff",
        setup: planned,
        act: |s, w| {
            w.p.supplier
                .call(s, Method::Post, "/v1/staff")
                .json(&json!({"name": "Eva", "role": "Team lead"}))
        },
        retry_may: &[409],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM staff WHERE name = 'Eva'",
                "one member",
            )
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/projects/{id}/contacts",
        setup: planned,
        act: |s, w| {
            w.p.supplier
                .call(
                    s,
                    Method::Post,
                    &format!("/v1/projects/{}/contacts", w.project),
                )
                .json(&json!({ "email": w.p.customer.admin_email }))
        },
        // Assigned already: 200.
        retry_may: &[],
        settled: |s, _| one(s, "SELECT COUNT(*) FROM project_contacts", "one contact"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/calendar-feeds",
        setup: planned,
        act: |s, w| w.p.customer.call(s, Method::Post, "/v1/calendar-feeds"),
        retry_may: &[],
        // A feed whose answer was lost is listed for its person to revoke; its URL was never
        // seen, so nobody can use it.
        settled: |s, _| {
            let feeds = count(s, "SELECT COUNT(*) FROM calendar_feeds");
            assert!((1..=2).contains(&feeds), "{feeds} feeds");
        },
    });
}

#[test]
fn appointments_and_their_decisions_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/appointments (planned, Idempotency-Key)",
        setup: planned,
        act: |s, w| {
            w.p.supplier
                .call(s, Method::Post, "/v1/appointments")
                .header("idempotency-key", "apt-1")
                .json(&appointment_body(w, "Shelf check"))
        },
        retry_may: &[],
        settled: |s, _| {
            one(s, "SELECT COUNT(*) FROM appointments", "one appointment");
            one(s, "SELECT COUNT(*) FROM appointment_history", "one entry");
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/appointments (proposed, Idempotency-Key)",
        setup: planned,
        act: |s, w| {
            w.p.customer
                .call(s, Method::Post, "/v1/appointments")
                .header("idempotency-key", "apt-1")
                .json(&appointment_body(w, "Shelf check"))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM appointments WHERE status = 'proposed'",
                "one proposal",
            );
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'appointment.proposed'",
                "one event",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/appointments/{id}/confirm",
        setup: proposed,
        act: |s, (w, id)| {
            w.p.supplier
                .call(s, Method::Post, &format!("/v1/appointments/{id}/confirm"))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM appointment_history WHERE status = 'confirmed'",
                "one confirmation",
            );
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'appointment.decided'",
                "one event",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/appointments/{id}/reject",
        setup: proposed,
        act: |s, (w, id)| {
            w.p.supplier
                .call(s, Method::Post, &format!("/v1/appointments/{id}/reject"))
                .json(&json!({"reason": "no staff that day"}))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM appointment_history WHERE status = 'rejected'",
                "one rejection",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "PUT /v1/appointments/{id}/staff",
        setup: confirmed,
        act: |s, (w, id)| {
            w.p.supplier
                .call(s, Method::Put, &format!("/v1/appointments/{id}/staff"))
                .json(&json!({ "staff_ids": [w.staff] }))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM appointment_history WHERE status = 'staffed'",
                "one staffing",
            );
            one(
                s,
                "SELECT COUNT(*) FROM appointment_staff",
                "one member named",
            );
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'appointment.staffed'",
                "one event",
            );
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/appointments/{id}/cancel",
        setup: confirmed,
        act: |s, (w, id)| {
            w.p.customer
                .call(s, Method::Post, &format!("/v1/appointments/{id}/cancel"))
                .json(&json!({"reason": "store closed"}))
        },
        retry_may: &[],
        settled: |s, _| {
            one(
                s,
                "SELECT COUNT(*) FROM appointment_history WHERE status = 'cancelled'",
                "one cancellation",
            );
            one(
                s,
                "SELECT COUNT(*) FROM events WHERE type = 'appointment.cancelled'",
                "one event",
            );
        },
    });
}

// ---- invoices -------------------------------------------------------------------------------

#[test]
fn an_invoice_and_its_way_to_payment_survive_every_fault() {
    break_everywhere(&WritePath {
        name: "POST /v1/documents (an invoice, read by the invoices cron)",
        setup: pair,
        act: |s, p| {
            let body =
                include_str!("../../shared/tests/fixtures/invoices/order-invoice.template.xml")
                    .replace("{NUMBER}", "RE-1")
                    .replace("{ORDER}", "PO-1")
                    .replace("{DUE}", "2099-12-31");
            p.supplier
                .call(s, Method::Post, "/v1/documents")
                .header("tradepost-recipient", "wydawnictwo")
                .header("tradepost-type", "invoice")
                .header("tradepost-filename", "RE-1.xml")
                .header("idempotency-key", "re-1")
                .bytes("application/xml", body.into_bytes())
        },
        retry_may: &[],
        settled: |s, _| {
            // Whatever the queue got, the cron reads what is unread.
            let now = shared::platform::Clock::now(s.clock.as_ref());
            let cron = block_on(tradepost_invoices::read::run_cron(
                &s.platform(),
                now,
                shared::time::Time(now),
                None,
            ));
            assert!(cron.is_ok(), "{cron:?}");
            one(
                s,
                "SELECT COUNT(*) FROM invoices WHERE recognition = 'recognised'",
                "one invoice read",
            );
            one(s, "SELECT COUNT(*) FROM invoice_history", "one entry");
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/invoices/{id}/received",
        setup: an_invoice,
        act: |s, (p, id)| {
            p.customer
                .call(s, Method::Post, &format!("/v1/invoices/{id}/received"))
        },
        retry_may: &[],
        settled: |s, _| invoice_moved(s, "received", "invoice.received"),
    });
    break_everywhere(&WritePath {
        name: "POST /v1/invoices/{id}/dispute",
        setup: an_invoice,
        act: |s, (p, id)| {
            p.customer
                .call(s, Method::Post, &format!("/v1/invoices/{id}/dispute"))
                .json(&json!({"reason": "never delivered"}))
        },
        retry_may: &[],
        settled: |s, _| {
            invoice_moved(s, "disputed", "invoice.disputed");
            one(s, "SELECT COUNT(*) FROM threads", "one thread");
            one(s, "SELECT COUNT(*) FROM messages", "one message");
        },
    });
    break_everywhere(&WritePath {
        name: "POST /v1/invoices/{id}/paid",
        setup: an_invoice,
        act: |s, (p, id)| {
            p.customer
                .call(s, Method::Post, &format!("/v1/invoices/{id}/paid"))
                .json(&json!({"paid_on": "2026-01-15", "amount": "1190.00"}))
        },
        retry_may: &[],
        settled: |s, _| invoice_moved(s, "paid", "invoice.paid"),
    });
}

/// A [`pair`] and an invoice of the supplier to the customer, read.
fn an_invoice(s: &Stack) -> (Pair, String) {
    let p = pair(s);
    let id = invoiced(s, &p, "RE-1");
    (p, id)
}

/// The invoice moved to `state` once, with its status bar entry and its `event`.
fn invoice_moved(s: &Stack, state: &str, event: &str) {
    one(
        s,
        &format!("SELECT COUNT(*) FROM invoice_history WHERE state = '{state}'"),
        "one entry",
    );
    one(
        s,
        &format!("SELECT COUNT(*) FROM invoices WHERE state = '{state}'"),
        "the invoice moved",
    );
    one(
        s,
        &format!("SELECT COUNT(*) FROM events WHERE type = '{event}'"),
        "one event",
    );
}
