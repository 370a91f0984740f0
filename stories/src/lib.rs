//! The people of the stories, natively: companies that sign up through the accounts worker,
//! confirm by the mail they get, log in and act through every worker's route table, on one
//! [`Stack`] (SQLite with the real migrations, files in memory, a captured queue).

// A story that cannot be told ends the test.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::sync::LazyLock;

use serde_json::{json, Value};
use shared::service::{route, Method};
use tradepost_testkit::{block_on, Answer, Call, Stack};

/// The OpenAPI document of every worker, as the gateway serves it.
static OPENAPI: LazyLock<Value> = LazyLock::new(|| {
    let doc = shared::service::doc::openapi(&tradepost_gateway_tables::services())
        .expect("the route tables make an OpenAPI document");
    serde_json::to_value(doc).expect("the OpenAPI document is JSON")
});

/// The route template serving `method path` and the statuses its OpenAPI operation documents.
#[must_use]
pub fn documented(method: Method, path: &str) -> (&'static str, Vec<u16>) {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let template = tradepost_gateway_tables::services()
        .iter()
        .find_map(
            |service| match route::resolve(service.routes, method, &segments) {
                route::Resolved::Found(route, _) => Some(route.path),
                _ => None,
            },
        )
        .unwrap_or_else(|| panic!("no route serves {} {path}", method.as_str()));
    let responses = &OPENAPI["paths"][template][method.as_str().to_ascii_lowercase()]["responses"];
    let statuses = responses
        .as_object()
        .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default();
    (template, statuses)
}

/// Sends every call at once — they interleave at each platform call, as concurrent requests do
/// in workerd — and returns the answers in order. Every answer must be documented for its route
/// and none may be a server error.
pub fn at_once(calls: Vec<Call<'_>>) -> Vec<Answer> {
    let routes: Vec<_> = calls
        .iter()
        .map(|c| (c.req.method, documented(c.req.method, &c.req.path)))
        .collect();
    let answers = block_on(futures_util::future::join_all(
        calls.into_iter().map(Call::send),
    ));
    for (answer, (method, (template, statuses))) in answers.iter().zip(&routes) {
        assert!(
            answer.status < 500 && statuses.contains(&answer.status),
            "{} {template} answered {} (documented: {statuses:?}): {}",
            method.as_str(),
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    answers
}

/// How many answers have each status, as `[(status, count)]` sorted by status.
#[must_use]
pub fn tally(answers: &[Answer]) -> Vec<(u16, usize)> {
    let mut out: Vec<(u16, usize)> = Vec::new();
    for a in answers {
        match out.iter_mut().find(|(s, _)| *s == a.status) {
            Some((_, n)) => *n += 1,
            None => out.push((a.status, 1)),
        }
    }
    out.sort_unstable();
    out
}

/// A stack of every worker.
#[must_use]
pub fn stack() -> Stack {
    Stack::new(&tradepost_gateway_tables::services())
}

/// A company with its admin, signed up, confirmed and logged in.
pub struct Company {
    pub id: String,
    pub handle: String,
    pub admin_email: String,
    pub token: String,
}

/// Signs a company up as a person would: the form, the mail's link, the login.
#[must_use]
pub fn sign_up(stack: &Stack, handle: &str) -> Company {
    let email = format!("admin@{handle}.example");
    let account = stack
        .post("/v1/auth/signup")
        .json(&json!({
            "company_name": format!("{handle} GmbH"),
            "handle": handle,
            "name": format!("Ada of {handle}"),
            "email": email,
            "password": "a long passphrase",
        }))
        .run()
        .expect(201);
    let token = link_token(stack, &email);
    stack
        .post("/v1/auth/confirm")
        .json(&json!({ "token": token }))
        .run()
        .expect(200);
    let login = login(stack, &email, "a long passphrase").expect(200);
    Company {
        id: account["company"]["id"].as_str().unwrap().to_owned(),
        handle: handle.to_owned(),
        admin_email: email,
        token: login["access_token"].as_str().unwrap().to_owned(),
    }
}

/// A login attempt.
#[must_use]
pub fn login(stack: &Stack, email: &str, password: &str) -> Answer {
    stack
        .post("/v1/auth/login")
        .json(&json!({ "email": email, "password": password }))
        .run()
}

/// The token of the newest link mailed to `to`.
#[must_use]
pub fn link_token(stack: &Stack, to: &str) -> String {
    let mail = stack
        .get(&format!("/v1/dev/mail?to={to}"))
        .run()
        .expect(200);
    let link = mail["data"][0]["link"]
        .as_str()
        .expect("a mail with a link");
    link.split("token=").nth(1).expect("a token").to_owned()
}

impl Company {
    /// A request as this company's admin.
    #[must_use]
    pub fn call<'s>(&self, stack: &'s Stack, method: Method, path: &str) -> Call<'s> {
        stack.call(method, path).bearer(&self.token)
    }

    /// An API key of this company with `permissions`.
    #[must_use]
    pub fn api_key(&self, stack: &Stack, permissions: &[&str]) -> String {
        let key = self
            .call(stack, Method::Post, "/v1/api-keys")
            .json(&json!({ "name": "ERP", "permissions": permissions }))
            .run()
            .expect(201);
        key["key"].as_str().unwrap().to_owned()
    }
}

