//! `/v1/quote-requests`: the customer of a relationship asks its supplier for a quote; the
//! supplier sends quotes in versions; the customer accepts the current one — which places the
//! order as a UBL 2.1 order file in the supplier's inbox, naming the quote — rejects it, asks
//! for changes, or withdraws the request; both sides comment; a daily cron expires quotes whose
//! validity passed. Each change tells the other side (an event, and mails to its people who hold
//! `documents.receive`) in the batch of the change, which fails as a whole when the request
//! changed meanwhile (`shared::data::quotes`).

use serde_json::json;
use shared::data::events;
use shared::data::files::NewFile;
use shared::data::notices::{self, Before};
use shared::data::quotes::{
    self as data, Change, Filter, NewQuote, NewQuoteLine, NewRequest, NewRequestLine, QuoteRequest,
};
use shared::data::relationships;
use shared::event::{self, Event};
use shared::ids::{AttachmentId, CompanyId, QuoteId, QuoteRequestId, ThreadId};
use shared::payment::from_e4;
use shared::permissions::{Permission, Principal};
use shared::platform::Platform;
use shared::quote::{
    self, OrderFile, OrderLine, QuoteMove, QuoteStatus, VersionStatus, WrittenOrder, MAX_ITEM,
    MAX_LINES, MAX_TEXT, MAX_TITLE,
};
use shared::relationship::{PartyRole, Service};
use shared::service::{log_error, store, Cx, Page, Reply};
use shared::time::{self, Time, Timestamp};
use shared::{appointment, random, validate, Error, Result};

use crate::api::{
    QuoteAcceptIn, QuoteCommentIn, QuoteIn, QuoteReasonIn, QuoteRequestIn, QuoteRequestList,
    QuoteRequestOut, QuoteRequestQuery, QuotesCronIn, QuotesCronOut,
};
use crate::notices::{self as mail, QuoteMail, What};

/// How often a request is made before a stream of simultaneous ones makes it give up.
const MAKE_ATTEMPTS: u32 = 10;
/// Who of a company is told about quotes: who receives its documents (admins do).
const AUDIENCE: Permission = Permission::DocumentsReceive;
/// How many lapsed quotes the cron takes per round, and how many rounds per run.
const LAPSED_BATCH: u32 = 100;
const LAPSED_ROUNDS: u32 = 20;

/// The portal page of a request.
fn page_link(public_url: &str, id: &QuoteRequestId) -> String {
    format!("{public_url}/quotes/{id}")
}

/// A fresh revision for the request's next change: 96 random bits as hex.
fn revision() -> Result<String> {
    Ok(random::bytes::<12>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The other side of `q` than `me`.
fn partner_of<'a>(q: &'a QuoteRequest, me: &CompanyId) -> &'a CompanyId {
    if &q.row.supplier_id == me {
        &q.row.customer_id
    } else {
        &q.row.supplier_id
    }
}

fn side_of(q: &QuoteRequest, me: &CompanyId) -> PartyRole {
    PartyRole::of(&q.row.supplier_id, me)
}

/// The request named by the path, of the caller's company (either side); another's is a 404.
async fn load(cx: &Cx, me: &Principal) -> Result<QuoteRequest> {
    let id = QuoteRequestId::parse(cx.param("id"))?;
    data::request(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("quote request"))
}

/// Demands that the relationship of `q` is active, then reads who of the other side is told.
async fn before_change(cx: &Cx, me: &Principal, q: &QuoteRequest) -> Result<Before> {
    let partner = partner_of(q, &me.company_id);
    relationships::require_service(&cx.db, &me.company_id, partner, Service::Documents).await?;
    notices::before(
        &cx.db,
        &me.company_id,
        me.user_id.as_ref(),
        partner,
        AUDIENCE,
        None,
    )
    .await
}

/// The mails about `what` to the people of the other side of `q` whom `before` found, from
/// `me`'s company; `text` is quoted in them.
fn mail_partner(
    cx: &Cx,
    me: &CompanyId,
    q: &QuoteRequest,
    before: &Before,
    what: What<'_>,
    text: Option<&str>,
    now: Time,
) -> Result<Vec<shared::data::Statement>> {
    mail::mail_stmts(
        &QuoteMail {
            what,
            number: &q.row.number,
            title: &q.row.title,
            partner: &before.company_name,
            by: before.actor_name.as_deref(),
            text,
            link: &page_link(&cx.public_url(), &q.row.id),
        },
        &before.told,
        me,
        now,
    )
}

