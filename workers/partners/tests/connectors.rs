//! ERP connectors natively: the partners worker's route table over SQLite with the real
//! migrations. A connector registers with its company's API key, polls its settings and
//! reports runs; the company's admin steers its operations; nobody else sees any of it (the
//! end-to-end suite, tests/tests/connectors.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Duration;
use serde_json::{json, Value};
use shared::data::users::{self, NewUser, UserStatus};
use shared::ids::{CompanyId, SessionId, UserId};
use shared::lang::Language;
use shared::permissions::{Permission, Role};
use shared::platform::{Clock, Settings, Value as Sql};
use shared::service::Method;
use shared::time::{self, Time};
use shared::token::{AccessClaims, TokenIssuer};
use tradepost_testkit::{block_on, Answer, Stack};

/// A company's people and keys on one stack.
struct Company {
    id: CompanyId,
    /// The admin's access token.
    admin: String,
    /// A member holding only `talk`.
    member: String,
    /// An API key without any permission (a connector needs none).
    key: String,
}

fn now(s: &Stack) -> Time {
    Time(s.clock.now())
}

/// A person of `company`, active and logged in; their access token.
fn person(s: &Stack, company: &CompanyId, role: Role, perms: &[Permission]) -> String {
    let at = now(s);
    let user = UserId::new(at.0).unwrap();
    let session = SessionId::new(at.0).unwrap();
    let email = format!("{}@connectors.example", user.as_str());
    let mut statements = vec![users::insert_stmt(&NewUser {
        id: &user,
        company_id: company,
        email: &email,
        name: "Ada",
        password_hash: None,
        role,
        permissions: perms,
        language: Language::En,
        status: UserStatus::Active,
        now: at,
    })];
    statements.extend(users::open_session_stmts(&session, &user, at));
    block_on(s.platform().db.batch(statements)).unwrap();
    let seed = s.settings.get("JWT_SIGNING_KEY").unwrap();
    TokenIssuer::from_seed(&seed, "test")
        .unwrap()
        .issue(
            &AccessClaims {
                sub: user,
                cid: company.clone(),
                sid: session,
                role,
                perms: perms.to_vec(),
            },
            at.0,
        )
        .unwrap()
}

fn company(s: &Stack, handle: &str) -> Company {
    let id = s.seed_company(handle);
    Company {
        admin: person(s, &id, Role::Admin, &[]),
        member: person(s, &id, Role::Member, &[Permission::Talk]),
        key: s.seed_api_key(&id, &[]),
        id,
    }
}

fn stack() -> Stack {
    Stack::new(&[&tradepost_partners::SERVICE])
}

fn call(s: &Stack, method: Method, path: &str, bearer: &str, body: Option<Value>) -> Answer {
    let c = s.call(method, path).bearer(bearer);
    match body {
        Some(b) => c.json(&b).run(),
        None => c.run(),
    }
}

/// The problem's `code` and `field` after checking the status.
fn refused(a: &Answer, status: u16) -> (String, String) {
    let p = a.expect(status);
    (
        p["code"].as_str().unwrap_or_default().to_owned(),
        p["field"].as_str().unwrap_or_default().to_owned(),
    )
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The operation `op` of a connector object.
fn op<'v>(connector: &'v Value, name: &str) -> &'v Value {
    connector["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == name)
        .unwrap_or_else(|| panic!("no operation {name} in {connector}"))
}

