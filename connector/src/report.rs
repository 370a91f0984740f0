//! Status reports on received documents: one from the command line, or many from the status
//! files an ERP drops into the sync's `status/` folder.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::{Api, Document};
use crate::error::{retrying, Error, Problem, Result};

/// One status report, as a status file line holds it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The document (`doc_…`); or give `reference`.
    #[serde(default)]
    pub document: Option<String>,
    /// The sender's or the own reference of the document (the order number), instead of its id.
    #[serde(default)]
    pub reference: Option<String>,
    /// `accepted`, `rejected`, `in_progress`, `shipped`, `delivered`, `completed`.
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

/// Sends `report`: `POST /v1/documents/{id}/status` (a report sent twice is recorded once).
///
/// # Errors
/// No such document, or the API refused the report (a status the document cannot move to).
pub fn send(api: &Api, report: &Report) -> Result<Document> {
    let id = match (&report.document, &report.reference) {
        (Some(id), _) => id.clone(),
        (None, Some(reference)) => retrying(|| by_reference(api, reference))?,
        (None, None) => {
            return Err(Error::Refused(Problem {
                status: 422,
                code: "invalid_field".into(),
                field: Some("document".into()),
                detail: Some("give the document's id or its reference".into()),
                ..Problem::default()
            }))
        }
    };
    let body = json!({
        "status": report.status, "note": report.note, "reason": report.reason,
        "carrier": report.carrier, "tracking_number": report.tracking_number,
    });
    let body: Value = strip_nulls(body);
    retrying(|| api.post(&format!("/v1/documents/{id}/status"), &body)).map(|(_, d)| d)
}

/// The received document whose reference is `reference`.
fn by_reference(api: &Api, reference: &str) -> Result<String> {
    let received: Vec<Document> = api
        .by_reference(reference)?
        .into_iter()
        .filter(|d| d.mailbox == "inbox")
        .collect();
    match received.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(Error::NotFound(Problem {
            status: 404,
            code: "not_found".into(),
            field: Some("reference".into()),
            detail: Some(format!(
                "no received document has the reference `{reference}`"
            )),
            ..Problem::default()
        })),
        many => Err(Error::Refused(Problem {
            status: 409,
            code: "ambiguous_reference".into(),
            field: Some("reference".into()),
            detail: Some(format!(
                "{} received documents have the reference `{reference}`; give the document id",
                many.len()
            )),
            ..Problem::default()
        })),
    }
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

/// The reports of a status file: one JSON object, an array of them, or one object per line.
///
/// # Errors
/// The file is none of these (the message names the line).
pub fn parse_file(text: &str) -> Result<Vec<Report>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| e.to_string());
    }
    if let Ok(one) = serde_json::from_str::<Report>(trimmed) {
        return Ok(vec![one]);
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_files_hold_one_report_an_array_or_one_per_line() {
        let one =
            r#"{"document":"doc_1","status":"shipped","carrier":"DHL","tracking_number":"1Z"}"#;
        assert_eq!(parse_file(one).map(|r| r.len()), Ok(1));
        let array =
            r#"[{"document":"doc_1","status":"accepted"},{"reference":"PO-1","status":"shipped"}]"#;
        assert_eq!(parse_file(array).map(|r| r.len()), Ok(2));
        let lines = "{\"document\":\"doc_1\",\"status\":\"accepted\"}\n\n{\"reference\":\"PO-2\",\"status\":\"completed\"}\n";
        assert_eq!(parse_file(lines).map(|r| r.len()), Ok(2));
        let bad = "{\"document\":\"doc_1\",\"status\":\"accepted\"}\n{\"document\":\"doc_2\",\"stat\":1}\n";
        assert!(parse_file(bad).is_err_and(|e| e.starts_with("line 2")));
    }
}
