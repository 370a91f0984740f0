//! `/v1/companies`: the directory every authenticated caller may search, to find a partner.

use shared::data::{companies, relationships};
use shared::ids::CompanyId;
use shared::service::{Cx, Page, Reply};
use shared::{Error, Result};

use crate::api::{CompanyDetail, CompanyList, CompanyQuery, RelationshipRef};

/// `GET /v1/companies?q=`.
pub async fn list_companies(cx: &mut Cx) -> Result<Reply> {
    let q: CompanyQuery = cx.query_as()?;
    let q = q.q.unwrap_or_default();
    if q.chars().count() > 100 {
        return Err(Error::invalid("q", "must be at most 100 characters"));
    }
    let page = Page::from_request(cx)?;
    let rows = companies::search(&cx.db, &q, page.before.as_deref(), page.fetch()).await?;
    let (data, next_cursor) = page.finish(rows, |c| c.id.to_string());
    Reply::json(200, &CompanyList { data, next_cursor })
}

/// `GET /v1/companies/{id}`: the entry with the caller's relationship with it.
pub async fn get_company(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = CompanyId::parse(cx.param("id"))?;
    let company = companies::find(&cx.db, &id)
        .await?
        .ok_or(Error::not_found("company"))?;
    let relationship = relationships::summary_between(&cx.db, &me.company_id, &id)
        .await?
        .map(|(id, status)| RelationshipRef { id, status });
    Reply::json(
        200,
        &CompanyDetail {
            id: company.id,
            name: company.name,
            handle: company.handle,
            created_at: company.created_at,
            relationship,
        },
    )
}
