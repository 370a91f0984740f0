//! `connectors`, `connector_operations`, `connector_runs`: a company's ERP connectors, the
//! admins' settings on each of their operations, and the runs they report. A connector is read
//! with its operations and each operation's last run in one query, and every write is one batch
//! that ends with that read, so each request makes one round trip besides its authentication.

use serde::Deserialize;

use super::{events, Db, Statement};
use crate::connector::Operation;
use crate::event::Event;
use crate::ids::{ApiKeyId, CompanyId, ConnectorId, ConnectorRunId};
use crate::platform::{Bind, Json, Value};
use crate::time::Time;
use crate::{Error, Result};

impl Bind for ConnectorId {
    fn value(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

impl Bind for ConnectorRunId {
    fn value(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

/// One reported run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunRow {
    pub id: ConnectorRunId,
    pub operation: Operation,
    pub started_at: Time,
    pub finished_at: Time,
    pub files: u64,
    pub errors: u64,
    pub message: Option<String>,
}

/// An operation of a connector with the admins' settings and its newest run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OperationRow {
    pub operation: Operation,
    pub enabled: bool,
    pub interval_secs: u64,
    /// A one-time run due then.
    pub run_at: Option<Time>,
    pub last_run: Option<RunRow>,
}

/// A connector with its operations (read in the same query).
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectorRow {
    pub id: ConnectorId,
    pub company_id: CompanyId,
    /// The key it last registered with.
    pub api_key_id: ApiKeyId,
    pub name: String,
    pub host: Option<String>,
    pub version: Option<String>,
    pub registered_at: Time,
    pub last_seen_at: Time,
    pub operations: Json<Vec<OperationRow>>,
}

impl ConnectorRow {
    /// Its operations in the canonical order (send, fetch, status).
    #[must_use]
    pub fn operations(&self) -> Vec<OperationRow> {
        let mut ops = self.operations.0.clone();
        ops.sort_by_key(|o| o.operation.rank());
        ops
    }

    /// The operation `op`, if the connector has it.
    #[must_use]
    pub fn operation(&self, op: Operation) -> Option<&OperationRow> {
        self.operations.0.iter().find(|o| o.operation == op)
    }
}

const RUN_JSON: &str = "json_object('id', r.id, 'operation', r.operation, \
     'started_at', r.started_at, 'finished_at', r.finished_at, 'files', r.files, \
     'errors', r.errors, 'message', r.message)";

/// The columns of [`ConnectorRow`] from `connectors c`. A JSON value loses its JSON type
/// through a sub-select, hence `json(…)` around the last run.
fn connector_columns() -> String {
    format!(
        "c.id, c.company_id, c.api_key_id, c.name, c.host, c.version, c.registered_at, \
         c.last_seen_at, \
         (SELECT json_group_array(json_object('operation', o.operation, \
         'enabled', json(CASE WHEN o.enabled <> 0 THEN 'true' ELSE 'false' END), \
         'interval_secs', o.interval_secs, 'run_at', o.run_at, \
         'last_run', json((SELECT {RUN_JSON} FROM connector_runs r \
         WHERE r.connector_id = o.connector_id AND r.operation = o.operation \
         ORDER BY r.id DESC LIMIT 1)))) \
         FROM connector_operations o WHERE o.connector_id = c.id) AS operations"
    )
}

const RUN_COLUMNS: &str =
    "r.id, r.operation, r.started_at, r.finished_at, r.files, r.errors, r.message";

/// The read of one of the viewer's connectors, for the end of a batch.
fn find_stmt(viewer: &CompanyId, id: &ConnectorId) -> Statement {
    Statement::new(
        format!(
            "SELECT {} FROM connectors c WHERE c.id = ?1 AND c.company_id = ?2",
            connector_columns()
        ),
        &[id, viewer],
    )
}

use super::first_of;

/// One of the viewer's connectors.
///
/// # Errors
/// A database error.
pub async fn find(db: &Db, viewer: &CompanyId, id: &ConnectorId) -> Result<Option<ConnectorRow>> {
    db.first_of(find_stmt(viewer, id)).await
}

/// The viewer's connectors, by name.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db, viewer: &CompanyId) -> Result<Vec<ConnectorRow>> {
    db.all(
        &format!(
            "SELECT {} FROM connectors c WHERE c.company_id = ?1 ORDER BY c.name, c.id",
            connector_columns()
        ),
        &[viewer],
    )
    .await
}

/// A connector registering itself.
pub struct Registration<'a> {
    /// The id it gets if it is new.
    pub id: &'a ConnectorId,
    pub company_id: &'a CompanyId,
    pub api_key_id: &'a ApiKeyId,
    pub name: &'a str,
    pub host: Option<&'a str>,
    pub version: Option<&'a str>,
    /// Its operations with the interval each starts with.
    pub operations: &'a [(Operation, u64)],
    pub now: Time,
}

/// A registration's outcome.
pub struct Registered {
    pub connector: ConnectorRow,
    /// Whether the connector is new (else it was registered before under its name).
    pub created: bool,
}

