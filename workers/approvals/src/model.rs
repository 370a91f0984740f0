//! Approvals as stored and as sent, and the queries that load them for a caller: both companies
//! of the relationship read an approval (with any of the reading permissions), every other
//! company gets a 404.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use shared::approval::{ApprovalStatus, Decision};
use shared::edge::db::Db;
pub use shared::edge::partners::CompanyOut;
use shared::ids::{ApprovalId, CompanyId, DocumentId, RelationshipId, UserId};
use shared::permissions::{Permission, Principal};
use shared::relationship::PartyRole;
use shared::{Error, Result};

/// The columns of [`ApprovalRow`]; `?1` is the caller's company.
pub const APPROVAL_COLUMNS: &str = "a.id, a.document_id, a.relationship_id, a.supplier_id, \
     a.customer_id, a.version, a.status, a.filename, a.content_type, a.size, a.sha256, \
     a.object_key, a.note, a.approvers, a.requested_by_user_id, a.requested_by_name, \
     a.created_at, a.decided_at, a.decided_by_user_id, a.decided_by_name, \
     a.comment, a.decided_sha256, a.superseded_by, a.superseded_at, \
     d.type AS document_type, d.filename AS document_filename, \
     d.reference AS document_reference, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at";

/// `FROM` clause for [`APPROVAL_COLUMNS`]: the partner is the other company than `?1`.
pub const APPROVAL_FROM: &str = "FROM approvals a JOIN documents d ON d.id = a.document_id \
     JOIN companies p ON p.id = CASE WHEN a.supplier_id = ?1 THEN a.customer_id \
     ELSE a.supplier_id END";

/// The same company may read an approval of either side with any of these.
const READ_PERMISSIONS: [Permission; 3] = [
    Permission::DocumentsSend,
    Permission::DocumentsReceive,
    Permission::ApprovalsDecide,
];

