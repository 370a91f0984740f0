//! `/v1/documents/{id}/proofs` and `/v1/approvals`: a supplier attaches a proof to a document
//! and asks for approval, the customer approves or rejects it, both sides read the versions and
//! download the proofs.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::approval::{self, ApprovalStatus, DecideRequest, Decision};
use shared::document::{self, DocumentStatus};
use shared::edge::context::Ctx;
use shared::edge::db::{unique_violation, Db, Query};
use shared::edge::store;
use shared::edge::{self, events, internal, partners, List, Page};
use shared::event::Event;
use shared::ids::{ApprovalId, CompanyId, DocumentId, UserId};
use shared::permissions::{self as perms, Permission, Principal, Role};
use shared::relationship::{PartyRole, Service};
use shared::{time, Error, Result};
use worker::Response;

use crate::model::{self, ApprovalOut, ApprovalRow, APPROVAL_COLUMNS, APPROVAL_FROM};

/// The default limit of one proof file (`MAX_PROOF_BYTES`).
pub const DEFAULT_MAX_PROOF_BYTES: u64 = 100 * 1024 * 1024;

/// How often a proof is written before a stream of simultaneous proofs makes it give up.
const WRITE_ATTEMPTS: u32 = 5;

/// What a proof request says about its file, from the headers.
struct ProofMeta {
    filename: String,
    content_type: String,
    approvers: Option<Vec<UserId>>,
    note: Option<String>,
    idempotency_key: Option<String>,
}

/// The document a proof is attached to, as far as the proof needs it.
#[derive(Deserialize)]
struct DocRow {
    id: DocumentId,
    sender_id: CompanyId,
    recipient_id: CompanyId,
    status: String,
}

/// What is known about the document's proofs before a new one is written.
#[derive(Deserialize)]
struct Before {
    last_version: f64,
    pending_id: Option<ApprovalId>,
    pending_version: Option<f64>,
}

fn meta_from_headers(cx: &Ctx) -> Result<ProofMeta> {
    let raw_name = cx
        .header("tradepost-filename")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Error::invalid("filename", "send the Tradepost-Filename header"))?;
    Ok(ProofMeta {
        filename: document::filename(&raw_name, true)?,
        content_type: document::content_type(cx.header("content-type").as_deref()),
        approvers: approval::parse_approvers(cx.header("tradepost-approvers").as_deref())?,
        note: approval::note(cx.header("tradepost-note").as_deref())?,
        idempotency_key: cx
            .header("idempotency-key")
            .map(|k| document::idempotency_key(&k))
            .transpose()?,
    })
}

/// The document of a proof: exchanged with the caller's company and visible to it.
async fn load_document(db: &Db, me: &CompanyId, id: &str) -> Result<DocRow> {
    let id = DocumentId::parse(id)?;
    let row: Option<DocRow> = db
        .first(
            "SELECT id, sender_id, recipient_id, status FROM documents WHERE id = ?1 \
             AND (sender_id = ?2 OR recipient_id = ?2)",
            &[&id, me],
        )
        .await?;
    let row = row.ok_or(Error::not_found("document"))?;
    let visible = DocumentStatus::parse("status", &row.status)
        .is_ok_and(DocumentStatus::visible_to_recipient);
    if &row.recipient_id == me && !visible {
        return Err(Error::not_found("document"));
    }
    Ok(row)
}

#[derive(Deserialize)]
struct CandidateRow {
    id: UserId,
    role: String,
    permissions: String,
    status: String,
}

