//! `documents` and `document_history`: the company mailboxes and each document's status bar.

use serde::{Deserialize, Serialize};

use super::{Db, Statement};
use crate::data::companies::CompanyOut;
use crate::data::relationships::{PartnerLinkRow, PartnerNamed};
use crate::document::{Actor, DocumentStatus, DocumentType, EventFacts};
use crate::ids::{ApiKeyId, CompanyId, DocumentId, RelationshipId, UserId};
use crate::permissions::Principal;
use crate::platform::Query;
use crate::time::Time;
use crate::Result;

/// The UNIQUE constraint that makes a sender's `Idempotency-Key` name one document.
pub const IDEMPOTENCY_KEY_TAKEN: &str = "documents.sender_id, documents.idempotency_key";

const COLUMNS: &str = "d.id, d.relationship_id, d.sender_id, d.recipient_id, d.type, \
     d.filename, d.content_type, d.size, d.sha256, d.object_key, d.reference, \
     d.recipient_reference, d.customer_number, d.in_reply_to, d.order_id, d.status, d.format, \
     d.summary, d.parse_error, d.created_at, d.updated_at, d.downloaded_at, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at";

/// `FROM` clause for [`COLUMNS`]: the partner is the other company than `?1`.
const FROM: &str = "FROM documents d JOIN companies p \
     ON p.id = CASE WHEN d.sender_id = ?1 THEN d.recipient_id ELSE d.sender_id END";

/// A document with the partner of the company that loaded it.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub relationship_id: RelationshipId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub reference: Option<String>,
    pub recipient_reference: Option<String>,
    pub customer_number: Option<String>,
    pub in_reply_to: Option<DocumentId>,
    pub order_id: DocumentId,
    pub status: DocumentStatus,
    pub format: Option<crate::formats::Format>,
    /// The order summary as JSON text, when the file was recognised.
    pub summary: Option<String>,
    pub parse_error: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub downloaded_at: Option<Time>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
}

impl DocumentRow {
    /// The other company of the document, as the viewer sees it.
    #[must_use]
    pub fn partner(&self) -> CompanyOut {
        CompanyOut {
            id: self.partner_id.clone(),
            name: self.partner_name.clone(),
            handle: self.partner_handle.clone(),
            created_at: self.partner_created_at,
        }
    }

    /// What events about this document carry, with the status it is moving to.
    #[must_use]
    pub fn facts(&self, status: DocumentStatus) -> EventFacts {
        EventFacts {
            id: self.id.clone(),
            kind: self.kind.as_str().to_owned(),
            filename: self.filename.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            sender_id: self.sender_id.clone(),
            recipient_id: self.recipient_id.clone(),
            reference: self.reference.clone(),
            customer_number: self.customer_number.clone(),
            status: status.as_str().to_owned(),
            summary: self.summary.clone(),
        }
    }
}

/// One entry of a document's status bar.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub status: DocumentStatus,
    pub at: Time,
    /// Which side moved the document.
    pub by: Actor,
    pub company_id: Option<CompanyId>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub reference: Option<String>,
}

/// A document the viewer's company sent or received, with its partner; `None` for any other.
///
/// # Errors
/// A database error.
pub async fn load(db: &Db, viewer: &CompanyId, id: &DocumentId) -> Result<Option<DocumentRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS} {FROM} WHERE d.id = ?2 AND (d.sender_id = ?1 OR d.recipient_id = ?1)"
        ),
        &[viewer, id],
    )
    .await
}

/// The document `id` as `me` may read it, and `me`'s side of it: a third company's, or one the
/// recipient may not see yet (held), is a 404; the sender needs `documents.send`, the
/// recipient `documents.receive` (a 403).
///
/// # Errors
/// 404, 403, or a database error.
pub async fn visible(
    db: &Db,
    me: &crate::permissions::Principal,
    id: &DocumentId,
) -> Result<(DocumentRow, crate::document::Actor)> {
    use crate::document::Actor;
    use crate::permissions::Permission;
    let row = load(db, &me.company_id, id)
        .await?
        .ok_or(crate::Error::not_found("document"))?;
    let side = crate::document::side(&me.company_id, &row.sender_id, &row.recipient_id)
        .ok_or(crate::Error::not_found("document"))?;
    match side {
        Actor::Recipient if !row.status.visible_to_recipient() => {
            return Err(crate::Error::not_found("document"))
        }
        Actor::Recipient => me.require(Permission::DocumentsReceive)?,
        _ => me.require(Permission::DocumentsSend)?,
    }
    Ok((row, side))
}

