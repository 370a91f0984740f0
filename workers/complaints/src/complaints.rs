//! `/v1/complaints`: the customer of a relationship files a complaint about a document of it
//! (lines, a reason, a description, then photos and files); the supplier's returns staff move
//! it along its status bar (review, accept with a resolution or reject with a reason, close),
//! the customer may withdraw it before a decision, both sides comment. Each change tells the
//! other side (an event, and mails to its people who hold `complaints`) in the batch of the
//! change, guarded on the status it was seen in, so a change that lost a race tells nobody.

use serde_json::json;
use shared::complaint::{self, ComplaintStatus, Move, MAX_ITEM, MAX_LINES, MAX_TEXT};
use shared::data::complaints::{self as data, Complaint, Filter, MoveTo, NewComplaint, NewLine};
use shared::data::files::NewFile;
use shared::data::notices::Before;
use shared::data::relationships::{self};
use shared::data::{events, Statement};
use shared::event::{self, Event};
use shared::ids::{AttachmentId, CompanyId, ComplaintId, DocumentId};
use shared::permissions::Principal;
use shared::relationship::{PartyRole, Service};
use shared::service::store;
use shared::service::{Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{validate, Error, Result};

use crate::api::{
    ComplaintCommentIn, ComplaintIn, ComplaintList, ComplaintOut, ComplaintQuery, LineIn, MoveIn,
};
use crate::notices::{self, ComplaintMail, What};

/// How often a complaint is filed before a stream of simultaneous ones makes it give up.
const FILE_ATTEMPTS: u32 = 10;

/// The default limit of one photo or file (`MAX_ATTACHMENT_BYTES`).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// The portal page of a complaint.
fn page_link(cx: &Cx, id: &ComplaintId) -> String {
    format!("{}/complaints/{id}", cx.public_url())
}

/// A line as sent, checked; its fields named `lines[i].…`.
struct Line {
    item: String,
    quantity: String,
    unit: Option<String>,
    note: Option<String>,
}

fn line(i: usize, l: &LineIn) -> Result<Line> {
    let field = |name: &str| format!("lines[{i}].{name}");
    Ok(Line {
        item: validate::text(&field("item"), &l.item, 1, MAX_ITEM)?,
        quantity: complaint::quantity(&field("quantity"), &l.quantity.text())?,
        unit: validate::optional_text(&field("unit"), l.unit.as_deref(), 20)?,
        note: validate::optional_text(&field("note"), l.note.as_deref(), MAX_TEXT)?,
    })
}

/// The side `me` is of `c`.
fn side_of(c: &Complaint, me: &CompanyId) -> PartyRole {
    PartyRole::of(&c.row.supplier_id, me)
}

/// The complaint named by the path, of the caller's company (either side); another's is a 404.
async fn load(cx: &Cx, me: &Principal) -> Result<Complaint> {
    let id = ComplaintId::parse(cx.param("id"))?;
    data::complaint(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("complaint"))
}

/// The other side of `c` than `me`.
fn partner_of<'a>(c: &'a Complaint, me: &CompanyId) -> &'a CompanyId {
    match side_of(c, me) {
        PartyRole::Supplier => &c.row.customer_id,
        PartyRole::Customer => &c.row.supplier_id,
    }
}

/// Demands that the relationship of `c` is active (a blocked partner changes nothing), then
/// reads what a change of `c` by the caller needs to know first.
async fn before_change(cx: &Cx, me: &Principal, c: &Complaint) -> Result<Before> {
    let partner = partner_of(c, &me.company_id);
    relationships::require_service(&cx.db, &me.company_id, partner, Service::Documents).await?;
    data::before(
        &cx.db,
        &me.company_id,
        me.user_id.as_ref(),
        partner,
        &c.row.supplier_id,
    )
    .await
}

/// 409 `complaint_closed` for a closed complaint: it takes no comments or files.
fn require_open(c: &Complaint) -> Result<()> {
    if c.row.status == ComplaintStatus::Closed {
        return Err(Error::conflict(
            "complaint_closed",
            "the complaint is closed; file a new one",
        ));
    }
    Ok(())
}

/// The event of a change for `to` and the mails to the people of `to` who are told, for the
/// batch right after the change (both written only when it changed a row).
fn telling(
    cx: &Cx,
    event: Event,
    mail: &ComplaintMail<'_>,
    before: &Before,
    me: &CompanyId,
) -> Result<(Event, Vec<Statement>)> {
    let mut stmts = vec![events::insert_if_changed_stmt(&event)];
    stmts.extend(notices::mail_stmts(mail, &before.told, me, Time(cx.now))?);
    Ok((event, stmts))
}

