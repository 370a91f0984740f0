//! The bench baseline: the cheapest useful Rust worker, a constant JSON answer. scripts/bench
//! compares the real workers' throughput and latency with it, so the figures show what
//! Tradepost's own code costs on top of workerd, wasm and the HTTP stack.

/// The body of every response.
pub const BODY: &str = r#"{"ok":true}"#;

#[cfg(target_arch = "wasm32")]
mod edge {
    use worker::{event, Context, Env, Request, Response, Result};

    #[event(fetch)]
    async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
        Ok(Response::builder()
            .with_header("content-type", "application/json")?
            .fixed(super::BODY.as_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_is_json() {
        let v: serde_json::Value = serde_json::from_str(super::BODY).expect("valid JSON");
        assert_eq!(v["ok"], true);
    }
}
