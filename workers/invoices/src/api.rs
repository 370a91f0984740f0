//! What the invoices worker takes and answers.

use serde::{Deserialize, Serialize};
use shared::data::companies::CompanyOut;
use shared::data::invoices::{InvoiceHistoryEntry, InvoiceRow};
use shared::ids::{CompanyId, DocumentId, ThreadId};
use shared::invoice::{Finding, InvoiceFormat, InvoiceKind, InvoiceSummary};
use shared::payment::{InvoiceState, Recognition};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// Which side of the invoice the caller's company is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The caller's company received it (it pays).
    Received,
    /// The caller's company sent it (it is paid).
    Sent,
}

/// An invoice in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceItem {
    /// The invoice's document (`doc_…`): its file is `GET /v1/documents/{id}/content`.
    pub id: DocumentId,
    pub direction: Direction,
    pub partner: CompanyOut,
    pub filename: String,
    /// When the document arrived.
    pub arrived_at: Time,
    pub kind: InvoiceKind,
    /// The e-invoice format found; `null` when none was (yet).
    pub format: Option<InvoiceFormat>,
    pub recognition: Recognition,
    pub invoice_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// ISO 4217, as the invoice states it.
    pub currency: Option<String>,
    /// The amount due as an exact decimal text (`1234.50`).
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub payable: Option<String>,
    pub state: InvoiceState,
    /// The due date passed while unpaid.
    pub overdue: bool,
    /// The order chain the document is in (its own id when it joined none).
    pub order_id: DocumentId,
}

impl InvoiceItem {
    /// The row as `viewer` sees it.
    #[must_use]
    pub fn of(row: &InvoiceRow, viewer: &CompanyId) -> InvoiceItem {
        InvoiceItem {
            id: row.id.clone(),
            direction: if &row.recipient_id == viewer {
                Direction::Received
            } else {
                Direction::Sent
            },
            partner: row.partner(),
            filename: row.filename.clone(),
            arrived_at: row.arrived_at,
            kind: row.kind,
            format: row.format,
            recognition: row.recognition,
            invoice_number: row.invoice_number.clone(),
            issue_date: row.issue_date.clone(),
            due_date: row.due_date.clone(),
            currency: row.currency.clone(),
            payable: row.payable.clone(),
            state: row.state,
            overdue: row.overdue && row.state != InvoiceState::Paid,
            order_id: row.order_id.clone(),
        }
    }
}

/// The order an invoice names, when it was found between the same two companies.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOrder {
    /// The order's document.
    pub id: DocumentId,
    /// The number the invoice names it by.
    pub order_number: Option<String>,
}

/// What the recipient recorded of the payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    pub amount: String,
    pub reference: Option<String>,
}

/// An invoice with what was read from it and its status bar.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOut {
    #[serde(flatten)]
    pub item: InvoiceItem,
    /// What was read: parties, lines, taxes, totals, payment terms. `null` unless recognised.
    ///
    /// Passed through as stored (JSON written by `shared::invoice`), so the bundle carries no
    /// parser for it.
    #[schema(value_type = Option<InvoiceSummary>)]
    pub summary: Option<serde_json::Value>,
    /// What the checks found (sums, dates, required fields): warnings, never a refusal.
    #[schema(value_type = Vec<Finding>)]
    pub findings: serde_json::Value,
    /// Why a file that looks like an e-invoice could not be read.
    pub parse_error: Option<String>,
    pub order: Option<InvoiceOrder>,
    /// The talk thread the dispute opened with the sender.
    pub thread_id: Option<ThreadId>,
    pub payment: Option<Payment>,
    /// Every move, oldest first.
    pub history: Vec<InvoiceHistoryEntry>,
}

impl InvoiceOut {
    /// The row (loaded with its history) as `viewer` sees it.
    #[must_use]
    pub fn of(row: InvoiceRow, viewer: &CompanyId) -> InvoiceOut {
        let item = InvoiceItem::of(&row, viewer);
        InvoiceOut {
            item,
            summary: row
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            findings: serde_json::from_str(&row.findings)
                .unwrap_or_else(|_| serde_json::Value::Array(Vec::new())),
            parse_error: row.parse_error,
            order: row.order_document_id.map(|id| InvoiceOrder {
                id,
                order_number: row.order_number,
            }),
            thread_id: row.thread_id,
            payment: row.paid_on.map(|paid_on| Payment {
                paid_on,
                amount: row.paid_amount.unwrap_or_default(),
                reference: row.payment_reference,
            }),
            history: row.history.map(|h| h.0).unwrap_or_default(),
        }
    }
}

/// The sums of one currency over every invoice a list's filter finds.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrencyTotal {
    pub currency: String,
    /// How many invoices.
    pub count: u64,
    /// Their payable amounts added up, exactly (credit notes subtract).
    pub payable: String,
    /// The same of the unpaid ones.
    pub open: String,
}

/// A page of invoices, the newest first, with the sums per currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub data: Vec<InvoiceItem>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    /// Per currency, over all the filter finds (not only this page).
    pub totals: Vec<CurrencyTotal>,
}

/// Which invoices a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// `received` (the default) or `sent`.
    #[param(value_type = Option<Direction>, inline)]
    pub direction: Option<String>,
    /// `open` (not paid), `overdue`, `new`, `received`, `disputed` or `paid`.
    #[param(pattern = "^(open|overdue|new|received|disputed|paid)$")]
    pub state: Option<String>,
    /// Only those of this partner (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub partner: Option<String>,
    /// Issued on or after this day (`YYYY-MM-DD`; an unread invoice by its arrival).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Issued on or before this day.
    #[param(format = Date)]
    pub to: Option<String>,
}

/// Why the recipient disputes an invoice: the first message of the thread it opens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeIn {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The payment the recipient records.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidIn {
    /// The day it was paid (`YYYY-MM-DD`, not in the future).
    #[schema(format = Date)]
    pub paid_on: String,
    /// The amount paid, an exact decimal (`1234.50`).
    #[schema(pattern = r"^[0-9]{1,15}(\.[0-9]{1,4})?$")]
    pub amount: String,
    /// The payment's reference (bank transfer text, ERP payment number).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
}

/// What one run of the housekeeping did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct InvoicesCronOut {
    /// Invoices the queue had missed, read now.
    pub read: u64,
    /// Unpaid invoices found past their due date.
    pub flagged_overdue: u64,
}
