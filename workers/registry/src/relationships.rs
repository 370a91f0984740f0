//! `/v1/relationships`: requests from either side, decisions, blocking, services per
//! relationship, the supplier's own settings on each customer, and inviting a customer company
//! by e-mail. The rules themselves live in `shared::relationship`; this module stores them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use shared::document::{self, DocumentStatus};
use shared::edge::{self, events};
use shared::event::Event;
use shared::ids::{CompanyId, InvitationId, RelationshipId};
use shared::mail::Template;
use shared::permissions::{Permission, Principal};
use shared::relationship::{
    self, pair_key, Action, PartyRole, RelState, RelationshipStatus, Service, ServiceState,
    Services, Side,
};
use shared::{time, validate, Error, Result};
use worker::{D1PreparedStatement, Response};

use crate::context::Ctx;
use crate::mailer::{self, LinkKind};
use crate::model::{self, CompanyOut};

/// The supplier's own settings on a customer. Never shown to the customer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub customer_number: Option<String>,
    #[serde(default)]
    pub discount_percent: Option<f64>,
    #[serde(default)]
    pub grouping: Option<String>,
    #[serde(default)]
    pub sales_channel: Option<String>,
    #[serde(default)]
    pub shipping_terms: Option<String>,
    #[serde(default)]
    pub payment_terms: Option<String>,
    #[serde(default)]
    pub internal_remark: Option<String>,
}

impl Settings {
    /// Checks lengths and the discount range; field names are reported as `settings.<name>`.
    pub fn validated(self) -> Result<Settings> {
        let short = |name: &str, v: Option<String>| {
            validate::optional_text(&format!("settings.{name}"), v.as_deref(), 100)
        };
        Ok(Settings {
            customer_number: short("customer_number", self.customer_number)?,
            discount_percent: self
                .discount_percent
                .map(|d| validate::percent("settings.discount_percent", d))
                .transpose()?,
            grouping: short("grouping", self.grouping)?,
            sales_channel: short("sales_channel", self.sales_channel)?,
            shipping_terms: validate::optional_text(
                "settings.shipping_terms",
                self.shipping_terms.as_deref(),
                500,
            )?,
            payment_terms: validate::optional_text(
                "settings.payment_terms",
                self.payment_terms.as_deref(),
                500,
            )?,
            internal_remark: validate::optional_text(
                "settings.internal_remark",
                self.internal_remark.as_deref(),
                2000,
            )?,
        })
    }
}

/// A relationship row joined with the partner company of the caller.
#[derive(Debug, Deserialize)]
pub struct RelRow {
    pub id: RelationshipId,
    pub requester_id: CompanyId,
    pub supplier_id: CompanyId,
    pub status: String,
    pub blocked_by: Option<String>,
    pub status_before_block: Option<String>,
    pub services: String,
    pub message: Option<String>,
    pub reject_reason: Option<String>,
    pub customer_number: Option<String>,
    pub discount_percent: Option<f64>,
    pub grouping: Option<String>,
    pub sales_channel: Option<String>,
    pub shipping_terms: Option<String>,
    pub payment_terms: Option<String>,
    pub internal_remark: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub partner_id: CompanyId,
    pub partner_name: String,
    pub partner_handle: String,
    pub partner_created_at: String,
}

/// Rows seen from company `?1`, with the partner's directory entry.
const SELECT_FOR: &str = "SELECT r.*, c.id AS partner_id, c.name AS partner_name, \
     c.handle AS partner_handle, c.created_at AS partner_created_at \
     FROM relationships r JOIN companies c \
       ON c.id = CASE WHEN r.requester_id = ?1 THEN r.addressee_id ELSE r.requester_id END \
     WHERE (r.requester_id = ?1 OR r.addressee_id = ?1)";

impl RelRow {
    pub fn status(&self) -> Result<RelationshipStatus> {
        RelationshipStatus::parse("status", &self.status).map_err(|_| corrupt(&self.id))
    }

    pub fn services(&self) -> Result<Services> {
        Services::from_json_str(&self.services).map_err(|_| corrupt(&self.id))
    }

    fn side_of(&self, company: &CompanyId) -> Side {
        if &self.requester_id == company {
            Side::Requester
        } else {
            Side::Addressee
        }
    }

    fn role_of(&self, company: &CompanyId) -> PartyRole {
        if &self.supplier_id == company {
            PartyRole::Supplier
        } else {
            PartyRole::Customer
        }
    }

