//! `/v1/documents`: upload into a partner's inbox (the steps are in [`crate::upload`]), the
//! inbox and outbox listings, download, acknowledge, status reports and cancel.

use serde_json::json;
use shared::data::documents::{self, DocumentRow, Entry, Filter, Mailbox};
use shared::data::{events, pending};
use shared::document::{self, Actor, DocumentStatus, DocumentType};
use shared::event::Event;
use shared::ids::{CompanyId, DocumentId};
use shared::permissions::{Permission, Principal};
use shared::service::store::{self, Served, StoredFile};
use shared::service::{Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{validate, Error, Result};

use crate::api::{
    AckIn, CancelIn, DocumentCounts, DocumentList, DocumentOut, DocumentQuery, StatusIn,
};
use crate::upload::{self, REFERENCE_MAX};

/// The most characters of a note or reason, and of a carrier or tracking number.
const NOTE_MAX: usize = 2000;
const TRACKING_MAX: usize = 100;

/// `POST /v1/documents`: a raw body with `Tradepost-*` headers, or a browser's form.
pub async fn create_document(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let content_type = cx.header("content-type").unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        return crate::form::create_from_form(cx, &me, &content_type).await;
    }
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Error::UnsupportedMediaType {
            detail:
                "send the file as the raw body with Tradepost-* headers, or as multipart/form-data"
                    .to_owned(),
        });
    }
    let limit = upload::max_upload(cx);
    let meta = upload::meta_from_headers(cx)?;
    let length = upload::content_length(cx, limit)?;
    let id = DocumentId::new(cx.now)?;
    let mut prepared = upload::prepare(cx, &me, &meta, Some(&id)).await?;
    if let Some(existing) = prepared.existing.take() {
        pending::forget(&cx.db, &prepared.key).await;
        let sha256 = store::body_sha256(cx, length, limit).await?;
        return upload::replay(cx, &me, &existing, &sha256).await;
    }
    let file = upload::receive(cx, &prepared, id, length, limit).await?;
    upload::finish(cx, &me, &meta, prepared, file, Vec::new()).await
}

/// `GET /v1/documents`.
pub async fn list_documents(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: DocumentQuery = cx.query_as()?;
    let order = q
        .order
        .map(|o| DocumentId::parse_field("order", o.trim()))
        .transpose()?;
    let can_receive = me.has(Permission::DocumentsReceive);
    let can_send = me.has(Permission::DocumentsSend);
    let mailbox = match q.mailbox.as_deref() {
        None if order.is_some() => "all",
        None => "inbox",
        Some(b @ ("inbox" | "outbox" | "all")) => b,
        Some(_) => return Err(Error::invalid("box", "must be one of inbox, outbox, all")),
    };
    let mailbox = match mailbox {
        "inbox" => {
            me.require(Permission::DocumentsReceive)?;
            Mailbox::Inbox
        }
        "outbox" => {
            me.require(Permission::DocumentsSend)?;
            Mailbox::Outbox
        }
        _ => match (can_receive, can_send) {
            (true, true) => Mailbox::Both,
            (true, false) => Mailbox::Inbox,
            (false, true) => Mailbox::Outbox,
            (false, false) => {
                me.require(Permission::DocumentsReceive)?;
                Mailbox::Inbox
            }
        },
    };
    let time_of = |field: &str, text: Option<String>| {
        text.map(|t| time::parse(field, t.trim()).map(Time))
            .transpose()
    };
    let filter = Filter {
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
        kind: q
            .kind
            .map(|k| DocumentType::parse("type", k.trim()))
            .transpose()?,
        status: q
            .status
            .map(|s| DocumentStatus::parse("status", s.trim()))
            .transpose()?,
        since: time_of("since", q.since)?,
        until: time_of("until", q.until)?,
        reference: q
            .reference
            .map(|r| validate::text("reference", &r, 1, REFERENCE_MAX))
            .transpose()?,
        order,
        before: page.before.clone(),
    };
    let rows = documents::list(&cx.db, &me.company_id, mailbox, &filter, page.fetch()).await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let (new, held) = documents::counts(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &DocumentList {
            data: rows
                .iter()
                .map(|r| DocumentOut::of(r, &me.company_id, None))
                .collect(),
            next_cursor,
            counts: DocumentCounts { new, held },
        },
    )
}

