//! Helpers for the end-to-end tests: an HTTP client whose calls state the status they expect,
//! fixtures for companies, colleagues, API keys and relationships, and readers for the dev
//! mailbox and event log of the local stack at `TRADEPOST_URL`.
//!
//! Every fixture makes its own companies and people with random handles, e-mails and client
//! addresses, because the tests run in parallel against one shared stack.
// This is test support code: a broken expectation must stop the test at once with a message
// that says what was expected, so panicking (and `unwrap`/`expect`) is its purpose here.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

pub mod browser;

use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
pub use reqwest::Method;
use serde_json::{json, Value};

/// The password every fixture person gets (strong enough for the signup rules).
pub const PASSWORD: &str = "Correct-Horse-7-Battery";

/// How long the mail and event readers wait for something to show up.
const WAIT: Duration = Duration::from_secs(10);

/// The gateway's base URL, from `TRADEPOST_URL`. A test run without it fails: a test that
/// silently skips when the stack is missing could never fail.
#[must_use]
pub fn base_url() -> String {
    match std::env::var("TRADEPOST_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!(
            "TRADEPOST_URL is not set. The end-to-end tests need a running stack: run \
             scripts/test, or start the stack yourself and set TRADEPOST_URL=http://127.0.0.1:PORT"
        ),
    }
}

/// `len` random lower-case base32 characters (a–z, 2–7): safe in handles, e-mails and paths.
#[must_use]
pub fn unique(len: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = vec![0_u8; len];
    getrandom::getrandom(&mut bytes).expect("the OS should give random bytes");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect()
}

/// A fresh e-mail address that no other test uses.
#[must_use]
pub fn unique_email(who: &str) -> String {
    format!("{who}-{}@example.com", unique(12))
}

/// A random client address for `CF-Connecting-IP`, so one test's login throttle per address
/// does not reach the others. It is only a header value; nothing is sent to it.
#[must_use]
pub fn random_ip() -> String {
    let mut b = [0_u8; 3];
    getrandom::getrandom(&mut b).expect("the OS should give random bytes");
    format!("10.{}.{}.{}", b[0], b[1], b[2].max(1))
}

/// One HTTP answer, kept whole so a failed expectation can print it.
#[derive(Debug)]
pub struct Reply {
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// A response header as text, if present.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header should be text").to_owned())
    }

    /// The `Content-Type` header, or "" when there is none.
    #[must_use]
    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default()
    }

    fn describe(&self) -> String {
        format!(
            "{} {} -> {} (content-type {:?})\n{}",
            self.method,
            self.path,
            self.status,
            self.content_type(),
            self.text
        )
    }

    /// The body as JSON; `Null` for an empty body.
    #[must_use]
    pub fn json(&self) -> Value {
        if self.text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}):\n{}", self.describe()))
    }

    /// Asserts the status and returns the parsed body; a non-empty success body must be
    /// `application/json`.
    pub fn expect(&self, status: u16) -> Value {
        assert!(
            self.status == status,
            "{} {}: expected status {status}, got {}\n{}",
            self.method,
            self.path,
            self.status,
            self.text
        );
        if (200..300).contains(&status) && !self.text.trim().is_empty() {
            assert!(
                self.content_type().starts_with("application/json"),
                "a JSON answer should say application/json:\n{}",
                self.describe()
            );
        }
        self.json()
    }

    /// What is wrong with this answer as a refusal with `status`, problem `code` (any code when
    /// `None`) and `field` (`a|b`: either; nested names such as `a.b` or `a[0]` count for `a`);
    /// `None` when it is exactly that. For tables that report every mismatch at once.
    #[must_use]
    pub fn problem_mismatch(
        &self,
        status: u16,
        code: Option<&str>,
        field: Option<&str>,
    ) -> Option<String> {
        let expected = format!(
            "{status} {}{}",
            code.unwrap_or("(any code)"),
            field.map(|f| format!(" field {f}")).unwrap_or_default()
        );
        let wrong = |why: &str| {
            Some(format!(
                "{} {}: expected {expected}, {why}\n    {}",
                self.method, self.path, self.text
            ))
        };
        if self.status != status {
            return wrong(&format!("got status {}", self.status));
        }
        if !self.content_type().starts_with("application/problem+json") {
            return wrong(&format!(
                "content-type is {:?}, not application/problem+json",
                self.content_type()
            ));
        }
        let Ok(body) = serde_json::from_str::<Value>(&self.text) else {
            return wrong("the body is not JSON");
        };
        if body["status"] != json!(status)
            || !body["code"].is_string()
            || !body["title"].is_string()
            || !body["type"].is_string()
        {
            return wrong("the problem lacks type, title, code or the right status");
        }
        if let Some(code) = code {
            if body["code"] != json!(code) {
                return wrong(&format!("got code {}", body["code"]));
            }
        }
        if let Some(field) = field {
            let named = body["field"].as_str().unwrap_or_default();
            if !field.split('|').any(|f| names_field(named, f)) {
                return wrong(&format!("the problem names field {:?}", named));
            }
        }
        None
    }

    /// Asserts an RFC 9457 problem with this status and `code`; returns the problem.
    pub fn expect_problem(&self, status: u16, code: &str) -> Value {
        if let Some(mismatch) = self.problem_mismatch(status, Some(code), None) {
            panic!("{mismatch}");
        }
        self.json()
    }

    /// Asserts an RFC 9457 problem with this status, whatever its code; returns the problem.
    pub fn expect_any_problem(&self, status: u16) -> Value {
        if let Some(mismatch) = self.problem_mismatch(status, None, None) {
            panic!("{mismatch}");
        }
        self.json()
    }

    /// Asserts a 422 `invalid_field` problem that names `field` (or a part of it, such as
    /// `permissions[0]` for `permissions`; `a|b` for either).
    pub fn expect_invalid_field(&self, field: &str) -> Value {
        if let Some(mismatch) = self.problem_mismatch(422, Some("invalid_field"), Some(field)) {
            panic!("{mismatch}");
        }
        self.json()
    }
}

