//! Mail delivery natively: the accounts, notify and mailer workers' route tables over SQLite
//! with the real migrations and a captured mail service. A mail leaves once, with text and
//! HTML; a refused one is retried on the backoff schedule and then given up; a mail a stopped
//! run left claimed is never sent again; an info mail unsubscribes in one click; housekeeping
//! removes what has expired of one company only (the end-to-end suite, tests/tests/mail.rs,
//! runs the sender against wrangler's simulated Email Service).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::data::mails::{self, NewMail};
use shared::lang::Language;
use shared::permissions::{Permission, Role};
use shared::platform::{Clock, Value as Sql};
use shared::time::Time;
use tradepost_testkit::{block_on, Stack};

fn stack() -> Stack {
    Stack::new(&[
        &tradepost_accounts::SERVICE,
        &tradepost_notify::SERVICE,
        &tradepost_mailer::SERVICE,
    ])
}

fn signup(s: &Stack, handle: &str) -> String {
    let email = format!("admin@{handle}.example");
    s.post("/v1/auth/signup")
        .json(
            &json!({"company_name": format!("{handle} GmbH"), "handle": handle,
            "name": "Ada", "email": email, "password": "a long passphrase", "language": "de"}),
        )
        .run()
        .expect(201);
    email
}

fn send(s: &Stack) -> Value {
    s.post("/v1/dev/mail/send").run().expect(200)
}

/// The dev mailbox's newest mail to `to`.
fn stored(s: &Stack, to: &str) -> Value {
    s.get(&format!("/v1/dev/mail?to={to}")).run().expect(200)["data"][0].clone()
}

fn now(s: &Stack) -> Time {
    Time(s.clock.now())
}

/// Writes an info mail of `template` to `to`, as notify does.
fn info_mail(s: &Stack, to: &str, template: &str, partner: &str) {
    let statement = mails::insert_stmt(
        &NewMail {
            to,
            language: Language::En,
            template,
            subject: &format!("New document from {partner}: PO-1.xml"),
            text: "Hello,\n\nOpen it here:\n\nhttp://tradepost.test/documents/doc_1",
            from_name: Some(partner),
            company: None,
            now: now(s),
        },
        false,
    )
    .unwrap();
    block_on(s.platform().db.run_of(statement)).unwrap();
}

#[test]
fn a_confirmation_mail_leaves_once_with_text_and_html() {
    let s = stack();
    let email = signup(&s, "acme-print");
    assert_eq!(stored(&s, &email)["status"], "queued");

    assert_eq!(send(&s), json!({"sent": 1, "retried": 0, "failed": 0}));
    let handed = s.mail.to(&email);
    assert_eq!(handed.len(), 1);
    let mail = &handed[0];
    assert_eq!(mail.from, "noreply@tradepost.test");
    assert_eq!(mail.from_name, "Tradepost", "not about a partner");
    assert!(
        mail.subject.contains("E-Mail"),
        "in German: {}",
        mail.subject
    );
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/confirm?token="))
        .expect("the confirmation link");
    assert!(
        mail.html.contains(&format!("<a href=\"{link}\">")),
        "{}",
        mail.html
    );
    assert!(
        mail.headers.is_empty(),
        "no unsubscribe from a confirmation"
    );

    let row = stored(&s, &email);
    assert_eq!(row["status"], "sent", "{row}");
    assert_eq!(row["attempts"], 1);
    assert_eq!(row["message_id"], "<test-1@tradepost.test>");
    assert!(row["sent_at"].is_string());

    // Later runs send it no second time.
    assert_eq!(send(&s), json!({"sent": 0, "retried": 0, "failed": 0}));
    assert_eq!(s.mail.to(&email).len(), 1);
}

