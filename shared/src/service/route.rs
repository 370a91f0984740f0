//! The route table: each worker states its endpoints once, as rows of method, path, handler,
//! who may call it and (natively) its documentation. Dispatch, 404 versus 405 (with `Allow`),
//! the gateway's routing and the OpenAPI document all follow from the tables.
//!
//! ```ignore
//! pub static SERVICE: Service = Service {
//!     name: "orders",
//!     binding: "ORDERS",
//!     sessions: Sessions::Stateless,
//!     routes: shared::routes![
//!         Post "/v1/documents" => documents::create_document,
//!             Access::Permission(Permission::DocumentsSend),
//!             |d| d.summary("Upload a document").created::<DocumentOut>();
//!     ],
//! };
//! ```

use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use super::{auth, Cx, Method, Reply, Request};
use crate::permissions::{Permission, Principal};
use crate::platform::{Platform, Trips};
use crate::{Error, Result};

/// What a handler returns.
pub type HandlerFuture<'a> = LocalBoxFuture<'a, Result<Reply>>;
/// A handler: an `async fn(&mut Cx) -> Result<Reply>` behind a pointer (see [`routes!`]).
pub type Handler = for<'a> fn(&'a mut Cx) -> HandlerFuture<'a>;

/// Who may call an endpoint. Everything but `Public` and `Dev` needs credentials (401 without);
/// the permission checks answer 403 `permission_missing`, `user_required` for API keys where a
/// person is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials.
    Public,
    /// Anyone, but only in the local stack (`ENVIRONMENT=dev`); a 404 anywhere else.
    Dev,
    /// Any caller with valid credentials; the handler checks the session itself (the
    /// registry's `GET /v1/me`, which reads it in its own query).
    Token,
    /// Any authenticated caller; the handler decides the rest.
    Caller,
    /// A person signed in (not an API key).
    Person,
    /// A caller holding this permission.
    Permission(Permission),
    /// A person signed in holding this permission.
    PersonWith(Permission),
    /// A caller holding at least one of these.
    AnyOf(&'static [Permission]),
    /// Any authenticated caller; the handler finds the resource first and then checks which of
    /// these its side needs, so another company's resource is a 404 whatever the caller holds.
    OnResource(&'static [Permission]),
}

impl Access {
    /// Whether the endpoint takes credentials.
    #[must_use]
    pub fn authenticated(self) -> bool {
        !matches!(self, Access::Public | Access::Dev)
    }

    /// The permissions it names.
    #[must_use]
    pub fn permissions(self) -> Vec<Permission> {
        match self {
            Access::Permission(p) | Access::PersonWith(p) => vec![p],
            Access::AnyOf(ps) | Access::OnResource(ps) => ps.to_vec(),
            _ => Vec::new(),
        }
    }

    /// Whether a person is required.
    #[must_use]
    pub fn person(self) -> bool {
        matches!(self, Access::Person | Access::PersonWith(_))
    }

    /// Checks an authenticated caller against it.
    ///
    /// # Errors
    /// 403 `permission_missing` or `user_required`.
    pub fn check(self, me: &Principal) -> Result<()> {
        match self {
            Access::Public
            | Access::Dev
            | Access::Token
            | Access::Caller
            | Access::OnResource(_) => Ok(()),
            Access::Person => me.require_user().map(|_| ()),
            Access::Permission(p) => me.require(p),
            Access::PersonWith(p) => {
                me.require_user()?;
                me.require(p)
            }
            Access::AnyOf(ps) => {
                if ps.iter().any(|p| me.has(*p)) {
                    Ok(())
                } else {
                    let names: Vec<&str> = ps.iter().map(|p| p.as_str()).collect();
                    Err(Error::forbidden(
                        "permission_missing",
                        format!(
                            "this action needs one of the permissions {}",
                            names.join(", ")
                        ),
                    ))
                }
            }
        }
    }
}

/// One endpoint.
pub struct Route {
    pub method: Method,
    /// The path with `{name}` for a parameter segment: `/v1/documents/{id}/ack`.
    pub path: &'static str,
    pub access: Access,
    pub handler: Handler,
    /// The handler's name (the operation id).
    pub name: &'static str,
    /// Fills in the endpoint's documentation (types, statuses, parameters); native only.
    #[cfg(not(target_arch = "wasm32"))]
    pub doc: fn(super::doc::Doc) -> super::doc::Doc,
}

/// Whether a worker checks a person's session on every request (the registry: logout and
/// disabling take effect at once) or trusts the token until it expires (every other worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    Stateless,
    Checked,
}

/// A worker: its name, the service binding the gateway reaches it by, and its route table.
pub struct Service {
    pub name: &'static str,
    pub binding: &'static str,
    pub sessions: Sessions,
    pub routes: &'static [Route],
}

