//! Info mails about events, and `/v1/me/notifications` where a person chooses which ones.
//!
//! Who is mailed: the active people of the company told whose settings (or the defaults) name
//! the event type and who may see what it is about (the permission of that area, or admin);
//! a message addressed to one person, or an approval naming its approvers, goes only to them.
//! `event_mails` (one row per event and person, written first in the same batch as the mail)
//! keeps a redelivered event from mailing anyone twice. The registry sends no mail of its own
//! for relationship requests, so `relationship.requested` is mailed from here only.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::edge::context::Ctx;
use shared::edge::db::Db;
use shared::edge::{self, internal};
use shared::event::Event;
use shared::ids::UserId;
use shared::lang::Language;
use shared::notice::{self, Notice};
use shared::permissions::{self as perms, Permission, Role};
use shared::time::{self, Timestamp};
use shared::Result;
use worker::{D1PreparedStatement, Env, Response};

use crate::deliver::mail_stmt_if_changed;

#[derive(Deserialize)]
struct Recipient {
    id: UserId,
    email: String,
    language: String,
    role: String,
    permissions: String,
    events: Option<String>,
}

impl Recipient {
    fn wants(&self, kind: &str) -> bool {
        match self
            .events
            .as_deref()
            .and_then(|e| serde_json::from_str::<Vec<String>>(e).ok())
        {
            Some(chosen) => chosen.iter().any(|t| t == kind),
            None => notice::DEFAULT_MAIL_EVENTS.contains(&kind),
        }
    }

    fn may(&self, permission: Permission) -> bool {
        self.role == Role::Admin.as_str()
            || perms::from_storage(&self.permissions).contains(&permission)
    }
}

/// The permission that lets a person see what an event of `kind` is about.
fn area(kind: &str) -> Option<Permission> {
    match kind {
        "document.deposited" => Some(Permission::DocumentsReceive),
        "approval.requested" => Some(Permission::ApprovalsDecide),
        "approval.decided" => Some(Permission::DocumentsSend),
        "talk.message" => Some(Permission::Talk),
        "relationship.requested" => Some(Permission::RelationshipsManage),
        _ => None,
    }
}

fn text(data: &Value, key: &str) -> String {
    data[key].as_str().unwrap_or_default().to_owned()
}

#[derive(Deserialize)]
struct NameRow {
    name: String,
}

async fn company_name(db: &Db, id: &str) -> Result<String> {
    let row: Option<NameRow> = db
        .first("SELECT name FROM companies WHERE id = ?1", &[&id])
        .await?;
    Ok(row.map_or_else(|| id.to_owned(), |r| r.name))
}

#[derive(Deserialize)]
struct ApprovalRow {
    supplier_id: String,
    customer_id: String,
}

async fn approval(db: &Db, id: &str) -> Result<Option<ApprovalRow>> {
    db.first(
        "SELECT supplier_id, customer_id FROM approvals WHERE id = ?1",
        &[&id],
    )
    .await
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn version(data: &Value) -> u32 {
    data["version"].as_f64().unwrap_or(0.0).max(0.0) as u32
}

/// The notice for an event, and whom of the company it is for (`None`: everybody eligible).
async fn notice_for(
    db: &Db,
    event: &Event,
    portal: &str,
) -> Result<Option<(Notice, Option<Vec<String>>)>> {
    let data = &event.data;
    let notice = match event.kind.as_str() {
        "document.deposited" => (
            Notice::DocumentReceived {
                partner: company_name(db, &text(data, "sender_id")).await?,
                filename: text(data, "filename"),
                link: format!("{portal}/documents/{}", text(data, "document_id")),
            },
            None,
        ),
        "approval.requested" => {
            let Some(row) = approval(db, &text(data, "approval_id")).await? else {
                return Ok(None);
            };
            let approvers = data["approvers"].as_array().map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            });
            (
                Notice::ApprovalRequested {
                    partner: company_name(db, &row.supplier_id).await?,
                    filename: text(data, "filename"),
                    version: version(data),
                    link: format!("{portal}/approvals/{}", text(data, "approval_id")),
                },
                approvers.filter(|a| !a.is_empty()),
            )
        }
        "approval.decided" => {
            let Some(row) = approval(db, &text(data, "approval_id")).await? else {
                return Ok(None);
            };
            (
                Notice::ApprovalDecided {
                    partner: company_name(db, &row.customer_id).await?,
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
                partner: company_name(db, &text(data, "from_company_id")).await?,
                person: text(data, "from_user_name"),
                subject: text(data, "subject"),
                excerpt: text(data, "excerpt"),
                link: format!("{portal}/threads/{}", text(data, "thread_id")),
            },
            data["to_user_id"].as_str().map(|u| vec![u.to_owned()]),
        ),
        "relationship.requested" => (
            Notice::RelationshipRequested {
                partner: company_name(db, &text(data, "from_company_id")).await?,
                link: format!("{portal}/partners"),
            },
            None,
        ),
        _ => return Ok(None),
    };
    Ok(Some(notice))
}

