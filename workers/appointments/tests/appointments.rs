//! Appointments natively: the appointments worker's route table over SQLite with the real
//! migrations (and the notify worker's queue consumer for the info mails). An agency plans a
//! project for a drugstore chain, with territories, locations and staff; the chain's people see
//! what they are assigned to and propose appointments; nobody else sees any of it, and the
//! staff's contact data never reaches the chain (the end-to-end suite,
//! tests/tests/appointments.rs, runs the same against workerd).

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Duration;
use serde_json::{json, Value};
use shared::data::users::{self, NewUser, UserStatus};
use shared::ids::{CompanyId, SessionId, UserId};
use shared::lang::Language;
use shared::permissions::{Permission, Role};
use shared::platform::{Clock, Settings, Value as Sql};
use shared::relationship::{RelationshipStatus, ServiceState, Services};
use shared::service::Method;
use shared::time::{self, Time};
use shared::token::{AccessClaims, TokenIssuer};
use tradepost_testkit::{block_on, Answer, Stack};

const MANAGE: Permission = Permission::AppointmentsManage;
/// The staff member's contact data: it must never reach the customer's side.
const STAFF_EMAIL: &str = "jan.kowalski@agency.example";
const STAFF_PHONE: &str = "+48 601 234 567";

/// A person of a company on one stack.
#[derive(Clone)]
struct Person {
    id: UserId,
    email: String,
    token: String,
    company: CompanyId,
    role: Role,
    perms: Vec<Permission>,
}

/// An access token of `user` issued now.
fn token(
    s: &Stack,
    user: &UserId,
    company: &CompanyId,
    role: Role,
    perms: &[Permission],
) -> String {
    let at = now(s);
    let session = SessionId::new(at.0).unwrap();
    block_on(
        s.platform()
            .db
            .batch(users::open_session_stmts(&session, user, at)),
    )
    .unwrap();
    let seed = s.settings.get("JWT_SIGNING_KEY").unwrap();
    TokenIssuer::from_seed(&seed, "test")
        .unwrap()
        .issue(
            &AccessClaims {
                sub: user.clone(),
                cid: company.clone(),
                sid: session,
                role,
                perms: perms.to_vec(),
            },
            at.0,
        )
        .unwrap()
}

impl Person {
    /// The same person with a token issued now (after the clock moved on).
    fn again(&self, s: &Stack) -> Person {
        Person {
            token: token(s, &self.id, &self.company, self.role, &self.perms),
            ..self.clone()
        }
    }
}

fn now(s: &Stack) -> Time {
    Time(s.clock.now())
}

fn person(s: &Stack, company: &CompanyId, name: &str, role: Role, perms: &[Permission]) -> Person {
    let at = now(s);
    let user = UserId::new(at.0).unwrap();
    let email = format!("{}@appointments.example", user.as_str());
    block_on(s.platform().db.run_of(users::insert_stmt(&NewUser {
        id: &user,
        company_id: company,
        email: &email,
        name,
        password_hash: None,
        role,
        permissions: perms,
        language: Language::En,
        status: UserStatus::Active,
        now: at,
    })))
    .unwrap();
    Person {
        token: token(s, &user, company, role, perms),
        id: user,
        email,
        company: company.clone(),
        role,
        perms: perms.to_vec(),
    }
}

/// Switches appointments on (or off) in the relationship of two companies.
fn appointments_service(s: &Stack, rel: &str, state: ServiceState) {
    let mut services = Services::default_request().on_approval();
    services.appointments = state;
    s.db.query(
        "UPDATE relationships SET services = ?1 WHERE id = ?2",
        &[
            Sql::Text(services.to_json_string()),
            Sql::Text(rel.to_owned()),
        ],
    )
    .unwrap();
}

fn set_status(s: &Stack, rel: &str, status: &str) {
    s.db.query(
        "UPDATE relationships SET status = ?1, blocked_by = CASE WHEN ?1 = 'blocked' THEN 'requester' END, \
         status_before_block = CASE WHEN ?1 = 'blocked' THEN 'active' END WHERE id = ?2",
        &[Sql::Text(status.to_owned()), Sql::Text(rel.to_owned())],
    )
    .unwrap();
}

/// The agency (supplier) and the drugstore chain (customer) with their people.
struct World {
    agency: CompanyId,
    chain: CompanyId,
    rel: String,
    /// The agency's admin.
    boss: Person,
    /// A planner of the agency holding appointments.manage.
    planner: Person,
    /// A member of the agency without appointments.manage.
    clerk: Person,
    /// The chain's admin.
    chain_admin: Person,
    /// A person of the chain, assigned limited to the district.
    anna: Person,
    /// A person of the chain, assigned without limits.
    bert: Person,
    /// A person of the chain on no project.
    carl: Person,
    /// A company with nothing to do with either.
    stranger: Person,
}

fn world(s: &Stack) -> World {
    let agency = s.seed_company("agency");
    let chain = s.seed_company("chain");
    let other = s.seed_company("stranger");
    let rel = s
        .seed_relationship(
            &agency,
            &chain,
            RelationshipStatus::Active,
            &Default::default(),
        )
        .to_string();
    appointments_service(s, &rel, ServiceState::Enabled);
    World {
        boss: person(s, &agency, "Boss", Role::Admin, &[]),
        planner: person(s, &agency, "Paula Planner", Role::Member, &[MANAGE]),
        clerk: person(s, &agency, "Clerk", Role::Member, &[Permission::Talk]),
        chain_admin: person(s, &chain, "Chain Admin", Role::Admin, &[]),
        anna: person(s, &chain, "Anna Area", Role::Member, &[Permission::Talk]),
        bert: person(s, &chain, "Bert All", Role::Member, &[Permission::Talk]),
        carl: person(s, &chain, "Carl None", Role::Member, &[Permission::Talk]),
        stranger: person(s, &other, "Stranger", Role::Admin, &[]),
        agency,
        chain,
        rel,
    }
}

fn stack() -> Stack {
    Stack::new(&[
        &tradepost_projects::SERVICE,
        &tradepost_appointments::SERVICE,
        &tradepost_notify::SERVICE,
    ])
}

fn call(s: &Stack, method: Method, path: &str, who: &Person, body: Option<Value>) -> Answer {
    let c = s.call(method, path).bearer(&who.token);
    match body {
        Some(b) => c.json(&b).run(),
        None => c.run(),
    }
}

fn get(s: &Stack, path: &str, who: &Person) -> Answer {
    call(s, Method::Get, path, who, None)
}

fn post(s: &Stack, path: &str, who: &Person, body: Value) -> Answer {
    call(s, Method::Post, path, who, Some(body))
}

