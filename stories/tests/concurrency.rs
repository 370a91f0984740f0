//! Every write endpoint called several times at once, natively: the requests interleave at each
//! platform call as concurrent requests do in workerd (D1 runs one statement or batch at a
//! time). Each answer must be a documented status and never a server error ([`at_once`]
//! checks that against the OpenAPI document), and what is stored afterwards must be one
//! coherent outcome — read back from the tables, as the tenant tests do.
//!
//! A new write endpoint joins this file when it lands.

use serde_json::json;
use shared::platform::Value;
use shared::service::Method;
use tradepost_stories::{
    appointment_body, at_once, connect, delivered, invoiced, link_token, login, new_upload, order,
    pair, planned, sign_up, stack, tally, text, Pair, ORDER,
};
use tradepost_testkit::{Answer, Call, Stack};

/// How many copies of a request go at once.
const N: usize = 8;

fn count(s: &Stack, sql: &str, params: &[&str]) -> i64 {
    let params: Vec<Value> = params
        .iter()
        .map(|p| Value::Text((*p).to_owned()))
        .collect();
    s.count(sql, &params)
}

/// Every answer has `status`; otherwise fails with the tally of statuses.
fn all_answered(answers: &[Answer], status: u16) {
    assert!(
        answers.iter().all(|a| a.status == status),
        "all should be {status}: {:?}",
        tally(answers)
    );
}

/// The query `sql` with `params` counts `expected` rows.
fn expect_count(s: &Stack, sql: &str, params: &[&str], expected: i64) {
    assert_eq!(count(s, sql, params), expected, "{sql}");
}

fn same<'s>(n: usize, make: impl Fn() -> Call<'s>) -> Vec<Call<'s>> {
    (0..n).map(|_| make()).collect()
}

// ---- the document exchange ------------------------------------------------------------------

#[test]
fn first_orders_to_a_new_partner_sent_at_once_all_wait_in_one_request() {
    let s = stack();
    let _supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let erp = customer.api_key(&s, &["documents.send"]);
    let answers = at_once(
        (0..N)
            .map(|i| order(&s, &erp, "acme-print", &format!("PO-{i}.xml")))
            .collect(),
    );
    assert_eq!(tally(&answers), [(201, N)]);
    let relationships: Vec<String> = answers
        .iter()
        .map(|a| text(&a.json(), "relationship_id"))
        .collect();
    assert!(relationships.iter().all(|r| *r == relationships[0]));
    assert!(answers.iter().all(|a| a.json()["status"] == "held"));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM relationships", &[]), 1);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM documents WHERE status = 'held' AND relationship_id = ?1",
            &[&relationships[0]]
        ),
        N as i64
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'relationship.requested'",
        &[],
        1,
    );
    assert_eq!(s.files.objects.borrow().len(), N, "one file per document");
}

#[test]
fn one_idempotency_key_sent_at_once_is_one_document() {
    let s = stack();
    let p = pair(&s);
    let answers = at_once(same(N, || {
        order(&s, &p.erp, "acme-print", "PO-1.xml").header("idempotency-key", "po-1")
    }));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);
    let ids: Vec<String> = answers.iter().map(|a| text(&a.json(), "id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM documents", &[]), 1);
    assert_eq!(
        s.files.objects.borrow().len(),
        1,
        "the losers' files are gone"
    );
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM pending_objects", &[]),
        0,
        "nothing is left for the sweep"
    );
}

#[test]
fn an_acknowledgement_sent_at_once_is_one_status_entry() {
    let s = stack();
    let p = pair(&s);
    let doc = delivered(&s, &p);
    let inbox = p.supplier.api_key(&s, &["documents.receive"]);
    let answers = at_once(same(N, || {
        s.post(&format!("/v1/documents/{doc}/ack"))
            .bearer(&inbox)
            .json(&json!({"reference": "SO-1"}))
    }));
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM document_history WHERE document_id = ?1 AND status = 'imported'",
        &[&doc],
        1,
    );
}

#[test]
fn status_reports_and_cancellations_at_once_leave_one_history() {
    let s = stack();
    let p = pair(&s);
    let doc = delivered(&s, &p);
    let inbox = p.supplier.api_key(&s, &["documents.receive"]);
    let answers = at_once(same(N, || {
        s.post(&format!("/v1/documents/{doc}/status"))
            .bearer(&inbox)
            .json(&json!({"status": "shipped", "carrier": "DHL", "tracking_number": "1Z"}))
    }));
    assert!(answers.iter().any(|a| a.status == 200));
    expect_count(
        &s,
        "SELECT COUNT(*) FROM documents WHERE id = ?1 AND status = 'shipped'",
        &[&doc],
        1,
    );

    let other = delivered(&s, &p);
    let answers = at_once(same(N, || {
        s.post(&format!("/v1/documents/{other}/cancel"))
            .bearer(&p.erp)
            .json(&json!({"reason": "ordered twice"}))
    }));
    assert!(answers.iter().any(|a| a.status == 200));
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM document_history WHERE document_id = ?1 AND status = 'cancelled'",
            &[&other]
        ),
        1,
        "one cancellation"
    );
}