/// Writes the info mails an event causes (none twice for one person).
///
/// # Errors
/// Internal error on a database failure.
pub async fn send_info_mails(env: &Env, db: &Db, event: &Event, now: Timestamp) -> Result<()> {
    let Some(permission) = area(&event.kind) else {
        return Ok(());
    };
    let portal = edge::setting(env, "PUBLIC_URL")
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let recipients: Vec<Recipient> = db
        .all(
            "SELECT u.id, u.email, u.language, u.role, u.permissions, s.events FROM users u \
             LEFT JOIN notification_settings s ON s.user_id = u.id \
             WHERE u.company_id = ?1 AND u.status = 'active'",
            &[&event.company_id],
        )
        .await?;
    let wanted: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| r.wants(&event.kind) && r.may(permission))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let Some((notice, only)) = notice_for(db, event, &portal).await? else {
        return Ok(());
    };
    let mut statements: Vec<D1PreparedStatement> = Vec::new();
    for person in wanted {
        if only
            .as_ref()
            .is_some_and(|ids| !ids.iter().any(|i| i == person.id.as_str()))
        {
            continue;
        }
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO event_mails (event_id, user_id, created_at) \
             VALUES (?1, ?2, ?3)",
            &[&event.id, &person.id, &time::format(now)],
        )?);
        let language = Language::parse("language", &person.language).unwrap_or_default();
        statements.push(mail_stmt_if_changed(
            db,
            &person.email,
            language,
            &notice,
            now,
        )?);
    }
    if !statements.is_empty() {
        db.batch(statements).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct SettingsRow {
    events: String,
    updated_at: String,
}

#[derive(Serialize)]
struct SettingsOut {
    /// The event types mailed to the caller.
    events: Vec<String>,
    /// Whether these are the defaults (the caller never chose).
    default: bool,
    /// Every event type that can be mailed.
    available: Vec<&'static str>,
    updated_at: Option<String>,
}

async fn settings_of(db: &Db, user: &UserId) -> Result<SettingsOut> {
    let row: Option<SettingsRow> = db
        .first(
            "SELECT events, updated_at FROM notification_settings WHERE user_id = ?1",
            &[user],
        )
        .await?;
    let available = notice::MAIL_EVENT_TYPES.to_vec();
    Ok(match row {
        Some(row) => SettingsOut {
            events: serde_json::from_str(&row.events).unwrap_or_default(),
            default: false,
            available,
            updated_at: Some(row.updated_at),
        },
        None => SettingsOut {
            events: notice::DEFAULT_MAIL_EVENTS
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            default: true,
            available,
            updated_at: None,
        },
    })
}

/// `GET /v1/me/notifications`.
pub async fn get_notifications(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user = me.require_user()?;
    edge::json(200, &settings_of(&cx.db, user).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    events: Vec<String>,
}

/// `PUT /v1/me/notifications`.
pub async fn put_notifications(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user = me.require_user()?.clone();
    let input: SettingsIn = cx.body().await?;
    let events = notice::parse_mail_events("events", &input.events)?;
    let json = serde_json::to_string(&events).map_err(internal)?;
    cx.db
        .run(
            "INSERT INTO notification_settings (user_id, events, updated_at) \
             VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id) DO UPDATE SET events = excluded.events, \
             updated_at = excluded.updated_at",
            &[&user, &json, &time::format(cx.now)],
        )
        .await?;
    edge::json(200, &settings_of(&cx.db, &user).await?)
}
