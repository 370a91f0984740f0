//! Appointments end to end: an agency (the supplier) plans a project for a customer with
//! territories, locations and staff; the customer's contacts see what they are assigned to,
//! propose, and get the decision by mail; a calendar feed shows it without credentials; the
//! staff's e-mail and phone never reach the customer's side — not in an answer, a mail or the
//! feed; other companies, a blocked relationship, a relationship without the service and a
//! member without `appointments.manage` are refused (the native twin is
//! workers/appointments/tests/appointments.rs).
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tradepost_e2e::{
    api_key, assert_id, assert_timestamp, connect, connect_blocked, ids, invite_colleague, mails,
    text, unique, wait_for_event, Api, Company, Method, Person,
};

const STAFF_PHONE: &str = "+48 601 234 567";

/// Whatever the customer's side got must not name the staff's contact data.
fn no_contact_data(what: &str, body: &str, email: &str) {
    let unfolded = body.replace("\r\n ", "");
    for secret in [email, STAFF_PHONE] {
        assert!(
            !unfolded.contains(secret),
            "{what} shows the staff's contact data {secret}: {body}"
        );
    }
}

/// An RFC 3339 instant `hours` from now (the stack's clock is this machine's).
fn in_hours(hours: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t = i64::try_from(secs).unwrap() + hours * 3600;
    // Days since 1970 to a civil date (Howard Hinnant's algorithm), to stay free of chrono here.
    let (days, rest) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z",
        rest / 3600,
        (rest % 3600) / 60
    )
}

/// The agency and its customer, connected with appointments enabled, and their people.
struct World {
    agency: Company,
    customer: Company,
    planner: Person,
    clerk: Person,
    /// The customer's contact limited to the district.
    anna: Person,
    /// The customer's contact without limits.
    bert: Person,
    project: String,
    district: String,
    in_district: String,
    in_region: String,
    staff_email: String,
}

fn world() -> World {
    let agency = Company::signup_confirmed("agency");
    let customer = Company::signup_confirmed("chain");
    let rel = connect(&customer, &agency);
    agency.api().patch(
        &format!("/v1/relationships/{rel}"),
        json!({"services": {"appointments": "enabled"}}),
        200,
    );
    let planner = invite_colleague(&agency, &["appointments.manage"]);
    let clerk = invite_colleague(&agency, &["talk"]);
    let anna = invite_colleague(&customer, &["talk"]);
    let bert = invite_colleague(&customer, &["talk"]);
    let p = &planner.api;
    let project = p.post(
        "/v1/projects",
        json!({"customer": customer.handle, "name": "Spring campaign", "starts_on": "2026-03-01"}),
        201,
    );
    assert_id(&project["id"], "prj_");
    assert_eq!(project["my_role"], "supplier");
    assert_eq!(project["status"], "planned");
    let region = p.post(
        "/v1/territories",
        json!({"customer": customer.id, "name": "North"}),
        201,
    );
    let district = p.post(
        "/v1/territories",
        json!({"customer": customer.id, "name": "Hamburg", "parent_id": region["id"]}),
        201,
    );
    assert_eq!(district["parent_id"], region["id"]);
    let location = |name: &str, territory: &Value| {
        let l = p.post(
            "/v1/locations",
            json!({"customer": customer.handle, "name": name, "street": "Hauptstr. 1",
                   "postal_code": "20095", "city": "Hamburg", "country": "DE",
                   "time_zone": "Europe/Berlin", "territory_id": territory}),
            201,
        );
        assert_id(&l["id"], "loc_");
        text(&l["id"])
    };
    let in_district = location("Store Altona", &district["id"]);
    let in_region = location("Store Kiel", &region["id"]);
    let project = text(&project["id"]);
    let contacts = format!("/v1/projects/{project}/contacts");
    p.post(
        &contacts,
        json!({"email": anna.email, "territory_ids": [district["id"]]}),
        201,
    );
    p.post(&contacts, json!({"email": bert.email}), 201);
    World {
        staff_email: format!("jan.{}@agency.example", unique(6)),
        agency,
        customer,
        planner,
        clerk,
        anna,
        bert,
        project,
        district: text(&district["id"]),
        in_district,
        in_region,
    }
}

fn appointment(w: &World, location: &str, from_hours: i64, title: &str) -> Value {
    json!({"project_id": w.project, "location_id": location, "starts_at": in_hours(from_hours),
           "ends_at": in_hours(from_hours + 2), "title": title})
}

