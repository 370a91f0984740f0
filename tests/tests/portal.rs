//! The portal in a real browser: headless Chromium driven through chromedriver
//! (`tradepost_e2e::browser`), clicking through what the people on both sides do. Companies,
//! relationships and the partner's side of a story are set up through the API; what the story
//! is about is clicked. Each test has its own companies and its own browser, so the tests run
//! in parallel with each other and with the rest of the suite.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tradepost_e2e::browser::{Browser, WAIT};
use tradepost_e2e::{
    api_key, connect, invite_colleague, request, unique, unique_email, wait_for_link, Api, Company,
    Method, Person, PASSWORD,
};

/// A catalogue text of the portal, read from the file the browser loads.
fn catalogue(lang: &str, key: &str) -> String {
    let path = format!(
        "{}/../workers/gateway/portal/i18n/{lang}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let texts: Value = serde_json::from_str(&text).unwrap();
    texts[key]
        .as_str()
        .unwrap_or_else(|| panic!("{lang}.json has no {key}"))
        .to_owned()
}

fn en(key: &str) -> String {
    catalogue("en", key)
}

/// Puts a fresh session of `person` into the browser (as the login page would) and opens `path`.
fn sign_in(b: &Browser, person: &Person, path: &str) {
    let login = Api::new().post(
        "/v1/auth/login",
        json!({"email": person.email, "password": PASSWORD}),
        200,
    );
    b.goto("/login");
    b.find("form");
    b.execute(
        "localStorage.clear(); localStorage.setItem('tp.session', JSON.stringify({access: \
         arguments[0].access_token, refresh: arguments[0].refresh_token, user: arguments[0].user, \
         company: arguments[0].company}));",
        vec![login],
    );
    b.goto(path);
}

/// Waits until the page `name` (module.function, e.g. "mailbox.detail") has been drawn.
fn on_page(b: &Browser, name: &str) {
    b.find(&format!("main[data-page={name:?}]:not([aria-busy])"));
}

/// A file named `name` with `bytes` in a directory of its own under the temp dir, for a file
/// input; the directory goes when this is dropped.
struct TempFile {
    dir: std::path::PathBuf,
    path: String,
}

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let dir = std::env::temp_dir().join(format!("tp-portal-{}", unique(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Self {
            path: path.to_string_lossy().into_owned(),
            dir,
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An order file in UBL 2.1, which the mailbox recognises and summarises.
fn ubl_order(number: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>2026-11-23</cbc:IssueDate>
<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:Quantity>5</cbc:Quantity></cac:LineItem></cac:OrderLine>
</Order>"#
    )
    .into_bytes()
}

/// A Peppol BIS Billing 3.0 invoice (UBL 2.1) from `seller` to `buyer` for the buyer's order
/// `order` (cac:OrderReference): two lines at 19 % VAT, 10 × 12.50 and 3 × 49.90, so 274.70 net,
/// 52.19 VAT and 326.89 payable.
fn ubl_invoice(
    number: &str,
    order: &str,
    issued: &str,
    due: &str,
    seller: &str,
    buyer: &str,
) -> Vec<u8> {
    let line = |id: &str, quantity: &str, net: &str, sku: &str, name: &str, price: &str| {
        format!(
            r#"<cac:InvoiceLine><cbc:ID>{id}</cbc:ID>
<cbc:InvoicedQuantity unitCode="C62">{quantity}</cbc:InvoicedQuantity>
<cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
<cac:Item><cbc:Name>{name}</cbc:Name><cac:SellersItemIdentification><cbc:ID>{sku}</cbc:ID></cac:SellersItemIdentification>
<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
<cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>"#
        )
    };
    let party = |endpoint: &str,
                 name: &str,
                 street: &str,
                 city: &str,
                 zip: &str,
                 country: &str,
                 vat: &str| {
        format!(
            r#"<cac:Party><cbc:EndpointID schemeID="0088">{endpoint}</cbc:EndpointID>
<cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName>
<cac:PostalAddress><cbc:StreetName>{street}</cbc:StreetName><cbc:CityName>{city}</cbc:CityName><cbc:PostalZone>{zip}</cbc:PostalZone>
<cac:Country><cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
<cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
<cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party>"#
        )
    };
    let seller = party(
        "4000001000005",
        seller,
        "Hafenstraße 1",
        "Hamburg",
        "20457",
        "DE",
        "DE123456789",
    );
    let buyer = party(
        "5790000435968",
        buyer,
        "ul. Prosta 2",
        "Warszawa",
        "00-850",
        "PL",
        "PL5250001009",
    );
    let first = line("1", "10", "125.00", "FLY-A5", "Flyer A5, 135 g", "12.50");
    let second = line("2", "3", "149.70", "POS-A2", "Poster A2", "49.90");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>{issued}</cbc:IssueDate><cbc:DueDate>{due}</cbc:DueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cbc:BuyerReference>{order}</cbc:BuyerReference>
<cac:OrderReference><cbc:ID>{order}</cbc:ID></cac:OrderReference>
<cac:AccountingSupplierParty>{seller}</cac:AccountingSupplierParty>
<cac:AccountingCustomerParty>{buyer}</cac:AccountingCustomerParty>
<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cbc:PaymentID>{number}</cbc:PaymentID>
<cac:PayeeFinancialAccount><cbc:ID>DE89370400440532013000</cbc:ID>
<cac:FinancialInstitutionBranch><cbc:ID>COBADEFFXXX</cbc:ID></cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount></cac:PaymentMeans>
<cac:PaymentTerms><cbc:Note>30 Tage netto</cbc:Note></cac:PaymentTerms>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">52.19</cbc:TaxAmount>
<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">274.70</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">52.19</cbc:TaxAmount>
<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">274.70</cbc:LineExtensionAmount>
<cbc:TaxExclusiveAmount currencyID="EUR">274.70</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">326.89</cbc:TaxInclusiveAmount>
<cbc:PayableAmount currencyID="EUR">326.89</cbc:PayableAmount></cac:LegalMonetaryTotal>
{first}
{second}
</Invoice>"#
    )
    .into_bytes()
}

/// The invoice `id` once the invoices worker has read it (it reads new invoice documents from a
/// queue): `GET /v1/invoices/{id}` until it answers with a recognition other than `pending`.
fn wait_for_invoice(api: &Api, id: &str) -> Value {
    let path = format!("/v1/invoices/{id}");
    let started = Instant::now();
    loop {
        let reply = api.send(Method::GET, &path, None);
        if reply.status == 200 {
            let invoice = reply.json();
            if invoice["recognition"] != "pending" {
                return invoice;
            }
        }
        assert!(
            started.elapsed() < WAIT,
            "the invoice {id} was not read within {WAIT:?}; the last answer: {} {}",
            reply.status,
            reply.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The supplier attaches a proof (an SVG image the browser can preview) to a document.
fn attach_proof(supplier: &Company, doc_id: &str, filename: &str, colour: &str) -> Value {
    let api = supplier.api();
    let path = format!("/v1/documents/{doc_id}/proofs");
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="{colour}"/></svg>"#
    );
    let request = api
        .raw(Method::POST, &path)
        .header("Content-Type", "image/svg+xml")
        .header("Tradepost-Filename", filename)
        .body(svg);
    api.run(Method::POST, &path, request).expect(201)
}

#[test]
fn the_portal_shell_is_served_for_every_page_path_and_the_api_stays_json() {
    let api = Api::new();
    for path in [
        "/",
        "/documents/doc_x",
        "/confirm?token=lt_x",
        "/reset-password?token=lt_x",
        "/accept-invitation?token=lt_x",
    ] {
        let reply = api.send(Method::GET, path, None);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        assert!(reply.content_type().starts_with("text/html"), "{path}");
        assert!(
            reply
                .text
                .contains(r#"<script type="module" src="/js/app.js">"#),
            "{path}"
        );
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: CSP {csp:?}");
    }
    for (path, kind) in [
        ("/js/app.js", "javascript"),
        ("/app.css", "text/css"),
        ("/i18n/de.json", "json"),
    ] {
        let reply = api.send(Method::GET, path, None);
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply.content_type().contains(kind),
            "{path}: {}",
            reply.content_type()
        );
    }
    api.send(Method::GET, "/v1/no-such-thing", None)
        .expect_problem(404, "not_found");
    let openapi = api.get("/v1/openapi.json", 200);
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    // The served document is the one generated from the route tables at build time.
    let built: serde_json::Value =
        serde_json::from_str(tradepost_gateway::OPENAPI_JSON).expect("the built OpenAPI is JSON");
    assert!(
        openapi == built,
        "the stack serves another OpenAPI document than the route tables of this checkout build \
         (a stale worker build?)"
    );
}

#[test]
fn a_company_signs_up_confirms_and_logs_in_through_the_pages() {
    let b = Browser::start("signup_confirm_login");
    let suffix = unique(8);
    let email = unique_email("portal-signup");
    b.goto("/signup");
    b.fill(
        "input[name=company_name]",
        &format!("Portal Signup {suffix} GmbH"),
    );
    b.fill("input[name=handle]", &format!("portal-{suffix}"));
    b.fill("input[name=name]", "Erika Muster");
    b.fill("input[name=email]", &email);
    b.fill("input[name=password]", PASSWORD);
    b.click("form button[type=submit]");
    b.wait_text("main .notice", &email);

    let token = wait_for_link(&email, "/confirm?token=", 1);
    b.goto(&format!("/confirm?token={token}"));
    b.wait_text("main .notice", &en("confirm.done"));
    b.click("main a.button.primary");
    on_page(&b, "auth.login");
    assert_eq!(b.property("input[name=email]", "value"), json!(email));
    // The keyboard is enough: Enter in the password field logs in.
    b.fill("input[name=password]", &format!("{PASSWORD}\u{E007}"));
    on_page(&b, "dashboard.dashboard");
    assert_eq!(b.text("main h1"), en("dashboard.title"));
    b.wait_text("header .who", "Erika Muster");

    // Logging out ends the session: the dashboard asks for a login again.
    b.click("#logout");
    on_page(&b, "auth.login");
    b.goto("/");
    on_page(&b, "auth.login");
    assert!(b.url().contains("/login?next="), "{}", b.url());
}

#[test]
fn an_api_error_is_shown_next_to_the_field_it_names() {
    let b = Browser::start("api_error_next_to_field");
    b.goto("/signup");
    b.fill("input[name=company_name]", "Broken Handle GmbH");
    b.fill("input[name=handle]", "9 not a handle");
    b.fill("input[name=name]", "Someone");
    b.fill("input[name=email]", &unique_email("portal-error"));
    b.fill("input[name=password]", PASSWORD);
    b.click("form button[type=submit]");
    b.find("input[name=handle][aria-invalid=true]");
    let message = b.text("input[name=handle] + .field-error");
    assert_eq!(message, en("error.invalid_field"));
    // The other fields are not marked, and the form stays filled in.
    assert!(!b.exists("input[name=email][aria-invalid]"));
    assert_eq!(
        b.property("input[name=company_name]", "value"),
        json!("Broken Handle GmbH")
    );
    // A wrong password at login is told on the form, in words from the catalogue.
    b.goto("/login");
    b.fill("input[name=email]", &unique_email("nobody"));
    b.fill("input[name=password]", "wrong-password-1");
    b.click("form button[type=submit]");
    b.wait_text(".form-error", &en("error.invalid_credentials"));
}

#[test]
fn an_expired_access_token_is_renewed_silently() {
    let company = Company::signup_confirmed("Refresher");
    let b = Browser::start("silent_token_refresh");
    sign_in(&b, &company.admin, "/");
    on_page(&b, "dashboard.dashboard");
    let before = b.execute(
        "return JSON.parse(localStorage.getItem('tp.session'))",
        vec![],
    );
    // The access token goes bad (as after 15 minutes); the next page still loads.
    b.execute(
        "const s = JSON.parse(localStorage.getItem('tp.session')); s.access = s.access.slice(0, -6) + 'AAAAAA'; \
         localStorage.setItem('tp.session', JSON.stringify(s));",
        vec![],
    );
    b.goto("/partners");
    on_page(&b, "partners.list");
    assert_eq!(b.text("main h1"), en("partners.title"));
    let after = b.execute(
        "return JSON.parse(localStorage.getItem('tp.session'))",
        vec![],
    );
    assert_ne!(after["access"], before["access"], "a new access token");
    assert_ne!(
        after["refresh"], before["refresh"],
        "the refresh token was rotated"
    );
    Api::new()
        .with_bearer(after["access"].as_str().unwrap())
        .get("/v1/me", 200);
    // A click inside the app after another expiry renews too (no page load in between).
    b.execute(
        "const s = JSON.parse(localStorage.getItem('tp.session')); s.access = 'garbage'; \
         localStorage.setItem('tp.session', JSON.stringify(s));",
        vec![],
    );
    b.click("nav a[href='/mailbox']");
    on_page(&b, "mailbox.list");
    assert_eq!(b.text("main h1"), en("mailbox.title"));
}

#[test]
fn story_the_suppliers_clerk_approves_a_request_and_sets_the_customer_number() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    let rel_id = request(&customer, &supplier);
    let clerk = invite_colleague(&supplier, &["relationships.manage", "documents.receive"]);

    let b = Browser::start("story_clerk_approves_request");
    sign_in(&b, &clerk, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=open_requests] .count", "1");
    b.click("a[data-tile=open_requests]");
    on_page(&b, "partners.list");
    b.click_text("main table a", &customer.name);
    on_page(&b, "partners.detail");
    b.click("#decide .actions button.primary");
    b.wait_text("main .facts", &en("relstatus.active"));

    // A discount over 100 is refused by the API; the message stands beside the discount.
    b.fill("input[name='settings.customer_number']", "K-4711");
    b.fill("input[name='settings.discount_percent']", "150");
    b.click("#customer-settings button[type=submit]");
    b.find("input[name='settings.discount_percent'][aria-invalid=true]");
    b.wait_text(
        "input[name='settings.discount_percent'] + .field-error",
        &en("error.invalid_field"),
    );
    b.fill("input[name='settings.discount_percent']", "12.5");
    b.fill("textarea[name='settings.internal_remark']", "pays late");
    b.click("#customer-settings button[type=submit]");
    b.wait_text("#customer-settings .notice", &en("common.saved"));

    let rel = supplier
        .api()
        .get(&format!("/v1/relationships/{rel_id}"), 200);
    assert_eq!(rel["status"], "active", "{rel}");
    assert_eq!(rel["settings"]["customer_number"], "K-4711", "{rel}");
    assert_eq!(rel["settings"]["discount_percent"], json!(12.5), "{rel}");
    assert_eq!(rel["settings"]["internal_remark"], "pays late", "{rel}");
    let seen = customer
        .api()
        .get(&format!("/v1/relationships/{rel_id}"), 200);
    assert!(seen.get("settings").is_none_or(Value::is_null), "{seen}");

    // The directory now shows the customer as a partner (a link to the relationship instead of
    // a request button), and the clerk's own company as theirs.
    b.goto(&format!("/partners?q={}", customer.handle));
    on_page(&b, "partners.list");
    b.wait_text("#directory-results a.relationship", &en("relstatus.active"));
    let href = b
        .attribute("#directory-results a.relationship", "href")
        .unwrap_or_default();
    assert!(href.ends_with(&format!("/partners/{rel_id}")), "{href}");
    assert!(!b.exists("#directory-results button"));
    // Each hit shows its verified domain (none: its admin's address is at example.com).
    assert!(b
        .text("#directory-results thead")
        .contains(&en("profile.verified_domain")));
    assert!(b.text("#directory-results tbody tr").contains('—'));
    b.goto(&format!("/partners?q={}", supplier.handle));
    on_page(&b, "partners.list");
    b.wait_text("#directory-results td", &en("partners.yours"));
    assert!(!b.exists("#directory-results button"));
}

#[test]
fn story_the_buyer_uploads_an_order_and_sees_its_status_bar_move() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    connect(&customer, &supplier);
    let buyer = invite_colleague(&customer, &["documents.send", "documents.receive"]);
    let number = format!("PO-{}", unique(6));
    let file = TempFile::new(&format!("{number}.xml"), &ubl_order(&number));

    let b = Browser::start("story_buyer_upload_status_bar");
    sign_in(&b, &buyer, "/mailbox");
    on_page(&b, "mailbox.list");
    b.click("main a[href='/mailbox/upload']");
    on_page(&b, "mailbox.upload");
    b.select("select[name=recipient]", &supplier.id);
    b.select("select[name=type]", "order");
    b.fill("input[name=reference]", &number);
    b.fill("input[type=file]", &file.path);
    b.click("form button[type=submit]");
    on_page(&b, "mailbox.detail");
    b.find(".statusbar li.current[data-status=new]");
    let doc_id = b.url().rsplit('/').next().unwrap().to_owned();
    assert!(doc_id.starts_with("doc_"), "{doc_id}");
    // The order was recognised and summarised.
    b.wait_text("main", &number);

    // The supplier's ERP reports: in production, then shipped with a tracking number.
    let erp = supplier.api();
    erp.post(
        &format!("/v1/documents/{doc_id}/status"),
        json!({"status": "in_progress"}),
        200,
    );
    erp.post(
        &format!("/v1/documents/{doc_id}/status"),
        json!({"status": "shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"}),
        200,
    );
    // The page the buyer is looking at moves on by itself.
    b.find(".statusbar li.current[data-status=shipped]");
    b.find(".statusbar li.done[data-status=in_progress]");
    b.wait_text("#history", "1Z999AA10123456784");
    assert!(b
        .text(".statusbar li.current")
        .contains(&en("status.shipped")));

    let doc = customer.api().get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["reference"], json!(number), "{doc}");
    assert_eq!(doc["box"], "outbox", "{doc}");
}

#[test]
fn story_the_buyer_rejects_a_proof_with_a_comment_then_approves_the_next_version() {
    let supplier = Company::signup_confirmed("Printer");
    let customer = Company::signup_confirmed("Customer");
    connect(&customer, &supplier);
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "flyer-order.xml",
        ubl_order("PO-FLYER"),
        &[],
        201,
    );
    let doc_id = order["id"].as_str().unwrap().to_owned();
    let v1 = attach_proof(&supplier, &doc_id, "flyer-v1.svg", "#203040");
    let buyer = invite_colleague(&customer, &["approvals.decide", "documents.send"]);

    let b = Browser::start("story_buyer_rejects_then_approves");
    sign_in(&b, &buyer, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=pending_approvals] .count", "1");
    b.click("a[data-tile=pending_approvals]");
    on_page(&b, "approvals.list");
    b.click_text("main table a", "flyer-v1.svg");
    on_page(&b, "approvals.detail");
    // The proof is previewed from a blob the page fetched with its token.
    let src = b.attribute("#preview img", "src").unwrap_or_default();
    assert!(src.starts_with("blob:"), "{src}");

    // Rejecting needs a comment: the API says so beside the comment field.
    b.click("#reject");
    b.find("textarea[name=comment][aria-invalid=true]");
    b.fill("textarea[name=comment]", "The blue is far too dark.");
    b.click("#reject");
    b.wait_text("main .facts", &en("apstatus.rejected"));
    b.wait_text("main .facts", "The blue is far too dark.");
    assert!(!b.exists("#decide"));

    let v2 = attach_proof(&supplier, &doc_id, "flyer-v2.svg", "#4060a0");
    b.click("nav a[href='/approvals']");
    on_page(&b, "approvals.list");
    b.click_text("main table a", "flyer-v2.svg");
    on_page(&b, "approvals.detail");
    b.wait_text("main h1", "flyer-v2.svg");
    b.fill("textarea[name=comment]", "Looks good now.");
    b.click("#approve");
    b.wait_text("main .facts", &en("apstatus.approved"));
    // The version history lists both, with the first one's rejection.
    b.wait_text("main table", "The blue is far too dark.");

    let api = supplier.api();
    let first = api.get(
        &format!("/v1/approvals/{}", v1["id"].as_str().unwrap()),
        200,
    );
    assert_eq!(first["status"], "rejected", "{first}");
    assert_eq!(
        first["decision"]["comment"], "The blue is far too dark.",
        "{first}"
    );
    let second = api.get(
        &format!("/v1/approvals/{}", v2["id"].as_str().unwrap()),
        200,
    );
    assert_eq!(second["status"], "approved", "{second}");
    assert_eq!(second["decision"]["comment"], "Looks good now.", "{second}");
    assert_eq!(
        second["decision"]["by"]["user_id"],
        json!(buyer.id),
        "{second}"
    );
}

#[test]
fn story_both_sides_talk_in_a_thread() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    connect(&customer, &supplier);
    let buyer = invite_colleague(&customer, &["talk", "documents.send"]);
    let subject = format!("Delivery date {}", unique(5));

    let b = Browser::start("story_thread_between_partners");
    sign_in(&b, &buyer, "/talk");
    on_page(&b, "talk.list");
    b.click("main a[href='/talk/new']");
    on_page(&b, "talk.start");
    b.select("select[name=partner]", &supplier.id);
    b.fill("input[name=subject]", &subject);
    b.fill("textarea[name=text]", "Can you deliver by Friday?");
    b.click("form button[type=submit]");
    on_page(&b, "talk.thread");
    b.wait_text("#messages li.mine", "Can you deliver by Friday?");
    let thread_path = b.url();

    // The supplier's admin sees the thread as unread and answers.
    sign_in(&b, &supplier.admin, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=unread_messages] .count", "1");
    b.click("nav a[href='/talk']");
    on_page(&b, "talk.list");
    b.wait_text("main table", &subject);
    b.find("main table [data-unread='1']");
    b.click_text("main table a", &subject);
    on_page(&b, "talk.thread");
    b.wait_text("#messages li.theirs", "Can you deliver by Friday?");
    b.wait_text("#messages li.theirs .from", &customer.name);
    b.fill("form.reply textarea[name=text]", "Yes, Friday morning.");
    b.click("form.reply button[type=submit]");
    b.wait_text("#messages li.mine", "Yes, Friday morning.");

    // Back to the buyer: the answer is there.
    sign_in(&b, &buyer, &thread_path);
    on_page(&b, "talk.thread");
    b.wait_text("#messages li.theirs", "Yes, Friday morning.");
    let threads = buyer.api.get("/v1/threads", 200);
    assert_eq!(threads["data"][0]["subject"], json!(subject), "{threads}");
    assert_eq!(threads["data"][0]["message_count"], json!(2), "{threads}");
    // Opening the thread marked the answer read (the page tells the API after drawing it).
    b.wait_until("the buyer's unread count to drop to 0", WAIT, || {
        let threads = buyer.api.get("/v1/threads", 200);
        (threads["counts"]["unread_messages"] == json!(0)).then_some(())
    });
}

