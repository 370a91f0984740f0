//! `/v1/auth`: sign-up with e-mail confirmation, login (throttled), refresh-token rotation with
//! reuse detection, logout, forgotten password, accepting invitations, and the JWKS.

use serde_json::json;
use shared::data::invitations;
use shared::data::links::{self, LinkKind, LinkRow};
use shared::data::relationships::{self, NewRelationship};
use shared::data::users::{self, NewUser, UserRow, UserStatus};
use shared::data::{companies, events, mails};
use shared::event::Event;
use shared::ids::{CompanyId, InvitationId, RelationshipId, SessionId, UserId};
use shared::mail::Template;
use shared::permissions::{self, Role};
use shared::relationship::{PartyRole, RelationshipStatus, Service, ServiceState, Services};
use shared::service::mailer::{self, link_invalid};
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::token::{AccessClaims, TokenIssuer, ACCESS_TOKEN_TTL_SECS};
use shared::{password, secrets, validate, Error, Result};

use crate::api::{
    AcceptIn, AccountOut, LoginIn, RefreshIn, ResetConfirmIn, ResetIn, ResetOut, SignupIn,
    SwitchIn, TokenIn, TokensOut, UserOut,
};

/// Failed logins are counted in windows of this length.
const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// Reset mails one address gets at most per hour, so the form cannot flood a mailbox. Further
/// requests get the same answer and send nothing.
const MAX_RESET_MAILS_PER_HOUR: u64 = 3;

/// The secret mixed into every password hash.
fn pepper(cx: &Cx) -> Result<Vec<u8>> {
    use base64::Engine;
    let text = cx.setting("PEPPER")?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| Error::internal("PEPPER is not base64url"))
}

/// The signer of access tokens.
fn issuer(cx: &Cx) -> Result<TokenIssuer> {
    TokenIssuer::from_seed(&cx.setting("JWT_SIGNING_KEY")?, &cx.setting("JWT_KID")?)
}