/// An active relationship: `supplier` asks, `customer` approves.
#[must_use]
pub fn connect(stack: &Stack, supplier: &Company, customer: &Company) -> String {
    let asked = supplier
        .call(stack, Method::Post, "/v1/relationships")
        .json(&json!({ "handle": customer.handle, "my_role": "supplier" }))
        .run()
        .expect(201);
    let id = asked["id"].as_str().unwrap().to_owned();
    customer
        .call(
            stack,
            Method::Post,
            &format!("/v1/relationships/{id}/approve"),
        )
        .run()
        .expect(200);
    id
}

/// Hands what the workers sent to the queue to the notify worker's consumer, and runs the
/// webhook attempts it starts, until the queue is quiet (delayed retries included).
pub fn deliver_events(stack: &Stack) {
    block_on(async {
        loop {
            stack.settle().await;
            let sent = stack.take_queue();
            if sent.is_empty() {
                return;
            }
            let bodies: Vec<Value> = sent
                .iter()
                .filter_map(|(json, _)| serde_json::from_str(json).ok())
                .collect();
            let acks = tradepost_notify::consumer::handle_batch(&stack.platform(), &bodies).await;
            assert!(acks.iter().all(|a| *a), "the consumer refused a message");
        }
    });
}

/// The notify worker as the other workers reach it through their `NOTIFY` binding: its
/// hand-over endpoint, over a platform of the same stack (without a binding of its own).
pub struct NotifyBinding(pub shared::platform::Platform);

impl shared::platform::Http for NotifyBinding {
    fn fetch(
        &self,
        request: shared::platform::OutRequest,
    ) -> futures_util::future::LocalBoxFuture<
        '_,
        Result<shared::platform::OutResponse, shared::platform::FetchError>,
    > {
        Box::pin(async move {
            assert!(
                request.url.ends_with(shared::service::FANOUT_PATH),
                "{}",
                request.url
            );
            let reply = tradepost_notify::fanout::handle(&self.0, &request.body).await;
            Ok(shared::platform::OutResponse {
                status: reply.status,
                headers: Vec::new(),
                body: Vec::new(),
            })
        })
    }
}

/// Binds the notify worker to every worker of `stack`, as the real stack does.
pub fn bind_notify(stack: &Stack) {
    stack.bind_notify(std::rc::Rc::new(NotifyBinding(stack.platform())));
}

/// The example UBL order the stories send.
pub const ORDER: &[u8] = include_bytes!("../../shared/tests/fixtures/formats/ubl-order.xml");

/// A text field of a JSON answer (empty when missing).
#[must_use]
pub fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_owned()
}

/// `POST /v1/documents` of [`ORDER`] as an ERP sends it: raw body, metadata in headers.
#[must_use]
pub fn order<'s>(stack: &'s Stack, key: &str, recipient: &str, filename: &str) -> Call<'s> {
    stack
        .post("/v1/documents")
        .bearer(key)
        .header("tradepost-recipient", recipient)
        .header("tradepost-type", "order")
        .header("tradepost-filename", filename)
        .bytes("application/xml", ORDER.to_vec())
}

/// A supplier (`acme-print`) and a customer (`wydawnictwo`) in an active relationship, and the
/// customer's ERP key (`documents.send`, `documents.receive`).
pub struct Pair {
    pub supplier: Company,
    pub customer: Company,
    pub relationship: String,
    pub erp: String,
}