/// The problem's `code` and `field` after checking the status.
fn refused(a: &Answer, status: u16) -> (String, String) {
    let p = a.expect(status);
    (
        p["code"].as_str().unwrap_or_default().to_owned(),
        p["field"].as_str().unwrap_or_default().to_owned(),
    )
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| text(&v["id"]))
        .collect()
}

fn at(offset_hours: i64, s: &Stack) -> String {
    time::format(s.clock.now() + Duration::hours(offset_hours))
}

/// Whatever the customer's side got must not name the staff's contact data.
fn no_contact_data(what: &str, body: &str) {
    let unfolded = body.replace("\r\n ", "");
    for secret in [STAFF_EMAIL, STAFF_PHONE, "jan.kowalski"] {
        assert!(
            !unfolded.contains(secret),
            "{what} shows the staff's contact data {secret}: {body}"
        );
    }
}

/// The plan of the story: a project, a region with a district, locations in each, a location in
/// no territory, and a second region.
struct Plan {
    project: String,
    region: String,
    district: String,
    other_region: String,
    /// In the district (Europe/Berlin).
    in_district: String,
    /// In the region, outside the district.
    in_region: String,
    in_other_region: String,
    nowhere: String,
}

fn plan(s: &Stack, w: &World) -> Plan {
    let project = post(
        s,
        "/v1/projects",
        &w.planner,
        json!({"customer": "chain", "name": "Spring campaign", "starts_on": "2026-03-01", "ends_on": "2026-06-30"}),
    )
    .expect(201);
    assert_eq!(project["my_role"], "supplier");
    assert_eq!(project["status"], "planned");
    assert_eq!(project["customer"]["handle"], "chain");
    let territory = |name: &str, parent: Option<&str>| {
        text(
            &post(
                s,
                "/v1/territories",
                &w.planner,
                json!({"customer": w.chain.as_str(), "name": name, "parent_id": parent}),
            )
            .expect(201)["id"],
        )
    };
    let region = territory("North", None);
    let district = territory("Hamburg", Some(&region));
    let other_region = territory("South", None);
    let location = |name: &str, territory: Option<&str>| {
        text(
            &post(
                s,
                "/v1/locations",
                &w.planner,
                json!({"customer": "chain", "name": name, "street": "Hauptstr. 1",
                       "postal_code": "20095", "city": "Hamburg", "country": "de",
                       "time_zone": "Europe/Berlin", "territory_id": territory}),
            )
            .expect(201)["id"],
        )
    };
    Plan {
        in_district: location("Store Altona", Some(&district)),
        in_region: location("Store Kiel", Some(&region)),
        in_other_region: location("Store Munich", Some(&other_region)),
        nowhere: location("Warehouse", None),
        project: text(&project["id"]),
        region,
        district,
        other_region,
    }
}

fn appointment_body(p: &Plan, location: &str, starts_in_hours: i64, s: &Stack) -> Value {
    json!({
        "project_id": p.project, "location_id": location,
        "starts_at": at(starts_in_hours, s), "ends_at": at(starts_in_hours + 2, s),
        "title": "Shelf check", "description": "Aisles 3 and 4",
    })
}

/// Hands the queued events to the notify worker's consumer.
fn deliver(s: &Stack) {
    block_on(async {
        loop {
            s.settle().await;
            let sent = s.take_queue();
            if sent.is_empty() {
                return;
            }
            let bodies: Vec<Value> = sent
                .iter()
                .filter_map(|(json, _)| serde_json::from_str(json).ok())
                .collect();
            let acks = tradepost_notify::consumer::handle_batch(&s.platform(), &bodies).await;
            assert!(acks.iter().all(|a| *a));
        }
    });
}

fn mails(s: &Stack, to: &str) -> Vec<(String, String, String)> {
    s.rows(
        "SELECT template, subject, body FROM mails WHERE to_email = ?1 ORDER BY id",
        &[Sql::Text(to.to_owned())],
    )
    .iter()
    .map(|r| {
        let t = |c: &str| match r.get(c) {
            Some(Sql::Text(t)) => t.clone(),
            _ => String::new(),
        };
        (t("template"), t("subject"), t("body"))
    })
    .collect()
}

fn events_of(s: &Stack, kind: &str) -> Vec<Value> {
    s.texts(
        "SELECT data FROM events WHERE type = ?1 ORDER BY id",
        &[Sql::Text(kind.to_owned())],
    )
    .iter()
    .map(|d| serde_json::from_str(d).unwrap())
    .collect()
}

