//! The database as the request logic sees it: statements with typed parameters, rows read into
//! structs with an error (never a panic) when a row does not fit, and typed failures.
//!
//! D1 is SQLite, so the same SQL runs on D1 in a worker and on SQLite natively (`testkit`).
//! A [`Database`] runs statements; [`Db`] is the handle handlers use, with `first`, `all`,
//! `run` and `batch` (one transaction: all or nothing).
//!
//! Rows deserialise with serde from column names: integer columns read as `u64`/`u32`/`i64`
//! whether the platform hands them over as integers (SQLite) or as JS numbers (D1), `0`/`1` as
//! `bool`, text as strings, ids, enums and [`crate::time::Time`], a JSON text column as
//! [`Json`]. Numbers are bound as integers; the D1 adapter sends them as JS numbers, because D1
//! rejects BigInt (exact below 2^53, far above any size or count stored here).

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Error, Result};

/// One SQLite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A value that can be bound to a statement parameter.
pub trait Bind {
    /// The value the database receives.
    fn value(&self) -> Value;
}

impl Bind for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl Bind for str {
    fn value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl Bind for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl<T: Bind + ?Sized> Bind for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl Bind for f64 {
    fn value(&self) -> Value {
        Value::Real(*self)
    }
}
impl Bind for i64 {
    fn value(&self) -> Value {
        Value::Integer(*self)
    }
}
impl Bind for u32 {
    fn value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}
impl Bind for u64 {
    fn value(&self) -> Value {
        Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl Bind for bool {
    fn value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}
impl<T: Bind> Bind for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Bind::value)
    }
}

/// Binds each of the types (ids and named enums, which all have `as_str`) as its text.
macro_rules! bind_as_str {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::platform::Bind for $t {
            fn value(&self) -> $crate::platform::Value {
                $crate::platform::Value::Text(self.as_str().to_owned())
            }
        }
    )*};
}
pub(crate) use bind_as_str;

bind_as_str!(
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
    crate::ids::AuditId,
    crate::ids::UploadId,
    crate::ids::AttachmentId,
    crate::ids::DeliveryId,
    crate::ids::TeamId,
    crate::ids::TaskId,
    crate::ids::TaskCommentId
);

/// A JSON document kept in a text column: bound as its JSON text, read back parsed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> Bind for Json<T> {
    fn value(&self) -> Value {
        Value::Text(serde_json::to_string(&self.0).unwrap_or_else(|_| "null".to_owned()))
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Json<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(Json)
            .map_err(|e| de::Error::custom(format!("stored JSON unreadable: {e}")))
    }
}

/// A statement with its parameters bound (`?1`, `?2`, … in the SQL).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    /// `sql` with `params` bound in order.
    #[must_use]
    pub fn new(sql: impl Into<String>, params: &[&dyn Bind]) -> Statement {
        Statement {
            sql: sql.into(),
            params: params.iter().map(|p| p.value()).collect(),
        }
    }
}

/// One row: its columns by name, in the order the query named them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(pub Vec<(String, Value)>);

impl Row {
    /// A column's value, if the row has it.
    #[must_use]
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.0.iter().find(|(c, _)| c == column).map(|(_, v)| v)
    }

    /// The row read into `T`.
    ///
    /// # Errors
    /// An internal error naming the column that does not fit.
    pub fn read<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(RowDe(self)).map_err(|e| Error::internal(format!("row: {e}")))
    }
}

/// What one statement did: the rows it returned and the rows it changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows: Vec<Row>,
    pub changes: u64,
}

/// Why the database refused or failed a statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// A UNIQUE or PRIMARY KEY constraint: `constraint` names its columns as SQLite does
    /// (`documents.sender_id, documents.idempotency_key`).
    #[error("UNIQUE constraint failed: {constraint}")]
    Unique { constraint: String },
    /// A NOT NULL constraint: `column` as SQLite names it (`messages.text`).
    #[error("NOT NULL constraint failed: {column}")]
    NotNull { column: String },
    /// Another constraint (CHECK, FOREIGN KEY).
    #[error("constraint failed: {0}")]
    Constraint(String),
    /// Anything else (the platform's text, for the log).
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// Classifies SQLite's error text (D1 gives nothing but the text): the one place a
    /// constraint failure is told by its message.
    #[must_use]
    pub fn from_message(message: &str) -> DbError {
        if let Some(rest) = message.split("UNIQUE constraint failed: ").nth(1) {
            let constraint = rest.split(": SQLITE").next().unwrap_or(rest).trim();
            return DbError::Unique {
                constraint: constraint.to_owned(),
            };
        }
        if let Some(rest) = message.split("NOT NULL constraint failed: ").nth(1) {
            let column = rest.split(": SQLITE").next().unwrap_or(rest).trim();
            return DbError::NotNull {
                column: column.to_owned(),
            };
        }
        if message.contains("constraint failed") {
            return DbError::Constraint(message.to_owned());
        }
        DbError::Other(message.to_owned())
    }
}

