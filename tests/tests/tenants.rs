//! Other tenants and bad credentials: for every registry endpoint that names a user, key,
//! relationship or contact, an unrelated company, a blocked partner, a colleague or key without
//! the permission, and broken credentials each try it, are refused with the contract's status
//! and code, and the resource reads the same afterwards.

use base64::Engine as _;
use serde_json::{json, Value};
use tradepost_e2e::*;

/// One request to try.
#[derive(Clone, Debug)]
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn call(method: Method, path: impl Into<String>, body: Option<Value>) -> Call {
    Call {
        method,
        path: path.into(),
        body,
    }
}

/// The companies, people and keys every matrix uses.
struct World {
    /// The owner of the resources under attack; the supplier in its relationships.
    owner: Company,
    /// The owner's customer, connected and active; it sent the owner a card.
    partner: Company,
    /// A customer the owner asked, that approved, and that the owner then blocked.
    blocked: Company,
    /// A company with no relationship to anyone.
    stranger: Company,
    /// The owner's colleague with only `talk`.
    talker: Person,
    /// The owner's API key with only `talk`.
    talk_key: Key,
    /// The owner's API key with every permission, revoked.
    revoked_key: Key,
    /// A second colleague of the owner: the user under attack.
    target_user: String,
    /// An API key of the owner: the key under attack.
    target_key: String,
    /// The active owner–partner relationship.
    rel: String,
    /// The blocked owner–blocked relationship.
    blocked_rel: String,
    /// The contact the owner received from the partner.
    contact: String,
}

const ALL: &[&str] = &[
    "documents.send",
    "documents.receive",
    "approvals.decide",
    "talk",
    "relationships.manage",
    "users.manage",
    "webhooks.manage",
    "complaints",
    "catalog",
];

impl World {
    fn new() -> Self {
        let owner = Company::signup_confirmed("owner");
        let partner = Company::signup_confirmed("partner");
        let blocked = Company::signup_confirmed("blockee");
        let stranger = Company::signup_confirmed("stranger");
        let rel = connect(&partner, &owner);
        owner.api().patch(
            &format!("/v1/relationships/{rel}"),
            json!({"settings": {"customer_number": "K-1", "discount_percent": 5, "internal_remark": "secret"}}),
            200,
        );
        // The owner asks the blocked company (so that company is the addressee who could
        // decide a request), it approves, and the owner blocks.
        let asked = owner.api().post(
            "/v1/relationships",
            json!({"company_id": blocked.id, "my_role": "supplier", "services": {"cards": "requested"}}),
            201,
        );
        let blocked_rel = text(&asked["id"]);
        blocked
            .api()
            .post_empty(&format!("/v1/relationships/{blocked_rel}/approve"), 200);
        owner
            .api()
            .post_empty(&format!("/v1/relationships/{blocked_rel}/block"), 200);
        partner
            .admin
            .api
            .put("/v1/cards/me", json!({"name": "Karol Partner"}), 200);
        let sent =
            partner
                .admin
                .api
                .post("/v1/cards/me/send", json!({"company_id": owner.id}), 200);
        let talker = invite_colleague(&owner, &["talk"]);
        let target_user = invite_colleague(&owner, &["talk", "documents.send"]).id;
        let talk_key = api_key(&owner, &["talk"]);
        let target_key = api_key(&owner, &["documents.send"]).id;
        let revoked_key = api_key(&owner, ALL);
        owner
            .api()
            .delete(&format!("/v1/api-keys/{}", revoked_key.id), 204);
        Self {
            contact: text(&sent["contact_id"]),
            owner,
            partner,
            blocked,
            stranger,
            talker,
            talk_key,
            revoked_key,
            target_user,
            target_key,
            rel,
            blocked_rel,
        }
    }

