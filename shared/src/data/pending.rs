//! `pending_objects`: files being written to the bucket whose owning row does not exist yet.
//! A file is announced before it is written and settled in the transaction that writes its row;
//! what stays announced for an hour was cut off, and the sweep deletes it.

use super::{Db, Statement};
use crate::ids::CompanyId;
use crate::time::{Time, Timestamp};
use crate::Result;

/// Announces a file about to be written.
///
/// # Errors
/// A database error.
pub async fn announce(db: &Db, key: &str, now: Timestamp) -> Result<()> {
    db.run(
        "INSERT OR REPLACE INTO pending_objects (object_key, created_at) VALUES (?1, ?2)",
        &[&key, &Time(now)],
    )
    .await
    .map(|_| ())
}

/// The statement that settles an announced file, for the batch writing its row.
#[must_use]
pub fn settle_stmt(key: &str) -> Statement {
    Statement::new("DELETE FROM pending_objects WHERE object_key = ?1", &[&key])
}

/// Forgets an announced file after it was deleted on a failed upload (best effort: the sweep
/// deletes what is left).
pub async fn forget(db: &Db, key: &str) {
    let _ = db.run_of(settle_stmt(key)).await;
}

/// Files announced before `before` and never settled, at most `limit`: all of them, or those
/// under one company (keys start with a company id). For the sweep.
///
/// # Errors
/// A database error.
pub async fn abandoned(
    db: &Db,
    before: Time,
    under: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Key {
        key: String,
    }
    let rows: Vec<Key> = db
        .all(
            "SELECT object_key AS key FROM pending_objects WHERE created_at < ?1 \
             AND (?3 IS NULL OR substr(object_key, 1, length(?3) + 1) = ?3 || '/') LIMIT ?2",
            &[&before, &limit, &under],
        )
        .await?;
    Ok(rows.into_iter().map(|k| k.key).collect())
}

/// Takes an abandoned file's announcement, if it is still there and still old (a message that
/// took its talk attachment meanwhile settled it). Put it first in a batch: its change count
/// says whether the file may go.
#[must_use]
pub fn take_abandoned_stmt(key: &str, before: Time) -> Statement {
    Statement::new(
        "DELETE FROM pending_objects WHERE object_key = ?1 AND created_at < ?2",
        &[&key, &before],
    )
}
