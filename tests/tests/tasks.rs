//! Tasks end to end: a printer's admin makes a Sales team, gives it a task about the order the
//! bookshop sent; the team's clerk is mailed (and its webhook told), takes the task, comments,
//! and is told again when it is due (the cron, run through its dev endpoint). The bookshop, an
//! unrelated company, a member without `users.manage` and a revoked key are refused with
//! nothing changed, and no answer to the bookshop holds a word of the task (the native twin is
//! workers/tasks/tests/tasks.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, connect, events, invite_colleague, mails, unique, wait_for_event, wait_for_mail, Api,
    Company, Method,
};

const ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");

#[test]
fn a_team_gets_a_task_about_an_order_and_the_partner_never_sees_it() {
    let printer = Company::signup_confirmed("Printer");
    let bookshop = Company::signup_confirmed("Bookshop");
    let stranger = Company::signup_confirmed("Stranger");
    connect(&bookshop, &printer);
    let clerk = invite_colleague(&printer, &["documents.receive"]);
    let admin = printer.api();

    // ---- the team ----
    let team = admin.post("/v1/teams", json!({"name": "Sales"}), 201);
    let team_id = team["id"].as_str().unwrap().to_owned();
    admin
        .send(Method::POST, "/v1/teams", Some(&json!({"name": "Sales"})))
        .expect_problem(409, "name_taken");
    clerk.api.refused(
        Method::POST,
        "/v1/teams",
        Some(json!({"name": "Clerks"})),
        403,
        "permission_missing",
    );
    let joined = admin.put(
        &format!("/v1/teams/{team_id}/members/{}", clerk.id),
        json!({}),
        200,
    );
    assert_eq!(joined["members"][0]["id"], json!(clerk.id), "{joined}");
    admin
        .send(
            Method::PUT,
            &format!("/v1/teams/{team_id}/members/{}", bookshop.admin.id),
            None,
        )
        .expect_problem(404, "not_found");

    // ---- the order arrives; a task about it for Sales ----
    let order = bookshop.api().upload(
        &printer.id,
        "order",
        "order-77.xml",
        ORDER.to_vec(),
        &[],
        201,
    );
    let doc = order["id"].as_str().unwrap().to_owned();
    let secret = format!("prepayment {}", unique(6));
    let task = admin.post(
        "/v1/tasks",
        json!({
            "title": "Confirm the delivery date",
            "description": format!("Internal: ask for {secret}."),
            "team_id": team_id,
            "about": doc,
            "due_on": "2099-02-01",
        }),
        201,
    );
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["about"]["label"], "order-77.xml", "{task}");
    assert_eq!(task["team"]["name"], "Sales", "{task}");
    let mail = wait_for_mail(&clerk.email, "task_assigned");
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Confirm the delivery date") && text.contains(&format!("/tasks/{id}")),
        "{mail}"
    );
    assert!(
        mails(&printer.admin.email)
            .iter()
            .all(|m| m["template"] != "task_assigned"),
        "who gave the task is not mailed"
    );
    wait_for_event(&printer.id, "task.assigned", |e| {
        e["data"]["task_id"] == json!(id)
    });

    // ---- nobody else finds or moves it ----
    let path = format!("/v1/tasks/{id}");
    let revoked = api_key(&printer, &["documents.receive"]);
    admin.delete(&format!("/v1/api-keys/{}", revoked.id), 204);
    for (who, api, status) in [
        ("the bookshop", bookshop.api(), 404),
        ("a stranger", stranger.api(), 404),
        ("a revoked key", &revoked.api, 401),
    ] {
        let got = api.send(Method::GET, &path, None);
        assert_eq!(got.status, status, "{who}: {}", got.text);
        let moved = api.send(Method::PATCH, &path, Some(&json!({"status": "done"})));
        assert_eq!(moved.status, status, "{who}: {}", moved.text);
        let commented = api.send(
            Method::POST,
            &format!("{path}/comments"),
            Some(&json!({"text": "hi"})),
        );
        assert_eq!(commented.status, status, "{who}: {}", commented.text);
    }
    let bookshop_answers: Vec<Value> = [
        "/v1/tasks".to_owned(),
        format!("/v1/tasks?about={doc}"),
        "/v1/teams".to_owned(),
        format!("/v1/documents/{doc}"),
        "/v1/documents?box=outbox".to_owned(),
    ]
    .iter()
    .map(|p| bookshop.api().get(p, 200))
    .collect();
    for answer in &bookshop_answers {
        let text = answer.to_string();
        assert!(
            !text.contains(&secret) && !text.contains("Confirm the delivery"),
            "{text}"
        );
        assert!(!text.contains(&id) && !text.contains(&team_id), "{text}");
    }
    stranger
        .api()
        .send(
            Method::POST,
            "/v1/tasks",
            Some(&json!({"title": "Peek", "about": doc})),
        )
        .expect_invalid_field("about");
    let seen = admin.get(&path, 200);
    assert_eq!(
        (seen["status"].as_str(), seen["comment_count"].as_u64()),
        (Some("open"), Some(0))
    );

    // ---- the clerk takes it and comments ----
    let mine = clerk.api.get("/v1/tasks?team=mine&open=true", 200);
    assert_eq!(mine["counts"]["my_teams"], 1, "{mine}");
    let taken = clerk.api.patch(
        &path,
        json!({"assignee_id": "me", "status": "in_progress"}),
        200,
    );
    assert_eq!(taken["assignee"]["id"], json!(clerk.id), "{taken}");
    let commented = clerk.api.post(
        &format!("{path}/comments"),
        json!({"text": "Called the bookshop."}),
        201,
    );
    assert_eq!(commented["comments"][0]["text"], "Called the bookshop.");
    clerk
        .api
        .send(Method::PATCH, &path, Some(&json!({"due_on": "1.2.2099"})))
        .expect_invalid_field("due_on");

    // ---- due: told once ----
    let cron = |as_of: &str| {
        Api::new().post(
            "/v1/dev/tasks/cron",
            json!({"company_id": printer.id, "as_of": as_of}),
            200,
        )
    };
    assert_eq!(cron("2099-02-01T06:00:00Z")["told"], 1);
    assert_eq!(cron("2099-02-02T06:00:00Z")["told"], 0);
    let due = wait_for_mail(&clerk.email, "task_due");
    assert!(
        due["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("Confirm the delivery date"),
        "{due}"
    );
    wait_for_event(&printer.id, "task.due", |e| {
        e["data"]["task_id"] == json!(id)
    });
    let done = clerk.api.patch(&path, json!({"status": "done"}), 200);
    assert!(done["closed_at"].is_string(), "{done}");

    // Nothing of it reached the bookshop's side: no event for it, no mail to its people.
    let theirs = events(&bookshop.id);
    assert!(
        theirs.iter().all(
            |e| !e["type"].as_str().unwrap_or_default().starts_with("task.")
                && !e.to_string().contains(&id)
        ),
        "{theirs:?}"
    );
    let their_mails = mails(&bookshop.admin.email);
    assert!(
        their_mails
            .iter()
            .all(|m| !m.to_string().contains("Confirm the delivery")),
        "{their_mails:?}"
    );
}
