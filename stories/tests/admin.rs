//! The administrator's overview natively: open invitations resent and revoked, an access
//! deleted with the person's data erased everywhere the partner and the company can read, and
//! the audit log of it all, for admins only (the end-to-end suite, tests/tests/admin.rs, tells
//! the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::service::Method;
use tradepost_stories::{connect, deliver_events, link_token, login, sign_up, stack, text};
use tradepost_testkit::Stack;

const BEA: &str = "Bea Beispiel-Żółć";
const BEA_EMAIL: &str = "bea.beispiel@acme-print.example";
const BEA_PHONE: &str = "+49 30 987654321";

/// Asserts that nothing of Bea is in `answer` (what `who` reads at `path`).
fn assert_erased(answer: &Value, who: &str, path: &str) {
    let text = answer.to_string();
    for personal in [BEA, BEA_EMAIL, BEA_PHONE, "987654321", "bea.beispiel"] {
        assert!(
            !text.contains(personal),
            "{who} still reads {personal:?} at {path}: {text}"
        );
    }
}

fn audit(s: &Stack, token: &str, query: &str) -> Value {
    s.call(Method::Get, &format!("/v1/audit-log{query}"))
        .bearer(token)
        .run()
        .expect(200)
}

fn actions(log: &Value) -> Vec<String> {
    log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| text(e, "action"))
        .collect()
}

