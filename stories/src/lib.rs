//! The people of the stories, natively: companies that sign up through the accounts worker,
//! confirm by the mail they get, log in and act through every worker's route table, on one
//! [`Stack`] (SQLite with the real migrations, files in memory, a captured queue).

// A story that cannot be told ends the test.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use serde_json::{json, Value};
use shared::service::Method;
use tradepost_testkit::{block_on, Answer, Call, Stack};

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
