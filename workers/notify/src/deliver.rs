//! One delivery attempt: claim the delivery, sign the stored body, POST it (no redirects, 15 s),
//! record the attempt, and decide what follows (done, retry later through a delayed queue
//! message, endpoint gone, failed for good with a mail to the company's admins).
//!
//! A short lease (`claimed_until`) keeps two copies of one queue message from attempting at once;
//! the attempt count a retry message carries keeps a stale one from attempting again.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde::Deserialize;
use shared::edge::db::Db;
use shared::edge::{self, internal};
use shared::ids::{CompanyId, DeliveryId, MailId, WebhookId};
use shared::lang::Language;
use shared::notice::{self, Notice};
use shared::time::{self, Timestamp};
use shared::webhook::{self, PlatformSigner, SecretBox, Verdict};
use shared::Result;
use worker::{
    AbortController, D1PreparedStatement, Delay, Env, Fetch, Headers, MessageBuilder, Method,
    Request, RequestInit, RequestRedirect,
};

use crate::model::AttemptMessage;

/// How long a claimed attempt keeps others off (longer than the 15 s timeout).
const LEASE_SECS: i64 = 40;

/// The signer of `v1a` signatures, from `WEBHOOK_SIGNING_KEY`.
///
/// # Errors
/// Internal error when the key is missing or malformed.
pub fn signer(env: &Env) -> Result<PlatformSigner> {
    PlatformSigner::from_seed(&edge::setting(env, "WEBHOOK_SIGNING_KEY")?)
}

/// What seals endpoint secrets in D1, from `WEBHOOK_SECRETS_KEY`.
///
/// # Errors
/// Internal error when the key is missing or malformed.
pub fn secret_box(env: &Env) -> Result<SecretBox> {
    SecretBox::from_key(&edge::setting(env, "WEBHOOK_SECRETS_KEY")?)
}

/// Sends the message that asks for an attempt of `id`, after `delay_secs`.
///
/// # Errors
/// Internal error when the queue refuses it.
pub async fn enqueue(env: &Env, id: &DeliveryId, attempts: u32, delay_secs: u64) -> Result<()> {
    let queue = env.queue("EVENTS").map_err(internal)?;
    let message = AttemptMessage {
        delivery_id: id.clone(),
        attempts: Some(attempts),
    };
    let delay = u32::try_from(delay_secs.min(webhook::MAX_RETRY_DELAY_SECS)).unwrap_or(0);
    let builder = MessageBuilder::new(message);
    let built = if delay > 0 {
        builder.delay_seconds(delay).build()
    } else {
        builder.build()
    };
    queue.send(built).await.map_err(internal)
}

/// A delivery with its endpoint, as an attempt needs it.
#[derive(Deserialize)]
struct Job {
    id: DeliveryId,
    endpoint_id: WebhookId,
    company_id: CompanyId,
    event_id: String,
    event_type: String,
    body: String,
    attempts: f64,
    url: String,
    enabled: f64,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<String>,
    failing_since: Option<String>,
}

/// What the receiver did.
struct Outcome {
    status: Option<u16>,
    retry_after: Option<String>,
    excerpt: Option<String>,
    error: Option<String>,
    duration_ms: u64,
}

