//! `/v1/uploads`: large files in parts (R2 multipart upload). Each part continues the SHA-256 of
//! the part before it when that one is there already, so completing an upload sent in order
//! needs no second read; parts sent out of order are hashed from the stored file at completion.

use serde::{Deserialize, Serialize};
use shared::digest::Sha256State;
use shared::document::{self, DocumentType};
use shared::edge::context::Ctx;
use shared::edge::{self, internal};
use shared::formats::{self, Recognition};
use shared::ids::{CompanyId, DocumentId, UploadId};
use shared::permissions::{Permission, Principal};
use shared::{time, validate, Error, Result};
use worker::{Bucket, Range, Response, UploadedPart};

use crate::documents::{self, NewFile, UploadMeta};
use crate::model::CompanyOut;
use shared::edge::store::{self, Tap};

/// The default largest part (`MAX_PART_BYTES`); a Worker request body is limited to 100 MB on
/// most plans.
const DEFAULT_MAX_PART_BYTES: u64 = 100 * 1024 * 1024;
/// How long an unfinished upload is kept.
const UPLOAD_TTL_HOURS: i64 = 24;

#[derive(Deserialize)]
struct UploadRow {
    id: UploadId,
    recipient_id: CompanyId,
    #[serde(rename = "type")]
    kind: String,
    filename: String,
    content_type: String,
    reference: Option<String>,
    in_reply_to: Option<String>,
    object_key: String,
    r2_upload_id: String,
    status: String,
    document_id: Option<DocumentId>,
    created_at: String,
    expires_at: String,
    partner_name: String,
    partner_handle: String,
    partner_created_at: String,
}

#[derive(Deserialize)]
struct PartRow {
    part_number: f64,
    size: f64,
    etag: String,
    hash_state: Option<String>,
    prev_state: Option<String>,
    uploaded_at: String,
}

#[derive(Serialize)]
struct PartOut {
    part_number: u32,
    size: u64,
    uploaded_at: String,
}

