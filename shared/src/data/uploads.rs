//! `uploads` and `upload_parts`: large files going up in parts (R2 multipart uploads) before
//! they become a document.

use serde::Deserialize;

use super::{Db, Statement};
use crate::document::DocumentType;
use crate::ids::{CompanyId, DocumentId, UploadId};
use crate::permissions::Principal;
use crate::time::Time;
use crate::Result;

named_enum! {
    /// Where a multipart upload stands.
    UploadStatus, "upload status" {
        /// Takes parts.
        Open = "open",
        /// Its document exists (`document_id`).
        Completed = "completed",
        Aborted = "aborted",
    }
}

/// An upload of the viewer's company, with the recipient's directory entry.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadRow {
    pub id: UploadId,
    pub recipient_id: CompanyId,
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub reference: Option<String>,
    pub in_reply_to: Option<String>,
    pub object_key: String,
    pub r2_upload_id: String,
    pub status: UploadStatus,
    pub document_id: Option<DocumentId>,
    pub created_at: Time,
    pub expires_at: Time,
    /// When the running completion began, if one runs (see [`claim_completion`]).
    pub completing_at: Option<Time>,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
}

/// One stored part.
#[derive(Debug, Clone, Deserialize)]
pub struct PartRow {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    /// The SHA-256 state after this part, when it was hashed on from the part before.
    pub hash_state: Option<String>,
    /// The state it was hashed on from.
    pub prev_state: Option<String>,
    pub uploaded_at: Time,
}

/// What a new upload row holds.
pub struct NewUpload<'a> {
    pub id: &'a UploadId,
    pub sender: &'a Principal,
    pub recipient_id: &'a CompanyId,
    pub kind: DocumentType,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub reference: Option<&'a str>,
    pub in_reply_to: Option<&'a DocumentId>,
    pub object_key: &'a str,
    pub r2_upload_id: &'a str,
    pub now: Time,
    pub expires_at: Time,
}

/// Writes a new upload.
///
/// # Errors
/// A database error.
pub async fn insert(db: &Db, u: &NewUpload<'_>) -> Result<()> {
    db.run(
        "INSERT INTO uploads (id, sender_id, recipient_id, sender_user_id, sender_api_key_id, \
         type, filename, content_type, reference, in_reply_to, object_key, r2_upload_id, \
         status, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'open', ?13, ?14)",
        &[
            u.id,
            &u.sender.company_id,
            u.recipient_id,
            &u.sender.user_id,
            &u.sender.api_key_id,
            &u.kind.as_str(),
            &u.filename,
            &u.content_type,
            &u.reference,
            &u.in_reply_to,
            &u.object_key,
            &u.r2_upload_id,
            &u.now,
            &u.expires_at,
        ],
    )
    .await
    .map(|_| ())
}

/// An upload the viewer's company sends; `None` for any other.
///
/// # Errors
/// A database error.
pub async fn load(db: &Db, viewer: &CompanyId, id: &UploadId) -> Result<Option<UploadRow>> {
    db.first(
        "SELECT u.id, u.recipient_id, u.type, u.filename, u.content_type, \
         u.reference, u.in_reply_to, u.object_key, u.r2_upload_id, u.status, u.document_id, \
         u.created_at, u.expires_at, u.completing_at, p.name AS partner_name, \
         p.handle AS partner_handle, \
         p.created_at AS partner_created_at \
         FROM uploads u JOIN companies p ON p.id = u.recipient_id \
         WHERE u.id = ?1 AND u.sender_id = ?2",
        &[id, viewer],
    )
    .await
}

const PART_COLUMNS: &str = "part_number, size, etag, hash_state, prev_state, uploaded_at";

/// The stored parts of an upload, by number.
///
/// # Errors
/// A database error.
pub async fn parts(db: &Db, id: &UploadId) -> Result<Vec<PartRow>> {
    db.all(
        &format!(
            "SELECT {PART_COLUMNS} FROM upload_parts WHERE upload_id = ?1 ORDER BY part_number"
        ),
        &[id],
    )
    .await
}

/// One stored part.
///
/// # Errors
/// A database error.
pub async fn part(db: &Db, id: &UploadId, number: u32) -> Result<Option<PartRow>> {
    db.first(
        &format!(
            "SELECT {PART_COLUMNS} FROM upload_parts WHERE upload_id = ?1 AND part_number = ?2"
        ),
        &[id, &number],
    )
    .await
}

