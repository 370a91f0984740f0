//! One person at several companies natively: one address and one password, an access per
//! company with its own role and permissions, and the switch between them (the end-to-end
//! suite, tests/tests/admin.rs, tells it against workerd and the portal test in Chromium).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::service::Method;
use tradepost_stories::{link_token, login, sign_up, stack, text};
use tradepost_testkit::Stack;

fn me(s: &Stack, token: &str) -> Value {
    s.call(Method::Get, "/v1/me")
        .bearer(token)
        .run()
        .expect(200)
}

fn switch(s: &Stack, token: &str, company: &str) -> tradepost_testkit::Answer {
    s.call(Method::Post, "/v1/auth/switch")
        .bearer(token)
        .json(&json!({ "company_id": company }))
        .run()
}

fn companies(s: &Stack, token: &str) -> Vec<(String, bool)> {
    let list = s
        .call(Method::Get, "/v1/me/companies")
        .bearer(token)
        .run()
        .expect(200);
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (text(&a["company"], "handle"), a["current"] == true))
        .collect()
}

#[test]
fn one_person_works_for_two_companies_with_one_login_and_switches_between_them() {
    let s = stack();
    let acme = sign_up(&s, "acme-print");
    let other = sign_up(&s, "wydawnictwo");
    let stranger = sign_up(&s, "stranger");
    let ada = acme.admin_email.clone();

    // Wydawnictwo invites Acme's admin as a member who may only talk.
    s.clock.advance(chrono::Duration::seconds(1));
    let invited = other
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": ada, "name": "Ada", "permissions": ["talk"]}))
        .run()
        .expect(201);
    let again = other
        .call(&s, Method::Post, "/v1/users")
        .json(&json!({"email": ada, "name": "Ada"}))
        .run();
    assert_eq!(again.status, 409, "one access per address and company");
    assert_eq!(again.json()["code"], "email_taken");
    let token = link_token(&s, &ada);
    s.post("/v1/auth/accept-invitation")
        .json(&json!({"token": token, "password": "one passphrase for both"}))
        .run()
        .expect(201);

    // One password for both: the old one is gone, the new one opens the access used last.
    login(&s, &ada, "a long passphrase").expect(401);
    let session = login(&s, &ada, "one passphrase for both").expect(200);
    let at_acme = text(&session, "access_token");
    assert_eq!(session["company"]["handle"], "acme-print");
    assert_eq!(
        companies(&s, &at_acme),
        [
            ("acme-print".to_owned(), true),
            ("wydawnictwo".to_owned(), false)
        ]
    );

    // The switch: Wydawnictwo's role and permissions, and the Acme session ends.
    let switched = switch(&s, &at_acme, &other.id).expect(200);
    let at_other = text(&switched, "access_token");
    let there = me(&s, &at_other);
    assert_eq!(there["company"]["id"], other.id.as_str());
    assert_eq!(there["user"]["id"], text(&invited, "id"));
    assert_eq!(there["user"]["role"], "member");
    assert_eq!(there["permissions"], json!(["talk"]));
    s.call(Method::Get, "/v1/users")
        .bearer(&at_other)
        .run()
        .expect(403);
    s.call(Method::Get, "/v1/me")
        .bearer(&at_acme)
        .run()
        .expect(401);
    // The next login lands where the person was last.
    let again = login(&s, &ada, "one passphrase for both").expect(200);
    assert_eq!(again["company"]["handle"], "wydawnictwo");

    // No access at the stranger: 404, and the session stays.
    let refused = switch(&s, &at_other, &stranger.id);
    assert_eq!(refused.status, 404, "{:?}", refused.json());
    me(&s, &at_other);

    // A further company of her own, under the same login.
    let added = s
        .call(Method::Post, "/v1/me/companies")
        .bearer(&at_other)
        .json(&json!({"company_name": "Ada Consulting", "handle": "ada-consulting"}))
        .run()
        .expect(201);
    assert_eq!(added["role"], "admin");
    let taken = s
        .call(Method::Post, "/v1/me/companies")
        .bearer(&at_other)
        .json(&json!({"company_name": "Copy", "handle": "stranger"}))
        .run();
    assert_eq!(taken.status, 409);
    let bad = s
        .call(Method::Post, "/v1/me/companies")
        .bearer(&at_other)
        .json(&json!({"company_name": "", "handle": "x"}))
        .run();
    assert_eq!(bad.status, 422);
    assert!(bad.json().to_string().contains("company_name"));
    let own = switch(&s, &at_other, text(&added["company"], "id").as_str()).expect(200);
    let at_own = text(&own, "access_token");
    assert_eq!(me(&s, &at_own)["user"]["role"], "admin");
    assert_eq!(companies(&s, &at_own).len(), 3);

    // Signing up anew with the address is refused: the login exists.
    let signup = s
        .post("/v1/auth/signup")
        .json(
            &json!({"company_name": "Dup GmbH", "handle": "dup-gmbh", "name": "Ada",
                      "email": ada, "password": "another long passphrase"}),
        )
        .run();
    assert_eq!(signup.status, 409);
    assert_eq!(signup.json()["code"], "email_taken");

    // An API key has no companies to switch between.
    let key = acme.api_key(&s, &["talk"]);
    let by_key = s.call(Method::Get, "/v1/me/companies").bearer(&key).run();
    assert_eq!(by_key.status, 403, "{:?}", by_key.json());

    // Wydawnictwo disables her access: switching there is refused, the others stay.
    let at_own = text(&switch(&s, &at_own, &acme.id).expect(200), "access_token");
    other
        .call(
            &s,
            Method::Patch,
            &format!("/v1/users/{}", text(&invited, "id")),
        )
        .json(&json!({"status": "disabled"}))
        .run()
        .expect(200);
    assert_eq!(switch(&s, &at_own, &other.id).status, 403);
    assert_eq!(companies(&s, &at_own).len(), 2);

    // A reset sets the one password everywhere and ends every login.
    s.clock.advance(chrono::Duration::seconds(1));
    s.post("/v1/auth/password-reset")
        .json(&json!({ "email": ada }))
        .run()
        .expect(202);
    let reset = link_token(&s, &ada);
    s.post("/v1/auth/password-reset/confirm")
        .json(&json!({"token": reset, "password": "a brand new passphrase"}))
        .run()
        .expect(200);
    s.call(Method::Get, "/v1/me")
        .bearer(&at_own)
        .run()
        .expect(401);
    let after = login(&s, &ada, "a brand new passphrase").expect(200);
    let token = text(&after, "access_token");
    let consulting = switch(&s, &token, text(&added["company"], "id").as_str()).expect(200);
    assert_eq!(consulting["company"]["handle"], "ada-consulting");
}
