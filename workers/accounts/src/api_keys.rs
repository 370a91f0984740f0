//! `/v1/api-keys`: keys for machines (ERP systems). The key is shown once; only its SHA-256 is
//! stored. A key acts for its company as a member with the permissions it was given.

use serde_json::json;
use shared::data::api_keys::{self, NewApiKey};
use shared::data::audit::{self, Target};
use shared::ids::ApiKeyId;
use shared::permissions::{self, Role};
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{secrets, validate, Error, Result};

use crate::api::{ApiKeyIn, ApiKeyList, ApiKeyOut};

/// `GET /v1/api-keys`.
pub async fn list_api_keys(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let page = Page::from_request(cx)?;
    let rows = api_keys::list(&cx.db, &me.company_id, page.before.as_deref(), page.fetch()).await?;
    let (rows, next_cursor) = page.finish(rows, |k| k.id.to_string());
    Reply::json(
        200,
        &ApiKeyList {
            data: rows.into_iter().map(ApiKeyOut::of).collect(),
            next_cursor,
        },
    )
}

/// `POST /v1/api-keys`.
pub async fn create_api_key(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: ApiKeyIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 100)?;
    let perms = permissions::parse_list("permissions", &input.permissions)?;
    permissions::check_grant(&me, Role::Member, &perms)?;
    let id = ApiKeyId::new(cx.now)?;
    let key = secrets::new_secret(secrets::API_KEY_PREFIX)?;
    let now = Time(cx.now);
    let insert = api_keys::insert_stmt(&NewApiKey {
        id: &id,
        company_id: &me.company_id,
        name: &name,
        key: &key,
        permissions: &perms,
        created_by: me.user_id.as_ref(),
        now,
    });
    let logged = audit::entry_stmt(
        &me,
        "api_key.created",
        Target::ApiKey,
        id.as_str(),
        &json!({"name": name, "permissions": perms}),
        now,
        false,
    )?;
    cx.db.batch(vec![insert, logged]).await?;
    Reply::json(
        201,
        &ApiKeyOut {
            id,
            name,
            prefix: secrets::display_prefix(&key),
            permissions: perms,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            key: Some(key),
        },
    )
}

/// `DELETE /v1/api-keys/{id}`.
pub async fn revoke_api_key(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = ApiKeyId::parse(cx.param("id"))?;
    let now = Time(cx.now);
    // Revoked the first time only (again is fine), logged then; found either way.
    let outcomes = cx
        .db
        .batch_rows(vec![
            api_keys::revoke_stmt(&me.company_id, &id, now),
            audit::entry_stmt(
                &me,
                "api_key.revoked",
                Target::ApiKey,
                id.as_str(),
                &json!({}),
                now,
                true,
            )?,
            api_keys::exists_stmt(&me.company_id, &id),
        ])
        .await?;
    if outcomes.get(2).is_none_or(|o| o.rows.is_empty()) {
        return Err(Error::not_found("api key"));
    }
    Ok(Reply::no_content())
}
