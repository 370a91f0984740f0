//! What a handler works with: the request, the platform, the time of the request, the caller
//! (authenticated by the route table before the handler runs), the path's parameters, and the
//! events to send once the answer is out.

use std::cell::RefCell;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::{Body, Request};
use crate::event::Event;
use crate::permissions::Principal;
use crate::platform::{Db, Files, Platform};
use crate::time::Timestamp;
use crate::{Error, Result};

/// Largest JSON body any endpoint reads.
pub const MAX_JSON_BODY: usize = 64 * 1024;

pub struct Cx {
    pub req: Request,
    pub env: Platform,
    /// The database (the same handle as `env.db`).
    pub db: Db,
    /// The time of the request.
    pub now: Timestamp,
    params: Vec<(&'static str, String)>,
    pub(crate) principal: Option<Principal>,
    events: RefCell<Vec<Event>>,
}

impl Cx {
    /// The context of one request.
    #[must_use]
    pub fn new(req: Request, env: Platform, params: Vec<(&'static str, String)>) -> Cx {
        Cx {
            req,
            db: env.db.clone(),
            now: env.clock.now(),
            env,
            params,
            principal: None,
            events: RefCell::new(Vec::new()),
        }
    }

    /// The authenticated caller.
    ///
    /// # Errors
    /// 401 when the route is public (the route table authenticates every other one).
    pub fn me(&self) -> Result<Principal> {
        self.principal
            .clone()
            .ok_or_else(|| Error::unauthenticated("unauthenticated", "this endpoint is public"))
    }

    /// A path parameter (`{id}` in the route's path), as sent.
    #[must_use]
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Sends committed events to the queue after the answer has gone out: the caller does not
    /// wait for the queue, and an event whose send fails stays in the outbox, where the notify
    /// worker's resender finds it.
    pub fn publish(&self, events: Vec<Event>) {
        self.events.borrow_mut().extend(events);
    }

    /// The events published so far (taken out).
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.borrow_mut())
    }

    /// The file bucket.
    ///
    /// # Errors
    /// Internal error when the worker has none bound.
    pub fn files(&self) -> Result<&dyn Files> {
        self.env.files()
    }

    /// Reads the JSON body: checks the content type and size, and names the offending field.
    ///
    /// # Errors
    /// 415 for another content type, 413 for more than [`MAX_JSON_BODY`] bytes, 400/422 for bad
    /// JSON.
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T> {
        let content_type = self.header("content-type").unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(Error::UnsupportedMediaType {
                detail: "send the body as application/json".to_owned(),
            });
        }
        if let Some(len) = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            if len > MAX_JSON_BODY {
                return Err(too_large());
            }
        }
        let bytes = self.read_body(MAX_JSON_BODY).await?;
        parse_json(&bytes)
    }

    /// Reads a JSON body that may be left out: no body gives `T::default()`.
    ///
    /// # Errors
    /// As [`Cx::body`] when a body is there.
    pub async fn optional_body<T: DeserializeOwned + Default>(&mut self) -> Result<T> {
        if self.has_body() {
            self.body().await
        } else {
            Ok(T::default())
        }
    }

    /// Whether the request announces a body.
    #[must_use]
    pub fn has_body(&self) -> bool {
        self.header("content-length")
            .is_some_and(|l| l.trim() != "0")
            || self.header("transfer-encoding").is_some()
            || matches!(&self.req.body, Body::Bytes(b) if !b.is_empty())
            || matches!(&self.req.body, Body::Stream(_))
    }

    /// The whole body, at most `limit` bytes.
    async fn read_body(&mut self, limit: usize) -> Result<Vec<u8>> {
        let mut stream = self.req.take_body();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                Error::bad_request(
                    "body_incomplete",
                    format!("the body could not be read: {e}"),
                )
            })?;
            out.extend_from_slice(&chunk);
            if out.len() > limit {
                return Err(too_large());
            }
        }
        Ok(out)
    }

    /// A query parameter.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<String> {
        self.req.query(name)
    }

    /// The query string read into `T` (its fields are the parameters the route documents;
    /// others are ignored; a repeated one counts once, the last).
    ///
    /// # Errors
    /// 422 naming the parameter that does not fit.
    pub fn query_as<T: DeserializeOwned>(&self) -> Result<T> {
        let map: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(self.req.query.as_bytes())
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect();
        let read = |map: serde_json::Map<String, serde_json::Value>| {
            serde_json::from_value::<T>(serde_json::Value::Object(map))
        };
        read(map.clone()).map_err(|e| {
            // The parameter at fault: the one named missing, else the one without which the
            // same error does not come again.
            let message = e.to_string();
            let culprit = crate::error::missing_field_name(&message).or_else(|| {
                map.keys().find_map(|name| {
                    let mut without = map.clone();
                    without.remove(name);
                    let same = read(without)
                        .err()
                        .is_some_and(|e| e.to_string() == message);
                    (!same).then(|| name.clone())
                })
            });
            Error::invalid(culprit.unwrap_or_else(|| "query".to_owned()), message)
        })
    }

    /// A request header.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.req.header(name)
    }

    /// The `Idempotency-Key` header, checked: a retry that sends it again is answered with what
    /// the first request wrote.
    ///
    /// # Errors
    /// 422 `idempotency_key` when malformed.
    pub fn idempotency_key(&self) -> Result<Option<String>> {
        self.header("idempotency-key")
            .map(|k| crate::document::idempotency_key(&k))
            .transpose()
    }

    /// A numeric setting with a default.
    #[must_use]
    pub fn number(&self, name: &str, default: u64) -> u64 {
        self.env.number(name, default)
    }

    /// A required setting.
    ///
    /// # Errors
    /// Internal error naming the missing setting.
    pub fn setting(&self, name: &str) -> Result<String> {
        self.env.setting(name)
    }

    /// The base URL links in mails point to.
    #[must_use]
    pub fn public_url(&self) -> String {
        self.env.public_url()
    }
}

/// Parses JSON bytes, naming the offending field on error.
///
/// # Errors
/// 400 for malformed JSON, 422 naming the field for a missing or ill-typed one.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::from_json(bytes, &e))
}

fn too_large() -> Error {
    Error::PayloadTooLarge {
        detail: format!("JSON bodies are limited to {MAX_JSON_BODY} bytes"),
    }
}