/// Attempts delivery `id` now, if it is pending, nobody else is attempting it, and (when
/// `expected` is given) it has had exactly that many attempts. `now` is the clock of the
/// attempt: the real time, except for the dev endpoint, which attempts "as of" a later time
/// (its timestamps, schedule and five-day rule then run from there). Returns the verdict, or
/// `None` when there was nothing to do.
///
/// # Errors
/// Internal error on a database failure; the lease runs out and a later message or the cron
/// tries again.
pub async fn attempt(
    env: &Env,
    db: &Db,
    id: &DeliveryId,
    expected: Option<u32>,
    now: Timestamp,
) -> Result<Option<Verdict>> {
    let claimed = db
        .run(
            "UPDATE deliveries SET claimed_until = ?1 WHERE id = ?2 AND status = 'pending' \
             AND (?3 IS NULL OR attempts = ?3) AND (claimed_until IS NULL OR claimed_until < ?4)",
            &[
                &time::format(now + chrono::Duration::seconds(LEASE_SECS)),
                id,
                &expected,
                &time::format(now),
            ],
        )
        .await?;
    if claimed == 0 {
        return Ok(None);
    }
    let job: Option<Job> = db
        .first(
            "SELECT d.id, d.endpoint_id, d.company_id, d.event_id, d.event_type, d.body, \
             d.attempts, e.url, e.enabled, e.secret, e.previous_secret, \
             e.previous_secret_expires_at, e.failing_since \
             FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?1",
            &[id],
        )
        .await?;
    let Some(job) = job else {
        return Ok(None);
    };
    if job.enabled == 0.0 {
        // A disabled endpoint gets nothing; the delivery ends without an attempt.
        db.run(
            "UPDATE deliveries SET status = 'failed', claimed_until = NULL, updated_at = ?1 \
             WHERE id = ?2 AND status = 'pending'",
            &[&time::format(now), id],
        )
        .await?;
        return Ok(Some(Verdict::Failed));
    }
    let outcome = match webhook::check_url(&job.url, edge::is_dev(env)) {
        Err(e) => Outcome {
            status: None,
            retry_after: None,
            excerpt: None,
            error: Some(format!("refused URL: {}", e.problem().detail)),
            duration_ms: 0,
        },
        Ok(url) => {
            let sealer = secret_box(env)?;
            let secrets = secrets_in_force(&job, now)
                .into_iter()
                .map(|stored| sealer.open(job.endpoint_id.as_str(), stored))
                .collect::<Result<Vec<String>>>()?;
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let timestamp = now.timestamp();
            let signature =
                signer(env)?.signature_header(&secrets, &job.event_id, timestamp, &job.body)?;
            post(&url, &job.event_id, timestamp, &signature, &job.body).await
        }
    };
    settle(env, db, &job, outcome, now).await.map(Some)
}

/// The endpoint secrets that sign now: the current one, and the previous one until it expires.
fn secrets_in_force(job: &Job, now: Timestamp) -> Vec<&str> {
    let mut secrets = vec![job.secret.as_str()];
    if let (Some(old), Some(until)) = (&job.previous_secret, &job.previous_secret_expires_at) {
        if time::parse("previous_secret_expires_at", until).is_ok_and(|t| t > now) {
            secrets.push(old);
        }
    }
    secrets
}

