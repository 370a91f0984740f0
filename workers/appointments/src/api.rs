//! What the appointments worker takes and answers, and who the caller is to a row.
//!
//! Staff contact data (e-mail, phone) is in [`StaffOut`], which only the supplier's side gets;
//! the customer's side gets [`StaffName`] (name and role), a type without those fields, so no
//! answer to the customer can carry them.

use serde::{Deserialize, Serialize};
use shared::appointment::{AppointmentStatus, ProjectStatus};
use shared::data::appointments::{
    AppointmentRow, ContactRow, HistoryRow, LocationRow, ProjectRow, StaffRow, TerritoryRow, Viewer,
};
use shared::data::companies::CompanyOut;
use shared::ids::{
    AppointmentId, CalendarFeedId, CompanyId, LocationId, ProjectId, StaffId, TerritoryId, UserId,
};
use shared::permissions::{Permission, Principal};
use shared::relationship::PartyRole;
use shared::time::Time;
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

/// The caller as the appointments worker sees it: the principal and whether it holds
/// `appointments.manage` (admins do).
pub struct Caller {
    pub me: Principal,
    pub manage: bool,
}

impl Caller {
    /// The caller of a request (authenticated by the route table).
    #[must_use]
    pub fn of(me: Principal) -> Caller {
        Caller {
            manage: me.has(Permission::AppointmentsManage),
            me,
        }
    }

    /// What the data layer filters by.
    #[must_use]
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            company: &self.me.company_id,
            manage: self.manage,
            user: self.me.user_id.as_ref(),
        }
    }

    /// The caller's side of a row of `supplier`.
    #[must_use]
    pub fn side(&self, supplier: &CompanyId) -> PartyRole {
        if supplier == &self.me.company_id {
            PartyRole::Supplier
        } else {
            PartyRole::Customer
        }
    }

    /// A row the caller found: on the supplier's side it needs `appointments.manage`.
    ///
    /// # Errors
    /// 403 `permission_missing`.
    pub fn may_see(&self, supplier: &CompanyId) -> Result<PartyRole> {
        let side = self.side(supplier);
        if side == PartyRole::Supplier {
            self.me.require(Permission::AppointmentsManage)?;
        }
        Ok(side)
    }

    /// A row only its supplier changes.
    ///
    /// # Errors
    /// 403 `permission_missing` for the supplier without the permission, 403 `supplier_only`
    /// for the customer's side.
    pub fn may_change(&self, supplier: &CompanyId) -> Result<()> {
        match self.may_see(supplier)? {
            PartyRole::Supplier => Ok(()),
            PartyRole::Customer => Err(supplier_only()),
        }
    }
}

/// The refusal of a supplier's action to the customer's side.
#[must_use]
pub fn supplier_only() -> Error {
    Error::forbidden(
        "supplier_only",
        "only the supplier plans and decides this; the customer proposes and cancels",
    )
}

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

/// A member of the supplier's staff, with their contact data (the supplier's side only).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffOut {
    pub id: StaffId,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub user_id: Option<UserId>,
    pub created_at: Time,
}

impl StaffOut {
    #[must_use]
    pub fn of(row: StaffRow) -> StaffOut {
        StaffOut {
            id: row.id,
            name: row.name,
            role: row.role,
            email: row.email,
            phone: row.phone,
            user_id: row.user_id,
            created_at: row.created_at,
        }
    }
}

/// A member of the supplier's staff as the customer sees them: name and role, nothing to
/// contact them by.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffName {
    pub name: String,
    pub role: String,
}

/// Who comes to an appointment: [`StaffOut`] for the supplier, [`StaffName`] for the customer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AppointmentStaff {
    Supplier(StaffOut),
    Customer(StaffName),
}

/// A page of the supplier's staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub data: Vec<StaffOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

// ---- appointments ---------------------------------------------------------------------------

/// A new appointment: planned by the supplier (`confirmed`), or proposed by a person of the
/// customer (`proposed`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentIn {
    #[schema(pattern = "^prj_[0-9a-z]{26}$")]
    pub project_id: String,
    /// A location of the project's customer (`loc_…`).
    #[schema(pattern = "^loc_[0-9a-z]{26}$")]
    pub location_id: String,
    /// RFC 3339; a proposal starts in the future.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// RFC 3339, after `starts_at`, at most 14 days later.
    #[schema(format = DateTime)]
    pub ends_at: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 5000)]
    pub description: Option<String>,
    /// A note to the other side.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

