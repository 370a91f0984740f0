//! `/v1/attachments`: a file goes up on its own (raw body into R2) before the message that carries
//! it, and comes back to the people of both companies of that message's thread.
//!
//! An uploaded file stays announced in `pending_objects` until a message takes it, in the same
//! batch; one that no message takes within the hour is deleted by the orders worker's sweep.

use shared::data::talk::{self as data, NewAttachment};
use shared::ids::AttachmentId;
use shared::service::store::{self, StoredFile};
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{talk, Error, Result};

use crate::api::{AttachmentOut, Reader};
use crate::messages::Writer;

/// The default limit of one attachment (`MAX_ATTACHMENT_BYTES`).
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

/// `POST /v1/attachments`.
pub async fn create_attachment(cx: &mut Cx) -> Result<Reply> {
    let me = Writer::of(cx)?;
    let limit = cx.number("MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES);
    let file = store::raw_file(cx, limit, "attachments")?;
    let store::ReceivedAttachment {
        id,
        key,
        sha256,
        file:
            store::RawFile {
                filename,
                content_type,
                length,
            },
    } = store::receive_attachment(cx, &me.company_id, file, limit).await?;
    let now = Time(cx.now);
    // Not settled here: the message that takes the file settles it (see the module comment).
    let written = data::insert_attachment(
        &cx.db,
        &NewAttachment {
            id: &id,
            company_id: &me.company_id,
            user_id: &me.user_id,
            filename: &filename,
            content_type: &content_type,
            size: length,
            sha256: &sha256,
            object_key: &key,
            now,
        },
    )
    .await;
    if let Err(e) = written {
        store::discard(cx, &key, &e).await;
        return Err(e);
    }
    Ok(Reply::json(
        201,
        &AttachmentOut {
            id: id.clone(),
            filename,
            content_type,
            size: length,
            sha256,
            created_at: now,
        },
    )?
    .with_header("location", format!("/v1/attachments/{id}/content")))
}

/// `GET|HEAD /v1/attachments/{id}/content`.
pub async fn get_attachment_content(cx: &mut Cx) -> Result<Reply> {
    let principal = cx.me()?;
    let me = Reader::of(&principal)?;
    let id = AttachmentId::parse(cx.param("id"))?;
    let (row, pending) = data::visible_attachment(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("attachment"))?;
    // Before it is sent, only its uploader sees it, and only until the sweep may take it.
    if row.message_id.is_none()
        && !(principal.user_id.as_ref() == Some(&row.user_id)
            && talk::attachment_fresh(row.created_at.0, cx.now)
            && pending)
    {
        return Err(Error::not_found("attachment"));
    }
    let file = StoredFile {
        key: &row.object_key,
        size: row.size,
        sha256: &row.sha256,
        content_type: &row.content_type,
        filename: &row.filename,
    };
    Ok(store::serve(cx, &file).await?.reply())
}