/// Checks that every named approver is an active person of the customer who may decide.
async fn check_approvers(db: &Db, customer: &CompanyId, approvers: &[UserId]) -> Result<()> {
    let list = serde_json::to_string(approvers).map_err(internal)?;
    let found: Vec<CandidateRow> = db
        .all(
            "SELECT id, role, permissions, status FROM users WHERE company_id = ?1 \
             AND id IN (SELECT value FROM json_each(?2))",
            &[customer, &list],
        )
        .await?;
    for id in approvers {
        let ok = found.iter().any(|u| {
            &u.id == id
                && u.status == "active"
                && (u.role == Role::Admin.as_str()
                    || perms::from_storage(&u.permissions).contains(&Permission::ApprovalsDecide))
        });
        if !ok {
            return Err(Error::invalid(
                "approvers",
                format!("{id} is not an active user of the customer who may decide approvals"),
            ));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct NameRow {
    name: String,
}

/// The caller's name as it is now: the person's name, or the API key's.
async fn caller_name(db: &Db, me: &Principal) -> Result<String> {
    let row: Option<NameRow> = match (&me.user_id, &me.api_key_id) {
        (Some(user), _) => {
            db.first("SELECT name FROM users WHERE id = ?1", &[user])
                .await?
        }
        (None, Some(key)) => {
            db.first("SELECT name FROM api_keys WHERE id = ?1", &[key])
                .await?
        }
        (None, None) => None,
    };
    row.map(|r| r.name)
        .ok_or_else(|| Error::internal("the caller's name is unknown"))
}

/// `POST /v1/documents/{id}/proofs`.
pub async fn create_proof(cx: &mut Ctx, document_id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::DocumentsSend)?;
    let meta = meta_from_headers(cx)?;
    let limit = cx.number("MAX_PROOF_BYTES", DEFAULT_MAX_PROOF_BYTES);
    let length = store::content_length(
        cx,
        limit,
        &format!("proofs are limited to {}", store::size_text(limit)),
    )?;
    let doc = load_document(&cx.db, &me.company_id, document_id).await?;
    let partner = if doc.sender_id == me.company_id {
        &doc.recipient_id
    } else {
        &doc.sender_id
    };
    let link = partners::link(&cx.db, &me.company_id, partner)
        .await?
        .ok_or(Error::not_found("document"))?;
    if link.customer_id == me.company_id {
        return Err(Error::forbidden(
            "not_supplier",
            "only the supplier of the relationship attaches proofs",
        ));
    }
    link.require_service(Service::Approvals)?;
    if let Some(approvers) = &meta.approvers {
        check_approvers(&cx.db, &link.customer_id, approvers).await?;
    }
    let requested_by = caller_name(&cx.db, &me).await?;
    if let Some(key) = &meta.idempotency_key {
        if let Some(existing) = find_idempotent(&cx.db, &me.company_id, key).await? {
            let sha256 = store::body_sha256(cx, length, limit).await?;
            return replay(cx, &me, &existing, &doc.id, &sha256).await;
        }
    }

    let id = ApprovalId::new(cx.now)?;
    let key = approval::object_key(&link.customer_id, &id);
    let tap = store::receive(cx, &key, length, limit, false).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    let new = NewProof {
        id: &id,
        key: &key,
        size: length,
        sha256: &sha256,
        requested_by: &requested_by,
    };
    // A proof for the same document that took the version meanwhile only means this one comes
    // next: the stored file is kept and the versions are read again.
    let mut attempts = 0;
    let outcome = loop {
        attempts += 1;
        let outcome = write_proof(cx, &me, &doc, &link, &meta, &new).await;
        let collided = matches!(&outcome, Err(e) if unique_violation(e));
        // Unless the same proof (by its Idempotency-Key) was written meanwhile: answered below.
        if collided
            && attempts < WRITE_ATTEMPTS
            && !key_taken(&cx.db, &me.company_id, &meta).await?
        {
            continue;
        }
        break outcome;
    };
    match outcome {
        Ok(emitted) => {
            cx.publish(emitted);
            let (row, _) = model::load_for(&cx.db, &me, id.as_str()).await?;
            let out = model::out_for(&cx.db, &me, &row, false).await?;
            let response = edge::json(201, &out)?;
            response
                .headers()
                .set("location", &format!("/v1/approvals/{id}"))
                .map_err(internal)?;
            Ok(response)
        }
        Err(e) => {
            store::discard(cx, &key).await;
            // The same proof sent again at the same moment took the key first.
            if let (true, Some(key)) = (unique_violation(&e), &meta.idempotency_key) {
                if let Some(existing) = find_idempotent(&cx.db, &me.company_id, key).await? {
                    return replay(cx, &me, &existing, &doc.id, &sha256).await;
                }
            }
            // Other proofs for the same document kept taking the version.
            if unique_violation(&e) {
                return Err(Error::conflict(
                    "changed_meanwhile",
                    "another proof for this document arrived at the same time; send it again",
                ));
            }
            Err(e)
        }
    }
}

/// The supplier's approval created with this `Idempotency-Key`, if any.
async fn find_idempotent(db: &Db, me: &CompanyId, key: &str) -> Result<Option<ApprovalRow>> {
    db.first(
        &format!(
            "SELECT {APPROVAL_COLUMNS} {APPROVAL_FROM} \
             WHERE a.supplier_id = ?1 AND a.idempotency_key = ?2"
        ),
        &[me, &key],
    )
    .await
}

/// Whether the proof's `Idempotency-Key` (if it has one) is taken already.
async fn key_taken(db: &Db, me: &CompanyId, meta: &ProofMeta) -> Result<bool> {
    match &meta.idempotency_key {
        Some(key) => Ok(find_idempotent(db, me, key).await?.is_some()),
        None => Ok(false),
    }
}

/// The answer to a proof sent again with its `Idempotency-Key`: the approval it created (200,
/// `Idempotent-Replayed: true`, as it is now), or 409 when the key came with another document
/// or other bytes.
async fn replay(
    cx: &Ctx,
    me: &Principal,
    existing: &ApprovalRow,
    document: &DocumentId,
    sha256: &str,
) -> Result<Response> {
    if &existing.document_id != document || existing.sha256 != sha256 {
        return Err(Error::conflict(
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for proof {} with another document or other content",
                existing.id
            ),
        ));
    }
    let out = model::out_for(&cx.db, me, existing, false).await?;
    let response = edge::json(200, &out)?;
    response
        .headers()
        .set("idempotent-replayed", "true")
        .map_err(internal)?;
    Ok(response)
}

/// A stored proof file about to become an approval.
struct NewProof<'a> {
    id: &'a ApprovalId,
    key: &'a str,
    size: u64,
    sha256: &'a str,
    requested_by: &'a str,
}

