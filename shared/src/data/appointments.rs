//! `projects`, `territories`, `locations`, `staff`, `project_contacts`, `appointments`,
//! `appointment_staff`, `appointment_history`, `calendar_feeds`: what a supplier plans for a
//! customer, and who of the customer sees what of it.
//!
//! Every loader takes a [`Viewer`]: the supplier's side sees its rows only with
//! `appointments.manage` (lists leave them out without it; a single row is found, and the
//! worker answers 403); the customer's side sees them while the relationship is active — all of
//! them with `appointments.manage` (admins hold it), otherwise only the projects the person is
//! assigned to as a contact, and when that assignment lists territories only the locations inside
//! them (however deep) and the appointments there. Anyone else finds nothing. Every write is one
//! batch that ends with reading its row back.

use serde::Deserialize;

use super::{events, Db, Statement};
use crate::appointment::{Action, AppointmentStatus, ProjectStatus};
use crate::data::companies::CompanyOut;
use crate::event::Event;
use crate::ids::{
    AppointmentId, CalendarFeedId, CompanyId, LocationId, ProjectId, RelationshipId, StaffId,
    TerritoryId, UserId,
};
use crate::permissions::{self, Role};
use crate::platform::{Bind, Json, Outcome, Query, Value};
use crate::relationship::{PartyRole, RelationshipStatus, Services};
use crate::time::Time;
use crate::{Error, Result};

macro_rules! bind_ids {
    ($($t:ty),*) => {$(
        impl Bind for $t {
            fn value(&self) -> Value {
                Value::Text(self.as_str().to_owned())
            }
        }
    )*};
}
bind_ids!(
    ProjectId,
    TerritoryId,
    LocationId,
    StaffId,
    AppointmentId,
    CalendarFeedId
);

