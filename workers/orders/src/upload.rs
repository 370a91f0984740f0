//! The upload pipeline: how a file becomes a document in a partner's inbox. Every way in (a raw
//! body, a browser form, the completion of a multipart upload) runs the same steps, in this
//! order, each a function below:
//!
//! 1. **headers** — what the upload says about its file ([`meta_from_headers`], or the form's
//!    fields), and its announced length;
//! 2. **checks** — everything that can be decided before a byte is read ([`prepare`], in one
//!    round trip with the file's announcement): the partner, the relationship (deliver, hold at
//!    first contact, or refuse), the document it answers; a retry with a known
//!    `Idempotency-Key` is answered here ([`replay`]);
//! 3. **stream to R2 with the hash** — the body goes to the bucket chunk by chunk through a tap
//!    that hashes it and keeps an order file's start for the recogniser ([`receive`]);
//! 4. **one write batch** — the document, its first status bar entry, the relationship request at
//!    first contact, the file's settlement and the events, all or nothing ([`write`]);
//! 5. **events** — sent to the queue after the answer (`Cx::publish`).
//!
//! A failure after step 3 deletes the file again when the batch surely wrote nothing
//! (`store::discard`); a file whose row may have landed, or one left by a request that was cut
//! off, is announced in `pending_objects` and the sweep decides.

use serde_json::json;
use shared::data::companies::CompanyOut;
use shared::data::documents::{self, DocumentRow, Entry, HistoryEntry, NewDocument};
use shared::data::relationships::{self, Link, NewRelationship, PartnerNamed};
use shared::data::{events, pending};
use shared::document::{self, Actor, DocumentStatus, DocumentType, EventFacts};
use shared::event::Event;
use shared::formats::Recognition;
use shared::ids::{DocumentId, RelationshipId};
use shared::permissions::Principal;
use shared::platform::Statement;
use shared::relationship::{PartyRole, RelationshipStatus, Service, Services, Settings};
use shared::service::store;
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::DocumentOut;

/// The default limit of one uploaded file (`MAX_UPLOAD_BYTES`).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// The most characters of a reference.
pub const REFERENCE_MAX: usize = 200;

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

/// The largest upload.
pub fn max_upload(cx: &Cx) -> u64 {
    cx.number("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
}

// 1. Headers.

/// The upload's metadata from the `Tradepost-*` headers.
///
/// # Errors
/// 422 naming the header's field when one is missing or invalid.
pub fn meta_from_headers(cx: &Cx) -> Result<UploadMeta> {
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
        idempotency_key: cx.idempotency_key()?,
    })
}

/// The announced length of a raw body, checked against the limit.
///
/// # Errors
/// As [`store::content_length`].
pub fn content_length(cx: &Cx, limit: u64) -> Result<u64> {
    store::content_length(
        cx,
        limit,
        &format!(
            "files are limited to {}; send larger ones as a multipart upload (/v1/uploads)",
            store::size_text(limit)
        ),
    )
}

// 2. Checks.

/// What an upload for a partner does.
pub enum Target {
    /// Deliver into the inbox over this active relationship.
    Deliver {
        relationship: RelationshipId,
        customer_number: Option<String>,
    },
    /// Hold until the open request of this relationship is approved.
    Hold { relationship: RelationshipId },
    /// First contact: open a relationship request, then hold.
    Request { relationship: RelationshipId },
}

impl Target {
    fn relationship(&self) -> &RelationshipId {
        match self {
            Target::Deliver { relationship, .. }
            | Target::Hold { relationship }
            | Target::Request { relationship } => relationship,
        }
    }

    fn customer_number(&self) -> Option<&str> {
        match self {
            Target::Deliver {
                customer_number, ..
            } => customer_number.as_deref(),
            _ => None,
        }
    }

    fn status(&self) -> DocumentStatus {
        match self {
            Target::Deliver { .. } => DocumentStatus::New,
            Target::Hold { .. } | Target::Request { .. } => DocumentStatus::Held,
        }
    }
}

/// Where an upload goes, decided before a byte is stored.
pub struct Prepared {
    pub partner: CompanyOut,
    pub target: Target,
    /// The answered document and its order.
    pub reply: Option<(DocumentId, DocumentId)>,
    /// The bucket key announced for the file (when [`prepare`] was given one).
    pub key: String,
    /// The sender's document the upload's `Idempotency-Key` already names (when [`prepare`] was
    /// given a file): the upload is a retry, for [`replay`].
    pub existing: Option<DocumentRow>,
}

