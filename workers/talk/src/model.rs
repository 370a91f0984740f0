//! Rows as stored and objects as sent, the queries that load them for a caller (another company's
//! thread is a 404), and the statements every message writes: the message, its attachments, the
//! writer's read position and the `talk.message` event.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::edge::context::Ctx;
use shared::edge::db::Db;
pub use shared::edge::partners::CompanyOut;
use shared::edge::{events, store};
use shared::event::Event;
use shared::ids::{
    AttachmentId, CompanyId, DocumentId, MessageId, RelationshipId, ThreadId, UserId,
};
use shared::permissions::Permission;
use shared::time::Timestamp;
use shared::{talk, time, Error, Result};
use worker::D1PreparedStatement;

/// Who reads talk: a person holding `talk`, or a company's own system with an API key holding
/// `talk` (it picks the messages up and files them where its people work, as IPCN does). Read
/// positions, and so unread counts, are kept per reader.
pub struct Reader {
    pub company_id: CompanyId,
    /// Whose read position counts: the person's user id, or the API key's id.
    pub id: String,
    /// The person, when a person reads.
    pub user_id: Option<UserId>,
}

impl Reader {
    pub fn company(&self) -> &CompanyId {
        &self.company_id
    }
}

/// Who writes in talk: a person (never an API key: every message names the person who wrote
/// it) holding `talk`.
pub struct Caller {
    pub reader: Reader,
    pub user_id: UserId,
}

impl Caller {
    pub fn company(&self) -> &CompanyId {
        &self.reader.company_id
    }
}

/// Authenticates a reader: a person or an API key, holding `talk`.
///
/// # Errors
/// 401 without valid credentials; 403 `permission_missing` without `talk`.
pub async fn reader(cx: &Ctx) -> Result<Reader> {
    let principal = cx.principal().await?;
    principal.require(Permission::Talk)?;
    let id = match (&principal.user_id, &principal.api_key_id) {
        (Some(user), _) => user.to_string(),
        (None, Some(key)) => key.to_string(),
        (None, None) => return Err(Error::internal("a principal without user or API key")),
    };
    Ok(Reader {
        id,
        user_id: principal.user_id.clone(),
        company_id: principal.company_id,
    })
}

/// Authenticates a writer: a person holding `talk`.
///
/// # Errors
/// 401 without valid credentials; 403 `user_required` for an API key, `permission_missing`
/// without `talk`.
pub async fn caller(cx: &Ctx) -> Result<Caller> {
    let principal = cx.principal().await?;
    let user_id = principal.require_user()?.clone();
    principal.require(Permission::Talk)?;
    Ok(Caller {
        reader: Reader {
            id: user_id.to_string(),
            user_id: Some(user_id.clone()),
            company_id: principal.company_id,
        },
        user_id,
    })
}

/// A thread's columns as the caller (`?1` company, `?2` [`Reader::id`]) sees them: the partner is
/// the other company, `unread_count` counts the other company's messages after the caller's read
/// position.
pub const THREAD_COLUMNS: &str = "t.id, t.relationship_id, t.company_id, \
     t.subject, t.document_id, t.to_user_id, tu.name AS to_user_name, t.created_by, t.created_at, \
     t.last_message_at, t.message_count, \
     (SELECT f.user_name FROM messages f WHERE f.thread_id = t.id ORDER BY f.id LIMIT 1) \
     AS started_by_name, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at, \
     (SELECT COUNT(*) FROM messages u WHERE u.thread_id = t.id AND u.company_id != ?1 \
     AND u.id > COALESCE((SELECT r.last_read_message_id FROM thread_reads r \
     WHERE r.thread_id = t.id AND r.user_id = ?2), '')) AS unread_count";

/// `FROM` clause for [`THREAD_COLUMNS`].
pub const THREAD_FROM: &str = "FROM threads t JOIN companies p \
     ON p.id = CASE WHEN t.company_id = ?1 THEN t.partner_id ELSE t.company_id END \
     LEFT JOIN users tu ON tu.id = t.to_user_id";

/// The threads the caller's company (`?1`) takes part in.
pub const THREAD_SCOPE: &str = "(t.company_id = ?1 OR t.partner_id = ?1)";

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
    pub created_at: String,
    pub last_message_at: String,
    pub message_count: f64,
    pub started_by_name: Option<String>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: String,
    pub unread_count: f64,
}

