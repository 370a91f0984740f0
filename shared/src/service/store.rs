//! Files into and out of the bucket, streamed: a body goes to the bucket chunk by chunk while a
//! tap counts it, hashes it (SHA-256, resumable across parts) and keeps the start of it when it
//! may be an order format worth summarising. Nothing is held whole in memory except an order
//! file of a known format up to 16 MiB, which the recogniser reads.
//!
//! Every file is announced in `pending_objects` before it is written; the row goes away in the
//! transaction that writes the row that owns it (a document, a proof, an attachment), so a file
//! whose upload was cut off is found by the orders worker's sweep and deleted.
//!
//! Files go back out through [`serve`]: streamed, with ETag (the SHA-256), one byte range, 304
//! and HEAD, the same for every worker that stores files.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;

use super::{Cx, Method, Reply, ReplyBody};
use crate::data::pending;
use crate::digest::Sha256State;
use crate::document::{self, ByteRange};
use crate::formats::{self, Format, Recognition};
use crate::platform::{ByteStream, FileRange, Files};
use crate::{Error, Result};

/// Size of the pieces a body of unknown length is written in (multipart parts).
pub const CHUNK: usize = 8 * 1024 * 1024;

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
    /// Whether the body ended, or broke off: only then is a short body the client's doing
    /// (the bucket may fail while the body is still coming).
    pub body_done: bool,
}

pub type SharedTap = Rc<RefCell<Tap>>;

impl Tap {
    /// A tap that hashes on from `hash`, refuses more than `limit` bytes, and keeps the start
    /// of the body for [`Tap::recognition`] when `recognise` is set.
    #[must_use]
    pub fn new(hash: Sha256State, limit: u64, recognise: bool) -> SharedTap {
        Rc::new(RefCell::new(Tap {
            hash,
            count: 0,
            limit,
            over_limit: false,
            keep: recognise.then(Vec::new),
            sniffed: None,
            too_big: false,
            body_done: false,
        }))
    }

    /// Takes in a chunk. `false` once the body is over the limit.
    pub fn feed(&mut self, chunk: &[u8]) -> bool {
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
    #[must_use]
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
#[must_use]
pub fn tapped(mut body: ByteStream, tap: SharedTap) -> ByteStream {
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        let item = match body.as_mut().poll_next(cx) {
            std::task::Poll::Pending => return std::task::Poll::Pending,
            std::task::Poll::Ready(item) => item,
        };
        std::task::Poll::Ready(match item {
            Some(Ok(chunk)) if tap.borrow_mut().feed(&chunk) => Some(Ok(chunk)),
            Some(Ok(_)) => Some(Err("body over the size limit".to_owned())),
            other => {
                tap.borrow_mut().body_done = true;
                other
            }
        })
    }))
}