    /// Broken credentials, each with the refusal the contract gives it.
    fn bad_credentials(&self) -> Vec<(String, Api, &'static str)> {
        let api = Api::new();
        let real = &self.owner.admin.access_token;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims = jwt_part(real, 1);
        let unsigned = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        );
        let stranger_as_owner = tampered(&self.stranger.admin.access_token, |c| {
            c["cid"] = json!(self.owner.id);
            c["sub"] = json!(self.owner.admin.id);
        });
        let expired = tampered(real, |c| {
            let iat = c["iat"].as_i64().unwrap_or_default();
            c["iat"] = json!(iat - 3600);
            c["nbf"] = json!(iat - 3600);
            c["exp"] = json!(iat - 2700);
        });
        vec![
            ("no credentials".to_owned(), api.clone(), "unauthenticated"),
            (
                "garbage token".to_owned(),
                api.with_bearer("garbage"),
                "token_invalid",
            ),
            (
                "JWT-shaped garbage".to_owned(),
                api.with_bearer("eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln"),
                "token_invalid",
            ),
            (
                "flipped payload character".to_owned(),
                api.with_bearer(&flipped(real)),
                "token_invalid",
            ),
            (
                "stranger's token edited to claim the owner".to_owned(),
                api.with_bearer(&stranger_as_owner),
                "token_invalid",
            ),
            (
                "unsigned alg none".to_owned(),
                api.with_bearer(&unsigned),
                "token_invalid",
            ),
            (
                "edited to look expired".to_owned(),
                api.with_bearer(&expired),
                "token_invalid",
            ),
            (
                "revoked API key".to_owned(),
                self.revoked_key.api.clone(),
                "api_key_invalid",
            ),
            (
                "unknown API key".to_owned(),
                api.with_bearer("tp_000000000000000000000000000000"),
                "api_key_invalid",
            ),
        ]
    }
}

/// Tries every call as every actor, expecting the refusal in the table, and checks after each
/// attempt that `snapshot` (the resource as its owner sees it) did not change.
fn refuse_all(cases: &[(&str, &Api, Call, u16, &str)], snapshot: &dyn Fn() -> Value) {
    let before = snapshot();
    for (actor, api, call, status, code) in cases {
        let reply = api.send(call.method.clone(), &call.path, call.body.as_ref());
        assert!(
            reply.status == *status,
            "{actor}: {} {} should be refused with {status} {code}, got {}\n{}",
            call.method,
            call.path,
            reply.status,
            reply.text
        );
        reply.expect_problem(*status, code);
        assert_eq!(
            snapshot(),
            before,
            "{actor}: the refused {} {} changed the resource",
            call.method,
            call.path
        );
    }
}

#[test]
fn another_company_cannot_read_or_change_a_user() {
    let w = World::new();
    let user = format!("/v1/users/{}", w.target_user);
    let calls = [
        call(Method::GET, &user, None),
        call(
            Method::PATCH,
            &user,
            Some(json!({"status": "disabled", "permissions": ALL})),
        ),
        call(Method::PATCH, &user, Some(json!({"role": "admin"}))),
        call(Method::DELETE, &user, None),
    ];
    let mut cases = Vec::new();
    for c in &calls {
        cases.push((
            "unrelated company",
            w.stranger.api(),
            c.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "blocked partner",
            w.blocked.api(),
            c.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "active partner",
            w.partner.api(),
            c.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "colleague without users.manage",
            &w.talker.api,
            c.clone(),
            403,
            "permission_missing",
        ));
        cases.push((
            "key without users.manage",
            &w.talk_key.api,
            c.clone(),
            403,
            "permission_missing",
        ));
    }
    let bad = w.bad_credentials();
    for (name, api, code) in &bad {
        for c in &calls {
            cases.push((name.as_str(), api, c.clone(), 401, *code));
        }
    }
    refuse_all(&cases, &|| w.owner.api().get(&user, 200));
    assert_eq!(w.owner.api().get(&user, 200)["status"], "active");

    // Listing shows only one's own people.
    let listed = w.stranger.api().get("/v1/users", 200);
    assert_eq!(ids(&listed), vec![w.stranger.admin.id.clone()]);
}