/// Checks everything about an upload that can be checked before its bytes are read, in one
/// round trip (one more only to find the document it answers). Given the id of the `file`'s
/// document (an upload whose file comes with the request), the same round trip announces the
/// file's key and looks its `Idempotency-Key` up; a failed check forgets the announcement again,
/// a retry leaves that to the caller. Without (a multipart upload's start and completion) the
/// key is empty.
///
/// # Errors
/// 422 naming `recipient` or `in_reply_to`; 403 `relationship_blocked`; 409
/// `relationship_not_active` or `service_not_enabled`.
pub async fn prepare(
    cx: &Cx,
    me: &Principal,
    meta: &UploadMeta,
    file: Option<&DocumentId>,
) -> Result<Prepared> {
    let named = PartnerNamed::parse("recipient", &meta.recipient)?;
    let (row, existing) = documents::before_upload(
        &cx.db,
        &me.company_id,
        &named,
        file,
        file.and(meta.idempotency_key.as_deref()),
        Time(cx.now),
    )
    .await?;
    // What the batch announced: the key under the named company (none when no company has it).
    let key = match (file, &row) {
        (Some(id), Some(r)) => document::object_key(r.company_id(), id),
        _ => String::new(),
    };
    let checked = async {
        let (partner, link) = named.link_of(&me.company_id, row)?;
        let reply = match meta.in_reply_to.as_deref() {
            None => None,
            Some(text) => {
                let answered = DocumentId::parse_field("in_reply_to", text.trim())?;
                let order = documents::order_of(&cx.db, &me.company_id, &partner.id, &answered)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(
                            "in_reply_to",
                            "no document exchanged with this partner has this id",
                        )
                    })?;
                Some((answered, order))
            }
        };
        let target = target(cx, me, link)?;
        Ok(Prepared {
            partner,
            target,
            reply,
            key: key.clone(),
            existing,
        })
    }
    .await;
    if checked.is_err() && !key.is_empty() {
        pending::forget(&cx.db, &key).await;
    }
    checked
}

/// Decides where an upload from `me` goes, by its relationship with the partner (`link`, none
/// at first contact).
fn target(cx: &Cx, me: &Principal, link: Option<Link>) -> Result<Target> {
    let Some(link) = link else {
        return Ok(Target::Request {
            relationship: RelationshipId::new(cx.now)?,
        });
    };
    if link.status == RelationshipStatus::Requested {
        return Ok(Target::Hold {
            relationship: link.id,
        });
    }
    link.require_service(Service::Documents)?;
    let customer_number = if link.customer_id == me.company_id {
        link.customer_number
    } else {
        None
    };
    Ok(Target::Deliver {
        relationship: link.id,
        customer_number,
    })
}

/// The sender's document with this `Idempotency-Key`, if the upload has one and it was used.
///
/// # Errors
/// A database error.
pub async fn idempotent(cx: &Cx, me: &Principal, meta: &UploadMeta) -> Result<Option<DocumentRow>> {
    match &meta.idempotency_key {
        Some(key) => documents::by_idempotency_key(&cx.db, &me.company_id, key).await,
        None => Ok(None),
    }
}

/// The answer to a retried upload: the original document (200, `Idempotent-Replayed: true`),
/// or 409 for other bytes.
///
/// # Errors
/// 409 `idempotency_key_reused`.
pub async fn replay(
    cx: &Cx,
    me: &Principal,
    existing: &DocumentRow,
    sha256: &str,
) -> Result<Reply> {
    if existing.sha256 != sha256 {
        return Err(Error::conflict(
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for document {} with other content",
                existing.id
            ),
        ));
    }
    let history = documents::history(&cx.db, &existing.id).await?;
    Ok(Reply::json(
        200,
        &DocumentOut::of(existing, &me.company_id, Some(history)),
    )?
    .with_header("idempotent-replayed", "true"))
}

// 3. Stream to R2 with the hash.

/// A stored file about to become a document.
pub struct NewFile {
    pub id: DocumentId,
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub recognition: Recognition,
    /// Whether the file stays when its document cannot be written: an assembled multipart
    /// upload, which the retried complete uses again (its announcement lets the sweep remove it
    /// if none comes).
    pub kept_on_failure: bool,
}

