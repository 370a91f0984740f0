//! `/v1/relationships`: requests from either side, decisions, blocking, services per
//! relationship, the supplier's own settings on each customer, and inviting a customer company
//! by e-mail. The rules themselves live in `shared::relationship`; this module stores them.

use std::collections::BTreeMap;

use serde_json::json;
use shared::data::documents;
use shared::data::invitations::{self, NewInvitation};
use shared::data::links::LinkKind;
use shared::data::relationships::{self, NewRelationship, RelationshipRow};
use shared::data::{companies, events, users};
use shared::document::DocumentStatus;
use shared::event::Event;
use shared::ids::{CompanyId, DocumentId, InvitationId, RelationshipId};
use shared::mail::Template;
use shared::permissions::Principal;
use shared::platform::Statement;
use shared::relationship::{
    self, Action, PartyRole, RelationshipStatus, Service, ServiceState, Services, Settings,
};
use shared::service::mailer;
use shared::service::{Cx, Page, Reply};
use shared::time::Time;
use shared::{validate, Error, Result};

use crate::api::{
    InvitationIn, InvitationOut, RejectIn, RelationshipIn, RelationshipList, RelationshipOut,
    RelationshipPatch, RelationshipQuery,
};

/// The relationship named by the path, if the caller's company is a party to it; 404 otherwise.
async fn load(cx: &Cx, me: &Principal) -> Result<RelationshipRow> {
    let id = RelationshipId::parse(cx.param("id"))?;
    find(cx, me, &id).await
}

async fn find(cx: &Cx, me: &Principal, id: &RelationshipId) -> Result<RelationshipRow> {
    relationships::load(&cx.db, &me.company_id, id)
        .await?
        .ok_or(Error::not_found("relationship"))
}

/// `GET /v1/relationships?status=`.
pub async fn list_relationships(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q: RelationshipQuery = cx.query_as()?;
    let status = q
        .status
        .map(|s| RelationshipStatus::parse("status", &s))
        .transpose()?;
    let page = Page::from_request(cx)?;
    let rows = relationships::list(
        &cx.db,
        &me.company_id,
        status,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = rows
        .iter()
        .map(|r| RelationshipOut::of(r, &me.company_id))
        .collect();
    let counts = relationships::counts(&cx.db, &me.company_id).await?;
    Reply::json(
        200,
        &RelationshipList {
            data,
            next_cursor,
            counts,
        },
    )
}

/// Reads `{service: state}` from a request, naming a bad key as `services.<key>`; `order`
/// follows the catalogs enabled for the customer and is not set here.
fn parse_services(map: &BTreeMap<String, ServiceState>) -> Result<Vec<(Service, ServiceState)>> {
    map.iter()
        .map(|(k, v)| {
            let field = format!("services.{k}");
            match Service::parse(&field, k)? {
                Service::Order => Err(Error::invalid(
                    field,
                    "is on while a catalog is enabled for the customer",
                )),
                s => Ok((s, *v)),
            }
        })
        .collect()
}

fn exists() -> Error {
    Error::conflict(
        "relationship_exists",
        "a relationship with this company exists already",
    )
}

/// `POST /v1/relationships`.
pub async fn request_relationship(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: RelationshipIn = cx.body().await?;
    let partner = resolve_partner(cx, &input).await?;
    if partner == me.company_id {
        return Err(Error::invalid(
            "company_id",
            "a company cannot enter a relationship with itself",
        ));
    }
    let message = validate::optional_text("message", input.message.as_deref(), 2000)?;
    let mut services = Services::default_request();
    if let Some(map) = &input.services {
        for (service, state) in parse_services(map)? {
            if state == ServiceState::Enabled {
                return Err(Error::invalid(
                    format!("services.{}", service.as_str()),
                    "can only be requested or inactive until the partner approves",
                ));
            }
            services.set(service, state);
        }
    }
    let now = Time(cx.now);
    let requested = |id: &RelationshipId| {
        Event::new(
            "relationship.requested",
            &partner,
            json!({ "from_company_id": me.company_id, "role": input.my_role.opposite(), "relationship_id": id }),
            cx.now,
        )
    };
    let id = match relationships::between(&cx.db, &me.company_id, &partner).await? {
        Some(existing) if relationship::can_request_again(existing.status) => {
            let event = requested(&existing.id)?;
            commit_change(
                cx,
                &existing.id,
                relationships::reopen_stmt(
                    &existing.id,
                    &me.company_id,
                    &partner,
                    input.my_role,
                    &services,
                    message.as_deref(),
                    now,
                ),
                Vec::new(),
                vec![event],
            )
            .await?;
            existing.id
        }
        Some(_) => return Err(exists()),
        None => {
            let id = RelationshipId::new(cx.now)?;
            let event = requested(&id)?;
            let insert = relationships::insert_stmt(&NewRelationship {
                id: &id,
                requester: &me.company_id,
                addressee: &partner,
                requester_role: input.my_role,
                status: RelationshipStatus::Requested,
                services: &services,
                message: message.as_deref(),
                settings: &Settings::default(),
                now,
            });
            cx.db
                .batch(vec![insert, events::insert_stmt(&event)])
                .await
                .map_err(|e| {
                    if e.unique_violation() == Some(relationships::PAIR_TAKEN) {
                        exists()
                    } else {
                        e
                    }
                })?;
            cx.publish(vec![event]);
            id
        }
    };
    let row = find(cx, &me, &id).await?;
    Reply::json(201, &RelationshipOut::of(&row, &me.company_id))
}

/// Runs a guarded update (one whose WHERE names the state it was computed from) together with
/// further statements (each guarding itself) and the outbox rows of its events, and publishes
/// them once committed. An update that matched no row means someone else changed the
/// relationship first: 409, and nothing is written (the outbox rows are guarded on the change).
async fn commit_change(
    cx: &Cx,
    id: &RelationshipId,
    update: Statement,
    extra: Vec<Statement>,
    emitted: Vec<Event>,
) -> Result<()> {
    let mut statements = vec![update];
    statements.extend(extra);
    statements.extend(
        emitted
            .iter()
            .map(|e| relationships::event_stmt(e, id, Time(cx.now))),
    );
    let changed = cx.db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        return Err(Error::conflict(
            "changed_meanwhile",
            "the relationship changed while this request ran; load it again",
        ));
    }
    cx.publish(emitted);
    Ok(())
}