/// Declares a route table: `Method "path" => handler, access, |doc| …;` per row.
#[macro_export]
macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path, $access:expr, $doc:expr; )*) => {
        &[$(
            $crate::service::Route {
                method: $crate::service::Method::$method,
                path: $path,
                access: $access,
                handler: {
                    fn handler(cx: &mut $crate::service::Cx) -> $crate::service::route::HandlerFuture<'_> {
                        Box::pin($handler(cx))
                    }
                    handler
                },
                name: stringify!($handler),
                #[cfg(not(target_arch = "wasm32"))]
                doc: $doc,
            }
        ),*]
    };
}

/// How a request path fits a route table.
pub enum Resolved<'r> {
    /// This route, with the path's parameters.
    Found(&'r Route, Vec<(&'static str, String)>),
    /// Routes exist for the path, but not with this method: these are allowed.
    WrongMethod(Vec<Method>),
    NotFound,
}

/// The parameters a route's path takes from `segments`, if it fits; literal segments first.
#[must_use]
pub fn fit(
    path: &'static str,
    segments: &[String],
) -> Option<(usize, Vec<(&'static str, String)>)> {
    let parts: Vec<&'static str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if segment.is_empty() {
                return None;
            }
            params.push((name, segment.clone()));
        } else if part == segment {
            literals += 1;
        } else {
            return None;
        }
    }
    Some((literals, params))
}

/// Picks the route for a request: among the routes whose path fits, the one with the method
/// and the most literal segments (the first on a tie).
#[must_use]
pub fn resolve<'r>(routes: &'r [Route], method: Method, segments: &[String]) -> Resolved<'r> {
    type Candidate<'r> = (usize, &'r Route, Vec<(&'static str, String)>);
    let mut best: Option<Candidate<'r>> = None;
    let mut allowed: Vec<Method> = Vec::new();
    for route in routes {
        let Some((literals, params)) = fit(route.path, segments) else {
            continue;
        };
        if !allowed.contains(&route.method) {
            allowed.push(route.method);
        }
        if route.method == method && best.as_ref().is_none_or(|(l, _, _)| literals > *l) {
            best = Some((literals, route, params));
        }
    }
    match best {
        Some((_, route, params)) => Resolved::Found(route, params),
        None if allowed.is_empty() => Resolved::NotFound,
        None => Resolved::WrongMethod(allowed),
    }
}

/// The worker that serves a path: the one whose route table has a route the path fits (any
/// method). The gateway routes by this, so a path is always answered by the worker that
/// declares it, and 404/405 come from the tables.
#[must_use]
pub fn owner<'s>(services: &[&'s Service], segments: &[String]) -> Option<&'s Service> {
    services
        .iter()
        .find(|s| s.routes.iter().any(|r| fit(r.path, segments).is_some()))
        .copied()
}

/// Answers one request with a worker's route table: finds the route (404, or 405 with
/// `Allow`), authenticates and checks the caller as the route says, runs the handler, turns an
/// error into its problem document, adds `Server-Timing`, and leaves the events the handler
/// published to be sent after the answer.
pub async fn handle(service: &Service, env: Platform, req: Request) -> Reply {
    let segments = req.segments();
    let (route, params) = match resolve(service.routes, req.method, &segments) {
        Resolved::Found(route, params) => (route, params),
        Resolved::WrongMethod(allowed) => {
            let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
            let reply =
                Reply::problem(&Error::MethodNotAllowed).with_header("allow", names.join(", "));
            return timed(reply, Timing::default(), timing_on(&env));
        }
        Resolved::NotFound => {
            return timed(
                Reply::problem(&Error::not_found("route")),
                Timing::default(),
                timing_on(&env),
            )
        }
    };
    let started = env.clock.millis();
    let mut env = env;
    let mut file_trips = None;
    if let Some(files) = env.files.take() {
        let millis = env.clock.clone();
        let timed =
            crate::platform::files::TimedFiles::new(files, Rc::new(move || millis.millis()));
        file_trips = Some(timed.trips());
        env.files = Some(Rc::new(timed));
    }
    let mut cx = Cx::new(req, env, params);
    let outcome = match authorize(&mut cx, service.sessions, route.access).await {
        Ok(()) => (route.handler)(&mut cx).await,
        Err(e) => Err(e),
    };
    let timing = Timing {
        d1: cx.db.trips(),
        r2: file_trips.map(|t| t.get()).unwrap_or_default(),
        total: cx.env.clock.millis() - started,
    };
    let reply = timed(
        outcome.unwrap_or_else(|e| Reply::problem(&e)),
        timing,
        timing_on(&cx.env),
    );
    super::publish_after(&cx.env, cx.take_events());
    reply
}

