//! Files into and out of R2, streamed: a body goes to the bucket chunk by chunk while a tap
//! counts it, hashes it (SHA-256, resumable across parts) and keeps the start of it when it may
//! be an order format worth summarising. Nothing is held whole in memory except an order file
//! of a known format up to 16 MiB, which the recogniser reads.
//!
//! Every file is announced in `pending_objects` before it is written; the row goes away in the
//! transaction that writes the row that owns it (a document, a proof, an attachment), so a file
//! whose upload was cut off is found by the orders worker's sweep and deleted.
//!
//! Files go back out through [`serve`]: streamed, with ETag (the SHA-256), one byte range, 304
//! and HEAD, the same for every worker that stores files.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::{Stream, StreamExt};
use worker::{Bucket, Data, FixedLengthStream, Headers, Range, Response};

use super::context::Ctx;
use super::internal;
use crate::digest::Sha256State;
use crate::document::{self, ByteRange};
use crate::formats::{self, Format, Recognition};
use crate::{time, Error, Result};

/// Size of the pieces a body of unknown length is written in (R2 multipart parts).
const CHUNK: usize = 8 * 1024 * 1024;

/// The bucket of every file.
pub fn bucket(cx: &Ctx) -> Result<Bucket> {
    cx.env.bucket("FILES").map_err(internal)
}

/// What a tap saw of a body.
pub struct Tap {
    pub hash: Sha256State,
    /// Bytes seen in this body (the hash may have started from an earlier part).
    pub count: u64,
    limit: u64,
    pub over_limit: bool,
    keep: Option<Vec<u8>>,
    sniffed: Option<Format>,
    too_big: bool,
}

pub type SharedTap = Rc<RefCell<Tap>>;

impl Tap {
    /// A tap that hashes on from `hash`, refuses more than `limit` bytes, and keeps the start
    /// of the body for [`Tap::recognition`] when `recognise` is set.
    pub fn new(hash: Sha256State, limit: u64, recognise: bool) -> SharedTap {
        Rc::new(RefCell::new(Tap {
            hash,
            count: 0,
            limit,
            over_limit: false,
            keep: recognise.then(Vec::new),
            sniffed: None,
            too_big: false,
        }))
    }

    /// Takes in a chunk. `false` once the body is over the limit.
    fn feed(&mut self, chunk: &[u8]) -> bool {
        self.count += chunk.len() as u64;
        if self.count > self.limit {
            self.over_limit = true;
            return false;
        }
        self.hash.update(chunk);
        if let Some(keep) = self.keep.as_mut() {
            if keep.len() + chunk.len() > formats::PARSE_MAX_BYTES {
                self.too_big = true;
                self.keep = None;
            } else {
                let before = keep.len();
                keep.extend_from_slice(chunk);
                if before < formats::SNIFF_BYTES && keep.len() >= formats::SNIFF_BYTES {
                    self.sniffed = formats::sniff(keep);
                    if self.sniffed.is_none() {
                        self.keep = None;
                    }
                }
            }
        }
        true
    }

    /// What the body is, once it is through.
    pub fn recognition(&self) -> Recognition {
        match (&self.keep, self.sniffed) {
            (Some(keep), _) => formats::recognise(keep),
            (None, Some(format)) if self.too_big => Recognition::Malformed {
                format,
                error: "the file is larger than 16 MiB; only smaller order files are summarised"
                    .to_owned(),
            },
            _ => Recognition::Unknown,
        }
    }
}

/// Passes a body's chunks through a tap; a chunk over the limit ends the stream with an error.
pub fn tapped<S>(body: S, tap: SharedTap) -> impl Stream<Item = worker::Result<Vec<u8>>>
where
    S: Stream<Item = worker::Result<Vec<u8>>>,
{
    body.map(move |chunk| {
        let chunk = chunk?;
        if tap.borrow_mut().feed(&chunk) {
            Ok(chunk)
        } else {
            Err(worker::Error::RustError(
                "body over the size limit".to_owned(),
            ))
        }
    })
}

