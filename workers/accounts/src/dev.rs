//! The local stack's window into the event outbox (dev only); the mailbox is the mailer's.

use shared::data::events;
use shared::service::{Cx, Page, Reply};
use shared::Result;

use crate::api::{EventList, EventOut, EventQuery};

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
