//! `/v1/documents`: upload into a partner's inbox, the inbox and outbox listings, download,
//! acknowledge, status reports and cancel.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::document::{self, Actor, DocumentStatus, DocumentType, EventFacts};
use shared::edge::context::Ctx;
use shared::edge::db::{unique_violation, Query};
use shared::edge::{self, events, internal, List, Page};
use shared::event::Event;
use shared::formats::Recognition;
use shared::ids::{CompanyId, DocumentId};
use shared::permissions::{Permission, Principal};
use shared::{time, validate, Error, Result};
use worker::Response;

use crate::model::{self, CompanyOut, DocRow, Entry, HistoryOut, Target, DOC_COLUMNS, DOC_FROM};
use shared::edge::store;

/// The default limit of one uploaded file (`MAX_UPLOAD_BYTES`).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// The most characters of a reference, note, reason or tracking field.
const REFERENCE_MAX: usize = 200;
const NOTE_MAX: usize = 2000;
const TRACKING_MAX: usize = 100;

/// What an upload says about its file, from headers or form fields.
pub struct UploadMeta {
    pub recipient: String,
    pub kind: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub reference: Option<String>,
    pub in_reply_to: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Where an upload goes, decided before a byte is stored.
pub struct Prepared {
    pub partner: CompanyOut,
    pub target: Target,
    /// The answered document and its order.
    pub reply: Option<(DocumentId, DocumentId)>,
}

/// A stored file about to become a document.
pub struct NewFile {
    pub id: DocumentId,
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub recognition: Recognition,
}

pub fn max_upload(cx: &Ctx) -> u64 {
    cx.number("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
}

pub async fn create_document(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::DocumentsSend)?;
    let content_type = cx.header("content-type").unwrap_or_default();
    if content_type
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
    {
        return crate::form::create_from_form(cx, &me, &content_type).await;
    }
    if content_type.split(';').next().is_some_and(|e| {
        e.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }) {
        return Err(Error::UnsupportedMediaType {
            detail:
                "send the file as the raw body with Tradepost-* headers, or as multipart/form-data"
                    .to_owned(),
        });
    }
    let limit = max_upload(cx);
    let meta = meta_from_headers(cx)?;
    let length = content_length(cx, limit)?;
    let prepared = prepare(cx, &me, &meta).await?;
    if let Some(key) = &meta.idempotency_key {
        if let Some(existing) = find_idempotent(cx, &me.company_id, key).await? {
            let sha256 = store::body_sha256(cx, length, limit).await?;
            return replay(cx, &me, &existing, &sha256).await;
        }
    }
    let id = DocumentId::new(cx.now)?;
    let key = document::object_key(&prepared.partner.id, &id);
    let tap = store::receive(cx, &key, length, limit, true).await?;
    let file = {
        let t = tap.borrow();
        NewFile {
            id,
            key,
            size: length,
            sha256: t.hash.finish_hex(),
            recognition: t.recognition(),
        }
    };
    finish(cx, &me, &meta, prepared, file, Vec::new()).await
}

/// The upload's metadata from the `Tradepost-*` headers.
fn meta_from_headers(cx: &Ctx) -> Result<UploadMeta> {
    let required = |name: &str, field: &str| {
        cx.header(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::invalid(field, format!("send the {name} header")))
    };
    let recipient = required("tradepost-recipient", "recipient")?;
    let kind = DocumentType::parse("type", required("tradepost-type", "type")?.trim())?;
    let filename = document::filename(&required("tradepost-filename", "filename")?, true)?;
    Ok(UploadMeta {
        recipient,
        kind,
        filename,
        content_type: document::content_type(cx.header("content-type").as_deref()),
        reference: validate::optional_text(
            "reference",
            cx.header("tradepost-reference").as_deref(),
            REFERENCE_MAX,
        )?,
        in_reply_to: cx.header("tradepost-in-reply-to"),
        idempotency_key: cx
            .header("idempotency-key")
            .map(|k| document::idempotency_key(&k))
            .transpose()?,
    })
}

/// The announced length of a raw body, checked against the limit.
pub fn content_length(cx: &Ctx, limit: u64) -> Result<u64> {
    store::content_length(
        cx,
        limit,
        &format!(
            "files are limited to {}; send larger ones as a multipart upload (/v1/uploads)",
            store::size_text(limit)
        ),
    )
}

/// Checks everything about an upload that can be checked before its bytes are read.
pub async fn prepare(cx: &Ctx, me: &Principal, meta: &UploadMeta) -> Result<Prepared> {
    let (partner, link) = shared::edge::partners::find_partner_link(
        &cx.db,
        &me.company_id,
        "recipient",
        &meta.recipient,
    )
    .await?;
    let reply = model::reply_target(
        &cx.db,
        &me.company_id,
        &partner.id,
        meta.in_reply_to.as_deref(),
    )
    .await?;
    let target = model::target(cx, &me.company_id, link)?;
    Ok(Prepared {
        partner,
        target,
        reply,
    })
}

async fn find_idempotent(cx: &Ctx, me: &CompanyId, key: &str) -> Result<Option<DocRow>> {
    cx.db
        .first(
            &format!(
                "SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.sender_id = ?1 AND d.idempotency_key = ?2"
            ),
            &[me, &key],
        )
        .await
}

/// The answer to a retried upload: the original document, or 409 for other bytes.
async fn replay(cx: &Ctx, me: &Principal, existing: &DocRow, sha256: &str) -> Result<Response> {
    if existing.sha256 != sha256 {
        return Err(Error::conflict(
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for document {} with other content",
                existing.id
            ),
        ));
    }
    let history = model::history(&cx.db, &existing.id).await?;
    let response = edge::json(200, &existing.out(&me.company_id, Some(history)))?;
    response
        .headers()
        .set("idempotent-replayed", "true")
        .map_err(internal)?;
    Ok(response)
}

