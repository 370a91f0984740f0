//! Appointments a supplier plans for a customer (or the customer's people propose): the
//! statuses of projects and appointments, the appointment's state machine, and the checks of
//! what a plan is made of (dates, spans, countries, phone numbers).
//!
//! Pure: the appointments worker loads a row, asks [`transition`] whether the action fits, and
//! stores the result with a guard on the status it saw.

use chrono::Duration;

use crate::time::{self, Timestamp};
use crate::{Error, Result};

/// The longest appointment.
pub const MAX_SPAN_DAYS: i64 = 14;
/// The most staff one appointment names.
pub const MAX_STAFF: usize = 20;

named_enum! {
    /// Where a project stands.
    ProjectStatus, "project status" {
        /// Being prepared.
        Planned = "planned",
        /// Under way.
        Active = "active",
        /// Finished.
        Completed = "completed",
        /// Called off.
        Cancelled = "cancelled",
    }
}

impl ProjectStatus {
    /// Whether appointments may still be made in it.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::Active)
    }
}

named_enum! {
    /// Where an appointment stands.
    AppointmentStatus, "appointment status" {
        /// Proposed by the customer, waiting for the supplier.
        Proposed = "proposed",
        /// Agreed (planned by the supplier, or a proposal it confirmed).
        Confirmed = "confirmed",
        /// A proposal the supplier turned down (final).
        Rejected = "rejected",
        /// Confirmed, and the supplier named who comes.
        Staffed = "staffed",
        /// Took place (final).
        Done = "done",
        /// Called off by either side before it started (final).
        Cancelled = "cancelled",
    }
}

impl AppointmentStatus {
    /// How a calendar shows it.
    #[must_use]
    pub fn ical(self) -> crate::ical::Status {
        match self {
            Self::Proposed => crate::ical::Status::Tentative,
            Self::Confirmed | Self::Staffed | Self::Done => crate::ical::Status::Confirmed,
            Self::Rejected | Self::Cancelled => crate::ical::Status::Cancelled,
        }
    }
}

named_enum! {
    /// Something done to an appointment after it was made.
    Action, "appointment action" {
        /// The supplier agrees to a proposal.
        Confirm = "confirm",
        /// The supplier turns a proposal down (with a reason).
        Reject = "reject",
        /// The supplier names who comes (again, to change the list).
        Staff = "staff",
        /// The supplier records that it took place.
        Done = "done",
        /// Either side calls it off.
        Cancel = "cancel",
    }
}

impl Action {
    /// Whether only the supplier does it (everything but cancelling).
    #[must_use]
    pub fn supplier_only(self) -> bool {
        self != Self::Cancel
    }

    /// The statuses the action starts from.
    #[must_use]
    pub fn from(self) -> &'static [AppointmentStatus] {
        use AppointmentStatus as S;
        match self {
            Self::Confirm | Self::Reject => &[S::Proposed],
            Self::Staff => &[S::Confirmed, S::Staffed],
            Self::Done => &[S::Staffed],
            Self::Cancel => &[S::Proposed, S::Confirmed, S::Staffed],
        }
    }

    /// The status it leads to.
    #[must_use]
    pub fn target(self) -> AppointmentStatus {
        use AppointmentStatus as S;
        match self {
            Self::Confirm => S::Confirmed,
            Self::Reject => S::Rejected,
            Self::Staff => S::Staffed,
            Self::Done => S::Done,
            Self::Cancel => S::Cancelled,
        }
    }
}

/// What an action does to an appointment in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// It changes the status to this.
    To(AppointmentStatus),
    /// It was done already (the same request again): answer as the first time.
    Already,
}

/// Applies `action` to an appointment in `current` that starts at `starts_at`, at `now`.
///
/// - confirm, reject: a proposal; again on the confirmed (rejected) one answers as before;
/// - staff: confirmed or staffed (the list is replaced);
/// - done: staffed, once it has started; again on a done one answers as before;
/// - cancel: proposed, confirmed or staffed, before it starts; again answers as before.
///
/// # Errors
/// A 409 `invalid_transition` naming the current status (or that the appointment has, or has
/// not yet, started).
pub fn transition(
    current: AppointmentStatus,
    action: Action,
    starts_at: Timestamp,
    now: Timestamp,
) -> Result<Move> {
    if current == action.target() && action != Action::Staff {
        return Ok(Move::Already);
    }
    if !action.from().contains(&current) {
        return Err(Error::conflict(
            "invalid_transition",
            format!("cannot {action} an appointment that is {current}"),
        ));
    }
    match action {
        Action::Done if now < starts_at => Err(Error::conflict(
            "invalid_transition",
            "an appointment is done only once it has started (starts_at)",
        )),
        Action::Cancel if now >= starts_at => Err(Error::conflict(
            "invalid_transition",
            format!("cannot cancel an appointment that has started (it is {current})"),
        )),
        _ => Ok(Move::To(action.target())),
    }
}