/// Whether the field a problem names is `field` or an element or member of it.
fn names_field(named: &str, field: &str) -> bool {
    named == field
        || named
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Asserts that a problem's `field` is `field` or an element or member of it.
pub fn assert_field(problem: &Value, field: &str) {
    let named = problem["field"].as_str().unwrap_or_default();
    assert!(
        names_field(named, field),
        "the problem should name the field {field:?}, it names {named:?}:\n{problem}"
    );
}

/// An error and every error that caused it, `: `-separated (reqwest's own text names none).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of the 503 body `wrangler dev`'s proxy writes when it lost the connection to the
/// workers before they answered (not an answer of ours; see [`Api::run`]).
pub const LOCAL_PROXY_LOST: &str = "Your worker restarted mid-request.";

/// A client of the gateway with its own client address and, optionally, a bearer credential.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    http: Client,
    ip: String,
    bearer: Option<String>,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    /// An anonymous client with a fresh random client address.
    #[must_use]
    pub fn new() -> Self {
        // One connection pool for all tests of a binary; each blocking client runs a thread.
        // The local server closes keep-alive connections that sat idle; a request sent on one
        // just as it closes fails with "error sending request" (seen once in CI, in a burst of
        // concurrent proofs). Idle connections are dropped here after 2 s, before the server
        // closes them, so such a request goes out on a fresh connection instead.
        static HTTP: OnceLock<Client> = OnceLock::new();
        let http = HTTP.get_or_init(|| {
            Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_idle_timeout(Duration::from_secs(2))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("the HTTP client should build")
        });
        Self {
            base: base_url(),
            http: http.clone(),
            ip: random_ip(),
            bearer: None,
        }
    }

    /// The same client (same address) presenting `credential` as its bearer token.
    #[must_use]
    pub fn with_bearer(&self, credential: &str) -> Self {
        Self {
            bearer: Some(credential.to_owned()),
            ..self.clone()
        }
    }

    /// The same client without credentials.
    #[must_use]
    pub fn anonymous(&self) -> Self {
        Self {
            bearer: None,
            ..self.clone()
        }
    }

    /// The bearer credential this client presents.
    #[must_use]
    pub fn bearer(&self) -> &str {
        self.bearer
            .as_deref()
            .expect("this client has no credential")
    }

    /// The client address this client sends as `CF-Connecting-IP`.
    #[must_use]
    pub fn ip(&self) -> &str {
        &self.ip
    }

    /// A request with this client's address and credential; add headers and body yourself.
    pub fn raw(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("CF-Connecting-IP", &self.ip);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Sends a request built with [`Api::raw`] and keeps the whole answer.
    ///
    /// `wrangler dev`'s proxy answers 503 with [`LOCAL_PROXY_LOST`] when its connection to the
    /// workers fails before an answer (a keep-alive race of the local proxy; it retries only GET
    /// and HEAD itself). Such a request is sent once more (bodies that can be cloned only); the
    /// worker never answered it, and a test that sees the 503 twice still fails.
    #[must_use]
    pub fn run(&self, method: Method, path: &str, request: RequestBuilder) -> Reply {
        let again = request.try_clone();
        let reply = self.run_once(method.clone(), path, request);
        match again {
            Some(again) if reply.status == 503 && reply.text.starts_with(LOCAL_PROXY_LOST) => {
                eprintln!("{method} {path}: the local proxy lost the connection; sending it again");
                self.run_once(method, path, again)
            }
            _ => reply,
        }
    }

    fn run_once(&self, method: Method, path: &str, request: RequestBuilder) -> Reply {
        let response = request.send().unwrap_or_else(|e| {
            panic!(
                "{method} {path}: no answer from {}: {}",
                self.base,
                causes(&e)
            )
        });
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .unwrap_or_else(|e| panic!("{method} {path}: body unreadable: {e}"));
        Reply {
            method,
            path: path.to_owned(),
            status,
            headers,
            text,
        }
    }

    /// Sends `body` (if any) as JSON and keeps the whole answer.
    #[must_use]
    pub fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.raw(method.clone(), path);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.run(method, path, request)
    }

    /// `GET path`, expecting `status`; the parsed body.
    pub fn get(&self, path: &str, status: u16) -> Value {
        self.send(Method::GET, path, None).expect(status)
    }

    /// `POST path` with a JSON body, expecting `status`; the parsed body.
    pub fn post(&self, path: &str, body: Value, status: u16) -> Value {
        self.send(Method::POST, path, Some(&body)).expect(status)
    }

    /// `POST path` without a body (approve, block, unblock), expecting `status`.
    pub fn post_empty(&self, path: &str, status: u16) -> Value {
        self.send(Method::POST, path, None).expect(status)
    }

    /// `PUT path` with a JSON body, expecting `status`.
    pub fn put(&self, path: &str, body: Value, status: u16) -> Value {
        self.send(Method::PUT, path, Some(&body)).expect(status)
    }

    /// `PATCH path` with a JSON body, expecting `status`.
    pub fn patch(&self, path: &str, body: Value, status: u16) -> Value {
        self.send(Method::PATCH, path, Some(&body)).expect(status)
    }

    /// `DELETE path`, expecting `status`.
    pub fn delete(&self, path: &str, status: u16) -> Value {
        self.send(Method::DELETE, path, None).expect(status)
    }

    /// Any call that must be refused with this status and problem `code`; the problem.
    pub fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: u16,
        code: &str,
    ) -> Value {
        self.send(method, path, body.as_ref())
            .expect_problem(status, code)
    }
}