    fn state(&self) -> Result<RelState> {
        Ok(RelState {
            status: self.status()?,
            blocked_by: match self.blocked_by.as_deref() {
                Some("requester") => Some(Side::Requester),
                Some("addressee") => Some(Side::Addressee),
                _ => None,
            },
            status_before_block: self
                .status_before_block
                .as_deref()
                .map(|s| RelationshipStatus::parse("status_before_block", s))
                .transpose()
                .map_err(|_| corrupt(&self.id))?,
        })
    }

    fn settings(&self) -> Settings {
        Settings {
            customer_number: self.customer_number.clone(),
            discount_percent: self.discount_percent,
            grouping: self.grouping.clone(),
            sales_channel: self.sales_channel.clone(),
            shipping_terms: self.shipping_terms.clone(),
            payment_terms: self.payment_terms.clone(),
            internal_remark: self.internal_remark.clone(),
        }
    }

    /// The relationship as `company` sees it: the supplier's settings only for the supplier.
    pub fn out(&self, company: &CompanyId) -> Result<RelationshipOut> {
        let state = self.state()?;
        let my_side = self.side_of(company);
        let my_role = self.role_of(company);
        Ok(RelationshipOut {
            id: self.id.clone(),
            partner: CompanyOut {
                id: self.partner_id.clone(),
                name: self.partner_name.clone(),
                handle: self.partner_handle.clone(),
                created_at: self.partner_created_at.clone(),
            },
            my_role,
            direction: match my_side {
                Side::Requester => "outgoing",
                Side::Addressee => "incoming",
            },
            status: state.status,
            blocked_by_me: state.blocked_by == Some(my_side),
            services: self.services()?,
            message: self.message.clone(),
            reject_reason: self.reject_reason.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            settings: (my_role == PartyRole::Supplier).then(|| self.settings()),
        })
    }
}

fn corrupt(id: &RelationshipId) -> Error {
    Error::internal(format!("relationship {id} has an unreadable state"))
}

#[derive(Debug, Serialize)]
pub struct RelationshipOut {
    id: RelationshipId,
    partner: CompanyOut,
    my_role: PartyRole,
    direction: &'static str,
    status: RelationshipStatus,
    blocked_by_me: bool,
    services: Services,
    message: Option<String>,
    reject_reason: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<Settings>,
}

/// The relationship `id` if the caller's company is a party to it; 404 otherwise.
pub async fn find_for(cx: &Ctx, company: &CompanyId, id: &RelationshipId) -> Result<RelRow> {
    cx.db
        .first(&format!("{SELECT_FOR} AND r.id = ?2"), &[company, id])
        .await?
        .ok_or(Error::not_found("relationship"))
}

/// The relationship between the caller's company and `partner`, if any.
pub async fn find_between(
    cx: &Ctx,
    company: &CompanyId,
    partner: &CompanyId,
) -> Result<Option<RelRow>> {
    cx.db
        .first(
            &format!("{SELECT_FOR} AND r.pair_key = ?2"),
            &[company, &pair_key(company, partner)],
        )
        .await
}

#[derive(Serialize)]
struct Counts {
    requested: u32,
    incoming_requests: u32,
    active: u32,
    rejected: u32,
    blocked: u32,
}

#[derive(Serialize)]
struct RelationshipList {
    data: Vec<RelationshipOut>,
    next_cursor: Option<String>,
    counts: Counts,
}

