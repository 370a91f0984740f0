//! Documents in the company mailbox: their types, the status machine (who may move a document
//! from where to where), and the small rules of upload and download — file names, idempotency
//! keys, byte ranges, the parts of a multipart upload.
//!
//! Pure functions of the current state and the request, so the orders worker only loads a row,
//! asks here, and stores the answer.

use crate::relationship::PartyRole;
use crate::{Error, Result};

named_enum! {
    /// What a document is.
    DocumentType, "document type" {
        Order = "order",
        OrderResponse = "order_response",
        Quote = "quote",
        Invoice = "invoice",
        DeliveryNote = "delivery_note",
        /// Request for quote.
        Rfq = "rfq",
        Complaint = "complaint",
        Other = "other",
    }
}

named_enum! {
    /// Where a document stands. See [`report`], [`acknowledge`] and [`cancel`] for the moves.
    DocumentStatus, "document status" {
        /// Sent at first contact; waits until the relationship request is approved.
        Held = "held",
        /// In the recipient's inbox, not yet fetched.
        New = "new",
        /// The recipient fetched the file.
        Downloaded = "downloaded",
        /// The recipient acknowledged it as taken into its system.
        Imported = "imported",
        Accepted = "accepted",
        Rejected = "rejected",
        InProgress = "in_progress",
        Shipped = "shipped",
        Delivered = "delivered",
        Completed = "completed",
        /// Withdrawn by the sender before the first download.
        Cancelled = "cancelled",
        /// The first-contact request was rejected; the file is deleted.
        Discarded = "discarded",
    }
}

named_enum! {
    /// Who caused an entry of a document's history.
    Actor, "actor" {
        Sender = "sender",
        Recipient = "recipient",
        /// The platform, e.g. releasing a held document when its relationship is approved.
        System = "system",
    }
}

impl DocumentType {
    /// The sender's part in a relationship that a document of this type opens at first contact:
    /// whoever sends an order, a request for quote or a complaint is the customer.
    #[must_use]
    pub fn sender_role(self) -> PartyRole {
        match self {
            Self::Order | Self::Rfq | Self::Complaint => PartyRole::Customer,
            _ => PartyRole::Supplier,
        }
    }
}

impl DocumentStatus {
    /// Whether nothing can happen to the document any more.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Completed | Self::Cancelled | Self::Discarded
        )
    }

    /// Whether the recipient may see the document.
    #[must_use]
    pub fn visible_to_recipient(self) -> bool {
        !matches!(self, Self::Held | Self::Discarded)
    }
}

fn invalid_transition(what: &str, current: DocumentStatus) -> Error {
    Error::conflict(
        "invalid_transition",
        format!("cannot {what}: the document is {current}"),
    )
}

/// The statuses the recipient may report, and from where.
///
/// # Errors
/// A 422 on `status` for a status that is not reported (`new`, `held`, …); a 409
/// `invalid_transition` naming the current status when the move is not allowed from it.
pub fn report(current: DocumentStatus, to: DocumentStatus) -> Result<()> {
    use DocumentStatus as S;
    let from: &[DocumentStatus] = match to {
        S::Accepted => &[S::New, S::Downloaded, S::Imported],
        S::Rejected | S::InProgress => &[S::New, S::Downloaded, S::Imported, S::Accepted],
        S::Shipped => &[
            S::New,
            S::Downloaded,
            S::Imported,
            S::Accepted,
            S::InProgress,
            S::Shipped,
        ],
        S::Delivered => &[S::Shipped],
        S::Completed => &[S::Accepted, S::InProgress, S::Shipped, S::Delivered],
        _ => {
            return Err(Error::invalid(
                "status",
                "must be one of accepted, rejected, in_progress, shipped, delivered, completed",
            ))
        }
    };
    if from.contains(&current) {
        Ok(())
    } else {
        Err(invalid_transition(&format!("report {to}"), current))
    }
}

/// The recipient acknowledges the document as imported. `Ok(false)` when it already is.
///
/// # Errors
/// A 409 `invalid_transition` from any status but `new`, `downloaded` and `imported`.
pub fn acknowledge(current: DocumentStatus) -> Result<bool> {
    match current {
        DocumentStatus::New | DocumentStatus::Downloaded => Ok(true),
        DocumentStatus::Imported => Ok(false),
        _ => Err(invalid_transition("acknowledge", current)),
    }
}

