//! Tasks: a company's own work items for a team or a person of the company (internal: the
//! partner never sees them). Their statuses, what a task may be about (told by the id's
//! prefix), and the limits of what a task is made of (a due date is checked by
//! `appointment::date`, as every date is).

use crate::ids::{ApprovalId, ComplaintId, DocumentId, MessageId, QuoteRequestId, ThreadId};
use crate::{Error, Result};

/// Longest title of a task.
pub const MAX_TITLE: usize = 200;
/// Longest description of a task, and longest comment.
pub const MAX_TEXT: usize = 4000;
/// Longest name of a team.
pub const MAX_TEAM_NAME: usize = 100;

named_enum! {
    /// Where a task stands.
    TaskStatus, "task status" {
        /// Waiting to be taken up.
        Open = "open",
        /// Being worked on.
        InProgress = "in_progress",
        /// Finished.
        Done = "done",
        /// Not to be done after all.
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// Whether the task still waits for someone (open or in progress).
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

named_enum! {
    /// What a task is about.
    AboutType, "about type" {
        /// A document in the company's mailbox (an order, invoice, …).
        Document = "document",
        /// A talk thread with a partner.
        Thread = "thread",
        /// One message of a talk thread.
        Message = "message",
        /// A proof sent for approval.
        Approval = "approval",
        /// A complaint (RMA) filed by a customer or received by a supplier.
        Complaint = "complaint",
        /// A request for a quote made by a customer or received by a supplier.
        QuoteRequest = "quote_request",
    }
}

impl AboutType {
    /// The kind of thing `id` names, by its prefix (`doc_…`, `thr_…`, `msg_…`, `apr_…`,
    /// `cmp_…`, `rfq_…`).
    ///
    /// # Errors
    /// A 422 naming `field` for an id of another kind, or not an id at all.
    pub fn of_id(field: &str, id: &str) -> Result<AboutType> {
        let id = id.trim();
        if DocumentId::parse_field(field, id).is_ok() {
            Ok(Self::Document)
        } else if ThreadId::parse_field(field, id).is_ok() {
            Ok(Self::Thread)
        } else if MessageId::parse_field(field, id).is_ok() {
            Ok(Self::Message)
        } else if ApprovalId::parse_field(field, id).is_ok() {
            Ok(Self::Approval)
        } else if ComplaintId::parse_field(field, id).is_ok() {
            Ok(Self::Complaint)
        } else if QuoteRequestId::parse_field(field, id).is_ok() {
            Ok(Self::QuoteRequest)
        } else {
            Err(Error::invalid(
                field,
                "must be the id of a document (doc_…), thread (thr_…), message (msg_…), \
                 approval (apr_…), complaint (cmp_…) or quote request (rfq_…)",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_prefix_tells_what_a_task_is_about() {
        let doc = "doc_01jd0000000000000000000000";
        assert_eq!(AboutType::of_id("about", doc).unwrap(), AboutType::Document);
        assert_eq!(
            AboutType::of_id("about", "thr_01jd0000000000000000000000").unwrap(),
            AboutType::Thread
        );
        assert_eq!(
            AboutType::of_id("about", " msg_01jd0000000000000000000000 ").unwrap(),
            AboutType::Message
        );
        assert_eq!(
            AboutType::of_id("about", "apr_01jd0000000000000000000000").unwrap(),
            AboutType::Approval
        );
        assert_eq!(
            AboutType::of_id("about", "cmp_01jd0000000000000000000000").unwrap(),
            AboutType::Complaint
        );
        assert_eq!(
            AboutType::of_id("about", "rfq_01jd0000000000000000000000").unwrap(),
            AboutType::QuoteRequest
        );
        for bad in [
            "co_01jd0000000000000000000000",
            "doc_1",
            "",
            "tsk_01jd0000000000000000000000",
        ] {
            let err = AboutType::of_id("about", bad).unwrap_err();
            assert_eq!(err.problem().field.as_deref(), Some("about"));
        }
    }

    #[test]
    fn statuses_and_due_dates() {
        assert!(TaskStatus::Open.is_open() && TaskStatus::InProgress.is_open());
        assert!(!TaskStatus::Done.is_open() && !TaskStatus::Cancelled.is_open());
        assert_eq!(
            TaskStatus::parse("status", "in_progress").unwrap(),
            TaskStatus::InProgress
        );
        assert!(TaskStatus::parse("status", "closed").is_err());
        // A due date is checked as every date is (`appointment::date`).
        let date = crate::appointment::date;
        assert_eq!(
            date("due_on", Some(" 2027-03-01 ")).unwrap().as_deref(),
            Some("2027-03-01")
        );
        assert_eq!(
            date("due_on", Some("1.3.2027"))
                .unwrap_err()
                .problem()
                .field
                .as_deref(),
            Some("due_on")
        );
    }
}