impl Bind for ProjectStatus {
    fn value(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

impl Bind for AppointmentStatus {
    fn value(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

impl Bind for PartyRole {
    fn value(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

/// The UNIQUE constraint on a project's name per supplier and customer.
pub const PROJECT_NAME_TAKEN: &str = "projects.supplier_id, projects.customer_id, projects.name";
/// The UNIQUE constraint on a territory's name per supplier and customer.
pub const TERRITORY_NAME_TAKEN: &str =
    "territories.supplier_id, territories.customer_id, territories.name";
/// The UNIQUE constraint on a location's name per supplier and customer.
pub const LOCATION_NAME_TAKEN: &str =
    "locations.supplier_id, locations.customer_id, locations.name";
/// The UNIQUE constraint on a staff member's name per supplier.
pub const STAFF_NAME_TAKEN: &str = "staff.supplier_id, staff.name";
/// The UNIQUE constraint on an appointment's Idempotency-Key per creating company.
pub const APPOINTMENT_KEY_TAKEN: &str =
    "appointments.created_by_company_id, appointments.idempotency_key";

/// Who looks: the caller's company, whether the caller holds `appointments.manage` (admins do),
/// and the person (`None` for an API key, which is never a contact).
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub company: &'a CompanyId,
    pub manage: bool,
    pub user: Option<&'a UserId>,
}

impl Viewer<'_> {
    /// A query whose `?1`, `?2`, `?3` are the viewer (company, manage, person).
    fn query(&self, sql: impl Into<String>) -> Query {
        Query::new(sql, &[self.company, &self.manage, &self.user])
    }

    fn statement(&self, sql: impl Into<String>, more: &[&dyn Bind]) -> Statement {
        let mut params: Vec<&dyn Bind> = vec![self.company, &self.manage, &self.user];
        params.extend_from_slice(more);
        Statement::new(sql, &params)
    }
}

/// Which of the supplier's rows a viewer finds: every one of its company (a single row, the
/// worker answers 403 without the permission), or only with the permission (lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Find {
    One,
    List,
}

fn supplier_side(alias: &str, find: Find) -> String {
    match find {
        Find::One => format!("{alias}.supplier_id = ?1"),
        Find::List => format!("({alias}.supplier_id = ?1 AND ?2 = 1)"),
    }
}

/// Whether the contact assignment `pc` lets its person see something whose territory path is
/// `path` (a SQL expression, NULL outside every territory): it lists no territory, or one that
/// the path passes through.
fn covers(path: &str) -> String {
    format!(
        "(json_array_length(pc.territory_ids) = 0 OR EXISTS (SELECT 1 FROM \
         json_each(pc.territory_ids) j WHERE instr({path}, '/' || j.value || '/') > 0))"
    )
}

/// The territory path of location `l`.
const LOCATION_PATH: &str = "(SELECT lt.path FROM territories lt WHERE lt.id = l.territory_id)";

/// The customer's side sees a row of alias `alias` while the relationship `r` is active: with
/// the permission, or when `contact` (an EXISTS over `project_contacts pc`) holds.
fn customer_side(alias: &str, contact: &str) -> String {
    format!("({alias}.customer_id = ?1 AND r.status = 'active' AND (?2 = 1 OR EXISTS ({contact})))")
}

fn project_seen(find: Find) -> String {
    format!(
        "({} OR {})",
        supplier_side("p", find),
        customer_side(
            "p",
            "SELECT 1 FROM project_contacts pc WHERE pc.project_id = p.id AND pc.user_id = ?3"
        )
    )
}

/// A contact of any project of the row's relationship whose assignment covers `path`.
fn pair_contact(alias: &str, path: &str) -> String {
    format!(
        "SELECT 1 FROM project_contacts pc JOIN projects pp ON pp.id = pc.project_id \
         WHERE pc.user_id = ?3 AND pp.relationship_id = {alias}.relationship_id AND {}",
        covers(path)
    )
}

fn territory_seen(find: Find) -> String {
    format!(
        "({} OR {})",
        supplier_side("t", find),
        customer_side("t", &pair_contact("t", "t.path"))
    )
}

fn location_seen(find: Find) -> String {
    format!(
        "({} OR {})",
        supplier_side("l", find),
        customer_side("l", &pair_contact("l", LOCATION_PATH))
    )
}

fn appointment_seen(find: Find) -> String {
    format!(
        "({} OR {})",
        supplier_side("a", find),
        customer_side(
            "a",
            &format!(
                "SELECT 1 FROM project_contacts pc WHERE pc.project_id = a.project_id \
                 AND pc.user_id = ?3 AND {}",
                covers(LOCATION_PATH)
            )
        )
    )
}

use super::first_of;

fn rows_of<T: serde::de::DeserializeOwned>(outcome: Option<&Outcome>) -> Result<Vec<T>> {
    super::rows_of(outcome, "appointments")
}

fn company_json(alias: &str) -> String {
    format!(
        "json_object('id', {alias}.id, 'name', {alias}.name, 'handle', {alias}.handle, \
         'created_at', {alias}.created_at)"
    )
}

// ---- projects -------------------------------------------------------------------------------

/// A project with both companies and the relationship's state.
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub relationship_id: RelationshipId,
    pub name: String,
    pub description: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub status: ProjectStatus,
    pub created_at: Time,
    pub updated_at: Time,
    pub supplier: Json<CompanyOut>,
    pub customer: Json<CompanyOut>,
    pub relationship_status: RelationshipStatus,
    pub relationship_services: Json<Services>,
}

fn project_select() -> String {
    format!(
        "SELECT p.id, p.supplier_id, p.customer_id, p.relationship_id, p.name, p.description, \
         p.starts_on, p.ends_on, p.status, p.created_at, p.updated_at, {} AS supplier, \
         {} AS customer, r.status AS relationship_status, r.services AS relationship_services \
         FROM projects p JOIN relationships r ON r.id = p.relationship_id \
         JOIN companies cs ON cs.id = p.supplier_id JOIN companies cc ON cc.id = p.customer_id",
        company_json("cs"),
        company_json("cc")
    )
}

fn project_stmt(viewer: &Viewer<'_>, id: &ProjectId) -> Statement {
    viewer.statement(
        format!(
            "{} WHERE p.id = ?4 AND {}",
            project_select(),
            project_seen(Find::One)
        ),
        &[id],
    )
}

/// A project the viewer finds (its supplier's company whatever it holds; see [`Viewer`]).
///
/// # Errors
/// A database error.
pub async fn project(db: &Db, viewer: &Viewer<'_>, id: &ProjectId) -> Result<Option<ProjectRow>> {
    db.first_of(project_stmt(viewer, id)).await
}

/// What a project list shows.
#[derive(Debug, Default)]
pub struct ProjectFilter<'a> {
    /// The customer by id or handle.
    pub customer: Option<&'a str>,
    pub status: Option<ProjectStatus>,
}

/// The viewer's projects, newest first, a page before `before`.
///
/// # Errors
/// A database error.
pub async fn projects(
    db: &Db,
    viewer: &Viewer<'_>,
    filter: &ProjectFilter<'_>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<ProjectRow>> {
    let mut q = viewer.query(format!(
        "{} WHERE {}",
        project_select(),
        project_seen(Find::List)
    ));
    if let Some(customer) = filter.customer {
        q.filter(" AND (cc.id = ?n OR cc.handle = ?n)", &customer);
    }
    if let Some(status) = filter.status {
        q.filter(" AND p.status = ?n", &status);
    }
    if let Some(before) = before {
        q.filter(" AND p.id < ?n", &before);
    }
    q.filter(" ORDER BY p.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// A new project.
pub struct NewProject<'a> {
    pub id: &'a ProjectId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub relationship_id: &'a RelationshipId,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub starts_on: Option<&'a str>,
    pub ends_on: Option<&'a str>,
    pub status: ProjectStatus,
    pub now: Time,
}

/// Stores a project and reads it back as its supplier sees it (one batch).
///
/// # Errors
/// A database error; [`PROJECT_NAME_TAKEN`] for a name the pair has.
pub async fn insert_project(db: &Db, p: &NewProject<'_>) -> Result<ProjectRow> {
    let viewer = Viewer {
        company: p.supplier_id,
        manage: true,
        user: None,
    };
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "INSERT INTO projects (id, supplier_id, customer_id, relationship_id, name, \
                 description, starts_on, ends_on, status, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                &[
                    p.id,
                    p.supplier_id,
                    p.customer_id,
                    p.relationship_id,
                    &p.name,
                    &p.description,
                    &p.starts_on,
                    &p.ends_on,
                    &p.status,
                    &p.now,
                ],
            ),
            project_stmt(&viewer, p.id),
        ])
        .await?;
    first_of(outcomes.get(1))?.ok_or_else(|| Error::internal("the new project was not read back"))
}

/// A change of a project (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Default)]
pub struct ProjectChange {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub starts_on: Option<Option<String>>,
    pub ends_on: Option<Option<String>>,
    pub status: Option<ProjectStatus>,
}

/// What a guarded change found.
pub struct Changed<T> {
    /// The row as it is now; `None`: the viewer finds no such row.
    pub row: Option<T>,
    /// Whether the change was made (else its guard refused it).
    pub changed: bool,
}

/// Changes a project of the viewer's company as its supplier and reads it back as the viewer
/// sees it (one batch). The change is not made when it would leave the project ending before it
/// starts, nor when the viewer is not its supplier.
///
/// # Errors
/// A database error; [`PROJECT_NAME_TAKEN`].
pub async fn update_project(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &ProjectId,
    c: &ProjectChange,
    now: Time,
) -> Result<Changed<ProjectRow>> {
    let supplier = viewer.company;
    let (set_description, description) = split(&c.description);
    let (set_starts, starts_on) = split(&c.starts_on);
    let (set_ends, ends_on) = split(&c.ends_on);
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "UPDATE projects SET name = COALESCE(?3, name), \
                 description = CASE WHEN ?4 THEN ?5 ELSE description END, \
                 starts_on = CASE WHEN ?6 THEN ?7 ELSE starts_on END, \
                 ends_on = CASE WHEN ?8 THEN ?9 ELSE ends_on END, \
                 status = COALESCE(?10, status), updated_at = ?11 \
                 WHERE id = ?1 AND supplier_id = ?2 AND NOT COALESCE( \
                 (CASE WHEN ?8 THEN ?9 ELSE ends_on END) < \
                 (CASE WHEN ?6 THEN ?7 ELSE starts_on END), 0)",
                &[
                    id,
                    supplier,
                    &c.name,
                    &set_description,
                    &description,
                    &set_starts,
                    &starts_on,
                    &set_ends,
                    &ends_on,
                    &c.status,
                    &now,
                ],
            ),
            project_stmt(viewer, id),
        ])
        .await?;
    Ok(Changed {
        changed: outcomes.first().is_some_and(|o| o.changes > 0),
        row: first_of(outcomes.get(1))?,
    })
}

