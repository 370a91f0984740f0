//! `complaints`, `complaint_lines`, `complaint_history`: a customer's complaints (RMA) about the
//! documents of a relationship, as both sides see them (shared::complaint has the moves). Every
//! loader takes the viewing company and finds a complaint only when it is its supplier or its
//! customer, so a third company gets a 404.

use serde::Deserialize;

use super::files::{self, FileRow, NewFile, Owner};
use super::{first_of, rows_of, Db, Statement};
use crate::complaint::{ComplaintStatus, Reason, Resolution};
use crate::ids::{
    ApiKeyId, CompanyId, ComplaintEntryId, ComplaintId, DocumentId, RelationshipId, UserId,
};
use crate::platform::Query;
use crate::time::Time;
use crate::{Error, Result};

/// The constraint a complaint filed at the same moment as another of the supplier hits (the
/// caller tries again with the next number).
pub const SEQ_TAKEN: &str = "complaints.supplier_id, complaints.seq";

crate::platform::db::bind_as_str!(
    ComplaintStatus,
    Reason,
    Resolution,
    ComplaintId,
    ComplaintEntryId
);

/// A complaint with both companies' names.
#[derive(Debug, Clone, Deserialize)]
pub struct ComplaintRow {
    pub id: ComplaintId,
    pub number: String,
    pub relationship_id: RelationshipId,
    pub supplier_id: CompanyId,
    pub supplier_name: String,
    pub customer_id: CompanyId,
    pub customer_name: String,
    pub document_id: DocumentId,
    pub document_filename: String,
    pub order_id: String,
    pub reason: Reason,
    pub description: String,
    pub status: ComplaintStatus,
    pub resolution: Option<Resolution>,
    pub decision_note: Option<String>,
    pub opened_by_user_id: Option<UserId>,
    pub opened_by_name: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
}

const SELECT: &str =
    "SELECT k.id, k.number, k.relationship_id, k.supplier_id, s.name AS supplier_name, \
     k.customer_id, c.name AS customer_name, k.document_id, d.filename AS document_filename, \
     k.order_id, k.reason, k.description, k.status, k.resolution, k.decision_note, \
     k.opened_by_user_id, u.name AS opened_by_name, k.created_at, k.updated_at, k.closed_at \
     FROM complaints k JOIN companies s ON s.id = k.supplier_id \
     JOIN companies c ON c.id = k.customer_id JOIN documents d ON d.id = k.document_id \
     LEFT JOIN users u ON u.id = k.opened_by_user_id \
     WHERE (k.supplier_id = ?1 OR k.customer_id = ?1)";

/// A line concerned.
#[derive(Debug, Clone, Deserialize)]
pub struct LineRow {
    pub line_no: u64,
    pub item: String,
    pub quantity: String,
    pub unit: Option<String>,
    pub note: Option<String>,
}

/// A move or a comment, with who wrote it (their name now).
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRow {
    pub id: ComplaintEntryId,
    pub company_id: CompanyId,
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    pub status: Option<ComplaintStatus>,
    pub text: Option<String>,
    pub at: Time,
}

/// A complaint with its lines, history and files (oldest first).
#[derive(Debug, Clone)]
pub struct Complaint {
    pub row: ComplaintRow,
    pub lines: Vec<LineRow>,
    pub history: Vec<HistoryRow>,
    pub files: Vec<FileRow>,
}

fn complaint_stmts(viewer: &CompanyId, id: &ComplaintId) -> [Statement; 4] {
    let own = "complaint_id IN (SELECT id FROM complaints WHERE id = ?2 \
               AND (supplier_id = ?1 OR customer_id = ?1))";
    [
        Statement::new(format!("{SELECT} AND k.id = ?2"), &[viewer, id]),
        Statement::new(
            format!(
                "SELECT line_no, item, quantity, unit, note FROM complaint_lines \
                 WHERE {own} ORDER BY line_no"
            ),
            &[viewer, id],
        ),
        Statement::new(
            format!(
                "SELECT h.id, h.company_id, h.user_id, u.name AS user_name, h.status, h.text, h.at \
                 FROM complaint_history h LEFT JOIN users u ON u.id = h.user_id \
                 WHERE h.{own} ORDER BY h.rowid"
            ),
            &[viewer, id],
        ),
        files::list_stmt(Owner::Complaint, viewer, id),
    ]
}

