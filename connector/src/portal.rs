//! The connector as the company's admin sees it in the portal: it registers itself
//! (`POST /v1/connectors`), reports every run (`POST /v1/connectors/{id}/runs`) and takes the
//! settings of each operation from the answers and from polling `GET /v1/connectors/{id}`:
//! switched off, another interval, a run now or at a set time.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::client::Api;
use crate::error::Result;

/// The operations of the sync, in the order they run.
pub const OPERATIONS: [&str; 3] = ["send", "fetch", "status"];

/// The connector as the API answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Connector {
    pub id: String,
    pub operations: Vec<Operation>,
}

/// One operation's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Operation {
    pub operation: String,
    pub enabled: bool,
    pub interval_secs: u64,
    /// A one-time run at or after this time (RFC 3339).
    pub run_at: Option<String>,
}

/// What a run of one operation did.
#[derive(Debug, Clone)]
pub struct Run {
    pub operation: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub files: u64,
    pub errors: u64,
    pub message: Option<String>,
}

/// Registers the connector as `name` with the intervals configured locally (the admin's
/// settings, once made, win).
///
/// # Errors
/// The API refused or could not be reached.
pub fn register(
    api: &Api,
    name: &str,
    intervals: &[(&'static str, Duration)],
) -> Result<Connector> {
    let host = host_name().map(|h| h.chars().take(200).collect::<String>());
    let operations: Vec<_> = intervals
        .iter()
        // The portal takes 10 s to 7 days (and its answer then sets the interval).
        .map(|(op, every)| json!({"operation": op, "interval_secs": every.as_secs().clamp(10, 604_800)}))
        .collect();
    let name: String = name.chars().take(100).collect();
    let body = json!({
        "name": name, "host": host, "version": env!("CARGO_PKG_VERSION"), "operations": operations,
    });
    api.post("/v1/connectors", &body).map(|(_, c)| c)
}

/// This machine's name, if it has one.
#[must_use]
pub fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// The settings as they are now.
///
/// # Errors
/// The API refused or could not be reached.
pub fn poll(api: &Api, id: &str) -> Result<Connector> {
    api.get(&format!("/v1/connectors/{id}"))
}

/// Reports `run`; the answer carries the settings as they are now.
///
/// # Errors
/// The API refused or could not be reached.
pub fn report(api: &Api, id: &str, run: &Run) -> Result<Connector> {
    #[derive(Deserialize)]
    struct Answer {
        connector: Connector,
    }
    let body = json!({
        "operation": run.operation, "started_at": run.started_at, "finished_at": run.finished_at,
        "files": run.files, "errors": run.errors,
        "message": run.message.as_deref().map(str::trim).filter(|m| !m.is_empty())
            .map(|m| m.chars().take(2000).collect::<String>()),
    });
    api.post::<Answer>(&format!("/v1/connectors/{id}/runs"), &body)
        .map(|(_, a)| a.connector)
}