/// A database: D1 in a worker, SQLite natively.
pub trait Database {
    /// Runs one statement.
    fn execute(&self, statement: Statement) -> LocalBoxFuture<'_, Result<Outcome, DbError>>;
    /// Runs statements as one transaction (all or nothing).
    fn batch(
        &self,
        statements: Vec<Statement>,
    ) -> LocalBoxFuture<'_, Result<Vec<Outcome>, DbError>>;
}

/// Round trips and their time, for `Server-Timing`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Trips {
    pub count: u32,
    pub millis: f64,
}

/// The handle the request logic uses.
#[derive(Clone)]
pub struct Db {
    inner: Rc<dyn Database>,
    clock: Rc<dyn Fn() -> f64>,
    trips: Rc<Cell<Trips>>,
}

impl Db {
    /// Wraps a database; `millis` reads a monotonic clock for the round-trip count.
    pub fn new(inner: Rc<dyn Database>, millis: Rc<dyn Fn() -> f64>) -> Db {
        Db {
            inner,
            clock: millis,
            trips: Rc::new(Cell::new(Trips::default())),
        }
    }

    /// The round trips made so far through this handle.
    #[must_use]
    pub fn trips(&self) -> Trips {
        self.trips.get()
    }

    fn count(&self, started: f64) {
        let mut t = self.trips.get();
        t.count += 1;
        t.millis += (self.clock)() - started;
        self.trips.set(t);
    }

    async fn execute(&self, statement: Statement) -> Result<Outcome> {
        let started = (self.clock)();
        let sql = statement.sql.clone();
        let outcome = self.inner.execute(statement).await;
        self.count(started);
        outcome.map_err(|e| Error::database(e, &sql))
    }

    /// The first row, if any.
    ///
    /// # Errors
    /// A database error, or an internal error when the row does not fit `T`.
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn Bind],
    ) -> Result<Option<T>> {
        self.first_of(Statement::new(sql, params)).await
    }

    /// [`Db::first`] of a statement built elsewhere.
    ///
    /// # Errors
    /// As [`Db::first`].
    pub async fn first_of<T: DeserializeOwned>(&self, statement: Statement) -> Result<Option<T>> {
        let sql = statement.sql.clone();
        let outcome = self.execute(statement).await?;
        outcome
            .rows
            .first()
            .map(|r| T::deserialize(RowDe(r)))
            .transpose()
            .map_err(|e| Error::internal(format!("{sql}: {e}")))
    }

    /// All rows.
    ///
    /// # Errors
    /// A database error, or an internal error when a row does not fit `T`.
    pub async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&dyn Bind],
    ) -> Result<Vec<T>> {
        self.all_of(Statement::new(sql, params)).await
    }

    /// [`Db::all`] of a statement built elsewhere.
    ///
    /// # Errors
    /// As [`Db::all`].
    pub async fn all_of<T: DeserializeOwned>(&self, statement: Statement) -> Result<Vec<T>> {
        let sql = statement.sql.clone();
        let outcome = self.execute(statement).await?;
        read_rows(&outcome.rows).map_err(|e| Error::internal(format!("{sql}: {e}")))
    }

    /// Runs a statement and returns how many rows it changed.
    ///
    /// # Errors
    /// A database error.
    pub async fn run(&self, sql: &str, params: &[&dyn Bind]) -> Result<u64> {
        self.run_of(Statement::new(sql, params)).await
    }

    /// [`Db::run`] of a statement built elsewhere.
    ///
    /// # Errors
    /// A database error.
    pub async fn run_of(&self, statement: Statement) -> Result<u64> {
        Ok(self.execute(statement).await?.changes)
    }

    /// Runs statements as one transaction (all or nothing) and returns each one's change count.
    ///
    /// # Errors
    /// A database error; [`Error::unique_violation`] tells a taken value.
    pub async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>> {
        Ok(self
            .batch_rows(statements)
            .await?
            .into_iter()
            .map(|o| o.changes)
            .collect())
    }

    /// [`Db::batch`] with each statement's rows (for `RETURNING` or a select inside a batch).
    ///
    /// # Errors
    /// As [`Db::batch`].
    pub async fn batch_rows(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let started = (self.clock)();
        let first_sql = statements
            .first()
            .map(|s| s.sql.clone())
            .unwrap_or_default();
        let outcome = self.inner.batch(statements).await;
        self.count(started);
        outcome.map_err(|e| Error::database(e, &format!("batch starting {first_sql}")))
    }
}

