//! What the quotes worker takes and answers: a request for a quote with its items, the
//! supplier's quotes in versions with their lines and sums, the decisions, the status bar and
//! comments of both sides.

use serde::{Deserialize, Serialize};
use shared::data::files::FileOut;
use shared::data::quotes::{QuoteCounts, QuoteRequest, RequestRow};
use shared::ids::{CompanyId, DocumentId, QuoteEntryId, QuoteId, QuoteRequestId, ThreadId};
use shared::payment::from_e4;
use shared::quote::{quantity_text, QuoteStatus, VersionStatus};
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

pub use shared::validate::Figure;

/// An item the customer asks a quote for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestLineIn {
    /// The item as the customer names it: SKU, GTIN or a description.
    #[schema(min_length = 1, max_length = 200)]
    pub item: String,
    /// How many: a positive decimal with at most three places (a string, or a JSON number).
    #[schema(value_type = String, example = "500")]
    pub quantity: Figure,
    #[serde(default)]
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

/// A new request for a quote, by the customer of a relationship.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequestIn {
    /// The supplier: its company id (`co_…`) or handle.
    pub partner: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// What is wanted, in words.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub text: Option<String>,
    /// When the goods are wanted (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(format = Date)]
    pub desired_date: Option<String>,
    /// A talk thread with the supplier the request belongs to (`thr_…`).
    #[serde(default)]
    pub thread_id: Option<String>,
    /// The items (at most 200; none: the text says what).
    #[serde(default)]
    pub lines: Vec<RequestLineIn>,
}

/// A line of a quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineIn {
    #[schema(min_length = 1, max_length = 200)]
    pub item: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    /// A positive decimal with at most three places.
    #[schema(value_type = String, example = "500")]
    pub quantity: Figure,
    #[serde(default)]
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// The price of one unit: zero or more, at most four decimals.
    #[schema(value_type = String, example = "0.052")]
    pub unit_price: Figure,
}

/// A quote (a new version supersedes the current one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteIn {
    /// ISO 4217 (`EUR`, `PLN`).
    #[schema(example = "EUR")]
    pub currency: String,
    /// The last day the quote may be accepted (`YYYY-MM-DD`, today or later).
    #[schema(format = Date)]
    pub valid_until: String,
    /// Payment and delivery terms.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub terms: Option<String>,
    /// A note to the customer.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
    /// 1 to 200 lines.
    pub lines: Vec<QuoteLineIn>,
}

/// The customer accepts the current quote.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteAcceptIn {
    /// The version accepted: when given, it must be the current one (409 otherwise).
    #[serde(default)]
    pub version: Option<u64>,
    /// The customer's own order number, written as the order's ID (default: the request's
    /// number).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reference: Option<String>,
}

/// Words with a decision: a rejection's reason, the changes asked for, a withdrawal's reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteReasonIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: Option<String>,
}

/// A comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteCommentIn {
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
}

/// A company as a request names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyRef {
    pub id: CompanyId,
    pub name: String,
}

/// An item asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestLineOut {
    pub line_no: u64,
    pub item: String,
    pub quantity: String,
    pub unit: Option<String>,
    pub note: Option<String>,
}

/// A line of a quote; amounts as decimal strings of the quote's currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLineOut {
    pub line_no: u64,
    pub item: String,
    pub description: Option<String>,
    pub quantity: String,
    pub unit: Option<String>,
    pub unit_price: String,
    pub total: String,
}

/// One version of the supplier's quote.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteOut {
    pub id: QuoteId,
    pub version: u64,
    pub status: VersionStatus,
    pub currency: String,
    #[schema(format = Date)]
    pub valid_until: String,
    pub terms: Option<String>,
    pub note: Option<String>,
    pub total: String,
    pub lines: Vec<QuoteLineOut>,
    pub by_name: Option<String>,
    pub created_at: Time,
}

/// A step (with `status`) or a comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteEntryOut {
    pub id: QuoteEntryId,
    pub side: PartyRole,
    pub by_name: Option<String>,
    pub status: Option<QuoteStatus>,
    pub version: Option<u64>,
    pub text: Option<String>,
    pub at: Time,
}

/// The newest version in short, for lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestOut {
    pub version: u64,
    pub currency: String,
    pub total: String,
    #[schema(format = Date)]
    pub valid_until: String,
}