/// The announced length of a raw file body, checked before a byte is read: required, a number,
/// not zero, at most `limit` (`over_limit` is the 413's detail).
///
/// # Errors
/// 411 without Content-Length, 400 `malformed_content_length`, 422 `body` when empty, 413.
pub fn content_length(cx: &Ctx, limit: u64, over_limit: &str) -> Result<u64> {
    let raw = cx.header("content-length").ok_or(Error::LengthRequired)?;
    let length: u64 = raw.trim().parse().map_err(|_| {
        Error::bad_request("malformed_content_length", "Content-Length is not a number")
    })?;
    if length == 0 {
        return Err(Error::invalid("body", "the file is empty"));
    }
    if length > limit {
        return Err(Error::PayloadTooLarge {
            detail: over_limit.to_owned(),
        });
    }
    Ok(length)
}

/// Why a streamed body did not make it, as the client should hear it.
fn body_failure(
    tap: &Tap,
    declared: Option<u64>,
    limit_text: &str,
    err: &dyn std::fmt::Display,
) -> Error {
    if tap.over_limit {
        return Error::PayloadTooLarge {
            detail: format!("files are limited to {limit_text}"),
        };
    }
    if declared.is_some_and(|len| tap.count != len) {
        return Error::bad_request(
            "body_incomplete",
            format!(
                "the body ended after {} of the {} bytes its Content-Length announced",
                tap.count,
                declared.unwrap_or(0)
            ),
        );
    }
    Error::internal(format!("storing a file failed: {err}"))
}

/// Writes a body of known length into the bucket at `key`, streamed through `tap`.
///
/// # Errors
/// 413 over the tap's limit, 400 `body_incomplete` when fewer bytes arrive than announced,
/// 500 when R2 fails. Whatever was written is deleted again.
pub async fn put_known_length<S>(
    bucket: &Bucket,
    key: &str,
    body: S,
    length: u64,
    tap: &SharedTap,
    limit_text: &str,
) -> Result<()>
where
    S: Stream<Item = worker::Result<Vec<u8>>> + 'static,
{
    let stream = FixedLengthStream::wrap(tapped(body, tap.clone()), length);
    let outcome = bucket.put(key, Data::Stream(stream)).execute().await;
    let failure = match outcome {
        Ok(_) if tap.borrow().count == length => return Ok(()),
        Ok(_) => body_failure(&tap.borrow(), Some(length), limit_text, &"length mismatch"),
        Err(e) => body_failure(&tap.borrow(), Some(length), limit_text, &e),
    };
    delete_quietly(bucket, key).await;
    Err(failure)
}

/// Receives the request's raw body of `length` bytes (see [`content_length`]) as the file at
/// `key`: announced in `pending_objects` first, streamed into R2 through a tap that hashes it
/// (and keeps an order file's start when `recognise`), forgotten again if it does not make it.
/// The caller settles the announcement in the batch that writes the file's row.
///
/// # Errors
/// As [`put_known_length`]; internal error when D1 or the bucket is missing.
pub async fn receive(
    cx: &mut Ctx,
    key: &str,
    length: u64,
    limit: u64,
    recognise: bool,
) -> Result<SharedTap> {
    let bucket = bucket(cx)?;
    announce(cx, key).await?;
    let tap = Tap::new(Sha256State::new(), limit, recognise);
    let body = cx.req.stream().map_err(internal)?;
    if let Err(e) = put_known_length(&bucket, key, body, length, &tap, &size_text(limit)).await {
        forget(cx, key).await;
        return Err(e);
    }
    Ok(tap)
}

/// Deletes a received file whose row could not be written, and its announcement (a failure is
/// logged; the sweep finds what is left).
pub async fn discard(cx: &Ctx, key: &str) {
    if let Ok(bucket) = bucket(cx) {
        delete_quietly(&bucket, key).await;
    }
    forget(cx, key).await;
}

