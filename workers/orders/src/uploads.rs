//! `/v1/uploads`: large files in parts (R2 multipart upload). Each part continues the SHA-256 of
//! the part before it when that one is there already, so completing an upload sent in order
//! needs no second read; parts sent out of order are hashed from the stored file at completion.
//! Completion runs the last steps of the upload pipeline ([`crate::upload`]).

use futures_util::StreamExt;
use shared::data::companies::CompanyOut;
use shared::data::pending;
use shared::data::uploads::{self, NewPart, NewUpload, PartRow, UploadRow, UploadStatus};
use shared::digest::Sha256State;
use shared::document::{self};
use shared::formats::{self, Recognition};
use shared::ids::{DocumentId, UploadId};
use shared::permissions::Principal;
use shared::platform::files::read_all;
use shared::platform::{FileRange, Files};
use shared::service::store::{self, Tap};
use shared::service::{log_info, Cx, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{PartOut, UploadIn, UploadOut};
use crate::documents;
use crate::upload::{self, NewFile, UploadMeta, REFERENCE_MAX};

/// The default largest part (`MAX_PART_BYTES`); a Worker request body is limited to 100 MB on
/// most plans.
const DEFAULT_MAX_PART_BYTES: u64 = 100 * 1024 * 1024;
/// How long an unfinished upload is kept.
const UPLOAD_TTL_HOURS: i64 = 24;

fn max_part(cx: &Cx) -> u64 {
    cx.number("MAX_PART_BYTES", DEFAULT_MAX_PART_BYTES)
}

/// `POST /v1/uploads`.
pub async fn create_upload(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: UploadIn = cx.body().await?;
    let meta = UploadMeta {
        recipient: input.recipient,
        kind: document::DocumentType::parse("type", input.kind.trim())?,
        filename: document::filename(&input.filename, false)?,
        content_type: document::content_type(input.content_type.as_deref()),
        reference: validate::optional_text("reference", input.reference.as_deref(), REFERENCE_MAX)?,
        in_reply_to: input.in_reply_to,
        idempotency_key: None,
    };
    let prepared = upload::prepare(cx, &me, &meta, None).await?;
    let id = UploadId::new(cx.now)?;
    let key = format!("{}/uploads/{id}", prepared.partner.id);
    let r2_upload_id = cx
        .files()?
        .create_multipart(&key)
        .await
        .map_err(Error::internal)?;
    let now = Time(cx.now);
    uploads::insert(
        &cx.db,
        &NewUpload {
            id: &id,
            sender: &me,
            recipient_id: &prepared.partner.id,
            kind: meta.kind,
            filename: &meta.filename,
            content_type: &meta.content_type,
            reference: meta.reference.as_deref(),
            in_reply_to: prepared.reply.as_ref().map(|(answered, _)| answered),
            object_key: &key,
            r2_upload_id: &r2_upload_id,
            now,
            expires_at: Time(cx.now + chrono::Duration::hours(UPLOAD_TTL_HOURS)),
        },
    )
    .await?;
    respond(cx, &me, &id, 201).await
}

/// The caller's company's upload named by the path.
async fn load(cx: &Cx, me: &Principal) -> Result<UploadRow> {
    let id = UploadId::parse(cx.param("id"))?;
    uploads::load(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("upload"))
}

async fn respond(cx: &Cx, me: &Principal, id: &UploadId, status: u16) -> Result<Reply> {
    let row = uploads::load(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("upload"))?;
    let parts: Vec<PartOut> = uploads::parts(&cx.db, id)
        .await?
        .into_iter()
        .map(|p| PartOut {
            part_number: p.part_number,
            size: p.size,
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
    Reply::json(status, &out)
}

/// `GET /v1/uploads/{id}`.
pub async fn get_upload(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    respond(cx, &me, &row.id, 200).await
}

/// An upload that still takes parts.
fn check_open(cx: &Cx, row: &UploadRow) -> Result<()> {
    if row.status != UploadStatus::Open {
        return Err(Error::conflict(
            "upload_not_open",
            format!("the upload is {}", row.status),
        ));
    }
    if row.expires_at.0 <= cx.now {
        return Err(Error::conflict(
            "upload_expired",
            "the upload expired; start a new one",
        ));
    }
    Ok(())
}

/// `PUT /v1/uploads/{id}/parts/{n}`.
pub async fn upload_part(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    check_open(cx, &row)?;
    // A part after the completion began would not be in the file.
    if uploads::is_completing(&row, Time(cx.now)) {
        return Ok(completing());
    }
    let number = document::part_number(cx.param("n"))?;
    let limit = max_part(cx);
    let length = upload::content_length(cx, limit)?;
    // Continue the hash of the part before, when it is there.
    let (start, prev_text) = if number == 1 {
        let s = Sha256State::new();
        let text = s.to_text();
        (Some(s), Some(text))
    } else {
        match uploads::part(&cx.db, &row.id, number - 1)
            .await?
            .and_then(|p| p.hash_state)
        {
            Some(text) => (Some(Sha256State::from_text(&text)?), Some(text)),
            None => (None, None),
        }
    };
    let chained = start.is_some();
    let tap = Tap::new(start.unwrap_or_default(), limit, false);
    let body = store::tapped(cx.req.take_body(), tap.clone());
    let part_number = u16::try_from(number).map_err(|_| Error::internal("part number"))?;
    let etag = match cx
        .files()?
        .upload_part(
            &row.object_key,
            &row.r2_upload_id,
            part_number,
            body,
            length,
        )
        .await
    {
        Ok(etag) => etag,
        Err(e) => {
            let (got, body_done) = (tap.borrow().count, tap.borrow().body_done);
            return Err(if got == length || !body_done {
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
    let now = Time(cx.now);
    uploads::put_part(
        &cx.db,
        &NewPart {
            upload_id: &row.id,
            number,
            size: length,
            etag: &etag,
            hash_state: hash_state.as_deref(),
            prev_state: prev_text.as_deref(),
            now,
        },
    )
    .await?;
    Reply::json(
        200,
        &PartOut {
            part_number: number,
            size: length,
            uploaded_at: now,
        },
    )
}

/// `POST /v1/uploads/{id}/complete`. A completion claims the upload first, so completes sent
/// at the same time assemble it once: the others answer 409 `upload_completing` until it is done,
/// then 200 with its document. A completion that failed after assembling the file leaves it for
/// the next complete.
pub async fn complete_upload(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    if let Some(done) = completed(cx, &me, &row).await? {
        return Ok(done);
    }
    check_open(cx, &row)?;
    let parts = uploads::parts(&cx.db, &row.id).await?;
    let sizes: Vec<(u32, u64)> = parts.iter().map(|p| (p.part_number, p.size)).collect();
    let total = document::check_parts(
        &sizes,
        document::PART_SIZE_MIN,
        document::MULTIPART_MAX_BYTES,
    )?;
    let meta = UploadMeta {
        recipient: row.recipient_id.to_string(),
        kind: row.kind,
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        reference: row.reference.clone(),
        in_reply_to: row.in_reply_to.clone(),
        // One document per upload, whatever happens: a second write of it is a replay.
        idempotency_key: Some(format!("upload:{}", row.id)),
    };
    // The relationship may have changed since the upload began.
    let prepared = upload::prepare(cx, &me, &meta, None).await?;
    if !uploads::claim_completion(&cx.db, &row.id, Time(cx.now)).await? {
        let row = load(cx, &me).await?;
        if let Some(done) = completed(cx, &me, &row).await? {
            return Ok(done);
        }
        check_open(cx, &row)?;
        return Ok(completing());
    }
    let outcome = assemble(cx, &me, &row, &parts, total, &meta, prepared).await;
    if outcome.is_err() {
        // Best effort: a retry waits for the claim to go stale otherwise.
        let _ = uploads::release_completion(&cx.db, &row.id).await;
    }
    outcome
}

/// The answer for an upload completed already: its document.
async fn completed(cx: &Cx, me: &Principal, row: &UploadRow) -> Result<Option<Reply>> {
    match (&row.document_id, row.status) {
        (Some(document_id), UploadStatus::Completed) => {
            documents::respond_with(cx, me, document_id, 200)
                .await
                .map(Some)
        }
        _ => Ok(None),
    }
}

/// Assembles the claimed upload's parts into its file and writes its document.
async fn assemble(
    cx: &Cx,
    me: &Principal,
    row: &UploadRow,
    parts: &[PartRow],
    total: u64,
    meta: &UploadMeta,
    prepared: upload::Prepared,
) -> Result<Reply> {
    let files = cx.files()?;
    pending::announce(&cx.db, &row.object_key, cx.now).await?;
    let mut etags = Vec::with_capacity(parts.len());
    for p in parts {
        let number = u16::try_from(p.part_number).map_err(|_| Error::internal("part number"))?;
        etags.push((number, p.etag.clone()));
    }
    // A completion before this one may have assembled the file and failed to write the
    // document: the bucket's upload is gone then, and the file is there to be used.
    let assembled = files
        .complete_multipart(&row.object_key, &row.r2_upload_id, etags)
        .await;
    let (sha256, recognition) = match summarise(files, &row.object_key, parts, total).await {
        Ok(summary) => summary,
        Err(e) => return Err(assembled.err().map_or(e, Error::internal)),
    };
    let file = NewFile {
        id: DocumentId::new(cx.now)?,
        key: row.object_key.clone(),
        size: total,
        sha256,
        recognition,
        kept_on_failure: true,
    };
    let extra = vec![
        uploads::complete_stmt(&row.id, &file.id),
        uploads::drop_parts_stmt(&row.id),
    ];
    upload::finish(cx, me, meta, prepared, file, extra).await
}

/// The SHA-256 of the assembled file (from the parts' chained states as far as they reach,
/// then from the stored file) and what format it is.
async fn summarise(
    files: &dyn Files,
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
                hashed += p.size;
            }
            _ => break,
        }
    }
    if hashed < total {
        let body = files
            .get(key, FileRange::From(hashed))
            .await
            .map_err(Error::internal)?
            .ok_or_else(|| Error::internal("assembled file missing"))?;
        let mut stream = body.into_stream();
        while let Some(chunk) = stream.next().await {
            state.update(&chunk.map_err(Error::internal)?);
        }
    }
    if state.len() != total {
        return Err(Error::internal(format!(
            "assembled file has {} bytes, parts say {total}",
            state.len()
        )));
    }
    let head = read(files, key, formats::SNIFF_BYTES as u64).await?;
    let recognition = match formats::sniff(&head) {
        None => Recognition::Unknown,
        Some(_) if total as usize <= formats::PARSE_MAX_BYTES => {
            formats::recognise(&read(files, key, total).await?)
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
async fn read(files: &dyn Files, key: &str, length: u64) -> Result<Vec<u8>> {
    let body = files
        .get(key, FileRange::Prefix(length))
        .await
        .map_err(Error::internal)?
        .ok_or_else(|| Error::internal("file missing"))?;
    read_all(body).await.map_err(Error::internal)
}

/// `DELETE /v1/uploads/{id}`.
pub async fn abort_upload(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    if let Some(answer) = abort_answer(row.status) {
        return answer;
    }
    // The row first: a completion that holds the upload keeps it (and the bucket's upload).
    let aborted = cx
        .db
        .batch(uploads::abort_stmts(&row.id, Time(cx.now)))
        .await?;
    if aborted.first().copied().unwrap_or(0) == 0 {
        // Aborted, completed or claimed by a completion meanwhile.
        let row = load(cx, &me).await?;
        return abort_answer(row.status).unwrap_or_else(|| Ok(completing()));
    }
    abort_r2(cx.files()?, &row.object_key, &row.r2_upload_id).await;
    Ok(Reply::no_content())
}

/// The answer to an abort of an upload in `status`, unless it is open (`None`): aborting again
/// is done already; a completed upload's document is cancelled instead.
fn abort_answer(status: UploadStatus) -> Option<Result<Reply>> {
    match status {
        UploadStatus::Aborted => Some(Ok(Reply::no_content())),
        UploadStatus::Completed => Some(Err(Error::conflict(
            "upload_not_open",
            "the upload is completed; cancel its document instead",
        ))),
        UploadStatus::Open => None,
    }
}

/// 409 `upload_completing`: a completion of the upload is running; asking again in a moment
/// gets its outcome.
fn completing() -> Reply {
    Reply::problem(&Error::conflict(
        "upload_completing",
        "a completion of this upload is running; ask again in a moment",
    ))
    .with_header("retry-after", "2")
}

/// Aborts an R2 multipart upload, logging a failure (it may be gone already).
pub async fn abort_r2(files: &dyn Files, key: &str, r2_upload_id: &str) {
    if let Err(e) = files.abort_multipart(key, r2_upload_id).await {
        log_info(&format!("aborting upload {r2_upload_id} of {key}: {e}"));
    }
}