/// The announced length of a raw file body, checked before a byte is read: required, a number,
/// not zero, at most `limit` (`over_limit` is the 413's detail).
///
/// # Errors
/// 411 without Content-Length, 400 `malformed_content_length`, 422 `body` when empty, 413.
pub fn content_length(cx: &Cx, limit: u64, over_limit: &str) -> Result<u64> {
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
#[must_use]
pub fn body_failure(tap: &Tap, declared: Option<u64>, limit: u64, err: &str) -> Error {
    if tap.over_limit {
        return Error::PayloadTooLarge {
            detail: format!("files are limited to {}", size_text(limit)),
        };
    }
    if let Some(len) = declared.filter(|len| tap.count != *len && tap.body_done) {
        return Error::bad_request(
            "body_incomplete",
            format!(
                "the body ended after {} of the {len} bytes its Content-Length announced",
                tap.count
            ),
        );
    }
    Error::internal(format!("storing a file failed: {err}"))
}

/// Writes a body of known length into the bucket at `key`, streamed through `tap`.
///
/// # Errors
/// 413 over the tap's limit, 400 `body_incomplete` when fewer bytes arrive than announced,
/// 500 when the bucket fails. Whatever was written is deleted again.
pub async fn put_known_length(
    files: &dyn Files,
    key: &str,
    body: ByteStream,
    length: u64,
    tap: &SharedTap,
    limit: u64,
) -> Result<()> {
    let outcome = files.put(key, tapped(body, tap.clone()), length).await;
    let failure = match outcome {
        Ok(()) if tap.borrow().count == length => return Ok(()),
        Ok(()) => body_failure(&tap.borrow(), Some(length), limit, "length mismatch"),
        Err(e) => body_failure(&tap.borrow(), Some(length), limit, &e),
    };
    delete_quietly(files, key).await;
    Err(failure)
}

/// Receives the request's raw body of `length` bytes (see [`content_length`]) as the file at
/// `key`: announced in `pending_objects` first, streamed into the bucket through a tap that
/// hashes it (and keeps an order file's start when `recognise`), forgotten again if it does not
/// make it. The caller settles the announcement in the batch that writes the file's row.
///
/// # Errors
/// As [`put_known_length`]; internal error when the database or the bucket fails.
pub async fn receive(
    cx: &mut Cx,
    key: &str,
    length: u64,
    limit: u64,
    recognise: bool,
) -> Result<SharedTap> {
    pending::announce(&cx.db, key, cx.now).await?;
    receive_announced(cx, key, length, limit, recognise).await
}

/// [`receive`] for a `key` already announced in `pending_objects` (by a batch of the caller's
/// checks, which saves the announcement its own round trip).
///
/// # Errors
/// As [`receive`].
pub async fn receive_announced(
    cx: &mut Cx,
    key: &str,
    length: u64,
    limit: u64,
    recognise: bool,
) -> Result<SharedTap> {
    let tap = Tap::new(Sha256State::new(), limit, recognise);
    let body = cx.req.take_body();
    if let Err(e) = put_known_length(cx.files()?, key, body, length, &tap, limit).await {
        pending::forget(&cx.db, key).await;
        return Err(e);
    }
    Ok(tap)
}

/// A named file sent as the raw body, as its headers describe it.
pub struct RawFile {
    /// From `Tradepost-Filename` (UTF-8 may be percent-encoded), checked.
    pub filename: String,
    pub content_type: String,
    pub length: u64,
}

/// Reads the headers of a file sent as the raw body (`Tradepost-Filename`, `Content-Type`,
/// `Content-Length`), at most `limit` bytes; `what` names such files in the error
/// ("attachments are limited to 25 MiB").
///
/// # Errors
/// 422 `filename`; 411 or 413 as [`content_length`].
pub fn raw_file(cx: &Cx, limit: u64, what: &str) -> Result<RawFile> {
    let filename = cx
        .header("tradepost-filename")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Error::invalid("filename", "send the Tradepost-Filename header"))?;
    let filename = crate::document::filename(&filename, true)?;
    let content_type = crate::document::content_type(cx.header("content-type").as_deref());
    let length = content_length(
        cx,
        limit,
        &format!("{what} are limited to {}", size_text(limit)),
    )?;
    Ok(RawFile {
        filename,
        content_type,
        length,
    })
}

/// An attachment received into the bucket (announced, not settled yet): its id, key and hash.
pub struct ReceivedAttachment {
    pub id: crate::ids::AttachmentId,
    pub key: String,
    pub sha256: String,
    pub file: RawFile,
}

/// Receives the body described by `file` as a new attachment of `company` (under its key,
/// `shared::talk::attachment_key`), at most `limit` bytes.
///
/// # Errors
/// As [`receive`].
pub async fn receive_attachment(
    cx: &mut Cx,
    company: &crate::ids::CompanyId,
    file: RawFile,
    limit: u64,
) -> Result<ReceivedAttachment> {
    let id = crate::ids::AttachmentId::new(cx.now)?;
    let key = crate::talk::attachment_key(company, &id);
    let tap = receive(cx, &key, file.length, limit, false).await?;
    let sha256 = tap.borrow().hash.finish_hex();
    Ok(ReceivedAttachment {
        id,
        key,
        sha256,
        file,
    })
}

/// After the write of a received file's row failed with `cause`: deletes the file and its
/// announcement when nothing was written. When the outcome is unknown (the database may have
/// committed and lost its answer) the file stays announced: if the row did land, its batch
/// settled the announcement and the file is kept; if not, the sweep deletes it. (A failure to
/// delete is logged; the sweep finds what is left.)
pub async fn discard(cx: &Cx, key: &str, cause: &Error) {
    if !cause.nothing_written() {
        return;
    }
    if let Ok(files) = cx.files() {
        delete_quietly(files, key).await;
    }
    pending::forget(&cx.db, key).await;
}