/// A document as the caller's company may see it, with the caller's side. Another company's
/// document, a held one for its recipient, or one the caller lacks the permission for: 404.
async fn load_for(cx: &Cx, me: &Principal) -> Result<(DocumentRow, Actor)> {
    let id = DocumentId::parse(cx.param("id"))?;
    documents::visible(&cx.db, me, &id).await
}

/// `GET /v1/documents/{id}`.
pub async fn get_document(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, _) = load_for(cx, &me).await?;
    with_history(cx, &me, row, 200).await
}

/// The document with its history.
async fn with_history(cx: &Cx, me: &Principal, row: DocumentRow, status: u16) -> Result<Reply> {
    let history = documents::history(&cx.db, &row.id).await?;
    Reply::json(
        status,
        &DocumentOut::of(&row, &me.company_id, Some(history)),
    )
}

/// The document as the caller sees it now, with its history (after a change).
pub async fn respond_with(cx: &Cx, me: &Principal, id: &DocumentId, status: u16) -> Result<Reply> {
    let row = documents::load(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("document"))?;
    with_history(cx, me, row, status).await
}

/// `GET|HEAD /v1/documents/{id}/content`.
pub async fn get_document_content(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, side) = load_for(cx, &me).await?;
    if row.status == DocumentStatus::Discarded {
        return Err(Error::conflict(
            "file_deleted",
            "the document was discarded and its file deleted",
        ));
    }
    let file = StoredFile {
        key: &row.object_key,
        size: row.size,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    match store::serve(cx, &file).await? {
        Served::Body(reply) => {
            if side == Actor::Recipient && document::first_download(row.status) {
                mark_downloaded(cx, &me, &row).await?;
            }
            Ok(reply)
        }
        served => Ok(served.reply()),
    }
}

async fn mark_downloaded(cx: &Cx, me: &Principal, row: &DocumentRow) -> Result<()> {
    let now = Time(cx.now);
    let event = Event::new(
        "document.downloaded",
        &row.sender_id,
        row.facts(DocumentStatus::Downloaded).data(),
        cx.now,
    )?;
    let changed = cx
        .db
        .batch(vec![
            documents::downloaded_stmt(&row.id, now),
            documents::history_stmt(
                &row.id,
                DocumentStatus::Downloaded,
                Actor::Recipient,
                Some(me),
                &Entry::default(),
                true,
                now,
            ),
            events::insert_if_changed_stmt(&event),
        ])
        .await?;
    // Another download got there first: that one reported it.
    if changed.first().copied().unwrap_or(0) > 0 {
        cx.publish(vec![event]);
    }
    Ok(())
}

/// `POST /v1/documents/{id}/ack`.
pub async fn acknowledge_document(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, side) = load_for(cx, &me).await?;
    recipient_only(side)?;
    let input: AckIn = cx.optional_body().await?;
    let reference =
        validate::optional_text("reference", input.reference.as_deref(), REFERENCE_MAX)?;
    let current = row.status;
    if !document::acknowledge(current)? {
        return with_history(cx, &me, row, 200).await;
    }
    change_status(
        cx,
        &me,
        &row,
        Move {
            from: current,
            to: DocumentStatus::Imported,
            actor: Actor::Recipient,
            entry: Entry {
                reference: reference.as_deref(),
                ..Entry::default()
            },
            extra: json!({ "previous_status": current, "recipient_reference": reference }),
            tell: Some((&row.sender_id, "document.status_changed")),
        },
    )
    .await
}

