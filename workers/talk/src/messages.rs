//! `/v1/threads/{id}/messages`: replies in a thread and the thread's messages newest first; and
//! what every message writes (the message, its attachments, the writer's read position and the
//! `talk.message` event).

use serde_json::json;
use shared::data::companies::CompanyOut;
use shared::data::events;
use shared::data::relationships;
use shared::data::talk::{self as data, AttachmentRow, MessageRow, NewMessage, ThreadRow};
use shared::event::Event;
use shared::ids::{AttachmentId, CompanyId, DocumentId, MessageId, ThreadId, UserId};
use shared::platform::Statement;
use shared::relationship::Service;
use shared::service::{Cx, Page, Reply};
use shared::talk;
use shared::time::{Time, Timestamp};
use shared::{Error, Result};

use crate::api::{
    AttachmentRef, MessageIn, MessageList, MessageOut, Reader, Sender, StartedBy, ThreadOut,
    UserRef,
};

/// Who writes in talk: a person (never an API key: every message names the person who wrote
/// it) holding `talk` (the route table checked both).
pub struct Writer {
    pub company_id: CompanyId,
    pub user_id: UserId,
}

impl Writer {
    /// The writer the caller is.
    ///
    /// # Errors
    /// 403 `user_required` for an API key.
    pub fn of(cx: &Cx) -> Result<Writer> {
        let me = cx.me()?;
        Ok(Writer {
            user_id: me.require_user()?.clone(),
            company_id: me.company_id,
        })
    }

    /// The writer as a reader (its read position moves with what it writes).
    #[must_use]
    pub fn reader(&self) -> Reader {
        Reader {
            company_id: self.company_id.clone(),
            id: self.user_id.to_string(),
        }
    }
}

/// The attachments a message lists, in the listed order: each must be the caller's own upload,
/// not yet sent, and younger than an hour.
///
/// # Errors
/// 422 naming `attachments[i]` for the first one that is not.
pub async fn usable_attachments(
    cx: &Cx,
    me: &Writer,
    ids: &[AttachmentId],
) -> Result<Vec<AttachmentRow>> {
    let rows = data::own_attachments(&cx.db, &me.company_id, ids).await?;
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let field = format!("attachments[{i}]");
            let row = rows
                .iter()
                .find(|r| &r.id == id && r.user_id == me.user_id)
                .ok_or_else(|| {
                    Error::invalid(field.clone(), "no attachment you uploaded has this id")
                })?;
            if row.message_id.is_some() {
                return Err(Error::invalid(field, "was already sent with a message"));
            }
            if !talk::attachment_fresh(row.created_at.0, cx.now) {
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
pub struct Posted<'a> {
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
    pub idempotency_key: Option<&'a str>,
}

/// What a message does to its thread.
pub enum ThreadWrite {
    /// The thread's insert: the message opens it.
    Open(Statement),
    /// The thread's update (count, activity): the message is a reply.
    Bump(Statement),
}

/// Writes a message in one batch: the thread's insert, the message, the thread's update (after
/// the insert whose constraint guards the attachments), the attachments, the writer's read
/// position and the event; then publishes the event.
///
/// # Errors
/// 422 `attachments` when a listed attachment was taken or swept meanwhile; a database error.
pub async fn write(cx: &Cx, me: &Writer, thread: ThreadWrite, m: &Posted<'_>) -> Result<()> {
    let event = Event::new(
        "talk.message",
        m.to_company,
        json!({
            "thread_id": m.thread,
            "message_id": m.id,
            "subject": m.subject,
            "from_company_id": me.company_id,
            "from_user_id": me.user_id,
            "from_user_name": m.user_name,
            "to_user_id": m.to_user_id,
            "document_id": m.document_id,
            "attachment_count": m.attachments.len(),
            "excerpt": talk::excerpt(m.text),
        }),
        m.at,
    )?;
    let mut message = data::message_stmts(&NewMessage {
        id: m.id,
        thread: m.thread,
        company_id: &me.company_id,
        user_id: &me.user_id,
        user_name: m.user_name,
        text: m.text,
        at: Time(m.at),
        attachments: m.attachments,
        idempotency_key: m.idempotency_key,
    })
    .into_iter();
    let mut batch: Vec<Statement> = Vec::new();
    match thread {
        ThreadWrite::Open(insert) => {
            batch.push(insert);
            batch.extend(message.next());
        }
        ThreadWrite::Bump(update) => {
            batch.extend(message.next());
            batch.push(update);
        }
    }
    batch.extend(message);
    batch.push(data::read_stmt(
        m.thread,
        &me.user_id.to_string(),
        m.id,
        Time(cx.now),
    ));
    batch.push(events::insert_stmt(&event));
    cx.db.batch(batch).await.map_err(|e| {
        if e.not_null_violation() == Some(data::ATTACHMENT_TAKEN) {
            Error::invalid(
                "attachments",
                "an attachment was sent with another message or expired meanwhile; upload it \
                 again",
            )
        } else {
            e
        }
    })?;
    cx.publish(vec![event]);
    Ok(())
}

/// `POST /v1/threads/{id}/messages`: one read, one batch, and the answer built from what was
/// written (posting is the hot path of talk; see scripts/bench).
pub async fn create_message(cx: &mut Cx) -> Result<Reply> {
    let me = Writer::of(cx)?;
    let id = ThreadId::parse(cx.param("id"))?;
    let thread = data::reply_context(&cx.db, &me.company_id, &me.user_id, &id)
        .await?
        .ok_or(Error::not_found("thread"))?;
    let input: MessageIn = cx.body().await?;
    let text = talk::message_text(&input.text)?;
    let attachment_ids = talk::attachment_list(&input.attachments)?;
    let key = cx.idempotency_key()?;
    if let Some(earlier) = earlier(cx, &me, key.as_deref(), Some(&thread.id), &text).await? {
        return replayed(&me, earlier);
    }
    // The relationship may have been blocked or talk switched off since the thread began.
    relationships::require_stored_service(
        thread.relationship_status,
        &thread.relationship_services.0,
        Service::Talk,
    )?;
    let user_name = thread
        .user_name
        .clone()
        .ok_or_else(|| Error::internal("the caller's user row is missing"))?;
    let attachments = usable_attachments(cx, &me, &attachment_ids).await?;
    let after = match (&thread.last_id, &thread.last_at) {
        (Some(id), Some(at)) => Some((id, at.0)),
        _ => None,
    };
    let (message_id, at) = talk::next_message_id(cx.now, after)?;
    let written = write(
        cx,
        &me,
        ThreadWrite::Bump(data::bump_thread_stmt(&thread.id, Time(at))),
        &Posted {
            id: &message_id,
            at,
            thread: &thread.id,
            subject: &thread.subject,
            document_id: thread.document_id.as_ref(),
            to_user_id: thread.to_user_id.as_ref(),
            to_company: &thread.partner_id,
            user_name: &user_name,
            text: &text,
            attachments: &attachments,
            idempotency_key: key.as_deref(),
        },
    )
    .await;
    if let Err(e) = written {
        let first = written_meanwhile(cx, &me, key.as_deref(), Some(&thread.id), &text, e).await?;
        return replayed(&me, first);
    }
    let out = MessageOut {
        id: message_id,
        thread_id: thread.id,
        from: Sender {
            company: CompanyOut {
                id: me.company_id.clone(),
                name: thread.company_name,
                handle: thread.company_handle,
                created_at: thread.company_created_at,
            },
            user: UserRef {
                id: me.user_id.clone(),
                name: user_name,
            },
        },
        mine: true,
        text,
        attachments: attachments.iter().map(AttachmentRef::of).collect(),
        created_at: Time(at),
    };
    Reply::json(201, &out)
}

/// The message the caller's company wrote before with this `Idempotency-Key` (none without a
/// key), if it is the same: in this thread (`None`: any, a new thread's first message) with this
/// text.
///
/// # Errors
/// 409 `idempotency_key_reused` when the key was used for another message.
pub async fn earlier(
    cx: &Cx,
    me: &Writer,
    key: Option<&str>,
    thread: Option<&ThreadId>,
    text: &str,
) -> Result<Option<MessageRow>> {
    let Some(key) = key else {
        return Ok(None);
    };
    let Some(row) = data::message_by_idempotency_key(&cx.db, &me.company_id, key).await? else {
        return Ok(None);
    };
    if thread.is_some_and(|t| *t != row.thread_id) || row.text != text {
        return Err(Error::conflict(
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for message {} with another text or thread",
                row.id
            ),
        ));
    }
    Ok(Some(row))
}

