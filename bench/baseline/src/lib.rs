//! The bench baselines: the cheapest useful Rust worker. `/` answers a constant JSON; `/d1`
//! also reads one row from D1 by primary key, the same kind of round trip `GET /v1/me` makes;
//! `POST /d1` writes one row (the write a talk message needs at the least).
//! `POST /r2` and `GET /r2/{key}` do only the storage work of a document upload and download:
//! one R2 put and one D1 insert (into `pending_objects`, the row an upload announces its file
//! with), and one D1 select by primary key and one R2 get streamed back.
//! `POST /mpu`, `PUT /mpu/{key}?upload_id=…&part=N` and `POST /mpu/{key}/complete?upload_id=…`
//! do only the R2 work of a multipart upload (the part's body streamed straight into R2; the
//! completion also writes the `pending_objects` row, so `GET /r2/{key}` serves the file): the
//! floor of the memory bench, a big file up in parts and down again.
//! scripts/bench compares the real workers with these, so the figures separate what Tradepost's
//! own code (gateway hop, token check, handler) costs from what the local D1 and R2 cost.

/// The body of every constant response.
pub const BODY: &str = r#"{"ok":true}"#;

/// The R2 key (and `pending_objects` row) of an isolate's `n`-th upload, made at `now_millis`:
/// unique within the isolate, and across isolates in practice.
#[must_use]
pub fn object_key(now_millis: u64, n: u64) -> String {
    format!("bench-{now_millis:x}-{n:x}")
}

/// Whether `key` looks like a key [`object_key`] made (anything else is a 404, unread).
#[must_use]
pub fn valid_key(key: &str) -> bool {
    key.len() <= 64
        && key.starts_with("bench-")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(target_arch = "wasm32")]
mod edge {
    use std::sync::atomic::{AtomicU64, Ordering};

    use worker::{
        event, Context, Data, Date, Env, FixedLengthStream, Method, Request, Response, Result,
        UploadedPart,
    };

    static UPLOADS: AtomicU64 = AtomicU64::new(0);

