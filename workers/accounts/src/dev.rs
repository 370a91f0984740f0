//! The local stack's windows into what would leave it (dev only): the captured mail and the
//! event outbox.

use shared::data::{events, mails};
use shared::service::{Cx, Page, Reply};
use shared::Result;

use crate::api::{EventList, EventOut, EventQuery, MailList, MailOut, MailQuery};

/// `GET /v1/dev/mail?to=`.
pub async fn list_mail(cx: &mut Cx) -> Result<Reply> {
    let q: MailQuery = cx.query_as()?;
    let to = q.to.map(|t| t.trim().to_lowercase());
    let page = Page::from_request(cx)?;
    let rows = mails::mailbox(&cx.db, to.as_deref(), page.before.as_deref(), page.fetch()).await?;
    let (rows, next_cursor) = page.finish(rows, |m| m.id.to_string());
    let data = rows
        .into_iter()
        .map(|m| MailOut {
            link: first_link(&m.body),
            id: m.id.to_string(),
            to: m.to_email,
            language: m.language,
            template: m.template,
            subject: m.subject,
            text: m.body,
            created_at: m.created_at,
        })
        .collect();
    Reply::json(200, &MailList { data, next_cursor })
}

fn first_link(text: &str) -> Option<String> {
    let start = text.find("http://").or_else(|| text.find("https://"))?;
    text[start..]
        .split_whitespace()
        .next()
        .map(|s| s.trim_end_matches(['.', ',', ')']).to_owned())
}

/// `GET /v1/dev/events?company_id=&type=`.
pub async fn list_events(cx: &mut Cx) -> Result<Reply> {
    let q: EventQuery = cx.query_as()?;
    let page = Page::from_request(cx)?;
    let rows = events::list(
        &cx.db,
        q.company_id.as_deref(),
        q.kind.as_deref(),
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |e| e.id.to_string());
    let data = rows
        .into_iter()
        .map(|row| {
            let event = row.event();
            EventOut {
                id: event.id.to_string(),
                kind: event.kind,
                company_id: event.company_id.to_string(),
                data: event.data,
                created_at: event.created_at,
            }
        })
        .collect();
    Reply::json(200, &EventList { data, next_cursor })
}
