//! `/v1/projects`: the projects a supplier plans for a customer, and the customer's people
//! assigned to them as contacts (optionally limited to territories).

use shared::appointment::{self, ProjectStatus};
use shared::data::appointments::{
    self as data, Assignment, NewProject, ProjectChange, ProjectFilter, ProjectRow,
};
use shared::data::relationships;
use shared::ids::{ProjectId, TerritoryId, UserId};
use shared::relationship::{PartyRole, Service};
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{
    supplier_only, Caller, ProjectContactIn, ProjectContactList, ProjectContactOut, ProjectIn,
    ProjectList, ProjectOut, ProjectPatch, ProjectQuery,
};
use crate::caller;

/// Longest project description.
const MAX_DESCRIPTION: usize = 2000;

/// The project named by the path as the caller's side sees it: 404 when it does not see it,
/// 403 on the supplier's side without `appointments.manage`.
async fn load(cx: &Cx, me: &Caller) -> Result<ProjectRow> {
    let id = ProjectId::parse(cx.param("id"))?;
    let row = data::project(&cx.db, &me.viewer(), &id)
        .await?
        .ok_or(Error::not_found("project"))?;
    me.may_see(&row.supplier_id)?;
    Ok(row)
}

/// `POST /v1/projects`.
pub async fn create_project(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: ProjectIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 200)?;
    let description =
        validate::optional_text("description", input.description.as_deref(), MAX_DESCRIPTION)?;
    let starts_on = appointment::date("starts_on", input.starts_on.as_deref())?;
    let ends_on = appointment::date("ends_on", input.ends_on.as_deref())?;
    appointment::check_dates(starts_on.as_deref(), ends_on.as_deref())?;
    let (customer, link) =
        relationships::partner_link(&cx.db, &me.me.company_id, "customer", &input.customer).await?;
    let link = relationships::require_link(link, Service::Appointments)?;
    if link.supplier_id != me.me.company_id {
        return Err(supplier_only());
    }
    let id = ProjectId::new(cx.now)?;
    let row = data::insert_project(
        &cx.db,
        &NewProject {
            id: &id,
            supplier_id: &me.me.company_id,
            customer_id: &customer.id,
            relationship_id: &link.id,
            name: &name,
            description: description.as_deref(),
            starts_on: starts_on.as_deref(),
            ends_on: ends_on.as_deref(),
            status: input.status.unwrap_or(ProjectStatus::Planned),
            now: Time(cx.now),
        },
    )
    .await
    .map_err(crate::name_taken("project"))?;
    Ok(Reply::json(201, &ProjectOut::of(row, &me.me.company_id))?
        .with_header("location", format!("/v1/projects/{id}")))
}

/// `GET /v1/projects?customer=&status=`.
pub async fn list_projects(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let q: ProjectQuery = cx.query_as()?;
    let status = q
        .status
        .as_deref()
        .map(|s| ProjectStatus::parse("status", s.trim()))
        .transpose()?;
    let customer = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let page = Page::from_request(cx)?;
    let rows = data::projects(
        &cx.db,
        &me.viewer(),
        &ProjectFilter { customer, status },
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &ProjectList {
            data: rows
                .into_iter()
                .map(|r| ProjectOut::of(r, &me.me.company_id))
                .collect(),
            next_cursor,
        },
    )
}

/// `GET /v1/projects/{id}`.
pub async fn get_project(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let row = load(cx, &me).await?;
    Reply::json(200, &ProjectOut::of(row, &me.me.company_id))
}

