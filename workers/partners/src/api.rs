//! What the partners worker takes and answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::connector::{self, Operation};
use shared::data::companies::CompanyOut;
use shared::data::connectors::{ConnectorRow, RunRow};
use shared::data::contacts::ContactRow;
use shared::data::relationships::{RelationshipCounts, RelationshipRow};
use shared::ids::{
    ApiKeyId, CompanyId, ConnectorId, ConnectorRunId, ContactId, InvitationId, RelationshipId,
    UserId,
};
use shared::lang::Language;
use shared::relationship::{PartyRole, RelationshipStatus, ServiceState, Services, Settings, Side};
use shared::time::Time;
use shared::vcard::Card;
use utoipa::{IntoParams, ToSchema};

/// A page of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyList {
    pub data: Vec<CompanyOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Whom the directory finds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// A part of the name or the handle.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// The caller's relationship with a company of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipRef {
    pub id: RelationshipId,
    pub status: RelationshipStatus,
}

/// A company of the directory, with the caller's relationship with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDetail {
    pub id: CompanyId,
    pub name: String,
    pub handle: String,
    pub created_at: Time,
    pub relationship: Option<RelationshipRef>,
}

/// A relationship as one of its companies sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipOut {
    pub id: RelationshipId,
    /// The other company.
    pub partner: CompanyOut,
    pub my_role: PartyRole,
    /// `outgoing` when the caller's company asked, `incoming` when it was asked.
    pub direction: &'static str,
    pub status: RelationshipStatus,
    pub blocked_by_me: bool,
    pub services: Services,
    pub message: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    /// The supplier's own settings on the customer: only for the supplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

impl RelationshipOut {
    /// The row as `viewer` sees it: the supplier's settings only for the supplier.
    #[must_use]
    pub fn of(row: &RelationshipRow, viewer: &CompanyId) -> RelationshipOut {
        let state = row.state();
        let my_side = row.side_of(viewer);
        let my_role = row.role_of(viewer);
        RelationshipOut {
            id: row.id.clone(),
            partner: row.partner(),
            my_role,
            direction: match my_side {
                Side::Requester => "outgoing",
                Side::Addressee => "incoming",
            },
            status: state.status,
            blocked_by_me: state.blocked_by == Some(my_side),
            services: row.services.0,
            message: row.message.clone(),
            reject_reason: row.reject_reason.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            settings: (my_role == PartyRole::Supplier).then(|| row.settings()),
        }
    }
}

/// A page of relationships.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipList {
    pub data: Vec<RelationshipOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    pub counts: RelationshipCounts,
}

/// Which relationships a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    #[param(value_type = Option<RelationshipStatus>, inline)]
    pub status: Option<String>,
}

/// A relationship request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipIn {
    /// The partner by id (`co_…`), or give its `handle`.
    #[serde(default)]
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: Option<String>,
    #[serde(default)]
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
    )]
    pub handle: Option<String>,
    /// What the caller's company is to the partner.
    pub my_role: PartyRole,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
    /// Services asked for: `requested` or `inactive` (everything but appointments is asked
    /// for by default).
    #[serde(default)]
    pub services: Option<BTreeMap<String, ServiceState>>,
}

/// Reads a field that may be absent (outer `None`), null (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A change of the supplier's settings: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub customer_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100)]
    pub discount_percent: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub grouping: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub sales_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub shipping_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub payment_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub internal_remark: Option<Option<String>>,
}

impl SettingsPatch {
    /// The settings with this change applied.
    #[must_use]
    pub fn apply(self, mut s: Settings) -> Settings {
        fn set<T>(slot: &mut Option<T>, v: Option<Option<T>>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut s.customer_number, self.customer_number);
        set(&mut s.discount_percent, self.discount_percent);
        set(&mut s.grouping, self.grouping);
        set(&mut s.sales_channel, self.sales_channel);
        set(&mut s.shipping_terms, self.shipping_terms);
        set(&mut s.payment_terms, self.payment_terms);
        set(&mut s.internal_remark, self.internal_remark);
        s
    }
}

/// A change of a relationship: the supplier's settings, or services.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipPatch {
    #[serde(default)]
    pub settings: Option<SettingsPatch>,
    /// `{service: state}`: the supplier enables and disables, the customer requests.
    #[serde(default)]
    pub services: Option<BTreeMap<String, ServiceState>>,
}

/// Why a request is rejected.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// Inviting a customer company by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 2, max_length = 120)]
    pub company_name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
    /// The supplier's settings the relationship starts with.
    #[serde(default)]
    pub settings: Option<Settings>,
    #[serde(default)]
    pub language: Option<Language>,
}

/// An invitation sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: InvitationId,
    pub email: String,
    /// `open`.
    pub status: &'static str,
    pub expires_at: Time,
}

/// To whom a card goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendIn {
    #[schema(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: String,
}

/// A card sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentOut {
    pub contact_id: ContactId,
    pub company_id: CompanyId,
}

