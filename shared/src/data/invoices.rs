//! `invoices` and `invoice_history`: what the recogniser read in a document of type `invoice`
//! and the invoice's way to payment. An invoice is a document: it is seen by the same two
//! companies (the recipient not while it is held or discarded), its id is the document's, and a
//! document of type `invoice` that has no row yet is listed as being read (`pending`).

use serde::{Deserialize, Serialize};

use super::{events, Db, Statement};
use crate::data::companies::CompanyOut;
use crate::document::{Actor, DocumentStatus};
use crate::event::Event;
use crate::ids::{CompanyId, DocumentId, RelationshipId, ThreadId, UserId};
use crate::invoice::{InvoiceFormat, InvoiceKind};
use crate::payment::{InvoiceState, Recognition};
use crate::permissions::Principal;
use crate::platform::{Json, Outcome, Query};
use crate::relationship::RelationshipStatus;
use crate::time::Time;
use crate::Result;

/// The columns of an invoice as a company sees it: the document's, the reading's (absent while
/// pending), the partner's and the relationship's status.
const COLUMNS: &str = "d.id, d.relationship_id, d.sender_id, d.recipient_id, d.filename, \
     d.created_at AS arrived_at, d.status AS document_status, d.order_id, \
     COALESCE(i.recognition, 'pending') AS recognition, i.format, \
     COALESCE(i.kind, 'invoice') AS kind, i.invoice_number, i.issue_date, i.due_date, \
     i.currency, i.payable, i.summary, COALESCE(i.findings, '[]') AS findings, i.parse_error, \
     i.order_document_id, i.order_number, COALESCE(i.state, 'new') AS state, \
     COALESCE(i.overdue, 0) AS overdue, i.thread_id, i.paid_on, i.paid_amount, \
     i.payment_reference, r.status AS relationship_status, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at";

/// `FROM` for [`COLUMNS`], `?1` the viewing company (the partner is the other one).
const FROM: &str = "FROM documents d LEFT JOIN invoices i ON i.document_id = d.id \
     JOIN relationships r ON r.id = d.relationship_id \
     JOIN companies p ON p.id = CASE WHEN d.sender_id = ?1 THEN d.recipient_id ELSE d.sender_id END";

/// Who may see a document of type `invoice` (`?1` the viewer): its sender, and its recipient
/// once it is delivered.
const SEEN: &str = "d.type = 'invoice' AND (d.sender_id = ?1 OR (d.recipient_id = ?1 \
     AND d.status NOT IN ('held', 'discarded')))";

/// An invoice as a company sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceRow {
    pub id: DocumentId,
    pub relationship_id: RelationshipId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    pub filename: String,
    pub arrived_at: Time,
    pub document_status: DocumentStatus,
    pub order_id: DocumentId,
    pub recognition: Recognition,
    /// The e-invoice format, when one was found.
    pub format: Option<InvoiceFormat>,
    pub kind: InvoiceKind,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub payable: Option<String>,
    /// The `InvoiceSummary` as JSON text.
    pub summary: Option<String>,
    /// The checks' findings as a JSON array.
    pub findings: String,
    pub parse_error: Option<String>,
    pub order_document_id: Option<DocumentId>,
    pub order_number: Option<String>,
    pub state: InvoiceState,
    pub overdue: bool,
    pub thread_id: Option<ThreadId>,
    pub paid_on: Option<String>,
    pub paid_amount: Option<String>,
    pub payment_reference: Option<String>,
    pub relationship_status: RelationshipStatus,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
    /// The status bar, when loaded with it.
    #[serde(default)]
    pub history: Option<Json<Vec<InvoiceHistoryEntry>>>,
}

impl InvoiceRow {
    /// The other company, as the viewer sees it.
    #[must_use]
    pub fn partner(&self) -> CompanyOut {
        CompanyOut {
            id: self.partner_id.clone(),
            name: self.partner_name.clone(),
            handle: self.partner_handle.clone(),
            created_at: self.partner_created_at,
        }
    }
}