/// A multipart upload with one stored part; returns its id.
fn open_upload(s: &Stack, p: &Pair, body: &[u8]) -> String {
    let id = new_upload(s, p);
    s.call(Method::Put, &format!("/v1/uploads/{id}/parts/1"))
        .bearer(&p.erp)
        .bytes("application/octet-stream", body.to_vec())
        .run()
        .expect(200);
    id
}

#[test]
fn completes_of_one_upload_at_once_give_one_document() {
    let s = stack();
    let p = pair(&s);
    let id = open_upload(&s, &p, ORDER);
    let answers = at_once(same(N, || {
        s.post(&format!("/v1/uploads/{id}/complete")).bearer(&p.erp)
    }));
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(created.len(), 1, "{:?}", tally(&answers));
    let doc = text(&created[0].json(), "id");
    for a in &answers {
        match a.status {
            200 | 201 => assert_eq!(text(&a.json(), "id"), doc),
            409 => assert_eq!(a.json()["code"], "upload_completing"),
            other => panic!("complete answered {other}"),
        }
    }
    // A retry after the race gets the document.
    let again = s
        .post(&format!("/v1/uploads/{id}/complete"))
        .bearer(&p.erp)
        .run()
        .expect(200);
    assert_eq!(text(&again, "id"), doc);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM documents", &[]), 1);
    assert_eq!(
        s.files.objects.borrow().get(&text(&again, "object_key")),
        None
    );
    let stored: Vec<Vec<u8>> = s.files.objects.borrow().values().cloned().collect();
    assert_eq!(stored, [ORDER.to_vec()]);
}

#[test]
fn a_complete_and_an_abort_at_once_leave_one_or_the_other() {
    let s = stack();
    let p = pair(&s);
    let id = open_upload(&s, &p, ORDER);
    let answers = at_once(vec![
        s.post(&format!("/v1/uploads/{id}/complete")).bearer(&p.erp),
        s.call(Method::Delete, &format!("/v1/uploads/{id}"))
            .bearer(&p.erp),
    ]);
    let status: String = s.rows("SELECT status FROM uploads", &[])[0]
        .get("status")
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let documents = count(&s, "SELECT COUNT(*) FROM documents", &[]);
    if status.contains("completed") {
        assert_eq!(answers[0].status, 201);
        assert_eq!(documents, 1);
        assert_eq!(s.files.objects.borrow().len(), 1);
    } else {
        assert!(status.contains("aborted"), "{status}");
        assert_eq!(answers[1].status, 204);
        assert_eq!(documents, 0);
        assert!(s.files.objects.borrow().is_empty());
    }
}

#[test]
fn one_part_sent_at_once_is_one_part_and_many_aborts_one_abort() {
    let s = stack();
    let p = pair(&s);
    let id = new_upload(&s, &p);
    let answers = at_once(same(N, || {
        s.call(Method::Put, &format!("/v1/uploads/{id}/parts/1"))
            .bearer(&p.erp)
            .bytes("application/octet-stream", ORDER.to_vec())
    }));
    all_answered(&answers, 200);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM upload_parts", &[]), 1);
    let answers = at_once(same(N, || {
        s.call(Method::Delete, &format!("/v1/uploads/{id}"))
            .bearer(&p.erp)
    }));
    all_answered(&answers, 204);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM uploads WHERE status = 'aborted'",
        &[],
        1,
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM upload_parts", &[]), 0);
    let answers = at_once(same(N, || {
        s.post("/v1/uploads")
            .bearer(&p.erp)
            .json(&json!({"recipient": "acme-print", "type": "order", "filename": "b.xml"}))
    }));
    assert!(answers.iter().all(|a| a.status == 201));
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM uploads WHERE status = 'open'",
            &[]
        ),
        N as i64
    );
}

// ---- accounts -------------------------------------------------------------------------------

fn signup_body(handle: &str, email: &str) -> serde_json::Value {
    json!({
        "company_name": format!("{handle} GmbH"),
        "handle": handle,
        "name": "Ada",
        "email": email,
        "password": "a long passphrase",
    })
}

#[test]
fn sign_ups_with_one_handle_or_one_email_at_once_make_one_company() {
    let s = stack();
    let answers = at_once(
        (0..N)
            .map(|i| {
                s.post("/v1/auth/signup")
                    .json(&signup_body("acme-print", &format!("ada{i}@acme.example")))
            })
            .collect(),
    );
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM companies", &[]), 1);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM users", &[]), 1);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM mails", &[]), 1);

    let answers = at_once(
        (0..N)
            .map(|i| {
                s.post("/v1/auth/signup")
                    .json(&signup_body(&format!("other-{i}"), "bea@other.example"))
            })
            .collect(),
    );
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM companies", &[]), 2);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM users WHERE email = ?1",
        &["bea@other.example"],
        1,
    );
}

