//! Uploads from a browser: `multipart/form-data` with the text fields first and the file last,
//! through the same pipeline as a raw body ([`crate::upload`]). The form is parsed as it streams
//! in (multer); the file part goes to the bucket without being held whole, in pieces when it is
//! large (see `store::put_unknown_length`).

use std::collections::HashMap;

use bytes::Bytes;
use futures_channel::mpsc;
use futures_util::{SinkExt, StreamExt};
use shared::data::pending;
use shared::digest::Sha256State;
use shared::document::{self, DocumentType};
use shared::ids::DocumentId;
use shared::permissions::Principal;
use shared::service::store::{self, Tap};
use shared::service::{Cx, Reply};
use shared::{validate, Error, Result};

use crate::upload::{self, NewFile, UploadMeta, REFERENCE_MAX};

/// The most bytes of one text field.
const FIELD_MAX: usize = 4096;

fn malformed(err: impl std::fmt::Display) -> Error {
    Error::bad_request(
        "malformed_multipart",
        format!("the form cannot be read: {err}"),
    )
}

/// `POST /v1/documents` with `multipart/form-data`.
///
/// # Errors
/// As a raw upload; 400 `malformed_multipart` for a form that cannot be read.
pub async fn create_from_form(cx: &mut Cx, me: &Principal, content_type: &str) -> Result<Reply> {
    let boundary = multer::parse_boundary(content_type).map_err(malformed)?;
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
    let mut body = cx.req.take_body();
    // multer wants a Send stream, the request body is not one: a small channel between them
    // keeps backpressure (the pump waits while the parser is busy).
    let (mut tx, rx) = mpsc::channel::<std::result::Result<Bytes, std::io::Error>>(1);
    let pump = async move {
        while let Some(chunk) = body.next().await {
            let item = chunk.map(Bytes::from).map_err(std::io::Error::other);
            if tx.send(item).await.is_err() {
                break;
            }
        }
    };
    let parse = read_form(cx, me, multer::Multipart::new(rx, boundary), limit);
    let ((), outcome) = futures_util::future::join(pump, parse).await;
    outcome
}

async fn read_form(
    cx: &Cx,
    me: &Principal,
    mut form: multer::Multipart<'static>,
    limit: u64,
) -> Result<Reply> {
    let mut fields: HashMap<String, String> = HashMap::new();
    while let Some(mut field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
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
            filename: document::filename(field.file_name().unwrap_or_default(), false)?,
            content_type: document::content_type(
                field.content_type().map(ToString::to_string).as_deref(),
            ),
            reference: validate::optional_text(
                "reference",
                field_text("reference").as_deref(),
                REFERENCE_MAX,
            )?,
            in_reply_to: field_text("in_reply_to"),
            idempotency_key: upload::idempotency_key(cx)?,
        };
        // 2. Checks.
        let prepared = upload::prepare(cx, me, &meta).await?;
        // 3. The file part to the bucket, hashed on the way.
        let id = DocumentId::new(cx.now)?;
        let key = document::object_key(&prepared.partner.id, &id);
        let files = cx.files()?;
        pending::announce(&cx.db, &key, cx.now).await?;
        let tap = Tap::new(Sha256State::new(), limit, true);
        let stored =
            store::put_unknown_length(files, &key, &mut field, &tap, limit, malformed).await;
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
        drop(field);
        // Whatever follows the file is not read into anything, but must be well-formed.
        while let Some(rest) = form.next_field().await.map_err(malformed)? {
            drop(rest);
        }
        let file = {
            let t = tap.borrow();
            NewFile {
                id,
                key,
                size,
                sha256: t.hash.finish_hex(),
                recognition: t.recognition(),
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
