//! The Tradepost API as the connector uses it: documents, multipart uploads, connectors.

use std::io::Read;
use std::time::Duration;

use reqwest::blocking::{Body, Client, RequestBuilder, Response};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::Connection;
use crate::error::{Error, Problem, Result};

/// A company as the API shows it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub handle: String,
}

/// A document as the API shows it (the fields the connector uses).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Document {
    pub id: String,
    #[serde(rename = "box")]
    pub mailbox: String,
    pub partner: Company,
    #[serde(rename = "type")]
    pub kind: String,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub reference: Option<String>,
    pub status: String,
    pub created_at: String,
}

/// A page of a list.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A multipart upload.
#[derive(Debug, Clone, Deserialize)]
pub struct Upload {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub parts: Vec<Part>,
    pub document_id: Option<String>,
    pub part_size_min: u64,
    pub part_size_max: u64,
}

/// One stored part of an upload.
#[derive(Debug, Clone, Deserialize)]
pub struct Part {
    pub part_number: u32,
    pub size: u64,
}

/// What a document upload carries besides the file.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub reference: Option<String>,
    pub in_reply_to: Option<String>,
}

/// The connection to the API.
pub struct Api {
    http: Client,
    url: String,
    key: String,
}

impl Api {
    /// A client for `connection`.
    ///
    /// # Errors
    /// The TLS backend could not be set up.
    pub fn new(connection: &Connection) -> Result<Self> {
        let http = Client::builder()
            .user_agent(concat!("tradepost-connector/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            // A part or a download of 100 MiB over a slow line; a hung server is cut off here.
            .timeout(Duration::from_secs(30 * 60))
            // Servers close idle connections; a request sent on one just closed is lost.
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            url: connection.url.clone(),
            key: connection.api_key.clone(),
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    /// Sends `request` and turns a problem answer into an [`Error`].
    fn send(&self, request: RequestBuilder) -> Result<Response> {
        let response = request.send().map_err(|e| Error::Unavailable(causes(&e)))?;
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(response);
        }
        let text = response.text().unwrap_or_default();
        let mut problem: Problem = serde_json::from_str(&text).unwrap_or_else(|_| Problem {
            title: text.chars().take(200).collect(),
            ..Problem::default()
        });
        problem.status = status;
        if problem.code.is_empty() {
            problem.code = format!("http_{status}");
        }
        Err(Error::from_problem(problem))
    }

    fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        let response = self.send(request)?;
        response.json().map_err(|e| {
            Error::Unavailable(format!("an answer that is not the expected JSON: {e}"))
        })
    }

    /// `GET /v1/me`: who the key is.
    pub fn me(&self) -> Result<Value> {
        self.json(self.request(Method::GET, "/v1/me"))
    }

    /// `GET` of any JSON resource of the API.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json(self.request(Method::GET, path))
    }

    /// `POST` of a JSON body; the answer's status and body.
    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<(u16, T)> {
        let response = self.send(self.request(Method::POST, path).json(body))?;
        let status = response.status().as_u16();
        let value = response.json().map_err(|e| {
            Error::Unavailable(format!("an answer that is not the expected JSON: {e}"))
        })?;
        Ok((status, value))
    }

    /// `POST /v1/documents` with the file as the raw body (`len` bytes from `body`); `true` in
    /// the answer when the server replayed an earlier upload with the same key.
    pub fn upload(
        &self,
        doc: &Outgoing,
        idempotency_key: &str,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<(Document, bool)> {
        let mut request = self
            .request(Method::POST, "/v1/documents")
            .header("content-type", &doc.content_type)
            .header("tradepost-recipient", &doc.to)
            .header("tradepost-type", &doc.kind)
            .header("tradepost-filename", urlencoding(&doc.filename))
            .header("idempotency-key", idempotency_key)
            .body(Body::sized(body, len));
        if let Some(r) = &doc.reference {
            request = request.header("tradepost-reference", r);
        }
        if let Some(r) = &doc.in_reply_to {
            request = request.header("tradepost-in-reply-to", r);
        }
        let response = self.send(request)?;
        let replayed = response.headers().get("idempotent-replayed").is_some();
        let document = response
            .json()
            .map_err(|e| Error::Unavailable(format!("an answer that is not a document: {e}")))?;
        Ok((document, replayed))
    }

    /// `POST /v1/uploads`: a multipart upload for `doc`.
    pub fn start_upload(&self, doc: &Outgoing) -> Result<Upload> {
        let body = json!({
            "recipient": doc.to, "type": doc.kind, "filename": doc.filename,
            "content_type": doc.content_type, "reference": doc.reference,
            "in_reply_to": doc.in_reply_to,
        });
        self.post("/v1/uploads", &body).map(|(_, u)| u)
    }

    /// `GET /v1/uploads/{id}`.
    pub fn upload_state(&self, id: &str) -> Result<Upload> {
        self.get(&format!("/v1/uploads/{id}"))
    }

    /// `PUT /v1/uploads/{id}/parts/{n}`.
    pub fn put_part(
        &self,
        id: &str,
        n: u32,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<()> {
        let request = self
            .request(Method::PUT, &format!("/v1/uploads/{id}/parts/{n}"))
            .header("content-type", "application/octet-stream")
            .body(Body::sized(body, len));
        self.send(request).map(drop)
    }

    /// `POST /v1/uploads/{id}/complete`: the document.
    pub fn complete_upload(&self, id: &str) -> Result<Document> {
        self.json(self.request(Method::POST, &format!("/v1/uploads/{id}/complete")))
    }

    /// Every document of the inbox with `status` (following the pages).
    pub fn inbox(&self, status: &str, filter: &[(&str, &str)]) -> Result<Vec<Document>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("box", "inbox"), ("status", status), ("limit", "200")];
            query.extend_from_slice(filter);
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let page: Page<Document> =
                self.json(self.request(Method::GET, "/v1/documents").query(&query))?;
            out.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// The documents whose sender's or recipient's reference is `reference`.
    pub fn by_reference(&self, reference: &str) -> Result<Vec<Document>> {
        let query = [("box", "all"), ("reference", reference)];
        let page: Page<Document> =
            self.json(self.request(Method::GET, "/v1/documents").query(&query))?;
        Ok(page.data)
    }

    /// `GET /v1/documents/{id}/content`, streamed.
    pub fn download(&self, id: &str) -> Result<Response> {
        self.send(self.request(Method::GET, &format!("/v1/documents/{id}/content")))
    }

    /// `POST /v1/documents/{id}/ack`.
    pub fn ack(&self, id: &str) -> Result<Document> {
        self.post(&format!("/v1/documents/{id}/ack"), &json!({}))
            .map(|(_, d)| d)
    }
}

/// A filename as the `Tradepost-Filename` header takes it (UTF-8 percent-encoded).
fn urlencoding(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~ ()+,;=@[]".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error with the causes behind it ("error sending request: connection refused").
fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn filenames_travel_percent_encoded_where_they_leave_ascii() {
        assert_eq!(super::urlencoding("PO-4711.xml"), "PO-4711.xml");
        assert_eq!(
            super::urlencoding("Bestellung Müller.xml"),
            "Bestellung M%C3%BCller.xml"
        );
        assert_eq!(super::urlencoding("a%b"), "a%25b");
    }
}