/// The answer to a change that lost a race: as if it had come a moment later.
async fn lost(cx: &Cx, me: &Principal, m: QuoteMove, e: Error) -> Result<Reply> {
    if e.not_null_violation() != Some(data::CHANGED_MEANWHILE)
        && e.unique_violation() != Some(data::VERSION_TAKEN)
    {
        return Err(e);
    }
    let now = load(cx, me).await?;
    quote::transition(now.row.status, m, side_of(&now, &me.company_id))?;
    Err(Error::conflict(
        "changed_meanwhile",
        "the request changed while this request ran; load it again",
    ))
}

/// An item asked for, checked; its fields named `lines[i].…`.
struct Asked {
    item: String,
    quantity: String,
    unit: Option<String>,
    note: Option<String>,
}

/// `POST /v1/quote-requests`.
pub async fn create_quote_request(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: QuoteRequestIn = cx.body().await?;
    let title = validate::text("title", &input.title, 1, MAX_TITLE)?;
    let text = validate::optional_text("text", input.text.as_deref(), MAX_TEXT)?;
    let desired_date = appointment::date("desired_date", input.desired_date.as_deref())?;
    if input.lines.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("at most {MAX_LINES} lines per request"),
        ));
    }
    let lines = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let field = |name: &str| format!("lines[{i}].{name}");
            Ok(Asked {
                item: validate::text(&field("item"), &l.item, 1, MAX_ITEM)?,
                quantity: quote::quantity_text(quote::quantity_e3(
                    &field("quantity"),
                    &l.quantity.text(),
                )?),
                unit: validate::optional_text(&field("unit"), l.unit.as_deref(), 20)?,
                note: validate::optional_text(&field("note"), l.note.as_deref(), MAX_TEXT)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let thread_id = input
        .thread_id
        .as_deref()
        .map(|t| ThreadId::parse_field("thread_id", t.trim()))
        .transpose()?;
    let (partner, link) =
        relationships::partner_link(&cx.db, &me.company_id, "partner", &input.partner).await?;
    let link = link.ok_or_else(|| {
        Error::invalid(
            "partner",
            "your company has no relationship with this company",
        )
    })?;
    if link.customer_id != me.company_id {
        return Err(Error::forbidden(
            "customer_only",
            "only the customer of the relationship asks for quotes; the supplier sends them",
        ));
    }
    link.require_service(Service::Documents)?;
    if let Some(thread) = &thread_id {
        if !data::thread_between(&cx.db, thread, &me.company_id, &partner.id).await? {
            return Err(Error::invalid(
                "thread_id",
                "no talk thread of your company with this supplier has this id",
            ));
        }
    }

    let id = QuoteRequestId::new(cx.now)?;
    let now = Time(cx.now);
    let year = time::day(cx.now)
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970);
    let new_lines: Vec<NewRequestLine<'_>> = lines
        .iter()
        .map(|l| NewRequestLine {
            item: &l.item,
            quantity: &l.quantity,
            unit: l.unit.as_deref(),
            note: l.note.as_deref(),
        })
        .collect();
    let public_url = cx.public_url();
    let rev = revision()?;
    let mut attempts = 0;
    let (made, event) = loop {
        attempts += 1;
        let before = notices::before(
            &cx.db,
            &me.company_id,
            me.user_id.as_ref(),
            &link.supplier_id,
            AUDIENCE,
            Some(data::next_seq_stmt(&link.supplier_id)),
        )
        .await?;
        let number = quote::number(year, before.next_seq);
        let event = Event::new(
            event::QUOTE_REQUESTED,
            &link.supplier_id,
            json!({
                "quote_request_id": id,
                "number": number,
                "customer_id": me.company_id,
                "title": title,
                "lines": lines.len(),
                "desired_date": desired_date,
                "thread_id": thread_id,
                "requested_by_name": before.actor_name,
            }),
            cx.now,
        )?;
        let mut then = vec![events::insert_stmt(&event)];
        then.extend(mail::mail_stmts(
            &QuoteMail {
                what: What::Requested,
                number: &number,
                title: &title,
                partner: &before.company_name,
                by: before.actor_name.as_deref(),
                text: text.as_deref(),
                link: &page_link(&public_url, &id),
            },
            &before.told,
            &me.company_id,
            now,
        )?);
        let written = data::insert(
            &cx.db,
            &NewRequest {
                id: &id,
                relationship_id: &link.id,
                supplier_id: &link.supplier_id,
                customer_id: &link.customer_id,
                seq: before.next_seq,
                year,
                title: &title,
                text: text.as_deref(),
                desired_date: desired_date.as_deref(),
                thread_id: thread_id.as_ref(),
                lines: &new_lines,
                by_user: me.user_id.as_ref(),
                by_api_key: me.api_key_id.as_ref(),
                revision: &rev,
                now,
            },
            then,
        )
        .await;
        match written {
            Err(e) if e.unique_violation() == Some(data::SEQ_TAKEN) && attempts < MAKE_ATTEMPTS => {
            }
            Err(e) if e.unique_violation() == Some(data::SEQ_TAKEN) => {
                return Err(Error::conflict(
                    "changed_meanwhile",
                    "other requests were made with this supplier at the same time; send it again",
                ))
            }
            other => break (other?, event),
        }
    };
    cx.publish(vec![event]);
    Ok(
        Reply::json(201, &QuoteRequestOut::of(made, &me.company_id))?
            .with_header("location", format!("/v1/quote-requests/{id}")),
    )
}

