//! Mail that leaves: the mailer hands every mail to Email Service (wrangler's simulation of the
//! `send_email` binding in workerd, which checks the sender and answers a message id), once;
//! an info mail carries a one-click unsubscribe that switches that notification off; and the
//! housekeeping removes what has expired, of one company only.

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use tradepost_e2e::*;

/// Runs the sender now (crons do not fire locally); what it did.
fn send_now() -> Value {
    Api::new().post("/v1/dev/mail/send", json!({}), 200)
}

/// The mail of `template` to `to` once the sender handed it over (other tests' runs may be
/// the ones that send it).
fn wait_until_sent(to: &str, template: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        send_now();
        let mail = wait_for_mail(to, template);
        if mail["status"] == "sent" {
            return mail;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the {template} mail to {to} was not sent: {mail}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_confirmation_mail_leaves_through_email_service_once() {
    let body = signup_body("postbote");
    let email = body["email"].as_str().unwrap().to_owned();
    Api::new().post("/v1/auth/signup", body, 201);
    let mail = wait_until_sent(&email, "confirm_email");
    assert_eq!(mail["attempts"], 1, "{mail}");
    assert!(mail["error"].is_null(), "{mail}");
    assert_timestamp(&mail["sent_at"]);
    // The simulated service names the message after the sender's domain.
    let id = mail["message_id"].as_str().unwrap_or_default();
    assert!(
        id.starts_with('<') && id.ends_with("@tradepost.example.com>"),
        "{mail}"
    );
    // A later run does not send it again.
    send_now();
    let again = wait_for_mail(&email, "confirm_email");
    assert_eq!(again["message_id"], mail["message_id"]);
    assert_eq!(again["attempts"], 1);
}

#[test]
fn an_info_mail_unsubscribes_in_one_click() {
    let customer = Company::signup_confirmed("abmelde-kunde");
    let supplier = Company::signup_confirmed("abmelde-lieferant");
    connect(&customer, &supplier);
    customer.api().upload(
        &supplier.id,
        "order",
        "PO-abmelden.xml",
        b"<Order/>".to_vec(),
        &[("Content-Type", "application/xml")],
        201,
    );
    let to = &supplier.admin.email;
    let mail = wait_until_sent(to, "document_received");
    assert_eq!(
        mail["from_name"],
        json!(customer.name),
        "the partner it is about: {mail}"
    );
    let url = mail["unsubscribe_url"]
        .as_str()
        .expect("an unsubscribe link");
    let path = &url[url.find("/v1/").expect("a path")..];
    let settings = || supplier.api().get("/v1/me/notifications", 200);
    assert_eq!(settings()["default"], true);

    // A person following the link sees the button; nothing changed yet.
    let anonymous = Api::new();
    let page = anonymous.run(Method::GET, path, anonymous.raw(Method::GET, path));
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert_eq!(settings()["default"], true);

    // The mail client's one-click POST (RFC 8058) switches document mails off, and only those.
    let done = anonymous.run(
        Method::POST,
        path,
        anonymous
            .raw(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click"),
    );
    assert_eq!(done.status, 200, "{}", done.text);
    let now = settings();
    let events = now["events"].as_array().unwrap();
    assert!(!events.contains(&json!("document.deposited")), "{now}");
    assert!(events.contains(&json!("talk.message")), "{now}");

    // A made-up token is a 404 page.
    let unknown = "/v1/mail/unsubscribe?token=0000";
    let refused = anonymous.run(Method::POST, unknown, anonymous.raw(Method::POST, unknown));
    assert_eq!(refused.status, 404);
}

#[test]
fn housekeeping_removes_one_companys_expired_logins_and_leaves_the_others() {
    let swept = Company::signup_confirmed("kehraus");
    let kept = Company::signup_confirmed("nebenan");
    // Far enough ahead that every session, refresh token and link of the company has expired.
    let out = Api::new().post(
        "/v1/dev/housekeeping",
        json!({"company_id": swept.id, "as_of": "2099-01-01T00:00:00Z"}),
        200,
    );
    let removed = &out["removed"];
    for table in ["sessions", "refresh_tokens", "link_tokens"] {
        assert!(removed[table].as_u64().unwrap_or(0) >= 1, "{table}: {out}");
    }
    let refresh = |person: &Person| {
        Api::new().send(
            Method::POST,
            "/v1/auth/refresh",
            Some(&json!({"refresh_token": person.refresh_token})),
        )
    };
    refresh(&swept.admin).expect_any_problem(401);
    refresh(&kept.admin).expect(200);
    // The company is required.
    Api::new()
        .send(
            Method::POST,
            "/v1/dev/housekeeping",
            Some(&json!({"as_of": "2099-01-01T00:00:00Z"})),
        )
        .expect_invalid_field("company_id");
}

#[test]
fn a_partners_own_opening_greets_in_the_info_mail_its_upload_causes() {
    let customer = Company::signup_confirmed("anrede-kunde");
    let supplier = Company::signup_confirmed("anrede-lieferant");
    connect(&customer, &supplier);
    for language in ["en", "de", "pl"] {
        customer.api().put(
            &format!("/v1/company/mail-openings/document_received/{language}"),
            json!({"text": "Dear {email},\n\nthe buyers of {company} send you this."}),
            200,
        );
    }
    customer
        .api()
        .send(
            Method::PUT,
            "/v1/company/mail-openings/document_received/en",
            Some(&json!({"text": "Hello {recipient}"})),
        )
        .expect_invalid_field("text");
    customer.api().upload(
        &supplier.id,
        "order",
        "PO-anrede.xml",
        b"<Order/>".to_vec(),
        &[("Content-Type", "application/xml")],
        201,
    );
    let to = &supplier.admin.email;
    let mail = wait_until_sent(to, "document_received");
    let text = mail["text"].as_str().unwrap_or_default();
    let opening = format!(
        "Dear {to},\n\nthe buyers of {} send you this.\n\n",
        customer.name
    );
    assert!(text.starts_with(&opening), "{mail}");
    assert!(text.contains("PO-anrede.xml"), "the facts stay: {mail}");
    assert!(text.contains("/documents/"), "the link stays: {mail}");
}