fn ops(connector: &Value) -> Vec<String> {
    connector["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| text(&o["operation"]))
        .collect()
}

fn register_body(name: &str, operations: Value) -> Value {
    json!({"name": name, "host": "erp01.local", "version": "1.0.0", "operations": operations})
}

fn register(s: &Stack, key: &str, name: &str, operations: Value) -> Answer {
    call(
        s,
        Method::Post,
        "/v1/connectors",
        key,
        Some(register_body(name, operations)),
    )
}

/// A run report body starting `start` seconds after `base` and lasting a second.
fn run_body(base: Time, op: &str, start: i64, files: u64, errors: u64) -> Value {
    json!({
        "operation": op,
        "started_at": time::format(base.0 + Duration::seconds(start)),
        "finished_at": time::format(base.0 + Duration::seconds(start + 1)),
        "files": files,
        "errors": errors,
    })
}

fn count(s: &Stack, sql: &str, params: &[&str]) -> i64 {
    let params: Vec<Sql> = params.iter().map(|p| Sql::Text((*p).to_owned())).collect();
    s.count(sql, &params)
}

#[test]
fn a_connector_registers_again_and_keeps_the_admins_settings() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let key_id = s.texts("SELECT id FROM api_keys", &[]).remove(0);
    let first = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "fetch", "interval_secs": 300}, {"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    let id = text(&first["id"]);
    assert!(id.starts_with("cnr_"), "{first}");
    assert_eq!(first["name"], "ERP-1");
    assert_eq!(first["host"], "erp01.local");
    assert_eq!(first["version"], "1.0.0");
    assert_eq!(first["api_key_id"], key_id.as_str());
    assert_eq!(first["registered_at"], first["last_seen_at"]);
    assert_eq!(ops(&first), ["send", "fetch"], "in the canonical order");
    let send = op(&first, "send");
    assert_eq!(send["enabled"], true);
    assert_eq!(send["interval_secs"], 60);
    assert_eq!(send["interval"], "00:01:00");
    assert_eq!(send["run_at"], Value::Null);
    assert_eq!(send["last_run"], Value::Null);

    // The admin steers it.
    let path = |o: &str| format!("/v1/connectors/{id}/operations/{o}");
    let patched = call(
        &s,
        Method::Patch,
        &path("send"),
        &acme.admin,
        Some(json!({"enabled": false})),
    )
    .expect(200);
    assert_eq!(op(&patched, "send")["enabled"], false);
    assert_eq!(op(&patched, "fetch")["enabled"], true);
    let patched = call(
        &s,
        Method::Patch,
        &path("fetch"),
        &acme.admin,
        Some(json!({"interval": "01:30:05", "run_in_minutes": 30})),
    )
    .expect(200);
    let fetch = op(&patched, "fetch");
    assert_eq!(fetch["interval_secs"], 5405);
    assert_eq!(fetch["interval"], "01:30:05");
    assert_eq!(
        text(&fetch["run_at"]),
        time::format(now(&s).0 + Duration::minutes(30))
    );
    assert_eq!(op(&patched, "send")["enabled"], false, "unchanged");

    // Registering again: a new host and version, one new operation; the settings stay.
    s.clock.advance(Duration::seconds(5));
    let again = call(
        &s,
        Method::Post,
        "/v1/connectors",
        &acme.key,
        Some(json!({"name": "ERP-1", "version": "1.1.0", "operations": [
            {"operation": "fetch", "interval_secs": 60},
            {"operation": "status", "interval_secs": 120},
            {"operation": "send", "interval_secs": 10},
        ]})),
    )
    .expect(200);
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["version"], "1.1.0");
    assert_eq!(again["host"], Value::Null, "as sent now");
    assert_eq!(again["registered_at"], first["registered_at"]);
    assert_ne!(again["last_seen_at"], first["last_seen_at"]);
    assert_eq!(ops(&again), ["send", "fetch", "status"]);
    assert_eq!(op(&again, "send")["enabled"], false);
    assert_eq!(op(&again, "send")["interval_secs"], 60);
    assert_eq!(op(&again, "fetch")["interval_secs"], 5405);
    assert_eq!(op(&again, "fetch")["run_at"], fetch["run_at"]);
    assert_eq!(op(&again, "status")["interval_secs"], 120);
    assert_eq!(op(&again, "status")["enabled"], true);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connectors", &[]), 1);

    // What a registration may not be.
    for (body, field) in [
        (json!({"name": "", "operations": []}), "name"),
        (json!({"name": "x".repeat(101), "operations": []}), "name"),
        (json!({"name": "A", "host": "", "operations": []}), "host"),
        (
            json!({"name": "A", "version": "v".repeat(51), "operations": []}),
            "version",
        ),
        (json!({"name": "A"}), "operations"),
        (
            json!({"name": "A", "operations": [{"operation": "sync", "interval_secs": 60}]}),
            "operations[0].operation",
        ),
        (
            json!({"name": "A", "operations": [{"operation": "send", "interval_secs": 9}]}),
            "operations[0].interval_secs",
        ),
        (
            json!({"name": "A", "operations": [{"operation": "send", "interval_secs": 604_801}]}),
            "operations[0].interval_secs",
        ),
        (
            json!({"name": "A", "operations": [
                {"operation": "send", "interval_secs": 60}, {"operation": "send", "interval_secs": 70}]}),
            "operations[1].operation",
        ),
        (
            json!({"name": "A", "operations": [], "colour": "red"}),
            "colour",
        ),
    ] {
        let answer = call(
            &s,
            Method::Post,
            "/v1/connectors",
            &acme.key,
            Some(body.clone()),
        );
        assert_eq!(refused(&answer, 422).1, field, "{body}");
    }
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connectors", &[]), 1);
}

