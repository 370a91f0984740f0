//! What the accounts worker takes and answers.

use serde::{Deserialize, Serialize};
use shared::data::api_keys::ApiKeyRow;
use shared::data::companies::CompanyOut;
use shared::data::users::{UserRow, UserStatus};
use shared::ids::{ApiKeyId, CompanyId, UserId};
use shared::lang::Language;
use shared::permissions::{Permission, Role};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// A person's access.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The permissions in force (an admin's are all of them).
    pub permissions: Vec<Permission>,
    pub language: Language,
    pub status: UserStatus,
    pub created_at: Time,
    pub last_login_at: Option<Time>,
}

impl UserOut {
    /// The access as the API shows it.
    #[must_use]
    pub fn of(row: &UserRow) -> UserOut {
        UserOut {
            id: row.id.clone(),
            company_id: row.company_id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            role: row.role,
            permissions: row.permissions(),
            language: row.language,
            status: row.status,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        }
    }
}

/// A new account: the company and its first person.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    pub company: CompanyOut,
    pub user: UserOut,
}

/// Signing a company up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupIn {
    #[schema(min_length = 2, max_length = 120)]
    pub company_name: String,
    /// The company's short public name: 3–32 of a–z, 0–9 and `-`, starting with a letter.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
    )]
    pub handle: String,
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    /// 8 to 200 characters, not the e-mail address.
    #[schema(min_length = 8, max_length = 200)]
    pub password: String,
    #[serde(default)]
    pub language: Option<Language>,
}

/// A link's token from a mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Switching to another of the person's companies.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchIn {
    /// The company (one the person has an active access at: `GET /v1/me/companies`).
    pub company_id: CompanyId,
}

/// Logging in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    #[schema(max_length = 200)]
    pub password: String,
}

/// A session's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensOut {
    /// A 15-minute access token (JWT, Ed25519).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// A 30-day refresh token, rotated on every use.
    pub refresh_token: String,
    pub user: UserOut,
    pub company: CompanyOut,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

/// Asking for a password reset mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetIn {
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
}

/// The same answer whether or not the address is known.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetOut {
    /// `sent_if_known`.
    pub status: &'static str,
}

/// A new password from a reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmIn {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[schema(min_length = 8, max_length = 200)]
    pub password: String,
}

/// Accepting an invitation: a colleague's (password, name?) or a company's (also its name
/// and handle).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[schema(min_length = 8, max_length = 200)]
    pub password: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    #[schema(min_length = 2, max_length = 120)]
    pub company_name: Option<String>,
    #[serde(default)]
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$"
    )]
    pub handle: Option<String>,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// `user` or `api_key`.
    pub kind: &'static str,
    pub user: Option<UserOut>,
    pub api_key: Option<ApiKeyOut>,
    pub company: CompanyOut,
    /// The permissions in force.
    pub permissions: Vec<Permission>,
}

/// A person's own change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
}

/// The caller after their own change.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeUpdated {
    pub user: UserOut,
}

/// A page of people.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<UserOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which people a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    #[param(value_type = Option<UserStatus>, inline)]
    pub status: Option<String>,
}

/// Inviting a colleague.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    pub role: Option<Role>,
    /// The permissions of a member (the everyday work by default).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Permission>>)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub language: Option<Language>,
}

/// What an administrator sets on a person: `active` or `disabled`.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusIn {
    Active,
    Disabled,
}

/// Changing a colleague.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Permission>>)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub status: Option<UserStatusIn>,
}

/// An API key (never the key itself, but right after it was made).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: ApiKeyId,
    pub name: String,
    /// The start of the key, to recognise it.
    pub prefix: String,
    pub permissions: Vec<Permission>,
    pub created_at: Time,
    pub last_used_at: Option<Time>,
    pub revoked_at: Option<Time>,
    /// The key (`tp_…`), shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl ApiKeyOut {
    /// A stored key as the API shows it.
    #[must_use]
    pub fn of(row: ApiKeyRow) -> ApiKeyOut {
        ApiKeyOut {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            permissions: row.permissions.0,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            key: None,
        }
    }
}

/// A page of API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = Vec<Permission>)]
    pub permissions: Vec<String>,
}

/// An event of the outbox (dev only).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub company_id: String,
    pub data: serde_json::Value,
    pub created_at: String,
}

/// A page of the outbox (dev only).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub data: Vec<EventOut>,
    pub next_cursor: Option<String>,
}

/// Which events (dev only).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    #[param(max_length = 64)]
    pub company_id: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", max_length = 64)]
    pub kind: Option<String>,
}
