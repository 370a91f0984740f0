//! [`Files`] in memory, with multipart uploads, behaving as R2 does where it matters: a body
//! must be exactly its announced length or nothing is written, parts are assembled in the
//! order given and checked against their etags.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use shared::platform::files::stream_of;
use shared::platform::{ByteStream, FileBody, FileRange, Files, PlatformResult};

use crate::yield_now;

/// An unfinished multipart upload: its key and the parts stored so far.
type Upload = (String, BTreeMap<u16, Vec<u8>>);

#[derive(Default)]
pub struct MemoryFiles {
    pub objects: RefCell<HashMap<String, Vec<u8>>>,
    uploads: RefCell<HashMap<String, Upload>>,
    next_upload: Cell<u64>,
    /// Operations counted so far, and which (by number) fail: before they act, or after
    /// (done, but the caller hears of a failure, as when the answer is lost).
    calls: Cell<u64>,
    fail_at: RefCell<Vec<(u64, bool)>>,
}

/// A file's bytes on their way out.
pub struct MemoryBody(pub Vec<u8>);

impl FileBody for MemoryBody {
    fn into_stream(self: Box<Self>) -> ByteStream {
        stream_of(self.0)
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        Box::new(self.0)
    }
}

async fn collect(mut body: ByteStream, length: u64) -> PlatformResult<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
        if out.len() as u64 > length {
            return Err("the stream is longer than its announced length".to_owned());
        }
    }
    if out.len() as u64 == length {
        Ok(out)
    } else {
        Err(format!(
            "the stream ended after {} of {length} bytes",
            out.len()
        ))
    }
}

/// What an operation answers: its value, or a failure after it acted (fault injection).
fn answer<T>(lost: bool, op: &str, value: T) -> PlatformResult<T> {
    if lost {
        Err(format!("{op} failed after it was done (injected)"))
    } else {
        Ok(value)
    }
}

fn etag(bytes: &[u8]) -> String {
    shared::secrets::sha256_hex(bytes)[..32].to_owned()
}

impl MemoryFiles {
    /// Makes the `n`-th operation from now (1 = the next) fail: before it acts, or after it
    /// acted when `after`.
    pub fn fail_nth(&self, n: u64, after: bool) {
        self.fail_at
            .borrow_mut()
            .push((self.calls.get() + n, after));
    }

    /// How many operations ran so far.
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.calls.get()
    }

    /// Whether `op` fails now: `Err` before it acts, `Ok(true)` once it has acted.
    fn check(&self, op: &'static str) -> PlatformResult<bool> {
        self.calls.set(self.calls.get() + 1);
        let now = self.calls.get();
        let mut fail_at = self.fail_at.borrow_mut();
        if let Some(i) = fail_at.iter().position(|(at, _)| *at == now) {
            let (_, after) = fail_at.remove(i);
            if !after {
                return Err(format!("{op} failed (injected)"));
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// The bytes stored at `key`.
    #[must_use]
    pub fn read(&self, key: &str) -> Option<Vec<u8>> {
        self.objects.borrow().get(key).cloned()
    }

    /// The keys stored.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.objects.borrow().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// How many multipart uploads are unfinished.
    #[must_use]
    pub fn open_uploads(&self) -> usize {
        self.uploads.borrow().len()
    }
}

impl Files for MemoryFiles {
    fn put<'a>(
        &'a self,
        key: &'a str,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("put")?;
            let bytes = collect(body, length).await?;
            self.objects.borrow_mut().insert(key.to_owned(), bytes);
            answer(lost, "put", ())
        })
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: FileRange,
    ) -> LocalBoxFuture<'a, PlatformResult<Option<Box<dyn FileBody>>>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("get")?;
            let objects = self.objects.borrow();
            let Some(bytes) = objects.get(key) else {
                return Ok(None);
            };
            let len = bytes.len();
            let clamp = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).min(len);
            let slice = match range {
                FileRange::Whole => &bytes[..],
                FileRange::From(offset) => &bytes[clamp(offset)..],
                FileRange::Prefix(length) => &bytes[..clamp(length)],
                FileRange::Slice { offset, length } => {
                    let start = clamp(offset);
                    &bytes[start..clamp(offset.saturating_add(length)).max(start)]
                }
            };
            answer(
                lost,
                "get",
                Some(Box::new(MemoryBody(slice.to_vec())) as Box<dyn FileBody>),
            )
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("delete")?;
            self.objects.borrow_mut().remove(key);
            answer(lost, "delete", ())
        })
    }

    fn create_multipart<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<String>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("create_multipart")?;
            let n = self.next_upload.get() + 1;
            self.next_upload.set(n);
            let id = format!("mpu-{n}");
            self.uploads
                .borrow_mut()
                .insert(id.clone(), (key.to_owned(), BTreeMap::new()));
            answer(lost, "create_multipart", id)
        })
    }

    fn upload_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: u16,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<String>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("upload_part")?;
            let bytes = collect(body, length).await?;
            let tag = etag(&bytes);
            let mut uploads = self.uploads.borrow_mut();
            let (upload_key, parts) = uploads
                .get_mut(upload_id)
                .ok_or_else(|| "the specified multipart upload does not exist".to_owned())?;
            if upload_key != key {
                return Err("the multipart upload belongs to another key".to_owned());
            }
            parts.insert(number, bytes);
            answer(lost, "upload_part", tag)
        })
    }

    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<(u16, String)>,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("complete_multipart")?;
            let mut uploads = self.uploads.borrow_mut();
            let (upload_key, stored) = uploads
                .get(upload_id)
                .ok_or_else(|| "the specified multipart upload does not exist".to_owned())?;
            if upload_key != key {
                return Err("the multipart upload belongs to another key".to_owned());
            }
            let mut file = Vec::new();
            for (number, tag) in &parts {
                let bytes = stored
                    .get(number)
                    .ok_or_else(|| format!("part {number} was not uploaded"))?;
                if &etag(bytes) != tag {
                    return Err(format!("part {number} has another etag"));
                }
                file.extend_from_slice(bytes);
            }
            uploads.remove(upload_id);
            self.objects.borrow_mut().insert(key.to_owned(), file);
            answer(lost, "complete_multipart", ())
        })
    }

    fn abort_multipart<'a>(
        &'a self,
        _key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            yield_now().await;
            let lost = self.check("abort_multipart")?;
            self.uploads.borrow_mut().remove(upload_id);
            answer(lost, "abort_multipart", ())
        })
    }
}
