//! Relationships as the two companies live them: finding a partner in the directory, asking,
//! approving or rejecting, the supplier's own settings, services, blocking, and inviting a
//! customer company by e-mail.

use serde_json::{json, Value};
use tradepost_e2e::*;

fn rel_path(id: &str, action: &str) -> String {
    if action.is_empty() {
        format!("/v1/relationships/{id}")
    } else {
        format!("/v1/relationships/{id}/{action}")
    }
}

#[test]
fn a_customer_finds_a_supplier_asks_and_is_approved_and_the_supplier_keeps_its_settings() {
    let supplier = Company::signup_confirmed("druckerei");
    let customer = Company::signup_confirmed("verlag");

    // The directory finds the supplier by (part of) its handle, in any case.
    let needle = supplier.handle[supplier.handle.len() - 8..].to_uppercase();
    let found = customer
        .api()
        .get(&format!("/v1/companies?q={needle}"), 200);
    assert_eq!(ids(&found), vec![supplier.id.clone()], "{found}");
    let hit = &found["data"][0];
    assert_eq!(hit["handle"], json!(supplier.handle));
    assert_eq!(hit["name"], json!(supplier.name));
    let profile = customer
        .api()
        .get(&format!("/v1/companies/{}", supplier.id), 200);
    assert_eq!(profile["id"], json!(supplier.id));
    assert!(profile["relationship"].is_null(), "{profile}");

    let asked = customer.api().post(
        "/v1/relationships",
        json!({
            "handle": supplier.handle,
            "my_role": "customer",
            "message": "Wir möchten Druckaufträge senden.",
            "services": {"documents": "requested", "talk": "requested", "cards": "requested"},
        }),
        201,
    );
    assert_id(&asked["id"], "rel_");
    let id = asked["id"].as_str().unwrap().to_owned();
    assert_eq!(asked["status"], "requested");
    assert_eq!(asked["direction"], "outgoing");
    assert_eq!(asked["my_role"], "customer");
    assert_eq!(asked["partner"]["id"], json!(supplier.id));
    assert_eq!(asked["message"], "Wir möchten Druckaufträge senden.");
    assert_eq!(asked["blocked_by_me"], false);
    assert!(asked.get("settings").is_none(), "{asked}");
    assert_timestamp(&asked["created_at"]);

    let incoming = supplier
        .api()
        .get("/v1/relationships?status=requested", 200);
    assert_eq!(ids(&incoming), vec![id.clone()]);
    let seen = &incoming["data"][0];
    assert_eq!(seen["direction"], "incoming");
    assert_eq!(seen["my_role"], "supplier");
    assert_eq!(seen["partner"]["id"], json!(customer.id));
    assert_eq!(
        counts(&incoming),
        json!({"requested": 1, "active": 0, "rejected": 0, "blocked": 0})
    );
    let requested_event = wait_for_event(&supplier.id, "relationship.requested", |_| true);
    // Reading of the contract: an integrator needs to know which relationship an event is about.
    assert!(
        requested_event["data"].to_string().contains(&id),
        "the event's data names the relationship: {requested_event}"
    );
    assert_timestamp(&requested_event["created_at"]);

    let approved = supplier.api().post_empty(&rel_path(&id, "approve"), 200);
    assert_eq!(approved["status"], "active");
    assert_eq!(approved["services"]["documents"], "enabled");
    assert_eq!(approved["services"]["talk"], "enabled");
    assert_eq!(approved["services"]["cards"], "enabled");
    assert_eq!(approved["services"]["appointments"], "inactive");
    let decided = wait_for_event(&customer.id, "relationship.decided", |_| true);

    let all = customer.api().get("/v1/relationships", 200);
    assert_eq!(
        counts(&all),
        json!({"requested": 0, "active": 1, "rejected": 0, "blocked": 0})
    );
    let profile = customer
        .api()
        .get(&format!("/v1/companies/{}", supplier.id), 200);
    assert_eq!(
        profile["relationship"],
        json!({"id": id, "status": "active"}),
        "{profile}"
    );

    // The supplier keeps its own settings on the customer.
    let settings = json!({
        "customer_number": "K-10042",
        "discount_percent": 7.5,
        "internal_remark": "zahlt spät, Vorkasse",
    });
    let patched = supplier
        .api()
        .patch(&rel_path(&id, ""), json!({ "settings": settings }), 200);
    assert_eq!(patched["settings"]["customer_number"], "K-10042");
    assert_eq!(patched["settings"]["discount_percent"], 7.5);
    assert_eq!(
        patched["settings"]["internal_remark"],
        "zahlt spät, Vorkasse"
    );
    assert!(patched["settings"]["payment_terms"].is_null());
    let reread = supplier.api().get(&rel_path(&id, ""), 200);
    assert_eq!(reread["settings"], patched["settings"]);

    // The customer never sees them, not even the key.
    let view = customer.api().send(Method::GET, &rel_path(&id, ""), None);
    let body = view.expect(200);
    assert!(body.get("settings").is_none(), "{body}");
    assert!(!view.text.contains("zahlt spät") && !view.text.contains("K-10042"));
    let list = customer.api().send(Method::GET, "/v1/relationships", None);
    assert!(!list.text.contains("settings") && !list.text.contains("K-10042"));
    customer.api().refused(
        Method::PATCH,
        &rel_path(&id, ""),
        Some(json!({"settings": {"discount_percent": 50}})),
        403,
        "supplier_only",
    );

    // The customer asks for a further service; the supplier enables it.
    let asked_more = customer.api().patch(
        &rel_path(&id, ""),
        json!({"services": {"appointments": "requested"}}),
        200,
    );
    assert_eq!(asked_more["services"]["appointments"], "requested");
    wait_for_event(&supplier.id, "relationship.services_changed", |_| true);
    customer.api().refused(
        Method::PATCH,
        &rel_path(&id, ""),
        Some(json!({"services": {"approvals": "enabled"}})),
        403,
        "supplier_only",
    );
    assert_eq!(
        supplier.api().get(&rel_path(&id, ""), 200)["services"]["appointments"],
        "requested"
    );
    let enabled = supplier.api().patch(
        &rel_path(&id, ""),
        json!({"services": {"appointments": "enabled"}}),
        200,
    );
    assert_eq!(enabled["services"]["appointments"], "enabled");
    assert_eq!(enabled["settings"]["customer_number"], "K-10042");
    wait_for_event(&customer.id, "relationship.services_changed", |_| true);
    assert_eq!(
        customer.api().get(&rel_path(&id, ""), 200)["services"]["appointments"],
        "enabled"
    );
    // The customer may switch a service off.
    let off = customer.api().patch(
        &rel_path(&id, ""),
        json!({"services": {"talk": "inactive"}}),
        200,
    );
    assert_eq!(off["services"]["talk"], "inactive");

    assert_eq!(decided["data"]["status"], "approved", "{decided}");
}