/// Runs `before`, then reads the complaint, in one batch: the rows each of `before` changed,
/// and the complaint (`None`: the viewer is neither side of such a complaint).
async fn with_complaint(
    db: &Db,
    viewer: &CompanyId,
    id: &ComplaintId,
    before: Vec<Statement>,
) -> Result<(Vec<u64>, Option<Complaint>)> {
    let n = before.len();
    let mut batch = before;
    batch.extend(complaint_stmts(viewer, id));
    let out = db.batch_rows(batch).await?;
    let changed = out.iter().take(n).map(|o| o.changes).collect();
    let row: Option<ComplaintRow> = first_of(out.get(n))?;
    let complaint = match row {
        Some(row) => Some(Complaint {
            row,
            lines: rows_of(out.get(n + 1), "complaint lines")?,
            history: rows_of(out.get(n + 2), "complaint history")?,
            files: rows_of(out.get(n + 3), "complaint files")?,
        }),
        None => None,
    };
    Ok((changed, complaint))
}

/// One complaint the viewer is a side of.
///
/// # Errors
/// A database error.
pub async fn complaint(db: &Db, viewer: &CompanyId, id: &ComplaintId) -> Result<Option<Complaint>> {
    Ok(with_complaint(db, viewer, id, Vec::new()).await?.1)
}

/// What a list shows.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only those the viewer received as supplier (`Some(true)`) or filed as customer
    /// (`Some(false)`).
    pub as_supplier: Option<bool>,
    pub status: Option<ComplaintStatus>,
    /// Only those about the documents of this order.
    pub order_id: Option<String>,
    pub partner: Option<CompanyId>,
}

/// A page of the viewer's complaints, newest first.
///
/// # Errors
/// A database error.
pub async fn complaints(
    db: &Db,
    viewer: &CompanyId,
    filter: &Filter,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<ComplaintRow>> {
    let mut q = Query::new(SELECT, &[viewer]);
    match filter.as_supplier {
        Some(true) => q.push(" AND k.supplier_id = ?1"),
        Some(false) => q.push(" AND k.customer_id = ?1"),
        None => {}
    }
    if let Some(status) = filter.status {
        q.filter(" AND k.status = ?n", &status);
    }
    if let Some(order) = &filter.order_id {
        q.filter(" AND k.order_id = ?n", order);
    }
    if let Some(partner) = &filter.partner {
        q.filter(" AND (k.supplier_id = ?n OR k.customer_id = ?n)", partner);
    }
    if let Some(before) = before {
        q.filter(" AND k.id < ?n", &before);
    }
    q.filter(" ORDER BY k.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// A new complaint's line.
pub struct NewLine<'a> {
    pub item: &'a str,
    pub quantity: &'a str,
    pub unit: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// A new complaint, filed by the customer about one of the relationship's documents.
pub struct NewComplaint<'a> {
    pub id: &'a ComplaintId,
    pub relationship_id: &'a RelationshipId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub document_id: &'a DocumentId,
    pub order_id: &'a str,
    pub reason: Reason,
    pub description: &'a str,
    pub lines: &'a [NewLine<'a>],
    pub by_user: Option<&'a UserId>,
    pub by_api_key: Option<&'a ApiKeyId>,
    /// The supplier's running number for it, and the year its number carries.
    pub seq: u64,
    pub year: i32,
    pub now: Time,
}

/// Files a complaint with its lines and first history entry, then `then` (its events), in one
/// batch; the complaint as written. `seq` is the supplier's next number ([`Before::next_seq`]):
/// a complaint filed meanwhile took it when this fails with [`SEQ_TAKEN`] (read and try again).
///
/// # Errors
/// A database error, or the unique violation.
pub async fn insert(db: &Db, c: &NewComplaint<'_>, then: Vec<Statement>) -> Result<Complaint> {
    let number = crate::complaint::number(c.year, c.seq);
    let mut batch = vec![Statement::new(
        "INSERT INTO complaints (id, relationship_id, supplier_id, customer_id, seq, number, \
         document_id, order_id, reason, description, status, opened_by_user_id, \
         opened_by_api_key_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'received', ?11, ?12, ?13, ?13)",
        &[
            c.id,
            c.relationship_id,
            c.supplier_id,
            c.customer_id,
            &c.seq,
            &number,
            c.document_id,
            &c.order_id,
            &c.reason,
            &c.description,
            &c.by_user,
            &c.by_api_key,
            &c.now,
        ],
    )];
    for (i, line) in c.lines.iter().enumerate() {
        batch.push(Statement::new(
            "INSERT INTO complaint_lines (complaint_id, line_no, item, quantity, unit, note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                c.id,
                &u64::try_from(i + 1).unwrap_or(u64::MAX),
                &line.item,
                &line.quantity,
                &line.unit,
                &line.note,
            ],
        ));
    }
    batch.push(history_stmt(
        c.id,
        c.customer_id,
        c.by_user,
        Some(ComplaintStatus::Received),
        None,
        false,
        c.now,
    )?);
    batch.extend(then);
    with_complaint(db, c.customer_id, c.id, batch)
        .await?
        .1
        .ok_or_else(|| Error::internal("a complaint just filed could not be read"))
}

