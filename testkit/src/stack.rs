//! Every worker's route table over one native platform: requests are answered the way the
//! gateway and the workers answer them in workerd, and what was left for after the answer
//! (events to the queue) runs before the answer is handed to the test.

use std::cell::RefCell;
use std::rc::Rc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use shared::platform::{Db, Http, Platform, Row, Value};
use shared::service::{route, Body, Method, ReplyBody, Request, Service};

use crate::memory::{MemoryBody, MemoryFiles};
use crate::sqlite::Sqlite;
use crate::{CapturedMail, CapturedQueue, Deferred, MapSettings, ScriptedHttp, TestClock};

/// The platform of a test, shared by every worker in it.
pub struct Stack {
    pub db: Rc<Sqlite>,
    pub files: Rc<MemoryFiles>,
    pub queue: Rc<CapturedQueue>,
    /// What was put on the invoices queue (`{"document_id": …}`).
    pub invoice_queue: Rc<CapturedQueue>,
    pub http: Rc<ScriptedHttp>,
    /// The mail service: what was handed to it, and refusals a test scripts.
    pub mail: Rc<CapturedMail>,
    /// The workers' `NOTIFY` binding: none unless a test binds one ([`Stack::bind_notify`]),
    /// so events go to the captured queue.
    notify: RefCell<Option<Rc<dyn Http>>>,
    pub settings: Rc<MapSettings>,
    pub clock: Rc<TestClock>,
    deferred: Rc<Deferred>,
    services: Vec<&'static Service>,
}

fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    let _ = getrandom_fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn getrandom_fill(buf: &mut [u8]) -> Result<(), shared::Error> {
    for chunk in buf.chunks_mut(32) {
        let random: [u8; 32] = shared::random::bytes()?;
        chunk.copy_from_slice(&random[..chunk.len()]);
    }
    Ok(())
}

impl Stack {
    /// A fresh stack (empty migrated database, empty bucket and queue) serving `services`, with
    /// dev settings and freshly generated keys.
    ///
    /// # Panics
    /// When the keys cannot be made (no randomness).
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn new(services: &[&'static Service]) -> Stack {
        let seed = shared::token::generate_seed().expect("should make a signing seed");
        let issuer =
            shared::token::TokenIssuer::from_seed(&seed, "test").expect("should load the seed");
        let webhook_seed = shared::token::generate_seed().expect("should make a webhook seed");
        let settings = MapSettings::default();
        for (name, value) in [
            ("ENVIRONMENT", "dev".to_owned()),
            ("PUBLIC_URL", "http://tradepost.test".to_owned()),
            ("MAIL_FROM", "noreply@tradepost.test".to_owned()),
            ("JWT_SIGNING_KEY", seed),
            ("JWT_KID", "test".to_owned()),
            ("JWT_PUBLIC_KEYS", issuer.jwks().to_string()),
            ("PEPPER", random_b64(32)),
            ("WEBHOOK_SIGNING_KEY", webhook_seed),
            ("WEBHOOK_SECRETS_KEY", random_b64(32)),
        ] {
            settings.0.borrow_mut().insert(name.to_owned(), value);
        }
        Stack {
            db: Rc::new(Sqlite::migrated()),
            files: Rc::new(MemoryFiles::default()),
            queue: Rc::new(CapturedQueue::default()),
            invoice_queue: Rc::new(CapturedQueue::default()),
            http: Rc::new(ScriptedHttp::default()),
            mail: Rc::new(CapturedMail::default()),
            notify: RefCell::new(None),
            settings: Rc::new(settings),
            clock: Rc::new(TestClock::default()),
            deferred: Rc::new(Deferred::default()),
            services: services.to_vec(),
        }
    }

    /// Binds `notify` as the workers' `NOTIFY` service: events are handed to it after each
    /// answer, and go to the queue only when it does not take them.
    pub fn bind_notify(&self, notify: Rc<dyn Http>) {
        *self.notify.borrow_mut() = Some(notify);
    }

    /// Sets a setting (a var or secret of every worker).
    pub fn set(&self, name: &str, value: &str) {
        self.settings
            .0
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
    }

    /// The platform as one invocation sees it.
    #[must_use]
    pub fn platform(&self) -> Platform {
        let clock = self.clock.clone();
        Platform {
            db: Db::new(
                self.db.clone(),
                Rc::new(move || shared::platform::Clock::millis(clock.as_ref())),
            ),
            files: Some(self.files.clone()),
            queue: Some(self.queue.clone()),
            invoice_queue: Some(self.invoice_queue.clone()),
            notify: self.notify.borrow().clone(),
            http: Some(self.http.clone()),
            mailer: Some(self.mail.clone()),
            settings: self.settings.clone(),
            clock: self.clock.clone(),
            background: self.deferred.clone(),
        }
    }

    /// Starts a request.
    #[must_use]
    pub fn call(&self, method: Method, target: &str) -> Call<'_> {
        Call {
            stack: self,
            req: Request::new(method, target),
        }
    }

