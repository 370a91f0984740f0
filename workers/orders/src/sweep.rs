//! Housekeeping: deletes files whose upload never finished, aborts multipart uploads past their
//! day, and deletes the files of discarded documents. Runs on the cron of wrangler.toml, and on
//! `POST /v1/dev/sweep` in the local stack (where crons do not fire), optionally "as of" a later
//! time so tests need not wait.

use shared::data::{documents, pending, talk, uploads};
use shared::ids::CompanyId;
use shared::platform::{Db, Files, Platform};
use shared::service::{log_info, Cx, Reply};
use shared::time::{self, Time, Timestamp};
use shared::{Error, Result};

use crate::api::{SweepIn, SweepOut};

/// How old an announced file must be before it counts as abandoned.
const ORPHAN_AFTER_MINUTES: i64 = 60;
/// How many of each kind one run handles (the next run takes the rest).
const BATCH: u32 = 100;

/// The cron's sweep of everything.
///
/// # Errors
/// A database or bucket failure (the next run picks up where this one stopped).
pub async fn run_scheduled(env: &Platform) -> Result<()> {
    let everything = Scope {
        sender: None,
        orphans: Orphans::All,
    };
    let out = sweep(&env.db, env.files()?, env.clock.now(), &everything).await?;
    log_info(&format!(
        "sweep: {} orphans, {} expired uploads, {} discarded files",
        out.orphans_deleted, out.uploads_expired, out.files_deleted
    ));
    Ok(())
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

/// `POST /v1/dev/sweep`.
pub async fn dev_sweep(cx: &mut Cx) -> Result<Reply> {
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
    let out = sweep(&cx.db, cx.files()?, as_of, &Scope { sender, orphans }).await?;
    Reply::json(200, &out)
}

async fn sweep(db: &Db, files: &dyn Files, as_of: Timestamp, scope: &Scope) -> Result<SweepOut> {
    let mut out = SweepOut::default();
    let orphan_before = Time(as_of - chrono::Duration::minutes(ORPHAN_AFTER_MINUTES));
    let orphans = match &scope.orphans {
        Orphans::None => Vec::new(),
        Orphans::All => pending::abandoned(db, orphan_before, None, BATCH).await?,
        Orphans::Under(company) => {
            pending::abandoned(db, orphan_before, Some(company), BATCH).await?
        }
    };
    for key in orphans {
        // The row goes first, and only if it is still there: a message that took its talk
        // attachment in the meantime settled it, and a message that comes after finds it gone
        // and is refused, so no one is handed a file that is being deleted.
        let taken = db
            .batch(vec![
                pending::take_abandoned_stmt(&key, orphan_before),
                talk::drop_unsent_attachment_stmt(&key),
            ])
            .await?;
        if taken.first().copied().unwrap_or(0) > 0 {
            files.delete(&key).await.map_err(Error::internal)?;
            out.orphans_deleted += 1;
        }
    }
    let expired = uploads::expired(db, Time(as_of), scope.sender.as_ref(), BATCH).await?;
    for upload in expired {
        // The row first: an upload a completion holds is left to it. Already gone in R2 is
        // fine: the row is what keeps it listed.
        let aborted = db
            .batch(uploads::abort_stmts(&upload.id, Time(as_of)))
            .await?;
        if aborted.first().copied().unwrap_or(0) > 0 {
            let _ = files
                .abort_multipart(&upload.object_key, &upload.r2_upload_id)
                .await;
            out.uploads_expired += 1;
        }
    }
    for key in documents::discarded_files(db, BATCH).await? {
        files.delete(&key).await.map_err(Error::internal)?;
        db.run_of(documents::file_deleted_stmt(&key)).await?;
        out.files_deleted += 1;
    }
    Ok(out)
}
