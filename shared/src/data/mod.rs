//! The data layer: every SQL statement of Tradepost, one module per table family. It is the
//! only way a worker touches the database, so a table's rows are typed once (ids, enums, `u64`,
//! [`crate::time::Time`], JSON columns) and each family's invariants live in one place.
//!
//! Loaders of a company's rows take the viewing company (`viewer`) and filter by it in SQL, so
//! another company's row is never loaded into a handler: it is not found (a 404). The few
//! lookups without a viewer find a row by a secret the caller holds (a token's hash) or run for
//! the platform itself (the sweep, the notify consumer); each says so.
//!
//! Functions named `*_stmt` return a [`Statement`] for the caller's batch (one transaction);
//! the others run their query. Failures are [`crate::Error`]s; a taken unique value is
//! [`crate::Error::unique_violation`] with the constraint's columns, named by the constants here.

pub mod api_keys;
pub mod appointments;
pub mod approvals;
pub mod audit;
pub mod catalogs;
pub mod companies;
pub mod complaints;
pub mod connectors;
pub mod contacts;
pub mod documents;
pub mod events;
pub mod expired;
pub mod files;
pub mod invitations;
pub mod invoices;
pub mod links;
pub mod mails;
pub mod notices;
pub mod pending;
pub mod profiles;
pub mod quotes;
pub mod relationships;
pub mod talk;
pub mod tasks;
pub mod uploads;
pub mod users;
pub mod webhooks;

pub use crate::platform::{Db, Statement};

use crate::platform::Outcome;

/// The first row of a batch statement's outcome, read into `T`.
pub(crate) fn first_of<T: serde::de::DeserializeOwned>(
    outcome: Option<&Outcome>,
) -> crate::Result<Option<T>> {
    outcome
        .and_then(|o| o.rows.first())
        .map(crate::platform::Row::read)
        .transpose()
}

/// Every row of a batch statement's outcome, read into `T`; `what` names the table family in
/// the error of a row that does not fit.
pub(crate) fn rows_of<T: serde::de::DeserializeOwned>(
    outcome: Option<&Outcome>,
    what: &str,
) -> crate::Result<Vec<T>> {
    let rows = outcome.map(|o| o.rows.as_slice()).unwrap_or(&[]);
    crate::platform::db::read_rows(rows).map_err(|e| crate::Error::internal(format!("{what}: {e}")))
}
