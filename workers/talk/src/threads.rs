//! `/v1/threads`: open a thread with a partner (its first message included), the thread list by
//! last activity with the caller's unread counts, one thread, and marking a thread read.

use serde::{Deserialize, Serialize};
use shared::document::DocumentStatus;
use shared::edge::context::Ctx;
use shared::edge::db::Query;
use shared::edge::{self, internal, partners, List};
use shared::ids::{CompanyId, DocumentId, MessageId, ThreadId, UserId};
use shared::relationship::Service;
use shared::talk::{self, ThreadCursor};
use shared::{time, validate, Error, Result};
use worker::Response;

use crate::model::{
    self, Caller, NewMessage, Reader, ThreadOut, ThreadRow, THREAD_COLUMNS, THREAD_FROM,
    THREAD_SCOPE,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThreadIn {
    partner: String,
    #[serde(default)]
    to: Option<String>,
    subject: String,
    #[serde(default)]
    document_id: Option<String>,
    text: String,
    #[serde(default)]
    attachments: Vec<String>,
}

pub async fn create_thread(cx: &mut Ctx) -> Result<Response> {
    let me = model::caller(cx).await?;
    let input: ThreadIn = cx.body().await?;
    let subject = talk::subject(&input.subject)?;
    let text = talk::message_text(&input.text)?;
    let attachment_ids = talk::attachment_list(&input.attachments)?;
    let (partner, link) =
        partners::find_partner_link(&cx.db, me.company(), "partner", &input.partner).await?;
    let link = partners::require_link(link, Service::Talk)?;
    let to = match input.to.as_deref() {
        Some(to) => Some(addressee(cx, &me, &partner.id, to).await?),
        None => None,
    };
    let document_id = match input.document_id.as_deref() {
        Some(doc) => Some(exchanged_document(cx, &me, &partner.id, doc).await?),
        None => None,
    };
    let attachments = model::usable_attachments(&cx.db, &me, &attachment_ids, cx.now).await?;
    let user_name = model::user_name(&cx.db, &me).await?;

    let thread_id = ThreadId::new(cx.now)?;
    let (message_id, at) = talk::next_message_id(cx.now, None)?;
    let at_text = time::format(at);
    let insert = cx.db.stmt(
        "INSERT INTO threads (id, relationship_id, company_id, partner_id, subject, document_id, \
         to_user_id, created_by, created_at, last_message_at, message_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1)",
        &[
            &thread_id,
            &link.id,
            me.company(),
            &partner.id,
            &subject,
            &document_id,
            &to,
            &me.user_id,
            &at_text,
        ],
    )?;
    let (statements, event) = model::message_stmts(
        cx,
        &me,
        &NewMessage {
            id: &message_id,
            at,
            thread: &thread_id,
            subject: &subject,
            document_id: document_id.as_ref(),
            to_user_id: to.as_ref(),
            to_company: &partner.id,
            user_name: &user_name,
            text: &text,
            attachments: &attachments,
        },
    )?;
    let mut batch = vec![insert];
    batch.extend(statements);
    model::write_message(&cx.db, batch).await?;
    cx.publish(vec![event]);
    let row = model::load_thread(&cx.db, &me.reader, thread_id.as_str()).await?;
    let response = edge::json(201, &one(cx, &me.reader, row).await?)?;
    response
        .headers()
        .set("location", &format!("/v1/threads/{thread_id}"))
        .map_err(internal)?;
    Ok(response)
}

/// The person of the partner company a thread is addressed to: only one whose business card the
/// caller's company received. Whether the id is a user of the partner at all is not revealed.
async fn addressee(cx: &Ctx, me: &Caller, partner: &CompanyId, to: &str) -> Result<UserId> {
    let to = UserId::parse_field("to", to.trim())?;
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        user_id: UserId,
    }
    let card: Option<Row> = cx
        .db
        .first(
            "SELECT c.user_id FROM contacts c JOIN users u ON u.id = c.user_id \
             WHERE c.owner_company_id = ?1 AND c.user_id = ?2 AND u.company_id = ?3",
            &[me.company(), &to, partner],
        )
        .await?;
    if card.is_none() {
        return Err(Error::forbidden(
            "card_not_received",
            "you may address a person of the partner company only after their business card \
             was received; address the company instead",
        ));
    }
    Ok(to)
}

/// A document a thread may be about: exchanged between the two companies and visible to the
/// caller's company (not one held for it as recipient).
async fn exchanged_document(
    cx: &Ctx,
    me: &Caller,
    partner: &CompanyId,
    text: &str,
) -> Result<DocumentId> {
    let id = DocumentId::parse_field("document_id", text.trim())?;
    #[derive(Deserialize)]
    struct Row {
        sender_id: CompanyId,
        status: String,
    }
    let row: Option<Row> = cx
        .db
        .first(
            "SELECT sender_id, status FROM documents WHERE id = ?1 AND \
             ((sender_id = ?2 AND recipient_id = ?3) OR (sender_id = ?3 AND recipient_id = ?2))",
            &[&id, me.company(), partner],
        )
        .await?;
    match row {
        Some(r)
            if &r.sender_id == me.company()
                || DocumentStatus::parse("status", &r.status)
                    .is_ok_and(DocumentStatus::visible_to_recipient) =>
        {
            Ok(id)
        }
        _ => Err(Error::invalid(
            "document_id",
            "no document exchanged with this partner has this id",
        )),
    }
}

