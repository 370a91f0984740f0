//! The mailer's request and answer types (the OpenAPI schemas).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::lang::Language;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// The secret of an unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    #[param(max_length = 100)]
    pub token: Option<String>,
}

/// As of when a dev run acts, and (housekeeping) for which company.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AsOfIn {
    /// The company whose rows housekeeping may remove (required there; the sender ignores it).
    #[serde(default)]
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: Option<String>,
    /// As if it were then (RFC 3339); now when left out.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub as_of: Option<String>,
}

impl AsOfIn {
    /// The instant the run acts as of: `as_of`, else `now`.
    ///
    /// # Errors
    /// A 422 naming `as_of` when it is no RFC 3339 time.
    pub fn instant(&self, now: shared::time::Timestamp) -> shared::Result<shared::time::Timestamp> {
        self.as_of
            .as_deref()
            .map_or(Ok(now), |t| shared::time::parse("as_of", t))
    }
}

/// What one run of the sender did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SendOut {
    /// Handed over and taken (marked `sent` with the provider's message id).
    pub sent: u32,
    /// Refused, to be tried again later.
    pub retried: u32,
    /// Given up (marked `failed` with the reason).
    pub failed: u32,
}

/// What one run of housekeeping removed: rows per table.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct HousekeepingOut {
    pub removed: BTreeMap<String, u64>,
}

/// Whose mail (dev only).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    #[param(max_length = 254)]
    pub to: Option<String>,
}

/// A mail as written, and where its delivery stands (dev only).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailOut {
    pub id: String,
    pub to: String,
    pub language: Language,
    pub template: String,
    pub subject: String,
    pub text: String,
    /// The first link of the text.
    pub link: Option<String>,
    pub created_at: Time,
    /// The sender's display name where the mail is about a partner.
    pub from_name: Option<String>,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<Time>,
    pub sent_at: Option<Time>,
    /// The Email Service's id of the message, once sent.
    pub message_id: Option<String>,
    /// Why the last attempt was refused, or why the mail failed.
    pub error: Option<String>,
    /// An info mail's one-click unsubscribe address, once it was handed over.
    pub unsubscribe_url: Option<String>,
}

/// A page of mails (dev only).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailList {
    pub data: Vec<MailOut>,
    pub next_cursor: Option<String>,
}

/// A person's choice of info mails.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsOut {
    /// The event types mailed to the caller.
    pub events: Vec<String>,
    /// Whether these are the defaults (the caller never chose).
    pub default: bool,
    /// Every event type that can be mailed.
    pub available: Vec<&'static str>,
    pub updated_at: Option<Time>,
}

/// The event types to be mailed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIn {
    pub events: Vec<String>,
}
