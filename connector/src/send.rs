//! Sending a file: one request up to the multipart threshold, else a multipart upload that
//! resumes where an interrupted one stopped. A retry never makes a second document: a single
//! upload carries an `Idempotency-Key` derived from the file and where it goes, a multipart
//! upload's id is kept in the state folder until it completed.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{Api, Document, Outgoing};
use crate::error::{retrying, Error, Result};
use crate::state;

/// Files larger than this go up in parts (the API takes up to 100 MiB in one request).
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 64 << 20;
/// The size of a part (the API takes 5 MiB to 100 MiB).
pub const DEFAULT_PART_SIZE: u64 = 16 << 20;

/// How a file is sent.
pub struct Sender<'a> {
    pub api: &'a Api,
    /// Where multipart uploads are remembered until they completed.
    pub state_dir: PathBuf,
    pub multipart_threshold: u64,
    pub part_size: u64,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// What a send did.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub document: Document,
    /// The API answered with the document an earlier try stored (same idempotency key).
    pub replayed: bool,
    /// Parts an earlier, interrupted try had uploaded already.
    pub parts_resumed: Option<u32>,
}

/// A multipart upload in flight, remembered in `<state_dir>/uploads/<key>.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct InFlight {
    upload_id: String,
    path: PathBuf,
    size: u64,
    part_size: u64,
}

impl Sender<'_> {
    /// Sends the file at `path` as `doc`, with `key` as its idempotency key (or the derived one).
    ///
    /// # Errors
    /// The file cannot be read, or the API refused it or could not be reached.
    pub fn send(&self, path: &Path, doc: &Outgoing, key: Option<&str>) -> Result<Sent> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path.display(), &e))?;
        if !meta.is_file() {
            return Err(Error::Io(format!("{}: not a file", path.display())));
        }
        let size = meta.len();
        let key = match key {
            Some(k) => k.to_owned(),
            None => idempotency_key(doc, &meta)?,
        };
        if size > self.multipart_threshold {
            self.send_in_parts(path, doc, &key, size)
        } else {
            let bar = self.bar(size, &doc.filename);
            let (document, replayed) = retrying(|| {
                bar.set_position(0);
                let reader = Progress {
                    inner: File::open(path).map_err(|e| Error::io(path.display(), &e))?,
                    bar: bar.clone(),
                };
                self.api.upload(doc, &key, reader, size)
            })?;
            bar.finish_and_clear();
            Ok(Sent {
                document,
                replayed,
                parts_resumed: None,
            })
        }
    }

    fn send_in_parts(&self, path: &Path, doc: &Outgoing, key: &str, size: u64) -> Result<Sent> {
        let memo = self.state_dir.join("uploads").join(format!("{key}.json"));
        let remembered: InFlight = state::load(&memo)?;
        let mut upload = None;
        if !remembered.upload_id.is_empty() && remembered.size == size {
            match self.api.upload_state(&remembered.upload_id) {
                Ok(u) if u.status == "completed" => {
                    if let Some(id) = &u.document_id {
                        let document = self.api.get(&format!("/v1/documents/{id}"))?;
                        let _ = std::fs::remove_file(&memo);
                        return Ok(Sent {
                            document,
                            replayed: true,
                            parts_resumed: Some(count_parts(&u.parts)),
                        });
                    }
                }
                Ok(u) if u.status == "open" => upload = Some((u, remembered.part_size)),
                // Aborted, expired or gone: start again.
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let (upload, part_size) = match upload {
            Some(u) => u,
            None => {
                let u = self.api.start_upload(doc)?;
                let part_size = self
                    .part_size
                    .clamp(u.part_size_min, u.part_size_max)
                    .max(size.div_ceil(10_000));
                state::save(
                    &memo,
                    &InFlight {
                        upload_id: u.id.clone(),
                        path: path.to_path_buf(),
                        size,
                        part_size,
                    },
                )?;
                (u, part_size)
            }
        };
        let parts = u32::try_from(size.div_ceil(part_size))
            .map_err(|_| Error::Io(format!("{}: too large", path.display())))?;
        let bar = self.bar(size, &doc.filename);
        let mut resumed = 0;
        for n in 1..=parts {
            let offset = u64::from(n - 1) * part_size;
            let len = part_size.min(size - offset);
            if upload
                .parts
                .iter()
                .any(|p| p.part_number == n && p.size == len)
            {
                resumed += 1;
                bar.inc(len);
                continue;
            }
            let start = bar.position();
            retrying(|| {
                bar.set_position(start);
                let mut file = File::open(path).map_err(|e| Error::io(path.display(), &e))?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io(path.display(), &e))?;
                let reader = Progress {
                    inner: file.take(len),
                    bar: bar.clone(),
                };
                self.api.put_part(&upload.id, n, reader, len)
            })?;
        }
        let document = retrying(|| match self.api.complete_upload(&upload.id) {
            Err(Error::Refused(p)) if p.code == "upload_completing" => {
                Err(Error::Unavailable("the upload is being completed".into()))
            }
            other => other,
        })?;
        bar.finish_and_clear();
        let _ = std::fs::remove_file(&memo);
        Ok(Sent {
            document,
            replayed: false,
            parts_resumed: Some(resumed),
        })
    }

    fn bar(&self, size: u64, name: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(size);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        bar
    }
}

fn count_parts(parts: &[crate::client::Part]) -> u32 {
    u32::try_from(parts.len()).unwrap_or(u32::MAX)
}

/// The key a send of this file, to this partner, as this type, is known by: the same after a
/// crash and a restart (same file, same place, same modification time), another for a file
/// written anew (another modification time) or sent elsewhere.
///
/// # Errors
/// The file cannot be read.
pub fn idempotency_key(doc: &Outgoing, meta: &std::fs::Metadata) -> Result<String> {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    for part in [
        doc.to.as_str(),
        doc.kind.as_str(),
        doc.filename.as_str(),
        doc.reference.as_deref().unwrap_or(""),
        doc.in_reply_to.as_deref().unwrap_or(""),
        &meta.len().to_string(),
        &mtime.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = format!("{:x}", h.finalize());
    Ok(format!("tpc-{}", &digest[..40]))
}

/// The content type a file is stored with, from its name.
#[must_use]
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xml" => "application/xml",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "edi" | "edifact" => "application/EDIFACT",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// A reader that moves a progress bar.
struct Progress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}
