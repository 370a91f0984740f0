//! Print proofs as partners live them: the customer orders, the supplier attaches proof after
//! proof to the order, the customer's approver rejects one with a comment and approves a later
//! one, and both sides read the versions with their hashes. Also every refusal: other companies,
//! a blocked partner, the approvals service switched off, people who may not decide, and bad
//! input — each a clear 4xx that changes nothing.

use serde_json::{json, Value};
use tradepost_e2e::*;

fn apr_path(id: &str, action: &str) -> String {
    if action.is_empty() {
        format!("/v1/approvals/{id}")
    } else {
        format!("/v1/approvals/{id}/{action}")
    }
}

fn proofs_path(doc_id: &str) -> String {
    format!("/v1/documents/{doc_id}/proofs")
}

/// `POST /v1/documents/{doc}/proofs` with the raw `body` and exactly these `headers`.
fn attach_raw(api: &Api, doc_id: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let path = proofs_path(doc_id);
    let mut request = api.raw(Method::POST, &path).timeout(BIG_TRANSFER);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.run(Method::POST, &path, request.body(body))
}

/// Attaches a PDF proof named `filename`, naming `approvers` (user ids) if any; the answer.
fn attach(
    api: &Api,
    doc_id: &str,
    filename: &str,
    body: &[u8],
    approvers: &[&str],
    note: Option<&str>,
) -> Reply {
    let joined = approvers.join(",");
    let mut headers = vec![
        ("Tradepost-Filename", filename),
        ("Content-Type", "application/pdf"),
    ];
    if !approvers.is_empty() {
        headers.push(("Tradepost-Approvers", &joined));
    }
    if let Some(note) = note {
        headers.push(("Tradepost-Note", note));
    }
    attach_raw(api, doc_id, &headers, body.to_vec())
}

/// A proof file: a small PDF-looking body that differs per `seed`.
fn proof_bytes(seed: u64) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(pseudo_random_bytes(48 * 1024 + seed as usize, seed));
    pdf.extend_from_slice(b"\n%%EOF\n");
    pdf
}

/// The proof of an approval, as bytes.
fn download(api: &Api, id: &str, headers: &[(&str, &str)]) -> Download {
    let path = apr_path(id, "content");
    let mut request = api.raw(Method::GET, &path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.run_bytes(Method::GET, &path, request)
}

/// `GET /v1/approvals` with the `query` pairs; the whole answer.
fn list_reply(api: &Api, query: &[(&str, &str)]) -> Reply {
    let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let described = format!("/v1/approvals?{}", shown.join("&"));
    api.run(
        Method::GET,
        &described,
        api.raw(Method::GET, "/v1/approvals").query(query),
    )
}

/// `GET /v1/approvals` expecting 200: `{data, next_cursor, counts}`.
fn list(api: &Api, query: &[(&str, &str)]) -> Value {
    let answer = list_reply(api, query).expect(200);
    assert!(
        answer["data"].is_array() && answer["counts"].is_object(),
        "an approval list is {{data, next_cursor, counts}}: {answer}"
    );
    answer
}

fn counts(api: &Api) -> Value {
    list(api, &[])["counts"].clone()
}

/// What a refused call must leave as it was: the approval as `api`'s company reads it, and the
/// company's dashboard counts.
fn state(api: &Api, id: &str) -> Value {
    json!({ "approval": api.get(&apr_path(id, ""), 200), "counts": counts(api) })
}

/// The versions of an approval: `(version, status)` oldest first.
fn versions(approval: &Value) -> Vec<(u64, String)> {
    let entries = approval["versions"].as_array();
    assert!(
        entries.is_some(),
        "an approval read one by one has versions: {approval}"
    );
    entries
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["version"].as_u64().unwrap_or_default(),
                text(&v["status"]),
            )
        })
        .collect()
}

/// How many approval events the dev log holds for `company_id`.
fn approval_events(company_id: &str) -> usize {
    events(company_id)
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .unwrap_or_default()
                .starts_with("approval.")
        })
        .count()
}

fn name_of(person: &Person) -> String {
    text(&person.login["user"]["name"])
}

/// A connected customer and supplier, and an order the customer sent the supplier.
struct Deal {
    customer: Company,
    supplier: Company,
    relationship: String,
    order: String,
}

fn deal(hint: &str) -> Deal {
    let customer = Company::signup_confirmed(&format!("{hint}kunde"));
    let supplier = Company::signup_confirmed(&format!("{hint}druck"));
    let relationship = connect(&customer, &supplier);
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "Flyer-Auftrag.txt",
        format!("order {}: 5000 flyers A5\n", unique(8)).into_bytes(),
        &[
            ("Content-Type", "text/plain"),
            ("Tradepost-Reference", "PO-77"),
        ],
        201,
    );
    Deal {
        customer,
        supplier,
        relationship,
        order: text(&order["id"]),
    }
}