    #[event(fetch)]
    async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
        let path = req.path();
        if path == "/d1" && req.method() == Method::Post {
            // One D1 insert, like the least a posted message costs.
            let now = Date::now().as_millis();
            let key = super::object_key(now, UPLOADS.fetch_add(1, Ordering::Relaxed));
            env.d1("DB")?
                .prepare(
                    "INSERT OR REPLACE INTO pending_objects (object_key, created_at) \
                     VALUES (?1, ?2)",
                )
                .bind(&[key.clone().into(), now.to_string().into()])?
                .run()
                .await?;
            return Ok(Response::from_json(&serde_json::json!({ "key": key }))?.with_status(201));
        }
        if path == "/d1" {
            let row: Option<serde_json::Value> = env
                .d1("DB")?
                .prepare("SELECT id, name, handle, created_at FROM companies WHERE id = ?1")
                .bind(&["co_bench".into()])?
                .first(None)
                .await?;
            return Response::from_json(&serde_json::json!({ "ok": true, "row": row }));
        }
        if path == "/r2" && req.method() == Method::Post {
            // One R2 put and one D1 insert, like the storage work of POST /v1/documents.
            let body = req.bytes().await?;
            let size = body.len();
            let now = Date::now().as_millis();
            let key = super::object_key(now, UPLOADS.fetch_add(1, Ordering::Relaxed));
            env.bucket("FILES")?.put(&key, body).execute().await?;
            env.d1("DB")?
                .prepare(
                    "INSERT OR REPLACE INTO pending_objects (object_key, created_at) \
                     VALUES (?1, ?2)",
                )
                .bind(&[key.clone().into(), now.to_string().into()])?
                .run()
                .await?;
            return Ok(
                Response::from_json(&serde_json::json!({ "key": key, "size": size }))?
                    .with_status(201),
            );
        }
        if path == "/mpu" && req.method() == Method::Post {
            let now = Date::now().as_millis();
            let key = super::object_key(now, UPLOADS.fetch_add(1, Ordering::Relaxed));
            let upload = env
                .bucket("FILES")?
                .create_multipart_upload(key.clone())
                .execute()
                .await?;
            let upload_id = upload.upload_id().await;
            return Ok(Response::from_json(
                &serde_json::json!({ "key": key, "upload_id": upload_id }),
            )?
            .with_status(201));
        }
        if let Some(rest) = path.strip_prefix("/mpu/") {
            return multipart(req, &env, rest).await;
        }
        if let Some(key) = path.strip_prefix("/r2/") {
            // One D1 select and one R2 get, streamed back, like GET /v1/documents/{id}/content.
            if !super::valid_key(key) {
                return Response::error("not found", 404);
            }
            let row: Option<serde_json::Value> = env
                .d1("DB")?
                .prepare("SELECT object_key, created_at FROM pending_objects WHERE object_key = ?1")
                .bind(&[key.into()])?
                .first(None)
                .await?;
            if row.is_none() {
                return Response::error("not found", 404);
            }
            let Some(object) = env.bucket("FILES")?.get(key).execute().await? else {
                return Response::error("file missing", 500);
            };
            let size = object.size();
            let Some(body) = object.body() else {
                return Response::error("file without body", 500);
            };
            let body = body.response_body()?;
            let response = Response::from_body(body)?;
            response.headers().set("content-type", "application/xml")?;
            response
                .headers()
                .set("content-length", &size.to_string())?;
            return Ok(response);
        }
        Ok(Response::builder()
            .with_header("content-type", "application/json")?
            .fixed(super::BODY.as_bytes().to_vec()))
    }

    /// `PUT /mpu/{key}?upload_id=…&part=N` (a part, streamed into R2) and
    /// `POST /mpu/{key}/complete?upload_id=…` (body: `[[N, "etag"], …]`).
    async fn multipart(mut req: Request, env: &Env, rest: &str) -> Result<Response> {
        let query: Vec<(String, String)> = req.url()?.query_pairs().into_owned().collect();
        let arg = |name: &str| {
            query
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let (key, complete) = match rest.strip_suffix("/complete") {
            Some(key) => (key, true),
            None => (rest, false),
        };
        let Some(upload_id) = arg("upload_id") else {
            return Response::error("upload_id missing", 400);
        };
        if !super::valid_key(key) {
            return Response::error("not found", 404);
        }
        let upload = env
            .bucket("FILES")?
            .resume_multipart_upload(key, upload_id)?;
        if complete && req.method() == Method::Post {
            let parts: Vec<(u16, String)> = req.json().await?;
            upload
                .complete(
                    parts
                        .into_iter()
                        .map(|(n, etag)| UploadedPart::new(n, etag)),
                )
                .await?;
            env.d1("DB")?
                .prepare(
                    "INSERT OR REPLACE INTO pending_objects (object_key, created_at) \
                     VALUES (?1, ?2)",
                )
                .bind(&[key.into(), Date::now().as_millis().to_string().into()])?
                .run()
                .await?;
            return Ok(Response::from_json(&serde_json::json!({ "key": key }))?.with_status(201));
        }
        if complete || req.method() != Method::Put {
            return Response::error("method not allowed", 405);
        }
        let Some(part) = arg("part").and_then(|p| p.parse::<u16>().ok()) else {
            return Response::error("part missing", 400);
        };
        let Some(length) = req
            .headers()
            .get("content-length")?
            .and_then(|l| l.parse::<u64>().ok())
        else {
            return Response::error("content-length missing", 411);
        };
        let body = Data::Stream(FixedLengthStream::wrap(req.stream()?, length));
        let uploaded = upload.upload_part(part, body).await?;
        Response::from_json(&serde_json::json!({ "part": part, "etag": uploaded.etag() }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_is_json() {
        let v: serde_json::Value = serde_json::from_str(super::BODY).expect("valid JSON");
        assert_eq!(v["ok"], true);
    }

    #[test]
    fn keys_are_accepted_back() {
        let key = super::object_key(1_700_000_000_000, 42);
        assert!(super::valid_key(&key), "{key}");
        assert_ne!(key, super::object_key(1_700_000_000_000, 43));
        assert!(!super::valid_key("../etc"));
        assert!(!super::valid_key("bench-a/b"));
    }
}
