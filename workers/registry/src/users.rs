//! `/v1/me` and `/v1/users`: a person's own profile, and the delegated administration of a
//! company's accesses (invite, grant, disable, delete).

use serde::{Deserialize, Serialize};
use shared::edge::{self, List};
use shared::ids::UserId;
use shared::lang::Language;
use shared::mail::Template;
use shared::permissions::{self, Permission, PrincipalKind, Role};
use shared::{time, validate, Error, Result};
use worker::Response;

use crate::api_keys;
use crate::auth::{self, NewUser};
use crate::context::Ctx;
use crate::mailer::{self, LinkKind};
use crate::model::{self, CompanyOut, UserOut, UserRow, USER_COLUMNS, USER_COLUMNS_U};

#[derive(Serialize)]
struct MeOut {
    kind: &'static str,
    user: Option<UserOut>,
    api_key: Option<api_keys::ApiKeyOut>,
    company: CompanyOut,
    permissions: Vec<Permission>,
}

/// A user with their company and the liveness of the session the token names: `GET /v1/me`
/// is the most frequent call, so it costs one query.
#[derive(Deserialize)]
struct MeRow {
    #[serde(flatten)]
    user: UserRow,
    company_name: String,
    company_handle: String,
    company_created_at: String,
    revoked_at: Option<String>,
}

pub async fn get_me(cx: &mut Ctx) -> Result<Response> {
    let me = cx.credentials().await?;
    let (kind, user, api_key, company) = match (&me.kind, &me.user_id, &me.session_id) {
        (PrincipalKind::User, Some(id), Some(session)) => {
            let row: MeRow = cx
                .db
                .first(
                    &format!(
                        "SELECT {}, c.name AS company_name, c.handle AS company_handle, \
                         c.created_at AS company_created_at, s.revoked_at \
                         FROM users u JOIN companies c ON c.id = u.company_id \
                         JOIN sessions s ON s.user_id = u.id WHERE u.id = ?1 AND s.id = ?2",
                        USER_COLUMNS_U
                    ),
                    &[id, session],
                )
                .await?
                .filter(|r: &MeRow| r.user.status == "active" && r.revoked_at.is_none())
                .ok_or_else(crate::context::revoked)?;
            let company = CompanyOut {
                id: row.user.company_id.clone(),
                name: row.company_name,
                handle: row.company_handle,
                created_at: row.company_created_at,
            };
            ("user", Some(row.user.out()), None, company)
        }
        (PrincipalKind::ApiKey, _, _) => {
            let key = match &me.api_key_id {
                Some(key) => api_keys::find(cx, key).await?,
                None => None,
            };
            let company = model::company(&cx.db, &me.company_id).await?;
            ("api_key", None, key, company)
        }
        _ => return Err(crate::context::revoked()),
    };
    let permissions = match me.role {
        Role::Admin => permissions::ALL.to_vec(),
        Role::Member => me.permissions.clone(),
    };
    edge::json(
        200,
        &MeOut {
            kind,
            user,
            api_key,
            company,
            permissions,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    language: Option<Language>,
}

pub async fn update_me(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user_id = me.require_user()?.clone();
    let patch: MePatch = cx.body().await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 120))
        .transpose()?;
    cx.db
        .run(
            "UPDATE users SET name = COALESCE(?1, name), language = COALESCE(?2, language), \
             updated_at = ?3 WHERE id = ?4",
            &[
                &name,
                &patch.language.map(|l| l.as_str().to_owned()),
                &time::format(cx.now),
                &user_id,
            ],
        )
        .await?;
    let user = model::find_user(&cx.db, &user_id)
        .await?
        .ok_or(Error::not_found("user"))?;
    edge::json(200, &serde_json::json!({ "user": user.out() }))
}

async fn user_response(cx: &Ctx, id: &UserId, status: u16) -> Result<Response> {
    let user = model::find_user(&cx.db, id)
        .await?
        .ok_or(Error::not_found("user"))?;
    edge::json(status, &user.out())
}