#[test]
fn one_confirmation_link_used_at_once_confirms_once() {
    let s = stack();
    s.post("/v1/auth/signup")
        .json(&signup_body("acme-print", "ada@acme.example"))
        .run()
        .expect(201);
    let token = link_token(&s, "ada@acme.example");
    let answers = at_once(same(N, || {
        s.post("/v1/auth/confirm").json(&json!({ "token": token }))
    }));
    assert!(
        answers.iter().any(|a| a.status == 200),
        "{:?}",
        tally(&answers)
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM users WHERE status = 'active'",
        &[],
        1,
    );
}

#[test]
fn logins_refreshes_and_logouts_at_once_stay_coherent() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let answers = at_once(same(N, || {
        s.post("/v1/auth/login")
            .json(&json!({"email": acme.admin_email, "password": "a long passphrase"}))
    }));
    assert!(answers.iter().all(|a| a.status == 200));
    // One refresh token used N times at once (two browser tabs): one new pair at most, and no
    // token is left that works without the session the reuse ended.
    let refresh = text(&answers[0].json(), "refresh_token");
    let session = answers[0].json();
    let answers = at_once(same(N, || {
        s.post("/v1/auth/refresh")
            .json(&json!({ "refresh_token": refresh }))
    }));
    let renewed: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert!(renewed.len() <= 1, "{:?}", tally(&answers));
    let access = text(&session, "access_token");
    let answers = at_once(same(N, || s.post("/v1/auth/logout").bearer(&access)));
    assert!(answers.iter().all(|a| a.status < 500));
    s.get("/v1/me").bearer(&access).run().expect(401);
}

#[test]
fn a_password_reset_link_used_at_once_sets_one_password() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let answers = at_once(same(N, || {
        s.post("/v1/auth/password-reset")
            .json(&json!({ "email": acme.admin_email }))
    }));
    all_answered(&answers, 202);
    // Which of those links is the valid one depends on the order the mails were written in;
    // once they have expired, one more gives a single valid link to race on.
    s.clock.advance(chrono::Duration::hours(3));
    s.post("/v1/auth/password-reset")
        .json(&json!({ "email": acme.admin_email }))
        .run()
        .expect(202);
    let token = link_token(&s, &acme.admin_email);
    let answers = at_once(
        (0..N)
            .map(|i| {
                s.post("/v1/auth/password-reset/confirm")
                    .json(&json!({"token": token, "password": format!("new passphrase {i}")}))
            })
            .collect(),
    );
    let winners: Vec<usize> = (0..N).filter(|i| answers[*i].status == 200).collect();
    assert_eq!(winners.len(), 1, "{:?}", tally(&answers));
    let password = format!("new passphrase {}", winners[0]);
    login(&s, &acme.admin_email, &password).expect(200);
}

#[test]
fn colleagues_invited_at_once_and_an_invitation_accepted_at_once() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let answers = at_once(same(N, || {
        acme.call(&s, Method::Post, "/v1/users").json(
            &json!({"email": "bea@acme-print.example", "name": "Bea", "permissions": ["talk"]}),
        )
    }));
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    let token = link_token(&s, "bea@acme-print.example");
    let answers = at_once(
        (0..N)
            .map(|i| {
                s.post("/v1/auth/accept-invitation")
                    .json(&json!({"token": token, "password": format!("bea's passphrase {i}")}))
            })
            .collect(),
    );
    let winners: Vec<usize> = (0..N).filter(|i| answers[*i].status == 201).collect();
    assert_eq!(winners.len(), 1, "{:?}", tally(&answers));
    login(
        &s,
        "bea@acme-print.example",
        &format!("bea's passphrase {}", winners[0]),
    )
    .expect(200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM users WHERE email = ?1 AND status = 'active'",
        &["bea@acme-print.example"],
        1,
    );
}