    /// `GET target`.
    #[must_use]
    pub fn get(&self, target: &str) -> Call<'_> {
        self.call(Method::Get, target)
    }

    /// `POST target`.
    #[must_use]
    pub fn post(&self, target: &str) -> Call<'_> {
        self.call(Method::Post, target)
    }

    /// Answers a request as the gateway and the worker that owns its path would, then runs what
    /// the worker left for after the answer.
    pub async fn send(&self, req: Request) -> Answer {
        let segments = req.segments();
        let Some(service) = route::owner(&self.services, &segments) else {
            return Answer {
                status: 404,
                headers: vec![("content-type".into(), "application/problem+json".into())],
                body: br#"{"code":"not_found"}"#.to_vec(),
            };
        };
        let reply = route::handle(service, self.platform(), req).await;
        self.deferred.run().await;
        let body = match reply.body {
            ReplyBody::Empty => Vec::new(),
            ReplyBody::Bytes(b) => b,
            ReplyBody::File(f) => match f.into_any().downcast::<Vec<u8>>() {
                Ok(bytes) => *bytes,
                Err(_) => Vec::new(),
            },
            // A stream that fails midway ends the body there, as a cut connection would.
            ReplyBody::Stream(mut s) => {
                let mut out = Vec::new();
                while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut s).await {
                    out.extend(chunk);
                }
                out
            }
        };
        Answer {
            status: reply.status,
            headers: reply.headers,
            body,
        }
    }

    /// Runs the work requests and consumers left for after their answers (events to the queue,
    /// webhook attempts), and what that work leaves in turn.
    pub async fn settle(&self) {
        self.deferred.run().await;
    }

    /// Takes the messages sent to the queue so far (the JSON text and the delay of each).
    #[must_use]
    pub fn take_queue(&self) -> Vec<(String, u32)> {
        std::mem::take(&mut *self.queue.sent.borrow_mut())
    }

    /// Rows of a query run directly on the database (checking what is stored).
    ///
    /// # Panics
    /// When the query fails.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn rows(&self, sql: &str, params: &[Value]) -> Vec<Row> {
        self.db
            .query(sql, params)
            .expect("the check's query should run")
    }

    /// The single number a query returns (a count).
    #[must_use]
    pub fn count(&self, sql: &str, params: &[Value]) -> i64 {
        match self.rows(sql, params).first().and_then(|r| r.0.first()) {
            Some((_, Value::Integer(n))) => *n,
            _ => -1,
        }
    }

    /// The first column of a query's rows, as text (NULL as an empty string).
    #[must_use]
    pub fn texts(&self, sql: &str, params: &[Value]) -> Vec<String> {
        self.rows(sql, params)
            .iter()
            .map(|r| match r.0.first() {
                Some((_, Value::Text(t))) => t.clone(),
                Some((_, Value::Integer(n))) => n.to_string(),
                _ => String::new(),
            })
            .collect()
    }

    /// The messages sent to the queue so far, parsed.
    #[must_use]
    pub fn queued(&self) -> Vec<serde_json::Value> {
        self.queue
            .sent
            .borrow()
            .iter()
            .filter_map(|(json, _)| serde_json::from_str(json).ok())
            .collect()
    }

    /// The events of type `kind` sent to the queue so far.
    #[must_use]
    pub fn queued_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.queued()
            .into_iter()
            .filter(|e| e["type"] == kind)
            .collect()
    }

    /// The mails of `template` written so far, in the order written: (to, subject, body).
    #[must_use]
    pub fn mails_of(&self, template: &str) -> Vec<(String, String, String)> {
        self.rows(
            "SELECT to_email, subject, body FROM mails WHERE template = ?1 ORDER BY rowid",
            &[Value::Text(template.to_owned())],
        )
        .iter()
        .map(|r| {
            let text = |i: usize| match r.0.get(i) {
                Some((_, Value::Text(t))) => t.clone(),
                _ => String::new(),
            };
            (text(0), text(1), text(2))
        })
        .collect()
    }

    /// Who the mails of `template` went to, sorted (the order of one batch's mails is not the
    /// point).
    #[must_use]
    pub fn mailed(&self, template: &str) -> Vec<String> {
        let mut to: Vec<String> = self.mails_of(template).into_iter().map(|m| m.0).collect();
        to.sort_unstable();
        to
    }
}

/// The `field` of a problem answer ("" when it names none).
#[must_use]
pub fn problem_field(answer: &serde_json::Value) -> &str {
    answer["field"].as_str().unwrap_or("")
}

/// The `code` of a problem answer ("" when it has none).
#[must_use]
pub fn problem_code(answer: &serde_json::Value) -> &str {
    answer["code"].as_str().unwrap_or("")
}

impl std::fmt::Debug for MemoryBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

/// A request being put together.
pub struct Call<'s> {
    stack: &'s Stack,
    pub req: Request,
}

impl Call<'_> {
    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.req
            .headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Authenticates with a token or an API key.
    #[must_use]
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body.
    ///
    /// # Panics
    /// When the value does not serialise.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn json<T: Serialize>(self, body: &T) -> Self {
        let bytes = serde_json::to_vec(body).expect("a test body should serialise");
        self.bytes("application/json", bytes)
    }

    /// A raw body with its content type and length.
    #[must_use]
    pub fn bytes(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self = self
            .header("content-type", content_type)
            .header("content-length", &body.len().to_string());
        self.req.body = Body::Bytes(body);
        self
    }

    /// Sends it.
    pub async fn send(self) -> Answer {
        self.stack.send(self.req).await
    }

    /// Sends it and waits for the answer.
    #[must_use]
    pub fn run(self) -> Answer {
        crate::block_on(self.send())
    }
}

/// An answer as the test reads it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`null` when it is not).
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A header of the answer.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Panics with the body unless the status is `status`; returns the JSON body.
    ///
    /// # Panics
    /// When the status differs.
    #[allow(clippy::panic)]
    pub fn expect(&self, status: u16) -> serde_json::Value {
        if self.status != status {
            panic!(
                "expected {status}, got {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        self.json()
    }
}
