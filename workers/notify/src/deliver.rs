//! One delivery attempt: claim the delivery, sign the stored body, POST it (no redirects, 15 s),
//! record the attempt, and decide what follows (done, retry later through a delayed queue
//! message, endpoint gone, failed for good with a mail to the company's admins).
//!
//! A short lease (`claimed_until`) keeps two copies of one queue message from attempting at once;
//! the attempt count a retry message carries keeps a stale one from attempting again.

use shared::data::mails::{self, NewMail};
use shared::data::webhooks::{self, DeliveryStatus, Job, NewAttempt};
use shared::ids::{CompanyId, DeliveryId};
use shared::notice::{self, Notice};
use shared::platform::{FetchError, OutRequest, Platform, Statement};
use shared::service::log_error;
use shared::time::{Time, Timestamp};
use shared::webhook::{self, PlatformSigner, SecretBox, Verdict};
use shared::{Error, Result};

use crate::api::AttemptMessage;

/// How long a claimed attempt keeps others off (longer than the 15 s timeout).
const LEASE_SECS: i64 = 40;

/// The signer of `v1a` signatures, from `WEBHOOK_SIGNING_KEY`.
///
/// # Errors
/// Internal error when the key is missing or malformed.
pub fn signer(env: &Platform) -> Result<PlatformSigner> {
    PlatformSigner::from_seed(&env.setting("WEBHOOK_SIGNING_KEY")?)
}

/// What seals endpoint secrets in the database, from `WEBHOOK_SECRETS_KEY`.
///
/// # Errors
/// Internal error when the key is missing or malformed.
pub fn secret_box(env: &Platform) -> Result<SecretBox> {
    SecretBox::from_key(&env.setting("WEBHOOK_SECRETS_KEY")?)
}

/// Sends the message that asks for an attempt of `id`, after `delay_secs`.
///
/// # Errors
/// Internal error when the queue refuses it.
pub async fn enqueue(
    env: &Platform,
    id: &DeliveryId,
    attempts: u32,
    delay_secs: u64,
) -> Result<()> {
    let message = AttemptMessage {
        delivery_id: id.clone(),
        attempts: Some(attempts),
    };
    let json = serde_json::to_string(&message).map_err(|e| Error::internal(e.to_string()))?;
    let delay = u32::try_from(delay_secs.min(webhook::MAX_RETRY_DELAY_SECS)).unwrap_or(0);
    env.queue()?
        .send(json, delay)
        .await
        .map_err(Error::internal)
}

/// What the receiver did.
struct Outcome {
    status: Option<u16>,
    retry_after: Option<String>,
    excerpt: Option<String>,
    error: Option<String>,
    duration_ms: u64,
}

impl Outcome {
    fn failed(error: String, duration_ms: u64) -> Outcome {
        Outcome {
            status: None,
            retry_after: None,
            excerpt: None,
            error: Some(error),
            duration_ms,
        }
    }
}

/// Attempts delivery `id` now, if it is pending, nobody else is attempting it, and (when
/// `expected` is given) it has had exactly that many attempts. `now` is the clock of the
/// attempt: the real time, except for the dev endpoint, which attempts "as of" a later time
/// (its timestamps, schedule and five-day rule then run from there). Returns the verdict, or
/// `None` when there was nothing to do.
///
/// # Errors
/// A database error; the lease runs out and a later message or the cron tries again.
pub async fn attempt(
    env: &Platform,
    id: &DeliveryId,
    expected: Option<u32>,
    now: Timestamp,
) -> Result<Option<Verdict>> {
    let db = &env.db;
    let lease = Time(now + chrono::Duration::seconds(LEASE_SECS));
    let Some(job) = webhooks::claim_job(db, id, expected, lease, Time(now)).await? else {
        return Ok(None);
    };
    if !job.enabled {
        // A disabled endpoint gets nothing; the delivery ends without an attempt.
        db.run_of(webhooks::give_up_stmt(id, Time(now))).await?;
        return Ok(Some(Verdict::Failed));
    }
    let outcome = match webhook::check_url(&job.url, env.is_dev()) {
        Err(e) => Outcome::failed(format!("refused URL: {}", e.problem().detail), 0),
        Ok(url) => {
            let sealer = secret_box(env)?;
            let secrets = job
                .secrets_in_force(now)
                .into_iter()
                .map(|stored| sealer.open(job.endpoint_id.as_str(), stored))
                .collect::<Result<Vec<String>>>()?;
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let timestamp = now.timestamp();
            let signature =
                signer(env)?.signature_header(&secrets, &job.event_id, timestamp, &job.body)?;
            post(env, &url, &job, timestamp, &signature).await
        }
    };
    settle(env, &job, outcome, now).await.map(Some)
}