/// A pending proof the supplier's admin attached to the deal's order; its approval.
fn pending_proof(deal: &Deal, approvers: &[&str]) -> Value {
    attach(
        deal.supplier.api(),
        &deal.order,
        "proof.pdf",
        &proof_bytes(7),
        approvers,
        None,
    )
    .expect(201)
}

// ---------------------------------------------------------------------------------------------

#[test]
fn a_proof_is_rejected_then_replaced_until_the_customers_approver_approves_it() {
    let d = deal("story");
    let (customer, supplier) = (&d.customer, &d.supplier);
    let approver = invite_colleague(customer, &["approvals.decide", "documents.receive"]);
    let buyer = invite_colleague(customer, &["documents.send", "documents.receive"]);
    let before = counts(customer.api());

    // v1 names the approver and carries a note with umlauts.
    let v1_bytes = proof_bytes(1);
    let v1 = attach(
        supplier.api(),
        &d.order,
        "Andruck%20M%C3%BCller%20v1.pdf",
        &v1_bytes,
        &[&approver.id],
        Some("Bitte%20Farben%20pr%C3%BCfen"),
    );
    assert_eq!(
        v1.header("location"),
        Some(format!("/v1/approvals/{}", text(&v1.json()["id"]))),
        "{v1:?}"
    );
    let v1 = v1.expect(201);
    let v1_id = text(&v1["id"]);
    assert_id(&v1["id"], "apr_");
    assert_eq!(v1["document_id"], json!(d.order));
    assert_eq!(v1["relationship_id"], json!(d.relationship));
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["status"], "pending");
    assert_eq!(v1["side"], "supplier");
    assert_eq!(v1["partner"]["id"], json!(customer.id));
    assert_eq!(v1["filename"], "Andruck Müller v1.pdf");
    assert_eq!(v1["content_type"], "application/pdf");
    assert_eq!(v1["size"], json!(v1_bytes.len()));
    assert_eq!(v1["sha256"], json!(sha256_hex(&v1_bytes)));
    assert_eq!(v1["note"], "Bitte Farben prüfen");
    assert_eq!(
        v1["approvers"],
        json!([{"id": approver.id, "name": name_of(&approver)}])
    );
    assert_eq!(
        v1["requested_by"],
        json!({"user_id": supplier.admin.id, "name": name_of(&supplier.admin)})
    );
    assert_timestamp(&v1["requested_at"]);
    assert_eq!(v1["decision"], Value::Null);
    assert_eq!(v1["superseded_by"], Value::Null);
    assert_eq!(
        v1["document"],
        json!({"id": d.order, "type": "order", "filename": "Flyer-Auftrag.txt", "reference": "PO-77"})
    );
    let requested = wait_for_event(&customer.id, "approval.requested", |e| {
        e["data"]["approval_id"] == json!(v1_id)
    });
    assert_eq!(
        requested["data"],
        json!({
            "approval_id": v1_id, "document_id": d.order, "version": 1,
            "filename": "Andruck Müller v1.pdf", "size": v1_bytes.len(),
            "sha256": sha256_hex(&v1_bytes), "approvers": [approver.id],
        })
    );

    // The dashboards move: the customer has one to decide, by the approver only.
    let customer_counts = counts(customer.api());
    assert_eq!(
        customer_counts["to_decide"],
        json!(before["to_decide"].as_u64().unwrap_or(0) + 1)
    );
    assert_eq!(counts(&approver.api)["to_decide_by_me"], 1);
    assert_eq!(counts(&buyer.api)["to_decide_by_me"], 0);
    assert_eq!(
        customer_counts["to_decide_by_me"], 0,
        "the admin is not named"
    );
    assert_eq!(counts(supplier.api())["awaiting_partner"], 1);
    assert_eq!(
        ids(&list(&approver.api, &[("for", "me")])),
        vec![v1_id.clone()]
    );
    assert!(ids(&list(&buyer.api, &[("for", "me")])).is_empty());

    // The customer sees it from its side and downloads the very bytes.
    let seen = customer.api().get(&apr_path(&v1_id, ""), 200);
    assert_eq!(seen["side"], "customer");
    assert_eq!(seen["partner"]["id"], json!(supplier.id));
    let got = download(&approver.api, &v1_id, &[]);
    assert_same_bytes(got.expect(200), &v1_bytes, "proof v1");
    got.assert_sandboxed();
    assert_eq!(
        got.header("etag"),
        Some(format!("\"{}\"", sha256_hex(&v1_bytes)))
    );
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/pdf")
    );

    // The approver rejects v1 with a comment.
    let rejected = approver.api.post(
        &apr_path(&v1_id, "reject"),
        json!({"comment": "Logo zu klein, bitte 20 % größer"}),
        200,
    );
    assert_eq!(rejected["status"], "rejected");
    let decision = &rejected["decision"];
    assert_eq!(decision["decision"], "rejected");
    assert_eq!(decision["comment"], "Logo zu klein, bitte 20 % größer");
    assert_eq!(
        decision["by"],
        json!({"user_id": approver.id, "name": name_of(&approver)})
    );
    assert_eq!(decision["sha256"], json!(sha256_hex(&v1_bytes)));
    assert_timestamp(&decision["at"]);
    let decided = wait_for_event(&supplier.id, "approval.decided", |e| {
        e["data"]["approval_id"] == json!(v1_id)
    });
    assert_eq!(
        decided["data"],
        json!({
            "approval_id": v1_id, "document_id": d.order, "version": 1,
            "decision": "rejected", "comment": "Logo zu klein, bitte 20 % größer",
            "sha256": sha256_hex(&v1_bytes), "decided_by_name": name_of(&approver),
        })
    );
    assert_eq!(counts(&approver.api)["to_decide_by_me"], 0);
    assert_eq!(counts(supplier.api())["awaiting_partner"], 0);

    // v2 by the supplier's ERP (an API key), nobody named; v1 stays rejected.
    let erp = api_key(supplier, &["documents.send"]);
    let v2_bytes = proof_bytes(2);
    let v2 = attach(&erp.api, &d.order, "Andruck v2.pdf", &v2_bytes, &[], None).expect(201);
    let v2_id = text(&v2["id"]);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["approvers"], Value::Null);
    assert_eq!(v2["requested_by"]["user_id"], Value::Null);
    assert_eq!(v2["requested_by"]["name"], erp.created["name"]);
    assert_eq!(
        supplier.api().get(&apr_path(&v1_id, ""), 200)["status"],
        "rejected"
    );

    // v3 arrives while v2 is pending: v2 is superseded and can no longer be decided.
    let v3_bytes = proof_bytes(3);
    let v3 = attach(
        supplier.api(),
        &d.order,
        "Andruck v3.pdf",
        &v3_bytes,
        &[&approver.id],
        None,
    )
    .expect(201);
    let v3_id = text(&v3["id"]);
    assert_eq!(v3["version"], 3);
    let v2_now = customer.api().get(&apr_path(&v2_id, ""), 200);
    assert_eq!(v2_now["status"], "superseded");
    assert_eq!(v2_now["superseded_by"], json!(v3_id));
    assert_timestamp(&v2_now["superseded_at"]);
    let superseded = wait_for_event(&customer.id, "approval.superseded", |e| {
        e["data"]["approval_id"] == json!(v2_id)
    });
    assert_eq!(
        superseded["data"],
        json!({"approval_id": v2_id, "superseded_by": v3_id, "document_id": d.order, "version": 2})
    );
    let unchanged = state(customer.api(), &v2_id);
    customer
        .api()
        .send(Method::POST, &apr_path(&v2_id, "approve"), None)
        .expect_problem(409, "superseded");
    assert_eq!(state(customer.api(), &v2_id), unchanged);

    // The approver approves v3 without a comment.
    let approved = approver.api.post_empty(&apr_path(&v3_id, "approve"), 200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decision"]["decision"], "approved");
    assert_eq!(approved["decision"]["comment"], Value::Null);
    assert_eq!(approved["decision"]["sha256"], json!(sha256_hex(&v3_bytes)));
    wait_for_event(&supplier.id, "approval.decided", |e| {
        e["data"]["approval_id"] == json!(v3_id) && e["data"]["decision"] == "approved"
    });
    // A decision is final.
    approver
        .api
        .send(
            Method::POST,
            &apr_path(&v3_id, "reject"),
            Some(&json!({"comment": "changed my mind"})),
        )
        .expect_problem(409, "already_decided");

    // Both sides see the same history of versions with hashes and decisions.
    let hashes = [&v1_bytes, &v2_bytes, &v3_bytes].map(|b| sha256_hex(b));
    for (who, api) in [("supplier", supplier.api()), ("customer", customer.api())] {
        let seen = api.get(&apr_path(&v2_id, ""), 200);
        assert_eq!(seen["side"], who);
        assert_eq!(
            versions(&seen),
            vec![
                (1, "rejected".to_owned()),
                (2, "superseded".to_owned()),
                (3, "approved".to_owned())
            ],
            "{who}: {seen}"
        );
        let entries = seen["versions"].as_array().cloned().unwrap_or_default();
        for (entry, hash) in entries.iter().zip(&hashes) {
            assert_eq!(entry["sha256"], json!(hash), "{who}: {entry}");
        }
        assert_eq!(entries[0]["id"], json!(v1_id));
        assert_eq!(
            entries[0]["decision"]["comment"],
            "Logo zu klein, bitte 20 % größer"
        );
        assert_eq!(entries[0]["decision"]["by"]["user_id"], json!(approver.id));
        assert_eq!(entries[0]["decision"]["sha256"], json!(hashes[0]));
        assert_eq!(entries[1]["decision"], Value::Null);
        assert_eq!(entries[2]["decision"]["decision"], "approved");
        assert_eq!(entries[2]["decision"]["sha256"], json!(hashes[2]));
        // Every version downloads byte for byte on both sides.
        for (id, bytes) in [
            (&v1_id, &v1_bytes),
            (&v2_id, &v2_bytes),
            (&v3_id, &v3_bytes),
        ] {
            assert_same_bytes(download(api, id, &[]).expect(200), bytes, who);
        }
        // The document's list shows all three, newest first.
        assert_eq!(
            ids(&list(api, &[("document_id", &d.order)])),
            vec![v3_id.clone(), v2_id.clone(), v1_id.clone()]
        );
    }
    let tail = download(customer.api(), &v3_id, &[("Range", "bytes=-7")]);
    assert_eq!(tail.expect(206), b"\n%%EOF\n");
    let etag = format!("\"{}\"", hashes[2]);
    assert_eq!(
        download(customer.api(), &v3_id, &[("If-None-Match", &etag)]).status,
        304
    );
    let head_path = apr_path(&v3_id, "content");
    let head = customer.api().run_bytes(
        Method::HEAD,
        &head_path,
        customer.api().raw(Method::HEAD, &head_path),
    );
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(v3_bytes.len().to_string())
    );

    // Nothing is pending any more on either side.
    assert_eq!(counts(customer.api())["to_decide"], before["to_decide"]);
    assert_eq!(counts(supplier.api())["awaiting_partner"], 0);
    assert_eq!(
        ids(&list(supplier.api(), &[("status", "approved")])),
        vec![v3_id.clone()]
    );
    assert_eq!(ids(&list(customer.api(), &[("side", "customer")])).len(), 3);
    assert!(ids(&list(customer.api(), &[("side", "supplier")])).is_empty());
    assert_eq!(
        ids(&list(supplier.api(), &[("partner", &customer.id)])).len(),
        3
    );
}

