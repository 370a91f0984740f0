//! `/v1/territories`, `/v1/locations`, `/v1/staff`: where a customer's appointments take place
//! (territories nested in territories, locations in them) and who of the supplier comes.

use shared::appointment;
use shared::data::appointments::{
    self as data, LocationChange, LocationFilter, NewLocation, NewStaff, NewTerritory,
};
use shared::data::companies::CompanyOut;
use shared::data::relationships::{self, Link};
use shared::ids::{LocationId, StaffId, TerritoryId, UserId};
use shared::relationship::Service;
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::tz::Zone;
use shared::{validate, Error, Result};

use crate::api::{
    supplier_only, Caller, LocationIn, LocationList, LocationOut, LocationPatch, LocationQuery,
    StaffIn, StaffList, StaffOut, TerritoryIn, TerritoryList, TerritoryOut, TerritoryQuery,
};
use crate::caller;

/// The customer named by `field`, with the relationship: active, appointments enabled, and the
/// caller its supplier.
async fn customer_of(cx: &Cx, me: &Caller, field: &str, text: &str) -> Result<(CompanyOut, Link)> {
    let (customer, link) =
        relationships::partner_link(&cx.db, &me.me.company_id, field, text).await?;
    let link = relationships::require_link(link, Service::Appointments)?;
    if link.supplier_id != me.me.company_id {
        return Err(supplier_only());
    }
    Ok((customer, link))
}

fn zone(field: &str, text: &str) -> Result<String> {
    Ok(Zone::parse(field, text)?.as_str().to_owned())
}

// ---- territories ----------------------------------------------------------------------------

/// `POST /v1/territories`.
pub async fn create_territory(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: TerritoryIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 200)?;
    let parent = input
        .parent_id
        .as_deref()
        .map(|p| TerritoryId::parse_field("parent_id", p.trim()))
        .transpose()?;
    let (customer, link) = customer_of(cx, &me, "customer", &input.customer).await?;
    let id = TerritoryId::new(cx.now)?;
    let row = data::insert_territory(
        &cx.db,
        &NewTerritory {
            id: &id,
            supplier_id: &me.me.company_id,
            customer_id: &customer.id,
            relationship_id: &link.id,
            parent_id: parent.as_ref(),
            name: &name,
            now: Time(cx.now),
        },
    )
    .await
    .map_err(crate::name_taken("territory"))?
    .ok_or_else(|| Error::invalid("parent_id", "no territory of this customer has this id"))?;
    Ok(Reply::json(201, &TerritoryOut::of(row))?.with_header(
        "location",
        format!("/v1/territories?customer={}", customer.id),
    ))
}

/// `GET /v1/territories?customer=`.
pub async fn list_territories(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let q: TerritoryQuery = cx.query_as()?;
    let customer = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let page = Page::from_request(cx)?;
    let rows = data::territories(
        &cx.db,
        &me.viewer(),
        customer,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &TerritoryList {
            data: rows.into_iter().map(TerritoryOut::of).collect(),
            next_cursor,
        },
    )
}

// ---- locations ------------------------------------------------------------------------------

/// `POST /v1/locations`.
pub async fn create_location(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: LocationIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 200)?;
    let street = validate::optional_text("street", input.street.as_deref(), 200)?;
    let postal_code = validate::optional_text("postal_code", input.postal_code.as_deref(), 20)?;
    let city = validate::text("city", &input.city, 1, 100)?;
    let country = appointment::country("country", &input.country)?;
    let time_zone = zone("time_zone", &input.time_zone)?;
    let territory = input
        .territory_id
        .as_deref()
        .map(|t| TerritoryId::parse_field("territory_id", t.trim()))
        .transpose()?;
    let (customer, link) = customer_of(cx, &me, "customer", &input.customer).await?;
    let id = LocationId::new(cx.now)?;
    let row = data::insert_location(
        &cx.db,
        &NewLocation {
            id: &id,
            supplier_id: &me.me.company_id,
            customer_id: &customer.id,
            relationship_id: &link.id,
            territory_id: territory.as_ref(),
            name: &name,
            street: street.as_deref(),
            postal_code: postal_code.as_deref(),
            city: &city,
            country: &country,
            time_zone: &time_zone,
            now: Time(cx.now),
        },
    )
    .await
    .map_err(crate::name_taken("location"))?
    .ok_or_else(|| Error::invalid("territory_id", "no territory of this customer has this id"))?;
    Ok(Reply::json(201, &LocationOut::of(row))?
        .with_header("location", format!("/v1/locations/{id}")))
}