pub async fn list_users(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let status = cx.query("status");
    if let Some(s) = status.as_deref() {
        if !matches!(s, "unconfirmed" | "invited" | "active" | "disabled") {
            return Err(Error::invalid(
                "status",
                "must be one of unconfirmed, invited, active, disabled",
            ));
        }
    }
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<UserRow> = cx
        .db
        .all(
            &format!(
                "SELECT {USER_COLUMNS} FROM users WHERE company_id = ?1 \
                 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) \
                 ORDER BY id DESC LIMIT ?4"
            ),
            &[&me.company_id, &status, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |u| u.id.to_string());
    edge::json(
        200,
        &List {
            data: rows.iter().map(UserRow::out).collect::<Vec<_>>(),
            next_cursor,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    email: String,
    name: String,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    language: Option<Language>,
}

pub async fn invite_user(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let input: UserIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    let name = validate::text("name", &input.name, 1, 120)?;
    let role = input.role.unwrap_or(Role::Member);
    let perms = match &input.permissions {
        Some(list) => permissions::parse_list("permissions", list)?,
        None => permissions::default_member_permissions(),
    };
    permissions::check_grant(&me, role, &perms)?;
    if model::email_taken(&cx.db, &email).await? {
        return Err(model::email_taken_error());
    }
    let language = input.language.unwrap_or_default();
    let user_id = UserId::new(cx.now)?;
    let inviter = match &me.user_id {
        Some(id) => model::find_user(&cx.db, id).await?.map(|u| u.name),
        None => None,
    }
    .unwrap_or_else(|| "Tradepost".to_owned());
    let company = model::company(&cx.db, &me.company_id).await?;
    let link = mailer::new_link(
        &cx.db,
        &cx.public_url(),
        LinkKind::InviteUser,
        Some(&user_id),
        None,
        cx.now,
    )?;
    let mail = mailer::mail_stmt(
        &cx.db,
        &email,
        language,
        "colleague_invitation",
        &Template::ColleagueInvitation {
            inviter,
            company: company.name,
            link: link.url.clone(),
        },
        cx.now,
    )?;
    let insert = auth::insert_user(
        cx,
        &NewUser {
            id: &user_id,
            company_id: &me.company_id,
            email: &email,
            name: &name,
            password_hash: None,
            role,
            permissions: &perms,
            language,
            status: "invited",
        },
    )?;
    cx.db
        .batch(vec![insert, link.stmt, mail])
        .await
        .map_err(|e| {
            if shared::edge::db::unique_violation(&e) {
                model::email_taken_error()
            } else {
                e
            }
        })?;
    user_response(cx, &user_id, 201).await
}

pub async fn get_user(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let id = UserId::parse(id)?;
    if me.user_id.as_ref() != Some(&id) {
        me.require(Permission::UsersManage)?;
    }
    let user = model::user_in_company(&cx.db, &id, &me.company_id).await?;
    edge::json(200, &user.out())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    status: Option<UserStatusIn>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum UserStatusIn {
    Active,
    Disabled,
}

pub async fn update_user(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let id = UserId::parse(id)?;
    let user = model::user_in_company(&cx.db, &id, &me.company_id).await?;
    let patch: UserPatch = cx.body().await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 120))
        .transpose()?;
    let role = patch.role.unwrap_or_else(|| user.role());
    let perms = match &patch.permissions {
        Some(list) => permissions::parse_list("permissions", list)?,
        None => permissions::from_storage(&user.permissions),
    };
    let status = match patch.status {
        Some(UserStatusIn::Disabled) => Some("disabled"),
        Some(UserStatusIn::Active) if user.status == "disabled" => Some("active"),
        Some(UserStatusIn::Active) | None => None,
    };
    let loses_admin = user.role() == Role::Admin
        && user.status == "active"
        && (role != Role::Admin || status == Some("disabled"));
    if loses_admin {
        ensure_other_admin(cx, &user).await?;
    }
    if status == Some("disabled") && me.user_id.as_ref() == Some(&id) {
        return Err(Error::conflict(
            "self_change",
            "you cannot disable your own access",
        ));
    }
    if patch.role.is_some() || patch.permissions.is_some() {
        permissions::check_grant(&me, role, &perms)?;
    }
    if user.role() == Role::Admin && me.user_id.as_ref() != Some(&id) {
        // Changing another admin is an admin's business.
        me.require_admin()?;
    }
    let mut statements = vec![cx.db.stmt(
        "UPDATE users SET name = COALESCE(?1, name), role = ?2, permissions = ?3, \
         status = COALESCE(?4, status), updated_at = ?5 WHERE id = ?6",
        &[
            &name,
            &role.as_str(),
            &permissions::to_storage(&perms),
            &status,
            &time::format(cx.now),
            &id,
        ],
    )?];
    if status == Some("disabled") {
        statements.push(auth::revoke_all_sessions_stmt(cx, &id)?);
    }
    cx.db.batch(statements).await?;
    user_response(cx, &id, 200).await
}

async fn ensure_other_admin(cx: &Ctx, user: &UserRow) -> Result<()> {
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let others: Option<Count> = cx
        .db
        .first(
            "SELECT COUNT(*) AS n FROM users WHERE company_id = ?1 AND role = 'admin' \
             AND status = 'active' AND id != ?2",
            &[&user.company_id, &user.id],
        )
        .await?;
    if others.map_or(0.0, |c| c.n) < 1.0 {
        return Err(Error::conflict(
            "last_admin",
            "a company needs at least one active admin; make someone else admin first",
        ));
    }
    Ok(())
}

pub async fn delete_user(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::UsersManage)?;
    let id = UserId::parse(id)?;
    let user = model::user_in_company(&cx.db, &id, &me.company_id).await?;
    if user.role() == Role::Admin && user.status == "active" {
        ensure_other_admin(cx, &user).await?;
    }
    if me.user_id.as_ref() == Some(&id) {
        return Err(Error::conflict(
            "self_change",
            "you cannot delete your own access",
        ));
    }
    if user.role() == Role::Admin {
        me.require_admin()?;
    }
    cx.db
        .batch(vec![
            cx.db.stmt("DELETE FROM link_tokens WHERE user_id = ?1", &[&id])?,
            cx.db.stmt(
                "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?1)",
                &[&id],
            )?,
            cx.db.stmt("DELETE FROM sessions WHERE user_id = ?1", &[&id])?,
            cx.db.stmt("DELETE FROM users WHERE id = ?1", &[&id])?,
        ])
        .await?;
    edge::no_content()
}
