//! `/v1/threads`: open a thread with a partner (its first message included), the thread list by
//! last activity with the caller's unread counts, one thread, and marking a thread read.

use shared::data::documents;
use shared::data::relationships::{self};
use shared::data::talk::{self as data, Filter, NewThread, ThreadRow};
use shared::ids::{CompanyId, DocumentId, MessageId, ThreadId, UserId};
use shared::relationship::Service;
use shared::service::{Cx, Reply};
use shared::talk::{self, ThreadCursor};
use shared::time::{self, Time};
use shared::{validate, Error, Result};

use crate::api::{ReadIn, ReadOut, Reader, ThreadIn, ThreadList, ThreadOut, ThreadQuery};
use crate::messages::{self, Writer};

/// `POST /v1/threads`.
pub async fn create_thread(cx: &mut Cx) -> Result<Reply> {
    let me = Writer::of(cx)?;
    let input: ThreadIn = cx.body().await?;
    let subject = talk::subject(&input.subject)?;
    let text = talk::message_text(&input.text)?;
    let attachment_ids = talk::attachment_list(&input.attachments)?;
    let key = cx.idempotency_key()?;
    if let Some(first) = messages::earlier(cx, &me, key.as_deref(), None, &text).await? {
        return replayed(cx, &me, &first.thread_id).await;
    }
    let (partner, link) =
        relationships::partner_link(&cx.db, &me.company_id, "partner", &input.partner).await?;
    let link = relationships::require_link(link, Service::Talk)?;
    let to = match input.to.as_deref() {
        Some(to) => Some(addressee(cx, &me, &partner.id, to).await?),
        None => None,
    };
    let document_id = match input.document_id.as_deref() {
        Some(doc) => Some(exchanged_document(cx, &me, &partner.id, doc).await?),
        None => None,
    };
    let attachments = messages::usable_attachments(cx, &me, &attachment_ids).await?;
    let user_name = shared::data::users::name(&cx.db, &me.company_id, &me.user_id)
        .await?
        .ok_or_else(|| Error::internal("the caller's user row is missing"))?;

    let thread_id = ThreadId::new(cx.now)?;
    let (message_id, at) = talk::next_message_id(cx.now, None)?;
    let insert = data::insert_thread_stmt(&NewThread {
        id: &thread_id,
        relationship_id: &link.id,
        company_id: &me.company_id,
        partner_id: &partner.id,
        subject: &subject,
        document_id: document_id.as_ref(),
        to_user_id: to.as_ref(),
        created_by: &me.user_id,
        at: Time(at),
    });
    let written = messages::write(
        cx,
        &me,
        messages::ThreadWrite::Open(insert),
        &messages::Posted {
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
            idempotency_key: key.as_deref(),
        },
    )
    .await;
    if let Err(e) = written {
        let first = messages::written_meanwhile(cx, &me, key.as_deref(), None, &text, e).await?;
        return replayed(cx, &me, &first.thread_id).await;
    }
    let reader = me.reader();
    let row = load(cx, &reader, &thread_id).await?;
    Ok(Reply::json(201, &one(cx, &reader, row).await?)?
        .with_header("location", format!("/v1/threads/{thread_id}")))
}

/// The answer to a thread started again with its `Idempotency-Key`: the thread its first
/// message opened (200, `Idempotent-Replayed: true`).
async fn replayed(cx: &Cx, me: &Writer, thread_id: &ThreadId) -> Result<Reply> {
    let reader = me.reader();
    let row = load(cx, &reader, thread_id).await?;
    Ok(Reply::json(200, &one(cx, &reader, row).await?)?.with_header("idempotent-replayed", "true"))
}

