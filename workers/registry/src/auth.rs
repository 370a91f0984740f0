//! `/v1/auth`: sign-up with e-mail confirmation, login (throttled), refresh-token rotation with
//! reuse detection, logout, forgotten password, accepting invitations, and the JWKS.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::edge::{self, events};
use shared::event::Event;
use shared::ids::{CompanyId, InvitationId, SessionId, UserId};
use shared::lang::Language;
use shared::mail::Template;
use shared::permissions::{self, Permission, Role};
use shared::relationship::{PartyRole, RelationshipStatus, Service, ServiceState, Services};
use shared::time;
use shared::token::{AccessClaims, ACCESS_TOKEN_TTL_SECS};
use shared::{password, secrets, validate, Error, Result};
use worker::Response;

use crate::context::Ctx;
use crate::mailer::{self, LinkKind};
use crate::model::{self, CompanyOut, UserOut, UserRow};
use crate::relationships::{self, NewRelationship, Settings};

/// Refresh tokens live this long from their issue.
const REFRESH_TTL_DAYS: i64 = 30;
/// Failed logins are counted in windows of this length.
const THROTTLE_WINDOW_SECS: i64 = 15 * 60;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupIn {
    company_name: String,
    handle: String,
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    language: Option<Language>,
}

#[derive(Serialize)]
struct AccountOut {
    company: CompanyOut,
    user: UserOut,
}

pub async fn signup(cx: &mut Ctx) -> Result<Response> {
    let input: SignupIn = cx.body().await?;
    let company_name = validate::company_name("company_name", &input.company_name)?;
    let handle = validate::handle("handle", &input.handle)?;
    let name = validate::text("name", &input.name, 1, 120)?;
    let email = validate::email("email", &input.email)?;
    password::validate_new(&input.password, &email)?;
    let language = input.language.unwrap_or_default();
    ensure_free(cx, &handle, &email).await?;

    let now = cx.now;
    let company_id = CompanyId::new(now)?;
    let user_id = UserId::new(now)?;
    let hash = password::hash(&input.password, &cx.pepper()?)?;
    let link = mailer::new_link(
        &cx.db,
        &cx.public_url(),
        LinkKind::Confirm,
        Some(&user_id),
        None,
        now,
    )?;
    let mail = mailer::mail_stmt(
        &cx.db,
        &email,
        language,
        "confirm_email",
        &Template::ConfirmEmail {
            name: name.clone(),
            link: link.url.clone(),
        },
        now,
    )?;
    let statements = vec![
        insert_company(cx, &company_id, &company_name, &handle)?,
        insert_user(
            cx,
            &NewUser {
                id: &user_id,
                company_id: &company_id,
                email: &email,
                name: &name,
                password_hash: Some(&hash),
                role: Role::Admin,
                permissions: &permissions::ALL,
                language,
                status: "unconfirmed",
            },
        )?,
        link.stmt,
        mail,
    ];
    cx.db.batch(statements).await.map_err(taken_or)?;
    account(cx, &user_id, 201).await
}

/// 409 before doing any work when the handle or address is taken.
async fn ensure_free(cx: &Ctx, handle: &str, email: &str) -> Result<()> {
    let handle_row: Option<serde_json::Value> = cx
        .db
        .first("SELECT id FROM companies WHERE handle = ?1", &[&handle])
        .await?;
    if handle_row.is_some() {
        return Err(handle_taken());
    }
    if model::email_taken(&cx.db, email).await? {
        return Err(model::email_taken_error());
    }
    Ok(())
}

fn handle_taken() -> Error {
    Error::conflict("handle_taken", "this company handle is already taken")
}

/// A UNIQUE failure in a batch means a concurrent request took the handle or address.
fn taken_or(err: Error) -> Error {
    match &err {
        Error::Internal(d) if d.contains("companies.handle") => handle_taken(),
        Error::Internal(d) if d.contains("users.email") => model::email_taken_error(),
        _ => err,
    }
}