/// POSTs the body; never fails: a timeout or network error is an outcome without a status.
async fn post(env: &Platform, url: &str, job: &Job, timestamp: i64, signature: &str) -> Outcome {
    let Ok(http) = env.http() else {
        return Outcome::failed("outgoing fetch is not available".to_owned(), 0);
    };
    let started = env.clock.millis();
    let request = OutRequest {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), "Tradepost-Webhooks/1".into()),
            ("webhook-id".into(), job.event_id.clone()),
            ("webhook-timestamp".into(), timestamp.to_string()),
            ("webhook-signature".into(), signature.to_owned()),
        ],
        body: job.body.as_bytes().to_vec(),
        timeout_ms: webhook::ATTEMPT_TIMEOUT_SECS * 1000,
        keep_bytes: webhook::EXCERPT_BYTES,
    };
    let answer = http.fetch(request).await;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let duration_ms = (env.clock.millis() - started).max(0.0) as u64;
    match answer {
        Ok(response) => Outcome {
            status: Some(response.status),
            retry_after: response.header("retry-after").map(str::to_owned),
            excerpt: excerpt(&response.body),
            error: None,
            duration_ms,
        },
        Err(FetchError::Timeout) => Outcome::failed(
            format!(
                "timeout: no answer within {} s",
                webhook::ATTEMPT_TIMEOUT_SECS
            ),
            duration_ms,
        ),
        Err(FetchError::Network(e)) => Outcome::failed(format!("network error: {e}"), duration_ms),
    }
}

/// The first KiB of the answer as text (a character cut in two dropped).
fn excerpt(bytes: &[u8]) -> Option<String> {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if bytes.len() == webhook::EXCERPT_BYTES && text.ends_with('\u{fffd}') {
        text.pop();
    }
    (!text.is_empty()).then_some(text)
}