/// A card received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: ContactId,
    /// The person who sent it.
    pub user_id: UserId,
    pub from_company: CompanyOut,
    pub card: Card,
    pub received_at: Time,
}

impl ContactOut {
    /// The contact as answered.
    #[must_use]
    pub fn of(row: ContactRow) -> ContactOut {
        ContactOut {
            from_company: row.from_company(),
            id: row.id,
            user_id: row.user_id,
            card: row.card.0,
            received_at: row.received_at,
        }
    }
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Whose contacts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only cards from this company (`co_…`).
    #[param(pattern = "^co_[0-9a-z]{26}$")]
    pub company_id: Option<String>,
}

// ---- connectors -----------------------------------------------------------------------------

/// An operation a connector registers, with the interval it starts with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorOperationIn {
    pub operation: Operation,
    /// How often it runs, in seconds (10 s to 7 days), until an admin changes it.
    #[schema(minimum = 10, maximum = 604_800)]
    pub interval_secs: u64,
}

/// A connector registering itself (with an API key of its company).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorIn {
    /// Its name within the company; registering the name again updates that connector.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The machine it runs on.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub host: Option<String>,
    /// The connector's version.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 50)]
    pub version: Option<String>,
    /// The operations it runs, each once. Ones already stored keep the admins' settings.
    #[schema(max_items = 3)]
    pub operations: Vec<ConnectorOperationIn>,
}

/// One run of an operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorRunOut {
    pub id: ConnectorRunId,
    pub operation: Operation,
    pub started_at: Time,
    pub finished_at: Time,
    /// Files handled.
    pub files: u64,
    /// Files or steps that failed.
    pub errors: u64,
    pub message: Option<String>,
}

impl ConnectorRunOut {
    /// The run as answered.
    #[must_use]
    pub fn of(row: RunRow) -> ConnectorRunOut {
        ConnectorRunOut {
            id: row.id,
            operation: row.operation,
            started_at: row.started_at,
            finished_at: row.finished_at,
            files: row.files,
            errors: row.errors,
            message: row.message,
        }
    }
}

/// An operation of a connector with the admins' settings and its last run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorOperationOut {
    pub operation: Operation,
    /// Switched off, it does not run until switched on again.
    pub enabled: bool,
    /// How often it runs, in seconds.
    pub interval_secs: u64,
    /// The same as `hh:mm:ss`.
    pub interval: String,
    /// A one-time run is due then (now or in the past: at once); cleared by the first run
    /// reported to have started at or after it.
    pub run_at: Option<Time>,
    /// The newest run reported.
    pub last_run: Option<ConnectorRunOut>,
}

/// A connector with its operations (in the order send, fetch, status).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorOut {
    pub id: ConnectorId,
    pub name: String,
    pub host: Option<String>,
    pub version: Option<String>,
    /// The API key it last registered with.
    pub api_key_id: ApiKeyId,
    pub registered_at: Time,
    /// Its last registration, poll or run report.
    pub last_seen_at: Time,
    pub operations: Vec<ConnectorOperationOut>,
}

impl ConnectorOut {
    /// The connector as answered.
    #[must_use]
    pub fn of(row: ConnectorRow) -> ConnectorOut {
        ConnectorOut {
            operations: row
                .operations()
                .into_iter()
                .map(|o| ConnectorOperationOut {
                    operation: o.operation,
                    enabled: o.enabled,
                    interval_secs: o.interval_secs,
                    interval: connector::format_interval(o.interval_secs),
                    run_at: o.run_at,
                    last_run: o.last_run.map(ConnectorRunOut::of),
                })
                .collect(),
            id: row.id,
            name: row.name,
            host: row.host,
            version: row.version,
            api_key_id: row.api_key_id,
            registered_at: row.registered_at,
            last_seen_at: row.last_seen_at,
        }
    }
}

/// The company's connectors.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    /// By name.
    pub data: Vec<ConnectorOut>,
}

/// A run as the connector reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRunIn {
    /// One of the operations the connector registered.
    pub operation: Operation,
    /// RFC 3339; with the operation, the run's identity (a report sent again is stored once).
    #[schema(format = DateTime)]
    pub started_at: String,
    /// RFC 3339, not before `started_at`.
    #[schema(format = DateTime)]
    pub finished_at: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub files: u64,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub errors: u64,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
}

/// A run stored, and the connector with the settings it is to follow now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorRunReport {
    pub run: ConnectorRunOut,
    pub connector: ConnectorOut,
}

/// A page of runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorRunList {
    pub data: Vec<ConnectorRunOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which runs a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectorRunQuery {
    /// Only the runs of this operation.
    #[param(value_type = Option<Operation>, inline)]
    pub operation: Option<Operation>,
}

/// What an admin changes on an operation: only what is sent changes.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorOperationPatch {
    /// Switch the operation on or off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// How often it runs, `hh:mm:ss` (00:00:10 to 168:00:00).
    #[serde(default)]
    #[schema(pattern = "^[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]$")]
    pub interval: Option<String>,
    /// Run it once, in this many minutes (0: now; at most 7 days).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_080)]
    pub run_in_minutes: Option<u32>,
}
