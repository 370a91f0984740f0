//! Requests and answers as the request logic sees them, the per-request context [`Cx`], and
//! the route table every worker declares its endpoints in ([`route`]). Platform-free: the
//! worker adapters (`crate::edge`) turn a `worker::Request` into a [`Request`] and a [`Reply`]
//! into a `worker::Response`; `testkit` does the same natively.

pub mod auth;
pub mod cx;
#[cfg(not(target_arch = "wasm32"))]
pub mod doc;
pub mod mailer;
pub mod multipart;
pub mod page;
pub mod route;
pub mod store;

use serde::Serialize;

use crate::platform::{ByteStream, FileBody};
use crate::{Error, Result};

pub use cx::Cx;
pub use page::{List, Page};
pub use route::{Access, Route, Service};

/// The HTTP methods the API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    /// Parses a method name (upper case, as on the wire).
    #[must_use]
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    /// The name on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// A request body: none, in memory, streaming in, or not opened yet (the platform's stream is
/// only taken when a handler reads it, so an answer given before reading, a 411 say, leaves
/// the body untouched as the platform expects).
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    Stream(ByteStream),
    Later(Box<dyn FnOnce() -> ByteStream>),
}

/// An incoming request.
pub struct Request {
    pub method: Method,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Request {
    /// A request without headers or body (tests and internal calls add them).
    #[must_use]
    pub fn new(method: Method, target: &str) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A header's value, if present (names compared without case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The value of a query parameter, if present.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The path split into its segments, each percent-decoded (`/v1/users/us_1` →
    /// `["v1", "users", "us_1"]`).
    #[must_use]
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                urlencoding::decode(s)
                    .map(std::borrow::Cow::into_owned)
                    .unwrap_or_else(|_| s.to_owned())
            })
            .collect()
    }

    /// Takes the body as a stream (an empty one when there is none, or it was taken).
    pub fn take_body(&mut self) -> ByteStream {
        match std::mem::replace(&mut self.body, Body::Empty) {
            Body::Empty => Box::pin(futures_util::stream::empty()),
            Body::Bytes(bytes) => crate::platform::files::stream_of(bytes),
            Body::Stream(stream) => stream,
            Body::Later(open) => open(),
        }
    }
}

/// The body of an answer.
pub enum ReplyBody {
    Empty,
    Bytes(Vec<u8>),
    /// A stored file's bytes, streamed out.
    File(Box<dyn FileBody>),
    /// Bytes made while the answer goes out (an export): on the Workers platform only in a
    /// worker built with shared's `streamed` feature.
    Stream(ByteStream),
}

/// An answer.
pub struct Reply {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: ReplyBody,
}

impl Reply {
    /// An answer without headers or body.
    #[must_use]
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    /// A JSON answer.
    ///
    /// # Errors
    /// Internal error when the value cannot be serialised.
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Result<Reply> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::internal(e.to_string()))?;
        Ok(Reply {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: ReplyBody::Bytes(bytes),
        })
    }

    /// An empty 204.
    #[must_use]
    pub fn no_content() -> Reply {
        Reply::status(204)
    }

    /// Sets a header (replacing one of the same name).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.set_header(name, value);
        self
    }

    /// Sets a header (replacing one of the same name).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
    }

    /// A header of the answer.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The RFC 9457 answer for an error. Internal details go to the log, not to the client.
    #[must_use]
    pub fn problem(err: &Error) -> Reply {
        if err.status() >= 500 {
            log_error(&format!("{err}"));
        }
        let problem = err.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut reply = Reply {
            status: problem.status,
            headers: vec![(
                "content-type".to_owned(),
                "application/problem+json".to_owned(),
            )],
            body: ReplyBody::Bytes(body),
        };
        match err {
            Error::TooManyRequests { retry_after_secs } => {
                reply.set_header("retry-after", retry_after_secs.to_string());
            }
            Error::Unauthenticated { .. } => reply.set_header("www-authenticate", "Bearer"),
            Error::RangeNotSatisfiable { size } => {
                reply.set_header("content-range", format!("bytes */{size}"));
            }
            _ => {}
        }
        reply
    }
}

/// Writes an error line to the platform's log (the worker console, or stderr natively).
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("error: {message}");
}

/// Writes an informational line to the platform's log.
pub fn log_info(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_log!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// Where the notify worker takes events handed to it through its service binding (not a
/// route of any table: the gateway never forwards to it, so only the stack's workers reach it).
pub const FANOUT_PATH: &str = "/internal/events";

/// Hands committed events on once the answer is out (`waitUntil`): to the notify worker through
/// its service binding where there is one (built with the `handover` feature: every worker but
/// notify), which answers 202 once the deliveries are written and makes the first attempts at
/// once; else, or when it does not take them, to the queue. Taking an event twice does no harm
/// (a delivery is unique per endpoint and event, an attempt is claimed), so a lost answer only
/// costs work. A failed queue send is logged: the outbox row keeps the event for the notify
/// worker's resender (which also finds an event whose hand-over hung until `waitUntil` ended).
pub fn publish_after(env: &crate::platform::Platform, events: Vec<crate::event::Event>) {
    if events.is_empty() {
        return;
    }
    let Some(queue) = env.queue.clone() else {
        log_error("events published by a worker without the EVENTS binding");
        return;
    };
    #[cfg(feature = "handover")]
    let notify = env.notify.clone();
    env.background.spawn(Box::pin(async move {
        #[cfg(feature = "handover")]
        if let Some(notify) = notify {
            if hand_over(notify.as_ref(), &events).await {
                return;
            }
        }
        publish(queue.as_ref(), &events).await;
    }));
}

/// Whether the notify worker took `events` (answered 202 to [`FANOUT_PATH`]).
#[cfg(feature = "handover")]
async fn hand_over(notify: &dyn crate::platform::Http, events: &[crate::event::Event]) -> bool {
    let Ok(body) = serde_json::to_vec(events) else {
        return false;
    };
    let request = crate::platform::OutRequest {
        method: "POST",
        url: format!("https://notify{FANOUT_PATH}"),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body,
        timeout_ms: 10_000,
        keep_bytes: 0,
    };
    match notify.fetch(request).await {
        Ok(answer) if answer.status == 202 => true,
        Ok(answer) => {
            log_error(&format!("notify did not take events: {}", answer.status));
            false
        }
        Err(e) => {
            log_error(&format!("notify did not take events: {e:?}"));
            false
        }
    }
}

/// Sends events to the queue now, logging (not returning) a failure.
pub async fn publish(queue: &dyn crate::platform::Queue, events: &[crate::event::Event]) {
    for event in events {
        let sent = match serde_json::to_string(event) {
            Ok(json) => queue.send(json, 0).await,
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = sent {
            log_error(&format!("queueing {} failed: {e}", event.id));
        }
    }
}