/// Records the attempt and what follows from it, in one transaction, then queues the retry.
async fn settle(env: &Platform, job: &Job, outcome: Outcome, now: Timestamp) -> Result<Verdict> {
    let seq = job.attempts + 1;
    let retry_after = outcome
        .retry_after
        .as_deref()
        .and_then(|v| webhook::parse_retry_after(v, now));
    // A redirect is not followed, and not retried either: the receiver must be fixed.
    let verdict = webhook::verdict(seq, outcome.status, retry_after);
    let retriable = matches!(outcome.status, None | Some(429 | 500..=599));
    let exhausted = verdict == Verdict::Failed && retriable;
    let stamp = Time(now);
    let (status, next_attempt_at) = match verdict {
        Verdict::Delivered => (DeliveryStatus::Succeeded, None),
        Verdict::Retry(delay) => (
            DeliveryStatus::Pending,
            Some(Time(now + chrono::Duration::seconds(secs(delay)))),
        ),
        Verdict::Gone | Verdict::Failed => (DeliveryStatus::Failed, None),
    };
    let failing_since = job.failing_since.unwrap_or(stamp);
    let failing_too_long = verdict != Verdict::Delivered
        && now - failing_since.0 > chrono::Duration::days(webhook::FAILING_DISABLE_DAYS);

    let mut statements = vec![
        webhooks::settle_stmt(&job.id, seq, status, next_attempt_at, outcome.status, stamp),
        webhooks::attempt_stmt(&NewAttempt {
            delivery_id: &job.id,
            seq,
            status_code: outcome.status,
            duration_ms: outcome.duration_ms,
            error: outcome.error.as_deref(),
            response_excerpt: outcome.excerpt.as_deref(),
            now: stamp,
        }),
    ];
    if exhausted {
        // Chained on the guarded update: only the attempt that ended the delivery mails.
        statements.extend(failure_mails(env, job, seq, failing_too_long, now).await?);
    }
    statements.push(match verdict {
        Verdict::Delivered => webhooks::endpoint_recovered_stmt(&job.endpoint_id),
        Verdict::Gone => webhooks::endpoint_gone_stmt(&job.endpoint_id, stamp),
        Verdict::Retry(_) | Verdict::Failed if failing_too_long => {
            webhooks::endpoint_failing_off_stmt(&job.endpoint_id, stamp)
        }
        Verdict::Retry(_) | Verdict::Failed => {
            webhooks::endpoint_failing_stmt(&job.endpoint_id, stamp)
        }
    });
    let changed = env.db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        // Someone else settled this attempt (a replay or the dev run): nothing more to do.
        return Ok(verdict);
    }
    if let Verdict::Retry(delay) = verdict {
        // A lost message is re-queued by the cron once next_attempt_at is long past.
        if let Err(e) = enqueue(env, &job.id, seq, delay).await {
            log_error(&format!("queueing the retry of {} failed: {e}", job.id));
        }
    }
    Ok(verdict)
}

fn secs(delay: u64) -> i64 {
    i64::try_from(delay).unwrap_or(i64::MAX / 2)
}

/// The mails to the company's admins about a delivery that failed after its last attempt,
/// each inserted only if the statement before it changed a row.
async fn failure_mails(
    env: &Platform,
    job: &Job,
    attempts: u32,
    disabled: bool,
    now: Timestamp,
) -> Result<Vec<Statement>> {
    let admins = mails::admins(&env.db, &job.company_id).await?;
    let public_url = env.settings.get("PUBLIC_URL").unwrap_or_default();
    let notice = Notice::WebhookFailed {
        url: job.url.clone(),
        event_type: job.event_type.clone(),
        event_id: job.event_id.clone(),
        attempts,
        disabled,
        link: format!(
            "{}/webhooks/{}",
            public_url.trim_end_matches('/'),
            job.endpoint_id
        ),
    };
    admins
        .iter()
        .map(|admin| notice_mail_stmt(&admin.email, admin.language, &notice, None, now))
        .collect()
}

/// The insert of an info mail that only happens when the statement before it changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn notice_mail_stmt(
    to: &str,
    language: shared::lang::Language,
    notice: &Notice,
    caused_by: Option<&CompanyId>,
    now: Timestamp,
) -> Result<Statement> {
    let rendered = notice::render(notice, language);
    mails::insert_stmt(
        &NewMail {
            to,
            language,
            template: notice.name(),
            subject: &rendered.subject,
            text: &rendered.text,
            from_name: notice.partner(),
            company: caused_by,
            now: Time(now),
        },
        true,
    )
}

/// Attempts every pending delivery of `company` due by `as_of`, as of then (the dev endpoint;
/// the cron's re-queue does the same through the queue, in real time).
///
/// # Errors
/// A database error.
pub async fn attempt_due(env: &Platform, company: &CompanyId, as_of: Timestamp) -> Result<u32> {
    let mut attempted = 0;
    for id in webhooks::due(&env.db, company, Time(as_of)).await? {
        if attempt(env, &id, None, as_of).await?.is_some() {
            attempted += 1;
        }
    }
    Ok(attempted)
}
