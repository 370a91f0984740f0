//! What the approvals worker takes and answers.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use shared::approval::{ApprovalStatus, Decision};
use shared::data::approvals::{ApprovalCounts, ApprovalRow, VersionRow};
use shared::data::companies::CompanyOut;
use shared::document::DocumentType;
use shared::ids::{ApprovalId, CompanyId, DocumentId, RelationshipId, UserId};
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// Who did something: a person (`user_id`) or an API key (`user_id` null, the key's name).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonOut {
    pub user_id: Option<UserId>,
    pub name: String,
}

/// A person named to decide.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApproverOut {
    pub id: UserId,
    pub name: String,
}

/// A decision on a proof.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionOut {
    pub decision: Decision,
    pub comment: Option<String>,
    pub at: Time,
    /// The name at the time of the decision.
    pub by: PersonOut,
    /// The SHA-256 of the proof decided on.
    pub sha256: String,
}

/// The document a proof is attached to.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentRef {
    pub id: DocumentId,
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub filename: String,
    pub reference: Option<String>,
}

/// One proof and what became of it, as the caller's side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalOut {
    pub id: ApprovalId,
    pub document_id: DocumentId,
    pub relationship_id: RelationshipId,
    /// 1, 2, … per document.
    pub version: u32,
    pub status: ApprovalStatus,
    /// The caller's side.
    pub side: PartyRole,
    pub partner: CompanyOut,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// The supplier's note.
    pub note: Option<String>,
    /// The people named to decide; `null`: anyone of the customer with `approvals.decide`.
    pub approvers: Option<Vec<ApproverOut>>,
    pub requested_at: Time,
    pub requested_by: PersonOut,
    pub decision: Option<DecisionOut>,
    /// The approval that replaced this one.
    pub superseded_by: Option<ApprovalId>,
    pub superseded_at: Option<Time>,
    pub document: DocumentRef,
    /// Every version of the document's proofs, oldest first (on a single approval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionOut>>,
}

/// One entry of an approval's version history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub id: ApprovalId,
    pub version: u32,
    pub status: ApprovalStatus,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub requested_at: Time,
    pub decision: Option<DecisionOut>,
}

/// The decision recorded on a row, if it was decided.
fn decision_of(
    status: ApprovalStatus,
    at: Option<Time>,
    user: Option<&UserId>,
    name: Option<&String>,
    comment: Option<&String>,
    sha256: Option<&String>,
) -> Option<DecisionOut> {
    let decision = Decision::of(status)?;
    Some(DecisionOut {
        decision,
        comment: comment.cloned(),
        at: at.unwrap_or(Time(chrono::DateTime::UNIX_EPOCH)),
        by: PersonOut {
            user_id: user.cloned(),
            name: name.cloned().unwrap_or_default(),
        },
        sha256: sha256.cloned().unwrap_or_default(),
    })
}

impl ApprovalOut {
    /// The row as `viewer` sees it, with approvers' `names` and, on a single approval, its
    /// versions.
    #[must_use]
    pub fn of(
        row: &ApprovalRow,
        viewer: &CompanyId,
        names: &HashMap<UserId, String>,
        versions: Option<Vec<VersionOut>>,
    ) -> ApprovalOut {
        ApprovalOut {
            id: row.id.clone(),
            document_id: row.document_id.clone(),
            relationship_id: row.relationship_id.clone(),
            version: row.version,
            status: row.status,
            side: if viewer == &row.supplier_id {
                PartyRole::Supplier
            } else {
                PartyRole::Customer
            },
            partner: row.partner(),
            filename: row.filename.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            note: row.note.clone(),
            approvers: row.approver_ids().map(|ids| {
                ids.iter()
                    .map(|id| ApproverOut {
                        name: names.get(id).cloned().unwrap_or_default(),
                        id: id.clone(),
                    })
                    .collect()
            }),
            requested_at: row.created_at,
            requested_by: PersonOut {
                user_id: row.requested_by_user_id.clone(),
                name: row.requested_by_name.clone(),
            },
            decision: decision_of(
                row.status,
                row.decided_at,
                row.decided_by_user_id.as_ref(),
                row.decided_by_name.as_ref(),
                row.comment.as_ref(),
                row.decided_sha256.as_ref(),
            ),
            superseded_by: row.superseded_by.clone(),
            superseded_at: row.superseded_at,
            document: DocumentRef {
                id: row.document_id.clone(),
                kind: row.document_type,
                filename: row.document_filename.clone(),
                reference: row.document_reference.clone(),
            },
            versions,
        }
    }
}

impl VersionOut {
    /// A version as listed.
    #[must_use]
    pub fn of(row: &VersionRow) -> VersionOut {
        VersionOut {
            id: row.id.clone(),
            version: row.version,
            status: row.status,
            filename: row.filename.clone(),
            size: row.size,
            sha256: row.sha256.clone(),
            requested_at: row.created_at,
            decision: decision_of(
                row.status,
                row.decided_at,
                row.decided_by_user_id.as_ref(),
                row.decided_by_name.as_ref(),
                row.comment.as_ref(),
                row.decided_sha256.as_ref(),
            ),
        }
    }
}

/// A page of approvals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalList {
    pub data: Vec<ApprovalOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    pub counts: ApprovalCounts,
}

/// Which approvals a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalQuery {
    #[param(value_type = Option<ApprovalStatus>, inline)]
    pub status: Option<String>,
    /// Only the proofs of this document (`doc_…`).
    #[param(pattern = "^doc_[0-9a-z]{26}$")]
    pub document_id: Option<String>,
    /// Only those with this company (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub partner: Option<String>,
    /// Only those where the caller's company is this side.
    #[param(value_type = Option<PartyRole>, inline)]
    pub side: Option<String>,
    /// `me`: only the pending ones the caller may decide.
    #[serde(rename = "for")]
    #[param(rename = "for", pattern = "^me$")]
    pub for_: Option<String>,
}

/// A decision's comment (required to reject).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub comment: Option<String>,
}