/// A stored part, replacing one sent before under the same number.
pub struct NewPart<'a> {
    pub upload_id: &'a UploadId,
    pub number: u32,
    pub size: u64,
    pub etag: &'a str,
    pub hash_state: Option<&'a str>,
    pub prev_state: Option<&'a str>,
    pub now: Time,
}

/// Records a stored part.
///
/// # Errors
/// A database error.
pub async fn put_part(db: &Db, p: &NewPart<'_>) -> Result<()> {
    db.run(
        "INSERT OR REPLACE INTO upload_parts (upload_id, part_number, size, etag, hash_state, \
         prev_state, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            p.upload_id,
            &p.number,
            &p.size,
            &p.etag,
            &p.hash_state,
            &p.prev_state,
            &p.now,
        ],
    )
    .await
    .map(|_| ())
}

/// Marks an open upload completed with its document (first in its batch: its change count says
/// whether this request completed it).
#[must_use]
pub fn complete_stmt(id: &UploadId, document: &DocumentId) -> Statement {
    Statement::new(
        "UPDATE uploads SET status = 'completed', document_id = ?1 WHERE id = ?2 AND status = 'open'",
        &[document, id],
    )
}

/// Whether a completion holds the upload at `now`.
#[must_use]
pub fn is_completing(row: &UploadRow, now: Time) -> bool {
    row.completing_at.is_some_and(|at| at >= lease_start(now))
}

/// How long a running completion holds its upload: others (completes, aborts, the sweep) wait
/// until it is done, or this old (one cut off by a crash).
pub const COMPLETION_LEASE_MINUTES: i64 = 5;

/// The moment before which a completion's claim counts as abandoned.
fn lease_start(now: Time) -> Time {
    Time(now.0 - chrono::Duration::minutes(COMPLETION_LEASE_MINUTES))
}

/// Claims an open upload for the completion starting `now`, unless another completion holds
/// it; whether this one has it.
///
/// # Errors
/// A database error.
pub async fn claim_completion(db: &Db, id: &UploadId, now: Time) -> Result<bool> {
    let changed = db
        .run(
            "UPDATE uploads SET completing_at = ?2 WHERE id = ?1 AND status = 'open' \
             AND (completing_at IS NULL OR completing_at < ?3)",
            &[id, &now, &lease_start(now)],
        )
        .await?;
    Ok(changed > 0)
}

/// Gives up the claim of a completion that failed, so a retry need not wait for it to go stale.
///
/// # Errors
/// A database error.
pub async fn release_completion(db: &Db, id: &UploadId) -> Result<()> {
    db.run(
        "UPDATE uploads SET completing_at = NULL WHERE id = ?1 AND status = 'open'",
        &[id],
    )
    .await
    .map(|_| ())
}

/// The statements that abort an open upload no completion holds, and forget its parts (the
/// first one's change count says whether it was aborted).
#[must_use]
pub fn abort_stmts(id: &UploadId, now: Time) -> Vec<Statement> {
    vec![
        Statement::new(
            "UPDATE uploads SET status = 'aborted' WHERE id = ?1 AND status = 'open' \
             AND (completing_at IS NULL OR completing_at < ?2)",
            &[id, &lease_start(now)],
        ),
        Statement::new(
            "DELETE FROM upload_parts WHERE upload_id = ?1 \
             AND EXISTS (SELECT 1 FROM uploads WHERE id = ?1 AND status = 'aborted')",
            &[id],
        ),
    ]
}

/// Forgets an upload's parts.
#[must_use]
pub fn drop_parts_stmt(id: &UploadId) -> Statement {
    Statement::new("DELETE FROM upload_parts WHERE upload_id = ?1", &[id])
}

/// An open upload past its expiry, for the sweep.
#[derive(Debug, Deserialize)]
pub struct Expired {
    pub id: UploadId,
    pub object_key: String,
    pub r2_upload_id: String,
}

/// Open uploads that expired by `as_of`, all or one sender's, at most `limit` (the platform's
/// own lookup, for the sweep).
///
/// # Errors
/// A database error.
pub async fn expired(
    db: &Db,
    as_of: Time,
    sender: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<Expired>> {
    db.all(
        "SELECT id, object_key, r2_upload_id FROM uploads \
         WHERE status = 'open' AND expires_at <= ?1 AND (?3 IS NULL OR sender_id = ?3) LIMIT ?2",
        &[&as_of, &limit, &sender],
    )
    .await
}
