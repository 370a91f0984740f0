//! `threads`, `messages`, `attachments` and `thread_reads`: talk between the people of two
//! companies, the files sent with messages, and how far each reader has read.
//!
//! A reader is a person or an API key of one company; its read position is kept under its id
//! (`thread_reads.user_id` holds either).

use serde::Deserialize;

use super::{Db, Statement};
use crate::data::companies::CompanyOut;
use crate::ids::{
    AttachmentId, CompanyId, DocumentId, MessageId, RelationshipId, ThreadId, UserId,
};
use crate::platform::{Json, Query};
use crate::relationship::{RelationshipStatus, Services};
use crate::time::Time;
use crate::Result;

/// The NOT NULL column a message's guarded insert leaves empty when a listed attachment was
/// taken by another message or swept meanwhile (see [`message_stmt`]).
pub const ATTACHMENT_TAKEN: &str = "messages.text";
/// The unique constraint a message's `Idempotency-Key` used before by its company fails on.
pub const MESSAGE_KEY_TAKEN: &str = "messages.company_id, messages.idempotency_key";

/// A thread's columns as the viewer (`?1` company, `?2` reader id) sees them: the partner is
/// the other company, `unread_count` counts the other company's messages after the reader's
/// position.
const THREAD_COLUMNS: &str = "t.id, t.relationship_id, t.company_id, \
     t.subject, t.document_id, t.to_user_id, tu.name AS to_user_name, t.created_by, t.created_at, \
     t.last_message_at, t.message_count, \
     (SELECT f.user_name FROM messages f WHERE f.thread_id = t.id ORDER BY f.id LIMIT 1) \
     AS started_by_name, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at, \
     (SELECT COUNT(*) FROM messages u WHERE u.thread_id = t.id AND u.company_id != ?1 \
     AND u.id > COALESCE((SELECT r.last_read_message_id FROM thread_reads r \
     WHERE r.thread_id = t.id AND r.user_id = ?2), '')) AS unread_count";

const THREAD_FROM: &str = "FROM threads t JOIN companies p \
     ON p.id = CASE WHEN t.company_id = ?1 THEN t.partner_id ELSE t.company_id END \
     LEFT JOIN users tu ON tu.id = t.to_user_id";

/// The threads the viewer (`?1`) takes part in.
const THREAD_SCOPE: &str = "(t.company_id = ?1 OR t.partner_id = ?1)";

/// A thread as the viewer sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadRow {
    pub id: ThreadId,
    pub relationship_id: RelationshipId,
    /// The company that started the thread.
    pub company_id: CompanyId,
    pub subject: String,
    pub document_id: Option<DocumentId>,
    pub to_user_id: Option<UserId>,
    pub to_user_name: Option<String>,
    pub created_by: UserId,
    pub created_at: Time,
    pub last_message_at: Time,
    pub message_count: u64,
    pub started_by_name: Option<String>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: Time,
    pub unread_count: u64,
}

impl ThreadRow {
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
}

/// A thread the viewer takes part in, with `reader`'s unread count.
///
/// # Errors
/// A database error.
pub async fn thread(
    db: &Db,
    viewer: &CompanyId,
    reader: &str,
    id: &ThreadId,
) -> Result<Option<ThreadRow>> {
    db.first_of(thread_stmt(viewer, reader, id)).await
}

fn thread_stmt(viewer: &CompanyId, reader: &str, id: &ThreadId) -> Statement {
    Statement::new(
        format!("SELECT {THREAD_COLUMNS} {THREAD_FROM} WHERE t.id = ?3 AND {THREAD_SCOPE}"),
        &[viewer, &reader, id],
    )
}

/// The filters of the thread list.
#[derive(Debug, Default)]
pub struct Filter {
    pub partner: Option<CompanyId>,
    pub document: Option<DocumentId>,
    pub unread_only: bool,
    /// After this thread of the order `(last_message_at, id)` descending.
    pub after: Option<(Time, ThreadId)>,
}

