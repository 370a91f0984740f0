//! The workers' adapters to Cloudflare's platform (wasm32 only): D1, R2, Queues, `fetch`, the
//! environment and `waitUntil` behind the traits of [`crate::platform`], and the one entry a
//! worker's `#[event(fetch)]` calls ([`serve`]). Nothing else in the workspace names `worker`
//! but the workers' own `lib.rs` glue (and the gateway, which only forwards).

mod d1;
#[cfg(feature = "fetch")]
mod fetch;
mod r2;

use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use worker::{Env, Headers, Response};

use crate::platform::{Background, Clock, Db, Platform, PlatformResult, Queue, Settings};
use crate::service::{route, Body, Method, Reply, ReplyBody, Request, Service};
use crate::time::Timestamp;
use crate::{Error, Result};

/// The worker's settings: its secrets and vars.
struct EnvSettings(Env);

impl Settings for EnvSettings {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .secret(name)
            .map(|s| s.to_string())
            .or_else(|_| self.0.var(name).map(|v| v.to_string()))
            .ok()
    }
}

/// The JS clock.
struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> Timestamp {
        crate::time::now()
    }
    fn millis(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// `waitUntil` of the invocation.
struct WaitUntil(Box<dyn Fn(LocalBoxFuture<'static, ()>)>);

impl Background for WaitUntil {
    fn spawn(&self, work: LocalBoxFuture<'static, ()>) {
        (self.0)(work);
    }
}

/// A queue of JSON messages (`EVENTS`, `INVOICE_QUEUE`).
struct JsonQueue(worker::Queue);

impl Queue for JsonQueue {
    fn send(&self, json: String, delay_secs: u32) -> LocalBoxFuture<'_, PlatformResult<()>> {
        Box::pin(async move {
            // `Queue::send` of worker 0.8 would turn every JSON object inside the message into a
            // JS `Map`, which a JSON message carries as `{}`; the parsed JSON text is plain.
            let message =
                js_sys::JSON::parse(&json).map_err(|_| "a queue message is not JSON".to_owned())?;
            let mut builder = worker::RawMessageBuilder::new(message);
            if delay_secs > 0 {
                builder = builder.delay_seconds(delay_secs);
            }
            self.0
                .send_raw(builder.build_with_content_type(worker::QueueContentType::Json))
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// Another worker of the stack through its service binding (the binding's JS object): a
/// request there never leaves Cloudflare, and only the answer's status is read. The request's
/// timeout is not applied: the platform's limit on `waitUntil` is the bound. Called through
/// plain JS (`binding.fetch(url, {method, headers, body})`): `worker::RequestInit` would bring
/// the serialiser of its `cf` properties into every worker's bundle.
#[cfg(feature = "handover")]
struct Peer(wasm_bindgen::JsValue);

#[cfg(feature = "handover")]
impl crate::platform::Http for Peer {
    fn fetch(
        &self,
        out: crate::platform::OutRequest,
    ) -> LocalBoxFuture<
        '_,
        std::result::Result<crate::platform::OutResponse, crate::platform::FetchError>,
    > {
        use crate::platform::{FetchError, OutResponse};
        use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
        use wasm_bindgen::{JsCast, JsValue};
        Box::pin(async move {
            let network = |e: JsValue| FetchError::Network(format!("{e:?}"));
            let init = Object::new();
            let headers = Object::new();
            for (name, value) in &out.headers {
                Reflect::set(&headers, &name.into(), &value.into()).map_err(network)?;
            }
            Reflect::set(&init, &"method".into(), &out.method.into()).map_err(network)?;
            Reflect::set(&init, &"headers".into(), &headers).map_err(network)?;
            Reflect::set(
                &init,
                &"body".into(),
                &Uint8Array::from(out.body.as_slice()),
            )
            .map_err(network)?;
            let fetch: Function = Reflect::get(&self.0, &"fetch".into())
                .map_err(network)?
                .dyn_into()
                .map_err(network)?;
            let promise: Promise = fetch
                .call2(&self.0, &out.url.as_str().into(), &init)
                .map_err(network)?
                .dyn_into()
                .map_err(network)?;
            let response = worker::wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(network)?;
            let status = Reflect::get(&response, &"status".into())
                .map_err(network)?
                .as_f64()
                .unwrap_or(0.0);
            Ok(OutResponse {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                status: status as u16,
                headers: Vec::new(),
                body: Vec::new(),
            })
        })
    }
}

/// Cloudflare Email Service's `send_email` binding (`EMAIL`), called through plain JS:
/// `binding.send({from: {email, name}, to, subject, text, html, headers})` answers
/// `{messageId}`, or rejects with the reason it refused the mail.
#[cfg(feature = "mail")]
struct EmailBinding(wasm_bindgen::JsValue);

#[cfg(feature = "mail")]
impl crate::platform::Mailer for EmailBinding {
    fn send(&self, mail: crate::platform::OutMail) -> LocalBoxFuture<'_, PlatformResult<String>> {
        use js_sys::{Function, Object, Promise, Reflect};
        use wasm_bindgen::{JsCast, JsValue};
        Box::pin(async move {
            let refused = |e: JsValue| {
                e.dyn_ref::<js_sys::Error>()
                    .map_or_else(|| format!("{e:?}"), |e| String::from(e.message()))
            };
            let set = |o: &Object, k: &str, v: &JsValue| {
                Reflect::set(o, &k.into(), v).map(|_| ()).map_err(refused)
            };
            let message = Object::new();
            let from = Object::new();
            set(&from, "email", &mail.from.as_str().into())?;
            set(&from, "name", &mail.from_name.as_str().into())?;
            set(&message, "from", &from)?;
            set(&message, "to", &mail.to.as_str().into())?;
            set(&message, "subject", &mail.subject.as_str().into())?;
            set(&message, "text", &mail.text.as_str().into())?;
            set(&message, "html", &mail.html.as_str().into())?;
            if !mail.headers.is_empty() {
                let headers = Object::new();
                for (name, value) in &mail.headers {
                    set(&headers, name, &value.as_str().into())?;
                }
                set(&message, "headers", &headers)?;
            }
            // The binding is an RPC stub: its `send` is callable but no `instanceof Function`,
            // every property of it is another remote method (so `send.call(…)` would call a
            // remote "send.call"), and its answer is a thenable, not a `Promise` of ours. So it
            // is applied with `Reflect.apply`, and the answer resolved into a promise.
            let send: Function = Reflect::get(&self.0, &"send".into())
                .map_err(refused)?
                .unchecked_into();
            let args = js_sys::Array::of1(&message);
            let answer = Reflect::apply(&send, &self.0, &args).map_err(refused)?;
            let promise = Promise::resolve(&answer);
            let answer = worker::wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(refused)?;
            Ok(Reflect::get(&answer, &"messageId".into())
                .ok()
                .and_then(|id| id.as_string())
                .unwrap_or_default())
        })
    }
}

/// What this worker is bound to, for one invocation; `wait_until` runs work after the answer.
///
/// # Errors
/// Internal error when the `DB` binding is missing.
pub fn platform(
    env: &Env,
    wait_until: impl Fn(LocalBoxFuture<'static, ()>) + 'static,
) -> Result<Platform> {
    let d1 = env
        .d1("DB")
        .map_err(|e| Error::internal(format!("binding DB is missing: {e}")))?;
    let clock: Rc<dyn Clock> = Rc::new(JsClock);
    let millis = clock.clone();
    Ok(Platform {
        db: Db::new(Rc::new(d1::D1::new(d1)), Rc::new(move || millis.millis())),
        files: env
            .bucket("FILES")
            .ok()
            .map(|b| Rc::new(r2::R2(b)) as Rc<dyn crate::platform::Files>),
        queue: env
            .queue("EVENTS")
            .ok()
            .map(|q| Rc::new(JsonQueue(q)) as Rc<dyn Queue>),
        invoice_queue: env
            .queue("INVOICE_QUEUE")
            .ok()
            .map(|q| Rc::new(JsonQueue(q)) as Rc<dyn Queue>),
        #[cfg(feature = "handover")]
        notify: env
            .service("NOTIFY")
            .ok()
            .map(|f| Rc::new(Peer(f.into())) as Rc<dyn crate::platform::Http>),
        #[cfg(not(feature = "handover"))]
        notify: None,
        #[cfg(feature = "fetch")]
        http: Some(Rc::new(fetch::JsFetch)),
        #[cfg(not(feature = "fetch"))]
        http: None,
        #[cfg(feature = "mail")]
        mailer: js_sys::Reflect::get(env.as_ref(), &"EMAIL".into())
            .ok()
            .filter(wasm_bindgen::JsValue::is_object)
            .map(|b| Rc::new(EmailBinding(b)) as Rc<dyn crate::platform::Mailer>),
        #[cfg(not(feature = "mail"))]
        mailer: None,
        settings: Rc::new(EnvSettings(env.clone())),
        clock,
        background: Rc::new(WaitUntil(Box::new(wait_until))),
    })
}

/// The whole of a worker's `#[event(fetch)]`: the request into the worker's route table
/// ([`route::handle`]), its answer back out, events after it.
///
/// # Errors
/// Only if the platform cannot build a response at all.
pub async fn serve(
    req: worker::Request,
    env: Env,
    ctx: worker::Context,
    service: &'static Service,
) -> worker::Result<Response> {
    let ctx = Rc::new(ctx);
    let platform = match platform(&env, move |work| ctx.wait_until(work)) {
        Ok(p) => p,
        Err(e) => return response_of(Reply::problem(&e)),
    };
    let reply = route::handle(service, platform, request_of(req)).await;
    response_of(reply)
}

/// A `worker::Request` as the request logic sees it.
fn request_of(req: worker::Request) -> Request {
    // The raw URL, not `Request::url()`, whose full URL parser (with IDNA tables) would add
    // about a fifth to every worker's bundle.
    let url = req.inner().url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let target = rest.find('/').map_or("/", |i| &rest[i..]);
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    let method = Method::parse(req.inner().method().as_str());
    let mut request = Request::new(method, target);
    request.headers = req
        .headers()
        .entries()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    if req.inner().body().is_some() {
        request.body = Body::Later(Box::new(move || {
            let mut req = req;
            match req.stream() {
                Ok(stream) => Box::pin(stream.map(|c| c.map_err(|e| e.to_string()))),
                Err(e) => Box::pin(futures_util::stream::iter([Err(e.to_string())])),
            }
        }));
    }
    request
}

/// A [`Reply`] as a `worker::Response`.
///
/// # Errors
/// Only if the platform cannot build a response at all.
pub fn response_of(reply: Reply) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.append(name, value)?;
    }
    let response = match reply.body {
        ReplyBody::Empty => Response::empty()?,
        ReplyBody::Bytes(bytes) => Response::from_body(worker::ResponseBody::Body(bytes))?,
        ReplyBody::File(body) => match body.into_any().downcast::<worker::Object>() {
            Ok(object) => {
                let body = object
                    .body()
                    .ok_or_else(|| worker::Error::RustError("file without body".to_owned()))?
                    .response_body()?;
                Response::from_body(body)?
            }
            Err(_) => {
                return Err(worker::Error::RustError(
                    "a file body of another platform".into(),
                ))
            }
        },
        #[cfg(feature = "streamed")]
        ReplyBody::Stream(stream) => {
            use futures_util::TryStreamExt;
            Response::from_stream(stream.map_err(worker::Error::RustError))?
        }
        #[cfg(not(feature = "streamed"))]
        ReplyBody::Stream(_) => {
            return Err(worker::Error::RustError(
                "a streamed answer from a worker built without shared's `streamed` feature".into(),
            ))
        }
    };
    Ok(response.with_status(reply.status).with_headers(headers))
}

/// A queue message's body as JSON. Events arrive as plain JSON objects, but a message sent
/// with `Queue::send` (an older producer's) holds JS `Map`s, which serde's own reading would
/// see as empty objects; so the value is walked by hand (Maps, plain objects, arrays,
/// scalars), and whole numbers stay integers.
#[must_use]
pub fn json_of(value: &wasm_bindgen::JsValue) -> serde_json::Value {
    use serde_json::Value;
    use wasm_bindgen::JsCast;
    if value.is_null() || value.is_undefined() {
        return Value::Null;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Some(n) = value.as_f64() {
        let whole = n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0;
        if whole {
            #[allow(clippy::cast_possible_truncation)]
            return Value::from(n as i64);
        }
        return serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number);
    }
    if let Some(s) = value.as_string() {
        return Value::String(s);
    }
    if js_sys::Array::is_array(value) {
        return Value::Array(
            js_sys::Array::from(value)
                .iter()
                .map(|v| json_of(&v))
                .collect(),
        );
    }
    let mut map = serde_json::Map::new();
    // `instanceof Map` fails for a value made in another realm (the queue's), so the
    // object's tag is asked instead.
    let is_map =
        value.is_object() && value.unchecked_ref::<js_sys::Object>().to_string() == "[object Map]";
    if is_map {
        let js_map: &js_sys::Map = value.unchecked_ref();
        js_map.for_each(&mut |v, k| {
            if let Some(key) = k.as_string() {
                map.insert(key, json_of(&v));
            }
        });
        return Value::Object(map);
    }
    if value.is_object() {
        for entry in js_sys::Object::entries(&js_sys::Object::from(value.clone())).iter() {
            let pair = js_sys::Array::from(&entry);
            if let Some(key) = pair.get(0).as_string() {
                map.insert(key, json_of(&pair.get(1)));
            }
        }
        return Value::Object(map);
    }
    Value::Null
}

/// Logs a failure of work without a client to answer (cron, queue).
pub fn log_failure(what: &str, err: &dyn std::fmt::Display) {
    worker::console_error!("{what} failed: {err}");
}