#[test]
fn the_whole_story_of_a_planned_and_a_proposed_appointment() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let contacts = format!("/v1/projects/{}/contacts", p.project);
    let anna = post(
        &s,
        &contacts,
        &w.planner,
        json!({"email": w.anna.email, "territory_ids": [p.district]}),
    )
    .expect(201);
    assert_eq!(anna["user"]["name"], "Anna Area");
    assert_eq!(anna["territories"][0]["name"], "Hamburg");
    post(&s, &contacts, &w.planner, json!({"email": w.bert.email})).expect(201);
    // Assigning again changes the territories: 200.
    let again = post(
        &s,
        &contacts,
        &w.planner,
        json!({"email": w.anna.email, "territory_ids": [p.district]}),
    )
    .expect(200);
    assert_eq!(again["territories"].as_array().unwrap().len(), 1);
    let listed = get(&s, &contacts, &w.planner).expect(200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let listed = get(&s, &contacts, &w.chain_admin).expect(200);
    assert_eq!(listed["data"][0]["user"]["email"], w.anna.email.as_str());
    refused(&get(&s, &contacts, &w.anna), 403);

    // Who sees which project, territory and location.
    for who in [&w.planner, &w.boss, &w.chain_admin, &w.anna, &w.bert] {
        let projects = get(&s, "/v1/projects", who).expect(200);
        assert_eq!(ids(&projects), [p.project.as_str()]);
    }
    let seen = get(&s, &format!("/v1/projects/{}", p.project), &w.anna).expect(200);
    assert_eq!(seen["my_role"], "customer");
    assert_eq!(
        ids(&get(&s, "/v1/projects", &w.carl).expect(200)),
        Vec::<String>::new()
    );
    refused(
        &get(&s, &format!("/v1/projects/{}", p.project), &w.carl),
        404,
    );
    assert_eq!(
        ids(&get(&s, "/v1/locations", &w.anna).expect(200)),
        [p.in_district.as_str()]
    );
    assert_eq!(
        ids(&get(&s, "/v1/territories", &w.anna).expect(200)),
        [p.district.as_str()]
    );
    let mut all = vec![
        p.nowhere.clone(),
        p.in_other_region.clone(),
        p.in_region.clone(),
        p.in_district.clone(),
    ];
    all.sort();
    for who in [&w.bert, &w.chain_admin, &w.planner] {
        let mut seen = ids(&get(&s, "/v1/locations", who).expect(200));
        seen.sort();
        assert_eq!(seen, all);
    }
    let mut in_north = ids(&get(
        &s,
        &format!("/v1/locations?territory={}", p.region),
        &w.planner,
    )
    .expect(200));
    in_north.sort();
    let mut expected = vec![p.in_region.clone(), p.in_district.clone()];
    expected.sort();
    assert_eq!(in_north, expected, "inside the region, however deep");
    assert_eq!(
        ids(&get(
            &s,
            &format!("/v1/territories?customer={}", w.chain),
            &w.bert
        )
        .expect(200))
        .len(),
        3
    );
    refused(
        &get(&s, &format!("/v1/locations/{}", p.in_region), &w.anna),
        404,
    );
    get(&s, &format!("/v1/locations/{}", p.in_district), &w.anna).expect(200);
    assert!(ids(&get(&s, "/v1/locations", &w.carl).expect(200)).is_empty());
    let _ = p.other_region;

    // The agency plans two appointments: confirmed at once.
    let kiel = post(
        &s,
        "/v1/appointments",
        &w.planner,
        appointment_body(&p, &p.in_region, 48, &s),
    )
    .expect(201);
    assert_eq!(kiel["status"], "confirmed");
    assert_eq!(kiel["proposed_by"], Value::Null);
    assert_eq!(kiel["time_zone"], "Europe/Berlin");
    assert_eq!(kiel["history"][0]["status"], "confirmed");
    assert_eq!(kiel["history"][0]["by"], "supplier");
    let kiel = text(&kiel["id"]);
    let altona = post(
        &s,
        "/v1/appointments",
        &w.planner,
        appointment_body(&p, &p.in_district, 72, &s),
    )
    .expect(201);
    let altona = text(&altona["id"]);
    assert_eq!(
        ids(&get(&s, "/v1/appointments", &w.anna).expect(200)),
        [altona.as_str()]
    );
    assert_eq!(
        ids(&get(&s, "/v1/appointments", &w.bert).expect(200)),
        [kiel.clone(), altona.clone()],
        "by start"
    );
    refused(&get(&s, &format!("/v1/appointments/{kiel}"), &w.anna), 404);
    refused(
        &get(&s, &format!("/v1/appointments/{kiel}/ics"), &w.anna),
        404,
    );
    assert!(ids(&get(&s, "/v1/appointments", &w.carl).expect(200)).is_empty());

    // Anna proposes at her store; not at one outside her district.
    let _ = s.take_queue();
    let proposal = post(
        &s,
        "/v1/appointments",
        &w.anna,
        json!({"project_id": p.project, "location_id": p.in_district,
               "starts_at": at(96, &s), "ends_at": at(97, &s), "title": "Window display",
               "note": "Back door, please"}),
    )
    .expect(201);
    assert_eq!(proposal["status"], "proposed");
    assert_eq!(proposal["my_role"], "customer");
    assert_eq!(proposal["proposed_by"]["name"], "Anna Area");
    assert_eq!(proposal["note"], "Back door, please");
    let proposal = text(&proposal["id"]);
    let (_, field) = refused(
        &post(
            &s,
            "/v1/appointments",
            &w.anna,
            appointment_body(&p, &p.in_region, 96, &s),
        ),
        422,
    );
    assert_eq!(field, "location_id");
    let proposed = events_of(&s, "appointment.proposed");
    assert_eq!(proposed.len(), 1);
    assert_eq!(proposed[0]["proposed_by_name"], "Anna Area");
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM events WHERE type = 'appointment.proposed' AND company_id = ?1",
            &[Sql::Text(w.agency.to_string())]
        ),
        1,
        "to the supplier"
    );
    deliver(&s);
    let to_planner = mails(&s, &w.planner.email);
    assert_eq!(to_planner.len(), 1, "{to_planner:?}");
    assert_eq!(to_planner[0].0, "appointment_proposed");
    assert!(to_planner[0].2.contains("Anna Area"), "{}", to_planner[0].2);
    assert!(to_planner[0].2.contains("Europe/Berlin"));
    assert_eq!(
        mails(&s, &w.boss.email).len(),
        1,
        "the admin holds every permission"
    );
    assert!(
        mails(&s, &w.clerk.email).is_empty(),
        "no appointments.manage"
    );

    // The agency confirms; again answers the same; rejecting it now is refused.
    let path = |id: &str, what: &str| format!("/v1/appointments/{id}/{what}");
    let confirmed = post(&s, &path(&proposal, "confirm"), &w.planner, json!({})).expect(200);
    assert_eq!(confirmed["status"], "confirmed");
    let again = post(&s, &path(&proposal, "confirm"), &w.planner, json!({})).expect(200);
    assert_eq!(again["updated_at"], confirmed["updated_at"]);
    assert_eq!(again["history"].as_array().unwrap().len(), 2);
    let p409 = post(
        &s,
        &path(&proposal, "reject"),
        &w.planner,
        json!({"reason": "too late"}),
    )
    .expect(409);
    assert_eq!(p409["code"], "invalid_transition");
    assert!(text(&p409["detail"]).contains("confirmed"), "{p409}");
    refused(
        &post(&s, &path(&proposal, "confirm"), &w.anna, json!({})),
        403,
    );
    refused(
        &post(&s, &path(&proposal, "confirm"), &w.chain_admin, json!({})),
        403,
    );
    let decided = events_of(&s, "appointment.decided");
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["decision"], "confirmed");
    deliver(&s);
    let to_anna = mails(&s, &w.anna.email);
    assert_eq!(to_anna.len(), 1, "{to_anna:?}");
    assert_eq!(to_anna[0].0, "appointment_decided");
    assert!(
        mails(&s, &w.bert.email).is_empty(),
        "only the person who proposed it"
    );
    assert!(mails(&s, &w.chain_admin.email).is_empty());

    // Staff: with e-mail and phone, which only the agency sees.
    let jan = post(
        &s,
        "/v1/staff",
        &w.planner,
        json!({"name": "Jan Kowalski", "role": "Merchandiser", "email": STAFF_EMAIL, "phone": STAFF_PHONE}),
    )
    .expect(201);
    assert_eq!(jan["email"], STAFF_EMAIL);
    let jan = text(&jan["id"]);
    let eva = text(
        &post(
            &s,
            "/v1/staff",
            &w.planner,
            json!({"name": "Eva", "role": "Team lead"}),
        )
        .expect(201)["id"],
    );
    assert_eq!(ids(&get(&s, "/v1/staff", &w.planner).expect(200)).len(), 2);
    get(&s, "/v1/staff", &w.chain_admin).expect(200);
    refused(&get(&s, "/v1/staff", &w.anna), 403);
    let staffed = call(
        &s,
        Method::Put,
        &path(&proposal, "staff"),
        &w.planner,
        Some(json!({"staff_ids": [jan, eva]})),
    )
    .expect(200);
    assert_eq!(staffed["status"], "staffed");
    assert_eq!(staffed["staff"][0]["email"], STAFF_EMAIL);
    assert_eq!(staffed["staff"][0]["phone"], STAFF_PHONE);
    assert_eq!(staffed["staff"][1]["name"], "Eva");
    let same = call(
        &s,
        Method::Put,
        &path(&proposal, "staff"),
        &w.planner,
        Some(json!({"staff_ids": [jan, eva]})),
    )
    .expect(200);
    assert_eq!(
        same["updated_at"], staffed["updated_at"],
        "the same list changes nothing"
    );
    let staffed_events = events_of(&s, "appointment.staffed");
    assert_eq!(staffed_events.len(), 1);
    assert_eq!(
        staffed_events[0]["staff"][0],
        json!({"name": "Jan Kowalski", "role": "Merchandiser"})
    );
    for e in s.texts(
        "SELECT data FROM events WHERE company_id = ?1",
        &[Sql::Text(w.chain.to_string())],
    ) {
        no_contact_data("an event to the customer", &e);
    }
    call(
        &s,
        Method::Put,
        &path(&altona, "staff"),
        &w.planner,
        Some(json!({"staff_ids": [jan]})),
    )
    .expect(200);

    // Every answer to the customer's side: staff by name and role only.
    for who in [&w.anna, &w.bert, &w.chain_admin] {
        for target in [
            format!("/v1/appointments/{proposal}"),
            "/v1/appointments".to_owned(),
            format!("/v1/appointments?project={}", p.project),
            format!("/v1/appointments/{proposal}/ics"),
        ] {
            let a = get(&s, &target, who);
            assert_eq!(a.status, 200, "{target}");
            no_contact_data(&target, &String::from_utf8_lossy(&a.body));
        }
        let one = get(&s, &format!("/v1/appointments/{proposal}"), who).json();
        assert_eq!(
            one["staff"][0],
            json!({"name": "Jan Kowalski", "role": "Merchandiser"})
        );
    }
    let chain_key = s.seed_api_key(&w.chain, &[MANAGE]);
    let by_key = s
        .get("/v1/appointments")
        .bearer(&chain_key)
        .run()
        .expect(200);
    assert_eq!(
        by_key["data"].as_array().unwrap().len(),
        3,
        "the chain's key sees all"
    );
    no_contact_data("the chain's key", &by_key.to_string());
    // An API key of the customer does not propose.
    let (code, _) = refused(
        &s.post("/v1/appointments")
            .bearer(&chain_key)
            .json(&appointment_body(&p, &p.in_district, 100, &s))
            .run(),
        403,
    );
    assert_eq!(code, "user_required");
    let on_supplier = get(&s, &format!("/v1/appointments/{proposal}"), &w.planner).expect(200);
    assert_eq!(on_supplier["staff"][0]["email"], STAFF_EMAIL);

    // Cancelling: either side, before the start; once cancelled, again answers the same.
    let cancelled = post(
        &s,
        &path(&altona, "cancel"),
        &w.anna,
        json!({"reason": "Store closed that day"}),
    )
    .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["reason"], "Store closed that day");
    let again = call(&s, Method::Post, &path(&altona, "cancel"), &w.anna, None).expect(200);
    assert_eq!(again["updated_at"], cancelled["updated_at"]);
    let to_agency = events_of(&s, "appointment.cancelled");
    assert_eq!(to_agency.len(), 1);
    assert_eq!(to_agency[0]["cancelled_by"], "customer");
    refused(
        &call(
            &s,
            Method::Put,
            &path(&altona, "staff"),
            &w.planner,
            Some(json!({"staff_ids": [jan]})),
        ),
        409,
    );

    // Rejecting needs a reason.
    let second = post(
        &s,
        "/v1/appointments",
        &w.bert,
        appointment_body(&p, &p.in_region, 120, &s),
    )
    .expect(201);
    let second = text(&second["id"]);
    let (_, field) = refused(
        &post(&s, &path(&second, "reject"), &w.planner, json!({})),
        422,
    );
    assert_eq!(field, "reason");
    let (_, field) = refused(
        &post(
            &s,
            &path(&second, "reject"),
            &w.planner,
            json!({"reason": "  "}),
        ),
        422,
    );
    assert_eq!(field, "reason");
    let rejected = post(
        &s,
        &path(&second, "reject"),
        &w.planner,
        json!({"reason": "No staff that week"}),
    )
    .expect(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "No staff that week");
    post(
        &s,
        &path(&second, "reject"),
        &w.planner,
        json!({"reason": "again"}),
    )
    .expect(200);
    refused(&post(&s, &path(&second, "cancel"), &w.bert, json!({})), 409);
    deliver(&s);
    let to_bert = mails(&s, &w.bert.email);
    assert_eq!(to_bert.len(), 1);
    assert!(
        to_bert[0].2.contains("No staff that week"),
        "{}",
        to_bert[0].2
    );

    // Done only once started; cancelling only before.
    let (code, _) = refused(
        &post(&s, &path(&proposal, "done"), &w.planner, json!({})),
        409,
    );
    assert_eq!(code, "invalid_transition");
    refused(&post(&s, &path(&kiel, "done"), &w.planner, json!({})), 409);
    s.clock.advance(Duration::hours(97));
    let (anna, planner) = (w.anna.again(&s), w.planner.again(&s));
    let (code, _) = refused(&post(&s, &path(&proposal, "cancel"), &anna, json!({})), 409);
    assert_eq!(code, "invalid_transition");
    let done = post(&s, &path(&proposal, "done"), &planner, json!({})).expect(200);
    assert_eq!(done["status"], "done");
    post(&s, &path(&proposal, "done"), &planner, json!({})).expect(200);
    let history: Vec<String> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| text(&h["status"]))
        .collect();
    assert_eq!(history, ["proposed", "confirmed", "staffed", "done"]);
    assert_eq!(done["history"][0]["person"]["name"], "Anna Area");
    assert_eq!(done["history"][0]["by"], "customer");

    // Every mail the customer's people got: no staff contact data.
    deliver(&s);
    for who in [&w.anna, &w.bert, &w.carl, &w.chain_admin] {
        for (template, subject, body) in mails(&s, &who.email) {
            no_contact_data(&template, &format!("{subject}\n{body}"));
        }
    }
}