/// A page of the viewer's threads by last activity, newest first.
///
/// # Errors
/// A database error.
pub async fn threads(
    db: &Db,
    viewer: &CompanyId,
    reader: &str,
    filter: &Filter,
    fetch: u32,
) -> Result<Vec<ThreadRow>> {
    let mut query = Query::new(
        format!("SELECT {THREAD_COLUMNS} {THREAD_FROM} WHERE {THREAD_SCOPE}"),
        &[viewer, &reader],
    );
    if let Some(partner) = &filter.partner {
        query.filter(" AND p.id = ?n", partner);
    }
    if let Some(doc) = &filter.document {
        query.filter(" AND t.document_id = ?n", doc);
    }
    // The unread count is a column of the sub-select; it is filtered outside.
    query.wrap("SELECT * FROM (", ") x WHERE 1 = 1");
    if filter.unread_only {
        query.push(" AND x.unread_count > 0");
    }
    if let Some((at, id)) = &filter.after {
        let at = query.bind(at);
        let id = query.bind(id);
        query.push(&format!(
            " AND (x.last_message_at < {at} OR (x.last_message_at = {at} AND x.id < {id}))"
        ));
    }
    query.filter(
        " ORDER BY x.last_message_at DESC, x.id DESC LIMIT ?n",
        &fetch,
    );
    db.all_of(query.statement()).await
}

/// What is unread for `reader` in all the viewer's threads.
#[derive(Debug, Default, Clone, Copy, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Unread {
    pub unread_messages: u64,
    pub unread_threads: u64,
}

/// The viewer's [`Unread`] for `reader`.
///
/// # Errors
/// A database error.
pub async fn unread(db: &Db, viewer: &CompanyId, reader: &str) -> Result<Unread> {
    let row: Option<Unread> = db
        .first(
            "SELECT COUNT(*) AS unread_messages, COUNT(DISTINCT m.thread_id) AS unread_threads \
             FROM threads t JOIN messages m ON m.thread_id = t.id \
             LEFT JOIN thread_reads r ON r.thread_id = t.id AND r.user_id = ?2 \
             WHERE (t.company_id = ?1 OR t.partner_id = ?1) AND m.company_id != ?1 \
             AND m.id > COALESCE(r.last_read_message_id, '')",
            &[viewer, &reader],
        )
        .await?;
    Ok(row.unwrap_or_default())
}

/// Everything a reply needs, read in one round trip: the thread as the viewer sees it, its
/// relationship, its latest message, and the writer's name and company.
#[derive(Debug, Deserialize)]
pub struct ReplyContext {
    pub id: ThreadId,
    pub subject: String,
    pub document_id: Option<DocumentId>,
    pub to_user_id: Option<UserId>,
    pub partner_id: CompanyId,
    pub relationship_status: RelationshipStatus,
    pub relationship_services: Json<Services>,
    pub last_id: Option<MessageId>,
    pub last_at: Option<Time>,
    pub user_name: Option<String>,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: Time,
}

/// The [`ReplyContext`] of a thread the viewer takes part in, for its person `writer`.
///
/// # Errors
/// A database error.
pub async fn reply_context(
    db: &Db,
    viewer: &CompanyId,
    writer: &UserId,
    id: &ThreadId,
) -> Result<Option<ReplyContext>> {
    db.first(
        "SELECT t.id, t.subject, t.document_id, t.to_user_id, \
         CASE WHEN t.company_id = ?1 THEN t.partner_id ELSE t.company_id END AS partner_id, \
         r.status AS relationship_status, r.services AS relationship_services, \
         l.id AS last_id, l.created_at AS last_at, \
         (SELECT u.name FROM users u WHERE u.id = ?2 AND u.company_id = ?1) AS user_name, \
         c.name AS company_name, c.handle AS company_handle, \
         c.created_at AS company_created_at \
         FROM threads t JOIN relationships r ON r.id = t.relationship_id \
         JOIN companies c ON c.id = ?1 \
         LEFT JOIN messages l ON l.id = (SELECT MAX(m.id) FROM messages m \
         WHERE m.thread_id = t.id) \
         WHERE t.id = ?3 AND (t.company_id = ?1 OR t.partner_id = ?1)",
        &[viewer, writer, id],
    )
    .await
}

