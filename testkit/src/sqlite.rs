//! [`Database`] over SQLite, with the migrations of `d1-migrations/` applied in order and
//! foreign keys enforced (as D1 does). A batch is one transaction.

use std::cell::RefCell;
use std::path::Path;

use futures_util::future::LocalBoxFuture;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};
use shared::platform::{Database, DbError, Outcome, Row, Statement, Value};

use crate::yield_now;

pub struct Sqlite {
    conn: RefCell<Connection>,
    /// Fails the next calls (by their 1-based number from now) with this error, before they
    /// run or after (`true`: done, but the caller hears of a failure, as when D1's answer is
    /// lost): fault injection for the tests of what a failed write leaves behind.
    fail_at: RefCell<Vec<(u64, DbError, bool)>>,
    count: RefCell<u64>,
}

/// The directory of the migrations, from this crate's place in the workspace.
#[must_use]
pub fn migrations_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-migrations")
}

impl Sqlite {
    /// An empty in-memory database with every migration applied.
    ///
    /// # Panics
    /// When a migration does not apply (the test cannot run).
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn migrated() -> Sqlite {
        let conn = Connection::open_in_memory().expect("should open SQLite in memory");
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("should enable foreign keys");
        let mut files: Vec<_> = std::fs::read_dir(migrations_dir())
            .expect("should read d1-migrations")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for file in files {
            let sql = std::fs::read_to_string(&file).expect("should read a migration");
            conn.execute_batch(&sql)
                .unwrap_or_else(|e| panic!("migration {} failed: {e}", file.display()));
        }
        Sqlite {
            conn: RefCell::new(conn),
            fail_at: RefCell::new(Vec::new()),
            count: RefCell::new(0),
        }
    }

    /// Makes the `n`-th statement or batch from now fail with `error` (1 = the next one).
    pub fn fail_nth(&self, n: u64, error: DbError) {
        let at = *self.count.borrow() + n;
        self.fail_at.borrow_mut().push((at, error, false));
    }

    /// Makes the `n`-th statement or batch from now run, and then fail with `error` as if its
    /// answer was lost.
    pub fn fail_nth_after(&self, n: u64, error: DbError) {
        let at = *self.count.borrow() + n;
        self.fail_at.borrow_mut().push((at, error, true));
    }

    /// How many statements and batches ran so far.
    #[must_use]
    pub fn calls(&self) -> u64 {
        *self.count.borrow()
    }

    /// Runs SQL directly (test set-up and checks), returning the rows.
    ///
    /// # Errors
    /// The database's error.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let conn = self.conn.borrow();
        run(
            &conn,
            &Statement {
                sql: sql.to_owned(),
                params: params.to_vec(),
            },
        )
        .map(|o| o.rows)
    }

    /// The failure injected for this call, if any, and whether it comes after the call ran.
    fn injected(&self) -> Option<(DbError, bool)> {
        let mut count = self.count.borrow_mut();
        *count += 1;
        let now = *count;
        let mut fail_at = self.fail_at.borrow_mut();
        let i = fail_at.iter().position(|(at, _, _)| *at == now)?;
        let (_, error, after) = fail_at.remove(i);
        Some((error, after))
    }
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn error_of(err: &rusqlite::Error) -> DbError {
    if let rusqlite::Error::SqliteFailure(e, message) = err {
        if e.code == ErrorCode::ConstraintViolation {
            let message = message.clone().unwrap_or_default();
            // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
            if matches!(e.extended_code, 2067 | 1555) {
                let constraint = message
                    .split("constraint failed: ")
                    .nth(1)
                    .unwrap_or(&message)
                    .to_owned();
                return DbError::Unique { constraint };
            }
            // SQLITE_CONSTRAINT_NOTNULL
            if e.extended_code == 1299 {
                let column = message
                    .split("constraint failed: ")
                    .nth(1)
                    .unwrap_or(&message)
                    .to_owned();
                return DbError::NotNull { column };
            }
            return DbError::Constraint(message);
        }
    }
    DbError::Other(err.to_string())
}

fn run(conn: &Connection, statement: &Statement) -> Result<Outcome, DbError> {
    let mut stmt = conn.prepare(&statement.sql).map_err(|e| error_of(&e))?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let readonly = stmt.readonly();
    let params: Vec<Param<'_>> = statement.params.iter().map(Param).collect();
    let refs: Vec<&dyn rusqlite::ToSql> =
        params.iter().map(|p| p as &dyn rusqlite::ToSql).collect();
    let mut rows = stmt.query(refs.as_slice()).map_err(|e| error_of(&e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| error_of(&e))? {
        let mut columns = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(|e| error_of(&e))? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::Integer(n),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            };
            columns.push((name.clone(), value));
        }
        out.push(Row(columns));
    }
    drop(rows);
    let changes = if readonly { 0 } else { conn.changes() };
    Ok(Outcome { rows: out, changes })
}

impl Database for Sqlite {
    fn execute(&self, statement: Statement) -> LocalBoxFuture<'_, Result<Outcome, DbError>> {
        Box::pin(async move {
            yield_now().await;
            let injected = self.injected();
            if let Some((e, false)) = injected {
                return Err(e);
            }
            let outcome = run(&self.conn.borrow(), &statement);
            match injected {
                Some((e, _)) => Err(e),
                None => outcome,
            }
        })
    }

    fn batch(
        &self,
        statements: Vec<Statement>,
    ) -> LocalBoxFuture<'_, Result<Vec<Outcome>, DbError>> {
        Box::pin(async move {
            yield_now().await;
            let injected = self.injected();
            if let Some((e, false)) = injected {
                return Err(e);
            }
            let conn = self.conn.borrow();
            conn.execute_batch("BEGIN").map_err(|e| error_of(&e))?;
            let mut out = Vec::with_capacity(statements.len());
            for statement in &statements {
                match run(&conn, statement) {
                    Ok(o) => out.push(o),
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        return Err(e);
                    }
                }
            }
            conn.execute_batch("COMMIT").map_err(|e| error_of(&e))?;
            match injected {
                Some((e, _)) => Err(e),
                None => Ok(out),
            }
        })
    }
}