/// The document a sender created with this `Idempotency-Key`, if any.
///
/// # Errors
/// A database error.
pub async fn by_idempotency_key(
    db: &Db,
    sender: &CompanyId,
    key: &str,
) -> Result<Option<DocumentRow>> {
    db.first_of(by_idempotency_key_stmt(sender, key)).await
}

fn by_idempotency_key_stmt(sender: &CompanyId, key: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} {FROM} WHERE d.sender_id = ?1 AND d.idempotency_key = ?2"),
        &[sender, &key],
    )
}

/// The checks of an upload before its bytes are read, in one round trip: the partner the
/// upload names and the relationship with it ([`PartnerNamed::link_stmt`]), the sender's
/// document with this `Idempotency-Key` (when one is given), and, for the file of document
/// `file`, its announcement at the key [`crate::document::object_key`] gives for the named
/// company (none when no company has the name; the upload's write batch settles it).
///
/// # Errors
/// A database error.
pub async fn before_upload(
    db: &Db,
    sender: &CompanyId,
    partner: &PartnerNamed,
    file: Option<&DocumentId>,
    idempotency_key: Option<&str>,
    now: Time,
) -> Result<(Option<PartnerLinkRow>, Option<DocumentRow>)> {
    let mut statements = vec![partner.link_stmt(sender)];
    if let Some(id) = file {
        // The name is `?2` as in the link's query (`?1`, the sender, is bound but not used).
        statements.push(Statement::new(
            format!(
                "INSERT OR REPLACE INTO pending_objects (object_key, created_at) SELECT {}, ?4 \
                 FROM companies c WHERE {}",
                crate::document::OBJECT_KEY_SQL,
                partner.condition
            ),
            &[sender, &partner.key, id, &now],
        ));
    }
    if let Some(key) = idempotency_key {
        statements.push(by_idempotency_key_stmt(sender, key));
    }
    let outcomes = db.batch_rows(statements).await?;
    let existing = match idempotency_key {
        Some(_) => super::first_of(outcomes.last())?,
        None => None,
    };
    Ok((super::first_of(outcomes.first())?, existing))
}

/// A document's status bar, oldest first.
///
/// # Errors
/// A database error.
pub async fn history(db: &Db, id: &DocumentId) -> Result<Vec<HistoryEntry>> {
    db.all(
        "SELECT status, at, actor AS by, company_id, note, reason, carrier, tracking_number, \
         reference FROM document_history WHERE document_id = ?1 ORDER BY seq",
        &[id],
    )
    .await
}

/// The order a reply belongs to: the answered document, exchanged between `me` and `partner`
/// and visible to `me`.
///
/// # Errors
/// A database error.
pub async fn order_of(
    db: &Db,
    me: &CompanyId,
    partner: &CompanyId,
    answered: &DocumentId,
) -> Result<Option<DocumentId>> {
    #[derive(Deserialize)]
    struct Row {
        order_id: DocumentId,
        status: DocumentStatus,
        sender_id: CompanyId,
    }
    let row: Option<Row> = db
        .first(
            "SELECT order_id, status, sender_id FROM documents WHERE id = ?1 AND \
             ((sender_id = ?2 AND recipient_id = ?3) OR (sender_id = ?3 AND recipient_id = ?2))",
            &[answered, me, partner],
        )
        .await?;
    Ok(row
        .filter(|r| &r.sender_id == me || r.status.visible_to_recipient())
        .map(|r| r.order_id))
}

/// What a new document row holds.
pub struct NewDocument<'a> {
    pub id: &'a DocumentId,
    pub relationship_id: &'a RelationshipId,
    pub sender: &'a Principal,
    pub recipient_id: &'a CompanyId,
    pub kind: DocumentType,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub reference: Option<&'a str>,
    pub customer_number: Option<&'a str>,
    pub in_reply_to: Option<&'a DocumentId>,
    pub order_id: &'a DocumentId,
    pub status: DocumentStatus,
    pub format: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub parse_error: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub now: Time,
}

/// The insert of a new document.
#[must_use]
pub fn insert_stmt(d: &NewDocument<'_>) -> Statement {
    Statement::new(
        "INSERT INTO documents (id, relationship_id, sender_id, recipient_id, sender_user_id, \
         sender_api_key_id, type, filename, content_type, size, sha256, object_key, reference, \
         customer_number, in_reply_to, order_id, status, format, summary, parse_error, \
         idempotency_key, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22, ?22)",
        &[
            d.id,
            d.relationship_id,
            &d.sender.company_id,
            d.recipient_id,
            &d.sender.user_id,
            &d.sender.api_key_id,
            &d.kind.as_str(),
            &d.filename,
            &d.content_type,
            &d.size,
            &d.sha256,
            &d.object_key,
            &d.reference,
            &d.customer_number,
            &d.in_reply_to,
            d.order_id,
            &d.status.as_str(),
            &d.format,
            &d.summary,
            &d.parse_error,
            &d.idempotency_key,
            &d.now,
        ],
    )
}

