//! [`Http`] over the Workers `fetch`: redirects are not followed, an answer that takes longer
//! than the timeout is aborted, and only the start of its body is read.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either, LocalBoxFuture};
use futures_util::StreamExt;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use crate::platform::{FetchError, Http, OutRequest, OutResponse};

pub struct JsFetch;

impl Http for JsFetch {
    fn fetch(&self, out: OutRequest) -> LocalBoxFuture<'_, Result<OutResponse, FetchError>> {
        Box::pin(async move {
            let request = build(&out).map_err(|e| FetchError::Network(format!("request: {e}")))?;
            let controller = AbortController::default();
            let signal = controller.signal();
            let keep = out.keep_bytes;
            let exchange = async move {
                let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
                let status = response.status_code();
                let headers: Vec<(String, String)> = response.headers().entries().collect();
                let mut body = Vec::new();
                if let Ok(mut stream) = response.stream() {
                    while body.len() < keep {
                        match stream.next().await {
                            Some(Ok(chunk)) => body.extend_from_slice(&chunk),
                            _ => break,
                        }
                    }
                }
                body.truncate(keep);
                Ok::<_, worker::Error>(OutResponse {
                    status,
                    headers,
                    body,
                })
            };
            let timeout = Delay::from(Duration::from_millis(out.timeout_ms));
            match select(pin!(exchange), pin!(timeout)).await {
                Either::Left((Ok(response), _)) => Ok(response),
                Either::Left((Err(e), _)) => Err(FetchError::Network(e.to_string())),
                Either::Right(((), _)) => {
                    controller.abort();
                    Err(FetchError::Timeout)
                }
            }
        })
    }
}

fn build(out: &OutRequest) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &out.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(out.method.to_owned()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    // A GET (the domain proof's DNS lookup) may carry no body at all, not even an empty one.
    if !out.body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(out.body.as_slice()).into()));
    }
    Request::new_with_init(&out.url, &init)
}
