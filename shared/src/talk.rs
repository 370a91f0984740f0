//! Talk between the people of two companies: the rules of threads and messages.
//!
//! What a subject and a message text may be, the excerpt an event carries, which attachment ids a
//! message may list, where an attachment's file lives, and the cursor of the thread list (which
//! pages by last activity, not by id, so the shared id cursor does not fit).

use crate::ids::{AttachmentId, CompanyId, MessageId, ThreadId};
use crate::time::Timestamp;
use crate::{time, validate, Error, Result};

/// The most characters of a thread's subject.
pub const SUBJECT_MAX: usize = 200;
/// The most characters of a message's text.
pub const TEXT_MAX: usize = 10_000;
/// The characters of a message an event repeats.
pub const EXCERPT_CHARS: usize = 140;
/// The most attachments of one message.
pub const ATTACHMENTS_MAX: usize = 10;
/// How long an uploaded attachment waits for its message; after that the sweep deletes its file.
pub const ATTACHMENT_TTL_SECS: i64 = 3600;

/// A thread's subject: trimmed, 1 to [`SUBJECT_MAX`] characters.
///
/// # Errors
/// A 422 on `subject` when it is blank or too long.
pub fn subject(text: &str) -> Result<String> {
    validate::text("subject", text, 1, SUBJECT_MAX)
}

/// A message's text: trimmed, 1 to [`TEXT_MAX`] characters.
///
/// # Errors
/// A 422 on `text` when it is blank or too long.
pub fn message_text(text: &str) -> Result<String> {
    validate::text("text", text, 1, TEXT_MAX)
}

/// The start of a message as events carry it: the first [`EXCERPT_CHARS`] characters.
#[must_use]
pub fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// The attachment ids a message lists: at most [`ATTACHMENTS_MAX`], each an `att_` id, none twice.
///
/// # Errors
/// A 422 on `attachments` for too many, on `attachments[i]` for a malformed or repeated id.
pub fn attachment_list(ids: &[String]) -> Result<Vec<AttachmentId>> {
    if ids.len() > ATTACHMENTS_MAX {
        return Err(Error::invalid(
            "attachments",
            format!("a message carries at most {ATTACHMENTS_MAX} attachments"),
        ));
    }
    let mut out: Vec<AttachmentId> = Vec::with_capacity(ids.len());
    for (i, text) in ids.iter().enumerate() {
        let field = format!("attachments[{i}]");
        let id = AttachmentId::parse_field(&field, text.trim())?;
        if out.contains(&id) {
            return Err(Error::invalid(field, "is listed twice"));
        }
        out.push(id);
    }
    Ok(out)
}

/// Whether an unsent attachment uploaded at `created_at` may still be sent at `now`.
#[must_use]
pub fn attachment_fresh(created_at: Timestamp, now: Timestamp) -> bool {
    (now - created_at).num_seconds() < ATTACHMENT_TTL_SECS
}

/// Where an attachment's file lives in the bucket: under the uploader's company.
#[must_use]
pub fn attachment_key(company: &CompanyId, id: &AttachmentId) -> String {
    format!("{company}/attachments/{id}")
}

/// A new message id that sorts after the thread's latest message (`after`: its id and time), so
/// "unread" can mean "after the last read id" even when the clocks of two isolates disagree or two
/// messages fall into one millisecond. Returns the id and its time, the message's `created_at`.
///
/// # Errors
/// Fails only if the platform has no randomness.
pub fn next_message_id(
    now: Timestamp,
    after: Option<(&MessageId, Timestamp)>,
) -> Result<(MessageId, Timestamp)> {
    let Some((last_id, last_at)) = after else {
        return Ok((MessageId::new(now)?, now));
    };
    let at = now.max(last_at);
    let id = MessageId::new(at)?;
    if &id > last_id {
        return Ok((id, at));
    }
    // The latest's millisecond with a smaller random part: one millisecond later sorts after it.
    let at = at + chrono::Duration::milliseconds(1);
    Ok((MessageId::new(at)?, at))
}

/// The position after the last thread of a page of the thread list, which is ordered by
/// `(last_message_at, id)` descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadCursor {
    /// RFC 3339 with milliseconds, as stored.
    pub last_message_at: String,
    pub id: ThreadId,
}