/// `GET /v1/locations?customer=&territory=`.
pub async fn list_locations(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let q: LocationQuery = cx.query_as()?;
    let customer = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let territory = q
        .territory
        .as_deref()
        .map(|t| TerritoryId::parse_field("territory", t.trim()))
        .transpose()?;
    let page = Page::from_request(cx)?;
    let rows = data::locations(
        &cx.db,
        &me.viewer(),
        &LocationFilter {
            customer,
            territory: territory.as_ref(),
        },
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &LocationList {
            data: rows.into_iter().map(LocationOut::of).collect(),
            next_cursor,
        },
    )
}

/// `GET /v1/locations/{id}`.
pub async fn get_location(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = LocationId::parse(cx.param("id"))?;
    let row = data::location(&cx.db, &me.viewer(), &id)
        .await?
        .ok_or(Error::not_found("location"))?;
    me.may_see(&row.supplier_id)?;
    Reply::json(200, &LocationOut::of(row))
}

/// `PATCH /v1/locations/{id}`.
pub async fn update_location(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = LocationId::parse(cx.param("id"))?;
    let patch: LocationPatch = cx.body().await?;
    let change = LocationChange {
        name: patch
            .name
            .as_deref()
            .map(|n| validate::text("name", n, 1, 200))
            .transpose()?,
        street: patch
            .street
            .map(|s| validate::optional_text("street", s.as_deref(), 200))
            .transpose()?,
        postal_code: patch
            .postal_code
            .map(|s| validate::optional_text("postal_code", s.as_deref(), 20))
            .transpose()?,
        city: patch
            .city
            .as_deref()
            .map(|c| validate::text("city", c, 1, 100))
            .transpose()?,
        country: patch
            .country
            .as_deref()
            .map(|c| appointment::country("country", c))
            .transpose()?,
        time_zone: patch
            .time_zone
            .as_deref()
            .map(|z| zone("time_zone", z))
            .transpose()?,
        territory_id: patch
            .territory_id
            .map(|t| {
                t.as_deref()
                    .map(|t| TerritoryId::parse_field("territory_id", t.trim()))
                    .transpose()
            })
            .transpose()?,
    };
    let changed = data::update_location(&cx.db, &me.viewer(), &id, &change, Time(cx.now))
        .await
        .map_err(crate::name_taken("location"))?;
    let row = changed.row.ok_or(Error::not_found("location"))?;
    me.may_change(&row.supplier_id)?;
    if !changed.changed {
        return Err(Error::invalid(
            "territory_id",
            "no territory of this location's customer has this id",
        ));
    }
    Reply::json(200, &LocationOut::of(row))
}

// ---- staff ----------------------------------------------------------------------------------

/// `POST /v1/staff`.
pub async fn create_staff(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: StaffIn = cx.body().await?;
    let name = validate::text("name", &input.name, 1, 200)?;
    let role = validate::text("role", &input.role, 1, 100)?;
    let email = input
        .email
        .as_deref()
        .map(|e| validate::email("email", e))
        .transpose()?;
    let phone = input
        .phone
        .as_deref()
        .map(|p| appointment::phone("phone", p))
        .transpose()?;
    let user = input
        .user_id
        .as_deref()
        .map(|u| UserId::parse_field("user_id", u.trim()))
        .transpose()?;
    let id = StaffId::new(cx.now)?;
    let row = data::insert_staff(
        &cx.db,
        &NewStaff {
            id: &id,
            supplier_id: &me.me.company_id,
            name: &name,
            role: &role,
            email: email.as_deref(),
            phone: phone.as_deref(),
            user_id: user.as_ref(),
            now: Time(cx.now),
        },
    )
    .await
    .map_err(crate::name_taken("staff member"))?
    .ok_or_else(|| Error::invalid("user_id", "no user of your company has this id"))?;
    Ok(Reply::json(201, &StaffOut::of(row))?.with_header("location", "/v1/staff"))
}

/// `GET /v1/staff`.
pub async fn list_staff(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let page = Page::from_request(cx)?;
    let rows = data::staff(
        &cx.db,
        &me.me.company_id,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &StaffList {
            data: rows.into_iter().map(StaffOut::of).collect(),
            next_cursor,
        },
    )
}
