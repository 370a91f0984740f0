//! `/v1/me/companies`: one person, several companies (a freelancer, a group of companies).
//! A person has one login (address and password) and an access per company, each with its
//! own role and permissions; `POST /v1/auth/switch` (accounts) logs them in at another one.

use shared::data::companies::{self, CompanyOut};
use shared::data::users::{self, NewUser, UserStatus};
use shared::ids::{CompanyId, UserId};
use shared::permissions::{self, Role};
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{AccessList, AccessOut, CompanyIn};

/// `GET /v1/me/companies`: the companies the caller has an active access at.
pub async fn list_my_companies(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?;
    let data = users::accesses(&cx.db, user)
        .await?
        .into_iter()
        .map(|a| AccessOut {
            current: a.company_id == me.company_id,
            company: CompanyOut {
                id: a.company_id,
                name: a.company_name,
                handle: a.company_handle,
                created_at: a.company_created_at,
            },
            user_id: a.user_id,
            role: a.role,
        })
        .collect();
    Reply::json(200, &AccessList { data })
}

/// `POST /v1/me/companies`: registers a further company with the caller as its admin, under
/// the same login (their address is proven; their password is copied).
pub async fn add_my_company(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?;
    let input: CompanyIn = cx.body().await?;
    let name = validate::company_name("company_name", &input.company_name)?;
    let handle = validate::handle("handle", &input.handle)?;
    let person = users::in_company(&cx.db, &me.company_id, user_id)
        .await?
        .ok_or(Error::not_found("user"))?;
    let now = Time(cx.now);
    let company_id = CompanyId::new(cx.now)?;
    let new_user = UserId::new(cx.now)?;
    let statements = vec![
        companies::insert_stmt(&company_id, &name, &handle, now),
        users::insert_stmt(&NewUser {
            id: &new_user,
            company_id: &company_id,
            email: &person.email,
            name: &person.name,
            password_hash: person.password_hash.as_deref(),
            role: Role::Admin,
            permissions: &permissions::ALL,
            language: person.language,
            status: UserStatus::Active,
            now,
        }),
    ];
    cx.db.batch(statements).await.map_err(|e| {
        if e.unique_violation() == Some(companies::HANDLE_TAKEN) {
            companies::handle_taken()
        } else {
            e
        }
    })?;
    Reply::json(
        201,
        &AccessOut {
            company: CompanyOut {
                id: company_id,
                name,
                handle,
                created_at: now,
            },
            user_id: new_user,
            role: Role::Admin,
            current: false,
        },
    )
}