#[test]
fn story_in_german_the_buyer_acknowledges_a_delivery_note() {
    let supplier = Company::signup_confirmed("Lieferant");
    let customer = Company::signup_confirmed("Kunde");
    connect(&customer, &supplier);
    let buyer = invite_colleague(&customer, &["documents.receive", "documents.send"]);
    buyer.api.patch("/v1/me", json!({"language": "de"}), 200);
    let doc = supplier.api().upload(
        &customer.id,
        "delivery_note",
        "Lieferschein-17.pdf",
        b"%PDF-1.4 delivery note".to_vec(),
        &[],
        201,
    );
    let de = |key: &str| catalogue("de", key);

    let b = Browser::start("story_german_buyer");
    sign_in(&b, &buyer, "/");
    on_page(&b, "dashboard.dashboard");
    assert_eq!(b.text("main h1"), de("dashboard.title"));
    assert_eq!(b.attribute("html", "lang").as_deref(), Some("de"));
    b.wait_text("header nav", &de("nav.mailbox"));
    b.wait_text("a[data-tile=new_documents]", &de("dashboard.new_documents"));
    b.wait_text("a[data-tile=new_documents] .count", "1");
    b.click("a[data-tile=new_documents]");
    on_page(&b, "mailbox.list");
    assert_eq!(b.text("main h1"), de("mailbox.title"));
    b.wait_text("main table", &de("doctype.delivery_note"));
    b.click_text("main table a", "Lieferschein-17.pdf");
    on_page(&b, "mailbox.detail");
    b.wait_text(".statusbar li.current", &de("status.new"));
    b.click_text("main form button[type=submit]", &de("document.ack"));
    b.wait_text(".statusbar li.current", &de("status.imported"));
    let seen = supplier.api().get(
        &format!("/v1/documents/{}", doc["id"].as_str().unwrap()),
        200,
    );
    assert_eq!(seen["status"], "imported", "{seen}");

    // The language switch changes the texts at once and the user's setting with them.
    b.select("#language", "pl");
    b.wait_text("header nav", &catalogue("pl", "nav.mailbox"));
    b.wait_text(".statusbar li.current", &catalogue("pl", "status.imported"));
    assert_eq!(b.attribute("html", "lang").as_deref(), Some("pl"));
    let me = buyer.api.get("/v1/me", 200);
    assert_eq!(me["user"]["language"], "pl", "{me}");
}

