//! The appointments worker: appointments in the projects a supplier (an agency, say) plans for
//! a customer (workers/projects) — planned by the supplier, or proposed by the customer's people
//! and confirmed or rejected by the supplier, then staffed — with their iCalendar views and
//! feeds.
//!
//! Who sees what is decided in the data layer (`shared::data::appointments::Viewer`): the
//! supplier with `appointments.manage`; the customer's managers everything made for their
//! company; its other people the projects they are assigned to, limited to their territories.
//! Staff contact data never reaches the customer's side.
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource.

pub mod api;
mod appointments;
mod calendar;

use shared::permissions::Permission::AppointmentsManage;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        AppointmentCancelIn, AppointmentIn, AppointmentList, AppointmentOut, AppointmentQuery,
        AppointmentRejectIn, CalendarFeedCreated, CalendarFeedList, StaffingIn,
    },
    shared::ids::{AppointmentId, CalendarFeedId},
};

/// The supplier's planning (and, on the customer's side, seeing every project).
const MANAGE: Access = Access::Permission(AppointmentsManage);
/// Either side, checked once the row is found: the supplier needs `appointments.manage`, the
/// customer's people see what they are assigned to.
const EITHER: Access = Access::OnResource(&[AppointmentsManage]);

/// The appointments worker's endpoints.
pub static SERVICE: Service = Service {
    name: "appointments",
    binding: "APPOINTMENTS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Post "/v1/appointments" => appointments::create_appointment, EITHER,
            |d| d.summary("Plan an appointment (the supplier: confirmed) or propose one (a person of the customer: proposed)")
                .header("idempotency-key", false, "a retry with the same key and fields answers 200 with the appointment it made")
                .body::<AppointmentIn>()
                .created::<AppointmentOut>("the appointment with its history")
                .answer::<AppointmentOut>(200, "the same appointment again (same Idempotency-Key): the one it made")
                .answer_header(200, "idempotent-replayed", "true")
                .errors(&[(403, "the supplier without appointments.manage, an API key of the customer, or the relationship is blocked"), (409, "the relationship is not active, appointments are not enabled, the project is completed or cancelled (`project_closed`), or the Idempotency-Key was used for another appointment (`idempotency_key_reused`)")]);
        Get "/v1/appointments" => appointments::list_appointments, Access::Caller,
            |d| d.summary("List the appointments the caller sees, by start")
                .query::<AppointmentQuery>().query::<shared::service::page::Paging>()
                .ok::<AppointmentList>("a page of appointments, the earliest first");
        Get "/v1/appointments/{id}" => appointments::get_appointment, EITHER,
            |d| d.summary("Read an appointment with its history").path_param::<AppointmentId>("id")
                .ok::<AppointmentOut>("the appointment with its history");
        Get "/v1/appointments/{id}/ics" => calendar::get_appointment_ics, EITHER,
            |d| d.summary("An appointment as iCalendar (one VEVENT in the location's time zone)")
                .path_param::<AppointmentId>("id")
                .text(200, "text/calendar", "the calendar with the appointment");
        Post "/v1/appointments/{id}/confirm" => appointments::confirm_appointment, MANAGE,
            |d| d.summary("Confirm a proposal (the supplier)").path_param::<AppointmentId>("id")
                .ok::<AppointmentOut>("the confirmed appointment (the same again once confirmed)")
                .errors(&[(403, "the caller is the customer, or the relationship is blocked"), (409, "not a proposal (`invalid_transition` names the status), or the relationship is not active")]);
        Post "/v1/appointments/{id}/reject" => appointments::reject_appointment, MANAGE,
            |d| d.summary("Reject a proposal, saying why (the supplier)").path_param::<AppointmentId>("id")
                .body::<AppointmentRejectIn>()
                .ok::<AppointmentOut>("the rejected appointment (the same again once rejected)")
                .errors(&[(403, "the caller is the customer, or the relationship is blocked"), (409, "not a proposal (`invalid_transition` names the status), or the relationship is not active")]);
        Put "/v1/appointments/{id}/staff" => appointments::staff_appointment, MANAGE,
            |d| d.summary("Name who comes (the supplier; replaces the list)").path_param::<AppointmentId>("id")
                .body::<StaffingIn>()
                .ok::<AppointmentOut>("the staffed appointment")
                .errors(&[(403, "the caller is the customer, or the relationship is blocked"), (409, "neither confirmed nor staffed (`invalid_transition`), or the relationship is not active")]);
        Post "/v1/appointments/{id}/done" => appointments::finish_appointment, MANAGE,
            |d| d.summary("Record that a staffed appointment took place (the supplier, once it started)").path_param::<AppointmentId>("id")
                .ok::<AppointmentOut>("the appointment, done")
                .errors(&[(403, "the caller is the customer, or the relationship is blocked"), (409, "not staffed, or not started yet (`invalid_transition`), or the relationship is not active")]);
        Post "/v1/appointments/{id}/cancel" => appointments::cancel_appointment, EITHER,
            |d| d.summary("Cancel an appointment before it starts (either side)").path_param::<AppointmentId>("id")
                .optional_body::<AppointmentCancelIn>()
                .ok::<AppointmentOut>("the cancelled appointment (the same again once cancelled)")
                .errors(&[(409, "rejected, done, or started already (`invalid_transition`), or the relationship is not active")]);
        Post "/v1/calendar-feeds" => calendar::create_calendar_feed, Access::Person,
            |d| d.summary("Make a calendar feed of the appointments the caller sees")
                .created::<CalendarFeedCreated>("the feed with its URL (shown once)");
        Get "/v1/calendar-feeds" => calendar::list_calendar_feeds, Access::Person,
            |d| d.summary("List the caller's calendar feeds")
                .ok::<CalendarFeedList>("the feeds that are not revoked, newest first");
        Delete "/v1/calendar-feeds/{id}" => calendar::delete_calendar_feed, Access::Person,
            |d| d.summary("Revoke a calendar feed").path_param::<CalendarFeedId>("id")
                .empty(204, "the feed is revoked");
        Get "/v1/feeds/{token}/calendar.ics" => calendar::get_feed_calendar, Access::Public,
            |d| d.summary("A calendar feed: the appointments its person sees, from 90 days ago on (no credentials: the URL is the secret)")
                .text(200, "text/calendar", "the calendar")
                .errors(&[(404, "no such feed, revoked, or its person is no longer active")]);
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
