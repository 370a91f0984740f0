//! Housekeeping: deletes files whose upload never finished, aborts multipart uploads past their
//! day, and deletes the files of discarded documents. Runs on the cron of wrangler.toml, and on
//! `POST /v1/dev/sweep` in the local stack (where crons do not fire), optionally "as of" a later
//! time so tests need not wait.

use serde::{Deserialize, Serialize};
use shared::edge::context::Ctx;
use shared::edge::db::Db;
use shared::edge::{self, internal};
use shared::ids::CompanyId;
use shared::time::{self, Timestamp};
use shared::Result;
use worker::{Bucket, Env, Response};

/// How old an announced file must be before it counts as abandoned.
const ORPHAN_AFTER_MINUTES: i64 = 60;
/// How many of each kind one run handles (the next run takes the rest).
const BATCH: u32 = 100;

#[derive(Serialize, Default)]
pub struct SweepOut {
    orphans_deleted: u32,
    uploads_expired: u32,
    files_deleted: u32,
}

pub async fn run_scheduled(env: Env) -> Result<()> {
    let db = Db::from_env(&env)?;
    let bucket = env.bucket("FILES").map_err(internal)?;
    let everything = Scope {
        sender: None,
        orphans: Orphans::All,
    };
    let out = sweep(&db, &bucket, time::now(), &everything).await?;
    worker::console_log!(
        "sweep: {} orphans, {} expired uploads, {} discarded files",
        out.orphans_deleted,
        out.uploads_expired,
        out.files_deleted
    );
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SweepIn {
    #[serde(default)]
    as_of: Option<String>,
    /// Expire only this company's uploads and, unless `company_id` is given, leave abandoned
    /// files alone (so a test does not disturb the others on one stack).
    #[serde(default)]
    sender_id: Option<String>,
    /// Confine the sweep to this company: the abandoned files stored under it (every object key
    /// starts with a company id: the receiver's for documents and proofs, the writer's for
    /// attachments) and, unless `sender_id` says otherwise, the uploads it sends.
    #[serde(default)]
    company_id: Option<String>,
}

/// What one sweep covers: everything (the cron), or one company's part of it (tests).
struct Scope {
    /// Only the open uploads of this sender expire.
    sender: Option<CompanyId>,
    /// Which abandoned files go.
    orphans: Orphans,
}

/// Abandoned files a sweep deletes.
enum Orphans {
    All,
    None,
    /// Those stored under this company (their keys start with its id).
    Under(CompanyId),
}

pub async fn dev_sweep(cx: &mut Ctx) -> Result<Response> {
    edge::require_dev(&cx.env)?;
    let input: SweepIn = cx.optional_body().await?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    let sender = input
        .sender_id
        .map(|s| CompanyId::parse_field("sender_id", &s))
        .transpose()?;
    let company = input
        .company_id
        .map(|s| CompanyId::parse_field("company_id", &s))
        .transpose()?;
    let orphans = match (&sender, &company) {
        (_, Some(company)) => Orphans::Under(company.clone()),
        (Some(_), None) => Orphans::None,
        (None, None) => Orphans::All,
    };
    let sender = sender.or(company);
    let bucket = shared::edge::store::bucket(cx)?;
    edge::json(
        200,
        &sweep(&cx.db, &bucket, as_of, &Scope { sender, orphans }).await?,
    )
}

#[derive(Deserialize)]
struct Key {
    key: String,
}

#[derive(Deserialize)]
struct ExpiredUpload {
    id: String,
    object_key: String,
    r2_upload_id: String,
}

/// Files announced before `before` and never settled, all or those under one company.
async fn abandoned(db: &Db, before: &str, under: Option<&CompanyId>) -> Result<Vec<Key>> {
    db.all(
        "SELECT object_key AS key FROM pending_objects WHERE created_at < ?1 \
         AND (?3 IS NULL OR substr(object_key, 1, length(?3) + 1) = ?3 || '/') LIMIT ?2",
        &[&before, &BATCH, &under.cloned()],
    )
    .await
}

async fn sweep(db: &Db, bucket: &Bucket, as_of: Timestamp, scope: &Scope) -> Result<SweepOut> {
    let mut out = SweepOut::default();
    let orphan_before = time::format(as_of - chrono::Duration::minutes(ORPHAN_AFTER_MINUTES));
    let orphans: Vec<Key> = match &scope.orphans {
        Orphans::None => Vec::new(),
        Orphans::All => abandoned(db, &orphan_before, None).await?,
        Orphans::Under(company) => abandoned(db, &orphan_before, Some(company)).await?,
    };
    for orphan in orphans {
        // The row goes first, and only if it is still there: a message that took its talk
        // attachment in the meantime settled it, and a message that comes after finds it gone
        // and is refused, so no one is handed a file that is being deleted.
        let taken = db
            .batch(vec![
                db.stmt(
                    "DELETE FROM pending_objects WHERE object_key = ?1 AND created_at < ?2",
                    &[&orphan.key, &orphan_before],
                )?,
                db.stmt(
                    "DELETE FROM attachments WHERE object_key = ?1 AND message_id IS NULL",
                    &[&orphan.key],
                )?,
            ])
            .await?;
        if taken.first().copied().unwrap_or(0) > 0 {
            bucket.delete(&orphan.key).await.map_err(internal)?;
            out.orphans_deleted += 1;
        }
    }
    let expired: Vec<ExpiredUpload> = db
        .all(
            "SELECT id, object_key, r2_upload_id FROM uploads \
             WHERE status = 'open' AND expires_at <= ?1 AND (?3 IS NULL OR sender_id = ?3) \
             LIMIT ?2",
            &[&time::format(as_of), &BATCH, &scope.sender],
        )
        .await?;
    for upload in expired {
        if let Ok(r2) = bucket.resume_multipart_upload(&upload.object_key, &upload.r2_upload_id) {
            // Already gone in R2 is fine: the row is what keeps it listed.
            let _ = r2.abort().await;
        }
        db.batch(vec![
            db.stmt(
                "UPDATE uploads SET status = 'aborted' WHERE id = ?1 AND status = 'open'",
                &[&upload.id],
            )?,
            db.stmt(
                "DELETE FROM upload_parts WHERE upload_id = ?1",
                &[&upload.id],
            )?,
        ])
        .await?;
        out.uploads_expired += 1;
    }
    let discarded: Vec<Key> = db
        .all(
            "SELECT object_key AS key FROM documents \
             WHERE status = 'discarded' AND file_deleted = 0 LIMIT ?1",
            &[&BATCH],
        )
        .await?;
    for file in discarded {
        bucket.delete(&file.key).await.map_err(internal)?;
        db.run(
            "UPDATE documents SET file_deleted = 1 WHERE object_key = ?1",
            &[&file.key],
        )
        .await?;
        out.files_deleted += 1;
    }
    Ok(out)
}