#[derive(Serialize)]
struct UploadOut {
    id: UploadId,
    partner: CompanyOut,
    #[serde(rename = "type")]
    kind: String,
    filename: String,
    content_type: String,
    reference: Option<String>,
    in_reply_to: Option<String>,
    status: String,
    parts: Vec<PartOut>,
    size: u64,
    part_size_min: u64,
    part_size_max: u64,
    max_size: u64,
    expires_at: String,
    created_at: String,
    document_id: Option<DocumentId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadIn {
    recipient: String,
    #[serde(rename = "type")]
    kind: String,
    filename: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    in_reply_to: Option<String>,
}

fn max_part(cx: &Ctx) -> u64 {
    cx.number("MAX_PART_BYTES", DEFAULT_MAX_PART_BYTES)
}

fn uploader(me: &Principal) -> Result<()> {
    me.require(Permission::DocumentsSend)
}

pub async fn create_upload(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    uploader(&me)?;
    let input: UploadIn = cx.body().await?;
    let meta = UploadMeta {
        recipient: input.recipient,
        kind: DocumentType::parse("type", input.kind.trim())?,
        filename: document::filename(&input.filename, false)?,
        content_type: document::content_type(input.content_type.as_deref()),
        reference: validate::optional_text("reference", input.reference.as_deref(), 200)?,
        in_reply_to: input.in_reply_to,
        idempotency_key: None,
    };
    let prepared = documents::prepare(cx, &me, &meta).await?;
    let id = UploadId::new(cx.now)?;
    let key = format!("{}/uploads/{id}", prepared.partner.id);
    let r2_upload = store::bucket(cx)?
        .create_multipart_upload(&key)
        .execute()
        .await
        .map_err(internal)?;
    let r2_upload_id = r2_upload.upload_id().await;
    let expires = cx.now + chrono::Duration::hours(UPLOAD_TTL_HOURS);
    cx.db
        .run(
            "INSERT INTO uploads (id, sender_id, recipient_id, sender_user_id, sender_api_key_id, \
             type, filename, content_type, reference, in_reply_to, object_key, r2_upload_id, \
             status, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'open', ?13, ?14)",
            &[
                &id,
                &me.company_id,
                &prepared.partner.id,
                &me.user_id,
                &me.api_key_id,
                &meta.kind.as_str(),
                &meta.filename,
                &meta.content_type,
                &meta.reference,
                &prepared
                    .reply
                    .as_ref()
                    .map(|(answered, _)| answered.clone()),
                &key,
                &r2_upload_id,
                &time::format(cx.now),
                &time::format(expires),
            ],
        )
        .await?;
    respond(cx, &me, &id, 201).await
}

async fn load(cx: &Ctx, me: &Principal, id: &str) -> Result<UploadRow> {
    uploader(me)?;
    let id = UploadId::parse(id)?;
    let row: Option<UploadRow> = cx
        .db
        .first(
            "SELECT u.id, u.recipient_id, u.type, u.filename, u.content_type, \
             u.reference, u.in_reply_to, u.object_key, u.r2_upload_id, u.status, u.document_id, \
             u.created_at, u.expires_at, p.name AS partner_name, p.handle AS partner_handle, \
             p.created_at AS partner_created_at \
             FROM uploads u JOIN companies p ON p.id = u.recipient_id \
             WHERE u.id = ?1 AND u.sender_id = ?2",
            &[&id, &me.company_id],
        )
        .await?;
    row.ok_or(Error::not_found("upload"))
}

async fn parts(cx: &Ctx, id: &UploadId) -> Result<Vec<PartRow>> {
    cx.db
        .all(
            "SELECT part_number, size, etag, hash_state, prev_state, uploaded_at \
             FROM upload_parts WHERE upload_id = ?1 ORDER BY part_number",
            &[id],
        )
        .await
}

async fn respond(cx: &Ctx, me: &Principal, id: &UploadId, status: u16) -> Result<Response> {
    let row = load(cx, me, id.as_str()).await?;
    let parts: Vec<PartOut> = parts(cx, id)
        .await?
        .into_iter()
        .map(|p| PartOut {
            part_number: p.part_number as u32,
            size: p.size as u64,
            uploaded_at: p.uploaded_at,
        })
        .collect();
    let out = UploadOut {
        id: row.id,
        partner: CompanyOut {
            id: row.recipient_id,
            name: row.partner_name,
            handle: row.partner_handle,
            created_at: row.partner_created_at,
        },
        kind: row.kind,
        filename: row.filename,
        content_type: row.content_type,
        reference: row.reference,
        in_reply_to: row.in_reply_to,
        status: row.status,
        size: parts.iter().map(|p| p.size).sum(),
        parts,
        part_size_min: document::PART_SIZE_MIN,
        part_size_max: max_part(cx),
        max_size: document::MULTIPART_MAX_BYTES,
        expires_at: row.expires_at,
        created_at: row.created_at,
        document_id: row.document_id,
    };
    edge::json(status, &out)
}

pub async fn get_upload(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = load(cx, &me, id).await?;
    respond(cx, &me, &row.id, 200).await
}

/// An upload that still takes parts.
fn check_open(cx: &Ctx, row: &UploadRow) -> Result<()> {
    if row.status != "open" {
        return Err(Error::conflict(
            "upload_not_open",
            format!("the upload is {}", row.status),
        ));
    }
    if time::parse("expires_at", &row.expires_at).is_ok_and(|t| t <= cx.now) {
        return Err(Error::conflict(
            "upload_expired",
            "the upload expired; start a new one",
        ));
    }
    Ok(())
}

pub async fn upload_part(cx: &mut Ctx, id: &str, n: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = load(cx, &me, id).await?;
    check_open(cx, &row)?;
    let number = document::part_number(n)?;
    let limit = max_part(cx);
    let length = documents::content_length(cx, limit)?;
    // Continue the hash of the part before, when it is there.
    let (start, prev_text) = if number == 1 {
        let s = Sha256State::new();
        let text = s.to_text();
        (Some(s), Some(text))
    } else {
        let prev: Option<PartRow> = cx
            .db
            .first(
                "SELECT part_number, size, etag, hash_state, prev_state, uploaded_at \
                 FROM upload_parts WHERE upload_id = ?1 AND part_number = ?2",
                &[&row.id, &(number - 1)],
            )
            .await?;
        match prev.and_then(|p| p.hash_state) {
            Some(text) => (Some(Sha256State::from_text(&text)?), Some(text)),
            None => (None, None),
        }
    };
    let chained = start.is_some();
    let tap = Tap::new(start.unwrap_or_default(), limit, false);
    let body = cx.req.stream().map_err(internal)?;
    let stream = worker::FixedLengthStream::wrap(store::tapped(body, tap.clone()), length);
    let r2_upload = store::bucket(cx)?
        .resume_multipart_upload(&row.object_key, &row.r2_upload_id)
        .map_err(internal)?;
    let part_number = u16::try_from(number).map_err(|_| Error::internal("part number"))?;
    let uploaded = r2_upload
        .upload_part(part_number, worker::Data::Stream(stream))
        .await;
    let uploaded = match uploaded {
        Ok(part) => part,
        Err(e) => {
            let got = tap.borrow().count;
            return Err(if got == length {
                Error::internal(format!("storing part {number} failed: {e}"))
            } else {
                Error::bad_request(
                    "body_incomplete",
                    format!("the body ended after {got} of the {length} bytes its Content-Length announced"),
                )
            });
        }
    };
    let hash_state = chained.then(|| tap.borrow().hash.to_text());
    cx.db
        .run(
            "INSERT OR REPLACE INTO upload_parts (upload_id, part_number, size, etag, hash_state, \
             prev_state, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                &row.id,
                &number,
                &length,
                &uploaded.etag(),
                &hash_state,
                &prev_text,
                &time::format(cx.now),
            ],
        )
        .await?;
    edge::json(
        200,
        &PartOut {
            part_number: number,
            size: length,
            uploaded_at: time::format(cx.now),
        },
    )
}