#[test]
fn a_calendar_feed_shows_what_its_person_sees_until_revoked() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let contacts = format!("/v1/projects/{}/contacts", p.project);
    post(
        &s,
        &contacts,
        &w.planner,
        json!({"email": w.anna.email, "territory_ids": [p.region]}),
    )
    .expect(201);
    let jan = text(
        &post(
            &s,
            "/v1/staff",
            &w.planner,
            json!({"name": "Jan Kowalski", "role": "Merchandiser", "email": STAFF_EMAIL, "phone": STAFF_PHONE}),
        )
        .expect(201)["id"],
    );
    let seen = text(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_district, 24, &s),
        )
        .expect(201)["id"],
    );
    call(
        &s,
        Method::Put,
        &format!("/v1/appointments/{seen}/staff"),
        &w.planner,
        Some(json!({"staff_ids": [jan]})),
    )
    .expect(200);
    let unseen = text(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_other_region, 30, &s),
        )
        .expect(201)["id"],
    );

    let feed = post(&s, "/v1/calendar-feeds", &w.anna, json!({})).expect(201);
    let url = text(&feed["url"]);
    assert!(
        url.starts_with("http://tradepost.test/v1/feeds/cf_"),
        "{url}"
    );
    assert!(url.ends_with("/calendar.ics"));
    let path = url.trim_start_matches("http://tradepost.test").to_owned();
    let listed = get(&s, "/v1/calendar-feeds", &w.anna).expect(200);
    assert_eq!(ids(&listed), [text(&feed["id"])]);
    assert!(
        listed.to_string().find("cf_").is_none(),
        "no token in the list"
    );
    assert!(ids(&get(&s, "/v1/calendar-feeds", &w.bert).expect(200)).is_empty());

    let cal = s.get(&path).run();
    assert_eq!(cal.status, 200, "{}", String::from_utf8_lossy(&cal.body));
    assert_eq!(
        cal.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let body = String::from_utf8_lossy(&cal.body).replace("\r\n ", "");
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1, "{body}");
    assert!(body.contains(&format!("UID:{seen}@tradepost")));
    assert!(!body.contains(&unseen));
    assert!(body.contains("TZID:Europe/Berlin"));
    assert!(body.contains("Jan Kowalski (Merchandiser)"), "{body}");
    no_contact_data("the feed", &body);
    // The agency's planner's feed shows both, names and roles only as well.
    let planner_feed = post(&s, "/v1/calendar-feeds", &w.planner, json!({})).expect(201);
    let planner_path = text(&planner_feed["url"])
        .trim_start_matches("http://tradepost.test")
        .to_owned();
    let planner_cal =
        String::from_utf8_lossy(&s.get(&planner_path).run().body).replace("\r\n ", "");
    assert_eq!(planner_cal.matches("BEGIN:VEVENT").count(), 2);

    // An API key has no feed; a made-up token, a revoked feed, a disabled person: 404.
    let key = s.seed_api_key(&w.chain, &[MANAGE]);
    refused(&s.post("/v1/calendar-feeds").bearer(&key).run(), 403);
    refused(&s.get("/v1/feeds/cf_nonsense/calendar.ics").run(), 404);
    refused(
        &s.get(&format!("/v1/feeds/cf_{}/calendar.ics", "A".repeat(43)))
            .run(),
        404,
    );
    refused(
        &call(
            &s,
            Method::Delete,
            &format!("/v1/calendar-feeds/{}", text(&feed["id"])),
            &w.bert,
            None,
        ),
        404,
    );
    call(
        &s,
        Method::Delete,
        &format!("/v1/calendar-feeds/{}", text(&feed["id"])),
        &w.anna,
        None,
    )
    .expect(204);
    call(
        &s,
        Method::Delete,
        &format!("/v1/calendar-feeds/{}", text(&feed["id"])),
        &w.anna,
        None,
    )
    .expect(204);
    refused(&s.get(&path).run(), 404);
    assert!(ids(&get(&s, "/v1/calendar-feeds", &w.anna).expect(200)).is_empty());
    s.get(&planner_path).run().expect(200);
    s.db.query(
        "UPDATE users SET status = 'disabled' WHERE id = ?1",
        &[Sql::Text(w.planner.id.to_string())],
    )
    .unwrap();
    refused(&s.get(&planner_path).run(), 404);
}