/// One entry of an invoice's status bar.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceHistoryEntry {
    /// The state it moved to, or `overdue` (the due date passed while unpaid).
    #[schema(value_type = String, example = "disputed")]
    pub state: String,
    pub at: Time,
    /// Who moved it: `sender`, `recipient` or `system`.
    pub by: Actor,
    pub note: Option<String>,
}

const HISTORY: &str = "(SELECT json_group_array(json_object('state', h.state, 'at', h.at, \
     'by', h.actor, 'note', h.note)) FROM (SELECT * FROM invoice_history h \
     WHERE h.document_id = d.id ORDER BY h.seq) h) AS history";

fn one_stmt(viewer: &CompanyId, id: &DocumentId) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS}, {HISTORY} {FROM} WHERE d.id = ?2 AND {SEEN}"),
        &[viewer, id],
    )
}

/// An invoice with its status bar as `viewer` sees it; `None` for another company's, a held one
/// for its recipient, or a document that is no invoice.
///
/// # Errors
/// A database error.
pub async fn load(db: &Db, viewer: &CompanyId, id: &DocumentId) -> Result<Option<InvoiceRow>> {
    db.first_of(one_stmt(viewer, id)).await
}

/// Which invoices a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The viewer received them (else: sent them).
    pub received: bool,
    /// `open` (unpaid), `overdue`, `disputed` or `paid`.
    pub state: Option<String>,
    pub partner: Option<CompanyId>,
    /// Issue date (or, unread, arrival day) from and to, inclusive, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
}

fn filtered(viewer: &CompanyId, f: &Filter, select: &str) -> Query {
    let side = if f.received {
        "d.recipient_id = ?1"
    } else {
        "d.sender_id = ?1"
    };
    let mut q = Query::new(
        format!("SELECT {select} {FROM} WHERE {SEEN} AND {side} AND d.status <> 'cancelled'"),
        &[viewer],
    );
    match f.state.as_deref() {
        Some("open") => q.push(" AND COALESCE(i.state, 'new') <> 'paid'"),
        Some("overdue") => q.push(" AND i.overdue = 1 AND i.state <> 'paid'"),
        Some(state) => q.filter(" AND COALESCE(i.state, 'new') = ?n", &state),
        None => {}
    }
    if let Some(partner) = &f.partner {
        q.filter(" AND p.id = ?n", partner);
    }
    let day = "COALESCE(i.issue_date, substr(d.created_at, 1, 10))";
    if let Some(from) = &f.from {
        q.filter(&format!(" AND {day} >= ?n"), from);
    }
    if let Some(to) = &f.to {
        q.filter(&format!(" AND {day} <= ?n"), to);
    }
    q
}

/// What the list sums per currency.
#[derive(Debug, Clone, Deserialize)]
pub struct TotalRow {
    pub currency: String,
    pub count: u64,
    /// Units of 0.0001 (see `shared::payment::to_e4`); credit notes count negative.
    pub payable_e4: i64,
    pub open_e4: i64,
}

/// A page of the invoices `viewer` sees, newest first, and the sums per currency over every
/// invoice the filter finds (one round trip).
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    f: &Filter,
    before: Option<&str>,
    fetch: u32,
) -> Result<(Vec<InvoiceRow>, Vec<TotalRow>)> {
    let mut page = filtered(viewer, f, COLUMNS);
    if let Some(before) = before {
        page.filter(" AND d.id < ?n", &before);
    }
    page.filter(" ORDER BY d.id DESC LIMIT ?n", &fetch);
    let mut totals = filtered(
        viewer,
        f,
        "i.currency AS currency, COUNT(*) AS count, COALESCE(SUM(i.payable_e4), 0) AS payable_e4, \
         COALESCE(SUM(CASE WHEN i.state <> 'paid' THEN i.payable_e4 END), 0) AS open_e4",
    );
    totals.push(" AND i.currency IS NOT NULL GROUP BY i.currency ORDER BY i.currency");
    let outcomes = db
        .batch_rows(vec![page.statement(), totals.statement()])
        .await?;
    Ok((rows_of(outcomes.first())?, rows_of(outcomes.get(1))?))
}