#[test]
fn a_connector_polls_reports_runs_and_the_admin_runs_an_operation_once() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let connector = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "send", "interval_secs": 60}, {"operation": "fetch", "interval_secs": 300},
               {"operation": "status", "interval_secs": 600}]),
    )
    .expect(201);
    let id = text(&connector["id"]);
    let base = now(&s);

    // "Run now" and "run in 30 minutes".
    let path = |o: &str| format!("/v1/connectors/{id}/operations/{o}");
    let now_run = call(
        &s,
        Method::Patch,
        &path("send"),
        &acme.admin,
        Some(json!({"run_in_minutes": 0})),
    )
    .expect(200);
    assert_eq!(text(&op(&now_run, "send")["run_at"]), time::format(base.0));
    call(
        &s,
        Method::Patch,
        &path("fetch"),
        &acme.admin,
        Some(json!({"run_in_minutes": 30})),
    )
    .expect(200);

    // The connector polls: it is seen; the admin's look is not a contact.
    s.clock.advance(Duration::seconds(1));
    let polled = call(
        &s,
        Method::Get,
        &format!("/v1/connectors/{id}"),
        &acme.key,
        None,
    )
    .expect(200);
    assert_eq!(text(&polled["last_seen_at"]), time::format(now(&s).0));
    assert_eq!(text(&op(&polled, "send")["run_at"]), time::format(base.0));
    s.clock.advance(Duration::seconds(1));
    let looked = call(
        &s,
        Method::Get,
        &format!("/v1/connectors/{id}"),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(looked["last_seen_at"], polled["last_seen_at"]);

    // A run of send that started after "run now" clears it; the same report again is the same
    // run, stored once.
    let runs = format!("/v1/connectors/{id}/runs");
    let report = run_body(base, "send", 2, 4, 0);
    let first = call(&s, Method::Post, &runs, &acme.key, Some(report.clone())).expect(201);
    let run = &first["run"];
    assert!(text(&run["id"]).starts_with("run_"), "{first}");
    assert_eq!(run["operation"], "send");
    assert_eq!(run["files"], 4);
    assert_eq!(run["errors"], 0);
    assert_eq!(run["message"], Value::Null);
    assert_eq!(run["started_at"], report["started_at"]);
    assert_eq!(run["finished_at"], report["finished_at"]);
    let send = op(&first["connector"], "send");
    assert_eq!(send["run_at"], Value::Null, "the one-time run was done");
    assert_eq!(send["last_run"], *run);
    assert_eq!(
        text(&first["connector"]["last_seen_at"]),
        time::format(now(&s).0)
    );
    let again = call(
        &s,
        Method::Post,
        &runs,
        &acme.key,
        Some(
            json!({"operation": "send", "started_at": report["started_at"],
                    "finished_at": report["finished_at"], "files": 9, "errors": 9}),
        ),
    )
    .expect(200);
    assert_eq!(again["run"], *run, "the stored run");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connector_runs", &[]), 1);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM events", &[]),
        0,
        "no errors were stored, so no event"
    );

    // A fetch run that started before its one-time run was due leaves it due.
    s.clock.advance(Duration::seconds(1));
    let fetched = call(
        &s,
        Method::Post,
        &runs,
        &acme.key,
        Some(run_body(base, "fetch", 60, 1, 0)),
    )
    .expect(201);
    assert_eq!(
        text(&op(&fetched["connector"], "fetch")["run_at"]),
        time::format(base.0 + Duration::minutes(30))
    );

    // A run with errors tells the company, once.
    s.clock.advance(Duration::seconds(1));
    let _ = s.take_queue();
    let mut failed = run_body(base, "status", 5, 7, 2);
    failed["message"] = json!("2 status reports refused");
    let stored = call(&s, Method::Post, &runs, &acme.key, Some(failed.clone())).expect(201);
    call(&s, Method::Post, &runs, &acme.key, Some(failed.clone())).expect(200);
    let queued = s.queued();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let event = &queued[0];
    assert_eq!(event["type"], "connector.run_failed");
    assert_eq!(event["company_id"], acme.id.as_str());
    assert_eq!(event["data"]["connector_id"], id.as_str());
    assert_eq!(event["data"]["run_id"], stored["run"]["id"]);
    assert_eq!(event["data"]["operation"], "status");
    assert_eq!(event["data"]["files"], 7);
    assert_eq!(event["data"]["errors"], 2);
    assert_eq!(event["data"]["message"], "2 status reports refused");
    assert_eq!(event["data"]["started_at"], failed["started_at"]);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM events WHERE type = 'connector.run_failed'",
            &[]
        ),
        1
    );

    // What a report may not be.
    let start = time::format(base.0 + Duration::seconds(100));
    let earlier = time::format(base.0 + Duration::seconds(99));
    for (body, field) in [
        (
            json!({"operation": "send", "started_at": start, "finished_at": earlier, "files": 0, "errors": 0}),
            "finished_at",
        ),
        (
            json!({"operation": "send", "started_at": "yesterday", "finished_at": start, "files": 0, "errors": 0}),
            "started_at",
        ),
        (
            json!({"operation": "send", "started_at": start, "finished_at": start, "files": -1, "errors": 0}),
            "files",
        ),
        (
            json!({"operation": "send", "started_at": start, "finished_at": start, "files": 0, "errors": 1_000_000_001u64}),
            "errors",
        ),
        (
            json!({"operation": "send", "started_at": start, "finished_at": start, "files": 0, "errors": 0, "message": ""}),
            "message",
        ),
        (
            json!({"operation": "send", "started_at": start, "finished_at": start, "files": 0, "errors": 0, "message": "m".repeat(2001)}),
            "message",
        ),
        (
            json!({"operation": "sync", "started_at": start, "finished_at": start, "files": 0, "errors": 0}),
            "operation",
        ),
        (
            json!({"operation": "send", "finished_at": start, "files": 0, "errors": 0}),
            "started_at",
        ),
    ] {
        let answer = call(&s, Method::Post, &runs, &acme.key, Some(body.clone()));
        assert_eq!(refused(&answer, 422).1, field, "{body}");
    }
    // A connector reports only the operations it registered.
    let lean = register(
        &s,
        &acme.key,
        "ERP-lean",
        json!([{"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    let lean_id = text(&lean["id"]);
    let answer = call(
        &s,
        Method::Post,
        &format!("/v1/connectors/{lean_id}/runs"),
        &acme.key,
        Some(run_body(base, "fetch", 1, 0, 0)),
    );
    assert_eq!(refused(&answer, 422).1, "operation");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connector_runs", &[]), 3);
}

#[test]
fn the_admin_changes_each_setting_and_bad_changes_name_their_field() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let connector = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "send", "interval_secs": 60}, {"operation": "status", "interval_secs": 60}]),
    )
    .expect(201);
    let id = text(&connector["id"]);
    let path = |o: &str| format!("/v1/connectors/{id}/operations/{o}");
    let patch = |o: &str, body: Value| call(&s, Method::Patch, &path(o), &acme.admin, Some(body));

    let off = patch("status", json!({"enabled": false})).expect(200);
    assert_eq!(op(&off, "status")["enabled"], false);
    let on = patch("status", json!({"enabled": true})).expect(200);
    assert_eq!(op(&on, "status")["enabled"], true);
    for (interval, secs) in [("00:00:10", 10), ("168:00:00", 604_800), ("2:00:00", 7200)] {
        let changed = patch("send", json!({ "interval": interval })).expect(200);
        assert_eq!(op(&changed, "send")["interval_secs"], secs, "{interval}");
    }
    assert_eq!(
        op(&patch("send", json!({})).expect(200), "send")["interval"],
        "02:00:00",
        "an empty change changes nothing"
    );
    let later = patch("send", json!({"run_in_minutes": 10_080})).expect(200);
    assert_eq!(
        text(&op(&later, "send")["run_at"]),
        time::format(now(&s).0 + Duration::minutes(10_080))
    );
    // Leaving run_in_minutes out (or null) keeps the one-time run.
    let kept = patch("send", json!({"enabled": false, "run_in_minutes": null})).expect(200);
    assert_eq!(op(&kept, "send")["run_at"], op(&later, "send")["run_at"]);

    for (body, field) in [
        (json!({"interval": "00:00:09"}), "interval"),
        (json!({"interval": "168:00:01"}), "interval"),
        (json!({"interval": "5m"}), "interval"),
        (json!({"interval": "00:61:00"}), "interval"),
        (json!({"interval": 300}), "interval"),
        (json!({"run_in_minutes": 10_081}), "run_in_minutes"),
        (json!({"run_in_minutes": -1}), "run_in_minutes"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"paused": true}), "paused"),
    ] {
        let answer = patch("send", body.clone());
        assert_eq!(refused(&answer, 422).1, field, "{body}");
    }
    // An operation that is none, or one this connector does not have.
    assert_eq!(
        refused(&patch("sync", json!({"enabled": false})), 404).0,
        "not_found"
    );
    assert_eq!(
        refused(&patch("fetch", json!({"enabled": false})), 404).0,
        "not_found"
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM connector_operations WHERE connector_id = ?1",
            &[&id]
        ),
        2
    );
}