#[test]
fn an_ics_keeps_the_local_hour_across_the_summer_time_change() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    // The clock of the story stands before the change.
    s.clock
        .advance(time::parse("t", "2026-03-20T00:00:00Z").unwrap() - s.clock.now());
    let planner = w.planner.again(&s);
    let make = |starts: &str, ends: &str| {
        text(
            &post(
                &s,
                "/v1/appointments",
                &planner,
                json!({"project_id": p.project, "location_id": p.in_district,
                       "starts_at": starts, "ends_at": ends, "title": "Inventory; aisles 3,4"}),
            )
            .expect(201)["id"],
        )
    };
    let after = make("2026-03-29T08:00:00Z", "2026-03-29T10:00:00Z");
    let before = make("2026-03-28T08:00:00Z", "2026-03-28T10:00:00Z");
    let ics = |id: &str| {
        let a = get(&s, &format!("/v1/appointments/{id}/ics"), &planner);
        assert_eq!(a.status, 200);
        assert_eq!(
            a.header("content-type"),
            Some("text/calendar; charset=utf-8")
        );
        String::from_utf8_lossy(&a.body).replace("\r\n ", "")
    };
    let summer = ics(&after);
    assert!(
        summer.contains("DTSTART;TZID=Europe/Berlin:20260329T100000"),
        "{summer}"
    );
    assert!(summer.contains("DTEND;TZID=Europe/Berlin:20260329T120000"));
    assert!(summer.contains("BEGIN:VTIMEZONE"));
    assert!(summer.contains("SUMMARY:Inventory\\; aisles 3\\,4"));
    assert!(summer.contains("STATUS:CONFIRMED"));
    assert_eq!(summer.matches("BEGIN:VEVENT").count(), 1);
    let winter = ics(&before);
    assert!(
        winter.contains("DTSTART;TZID=Europe/Berlin:20260328T090000"),
        "{winter}"
    );
    // A cancelled one is CANCELLED, with a higher SEQUENCE.
    post(
        &s,
        &format!("/v1/appointments/{after}/cancel"),
        &planner,
        json!({}),
    )
    .expect(200);
    let gone = ics(&after);
    assert!(gone.contains("STATUS:CANCELLED"));
    assert!(gone.contains("SEQUENCE:1"));
}