impl ThreadCursor {
    /// The opaque text sent as `next_cursor`.
    #[must_use]
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}|{}", self.last_message_at, self.id))
    }

    /// Reads a cursor this API returned.
    ///
    /// # Errors
    /// A 422 on `cursor` for anything else.
    pub fn decode(text: &str) -> Result<ThreadCursor> {
        use base64::Engine;
        let malformed = || Error::invalid("cursor", "is not a cursor this API returned");
        if text.len() > 200 {
            return Err(malformed());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| malformed())?;
        let raw = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (at, id) = raw.split_once('|').ok_or_else(malformed)?;
        let at = time::parse("cursor", at).map_err(|_| malformed())?;
        let id = ThreadId::parse_field("cursor", id).map_err(|_| malformed())?;
        Ok(ThreadCursor {
            last_message_at: time::format(at),
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: &Error) -> Option<String> {
        err.problem().field
    }

    fn att(n: u8) -> String {
        format!("att_01jr8v2m4k3q9t6w5x7y8z0ab{}", char::from(b'a' + n))
    }

    #[test]
    fn subjects_are_trimmed_and_limited() {
        assert_eq!(subject("  Order 4711 ").unwrap(), "Order 4711");
        assert_eq!(subject(&"x".repeat(200)).unwrap().len(), 200);
        for bad in ["", "   ", &"x".repeat(201)] {
            let e = subject(bad).unwrap_err();
            assert_eq!(e.status(), 422);
            assert_eq!(field(&e).as_deref(), Some("subject"));
        }
    }

    #[test]
    fn texts_are_trimmed_non_empty_and_at_most_ten_thousand_characters() {
        assert_eq!(message_text("\n Hallo Łódź \t").unwrap(), "Hallo Łódź");
        assert!(message_text(&"ł".repeat(10_000)).is_ok());
        for bad in ["", " \n ", &"a".repeat(10_001)] {
            let e = message_text(bad).unwrap_err();
            assert_eq!(e.status(), 422);
            assert_eq!(field(&e).as_deref(), Some("text"));
        }
    }

    #[test]
    fn the_excerpt_is_the_first_140_characters() {
        assert_eq!(excerpt("short"), "short");
        let long: String = "ä".repeat(300);
        assert_eq!(excerpt(&long).chars().count(), 140);
        assert!(long.starts_with(&excerpt(&long)));
    }

    #[test]
    fn attachment_lists_are_limited_checked_and_free_of_repeats() {
        assert!(attachment_list(&[]).unwrap().is_empty());
        let ten: Vec<String> = (0..10).map(att).collect();
        assert_eq!(attachment_list(&ten).unwrap().len(), 10);
        let eleven: Vec<String> = (0..11).map(att).collect();
        let e = attachment_list(&eleven).unwrap_err();
        assert_eq!(
            (e.status(), field(&e).as_deref()),
            (422, Some("attachments"))
        );
        let repeated = vec![att(0), att(1), att(0)];
        let e = attachment_list(&repeated).unwrap_err();
        assert_eq!(field(&e).as_deref(), Some("attachments[2]"));
        let malformed = vec![att(0), "doc_01jr8v2m4k3q9t6w5x7y8z0abc".to_owned()];
        let e = attachment_list(&malformed).unwrap_err();
        assert_eq!(
            (e.status(), field(&e).as_deref()),
            (422, Some("attachments[1]"))
        );
    }

    #[test]
    fn attachments_keep_for_an_hour() {
        let t = time::parse("t", "2026-01-01T10:00:00Z").unwrap();
        let later = |s: i64| t + chrono::Duration::seconds(s);
        assert!(attachment_fresh(t, later(3599)));
        assert!(!attachment_fresh(t, later(3600)));
    }

    #[test]
    fn attachment_files_live_under_the_uploaders_company() {
        let now = time::now();
        let company = CompanyId::new(now).unwrap();
        let id = AttachmentId::new(now).unwrap();
        assert_eq!(
            attachment_key(&company, &id),
            format!("{company}/attachments/{id}")
        );
    }

    #[test]
    fn message_ids_sort_after_the_latest_message() {
        let t = time::parse("t", "2026-01-01T10:00:00.000Z").unwrap();
        let (first, at) = next_message_id(t, None).unwrap();
        assert_eq!(at, t);
        // Many messages in one millisecond, and a clock that runs behind, still line up.
        let mut last = (first, t);
        for step in 0..200 {
            let now = if step % 2 == 0 {
                t
            } else {
                t - chrono::Duration::seconds(5)
            };
            let (id, at) = next_message_id(now, Some((&last.0, last.1))).unwrap();
            assert!(id > last.0, "{id} after {}", last.0);
            assert!(at >= last.1);
            last = (id, at);
        }
        let later = t + chrono::Duration::seconds(60);
        let (_, at) = next_message_id(later, Some((&last.0, last.1))).unwrap();
        assert_eq!(
            at, later,
            "a clock ahead of the latest message is used as it is"
        );
    }

    #[test]
    fn thread_cursors_round_trip_and_refuse_anything_else() {
        let now = time::now();
        let cursor = ThreadCursor {
            last_message_at: time::format(now),
            id: ThreadId::new(now).unwrap(),
        };
        let text = cursor.encode();
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(ThreadCursor::decode(&text).unwrap(), cursor);
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        for bad in [
            "!!!".to_owned(),
            "x".repeat(300),
            b64("no separator"),
            b64(&format!("yesterday|{}", cursor.id)),
            b64(&format!("{}|thr_short", cursor.last_message_at)),
            b64(&format!("{}|' OR 1=1 --", cursor.last_message_at)),
        ] {
            let e = ThreadCursor::decode(&bad).unwrap_err();
            assert_eq!(
                (e.status(), field(&e).as_deref()),
                (422, Some("cursor")),
                "{bad}"
            );
        }
    }
}
