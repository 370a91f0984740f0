//! `/v1/api-keys`: keys for machines (ERP systems). The key is shown once; only its SHA-256 is
//! stored. A key acts for its company as a member with the permissions it was given.

use serde::{Deserialize, Serialize};
use shared::edge::{self, List};
use shared::ids::ApiKeyId;
use shared::permissions::{self, Permission, Role};
use shared::{secrets, time, validate, Error, Result};
use worker::Response;

use crate::context::Ctx;

#[derive(Deserialize)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    prefix: String,
    permissions: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

#[derive(Serialize)]
pub struct ApiKeyOut {
    id: ApiKeyId,
    name: String,
    prefix: String,
    permissions: Vec<Permission>,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

impl ApiKeyRow {
    fn out(self) -> ApiKeyOut {
        ApiKeyOut {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            permissions: permissions::from_storage(&self.permissions),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            key: None,
        }
    }
}

const COLUMNS: &str = "id, name, prefix, permissions, created_at, last_used_at, revoked_at";

/// One key as the API shows it (never the key itself).
pub async fn find(cx: &Ctx, id: &ApiKeyId) -> Result<Option<ApiKeyOut>> {
    let row: Option<ApiKeyRow> = cx
        .db
        .first(
            &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
            &[id],
        )
        .await?;
    Ok(row.map(ApiKeyRow::out))
}

pub async fn list_api_keys(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<ApiKeyRow> = cx
        .db
        .all(
            &format!(
                "SELECT {COLUMNS} FROM api_keys WHERE company_id = ?1 AND (?2 IS NULL OR id < ?2) \
                 ORDER BY id DESC LIMIT ?3"
            ),
            &[&me.company_id, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |k| k.id.to_string());
    edge::json(
        200,
        &List {
            data: rows.into_iter().map(ApiKeyRow::out).collect::<Vec<_>>(),
            next_cursor,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    name: String,
    permissions: Vec<String>,
}

pub async fn create_api_key(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let input: ApiKeyIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 100)?;
    let perms = permissions::parse_list("permissions", &input.permissions)?;
    permissions::check_grant(&me, Role::Member, &perms)?;
    let id = ApiKeyId::new(cx.now)?;
    let key = secrets::new_secret("tp_")?;
    let prefix = secrets::display_prefix(&key);
    cx.db
        .run(
            "INSERT INTO api_keys (id, company_id, name, prefix, hash, permissions, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                &id,
                &me.company_id,
                &name,
                &prefix,
                &secrets::hash_secret(&key),
                &permissions::to_storage(&perms),
                &me.user_id.as_ref().map(ToString::to_string),
                &time::format(cx.now),
            ],
        )
        .await?;
    edge::json(
        201,
        &ApiKeyOut {
            id,
            name,
            prefix,
            permissions: perms,
            created_at: time::format(cx.now),
            last_used_at: None,
            revoked_at: None,
            key: Some(key),
        },
    )
}

pub async fn revoke_api_key(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let id = ApiKeyId::parse(id)?;
    let changed = cx
        .db
        .run(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 AND company_id = ?3",
            &[&time::format(cx.now), &id, &me.company_id],
        )
        .await?;
    if changed == 0 {
        return Err(Error::not_found("api key"));
    }
    edge::no_content()
}