fn split(v: &Option<Option<String>>) -> (bool, Option<String>) {
    match v {
        None => (false, None),
        Some(inner) => (true, inner.clone()),
    }
}

// ---- contacts -------------------------------------------------------------------------------

/// A territory as a contact's assignment names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TerritoryRef {
    pub id: TerritoryId,
    pub name: String,
}

/// A person of the customer assigned to a project.
#[derive(Debug, Clone, Deserialize)]
pub struct ContactRow {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub territories: Json<Vec<TerritoryRef>>,
    pub created_at: Time,
    pub updated_at: Time,
}

const CONTACT_SELECT: &str = "SELECT pc.user_id, u.name, u.email, \
     (SELECT json_group_array(json_object('id', t.id, 'name', t.name)) FROM json_each(pc.territory_ids) j \
     JOIN territories t ON t.id = j.value) AS territories, pc.created_at, pc.updated_at \
     FROM project_contacts pc JOIN users u ON u.id = pc.user_id";

/// A project the viewer finds with its contacts (one batch; the worker decides who sees them).
///
/// # Errors
/// A database error.
pub async fn contacts(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &ProjectId,
) -> Result<(Option<ProjectRow>, Vec<ContactRow>)> {
    let outcomes = db
        .batch_rows(vec![
            project_stmt(viewer, id),
            Statement::new(
                format!("{CONTACT_SELECT} WHERE pc.project_id = ?1 ORDER BY u.name, u.id"),
                &[id],
            ),
        ])
        .await?;
    let project: Option<ProjectRow> = first_of(outcomes.first())?;
    let contacts = if project.is_some() {
        rows_of(outcomes.get(1))?
    } else {
        Vec::new()
    };
    Ok((project, contacts))
}

/// A project the viewer finds, and which of `territories` belong to its supplier and customer
/// (one batch): the checks before assigning a contact.
///
/// # Errors
/// A database error.
pub async fn project_with_territories(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &ProjectId,
    territories: &[TerritoryId],
) -> Result<(Option<ProjectRow>, Vec<TerritoryId>)> {
    #[derive(Deserialize)]
    struct Found {
        id: TerritoryId,
    }
    let ids = Json(territories.to_vec());
    let outcomes = db
        .batch_rows(vec![
            project_stmt(viewer, id),
            Statement::new(
                "SELECT t.id FROM territories t JOIN projects p ON p.id = ?1 \
                 WHERE t.supplier_id = p.supplier_id AND t.customer_id = p.customer_id \
                 AND t.id IN (SELECT value FROM json_each(?2))",
                &[id, &ids],
            ),
        ])
        .await?;
    let found: Vec<Found> = rows_of(outcomes.get(1))?;
    Ok((
        first_of(outcomes.first())?,
        found.into_iter().map(|f| f.id).collect(),
    ))
}

/// A contact to assign.
pub struct Assignment<'a> {
    pub project_id: &'a ProjectId,
    /// The project's customer: the person must be one of its active people.
    pub customer_id: &'a CompanyId,
    pub email: &'a str,
    pub territory_ids: &'a [TerritoryId],
    pub now: Time,
}

/// What an assignment did.
pub struct Assigned {
    /// The contact as it is now; `None`: the customer has no active person of that address.
    pub contact: Option<ContactRow>,
    /// Whether the person was not assigned before.
    pub created: bool,
}

/// Assigns a person of the customer to a project, or changes their territories (one batch).
///
/// # Errors
/// A database error.
pub async fn assign(db: &Db, a: &Assignment<'_>) -> Result<Assigned> {
    #[derive(Deserialize)]
    struct Before {
        known: bool,
    }
    let ids = Json(a.territory_ids.to_vec());
    let person = "SELECT u.id FROM users u WHERE u.email = ?2 AND u.company_id = ?3 \
                  AND u.status = 'active'";
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                format!(
                    "SELECT EXISTS (SELECT 1 FROM project_contacts WHERE project_id = ?1 \
                     AND user_id IN ({person})) AS known"
                ),
                &[a.project_id, &a.email, a.customer_id],
            ),
            Statement::new(
                format!(
                    "INSERT INTO project_contacts (project_id, user_id, territory_ids, \
                     created_at, updated_at) SELECT ?1, u.id, ?4, ?5, ?5 FROM ({person}) u \
                     WHERE 1 ON CONFLICT (project_id, user_id) DO UPDATE SET \
                     territory_ids = excluded.territory_ids, updated_at = excluded.updated_at"
                ),
                &[a.project_id, &a.email, a.customer_id, &ids, &a.now],
            ),
            Statement::new(
                format!("{CONTACT_SELECT} WHERE pc.project_id = ?1 AND pc.user_id IN ({person})"),
                &[a.project_id, &a.email, a.customer_id],
            ),
        ])
        .await?;
    let before: Option<Before> = first_of(outcomes.first())?;
    Ok(Assigned {
        created: !before.is_some_and(|b| b.known),
        contact: first_of(outcomes.get(2))?,
    })
}

/// Takes a person off one of the supplier's projects; whether they were on it.
///
/// # Errors
/// A database error.
pub async fn unassign(
    db: &Db,
    supplier: &CompanyId,
    project: &ProjectId,
    user: &UserId,
) -> Result<bool> {
    let changed = db
        .run(
            "DELETE FROM project_contacts WHERE project_id = ?1 AND user_id = ?2 \
             AND project_id IN (SELECT id FROM projects WHERE id = ?1 AND supplier_id = ?3)",
            &[project, user, supplier],
        )
        .await?;
    Ok(changed > 0)
}