#[test]
fn a_refused_mail_is_retried_on_the_backoff_schedule_and_then_given_up() {
    let s = stack();
    let email = signup(&s, "backoff-print");
    *s.mail.refusing.borrow_mut() = Some("421 try again later".to_owned());

    let mut waits = Vec::new();
    for attempt in 1..=4 {
        assert_eq!(send(&s)["retried"], 1, "attempt {attempt}");
        let row = stored(&s, &email);
        assert_eq!(row["status"], "queued", "{row}");
        assert_eq!(row["attempts"], attempt);
        assert_eq!(row["error"], "421 try again later");
        let next = shared::time::parse("t", row["next_attempt_at"].as_str().unwrap()).unwrap();
        // Stored to the second: the wait, rounded.
        let wait = ((next - s.clock.now()).num_milliseconds() + 500).div_euclid(1000);
        waits.push(wait);
        // Not due yet: nothing is tried.
        assert_eq!(send(&s), json!({"sent": 0, "retried": 0, "failed": 0}));
        s.clock.advance(chrono::Duration::seconds(wait + 1));
    }
    assert_eq!(waits, tradepost_mailer::send::BACKOFF_SECS);

    // The fifth refusal is the last.
    assert_eq!(send(&s)["failed"], 1);
    let row = stored(&s, &email);
    assert_eq!(row["status"], "failed", "{row}");
    assert_eq!(row["attempts"], 5);
    assert!(
        row["error"]
            .as_str()
            .unwrap()
            .starts_with("refused 5 times, last: 421"),
        "{row}"
    );
    *s.mail.refusing.borrow_mut() = None;
    s.clock.advance(chrono::Duration::days(1));
    assert_eq!(send(&s)["sent"], 0, "a failed mail stays failed");
    assert!(s.mail.sent.borrow().is_empty());
}

#[test]
fn a_mail_a_stopped_run_left_claimed_is_never_sent_again() {
    let s = stack();
    let email = signup(&s, "crash-print");
    // A run claims the mail and stops before it records anything.
    let lease = Time(s.clock.now() + chrono::Duration::seconds(120));
    let claimed = block_on(s.platform().db.batch_rows(vec![mails::claim_stmt(
        now(&s),
        lease,
        &[],
        25,
    )]))
    .unwrap();
    assert_eq!(claimed[0].rows.len(), 1);
    // While the claim holds, no other run takes it.
    assert_eq!(send(&s), json!({"sent": 0, "retried": 0, "failed": 0}));
    s.clock.advance(chrono::Duration::seconds(121));
    send(&s);
    let row = stored(&s, &email);
    assert_eq!(row["status"], "failed", "{row}");
    assert!(
        row["error"].as_str().unwrap().contains("not sent twice"),
        "{row}"
    );
    assert!(
        s.mail.sent.borrow().is_empty(),
        "it may have left: not again"
    );
}

#[test]
fn a_mail_not_sent_within_three_days_is_given_up() {
    let s = stack();
    let email = signup(&s, "late-print");
    s.clock.advance(chrono::Duration::hours(73));
    assert_eq!(send(&s)["failed"], 1);
    let row = stored(&s, &email);
    assert_eq!(row["status"], "failed");
    assert_eq!(row["error"], "not sent within 72 hours of being written");
    assert!(s.mail.sent.borrow().is_empty());
}