#[test]
fn an_admin_resends_an_invitation_deletes_an_access_and_reads_it_all_in_the_audit_log() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let partner = sign_up(&s, "wydawnictwo");
    let _relationship = connect(&s, &acme, &partner);

    // Bea is invited; the first mail is lost, so the admin sends it again.
    let invited = acme
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": BEA_EMAIL, "name": BEA, "permissions": ["talk"]}))
        .run()
        .expect(201);
    let bea_id = text(&invited, "id");
    let first = link_token(&s, BEA_EMAIL);
    s.clock.advance(chrono::Duration::seconds(1));
    let resent = acme
        .call(
            &s,
            Method::Post,
            &format!("/v1/users/{bea_id}/resend-invitation"),
        )
        .run()
        .expect(200);
    assert_eq!(resent["status"], "invited");
    let second = link_token(&s, BEA_EMAIL);
    assert_ne!(first, second);
    let stale = s
        .post("/v1/auth/accept-invitation")
        .json(&json!({"token": first, "password": "bea's own passphrase"}))
        .run();
    assert_eq!(stale.status, 400, "the first link stopped working");
    s.post("/v1/auth/accept-invitation")
        .json(&json!({"token": second, "password": "bea's own passphrase"}))
        .run()
        .expect(201);
    // Once accepted there is nothing to resend.
    let again = acme
        .call(
            &s,
            Method::Post,
            &format!("/v1/users/{bea_id}/resend-invitation"),
        )
        .run();
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["code"], "not_invited");

    // Bea works: she gets documents.send, keeps a card, sends it to the partner and writes.
    acme.call(&s, Method::Patch, &format!("/v1/users/{bea_id}"))
        .json(&json!({"permissions": ["talk", "documents.send"]}))
        .run()
        .expect(200);
    let bea = login(&s, BEA_EMAIL, "bea's own passphrase").expect(200);
    let bea_token = text(&bea, "access_token");
    s.call(Method::Put, "/v1/cards/me")
        .bearer(&bea_token)
        .json(&json!({"name": BEA, "email": BEA_EMAIL, "phone": BEA_PHONE}))
        .run()
        .expect(200);
    s.call(Method::Post, "/v1/cards/me/send")
        .bearer(&bea_token)
        .json(&json!({"company_id": partner.id}))
        .run()
        .expect(200);
    let thread = s
        .call(Method::Post, "/v1/threads")
        .bearer(&bea_token)
        .json(&json!({"partner": "wydawnictwo", "subject": "Paper", "text": "Which paper do you want?"}))
        .run()
        .expect(201);
    let thread_id = text(&thread, "id");
    deliver_events(&s);
    let contacts = partner
        .call(&s, Method::Get, "/v1/contacts")
        .run()
        .expect(200);
    assert!(
        contacts.to_string().contains(BEA_PHONE),
        "the card arrived: {contacts}"
    );

    // A key is made and revoked.
    let key = acme
        .call(&s, Method::Post, "/v1/api-keys")
        .json(&json!({"name": "ERP", "permissions": ["documents.send"]}))
        .run()
        .expect(201);
    let key_id = text(&key, "id");
    for _ in 0..2 {
        acme.call(&s, Method::Delete, &format!("/v1/api-keys/{key_id}"))
            .run()
            .expect(204);
    }

    // The admin deletes Bea's access: she can no longer log in, and her data is gone.
    acme.call(&s, Method::Delete, &format!("/v1/users/{bea_id}"))
        .run()
        .expect(204);
    assert_eq!(login(&s, BEA_EMAIL, "bea's own passphrase").status, 401);
    s.get("/v1/me").bearer(&bea_token).run().expect(401);
    deliver_events(&s);
    let reads: [(&str, &tradepost_stories::Company, String); 8] = [
        ("the partner", &partner, "/v1/contacts".to_owned()),
        ("the partner", &partner, "/v1/threads".to_owned()),
        ("the partner", &partner, format!("/v1/threads/{thread_id}")),
        (
            "the partner",
            &partner,
            format!("/v1/threads/{thread_id}/messages"),
        ),
        ("the company", &acme, "/v1/users".to_owned()),
        (
            "the company",
            &acme,
            format!("/v1/threads/{thread_id}/messages"),
        ),
        ("the company", &acme, "/v1/audit-log".to_owned()),
        ("the company", &acme, "/v1/threads".to_owned()),
    ];
    for (who, company, path) in &reads {
        let answer = company.call(&s, Method::Get, path).run().expect(200);
        assert_erased(&answer, who, path);
    }
    let messages = acme
        .call(
            &s,
            Method::Get,
            &format!("/v1/threads/{thread_id}/messages"),
        )
        .run()
        .expect(200);
    assert!(
        messages.to_string().contains("Former user"),
        "the history names a former user: {messages}"
    );
    acme.call(&s, Method::Get, &format!("/v1/users/{bea_id}"))
        .run()
        .expect(404);
    // The address is free again.
    acme.call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": BEA_EMAIL, "name": "Bea again"}))
        .run()
        .expect(201);

    // The audit log, newest first, says who did what to whom.
    // (The test clock stands still, so entries of one instant come in any order.)
    let log = audit(&s, &acme.token, "");
    let mut all = actions(&log);
    all.sort();
    assert_eq!(
        all,
        [
            "api_key.created",
            "api_key.revoked",
            "user.deleted",
            "user.invitation_resent",
            "user.invited",
            "user.invited",
            "user.updated",
        ],
        "{log}"
    );
    let entries = log["data"].as_array().unwrap();
    let times: Vec<String> = entries.iter().map(|e| text(e, "created_at")).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    let entry = |action: &str| entries.iter().find(|e| e["action"] == action).unwrap();
    let updated = entry("user.updated");
    assert_eq!(
        updated["details"]["granted"],
        json!(["documents.send"]),
        "{updated}"
    );
    assert_eq!(updated["target"]["name"], "Former user");
    assert_eq!(updated["actor"]["type"], "user");
    assert_eq!(entry("api_key.created")["target"]["name"], "ERP");
    // Filters: one action, one target, a time window.
    assert_eq!(
        actions(&audit(&s, &acme.token, "?action=api_key.created")),
        ["api_key.created"]
    );
    assert_eq!(
        audit(&s, &acme.token, &format!("?target={bea_id}"))["data"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(
        audit(&s, &acme.token, "?since=2999-01-01T00:00:00Z")["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for (query, field) in [
        ("?action=user.hacked", "action"),
        ("?since=yesterday", "since"),
    ] {
        let bad = acme
            .call(&s, Method::Get, &format!("/v1/audit-log{query}"))
            .run();
        assert_eq!(bad.status, 422, "{query}");
        assert_eq!(bad.json()["field"], field);
    }

    // Only admins read it, and only their own company's.
    assert!(audit(&s, &partner.token, "")["data"]
        .as_array()
        .unwrap()
        .is_empty());
    let member = acme
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": "max@acme-print.example", "name": "Max", "permissions": ["users.manage"]}))
        .run()
        .expect(201);
    let token = link_token(&s, "max@acme-print.example");
    s.post("/v1/auth/accept-invitation")
        .json(&json!({"token": token, "password": "max's own passphrase"}))
        .run()
        .expect(201);
    let max = login(&s, "max@acme-print.example", "max's own passphrase").expect(200);
    let refused = s
        .call(Method::Get, "/v1/audit-log")
        .bearer(&text(&max, "access_token"))
        .run();
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "admin_required");
    let _ = member;
}

#[test]
fn a_company_greets_the_people_it_invites_with_its_own_opening_checked_when_saved() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let path = "/v1/company/mail-openings/colleague_invitation/de";
    let opening = "Guten Tag {email},\n\nschön, dass Sie bei {company} mitmachen!";
    let saved = acme
        .call(&s, Method::Put, path)
        .json(&json!({ "text": opening }))
        .run()
        .expect(200);
    assert_eq!(saved["text"], opening);
    // Checked when saved: each refusal names the field.
    for (target, text, field) in [
        (path, "Hallo {name},", "text"),
        (path, "Mehr unter https://example.com", "text"),
        (
            "/v1/company/mail-openings/password_reset/de",
            "Hallo,",
            "template",
        ),
        (
            "/v1/company/mail-openings/colleague_invitation/fr",
            "Salut,",
            "language",
        ),
    ] {
        let refused = acme
            .call(&s, Method::Put, target)
            .json(&json!({ "text": text }))
            .run();
        assert_eq!(refused.status, 422, "{target} {text}");
        assert_eq!(refused.json()["field"], field, "{:?}", refused.json());
    }

    // Invitations in German get it; the rest of the mail, its link included, is Tradepost's.
    s.clock.advance(chrono::Duration::seconds(1));
    for (email, language) in [
        ("bea@acme-print.example", "de"),
        ("cem@acme-print.example", "en"),
    ] {
        acme.call(&s, Method::Post, "/v1/users")
            .json(&json!({"email": email, "name": "Bea", "language": language}))
            .run()
            .expect(201);
    }
    s.post("/v1/dev/mail/send").run().expect(200);
    let mailbox =
        |to: &str| s.get(&format!("/v1/dev/mail?to={to}")).run().expect(200)["data"][0].clone();
    let german = mailbox("bea@acme-print.example");
    assert_eq!(german["status"], "sent", "{german}");
    let body = text(&german, "text");
    assert!(
        body.starts_with(
            "Guten Tag bea@acme-print.example,\n\nschön, dass Sie bei acme-print GmbH mitmachen!\n\n"
        ),
        "{body}"
    );
    assert!(body.contains("/accept-invitation?token="), "{body}");
    assert!(body.contains("14 Tage"), "{body}");
    let english = text(&mailbox("cem@acme-print.example"), "text");
    assert!(english.starts_with("Hello,\n\n"), "{english}");

    // A key that is no admin may not change it; the admin lists and removes it.
    let key = acme.api_key(&s, &["users.manage"]);
    let refused = s
        .call(Method::Put, path)
        .bearer(&key)
        .json(&json!({ "text": "Hi," }))
        .run();
    assert_eq!(refused.status, 403);
    let list = acme
        .call(&s, Method::Get, "/v1/company/mail-openings")
        .run()
        .expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(list["templates"]
        .as_array()
        .unwrap()
        .contains(&json!("approval_requested")));
    acme.call(&s, Method::Delete, path).run().expect(204);
    let list = acme
        .call(&s, Method::Get, "/v1/company/mail-openings")
        .run()
        .expect(200);
    assert!(list["data"].as_array().unwrap().is_empty());
    let other = sign_up(&s, "other-co");
    let theirs = other
        .call(&s, Method::Get, "/v1/company/mail-openings")
        .run()
        .expect(200);
    assert!(
        theirs["data"].as_array().unwrap().is_empty(),
        "another company's openings stay its own"
    );
}