// ---- territories ----------------------------------------------------------------------------

/// A territory.
#[derive(Debug, Clone, Deserialize)]
pub struct TerritoryRow {
    pub id: TerritoryId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub parent_id: Option<TerritoryId>,
    pub name: String,
    pub path: String,
    pub created_at: Time,
}

const TERRITORY_SELECT: &str = "SELECT t.id, t.supplier_id, t.customer_id, t.parent_id, t.name, \
     t.path, t.created_at FROM territories t JOIN relationships r ON r.id = t.relationship_id";

/// A new territory.
pub struct NewTerritory<'a> {
    pub id: &'a TerritoryId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub relationship_id: &'a RelationshipId,
    pub parent_id: Option<&'a TerritoryId>,
    pub name: &'a str,
    pub now: Time,
}

/// Stores a territory under its parent, which must be the same supplier's and customer's
/// (one batch); `None` when it is not.
///
/// # Errors
/// A database error; [`TERRITORY_NAME_TAKEN`].
pub async fn insert_territory(db: &Db, t: &NewTerritory<'_>) -> Result<Option<TerritoryRow>> {
    let parent = "SELECT path FROM territories WHERE id = ?5 AND supplier_id = ?2 \
                  AND customer_id = ?3";
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                format!(
                    "INSERT INTO territories (id, supplier_id, customer_id, relationship_id, \
                     parent_id, path, name, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, COALESCE(({parent}), '/') || ?1 || '/', ?6, ?7 \
                     WHERE ?5 IS NULL OR EXISTS ({parent})"
                ),
                &[
                    t.id,
                    t.supplier_id,
                    t.customer_id,
                    t.relationship_id,
                    &t.parent_id,
                    &t.name,
                    &t.now,
                ],
            ),
            Statement::new(format!("{TERRITORY_SELECT} WHERE t.id = ?1"), &[t.id]),
        ])
        .await?;
    first_of(outcomes.get(1))
}

/// The viewer's territories (optionally of one customer by id or handle), newest first.
///
/// # Errors
/// A database error.
pub async fn territories(
    db: &Db,
    viewer: &Viewer<'_>,
    customer: Option<&str>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<TerritoryRow>> {
    let mut q = viewer.query(format!(
        "{TERRITORY_SELECT} WHERE {}",
        territory_seen(Find::List)
    ));
    if let Some(customer) = customer {
        q.filter(
            " AND t.customer_id IN (SELECT id FROM companies WHERE id = ?n OR handle = ?n)",
            &customer,
        );
    }
    if let Some(before) = before {
        q.filter(" AND t.id < ?n", &before);
    }
    q.filter(" ORDER BY t.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

// ---- locations ------------------------------------------------------------------------------

/// A location.
#[derive(Debug, Clone, Deserialize)]
pub struct LocationRow {
    pub id: LocationId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub territory_id: Option<TerritoryId>,
    pub name: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: String,
    pub country: String,
    pub time_zone: String,
    pub created_at: Time,
    pub updated_at: Time,
}

const LOCATION_SELECT: &str = "SELECT l.id, l.supplier_id, l.customer_id, l.territory_id, \
     l.name, l.street, l.postal_code, l.city, l.country, l.time_zone, l.created_at, l.updated_at \
     FROM locations l JOIN relationships r ON r.id = l.relationship_id";

fn location_stmt(viewer: &Viewer<'_>, id: &LocationId) -> Statement {
    viewer.statement(
        format!(
            "{LOCATION_SELECT} WHERE l.id = ?4 AND {}",
            location_seen(Find::One)
        ),
        &[id],
    )
}

/// A location the viewer finds.
///
/// # Errors
/// A database error.
pub async fn location(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &LocationId,
) -> Result<Option<LocationRow>> {
    db.first_of(location_stmt(viewer, id)).await
}

/// What a location list shows.
#[derive(Debug, Default)]
pub struct LocationFilter<'a> {
    /// The customer by id or handle.
    pub customer: Option<&'a str>,
    /// Inside this territory, however deep.
    pub territory: Option<&'a TerritoryId>,
}

/// The viewer's locations, newest first.
///
/// # Errors
/// A database error.
pub async fn locations(
    db: &Db,
    viewer: &Viewer<'_>,
    filter: &LocationFilter<'_>,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<LocationRow>> {
    let mut q = viewer.query(format!(
        "{LOCATION_SELECT} WHERE {}",
        location_seen(Find::List)
    ));
    if let Some(customer) = filter.customer {
        q.filter(
            " AND l.customer_id IN (SELECT id FROM companies WHERE id = ?n OR handle = ?n)",
            &customer,
        );
    }
    if let Some(territory) = filter.territory {
        q.filter(
            &format!(" AND instr({LOCATION_PATH}, '/' || ?n || '/') > 0"),
            territory,
        );
    }
    if let Some(before) = before {
        q.filter(" AND l.id < ?n", &before);
    }
    q.filter(" ORDER BY l.id DESC LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// A new location.
pub struct NewLocation<'a> {
    pub id: &'a LocationId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub relationship_id: &'a RelationshipId,
    pub territory_id: Option<&'a TerritoryId>,
    pub name: &'a str,
    pub street: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub city: &'a str,
    pub country: &'a str,
    pub time_zone: &'a str,
    pub now: Time,
}

/// Stores a location in its territory, which must be the same supplier's and customer's (one
/// batch); `None` when it is not.
///
/// # Errors
/// A database error; [`LOCATION_NAME_TAKEN`].
pub async fn insert_location(db: &Db, l: &NewLocation<'_>) -> Result<Option<LocationRow>> {
    let viewer = Viewer {
        company: l.supplier_id,
        manage: true,
        user: None,
    };
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "INSERT INTO locations (id, supplier_id, customer_id, relationship_id, \
                 territory_id, name, street, postal_code, city, country, time_zone, created_at, \
                 updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12 \
                 WHERE ?5 IS NULL OR EXISTS (SELECT 1 FROM territories WHERE id = ?5 \
                 AND supplier_id = ?2 AND customer_id = ?3)",
                &[
                    l.id,
                    l.supplier_id,
                    l.customer_id,
                    l.relationship_id,
                    &l.territory_id,
                    &l.name,
                    &l.street,
                    &l.postal_code,
                    &l.city,
                    &l.country,
                    &l.time_zone,
                    &l.now,
                ],
            ),
            location_stmt(&viewer, l.id),
        ])
        .await?;
    first_of(outcomes.get(1))
}