/// The client's address as Cloudflare reports it.
fn client_address(cx: &Cx) -> String {
    cx.header("cf-connecting-ip")
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `POST /v1/auth/signup`.
pub async fn signup(cx: &mut Cx) -> Result<Reply> {
    let input: SignupIn = cx.body().await?;
    let company_name = validate::company_name("company_name", &input.company_name)?;
    let handle = validate::handle("handle", &input.handle)?;
    let name = validate::text("name", &input.name, 1, 120)?;
    let email = validate::email("email", &input.email)?;
    password::validate_new(&input.password, &email)?;
    let language = input.language.unwrap_or_default();
    ensure_handle_free(cx, &handle).await?;
    if users::has_login(&cx.db, &email).await? {
        return Err(login_exists());
    }

    let now = Time(cx.now);
    let company_id = CompanyId::new(cx.now)?;
    let user_id = UserId::new(cx.now)?;
    let hash = password::hash(&input.password, &pepper(cx)?)?;
    let link = mailer::new_link(
        &cx.public_url(),
        LinkKind::Confirm,
        Some(&user_id),
        None,
        now,
    )?;
    let mail = mailer::mail_stmt(
        &email,
        language,
        "confirm_email",
        &Template::ConfirmEmail {
            name: name.clone(),
            link: link.url.clone(),
        },
        None,
        now,
    )?;
    let statements = vec![
        companies::insert_stmt(&company_id, &company_name, &handle, now),
        users::insert_stmt(&NewUser {
            id: &user_id,
            company_id: &company_id,
            email: &email,
            name: &name,
            password_hash: Some(&hash),
            role: Role::Admin,
            permissions: &permissions::ALL,
            language,
            status: UserStatus::Unconfirmed,
            now,
        }),
        link.stmt,
        mail,
    ];
    cx.db.batch(statements).await.map_err(taken_or)?;
    account(cx, &user_id, 201).await
}

/// 409 before doing any work when the handle is taken.
async fn ensure_handle_free(cx: &Cx, handle: &str) -> Result<()> {
    if companies::by_handle(&cx.db, handle).await?.is_some() {
        return Err(companies::handle_taken());
    }
    Ok(())
}

/// The 409 for signing up with an address that has a login: a person adds a further company
/// logged in (`POST /v1/me/companies`), so nobody starts one in another person's name.
fn login_exists() -> Error {
    Error::conflict(
        "email_taken",
        "this e-mail address already has a login: log in and add the company under \
         \"Your companies\"",
    )
}

/// The 409 for an address that already has an access.
#[must_use]
pub fn email_taken() -> Error {
    Error::conflict("email_taken", "this e-mail address already has an access")
}

/// A UNIQUE failure in a batch means a concurrent request took the handle or address.
fn taken_or(err: Error) -> Error {
    match err.unique_violation() {
        Some(companies::HANDLE_TAKEN) => companies::handle_taken(),
        Some(users::EMAIL_TAKEN) => email_taken(),
        Some(users::SIGNUP_PENDING) => login_exists(),
        _ => err,
    }
}

async fn account(cx: &Cx, user_id: &UserId, status: u16) -> Result<Reply> {
    let user = users::find(&cx.db, user_id)
        .await?
        .ok_or_else(|| Error::internal("user vanished"))?;
    let company = companies::get(&cx.db, &user.company_id).await?;
    Reply::json(
        status,
        &AccountOut {
            company,
            user: UserOut::of(&user),
        },
    )
}

/// The unused, unexpired link a token names, of one of `kinds`.
async fn find_link(cx: &Cx, token: &str, kinds: &[LinkKind]) -> Result<LinkRow> {
    links::find(&cx.db, token, Time(cx.now))
        .await?
        .filter(|l| kinds.contains(&l.kind))
        .ok_or_else(link_invalid)
}

/// `POST /v1/auth/confirm`.
pub async fn confirm(cx: &mut Cx) -> Result<Reply> {
    let input: TokenIn = cx.body().await?;
    let link = find_link(cx, &input.token, &[LinkKind::Confirm]).await?;
    let user_id = link.user_id.ok_or_else(link_invalid)?;
    claim_link(cx, &link.hash).await?;
    cx.db
        .run_of(users::confirm_stmt(&user_id, Time(cx.now)))
        .await?;
    account(cx, &user_id, 200).await
}

/// Uses a link up; only one request can win it.
async fn claim_link(cx: &Cx, hash: &str) -> Result<()> {
    let changed = cx
        .db
        .batch(vec![links::use_stmt(hash, Time(cx.now))])
        .await?;
    if changed.first().copied().unwrap_or(0) == 1 {
        Ok(())
    } else {
        Err(link_invalid())
    }
}

/// `POST /v1/auth/login`.
pub async fn login(cx: &mut Cx) -> Result<Reply> {
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
        format!("ip:{}", client_address(cx)),
    ];
    let limits = [
        cx.number("LOGIN_MAX_FAILURES", 5),
        cx.number("LOGIN_IP_MAX_FAILURES", 50),
    ];
    check_throttle(cx, &keys, &limits).await?;

    let pepper = pepper(cx)?;
    let user = users::by_email(&cx.db, &email).await?;
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
    cx.db.run_of(users::clear_failures_stmt(&keys[0])).await?;
    ensure_can_log_in(&user)?;
    let tokens = open_session(cx, &user, None).await?;
    Reply::json(200, &tokens)
}

/// `POST /v1/auth/switch`: the same person, logged in at another of their companies, with
/// the role and permissions they have there. The current session ends.
pub async fn switch_company(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?;
    let input: SwitchIn = cx.body().await?;
    let target = users::access_at(&cx.db, user_id, &input.company_id)
        .await?
        .ok_or(Error::not_found("company"))?;
    ensure_can_log_in(&target)?;
    let tokens = open_session(cx, &target, me.session_id.as_ref()).await?;
    Reply::json(200, &tokens)
}