#[test]
fn another_company_cannot_revoke_a_key() {
    let w = World::new();
    let key = format!("/v1/api-keys/{}", w.target_key);
    let delete = call(Method::DELETE, &key, None);
    let mut cases = vec![
        (
            "unrelated company",
            w.stranger.api(),
            delete.clone(),
            404,
            "not_found",
        ),
        (
            "blocked partner",
            w.blocked.api(),
            delete.clone(),
            404,
            "not_found",
        ),
        (
            "active partner",
            w.partner.api(),
            delete.clone(),
            404,
            "not_found",
        ),
        (
            "colleague without users.manage",
            &w.talker.api,
            delete.clone(),
            403,
            "permission_missing",
        ),
        (
            "key without users.manage",
            &w.talk_key.api,
            delete.clone(),
            403,
            "permission_missing",
        ),
    ];
    let bad = w.bad_credentials();
    for (name, api, code) in &bad {
        cases.push((name.as_str(), api, delete.clone(), 401, *code));
    }
    let snapshot = || {
        let list = w.owner.api().get("/v1/api-keys", 200);
        find(&list, &w.target_key)
            .unwrap_or_else(|| panic!("key listed: {list}"))
            .clone()
    };
    refuse_all(&cases, &snapshot);
    assert!(snapshot()["revoked_at"].is_null());
    assert!(
        !ids(&w.stranger.api().get("/v1/api-keys", 200)).contains(&w.target_key),
        "another company's key is never listed"
    );
}

#[test]
fn outsiders_and_the_unauthorised_cannot_touch_a_relationship() {
    let w = World::new();
    let rel = |action: &str| {
        if action.is_empty() {
            format!("/v1/relationships/{}", w.rel)
        } else {
            format!("/v1/relationships/{}/{action}", w.rel)
        }
    };
    let changes = [
        call(
            Method::PATCH,
            rel(""),
            Some(json!({"settings": {"discount_percent": 99}})),
        ),
        call(
            Method::PATCH,
            rel(""),
            Some(json!({"services": {"documents": "inactive"}})),
        ),
        call(Method::POST, rel("approve"), None),
        call(Method::POST, rel("reject"), Some(json!({"reason": "x"}))),
        call(Method::POST, rel("block"), None),
        call(Method::POST, rel("unblock"), None),
    ];
    let read = call(Method::GET, rel(""), None);
    let mut cases = Vec::new();
    for c in changes.iter().chain([&read]) {
        cases.push((
            "unrelated company",
            w.stranger.api(),
            c.clone(),
            404,
            "not_found",
        ));
        // The blocked company is a partner of the owner, but not of this relationship.
        cases.push((
            "owner's blocked partner",
            w.blocked.api(),
            c.clone(),
            404,
            "not_found",
        ));
    }
    for c in &changes {
        cases.push((
            "colleague without relationships.manage",
            &w.talker.api,
            c.clone(),
            403,
            "permission_missing",
        ));
        cases.push((
            "key without relationships.manage",
            &w.talk_key.api,
            c.clone(),
            403,
            "permission_missing",
        ));
    }
    let bad = w.bad_credentials();
    for (name, api, code) in &bad {
        for c in changes.iter().chain([&read]) {
            cases.push((name.as_str(), api, c.clone(), 401, *code));
        }
    }
    let snapshot = || {
        json!([
            w.owner.api().get(&rel(""), 200),
            w.partner.api().get(&rel(""), 200),
        ])
    };
    refuse_all(&cases, &snapshot);
    let seen = w.owner.api().get(&rel(""), 200);
    assert_eq!(seen["status"], "active");
    assert_eq!(seen["settings"]["discount_percent"], 5.0);

    // Reading needs no permission: the colleague and the key see it, without changing it.
    assert_eq!(w.talker.api.get(&rel(""), 200)["id"], json!(w.rel));
    assert_eq!(w.talk_key.api.get(&rel(""), 200)["id"], json!(w.rel));
    // No outsider finds it in a list either.
    for outsider in [&w.stranger, &w.blocked] {
        assert!(!ids(&outsider.api().get("/v1/relationships", 200)).contains(&w.rel));
    }
}