/// What one entry of the status bar says.
#[derive(Default)]
pub struct Entry<'a> {
    pub note: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub carrier: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub reference: Option<&'a str>,
}

/// The insert of a status bar entry. With `guard`, it only happens when the statement before
/// it in the batch changed a row (the guarded status update).
#[must_use]
pub fn history_stmt(
    id: &DocumentId,
    status: DocumentStatus,
    actor: Actor,
    by: Option<&Principal>,
    entry: &Entry<'_>,
    guard: bool,
    now: Time,
) -> Statement {
    let sql = format!(
        "INSERT INTO document_history (document_id, status, actor, company_id, user_id, \
         api_key_id, note, reason, carrier, tracking_number, reference, at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 {}",
        if guard { "WHERE changes() > 0" } else { "" }
    );
    let user: Option<&UserId> = by.and_then(|m| m.user_id.as_ref());
    let key: Option<&ApiKeyId> = by.and_then(|m| m.api_key_id.as_ref());
    Statement::new(
        sql,
        &[
            id,
            &status.as_str(),
            &actor.as_str(),
            &by.map(|m| &m.company_id),
            &user,
            &key,
            &entry.note,
            &entry.reason,
            &entry.carrier,
            &entry.tracking_number,
            &entry.reference,
            &now,
        ],
    )
}

/// Moves a document from `from` to `to` while it still is at `from` (first in its batch: its
/// change count says whether the move happened), keeping `reference` as the recipient's.
#[must_use]
pub fn move_stmt(
    id: &DocumentId,
    from: DocumentStatus,
    to: DocumentStatus,
    recipient_reference: Option<&str>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE documents SET status = ?1, updated_at = ?2, \
         recipient_reference = COALESCE(?3, recipient_reference) WHERE id = ?4 AND status = ?5",
        &[&to.as_str(), &now, &recipient_reference, id, &from.as_str()],
    )
}

/// Marks a new document downloaded (the recipient's first download); a no-op once it is not new.
#[must_use]
pub fn downloaded_stmt(id: &DocumentId, now: Time) -> Statement {
    Statement::new(
        "UPDATE documents SET status = 'downloaded', downloaded_at = ?1, updated_at = ?1 \
         WHERE id = ?2 AND status = 'new'",
        &[&now, id],
    )
}

/// Which mailbox a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailbox {
    /// What partners sent the viewer (but held or discarded documents).
    Inbox,
    /// What the viewer sent.
    Outbox,
    Both,
}

/// The filters of a document list.
#[derive(Debug, Default)]
pub struct Filter {
    pub partner: Option<CompanyId>,
    pub kind: Option<DocumentType>,
    pub status: Option<DocumentStatus>,
    pub since: Option<Time>,
    pub until: Option<Time>,
    pub reference: Option<String>,
    /// Documents of the same order as this one.
    pub order: Option<DocumentId>,
    /// Ids strictly below this one (the cursor).
    pub before: Option<String>,
}

/// A page of the viewer's documents, newest first, at most `fetch` rows.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    mailbox: Mailbox,
    filter: &Filter,
    fetch: u32,
) -> Result<Vec<DocumentRow>> {
    let inbox = "(d.recipient_id = ?1 AND d.status NOT IN ('held', 'discarded'))";
    let outbox = "d.sender_id = ?1";
    let scope = match mailbox {
        Mailbox::Inbox => inbox.to_owned(),
        Mailbox::Outbox => outbox.to_owned(),
        Mailbox::Both => format!("({inbox} OR {outbox})"),
    };
    let mut query = Query::new(format!("SELECT {COLUMNS} {FROM} WHERE {scope}"), &[viewer]);
    if let Some(partner) = &filter.partner {
        query.filter(" AND p.id = ?n", partner);
    }
    if let Some(kind) = filter.kind {
        query.filter(" AND d.type = ?n", &kind.as_str());
    }
    if let Some(status) = filter.status {
        query.filter(" AND d.status = ?n", &status.as_str());
    }
    if let Some(since) = &filter.since {
        query.filter(" AND d.created_at >= ?n", since);
    }
    if let Some(until) = &filter.until {
        query.filter(" AND d.created_at < ?n", until);
    }
    if let Some(reference) = &filter.reference {
        query.filter(
            " AND (d.reference = ?n OR d.recipient_reference = ?n)",
            reference,
        );
    }
    if let Some(order) = &filter.order {
        query.filter(
            " AND d.order_id = (SELECT order_id FROM documents WHERE id = ?n)",
            order,
        );
    }
    if let Some(before) = &filter.before {
        query.filter(" AND d.id < ?n", before);
    }
    query.filter(" ORDER BY d.id DESC LIMIT ?n", &fetch);
    db.all_of(query.statement()).await
}

