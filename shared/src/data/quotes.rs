//! `quote_requests`, `quote_request_lines`, `quotes`, `quote_lines`, `quote_history`: a
//! customer's requests for quotes and the supplier's quotes in versions, as both sides see them
//! (`shared::quote` has the moves). Every loader takes the viewing company and finds a request
//! only when it is its supplier or its customer, so a third company gets a 404.
//!
//! Every change names the request's `revision` it saw and writes a fresh one: a batch whose
//! request changed meanwhile fails as a whole on [`CHANGED_MEANWHILE`] (its gate, the history
//! entry, gets no time), so a change that lost a race writes nothing — no quote, no order, no
//! event, no mail.

use serde::Deserialize;

use super::files::{self, FileRow, NewFile, Owner};
use super::{first_of, rows_of, Db, Statement};
use crate::ids::{
    ApiKeyId, CompanyId, DocumentId, QuoteEntryId, QuoteId, QuoteRequestId, RelationshipId,
    ThreadId, UserId,
};
use crate::platform::Query;
use crate::quote::{QuoteStatus, VersionStatus};
use crate::time::Time;
use crate::{Error, Result};

/// The constraint two requests made with one supplier at the same moment hit (try again).
pub const SEQ_TAKEN: &str = "quote_requests.supplier_id, quote_requests.seq";
/// The constraint two quotes sent for one request at the same moment hit.
pub const VERSION_TAKEN: &str = "quotes.request_id, quotes.version";
/// The NOT NULL column a change's gate leaves empty when the request changed meanwhile.
pub const CHANGED_MEANWHILE: &str = "quote_history.at";

crate::platform::db::bind_as_str!(
    QuoteStatus,
    VersionStatus,
    QuoteRequestId,
    QuoteId,
    QuoteEntryId
);

/// A request with both companies' names and its newest quote's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestRow {
    pub id: QuoteRequestId,
    pub number: String,
    pub relationship_id: RelationshipId,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    pub customer_id: CompanyId,
    pub customer_name: String,
    pub title: String,
    pub text: Option<String>,
    pub desired_date: Option<String>,
    pub status: QuoteStatus,
    pub thread_id: Option<ThreadId>,
    pub requested_by_name: Option<String>,
    pub order_document_id: Option<DocumentId>,
    pub reason: Option<String>,
    pub revision: String,
    pub latest_version: Option<u64>,
    pub latest_currency: Option<String>,
    pub latest_total_e4: Option<i64>,
    pub latest_valid_until: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
}

const SELECT: &str = "SELECT r.id, r.number, r.relationship_id, r.supplier_id, \
     s.name AS supplier_name, r.customer_id, c.name AS customer_name, r.title, r.text, \
     r.desired_date, r.status, r.thread_id, u.name AS requested_by_name, r.order_document_id, \
     r.reason, r.revision, q.version AS latest_version, q.currency AS latest_currency, \
     q.total_e4 AS latest_total_e4, q.valid_until AS latest_valid_until, r.created_at, \
     r.updated_at, r.closed_at \
     FROM quote_requests r JOIN companies s ON s.id = r.supplier_id \
     JOIN companies c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.requested_by_user_id \
     LEFT JOIN quotes q ON q.request_id = r.id \
     AND q.version = (SELECT MAX(version) FROM quotes WHERE request_id = r.id) \
     WHERE (r.supplier_id = ?1 OR r.customer_id = ?1)";

/// An item the customer asks for.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestLineRow {
    pub line_no: u64,
    pub item: String,
    pub quantity: String,
    pub unit: Option<String>,
    pub note: Option<String>,
}

/// One version of the supplier's quote.
#[derive(Debug, Clone, Deserialize)]
pub struct QuoteRow {
    pub id: QuoteId,
    pub version: u64,
    pub status: VersionStatus,
    pub currency: String,
    pub valid_until: String,
    pub terms: Option<String>,
    pub note: Option<String>,
    pub total_e4: i64,
    pub created_by_name: Option<String>,
    pub created_at: Time,
}

/// A line of a quote.
#[derive(Debug, Clone, Deserialize)]
pub struct QuoteLineRow {
    pub quote_id: QuoteId,
    pub line_no: u64,
    pub item: String,
    pub description: Option<String>,
    pub quantity_e3: i64,
    pub unit: Option<String>,
    pub unit_price_e4: i64,
    pub total_e4: i64,
}