/// What a change of a complaint needs to know first ([`super::notices::Before`]): the other
/// side's people who hold `complaints`, the names of the viewer and its actor, and the
/// supplier's next number.
///
/// # Errors
/// A database error.
pub async fn before(
    db: &Db,
    viewer: &CompanyId,
    actor: Option<&UserId>,
    other: &CompanyId,
    supplier: &CompanyId,
) -> Result<super::notices::Before> {
    let seq = Statement::new(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM complaints WHERE supplier_id = ?1",
        &[supplier],
    );
    super::notices::before(
        db,
        viewer,
        actor,
        other,
        crate::permissions::Permission::Complaints,
        Some(seq),
    )
    .await
}

/// A history entry: a move (with `status`) or a comment (`text` only); with `if_changed`, only
/// when the statement before it in the batch changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness (for the id).
pub fn history_stmt(
    complaint: &ComplaintId,
    company: &CompanyId,
    user: Option<&UserId>,
    status: Option<ComplaintStatus>,
    text: Option<&str>,
    if_changed: bool,
    now: Time,
) -> Result<Statement> {
    let guard = if if_changed {
        " WHERE changes() > 0"
    } else {
        ""
    };
    Ok(Statement::new(
        format!(
            "INSERT INTO complaint_history (id, complaint_id, company_id, user_id, status, text, \
             at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7{guard}"
        ),
        &[
            &ComplaintEntryId::new(now.0)?,
            complaint,
            company,
            &user,
            &status,
            &text,
            &now,
        ],
    ))
}

/// A move of a complaint: from the status it was seen in to the next, with what the move says.
#[derive(Debug, Clone, Copy)]
pub struct MoveTo<'a> {
    pub from: ComplaintStatus,
    pub to: ComplaintStatus,
    /// An acceptance's resolution.
    pub resolution: Option<Resolution>,
    /// A decision's note, a rejection's reason, a withdrawal's words.
    pub note: Option<&'a str>,
    /// The person who moved it (`None`: an API key).
    pub user: Option<&'a UserId>,
}

/// Moves a complaint the viewer is a side of (guarded on `m.from`: nothing happens when another
/// move came first), with its history entry and `then` (its events), each written only when the
/// move changed the row; whether it did, and the complaint after it.
///
/// # Errors
/// A database error.
pub async fn move_to(
    db: &Db,
    viewer: &CompanyId,
    id: &ComplaintId,
    m: &MoveTo<'_>,
    then: Vec<Statement>,
    now: Time,
) -> Result<(bool, Option<Complaint>)> {
    let closed = (m.to == ComplaintStatus::Closed).then_some(now);
    let mut batch = vec![Statement::new(
        "UPDATE complaints SET status = ?4, resolution = COALESCE(?5, resolution), \
         decision_note = COALESCE(?6, decision_note), closed_at = ?7, updated_at = ?8 \
         WHERE id = ?1 AND (supplier_id = ?2 OR customer_id = ?2) AND status = ?3",
        &[
            id,
            viewer,
            &m.from,
            &m.to,
            &m.resolution,
            &m.note,
            &closed,
            &now,
        ],
    )];
    batch.push(history_stmt(
        id,
        viewer,
        m.user,
        Some(m.to),
        m.note,
        true,
        now,
    )?);
    batch.extend(then);
    let (changed, complaint) = with_complaint(db, viewer, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), complaint))
}

