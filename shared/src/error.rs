//! The one error type of Tradepost and its single mapping to HTTP: an RFC 9457
//! `application/problem+json` body with a stable machine `code`.
//!
//! Details of 5xx errors are logged by the edge and never sent to the client.

use serde::Serialize;

/// Every failure a request can end in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request could not be read at all (malformed JSON, bad header, …).
    #[error("bad request: {detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        field: Option<String>,
    },
    /// A field is present but its value is not acceptable.
    #[error("invalid {field}: {detail}")]
    Invalid { field: String, detail: String },
    /// No credentials, or credentials that are not (or no longer) valid.
    #[error("unauthenticated: {detail}")]
    Unauthenticated { code: &'static str, detail: String },
    /// Authenticated, but the principal lacks what the action needs.
    #[error("forbidden: {detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Absent, or belonging to another tenant: the two are indistinguishable on purpose.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The action does not fit the resource's current state, or a unique value is taken.
    #[error("conflict: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// A body without the `Content-Length` the endpoint needs.
    #[error("length required")]
    LengthRequired,
    /// A `Range` outside the file of `size` bytes.
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// The body is larger than allowed.
    #[error("payload too large: {detail}")]
    PayloadTooLarge { detail: String },
    /// The body is not of a media type this endpoint reads.
    #[error("unsupported media type: {detail}")]
    UnsupportedMediaType { detail: String },
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// Something on our side failed. The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed or refused a statement: a 500 unless a handler turns it into an
    /// answer (a taken unique value, see [`Error::unique_violation`]). Logged, never sent.
    #[error("database: {error} ({context})")]
    Database {
        error: crate::platform::DbError,
        context: String,
    },
}

/// Shorthand used throughout the workspace.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A field's value is not acceptable (422).
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            detail: detail.into(),
        }
    }

    /// The field an invalid value was given for.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::BadRequest { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// What a person is told of the error (its problem's `detail`).
    #[must_use]
    pub fn detail(&self) -> String {
        match self {
            Self::Invalid { detail, .. } => detail.clone(),
            other => other.problem().detail,
        }
    }

    /// The request is malformed (400).
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
            field: None,
        }
    }

    /// Resource absent or not visible to the caller (404).
    #[must_use]
    pub fn not_found(resource: &'static str) -> Self {
        Self::NotFound { resource }
    }

    /// State conflict (409).
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// Missing or invalid credentials (401).
    pub fn unauthenticated(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthenticated {
            code,
            detail: detail.into(),
        }
    }

    /// Lacking a permission (403).
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    /// An internal failure (500); the text is for the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }

    /// A failure of the database while running `context` (its SQL).
    #[must_use]
    pub fn database(error: crate::platform::DbError, context: &str) -> Self {
        Self::Database {
            error,
            context: context.to_owned(),
        }
    }

    /// The columns of the UNIQUE constraint this error is the failure of, if it is one
    /// (`documents.sender_id, documents.idempotency_key`; the data layer names them).
    #[must_use]
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            Self::Database {
                error: crate::platform::DbError::Unique { constraint },
                ..
            } => Some(constraint),
            _ => None,
        }
    }

    /// The column of the NOT NULL constraint this error is the failure of, if it is one (a
    /// guarded insert that found its condition gone; the data layer names the columns).
    #[must_use]
    pub fn not_null_violation(&self) -> Option<&str> {
        match self {
            Self::Database {
                error: crate::platform::DbError::NotNull { column },
                ..
            } => Some(column),
            _ => None,
        }
    }

    /// Whether this failure of a write shows that nothing was written: anything but a database
    /// failure of unknown outcome (D1 unavailable, or its answer lost after it committed).
    #[must_use]
    pub fn nothing_written(&self) -> bool {
        !matches!(
            self,
            Self::Database {
                error: crate::platform::DbError::Other(_),
                ..
            }
        )
    }

    /// The HTTP status code of this error.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthenticated { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict { .. } => 409,
            Self::LengthRequired => 411,
            Self::PayloadTooLarge { .. } => 413,
            Self::RangeNotSatisfiable { .. } => 416,
            Self::UnsupportedMediaType { .. } => 415,
            Self::Invalid { .. } => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Internal(_) | Self::Database { .. } => 500,
        }
    }

    /// The problem document sent to the client. 5xx details are replaced by a generic text.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (code, title, detail, field): (&str, &str, String, Option<String>) = match self {
            Self::BadRequest {
                code,
                detail,
                field,
            } => (code, "Bad request", detail.clone(), field.clone()),
            Self::Invalid { field, detail } => (
                "invalid_field",
                "Invalid field",
                format!("{field}: {detail}"),
                Some(field.clone()),
            ),
            Self::Unauthenticated { code, detail } => {
                (code, "Unauthenticated", detail.clone(), None)
            }
            Self::Forbidden { code, detail } => (code, "Forbidden", detail.clone(), None),
            Self::NotFound { resource } => (
                "not_found",
                "Not found",
                format!("{resource} not found"),
                None,
            ),
            Self::MethodNotAllowed => (
                "method_not_allowed",
                "Method not allowed",
                "this path does not accept this method".to_owned(),
                None,
            ),
            Self::Conflict { code, detail } => (code, "Conflict", detail.clone(), None),
            Self::LengthRequired => (
                "length_required",
                "Length required",
                "send the body with a Content-Length header".to_owned(),
                None,
            ),
            Self::RangeNotSatisfiable { size } => (
                "range_not_satisfiable",
                "Range not satisfiable",
                format!("the file has {size} bytes"),
                None,
            ),
            Self::PayloadTooLarge { detail } => (
                "payload_too_large",
                "Payload too large",
                detail.clone(),
                None,
            ),
            Self::UnsupportedMediaType { detail } => (
                "unsupported_media_type",
                "Unsupported media type",
                detail.clone(),
                None,
            ),
            Self::TooManyRequests { retry_after_secs } => (
                "too_many_requests",
                "Too many requests",
                format!("try again in {retry_after_secs} seconds"),
                None,
            ),
            Self::Internal(_) | Self::Database { .. } => (
                "internal",
                "Internal error",
                "something went wrong on our side; it has been logged".to_owned(),
                None,
            ),
        };
        Problem {
            type_: format!("https://tradepost.dev/problems/{code}"),
            title: title.to_owned(),
            status,
            code: code.to_owned(),
            detail,
            field,
        }
    }

    /// Turns a `serde_json` failure to read `text` into a 400/422 that names the field.
    #[must_use]
    pub fn from_json(text: &[u8], err: &serde_json::Error) -> Self {
        // serde_json reports some values of the wrong shape (`{"role": 7}` for an enum) as
        // syntax errors; whether the body is JSON at all is asked separately.
        if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(text) {
            return Self::BadRequest {
                code: "malformed_json",
                detail: format!("the body is not valid JSON: {syntax}"),
                field: None,
            };
        }
        let message = err.to_string();
        // A missing field is reported just after its object, so the path is the object's;
        // other errors are reported inside the value at fault.
        let at = json_path_at(text, error_offset(text, err));
        let at_root = at.path.is_empty() || at.in_key;
        let field = match (at_root, missing_field_name(&message)) {
            (true, None) => None,
            (true, Some(missing)) => Some(missing),
            (false, Some(missing)) => Some(format!("{}.{missing}", at.path)),
            (false, None) => Some(at.path),
        };
        let message = if err.is_syntax() {
            "has a value of the wrong type".to_owned()
        } else {
            strip_position(&message)
        };
        match field {
            Some(field) => Self::invalid(field, message),
            None => Self::BadRequest {
                code: "invalid_body",
                detail: message,
                field: None,
            },
        }
    }
}

