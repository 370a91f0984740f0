//! Time as the domain sees it: UTC instants, RFC 3339 with milliseconds in storage and JSON.
//!
//! Domain functions take `now` as a parameter; only the edge asks the clock.

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant in UTC.
pub type Timestamp = DateTime<Utc>;

/// The current instant (the JS clock in a worker, the OS clock natively).
#[must_use]
pub fn now() -> Timestamp {
    Utc::now()
}

/// Formats an instant the way it is stored and sent: `2026-11-23T07:41:55.123Z`. Sorts lexically.
#[must_use]
pub fn format(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The day of an instant, `YYYY-MM-DD` (UTC).
#[must_use]
pub fn day(t: Timestamp) -> String {
    format(t).chars().take(10).collect()
}

/// Parses an RFC 3339 instant.
///
/// # Errors
/// Returns a validation error naming `field` when the text is not RFC 3339.
pub fn parse(field: &str, text: &str) -> Result<Timestamp, crate::Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| crate::Error::invalid(field, "must be an RFC 3339 timestamp"))
}

/// Whether `text` is a calendar date `YYYY-MM-DD` (by hand rather than chrono's format parser,
/// which would cost every worker that reads a date some kilobytes of bundle).
#[must_use]
pub fn is_iso_date(text: &str) -> bool {
    let number = |from: usize, to: usize| {
        text.get(from..to)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u32>().ok())
    };
    let dashes = text.len() == 10 && text.get(4..5) == Some("-") && text.get(7..8) == Some("-");
    match (dashes, number(0, 4), number(5, 7), number(8, 10)) {
        (true, Some(year), Some(month), Some(day)) => i32::try_from(year)
            .ok()
            .and_then(|year| chrono::NaiveDate::from_ymd_opt(year, month, day))
            .is_some(),
        _ => false,
    }
}

/// An instant as stored and sent: RFC 3339 UTC with milliseconds (`2026-11-23T07:41:55.123Z`),
/// so it sorts lexically in SQL and reads the same in every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub Timestamp);

impl Time {
    /// The instant as chrono sees it.
    #[must_use]
    pub fn at(self) -> Timestamp {
        self.0
    }
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Time {
        Time(t)
    }
}

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format(self.0))
    }
}

impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Time(t.with_timezone(&Utc)))
            .map_err(|_| serde::de::Error::custom(format!("not an RFC 3339 time: {text}")))
    }
}

impl utoipa::PartialSchema for Time {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .into()
    }
}

impl utoipa::ToSchema for Time {}

impl crate::platform::Bind for Time {
    fn value(&self) -> crate::platform::Value {
        crate::platform::Value::Text(format(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips_with_millis() {
        let t = parse("t", "2026-11-23T07:41:55.123Z").unwrap();
        assert_eq!(format(t), "2026-11-23T07:41:55.123Z");
        assert!(parse("t", "yesterday").is_err());
    }

    #[test]
    fn iso_dates_are_real_calendar_days() {
        for good in ["2026-12-01", "2024-02-29", "0001-01-01"] {
            assert!(is_iso_date(good), "{good}");
        }
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "2026/12/01",
            "20261201",
            "2026-12-01T",
            "+026-12-01",
            "2026-12-0ä",
            "",
            "yyyy-mm-dd",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    #[test]
    fn time_keeps_the_stored_form() {
        let t: Time = serde_json::from_str("\"2026-11-23T07:41:55.000Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-11-23T07:41:55.000Z\""
        );
        assert!(serde_json::from_str::<Time>("\"soon\"").is_err());
    }
}