/// Writes the current part of a form (a browser's file) into the bucket at `key`: its length is
/// not known before its end, so it is held in memory up to [`CHUNK`] bytes and beyond that sent
/// as a multipart upload of [`CHUNK`]-sized parts.
///
/// # Errors
/// As [`put_known_length`]; 400 `malformed_multipart` when the form breaks off.
pub async fn put_unknown_length(
    files: &dyn Files,
    key: &str,
    form: &mut super::multipart::Form,
    tap: &SharedTap,
    limit: u64,
) -> Result<()> {
    let mut buffer: Vec<u8> = Vec::new();
    let mut upload: Option<(String, Vec<(u16, String)>)> = None;
    let result: Result<()> = async {
        while let Some(chunk) = form.chunk().await? {
            if !tap.borrow_mut().feed(&chunk) {
                return Err(body_failure(&tap.borrow(), None, limit, "over limit"));
            }
            buffer.extend_from_slice(&chunk);
            while buffer.len() >= CHUNK {
                let rest = buffer.split_off(CHUNK);
                let part = std::mem::replace(&mut buffer, rest);
                if upload.is_none() {
                    let id = files.create_multipart(key).await.map_err(Error::internal)?;
                    upload = Some((id, Vec::new()));
                }
                if let Some((id, parts)) = upload.as_mut() {
                    append_part(files, key, id, parts, part).await?;
                }
            }
        }
        match upload.as_mut() {
            None => {
                let length = buffer.len() as u64;
                let bytes = std::mem::take(&mut buffer);
                files
                    .put(key, crate::platform::files::stream_of(bytes), length)
                    .await
                    .map_err(Error::internal)?;
            }
            Some((id, parts)) => {
                if !buffer.is_empty() {
                    append_part(files, key, id, parts, std::mem::take(&mut buffer)).await?;
                }
                files
                    .complete_multipart(key, id, std::mem::take(parts))
                    .await
                    .map_err(Error::internal)?;
            }
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        if let Some((id, _)) = &upload {
            let _ = files.abort_multipart(key, id).await;
        }
        delete_quietly(files, key).await;
    }
    result
}

/// Uploads the next part of a multipart upload.
async fn append_part(
    files: &dyn Files,
    key: &str,
    upload_id: &str,
    parts: &mut Vec<(u16, String)>,
    bytes: Vec<u8>,
) -> Result<()> {
    let number = u16::try_from(parts.len() + 1).map_err(|_| Error::internal("too many parts"))?;
    let length = bytes.len() as u64;
    let etag = files
        .upload_part(
            key,
            upload_id,
            number,
            crate::platform::files::stream_of(bytes),
            length,
        )
        .await
        .map_err(Error::internal)?;
    parts.push((number, etag));
    Ok(())
}

/// Deletes a file, logging (not returning) a failure: the sweep will find it again.
pub async fn delete_quietly(files: &dyn Files, key: &str) {
    if let Err(e) = files.delete(key).await {
        super::log_error(&format!("deleting {key} failed: {e}"));
    }
}

/// The SHA-256 (hex) of the request's body of `length` bytes, read to its end without storing
/// it: to compare an upload sent again with its `Idempotency-Key` to the first one.
///
/// # Errors
/// 413 over `limit`, 400 `body_incomplete` when the body is shorter than announced.
pub async fn body_sha256(cx: &mut Cx, length: u64, limit: u64) -> Result<String> {
    let tap = Tap::new(Sha256State::new(), limit, false);
    let mut stream = tapped(cx.req.take_body(), tap.clone());
    while let Some(chunk) = stream.next().await {
        if let Err(e) = chunk {
            return Err(body_failure(&tap.borrow(), Some(length), limit, &e));
        }
    }
    let t = tap.borrow();
    if t.count == length {
        Ok(t.hash.finish_hex())
    } else {
        Err(body_failure(&t, Some(length), limit, "length mismatch"))
    }
}

/// The text of a size limit for messages (`100 MiB`).
#[must_use]
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
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
    Body(Reply),
    /// No bytes went out: 304, 416, or the headers of a HEAD.
    Headers(Reply),
}

impl Served {
    /// The answer, whichever it is.
    #[must_use]
    pub fn reply(self) -> Reply {
        match self {
            Served::Body(r) | Served::Headers(r) => r,
        }
    }
}

/// Answers a download of a file: streamed from the bucket with Content-Type, RFC 6266
/// Content-Disposition, ETag = the SHA-256, one byte range (206, or 416 naming the size),
/// If-None-Match (304), and HEAD without a body. The caller has checked who may read it.
///
/// Whatever content type its uploader declared, a file never runs as a page of our origin:
/// `X-Content-Type-Options: nosniff` keeps browsers from guessing a type, and
/// `Content-Security-Policy: sandbox` opens it, even as HTML or SVG, in a sandbox of a unique
/// origin without scripts, forms or plugins.
///
/// # Errors
/// Internal error when the file is missing from the bucket.
pub async fn serve(cx: &Cx, file: &StoredFile<'_>) -> Result<Served> {
    let size = file.size;
    let mut reply = Reply::status(200)
        .with_header("etag", format!("\"{}\"", file.sha256))
        .with_header("accept-ranges", "bytes")
        .with_header("cache-control", "private, no-store")
        .with_header("x-content-type-options", "nosniff")
        .with_header("content-security-policy", "sandbox");
    if document::etag_matches(cx.header("if-none-match").as_deref(), file.sha256) {
        reply.status = 304;
        return Ok(Served::Headers(reply));
    }
    let range = document::byte_range(cx.header("range").as_deref(), size);
    if range == ByteRange::Unsatisfiable {
        let mut problem = Reply::problem(&Error::RangeNotSatisfiable { size });
        for (name, value) in reply.headers {
            problem.set_header(&name, value);
        }
        return Ok(Served::Headers(problem));
    }
    reply.set_header("content-type", file.content_type);
    reply.set_header(
        "content-disposition",
        document::content_disposition(file.filename),
    );
    let (status, length, wanted) = match range {
        ByteRange::Part { start, end } => {
            reply.set_header("content-range", format!("bytes {start}-{end}/{size}"));
            (
                206,
                end - start + 1,
                FileRange::Slice {
                    offset: start,
                    length: end - start + 1,
                },
            )
        }
        _ => (200, size, FileRange::Whole),
    };
    reply.status = status;
    reply.set_header("content-length", length.to_string());
    if cx.req.method == Method::Head {
        return Ok(Served::Headers(reply));
    }
    let body = cx
        .files()?
        .get(file.key, wanted)
        .await
        .map_err(Error::internal)?
        .ok_or_else(|| Error::internal(format!("file {} is missing", file.key)))?;
    reply.body = ReplyBody::File(body);
    Ok(Served::Body(reply))
}