/// Supersedes the pending proof, writes the new one and settles its file, with the events, in
/// one transaction. The version is the next after the ones read just before: a proof that
/// arrived meanwhile took it, so the insert fails on UNIQUE (document_id, version) and nothing
/// is written (rather than events naming the wrong versions).
async fn write_proof(
    cx: &Ctx,
    me: &Principal,
    doc: &DocRow,
    link: &partners::Link,
    meta: &ProofMeta,
    new: &NewProof<'_>,
) -> Result<Vec<Event>> {
    let before: Option<Before> = cx
        .db
        .first(
            "SELECT COALESCE(MAX(version), 0) AS last_version, \
             (SELECT id FROM approvals WHERE document_id = ?1 AND status = 'pending' \
              ORDER BY version DESC LIMIT 1) AS pending_id, \
             (SELECT version FROM approvals WHERE document_id = ?1 AND status = 'pending' \
              ORDER BY version DESC LIMIT 1) AS pending_version \
             FROM approvals WHERE document_id = ?1",
            &[&doc.id],
        )
        .await?;
    let before = before.unwrap_or(Before {
        last_version: 0.0,
        pending_id: None,
        pending_version: None,
    });
    let version = before.last_version + 1.0;
    let now = time::format(cx.now);
    let mut statements = Vec::new();
    let mut emitted = Vec::new();
    statements.push(cx.db.stmt(
        "UPDATE approvals SET status = 'superseded', superseded_by = ?1, superseded_at = ?2, \
         updated_at = ?2 WHERE document_id = ?3 AND status = 'pending'",
        &[new.id, &now, &doc.id],
    )?);
    if let Some(pending) = &before.pending_id {
        let event = Event::new(
            "approval.superseded",
            &link.customer_id,
            json!({
                "approval_id": pending,
                "superseded_by": new.id,
                "document_id": doc.id,
                "version": before.pending_version.unwrap_or(0.0) as u32,
            }),
            cx.now,
        )?;
        statements.push(events::outbox_stmt_if_changed(&cx.db, &event)?);
        emitted.push(event);
    }
    let approvers = meta
        .approvers
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(internal)?;
    statements.push(cx.db.stmt(
        "INSERT INTO approvals (id, document_id, relationship_id, supplier_id, customer_id, \
         version, status, filename, content_type, size, sha256, object_key, note, approvers, \
         requested_by_user_id, requested_by_api_key_id, requested_by_name, created_at, \
         updated_at, idempotency_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
         ?16, ?17, ?17, ?18)",
        &[
            new.id,
            &doc.id,
            &link.id,
            &link.supplier_id,
            &link.customer_id,
            &version,
            &meta.filename,
            &meta.content_type,
            &new.size,
            &new.sha256,
            &new.key,
            &meta.note,
            &approvers,
            &me.user_id,
            &me.api_key_id,
            &new.requested_by,
            &now,
            &meta.idempotency_key,
        ],
    )?);
    statements.push(store::settle_stmt(cx, new.key)?);
    let requested = Event::new(
        "approval.requested",
        &link.customer_id,
        json!({
            "approval_id": new.id,
            "document_id": doc.id,
            "version": version as u32,
            "filename": meta.filename,
            "size": new.size,
            "sha256": new.sha256,
            "approvers": meta.approvers,
        }),
        cx.now,
    )?;
    statements.push(events::outbox_stmt(&cx.db, &requested)?);
    let changed = cx.db.batch(statements).await?;
    // The event of the superseded proof stays in the outbox only when one was pending.
    if changed.first().copied().unwrap_or(0) == 0 {
        emitted.clear();
    }
    emitted.push(requested);
    Ok(emitted)
}

