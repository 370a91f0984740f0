//! `/v1/dev`: what the local stack captured, so newcomers and tests can follow mail links and
//! see events. Present only when `ENVIRONMENT=dev`; a 404 everywhere else.

use serde::{Deserialize, Serialize};
use shared::edge::{self, List};
use shared::{Error, Result};
use worker::Response;

use crate::context::Ctx;

fn ensure_dev(cx: &Ctx) -> Result<()> {
    if edge::is_dev(&cx.env) {
        Ok(())
    } else {
        Err(Error::not_found("route"))
    }
}

#[derive(Deserialize)]
struct MailRow {
    id: String,
    to_email: String,
    language: String,
    template: String,
    subject: String,
    body: String,
    created_at: String,
}

#[derive(Serialize)]
struct MailOut {
    id: String,
    to: String,
    language: String,
    template: String,
    subject: String,
    text: String,
    link: Option<String>,
    created_at: String,
}

pub async fn list_mail(cx: &mut Ctx) -> Result<Response> {
    ensure_dev(cx)?;
    let to = cx.query("to").map(|t| t.trim().to_lowercase());
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<MailRow> = cx
        .db
        .all(
            "SELECT id, to_email, language, template, subject, body, created_at FROM mails \
             WHERE (?1 IS NULL OR to_email = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
            &[&to, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |m| m.id.clone());
    let data = rows
        .into_iter()
        .map(|m| MailOut {
            link: first_link(&m.body),
            id: m.id,
            to: m.to_email,
            language: m.language,
            template: m.template,
            subject: m.subject,
            text: m.body,
            created_at: m.created_at,
        })
        .collect::<Vec<_>>();
    edge::json(200, &List { data, next_cursor })
}

fn first_link(text: &str) -> Option<String> {
    let start = text.find("http://").or_else(|| text.find("https://"))?;
    text[start..]
        .split_whitespace()
        .next()
        .map(|s| s.trim_end_matches(['.', ',', ')']).to_owned())
}

#[derive(Deserialize, Serialize)]
struct EventRow {
    id: String,
    #[serde(rename(deserialize = "type", serialize = "type"))]
    kind: String,
    company_id: String,
    data: String,
    created_at: String,
}

pub async fn list_events(cx: &mut Ctx) -> Result<Response> {
    ensure_dev(cx)?;
    let company = cx.query("company_id");
    let kind = cx.query("type");
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<EventRow> = cx
        .db
        .all(
            "SELECT id, type, company_id, data, created_at FROM events \
             WHERE (?1 IS NULL OR company_id = ?1) AND (?2 IS NULL OR type = ?2) \
             AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4",
            &[&company, &kind, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |e| e.id.clone());
    let data = rows
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id,
                "type": e.kind,
                "company_id": e.company_id,
                "data": serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default(),
                "created_at": e.created_at,
            })
        })
        .collect::<Vec<_>>();
    edge::json(200, &List { data, next_cursor })
}
