//! `users`, `sessions`, `refresh_tokens` and `login_failures`: people's accesses, their logins
//! (each a family of rotating refresh tokens) and the throttle on failed logins.

use serde::Deserialize;

use super::{Db, Statement};
use crate::data::companies::CompanyOut;
use crate::ids::{CompanyId, SessionId, UserId};
use crate::lang::Language;
use crate::permissions::{self, Permission, Role};
use crate::time::Time;
use crate::{secrets, Result};

/// The UNIQUE constraint on a person's access key (`company_id || ' ' || email`): one access
/// per address and company (`d1-migrations/0015_several_companies.sql`).
pub const EMAIL_TAKEN: &str = "users.access_key";
/// The partial UNIQUE index on the address of an unconfirmed sign-up: one at a time.
pub const SIGNUP_PENDING: &str = "users.email";

named_enum! {
    /// Where a person's access stands.
    UserStatus, "user status" {
        /// Signed up; the e-mail address is not confirmed yet.
        Unconfirmed = "unconfirmed",
        /// Invited by a colleague; the invitation is not accepted yet (no password).
        Invited = "invited",
        Active = "active",
        Disabled = "disabled",
    }
}

/// A person's access as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub permissions: permissions::Stored,
    pub language: Language,
    pub status: UserStatus,
    pub created_at: Time,
    pub last_login_at: Option<Time>,
}

impl UserRow {
    /// The permissions in force: an admin has them all.
    #[must_use]
    pub fn permissions(&self) -> Vec<Permission> {
        match self.role {
            Role::Admin => permissions::ALL.to_vec(),
            Role::Member => self.permissions.0.clone(),
        }
    }
}

const COLUMNS: &str = "id, company_id, email, name, password_hash, role, permissions, \
                       language, status, created_at, last_login_at";
const COLUMNS_U: &str = "u.id, u.company_id, u.email, u.name, u.password_hash, u.role, \
                         u.permissions, u.language, u.status, u.created_at, u.last_login_at";

/// A person by id, whatever the company: for the caller's own access (its token names it) and
/// for the account flows that start from a link or a refresh token.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, id: &UserId) -> Result<Option<UserRow>> {
    db.first(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"), &[id])
        .await
}

/// A person of the viewer's company.
///
/// # Errors
/// A database error.
pub async fn in_company(db: &Db, viewer: &CompanyId, id: &UserId) -> Result<Option<UserRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE id = ?1 AND company_id = ?2 \
             AND deleted_at IS NULL"
        ),
        &[id, viewer],
    )
    .await
}

/// The access a login with this address opens: of a person's accesses (one per company), an
/// active one before any other, the one used last first. All of them share one password.
///
/// # Errors
/// A database error.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE email = ?1 AND deleted_at IS NULL \
             ORDER BY status = 'active' DESC, last_login_at DESC, id DESC LIMIT 1"
        ),
        &[&email],
    )
    .await
}

/// The accesses of the person with this address.
///
/// # Errors
/// A database error.
pub async fn with_email(db: &Db, email: &str) -> Result<Vec<UserId>> {
    #[derive(Deserialize)]
    struct Row {
        id: UserId,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT id FROM users WHERE email = ?1 AND deleted_at IS NULL ORDER BY id",
            &[&email],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whether the address already has a login (an active access or a sign-up not yet
/// confirmed): a further company is then added from the portal, logged in.
///
/// # Errors
/// A database error.
pub async fn has_login(db: &Db, email: &str) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {}
    let row: Option<Row> = db
        .first(
            "SELECT 1 AS one FROM users WHERE email = ?1 AND deleted_at IS NULL \
             AND status IN ('active', 'unconfirmed') LIMIT 1",
            &[&email],
        )
        .await?;
    Ok(row.is_some())
}

/// The same person's access at `company` (the company switcher).
///
/// # Errors
/// A database error.
pub async fn access_at(db: &Db, user: &UserId, company: &CompanyId) -> Result<Option<UserRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS_U} FROM users me JOIN users u ON u.email = me.email \
             WHERE me.id = ?1 AND u.company_id = ?2 AND u.deleted_at IS NULL \
             AND me.deleted_at IS NULL"
        ),
        &[user, company],
    )
    .await
}

