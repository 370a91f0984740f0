//! `approvals`: proof versions attached to documents, and the customer's decision on each.

use serde::Deserialize;

use super::{Db, Statement};
use crate::approval::ApprovalStatus;
use crate::data::companies::CompanyOut;
use crate::document::DocumentType;
use crate::ids::{ApprovalId, CompanyId, DocumentId, RelationshipId, UserId};
use crate::permissions::Principal;
use crate::platform::{Json, Query};
use crate::time::Time;
use crate::Result;

/// The UNIQUE constraint that gives each proof of a document its own version.
pub const VERSION_TAKEN: &str = "approvals.document_id, approvals.version";
/// The UNIQUE index that makes a supplier's `Idempotency-Key` name one proof.
pub const IDEMPOTENCY_KEY_TAKEN: &str = "approvals.supplier_id, approvals.idempotency_key";

/// The columns of [`ApprovalRow`]; `?1` is the viewer's company.
const COLUMNS: &str = "a.id, a.document_id, a.relationship_id, a.supplier_id, \
     a.customer_id, a.version, a.status, a.filename, a.content_type, a.size, a.sha256, \
     a.object_key, a.note, a.approvers, a.requested_by_user_id, a.requested_by_name, \
     a.created_at, a.decided_at, a.decided_by_user_id, a.decided_by_name, \
     a.comment, a.decided_sha256, a.superseded_by, a.superseded_at, \
     d.type AS document_type, d.filename AS document_filename, \
     d.reference AS document_reference, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at";

/// `FROM` clause for [`COLUMNS`]: the partner is the other company than `?1`.
const FROM: &str = "FROM approvals a JOIN documents d ON d.id = a.document_id \
     JOIN companies p ON p.id = CASE WHEN a.supplier_id = ?1 THEN a.customer_id \
     ELSE a.supplier_id END";

/// An approval with its document and the viewer's partner.
#[derive(Debug, Clone, Deserialize)]
pub struct ApprovalRow {
    pub id: ApprovalId,
    pub document_id: DocumentId,
    pub relationship_id: RelationshipId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub version: u32,
    pub status: ApprovalStatus,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub note: Option<String>,
    /// The user ids named as approvers; `None`: anyone of the customer who may decide.
    pub approvers: Option<Json<Vec<UserId>>>,
    pub requested_by_user_id: Option<UserId>,
    pub requested_by_name: String,
    pub created_at: Time,
    pub decided_at: Option<Time>,
    pub decided_by_user_id: Option<UserId>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub decided_sha256: Option<String>,
    pub superseded_by: Option<ApprovalId>,
    pub superseded_at: Option<Time>,
    pub document_type: DocumentType,
    pub document_filename: String,
    pub document_reference: Option<String>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
}

impl ApprovalRow {
    /// The other company.
    #[must_use]
    pub fn partner(&self) -> CompanyOut {
        CompanyOut {
            id: self.partner_id.clone(),
            name: self.partner_name.clone(),
            handle: self.partner_handle.clone(),
            created_at: self.partner_created_at,
        }
    }

    /// The approver ids, `None` when anyone of the customer may decide.
    #[must_use]
    pub fn approver_ids(&self) -> Option<&[UserId]> {
        self.approvers.as_ref().map(|a| a.0.as_slice())
    }
}

/// An approval of the viewer's company (either side).
///
/// # Errors
/// A database error.
pub async fn load(db: &Db, viewer: &CompanyId, id: &ApprovalId) -> Result<Option<ApprovalRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS} {FROM} WHERE a.id = ?2 AND (a.supplier_id = ?1 OR a.customer_id = ?1)"
        ),
        &[viewer, id],
    )
    .await
}

/// The supplier's approval created with this `Idempotency-Key`, if any.
///
/// # Errors
/// A database error.
pub async fn by_idempotency_key(
    db: &Db,
    supplier: &CompanyId,
    key: &str,
) -> Result<Option<ApprovalRow>> {
    db.first(
        &format!("SELECT {COLUMNS} {FROM} WHERE a.supplier_id = ?1 AND a.idempotency_key = ?2"),
        &[supplier, &key],
    )
    .await
}

