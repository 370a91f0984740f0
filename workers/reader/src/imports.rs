//! `POST /v1/catalogs/{id}/imports` and `GET /v1/catalogs/{id}/imports/{import_id}`: a CSV or
//! BMEcat file read into the supplier's catalog as it streams in — the body is fed chunk by
//! chunk to a [`Feed`], the rows it completes are written [`CHUNK`] at a time (one statement
//! per chunk, `shared::data::catalogs::write_items`) with the import's progress in the same
//! batch, so memory stays bounded by a chunk whatever the file's size.

use futures_util::StreamExt;
use shared::catalog::import::{Feed, FileFormat, Item, Row, RowError};
use shared::data::catalogs::{self as data, ImportOut, Progress};
use shared::ids::{CatalogId, ImportId};
use shared::permissions::Principal;
use shared::service::{store, Cx, Reply};
use shared::time::Time;
use shared::{Error, Result};

/// How many products an import writes per statement (and reports progress after).
const CHUNK: usize = 500;
/// How many refused rows an import's report keeps.
const KEPT_ERRORS: usize = 100;
/// The largest file an import reads.
const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

async fn own(cx: &Cx, me: &Principal) -> Result<CatalogId> {
    Ok(crate::own_catalog(cx, me, "imports into").await?.catalog.id)
}

fn too_large() -> Error {
    Error::PayloadTooLarge {
        detail: format!(
            "a catalog file may have at most {}",
            store::size_text(MAX_IMPORT_BYTES)
        ),
    }
}

fn unreadable(e: &str) -> Error {
    Error::bad_request(
        "body_incomplete",
        format!("the body could not be read: {e}"),
    )
}

/// `POST /v1/catalogs/{id}/imports`: a CSV or BMEcat file as the raw body, read as it streams
/// in, written in chunks of [`CHUNK`] with the import's progress after each.
pub async fn import_products(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let catalog_id = own(cx, &me).await?;
    if cx
        .header("content-length")
        .and_then(|l| l.trim().parse::<u64>().ok())
        .is_some_and(|l| l > MAX_IMPORT_BYTES)
    {
        return Err(too_large());
    }
    let mut body = cx.req.take_body();
    // The first chunk decides the format.
    let first = match body.next().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(e)) => return Err(unreadable(&e)),
        None => return Err(Error::invalid("file", "the file is empty")),
    };
    let format = FileFormat::sniff(&first);
    let id = ImportId::new(cx.now)?;
    data::start_import(&cx.db, &id, &catalog_id, format.as_str(), Time(cx.now)).await?;
    let mut feed = Feed::new(format);
    let mut progress = Progress::default();
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut pending: Vec<(u64, Item)> = Vec::new();
    let mut read: u64 = 0;
    let mut next = Some(Ok(first));
    let outcome: Result<()> = async {
        loop {
            let chunk = match next.take() {
                Some(c) => Some(c),
                None => body.next().await,
            };
            let done = match chunk {
                Some(Ok(bytes)) => {
                    read += bytes.len() as u64;
                    if read > MAX_IMPORT_BYTES {
                        return Err(too_large());
                    }
                    feed.feed(&bytes, &mut rows)?;
                    false
                }
                Some(Err(e)) => return Err(unreadable(&e)),
                None => {
                    feed.finish(&mut rows)?;
                    true
                }
            };
            for row in rows.drain(..) {
                progress.rows += 1;
                match row {
                    Ok(item) => pending.push((progress.rows, item)),
                    Err(e) => {
                        progress.refused += 1;
                        if errors.len() < KEPT_ERRORS {
                            errors.push(e);
                        }
                    }
                }
            }
            while pending.len() >= CHUNK || (done && !pending.is_empty()) {
                let take: Vec<(u64, Item)> = pending.drain(..pending.len().min(CHUNK)).collect();
                let (before, kept) = (progress, errors.clone());
                let w = data::write_items(&cx.db, &catalog_id, take, cx.now, |w| {
                    let mut p = before;
                    p.created += w.created;
                    p.updated += w.updated;
                    p.deleted += w.deleted;
                    p.refused += w.refused.len() as u64;
                    let mut e = kept;
                    e.extend(
                        w.refused
                            .iter()
                            .take(KEPT_ERRORS.saturating_sub(e.len()))
                            .cloned(),
                    );
                    vec![data::progress_stmt(&id, &p, &e, None, Time(cx.now))]
                })
                .await?;
                progress.created += w.created;
                progress.updated += w.updated;
                progress.deleted += w.deleted;
                progress.refused += w.refused.len() as u64;
                for e in w.refused {
                    if errors.len() < KEPT_ERRORS {
                        errors.push(e);
                    }
                }
            }
            if done {
                return Ok(());
            }
        }
    }
    .await;
    let end = match &outcome {
        Ok(()) => ("done", None),
        Err(e) => ("failed", Some(e.detail())),
    };
    cx.db
        .run_of(data::progress_stmt(
            &id,
            &progress,
            &errors,
            Some((end.0, end.1.as_deref())),
            Time(cx.now),
        ))
        .await?;
    outcome?;
    let row = data::import(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("catalog import"))?;
    Reply::json(201, &ImportOut::of(row))
}

/// `GET /v1/catalogs/{id}/imports/{import_id}`: an import's progress, or its report.
pub async fn get_import(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let catalog_id = own(cx, &me).await?;
    let id = ImportId::parse(cx.param("import_id"))?;
    let row = data::import(&cx.db, &me.company_id, &id)
        .await?
        .filter(|r| r.catalog_id == catalog_id)
        .ok_or(Error::not_found("catalog import"))?;
    Reply::json(200, &ImportOut::of(row))
}