#[test]
fn the_admin_lists_connectors_with_last_runs_pages_runs_and_deletes() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let base = now(&s);
    let b = register(
        &s,
        &acme.key,
        "warehouse",
        json!([{"operation": "fetch", "interval_secs": 60}]),
    )
    .expect(201);
    let a = register(
        &s,
        &acme.key,
        "office",
        json!([{"operation": "send", "interval_secs": 60}, {"operation": "fetch", "interval_secs": 60}]),
    )
    .expect(201);
    let a_id = text(&a["id"]);
    let b_id = text(&b["id"]);
    let runs = format!("/v1/connectors/{a_id}/runs");
    let mut reported = Vec::new();
    for i in 0..5 {
        s.clock.advance(Duration::seconds(1));
        let op = if i % 2 == 0 { "send" } else { "fetch" };
        let r = call(
            &s,
            Method::Post,
            &runs,
            &acme.key,
            Some(run_body(base, op, i * 10, 1, 0)),
        )
        .expect(201);
        reported.push(text(&r["run"]["id"]));
    }

    let list = call(&s, Method::Get, "/v1/connectors", &acme.admin, None).expect(200);
    let names: Vec<String> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(&c["name"]))
        .collect();
    assert_eq!(names, ["office", "warehouse"], "by name");
    let office = &list["data"][0];
    assert_eq!(op(office, "send")["last_run"]["id"], reported[4].as_str());
    assert_eq!(op(office, "fetch")["last_run"]["id"], reported[3].as_str());
    assert_eq!(op(&list["data"][1], "fetch")["last_run"], Value::Null);
    assert!(list.get("next_cursor").is_none(), "{list}");

    // Runs newest first, a page at a time, of every operation or one; the connector's own key
    // may read them too.
    let page1 = call(
        &s,
        Method::Get,
        &format!("{runs}?limit=2"),
        &acme.admin,
        None,
    )
    .expect(200);
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| text(&r["id"]))
            .collect()
    };
    assert_eq!(ids(&page1), [reported[4].clone(), reported[3].clone()]);
    let cursor = text(&page1["next_cursor"]);
    let page2 = call(
        &s,
        Method::Get,
        &format!("{runs}?limit=2&cursor={cursor}"),
        &acme.key,
        None,
    )
    .expect(200);
    assert_eq!(ids(&page2), [reported[2].clone(), reported[1].clone()]);
    let page3 = call(
        &s,
        Method::Get,
        &format!("{runs}?limit=2&cursor={}", text(&page2["next_cursor"])),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(ids(&page3), [reported[0].clone()]);
    assert_eq!(page3["next_cursor"], Value::Null);
    let sends = call(
        &s,
        Method::Get,
        &format!("{runs}?operation=send"),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(
        ids(&sends),
        [
            reported[4].clone(),
            reported[2].clone(),
            reported[0].clone()
        ]
    );
    let answer = call(
        &s,
        Method::Get,
        &format!("{runs}?operation=sync"),
        &acme.admin,
        None,
    );
    assert_eq!(refused(&answer, 422).1, "operation");
    let answer = call(
        &s,
        Method::Get,
        &format!("{runs}?limit=0"),
        &acme.admin,
        None,
    );
    assert_eq!(refused(&answer, 422).1, "limit");
    let none = call(
        &s,
        Method::Get,
        &format!("/v1/connectors/{b_id}/runs"),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(none["data"], json!([]));

    // Deleted with its operations and runs; the other stays.
    call(
        &s,
        Method::Delete,
        &format!("/v1/connectors/{a_id}"),
        &acme.admin,
        None,
    )
    .expect(204);
    for path in [format!("/v1/connectors/{a_id}"), runs.clone()] {
        call(&s, Method::Get, &path, &acme.admin, None).expect(404);
    }
    call(
        &s,
        Method::Delete,
        &format!("/v1/connectors/{a_id}"),
        &acme.admin,
        None,
    )
    .expect(404);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM connector_runs WHERE connector_id = ?1",
            &[&a_id]
        ),
        0
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM connector_operations WHERE connector_id = ?1",
            &[&a_id]
        ),
        0
    );
    let list = call(&s, Method::Get, "/v1/connectors", &acme.admin, None).expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    // The connector registering again after its deletion is a new one.
    let back = register(
        &s,
        &acme.key,
        "office",
        json!([{"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    assert_ne!(text(&back["id"]), a_id);
}

#[test]
fn people_do_not_act_as_connectors_and_members_without_users_manage_see_nothing() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let connector = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    let id = text(&connector["id"]);
    let base = now(&s);
    let runs = format!("/v1/connectors/{id}/runs");

    // Only a connector registers and reports: a person, even the admin, is refused.
    let body = register_body("ERP-2", json!([{"operation": "send", "interval_secs": 60}]));
    for who in [&acme.admin, &acme.member] {
        let answer = call(&s, Method::Post, "/v1/connectors", who, Some(body.clone()));
        assert_eq!(refused(&answer, 403).0, "api_key_only");
        let answer = call(
            &s,
            Method::Post,
            &runs,
            who,
            Some(run_body(base, "send", 1, 0, 0)),
        );
        assert_eq!(refused(&answer, 403).0, "api_key_only");
    }
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connectors", &[]), 1);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connector_runs", &[]), 0);

    // A member without users.manage sees and changes nothing; a key without it may poll and
    // read runs, not administer.
    let patch = json!({"enabled": false});
    let admin_only: Vec<(Method, String, Option<Value>)> = vec![
        (Method::Get, "/v1/connectors".to_owned(), None),
        (
            Method::Patch,
            format!("/v1/connectors/{id}/operations/send"),
            Some(patch.clone()),
        ),
        (Method::Delete, format!("/v1/connectors/{id}"), None),
    ];
    for (method, path, body) in &admin_only {
        for who in [&acme.member, &acme.key] {
            let answer = call(&s, *method, path, who, body.clone());
            assert_eq!(refused(&answer, 403).0, "permission_missing", "{path}");
        }
    }
    for path in [format!("/v1/connectors/{id}"), runs.clone()] {
        let answer = call(&s, Method::Get, &path, &acme.member, None);
        assert_eq!(refused(&answer, 403).0, "permission_missing", "{path}");
        call(&s, Method::Get, &path, &acme.key, None).expect(200);
    }
    let unchanged = call(
        &s,
        Method::Get,
        &format!("/v1/connectors/{id}"),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(op(&unchanged, "send")["enabled"], true);
}

#[test]
fn another_companys_connector_is_not_found_and_a_revoked_key_is_refused() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let other = company(&s, "wydawnictwo");
    let connector = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    let id = text(&connector["id"]);
    let base = now(&s);
    // (call, whether the other company's key may make it, whether its admin may)
    let calls: Vec<(Method, String, Option<Value>, bool, bool)> = vec![
        (
            Method::Get,
            format!("/v1/connectors/{id}"),
            None,
            true,
            true,
        ),
        (
            Method::Get,
            format!("/v1/connectors/{id}/runs"),
            None,
            true,
            true,
        ),
        (
            Method::Post,
            format!("/v1/connectors/{id}/runs"),
            Some(run_body(base, "send", 1, 0, 1)),
            true,
            false,
        ),
        (
            Method::Patch,
            format!("/v1/connectors/{id}/operations/send"),
            Some(json!({"enabled": false})),
            false,
            true,
        ),
        (
            Method::Delete,
            format!("/v1/connectors/{id}"),
            None,
            false,
            true,
        ),
    ];
    for (method, path, body, key, admin) in &calls {
        let callers = [(&other.key, *key), (&other.admin, *admin)];
        for (who, _) in callers.iter().filter(|(_, may)| *may) {
            let answer = call(&s, *method, path, who, body.clone());
            assert_eq!(
                refused(&answer, 404).0,
                "not_found",
                "{} {path}",
                method.as_str()
            );
        }
    }
    // Nothing changed, nothing was told, and the other company's list is its own.
    let after = call(
        &s,
        Method::Get,
        &format!("/v1/connectors/{id}"),
        &acme.admin,
        None,
    )
    .expect(200);
    assert_eq!(op(&after, "send")["enabled"], true);
    assert_eq!(after["last_seen_at"], connector["last_seen_at"]);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM connector_runs", &[]), 0);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM events", &[]), 0);
    let mine = register(
        &s,
        &other.key,
        "ERP-1",
        json!([{"operation": "fetch", "interval_secs": 60}]),
    )
    .expect(201);
    assert_ne!(mine["id"], connector["id"], "names are per company");
    let list = call(&s, Method::Get, "/v1/connectors", &other.admin, None).expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], mine["id"]);

    // A revoked key stops at once.
    let _ = s.rows(
        "UPDATE api_keys SET revoked_at = ?1 WHERE company_id = ?2",
        &[
            Sql::Text(time::format(now(&s).0)),
            Sql::Text(acme.id.to_string()),
        ],
    );
    for (method, path, body) in [
        (
            Method::Post,
            "/v1/connectors".to_owned(),
            Some(register_body("ERP-1", json!([]))),
        ),
        (Method::Get, format!("/v1/connectors/{id}"), None),
        (
            Method::Post,
            format!("/v1/connectors/{id}/runs"),
            Some(run_body(base, "send", 1, 0, 0)),
        ),
    ] {
        let answer = call(&s, method, &path, &acme.key, body);
        assert_eq!(refused(&answer, 401).0, "api_key_invalid", "{path}");
    }
}