pub async fn list_relationships(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let status = cx
        .query("status")
        .map(|s| RelationshipStatus::parse("status", &s))
        .transpose()?;
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<RelRow> = cx
        .db
        .all(
            &format!(
                "{SELECT_FOR} AND (?2 IS NULL OR r.status = ?2) AND (?3 IS NULL OR r.id < ?3) \
                 ORDER BY r.id DESC LIMIT ?4"
            ),
            &[
                &me.company_id,
                &status.map(|s| s.as_str().to_owned()),
                &page.before,
                &page.fetch(),
            ],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = rows
        .iter()
        .map(|r| r.out(&me.company_id))
        .collect::<Result<Vec<_>>>()?;
    let counts = counts(cx, &me.company_id).await?;
    edge::json(
        200,
        &RelationshipList {
            data,
            next_cursor,
            counts,
        },
    )
}

async fn counts(cx: &Ctx, company: &CompanyId) -> Result<Counts> {
    #[derive(Deserialize)]
    struct Row {
        status: String,
        incoming: f64,
        n: f64,
    }
    let rows: Vec<Row> = cx
        .db
        .all(
            "SELECT status, (addressee_id = ?1) AS incoming, COUNT(*) AS n FROM relationships \
             WHERE requester_id = ?1 OR addressee_id = ?1 GROUP BY status, incoming",
            &[company],
        )
        .await?;
    let mut c = Counts {
        requested: 0,
        incoming_requests: 0,
        active: 0,
        rejected: 0,
        blocked: 0,
    };
    for row in rows {
        // Counts are small non-negative integers; the cast cannot truncate meaningfully.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = row.n as u32;
        match row.status.as_str() {
            "requested" => {
                c.requested += n;
                if row.incoming > 0.0 {
                    c.incoming_requests += n;
                }
            }
            "active" => c.active += n,
            "rejected" => c.rejected += n,
            "blocked" => c.blocked += n,
            _ => {}
        }
    }
    Ok(c)
}

/// What a new relationship row holds.
pub struct NewRelationship<'a> {
    pub requester: &'a CompanyId,
    pub addressee: &'a CompanyId,
    pub requester_role: PartyRole,
    pub status: RelationshipStatus,
    pub services: &'a Services,
    pub message: Option<&'a str>,
    pub settings: &'a Settings,
}

/// The insert of a new relationship, and its id.
pub fn insert_stmt(
    cx: &Ctx,
    r: &NewRelationship<'_>,
) -> Result<(RelationshipId, D1PreparedStatement)> {
    let id = RelationshipId::new(cx.now)?;
    let (supplier, customer) = match r.requester_role {
        PartyRole::Supplier => (r.requester, r.addressee),
        PartyRole::Customer => (r.addressee, r.requester),
    };
    let now = time::format(cx.now);
    let s = r.settings;
    let stmt = cx.db.stmt(
        "INSERT INTO relationships (id, pair_key, requester_id, addressee_id, supplier_id, \
         customer_id, status, services, message, customer_number, discount_percent, grouping, \
         sales_channel, shipping_terms, payment_terms, internal_remark, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        &[
            &id,
            &pair_key(r.requester, r.addressee),
            r.requester,
            r.addressee,
            supplier,
            customer,
            &r.status.as_str(),
            &r.services.to_json_string(),
            &r.message,
            &s.customer_number,
            &s.discount_percent,
            &s.grouping,
            &s.sales_channel,
            &s.shipping_terms,
            &s.payment_terms,
            &s.internal_remark,
            &now,
        ],
    )?;
    Ok((id, stmt))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipIn {
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    handle: Option<String>,
    my_role: PartyRole,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    services: Option<BTreeMap<String, ServiceState>>,
}

/// Reads `{service: state}` from a request, naming a bad key as `services.<key>`.
fn parse_services(map: &BTreeMap<String, ServiceState>) -> Result<Vec<(Service, ServiceState)>> {
    map.iter()
        .map(|(k, v)| Ok((Service::parse(&format!("services.{k}"), k)?, *v)))
        .collect()
}

pub async fn request_relationship(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::RelationshipsManage)?;
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
    let event = Event::new(
        "relationship.requested",
        &partner,
        json!({ "from_company_id": me.company_id, "role": input.my_role.opposite() }),
        cx.now,
    )?;
    let id = match find_between(cx, &me.company_id, &partner).await? {
        Some(existing) if relationship::can_request_again(existing.status()?) => {
            reopen(
                cx,
                &existing,
                &me.company_id,
                &partner,
                input.my_role,
                &services,
                message.as_deref(),
                &event,
            )
            .await?;
            existing.id
        }
        Some(_) => {
            return Err(Error::conflict(
                "relationship_exists",
                "a relationship with this company exists already",
            ))
        }
        None => {
            let (id, stmt) = insert_stmt(
                cx,
                &NewRelationship {
                    requester: &me.company_id,
                    addressee: &partner,
                    requester_role: input.my_role,
                    status: RelationshipStatus::Requested,
                    services: &services,
                    message: message.as_deref(),
                    settings: &Settings::default(),
                },
            )?;
            let event = with_relationship(event.clone(), &id);
            cx.db
                .batch(vec![stmt, events::outbox_stmt(&cx.db, &event)?])
                .await
                .map_err(|e| {
                    if shared::edge::db::unique_violation(&e) {
                        Error::conflict(
                            "relationship_exists",
                            "a relationship with this company exists already",
                        )
                    } else {
                        e
                    }
                })?;
            events::publish(&cx.env, &[event]).await;
            id
        }
    };
    let row = find_for(cx, &me.company_id, &id).await?;
    edge::json(201, &row.out(&me.company_id)?)
}