/// `PATCH /v1/projects/{id}`.
pub async fn update_project(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = ProjectId::parse(cx.param("id"))?;
    let patch: ProjectPatch = cx.body().await?;
    let name = patch
        .name
        .as_deref()
        .map(|n| validate::text("name", n, 1, 200))
        .transpose()?;
    let description = patch
        .description
        .map(|d| validate::optional_text("description", d.as_deref(), MAX_DESCRIPTION))
        .transpose()?;
    let starts_on = patch
        .starts_on
        .map(|d| appointment::date("starts_on", d.as_deref()))
        .transpose()?;
    let ends_on = patch
        .ends_on
        .map(|d| appointment::date("ends_on", d.as_deref()))
        .transpose()?;
    if let (Some(s), Some(e)) = (&starts_on, &ends_on) {
        appointment::check_dates(s.as_deref(), e.as_deref())?;
    }
    let changed = data::update_project(
        &cx.db,
        &me.viewer(),
        &id,
        &ProjectChange {
            name,
            description,
            starts_on,
            ends_on,
            status: patch.status,
        },
        Time(cx.now),
    )
    .await
    .map_err(crate::name_taken("project"))?;
    let row = changed.row.ok_or(Error::not_found("project"))?;
    me.may_change(&row.supplier_id)?;
    if !changed.changed {
        return Err(Error::invalid(
            "ends_on",
            "the project would end before it starts (starts_on)",
        ));
    }
    Reply::json(200, &ProjectOut::of(row, &me.me.company_id))
}

/// `POST /v1/projects/{id}/contacts`: 201 for a person assigned now, 200 for one assigned
/// before (the territories sent replace theirs).
pub async fn assign_project_contact(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = ProjectId::parse(cx.param("id"))?;
    let input: ProjectContactIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    if input.territory_ids.len() > 50 {
        return Err(Error::invalid(
            "territory_ids",
            "name at most 50 territories",
        ));
    }
    let mut territories: Vec<TerritoryId> = Vec::with_capacity(input.territory_ids.len());
    for (i, t) in input.territory_ids.iter().enumerate() {
        let t = TerritoryId::parse_field(&format!("territory_ids[{i}]"), t.trim())?;
        if !territories.contains(&t) {
            territories.push(t);
        }
    }
    let (project, known) =
        data::project_with_territories(&cx.db, &me.viewer(), &id, &territories).await?;
    let project = project.ok_or(Error::not_found("project"))?;
    me.may_change(&project.supplier_id)?;
    relationships::require_stored_service(
        project.relationship_status,
        &project.relationship_services.0,
        Service::Appointments,
    )?;
    if let Some(i) = input
        .territory_ids
        .iter()
        .position(|t| TerritoryId::parse_field("", t.trim()).is_ok_and(|t| !known.contains(&t)))
    {
        return Err(Error::invalid(
            format!("territory_ids[{i}]"),
            "no territory of this project's customer has this id",
        ));
    }
    let assigned = data::assign(
        &cx.db,
        &Assignment {
            project_id: &id,
            customer_id: &project.customer_id,
            email: &email,
            territory_ids: &territories,
            now: Time(cx.now),
        },
    )
    .await?;
    let contact = assigned.contact.ok_or_else(|| {
        Error::invalid(
            "email",
            "no active person of the project's customer has this e-mail address",
        )
    })?;
    Reply::json(
        if assigned.created { 201 } else { 200 },
        &ProjectContactOut::of(contact),
    )
}

/// `GET /v1/projects/{id}/contacts`: the supplier, and the customer's managers (whose own
/// people they are).
pub async fn list_project_contacts(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = ProjectId::parse(cx.param("id"))?;
    let (project, contacts) = data::contacts(&cx.db, &me.viewer(), &id).await?;
    let project = project.ok_or(Error::not_found("project"))?;
    // The route asks for appointments.manage: the supplier's planners and the customer's
    // managers both see the list.
    me.may_see(&project.supplier_id)?;
    Reply::json(
        200,
        &ProjectContactList {
            data: contacts.into_iter().map(ProjectContactOut::of).collect(),
        },
    )
}

/// `DELETE /v1/projects/{id}/contacts/{user_id}`: 204 whether or not the person was a contact.
pub async fn remove_project_contact(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let project = load(cx, &me).await?;
    if me.side(&project.supplier_id) == PartyRole::Customer {
        return Err(supplier_only());
    }
    let user = UserId::parse(cx.param("user_id"))?;
    data::unassign(&cx.db, &me.me.company_id, &project.id, &user).await?;
    Ok(Reply::no_content())
}