#[test]
fn each_answer_takes_one_round_trip_besides_the_callers_check() {
    let s = stack();
    let acme = company(&s, "acme-print");
    let connector = register(
        &s,
        &acme.key,
        "ERP-1",
        json!([{"operation": "send", "interval_secs": 60}]),
    )
    .expect(201);
    let id = text(&connector["id"]);
    let base = now(&s);
    let runs = format!("/v1/connectors/{id}/runs");
    let cases: Vec<(&str, Method, String, Option<Value>)> = vec![
        (
            &acme.key,
            Method::Post,
            "/v1/connectors".to_owned(),
            Some(register_body(
                "ERP-1",
                json!([{"operation": "send", "interval_secs": 60}]),
            )),
        ),
        (&acme.key, Method::Get, format!("/v1/connectors/{id}"), None),
        (
            &acme.key,
            Method::Post,
            runs.clone(),
            Some(run_body(base, "send", 1, 0, 1)),
        ),
        (&acme.key, Method::Get, runs.clone(), None),
        (&acme.admin, Method::Get, "/v1/connectors".to_owned(), None),
        (&acme.admin, Method::Get, runs.clone(), None),
        (
            &acme.admin,
            Method::Patch,
            format!("/v1/connectors/{id}/operations/send"),
            Some(json!({"run_in_minutes": 0})),
        ),
        (
            &acme.admin,
            Method::Delete,
            format!("/v1/connectors/{id}"),
            None,
        ),
    ];
    for (who, method, path, body) in cases {
        let before = s.db.calls();
        let answer = call(&s, method, &path, who, body);
        assert!(answer.status < 300, "{path}: {}", answer.status);
        let made = s.db.calls() - before;
        assert_eq!(
            made,
            2,
            "{} {path}: the caller's check and one batch",
            method.as_str()
        );
        let timing = answer.header("server-timing").unwrap_or_default();
        assert!(
            timing.starts_with("d1;desc=\"2 round trips\""),
            "{path}: {timing}"
        );
    }
}
