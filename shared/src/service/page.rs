//! Paging of list endpoints: `?limit=` (default 50, at most 200) and an opaque `cursor`; the
//! answer is `{"data": [...], "next_cursor": ...}` (plus what a list adds, such as counts).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use super::Cx;
use crate::{Error, Result};

/// The paging parameters of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub fn from_request(cx: &Cx) -> Result<Page> {
        let limit = crate::validate::limit(cx.query("limit").as_deref())?;
        let before = match cx.query("cursor") {
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
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }
}

fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn decode_cursor(cursor: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| s.len() < 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}

/// The paging parameters, as documented.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the page before.
    #[param(max_length = 100)]
    pub cursor: Option<String>,
}

/// A list answer: `{"data": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize)]
pub struct List<T: Serialize> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}
