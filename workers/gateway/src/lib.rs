//! The gateway: Tradepost's public entry point.
//!
//! It owns the routing table that sends each `/v1/…` path to the worker that serves it (through
//! a service binding, the request forwarded unchanged and its body streamed) and
//! `/v1/openapi.json`. The portal is static files (`portal/`, see docs/portal.md) that Workers
//! static assets serve in front of this worker. Everything but the `#[event(fetch)]` glue is platform-free and tested
//! natively.

use shared::error::Problem;

/// Path pattern → service binding that serves it. A pattern matches whole path segments
/// (`/v1/users` matches `/v1/users` and `/v1/users/…`, never `/v1/usersx`); a `*` segment
/// matches any one segment, so `/v1/documents/*/proofs` can go to another worker than
/// `/v1/documents`. The most specific pattern (most segments) wins, the first row on a tie.
/// New workers join by adding rows and a `[[services]]` binding in the root wrangler.toml.
pub const ROUTES: &[(&str, &str)] = &[
    ("/v1/auth", "REGISTRY"),
    ("/v1/me", "REGISTRY"),
    ("/v1/users", "REGISTRY"),
    ("/v1/api-keys", "REGISTRY"),
    ("/v1/companies", "REGISTRY"),
    ("/v1/relationships", "REGISTRY"),
    ("/v1/cards", "REGISTRY"),
    ("/v1/contacts", "REGISTRY"),
    ("/v1/dev", "REGISTRY"),
    ("/v1/documents", "ORDERS"),
    ("/v1/uploads", "ORDERS"),
    ("/v1/dev/sweep", "ORDERS"),
    ("/v1/documents/*/proofs", "APPROVALS"),
    ("/v1/approvals", "APPROVALS"),
    ("/v1/threads", "TALK"),
    ("/v1/attachments", "TALK"),
    ("/v1/webhooks", "NOTIFY"),
    ("/v1/me/notifications", "NOTIFY"),
    ("/v1/dev/deliveries", "NOTIFY"),
];

/// The OpenAPI 3.1 document of the whole API, served at `/v1/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// What the gateway does with a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/v1/openapi.json`.
    OpenApi,
    /// Forward to the worker behind this service binding.
    Service(&'static str),
    /// A path outside `/v1`: the portal's static files (the `ASSETS` binding). Workers static
    /// assets answer these before the worker runs (`run_worker_first = ["/v1/*"]`); the worker
    /// passes on any that still reach it.
    Portal,
    /// No worker serves this `/v1` path.
    NotFound,
}

/// Picks the route for a request path (without query string) from [`ROUTES`].
#[must_use]
pub fn route(path: &str) -> Route {
    route_in(ROUTES, path)
}

/// [`route`] over any table; separate so tests can exercise table shapes that do not exist yet.
#[must_use]
pub fn route_in(table: &[(&'static str, &'static str)], path: &str) -> Route {
    if path == "/v1/openapi.json" {
        return Route::OpenApi;
    }
    if path != "/v1" && !path.starts_with("/v1/") {
        return Route::Portal;
    }
    let mut best: Option<(usize, &'static str)> = None;
    for &(pattern, binding) in table {
        if let Some(len) = pattern_matches(pattern, path) {
            if best.is_none_or(|(best_len, _)| len > best_len) {
                best = Some((len, binding));
            }
        }
    }
    best.map_or(Route::NotFound, |(_, binding)| Route::Service(binding))
}

/// `Some(number of segments in pattern)` when `pattern` is a segment-wise prefix of `path`.
fn pattern_matches(pattern: &str, path: &str) -> Option<usize> {
    let mut path_segments = path.strip_prefix('/')?.split('/');
    let mut count = 0;
    for want in pattern.strip_prefix('/')?.split('/') {
        let have = path_segments.next()?;
        if have.is_empty() || (want != "*" && want != have) {
            return None;
        }
        count += 1;
    }
    Some(count)
}

/// The distinct service bindings of [`ROUTES`], in table order.
#[must_use]
pub fn bindings() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for &(_, binding) in ROUTES {
        if !out.contains(&binding) {
            out.push(binding);
        }
    }
    out
}

/// The problem sent when a route's worker is not bound (not deployed, or not in the local
/// session). `shared::Error` has no 503 variant: only the gateway can be in this situation.
#[must_use]
pub fn service_unavailable(binding: &str) -> Problem {
    Problem {
        type_: "https://tradepost.dev/problems/service_unavailable".to_owned(),
        title: "Service unavailable".to_owned(),
        status: 503,
        code: "service_unavailable".to_owned(),
        detail: format!(
            "the service behind this path ({}) is not available right now",
            binding.to_ascii_lowercase()
        ),
        field: None,
    }
}

