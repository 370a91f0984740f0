//! Reading invoices, off the request path: the consumer of the `tradepost-invoices` queue (the
//! orders worker puts each stored document of type `invoice` on it) and the cron beside it,
//! which reads what the queue missed and flags unpaid invoices past their due date.
//!
//! A document is read once: the file from the bucket through `shared::invoice::read`, the order
//! it names looked up between the same two companies, and the outcome stored in one batch that
//! a second reading of the same document leaves as it was.

use serde::Deserialize;
use serde_json::json;
use shared::data::invoices::{self as data, Reading, Unread};
use shared::event::{self, Event};
use shared::ids::{CompanyId, DocumentId};
use shared::invoice::{self, InvoiceKind};
use shared::payment::{self, Recognition};
use shared::platform::files::read_all;
use shared::platform::{FileRange, Platform};
use shared::service::{log_error, Cx, Reply};
use shared::time::{self, Time, Timestamp};
use shared::{Error, Result};

use crate::api::InvoicesCronOut;
use crate::invoices::about;

/// The largest file that is read; a larger one is kept as it is (`unstructured`).
pub const READ_MAX_BYTES: u64 = invoice::PDF_MAX_BYTES as u64;
/// The cron reads invoices the queue has not read after this long.
pub const MISSED_AFTER_MINUTES: i64 = 2;
/// How many of each the cron handles per run (the next run takes the rest).
const CRON_BATCH: u32 = 100;

/// A message of the invoices queue.
#[derive(Debug, Deserialize)]
pub struct ReadMessage {
    pub document_id: DocumentId,
}

/// Handles a batch of message bodies; per message, whether to ack it (`false`: reading failed
/// on the platform and the queue delivers it again). A body that is no such message is acked
/// (and logged): delivering it again would not help.
pub async fn handle_batch(
    env: &Platform,
    bodies: &[serde_json::Value],
    now: Timestamp,
) -> Vec<bool> {
    let mut acks = Vec::with_capacity(bodies.len());
    for body in bodies {
        let ack = match serde_json::from_value::<ReadMessage>(body.clone()) {
            Ok(m) => match read_document(env, &m.document_id, now).await {
                Ok(_) => true,
                Err(e) => {
                    log_error(&format!("reading invoice {} failed: {e}", m.document_id));
                    false
                }
            },
            Err(e) => {
                log_error(&format!("an invoices queue message is not one: {e}"));
                true
            }
        };
        acks.push(ack);
    }
    acks
}

/// Reads the document `id` if it is an invoice not read yet; `true` when this call stored it.
///
/// # Errors
/// A database or bucket error.
pub async fn read_document(env: &Platform, id: &DocumentId, now: Timestamp) -> Result<bool> {
    match data::unread(&env.db, id).await? {
        Some(doc) => store(env, &doc, now).await,
        None => Ok(false),
    }
}

