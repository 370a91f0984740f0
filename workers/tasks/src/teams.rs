//! `/v1/teams`: a company's teams (departments such as Sales or Returns) and who is in them.
//! Everyone of the company sees them (to give a task to a team); changing them takes
//! `users.manage`, as changing the people does.

use shared::data::tasks::{self as data, TeamRow};
use shared::ids::{TeamId, UserId};
use shared::service::{Cx, Reply};
use shared::task::MAX_TEAM_NAME;
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{TeamIn, TeamList, TeamOut};

/// A name the company has for another team already: 409 `name_taken`.
fn name_taken(e: Error) -> Error {
    if e.unique_violation() == Some(data::TEAM_NAME_TAKEN) {
        Error::conflict("name_taken", "there is a team of this name already")
    } else {
        e
    }
}

fn team_name(input: &TeamIn) -> Result<String> {
    validate::text("name", &input.name, 1, MAX_TEAM_NAME)
}

fn found(row: Option<TeamRow>) -> Result<Reply> {
    let row = row.ok_or(Error::not_found("team"))?;
    Reply::json(200, &TeamOut::of(row))
}

/// `GET /v1/teams`.
pub async fn list_teams(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let (teams, people) = data::teams(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &TeamList {
            data: teams.into_iter().map(TeamOut::of).collect(),
            people,
        },
    )
}

/// `POST /v1/teams`.
pub async fn create_team(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let name = team_name(&cx.body().await?)?;
    let id = TeamId::new(cx.now)?;
    let row = data::insert_team(&cx.db, &me.company_id, &id, &name, Time(cx.now))
        .await
        .map_err(name_taken)?
        .ok_or_else(|| Error::internal("a team just written could not be read"))?;
    Ok(Reply::json(201, &TeamOut::of(row))?.with_header("location", format!("/v1/teams/{id}")))
}

/// `PATCH /v1/teams/{id}`: renames the team.
pub async fn rename_team(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TeamId::parse(cx.param("id"))?;
    let name = team_name(&cx.body().await?)?;
    let row = data::rename_team(&cx.db, &me.company_id, &id, &name, Time(cx.now))
        .await
        .map_err(name_taken)?;
    found(row)
}

/// `DELETE /v1/teams/{id}`: its tasks stay, without the team.
pub async fn delete_team(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TeamId::parse(cx.param("id"))?;
    if !data::delete_team(&cx.db, &me.company_id, &id, Time(cx.now)).await? {
        return Err(Error::not_found("team"));
    }
    Ok(Reply::no_content())
}

/// `PUT /v1/teams/{id}/members/{user_id}`: 200 with the team, whether or not the person was
/// in it.
pub async fn add_team_member(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TeamId::parse(cx.param("id"))?;
    let user = UserId::parse(cx.param("user_id"))?;
    let row = data::add_member(&cx.db, &me.company_id, &id, &user, Time(cx.now))
        .await?
        .ok_or(Error::not_found("team"))?;
    if !row.members.0.iter().any(|m| m.id == user) {
        return Err(Error::not_found("user"));
    }
    Reply::json(200, &TeamOut::of(row))
}

/// `DELETE /v1/teams/{id}/members/{user_id}`: 200 with the team, whether or not the person
/// was in it.
pub async fn remove_team_member(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TeamId::parse(cx.param("id"))?;
    let user = UserId::parse(cx.param("user_id"))?;
    found(data::remove_member(&cx.db, &me.company_id, &id, &user).await?)
}