#[test]
fn a_blocked_partner_cannot_undo_or_get_around_the_block() {
    let w = World::new();
    let path = |action: &str| format!("/v1/relationships/{}/{action}", w.blocked_rel);
    let me = w.blocked.api();
    let cases = [
        (
            "blocked partner",
            me,
            call(Method::POST, path("unblock"), None),
            403,
            "not_blocker",
        ),
        (
            "blocked partner",
            me,
            call(Method::POST, path("approve"), None),
            409,
            "invalid_transition",
        ),
        (
            "blocked partner",
            me,
            call(Method::POST, path("reject"), Some(json!({}))),
            409,
            "invalid_transition",
        ),
        (
            "blocked partner",
            me,
            call(Method::POST, path("block"), None),
            409,
            "invalid_transition",
        ),
        (
            "blocked partner",
            me,
            call(
                Method::POST,
                "/v1/relationships",
                Some(json!({"company_id": w.owner.id, "my_role": "customer"})),
            ),
            409,
            "relationship_exists",
        ),
        (
            "blocked partner",
            me,
            call(
                Method::POST,
                "/v1/cards/me/send",
                Some(json!({"company_id": w.owner.id})),
            ),
            409,
            "relationship_not_active",
        ),
        (
            "owner, towards the partner it blocked",
            &w.owner.admin.api,
            call(
                Method::POST,
                "/v1/cards/me/send",
                Some(json!({"company_id": w.blocked.id})),
            ),
            409,
            "relationship_not_active",
        ),
    ];
    let snapshot = || {
        json!([
            w.owner
                .api()
                .get(&format!("/v1/relationships/{}", w.blocked_rel), 200),
            w.blocked
                .api()
                .get(&format!("/v1/relationships/{}", w.blocked_rel), 200),
            w.blocked.api().get("/v1/contacts", 200),
            w.owner.api().get("/v1/contacts", 200),
        ])
    };
    refuse_all(&cases, &snapshot);
    let seen = w
        .blocked
        .api()
        .get(&format!("/v1/relationships/{}", w.blocked_rel), 200);
    assert_eq!(seen["status"], "blocked");
    assert_eq!(seen["blocked_by_me"], false);
}

#[test]
fn a_contact_is_visible_only_to_the_company_that_received_it() {
    let w = World::new();
    let contact = format!("/v1/contacts/{}", w.contact);
    let vcard = format!("/v1/contacts/{}/vcard", w.contact);
    let reads = [
        call(Method::GET, &contact, None),
        call(Method::GET, &vcard, None),
    ];
    let mut cases = Vec::new();
    for c in &reads {
        cases.push((
            "unrelated company",
            w.stranger.api(),
            c.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "blocked partner",
            w.blocked.api(),
            c.clone(),
            404,
            "not_found",
        ));
        cases.push((
            "the sender's company",
            w.partner.api(),
            c.clone(),
            404,
            "not_found",
        ));
    }
    let bad = w.bad_credentials();
    for (name, api, code) in &bad {
        for c in &reads {
            cases.push((name.as_str(), api, c.clone(), 401, *code));
        }
    }
    refuse_all(&cases, &|| w.owner.api().get(&contact, 200));
    for outsider in [&w.stranger, &w.blocked, &w.partner] {
        assert!(!ids(&outsider.api().get("/v1/contacts", 200)).contains(&w.contact));
    }
    // Any colleague of the receiving company may read its contacts.
    assert_eq!(w.talker.api.get(&contact, 200)["id"], json!(w.contact));
}