impl ThreadRow {
    pub fn partner(&self) -> CompanyOut {
        CompanyOut {
            id: self.partner_id.clone(),
            name: self.partner_name.clone(),
            handle: self.partner_handle.clone(),
            created_at: self.partner_created_at.clone(),
        }
    }
}

/// A message's columns with its company (`m`, `c`).
pub const MESSAGE_COLUMNS: &str = "m.id, m.thread_id, m.company_id, m.user_id, m.user_name, \
     m.text, m.created_at, c.name AS company_name, c.handle AS company_handle, \
     c.created_at AS company_created_at";

/// `FROM` clause for [`MESSAGE_COLUMNS`].
pub const MESSAGE_FROM: &str = "FROM messages m JOIN companies c ON c.id = m.company_id";

#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub user_name: String,
    pub text: String,
    pub created_at: String,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: String,
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
    pub size: f64,
    pub sha256: String,
    pub object_key: String,
    pub created_at: String,
}

impl AttachmentRow {
    /// The attachment as a message lists it.
    #[must_use]
    pub fn reference(&self) -> AttachmentRef {
        AttachmentRef {
            id: self.id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size as u64,
            sha256: self.sha256.clone(),
        }
    }
}

pub const ATTACHMENT_COLUMNS: &str = "id, company_id, user_id, message_id, filename, \
     content_type, size, sha256, object_key, created_at";

#[derive(Debug, Clone, Serialize)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Sender {
    pub company: CompanyOut,
    pub user: UserRef,
}

#[derive(Debug, Serialize)]
pub struct AttachmentRef {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct MessageOut {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub from: Sender,
    /// Sent by the caller's company.
    pub mine: bool,
    pub text: String,
    pub attachments: Vec<AttachmentRef>,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct StartedBy {
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ThreadOut {
    pub id: ThreadId,
    pub subject: String,
    pub partner: CompanyOut,
    pub relationship_id: RelationshipId,
    pub document_id: Option<DocumentId>,
    pub to_user: Option<UserRef>,
    pub started_by: StartedBy,
    pub created_at: String,
    pub last_message_at: String,
    pub message_count: u64,
    pub unread_count: u64,
    pub last_message: Option<MessageOut>,
}

/// A thread as the caller sees it. Another company's thread, or no such thread: 404.
///
/// # Errors
/// 404 `thread`; internal error when D1 fails.
pub async fn load_thread(db: &Db, me: &Reader, id: &str) -> Result<ThreadRow> {
    let id = ThreadId::parse(id)?;
    let row: Option<ThreadRow> = db
        .first(
            &format!("SELECT {THREAD_COLUMNS} {THREAD_FROM} WHERE t.id = ?3 AND {THREAD_SCOPE}"),
            &[me.company(), &me.id, &id],
        )
        .await?;
    row.ok_or(Error::not_found("thread"))
}

/// The attachments of these messages, oldest first.
async fn attachments_of(db: &Db, messages: &[&MessageId]) -> Result<Vec<AttachmentRow>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(messages).map_err(|e| Error::internal(e.to_string()))?;
    db.all(
        &format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments \
             WHERE message_id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        ),
        &[&ids],
    )
    .await
}

/// Messages as the caller's company sees them, with their attachments.
///
/// # Errors
/// Internal error when D1 fails.
pub async fn messages_out(
    db: &Db,
    me: &CompanyId,
    rows: Vec<MessageRow>,
) -> Result<Vec<MessageOut>> {
    let ids: Vec<&MessageId> = rows.iter().map(|r| &r.id).collect();
    let attachments = attachments_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageOut {
            attachments: attachments
                .iter()
                .filter(|a| a.message_id.as_ref() == Some(&r.id))
                .map(AttachmentRow::reference)
                .collect(),
            mine: &r.company_id == me,
            from: Sender {
                company: CompanyOut {
                    id: r.company_id,
                    name: r.company_name,
                    handle: r.company_handle,
                    created_at: r.company_created_at,
                },
                user: UserRef {
                    id: r.user_id,
                    name: r.user_name,
                },
            },
            id: r.id,
            thread_id: r.thread_id,
            text: r.text,
            created_at: r.created_at,
        })
        .collect())
}