/// The sender withdraws the document, which it may until the recipient fetched it.
///
/// # Errors
/// A 409 `invalid_transition` from any status but `held` and `new`.
pub fn cancel(current: DocumentStatus) -> Result<()> {
    match current {
        DocumentStatus::Held | DocumentStatus::New => Ok(()),
        _ => Err(invalid_transition("cancel", current)),
    }
}

/// Whether a download by the recipient moves the document to `downloaded`.
#[must_use]
pub fn first_download(current: DocumentStatus) -> bool {
    current == DocumentStatus::New
}

/// Which side of a document a company is on.
#[must_use]
pub fn side(
    company: &crate::ids::CompanyId,
    sender: &crate::ids::CompanyId,
    recipient: &crate::ids::CompanyId,
) -> Option<Actor> {
    if company == sender {
        Some(Actor::Sender)
    } else if company == recipient {
        Some(Actor::Recipient)
    } else {
        None
    }
}

/// The longest file name kept, in characters.
pub const FILENAME_MAX_CHARS: usize = 255;

/// A file name as given in `Tradepost-Filename` (UTF-8 may be percent-encoded) or a form part.
///
/// # Errors
/// A 422 on `filename` when it is empty, too long, not UTF-8, contains control characters or a
/// path separator, or is `.`/`..`.
pub fn filename(raw: &str, percent_encoded: bool) -> Result<String> {
    let invalid = |detail: &str| Error::invalid("filename", detail.to_owned());
    let decoded = if percent_encoded {
        urlencoding::decode(raw)
            .map_err(|_| invalid("percent-encoding must decode to UTF-8"))?
            .into_owned()
    } else {
        raw.to_owned()
    };
    let name = decoded.trim();
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > FILENAME_MAX_CHARS {
        return Err(invalid("must be at most 255 characters"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
        || name == "."
        || name == ".."
    {
        return Err(invalid(
            "must be a plain file name without control characters or path separators",
        ));
    }
    Ok(name.to_owned())
}

/// An `Idempotency-Key`: 1–255 visible ASCII characters.
///
/// # Errors
/// A 422 on `idempotency_key` otherwise.
pub fn idempotency_key(raw: &str) -> Result<String> {
    if (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw.to_owned())
    } else {
        Err(Error::invalid(
            "idempotency_key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// The media type stored with a file: the one given if it looks like `type/subtype[; params]`,
/// otherwise `application/octet-stream`.
#[must_use]
pub fn content_type(raw: Option<&str>) -> String {
    let fallback = "application/octet-stream";
    let Some(raw) = raw.map(str::trim) else {
        return fallback.to_owned();
    };
    let essence = raw.split(';').next().unwrap_or("").trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let ok = raw.len() <= 200
        && raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && essence
            .split_once('/')
            .is_some_and(|(t, s)| token(t) && token(s));
    if ok {
        raw.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// `Content-Disposition` for a download: an ASCII fallback and the exact UTF-8 name (RFC 6266).
#[must_use]
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// No range (or one this API does not serve partially, such as several ranges): the whole file.
    Full,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A range outside the file: 416.
    Unsatisfiable,
}

/// Reads a `Range` header (RFC 9110 14.1.2): `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges
/// or a malformed header are served as the whole file, as the RFC allows.
#[must_use]
pub fn byte_range(header: Option<&str>, size: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Full;
    };
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part {
                    start: size.saturating_sub(n),
                    end: size - 1,
                }
            }
        }
        (false, Some(start), last_pos) => {
            if !last.trim().is_empty() && last_pos.is_none() {
                return ByteRange::Full;
            }
            if start >= size {
                return ByteRange::Unsatisfiable;
            }
            match last_pos {
                Some(end) if end < start => ByteRange::Full,
                Some(end) => ByteRange::Part {
                    start,
                    end: end.min(size - 1),
                },
                None => ByteRange::Part {
                    start,
                    end: size - 1,
                },
            }
        }
        _ => ByteRange::Full,
    }
}

/// Whether an `If-None-Match` header names the file's entity tag (`"<sha256>"`, or `*`).
#[must_use]
pub fn etag_matches(if_none_match: Option<&str>, sha256: &str) -> bool {
    if_none_match.is_some_and(|header| {
        header.split(',').any(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag.trim_matches('"') == sha256
        })
    })
}

/// The smallest part of a multipart upload but the last (R2's rule).
pub const PART_SIZE_MIN: u64 = 5 * 1024 * 1024;
/// The largest file a multipart upload may assemble.
pub const MULTIPART_MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// The highest part number.
pub const PART_NUMBER_MAX: u32 = 10_000;

/// A part number from the path.
///
/// # Errors
/// A 422 on `part_number` unless it is an integer from 1 to [`PART_NUMBER_MAX`].
pub fn part_number(raw: &str) -> Result<u32> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=PART_NUMBER_MAX).contains(n))
        .ok_or_else(|| Error::invalid("part_number", "must be an integer from 1 to 10000"))
}