#[test]
fn other_companies_see_nothing_and_the_relationship_decides() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let apt = text(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_district, 24, &s),
        )
        .expect(201)["id"],
    );
    // A company with nothing to do with it: 404 for each, nothing in the lists.
    for target in [
        format!("/v1/projects/{}", p.project),
        format!("/v1/locations/{}", p.in_district),
        format!("/v1/appointments/{apt}"),
        format!("/v1/appointments/{apt}/ics"),
    ] {
        refused(&get(&s, &target, &w.stranger), 404);
    }
    for list in [
        "/v1/projects",
        "/v1/locations",
        "/v1/territories",
        "/v1/appointments",
    ] {
        assert!(
            ids(&get(&s, list, &w.stranger).expect(200)).is_empty(),
            "{list}"
        );
    }
    refused(
        &post(
            &s,
            &format!("/v1/appointments/{apt}/cancel"),
            &w.stranger,
            json!({}),
        ),
        404,
    );
    refused(
        &post(
            &s,
            &format!("/v1/appointments/{apt}/confirm"),
            &w.stranger,
            json!({}),
        ),
        404,
    );
    refused(
        &call(
            &s,
            Method::Patch,
            &format!("/v1/projects/{}", p.project),
            &w.stranger,
            Some(json!({"name": "Mine"})),
        ),
        404,
    );
    let (_, field) = refused(
        &post(
            &s,
            "/v1/appointments",
            &w.stranger,
            appointment_body(&p, &p.in_district, 24, &s),
        ),
        422,
    );
    assert_eq!(field, "project_id");
    // The stranger is no customer of the agency: no project for it, nor by it for the chain.
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.planner,
            json!({"customer": "stranger", "name": "X"}),
        ),
        409,
    );
    assert_eq!(code, "relationship_not_active");
    // The customer cannot plan for its supplier.
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.chain_admin,
            json!({"customer": "agency", "name": "X"}),
        ),
        403,
    );
    assert_eq!(code, "supplier_only");

    // A member of the agency without appointments.manage: 403 on the agency's rows.
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.clerk,
            json!({"customer": "chain", "name": "Y"}),
        ),
        403,
    );
    assert_eq!(code, "permission_missing");
    refused(
        &get(&s, &format!("/v1/projects/{}", p.project), &w.clerk),
        403,
    );
    refused(&get(&s, &format!("/v1/appointments/{apt}"), &w.clerk), 403);
    refused(&get(&s, "/v1/staff", &w.clerk), 403);
    assert!(ids(&get(&s, "/v1/projects", &w.clerk).expect(200)).is_empty());
    refused(
        &post(
            &s,
            "/v1/appointments",
            &w.clerk,
            appointment_body(&p, &p.in_district, 24, &s),
        ),
        403,
    );
    // An API key of the customer without the permission sees nothing.
    let plain_key = s.seed_api_key(&w.chain, &[]);
    assert!(ids(&s.get("/v1/projects").bearer(&plain_key).run().expect(200)).is_empty());

    // Without the appointments service: 409 on creating, the rows stay visible.
    appointments_service(&s, &w.rel, ServiceState::Inactive);
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.planner,
            json!({"customer": "chain", "name": "Z"}),
        ),
        409,
    );
    assert_eq!(code, "service_not_enabled");
    let (code, _) = refused(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_district, 24, &s),
        ),
        409,
    );
    assert_eq!(code, "service_not_enabled");
    get(&s, &format!("/v1/projects/{}", p.project), &w.chain_admin).expect(200);
    appointments_service(&s, &w.rel, ServiceState::Enabled);

    // A blocked relationship: the customer's side sees nothing, the supplier cannot plan.
    set_status(&s, &w.rel, "blocked");
    refused(
        &get(&s, &format!("/v1/projects/{}", p.project), &w.chain_admin),
        404,
    );
    refused(
        &get(&s, &format!("/v1/appointments/{apt}"), &w.chain_admin),
        404,
    );
    assert!(ids(&get(&s, "/v1/appointments", &w.chain_admin).expect(200)).is_empty());
    assert!(ids(&get(&s, "/v1/locations", &w.chain_admin).expect(200)).is_empty());
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.planner,
            json!({"customer": "chain", "name": "Z"}),
        ),
        403,
    );
    assert_eq!(code, "relationship_blocked");
    let (code, _) = refused(
        &post(
            &s,
            &format!("/v1/appointments/{apt}/cancel"),
            &w.planner,
            json!({}),
        ),
        403,
    );
    assert_eq!(code, "relationship_blocked");
    get(&s, &format!("/v1/projects/{}", p.project), &w.planner).expect(200);
    set_status(&s, &w.rel, "active");
    get(&s, &format!("/v1/projects/{}", p.project), &w.chain_admin).expect(200);
}

