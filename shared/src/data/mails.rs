//! `mails`: every outgoing mail, as rendered. Written in the same batch as the change that
//! caused it, so a mail is never lost and never sent for a change that did not happen. Locally
//! the table is the mailbox (`GET /v1/dev/mail`).

use serde::{Deserialize, Serialize};

use super::{Db, Statement};
use crate::ids::{CompanyId, MailId};
use crate::lang::Language;
use crate::time::Time;
use crate::Result;

/// A mail to write.
pub struct NewMail<'a> {
    pub to: &'a str,
    pub language: Language,
    /// The template's name (`confirm_email`, `document_received`, …).
    pub template: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// The partner the mail is about, shown as the sender's name ("… via Tradepost").
    pub from_name: Option<&'a str>,
    /// The company whose action caused the mail: its own opening applies ([`claim_stmt`]).
    pub company: Option<&'a CompanyId>,
    pub now: Time,
}

/// One info mail to the people of a company, before it is rendered for each.
pub struct ToPeople<'a> {
    /// The event type a person chooses (`notification_settings`).
    pub event_type: &'a str,
    pub template: &'a str,
    pub from_name: Option<&'a str>,
    /// The company whose action caused it.
    pub company: &'a CompanyId,
    /// Each written only when the statement before it in the batch changed a row.
    pub if_changed: bool,
    pub now: Time,
}

/// The inserts of `mail` to each of `recipients` who wants its kind, rendered by `render` in
/// their language (subject, text).
///
/// # Errors
/// Fails only if the platform has no randomness (for the ids).
pub fn to_people_stmts(
    mail: &ToPeople<'_>,
    recipients: &[super::notices::Recipient],
    render: impl Fn(Language) -> (String, String),
) -> Result<Vec<Statement>> {
    recipients
        .iter()
        .filter(|r| r.wants(mail.event_type))
        .map(|r| {
            let (subject, text) = render(r.language);
            insert_stmt(
                &NewMail {
                    to: &r.email,
                    language: r.language,
                    template: mail.template,
                    subject: &crate::mail::one_line(&subject),
                    text: &text,
                    from_name: mail.from_name,
                    company: Some(mail.company),
                    now: mail.now,
                },
                mail.if_changed,
            )
        })
        .collect()
}

/// The insert of a mail; with `if_changed`, only when the statement before it in the batch
/// changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness (for the id).
pub fn insert_stmt(m: &NewMail<'_>, if_changed: bool) -> Result<Statement> {
    let sql = if if_changed {
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at, \
         from_name, company_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE changes() > 0"
    } else {
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at, \
         from_name, company_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    };
    Ok(Statement::new(
        sql,
        &[
            &MailId::new(m.now.0)?,
            &m.to,
            &m.language.as_str(),
            &m.template,
            &m.subject,
            &m.text,
            &m.now,
            &m.from_name,
            &m.company,
        ],
    ))
}

/// How many mails of `template` went to `to` after `since` (the reset mail limit).
///
/// # Errors
/// A database error.
pub async fn count_since(db: &Db, to: &str, template: &str, since: Time) -> Result<u64> {
    #[derive(Deserialize)]
    struct Count {
        n: u64,
    }
    let row: Option<Count> = db
        .first(
            "SELECT COUNT(*) AS n FROM mails WHERE to_email = ?1 AND template = ?2 \
             AND created_at > ?3",
            &[&to, &template, &since],
        )
        .await?;
    Ok(row.map_or(0, |c| c.n))
}

/// A mail as stored, with where its delivery stands.
#[derive(Debug, Deserialize)]
pub struct MailRow {
    pub id: MailId,
    pub to_email: String,
    pub language: Language,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub created_at: Time,
    pub from_name: Option<String>,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<Time>,
    pub sent_at: Option<Time>,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub unsubscribe_token: Option<String>,
}

const MAIL_COLUMNS: &str = "id, to_email, language, template, subject, body, created_at, \
     from_name, status, attempts, next_attempt_at, sent_at, message_id, error, unsubscribe_token";

/// The local mailbox: mails to `to` (all when `None`), newest first (dev only).
///
/// # Errors
/// A database error.
pub async fn mailbox(
    db: &Db,
    to: Option<&str>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<MailRow>> {
    db.all(
        &format!(
            "SELECT {MAIL_COLUMNS} FROM mails WHERE (?1 IS NULL OR to_email = ?1) \
             AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3"
        ),
        &[&to, &before, &fetch],
    )
    .await
}

/// A mail claimed by one run of the sender, with its one-click unsubscribe secret when it is
/// an info mail.
#[derive(Debug, Deserialize)]
pub struct Claimed {
    pub id: MailId,
    pub to_email: String,
    pub language: Language,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub from_name: Option<String>,
    /// This attempt's number (1 for the first).
    pub attempts: u32,
    pub created_at: Time,
    pub unsubscribe_token: Option<String>,
}

/// Gives up on mails whose run stopped between handing them over and recording the outcome
/// (the lease passed): they may have left, so they are never sent again.
#[must_use]
pub fn interrupted_stmt(now: Time) -> Statement {
    Statement::new(
        "UPDATE mails SET status = 'failed', claimed_until = NULL, \
         error = 'the sender stopped while handing the mail over; it may or may not have left, \
         and is not sent twice' WHERE status = 'sending' AND claimed_until <= ?1",
        &[&now],
    )
}

/// Claims up to `limit` mails due by `now` until `lease_until`, oldest first, counting the
/// attempt; info mails of the `unsubscribable` templates get their unsubscribe secret. One
/// statement, so two runs never claim the same mail.
///
/// At its first claim a mail caused by a company that keeps its own opening for the template
/// and language gets it: the opening, `{email}` and `{company}` filled in, replaces the first
/// paragraph (the greeting), and the row keeps the text as sent.
#[must_use]
pub fn claim_stmt(now: Time, lease_until: Time, unsubscribable: &[&str], limit: u32) -> Statement {
    Statement::new(
        "UPDATE mails SET status = 'sending', attempts = attempts + 1, claimed_until = ?2, \
         unsubscribe_token = CASE WHEN unsubscribe_token IS NULL AND template IN \
           (SELECT value FROM json_each(?3)) THEN lower(hex(randomblob(24))) \
           ELSE unsubscribe_token END, \
         body = CASE WHEN attempts > 0 OR company_id IS NULL \
             OR instr(body, char(10) || char(10)) = 0 THEN body \
           ELSE COALESCE((SELECT replace(replace(o.text, '{email}', mails.to_email), \
               '{company}', c.name) || substr(mails.body, instr(mails.body, char(10) || char(10))) \
             FROM mail_openings o JOIN companies c ON c.id = o.company_id \
             WHERE o.company_id = mails.company_id AND o.template = mails.template \
             AND o.language = mails.language), body) END \
         WHERE id IN (SELECT id FROM mails WHERE status = 'queued' \
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY id LIMIT ?4) \
         RETURNING id, to_email, language, template, subject, body, from_name, attempts, \
           created_at, unsubscribe_token",
        &[
            &now,
            &lease_until,
            &crate::platform::Json(unsubscribable),
            &limit,
        ],
    )
}

/// What became of a claimed mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The provider took it, under this message id.
    Sent { message_id: String },
    /// Refused; tried again at `retry_at`.
    Retry { error: String, retry_at: Time },
    /// Refused for good, or too old to be worth sending.
    Failed { error: String },
}