/// A step (with `status`) or a comment, with who wrote it (their name now).
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRow {
    pub id: QuoteEntryId,
    pub company_id: CompanyId,
    pub user_name: Option<String>,
    pub status: Option<QuoteStatus>,
    pub version: Option<u64>,
    pub text: Option<String>,
    pub at: Time,
}

/// A request with its items, every version of its quote (newest first) with their lines, its
/// history and its files (oldest first).
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub row: RequestRow,
    pub lines: Vec<RequestLineRow>,
    pub quotes: Vec<QuoteRow>,
    pub quote_lines: Vec<QuoteLineRow>,
    pub history: Vec<HistoryRow>,
    pub files: Vec<FileRow>,
}

impl QuoteRequest {
    /// The version waiting for the customer.
    #[must_use]
    pub fn current(&self) -> Option<&QuoteRow> {
        self.quotes
            .iter()
            .find(|q| q.status == VersionStatus::Current)
    }

    /// The lines of one version.
    #[must_use]
    pub fn lines_of(&self, quote: &QuoteId) -> Vec<&QuoteLineRow> {
        self.quote_lines
            .iter()
            .filter(|l| &l.quote_id == quote)
            .collect()
    }
}

fn request_stmts(viewer: &CompanyId, id: &QuoteRequestId) -> [Statement; 6] {
    let own = "request_id IN (SELECT id FROM quote_requests WHERE id = ?2 \
               AND (supplier_id = ?1 OR customer_id = ?1))";
    [
        Statement::new(format!("{SELECT} AND r.id = ?2"), &[viewer, id]),
        Statement::new(
            format!(
                "SELECT line_no, item, quantity, unit, note FROM quote_request_lines \
                 WHERE {own} ORDER BY line_no"
            ),
            &[viewer, id],
        ),
        Statement::new(
            format!(
                "SELECT q.id, q.version, q.status, q.currency, q.valid_until, q.terms, q.note, \
                 q.total_e4, u.name AS created_by_name, q.created_at FROM quotes q \
                 LEFT JOIN users u ON u.id = q.created_by_user_id \
                 WHERE q.{own} ORDER BY q.version DESC"
            ),
            &[viewer, id],
        ),
        Statement::new(
            format!(
                "SELECT l.quote_id, l.line_no, l.item, l.description, l.quantity_e3, l.unit, \
                 l.unit_price_e4, l.total_e4 FROM quote_lines l JOIN quotes q ON q.id = l.quote_id \
                 WHERE q.{own} ORDER BY q.version DESC, l.line_no"
            ),
            &[viewer, id],
        ),
        Statement::new(
            format!(
                "SELECT h.id, h.company_id, u.name AS user_name, h.status, h.version, h.text, \
                 h.at FROM quote_history h LEFT JOIN users u ON u.id = h.user_id \
                 WHERE h.{own} ORDER BY h.rowid"
            ),
            &[viewer, id],
        ),
        files::list_stmt(Owner::QuoteRequest, viewer, id),
    ]
}

/// Runs `before`, then reads the request, in one batch (`None`: the viewer is neither side).
async fn with_request(
    db: &Db,
    viewer: &CompanyId,
    id: &QuoteRequestId,
    before: Vec<Statement>,
) -> Result<(Vec<u64>, Option<QuoteRequest>)> {
    let n = before.len();
    let mut batch = before;
    batch.extend(request_stmts(viewer, id));
    let out = db.batch_rows(batch).await?;
    let changed = out.iter().take(n).map(|o| o.changes).collect();
    let row: Option<RequestRow> = first_of(out.get(n))?;
    let request = match row {
        Some(row) => Some(QuoteRequest {
            row,
            lines: rows_of(out.get(n + 1), "quote request lines")?,
            quotes: rows_of(out.get(n + 2), "quotes")?,
            quote_lines: rows_of(out.get(n + 3), "quote lines")?,
            history: rows_of(out.get(n + 4), "quote history")?,
            files: rows_of(out.get(n + 5), "quote request files")?,
        }),
        None => None,
    };
    Ok((changed, request))
}

/// One request the viewer is a side of.
///
/// # Errors
/// A database error.
pub async fn request(
    db: &Db,
    viewer: &CompanyId,
    id: &QuoteRequestId,
) -> Result<Option<QuoteRequest>> {
    Ok(with_request(db, viewer, id, Vec::new()).await?.1)
}

/// What a list shows.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only those the viewer received as supplier (`Some(true)`) or made as customer.
    pub as_supplier: Option<bool>,
    pub status: Option<QuoteStatus>,
    pub partner: Option<CompanyId>,
}