fn rows_of<T: serde::de::DeserializeOwned>(outcome: Option<&Outcome>) -> Result<Vec<T>> {
    super::rows_of(outcome, "invoices")
}

// ---- reading ---------------------------------------------------------------------------------

/// A document of type `invoice` with nothing read from it yet (the platform's own lookup).
#[derive(Debug, Clone, Deserialize)]
pub struct Unread {
    pub id: DocumentId,
    pub relationship_id: RelationshipId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    pub object_key: String,
    pub size: u64,
    pub status: DocumentStatus,
}

const UNREAD: &str = "SELECT d.id, d.relationship_id, d.sender_id, d.recipient_id, \
     d.object_key, d.size, d.status FROM documents d WHERE d.type = 'invoice' \
     AND d.status <> 'discarded' AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.document_id = d.id)";

/// The document `id` if it is an invoice not read yet.
///
/// # Errors
/// A database error.
pub async fn unread(db: &Db, id: &DocumentId) -> Result<Option<Unread>> {
    db.first(&format!("{UNREAD} AND d.id = ?1"), &[id]).await
}

/// Invoices the queue did not get to read, which arrived by `before`, oldest first; with
/// `company`, only those it sent or received (the dev endpoint's scope).
///
/// # Errors
/// A database error.
pub async fn unread_before(
    db: &Db,
    before: Time,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<Unread>> {
    db.all(
        &format!(
            "{UNREAD} AND d.created_at <= ?1 AND (?3 IS NULL OR d.sender_id = ?3 \
             OR d.recipient_id = ?3) ORDER BY d.id LIMIT ?2"
        ),
        &[&before, &limit, &company],
    )
    .await
}

/// The order an invoice names: a document of type `order` between the same two companies (in
/// the relationship) whose number (its reference or the order number read from it) is `number`.
/// Returns the order's id and the id of the order chain it is in.
///
/// # Errors
/// A database error.
pub async fn order_named(
    db: &Db,
    relationship: &RelationshipId,
    number: &str,
) -> Result<Option<(DocumentId, DocumentId)>> {
    #[derive(Deserialize)]
    struct Found {
        id: DocumentId,
        order_id: DocumentId,
    }
    let found: Option<Found> = db
        .first(
            "SELECT id, order_id FROM documents WHERE relationship_id = ?1 AND type = 'order' \
             AND status NOT IN ('held', 'discarded', 'cancelled') \
             AND (reference = ?2 OR json_extract(summary, '$.order_number') = ?2) \
             ORDER BY id DESC LIMIT 1",
            &[relationship, &number],
        )
        .await?;
    Ok(found.map(|f| (f.id, f.order_id)))
}

/// What the recogniser read, to be stored.
pub struct Reading<'a> {
    pub document: &'a Unread,
    pub recognition: Recognition,
    pub format: Option<&'a str>,
    pub kind: &'a str,
    pub invoice_number: Option<&'a str>,
    pub issue_date: Option<&'a str>,
    pub due_date: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub payable: Option<&'a str>,
    pub payable_e4: Option<i64>,
    /// JSON text.
    pub summary: Option<&'a str>,
    /// JSON text.
    pub findings: &'a str,
    pub parse_error: Option<&'a str>,
    /// The order it names and that order's chain, when found.
    pub order: Option<&'a (DocumentId, DocumentId)>,
    pub order_number: Option<&'a str>,
    pub now: Time,
}