/// Why a proposal is rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRejectIn {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Why an appointment is cancelled.
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentCancelIn {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// Who comes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffingIn {
    /// 1 to 20 of the supplier's staff (`stf_…`), in the order to show; replaces the list.
    #[schema(min_items = 1, max_items = 20)]
    pub staff_ids: Vec<String>,
}

/// The project an appointment belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentProject {
    pub id: ProjectId,
    pub name: String,
}

/// Where an appointment takes place.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentLocation {
    pub id: LocationId,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: String,
}

/// A person named on an appointment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentPerson {
    pub name: String,
}

/// An entry of an appointment's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentHistoryEntry {
    pub status: AppointmentStatus,
    pub at: Time,
    /// Which side did it.
    pub by: PartyRole,
    /// The person who did it; `null` for an API key.
    pub person: Option<AppointmentPerson>,
    pub note: Option<String>,
    pub reason: Option<String>,
}

impl AppointmentHistoryEntry {
    fn of(row: HistoryRow) -> AppointmentHistoryEntry {
        AppointmentHistoryEntry {
            status: row.status,
            at: row.at,
            by: row.by_side,
            person: row.user_name.map(|name| AppointmentPerson { name }),
            note: row.note,
            reason: row.reason,
        }
    }
}

/// An appointment as the caller's side sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentOut {
    pub id: AppointmentId,
    pub project: AppointmentProject,
    pub location: AppointmentLocation,
    /// The caller's side: `supplier` or `customer`.
    pub my_role: PartyRole,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: Time,
    pub ends_at: Time,
    /// The location's time zone: local times are shown in it.
    pub time_zone: String,
    pub status: AppointmentStatus,
    /// The customer's person who proposed it; `null` when the supplier planned it.
    pub proposed_by: Option<AppointmentPerson>,
    pub note: Option<String>,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// Who comes: with e-mail and phone for the supplier, name and role for the customer.
    pub staff: Vec<AppointmentStaff>,
    pub created_at: Time,
    pub updated_at: Time,
    /// Oldest first; on a single appointment's answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AppointmentHistoryEntry>>,
}

impl AppointmentOut {
    /// The appointment as `me`'s side sees it: the staff's contact data only for the supplier.
    #[must_use]
    pub fn of(row: AppointmentRow, me: &CompanyId) -> AppointmentOut {
        let supplier = &row.supplier_id == me;
        let staff = row
            .staff
            .0
            .into_iter()
            .map(|s| {
                if supplier {
                    AppointmentStaff::Supplier(StaffOut::of(s))
                } else {
                    AppointmentStaff::Customer(StaffName {
                        name: s.name,
                        role: s.role,
                    })
                }
            })
            .collect();
        AppointmentOut {
            id: row.id,
            project: AppointmentProject {
                id: row.project_id,
                name: row.project_name,
            },
            location: AppointmentLocation {
                id: row.location_id,
                name: row.location_name,
                city: row.location_city,
                country: row.location_country,
                time_zone: row.time_zone.clone(),
            },
            my_role: if supplier {
                PartyRole::Supplier
            } else {
                PartyRole::Customer
            },
            title: row.title,
            description: row.description,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            time_zone: row.time_zone,
            status: row.status,
            proposed_by: row.proposed_by_name.map(|name| AppointmentPerson { name }),
            note: row.note,
            reason: row.reason,
            staff,
            created_at: row.created_at,
            updated_at: row.updated_at,
            history: row
                .history
                .map(|h| h.0.into_iter().map(AppointmentHistoryEntry::of).collect()),
        }
    }
}

/// A page of appointments by `starts_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentList {
    pub data: Vec<AppointmentOut>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which appointments a list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// Only this project's (`prj_…`).
    #[param(pattern = "^prj_[0-9a-z]{26}$")]
    pub project: Option<String>,
    /// Only at this location (`loc_…`).
    #[param(pattern = "^loc_[0-9a-z]{26}$")]
    pub location: Option<String>,
    /// Only in this status.
    #[param(value_type = Option<AppointmentStatus>, inline)]
    pub status: Option<String>,
    /// Only those starting at or after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Only those starting before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
}

// ---- calendar feeds -------------------------------------------------------------------------

/// A new calendar feed, with its URL (shown once: only its hash is stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedCreated {
    pub id: CalendarFeedId,
    /// Subscribe to it in a calendar; it needs no credentials, so keep it private.
    pub url: String,
    pub created_at: Time,
}

/// A calendar feed of the caller's.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedOut {
    pub id: CalendarFeedId,
    pub created_at: Time,
}

/// The caller's calendar feeds that are not revoked, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedList {
    pub data: Vec<CalendarFeedOut>,
}