#[derive(Deserialize)]
struct CountRow {
    to_decide: f64,
    to_decide_by_me: f64,
    awaiting_partner: f64,
}

#[derive(Serialize)]
struct Counts {
    to_decide: u64,
    to_decide_by_me: u64,
    awaiting_partner: u64,
}

#[derive(Serialize)]
struct ApprovalList {
    #[serde(flatten)]
    list: List<ApprovalOut>,
    counts: Counts,
}

/// SQL that holds for a pending approval the caller may decide: named, or nobody named. `?2`
/// is bound to [`decider_id`].
const DECIDABLE_BY_ME: &str = "?2 IS NOT NULL AND (a.approvers IS NULL OR EXISTS \
     (SELECT 1 FROM json_each(a.approvers) WHERE value = ?2))";

/// The caller's user id when the caller may decide approvals at all, else NULL (matches none).
fn decider_id(me: &Principal) -> Option<UserId> {
    approval::is_decider(me, None)
        .then(|| me.user_id.clone())
        .flatten()
}

/// `GET /v1/approvals`.
pub async fn list_approvals(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    model::require_reader(&me)?;
    let page = Page::from_request(&cx.req)?;
    let mut query = Query::new(
        format!(
            "SELECT {APPROVAL_COLUMNS} {APPROVAL_FROM} \
             WHERE (a.supplier_id = ?1 OR a.customer_id = ?1)"
        ),
        vec![Box::new(me.company_id.clone()), Box::new(decider_id(&me))],
    );
    if let Some(status) = cx.query("status") {
        let status = ApprovalStatus::parse("status", status.trim())?;
        query.filter(" AND a.status = ?n", status.as_str());
    }
    if let Some(doc) = cx.query("document_id") {
        let doc = DocumentId::parse_field("document_id", doc.trim())?;
        query.filter(" AND a.document_id = ?n", doc);
    }
    if let Some(partner) = cx.query("partner") {
        let partner = CompanyId::parse_field("partner", partner.trim())?;
        query.filter(" AND p.id = ?n", partner);
    }
    if let Some(side) = cx.query("side") {
        match PartyRole::parse("side", side.trim())? {
            PartyRole::Supplier => query.push(" AND a.supplier_id = ?1"),
            PartyRole::Customer => query.push(" AND a.customer_id = ?1"),
        }
    }
    if let Some(who) = cx.query("for") {
        if who.trim() != "me" {
            return Err(Error::invalid("for", "must be me"));
        }
        query.push(&format!(
            " AND a.customer_id = ?1 AND a.status = 'pending' AND {DECIDABLE_BY_ME}"
        ));
    }
    if let Some(before) = page.before.clone() {
        query.filter(" AND a.id < ?n", before);
    }
    query.filter(" ORDER BY a.id DESC LIMIT ?n", page.fetch());
    let rows: Vec<ApprovalRow> = query.all(&cx.db).await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let counts: Option<CountRow> = cx
        .db
        .first(
            &format!(
                "SELECT (SELECT COUNT(*) FROM approvals WHERE customer_id = ?1 \
                 AND status = 'pending') AS to_decide, \
                 (SELECT COUNT(*) FROM approvals a WHERE a.customer_id = ?1 \
                 AND a.status = 'pending' AND {DECIDABLE_BY_ME}) AS to_decide_by_me, \
                 (SELECT COUNT(*) FROM approvals WHERE supplier_id = ?1 \
                 AND status = 'pending') AS awaiting_partner"
            ),
            &[&me.company_id, &decider_id(&me)],
        )
        .await?;
    let names = model::approver_names(&cx.db, &rows).await?;
    let data = rows
        .iter()
        .map(|r| r.out(&me.company_id, &names, None))
        .collect::<Result<Vec<_>>>()?;
    let counts = counts.map_or(
        Counts {
            to_decide: 0,
            to_decide_by_me: 0,
            awaiting_partner: 0,
        },
        |c| Counts {
            to_decide: c.to_decide as u64,
            to_decide_by_me: c.to_decide_by_me as u64,
            awaiting_partner: c.awaiting_partner as u64,
        },
    );
    edge::json(
        200,
        &ApprovalList {
            list: List { data, next_cursor },
            counts,
        },
    )
}