/// A logged-in person: their user id, credentials, tokens and an authenticated client.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub company_id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    /// The login answer, as sent.
    pub login: Value,
    /// A client (with its own address) presenting `access_token`.
    pub api: Api,
}

/// Logs in from a fresh client address, expecting success.
pub fn login(email: &str, password: &str) -> Person {
    login_from(&Api::new(), email, password)
}

/// Logs in with `api`'s client address, expecting success.
pub fn login_from(api: &Api, email: &str, password: &str) -> Person {
    let answer = api.anonymous().post(
        "/v1/auth/login",
        json!({"email": email, "password": password}),
        200,
    );
    let access = answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("login should give an access_token: {answer}"))
        .to_owned();
    Person {
        id: answer["user"]["id"].as_str().unwrap().to_owned(),
        company_id: answer["company"]["id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        password: password.to_owned(),
        refresh_token: answer["refresh_token"].as_str().unwrap().to_owned(),
        api: api.with_bearer(&access),
        access_token: access,
        login: answer,
    }
}

/// The mails the dev mailbox holds for `to`, newest first.
pub fn mails(to: &str) -> Vec<Value> {
    let api = Api::new();
    let reply = api.run(
        Method::GET,
        "/v1/dev/mail",
        api.raw(Method::GET, "/v1/dev/mail")
            .query(&[("to", to), ("limit", "200")]),
    );
    let body = reply.expect(200);
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("GET /v1/dev/mail should give {{data: [...]}}: {body}"))
        .clone()
}