/// Reads rows into `T`.
///
/// # Errors
/// The first row that does not fit, as text.
pub fn read_rows<T: DeserializeOwned>(rows: &[Row]) -> std::result::Result<Vec<T>, RowError> {
    rows.iter().map(|r| T::deserialize(RowDe(r))).collect()
}

/// A query put together from optional filters: SQL pieces and their parameters, numbered in the
/// order they are bound (the filtered lists).
pub struct Query {
    sql: String,
    params: Vec<Value>,
}

impl Query {
    /// Starts with `sql`, whose own placeholders `?1`, `?2`, … are `params`.
    #[must_use]
    pub fn new(sql: impl Into<String>, params: &[&dyn Bind]) -> Self {
        Query {
            sql: sql.into(),
            params: params.iter().map(|p| p.value()).collect(),
        }
    }

    /// Binds `value` as the next parameter and returns its placeholder (`?k`), for SQL that
    /// uses it more than once.
    pub fn bind(&mut self, value: &dyn Bind) -> String {
        self.params.push(value.value());
        format!("?{}", self.params.len())
    }

    /// Appends `clause`, binding `value` to every `?n` in it.
    pub fn filter(&mut self, clause: &str, value: &dyn Bind) {
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

    /// The statement built.
    #[must_use]
    pub fn statement(self) -> Statement {
        Statement {
            sql: self.sql,
            params: self.params,
        }
    }
}

/// A row that does not fit the struct it is read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError(String);

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RowError {}

impl de::Error for RowError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RowError(msg.to_string())
    }
}

/// A row as a serde map of its columns.
struct RowDe<'a>(&'a Row);