#[test]
fn lists_page_through_both_sides_newest_first() {
    let d = deal("liste");
    let other = Company::signup_confirmed("zweitkunde");
    connect(&other, &d.supplier);
    let second_order = other.api().upload(
        &d.supplier.id,
        "order",
        "order.txt",
        b"order 2".to_vec(),
        &[],
        201,
    );
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(text(&pending_proof(&d, &[])["id"]));
    }
    let for_other = attach(
        d.supplier.api(),
        &text(&second_order["id"]),
        "p.pdf",
        &proof_bytes(9),
        &[],
        None,
    )
    .expect(201);
    made.push(text(&for_other["id"]));
    made.reverse();
    let first = list(d.supplier.api(), &[("limit", "3")]);
    assert_eq!(ids(&first), made[..3].to_vec());
    let cursor = text(&first["next_cursor"]);
    let second = list(d.supplier.api(), &[("limit", "3"), ("cursor", &cursor)]);
    assert_eq!(ids(&second), made[3..].to_vec());
    assert_eq!(second["next_cursor"], Value::Null);
    // Only the newest proof of each document is pending.
    assert_eq!(
        d.supplier.api().get("/v1/approvals", 200)["counts"]["awaiting_partner"],
        2
    );
    assert_eq!(
        ids(&list(d.supplier.api(), &[("status", "superseded")])).len(),
        2
    );
    assert_eq!(
        ids(&list(d.supplier.api(), &[("partner", &other.id)])),
        vec![made[0].clone()]
    );
    // The other customer sees only its own.
    assert_eq!(ids(&list(other.api(), &[])), vec![made[0].clone()]);
    assert_eq!(counts(other.api())["to_decide"], 1);
    assert_eq!(counts(other.api())["to_decide_by_me"], 1);
}

