//! ERP connectors end to end: a connector registers with its company's API key, polls its
//! settings and reports runs; the admin steers its operations in the portal's API; another
//! company, a member without `users.manage`, a person in a connector's place and a revoked key
//! are refused (the native twin is workers/partners/tests/connectors.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, assert_id, assert_timestamp, ids, invite_colleague, text, wait_for_event, Api,
    Company, Key, Method,
};

/// The operation `name` of a connector object.
fn op<'v>(connector: &'v Value, name: &str) -> &'v Value {
    connector["operations"]
        .as_array()
        .unwrap_or_else(|| panic!("a connector has operations: {connector}"))
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("no operation {name} in {connector}"))
}

fn operations(connector: &Value) -> Vec<String> {
    connector["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| text(&o["operation"]))
        .collect()
}

fn registration(name: &str, ops: Value) -> Value {
    json!({"name": name, "host": "erp01.local", "version": "1.0.0", "operations": ops})
}

fn run(op: &str, started: &str, finished: &str, files: u64, errors: u64) -> Value {
    json!({"operation": op, "started_at": started, "finished_at": finished,
           "files": files, "errors": errors})
}

/// A company whose connector registered with send and fetch (every minute, every 5 minutes).
struct World {
    company: Company,
    key: Key,
    connector: Value,
    id: String,
}

fn world() -> World {
    let company = Company::signup_confirmed("connector");
    let key = api_key(&company, &[]);
    let connector = key.api.post(
        "/v1/connectors",
        registration(
            "ERP-1",
            json!([{"operation": "send", "interval_secs": 60},
                   {"operation": "fetch", "interval_secs": 300}]),
        ),
        201,
    );
    World {
        id: text(&connector["id"]),
        company,
        key,
        connector,
    }
}

#[test]
fn a_connector_registers_polls_reports_and_the_admin_steers_it() {
    let w = world();
    let admin = w.company.api();
    let c = &w.connector;
    assert_id(&c["id"], "cnr_");
    assert_eq!(c["name"], "ERP-1");
    assert_eq!(c["host"], "erp01.local");
    assert_eq!(c["version"], "1.0.0");
    assert_eq!(c["api_key_id"], json!(w.key.id));
    assert_timestamp(&c["registered_at"]);
    assert_timestamp(&c["last_seen_at"]);
    assert_eq!(operations(c), ["send", "fetch"]);
    assert_eq!(op(c, "send")["enabled"], true);
    assert_eq!(op(c, "send")["interval_secs"], 60);
    assert_eq!(op(c, "fetch")["interval"], "00:05:00");
    assert_eq!(op(c, "fetch")["run_at"], Value::Null);
    assert_eq!(op(c, "fetch")["last_run"], Value::Null);

    // The admin switches send off, slows fetch down and asks for a status run now.
    let path = |o: &str| format!("/v1/connectors/{}/operations/{o}", w.id);
    let off = admin.patch(&path("send"), json!({"enabled": false}), 200);
    assert_eq!(op(&off, "send")["enabled"], false);
    let slow = admin.patch(&path("fetch"), json!({"interval": "02:00:00"}), 200);
    assert_eq!(op(&slow, "fetch")["interval_secs"], 7200);
    assert_eq!(op(&slow, "fetch")["interval"], "02:00:00");
    let later = admin.patch(&path("fetch"), json!({"run_in_minutes": 60}), 200);
    assert_timestamp(&op(&later, "fetch")["run_at"]);
    for (body, field) in [
        (json!({"interval": "00:00:05"}), "interval"),
        (json!({"interval": "8 days"}), "interval"),
        (json!({"run_in_minutes": 10_081}), "run_in_minutes"),
        (json!({"enabled": "no"}), "enabled"),
    ] {
        admin
            .send(Method::PATCH, &path("fetch"), Some(&body))
            .expect_invalid_field(field);
    }
    admin
        .send(
            Method::PATCH,
            &path("sync"),
            Some(&json!({"enabled": true})),
        )
        .expect_problem(404, "not_found");

    // Registering again adds status and keeps the admin's settings.
    let again = w.key.api.post(
        "/v1/connectors",
        registration(
            "ERP-1",
            json!([{"operation": "send", "interval_secs": 60},
                   {"operation": "fetch", "interval_secs": 60},
                   {"operation": "status", "interval_secs": 600}]),
        ),
        200,
    );
    assert_eq!(again["id"], c["id"]);
    assert_eq!(operations(&again), ["send", "fetch", "status"]);
    assert_eq!(op(&again, "send")["enabled"], false);
    assert_eq!(op(&again, "fetch")["interval_secs"], 7200);
    assert_eq!(op(&again, "fetch")["run_at"], op(&later, "fetch")["run_at"]);
    let now = admin.patch(&path("status"), json!({"run_in_minutes": 0}), 200);
    let due = text(&op(&now, "status")["run_at"]);

    // The connector polls and sees what to do.
    let polled = w.key.api.get(&format!("/v1/connectors/{}", w.id), 200);
    assert_eq!(op(&polled, "status")["run_at"], json!(due));
    assert_eq!(op(&polled, "send")["enabled"], false);

    // It runs status at once and reports; the one-time run is done. The same report again is
    // the same run.
    let runs = format!("/v1/connectors/{}/runs", w.id);
    let report = run(
        "status",
        "2099-01-01T00:00:00.000Z",
        "2099-01-01T00:00:04.000Z",
        5,
        0,
    );
    let first = w.key.api.post(&runs, report.clone(), 201);
    assert_id(&first["run"]["id"], "run_");
    assert_eq!(first["run"]["files"], 5);
    assert_eq!(first["run"]["started_at"], report["started_at"]);
    assert_eq!(op(&first["connector"], "status")["run_at"], Value::Null);
    assert_eq!(op(&first["connector"], "status")["last_run"], first["run"]);
    let second = w.key.api.post(&runs, report.clone(), 200);
    assert_eq!(second["run"], first["run"]);
    // A fetch that started before its one-time run was due leaves it due.
    let fetched = w.key.api.post(
        &runs,
        run(
            "fetch",
            "2020-01-01T00:00:00.000Z",
            "2020-01-01T00:01:00.000Z",
            2,
            0,
        ),
        201,
    );
    assert_eq!(
        op(&fetched["connector"], "fetch")["run_at"],
        op(&later, "fetch")["run_at"]
    );
    w.key
        .api
        .send(
            Method::POST,
            &runs,
            Some(&run(
                "send",
                "2030-01-01T00:00:05Z",
                "2030-01-01T00:00:04Z",
                0,
                0,
            )),
        )
        .expect_invalid_field("finished_at");

    // A run with errors tells the company.
    let mut failing = run(
        "fetch",
        "2099-01-02T00:00:00.000Z",
        "2099-01-02T00:00:09.000Z",
        4,
        3,
    );
    failing["message"] = json!("3 files unreadable");
    let failed = w.key.api.post(&runs, failing, 201);
    let run_id = text(&failed["run"]["id"]);
    let event = wait_for_event(&w.company.id, "connector.run_failed", |e| {
        e["data"]["run_id"] == json!(run_id)
    });
    assert_eq!(event["data"]["connector_id"], json!(w.id));
    assert_eq!(event["data"]["operation"], "fetch");
    assert_eq!(event["data"]["errors"], 3);
    assert_eq!(event["data"]["message"], "3 files unreadable");

    // The admin sees the connector with each operation's last run, and its runs newest first.
    let list = admin.get("/v1/connectors", 200);
    let mine = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == c["id"])
        .unwrap_or_else(|| panic!("the connector is listed: {list}"));
    assert_eq!(op(mine, "fetch")["last_run"]["id"], json!(run_id));
    assert_eq!(op(mine, "send")["last_run"], Value::Null);
    let page = admin.get(&format!("{runs}?limit=2"), 200);
    assert_eq!(
        ids(&page),
        [run_id.clone(), text(&fetched["run"]["id"])],
        "newest first"
    );
    let rest = admin.get(
        &format!("{runs}?limit=2&cursor={}", text(&page["next_cursor"])),
        200,
    );
    assert_eq!(ids(&rest), [text(&first["run"]["id"])]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let statuses = w.key.api.get(&format!("{runs}?operation=status"), 200);
    assert_eq!(ids(&statuses), [text(&first["run"]["id"])]);

    // Deleted with its runs.
    admin.delete(&format!("/v1/connectors/{}", w.id), 204);
    admin
        .send(Method::GET, &format!("/v1/connectors/{}", w.id), None)
        .expect_problem(404, "not_found");
    w.key
        .api
        .send(Method::GET, &runs, None)
        .expect_problem(404, "not_found");
}

#[test]
fn connectors_are_the_companys_own() {
    let w = world();
    let other = Company::signup_confirmed("stranger");
    let other_key = api_key(&other, &[]);
    let member = invite_colleague(&w.company, &["talk"]);
    let revoked = api_key(&w.company, &[]);
    w.company
        .api()
        .delete(&format!("/v1/api-keys/{}", revoked.id), 204);
    let one = format!("/v1/connectors/{}", w.id);
    let runs = format!("{one}/runs");
    let patch = format!("{one}/operations/send");
    let report = run("send", "2030-01-01T00:00:00Z", "2030-01-01T00:00:01Z", 1, 1);
    let off = json!({"enabled": false});

    // Another company finds nothing, whoever asks.
    let other_admin: &Api = other.api();
    let cases: Vec<(&Api, Method, &str, Option<&Value>)> = vec![
        (&other_key.api, Method::GET, &one, None),
        (other_admin, Method::GET, &one, None),
        (&other_key.api, Method::GET, &runs, None),
        (other_admin, Method::GET, &runs, None),
        (&other_key.api, Method::POST, &runs, Some(&report)),
        (other_admin, Method::PATCH, &patch, Some(&off)),
        (other_admin, Method::DELETE, &one, None),
    ];
    for (api, method, path, body) in &cases {
        api.send(method.clone(), path, *body)
            .expect_problem(404, "not_found");
    }
    // Its own connector of the same name is another one.
    let theirs = other_key
        .api
        .post("/v1/connectors", registration("ERP-1", json!([])), 201);
    assert_ne!(theirs["id"], w.connector["id"]);

    // A member without users.manage sees and changes nothing.
    for (method, path, body) in [
        (Method::GET, "/v1/connectors", None),
        (Method::GET, one.as_str(), None),
        (Method::GET, runs.as_str(), None),
        (Method::PATCH, patch.as_str(), Some(&off)),
        (Method::DELETE, one.as_str(), None),
    ] {
        member
            .api
            .send(method, path, body)
            .expect_problem(403, "permission_missing");
    }
    // People do not register or report in a connector's place.
    for api in [w.company.api(), &member.api] {
        api.send(
            Method::POST,
            "/v1/connectors",
            Some(&registration("ERP-2", json!([]))),
        )
        .expect_problem(403, "api_key_only");
        api.send(Method::POST, &runs, Some(&report))
            .expect_problem(403, "api_key_only");
    }
    // A revoked key stops at once.
    for (method, path, body) in [
        (
            Method::POST,
            "/v1/connectors",
            Some(registration("ERP-1", json!([]))),
        ),
        (Method::GET, one.as_str(), None),
        (Method::POST, runs.as_str(), Some(report.clone())),
    ] {
        revoked
            .api
            .send(method, path, body.as_ref())
            .expect_problem(401, "api_key_invalid");
    }
    // The connector reads as before.
    let after = w.company.api().get(&one, 200);
    assert_eq!(op(&after, "send")["enabled"], true);
    assert_eq!(op(&after, "send")["last_run"], Value::Null);
    let runs_now = w.company.api().get(&runs, 200);
    assert_eq!(runs_now["data"], json!([]));
}