/// Registers a connector by its name within the company, in one batch: a new one is stored; a
/// known one gets the key, host and version it sends now; either is seen now. Operations not yet
/// stored are added (enabled, at the interval given); stored ones keep the admins' settings.
/// Registrations of one name at once make one connector.
///
/// # Errors
/// A database error.
pub async fn register(db: &Db, r: &Registration<'_>) -> Result<Registered> {
    let operations: Vec<serde_json::Value> = r
        .operations
        .iter()
        .map(|(op, secs)| serde_json::json!({ "operation": op.as_str(), "interval_secs": secs }))
        .collect();
    let operations =
        serde_json::to_string(&operations).map_err(|e| Error::internal(e.to_string()))?;
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "INSERT INTO connectors (id, company_id, api_key_id, name, host, version, \
                 registered_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
                 ON CONFLICT (company_id, name) DO NOTHING",
                &[
                    r.id,
                    r.company_id,
                    r.api_key_id,
                    &r.name,
                    &r.host,
                    &r.version,
                    &r.now,
                ],
            ),
            Statement::new(
                "UPDATE connectors SET api_key_id = ?3, host = ?4, version = ?5, \
                 last_seen_at = ?6 WHERE company_id = ?1 AND name = ?2",
                &[
                    r.company_id,
                    &r.name,
                    r.api_key_id,
                    &r.host,
                    &r.version,
                    &r.now,
                ],
            ),
            Statement::new(
                "INSERT INTO connector_operations (connector_id, operation, enabled, \
                 interval_secs, run_at, updated_at) \
                 SELECT c.id, json_extract(j.value, '$.operation'), 1, \
                 json_extract(j.value, '$.interval_secs'), NULL, ?4 \
                 FROM connectors c, json_each(?3) j WHERE c.company_id = ?1 AND c.name = ?2 \
                 ON CONFLICT (connector_id, operation) DO NOTHING",
                &[r.company_id, &r.name, &operations, &r.now],
            ),
            Statement::new(
                format!(
                    "SELECT {} FROM connectors c WHERE c.company_id = ?1 AND c.name = ?2",
                    connector_columns()
                ),
                &[r.company_id, &r.name],
            ),
        ])
        .await?;
    let created = outcomes.first().is_some_and(|o| o.changes > 0);
    let connector = first_of(outcomes.get(3))?
        .ok_or_else(|| Error::internal("the registered connector was not read back"))?;
    Ok(Registered { connector, created })
}

/// One of the viewer's connectors as it polls its settings: seen now (one batch).
///
/// # Errors
/// A database error.
pub async fn poll(
    db: &Db,
    viewer: &CompanyId,
    id: &ConnectorId,
    now: Time,
) -> Result<Option<ConnectorRow>> {
    let outcomes = db
        .batch_rows(vec![seen_stmt(viewer, id, now), find_stmt(viewer, id)])
        .await?;
    first_of(outcomes.get(1))
}

fn seen_stmt(viewer: &CompanyId, id: &ConnectorId, now: Time) -> Statement {
    Statement::new(
        "UPDATE connectors SET last_seen_at = ?3 WHERE id = ?1 AND company_id = ?2",
        &[id, viewer, &now],
    )
}

/// A run as the connector reports it.
pub struct NewRun<'a> {
    /// The id it gets if it is new.
    pub id: &'a ConnectorRunId,
    pub connector_id: &'a ConnectorId,
    /// The reporting company: the connector must be its own.
    pub company_id: &'a CompanyId,
    pub operation: Operation,
    pub started_at: Time,
    pub finished_at: Time,
    pub files: u64,
    pub errors: u64,
    pub message: Option<&'a str>,
    pub now: Time,
}

/// A report's outcome.
pub struct Reported {
    /// The connector as it is now; `None`: the company has no such connector.
    pub connector: Option<ConnectorRow>,
    /// The stored run (the one stored the first time, for a report sent again); `None` when the
    /// connector has no such operation.
    pub run: Option<RunRow>,
    /// Whether this report stored the run.
    pub created: bool,
}