fn ensure_can_log_in(user: &UserRow) -> Result<()> {
    match user.status {
        UserStatus::Active => Ok(()),
        UserStatus::Unconfirmed => Err(Error::forbidden(
            "email_unconfirmed",
            "confirm your e-mail address with the link we sent first",
        )),
        UserStatus::Invited | UserStatus::Disabled => Err(Error::forbidden(
            "access_disabled",
            "this access is disabled; ask your company's administrator",
        )),
    }
}

async fn check_throttle(cx: &Cx, keys: &[String; 2], limits: &[u64; 2]) -> Result<()> {
    for (key, limit) in keys.iter().zip(limits) {
        let Some(row) = users::failures(&cx.db, key).await? else {
            continue;
        };
        let remaining = THROTTLE_WINDOW_SECS - (cx.now - row.window_start.0).num_seconds();
        if remaining > 0 && row.count >= *limit {
            return Err(Error::TooManyRequests {
                retry_after_secs: u64::try_from(remaining).unwrap_or(1),
            });
        }
    }
    Ok(())
}

async fn record_failure(cx: &Cx, keys: &[String; 2]) -> Result<()> {
    let now = Time(cx.now);
    let cutoff = Time(cx.now - chrono::Duration::seconds(THROTTLE_WINDOW_SECS));
    let statements = keys
        .iter()
        .map(|key| users::failure_stmt(key, now, cutoff))
        .collect();
    cx.db.batch(statements).await?;
    Ok(())
}

/// Starts a session for a user who proved who they are: a refresh token and an access token;
/// `ending` is the session it replaces (a company switch).
async fn open_session(cx: &Cx, user: &UserRow, ending: Option<&SessionId>) -> Result<TokensOut> {
    let session_id = SessionId::new(cx.now)?;
    let now = Time(cx.now);
    let refresh = secrets::new_secret(secrets::REFRESH_TOKEN_PREFIX)?;
    let mut statements = users::open_session_stmts(&session_id, &user.id, now);
    statements.insert(1, users::refresh_stmt(&refresh, &session_id, now));
    if let Some(ending) = ending {
        statements.push(users::revoke_session_stmt(ending, now));
    }
    cx.db.batch(statements).await?;
    tokens(cx, user, &session_id, refresh).await
}

async fn tokens(
    cx: &Cx,
    user: &UserRow,
    session: &SessionId,
    refresh: String,
) -> Result<TokensOut> {
    let claims = AccessClaims {
        sub: user.id.clone(),
        cid: user.company_id.clone(),
        sid: session.clone(),
        role: user.role,
        perms: user.permissions(),
    };
    let access_token = issuer(cx)?.issue(&claims, cx.now)?;
    Ok(TokensOut {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL_SECS,
        refresh_token: refresh,
        user: UserOut::of(user),
        company: companies::get(&cx.db, &user.company_id).await?,
    })
}

fn refresh_invalid() -> Error {
    Error::unauthenticated(
        "refresh_token_invalid",
        "the refresh token is unknown, expired or revoked; log in again",
    )
}

/// `POST /v1/auth/refresh`.
pub async fn refresh(cx: &mut Cx) -> Result<Reply> {
    let input: RefreshIn = cx.body().await?;
    let row = users::refresh_token(&cx.db, &input.refresh_token)
        .await?
        .ok_or_else(refresh_invalid)?;
    if row.revoked_at.is_some() || row.expires_at.0 <= cx.now {
        return Err(refresh_invalid());
    }
    let claimed =
        row.used_at.is_none() && users::claim_refresh(&cx.db, &row.hash, Time(cx.now)).await?;
    if !claimed {
        // A used token presented again: whoever holds it may be a thief. End the whole family.
        revoke_session(cx, &row.session_id).await?;
        return Err(Error::unauthenticated(
            "refresh_token_reused",
            "this refresh token was already used; the session has been ended for safety",
        ));
    }
    let user = users::find(&cx.db, &row.user_id)
        .await?
        .ok_or_else(refresh_invalid)?;
    if let Err(e) = ensure_can_log_in(&user) {
        revoke_session(cx, &row.session_id).await?;
        return Err(e);
    }
    let next = secrets::new_secret(secrets::REFRESH_TOKEN_PREFIX)?;
    cx.db
        .batch(vec![users::refresh_stmt(
            &next,
            &row.session_id,
            Time(cx.now),
        )])
        .await?;
    Reply::json(200, &tokens(cx, &user, &row.session_id, next).await?)
}