pub async fn complete_upload(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = load(cx, &me, id).await?;
    if let (Some(document_id), "completed") = (&row.document_id, row.status.as_str()) {
        return documents::respond_with(cx, &me, document_id, 200).await;
    }
    check_open(cx, &row)?;
    let parts = parts(cx, &row.id).await?;
    let sizes: Vec<(u32, u64)> = parts
        .iter()
        .map(|p| (p.part_number as u32, p.size as u64))
        .collect();
    let total = document::check_parts(
        &sizes,
        document::PART_SIZE_MIN,
        document::MULTIPART_MAX_BYTES,
    )?;
    let meta = UploadMeta {
        recipient: row.recipient_id.to_string(),
        kind: DocumentType::parse("type", &row.kind)?,
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        reference: row.reference.clone(),
        in_reply_to: row.in_reply_to.clone(),
        idempotency_key: None,
    };
    // The relationship may have changed since the upload began.
    let prepared = documents::prepare(cx, &me, &meta).await?;
    let bucket = store::bucket(cx)?;
    store::announce(cx, &row.object_key).await?;
    let r2_upload = bucket
        .resume_multipart_upload(&row.object_key, &row.r2_upload_id)
        .map_err(internal)?;
    let mut uploaded = Vec::with_capacity(parts.len());
    for p in &parts {
        let number =
            u16::try_from(p.part_number as u32).map_err(|_| Error::internal("part number"))?;
        uploaded.push(UploadedPart::new(number, p.etag.clone()));
    }
    r2_upload.complete(uploaded).await.map_err(internal)?;
    let file = match summarise(&bucket, &row.object_key, &parts, total).await {
        Ok((sha256, recognition)) => NewFile {
            id: DocumentId::new(cx.now)?,
            key: row.object_key.clone(),
            size: total,
            sha256,
            recognition,
        },
        Err(e) => {
            store::delete_quietly(&bucket, &row.object_key).await;
            store::forget(cx, &row.object_key).await;
            return Err(e);
        }
    };
    let mark = cx.db.stmt(
        "UPDATE uploads SET status = 'completed', document_id = ?1 WHERE id = ?2 AND status = 'open'",
        &[&file.id, &row.id],
    )?;
    let drop_parts = cx
        .db
        .stmt("DELETE FROM upload_parts WHERE upload_id = ?1", &[&row.id])?;
    documents::finish(cx, &me, &meta, prepared, file, vec![mark, drop_parts]).await
}