#[test]
fn story_the_buyer_reads_an_invoice_disputes_it_and_marks_it_paid() {
    let supplier = Company::signup_confirmed("Lieferant");
    let customer = Company::signup_confirmed("Kunde");
    connect(&customer, &supplier);
    let buyer = invite_colleague(&customer, &["documents.send", "documents.receive", "talk"]);
    buyer.api.patch("/v1/me", json!({"language": "de"}), 200);
    let de = |key: &str| catalogue("de", key);

    // The buyer ordered; the supplier's ERP sends the invoice for that order.
    let order_number = format!("PO-{}", unique(6));
    let order = buyer.api.upload(
        &supplier.id,
        "order",
        &format!("{order_number}.xml"),
        ubl_order(&order_number),
        &[("Tradepost-Reference", &order_number)],
        201,
    );
    let order_id = order["id"].as_str().unwrap().to_owned();
    let invoice_number = format!("RE-{}", unique(6));
    let issued = seconds_ago(0)[..10].to_owned();
    let due = format!("{}-01-31", issued[..4].parse::<i32>().unwrap() + 1);
    let invoice = supplier.api().upload(
        &customer.id,
        "invoice",
        &format!("{invoice_number}.xml"),
        ubl_invoice(
            &invoice_number,
            &order_number,
            &issued,
            &due,
            &supplier.name,
            &customer.name,
        ),
        &[("Content-Type", "application/xml")],
        201,
    );
    let inv_id = invoice["id"].as_str().unwrap().to_owned();
    let read = wait_for_invoice(&buyer.api, &inv_id);
    assert_eq!(read["recognition"], "recognised", "{read}");
    assert_eq!(read["payable"], "326.89", "{read}");
    assert_eq!(read["order"]["id"], json!(order_id), "{read}");

    // In German: the open invoice on the dashboard, in the list with its total, and read.
    let b = Browser::start("story_invoice_dispute_paid");
    sign_in(&b, &buyer, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("header nav", &de("nav.invoices"));
    b.wait_text("a[data-tile=open_invoices]", &de("dashboard.open_invoices"));
    b.wait_text("a[data-tile=open_invoices] .count", "1");
    b.click("a[data-tile=open_invoices]");
    on_page(&b, "invoices.list");
    assert_eq!(b.text("main h1"), de("invoices.title"));
    let row = format!("#invoices tr[data-invoice={inv_id:?}]");
    let shown = b.wait_text(&row, &invoice_number);
    assert!(
        shown.contains("326,89")
            && shown.contains(&supplier.name)
            && shown.contains(&de("invstate.new")),
        "{shown}"
    );
    b.wait_text("#invoice-totals tr[data-currency=EUR]", "326,89");
    b.click(&format!("{row} a"));
    on_page(&b, "invoices.detail");
    b.wait_text(
        "main h1",
        &format!("{} {invoice_number}", de("invkind.invoice")),
    );
    b.find("#invoice[data-state=new] .statusbar li.current[data-state=new]");
    let lines = b.text("#invoice-lines");
    assert!(
        lines.contains("FLY-A5") && lines.contains("Flyer A5") && lines.contains("Poster A2"),
        "{lines}"
    );
    assert!(
        lines.contains("12,50") && lines.contains(&de("unit.C62")) && lines.contains("19 %"),
        "{lines}"
    );
    b.wait_text("#invoice-sums [data-total=payable]", "326,89");
    b.wait_text("#invoice-seller", "DE123456789");
    b.wait_text(
        &format!("#invoice-order a[href='/documents/{order_id}']"),
        &order_number,
    );

    // Receipt confirmed, then disputed: a reason is needed, and it opens a conversation.
    b.click("#invoice-actions [data-action=received]");
    b.find("#invoice[data-state=received]");
    b.click("#invoice-dispute [data-action=dispute]");
    b.find("#invoice-dispute textarea[name=reason][aria-invalid=true]");
    b.wait_text("#invoice-dispute .field-error", &de("error.reason_missing"));
    let reason = "Position 2: vereinbart waren 39,90 € je Poster.";
    b.fill("#invoice-dispute textarea[name=reason]", reason);
    b.click("#invoice-dispute [data-action=dispute]");
    b.find("#invoice[data-state=disputed]");
    b.wait_text(
        ".statusbar li.current[data-state=disputed]",
        &de("invstate.disputed"),
    );
    assert!(!b.exists("#invoice-received") && !b.exists("#invoice-dispute"));
    let thread = b.attribute("#dispute-thread", "href").unwrap_or_default();
    assert!(thread.contains("/talk/thr_"), "{thread}");
    b.click("#dispute-thread");
    on_page(&b, "talk.thread");
    b.wait_text("#messages", reason);

    // Paid after all: the amount the API refuses is marked beside its field; the German
    // "326,89" goes as 326.89.
    b.goto(&format!("/invoices/{inv_id}"));
    on_page(&b, "invoices.detail");
    assert_eq!(
        b.property("#invoice-paid input[name=amount]", "value"),
        json!("326,89")
    );
    b.fill("#invoice-paid input[name=amount]", "zwölf");
    b.click("#invoice-paid [data-action=paid]");
    b.find("#invoice-paid input[name=amount][aria-invalid=true]");
    assert!(b.exists("#invoice[data-state=disputed]"));
    b.fill("#invoice-paid input[name=amount]", "326,89");
    b.fill("#invoice-paid input[name=reference]", "SEPA-4711");
    b.click("#invoice-paid [data-action=paid]");
    b.find("#invoice[data-state=paid]");
    b.wait_text("#invoice .badge.invstate-paid", &de("invstate.paid"));
    let payment = b.wait_text("#invoice-payment", "SEPA-4711");
    assert!(payment.contains("326,89"), "{payment}");
    assert!(
        !b.exists("#invoice-actions"),
        "a paid invoice offers nothing more"
    );
    // And in Polish.
    let pl = |key: &str| catalogue("pl", key);
    b.select("#language", "pl");
    b.wait_text("#invoice .badge.invstate-paid", &pl("invstate.paid"));
    b.wait_text("main h1", &pl("invkind.invoice"));
    b.wait_text("#invoice-lines thead", &pl("line.unit_price"));

    let stored = buyer.api.get(&format!("/v1/invoices/{inv_id}"), 200);
    assert_eq!(stored["state"], "paid", "{stored}");
    assert_eq!(stored["payment"]["amount"], "326.89", "{stored}");
    assert_eq!(stored["payment"]["reference"], "SEPA-4711", "{stored}");
    let steps: Vec<(&str, &str)> = stored["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["state"].as_str().unwrap_or(""),
                e["by"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for state in ["received", "disputed", "paid"] {
        assert!(steps.contains(&(state, "recipient")), "{state}: {stored}");
    }
    let thread_id = stored["thread_id"].as_str().unwrap().to_owned();
    assert!(thread.ends_with(&format!("/talk/{thread_id}")), "{thread}");
    // The supplier reads the reason in the conversation, and sees the invoice paid among those
    // it sent, with nothing to do.
    let messages = supplier
        .api()
        .get(&format!("/v1/threads/{thread_id}/messages"), 200);
    assert!(
        messages["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == reason),
        "{messages}"
    );
    sign_in(&b, &supplier.admin, "/invoices?direction=sent");
    on_page(&b, "invoices.list");
    let shown = b.wait_text(&row, &invoice_number);
    assert!(
        shown.contains(&en("invstate.paid")) && shown.contains(&customer.name),
        "{shown}"
    );
    b.click(&format!("{row} a"));
    on_page(&b, "invoices.detail");
    b.find("#invoice[data-state=paid][data-direction=sent]");
    b.find("#invoice-sender-hint");
    assert!(!b.exists("#invoice-actions"));
    let errors = b.script_errors();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn every_page_draws_for_an_admin_without_a_script_error() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    let rel_id = connect(&customer, &supplier);
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "order-1.xml",
        ubl_order("PO-ALL-PAGES"),
        &[],
        201,
    );
    let doc_id = order["id"].as_str().unwrap().to_owned();
    let proof = attach_proof(&supplier, &doc_id, "proof.svg", "#aa3300");
    let thread = customer.api().post(
        "/v1/threads",
        json!({"partner": supplier.id, "subject": "Hello", "text": "First words", "document_id": doc_id}),
        201,
    );
    supplier
        .api()
        .post("/v1/cards/me/send", json!({"company_id": customer.id}), 200);
    // An invoice that is no e-invoice: its page says so and offers the file.
    let invoice = supplier.api().upload(
        &customer.id,
        "invoice",
        "invoice-1.pdf",
        b"%PDF-1.4 invoice".to_vec(),
        &[],
        201,
    );
    let invoice_id = invoice["id"].as_str().unwrap().to_owned();
    wait_for_invoice(customer.api(), &invoice_id);
    let team = customer
        .api()
        .post("/v1/teams", json!({"name": "Purchasing"}), 201);
    let task = customer.api().post(
        "/v1/tasks",
        json!({"title": "Check the order", "team_id": team["id"], "about": doc_id, "due_on": "2020-01-01"}),
        201,
    );
    let complaint = customer.api().post(
        "/v1/complaints",
        json!({"document_id": doc_id, "reason": "damaged", "description": "Crushed",
               "lines": [{"item": "4711", "quantity": "2"}]}),
        201,
    );
    let complaint_id = complaint["id"].as_str().unwrap().to_owned();
    let asked = customer.api().post(
        "/v1/quote-requests",
        json!({"partner": supplier.id, "title": "Flyers", "lines": [{"item": "Flyer", "quantity": "100"}]}),
        201,
    );
    let asked_id = asked["id"].as_str().unwrap().to_owned();
    supplier.api().post(
        &format!("/v1/quote-requests/{asked_id}/quotes"),
        json!({"currency": "EUR", "valid_until": "2099-01-01", "lines": [{"item": "Flyer", "quantity": "100", "unit_price": "0.5"}]}),
        201,
    );
    let own_catalog = customer.api().post(
        "/v1/catalogs",
        json!({"name": "Our catalog", "currency": "EUR"}),
        201,
    );
    let own_catalog = own_catalog["id"].as_str().unwrap().to_owned();
    let shop = supplier.api().post(
        "/v1/catalogs",
        json!({"name": "Supplier catalog", "currency": "EUR"}),
        201,
    );
    let shop = shop["id"].as_str().unwrap().to_owned();
    supplier.api().put(
        &format!("/v1/catalogs/{shop}/products"),
        json!({"products": [{"sku": "A-1", "name_en": "Alpha", "list_price": "1.50"}]}),
        200,
    );
    supplier.api().put(
        &format!("/v1/catalogs/{shop}/customers/{}", customer.id),
        json!({}),
        200,
    );

    let b = Browser::start("every_page_draws");
    sign_in(&b, &customer.admin, "/");
    let pages = [
        ("/", "dashboard.dashboard"),
        ("/partners", "partners.list"),
        ("/partners?status=active&q=Supplier", "partners.list"),
        (&format!("/partners/{rel_id}"), "partners.detail"),
        ("/mailbox", "mailbox.list"),
        ("/mailbox?box=outbox&type=order", "mailbox.list"),
        (
            &format!("/mailbox/upload?partner={}", supplier.id),
            "mailbox.upload",
        ),
        (&format!("/documents/{doc_id}"), "mailbox.detail"),
        (&format!("/orders/{doc_id}"), "mailbox.order"),
        ("/invoices", "invoices.list"),
        ("/invoices?direction=sent&state=open", "invoices.list"),
        (&format!("/invoices/{invoice_id}"), "invoices.detail"),
        ("/approvals", "approvals.list"),
        ("/approvals?all=1", "approvals.list"),
        (
            &format!("/approvals/{}", proof["id"].as_str().unwrap()),
            "approvals.detail",
        ),
        ("/talk", "talk.list"),
        (&format!("/talk/new?partner={}", supplier.id), "talk.start"),
        (
            &format!("/talk/{}", thread["id"].as_str().unwrap()),
            "talk.thread",
        ),
        // The path the info mail about a message links to.
        (
            &format!("/threads/{}", thread["id"].as_str().unwrap()),
            "talk.thread",
        ),
        ("/contacts", "contacts.contacts"),
        ("/projects", "projects.list"),
        ("/calendar", "calendar.calendar"),
        ("/calendar?view=month", "calendar.calendar"),
        ("/admin/users", "admin.users"),
        (&format!("/admin/users/{}", customer.admin.id), "admin.user"),
        ("/admin/api-keys", "admin.apiKeys"),
        ("/admin/connectors", "admin.connectors"),
        ("/admin/webhooks", "admin.webhooks"),
        ("/admin/audit", "admin.audit"),
        ("/admin/company", "admin.company"),
        (
            "/admin/audit?action=user.invited&since=2026-01-01",
            "admin.audit",
        ),
        ("/settings", "admin.settings"),
        ("/tasks", "tasks.list"),
        ("/tasks?view=team&closed=true", "tasks.list"),
        ("/tasks?view=all", "tasks.list"),
        (
            &format!("/tasks/new?about={doc_id}&label=order-1.xml"),
            "tasks.create",
        ),
        ("/tasks/teams", "tasks.teams"),
        (
            &format!("/tasks/{}", task["id"].as_str().unwrap()),
            "tasks.detail",
        ),
        ("/complaints", "complaints.list"),
        ("/complaints?view=filed", "complaints.list"),
        ("/complaints/new", "complaints.create"),
        (
            &format!("/complaints/new?document={doc_id}"),
            "complaints.create",
        ),
        (&format!("/complaints/{complaint_id}"), "complaints.detail"),
        ("/quotes", "quotes.list"),
        ("/quotes?view=made", "quotes.list"),
        (
            &format!("/quotes/new?partner={}", supplier.id),
            "quotes.create",
        ),
        (&format!("/quotes/{asked_id}"), "quotes.detail"),
        ("/catalogs", "catalog.list"),
        (&format!("/catalogs/{own_catalog}"), "catalog.detail"),
        (&format!("/catalogs/{shop}"), "catalog.detail"),
        ("/catalog-orders", "catalog.orders"),
    ];
    let mut problems = Vec::new();
    for (path, page) in pages {
        b.goto(path);
        on_page(&b, page);
        let h1 = b.text("main h1");
        if h1.is_empty() || h1.contains('.') && !h1.contains(' ') {
            problems.push(format!("{path}: the heading is {h1:?}"));
        }
        if b.exists("main .notice.error") {
            problems.push(format!("{path}: {}", b.text("main .notice.error")));
        }
        for error in b.script_errors() {
            problems.push(format!("{path}: script error {error}"));
        }
    }
    // The supplier's card arrived, with a vCard to download.
    b.goto("/contacts");
    b.wait_text(
        "main table",
        supplier.admin.login["user"]["name"].as_str().unwrap(),
    );
    // An unknown page says so, in the portal's words.
    b.goto("/no/such/page");
    b.wait_text("main h1", &en("notfound.title"));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn in_polish_an_admin_resends_an_invitation_and_reads_the_audit_log() {
    let company = Company::signup_confirmed("Dziennik");
    company
        .api()
        .patch("/v1/me", json!({"language": "pl"}), 200);
    let pl = |key: &str| catalogue("pl", key);
    let email = unique_email("zaproszona");
    let invited = company.api().post(
        "/v1/users",
        json!({"email": email, "name": "Zofia Zaproszona", "permissions": ["talk"]}),
        201,
    );
    let id = invited["id"].as_str().unwrap().to_owned();
    wait_for_link(&email, "/accept-invitation?token=", 1);

    let b = Browser::start("audit_log_polish");
    sign_in(&b, &company.admin, &format!("/admin/users/{id}"));
    on_page(&b, "admin.user");
    b.click_text("main button", &pl("admin.resend_invitation"));
    b.wait_text("main .notice", &pl("admin.invitation_resent"));
    wait_for_link(&email, "/accept-invitation?token=", 2);
    // The invitation is revoked (the access deleted) by the API; the log shows all three.
    company.api().delete(&format!("/v1/users/{id}"), 204);

    b.goto("/admin/audit");
    on_page(&b, "admin.audit");
    assert_eq!(b.text("main h1"), pl("admin.audit"));
    let table = b.wait_text("main table", &pl("audit.user.invitation_resent"));
    for key in ["audit.user.invited", "audit.user.deleted"] {
        assert!(table.contains(&pl(key)), "{key}: {table}");
    }
    assert!(table.contains(&pl("former_user")), "{table}");
    assert!(!table.contains("Zofia"), "erased: {table}");
    // Filtered to one action.
    b.select("select[name=action]", "user.deleted");
    b.click("main form button[type=submit]");
    on_page(&b, "admin.audit");
    b.wait_until(
        "only the deletion",
        std::time::Duration::from_secs(10),
        || (b.find_all("main table tbody tr").len() == 1).then_some(()),
    );
    assert!(b.text("main table").contains(&pl("audit.user.deleted")));
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());
}

#[test]
fn a_person_of_two_companies_switches_in_the_header_and_registers_a_third() {
    let home = Company::signup_confirmed("Schalterheim");
    let client = Company::signup_confirmed("Schalterkunde");
    client.api().post(
        "/v1/users",
        json!({"email": home.admin.email, "name": "Ada", "permissions": ["talk"]}),
        201,
    );
    let token = wait_for_link(&home.admin.email, "/accept-invitation?token=", 1);
    Api::new().post(
        "/v1/auth/accept-invitation",
        json!({"token": token, "password": PASSWORD}),
        201,
    );

    let b = Browser::start("company_switcher");
    sign_in(&b, &home.admin, "/");
    on_page(&b, "dashboard.dashboard");
    b.find("#company-switch");
    assert_eq!(b.find_all("#company-switch option").len(), 2);
    b.select("#company-switch", &client.id);
    b.wait_until("the client's session", WAIT, || {
        let s = b.execute(
            "return JSON.parse(localStorage.getItem('tp.session')).company.id",
            vec![],
        );
        (s == json!(client.id)).then_some(())
    });
    // The header drawn anew for the client's session: a member who may only talk, so no
    // administration tab.
    b.wait_until("the client's header", WAIT, || {
        let value = b.execute(
            "return document.querySelector('#company-switch')?.value",
            vec![],
        );
        (value == json!(client.id) && b.find_all("nav a[href='/admin/users']").is_empty())
            .then_some(())
    });
    on_page(&b, "dashboard.dashboard");

    b.goto("/settings");
    on_page(&b, "admin.settings");
    let section = b.wait_text("#companies", &client.name);
    assert!(section.contains(&home.name), "{section}");
    let handle = format!("drittfirma-{}", unique(6));
    b.fill("#companies input[name=company_name]", "Drittfirma");
    b.fill("#companies input[name=handle]", &handle);
    b.click("#companies button[type=submit]");
    on_page(&b, "dashboard.dashboard");
    b.wait_until("three companies", WAIT, || {
        (b.find_all("#company-switch option").len() == 3).then_some(())
    });
    assert!(b.text("#company-switch").contains("Drittfirma"));
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());
}

#[test]
fn in_german_an_admin_sets_the_companys_own_mail_opening_checked_beside_the_field() {
    let company = Company::signup_confirmed("Anredeseite");
    company
        .api()
        .patch("/v1/me", json!({"language": "de"}), 200);
    let de = |key: &str| catalogue("de", key);
    let b = Browser::start("mail_openings_german");
    sign_in(&b, &company.admin, "/admin/mail");
    on_page(&b, "admin.mailOpenings");
    assert_eq!(b.text("main h1"), de("admin.mail"));
    assert!(b.text("main").contains(&de("openings.none")));
    b.select("select[name=template]", "approval_requested");
    b.select("select[name=language]", "de");
    b.fill("textarea[name=text]", "Hallo {name},");
    b.click("main form button[type=submit]");
    b.wait_text("main .field-error", &de("error.invalid_field"));
    b.fill(
        "textarea[name=text]",
        "Guten Tag,\n\nbitte prüfen Sie den Entwurf von {company}.",
    );
    b.click("main form button[type=submit]");
    let table = b.wait_text("main table", "bitte prüfen Sie den Entwurf");
    assert!(table.contains(&de("mailtpl.approval_requested")), "{table}");
    let stored = company.api().get("/v1/company/mail-openings", 200);
    assert_eq!(
        stored["data"][0]["template"], "approval_requested",
        "{stored}"
    );
    assert_eq!(stored["data"][0]["language"], "de", "{stored}");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());
}

#[test]
fn in_german_a_supplier_keeps_its_profile_and_its_customer_sees_who_is_who() {
    let supplier = Company::signup_confirmed("Profilseite");
    let customer = Company::signup_confirmed("Profilleser");
    let rel_id = connect(&customer, &supplier);
    supplier
        .api()
        .patch("/v1/me", json!({"language": "de"}), 200);
    let de = |key: &str| catalogue("de", key);

    let b = Browser::start("company_profile_german");
    sign_in(&b, &supplier.admin, "/admin/company");
    on_page(&b, "admin.company");
    assert_eq!(b.text("main h1"), de("admin.company"));
    b.fill("input[name=legal_name]", "Profilseite Druck GmbH & Co. KG");
    b.fill("input[name=vat_id]", "DE 136 695 976");
    b.fill(
        "textarea[name=branches]",
        "Werk Süd; Industriestr. 4; 80331; München; DE",
    );
    b.fill("textarea[name=identifiers]", "0088:7300010000001");
    b.click("main form button[type=submit]");
    b.wait_text("main .notice", &de("common.saved"));
    let stored = supplier.api().get("/v1/company", 200);
    assert_eq!(stored["vat_id"], "DE136695976", "{stored}");
    assert_eq!(
        stored["places"]["branches"][0]["city"], "München",
        "{stored}"
    );
    // A wrong identifier is named beside its field.
    b.fill("textarea[name=identifiers]", "0088:123");
    b.click("main form button[type=submit]");
    b.wait_text("main .field-error", &de("error.invalid_field"));
    assert_eq!(
        b.attribute("textarea[name=identifiers]", "aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    let c = Browser::start("who_is_who_customer");
    sign_in(&c, &customer.admin, &format!("/partners/{rel_id}"));
    on_page(&c, "partners.detail");
    let who = c.wait_text("#who-is-who", "DE136695976");
    assert!(who.contains(&en("profile.vat_ok")), "{who}");
    assert!(who.contains("0088:7300010000001"), "{who}");
    assert!(who.contains("Werk Süd"), "{who}");
    assert!(c.script_errors().is_empty(), "{:?}", c.script_errors());
}

#[test]
fn an_admin_creates_an_api_key_and_sees_it_once() {
    let company = Company::signup_confirmed("Keys");
    let b = Browser::start("api_key_shown_once");
    sign_in(&b, &company.admin, "/admin/api-keys");
    on_page(&b, "admin.apiKeys");
    b.fill("input[name=name]", "ERP import");
    b.click("form button[type=submit]");
    let key = b.text("#new-key #secret");
    assert!(key.starts_with("tp_"), "{key}");
    // The key works, and the list shows only its prefix.
    let me = Api::new().with_bearer(&key).get("/v1/me", 200);
    assert_eq!(me["kind"], "api_key", "{me}");
    b.goto("/admin/api-keys");
    on_page(&b, "admin.apiKeys");
    b.wait_text("main table", "ERP import");
    assert!(!b.page_text().contains(&key), "the key is shown only once");
}

#[test]
fn an_admin_adds_a_webhook_endpoint_and_sees_its_secret_once() {
    let company = Company::signup_confirmed("Hooks");
    let b = Browser::start("webhook_endpoint");
    sign_in(&b, &company.admin, "/admin/webhooks");
    on_page(&b, "admin.webhooks");
    let url = format!("http://127.0.0.1:9/portal-{}", unique(6));
    b.fill("input[name=url]", &url);
    b.fill("input[name=description]", "ERP receiver");
    b.click("form button[type=submit]");
    let secret = b.text("#new-secret #secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let hooks = company.api().get("/v1/webhooks", 200);
    assert_eq!(hooks["data"][0]["url"], json!(url), "{hooks}");
    b.goto("/admin/webhooks");
    on_page(&b, "admin.webhooks");
    b.click_text("main table a", &url);
    on_page(&b, "admin.webhook");
    assert!(
        !b.page_text().contains(&secret),
        "the secret is shown only once"
    );
    b.click_text("main .actions button", &en("webhook.ping"));
    b.wait_text("main .notice", &en("webhook.pinged"));
}

/// The time `secs` seconds ago as RFC 3339 UTC (days from the civil calendar; no date crate).
fn seconds_ago(secs: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - secs;
    let days = i64::try_from(now / 86_400).unwrap();
    let rem = now % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[test]
fn an_admin_steers_the_erp_connector_in_the_connectors_tab() {
    let company = Company::signup_confirmed("Connector");
    // The connector program registers itself with an API key of the company and reports a run
    // that failed.
    let key = api_key(&company, &["documents.send", "documents.receive"]);
    let registered = key.api.post(
        "/v1/connectors",
        json!({"name": "ERP Hamburg", "host": "erp01", "version": "0.1.0", "operations": [
            {"operation": "send", "interval_secs": 60},
            {"operation": "fetch", "interval_secs": 300},
            {"operation": "status", "interval_secs": 600},
        ]}),
        201,
    );
    let id = registered["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cnr_"), "{registered}");
    key.api.post(
        &format!("/v1/connectors/{id}/runs"),
        json!({"operation": "fetch", "started_at": seconds_ago(90), "finished_at": seconds_ago(30),
               "files": 3, "errors": 1, "message": "erp-import exited with 2"}),
        201,
    );

    let b = Browser::start("connectors_tab");
    sign_in(&b, &company.admin, "/admin/api-keys");
    on_page(&b, "admin.apiKeys");
    // The tab sits beside the API keys.
    b.click("nav.tabs a[href='/admin/connectors']");
    on_page(&b, "admin.connectors");
    assert_eq!(b.text("main h1"), en("admin.connectors"));
    let c = format!("section.connector[data-connector={id:?}]");
    b.wait_text(&format!("{c} h2"), "ERP Hamburg");
    let facts = b.text(&format!("{c} .facts"));
    assert!(
        facts.contains("erp01") && facts.contains("0.1.0"),
        "{facts}"
    );
    let send = format!("{c} tr[data-operation=send]");
    let fetch = format!("{c} tr[data-operation=fetch]");
    let status = format!("{c} tr[data-operation=status]");
    assert_eq!(b.text(&format!("{fetch} th")), en("connop.fetch"));
    // The failed run: highlighted on its operation's row and in the recent runs.
    b.wait_text(
        &format!("{fetch} td.last-run.has-errors"),
        "erp-import exited with 2",
    );
    b.wait_text(
        &format!("{c} table.runs tr.run.has-errors[data-operation=fetch]"),
        "erp-import exited with 2",
    );

    // An interval that is no hh:mm:ss is refused by the API; the message stands beside it.
    b.fill(&format!("{fetch} input[name=interval]"), "2 minutes");
    b.click(&format!("{fetch} [data-control=save-interval]"));
    b.find(&format!("{fetch} input[name=interval][aria-invalid=true]"));
    let message = b.text(&format!("{fetch} input[name=interval] + .field-error"));
    assert!(
        !message.is_empty(),
        "the refusal should be told beside the interval"
    );
    // Fetch every two minutes.
    b.fill(&format!("{fetch} input[name=interval]"), "00:02:00");
    b.click(&format!("{fetch} [data-control=save-interval]"));
    b.find(&format!("{fetch}[data-interval-secs=\"120\"]"));
    b.wait_text(
        &format!("{c} .notice[data-operation=fetch]"),
        &en("connop.fetch"),
    );
    assert!(!b.exists(&format!("{fetch} .field-error")));
    // Send: run now.
    b.click(&format!("{send} [data-control=run-now]"));
    b.wait_text(
        &format!("{c} .notice[data-operation=send]"),
        &en("connop.send"),
    );
    b.find(&format!("{send}[data-run-at]"));
    // Status: switched off.
    b.find(&format!("{status}[data-enabled=true]"));
    b.click(&format!("{status} input[data-control=enabled]"));
    b.find(&format!("{status}[data-enabled=false]"));
    b.wait_text(
        &format!("{c} .notice[data-operation=status]"),
        &en("connop.status"),
    );
    assert_eq!(
        b.property(&format!("{status} input[data-control=enabled]"), "checked"),
        json!(false)
    );

    // What the connector reads back.
    let seen = key.api.get(&format!("/v1/connectors/{id}"), 200);
    let op = |name: &str| {
        seen["operations"]
            .as_array()
            .and_then(|ops| ops.iter().find(|o| o["operation"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no operation {name} in {seen}"))
    };
    assert_eq!(op("fetch")["interval_secs"], json!(120), "{seen}");
    assert_eq!(op("fetch")["interval"], "00:02:00", "{seen}");
    assert!(op("send")["run_at"].is_string(), "{seen}");
    assert_eq!(op("status")["enabled"], json!(false), "{seen}");
    // Nothing else changed.
    assert_eq!(op("send")["interval_secs"], json!(60), "{seen}");
    assert_eq!(op("status")["interval_secs"], json!(600), "{seen}");
    assert_eq!(op("fetch")["enabled"], json!(true), "{seen}");

    // The tab in German and in Polish.
    for lang in ["de", "pl"] {
        let text = |key: &str| catalogue(lang, key);
        b.select("#language", lang);
        b.wait_text("main h1", &text("admin.connectors"));
        assert_eq!(b.attribute("html", "lang").as_deref(), Some(lang));
        b.wait_text("nav.tabs", &text("admin.api_keys"));
        b.wait_text(&format!("{fetch} th"), &text("connop.fetch"));
        b.wait_text(&format!("{status} th"), &text("connop.status"));
        let heads = b.text(&format!("{c} table.operations thead"));
        for key in [
            "connector.operation",
            "connector.interval",
            "connector.last_run",
        ] {
            assert!(heads.contains(&text(key)), "{lang}: {key} in {heads:?}");
        }
        b.wait_text(
            &format!("{send} [data-control=run-now]"),
            &text("connector.run_now"),
        );
        b.wait_text(
            &format!("{fetch} td.last-run"),
            &text("connector.counts")
                .replace("{files}", "3")
                .replace("{errors}", "1"),
        );
        b.wait_text(
            &format!("{c} [data-control=remove]"),
            &text("connector.remove"),
        );
    }

    // Removed after a confirmation (in Polish now): the empty page says how to register one.
    b.execute(
        "window.confirm = (question) => { window.tpAsked = question; return true; };",
        vec![],
    );
    b.click(&format!("{c} [data-control=remove]"));
    b.wait_text("#connectors-empty", &catalogue("pl", "connector.none"));
    b.wait_text("#connectors-empty", "tradepost sync");
    let asked = b.execute("return window.tpAsked", vec![]);
    assert!(
        asked.as_str().is_some_and(|q| q.contains("ERP Hamburg")),
        "{asked}"
    );
    let list = company.api().get("/v1/connectors", 200);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != json!(id)),
        "{list}"
    );
    let errors = b.script_errors();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_big_file_goes_up_in_parts_with_a_progress_bar() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    connect(&customer, &supplier);
    // 20 MiB with the multipart threshold lowered to 1 MiB: two parts (16 MiB and 4 MiB), the
    // path a file over 100 MiB takes.
    let bytes = tradepost_e2e::pseudo_random_bytes(20 * tradepost_e2e::MIB, 7);
    let file = TempFile::new("artwork.tif", &bytes);

    let b = Browser::start("multipart_upload");
    sign_in(&b, &customer.admin, "/mailbox");
    on_page(&b, "mailbox.list");
    b.execute(
        "localStorage.setItem('tp.multipart_over', String(1024 * 1024))",
        vec![],
    );
    b.goto(&format!(
        "/mailbox/upload?partner={}&type=other",
        supplier.id
    ));
    on_page(&b, "mailbox.upload");
    b.fill("input[type=file]", &file.path);
    b.wait_text(".dropzone", "artwork.tif");
    // Record the requests the page sends and the values its progress bar shows.
    b.execute(
        "window.tpCalls = []; window.tpProgress = [];
         const open = XMLHttpRequest.prototype.open;
         XMLHttpRequest.prototype.open = function (m, u) { window.tpCalls.push(m + ' ' + u); return open.apply(this, arguments); };
         const bar = document.getElementById('upload-progress');
         new MutationObserver(() => window.tpProgress.push(Number(bar.value)))
           .observe(bar, { attributes: true, attributeFilter: ['value', 'hidden'] });",
        vec![],
    );
    b.click("form button[type=submit]");
    on_page(&b, "mailbox.detail");
    let doc_id = b.url().rsplit('/').next().unwrap().to_owned();
    let calls = b.execute("return window.tpCalls", vec![]);
    let calls: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].starts_with("PUT /v1/uploads/upl_") && calls[0].ends_with("/parts/1"));
    assert!(calls[1].ends_with("/parts/2"), "{calls:?}");
    let progress = b.execute("return window.tpProgress", vec![]);
    let progress: Vec<f64> = progress
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        progress.iter().any(|v| *v > 0.0 && *v < 100.0) && progress.last() == Some(&100.0),
        "the bar should move up to 100: {progress:?}"
    );
    let doc = customer.api().get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["size"], json!(bytes.len()), "{doc}");
    assert_eq!(
        doc["sha256"],
        json!(tradepost_e2e::sha256_hex(&bytes)),
        "{doc}"
    );
}

#[test]
fn a_colleague_accepts_the_invitation_and_later_resets_the_password_through_the_pages() {
    let company = Company::signup_confirmed("Team");
    let email = unique_email("portal-colleague");
    company.api().post(
        "/v1/users",
        json!({"email": email, "name": "Jan Kowalski", "permissions": ["talk"]}),
        201,
    );
    let token = wait_for_link(&email, "/accept-invitation?token=", 1);

    let b = Browser::start("accept_invitation_and_reset");
    b.goto(&format!("/accept-invitation?token={token}"));
    on_page(&b, "auth.accept");
    b.fill("input[name=password]", PASSWORD);
    b.click("form button[type=submit]");
    on_page(&b, "auth.login");
    b.wait_text("main .notice", &en("login.done.accepted"));
    assert_eq!(b.property("input[name=email]", "value"), json!(email));

    // Forgotten password: the mail's link opens the portal's page for a new one.
    b.click("main a[href='/forgot-password']");
    on_page(&b, "auth.forgot");
    b.fill("input[name=email]", &email);
    b.click("form button[type=submit]");
    b.wait_text("main .notice", &en("forgot.sent"));
    let token = wait_for_link(&email, "/reset-password?token=", 1);
    b.goto(&format!("/reset-password?token={token}"));
    on_page(&b, "auth.reset");
    let new_password = format!("{PASSWORD}-{}", unique(4));
    b.fill("input[name=password]", &new_password);
    b.click("form button[type=submit]");
    on_page(&b, "auth.login");
    b.wait_text("main .notice", &en("login.done.reset"));
    b.fill("input[name=password]", &format!("{new_password}\u{E007}"));
    on_page(&b, "dashboard.dashboard");
    b.wait_text("header .who", "Jan Kowalski");
    // A used link is told in words, not as an error page.
    b.goto(&format!("/reset-password?token={token}"));
    on_page(&b, "auth.reset");
    b.fill("input[name=password]", &new_password);
    b.click("form button[type=submit]");
    b.wait_text(".form-error", &en("error.link_invalid"));
}

#[test]
fn a_file_dropped_on_the_upload_page_is_sent() {
    let supplier = Company::signup_confirmed("Supplier");
    let customer = Company::signup_confirmed("Customer");
    connect(&customer, &supplier);
    let b = Browser::start("drop_upload");
    sign_in(
        &b,
        &customer.admin,
        &format!("/mailbox/upload?partner={}&type=rfq", supplier.id),
    );
    on_page(&b, "mailbox.upload");
    // What a drag from the desktop delivers: a drop event carrying the file.
    b.execute(
        "const dt = new DataTransfer();
         dt.items.add(new File(['Please quote 500 flyers.'], 'anfrage.txt', { type: 'text/plain' }));
         document.querySelector('.dropzone').dispatchEvent(
           new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));",
        vec![],
    );
    b.wait_text(".dropzone", "anfrage.txt");
    b.click("form button[type=submit]");
    on_page(&b, "mailbox.detail");
    b.wait_text("main h1", "anfrage.txt");
    let doc_id = b.url().rsplit('/').next().unwrap().to_owned();
    let doc = supplier.api().get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["type"], "rfq", "{doc}");
    assert_eq!(doc["content_type"], "text/plain", "{doc}");
    assert_eq!(
        doc["size"],
        json!("Please quote 500 flyers.".len()),
        "{doc}"
    );
}