/// Reads one document's file and stores what it holds.
async fn store(env: &Platform, doc: &Unread, now: Timestamp) -> Result<bool> {
    // A file too big to read is kept as it is, with the reason.
    let (reading, too_big) = if doc.size > READ_MAX_BYTES {
        let why = format!(
            "the file is {} bytes; only files up to 32 MiB are read",
            doc.size
        );
        (invoice::Reading::Unknown, Some(why))
    } else {
        let body = env
            .files()?
            .get(&doc.object_key, FileRange::Prefix(doc.size))
            .await
            .map_err(Error::internal)?
            .ok_or_else(|| Error::internal("the invoice's file is missing"))?;
        let bytes = read_all(body).await.map_err(Error::internal)?;
        (invoice::read(&bytes), None)
    };
    let (recognition, format, summary, findings, parse_error) = match &reading {
        invoice::Reading::Recognised { summary, findings } => (
            Recognition::Recognised,
            Some(summary.format),
            Some(summary),
            findings.as_slice(),
            None,
        ),
        invoice::Reading::Malformed { format, error } => (
            Recognition::Malformed,
            Some(*format),
            None,
            &[][..],
            Some(error.clone()),
        ),
        invoice::Reading::Unknown => (Recognition::Unstructured, None, None, &[][..], too_big),
    };
    let order_number = summary.and_then(|s| s.order_reference.as_deref());
    let order = match order_number {
        Some(number) => data::order_named(&env.db, &doc.relationship_id, number).await?,
        None => None,
    };
    let credit = summary.is_some_and(|s| s.kind == InvoiceKind::CreditNote);
    let payable = summary.and_then(|s| s.payable.as_deref());
    let payable_e4 = payable
        .and_then(payment::to_e4)
        .map(|v| if credit { -v } else { v });
    let summary_json = summary.and_then(|s| serde_json::to_string(s).ok());
    let findings_json = serde_json::to_string(findings).unwrap_or_else(|_| "[]".to_owned());
    let format_name = format
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    data::store_reading(
        &env.db,
        &Reading {
            document: doc,
            recognition,
            format: format_name.as_deref(),
            kind: if credit { "credit_note" } else { "invoice" },
            invoice_number: summary.and_then(|s| s.invoice_number.as_deref()),
            issue_date: summary.and_then(|s| s.issue_date.as_deref()),
            due_date: summary.and_then(|s| s.due_date.as_deref()),
            currency: summary.and_then(|s| s.currency.as_deref()),
            payable,
            payable_e4,
            summary: summary_json.as_deref(),
            findings: &findings_json,
            parse_error: parse_error.as_deref(),
            order: order.as_ref(),
            order_number,
            now: Time(now),
        },
    )
    .await
}

/// The cron: reads the invoices that arrived by `missed_before` and are still unread (the
/// queue missed them), and flags unpaid invoices whose due date passed before `now`'s day (both
/// sides are told). With `company`, only its invoices.
///
/// # Errors
/// A database error of the lookups (one invoice failing is logged, and the rest go on).
pub async fn run_cron(
    env: &Platform,
    now: Timestamp,
    missed_before: Time,
    company: Option<&CompanyId>,
) -> Result<InvoicesCronOut> {
    let mut out = InvoicesCronOut::default();
    for doc in data::unread_before(&env.db, missed_before, company, CRON_BATCH).await? {
        match store(env, &doc, now).await {
            Ok(true) => out.read += 1,
            Ok(false) => {}
            Err(e) => log_error(&format!("reading invoice {} failed: {e}", doc.id)),
        }
    }
    let today = time::format(now);
    let today = today.get(..10).unwrap_or(&today);
    for due in data::overdue_unflagged(&env.db, today, company, CRON_BATCH).await? {
        let mut facts = about(
            &due.document_id,
            &due.sender_id,
            &due.recipient_id,
            due.invoice_number.as_deref(),
            due.currency.as_deref(),
            due.payable.as_deref(),
            Some(&due.due_date),
        );
        facts["as_of"] = json!(today);
        let events = vec![
            Event::new(
                event::INVOICE_OVERDUE,
                &due.recipient_id,
                facts.clone(),
                now,
            )?,
            Event::new(event::INVOICE_OVERDUE, &due.sender_id, facts, now)?,
        ];
        match data::flag_overdue(&env.db, &due.document_id, &events, Time(now)).await {
            Ok(true) => {
                out.flagged_overdue += 1;
                if let Ok(queue) = env.queue() {
                    shared::service::publish(queue, &events).await;
                }
            }
            Ok(false) => {}
            Err(e) => log_error(&format!(
                "flagging invoice {} overdue failed: {e}",
                due.document_id
            )),
        }
    }
    Ok(out)
}

/// What the dev endpoint takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicesCronIn {
    /// Only this company's invoices (`co_…`).
    pub company_id: String,
    /// Run as of this instant (RFC 3339; default now): the day overdue is judged by.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// `POST /v1/dev/invoices/cron {company_id, as_of?}` (dev only; crons do not fire locally): the
/// cron's work for that company only, as of `as_of`. Invoices the queue has not read yet are
/// read at once.
pub async fn dev_invoices_cron(cx: &mut Cx) -> Result<Reply> {
    let input: InvoicesCronIn = cx.body().await?;
    let company = CompanyId::parse_field("company_id", &input.company_id)?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    let out = run_cron(&cx.env, as_of, Time(cx.now), Some(&company)).await?;
    Reply::json(200, &out)
}