/// POSTs the body; never fails: a timeout or network error is an outcome without a status.
async fn post(url: &str, event_id: &str, timestamp: i64, signature: &str, body: &str) -> Outcome {
    let started = js_sys::Date::now();
    let elapsed = || {
        let ms = (js_sys::Date::now() - started).max(0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = ms as u64;
        ms
    };
    let failed = |error: String, duration_ms: u64| Outcome {
        status: None,
        retry_after: None,
        excerpt: None,
        error: Some(error),
        duration_ms,
    };
    let request = match build_request(url, event_id, timestamp, signature, body) {
        Ok(r) => r,
        Err(e) => return failed(format!("request: {e}"), 0),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async move {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let excerpt = read_excerpt(&mut response).await;
        Ok::<_, worker::Error>((status, retry_after, excerpt))
    };
    let timeout = Delay::from(Duration::from_secs(webhook::ATTEMPT_TIMEOUT_SECS));
    match select(pin!(exchange), pin!(timeout)).await {
        Either::Left((Ok((status, retry_after, excerpt)), _)) => Outcome {
            status: Some(status),
            retry_after,
            excerpt,
            error: None,
            duration_ms: elapsed(),
        },
        Either::Left((Err(e), _)) => failed(format!("network error: {e}"), elapsed()),
        Either::Right(((), _)) => {
            controller.abort();
            failed(
                format!(
                    "timeout: no answer within {} s",
                    webhook::ATTEMPT_TIMEOUT_SECS
                ),
                elapsed(),
            )
        }
    }
}

fn build_request(
    url: &str,
    event_id: &str,
    timestamp: i64,
    signature: &str,
    body: &str,
) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set("user-agent", "Tradepost-Webhooks/1")?;
    headers.set("webhook-id", event_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set("webhook-signature", signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(wasm_bindgen::JsValue::from_str(body)));
    Request::new_with_init(url, &init)
}

/// The first KiB of the answer (as text); the rest is never read.
async fn read_excerpt(response: &mut worker::Response) -> Option<String> {
    let mut stream = response.stream().ok()?;
    let mut bytes = Vec::new();
    while bytes.len() < webhook::EXCERPT_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(webhook::EXCERPT_BYTES);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // A cut in the middle of a character leaves a replacement character; drop it.
    if bytes.len() == webhook::EXCERPT_BYTES && text.ends_with('\u{fffd}') {
        text.pop();
    }
    (!text.is_empty()).then_some(text)
}

/// Records the attempt and what follows from it, in one transaction, then queues the retry.
async fn settle(
    env: &Env,
    db: &Db,
    job: &Job,
    outcome: Outcome,
    now: Timestamp,
) -> Result<Verdict> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seq = job.attempts.max(0.0) as u32 + 1;
    let retry_after = outcome
        .retry_after
        .as_deref()
        .and_then(|v| webhook::parse_retry_after(v, now));
    // A redirect is not followed, and not retried either: the receiver must be fixed.
    let verdict = webhook::verdict(seq, outcome.status, retry_after);
    let retriable = matches!(outcome.status, None | Some(429 | 500..=599));
    let exhausted = verdict == Verdict::Failed && retriable;
    let stamp = time::format(now);
    let (status, next_attempt_at) = match verdict {
        Verdict::Delivered => ("succeeded", None),
        Verdict::Retry(delay) => (
            "pending",
            Some(time::format(now + chrono::Duration::seconds(secs(delay)))),
        ),
        Verdict::Gone | Verdict::Failed => ("failed", None),
    };
    let failing_since = job.failing_since.clone().unwrap_or_else(|| stamp.clone());
    let failing_too_long = verdict != Verdict::Delivered
        && time::parse("failing_since", &failing_since)
            .is_ok_and(|since| now - since > chrono::Duration::days(webhook::FAILING_DISABLE_DAYS));

    let mut statements: Vec<D1PreparedStatement> = vec![db.stmt(
        "UPDATE deliveries SET status = ?1, attempts = ?2, next_attempt_at = ?3, \
         claimed_until = NULL, last_status_code = ?4, updated_at = ?5 \
         WHERE id = ?6 AND status = 'pending' AND attempts = ?7",
        &[
            &status,
            &seq,
            &next_attempt_at,
            &outcome.status.map(u32::from),
            &stamp,
            &job.id,
            &(seq - 1),
        ],
    )?];
    statements.push(db.stmt(
        "INSERT INTO delivery_attempts (delivery_id, seq, at, status_code, duration_ms, error, \
         response_excerpt) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0",
        &[
            &job.id,
            &seq,
            &stamp,
            &outcome.status.map(u32::from),
            &outcome.duration_ms,
            &outcome.error,
            &outcome.excerpt,
        ],
    )?);
    if exhausted {
        // Chained on the guarded update: only the attempt that ended the delivery mails.
        for stmt in failure_mails(env, db, job, seq, failing_too_long, now).await? {
            statements.push(stmt);
        }
    }
    statements.push(endpoint_update(db, job, verdict, failing_too_long, &stamp)?);
    let changed = db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        // Someone else settled this attempt (a replay or the dev run): nothing more to do.
        return Ok(verdict);
    }
    if let Verdict::Retry(delay) = verdict {
        // A lost message is re-queued by the cron once next_attempt_at is long past.
        if let Err(e) = enqueue(env, &job.id, seq, delay).await {
            worker::console_error!("queueing the retry of {} failed: {e}", job.id);
        }
    }
    Ok(verdict)
}