/// One of a person's accesses, with its company.
#[derive(Debug, Deserialize)]
pub struct AccessRow {
    pub user_id: UserId,
    pub role: Role,
    pub company_id: CompanyId,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: Time,
}

/// The person's active accesses, by company name (the company switcher's list).
///
/// # Errors
/// A database error.
pub async fn accesses(db: &Db, user: &UserId) -> Result<Vec<AccessRow>> {
    db.all(
        "SELECT u.id AS user_id, u.role, c.id AS company_id, c.name AS company_name, \
         c.handle AS company_handle, c.created_at AS company_created_at \
         FROM users me JOIN users u ON u.email = me.email JOIN companies c ON c.id = u.company_id \
         WHERE me.id = ?1 AND me.deleted_at IS NULL AND u.deleted_at IS NULL \
         AND u.status = 'active' ORDER BY c.name, c.id",
        &[user],
    )
    .await
}

/// Sets the person's one password on all their accesses (after a step that proved they
/// control the address: a reset, an accepted invitation). Invitations not yet accepted stay
/// without one.
#[must_use]
pub fn password_everywhere_stmt(email: &str, hash: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE users SET password_hash = ?1, updated_at = ?2 \
         WHERE email = ?3 AND deleted_at IS NULL AND status != 'invited'",
        &[&hash, &now, &email],
    )
}

/// Ends every session of every access of the person (a password reset).
#[must_use]
pub fn revoke_everywhere_stmt(email: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE sessions SET revoked_at = ?1 WHERE revoked_at IS NULL \
         AND user_id IN (SELECT id FROM users WHERE email = ?2)",
        &[&now, &email],
    )
}

/// A page of the viewer's people, newest first.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    viewer: &CompanyId,
    status: Option<UserStatus>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<UserRow>> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE company_id = ?1 AND deleted_at IS NULL \
             AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) \
             ORDER BY id DESC LIMIT ?4"
        ),
        &[viewer, &status.map(UserStatus::as_str), &before, &fetch],
    )
    .await
}

/// A person with their company and whether the session the token names is still open
/// (`GET /v1/me`, the most frequent call, in one query).
#[derive(Debug, Deserialize)]
pub struct MeRow {
    #[serde(flatten)]
    pub user: UserRow,
    pub company_name: String,
    pub company_handle: String,
    pub company_created_at: Time,
    pub revoked_at: Option<Time>,
}

impl MeRow {
    /// The person's company.
    #[must_use]
    pub fn company(&self) -> CompanyOut {
        CompanyOut {
            id: self.user.company_id.clone(),
            name: self.company_name.clone(),
            handle: self.company_handle.clone(),
            created_at: self.company_created_at,
        }
    }
}

/// The caller's own access with its company and session.
///
/// # Errors
/// A database error.
pub async fn me(db: &Db, user: &UserId, session: &SessionId) -> Result<Option<MeRow>> {
    db.first(
        &format!(
            "SELECT {COLUMNS_U}, c.name AS company_name, c.handle AS company_handle, \
             c.created_at AS company_created_at, s.revoked_at \
             FROM users u JOIN companies c ON c.id = u.company_id \
             JOIN sessions s ON s.user_id = u.id WHERE u.id = ?1 AND s.id = ?2"
        ),
        &[user, session],
    )
    .await
}

/// Whether the person's session is still open and the access active.
///
/// # Errors
/// A database error.
pub async fn session_live(db: &Db, user: &UserId, session: &SessionId) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        status: UserStatus,
        revoked_at: Option<Time>,
    }
    let row: Option<Row> = db
        .first(
            "SELECT u.status, s.revoked_at FROM users u JOIN sessions s ON s.user_id = u.id \
             WHERE u.id = ?1 AND s.id = ?2",
            &[user, session],
        )
        .await?;
    Ok(row.is_some_and(|r| r.status == UserStatus::Active && r.revoked_at.is_none()))
}

/// What a new person's row holds.
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub company_id: &'a CompanyId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub permissions: &'a [Permission],
    pub language: Language,
    pub status: UserStatus,
    pub now: Time,
}