async fn one(cx: &Ctx, me: &Reader, row: ThreadRow) -> Result<ThreadOut> {
    model::threads_out(&cx.db, me, vec![row])
        .await?
        .pop()
        .ok_or(Error::not_found("thread"))
}

pub async fn get_thread(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = model::reader(cx).await?;
    let row = model::load_thread(&cx.db, &me, id).await?;
    edge::json(200, &one(cx, &me, row).await?)
}

#[derive(Deserialize)]
struct CountRow {
    unread_messages: f64,
    unread_threads: f64,
}

#[derive(Serialize)]
struct Counts {
    unread_messages: u64,
    unread_threads: u64,
}

#[derive(Serialize)]
struct ThreadList {
    #[serde(flatten)]
    list: List<ThreadOut>,
    counts: Counts,
}

pub async fn list_threads(cx: &mut Ctx) -> Result<Response> {
    let me = model::reader(cx).await?;
    let limit = validate::limit(cx.query("limit").as_deref())?;
    let cursor = match cx.query("cursor") {
        Some(c) if !c.is_empty() => Some(ThreadCursor::decode(&c)?),
        _ => None,
    };
    let unread_only = match cx.query("unread").as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Error::invalid("unread", "must be true or false")),
    };
    let mut query = Query::new(
        format!("SELECT {THREAD_COLUMNS} {THREAD_FROM} WHERE {THREAD_SCOPE}"),
        vec![Box::new(me.company().clone()), Box::new(me.id.clone())],
    );
    if let Some(partner) = cx.query("partner") {
        let partner = CompanyId::parse_field("partner", partner.trim())?;
        query.filter(" AND p.id = ?n", partner);
    }
    if let Some(doc) = cx.query("document_id") {
        let doc = DocumentId::parse_field("document_id", doc.trim())?;
        query.filter(" AND t.document_id = ?n", doc);
    }
    // The unread count is a column of the sub-select; it is filtered outside.
    query.wrap("SELECT * FROM (", ") x WHERE 1 = 1");
    if unread_only {
        query.push(" AND x.unread_count > 0");
    }
    if let Some(cursor) = cursor {
        let at = query.bind(cursor.last_message_at);
        let id = query.bind(cursor.id);
        query.push(&format!(
            " AND (x.last_message_at < {at} OR (x.last_message_at = {at} AND x.id < {id}))"
        ));
    }
    query.filter(
        " ORDER BY x.last_message_at DESC, x.id DESC LIMIT ?n",
        f64::from(limit) + 1.0,
    );
    let mut rows: Vec<ThreadRow> = query.all(&cx.db).await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            ThreadCursor {
                last_message_at: r.last_message_at.clone(),
                id: r.id.clone(),
            }
            .encode()
        })
    } else {
        None
    };
    let counts: Option<CountRow> = cx
        .db
        .first(
            "SELECT COUNT(*) AS unread_messages, COUNT(DISTINCT m.thread_id) AS unread_threads \
             FROM threads t JOIN messages m ON m.thread_id = t.id \
             LEFT JOIN thread_reads r ON r.thread_id = t.id AND r.user_id = ?2 \
             WHERE (t.company_id = ?1 OR t.partner_id = ?1) AND m.company_id != ?1 \
             AND m.id > COALESCE(r.last_read_message_id, '')",
            &[me.company(), &me.id],
        )
        .await?;
    let data = model::threads_out(&cx.db, &me, rows).await?;
    edge::json(
        200,
        &ThreadList {
            list: List { data, next_cursor },
            counts: counts.map_or(
                Counts {
                    unread_messages: 0,
                    unread_threads: 0,
                },
                |c| Counts {
                    unread_messages: c.unread_messages as u64,
                    unread_threads: c.unread_threads as u64,
                },
            ),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReadIn {
    #[serde(default)]
    up_to: Option<String>,
}

#[derive(Serialize)]
struct ReadOut {
    thread_id: ThreadId,
    unread_count: u64,
}

#[derive(Deserialize)]
struct IdRow {
    id: MessageId,
}

pub async fn read_thread(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = model::reader(cx).await?;
    let thread = model::load_thread(&cx.db, &me, id).await?;
    let input: ReadIn = cx.optional_body().await?;
    let target: Option<IdRow> =
        match input.up_to.as_deref() {
            Some(up_to) => {
                let up_to = MessageId::parse_field("up_to", up_to.trim())?;
                let found: Option<IdRow> = cx
                    .db
                    .first(
                        "SELECT id FROM messages WHERE id = ?1 AND thread_id = ?2",
                        &[&up_to, &thread.id],
                    )
                    .await?;
                Some(found.ok_or_else(|| {
                    Error::invalid("up_to", "no message of this thread has this id")
                })?)
            }
            None => {
                cx.db
                    .first(
                        "SELECT id FROM messages WHERE thread_id = ?1 ORDER BY id DESC LIMIT 1",
                        &[&thread.id],
                    )
                    .await?
            }
        };
    if let Some(target) = target {
        cx.db
            .batch(vec![model::read_stmt(cx, &thread.id, &me.id, &target.id)?])
            .await?;
    }
    let now = model::load_thread(&cx.db, &me, thread.id.as_str()).await?;
    edge::json(
        200,
        &ReadOut {
            thread_id: now.id,
            unread_count: now.unread_count as u64,
        },
    )
}