#[test]
fn other_companies_get_404_on_every_endpoint_and_change_nothing() {
    let d = deal("fremd");
    let approval = pending_proof(&d, &[]);
    let id = text(&approval["id"]);
    let stranger = Company::signup_confirmed("fremder");
    // Even a stranger connected to the supplier reaches nothing of another customer's.
    connect(&stranger, &d.supplier);
    let stranger_key = api_key(&stranger, &["documents.send", "documents.receive"]);
    let before = state(d.customer.api(), &id);
    let forged_apr = "apr_01jr8v2m4k3q9t6w5x7y8z0abc";
    let forged_doc = "doc_01jr8v2m4k3q9t6w5x7y8z0abc";
    for api in [stranger.api(), &stranger_key.api] {
        for target in [id.as_str(), forged_apr] {
            api.send(Method::GET, &apr_path(target, ""), None)
                .expect_problem(404, "not_found");
            download(api, target, &[])
                .reply()
                .expect_problem(404, "not_found");
            for action in ["approve", "reject"] {
                api.send(
                    Method::POST,
                    &apr_path(target, action),
                    Some(&json!({"comment": "no"})),
                )
                .expect_problem(404, "not_found");
            }
        }
        for doc in [d.order.as_str(), forged_doc] {
            attach(api, doc, "x.pdf", b"%PDF", &[], None).expect_problem(404, "not_found");
        }
        assert!(ids(&list(api, &[])).is_empty());
        assert!(ids(&list(api, &[("document_id", &d.order)])).is_empty());
        assert_eq!(
            list(api, &[])["counts"],
            json!({"to_decide": 0, "to_decide_by_me": 0, "awaiting_partner": 0})
        );
    }
    assert_eq!(state(d.customer.api(), &id), before);
    assert_eq!(
        ids(&list(d.supplier.api(), &[("document_id", &d.order)])),
        vec![id]
    );
}