/// Signs both companies of a [`Pair`] up and connects them.
#[must_use]
pub fn pair(stack: &Stack) -> Pair {
    let supplier = sign_up(stack, "acme-print");
    let customer = sign_up(stack, "wydawnictwo");
    let relationship = connect(stack, &supplier, &customer);
    let erp = customer.api_key(stack, &["documents.send", "documents.receive"]);
    Pair {
        supplier,
        customer,
        relationship,
        erp,
    }
}

/// An order from the customer of `pair`, delivered to the supplier's inbox; its id.
#[must_use]
pub fn delivered(stack: &Stack, pair: &Pair) -> String {
    let doc = order(stack, &pair.erp, "acme-print", "PO-1.xml")
        .run()
        .expect(201);
    text(&doc, "id")
}

/// A multipart upload from the customer of `pair` to the supplier, open and empty; its id.
#[must_use]
pub fn new_upload(stack: &Stack, pair: &Pair) -> String {
    let upload = stack
        .post("/v1/uploads")
        .bearer(&pair.erp)
        .json(&json!({"recipient": "acme-print", "type": "order", "filename": "big.xml"}))
        .run()
        .expect(201);
    text(&upload, "id")
}

/// An invoice (1190.00 EUR, due in 2099) from the supplier of `pair` to its customer, read by
/// the invoices worker's consumer; its id.
#[must_use]
pub fn invoiced(stack: &Stack, pair: &Pair, number: &str) -> String {
    let key = pair.supplier.api_key(stack, &["documents.send"]);
    let body = include_str!("../../shared/tests/fixtures/invoices/order-invoice.template.xml")
        .replace("{NUMBER}", number)
        .replace("{ORDER}", "PO-1")
        .replace("{DUE}", "2099-12-31");
    let doc = stack
        .post("/v1/documents")
        .bearer(&key)
        .header("tradepost-recipient", "wydawnictwo")
        .header("tradepost-type", "invoice")
        .header("tradepost-filename", &format!("{number}.xml"))
        .bytes("application/xml", body.into_bytes())
        .run()
        .expect(201);
    let id = text(&doc, "id");
    let read = block_on(tradepost_invoices::read::read_document(
        &stack.platform(),
        &shared::ids::DocumentId::parse(&id).expect("an id"),
        shared::platform::Clock::now(stack.clock.as_ref()),
    ));
    assert_eq!(read.ok(), Some(true), "the invoice is read");
    id
}

/// A [`Pair`] with appointments enabled, a project of the supplier for the customer, a location
/// of the customer, and a start two days ahead.
pub struct Planned {
    pub p: Pair,
    pub project: String,
    pub location: String,
    pub starts_at: String,
    pub ends_at: String,
}

/// Signs a [`Planned`] pair up and plans its project and location.
#[must_use]
pub fn planned(s: &Stack) -> Planned {
    let p = pair(s);
    p.supplier
        .call(
            s,
            Method::Patch,
            &format!("/v1/relationships/{}", p.relationship),
        )
        .json(&json!({"services": {"appointments": "enabled"}}))
        .run()
        .expect(200);
    let project = p
        .supplier
        .call(s, Method::Post, "/v1/projects")
        .json(&json!({"customer": "wydawnictwo", "name": "Spring campaign"}))
        .run()
        .expect(201);
    let location = p
        .supplier
        .call(s, Method::Post, "/v1/locations")
        .json(
            &json!({"customer": "wydawnictwo", "name": "Store 1", "city": "Kraków",
                      "country": "PL", "time_zone": "Europe/Warsaw"}),
        )
        .run()
        .expect(201);
    let start = shared::platform::Clock::now(s.clock.as_ref()) + chrono::Duration::days(2);
    Planned {
        project: text(&project, "id"),
        location: text(&location, "id"),
        starts_at: shared::time::format(start),
        ends_at: shared::time::format(start + chrono::Duration::hours(2)),
        p,
    }
}

/// An appointment at the [`Planned`] location, called `title`.
#[must_use]
pub fn appointment_body(w: &Planned, title: &str) -> Value {
    json!({"project_id": w.project, "location_id": w.location, "starts_at": w.starts_at,
           "ends_at": w.ends_at, "title": title})
}