fn secs(delay: u64) -> i64 {
    i64::try_from(delay).unwrap_or(i64::MAX / 2)
}

fn endpoint_update(
    db: &Db,
    job: &Job,
    verdict: Verdict,
    failing_too_long: bool,
    stamp: &str,
) -> Result<D1PreparedStatement> {
    match verdict {
        Verdict::Delivered => db.stmt(
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 \
             AND failing_since IS NOT NULL",
            &[&job.endpoint_id],
        ),
        Verdict::Gone => db.stmt(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'gone', \
             failing_since = COALESCE(failing_since, ?2), updated_at = ?2 WHERE id = ?1",
            &[&job.endpoint_id, &stamp],
        ),
        Verdict::Retry(_) | Verdict::Failed if failing_too_long => db.stmt(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'failing', \
             updated_at = ?2 WHERE id = ?1 AND enabled = 1",
            &[&job.endpoint_id, &stamp],
        ),
        Verdict::Retry(_) | Verdict::Failed => db.stmt(
            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2) \
             WHERE id = ?1",
            &[&job.endpoint_id, &stamp],
        ),
    }
}

#[derive(Deserialize)]
struct AdminRow {
    email: String,
    language: String,
}

/// The mails to the company's admins about a delivery that failed after its last attempt,
/// each inserted only if the statement before it changed a row.
async fn failure_mails(
    env: &Env,
    db: &Db,
    job: &Job,
    attempts: u32,
    disabled: bool,
    now: Timestamp,
) -> Result<Vec<D1PreparedStatement>> {
    let admins: Vec<AdminRow> = db
        .all(
            "SELECT email, language FROM users WHERE company_id = ?1 AND role = 'admin' \
             AND status = 'active'",
            &[&job.company_id],
        )
        .await?;
    let public_url = edge::setting(env, "PUBLIC_URL").unwrap_or_default();
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
        .map(|admin| {
            let language = Language::parse("language", &admin.language).unwrap_or_default();
            mail_stmt_if_changed(db, &admin.email, language, &notice, now)
        })
        .collect()
}

/// The insert of an info mail that only happens when the statement before it changed a row.
///
/// # Errors
/// Internal error if the statement cannot be prepared.
pub fn mail_stmt_if_changed(
    db: &Db,
    to: &str,
    language: Language,
    notice: &Notice,
    now: Timestamp,
) -> Result<D1PreparedStatement> {
    let rendered = notice::render(notice, language);
    db.stmt(
        "INSERT INTO mails (id, to_email, language, template, subject, body, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0",
        &[
            &MailId::new(now)?,
            &to,
            &language.as_str(),
            &notice.name(),
            &rendered.subject,
            &rendered.text,
            &time::format(now),
        ],
    )
}

/// Attempts every pending delivery of `company` due by `as_of`, as of then (the dev endpoint;
/// the cron's re-queue does the same through the queue, in real time).
///
/// # Errors
/// Internal error on a database failure.
pub async fn attempt_due(env: &Env, db: &Db, company: &CompanyId, as_of: Timestamp) -> Result<u32> {
    #[derive(Deserialize)]
    struct Due {
        id: DeliveryId,
    }
    let due: Vec<Due> = db
        .all(
            "SELECT id FROM deliveries WHERE company_id = ?1 AND status = 'pending' \
             AND next_attempt_at <= ?2 ORDER BY id LIMIT 100",
            &[company, &time::format(as_of)],
        )
        .await?;
    let mut attempted = 0;
    for d in due {
        if attempt(env, db, &d.id, None, as_of).await?.is_some() {
            attempted += 1;
        }
    }
    Ok(attempted)
}