/// Sets the value of a date or time input as a person's picker would (typed keys depend on the
/// browser's locale for these inputs) and tells the page.
fn set_value(b: &Browser, css: &str, value: &str) {
    b.find(css);
    b.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1];
         e.dispatchEvent(new Event('input', {bubbles: true}));
         e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(value)],
    );
    assert_eq!(b.property(css, "value"), json!(value), "{css}");
}

/// The path (with query) of a URL the API handed out, to fetch it from the stack under test.
fn path_of(url: &str) -> String {
    if url.starts_with('/') {
        return url.to_owned();
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned())
}

#[test]
fn story_an_agency_plans_an_appointment_the_customer_proposed_and_both_see_it_in_the_calendar() {
    let supplier = Company::signup_confirmed("Agency");
    let customer = Company::signup_confirmed("Retailer");
    let rel_id = connect(&customer, &supplier);
    // Appointments are a service of their own: the customer asks for it, the agency enables it.
    let asked = customer.api().patch(
        &format!("/v1/relationships/{rel_id}"),
        json!({"services": {"appointments": "requested"}}),
        200,
    );
    assert_eq!(asked["services"]["appointments"], "requested", "{asked}");
    let enabled = supplier.api().patch(
        &format!("/v1/relationships/{rel_id}"),
        json!({"services": {"appointments": "enabled"}}),
        200,
    );
    assert_eq!(enabled["services"]["appointments"], "enabled", "{enabled}");
    // The customer's store manager, a member without special permissions.
    let contact = invite_colleague(&customer, &["talk"]);
    let contact_name = contact.login["user"]["name"].as_str().unwrap().to_owned();
    // A day in July next year: summer time in Berlin (UTC+2), whatever the season the test runs
    // in, so a time converted with today's offset would be an hour off.
    let year: i32 = seconds_ago(0)[..4].parse::<i32>().unwrap() + 1;
    let day = format!("{year}-07-15");
    let staff_email = format!("tomasz-{}@agency.example", unique(6));
    let staff_phone = "+49 40 5550123";

    // The agency's admin: project, territory, location, staff member, contact.
    let b = Browser::start("appointments_story");
    sign_in(&b, &supplier.admin, "/");
    on_page(&b, "dashboard.dashboard");
    b.click("header nav a[href='/projects']");
    on_page(&b, "projects.list");
    b.select("#new-project select[name=customer]", &customer.id);
    b.fill("#new-project input[name=name]", "Summer tasting");
    set_value(
        &b,
        "#new-project input[name=starts_on]",
        &format!("{year}-07-01"),
    );
    set_value(
        &b,
        "#new-project input[name=ends_on]",
        &format!("{year}-07-31"),
    );
    b.fill(
        "#new-project textarea[name=description]",
        "Tastings in the stores",
    );
    b.click("#new-project button[type=submit]");
    on_page(&b, "projects.detail");
    b.wait_text("main h1", "Summer tasting");
    let project_id = b.url().rsplit('/').next().unwrap().to_owned();
    assert!(project_id.starts_with("prj_"), "{project_id}");

    b.fill("#territories input[name=name]", "North");
    b.click("#territories button[type=submit]");
    b.wait_text("#territories li[data-territory]", "North");
    let territory = b
        .attribute("#territories li[data-territory]", "data-territory")
        .unwrap();
    assert!(territory.starts_with("ter_"), "{territory}");

    b.find(&format!(
        "#locations select[name=territory_id] option[value={territory:?}]"
    ));
    b.fill("#locations input[name=name]", "Store Altona");
    b.fill("#locations input[name=street]", "Große Bergstraße 1");
    b.fill("#locations input[name=postal_code]", "22767");
    b.fill("#locations input[name=city]", "Hamburg");
    b.fill("#locations input[name=country]", "DE");
    b.select("#locations select[name=time_zone]", "Europe/Berlin");
    b.select("#locations select[name=territory_id]", &territory);
    b.click("#locations button[type=submit]");
    b.wait_text(
        "#locations tr[data-location][data-time-zone='Europe/Berlin']",
        "Store Altona",
    );
    let location = supplier
        .api()
        .get(&format!("/v1/locations?customer={}", customer.id), 200);
    assert_eq!(
        location["data"][0]["territory_id"],
        json!(territory),
        "{location}"
    );
    assert_eq!(
        location["data"][0]["time_zone"], "Europe/Berlin",
        "{location}"
    );

    b.fill("#contacts input[name=email]", &contact.email);
    b.click(&format!(
        "#contacts input[name=territory_ids][value={territory:?}]"
    ));
    b.click("#contacts button[type=submit]");
    let row = b.wait_text(
        &format!("#contacts tr[data-contact={:?}]", contact.id),
        &contact_name,
    );
    assert!(
        row.contains("North") && row.contains(&contact.email),
        "{row}"
    );

    // The agency's staff: a page of its own, linked from the project.
    b.click("main a[href='/staff']");
    on_page(&b, "projects.staff");
    b.fill("#new-staff input[name=name]", "Tomasz Nowak");
    b.fill("#new-staff input[name=role]", "Promoter");
    b.fill("#new-staff input[name=email]", &staff_email);
    b.fill("#new-staff input[name=phone]", staff_phone);
    b.click("#new-staff button[type=submit]");
    b.wait_text("#staff-list tr[data-staff]", "Tomasz Nowak");
    let staff_id = b
        .attribute("#staff-list tr[data-staff]", "data-staff")
        .unwrap();

    // The contact proposes an appointment, the times typed as the store's clocks show them.
    sign_in(&b, &contact, "/");
    on_page(&b, "dashboard.dashboard");
    b.click("header nav a[href='/projects']");
    on_page(&b, "projects.list");
    b.click(&format!("main a[data-project={project_id:?}]"));
    on_page(&b, "projects.detail");
    b.wait_text("#plan h2", &en("appointment.propose"));
    b.wait_text("#plan-zone", "Europe/Berlin");
    set_value(&b, "#plan input[name=date]", &day);
    set_value(&b, "#plan input[name=starts_at]", "09:30");
    set_value(&b, "#plan input[name=ends_at]", "12:00");
    b.fill("#plan input[name=title]", "Cheese tasting");
    b.fill("#plan textarea[name=note]", "Please bring a fridge");
    b.click("#plan button[type=submit]");
    on_page(&b, "projects.appointment");
    b.find("#appointment[data-status=proposed]");
    let apt_id = b.url().rsplit('/').next().unwrap().to_owned();
    assert!(apt_id.starts_with("apt_"), "{apt_id}");
    let stored = supplier
        .api()
        .get(&format!("/v1/appointments/{apt_id}"), 200);
    assert_eq!(stored["status"], "proposed", "{stored}");
    // 09:30 in Hamburg in July is 07:30 UTC.
    let starts = stored["starts_at"].as_str().unwrap_or_default();
    assert!(
        [
            format!("{day}T07:30:00Z"),
            format!("{day}T07:30:00.000Z"),
            format!("{day}T09:30:00+02:00"),
        ]
        .iter()
        .any(|s| s == starts),
        "{stored}"
    );
    assert_eq!(stored["time_zone"], "Europe/Berlin", "{stored}");

    // The agency confirms and sends the promoter.
    sign_in(&b, &supplier.admin, &format!("/appointments/{apt_id}"));
    on_page(&b, "projects.appointment");
    b.click("#apt-actions [data-action=confirm]");
    b.find("#appointment[data-status=confirmed]");
    b.click(&format!(
        "#apt-actions input[name=staff_ids][value={staff_id:?}]"
    ));
    b.click("#apt-actions [data-action=staff]");
    b.find("#appointment[data-status=staffed]");
    b.wait_text("#apt-staff", &staff_email);

    // The contact's calendar: the week of the appointment, at the store's time, with who comes
    // and in what role, but neither their e-mail address nor their phone number.
    sign_in(&b, &contact, &format!("/calendar?view=week&date={day}"));
    on_page(&b, "calendar.calendar");
    let event = format!(
        "#calendar[data-view=week] [data-day={day:?}] a.event[data-appointment={apt_id:?}]"
    );
    let shown = b.wait_text(&event, "Tomasz Nowak");
    assert!(
        shown.contains("Promoter") && shown.contains("09:30") && shown.contains("Cheese tasting"),
        "{shown}"
    );
    assert_eq!(
        b.attribute(&event, "data-status").as_deref(),
        Some("staffed")
    );
    assert_eq!(
        b.attribute(&event, "data-zone").as_deref(),
        Some("Europe/Berlin")
    );
    let page = b.page_text();
    assert!(
        !page.contains(&staff_email) && !page.contains("5550123"),
        "the customer must not see the staff's contact details: {page}"
    );
    // The month view, and the appointment behind the entry.
    b.click("#cal-view a[data-view=month]");
    b.find(&format!(
        "#calendar[data-view=month] [data-day={day:?}] a.event[data-appointment={apt_id:?}]"
    ));
    b.click(&format!("#calendar a.event[data-appointment={apt_id:?}]"));
    on_page(&b, "projects.appointment");
    b.wait_text("#apt-staff", "Promoter");
    let page = b.page_text();
    assert!(
        !page.contains(&staff_email) && !page.contains("5550123"),
        "{page}"
    );

    // A calendar feed: its address is shown once and works without a login.
    b.goto(&format!("/calendar?view=week&date={day}"));
    on_page(&b, "calendar.calendar");
    b.click("#feed-create button[type=submit]");
    let url = b.text("#feed-url");
    assert!(!url.is_empty(), "the feed's address should be shown");
    b.find("#feed-list tr[data-feed][data-revoked=false]");
    let api = Api::new();
    let path = path_of(&url);
    let feed = api.run(Method::GET, &path, api.raw(Method::GET, &path));
    assert_eq!(feed.status, 200, "{url}: {}", feed.text);
    assert!(
        feed.content_type().starts_with("text/calendar"),
        "{}",
        feed.content_type()
    );
    let ics = feed.text.replace("\r\n ", "").replace("\r\n\t", "");
    let compact_day = day.replace('-', "");
    assert!(ics.contains("BEGIN:VEVENT"), "{ics}");
    assert!(
        ics.contains(&format!("DTSTART;TZID=Europe/Berlin:{compact_day}T093000")),
        "{ics}"
    );
    assert!(
        !ics.contains(&staff_email) && !ics.contains("5550123"),
        "{ics}"
    );

    // The calendar in German and in Polish.
    for lang in ["de", "pl"] {
        let text = |key: &str| catalogue(lang, key);
        b.select("#language", lang);
        b.wait_text("main h1", &text("calendar.title"));
        assert_eq!(b.attribute("html", "lang").as_deref(), Some(lang));
        b.wait_text("header nav", &text("nav.projects"));
        b.wait_text("header nav", &text("nav.calendar"));
        b.wait_text("#cal-view a[data-view=week]", &text("calendar.week"));
        b.wait_text("#cal-view a[data-view=month]", &text("calendar.month"));
        b.wait_text("#cal-today", &text("calendar.today"));
        b.wait_text("#cal-next", &text("calendar.next_week"));
        b.wait_text(&event, &text("aptstatus.staffed"));
        b.wait_text("#feeds h2", &text("feed.title"));
        b.wait_text("#feed-create button[type=submit]", &text("feed.create"));
    }
    let errors = b.script_errors();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn in_german_a_task_about_an_order_goes_to_a_team_and_a_clerk_takes_it() {
    let supplier = Company::signup_confirmed("Druckerei");
    let customer = Company::signup_confirmed("Buchladen");
    connect(&customer, &supplier);
    let clerk = invite_colleague(&supplier, &["documents.receive"]);
    supplier
        .admin
        .api
        .patch("/v1/me", json!({"language": "de"}), 200);
    clerk.api.patch("/v1/me", json!({"language": "de"}), 200);
    let team = supplier
        .api()
        .post("/v1/teams", json!({"name": "Vertrieb"}), 201);
    let team_id = team["id"].as_str().unwrap().to_owned();
    supplier.api().put(
        &format!("/v1/teams/{team_id}/members/{}", clerk.id),
        json!({}),
        200,
    );
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "Bestellung-88.xml",
        ubl_order("PO-TASK-88"),
        &[],
        201,
    );
    let doc_id = order["id"].as_str().unwrap().to_owned();
    let de = |key: &str| catalogue("de", key);
    let title = format!("Liefertermin bestätigen {}", unique(4));

    // The admin makes a task from the order's page, for the Sales team.
    let b = Browser::start("story_german_task");
    sign_in(&b, &supplier.admin, &format!("/documents/{doc_id}"));
    on_page(&b, "mailbox.detail");
    b.wait_text("#document-task", &de("tasks.from_here"));
    b.click("#document-task");
    on_page(&b, "tasks.create");
    b.wait_text("main [data-about]", "Bestellung-88.xml");
    b.fill("input[name=title]", &title);
    b.select("select[name=team_id]", &team_id);
    b.click("main form button[type=submit]");
    on_page(&b, "tasks.detail");
    b.wait_text("main h1", &title);
    b.wait_text("main dl", "Vertrieb");
    b.wait_text("main a[data-about=document]", "Bestellung-88.xml");
    b.wait_text("main", &de("tasks.internal"));

    // The clerk sees it among the team's tasks, takes it and comments.
    sign_in(&b, &clerk, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=team_tasks]", &de("dashboard.team_tasks"));
    b.wait_text("a[data-tile=team_tasks] .count", "1");
    b.click("a[data-tile=team_tasks]");
    on_page(&b, "tasks.list");
    b.click_text("main table a", &title);
    on_page(&b, "tasks.detail");
    b.select("form.task-change select[name=status]", "in_progress");
    b.select("form.task-change select[name=assignee_id]", &clerk.id);
    b.click("form.task-change button[type=submit]");
    b.wait_text("main p .badge", &de("task_status.in_progress"));
    b.fill("form.task-comment textarea[name=text]", "Kunde angerufen.");
    b.click("form.task-comment button[type=submit]");
    b.wait_text("#comments", "Kunde angerufen.");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    let tasks = supplier.api().get("/v1/tasks", 200);
    assert_eq!(
        tasks["data"][0]["assignee"]["id"],
        json!(clerk.id),
        "{tasks}"
    );
    assert_eq!(tasks["data"][0]["comment_count"], 1, "{tasks}");
    // The customer whose order it is about sees no task of the printer's.
    let theirs = customer
        .api()
        .get(&format!("/v1/tasks?about={doc_id}"), 200);
    assert_eq!(theirs["data"], json!([]), "{theirs}");
    assert!(!theirs.to_string().contains(&title), "{theirs}");
}