/// How many documents wait in the viewer's inbox (`new`) and how many it sent are `held`.
///
/// # Errors
/// A database error.
pub async fn counts(db: &Db, viewer: &CompanyId) -> Result<(u64, u64)> {
    #[derive(Deserialize)]
    struct Row {
        new: u64,
        held: u64,
    }
    let row: Option<Row> = db
        .first(
            "SELECT (SELECT COUNT(*) FROM documents WHERE recipient_id = ?1 AND status = 'new') \
             AS new, (SELECT COUNT(*) FROM documents WHERE sender_id = ?1 AND status = 'held') \
             AS held",
            &[viewer],
        )
        .await?;
    Ok(row.map_or((0, 0), |r| (r.new, r.held)))
}

/// A document held at first contact, with the company its event goes to and the event's data.
#[derive(Debug, Deserialize)]
pub struct Held {
    pub id: DocumentId,
    pub to: CompanyId,
    /// The event's `data` as JSON text.
    pub data: String,
}

/// The documents a relationship holds at first contact, as they will be once the decision on
/// it moves them to `to` (`new`: delivered to the recipient; `discarded`: back to the sender).
///
/// # Errors
/// A database error.
pub async fn held(db: &Db, relationship: &RelationshipId, to: DocumentStatus) -> Result<Vec<Held>> {
    db.all(
        &format!(
            "SELECT id, CASE WHEN ?2 = 'new' THEN recipient_id ELSE sender_id END AS \"to\", \
             {} AS data FROM documents WHERE relationship_id = ?1 AND status = 'held'",
            crate::document::EVENT_DATA_SQL.replace("?STATUS", "?2")
        ),
        &[relationship, &to.as_str()],
    )
    .await
}

/// Moves the held documents `ids` to `to`, with their status bar entries, but only while the
/// relationship has the status `decided` (so nothing happens when the guarded decision before
/// them in the batch found the relationship changed).
#[must_use]
pub fn release_held_stmts(
    ids: &[&DocumentId],
    relationship: &RelationshipId,
    decided: &str,
    to: DocumentStatus,
    now: Time,
) -> Vec<Statement> {
    let list: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    let ids = serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned());
    let guard = "EXISTS (SELECT 1 FROM relationships WHERE id = ?2 AND status = ?3)";
    let params: [&dyn crate::platform::Bind; 5] =
        [&ids, relationship, &decided, &to.as_str(), &now];
    vec![
        Statement::new(
            format!(
                "INSERT INTO document_history (document_id, status, actor, at) \
                 SELECT value, ?4, 'system', ?5 FROM json_each(?1) WHERE {guard}"
            ),
            &params,
        ),
        Statement::new(
            format!(
                "UPDATE documents SET status = ?4, updated_at = ?5 \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'held' AND {guard}"
            ),
            &params,
        ),
    ]
}

/// The head of a document a proof or a thread refers to: who sent it to whom, and its status.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentHead {
    pub id: DocumentId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    pub status: DocumentStatus,
}

impl DocumentHead {
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

/// A document the viewer's company may see (its own, or one sent to it that is not held or
/// discarded); `None` for any other.
///
/// # Errors
/// A database error.
pub async fn head(db: &Db, viewer: &CompanyId, id: &DocumentId) -> Result<Option<DocumentHead>> {
    let row: Option<DocumentHead> = db
        .first(
            "SELECT id, sender_id, recipient_id, status FROM documents WHERE id = ?1 \
             AND (sender_id = ?2 OR recipient_id = ?2)",
            &[id, viewer],
        )
        .await?;
    Ok(row.filter(|r| &r.sender_id == viewer || r.status.visible_to_recipient()))
}

/// Files of discarded documents the sweep has not deleted yet (the platform's own lookup).
///
/// # Errors
/// A database error.
pub async fn discarded_files(db: &Db, limit: u32) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let rows: Vec<Key> = db
        .all(
            "SELECT object_key AS key FROM documents \
             WHERE status = 'discarded' AND file_deleted = 0 LIMIT ?1",
            &[&limit],
        )
        .await?;
    Ok(rows.into_iter().map(|k| k.key).collect())
}

/// Records that a discarded document's file is gone.
#[must_use]
pub fn file_deleted_stmt(key: &str) -> Statement {
    Statement::new(
        "UPDATE documents SET file_deleted = 1 WHERE object_key = ?1",
        &[&key],
    )
}