async fn resolve_partner(cx: &Cx, input: &RelationshipIn) -> Result<CompanyId> {
    if let Some(text) = input.company_id.as_deref() {
        let id = CompanyId::parse_field("company_id", text)?;
        return companies::find(&cx.db, &id)
            .await?
            .map(|c| c.id)
            .ok_or(Error::not_found("company"));
    }
    if let Some(handle) = input.handle.as_deref() {
        let handle = validate::handle("handle", handle)?;
        return companies::by_handle(&cx.db, &handle)
            .await?
            .map(|c| c.id)
            .ok_or(Error::not_found("company"));
    }
    Err(Error::invalid(
        "company_id",
        "give the partner's company_id or handle",
    ))
}

/// `GET /v1/relationships/{id}`.
pub async fn get_relationship(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    Reply::json(200, &RelationshipOut::of(&row, &me.company_id))
}

/// `PATCH /v1/relationships/{id}`: the supplier's settings, and services.
pub async fn update_relationship(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    let patch: RelationshipPatch = cx.body().await?;
    let my_role = row.role_of(&me.company_id);
    let settings = match patch.settings {
        Some(_) if my_role != PartyRole::Supplier => {
            return Err(Error::forbidden(
                "supplier_only",
                "only the supplier keeps settings on a customer",
            ))
        }
        Some(p) => p.apply(row.settings()).validated()?,
        None => row.settings(),
    };
    let mut services = row.services.0;
    let before = services;
    if let Some(map) = &patch.services {
        if row.status != RelationshipStatus::Active {
            return Err(Error::conflict(
                "relationship_not_active",
                format!(
                    "services can be changed only while the relationship is active; it is {}",
                    row.status
                ),
            ));
        }
        for (service, wanted) in parse_services(map)? {
            services.set(
                service,
                relationship::change_service(services.get(service), wanted, my_role)?,
            );
        }
    }
    let update =
        relationships::update_stmt(&row.id, &services, &settings, row.updated_at, Time(cx.now));
    let mut emitted = Vec::new();
    if services != before {
        emitted.push(Event::new(
            "relationship.services_changed",
            &row.partner_id,
            json!({ "relationship_id": row.id, "services": services }),
            cx.now,
        )?);
    }
    commit_change(cx, &row.id, update, Vec::new(), emitted).await?;
    let row = find(cx, &me, &row.id).await?;
    Reply::json(200, &RelationshipOut::of(&row, &me.company_id))
}

/// `POST /v1/relationships/{id}/approve`.
pub async fn approve_relationship(cx: &mut Cx) -> Result<Reply> {
    act(cx, Action::Approve).await
}

/// `POST /v1/relationships/{id}/reject`.
pub async fn reject_relationship(cx: &mut Cx) -> Result<Reply> {
    act(cx, Action::Reject).await
}

/// `POST /v1/relationships/{id}/block`.
pub async fn block_relationship(cx: &mut Cx) -> Result<Reply> {
    act(cx, Action::Block).await
}

/// `POST /v1/relationships/{id}/unblock`.
pub async fn unblock_relationship(cx: &mut Cx) -> Result<Reply> {
    act(cx, Action::Unblock).await
}