/// The first mail of `template` to `to`, waiting up to 15 s for it (info mails are written by
/// the queue's consumer, after the event).
pub fn wait_for_mail(to: &str, template: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        if let Some(m) = mails(to).into_iter().find(|m| m["template"] == template) {
            return m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no {template} mail to {to}: {:?}",
            mails(to)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The links in `to`'s mails that contain `fragment` (e.g. `/confirm?token=`), newest first.
pub fn mail_links(to: &str, fragment: &str) -> Vec<String> {
    mails(to)
        .iter()
        .filter_map(|mail| {
            let link = mail["link"].as_str().unwrap_or_default();
            let text = mail["text"].as_str().unwrap_or_default();
            if link.contains(fragment) {
                Some(link.to_owned())
            } else {
                text.split_whitespace()
                    .find(|word| word.contains(fragment))
                    .map(str::to_owned)
            }
        })
        .collect()
}

/// The `token` of a link.
#[must_use]
pub fn token_of(link: &str) -> String {
    let start = link
        .find("token=")
        .unwrap_or_else(|| panic!("the link has no token: {link}"))
        + "token=".len();
    link[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Waits until `to` has at least `count` mails with a link containing `fragment` and returns
/// the newest link's token.
pub fn wait_for_link(to: &str, fragment: &str, count: usize) -> String {
    let started = Instant::now();
    loop {
        let links = mail_links(to, fragment);
        if links.len() >= count {
            let token = token_of(&links[0]);
            assert!(
                token.starts_with("lt_"),
                "a link token starts with lt_: {}",
                links[0]
            );
            return token;
        }
        assert!(
            started.elapsed() < WAIT,
            "no mail to {to} with a link containing {fragment:?} (wanted {count}, have {}): {:?}",
            links.len(),
            mails(to)
        );
        sleep(Duration::from_millis(200));
    }
}

/// The events the dev log holds for `company_id`, newest first.
pub fn events(company_id: &str) -> Vec<Value> {
    let api = Api::new();
    let reply = api.run(
        Method::GET,
        "/v1/dev/events",
        api.raw(Method::GET, "/v1/dev/events")
            .query(&[("company_id", company_id), ("limit", "200")]),
    );
    let body = reply.expect(200);
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("GET /v1/dev/events should give {{data: [...]}}: {body}"))
        .clone()
}

/// Waits for an event of `kind` for `company_id` that satisfies `matches`; returns it.
pub fn wait_for_event(company_id: &str, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let all = events(company_id);
        if let Some(found) = all.iter().find(|e| e["type"] == json!(kind) && matches(e)) {
            assert_id(&found["id"], "evt_");
            assert_eq!(found["company_id"], json!(company_id), "{found}");
            return found.clone();
        }
        assert!(
            started.elapsed() < WAIT,
            "no matching {kind} event for {company_id}; the events are: {all:?}"
        );
        sleep(Duration::from_millis(200));
    }
}

/// A signup body for a company whose name says what it plays in the test.
#[must_use]
pub fn signup_body(role_hint: &str) -> Value {
    let suffix = unique(10);
    json!({
        "company_name": format!("{role_hint} {suffix} GmbH"),
        "handle": format!("{}-{suffix}", role_hint.to_lowercase().replace(' ', "-")),
        "name": format!("Admin of {role_hint} {suffix}"),
        "email": unique_email(&role_hint.to_lowercase().replace(' ', "-")),
        "password": PASSWORD,
    })
}

/// A signed-up, confirmed company and its logged-in admin.
#[derive(Clone, Debug)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub handle: String,
    /// The company as the signup answered it.
    pub company: Value,
    pub admin: Person,
}

impl Company {
    /// Signs a company up, follows the confirmation link from its mail, and logs the admin in.
    /// `role_hint` (e.g. "supplier") only goes into the name and handle.
    pub fn signup_confirmed(role_hint: &str) -> Self {
        let body = signup_body(role_hint);
        let api = Api::new();
        let answer = api.post("/v1/auth/signup", body.clone(), 201);
        let email = body["email"].as_str().unwrap();
        let token = wait_for_link(email, "/confirm?token=", 1);
        api.post("/v1/auth/confirm", json!({ "token": token }), 200);
        let admin = login_from(&api, email, PASSWORD);
        Self {
            id: answer["company"]["id"].as_str().unwrap().to_owned(),
            name: answer["company"]["name"].as_str().unwrap().to_owned(),
            handle: answer["company"]["handle"].as_str().unwrap().to_owned(),
            company: answer["company"].clone(),
            admin,
        }
    }

    /// The admin's authenticated client.
    #[must_use]
    pub fn api(&self) -> &Api {
        &self.admin.api
    }
}

/// Makes an active relationship: `customer` asks (for documents, approvals, talk and cards),
/// `supplier` approves. Returns the relationship id.
pub fn connect(customer: &Company, supplier: &Company) -> String {
    let id = request(customer, supplier);
    let approved = supplier
        .api()
        .post_empty(&format!("/v1/relationships/{id}/approve"), 200);
    assert_eq!(approved["status"], "active", "{approved}");
    id
}

/// `customer` asks `supplier` for a relationship (documents, approvals, talk, cards);
/// returns the id of the open request.
pub fn request(customer: &Company, supplier: &Company) -> String {
    let rel = customer.api().post(
        "/v1/relationships",
        json!({
            "company_id": supplier.id,
            "my_role": "customer",
            "services": {
                "documents": "requested", "approvals": "requested",
                "talk": "requested", "cards": "requested",
            },
        }),
        201,
    );
    rel["id"].as_str().unwrap().to_owned()
}

/// Makes an active relationship and has `blocker` block it. Returns its id.
pub fn connect_blocked(customer: &Company, supplier: &Company, blocker: &Company) -> String {
    let id = connect(customer, supplier);
    let blocked = blocker
        .api()
        .post_empty(&format!("/v1/relationships/{id}/block"), 200);
    assert_eq!(blocked["status"], "blocked", "{blocked}");
    id
}

/// Invites a colleague into `company` as a member with `permissions`, accepts the invitation
/// from the mail, and logs them in.
pub fn invite_colleague(company: &Company, permissions: &[&str]) -> Person {
    invite_user(company.api(), "member", permissions)
}

/// Invites a user through `inviter` (who needs `users.manage`) with `role` and `permissions`,
/// accepts the invitation from the mail, and logs them in.
pub fn invite_user(inviter: &Api, role: &str, permissions: &[&str]) -> Person {
    let email = unique_email("colleague");
    let name = format!("Colleague {}", unique(6));
    let invited = inviter.post(
        "/v1/users",
        json!({"email": email, "name": name, "role": role, "permissions": permissions}),
        201,
    );
    assert_eq!(invited["status"], "invited", "{invited}");
    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    let accepted = Api::new().post(
        "/v1/auth/accept-invitation",
        json!({"token": token, "password": PASSWORD, "name": name}),
        201,
    );
    assert_eq!(accepted["user"]["status"], "active", "{accepted}");
    login(&email, PASSWORD)
}

/// An API key of a company, with a client presenting it.
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    /// The secret `tp_…` key, shown once at creation.
    pub key: String,
    /// The creation answer.
    pub created: Value,
    pub api: Api,
}