/// Waits until `to` has a mail of `template`; returns its subject and text.
fn wait_for_mail(to: &str, template: &str) -> (String, String) {
    let started = Instant::now();
    loop {
        if let Some(m) = mails(to).iter().find(|m| m["template"] == template) {
            return (text(&m["subject"]), text(&m["text"]));
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {template} mail to {to}: {:?}",
            mails(to)
        );
        sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_agency_plans_the_contacts_propose_and_the_staff_stays_private() {
    let w = world();
    let p = &w.planner.api;
    // Who sees which location and project.
    assert_eq!(
        ids(&w.anna.api.get("/v1/locations", 200)),
        [w.in_district.as_str()]
    );
    assert_eq!(
        ids(&w.anna.api.get("/v1/territories", 200)),
        [w.district.as_str()]
    );
    assert_eq!(ids(&w.bert.api.get("/v1/locations", 200)).len(), 2);
    assert_eq!(
        ids(&w.anna.api.get("/v1/projects", 200)),
        [w.project.as_str()]
    );
    w.anna.api.refused(
        Method::GET,
        &format!("/v1/locations/{}", w.in_region),
        None,
        404,
        "not_found",
    );

    // The agency plans one in Kiel (outside Anna's district): confirmed, Anna does not see it.
    let kiel = p.post(
        "/v1/appointments",
        appointment(&w, &w.in_region, 48, "Shelf check"),
        201,
    );
    assert_id(&kiel["id"], "apt_");
    assert_eq!(kiel["status"], "confirmed");
    assert_timestamp(&kiel["created_at"]);
    let kiel = text(&kiel["id"]);
    w.anna.api.refused(
        Method::GET,
        &format!("/v1/appointments/{kiel}"),
        None,
        404,
        "not_found",
    );
    assert!(ids(&w.anna.api.get("/v1/appointments", 200)).is_empty());

    // Anna proposes at her store; the agency's planner is mailed and confirms.
    let proposal = w.anna.api.post(
        "/v1/appointments",
        json!({"project_id": w.project, "location_id": w.in_district,
               "starts_at": in_hours(72), "ends_at": in_hours(74), "title": "Window display",
               "note": "Back door, please"}),
        201,
    );
    assert_eq!(proposal["status"], "proposed");
    assert_eq!(
        proposal["proposed_by"]["name"],
        w.anna.login["user"]["name"]
    );
    let id = text(&proposal["id"]);
    wait_for_event(&w.agency.id, "appointment.proposed", |e| {
        e["data"]["appointment_id"] == id.as_str()
    });
    let (subject, body) = wait_for_mail(&w.planner.email, "appointment_proposed");
    assert!(subject.contains("Window display"), "{subject}");
    assert!(body.contains("Europe/Berlin"), "{body}");
    assert!(mails(&w.clerk.email)
        .iter()
        .all(|m| m["template"] != "appointment_proposed"));
    let confirmed = p.post_empty(&format!("/v1/appointments/{id}/confirm"), 200);
    assert_eq!(confirmed["status"], "confirmed");
    let again = p.post_empty(&format!("/v1/appointments/{id}/confirm"), 200);
    assert_eq!(again["updated_at"], confirmed["updated_at"]);
    p.refused(
        Method::POST,
        &format!("/v1/appointments/{id}/reject"),
        Some(json!({"reason": "late"})),
        409,
        "invalid_transition",
    );
    let (subject, _) = wait_for_mail(&w.anna.email, "appointment_decided");
    assert!(subject.contains("Window display"), "{subject}");
    assert!(mails(&w.bert.email)
        .iter()
        .all(|m| m["template"] != "appointment_decided"));

    // Staff with e-mail and phone: the agency sees them, the customer's side does not.
    let jan = p.post(
        "/v1/staff",
        json!({"name": "Jan Kowalski", "role": "Merchandiser", "email": w.staff_email,
               "phone": STAFF_PHONE}),
        201,
    );
    assert_id(&jan["id"], "stf_");
    let staffed = p.put(
        &format!("/v1/appointments/{id}/staff"),
        json!({"staff_ids": [jan["id"]]}),
        200,
    );
    assert_eq!(staffed["status"], "staffed");
    assert_eq!(staffed["staff"][0]["email"], json!(w.staff_email));
    assert_eq!(staffed["staff"][0]["phone"], STAFF_PHONE);
    wait_for_event(&w.customer.id, "appointment.staffed", |e| {
        e["data"]["appointment_id"] == id.as_str()
    });
    for who in [&w.anna.api, &w.bert.api, w.customer.api()] {
        for path in [
            format!("/v1/appointments/{id}"),
            "/v1/appointments".to_owned(),
            format!("/v1/appointments?project={}", w.project),
        ] {
            let reply = who.send(Method::GET, &path, None);
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            no_contact_data(&path, &reply.text, &w.staff_email);
        }
        let one = who.get(&format!("/v1/appointments/{id}"), 200);
        assert_eq!(
            one["staff"][0],
            json!({"name": "Jan Kowalski", "role": "Merchandiser"})
        );
        let ics = who.send(Method::GET, &format!("/v1/appointments/{id}/ics"), None);
        assert_eq!(ics.status, 200);
        assert!(ics.content_type().starts_with("text/calendar"));
        no_contact_data("the .ics", &ics.text, &w.staff_email);
    }
    for event in tradepost_e2e::events(&w.customer.id) {
        no_contact_data(
            "an event to the customer",
            &event.to_string(),
            &w.staff_email,
        );
    }

    // The feed: no credentials, VEVENT in Berlin time, staff by name and role.
    let feed = w.anna.api.post("/v1/calendar-feeds", json!({}), 201);
    assert_id(&feed["id"], "cal_");
    let url = text(&feed["url"]);
    let path = &url[url.find("/v1/feeds/").expect("a feed path")..];
    let cal = Api::new().send(Method::GET, path, None);
    assert_eq!(cal.status, 200, "{}", cal.text);
    assert_eq!(cal.content_type(), "text/calendar; charset=utf-8");
    let unfolded = cal.text.replace("\r\n ", "");
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 1, "{unfolded}");
    assert!(
        unfolded.contains("DTSTART;TZID=Europe/Berlin:"),
        "{unfolded}"
    );
    assert!(unfolded.contains("BEGIN:VTIMEZONE"));
    assert!(
        unfolded.contains("Jan Kowalski (Merchandiser)"),
        "{unfolded}"
    );
    assert!(!unfolded.contains(&kiel));
    no_contact_data("the feed", &cal.text, &w.staff_email);
    w.anna
        .api
        .delete(&format!("/v1/calendar-feeds/{}", text(&feed["id"])), 204);
    Api::new()
        .send(Method::GET, path, None)
        .expect_problem(404, "not_found");

    // Cancelling before the start; rejecting needs a reason; done once it has started.
    let cancelled = w.bert.api.post(
        &format!("/v1/appointments/{id}/cancel"),
        json!({"reason": "Store closed"}),
        200,
    );
    assert_eq!(cancelled["status"], "cancelled");
    w.bert
        .api
        .post(&format!("/v1/appointments/{id}/cancel"), json!({}), 200);
    wait_for_event(&w.agency.id, "appointment.cancelled", |e| {
        e["data"]["appointment_id"] == id.as_str()
    });
    let second = w.bert.api.post(
        "/v1/appointments",
        appointment(&w, &w.in_region, 96, "Inventory"),
        201,
    );
    let second = text(&second["id"]);
    p.send(
        Method::POST,
        &format!("/v1/appointments/{second}/reject"),
        Some(&json!({})),
    )
    .expect_invalid_field("reason");
    let rejected = p.post(
        &format!("/v1/appointments/{second}/reject"),
        json!({"reason": "No staff that week"}),
        200,
    );
    assert_eq!(rejected["reason"], "No staff that week");
    let (_, body) = wait_for_mail(&w.bert.email, "appointment_decided");
    assert!(body.contains("No staff that week"), "{body}");
    let past = p.post(
        "/v1/appointments",
        appointment(&w, &w.in_region, -3, "Yesterday's visit"),
        201,
    );
    let past = text(&past["id"]);
    p.refused(
        Method::POST,
        &format!("/v1/appointments/{past}/done"),
        None,
        409,
        "invalid_transition",
    );
    p.put(
        &format!("/v1/appointments/{past}/staff"),
        json!({"staff_ids": [jan["id"]]}),
        200,
    );
    w.bert.api.refused(
        Method::POST,
        &format!("/v1/appointments/{past}/cancel"),
        None,
        409,
        "invalid_transition",
    );
    let done = p.post_empty(&format!("/v1/appointments/{past}/done"), 200);
    assert_eq!(done["status"], "done");
    let steps: Vec<String> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| text(&h["status"]))
        .collect();
    assert_eq!(steps, ["confirmed", "staffed", "done"]);

    // Every mail the customer's people got: no staff contact data.
    for person in [&w.anna, &w.bert, &w.customer.admin] {
        for mail in mails(&person.email) {
            no_contact_data("a mail", &mail.to_string(), &w.staff_email);
        }
    }
}

