//! What the appointments worker takes and answers (appointments and calendar feeds); who the
//! caller is to a row and the staff as each side sees them come from `shared::appointment::api`.

use serde::{Deserialize, Serialize};
pub use shared::appointment::api::{supplier_only, AppointmentStaff, Caller, StaffName, StaffOut};
use shared::appointment::AppointmentStatus;
use shared::data::appointments::{AppointmentRow, HistoryRow};
use shared::ids::{AppointmentId, CalendarFeedId, CompanyId, LocationId, ProjectId};
use shared::relationship::PartyRole;
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

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