/// A page of the viewer's requests, newest first.
///
/// # Errors
/// A database error.
pub async fn requests(
    db: &Db,
    viewer: &CompanyId,
    filter: &Filter,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<RequestRow>> {
    let mut q = Query::new(SELECT, &[viewer]);
    match filter.as_supplier {
        Some(true) => q.push(" AND r.supplier_id = ?1"),
        Some(false) => q.push(" AND r.customer_id = ?1"),
        None => {}
    }
    if let Some(status) = filter.status {
        q.filter(" AND r.status = ?n", &status);
    }
    if let Some(partner) = &filter.partner {
        q.filter(" AND (r.supplier_id = ?n OR r.customer_id = ?n)", partner);
    }
    if let Some(before) = before {
        q.filter(" AND r.id < ?n", &before);
    }
    q.filter(" ORDER BY r.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// How many requests wait on the viewer: received as supplier and not quoted yet
/// (`to_quote`), made as customer with a quote to decide on (`to_decide`).
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct QuoteCounts {
    pub to_quote: u64,
    pub to_decide: u64,
}

/// The viewer's [`QuoteCounts`].
///
/// # Errors
/// A database error.
pub async fn counts(db: &Db, viewer: &CompanyId) -> Result<QuoteCounts> {
    Ok(db
        .first(
            "SELECT \
             (SELECT COUNT(*) FROM quote_requests WHERE supplier_id = ?1 \
              AND status = 'requested') AS to_quote, \
             (SELECT COUNT(*) FROM quote_requests WHERE customer_id = ?1 \
              AND status = 'quoted') AS to_decide",
            &[viewer],
        )
        .await?
        .unwrap_or_default())
}

/// The supplier's next number, for [`super::notices::before`].
#[must_use]
pub fn next_seq_stmt(supplier: &CompanyId) -> Statement {
    Statement::new(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM quote_requests WHERE supplier_id = ?1",
        &[supplier],
    )
}

/// An item of a new request.
pub struct NewRequestLine<'a> {
    pub item: &'a str,
    pub quantity: &'a str,
    pub unit: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// A new request, made by the customer of a relationship.
pub struct NewRequest<'a> {
    pub id: &'a QuoteRequestId,
    pub relationship_id: &'a RelationshipId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    /// The supplier's running number for it, and the year its number carries.
    pub seq: u64,
    pub year: i32,
    pub title: &'a str,
    pub text: Option<&'a str>,
    pub desired_date: Option<&'a str>,
    pub thread_id: Option<&'a ThreadId>,
    pub lines: &'a [NewRequestLine<'a>],
    pub by_user: Option<&'a UserId>,
    pub by_api_key: Option<&'a ApiKeyId>,
    pub revision: &'a str,
    pub now: Time,
}

/// Makes a request with its items and first history entry, then `then` (its events and mails),
/// in one batch; the request as written. A request made meanwhile took `seq` when this fails
/// with [`SEQ_TAKEN`] (read and try again).
///
/// # Errors
/// A database error, or the unique violation.
pub async fn insert(db: &Db, r: &NewRequest<'_>, then: Vec<Statement>) -> Result<QuoteRequest> {
    let number = crate::quote::number(r.year, r.seq);
    let mut batch = vec![Statement::new(
        "INSERT INTO quote_requests (id, relationship_id, supplier_id, customer_id, seq, number, \
         title, text, desired_date, status, thread_id, requested_by_user_id, \
         requested_by_api_key_id, revision, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'requested', ?10, ?11, ?12, ?13, ?14, ?14)",
        &[
            r.id,
            r.relationship_id,
            r.supplier_id,
            r.customer_id,
            &r.seq,
            &number,
            &r.title,
            &r.text,
            &r.desired_date,
            &r.thread_id,
            &r.by_user,
            &r.by_api_key,
            &r.revision,
            &r.now,
        ],
    )];
    for (i, line) in r.lines.iter().enumerate() {
        batch.push(Statement::new(
            "INSERT INTO quote_request_lines (request_id, line_no, item, quantity, unit, note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                r.id,
                &u64::try_from(i + 1).unwrap_or(u64::MAX),
                &line.item,
                &line.quantity,
                &line.unit,
                &line.note,
            ],
        ));
    }
    batch.push(entry_stmt(
        r.id,
        r.customer_id,
        r.by_user,
        Some(QuoteStatus::Requested),
        None,
        r.text,
        false,
        r.now,
    )?);
    batch.extend(then);
    with_request(db, r.customer_id, r.id, batch)
        .await?
        .1
        .ok_or_else(|| Error::internal("a request just made could not be read"))
}

