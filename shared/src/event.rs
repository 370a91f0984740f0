//! Events: what happened, for which company. Every worker writes them to the `events` outbox
//! table in the same transaction as the change and sends them to the `tradepost-events` queue;
//! the notify worker turns them into webhooks and mails.

use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, EventId};
use crate::time::{self, Timestamp};

/// `connector.run_failed`: one of the company's ERP connectors reported a run with errors (to
/// its own company; `data`: `connector_id`, `run_id`, `operation`, `started_at`, `finished_at`,
/// `files`, `errors`, `message`). Written once per run, however often the report comes.
pub const CONNECTOR_RUN_FAILED: &str = "connector.run_failed";

/// `appointment.proposed`: a person of the customer proposed an appointment (to the supplier;
/// `data`: `appointment_id`, `project_id`, `project_name`, `location_id`, `location_name`,
/// `city`, `time_zone`, `customer_id`, `title`, `starts_at`, `ends_at`, `note`,
/// `proposed_by_user_id`, `proposed_by_name`).
pub const APPOINTMENT_PROPOSED: &str = "appointment.proposed";

/// `appointment.decided`: the supplier confirmed or rejected a proposal (to the customer;
/// `data`: `appointment_id`, `project_id`, `project_name`, `location_id`, `location_name`,
/// `city`, `time_zone`, `supplier_id`, `title`, `starts_at`, `ends_at`, `decision`
/// (`confirmed` or `rejected`), `reason`, `proposed_by_user_id`).
pub const APPOINTMENT_DECIDED: &str = "appointment.decided";

/// `appointment.staffed`: the supplier named who comes (to the customer; `data`:
/// `appointment_id`, `project_id`, `location_id`, `title`, `starts_at`, `ends_at`, `staff`:
/// `[{name, role}]` — never the staff's e-mail or phone).
pub const APPOINTMENT_STAFFED: &str = "appointment.staffed";

/// `appointment.cancelled`: one side cancelled an appointment (to the other side; `data`:
/// `appointment_id`, `project_id`, `location_id`, `title`, `starts_at`, `ends_at`,
/// `cancelled_by` (`supplier` or `customer`), `reason`).
pub const APPOINTMENT_CANCELLED: &str = "appointment.cancelled";

/// `invoice.received`: the recipient confirmed it received an invoice (to its sender; `data`:
/// `invoice_id`, `document_id`, `sender_id`, `recipient_id`, `invoice_number`, `currency`,
/// `payable`, `due_date`).
pub const INVOICE_RECEIVED: &str = "invoice.received";

/// `invoice.disputed`: the recipient disputes an invoice (to its sender; `data`: as
/// `invoice.received`, with `reason` and `thread_id`, the talk thread it opened).
pub const INVOICE_DISPUTED: &str = "invoice.disputed";

/// `invoice.paid`: the recipient recorded its payment (to its sender; `data`: as
/// `invoice.received`, with `paid_on`, `amount`, `reference`).
pub const INVOICE_PAID: &str = "invoice.paid";

/// `invoice.overdue`: an unpaid invoice's due date passed (to both sides; `data`: as
/// `invoice.received`, with `as_of`, the day it was found).
pub const INVOICE_OVERDUE: &str = "invoice.overdue";

/// `task.assigned`: a task was given to a person or a team of the company (to the company
/// itself: tasks are internal; `data`: `task_id`, `title`, `due_on`, `team_id`, `team_name`,
/// `assignee_id`, `assignee_name`, `about_type`, `about_id`, `assigned_by_user_id`).
pub const TASK_ASSIGNED: &str = "task.assigned";

/// `task.due`: an open task's due date came (to the company itself; `data`: `task_id`,
/// `title`, `due_on`, `team_id`, `team_name`, `assignee_id`, `as_of`). Once per due date.
pub const TASK_DUE: &str = "task.due";

/// `complaint.filed`: a customer filed a complaint (to the supplier; `data`: `complaint_id`,
/// `number`, `customer_id`, `document_id`, `order_id`, `reason`, `lines`, `filed_by_name`).
pub const COMPLAINT_FILED: &str = "complaint.filed";

/// `complaint.status_changed`: one side moved a complaint (to the other side; `data`:
/// `complaint_id`, `number`, `move`, `status`, `resolution`, `note`, `by_name`).
pub const COMPLAINT_STATUS_CHANGED: &str = "complaint.status_changed";

/// `complaint.commented`: one side commented on a complaint (to the other side; `data`:
/// `complaint_id`, `number`, `entry_id`, `text`, `by_name`).
pub const COMPLAINT_COMMENTED: &str = "complaint.commented";

/// `quote.requested`: a customer asked for a quote (to the supplier; `data`:
/// `quote_request_id`, `number`, `customer_id`, `title`, `lines`, `desired_date`, `thread_id`,
/// `requested_by_name`).
pub const QUOTE_REQUESTED: &str = "quote.requested";

/// `quote.quoted`: the supplier sent a quote, or a new version of it (to the customer; `data`:
/// `quote_request_id`, `number`, `quote_id`, `version`, `currency`, `total`, `valid_until`,
/// `by_name`).
pub const QUOTE_QUOTED: &str = "quote.quoted";

/// `quote.status_changed`: the customer accepted (`order_document_id`: the order it placed),
/// rejected, asked for changes or withdrew; or the quote expired (to the other side; an expiry
/// to both; `data`: `quote_request_id`, `number`, `move`, `status`, `version`, `reason`,
/// `order_document_id`, `by_name`).
pub const QUOTE_STATUS_CHANGED: &str = "quote.status_changed";

/// `quote.commented`: one side commented on a request (to the other side; `data`:
/// `quote_request_id`, `number`, `text`, `by_name`).
pub const QUOTE_COMMENTED: &str = "quote.commented";

/// One event, as queued and as delivered (thin: ids and a summary, never file contents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    /// The company to be told.
    pub company_id: CompanyId,
    pub data: serde_json::Value,
}

impl Event {
    /// A new event of `kind` for `company_id`.
    ///
    /// # Errors
    /// Fails only if the platform has no randomness.
    pub fn new(
        kind: &str,
        company_id: &CompanyId,
        data: serde_json::Value,
        now: Timestamp,
    ) -> crate::Result<Event> {
        Ok(Event {
            id: EventId::new(now)?,
            kind: kind.to_owned(),
            created_at: time::format(now),
            company_id: company_id.clone(),
            data,
        })
    }
}