/// The portal's text catalogues, one per language (`portal/i18n/*.json`); compiled in only so
/// the tests can check that they agree.
pub const CATALOGUES: &[(&str, &str)] = &[
    ("en", include_str!("../portal/i18n/en.json")),
    ("de", include_str!("../portal/i18n/de.json")),
    ("pl", include_str!("../portal/i18n/pl.json")),
];

#[cfg(target_arch = "wasm32")]
mod edge {
    //! The fetch handler: platform glue around the pure routing above.

    use super::{route, service_unavailable, Route, OPENAPI_JSON};
    use shared::error::Problem;
    use worker::{console_error, event, Context, Env, Method, Request, Response, Result};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        let path = req.path();
        match route(&path) {
            Route::OpenApi => static_response(&req, "application/json", OPENAPI_JSON.to_owned()),
            Route::Portal => match env.assets("ASSETS") {
                Ok(assets) => assets.fetch_request(req).await,
                Err(err) => {
                    console_error!("gateway: binding ASSETS missing: {err}");
                    problem(&service_unavailable("ASSETS"))
                }
            },
            Route::Service(binding) => match env.service(binding) {
                Ok(service) => match service.fetch_request(req).await {
                    Ok(resp) => Ok(resp),
                    Err(err) => {
                        console_error!("gateway: {binding} failed: {err}");
                        problem(&service_unavailable(binding))
                    }
                },
                Err(err) => {
                    console_error!("gateway: binding {binding} missing: {err}");
                    problem(&service_unavailable(binding))
                }
            },
            Route::NotFound => problem(&shared::Error::not_found("route").problem()),
        }
    }

    fn static_response(req: &Request, content_type: &str, body: String) -> Result<Response> {
        match req.method() {
            Method::Get => Ok(Response::builder()
                .with_header("content-type", content_type)?
                .with_header("cache-control", "no-cache")?
                .fixed(body.into_bytes())),
            Method::Head => Ok(Response::builder()
                .with_header("content-type", content_type)?
                .empty()),
            _ => {
                let resp = problem(&shared::Error::MethodNotAllowed.problem())?;
                resp.headers().set("allow", "GET, HEAD")?;
                Ok(resp)
            }
        }
    }

    fn problem(p: &Problem) -> Result<Response> {
        let body = serde_json::to_vec(p).map_err(|e| worker::Error::RustError(e.to_string()))?;
        Ok(Response::builder()
            .with_status(p.status)
            .with_header("content-type", "application/problem+json")?
            .fixed(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_prefix_routes_to_the_registry() {
        for prefix in [
            "/v1/auth",
            "/v1/me",
            "/v1/users",
            "/v1/api-keys",
            "/v1/companies",
            "/v1/relationships",
            "/v1/cards",
            "/v1/contacts",
            "/v1/dev",
        ] {
            assert_eq!(route(prefix), Route::Service("REGISTRY"), "{prefix}");
            assert_eq!(
                route(&format!("{prefix}/")),
                Route::Service("REGISTRY"),
                "{prefix}/"
            );
            assert_eq!(
                route(&format!("{prefix}/x/y")),
                Route::Service("REGISTRY"),
                "{prefix}/x/y"
            );
        }
        assert_eq!(route("/v1/auth/login"), Route::Service("REGISTRY"));
        assert_eq!(
            route("/v1/documents/doc_1/content"),
            Route::Service("ORDERS")
        );
        assert_eq!(route("/v1/uploads/upl_1/parts/2"), Route::Service("ORDERS"));
        assert_eq!(route("/v1/dev/sweep"), Route::Service("ORDERS"));
        assert_eq!(
            route("/v1/documents/doc_1/proofs"),
            Route::Service("APPROVALS")
        );
        assert_eq!(
            route("/v1/approvals/apr_1/content"),
            Route::Service("APPROVALS")
        );
        assert_eq!(route("/v1/threads/thr_1/messages"), Route::Service("TALK"));
        assert_eq!(route("/v1/attachments"), Route::Service("TALK"));
        assert_eq!(route("/v1/webhooks/whk_1/ping"), Route::Service("NOTIFY"));
        assert_eq!(route("/v1/me/notifications"), Route::Service("NOTIFY"));
        assert_eq!(route("/v1/me"), Route::Service("REGISTRY"));
        assert_eq!(route("/v1/dev/mail"), Route::Service("REGISTRY"));
        assert_eq!(route("/v1/auth/jwks.json"), Route::Service("REGISTRY"));
        assert_eq!(
            route("/v1/users/us_01J/permissions"),
            Route::Service("REGISTRY")
        );
    }

    #[test]
    fn prefixes_match_whole_segments_only() {
        assert_eq!(route("/v1/usersx"), Route::NotFound);
        assert_eq!(route("/v1/mex/1"), Route::NotFound);
        assert_eq!(route("/v1/auth-x"), Route::NotFound);
        assert_eq!(route("/v1"), Route::NotFound);
        assert_eq!(route("/v1/"), Route::NotFound);
        assert_eq!(route("/v1/documentsx"), Route::NotFound);
        assert_eq!(route("/v1/x/users"), Route::NotFound);
        assert_eq!(route("/v1/documentsx"), Route::NotFound);
    }

    #[test]
    fn openapi_is_served_by_the_gateway_and_the_rest_by_the_portal() {
        assert_eq!(route("/v1/openapi.json"), Route::OpenApi);
        assert_eq!(route("/v1/openapi.jsonx"), Route::NotFound);
        for path in [
            "/",
            "",
            "/documents/doc_1",
            "/confirm",
            "/v1x",
            "/v2/users",
            "/V1/users",
            "//v1/users",
            "v1/users",
        ] {
            assert_eq!(route(path), Route::Portal, "{path}");
        }
    }

    #[test]
    fn the_most_specific_pattern_wins_and_stars_match_one_segment() {
        const TABLE: &[(&str, &str)] = &[
            ("/v1/documents", "ORDERS"),
            ("/v1/documents/*/proofs", "APPROVALS"),
            ("/v1/approvals", "APPROVALS"),
            ("/v1/documents", "SHADOWED"),
        ];
        let r = |p| route_in(TABLE, p);
        assert_eq!(r("/v1/documents"), Route::Service("ORDERS"));
        assert_eq!(r("/v1/documents/doc_1"), Route::Service("ORDERS"));
        assert_eq!(r("/v1/documents/doc_1/content"), Route::Service("ORDERS"));
        assert_eq!(r("/v1/documents/doc_1/proofs"), Route::Service("APPROVALS"));
        assert_eq!(
            r("/v1/documents/doc_1/proofs/x"),
            Route::Service("APPROVALS")
        );
        assert_eq!(r("/v1/documents//proofs"), Route::Service("ORDERS"));
        assert_eq!(
            r("/v1/approvals/apr_1/approve"),
            Route::Service("APPROVALS")
        );
        assert_eq!(r("/v1/users"), Route::NotFound);
    }

    #[test]
    fn every_table_row_is_well_formed() {
        for &(pattern, binding) in ROUTES {
            assert!(pattern.starts_with("/v1/"), "{pattern}");
            assert!(!pattern.ends_with('/'), "{pattern}");
            assert!(!pattern.contains("//"), "{pattern}");
            assert_eq!(route(pattern), Route::Service(binding), "{pattern}");
            assert!(
                binding.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{binding}"
            );
        }
        assert_eq!(
            bindings(),
            vec!["REGISTRY", "ORDERS", "APPROVALS", "TALK", "NOTIFY"]
        );
    }

    #[test]
    fn openapi_document_is_json_of_version_3_1() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
        assert!(doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")));
        assert!(doc["info"]["title"].is_string());
    }

    #[test]
    fn unavailable_service_is_a_503_problem() {
        let p = service_unavailable("REGISTRY");
        assert_eq!((p.status, p.code.as_str()), (503, "service_unavailable"));
        let json = serde_json::to_value(&p).expect("serialisable");
        assert_eq!(
            json["type"],
            "https://tradepost.dev/problems/service_unavailable"
        );
        assert!(json.get("field").is_none());
        let nf = shared::Error::not_found("route").problem();
        assert_eq!((nf.status, nf.code.as_str()), (404, "not_found"));
    }

    fn catalogue(lang: &str, text: &str) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(map)) => map,
            other => panic!("portal/i18n/{lang}.json is not a JSON object: {other:?}"),
        }
    }

    #[test]
    fn the_portal_catalogues_have_the_same_keys_and_no_empty_texts() {
        let (_, en_text) = CATALOGUES[0];
        let en = catalogue("en", en_text);
        assert!(en.len() > 100, "the English catalogue looks truncated");
        for &(lang, text) in CATALOGUES {
            let other = catalogue(lang, text);
            let missing: Vec<&String> = en.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<&String> = other.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang}.json lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang}.json has keys en.json lacks: {extra:?}"
            );
            for (key, value) in &other {
                let ok = value.as_str().is_some_and(|v| !v.trim().is_empty());
                assert!(
                    ok,
                    "{lang}.json: {key} should be a non-empty text, is {value}"
                );
                // Every {placeholder} of the English text is in the translation too.
                let english = en[key].as_str().unwrap_or_default();
                for part in english.split('{').skip(1) {
                    let name = part.split('}').next().unwrap_or_default();
                    assert!(
                        value
                            .as_str()
                            .unwrap_or_default()
                            .contains(&format!("{{{name}}}")),
                        "{lang}.json: {key} lacks the placeholder {{{name}}}"
                    );
                }
            }
        }
    }
}
