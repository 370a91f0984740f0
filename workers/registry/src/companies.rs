//! `/v1/companies`: the directory every authenticated caller may search, to find a partner.

use serde::{Deserialize, Serialize};
use shared::edge::{self, List};
use shared::ids::{CompanyId, RelationshipId};
use shared::{Error, Result};
use worker::Response;

use crate::context::Ctx;
use crate::model::{self, CompanyOut};

pub async fn list_companies(cx: &mut Ctx) -> Result<Response> {
    cx.principal().await?;
    let q = cx.query("q").unwrap_or_default();
    if q.chars().count() > 100 {
        return Err(Error::invalid("q", "must be at most 100 characters"));
    }
    let pattern = format!("%{}%", escape_like(&q.trim().to_lowercase()));
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<CompanyOut> = cx
        .db
        .all(
            "SELECT id, name, handle, created_at FROM companies \
             WHERE (lower(name) LIKE ?1 ESCAPE '\\' OR handle LIKE ?1 ESCAPE '\\') \
             AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
            &[&pattern, &page.before, &page.fetch()],
        )
        .await?;
    let (data, next_cursor) = page.finish(rows, |c| c.id.to_string());
    edge::json(200, &List { data, next_cursor })
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[derive(Deserialize, Serialize)]
struct RelationshipRef {
    id: RelationshipId,
    status: String,
}

#[derive(Serialize)]
struct CompanyDetail {
    #[serde(flatten)]
    company: CompanyOut,
    relationship: Option<RelationshipRef>,
}

pub async fn get_company(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let id = CompanyId::parse(id)?;
    let company = model::find_company(&cx.db, &id)
        .await?
        .ok_or(Error::not_found("company"))?;
    let relationship: Option<RelationshipRef> = cx
        .db
        .first(
            "SELECT id, status FROM relationships WHERE pair_key = ?1",
            &[&shared::relationship::pair_key(&me.company_id, &id)],
        )
        .await?;
    edge::json(
        200,
        &CompanyDetail {
            company,
            relationship,
        },
    )
}
