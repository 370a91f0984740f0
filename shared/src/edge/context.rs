//! What a handler of a stateless worker works with: the request, the environment, the database,
//! the time of the request, and the caller once authenticated.

use serde::de::DeserializeOwned;
use worker::{Context, Env, Request};

use super::db::Db;
use crate::event::Event;
use crate::permissions::Principal;
use crate::time::Timestamp;
use crate::Result;

pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub db: Db,
    pub now: Timestamp,
    /// The invocation's context, to finish work after the response is sent.
    context: Context,
}

impl Ctx {
    /// The context of one request.
    ///
    /// # Errors
    /// Internal error when the `DB` binding is missing.
    pub fn new(req: Request, env: Env, context: Context) -> Result<Ctx> {
        let db = Db::from_env(&env)?;
        Ok(Ctx {
            req,
            env,
            db,
            now: crate::time::now(),
            context,
        })
    }

    /// Sends committed events to the queue after the response has gone out: the caller does
    /// not wait for the queue, and an event whose send fails stays in the outbox, where the
    /// notify worker's resender finds it.
    pub fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let env = self.env.clone();
        self.context.wait_until(async move {
            super::events::publish(&env, &events).await;
        });
    }

    /// The authenticated caller, from the credentials alone (a revoked session keeps working
    /// here until its access token expires; the registry checks sessions itself).
    ///
    /// # Errors
    /// 401 for missing, invalid or expired credentials.
    pub async fn principal(&self) -> Result<Principal> {
        super::auth::authenticate(&self.req, &self.env, &self.db, self.now).await
    }

    /// Reads the JSON body.
    ///
    /// # Errors
    /// 400/413/415/422 as [`super::read_json`].
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T> {
        super::read_json(&mut self.req).await
    }

    /// Reads a JSON body that may be left out: no body gives `T::default()`.
    ///
    /// # Errors
    /// As [`Ctx::body`] when a body is there.
    pub async fn optional_body<T: DeserializeOwned + Default>(&mut self) -> Result<T> {
        let has_body = self
            .header("content-length")
            .is_some_and(|l| l.trim() != "0")
            || self.header("transfer-encoding").is_some();
        if has_body {
            self.body().await
        } else {
            Ok(T::default())
        }
    }

    /// A query parameter.
    #[must_use]
    pub fn query(&self, name: &str) -> Option<String> {
        super::query(&self.req, name)
    }

    /// A request header.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        super::header(&self.req, name)
    }

    /// A numeric setting with a default.
    #[must_use]
    pub fn number(&self, name: &str, default: u64) -> u64 {
        super::setting(&self.env, name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }
}