/// Stores a reading once (a second reading of the same document changes nothing): the row, its
/// first status bar entry, and — when it names an order of the pair and the document stands
/// alone — the document joins that order's chain. One batch; `true` when this call stored it.
///
/// # Errors
/// A database error.
pub async fn store_reading(db: &Db, r: &Reading<'_>) -> Result<bool> {
    let d = r.document;
    let mut statements = vec![
        Statement::new(
            "INSERT OR IGNORE INTO invoices (document_id, relationship_id, sender_id, \
             recipient_id, recognition, format, kind, invoice_number, issue_date, due_date, \
             currency, payable, payable_e4, summary, findings, parse_error, order_document_id, \
             order_number, state, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
             ?18, 'new', ?19, ?19)",
            &[
                &d.id,
                &d.relationship_id,
                &d.sender_id,
                &d.recipient_id,
                &r.recognition.as_str(),
                &r.format,
                &r.kind,
                &r.invoice_number,
                &r.issue_date,
                &r.due_date,
                &r.currency,
                &r.payable,
                &r.payable_e4,
                &r.summary,
                &r.findings,
                &r.parse_error,
                &r.order.map(|o| &o.0),
                &r.order_number,
                &r.now,
            ],
        ),
        history_stmt(&d.id, "new", Actor::System, None, None, r.now),
    ];
    if let Some((_, chain)) = r.order {
        statements.push(Statement::new(
            "UPDATE documents SET order_id = ?2 WHERE id = ?1 AND order_id = id \
             AND in_reply_to IS NULL",
            &[&d.id, chain],
        ));
    }
    let changes = db.batch(statements).await?;
    Ok(changes.first().is_some_and(|&n| n > 0))
}

/// The insert of a status bar entry, made only when the statement before it changed a row.
fn history_stmt(
    id: &DocumentId,
    state: &str,
    actor: Actor,
    by: Option<&Principal>,
    note: Option<&str>,
    now: Time,
) -> Statement {
    Statement::new(
        "INSERT INTO invoice_history (document_id, state, actor, user_id, api_key_id, note, at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0",
        &[
            id,
            &state,
            &actor.as_str(),
            &by.and_then(|m| m.user_id.as_ref()),
            &by.and_then(|m| m.api_key_id.as_ref()),
            &note,
            &now,
        ],
    )
}

// ---- the way to payment -----------------------------------------------------------------------

/// The thread a dispute opens with the invoice's sender, and its first message.
pub struct DisputeThread<'a> {
    pub id: &'a ThreadId,
    pub message_id: &'a str,
    pub subject: &'a str,
    pub user_id: &'a UserId,
    pub user_name: &'a str,
}

/// What a move of the recipient records.
pub struct Change<'a> {
    pub id: &'a DocumentId,
    pub by: &'a Principal,
    /// The states it moves from, and the state it moves to.
    pub from: &'a [InvoiceState],
    pub to: InvoiceState,
    /// The reason of a dispute or the reference of a payment, for the status bar.
    pub note: Option<&'a str>,
    pub paid_on: Option<&'a str>,
    pub paid_amount: Option<&'a str>,
    pub thread: Option<DisputeThread<'a>>,
    pub now: Time,
}

/// The outcome of a guarded change.
pub struct Changed {
    /// The invoice as it is now; `None`: the viewer finds no such invoice.
    pub row: Option<InvoiceRow>,
    /// Whether the change was made (else its guard refused it).
    pub changed: bool,
}