#[test]
fn a_supplier_may_ask_a_customer_too() {
    let supplier = Company::signup_confirmed("grosshandel");
    let customer = Company::signup_confirmed("laden");
    let asked = supplier.api().post(
        "/v1/relationships",
        json!({"company_id": customer.id, "my_role": "supplier", "services": {"documents": "requested"}}),
        201,
    );
    assert_eq!(asked["my_role"], "supplier");
    assert!(
        asked["settings"].is_object(),
        "the supplier sees its settings: {asked}"
    );
    let id = asked["id"].as_str().unwrap();
    let approved = customer.api().post_empty(&rel_path(id, "approve"), 200);
    assert_eq!(approved["my_role"], "customer");
    assert_eq!(approved["direction"], "incoming");
    assert!(approved.get("settings").is_none(), "{approved}");
    assert_eq!(approved["services"]["documents"], "enabled");
}

#[test]
fn a_rejected_request_can_be_asked_again() {
    let supplier = Company::signup_confirmed("picky");
    let customer = Company::signup_confirmed("hopeful");
    let id = request(&customer, &supplier);

    let rejected = supplier.api().post(
        &rel_path(&id, "reject"),
        json!({"reason": "Kein Liefergebiet"}),
        200,
    );
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reject_reason"], "Kein Liefergebiet");
    let seen = customer.api().get(&rel_path(&id, ""), 200);
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["reject_reason"], "Kein Liefergebiet");
    let decided = wait_for_event(&customer.id, "relationship.decided", |_| true);
    assert_eq!(decided["data"]["status"], "rejected");
    assert_eq!(
        customer.api().get("/v1/relationships?status=rejected", 200)["counts"]["rejected"],
        1
    );

    supplier.api().refused(
        Method::POST,
        &rel_path(&id, "approve"),
        None,
        409,
        "invalid_transition",
    );

    let again = customer.api().post(
        "/v1/relationships",
        json!({"company_id": supplier.id, "my_role": "customer", "message": "Neuer Versuch"}),
        201,
    );
    assert_eq!(again["status"], "requested");
    assert_eq!(again["direction"], "outgoing");
    let again_id = again["id"].as_str().unwrap().to_owned();
    let approved = supplier
        .api()
        .post_empty(&rel_path(&again_id, "approve"), 200);
    assert_eq!(approved["status"], "active");
    assert_eq!(
        counts(&supplier.api().get("/v1/relationships", 200)),
        json!({"requested": 0, "active": 1, "rejected": 0, "blocked": 0}),
        "one relationship per pair"
    );
}