/// A change of a location (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Default)]
pub struct LocationChange {
    pub name: Option<String>,
    pub street: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub time_zone: Option<String>,
    pub territory_id: Option<Option<TerritoryId>>,
}

/// Changes a location of the viewer's company as its supplier and reads it back as the viewer
/// sees it (one batch). The change is not made when the territory named is not the location's
/// supplier's and customer's, nor when the viewer is not its supplier.
///
/// # Errors
/// A database error; [`LOCATION_NAME_TAKEN`].
pub async fn update_location(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &LocationId,
    c: &LocationChange,
    now: Time,
) -> Result<Changed<LocationRow>> {
    let supplier = viewer.company;
    let (set_street, street) = split(&c.street);
    let (set_postal, postal_code) = split(&c.postal_code);
    let (set_territory, territory) = match &c.territory_id {
        None => (false, None),
        Some(t) => (true, t.clone()),
    };
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "UPDATE locations SET name = COALESCE(?3, name), \
                 street = CASE WHEN ?4 THEN ?5 ELSE street END, \
                 postal_code = CASE WHEN ?6 THEN ?7 ELSE postal_code END, \
                 city = COALESCE(?8, city), country = COALESCE(?9, country), \
                 time_zone = COALESCE(?10, time_zone), \
                 territory_id = CASE WHEN ?11 THEN ?12 ELSE territory_id END, updated_at = ?13 \
                 WHERE id = ?1 AND supplier_id = ?2 AND (NOT ?11 OR ?12 IS NULL OR EXISTS \
                 (SELECT 1 FROM territories t WHERE t.id = ?12 AND t.supplier_id = ?2 \
                 AND t.customer_id = locations.customer_id))",
                &[
                    id,
                    supplier,
                    &c.name,
                    &set_street,
                    &street,
                    &set_postal,
                    &postal_code,
                    &c.city,
                    &c.country,
                    &c.time_zone,
                    &set_territory,
                    &territory,
                    &now,
                ],
            ),
            location_stmt(viewer, id),
        ])
        .await?;
    Ok(Changed {
        changed: outcomes.first().is_some_and(|o| o.changes > 0),
        row: first_of(outcomes.get(1))?,
    })
}

// ---- staff ----------------------------------------------------------------------------------

/// A member of the supplier's staff, with their contact data (the supplier's eyes only).
#[derive(Debug, Clone, Deserialize)]
pub struct StaffRow {
    pub id: StaffId,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub user_id: Option<UserId>,
    pub created_at: Time,
}

const STAFF_COLUMNS: &str = "s.id, s.name, s.role, s.email, s.phone, s.user_id, s.created_at";

/// A new staff member.
pub struct NewStaff<'a> {
    pub id: &'a StaffId,
    pub supplier_id: &'a CompanyId,
    pub name: &'a str,
    pub role: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    /// A user of the supplier this person is.
    pub user_id: Option<&'a UserId>,
    pub now: Time,
}

/// Stores a staff member (one batch); `None` when `user_id` is not a user of the supplier.
///
/// # Errors
/// A database error; [`STAFF_NAME_TAKEN`].
pub async fn insert_staff(db: &Db, s: &NewStaff<'_>) -> Result<Option<StaffRow>> {
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "INSERT INTO staff (id, supplier_id, name, role, email, phone, user_id, \
                 created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ?7 IS NULL OR EXISTS \
                 (SELECT 1 FROM users WHERE id = ?7 AND company_id = ?2)",
                &[
                    s.id,
                    s.supplier_id,
                    &s.name,
                    &s.role,
                    &s.email,
                    &s.phone,
                    &s.user_id,
                    &s.now,
                ],
            ),
            Statement::new(
                format!(
                    "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.id = ?1 AND s.supplier_id = ?2"
                ),
                &[s.id, s.supplier_id],
            ),
        ])
        .await?;
    first_of(outcomes.get(1))
}

/// The supplier's staff by name.
///
/// # Errors
/// A database error.
pub async fn staff(
    db: &Db,
    supplier: &CompanyId,
    before: Option<&str>,
    fetch: u32,
) -> Result<Vec<StaffRow>> {
    db.all(
        &format!(
            "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.supplier_id = ?1 \
             AND (?2 IS NULL OR s.id < ?2) ORDER BY s.id DESC LIMIT ?3"
        ),
        &[supplier, &before, &fetch],
    )
    .await
}

// ---- appointments ---------------------------------------------------------------------------

/// An entry of an appointment's history.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRow {
    pub status: AppointmentStatus,
    pub at: Time,
    pub by_side: PartyRole,
    pub company_id: CompanyId,
    pub user_id: Option<UserId>,
    /// The person's name now.
    pub user_name: Option<String>,
    pub note: Option<String>,
    pub reason: Option<String>,
}

/// An appointment with its project, location, staff (with their contact data: the worker
/// shows it to the supplier only) and, when asked for, its history.
#[derive(Debug, Clone, Deserialize)]
pub struct AppointmentRow {
    pub id: AppointmentId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub location_id: LocationId,
    pub location_name: String,
    pub location_street: Option<String>,
    pub location_postal_code: Option<String>,
    pub location_city: String,
    pub location_country: String,
    pub time_zone: String,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: Time,
    pub ends_at: Time,
    pub status: AppointmentStatus,
    pub proposed_by_user_id: Option<UserId>,
    pub proposed_by_name: Option<String>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub revision: u64,
    pub request_hash: Option<String>,
    pub created_at: Time,
    pub updated_at: Time,
    pub relationship_status: RelationshipStatus,
    pub relationship_services: Json<Services>,
    pub staff: Json<Vec<StaffRow>>,
    pub history: Option<Json<Vec<HistoryRow>>>,
}

