//! Uploads from a browser: `multipart/form-data` with the text fields first and the file last,
//! through the same pipeline as a raw body ([`crate::upload`]). The form is read as it streams
//! in ([`multipart::Form`]); the file part goes to the bucket without being held whole, in pieces
//! when it is large (see `store::put_unknown_length`).

use std::collections::HashMap;

use shared::data::pending;
use shared::digest::Sha256State;
use shared::document::{self, DocumentType};
use shared::ids::DocumentId;
use shared::permissions::Principal;
use shared::service::multipart::{self, Form};
use shared::service::store::{self, Tap};
use shared::service::{Cx, Reply};
use shared::{validate, Error, Result};

use crate::upload::{self, NewFile, UploadMeta, REFERENCE_MAX};

/// The most bytes of one text field.
const FIELD_MAX: usize = 4096;

/// `POST /v1/documents` with `multipart/form-data`.
///
/// # Errors
/// As a raw upload; 400 `malformed_multipart` for a form that cannot be read.
pub async fn create_from_form(cx: &mut Cx, me: &Principal, content_type: &str) -> Result<Reply> {
    let boundary = multipart::boundary(content_type).ok_or_else(|| {
        Error::bad_request(
            "malformed_multipart",
            "the form cannot be read: its Content-Type names no boundary",
        )
    })?;
    let limit = upload::max_upload(cx);
    // The form around the file is small: a body announced far over the limit is refused unread.
    if let Some(len) = cx
        .header("content-length")
        .and_then(|l| l.trim().parse::<u64>().ok())
    {
        if len > limit + 1024 * 1024 {
            return Err(Error::PayloadTooLarge {
                detail: format!("files are limited to {}", store::size_text(limit)),
            });
        }
    }
    let form = Form::new(cx.req.take_body(), &boundary);
    read_form(cx, me, form, limit).await
}

async fn read_form(cx: &Cx, me: &Principal, mut form: Form, limit: u64) -> Result<Reply> {
    let mut fields: HashMap<String, String> = HashMap::new();
    while let Some(part) = form.next_part().await? {
        let name = part.name.clone();
        if name != "file" {
            let mut value = Vec::new();
            while let Some(chunk) = form.chunk().await? {
                value.extend_from_slice(&chunk);
                if value.len() > FIELD_MAX {
                    return Err(Error::invalid(name, "is too long"));
                }
            }
            let text = String::from_utf8(value)
                .map_err(|_| Error::invalid(&name, "must be UTF-8 text"))?;
            fields.insert(name, text);
            continue;
        }
        // 1. The form's fields are the upload's headers.
        let field_text = |name: &str| fields.get(name).filter(|v| !v.trim().is_empty()).cloned();
        let meta = UploadMeta {
            recipient: field_text("recipient").ok_or_else(|| {
                Error::invalid("recipient", "send the recipient field before the file")
            })?,
            kind: DocumentType::parse(
                "type",
                field_text("type")
                    .ok_or_else(|| Error::invalid("type", "send the type field before the file"))?
                    .trim(),
            )?,
            filename: document::filename(part.filename.as_deref().unwrap_or_default(), false)?,
            content_type: document::content_type(part.content_type.as_deref()),
            reference: validate::optional_text(
                "reference",
                field_text("reference").as_deref(),
                REFERENCE_MAX,
            )?,
            in_reply_to: field_text("in_reply_to"),
            idempotency_key: cx.idempotency_key()?,
        };
        // 2. Checks.
        // A retry with a known Idempotency-Key is answered when the write meets its unique
        // key: the form's file part has no hash before it is stored.
        let id = DocumentId::new(cx.now)?;
        let prepared = upload::prepare(cx, me, &meta, Some(&id)).await?;
        let key = prepared.key.clone();
        // 3. The file part to the bucket, hashed on the way.
        let files = cx.files()?;
        let tap = Tap::new(Sha256State::new(), limit, true);
        let stored = store::put_unknown_length(files, &key, &mut form, &tap, limit).await;
        let size = tap.borrow().count;
        if stored.is_ok() && size == 0 {
            store::delete_quietly(files, &key).await;
            pending::forget(&cx.db, &key).await;
            return Err(Error::invalid("body", "the file is empty"));
        }
        if let Err(e) = stored {
            pending::forget(&cx.db, &key).await;
            return Err(e);
        }
        // Whatever follows the file is not read into anything, but must be well-formed.
        while form.next_part().await?.is_some() {}
        let file = {
            let t = tap.borrow();
            NewFile {
                id,
                key,
                size,
                sha256: t.hash.finish_hex(),
                recognition: t.recognition(),
                kept_on_failure: false,
            }
        };
        // 4. and 5.
        return upload::finish(cx, me, &meta, prepared, file, Vec::new()).await;
    }
    Err(Error::invalid(
        "file",
        "send the file in a form field named file, after the other fields",
    ))
}
