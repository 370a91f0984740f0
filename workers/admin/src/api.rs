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

/// A partner of the viewer whose name closely resembles the company's: a warning that this may
/// not be the company the viewer thinks.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookalikeOut {
    pub id: shared::ids::CompanyId,
    pub name: String,
    pub handle: String,
}

/// A company's profile as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileOut {
    pub id: shared::ids::CompanyId,
    pub name: String,
    /// The unique handle: what tells two companies of the same name apart.
    pub handle: String,
    pub legal_name: Option<String>,
    /// As stored: upper case, without spaces or dots.
    pub vat_id: Option<String>,
    /// Whether the VAT id has the format of its country (with German and Polish check digits);
    /// a format check, not a register lookup. `null` without a VAT id.
    pub vat_id_format_valid: Option<bool>,
    /// The e-mail domain the company proved it controls: by a DNS TXT record, else by its
    /// admin's confirmed address (free mail providers do not count). `null`: none proven.
    pub verified_domain: Option<String>,
    /// How `verified_domain` was proven: `dns` or `email`.
    pub domain_proof: Option<&'static str>,
    /// The domain claim waiting for its TXT record (the company's own view only).
    pub domain_challenge: Option<ChallengeOut>,
    /// The party identifiers order files use for it (Peppol EAS scheme and id).
    pub identifiers: Vec<shared::profile::PartyId>,
    /// The addresses and branches: for the company itself and its partners only.
    pub places: Option<shared::profile::Places>,
    /// Where its logo is, if it has one (for itself and its partners).
    pub logo: Option<String>,
    /// Whether it is in the directory (its own view only).
    pub listed: Option<bool>,
    /// The relationship's status between the caller and this company (`null`: none).
    pub relationship: Option<String>,
    /// The caller's partners whose names closely resemble this one's.
    pub resembles: Vec<LookalikeOut>,
    pub updated_at: Option<Time>,
    pub created_at: Time,
}

/// Reads a field that may be `null` (to clear it) as `Some(None)`, and a missing one as `None`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A change of the caller's profile: what is given replaces what was there.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIn {
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub legal_name: Option<Option<String>>,
    /// With its country prefix (`DE123456789`); spaces, dots and dashes are dropped. `null`
    /// clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 30)]
    pub vat_id: Option<Option<String>>,
    /// `false`: kept out of the directory (found only by its exact handle or an invitation).
    #[serde(default)]
    pub listed: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<shared::profile::Address>)]
    pub billing_address: Option<Option<shared::profile::Address>>,
    #[serde(default)]
    pub delivery_addresses: Option<Vec<shared::profile::Address>>,
    /// Each with a `label`.
    #[serde(default)]
    pub branches: Option<Vec<shared::profile::Address>>,
    #[serde(default)]
    pub identifiers: Option<Vec<shared::profile::PartyId>>,
}

/// One of the caller's companies (the company switcher).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessOut {
    pub company: shared::data::companies::CompanyOut,
    /// The person's access there.
    pub user_id: shared::ids::UserId,
    pub role: shared::permissions::Role,
    /// Whether the caller is logged in there now.
    pub current: bool,
}

/// The caller's companies.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessList {
    pub data: Vec<AccessOut>,
}

/// A further company for the caller, who becomes its admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyIn {
    #[schema(min_length = 2, max_length = 120)]
    pub company_name: String,
    /// The company's short public name, unique: a letter, then letters, digits and single
    /// hyphens.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
    )]
    pub handle: String,
}

/// The company's own mail openings, with what may be given one.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpeningList {
    /// The templates that take an opening: the mails the company's actions cause.
    pub templates: Vec<&'static str>,
    /// What an opening may hold, filled in when the mail is sent: the company's name, the
    /// recipient's address.
    pub placeholders: Vec<&'static str>,
    pub data: Vec<shared::data::mails::OpeningRow>,
}

/// An opening: it replaces the mail's greeting ("Hello,").
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningIn {
    /// At most 1,000 characters; line breaks kept; no links; placeholders `{company}` and
    /// `{email}` only.
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
}

/// A domain claim: the TXT record that proves it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeOut {
    pub domain: String,
    /// The record's name: `_tradepost-challenge.<domain>`.
    pub record_name: String,
    /// `TXT`.
    pub record_type: &'static str,
    /// The record's value: `tradepost-verification=<token>`.
    pub record_value: String,
    pub claimed_at: Time,
}

/// A domain the company claims.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainIn {
    /// A domain name like `druckerei-muster.de` (no free-mail provider's).
    #[schema(min_length = 3, max_length = 253)]
    pub domain: String,
}
