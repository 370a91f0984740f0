//! The local mailbox (dev only): every mail written, with where its delivery stands.

use shared::data::mails;
use shared::service::{Cx, Page, Reply};
use shared::Result;

use crate::api::{MailList, MailOut, MailQuery};

/// `GET /v1/dev/mail?to=`.
pub async fn list_mail(cx: &mut Cx) -> Result<Reply> {
    let q: MailQuery = cx.query_as()?;
    let to = q.to.map(|t| t.trim().to_lowercase());
    let page = Page::from_request(cx)?;
    let rows = mails::mailbox(&cx.db, to.as_deref(), page.before.as_deref(), page.fetch()).await?;
    let (rows, next_cursor) = page.finish(rows, |m| m.id.to_string());
    let public_url = cx.public_url();
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
            from_name: m.from_name,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            sent_at: m.sent_at,
            message_id: m.message_id,
            error: m.error,
            unsubscribe_url: m
                .unsubscribe_token
                .map(|t| format!("{public_url}{}?token={t}", crate::send::UNSUBSCRIBE_PATH)),
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