/// Receives the raw body of `length` bytes as the file of document `id`, at the key
/// [`prepare`] announced.
///
/// # Errors
/// 413, 400 `body_incomplete`, 500 when the bucket fails (nothing is left behind).
pub async fn receive(
    cx: &mut Cx,
    prepared: &Prepared,
    id: DocumentId,
    length: u64,
    limit: u64,
) -> Result<NewFile> {
    let tap = store::receive_announced(cx, &prepared.key, length, limit, true).await?;
    let t = tap.borrow();
    Ok(NewFile {
        id,
        key: prepared.key.clone(),
        size: length,
        sha256: t.hash.finish_hex(),
        recognition: t.recognition(),
        kept_on_failure: false,
    })
}

// 4. One write batch, and 5. the events.

/// Writes the document of a stored file, with its history entry, the relationship request at
/// first contact, `extra` statements (a completed multipart upload) and the events, in one
/// transaction; then answers 201. On any failure the file is deleted again; a concurrent upload
/// with the same `Idempotency-Key` that won is answered as a replay, and one that opened the
/// relationship request first is joined.
///
/// # Errors
/// A database error; 409 `idempotency_key_reused`.
pub async fn finish(
    cx: &Cx,
    me: &Principal,
    meta: &UploadMeta,
    mut prepared: Prepared,
    file: NewFile,
    extra: Vec<Statement>,
) -> Result<Reply> {
    let mut outcome = write(cx, me, meta, &prepared, &file, extra.clone()).await;
    // Another first-contact upload to the same partner opened the relationship request
    // meanwhile: this one joins it (and is held with it), as if it had come second.
    if let (Err(e), Target::Request { .. }) = (&outcome, &prepared.target) {
        if e.unique_violation() == Some(relationships::PAIR_TAKEN) {
            outcome = async {
                prepared.target = prepare(cx, me, meta, None).await?.target;
                write(cx, me, meta, &prepared, &file, extra).await
            }
            .await;
        }
    }
    match outcome {
        Ok(events) => {
            cx.publish(events);
            // Answered from what was written: reading it back would cost two more round trips.
            let row = written_row(cx, me, meta, &prepared, &file);
            if row.kind == DocumentType::Invoice {
                queue_invoice(cx, &row.id);
            }
            let history = vec![HistoryEntry {
                status: row.status,
                at: row.created_at,
                by: Actor::Sender,
                company_id: Some(me.company_id.clone()),
                note: None,
                reason: None,
                carrier: None,
                tracking_number: None,
                reference: meta.reference.clone(),
            }];
            Ok(
                Reply::json(201, &DocumentOut::of(&row, &me.company_id, Some(history)))?
                    .with_header("location", format!("/v1/documents/{}", row.id)),
            )
        }
        Err(e) => {
            let existing = match e.unique_violation() {
                Some(documents::IDEMPOTENCY_KEY_TAKEN) => idempotent(cx, me, meta).await?,
                _ => None,
            };
            // The file is the winner's when both came from one multipart upload.
            let ours = existing.as_ref().is_none_or(|d| d.object_key != file.key);
            if ours && !file.kept_on_failure {
                store::discard(cx, &file.key, &e).await;
            }
            match existing {
                Some(existing) => replay(cx, me, &existing, &file.sha256).await,
                None => Err(e),
            }
        }
    }
}

/// Puts a stored invoice on the invoices queue once the answer is out, for the invoices worker
/// to read. A failed send is logged; that worker's cron reads what the queue missed.
fn queue_invoice(cx: &Cx, id: &DocumentId) {
    let Some(queue) = cx.env.invoice_queue.clone() else {
        shared::service::log_error(
            "an invoice stored by a worker without the INVOICE_QUEUE binding",
        );
        return;
    };
    let message = json!({ "document_id": id }).to_string();
    let id = id.clone();
    cx.env.background.spawn(Box::pin(async move {
        if let Err(e) = queue.send(message, 0).await {
            shared::service::log_error(&format!("queueing invoice {id} to be read failed: {e}"));
        }
    }));
}