#[test]
fn in_polish_a_buyer_files_a_complaint_with_a_photo_and_the_german_returns_clerk_accepts_it() {
    let supplier = Company::signup_confirmed("Drukarnia");
    let customer = Company::signup_confirmed("Ksiegarnia");
    connect(&customer, &supplier);
    let clerk = invite_colleague(&supplier, &["documents.receive", "complaints"]);
    customer
        .admin
        .api
        .patch("/v1/me", json!({"language": "pl"}), 200);
    clerk.api.patch("/v1/me", json!({"language": "de"}), 200);
    let order = customer.api().upload(
        &supplier.id,
        "order",
        "Zamowienie-12.xml",
        ubl_order("PO-RMA-12"),
        &[],
        201,
    );
    let doc_id = order["id"].as_str().unwrap().to_owned();
    let pl = |key: &str| catalogue("pl", key);
    let de = |key: &str| catalogue("de", key);
    let photo = TempFile::new("karton.jpg", b"\xff\xd8\xff\xe0 a crushed box");

    // The buyer files it from the order's page: a line and a photo.
    let b = Browser::start("story_polish_complaint");
    sign_in(&b, &customer.admin, &format!("/documents/{doc_id}"));
    on_page(&b, "mailbox.detail");
    b.wait_text("#document-complaint", &pl("complaints.from_here"));
    b.click("#document-complaint");
    on_page(&b, "complaints.create");
    b.select("select[name=reason]", "damaged");
    b.fill("textarea[name=description]", "Dwa kartony zgniecione.");
    b.fill("input[name='lines[0].item']", "4711 Katalog");
    b.fill("input[name='lines[0].quantity']", "0");
    b.click("form.complaint-new button[type=submit]");
    // A bad quantity is named next to its field; nothing was filed.
    b.find("input[name='lines[0].quantity'][aria-invalid]");
    b.fill("input[name='lines[0].quantity']", "20");
    b.fill("input[name=files]", &photo.path);
    b.click("form.complaint-new button[type=submit]");
    on_page(&b, "complaints.detail");
    b.wait_text(".statusbar li.current", &pl("complaint_status.received"));
    b.wait_text("#complaint-files", "karton.jpg");
    b.wait_text("main table", "4711 Katalog");
    let complaint_id = b.url().rsplit('/').next().unwrap().to_owned();
    assert!(complaint_id.starts_with("cmp_"), "{complaint_id}");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    // The German returns clerk finds it on the dashboard, reviews it and accepts it.
    sign_in(&b, &clerk, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=complaints_to_handle] .count", "1");
    b.click("a[data-tile=complaints_to_handle]");
    on_page(&b, "complaints.list");
    b.click("main table a[href^='/complaints/cmp_']");
    on_page(&b, "complaints.detail");
    b.wait_text("#complaint-description", "Dwa kartony zgniecione.");
    b.click("#complaint-review");
    b.wait_text(
        ".statusbar li.current",
        &de("complaint_status.under_review"),
    );
    b.select(
        "form.complaint-accept select[name=resolution]",
        "credit_note",
    );
    b.fill(
        "form.complaint-accept textarea[name=note]",
        "Gutschrift folgt.",
    );
    b.click("form.complaint-accept button[type=submit]");
    b.wait_text(".statusbar li.current", &de("complaint_status.accepted"));
    b.wait_text("main dl", &de("complaint_resolution.credit_note"));
    b.fill(
        "form.complaint-comment textarea[name=text]",
        "Bitte Fotos behalten.",
    );
    b.click("form.complaint-comment button[type=submit]");
    b.wait_text("#complaint-history", "Bitte Fotos behalten.");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    // The buyer sees the decision and the comment in Polish.
    sign_in(&b, &customer.admin, &format!("/complaints/{complaint_id}"));
    on_page(&b, "complaints.detail");
    b.wait_text(".statusbar li.current", &pl("complaint_status.accepted"));
    b.wait_text("#complaint-history", "Bitte Fotos behalten.");
    let seen = customer
        .api()
        .get(&format!("/v1/complaints/{complaint_id}"), 200);
    assert_eq!(seen["resolution"], "credit_note", "{seen}");
    assert_eq!(seen["files"][0]["filename"], "karton.jpg", "{seen}");
}

