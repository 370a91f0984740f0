//! `/v1/invoices`: the invoices a company received or sent, with what was read from them, and
//! the recipient's moves on the way to payment — receipt confirmed, disputed (opening a talk
//! thread with the sender), paid — each in one batch with its status bar entry and its event,
//! guarded by the state it moves from.

use serde_json::json;
use shared::data::invoices::{self as data, Change, DisputeThread, Filter, InvoiceRow};
use shared::data::{relationships, users};
use shared::document::{self, Actor};
use shared::event::{self, Event};
use shared::ids::{CompanyId, DocumentId, MessageId, ThreadId};
use shared::payment::{self, InvoiceState, Move, Recognition};
use shared::permissions::{Permission, Principal};
use shared::service::{Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{validate, Error, Result};

use crate::api::{
    CurrencyTotal, DisputeIn, InvoiceItem, InvoiceList, InvoiceOut, InvoiceQuery, PaidIn,
};

/// The states a list filters by.
const STATES: [&str; 6] = ["open", "overdue", "new", "received", "disputed", "paid"];

/// `GET /v1/invoices`.
pub async fn list_invoices(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let q: InvoiceQuery = cx.query_as()?;
    let received = match q.direction.as_deref().map(str::trim) {
        None | Some("received") => true,
        Some("sent") => false,
        Some(_) => return Err(Error::invalid("direction", "must be received or sent")),
    };
    me.require(if received {
        Permission::DocumentsReceive
    } else {
        Permission::DocumentsSend
    })?;
    let state = q.state.map(|s| s.trim().to_owned());
    if let Some(s) = &state {
        if !STATES.contains(&s.as_str()) {
            return Err(Error::invalid(
                "state",
                format!("must be one of {}", STATES.join(", ")),
            ));
        }
    }
    let day = |field: &str, text: Option<String>| -> Result<Option<String>> {
        match text.map(|t| t.trim().to_owned()) {
            Some(t) if !time::is_iso_date(&t) => {
                Err(Error::invalid(field, "must be a date YYYY-MM-DD"))
            }
            other => Ok(other),
        }
    };
    let filter = Filter {
        received,
        state,
        partner: q
            .partner
            .map(|p| CompanyId::parse_field("partner", p.trim()))
            .transpose()?,
        from: day("from", q.from)?,
        to: day("to", q.to)?,
    };
    let (rows, totals) = data::list(
        &cx.db,
        &me.company_id,
        &filter,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &InvoiceList {
            data: rows
                .iter()
                .map(|r| InvoiceItem::of(r, &me.company_id))
                .collect(),
            next_cursor,
            totals: totals
                .into_iter()
                .map(|t| CurrencyTotal {
                    currency: t.currency,
                    count: t.count,
                    payable: payment::from_e4(t.payable_e4),
                    open: payment::from_e4(t.open_e4),
                })
                .collect(),
        },
    )
}

/// The invoice of the path as the caller's company may see it, with the caller's side: another
/// company's, a held one for its recipient, or one the caller lacks the permission for is a 404
/// or 403 as for its document.
async fn load_for(cx: &Cx, me: &Principal) -> Result<(InvoiceRow, Actor)> {
    let id = DocumentId::parse(cx.param("id"))?;
    let row = data::load(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("invoice"))?;
    let side = document::side(&me.company_id, &row.sender_id, &row.recipient_id)
        .ok_or(Error::not_found("invoice"))?;
    me.require(match side {
        Actor::Recipient => Permission::DocumentsReceive,
        _ => Permission::DocumentsSend,
    })?;
    Ok((row, side))
}

/// `GET /v1/invoices/{id}`.
pub async fn get_invoice(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, _) = load_for(cx, &me).await?;
    Reply::json(200, &InvoiceOut::of(row, &me.company_id))
}

/// `POST /v1/invoices/{id}/received`.
pub async fn mark_received(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (row, side) = load_for(cx, &me).await?;
    let mv = Requested {
        to: InvoiceState::Received,
        note: None,
        paid_on: None,
        amount: None,
    };
    act(cx, &me, row, side, mv, None).await
}

/// `POST /v1/invoices/{id}/dispute`: the reason is the first message of a thread with the
/// sender, which only a person can write.
pub async fn dispute_invoice(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let body: DisputeIn = cx.body().await?;
    let reason = validate::text("reason", &body.reason, 1, 2000)?;
    let (row, side) = load_for(cx, &me).await?;
    let user = me.user_id.clone().ok_or_else(|| {
        Error::forbidden(
            "user_required",
            "a dispute opens a talk thread, which only a person can write in",
        )
    })?;
    let user_name = users::name(&cx.db, &me.company_id, &user)
        .await?
        .ok_or(Error::not_found("user"))?;
    let thread_id = ThreadId::new(cx.now)?;
    let message_id = MessageId::new(cx.now)?;
    let subject = match &row.invoice_number {
        Some(n) => format!("Invoice {n} disputed"),
        None => format!("Invoice {} disputed", row.filename),
    };
    let thread = DisputeThread {
        id: &thread_id,
        message_id: message_id.as_str(),
        subject: &subject,
        user_id: &user,
        user_name: &user_name,
    };
    let mv = Requested {
        to: InvoiceState::Disputed,
        note: Some(&reason),
        paid_on: None,
        amount: None,
    };
    act(cx, &me, row, side, mv, Some(thread)).await
}

