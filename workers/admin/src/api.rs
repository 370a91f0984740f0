//! The admin worker's request and answer types (the OpenAPI schemas).

use serde::{Deserialize, Serialize};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// Which entries of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// One action (`user.updated`, `api_key.revoked`, …).
    #[param(max_length = 40)]
    pub action: Option<String>,
    /// What a person or API key did (`usr_…`, `key_…`).
    #[param(max_length = 40)]
    pub actor: Option<String>,
    /// What was done to a person, key or webhook endpoint (its id).
    #[param(max_length = 40)]
    pub target: Option<String>,
    /// From this instant on (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
}

/// Who acted, or what was acted on, with its name as it is now ("Former user" once erased).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditParty {
    /// `user`, `api_key` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    /// The person's or key's name, the endpoint's URL.
    pub name: Option<String>,
}

/// An administrative action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: String,
    pub action: String,
    pub actor: Option<AuditParty>,
    pub target: AuditParty,
    /// What changed: role and permissions granted and revoked, a key's name and permissions,
    /// an endpoint's URL and events.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: Time,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditEntryOut>,
    pub next_cursor: Option<String>,
}