/// A request for a quote as either side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteRequestOut {
    pub id: QuoteRequestId,
    /// The supplier's number: `RFQ-2027-00042`.
    pub number: String,
    pub status: QuoteStatus,
    /// The caller's side: `customer` (asked) or `supplier` (quotes).
    pub side: PartyRole,
    pub supplier: PartyRef,
    pub customer: PartyRef,
    pub title: String,
    pub text: Option<String>,
    #[schema(format = Date)]
    pub desired_date: Option<String>,
    pub thread_id: Option<ThreadId>,
    pub requested_by_name: Option<String>,
    /// The order the accepted quote placed (a document in the supplier's inbox).
    pub order_document_id: Option<DocumentId>,
    /// A rejection's or withdrawal's words.
    pub reason: Option<String>,
    pub latest: Option<LatestOut>,
    pub lines: Vec<RequestLineOut>,
    /// Newest first; only in the answers about one request (empty in lists).
    pub quotes: Vec<QuoteOut>,
    /// Oldest first; only in the answers about one request.
    pub history: Vec<QuoteEntryOut>,
    /// Drawings, specifications, the supplier's quote as a PDF: oldest first; only in the
    /// answers about one request (download: `GET /v1/quote-requests/{id}/files/{file_id}`).
    pub files: Vec<FileOut>,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
}

impl QuoteRequestOut {
    /// A list's row, as `viewer` sees it.
    #[must_use]
    pub fn row(r: RequestRow, viewer: &CompanyId) -> QuoteRequestOut {
        let latest = match (
            r.latest_version,
            r.latest_currency,
            r.latest_total_e4,
            r.latest_valid_until,
        ) {
            (Some(version), Some(currency), Some(total), Some(valid_until)) => Some(LatestOut {
                version,
                currency,
                total: from_e4(total),
                valid_until,
            }),
            _ => None,
        };
        QuoteRequestOut {
            side: PartyRole::of(&r.supplier_id, viewer),
            supplier: PartyRef {
                id: r.supplier_id,
                name: r.supplier_name,
            },
            customer: PartyRef {
                id: r.customer_id,
                name: r.customer_name,
            },
            id: r.id,
            number: r.number,
            status: r.status,
            title: r.title,
            text: r.text,
            desired_date: r.desired_date,
            thread_id: r.thread_id,
            requested_by_name: r.requested_by_name,
            order_document_id: r.order_document_id,
            reason: r.reason,
            latest,
            lines: Vec::new(),
            quotes: Vec::new(),
            history: Vec::new(),
            files: Vec::new(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            closed_at: r.closed_at,
        }
    }

    /// The whole request, as `viewer` sees it.
    #[must_use]
    pub fn of(q: QuoteRequest, viewer: &CompanyId) -> QuoteRequestOut {
        let supplier = q.row.supplier_id.clone();
        let quotes = q
            .quotes
            .iter()
            .map(|v| QuoteOut {
                lines: q
                    .lines_of(&v.id)
                    .into_iter()
                    .map(|l| QuoteLineOut {
                        line_no: l.line_no,
                        item: l.item.clone(),
                        description: l.description.clone(),
                        quantity: quantity_text(l.quantity_e3),
                        unit: l.unit.clone(),
                        unit_price: from_e4(l.unit_price_e4),
                        total: from_e4(l.total_e4),
                    })
                    .collect(),
                id: v.id.clone(),
                version: v.version,
                status: v.status,
                currency: v.currency.clone(),
                valid_until: v.valid_until.clone(),
                terms: v.terms.clone(),
                note: v.note.clone(),
                total: from_e4(v.total_e4),
                by_name: v.created_by_name.clone(),
                created_at: v.created_at,
            })
            .collect();
        let history = q
            .history
            .into_iter()
            .map(|h| QuoteEntryOut {
                side: PartyRole::of(&supplier, &h.company_id),
                id: h.id,
                by_name: h.user_name,
                status: h.status,
                version: h.version,
                text: h.text,
                at: h.at,
            })
            .collect();
        QuoteRequestOut {
            lines: q
                .lines
                .into_iter()
                .map(|l| RequestLineOut {
                    line_no: l.line_no,
                    item: l.item,
                    quantity: l.quantity,
                    unit: l.unit,
                    note: l.note,
                })
                .collect(),
            quotes,
            history,
            files: q
                .files
                .into_iter()
                .map(|f| FileOut::of(f, &supplier))
                .collect(),
            ..QuoteRequestOut::row(q.row, viewer)
        }
    }
}

/// A page of requests, and how many wait.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteRequestList {
    pub data: Vec<QuoteRequestOut>,
    pub counts: QuoteCounts,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which requests a list shows (all filters together).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteRequestQuery {
    /// `supplier`: the requests the caller's company received; `customer`: those it made.
    #[param(value_type = Option<PartyRole>, inline)]
    pub side: Option<String>,
    #[param(value_type = Option<QuoteStatus>, inline)]
    pub status: Option<String>,
    /// Only with this partner (`co_…`).
    pub partner: Option<String>,
}

/// What the dev endpoint for the cron takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotesCronIn {
    /// Only this company's requests (`co_…`, either side).
    #[serde(default)]
    pub company_id: Option<String>,
    /// Run as of this instant (RFC 3339; default now).
    #[serde(default)]
    pub as_of: Option<String>,
}

/// What the cron did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct QuotesCronOut {
    /// Quotes that expired.
    pub expired: u32,
}
