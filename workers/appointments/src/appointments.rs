//! `/v1/appointments`: appointments the supplier plans (confirmed at once) or a person of the
//! customer proposes (confirmed or rejected by the supplier), staffed, done or cancelled; each
//! change in one batch with its history entry and its event, guarded by the status it needs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Duration;
use serde_json::json;
use shared::appointment::{self, Action, AppointmentStatus, Move, MAX_STAFF};
use shared::data::appointments::{
    self as data, Actor, AppointmentFilter, AppointmentRow, Change, NewAppointment,
};
use shared::data::relationships;
use shared::event::{self, Event};
use shared::ids::{AppointmentId, LocationId, ProjectId, StaffId};
use shared::relationship::{PartyRole, Service};
use shared::service::{Cx, Reply};
use shared::time::{self, Time};
use shared::{secrets, validate, Error, Result};

use crate::api::{
    supplier_only, AppointmentCancelIn, AppointmentIn, AppointmentList, AppointmentOut,
    AppointmentQuery, AppointmentRejectIn, Caller, StaffingIn,
};

fn caller(cx: &Cx) -> Result<Caller> {
    Ok(Caller::of(cx.me()?))
}

/// The appointment as the caller's side sees it, with the status it answers.
fn answer(status: u16, row: AppointmentRow, me: &Caller) -> Result<Reply> {
    Reply::json(status, &AppointmentOut::of(row, &me.me.company_id))
}

/// What an event about an appointment says of it (never the staff's contact data).
fn about(row: &AppointmentRow) -> serde_json::Value {
    json!({
        "appointment_id": row.id,
        "project_id": row.project_id,
        "project_name": row.project_name,
        "location_id": row.location_id,
        "location_name": row.location_name,
        "city": row.location_city,
        "time_zone": row.time_zone,
        "supplier_id": row.supplier_id,
        "customer_id": row.customer_id,
        "title": row.title,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
    })
}

fn with(mut data: serde_json::Value, more: serde_json::Value) -> serde_json::Value {
    if let (Some(map), serde_json::Value::Object(more)) = (data.as_object_mut(), more) {
        map.extend(more);
    }
    data
}