/// Threads as the caller sees them, each with its latest message.
///
/// # Errors
/// Internal error when D1 fails.
pub async fn threads_out(db: &Db, me: &Reader, rows: Vec<ThreadRow>) -> Result<Vec<ThreadOut>> {
    let thread_ids: Vec<&ThreadId> = rows.iter().map(|r| &r.id).collect();
    let last_rows: Vec<MessageRow> = if thread_ids.is_empty() {
        Vec::new()
    } else {
        let ids = serde_json::to_string(&thread_ids).map_err(|e| Error::internal(e.to_string()))?;
        db.all(
            &format!(
                "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.id IN \
                 (SELECT (SELECT x.id FROM messages x WHERE x.thread_id = j.value \
                 ORDER BY x.id DESC LIMIT 1) FROM json_each(?1) j)"
            ),
            &[&ids],
        )
        .await?
    };
    let mut last = messages_out(db, me.company(), last_rows).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let last_message = last
                .iter()
                .position(|m| m.thread_id == r.id)
                .map(|i| last.swap_remove(i));
            ThreadOut {
                partner: r.partner(),
                to_user: r.to_user_id.clone().map(|id| UserRef {
                    id,
                    name: r.to_user_name.clone().unwrap_or_default(),
                }),
                started_by: StartedBy {
                    company_id: r.company_id,
                    user_id: r.created_by,
                    name: r.started_by_name.unwrap_or_default(),
                },
                id: r.id,
                subject: r.subject,
                relationship_id: r.relationship_id,
                document_id: r.document_id,
                created_at: r.created_at,
                last_message_at: r.last_message_at,
                message_count: r.message_count as u64,
                unread_count: r.unread_count as u64,
                last_message,
            }
        })
        .collect())
}

/// The name the caller writes under (kept with each message as it was).
///
/// # Errors
/// Internal error when the user is gone or D1 fails.
pub async fn user_name(db: &Db, me: &Caller) -> Result<String> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT name FROM users WHERE id = ?1 AND company_id = ?2",
            &[&me.user_id, me.company()],
        )
        .await?;
    row.map(|r| r.name)
        .ok_or_else(|| Error::internal("the caller's user row is missing"))
}

/// The attachments a message lists, in the listed order: each must be the caller's own upload,
/// not yet sent, and younger than an hour.
///
/// # Errors
/// 422 naming `attachments[i]` for the first one that is not.
pub async fn usable_attachments(
    db: &Db,
    me: &Caller,
    ids: &[AttachmentId],
    now: Timestamp,
) -> Result<Vec<AttachmentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(ids).map_err(|e| Error::internal(e.to_string()))?;
    let rows: Vec<AttachmentRow> = db
        .all(
            &format!(
                "SELECT {ATTACHMENT_COLUMNS} FROM attachments \
                 WHERE id IN (SELECT value FROM json_each(?1))"
            ),
            &[&list],
        )
        .await?;
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let field = format!("attachments[{i}]");
            let row = rows
                .iter()
                .find(|r| &r.id == id)
                .filter(|r| r.user_id == me.user_id && &r.company_id == me.company())
                .ok_or_else(|| {
                    Error::invalid(field.clone(), "no attachment you uploaded has this id")
                })?;
            if row.message_id.is_some() {
                return Err(Error::invalid(field, "was already sent with a message"));
            }
            let fresh = time::parse("created_at", &row.created_at)
                .is_ok_and(|at| talk::attachment_fresh(at, now));
            if !fresh {
                return Err(Error::invalid(
                    field,
                    "was uploaded more than an hour ago; upload it again",
                ));
            }
            Ok(row.clone())
        })
        .collect()
}

/// What one message writes.
pub struct NewMessage<'a> {
    pub id: &'a MessageId,
    pub at: Timestamp,
    pub thread: &'a ThreadId,
    pub subject: &'a str,
    pub document_id: Option<&'a DocumentId>,
    pub to_user_id: Option<&'a UserId>,
    /// The other company of the thread, told by the event.
    pub to_company: &'a CompanyId,
    pub user_name: &'a str,
    pub text: &'a str,
    pub attachments: &'a [AttachmentRow],
}