/// `POST /v1/invoices/{id}/paid`.
pub async fn mark_paid(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let body: PaidIn = cx.body().await?;
    let paid_on = body.paid_on.trim().to_owned();
    let today = time::format(cx.now);
    // A day ahead of UTC: it is already tomorrow east of Greenwich.
    let tomorrow = time::format(cx.now + chrono::Duration::days(1));
    if !time::is_iso_date(&paid_on) {
        return Err(Error::invalid("paid_on", "must be a date YYYY-MM-DD"));
    }
    if paid_on.as_str() > &tomorrow[..10] {
        return Err(Error::invalid(
            "paid_on",
            format!("must not be in the future (today is {})", &today[..10]),
        ));
    }
    let amount = body.amount.trim().to_owned();
    match payment::to_e4(&amount) {
        Some(v) if v > 0 && !amount.starts_with(['-', '+']) => {}
        _ => {
            return Err(Error::invalid(
                "amount",
                "must be a positive decimal with at most four decimals, like 1234.50",
            ))
        }
    }
    let reference = validate::optional_text("reference", body.reference.as_deref(), 200)?;
    let (row, side) = load_for(cx, &me).await?;
    if row.state == InvoiceState::Paid
        && (row.paid_on.as_deref() != Some(paid_on.as_str())
            || row.paid_amount.as_deref() != Some(amount.as_str()))
    {
        return Err(already_paid(&row));
    }
    let mv = Requested {
        to: InvoiceState::Paid,
        note: reference.as_deref(),
        paid_on: Some(&paid_on),
        amount: Some(&amount),
    };
    act(cx, &me, row, side, mv, None).await
}

fn already_paid(row: &InvoiceRow) -> Error {
    Error::conflict(
        "invalid_transition",
        format!(
            "the invoice was marked paid already ({} on {})",
            row.paid_amount.as_deref().unwrap_or("?"),
            row.paid_on.as_deref().unwrap_or("?")
        ),
    )
}

/// A move the recipient asks for.
struct Requested<'a> {
    to: InvoiceState,
    note: Option<&'a str>,
    paid_on: Option<&'a str>,
    amount: Option<&'a str>,
}

/// What an event about an invoice says of it.
#[must_use]
pub fn about(
    id: &DocumentId,
    sender: &CompanyId,
    recipient: &CompanyId,
    number: Option<&str>,
    currency: Option<&str>,
    payable: Option<&str>,
    due_date: Option<&str>,
) -> serde_json::Value {
    json!({
        "invoice_id": id,
        "document_id": id,
        "sender_id": sender,
        "recipient_id": recipient,
        "invoice_number": number,
        "currency": currency,
        "payable": payable,
        "due_date": due_date,
    })
}

/// Applies a move of the recipient to `row` as loaded.
async fn act(
    cx: &Cx,
    me: &Principal,
    row: InvoiceRow,
    side: Actor,
    mv: Requested<'_>,
    thread: Option<DisputeThread<'_>>,
) -> Result<Reply> {
    if side != Actor::Recipient {
        return Err(Error::forbidden(
            "recipient_only",
            "only the invoice's recipient records its receipt, a dispute or its payment",
        ));
    }
    relationships::require_active(row.relationship_status)?;
    if row.recognition == Recognition::Pending {
        return Err(Error::conflict(
            "not_read_yet",
            "the invoice is still being read; try again in a moment",
        ));
    }
    if payment::transition(row.state, mv.to)? == Move::Already {
        return Reply::json(200, &InvoiceOut::of(row, &me.company_id));
    }
    let mut data = about(
        &row.id,
        &row.sender_id,
        &row.recipient_id,
        row.invoice_number.as_deref(),
        row.currency.as_deref(),
        row.payable.as_deref(),
        row.due_date.as_deref(),
    );
    let kind = match mv.to {
        InvoiceState::Received => event::INVOICE_RECEIVED,
        InvoiceState::Disputed => {
            data["reason"] = json!(mv.note);
            data["thread_id"] = json!(thread.as_ref().map(|t| t.id));
            data["disputed_by_name"] = json!(thread.as_ref().map(|t| t.user_name));
            event::INVOICE_DISPUTED
        }
        _ => {
            data["paid_on"] = json!(mv.paid_on);
            data["amount"] = json!(mv.amount);
            data["reference"] = json!(mv.note);
            event::INVOICE_PAID
        }
    };
    let events = vec![Event::new(kind, &row.sender_id, data, cx.now)?];
    let from: Vec<InvoiceState> = InvoiceState::ALL
        .into_iter()
        .filter(|s| payment::transition(*s, mv.to).is_ok_and(|m| m != Move::Already))
        .collect();
    let changed = data::change(
        &cx.db,
        &Change {
            id: &row.id,
            by: me,
            from: &from,
            to: mv.to,
            note: mv.note,
            paid_on: mv.paid_on,
            paid_amount: mv.amount,
            thread,
            now: Time(cx.now),
        },
        &events,
    )
    .await?;
    let now_row = changed.row.ok_or(Error::not_found("invoice"))?;
    if changed.changed {
        cx.publish(events);
        return Reply::json(200, &InvoiceOut::of(now_row, &me.company_id));
    }
    // Another request moved it meanwhile: answer as it stands now.
    if now_row.state == InvoiceState::Paid && mv.to == InvoiceState::Paid {
        if now_row.paid_on.as_deref() == mv.paid_on && now_row.paid_amount.as_deref() == mv.amount {
            return Reply::json(200, &InvoiceOut::of(now_row, &me.company_id));
        }
        return Err(already_paid(&now_row));
    }
    match payment::transition(now_row.state, mv.to)? {
        Move::Already => Reply::json(200, &InvoiceOut::of(now_row, &me.company_id)),
        Move::To(_) => Err(Error::conflict(
            "invalid_transition",
            format!("the invoice is {} now", now_row.state),
        )),
    }
}
