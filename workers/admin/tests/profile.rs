//! The company profile natively: the admin keeps it (named fields when wrong), partners read the
//! addresses and the logo, anyone signed in the handle, VAT id check, verified domain and
//! identifiers; a company kept out of the directory is found only by its exact handle; and a
//! company whose name resembles a partner's carries that warning (the end-to-end suite,
//! tests/tests/profile.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use shared::ids::CompanyId;
use shared::permissions::{Permission, Role};
use shared::relationship::{RelationshipStatus, Settings};
use shared::service::Method;
use tradepost_testkit::{block_on, SeededPerson, Stack};

/// The smallest PNG: one transparent pixel.
const PIXEL: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

struct World {
    s: Stack,
    printer: CompanyId,
    admin: SeededPerson,
    clerk: SeededPerson,
    /// A customer of the printer.
    buyer: SeededPerson,
    /// A company unrelated to the printer.
    stranger: SeededPerson,
}

fn rename(s: &Stack, company: &CompanyId, name: &str) {
    block_on(s.platform().db.run(
        "UPDATE companies SET name = ?1 WHERE id = ?2",
        &[&name, company],
    ))
    .unwrap();
}

fn world() -> World {
    let s = Stack::new(&[&tradepost_admin::SERVICE, &tradepost_partners::SERVICE]);
    let printer = s.seed_company("druckerei-muster");
    rename(&s, &printer, "Druckerei Muster GmbH");
    let bookshop = s.seed_company("buchhandlung-nord");
    let elsewhere = s.seed_company("anderswo");
    let _ = s.seed_relationship(
        &printer,
        &bookshop,
        RelationshipStatus::Active,
        &Settings::default(),
    );
    let admin = s.seed_person(&printer, "Ada", Role::Admin, &[]);
    // Ada confirmed her address at the printer's own domain.
    block_on(s.platform().db.run(
        "UPDATE users SET email = 'ada@druckerei-muster.de', password_hash = 'x' WHERE id = ?1",
        &[&admin.id],
    ))
    .unwrap();
    let clerk = s.seed_person(&printer, "Carl", Role::Member, &[Permission::UsersManage]);
    let buyer = s.seed_person(&bookshop, "Bo", Role::Admin, &[]);
    let stranger = s.seed_person(&elsewhere, "Sten", Role::Admin, &[]);
    World {
        s,
        printer,
        admin,
        clerk,
        buyer,
        stranger,
    }
}

fn patch(w: &World, who: &SeededPerson, body: &Value) -> tradepost_testkit::Answer {
    w.s.call(Method::Patch, "/v1/company")
        .bearer(&who.token)
        .json(body)
        .run()
}

fn profile(w: &World, who: &SeededPerson, company: &CompanyId) -> Value {
    w.s.get(&format!("/v1/profiles/{company}"))
        .bearer(&who.token)
        .run()
        .expect(200)
}