/// Checks that the parts of a multipart upload (number and size, sorted by number) can be
/// assembled: numbered 1…N without gaps, all but the last of one size of at least `min_part`
/// bytes, at most `max_total` bytes in all.
///
/// # Errors
/// A 422 on `parts` saying what is wrong.
pub fn check_parts(parts: &[(u32, u64)], min_part: u64, max_total: u64) -> Result<u64> {
    let invalid = |detail: String| Error::invalid("parts", detail);
    if parts.is_empty() {
        return Err(invalid("no part was uploaded".to_owned()));
    }
    for (expected, &(number, _)) in (1u32..).zip(parts) {
        if number != expected {
            return Err(invalid(format!("part {expected} is missing")));
        }
    }
    let first_size = parts[0].1;
    let (last, body) = parts.split_last().unwrap_or((&parts[0], &[]));
    for &(number, size) in body {
        if size != first_size {
            return Err(invalid(format!(
                "part {number} has {size} bytes; every part but the last must have the size of part 1 ({first_size} bytes)"
            )));
        }
        if size < min_part {
            return Err(invalid(format!(
                "part {number} has {size} bytes; every part but the last needs at least {min_part} bytes"
            )));
        }
    }
    if last.1 > first_size && parts.len() > 1 {
        return Err(invalid(format!(
            "the last part ({} bytes) may not be larger than the others ({first_size} bytes)",
            last.1
        )));
    }
    let total: u64 = parts.iter().map(|&(_, size)| size).sum();
    if total > max_total {
        return Err(invalid(format!(
            "the parts add up to {total} bytes; at most {max_total} are allowed"
        )));
    }
    Ok(total)
}

/// Where a document's file lives in the bucket: under the recipient company (whose mailbox
/// holds it), then the document id.
#[must_use]
pub fn object_key(recipient: &crate::ids::CompanyId, document: &crate::ids::DocumentId) -> String {
    format!("{recipient}/documents/{document}")
}

/// [`object_key`] in SQL, over a `companies c` row as the recipient and `?3` as the document id
/// (for a statement that announces the file before the recipient's id is read).
pub const OBJECT_KEY_SQL: &str = "c.id || '/documents/' || ?3";

/// The `data` of a document event as SQL over a `documents` row (for the registry, which
/// releases held documents in its own transaction without reading rows into [`EventFacts`]).
/// `?STATUS` is the status the document moves to. Same keys as [`EventFacts::data`] (tested).
pub const EVENT_DATA_SQL: &str =
    "json_object('document_id', id, 'type', type, 'filename', filename, \
     'size', size, 'sha256', sha256, 'sender_id', sender_id, 'recipient_id', recipient_id, \
     'reference', reference, 'customer_number', customer_number, 'status', ?STATUS, \
     'summary', json(summary))";

/// The columns [`EventFacts`] reads, for a `SELECT` from `documents`.
pub const EVENT_COLUMNS: &str =
    "id, type, filename, size, sha256, sender_id, recipient_id, reference, customer_number, status, summary";

/// What the events about a document carry (thin: ids and a summary, never the file). Both the
/// orders worker and the registry (releasing held documents) build events from it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EventFacts {
    pub id: crate::ids::DocumentId,
    #[serde(rename = "type")]
    pub kind: String,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub sender_id: crate::ids::CompanyId,
    pub recipient_id: crate::ids::CompanyId,
    pub reference: Option<String>,
    pub customer_number: Option<String>,
    pub status: String,
    /// The stored order summary (JSON text), if the file was recognised.
    pub summary: Option<String>,
}