impl AppointmentRow {
    /// The ids of its staff, in order.
    #[must_use]
    pub fn staff_ids(&self) -> Vec<StaffId> {
        self.staff.0.iter().map(|s| s.id.clone()).collect()
    }
}

const STAFF_JSON: &str = "(SELECT json_group_array(json_object('id', s.id, 'name', s.name, \
     'role', s.role, 'email', s.email, 'phone', s.phone, 'user_id', s.user_id, \
     'created_at', s.created_at)) FROM (SELECT s.* FROM appointment_staff x \
     JOIN staff s ON s.id = x.staff_id WHERE x.appointment_id = a.id ORDER BY x.position) s)";

const HISTORY_JSON: &str = "(SELECT json_group_array(json_object('status', h.status, 'at', h.at, \
     'by_side', h.by_side, 'company_id', h.company_id, 'user_id', h.user_id, \
     'user_name', h.user_name, 'note', h.note, 'reason', h.reason)) FROM (SELECT h.*, \
     hu.name AS user_name FROM appointment_history h LEFT JOIN users hu ON hu.id = h.user_id \
     WHERE h.appointment_id = a.id ORDER BY h.at, h.rowid) h)";

fn appointment_select(history: bool) -> String {
    format!(
        "SELECT a.id, a.project_id, p.name AS project_name, a.supplier_id, a.customer_id, \
         a.location_id, l.name AS location_name, l.street AS location_street, \
         l.postal_code AS location_postal_code, l.city AS location_city, \
         l.country AS location_country, l.time_zone, a.title, a.description, a.starts_at, \
         a.ends_at, a.status, a.proposed_by_user_id, pu.name AS proposed_by_name, a.note, \
         a.reason, a.revision, a.request_hash, a.created_at, a.updated_at, \
         r.status AS relationship_status, r.services AS relationship_services, \
         {STAFF_JSON} AS staff, {} AS history \
         FROM appointments a JOIN projects p ON p.id = a.project_id \
         JOIN relationships r ON r.id = p.relationship_id \
         JOIN locations l ON l.id = a.location_id \
         LEFT JOIN users pu ON pu.id = a.proposed_by_user_id",
        if history { HISTORY_JSON } else { "NULL" }
    )
}

fn appointment_stmt(viewer: &Viewer<'_>, id: &AppointmentId, history: bool) -> Statement {
    viewer.statement(
        format!(
            "{} WHERE a.id = ?4 AND {}",
            appointment_select(history),
            appointment_seen(Find::One)
        ),
        &[id],
    )
}

/// An appointment the viewer finds, with its history if asked.
///
/// # Errors
/// A database error.
pub async fn appointment(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &AppointmentId,
    history: bool,
) -> Result<Option<AppointmentRow>> {
    db.first_of(appointment_stmt(viewer, id, history)).await
}

/// An appointment the viewer finds, and those of `staff` who are its supplier's (one batch):
/// the checks before staffing it.
///
/// # Errors
/// A database error.
pub async fn appointment_with_staff(
    db: &Db,
    viewer: &Viewer<'_>,
    id: &AppointmentId,
    staff: &[StaffId],
) -> Result<(Option<AppointmentRow>, Vec<StaffRow>)> {
    let ids = Json(staff.to_vec());
    let outcomes = db
        .batch_rows(vec![
            appointment_stmt(viewer, id, true),
            Statement::new(
                format!(
                    "SELECT {STAFF_COLUMNS} FROM staff s JOIN appointments a ON a.id = ?1 \
                     WHERE s.supplier_id = a.supplier_id \
                     AND s.id IN (SELECT value FROM json_each(?2))"
                ),
                &[id, &ids],
            ),
        ])
        .await?;
    Ok((first_of(outcomes.first())?, rows_of(outcomes.get(1))?))
}

/// What an appointment list shows; times on `starts_at`.
#[derive(Debug, Default)]
pub struct AppointmentFilter<'a> {
    pub project: Option<&'a ProjectId>,
    pub location: Option<&'a LocationId>,
    pub status: Option<AppointmentStatus>,
    /// Starting at or after.
    pub from: Option<Time>,
    /// Starting before.
    pub to: Option<Time>,
    /// After this appointment in the order (its `starts_at` and id).
    pub after: Option<(Time, AppointmentId)>,
}

/// The viewer's appointments by `starts_at`.
///
/// # Errors
/// A database error.
pub async fn appointments(
    db: &Db,
    viewer: &Viewer<'_>,
    filter: &AppointmentFilter<'_>,
    fetch: u32,
) -> Result<Vec<AppointmentRow>> {
    let mut q = viewer.query(format!(
        "{} WHERE {}",
        appointment_select(false),
        appointment_seen(Find::List)
    ));
    if let Some(project) = filter.project {
        q.filter(" AND a.project_id = ?n", project);
    }
    if let Some(location) = filter.location {
        q.filter(" AND a.location_id = ?n", location);
    }
    if let Some(status) = filter.status {
        q.filter(" AND a.status = ?n", &status);
    }
    if let Some(from) = &filter.from {
        q.filter(" AND a.starts_at >= ?n", from);
    }
    if let Some(to) = &filter.to {
        q.filter(" AND a.starts_at < ?n", to);
    }
    if let Some((at, id)) = &filter.after {
        let at = q.bind(at);
        let id = q.bind(id);
        q.push(&format!(
            " AND (a.starts_at > {at} OR (a.starts_at = {at} AND a.id > {id}))"
        ));
    }
    q.filter(" ORDER BY a.starts_at, a.id LIMIT ?n", &fetch);
    db.all_of(q.statement()).await
}

/// A project and a location as an appointment would join them (one batch), with an appointment
/// the creating company made before under the same Idempotency-Key.
pub struct Planned {
    pub project: Option<ProjectRow>,
    pub location: Option<PlaceRow>,
    /// The viewer's name (a person's).
    pub user_name: Option<String>,
    pub earlier: Option<AppointmentRow>,
}

/// A location as an appointment's checks see it.
#[derive(Debug, Clone, Deserialize)]
pub struct PlaceRow {
    pub id: LocationId,
    pub supplier_id: CompanyId,
    pub customer_id: CompanyId,
    pub name: String,
    pub city: String,
    pub time_zone: String,
    /// Whether the viewer's assignment to the project covers it.
    pub covered: bool,
}