#[test]
fn either_side_blocks_and_only_the_blocker_unblocks() {
    let supplier = Company::signup_confirmed("blocker");
    let customer = Company::signup_confirmed("blocked");
    let id = connect(&customer, &supplier);
    let before = customer.api().get(&rel_path(&id, ""), 200);

    let blocked = customer.api().post_empty(&rel_path(&id, "block"), 200);
    assert_eq!(blocked["status"], "blocked");
    assert_eq!(blocked["blocked_by_me"], true);
    let other_side = supplier.api().get(&rel_path(&id, ""), 200);
    assert_eq!(other_side["status"], "blocked");
    assert_eq!(other_side["blocked_by_me"], false);
    wait_for_event(&supplier.id, "relationship.blocked", |_| true);
    assert_eq!(
        supplier.api().get("/v1/relationships?status=blocked", 200)["counts"]["blocked"],
        1
    );

    supplier.api().refused(
        Method::POST,
        &rel_path(&id, "unblock"),
        None,
        403,
        "not_blocker",
    );
    for action in ["approve", "reject", "block"] {
        supplier.api().refused(
            Method::POST,
            &rel_path(&id, action),
            None,
            409,
            "invalid_transition",
        );
    }
    customer.api().refused(
        Method::POST,
        &rel_path(&id, "block"),
        None,
        409,
        "invalid_transition",
    );
    assert_eq!(
        supplier.api().get(&rel_path(&id, ""), 200)["status"],
        "blocked"
    );

    let unblocked = customer.api().post_empty(&rel_path(&id, "unblock"), 200);
    assert_eq!(unblocked["status"], "active");
    assert_eq!(unblocked["blocked_by_me"], false);
    assert_eq!(unblocked["services"], before["services"]);
    wait_for_event(&supplier.id, "relationship.unblocked", |_| true);
    customer.api().refused(
        Method::POST,
        &rel_path(&id, "unblock"),
        None,
        409,
        "invalid_transition",
    );
}

#[test]
fn a_blocked_request_returns_to_requested_when_unblocked() {
    let supplier = Company::signup_confirmed("wary");
    let customer = Company::signup_confirmed("pushy");
    let id = request(&customer, &supplier);
    let blocked = supplier.api().post_empty(&rel_path(&id, "block"), 200);
    assert_eq!(blocked["status"], "blocked");
    // A blocked pair cannot be asked again.
    customer.api().refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"company_id": supplier.id, "my_role": "customer"})),
        409,
        "relationship_exists",
    );
    let back = supplier.api().post_empty(&rel_path(&id, "unblock"), 200);
    assert_eq!(back["status"], "requested");
    assert_eq!(back["direction"], "incoming");
    supplier.api().post_empty(&rel_path(&id, "approve"), 200);
}

#[test]
fn decisions_belong_to_the_addressee_and_follow_the_state_machine() {
    let supplier = Company::signup_confirmed("decider");
    let customer = Company::signup_confirmed("asker");
    let id = request(&customer, &supplier);

    customer.api().refused(
        Method::POST,
        &rel_path(&id, "approve"),
        None,
        403,
        "not_your_decision",
    );
    customer.api().refused(
        Method::POST,
        &rel_path(&id, "reject"),
        Some(json!({})),
        403,
        "not_your_decision",
    );
    for (asker, partner, role) in [
        (&customer, &supplier, "customer"),
        (&supplier, &customer, "supplier"),
    ] {
        asker.api().refused(
            Method::POST,
            "/v1/relationships",
            Some(json!({"company_id": partner.id, "my_role": role})),
            409,
            "relationship_exists",
        );
    }
    assert_eq!(
        supplier.api().get(&rel_path(&id, ""), 200)["status"],
        "requested"
    );

    supplier.api().post_empty(&rel_path(&id, "approve"), 200);
    for action in ["approve", "reject"] {
        supplier.api().refused(
            Method::POST,
            &rel_path(&id, action),
            None,
            409,
            "invalid_transition",
        );
    }
    supplier.api().refused(
        Method::POST,
        &rel_path(&id, "unblock"),
        None,
        409,
        "invalid_transition",
    );
    customer.api().refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"handle": supplier.handle, "my_role": "customer"})),
        409,
        "relationship_exists",
    );
    assert_eq!(
        customer.api().get(&rel_path(&id, ""), 200)["status"],
        "active"
    );
}

