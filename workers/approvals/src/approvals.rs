//! `/v1/documents/{id}/proofs` and `/v1/approvals`: a supplier attaches a proof to a document
//! and asks for approval, the customer approves or rejects it, both sides read the versions and
//! download the proofs.

use std::collections::HashMap;

use serde_json::json;
use shared::approval::{self, ApprovalStatus, DecideRequest, Decision};
use shared::data::approvals::{self, ApprovalRow, Filter, NewProof};
use shared::data::documents::{self, DocumentHead};
use shared::data::relationships::{self, Link};
use shared::data::{api_keys, events, pending, users};
use shared::document;
use shared::event::Event;
use shared::ids::{ApprovalId, CompanyId, DocumentId, UserId};
use shared::permissions::{Permission, Principal};
use shared::relationship::{PartyRole, Service};
use shared::service::store::{self, StoredFile};
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{Error, Result};

use crate::api::{ApprovalList, ApprovalOut, ApprovalQuery, DecisionIn, VersionOut};

/// The default limit of one proof file (`MAX_PROOF_BYTES`).
pub const DEFAULT_MAX_PROOF_BYTES: u64 = 100 * 1024 * 1024;

/// How often a proof is written before a stream of simultaneous proofs makes it give up.
const WRITE_ATTEMPTS: u32 = 10;

/// The permissions that let a company's people and keys read approvals of either side.
pub const READ_PERMISSIONS: &[Permission] = &[
    Permission::DocumentsSend,
    Permission::DocumentsReceive,
    Permission::ApprovalsDecide,
];

/// What a proof request says about its file, from the headers.
struct ProofMeta {
    filename: String,
    content_type: String,
    approvers: Option<Vec<UserId>>,
    note: Option<String>,
    idempotency_key: Option<String>,
}

fn meta_from_headers(cx: &Cx) -> Result<ProofMeta> {
    let raw_name = cx
        .header("tradepost-filename")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Error::invalid("filename", "send the Tradepost-Filename header"))?;
    Ok(ProofMeta {
        filename: document::filename(&raw_name, true)?,
        content_type: document::content_type(cx.header("content-type").as_deref()),
        approvers: approval::parse_approvers(cx.header("tradepost-approvers").as_deref())?,
        note: approval::note(cx.header("tradepost-note").as_deref())?,
        idempotency_key: cx.idempotency_key()?,
    })
}

/// Checks that every named approver is an active person of the customer who may decide.
async fn check_approvers(cx: &Cx, customer: &CompanyId, approvers: &[UserId]) -> Result<()> {
    let found = users::among(&cx.db, &[customer], approvers).await?;
    for id in approvers {
        if !found.iter().any(|u| &u.id == id && u.decides()) {
            return Err(Error::invalid(
                "approvers",
                format!("{id} is not an active user of the customer who may decide approvals"),
            ));
        }
    }
    Ok(())
}

/// The caller's name as it is now: the person's name, or the API key's.
async fn caller_name(cx: &Cx, me: &Principal) -> Result<String> {
    let name = match (&me.user_id, &me.api_key_id) {
        (Some(user), _) => users::name(&cx.db, &me.company_id, user).await?,
        (None, Some(key)) => api_keys::name(&cx.db, &me.company_id, key).await?,
        (None, None) => None,
    };
    name.ok_or_else(|| Error::internal("the caller's name is unknown"))
}