/// Creates an API key for `company` (by its admin) with `permissions`.
pub fn api_key(company: &Company, permissions: &[&str]) -> Key {
    let created = company.api().post(
        "/v1/api-keys",
        json!({"name": format!("ERP {}", unique(4)), "permissions": permissions}),
        201,
    );
    let key = created["key"].as_str().unwrap().to_owned();
    Key {
        id: created["id"].as_str().unwrap().to_owned(),
        api: Api::new().with_bearer(&key),
        key,
        created,
    }
}

/// Decodes segment `index` (0 header, 1 claims) of a JWT.
#[must_use]
pub fn jwt_part(token: &str, index: usize) -> Value {
    let segment = token
        .split('.')
        .nth(index)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap_or_else(|e| panic!("JWT segment {index} is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT segment is not JSON: {e}"))
}

/// A token with the same header and signature as `token` but claims changed by `change`:
/// what an attacker who edits a stolen token would send.
#[must_use]
pub fn tampered(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let mut claims = jwt_part(token, 1);
    change(&mut claims);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// `token` with one character in the middle of its claims segment changed.
#[must_use]
pub fn flipped(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let mut payload: Vec<char> = parts[1].chars().collect();
    let middle = payload.len() / 2;
    payload[middle] = if payload[middle] == 'A' { 'B' } else { 'A' };
    let payload: String = payload.into_iter().collect();
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// Asserts a prefixed id: the prefix and 26 lower-case base32 characters.
pub fn assert_id(value: &Value, prefix: &str) {
    let id = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a {prefix} id, got {value}"));
    let rest = id
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected an id starting with {prefix}, got {id}"));
    assert!(
        rest.len() == 26
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()),
        "expected {prefix} and 26 lower-case base32 characters, got {id}"
    );
}

/// Asserts an RFC 3339 UTC timestamp with milliseconds (`2025-01-31T12:00:00.000Z`).
pub fn assert_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a timestamp, got {value}"));
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    assert!(
        b.len() == 24
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[19] == b'.'
            && digits(20..23)
            && b[23] == b'Z',
        "expected an RFC 3339 UTC timestamp with milliseconds, got {text}"
    );
}