impl<'de> Deserializer<'de> for RowDe<'_> {
    type Error = RowError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        visitor.visit_map(Columns {
            iter: self.0 .0.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Columns<'a> {
    iter: std::slice::Iter<'a, (String, Value)>,
    value: Option<(&'a str, &'a Value)>,
}

impl<'de> de::MapAccess<'de> for Columns<'_> {
    type Error = RowError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, RowError> {
        match self.iter.next() {
            Some((name, value)) => {
                self.value = Some((name, value));
                seed.deserialize(name.as_str().into_deserializer())
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, RowError> {
        let (name, value) = self
            .value
            .take()
            .ok_or_else(|| RowError("a value without its column".to_owned()))?;
        seed.deserialize(ValueDe(value))
            .map_err(|e| RowError(format!("column {name}: {e}")))
    }
}

/// One column's value for serde, lenient where SQLite and D1 differ (numbers).
struct ValueDe<'a>(&'a Value);

impl ValueDe<'_> {
    fn integer(&self) -> std::result::Result<i64, RowError> {
        match self.0 {
            Value::Integer(i) => Ok(*i),
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            Value::Real(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Ok(*f as i64)
            }
            other => Err(RowError(format!("expected an integer, found {other:?}"))),
        }
    }

    fn unexpected(&self, what: &str) -> RowError {
        RowError(format!("expected {what}, found {:?}", self.0))
    }
}

macro_rules! integer_method {
    ($method:ident, $visit:ident, $t:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> std::result::Result<V::Value, RowError> {
            let i = self.integer()?;
            let n = <$t>::try_from(i)
                .map_err(|_| RowError(format!("{i} is out of range for {}", stringify!($t))))?;
            visitor.$visit(n)
        }
    };
}

impl<'de> Deserializer<'de> for ValueDe<'_> {
    type Error = RowError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Integer(i) => visitor.visit_i64(*i),
            // D1 hands integers over as JS numbers: a whole one reads as the integer it is, so
            // a row read through `#[serde(flatten)]` (which goes by this method) fits an integer
            // field too.
            #[allow(clippy::cast_possible_truncation)]
            Value::Real(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                visitor.visit_i64(*f as i64)
            }
            Value::Real(f) => visitor.visit_f64(*f),
            Value::Text(s) => visitor.visit_str(s),
            Value::Blob(b) => visitor.visit_bytes(b),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        visitor.visit_bool(self.integer()? != 0)
    }

    integer_method!(deserialize_u8, visit_u8, u8);
    integer_method!(deserialize_u16, visit_u16, u16);
    integer_method!(deserialize_u32, visit_u32, u32);
    integer_method!(deserialize_u64, visit_u64, u64);
    integer_method!(deserialize_i8, visit_i8, i8);
    integer_method!(deserialize_i16, visit_i16, i16);
    integer_method!(deserialize_i32, visit_i32, i32);
    integer_method!(deserialize_i64, visit_i64, i64);

    fn deserialize_f64<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(i) => visitor.visit_f64(*i as f64),
            Value::Real(f) => visitor.visit_f64(*f),
            _ => Err(self.unexpected("a number")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            Value::Text(s) => visitor.visit_str(s),
            _ => Err(self.unexpected("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.unexpected("NULL")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> std::result::Result<V::Value, RowError> {
        match self.0 {
            Value::Text(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(self.unexpected("the text of an enum value")),
        }
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentStatus;
    use crate::ids::DocumentId;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Doc {
        id: DocumentId,
        size: u64,
        status: DocumentStatus,
        enabled: bool,
        note: Option<String>,
        ratio: f64,
        tags: Json<Vec<String>>,
    }

    fn row(size: Value) -> Row {
        Row(vec![
            (
                "id".into(),
                Value::Text("doc_01jd0000000000000000000000".into()),
            ),
            ("size".into(), size),
            ("status".into(), Value::Text("in_progress".into())),
            ("enabled".into(), Value::Integer(1)),
            ("note".into(), Value::Null),
            ("ratio".into(), Value::Integer(2)),
            ("tags".into(), Value::Text("[\"a\",\"b\"]".into())),
        ])
    }

    #[test]
    fn rows_read_the_same_from_sqlite_integers_and_d1_numbers() {
        for size in [Value::Integer(10_240), Value::Real(10_240.0)] {
            let doc: Doc = row(size).read().unwrap();
            assert_eq!(doc.size, 10_240);
            assert_eq!(doc.status, DocumentStatus::InProgress);
            assert!(doc.enabled);
            assert_eq!(doc.note, None);
            assert!((doc.ratio - 2.0).abs() < f64::EPSILON);
            assert_eq!(doc.tags.0, vec!["a", "b"]);
        }
    }

    #[derive(Debug, Deserialize)]
    struct Flat {
        #[serde(flatten)]
        doc: Sized,
        visible: bool,
    }

    #[derive(Debug, Deserialize)]
    struct Sized {
        size: u64,
        ratio: f64,
    }

    #[test]
    fn flattened_rows_read_d1_numbers_too() {
        let row = Row(vec![
            ("size".into(), Value::Real(7.0)),
            ("ratio".into(), Value::Real(0.5)),
            ("visible".into(), Value::Real(1.0)),
        ]);
        let flat: Flat = row.read().unwrap();
        assert_eq!(flat.doc.size, 7);
        assert!((flat.doc.ratio - 0.5).abs() < f64::EPSILON);
        assert!(flat.visible);
    }

    #[test]
    fn a_row_that_does_not_fit_names_the_column() {
        let err = row(Value::Real(1.5)).read::<Doc>().unwrap_err();
        assert!(format!("{err:?}").contains("column size"), "{err:?}");
        let err = row(Value::Integer(-1)).read::<Doc>().unwrap_err();
        assert!(format!("{err:?}").contains("column size"), "{err:?}");
        let mut bad = row(Value::Integer(1));
        bad.0[2].1 = Value::Text("nonsense".into());
        assert!(bad.read::<Doc>().is_err());
    }

    #[test]
    fn constraint_failures_are_classified_once() {
        assert_eq!(
            DbError::from_message(
                "D1_ERROR: UNIQUE constraint failed: documents.sender_id, documents.idempotency_key: SQLITE_CONSTRAINT"
            ),
            DbError::Unique {
                constraint: "documents.sender_id, documents.idempotency_key".into()
            }
        );
        assert_eq!(
            DbError::from_message("UNIQUE constraint failed: companies.handle"),
            DbError::Unique {
                constraint: "companies.handle".into()
            }
        );
        assert_eq!(
            DbError::from_message(
                "D1_ERROR: NOT NULL constraint failed: messages.text: SQLITE_CONSTRAINT"
            ),
            DbError::NotNull {
                column: "messages.text".into()
            }
        );
        assert!(matches!(
            DbError::from_message("CHECK constraint failed: role IN ('admin')"),
            DbError::Constraint(_)
        ));
        assert!(matches!(
            DbError::from_message("no such table: x"),
            DbError::Other(_)
        ));
    }

    #[test]
    fn queries_number_their_parameters_in_order() {
        let mut q = Query::new("SELECT * FROM documents WHERE sender_id = ?1", &[&"co_a"]);
        q.filter(" AND (reference = ?n OR recipient_reference = ?n)", &"PO-1");
        q.filter(" LIMIT ?n", &51_u32);
        let s = q.statement();
        assert_eq!(
            s.sql,
            "SELECT * FROM documents WHERE sender_id = ?1 AND (reference = ?2 OR recipient_reference = ?2) LIMIT ?3"
        );
        assert_eq!(s.params.len(), 3);
    }
}
