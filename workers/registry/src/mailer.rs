//! The one adapter for outgoing mail, and the single-use links mails carry.
//!
//! Every mail is rendered from the shared templates in the recipient's language and written to
//! the `mails` table in the same batch as the change that caused it, so a mail is never lost
//! and never sent for a change that did not happen. Locally that table is the mailbox
//! (`GET /v1/dev/mail`); a production transport reads it (see README, "Mail").

use serde::Deserialize;
use shared::edge::db::Db;
use shared::ids::{InvitationId, MailId, UserId};
use shared::lang::Language;
use shared::mail::{self, Template};
use shared::time::{self, Timestamp};
use shared::{secrets, Error, Result};
use worker::D1PreparedStatement;

/// The statement that records (and so sends) a mail.
pub fn mail_stmt(
    db: &Db,
    to: &str,
    language: Language,
    template_name: &str,
    template: &Template,
    now: Timestamp,
) -> Result<D1PreparedStatement> {
    let rendered = mail::render(template, language);
    db.stmt(
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            &MailId::new(now)?,
            &to,
            &language.as_str(),
            &template_name,
            &rendered.subject,
            &rendered.text,
            &time::format(now),
        ],
    )
}

/// What a link token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Confirm,
    Reset,
    InviteUser,
    InviteCompany,
}

impl LinkKind {
    fn as_str(self) -> &'static str {
        match self {
            LinkKind::Confirm => "confirm",
            LinkKind::Reset => "reset",
            LinkKind::InviteUser => "invite_user",
            LinkKind::InviteCompany => "invite_company",
        }
    }

    /// How long a link stays valid (the mail texts state the same).
    fn ttl(self) -> chrono::Duration {
        match self {
            LinkKind::Confirm => chrono::Duration::hours(mail::CONFIRM_EMAIL_TTL_HOURS),
            LinkKind::Reset => chrono::Duration::hours(mail::PASSWORD_RESET_TTL_HOURS),
            LinkKind::InviteUser | LinkKind::InviteCompany => {
                chrono::Duration::days(mail::INVITATION_TTL_DAYS)
            }
        }
    }

    /// The portal page the link opens.
    fn page(self) -> &'static str {
        match self {
            LinkKind::Confirm => "confirm",
            LinkKind::Reset => "reset-password",
            LinkKind::InviteUser | LinkKind::InviteCompany => "accept-invitation",
        }
    }
}

/// A fresh link: the URL for the mail and the statement that stores its hash.
pub struct Link {
    pub url: String,
    pub stmt: D1PreparedStatement,
    pub expires_at: String,
}

pub fn new_link(
    db: &Db,
    public_url: &str,
    kind: LinkKind,
    user: Option<&UserId>,
    invitation: Option<&InvitationId>,
    now: Timestamp,
) -> Result<Link> {
    let token = secrets::new_secret("lt_")?;
    let expires_at = time::format(now + kind.ttl());
    let stmt = db.stmt(
        "INSERT INTO link_tokens (hash, kind, user_id, invitation_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            &secrets::hash_secret(&token),
            &kind.as_str(),
            &user.map(|u| u.as_str().to_owned()),
            &invitation.map(|i| i.as_str().to_owned()),
            &time::format(now),
            &expires_at,
        ],
    )?;
    Ok(Link {
        url: format!("{public_url}/{}?token={token}", kind.page()),
        stmt,
        expires_at,
    })
}

/// A link token as stored.
#[derive(Debug, Deserialize)]
pub struct LinkRow {
    pub hash: String,
    pub kind: String,
    pub user_id: Option<UserId>,
    pub invitation_id: Option<InvitationId>,
}

/// Looks a presented link token up: it must exist, be of one of `kinds`, unused and unexpired.
pub async fn find_link(
    db: &Db,
    token: &str,
    kinds: &[LinkKind],
    now: Timestamp,
) -> Result<LinkRow> {
    let row: Option<LinkRow> = db
        .first(
            "SELECT hash, kind, user_id, invitation_id FROM link_tokens \
             WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            &[&secrets::hash_secret(token.trim()), &time::format(now)],
        )
        .await?;
    row.filter(|r| kinds.iter().any(|k| k.as_str() == r.kind))
        .ok_or_else(link_invalid)
}

/// The statement that uses a link up; in a batch, its change count tells whether this request
/// won (1) or a concurrent one used it first (0).
pub fn use_link_stmt(db: &Db, hash: &str, now: Timestamp) -> Result<D1PreparedStatement> {
    db.stmt(
        "UPDATE link_tokens SET used_at = ?1 WHERE hash = ?2 AND used_at IS NULL",
        &[&time::format(now), &hash],
    )
}

pub fn link_invalid() -> Error {
    Error::bad_request(
        "link_invalid",
        "this link is unknown, was already used or has expired; ask for a new one",
    )
}

impl LinkKind {
    pub fn parse(kind: &str) -> Option<LinkKind> {
        [
            LinkKind::Confirm,
            LinkKind::Reset,
            LinkKind::InviteUser,
            LinkKind::InviteCompany,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
    }
}