/// `POST /v1/appointments`: 201 for a new appointment; 200 for one made before with the same
/// `Idempotency-Key` and fields.
pub async fn create_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: AppointmentIn = cx.body().await?;
    let project_id = ProjectId::parse_field("project_id", input.project_id.trim())?;
    let location_id = LocationId::parse_field("location_id", input.location_id.trim())?;
    let starts_at = Time(time::parse("starts_at", input.starts_at.trim())?);
    let ends_at = Time(time::parse("ends_at", input.ends_at.trim())?);
    appointment::check_span(starts_at.0, ends_at.0)?;
    let title = validate::text("title", &input.title, 1, 200)?;
    let description = validate::optional_text("description", input.description.as_deref(), 5000)?;
    let note = validate::optional_text("note", input.note.as_deref(), 2000)?;
    let key = cx.idempotency_key()?;
    let request_hash = secrets::sha256_hex(
        json!([
            project_id,
            location_id,
            starts_at,
            ends_at,
            title,
            description,
            note
        ])
        .to_string()
        .as_bytes(),
    );

    let viewer = me.viewer();
    let planned = data::plan(&cx.db, &viewer, &project_id, &location_id, key.as_deref()).await?;
    if let Some(earlier) = planned.earlier {
        return replayed(earlier, &request_hash, &me);
    }
    let project = planned
        .project
        .ok_or_else(|| Error::invalid("project_id", "no project you can see has this id"))?;
    let side = me.may_see(&project.supplier_id)?;
    if side == PartyRole::Customer {
        me.me.require_user()?;
    }
    relationships::require_stored_service(
        project.relationship_status,
        &project.relationship_services.0,
        Service::Appointments,
    )?;
    if !project.status.is_open() {
        return Err(Error::conflict(
            "project_closed",
            format!(
                "the project is {}; appointments are made in open projects",
                project.status
            ),
        ));
    }
    let location = planned
        .location
        .filter(|l| {
            l.supplier_id == project.supplier_id
                && l.customer_id == project.customer_id
                && (side == PartyRole::Supplier || me.manage || l.covered)
        })
        .ok_or_else(|| {
            Error::invalid(
                "location_id",
                "no location of this project's customer that you can see has this id",
            )
        })?;
    if side == PartyRole::Customer && starts_at.0 <= cx.now {
        return Err(Error::invalid(
            "starts_at",
            "a proposal must start in the future",
        ));
    }

    let id = AppointmentId::new(cx.now)?;
    let status = match side {
        PartyRole::Supplier => AppointmentStatus::Confirmed,
        PartyRole::Customer => AppointmentStatus::Proposed,
    };
    let event = if side == PartyRole::Customer {
        Some(Event::new(
            event::APPOINTMENT_PROPOSED,
            &project.supplier_id,
            json!({
                "appointment_id": id,
                "project_id": project.id,
                "project_name": project.name,
                "location_id": location.id,
                "location_name": location.name,
                "city": location.city,
                "time_zone": location.time_zone,
                "supplier_id": project.supplier_id,
                "customer_id": project.customer_id,
                "title": title,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "note": note,
                "proposed_by_user_id": me.me.user_id,
                "proposed_by_name": planned.user_name,
            }),
            cx.now,
        )?)
    } else {
        None
    };
    let history_id = shared::ids::new_body(cx.now)?;
    let inserted = data::insert_appointment(
        &cx.db,
        &viewer,
        &NewAppointment {
            id: &id,
            project_id: &project.id,
            supplier_id: &project.supplier_id,
            customer_id: &project.customer_id,
            location_id: &location.id,
            title: &title,
            description: description.as_deref(),
            starts_at,
            ends_at,
            status,
            note: note.as_deref(),
            by: Actor {
                side,
                company: &me.me.company_id,
                user: me.me.user_id.as_ref(),
            },
            idempotency_key: key.as_deref(),
            request_hash: &request_hash,
            history_id: &history_id,
            now: Time(cx.now),
        },
        event.as_ref(),
    )
    .await;
    let row = match (inserted, key.as_deref()) {
        (Ok(row), _) => row,
        (Err(e), Some(key)) if e.unique_violation() == Some(data::APPOINTMENT_KEY_TAKEN) => {
            // The same key took the slot meanwhile: answer with what it made.
            return match data::by_key(&cx.db, &viewer, key).await? {
                Some(first) => replayed(first, &request_hash, &me),
                None => Err(key_reused()),
            };
        }
        (Err(e), _) => return Err(e),
    };
    cx.publish(event.into_iter().collect());
    Ok(answer(201, row, &me)?.with_header("location", format!("/v1/appointments/{id}")))
}

fn key_reused() -> Error {
    Error::conflict(
        "idempotency_key_reused",
        "this Idempotency-Key was used for another appointment",
    )
}

/// The answer to a create sent again with its key: the appointment it made, if it asked for
/// the same.
fn replayed(first: AppointmentRow, request_hash: &str, me: &Caller) -> Result<Reply> {
    if first.request_hash.as_deref() != Some(request_hash) {
        return Err(key_reused());
    }
    Ok(answer(200, first, me)?.with_header("idempotent-replayed", "true"))
}

/// A list cursor: the last appointment's start and id.
fn encode_cursor(row: &AppointmentRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}~{}", row.starts_at, row.id))
}

fn decode_cursor(text: &str) -> Result<(Time, AppointmentId)> {
    let bad = || Error::invalid("cursor", "is not a cursor this API returned");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once('~').ok_or_else(bad)?;
    let at = time::parse("cursor", at).map_err(|_| bad())?;
    let id = AppointmentId::parse_field("cursor", id).map_err(|_| bad())?;
    Ok((Time(at), id))
}

