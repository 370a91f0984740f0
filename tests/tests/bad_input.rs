//! Bad input on every registry endpoint that reads a body or a query: missing fields, wrong
//! types, unknown enum values, oversized and empty strings, malformed JSON, the wrong content
//! type and an over-long body are each a 4xx problem naming the field, never a 500. Unknown
//! routes are 404 and wrong methods 405, as problems too.

use serde_json::{json, Value};
use tradepost_e2e::*;

/// A name far beyond any sensible limit.
fn huge() -> Value {
    json!(long('x', 10_000))
}

/// `base` with the dotted `path` set to `value`.
fn with(base: &Value, path: &str, value: Value) -> Value {
    let mut body = base.clone();
    let mut at = &mut body;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        if !at[*part].is_object() {
            at[*part] = json!({});
        }
        at = &mut at[*part];
    }
    at[parts[parts.len() - 1]] = value;
    body
}

/// `base` without the top-level `field`.
fn without(base: &Value, field: &str) -> Value {
    let mut body = base.clone();
    if let Some(fields) = body.as_object_mut() {
        fields.remove(field);
    }
    body
}

/// An endpoint with a body, a valid example of it, and bodies it must refuse with the field.
struct Endpoint {
    method: Method,
    path: String,
    api: Api,
    valid: Value,
    /// Fields that must be present.
    required: &'static [&'static str],
    /// Text fields: a number, a 10 000-character string and an empty string are refused.
    text: &'static [&'static str],
    /// Further bad bodies and the field the problem must name (`a|b`: either).
    bad: Vec<(Value, &'static str)>,
}

fn expect_field(reply: &Reply, field: &str) {
    reply.expect_invalid_field(field);
}

impl Endpoint {
    /// Sends every bad body; returns a line for each answer that is not the expected problem.
    fn mismatches(&self) -> Vec<String> {
        let mut bodies: Vec<(Value, &str)> = Vec::new();
        for field in self.required {
            bodies.push((without(&self.valid, field), field));
        }
        for field in self.text {
            bodies.push((with(&self.valid, field, json!(42)), field));
            bodies.push((with(&self.valid, field, huge()), field));
            bodies.push((with(&self.valid, field, json!("")), field));
        }
        bodies.extend(self.bad.iter().map(|(b, f)| (b.clone(), *f)));
        let mut wrong = Vec::new();
        for (body, field) in &bodies {
            let reply = self.api.send(self.method.clone(), &self.path, Some(body));
            if let Some(mismatch) = reply.problem_mismatch(422, Some("invalid_field"), Some(field))
            {
                wrong.push(format!("{mismatch}\n    sent {}", shorten(body)));
            }
        }
        wrong.extend(self.raw_body_mismatches());
        wrong
    }

    /// Bodies that are not the JSON object the endpoint reads.
    fn raw_body_mismatches(&self) -> Vec<String> {
        let valid = self.valid.to_string();
        let send = |content_type: &str, body: String| {
            self.api.run(
                self.method.clone(),
                &self.path,
                self.api
                    .raw(self.method.clone(), &self.path)
                    .header("content-type", content_type)
                    .body(body),
            )
        };
        let mut cases = vec![
            // A truncated upload: the valid body without its closing brace.
            (
                "application/json",
                valid[..valid.len() - 1].to_owned(),
                400,
                Some("malformed_json"),
            ),
            (
                "application/json",
                "{'single': 'quotes'}".to_owned(),
                400,
                Some("malformed_json"),
            ),
            (
                "text/plain",
                valid.clone(),
                415,
                Some("unsupported_media_type"),
            ),
            (
                "application/x-www-form-urlencoded",
                "name=x".to_owned(),
                415,
                Some("unsupported_media_type"),
            ),
            (
                "application/json",
                with(&self.valid, "padding", json!(long('p', 70 * 1024))).to_string(),
                413,
                None,
            ),
        ];
        if !self.path.ends_with("/reject") {
            // (reject's body is optional, so an empty one may be read as no reason)
            cases.push((
                "application/json",
                String::new(),
                400,
                Some("malformed_json"),
            ));
        }
        cases
            .into_iter()
            .filter_map(|(content_type, body, status, code)| {
                let sent = shorten(&json!(body));
                send(content_type, body)
                    .problem_mismatch(status, code, None)
                    .map(|m| format!("{m}\n    sent {content_type} {sent}"))
            })
            .collect()
    }
}