/// `POST /v1/documents/{id}/status`.
pub async fn report_document_status(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, side) = load_for(cx, &me).await?;
    recipient_only(side)?;
    let input: StatusIn = cx.body().await?;
    let to = DocumentStatus::parse("status", input.status.trim())?;
    let note = validate::optional_text("note", input.note.as_deref(), NOTE_MAX)?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), NOTE_MAX)?;
    let carrier = validate::optional_text("carrier", input.carrier.as_deref(), TRACKING_MAX)?;
    let tracking = validate::optional_text(
        "tracking_number",
        input.tracking_number.as_deref(),
        TRACKING_MAX,
    )?;
    let current = row.status;
    document::report(current, to)?;
    if to == DocumentStatus::Rejected && reason.is_none() {
        return Err(Error::invalid("reason", "say why the document is rejected"));
    }
    // The same report again (a retry after a lost answer) is answered, not recorded twice; a
    // further shipment of a shipped order comes with its own tracking number.
    if current == to {
        let history = documents::history(&cx.db, &row.id).await?;
        if history.last().is_some_and(|last| {
            last.status == to
                && last.note == note
                && last.reason == reason
                && last.carrier == carrier
                && last.tracking_number == tracking
        }) {
            return Reply::json(200, &DocumentOut::of(&row, &me.company_id, Some(history)));
        }
    }
    let extra = json!({
        "previous_status": current,
        "note": note,
        "reason": reason,
        "carrier": carrier,
        "tracking_number": tracking,
        "recipient_reference": row.recipient_reference,
    });
    let entry = Entry {
        note: note.as_deref(),
        reason: reason.as_deref(),
        carrier: carrier.as_deref(),
        tracking_number: tracking.as_deref(),
        reference: None,
    };
    change_status(
        cx,
        &me,
        &row,
        Move {
            from: current,
            to,
            actor: Actor::Recipient,
            entry,
            extra,
            tell: Some((&row.sender_id, "document.status_changed")),
        },
    )
    .await
}

/// `POST /v1/documents/{id}/cancel`.
pub async fn cancel_document(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, side) = load_for(cx, &me).await?;
    if side != Actor::Sender {
        return Err(Error::forbidden(
            "sender_only",
            "only the company that sent the document may cancel it",
        ));
    }
    let input: CancelIn = cx.optional_body().await?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), NOTE_MAX)?;
    let current = row.status;
    document::cancel(current)?;
    change_status(
        cx,
        &me,
        &row,
        Move {
            from: current,
            to: DocumentStatus::Cancelled,
            actor: Actor::Sender,
            entry: Entry {
                reason: reason.as_deref(),
                ..Entry::default()
            },
            extra: json!({ "previous_status": current, "reason": reason }),
            // A held document never reached the recipient: nobody to tell.
            tell: (current == DocumentStatus::New)
                .then_some((&row.recipient_id, "document.cancelled")),
        },
    )
    .await
}

fn recipient_only(side: Actor) -> Result<()> {
    if side == Actor::Recipient {
        Ok(())
    } else {
        Err(Error::forbidden(
            "recipient_only",
            "only the company that received the document may do this",
        ))
    }
}

/// A move of a document from one status to another by one side.
struct Move<'a> {
    /// The status the move was decided from; the update only happens while it still holds.
    from: DocumentStatus,
    to: DocumentStatus,
    actor: Actor,
    /// The history entry; its `reference` is also stored as the recipient's reference.
    entry: Entry<'a>,
    /// Added to the event's data.
    extra: serde_json::Value,
    /// The company told, and the event type.
    tell: Option<(&'a CompanyId, &'static str)>,
}

/// Runs a guarded status update with its history entry and event in one transaction, then
/// answers with the document. An update that found the document changed meanwhile is a 409 and
/// leaves nothing behind.
async fn change_status(cx: &Cx, me: &Principal, row: &DocumentRow, mv: Move<'_>) -> Result<Reply> {
    let now = Time(cx.now);
    let mut statements = vec![
        documents::move_stmt(&row.id, mv.from, mv.to, mv.entry.reference, now),
        documents::history_stmt(&row.id, mv.to, mv.actor, Some(me), &mv.entry, true, now),
    ];
    let mut emitted = Vec::new();
    if let Some((to_company, kind)) = mv.tell {
        let mut data = row.facts(mv.to).data();
        if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), mv.extra) {
            data.extend(extra);
        }
        let event = Event::new(kind, to_company, data, cx.now)?;
        statements.push(events::insert_if_changed_stmt(&event));
        emitted.push(event);
    }
    let changed = cx.db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        // Another request moved the document meanwhile. The same move (an acknowledgement or
        // report sent twice at once) is this one's answer too; any other is a conflict.
        let (now, _) = load_for(cx, me).await?;
        if now.status == mv.to {
            return with_history(cx, me, now, 200).await;
        }
        return Err(Error::conflict(
            "changed_meanwhile",
            "the document changed while this request ran; load it again",
        ));
    }
    cx.publish(emitted);
    respond_with(cx, me, &row.id, 200).await
}
