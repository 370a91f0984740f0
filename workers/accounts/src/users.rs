//! `/v1/me` and `/v1/users`: a person's own profile, and the delegated administration of a
//! company's accesses (invite, grant, disable, delete).

use serde_json::json;
use shared::data::audit::{self, Target};
use shared::data::links::{self, LinkKind};
use shared::data::users::{self, NewUser, UserRow, UserStatus};
use shared::data::{api_keys, companies};
use shared::ids::UserId;
use shared::mail::Template;
use shared::permissions::{self, Permission, PrincipalKind, Role};
use shared::service::auth::revoked;
use shared::service::mailer;
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{
    ApiKeyOut, MeOut, MePatch, MeUpdated, UserIn, UserList, UserOut, UserPatch, UserQuery,
    UserStatusIn,
};
use crate::auth::email_taken;

/// `GET /v1/me`: the most frequent call, so it costs one query (the session is checked in it).
pub async fn get_me(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (kind, user, api_key, company) = match (&me.kind, &me.user_id, &me.session_id) {
        (PrincipalKind::User, Some(id), Some(session)) => {
            let row = users::me(&cx.db, id, session)
                .await?
                .filter(|r| r.user.status == UserStatus::Active && r.revoked_at.is_none())
                .ok_or_else(revoked)?;
            let company = row.company();
            ("user", Some(UserOut::of(&row.user)), None, company)
        }
        (PrincipalKind::ApiKey, _, _) => {
            let key = match &me.api_key_id {
                Some(key) => api_keys::find(&cx.db, &me.company_id, key)
                    .await?
                    .map(ApiKeyOut::of),
                None => None,
            };
            let company = companies::get(&cx.db, &me.company_id).await?;
            ("api_key", None, key, company)
        }
        _ => return Err(revoked()),
    };
    let permissions = match me.role {
        Role::Admin => permissions::ALL.to_vec(),
        Role::Member => me.permissions.clone(),
    };
    Reply::json(
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

/// `PATCH /v1/me`.
pub async fn update_me(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?.clone();
    let patch: MePatch = cx.body().await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 120))
        .transpose()?;
    cx.db
        .run_of(users::update_me_stmt(
            &user_id,
            name.as_deref(),
            patch.language,
            Time(cx.now),
        ))
        .await?;
    let user = users::find(&cx.db, &user_id)
        .await?
        .ok_or(Error::not_found("user"))?;
    Reply::json(
        200,
        &MeUpdated {
            user: UserOut::of(&user),
        },
    )
}

async fn user_response(cx: &Cx, id: &UserId, status: u16) -> Result<Reply> {
    let me = cx.me()?;
    let user = users::in_company(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("user"))?;
    Reply::json(status, &UserOut::of(&user))
}

/// `GET /v1/users`.
pub async fn list_users(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q: UserQuery = cx.query_as()?;
    let status = q
        .status
        .map(|s| {
            UserStatus::parse("status", &s).map_err(|_| {
                Error::invalid(
                    "status",
                    "must be one of unconfirmed, invited, active, disabled",
                )
            })
        })
        .transpose()?;
    let page = Page::from_request(cx)?;
    let rows = users::list(
        &cx.db,
        &me.company_id,
        status,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |u| u.id.to_string());
    Reply::json(
        200,
        &UserList {
            data: rows.iter().map(UserOut::of).collect(),
            next_cursor,
        },
    )
}

