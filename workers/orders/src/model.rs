//! Rows as stored and objects as sent, the queries that load them for a caller (another
//! company's document is a 404), and where an upload may go: the partner and the relationship.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::document::{self, Actor, DocumentStatus, DocumentType};
use shared::edge::context::Ctx;
use shared::edge::db::Db;
use shared::edge::partners;
pub use shared::edge::partners::CompanyOut;
use shared::event::Event;
use shared::ids::{CompanyId, DocumentId, RelationshipId};
use shared::permissions::{Permission, Principal};
use shared::relationship::{self, PartyRole, RelationshipStatus, Service, Services};
use shared::{time, Error, Result};
use worker::D1PreparedStatement;

pub const DOC_COLUMNS: &str = "d.id, d.relationship_id, d.sender_id, d.recipient_id, d.type, \
     d.filename, d.content_type, d.size, d.sha256, d.object_key, d.reference, \
     d.recipient_reference, d.customer_number, d.in_reply_to, d.order_id, d.status, d.format, \
     d.summary, d.parse_error, d.created_at, d.updated_at, d.downloaded_at, \
     p.id AS partner_id, p.name AS partner_name, p.handle AS partner_handle, \
     p.created_at AS partner_created_at";

/// `FROM` clause for [`DOC_COLUMNS`]: the partner is the other company than `?1`.
pub const DOC_FROM: &str = "FROM documents d JOIN companies p \
     ON p.id = CASE WHEN d.sender_id = ?1 THEN d.recipient_id ELSE d.sender_id END";

#[derive(Debug, Clone, Deserialize)]
pub struct DocRow {
    pub id: DocumentId,
    pub relationship_id: RelationshipId,
    pub sender_id: CompanyId,
    pub recipient_id: CompanyId,
    #[serde(rename = "type")]
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: f64,
    pub sha256: String,
    pub object_key: String,
    pub reference: Option<String>,
    pub recipient_reference: Option<String>,
    pub customer_number: Option<String>,
    pub in_reply_to: Option<DocumentId>,
    pub order_id: DocumentId,
    pub status: String,
    pub format: Option<String>,
    pub summary: Option<String>,
    pub parse_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub downloaded_at: Option<String>,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: String,
}

#[derive(Debug, Serialize)]
pub struct DocumentOut {
    pub id: DocumentId,
    #[serde(rename = "box")]
    pub mailbox: &'static str,
    pub partner: CompanyOut,
    pub relationship_id: RelationshipId,
    #[serde(rename = "type")]
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub reference: Option<String>,
    pub recipient_reference: Option<String>,
    pub customer_number: Option<String>,
    pub in_reply_to: Option<DocumentId>,
    pub order_id: DocumentId,
    pub status: String,
    pub format: Option<String>,
    pub summary: Value,
    pub parse_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub downloaded_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryOut>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryOut {
    pub status: String,
    pub at: String,
    pub by: String,
    pub company_id: Option<CompanyId>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub reference: Option<String>,
}

impl DocRow {
    pub fn status(&self) -> Result<DocumentStatus> {
        DocumentStatus::parse("status", &self.status)
            .map_err(|_| Error::internal(format!("stored status {} unknown", self.status)))
    }

    /// What events about this document carry, with the status it is moving to.
    pub fn facts(&self, status: DocumentStatus) -> document::EventFacts {
        document::EventFacts {
            id: self.id.clone(),
            kind: self.kind.clone(),
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

    /// The caller's side of this document.
    pub fn side(&self, company: &CompanyId) -> Option<Actor> {
        document::side(company, &self.sender_id, &self.recipient_id)
    }

    pub fn out(&self, me: &CompanyId, history: Option<Vec<HistoryOut>>) -> DocumentOut {
        DocumentOut {
            id: self.id.clone(),
            mailbox: if &self.sender_id == me {
                "outbox"
            } else {
                "inbox"
            },
            partner: CompanyOut {
                id: self.partner_id.clone(),
                name: self.partner_name.clone(),
                handle: self.partner_handle.clone(),
                created_at: self.partner_created_at.clone(),
            },
            relationship_id: self.relationship_id.clone(),
            kind: self.kind.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size as u64,
            sha256: self.sha256.clone(),
            reference: self.reference.clone(),
            recipient_reference: self.recipient_reference.clone(),
            customer_number: self.customer_number.clone(),
            in_reply_to: self.in_reply_to.clone(),
            order_id: self.order_id.clone(),
            status: self.status.clone(),
            format: self.format.clone(),
            summary: self
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null),
            parse_error: self.parse_error.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            downloaded_at: self.downloaded_at.clone(),
            history,
        }
    }
}

/// A document as the caller's company may see it, with the caller's side. Another company's
/// document, a held one for its recipient, or one the caller lacks the permission for: 404.
pub async fn load_for(db: &Db, me: &Principal, id: &str) -> Result<(DocRow, Actor)> {
    let id = DocumentId::parse(id)?;
    let row: Option<DocRow> = db
        .first(
            &format!(
                "SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.id = ?2 \
                 AND (d.sender_id = ?1 OR d.recipient_id = ?1)"
            ),
            &[&me.company_id, &id],
        )
        .await?;
    let row = row.ok_or(Error::not_found("document"))?;
    let side = row
        .side(&me.company_id)
        .ok_or(Error::not_found("document"))?;
    match side {
        Actor::Recipient if !row.status()?.visible_to_recipient() => {
            return Err(Error::not_found("document"))
        }
        Actor::Recipient => me.require(Permission::DocumentsReceive)?,
        _ => me.require(Permission::DocumentsSend)?,
    }
    Ok((row, side))
}

pub async fn history(db: &Db, id: &DocumentId) -> Result<Vec<HistoryOut>> {
    db.all(
        "SELECT status, at, actor AS by, company_id, note, reason, carrier, tracking_number, \
         reference FROM document_history WHERE document_id = ?1 ORDER BY seq",
        &[id],
    )
    .await
}

/// One entry of the status bar.
#[derive(Default)]
pub struct Entry<'a> {
    pub note: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub carrier: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub reference: Option<&'a str>,
}

/// The insert of a history entry for a document. With `guard`, it only happens when the
/// statement before it in the batch changed a row (the guarded status update).
pub fn history_stmt(
    cx: &Ctx,
    id: &DocumentId,
    status: DocumentStatus,
    actor: Actor,
    me: Option<&Principal>,
    entry: &Entry<'_>,
    guard: bool,
) -> Result<D1PreparedStatement> {
    let sql = format!(
        "INSERT INTO document_history (document_id, status, actor, company_id, user_id, \
         api_key_id, note, reason, carrier, tracking_number, reference, at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 {}",
        if guard { "WHERE changes() > 0" } else { "" }
    );
    cx.db.stmt(
        &sql,
        &[
            id,
            &status.as_str(),
            &actor.as_str(),
            &me.map(|m| m.company_id.clone()),
            &me.and_then(|m| m.user_id.clone()),
            &me.and_then(|m| m.api_key_id.clone()),
            &entry.note,
            &entry.reason,
            &entry.carrier,
            &entry.tracking_number,
            &entry.reference,
            &time::format(cx.now),
        ],
    )
}

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
    pub fn relationship(&self) -> &RelationshipId {
        match self {
            Target::Deliver { relationship, .. }
            | Target::Hold { relationship }
            | Target::Request { relationship } => relationship,
        }
    }

