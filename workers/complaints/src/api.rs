//! What the complaints worker takes and answers: a complaint with its lines, its moves and
//! comments (the status bar of both sides), its photos and files.

use serde::{Deserialize, Serialize};
use shared::complaint::{ComplaintStatus, Move, Reason, Resolution};
use shared::data::complaints::{Complaint, ComplaintCounts, ComplaintRow, HistoryRow, LineRow};
use shared::data::files::FileOut;
use shared::ids::{CompanyId, ComplaintEntryId, ComplaintId, DocumentId};
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

pub use shared::validate::Figure;

/// A line concerned by a complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// The item as the customer names it: the SKU, GTIN or description.
    #[schema(min_length = 1, max_length = 200)]
    pub item: String,
    /// How many are concerned: a positive decimal with at most three places (`"2"`, `"0.5"`;
    /// a JSON number is taken too).
    #[schema(value_type = String, example = "2")]
    pub quantity: Figure,
    /// Its unit (`pcs`, `kg`, …).
    #[serde(default)]
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// What is wrong with this line.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

/// A new complaint, filed by the customer of a relationship about one of its documents.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintIn {
    /// The order, delivery note, invoice … it is about (`doc_…`), sent or received by the
    /// caller's company; the complaint is grouped with the documents of its order.
    #[schema(pattern = "^doc_[0-9a-z]{26}$")]
    pub document_id: String,
    pub reason: Reason,
    /// What is wrong.
    #[schema(min_length = 1, max_length = 4000)]
    pub description: String,
    /// The lines and quantities concerned (at most 100; none when the whole order is meant).
    #[serde(default)]
    pub lines: Vec<LineIn>,
}

/// A move of a complaint: `review`, `accept` (with a `resolution`), `reject` (with a `note`
/// saying why), `close` by the supplier; `withdraw` by the customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    #[serde(rename = "move")]
    pub kind: Move,
    /// How the supplier puts it right: required to `accept`, refused otherwise.
    #[serde(default)]
    pub resolution: Option<Resolution>,
    /// The decision's note; a rejection's reason (required to `reject`).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4000)]
    pub note: Option<String>,
}

/// A comment on a complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintCommentIn {
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
}

/// A company as a complaint names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyRef {
    pub id: CompanyId,
    pub name: String,
}

/// The document a complaint is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDocument {
    pub id: DocumentId,
    pub filename: String,
}

/// A line concerned.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineOut {
    pub line_no: u64,
    pub item: String,
    pub quantity: String,
    pub unit: Option<String>,
    pub note: Option<String>,
}

impl From<LineRow> for LineOut {
    fn from(l: LineRow) -> Self {
        LineOut {
            line_no: l.line_no,
            item: l.item,
            quantity: l.quantity,
            unit: l.unit,
            note: l.note,
        }
    }
}

/// A step of the status bar (with `status`) or a comment (without), by a side: a person's name
/// now, or none for an API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    pub id: ComplaintEntryId,
    pub side: PartyRole,
    pub by_name: Option<String>,
    /// The status this step moved the complaint to; `null`: a comment.
    pub status: Option<ComplaintStatus>,
    /// The comment, or the step's note.
    pub text: Option<String>,
    pub at: Time,
}

/// A complaint as either side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintOut {
    pub id: ComplaintId,
    /// The supplier's number for it: `RMA-2027-00042`.
    pub number: String,
    pub status: ComplaintStatus,
    /// The caller's side: `customer` (filed it) or `supplier` (handles it).
    pub side: PartyRole,
    pub supplier: CompanyRef,
    pub customer: CompanyRef,
    pub document: ComplaintDocument,
    /// The order the document belongs to (its first document's id).
    pub order_id: String,
    pub reason: Reason,
    pub description: String,
    /// How an accepted complaint is put right.
    pub resolution: Option<Resolution>,
    /// The note of the last decision (a rejection's reason).
    pub decision_note: Option<String>,
    /// The customer's person who filed it (`null`: an API key).
    pub filed_by_name: Option<String>,
    pub lines: Vec<LineOut>,
    /// Oldest first; only in the answers about one complaint (empty in lists).
    pub history: Vec<EntryOut>,
    /// Only in the answers about one complaint (empty in lists).
    pub files: Vec<FileOut>,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
}

impl ComplaintOut {
    /// A list's row, as `viewer` sees it.
    #[must_use]
    pub fn row(row: ComplaintRow, viewer: &CompanyId) -> ComplaintOut {
        ComplaintOut {
            side: PartyRole::of(&row.supplier_id, viewer),
            supplier: CompanyRef {
                id: row.supplier_id,
                name: row.supplier_name,
            },
            customer: CompanyRef {
                id: row.customer_id,
                name: row.customer_name,
            },
            id: row.id,
            number: row.number,
            status: row.status,
            document: ComplaintDocument {
                id: row.document_id,
                filename: row.document_filename,
            },
            order_id: row.order_id,
            reason: row.reason,
            description: row.description,
            resolution: row.resolution,
            decision_note: row.decision_note,
            filed_by_name: row.opened_by_name,
            lines: Vec::new(),
            history: Vec::new(),
            files: Vec::new(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        }
    }

    /// The whole complaint, as `viewer` sees it.
    #[must_use]
    pub fn of(c: Complaint, viewer: &CompanyId) -> ComplaintOut {
        let supplier = c.row.supplier_id.clone();
        let history = c
            .history
            .into_iter()
            .map(|h: HistoryRow| EntryOut {
                side: PartyRole::of(&supplier, &h.company_id),
                id: h.id,
                by_name: h.user_name,
                status: h.status,
                text: h.text,
                at: h.at,
            })
            .collect();
        let files = c
            .files
            .into_iter()
            .map(|f| FileOut::of(f, &supplier))
            .collect();
        ComplaintOut {
            lines: c.lines.into_iter().map(LineOut::from).collect(),
            history,
            files,
            ..ComplaintOut::row(c.row, viewer)
        }
    }
}

/// A page of complaints, and how many wait.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintList {
    pub data: Vec<ComplaintOut>,
    pub counts: ComplaintCounts,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which complaints a list shows (all filters together).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// `supplier`: the complaints the caller's company received; `customer`: those it filed.
    #[param(value_type = Option<PartyRole>, inline)]
    pub side: Option<String>,
    /// Only in this status.
    #[param(value_type = Option<ComplaintStatus>, inline)]
    pub status: Option<String>,
    /// Only about the documents of this order (`doc_…`, the order's first document).
    pub order_id: Option<String>,
    /// Only with this partner (`co_…`).
    pub partner: Option<String>,
}
