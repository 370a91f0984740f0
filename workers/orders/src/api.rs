//! What the orders worker takes and answers: the documents, uploads and parts as the API shows
//! them, and the query and body types of its endpoints (their schemas are the OpenAPI
//! document's).

use serde::{Deserialize, Serialize};
use shared::data::companies::CompanyOut;
use shared::data::documents::{DocumentRow, HistoryEntry};
use shared::data::uploads::UploadStatus;
use shared::document::{DocumentStatus, DocumentType};
use shared::formats::{Format, SummaryOut};
use shared::ids::{CompanyId, DocumentId, RelationshipId, UploadId};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// Which side of a document the viewer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mailbox {
    Inbox,
    Outbox,
}

/// A document as the caller's company sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: DocumentId,
    /// `inbox` when the caller's company received it, `outbox` when it sent it.
    #[serde(rename = "box")]
    pub mailbox: Mailbox,
    pub partner: CompanyOut,
    pub relationship_id: RelationshipId,
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// The SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// The sender's own reference (its order number, say).
    pub reference: Option<String>,
    /// The recipient's reference, given with the acknowledgement.
    pub recipient_reference: Option<String>,
    /// The supplier's number for the customer, stamped when the customer sends.
    pub customer_number: Option<String>,
    /// The document this one answers.
    pub in_reply_to: Option<DocumentId>,
    /// The first document of the order this one belongs to (its own id if none).
    pub order_id: DocumentId,
    pub status: DocumentStatus,
    /// The order format the file was recognised as.
    pub format: Option<Format>,
    /// Passed on as stored (the recogniser wrote it): reading it into its type would bring a
    /// parser for it into the bundle.
    #[schema(value_type = Option<SummaryOut>)]
    pub summary: Option<serde_json::Value>,
    /// Why a file that looks like an order format could not be read.
    pub parse_error: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub downloaded_at: Option<Time>,
    /// The status bar, oldest first (on a single document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

impl DocumentOut {
    /// The row as `viewer` sees it.
    #[must_use]
    pub fn of(row: &DocumentRow, viewer: &CompanyId, history: Option<Vec<HistoryEntry>>) -> Self {
        DocumentOut {
            id: row.id.clone(),
            mailbox: if &row.sender_id == viewer {
                Mailbox::Outbox
            } else {
                Mailbox::Inbox
            },
            partner: row.partner(),
            relationship_id: row.relationship_id.clone(),
            kind: row.kind,
            filename: row.filename.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            reference: row.reference.clone(),
            recipient_reference: row.recipient_reference.clone(),
            customer_number: row.customer_number.clone(),
            in_reply_to: row.in_reply_to.clone(),
            order_id: row.order_id.clone(),
            status: row.status,
            format: row.format,
            summary: row
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            parse_error: row.parse_error.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            downloaded_at: row.downloaded_at,
            history,
        }
    }
}

/// Documents waiting: in the inbox as `new`, and the caller's own held at first contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentCounts {
    pub new: u64,
    pub held: u64,
}

/// A page of documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub data: Vec<DocumentOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    pub counts: DocumentCounts,
}

/// Which documents a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `inbox` (the default), `outbox`, or `all` (the default with `order`).
    #[serde(rename = "box")]
    #[param(rename = "box", pattern = "^(inbox|outbox|all)$")]
    pub mailbox: Option<String>,
    /// Only documents exchanged with this company (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub partner: Option<String>,
    /// Only documents of this type.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<DocumentType>, inline)]
    pub kind: Option<String>,
    /// Only documents with this status.
    #[param(value_type = Option<DocumentStatus>, inline)]
    pub status: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// The sender's or the recipient's reference, exactly.
    #[param(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
    /// Every document of the order this document (`doc_…`) belongs to.
    #[param(pattern = "^doc_[0-9a-z]{26}$")]
    pub order: Option<String>,
}

/// The recipient's acknowledgement.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckIn {
    /// The recipient's own reference (its order number, say).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
}

/// The statuses a recipient reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportedStatus {
    Accepted,
    Rejected,
    InProgress,
    Shipped,
    Delivered,
    Completed,
}

/// A status report of the recipient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// One of the statuses a recipient reports.
    #[schema(value_type = ReportedStatus)]
    pub status: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
    /// Required with `rejected`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub carrier: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub tracking_number: Option<String>,
}

/// The sender's cancellation.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// A multipart upload to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadIn {
    /// The partner: a company id or handle.
    #[schema(min_length = 1, max_length = 64)]
    pub recipient: String,
    #[serde(rename = "type")]
    #[schema(value_type = DocumentType)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 255)]
    pub filename: String,
    #[serde(default)]
    #[schema(max_length = 255)]
    pub content_type: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
    /// The document this one answers (`doc_…`).
    #[serde(default)]
    #[schema(pattern = "^doc_[0-9a-z]{26}$")]
    pub in_reply_to: Option<String>,
}

/// One stored part of a multipart upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartOut {
    pub part_number: u32,
    pub size: u64,
    pub uploaded_at: Time,
}

/// A multipart upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadOut {
    pub id: UploadId,
    pub partner: CompanyOut,
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub reference: Option<String>,
    pub in_reply_to: Option<String>,
    pub status: UploadStatus,
    pub parts: Vec<PartOut>,
    /// The sum of the parts' sizes.
    pub size: u64,
    pub part_size_min: u64,
    pub part_size_max: u64,
    pub max_size: u64,
    pub expires_at: Time,
    pub created_at: Time,
    /// The document, once completed.
    pub document_id: Option<DocumentId>,
}

/// What the sweep did.
#[derive(Debug, Serialize, Default, ToSchema)]
pub struct SweepOut {
    pub orphans_deleted: u32,
    pub uploads_expired: u32,
    pub files_deleted: u32,
}

/// What a dev sweep covers.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepIn {
    /// Sweep as if it were this time (RFC 3339).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Expire only this company's uploads and, unless `company_id` is given, leave abandoned
    /// files alone (so a test does not disturb the others on one stack).
    #[serde(default)]
    pub sender_id: Option<String>,
    /// Confine the sweep to this company: the abandoned files stored under it and, unless
    /// `sender_id` says otherwise, the uploads it sends.
    #[serde(default)]
    pub company_id: Option<String>,
}