fn with_relationship(mut event: Event, id: &RelationshipId) -> Event {
    if let Some(obj) = event.data.as_object_mut() {
        obj.insert("relationship_id".to_owned(), json!(id));
    }
    event
}

/// A rejected relationship asked for anew: the asker becomes the requester.
#[allow(clippy::too_many_arguments)]
async fn reopen(
    cx: &Ctx,
    existing: &RelRow,
    me: &CompanyId,
    partner: &CompanyId,
    my_role: PartyRole,
    services: &Services,
    message: Option<&str>,
    event: &Event,
) -> Result<()> {
    let (supplier, customer) = match my_role {
        PartyRole::Supplier => (me, partner),
        PartyRole::Customer => (partner, me),
    };
    let event = with_relationship(event.clone(), &existing.id);
    commit_change(
        cx,
        cx.db.stmt(
                "UPDATE relationships SET requester_id = ?1, addressee_id = ?2, supplier_id = ?3, \
                 customer_id = ?4, status = 'requested', services = ?5, message = ?6, \
                 reject_reason = NULL, blocked_by = NULL, status_before_block = NULL, updated_at = ?7 \
                 WHERE id = ?8 AND status = 'rejected'",
                &[
                    me,
                    partner,
                    supplier,
                    customer,
                    &services.to_json_string(),
                    &message,
                    &time::format(cx.now),
                    &existing.id,
                ],
            )?,
        vec![event],
    )
    .await
}

/// Runs a guarded update (one whose WHERE names the state it was computed from) together with
/// the outbox rows of its events, and publishes them once committed. An update that matched no
/// row means someone else changed the relationship first: 409, nothing written.
async fn commit_change(cx: &Ctx, update: D1PreparedStatement, events: Vec<Event>) -> Result<()> {
    commit_change_with(cx, update, Vec::new(), events).await
}

/// [`commit_change`] with further statements that run after the update (each guarding itself).
async fn commit_change_with(
    cx: &Ctx,
    update: D1PreparedStatement,
    extra: Vec<D1PreparedStatement>,
    events: Vec<Event>,
) -> Result<()> {
    let mut statements = vec![update];
    statements.extend(extra);
    for event in &events {
        statements.push(events::outbox_stmt(&cx.db, event)?);
    }
    let changed = cx.db.batch(statements).await?;
    if changed.first().copied().unwrap_or(0) == 0 {
        return Err(changed_meanwhile());
    }
    events::publish(&cx.env, &events).await;
    Ok(())
}

fn changed_meanwhile() -> Error {
    Error::conflict(
        "changed_meanwhile",
        "the relationship changed while this request ran; load it again",
    )
}

async fn resolve_partner(cx: &Ctx, input: &RelationshipIn) -> Result<CompanyId> {
    if let Some(text) = input.company_id.as_deref() {
        let id = CompanyId::parse_field("company_id", text)?;
        return model::find_company(&cx.db, &id)
            .await?
            .map(|c| c.id)
            .ok_or(Error::not_found("company"));
    }
    if let Some(handle) = input.handle.as_deref() {
        let handle = validate::handle("handle", handle)?;
        let row: Option<CompanyOut> = cx
            .db
            .first(
                "SELECT id, name, handle, created_at FROM companies WHERE handle = ?1",
                &[&handle],
            )
            .await?;
        return row.map(|c| c.id).ok_or(Error::not_found("company"));
    }
    Err(Error::invalid(
        "company_id",
        "give the partner's company_id or handle",
    ))
}

pub async fn get_relationship(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let id = RelationshipId::parse(id)?;
    let row = find_for(cx, &me.company_id, &id).await?;
    edge::json(200, &row.out(&me.company_id)?)
}

/// Deserialises a field that may be absent (outer `None`), null (`Some(None)`) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    #[serde(default, deserialize_with = "present")]
    customer_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    discount_percent: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    grouping: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    sales_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    shipping_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    payment_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    internal_remark: Option<Option<String>>,
}