#[test]
fn in_german_a_buyer_asks_for_a_quote_the_supplier_quotes_and_the_accepted_order_arrives() {
    let supplier = Company::signup_confirmed("Druckerei");
    let customer = Company::signup_confirmed("Buchladen");
    connect(&customer, &supplier);
    customer
        .admin
        .api
        .patch("/v1/me", json!({"language": "de"}), 200);
    supplier
        .admin
        .api
        .patch("/v1/me", json!({"language": "de"}), 200);
    let de = |key: &str| catalogue("de", key);

    // The buyer asks for a quote with one item.
    let b = Browser::start("story_german_quote");
    sign_in(&b, &customer.admin, "/quotes");
    on_page(&b, "quotes.list");
    b.click("#quote-new");
    on_page(&b, "quotes.create");
    b.select("select[name=partner]", &supplier.id);
    b.fill("input[name=title]", "Flyer Frühjahr");
    b.fill("input[name='lines[0].item']", "Flyer A5");
    b.fill("input[name='lines[0].quantity']", "5000");
    b.click("form.quote-request-new button[type=submit]");
    on_page(&b, "quotes.detail");
    b.wait_text(".statusbar li.current", &de("quote_status.requested"));
    let id = b.url().rsplit('/').next().unwrap().to_owned();
    assert!(id.starts_with("rfq_"), "{id}");

    // The supplier sees it on the dashboard and quotes, the item already filled in.
    sign_in(&b, &supplier.admin, "/");
    on_page(&b, "dashboard.dashboard");
    b.wait_text("a[data-tile=quotes_to_prepare] .count", "1");
    b.click("a[data-tile=quotes_to_prepare]");
    on_page(&b, "quotes.list");
    b.click("main table a[href^='/quotes/rfq_']");
    on_page(&b, "quotes.detail");
    assert_eq!(
        b.property("form.quote-send input[name='lines[0].item']", "value"),
        json!("Flyer A5")
    );
    set_value(&b, "form.quote-send input[name=valid_until]", "2099-01-31");
    b.fill("form.quote-send input[name='lines[0].unit_price']", "0,05");
    b.click("form.quote-send button[type=submit]");
    // A comma is no decimal point for the API: the error stands next to the price.
    b.find("form.quote-send input[name='lines[0].unit_price'][aria-invalid]");
    b.fill("form.quote-send input[name='lines[0].unit_price']", "0.05");
    b.click("form.quote-send button[type=submit]");
    b.wait_text(".statusbar li.current", &de("quote_status.quoted"));
    b.wait_text("#quote-versions", "250.00");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    // The buyer accepts with its own order number; the order is linked.
    sign_in(&b, &customer.admin, &format!("/quotes/{id}"));
    on_page(&b, "quotes.detail");
    b.fill("form.quote-accept input[name=reference]", "BST-4711");
    b.click("form.quote-accept button[type=submit]");
    b.wait_text(".statusbar li.current", &de("quote_status.accepted"));
    b.click("#quote-order");
    on_page(&b, "mailbox.detail");
    b.wait_text("main", "BST-4711");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());
    let inbox = supplier
        .api()
        .get("/v1/documents?box=inbox&type=order", 200);
    assert_eq!(inbox["data"][0]["reference"], "BST-4711", "{inbox}");
}

