//! The company mailbox as partners live it: a customer's ERP sends an order, the supplier's ERP
//! fetches, acknowledges and reports on it, and the customer watches the status bar. Also retries,
//! a big file and ranges, multipart uploads, cancelling, the status machine, replies, first
//! contact, filters, other tenants and the unauthorised, bad input, and a browser's form.

use std::thread::sleep;
use std::time::Duration;

use serde_json::{json, Value};
use tradepost_e2e::*;

const UBL_ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");
const UBL_ORDER_RESPONSE: &[u8] =
    include_bytes!("../../shared/tests/fixtures/formats/ubl-order-response.xml");

/// What the orders worker reads out of `ubl-order.xml` (see shared/src/formats).
fn ubl_order_summary() -> Value {
    json!({
        "format": "ubl_order",
        "order_number": "PO-2024-0815",
        "issue_date": "2024-03-12",
        "buyer_id": "4012345000009",
        "seller_id": "4098765000002",
        "currency": "EUR",
        "total": "769.45",
        "line_count": 3,
    })
}

fn doc_path(id: &str, action: &str) -> String {
    if action.is_empty() {
        format!("/v1/documents/{id}")
    } else {
        format!("/v1/documents/{id}/{action}")
    }
}

fn upload_path(id: &str, action: &str) -> String {
    if action.is_empty() {
        format!("/v1/uploads/{id}")
    } else {
        format!("/v1/uploads/{id}/{action}")
    }
}

fn rel_path(id: &str) -> String {
    format!("/v1/relationships/{id}")
}

