//! Business cards: a person keeps a card, sends it to a partner company, and the partner's
//! people find it among their contacts and export it as a vCard.

use serde_json::{json, Value};
use tradepost_e2e::*;

fn card() -> Value {
    json!({
        "name": "Jürgen Groß-Żebrowski",
        "title": "Leiter Einkauf",
        "company": "Müller & Söhne Sp. z o.o.",
        "email": "juergen@example.com",
        "phone": "+49 30 1234567",
        "mobile": "+48 601 234 567",
        "street": "Świętokrzyska 12",
        "postal_code": "00-916",
        "city": "Łódź",
        "country": "PL",
    })
}

#[test]
fn a_card_sent_to_a_partner_becomes_a_contact_there_and_exports_as_vcard() {
    let sender = Company::signup_confirmed("sender");
    let receiver = Company::signup_confirmed("receiver");
    connect(&sender, &receiver);
    let me = &sender.admin;

    // Until saved, the card is prefilled from the user and the company.
    let prefilled = me.api.get("/v1/cards/me", 200);
    assert_eq!(
        prefilled["name"], me.login["user"]["name"],
        "prefilled: {prefilled}"
    );
    assert_eq!(prefilled["email"], json!(me.email));
    assert_eq!(prefilled["company"], json!(sender.name));

    let saved = me.api.put("/v1/cards/me", card(), 200);
    for (field, value) in card().as_object().unwrap() {
        assert_eq!(&saved[field], value, "{field}");
    }
    assert_eq!(me.api.get("/v1/cards/me", 200), saved);

    let sent = me
        .api
        .post("/v1/cards/me/send", json!({"company_id": receiver.id}), 200);
    assert_id(&sent["contact_id"], "con_");
    assert_eq!(sent["company_id"], json!(receiver.id));
    let contact_id = sent["contact_id"].as_str().unwrap().to_owned();

    let contacts = receiver.api().get("/v1/contacts", 200);
    assert_eq!(ids(&contacts), vec![contact_id.clone()]);
    let contact = &contacts["data"][0];
    assert_eq!(contact["user_id"], json!(me.id));
    assert_eq!(contact["from_company"]["id"], json!(sender.id));
    assert_eq!(contact["from_company"]["name"], json!(sender.name));
    assert_eq!(contact["card"]["name"], "Jürgen Groß-Żebrowski");
    assert_eq!(contact["card"]["city"], "Łódź");
    assert_timestamp(&contact["received_at"]);
    assert_eq!(
        receiver
            .api()
            .get(&format!("/v1/contacts/{contact_id}"), 200),
        *contact
    );
    assert_eq!(
        ids(&receiver
            .api()
            .get(&format!("/v1/contacts?company_id={}", sender.id), 200)),
        vec![contact_id.clone()]
    );
    assert!(ids(&receiver
        .api()
        .get(&format!("/v1/contacts?company_id={}", receiver.id), 200))
    .is_empty());
    assert!(
        ids(&sender.api().get("/v1/contacts", 200)).is_empty(),
        "the sender does not receive its own card"
    );
    let event = wait_for_event(&receiver.id, "card.received", |e| {
        e["data"]["contact_id"] == json!(contact_id)
    });
    assert_eq!(event["data"]["user_id"], json!(me.id));

    let path = format!("/v1/contacts/{contact_id}/vcard");
    let vcard = receiver
        .api()
        .run(Method::GET, &path, receiver.api().raw(Method::GET, &path));
    assert_eq!(vcard.status, 200, "{vcard:?}");
    assert!(
        vcard
            .content_type()
            .replace(' ', "")
            .eq_ignore_ascii_case("text/vcard;charset=utf-8"),
        "{vcard:?}"
    );
    let disposition = vcard.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(".vcf"),
        "{disposition}"
    );
    let text = &vcard.text;
    assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{text}");
    assert!(text.ends_with("END:VCARD\r\n"), "{text}");
    assert!(text.contains("\r\nFN:Jürgen Groß-Żebrowski\r\n"), "{text}");
    assert!(text.contains("Łódź"), "{text}");
    assert!(text.contains("+48 601 234 567"), "{text}");
    assert!(
        text.match_indices('\n')
            .all(|(i, _)| i > 0 && &text[i - 1..i] == "\r"),
        "every line ends in CRLF: {text:?}"
    );

    // Sending again updates the same contact.
    let mut changed = card();
    changed["title"] = json!("Geschäftsführer");
    me.api.put("/v1/cards/me", changed, 200);
    let resent = me
        .api
        .post("/v1/cards/me/send", json!({"company_id": receiver.id}), 200);
    assert_eq!(resent["contact_id"], json!(contact_id));
    let contacts = receiver.api().get("/v1/contacts", 200);
    assert_eq!(ids(&contacts), vec![contact_id.clone()]);
    assert_eq!(contacts["data"][0]["card"]["title"], "Geschäftsführer");
}

#[test]
fn a_card_needs_only_a_name_and_refuses_unknown_fields() {
    let company = Company::signup_confirmed("minimal");
    let saved = company
        .admin
        .api
        .put("/v1/cards/me", json!({"name": "Anna Nowak"}), 200);
    assert_eq!(saved["name"], "Anna Nowak");
    assert!(
        saved["title"].is_null() && saved["phone"].is_null(),
        "{saved}"
    );

    company
        .admin
        .api
        .send(
            Method::PUT,
            "/v1/cards/me",
            Some(&json!({"name": "Anna Nowak", "fax": "+48 22 000"})),
        )
        .expect_invalid_field("fax");
    assert_eq!(company.admin.api.get("/v1/cards/me", 200), saved);
}

#[test]
fn a_card_goes_only_where_an_active_relationship_with_cards_allows_it() {
    let me = Company::signup_confirmed("cardholder");
    let stranger = Company::signup_confirmed("stranger");
    let blocked = Company::signup_confirmed("blockedpartner");
    let pending = Company::signup_confirmed("pending");
    let documents_only = Company::signup_confirmed("docsonly");
    me.admin
        .api
        .put("/v1/cards/me", json!({"name": "Piotr Wiśniewski"}), 200);

    connect_blocked(&me, &blocked, &blocked);
    request(&me, &pending);
    let rel = me.api().post(
        "/v1/relationships",
        json!({
            "company_id": documents_only.id,
            "my_role": "customer",
            "services": {"documents": "requested", "approvals": "inactive", "talk": "inactive", "cards": "inactive"},
        }),
        201,
    );
    let approved = documents_only.api().post_empty(
        &format!("/v1/relationships/{}/approve", rel["id"].as_str().unwrap()),
        200,
    );
    assert_eq!(approved["services"]["cards"], "inactive", "{approved}");

    let cases = [
        (&stranger, 404, "not_found"),
        (&blocked, 409, "relationship_not_active"),
        (&pending, 409, "relationship_not_active"),
        (&documents_only, 409, "service_not_enabled"),
    ];
    for (to, status, code) in cases {
        me.admin.api.refused(
            Method::POST,
            "/v1/cards/me/send",
            Some(json!({"company_id": to.id})),
            status,
            code,
        );
        assert!(
            ids(&to.api().get("/v1/contacts", 200)).is_empty(),
            "{} received nothing",
            to.handle
        );
    }
    me.admin.api.refused(
        Method::POST,
        "/v1/cards/me/send",
        Some(json!({"company_id": "co_00000000000000000000000000"})),
        404,
        "not_found",
    );
}