#[test]
fn in_polish_a_buyer_finds_products_fills_a_cart_and_orders_from_the_catalog_the_clerk_imported() {
    let supplier = Company::signup_confirmed("Hurtownia");
    let customer = Company::signup_confirmed("Ksiegarnia");
    connect(&customer, &supplier);
    let clerk = invite_colleague(&supplier, &["catalog"]);
    customer
        .admin
        .api
        .patch("/v1/me", json!({"language": "pl"}), 200);
    let pl = |key: &str| catalogue("pl", key);
    let csv = TempFile::new(
        "katalog.csv",
        "sku;name_en;name_pl;unit;list_price;min_quantity\n\
         PAP-A4-80;Offset paper A4;Papier offsetowy A4;PK;4,50;1\n\
         KOP-C5;Envelopes C5;Koperty C5;BX;12.00;1\n\
         BAD;Broken;;;-1;\n"
            .as_bytes(),
    );

    // The clerk makes the catalog, imports the file and sees the report, enables the customer.
    let b = Browser::start("story_catalog_order");
    sign_in(&b, &clerk, "/catalogs");
    on_page(&b, "catalog.list");
    // A rate for customers who order in koruny: kept, and shown only here.
    b.find("#catalog-rates");
    b.fill("form.catalog-rate input[name=currency]", "CZK");
    b.fill("form.catalog-rate input[name=rate]", "25.1");
    b.click("form.catalog-rate button[type=submit]");
    b.wait_text("#catalog-rates", "25.1");
    b.fill("form.catalog-new input[name=name]", "Papier 2027");
    b.click("form.catalog-new button[type=submit]");
    on_page(&b, "catalog.detail");
    b.fill("form.catalog-import input[name=file]", &csv.path);
    b.click("form.catalog-import button[type=submit]");
    b.find("#catalog-import[data-status=done]");
    b.wait_text("#catalog-import table", "list_price");
    b.wait_text("#catalog-products", "PAP-A4-80");
    // The clerk exports it as BMEcat: the file the browser saves holds the product.
    b.execute(
        "window.exported = []; const make = URL.createObjectURL; \
         URL.createObjectURL = (blob) => { blob.text().then((t) => window.exported.push(t)); return make(blob); };",
        Vec::new(),
    );
    b.click("#catalog-export button.export-bmecat");
    let exported = b.wait_until(
        "the exported file",
        std::time::Duration::from_secs(20),
        || {
            b.execute("return window.exported[0] || null;", Vec::new())
                .as_str()
                .map(str::to_owned)
        },
    );
    assert!(
        exported.contains("<SUPPLIER_PID>PAP-A4-80</SUPPLIER_PID>"),
        "{exported}"
    );
    b.select("form.catalog-enable select[name=partner]", &customer.id);
    b.click("form.catalog-enable button[type=submit]");
    b.wait_text("#catalog-customers", &customer.name);
    // The clerk keeps the customer's delivery addresses in its ordering terms.
    b.click("#catalog-customers button.terms");
    b.fill(
        "form.catalog-terms textarea[name=delivery_addresses]",
        "Księgarnia Nowa\nul. Długa 1\n00-001 Warszawa\n\nMagazyn\nul. Krótka 2",
    );
    b.click("form.catalog-terms button[type=submit]");
    b.find("#catalog-terms .notice");
    let terms = supplier
        .api()
        .get(&format!("/v1/order-terms/{}", customer.id), 200);
    assert_eq!(
        terms["delivery_addresses"],
        json!([
            "Księgarnia Nowa\nul. Długa 1\n00-001 Warszawa",
            "Magazyn\nul. Krótka 2"
        ]),
        "{terms}"
    );
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());

    // The Polish buyer searches, adds a product, pastes a line and orders.
    sign_in(&b, &customer.admin, "/catalogs");
    on_page(&b, "catalog.list");
    b.click("main table a[href^='/catalogs/cat_']");
    on_page(&b, "catalog.detail");
    b.fill("form.shop-search input[name=q]", "papier");
    b.click("form.shop-search button[type=submit]");
    b.find("#shop-products[data-q=papier]");
    b.wait_text("#shop-products", "Papier offsetowy A4");
    b.fill("span.add[data-sku='PAP-A4-80'] input", "10");
    b.click("span.add[data-sku='PAP-A4-80'] button");
    b.wait_text("#cart", "PAP-A4-80");
    b.fill("form.cart-paste textarea[name=paste]", "KOP-C5;2");
    b.click("form.cart-paste button[type=submit]");
    b.wait_text("#cart", "KOP-C5");
    // 10 × 4,50 + 2 × 12,00, in Polish money.
    b.wait_text("#cart-total", "69,00");
    b.fill("form.catalog-order input[name=reference]", "ZAM-2027-7");
    b.click("form.catalog-order button[type=submit]");
    on_page(&b, "mailbox.detail");
    b.wait_text("main", "ZAM-2027-7");
    // The order's lines, read from its file.
    b.wait_text("#document-lines table", "PAP-A4-80");
    b.wait_text("#document-lines table", "KOP-C5");
    assert!(b.script_errors().is_empty(), "{:?}", b.script_errors());
    b.goto("/catalog-orders");
    on_page(&b, "catalog.orders");
    b.wait_text("main table", "ZAM-2027-7");
    assert_eq!(b.text("main h1"), pl("catalog.orders"));

    // The order is in the supplier's inbox as a recognised UBL order.
    let inbox = supplier
        .api()
        .get("/v1/documents?box=inbox&type=order", 200);
    assert_eq!(inbox["data"][0]["reference"], "ZAM-2027-7", "{inbox}");
    assert_eq!(inbox["data"][0]["summary"]["total"], "69.00", "{inbox}");
}