/// Loads what an appointment is made of (one batch): the project the viewer finds, the
/// location (whoever's: the worker compares it with the project) with whether the viewer's
/// assignment to the project covers it, the viewer's name, and the appointment made before
/// with `key`.
///
/// # Errors
/// A database error.
pub async fn plan(
    db: &Db,
    viewer: &Viewer<'_>,
    project: &ProjectId,
    location: &LocationId,
    key: Option<&str>,
) -> Result<Planned> {
    let mut statements = vec![
        project_stmt(viewer, project),
        viewer.statement(
            format!(
                "SELECT l.id, l.supplier_id, l.customer_id, l.name, l.city, l.time_zone, \
                 EXISTS (SELECT 1 FROM project_contacts pc WHERE pc.project_id = ?5 \
                 AND pc.user_id = ?3 AND {}) AS covered FROM locations l WHERE l.id = ?4",
                covers(LOCATION_PATH)
            ),
            &[location, project],
        ),
        Statement::new(
            "SELECT name FROM users WHERE id = ?1 AND company_id = ?2",
            &[&viewer.user, viewer.company],
        ),
    ];
    if let Some(key) = key {
        statements.push(by_key_stmt(viewer, key));
    }
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let outcomes = db.batch_rows(statements).await?;
    let name: Option<Name> = first_of(outcomes.get(2))?;
    Ok(Planned {
        project: first_of(outcomes.first())?,
        location: first_of(outcomes.get(1))?,
        user_name: name.map(|n| n.name),
        earlier: first_of(outcomes.get(3))?,
    })
}

fn by_key_stmt(viewer: &Viewer<'_>, key: &str) -> Statement {
    viewer.statement(
        format!(
            "{} WHERE a.created_by_company_id = ?1 AND a.idempotency_key = ?4 AND {}",
            appointment_select(true),
            appointment_seen(Find::One)
        ),
        &[&key],
    )
}

/// The appointment the viewer's company made with `key`, if the viewer sees it.
///
/// # Errors
/// A database error.
pub async fn by_key(db: &Db, viewer: &Viewer<'_>, key: &str) -> Result<Option<AppointmentRow>> {
    db.first_of(by_key_stmt(viewer, key)).await
}

/// Who did something to an appointment.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub side: PartyRole,
    pub company: &'a CompanyId,
    pub user: Option<&'a UserId>,
}

/// A history entry to write.
struct Entry<'a> {
    /// A ULID.
    id: &'a str,
    appointment: &'a AppointmentId,
    status: AppointmentStatus,
    by: Actor<'a>,
    note: Option<&'a str>,
    reason: Option<&'a str>,
    now: Time,
}

/// The insert of a history entry; `if_changed`: only when the statement before it changed a
/// row.
fn history_stmt(e: &Entry<'_>, if_changed: bool) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO appointment_history (id, appointment_id, status, at, by_side, \
             company_id, user_id, note, reason) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9{}",
            if if_changed {
                " WHERE changes() > 0"
            } else {
                ""
            }
        ),
        &[
            &e.id,
            e.appointment,
            &e.status,
            &e.now,
            &e.by.side,
            e.by.company,
            &e.by.user,
            &e.note,
            &e.reason,
        ],
    )
}

/// A new appointment.
pub struct NewAppointment<'a> {
    pub id: &'a AppointmentId,
    pub project_id: &'a ProjectId,
    pub supplier_id: &'a CompanyId,
    pub customer_id: &'a CompanyId,
    pub location_id: &'a LocationId,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub starts_at: Time,
    pub ends_at: Time,
    pub status: AppointmentStatus,
    pub note: Option<&'a str>,
    pub by: Actor<'a>,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: &'a str,
    /// The id of its first history entry (a ULID).
    pub history_id: &'a str,
    pub now: Time,
}

/// Stores an appointment with its first history entry and its event's outbox row, and reads it
/// back as `viewer` sees it (one batch).
///
/// # Errors
/// A database error; [`APPOINTMENT_KEY_TAKEN`] when the key was taken meanwhile.
pub async fn insert_appointment(
    db: &Db,
    viewer: &Viewer<'_>,
    a: &NewAppointment<'_>,
    event: Option<&Event>,
) -> Result<AppointmentRow> {
    let proposed_by = if a.by.side == PartyRole::Customer {
        a.by.user
    } else {
        None
    };
    let mut statements = vec![
        Statement::new(
            "INSERT INTO appointments (id, project_id, supplier_id, customer_id, location_id, \
             title, description, starts_at, ends_at, status, proposed_by_user_id, note, \
             created_by_company_id, idempotency_key, request_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)",
            &[
                a.id,
                a.project_id,
                a.supplier_id,
                a.customer_id,
                a.location_id,
                &a.title,
                &a.description,
                &a.starts_at,
                &a.ends_at,
                &a.status,
                &proposed_by,
                &a.note,
                a.by.company,
                &a.idempotency_key,
                &a.request_hash,
                &a.now,
            ],
        ),
        history_stmt(
            &Entry {
                id: a.history_id,
                appointment: a.id,
                status: a.status,
                by: a.by,
                note: a.note,
                reason: None,
                now: a.now,
            },
            false,
        ),
    ];
    if let Some(event) = event {
        statements.push(events::insert_stmt(event));
    }
    statements.push(appointment_stmt(viewer, a.id, true));
    let n = statements.len();
    let outcomes = db.batch_rows(statements).await?;
    first_of(outcomes.get(n - 1))?
        .ok_or_else(|| Error::internal("the new appointment was not read back"))
}

/// A change of an appointment's status by one side.
pub struct Change<'a> {
    pub id: &'a AppointmentId,
    pub action: Action,
    pub by: Actor<'a>,
    /// Why (rejecting, cancelling).
    pub reason: Option<&'a str>,
    /// The new staff (staffing), in order.
    pub staff: &'a [StaffId],
    /// The id of the history entry it writes (a ULID).
    pub history_id: &'a str,
    pub now: Time,
}