impl SettingsPatch {
    fn apply(self, mut s: Settings) -> Settings {
        fn set<T>(slot: &mut Option<T>, v: Option<Option<T>>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut s.customer_number, self.customer_number);
        set(&mut s.discount_percent, self.discount_percent);
        set(&mut s.grouping, self.grouping);
        set(&mut s.sales_channel, self.sales_channel);
        set(&mut s.shipping_terms, self.shipping_terms);
        set(&mut s.payment_terms, self.payment_terms);
        set(&mut s.internal_remark, self.internal_remark);
        s
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipPatch {
    #[serde(default)]
    settings: Option<SettingsPatch>,
    #[serde(default)]
    services: Option<BTreeMap<String, ServiceState>>,
}

pub async fn update_relationship(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::RelationshipsManage)?;
    let id = RelationshipId::parse(id)?;
    let row = find_for(cx, &me.company_id, &id).await?;
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
    let mut services = row.services()?;
    let before = services;
    if let Some(map) = &patch.services {
        if row.status()? != RelationshipStatus::Active {
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
    let update = cx.db.stmt(
        "UPDATE relationships SET services = ?1, customer_number = ?2, discount_percent = ?3, \
         grouping = ?4, sales_channel = ?5, shipping_terms = ?6, payment_terms = ?7, \
         internal_remark = ?8, updated_at = ?9 WHERE id = ?10 AND updated_at = ?11",
        &[
            &services.to_json_string(),
            &settings.customer_number,
            &settings.discount_percent,
            &settings.grouping,
            &settings.sales_channel,
            &settings.shipping_terms,
            &settings.payment_terms,
            &settings.internal_remark,
            &time::format(cx.now),
            &id,
            &row.updated_at,
        ],
    )?;
    let mut emitted = Vec::new();
    if services != before {
        let event = Event::new(
            "relationship.services_changed",
            &row.partner_id,
            json!({ "relationship_id": id, "services": services }),
            cx.now,
        )?;
        emitted.push(event);
    }
    commit_change(cx, update, emitted).await?;
    let row = find_for(cx, &me.company_id, &id).await?;
    edge::json(200, &row.out(&me.company_id)?)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RejectIn {
    #[serde(default)]
    reason: Option<String>,
}

pub async fn act_on_relationship(cx: &mut Ctx, id: &str, action: &str) -> Result<Response> {
    let action = match action {
        "approve" => Action::Approve,
        "reject" => Action::Reject,
        "block" => Action::Block,
        "unblock" => Action::Unblock,
        _ => return Err(Error::not_found("route")),
    };
    let me = cx.principal().await?;
    me.require(Permission::RelationshipsManage)?;
    let id = RelationshipId::parse(id)?;
    let row = find_for(cx, &me.company_id, &id).await?;
    let reason = if action == Action::Reject && has_body(cx) {
        let input: RejectIn = cx.body().await?;
        validate::optional_text("reason", input.reason.as_deref(), 2000)?
    } else {
        None
    };
    let side = row.side_of(&me.company_id);
    let next = relationship::transition(&row.state()?, action, side)?;
    let services = match action {
        Action::Approve => row.services()?.on_approval(),
        _ => row.services()?,
    };
    let mut emitted = vec![decision_event(&me, &row, action, next.status, cx)?];
    let extra = if matches!(action, Action::Approve | Action::Reject) {
        let (statements, events) = settle_held_documents(cx, &id, next.status).await?;
        emitted.extend(events);
        statements
    } else {
        Vec::new()
    };
    commit_change_with(
        cx,
        cx.db.stmt(
                "UPDATE relationships SET status = ?1, blocked_by = ?2, status_before_block = ?3, \
                 services = ?4, reject_reason = CASE WHEN ?1 = 'rejected' THEN ?5 ELSE reject_reason END, \
                 updated_at = ?6 WHERE id = ?7 AND status = ?8",
                &[
                    &next.status.as_str(),
                    &next.blocked_by.map(|s| side_name(s).to_owned()),
                    &next.status_before_block.map(|s| s.as_str().to_owned()),
                    &services.to_json_string(),
                    &reason,
                    &time::format(cx.now),
                    &id,
                    &row.status,
                ],
            )?,
        extra,
        emitted,
    )
    .await?;
    let row = find_for(cx, &me.company_id, &id).await?;
    edge::json(200, &row.out(&me.company_id)?)
}

/// Documents sent at first contact wait (`held`) for the decision on the relationship: approval
/// delivers them (`document.deposited` to the recipient), rejection discards them
/// (`document.discarded` to the sender; the orders worker's sweep deletes the files). The
/// statements only act once the relationship has the decided status, so they do nothing when
/// the guarded update before them found it changed.
async fn settle_held_documents(
    cx: &Ctx,
    id: &RelationshipId,
    decided: RelationshipStatus,
) -> Result<(Vec<D1PreparedStatement>, Vec<Event>)> {
    let (status, kind) = if decided == RelationshipStatus::Active {
        (DocumentStatus::New, "document.deposited")
    } else {
        (DocumentStatus::Discarded, "document.discarded")
    };
    #[derive(Deserialize)]
    struct Held {
        id: String,
        to: CompanyId,
        data: String,
    }
    let held: Vec<Held> = cx
        .db
        .all(
            &format!(
                "SELECT id, CASE WHEN ?2 = 'new' THEN recipient_id ELSE sender_id END AS \"to\", \
                 {} AS data FROM documents WHERE relationship_id = ?1 AND status = 'held'",
                document::EVENT_DATA_SQL.replace("?STATUS", "?2")
            ),
            &[id, &status.as_str()],
        )
        .await?;
    if held.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ids: Vec<&str> = held.iter().map(|d| d.id.as_str()).collect();
    let ids = serde_json::to_string(&ids).map_err(edge::internal)?;
    let now = time::format(cx.now);
    let guard = "EXISTS (SELECT 1 FROM relationships WHERE id = ?2 AND status = ?3)";
    let params: [&dyn shared::edge::db::Bind; 5] =
        [&ids, id, &decided.as_str(), &status.as_str(), &now];
    let statements = vec![
        cx.db.stmt(
            &format!(
                "INSERT INTO document_history (document_id, status, actor, at) \
                 SELECT value, ?4, 'system', ?5 FROM json_each(?1) WHERE {guard}"
            ),
            &params,
        )?,
        cx.db.stmt(
            &format!(
                "UPDATE documents SET status = ?4, updated_at = ?5 \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'held' AND {guard}"
            ),
            &params,
        )?,
    ];
    let mut events = Vec::with_capacity(held.len());
    for doc in held {
        let data = serde_json::from_str(&doc.data).map_err(edge::internal)?;
        events.push(Event::new(kind, &doc.to, data, cx.now)?);
    }
    Ok((statements, events))
}

fn has_body(cx: &Ctx) -> bool {
    edge::header(&cx.req, "content-length").is_some_and(|l| l != "0")
        || edge::header(&cx.req, "content-type").is_some()
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Requester => "requester",
        Side::Addressee => "addressee",
    }
}

fn decision_event(
    me: &Principal,
    row: &RelRow,
    action: Action,
    status: RelationshipStatus,
    cx: &Ctx,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    company_name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    language: Option<shared::lang::Language>,
}

#[derive(Serialize)]
struct InvitationOut {
    id: InvitationId,
    email: String,
    status: &'static str,
    expires_at: String,
}

pub async fn invite_company(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    me.require(Permission::RelationshipsManage)?;
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
    if model::email_taken(&cx.db, &email).await? {
        return Err(model::email_taken_error());
    }
    let supplier = model::company(&cx.db, &me.company_id).await?;
    let id = InvitationId::new(cx.now)?;
    let link = mailer::new_link(
        &cx.db,
        &cx.public_url(),
        LinkKind::InviteCompany,
        None,
        Some(&id),
        cx.now,
    )?;
    let mail = mailer::mail_stmt(
        &cx.db,
        &email,
        input.language.unwrap_or_default(),
        "company_invitation",
        &Template::CompanyInvitation {
            supplier: supplier.name,
            link: link.url.clone(),
            message: message.clone(),
        },
        cx.now,
    )?;
    let settings_json =
        serde_json::to_string(&settings).map_err(|e| Error::internal(e.to_string()))?;
    cx.db
        .batch(vec![
            cx.db.stmt(
                "INSERT INTO company_invitations (id, company_id, invited_by, email, name, \
                 company_name, message, settings, status, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9, ?10)",
                &[
                    &id,
                    &me.company_id,
                    &me.user_id.as_ref().map(ToString::to_string),
                    &email,
                    &name,
                    &company_name,
                    &message,
                    &settings_json,
                    &time::format(cx.now),
                    &link.expires_at,
                ],
            )?,
            link.stmt,
            mail,
        ])
        .await?;
    edge::json(
        201,
        &InvitationOut {
            id,
            email,
            status: "open",
            expires_at: link.expires_at,
        },
    )
}