/// `POST /v1/users`: invites a colleague (a mail with a link; no password until accepted).
pub async fn invite_user(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: UserIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    let name = validate::text("name", &input.name, 1, 120)?;
    let role = input.role.unwrap_or(Role::Member);
    let perms = match &input.permissions {
        Some(list) => permissions::parse_list("permissions", list)?,
        None => permissions::default_member_permissions(),
    };
    permissions::check_grant(&me, role, &perms)?;
    let language = input.language.unwrap_or_default();
    let now = Time(cx.now);
    let user_id = UserId::new(cx.now)?;
    let [link, mail] = invitation_mail(cx, &user_id, &email, language, now).await?;
    let insert = users::insert_stmt(&NewUser {
        id: &user_id,
        company_id: &me.company_id,
        email: &email,
        name: &name,
        password_hash: None,
        role,
        permissions: &perms,
        language,
        status: UserStatus::Invited,
        now,
    });
    let logged = audit::entry_stmt(
        &me,
        "user.invited",
        Target::User,
        user_id.as_str(),
        &json!({"role": role, "permissions": perms}),
        now,
        false,
    )?;
    cx.db
        .batch(vec![insert, link, mail, logged])
        .await
        .map_err(|e| {
            if e.unique_violation() == Some(users::EMAIL_TAKEN) {
                email_taken()
            } else {
                e
            }
        })?;
    user_response(cx, &user_id, 201).await
}

/// A person of the caller's company named by the path.
async fn colleague(cx: &Cx) -> Result<UserRow> {
    let me = cx.me()?;
    let id = UserId::parse(cx.param("id"))?;
    users::in_company(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("user"))
}

/// `GET /v1/users/{id}`: oneself, or anyone of the company with `users.manage`.
pub async fn get_user(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = UserId::parse(cx.param("id"))?;
    if me.user_id.as_ref() != Some(&id) {
        me.require(Permission::UsersManage)?;
    }
    let user = colleague(cx).await?;
    Reply::json(200, &UserOut::of(&user))
}

/// `PATCH /v1/users/{id}`.
pub async fn update_user(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = colleague(cx).await?;
    let id = user.id.clone();
    let patch: UserPatch = cx.body().await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 120))
        .transpose()?;
    let role = patch.role.unwrap_or(user.role);
    let perms = match &patch.permissions {
        Some(list) => permissions::parse_list("permissions", list)?,
        None => user.permissions.0.clone(),
    };
    let status = match patch.status {
        Some(UserStatusIn::Disabled) => Some(UserStatus::Disabled),
        Some(UserStatusIn::Active) if user.status == UserStatus::Disabled => {
            Some(UserStatus::Active)
        }
        Some(UserStatusIn::Active) | None => None,
    };
    let loses_admin = user.role == Role::Admin
        && user.status == UserStatus::Active
        && (role != Role::Admin || status == Some(UserStatus::Disabled));
    if loses_admin {
        ensure_other_admin(cx, &user).await?;
    }
    if status == Some(UserStatus::Disabled) && me.user_id.as_ref() == Some(&id) {
        return Err(Error::conflict(
            "self_change",
            "you cannot disable your own access",
        ));
    }
    if patch.role.is_some() || patch.permissions.is_some() {
        permissions::check_grant(&me, role, &perms)?;
    }
    if user.role == Role::Admin && me.user_id.as_ref() != Some(&id) {
        // Changing another admin is an admin's business.
        me.require_admin()?;
    }
    let now = Time(cx.now);
    let mut statements = vec![users::update_stmt(
        &me.company_id,
        &id,
        name.as_deref(),
        role,
        &perms,
        status,
        now,
    )];
    if status == Some(UserStatus::Disabled) {
        statements.push(users::revoke_all_sessions_stmt(&id, now));
    }
    for (action, details) in audited_changes(&user, role, &perms, status) {
        statements.push(audit::entry_stmt(
            &me,
            action,
            Target::User,
            id.as_str(),
            &details,
            now,
            false,
        )?);
    }
    cx.db.batch(statements).await?;
    user_response(cx, &id, 200).await
}