/// Makes a change in one batch, guarded by the status (and for cancelling and finishing, the
/// start) it needs: the status update, the history entry and the event's outbox row (both only
/// when the update was made), for staffing the new list, then the appointment read back with its
/// history as `viewer` sees it. Staffing with the list it has already changes nothing.
///
/// # Errors
/// A database error.
pub async fn change(
    db: &Db,
    viewer: &Viewer<'_>,
    c: &Change<'_>,
    event: Option<&Event>,
) -> Result<Changed<AppointmentRow>> {
    let target = c.action.target();
    let from = Json(c.action.from().to_vec());
    let party = match c.by.side {
        PartyRole::Supplier => "supplier_id",
        PartyRole::Customer => "customer_id",
    };
    let when = match c.action {
        Action::Cancel => " AND starts_at > ?6",
        Action::Done => " AND starts_at <= ?6",
        _ => "",
    };
    let staff = Json(c.staff.to_vec());
    let same_staff = if c.action == Action::Staff {
        " AND NOT (status = 'staffed' AND COALESCE((SELECT json_group_array(staff_id) FROM \
         (SELECT staff_id FROM appointment_staff WHERE appointment_id = ?1 ORDER BY position)), \
         '[]') = ?7)"
    } else {
        ""
    };
    let sets_reason = matches!(c.action, Action::Reject | Action::Cancel);
    let mut statements = vec![
        Statement::new(
            format!(
                "UPDATE appointments SET status = ?3, reason = CASE WHEN ?8 THEN ?5 ELSE reason \
                 END, revision = revision + 1, updated_at = ?6 WHERE id = ?1 AND {party} = ?2 \
                 AND status IN (SELECT value FROM json_each(?4)){when}{same_staff}"
            ),
            &[
                c.id,
                c.by.company,
                &target,
                &from,
                &c.reason,
                &c.now,
                &staff,
                &sets_reason,
            ],
        ),
        history_stmt(
            &Entry {
                id: c.history_id,
                appointment: c.id,
                status: target,
                by: c.by,
                note: None,
                reason: c.reason,
                now: c.now,
            },
            true,
        ),
    ];
    if let Some(event) = event {
        statements.push(events::insert_if_changed_stmt(event));
    }
    if c.action == Action::Staff {
        let mine = "EXISTS (SELECT 1 FROM appointment_history WHERE id = ?2)";
        statements.push(Statement::new(
            format!("DELETE FROM appointment_staff WHERE appointment_id = ?1 AND {mine}"),
            &[c.id, &c.history_id],
        ));
        statements.push(Statement::new(
            format!(
                "INSERT INTO appointment_staff (appointment_id, staff_id, position) \
                 SELECT ?1, j.value, j.key FROM json_each(?3) j WHERE {mine}"
            ),
            &[c.id, &c.history_id, &staff],
        ));
    }
    statements.push(appointment_stmt(viewer, c.id, true));
    let n = statements.len();
    let outcomes = db.batch_rows(statements).await?;
    Ok(Changed {
        changed: outcomes.first().is_some_and(|o| o.changes > 0),
        row: first_of(outcomes.get(n - 1))?,
    })
}

// ---- calendar feeds -------------------------------------------------------------------------

/// A person's calendar feed (its token is never stored).
#[derive(Debug, Clone, Deserialize)]
pub struct FeedRow {
    pub id: CalendarFeedId,
    pub created_at: Time,
}

/// Stores a feed of `user` and reads it back.
///
/// # Errors
/// A database error.
pub async fn insert_feed(
    db: &Db,
    id: &CalendarFeedId,
    user: &UserId,
    company: &CompanyId,
    token: &str,
    now: Time,
) -> Result<()> {
    db.run(
        "INSERT INTO calendar_feeds (id, user_id, company_id, token_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[id, user, company, &crate::secrets::hash_secret(token), &now],
    )
    .await
    .map(|_| ())
}

/// A person's feeds that are not revoked, newest first.
///
/// # Errors
/// A database error.
pub async fn feeds(db: &Db, user: &UserId) -> Result<Vec<FeedRow>> {
    db.all(
        "SELECT id, created_at FROM calendar_feeds WHERE user_id = ?1 AND revoked_at IS NULL \
         ORDER BY id DESC LIMIT 200",
        &[user],
    )
    .await
}

/// Revokes one of a person's feeds (one batch); whether they have such a feed (revoked now or
/// before).
///
/// # Errors
/// A database error.
pub async fn revoke_feed(db: &Db, user: &UserId, id: &CalendarFeedId, now: Time) -> Result<bool> {
    let outcomes = db
        .batch_rows(vec![
            Statement::new(
                "UPDATE calendar_feeds SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 \
                 AND revoked_at IS NULL",
                &[id, user, &now],
            ),
            Statement::new(
                "SELECT id FROM calendar_feeds WHERE id = ?1 AND user_id = ?2",
                &[id, user],
            ),
        ])
        .await?;
    Ok(outcomes.get(1).is_some_and(|o| !o.rows.is_empty()))
}

/// The person a feed token belongs to, while the feed is not revoked and the person is active
/// in the company it was made in (found by the token's hash, without a viewer).
#[derive(Debug, Clone, Deserialize)]
pub struct FeedOwner {
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub name: String,
    pub role: Role,
    pub permissions: permissions::Stored,
}

impl FeedOwner {
    /// Whether they hold `appointments.manage` (admins do).
    #[must_use]
    pub fn manage(&self) -> bool {
        self.role == Role::Admin
            || self
                .permissions
                .0
                .contains(&permissions::Permission::AppointmentsManage)
    }
}

/// The owner of the feed with this token.
///
/// # Errors
/// A database error.
pub async fn feed_owner(db: &Db, token: &str) -> Result<Option<FeedOwner>> {
    db.first(
        "SELECT u.id AS user_id, u.company_id, u.name, u.role, u.permissions \
         FROM calendar_feeds f JOIN users u ON u.id = f.user_id AND u.company_id = f.company_id \
         WHERE f.token_hash = ?1 AND f.revoked_at IS NULL AND u.status = 'active'",
        &[&crate::secrets::hash_secret(token)],
    )
    .await
}