/// The batch of one upload; returns the events it wrote to the outbox.
async fn write(
    cx: &Cx,
    me: &Principal,
    meta: &UploadMeta,
    prepared: &Prepared,
    file: &NewFile,
    extra: Vec<Statement>,
) -> Result<Vec<Event>> {
    let target = &prepared.target;
    let status = target.status();
    let now = Time(cx.now);
    let mut statements = Vec::new();
    let mut emitted = Vec::new();
    if let Target::Request { relationship } = target {
        let (insert, event) = request_stmt(cx, relationship, me, &prepared.partner, meta)?;
        statements.push(insert);
        emitted.push(event);
    }
    let (format, summary, parse_error) = file.recognition.columns();
    let (in_reply_to, order_id) = match &prepared.reply {
        Some((answered, order)) => (Some(answered), order),
        None => (None, &file.id),
    };
    statements.push(documents::insert_stmt(&NewDocument {
        id: &file.id,
        relationship_id: target.relationship(),
        sender: me,
        recipient_id: &prepared.partner.id,
        kind: meta.kind,
        filename: &meta.filename,
        content_type: &meta.content_type,
        size: file.size,
        sha256: &file.sha256,
        object_key: &file.key,
        reference: meta.reference.as_deref(),
        customer_number: target.customer_number(),
        in_reply_to,
        order_id,
        status,
        format: format.as_deref(),
        summary: summary.as_deref(),
        parse_error: parse_error.as_deref(),
        idempotency_key: meta.idempotency_key.as_deref(),
        now,
    }));
    statements.push(documents::history_stmt(
        &file.id,
        status,
        Actor::Sender,
        Some(me),
        &Entry {
            reference: meta.reference.as_deref(),
            ..Entry::default()
        },
        false,
        now,
    ));
    statements.push(pending::settle_stmt(&file.key));
    statements.extend(extra);
    if status == DocumentStatus::New {
        let facts = EventFacts {
            id: file.id.clone(),
            kind: meta.kind.as_str().to_owned(),
            filename: meta.filename.clone(),
            size: file.size,
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
    statements.extend(emitted.iter().map(events::insert_stmt));
    cx.db.batch(statements).await?;
    Ok(emitted)
}

/// The relationship request a first-contact upload opens, with its event. Whoever sends an
/// order, a request for quote or a complaint is the customer.
fn request_stmt(
    cx: &Cx,
    relationship: &RelationshipId,
    me: &Principal,
    partner: &CompanyOut,
    meta: &UploadMeta,
) -> Result<(Statement, Event)> {
    let my_role: PartyRole = meta.kind.sender_role();
    let message = format!(
        "First contact: a document ({}, {}) is waiting for you.",
        meta.kind, meta.filename
    );
    let insert = relationships::insert_stmt(&NewRelationship {
        id: relationship,
        requester: &me.company_id,
        addressee: &partner.id,
        requester_role: my_role,
        status: RelationshipStatus::Requested,
        services: &Services::default_request(),
        message: Some(&message),
        settings: &Settings::default(),
        now: Time(cx.now),
    });
    let event = Event::new(
        "relationship.requested",
        &partner.id,
        json!({
            "relationship_id": relationship,
            "from_company_id": me.company_id,
            "role": my_role.opposite(),
            "first_contact": true,
        }),
        cx.now,
    )?;
    Ok((insert, event))
}

/// The document as [`write`] stored it.
fn written_row(
    cx: &Cx,
    me: &Principal,
    meta: &UploadMeta,
    prepared: &Prepared,
    file: &NewFile,
) -> DocumentRow {
    let (format, summary, parse_error) = file.recognition.columns();
    let (in_reply_to, order_id) = match &prepared.reply {
        Some((answered, order)) => (Some(answered.clone()), order.clone()),
        None => (None, file.id.clone()),
    };
    let partner = &prepared.partner;
    let now = Time(cx.now);
    DocumentRow {
        id: file.id.clone(),
        relationship_id: prepared.target.relationship().clone(),
        sender_id: me.company_id.clone(),
        recipient_id: partner.id.clone(),
        kind: meta.kind,
        filename: meta.filename.clone(),
        content_type: meta.content_type.clone(),
        size: file.size,
        sha256: file.sha256.clone(),
        object_key: file.key.clone(),
        reference: meta.reference.clone(),
        recipient_reference: None,
        customer_number: prepared.target.customer_number().map(str::to_owned),
        in_reply_to,
        order_id,
        status: prepared.target.status(),
        format: format.and_then(|f| serde_json::from_value(serde_json::Value::String(f)).ok()),
        summary,
        parse_error,
        created_at: now,
        updated_at: now,
        downloaded_at: None,
        partner_id: partner.id.clone(),
        partner_name: partner.name.clone(),
        partner_handle: partner.handle.clone(),
        partner_created_at: partner.created_at,
    }
}