/// One entry of an approval's version history.
#[derive(Debug, Clone, Deserialize)]
pub struct VersionRow {
    pub id: ApprovalId,
    pub version: u32,
    pub status: ApprovalStatus,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: Time,
    pub decided_at: Option<Time>,
    pub decided_by_user_id: Option<UserId>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub decided_sha256: Option<String>,
}

/// Every version of a document's proofs, oldest first (the document is the viewer's: it was
/// loaded through [`load`]).
///
/// # Errors
/// A database error.
pub async fn versions(db: &Db, document: &DocumentId) -> Result<Vec<VersionRow>> {
    db.all(
        "SELECT id, version, status, filename, size, sha256, created_at, decided_at, \
         decided_by_user_id, decided_by_name, comment, decided_sha256 \
         FROM approvals WHERE document_id = ?1 ORDER BY version",
        &[document],
    )
    .await
}

/// What is known about a document's proofs before a new one is written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Before {
    pub last_version: u32,
    pub pending_id: Option<ApprovalId>,
    pub pending_version: Option<u32>,
}

/// The last version of a document's proofs and the pending one, if any.
///
/// # Errors
/// A database error.
pub async fn before(db: &Db, document: &DocumentId) -> Result<Before> {
    let row: Option<Before> = db
        .first(
            "SELECT COALESCE(MAX(version), 0) AS last_version, \
             (SELECT id FROM approvals WHERE document_id = ?1 AND status = 'pending' \
              ORDER BY version DESC LIMIT 1) AS pending_id, \
             (SELECT version FROM approvals WHERE document_id = ?1 AND status = 'pending' \
              ORDER BY version DESC LIMIT 1) AS pending_version \
             FROM approvals WHERE document_id = ?1",
            &[document],
        )
        .await?;
    Ok(row.unwrap_or_default())
}

/// Supersedes the document's pending proof by `by` (first in its batch: its change count says
/// whether one was pending).
#[must_use]
pub fn supersede_stmt(document: &DocumentId, by: &ApprovalId, now: Time) -> Statement {
    Statement::new(
        "UPDATE approvals SET status = 'superseded', superseded_by = ?1, superseded_at = ?2, \
         updated_at = ?2 WHERE document_id = ?3 AND status = 'pending'",
        &[by, &now, document],
    )
}

/// What a new proof holds.
pub struct NewProof<'a> {
    pub id: &'a ApprovalId,
    pub document_id: &'a DocumentId,
    pub relationship_id: &'a RelationshipId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub version: u32,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub note: Option<&'a str>,
    pub approvers: Option<&'a [UserId]>,
    pub requested_by: &'a Principal,
    pub requested_by_name: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub now: Time,
}

/// The insert of a pending proof (fails on [`VERSION_TAKEN`] when another took its version).
#[must_use]
pub fn insert_stmt(p: &NewProof<'_>) -> Statement {
    let approvers = p.approvers.map(|a| Json(a.to_vec()));
    Statement::new(
        "INSERT INTO approvals (id, document_id, relationship_id, supplier_id, customer_id, \
         version, status, filename, content_type, size, sha256, object_key, note, approvers, \
         requested_by_user_id, requested_by_api_key_id, requested_by_name, created_at, \
         updated_at, idempotency_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
         ?16, ?17, ?17, ?18)",
        &[
            p.id,
            p.document_id,
            p.relationship_id,
            p.supplier_id,
            p.customer_id,
            &p.version,
            &p.filename,
            &p.content_type,
            &p.size,
            &p.sha256,
            &p.object_key,
            &p.note,
            &approvers,
            &p.requested_by.user_id,
            &p.requested_by.api_key_id,
            &p.requested_by_name,
            &p.now,
            &p.idempotency_key,
        ],
    )
}

/// Records a decision on a pending approval (first in its batch: its change count says whether
/// it was still pending); the hash decided on is the proof's.
#[must_use]
pub fn decide_stmt(
    id: &ApprovalId,
    status: ApprovalStatus,
    user: &UserId,
    name: &str,
    comment: Option<&str>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE approvals SET status = ?1, decided_at = ?2, decided_by_user_id = ?3, \
         decided_by_name = ?4, comment = ?5, decided_sha256 = sha256, updated_at = ?2 \
         WHERE id = ?6 AND status = 'pending'",
        &[&status.as_str(), &now, user, &name, &comment, id],
    )
}