/// What a new thread holds (its first message is written with it).
pub struct NewThread<'a> {
    pub id: &'a ThreadId,
    pub relationship_id: &'a RelationshipId,
    pub company_id: &'a CompanyId,
    pub partner_id: &'a CompanyId,
    pub subject: &'a str,
    pub document_id: Option<&'a DocumentId>,
    pub to_user_id: Option<&'a UserId>,
    pub created_by: &'a UserId,
    pub at: Time,
}

/// The insert of a new thread with one message.
#[must_use]
pub fn insert_thread_stmt(t: &NewThread<'_>) -> Statement {
    Statement::new(
        "INSERT INTO threads (id, relationship_id, company_id, partner_id, subject, document_id, \
         to_user_id, created_by, created_at, last_message_at, message_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1)",
        &[
            t.id,
            t.relationship_id,
            t.company_id,
            t.partner_id,
            &t.subject,
            &t.document_id,
            &t.to_user_id,
            t.created_by,
            &t.at,
        ],
    )
}

/// Counts one more message in a thread and moves its activity forward.
#[must_use]
pub fn bump_thread_stmt(id: &ThreadId, at: Time) -> Statement {
    Statement::new(
        "UPDATE threads SET message_count = message_count + 1, \
         last_message_at = MAX(last_message_at, ?2) WHERE id = ?1",
        &[id, &at],
    )
}

/// A message with its company.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub user_name: String,
    pub text: String,
    pub created_at: Time,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: Time,
    /// Its attachments, read in the same query (one round trip less per list).
    pub attachments: Json<Vec<AttachmentRow>>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.thread_id, m.company_id, m.user_id, m.user_name, \
     m.text, m.created_at, c.name AS company_name, c.handle AS company_handle, \
     c.created_at AS company_created_at, \
     (SELECT json_group_array(json_object('id', a.id, 'company_id', a.company_id, \
     'user_id', a.user_id, 'message_id', a.message_id, 'filename', a.filename, \
     'content_type', a.content_type, 'size', a.size, 'sha256', a.sha256, \
     'object_key', a.object_key, 'created_at', a.created_at)) \
     FROM attachments a WHERE a.message_id = m.id) AS attachments";
const MESSAGE_FROM: &str = "FROM messages m JOIN companies c ON c.id = m.company_id";

/// A thread the viewer takes part in (as [`thread`]) and a page of its messages (newest
/// first), in one round trip; `None` when the viewer does not see the thread (its
/// messages are then not read: the query is confined to the same scope).
///
/// # Errors
/// A database error.
pub async fn thread_with_messages(
    db: &Db,
    viewer: &CompanyId,
    reader: &str,
    id: &ThreadId,
    before: Option<&str>,
    fetch: u32,
) -> Result<Option<(ThreadRow, Vec<MessageRow>)>> {
    let outcomes = db
        .batch_rows(vec![
            thread_stmt(viewer, reader, id),
            Statement::new(
                format!(
                    "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.thread_id = ?3 \
                     AND (?4 IS NULL OR m.id < ?4) AND EXISTS (SELECT 1 FROM threads t \
                     WHERE t.id = ?3 AND {THREAD_SCOPE}) ORDER BY m.id DESC LIMIT ?5"
                ),
                &[viewer, &reader, id, &before, &fetch],
            ),
        ])
        .await?;
    let Some(thread) = super::first_of(outcomes.first())? else {
        return Ok(None);
    };
    Ok(Some((thread, super::rows_of(outcomes.get(1), "messages")?)))
}

/// The message the viewer's company wrote with this `Idempotency-Key`, if any.
///
/// # Errors
/// A database error.
pub async fn message_by_idempotency_key(
    db: &Db,
    viewer: &CompanyId,
    key: &str,
) -> Result<Option<MessageRow>> {
    db.first(
        &format!(
            "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} \
             WHERE m.company_id = ?1 AND m.idempotency_key = ?2"
        ),
        &[viewer, &key],
    )
    .await
}

