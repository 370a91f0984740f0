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

/// Parses an RFC 3339 instant.
///
/// # Errors
/// Returns a validation error naming `field` when the text is not RFC 3339.
pub fn parse(field: &str, text: &str) -> Result<Timestamp, crate::Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| crate::Error::invalid(field, "must be an RFC 3339 timestamp"))
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
}
