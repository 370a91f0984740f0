//! iCalendar (RFC 5545) for appointments: a `VCALENDAR` with one `VEVENT` per appointment, in
//! the local time of its location with the `VTIMEZONE` definitions it uses, so Outlook, Google
//! Calendar and Apple Calendar show it at the right hour across summer time changes.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::time::Timestamp;
use crate::tz::Zone;

/// An event's status (`STATUS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Tentative,
    Confirmed,
    Cancelled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Tentative => "TENTATIVE",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One appointment as a calendar shows it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unique and stable (`apt_…@tradepost`): a calendar updates the event it knows by it.
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The location's zone; the times are written in its local time.
    pub zone: Zone,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub status: Status,
    /// Raised with every change, so a calendar takes the newer version.
    pub sequence: u32,
    /// When this version was made (`DTSTAMP`).
    pub stamp: Timestamp,
    pub url: Option<String>,
}

/// The whole calendar named `name`: CRLF line ends, lines folded at 75 octets.
#[must_use]
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Tradepost//Appointments//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    let zones: BTreeSet<Zone> = events
        .iter()
        .map(|e| e.zone)
        .filter(|z| *z != Zone::UTC)
        .collect();
    for zone in zones {
        timezone(&mut out, zone);
    }
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(
            &mut out,
            &format!("DTSTAMP:{}Z", stamp(e.stamp.naive_utc())),
        );
        line(&mut out, &format!("DTSTART{}", when(e.zone, e.start)));
        line(&mut out, &format!("DTEND{}", when(e.zone, e.end)));
        line(&mut out, &format!("SUMMARY:{}", text(&e.summary)));
        if let Some(l) = &e.location {
            line(&mut out, &format!("LOCATION:{}", text(l)));
        }
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", text(d)));
        }
        line(&mut out, &format!("STATUS:{}", e.status.as_str()));
        line(&mut out, &format!("SEQUENCE:{}", e.sequence));
        if let Some(u) = &e.url {
            line(&mut out, &format!("URL:{u}"));
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `;TZID=Europe/Berlin:20260329T100000`, or `:20260329T080000Z` in UTC.
fn when(zone: Zone, t: Timestamp) -> String {
    if zone == Zone::UTC {
        format!(":{}Z", stamp(t.naive_utc()))
    } else {
        format!(";TZID={}:{}", zone.as_str(), stamp(zone.local(t)))
    }
}

fn stamp(t: NaiveDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The zone's `VTIMEZONE`: the EU rule (the last Sunday of March and of October, 01:00 UTC).
fn timezone(out: &mut String, zone: Zone) {
    let std = zone.standard_hours();
    let (std_name, dst_name) = zone.abbreviations();
    let offset = |h: i32| format!("{}{:02}00", if h < 0 { '-' } else { '+' }, h.abs());
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", zone.as_str()));
    if zone.has_summer_time() {
        // Local times of the switches: 01:00 UTC in standard time (March), in summer time (October).
        line(out, "BEGIN:DAYLIGHT");
        line(out, &format!("TZOFFSETFROM:{}", offset(std)));
        line(out, &format!("TZOFFSETTO:{}", offset(std + 1)));
        line(out, &format!("TZNAME:{dst_name}"));
        line(out, &format!("DTSTART:197003{:02}T{:02}0000", 29, 1 + std));
        line(out, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU");
        line(out, "END:DAYLIGHT");
        line(out, "BEGIN:STANDARD");
        line(out, &format!("TZOFFSETFROM:{}", offset(std + 1)));
        line(out, &format!("TZOFFSETTO:{}", offset(std)));
        line(out, &format!("TZNAME:{std_name}"));
        line(out, &format!("DTSTART:197010{:02}T{:02}0000", 25, 2 + std));
        line(out, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
        line(out, "END:STANDARD");
    } else {
        line(out, "BEGIN:STANDARD");
        line(out, &format!("TZOFFSETFROM:{}", offset(std)));
        line(out, &format!("TZOFFSETTO:{}", offset(std)));
        line(out, &format!("TZNAME:{std_name}"));
        line(out, "DTSTART:19700101T000000");
        line(out, "END:STANDARD");
    }
    line(out, "END:VTIMEZONE");
}

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma, newline.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets (never inside a UTF-8 character), with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn event(zone: &str, start: Timestamp) -> Event {
        Event {
            uid: "apt_1@tradepost".into(),
            start,
            end: start + chrono::Duration::hours(2),
            zone: Zone::parse("z", zone).unwrap_or(Zone::UTC),
            summary: "Shelf check, Store 12; aisles 3,4".into(),
            location: Some("Markt 12, Berlin".into()),
            description: Some("Staff: Anna (Merchandiser)\nBring the new displays".into()),
            status: Status::Confirmed,
            sequence: 2,
            stamp: at(2026, 3, 1, 9),
            url: None,
        }
    }

    #[test]
    fn times_are_local_to_the_location_across_the_summer_time_change() {
        let ics = calendar(
            "Anna's appointments",
            &[
                event("Europe/Berlin", at(2026, 3, 28, 8)),
                event("Europe/Berlin", at(2026, 3, 29, 8)),
                event("Europe/Warsaw", at(2026, 10, 25, 8)),
            ],
        );
        assert!(
            ics.contains("DTSTART;TZID=Europe/Berlin:20260328T090000\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("DTSTART;TZID=Europe/Berlin:20260329T100000\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("DTEND;TZID=Europe/Berlin:20260329T120000\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("DTSTART;TZID=Europe/Warsaw:20261025T090000\r\n"),
            "{ics}"
        );
        // One VTIMEZONE per zone used, with the EU rule.
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 2);
        assert!(ics.contains("TZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"), "{ics}");
        assert!(ics.contains("TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"), "{ics}");
        assert!(ics.contains("DTSTAMP:20260301T090000Z\r\n"));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn text_is_escaped_and_long_lines_are_folded() {
        let ics = calendar("c", &[event("UTC", at(2026, 6, 1, 8))]);
        assert!(
            ics.contains("SUMMARY:Shelf check\\, Store 12\\; aisles 3\\,4\r\n"),
            "{ics}"
        );
        assert!(ics.contains("DESCRIPTION:Staff: Anna (Merchandiser)\\nBring the new displays\r\n"));
        assert!(
            ics.contains("DTSTART:20260601T080000Z\r\n"),
            "UTC needs no VTIMEZONE: {ics}"
        );
        assert!(!ics.contains("VTIMEZONE"));
        let long = "Ü".repeat(60);
        let mut folded = String::new();
        line(&mut folded, &format!("SUMMARY:{long}"));
        for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{long}\r\n"));
    }
}
