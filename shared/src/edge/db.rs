//! D1 access: statements with typed parameters, rows read into structs with an error (never a
//! panic) when a row does not fit, and the mapping of constraint failures to conflicts.
//!
//! Numbers are bound as f64 because D1 rejects JS BigInt.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use super::internal;
use crate::{Error, Result};

/// A value that can be bound to a statement parameter.
pub trait Bind {
    /// The JS value D1 receives.
    fn js(&self) -> JsValue;
}

impl Bind for str {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}
impl Bind for String {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}
impl Bind for &str {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}
impl Bind for f64 {
    fn js(&self) -> JsValue {
        JsValue::from_f64(*self)
    }
}
impl Bind for u32 {
    fn js(&self) -> JsValue {
        JsValue::from_f64(f64::from(*self))
    }
}
impl Bind for u64 {
    /// Exact below 2^53, far above any size or count stored here.
    #[allow(clippy::cast_precision_loss)]
    fn js(&self) -> JsValue {
        JsValue::from_f64(*self as f64)
    }
}
impl Bind for bool {
    fn js(&self) -> JsValue {
        JsValue::from_f64(if *self { 1.0 } else { 0.0 })
    }
}
impl<T: Bind> Bind for Option<T> {
    fn js(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, Bind::js)
    }
}

macro_rules! bind_ids {
    ($($t:ty),*) => {$(
        impl Bind for $t {
            fn js(&self) -> JsValue {
                JsValue::from_str(self.as_str())
            }
        }
    )*};
}
bind_ids!(
    crate::ids::CompanyId,
    crate::ids::UserId,
    crate::ids::RelationshipId,
    crate::ids::DocumentId,
    crate::ids::ApprovalId,
    crate::ids::ThreadId,
    crate::ids::MessageId,
    crate::ids::EventId,
    crate::ids::WebhookId,
    crate::ids::ApiKeyId,
    crate::ids::SessionId,
    crate::ids::InvitationId,
    crate::ids::ContactId,
    crate::ids::MailId,
    crate::ids::UploadId,
    crate::ids::AttachmentId,
    crate::ids::DeliveryId
);

/// The tradepost database.
pub struct Db {
    inner: D1Database,
}

impl Db {
    /// The `DB` binding of this worker.
    ///
    /// # Errors
    /// Internal error if the binding is missing.
    pub fn from_env(env: &Env) -> Result<Db> {
        Ok(Db {
            inner: env.d1("DB").map_err(internal)?,
        })
    }

    /// A prepared statement with its parameters bound, for [`Db::batch`].
    ///
    /// # Errors
    /// Internal error if binding fails.
    pub fn stmt(&self, sql: &str, params: &[&dyn Bind]) -> Result<D1PreparedStatement> {
        let values: Vec<JsValue> = params.iter().map(|p| p.js()).collect();
        self.inner.prepare(sql).bind(&values).map_err(internal)
    }

    /// The first row, if any.
    ///
    /// # Errors
    /// Internal error on a database failure or a row that does not fit `T`.
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn Bind],
    ) -> Result<Option<T>> {
        self.stmt(sql, params)?
            .first::<T>(None)
            .await
            .map_err(|e| Error::internal(format!("{sql}: {e}")))
    }

    /// All rows.
    ///
    /// # Errors
    /// Internal error on a database failure or a row that does not fit `T`.
    pub async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn Bind],
    ) -> Result<Vec<T>> {
        let result = self
            .stmt(sql, params)?
            .all()
            .await
            .map_err(|e| Error::internal(format!("{sql}: {e}")))?;
        result
            .results::<T>()
            .map_err(|e| Error::internal(format!("{sql}: {e}")))
    }

    /// Runs a statement and returns how many rows it changed.
    ///
    /// # Errors
    /// Internal error on a database failure.
    pub async fn run(&self, sql: &str, params: &[&dyn Bind]) -> Result<usize> {
        let result = self
            .stmt(sql, params)?
            .run()
            .await
            .map_err(|e| Error::internal(format!("{sql}: {e}")))?;
        Ok(changes(&result))
    }

    /// Runs statements as one transaction (all or nothing) and returns each one's change count.
    ///
    /// # Errors
    /// Internal error on a database failure; use [`unique_violation`] to spot a taken value.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<usize>> {
        let results = self
            .inner
            .batch(statements)
            .await
            .map_err(|e| Error::internal(format!("batch: {e}")))?;
        Ok(results.iter().map(changes).collect())
    }
}

fn changes(result: &worker::D1Result) -> usize {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
}

/// Whether a database error is a UNIQUE constraint failure.
#[must_use]
pub fn unique_violation(err: &Error) -> bool {
    matches!(err, Error::Internal(detail) if detail.contains("UNIQUE constraint failed"))
}

/// A query put together from optional filters: SQL pieces and their parameters, numbered in the
/// order they are bound (the lists of documents, approvals and threads).
pub struct Query {
    sql: String,
    params: Vec<Box<dyn Bind>>,
}

impl Query {
    /// Starts with `sql`, whose own placeholders `?1`, `?2`, … are `params`.
    #[must_use]
    pub fn new(sql: impl Into<String>, params: Vec<Box<dyn Bind>>) -> Self {
        Query {
            sql: sql.into(),
            params,
        }
    }

    /// Binds `value` as the next parameter and returns its placeholder (`?k`), for SQL that
    /// uses it more than once.
    pub fn bind(&mut self, value: impl Bind + 'static) -> String {
        self.params.push(Box::new(value));
        format!("?{}", self.params.len())
    }

    /// Appends `clause`, binding `value` to every `?n` in it.
    pub fn filter(&mut self, clause: &str, value: impl Bind + 'static) {
        let placeholder = self.bind(value);
        self.sql.push_str(&clause.replace("?n", &placeholder));
    }

    /// Appends SQL that binds nothing new.
    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Puts what is built so far into a sub-select: `before` it, `after` it.
    pub fn wrap(&mut self, before: &str, after: &str) {
        self.sql = format!("{before}{}{after}", self.sql);
    }

    /// All rows.
    ///
    /// # Errors
    /// As [`Db::all`].
    pub async fn all<T: DeserializeOwned>(&self, db: &Db) -> Result<Vec<T>> {
        let refs: Vec<&dyn Bind> = self.params.iter().map(AsRef::as_ref).collect();
        db.all(&self.sql, &refs).await
    }
}
