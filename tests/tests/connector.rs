//! The ERP connector (`tradepost`, connector/) run as integrators run it, against the stack:
//! sending, fetching with an import command, status reports and replies by hand; the portal's
//! controls and our webhook steering a running sync. The heavy runs (a thousand files, kills,
//! a gigabyte) are in connector_load.rs. The binary comes from `TRADEPOST_BIN`, or the
//! workspace's `target/debug/tradepost` (`cargo build -p tradepost-connector`).

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod connector_kit;

use std::fs;
use std::thread::sleep;
use std::time::Duration;

use connector_kit::*;
use serde_json::{json, Value};
use tradepost_e2e::*;

#[test]
fn an_erp_sends_fetches_imports_reports_and_replies_by_hand() {
    let (customer, supplier) = erps();

    let me = customer.json(&["whoami"], 0);
    assert_eq!(
        me[0]["company"]["id"],
        customer.company.id.as_str(),
        "{me:?}"
    );
    let human = customer.run(&["whoami"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains(&customer.company.handle));

    // Send an order; sending the same file again (a retry after a crash) is the same document.
    let order = customer.dir.join("PO-4711.xml");
    fs::write(&order, b"<Order><ID>PO-4711</ID></Order>").unwrap();
    let args = [
        "send",
        "PO-4711.xml",
        "--to",
        supplier.company.handle.as_str(),
        "--type",
        "order",
        "--reference",
        "PO-4711",
    ];
    let sent = customer.json(&args, 0);
    let doc_id = sent[0]["document"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sent[0]["replayed"], false, "{sent:?}");
    let again = customer.json(&args, 0);
    assert_eq!(again[0]["document"]["id"], doc_id.as_str(), "{again:?}");
    assert_eq!(again[0]["replayed"], true, "{again:?}");

    // The supplier's import command fails: the file is there, the document not acknowledged.
    let inbox = supplier.dir.join("inbox");
    let failing = supplier.json(&["fetch", "--into", "inbox", "--then", "exit 3"], 9);
    assert_eq!(
        failing[0]["failed"]["document_id"],
        doc_id.as_str(),
        "{failing:?}"
    );
    assert!(failing[0]["failed"]["error"]
        .as_str()
        .unwrap()
        .contains("exited with 3"));
    let doc = supplier
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["status"], "downloaded", "{doc}");
    // The next fetch imports it (into imported/) and acknowledges; no second copy in inbox/.
    fs::create_dir_all(supplier.dir.join("imported")).unwrap();
    let fetched = supplier.json(
        &["fetch", "--into", "inbox", "--then", "cp {path} imported/"],
        0,
    );
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0]["fetched"]["document_id"], doc_id.as_str());
    let names: Vec<_> = files_in(&inbox).into_keys().collect();
    assert_eq!(names, ["PO-4711.xml"]);
    assert_eq!(
        fs::read(supplier.dir.join("imported/PO-4711.xml")).unwrap(),
        b"<Order><ID>PO-4711</ID></Order>"
    );
    let doc = supplier
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["status"], "imported", "{doc}");
    assert!(
        supplier.json(&["fetch", "--into", "inbox"], 0).is_empty(),
        "nothing new"
    );

    // A status report by the customer's reference, then a reply: an order response.
    let shipped = supplier.json(
        &[
            "status",
            "PO-4711",
            "shipped",
            "--carrier",
            "DHL",
            "--tracking",
            "1Z999",
        ],
        0,
    );
    assert_eq!(shipped[0]["status"], "shipped", "{shipped:?}");
    let seen = customer
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    let last = seen["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["carrier"].as_str(), last["tracking_number"].as_str()),
        (Some("DHL"), Some("1Z999"))
    );
    fs::write(supplier.dir.join("ORDRSP-4711.xml"), b"<OrderResponse/>").unwrap();
    let reply = supplier.json(&["reply", &doc_id, "ORDRSP-4711.xml"], 0);
    let reply_id = reply[0]["document"]["id"].as_str().unwrap().to_owned();
    let answer = customer
        .key
        .api
        .get(&format!("/v1/documents/{reply_id}"), 200);
    assert_eq!(answer["type"], "order_response", "{answer}");
    assert_eq!(answer["in_reply_to"], doc_id.as_str(), "{answer}");

    // Clear errors: a wrong key, an unknown partner, a status the document cannot take.
    let mut wrong = customer.command(&["whoami"]);
    let out = wrong.env("TRADEPOST_API_KEY", "tp_wrong").output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API key was not accepted"));
    let unknown = customer.json(&["send", "PO-4711.xml", "--to", "no-such-partner-x"], 6);
    assert_eq!(unknown[0]["problem"]["field"], "recipient", "{unknown:?}");
    let refused = customer.json(&["status", &reply_id, "rejected"], 6);
    assert_eq!(refused[0]["problem"]["field"], "reason", "{refused:?}");
    let no_file = customer.json(&["send", "nothing.xml", "--to", "x"], 10);
    assert!(no_file[0]["message"]
        .as_str()
        .unwrap()
        .contains("nothing.xml"));
    let mut no_key = customer.command(&["whoami"]);
    let out = no_key.env_remove("TRADEPOST_API_KEY").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TRADEPOST_API_KEY"));
}