#[test]
fn every_authenticated_endpoint_refuses_broken_credentials() {
    let w = World::new();
    let calls = [
        call(Method::GET, "/v1/me", None),
        call(Method::PATCH, "/v1/me", Some(json!({"language": "de"}))),
        call(Method::GET, "/v1/users", None),
        call(
            Method::POST,
            "/v1/users",
            Some(json!({"email": unique_email("x"), "name": "X"})),
        ),
        call(Method::GET, "/v1/api-keys", None),
        call(
            Method::POST,
            "/v1/api-keys",
            Some(json!({"name": "k", "permissions": ["talk"]})),
        ),
        call(Method::GET, "/v1/companies?q=owner", None),
        call(Method::GET, format!("/v1/companies/{}", w.owner.id), None),
        call(Method::GET, "/v1/relationships", None),
        call(
            Method::POST,
            "/v1/relationships",
            Some(json!({"company_id": w.stranger.id, "my_role": "customer"})),
        ),
        call(
            Method::POST,
            "/v1/relationships/invitations",
            Some(json!({"email": unique_email("invitee")})),
        ),
        call(Method::GET, "/v1/cards/me", None),
        call(Method::PUT, "/v1/cards/me", Some(json!({"name": "Forged"}))),
        call(
            Method::POST,
            "/v1/cards/me/send",
            Some(json!({"company_id": w.partner.id})),
        ),
        call(Method::GET, "/v1/contacts", None),
        call(Method::GET, "/v1/tasks", None),
        call(Method::POST, "/v1/tasks", Some(json!({"title": "Forged"}))),
        call(Method::POST, "/v1/teams", Some(json!({"name": "Forged"}))),
        call(Method::GET, "/v1/complaints", None),
        call(Method::GET, "/v1/quote-requests", None),
        call(Method::GET, "/v1/catalogs", None),
        call(
            Method::POST,
            "/v1/catalogs",
            Some(json!({"name": "Forged", "currency": "EUR"})),
        ),
        call(Method::GET, "/v1/catalog-orders", None),
        call(Method::GET, "/v1/exchange-rates", None),
        call(
            Method::PUT,
            "/v1/exchange-rates",
            Some(json!({"rates": [{"base": "EUR", "currency": "PLN", "rate": "9"}]})),
        ),
        call(
            Method::POST,
            "/v1/quote-requests",
            Some(json!({"partner": w.partner.id, "title": "Forged"})),
        ),
        call(
            Method::POST,
            "/v1/complaints",
            Some(
                json!({"document_id": "doc_01jd0000000000000000000000", "reason": "other", "description": "Forged"}),
            ),
        ),
    ];
    let bad = w.bad_credentials();
    let mut cases = Vec::new();
    for (name, api, code) in &bad {
        for c in &calls {
            cases.push((name.as_str(), api, c.clone(), 401, *code));
        }
    }
    let snapshot = || {
        json!([
            w.owner.api().get("/v1/me", 200),
            ids(&w.owner.api().get("/v1/users", 200)),
            ids(&w.owner.api().get("/v1/api-keys", 200)),
            w.owner.api().get("/v1/relationships", 200)["counts"],
            w.owner.admin.api.get("/v1/cards/me", 200),
            ids(&w.partner.api().get("/v1/contacts", 200)),
            ids(&w.owner.api().get("/v1/tasks", 200)),
            ids(&w.owner.api().get("/v1/teams", 200)),
            ids(&w.owner.api().get("/v1/complaints", 200)),
            ids(&w.owner.api().get("/v1/quote-requests", 200)),
            ids(&w.owner.api().get("/v1/catalogs", 200)),
            w.owner.api().get("/v1/exchange-rates", 200),
        ])
    };
    refuse_all(&cases, &snapshot);
}