    pub fn held(&self) -> bool {
        !matches!(self, Target::Deliver { .. })
    }

    pub fn customer_number(&self) -> Option<&str> {
        match self {
            Target::Deliver {
                customer_number, ..
            } => customer_number.as_deref(),
            _ => None,
        }
    }
}

/// Decides where an upload from `me` goes, by its relationship with the partner (`link`, none
/// at first contact).
///
/// # Errors
/// 403 `relationship_blocked`; 409 `relationship_not_active` for a rejected one; 409
/// `service_not_enabled` when documents are not switched on.
pub fn target(cx: &Ctx, me: &CompanyId, link: Option<partners::Link>) -> Result<Target> {
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
    let customer_number = if &link.customer_id == me {
        link.customer_number
    } else {
        None
    };
    Ok(Target::Deliver {
        relationship: link.id,
        customer_number,
    })
}

/// The statements that open a relationship request at first contact, with its event.
pub fn request_stmts(
    cx: &Ctx,
    relationship: &RelationshipId,
    me: &CompanyId,
    partner: &CompanyId,
    kind: DocumentType,
    filename: &str,
) -> Result<(Vec<D1PreparedStatement>, Event)> {
    let my_role = kind.sender_role();
    let (supplier, customer) = match my_role {
        PartyRole::Supplier => (me, partner),
        PartyRole::Customer => (partner, me),
    };
    let now = time::format(cx.now);
    let message = format!("First contact: a document ({kind}, {filename}) is waiting for you.");
    let insert = cx.db.stmt(
        "INSERT INTO relationships (id, pair_key, requester_id, addressee_id, supplier_id, \
         customer_id, status, services, message, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'requested', ?7, ?8, ?9, ?9)",
        &[
            relationship,
            &relationship::pair_key(me, partner),
            me,
            partner,
            supplier,
            customer,
            &Services::default_request().to_json_string(),
            &message,
            &now,
        ],
    )?;
    let event = Event::new(
        "relationship.requested",
        partner,
        json!({
            "relationship_id": relationship,
            "from_company_id": me,
            "role": my_role.opposite(),
            "first_contact": true,
        }),
        cx.now,
    )?;
    Ok((vec![insert], event))
}

/// The document an upload answers: it must be one the caller's company may see, exchanged with
/// the same partner. Returns its order id.
pub async fn reply_target(
    db: &Db,
    me: &CompanyId,
    partner: &CompanyId,
    in_reply_to: Option<&str>,
) -> Result<Option<(DocumentId, DocumentId)>> {
    let Some(text) = in_reply_to else {
        return Ok(None);
    };
    let id = DocumentId::parse_field("in_reply_to", text.trim())?;
    #[derive(Deserialize)]
    struct Row {
        order_id: DocumentId,
        status: String,
        sender_id: CompanyId,
    }
    let row: Option<Row> = db
        .first(
            "SELECT order_id, status, sender_id FROM documents WHERE id = ?1 AND \
             ((sender_id = ?2 AND recipient_id = ?3) OR (sender_id = ?3 AND recipient_id = ?2))",
            &[&id, me, partner],
        )
        .await?;
    match row {
        Some(r)
            if &r.sender_id == me
                || DocumentStatus::parse("status", &r.status)
                    .is_ok_and(DocumentStatus::visible_to_recipient) =>
        {
            Ok(Some((id, r.order_id)))
        }
        _ => Err(Error::invalid(
            "in_reply_to",
            "no document exchanged with this partner has this id",
        )),
    }
}
