//! `/v1/threads/{id}/messages`: replies in a thread, and the thread's messages newest first.

use serde::Deserialize;
use shared::edge::context::Ctx;
use shared::edge::{self, partners, List, Page};
use shared::ids::{CompanyId, DocumentId, MessageId, ThreadId, UserId};
use shared::relationship::Service;
use shared::{talk, time, Error, Result};
use worker::Response;

use crate::model::{
    self, CompanyOut, MessageOut, MessageRow, NewMessage, Sender, UserRef, MESSAGE_COLUMNS,
    MESSAGE_FROM,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    text: String,
    #[serde(default)]
    attachments: Vec<String>,
}

/// Everything a reply needs to know, read in one round trip: the thread as the caller's company
/// sees it, its relationship, its latest message, and the writer's name and company.
#[derive(Deserialize)]
struct ReplyContext {
    id: ThreadId,
    subject: String,
    document_id: Option<DocumentId>,
    to_user_id: Option<UserId>,
    partner_id: CompanyId,
    relationship_status: String,
    relationship_services: String,
    last_id: Option<MessageId>,
    last_at: Option<String>,
    user_name: Option<String>,
    company_name: String,
    company_handle: String,
    company_created_at: String,
}

async fn reply_context(cx: &Ctx, me: &model::Caller, id: &str) -> Result<ReplyContext> {
    let id = ThreadId::parse(id)?;
    let row: Option<ReplyContext> = cx
        .db
        .first(
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
            &[me.company(), &me.user_id, &id],
        )
        .await?;
    row.ok_or(Error::not_found("thread"))
}

/// `POST /v1/threads/{id}/messages`: one read, one batch, and the answer built from what was
/// written (posting is the hot path of talk; see scripts/bench).
pub async fn create_message(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = model::caller(cx).await?;
    let thread = reply_context(cx, &me, id).await?;
    let input: MessageIn = cx.body().await?;
    let text = talk::message_text(&input.text)?;
    let attachment_ids = talk::attachment_list(&input.attachments)?;
    // The relationship may have been blocked or talk switched off since the thread began.
    partners::require_stored_service(
        &thread.relationship_status,
        &thread.relationship_services,
        Service::Talk,
    )?;
    let user_name = thread
        .user_name
        .clone()
        .ok_or_else(|| Error::internal("the caller's user row is missing"))?;
    let attachments = model::usable_attachments(&cx.db, &me, &attachment_ids, cx.now).await?;
    let after = match (&thread.last_id, &thread.last_at) {
        (Some(id), Some(at)) => Some((id, time::parse("created_at", at)?)),
        _ => None,
    };
    let (message_id, at) = talk::next_message_id(cx.now, after)?;
    let (statements, event) = model::message_stmts(
        cx,
        &me,
        &NewMessage {
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
        },
    )?;
    let update = cx.db.stmt(
        "UPDATE threads SET message_count = message_count + 1, \
         last_message_at = MAX(last_message_at, ?2) WHERE id = ?1",
        &[&thread.id, &time::format(at)],
    )?;
    let mut batch = statements;
    // After the message insert, whose constraint guards the attachments.
    batch.insert(1, update);
    model::write_message(&cx.db, batch).await?;
    cx.publish(vec![event]);
    let out = MessageOut {
        id: message_id,
        thread_id: thread.id,
        from: Sender {
            company: CompanyOut {
                id: me.company().clone(),
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
        attachments: attachments
            .iter()
            .map(model::AttachmentRow::reference)
            .collect(),
        created_at: time::format(at),
    };
    edge::json(201, &out)
}

pub async fn list_messages(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = model::reader(cx).await?;
    let thread = model::load_thread(&cx.db, &me, id).await?;
    let page = Page::from_request(&cx.req)?;
    let rows: Vec<MessageRow> = match &page.before {
        Some(before) => {
            cx.db
                .all(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.thread_id = ?1 \
                         AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3"
                    ),
                    &[&thread.id, before, &page.fetch()],
                )
                .await?
        }
        None => {
            cx.db
                .all(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} {MESSAGE_FROM} WHERE m.thread_id = ?1 \
                         ORDER BY m.id DESC LIMIT ?2"
                    ),
                    &[&thread.id, &page.fetch()],
                )
                .await?
        }
    };
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = model::messages_out(&cx.db, me.company(), rows).await?;
    edge::json(200, &List { data, next_cursor })
}