fn recognition_columns(
    recognition: &Recognition,
) -> (Option<String>, Option<String>, Option<String>) {
    let name = |f: &shared::formats::Format| {
        serde_json::to_value(f)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    match recognition {
        Recognition::Unknown => (None, None, None),
        Recognition::Recognised(summary) => (
            name(&summary.format),
            serde_json::to_string(summary).ok(),
            None,
        ),
        Recognition::Malformed { format, error } => (name(format), None, Some(error.clone())),
    }
}

/// Writes the document of a stored file, with its history entry, the relationship request at
/// first contact and the events, in one transaction; then answers 201. On any failure the file
/// is deleted again.
pub async fn finish(
    cx: &Ctx,
    me: &Principal,
    meta: &UploadMeta,
    prepared: Prepared,
    file: NewFile,
    extra: Vec<worker::D1PreparedStatement>,
) -> Result<Response> {
    let outcome = write_document(cx, me, meta, &prepared, &file, extra).await;
    match outcome {
        Ok((events, row)) => {
            cx.publish(events);
            // Answered from what was written: reading it back would cost two more round trips.
            let history = vec![HistoryOut {
                status: row.status.clone(),
                at: row.created_at.clone(),
                by: Actor::Sender.as_str().to_owned(),
                company_id: Some(me.company_id.clone()),
                note: None,
                reason: None,
                carrier: None,
                tracking_number: None,
                reference: meta.reference.clone(),
            }];
            let response = edge::json(201, &row.out(&me.company_id, Some(history)))?;
            response
                .headers()
                .set("location", &format!("/v1/documents/{}", row.id))
                .map_err(internal)?;
            Ok(response)
        }
        Err(e) => {
            store::discard(cx, &file.key).await;
            if unique_violation(&e) {
                if let Some(key) = &meta.idempotency_key {
                    if let Some(existing) = find_idempotent(cx, &me.company_id, key).await? {
                        return replay(cx, me, &existing, &file.sha256).await;
                    }
                }
            }
            Err(e)
        }
    }
}

async fn write_document(
    cx: &Ctx,
    me: &Principal,
    meta: &UploadMeta,
    prepared: &Prepared,
    file: &NewFile,
    extra: Vec<worker::D1PreparedStatement>,
) -> Result<(Vec<Event>, DocRow)> {
    let target = &prepared.target;
    let status = if target.held() {
        DocumentStatus::Held
    } else {
        DocumentStatus::New
    };
    let mut statements = Vec::new();
    let mut emitted = Vec::new();
    if let Target::Request { relationship } = target {
        let (stmts, event) = model::request_stmts(
            cx,
            relationship,
            &me.company_id,
            &prepared.partner.id,
            meta.kind,
            &meta.filename,
        )?;
        statements.extend(stmts);
        emitted.push(event);
    }
    let (format, summary, parse_error) = recognition_columns(&file.recognition);
    let row_summary = summary.clone();
    let (in_reply_to, order_id) = match &prepared.reply {
        Some((answered, order)) => (Some(answered.clone()), order.clone()),
        None => (None, file.id.clone()),
    };
    let now = time::format(cx.now);
    statements.push(cx.db.stmt(
        "INSERT INTO documents (id, relationship_id, sender_id, recipient_id, sender_user_id, \
         sender_api_key_id, type, filename, content_type, size, sha256, object_key, reference, \
         customer_number, in_reply_to, order_id, status, format, summary, parse_error, \
         idempotency_key, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22, ?22)",
        &[
            &file.id,
            target.relationship(),
            &me.company_id,
            &prepared.partner.id,
            &me.user_id,
            &me.api_key_id,
            &meta.kind.as_str(),
            &meta.filename,
            &meta.content_type,
            &file.size,
            &file.sha256,
            &file.key,
            &meta.reference,
            &target.customer_number(),
            &in_reply_to,
            &order_id,
            &status.as_str(),
            &format,
            &summary,
            &parse_error,
            &meta.idempotency_key,
            &now,
        ],
    )?);
    statements.push(model::history_stmt(
        cx,
        &file.id,
        status,
        Actor::Sender,
        Some(me),
        &Entry {
            reference: meta.reference.as_deref(),
            ..Entry::default()
        },
        false,
    )?);
    statements.push(store::settle_stmt(cx, &file.key)?);
    statements.extend(extra);
    if status == DocumentStatus::New {
        let facts = EventFacts {
            id: file.id.clone(),
            kind: meta.kind.as_str().to_owned(),
            filename: meta.filename.clone(),
            size: file.size as f64,
            sha256: file.sha256.clone(),
            sender_id: me.company_id.clone(),
            recipient_id: prepared.partner.id.clone(),
            reference: meta.reference.clone(),
            customer_number: target.customer_number().map(str::to_owned),
            status: status.as_str().to_owned(),
            summary,
        };
        emitted.push(Event::new(
            "document.deposited",
            &prepared.partner.id,
            facts.data(),
            cx.now,
        )?);
    }
    for event in &emitted {
        statements.push(events::outbox_stmt(&cx.db, event)?);
    }
    cx.db.batch(statements).await?;
    let partner = &prepared.partner;
    let row = DocRow {
        id: file.id.clone(),
        relationship_id: target.relationship().clone(),
        sender_id: me.company_id.clone(),
        recipient_id: partner.id.clone(),
        kind: meta.kind.as_str().to_owned(),
        filename: meta.filename.clone(),
        content_type: meta.content_type.clone(),
        size: file.size as f64,
        sha256: file.sha256.clone(),
        object_key: file.key.clone(),
        reference: meta.reference.clone(),
        recipient_reference: None,
        customer_number: target.customer_number().map(str::to_owned),
        in_reply_to,
        order_id,
        status: status.as_str().to_owned(),
        format,
        summary: row_summary,
        parse_error,
        created_at: now.clone(),
        updated_at: now,
        downloaded_at: None,
        partner_id: partner.id.clone(),
        partner_name: partner.name.clone(),
        partner_handle: partner.handle.clone(),
        partner_created_at: partner.created_at.clone(),
    };
    Ok((emitted, row))
}

#[derive(Deserialize)]
struct CountRow {
    new: f64,
    held: f64,
}

#[derive(Serialize)]
struct Counts {
    new: u64,
    held: u64,
}

#[derive(Serialize)]
struct DocumentList {
    #[serde(flatten)]
    list: List<model::DocumentOut>,
    counts: Counts,
}

pub async fn list_documents(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let page = Page::from_request(&cx.req)?;
    let order = cx
        .query("order")
        .map(|o| DocumentId::parse_field("order", o.trim()))
        .transpose()?;
    let mailbox_param = cx.query("box");
    let mailbox = match mailbox_param.as_deref() {
        None if order.is_some() => "all",
        None => "inbox",
        Some(b @ ("inbox" | "outbox" | "all")) => b,
        Some(_) => return Err(Error::invalid("box", "must be one of inbox, outbox, all")),
    };
    let can_receive = me.has(Permission::DocumentsReceive);
    let can_send = me.has(Permission::DocumentsSend);
    let inbox = "(d.recipient_id = ?1 AND d.status NOT IN ('held', 'discarded'))";
    let outbox = "d.sender_id = ?1";
    let scope = match mailbox {
        "inbox" => {
            me.require(Permission::DocumentsReceive)?;
            inbox.to_owned()
        }
        "outbox" => {
            me.require(Permission::DocumentsSend)?;
            outbox.to_owned()
        }
        _ => match (can_receive, can_send) {
            (true, true) => format!("({inbox} OR {outbox})"),
            (true, false) => inbox.to_owned(),
            (false, true) => outbox.to_owned(),
            (false, false) => {
                me.require(Permission::DocumentsReceive)?;
                inbox.to_owned()
            }
        },
    };
    let mut query = Query::new(
        format!("SELECT {DOC_COLUMNS} {DOC_FROM} WHERE {scope}"),
        vec![Box::new(me.company_id.clone())],
    );
    if let Some(partner) = cx.query("partner") {
        let partner = CompanyId::parse_field("partner", partner.trim())?;
        query.filter(" AND p.id = ?n", partner);
    }
    if let Some(kind) = cx.query("type") {
        let kind = DocumentType::parse("type", kind.trim())?;
        query.filter(" AND d.type = ?n", kind.as_str().to_owned());
    }
    if let Some(status) = cx.query("status") {
        let status = DocumentStatus::parse("status", status.trim())?;
        query.filter(" AND d.status = ?n", status.as_str().to_owned());
    }
    if let Some(since) = cx.query("since") {
        let since = time::parse("since", since.trim())?;
        query.filter(" AND d.created_at >= ?n", time::format(since));
    }
    if let Some(until) = cx.query("until") {
        let until = time::parse("until", until.trim())?;
        query.filter(" AND d.created_at < ?n", time::format(until));
    }
    if let Some(reference) = cx.query("reference") {
        let reference = validate::text("reference", &reference, 1, REFERENCE_MAX)?;
        query.filter(
            " AND (d.reference = ?n OR d.recipient_reference = ?n)",
            reference,
        );
    }
    if let Some(order) = order {
        query.filter(
            " AND d.order_id = (SELECT order_id FROM documents WHERE id = ?n)",
            order,
        );
    }
    if let Some(before) = page.before.clone() {
        query.filter(" AND d.id < ?n", before);
    }
    query.filter(" ORDER BY d.id DESC LIMIT ?n", page.fetch());
    let rows: Vec<DocRow> = query.all(&cx.db).await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let counts: Option<CountRow> = cx
        .db
        .first(
            "SELECT (SELECT COUNT(*) FROM documents WHERE recipient_id = ?1 AND status = 'new') \
             AS new, (SELECT COUNT(*) FROM documents WHERE sender_id = ?1 AND status = 'held') \
             AS held",
            &[&me.company_id],
        )
        .await?;
    let data = rows.iter().map(|r| r.out(&me.company_id, None)).collect();
    edge::json(
        200,
        &DocumentList {
            list: List { data, next_cursor },
            counts: counts.map_or(Counts { new: 0, held: 0 }, |c| Counts {
                new: c.new as u64,
                held: c.held as u64,
            }),
        },
    )
}

pub async fn get_document(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, _) = model::load_for(&cx.db, &me, id).await?;
    respond_with(cx, &me, &row.id, 200).await
}