/// An order file Tradepost wrote for a customer into its supplier's inbox: in the bucket
/// already, kept by the caller's batch of [`OrderDeposit::stmts`]; if that batch fails, the
/// caller hands the error to [`discard`] with [`OrderDeposit::key`].
pub struct OrderDeposit {
    pub document_id: crate::ids::DocumentId,
    pub key: String,
    /// The document, its first history entry, the settled pending row, the event.
    pub stmts: Vec<crate::data::Statement>,
    /// `document.deposited`, to publish once the batch is in.
    pub event: crate::event::Event,
}

/// Deposits the order file `order` named `filename` from `me` to the supplier of `link` (a new
/// order document, recognised and summarised like an uploaded one) and returns what keeps it.
///
/// # Errors
/// A database or bucket error (nothing is left behind).
pub async fn deposit_order(
    cx: &Cx,
    me: &crate::permissions::Principal,
    link: &crate::data::relationships::Link,
    order: crate::quote::WrittenOrder,
    filename: &str,
) -> Result<OrderDeposit> {
    use crate::data::documents::{self, Entry, NewDocument};
    use crate::document::{Actor, DocumentStatus, DocumentType, EventFacts};
    use crate::time::Time;
    let crate::quote::WrittenOrder {
        reference,
        bytes: xml,
        summary,
    } = order;
    let document_id = crate::ids::DocumentId::new(cx.now)?;
    let key = document::object_key(&link.supplier_id, &document_id);
    let size = xml.len() as u64;
    let sha256 = crate::digest::sha256_hex(&xml);
    let (format, summary, parse_error) = Recognition::Recognised(summary).columns();
    pending::announce(&cx.db, &key, cx.now).await?;
    if let Err(e) = cx
        .files()?
        .put(&key, crate::platform::files::stream_of(xml), size)
        .await
        .map_err(Error::internal)
    {
        pending::forget(&cx.db, &key).await;
        return Err(e);
    }
    let now = Time(cx.now);
    let facts = EventFacts {
        id: document_id.clone(),
        kind: DocumentType::Order.as_str().to_owned(),
        filename: filename.to_owned(),
        size,
        sha256: sha256.clone(),
        sender_id: me.company_id.clone(),
        recipient_id: link.supplier_id.clone(),
        reference: Some(reference.clone()),
        customer_number: link.customer_number.clone(),
        status: DocumentStatus::New.as_str().to_owned(),
        summary: summary.clone(),
    };
    let event = crate::event::Event::new(
        "document.deposited",
        &link.supplier_id,
        facts.data(),
        cx.now,
    )?;
    let stmts = vec![
        documents::insert_stmt(&NewDocument {
            id: &document_id,
            relationship_id: &link.id,
            sender: me,
            recipient_id: &link.supplier_id,
            kind: DocumentType::Order,
            filename,
            content_type: "application/xml",
            size,
            sha256: &sha256,
            object_key: &key,
            reference: Some(&reference),
            customer_number: link.customer_number.as_deref(),
            in_reply_to: None,
            order_id: &document_id,
            status: DocumentStatus::New,
            format: format.as_deref(),
            summary: summary.as_deref(),
            parse_error: parse_error.as_deref(),
            idempotency_key: None,
            now,
        }),
        documents::history_stmt(
            &document_id,
            DocumentStatus::New,
            Actor::Sender,
            Some(me),
            &Entry {
                reference: Some(&reference),
                ..Entry::default()
            },
            false,
            now,
        ),
        pending::settle_stmt(&key),
        crate::data::events::insert_stmt(&event),
    ];
    Ok(OrderDeposit {
        document_id,
        key,
        stmts,
        event,
    })
}