/// The latest message of each of these threads (the viewer's).
///
/// # Errors
/// A database error.
pub async fn last_messages(db: &Db, threads: &[&ThreadId]) -> Result<Vec<MessageRow>> {
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = threads.iter().map(|t| t.as_str()).collect();
    db.all(
        &format!(
            "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id IN \
             (SELECT (SELECT x.id FROM messages x WHERE x.thread_id = j.value \
             ORDER BY x.id DESC LIMIT 1) FROM json_each(?1) j)"
        ),
        &[&serde_json::to_string(&ids).unwrap_or_default()],
    )
    .await
}

/// The id of a message of a thread: `up_to` when it is one, else the latest.
///
/// # Errors
/// A database error.
pub async fn message_in(
    db: &Db,
    thread: &ThreadId,
    up_to: Option<&MessageId>,
) -> Result<Option<MessageId>> {
    #[derive(Deserialize)]
    struct Row {
        id: MessageId,
    }
    let row: Option<Row> = match up_to {
        Some(id) => {
            db.first(
                "SELECT id FROM messages WHERE id = ?1 AND thread_id = ?2",
                &[id, thread],
            )
            .await?
        }
        None => {
            db.first(
                "SELECT id FROM messages WHERE thread_id = ?1 ORDER BY id DESC LIMIT 1",
                &[thread],
            )
            .await?
        }
    };
    Ok(row.map(|r| r.id))
}

/// What a new message holds.
pub struct NewMessage<'a> {
    pub id: &'a MessageId,
    pub thread: &'a ThreadId,
    pub company_id: &'a CompanyId,
    pub user_id: &'a UserId,
    pub user_name: &'a str,
    pub text: &'a str,
    pub at: Time,
    pub attachments: &'a [AttachmentRow],
    pub idempotency_key: Option<&'a str>,
}

/// The insert of a message and the statements that give it its attachments. The insert only
/// gets a text while every listed attachment is still unsent, the writer's, and its file not
/// yet claimed by the sweep (still in `pending_objects`): otherwise the NOT NULL constraint on
/// [`ATTACHMENT_TAKEN`] fails the whole batch, so two messages racing for one attachment cannot
/// both take it, and none takes a swept file.
#[must_use]
pub fn message_stmts(m: &NewMessage<'_>) -> Vec<Statement> {
    let ids: Vec<&str> = m.attachments.iter().map(|a| a.id.as_str()).collect();
    let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    let count = ids.len() as u64;
    let mut statements = vec![Statement::new(
        "INSERT INTO messages (id, thread_id, company_id, user_id, user_name, text, created_at, \
         idempotency_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN (SELECT COUNT(*) FROM attachments \
         WHERE id IN (SELECT value FROM json_each(?8)) AND message_id IS NULL \
         AND user_id = ?4 AND object_key IN (SELECT object_key FROM pending_objects)) = ?9 \
         THEN ?6 END, ?7, ?10)",
        &[
            m.id,
            m.thread,
            m.company_id,
            m.user_id,
            &m.user_name,
            &m.text,
            &m.at,
            &list,
            &count,
            &m.idempotency_key,
        ],
    )];
    for attachment in m.attachments {
        statements.push(Statement::new(
            "UPDATE attachments SET message_id = ?1 \
             WHERE id = ?2 AND message_id IS NULL AND user_id = ?3",
            &[m.id, &attachment.id, m.user_id],
        ));
        statements.push(super::pending::settle_stmt(&attachment.object_key));
    }
    statements
}

/// Moves a reader's read position in a thread forward to `up_to` (never back).
#[must_use]
pub fn read_stmt(thread: &ThreadId, reader: &str, up_to: &MessageId, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO thread_reads (thread_id, user_id, last_read_message_id, read_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (thread_id, user_id) DO UPDATE SET \
         last_read_message_id = MAX(last_read_message_id, excluded.last_read_message_id), \
         read_at = excluded.read_at",
        &[thread, &reader, up_to, &now],
    )
}

/// An attachment as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub message_id: Option<MessageId>,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub object_key: String,
    pub created_at: Time,
}