/// Checks an appointment's times: it ends after it starts and lasts at most 14 days.
///
/// # Errors
/// A 422 on `ends_at`.
pub fn check_span(starts_at: Timestamp, ends_at: Timestamp) -> Result<()> {
    if ends_at <= starts_at {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    if ends_at - starts_at > Duration::days(MAX_SPAN_DAYS) {
        return Err(Error::invalid(
            "ends_at",
            "an appointment lasts at most 14 days",
        ));
    }
    Ok(())
}

/// An optional calendar date `YYYY-MM-DD` of field `field`.
///
/// # Errors
/// A 422 naming `field` when it is not a date.
pub fn date(field: &str, text: Option<&str>) -> Result<Option<String>> {
    match text.map(str::trim) {
        None => Ok(None),
        Some(t) if time::is_iso_date(t) => Ok(Some(t.to_owned())),
        Some(_) => Err(Error::invalid(field, "must be a date YYYY-MM-DD")),
    }
}

/// Checks that a project ends on or after the day it starts (either may be open).
///
/// # Errors
/// A 422 on `ends_on`.
pub fn check_dates(starts_on: Option<&str>, ends_on: Option<&str>) -> Result<()> {
    match (starts_on, ends_on) {
        // Dates YYYY-MM-DD compare as text.
        (Some(s), Some(e)) if e < s => {
            Err(Error::invalid("ends_on", "must be on or after starts_on"))
        }
        _ => Ok(()),
    }
}

/// The ISO 3166-1 alpha-2 codes assigned to countries and territories.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
     BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY \
     CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN \
     GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH \
     KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
     MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL \
     PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV \
     SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN \
     VU WF WS YE YT ZA ZM ZW";

/// A country as its ISO 3166-1 alpha-2 code, upper-cased (`de` → `DE`).
///
/// # Errors
/// A 422 naming `field` for anything else.
pub fn country(field: &str, text: &str) -> Result<String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err(Error::invalid(
            field,
            "must be an ISO 3166-1 alpha-2 country code such as DE or PL",
        ))
    }
}

/// A phone number as people write it: digits with `+`, spaces, `-`, `/`, `.`, `(` and `)`, at
/// least 3 digits, at most 30 characters.
///
/// # Errors
/// A 422 naming `field` for anything else.
pub fn phone(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    let allowed = t
        .chars()
        .all(|c| c.is_ascii_digit() || " +-/.()".contains(c));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if allowed && digits >= 3 && t.chars().count() <= 30 {
        Ok(t.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "must be a phone number such as +49 30 1234567",
        ))
    }
}

/// What both workers of appointments (projects and appointments) answer with and who the caller
/// is to a row. Staff contact data (e-mail, phone) is in [`api::StaffOut`], which only the
/// supplier's side gets; the customer's side gets [`api::StaffName`] (name and role), a type
/// without those fields, so no answer to the customer can carry them.
pub mod api {
    use serde::Serialize;
    use utoipa::ToSchema;

    use crate::data::appointments::{StaffRow, Viewer};
    use crate::ids::{CompanyId, StaffId, UserId};
    use crate::permissions::{Permission, Principal};
    use crate::relationship::PartyRole;
    use crate::time::Time;
    use crate::{Error, Result};

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppointmentStatus as S;

    fn at(text: &str) -> Timestamp {
        time::parse("t", text).unwrap()
    }

