//! [`Database`] over D1: statements prepared and bound at the JS level, rows converted once
//! into [`Row`]s (never `serde_wasm_bindgen` per row type), errors classified once
//! ([`DbError::from_message`]: D1 reports constraint failures only as text).

use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::types::{
    D1Database as D1Sys, D1PreparedStatement as StatementSys, D1Result as ResultSys,
};

use crate::platform::{Database, DbError, Outcome, Row, Statement, Value};

pub struct D1(D1Sys);

impl D1 {
    pub fn new(db: worker::D1Database) -> D1 {
        D1(JsValue::from(db).unchecked_into())
    }

    fn prepare(&self, statement: &Statement) -> Result<StatementSys, DbError> {
        let prepared = self.0.prepare(&statement.sql).map_err(error_of)?;
        let values: Array = statement.params.iter().map(js_of).collect();
        prepared.bind(values).map_err(error_of)
    }
}

impl Database for D1 {
    fn execute(&self, statement: Statement) -> LocalBoxFuture<'_, Result<Outcome, DbError>> {
        Box::pin(async move {
            let prepared = self.prepare(&statement)?;
            let promise = prepared.all().map_err(error_of)?;
            let result = JsFuture::from(promise).await.map_err(error_of)?;
            outcome_of(&result.unchecked_into())
        })
    }

    fn batch(
        &self,
        statements: Vec<Statement>,
    ) -> LocalBoxFuture<'_, Result<Vec<Outcome>, DbError>> {
        Box::pin(async move {
            let prepared = Array::new();
            for statement in &statements {
                let statement: JsValue = self.prepare(statement)?.into();
                prepared.push(&statement);
            }
            let promise = self.0.batch(prepared).map_err(error_of)?;
            let results = JsFuture::from(promise).await.map_err(error_of)?;
            let results: Array = results.unchecked_into();
            results
                .iter()
                .map(|r| outcome_of(&r.unchecked_into()))
                .collect()
        })
    }
}

/// D1 rejects BigInt: integers go as JS numbers (exact below 2^53).
#[allow(clippy::cast_precision_loss)]
fn js_of(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Integer(i) => JsValue::from_f64(*i as f64),
        Value::Real(f) => JsValue::from_f64(*f),
        Value::Text(s) => JsValue::from_str(s),
        Value::Blob(b) => Uint8Array::from(b.as_slice()).into(),
    }
}

fn value_of(js: &JsValue) -> Value {
    if js.is_null() || js.is_undefined() {
        Value::Null
    } else if let Some(s) = js.as_string() {
        Value::Text(s)
    } else if let Some(f) = js.as_f64() {
        Value::Real(f)
    } else if let Some(b) = js.as_bool() {
        Value::Integer(i64::from(b))
    } else if let Some(array) = js.dyn_ref::<Array>() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bytes = array
            .iter()
            .map(|v| v.as_f64().unwrap_or(0.0) as u8)
            .collect();
        Value::Blob(bytes)
    } else if js.is_instance_of::<js_sys::ArrayBuffer>() {
        Value::Blob(Uint8Array::new(js).to_vec())
    } else {
        Value::Null
    }
}

fn outcome_of(result: &ResultSys) -> Result<Outcome, DbError> {
    let rows = match result.results().map_err(error_of)? {
        Some(rows) => rows
            .iter()
            .map(|row| {
                let entries = Object::entries(row.unchecked_ref::<Object>());
                Row(entries
                    .iter()
                    .map(|pair| {
                        let pair: Array = pair.unchecked_into();
                        (
                            pair.get(0).as_string().unwrap_or_default(),
                            value_of(&pair.get(1)),
                        )
                    })
                    .collect())
            })
            .collect(),
        None => Vec::new(),
    };
    let changes = result
        .meta()
        .ok()
        .and_then(|meta| Reflect::get(&meta, &JsValue::from_str("changes")).ok())
        .and_then(|c| c.as_f64())
        .unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let changes = changes.max(0.0) as u64;
    Ok(Outcome { rows, changes })
}

/// D1's error as one text (its message and its cause's), classified.
fn error_of(err: JsValue) -> DbError {
    let text = match err.dyn_ref::<js_sys::Error>() {
        Some(e) => {
            let mut text: String = e.message().into();
            if let Some(cause) = e.cause().dyn_ref::<js_sys::Error>() {
                text.push_str(": ");
                text.push_str(&String::from(cause.message()));
            }
            text
        }
        None => err.as_string().unwrap_or_else(|| format!("{err:?}")),
    };
    DbError::from_message(&text)
}