/// `POST /v1/documents/{id}/proofs`.
pub async fn create_proof(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let meta = meta_from_headers(cx)?;
    let limit = cx.number("MAX_PROOF_BYTES", DEFAULT_MAX_PROOF_BYTES);
    let length = store::content_length(
        cx,
        limit,
        &format!("proofs are limited to {}", store::size_text(limit)),
    )?;
    let document_id = DocumentId::parse(cx.param("id"))?;
    let doc = documents::head(&cx.db, &me.company_id, &document_id)
        .await?
        .ok_or(Error::not_found("document"))?;
    let link = relationships::link(&cx.db, &me.company_id, doc.partner_of(&me.company_id))
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
        check_approvers(cx, &link.customer_id, approvers).await?;
    }
    let requested_by = caller_name(cx, &me).await?;
    if let Some(key) = &meta.idempotency_key {
        if let Some(existing) = approvals::by_idempotency_key(&cx.db, &me.company_id, key).await? {
            let sha256 = store::body_sha256(cx, length, limit).await?;
            return replay(cx, &me, &existing, &doc.id, &sha256).await;
        }
    }

    let id = ApprovalId::new(cx.now)?;
    let key = approval::object_key(&link.customer_id, &id);
    let tap = store::receive(cx, &key, length, limit, false).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    let new = StoredProof {
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
        let collided =
            matches!(&outcome, Err(e) if e.unique_violation() == Some(approvals::VERSION_TAKEN));
        // Unless the same proof (by its Idempotency-Key) was written meanwhile: answered below.
        if collided && attempts < WRITE_ATTEMPTS && !key_taken(cx, &me, &meta).await? {
            continue;
        }
        break outcome;
    };
    match outcome {
        Ok(emitted) => {
            cx.publish(emitted);
            let row = load(cx, &me, &id).await?;
            let out = out_for(cx, &me, &row, false).await?;
            Ok(Reply::json(201, &out)?.with_header("location", format!("/v1/approvals/{id}")))
        }
        Err(e) => {
            store::discard(cx, &key, &e).await;
            // The same proof sent again at the same moment took the key first.
            if let Some(key) = &meta.idempotency_key {
                if e.unique_violation().is_some() {
                    if let Some(existing) =
                        approvals::by_idempotency_key(&cx.db, &me.company_id, key).await?
                    {
                        return replay(cx, &me, &existing, &doc.id, &sha256).await;
                    }
                }
            }
            // Other proofs for the same document kept taking the version.
            if e.unique_violation() == Some(approvals::VERSION_TAKEN) {
                return Err(Error::conflict(
                    "changed_meanwhile",
                    "another proof for this document arrived at the same time; send it again",
                ));
            }
            Err(e)
        }
    }
}

/// Whether the proof's `Idempotency-Key` (if it has one) is taken already.
async fn key_taken(cx: &Cx, me: &Principal, meta: &ProofMeta) -> Result<bool> {
    match &meta.idempotency_key {
        Some(key) => Ok(approvals::by_idempotency_key(&cx.db, &me.company_id, key)
            .await?
            .is_some()),
        None => Ok(false),
    }
}

/// The answer to a proof sent again with its `Idempotency-Key`: the approval it created (200,
/// `Idempotent-Replayed: true`, as it is now), or 409 when the key came with another document
/// or other bytes.
async fn replay(
    cx: &Cx,
    me: &Principal,
    existing: &ApprovalRow,
    document: &DocumentId,
    sha256: &str,
) -> Result<Reply> {
    if &existing.document_id != document || existing.sha256 != sha256 {
        return Err(Error::conflict(
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for proof {} with another document or other content",
                existing.id
            ),
        ));
    }
    let out = out_for(cx, me, existing, false).await?;
    Ok(Reply::json(200, &out)?.with_header("idempotent-replayed", "true"))
}