#[test]
fn bad_input_names_its_field() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let other = s.seed_company("other-chain");
    let other_rel = s
        .seed_relationship(
            &w.agency,
            &other,
            RelationshipStatus::Active,
            &Default::default(),
        )
        .to_string();
    appointments_service(&s, &other_rel, ServiceState::Enabled);
    let foreign_territory = text(
        &post(
            &s,
            "/v1/territories",
            &w.planner,
            json!({"customer": "other-chain", "name": "West"}),
        )
        .expect(201)["id"],
    );
    let other_supplier = s.seed_company("rival");
    let rival = person(&s, &other_supplier, "Rival", Role::Admin, &[]);
    let rival_staff = text(
        &post(
            &s,
            "/v1/staff",
            &rival,
            json!({"name": "Not yours", "role": "Spy"}),
        )
        .expect(201)["id"],
    );
    let apt = text(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_district, 24, &s),
        )
        .expect(201)["id"],
    );
    let starts = at(24, &s);
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "chain", "name": ""}),
            "name",
        ),
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "chain", "name": "x".repeat(201)}),
            "name",
        ),
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "nobody-here", "name": "A"}),
            "customer",
        ),
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "chain", "name": "A", "starts_on": "01.03.2026"}),
            "starts_on",
        ),
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "chain", "name": "A", "starts_on": "2026-03-02", "ends_on": "2026-03-01"}),
            "ends_on",
        ),
        (
            Method::Post,
            "/v1/projects".into(),
            json!({"customer": "chain", "name": "A", "status": "paused"}),
            "status",
        ),
        (
            Method::Patch,
            format!("/v1/projects/{}", p.project),
            json!({"ends_on": "2026-02-01"}),
            "ends_on",
        ),
        (
            Method::Post,
            format!("/v1/projects/{}/contacts", p.project),
            json!({"email": "nobody@chain.example"}),
            "email",
        ),
        (
            Method::Post,
            format!("/v1/projects/{}/contacts", p.project),
            json!({"email": "not an address"}),
            "email",
        ),
        (
            Method::Post,
            format!("/v1/projects/{}/contacts", p.project),
            json!({"email": w.anna.email, "territory_ids": [p.region, foreign_territory]}),
            "territory_ids[1]",
        ),
        (
            Method::Post,
            format!("/v1/projects/{}/contacts", p.project),
            json!({"email": w.anna.email, "territory_ids": ["ter_x"]}),
            "territory_ids[0]",
        ),
        // A person of the supplier is no contact of the customer's.
        (
            Method::Post,
            format!("/v1/projects/{}/contacts", p.project),
            json!({"email": w.clerk.email}),
            "email",
        ),
        (
            Method::Post,
            "/v1/territories".into(),
            json!({"customer": "chain", "name": "Y", "parent_id": foreign_territory}),
            "parent_id",
        ),
        (
            Method::Post,
            "/v1/locations".into(),
            json!({"customer": "chain", "name": "L", "city": "Kiel", "country": "XX", "time_zone": "Europe/Berlin"}),
            "country",
        ),
        (
            Method::Post,
            "/v1/locations".into(),
            json!({"customer": "chain", "name": "L", "city": "Kiel", "country": "DE", "time_zone": "Mars/Olympus"}),
            "time_zone",
        ),
        (
            Method::Post,
            "/v1/locations".into(),
            json!({"customer": "chain", "name": "L", "city": "", "country": "DE", "time_zone": "UTC"}),
            "city",
        ),
        (
            Method::Post,
            "/v1/locations".into(),
            json!({"customer": "chain", "name": "L", "city": "Kiel", "country": "DE", "time_zone": "UTC", "territory_id": foreign_territory}),
            "territory_id",
        ),
        (
            Method::Patch,
            format!("/v1/locations/{}", p.in_district),
            json!({"territory_id": foreign_territory}),
            "territory_id",
        ),
        (
            Method::Patch,
            format!("/v1/locations/{}", p.in_district),
            json!({"time_zone": "Europe/Atlantis"}),
            "time_zone",
        ),
        (
            Method::Post,
            "/v1/staff".into(),
            json!({"name": "S", "role": "R", "email": "nope"}),
            "email",
        ),
        (
            Method::Post,
            "/v1/staff".into(),
            json!({"name": "S", "role": "R", "phone": "call me"}),
            "phone",
        ),
        (
            Method::Post,
            "/v1/staff".into(),
            json!({"name": "S", "role": ""}),
            "role",
        ),
        (
            Method::Post,
            "/v1/staff".into(),
            json!({"name": "S", "role": "R", "user_id": w.anna.id}),
            "user_id",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "location_id": p.in_district, "starts_at": starts, "ends_at": starts, "title": "T"}),
            "ends_at",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "location_id": p.in_district, "starts_at": starts, "ends_at": at(24 + 24 * 15, &s), "title": "T"}),
            "ends_at",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "location_id": p.in_district, "starts_at": "tomorrow", "ends_at": starts, "title": "T"}),
            "starts_at",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "location_id": p.in_district, "starts_at": starts, "ends_at": at(25, &s), "title": ""}),
            "title",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": "prj_x", "location_id": p.in_district, "starts_at": starts, "ends_at": at(25, &s), "title": "T"}),
            "project_id",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "location_id": "loc_x", "starts_at": starts, "ends_at": at(25, &s), "title": "T"}),
            "location_id",
        ),
        (
            Method::Post,
            "/v1/appointments".into(),
            json!({"project_id": p.project, "starts_at": starts, "ends_at": at(25, &s), "title": "T"}),
            "location_id",
        ),
        (
            Method::Put,
            format!("/v1/appointments/{apt}/staff"),
            json!({"staff_ids": []}),
            "staff_ids",
        ),
        (
            Method::Put,
            format!("/v1/appointments/{apt}/staff"),
            json!({"staff_ids": [rival_staff]}),
            "staff_ids[0]",
        ),
        (
            Method::Put,
            format!("/v1/appointments/{apt}/staff"),
            json!({"staff_ids": ["stf_nope"]}),
            "staff_ids[0]",
        ),
    ];
    for (method, path, body, field) in cases {
        let a = call(&s, method, &path, &w.planner, Some(body.clone()));
        let (code, got) = refused(&a, 422);
        assert_eq!(got, field, "{} {path} {body}: {code}", method.as_str());
    }
    // A proposal in the past.
    post(
        &s,
        &format!("/v1/projects/{}/contacts", p.project),
        &w.planner,
        json!({"email": w.bert.email}),
    )
    .expect(201);
    let (_, field) = refused(
        &post(
            &s,
            "/v1/appointments",
            &w.bert,
            appointment_body(&p, &p.in_district, -2, &s),
        ),
        422,
    );
    assert_eq!(field, "starts_at");
    for (query, field) in [
        ("/v1/projects?status=paused", "status"),
        ("/v1/appointments?status=maybe", "status"),
        ("/v1/appointments?from=yesterday", "from"),
        ("/v1/appointments?project=prj_1", "project"),
        ("/v1/appointments?cursor=zzz", "cursor"),
        ("/v1/locations?territory=x", "territory"),
        ("/v1/appointments?limit=0", "limit"),
    ] {
        let (_, got) = refused(&get(&s, query, &w.planner), 422);
        assert_eq!(got, field, "{query}");
    }
    // Names are unique per customer: a create sent again answers 409.
    let (code, _) = refused(
        &post(
            &s,
            "/v1/projects",
            &w.planner,
            json!({"customer": "chain", "name": "Spring campaign"}),
        ),
        409,
    );
    assert_eq!(code, "name_taken");
    let (code, _) = refused(
        &post(
            &s,
            "/v1/territories",
            &w.planner,
            json!({"customer": "chain", "name": "North"}),
        ),
        409,
    );
    assert_eq!(code, "name_taken");
}