async fn act(cx: &mut Cx, action: Action) -> Result<Reply> {
    let me = cx.me()?;
    let row = load(cx, &me).await?;
    let has_body = cx.header("content-length").is_some_and(|l| l != "0")
        || cx.header("content-type").is_some();
    let reason = if action == Action::Reject && has_body {
        let input: RejectIn = cx.body().await?;
        validate::optional_text("reason", input.reason.as_deref(), 2000)?
    } else {
        None
    };
    let side = row.side_of(&me.company_id);
    let next = relationship::transition(&row.state(), action, side)?;
    let services = match action {
        Action::Approve => row.services.0.on_approval(),
        _ => row.services.0,
    };
    let mut emitted = vec![decision_event(cx, &me, &row, action, next.status)?];
    let extra = if matches!(action, Action::Approve | Action::Reject) {
        let (statements, events) = settle_held_documents(cx, &row.id, next.status).await?;
        emitted.extend(events);
        statements
    } else {
        Vec::new()
    };
    commit_change(
        cx,
        &row.id,
        relationships::decide_stmt(
            &row.id,
            row.status,
            &next,
            &services,
            reason.as_deref(),
            Time(cx.now),
        ),
        extra,
        emitted,
    )
    .await?;
    let row = find(cx, &me, &row.id).await?;
    Reply::json(200, &RelationshipOut::of(&row, &me.company_id))
}

/// Documents sent at first contact wait (`held`) for the decision on the relationship: approval
/// delivers them (`document.deposited` to the recipient), rejection discards them
/// (`document.discarded` to the sender; the orders worker's sweep deletes the files). The
/// statements only act once the relationship has the decided status, so they do nothing when
/// the guarded update before them found it changed.
async fn settle_held_documents(
    cx: &Cx,
    id: &RelationshipId,
    decided: RelationshipStatus,
) -> Result<(Vec<Statement>, Vec<Event>)> {
    let (status, kind) = if decided == RelationshipStatus::Active {
        (DocumentStatus::New, "document.deposited")
    } else {
        (DocumentStatus::Discarded, "document.discarded")
    };
    let held = documents::held(&cx.db, id, status).await?;
    if held.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ids: Vec<&DocumentId> = held.iter().map(|d| &d.id).collect();
    let statements =
        documents::release_held_stmts(&ids, id, decided.as_str(), status, Time(cx.now));
    let mut emitted = Vec::with_capacity(held.len());
    for doc in &held {
        let data = serde_json::from_str(&doc.data).map_err(|e| Error::internal(e.to_string()))?;
        emitted.push(Event::new(kind, &doc.to, data, cx.now)?);
    }
    Ok((statements, emitted))
}

fn decision_event(
    cx: &Cx,
    me: &Principal,
    row: &RelationshipRow,
    action: Action,
    status: RelationshipStatus,
) -> Result<Event> {
    let (kind, outcome) = match action {
        Action::Approve => ("relationship.decided", "approved"),
        Action::Reject => ("relationship.decided", "rejected"),
        Action::Block => ("relationship.blocked", status.as_str()),
        Action::Unblock => ("relationship.unblocked", status.as_str()),
    };
    Event::new(
        kind,
        &row.partner_id,
        json!({ "relationship_id": row.id, "by_company_id": me.company_id, "status": outcome }),
        cx.now,
    )
}

/// `POST /v1/relationships/invitations`: a supplier invites a customer company by e-mail.
pub async fn invite_company(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: InvitationIn = cx.body().await?;
    let email = validate::email("email", &input.email)?;
    let name = validate::optional_text("name", input.name.as_deref(), 120)?;
    let company_name = input
        .company_name
        .as_deref()
        .map(|n| validate::company_name("company_name", n))
        .transpose()?;
    let message = validate::optional_text("message", input.message.as_deref(), 2000)?;
    let settings = input.settings.unwrap_or_default().validated()?;
    if users::by_email(&cx.db, &email).await?.is_some() {
        return Err(Error::conflict(
            "email_taken",
            "this e-mail address already has an access",
        ));
    }
    let supplier = companies::get(&cx.db, &me.company_id).await?;
    let now = Time(cx.now);
    let id = InvitationId::new(cx.now)?;
    let link = mailer::new_link(
        &cx.public_url(),
        LinkKind::InviteCompany,
        None,
        Some(&id),
        now,
    )?;
    let mail = mailer::mail_stmt(
        &email,
        input.language.unwrap_or_default(),
        "company_invitation",
        &Template::CompanyInvitation {
            supplier: supplier.name,
            link: link.url.clone(),
            message: message.clone(),
        },
        Some(&me.company_id),
        now,
    )?;
    cx.db
        .batch(vec![
            invitations::insert_stmt(&NewInvitation {
                id: &id,
                company_id: &me.company_id,
                invited_by: me.user_id.as_ref(),
                email: &email,
                name: name.as_deref(),
                company_name: company_name.as_deref(),
                message: message.as_deref(),
                settings: &settings,
                now,
                expires_at: link.expires_at,
            }),
            link.stmt,
            mail,
        ])
        .await?;
    Reply::json(
        201,
        &InvitationOut {
            id,
            email,
            status: "open",
            expires_at: link.expires_at,
        },
    )
}