#[test]
fn other_companies_blocked_relationships_and_missing_permissions_are_refused() {
    let w = world();
    let apt = w.planner.api.post(
        "/v1/appointments",
        appointment(&w, &w.in_district, 24, "Shelf check"),
        201,
    );
    let apt = text(&apt["id"]);
    let stranger = Company::signup_confirmed("stranger");
    for path in [
        format!("/v1/projects/{}", w.project),
        format!("/v1/locations/{}", w.in_district),
        format!("/v1/appointments/{apt}"),
        format!("/v1/appointments/{apt}/ics"),
    ] {
        stranger
            .api()
            .refused(Method::GET, &path, None, 404, "not_found");
    }
    for list in [
        "/v1/projects",
        "/v1/locations",
        "/v1/territories",
        "/v1/appointments",
    ] {
        assert!(ids(&stranger.api().get(list, 200)).is_empty(), "{list}");
    }
    stranger.api().refused(
        Method::POST,
        &format!("/v1/appointments/{apt}/cancel"),
        None,
        404,
        "not_found",
    );
    stranger
        .api()
        .send(
            Method::POST,
            "/v1/appointments",
            Some(&appointment(&w, &w.in_district, 24, "X")),
        )
        .expect_invalid_field("project_id");

    // A member of the agency without appointments.manage.
    w.clerk.api.refused(
        Method::POST,
        "/v1/projects",
        Some(json!({"customer": w.customer.handle, "name": "Mine"})),
        403,
        "permission_missing",
    );
    w.clerk.api.refused(
        Method::GET,
        &format!("/v1/appointments/{apt}"),
        None,
        403,
        "permission_missing",
    );
    // A key of the customer without the permission sees nothing; with it, everything.
    let plain = api_key(&w.customer, &[]);
    assert!(ids(&plain.api.get("/v1/appointments", 200)).is_empty());
    let manager = api_key(&w.customer, &["appointments.manage"]);
    assert_eq!(
        ids(&manager.api.get("/v1/appointments", 200)),
        [apt.as_str()]
    );

    // A relationship without the service, and a blocked one.
    let plain_customer = Company::signup_confirmed("plain");
    connect(&plain_customer, &w.agency);
    w.planner.api.refused(
        Method::POST,
        "/v1/projects",
        Some(json!({"customer": plain_customer.handle, "name": "No service"})),
        409,
        "service_not_enabled",
    );
    let blocked = Company::signup_confirmed("blocked");
    connect_blocked(&blocked, &w.agency, &blocked);
    w.planner.api.refused(
        Method::POST,
        "/v1/projects",
        Some(json!({"customer": blocked.handle, "name": "Blocked"})),
        403,
        "relationship_blocked",
    );

    // Bad input names its field.
    let p = &w.planner.api;
    for (path, body, field) in [
        (
            "/v1/projects",
            json!({"customer": w.customer.handle, "name": ""}),
            "name",
        ),
        (
            "/v1/projects",
            json!({"customer": w.customer.handle, "name": "A", "starts_on": "2026-05-02", "ends_on": "2026-05-01"}),
            "ends_on",
        ),
        (
            "/v1/locations",
            json!({"customer": w.customer.handle, "name": "L", "city": "Kiel", "country": "DE", "time_zone": "Mars/Olympus"}),
            "time_zone",
        ),
        (
            "/v1/locations",
            json!({"customer": w.customer.handle, "name": "L", "city": "Kiel", "country": "XX", "time_zone": "UTC"}),
            "country",
        ),
        (
            "/v1/appointments",
            json!({"project_id": w.project, "location_id": w.in_district, "starts_at": in_hours(5), "ends_at": in_hours(4), "title": "T"}),
            "ends_at",
        ),
        (
            &format!("/v1/projects/{}/contacts", w.project),
            json!({"email": "nobody@nowhere.example"}),
            "email",
        ),
    ] {
        p.send(Method::POST, path, Some(&body))
            .expect_invalid_field(field);
    }
}
