//! `/v1/attachments`: a file goes up on its own (raw body into R2) before the message that carries
//! it, and comes back to the people of both companies of that message's thread.
//!
//! An uploaded file stays announced in `pending_objects` until a message takes it, in the same
//! batch; one that no message takes within the hour is deleted by the orders worker's sweep.

use serde::{Deserialize, Serialize};
use shared::edge::context::Ctx;
use shared::edge::store;
use shared::edge::{self, internal};
use shared::ids::{AttachmentId, ThreadId};
use shared::{document, talk, time, Error, Result};
use worker::Response;

use crate::model::{self, AttachmentRow, ATTACHMENT_COLUMNS};

/// The default limit of one attachment (`MAX_ATTACHMENT_BYTES`).
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

#[derive(Serialize)]
struct AttachmentOut {
    id: AttachmentId,
    filename: String,
    content_type: String,
    size: u64,
    sha256: String,
    created_at: String,
}

pub async fn create_attachment(cx: &mut Ctx) -> Result<Response> {
    let me = model::caller(cx).await?;
    let limit = cx.number("MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES);
    let filename = cx
        .header("tradepost-filename")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Error::invalid("filename", "send the Tradepost-Filename header"))?;
    let filename = document::filename(&filename, true)?;
    let content_type = document::content_type(cx.header("content-type").as_deref());
    let length = store::content_length(
        cx,
        limit,
        &format!("attachments are limited to {}", store::size_text(limit)),
    )?;

    let id = AttachmentId::new(cx.now)?;
    let key = talk::attachment_key(me.company(), &id);
    let tap = store::receive(cx, &key, length, limit, false).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    let created_at = time::format(cx.now);
    // Not settled here: the message that takes the file settles it (see the module comment).
    let written = cx
        .db
        .run(
            "INSERT INTO attachments (id, company_id, user_id, message_id, filename, \
             content_type, size, sha256, object_key, created_at) \
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                &id.as_str(),
                me.company(),
                &me.user_id,
                &filename,
                &content_type,
                &length,
                &sha256,
                &key,
                &created_at,
            ],
        )
        .await;
    if let Err(e) = written {
        store::discard(cx, &key).await;
        return Err(e);
    }
    let response = edge::json(
        201,
        &AttachmentOut {
            id: id.clone(),
            filename,
            content_type,
            size: length,
            sha256,
            created_at,
        },
    )?;
    response
        .headers()
        .set("location", &format!("/v1/attachments/{id}/content"))
        .map_err(internal)?;
    Ok(response)
}

/// Whether an unsent attachment's file is still announced, i.e. not taken by the sweep.
async fn still_pending(cx: &Ctx, key: &str) -> Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        object_key: String,
    }
    let row: Option<Row> = cx
        .db
        .first(
            "SELECT object_key FROM pending_objects WHERE object_key = ?1",
            &[&key],
        )
        .await?;
    Ok(row.is_some())
}

#[derive(Deserialize)]
struct ThreadOfRow {
    #[allow(dead_code)]
    thread_id: ThreadId,
}

pub async fn get_attachment_content(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = model::reader(cx).await?;
    let id = AttachmentId::parse(id)?;
    let row: Option<AttachmentRow> = cx
        .db
        .first(
            &format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = ?1"),
            &[&id.as_str()],
        )
        .await?;
    let row = row.ok_or(Error::not_found("attachment"))?;
    match &row.message_id {
        // Before it is sent, only its uploader sees it, and only until the sweep may take it.
        None if me.user_id.as_ref() == Some(&row.user_id)
            && &row.company_id == me.company()
            && time::parse("created_at", &row.created_at)
                .is_ok_and(|at| talk::attachment_fresh(at, cx.now))
            && still_pending(cx, &row.object_key).await? => {}
        None => return Err(Error::not_found("attachment")),
        Some(message) => {
            let visible: Option<ThreadOfRow> = cx
                .db
                .first(
                    "SELECT t.id AS thread_id FROM messages m JOIN threads t \
                     ON t.id = m.thread_id WHERE m.id = ?1 \
                     AND (t.company_id = ?2 OR t.partner_id = ?2)",
                    &[message, me.company()],
                )
                .await?;
            if visible.is_none() {
                return Err(Error::not_found("attachment"));
            }
        }
    }
    let file = store::StoredFile {
        key: &row.object_key,
        size: row.size as u64,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    Ok(store::serve(cx, &file).await?.response())
}
