//! The sender: every mail written to `mails` handed to the Email Service once.
//!
//! One run (the cron every minute; `POST /v1/dev/mail/send` locally) first gives up on mails a
//! stopped run left claimed, then claims up to [`BATCH`] due mails in one statement (so two
//! runs never take the same mail), hands them over side by side, and records each outcome in
//! one batch: `sent` with the provider's message id; refused, tried again after
//! [`BACKOFF_SECS`]; `failed` after [`MAX_ATTEMPTS`] or once older than [`MAX_AGE_HOURS`]. A
//! mail whose outcome was never recorded may have left, so it is marked failed rather than sent
//! again: never twice, at the price of a rare lost mail (the reset link recovers any).

use futures_util::future::join_all;
use shared::data::mails::{self, Claimed, Delivered};
use shared::lang::Language;
use shared::mail::html_of;
use shared::notice::TEMPLATE_EVENTS;
use shared::platform::{db::read_rows, Mailer, OutMail, Platform};
use shared::service::{Cx, Reply};
use shared::time::{Time, Timestamp};
use shared::{Error, Result};

use crate::api::{AsOfIn, SendOut};

/// Mails claimed at once.
pub const BATCH: u32 = 25;
/// Claims in one run at most (a backlog is worked off over the next minutes).
pub const ROUNDS: u32 = 8;
/// How long a claim holds: longer than any hand-over takes.
pub const LEASE_SECS: i64 = 120;
/// The wait before the next attempt, after the first, second, … refusal.
pub const BACKOFF_SECS: &[i64] = &[60, 300, 1800, 7200];
/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: u32 = 5;
/// A mail not sent within this long is given up: its links have expired, its news is stale.
pub const MAX_AGE_HOURS: i64 = 72;
/// Where an unsubscribe link leads (its route in [`crate::SERVICE`]).
pub const UNSUBSCRIBE_PATH: &str = "/v1/mail/unsubscribe";
/// Who the mails come from when the settings do not say.
const DEFAULT_FROM_NAME: &str = "Tradepost";

/// Who the mails come from: `MAIL_FROM` (an address of the domain set up for Email Service,
/// allowed by the binding) and `MAIL_FROM_NAME` (default "Tradepost").
struct Sender {
    address: String,
    name: String,
    public_url: String,
}

impl Sender {
    fn of(env: &Platform) -> Result<Sender> {
        let address = env
            .settings
            .get("MAIL_FROM")
            .filter(|a| a.contains('@'))
            .ok_or_else(|| Error::internal("MAIL_FROM (the sender's address) is not set"))?;
        Ok(Sender {
            address,
            name: env
                .settings
                .get("MAIL_FROM_NAME")
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_FROM_NAME.to_owned()),
            public_url: env
                .settings
                .get("PUBLIC_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
        })
    }

    /// The display name: ours, or "<partner> via <ours>" when the mail is about a partner.
    fn display_name(&self, partner: Option<&str>) -> String {
        let name = match partner {
            Some(p) => format!("{} via {}", p.trim(), self.name),
            None => self.name.clone(),
        };
        name.chars()
            .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\'))
            .take(100)
            .collect()
    }
}

/// The line an info mail ends with, in its language.
fn unsubscribe_line(language: Language, link: &str) -> String {
    match language {
        Language::En => format!("Stop mails of this kind with one click: {link}"),
        Language::De => format!("Mails dieser Art mit einem Klick abbestellen: {link}"),
        Language::Pl => format!("Rezygnacja z wiadomości tego rodzaju jednym kliknięciem: {link}"),
    }
}

