//! Tasks natively: the tasks, orders and talk workers' route tables over SQLite with the real
//! migrations. A printer's admin makes a Sales team, gives it a task about the order the
//! bookshop sent, a clerk takes it, it is handed on, commented, told when due and done — and
//! the bookshop, a stranger and an API key find or move none of it (the end-to-end suite,
//! tests/tests/tasks.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::permissions::{Permission, Role};
use shared::platform::Value as Sql;
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{problem_field, SeededPerson, Stack};

const ORDER: &[u8] = include_bytes!("../../../shared/tests/fixtures/formats/ubl-order.xml");

struct World {
    s: Stack,
    printer: String,
    /// The printer's admin (every permission).
    anna: SeededPerson,
    /// The printer's sales clerk (no users.manage).
    sam: SeededPerson,
    /// The printer's returns clerk.
    rita: SeededPerson,
    /// The bookshop's buyer.
    berta: SeededPerson,
    printer_key: String,
    bookshop_key: String,
    stranger_key: String,
}

fn world() -> World {
    let s = Stack::new(&[
        &tradepost_tasks::SERVICE,
        &tradepost_orders::SERVICE,
        &tradepost_talk::SERVICE,
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
    let both = [Permission::DocumentsSend, Permission::DocumentsReceive];
    let clerk = [Permission::DocumentsReceive, Permission::Talk];
    World {
        anna: s.seed_person(&printer, "Anna Admin", Role::Admin, &[]),
        sam: s.seed_person(&printer, "Sam Sales", Role::Member, &clerk),
        rita: s.seed_person(&printer, "Rita Returns", Role::Member, &clerk),
        berta: s.seed_person(&bookshop, "Berta Buch", Role::Admin, &[]),
        printer_key: s.seed_api_key(&printer, &both),
        bookshop_key: s.seed_api_key(&bookshop, &both),
        stranger_key: s.seed_api_key(&stranger, &both),
        printer: printer.to_string(),
        s,
    }
}

fn call(w: &World, method: Method, target: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut c = w.s.call(method, target).bearer(token);
    if let Some(body) = body {
        c = c.json(&body);
    }
    let a = c.run();
    let status = a.status;
    (
        status,
        if a.body.is_empty() {
            Value::Null
        } else {
            a.json()
        },
    )
}

#[test]
fn a_team_is_given_a_task_about_an_order_and_nobody_outside_sees_it() {
    let w = world();
    let anna = &w.anna.token;
    let sam = &w.sam.token;

    // ---- teams: made by who manages the people, seen by everyone of the company ----
    let (status, sales) = call(
        &w,
        Method::Post,
        "/v1/teams",
        anna,
        Some(json!({"name": " Sales "})),
    );
    assert_eq!(status, 201, "{sales}");
    assert_eq!(sales["name"], "Sales");
    let sales_id = sales["id"].as_str().unwrap().to_owned();
    let (status, again) = call(
        &w,
        Method::Post,
        "/v1/teams",
        anna,
        Some(json!({"name": "Sales"})),
    );
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("name_taken")),
        "{again}"
    );
    let (status, _) = call(
        &w,
        Method::Post,
        "/v1/teams",
        sam,
        Some(json!({"name": "Mine"})),
    );
    assert_eq!(status, 403, "a clerk without users.manage makes no team");
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/teams",
        anna,
        Some(json!({"name": ""})),
    );
    assert_eq!((status, problem_field(&bad)), (422, "name"), "{bad}");

    let member = |team: &str, user: &str, token: &str, method: Method| {
        call(
            &w,
            method,
            &format!("/v1/teams/{team}/members/{user}"),
            token,
            None,
        )
    };
    let (status, team) = member(&sales_id, w.sam.id.as_str(), anna, Method::Put);
    assert_eq!(status, 200, "{team}");
    assert_eq!(team["members"][0]["name"], "Sam Sales");
    // Again: the same.
    let (status, team) = member(&sales_id, w.sam.id.as_str(), anna, Method::Put);
    assert_eq!(
        (status, team["members"].as_array().unwrap().len()),
        (200, 1)
    );
    // The partner's people are not the printer's.
    let (status, _) = member(&sales_id, w.berta.id.as_str(), anna, Method::Put);
    assert_eq!(
        status, 404,
        "the bookshop's buyer joins no team of the printer"
    );
    let (status, _) = member(&sales_id, w.rita.id.as_str(), sam, Method::Put);
    assert_eq!(status, 403);
    let (status, list) = call(&w, Method::Get, "/v1/teams", sam, None);
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], sales_id.as_str());
    assert_eq!(list["people"].as_array().unwrap().len(), 3, "{list}");
    // Nobody else finds or changes the team.
    for key in [&w.bookshop_key, &w.stranger_key] {
        let (_, theirs) = call(&w, Method::Get, "/v1/teams", key, None);
        assert_eq!(theirs["data"], json!([]), "{theirs}");
        assert!(!theirs.to_string().contains("Sam Sales"), "{theirs}");
    }
    let (status, _) = call(
        &w,
        Method::Patch,
        &format!("/v1/teams/{sales_id}"),
        &w.berta.token,
        Some(json!({"name": "Ours"})),
    );
    assert_eq!(status, 404);
    let (status, _) = call(
        &w,
        Method::Delete,
        &format!("/v1/teams/{sales_id}"),
        &w.berta.token,
        None,
    );
    assert_eq!(status, 404);

    // ---- the bookshop's order arrives; the admin gives Sales a task about it ----
    let order =
        w.s.post("/v1/documents")
            .bearer(&w.bookshop_key)
            .header("tradepost-recipient", &w.printer)
            .header("tradepost-type", "order")
            .header("tradepost-filename", "order-4711.xml")
            .bytes("application/xml", ORDER.to_vec())
            .run()
            .expect(201);
    let doc = order["id"].as_str().unwrap().to_owned();
    let before = w.s.queued().len();
    let (status, task) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        anna,
        Some(json!({
            "title": "Confirm the delivery date",
            "description": "Internal: the bookshop pays late, ask for prepayment.",
            "due_on": "2099-01-10",
            "team_id": sales_id,
            "about": doc,
        })),
    );
    assert_eq!(status, 201, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["status"], "open");
    assert_eq!(task["team"]["name"], "Sales");
    assert_eq!(task["about"]["type"], "document");
    assert_eq!(task["about"]["label"], "order-4711.xml");
    assert_eq!(task["created_by"]["name"], "Anna Admin");
    let assigned = w.s.queued_of("task.assigned");
    assert_eq!(w.s.queued().len(), before + 1);
    assert_eq!(assigned[0]["company_id"], w.printer.as_str());
    assert_eq!(assigned[0]["data"]["team_name"], "Sales");
    // The team's member is mailed; the admin who gave it is not.
    let sent = w.s.mails_of("task_assigned");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, w.sam.email);
    assert!(sent[0].1.contains("New task for Sales"), "{}", sent[0].1);
    assert!(
        sent[0].2.contains("Anna Admin") && sent[0].2.contains("order-4711.xml"),
        "{}",
        sent[0].2
    );
    assert!(sent[0].2.contains(&format!("/tasks/{id}")), "{}", sent[0].2);

    // ---- the partner, a stranger: nothing found, nothing moved ----
    let task_path = format!("/v1/tasks/{id}");
    for token in [&w.bookshop_key, &w.berta.token, &w.stranger_key] {
        assert_eq!(call(&w, Method::Get, &task_path, token, None).0, 404);
        let (status, _) = call(
            &w,
            Method::Patch,
            &task_path,
            token,
            Some(json!({"status": "done"})),
        );
        assert_eq!(status, 404);
        let (_, list) = call(
            &w,
            Method::Get,
            &format!("/v1/tasks?about={doc}"),
            token,
            None,
        );
        assert_eq!(list["data"], json!([]), "{list}");
        let text = list.to_string();
        assert!(
            !text.contains("prepayment") && !text.contains("Confirm the delivery"),
            "{text}"
        );
    }
    let (status, _) = call(
        &w,
        Method::Post,
        &format!("{task_path}/comments"),
        &w.berta.token,
        Some(json!({"text": "hello"})),
    );
    assert_eq!(status, 404);
    // A stranger cannot make a task about the printer's order.
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        &w.stranger_key,
        Some(json!({"title": "Peek", "about": doc})),
    );
    assert_eq!((status, problem_field(&bad)), (422, "about"), "{bad}");
    // The bookshop's own task about its order is the bookshop's alone.
    let (status, own) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        &w.berta.token,
        Some(json!({"title": "Chase the printer", "about": doc, "assignee_id": "me"})),
    );
    assert_eq!(status, 201, "{own}");
    let (_, printer_list) = call(&w, Method::Get, "/v1/tasks", anna, None);
    assert!(
        !printer_list.to_string().contains("Chase the printer"),
        "{printer_list}"
    );
    let row =
        w.s.count("SELECT COUNT(*) FROM tasks WHERE status = 'open'", &[]);
    assert_eq!(row, 2, "nothing was changed by the others");
    // A task of the bookshop's own names none of the printer's.
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        &w.berta.token,
        Some(json!({"title": "X", "team_id": sales_id})),
    );
    assert_eq!((status, problem_field(&bad)), (422, "team_id"), "{bad}");
    let (status, bad) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        &w.berta.token,
        Some(json!({"title": "X", "assignee_id": w.sam.id.as_str()})),
    );
    assert_eq!((status, problem_field(&bad)), (422, "assignee_id"), "{bad}");

    // ---- bad input names the field ----
    for (body, name) in [
        (json!({"title": " "}), "title"),
        (json!({"title": "T", "due_on": "1.3.2027"}), "due_on"),
        (json!({"title": "T", "team_id": "tem_1"}), "team_id"),
        (
            json!({"title": "T", "about": "co_01jd0000000000000000000000"}),
            "about",
        ),
        (json!({"title": "T", "assignee_id": "me"}), "assignee_id"),
    ] {
        let token = if name == "assignee_id" {
            &w.printer_key
        } else {
            anna
        };
        let (status, bad) = call(&w, Method::Post, "/v1/tasks", token, Some(body.clone()));
        assert_eq!((status, problem_field(&bad)), (422, name), "{body}: {bad}");
    }
    let (status, _) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        anna,
        Some(json!({"title": "T", "colour": "red"})),
    );
    assert_eq!(status, 422, "an unknown field");
    let (status, bad) = call(&w, Method::Get, "/v1/tasks?open=yes", anna, None);
    assert_eq!((status, problem_field(&bad)), (422, "open"));

    // ---- Sam sees it among his team's, takes it: nobody is mailed (he did it himself) ----
    let (_, mine) = call(&w, Method::Get, "/v1/tasks?team=mine&open=true", sam, None);
    assert_eq!(mine["data"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["counts"]["my_teams"], 1);
    assert_eq!(mine["counts"]["mine"], 0);
    let (status, taken) = call(
        &w,
        Method::Patch,
        &task_path,
        sam,
        Some(json!({"assignee_id": "me", "status": "in_progress"})),
    );
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["assignee"]["name"], "Sam Sales");
    assert_eq!(
        w.s.mails_of("task_assigned").len(),
        1,
        "no mail to who took it"
    );
    let (_, mine) = call(&w, Method::Get, "/v1/tasks?assignee=me", sam, None);
    assert_eq!(mine["counts"]["mine"], 1);

    // Handed on to Rita, who wants no task mails: she is not mailed, the event is written.
    let _ = w.s.rows(
        "INSERT INTO notification_settings (user_id, events, updated_at) VALUES (?1, '[\"task.due\"]', '2026-01-01T00:00:00.000Z')",
        &[Sql::Text(w.rita.id.to_string())],
    );
    let events = w.s.queued_of("task.assigned").len();
    let (status, _) = call(
        &w,
        Method::Patch,
        &task_path,
        sam,
        Some(json!({"assignee_id": w.rita.id.as_str()})),
    );
    assert_eq!(status, 200);
    let handed = w.s.queued_of("task.assigned");
    assert_eq!(handed.len(), events + 1);
    assert_eq!(handed[events]["data"]["assignee_name"], "Rita Returns");
    assert_eq!(
        handed[events]["data"]["team_name"], "Sales",
        "the team it still has"
    );
    assert_eq!(
        w.s.mails_of("task_assigned").len(),
        1,
        "Rita chose not to be mailed"
    );
    // Back to Sam, by Rita: he is mailed.
    let (status, _) = call(
        &w,
        Method::Patch,
        &task_path,
        &w.rita.token,
        Some(json!({"assignee_id": w.sam.id.as_str()})),
    );
    assert_eq!(status, 200);
    let sent = w.s.mails_of("task_assigned");
    assert_eq!(sent.len(), 2);
    assert!(sent[1].1.starts_with("New task for you"), "{}", sent[1].1);

    // ---- comments: people only ----
    let (status, commented) = call(
        &w,
        Method::Post,
        &format!("{task_path}/comments"),
        &w.rita.token,
        Some(json!({"text": "The customer called."})),
    );
    assert_eq!(status, 201, "{commented}");
    assert_eq!(commented["comments"][0]["user"]["name"], "Rita Returns");
    assert_eq!(commented["comment_count"], 1);
    let (status, _) = call(
        &w,
        Method::Post,
        &format!("{task_path}/comments"),
        &w.printer_key,
        Some(json!({"text": "bot"})),
    );
    assert_eq!(status, 403);

    // ---- due: told once, in the morning of the due date ----
    let cron = |as_of: &str| {
        w.s.post("/v1/dev/tasks/cron")
            .json(&json!({"company_id": w.printer, "as_of": as_of}))
            .run()
            .expect(200)
    };
    assert_eq!(cron("2099-01-09T06:00:00Z")["told"], 0, "not due yet");
    let told = cron("2099-01-10T06:00:00Z");
    assert_eq!(
        (told["told"].as_u64(), told["mails"].as_u64()),
        (Some(1), Some(1)),
        "{told}"
    );
    assert_eq!(cron("2099-01-11T06:00:00Z")["told"], 0, "once per due date");
    let due = w.s.mails_of("task_due");
    assert_eq!(due[0].0, w.sam.email);
    assert_eq!(w.s.queued_of("task.due").len(), 1);

    // ---- done ----
    let (status, done) = call(
        &w,
        Method::Patch,
        &task_path,
        sam,
        Some(json!({"status": "done"})),
    );
    assert_eq!(status, 200);
    assert!(done["closed_at"].is_string(), "{done}");
    let (_, open) = call(&w, Method::Get, "/v1/tasks?open=true", anna, None);
    assert_eq!(open["data"], json!([]), "{open}");
    let (_, reopened) = call(
        &w,
        Method::Patch,
        &task_path,
        sam,
        Some(json!({"status": "open"})),
    );
    assert!(reopened["closed_at"].is_null(), "{reopened}");

    // A deleted team's tasks stay.
    let (status, _) = call(
        &w,
        Method::Delete,
        &format!("/v1/teams/{sales_id}"),
        anna,
        None,
    );
    assert_eq!(status, 204);
    let (_, kept) = call(&w, Method::Get, &task_path, anna, None);
    assert!(kept["team"].is_null(), "{kept}");
    assert_eq!(kept["assignee"]["name"], "Sam Sales");
}

