// A test's set-up that cannot work (a migration that does not apply) ends the test.
#![allow(clippy::panic, clippy::expect_used)]
//! The platform natively, for `cargo test`: the request logic of every worker runs here as it
//! runs in workerd, on
//! - [`sqlite::Sqlite`]: SQLite (D1 is SQLite) with `d1-migrations/` applied and foreign keys on;
//! - [`memory::MemoryFiles`]: the bucket in memory, with multipart uploads;
//! - [`CapturedQueue`]: the queue, keeping what was sent;
//! - [`ScriptedHttp`]: outgoing HTTP answered by a closure, keeping what was sent;
//! - [`TestClock`]: a clock the test moves.
//!
//! [`Stack`] puts them together with the workers' route tables and answers requests the way the
//! gateway does (the route tables decide which worker serves a path). It is a second net below
//! the end-to-end suite, which runs the real workers in workerd.

pub mod memory;
mod seed;
pub mod sqlite;
mod stack;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::LocalBoxFuture;
use shared::platform::{
    Background, Clock, FetchError, Http, Mailer, OutMail, OutRequest, OutResponse, PlatformResult,
    Queue, Settings,
};
use shared::time::Timestamp;

pub use seed::SeededPerson;
pub use stack::{problem_code, problem_field, Answer, Call, Stack};

/// Runs a future to completion on this thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

/// Gives other tasks of a joined set a turn (so concurrent requests interleave at every
/// platform call, as they do in workerd).
pub async fn yield_now() {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    YieldNow(false).await;
}

/// The queue: every message sent, with its delay.
#[derive(Default)]
pub struct CapturedQueue {
    pub sent: RefCell<Vec<(String, u32)>>,
    /// Makes every send fail while set (fault injection).
    pub failing: Cell<bool>,
}

impl Queue for CapturedQueue {
    fn send(&self, json: String, delay_secs: u32) -> LocalBoxFuture<'_, PlatformResult<()>> {
        Box::pin(async move {
            yield_now().await;
            if self.failing.get() {
                return Err("queue unavailable (injected)".to_owned());
            }
            self.sent.borrow_mut().push((json, delay_secs));
            Ok(())
        })
    }
}

/// The mail service: every mail it took, in order, with the message id it answered; while
/// `refusing` holds a reason, every mail is refused with it (fault injection).
#[derive(Default)]
pub struct CapturedMail {
    pub sent: RefCell<Vec<(OutMail, String)>>,
    pub refusing: RefCell<Option<String>>,
}

impl CapturedMail {
    /// The mails handed over to `to`.
    #[must_use]
    pub fn to(&self, to: &str) -> Vec<OutMail> {
        self.sent
            .borrow()
            .iter()
            .filter(|(m, _)| m.to == to)
            .map(|(m, _)| m.clone())
            .collect()
    }
}

impl Mailer for CapturedMail {
    fn send(&self, mail: OutMail) -> LocalBoxFuture<'_, PlatformResult<String>> {
        Box::pin(async move {
            yield_now().await;
            if let Some(reason) = self.refusing.borrow().clone() {
                return Err(reason);
            }
            let mut sent = self.sent.borrow_mut();
            let id = format!("<test-{}@tradepost.test>", sent.len() + 1);
            sent.push((mail, id.clone()));
            Ok(id)
        })
    }
}

type Responder = Box<dyn Fn(&OutRequest) -> Result<OutResponse, FetchError>>;

/// Outgoing HTTP: answered by a closure (200 with an empty body unless set), every request kept.
pub struct ScriptedHttp {
    pub requests: RefCell<Vec<OutRequest>>,
    responder: RefCell<Responder>,
}

impl Default for ScriptedHttp {
    fn default() -> Self {
        ScriptedHttp {
            requests: RefCell::new(Vec::new()),
            responder: RefCell::new(Box::new(|_| {
                Ok(OutResponse {
                    status: 200,
                    headers: Vec::new(),
                    body: Vec::new(),
                })
            })),
        }
    }
}

impl ScriptedHttp {
    /// Answers every further request with `responder`.
    pub fn answer(
        &self,
        responder: impl Fn(&OutRequest) -> Result<OutResponse, FetchError> + 'static,
    ) {
        *self.responder.borrow_mut() = Box::new(responder);
    }
}

impl Http for ScriptedHttp {
    fn fetch(&self, request: OutRequest) -> LocalBoxFuture<'_, Result<OutResponse, FetchError>> {
        Box::pin(async move {
            yield_now().await;
            let answer = (self.responder.borrow())(&request);
            self.requests.borrow_mut().push(request);
            answer
        })
    }
}

/// Settings from a map.
#[derive(Default)]
pub struct MapSettings(pub RefCell<HashMap<String, String>>);

impl Settings for MapSettings {
    fn get(&self, name: &str) -> Option<String> {
        self.0.borrow().get(name).cloned()
    }
}

/// A clock that stands still until the test moves it.
pub struct TestClock {
    now: Cell<Timestamp>,
    started: std::time::Instant,
}

impl Default for TestClock {
    fn default() -> Self {
        TestClock {
            now: Cell::new(shared::time::now()),
            started: std::time::Instant::now(),
        }
    }
}

impl TestClock {
    /// Moves the clock on.
    pub fn advance(&self, by: chrono::Duration) {
        self.now.set(self.now.get() + by);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        self.now.get()
    }
    fn millis(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

/// Work left for after the answer: kept until the stack runs it.
#[derive(Default)]
pub struct Deferred(pub RefCell<Vec<LocalBoxFuture<'static, ()>>>);

impl Background for Deferred {
    fn spawn(&self, work: LocalBoxFuture<'static, ()>) {
        self.0.borrow_mut().push(work);
    }
}

impl Deferred {
    /// Runs what was left, in order (and what that leaves in turn).
    pub async fn run(&self) {
        loop {
            let work: Vec<_> = std::mem::take(&mut *self.0.borrow_mut());
            if work.is_empty() {
                return;
            }
            for w in work {
                w.await;
            }
        }
    }
}