#[derive(Debug, Clone, Deserialize)]
pub struct ApprovalRow {
    pub id: ApprovalId,
    pub document_id: DocumentId,
    pub relationship_id: RelationshipId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub version: f64,
    pub status: String,
    pub filename: String,
    pub content_type: String,
    pub size: f64,
    pub sha256: String,
    pub object_key: String,
    pub note: Option<String>,
    pub approvers: Option<String>,
    pub requested_by_user_id: Option<UserId>,
    pub requested_by_name: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by_user_id: Option<UserId>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub decided_sha256: Option<String>,
    pub superseded_by: Option<ApprovalId>,
    pub superseded_at: Option<String>,
    pub document_type: String,
    pub document_filename: String,
    pub document_reference: Option<String>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonOut {
    pub user_id: Option<UserId>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApproverOut {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionOut {
    pub decision: Decision,
    pub comment: Option<String>,
    pub at: String,
    pub by: PersonOut,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct DocumentRef {
    pub id: DocumentId,
    #[serde(rename = "type")]
    pub kind: String,
    pub filename: String,
    pub reference: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApprovalOut {
    pub id: ApprovalId,
    pub document_id: DocumentId,
    pub relationship_id: RelationshipId,
    pub version: u32,
    pub status: ApprovalStatus,
    pub side: PartyRole,
    pub partner: CompanyOut,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub note: Option<String>,
    pub approvers: Option<Vec<ApproverOut>>,
    pub requested_at: String,
    pub requested_by: PersonOut,
    pub decision: Option<DecisionOut>,
    pub superseded_by: Option<ApprovalId>,
    pub superseded_at: Option<String>,
    pub document: DocumentRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionOut>>,
}

/// One entry of an approval's version history.
#[derive(Debug, Serialize)]
pub struct VersionOut {
    pub id: ApprovalId,
    pub version: u32,
    pub status: ApprovalStatus,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub requested_at: String,
    pub decision: Option<DecisionOut>,
}

/// The columns of a version entry.
#[derive(Debug, Deserialize)]
pub struct VersionRow {
    pub id: ApprovalId,
    pub version: f64,
    pub status: String,
    pub filename: String,
    pub size: f64,
    pub sha256: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by_user_id: Option<UserId>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub decided_sha256: Option<String>,
}

/// Parses a stored status; an unknown one is our fault, not the client's.
fn stored_status(text: &str) -> Result<ApprovalStatus> {
    ApprovalStatus::parse("status", text)
        .map_err(|_| Error::internal(format!("stored approval status {text} unknown")))
}

/// The decision recorded on a row, if it was decided.
fn decision_of(
    status: ApprovalStatus,
    at: Option<&String>,
    user: Option<&UserId>,
    name: Option<&String>,
    comment: Option<&String>,
    sha256: Option<&String>,
) -> Option<DecisionOut> {
    let decision = Decision::of(status)?;
    Some(DecisionOut {
        decision,
        comment: comment.cloned(),
        at: at.cloned().unwrap_or_default(),
        by: PersonOut {
            user_id: user.cloned(),
            name: name.cloned().unwrap_or_default(),
        },
        sha256: sha256.cloned().unwrap_or_default(),
    })
}

impl ApprovalRow {
    pub fn status(&self) -> Result<ApprovalStatus> {
        stored_status(&self.status)
    }

    /// The caller's company's side of this approval.
    pub fn side(&self, company: &CompanyId) -> Option<PartyRole> {
        if company == &self.supplier_id {
            Some(PartyRole::Supplier)
        } else if company == &self.customer_id {
            Some(PartyRole::Customer)
        } else {
            None
        }
    }

    /// The user ids named as approvers, `None` when anyone of the customer may decide.
    pub fn approver_ids(&self) -> Result<Option<Vec<UserId>>> {
        self.approvers
            .as_deref()
            .map(|text| {
                serde_json::from_str::<Vec<UserId>>(text)
                    .map_err(|e| Error::internal(format!("stored approvers unreadable: {e}")))
            })
            .transpose()
    }

    pub fn out(
        &self,
        me: &CompanyId,
        names: &HashMap<UserId, String>,
        versions: Option<Vec<VersionOut>>,
    ) -> Result<ApprovalOut> {
        let status = self.status()?;
        let approvers = self.approver_ids()?.map(|ids| {
            ids.into_iter()
                .map(|id| ApproverOut {
                    name: names.get(&id).cloned().unwrap_or_default(),
                    id,
                })
                .collect()
        });
        Ok(ApprovalOut {
            id: self.id.clone(),
            document_id: self.document_id.clone(),
            relationship_id: self.relationship_id.clone(),
            version: self.version as u32,
            status,
            side: self.side(me).unwrap_or(PartyRole::Customer),
            partner: CompanyOut {
                id: self.partner_id.clone(),
                name: self.partner_name.clone(),
                handle: self.partner_handle.clone(),
                created_at: self.partner_created_at.clone(),
            },
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size as u64,
            sha256: self.sha256.clone(),
            note: self.note.clone(),
            approvers,
            requested_at: self.created_at.clone(),
            requested_by: PersonOut {
                user_id: self.requested_by_user_id.clone(),
                name: self.requested_by_name.clone(),
            },
            decision: decision_of(
                status,
                self.decided_at.as_ref(),
                self.decided_by_user_id.as_ref(),
                self.decided_by_name.as_ref(),
                self.comment.as_ref(),
                self.decided_sha256.as_ref(),
            ),
            superseded_by: self.superseded_by.clone(),
            superseded_at: self.superseded_at.clone(),
            document: DocumentRef {
                id: self.document_id.clone(),
                kind: self.document_type.clone(),
                filename: self.document_filename.clone(),
                reference: self.document_reference.clone(),
            },
            versions,
        })
    }
}

impl VersionRow {
    pub fn out(&self) -> Result<VersionOut> {
        let status = stored_status(&self.status)?;
        Ok(VersionOut {
            id: self.id.clone(),
            version: self.version as u32,
            status,
            filename: self.filename.clone(),
            size: self.size as u64,
            sha256: self.sha256.clone(),
            requested_at: self.created_at.clone(),
            decision: decision_of(
                status,
                self.decided_at.as_ref(),
                self.decided_by_user_id.as_ref(),
                self.decided_by_name.as_ref(),
                self.comment.as_ref(),
                self.decided_sha256.as_ref(),
            ),
        })
    }
}

/// Demands one of the permissions that let a company's people and keys read approvals.
///
/// # Errors
/// 403 `permission_missing`.
pub fn require_reader(me: &Principal) -> Result<()> {
    if READ_PERMISSIONS.iter().any(|p| me.has(*p)) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "permission_missing",
            "reading approvals needs documents.send, documents.receive or approvals.decide",
        ))
    }
}

/// An approval as the caller's company may see it, with the caller's side. Another company's
/// approval (or an id that cannot be one) is a 404.
pub async fn load_for(db: &Db, me: &Principal, id: &str) -> Result<(ApprovalRow, PartyRole)> {
    let id = ApprovalId::parse(id)?;
    let row: Option<ApprovalRow> = db
        .first(
            &format!(
                "SELECT {APPROVAL_COLUMNS} {APPROVAL_FROM} WHERE a.id = ?2 \
                 AND (a.supplier_id = ?1 OR a.customer_id = ?1)"
            ),
            &[&me.company_id, &id],
        )
        .await?;
    let row = row.ok_or(Error::not_found("approval"))?;
    let side = row
        .side(&me.company_id)
        .ok_or(Error::not_found("approval"))?;
    require_reader(me)?;
    Ok((row, side))
}

/// Every version of a document's proofs, oldest first.
pub async fn versions(db: &Db, document: &DocumentId) -> Result<Vec<VersionOut>> {
    let rows: Vec<VersionRow> = db
        .all(
            "SELECT id, version, status, filename, size, sha256, created_at, decided_at, \
             decided_by_user_id, decided_by_name, comment, decided_sha256 \
             FROM approvals WHERE document_id = ?1 ORDER BY version",
            &[document],
        )
        .await?;
    rows.iter().map(VersionRow::out).collect()
}

/// The names of the approvers named on `rows`, in one query.
pub async fn approver_names(db: &Db, rows: &[ApprovalRow]) -> Result<HashMap<UserId, String>> {
    let mut ids: Vec<UserId> = Vec::new();
    for row in rows {
        for id in row.approver_ids()?.unwrap_or_default() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = serde_json::to_string(&ids).map_err(|e| Error::internal(e.to_string()))?;
    let found: Vec<ApproverOut> = db
        .all(
            "SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each(?1))",
            &[&list],
        )
        .await?;
    Ok(found.into_iter().map(|a| (a.id, a.name)).collect())
}

/// The approval as the caller sees it; with its versions when `with_versions`.
pub async fn out_for(
    db: &Db,
    me: &Principal,
    row: &ApprovalRow,
    with_versions: bool,
) -> Result<ApprovalOut> {
    let names = approver_names(db, std::slice::from_ref(row)).await?;
    let versions = if with_versions {
        Some(versions(db, &row.document_id).await?)
    } else {
        None
    };
    row.out(&me.company_id, &names, versions)
}
