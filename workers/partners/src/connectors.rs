//! `/v1/connectors`: the company's ERP connectors (the `tradepost` command line). A connector
//! registers itself with an API key of its company, polls its settings and reports each run of
//! each operation; the company's admins (`users.manage`, which governs the API keys too) see
//! the connectors and their runs, run an operation now or in some minutes, switch it off or
//! change its interval. The connector picks the settings up on its next contact.
//!
//! Every answer is one batch besides the caller's authentication (`shared::data::connectors`).

use chrono::Duration;
use serde_json::json;
use shared::connector::{self, Operation};
use shared::data::connectors::{self, NewRun, OperationChange, Registration};
use shared::event::{self, Event};
use shared::ids::{ApiKeyId, ConnectorId, ConnectorRunId};
use shared::permissions::{Permission, Principal, PrincipalKind};
use shared::service::{Cx, Page, Reply};
use shared::time::{self, Time};
use shared::{validate, Error, Result};

use crate::api::{
    ConnectorIn, ConnectorList, ConnectorOperationPatch, ConnectorOut, ConnectorRunIn,
    ConnectorRunList, ConnectorRunOut, ConnectorRunQuery, ConnectorRunReport,
};

/// The key a connector calls with; a person is refused.
fn api_key_only(me: &Principal) -> Result<ApiKeyId> {
    match (me.kind, &me.api_key_id) {
        (PrincipalKind::ApiKey, Some(id)) => Ok(id.clone()),
        _ => Err(Error::forbidden(
            "api_key_only",
            "connectors call with an API key of their company, not as a person",
        )),
    }
}

/// Whether the caller is an API key of the company (a connector); otherwise it must hold
/// `users.manage`.
fn key_or_manager(me: &Principal) -> Result<bool> {
    if me.kind == PrincipalKind::ApiKey {
        return Ok(true);
    }
    me.require(Permission::UsersManage)?;
    Ok(false)
}

fn not_found() -> Error {
    Error::not_found("connector")
}

/// `POST /v1/connectors`: 201 for a new connector, 200 for one registered before by its name.
pub async fn register_connector(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let key = api_key_only(&me)?;
    let input: ConnectorIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 100)?;
    let host = validate::optional_text("host", input.host.as_deref(), 200)?;
    let version = validate::optional_text("version", input.version.as_deref(), 50)?;
    let mut operations: Vec<(Operation, u64)> = Vec::with_capacity(input.operations.len());
    for (i, op) in input.operations.iter().enumerate() {
        if operations.iter().any(|(o, _)| *o == op.operation) {
            return Err(Error::invalid(
                format!("operations[{i}].operation"),
                format!("{} is listed twice", op.operation),
            ));
        }
        let secs =
            connector::check_interval(&format!("operations[{i}].interval_secs"), op.interval_secs)?;
        operations.push((op.operation, secs));
    }
    let registered = connectors::register(
        &cx.db,
        &Registration {
            id: &ConnectorId::new(cx.now)?,
            company_id: &me.company_id,
            api_key_id: &key,
            name: &name,
            host: host.as_deref(),
            version: version.as_deref(),
            operations: &operations,
            now: Time(cx.now),
        },
    )
    .await?;
    let status = if registered.created { 201 } else { 200 };
    Reply::json(status, &ConnectorOut::of(registered.connector))
}

/// `GET /v1/connectors`.
pub async fn list_connectors(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let rows = connectors::list(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &ConnectorList {
            data: rows.into_iter().map(ConnectorOut::of).collect(),
        },
    )
}

/// `GET /v1/connectors/{id}`: a connector polling its settings is seen now.
pub async fn get_connector(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let polled = key_or_manager(&me)?;
    let id = ConnectorId::parse(cx.param("id"))?;
    let row = if polled {
        connectors::poll(&cx.db, &me.company_id, &id, Time(cx.now)).await?
    } else {
        connectors::find(&cx.db, &me.company_id, &id).await?
    };
    Reply::json(200, &ConnectorOut::of(row.ok_or_else(not_found)?))
}