const ATTACHMENT_COLUMNS: &str = "id, company_id, user_id, message_id, filename, \
     content_type, size, sha256, object_key, created_at";

/// The viewer's own talk uploads among `ids` (whether sent or not; the caller checks). The files
/// of a complaint or a request for a quote are not among them (`shared::data::files`).
///
/// # Errors
/// A database error.
pub async fn own_attachments(
    db: &Db,
    viewer: &CompanyId,
    ids: &[AttachmentId],
) -> Result<Vec<AttachmentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<&str> = ids.iter().map(AttachmentId::as_str).collect();
    db.all(
        &format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments \
             WHERE id IN (SELECT value FROM json_each(?1)) AND company_id = ?2 \
             AND complaint_id IS NULL AND quote_request_id IS NULL"
        ),
        &[&serde_json::to_string(&list).unwrap_or_default(), viewer],
    )
    .await
}

/// An attachment the viewer may see: its own upload not sent yet, or one sent in a thread the
/// viewer takes part in; with whether its file is still announced (not taken by the sweep).
///
/// # Errors
/// A database error.
pub async fn visible_attachment(
    db: &Db,
    viewer: &CompanyId,
    id: &AttachmentId,
) -> Result<Option<(AttachmentRow, bool)>> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(flatten)]
        attachment: AttachmentRow,
        pending: bool,
        visible: bool,
    }
    let row: Option<Row> = db
        .first(
            "SELECT a.id, a.company_id, a.user_id, a.message_id, a.filename, a.content_type, \
             a.size, a.sha256, a.object_key, a.created_at, \
             EXISTS (SELECT 1 FROM pending_objects o WHERE o.object_key = a.object_key) AS pending, \
             CASE WHEN a.message_id IS NULL THEN a.company_id = ?2 ELSE EXISTS \
             (SELECT 1 FROM messages m JOIN threads t ON t.id = m.thread_id \
             WHERE m.id = a.message_id AND (t.company_id = ?2 OR t.partner_id = ?2)) END AS visible \
             FROM attachments a WHERE a.id = ?1 AND a.complaint_id IS NULL \
             AND a.quote_request_id IS NULL",
            &[id, viewer],
        )
        .await?;
    Ok(row.filter(|r| r.visible).map(|r| (r.attachment, r.pending)))
}

/// What a new attachment holds.
pub struct NewAttachment<'a> {
    pub id: &'a AttachmentId,
    pub company_id: &'a CompanyId,
    pub user_id: &'a UserId,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub now: Time,
}

/// Stores an uploaded attachment (not sent yet).
///
/// # Errors
/// A database error.
pub async fn insert_attachment(db: &Db, a: &NewAttachment<'_>) -> Result<()> {
    db.run(
        "INSERT INTO attachments (id, company_id, user_id, message_id, filename, \
         content_type, size, sha256, object_key, created_at) \
         VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            a.id,
            a.company_id,
            a.user_id,
            &a.filename,
            &a.content_type,
            &a.size,
            &a.sha256,
            &a.object_key,
            &a.now,
        ],
    )
    .await
    .map(|_| ())
}

/// Forgets a talk attachment whose file the sweep deletes because no message took it.
#[must_use]
pub fn drop_unsent_attachment_stmt(key: &str) -> Statement {
    Statement::new(
        "DELETE FROM attachments WHERE object_key = ?1 AND message_id IS NULL",
        &[&key],
    )
}

/// Whether the viewer's company received the business card of `person` of `partner` (a
/// thread may be addressed to them).
///
/// # Errors
/// A database error.
pub async fn card_received(
    db: &Db,
    viewer: &CompanyId,
    partner: &CompanyId,
    person: &UserId,
) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        user_id: UserId,
    }
    let row: Option<Row> = db
        .first(
            "SELECT c.user_id FROM contacts c JOIN users u ON u.id = c.user_id \
             WHERE c.owner_company_id = ?1 AND c.user_id = ?2 AND u.company_id = ?3",
            &[viewer, person, partner],
        )
        .await?;
    Ok(row.is_some())
}
