//! The projects worker: projects a supplier (an agency, say) plans for a customer, the people
//! of the customer assigned to them (optionally limited to territories), the customer's
//! territories (nested) and locations, and the supplier's field staff. The appointments in them
//! are the appointments worker's.
//!
//! Who sees what is decided in the data layer (`shared::data::appointments::Viewer`): the
//! supplier with `appointments.manage`; the customer's managers everything made for their
//! company; its other people the projects they are assigned to, limited to their territories.
//! Staff contact data never reaches the customer's side.
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource.

pub mod api;
mod places;
mod projects;

use shared::permissions::Permission::AppointmentsManage;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        LocationIn, LocationList, LocationOut, LocationPatch, LocationQuery, ProjectContactIn,
        ProjectContactList, ProjectContactOut, ProjectIn, ProjectList, ProjectOut, ProjectPatch,
        ProjectQuery, StaffIn, StaffList, StaffOut, TerritoryIn, TerritoryList, TerritoryOut,
        TerritoryQuery,
    },
    shared::ids::{LocationId, ProjectId, UserId},
};

/// The supplier's planning (and, on the customer's side, seeing every project).
const MANAGE: Access = Access::Permission(AppointmentsManage);
/// Either side, checked once the row is found: the supplier needs `appointments.manage`, the
/// customer's people see what they are assigned to.
const EITHER: Access = Access::OnResource(&[AppointmentsManage]);

/// The projects worker's endpoints.
pub static SERVICE: Service = Service {
    name: "projects",
    binding: "PROJECTS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/projects" => projects::create_project, MANAGE,
            |d| d.summary("Plan a project for a customer")
                .body::<ProjectIn>()
                .created::<ProjectOut>("the project")
                .errors(&[(403, "the caller is the relationship's customer, or the relationship is blocked"), (409, "the relationship is not active or appointments are not enabled, or the customer has a project of this name (`name_taken`)")]);
        Get "/v1/projects" => projects::list_projects, Access::Caller,
            |d| d.summary("List the projects the caller sees, newest first")
                .query::<ProjectQuery>().query::<shared::service::page::Paging>()
                .ok::<ProjectList>("a page of projects");
        Get "/v1/projects/{id}" => projects::get_project, EITHER,
            |d| d.summary("Read a project").path_param::<ProjectId>("id")
                .ok::<ProjectOut>("the project");
        Patch "/v1/projects/{id}" => projects::update_project, MANAGE,
            |d| d.summary("Change a project (its supplier)").path_param::<ProjectId>("id")
                .body::<ProjectPatch>()
                .ok::<ProjectOut>("the project")
                .errors(&[(403, "the caller is the project's customer"), (409, "the customer has a project of this name (`name_taken`)")]);
        Post "/v1/projects/{id}/contacts" => projects::assign_project_contact, MANAGE,
            |d| d.summary("Assign a person of the customer to a project, optionally limited to territories")
                .path_param::<ProjectId>("id")
                .body::<ProjectContactIn>()
                .answer::<ProjectContactOut>(201, "the person, assigned now")
                .answer::<ProjectContactOut>(200, "the person, assigned before (their territories are the ones sent now)")
                .errors(&[(403, "the caller is the project's customer, or the relationship is blocked"), (409, "the relationship is not active or appointments are not enabled")]);
        Get "/v1/projects/{id}/contacts" => projects::list_project_contacts, MANAGE,
            |d| d.summary("List a project's contacts (the supplier, and the customer's managers)")
                .path_param::<ProjectId>("id")
                .ok::<ProjectContactList>("the contacts by name");
        Delete "/v1/projects/{id}/contacts/{user_id}" => projects::remove_project_contact, MANAGE,
            |d| d.summary("Take a person off a project").path_param::<ProjectId>("id")
                .path_param::<UserId>("user_id")
                .empty(204, "the person is not (or no longer) a contact of the project")
                .errors(&[(403, "the caller is the project's customer")]);
        Post "/v1/territories" => places::create_territory, MANAGE,
            |d| d.summary("Add a territory of a customer's locations, optionally inside another")
                .body::<TerritoryIn>()
                .created::<TerritoryOut>("the territory")
                .errors(&[(403, "the caller is the relationship's customer, or the relationship is blocked"), (409, "the relationship is not active or appointments are not enabled, or the customer has a territory of this name (`name_taken`)")]);
        Get "/v1/territories" => places::list_territories, Access::Caller,
            |d| d.summary("List the territories the caller sees, newest first")
                .query::<TerritoryQuery>().query::<shared::service::page::Paging>()
                .ok::<TerritoryList>("a page of territories");
        Post "/v1/locations" => places::create_location, MANAGE,
            |d| d.summary("Add a location of a customer")
                .body::<LocationIn>()
                .created::<LocationOut>("the location")
                .errors(&[(403, "the caller is the relationship's customer, or the relationship is blocked"), (409, "the relationship is not active or appointments are not enabled, or the customer has a location of this name (`name_taken`)")]);
        Get "/v1/locations" => places::list_locations, Access::Caller,
            |d| d.summary("List the locations the caller sees, newest first")
                .query::<LocationQuery>().query::<shared::service::page::Paging>()
                .ok::<LocationList>("a page of locations");
        Get "/v1/locations/{id}" => places::get_location, EITHER,
            |d| d.summary("Read a location").path_param::<LocationId>("id")
                .ok::<LocationOut>("the location");
        Patch "/v1/locations/{id}" => places::update_location, MANAGE,
            |d| d.summary("Change a location (its supplier)").path_param::<LocationId>("id")
                .body::<LocationPatch>()
                .ok::<LocationOut>("the location")
                .errors(&[(403, "the caller is the location's customer"), (409, "the customer has a location of this name (`name_taken`)")]);
        Post "/v1/staff" => places::create_staff, MANAGE,
            |d| d.summary("Add a member of the supplier's field staff")
                .body::<StaffIn>()
                .created::<StaffOut>("the staff member, with the contact data only the supplier sees")
                .errors(&[(409, "a staff member of this name exists (`name_taken`)")]);
        Get "/v1/staff" => places::list_staff, MANAGE,
            |d| d.summary("List the supplier's staff, newest first")
                .query::<shared::service::page::Paging>()
                .ok::<StaffList>("a page of staff");
    ],
};

/// A create or change that hit a name the customer (or, for staff, the supplier) has already
/// (409 `name_taken`); any other error as it is.
fn name_taken(what: &'static str) -> impl Fn(shared::Error) -> shared::Error {
    use shared::data::appointments as data;
    move |e| {
        let names = [
            data::PROJECT_NAME_TAKEN,
            data::TERRITORY_NAME_TAKEN,
            data::LOCATION_NAME_TAKEN,
            data::STAFF_NAME_TAKEN,
        ];
        if e.unique_violation().is_some_and(|c| names.contains(&c)) {
            shared::Error::conflict(
                "name_taken",
                format!("there is a {what} of this name already"),
            )
        } else {
            e
        }
    }
}

/// The caller of a request, as both resources' handlers see it.
fn caller(cx: &shared::service::Cx) -> shared::Result<api::Caller> {
    Ok(api::Caller::of(cx.me()?))
}

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        shared::edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