#[test]
fn an_info_mail_names_its_partner_and_unsubscribes_in_one_click() {
    let s = stack();
    let company = s.seed_company("buchhandlung");
    let clerk = s.seed_person(
        &company,
        "Clara",
        Role::Member,
        &[Permission::DocumentsReceive],
    );
    info_mail(
        &s,
        &clerk.email,
        "document_received",
        "Druckerei \"Muster\" <GmbH>",
    );
    assert_eq!(send(&s)["sent"], 1);
    let mail = s.mail.to(&clerk.email).remove(0);
    assert_eq!(mail.from_name, "Druckerei Muster GmbH via Tradepost");
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let link = header("List-Unsubscribe");
    let link = link.trim_start_matches('<').trim_end_matches('>');
    assert!(
        link.starts_with("http://tradepost.test/v1/mail/unsubscribe?token="),
        "{link}"
    );
    assert!(
        mail.text
            .ends_with(&format!("Stop mails of this kind with one click: {link}")),
        "{}",
        mail.text
    );
    let target = link.trim_start_matches("http://tradepost.test");

    // Following the link shows a button and changes nothing.
    let page = s.get(target).run();
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("<form method=\"post\""), "{html}");
    assert!(
        html.contains("Druckerei &quot;Muster&quot; &lt;GmbH&gt;"),
        "escaped: {html}"
    );
    let settings = || {
        s.get("/v1/me/notifications")
            .bearer(&clerk.token)
            .run()
            .expect(200)
    };
    assert_eq!(settings()["default"], true);

    // The one click switches that kind off, and only that kind; again is the same.
    for _ in 0..2 {
        let done = s
            .post(target)
            .bytes(
                "application/x-www-form-urlencoded",
                b"List-Unsubscribe=One-Click".to_vec(),
            )
            .run();
        assert_eq!(done.status, 200);
        let now = settings();
        assert_eq!(now["default"], false);
        let events = now["events"].as_array().unwrap();
        assert!(!events.contains(&json!("document.deposited")), "{now}");
        assert!(events.contains(&json!("talk.message")), "{now}");
        assert_eq!(events.len(), shared::notice::MAIL_EVENT_TYPES.len() - 1);
    }

    // An unknown or missing token is a 404 page; a confirmation mail has no token at all.
    for bad in ["/v1/mail/unsubscribe?token=nope", "/v1/mail/unsubscribe"] {
        assert_eq!(s.post(bad).run().status, 404);
        assert_eq!(s.get(bad).run().status, 404);
    }
}

#[test]
fn housekeeping_removes_what_has_expired_of_one_company_only() {
    let s = stack();
    let mine = s.seed_company("kehrwoche");
    let theirs = s.seed_company("nachbar");
    let me = s.seed_person(&mine, "Mia", Role::Admin, &[]);
    let neighbour = s.seed_person(&theirs, "Nils", Role::Admin, &[]);
    for person in [&me, &neighbour] {
        info_mail(&s, &person.email, "document_received", "Partner");
    }
    send(&s);
    let count = |table: &str| s.count(&format!("SELECT COUNT(*) FROM {table}"), &[]);
    assert_eq!(count("sessions"), 2);
    assert_eq!(count("mails"), 2);

    // Nothing has expired yet.
    let now = s.clock.now();
    let run = |as_of: chrono::DateTime<chrono::Utc>, company: &str| {
        s.post("/v1/dev/housekeeping")
            .json(&json!({"company_id": company, "as_of": as_of.to_rfc3339()}))
            .run()
            .expect(200)
    };
    let out = run(now, mine.as_str());
    assert!(
        out["removed"].as_object().unwrap().values().all(|n| n == 0),
        "{out}"
    );

    // 31 days on, my session (30 days) and my sent mail (kept 30 days) are gone; not theirs.
    let out = run(now + chrono::Duration::days(31), mine.as_str());
    assert_eq!(out["removed"]["sessions"], 1, "{out}");
    assert_eq!(out["removed"]["mails"], 1, "{out}");
    assert_eq!(count("sessions"), 1);
    assert_eq!(
        s.texts("SELECT to_email FROM mails", &[]),
        vec![neighbour.email.clone()]
    );
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM sessions WHERE user_id = ?1",
            &[Sql::Text(neighbour.id.to_string())]
        ),
        1
    );

    // The company is required, and named when missing or malformed.
    for body in [json!({}), json!({"company_id": "nope"})] {
        let answer = s.post("/v1/dev/housekeeping").json(&body).run();
        assert_eq!(answer.status, 422, "{body}");
        assert_eq!(answer.json()["field"], "company_id");
    }
}