    #[test]
    fn the_state_machine_moves_answers_again_and_refuses() {
        let start = at("2026-05-04T08:00:00Z");
        let before = at("2026-05-01T00:00:00Z");
        let after = at("2026-05-04T09:00:00Z");
        let table = [
            (
                S::Proposed,
                Action::Confirm,
                before,
                Ok(Move::To(S::Confirmed)),
            ),
            (S::Confirmed, Action::Confirm, before, Ok(Move::Already)),
            (S::Staffed, Action::Confirm, before, Err("staffed")),
            (
                S::Proposed,
                Action::Reject,
                before,
                Ok(Move::To(S::Rejected)),
            ),
            (S::Rejected, Action::Reject, before, Ok(Move::Already)),
            (S::Confirmed, Action::Reject, before, Err("confirmed")),
            (S::Proposed, Action::Staff, before, Err("proposed")),
            (
                S::Confirmed,
                Action::Staff,
                before,
                Ok(Move::To(S::Staffed)),
            ),
            (S::Staffed, Action::Staff, before, Ok(Move::To(S::Staffed))),
            (S::Staffed, Action::Done, before, Err("started")),
            (S::Staffed, Action::Done, after, Ok(Move::To(S::Done))),
            (S::Done, Action::Done, after, Ok(Move::Already)),
            (S::Confirmed, Action::Done, after, Err("confirmed")),
            (
                S::Proposed,
                Action::Cancel,
                before,
                Ok(Move::To(S::Cancelled)),
            ),
            (
                S::Staffed,
                Action::Cancel,
                before,
                Ok(Move::To(S::Cancelled)),
            ),
            (S::Staffed, Action::Cancel, after, Err("started")),
            (S::Cancelled, Action::Cancel, after, Ok(Move::Already)),
            (S::Done, Action::Cancel, before, Err("done")),
            (S::Rejected, Action::Cancel, before, Err("rejected")),
        ];
        for (current, action, now, expected) in table {
            let got = transition(current, action, start, now);
            match expected {
                Ok(m) => assert_eq!(got.unwrap(), m, "{action} on {current}"),
                Err(word) => {
                    let err = got.unwrap_err();
                    assert_eq!(err.status(), 409, "{action} on {current}");
                    assert_eq!(err.problem().code, "invalid_transition");
                    assert!(
                        err.problem().detail.contains(word),
                        "{}",
                        err.problem().detail
                    );
                }
            }
        }
    }

    #[test]
    fn statuses_map_to_calendar_statuses() {
        assert_eq!(S::Proposed.ical(), crate::ical::Status::Tentative);
        for s in [S::Confirmed, S::Staffed, S::Done] {
            assert_eq!(s.ical(), crate::ical::Status::Confirmed);
        }
        for s in [S::Rejected, S::Cancelled] {
            assert_eq!(s.ical(), crate::ical::Status::Cancelled);
        }
        assert!(!Action::Cancel.supplier_only());
        assert!(Action::Confirm.supplier_only());
        assert!(ProjectStatus::Active.is_open() && !ProjectStatus::Completed.is_open());
    }

    #[test]
    fn spans_dates_countries_and_phones_are_checked() {
        let s = at("2026-05-04T08:00:00Z");
        assert!(check_span(s, s + Duration::hours(2)).is_ok());
        assert!(check_span(s, s + Duration::days(14)).is_ok());
        for bad in [
            s,
            s - Duration::hours(1),
            s + Duration::days(14) + Duration::seconds(1),
        ] {
            let err = check_span(s, bad).unwrap_err();
            assert_eq!(err.problem().field.as_deref(), Some("ends_at"));
        }
        assert_eq!(
            date("starts_on", Some("2026-05-04")).unwrap().as_deref(),
            Some("2026-05-04")
        );
        assert_eq!(date("starts_on", None).unwrap(), None);
        assert_eq!(
            date("starts_on", Some("04.05.2026"))
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("starts_on")
        );
        assert!(check_dates(Some("2026-05-04"), Some("2026-05-04")).is_ok());
        assert!(check_dates(None, Some("2026-05-04")).is_ok());
        assert_eq!(
            check_dates(Some("2026-05-04"), Some("2026-05-03"))
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("ends_on")
        );
        assert_eq!(COUNTRIES.split_whitespace().count(), 249);
        assert_eq!(country("country", " de ").unwrap(), "DE");
        assert_eq!(country("country", "PL").unwrap(), "PL");
        for bad in ["XX", "DEU", "", "D"] {
            assert_eq!(country("country", bad).unwrap_err().status(), 422, "{bad}");
        }
        assert_eq!(
            phone("phone", " +49 (30) 123-45/67 ").unwrap(),
            "+49 (30) 123-45/67"
        );
        for bad in ["12", "call me", "+49 30 1234567 1234567 12345678 9"] {
            assert_eq!(phone("phone", bad).unwrap_err().status(), 422, "{bad}");
        }
    }
}