/// What a request spent, for its `Server-Timing`.
#[derive(Debug, Default)]
struct Timing {
    d1: Trips,
    r2: Trips,
    total: f64,
}

/// Whether answers carry `Server-Timing`: always in dev, in production when the setting
/// `SERVER_TIMING` is `on` (the header tells a caller how long the database took).
fn timing_on(env: &Platform) -> bool {
    env.is_dev() || env.settings.get("SERVER_TIMING").is_some_and(|v| v == "on")
}

/// `reply` with `Server-Timing` (when `on`) saying how many database round trips and bucket
/// calls the request made, how long they took, and how long the worker took for it in all
/// (every answer has it, a 404 too): `d1;desc="2 round trips";dur=3.1, r2;desc="1 call";dur=5.0,
/// total;dur=9.4`. The figures are the worker's: the gateway's hop is not in them.
fn timed(mut reply: Reply, timing: Timing, on: bool) -> Reply {
    if !on {
        return reply;
    }
    let calls = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    reply.set_header(
        "server-timing",
        format!(
            "d1;desc=\"{}\";dur={}, r2;desc=\"{}\";dur={}, total;dur={}",
            calls(timing.d1.count, "round trip", "round trips"),
            millis(timing.d1.millis),
            calls(timing.r2.count, "call", "calls"),
            millis(timing.r2.millis),
            millis(timing.total),
        ),
    );
    reply
}

/// Milliseconds with one decimal, by integer arithmetic: `{:.1}` on a float would bring the
/// float formatting machinery into every worker.
fn millis(ms: f64) -> String {
    let tenths = (ms.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Authenticates and checks the caller as `access` says; the principal goes into `cx`.
async fn authorize(cx: &mut Cx, sessions: Sessions, access: Access) -> Result<()> {
    match access {
        Access::Public => return Ok(()),
        Access::Dev => {
            return if cx.env.is_dev() {
                Ok(())
            } else {
                Err(Error::not_found("route"))
            }
        }
        _ => {}
    }
    let me = auth::authenticate(cx, sessions).await?;
    if sessions == Sessions::Checked && access != Access::Token {
        auth::check_live(cx, &me).await?;
    }
    access.check(&me)?;
    cx.principal = Some(me);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        Request::new(Method::Get, path).segments()
    }

    async fn nothing(_cx: &mut Cx) -> Result<Reply> {
        Ok(Reply::no_content())
    }

    const ROUTES: &[Route] = crate::routes![
        Post "/v1/relationships/invitations" => nothing, Access::Caller, |d| d;
        Get "/v1/relationships/{id}" => nothing, Access::Caller, |d| d;
        Patch "/v1/relationships/{id}" => nothing, Access::Caller, |d| d;
        Get "/v1/documents/{id}/content" => nothing, Access::Caller, |d| d;
        Head "/v1/documents/{id}/content" => nothing, Access::Caller, |d| d;
    ];

    #[test]
    fn literal_segments_win_and_parameters_are_taken() {
        let Resolved::Found(route, params) =
            resolve(ROUTES, Method::Get, &segs("/v1/relationships/rel_1"))
        else {
            panic!("not found");
        };
        assert_eq!(route.path, "/v1/relationships/{id}");
        assert_eq!(params, vec![("id", "rel_1".to_owned())]);
        // GET on the literal path falls to the parameter route, as a GET of an id would.
        let Resolved::Found(route, _) =
            resolve(ROUTES, Method::Get, &segs("/v1/relationships/invitations"))
        else {
            panic!("not found");
        };
        assert_eq!(route.path, "/v1/relationships/{id}");
        let Resolved::Found(route, _) =
            resolve(ROUTES, Method::Post, &segs("/v1/relationships/invitations"))
        else {
            panic!("not found");
        };
        assert_eq!(route.path, "/v1/relationships/invitations");
    }

    #[test]
    fn a_known_path_with_another_method_is_a_405_naming_the_allowed_ones() {
        match resolve(ROUTES, Method::Delete, &segs("/v1/relationships/rel_1")) {
            Resolved::WrongMethod(allowed) => assert_eq!(allowed, vec![Method::Get, Method::Patch]),
            _ => panic!("expected 405"),
        }
        match resolve(ROUTES, Method::Post, &segs("/v1/documents/doc_1/content")) {
            Resolved::WrongMethod(allowed) => assert_eq!(allowed, vec![Method::Get, Method::Head]),
            _ => panic!("expected 405"),
        }
        assert!(matches!(
            resolve(ROUTES, Method::Get, &segs("/v1/relationships/rel_1/x")),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(ROUTES, Method::Get, &segs("/v1/relationshipsx")),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(ROUTES, Method::Get, &segs("/")),
            Resolved::NotFound
        ));
    }
}