async fn revoke_session(cx: &Cx, session: &SessionId) -> Result<()> {
    cx.db
        .run_of(users::revoke_session_stmt(session, Time(cx.now)))
        .await?;
    Ok(())
}

/// `POST /v1/auth/logout`.
pub async fn logout(cx: &mut Cx) -> Result<Reply> {
    let input: RefreshIn = cx.body().await?;
    if let Some(row) = users::refresh_token(&cx.db, &input.refresh_token).await? {
        revoke_session(cx, &row.session_id).await?;
    }
    Ok(Reply::no_content())
}

/// `POST /v1/auth/password-reset`.
pub async fn request_password_reset(cx: &mut Cx) -> Result<Reply> {
    let input: ResetIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    if let Some(user) = users::by_email(&cx.db, &email).await? {
        let since = Time(cx.now - chrono::Duration::hours(1));
        let may_send = matches!(user.status, UserStatus::Active | UserStatus::Unconfirmed)
            && mails::count_since(&cx.db, &user.email, "password_reset", since).await?
                < MAX_RESET_MAILS_PER_HOUR;
        if may_send {
            let now = Time(cx.now);
            let link =
                mailer::new_link(&cx.public_url(), LinkKind::Reset, Some(&user.id), None, now)?;
            let mail = mailer::mail_stmt(
                &user.email,
                user.language,
                "password_reset",
                &Template::PasswordReset {
                    name: user.name.clone(),
                    link: link.url.clone(),
                },
                None,
                now,
            )?;
            cx.db.batch(vec![link.stmt, mail]).await?;
        }
    }
    // The same answer whether or not the address exists.
    Reply::json(
        202,
        &ResetOut {
            status: "sent_if_known",
        },
    )
}

/// `POST /v1/auth/password-reset/confirm`.
pub async fn confirm_password_reset(cx: &mut Cx) -> Result<Reply> {
    let input: ResetConfirmIn = cx.body().await?;
    let link = find_link(cx, &input.token, &[LinkKind::Reset]).await?;
    let user_id = link.user_id.clone().ok_or_else(link_invalid)?;
    let user = users::find(&cx.db, &user_id)
        .await?
        .ok_or_else(link_invalid)?;
    password::validate_new(&input.password, &user.email)?;
    let hash = password::hash(&input.password, &pepper(cx)?)?;
    claim_link(cx, &link.hash).await?;
    let now = Time(cx.now);
    // The person's one password, on every access, and every login of theirs ends.
    let result = cx
        .db
        .batch(vec![
            users::password_stmt(&user_id, &hash, now),
            users::password_everywhere_stmt(&user.email, &hash, now),
            users::revoke_everywhere_stmt(&user.email, now),
        ])
        .await;
    if let Err(e) = result {
        links::release(&cx.db, &link.hash).await;
        return Err(e);
    }
    account(cx, &user_id, 200).await
}

/// `POST /v1/auth/accept-invitation`.
pub async fn accept_invitation(cx: &mut Cx) -> Result<Reply> {
    let input: AcceptIn = cx.body().await?;
    let link = find_link(
        cx,
        &input.token,
        &[LinkKind::InviteUser, LinkKind::InviteCompany],
    )
    .await?;
    match (link.kind, &link.user_id, &link.invitation_id) {
        (LinkKind::InviteUser, Some(user_id), _) => {
            accept_colleague(cx, &input, &link.hash, user_id).await
        }
        (LinkKind::InviteCompany, _, Some(invitation)) => {
            accept_company(cx, &input, &link.hash, invitation).await
        }
        _ => Err(link_invalid()),
    }
}

