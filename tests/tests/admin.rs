//! The administrator's overview against workerd: an open invitation resent, an access deleted
//! with the person's data erased from everything the partner and the company read, and the
//! audit log, for admins only (the stories tell the same natively, in more detail).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use tradepost_e2e::*;

fn actions(log: &Value) -> Vec<String> {
    log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(&e["action"]))
        .collect()
}

#[test]
fn a_deleted_colleague_leaves_no_personal_data_and_the_audit_log_says_who_did_it() {
    let company = Company::signup_confirmed("loeschfirma");
    let partner = Company::signup_confirmed("loeschpartner");
    connect(&partner, &company);
    let colleague = invite_colleague(&company, &["talk"]);
    let name = colleague.login["user"]["name"].as_str().unwrap().to_owned();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let phone = format!("+49 30 {}", nanos % 10_000_000_000);
    colleague.api.put(
        "/v1/cards/me",
        json!({"name": name, "email": colleague.email, "phone": phone}),
        200,
    );
    colleague
        .api
        .post("/v1/cards/me/send", json!({"company_id": partner.id}), 200);
    let thread = colleague.api.post(
        "/v1/threads",
        json!({"partner": partner.id, "subject": "Paper", "text": "Matt or gloss?"}),
        201,
    );
    let thread_id = text(&thread["id"]);
    assert!(partner
        .api()
        .get("/v1/contacts", 200)
        .to_string()
        .contains(&phone));

    // Deleting the access ends the login and erases the person.
    company
        .api()
        .delete(&format!("/v1/users/{}", colleague.id), 204);
    colleague
        .api
        .send(Method::GET, "/v1/me", None)
        .expect_any_problem(401);
    let reads = [
        (partner.api(), "/v1/contacts".to_owned()),
        (partner.api(), "/v1/threads".to_owned()),
        (partner.api(), format!("/v1/threads/{thread_id}/messages")),
        (company.api(), "/v1/users".to_owned()),
        (company.api(), format!("/v1/threads/{thread_id}/messages")),
        (company.api(), "/v1/audit-log".to_owned()),
    ];
    for (api, path) in &reads {
        let answer = api.get(path, 200).to_string();
        for personal in [name.as_str(), colleague.email.as_str(), phone.as_str()] {
            assert!(
                !answer.contains(personal),
                "{path} still holds {personal}: {answer}"
            );
        }
    }
    let messages = company
        .api()
        .get(&format!("/v1/threads/{thread_id}/messages"), 200);
    assert!(messages.to_string().contains("Former user"), "{messages}");

    // The log: newest first, with who acted and on whom.
    let log = company.api().get("/v1/audit-log", 200);
    assert_eq!(actions(&log), ["user.deleted", "user.invited"], "{log}");
    assert_eq!(log["data"][0]["actor"]["id"], json!(company.admin.id));
    assert_eq!(log["data"][0]["target"]["name"], "Former user");
    let only = company.api().get("/v1/audit-log?action=user.invited", 200);
    assert_eq!(actions(&only), ["user.invited"]);
    company
        .api()
        .send(Method::GET, "/v1/audit-log?action=nope", None)
        .expect_invalid_field("action");
    // The partner's admin sees none of it; a member with users.manage may not read it.
    assert!(actions(&partner.api().get("/v1/audit-log", 200)).is_empty());
    let manager = invite_colleague(&company, &["users.manage"]);
    manager
        .api
        .send(Method::GET, "/v1/audit-log", None)
        .expect_problem(403, "admin_required");
}

#[test]
fn an_open_invitation_is_sent_again_and_only_the_new_link_works() {
    let company = Company::signup_confirmed("nochmal");
    let email = unique_email("nochmal");
    let invited = company.api().post(
        "/v1/users",
        json!({"email": email, "name": "Nora Nochmal"}),
        201,
    );
    let id = text(&invited["id"]);
    let first = wait_for_link(&email, "/accept-invitation?token=", 1);
    company
        .api()
        .post_empty(&format!("/v1/users/{id}/resend-invitation"), 200);
    let second = wait_for_link(&email, "/accept-invitation?token=", 2);
    assert_ne!(first, second);
    Api::new()
        .send(
            Method::POST,
            "/v1/auth/accept-invitation",
            Some(&json!({"token": first, "password": PASSWORD})),
        )
        .expect_problem(400, "link_invalid");
    Api::new().post(
        "/v1/auth/accept-invitation",
        json!({"token": second, "password": PASSWORD}),
        201,
    );
    company
        .api()
        .send(
            Method::POST,
            &format!("/v1/users/{id}/resend-invitation"),
            None,
        )
        .expect_problem(409, "not_invited");
    // Another company cannot resend it.
    let other = Company::signup_confirmed("fremd");
    other
        .api()
        .send(
            Method::POST,
            &format!("/v1/users/{id}/resend-invitation"),
            None,
        )
        .expect_problem(404, "not_found");
}

#[test]
fn one_person_at_two_companies_logs_in_once_and_switches_with_each_companys_permissions() {
    let home = Company::signup_confirmed("heimatfirma");
    let client = Company::signup_confirmed("zweitfirma");
    let stranger = Company::signup_confirmed("fremdfirma");
    let email = home.admin.email.clone();
    client.api().post(
        "/v1/users",
        json!({"email": email, "name": "Freelancer", "permissions": ["talk"]}),
        201,
    );
    client
        .api()
        .send(
            Method::POST,
            "/v1/users",
            Some(&json!({"email": email, "name": "Twice"})),
        )
        .expect_problem(409, "email_taken");
    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    Api::new().post(
        "/v1/auth/accept-invitation",
        json!({"token": token, "password": PASSWORD}),
        201,
    );

    let person = login(&email, PASSWORD);
    assert_eq!(person.company_id, home.id, "the access used last");
    let list = person.api.get("/v1/me/companies", 200);
    let handles: Vec<(String, bool)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (text(&a["company"]["id"]), a["current"] == true))
        .collect();
    assert_eq!(handles.len(), 2, "{list}");
    assert!(handles.contains(&(home.id.clone(), true)), "{list}");
    assert!(handles.contains(&(client.id.clone(), false)), "{list}");

    person
        .api
        .send(
            Method::POST,
            "/v1/auth/switch",
            Some(&json!({"company_id": stranger.id})),
        )
        .expect_problem(404, "not_found");
    let switched = person
        .api
        .post("/v1/auth/switch", json!({"company_id": client.id}), 200);
    let there = person
        .api
        .with_bearer(&text(&switched["access_token"]))
        .get("/v1/me", 200);
    assert_eq!(there["company"]["id"], client.id.as_str());
    assert_eq!(there["permissions"], json!(["talk"]), "{there}");
    person
        .api
        .with_bearer(&text(&switched["access_token"]))
        .send(Method::GET, "/v1/users", None)
        .expect_any_problem(403);
    person
        .api
        .send(Method::GET, "/v1/me", None)
        .expect_any_problem(401);
}
