//! `audit_log`: the administrative actions of a company — who granted or revoked which
//! permission, made or revoked which API key, invited, disabled or deleted whom, changed which
//! webhook endpoint. Written in the same batch as the action, so the log never misses one and
//! never shows one that did not happen. Names are joined when read (a deleted person shows as
//! "Former user"), never stored.

use serde::Deserialize;
use serde_json::Value as JsonValue;

use super::{Db, Statement};
use crate::ids::{AuditId, CompanyId};
use crate::permissions::Principal;
use crate::platform::Json;
use crate::platform::Query;
use crate::time::Time;
use crate::Result;

/// The actions the log knows, for the filter and the docs.
pub const ACTIONS: &[&str] = &[
    "user.invited",
    "user.invitation_resent",
    "user.updated",
    "user.disabled",
    "user.enabled",
    "user.deleted",
    "api_key.created",
    "api_key.revoked",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.secret_rotated",
];

/// What an action acted on.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    User,
    ApiKey,
    Webhook,
}

impl Target {
    fn as_str(self) -> &'static str {
        match self {
            Target::User => "user",
            Target::ApiKey => "api_key",
            Target::Webhook => "webhook",
        }
    }
}

/// The insert of one entry, by `actor`, in the batch of the action; with `if_changed`, only
/// when the statement before it changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness (for the id).
pub fn entry_stmt(
    actor: &Principal,
    action: &str,
    target: Target,
    target_id: &str,
    details: &JsonValue,
    now: Time,
    if_changed: bool,
) -> Result<Statement> {
    let sql = format!(
        "INSERT INTO audit_log (id, company_id, actor_user_id, actor_api_key_id, action, \
         target_type, target_id, details, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9{}",
        if if_changed {
            " WHERE changes() > 0"
        } else {
            ""
        }
    );
    Ok(Statement::new(
        sql,
        &[
            &AuditId::new(now.0)?,
            &actor.company_id,
            &actor.user_id,
            &actor.api_key_id,
            &action,
            &target.as_str(),
            &target_id,
            &Json(details),
            &now,
        ],
    ))
}

/// An entry as read, with the names of who acted and on whom (as they are now).
#[derive(Debug, Deserialize)]
pub struct EntryRow {
    pub id: AuditId,
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub target_name: Option<String>,
    pub details: Json<JsonValue>,
    pub created_at: Time,
}

/// Which entries.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub action: Option<&'a str>,
    /// A person's or API key's id.
    pub actor: Option<&'a str>,
    pub target: Option<&'a str>,
    pub since: Option<Time>,
    pub until: Option<Time>,
}

/// The company's entries matching `filter`, newest first.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    company: &CompanyId,
    filter: &Filter<'_>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<EntryRow>> {
    let mut q = Query::new(
        "SELECT a.id, a.actor_user_id, a.actor_api_key_id, \
         COALESCE(au.name, ak.name) AS actor_name, a.action, a.target_type, a.target_id, \
         CASE a.target_type WHEN 'user' THEN tu.name WHEN 'api_key' THEN tk.name \
           WHEN 'webhook' THEN tw.url END AS target_name, a.details, a.created_at \
         FROM audit_log a \
         LEFT JOIN users au ON au.id = a.actor_user_id AND au.company_id = a.company_id \
         LEFT JOIN api_keys ak ON ak.id = a.actor_api_key_id AND ak.company_id = a.company_id \
         LEFT JOIN users tu ON tu.id = a.target_id AND tu.company_id = a.company_id \
         LEFT JOIN api_keys tk ON tk.id = a.target_id AND tk.company_id = a.company_id \
         LEFT JOIN webhook_endpoints tw ON tw.id = a.target_id AND tw.company_id = a.company_id \
         WHERE a.company_id = ?1",
        &[company],
    );
    if let Some(action) = filter.action {
        q.filter(" AND a.action = ?n", &action);
    }
    if let Some(actor) = filter.actor {
        let p = q.bind(&actor);
        q.push(&format!(
            " AND (a.actor_user_id = {p} OR a.actor_api_key_id = {p})"
        ));
    }
    if let Some(target) = filter.target {
        q.filter(" AND a.target_id = ?n", &target);
    }
    if let Some(since) = &filter.since {
        q.filter(" AND a.created_at >= ?n", since);
    }
    if let Some(until) = &filter.until {
        q.filter(" AND a.created_at < ?n", until);
    }
    if let Some(before) = before {
        q.filter(" AND a.id < ?n", &before);
    }
    let l = q.bind(&fetch);
    q.push(&format!(" ORDER BY a.id DESC LIMIT {l}"));
    db.all_of(q.statement()).await
}
