//! The partners worker: the company directory, relationships (requests from either side,
//! decisions, blocks, services, the supplier's own settings on each customer), inviting a
//! customer company by e-mail, business cards and the contacts they make (vCard 4.0), and the
//! company's ERP connectors (their registration, the admins' settings and the runs reported).
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource.

pub mod api;
mod cards;
mod companies;
mod connectors;
mod relationships;

use shared::permissions::Permission::{RelationshipsManage, UsersManage};
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        CompanyDetail, CompanyList, CompanyQuery, ConnectorIn, ConnectorList,
        ConnectorOperationPatch, ConnectorOut, ConnectorRunIn, ConnectorRunList, ConnectorRunQuery,
        ConnectorRunReport, ContactList, ContactOut, ContactQuery, InvitationIn, InvitationOut,
        RejectIn, RelationshipIn, RelationshipList, RelationshipOut, RelationshipPatch,
        RelationshipQuery, SendIn, SentOut,
    },
    shared::connector::Operation,
    shared::ids::{CompanyId, ConnectorId, ContactId, RelationshipId},
    shared::vcard::Card,
};

const MANAGE: Access = Access::Permission(RelationshipsManage);
/// The company's administration (people, API keys, connectors).
const ADMIN: Access = Access::Permission(UsersManage);

