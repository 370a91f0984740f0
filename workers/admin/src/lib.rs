//! The admin worker: the company's profile (legal name, VAT id, addresses, branches, party
//! identifiers, logo, directory listing; what another company shows of itself, with its
//! verified domain and the viewer's partners whose names resemble it), and the audit log of
//! administrative actions (who granted or revoked which permission, made or
//! revoked which API key, invited, disabled or deleted whom, changed which webhook endpoint).
//! The actions themselves happen where their resources live (accounts, notify), each writing
//! its entry in the same batch (`shared::data::audit`); this worker only reads them. It sits
//! apart because the accounts worker has no room left in its bundle budget.
//!
//! [`SERVICE`] is its route table.

mod accesses;
pub mod api;
mod audit;
pub mod company;
mod domain;
pub mod openings;

use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        AccessList, AccessOut, AuditList, AuditQuery, CompanyIn, DomainIn, OpeningIn, OpeningList,
        ProfileIn, ProfileOut,
    },
    shared::data::mails::OpeningRow,
    shared::ids::CompanyId,
};

/// The admin worker's endpoints.
pub static SERVICE: Service = Service {
    name: "admin",
    binding: "ADMIN",
    // Like the registry: a person logged out or disabled reads nothing more.
    sessions: Sessions::Checked,
    routes: shared::routes![
        Get "/v1/company" => company::get_own, Access::Caller,
            |d| d.summary("The caller's company profile: legal name, VAT id, addresses, branches, party identifiers, logo, directory listing, verified domain")
                .ok::<ProfileOut>("the profile");
        Patch "/v1/company" => company::update_own, Access::Caller,
            |d| d.summary("Change the company profile (admins): the fields given replace what was there; null clears")
                .body::<ProfileIn>().ok::<ProfileOut>("the profile as stored")
                .errors(&[(403, "not an admin (`admin_required`)"), (422, "a field that does not fit, named (`branches[1].country`, `identifiers[0].id`, `vat_id`)")]);
        Put "/v1/company/logo" => company::put_logo, Access::Caller,
            |d| d.summary("Replace the company's logo (admins): the raw image, PNG, JPEG or WebP, at most 256 KiB")
                .file_body("the image").ok::<ProfileOut>("the profile with its logo")
                .errors(&[(403, "not an admin"), (411, "no Content-Length"), (413, "over 256 KiB"), (415, "not PNG, JPEG or WebP")]);
        Delete "/v1/company/logo" => company::delete_logo, Access::Caller,
            |d| d.summary("Remove the company's logo (admins)").empty(204, "removed")
                .errors(&[(403, "not an admin")]);
        Put "/v1/company/domain" => domain::claim_domain, Access::Caller,
            |d| d.summary("Claim an e-mail domain (admins); the profile's `domain_challenge` names the TXT record that proves it")
                .body::<DomainIn>().ok::<ProfileOut>("the profile with the claim")
                .errors(&[(403, "not an admin"), (422, "not a domain name, or a free-mail provider's (`domain`)")]);
        Post "/v1/company/domain/verify" => domain::verify_domain, Access::Caller,
            |d| d.summary("Look the claimed domain's TXT record up (DNS over HTTPS); once found, the domain is the company's verified domain (`domain_proof`: `dns`)")
                .ok::<ProfileOut>("the profile with the verified domain")
                .errors(&[(403, "not an admin"), (409, "no claim (`no_domain_claim`), or the record is not there yet (`domain_not_proven`, naming it)")]);
        Get "/v1/company/mail-openings" => openings::list_openings, Access::Caller,
            |d| d.summary("The company's own openings of the mails its actions cause (admins), with the templates that take one and the placeholders")
                .ok::<OpeningList>("the openings")
                .errors(&[(403, "not an admin (`admin_required`)")]);
        Put "/v1/company/mail-openings/{template}/{language}" => openings::put_opening, Access::Caller,
            |d| d.summary("Set the company's opening of one mail in one language (admins): it replaces the greeting; `{company}` and `{email}` are filled in when the mail is sent")
                .path_param::<String>("template").path_param::<String>("language")
                .body::<OpeningIn>().ok::<OpeningRow>("the opening as stored")
                .errors(&[(403, "not an admin"), (422, "an unknown template or language, or a text that does not fit (`text`: too long, a link, an unknown placeholder)")]);
        Delete "/v1/company/mail-openings/{template}/{language}" => openings::delete_opening, Access::Caller,
            |d| d.summary("Go back to Tradepost's greeting for one mail in one language (admins)")
                .path_param::<String>("template").path_param::<String>("language")
                .empty(204, "removed (also when there was none)")
                .errors(&[(403, "not an admin"), (422, "an unknown template or language")]);
        Get "/v1/profiles/{id}" => company::get_profile, Access::Caller,
            |d| d.summary("What a company shows of itself: handle, legal name, VAT id with its format checked, verified domain, identifiers; addresses and logo only to its partners; and the caller's partners whose names resemble it")
                .path_param::<CompanyId>("id").ok::<ProfileOut>("the profile");
        Get "/v1/profiles/{id}/logo" => company::get_logo, Access::Caller,
            |d| d.summary("A company's logo (the company itself and its partners), sandboxed like every stored file")
                .path_param::<CompanyId>("id").file("the image")
                .errors(&[(404, "no logo, or not a partner")]);
        Get "/v1/me/companies" => accesses::list_my_companies, Access::Person,
            |d| d.summary("The companies the caller works for (one login, an access per company, each with its own role and permissions); switch with `POST /v1/auth/switch`")
                .ok::<AccessList>("the caller's active accesses, by company name");
        Post "/v1/me/companies" => accesses::add_my_company, Access::Person,
            |d| d.summary("Register a further company under the caller's login; the caller becomes its admin")
                .body::<CompanyIn>().answer::<AccessOut>(201, "the new company and the caller's access there")
                .errors(&[(409, "the handle is taken (`handle_taken`)"), (422, "a field that does not fit, named")]);
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