/// A stored proof file about to become an approval.
struct StoredProof<'a> {
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
    cx: &Cx,
    me: &Principal,
    doc: &DocumentHead,
    link: &Link,
    meta: &ProofMeta,
    new: &StoredProof<'_>,
) -> Result<Vec<Event>> {
    let before = approvals::before(&cx.db, &doc.id).await?;
    let version = before.last_version + 1;
    let now = Time(cx.now);
    let mut statements = vec![approvals::supersede_stmt(&doc.id, new.id, now)];
    let mut emitted = Vec::new();
    if let Some(pending) = &before.pending_id {
        let event = Event::new(
            "approval.superseded",
            &link.customer_id,
            json!({
                "approval_id": pending,
                "superseded_by": new.id,
                "document_id": doc.id,
                "version": before.pending_version.unwrap_or(0),
            }),
            cx.now,
        )?;
        statements.push(events::insert_if_changed_stmt(&event));
        emitted.push(event);
    }
    statements.push(approvals::insert_stmt(&NewProof {
        id: new.id,
        document_id: &doc.id,
        relationship_id: &link.id,
        supplier_id: &link.supplier_id,
        customer_id: &link.customer_id,
        version,
        filename: &meta.filename,
        content_type: &meta.content_type,
        size: new.size,
        sha256: new.sha256,
        object_key: new.key,
        note: meta.note.as_deref(),
        approvers: meta.approvers.as_deref(),
        requested_by: me,
        requested_by_name: new.requested_by,
        idempotency_key: meta.idempotency_key.as_deref(),
        now,
    }));
    statements.push(pending::settle_stmt(new.key));
    let requested = Event::new(
        "approval.requested",
        &link.customer_id,
        json!({
            "approval_id": new.id,
            "document_id": doc.id,
            "version": version,
            "filename": meta.filename,
            "size": new.size,
            "sha256": new.sha256,
            "approvers": meta.approvers,
        }),
        cx.now,
    )?;
    statements.push(events::insert_stmt(&requested));
    let changed = cx.db.batch(statements).await?;
    // The event of the superseded proof stays in the outbox only when one was pending.
    if changed.first().copied().unwrap_or(0) == 0 {
        emitted.clear();
    }
    emitted.push(requested);
    Ok(emitted)
}

/// The caller's user id when the caller may decide approvals at all, else `None`.
fn decider_id(me: &Principal) -> Option<UserId> {
    approval::is_decider(me, None)
        .then(|| me.user_id.clone())
        .flatten()
}

/// `GET /v1/approvals`.
pub async fn list_approvals(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: ApprovalQuery = cx.query_as()?;
    let filter = Filter {
        status: q
            .status
            .map(|s| ApprovalStatus::parse("status", s.trim()))
            .transpose()?,
        document: q
            .document_id
            .map(|d| DocumentId::parse_field("document_id", d.trim()))
            .transpose()?,
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
        as_supplier: q
            .side
            .map(|s| PartyRole::parse("side", s.trim()).map(|r| r == PartyRole::Supplier))
            .transpose()?,
        for_me: match q.for_.as_deref().map(str::trim) {
            None => false,
            Some("me") => true,
            Some(_) => return Err(Error::invalid("for", "must be me")),
        },
        before: page.before.clone(),
    };
    let decider = decider_id(&me);
    let rows = approvals::list(
        &cx.db,
        &me.company_id,
        decider.as_ref(),
        &filter,
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let counts = approvals::counts(&cx.db, &me.company_id, decider.as_ref()).await?;
    let names = approver_names(cx, &rows).await?;
    Reply::json(
        200,
        &ApprovalList {
            data: rows
                .iter()
                .map(|r| ApprovalOut::of(r, &me.company_id, &names, None))
                .collect(),
            next_cursor,
            counts,
        },
    )
}

/// An approval of the caller's company (either side); another company's is a 404.
async fn load(cx: &Cx, me: &Principal, id: &ApprovalId) -> Result<ApprovalRow> {
    approvals::load(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("approval"))
}

/// The approval named by the path, which the caller must be allowed to read: another
/// company's is a 404 whatever the caller holds, then the reading permissions count.
async fn load_path(cx: &Cx, me: &Principal) -> Result<ApprovalRow> {
    let id = ApprovalId::parse(cx.param("id"))?;
    let row = load(cx, me, &id).await?;
    require_reader(me)?;
    Ok(row)
}

/// Demands one of the permissions that let a company's people and keys read approvals.
fn require_reader(me: &Principal) -> Result<()> {
    if READ_PERMISSIONS.iter().any(|p| me.has(*p)) {
        Ok(())
    } else {
        Err(Error::forbidden(
            "permission_missing",
            "reading approvals needs documents.send, documents.receive or approvals.decide",
        ))
    }
}

/// The names of the approvers named on `rows`, in one query.
async fn approver_names(cx: &Cx, rows: &[ApprovalRow]) -> Result<HashMap<UserId, String>> {
    let mut ids: Vec<UserId> = Vec::new();
    let mut customers: Vec<&CompanyId> = Vec::new();
    for row in rows {
        for id in row.approver_ids().unwrap_or_default() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
            if !customers.contains(&&row.customer_id) {
                customers.push(&row.customer_id);
            }
        }
    }
    let found = users::among(&cx.db, &customers, &ids).await?;
    Ok(found.into_iter().map(|u| (u.id, u.name)).collect())
}