#[test]
fn a_blocked_partner_can_neither_send_nor_decide_but_the_history_stays_readable() {
    let d = deal("block");
    let approval = pending_proof(&d, &[]);
    let id = text(&approval["id"]);
    let before = state(d.customer.api(), &id);
    d.customer
        .api()
        .post_empty(&format!("/v1/relationships/{}/block", d.relationship), 200);
    let told = (
        approval_events(&d.customer.id),
        approval_events(&d.supplier.id),
    );

    attach(
        d.supplier.api(),
        &d.order,
        "p2.pdf",
        &proof_bytes(4),
        &[],
        None,
    )
    .expect_problem(403, "relationship_blocked");
    for (action, body) in [("approve", json!({})), ("reject", json!({"comment": "no"}))] {
        d.customer
            .api()
            .send(Method::POST, &apr_path(&id, action), Some(&body))
            .expect_problem(403, "relationship_blocked");
    }
    // Reading stays possible on both sides.
    assert_eq!(state(d.customer.api(), &id), before);
    let seen = d.supplier.api().get(&apr_path(&id, ""), 200);
    assert_eq!(seen["status"], "pending");
    assert_eq!(versions(&seen), vec![(1, "pending".to_owned())]);
    assert_same_bytes(
        download(d.supplier.api(), &id, &[]).expect(200),
        &proof_bytes(7),
        "proof after the block",
    );
    assert_eq!(ids(&list(d.supplier.api(), &[])), vec![id.clone()]);
    assert_eq!(
        (
            approval_events(&d.customer.id),
            approval_events(&d.supplier.id)
        ),
        told
    );

    // Unblocked, the customer decides again.
    d.customer.api().post_empty(
        &format!("/v1/relationships/{}/unblock", d.relationship),
        200,
    );
    d.customer
        .api()
        .post(&apr_path(&id, "approve"), json!({"comment": "ok"}), 200);
}

#[test]
fn with_the_approvals_service_switched_off_nothing_is_sent_or_decided() {
    let d = deal("aus");
    let approval = pending_proof(&d, &[]);
    let id = text(&approval["id"]);
    let before = state(d.customer.api(), &id);
    let patched = d.supplier.api().patch(
        &format!("/v1/relationships/{}", d.relationship),
        json!({"services": {"approvals": "inactive"}}),
        200,
    );
    assert_eq!(patched["services"]["approvals"], "inactive");
    attach(
        d.supplier.api(),
        &d.order,
        "p2.pdf",
        &proof_bytes(4),
        &[],
        None,
    )
    .expect_problem(409, "service_not_enabled");
    d.customer
        .api()
        .send(Method::POST, &apr_path(&id, "approve"), None)
        .expect_problem(409, "service_not_enabled");
    d.customer
        .api()
        .send(
            Method::POST,
            &apr_path(&id, "reject"),
            Some(&json!({"comment": "no"})),
        )
        .expect_problem(409, "service_not_enabled");
    assert_eq!(state(d.customer.api(), &id), before);
    assert_eq!(ids(&list(d.supplier.api(), &[])), vec![id]);
}

