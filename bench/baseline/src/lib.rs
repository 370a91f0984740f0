//! The bench baselines: the cheapest useful Rust worker. `/` answers a constant JSON; `/d1`
//! also reads one row from D1 by primary key, the same kind of round trip `GET /v1/me` makes.
//! scripts/bench compares the real workers with both, so the figures separate what Tradepost's
//! own code (gateway hop, token check, handler) costs from what the local D1 costs.

/// The body of every constant response.
pub const BODY: &str = r#"{"ok":true}"#;

#[cfg(target_arch = "wasm32")]
mod edge {
    use worker::{event, Context, Env, Request, Response, Result};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        if req.path() == "/d1" {
            let row: Option<serde_json::Value> = env
                .d1("DB")?
                .prepare("SELECT id, name, handle, created_at FROM companies WHERE id = ?1")
                .bind(&["co_bench".into()])?
                .first(None)
                .await?;
            return Response::from_json(&serde_json::json!({ "ok": true, "row": row }));
        }
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
