//! What the projects worker takes and answers (projects and their contacts, territories,
//! locations, staff); who the caller is to a row and the staff as each side sees them come from
//! `shared::appointment::api`.

use serde::{Deserialize, Serialize};
pub use shared::appointment::api::{supplier_only, AppointmentStaff, Caller, StaffName, StaffOut};
use shared::appointment::ProjectStatus;
use shared::data::appointments::{ContactRow, LocationRow, ProjectRow, TerritoryRow};
use shared::data::companies::CompanyOut;
use shared::ids::{CompanyId, LocationId, ProjectId, TerritoryId, UserId};
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

// ---- projects -------------------------------------------------------------------------------

/// A new project, made by the supplier for a customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectIn {
    /// The customer: a company id or handle, in an active relationship with appointments
    /// enabled.
    #[schema(min_length = 1, max_length = 64)]
    pub customer: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, not before `starts_on`.
    #[serde(default)]
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// `planned` when left out.
    #[serde(default)]
    pub status: Option<ProjectStatus>,
}

/// Reads a field that may be absent (`None`), null (`Some(None)`) or set.
fn present<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A change of a project: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub starts_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<ProjectStatus>,
}

/// A project as the caller's side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectOut {
    pub id: ProjectId,
    pub supplier: CompanyOut,
    pub customer: CompanyOut,
    /// The caller's side: `supplier` or `customer`.
    pub my_role: PartyRole,
    pub name: String,
    pub description: Option<String>,
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    pub status: ProjectStatus,
    pub created_at: Time,
    pub updated_at: Time,
}

impl ProjectOut {
    /// The project as `me`'s side sees it.
    #[must_use]
    pub fn of(row: ProjectRow, me: &CompanyId) -> ProjectOut {
        let my_role = if &row.supplier_id == me {
            PartyRole::Supplier
        } else {
            PartyRole::Customer
        };
        ProjectOut {
            id: row.id,
            supplier: row.supplier.0,
            customer: row.customer.0,
            my_role,
            name: row.name,
            description: row.description,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of projects.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub data: Vec<ProjectOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which projects a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only the projects for this customer (a company id or handle).
    #[param(max_length = 64)]
    pub customer: Option<String>,
    /// Only projects in this status.
    #[param(value_type = Option<ProjectStatus>, inline)]
    pub status: Option<String>,
}

// ---- contacts -------------------------------------------------------------------------------

/// A person of the customer to assign to a project (again: their territories change).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectContactIn {
    /// The e-mail address of an active person of the project's customer.
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: String,
    /// Territories (`ter_…`) of this supplier and customer; when given, the person sees only the
    /// locations inside them (however deep) and the appointments there. Empty: all.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub territory_ids: Vec<String>,
}

/// A person as a contact list names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPerson {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A territory a contact is limited to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactTerritory {
    pub id: TerritoryId,
    pub name: String,
}

/// A person of the customer assigned to a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectContactOut {
    pub user: ContactPerson,
    /// The territories the person is limited to; empty: none (they see every location).
    pub territories: Vec<ContactTerritory>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl ProjectContactOut {
    #[must_use]
    pub fn of(row: ContactRow) -> ProjectContactOut {
        ProjectContactOut {
            user: ContactPerson {
                id: row.user_id,
                name: row.name,
                email: row.email,
            },
            territories: row
                .territories
                .0
                .into_iter()
                .map(|t| ContactTerritory {
                    id: t.id,
                    name: t.name,
                })
                .collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A project's contacts, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectContactList {
    pub data: Vec<ProjectContactOut>,
}

// ---- territories ----------------------------------------------------------------------------

/// A new territory of a customer's locations.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerritoryIn {
    /// The customer: a company id or handle.
    #[schema(min_length = 1, max_length = 64)]
    pub customer: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The territory it lies in (`ter_…`, the same supplier's and customer's).
    #[serde(default)]
    #[schema(pattern = "^ter_[0-9a-z]{26}$")]
    pub parent_id: Option<String>,
}

/// A territory.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryOut {
    pub id: TerritoryId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    /// The territory it lies in; `null` for a top one.
    pub parent_id: Option<TerritoryId>,
    pub name: String,
    pub created_at: Time,
}

impl TerritoryOut {
    #[must_use]
    pub fn of(row: TerritoryRow) -> TerritoryOut {
        TerritoryOut {
            id: row.id,
            supplier_id: row.supplier_id,
            customer_id: row.customer_id,
            parent_id: row.parent_id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

/// A page of territories.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryList {
    pub data: Vec<TerritoryOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which territories a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TerritoryQuery {
    /// Only this customer's (a company id or handle).
    #[param(max_length = 64)]
    pub customer: Option<String>,
}

// ---- locations ------------------------------------------------------------------------------

/// A new location of a customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationIn {
    /// The customer: a company id or handle.
    #[schema(min_length = 1, max_length = 64)]
    pub customer: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub street: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 20)]
    pub postal_code: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    #[schema(min_length = 2, max_length = 2)]
    pub country: String,
    /// An IANA time zone, e.g. `Europe/Berlin` (UTC and the European zones).
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: String,
    /// The territory it lies in (`ter_…`, the same supplier's and customer's).
    #[serde(default)]
    #[schema(pattern = "^ter_[0-9a-z]{26}$")]
    pub territory_id: Option<String>,
}

/// A change of a location: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub street: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20)]
    pub postal_code: Option<Option<String>>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub city: Option<String>,
    #[serde(default)]
    #[schema(min_length = 2, max_length = 2)]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^ter_[0-9a-z]{26}$")]
    pub territory_id: Option<Option<String>>,
}

/// A location.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationOut {
    pub id: LocationId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub territory_id: Option<TerritoryId>,
    pub name: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: String,
    pub country: String,
    pub time_zone: String,
    pub created_at: Time,
    pub updated_at: Time,
}

impl LocationOut {
    #[must_use]
    pub fn of(row: LocationRow) -> LocationOut {
        LocationOut {
            id: row.id,
            supplier_id: row.supplier_id,
            customer_id: row.customer_id,
            territory_id: row.territory_id,
            name: row.name,
            street: row.street,
            postal_code: row.postal_code,
            city: row.city,
            country: row.country,
            time_zone: row.time_zone,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of locations.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationList {
    pub data: Vec<LocationOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which locations a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationQuery {
    /// Only this customer's (a company id or handle).
    #[param(max_length = 64)]
    pub customer: Option<String>,
    /// Only those inside this territory (`ter_…`), however deep.
    #[param(pattern = "^ter_[0-9a-z]{26}$")]
    pub territory: Option<String>,
}

// ---- staff ----------------------------------------------------------------------------------

/// A new member of the supplier's staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffIn {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// What they do, e.g. "Merchandiser".
    #[schema(min_length = 1, max_length = 100)]
    pub role: String,
    /// Shown to the supplier only.
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = r#"^[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\]+@[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+(\.[^\s\x00-\x1f\x7f-\x9f@<>()\[\],;:"\\.]+)+$"#
    )]
    pub email: Option<String>,
    /// Shown to the supplier only.
    #[serde(default)]
    #[schema(min_length = 3, max_length = 30)]
    pub phone: Option<String>,
    /// The supplier's user this person is (`us_…`).
    #[serde(default)]
    #[schema(pattern = "^us_[0-9a-z]{26}$")]
    pub user_id: Option<String>,
}

/// A page of the supplier's staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub data: Vec<StaffOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}