#[test]
fn only_a_named_person_of_the_customer_with_approvals_decide_decides() {
    let d = deal("recht");
    let (customer, supplier) = (&d.customer, &d.supplier);
    let approver = invite_colleague(customer, &["approvals.decide"]);
    let other_approver = invite_colleague(customer, &["approvals.decide"]);
    let reader = invite_colleague(customer, &["documents.receive"]);
    let talker = invite_colleague(customer, &["talk"]);
    let customer_key = api_key(customer, &["approvals.decide", "documents.receive"]);
    let supplier_member = invite_colleague(supplier, &["documents.send", "approvals.decide"]);
    let supplier_reader = invite_colleague(supplier, &["documents.receive"]);

    let approval = pending_proof(&d, &[&approver.id]);
    let id = text(&approval["id"]);
    wait_for_event(&customer.id, "approval.requested", |e| {
        e["data"]["approval_id"] == json!(id)
    });
    let before = state(customer.api(), &id);
    let told = (approval_events(&customer.id), approval_events(&supplier.id));
    let decide = |api: &Api, action: &str, status: u16, code: &str| {
        api.send(
            Method::POST,
            &apr_path(&id, action),
            Some(&json!({"comment": "from someone who may not"})),
        )
        .expect_problem(status, code);
    };
    for action in ["approve", "reject"] {
        decide(&reader.api, action, 403, "permission_missing");
        decide(&customer_key.api, action, 403, "user_required");
        decide(supplier.api(), action, 403, "not_customer");
        decide(&supplier_member.api, action, 403, "not_customer");
        decide(&other_approver.api, action, 403, "not_an_approver");
        // The admin holds approvals.decide, but the supplier named someone else.
        decide(customer.api(), action, 403, "not_an_approver");
    }
    // Reading needs one of the document or approval permissions.
    talker
        .api
        .send(Method::GET, &apr_path(&id, ""), None)
        .expect_problem(403, "permission_missing");
    list_reply(&talker.api, &[]).expect_problem(403, "permission_missing");
    download(&talker.api, &id, &[])
        .reply()
        .expect_problem(403, "permission_missing");
    reader.api.get(&apr_path(&id, ""), 200);
    supplier_reader.api.get(&apr_path(&id, ""), 200);
    assert_eq!(state(customer.api(), &id), before);

    // The customer cannot send proofs, not even to its own order; a supplier member without
    // documents.send cannot either.
    attach(
        customer.api(),
        &d.order,
        "mine.pdf",
        &proof_bytes(5),
        &[],
        None,
    )
    .expect_problem(403, "not_supplier");
    attach(
        &supplier_reader.api,
        &d.order,
        "p.pdf",
        &proof_bytes(5),
        &[],
        None,
    )
    .expect_problem(403, "permission_missing");
    assert_eq!(state(customer.api(), &id), before);

    assert_eq!(
        (approval_events(&customer.id), approval_events(&supplier.id)),
        told,
        "a refused call told nobody anything"
    );

    // The named approver decides.
    approver
        .api
        .post(&apr_path(&id, "approve"), json!({"comment": "passt"}), 200);
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let d = deal("falsch");
    let (customer, supplier) = (&d.customer, &d.supplier);
    let approval = pending_proof(&d, &[]);
    let id = text(&approval["id"]);
    let before = state(customer.api(), &id);
    let no_decide = invite_colleague(customer, &["documents.receive"]);
    let outsider = Company::signup_confirmed("aussen");
    let api = supplier.api();
    let body = proof_bytes(6);
    let wrong = std::cell::RefCell::new(Vec::new());
    let check = |what: &str, reply: Reply, status: u16, code: &str, field: Option<&str>| {
        if let Some(mismatch) = reply.problem_mismatch(status, Some(code), field) {
            wrong.borrow_mut().push(format!("{what}: {mismatch}"));
        }
    };

    // Headers of the proof upload.
    check(
        "no filename",
        attach_raw(
            api,
            &d.order,
            &[("Content-Type", "application/pdf")],
            body.clone(),
        ),
        422,
        "invalid_field",
        Some("filename"),
    );
    check(
        "a filename with a path",
        attach_raw(
            api,
            &d.order,
            &[("Tradepost-Filename", "a%2Fb.pdf")],
            body.clone(),
        ),
        422,
        "invalid_field",
        Some("filename"),
    );
    check(
        "an empty file",
        attach_raw(
            api,
            &d.order,
            &[("Tradepost-Filename", "e.pdf")],
            Vec::new(),
        ),
        422,
        "invalid_field",
        Some("body"),
    );
    let bad_approvers = [
        "someone".to_owned(),
        format!("{},co_x", customer.admin.id),
        // A user of the supplier, and a colleague of the customer without approvals.decide.
        supplier.admin.id.clone(),
        no_decide.id.clone(),
        outsider.admin.id.clone(),
        "us_01jr8v2m4k3q9t6w5x7y8z0abc".to_owned(),
    ];
    for approvers in &bad_approvers {
        check(
            &format!("approvers {approvers}"),
            attach(api, &d.order, "p.pdf", &body, &[approvers], None),
            422,
            "invalid_field",
            Some("approvers"),
        );
    }
    check(
        "a note too long",
        attach(api, &d.order, "p.pdf", &body, &[], Some(&long('n', 2001))),
        422,
        "invalid_field",
        Some("note"),
    );
    check(
        "a note that is not UTF-8",
        attach(api, &d.order, "p.pdf", &body, &[], Some("%FF%FE")),
        422,
        "invalid_field",
        Some("note"),
    );
    check(
        "a malformed document id",
        attach(api, "doc_nope", "p.pdf", &body, &[], None),
        404,
        "not_found",
        None,
    );

    // Without a Content-Length (a chunked body) the proof is refused before it is read.
    let chunked = api.raw_tcp(
        "POST",
        &proofs_path(&d.order),
        &[
            ("Tradepost-Filename", "chunked.pdf"),
            ("Transfer-Encoding", "chunked"),
        ],
        b"5\r\nhello\r\n0\r\n\r\n",
        false,
    );
    match chunked.reply(Method::POST, "proofs (chunked, no Content-Length)") {
        Some(reply) => check("a chunked body", reply, 411, "length_required", None),
        None => wrong
            .borrow_mut()
            .push(format!("a chunked body: no answer ({chunked:?})")),
    }

    // Decisions.
    let path = apr_path(&id, "reject");
    check(
        "reject without a body",
        customer.api().send(Method::POST, &path, None),
        415,
        "unsupported_media_type",
        None,
    );
    for body in [
        json!({}),
        json!({"comment": "  "}),
        json!({"comment": null}),
    ] {
        check(
            &format!("reject with {body}"),
            customer.api().send(Method::POST, &path, Some(&body)),
            422,
            "invalid_field",
            Some("comment"),
        );
    }
    check(
        "a comment too long",
        customer.api().send(
            Method::POST,
            &apr_path(&id, "approve"),
            Some(&json!({"comment": long('c', 2001)})),
        ),
        422,
        "invalid_field",
        Some("comment"),
    );
    check(
        "an unknown field",
        customer.api().send(
            Method::POST,
            &apr_path(&id, "approve"),
            Some(&json!({"verdict": "yes"})),
        ),
        422,
        "invalid_field",
        Some("verdict"),
    );
    let malformed = customer.api().run(
        Method::POST,
        &path,
        customer
            .api()
            .raw(Method::POST, &path)
            .header("Content-Type", "application/json")
            .body("{\"comment\": "),
    );
    check("malformed JSON", malformed, 400, "malformed_json", None);

    // Unknown and malformed ids.
    for target in [
        "apr_01jr8v2m4k3q9t6w5x7y8z0abc",
        "apr_x",
        "doc_01jr8v2m4k3q9t6w5x7y8z0abc",
    ] {
        check(
            &format!("GET {target}"),
            customer
                .api()
                .send(Method::GET, &apr_path(target, ""), None),
            404,
            "not_found",
            None,
        );
        check(
            &format!("approve {target}"),
            customer
                .api()
                .send(Method::POST, &apr_path(target, "approve"), None),
            404,
            "not_found",
            None,
        );
    }
    check(
        "a wrong method",
        customer
            .api()
            .send(Method::DELETE, &apr_path(&id, ""), None),
        405,
        "method_not_allowed",
        None,
    );
    check(
        "an unknown action",
        customer
            .api()
            .send(Method::POST, &apr_path(&id, "undo"), None),
        404,
        "not_found",
        None,
    );

    // List filters.
    for (name, value) in [
        ("status", "open"),
        ("document_id", "nope"),
        ("partner", "someone"),
        ("side", "buyer"),
        ("for", "you"),
        ("limit", "0"),
        ("cursor", "!!"),
    ] {
        check(
            &format!("list {name}={value}"),
            list_reply(customer.api(), &[(name, value)]),
            422,
            "invalid_field",
            Some(name),
        );
    }
    let wrong = wrong.into_inner();
    assert!(
        wrong.is_empty(),
        "{} bad requests were not refused as the contract says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(state(customer.api(), &id), before);
    assert_eq!(
        ids(&list(supplier.api(), &[("document_id", &d.order)])),
        vec![id.clone()],
        "no refused upload left an approval behind"
    );

    // Deciding twice: the first decision stands.
    customer.api().post(
        &apr_path(&id, "reject"),
        json!({"comment": "too dark"}),
        200,
    );
    let decided = state(customer.api(), &id);
    customer
        .api()
        .send(Method::POST, &apr_path(&id, "approve"), None)
        .expect_problem(409, "already_decided");
    customer
        .api()
        .send(
            Method::POST,
            &apr_path(&id, "reject"),
            Some(&json!({"comment": "again"})),
        )
        .expect_problem(409, "already_decided");
    assert_eq!(state(customer.api(), &id), decided);
    assert_eq!(
        decided["approval"]["decision"]["comment"], "too dark",
        "{decided}"
    );
}

#[test]
fn proofs_and_decisions_at_the_same_moment_keep_one_pending_version_and_one_decision() {
    let d = deal("zugleich");
    let answers: Vec<Reply> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4_u64)
            .map(|seed| {
                let api = d.supplier.api().clone();
                let order = d.order.clone();
                scope.spawn(move || {
                    attach(&api, &order, "race.pdf", &proof_bytes(20 + seed), &[], None)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut created = 0;
    for answer in &answers {
        if answer.status == 201 {
            created += 1;
        } else {
            answer.expect_problem(409, "changed_meanwhile");
        }
    }
    assert!(
        created >= 3,
        "simultaneous proofs are written one after the other: {answers:?}"
    );
    let all = list(d.customer.api(), &[("document_id", &d.order)]);
    let data = all["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        data.len(),
        created,
        "one approval per accepted proof: {all}"
    );
    let mut seen: Vec<u64> = data.iter().filter_map(|a| a["version"].as_u64()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=created as u64).collect::<Vec<_>>(), "{all}");
    let pending: Vec<&Value> = data.iter().filter(|a| a["status"] == "pending").collect();
    assert_eq!(pending.len(), 1, "exactly one pending version: {all}");
    assert_eq!(pending[0]["version"], json!(created));
    let newest = text(&pending[0]["id"]);

    // Two people decide at once: one decision is recorded, the other is told it came late.
    let colleague = invite_colleague(&d.customer, &["approvals.decide"]);
    let path = apr_path(&newest, "approve");
    let decisions: Vec<Reply> = std::thread::scope(|scope| {
        let first = scope.spawn(|| d.customer.api().send(Method::POST, &path, None));
        let second = scope.spawn(|| colleague.api.send(Method::POST, &path, None));
        vec![first.join().unwrap(), second.join().unwrap()]
    });
    let ok: Vec<&Reply> = decisions.iter().filter(|r| r.status == 200).collect();
    assert_eq!(ok.len(), 1, "{decisions:?}");
    for refused in decisions.iter().filter(|r| r.status != 200) {
        refused.expect_problem(409, "already_decided");
    }
    let decided = d.supplier.api().get(&apr_path(&newest, ""), 200);
    assert_eq!(decided["decision"], ok[0].json()["decision"]);
    let events_decided = events(&d.supplier.id)
        .iter()
        .filter(|e| e["type"] == "approval.decided" && e["data"]["approval_id"] == json!(newest))
        .count();
    assert_eq!(events_decided, 1);
}

/// A supplier's system that sends a proof again with the same `Idempotency-Key` (after a
/// timeout, say) gets the approval it created, not a new version that supersedes it; the key
/// with other bytes or another document is refused, and copies sent at the same moment all end
/// up as one approval.
#[test]
fn a_proof_sent_again_with_its_idempotency_key_is_the_same_approval() {
    let d = deal("wieder");
    let send = |doc: &str, body: Vec<u8>, key: &str| {
        attach_raw(
            d.supplier.api(),
            doc,
            &[
                ("Tradepost-Filename", "proof.pdf"),
                ("Content-Type", "application/pdf"),
                ("Idempotency-Key", key),
            ],
            body,
        )
    };
    let key = format!("proof-{}", unique(8));
    let first = send(&d.order, proof_bytes(31), &key).expect(201);
    let again = send(&d.order, proof_bytes(31), &key);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let again = again.expect(200);
    assert_eq!(again["id"], first["id"], "{again}");
    assert_eq!(again["version"], json!(1), "{again}");
    assert_eq!(again["sha256"], first["sha256"], "{again}");

    let id = text(&first["id"]);
    let before = state(d.customer.api(), &id);
    send(&d.order, proof_bytes(32), &key).expect_problem(409, "idempotency_key_reused");
    let other = d.customer.api().upload(
        &d.supplier.id,
        "order",
        "second-order.txt",
        b"order 2: 100 posters A1\n".to_vec(),
        &[("Content-Type", "text/plain")],
        201,
    );
    send(&text(&other["id"]), proof_bytes(31), &key).expect_problem(409, "idempotency_key_reused");
    for bad in ["", "with space", &"k".repeat(256)] {
        send(&d.order, proof_bytes(31), bad).expect_invalid_field("idempotency_key");
    }
    assert_eq!(state(d.customer.api(), &id), before);
    assert_eq!(approval_events(&d.customer.id), 1);

    // Three copies of the next proof at the same moment: one approval, version 2.
    let key = format!("proof-{}", unique(8));
    let copies: Vec<Reply> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| send(&d.order, proof_bytes(33), &key)))
            .collect();
        sends.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let created: Vec<&Reply> = copies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "{copies:?}");
    let next = created[0].json();
    for copy in copies.iter().filter(|r| r.status != 201) {
        assert_eq!(copy.expect(200)["id"], next["id"], "{copies:?}");
    }
    assert_eq!(next["version"], json!(2), "{next}");
    let read = d.customer.api().get(&apr_path(&id, ""), 200);
    assert_eq!(
        versions(&read),
        vec![(1, "superseded".to_owned()), (2, "pending".to_owned())]
    );
    assert_eq!(
        approval_events(&d.customer.id),
        3,
        "requested, superseded, requested"
    );
}

#[test]
fn a_proof_over_the_limit_is_refused_by_its_declared_length() {
    let d = deal("gross");
    // The whole body goes out (the local dev proxy forwards a request only once it has it);
    // the worker refuses it by its Content-Length (MAX_PROOF_BYTES, 100 MiB) without reading it.
    let length = (100 * MIB + 1).to_string();
    let answer = d.supplier.api().raw_tcp(
        "POST",
        &proofs_path(&d.order),
        &[
            ("Tradepost-Filename", "huge.pdf"),
            ("Content-Type", "application/pdf"),
            ("Content-Length", &length),
        ],
        &vec![b'x'; 100 * MIB + 1],
        true,
    );
    let reply = answer.reply(Method::POST, "proofs (Content-Length 100 MiB + 1)");
    assert!(reply.is_some(), "no answer: {answer:?}");
    if let Some(reply) = reply {
        reply.expect_problem(413, "payload_too_large");
    }
    assert!(ids(&list(d.supplier.api(), &[])).is_empty());
}
