//! The file bucket (R2): bodies go in streamed with a known length, come out streamed (or
//! handed to the response as they are), and large files go up in parts.

use std::any::Any;
use std::pin::Pin;

use futures_util::future::LocalBoxFuture;
use futures_util::Stream;

use super::PlatformResult;

/// A body as chunks of bytes; an `Err` ends it (the text says why).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, String>>>>;

/// A stream of one chunk.
#[must_use]
pub fn stream_of(bytes: Vec<u8>) -> ByteStream {
    Box::pin(futures_util::stream::iter(std::iter::once(Ok(bytes))))
}

/// Which bytes of a file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRange {
    Whole,
    /// From this offset to the end.
    From(u64),
    /// The first this many bytes.
    Prefix(u64),
    /// `length` bytes from `offset`.
    Slice {
        offset: u64,
        length: u64,
    },
}

/// A stored file's bytes on their way out: read in Rust, or passed to the response untouched
/// (the adapter that made it knows how; see [`FileBody::into_any`]).
pub trait FileBody {
    /// The bytes as a stream.
    fn into_stream(self: Box<Self>) -> ByteStream;
    /// The platform's own value, for the adapter that answers with it.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// The bucket. Keys start with the id of the company that owns the file.
pub trait Files {
    /// Writes `body`, which must be exactly `length` bytes; fails (writing nothing) otherwise.
    fn put<'a>(
        &'a self,
        key: &'a str,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<()>>;
    /// Reads a file, `None` when there is none.
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: FileRange,
    ) -> LocalBoxFuture<'a, PlatformResult<Option<Box<dyn FileBody>>>>;
    /// Deletes a file (none there is fine).
    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<()>>;
    /// Starts a multipart upload; returns its id.
    fn create_multipart<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<String>>;
    /// Writes part `number` (exactly `length` bytes); returns its etag.
    fn upload_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: u16,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<String>>;
    /// Assembles the parts (number, etag) into the file at `key`.
    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<(u16, String)>,
    ) -> LocalBoxFuture<'a, PlatformResult<()>>;
    /// Drops an unfinished multipart upload (gone already is fine).
    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, PlatformResult<()>>;
}

/// Reads a whole body into memory (a file known to be small).
///
/// # Errors
/// The stream's error.
pub async fn read_all(body: Box<dyn FileBody>) -> PlatformResult<Vec<u8>> {
    use futures_util::StreamExt;
    let mut stream = body.into_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// A bucket that counts its calls and their time, for `Server-Timing` (as [`super::Db`] counts
/// round trips). A read counts until its answer starts, not until its body has streamed out.
pub struct TimedFiles {
    inner: std::rc::Rc<dyn Files>,
    clock: std::rc::Rc<dyn Fn() -> f64>,
    trips: std::rc::Rc<std::cell::Cell<super::Trips>>,
}

impl TimedFiles {
    /// Wraps `inner`; `millis` reads a monotonic clock.
    #[must_use]
    pub fn new(inner: std::rc::Rc<dyn Files>, millis: std::rc::Rc<dyn Fn() -> f64>) -> TimedFiles {
        TimedFiles {
            inner,
            clock: millis,
            trips: std::rc::Rc::default(),
        }
    }

    /// The calls made so far through this handle, and their time.
    #[must_use]
    pub fn trips(&self) -> std::rc::Rc<std::cell::Cell<super::Trips>> {
        self.trips.clone()
    }

    fn timed<'a, T: 'a>(
        &'a self,
        call: LocalBoxFuture<'a, PlatformResult<T>>,
    ) -> LocalBoxFuture<'a, PlatformResult<T>> {
        Box::pin(async move {
            let started = (self.clock)();
            let outcome = call.await;
            let mut t = self.trips.get();
            t.count += 1;
            t.millis += (self.clock)() - started;
            self.trips.set(t);
            outcome
        })
    }
}

impl Files for TimedFiles {
    fn put<'a>(
        &'a self,
        key: &'a str,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        self.timed(self.inner.put(key, body, length))
    }
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: FileRange,
    ) -> LocalBoxFuture<'a, PlatformResult<Option<Box<dyn FileBody>>>> {
        self.timed(self.inner.get(key, range))
    }
    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<()>> {
        self.timed(self.inner.delete(key))
    }
    fn create_multipart<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<String>> {
        self.timed(self.inner.create_multipart(key))
    }
    fn upload_part<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        number: u16,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<String>> {
        self.timed(self.inner.upload_part(key, upload_id, number, body, length))
    }
    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<(u16, String)>,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        self.timed(self.inner.complete_multipart(key, upload_id, parts))
    }
    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        self.timed(self.inner.abort_multipart(key, upload_id))
    }
}