/// The filters of an approval list.
#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<ApprovalStatus>,
    pub document: Option<DocumentId>,
    pub partner: Option<CompanyId>,
    /// Only where the viewer is the supplier (`Some(true)`) or the customer (`Some(false)`).
    pub as_supplier: Option<bool>,
    /// Only pending ones the viewer's person `decider` may decide.
    pub for_me: bool,
    pub before: Option<String>,
}

/// SQL that holds for a pending approval the person `?2` may decide: named, or nobody named
/// (`?2` NULL matches none).
const DECIDABLE_BY_ME: &str = "?2 IS NOT NULL AND (a.approvers IS NULL OR EXISTS \
     (SELECT 1 FROM json_each(a.approvers) WHERE value = ?2))";

/// A page of the viewer's approvals, newest first; `decider` is the viewer's person when it may
/// decide approvals at all.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    decider: Option<&UserId>,
    filter: &Filter,
    fetch: u32,
) -> Result<Vec<ApprovalRow>> {
    let mut query = Query::new(
        format!("SELECT {COLUMNS} {FROM} WHERE (a.supplier_id = ?1 OR a.customer_id = ?1)"),
        &[viewer, &decider],
    );
    if let Some(status) = filter.status {
        query.filter(" AND a.status = ?n", &status.as_str());
    }
    if let Some(doc) = &filter.document {
        query.filter(" AND a.document_id = ?n", doc);
    }
    if let Some(partner) = &filter.partner {
        query.filter(" AND p.id = ?n", partner);
    }
    match filter.as_supplier {
        Some(true) => query.push(" AND a.supplier_id = ?1"),
        Some(false) => query.push(" AND a.customer_id = ?1"),
        None => {}
    }
    if filter.for_me {
        query.push(&format!(
            " AND a.customer_id = ?1 AND a.status = 'pending' AND {DECIDABLE_BY_ME}"
        ));
    }
    if let Some(before) = &filter.before {
        query.filter(" AND a.id < ?n", before);
    }
    query.filter(" ORDER BY a.id DESC LIMIT ?n", &fetch);
    db.all_of(query.statement()).await
}

/// What waits for the viewer: pending approvals to decide (all, and those the person
/// `decider` may decide), and its own proofs awaiting the partner.
#[derive(Debug, Default, Clone, Copy, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct ApprovalCounts {
    pub to_decide: u64,
    pub to_decide_by_me: u64,
    pub awaiting_partner: u64,
}

/// The viewer's [`ApprovalCounts`].
///
/// # Errors
/// A database error.
pub async fn counts(
    db: &Db,
    viewer: &CompanyId,
    decider: Option<&UserId>,
) -> Result<ApprovalCounts> {
    let row: Option<ApprovalCounts> = db
        .first(
            &format!(
                "SELECT (SELECT COUNT(*) FROM approvals WHERE customer_id = ?1 \
                 AND status = 'pending') AS to_decide, \
                 (SELECT COUNT(*) FROM approvals a WHERE a.customer_id = ?1 \
                 AND a.status = 'pending' AND {DECIDABLE_BY_ME}) AS to_decide_by_me, \
                 (SELECT COUNT(*) FROM approvals WHERE supplier_id = ?1 \
                 AND status = 'pending') AS awaiting_partner"
            ),
            &[viewer, &decider],
        )
        .await?;
    Ok(row.unwrap_or_default())
}

/// The two companies of an approval (the notify consumer's lookup, by the id an event names).
///
/// # Errors
/// A database error.
pub async fn parties(db: &Db, id: &str) -> Result<Option<(CompanyId, CompanyId)>> {
    #[derive(Deserialize)]
    struct Row {
        supplier_id: CompanyId,
        customer_id: CompanyId,
    }
    let row: Option<Row> = db
        .first(
            "SELECT supplier_id, customer_id FROM approvals WHERE id = ?1",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| (r.supplier_id, r.customer_id)))
}