/// `POST /v1/complaints`.
pub async fn create_complaint(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: ComplaintIn = cx.body().await?;
    let document_id = DocumentId::parse_field("document_id", input.document_id.trim())?;
    let description = validate::text("description", &input.description, 1, MAX_TEXT)?;
    if input.lines.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("at most {MAX_LINES} lines per complaint"),
        ));
    }
    let lines = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| line(i, l))
        .collect::<Result<Vec<_>>>()?;
    let doc = data::subject(&cx.db, &me.company_id, &document_id)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "document_id",
                "your company has no document with this id in its mailbox",
            )
        })?;
    let link = relationships::link(&cx.db, &me.company_id, doc.partner_of(&me.company_id))
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "document_id",
                "the document is not of a relationship of your company",
            )
        })?;
    if link.customer_id != me.company_id {
        return Err(Error::forbidden(
            "customer_only",
            "only the customer of the relationship files complaints; the supplier handles them",
        ));
    }
    link.require_service(Service::Documents)?;

    let id = ComplaintId::new(cx.now)?;
    let now = Time(cx.now);
    let year = time::day(cx.now)
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970);
    let new_lines: Vec<NewLine<'_>> = lines
        .iter()
        .map(|l| NewLine {
            item: &l.item,
            quantity: &l.quantity,
            unit: l.unit.as_deref(),
            note: l.note.as_deref(),
        })
        .collect();
    let mut attempts = 0;
    let (filed, event) = loop {
        attempts += 1;
        let before = data::before(
            &cx.db,
            &me.company_id,
            me.user_id.as_ref(),
            &link.supplier_id,
            &link.supplier_id,
        )
        .await?;
        let number = complaint::number(year, before.next_seq);
        let event = Event::new(
            event::COMPLAINT_FILED,
            &link.supplier_id,
            json!({
                "complaint_id": id,
                "number": number,
                "customer_id": me.company_id,
                "document_id": doc.id,
                "order_id": doc.order_id,
                "reason": input.reason,
                "lines": lines.len(),
                "filed_by_name": before.actor_name,
            }),
            cx.now,
        )?;
        let mail = ComplaintMail {
            what: What::Filed,
            number: &number,
            partner: &before.company_name,
            by: before.actor_name.as_deref(),
            text: Some(&description),
            link: &page_link(cx, &id),
        };
        let (event, then) = telling(cx, event, &mail, &before, &me.company_id)?;
        let written = data::insert(
            &cx.db,
            &NewComplaint {
                id: &id,
                relationship_id: &link.id,
                supplier_id: &link.supplier_id,
                customer_id: &link.customer_id,
                document_id: &doc.id,
                order_id: &doc.order_id,
                reason: input.reason,
                description: &description,
                lines: &new_lines,
                by_user: me.user_id.as_ref(),
                by_api_key: me.api_key_id.as_ref(),
                seq: before.next_seq,
                year,
                now,
            },
            then,
        )
        .await;
        match written {
            Err(e) if e.unique_violation() == Some(data::SEQ_TAKEN) && attempts < FILE_ATTEMPTS => {
            }
            Err(e) if e.unique_violation() == Some(data::SEQ_TAKEN) => {
                return Err(Error::conflict(
                    "changed_meanwhile",
                    "other complaints were filed with this supplier at the same time; send it again",
                ))
            }
            other => break (other?, event),
        }
    };
    cx.publish(vec![event]);
    Ok(Reply::json(201, &ComplaintOut::of(filed, &me.company_id))?
        .with_header("location", format!("/v1/complaints/{id}")))
}