/// `GET /v1/appointments?project=&location=&status=&from=&to=`.
pub async fn list_appointments(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let q: AppointmentQuery = cx.query_as()?;
    let project = q
        .project
        .as_deref()
        .map(|p| ProjectId::parse_field("project", p.trim()))
        .transpose()?;
    let location = q
        .location
        .as_deref()
        .map(|l| LocationId::parse_field("location", l.trim()))
        .transpose()?;
    let status = q
        .status
        .as_deref()
        .map(|s| AppointmentStatus::parse("status", s.trim()))
        .transpose()?;
    let from = q
        .from
        .as_deref()
        .map(|t| time::parse("from", t.trim()).map(Time))
        .transpose()?;
    let to =
        q.to.as_deref()
            .map(|t| time::parse("to", t.trim()).map(Time))
            .transpose()?;
    let limit = validate::limit(cx.query("limit").as_deref())?;
    let after = match cx.query("cursor") {
        Some(c) if !c.is_empty() => Some(decode_cursor(&c)?),
        _ => None,
    };
    let mut rows = data::appointments(
        &cx.db,
        &me.viewer(),
        &AppointmentFilter {
            project: project.as_ref(),
            location: location.as_ref(),
            status,
            from,
            to,
            after,
        },
        limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(encode_cursor)
    } else {
        None
    };
    Reply::json(
        200,
        &AppointmentList {
            data: rows
                .into_iter()
                .map(|r| AppointmentOut::of(r, &me.me.company_id))
                .collect(),
            next_cursor,
        },
    )
}

/// The appointment named by the path as the caller's side sees it (with its history): 404 when
/// it does not see it, 403 on the supplier's side without `appointments.manage`.
pub async fn load(cx: &Cx, me: &Caller, history: bool) -> Result<(AppointmentRow, PartyRole)> {
    let id = AppointmentId::parse(cx.param("id"))?;
    let row = data::appointment(&cx.db, &me.viewer(), &id, history)
        .await?
        .ok_or(Error::not_found("appointment"))?;
    let side = me.may_see(&row.supplier_id)?;
    Ok((row, side))
}

/// `GET /v1/appointments/{id}`.
pub async fn get_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let (row, _) = load(cx, &me, true).await?;
    answer(200, row, &me)
}

/// `POST /v1/appointments/{id}/confirm`.
pub async fn confirm_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let (row, side) = load(cx, &me, true).await?;
    act(cx, &me, row, side, Action::Confirm, None, &[]).await
}

/// `POST /v1/appointments/{id}/reject`.
pub async fn reject_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: AppointmentRejectIn = cx.body().await?;
    let reason = validate::text("reason", &input.reason, 1, 2000)?;
    let (row, side) = load(cx, &me, true).await?;
    act(cx, &me, row, side, Action::Reject, Some(&reason), &[]).await
}

/// `POST /v1/appointments/{id}/done`.
pub async fn finish_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let (row, side) = load(cx, &me, true).await?;
    act(cx, &me, row, side, Action::Done, None, &[]).await
}

/// `POST /v1/appointments/{id}/cancel`.
pub async fn cancel_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let input: AppointmentCancelIn = cx.optional_body().await?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), 2000)?;
    let (row, side) = load(cx, &me, true).await?;
    act(cx, &me, row, side, Action::Cancel, reason.as_deref(), &[]).await
}

/// `PUT /v1/appointments/{id}/staff`.
pub async fn staff_appointment(cx: &mut Cx) -> Result<Reply> {
    let me = caller(cx)?;
    let id = AppointmentId::parse(cx.param("id"))?;
    let input: StaffingIn = cx.body().await?;
    if input.staff_ids.is_empty() || input.staff_ids.len() > MAX_STAFF {
        return Err(Error::invalid("staff_ids", "name 1 to 20 staff members"));
    }
    let mut ids: Vec<StaffId> = Vec::with_capacity(input.staff_ids.len());
    for (i, s) in input.staff_ids.iter().enumerate() {
        let s = StaffId::parse_field(&format!("staff_ids[{i}]"), s.trim())?;
        if ids.contains(&s) {
            return Err(Error::invalid(format!("staff_ids[{i}]"), "is named twice"));
        }
        ids.push(s);
    }
    let (row, found) = data::appointment_with_staff(&cx.db, &me.viewer(), &id, &ids).await?;
    let row = row.ok_or(Error::not_found("appointment"))?;
    let side = me.may_see(&row.supplier_id)?;
    if side == PartyRole::Customer {
        return Err(supplier_only());
    }
    let mut names: Vec<serde_json::Value> = Vec::with_capacity(ids.len());
    for (i, s) in ids.iter().enumerate() {
        let member = found.iter().find(|f| &f.id == s).ok_or_else(|| {
            Error::invalid(
                format!("staff_ids[{i}]"),
                "no member of your staff has this id",
            )
        })?;
        names.push(json!({"name": member.name, "role": member.role}));
    }
    if row.status == AppointmentStatus::Staffed && row.staff_ids() == ids {
        // Staffed with this list already: the same answer as the first time.
        return answer(200, row, &me);
    }
    act_with(
        cx,
        &me,
        row,
        side,
        Action::Staff,
        None,
        &ids,
        json!({ "staff": names }),
    )
    .await
}