#[test]
fn lists_page_by_start_and_creates_replay_their_idempotency_key() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let mut made = Vec::new();
    for hours in [50, 10, 30, 20, 40] {
        made.push((
            hours,
            text(
                &post(
                    &s,
                    "/v1/appointments",
                    &w.planner,
                    appointment_body(&p, &p.in_district, hours, &s),
                )
                .expect(201)["id"],
            ),
        ));
    }
    made.sort();
    let mut seen = Vec::new();
    let mut target = "/v1/appointments?limit=2".to_owned();
    loop {
        let page = get(&s, &target, &w.planner).expect(200);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => target = format!("/v1/appointments?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        made.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>()
    );
    let window = get(
        &s,
        &format!("/v1/appointments?from={}&to={}", at(15, &s), at(35, &s)).replace('+', "%2B"),
        &w.planner,
    )
    .expect(200);
    assert_eq!(ids(&window), [made[1].1.clone(), made[2].1.clone()]);

    let body = appointment_body(&p, &p.in_district, 60, &s);
    let first = s
        .post("/v1/appointments")
        .bearer(&w.planner.token)
        .header("idempotency-key", "apt-1")
        .json(&body)
        .run()
        .expect(201);
    let again = s
        .post("/v1/appointments")
        .bearer(&w.planner.token)
        .header("idempotency-key", "apt-1")
        .json(&body)
        .run();
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect(200)["id"], first["id"]);
    let mut other = body.clone();
    other["title"] = json!("Something else");
    let (code, _) = refused(
        &s.post("/v1/appointments")
            .bearer(&w.planner.token)
            .header("idempotency-key", "apt-1")
            .json(&other)
            .run(),
        409,
    );
    assert_eq!(code, "idempotency_key_reused");
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM appointments WHERE idempotency_key = 'apt-1'",
            &[]
        ),
        1
    );

    // Patching a project and a location.
    let patched = call(
        &s,
        Method::Patch,
        &format!("/v1/projects/{}", p.project),
        &w.planner,
        Some(json!({"status": "active", "description": "Shelves", "ends_on": null})),
    )
    .expect(200);
    assert_eq!(patched["status"], "active");
    assert_eq!(patched["ends_on"], Value::Null);
    assert_eq!(patched["starts_on"], "2026-03-01");
    refused(
        &call(
            &s,
            Method::Patch,
            &format!("/v1/projects/{}", p.project),
            &w.chain_admin,
            Some(json!({"name": "Ours"})),
        ),
        403,
    );
    let moved = call(
        &s,
        Method::Patch,
        &format!("/v1/locations/{}", p.in_region),
        &w.planner,
        Some(json!({"territory_id": p.district, "street": null, "time_zone": "Europe/Warsaw"})),
    )
    .expect(200);
    assert_eq!(moved["territory_id"], p.district.as_str());
    assert_eq!(moved["street"], Value::Null);
    assert_eq!(moved["time_zone"], "Europe/Warsaw");
    // A closed project takes no more appointments.
    call(
        &s,
        Method::Patch,
        &format!("/v1/projects/{}", p.project),
        &w.planner,
        Some(json!({"status": "completed"})),
    )
    .expect(200);
    let (code, _) = refused(
        &post(
            &s,
            "/v1/appointments",
            &w.planner,
            appointment_body(&p, &p.in_district, 70, &s),
        ),
        409,
    );
    assert_eq!(code, "project_closed");
    // Taking a contact off.
    let contacts = format!("/v1/projects/{}/contacts", p.project);
    post(&s, &contacts, &w.planner, json!({"email": w.anna.email})).expect(201);
    assert_eq!(ids(&get(&s, "/v1/projects", &w.anna).expect(200)).len(), 1);
    call(
        &s,
        Method::Delete,
        &format!("{contacts}/{}", w.anna.id),
        &w.planner,
        None,
    )
    .expect(204);
    call(
        &s,
        Method::Delete,
        &format!("{contacts}/{}", w.anna.id),
        &w.planner,
        None,
    )
    .expect(204);
    assert!(ids(&get(&s, "/v1/projects", &w.anna).expect(200)).is_empty());
    refused(
        &call(
            &s,
            Method::Delete,
            &format!("{contacts}/{}", w.anna.id),
            &w.chain_admin,
            None,
        ),
        403,
    );
}

/// The database round trips an answer says it took (`Server-Timing`).
fn trips(a: &Answer) -> u32 {
    let timing = a.header("server-timing").unwrap_or_default();
    timing
        .split('"')
        .nth(1)
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no round trips in {timing:?}"))
}

#[test]
fn every_answer_takes_at_most_two_round_trips() {
    let s = stack();
    let w = world(&s);
    let p = plan(&s, &w);
    let contacts = format!("/v1/projects/{}/contacts", p.project);
    let mut checks: Vec<(String, Answer)> = Vec::new();
    let mut check = |what: &str, a: Answer| {
        assert!(
            a.status < 300,
            "{what}: {}",
            String::from_utf8_lossy(&a.body)
        );
        checks.push((what.to_owned(), a));
    };
    check(
        "POST /v1/projects",
        post(
            &s,
            "/v1/projects",
            &w.planner,
            json!({"customer": "chain", "name": "Second"}),
        ),
    );
    check(
        "POST /v1/territories",
        post(
            &s,
            "/v1/territories",
            &w.planner,
            json!({"customer": "chain", "name": "East"}),
        ),
    );
    check(
        "POST /v1/locations",
        post(
            &s,
            "/v1/locations",
            &w.planner,
            json!({"customer": "chain", "name": "Depot", "city": "Kiel", "country": "DE", "time_zone": "UTC"}),
        ),
    );
    check(
        "POST contacts",
        post(
            &s,
            &contacts,
            &w.planner,
            json!({"email": w.anna.email, "territory_ids": [p.district]}),
        ),
    );
    check("GET contacts", get(&s, &contacts, &w.planner));
    let staff = post(
        &s,
        "/v1/staff",
        &w.planner,
        json!({"name": "Jan", "role": "Merchandiser"}),
    );
    let jan = text(&staff.json()["id"]);
    check("POST /v1/staff", staff);
    let proposal = post(
        &s,
        "/v1/appointments",
        &w.anna,
        appointment_body(&p, &p.in_district, 24, &s),
    );
    let id = text(&proposal.json()["id"]);
    check("POST /v1/appointments (a proposal)", proposal);
    check("GET /v1/appointments", get(&s, "/v1/appointments", &w.anna));
    check(
        "GET /v1/appointments/{id}",
        get(&s, &format!("/v1/appointments/{id}"), &w.anna),
    );
    check("GET /v1/projects", get(&s, "/v1/projects", &w.anna));
    check("GET /v1/locations", get(&s, "/v1/locations", &w.anna));
    check(
        "confirm",
        post(
            &s,
            &format!("/v1/appointments/{id}/confirm"),
            &w.planner,
            json!({}),
        ),
    );
    check(
        "staff",
        call(
            &s,
            Method::Put,
            &format!("/v1/appointments/{id}/staff"),
            &w.planner,
            Some(json!({"staff_ids": [jan]})),
        ),
    );
    check(
        "cancel",
        post(
            &s,
            &format!("/v1/appointments/{id}/cancel"),
            &w.anna,
            json!({}),
        ),
    );
    let feed = post(&s, "/v1/calendar-feeds", &w.anna, json!({}));
    let url = text(&feed.json()["url"]);
    check("POST /v1/calendar-feeds", feed);
    check(
        "GET the feed",
        s.get(url.trim_start_matches("http://tradepost.test")).run(),
    );
    for (what, a) in &checks {
        assert!(trips(a) <= 2, "{what} took {} round trips", trips(a));
    }
}