/// `GET /v1/complaints`.
pub async fn list_complaints(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: ComplaintQuery = cx.query_as()?;
    let filter = Filter {
        as_supplier: q
            .side
            .map(|s| PartyRole::parse("side", s.trim()).map(|r| r == PartyRole::Supplier))
            .transpose()?,
        status: q
            .status
            .map(|s| ComplaintStatus::parse("status", s.trim()))
            .transpose()?,
        order_id: q
            .order_id
            .map(|o| DocumentId::parse_field("order_id", o.trim()).map(|d| d.to_string()))
            .transpose()?,
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
    };
    let rows = data::complaints(
        &cx.db,
        &me.company_id,
        &filter,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let counts = data::counts(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &ComplaintList {
            data: rows
                .into_iter()
                .map(|r| ComplaintOut::row(r, &me.company_id))
                .collect(),
            counts,
            next_cursor,
        },
    )
}

/// `GET /v1/complaints/{id}`.
pub async fn get_complaint(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let c = load(cx, &me).await?;
    Reply::json(200, &ComplaintOut::of(c, &me.company_id))
}

/// What a move says, checked against the move: `accept` needs a resolution, `reject` a note.
fn move_fields(input: &MoveIn) -> Result<Option<String>> {
    let note = validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?;
    match (input.kind, input.resolution.is_some()) {
        (Move::Accept, false) => {
            return Err(Error::invalid(
                "resolution",
                "say how it is put right: replacement, credit_note, repair or return",
            ))
        }
        (Move::Accept, true) => {}
        (_, true) => {
            return Err(Error::invalid(
                "resolution",
                "only an acceptance has a resolution",
            ))
        }
        (_, false) => {}
    }
    if input.kind == Move::Reject && note.is_none() {
        return Err(Error::invalid("note", "say why the complaint is rejected"));
    }
    Ok(note)
}

/// `POST /v1/complaints/{id}/moves`.
pub async fn move_complaint(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let c = load(cx, &me).await?;
    let input: MoveIn = cx.body().await?;
    let side = side_of(&c, &me.company_id);
    let to = complaint::transition(c.row.status, input.kind, side)?;
    let note = move_fields(&input)?;
    let before = before_change(cx, &me, &c).await?;
    let event = Event::new(
        event::COMPLAINT_STATUS_CHANGED,
        partner_of(&c, &me.company_id),
        json!({
            "complaint_id": c.row.id,
            "number": c.row.number,
            "move": input.kind,
            "status": to,
            "resolution": input.resolution,
            "note": note,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let mail = ComplaintMail {
        what: What::Moved(to, input.resolution),
        number: &c.row.number,
        partner: &before.company_name,
        by: before.actor_name.as_deref(),
        text: note.as_deref(),
        link: &page_link(cx, &c.row.id),
    };
    let (event, then) = telling(cx, event, &mail, &before, &me.company_id)?;
    let (moved, after) = data::move_to(
        &cx.db,
        &me.company_id,
        &c.row.id,
        &MoveTo {
            from: c.row.status,
            to,
            resolution: input.resolution,
            note: note.as_deref(),
            user: me.user_id.as_ref(),
        },
        then,
        Time(cx.now),
    )
    .await?;
    let after = after.ok_or(Error::not_found("complaint"))?;
    if !moved {
        // Another move came first: answer as if this one had come a moment later.
        complaint::transition(after.row.status, input.kind, side)?;
        return Err(Error::conflict(
            "changed_meanwhile",
            "the complaint changed while this request ran; load it again",
        ));
    }
    cx.publish(vec![event]);
    Reply::json(200, &ComplaintOut::of(after, &me.company_id))
}

/// `POST /v1/complaints/{id}/comments`.
pub async fn comment_complaint(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let c = load(cx, &me).await?;
    let input: ComplaintCommentIn = cx.body().await?;
    let text = validate::text("text", &input.text, 1, MAX_TEXT)?;
    require_open(&c)?;
    let before = before_change(cx, &me, &c).await?;
    let event = Event::new(
        event::COMPLAINT_COMMENTED,
        partner_of(&c, &me.company_id),
        json!({
            "complaint_id": c.row.id,
            "number": c.row.number,
            "text": text,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let mail = ComplaintMail {
        what: What::Commented(&text),
        number: &c.row.number,
        partner: &before.company_name,
        by: before.actor_name.as_deref(),
        text: None,
        link: &page_link(cx, &c.row.id),
    };
    let (event, then) = telling(cx, event, &mail, &before, &me.company_id)?;
    let (written, after) = data::comment(
        &cx.db,
        &me.company_id,
        &c.row.id,
        me.user_id.as_ref(),
        &text,
        then,
        Time(cx.now),
    )
    .await?;
    let after = after.ok_or(Error::not_found("complaint"))?;
    if written {
        cx.publish(vec![event]);
    }
    Reply::json(201, &ComplaintOut::of(after, &me.company_id))
}

/// `POST /v1/complaints/{id}/files`: a photo or file as the raw body.
pub async fn add_complaint_file(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?.clone();
    let c = load(cx, &me).await?;
    let limit = cx.number("MAX_ATTACHMENT_BYTES", DEFAULT_MAX_FILE_BYTES);
    let file = store::raw_file(cx, limit, "files")?;
    require_open(&c)?;
    let partner = partner_of(&c, &me.company_id);
    relationships::require_service(&cx.db, &me.company_id, partner, Service::Documents).await?;

    let got = store::receive_attachment(cx, &me.company_id, file, limit).await?;
    let written = data::add_file(
        &cx.db,
        &c.row.id,
        &NewFile::of(&got, &me.company_id, &user, Time(cx.now)),
        Vec::new(),
    )
    .await;
    match written {
        Ok((true, Some(after))) => Ok(Reply::json(201, &ComplaintOut::of(after, &me.company_id))?
            .with_header(
                "location",
                format!("/v1/complaints/{}/files/{}", c.row.id, got.id),
            )),
        Ok(_) => Err(Error::not_found("complaint")),
        Err(e) => {
            store::discard(cx, &got.key, &e).await;
            Err(e)
        }
    }
}

/// `GET|HEAD /v1/complaints/{id}/files/{file_id}`.
pub async fn get_complaint_file(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let c = load(cx, &me).await?;
    let file_id = AttachmentId::parse(cx.param("file_id"))?;
    let f = c
        .files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or(Error::not_found("file"))?;
    Ok(store::serve(cx, &f.stored()).await?.reply())
}
