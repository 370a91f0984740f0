//! iCalendar: one appointment as a calendar (`/v1/appointments/{id}/ics`), and a person's
//! calendar feeds (`/v1/calendar-feeds`, `/v1/feeds/{token}/calendar.ics`): a secret URL a
//! calendar subscribes to without credentials, showing the appointments the person sees, as
//! they see them. A calendar entry lists the staff by name and role only, for either side.

use shared::appointment::AppointmentStatus;
use shared::data::appointments::{self as data, AppointmentFilter, AppointmentRow, Viewer};
use shared::ical::{self, Event};
use shared::ids::CalendarFeedId;
use shared::service::{Cx, Reply, ReplyBody};
use shared::time::Time;
use shared::tz::Zone;
use shared::{secrets, Error, Result};

use crate::api::{CalendarFeedCreated, CalendarFeedList, CalendarFeedOut, Caller};
use crate::appointments::{feed_start, load};

/// What a feed token starts with.
const FEED_PREFIX: &str = "cf_";
/// The most appointments one feed shows.
const FEED_LIMIT: u32 = 1000;

/// An appointment as a calendar entry: in its location's local time, with a link into the
/// portal, staff by name and role.
fn entry(row: &AppointmentRow, portal: &str) -> Event {
    let mut description: Vec<String> = Vec::new();
    if let Some(text) = &row.description {
        description.push(text.clone());
    }
    description.push(format!("Project: {}", row.project_name));
    description.push(format!("Status: {}", row.status));
    if !row.staff.0.is_empty() {
        let staff: Vec<String> = row
            .staff
            .0
            .iter()
            .map(|s| format!("{} ({})", s.name, s.role))
            .collect();
        description.push(format!("Staff: {}", staff.join(", ")));
    }
    if let (AppointmentStatus::Rejected | AppointmentStatus::Cancelled, Some(reason)) =
        (row.status, &row.reason)
    {
        description.push(format!("Reason: {reason}"));
    }
    let place: Vec<&str> = [
        Some(row.location_name.as_str()),
        row.location_street.as_deref(),
        row.location_postal_code.as_deref(),
        Some(row.location_city.as_str()),
        Some(row.location_country.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    Event {
        uid: format!("{}@tradepost", row.id),
        start: row.starts_at.0,
        end: row.ends_at.0,
        zone: Zone::parse("time_zone", &row.time_zone).unwrap_or(Zone::UTC),
        summary: row.title.clone(),
        location: Some(place.join(", ")),
        description: Some(description.join("\n")),
        status: row.status.ical(),
        sequence: u32::try_from(row.revision).unwrap_or(u32::MAX),
        stamp: row.updated_at.0,
        url: Some(format!("{portal}/appointments/{}", row.id)),
    }
}

fn calendar_reply(text: String) -> Reply {
    let mut reply = Reply::status(200)
        .with_header("content-type", "text/calendar; charset=utf-8")
        .with_header("cache-control", "private, no-cache");
    reply.body = ReplyBody::Bytes(text.into_bytes());
    reply
}

/// `GET /v1/appointments/{id}/ics`.
pub async fn get_appointment_ics(cx: &mut Cx) -> Result<Reply> {
    let me = Caller::of(cx.me()?);
    let (row, _) = load(cx, &me, false).await?;
    let text = ical::calendar(&row.title, &[entry(&row, &cx.public_url())]);
    Ok(calendar_reply(text).with_header(
        "content-disposition",
        format!("inline; filename=\"{}.ics\"", row.id),
    ))
}

/// `POST /v1/calendar-feeds`.
pub async fn create_calendar_feed(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?.clone();
    let id = CalendarFeedId::new(cx.now)?;
    let token = secrets::new_secret(FEED_PREFIX)?;
    let now = Time(cx.now);
    data::insert_feed(&cx.db, &id, &user, &me.company_id, &token, now).await?;
    let url = format!("{}/v1/feeds/{token}/calendar.ics", cx.public_url());
    Ok(Reply::json(
        201,
        &CalendarFeedCreated {
            id: id.clone(),
            url,
            created_at: now,
        },
    )?
    .with_header("location", format!("/v1/calendar-feeds/{id}")))
}

/// `GET /v1/calendar-feeds`.
pub async fn list_calendar_feeds(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?;
    let rows = data::feeds(&cx.db, user).await?;
    Reply::json(
        200,
        &CalendarFeedList {
            data: rows
                .into_iter()
                .map(|r| CalendarFeedOut {
                    id: r.id,
                    created_at: r.created_at,
                })
                .collect(),
        },
    )
}

/// `DELETE /v1/calendar-feeds/{id}`: 204, again for a feed revoked before.
pub async fn delete_calendar_feed(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user = me.require_user()?;
    let id = CalendarFeedId::parse(cx.param("id"))?;
    if !data::revoke_feed(&cx.db, user, &id, Time(cx.now)).await? {
        return Err(Error::not_found("calendar feed"));
    }
    Ok(Reply::no_content())
}

/// `GET /v1/feeds/{token}/calendar.ics`: no credentials, the token is the secret.
pub async fn get_feed_calendar(cx: &mut Cx) -> Result<Reply> {
    let token = cx.param("token").to_owned();
    let shaped = token.strip_prefix(FEED_PREFIX).is_some_and(|b| {
        b.len() == 43
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    });
    if !shaped {
        return Err(Error::not_found("calendar feed"));
    }
    let owner = data::feed_owner(&cx.db, &token)
        .await?
        .ok_or(Error::not_found("calendar feed"))?;
    let viewer = Viewer {
        company: &owner.company_id,
        manage: owner.manage(),
        user: Some(&owner.user_id),
    };
    let rows = data::appointments(
        &cx.db,
        &viewer,
        &AppointmentFilter {
            from: Some(feed_start(cx.now)),
            ..AppointmentFilter::default()
        },
        FEED_LIMIT,
    )
    .await?;
    let portal = cx.public_url();
    let events: Vec<Event> = rows.iter().map(|r| entry(r, &portal)).collect();
    Ok(calendar_reply(ical::calendar(
        &format!("Tradepost: {}", owner.name),
        &events,
    )))
}