/// Writes a body of unknown length (a browser form's file) into the bucket at `key`: in memory
/// up to [`CHUNK`] bytes, beyond that as an R2 multipart upload of [`CHUNK`]-sized parts.
///
/// # Errors
/// As [`put_known_length`]; `err_of` turns a failure of the source into the client's error.
pub async fn put_unknown_length<S, E>(
    bucket: &Bucket,
    key: &str,
    mut body: S,
    tap: &SharedTap,
    limit_text: &str,
    err_of: impl Fn(E) -> Error,
) -> Result<()>
where
    S: Stream<Item = std::result::Result<bytes::Bytes, E>> + Unpin,
{
    let mut buffer: Vec<u8> = Vec::new();
    let mut upload: Option<(worker::MultipartUpload, Vec<worker::UploadedPart>)> = None;
    let result: Result<()> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(&err_of)?;
            if !tap.borrow_mut().feed(&chunk) {
                return Err(body_failure(&tap.borrow(), None, limit_text, &"over limit"));
            }
            buffer.extend_from_slice(&chunk);
            while buffer.len() >= CHUNK {
                let rest = buffer.split_off(CHUNK);
                let part = std::mem::replace(&mut buffer, rest);
                if upload.is_none() {
                    let created = bucket
                        .create_multipart_upload(key)
                        .execute()
                        .await
                        .map_err(internal)?;
                    upload = Some((created, Vec::new()));
                }
                if let Some((up, parts)) = upload.as_mut() {
                    append_part(up, parts, part).await?;
                }
            }
        }
        match upload.take() {
            None => {
                bucket.put(key, buffer).execute().await.map_err(internal)?;
            }
            Some((up, mut parts)) => {
                if !buffer.is_empty() {
                    append_part(&up, &mut parts, std::mem::take(&mut buffer)).await?;
                }
                up.complete(parts).await.map_err(internal)?;
            }
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        if let Some((up, _)) = upload {
            let _ = up.abort().await;
        }
        delete_quietly(bucket, key).await;
    }
    result
}

/// Uploads the next part of an R2 multipart upload.
async fn append_part(
    upload: &worker::MultipartUpload,
    parts: &mut Vec<worker::UploadedPart>,
    bytes: Vec<u8>,
) -> Result<()> {
    let number = u16::try_from(parts.len() + 1).map_err(|_| Error::internal("too many parts"))?;
    parts.push(upload.upload_part(number, bytes).await.map_err(internal)?);
    Ok(())
}

/// Deletes a file, logging (not returning) a failure: the sweep will find it again.
pub async fn delete_quietly(bucket: &Bucket, key: &str) {
    if let Err(e) = bucket.delete(key).await {
        worker::console_error!("deleting {key} failed: {e}");
    }
}

/// Announces a file about to be written (see the module comment).
///
/// # Errors
/// Internal error when D1 fails.
pub async fn announce(cx: &Ctx, key: &str) -> Result<()> {
    cx.db
        .run(
            "INSERT OR REPLACE INTO pending_objects (object_key, created_at) VALUES (?1, ?2)",
            &[&key, &time::format(cx.now)],
        )
        .await
        .map(|_| ())
}

/// The statement that settles an announced file, for the batch writing its document.
pub fn settle_stmt(cx: &Ctx, key: &str) -> Result<worker::D1PreparedStatement> {
    cx.db
        .stmt("DELETE FROM pending_objects WHERE object_key = ?1", &[&key])
}

/// Forgets an announced file after it was deleted on a failed upload.
pub async fn forget(cx: &Ctx, key: &str) {
    let _ = cx
        .db
        .run("DELETE FROM pending_objects WHERE object_key = ?1", &[&key])
        .await;
}

/// The SHA-256 (hex) of the request's body of `length` bytes, read to its end without storing
/// it: to compare an upload sent again with its `Idempotency-Key` to the first one.
///
/// # Errors
/// As [`put_known_length`].
pub async fn body_sha256(cx: &mut Ctx, length: u64, limit: u64) -> Result<String> {
    let tap = Tap::new(Sha256State::new(), limit, false);
    let body = cx.req.stream().map_err(internal)?;
    drain(body, length, &tap, &size_text(limit)).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    Ok(sha256)
}