/// The insert of a new access (fails on [`EMAIL_TAKEN`] when the address has one at the
/// company, on [`SIGNUP_PENDING`] for a second unconfirmed sign-up).
#[must_use]
pub fn insert_stmt(u: &NewUser<'_>) -> Statement {
    Statement::new(
        "INSERT INTO users (id, company_id, email, name, password_hash, role, permissions, \
         language, status, created_at, updated_at, access_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?2 || ' ' || ?3)",
        &[
            u.id,
            u.company_id,
            &u.email,
            &u.name,
            &u.password_hash,
            &u.role.as_str(),
            &permissions::to_storage(u.permissions),
            &u.language.as_str(),
            &u.status.as_str(),
            &u.now,
        ],
    )
}

/// Confirms a signed-up person's address.
#[must_use]
pub fn confirm_stmt(id: &UserId, now: Time) -> Statement {
    Statement::new(
        "UPDATE users SET status = 'active', updated_at = ?1 WHERE id = ?2 AND status = 'unconfirmed'",
        &[&now, id],
    )
}

/// Sets a new password (a reset also confirms an unconfirmed address).
#[must_use]
pub fn password_stmt(id: &UserId, hash: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE users SET password_hash = ?1, updated_at = ?2, \
         status = CASE WHEN status = 'unconfirmed' THEN 'active' ELSE status END \
         WHERE id = ?3",
        &[&hash, &now, id],
    )
}

/// An invited colleague accepts: password, name, language, active (while still invited).
#[must_use]
pub fn accept_stmt(
    id: &UserId,
    hash: &str,
    name: &str,
    language: Language,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE users SET password_hash = ?1, name = ?2, language = ?3, status = 'active', \
         updated_at = ?4 WHERE id = ?5 AND status = 'invited'",
        &[&hash, &name, &language.as_str(), &now, id],
    )
}

/// A person changes their own name or language.
#[must_use]
pub fn update_me_stmt(
    id: &UserId,
    name: Option<&str>,
    language: Option<Language>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE users SET name = COALESCE(?1, name), language = COALESCE(?2, language), \
         updated_at = ?3 WHERE id = ?4",
        &[&name, &language.map(Language::as_str), &now, id],
    )
}

/// An administrator changes a colleague of the viewer's company.
#[must_use]
pub fn update_stmt(
    viewer: &CompanyId,
    id: &UserId,
    name: Option<&str>,
    role: Role,
    permissions: &[Permission],
    status: Option<UserStatus>,
    now: Time,
) -> Statement {
    Statement::new(
        "UPDATE users SET name = COALESCE(?1, name), role = ?2, permissions = ?3, \
         status = COALESCE(?4, status), updated_at = ?5 WHERE id = ?6 AND company_id = ?7",
        &[
            &name,
            &role.as_str(),
            &permissions::to_storage(permissions),
            &status.map(UserStatus::as_str),
            &now,
            id,
            viewer,
        ],
    )
}

/// How many active admins the company has besides `except`.
///
/// # Errors
/// A database error.
pub async fn other_admins(db: &Db, company: &CompanyId, except: &UserId) -> Result<u64> {
    #[derive(Deserialize)]
    struct Count {
        n: u64,
    }
    let row: Option<Count> = db
        .first(
            "SELECT COUNT(*) AS n FROM users WHERE company_id = ?1 AND role = 'admin' \
             AND status = 'active' AND id != ?2",
            &[company, except],
        )
        .await?;
    Ok(row.map_or(0, |c| c.n))
}

/// What a deleted person is called wherever the company's history names them.
pub const FORMER_USER: &str = "Former user";

