//! Outgoing account mail: every mail is rendered from the shared templates in the recipient's
//! language and written to the `mails` table in the same batch as the change that caused it,
//! so a mail is never lost and never sent for a change that did not happen; and the
//! single-use links such mails carry.

use crate::data::links::{self, LinkKind};
use crate::data::mails::{self, NewMail};
use crate::ids::{CompanyId, InvitationId, UserId};
use crate::lang::Language;
use crate::mail::{self, Template};
use crate::platform::Statement;
use crate::time::Time;
use crate::{secrets, Error, Result};

/// How long a link of `kind` stays valid (the mail texts state the same).
fn ttl(kind: LinkKind) -> chrono::Duration {
    match kind {
        LinkKind::Confirm => chrono::Duration::hours(mail::CONFIRM_EMAIL_TTL_HOURS),
        LinkKind::Reset => chrono::Duration::hours(mail::PASSWORD_RESET_TTL_HOURS),
        LinkKind::InviteUser | LinkKind::InviteCompany => {
            chrono::Duration::days(mail::INVITATION_TTL_DAYS)
        }
    }
}

/// The portal page a link opens.
fn page(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Confirm => "confirm",
        LinkKind::Reset => "reset-password",
        LinkKind::InviteUser | LinkKind::InviteCompany => "accept-invitation",
    }
}

/// A fresh link: the URL for the mail and the statement that stores its hash.
pub struct Link {
    pub url: String,
    pub stmt: Statement,
    pub expires_at: Time,
}

/// A new link of `kind` under `public_url`.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn new_link(
    public_url: &str,
    kind: LinkKind,
    user: Option<&UserId>,
    invitation: Option<&InvitationId>,
    now: Time,
) -> Result<Link> {
    let token = secrets::new_secret(secrets::LINK_TOKEN_PREFIX)?;
    let expires_at = Time(now.0 + ttl(kind));
    Ok(Link {
        url: format!("{public_url}/{}?token={token}", page(kind)),
        stmt: links::insert_stmt(&token, kind, user, invitation, now, expires_at),
        expires_at,
    })
}

/// The statement that records (and so sends) a mail; `caused_by` is the company whose action
/// it is about (an invitation's sender), whose own opening it gets.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn mail_stmt(
    to: &str,
    language: Language,
    template_name: &str,
    template: &Template,
    caused_by: Option<&CompanyId>,
    now: Time,
) -> Result<Statement> {
    let rendered = mail::render(template, language);
    mails::insert_stmt(
        &NewMail {
            to,
            language,
            template: template_name,
            subject: &rendered.subject,
            text: &rendered.text,
            from_name: template.partner(),
            company: caused_by,
            now,
        },
        false,
    )
}

/// The 400 for a link that cannot be used.
#[must_use]
pub fn link_invalid() -> Error {
    Error::bad_request(
        "link_invalid",
        "this link is unknown, was already used or has expired; ask for a new one",
    )
}