/// The ids of a list answer's `data`.
#[must_use]
pub fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("expected a list {{data: [...]}}, got {list}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The item of a list answer with this id.
#[must_use]
pub fn find<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["data"]
        .as_array()?
        .iter()
        .find(|item| item["id"] == id)
}

/// A string of `n` copies of `c`.
#[must_use]
pub fn long(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// The string in `value` (an id, a token); panics naming the value when it is not a string.
#[must_use]
pub fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// The four status counts of a relationship list (other keys are ignored).
#[must_use]
pub fn counts(list: &Value) -> Value {
    let c = &list["counts"];
    json!({
        "requested": c["requested"],
        "active": c["active"],
        "rejected": c["rejected"],
        "blocked": c["blocked"],
    })
}

// ---------------------------------------------------------------------------------------------
// Documents: uploads, downloads as bytes, file fingerprints, and hand-written requests.

/// A `multipart/form-data` body as a browser sends it (`multipart::Form`, `multipart::Part`).
pub use reqwest::blocking::multipart;

/// How long a request that moves many megabytes (a 50 MiB file, a 5 MiB part) may take on a
/// busy machine; everything else keeps the client's 60 s.
pub const BIG_TRANSFER: Duration = Duration::from_secs(300);

/// One mebibyte.
pub const MIB: usize = 1024 * 1024;

/// The SHA-256 of `bytes` as lower-case hex, as documents and parts carry it.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// `len` bytes that look random but are the same for the same `seed` (xorshift64*), so a big
/// file can be made without the OS's random source and compared byte for byte.
#[must_use]
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Where two byte strings first differ (or where the shorter one ends); `None` when equal.
/// For failure messages about files too big to print.
#[must_use]
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or_else(|| a.len().min(b.len())),
    )
}

/// Asserts that `got` is exactly `want` (a downloaded file), without printing megabytes.
pub fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    if let Some(at) = first_difference(got, want) {
        let around = |bytes: &[u8]| bytes[at.min(bytes.len())..(at + 16).min(bytes.len())].to_vec();
        panic!(
            "{what}: {} bytes (sha256 {}) differ from the {} expected (sha256 {}) at offset \
             {at}: got {:?}…, expected {:?}…",
            got.len(),
            sha256_hex(got),
            want.len(),
            sha256_hex(want),
            around(got),
            around(want),
        );
    }
}

/// One HTTP answer whose body is kept as bytes: a downloaded file.
#[derive(Debug)]
pub struct Download {
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Download {
    /// A response header as text, if present.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header should be text").to_owned())
    }

    /// Asserts that the stored file cannot run as a page of our origin, whatever its content
    /// type: `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`.
    pub fn assert_sandboxed(&self) {
        let what = format!("{} {}", self.method, self.path);
        assert_eq!(
            self.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            self.header("content-security-policy").as_deref(),
            Some("sandbox"),
            "{what}"
        );
    }