/// Stores a run report in one batch: the run (once per operation and start: a report sent
/// again stores nothing and writes no event), the event's outbox row if this report stored it,
/// the one-time run cleared when it was due by the run's start, the connector seen now; then
/// the run and the connector read back.
///
/// # Errors
/// A database error.
pub async fn report(db: &Db, run: &NewRun<'_>, event: Option<&Event>) -> Result<Reported> {
    let mut statements = vec![Statement::new(
        "INSERT INTO connector_runs (id, connector_id, company_id, operation, started_at, \
         finished_at, files, errors, message, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 \
         FROM connector_operations o JOIN connectors c ON c.id = o.connector_id \
         WHERE c.id = ?2 AND c.company_id = ?3 AND o.operation = ?4) \
         ON CONFLICT (connector_id, operation, started_at) DO NOTHING",
        &[
            run.id,
            run.connector_id,
            run.company_id,
            &run.operation,
            &run.started_at,
            &run.finished_at,
            &run.files,
            &run.errors,
            &run.message,
            &run.now,
        ],
    )];
    if let Some(event) = event {
        statements.push(events::insert_if_changed_stmt(event));
    }
    statements.push(Statement::new(
        "UPDATE connector_operations SET run_at = NULL, updated_at = ?4 \
         WHERE connector_id = ?1 AND operation = ?2 AND run_at IS NOT NULL AND run_at <= ?3 \
         AND connector_id IN (SELECT id FROM connectors WHERE company_id = ?5)",
        &[
            run.connector_id,
            &run.operation,
            &run.started_at,
            &run.now,
            run.company_id,
        ],
    ));
    statements.push(seen_stmt(run.company_id, run.connector_id, run.now));
    statements.push(Statement::new(
        format!(
            "SELECT {RUN_COLUMNS} FROM connector_runs r WHERE r.connector_id = ?1 \
             AND r.operation = ?2 AND r.started_at = ?3 AND r.company_id = ?4"
        ),
        &[
            run.connector_id,
            &run.operation,
            &run.started_at,
            run.company_id,
        ],
    ));
    statements.push(find_stmt(run.company_id, run.connector_id));
    let n = statements.len();
    let outcomes = db.batch_rows(statements).await?;
    Ok(Reported {
        created: outcomes.first().is_some_and(|o| o.changes > 0),
        run: first_of(outcomes.get(n - 2))?,
        connector: first_of(outcomes.get(n - 1))?,
    })
}

/// What the admins change on an operation (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationChange {
    pub enabled: Option<bool>,
    pub interval_secs: Option<u64>,
    /// A one-time run due then.
    pub run_at: Option<Time>,
}

impl OperationChange {
    fn is_empty(&self) -> bool {
        *self == OperationChange::default()
    }
}

/// Changes an operation of one of the viewer's connectors and reads the connector back (one
/// batch); `None` when the viewer has no such connector. An operation the connector does not
/// have is left alone (the caller sees it missing from the connector).
///
/// # Errors
/// A database error.
pub async fn change_operation(
    db: &Db,
    viewer: &CompanyId,
    id: &ConnectorId,
    op: Operation,
    change: &OperationChange,
    now: Time,
) -> Result<Option<ConnectorRow>> {
    if change.is_empty() {
        return find(db, viewer, id).await;
    }
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "UPDATE connector_operations SET enabled = COALESCE(?4, enabled), \
                 interval_secs = COALESCE(?5, interval_secs), run_at = COALESCE(?6, run_at), \
                 updated_at = ?7 WHERE connector_id = ?1 AND operation = ?2 \
                 AND connector_id IN (SELECT id FROM connectors WHERE company_id = ?3)",
                &[
                    id,
                    &op,
                    viewer,
                    &change.enabled,
                    &change.interval_secs,
                    &change.run_at,
                    &now,
                ],
            ),
            find_stmt(viewer, id),
        ])
        .await?;
    first_of(outcomes.get(1))
}

/// A page of the runs of one of the viewer's connectors, newest first, optionally of one
/// operation (one batch); `None` when the viewer has no such connector.
///
/// # Errors
/// A database error.
pub async fn runs(
    db: &Db,
    viewer: &CompanyId,
    id: &ConnectorId,
    operation: Option<Operation>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Option<Vec<RunRow>>> {
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "SELECT id FROM connectors WHERE id = ?1 AND company_id = ?2",
                &[id, viewer],
            ),
            Statement::new(
                format!(
                    "SELECT {RUN_COLUMNS} FROM connector_runs r WHERE r.connector_id = ?1 \
                     AND r.company_id = ?2 AND (?3 IS NULL OR r.operation = ?3) \
                     AND (?4 IS NULL OR r.id < ?4) ORDER BY r.id DESC LIMIT ?5"
                ),
                &[id, viewer, &operation, &before, &fetch],
            ),
        ])
        .await?;
    if outcomes.first().is_none_or(|o| o.rows.is_empty()) {
        return Ok(None);
    }
    let rows = outcomes.get(1).map(|o| o.rows.as_slice()).unwrap_or(&[]);
    crate::platform::db::read_rows(rows)
        .map(Some)
        .map_err(|e| Error::internal(format!("connector runs: {e}")))
}

/// Deletes one of the viewer's connectors with its operations and runs (one batch); `false`
/// when it has no such connector.
///
/// # Errors
/// A database error.
pub async fn delete(db: &Db, viewer: &CompanyId, id: &ConnectorId) -> Result<bool> {
    let mine = "SELECT id FROM connectors WHERE id = ?1 AND company_id = ?2";
    let changed = db
        .batch(vec![
            Statement::new(
                format!("DELETE FROM connector_runs WHERE connector_id IN ({mine})"),
                &[id, viewer],
            ),
            Statement::new(
                format!("DELETE FROM connector_operations WHERE connector_id IN ({mine})"),
                &[id, viewer],
            ),
            Statement::new(
                "DELETE FROM connectors WHERE id = ?1 AND company_id = ?2",
                &[id, viewer],
            ),
        ])
        .await?;
    Ok(changed.last().copied().unwrap_or(0) > 0)
}