#[test]
fn an_order_file_naming_a_party_of_neither_company_carries_a_warning() {
    let s = stack();
    let pair = tradepost_stories::pair(&s);
    let upload = |name: &str| {
        let doc = tradepost_stories::order(&s, &pair.erp, "acme-print", name)
            .run()
            .expect(201);
        pair.supplier
            .call(
                &s,
                Method::Get,
                &format!("/v1/documents/{}", text(&doc, "id")),
            )
            .run()
            .expect(200)
    };
    let identify = |company: &tradepost_stories::Company, scheme: &str, id: &str| {
        company
            .call(&s, Method::Patch, "/v1/company")
            .json(&json!({"identifiers": [{"scheme": scheme, "id": id}]}))
            .run()
            .expect(200);
    };
    // Nobody declared identifiers: nothing to match, no warnings.
    let first = upload("PO-1.xml");
    assert!(first["summary"].get("warnings").is_none(), "{first}");

    // The customer is the file's buyer (its GLN); the seller's id is nobody's of the two.
    identify(&pair.customer, "0088", "4012345000009");
    let second = upload("PO-2.xml");
    assert_eq!(
        second["summary"]["warnings"],
        json!([{"code": "party_unknown", "party": "seller", "id": "4098765000002"}]),
        "{second}"
    );
    assert_eq!(
        second["summary"]["order_number"],
        first["summary"]["order_number"]
    );

    // Once the supplier declares it (here as its D-U-N-S number), the file fits.
    identify(&pair.supplier, "0060", "4098765000002");
    let third = upload("PO-3.xml");
    assert_eq!(third["summary"]["warnings"], json!([]), "{third}");
}