    /// Asserts the status and returns the body.
    pub fn expect(&self, status: u16) -> &[u8] {
        assert!(
            self.status == status,
            "{} {}: expected status {status}, got {} ({} bytes)\n{}",
            self.method,
            self.path,
            self.status,
            self.body.len(),
            String::from_utf8_lossy(&self.body[..self.body.len().min(2000)])
        );
        &self.body
    }

    /// The same answer as a text [`Reply`], to check a refusal's problem document.
    #[must_use]
    pub fn reply(&self) -> Reply {
        Reply {
            method: self.method.clone(),
            path: self.path.clone(),
            status: self.status,
            headers: self.headers.clone(),
            text: String::from_utf8_lossy(&self.body).into_owned(),
        }
    }
}

/// What came back on a hand-written request ([`Api::raw_tcp`]).
#[derive(Debug)]
pub struct RawAnswer {
    /// Everything read from the socket, as text.
    pub received: String,
    /// Why reading stopped early (a reset, a timeout), if it did.
    pub error: Option<String>,
}

impl RawAnswer {
    /// The HTTP status, if a status line arrived.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        let line = self.received.lines().next()?;
        let mut words = line.split_whitespace();
        if !words.next()?.starts_with("HTTP/") {
            return None;
        }
        words.next()?.parse().ok()
    }

    /// The answer as a [`Reply`] (headers parsed, a chunked body decoded), when one arrived.
    #[must_use]
    pub fn reply(&self, method: Method, path: &str) -> Option<Reply> {
        let status = self.status()?;
        let (head, body) = self
            .received
            .split_once("\r\n\r\n")
            .unwrap_or((&self.received, ""));
        let mut headers = HeaderMap::new();
        for line in head.lines().skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(value.trim()),
            ) {
                headers.append(name, value);
            }
        }
        let chunked = headers
            .get("transfer-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let text = if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        };
        Some(Reply {
            method,
            path: path.to_owned(),
            status,
            headers,
            text,
        })
    }
}

