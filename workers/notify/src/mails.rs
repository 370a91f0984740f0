//! Info mails about events, and `/v1/me/notifications` where a person chooses which ones.
//!
//! Who is mailed: the active people of the company told whose settings (or the defaults) name
//! the event type and who may see what it is about (the permission of that area, or admin);
//! a message addressed to one person, or an approval naming its approvers, goes only to them.
//! An appointment proposed goes to the supplier's planners (`appointments.manage`); the decision
//! on it only to the person of the customer who proposed it (who needs no permission for it).
//! An invoice disputed or paid goes to its sender's `documents.send` people; one overdue to its
//! recipient's `documents.receive` people (the sender is told by webhook only).
//! `event_mails` (one row per event and person, written first in the same batch as the mail)
//! keeps a redelivered event from mailing anyone twice. The registry sends no mail of its own
//! for relationship requests, so `relationship.requested` is mailed from here only.

use std::cell::Cell;

use serde_json::Value;
use shared::data::{approvals, companies, notices};
use shared::event::Event;
use shared::ids::CompanyId;
use shared::notice::Notice;
use shared::permissions::Permission;
use shared::platform::{Db, Platform};
use shared::time::{self as time, Time, Timestamp};
use shared::tz::Zone;
use shared::Result;

use crate::deliver::notice_mail_stmt;

/// Who of the company may be mailed about an event.
#[derive(Clone, Copy)]
enum Audience {
    /// Those holding the permission that lets them see what it is about (admins hold all).
    Area(Permission),
    /// Only the people the event names (the notice says whom), whatever they hold.
    Named,
}

/// Who may be mailed about an event of `kind`.
fn audience(kind: &str) -> Option<Audience> {
    let area = match kind {
        "document.deposited" => Permission::DocumentsReceive,
        "approval.requested" => Permission::ApprovalsDecide,
        "approval.decided" => Permission::DocumentsSend,
        "talk.message" => Permission::Talk,
        "relationship.requested" => Permission::RelationshipsManage,
        "appointment.proposed" => Permission::AppointmentsManage,
        "appointment.decided" => return Some(Audience::Named),
        "invoice.disputed" | "invoice.paid" => Permission::DocumentsSend,
        "invoice.overdue" => Permission::DocumentsReceive,
        _ => return None,
    };
    Some(Audience::Area(area))
}