/// `POST /v1/connectors/{id}/runs`: 201 for a new run, 200 for one reported before (the same
/// operation and start).
pub async fn report_run(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    api_key_only(&me)?;
    let id = ConnectorId::parse(cx.param("id"))?;
    let input: ConnectorRunIn = cx.body().await?;
    let started_at = Time(time::parse("started_at", &input.started_at)?);
    let finished_at = Time(time::parse("finished_at", &input.finished_at)?);
    if finished_at < started_at {
        return Err(Error::invalid(
            "finished_at",
            "must not be before started_at",
        ));
    }
    let files = connector::check_count("files", input.files)?;
    let errors = connector::check_count("errors", input.errors)?;
    let message = validate::optional_text("message", input.message.as_deref(), 2000)?;
    let run_id = ConnectorRunId::new(cx.now)?;
    let event = if errors > 0 {
        Some(Event::new(
            event::CONNECTOR_RUN_FAILED,
            &me.company_id,
            json!({
                "connector_id": id,
                "run_id": run_id,
                "operation": input.operation,
                "started_at": started_at,
                "finished_at": finished_at,
                "files": files,
                "errors": errors,
                "message": message,
            }),
            cx.now,
        )?)
    } else {
        None
    };
    let reported = connectors::report(
        &cx.db,
        &NewRun {
            id: &run_id,
            connector_id: &id,
            company_id: &me.company_id,
            operation: input.operation,
            started_at,
            finished_at,
            files,
            errors,
            message: message.as_deref(),
            now: Time(cx.now),
        },
        event.as_ref(),
    )
    .await?;
    let connector = reported.connector.ok_or_else(not_found)?;
    let Some(run) = reported.run else {
        return Err(Error::invalid(
            "operation",
            format!(
                "the connector has no operation {}; register it first",
                input.operation
            ),
        ));
    };
    if reported.created {
        cx.publish(event.into_iter().collect());
    }
    Reply::json(
        if reported.created { 201 } else { 200 },
        &ConnectorRunReport {
            run: ConnectorRunOut::of(run),
            connector: ConnectorOut::of(connector),
        },
    )
}

/// `GET /v1/connectors/{id}/runs?operation=`: newest first.
pub async fn list_runs(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    key_or_manager(&me)?;
    let id = ConnectorId::parse(cx.param("id"))?;
    let q: ConnectorRunQuery = cx.query_as()?;
    let page = Page::from_request(cx)?;
    let rows = connectors::runs(
        &cx.db,
        &me.company_id,
        &id,
        q.operation,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?
    .ok_or_else(not_found)?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &ConnectorRunList {
            data: rows.into_iter().map(ConnectorRunOut::of).collect(),
            next_cursor,
        },
    )
}

/// `PATCH /v1/connectors/{id}/operations/{operation}`.
pub async fn update_connector_operation(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = ConnectorId::parse(cx.param("id"))?;
    let op = Operation::ALL
        .into_iter()
        .find(|o| o.as_str() == cx.param("operation"))
        .ok_or(Error::not_found("operation"))?;
    let patch: ConnectorOperationPatch = cx.body().await?;
    let interval_secs = patch
        .interval
        .as_deref()
        .map(|t| connector::parse_interval("interval", t))
        .transpose()?;
    let run_at = match patch.run_in_minutes {
        None => None,
        Some(n) if n <= connector::MAX_RUN_IN_MINUTES => {
            Some(Time(cx.now + Duration::minutes(i64::from(n))))
        }
        Some(_) => {
            return Err(Error::invalid(
                "run_in_minutes",
                "must be from 0 (now) to 10080 (7 days)",
            ))
        }
    };
    let change = OperationChange {
        enabled: patch.enabled,
        interval_secs,
        run_at,
    };
    let row = connectors::change_operation(&cx.db, &me.company_id, &id, op, &change, Time(cx.now))
        .await?
        .ok_or_else(not_found)?;
    if row.operation(op).is_none() {
        return Err(Error::not_found("operation"));
    }
    Reply::json(200, &ConnectorOut::of(row))
}

/// `DELETE /v1/connectors/{id}`: with its operations and runs.
pub async fn delete_connector(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = ConnectorId::parse(cx.param("id"))?;
    if !connectors::delete(&cx.db, &me.company_id, &id).await? {
        return Err(not_found());
    }
    Ok(Reply::no_content())
}