/// A history entry; as a gate (`gate`), its time is only given when the statement before it
/// changed a row, so the whole batch fails on [`CHANGED_MEANWHILE`] otherwise.
#[allow(clippy::too_many_arguments)]
fn entry_stmt(
    request: &QuoteRequestId,
    company: &CompanyId,
    user: Option<&UserId>,
    status: Option<QuoteStatus>,
    version: Option<u64>,
    text: Option<&str>,
    gate: bool,
    now: Time,
) -> Result<Statement> {
    let at = if gate {
        "CASE WHEN changes() > 0 THEN ?8 END"
    } else {
        "?8"
    };
    Ok(Statement::new(
        format!(
            "INSERT INTO quote_history (id, request_id, company_id, user_id, status, version, \
             text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {at})"
        ),
        &[
            &QuoteEntryId::new(now.0)?,
            request,
            company,
            &user,
            &status,
            &version,
            &text,
            &now,
        ],
    ))
}

/// A change of a request by the viewer's side, from the revision it saw.
pub struct Change<'a> {
    pub from_revision: &'a str,
    pub revision: &'a str,
    pub to: QuoteStatus,
    /// A rejection's or withdrawal's words (kept on the request), or the words of the step.
    pub reason: Option<&'a str>,
    pub text: Option<&'a str>,
    /// The version the step is about.
    pub version: Option<u64>,
    pub user: Option<&'a UserId>,
}

/// Changes a request the viewer is a side of, with its history entry as the gate, then `then`
/// (what the change writes besides: a quote, a decision on a version, the order, events,
/// mails), in one batch; the request after it.
///
/// # Errors
/// A database error; [`CHANGED_MEANWHILE`] (a NOT NULL violation) when the request is no
/// longer at `from_revision` (or not the viewer's), and nothing was written.
pub async fn change(
    db: &Db,
    viewer: &CompanyId,
    id: &QuoteRequestId,
    c: &Change<'_>,
    then: Vec<Statement>,
    now: Time,
) -> Result<Option<QuoteRequest>> {
    let closed = c.to.is_final().then_some(now);
    let mut batch = vec![
        Statement::new(
            "UPDATE quote_requests SET status = ?4, revision = ?5, reason = COALESCE(?6, reason), \
             closed_at = ?7, updated_at = ?8 \
             WHERE id = ?1 AND (supplier_id = ?2 OR customer_id = ?2) AND revision = ?3",
            &[
                id,
                viewer,
                &c.from_revision,
                &c.to,
                &c.revision,
                &c.reason,
                &closed,
                &now,
            ],
        ),
        entry_stmt(
            id,
            viewer,
            c.user,
            Some(c.to),
            c.version,
            c.text.or(c.reason),
            true,
            now,
        )?,
    ];
    batch.extend(then);
    Ok(with_request(db, viewer, id, batch).await?.1)
}

/// One version of a quote, about to be sent.
pub struct NewQuote<'a> {
    pub id: &'a QuoteId,
    pub version: u64,
    pub currency: &'a str,
    pub valid_until: &'a str,
    pub terms: Option<&'a str>,
    pub note: Option<&'a str>,
    pub total_e4: i64,
    pub lines: &'a [NewQuoteLine<'a>],
    pub by_user: Option<&'a UserId>,
    pub by_api_key: Option<&'a ApiKeyId>,
    pub now: Time,
}

/// A line of a new quote.
pub struct NewQuoteLine<'a> {
    pub item: &'a str,
    pub description: Option<&'a str>,
    pub quantity_e3: i64,
    pub unit: Option<&'a str>,
    pub unit_price_e4: i64,
    pub total_e4: i64,
}

/// The statements of a new version (for [`change`]'s `then`): the current one superseded, the
/// new one and its lines written.
#[must_use]
pub fn quote_stmts(request: &QuoteRequestId, q: &NewQuote<'_>) -> Vec<Statement> {
    let mut out = vec![
        version_stmt(request, VersionStatus::Superseded),
        Statement::new(
            "INSERT INTO quotes (id, request_id, version, status, currency, valid_until, terms, \
             note, total_e4, created_by_user_id, created_by_api_key_id, created_at) \
             VALUES (?1, ?2, ?3, 'current', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            &[
                q.id,
                request,
                &q.version,
                &q.currency,
                &q.valid_until,
                &q.terms,
                &q.note,
                &q.total_e4,
                &q.by_user,
                &q.by_api_key,
                &q.now,
            ],
        ),
    ];
    for (i, l) in q.lines.iter().enumerate() {
        out.push(Statement::new(
            "INSERT INTO quote_lines (quote_id, line_no, item, description, quantity_e3, unit, \
             unit_price_e4, total_e4) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                q.id,
                &u64::try_from(i + 1).unwrap_or(u64::MAX),
                &l.item,
                &l.description,
                &l.quantity_e3,
                &l.unit,
                &l.unit_price_e4,
                &l.total_e4,
            ],
        ));
    }
    out
}