/// Reads a whole stream through a tap without storing it.
async fn drain<S>(body: S, length: u64, tap: &SharedTap, limit_text: &str) -> Result<()>
where
    S: Stream<Item = worker::Result<Vec<u8>>>,
{
    let mut stream = Box::pin(tapped(body, tap.clone()));
    while let Some(chunk) = stream.next().await {
        if let Err(e) = chunk {
            return Err(body_failure(&tap.borrow(), Some(length), limit_text, &e));
        }
    }
    let t = tap.borrow();
    if t.count == length {
        Ok(())
    } else {
        Err(body_failure(
            &t,
            Some(length),
            limit_text,
            &"length mismatch",
        ))
    }
}

/// The text of a size limit for messages (`100 MiB`).
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// A stored file as [`serve`] sends it.
pub struct StoredFile<'a> {
    pub key: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub filename: &'a str,
}

/// What [`serve`] answered.
pub enum Served {
    /// The file's bytes (200 or 206) are on their way: a download happened.
    Body(Response),
    /// No bytes went out: 304, or the headers of a HEAD.
    Headers(Response),
}

impl Served {
    /// The response, whichever it is.
    #[must_use]
    pub fn response(self) -> Response {
        match self {
            Served::Body(r) | Served::Headers(r) => r,
        }
    }
}

/// Answers a download of a file: streamed from R2 with Content-Type, RFC 6266
/// Content-Disposition, ETag = the SHA-256, one byte range (206, or 416 naming the size),
/// If-None-Match (304), and HEAD without a body. The caller has checked who may read it.
///
/// # Errors
/// 416 for a range outside the file; internal error when the file is missing from R2.
pub async fn serve(cx: &Ctx, file: &StoredFile<'_>) -> Result<Served> {
    let size = file.size;
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set("etag", &format!("\"{}\"", file.sha256))?;
    set("accept-ranges", "bytes")?;
    set("cache-control", "private, no-store")?;
    if document::etag_matches(cx.header("if-none-match").as_deref(), file.sha256) {
        return Ok(Served::Headers(
            Response::empty()
                .map_err(internal)?
                .with_status(304)
                .with_headers(headers),
        ));
    }
    let range = document::byte_range(cx.header("range").as_deref(), size);
    if range == ByteRange::Unsatisfiable {
        set("content-range", &format!("bytes */{size}"))?;
        let response =
            super::problem_response(&Error::RangeNotSatisfiable { size }).map_err(internal)?;
        let merged = response.headers().clone();
        for (name, value) in headers.entries() {
            merged.set(&name, &value).map_err(internal)?;
        }
        return Ok(Served::Headers(response.with_headers(merged)));
    }
    set("content-type", file.content_type)?;
    set(
        "content-disposition",
        &document::content_disposition(file.filename),
    )?;
    let bucket = bucket(cx)?;
    let mut get = bucket.get(file.key);
    let (status, length) = match range {
        ByteRange::Part { start, end } => {
            get = get.range(Range::OffsetWithLength {
                offset: start,
                length: end - start + 1,
            });
            set("content-range", &format!("bytes {start}-{end}/{size}"))?;
            (206, end - start + 1)
        }
        _ => (200, size),
    };
    set("content-length", &length.to_string())?;
    if super::method_name(&cx.req) == "HEAD" {
        return Ok(Served::Headers(
            Response::empty()
                .map_err(internal)?
                .with_status(status)
                .with_headers(headers),
        ));
    }
    let object = get
        .execute()
        .await
        .map_err(internal)?
        .ok_or_else(|| Error::internal(format!("file {} is missing", file.key)))?;
    let body = object
        .body()
        .ok_or_else(|| Error::internal("file without body"))?
        .response_body()
        .map_err(internal)?;
    Ok(Served::Body(
        Response::from_body(body)
            .map_err(internal)?
            .with_status(status)
            .with_headers(headers),
    ))
}