#[test]
fn the_admin_runs_an_operation_now_and_our_webhook_wakes_the_fetch() {
    let (customer, supplier) = erps();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = supplier.company.api().post(
        "/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{port}/tradepost"), "event_types": ["document.deposited"]}),
        201,
    );
    let secret = hook["secret"].as_str().unwrap();
    let listen = format!("127.0.0.1:{port}");
    let name = format!("ERP {}", unique(6));
    let sync = supplier.spawn(&[
        "sync",
        "--root",
        "sync",
        "--name",
        &name,
        "--send-interval",
        "1h",
        "--fetch-interval",
        "1h",
        "--status-interval",
        "1h",
        "--poll-interval",
        "1s",
        "--listen",
        &listen,
        "--webhook-secret",
        secret,
    ]);
    let admin = supplier.company.api();
    let mut connector = Value::Null;
    wait_until(
        "the connector's first runs in the portal",
        Duration::from_secs(30),
        || {
            let list = admin.get("/v1/connectors", 200);
            connector = list["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name.as_str())
                .cloned()
                .unwrap_or_default();
            connector["operations"]
                .as_array()
                .is_some_and(|ops| ops.iter().all(|o| !o["last_run"].is_null()))
        },
    );
    let id = connector["id"].as_str().unwrap().to_owned();
    assert_eq!(
        connector["operations"][1]["interval"], "01:00:00",
        "{connector}"
    );
    let runs = |op: &str| {
        admin.get(&format!("/v1/connectors/{id}/runs?operation={op}"), 200)["data"]
            .as_array()
            .map_or(0, Vec::len)
    };

    // A document arrives: the webhook wakes the fetch long before its hour is up.
    fs::write(customer.dir.join("PO-1.xml"), b"<Order/>").unwrap();
    customer.json(
        &["send", "PO-1.xml", "--to", supplier.company.handle.as_str()],
        0,
    );
    let inbox = supplier.dir.join("sync/inbox");
    // The webhook comes through the event queue, behind whatever the other tests queued.
    wait_until("the webhook-woken fetch", Duration::from_secs(90), || {
        files_in(&inbox).contains_key("PO-1.xml")
    });

    // The admin runs the status operation now: within the poll interval it runs once more.
    let before = runs("status");
    let patched = admin.patch(
        &format!("/v1/connectors/{id}/operations/status"),
        json!({"run_in_minutes": 0}),
        200,
    );
    assert!(!patched["operations"][2]["run_at"].is_null(), "{patched}");
    wait_until(
        "the status run the admin asked for",
        Duration::from_secs(20),
        || runs("status") > before,
    );
    let after = admin.get(&format!("/v1/connectors/{id}"), 200);
    assert!(
        after["operations"][2]["run_at"].is_null(),
        "the one-time run is done: {after}"
    );
    sleep(Duration::from_secs(3));
    assert_eq!(runs("status"), before + 1, "run once, not again and again");

    // Switched off, an operation does not run even when its interval has passed.
    admin.patch(
        &format!("/v1/connectors/{id}/operations/send"),
        json!({"enabled": false, "interval": "00:00:10"}),
        200,
    );
    let sends = runs("send");
    sleep(Duration::from_secs(12));
    assert_eq!(runs("send"), sends, "a switched-off operation ran");
    sync.kill();
}