/// The SHA-256 of the assembled file (from the parts' chained states as far as they reach,
/// then from the stored file) and what format it is.
async fn summarise(
    bucket: &Bucket,
    key: &str,
    parts: &[PartRow],
    total: u64,
) -> Result<(String, Recognition)> {
    let mut state = Sha256State::new();
    let mut hashed: u64 = 0;
    for p in parts {
        let linked = p.prev_state.as_deref() == Some(state.to_text().as_str());
        match (&p.hash_state, linked) {
            (Some(next), true) => {
                state = Sha256State::from_text(next)?;
                hashed += p.size as u64;
            }
            _ => break,
        }
    }
    if hashed < total {
        let object = bucket
            .get(key)
            .range(Range::OffsetToEnd { offset: hashed })
            .execute()
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::internal("assembled file missing"))?;
        let mut stream = object
            .body()
            .ok_or_else(|| Error::internal("assembled file without body"))?
            .stream()
            .map_err(internal)?;
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            state.update(&chunk.map_err(internal)?);
        }
    }
    if state.len() != total {
        return Err(Error::internal(format!(
            "assembled file has {} bytes, parts say {total}",
            state.len()
        )));
    }
    let head = read(bucket, key, formats::SNIFF_BYTES as u64).await?;
    let recognition = match formats::sniff(&head) {
        None => Recognition::Unknown,
        Some(_) if total as usize <= formats::PARSE_MAX_BYTES => {
            formats::recognise(&read(bucket, key, total).await?)
        }
        Some(format) => Recognition::Malformed {
            format,
            error: "the file is larger than 16 MiB; only smaller order files are summarised"
                .to_owned(),
        },
    };
    Ok((state.finish_hex(), recognition))
}

/// The first `length` bytes of a file.
async fn read(bucket: &Bucket, key: &str, length: u64) -> Result<Vec<u8>> {
    let object = bucket
        .get(key)
        .range(Range::Prefix { length })
        .execute()
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::internal("file missing"))?;
    object
        .body()
        .ok_or_else(|| Error::internal("file without body"))?
        .bytes()
        .await
        .map_err(internal)
}

pub async fn abort_upload(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = load(cx, &me, id).await?;
    match row.status.as_str() {
        "aborted" => return edge::no_content(),
        "completed" => {
            return Err(Error::conflict(
                "upload_not_open",
                "the upload is completed; cancel its document instead",
            ))
        }
        _ => {}
    }
    abort_r2(cx, &row.object_key, &row.r2_upload_id).await;
    cx.db
        .batch(vec![
            cx.db.stmt(
                "UPDATE uploads SET status = 'aborted' WHERE id = ?1 AND status = 'open'",
                &[&row.id],
            )?,
            cx.db
                .stmt("DELETE FROM upload_parts WHERE upload_id = ?1", &[&row.id])?,
        ])
        .await?;
    edge::no_content()
}

/// Aborts an R2 multipart upload, logging a failure (it may be gone already).
pub async fn abort_r2(cx: &Ctx, key: &str, r2_upload_id: &str) {
    let outcome = match store::bucket(cx) {
        Ok(bucket) => match bucket.resume_multipart_upload(key, r2_upload_id) {
            Ok(upload) => upload.abort().await,
            Err(e) => Err(e),
        },
        Err(e) => {
            worker::console_error!("{e}");
            return;
        }
    };
    if let Err(e) = outcome {
        worker::console_log!("aborting upload {r2_upload_id} of {key}: {e}");
    }
}