/// Deletes a person's access and erases their personal data, in one batch: their logins,
/// links, settings and calendar feeds go; the card partners received from them goes; their
/// name becomes [`FORMER_USER`] where it was copied (messages, approvals, staff, the events
/// and webhook bodies of their company and its partners) and their address goes from those
/// too; mails to them go. The person's row stays, disabled, without password, card or
/// permissions, named [`FORMER_USER`] with an address of the reserved `.invalid` domain (the
/// real one is free again), so documents, histories and the audit log keep pointing at
/// someone. What they wrote in messages stays as written.
#[must_use]
pub fn erase_stmts(viewer: &CompanyId, user: &UserRow, now: Time) -> Vec<Statement> {
    let id = &user.id;
    // Names and addresses as they appear in the stored JSON (serde's quoting).
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let (name, email) = (quoted(&user.name), quoted(&user.email));
    let (former, former_email) = (quoted(FORMER_USER), quoted("former-user@erased.invalid"));
    let scrub = |table: &str, column: &str| {
        Statement::new(
            format!(
                "UPDATE {table} SET {column} = replace(replace({column}, ?2, ?3), ?4, ?5) \
                 WHERE (company_id = ?1 OR instr({column}, ?1) > 0) \
                 AND (instr({column}, ?2) > 0 OR instr({column}, ?4) > 0)"
            ),
            &[viewer, &name, &former, &email, &former_email],
        )
    };
    let by_user = |sql: &str| Statement::new(sql, &[id]);
    let renamed = |sql: &str| Statement::new(sql, &[id, &FORMER_USER]);
    vec![
        by_user("DELETE FROM link_tokens WHERE user_id = ?1"),
        by_user(
            "DELETE FROM refresh_tokens WHERE session_id IN \
             (SELECT id FROM sessions WHERE user_id = ?1)",
        ),
        by_user("DELETE FROM sessions WHERE user_id = ?1"),
        by_user("DELETE FROM notification_settings WHERE user_id = ?1"),
        by_user("DELETE FROM calendar_feeds WHERE user_id = ?1"),
        by_user("DELETE FROM project_contacts WHERE user_id = ?1"),
        by_user("DELETE FROM contacts WHERE user_id = ?1"),
        renamed(
            "UPDATE staff SET name = ?2 || ' ' || substr(id, -6), email = NULL, phone = NULL \
             WHERE user_id = ?1",
        ),
        renamed("UPDATE messages SET user_name = ?2 WHERE user_id = ?1"),
        renamed("UPDATE approvals SET requested_by_name = ?2 WHERE requested_by_user_id = ?1"),
        renamed("UPDATE approvals SET decided_by_name = ?2 WHERE decided_by_user_id = ?1"),
        scrub("events", "data"),
        scrub("deliveries", "body"),
        Statement::new("DELETE FROM mails WHERE to_email = ?1", &[&user.email]),
        Statement::new(
            "UPDATE users SET name = ?3, email = 'deleted-' || id || '@erased.invalid', \
             access_key = 'deleted ' || id, password_hash = NULL, card = NULL, permissions = '', role = 'member', \
             status = 'disabled', deleted_at = ?4, updated_at = ?4 \
             WHERE id = ?1 AND company_id = ?2",
            &[id, viewer, &FORMER_USER, &now],
        ),
    ]
}

/// A person's name (the viewer's own people only).
///
/// # Errors
/// A database error.
pub async fn name(db: &Db, viewer: &CompanyId, id: &UserId) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT name FROM users WHERE id = ?1 AND company_id = ?2",
            &[id, viewer],
        )
        .await?;
    Ok(row.map(|r| r.name))
}

/// Who among `ids` is a person of `company`, with what they may do.
#[derive(Debug, Deserialize)]
pub struct Candidate {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub permissions: permissions::Stored,
    pub status: UserStatus,
}

impl Candidate {
    /// Whether they may decide approvals now.
    #[must_use]
    pub fn decides(&self) -> bool {
        self.status == UserStatus::Active
            && (self.role == Role::Admin
                || self.permissions.0.contains(&Permission::ApprovalsDecide))
    }
}

/// The people of the companies `of` among `ids` (names shown with approvals, approvers checked).
///
/// # Errors
/// A database error.
pub async fn among(db: &Db, of: &[&CompanyId], ids: &[UserId]) -> Result<Vec<Candidate>> {
    if ids.is_empty() || of.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = ids.iter().map(UserId::as_str).collect();
    let companies: Vec<&str> = of.iter().map(|c| c.as_str()).collect();
    db.all(
        "SELECT id, name, role, permissions, status FROM users \
         WHERE id IN (SELECT value FROM json_each(?1)) \
         AND company_id IN (SELECT value FROM json_each(?2))",
        &[
            &serde_json::to_string(&ids).unwrap_or_default(),
            &serde_json::to_string(&companies).unwrap_or_default(),
        ],
    )
    .await
}

/// A person's card as stored, with what a card that was never filled in starts from.
#[derive(Debug, Deserialize)]
pub struct CardRow {
    pub card: Option<String>,
    pub name: String,
    pub email: String,
    pub company_name: String,
}

/// The caller's own card.
///
/// # Errors
/// A database error.
pub async fn card(db: &Db, viewer: &CompanyId, id: &UserId) -> Result<Option<CardRow>> {
    db.first(
        "SELECT u.card, u.name, u.email, c.name AS company_name FROM users u \
         JOIN companies c ON c.id = u.company_id WHERE u.id = ?1 AND u.company_id = ?2",
        &[id, viewer],
    )
    .await
}