fn insert_company(
    cx: &Ctx,
    id: &CompanyId,
    name: &str,
    handle: &str,
) -> Result<worker::D1PreparedStatement> {
    cx.db.stmt(
        "INSERT INTO companies (id, name, handle, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[id, &name, &handle, &time::format(cx.now)],
    )
}

pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub company_id: &'a CompanyId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub permissions: &'a [Permission],
    pub language: Language,
    pub status: &'a str,
}

pub fn insert_user(cx: &Ctx, u: &NewUser<'_>) -> Result<worker::D1PreparedStatement> {
    let now = time::format(cx.now);
    cx.db.stmt(
        "INSERT INTO users (id, company_id, email, name, password_hash, role, permissions, \
         language, status, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        &[
            u.id,
            u.company_id,
            &u.email,
            &u.name,
            &u.password_hash,
            &u.role.as_str(),
            &permissions::to_storage(u.permissions),
            &u.language.as_str(),
            &u.status,
            &now,
        ],
    )
}

async fn account(cx: &Ctx, user_id: &UserId, status: u16) -> Result<Response> {
    let user = model::find_user(&cx.db, user_id)
        .await?
        .ok_or_else(|| Error::internal("user vanished"))?;
    let company = model::company(&cx.db, &user.company_id).await?;
    edge::json(
        status,
        &AccountOut {
            company,
            user: user.out(),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    token: String,
}

pub async fn confirm(cx: &mut Ctx) -> Result<Response> {
    let input: TokenIn = cx.body().await?;
    let link = mailer::find_link(&cx.db, &input.token, &[LinkKind::Confirm], cx.now).await?;
    let user_id = link.user_id.ok_or_else(mailer::link_invalid)?;
    claim_link(cx, &link.hash).await?;
    cx.db
        .run(
            "UPDATE users SET status = 'active', updated_at = ?1 WHERE id = ?2 AND status = 'unconfirmed'",
            &[&time::format(cx.now), &user_id],
        )
        .await?;
    account(cx, &user_id, 200).await
}

/// Uses a link up; only one request can win it.
async fn claim_link(cx: &Ctx, hash: &str) -> Result<()> {
    let changed = cx
        .db
        .batch(vec![mailer::use_link_stmt(&cx.db, hash, cx.now)?])
        .await?;
    if changed.first().copied().unwrap_or(0) == 1 {
        Ok(())
    } else {
        Err(mailer::link_invalid())
    }
}

/// Gives a claimed link back when the work it was claimed for failed, so the user can retry.
async fn release_link(cx: &Ctx, hash: &str) {
    let _ = cx
        .db
        .run(
            "UPDATE link_tokens SET used_at = NULL WHERE hash = ?1",
            &[&hash],
        )
        .await;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct TokensOut {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    user: UserOut,
    company: CompanyOut,
}

pub async fn login(cx: &mut Ctx) -> Result<Response> {
    let input: LoginIn = cx.body().await?;
    let email = input.email.trim().to_lowercase();
    if email.chars().count() > validate::EMAIL_MAX {
        return Err(Error::invalid(
            "email",
            "is longer than any e-mail address can be",
        ));
    }
    if input.password.chars().count() > password::MAX_CHARS {
        return Err(Error::invalid(
            "password",
            "is longer than any password can be",
        ));
    }
    let keys = [
        format!("acct:{email}"),
        format!("ip:{}", cx.client_address()),
    ];
    let limits = [
        cx.number("LOGIN_MAX_FAILURES", 5),
        cx.number("LOGIN_IP_MAX_FAILURES", 50),
    ];
    check_throttle(cx, &keys, &limits).await?;

    let pepper = cx.pepper()?;
    let user = model::find_user_by_email(&cx.db, &email).await?;
    let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => password::verify(&input.password, hash, &pepper)?,
        None => {
            password::burn(&input.password, &pepper);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        record_failure(cx, &keys).await?;
        return Err(Error::unauthenticated(
            "invalid_credentials",
            "the e-mail address or the password is wrong",
        ));
    };
    cx.db
        .run("DELETE FROM login_failures WHERE key = ?1", &[&keys[0]])
        .await?;
    ensure_can_log_in(&user)?;
    let tokens = open_session(cx, &user).await?;
    edge::json(200, &tokens)
}

fn ensure_can_log_in(user: &UserRow) -> Result<()> {
    match user.status.as_str() {
        "active" => Ok(()),
        "unconfirmed" => Err(Error::forbidden(
            "email_unconfirmed",
            "confirm your e-mail address with the link we sent first",
        )),
        _ => Err(Error::forbidden(
            "access_disabled",
            "this access is disabled; ask your company's administrator",
        )),
    }
}

#[derive(Deserialize)]
struct FailureRow {
    count: f64,
    window_start: String,
}

async fn check_throttle(cx: &Ctx, keys: &[String; 2], limits: &[u32; 2]) -> Result<()> {
    for (key, limit) in keys.iter().zip(limits) {
        let row: Option<FailureRow> = cx
            .db
            .first(
                "SELECT count, window_start FROM login_failures WHERE key = ?1",
                &[key],
            )
            .await?;
        let Some(row) = row else { continue };
        let start = time::parse("window_start", &row.window_start)?;
        let remaining = THROTTLE_WINDOW_SECS - (cx.now - start).num_seconds();
        if remaining > 0 && row.count >= f64::from(*limit) {
            return Err(Error::TooManyRequests {
                retry_after_secs: u64::try_from(remaining).unwrap_or(1),
            });
        }
    }
    Ok(())
}

async fn record_failure(cx: &Ctx, keys: &[String; 2]) -> Result<()> {
    let now = time::format(cx.now);
    let cutoff = time::format(cx.now - chrono::Duration::seconds(THROTTLE_WINDOW_SECS));
    let statements = keys
        .iter()
        .map(|key| {
            cx.db.stmt(
                "INSERT INTO login_failures (key, count, window_start) VALUES (?1, 1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN window_start < ?3 THEN 1 ELSE count + 1 END, \
                   window_start = CASE WHEN window_start < ?3 THEN ?2 ELSE window_start END",
                &[key, &now, &cutoff],
            )
        })
        .collect::<Result<Vec<_>>>()?;
    cx.db.batch(statements).await?;
    Ok(())
}

/// Starts a session for a user who proved who they are: a refresh token and an access token.
async fn open_session(cx: &Ctx, user: &UserRow) -> Result<TokensOut> {
    let session_id = SessionId::new(cx.now)?;
    let now = time::format(cx.now);
    let expires = time::format(cx.now + chrono::Duration::days(REFRESH_TTL_DAYS));
    let refresh = secrets::new_secret("rt_")?;
    cx.db
        .batch(vec![
            cx.db.stmt(
                "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                &[&session_id, &user.id, &now, &expires],
            )?,
            refresh_stmt(cx, &refresh, &session_id)?,
            cx.db.stmt(
                "UPDATE users SET last_login_at = ?1 WHERE id = ?2",
                &[&now, &user.id],
            )?,
        ])
        .await?;
    tokens(cx, user, &session_id, refresh).await
}

fn refresh_stmt(cx: &Ctx, token: &str, session: &SessionId) -> Result<worker::D1PreparedStatement> {
    cx.db.stmt(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            &secrets::hash_secret(token),
            session,
            &time::format(cx.now),
            &time::format(cx.now + chrono::Duration::days(REFRESH_TTL_DAYS)),
        ],
    )
}

async fn tokens(
    cx: &Ctx,
    user: &UserRow,
    session: &SessionId,
    refresh: String,
) -> Result<TokensOut> {
    let claims = AccessClaims {
        sub: user.id.clone(),
        cid: user.company_id.clone(),
        sid: session.clone(),
        role: user.role(),
        perms: user.permissions(),
    };
    let access_token = cx.issuer()?.issue(&claims, cx.now)?;
    Ok(TokensOut {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL_SECS,
        refresh_token: refresh,
        user: user.out(),
        company: model::company(&cx.db, &user.company_id).await?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    refresh_token: String,
}

#[derive(Deserialize)]
struct RefreshRow {
    hash: String,
    session_id: SessionId,
    expires_at: String,
    used_at: Option<String>,
    revoked_at: Option<String>,
    user_id: UserId,
}

async fn find_refresh(cx: &Ctx, token: &str) -> Result<Option<RefreshRow>> {
    cx.db
        .first(
            "SELECT t.hash, t.session_id, t.expires_at, t.used_at, s.revoked_at, s.user_id \
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?1",
            &[&secrets::hash_secret(token.trim())],
        )
        .await
}

fn refresh_invalid() -> Error {
    Error::unauthenticated(
        "refresh_token_invalid",
        "the refresh token is unknown, expired or revoked; log in again",
    )
}

pub async fn refresh(cx: &mut Ctx) -> Result<Response> {
    let input: RefreshIn = cx.body().await?;
    let row = find_refresh(cx, &input.refresh_token)
        .await?
        .ok_or_else(refresh_invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= time::format(cx.now) {
        return Err(refresh_invalid());
    }
    let claimed = row.used_at.is_none()
        && cx
            .db
            .run(
                "UPDATE refresh_tokens SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
                &[&time::format(cx.now), &row.hash],
            )
            .await?
            == 1;
    if !claimed {
        // A used token presented again: whoever holds it may be a thief. End the whole family.
        revoke_session(cx, &row.session_id).await?;
        return Err(Error::unauthenticated(
            "refresh_token_reused",
            "this refresh token was already used; the session has been ended for safety",
        ));
    }
    let user = model::find_user(&cx.db, &row.user_id)
        .await?
        .ok_or_else(refresh_invalid)?;
    if let Err(e) = ensure_can_log_in(&user) {
        revoke_session(cx, &row.session_id).await?;
        return Err(e);
    }
    let next = secrets::new_secret("rt_")?;
    cx.db
        .batch(vec![refresh_stmt(cx, &next, &row.session_id)?])
        .await?;
    edge::json(200, &tokens(cx, &user, &row.session_id, next).await?)
}

async fn revoke_session(cx: &Ctx, session: &SessionId) -> Result<()> {
    cx.db
        .run(
            "UPDATE sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            &[&time::format(cx.now), session],
        )
        .await?;
    Ok(())
}

/// The statement that ends every session of a user (password reset, disabling, deletion).
pub fn revoke_all_sessions_stmt(cx: &Ctx, user: &UserId) -> Result<worker::D1PreparedStatement> {
    cx.db.stmt(
        "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        &[&time::format(cx.now), user],
    )
}

pub async fn logout(cx: &mut Ctx) -> Result<Response> {
    let input: RefreshIn = cx.body().await?;
    if let Some(row) = find_refresh(cx, &input.refresh_token).await? {
        revoke_session(cx, &row.session_id).await?;
    }
    edge::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetIn {
    email: String,
}

/// Reset mails one address gets at most per hour, so the form cannot flood a mailbox. Further
/// requests get the same answer and send nothing.
const MAX_RESET_MAILS_PER_HOUR: f64 = 3.0;

async fn recent_resets(cx: &Ctx, email: &str) -> Result<f64> {
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let since = time::format(cx.now - chrono::Duration::hours(1));
    let count: Option<Count> = cx
        .db
        .first(
            "SELECT COUNT(*) AS n FROM mails WHERE to_email = ?1 AND template = 'password_reset' \
             AND created_at > ?2",
            &[&email, &since],
        )
        .await?;
    Ok(count.map_or(0.0, |c| c.n))
}

pub async fn request_password_reset(cx: &mut Ctx) -> Result<Response> {
    let input: ResetIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    if let Some(user) = model::find_user_by_email(&cx.db, &email).await? {
        let may_send = matches!(user.status.as_str(), "active" | "unconfirmed")
            && recent_resets(cx, &user.email).await? < MAX_RESET_MAILS_PER_HOUR;
        if may_send {
            let link = mailer::new_link(
                &cx.db,
                &cx.public_url(),
                LinkKind::Reset,
                Some(&user.id),
                None,
                cx.now,
            )?;
            let mail = mailer::mail_stmt(
                &cx.db,
                &user.email,
                user.language(),
                "password_reset",
                &Template::PasswordReset {
                    name: user.name.clone(),
                    link: link.url.clone(),
                },
                cx.now,
            )?;
            cx.db.batch(vec![link.stmt, mail]).await?;
        }
    }
    // The same answer whether or not the address exists.
    edge::json(202, &json!({ "status": "sent_if_known" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmIn {
    token: String,
    password: String,
}

pub async fn confirm_password_reset(cx: &mut Ctx) -> Result<Response> {
    let input: ResetConfirmIn = cx.body().await?;
    let link = mailer::find_link(&cx.db, &input.token, &[LinkKind::Reset], cx.now).await?;
    let user_id = link.user_id.clone().ok_or_else(mailer::link_invalid)?;
    let user = model::find_user(&cx.db, &user_id)
        .await?
        .ok_or_else(mailer::link_invalid)?;
    password::validate_new(&input.password, &user.email)?;
    let hash = password::hash(&input.password, &cx.pepper()?)?;
    claim_link(cx, &link.hash).await?;
    let now = time::format(cx.now);
    let result = cx
        .db
        .batch(vec![
            cx.db.stmt(
                "UPDATE users SET password_hash = ?1, updated_at = ?2, \
                 status = CASE WHEN status = 'unconfirmed' THEN 'active' ELSE status END \
                 WHERE id = ?3",
                &[&hash, &now, &user_id],
            )?,
            revoke_all_sessions_stmt(cx, &user_id)?,
        ])
        .await;
    if let Err(e) = result {
        release_link(cx, &link.hash).await;
        return Err(e);
    }
    account(cx, &user_id, 200).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    token: String,
    password: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    company_name: Option<String>,
    #[serde(default)]
    handle: Option<String>,
}

pub async fn accept_invitation(cx: &mut Ctx) -> Result<Response> {
    let input: AcceptIn = cx.body().await?;
    let link = mailer::find_link(
        &cx.db,
        &input.token,
        &[LinkKind::InviteUser, LinkKind::InviteCompany],
        cx.now,
    )
    .await?;
    match (
        LinkKind::parse(&link.kind),
        &link.user_id,
        &link.invitation_id,
    ) {
        (Some(LinkKind::InviteUser), Some(user_id), _) => {
            accept_colleague(cx, &input, &link.hash, user_id).await
        }
        (Some(LinkKind::InviteCompany), _, Some(invitation)) => {
            accept_company(cx, &input, &link.hash, invitation).await
        }
        _ => Err(mailer::link_invalid()),
    }
}

async fn accept_colleague(
    cx: &Ctx,
    input: &AcceptIn,
    hash: &str,
    user_id: &UserId,
) -> Result<Response> {
    let user = model::find_user(&cx.db, user_id)
        .await?
        .filter(|u| u.status == "invited")
        .ok_or_else(mailer::link_invalid)?;
    let name = match input.name.as_deref() {
        Some(n) => validate::text("name", n, 1, 120)?,
        None => user.name.clone(),
    };
    password::validate_new(&input.password, &user.email)?;
    let language = input.language.unwrap_or_else(|| user.language());
    let password_hash = password::hash(&input.password, &cx.pepper()?)?;
    claim_link(cx, hash).await?;
    let result = cx
        .db
        .run(
            "UPDATE users SET password_hash = ?1, name = ?2, language = ?3, status = 'active', \
             updated_at = ?4 WHERE id = ?5 AND status = 'invited'",
            &[
                &password_hash,
                &name,
                &language.as_str(),
                &time::format(cx.now),
                user_id,
            ],
        )
        .await;
    if let Err(e) = result {
        release_link(cx, hash).await;
        return Err(e);
    }
    account(cx, user_id, 201).await
}

#[derive(Deserialize)]
struct InvitationRow {
    company_id: CompanyId,
    email: String,
    name: Option<String>,
    company_name: Option<String>,
    settings: String,
    status: String,
}

async fn accept_company(
    cx: &Ctx,
    input: &AcceptIn,
    hash: &str,
    invitation_id: &InvitationId,
) -> Result<Response> {
    let invitation: InvitationRow = cx
        .db
        .first(
            "SELECT company_id, email, name, company_name, settings, status \
             FROM company_invitations WHERE id = ?1",
            &[invitation_id],
        )
        .await?
        .filter(|i: &InvitationRow| i.status == "open")
        .ok_or_else(mailer::link_invalid)?;
    let company_name = input
        .company_name
        .as_deref()
        .or(invitation.company_name.as_deref())
        .ok_or_else(|| Error::invalid("company_name", "is required to register the company"))?;
    let company_name = validate::company_name("company_name", company_name)?;
    let handle = input
        .handle
        .as_deref()
        .ok_or_else(|| Error::invalid("handle", "is required to register the company"))?;
    let handle = validate::handle("handle", handle)?;
    let name = input
        .name
        .as_deref()
        .or(invitation.name.as_deref())
        .ok_or_else(|| Error::invalid("name", "is required"))?;
    let name = validate::text("name", name, 1, 120)?;
    password::validate_new(&input.password, &invitation.email)?;
    ensure_free(cx, &handle, &invitation.email).await?;
    let language = input.language.unwrap_or_default();
    let password_hash = password::hash(&input.password, &cx.pepper()?)?;
    let settings: Settings = serde_json::from_str(&invitation.settings).unwrap_or_default();

    let company_id = CompanyId::new(cx.now)?;
    let user_id = UserId::new(cx.now)?;
    let mut services = Services::default_request().on_approval();
    services.set(Service::Appointments, ServiceState::Inactive);
    let new_rel = NewRelationship {
        requester: &invitation.company_id,
        addressee: &company_id,
        requester_role: PartyRole::Supplier,
        status: RelationshipStatus::Active,
        services: &services,
        message: None,
        settings: &settings,
    };
    let (relationship_id, rel_stmt) = relationships::insert_stmt(cx, &new_rel)?;
    let event = Event::new(
        "relationship.invitation_accepted",
        &invitation.company_id,
        json!({ "relationship_id": relationship_id, "company_id": company_id, "invitation_id": invitation_id }),
        cx.now,
    )?;
    claim_link(cx, hash).await?;
    let statements = vec![
        insert_company(cx, &company_id, &company_name, &handle)?,
        insert_user(
            cx,
            &NewUser {
                id: &user_id,
                company_id: &company_id,
                email: &invitation.email,
                name: &name,
                password_hash: Some(&password_hash),
                role: Role::Admin,
                permissions: &permissions::ALL,
                language,
                status: "active",
            },
        )?,
        rel_stmt,
        cx.db.stmt(
            "UPDATE company_invitations SET status = 'accepted', accepted_at = ?1 WHERE id = ?2",
            &[&time::format(cx.now), invitation_id],
        )?,
        events::outbox_stmt(&cx.db, &event)?,
    ];
    if let Err(e) = cx.db.batch(statements).await {
        release_link(cx, hash).await;
        return Err(taken_or(e));
    }
    events::publish(&cx.env, &[event]).await;
    account(cx, &user_id, 201).await
}

pub fn get_jwks(cx: &Ctx) -> Result<Response> {
    edge::json(200, &cx.issuer()?.jwks())
}
