//! `GET /v1/audit-log`: the company's administrative actions, for its admins.

use shared::data::audit::{self, Filter, ACTIONS};
use shared::service::{Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{Error, Result};

use crate::api::{AuditEntryOut, AuditList, AuditParty, AuditQuery};

/// `GET /v1/audit-log?action=&actor=&target=&since=&until=`.
pub async fn list_audit_log(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let q: AuditQuery = cx.query_as()?;
    let action = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = action {
        if !ACTIONS.contains(&a) {
            return Err(Error::invalid(
                "action",
                format!("must be one of {}", ACTIONS.join(", ")),
            ));
        }
    }
    let instant = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| time::parse(field, v).map(Time))
            .transpose()
    };
    let filter = Filter {
        action,
        actor: q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()),
        target: q.target.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        since: instant("since", &q.since)?,
        until: instant("until", &q.until)?,
    };
    let page = Page::from_request(cx)?;
    let rows = audit::list(
        &cx.db,
        &me.company_id,
        &filter,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |e| e.id.to_string());
    let data = rows
        .into_iter()
        .map(|e| {
            let actor = match (e.actor_user_id, e.actor_api_key_id) {
                (Some(id), _) => Some(("user", id)),
                (None, Some(id)) => Some(("api_key", id)),
                (None, None) => None,
            };
            AuditEntryOut {
                id: e.id.to_string(),
                action: e.action,
                actor: actor.map(|(kind, id)| AuditParty {
                    kind: kind.to_owned(),
                    id,
                    name: e.actor_name.clone(),
                }),
                target: AuditParty {
                    kind: e.target_type,
                    id: e.target_id,
                    name: e.target_name,
                },
                details: e.details.0,
                created_at: e.created_at,
            }
        })
        .collect();
    Reply::json(200, &AuditList { data, next_cursor })
}
