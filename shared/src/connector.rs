//! ERP connectors (the `tradepost` command line a company runs beside its ERP system): the
//! operations a connector runs, how often (an interval from 10 seconds to 7 days, which the
//! portal shows as `hh:mm:ss`), and the limits of what it reports about a run.
//!
//! Pure rules; `shared::data::connectors` stores them and the partners worker serves them.

use crate::{Error, Result};

named_enum! {
    /// What a connector does, each on its own schedule.
    Operation, "connector operation" {
        /// Uploads the ERP's outgoing documents to partners' mailboxes.
        Send = "send",
        /// Downloads the documents partners sent into the ERP.
        Fetch = "fetch",
        /// Reports the ERP's status changes of documents.
        Status = "status",
    }
}

impl Operation {
    /// Its place in the canonical order (send, fetch, status), for sorting.
    #[must_use]
    pub fn rank(self) -> usize {
        Self::ALL
            .iter()
            .position(|o| *o == self)
            .unwrap_or(usize::MAX)
    }
}

impl crate::platform::Bind for Operation {
    fn value(&self) -> crate::platform::Value {
        crate::platform::Value::Text(self.as_str().to_owned())
    }
}

/// The shortest interval an operation may run at.
pub const MIN_INTERVAL_SECS: u64 = 10;
/// The longest interval an operation may run at (7 days).
pub const MAX_INTERVAL_SECS: u64 = 7 * 24 * 3600;
/// The furthest ahead a one-time run may be scheduled, in minutes (7 days).
pub const MAX_RUN_IN_MINUTES: u32 = 7 * 24 * 60;
/// The largest file or error count a run report may give (keeps counts exact as D1's numbers).
pub const MAX_COUNT: u64 = 1_000_000_000;

/// Checks an interval in seconds.
///
/// # Errors
/// A 422 naming `field` outside 10 s … 7 days.
pub fn check_interval(field: &str, secs: u64) -> Result<u64> {
    if (MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&secs) {
        Ok(secs)
    } else {
        Err(Error::invalid(
            field,
            "must be from 10 seconds to 7 days (604800 seconds)",
        ))
    }
}

/// Reads an interval written `hh:mm:ss` (hours 0–168, minutes and seconds two digits below 60)
/// and checks its range.
///
/// # Errors
/// A 422 naming `field` when it is not of that form or outside 10 s … 7 days.
pub fn parse_interval(field: &str, text: &str) -> Result<u64> {
    let malformed = || Error::invalid(field, "must be hh:mm:ss, from 00:00:10 to 168:00:00");
    let mut parts = text.trim().split(':');
    let (Some(h), Some(m), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let number = |digits: &str, min_len: usize, max_len: usize, below: u64| {
        (digits.len() >= min_len
            && digits.len() <= max_len
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n < below)
    };
    let (Some(h), Some(m), Some(s)) = (
        number(h, 1, 3, 1000),
        number(m, 2, 2, 60),
        number(s, 2, 2, 60),
    ) else {
        return Err(malformed());
    };
    check_interval(field, h * 3600 + m * 60 + s).map_err(|_| malformed())
}

/// An interval as `hh:mm:ss` (hours two digits at least: `00:05:00`, `168:00:00`).
#[must_use]
pub fn format_interval(secs: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Checks a count of a run report (files, errors).
///
/// # Errors
/// A 422 naming `field` above [`MAX_COUNT`].
pub fn check_count(field: &str, n: u64) -> Result<u64> {
    if n <= MAX_COUNT {
        Ok(n)
    } else {
        Err(Error::invalid(field, "must be at most 1000000000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_have_their_names_and_order() {
        assert_eq!(
            Operation::ALL.map(Operation::as_str),
            ["send", "fetch", "status"]
        );
        assert_eq!(
            serde_json::to_string(&Operation::Fetch).unwrap(),
            "\"fetch\""
        );
        assert_eq!(
            serde_json::from_str::<Operation>("\"status\"").unwrap(),
            Operation::Status
        );
        assert!(serde_json::from_str::<Operation>("\"Send\"").is_err());
        assert_eq!(
            Operation::parse("operation", "send").unwrap(),
            Operation::Send
        );
        assert_eq!(
            Operation::parse("operation", "sync")
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("operation")
        );
        let mut ops = vec![Operation::Status, Operation::Send, Operation::Fetch];
        ops.sort_by_key(|o| o.rank());
        assert_eq!(ops, Operation::ALL);
    }

    #[test]
    fn intervals_read_and_write_as_hh_mm_ss_within_ten_seconds_and_seven_days() {
        for (text, secs) in [
            ("00:00:10", 10),
            ("00:05:00", 300),
            ("1:00:30", 3630),
            ("01:00:30", 3630),
            ("24:00:00", 86_400),
            ("168:00:00", 604_800),
            (" 00:01:00 ", 60),
        ] {
            assert_eq!(parse_interval("interval", text).unwrap(), secs, "{text}");
        }
        for bad in [
            "",
            "00:00:09",
            "00:00:00",
            "168:00:01",
            "200:00:00",
            "1:2:3",
            "00:60:00",
            "00:00:60",
            "00:5:00",
            "5m",
            "300",
            "00:05",
            "00:05:00:00",
            "-1:00:00",
            "aa:bb:cc",
            "0000:01:00",
        ] {
            let err = parse_interval("interval", bad).unwrap_err();
            assert_eq!(err.status(), 422, "{bad}");
            assert_eq!(err.problem().field.as_deref(), Some("interval"), "{bad}");
        }
        assert_eq!(format_interval(300), "00:05:00");
        assert_eq!(format_interval(3630), "01:00:30");
        assert_eq!(format_interval(604_800), "168:00:00");
        for secs in [10, 59, 61, 3599, 3601, 86_399, 604_800] {
            assert_eq!(parse_interval("i", &format_interval(secs)).unwrap(), secs);
        }
        assert!(check_interval("operations[0].interval_secs", 9).is_err());
        assert!(check_interval("x", 604_801).is_err());
        assert_eq!(check_interval("x", 60).unwrap(), 60);
        assert!(check_count("files", MAX_COUNT).is_ok());
        assert_eq!(
            check_count("files", MAX_COUNT + 1)
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("files")
        );
    }
}