/// After a message's write failed with `e`: the same message, sent again at the same moment,
/// that took the `Idempotency-Key` first; any other failure is `e`.
///
/// # Errors
/// `e`; 409 `idempotency_key_reused` as [`earlier`].
pub async fn written_meanwhile(
    cx: &Cx,
    me: &Writer,
    key: Option<&str>,
    thread: Option<&ThreadId>,
    text: &str,
    e: Error,
) -> Result<MessageRow> {
    if e.unique_violation() == Some(data::MESSAGE_KEY_TAKEN) {
        if let Some(first) = earlier(cx, me, key, thread, text).await? {
            return Ok(first);
        }
    }
    Err(e)
}

/// The answer to a message sent again with its `Idempotency-Key`: the one written the first
/// time (200, `Idempotent-Replayed: true`).
fn replayed(me: &Writer, row: MessageRow) -> Result<Reply> {
    let out = messages_out(&me.company_id, vec![row])
        .pop()
        .ok_or_else(|| Error::internal("a replayed message vanished"))?;
    Ok(Reply::json(200, &out)?.with_header("idempotent-replayed", "true"))
}

/// `GET /v1/threads/{id}/messages`.
pub async fn list_messages(cx: &mut Cx) -> Result<Reply> {
    let me = Reader::of(&cx.me()?)?;
    let id = ThreadId::parse(cx.param("id"))?;
    let page = Page::from_request(cx)?;
    let (_, rows) = data::thread_with_messages(
        &cx.db,
        &me.company_id,
        &me.id,
        &id,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?
    .ok_or(Error::not_found("thread"))?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = messages_out(&me.company_id, rows);
    Reply::json(200, &MessageList { data, next_cursor })
}

/// Messages as the viewer's company sees them, with their attachments (oldest first).
#[must_use]
pub fn messages_out(viewer: &CompanyId, rows: Vec<MessageRow>) -> Vec<MessageOut> {
    rows.into_iter()
        .map(|r| MessageOut {
            attachments: {
                let mut attachments = r.attachments.0;
                attachments.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
                attachments.iter().map(AttachmentRef::of).collect()
            },
            mine: &r.company_id == viewer,
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
        .collect()
}

/// Threads as the reader sees them, each with its latest message.
///
/// # Errors
/// A database error.
pub async fn threads_out(cx: &Cx, me: &Reader, rows: Vec<ThreadRow>) -> Result<Vec<ThreadOut>> {
    let thread_ids: Vec<&ThreadId> = rows.iter().map(|r| &r.id).collect();
    let last_rows = data::last_messages(&cx.db, &thread_ids).await?;
    let mut last = messages_out(&me.company_id, last_rows);
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
                message_count: r.message_count,
                unread_count: r.unread_count,
                last_message,
            }
        })
        .collect())
}