/// An appointment's time as a mail says it: local to its location, with the zone
/// (`2026-03-29 10:00–11:00 (Europe/Berlin)`), by hand rather than with a format string.
fn when(data: &Value) -> String {
    let zone = Zone::parse("time_zone", &text(data, "time_zone")).unwrap_or(Zone::UTC);
    let local = |key: &str| {
        time::parse(key, &text(data, key))
            .ok()
            .map(|t| zone.local(t))
    };
    let (Some(start), Some(end)) = (local("starts_at"), local("ends_at")) else {
        return text(data, "starts_at");
    };
    let day = |t: &chrono::NaiveDateTime| {
        use chrono::Datelike;
        format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
    };
    let hour = |t: &chrono::NaiveDateTime| {
        use chrono::Timelike;
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    if start.date() == end.date() {
        format!("{} {}–{} ({zone})", day(&start), hour(&start), hour(&end))
    } else {
        format!(
            "{} {} – {} {} ({zone})",
            day(&start),
            hour(&start),
            day(&end),
            hour(&end)
        )
    }
}

/// Where an appointment takes place, as a mail says it.
fn place(data: &Value) -> String {
    format!("{}, {}", text(data, "location_name"), text(data, "city"))
}

/// An invoice as a mail names it: its number, or "(no number)" when none was read.
fn invoice_number(data: &Value) -> String {
    data["invoice_number"]
        .as_str()
        .map_or_else(|| "(no number)".to_owned(), str::to_owned)
}

/// An invoice's payable amount with its currency (`1190.00 EUR`), as the invoice states it.
fn amount(data: &Value) -> String {
    format!("{} {}", text(data, "payable"), text(data, "currency"))
        .trim()
        .to_owned()
}

fn text(data: &Value, key: &str) -> String {
    data[key].as_str().unwrap_or_default().to_owned()
}

/// A company's name by the id an event names (its id when unknown).
/// The partner company's name; `caused` keeps the company (whose mail opening applies).
async fn company_name(db: &Db, caused: &Cell<Option<CompanyId>>, id: &str) -> Result<String> {
    let found = match CompanyId::parse(id) {
        Ok(id) => companies::find(db, &id).await?,
        Err(_) => None,
    };
    Ok(match found {
        Some(c) => {
            caused.set(Some(c.id));
            c.name
        }
        None => id.to_owned(),
    })
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn version(data: &Value) -> u32 {
    data["version"].as_f64().unwrap_or(0.0).max(0.0) as u32
}

/// The notice for an event, whom of the company it is for (`None`: everybody eligible), and
/// the partner company that caused it.
async fn notice_for(
    db: &Db,
    event: &Event,
    portal: &str,
) -> Result<Option<(Notice, Option<Vec<String>>, Option<CompanyId>)>> {
    let data = &event.data;
    let caused = Cell::new(None);
    let notice = match event.kind.as_str() {
        "document.deposited" => (
            Notice::DocumentReceived {
                partner: company_name(db, &caused, &text(data, "sender_id")).await?,
                filename: text(data, "filename"),
                link: format!("{portal}/documents/{}", text(data, "document_id")),
            },
            None,
        ),
        "approval.requested" => {
            let Some((supplier, _)) = approvals::parties(db, &text(data, "approval_id")).await?
            else {
                return Ok(None);
            };
            let approvers = data["approvers"].as_array().map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            });
            (
                Notice::ApprovalRequested {
                    partner: company_name(db, &caused, supplier.as_str()).await?,
                    filename: text(data, "filename"),
                    version: version(data),
                    link: format!("{portal}/approvals/{}", text(data, "approval_id")),
                },
                approvers.filter(|a| !a.is_empty()),
            )
        }
        "approval.decided" => {
            let Some((_, customer)) = approvals::parties(db, &text(data, "approval_id")).await?
            else {
                return Ok(None);
            };
            (
                Notice::ApprovalDecided {
                    partner: company_name(db, &caused, customer.as_str()).await?,
                    person: text(data, "decided_by_name"),
                    approved: data["decision"] == "approved",
                    version: version(data),
                    comment: data["comment"].as_str().map(str::to_owned),
                    link: format!("{portal}/approvals/{}", text(data, "approval_id")),
                },
                None,
            )
        }
        "talk.message" => (
            Notice::NewMessage {
                partner: company_name(db, &caused, &text(data, "from_company_id")).await?,
                person: text(data, "from_user_name"),
                subject: text(data, "subject"),
                excerpt: text(data, "excerpt"),
                link: format!("{portal}/threads/{}", text(data, "thread_id")),
            },
            data["to_user_id"].as_str().map(|u| vec![u.to_owned()]),
        ),
        "relationship.requested" => (
            Notice::RelationshipRequested {
                partner: company_name(db, &caused, &text(data, "from_company_id")).await?,
                link: format!("{portal}/partners"),
            },
            None,
        ),
        "appointment.proposed" => (
            Notice::AppointmentProposed {
                partner: company_name(db, &caused, &text(data, "customer_id")).await?,
                person: text(data, "proposed_by_name"),
                title: text(data, "title"),
                when: when(data),
                place: place(data),
                note: data["note"].as_str().map(str::to_owned),
                link: format!("{portal}/appointments/{}", text(data, "appointment_id")),
            },
            None,
        ),
        "appointment.decided" => {
            let Some(proposer) = data["proposed_by_user_id"].as_str() else {
                return Ok(None);
            };
            (
                Notice::AppointmentDecided {
                    partner: company_name(db, &caused, &text(data, "supplier_id")).await?,
                    confirmed: data["decision"] == "confirmed",
                    title: text(data, "title"),
                    when: when(data),
                    place: place(data),
                    reason: data["reason"].as_str().map(str::to_owned),
                    link: format!("{portal}/appointments/{}", text(data, "appointment_id")),
                },
                Some(vec![proposer.to_owned()]),
            )
        }
        "invoice.disputed" => (
            Notice::InvoiceDisputed {
                partner: company_name(db, &caused, &text(data, "recipient_id")).await?,
                person: text(data, "disputed_by_name"),
                number: invoice_number(data),
                amount: amount(data),
                reason: text(data, "reason"),
                link: format!("{portal}/invoices/{}", text(data, "invoice_id")),
            },
            None,
        ),
        "invoice.paid" => (
            Notice::InvoicePaid {
                partner: company_name(db, &caused, &text(data, "recipient_id")).await?,
                number: invoice_number(data),
                amount: format!("{} {}", text(data, "amount"), text(data, "currency"))
                    .trim()
                    .to_owned(),
                paid_on: text(data, "paid_on"),
                reference: data["reference"].as_str().map(str::to_owned),
                link: format!("{portal}/invoices/{}", text(data, "invoice_id")),
            },
            None,
        ),
        // Both sides are told by webhook; only the recipient, who pays, by mail.
        "invoice.overdue" if text(data, "recipient_id") == event.company_id.as_str() => (
            Notice::InvoiceOverdue {
                partner: company_name(db, &caused, &text(data, "sender_id")).await?,
                number: invoice_number(data),
                amount: amount(data),
                due_date: text(data, "due_date"),
                link: format!("{portal}/invoices/{}", text(data, "invoice_id")),
            },
            None,
        ),
        _ => return Ok(None),
    };
    let (notice, only) = notice;
    Ok(Some((notice, only, caused.take())))
}

/// Writes the info mails an event causes (none twice for one person).
///
/// # Errors
/// A database error.
pub async fn send_info_mails(env: &Platform, event: &Event, now: Timestamp) -> Result<()> {
    let Some(audience) = audience(&event.kind) else {
        return Ok(());
    };
    let portal = env
        .settings
        .get("PUBLIC_URL")
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let recipients = notices::recipients(&env.db, &event.company_id).await?;
    let wanted: Vec<&notices::Recipient> = recipients
        .iter()
        .filter(|r| {
            r.wants(&event.kind)
                && match audience {
                    Audience::Area(permission) => r.may(permission),
                    Audience::Named => true,
                }
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let Some((notice, only, caused_by)) = notice_for(&env.db, event, &portal).await? else {
        return Ok(());
    };
    if matches!(audience, Audience::Named) && only.is_none() {
        return Ok(());
    }
    let mut statements = Vec::new();
    for person in wanted {
        if only
            .as_ref()
            .is_some_and(|ids| !ids.iter().any(|i| i == person.id.as_str()))
        {
            continue;
        }
        statements.push(notices::mailed_stmt(&event.id, &person.id, Time(now)));
        statements.push(notice_mail_stmt(
            &person.email,
            person.language,
            &notice,
            caused_by.as_ref(),
            now,
        )?);
    }
    env.db.batch(statements).await?;
    Ok(())
}