/// `GET /v1/approvals/{id}`: the approval with every version of its document's proofs.
pub async fn get_approval(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, _) = model::load_for(&cx.db, &me, id).await?;
    edge::json(200, &model::out_for(&cx.db, &me, &row, true).await?)
}

/// `GET|HEAD /v1/approvals/{id}/content`: the proof file.
pub async fn get_approval_content(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, _) = model::load_for(&cx.db, &me, id).await?;
    let file = store::StoredFile {
        key: &row.object_key,
        size: row.size as u64,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    Ok(store::serve(cx, &file).await?.response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DecisionIn {
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /v1/approvals/{id}/approve` and `…/reject`.
pub async fn decide_approval(cx: &mut Ctx, id: &str, decision: Decision) -> Result<Response> {
    let me = cx.principal().await?;
    let (row, side) = model::load_for(&cx.db, &me, id).await?;
    let input: DecisionIn = match decision {
        Decision::Approved => cx.optional_body().await?,
        Decision::Rejected => cx.body().await?,
    };
    let approvers = row.approver_ids()?;
    let rules = |status| DecideRequest {
        side,
        caller: &me,
        approvers: approvers.as_deref(),
        status,
    };
    approval::may_decide(&rules(row.status()?))?;
    let comment = approval::comment(decision, input.comment.as_deref())?;
    partners::require_service(&cx.db, &me.company_id, &row.supplier_id, Service::Approvals).await?;
    let user = me.require_user()?;
    let name = caller_name(&cx.db, &me).await?;
    let now = time::format(cx.now);
    let update = cx.db.stmt(
        "UPDATE approvals SET status = ?1, decided_at = ?2, decided_by_user_id = ?3, \
         decided_by_name = ?4, comment = ?5, decided_sha256 = sha256, updated_at = ?2 \
         WHERE id = ?6 AND status = 'pending'",
        &[
            &decision.status().as_str(),
            &now,
            user,
            &name,
            &comment,
            &row.id,
        ],
    )?;
    let event = Event::new(
        "approval.decided",
        &row.supplier_id,
        json!({
            "approval_id": row.id,
            "document_id": row.document_id,
            "version": row.version as u32,
            "decision": decision,
            "comment": comment,
            "sha256": row.sha256,
            "decided_by_name": name,
        }),
        cx.now,
    )?;
    let changed = cx
        .db
        .batch(vec![
            update,
            events::outbox_stmt_if_changed(&cx.db, &event)?,
        ])
        .await?;
    let (row, _) = model::load_for(&cx.db, &me, row.id.as_str()).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        // Decided or superseded meanwhile: answer as if the request had come a moment later.
        approval::may_decide(&rules(row.status()?))?;
        return Err(Error::conflict(
            "changed_meanwhile",
            "the approval changed while this request ran; load it again",
        ));
    }
    cx.publish(vec![event]);
    edge::json(200, &model::out_for(&cx.db, &me, &row, true).await?)
}