/// Applies `action` as `side` of the caller, to `row` as loaded.
async fn act(
    cx: &Cx,
    me: &Caller,
    row: AppointmentRow,
    side: PartyRole,
    action: Action,
    reason: Option<&str>,
    staff: &[StaffId],
) -> Result<Reply> {
    act_with(cx, me, row, side, action, reason, staff, json!({})).await
}

/// The company an action's event goes to, and its type (`None`: no event).
fn event_of(
    action: Action,
    side: PartyRole,
    row: &AppointmentRow,
) -> Option<(&'static str, &shared::ids::CompanyId)> {
    match action {
        Action::Confirm | Action::Reject => Some((event::APPOINTMENT_DECIDED, &row.customer_id)),
        Action::Staff => Some((event::APPOINTMENT_STAFFED, &row.customer_id)),
        Action::Cancel => Some((
            event::APPOINTMENT_CANCELLED,
            match side {
                PartyRole::Supplier => &row.customer_id,
                PartyRole::Customer => &row.supplier_id,
            },
        )),
        Action::Done => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn act_with(
    cx: &Cx,
    me: &Caller,
    row: AppointmentRow,
    side: PartyRole,
    action: Action,
    reason: Option<&str>,
    staff: &[StaffId],
    extra: serde_json::Value,
) -> Result<Reply> {
    if action.supplier_only() && side == PartyRole::Customer {
        return Err(supplier_only());
    }
    relationships::require_stored_service(
        row.relationship_status,
        &row.relationship_services.0,
        Service::Appointments,
    )?;
    if appointment::transition(row.status, action, row.starts_at.0, cx.now)? == Move::Already {
        return answer(200, row, me);
    }
    let event = match event_of(action, side, &row) {
        Some((kind, to)) => {
            let mut data = with(about(&row), extra);
            let more = match action {
                Action::Confirm | Action::Reject => json!({
                    "decision": action.target(),
                    "reason": reason,
                    "proposed_by_user_id": row.proposed_by_user_id,
                }),
                Action::Cancel => json!({ "cancelled_by": side, "reason": reason }),
                _ => json!({}),
            };
            data = with(data, more);
            Some(Event::new(kind, to, data, cx.now)?)
        }
        None => None,
    };
    let history_id = shared::ids::new_body(cx.now)?;
    let changed = data::change(
        &cx.db,
        &me.viewer(),
        &Change {
            id: &row.id,
            action,
            by: Actor {
                side,
                company: &me.me.company_id,
                user: me.me.user_id.as_ref(),
            },
            reason,
            staff,
            history_id: &history_id,
            now: Time(cx.now),
        },
        event.as_ref(),
    )
    .await?;
    let now_row = changed.row.ok_or(Error::not_found("appointment"))?;
    if changed.changed {
        cx.publish(event.into_iter().collect());
        return answer(200, now_row, me);
    }
    // Another request changed it meanwhile: answer as it stands now.
    if action == Action::Staff
        && now_row.status == AppointmentStatus::Staffed
        && now_row.staff_ids() == staff
    {
        return answer(200, now_row, me);
    }
    match appointment::transition(now_row.status, action, now_row.starts_at.0, cx.now)? {
        Move::Already => answer(200, now_row, me),
        Move::To(_) => Err(Error::conflict(
            "invalid_transition",
            format!("cannot {action} an appointment that is {}", now_row.status),
        )),
    }
}

/// How far back a calendar feed reaches.
#[must_use]
pub fn feed_start(now: shared::time::Timestamp) -> Time {
    Time(now - Duration::days(90))
}
