//! Every worker's route table, in the order the gateway documents them. The gateway's build
//! script generates its routing table and the OpenAPI document from this list; the native
//! tests run the same tables (`testkit::Stack`).

use shared::service::Service;

/// Every worker behind the gateway.
#[must_use]
pub fn services() -> [&'static Service; 16] {
    [
        &tradepost_accounts::SERVICE,
        &tradepost_partners::SERVICE,
        &tradepost_orders::SERVICE,
        &tradepost_approvals::SERVICE,
        &tradepost_talk::SERVICE,
        &tradepost_projects::SERVICE,
        &tradepost_appointments::SERVICE,
        &tradepost_invoices::SERVICE,
        &tradepost_tasks::SERVICE,
        &tradepost_complaints::SERVICE,
        &tradepost_quotes::SERVICE,
        &tradepost_catalog::SERVICE,
        &tradepost_reader::SERVICE,
        &tradepost_notify::SERVICE,
        &tradepost_mailer::SERVICE,
        &tradepost_admin::SERVICE,
    ]
}

/// A route's path as a shape of segments, `*` for a parameter (`/v1/documents/*/ack`).
#[must_use]
pub fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "*" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}