/// The payload of a `Transfer-Encoding: chunked` body (as far as it arrived).
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size_line, rest)) = body.split_once("\r\n") {
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            out.push_str(&rest[..size.min(rest.len())]);
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// Whether `received` holds a whole HTTP response (head and, by its `Content-Length` or the
/// chunked terminator, its body).
fn response_complete(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let head = head.to_ascii_lowercase();
    for line in head.lines() {
        if let Some(length) = line.strip_prefix("content-length:") {
            return length
                .trim()
                .parse::<usize>()
                .is_ok_and(|n| body.len() >= n);
        }
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with("0\r\n\r\n");
    }
    // No length: the server ends the body by closing, which the reader sees.
    false
}

impl Api {
    /// Sends a request built with [`Api::raw`] and keeps the body as bytes.
    #[must_use]
    pub fn run_bytes(&self, method: Method, path: &str, request: RequestBuilder) -> Download {
        let response = request.send().unwrap_or_else(|e| {
            panic!(
                "{method} {path}: no answer from {}: {}",
                self.base,
                causes(&e)
            )
        });
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .unwrap_or_else(|e| panic!("{method} {path}: body unreadable: {e}"))
            .to_vec();
        Download {
            method,
            path: path.to_owned(),
            status,
            headers,
            body,
        }
    }

    /// `GET /v1/documents/{id}/content` with extra request `headers` (`Range`,
    /// `If-None-Match`); the answer with its body as bytes, whatever the status.
    #[must_use]
    pub fn download(&self, doc_id: &str, headers: &[(&str, &str)]) -> Download {
        let path = format!("/v1/documents/{doc_id}/content");
        let mut request = self.raw(Method::GET, &path).timeout(BIG_TRANSFER);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.run_bytes(Method::GET, &path, request)
    }

    /// `POST /v1/documents` with exactly these request `headers` and the raw `body`; for
    /// uploads that leave out or spoil a header.
    #[must_use]
    pub fn upload_raw(&self, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let path = "/v1/documents";
        let mut request = self.raw(Method::POST, path).timeout(BIG_TRANSFER);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.run(Method::POST, path, request.body(body))
    }

    /// A raw-body upload as an ERP sends it: `Tradepost-Recipient` (`co_…` or handle),
    /// `Tradepost-Type` and `Tradepost-Filename`, plus `extra_headers` (`Content-Type`,
    /// `Tradepost-Reference`, `Idempotency-Key`, …); the whole answer.
    #[must_use]
    pub fn upload_reply(
        &self,
        recipient: &str,
        kind: &str,
        filename: &str,
        body: Vec<u8>,
        extra_headers: &[(&str, &str)],
    ) -> Reply {
        let mut headers = vec![
            ("Tradepost-Recipient", recipient),
            ("Tradepost-Type", kind),
            ("Tradepost-Filename", filename),
        ];
        headers.extend_from_slice(extra_headers);
        self.upload_raw(&headers, body)
    }

    /// As [`Api::upload_reply`], expecting `status`; the parsed answer (the document).
    pub fn upload(
        &self,
        recipient: &str,
        kind: &str,
        filename: &str,
        body: Vec<u8>,
        extra_headers: &[(&str, &str)],
        status: u16,
    ) -> Value {
        self.upload_reply(recipient, kind, filename, body, extra_headers)
            .expect(status)
    }

    /// `POST /v1/documents` with a `multipart/form-data` body (and extra request `headers`,
    /// such as `Idempotency-Key`); the whole answer.
    #[must_use]
    pub fn upload_form(&self, form: multipart::Form, headers: &[(&str, &str)]) -> Reply {
        let path = "/v1/documents";
        let mut request = self.raw(Method::POST, path).timeout(BIG_TRANSFER);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.run(Method::POST, path, request.multipart(form))
    }

    /// `PUT /v1/uploads/{id}/parts/{n}` with the raw `body`; the whole answer.
    #[must_use]
    pub fn put_part(&self, upload_id: &str, part_number: u32, body: Vec<u8>) -> Reply {
        let path = format!("/v1/uploads/{upload_id}/parts/{part_number}");
        let request = self
            .raw(Method::PUT, &path)
            .timeout(BIG_TRANSFER)
            .body(body);
        self.run(Method::PUT, &path, request)
    }

    /// `GET /v1/documents` with the `query` pairs (URL-encoded); the whole answer.
    #[must_use]
    pub fn documents_reply(&self, query: &[(&str, &str)]) -> Reply {
        let path = "/v1/documents";
        let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let described = format!("{path}?{}", shown.join("&"));
        self.run(
            Method::GET,
            &described,
            self.raw(Method::GET, path).query(query),
        )
    }

    /// `GET /v1/documents` with the `query` pairs (e.g. `[("box", "outbox")]`), expecting 200;
    /// the list `{data, next_cursor, counts}`.
    pub fn documents(&self, query: &[(&str, &str)]) -> Value {
        let list = self.documents_reply(query).expect(200);
        assert!(
            list["data"].is_array() && list["counts"].is_object(),
            "a document list is {{data, next_cursor, counts}}: {list}"
        );
        list
    }

    /// Sends a hand-written HTTP/1.1 request over a plain TCP connection to the stack, for what
    /// a client library refuses to send: a `Content-Length` that lies, a declared size far
    /// beyond the limit with no body behind it, a chunked upload. Adds `Host`,
    /// `Connection: close`, this client's address and credential to `headers`; writes `body`;
    /// with `close_write` shuts down the sending side (the upload "ends"). Then reads whatever
    /// comes back within 30 s.
    #[must_use]
    pub fn raw_tcp(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        close_write: bool,
    ) -> RawAnswer {
        use std::io::{Read as _, Write as _};
        let authority = self
            .base
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("raw_tcp speaks plain http only, not {}", self.base))
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let address = if authority.contains(':') {
            authority.clone()
        } else {
            format!("{authority}:80")
        };
        let mut stream = std::net::TcpStream::connect(&address)
            .unwrap_or_else(|e| panic!("cannot connect to {address}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a read timeout can be set");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
             CF-Connecting-IP: {}\r\n",
            self.ip
        );
        if let Some(token) = &self.bearer {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut error = None;
        if let Err(e) = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body))
            .and_then(|()| stream.flush())
        {
            error = Some(format!("writing: {e}"));
        }
        if close_write {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        let mut received = Vec::new();
        let mut buffer = [0_u8; 8192];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if response_complete(&received) {
                        break;
                    }
                }
                Err(e) => {
                    error.get_or_insert_with(|| format!("reading: {e}"));
                    break;
                }
            }
        }
        RawAnswer {
            received: String::from_utf8_lossy(&received).into_owned(),
            error,
        }
    }
}