/// The document as the caller sees it now, with its history.
pub async fn respond_with(
    cx: &Ctx,
    me: &Principal,
    id: &DocumentId,
    status: u16,
) -> Result<Response> {
    let (row, _) = model::load_for(&cx.db, me, id.as_str()).await?;
    let history = model::history(&cx.db, &row.id).await?;
    edge::json(status, &row.out(&me.company_id, Some(history)))
}

pub async fn get_document_content(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, side) = model::load_for(&cx.db, &me, id).await?;
    if row.status()? == DocumentStatus::Discarded {
        return Err(Error::conflict(
            "file_deleted",
            "the document was discarded and its file deleted",
        ));
    }
    let file = store::StoredFile {
        key: &row.object_key,
        size: row.size as u64,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    match store::serve(cx, &file).await? {
        store::Served::Body(response) => {
            if side == Actor::Recipient && document::first_download(row.status()?) {
                mark_downloaded(cx, &me, &row).await?;
            }
            Ok(response)
        }
        served => Ok(served.response()),
    }
}

async fn mark_downloaded(cx: &Ctx, me: &Principal, row: &DocRow) -> Result<()> {
    let now = time::format(cx.now);
    let event = Event::new(
        "document.downloaded",
        &row.sender_id,
        row.facts(DocumentStatus::Downloaded).data(),
        cx.now,
    )?;
    let update = cx.db.stmt(
        "UPDATE documents SET status = 'downloaded', downloaded_at = ?1, updated_at = ?1 \
         WHERE id = ?2 AND status = 'new'",
        &[&now, &row.id],
    )?;
    let history = model::history_stmt(
        cx,
        &row.id,
        DocumentStatus::Downloaded,
        Actor::Recipient,
        Some(me),
        &Entry::default(),
        true,
    )?;
    let changed = cx
        .db
        .batch(vec![
            update,
            history,
            events::outbox_stmt_if_changed(&cx.db, &event)?,
        ])
        .await?;
    // Another download got there first: that one reported it.
    if changed.first().copied().unwrap_or(0) > 0 {
        cx.publish(vec![event]);
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AckIn {
    #[serde(default)]
    reference: Option<String>,
}

pub async fn acknowledge_document(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, side) = model::load_for(&cx.db, &me, id).await?;
    recipient_only(side)?;
    let input: AckIn = cx.optional_body().await?;
    let reference =
        validate::optional_text("reference", input.reference.as_deref(), REFERENCE_MAX)?;
    let current = row.status()?;
    if !document::acknowledge(current)? {
        return respond_with(cx, &me, &row.id, 200).await;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusIn {
    status: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking_number: Option<String>,
}

pub async fn report_document_status(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, side) = model::load_for(&cx.db, &me, id).await?;
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
    let current = row.status()?;
    document::report(current, to)?;
    if to == DocumentStatus::Rejected && reason.is_none() {
        return Err(Error::invalid("reason", "say why the document is rejected"));
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelIn {
    #[serde(default)]
    reason: Option<String>,
}

pub async fn cancel_document(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, side) = model::load_for(&cx.db, &me, id).await?;
    if side != Actor::Sender {
        return Err(Error::forbidden(
            "sender_only",
            "only the company that sent the document may cancel it",
        ));
    }
    let input: CancelIn = cx.optional_body().await?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), NOTE_MAX)?;
    let current = row.status()?;
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
async fn change_status(cx: &Ctx, me: &Principal, row: &DocRow, mv: Move<'_>) -> Result<Response> {
    let update = cx.db.stmt(
        "UPDATE documents SET status = ?1, updated_at = ?2, \
         recipient_reference = COALESCE(?3, recipient_reference) WHERE id = ?4 AND status = ?5",
        &[
            &mv.to.as_str(),
            &time::format(cx.now),
            &mv.entry.reference,
            &row.id,
            &mv.from.as_str(),
        ],
    )?;
    let mut statements = vec![
        update,
        model::history_stmt(cx, &row.id, mv.to, mv.actor, Some(me), &mv.entry, true)?,
    ];
    let mut emitted = Vec::new();
    if let Some((to_company, kind)) = mv.tell {
        let mut data = row.facts(mv.to).data();
        if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), mv.extra) {
            data.extend(extra);
        }
        let event = Event::new(kind, to_company, data, cx.now)?;
        statements.push(events::outbox_stmt_if_changed(&cx.db, &event)?);
        emitted.push(event);
    }
    let changed = cx.db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        return Err(Error::conflict(
            "changed_meanwhile",
            "the document changed while this request ran; load it again",
        ));
    }
    cx.publish(emitted);
    respond_with(cx, me, &row.id, 200).await
}