#[test]
fn a_task_about_a_message_belongs_to_its_thread() {
    let w = world();
    let thread = w
        .s
        .post("/v1/threads")
        .bearer(&w.berta.token)
        .json(&json!({"partner": "acme-print", "subject": "Paper for the spring catalogue", "text": "Which paper do you suggest?"}))
        .run();
    let thread = thread.expect(201);
    let thread_id = thread["id"].as_str().unwrap().to_owned();
    let about = thread["last_message"]["id"].as_str().unwrap().to_owned();
    let (status, task) = call(
        &w,
        Method::Post,
        "/v1/tasks",
        &w.sam.token,
        Some(json!({"title": "Suggest a paper", "about": about, "assignee_id": "me"})),
    );
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["about"]["thread_id"], thread_id.as_str());
    assert!(
        task["about"]["label"]
            .as_str()
            .unwrap()
            .starts_with("Paper for the spring"),
        "{task}"
    );
    let (_, by_thread) = call(
        &w,
        Method::Get,
        &format!("/v1/tasks?about={thread_id}"),
        &w.anna.token,
        None,
    );
    assert_eq!(
        by_thread["data"].as_array().unwrap().len(),
        1,
        "{by_thread}"
    );
    assert_eq!(
        w.s.mails_of("task_assigned").len(),
        0,
        "who gave it to themselves is not mailed"
    );
}