#[test]
fn a_catalog_is_kept_by_its_supplier_and_seen_only_by_the_customers_it_is_enabled_for() {
    let w = World::new();
    let made = w.owner.api().post(
        "/v1/catalogs",
        json!({"name": "Owner's catalog", "currency": "EUR"}),
        201,
    );
    let id = text(&made["id"]);
    let catalog = format!("/v1/catalogs/{id}");
    w.owner.api().put(
        &format!("{catalog}/products"),
        json!({"products": [{"sku": "A-1", "name_en": "Alpha", "list_price": "10"}]}),
        200,
    );
    w.owner.api().put(
        &format!("{catalog}/prices"),
        json!({"prices": [{"sku": "A-1", "partner": w.partner.id, "price": "7.77"}]}),
        200,
    );
    w.owner.api().put(
        &format!("{catalog}/customers/{}", w.partner.id),
        json!({}),
        200,
    );
    w.owner.api().put(
        "/v1/exchange-rates",
        json!({"rates": [{"base": "EUR", "currency": "PLN", "rate": "4.2875"}]}),
        200,
    );
    let changes = [
        call(
            Method::PUT,
            format!("{catalog}/products"),
            Some(json!({"delete": ["A-1"]})),
        ),
        call(
            Method::PUT,
            format!("{catalog}/prices"),
            Some(json!({"prices": [{"sku": "A-1", "partner": w.partner.id, "price": null}]})),
        ),
        call(
            Method::PUT,
            format!("{catalog}/customers/{}", w.partner.id),
            None,
        ),
        call(
            Method::DELETE,
            format!("{catalog}/customers/{}", w.partner.id),
            None,
        ),
        call(
            Method::POST,
            format!("{catalog}/orders"),
            Some(json!({"lines": [{"sku": "A-1", "quantity": 1}]})),
        ),
    ];
    let reads = [
        call(Method::GET, catalog.clone(), None),
        call(Method::GET, format!("{catalog}/products"), None),
        call(
            Method::POST,
            format!("{catalog}/cart"),
            Some(json!({"lines": [{"sku": "A-1", "quantity": 1}]})),
        ),
        call(Method::GET, format!("{catalog}/export"), None),
        call(Method::GET, format!("{catalog}/export?format=bmecat"), None),
    ];
    let mut cases = Vec::new();
    for c in changes.iter().chain(&reads) {
        for (who, api) in [
            ("unrelated company", w.stranger.api()),
            ("a customer it is not enabled for", w.blocked.api()),
        ] {
            cases.push((who, api, c.clone(), 404, "not_found"));
        }
        cases.push((
            "colleague without catalog",
            &w.talker.api,
            c.clone(),
            403,
            "permission_missing",
        ));
        cases.push((
            "key without catalog",
            &w.talk_key.api,
            c.clone(),
            403,
            "permission_missing",
        ));
    }
    // The customer it is enabled for reads and orders, but keeps nothing of the supplier's.
    for c in &changes[..4] {
        cases.push((
            "the customer",
            w.partner.api(),
            c.clone(),
            403,
            "supplier_only",
        ));
    }
    for c in &reads[3..] {
        cases.push((
            "the customer, exporting",
            w.partner.api(),
            c.clone(),
            403,
            "supplier_only",
        ));
    }
    // The rates are the company's own: someone without the permission neither reads nor sets
    // them (everyone else reads and sets only its own, below).
    for c in [
        call(Method::GET, "/v1/exchange-rates".to_owned(), None),
        call(
            Method::PUT,
            "/v1/exchange-rates".to_owned(),
            Some(json!({"rates": [{"base": "EUR", "currency": "PLN", "rate": "1"}]})),
        ),
    ] {
        cases.push((
            "colleague without catalog, at the rates",
            &w.talker.api,
            c.clone(),
            403,
            "permission_missing",
        ));
        cases.push((
            "key without catalog, at the rates",
            &w.talk_key.api,
            c,
            403,
            "permission_missing",
        ));
    }
    cases.push((
        "the customer, at another's terms",
        w.partner.api(),
        call(
            Method::PUT,
            format!("/v1/order-terms/{}", w.owner.id),
            Some(json!({"order_block": true})),
        ),
        404,
        "not_found",
    ));
    let bad = w.bad_credentials();
    for (name, api, code) in &bad {
        for c in changes.iter().chain(&reads) {
            cases.push((name.as_str(), api, c.clone(), 401, *code));
        }
    }
    let snapshot = || {
        json!([
            w.owner.api().get(&catalog, 200),
            w.owner.api().get(&format!("{catalog}/products"), 200),
            w.owner.api().get("/v1/catalog-orders", 200),
            w.owner.api().get("/v1/exchange-rates", 200),
        ])
    };
    refuse_all(&cases, &snapshot);
    for other in [&w.partner, &w.stranger] {
        let theirs = other.api().get("/v1/exchange-rates", 200);
        assert_eq!(theirs["data"], json!([]), "only its own: {theirs}");
    }
    // The customer sees its own price; nobody else finds the catalog in a list.
    let seen = w.partner.api().get(&format!("{catalog}/products"), 200);
    assert_eq!(seen["data"][0]["price"], "7.77", "{seen}");
    for outsider in [&w.stranger, &w.blocked] {
        assert!(!ids(&outsider.api().get("/v1/catalogs", 200)).contains(&id));
    }
}