/// The byte offset a `serde_json` error points at (its line and column, turned back).
fn error_offset(text: &[u8], err: &serde_json::Error) -> usize {
    let mut line_start = 0;
    for _ in 1..err.line() {
        match text[line_start..].iter().position(|b| *b == b'\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    (line_start + err.column()).min(text.len())
}

/// Where in a JSON text a position is.
#[derive(Debug, Default, PartialEq, Eq)]
struct JsonPath {
    /// The member or element being read there: `user.email`, `items[2]`.
    path: String,
    /// Whether the position is inside an object's key.
    in_key: bool,
}

/// The field path at byte `offset` of a JSON text, found by walking the text that far (the
/// walk only follows strings and brackets, so it works on broken text too). Written by hand
/// because `serde_path_to_error`, which tracks it while parsing, doubles the parsing code of
/// every request type in the bundles.
fn json_path_at(text: &[u8], offset: usize) -> JsonPath {
    enum Frame {
        Object {
            key: Option<String>,
            expecting_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut string: Option<(bool, Vec<u8>)> = None; // (is a key, its bytes so far)
    let mut escaped = false;
    for &byte in &text[..offset.min(text.len())] {
        if let Some((is_key, bytes)) = string.as_mut() {
            if escaped {
                escaped = false;
                bytes.push(byte);
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                let is_key = *is_key;
                let name = String::from_utf8_lossy(bytes).into_owned();
                string = None;
                if let (true, Some(Frame::Object { key, expecting_key })) =
                    (is_key, stack.last_mut())
                {
                    *key = Some(name);
                    *expecting_key = false;
                }
            } else {
                bytes.push(byte);
            }
            continue;
        }
        match byte {
            b'"' => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
                string = Some((is_key, Vec::new()));
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
    }
    let segment = |frame: &Frame, out: &mut String| match frame {
        Frame::Object { key: Some(key), .. } => {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        }
        Frame::Object { key: None, .. } => {}
        Frame::Array { index } => out.push_str(&format!("[{index}]")),
    };
    let mut path = JsonPath {
        in_key: string.as_ref().is_some_and(|(is_key, _)| *is_key),
        ..JsonPath::default()
    };
    for frame in &stack {
        segment(frame, &mut path.path);
    }
    path
}

/// The field a serde "missing field `x`" message names.
pub(crate) fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// RFC 9457 problem details, plus Tradepost's stable `code` and the offending `field`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_status_and_code() {
        let table = [
            (
                Error::bad_request("malformed_json", "x"),
                400,
                "malformed_json",
            ),
            (Error::invalid("email", "bad"), 422, "invalid_field"),
            (
                Error::unauthenticated("token_expired", "x"),
                401,
                "token_expired",
            ),
            (
                Error::forbidden("permission_missing", "x"),
                403,
                "permission_missing",
            ),
            (Error::not_found("document"), 404, "not_found"),
            (Error::MethodNotAllowed, 405, "method_not_allowed"),
            (Error::conflict("handle_taken", "x"), 409, "handle_taken"),
            (Error::LengthRequired, 411, "length_required"),
            (
                Error::RangeNotSatisfiable { size: 9 },
                416,
                "range_not_satisfiable",
            ),
            (
                Error::PayloadTooLarge { detail: "x".into() },
                413,
                "payload_too_large",
            ),
            (
                Error::UnsupportedMediaType { detail: "x".into() },
                415,
                "unsupported_media_type",
            ),
            (
                Error::TooManyRequests {
                    retry_after_secs: 3,
                },
                429,
                "too_many_requests",
            ),
            (Error::internal("db down"), 500, "internal"),
        ];
        for (err, status, code) in table {
            let p = err.problem();
            assert_eq!(p.status, status, "{err:?}");
            assert_eq!(p.code, code, "{err:?}");
            assert_eq!(err.status(), status);
        }
    }

    #[test]
    fn internal_details_are_never_sent() {
        let p = Error::internal("secret connection string").problem();
        assert!(!p.detail.contains("secret"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
        #[serde(default)]
        tags: Vec<String>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        user: Inner,
        #[serde(default)]
        kind: Option<Kind>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Admin,
    }

    fn parse(json: &str) -> Error {
        match serde_json::from_str::<Outer>(json) {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => Error::from_json(json.as_bytes(), &e),
        }
    }

    fn field_of(json: &str) -> Option<String> {
        parse(json).problem().field
    }

    #[test]
    fn fields_are_named_at_any_depth_and_on_any_line() {
        assert_eq!(
            field_of(r#"{"name":"n","user":{"email":"a","tags":["x", 7]}}"#).as_deref(),
            Some("user.tags[1]")
        );
        assert_eq!(
            field_of("{\n  \"name\": \"n\",\n  \"user\": {\n    \"tags\": []\n  }\n}").as_deref(),
            Some("user.email"),
        );
        assert_eq!(
            field_of(r#"{"name":"a \"quoted\" name","user":{"email":false}}"#).as_deref(),
            Some("user.email")
        );
        // A broken key or a broken value at the top is malformed JSON, not a field.
        assert_eq!(parse(r#"{"name":"n","us"#).problem().code, "malformed_json");
        assert_eq!(parse(r#"{"name" 5}"#).problem().code, "malformed_json");
        assert_eq!(parse("5").problem().code, "invalid_body");
    }

    #[test]
    fn the_path_walk_follows_strings_and_brackets() {
        let text = br#"{"a":{"b":[1,{"c":"}]"}],"d":"#;
        let at = |needle: &str| {
            let i = String::from_utf8_lossy(text).find(needle).unwrap() + needle.len();
            json_path_at(text, i)
        };
        assert_eq!(at(r#""c":"}"#).path, "a.b[1].c");
        assert_eq!(at(r#""d":"#).path, "a.d");
        assert_eq!(json_path_at(text, text.len() + 9).path, "a.d");
        assert!(json_path_at(text, 3).in_key);
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(
            parse(r#"{"user":{"email":"a"}}"#)
                .problem()
                .field
                .as_deref(),
            Some("name")
        );
        assert_eq!(
            parse(r#"{"name":"n","user":{}}"#)
                .problem()
                .field
                .as_deref(),
            Some("user.email")
        );
        assert_eq!(
            parse(r#"{"name":5,"user":{"email":"a"}}"#)
                .problem()
                .field
                .as_deref(),
            Some("name")
        );
        let unknown = parse(r#"{"name":"n","user":{"email":"a"},"kind":"boss"}"#);
        assert_eq!(unknown.status(), 422);
        assert_eq!(unknown.problem().field.as_deref(), Some("kind"));
        assert_eq!(parse("{not json").problem().code, "malformed_json");
        let enum_as_number = parse(r#"{"name":"n","user":{"email":"a"},"kind":7}"#);
        assert_eq!(enum_as_number.status(), 422);
        assert_eq!(enum_as_number.problem().field.as_deref(), Some("kind"));
        assert_eq!(parse("").status(), 400);
    }
}