/// The statements of a message (after the thread's own insert or update), and its event.
///
/// The insert only gets a text while every listed attachment is still unsent, the writer's, and
/// its file not yet claimed by the sweep (still in `pending_objects`): otherwise the NOT NULL
/// constraint fails the whole batch, so two messages racing for one attachment cannot both take
/// it, and none takes a swept file ([`write_message`] tells that failure from others).
///
/// # Errors
/// Internal error when a statement cannot be prepared, or without randomness for the event id.
pub fn message_stmts(
    cx: &Ctx,
    me: &Caller,
    m: &NewMessage<'_>,
) -> Result<(Vec<D1PreparedStatement>, Event)> {
    let now = time::format(m.at);
    let ids: Vec<&AttachmentId> = m.attachments.iter().map(|a| &a.id).collect();
    let list = serde_json::to_string(&ids).map_err(|e| Error::internal(e.to_string()))?;
    let count = ids.len() as f64;
    let mut statements = vec![cx.db.stmt(
        "INSERT INTO messages (id, thread_id, company_id, user_id, user_name, text, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN (SELECT COUNT(*) FROM attachments \
         WHERE id IN (SELECT value FROM json_each(?8)) AND message_id IS NULL \
         AND user_id = ?4 AND object_key IN (SELECT object_key FROM pending_objects)) = ?9 \
         THEN ?6 END, ?7)",
        &[
            m.id,
            m.thread,
            me.company(),
            &me.user_id,
            &m.user_name,
            &m.text,
            &now,
            &list,
            &count,
        ],
    )?];
    for attachment in m.attachments {
        statements.push(cx.db.stmt(
            "UPDATE attachments SET message_id = ?1 \
             WHERE id = ?2 AND message_id IS NULL AND user_id = ?3",
            &[m.id, &attachment.id.as_str(), &me.user_id],
        )?);
        statements.push(store::settle_stmt(cx, &attachment.object_key)?);
    }
    statements.push(read_stmt(cx, m.thread, &me.reader.id, m.id)?);
    let event = Event::new(
        "talk.message",
        m.to_company,
        json!({
            "thread_id": m.thread,
            "message_id": m.id,
            "subject": m.subject,
            "from_company_id": me.company(),
            "from_user_id": me.user_id,
            "from_user_name": m.user_name,
            "to_user_id": m.to_user_id,
            "document_id": m.document_id,
            "attachment_count": m.attachments.len(),
            "excerpt": talk::excerpt(m.text),
        }),
        m.at,
    )?;
    statements.push(events::outbox_stmt(&cx.db, &event)?);
    Ok((statements, event))
}

/// Runs the batch of a message (a thread's insert or update, then [`message_stmts`]).
///
/// # Errors
/// 422 `attachments` when a listed attachment was taken or swept meanwhile (the guarded message
/// insert failed); internal error when D1 fails otherwise.
pub async fn write_message(db: &Db, batch: Vec<D1PreparedStatement>) -> Result<()> {
    db.batch(batch).await.map(|_| ()).map_err(|e| {
        let taken = matches!(&e, Error::Internal(detail)
            if detail.contains("NOT NULL constraint failed: messages.text"));
        if taken {
            Error::invalid(
                "attachments",
                "an attachment was sent with another message or expired meanwhile; upload it \
                 again",
            )
        } else {
            e
        }
    })
}

/// Moves a reader's read position in a thread forward to `up_to` (never back); `reader` is a
/// [`Reader::id`].
///
/// # Errors
/// Internal error when the statement cannot be prepared.
pub fn read_stmt(
    cx: &Ctx,
    thread: &ThreadId,
    reader: &str,
    up_to: &MessageId,
) -> Result<D1PreparedStatement> {
    cx.db.stmt(
        "INSERT INTO thread_reads (thread_id, user_id, last_read_message_id, read_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (thread_id, user_id) DO UPDATE SET \
         last_read_message_id = MAX(last_read_message_id, excluded.last_read_message_id), \
         read_at = excluded.read_at",
        &[thread, &reader, up_to, &time::format(cx.now)],
    )
}