/// Records what became of a claimed mail (only while it is still claimed).
#[must_use]
pub fn delivered_stmt(id: &MailId, outcome: &Delivered, now: Time) -> Statement {
    const CLAIMED: &str = "WHERE id = ?1 AND status = 'sending'";
    match outcome {
        Delivered::Sent { message_id } => Statement::new(
            format!(
                "UPDATE mails SET status = 'sent', sent_at = ?2, message_id = ?3, error = NULL, \
                 claimed_until = NULL {CLAIMED}"
            ),
            &[id, &now, message_id],
        ),
        Delivered::Retry { error, retry_at } => Statement::new(
            format!(
                "UPDATE mails SET status = 'queued', next_attempt_at = ?2, error = ?3, \
                 claimed_until = NULL {CLAIMED}"
            ),
            &[id, retry_at, error],
        ),
        Delivered::Failed { error } => Statement::new(
            format!(
                "UPDATE mails SET status = 'failed', error = ?2, claimed_until = NULL {CLAIMED}"
            ),
            &[id, error],
        ),
    }
}

/// The info mail a one-click unsubscribe link names: to whom, and which template.
#[derive(Debug, Deserialize)]
pub struct Unsubscribable {
    pub to_email: String,
    pub template: String,
    pub language: Language,
    pub subject: String,
}

/// The mail carrying the unsubscribe secret `token`.
///
/// # Errors
/// A database error.
pub async fn by_unsubscribe_token(db: &Db, token: &str) -> Result<Option<Unsubscribable>> {
    db.first(
        "SELECT to_email, template, language, subject FROM mails WHERE unsubscribe_token = ?1",
        &[&token],
    )
    .await
}

/// Who gets a company's admin mail: its active admins.
#[derive(Debug, Deserialize)]
pub struct Admin {
    pub email: String,
    pub language: Language,
}

/// The active admins of a company.
///
/// # Errors
/// A database error.
pub async fn admins(db: &Db, company: &CompanyId) -> Result<Vec<Admin>> {
    db.all(
        "SELECT email, language FROM users WHERE company_id = ?1 AND role = 'admin' \
         AND status = 'active'",
        &[company],
    )
    .await
}

// A company's own openings.

/// The templates a company may give its own opening: the mails its actions cause.
pub const OPENING_TEMPLATES: &[&str] = &[
    "colleague_invitation",
    "company_invitation",
    "relationship_requested",
    "document_received",
    "approval_requested",
    "approval_decided",
    "new_message",
    "appointment_proposed",
    "appointment_decided",
    "invoice_disputed",
    "invoice_paid",
    "invoice_overdue",
];

/// The placeholders an opening may hold, filled in when the mail is sent.
pub const OPENING_PLACEHOLDERS: &[&str] = &["{company}", "{email}"];

/// A company's own opening of one template in one language.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct OpeningRow {
    pub template: String,
    pub language: Language,
    pub text: String,
    pub updated_at: Time,
}

/// The company's own openings.
///
/// # Errors
/// A database error.
pub async fn openings(db: &Db, company: &CompanyId) -> Result<Vec<OpeningRow>> {
    db.all(
        "SELECT template, language, text, updated_at FROM mail_openings WHERE company_id = ?1 \
         ORDER BY template, language",
        &[company],
    )
    .await
}

/// Stores the company's opening of `template` in `language`.
#[must_use]
pub fn put_opening_stmt(company: &CompanyId, row: &OpeningRow) -> Statement {
    Statement::new(
        "INSERT INTO mail_openings (company_id, template, language, text, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (company_id, template, language) \
         DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
        &[
            company,
            &row.template,
            &row.language.as_str(),
            &row.text,
            &row.updated_at,
        ],
    )
}

/// Goes back to Tradepost's greeting for `template` in `language`.
#[must_use]
pub fn delete_opening_stmt(company: &CompanyId, template: &str, language: Language) -> Statement {
    Statement::new(
        "DELETE FROM mail_openings WHERE company_id = ?1 AND template = ?2 AND language = ?3",
        &[company, &template, &language.as_str()],
    )
}