#[test]
fn people_and_keys_changed_and_removed_at_once() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let bea = acme
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": "bea@acme-print.example", "name": "Bea", "permissions": ["talk"]}))
        .run()
        .expect(201);
    let bea = text(&bea, "id");
    let answers = at_once(
        (0..N)
            .map(|i| {
                acme.call(&s, Method::Patch, &format!("/v1/users/{bea}"))
                    .json(&json!({"name": format!("Bea {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    let answers = at_once(
        (0..N)
            .map(|i| {
                acme.call(&s, Method::Patch, "/v1/me")
                    .json(&json!({"name": format!("Ada {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    let answers = at_once(same(N, || {
        acme.call(&s, Method::Delete, &format!("/v1/users/{bea}"))
    }));
    assert!(
        answers.iter().any(|a| a.status == 204),
        "{:?}",
        tally(&answers)
    );
    let key = acme
        .call(&s, Method::Post, "/v1/api-keys")
        .json(&json!({"name": "ERP", "permissions": ["documents.send"]}))
        .run()
        .expect(201);
    let key_id = text(&key, "id");
    let answers = at_once(same(N, || {
        acme.call(&s, Method::Delete, &format!("/v1/api-keys/{key_id}"))
    }));
    assert!(
        answers.iter().any(|a| a.status == 204),
        "{:?}",
        tally(&answers)
    );
    s.get("/v1/documents")
        .bearer(&text(&key, "key"))
        .run()
        .expect(401);
    let answers = at_once(same(N, || {
        acme.call(&s, Method::Post, "/v1/api-keys")
            .json(&json!({"name": "ERP", "permissions": ["documents.send"]}))
    }));
    assert!(answers.iter().all(|a| a.status == 201));
}

// ---- partners -------------------------------------------------------------------------------

#[test]
fn relationship_requests_at_once_and_mutual_ones_make_one_relationship() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let mut calls = same(N / 2, || {
        supplier
            .call(&s, Method::Post, "/v1/relationships")
            .json(&json!({"handle": "wydawnictwo", "my_role": "supplier"}))
    });
    calls.extend(same(N / 2, || {
        customer
            .call(&s, Method::Post, "/v1/relationships")
            .json(&json!({"handle": "acme-print", "my_role": "customer"}))
    }));
    let answers = at_once(calls);
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM relationships", &[]), 1);
}

#[test]
fn decisions_on_one_relationship_at_once_leave_one_status() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let customer = sign_up(&s, "wydawnictwo");
    let asked = supplier
        .call(&s, Method::Post, "/v1/relationships")
        .json(&json!({"handle": "wydawnictwo", "my_role": "supplier"}))
        .run()
        .expect(201);
    let rel = text(&asked, "id");
    let decide =
        |what: &str| customer.call(&s, Method::Post, &format!("/v1/relationships/{rel}/{what}"));
    let answers = at_once(vec![
        decide("approve"),
        decide("reject"),
        decide("approve"),
        decide("reject"),
    ]);
    let final_status = s.rows("SELECT status FROM relationships", &[])[0]
        .get("status")
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let approved = answers
        .iter()
        .any(|a| a.status == 200 && a.json()["status"] == "active");
    let rejected = answers
        .iter()
        .any(|a| a.status == 200 && a.json()["status"] == "rejected");
    assert!(
        approved != rejected,
        "one decision wins: {:?}",
        tally(&answers)
    );
    assert!(
        final_status.contains(if approved { "active" } else { "rejected" }),
        "{final_status}"
    );
    assert!(
        count(
            &s,
            "SELECT COUNT(*) FROM events WHERE type IN ('relationship.approved', 'relationship.rejected')",
            &[]
        ) <= 1
    );

    let other = sign_up(&s, "drukarnia");
    let rel = connect(&s, &other, &customer);
    for what in ["block", "unblock"] {
        let answers = at_once(same(N, || {
            customer.call(&s, Method::Post, &format!("/v1/relationships/{rel}/{what}"))
        }));
        assert!(
            answers.iter().any(|a| a.status == 200),
            "{what}: {:?}",
            tally(&answers)
        );
    }
    let answers = at_once(
        (0..N)
            .map(|i| {
                other
                    .call(&s, Method::Patch, &format!("/v1/relationships/{rel}"))
                    .json(&json!({"settings": {"customer_number": format!("K-{i}")}}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
}

#[test]
fn invitations_and_cards_sent_at_once() {
    let s = stack();
    let supplier = sign_up(&s, "acme-print");
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, "/v1/relationships/invitations")
            .json(&json!({"email": "buyer@newcustomer.example", "company_name": "New Customer"}))
    }));
    assert!(
        answers.iter().any(|a| a.status == 201),
        "{:?}",
        tally(&answers)
    );
    assert!(
        count(&s, "SELECT COUNT(*) FROM company_invitations", &[]) >= 1,
        "an invitation is stored"
    );

    let customer = sign_up(&s, "wydawnictwo");
    let _ = connect(&s, &supplier, &customer);
    let answers = at_once(
        (0..N)
            .map(|i| {
                supplier
                    .call(&s, Method::Put, "/v1/cards/me")
                    .json(&json!({"name": format!("Ada {i}"), "title": "Sales"}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, "/v1/cards/me/send")
            .json(&json!({ "company_id": customer.id }))
    }));
    all_answered(&answers, 200);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM contacts WHERE owner_company_id = ?1",
            &[&customer.id]
        ),
        1,
        "one contact, however often the card came"
    );
}

// ---- approvals ------------------------------------------------------------------------------

#[test]
fn proofs_sent_at_once_get_distinct_versions_and_one_decision() {
    let s = stack();
    let p = pair(&s);
    let doc = delivered(&s, &p);
    let proof = |bytes: Vec<u8>| {
        p.supplier
            .call(&s, Method::Post, &format!("/v1/documents/{doc}/proofs"))
            .header("tradepost-filename", "proof.pdf")
            .bytes("application/pdf", bytes)
    };
    let answers = at_once(
        (0..N)
            .map(|i| proof(format!("%PDF-1.7 version {i}").into_bytes()))
            .collect(),
    );
    all_answered(&answers, 201);
    let mut versions: Vec<i64> = answers
        .iter()
        .filter_map(|a| a.json()["version"].as_i64())
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=N as i64).collect::<Vec<_>>());

    let answers = at_once(same(N, || {
        proof(b"%PDF-1.7 retried".to_vec()).header("idempotency-key", "proof-9")
    }));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);

    let newest = text(&answers[0].json(), "id");
    let decide = |what: &str| {
        p.customer
            .call(&s, Method::Post, &format!("/v1/approvals/{newest}/{what}"))
            .json(&json!({"comment": "looks right"}))
    };
    let answers = at_once(vec![
        decide("approve"),
        decide("reject"),
        decide("approve"),
        decide("reject"),
    ]);
    assert_eq!(
        answers.iter().filter(|a| a.status == 200).count(),
        1,
        "{:?}",
        tally(&answers)
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM approvals WHERE id = ?1 AND decided_at IS NOT NULL",
        &[&newest],
        1,
    );
}

// ---- talk -----------------------------------------------------------------------------------

#[test]
fn threads_messages_reads_and_attachments_at_once() {
    let s = stack();
    let p = pair(&s);
    let answers = at_once(same(N, || {
        p.supplier
            .call(&s, Method::Post, "/v1/threads")
            .json(&json!({"partner": "wydawnictwo", "subject": "Delivery", "text": "Friday?"}))
    }));
    all_answered(&answers, 201);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM threads", &[]), N as i64);
    let thread = text(&answers[0].json(), "id");
    let answers = at_once(
        (0..N)
            .map(|i| {
                p.customer
                    .call(&s, Method::Post, &format!("/v1/threads/{thread}/messages"))
                    .json(&json!({"text": format!("answer {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 201);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM messages WHERE thread_id = ?1",
            &[&thread]
        ),
        N as i64 + 1
    );
    let answers = at_once(same(N, || {
        p.supplier
            .call(&s, Method::Post, &format!("/v1/threads/{thread}/read"))
    }));
    all_answered(&answers, 200);
    assert_eq!(
        p.supplier
            .call(&s, Method::Get, &format!("/v1/threads/{thread}"))
            .run()
            .expect(200)["unread_count"],
        0
    );
    let answers = at_once(same(N, || {
        p.supplier
            .call(&s, Method::Post, "/v1/attachments")
            .header("tradepost-filename", "photo.png")
            .bytes("image/png", b"\x89PNG not really".to_vec())
    }));
    all_answered(&answers, 201);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM attachments", &[]), N as i64);
}

// ---- webhooks -------------------------------------------------------------------------------

#[test]
fn webhook_endpoints_registered_at_once_stay_within_the_limit() {
    let s = stack();
    let p = pair(&s);
    let hook = |i: usize| {
        p.customer
            .call(&s, Method::Post, "/v1/webhooks")
            .json(&json!({"url": format!("https://erp.example/hooks/{i}")}))
    };
    let answers = at_once((0..25).map(hook).collect());
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 20, "{:?}", tally(&answers));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM webhook_endpoints", &[]), 20);
}

#[test]
fn one_webhook_endpoint_changed_pinged_rotated_and_deleted_at_once() {
    let s = stack();
    let p = pair(&s);
    let hook = p
        .customer
        .call(&s, Method::Post, "/v1/webhooks")
        .json(&json!({"url": "https://erp.example/hooks"}))
        .run()
        .expect(201);
    let id = text(&hook, "id");
    let path = format!("/v1/webhooks/{id}");
    let answers = at_once(
        (0..N)
            .map(|i| {
                p.customer
                    .call(&s, Method::Patch, &path)
                    .json(&json!({"description": format!("ERP {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    let answers = at_once(same(N, || {
        p.customer.call(&s, Method::Post, &format!("{path}/ping"))
    }));
    all_answered(&answers, 202);
    let answers = at_once(same(N, || {
        p.customer
            .call(&s, Method::Post, &format!("{path}/rotate-secret"))
    }));
    assert!(
        answers.iter().any(|a| a.status == 200),
        "{:?}",
        tally(&answers)
    );
    let answers = at_once(same(N, || {
        p.customer
            .call(&s, Method::Post, &format!("{path}/deliveries/replay"))
            .json(&json!({"since": "2020-01-01T00:00:00Z"}))
    }));
    all_answered(&answers, 202);
    let answers = at_once(
        (0..N)
            .map(|i| {
                p.customer
                    .call(&s, Method::Put, "/v1/me/notifications")
                    .json(&json!({"events": if i % 2 == 0 { ["talk.message"] } else { ["approval.requested"] }}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    let answers = at_once(same(N, || p.customer.call(&s, Method::Delete, &path)));
    assert!(
        answers.iter().any(|a| a.status == 204),
        "{:?}",
        tally(&answers)
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM webhook_endpoints", &[]), 0);
}

// ---- connectors -----------------------------------------------------------------------------

#[test]
fn a_connector_registered_at_once_is_one_connector_and_a_run_reported_at_once_one_run() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let key = acme.api_key(&s, &[]);
    let register = || {
        s.post("/v1/connectors").bearer(&key).json(&json!({
            "name": "ERP-1", "host": "erp01", "version": "1.0.0",
            "operations": [{"operation": "send", "interval_secs": 60}, {"operation": "status", "interval_secs": 600}],
        }))
    };
    let answers = at_once(same(N, register));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);
    let ids: Vec<String> = answers.iter().map(|a| text(&a.json(), "id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connectors", &[]), 1);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM connector_operations", &[]),
        2
    );
    let id = &ids[0];

    let runs = format!("/v1/connectors/{id}/runs");
    let answers = at_once(same(N, || {
        s.post(&runs).bearer(&key).json(&json!({
            "operation": "send", "started_at": "2026-03-02T10:00:00Z",
            "finished_at": "2026-03-02T10:00:05Z", "files": 3, "errors": 1, "message": "one refused",
        }))
    }));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);
    let runs_seen: Vec<String> = answers
        .iter()
        .map(|a| text(&a.json()["run"], "id"))
        .collect();
    assert!(runs_seen.iter().all(|r| *r == runs_seen[0]));
    expect_count(&s, "SELECT COUNT(*) FROM connector_runs", &[], 1);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'connector.run_failed'",
        &[],
        1,
    );

    // The admin's changes at once: each answers, one of them stands.
    let operation = format!("/v1/connectors/{id}/operations/status");
    let answers = at_once(
        (0..N)
            .map(|i| {
                acme.call(&s, Method::Patch, &operation)
                    .json(&json!({"interval": format!("00:{:02}:00", i + 1), "run_in_minutes": i}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM connector_operations WHERE operation = 'status' \
         AND interval_secs BETWEEN 60 AND 480 AND run_at IS NOT NULL",
        &[],
        1,
    );
    let answers = at_once(same(N, || {
        acme.call(&s, Method::Delete, &format!("/v1/connectors/{id}"))
    }));
    assert_eq!(tally(&answers), [(204, 1), (404, N - 1)]);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connectors", &[]), 0);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connector_runs", &[]), 0);
}

// ---- appointments ---------------------------------------------------------------------------

#[test]
fn projects_places_staff_contacts_and_appointments_created_at_once() {
    let s = stack();
    let w = planned(&s);
    let supplier = &w.p.supplier;
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, "/v1/projects")
            .json(&json!({"customer": "wydawnictwo", "name": "Autumn"}))
    }));
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM projects WHERE name = 'Autumn'",
        &[],
        1,
    );
    let answers = at_once(
        (0..N)
            .map(|i| {
                supplier
                    .call(&s, Method::Post, "/v1/territories")
                    .json(&json!({"customer": "wydawnictwo", "name": format!("Region {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 201);
    let answers = at_once(same(N, || {
        supplier.call(&s, Method::Post, "/v1/locations").json(
            &json!({"customer": "wydawnictwo", "name": "Store 2", "city": "Łódź",
                          "country": "PL", "time_zone": "Europe/Warsaw"}),
        )
    }));
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, "/v1/staff")
            .json(&json!({"name": "Jan", "role": "Merchandiser", "phone": "+48 601 234 567"}))
    }));
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    expect_count(&s, "SELECT COUNT(*) FROM staff", &[], 1);
    let contacts = format!("/v1/projects/{}/contacts", w.project);
    let email = w.p.customer.admin_email.clone();
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, &contacts)
            .json(&json!({ "email": email }))
    }));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);
    expect_count(&s, "SELECT COUNT(*) FROM project_contacts", &[], 1);

    // One Idempotency-Key is one appointment; proposals without one are one each.
    let answers = at_once(same(N, || {
        supplier
            .call(&s, Method::Post, "/v1/appointments")
            .header("idempotency-key", "apt-1")
            .json(&appointment_body(&w, "Shelf check"))
    }));
    assert_eq!(tally(&answers), [(200, N - 1), (201, 1)]);
    let ids: Vec<String> = answers.iter().map(|a| text(&a.json(), "id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]));
    expect_count(&s, "SELECT COUNT(*) FROM appointments", &[], 1);
    expect_count(&s, "SELECT COUNT(*) FROM appointment_history", &[], 1);
    let answers = at_once(
        (0..N)
            .map(|i| {
                w.p.customer
                    .call(&s, Method::Post, "/v1/appointments")
                    .json(&appointment_body(&w, &format!("Proposal {i}")))
            })
            .collect(),
    );
    all_answered(&answers, 201);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'appointment.proposed'",
        &[],
        N as i64,
    );
    let answers = at_once(same(N, || {
        w.p.customer.call(&s, Method::Post, "/v1/calendar-feeds")
    }));
    all_answered(&answers, 201);
    expect_count(&s, "SELECT COUNT(*) FROM calendar_feeds", &[], N as i64);
}

#[test]
fn decisions_on_an_appointment_at_once_leave_one_outcome() {
    let s = stack();
    let w = planned(&s);
    let proposal =
        w.p.customer
            .call(&s, Method::Post, "/v1/appointments")
            .json(&appointment_body(&w, "Window display"))
            .run()
            .expect(201);
    let id = text(&proposal, "id");
    let decide = |what: &str| {
        let call =
            w.p.supplier
                .call(&s, Method::Post, &format!("/v1/appointments/{id}/{what}"));
        if what == "reject" {
            call.json(&json!({"reason": "no staff"}))
        } else {
            call
        }
    };
    let answers = at_once(vec![
        decide("confirm"),
        decide("reject"),
        decide("confirm"),
        decide("reject"),
        decide("confirm"),
        decide("reject"),
    ]);
    assert_eq!(tally(&answers), [(200, 3), (409, 3)]);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM appointment_history WHERE appointment_id = ?1 \
         AND status IN ('confirmed', 'rejected')",
        &[&id],
        1,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'appointment.decided'",
        &[],
        1,
    );
    // A planned one (confirmed at once): staffed at once, cancelled by both sides at once.
    let planned =
        w.p.supplier
            .call(&s, Method::Post, "/v1/appointments")
            .json(&appointment_body(&w, "Shelf check"))
            .run()
            .expect(201);
    let id = text(&planned, "id");
    let staff =
        w.p.supplier
            .call(&s, Method::Post, "/v1/staff")
            .json(&json!({"name": "Jan", "role": "Merchandiser"}))
            .run()
            .expect(201);
    let staff = text(&staff, "id");
    let answers = at_once(same(N, || {
        w.p.supplier
            .call(&s, Method::Put, &format!("/v1/appointments/{id}/staff"))
            .json(&json!({ "staff_ids": [staff] }))
    }));
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM appointment_history WHERE status = 'staffed'",
        &[],
        1,
    );
    expect_count(&s, "SELECT COUNT(*) FROM appointment_staff", &[], 1);
    let answers = at_once(
        (0..N)
            .map(|i| {
                let who = if i % 2 == 0 {
                    &w.p.supplier
                } else {
                    &w.p.customer
                };
                who.call(&s, Method::Post, &format!("/v1/appointments/{id}/cancel"))
                    .json(&json!({"reason": format!("reason {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM appointment_history WHERE status = 'cancelled'",
        &[],
        1,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'appointment.cancelled'",
        &[],
        1,
    );
}

// ---- invoices -------------------------------------------------------------------------------

#[test]
fn moves_of_one_invoice_at_once_leave_one_outcome() {
    let s = stack();
    let p = pair(&s);
    let id = invoiced(&s, &p, "RE-1");
    let one = format!("/v1/invoices/{id}");
    // Receipt confirmed at once: one entry, one event.
    let answers = at_once(same(N, || {
        p.customer
            .call(&s, Method::Post, &format!("{one}/received"))
    }));
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM invoice_history WHERE document_id = ?1 AND state = 'received'",
        &[&id],
        1,
    );
    // Disputes at once: one thread, one first message, one event.
    let answers = at_once(
        (0..N)
            .map(|i| {
                p.customer
                    .call(&s, Method::Post, &format!("{one}/dispute"))
                    .json(&json!({"reason": format!("reason {i}")}))
            })
            .collect(),
    );
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM threads WHERE document_id = ?1",
        &[&id],
        1,
    );
    expect_count(&s, "SELECT COUNT(*) FROM messages", &[], 1);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'invoice.disputed'",
        &[],
        1,
    );
    // Payments at once, of two amounts: one wins, the other is refused.
    let answers = at_once(
        (0..N)
            .map(|i| {
                let amount = if i % 2 == 0 { "1190.00" } else { "1000.00" };
                p.customer
                    .call(&s, Method::Post, &format!("{one}/paid"))
                    .json(&json!({"paid_on": "2026-01-15", "amount": amount}))
            })
            .collect(),
    );
    assert_eq!(tally(&answers), [(200, N / 2), (409, N / 2)]);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM invoice_history WHERE document_id = ?1 AND state = 'paid'",
        &[&id],
        1,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'invoice.paid'",
        &[],
        1,
    );
}

// ---- tasks ------------------------------------------------------------------------------------

#[test]
fn teams_members_tasks_comments_and_changes_at_once() {
    let s = stack();
    let c = sign_up(&s, "acme-print");
    let answers = at_once(same(N, || {
        c.call(&s, Method::Post, "/v1/teams")
            .json(&json!({"name": "Sales"}))
    }));
    assert_eq!(tally(&answers), [(201, 1), (409, N - 1)]);
    let team = answers
        .iter()
        .find(|a| a.status == 201)
        .map(Answer::json)
        .unwrap_or_default();
    let team = text(&team, "id");
    let me = c.call(&s, Method::Get, "/v1/me").run().expect(200);
    let user = me["user"]["id"].as_str().unwrap_or_default().to_owned();
    let member = format!("/v1/teams/{team}/members/{user}");
    all_answered(&at_once(same(N, || c.call(&s, Method::Put, &member))), 200);
    expect_count(&s, "SELECT COUNT(*) FROM team_members", &[], 1);

    let answers = at_once(
        (0..N)
            .map(|i| {
                c.call(&s, Method::Post, "/v1/tasks")
                    .json(&json!({"title": format!("Task {i}"), "team_id": team}))
            })
            .collect(),
    );
    all_answered(&answers, 201);
    expect_count(&s, "SELECT COUNT(*) FROM tasks", &[], N as i64);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'task.assigned'",
        &[],
        N as i64,
    );
    // Who gave the tasks is the team's only member: nobody is mailed.
    expect_count(
        &s,
        "SELECT COUNT(*) FROM mails WHERE template = 'task_assigned'",
        &[],
        0,
    );
    let task = text(&answers[0].json(), "id");
    let comments = format!("/v1/tasks/{task}/comments");
    let answers = at_once(same(N, || {
        c.call(&s, Method::Post, &comments)
            .json(&json!({"text": "On it."}))
    }));
    all_answered(&answers, 201);
    expect_count(&s, "SELECT COUNT(*) FROM task_comments", &[], N as i64);
    let path = format!("/v1/tasks/{task}");
    let answers = at_once(same(N, || {
        c.call(&s, Method::Patch, &path)
            .json(&json!({"assignee_id": "me", "status": "done"}))
    }));
    all_answered(&answers, 200);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM tasks WHERE id = ?1 AND assignee_id = ?2 AND status = 'done' \
         AND closed_at IS NOT NULL",
        &[&task, &user],
        1,
    );
}

// ---- complaints -------------------------------------------------------------------------------

#[test]
fn complaints_filed_moved_and_commented_at_once() {
    let s = stack();
    let p = pair(&s);
    let doc = delivered(&s, &p);
    let buyer = p.customer.api_key(&s, &["complaints"]);
    let answers = at_once(same(N, || {
        s.post("/v1/complaints").bearer(&buyer).json(&json!({
            "document_id": doc, "reason": "damaged", "description": "Crushed",
            "lines": [{"item": "4711", "quantity": "2"}],
        }))
    }));
    all_answered(&answers, 201);
    expect_count(
        &s,
        "SELECT COUNT(DISTINCT number) FROM complaints",
        &[],
        N as i64,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'complaint.filed'",
        &[],
        N as i64,
    );
    let id = text(&answers[0].json(), "id");
    let moves = format!("/v1/complaints/{id}/moves");
    let answers = at_once(same(N, || {
        p.supplier
            .call(&s, Method::Post, &moves)
            .json(&json!({"move": "accept", "resolution": "repair"}))
    }));
    assert_eq!(tally(&answers), [(200, 1), (409, N - 1)], "one acceptance");
    expect_count(
        &s,
        "SELECT COUNT(*) FROM complaint_history WHERE complaint_id = ?1 AND status = 'accepted'",
        &[&id],
        1,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'complaint.status_changed'",
        &[],
        1,
    );
    let comments = format!("/v1/complaints/{id}/comments");
    all_answered(
        &at_once(same(N, || {
            s.post(&comments)
                .bearer(&buyer)
                .json(&json!({"text": "Thanks"}))
        })),
        201,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM complaint_history WHERE complaint_id = ?1 AND status IS NULL",
        &[&id],
        N as i64,
    );
}

// ---- quotes -----------------------------------------------------------------------------------

#[test]
fn quote_requests_quotes_and_acceptances_at_once_place_one_order() {
    let s = stack();
    let p = pair(&s);
    let answers = at_once(same(N, || {
        s.post("/v1/quote-requests")
            .bearer(&p.erp)
            .json(&json!({"partner": "acme-print", "title": "Flyers"}))
    }));
    all_answered(&answers, 201);
    expect_count(
        &s,
        "SELECT COUNT(DISTINCT number) FROM quote_requests",
        &[],
        N as i64,
    );
    let id = text(&answers[0].json(), "id");
    let quotes = format!("/v1/quote-requests/{id}/quotes");
    let answers = at_once(same(N, || {
        p.supplier.call(&s, Method::Post, &quotes).json(&json!({
            "currency": "EUR", "valid_until": "2099-01-01",
            "lines": [{"item": "Flyer", "quantity": "100", "unit_price": "0.5"}],
        }))
    }));
    let won = answers.iter().filter(|a| a.status == 201).count();
    assert!(
        won >= 1 && answers.iter().all(|a| matches!(a.status, 201 | 409)),
        "{:?}",
        tally(&answers)
    );
    expect_count(&s, "SELECT COUNT(*) FROM quotes", &[], won as i64);
    expect_count(
        &s,
        "SELECT COUNT(*) FROM quotes WHERE status = 'current'",
        &[],
        1,
    );
    expect_count(
        &s,
        "SELECT COUNT(*) FROM events WHERE type = 'quote.quoted'",
        &[],
        won as i64,
    );
    let accept = format!("/v1/quote-requests/{id}/accept");
    let answers = at_once(same(N, || s.post(&accept).bearer(&p.erp).json(&json!({}))));
    assert_eq!(tally(&answers), [(200, 1), (409, N - 1)], "one acceptance");
    expect_count(
        &s,
        "SELECT COUNT(*) FROM documents WHERE type = 'order' AND filename LIKE 'Order-RFQ-%'",
        &[],
        1,
    );
    expect_count(&s, "SELECT COUNT(*) FROM events WHERE type = 'document.deposited' AND data LIKE '%Order-RFQ-%'", &[], 1);
    // The losers' files are gone or left to the sweep: none is kept as a document.
    expect_count(
        &s,
        "SELECT COUNT(*) FROM quote_requests WHERE status = 'accepted' AND order_document_id IS NOT NULL",
        &[],
        1,
    );
}