/// The audit log's entries for a change of `user`: the role or permissions (granted and
/// revoked), and being disabled or enabled again.
fn audited_changes(
    user: &UserRow,
    role: Role,
    perms: &[Permission],
    status: Option<UserStatus>,
) -> Vec<(&'static str, serde_json::Value)> {
    let mut entries = Vec::new();
    let before = &user.permissions.0;
    let granted: Vec<&Permission> = perms.iter().filter(|p| !before.contains(p)).collect();
    let revoked: Vec<&Permission> = before.iter().filter(|p| !perms.contains(p)).collect();
    if role != user.role || !granted.is_empty() || !revoked.is_empty() {
        entries.push((
            "user.updated",
            json!({"role": {"from": user.role, "to": role},
                   "granted": granted, "revoked": revoked}),
        ));
    }
    match status {
        Some(UserStatus::Disabled) if user.status != UserStatus::Disabled => {
            entries.push(("user.disabled", json!({})));
        }
        Some(UserStatus::Active) => entries.push(("user.enabled", json!({}))),
        _ => {}
    }
    entries
}

async fn ensure_other_admin(cx: &Cx, user: &UserRow) -> Result<()> {
    if users::other_admins(&cx.db, &user.company_id, &user.id).await? < 1 {
        return Err(Error::conflict(
            "last_admin",
            "a company needs at least one active admin; make someone else admin first",
        ));
    }
    Ok(())
}

/// `DELETE /v1/users/{id}`.
pub async fn delete_user(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = colleague(cx).await?;
    if user.role == Role::Admin && user.status == UserStatus::Active {
        ensure_other_admin(cx, &user).await?;
    }
    if me.user_id.as_ref() == Some(&user.id) {
        return Err(Error::conflict(
            "self_change",
            "you cannot delete your own access",
        ));
    }
    if user.role == Role::Admin {
        me.require_admin()?;
    }
    let now = Time(cx.now);
    let mut statements = users::erase_stmts(&me.company_id, &user, now);
    statements.push(audit::entry_stmt(
        &me,
        "user.deleted",
        Target::User,
        user.id.as_str(),
        &json!({"role": user.role, "was": user.status.as_str()}),
        now,
        false,
    )?);
    cx.db.batch(statements).await?;
    Ok(Reply::no_content())
}

/// `POST /v1/users/{id}/resend-invitation`: a new invitation mail for a colleague who has not
/// accepted yet; the links sent before stop working.
pub async fn resend_invitation(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = colleague(cx).await?;
    if user.status != UserStatus::Invited {
        return Err(Error::conflict(
            "not_invited",
            "this person has accepted the invitation already (or was never invited)",
        ));
    }
    if user.role == Role::Admin {
        me.require_admin()?;
    }
    let now = Time(cx.now);
    let [link, mail] = invitation_mail(cx, &user.id, &user.email, user.language, now).await?;
    cx.db
        .batch(vec![
            links::drop_stmt(&user.id, LinkKind::InviteUser),
            link,
            mail,
            audit::entry_stmt(
                &me,
                "user.invitation_resent",
                Target::User,
                user.id.as_str(),
                &json!({}),
                now,
                false,
            )?,
        ])
        .await?;
    user_response(cx, &user.id, 200).await
}

/// A colleague invitation for `user` at `email`: the statement storing its link and the one
/// writing its mail.
async fn invitation_mail(
    cx: &Cx,
    user: &UserId,
    email: &str,
    language: shared::lang::Language,
    now: Time,
) -> Result<[shared::platform::Statement; 2]> {
    let me = cx.me()?;
    let inviter = inviter_name(cx).await?;
    let company = companies::get(&cx.db, &me.company_id).await?;
    let link = mailer::new_link(
        &cx.public_url(),
        LinkKind::InviteUser,
        Some(user),
        None,
        now,
    )?;
    let mail = mailer::mail_stmt(
        email,
        language,
        "colleague_invitation",
        &Template::ColleagueInvitation {
            inviter,
            company: company.name,
            link: link.url,
        },
        Some(&me.company_id),
        now,
    )?;
    Ok([link.stmt, mail])
}

/// Who invites, as the mail names them: the person acting, or "Tradepost" for an API key.
async fn inviter_name(cx: &Cx) -> Result<String> {
    let me = cx.me()?;
    Ok(match &me.user_id {
        Some(id) => users::name(&cx.db, &me.company_id, id).await?,
        None => None,
    }
    .unwrap_or_else(|| "Tradepost".to_owned()))
}