/// The partners worker's endpoints.
pub static SERVICE: Service = Service {
    name: "partners",
    binding: "PARTNERS",
    sessions: Sessions::Checked,
    routes: shared::routes![
        Get "/v1/companies" => companies::list_companies, Access::Caller,
            |d| d.summary("Search the company directory")
                .query::<CompanyQuery>().query::<shared::service::page::Paging>()
                .ok::<CompanyList>("a page of companies, newest first");
        Get "/v1/companies/{id}" => companies::get_company, Access::Caller,
            |d| d.summary("A company of the directory, with the caller's relationship with it")
                .path_param::<CompanyId>("id").ok::<CompanyDetail>("the company");
        Get "/v1/relationships" => relationships::list_relationships, Access::Caller,
            |d| d.summary("List the company's relationships, with counts")
                .query::<RelationshipQuery>().query::<shared::service::page::Paging>()
                .ok::<RelationshipList>("a page of relationships, newest first");
        Post "/v1/relationships" => relationships::request_relationship, MANAGE,
            |d| d.summary("Ask a company for a relationship (either side may ask)")
                .body::<RelationshipIn>()
                .answer::<RelationshipOut>(201, "the requested relationship")
                .errors(&[(404, "no company has this id or handle"), (409, "a relationship with this company exists already")]);
        Post "/v1/relationships/invitations" => relationships::invite_company, MANAGE,
            |d| d.summary("Invite a customer company by e-mail (accepting registers it and opens the relationship)")
                .body::<InvitationIn>()
                .answer::<InvitationOut>(201, "the invitation, open")
                .errors(&[(409, "the e-mail address already has an access")]);
        Get "/v1/relationships/{id}" => relationships::get_relationship, Access::Caller,
            |d| d.summary("Read a relationship").path_param::<RelationshipId>("id")
                .ok::<RelationshipOut>("the relationship as the caller's side sees it");
        Patch "/v1/relationships/{id}" => relationships::update_relationship, MANAGE,
            |d| d.summary("Change the supplier's settings or the services").path_param::<RelationshipId>("id")
                .body::<RelationshipPatch>()
                .ok::<RelationshipOut>("the relationship as it is now")
                .errors(&[(403, "only the supplier keeps settings"), (409, "not active, a service change not allowed, or changed meanwhile")]);
        Post "/v1/relationships/{id}/approve" => relationships::approve_relationship, MANAGE,
            |d| d.summary("Approve a request (the asked company)").path_param::<RelationshipId>("id")
                .ok::<RelationshipOut>("the active relationship")
                .errors(&[(403, "the requester cannot approve"), (409, "not requested, or changed meanwhile")]);
        Post "/v1/relationships/{id}/reject" => relationships::reject_relationship, MANAGE,
            |d| d.summary("Reject a request (the asked company)").path_param::<RelationshipId>("id")
                .optional_body::<RejectIn>()
                .ok::<RelationshipOut>("the rejected relationship")
                .errors(&[(403, "the requester cannot reject"), (409, "not requested, or changed meanwhile")]);
        Post "/v1/relationships/{id}/block" => relationships::block_relationship, MANAGE,
            |d| d.summary("Block the partner").path_param::<RelationshipId>("id")
                .ok::<RelationshipOut>("the blocked relationship")
                .errors(&[(409, "blocked already, or changed meanwhile")]);
        Post "/v1/relationships/{id}/unblock" => relationships::unblock_relationship, MANAGE,
            |d| d.summary("Lift one's own block").path_param::<RelationshipId>("id")
                .ok::<RelationshipOut>("the relationship as before the block")
                .errors(&[(403, "the partner blocked"), (409, "not blocked, or changed meanwhile")]);
        Get "/v1/cards/me" => cards::get_my_card, Access::Person,
            |d| d.summary("The caller's business card").ok::<Card>("the card");
        Put "/v1/cards/me" => cards::put_my_card, Access::Person,
            |d| d.summary("Fill in the caller's business card").body::<Card>().ok::<Card>("the card as stored");
        Post "/v1/cards/me/send" => cards::send_my_card, Access::Person,
            |d| d.summary("Send the caller's card to a partner company (it becomes a contact there)")
                .body::<SendIn>().ok::<SentOut>("the contact made")
                .errors(&[(404, "there is no relationship with this company"), (409, "the relationship is not active or cards are not enabled")]);
        Get "/v1/contacts" => cards::list_contacts, Access::Caller,
            |d| d.summary("The business cards the company received")
                .query::<ContactQuery>().query::<shared::service::page::Paging>()
                .ok::<ContactList>("a page of contacts, newest first");
        Get "/v1/contacts/{id}" => cards::get_contact, Access::Caller,
            |d| d.summary("One received card").path_param::<ContactId>("id").ok::<ContactOut>("the contact");
        Get "/v1/contacts/{id}/vcard" => cards::get_contact_vcard, Access::Caller,
            |d| d.summary("One received card as vCard 4.0").path_param::<ContactId>("id")
                .text(200, "text/vcard", "the vCard");
        Get "/v1/connectors" => connectors::list_connectors, ADMIN,
            |d| d.summary("The company's ERP connectors, with each operation's settings and last run")
                .ok::<ConnectorList>("the connectors, by name");
        Post "/v1/connectors" => connectors::register_connector, Access::Caller,
            |d| d.summary("Register an ERP connector (API keys only): new by its name, or known and updated")
                .describe("Operations not yet stored are added (enabled, at the interval given); \
                           stored ones keep the admins' settings.")
                .body::<ConnectorIn>()
                .answer::<ConnectorOut>(201, "the new connector")
                .ok::<ConnectorOut>("the connector registered before under this name, updated")
                .errors(&[(403, "a person cannot register a connector (api_key_only)")]);
        Get "/v1/connectors/{id}" => connectors::get_connector, Access::Caller,
            |d| d.summary("A connector with its settings (a connector polls this with its API key; people need users.manage)")
                .path_param::<ConnectorId>("id").ok::<ConnectorOut>("the connector")
                .errors(&[(403, "a person without users.manage")]);
        Delete "/v1/connectors/{id}" => connectors::delete_connector, ADMIN,
            |d| d.summary("Delete a connector with its operations and runs")
                .path_param::<ConnectorId>("id").empty(204, "deleted");
        Get "/v1/connectors/{id}/runs" => connectors::list_runs, Access::Caller,
            |d| d.summary("A connector's runs (its API keys, or people with users.manage)")
                .path_param::<ConnectorId>("id")
                .query::<ConnectorRunQuery>().query::<shared::service::page::Paging>()
                .ok::<ConnectorRunList>("a page of runs, newest first")
                .errors(&[(403, "a person without users.manage")]);
        Post "/v1/connectors/{id}/runs" => connectors::report_run, Access::Caller,
            |d| d.summary("Report a run of an operation (API keys only); a report sent again is stored once")
                .describe("A run that started when a one-time run was due (`run_at` ≤ `started_at`) \
                           clears it. Errors > 0 emit `connector.run_failed`.")
                .path_param::<ConnectorId>("id")
                .body::<ConnectorRunIn>()
                .answer::<ConnectorRunReport>(201, "the run stored, and the connector")
                .ok::<ConnectorRunReport>("the run reported before with this operation and start, and the connector")
                .errors(&[(403, "a person cannot report runs (api_key_only)")]);
        Patch "/v1/connectors/{id}/operations/{operation}" => connectors::update_connector_operation, ADMIN,
            |d| d.summary("Switch an operation on or off, change its interval, or run it once now or in some minutes")
                .path_param::<ConnectorId>("id").path_param::<Operation>("operation")
                .body::<ConnectorOperationPatch>()
                .ok::<ConnectorOut>("the connector as it is now");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        shared::edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