/// Moves an invoice the viewer received, guarded by the states it may move from: the update,
/// for a dispute its thread, first message and the thread's id on the invoice, the status bar
/// entry and the events' outbox rows
/// (all only when the update was made), then the invoice read back. One batch.
///
/// # Errors
/// A database error.
pub async fn change(db: &Db, c: &Change<'_>, events_out: &[Event]) -> Result<Changed> {
    let viewer = &c.by.company_id;
    let from = Json(c.from.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let mut statements = vec![Statement::new(
        "UPDATE invoices SET state = ?3, paid_on = COALESCE(?5, paid_on), \
         paid_amount = COALESCE(?6, paid_amount), \
         payment_reference = CASE WHEN ?3 = 'paid' THEN ?7 ELSE payment_reference END, \
         updated_at = ?8 WHERE document_id = ?1 AND recipient_id = ?2 \
         AND state IN (SELECT value FROM json_each(?4))",
        &[
            c.id,
            viewer,
            &c.to.as_str(),
            &from,
            &c.paid_on,
            &c.paid_amount,
            &c.note,
            &c.now,
        ],
    )];
    if let Some(t) = &c.thread {
        // The same rows the talk worker writes for a new thread (shared::data::talk), here only
        // when the dispute was recorded.
        statements.push(Statement::new(
            "INSERT INTO threads (id, relationship_id, company_id, partner_id, subject, \
             document_id, to_user_id, created_by, created_at, last_message_at, message_count) \
             SELECT ?1, relationship_id, recipient_id, sender_id, ?2, document_id, NULL, ?3, ?4, \
             ?4, 1 FROM invoices WHERE document_id = ?5 AND changes() > 0",
            &[t.id, &t.subject, t.user_id, &c.now, c.id],
        ));
        statements.push(Statement::new(
            "INSERT INTO messages (id, thread_id, company_id, user_id, user_name, text, \
             created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0",
            &[
                &t.message_id,
                t.id,
                viewer,
                t.user_id,
                &t.user_name,
                &c.note,
                &c.now,
            ],
        ));
        // Named by the invoice once it exists (the reference is checked at once).
        statements.push(Statement::new(
            "UPDATE invoices SET thread_id = ?2 WHERE document_id = ?1 AND changes() > 0",
            &[c.id, t.id],
        ));
    }
    statements.push(history_stmt(
        c.id,
        c.to.as_str(),
        Actor::Recipient,
        Some(c.by),
        c.note,
        c.now,
    ));
    for event in events_out {
        statements.push(events::insert_if_changed_stmt(event));
    }
    statements.push(one_stmt(viewer, c.id));
    let n = statements.len();
    let outcomes = db.batch_rows(statements).await?;
    Ok(Changed {
        changed: outcomes.first().is_some_and(|o| o.changes > 0),
        row: super::first_of(outcomes.get(n - 1))?,
    })
}

/// An unpaid invoice whose due date passed, not flagged yet (the platform's own lookup).
#[derive(Debug, Clone, Deserialize)]
pub struct Due {
    pub document_id: DocumentId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    pub invoice_number: Option<String>,
    pub due_date: String,
    pub currency: Option<String>,
    pub payable: Option<String>,
}

/// Unpaid invoices due before `today` (`YYYY-MM-DD`) that are not flagged overdue yet; with
/// `company`, only those it sent or received.
///
/// # Errors
/// A database error.
pub async fn overdue_unflagged(
    db: &Db,
    today: &str,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<Due>> {
    db.all(
        "SELECT document_id, sender_id, recipient_id, invoice_number, due_date, currency, \
         payable FROM invoices WHERE state <> 'paid' AND overdue = 0 AND due_date < ?1 \
         AND (?3 IS NULL OR sender_id = ?3 OR recipient_id = ?3) ORDER BY due_date LIMIT ?2",
        &[&today, &limit, &company],
    )
    .await
}

/// Flags one invoice overdue with its status bar entry and events (only if still unpaid and
/// unflagged). One batch; `true` when this call flagged it.
///
/// # Errors
/// A database error.
pub async fn flag_overdue(
    db: &Db,
    id: &DocumentId,
    events_out: &[Event],
    now: Time,
) -> Result<bool> {
    let mut statements = vec![
        Statement::new(
            "UPDATE invoices SET overdue = 1, updated_at = ?2 \
             WHERE document_id = ?1 AND overdue = 0 AND state <> 'paid'",
            &[id, &now],
        ),
        history_stmt(id, "overdue", Actor::System, None, None, now),
    ];
    for event in events_out {
        statements.push(events::insert_if_changed_stmt(event));
    }
    let changes = db.batch(statements).await?;
    Ok(changes.first().is_some_and(|&n| n > 0))
}
