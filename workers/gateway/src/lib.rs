//! The gateway: Tradepost's public entry point.
//!
//! It owns the routing table that sends each `/v1/…` path to the worker that serves it (through
//! a service binding, the request forwarded unchanged and its body streamed), the home page and
//! `/v1/openapi.json`. Everything but the `#[event(fetch)]` glue is platform-free and tested
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
];

/// The OpenAPI 3.1 document of the whole API, served at `/v1/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// What the gateway does with a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/`: the home page (later the portal).
    Home,
    /// `/v1/openapi.json`.
    OpenApi,
    /// A page that a link in a mail opens (`/confirm`, `/reset-password`, `/accept-invitation`).
    Link(LinkPage),
    /// Forward to the worker behind this service binding.
    Service(&'static str),
    /// No worker serves this path.
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
    match path {
        "/" | "" => return Route::Home,
        "/v1/openapi.json" => return Route::OpenApi,
        "/confirm" => return Route::Link(LinkPage::Confirm),
        "/reset-password" => return Route::Link(LinkPage::ResetPassword),
        "/accept-invitation" => return Route::Link(LinkPage::AcceptInvitation),
        _ => {}
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

/// The home page: a placeholder until the portal lands, naming the services that are bound.
#[must_use]
pub fn home_page(running: &[&str]) -> String {
    let services = if running.is_empty() {
        "<li>none</li>".to_owned()
    } else {
        running
            .iter()
            .map(|b| format!("<li>{}</li>", b.to_ascii_lowercase()))
            .collect::<String>()
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tradepost</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}</style>
</head>
<body>
<h1>Tradepost</h1>
<p>The B2B partner exchange. The portal is on its way; the API is live.</p>
<h2>Running services</h2>
<ul>{services}</ul>
<p><a href="/v1/openapi.json">API description (OpenAPI 3.1)</a></p>
</body>
</html>
"#
    )
}

/// The pages mail links open. Until the portal lands they are plain forms that send the link's
/// token to the API and show the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPage {
    Confirm,
    ResetPassword,
    AcceptInvitation,
}

/// The HTML of a link page. The token stays in the browser: the page reads it from its URL.
#[must_use]
pub fn link_page(page: LinkPage) -> String {
    let (title, endpoint, fields, auto) = match page {
        LinkPage::Confirm => ("Confirm your e-mail address", "/v1/auth/confirm", "", true),
        LinkPage::ResetPassword => (
            "Choose a new password",
            "/v1/auth/password-reset/confirm",
            r#"<label>New password (at least 8 characters)<input name="password" type="password" minlength="8" required autocomplete="new-password"></label>"#,
            false,
        ),
        LinkPage::AcceptInvitation => (
            "Accept your invitation",
            "/v1/auth/accept-invitation",
            r#"<label>Your name<input name="name" autocomplete="name"></label>
<label>Password (at least 8 characters)<input name="password" type="password" minlength="8" required autocomplete="new-password"></label>
<fieldset><legend>Only when your company is invited</legend>
<label>Company name<input name="company_name" autocomplete="organization"></label>
<label>Company handle (a-z, 0-9, -)<input name="handle" pattern="[a-z][a-z0-9-]{2,31}"></label>
</fieldset>"#,
            false,
        ),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tradepost</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.75rem 0}}input{{display:block;width:100%;padding:.4rem;font:inherit}}
fieldset{{border:1px solid #ccc;margin:1rem 0}}#result{{margin-top:1rem;font-weight:600}}</style>
</head>
<body>
<h1>{title}</h1>
<form id="form">{fields}<button type="submit">Continue</button></form>
<p id="result" role="status"></p>
<script>
const token = new URLSearchParams(location.search).get("token") || "";
const form = document.getElementById("form"), result = document.getElementById("result");
async function send() {{
  const body = {{ token }};
  for (const [k, v] of new FormData(form)) if (v) body[k] = v;
  const res = await fetch("{endpoint}", {{ method: "POST", headers: {{ "content-type": "application/json" }}, body: JSON.stringify(body) }});
  const data = await res.json().catch(() => ({{}}));
  result.textContent = res.ok ? "Done. You can log in now." : (data.detail || "Something went wrong.");
  if (res.ok) form.hidden = true;
}}
form.addEventListener("submit", (e) => {{ e.preventDefault(); send(); }});
if ({auto}) {{ form.hidden = true; send(); }}
</script>
</body>
</html>
"#
    )
}

#[cfg(target_arch = "wasm32")]
mod edge {
    //! The fetch handler: platform glue around the pure routing above.

    use super::{bindings, home_page, link_page, route, service_unavailable, Route, OPENAPI_JSON};
    use shared::error::Problem;
    use worker::{console_error, event, Context, Env, Method, Request, Response, Result};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        let path = req.path();
        match route(&path) {
            Route::Home => static_response(&req, "text/html; charset=utf-8", {
                let running: Vec<&str> = bindings()
                    .into_iter()
                    .filter(|b| env.service(b).is_ok())
                    .collect();
                home_page(&running)
            }),
            Route::OpenApi => static_response(&req, "application/json", OPENAPI_JSON.to_owned()),
            Route::Link(page) => static_response(&req, "text/html; charset=utf-8", link_page(page)),
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
        assert_eq!(route("/v2/users"), Route::NotFound);
        assert_eq!(route("/V1/users"), Route::NotFound);
        assert_eq!(route("//v1/users"), Route::NotFound);
        assert_eq!(route("v1/users"), Route::NotFound);
        assert_eq!(route("/v1/documentsx"), Route::NotFound);
    }

    #[test]
    fn home_and_openapi_are_served_by_the_gateway() {
        assert_eq!(route("/"), Route::Home);
        assert_eq!(route(""), Route::Home);
        assert_eq!(route("/v1/openapi.json"), Route::OpenApi);
        assert_eq!(route("/v1/openapi.jsonx"), Route::NotFound);
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
        assert_eq!(bindings(), vec!["REGISTRY", "ORDERS"]);
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

    #[test]
    fn home_page_names_the_running_services_and_links_the_api() {
        let html = home_page(&["REGISTRY"]);
        assert!(html.contains("<title>Tradepost</title>"));
        assert!(html.contains("<li>registry</li>"));
        assert!(html.contains(r#"href="/v1/openapi.json""#));
        assert!(home_page(&[]).contains("<li>none</li>"));
    }

    #[test]
    fn mail_links_open_pages_that_post_to_the_api() {
        for (path, page, endpoint) in [
            ("/confirm", LinkPage::Confirm, "/v1/auth/confirm"),
            (
                "/reset-password",
                LinkPage::ResetPassword,
                "/v1/auth/password-reset/confirm",
            ),
            (
                "/accept-invitation",
                LinkPage::AcceptInvitation,
                "/v1/auth/accept-invitation",
            ),
        ] {
            assert_eq!(route(path), Route::Link(page), "{path}");
            let html = link_page(page);
            assert!(html.contains(endpoint), "{path} posts to {endpoint}");
            assert!(html.starts_with("<!doctype html>"));
        }
        assert!(link_page(LinkPage::Confirm).contains("if (true)"));
        assert!(link_page(LinkPage::ResetPassword).contains("name=\"password\""));
    }
}