impl EventFacts {
    /// The event `data` object.
    #[must_use]
    pub fn data(&self) -> serde_json::Value {
        let summary = self
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "document_id": self.id,
            "type": self.kind,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
            "sender_id": self.sender_id,
            "recipient_id": self.recipient_id,
            "reference": self.reference,
            "customer_number": self.customer_number,
            "status": self.status,
            "summary": summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentStatus as S;

    #[test]
    fn the_status_machine() {
        let reportable = [
            S::Accepted,
            S::Rejected,
            S::InProgress,
            S::Shipped,
            S::Delivered,
            S::Completed,
        ];
        // The table of docs/documents.md: target ← the statuses it may be reported from.
        let spec: &[(DocumentStatus, &[DocumentStatus])] = &[
            (S::Accepted, &[S::New, S::Downloaded, S::Imported]),
            (
                S::Rejected,
                &[S::New, S::Downloaded, S::Imported, S::Accepted],
            ),
            (
                S::InProgress,
                &[S::New, S::Downloaded, S::Imported, S::Accepted],
            ),
            (
                S::Shipped,
                &[
                    S::New,
                    S::Downloaded,
                    S::Imported,
                    S::Accepted,
                    S::InProgress,
                    S::Shipped,
                ],
            ),
            (S::Delivered, &[S::Shipped]),
            (
                S::Completed,
                &[S::Accepted, S::InProgress, S::Shipped, S::Delivered],
            ),
        ];
        for from in DocumentStatus::ALL {
            for &(to, sources) in spec {
                let ok = report(from, to).is_ok();
                let expected = sources.contains(&from);
                assert_eq!(ok, expected, "{from} → {to}");
                if let Err(e) = report(from, to) {
                    assert_eq!(e.status(), 409);
                    assert!(e.problem().detail.contains(from.as_str()), "{e}");
                }
            }
            if from.is_final() {
                assert!(reportable.iter().all(|&to| report(from, to).is_err()));
                assert!(cancel(from).is_err());
            }
        }
        for not_reportable in [S::New, S::Held, S::Downloaded, S::Imported, S::Cancelled] {
            assert_eq!(report(S::New, not_reportable).unwrap_err().status(), 422);
        }
    }

    #[test]
    fn acknowledge_cancel_and_download() {
        assert_eq!(acknowledge(S::New), Ok(true));
        assert_eq!(acknowledge(S::Downloaded), Ok(true));
        assert_eq!(acknowledge(S::Imported), Ok(false));
        assert_eq!(acknowledge(S::Shipped).unwrap_err().status(), 409);
        assert_eq!(acknowledge(S::Held).unwrap_err().status(), 409);
        assert!(cancel(S::New).is_ok() && cancel(S::Held).is_ok());
        assert_eq!(cancel(S::Downloaded).unwrap_err().status(), 409);
        assert!(first_download(S::New));
        assert!(!first_download(S::Imported));
        assert!(!S::Held.visible_to_recipient() && S::New.visible_to_recipient());
    }

    #[test]
    fn filenames() {
        assert_eq!(filename("PO-4711.xml", true).unwrap(), "PO-4711.xml");
        assert_eq!(
            filename("Bestellung%20M%C3%BCller.xml", true).unwrap(),
            "Bestellung Müller.xml"
        );
        assert_eq!(filename("50%.txt", false).unwrap(), "50%.txt");
        for bad in ["", "  ", "a/b", "..", "%FF", "a%0Ab", &"x".repeat(256)] {
            let err = filename(bad, true).unwrap_err();
            assert_eq!(err.problem().field.as_deref(), Some("filename"), "{bad}");
        }
    }

    #[test]
    fn idempotency_keys_and_content_types() {
        assert!(idempotency_key("6f1c-42").is_ok());
        for bad in ["", "a b", "ü", &"k".repeat(256)] {
            assert_eq!(idempotency_key(bad).unwrap_err().status(), 422);
        }
        assert_eq!(content_type(Some("application/xml")), "application/xml");
        assert_eq!(
            content_type(Some("text/plain; charset=utf-8")),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type(None), "application/octet-stream");
        assert_eq!(content_type(Some("nonsense")), "application/octet-stream");
        assert_eq!(
            content_type(Some("a/b\r\nx: y")),
            "application/octet-stream"
        );
    }

    #[test]
    fn content_disposition_keeps_the_name_and_is_safe() {
        assert_eq!(
            content_disposition("PO 1.xml"),
            "attachment; filename=\"PO 1.xml\"; filename*=UTF-8''PO%201.xml"
        );
        assert_eq!(
            content_disposition("Müller \"x\".pdf"),
            "attachment; filename=\"M_ller _x_.pdf\"; filename*=UTF-8''M%C3%BCller%20%22x%22.pdf"
        );
    }

    #[test]
    fn byte_ranges() {
        let r = |h: &str| byte_range(Some(h), 1000);
        assert_eq!(byte_range(None, 1000), ByteRange::Full);
        assert_eq!(r("bytes=0-99"), ByteRange::Part { start: 0, end: 99 });
        assert_eq!(
            r("bytes=900-"),
            ByteRange::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            r("bytes=900-5000"),
            ByteRange::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            r("bytes=-10"),
            ByteRange::Part {
                start: 990,
                end: 999
            }
        );
        assert_eq!(r("bytes=-5000"), ByteRange::Part { start: 0, end: 999 });
        assert_eq!(r("bytes=1000-"), ByteRange::Unsatisfiable);
        assert_eq!(r("bytes=-0"), ByteRange::Unsatisfiable);
        assert_eq!(r("bytes=0-1,5-6"), ByteRange::Full);
        assert_eq!(r("bytes=5-1"), ByteRange::Full);
        assert_eq!(r("items=0-1"), ByteRange::Full);
        assert_eq!(r("bytes=x-1"), ByteRange::Full);
        assert_eq!(r("bytes=1-x"), ByteRange::Full);
        assert_eq!(r("bytes=+1-2"), ByteRange::Full);
        assert_eq!(byte_range(Some("bytes=0-"), 0), ByteRange::Unsatisfiable);
    }

    #[test]
    fn etags() {
        assert!(etag_matches(Some("\"abc\""), "abc"));
        assert!(etag_matches(Some("W/\"x\", \"abc\""), "abc"));
        assert!(etag_matches(Some("*"), "abc"));
        assert!(!etag_matches(Some("\"abd\""), "abc"));
        assert!(!etag_matches(None, "abc"));
    }

    #[test]
    fn parts() {
        let mib = 1024 * 1024;
        let min = 5 * mib;
        assert_eq!(check_parts(&[(1, 10)], min, 100 * mib), Ok(10));
        assert_eq!(
            check_parts(&[(1, min), (2, min), (3, 1)], min, 100 * mib),
            Ok(2 * min + 1)
        );
        let detail = |parts: &[(u32, u64)]| {
            let e = check_parts(parts, min, 12 * mib).unwrap_err();
            assert_eq!(e.status(), 422);
            e.problem().detail
        };
        assert!(detail(&[]).contains("no part"));
        assert!(detail(&[(1, min), (3, 1)]).contains("part 2 is missing"));
        assert!(detail(&[(2, min)]).contains("part 1 is missing"));
        assert!(detail(&[(1, min), (2, min + 1), (3, 1)]).contains("part 2"));
        assert!(detail(&[(1, 10), (2, 10)]).contains("at least"));
        assert!(detail(&[(1, min), (2, min + 1)]).contains("last part"));
        assert!(detail(&[(1, min), (2, min), (3, min)]).contains("at most"));
        assert_eq!(part_number("1"), Ok(1));
        assert_eq!(part_number("10000"), Ok(10_000));
        for bad in ["0", "10001", "-1", "x", ""] {
            assert_eq!(part_number(bad).unwrap_err().status(), 422);
        }
    }

    #[test]
    fn event_data_has_the_same_keys_in_rust_and_sql() {
        let facts = EventFacts {
            id: crate::ids::DocumentId::new(crate::time::now()).unwrap(),
            kind: "order".into(),
            filename: "a".into(),
            size: 1,
            sha256: "0".into(),
            sender_id: crate::ids::CompanyId::new(crate::time::now()).unwrap(),
            recipient_id: crate::ids::CompanyId::new(crate::time::now()).unwrap(),
            reference: None,
            customer_number: None,
            status: "new".into(),
            summary: None,
        };
        let mut rust: Vec<String> = facts.data().as_object().unwrap().keys().cloned().collect();
        let mut sql: Vec<String> = EVENT_DATA_SQL
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        rust.sort();
        sql.sort();
        assert_eq!(rust, sql);
    }

    #[test]
    fn first_contact_roles() {
        assert_eq!(DocumentType::Order.sender_role(), PartyRole::Customer);
        assert_eq!(DocumentType::Invoice.sender_role(), PartyRole::Supplier);
    }
}