/// A body for a failure message, without 10 000 repeated characters.
fn shorten(body: &Value) -> String {
    let text = body.to_string();
    if text.len() > 200 {
        let head: String = text.chars().take(200).collect();
        format!("{head}… ({} bytes)", text.len())
    } else {
        text
    }
}

/// Checks every endpoint and fails once, listing every wrong answer.
fn check_all(endpoints: &[Endpoint]) {
    let wrong: Vec<String> = endpoints.iter().flat_map(Endpoint::mismatches).collect();
    assert!(
        wrong.is_empty(),
        "{} bad inputs were not refused as the contract says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn auth_endpoints_refuse_bad_bodies_naming_the_field() {
    let anonymous = Api::new();
    let taken = Company::signup_confirmed("badauth");
    let signup = signup_body("badinput");
    let endpoints = [
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/signup".into(),
            api: anonymous.clone(),
            required: &["company_name", "handle", "name", "email", "password"],
            text: &["company_name", "handle", "name", "email"],
            bad: vec![
                (with(&signup, "company_name", json!("A")), "company_name"),
                (
                    with(&signup, "company_name", json!(long('a', 121))),
                    "company_name",
                ),
                (with(&signup, "handle", json!("ab")), "handle"),
                (with(&signup, "handle", json!(long('a', 33))), "handle"),
                (with(&signup, "handle", json!("9lives")), "handle"),
                (with(&signup, "handle", json!("-dash")), "handle"),
                (with(&signup, "handle", json!("with space")), "handle"),
                (with(&signup, "handle", json!("ümlaut")), "handle"),
                (with(&signup, "email", json!("not-an-address")), "email"),
                (with(&signup, "password", json!("short")), "password"),
                (with(&signup, "password", json!(12_345_678)), "password"),
                (
                    with(&signup, "password", signup["email"].clone()),
                    "password",
                ),
                (with(&signup, "language", json!("fr")), "language"),
                (with(&signup, "language", json!(1)), "language"),
            ],
            valid: signup.clone(),
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/confirm".into(),
            api: anonymous.clone(),
            valid: json!({"token": "lt_unknown"}),
            required: &["token"],
            text: &[],
            bad: vec![
                (json!({"token": 42}), "token"),
                (json!({"token": null}), "token"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/login".into(),
            api: anonymous.clone(),
            // An address nobody has, so nothing here counts against a real account.
            valid: json!({"email": unique_email("ghost"), "password": PASSWORD}),
            required: &["email", "password"],
            text: &[],
            bad: vec![
                (json!({"email": 42, "password": PASSWORD}), "email"),
                (
                    json!({"email": unique_email("ghost"), "password": true}),
                    "password",
                ),
                (
                    json!({"email": format!("{}@example.com", long('e', 10_000)), "password": PASSWORD}),
                    "email",
                ),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/refresh".into(),
            api: anonymous.clone(),
            valid: json!({"refresh_token": "rt_unknown"}),
            required: &["refresh_token"],
            text: &[],
            bad: vec![(json!({"refresh_token": 42}), "refresh_token")],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/logout".into(),
            api: anonymous.clone(),
            valid: json!({"refresh_token": "rt_unknown"}),
            required: &["refresh_token"],
            text: &[],
            bad: vec![(json!({"refresh_token": [1]}), "refresh_token")],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/password-reset".into(),
            api: anonymous.clone(),
            valid: json!({"email": taken.admin.email}),
            required: &["email"],
            text: &[],
            bad: vec![
                (json!({"email": 42}), "email"),
                (json!({"email": {"a": 1}}), "email"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/password-reset/confirm".into(),
            api: anonymous.clone(),
            valid: json!({"token": "lt_unknown", "password": "Long-Enough-Pass-1"}),
            required: &["token", "password"],
            text: &[],
            bad: vec![
                (
                    json!({"token": 42, "password": "Long-Enough-Pass-1"}),
                    "token",
                ),
                (json!({"token": "lt_unknown", "password": 42}), "password"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/auth/accept-invitation".into(),
            api: anonymous.clone(),
            valid: json!({"token": "lt_unknown", "password": "Long-Enough-Pass-1"}),
            required: &["token", "password"],
            text: &[],
            bad: vec![
                (
                    json!({"token": false, "password": "Long-Enough-Pass-1"}),
                    "token",
                ),
                (
                    json!({"token": "lt_unknown", "password": ["x"]}),
                    "password",
                ),
            ],
        },
    ];
    check_all(&endpoints);
    // None of it reached an account.
    login(&taken.admin.email, PASSWORD);
}

#[test]
fn account_endpoints_refuse_bad_bodies_naming_the_field() {
    let company = Company::signup_confirmed("badaccount");
    let colleague = invite_colleague(&company, &["talk"]);
    let new_user =
        json!({"email": unique_email("new"), "name": "New Person", "permissions": ["talk"]});
    let endpoints = [
        Endpoint {
            method: Method::PATCH,
            path: "/v1/me".into(),
            api: company.admin.api.clone(),
            valid: json!({"name": "Ok Name", "language": "en"}),
            required: &[],
            text: &["name"],
            bad: vec![
                (json!({"language": "fr"}), "language"),
                (json!({"language": 7}), "language"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/users".into(),
            api: company.api().clone(),
            required: &["email", "name"],
            text: &["email", "name"],
            bad: vec![
                (with(&new_user, "email", json!("nope")), "email"),
                (with(&new_user, "role", json!("owner")), "role"),
                (with(&new_user, "permissions", json!("talk")), "permissions"),
                (
                    with(&new_user, "permissions", json!(["fly"])),
                    "permissions",
                ),
                (with(&new_user, "permissions", json!([42])), "permissions"),
                (with(&new_user, "language", json!("klingon")), "language"),
            ],
            valid: new_user.clone(),
        },
        Endpoint {
            method: Method::PATCH,
            path: format!("/v1/users/{}", colleague.id),
            api: company.api().clone(),
            valid: json!({"name": "Still Fine"}),
            required: &[],
            text: &["name"],
            bad: vec![
                (json!({"status": "deleted"}), "status"),
                (json!({"status": "invited"}), "status"),
                (json!({"role": "owner"}), "role"),
                (json!({"permissions": ["root"]}), "permissions"),
                (json!({"permissions": {"talk": true}}), "permissions"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/api-keys".into(),
            api: company.api().clone(),
            valid: json!({"name": "ERP", "permissions": ["talk"]}),
            required: &["name", "permissions"],
            text: &["name"],
            bad: vec![
                (
                    json!({"name": "ERP", "permissions": ["root"]}),
                    "permissions",
                ),
                (json!({"name": "ERP", "permissions": "talk"}), "permissions"),
            ],
        },
    ];
    check_all(&endpoints);
    // Nothing was created or changed by the refused bodies.
    let users = company.api().get("/v1/users", 200);
    assert_eq!(ids(&users).len(), 2, "admin and colleague only: {users}");
    let colleague_now = company
        .api()
        .get(&format!("/v1/users/{}", colleague.id), 200);
    assert_eq!(colleague_now["name"], colleague.login["user"]["name"]);
    assert_eq!(colleague_now["permissions"], json!(["talk"]));
    assert!(ids(&company.api().get("/v1/api-keys", 200)).is_empty());
    assert_eq!(company.api().get("/v1/me", 200)["user"]["language"], "en");
}

#[test]
fn relationship_and_card_endpoints_refuse_bad_bodies_naming_the_field() {
    let supplier = Company::signup_confirmed("badrel");
    let customer = Company::signup_confirmed("badrelcust");
    let asker = Company::signup_confirmed("badrelasker");
    let rel = connect(&customer, &supplier);
    let open = request(&asker, &supplier);
    let ask =
        json!({"company_id": Company::signup_confirmed("badtarget").id, "my_role": "customer"});
    let invitation = json!({"email": unique_email("invitee"), "company_name": "Invitee AG"});
    let endpoints = [
        Endpoint {
            method: Method::POST,
            path: "/v1/relationships".into(),
            api: customer.api().clone(),
            required: &["my_role"],
            text: &[],
            bad: vec![
                (without(&ask, "company_id"), "company_id|handle"),
                (with(&ask, "my_role", json!("partner")), "my_role"),
                (with(&ask, "my_role", json!(1)), "my_role"),
                (with(&ask, "company_id", json!(42)), "company_id"),
                (
                    with(&ask, "services.cards", json!("enabled")),
                    "services.cards",
                ),
                (
                    with(&ask, "services.cards", json!("maybe")),
                    "services.cards",
                ),
                (
                    with(&ask, "services.teleport", json!("requested")),
                    "services.teleport|services",
                ),
                (with(&ask, "services", json!(["cards"])), "services"),
                (with(&ask, "message", json!(42)), "message"),
            ],
            valid: ask.clone(),
        },
        Endpoint {
            method: Method::PATCH,
            path: format!("/v1/relationships/{rel}"),
            api: supplier.api().clone(),
            valid: json!({"settings": {"customer_number": "K-1"}}),
            required: &[],
            text: &["settings.customer_number"],
            bad: vec![
                (
                    json!({"settings": {"discount_percent": 150}}),
                    "settings.discount_percent",
                ),
                (
                    json!({"settings": {"discount_percent": -1}}),
                    "settings.discount_percent",
                ),
                (
                    json!({"settings": {"discount_percent": "7.5"}}),
                    "settings.discount_percent",
                ),
                (
                    json!({"settings": {"internal_remark": 42}}),
                    "settings.internal_remark",
                ),
                (json!({"settings": "cheap"}), "settings"),
                (
                    json!({"services": {"documents": "on"}}),
                    "services.documents",
                ),
                (json!({"services": {"documents": 1}}), "services.documents"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/relationships/{open}/reject"),
            api: supplier.api().clone(),
            valid: json!({"reason": "no"}),
            required: &[],
            text: &[],
            bad: vec![(json!({"reason": 42}), "reason")],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/relationships/invitations".into(),
            api: supplier.api().clone(),
            required: &["email"],
            text: &["email", "company_name", "name"],
            bad: vec![
                (with(&invitation, "email", json!("nope")), "email"),
                (
                    with(&invitation, "settings.discount_percent", json!(101)),
                    "settings.discount_percent",
                ),
                (with(&invitation, "settings", json!(5)), "settings"),
            ],
            valid: invitation.clone(),
        },
        Endpoint {
            method: Method::PUT,
            path: "/v1/cards/me".into(),
            api: supplier.admin.api.clone(),
            valid: json!({"name": "Ewa Kowalczyk", "title": "Sales"}),
            required: &["name"],
            text: &["name", "title", "company", "email", "phone", "city"],
            bad: vec![
                (json!({"name": "Ewa", "fax": "+48"}), "fax"),
                (json!({"name": "Ewa", "country": ["PL"]}), "country"),
            ],
        },
        Endpoint {
            method: Method::POST,
            path: "/v1/cards/me/send".into(),
            api: customer.admin.api.clone(),
            valid: json!({"company_id": supplier.id}),
            required: &["company_id"],
            text: &[],
            bad: vec![(json!({"company_id": 42}), "company_id")],
        },
    ];
    check_all(&endpoints);
    // The refused bodies changed nothing.
    let seen = supplier.api().get(&format!("/v1/relationships/{rel}"), 200);
    assert!(seen["settings"]["customer_number"].is_null(), "{seen}");
    assert!(seen["settings"]["discount_percent"].is_null(), "{seen}");
    assert_eq!(seen["services"]["documents"], "enabled");
    assert_eq!(
        supplier
            .api()
            .get(&format!("/v1/relationships/{open}"), 200)["status"],
        "requested"
    );
    assert_eq!(
        customer.api().get("/v1/relationships", 200)["counts"]["requested"],
        0
    );
    assert!(ids(&supplier.api().get("/v1/contacts", 200)).is_empty());
    assert_ne!(
        supplier.admin.api.get("/v1/cards/me", 200)["name"],
        "Ewa Kowalczyk"
    );
}

#[test]
fn a_mistake_in_the_invitation_form_does_not_use_up_the_link() {
    let supplier = Company::signup_confirmed("formcheck");
    let email = unique_email("careful");
    supplier.api().post(
        "/v1/relationships/invitations",
        json!({ "email": email }),
        201,
    );
    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    let complete = json!({
        "token": token, "password": PASSWORD, "name": "Careful Buyer",
        "company_name": "Careful Buyer Ltd", "handle": format!("careful-{}", unique(8)),
    });
    let api = Api::new();
    for (bad, field) in [
        (without(&complete, "company_name"), "company_name"),
        (without(&complete, "handle"), "handle"),
        (without(&complete, "name"), "name"),
        (with(&complete, "handle", json!("1-bad")), "handle"),
        (with(&complete, "password", json!("short")), "password"),
        (with(&complete, "language", json!("fr")), "language"),
    ] {
        expect_field(
            &api.send(Method::POST, "/v1/auth/accept-invitation", Some(&bad)),
            field,
        );
    }
    let accepted = api.post("/v1/auth/accept-invitation", complete, 201);
    assert_eq!(accepted["company"]["name"], "Careful Buyer Ltd");
}

#[test]
fn list_queries_are_checked() {
    let company = Company::signup_confirmed("queries");
    let api = company.api();
    let q = format!("/v1/companies?q={}", long('q', 101));
    let cases = [
        ("/v1/relationships?limit=0", "limit"),
        ("/v1/relationships?limit=201", "limit"),
        ("/v1/relationships?limit=ten", "limit"),
        ("/v1/relationships?status=friends", "status"),
        ("/v1/users?status=gone", "status"),
        ("/v1/users?limit=-1", "limit"),
        ("/v1/api-keys?limit=1000", "limit"),
        ("/v1/contacts?limit=0", "limit"),
        ("/v1/companies?limit=201", "limit"),
        (q.as_str(), "q"),
        // Reading: a cursor that no page gave out is bad input like any other query value.
        ("/v1/relationships?cursor=not-a-cursor", "cursor"),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(path, field)| {
            api.send(Method::GET, path, None).problem_mismatch(
                422,
                Some("invalid_field"),
                Some(field),
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "bad queries accepted:\n{}",
        wrong.join("\n")
    );
    // The bounds themselves are fine.
    api.get("/v1/relationships?limit=1", 200);
    api.get("/v1/relationships?limit=200", 200);
}

#[test]
fn json_with_a_charset_is_still_json() {
    let company = Company::signup_confirmed("charset");
    let api = company.api();
    let reply = api.run(
        Method::PATCH,
        "/v1/me",
        api.raw(Method::PATCH, "/v1/me")
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"language":"pl"}"#),
    );
    reply.expect(200);
    assert_eq!(api.get("/v1/me", 200)["user"]["language"], "pl");
}

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let company = Company::signup_confirmed("routes");
    let api = company.api();
    for path in [
        "/v1/nothing-here",
        "/v1/users/us_00000000000000000000000000",
        "/v1/users/not-an-id",
        "/v1/relationships/rel_00000000000000000000000000",
        "/v1/relationships/garbage/approve",
        "/v1/contacts/con_00000000000000000000000000",
        "/v1/contacts/con_00000000000000000000000000/vcard",
        "/v1/companies/co_00000000000000000000000000",
    ] {
        let method = if path.ends_with("/approve") {
            Method::POST
        } else {
            Method::GET
        };
        api.refused(method, path, None, 404, "not_found");
    }
    api.refused(
        Method::DELETE,
        "/v1/api-keys/key_00000000000000000000000000",
        None,
        404,
        "not_found",
    );
    for (method, path) in [
        (Method::DELETE, "/v1/auth/login"),
        (Method::GET, "/v1/auth/signup"),
        (Method::PUT, "/v1/relationships"),
        (Method::DELETE, "/v1/me"),
        (Method::POST, "/v1/auth/jwks.json"),
    ] {
        api.send(method, path, None).expect_any_problem(405);
    }
}