/// The approval as the caller sees it; with its versions when `with_versions`.
async fn out_for(
    cx: &Cx,
    me: &Principal,
    row: &ApprovalRow,
    with_versions: bool,
) -> Result<ApprovalOut> {
    let names = approver_names(cx, std::slice::from_ref(row)).await?;
    let versions = if with_versions {
        let rows = approvals::versions(&cx.db, &row.document_id).await?;
        Some(rows.iter().map(VersionOut::of).collect())
    } else {
        None
    };
    Ok(ApprovalOut::of(row, &me.company_id, &names, versions))
}

/// `GET /v1/approvals/{id}`: the approval with every version of its document's proofs.
pub async fn get_approval(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load_path(cx, &me).await?;
    Reply::json(200, &out_for(cx, &me, &row, true).await?)
}

/// `GET|HEAD /v1/approvals/{id}/content`: the proof file.
pub async fn get_approval_content(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load_path(cx, &me).await?;
    let file = StoredFile {
        key: &row.object_key,
        size: row.size,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    Ok(store::serve(cx, &file).await?.reply())
}

/// `POST /v1/approvals/{id}/approve`.
pub async fn approve_approval(cx: &mut Cx) -> Result<Reply> {
    decide(cx, Decision::Approved).await
}

/// `POST /v1/approvals/{id}/reject`.
pub async fn reject_approval(cx: &mut Cx) -> Result<Reply> {
    decide(cx, Decision::Rejected).await
}

async fn decide(cx: &mut Cx, decision: Decision) -> Result<Reply> {
    let me = cx.me()?;
    let row = load_path(cx, &me).await?;
    let side = if me.company_id == row.supplier_id {
        PartyRole::Supplier
    } else {
        PartyRole::Customer
    };
    let input: DecisionIn = match decision {
        Decision::Approved => cx.optional_body().await?,
        Decision::Rejected => cx.body().await?,
    };
    let approvers = row.approver_ids().map(<[UserId]>::to_vec);
    let rules = |status| DecideRequest {
        side,
        caller: &me,
        approvers: approvers.as_deref(),
        status,
    };
    approval::may_decide(&rules(row.status))?;
    let comment = approval::comment(decision, input.comment.as_deref())?;
    relationships::require_service(&cx.db, &me.company_id, &row.supplier_id, Service::Approvals)
        .await?;
    let user = me.require_user()?;
    let name = caller_name(cx, &me).await?;
    let event = Event::new(
        "approval.decided",
        &row.supplier_id,
        json!({
            "approval_id": row.id,
            "document_id": row.document_id,
            "version": row.version,
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
            approvals::decide_stmt(
                &row.id,
                decision.status(),
                user,
                &name,
                comment.as_deref(),
                Time(cx.now),
            ),
            events::insert_if_changed_stmt(&event),
        ])
        .await?;
    let row = load(cx, &me, &row.id).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        // Decided or superseded meanwhile: answer as if the request had come a moment later.
        approval::may_decide(&rules(row.status))?;
        return Err(Error::conflict(
            "changed_meanwhile",
            "the approval changed while this request ran; load it again",
        ));
    }
    cx.publish(vec![event]);
    Reply::json(200, &out_for(cx, &me, &row, true).await?)
}