fn address(label: Option<&str>) -> Value {
    json!({"label": label, "street": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin", "country": "de"})
}

#[test]
fn the_admin_keeps_the_profile_and_partners_read_it() {
    let w = world();
    let body = json!({
        "legal_name": "Druckerei Muster GmbH & Co. KG",
        "vat_id": "de 136.695.976",
        "billing_address": address(None),
        "branches": [address(Some("Werk Süd"))],
        "delivery_addresses": [address(Some("Lager"))],
        "identifiers": [{"scheme": "0088", "id": "7300010000001"}, {"scheme": "9930", "id": "DE136695976"}],
    });
    let own = patch(&w, &w.admin, &body).expect(200);
    assert_eq!(own["vat_id"], "DE136695976");
    assert_eq!(own["vat_id_format_valid"], true);
    assert_eq!(own["verified_domain"], "druckerei-muster.de");
    assert_eq!(own["listed"], true);
    assert_eq!(own["places"]["branches"][0]["country"], "DE");
    assert_eq!(own["identifiers"][0]["id"], "7300010000001");
    assert_eq!(
        w.s.get("/v1/company")
            .bearer(&w.admin.token)
            .run()
            .expect(200),
        own
    );

    // The customer reads addresses and identifiers; a stranger only what judges who is who.
    let seen = profile(&w, &w.buyer, &w.printer);
    assert_eq!(seen["relationship"], "active");
    assert_eq!(seen["places"]["branches"][0]["label"], "Werk Süd");
    assert!(
        seen["listed"].is_null(),
        "the listing is the company's own business"
    );
    let far = profile(&w, &w.stranger, &w.printer);
    assert!(far["places"].is_null(), "{far}");
    assert_eq!(far["handle"], "druckerei-muster");
    assert_eq!(far["verified_domain"], "druckerei-muster.de");
    assert_eq!(far["identifiers"][1]["scheme"], "9930");

    // Only admins change it; what does not fit is named.
    let refused = patch(&w, &w.clerk, &json!({"legal_name": "X"}));
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "admin_required");
    for (bad, field) in [
        (json!({"branches": [address(None)]}), "branches[0].label"),
        (
            json!({"identifiers": [{"scheme": "0088", "id": "7300010000002"}]}),
            "identifiers[0].id",
        ),
        (
            json!({"identifiers": [{"scheme": "GLN", "id": "7300010000001"}]}),
            "identifiers[0].scheme",
        ),
        (
            json!({"billing_address": {"street": "a", "postal_code": "1", "city": "b", "country": "Germany"}}),
            "billing_address.country",
        ),
        (json!({"vat_id": "x"}), "vat_id"),
        (json!({"legal_name": "x".repeat(201)}), "legal_name"),
    ] {
        let answer = patch(&w, &w.admin, &bad);
        assert_eq!(answer.status, 422, "{bad}");
        assert_eq!(answer.json()["field"], field, "{bad}");
    }
    assert_eq!(patch(&w, &w.admin, &json!({"surprise": 1})).status, 422);
    // null clears; a format that is not a country's is stored but flagged.
    let cleared = patch(
        &w,
        &w.admin,
        &json!({"billing_address": null, "vat_id": "DE136695977"}),
    )
    .expect(200);
    assert!(cleared["places"]["billing_address"].is_null());
    assert_eq!(cleared["vat_id_format_valid"], false);
    assert_eq!(
        cleared["places"]["branches"][0]["label"], "Werk Süd",
        "the rest stays"
    );
}

#[test]
fn a_company_out_of_the_directory_is_found_only_by_its_exact_handle() {
    let w = world();
    let search = |q: &str| {
        let found =
            w.s.get(&format!("/v1/companies?q={q}"))
                .bearer(&w.stranger.token)
                .run()
                .expect(200);
        found["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["handle"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(search("muster"), ["druckerei-muster"]);
    patch(&w, &w.admin, &json!({"listed": false})).expect(200);
    assert!(search("muster").is_empty());
    assert!(search("druckerei").is_empty());
    assert_eq!(search("druckerei-muster"), ["druckerei-muster"]);
}

#[test]
fn a_name_like_a_partners_carries_a_warning() {
    let w = world();
    let impostor = w.s.seed_company("druckerei-muster-gmbh");
    rename(&w.s, &impostor, "Druckerei Muster");
    let seen = profile(&w, &w.buyer, &impostor);
    assert_eq!(seen["resembles"][0]["handle"], "druckerei-muster", "{seen}");
    assert!(seen["relationship"].is_null());
    assert!(seen["verified_domain"].is_null());
    assert_eq!(profile(&w, &w.buyer, &w.printer)["resembles"], json!([]));
    assert_eq!(
        profile(&w, &w.stranger, &impostor)["resembles"],
        json!([]),
        "not the stranger's partner"
    );
    assert_eq!(
        w.s.get("/v1/profiles/co_00000000000000000000000000")
            .bearer(&w.buyer.token)
            .run()
            .status,
        404
    );
}

#[test]
fn the_logo_is_for_the_company_and_its_partners_and_comes_back_sandboxed() {
    let w = world();
    let put = |who: &SeededPerson, content_type: &str, body: Vec<u8>| {
        w.s.call(Method::Put, "/v1/company/logo")
            .bearer(&who.token)
            .bytes(content_type, body)
            .run()
    };
    let own = put(&w.admin, "image/png", PIXEL.to_vec()).expect(200);
    let link = own["logo"].as_str().unwrap().to_owned();
    assert_eq!(link, format!("/v1/profiles/{}/logo", w.printer));
    let got = w.s.get(&link).bearer(&w.buyer.token).run();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, PIXEL);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.header("content-security-policy"), Some("sandbox"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(w.s.get(&link).bearer(&w.stranger.token).run().status, 404);
    assert!(
        profile(&w, &w.stranger, &w.printer)["logo"].is_string(),
        "that there is one is no secret"
    );

    // No SVG (it could carry script), nothing big, only admins.
    assert_eq!(
        put(&w.admin, "image/svg+xml", b"<svg/>".to_vec()).status,
        415
    );
    assert_eq!(
        put(&w.admin, "image/png", vec![0; 256 * 1024 + 1]).status,
        413
    );
    assert_eq!(put(&w.clerk, "image/png", PIXEL.to_vec()).status, 403);

    // A new logo replaces the old file; removing it leaves none.
    put(&w.admin, "image/webp", b"RIFF\0\0\0\0WEBP".to_vec()).expect(200);
    assert_eq!(
        w.s.count("SELECT COUNT(*) FROM pending_objects", &[]),
        0,
        "the stored logo is settled"
    );
    assert_eq!(w.s.files.keys().len(), 1, "the old logo is gone");
    w.s.call(Method::Delete, "/v1/company/logo")
        .bearer(&w.admin.token)
        .run()
        .expect(204);
    assert_eq!(w.s.get(&link).bearer(&w.admin.token).run().status, 404);
    assert!(w.s.files.keys().is_empty());
}

#[test]
fn a_company_proves_its_domain_with_a_dns_txt_record() {
    let w = world();
    let claim = |who: &SeededPerson, domain: &str| {
        w.s.call(Method::Put, "/v1/company/domain")
            .bearer(&who.token)
            .json(&json!({ "domain": domain }))
            .run()
    };
    let verify = |who: &SeededPerson| {
        w.s.call(Method::Post, "/v1/company/domain/verify")
            .bearer(&who.token)
            .run()
    };
    assert_eq!(verify(&w.admin).json()["code"], "no_domain_claim");
    assert_eq!(
        claim(&w.clerk, "muster-druck.de").status,
        403,
        "admins only"
    );
    for bad in ["gmail.com", "not a domain", "de"] {
        let refused = claim(&w.admin, bad);
        assert_eq!(refused.status, 422, "{bad}");
        assert_eq!(refused.json()["field"], "domain");
    }
    let claimed = claim(&w.admin, "Muster-Druck.DE").expect(200);
    let challenge = &claimed["domain_challenge"];
    assert_eq!(challenge["domain"], "muster-druck.de");
    assert_eq!(
        challenge["record_name"],
        "_tradepost-challenge.muster-druck.de"
    );
    let value = challenge["record_value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("tradepost-verification="), "{value}");
    // Until proven, the admin's address still tells the domain; others never see the claim.
    assert_eq!(claimed["verified_domain"], "druckerei-muster.de");
    assert_eq!(claimed["domain_proof"], "email");
    let seen = profile(&w, &w.stranger, &w.printer);
    assert!(seen["domain_challenge"].is_null(), "{seen}");

    // The record is not published yet: a clear 409 naming it.
    let published = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let records = published.clone();
    w.s.http.answer(move |request| {
        let answers: Vec<Value> = records
            .borrow()
            .iter()
            .map(|txt| json!({"name": "_tradepost-challenge.muster-druck.de", "type": 16, "data": format!("\"{txt}\"")}))
            .collect();
        assert!(request.url.ends_with("?name=_tradepost-challenge.muster-druck.de&type=TXT"), "{}", request.url);
        Ok(shared::platform::OutResponse {
            status: 200,
            headers: Vec::new(),
            body: json!({"Status": 0, "Answer": answers}).to_string().into_bytes(),
        })
    });
    let missing = verify(&w.admin);
    assert_eq!(missing.status, 409);
    assert_eq!(missing.json()["code"], "domain_not_proven");
    assert!(missing.json()["detail"].as_str().unwrap().contains(&value));

    published.borrow_mut().push("v=spf1 -all".to_owned());
    published.borrow_mut().push(value.clone());
    let proven = verify(&w.admin).expect(200);
    assert_eq!(proven["verified_domain"], "muster-druck.de");
    assert_eq!(proven["domain_proof"], "dns");
    assert!(proven["domain_challenge"].is_null());
    let seen = profile(&w, &w.stranger, &w.printer);
    assert_eq!(seen["verified_domain"], "muster-druck.de");
    assert_eq!(seen["domain_proof"], "dns");
    let request = w.s.http.requests.borrow().last().cloned().unwrap();
    assert!(
        request
            .url
            .starts_with("https://cloudflare-dns.com/dns-query?"),
        "{}",
        request.url
    );
    assert!(request
        .headers
        .iter()
        .any(|(n, v)| n == "accept" && v == "application/dns-json"));
}