#[test]
fn asking_oneself_or_a_company_that_does_not_exist_is_refused() {
    let company = Company::signup_confirmed("lonely");
    company
        .api()
        .send(
            Method::POST,
            "/v1/relationships",
            Some(&json!({"company_id": company.id, "my_role": "customer"})),
        )
        .expect_invalid_field("company_id");
    company.api().refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"company_id": "co_00000000000000000000000000", "my_role": "customer"})),
        404,
        "not_found",
    );
    company.api().refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"handle": format!("nobody-{}", unique(10)), "my_role": "customer"})),
        404,
        "not_found",
    );
    assert_eq!(
        counts(&company.api().get("/v1/relationships", 200)),
        json!({"requested": 0, "active": 0, "rejected": 0, "blocked": 0})
    );
}

#[test]
fn a_supplier_invites_a_customer_company_by_mail() {
    let supplier = Company::signup_confirmed("lieferant");
    let email = unique_email("einkauf");

    let invitation = supplier.api().post(
        "/v1/relationships/invitations",
        json!({
            "email": email,
            "name": "Greta Bäcker",
            "company_name": "Bäckerei Bäcker",
            "message": "Bitte registrieren Sie sich für den Bestellaustausch.",
            "settings": {"customer_number": "C-77", "discount_percent": 3, "payment_terms": "30 Tage netto"},
        }),
        201,
    );
    assert_id(&invitation["id"], "inv_");
    assert_eq!(invitation["email"], json!(email));
    assert_eq!(invitation["status"], "open");
    assert_timestamp(&invitation["expires_at"]);

    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    let handle = format!("baecker-{}", unique(8));
    let accepted = Api::new().post(
        "/v1/auth/accept-invitation",
        json!({
            "token": token, "password": PASSWORD, "name": "Greta Bäcker",
            "company_name": "Bäckerei Bäcker", "handle": handle, "language": "de",
        }),
        201,
    );
    assert_eq!(accepted["user"]["status"], "active");
    assert_eq!(accepted["user"]["role"], "admin");
    assert_eq!(accepted["company"]["handle"], json!(handle));
    let customer_id = accepted["company"]["id"].as_str().unwrap().to_owned();

    // No confirmation mail needed: the link proved the address.
    let customer = login(&email, PASSWORD);
    let theirs = customer.api.get("/v1/relationships", 200);
    assert_eq!(ids(&theirs).len(), 1, "{theirs}");
    let rel = &theirs["data"][0];
    assert_eq!(rel["status"], "active");
    assert_eq!(rel["my_role"], "customer");
    assert_eq!(rel["partner"]["id"], json!(supplier.id));
    assert!(rel.get("settings").is_none(), "{rel}");
    for service in ["documents", "approvals", "talk", "cards"] {
        assert_eq!(rel["services"][service], "enabled", "{service}: {rel}");
    }
    let rel_id = rel["id"].as_str().unwrap().to_owned();

    let ours = supplier.api().get(&rel_path(&rel_id, ""), 200);
    assert_eq!(ours["my_role"], "supplier");
    assert_eq!(ours["partner"]["id"], json!(customer_id));
    assert_eq!(ours["settings"]["customer_number"], "C-77");
    assert_eq!(ours["settings"]["discount_percent"], 3.0);
    assert_eq!(ours["settings"]["payment_terms"], "30 Tage netto");
    wait_for_event(&supplier.id, "relationship.invitation_accepted", |_| true);

    Api::new().refused(
        Method::POST,
        "/v1/auth/accept-invitation",
        Some(json!({
            "token": token, "password": PASSWORD, "name": "Greta Bäcker",
            "company_name": "Bäckerei Zwei", "handle": format!("zwei-{}", unique(8)),
        })),
        400,
        "link_invalid",
    );
}

#[test]
fn inviting_a_registered_address_asks_for_a_request_instead() {
    let supplier = Company::signup_confirmed("inviter");
    let existing = Company::signup_confirmed("existing");
    supplier.api().refused(
        Method::POST,
        "/v1/relationships/invitations",
        Some(json!({ "email": existing.admin.email })),
        409,
        "email_taken",
    );
}

#[test]
fn lists_page_with_a_cursor_newest_first() {
    let hub = Company::signup_confirmed("hub");
    let mut asked: Vec<String> = Vec::new();
    for _ in 0..3 {
        let spoke = Company::signup_confirmed("spoke");
        asked.push(request(&spoke, &hub));
    }
    asked.reverse();

    let first = hub.api().get("/v1/relationships?limit=2", 200);
    assert_eq!(ids(&first), asked[..2].to_vec(), "newest first: {first}");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next_cursor")
        .to_owned();
    let api = hub.api();
    let reply = api.run(
        Method::GET,
        "/v1/relationships",
        api.raw(Method::GET, "/v1/relationships")
            .query(&[("limit", "2"), ("cursor", cursor.as_str())]),
    );
    let second = reply.expect(200);
    assert_eq!(ids(&second), asked[2..].to_vec());
    assert_eq!(second["next_cursor"], Value::Null);
}