/// The mail as the Email Service gets it: text and HTML parts; for an info mail the
/// unsubscribe link at its end and in `List-Unsubscribe`, with `List-Unsubscribe-Post` for
/// the one click (RFC 8058).
fn out_mail(sender: &Sender, mail: &Claimed) -> OutMail {
    let mut text = mail.body.clone();
    let mut headers = Vec::new();
    if let Some(token) = &mail.unsubscribe_token {
        let link = format!("{}{UNSUBSCRIBE_PATH}?token={token}", sender.public_url);
        text = format!(
            "{}\n\n{}",
            text.trim_end(),
            unsubscribe_line(mail.language, &link)
        );
        headers.push(("List-Unsubscribe".to_owned(), format!("<{link}>")));
        headers.push((
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    OutMail {
        from: sender.address.clone(),
        from_name: sender.display_name(mail.from_name.as_deref()),
        to: mail.to_email.clone(),
        subject: mail.subject.clone(),
        html: html_of(&text),
        text,
        headers,
    }
}

/// Hands one claimed mail over (unless it is too old) and says what became of it.
async fn deliver(
    mailer: &dyn Mailer,
    sender: &Sender,
    mail: &Claimed,
    now: Timestamp,
) -> Delivered {
    if now - mail.created_at.0 > chrono::Duration::hours(MAX_AGE_HOURS) {
        return Delivered::Failed {
            error: format!("not sent within {MAX_AGE_HOURS} hours of being written"),
        };
    }
    match mailer.send(out_mail(sender, mail)).await {
        Ok(message_id) => Delivered::Sent { message_id },
        Err(reason) => {
            let reason: String = reason.chars().take(500).collect();
            let wait = usize::try_from(mail.attempts.saturating_sub(1))
                .ok()
                .and_then(|i| BACKOFF_SECS.get(i));
            match wait {
                Some(secs) if mail.attempts < MAX_ATTEMPTS => Delivered::Retry {
                    error: reason,
                    retry_at: Time(now + chrono::Duration::seconds(*secs)),
                },
                _ => Delivered::Failed {
                    error: format!("refused {} times, last: {reason}", mail.attempts),
                },
            }
        }
    }
}

/// One run of the sender as of `now`.
///
/// # Errors
/// A database error, or no sender configured (`MAIL_FROM`) or no binding (`EMAIL`).
pub async fn run(env: &Platform, now: Timestamp) -> Result<SendOut> {
    let sender = Sender::of(env)?;
    let mailer = env.mailer()?;
    let unsubscribable: Vec<&str> = TEMPLATE_EVENTS.iter().map(|(t, _)| *t).collect();
    let mut out = SendOut::default();
    let mut give_up = Some(mails::interrupted_stmt(Time(now)));
    for _ in 0..ROUNDS {
        let lease_until = Time(now + chrono::Duration::seconds(LEASE_SECS));
        let mut statements: Vec<_> = give_up.take().into_iter().collect();
        statements.push(mails::claim_stmt(
            Time(now),
            lease_until,
            &unsubscribable,
            BATCH,
        ));
        let outcomes = env.db.batch_rows(statements).await?;
        let rows = outcomes
            .last()
            .map(|o| o.rows.as_slice())
            .unwrap_or_default();
        let claimed: Vec<Claimed> =
            read_rows(rows).map_err(|e| Error::internal(format!("a claimed mail: {e}")))?;
        if claimed.is_empty() {
            break;
        }
        let results = join_all(claimed.iter().map(|m| deliver(mailer, &sender, m, now))).await;
        let mut marks = Vec::with_capacity(claimed.len());
        for (mail, delivered) in claimed.iter().zip(&results) {
            match delivered {
                Delivered::Sent { .. } => out.sent += 1,
                Delivered::Retry { .. } => out.retried += 1,
                Delivered::Failed { .. } => out.failed += 1,
            }
            marks.push(mails::delivered_stmt(&mail.id, delivered, Time(now)));
        }
        env.db.batch(marks).await?;
        if claimed.len() < BATCH as usize {
            break;
        }
    }
    Ok(out)
}

/// `POST /v1/dev/mail/send {as_of?}` (dev only; crons do not fire locally).
pub async fn dev_send(cx: &mut Cx) -> Result<Reply> {
    let input: AsOfIn = cx.optional_body().await?;
    let as_of = input.instant(cx.now)?;
    Reply::json(200, &run(&cx.env, as_of).await?)
}