/// The current version of a request takes `status` (the customer's decision, the cron's expiry,
/// a newer version).
#[must_use]
pub fn version_stmt(request: &QuoteRequestId, status: VersionStatus) -> Statement {
    Statement::new(
        "UPDATE quotes SET status = ?2 WHERE request_id = ?1 AND status = 'current'",
        &[request, &status],
    )
}

/// The order an acceptance placed, kept on the request (for [`change`]'s `then`, after the
/// document's insert).
#[must_use]
pub fn order_stmt(request: &QuoteRequestId, document: &DocumentId) -> Statement {
    Statement::new(
        "UPDATE quote_requests SET order_document_id = ?2 WHERE id = ?1",
        &[request, document],
    )
}

/// Adds a file to a request the viewer (`f.company`) is a side of and settles its object, in
/// one batch; whether the request took it (`false`: not the viewer's, nothing written), and the
/// request after it.
///
/// # Errors
/// A database error.
pub async fn add_file(
    db: &Db,
    id: &QuoteRequestId,
    f: &NewFile<'_>,
) -> Result<(bool, Option<QuoteRequest>)> {
    let batch = files::add_stmts(Owner::QuoteRequest, id, f).to_vec();
    let (changed, request) = with_request(db, f.company, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), request))
}

/// Records a comment of the viewer's side on a request it is a side of, then `then`, in one
/// batch; whether it was written, and the request after it.
///
/// # Errors
/// A database error.
pub async fn comment(
    db: &Db,
    viewer: &CompanyId,
    id: &QuoteRequestId,
    user: Option<&UserId>,
    text: &str,
    then: Vec<Statement>,
    now: Time,
) -> Result<(bool, Option<QuoteRequest>)> {
    let mut batch = vec![Statement::new(
        "UPDATE quote_requests SET updated_at = ?3 WHERE id = ?1 \
         AND (supplier_id = ?2 OR customer_id = ?2)",
        &[id, viewer, &now],
    )];
    batch.push(Statement::new(
        "INSERT INTO quote_history (id, request_id, company_id, user_id, status, version, text, \
         at) SELECT ?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6 WHERE changes() > 0",
        &[&QuoteEntryId::new(now.0)?, id, viewer, &user, &text, &now],
    ));
    batch.extend(then);
    let (changed, request) = with_request(db, viewer, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), request))
}

/// A request whose current quote's validity passed, for the cron.
#[derive(Debug, Clone, Deserialize)]
pub struct Lapsed {
    pub id: QuoteRequestId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub number: String,
    pub revision: String,
    pub version: u64,
    pub valid_until: String,
}

/// Up to `limit` quoted requests whose current quote was valid until before `today`
/// (`YYYY-MM-DD`), of `company` if given (as either side).
///
/// # Errors
/// A database error.
pub async fn lapsed(
    db: &Db,
    today: &str,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<Lapsed>> {
    db.all(
        "SELECT r.id, r.supplier_id, r.customer_id, r.number, r.revision, q.version, \
         q.valid_until FROM quote_requests r JOIN quotes q ON q.request_id = r.id \
         AND q.status = 'current' WHERE r.status = 'quoted' AND q.valid_until < ?1 \
         AND (?2 IS NULL OR r.supplier_id = ?2 OR r.customer_id = ?2) \
         ORDER BY q.valid_until LIMIT ?3",
        &[&today, &company, &limit],
    )
    .await
}

/// Whether `thread` is a talk thread between `me` and `partner`.
///
/// # Errors
/// A database error.
pub async fn thread_between(
    db: &Db,
    thread: &ThreadId,
    me: &CompanyId,
    partner: &CompanyId,
) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        id: ThreadId,
    }
    let row: Option<Row> = db
        .first(
            "SELECT id FROM threads WHERE id = ?1 AND ((company_id = ?2 AND partner_id = ?3) \
             OR (company_id = ?3 AND partner_id = ?2))",
            &[thread, me, partner],
        )
        .await?;
    Ok(row.is_some())
}