/// Stores the caller's card (JSON).
#[must_use]
pub fn card_stmt(id: &UserId, card_json: &str, now: Time) -> Statement {
    Statement::new(
        "UPDATE users SET card = ?1, updated_at = ?2 WHERE id = ?3",
        &[&card_json, &now, id],
    )
}

// Sessions and refresh tokens.

/// Refresh tokens live this long from their issue.
pub const REFRESH_TTL_DAYS: i64 = 30;

/// Opens a session (the family of a login's refresh tokens) and notes the login.
#[must_use]
pub fn open_session_stmts(session: &SessionId, user: &UserId, now: Time) -> Vec<Statement> {
    let expires = Time(now.0 + chrono::Duration::days(REFRESH_TTL_DAYS));
    vec![
        Statement::new(
            "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            &[session, user, &now, &expires],
        ),
        Statement::new(
            "UPDATE users SET last_login_at = ?1 WHERE id = ?2",
            &[&now, user],
        ),
    ]
}

/// Stores a refresh token of a session (its hash).
#[must_use]
pub fn refresh_stmt(token: &str, session: &SessionId, now: Time) -> Statement {
    Statement::new(
        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        &[
            &secrets::hash_secret(token),
            session,
            &now,
            &Time(now.0 + chrono::Duration::days(REFRESH_TTL_DAYS)),
        ],
    )
}

/// A refresh token with its session.
#[derive(Debug, Deserialize)]
pub struct RefreshRow {
    pub hash: String,
    pub session_id: SessionId,
    pub expires_at: Time,
    pub used_at: Option<Time>,
    pub revoked_at: Option<Time>,
    pub user_id: UserId,
}

/// A refresh token by the token itself (the secret the caller holds).
///
/// # Errors
/// A database error.
pub async fn refresh_token(db: &Db, token: &str) -> Result<Option<RefreshRow>> {
    db.first(
        "SELECT t.hash, t.session_id, t.expires_at, t.used_at, s.revoked_at, s.user_id \
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?1",
        &[&secrets::hash_secret(token.trim())],
    )
    .await
}

/// Uses a refresh token up; `true` when this request won it.
///
/// # Errors
/// A database error.
pub async fn claim_refresh(db: &Db, hash: &str, now: Time) -> Result<bool> {
    let changed = db
        .run(
            "UPDATE refresh_tokens SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
            &[&now, &hash],
        )
        .await?;
    Ok(changed == 1)
}

/// Ends a session.
#[must_use]
pub fn revoke_session_stmt(session: &SessionId, now: Time) -> Statement {
    Statement::new(
        "UPDATE sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
        &[&now, session],
    )
}

/// Ends every session of a person (password reset, disabling, deletion).
#[must_use]
pub fn revoke_all_sessions_stmt(user: &UserId, now: Time) -> Statement {
    Statement::new(
        "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        &[&now, user],
    )
}

// The login throttle.

/// Failed logins of one key (`acct:<email>` or `ip:<address>`) in its window.
#[derive(Debug, Deserialize)]
pub struct Failures {
    pub count: u64,
    pub window_start: Time,
}

/// The failed logins counted for `key`.
///
/// # Errors
/// A database error.
pub async fn failures(db: &Db, key: &str) -> Result<Option<Failures>> {
    db.first(
        "SELECT count, window_start FROM login_failures WHERE key = ?1",
        &[&key],
    )
    .await
}

/// Counts a failed login for `key`, starting a new window when the last began before `cutoff`.
#[must_use]
pub fn failure_stmt(key: &str, now: Time, cutoff: Time) -> Statement {
    Statement::new(
        "INSERT INTO login_failures (key, count, window_start) VALUES (?1, 1, ?2) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN window_start < ?3 THEN 1 ELSE count + 1 END, \
           window_start = CASE WHEN window_start < ?3 THEN ?2 ELSE window_start END",
        &[&key, &now, &cutoff],
    )
}

/// Forgets the failed logins of `key` (after a good one).
#[must_use]
pub fn clear_failures_stmt(key: &str) -> Statement {
    Statement::new("DELETE FROM login_failures WHERE key = ?1", &[&key])
}