/// `GET /v1/quote-requests`.
pub async fn list_quote_requests(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: QuoteRequestQuery = cx.query_as()?;
    let filter = Filter {
        as_supplier: q
            .side
            .map(|s| PartyRole::parse("side", s.trim()).map(|r| r == PartyRole::Supplier))
            .transpose()?,
        status: q
            .status
            .map(|s| QuoteStatus::parse("status", s.trim()))
            .transpose()?,
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
    };
    let rows = data::requests(
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
        &QuoteRequestList {
            data: rows
                .into_iter()
                .map(|r| QuoteRequestOut::row(r, &me.company_id))
                .collect(),
            counts,
            next_cursor,
        },
    )
}

/// `GET /v1/quote-requests/{id}`.
pub async fn get_quote_request(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    Reply::json(200, &QuoteRequestOut::of(q, &me.company_id))
}

/// A quote's line, checked; its fields named `lines[i].…`.
struct Priced {
    item: String,
    description: Option<String>,
    quantity_e3: i64,
    unit: Option<String>,
    unit_price_e4: i64,
    total_e4: i64,
}

/// `POST /v1/quote-requests/{id}/quotes`.
pub async fn send_quote(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    let input: QuoteIn = cx.body().await?;
    let to = quote::transition(q.row.status, QuoteMove::Quote, side_of(&q, &me.company_id))?;
    let currency = quote::currency("currency", &input.currency)?;
    let valid_until = appointment::date("valid_until", Some(&input.valid_until))?
        .ok_or_else(|| Error::invalid("valid_until", "say until when the quote holds"))?;
    if valid_until < time::day(cx.now) {
        return Err(Error::invalid("valid_until", "must be today or later"));
    }
    let terms = validate::optional_text("terms", input.terms.as_deref(), MAX_TEXT)?;
    let note = validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?;
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(Error::invalid(
            "lines",
            format!("a quote has 1 to {MAX_LINES} lines"),
        ));
    }
    let lines = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let field = |name: &str| format!("lines[{i}].{name}");
            let quantity_e3 = quote::quantity_e3(&field("quantity"), &l.quantity.text())?;
            let unit_price_e4 = quote::price_e4(&field("unit_price"), &l.unit_price.text())?;
            Ok(Priced {
                item: validate::text(&field("item"), &l.item, 1, MAX_ITEM)?,
                description: validate::optional_text(
                    &field("description"),
                    l.description.as_deref(),
                    MAX_TEXT,
                )?,
                quantity_e3,
                unit: validate::optional_text(&field("unit"), l.unit.as_deref(), 20)?,
                unit_price_e4,
                total_e4: quote::line_total_e4(quantity_e3, unit_price_e4),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let total_e4 = lines
        .iter()
        .try_fold(0_i64, |sum, l| sum.checked_add(l.total_e4))
        .ok_or_else(|| Error::invalid("lines", "the quote's total is too large"))?;
    let before = before_change(cx, &me, &q).await?;
    let version = q.quotes.first().map_or(1, |v| v.version + 1);
    let quote_id = QuoteId::new(cx.now)?;
    let total = format!("{currency} {}", from_e4(total_e4));
    let event = Event::new(
        event::QUOTE_QUOTED,
        &q.row.customer_id,
        json!({
            "quote_request_id": q.row.id,
            "number": q.row.number,
            "quote_id": quote_id,
            "version": version,
            "currency": currency,
            "total": from_e4(total_e4),
            "valid_until": valid_until,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let new_lines: Vec<NewQuoteLine<'_>> = lines
        .iter()
        .map(|l| NewQuoteLine {
            item: &l.item,
            description: l.description.as_deref(),
            quantity_e3: l.quantity_e3,
            unit: l.unit.as_deref(),
            unit_price_e4: l.unit_price_e4,
            total_e4: l.total_e4,
        })
        .collect();
    let now = Time(cx.now);
    let mut then = data::quote_stmts(
        &q.row.id,
        &NewQuote {
            id: &quote_id,
            version,
            currency: &currency,
            valid_until: &valid_until,
            terms: terms.as_deref(),
            note: note.as_deref(),
            total_e4,
            lines: &new_lines,
            by_user: me.user_id.as_ref(),
            by_api_key: me.api_key_id.as_ref(),
            now,
        },
    );
    then.push(events::insert_stmt(&event));
    then.extend(mail_partner(
        cx,
        &me.company_id,
        &q,
        &before,
        What::Quoted {
            version,
            total: &total,
            valid_until: &valid_until,
        },
        note.as_deref(),
        now,
    )?);
    let rev = revision()?;
    let changed = data::change(
        &cx.db,
        &me.company_id,
        &q.row.id,
        &Change {
            from_revision: &q.row.revision,
            revision: &rev,
            to,
            reason: None,
            text: note.as_deref(),
            version: Some(version),
            user: me.user_id.as_ref(),
        },
        then,
        now,
    )
    .await;
    match changed {
        Ok(after) => {
            cx.publish(vec![event]);
            let after = after.ok_or(Error::not_found("quote request"))?;
            Ok(
                Reply::json(201, &QuoteRequestOut::of(after, &me.company_id))?
                    .with_header("location", format!("/v1/quote-requests/{}", q.row.id)),
            )
        }
        Err(e) => lost(cx, &me, QuoteMove::Quote, e).await,
    }
}

/// `POST /v1/quote-requests/{id}/accept`: the order goes into the supplier's inbox.
pub async fn accept_quote(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    let input: QuoteAcceptIn = cx.optional_body().await?;
    let to = quote::transition(q.row.status, QuoteMove::Accept, side_of(&q, &me.company_id))?;
    let reference = validate::optional_text("reference", input.reference.as_deref(), 100)?;
    let current = q
        .current()
        .ok_or_else(|| Error::conflict("invalid_transition", "there is no quote to accept"))?
        .clone();
    if input.version.is_some_and(|v| v != current.version) {
        return Err(Error::conflict(
            "version_superseded",
            format!(
                "version {} is not the current quote; version {} is",
                input.version.unwrap_or_default(),
                current.version
            ),
        ));
    }
    let link = relationships::require_service(
        &cx.db,
        &me.company_id,
        &q.row.supplier_id,
        Service::Documents,
    )
    .await?;
    let before = notices::before(
        &cx.db,
        &me.company_id,
        me.user_id.as_ref(),
        &q.row.supplier_id,
        AUDIENCE,
        None,
    )
    .await?;

    // The order file, written to the bucket (announced) before the batch that keeps it.
    let order_id = reference.clone().unwrap_or_else(|| q.row.number.clone());
    let quotation = format!("{}-v{}", q.row.number, current.version);
    let quote_lines = q.lines_of(&current.id);
    let order_lines: Vec<OrderLine<'_>> = quote_lines
        .iter()
        .map(|l| OrderLine {
            item: &l.item,
            sku: None,
            gtin: None,
            description: l.description.as_deref(),
            quantity_e3: l.quantity_e3,
            unit: l.unit.as_deref(),
            unit_price_e4: l.unit_price_e4,
            total_e4: l.total_e4,
        })
        .collect();
    let order_file = OrderFile {
        id: &order_id,
        issue_date: &time::day(cx.now),
        currency: &current.currency,
        quotation: Some(&quotation),
        buyer: &q.row.customer_name,
        seller: &q.row.supplier_name,
        buyer_id: None,
        seller_id: None,
        note: Some(&q.row.title),
        desired_date: q.row.desired_date.as_deref(),
        delivery_address: None,
        lines: &order_lines,
        total_e4: current.total_e4,
    };
    let filename = format!("Order-{}.xml", q.row.number);
    let deposit =
        store::deposit_order(cx, &me, &link, WrittenOrder::ubl(&order_file), &filename).await?;
    let doc_id = deposit.document_id.clone();
    let now = Time(cx.now);
    let accepted = Event::new(
        event::QUOTE_STATUS_CHANGED,
        &q.row.supplier_id,
        json!({
            "quote_request_id": q.row.id,
            "number": q.row.number,
            "move": QuoteMove::Accept,
            "status": to,
            "version": current.version,
            "reason": null,
            "order_document_id": doc_id,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let mut then = vec![data::version_stmt(&q.row.id, VersionStatus::Accepted)];
    then.extend(deposit.stmts);
    then.extend([
        data::order_stmt(&q.row.id, &doc_id),
        events::insert_stmt(&accepted),
    ]);
    then.extend(mail_partner(
        cx,
        &me.company_id,
        &q,
        &before,
        What::Moved(to),
        None,
        now,
    )?);
    let rev = revision()?;
    let changed = data::change(
        &cx.db,
        &me.company_id,
        &q.row.id,
        &Change {
            from_revision: &q.row.revision,
            revision: &rev,
            to,
            reason: None,
            text: reference.as_deref(),
            version: Some(current.version),
            user: me.user_id.as_ref(),
        },
        then,
        now,
    )
    .await;
    match changed {
        Ok(after) => {
            cx.publish(vec![deposit.event, accepted]);
            let after = after.ok_or(Error::not_found("quote request"))?;
            Reply::json(200, &QuoteRequestOut::of(after, &me.company_id))
        }
        Err(e) => {
            store::discard(cx, &deposit.key, &e).await;
            lost(cx, &me, QuoteMove::Accept, e).await
        }
    }
}

/// `POST /v1/quote-requests/{id}/reject`.
pub async fn reject_quote(cx: &mut Cx) -> Result<Reply> {
    decide(cx, QuoteMove::Reject).await
}

/// `POST /v1/quote-requests/{id}/changes`: the customer asks for a new version.
pub async fn request_quote_changes(cx: &mut Cx) -> Result<Reply> {
    decide(cx, QuoteMove::RequestChanges).await
}

/// `POST /v1/quote-requests/{id}/withdraw`.
pub async fn withdraw_quote_request(cx: &mut Cx) -> Result<Reply> {
    decide(cx, QuoteMove::Withdraw).await
}

/// A decision of the customer besides acceptance: a rejection and a request for changes say
/// why (`reason` required), a withdrawal may.
async fn decide(cx: &mut Cx, m: QuoteMove) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    let input: QuoteReasonIn = match m {
        QuoteMove::Withdraw => cx.optional_body().await?,
        _ => cx.body().await?,
    };
    let to = quote::transition(q.row.status, m, side_of(&q, &me.company_id))?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), MAX_TEXT)?;
    if reason.is_none() && m != QuoteMove::Withdraw {
        return Err(Error::invalid(
            "reason",
            match m {
                QuoteMove::RequestChanges => "say what should change",
                _ => "say why the quote is rejected",
            },
        ));
    }
    let before = before_change(cx, &me, &q).await?;
    let version = q.current().map(|v| v.version);
    let event = Event::new(
        event::QUOTE_STATUS_CHANGED,
        &q.row.supplier_id,
        json!({
            "quote_request_id": q.row.id,
            "number": q.row.number,
            "move": m,
            "status": to,
            "version": version,
            "reason": reason,
            "order_document_id": null,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let now = Time(cx.now);
    let mut then = Vec::new();
    match m {
        // The current version stays until the new one supersedes it.
        QuoteMove::RequestChanges => {}
        _ => then.push(data::version_stmt(&q.row.id, VersionStatus::Rejected)),
    }
    then.push(events::insert_stmt(&event));
    then.extend(mail_partner(
        cx,
        &me.company_id,
        &q,
        &before,
        What::Moved(to),
        reason.as_deref(),
        now,
    )?);
    let rev = revision()?;
    // The request keeps a rejection's or withdrawal's words; changes asked for are a step's.
    let (kept, said) = match m {
        QuoteMove::RequestChanges => (None, reason.as_deref()),
        _ => (reason.as_deref(), None),
    };
    let changed = data::change(
        &cx.db,
        &me.company_id,
        &q.row.id,
        &Change {
            from_revision: &q.row.revision,
            revision: &rev,
            to,
            reason: kept,
            text: said,
            version,
            user: me.user_id.as_ref(),
        },
        then,
        now,
    )
    .await;
    match changed {
        Ok(after) => {
            cx.publish(vec![event]);
            let after = after.ok_or(Error::not_found("quote request"))?;
            Reply::json(200, &QuoteRequestOut::of(after, &me.company_id))
        }
        Err(e) => lost(cx, &me, m, e).await,
    }
}

/// `POST /v1/quote-requests/{id}/comments`.
pub async fn comment_quote_request(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    let input: QuoteCommentIn = cx.body().await?;
    let text = validate::text("text", &input.text, 1, MAX_TEXT)?;
    if q.row.status.is_final() {
        return Err(Error::conflict(
            "request_closed",
            "the request is closed; ask for a new quote",
        ));
    }
    let before = before_change(cx, &me, &q).await?;
    let event = Event::new(
        event::QUOTE_COMMENTED,
        partner_of(&q, &me.company_id),
        json!({
            "quote_request_id": q.row.id,
            "number": q.row.number,
            "text": text,
            "by_name": before.actor_name,
        }),
        cx.now,
    )?;
    let now = Time(cx.now);
    let mut then = vec![events::insert_if_changed_stmt(&event)];
    then.extend(mail_partner(
        cx,
        &me.company_id,
        &q,
        &before,
        What::Commented,
        Some(&text),
        now,
    )?);
    let (written, after) = data::comment(
        &cx.db,
        &me.company_id,
        &q.row.id,
        me.user_id.as_ref(),
        &text,
        then,
        now,
    )
    .await?;
    let after = after.ok_or(Error::not_found("quote request"))?;
    if written {
        cx.publish(vec![event]);
    }
    Reply::json(201, &QuoteRequestOut::of(after, &me.company_id))
}

/// The default limit of one file (`MAX_ATTACHMENT_BYTES`).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// `POST /v1/quote-requests/{id}/files`: a drawing, a specification, the quote as a PDF or a
/// UBL Quotation, as the raw body.
pub async fn add_quote_file(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?.clone();
    let q = load(cx, &me).await?;
    let limit = cx.number("MAX_ATTACHMENT_BYTES", DEFAULT_MAX_FILE_BYTES);
    let file = store::raw_file(cx, limit, "files")?;
    if q.row.status.is_final() {
        return Err(Error::conflict(
            "request_closed",
            "the request is closed; ask for a new quote",
        ));
    }
    relationships::require_service(
        &cx.db,
        &me.company_id,
        partner_of(&q, &me.company_id),
        Service::Documents,
    )
    .await?;
    let got = store::receive_attachment(cx, &me.company_id, file, limit).await?;
    let written = data::add_file(
        &cx.db,
        &q.row.id,
        &NewFile::of(&got, &me.company_id, &user, Time(cx.now)),
    )
    .await;
    match written {
        Ok((true, Some(after))) => {
            Ok(
                Reply::json(201, &QuoteRequestOut::of(after, &me.company_id))?.with_header(
                    "location",
                    format!("/v1/quote-requests/{}/files/{}", q.row.id, got.id),
                ),
            )
        }
        Ok(_) => Err(Error::not_found("quote request")),
        Err(e) => {
            store::discard(cx, &got.key, &e).await;
            Err(e)
        }
    }
}

/// `GET|HEAD /v1/quote-requests/{id}/files/{file_id}`.
pub async fn get_quote_file(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q = load(cx, &me).await?;
    let file_id = AttachmentId::parse(cx.param("file_id"))?;
    let f = q
        .files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or(Error::not_found("file"))?;
    Ok(store::serve(cx, &f.stored()).await?.reply())
}

/// Expires every quote whose validity passed before the day of `as_of` (of `company` if
/// given): the request becomes `expired`, both sides get `quote.status_changed`, the
/// customer's people a mail.
///
/// # Errors
/// A database error while looking for them (one failing request is logged and skipped).
pub async fn run_cron(
    env: &Platform,
    as_of: Timestamp,
    company: Option<&CompanyId>,
) -> Result<QuotesCronOut> {
    let today = time::day(as_of);
    let public_url = env.public_url();
    let mut out = QuotesCronOut::default();
    for _ in 0..LAPSED_ROUNDS {
        let lapsed = data::lapsed(&env.db, &today, company, LAPSED_BATCH).await?;
        let mut expired_now = 0;
        for l in &lapsed {
            match expire(env, l, &public_url, as_of).await {
                Ok(true) => expired_now += 1,
                Ok(false) => {}
                Err(e) => log_error(&format!("expiring the quote for {} failed: {e}", l.id)),
            }
        }
        out.expired += expired_now;
        if lapsed.len() < LAPSED_BATCH as usize || expired_now == 0 {
            break;
        }
    }
    Ok(out)
}

/// Expires one lapsed quote; `false` when its request changed meanwhile.
async fn expire(
    env: &Platform,
    l: &data::Lapsed,
    public_url: &str,
    now: Timestamp,
) -> Result<bool> {
    let to = quote::transition(QuoteStatus::Quoted, QuoteMove::Expire, PartyRole::Supplier)?;
    let data = json!({
        "quote_request_id": l.id,
        "number": l.number,
        "move": QuoteMove::Expire,
        "status": to,
        "version": l.version,
        "reason": null,
        "order_document_id": null,
        "by_name": null,
    });
    let told: Vec<Event> = [&l.supplier_id, &l.customer_id]
        .into_iter()
        .map(|c| Event::new(event::QUOTE_STATUS_CHANGED, c, data.clone(), now))
        .collect::<Result<_>>()?;
    let request = data::request(&env.db, &l.supplier_id, &l.id).await?;
    let Some(request) = request else {
        return Ok(false);
    };
    let customer_people = notices::recipients(&env.db, &l.customer_id).await?;
    let customer_people: Vec<_> = customer_people
        .into_iter()
        .filter(|p| p.may(AUDIENCE))
        .collect();
    let mut then = vec![data::version_stmt(&l.id, VersionStatus::Expired)];
    then.extend(told.iter().map(events::insert_stmt));
    then.extend(mail::mail_stmts(
        &QuoteMail {
            what: What::Moved(to),
            number: &l.number,
            title: &request.row.title,
            partner: &request.row.supplier_name,
            by: None,
            text: None,
            link: &page_link(public_url, &l.id),
        },
        &customer_people,
        &l.supplier_id,
        Time(now),
    )?);
    let rev = revision()?;
    let text = format!("valid until {}", l.valid_until);
    let changed = data::change(
        &env.db,
        &l.supplier_id,
        &l.id,
        &Change {
            from_revision: &l.revision,
            revision: &rev,
            to,
            reason: None,
            text: Some(&text),
            version: Some(l.version),
            user: None,
        },
        then,
        Time(now),
    )
    .await;
    match changed {
        Ok(_) => {
            if let Ok(queue) = env.queue() {
                shared::service::publish(queue, &told).await;
            }
            Ok(true)
        }
        Err(e) if e.not_null_violation() == Some(data::CHANGED_MEANWHILE) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `POST /v1/dev/quotes/cron`: the expiry now, as of `as_of` (the local stack has no crons).
pub async fn dev_quotes_cron(cx: &mut Cx) -> Result<Reply> {
    let input: QuotesCronIn = cx.body().await?;
    let company = input
        .company_id
        .as_deref()
        .map(|c| CompanyId::parse_field("company_id", c.trim()))
        .transpose()?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    Reply::json(200, &run_cron(&cx.env, as_of, company.as_ref()).await?)
}