/// A document a customer may complain about, as the viewer sees it: sent or received by the
/// viewer (a received one only once it is in the mailbox).
#[derive(Debug, Clone, Deserialize)]
pub struct Subject {
    pub id: DocumentId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    pub order_id: String,
    pub filename: String,
}

impl Subject {
    /// The other company than `me`.
    #[must_use]
    pub fn partner_of(&self, me: &CompanyId) -> &CompanyId {
        if &self.sender_id == me {
            &self.recipient_id
        } else {
            &self.sender_id
        }
    }
}

/// The document `id`, if the viewer may complain about it.
///
/// # Errors
/// A database error.
pub async fn subject(db: &Db, viewer: &CompanyId, id: &DocumentId) -> Result<Option<Subject>> {
    db.first(
        "SELECT id, sender_id, recipient_id, order_id, filename FROM documents WHERE id = ?1 \
         AND (sender_id = ?2 OR (recipient_id = ?2 AND status NOT IN ('held', 'discarded')))",
        &[id, viewer],
    )
    .await
}

/// Adds a file to a complaint the viewer (`f.company`) is a side of and settles its object,
/// then `then` (each only when the file was added), in one batch; whether the complaint took it
/// (`false`: no such complaint for the viewer, nothing written, the object left to the sweep),
/// and the complaint after it.
///
/// # Errors
/// A database error.
pub async fn add_file(
    db: &Db,
    id: &ComplaintId,
    f: &NewFile<'_>,
    then: Vec<Statement>,
) -> Result<(bool, Option<Complaint>)> {
    let mut batch = files::add_stmts(Owner::Complaint, id, f).to_vec();
    batch.extend(then);
    let (changed, complaint) = with_complaint(db, f.company, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), complaint))
}

/// Records a comment of the viewer's side on a complaint it is a side of, then `then`, in one
/// batch; whether it was written, and the complaint after it.
///
/// # Errors
/// A database error.
pub async fn comment(
    db: &Db,
    viewer: &CompanyId,
    id: &ComplaintId,
    user: Option<&UserId>,
    text: &str,
    then: Vec<Statement>,
    now: Time,
) -> Result<(bool, Option<Complaint>)> {
    let mut batch = vec![Statement::new(
        "UPDATE complaints SET updated_at = ?3 WHERE id = ?1 \
         AND (supplier_id = ?2 OR customer_id = ?2)",
        &[id, viewer, &now],
    )];
    batch.push(history_stmt(id, viewer, user, None, Some(text), true, now)?);
    batch.extend(then);
    let (changed, complaint) = with_complaint(db, viewer, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), complaint))
}

/// How many complaints wait on the viewer: received as supplier and not decided yet
/// (`to_handle`), filed as customer and not closed (`open_filed`).
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct ComplaintCounts {
    pub to_handle: u64,
    pub open_filed: u64,
}

/// The viewer's [`ComplaintCounts`].
///
/// # Errors
/// A database error.
pub async fn counts(db: &Db, viewer: &CompanyId) -> Result<ComplaintCounts> {
    Ok(db
        .first(
            "SELECT \
             (SELECT COUNT(*) FROM complaints WHERE supplier_id = ?1 \
              AND status IN ('received', 'under_review')) AS to_handle, \
             (SELECT COUNT(*) FROM complaints WHERE customer_id = ?1 \
              AND status != 'closed') AS open_filed",
            &[viewer],
        )
        .await?
        .unwrap_or_default())
}
