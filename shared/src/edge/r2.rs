//! [`Files`] over an R2 bucket. A body goes in through a `FixedLengthStream` (R2 needs the
//! length); a file comes out as the R2 object itself, which [`super::response_of`] hands to
//! the response untouched.

use std::any::Any;

use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use worker::{Bucket, Data, FixedLengthStream, Object, Range, UploadedPart};

use crate::platform::{ByteStream, FileBody, FileRange, Files, PlatformResult};

pub struct R2(pub Bucket);

/// An R2 object on its way out.
struct R2Body(Object);

impl FileBody for R2Body {
    fn into_stream(self: Box<Self>) -> ByteStream {
        match self.0.body().map(worker::ObjectBody::stream) {
            Some(Ok(stream)) => Box::pin(stream.map(|c| c.map_err(|e| e.to_string()))),
            Some(Err(e)) => Box::pin(futures_util::stream::iter([Err(e.to_string())])),
            None => Box::pin(futures_util::stream::iter([Err(
                "file without body".to_owned()
            )])),
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        Box::new(self.0)
    }
}

fn fixed(body: ByteStream, length: u64) -> Data {
    let stream = body.map(|c| c.map_err(worker::Error::RustError));
    Data::Stream(FixedLengthStream::wrap(stream, length))
}

fn text(e: worker::Error) -> String {
    e.to_string()
}

impl Files for R2 {
    fn put<'a>(
        &'a self,
        key: &'a str,
        body: ByteStream,
        length: u64,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            self.0
                .put(key, fixed(body, length))
                .execute()
                .await
                .map(|_| ())
                .map_err(text)
        })
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: FileRange,
    ) -> LocalBoxFuture<'a, PlatformResult<Option<Box<dyn FileBody>>>> {
        Box::pin(async move {
            let mut get = self.0.get(key);
            get = match range {
                FileRange::Whole => get,
                FileRange::From(offset) => get.range(Range::OffsetToEnd { offset }),
                FileRange::Prefix(length) => get.range(Range::Prefix { length }),
                FileRange::Slice { offset, length } => {
                    get.range(Range::OffsetWithLength { offset, length })
                }
            };
            let object = get.execute().await.map_err(text)?;
            Ok(object.map(|o| Box::new(R2Body(o)) as Box<dyn FileBody>))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move { self.0.delete(key).await.map_err(text) })
    }

    fn create_multipart<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, PlatformResult<String>> {
        Box::pin(async move {
            let upload = self
                .0
                .create_multipart_upload(key)
                .execute()
                .await
                .map_err(text)?;
            Ok(upload.upload_id().await)
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
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(text)?;
            let part = upload
                .upload_part(number, fixed(body, length))
                .await
                .map_err(text)?;
            Ok(part.etag())
        })
    }

    fn complete_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
        parts: Vec<(u16, String)>,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(text)?;
            let parts: Vec<UploadedPart> = parts
                .into_iter()
                .map(|(n, etag)| UploadedPart::new(n, etag))
                .collect();
            upload.complete(parts).await.map(|_| ()).map_err(text)
        })
    }

    fn abort_multipart<'a>(
        &'a self,
        key: &'a str,
        upload_id: &'a str,
    ) -> LocalBoxFuture<'a, PlatformResult<()>> {
        Box::pin(async move {
            let upload = self
                .0
                .resume_multipart_upload(key, upload_id)
                .map_err(text)?;
            upload.abort().await.map_err(text)
        })
    }
}
