//! Glue every worker needs at the edge: reading requests, writing JSON and problem responses,
//! authenticating a caller, talking to D1, writing events, and streaming files into and out of R2. Compiles for wasm32 only.

pub mod auth;
pub mod context;
pub mod db;
pub mod events;
pub mod partners;
pub mod store;

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Headers, Method, Request, Response};

use crate::{Error, Result};

/// Largest JSON body any endpoint reads.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Converts a platform failure into an internal error (logged, never shown).
pub fn internal(err: impl std::fmt::Display) -> Error {
    Error::internal(err.to_string())
}

/// Reads a JSON body: checks the content type and size, and names the offending field on error.
///
/// # Errors
/// 415 for another content type, 413 for more than [`MAX_JSON_BODY`] bytes, 400/422 for bad JSON.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T> {
    let content_type = header(req, "content-type").unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Error::UnsupportedMediaType {
            detail: "send the body as application/json".to_owned(),
        });
    }
    if let Some(len) = header(req, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        if len > MAX_JSON_BODY {
            return Err(too_large());
        }
    }
    let bytes = req.bytes().await.map_err(internal)?;
    if bytes.len() > MAX_JSON_BODY {
        return Err(too_large());
    }
    parse_json(&bytes)
}

/// Parses JSON bytes, naming the offending field on error.
///
/// # Errors
/// 400 for malformed JSON, 422 naming the field for a missing or ill-typed one.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| Error::from_json(&e))
}

fn too_large() -> Error {
    Error::PayloadTooLarge {
        detail: format!("JSON bodies are limited to {MAX_JSON_BODY} bytes"),
    }
}

/// A request header's value, if present and readable.
#[must_use]
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The value of a query parameter, if present.
///
/// Reads the raw URL instead of `Request::url()`, whose full URL parser (with IDNA tables)
/// would add about a fifth to every worker's bundle.
#[must_use]
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The path split into its segments (`/v1/users/us_1` → `["v1", "users", "us_1"]`).
#[must_use]
pub fn segments(req: &Request) -> Vec<String> {
    req.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            urlencoding::decode(s)
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_else(|_| s.to_owned())
        })
        .collect()
}

/// A JSON response with the given status.
///
/// # Errors
/// Fails only if the value cannot be serialised.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    Response::from_json(body)
        .map(|r| r.with_status(status))
        .map_err(internal)
}

/// An empty 204 response.
///
/// # Errors
/// Never in practice.
pub fn no_content() -> Result<Response> {
    Response::empty()
        .map(|r| r.with_status(204))
        .map_err(internal)
}

/// The RFC 9457 response for an error. Internal details go to the log, not to the client.
///
/// # Errors
/// Only if the platform cannot build a response at all.
pub fn problem_response(err: &Error) -> worker::Result<Response> {
    if let Error::Internal(detail) = err {
        worker::console_error!("internal error: {detail}");
    }
    let problem = err.problem();
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_owned());
    let headers = Headers::new();
    headers.set("content-type", "application/problem+json")?;
    if let Error::TooManyRequests { retry_after_secs } = err {
        headers.set("retry-after", &retry_after_secs.to_string())?;
    }
    if matches!(err, Error::Unauthenticated { .. }) {
        headers.set("www-authenticate", "Bearer")?;
    }
    Ok(Response::ok(body)?
        .with_status(problem.status)
        .with_headers(headers))
}

/// Turns a handler's outcome into the response sent: the value, or its problem document.
///
/// # Errors
/// Only if the platform cannot build a response at all.
pub fn respond(outcome: Result<Response>) -> worker::Result<Response> {
    match outcome {
        Ok(response) => Ok(response),
        Err(err) => problem_response(&err),
    }
}

/// The whole of a worker's `#[event(fetch)]`: splits the path, builds the request's [`Ctx`],
/// runs the worker's route table (`dispatch(cx, method, path segments)`) and turns its outcome
/// into the response (a problem document on error).
///
/// # Errors
/// Only if the platform cannot build a response at all.
pub async fn serve(
    req: Request,
    env: worker::Env,
    ctx: worker::Context,
    dispatch: impl AsyncFn(&mut context::Ctx, &str, &[&str]) -> Result<Response>,
) -> worker::Result<Response> {
    let segments = segments(&req);
    let method = method_name(&req);
    let mut cx = match context::Ctx::new(req, env, ctx) {
        Ok(cx) => cx,
        Err(e) => return problem_response(&e),
    };
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    respond(dispatch(&mut cx, method, &path).await)
}

/// Method names for matching routes.
#[must_use]
pub fn method_name(req: &Request) -> &'static str {
    match req.method() {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
        Method::Options => "OPTIONS",
        _ => "OTHER",
    }
}

/// A required string setting (var or secret) of the worker.
///
/// # Errors
/// An internal error naming the missing setting.
pub fn setting(env: &worker::Env, name: &str) -> Result<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .map_err(|_| Error::internal(format!("setting {name} is missing")))
}

/// Whether this worker runs in the local development stack (`ENVIRONMENT=dev`).
#[must_use]
pub fn is_dev(env: &worker::Env) -> bool {
    setting(env, "ENVIRONMENT").is_ok_and(|v| v == "dev")
}

/// Lets a dev-only endpoint run locally; anywhere else it does not exist.
///
/// # Errors
/// 404 `route` unless `ENVIRONMENT` is `dev`.
pub fn require_dev(env: &worker::Env) -> Result<()> {
    if is_dev(env) {
        Ok(())
    } else {
        Err(Error::not_found("route"))
    }
}

/// The paging parameters of a list request.
pub struct Page {
    pub limit: u32,
    /// Items strictly older than this id (ids sort by time).
    pub before: Option<String>,
}

impl Page {
    /// Reads `limit` and `cursor` from the query string.
    ///
    /// # Errors
    /// 422 naming `limit` or `cursor` when malformed.
    pub fn from_request(req: &Request) -> Result<Page> {
        let limit = crate::validate::limit(query(req, "limit").as_deref())?;
        let before = match query(req, "cursor") {
            None => None,
            Some(c) if c.is_empty() => None,
            Some(c) => Some(decode_cursor(&c)?),
        };
        Ok(Page { limit, before })
    }

    /// Splits a page of `limit + 1` rows into the data and the cursor of the next page.
    pub fn finish<T>(
        &self,
        mut rows: Vec<T>,
        id_of: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        let limit = self.limit as usize;
        if rows.len() > limit {
            rows.truncate(limit);
            let next = rows.last().map(|r| encode_cursor(&id_of(r)));
            (rows, next)
        } else {
            (rows, None)
        }
    }

    /// The SQL `LIMIT` to ask for: one more than the page, to know whether another follows.
    #[must_use]
    pub fn fetch(&self) -> f64 {
        f64::from(self.limit) + 1.0
    }
}

fn encode_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Result<String> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| s.len() < 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}

/// A list response: `{"data": [...], "next_cursor": ...}`.
#[derive(Serialize)]
pub struct List<T: Serialize> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}
