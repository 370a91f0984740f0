//! The platform as the request logic sees it: small traits for the database, the file bucket,
//! the event queue, outgoing HTTP, settings, the clock and work left to run after the answer.
//!
//! A worker's adapter (`crate::edge`, wasm32 only) implements them over D1, R2, Queues, `fetch`,
//! the environment and `waitUntil`; `testkit` implements them natively (SQLite with the real
//! migrations, files in memory, a captured queue, a scripted HTTP peer, a clock that can be
//! moved), so every handler runs in `cargo test` as it runs in workerd. Randomness comes from
//! `getrandom` on both (`crate::random`), which is already a platform abstraction of its own.

pub mod db;
pub mod files;

use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

pub use db::{Bind, Database, Db, DbError, Json, Outcome, Query, Row, Statement, Trips, Value};
pub use files::{ByteStream, FileBody, FileRange, Files};

use crate::time::Timestamp;
use crate::{Error, Result};

/// A failure of the platform (bucket, queue, network), as text for the log.
pub type PlatformResult<T> = std::result::Result<T, String>;

/// The event queue (`tradepost-events`).
pub trait Queue {
    /// Sends one JSON message, delivered after `delay_secs` (0: at once).
    fn send(&self, json: String, delay_secs: u32) -> LocalBoxFuture<'_, PlatformResult<()>>;
}

/// An outgoing HTTP request (webhook deliveries).
#[derive(Debug, Clone, PartialEq)]
pub struct OutRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Give up after this long.
    pub timeout_ms: u64,
    /// Keep at most this many bytes of the answer's body.
    pub keep_bytes: usize,
}

/// The answer to an [`OutRequest`]. Redirects are never followed: a 3xx is an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct OutResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The start of the body, at most `keep_bytes`.
    pub body: Vec<u8>,
}

impl OutResponse {
    /// A header of the answer (names compared without case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an outgoing request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// No answer within the timeout.
    Timeout,
    /// The connection failed (the platform's text).
    Network(String),
}

/// Outgoing HTTP.
pub trait Http {
    /// Sends a request and reads the start of its answer.
    fn fetch(&self, request: OutRequest) -> LocalBoxFuture<'_, Result<OutResponse, FetchError>>;
}

/// A mail as handed to the mail service (Cloudflare Email Service's `send_email` binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMail {
    pub from: String,
    /// The sender's display name.
    pub from_name: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Extra headers (`List-Unsubscribe`, `List-Unsubscribe-Post`).
    pub headers: Vec<(String, String)>,
}

/// The mail service. Only the mailer worker has one (`tradepost-shared`'s `mail` feature).
pub trait Mailer {
    /// Hands one mail over; the provider's message id when it took it, its refusal otherwise.
    fn send(&self, mail: OutMail) -> LocalBoxFuture<'_, PlatformResult<String>>;
}

/// The worker's settings: vars and secrets.
pub trait Settings {
    /// A setting's value, if set.
    fn get(&self, name: &str) -> Option<String>;
}

/// The clock.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Timestamp;
    /// A monotonic reading in milliseconds, for timing round trips.
    fn millis(&self) -> f64;
}

/// Work that goes on after the answer is sent (`waitUntil`).
pub trait Background {
    /// Runs `work` after the response, without holding the answer back.
    fn spawn(&self, work: LocalBoxFuture<'static, ()>);
}

/// What one worker invocation may use. A worker binds only what it needs: the missing parts
/// are `None`, and asking for one is an internal error naming it.
#[derive(Clone)]
pub struct Platform {
    pub db: Db,
    pub files: Option<Rc<dyn Files>>,
    pub queue: Option<Rc<dyn Queue>>,
    /// The `tradepost-invoices` queue (`INVOICE_QUEUE`): documents of type `invoice` to be read
    /// by the invoices worker. Only the orders worker sends to it.
    pub invoice_queue: Option<Rc<dyn Queue>>,
    /// The notify worker through its service binding (`NOTIFY`): committed events are handed to
    /// it straight after the answer, for the first webhook attempt without waiting for a queue
    /// batch (`service::publish_after`; the queue carries what it does not take).
    pub notify: Option<Rc<dyn Http>>,
    pub http: Option<Rc<dyn Http>>,
    /// The mail service (`EMAIL`): the mailer worker's only.
    pub mailer: Option<Rc<dyn Mailer>>,
    pub settings: Rc<dyn Settings>,
    pub clock: Rc<dyn Clock>,
    pub background: Rc<dyn Background>,
}

impl Platform {
    /// The base of the portal's links in mails (`PUBLIC_URL`, without a trailing slash; the
    /// local stack's address when unset).
    #[must_use]
    pub fn public_url(&self) -> String {
        self.settings
            .get("PUBLIC_URL")
            .unwrap_or_else(|| "http://127.0.0.1:8787".to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    /// The file bucket.
    ///
    /// # Errors
    /// Internal error when this worker has none bound.
    pub fn files(&self) -> Result<&dyn Files> {
        self.files
            .as_deref()
            .ok_or_else(|| Error::internal("binding FILES is missing"))
    }

    /// The event queue.
    ///
    /// # Errors
    /// Internal error when this worker has none bound.
    pub fn queue(&self) -> Result<&dyn Queue> {
        self.queue
            .as_deref()
            .ok_or_else(|| Error::internal("binding EVENTS is missing"))
    }

    /// The mail service.
    ///
    /// # Errors
    /// Internal error when this worker has none bound.
    pub fn mailer(&self) -> Result<&dyn Mailer> {
        self.mailer
            .as_deref()
            .ok_or_else(|| Error::internal("binding EMAIL is missing"))
    }

    /// Outgoing HTTP.
    ///
    /// # Errors
    /// Internal error when this worker may not fetch (on Workers, only a worker built with
    /// `tradepost-shared`'s `fetch` feature may: the notify and admin workers).
    pub fn http(&self) -> Result<&dyn Http> {
        self.http
            .as_deref()
            .ok_or_else(|| Error::internal("outgoing fetch is not available"))
    }

    /// A required setting.
    ///
    /// # Errors
    /// An internal error naming the missing setting.
    pub fn setting(&self, name: &str) -> Result<String> {
        self.settings
            .get(name)
            .ok_or_else(|| Error::internal(format!("setting {name} is missing")))
    }

    /// A numeric setting with a default.
    #[must_use]
    pub fn number(&self, name: &str, default: u64) -> u64 {
        self.settings
            .get(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }

    /// Whether this worker runs in the local development stack (`ENVIRONMENT=dev`).
    #[must_use]
    pub fn is_dev(&self) -> bool {
        self.settings.get("ENVIRONMENT").is_some_and(|v| v == "dev")
    }
}
