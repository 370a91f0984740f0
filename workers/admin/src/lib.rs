//! The admin worker: what a company's administrators read about their company — today the
//! audit log of administrative actions (who granted or revoked which permission, made or
//! revoked which API key, invited, disabled or deleted whom, changed which webhook endpoint).
//! The actions themselves happen where their resources live (accounts, notify), each writing
//! its entry in the same batch (`shared::data::audit`); this worker only reads them. It sits
//! apart because the accounts worker has no room left in its bundle budget.
//!
//! [`SERVICE`] is its route table.

pub mod api;
mod audit;

use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use api::{AuditList, AuditQuery};

/// The admin worker's endpoints.
pub static SERVICE: Service = Service {
    name: "admin",
    binding: "ADMIN",
    // Like the registry: a person logged out or disabled reads nothing more.
    sessions: Sessions::Checked,
    routes: shared::routes![
        Get "/v1/audit-log" => audit::list_audit_log, Access::Caller,
            |d| d.summary("The company's administrative actions, newest first (admins only): permissions granted and revoked, API keys made and revoked, people invited, disabled and deleted, webhook endpoints changed")
                .query::<AuditQuery>().query::<shared::service::page::Paging>()
                .ok::<AuditList>("a page of entries")
                .errors(&[(403, "not an admin (`admin_required`)")]);
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