/// The statuses of a document's status bar, oldest first.
fn history(doc: &Value) -> Vec<String> {
    let entries = doc["history"].as_array();
    assert!(
        entries.is_some(),
        "a document read one by one has a history: {doc}"
    );
    entries
        .into_iter()
        .flatten()
        .map(|entry| entry["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The newest entry of a document's status bar.
fn last_entry(doc: &Value) -> Value {
    let last = doc["history"]
        .as_array()
        .and_then(|entries| entries.last())
        .cloned();
    assert!(last.is_some(), "the history is empty: {doc}");
    last.unwrap_or_default()
}

/// What a refused call must leave as it was: a document as `api`'s company reads it.
fn state(api: &Api, id: &str) -> Value {
    let doc = api.get(&doc_path(id, ""), 200);
    json!({
        "status": doc["status"],
        "history": doc["history"].as_array().map(Vec::len),
        "updated_at": doc["updated_at"],
        "downloaded_at": doc["downloaded_at"],
        "recipient_reference": doc["recipient_reference"],
    })
}

/// The ids in a mailbox listing of `api`'s company.
fn listed(api: &Api, query: &[(&str, &str)]) -> Vec<String> {
    ids(&api.documents(query))
}

/// A small text file of `kind` from `from` to `to` (`co_…` or handle), expecting 201.
fn send_small(from: &Api, to: &str, kind: &str, reference: Option<&str>) -> Value {
    let body = format!("{kind} {}\nline 1: 10 x widget\n", unique(12)).into_bytes();
    let mut headers = vec![("Content-Type", "text/plain")];
    if let Some(reference) = reference {
        headers.push(("Tradepost-Reference", reference));
    }
    from.upload(to, kind, &format!("{kind}.txt"), body, &headers, 201)
}

/// The detail of a problem, as text.
fn detail(problem: &Value) -> String {
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

/// Waits for a document event of `kind` to `company_id` about document `id`.
fn wait_for_doc_event(company_id: &str, kind: &str, id: &str) -> Value {
    wait_for_event(company_id, kind, |e| e["data"]["document_id"] == json!(id))
}

// ---------------------------------------------------------------------------------------------

#[test]
fn a_customers_erp_sends_an_order_and_watches_the_supplier_import_and_ship_it() {
    let customer = Company::signup_confirmed("baeckerei");
    let supplier = Company::signup_confirmed("druckerei");
    let rel = connect(&customer, &supplier);
    // The supplier keeps its number for this customer; it is stamped on what the customer sends.
    supplier.api().patch(
        &rel_path(&rel),
        json!({"settings": {"customer_number": "K-4711"}}),
        200,
    );
    let customer_erp = api_key(&customer, &["documents.send"]);
    let supplier_erp = api_key(&supplier, &["documents.receive"]);
    let sha = sha256_hex(UBL_ORDER);

    // The customer's ERP drops the order into the supplier's mailbox.
    let reply = customer_erp.api.upload_reply(
        &supplier.id,
        "order",
        "PO-2024-0815.xml",
        UBL_ORDER.to_vec(),
        &[
            ("Content-Type", "application/xml"),
            ("Tradepost-Reference", "PO-2024-0815"),
        ],
    );
    let sent = reply.expect(201);
    assert_id(&sent["id"], "doc_");
    let id = text(&sent["id"]);
    assert!(
        reply
            .header("location")
            .is_some_and(|l| l.ends_with(&doc_path(&id, ""))),
        "Location names the document: {:?}",
        reply.header("location")
    );
    assert_eq!(sent["box"], "outbox", "{sent}");
    assert_eq!(sent["partner"]["id"], json!(supplier.id));
    assert_eq!(sent["relationship_id"], json!(rel));
    assert_eq!(sent["type"], "order");
    assert_eq!(sent["filename"], "PO-2024-0815.xml");
    assert_eq!(sent["content_type"], "application/xml");
    assert_eq!(sent["size"], json!(UBL_ORDER.len()));
    assert_eq!(sent["sha256"], json!(sha));
    assert_eq!(sent["reference"], "PO-2024-0815");
    assert!(sent["recipient_reference"].is_null(), "{sent}");
    assert_eq!(sent["customer_number"], "K-4711");
    assert!(sent["in_reply_to"].is_null(), "{sent}");
    assert_eq!(sent["order_id"], json!(id), "an order starts its own order");
    assert_eq!(sent["status"], "new");
    assert_eq!(sent["format"], "ubl_order");
    assert_eq!(sent["summary"], ubl_order_summary());
    assert!(sent["parse_error"].is_null(), "{sent}");
    assert_timestamp(&sent["created_at"]);
    assert_timestamp(&sent["updated_at"]);
    assert!(sent["downloaded_at"].is_null(), "{sent}");

    // The supplier is told, with a thin summary and never the file.
    let deposited = wait_for_doc_event(&supplier.id, "document.deposited", &id);
    let data = &deposited["data"];
    assert_eq!(data["type"], "order", "{deposited}");
    assert_eq!(data["filename"], "PO-2024-0815.xml");
    assert_eq!(data["size"], json!(UBL_ORDER.len()));
    assert_eq!(data["sha256"], json!(sha));
    assert_eq!(data["sender_id"], json!(customer.id));
    assert_eq!(data["recipient_id"], json!(supplier.id));
    assert_eq!(data["reference"], "PO-2024-0815");
    assert_eq!(data["customer_number"], "K-4711");
    assert_eq!(data["status"], "new");
    assert_eq!(data["summary"], ubl_order_summary());
    assert!(
        !deposited.to_string().contains("Leopoldstraße"),
        "the event carries no file content: {deposited}"
    );

    // The supplier's ERP polls for new documents and sees the order with its summary.
    let polled = supplier_erp
        .api
        .documents(&[("box", "inbox"), ("status", "new")]);
    assert_eq!(ids(&polled), vec![id.clone()], "{polled}");
    assert_eq!(polled["counts"]["new"], 1, "{polled}");
    assert_eq!(polled["counts"]["held"], 0, "{polled}");
    let seen = &polled["data"][0];
    assert_eq!(seen["box"], "inbox", "{seen}");
    assert_eq!(seen["partner"]["id"], json!(customer.id));
    assert_eq!(seen["status"], "new");
    assert_eq!(seen["format"], "ubl_order");
    assert_eq!(seen["summary"], ubl_order_summary());
    assert_eq!(seen["reference"], "PO-2024-0815");
    assert_eq!(seen["customer_number"], "K-4711");
    assert_eq!(seen["sha256"], json!(sha));

    // It downloads the file: the same bytes, named and fingerprinted.
    let file = supplier_erp.api.download(&id, &[]);
    assert_same_bytes(file.expect(200), UBL_ORDER, "the downloaded order");
    assert_eq!(sha256_hex(&file.body), sha);
    let etag = format!("\"{sha}\"");
    assert_eq!(file.header("etag"), Some(etag.clone()));
    assert!(
        file.header("content-type")
            .is_some_and(|t| t.starts_with("application/xml")),
        "served as uploaded: {:?}",
        file.header("content-type")
    );
    assert_eq!(file.header("accept-ranges").as_deref(), Some("bytes"));
    file.assert_sandboxed();
    assert_eq!(
        file.header("content-length"),
        Some(UBL_ORDER.len().to_string())
    );
    let disposition = file.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains("filename=\"PO-2024-0815.xml\""),
        "{disposition}"
    );
    // Asking again whether it changed costs nothing.
    let unchanged = supplier_erp
        .api
        .download(&id, &[("If-None-Match", etag.as_str())]);
    unchanged.expect(304);
    assert!(unchanged.body.is_empty(), "a 304 has no body");
    unchanged.assert_sandboxed();

    let downloaded = supplier_erp.api.get(&doc_path(&id, ""), 200);
    assert_eq!(downloaded["status"], "downloaded", "{downloaded}");
    assert_eq!(downloaded["box"], "inbox");
    assert_timestamp(&downloaded["downloaded_at"]);
    assert_eq!(history(&downloaded), ["new", "downloaded"]);
    wait_for_doc_event(&customer.id, "document.downloaded", &id);
    let polled = supplier_erp
        .api
        .documents(&[("box", "inbox"), ("status", "new")]);
    assert!(ids(&polled).is_empty(), "no longer new: {polled}");
    assert_eq!(polled["counts"]["new"], 0, "{polled}");

    // It acknowledges the import with its own order number; saying it twice changes nothing.
    let acked = supplier_erp
        .api
        .post(&doc_path(&id, "ack"), json!({"reference": "AB-30417"}), 200);
    assert_eq!(acked["status"], "imported", "{acked}");
    assert_eq!(acked["recipient_reference"], "AB-30417");
    assert_eq!(history(&acked), ["new", "downloaded", "imported"]);
    let again = supplier_erp
        .api
        .post(&doc_path(&id, "ack"), json!({"reference": "AB-30417"}), 200);
    assert_eq!(again["status"], "imported");
    assert_eq!(
        history(&again),
        history(&acked),
        "a repeated ack adds nothing"
    );
    let imported = wait_for_event(&customer.id, "document.status_changed", |e| {
        e["data"]["document_id"] == json!(id) && e["data"]["status"] == "imported"
    });
    assert_eq!(
        imported["data"]["previous_status"], "downloaded",
        "{imported}"
    );
    assert_eq!(imported["data"]["recipient_reference"], "AB-30417");

    // Production starts, then the parcel leaves.
    let started = supplier_erp.api.post(
        &doc_path(&id, "status"),
        json!({"status": "in_progress", "note": "Druck läuft"}),
        200,
    );
    assert_eq!(started["status"], "in_progress", "{started}");
    let shipped = supplier_erp.api.post(
        &doc_path(&id, "status"),
        json!({"status": "shipped", "carrier": "DHL", "tracking_number": "00340434161094042557"}),
        200,
    );
    assert_eq!(shipped["status"], "shipped", "{shipped}");
    let shipped_event = wait_for_event(&customer.id, "document.status_changed", |e| {
        e["data"]["document_id"] == json!(id) && e["data"]["status"] == "shipped"
    });
    let data = &shipped_event["data"];
    assert_eq!(data["previous_status"], "in_progress", "{shipped_event}");
    assert_eq!(data["carrier"], "DHL");
    assert_eq!(data["tracking_number"], "00340434161094042557");

    // The customer's buyer opens the order and sees the whole way it went.
    let mine = customer.api().get(&doc_path(&id, ""), 200);
    assert_eq!(mine["box"], "outbox", "{mine}");
    assert_eq!(mine["status"], "shipped");
    assert_eq!(
        history(&mine),
        ["new", "downloaded", "imported", "in_progress", "shipped"]
    );
    let entries = mine["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries[0]["by"], "sender", "{mine}");
    assert_eq!(entries[0]["company_id"], json!(customer.id));
    for entry in &entries[1..] {
        assert_eq!(entry["by"], "recipient", "{entry}");
        assert_eq!(entry["company_id"], json!(supplier.id), "{entry}");
    }
    let times: Vec<String> = entries.iter().map(|e| text(&e["at"])).collect();
    for entry in &entries {
        assert_timestamp(&entry["at"]);
    }
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    assert_eq!(entries[2]["reference"], "AB-30417", "{}", entries[2]);
    assert_eq!(entries[3]["note"], "Druck läuft", "{}", entries[3]);
    assert_eq!(entries[4]["carrier"], "DHL", "{}", entries[4]);
    assert_eq!(entries[4]["tracking_number"], "00340434161094042557");
    assert_eq!(mine["summary"], ubl_order_summary());
    assert_eq!(mine["recipient_reference"], "AB-30417");
    assert_eq!(mine["customer_number"], "K-4711");
    assert_eq!(mine["reference"], "PO-2024-0815");
    // The ERP key that sent it reads it too.
    assert_eq!(
        customer_erp.api.get(&doc_path(&id, ""), 200)["status"],
        "shipped"
    );
}

#[test]
fn a_retried_upload_with_the_same_idempotency_key_is_stored_once() {
    let customer = Company::signup_confirmed("retrier");
    let supplier = Company::signup_confirmed("dedup");
    connect(&customer, &supplier);
    let erp = api_key(&customer, &["documents.send"]);
    let key = format!("PO-4711-{}", unique(10));
    let body = format!("order 4711 {}\n", unique(10)).into_bytes();
    let headers = [
        ("Idempotency-Key", key.as_str()),
        ("Tradepost-Reference", "PO-4711"),
    ];

    let first = erp
        .api
        .upload_reply(&supplier.id, "order", "PO-4711.csv", body.clone(), &headers);
    let original = first.expect(201);
    assert_ne!(
        first.header("idempotent-replayed").as_deref(),
        Some("true"),
        "the first upload is no replay"
    );
    let id = text(&original["id"]);

    // The connection broke before the ERP saw the answer; it sends the same again.
    let retry = erp
        .api
        .upload_reply(&supplier.id, "order", "PO-4711.csv", body.clone(), &headers);
    let replayed = retry.expect(200);
    assert_eq!(
        retry.header("idempotent-replayed").as_deref(),
        Some("true"),
        "{retry:?}"
    );
    assert_eq!(replayed["id"], json!(id), "{replayed}");
    assert_eq!(replayed["sha256"], original["sha256"]);
    assert_eq!(replayed["created_at"], original["created_at"]);
    assert_eq!(replayed["status"], "new");
    assert_eq!(listed(&erp.api, &[("box", "outbox")]), vec![id.clone()]);
    let inbox = supplier.api().documents(&[]);
    assert_eq!(ids(&inbox), vec![id.clone()], "{inbox}");
    assert_eq!(inbox["counts"]["new"], 1);

    // The same key with other bytes is a mistake, not a retry.
    erp.api
        .upload_reply(
            &supplier.id,
            "order",
            "PO-4711.csv",
            b"something else entirely\n".to_vec(),
            &headers,
        )
        .expect_problem(409, "idempotency_key_reused");
    assert_eq!(
        listed(&customer.admin.api, &[("box", "outbox")]),
        vec![id.clone()]
    );

    // Another key is another document, even with the same bytes.
    let other_key = format!("PO-4712-{}", unique(10));
    let second = erp.api.upload(
        &supplier.id,
        "order",
        "PO-4711.csv",
        body.clone(),
        &[("Idempotency-Key", other_key.as_str())],
        201,
    );
    assert_ne!(second["id"], json!(id));

    // Keys belong to the sending company: another customer may use the same one.
    let neighbour = Company::signup_confirmed("samekey");
    connect(&neighbour, &supplier);
    let theirs = neighbour.api().upload_reply(
        &supplier.id,
        "order",
        "PO-4711.csv",
        body,
        &[("Idempotency-Key", key.as_str())],
    );
    let theirs_doc = theirs.expect(201);
    assert_ne!(theirs_doc["id"], json!(id));
    assert_eq!(
        listed(&customer.admin.api, &[("box", "outbox")]).len(),
        2,
        "the customer sent two documents"
    );

    // The supplier was told once about the retried document.
    wait_for_doc_event(&supplier.id, "document.deposited", &text(&second["id"]));
    let told = events(&supplier.id)
        .into_iter()
        .filter(|e| e["type"] == "document.deposited" && e["data"]["document_id"] == json!(id))
        .count();
    assert_eq!(told, 1, "one document.deposited for the retried upload");
}

#[test]
fn a_50_mib_print_file_arrives_byte_for_byte_and_can_be_fetched_in_ranges() {
    const SIZE: usize = 50 * MIB;
    let customer = Company::signup_confirmed("verlag");
    let supplier = Company::signup_confirmed("grossdruck");
    connect(&customer, &supplier);
    let data = pseudo_random_bytes(SIZE, 0x5eed_0050);
    let sha = sha256_hex(&data);

    // Sent to the supplier by its handle, without a content type.
    let sent = customer.api().upload(
        &supplier.handle,
        "other",
        "druckdaten-50mib.bin",
        data.clone(),
        &[],
        201,
    );
    let id = text(&sent["id"]);
    assert_eq!(sent["partner"]["id"], json!(supplier.id), "{sent}");
    assert_eq!(sent["size"], json!(SIZE));
    assert_eq!(sent["sha256"], json!(sha));
    assert_eq!(sent["content_type"], "application/octet-stream");
    assert!(sent["format"].is_null(), "{sent}");
    assert!(sent["summary"].is_null(), "{sent}");
    assert!(sent["parse_error"].is_null(), "{sent}");

    let file = supplier.api().download(&id, &[]);
    let body = file.expect(200);
    assert_eq!(body.len(), SIZE);
    assert_eq!(sha256_hex(body), sha);
    assert_same_bytes(body, &data, "the 50 MiB download");
    assert_eq!(file.header("content-length"), Some(SIZE.to_string()));
    assert_eq!(file.header("etag"), Some(format!("\"{sha}\"")));
    drop(file);

    // A slice from the middle.
    let slice = supplier
        .api()
        .download(&id, &[("Range", "bytes=1000-1999")]);
    assert_same_bytes(slice.expect(206), &data[1000..2000], "bytes 1000-1999");
    assert_eq!(
        slice.header("content-range"),
        Some(format!("bytes 1000-1999/{SIZE}"))
    );
    assert_eq!(slice.header("content-length").as_deref(), Some("1000"));

    // The last ten bytes.
    let tail = supplier.api().download(&id, &[("Range", "bytes=-10")]);
    assert_same_bytes(tail.expect(206), &data[SIZE - 10..], "bytes=-10");
    assert_eq!(
        tail.header("content-range"),
        Some(format!("bytes {}-{}/{SIZE}", SIZE - 10, SIZE - 1))
    );

    // From an offset to the end.
    let from = format!("bytes={}-", SIZE - 100);
    let rest = supplier.api().download(&id, &[("Range", from.as_str())]);
    assert_same_bytes(rest.expect(206), &data[SIZE - 100..], &from);
    assert_eq!(
        rest.header("content-range"),
        Some(format!("bytes {}-{}/{SIZE}", SIZE - 100, SIZE - 1))
    );

    // Beyond the end.
    let beyond = format!("bytes={SIZE}-");
    let refused = supplier.api().download(&id, &[("Range", beyond.as_str())]);
    refused.reply().expect_problem(416, "range_not_satisfiable");
    assert_eq!(
        refused.header("content-range"),
        Some(format!("bytes */{SIZE}"))
    );

    // Ranges do not add to the status bar: one download, once.
    let seen = supplier.api().get(&doc_path(&id, ""), 200);
    assert_eq!(history(&seen), ["new", "downloaded"], "{seen}");
}

#[test]
fn a_big_catalogue_goes_up_in_parts_in_any_order_and_is_resumed_after_a_gap() {
    const PART: usize = 5 * MIB;
    let customer = Company::signup_confirmed("katalogkunde");
    let supplier = Company::signup_confirmed("katalogdruck");
    connect(&customer, &supplier);
    let api = customer.api();
    let file = pseudo_random_bytes(3 * PART + MIB, 0x0b1a_5e05);
    let chunk = |n: usize| file[(n - 1) * PART..(n * PART).min(file.len())].to_vec();

    let created = api.post(
        "/v1/uploads",
        json!({
            "recipient": supplier.id,
            "type": "other",
            "filename": "katalog-2024.pdf",
            "content_type": "application/pdf",
            "reference": "KAT-2024",
        }),
        201,
    );
    assert_id(&created["id"], "upl_");
    let upl = text(&created["id"]);
    assert_eq!(created["status"], "open", "{created}");
    assert_eq!(created["parts"], json!([]));
    assert_eq!(created["size"], 0);
    assert_eq!(created["partner"]["id"], json!(supplier.id));
    assert_eq!(created["type"], "other");
    assert_eq!(created["filename"], "katalog-2024.pdf");
    assert_eq!(created["content_type"], "application/pdf");
    assert_eq!(created["reference"], "KAT-2024");
    assert_eq!(created["part_size_min"], json!(PART));
    assert_eq!(created["max_size"], json!(5_u64 * 1024 * 1024 * 1024));
    assert!(
        created["part_size_max"]
            .as_u64()
            .is_some_and(|max| max >= PART as u64),
        "{created}"
    );
    assert_timestamp(&created["expires_at"]);
    assert_timestamp(&created["created_at"]);
    assert!(created["document_id"].is_null(), "{created}");

    // Part 2 goes first; part 1 is first sent wrong, then sent again right.
    let two = api.put_part(&upl, 2, chunk(2)).expect(200);
    assert_eq!(two["part_number"], 2, "{two}");
    assert_eq!(two["size"], json!(PART));
    assert_timestamp(&two["uploaded_at"]);
    api.put_part(&upl, 1, b"not the first part".to_vec())
        .expect(200);
    let one = api.put_part(&upl, 1, chunk(1)).expect(200);
    assert_eq!(one["size"], json!(PART), "the part was replaced: {one}");
    let four = api.put_part(&upl, 4, chunk(4)).expect(200);
    assert_eq!(four["size"], json!(MIB), "{four}");

    // Part 3 got lost; completing is refused and the upload stays open.
    let parts_of = |upload: &Value| -> Vec<(u64, u64)> {
        let mut parts: Vec<(u64, u64)> = upload["parts"]
            .as_array()
            .unwrap_or_else(|| panic!("an upload lists its parts: {upload}"))
            .iter()
            .map(|p| {
                (
                    p["part_number"].as_u64().unwrap_or_default(),
                    p["size"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        parts.sort();
        parts
    };
    let expected_part = |n: usize| (n as u64, chunk(n).len() as u64);
    let listed_upload = api.get(&upload_path(&upl, ""), 200);
    assert_eq!(
        parts_of(&listed_upload),
        vec![expected_part(1), expected_part(2), expected_part(4)]
    );
    assert_eq!(listed_upload["size"], json!(2 * PART + MIB));
    api.send(Method::POST, &upload_path(&upl, "complete"), None)
        .expect_invalid_field("parts");
    assert_eq!(api.get(&upload_path(&upl, ""), 200)["status"], "open");
    assert!(listed(api, &[("box", "outbox")]).is_empty());

    // The ERP reads what is there and sends the missing part.
    api.put_part(&upl, 3, chunk(3)).expect(200);
    let listed_upload = api.get(&upload_path(&upl, ""), 200);
    assert_eq!(
        parts_of(&listed_upload),
        (1..=4).map(expected_part).collect::<Vec<_>>()
    );
    assert_eq!(listed_upload["size"], json!(file.len()));

    let completed = api.send(Method::POST, &upload_path(&upl, "complete"), None);
    let doc = completed.expect(201);
    assert_id(&doc["id"], "doc_");
    let id = text(&doc["id"]);
    assert_eq!(doc["size"], json!(file.len()), "{doc}");
    assert_eq!(
        doc["sha256"],
        json!(sha256_hex(&file)),
        "over the whole file"
    );
    assert_eq!(doc["filename"], "katalog-2024.pdf");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["reference"], "KAT-2024");
    assert_eq!(doc["type"], "other");
    assert_eq!(doc["status"], "new");
    assert_eq!(doc["box"], "outbox");
    assert_eq!(doc["partner"]["id"], json!(supplier.id));

    let download = supplier.api().download(&id, &[]);
    assert_same_bytes(download.expect(200), &file, "the assembled catalogue");
    assert!(
        download
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/pdf")),
        "{:?}",
        download.header("content-type")
    );
    drop(download);

    // Completing again (the answer was lost) gives the same document.
    let again = api.send(Method::POST, &upload_path(&upl, "complete"), None);
    assert_eq!(again.expect(200)["id"], json!(id));
    let done = api.get(&upload_path(&upl, ""), 200);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["document_id"], json!(id));
    api.put_part(&upl, 5, b"late".to_vec())
        .expect_problem(409, "upload_not_open");
    api.refused(
        Method::DELETE,
        &upload_path(&upl, ""),
        None,
        409,
        "upload_not_open",
    );
    assert_eq!(listed(api, &[("box", "outbox")]), vec![id.clone()]);
    assert_eq!(listed(supplier.api(), &[]), vec![id]);
}

#[test]
fn a_multipart_upload_refuses_bad_parts_and_an_aborted_one_leaves_nothing() {
    let customer = Company::signup_confirmed("abbrecher");
    let supplier = Company::signup_confirmed("wartender");
    connect(&customer, &supplier);
    let api = customer.api();
    let created = api.post(
        "/v1/uploads",
        json!({"recipient": supplier.handle, "type": "order", "filename": "PO-groß.xml"}),
        201,
    );
    let upl = text(&created["id"]);
    assert_eq!(created["partner"]["id"], json!(supplier.id), "{created}");

    api.put_part(&upl, 0, b"zero".to_vec())
        .expect_invalid_field("part_number");
    api.put_part(&upl, 10_001, b"too far".to_vec())
        .expect_invalid_field("part_number");
    api.put_part(&upl, 1, Vec::new())
        .expect_invalid_field("body");

    // Two parts below the 5 MiB minimum cannot make a file.
    api.put_part(&upl, 1, vec![b'a'; 1024]).expect(200);
    api.put_part(&upl, 2, vec![b'b'; 1024]).expect(200);
    api.send(Method::POST, &upload_path(&upl, "complete"), None)
        .expect_invalid_field("parts");

    // The ERP gives up.
    api.delete(&upload_path(&upl, ""), 204);
    let after = api.send(Method::GET, &upload_path(&upl, ""), None);
    if after.status == 404 {
        after.expect_problem(404, "not_found");
    } else {
        assert_eq!(
            after.expect(200)["status"],
            "aborted",
            "an aborted upload is gone or says so"
        );
    }
    let late = api.put_part(&upl, 3, vec![b'c'; 1024]);
    assert!(
        late.problem_mismatch(409, Some("upload_not_open"), None)
            .is_none()
            || late
                .problem_mismatch(404, Some("not_found"), None)
                .is_none(),
        "a part for an aborted upload is refused: {late:?}"
    );
    let complete = api.send(Method::POST, &upload_path(&upl, "complete"), None);
    assert!(
        complete.problem_mismatch(409, None, None).is_none()
            || complete
                .problem_mismatch(404, Some("not_found"), None)
                .is_none(),
        "an aborted upload cannot be completed: {complete:?}"
    );
    let outbox = api.documents(&[("box", "all")]);
    assert!(ids(&outbox).is_empty(), "{outbox}");
    assert!(listed(supplier.api(), &[("box", "all")]).is_empty());
}

#[test]
fn the_sender_cancels_an_order_until_the_supplier_has_downloaded_it() {
    let customer = Company::signup_confirmed("storno");
    let supplier = Company::signup_confirmed("stornolief");
    connect(&customer, &supplier);

    let doc = send_small(customer.api(), &supplier.id, "order", Some("PO-9"));
    let id = text(&doc["id"]);
    supplier.api().refused(
        Method::POST,
        &doc_path(&id, "cancel"),
        Some(json!({})),
        403,
        "sender_only",
    );
    let cancelled = customer.api().post(
        &doc_path(&id, "cancel"),
        json!({"reason": "Falsche Menge bestellt"}),
        200,
    );
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(history(&cancelled), ["new", "cancelled"]);
    let entry = last_entry(&cancelled);
    assert_eq!(entry["by"], "sender", "{entry}");
    assert_eq!(entry["company_id"], json!(customer.id));
    assert_eq!(entry["reason"], "Falsche Menge bestellt");
    wait_for_doc_event(&supplier.id, "document.cancelled", &id);
    let theirs = supplier.api().get(&doc_path(&id, ""), 200);
    assert_eq!(theirs["status"], "cancelled", "{theirs}");
    let inbox = supplier.api().documents(&[]);
    assert_eq!(inbox["counts"]["new"], 0, "{inbox}");

    // Cancelled is final.
    let before = state(customer.api(), &id);
    customer.api().refused(
        Method::POST,
        &doc_path(&id, "cancel"),
        None,
        409,
        "invalid_transition",
    );
    supplier.api().refused(
        Method::POST,
        &doc_path(&id, "status"),
        Some(json!({"status": "shipped"})),
        409,
        "invalid_transition",
    );
    assert_eq!(state(customer.api(), &id), before);

    // Once the supplier has the file, it is too late.
    let second = send_small(customer.api(), &supplier.id, "order", Some("PO-10"));
    let second_id = text(&second["id"]);
    supplier.api().download(&second_id, &[]).expect(200);
    let before = state(customer.api(), &second_id);
    let problem = customer.api().refused(
        Method::POST,
        &doc_path(&second_id, "cancel"),
        Some(json!({"reason": "zu spät"})),
        409,
        "invalid_transition",
    );
    assert!(detail(&problem).contains("downloaded"), "{problem}");
    assert_eq!(state(customer.api(), &second_id), before);

    // A cancel needs no body.
    let third = send_small(customer.api(), &supplier.id, "order", Some("PO-11"));
    let third_id = text(&third["id"]);
    let done = customer
        .api()
        .post_empty(&doc_path(&third_id, "cancel"), 200);
    assert_eq!(done["status"], "cancelled", "{done}");
}

#[test]
fn status_reports_follow_the_status_machine() {
    let customer = Company::signup_confirmed("statuskunde");
    let supplier = Company::signup_confirmed("statuslief");
    connect(&customer, &supplier);
    let doc = send_small(customer.api(), &supplier.id, "order", Some("PO-S1"));
    let id = text(&doc["id"]);
    let path = doc_path(&id, "status");
    let before = state(customer.api(), &id);
    let unchanged = |why: &str| assert_eq!(state(customer.api(), &id), before, "{why}");

    for too_early in ["delivered", "completed"] {
        let problem = supplier.api().refused(
            Method::POST,
            &path,
            Some(json!({ "status": too_early })),
            409,
            "invalid_transition",
        );
        assert!(
            detail(&problem).contains("new"),
            "the detail names the current status: {problem}"
        );
        unchanged(too_early);
    }
    for bad in [
        json!({"status": "lost"}),
        json!({"status": "downloaded"}),
        json!({"status": "imported"}),
        json!({"status": "cancelled"}),
        json!({"status": "held"}),
        json!({"status": 42}),
        json!({"note": "no status"}),
    ] {
        supplier
            .api()
            .send(Method::POST, &path, Some(&bad))
            .expect_invalid_field("status");
        unchanged(&bad.to_string());
    }
    supplier
        .api()
        .send(Method::POST, &path, Some(&json!({"status": "rejected"})))
        .expect_invalid_field("reason");
    unchanged("rejected without a reason");
    customer.api().refused(
        Method::POST,
        &path,
        Some(json!({"status": "shipped"})),
        403,
        "recipient_only",
    );
    customer.api().refused(
        Method::POST,
        &doc_path(&id, "ack"),
        Some(json!({"reference": "mine"})),
        403,
        "recipient_only",
    );
    unchanged("the sender reporting on its own document");

    let rejected = supplier.api().post(
        &path,
        json!({"status": "rejected", "reason": "Artikel nicht mehr lieferbar"}),
        200,
    );
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(history(&rejected), ["new", "rejected"]);
    assert_eq!(
        last_entry(&rejected)["reason"],
        "Artikel nicht mehr lieferbar"
    );
    let event = wait_for_event(&customer.id, "document.status_changed", |e| {
        e["data"]["document_id"] == json!(id) && e["data"]["status"] == "rejected"
    });
    assert_eq!(event["data"]["previous_status"], "new", "{event}");

    // Rejected is final.
    let before = state(customer.api(), &id);
    let problem = supplier.api().refused(
        Method::POST,
        &path,
        Some(json!({"status": "in_progress"})),
        409,
        "invalid_transition",
    );
    assert!(detail(&problem).contains("rejected"), "{problem}");
    supplier.api().refused(
        Method::POST,
        &doc_path(&id, "ack"),
        Some(json!({})),
        409,
        "invalid_transition",
    );
    assert_eq!(state(customer.api(), &id), before);

    // A second order goes the whole way.
    let doc = send_small(customer.api(), &supplier.id, "order", Some("PO-S2"));
    let id = text(&doc["id"]);
    let path = doc_path(&id, "status");
    let report = |status: &str| {
        let answer = supplier.api().post(&path, json!({ "status": status }), 200);
        assert_eq!(answer["status"], json!(status), "{answer}");
        answer
    };
    report("accepted");
    let problem = supplier.api().refused(
        Method::POST,
        &doc_path(&id, "ack"),
        Some(json!({"reference": "AB-1"})),
        409,
        "invalid_transition",
    );
    assert!(detail(&problem).contains("accepted"), "{problem}");
    report("shipped");
    report("delivered");
    let completed = report("completed");
    assert_eq!(
        history(&completed),
        ["new", "accepted", "shipped", "delivered", "completed"]
    );
    let problem = supplier.api().refused(
        Method::POST,
        &path,
        Some(json!({"status": "shipped"})),
        409,
        "invalid_transition",
    );
    assert!(detail(&problem).contains("completed"), "{problem}");
    assert_eq!(
        customer.api().get(&doc_path(&id, ""), 200)["status"],
        "completed"
    );
}

#[test]
fn an_order_response_answers_the_order_and_the_order_lists_both_sides() {
    let customer = Company::signup_confirmed("antwortkunde");
    let supplier = Company::signup_confirmed("antwortlief");
    connect(&customer, &supplier);
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "PO-2024-0815.xml",
        UBL_ORDER.to_vec(),
        &[
            ("Content-Type", "application/xml"),
            ("Tradepost-Reference", "PO-2024-0815"),
        ],
        201,
    );
    let order_id = text(&order["id"]);

    let response = supplier.api().upload(
        &customer.id,
        "order_response",
        "OR-77120.xml",
        UBL_ORDER_RESPONSE.to_vec(),
        &[
            ("Content-Type", "application/xml"),
            ("Tradepost-Reference", "OR-77120"),
            ("Tradepost-In-Reply-To", order_id.as_str()),
        ],
        201,
    );
    let response_id = text(&response["id"]);
    assert_eq!(response["in_reply_to"], json!(order_id), "{response}");
    assert_eq!(response["order_id"], json!(order_id));
    assert_eq!(response["box"], "outbox");
    assert_eq!(response["partner"]["id"], json!(customer.id));
    assert_eq!(response["format"], "ubl_order_response");
    assert_eq!(response["summary"]["order_number"], "OR-77120");
    assert_eq!(response["summary"]["total"], "892.50");
    wait_for_doc_event(&customer.id, "document.deposited", &response_id);
    let seen = customer.api().get(&doc_path(&response_id, ""), 200);
    assert_eq!(seen["box"], "inbox", "{seen}");
    assert_eq!(seen["order_id"], json!(order_id));

    // The customer answers the response; that still belongs to the same order.
    let note = customer.api().upload(
        &supplier.id,
        "other",
        "rueckfrage.txt",
        b"Bitte Liefertermin bestaetigen.\n".to_vec(),
        &[("Tradepost-In-Reply-To", response_id.as_str())],
        201,
    );
    let note_id = text(&note["id"]);
    assert_eq!(note["in_reply_to"], json!(response_id), "{note}");
    assert_eq!(note["order_id"], json!(order_id));

    let newest_first = vec![note_id.clone(), response_id.clone(), order_id.clone()];
    for (side, api, boxes) in [
        ("customer", customer.api(), ["outbox", "inbox", "outbox"]),
        ("supplier", supplier.api(), ["inbox", "outbox", "inbox"]),
    ] {
        let list = api.documents(&[("order", order_id.as_str())]);
        assert_eq!(ids(&list), newest_first, "{side}: {list}");
        for (item, expected_box) in list["data"].as_array().into_iter().flatten().zip(boxes) {
            assert_eq!(item["order_id"], json!(order_id), "{side}: {item}");
            assert_eq!(item["box"], expected_box, "{side}: {item}");
        }
    }
    assert_eq!(
        listed(
            supplier.api(),
            &[("order", order_id.as_str()), ("box", "inbox")]
        ),
        vec![note_id, order_id.clone()]
    );
    assert_eq!(
        supplier.api().get(&doc_path(&order_id, ""), 200)["order_id"],
        json!(order_id)
    );
}

#[test]
fn an_order_to_a_new_supplier_waits_until_the_supplier_accepts_the_customer() {
    let customer = Company::signup_confirmed("neukunde");
    let supplier = Company::signup_confirmed("neulieferant");

    // No relationship yet: the order is held and the supplier is asked.
    let first = customer.api().upload(
        &supplier.handle,
        "order",
        "PO-2024-0815.xml",
        UBL_ORDER.to_vec(),
        &[("Content-Type", "application/xml")],
        201,
    );
    let first_id = text(&first["id"]);
    assert_eq!(first["status"], "held", "{first}");
    assert_eq!(first["box"], "outbox");
    assert_eq!(first["partner"]["id"], json!(supplier.id));
    // While the request is open, the next order waits as well.
    let second = send_small(customer.api(), &supplier.id, "order", Some("PO-2"));
    let second_id = text(&second["id"]);
    assert_eq!(second["status"], "held", "{second}");
    let outbox = customer.api().documents(&[("box", "outbox")]);
    assert_eq!(
        ids(&outbox),
        vec![second_id.clone(), first_id.clone()],
        "{outbox}"
    );
    assert_eq!(outbox["counts"]["held"], 2, "{outbox}");

    // The supplier sees the request, not the documents.
    let mailbox = supplier.api().documents(&[("box", "all")]);
    assert!(ids(&mailbox).is_empty(), "{mailbox}");
    assert_eq!(mailbox["counts"]["new"], 0);
    supplier.api().refused(
        Method::GET,
        &doc_path(&first_id, ""),
        None,
        404,
        "not_found",
    );
    supplier
        .api()
        .download(&first_id, &[])
        .reply()
        .expect_problem(404, "not_found");
    let relationships = supplier.api().get("/v1/relationships", 200);
    assert_eq!(
        relationships["counts"]["incoming_requests"], 1,
        "{relationships}"
    );
    let request = relationships["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["partner"]["id"] == json!(customer.id))
        .cloned()
        .unwrap_or_else(|| panic!("the supplier is asked by the customer: {relationships}"));
    assert_eq!(request["status"], "requested", "{request}");
    assert_eq!(request["direction"], "incoming");
    assert_eq!(
        request["my_role"], "supplier",
        "an order comes from a customer"
    );
    for service in ["documents", "approvals", "talk", "cards"] {
        assert_eq!(request["services"][service], "requested", "{request}");
    }
    assert_eq!(request["services"]["appointments"], "inactive");
    let rel = text(&request["id"]);
    let mine = customer.api().get(&rel_path(&rel), 200);
    assert_eq!(mine["direction"], "outgoing", "{mine}");
    assert_eq!(mine["my_role"], "customer");

    // The supplier accepts the customer; both orders arrive.
    let approved = supplier
        .api()
        .post_empty(&format!("/v1/relationships/{rel}/approve"), 200);
    assert_eq!(approved["status"], "active", "{approved}");
    assert_eq!(approved["services"]["documents"], "enabled");
    for id in [&first_id, &second_id] {
        wait_for_doc_event(&supplier.id, "document.deposited", id);
    }
    let inbox = supplier
        .api()
        .documents(&[("box", "inbox"), ("status", "new")]);
    assert_eq!(
        ids(&inbox),
        vec![second_id.clone(), first_id.clone()],
        "{inbox}"
    );
    assert_eq!(inbox["counts"]["new"], 2);
    let released = customer.api().get(&doc_path(&first_id, ""), 200);
    assert_eq!(released["status"], "new", "{released}");
    assert_eq!(history(&released), ["held", "new"]);
    let entries = released["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries[0]["by"], "sender", "{released}");
    assert_eq!(entries[1]["by"], "system", "{released}");
    assert_eq!(released["summary"], ubl_order_summary());
    assert_eq!(
        customer.api().documents(&[("box", "outbox")])["counts"]["held"],
        0
    );
    let file = supplier.api().download(&first_id, &[]);
    assert_same_bytes(file.expect(200), UBL_ORDER, "the released order");
}

#[test]
fn a_quote_to_a_company_that_declines_the_relationship_is_discarded() {
    let supplier = Company::signup_confirmed("eifrig");
    let stranger = Company::signup_confirmed("desinteressiert");

    let quote = send_small(supplier.api(), &stranger.id, "quote", Some("ANG-1"));
    let id = text(&quote["id"]);
    assert_eq!(quote["status"], "held", "{quote}");
    let relationships = stranger.api().get("/v1/relationships", 200);
    assert_eq!(
        relationships["counts"]["incoming_requests"], 1,
        "{relationships}"
    );
    let request = &relationships["data"][0];
    assert_eq!(request["partner"]["id"], json!(supplier.id), "{request}");
    assert_eq!(
        request["my_role"], "customer",
        "a quote comes from a supplier"
    );
    let rel = text(&request["id"]);

    stranger.api().post(
        &format!("/v1/relationships/{rel}/reject"),
        json!({"reason": "Kein Bedarf"}),
        200,
    );
    let discarded = supplier.api().get(&doc_path(&id, ""), 200);
    assert_eq!(discarded["status"], "discarded", "{discarded}");
    assert_eq!(history(&discarded), ["held", "discarded"]);
    wait_for_doc_event(&supplier.id, "document.discarded", &id);
    assert!(listed(stranger.api(), &[("box", "all")]).is_empty());
    assert_eq!(
        supplier.api().documents(&[("box", "outbox")])["counts"]["held"],
        0
    );
    // Discarded is final.
    supplier.api().refused(
        Method::POST,
        &doc_path(&id, "cancel"),
        None,
        409,
        "invalid_transition",
    );
}

#[test]
fn the_mailbox_filters_by_type_status_partner_reference_and_time_and_pages() {
    let customer = Company::signup_confirmed("filterkunde");
    let first_supplier = Company::signup_confirmed("filterlief-a");
    let second_supplier = Company::signup_confirmed("filterlief-b");
    connect(&customer, &first_supplier);
    connect(&customer, &second_supplier);
    let api = customer.api();
    let order_a = send_small(api, &first_supplier.id, "order", Some("PO-A"));
    sleep(Duration::from_millis(20));
    let complaint = send_small(api, &first_supplier.id, "complaint", Some("RK-1"));
    sleep(Duration::from_millis(20));
    let order_b = send_small(api, &second_supplier.id, "order", Some("PO-B"));
    let (a, c, b) = (
        text(&order_a["id"]),
        text(&complaint["id"]),
        text(&order_b["id"]),
    );
    let (a, c, b) = (a.as_str(), c.as_str(), b.as_str());

    // The customer's outbox.
    let out = |query: &[(&str, &str)]| {
        let mut full = vec![("box", "outbox")];
        full.extend_from_slice(query);
        listed(api, &full)
    };
    assert_eq!(out(&[]), [b, c, a]);
    assert_eq!(out(&[("type", "order")]), [b, a]);
    assert_eq!(out(&[("type", "complaint")]), [c]);
    assert_eq!(out(&[("partner", first_supplier.id.as_str())]), [c, a]);
    assert_eq!(out(&[("partner", second_supplier.id.as_str())]), [b]);
    assert_eq!(out(&[("reference", "PO-B")]), [b]);
    assert!(
        out(&[("reference", "PO")]).is_empty(),
        "references match exactly"
    );
    let (at_a, at_c, at_b) = (
        text(&order_a["created_at"]),
        text(&complaint["created_at"]),
        text(&order_b["created_at"]),
    );
    assert_eq!(
        out(&[("since", at_c.as_str())]),
        [b, c],
        "since is inclusive"
    );
    assert_eq!(out(&[("until", at_c.as_str())]), [a], "until is exclusive");
    assert_eq!(
        out(&[("since", at_a.as_str()), ("until", at_b.as_str())]),
        [c, a]
    );
    assert!(listed(api, &[]).is_empty(), "the inbox is the default box");

    // The first supplier's inbox, after it fetched the complaint and imported order A.
    let supplier_api = first_supplier.api();
    supplier_api.download(c, &[]).expect(200);
    supplier_api.post(&doc_path(a, "ack"), json!({"reference": "AB-77"}), 200);
    let inbox = |query: &[(&str, &str)]| listed(supplier_api, query);
    assert_eq!(inbox(&[]), [c, a]);
    assert_eq!(inbox(&[("type", "order")]), [a]);
    assert_eq!(inbox(&[("status", "downloaded")]), [c]);
    assert_eq!(inbox(&[("status", "imported")]), [a]);
    assert!(inbox(&[("status", "new")]).is_empty());
    assert_eq!(inbox(&[("reference", "AB-77")]), [a], "its own reference");
    assert_eq!(
        inbox(&[("reference", "PO-A")]),
        [a],
        "the sender's reference"
    );
    assert_eq!(inbox(&[("partner", customer.id.as_str())]), [c, a]);
    assert!(inbox(&[("box", "outbox")]).is_empty());
    assert_eq!(supplier_api.documents(&[])["counts"]["new"], 0);
    let second_inbox = second_supplier.api().documents(&[("status", "new")]);
    assert_eq!(ids(&second_inbox), [b]);
    assert_eq!(second_inbox["counts"]["new"], 1);

    // Bad filters are named.
    let bad = [
        ("type", "memo"),
        ("status", "lost"),
        ("box", "trash"),
        ("since", "yesterday"),
        ("until", "2024-13-45T25:00:00Z"),
        ("partner", "acme"),
        ("order", "PO-A"),
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "many"),
    ];
    let wrong: Vec<String> = bad
        .iter()
        .filter_map(|(name, value)| {
            api.documents_reply(&[(name, value)]).problem_mismatch(
                422,
                Some("invalid_field"),
                Some(name),
            )
        })
        .collect();
    assert!(wrong.is_empty(), "bad filters:\n{}", wrong.join("\n"));

    // One at a time, newest first, with the cursor.
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut query = vec![("box", "outbox"), ("limit", "1")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let page = api.documents(&query);
        let page_ids = ids(&page);
        assert_eq!(page_ids.len(), 1, "{page}");
        pages.extend(page_ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                cursor = None;
                break;
            }
        }
    }
    assert!(cursor.is_none(), "the last page has no next_cursor");
    assert_eq!(pages, [b, c, a]);
}

/// Request headers built up for a case (name, value).
type Headers = Vec<(&'static str, String)>;

/// A request for the tenant matrix; `Raw` is a part upload's body.
#[derive(Clone, Debug)]
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

fn attempt(api: &Api, method: &Method, path: &str, body: &Body) -> Reply {
    match body {
        Body::None => api.send(method.clone(), path, None),
        Body::Json(value) => api.send(method.clone(), path, Some(value)),
        Body::Raw(bytes) => api.run(
            method.clone(),
            path,
            api.raw(method.clone(), path).body(bytes.clone()),
        ),
    }
}

#[test]
fn another_company_finds_nothing_and_the_unauthorised_change_nothing() {
    let customer = Company::signup_confirmed("mandant-kunde");
    let supplier = Company::signup_confirmed("mandant-lief");
    let stranger = Company::signup_confirmed("mandant-fremd");
    connect(&customer, &supplier);
    let doc = customer.api().upload(
        &supplier.id,
        "order",
        "PO-77.xml",
        UBL_ORDER.to_vec(),
        &[("Tradepost-Reference", "PO-77")],
        201,
    );
    let id = text(&doc["id"]);
    let upload = customer.api().post(
        "/v1/uploads",
        json!({"recipient": supplier.id, "type": "other", "filename": "gross.bin"}),
        201,
    );
    let upl = text(&upload["id"]);
    customer
        .api()
        .put_part(&upl, 1, vec![b'x'; 1024])
        .expect(200);
    // The customer's colleague who may only receive, the supplier's who may only send.
    let receiver_only = invite_colleague(&customer, &["documents.receive"]);
    let sender_only = invite_colleague(&supplier, &["documents.send"]);
    let anonymous = Api::new();

    let upload_headers = [
        ("Tradepost-Recipient", supplier.id.as_str()),
        ("Tradepost-Type", "order"),
        ("Tradepost-Filename", "sneaky.txt"),
    ];
    let json = |v: Value| Body::Json(v);
    let document_calls = [
        (Method::GET, doc_path(&id, ""), Body::None),
        (Method::GET, doc_path(&id, "content"), Body::None),
        (
            Method::POST,
            doc_path(&id, "ack"),
            json(json!({"reference": "X"})),
        ),
        (
            Method::POST,
            doc_path(&id, "status"),
            json(json!({"status": "shipped"})),
        ),
        (Method::POST, doc_path(&id, "cancel"), json(json!({}))),
    ];
    let upload_calls = vec![
        (Method::GET, upload_path(&upl, ""), Body::None),
        (
            Method::PUT,
            format!("/v1/uploads/{upl}/parts/2"),
            Body::Raw(vec![b'y'; 1024]),
        ),
        (Method::POST, upload_path(&upl, "complete"), Body::None),
        (Method::DELETE, upload_path(&upl, ""), Body::None),
    ];
    let mut cases: Vec<(&str, &Api, Method, String, Body, u16, &str)> = Vec::new();
    for (method, path, body) in document_calls.iter().chain(&upload_calls) {
        cases.push((
            "unrelated company",
            stranger.api(),
            method.clone(),
            path.clone(),
            body.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "no credentials",
            &anonymous,
            method.clone(),
            path.clone(),
            body.clone(),
            401,
            "unauthenticated",
        ));
    }
    // The sender's side needs documents.send.
    for (method, path, body) in [
        (Method::GET, doc_path(&id, ""), Body::None),
        (Method::POST, doc_path(&id, "cancel"), json(json!({}))),
        (
            Method::GET,
            "/v1/documents?box=outbox".to_owned(),
            Body::None,
        ),
        (
            Method::POST,
            "/v1/uploads".to_owned(),
            json(json!({"recipient": supplier.id, "type": "order", "filename": "x.txt"})),
        ),
    ]
    .into_iter()
    .chain(upload_calls.iter().cloned())
    {
        cases.push((
            "customer colleague without documents.send",
            &receiver_only.api,
            method,
            path,
            body,
            403,
            "permission_missing",
        ));
    }
    // The recipient's side needs documents.receive.
    for (method, path, body) in document_calls[..4].iter().cloned().chain([(
        Method::GET,
        "/v1/documents?box=inbox".to_owned(),
        Body::None,
    )]) {
        cases.push((
            "supplier colleague without documents.receive",
            &sender_only.api,
            method,
            path,
            body,
            403,
            "permission_missing",
        ));
    }

    let snapshot = || {
        let upload = customer.api().get(&upload_path(&upl, ""), 200);
        json!([
            state(customer.api(), &id),
            state(supplier.api(), &id),
            {"status": upload["status"], "parts": upload["parts"], "size": upload["size"]},
        ])
    };
    let before = snapshot();
    let mut wrong = Vec::new();
    for (actor, api, method, path, body, status, code) in &cases {
        let reply = attempt(api, method, path, body);
        if let Some(mismatch) = reply.problem_mismatch(*status, Some(code), None) {
            wrong.push(format!("{actor}: {mismatch}"));
        }
        let after = snapshot();
        assert_eq!(
            after, before,
            "{actor}: the refused {method} {path} changed something"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} calls were not refused as the contract says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Uploads by those who may not.
    receiver_only
        .api
        .upload_raw(&upload_headers, b"order\n".to_vec())
        .expect_problem(403, "permission_missing");
    anonymous
        .upload_raw(&upload_headers, b"order\n".to_vec())
        .expect_problem(401, "unauthenticated");
    assert_eq!(snapshot(), before);
    assert_eq!(
        listed(customer.api(), &[("box", "outbox")]),
        vec![id.clone()]
    );
    assert_eq!(
        state(customer.api(), &id)["status"],
        "new",
        "nobody downloaded it"
    );

    // The stranger's mailbox knows nothing of it.
    for box_ in ["inbox", "outbox", "all"] {
        assert!(
            !listed(stranger.api(), &[("box", box_)]).contains(&id),
            "{box_}"
        );
    }
    let by_order = stranger.api().documents_reply(&[("order", id.as_str())]);
    if by_order.status == 200 {
        assert!(!ids(&by_order.json()).contains(&id), "{}", by_order.text);
    } else {
        assert!(
            by_order.problem_mismatch(404, None, None).is_none()
                || by_order.problem_mismatch(422, None, None).is_none(),
            "{by_order:?}"
        );
    }
}

#[test]
fn only_an_active_relationship_with_documents_enabled_carries_documents() {
    let customer = Company::signup_confirmed("zustand-kunde");
    let blocker = Company::signup_confirmed("zustand-sperrt");
    let decliner = Company::signup_confirmed("zustand-lehnt");
    let talker = Company::signup_confirmed("zustand-redet");
    let small = || b"order 1\n".to_vec();

    // Blocked: neither side gets through.
    connect_blocked(&customer, &blocker, &blocker);
    customer
        .api()
        .upload_reply(&blocker.id, "order", "PO-1.txt", small(), &[])
        .expect_problem(403, "relationship_blocked");
    blocker
        .api()
        .upload_reply(&customer.id, "order_response", "OR-1.txt", small(), &[])
        .expect_problem(403, "relationship_blocked");
    customer.api().refused(
        Method::POST,
        "/v1/uploads",
        Some(json!({"recipient": blocker.id, "type": "order", "filename": "PO-1.txt"})),
        403,
        "relationship_blocked",
    );

    // Rejected.
    let rel = request(&customer, &decliner);
    decliner
        .api()
        .post(&format!("/v1/relationships/{rel}/reject"), json!({}), 200);
    customer
        .api()
        .upload_reply(&decliner.id, "order", "PO-2.txt", small(), &[])
        .expect_problem(409, "relationship_not_active");
    customer.api().refused(
        Method::POST,
        "/v1/uploads",
        Some(json!({"recipient": decliner.id, "type": "order", "filename": "PO-2.txt"})),
        409,
        "relationship_not_active",
    );

    // Active, but only for talking.
    let asked = customer.api().post(
        "/v1/relationships",
        json!({"company_id": talker.id, "my_role": "customer",
               "services": {"talk": "requested", "documents": "inactive"}}),
        201,
    );
    let approved = talker.api().post_empty(
        &format!("/v1/relationships/{}/approve", text(&asked["id"])),
        200,
    );
    assert_eq!(approved["services"]["documents"], "inactive", "{approved}");
    customer
        .api()
        .upload_reply(&talker.id, "order", "PO-3.txt", small(), &[])
        .expect_problem(409, "service_not_enabled");

    let outbox = customer.api().documents(&[("box", "all")]);
    assert!(ids(&outbox).is_empty(), "{outbox}");
    assert_eq!(outbox["counts"]["held"], 0);
    for partner in [&blocker, &decliner, &talker] {
        assert!(listed(partner.api(), &[("box", "all")]).is_empty());
    }
}

#[test]
fn bad_uploads_are_refused_naming_the_field_and_store_nothing() {
    let customer = Company::signup_confirmed("fehlerkunde");
    let supplier = Company::signup_confirmed("fehlerlief");
    connect(&customer, &supplier);
    let api = customer.api();
    let nothing_stored = |after: &str| {
        let outbox = api.documents(&[("box", "all")]);
        assert!(ids(&outbox).is_empty(), "after {after}: {outbox}");
        assert_eq!(outbox["counts"]["held"], 0, "after {after}: {outbox}");
        let inbox = supplier.api().documents(&[("box", "all")]);
        assert!(ids(&inbox).is_empty(), "after {after}: {inbox}");
    };
    let supplier_id = supplier.id.as_str();
    let unknown_doc = format!("doc_{}", long('0', 26));
    let unknown_company = format!("co_{}", long('0', 26));
    let nobody = format!("nobody-{}", unique(10));
    let too_long_reference = long('r', 201);
    let too_long_key = long('k', 256);
    // A valid upload's headers with `name` set to `value` (or left out when `None`).
    let with = |name: &'static str, value: Option<&str>| -> Headers {
        let mut headers: Headers = vec![
            ("Tradepost-Recipient", supplier_id.to_owned()),
            ("Tradepost-Type", "order".to_owned()),
            ("Tradepost-Filename", "PO-1.xml".to_owned()),
        ];
        headers.retain(|(n, _)| *n != name);
        if let Some(value) = value {
            headers.push((name, value.to_owned()));
        }
        headers
    };
    let without = |name: &'static str| with(name, None);
    let body = || b"<Order/>\n".to_vec();
    let raw_cases: Vec<(&str, Headers, Vec<u8>, &str)> = vec![
        (
            "no recipient",
            without("Tradepost-Recipient"),
            body(),
            "recipient",
        ),
        ("no type", without("Tradepost-Type"), body(), "type"),
        (
            "unknown type",
            with("Tradepost-Type", Some("memo")),
            body(),
            "type",
        ),
        (
            "no filename",
            without("Tradepost-Filename"),
            body(),
            "filename",
        ),
        (
            "an empty filename",
            with("Tradepost-Filename", Some("")),
            body(),
            "filename",
        ),
        (
            "a filename that is not UTF-8",
            with("Tradepost-Filename", Some("%FF%FE.xml")),
            body(),
            "filename",
        ),
        (
            "a reference over 200 characters",
            with("Tradepost-Reference", Some(&too_long_reference)),
            body(),
            "reference",
        ),
        (
            "an unknown document to reply to",
            with("Tradepost-In-Reply-To", Some(&unknown_doc)),
            body(),
            "in_reply_to",
        ),
        (
            "a reply to something that is no document id",
            with("Tradepost-In-Reply-To", Some("PO-4711")),
            body(),
            "in_reply_to",
        ),
        (
            "an idempotency key over 255 characters",
            with("Idempotency-Key", Some(&too_long_key)),
            body(),
            "idempotency_key",
        ),
        (
            "an idempotency key with a space",
            with("Idempotency-Key", Some("po 4711")),
            body(),
            "idempotency_key",
        ),
        (
            "an unknown recipient handle",
            with("Tradepost-Recipient", Some(&nobody)),
            body(),
            "recipient",
        ),
        (
            "an unknown recipient id",
            with("Tradepost-Recipient", Some(&unknown_company)),
            body(),
            "recipient",
        ),
        (
            "oneself by id",
            with("Tradepost-Recipient", Some(&customer.id)),
            body(),
            "recipient",
        ),
        (
            "oneself by handle",
            with("Tradepost-Recipient", Some(&customer.handle)),
            body(),
            "recipient",
        ),
        (
            "an empty body",
            with("Tradepost-Reference", Some("PO-1")),
            Vec::new(),
            "body",
        ),
    ];
    let mut wrong = Vec::new();
    for (what, headers, body, field) in raw_cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = api.upload_raw(&headers, body);
        if let Some(mismatch) = reply.problem_mismatch(422, Some("invalid_field"), Some(field)) {
            wrong.push(format!("{what}: {mismatch}"));
        }
        nothing_stored(what);
    }

    // Forms.
    let form_cases = [
        (
            "a form without the file",
            multipart::Form::new()
                .text("recipient", supplier.id.clone())
                .text("type", "order"),
            "file",
        ),
        (
            "a form without the recipient",
            multipart::Form::new()
                .text("type", "order")
                .part("file", multipart::Part::bytes(body()).file_name("PO-1.xml")),
            "recipient",
        ),
        (
            "a form with an unknown type",
            multipart::Form::new()
                .text("recipient", supplier.id.clone())
                .text("type", "memo")
                .part("file", multipart::Part::bytes(body()).file_name("PO-1.xml")),
            "type",
        ),
    ];
    for (what, form, field) in form_cases {
        let reply = api.upload_form(form, &[]);
        if let Some(mismatch) = reply.problem_mismatch(422, Some("invalid_field"), Some(field)) {
            wrong.push(format!("{what}: {mismatch}"));
        }
        nothing_stored(what);
    }
    let broken_forms = [
        (
            "a form body without any boundary line",
            b"this is not a multipart body at all\r\n".to_vec(),
        ),
        (
            "a form cut off before its closing boundary",
            format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"recipient\"\r\n\r\n{}\r\n\
                 --XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\norder\r\n\
                 --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xml\"\r\n\
                 Content-Type: application/xml\r\n\r\n<Order>",
                supplier.id
            )
            .into_bytes(),
        ),
    ];
    for (what, form_body) in broken_forms {
        let reply = api.upload_raw(
            &[("Content-Type", "multipart/form-data; boundary=XyZ")],
            form_body,
        );
        if let Some(mismatch) = reply.problem_mismatch(400, Some("malformed_multipart"), None) {
            wrong.push(format!("{what}: {mismatch}"));
        }
        nothing_stored(what);
    }
    let urlencoded = api.upload_raw(
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("recipient={}&type=order", supplier.id).into_bytes(),
    );
    if let Some(mismatch) = urlencoded.problem_mismatch(415, None, None) {
        wrong.push(format!("an url-encoded form: {mismatch}"));
    }
    nothing_stored("an url-encoded form");

    // What a client library will not send: a declared size over the 100 MiB limit (refused
    // before a byte of it is read), a body without a length, and a length that lies.
    let raw_headers = |name: &'static str, value: String| -> Headers {
        vec![
            ("Tradepost-Recipient", supplier.id.clone()),
            ("Tradepost-Type", "other".to_owned()),
            ("Tradepost-Filename", "raw.bin".to_owned()),
            ("Content-Type", "application/octet-stream".to_owned()),
            (name, value),
        ]
    };
    let send_raw = |headers: Headers, body: &[u8], close_write: bool| {
        let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        api.raw_tcp("POST", "/v1/documents", &refs, body, close_write)
    };
    let oversized = send_raw(
        raw_headers("Content-Length", (100 * MIB + 1).to_string()),
        // The whole body goes out (the local dev proxy forwards a request only once it has
        // it); the worker refuses it by its Content-Length without reading it.
        &vec![b'x'; 100 * MIB + 1],
        true,
    );
    match oversized.reply(Method::POST, "/v1/documents (Content-Length 100 MiB + 1)") {
        Some(reply) => {
            if let Some(mismatch) = reply.problem_mismatch(413, Some("payload_too_large"), None) {
                wrong.push(format!("a declared body over the limit: {mismatch}"));
            }
        }
        None => wrong.push(format!(
            "a declared body over the limit: no answer before the body ({oversized:?})"
        )),
    }
    nothing_stored("a declared body over the limit");

    let chunked = send_raw(
        raw_headers("Transfer-Encoding", "chunked".to_owned()),
        b"5\r\nhello\r\n0\r\n\r\n",
        false,
    );
    match chunked.reply(Method::POST, "/v1/documents (chunked, no Content-Length)") {
        Some(reply) => {
            if let Some(mismatch) = reply.problem_mismatch(411, Some("length_required"), None) {
                wrong.push(format!("a body without Content-Length: {mismatch}"));
            }
        }
        None => wrong.push(format!(
            "a body without Content-Length: no answer ({chunked:?})"
        )),
    }
    nothing_stored("a body without Content-Length");

    // 1000 bytes announced, 10 sent, then the sender stops. The answer (if one comes at all)
    // must not be a success, and nothing may be stored.
    let short = send_raw(
        raw_headers("Content-Length", "1000".to_owned()),
        b"0123456789",
        true,
    );
    if let Some(status) = short.status() {
        assert!(
            !(200..300).contains(&status),
            "a body shorter than its Content-Length was accepted: {short:?}"
        );
    }
    sleep(Duration::from_millis(500));
    nothing_stored("a body shorter than its Content-Length");

    assert!(
        wrong.is_empty(),
        "{} bad uploads were not refused as the contract says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_person_uploads_a_file_from_the_browser_as_a_form() {
    let customer = Company::signup_confirmed("browserkunde");
    let supplier = Company::signup_confirmed("browserlief");
    connect(&customer, &supplier);
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    pdf.extend(pseudo_random_bytes(64 * 1024, 0x00b0_0b5e));
    pdf.extend_from_slice(b"\n%%EOF\n");

    // As a browser sends it: the text fields first, the file last, its name in raw UTF-8.
    let form = multipart::Form::new()
        .percent_encode_noop()
        .text("recipient", supplier.handle.clone())
        .text("type", "order")
        .text("reference", "Anfrage März")
        .part(
            "file",
            multipart::Part::bytes(pdf.clone())
                .file_name("Bestellung März.pdf")
                .mime_str("application/pdf")
                .unwrap_or_else(|e| panic!("a valid content type: {e}")),
        );
    let reply = customer.admin.api.upload_form(form, &[]);
    let doc = reply.expect(201);
    let id = text(&doc["id"]);
    assert_eq!(doc["filename"], "Bestellung März.pdf", "{doc}");
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["size"], json!(pdf.len()));
    assert_eq!(doc["sha256"], json!(sha256_hex(&pdf)));
    assert_eq!(doc["reference"], "Anfrage März");
    assert_eq!(doc["type"], "order");
    assert_eq!(doc["status"], "new");
    assert_eq!(doc["box"], "outbox");
    assert_eq!(doc["partner"]["id"], json!(supplier.id));
    assert!(doc["format"].is_null(), "a PDF is no order format: {doc}");

    let file = supplier.api().download(&id, &[]);
    assert_same_bytes(file.expect(200), &pdf, "the PDF from the browser");
    assert!(
        file.header("content-type")
            .is_some_and(|t| t.starts_with("application/pdf")),
        "{:?}",
        file.header("content-type")
    );
    let disposition = file
        .header("content-disposition")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains("filename*=utf-8''bestellung%20m%c3%a4rz.pdf"),
        "the UTF-8 name is kept for the download: {disposition}"
    );
    // Several ranges at once get the whole file.
    let several = supplier
        .api()
        .download(&id, &[("Range", "bytes=0-9,20-29")]);
    assert_same_bytes(several.expect(200), &pdf, "several ranges");
}

#[test]
fn a_percent_encoded_filename_arrives_as_utf8_and_a_stale_etag_gets_the_file() {
    let customer = Company::signup_confirmed("umlautkunde");
    let supplier = Company::signup_confirmed("umlautlief");
    connect(&customer, &supplier);
    let body = b"Menge;Artikel\n5;Brezel\n".to_vec();
    let doc = customer.api().upload(
        &supplier.id,
        "order",
        "Bestellung%20M%C3%BCller.csv",
        body.clone(),
        &[("Content-Type", "text/csv; charset=utf-8")],
        201,
    );
    let id = text(&doc["id"]);
    assert_eq!(doc["filename"], "Bestellung Müller.csv", "{doc}");
    assert_eq!(doc["content_type"], "text/csv; charset=utf-8");

    // The sender may fetch its own file; that is not the recipient's download.
    let own = customer.api().download(&id, &[]);
    assert_same_bytes(own.expect(200), &body, "the sender's own copy");
    assert_eq!(
        supplier.api().get(&doc_path(&id, ""), 200)["status"],
        "new",
        "the sender's download does not count"
    );

    let stale = supplier
        .api()
        .download(&id, &[("If-None-Match", "\"0000\"")]);
    assert_same_bytes(stale.expect(200), &body, "a download with a stale ETag");
    assert!(
        stale
            .header("content-disposition")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains("filename*=utf-8''bestellung%20m%c3%bcller.csv"),
        "{:?}",
        stale.header("content-disposition")
    );
    assert_eq!(
        stale.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        supplier.api().get(&doc_path(&id, ""), 200)["status"],
        "downloaded"
    );
}

/// A file declared as HTML with a script in it comes back with its declared type, but sandboxed:
/// a partner cannot make a document run as a page of our origin.
#[test]
fn a_file_declared_as_html_comes_back_sandboxed() {
    let customer = Company::signup_confirmed("html-kunde");
    let supplier = Company::signup_confirmed("html-lieferant");
    connect(&customer, &supplier);
    let body = b"<!doctype html><script>fetch('/v1/me')</script>".to_vec();
    let doc = customer.api().upload(
        &supplier.id,
        "other",
        "page.html",
        body.clone(),
        &[("Content-Type", "text/html")],
        201,
    );
    let id = text(&doc["id"]);
    let got = supplier.api().download(&id, &[]);
    assert_same_bytes(got.expect(200), &body, "the HTML file");
    assert_eq!(got.header("content-type").as_deref(), Some("text/html"));
    got.assert_sandboxed();
    assert!(
        got.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")),
        "{:?}",
        got.header("content-disposition")
    );
}

/// The housekeeping sweep (cron in production, `POST /v1/dev/sweep` locally) aborts a multipart
/// upload left open past its day and deletes the file of a document discarded at first contact.
#[test]
fn the_sweep_clears_expired_uploads_and_discarded_files() {
    let customer = Company::signup_confirmed("kehr-kunde");
    let supplier = Company::signup_confirmed("kehr-lieferant");
    connect(&customer, &supplier);
    let api = customer.api();
    let upload = api.post(
        "/v1/uploads",
        json!({"recipient": supplier.id, "type": "other", "filename": "left-open.bin"}),
        201,
    );
    let upl = text(&upload["id"]);
    api.put_part(&upl, 1, vec![7; 1024]).expect(200);

    // A quote to a stranger that declines: the document is discarded, its file still stored.
    let stranger = Company::signup_confirmed("kehr-fremd");
    let held = api.upload(
        &stranger.id,
        "quote",
        "quote.txt",
        b"quote".to_vec(),
        &[],
        201,
    );
    assert_eq!(held["status"], "held", "{held}");
    let rel = text(&held["relationship_id"]);
    stranger
        .api()
        .post(&format!("/v1/relationships/{rel}/reject"), json!({}), 200);
    let discarded = api.get(&format!("/v1/documents/{}", text(&held["id"])), 200);
    assert_eq!(discarded["status"], "discarded", "{discarded}");

    // Nothing is expired yet: a sweep now leaves the upload open but deletes the discarded file.
    let anon = Api::new().anonymous();
    let now = anon.post("/v1/dev/sweep", json!({}), 200);
    assert!(now["files_deleted"].as_u64() >= Some(1), "{now}");
    assert_eq!(
        api.get(&format!("/v1/uploads/{upl}"), 200)["status"],
        "open"
    );

    // As if a day had passed (only this company's uploads: other tests share the stack).
    let later = anon.post(
        "/v1/dev/sweep",
        json!({"as_of": "2100-01-01T00:00:00Z", "sender_id": customer.id}),
        200,
    );
    assert!(later["uploads_expired"].as_u64() >= Some(1), "{later}");
    let swept = api.get(&format!("/v1/uploads/{upl}"), 200);
    assert_eq!(swept["status"], "aborted", "{swept}");
    api.send(Method::PUT, &format!("/v1/uploads/{upl}/parts/2"), None)
        .expect_any_problem(409);
    // The discarded document stays listed for its sender, without a file to fetch.
    assert_eq!(
        api.get(&format!("/v1/documents/{}", text(&held["id"])), 200)["status"],
        "discarded"
    );
    api.send(
        Method::GET,
        &format!("/v1/documents/{}/content", text(&held["id"])),
        None,
    )
    .expect_problem(409, "file_deleted");
}

#[test]
fn first_orders_sent_at_once_to_a_new_supplier_all_wait_in_one_request() {
    let customer = Company::signup_confirmed("eilkunde");
    let supplier = Company::signup_confirmed("eillieferant");
    let erp = api_key(&customer, &["documents.send"]);
    // An ERP sends a batch of orders to a partner it has never dealt with, eight at once.
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..8)
            .map(|i| {
                let (api, to) = (&erp.api, &supplier.handle);
                scope.spawn(move || {
                    api.upload_reply(
                        to,
                        "order",
                        &format!("PO-{i}.xml"),
                        UBL_ORDER.to_vec(),
                        &[("Content-Type", "application/xml")],
                    )
                })
            })
            .collect();
        sends.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let docs: Vec<Value> = replies.iter().map(|r| r.expect(201)).collect();
    assert!(docs.iter().all(|d| d["status"] == "held"), "{docs:?}");
    let relationship = &docs[0]["relationship_id"];
    assert!(
        docs.iter().all(|d| &d["relationship_id"] == relationship),
        "one relationship request for all of them: {docs:?}"
    );
    let outbox = customer.api().documents(&[("box", "outbox")]);
    assert_eq!(outbox["counts"]["held"], 8, "{outbox}");
    // The supplier accepts once, and all eight arrive.
    let rel = text(relationship);
    supplier
        .api()
        .post_empty(&format!("/v1/relationships/{rel}/approve"), 200);
    let inbox = supplier.api().documents(&[]);
    assert_eq!(ids(&inbox).len(), 8, "{inbox}");
}

#[test]
fn completes_of_one_upload_sent_at_once_give_one_document() {
    let customer = Company::signup_confirmed("eilteile");
    let supplier = Company::signup_confirmed("eildruck");
    connect(&customer, &supplier);
    let api = customer.api();
    let created = api.post(
        "/v1/uploads",
        json!({"recipient": supplier.id, "type": "other", "filename": "k.pdf"}),
        201,
    );
    let upl = text(&created["id"]);
    let file = pseudo_random_bytes(MIB, 0x5eed);
    api.put_part(&upl, 1, file.clone()).expect(200);
    // A client whose complete timed out sends it again while the first still runs.
    let path = upload_path(&upl, "complete");
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| api.send(Method::POST, &path, None)))
            .collect();
        sends.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "one completion: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 201 | 409)),
        "{statuses:?}"
    );
    let doc = replies
        .iter()
        .find(|r| r.status == 201)
        .map(|r| text(&r.json()["id"]))
        .unwrap_or_default();
    for reply in replies.iter().filter(|r| r.status == 409) {
        reply.expect_problem(409, "upload_completing");
    }
    // Asked again, every caller gets the one document.
    let again = api.send(Method::POST, &path, None).expect(200);
    assert_eq!(text(&again["id"]), doc);
    assert_eq!(listed(api, &[("box", "outbox")]), vec![doc.clone()]);
    let content = supplier.api().download(&doc, &[]);
    assert_eq!(content.status, 200);
    assert_eq!(sha256_hex(&content.body), sha256_hex(&file));
}