async fn accept_colleague(
    cx: &Cx,
    input: &AcceptIn,
    hash: &str,
    user_id: &UserId,
) -> Result<Reply> {
    let user = users::find(&cx.db, user_id)
        .await?
        .filter(|u| u.status == UserStatus::Invited)
        .ok_or_else(link_invalid)?;
    let name = match input.name.as_deref() {
        Some(n) => validate::text("name", n, 1, 120)?,
        None => user.name.clone(),
    };
    password::validate_new(&input.password, &user.email)?;
    let language = input.language.unwrap_or(user.language);
    let password_hash = password::hash(&input.password, &pepper(cx)?)?;
    claim_link(cx, hash).await?;
    let now = Time(cx.now);
    // The password chosen is the person's one password, at every company they work for.
    let result = cx
        .db
        .batch(vec![
            users::accept_stmt(user_id, &password_hash, &name, language, now),
            users::password_everywhere_stmt(&user.email, &password_hash, now),
        ])
        .await;
    if let Err(e) = result {
        links::release(&cx.db, hash).await;
        return Err(e);
    }
    account(cx, user_id, 201).await
}

async fn accept_company(
    cx: &Cx,
    input: &AcceptIn,
    hash: &str,
    invitation_id: &InvitationId,
) -> Result<Reply> {
    let invitation = invitations::open(&cx.db, invitation_id)
        .await?
        .ok_or_else(link_invalid)?;
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
    ensure_handle_free(cx, &handle).await?;
    let language = input.language.unwrap_or_default();
    let password_hash = password::hash(&input.password, &pepper(cx)?)?;
    let settings = invitation.settings.0;

    let now = Time(cx.now);
    let company_id = CompanyId::new(cx.now)?;
    let user_id = UserId::new(cx.now)?;
    let relationship_id = RelationshipId::new(cx.now)?;
    let mut services = Services::default_request().on_approval();
    services.set(Service::Appointments, ServiceState::Inactive);
    let relationship = relationships::insert_stmt(&NewRelationship {
        id: &relationship_id,
        requester: &invitation.company_id,
        addressee: &company_id,
        requester_role: PartyRole::Supplier,
        status: RelationshipStatus::Active,
        services: &services,
        message: None,
        settings: &settings,
        now,
    });
    let event = Event::new(
        "relationship.invitation_accepted",
        &invitation.company_id,
        json!({ "relationship_id": relationship_id, "company_id": company_id, "invitation_id": invitation_id }),
        cx.now,
    )?;
    claim_link(cx, hash).await?;
    let statements = vec![
        companies::insert_stmt(&company_id, &company_name, &handle, now),
        users::insert_stmt(&NewUser {
            id: &user_id,
            company_id: &company_id,
            email: &invitation.email,
            name: &name,
            password_hash: Some(&password_hash),
            role: Role::Admin,
            permissions: &permissions::ALL,
            language,
            status: UserStatus::Active,
            now,
        }),
        users::password_everywhere_stmt(&invitation.email, &password_hash, now),
        relationship,
        invitations::accept_stmt(invitation_id, now),
        events::insert_stmt(&event),
    ];
    if let Err(e) = cx.db.batch(statements).await {
        links::release(&cx.db, hash).await;
        return Err(taken_or(e));
    }
    cx.publish(vec![event]);
    account(cx, &user_id, 201).await
}

/// `GET /v1/auth/jwks.json`.
pub async fn get_jwks(cx: &mut Cx) -> Result<Reply> {
    Reply::json(200, &issuer(cx)?.jwks())
}