/// The person of the partner company a thread is addressed to: only one whose business card the
/// caller's company received. Whether the id is a user of the partner at all is not revealed.
async fn addressee(cx: &Cx, me: &Writer, partner: &CompanyId, to: &str) -> Result<UserId> {
    let to = UserId::parse_field("to", to.trim())?;
    if !data::card_received(&cx.db, &me.company_id, partner, &to).await? {
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
    cx: &Cx,
    me: &Writer,
    partner: &CompanyId,
    text: &str,
) -> Result<DocumentId> {
    let id = DocumentId::parse_field("document_id", text.trim())?;
    match documents::head(&cx.db, &me.company_id, &id).await? {
        Some(doc) if doc.partner_of(&me.company_id) == partner => Ok(id),
        _ => Err(Error::invalid(
            "document_id",
            "no document exchanged with this partner has this id",
        )),
    }
}

/// A thread the reader's company takes part in; another company's is a 404.
pub async fn load(cx: &Cx, me: &Reader, id: &ThreadId) -> Result<ThreadRow> {
    data::thread(&cx.db, &me.company_id, &me.id, id)
        .await?
        .ok_or(Error::not_found("thread"))
}

/// The thread named by the path.
pub async fn load_path(cx: &Cx, me: &Reader) -> Result<ThreadRow> {
    let id = ThreadId::parse(cx.param("id"))?;
    load(cx, me, &id).await
}

async fn one(cx: &Cx, me: &Reader, row: ThreadRow) -> Result<ThreadOut> {
    messages::threads_out(cx, me, vec![row])
        .await?
        .pop()
        .ok_or(Error::not_found("thread"))
}

/// `GET /v1/threads/{id}`.
pub async fn get_thread(cx: &mut Cx) -> Result<Reply> {
    let me = Reader::of(&cx.me()?)?;
    let row = load_path(cx, &me).await?;
    Reply::json(200, &one(cx, &me, row).await?)
}

/// `GET /v1/threads`.
pub async fn list_threads(cx: &mut Cx) -> Result<Reply> {
    let me = Reader::of(&cx.me()?)?;
    let limit = validate::limit(cx.query("limit").as_deref())?;
    let cursor = match cx.query("cursor") {
        Some(c) if !c.is_empty() => Some(ThreadCursor::decode(&c)?),
        _ => None,
    };
    let q: ThreadQuery = cx.query_as()?;
    let unread_only = match q.unread.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Error::invalid("unread", "must be true or false")),
    };
    let filter = Filter {
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
        document: q
            .document_id
            .map(|d| DocumentId::parse_field("document_id", d.trim()))
            .transpose()?,
        unread_only,
        after: cursor
            .map(|c| time::parse("cursor", &c.last_message_at).map(|at| (Time(at), c.id)))
            .transpose()?,
    };
    let mut rows = data::threads(&cx.db, &me.company_id, &me.id, &filter, limit + 1).await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            ThreadCursor {
                last_message_at: r.last_message_at.to_string(),
                id: r.id.clone(),
            }
            .encode()
        })
    } else {
        None
    };
    let counts = data::unread(&cx.db, &me.company_id, &me.id).await?;
    let data = messages::threads_out(cx, &me, rows).await?;
    Reply::json(
        200,
        &ThreadList {
            data,
            next_cursor,
            counts,
        },
    )
}

/// `POST /v1/threads/{id}/read`.
pub async fn read_thread(cx: &mut Cx) -> Result<Reply> {
    let me = Reader::of(&cx.me()?)?;
    let thread = load_path(cx, &me).await?;
    let input: ReadIn = cx.optional_body().await?;
    let up_to = input
        .up_to
        .as_deref()
        .map(|u| MessageId::parse_field("up_to", u.trim()))
        .transpose()?;
    let target = data::message_in(&cx.db, &thread.id, up_to.as_ref()).await?;
    if up_to.is_some() && target.is_none() {
        return Err(Error::invalid(
            "up_to",
            "no message of this thread has this id",
        ));
    }
    if let Some(target) = target {
        cx.db
            .run_of(data::read_stmt(&thread.id, &me.id, &target, Time(cx.now)))
            .await?;
    }
    let now = load(cx, &me, &thread.id).await?;
    Reply::json(
        200,
        &ReadOut {
            thread_id: now.id,
            unread_count: now.unread_count,
        },
    )
}
