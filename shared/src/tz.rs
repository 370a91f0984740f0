//! The time zones locations can be in: UTC and the European zones, which all change between
//! standard and summer time by the EU rule (the last Sunday of March and of October, at 01:00
//! UTC). That rule is exact for these zones since 1996, so local times, and the VTIMEZONE
//! definitions calendars need, come from it without a time zone database in the bundle.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::time::Timestamp;
use crate::{Error, Result};

/// A supported IANA time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Zone(usize);

/// `(IANA name, standard offset in hours, name in standard time, name in summer time)`;
/// UTC has no summer time.
const ZONES: &[(&str, i32, &str, &str)] = &[
    ("UTC", 0, "UTC", ""),
    ("Europe/Berlin", 1, "CET", "CEST"),
    ("Europe/Warsaw", 1, "CET", "CEST"),
    ("Europe/Vienna", 1, "CET", "CEST"),
    ("Europe/Zurich", 1, "CET", "CEST"),
    ("Europe/Paris", 1, "CET", "CEST"),
    ("Europe/Amsterdam", 1, "CET", "CEST"),
    ("Europe/Brussels", 1, "CET", "CEST"),
    ("Europe/Luxembourg", 1, "CET", "CEST"),
    ("Europe/Prague", 1, "CET", "CEST"),
    ("Europe/Bratislava", 1, "CET", "CEST"),
    ("Europe/Budapest", 1, "CET", "CEST"),
    ("Europe/Ljubljana", 1, "CET", "CEST"),
    ("Europe/Zagreb", 1, "CET", "CEST"),
    ("Europe/Copenhagen", 1, "CET", "CEST"),
    ("Europe/Stockholm", 1, "CET", "CEST"),
    ("Europe/Oslo", 1, "CET", "CEST"),
    ("Europe/Madrid", 1, "CET", "CEST"),
    ("Europe/Rome", 1, "CET", "CEST"),
    ("Europe/London", 0, "GMT", "BST"),
    ("Europe/Dublin", 0, "GMT", "IST"),
    ("Europe/Lisbon", 0, "WET", "WEST"),
    ("Europe/Helsinki", 2, "EET", "EEST"),
    ("Europe/Tallinn", 2, "EET", "EEST"),
    ("Europe/Riga", 2, "EET", "EEST"),
    ("Europe/Vilnius", 2, "EET", "EEST"),
    ("Europe/Bucharest", 2, "EET", "EEST"),
    ("Europe/Sofia", 2, "EET", "EEST"),
    ("Europe/Athens", 2, "EET", "EEST"),
];

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone(0);

    /// Every supported zone's name, UTC first.
    pub fn names() -> impl Iterator<Item = &'static str> {
        ZONES.iter().map(|z| z.0)
    }

    /// The zone named `name` (exact IANA spelling).
    ///
    /// # Errors
    /// A 422 naming `field` for a zone that is not supported, listing a few that are.
    pub fn parse(field: &str, name: &str) -> Result<Zone> {
        ZONES
            .iter()
            .position(|z| z.0 == name.trim())
            .map(Zone)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "`{name}` is not a supported time zone; use an IANA name such as \
                         Europe/Berlin, Europe/Warsaw or UTC"
                    ),
                )
            })
    }

    fn row(self) -> (&'static str, i32, &'static str, &'static str) {
        ZONES.get(self.0).copied().unwrap_or(("UTC", 0, "UTC", ""))
    }

    /// The IANA name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// Whether the zone has summer time.
    #[must_use]
    pub fn has_summer_time(self) -> bool {
        !self.row().3.is_empty()
    }

    /// The standard offset from UTC, in hours.
    #[must_use]
    pub fn standard_hours(self) -> i32 {
        self.row().1
    }

    /// The offset from UTC at the instant `t`, in hours.
    #[must_use]
    pub fn offset_hours(self, t: Timestamp) -> i32 {
        let std = self.standard_hours();
        if !self.has_summer_time() {
            return std;
        }
        let year = t.year();
        let (start, end) = (switch(year, 3), switch(year, 10));
        let utc = t.naive_utc();
        if utc >= start && utc < end {
            std + 1
        } else {
            std
        }
    }

    /// The local wall-clock time at the instant `t`.
    #[must_use]
    pub fn local(self, t: Timestamp) -> NaiveDateTime {
        t.naive_utc() + Duration::hours(i64::from(self.offset_hours(t)))
    }

    /// `(standard time's name, summer time's name)`, e.g. `("CET", "CEST")`.
    #[must_use]
    pub fn abbreviations(self) -> (&'static str, &'static str) {
        let (_, _, std, dst) = self.row();
        (std, dst)
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The EU switch in `month` (3 or 10) of `year`: the last Sunday at 01:00 UTC.
fn switch(year: i32, month: u32) -> NaiveDateTime {
    let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    let back = i64::from(last.weekday().num_days_from_sunday());
    let sunday = last - Duration::days(back);
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday.and_hms_opt(1, 0, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap_or_default()
    }

    fn local(zone: &str, t: Timestamp) -> String {
        Zone::parse("z", zone)
            .map(|z| z.local(t).to_string())
            .unwrap_or_default()
    }

    #[test]
    fn berlin_and_warsaw_move_to_summer_time_on_the_last_sunday_of_march_at_one_utc() {
        // 2026-03-29 is the last Sunday of March.
        assert_eq!(
            local("Europe/Berlin", at(2026, 3, 29, 0, 59)),
            "2026-03-29 01:59:00"
        );
        assert_eq!(
            local("Europe/Berlin", at(2026, 3, 29, 1, 0)),
            "2026-03-29 03:00:00"
        );
        assert_eq!(
            local("Europe/Warsaw", at(2026, 3, 29, 8, 0)),
            "2026-03-29 10:00:00"
        );
        assert_eq!(
            local("Europe/Warsaw", at(2026, 3, 28, 8, 0)),
            "2026-03-28 09:00:00"
        );
    }

    #[test]
    fn and_back_on_the_last_sunday_of_october() {
        // 2026-10-25 is the last Sunday of October: 03:00 CEST becomes 02:00 CET.
        assert_eq!(
            local("Europe/Berlin", at(2026, 10, 25, 0, 59)),
            "2026-10-25 02:59:00"
        );
        assert_eq!(
            local("Europe/Berlin", at(2026, 10, 25, 1, 0)),
            "2026-10-25 02:00:00"
        );
        assert_eq!(
            local("Europe/Berlin", at(2027, 10, 31, 0, 30)),
            "2027-10-31 02:30:00"
        );
        assert_eq!(
            local("Europe/London", at(2026, 7, 1, 12, 0)),
            "2026-07-01 13:00:00"
        );
        assert_eq!(
            local("Europe/Helsinki", at(2026, 1, 1, 12, 0)),
            "2026-01-01 14:00:00"
        );
        assert_eq!(local("UTC", at(2026, 7, 1, 12, 0)), "2026-07-01 12:00:00");
    }

    #[test]
    fn unknown_zones_are_refused_naming_the_field() {
        let err = Zone::parse("time_zone", "Mars/Olympus").err();
        assert_eq!(
            err.map(|e| e.problem().field),
            Some(Some("time_zone".to_owned()))
        );
        assert_eq!(Zone::names().next(), Some("UTC"));
    }
}
